/* SPDX-License-Identifier: MIT */
/*
 * Batch cuts: the writer cuts the sealed blocks into batches for L1 by
 * size and time, with a proof for every withdrawal of the range (the
 * records themselves belong to src/chain).
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

int seq_load_cut_cursor(struct cl_seq *s)
{
	struct cl_chain_cut_cursor c;
	int rc = cl_chain_load_cut_cursor(s->st, &c);
	if (rc)
		return rc;
	s->cut_seq = c.seq;
	s->cut_first = c.first_block;
	s->cut_wid = c.wid;
	return CL_OK;
}

/*
 * Write the cut of the committed blocks [cut_first, head] into the state's
 * overlay: the cut record, the next-cut cursor and a proof for every
 * withdrawal in the range. Everything is read from the committed state
 * (a snapshot for the counters; proofs ignore uncommitted writes), so this
 * also works while the next block is open, and rides along in its commit.
 * Returns CL_OK with *c filled, CL_ERR_NOT_FOUND when there is nothing to
 * cut, or an error (the overlay may then hold part of the cut: discard).
 */
int seq_cut_prepare(struct cl_seq *s, struct cl_batch_cut *c)
{
	struct cl_seq_status st;
	struct cl_stf_globals g;
	struct cl_stf_view view;
	int rc;

	cl_seq_status(s, &st);
	if (st.head_block < s->cut_first)
		return CL_ERR_NOT_FOUND;
	rc = cl_seq_view(s, &view);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&view, &g);
	if (rc) {
		cl_seq_view_release(&view);
		return rc;
	}
	if (g.block_number != st.head_block)
		CL_BUG("committed state at block %llu, head %llu",
		       (unsigned long long)g.block_number,
		       (unsigned long long)st.head_block);

	*c = (struct cl_batch_cut){
		.seq = s->cut_seq,
		.first_block = s->cut_first,
		.last_block = st.head_block,
		.root = st.head_root,
		.deposits_consumed = g.next_deposit_id,
		.wid_begin = s->cut_wid,
		.wid_end = g.next_withdrawal_id,
	};
	struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
	for (uint64_t wid = c->wid_begin; wid < c->wid_end; wid++) {
		uint8_t wk[CL_STF_WITHDRAWAL_KEY_LEN];
		cl_stf_withdrawal_key(wk, wid);
		rc = cl_state_prove(s->st, proof, CL_TABLE_WITHDRAWALS, wk,
				    sizeof(wk));
		/* check it as the L1 contract will, before storing it */
		struct cl_address to;
		uint64_t amount;
		if (!rc)
			rc = cl_stf_get_withdrawal(&view, &to, &amount, wid);
		if (!rc) {
			uint8_t val[28];
			struct cl_hash32 path, vh;
			memcpy(val, to.b, 20);
			cl_put_be64(val + 20, amount);
			cl_smt_path(&path, CL_TABLE_WITHDRAWALS, wk, sizeof(wk));
			cl_smt_value_hash(&vh, val, sizeof(val));
			if (!cl_proof_verify_inclusion(proof, &c->root, &path,
						       &vh))
				CL_BUG("a fresh withdrawal proof does not "
				       "verify");
		}
		if (rc)
			break;
		cl_chain_put_withdrawal_proof(s->st, c->seq, proof, wid);
	}
	free(proof);
	cl_seq_view_release(&view);
	if (rc)
		return rc;
	cl_chain_put_cut(s->st, c);
	return CL_OK;
}

/* After the commit that stored the cut. */
void seq_cut_done(struct cl_seq *s, const struct cl_batch_cut *c)
{
	s->cut_seq = c->seq + 1;
	s->cut_first = c->last_block + 1;
	s->cut_wid = c->wid_end;
	s->cut_bytes = 0;
	s->cut_due_ns = cl_clock_mono_ns() + s->cfg.cut_interval_ms * 1000000u;
	cl_info(SUB, "cut batch %llu: blocks %llu..%llu, %llu withdrawals",
		(unsigned long long)c->seq, (unsigned long long)c->first_block,
		(unsigned long long)c->last_block,
		(unsigned long long)(c->wid_end - c->wid_begin));
}

/* A timed cut between blocks: its own (bookkeeping) commit. */
void seq_do_cut(struct cl_seq *s)
{
	struct cl_batch_cut c;
	struct cl_hash32 root;

	s->cut_due_ns = cl_clock_mono_ns() + s->cfg.cut_interval_ms * 1000000u;
	int rc = seq_cut_prepare(s, &c);
	if (rc == CL_ERR_NOT_FOUND)
		return;
	if (!rc)
		rc = cl_state_commit_block(s->st, &root);
	if (rc) {
		cl_unusual(SUB, "cannot cut batch %llu: %s; will retry",
			   (unsigned long long)s->cut_seq, cl_err_str(rc));
		cl_state_discard(s->st);
		return;
	}
	if (!cl_hash32_eq(&root, &c.root))
		CL_BUG("a batch cut changed the state root");
	seq_cut_done(s, &c);
}
