/* SPDX-License-Identifier: MIT */
/*
 * Batch cuts, their cursor and the withdrawal proofs (CL_TABLE_NODE):
 * what a sequencer decided to post, and what a claim needs.
 */
#include "chain_int.h"

#include <stdlib.h>
#include <string.h>

int cl_chain_load_cut_cursor(struct cl_state *st,
			     struct cl_chain_cut_cursor *out)
{
	const uint8_t *v;
	size_t vl;
	int rc = cl_state_get(st, &v, &vl, CL_TABLE_NODE,
			      CHAIN_KEY(CHAIN_CUT_NEXT_KEY),
			      CHAIN_KEY_LEN(CHAIN_CUT_NEXT_KEY));

	memset(out, 0, sizeof(*out));
	if (rc == CL_ERR_NOT_FOUND) {
		out->seq = 0;
		out->first_block = 1; /* block 0 is genesis, never posted */
		out->wid = 0;
		return CL_OK;
	}
	if (rc)
		return rc;
	if (vl != 24)
		return CL_ERR_CORRUPT;
	out->seq = cl_get_be64(v);
	out->first_block = cl_get_be64(v + 8);
	out->wid = cl_get_be64(v + 16);
	return CL_OK;
}

void cl_chain_del_cut(struct cl_state *st, uint64_t seq)
{
	uint8_t key[9];

	chain_key(key, CHAIN_CUT, seq);
	cl_state_del(st, CL_TABLE_NODE, key, 9);
}

void cl_chain_put_cut(struct cl_state *st, const struct cl_batch_cut *c)
{
	struct cl_buf v;
	uint8_t key[9];

	cl_buf_init(&v);
	cl_buf_append_be64(&v, c->first_block);
	cl_buf_append_be64(&v, c->last_block);
	cl_buf_append(&v, c->root.b, 32);
	cl_buf_append_be64(&v, c->deposits_consumed);
	cl_buf_append_be64(&v, c->wid_begin);
	cl_buf_append_be64(&v, c->wid_end);
	cl_buf_append_be64(&v, c->forced_consumed);
	cl_buf_append_be64(&v, c->asset_deposits_consumed);
	chain_key(key, CHAIN_CUT, c->seq);
	cl_state_put(st, CL_TABLE_NODE, key, 9, v.p, v.len);
	cl_buf_reset(&v);
	cl_buf_append_be64(&v, c->seq + 1);
	cl_buf_append_be64(&v, c->last_block + 1);
	cl_buf_append_be64(&v, c->wid_end);
	cl_state_put(st, CL_TABLE_NODE, CHAIN_KEY(CHAIN_CUT_NEXT_KEY),
		     CHAIN_KEY_LEN(CHAIN_CUT_NEXT_KEY), v.p, v.len);
	cl_buf_release(&v);
}

int cl_chain_get_cut(struct cl_snapshot *snap, struct cl_batch_cut *out,
		     uint64_t seq)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	memset(out, 0, sizeof(*out));
	chain_key(key, CHAIN_CUT, seq);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	/* 72: a cut from before forced requests, 80: before asset deposits */
	if (vl != 72 && vl != 80 && vl != 88)
		return CL_ERR_CORRUPT;
	out->seq = seq;
	out->first_block = cl_get_be64(v);
	out->last_block = cl_get_be64(v + 8);
	memcpy(out->root.b, v + 16, 32);
	out->deposits_consumed = cl_get_be64(v + 48);
	out->wid_begin = cl_get_be64(v + 56);
	out->wid_end = cl_get_be64(v + 64);
	out->forced_consumed = vl >= 80 ? cl_get_be64(v + 72) : 0;
	out->asset_deposits_consumed = vl == 88 ? cl_get_be64(v + 80) : 0;
	return CL_OK;
}

void cl_chain_put_withdrawal_proof(struct cl_state *st, uint64_t cut_seq,
				   const struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	struct cl_buf v;

	cl_buf_init(&v);
	cl_buf_append_be64(&v, cut_seq);
	cl_proof_encode(&v, proof);
	chain_key(key, CHAIN_WPROOF, wid);
	cl_state_put(st, CL_TABLE_NODE, key, 9, v.p, v.len);
	cl_buf_release(&v);
}

int cl_chain_get_withdrawal_proof(struct cl_snapshot *snap, uint64_t *cut_seq,
				  struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	*cut_seq = 0;
	chain_key(key, CHAIN_WPROOF, wid);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl < 8 || !cl_proof_decode(proof, v + 8, vl - 8))
		return CL_ERR_CORRUPT;
	*cut_seq = cl_get_be64(v);
	return CL_OK;
}

int cl_chain_cut_blocks(struct cl_snapshot *snap, const struct cl_genesis *g,
			const struct cl_batch_cut *cut, struct cl_batch2 *out)
{
	size_t n = (size_t)(cut->last_block - cut->first_block + 1);
	struct cl_block_record *recs = cl_xcalloc(n, sizeof(*recs));
	struct cl_stf_view view = {.genesis = g, .snapshot = snap};
	size_t total = 0, k = 0;
	int rc = CL_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && !rc; i++) {
		rc = cl_chain_get_block(snap, &recs[i], cut->first_block + i);
		if (!rc && recs[i].pruned)
			rc = CL_ERR_PRUNED; /* its batch was final */
		if (!rc)
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
			/* batches name the cancelled order (or trigger or
			 * TWAP order) by sequence */
			rc = cl_stf_cancel_sequence(&view,
						    &tx->u.cancel.order_seq,
						    &tx->u.cancel.msg.order_hash);
			if (rc > 0 || rc == CL_ERR_NOT_FOUND)
				rc = CL_ERR_CORRUPT;
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
