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
		.forced_consumed = g.next_forced_id, /* forced requests */
		.asset_deposits_consumed = g.next_asset_deposit_id,
	};
	struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
	for (uint64_t wid = c->wid_begin; wid < c->wid_end; wid++) {
		uint8_t wk[CL_STF_WITHDRAWAL_KEY_LEN];
		cl_stf_withdrawal_key(wk, wid);
		rc = cl_state_prove(s->st, proof, CL_TABLE_WITHDRAWALS, wk,
				    sizeof(wk));
		/* check it as the L1 contract will, before storing it */
		struct cl_stf_withdrawal w;
		if (!rc)
			rc = cl_stf_get_withdrawal_leaf(&view, &w, wid);
		if (!rc) {
			uint8_t val[CL_STF_WITHDRAWAL_VAL_MAX];
			size_t vlen = cl_stf_withdrawal_value(val, &w);
			struct cl_hash32 path, vh;
			cl_smt_path(&path, CL_TABLE_WITHDRAWALS, wk, sizeof(wk));
			cl_smt_value_hash(&vh, val, vlen);
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

/*
 * Merge cuts from..cut_seq-1 and the blocks sealed since into as few cuts
 * as cut_max_bytes allows, greedily at the old cut boundaries (their roots
 * and deposit counts are known); the last new cut runs to the head and
 * carries the proof of every withdrawal of the merged range, against the
 * head root (a withdrawal stays in the state tree, so a proof against a
 * later root is as good). CL_ERR_NOT_FOUND when that would not lower the
 * number of cuts. Writer only, between blocks.
 */
static int do_recut(struct cl_seq *s, uint64_t from, uint64_t *cuts)
{
	struct cl_snapshot *snap;
	struct cl_seq_status st;
	struct cl_batch_cut c;
	const uint64_t seq0 = s->cut_seq, first0 = s->cut_first,
		       wid0 = s->cut_wid;
	int rc;

	*cuts = seq0 > from ? seq0 - from : 0;
	if (from >= seq0 || seq0 - from > SIZE_MAX / sizeof(c))
		return CL_ERR_NOT_FOUND;
	size_t n = (size_t)(seq0 - from);
	struct cl_batch_cut *old = cl_xcalloc(n, sizeof(*old));
	uint64_t *bytes = cl_xcalloc(n + 1, sizeof(*bytes));
	rc = cl_snapshot_new(&snap, s->db);
	if (rc)
		goto out_free;
	cl_seq_status(s, &st);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = cl_chain_get_cut(snap, &old[i], from + i);
		if (!rc)
			rc = cl_chain_blocks_bytes(snap, &bytes[i],
						   old[i].first_block,
						   old[i].last_block);
	}
	if (!rc && st.head_block >= first0)
		rc = cl_chain_blocks_bytes(snap, &bytes[n], first0,
					   st.head_block);
	cl_snapshot_free(snap);
	if (rc)
		goto out_free;
	/* groups of old cuts: [start, i) each; the last one takes the tail */
	size_t *ends = cl_xcalloc(n, sizeof(*ends));
	size_t groups = 0, start = 0;
	uint64_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > start && acc + bytes[i] > s->cfg.cut_max_bytes) {
			ends[groups++] = i;
			start = i;
			acc = 0;
		}
		acc += bytes[i];
	}
	if (bytes[n] && acc + bytes[n] > s->cfg.cut_max_bytes) {
		ends[groups++] = n;
		start = n;
	}
	/* groups + 1 new cuts against n old ones (and an uncut tail) */
	if (groups + 1 >= n + (start == n)) {
		free(ends);
		rc = CL_ERR_NOT_FOUND;
		goto out_free;
	}
	size_t b = 0;
	for (size_t g = 0; g < groups; g++) {
		const struct cl_batch_cut *lo = &old[b], *hi = &old[ends[g] - 1];
		struct cl_batch_cut m = *hi;
		m.seq = from + g;
		m.first_block = lo->first_block;
		m.wid_begin = lo->wid_begin;
		cl_chain_put_cut(s->st, &m);
		b = ends[g];
	}
	free(ends);
	s->cut_seq = from + groups;
	s->cut_first = b < n ? old[b].first_block : first0;
	s->cut_wid = old[0].wid_begin;
	rc = seq_cut_prepare(s, &c);
	if (!rc) {
		for (uint64_t q = c.seq + 1; q < seq0; q++)
			cl_chain_del_cut(s->st, q);
		struct cl_hash32 root;
		rc = cl_state_commit_block(s->st, &root);
		if (!rc && !cl_hash32_eq(&root, &c.root))
			CL_BUG("a batch re-cut changed the state root");
	}
	if (rc) {
		cl_state_discard(s->st);
		s->cut_seq = seq0;
		s->cut_first = first0;
		s->cut_wid = wid0;
		goto out_free;
	}
	cl_info(SUB, "re-cut batches %llu..%llu into %llu: blocks %llu..%llu",
		(unsigned long long)from, (unsigned long long)(seq0 - 1),
		(unsigned long long)(c.seq - from + 1),
		(unsigned long long)old[0].first_block,
		(unsigned long long)c.last_block);
	seq_cut_done(s, &c);
	*cuts = c.seq - from + 1;
out_free:
	free(old);
	free(bytes);
	return rc;
}

void seq_recut_serve(struct cl_seq *s)
{
	pthread_mutex_lock(&s->qlock);
	bool req = s->recut_req;
	uint64_t from = s->recut_from;
	pthread_mutex_unlock(&s->qlock);
	if (!req)
		return;
	uint64_t cuts = 0;
	int rc = do_recut(s, from, &cuts);
	pthread_mutex_lock(&s->qlock);
	s->recut_req = false;
	s->recut_done = true;
	s->recut_rc = rc;
	s->recut_cuts = cuts;
	pthread_cond_broadcast(&s->recut_cond);
	pthread_mutex_unlock(&s->qlock);
}

int cl_seq_recut(struct cl_seq *s, uint64_t from, uint64_t *cuts)
{
	pthread_mutex_lock(&s->qlock);
	if (s->stopping || !s->running || s->recut_req) {
		int rc = s->recut_req ? CL_ERR_BUSY : CL_SEQ_ERR_SHUTDOWN;
		pthread_mutex_unlock(&s->qlock);
		return rc;
	}
	s->recut_req = true;
	s->recut_done = false;
	s->recut_from = from;
	pthread_cond_signal(&s->qcond);
	while (!s->recut_done)
		pthread_cond_wait(&s->recut_cond, &s->qlock);
	int rc = s->recut_rc;
	*cuts = s->recut_cuts;
	pthread_mutex_unlock(&s->qlock);
	return rc;
}
