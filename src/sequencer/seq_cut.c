/* SPDX-License-Identifier: MIT */
/*
 * Batch cuts and the node-local tables behind them: block records, the
 * cut records and cursor, and the withdrawal proofs of every cut.
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

bool cl_block_record_parse(struct cl_block_record *out, uint64_t number,
			   const uint8_t *p, size_t len)
{
	struct cl_cursor c;

	memset(out, 0, sizeof(*out));
	cl_cur_init(&c, p, len);
	out->number = number;
	out->timestamp_ms = cl_cur_be64(&c);
	cl_cur_bytes(&c, out->prev_root.b, 32);
	out->l1.number = cl_cur_be64(&c);
	cl_cur_bytes(&c, out->l1.hash.b, 32);
	out->l1.timestamp = cl_cur_be64(&c);
	uint32_t n = cl_cur_be32(&c);
	if (c.failed || n > len / 4)
		return false;
	out->n_txs = n;
	out->txs = cl_xcalloc(n ? n : 1, sizeof(*out->txs));
	out->tx_lens = cl_xcalloc(n ? n : 1, sizeof(*out->tx_lens));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tl = cl_cur_be32(&c);
		out->tx_lens[i] = tl;
		out->txs[i] = cl_cur_borrow(&c, tl);
	}
	if (!cl_cur_done(&c)) {
		cl_block_record_release(out);
		return false;
	}
	return true;
}

void cl_block_record_encode(struct cl_buf *out,
			    const struct cl_block_header *h, size_t n,
			    const uint8_t *txs, size_t len)
{
	cl_buf_append_be64(out, h->timestamp_ms);
	cl_buf_append(out, h->prev_root.b, 32);
	cl_buf_append_be64(out, h->l1.number);
	cl_buf_append(out, h->l1.hash.b, 32);
	cl_buf_append_be64(out, h->l1.timestamp);
	cl_buf_append_be32(out, (uint32_t)n);
	cl_buf_append(out, txs, len);
}

void cl_block_record_release(struct cl_block_record *r)
{
	free(r->txs);
	free(r->tx_lens);
	memset(r, 0, sizeof(*r));
}

static const uint8_t CUT_NEXT_KEY[] = "cut-next";
#define CUT_PREFIX 'c'
#define WPROOF_PREFIX 'w'

static void prefixed_key(uint8_t out[9], uint8_t prefix, uint64_t n)
{
	out[0] = prefix;
	cl_put_be64(out + 1, n);
}

int seq_load_cut_cursor(struct cl_seq *s)
{
	const uint8_t *v;
	size_t vl;
	int rc = cl_state_get(s->st, &v, &vl, CL_TABLE_NODE, CUT_NEXT_KEY,
			      sizeof(CUT_NEXT_KEY) - 1);
	if (rc == CL_ERR_NOT_FOUND) {
		s->cut_seq = 0;
		s->cut_first = 1; /* block 0 is genesis, never posted */
		s->cut_wid = 0;
		return CL_OK;
	}
	if (rc)
		return rc;
	if (vl != 24)
		return CL_ERR_CORRUPT;
	s->cut_seq = cl_get_be64(v);
	s->cut_first = cl_get_be64(v + 8);
	s->cut_wid = cl_get_be64(v + 16);
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
	struct cl_buf v;
	uint8_t key[9];
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
	cl_buf_init(&v);
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
		cl_seq_put_withdrawal_proof(s->st, c->seq, proof, wid);
	}
	free(proof);
	cl_seq_view_release(&view);
	if (rc) {
		cl_buf_release(&v);
		return rc;
	}
	cl_buf_reset(&v);
	cl_buf_append_be64(&v, c->first_block);
	cl_buf_append_be64(&v, c->last_block);
	cl_buf_append(&v, c->root.b, 32);
	cl_buf_append_be64(&v, c->deposits_consumed);
	cl_buf_append_be64(&v, c->wid_begin);
	cl_buf_append_be64(&v, c->wid_end);
	prefixed_key(key, CUT_PREFIX, c->seq);
	cl_state_put(s->st, CL_TABLE_NODE, key, 9, v.p, v.len);
	cl_buf_reset(&v);
	cl_buf_append_be64(&v, c->seq + 1);
	cl_buf_append_be64(&v, c->last_block + 1);
	cl_buf_append_be64(&v, c->wid_end);
	cl_state_put(s->st, CL_TABLE_NODE, CUT_NEXT_KEY,
		     sizeof(CUT_NEXT_KEY) - 1, v.p, v.len);
	cl_buf_release(&v);
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

int cl_seq_get_cut(struct cl_snapshot *snap, struct cl_batch_cut *out,
		   uint64_t seq)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	memset(out, 0, sizeof(*out));
	prefixed_key(key, CUT_PREFIX, seq);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl != 72)
		return CL_ERR_CORRUPT;
	out->seq = seq;
	out->first_block = cl_get_be64(v);
	out->last_block = cl_get_be64(v + 8);
	memcpy(out->root.b, v + 16, 32);
	out->deposits_consumed = cl_get_be64(v + 48);
	out->wid_begin = cl_get_be64(v + 56);
	out->wid_end = cl_get_be64(v + 64);
	return CL_OK;
}

void cl_seq_put_withdrawal_proof(struct cl_state *st, uint64_t cut_seq,
				 const struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	struct cl_buf v;

	cl_buf_init(&v);
	cl_buf_append_be64(&v, cut_seq);
	cl_proof_encode(&v, proof);
	prefixed_key(key, WPROOF_PREFIX, wid);
	cl_state_put(st, CL_TABLE_NODE, key, 9, v.p, v.len);
	cl_buf_release(&v);
}

int cl_seq_get_withdrawal_proof(struct cl_snapshot *snap, uint64_t *cut_seq,
				struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	*cut_seq = 0;
	prefixed_key(key, WPROOF_PREFIX, wid);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl < 8 || !cl_proof_decode(proof, v + 8, vl - 8))
		return CL_ERR_CORRUPT;
	*cut_seq = cl_get_be64(v);
	return CL_OK;
}

int cl_seq_cut_blocks(struct cl_snapshot *snap, const struct cl_genesis *g,
		      const struct cl_batch_cut *cut, struct cl_batch2 *out)
{
	size_t n = (size_t)(cut->last_block - cut->first_block + 1);
	struct cl_block_record *recs = cl_xcalloc(n, sizeof(*recs));
	struct cl_stf_view view = {.genesis = g, .snapshot = snap};
	size_t total = 0, k = 0;
	int rc = CL_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t key[8];
		const uint8_t *v;
		size_t vl;
		uint64_t num = cut->first_block + i;
		cl_put_be64(key, num);
		rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
		if (rc)
			break;
		if (!cl_block_record_parse(&recs[i], num, v, vl))
			rc = CL_ERR_CORRUPT;
		else
			total += recs[i].n_txs;
	}
	if (rc)
		goto out;
	out->first_block = cut->first_block;
	out->n_blocks = n;
	out->blocks = cl_xcalloc(n, sizeof(*out->blocks));
	out->n_txs = total;
	out->tx_store = cl_xcalloc(total ? total : 1, sizeof(*out->tx_store));
	for (size_t i = 0; i < n && !rc; i++) {
		struct cl_batch2_block *b = &out->blocks[i];
		b->number = recs[i].number;
		b->timestamp_ms = recs[i].timestamp_ms;
		b->l1 = recs[i].l1;
		b->n_txs = recs[i].n_txs;
		b->txs = out->tx_store + k;
		/* the root after block i is the next block's prev_root */
		if (i > 0)
			out->blocks[i - 1].root = recs[i].prev_root;
		for (size_t t = 0; t < recs[i].n_txs && !rc; t++, k++) {
			struct cl_tx *tx = &out->tx_store[k];
			if (!cl_tx_decode(tx, recs[i].txs[t],
					  recs[i].tx_lens[t])) {
				rc = CL_ERR_CORRUPT;
				break;
			}
			if (tx->type != CL_TX_CANCEL)
				continue;
			/* batches name the cancelled order by sequence */
			struct cl_order_record o;
			rc = cl_stf_get_order(&view, &o,
					      &tx->u.cancel.msg.order_hash);
			if (rc > 0 || rc == CL_ERR_NOT_FOUND)
				rc = CL_ERR_CORRUPT;
			tx->u.cancel.order_seq = o.sequence;
		}
	}
	if (!rc)
		out->blocks[n - 1].root = cut->root;
out:
	for (size_t i = 0; i < n; i++)
		cl_block_record_release(&recs[i]);
	free(recs);
	if (rc)
		cl_batch2_release(out);
	return rc;
}
