/* SPDX-License-Identifier: MIT */
/*
 * Block records (CL_TABLE_BLOCKS): what a sequencer sealed, kept so
 * that batches can be cut from them and roots read back; and their
 * pruning, which drops a record's requests once its batch is final on
 * L1 and keeps its header (the roots stay readable).
 */
#include "chain_int.h"

#include <stdlib.h>
#include <string.h>

void chain_key(uint8_t out[9], uint8_t prefix, uint64_t n)
{
	out[0] = prefix;
	cl_put_be64(out + 1, n);
}

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
	if (!c.failed && len == CL_BLOCK_HEADER_LEN) {
		/* pruned: the header alone */
		out->pruned = true;
		out->txs = cl_xcalloc(1, sizeof(*out->txs));
		out->tx_lens = cl_xcalloc(1, sizeof(*out->tx_lens));
		return true;
	}
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

void cl_block_record_release(struct cl_block_record *r)
{
	free(r->txs);
	free(r->tx_lens);
	memset(r, 0, sizeof(*r));
}

void cl_chain_put_block(struct cl_state *st, const struct cl_block_header *hdr,
			size_t n_txs, const uint8_t *txs, size_t txs_len)
{
	struct cl_buf rec;
	uint8_t key[8];

	cl_buf_init(&rec);
	cl_buf_append_be64(&rec, hdr->timestamp_ms);
	cl_buf_append(&rec, hdr->prev_root.b, 32);
	cl_buf_append_be64(&rec, hdr->l1.number);
	cl_buf_append(&rec, hdr->l1.hash.b, 32);
	cl_buf_append_be64(&rec, hdr->l1.timestamp);
	CL_REQUIRE(rec.len == CL_BLOCK_HEADER_LEN);
	cl_buf_append_be32(&rec, (uint32_t)n_txs);
	cl_buf_append(&rec, txs, txs_len);
	cl_put_be64(key, hdr->number);
	cl_state_put(st, CL_TABLE_BLOCKS, key, 8, rec.p, rec.len);
	cl_buf_release(&rec);
}

int cl_chain_prune_block(struct cl_state *st, uint64_t number,
			 size_t *dropped)
{
	uint8_t key[8], head[CL_BLOCK_HEADER_LEN];
	const uint8_t *v;
	size_t vl;

	*dropped = 0;
	cl_put_be64(key, number);
	int rc = cl_state_get(st, &v, &vl, CL_TABLE_BLOCKS, key, 8);
	if (rc)
		return rc;
	if (vl == CL_BLOCK_HEADER_LEN)
		return CL_OK; /* pruned already */
	if (vl < CL_BLOCK_HEADER_LEN + 4)
		return CL_ERR_CORRUPT;
	/* v points into the state: copied before the put replaces it */
	memcpy(head, v, sizeof(head));
	*dropped = vl - sizeof(head);
	cl_state_put(st, CL_TABLE_BLOCKS, key, 8, head, sizeof(head));
	return CL_OK;
}

int cl_chain_load_pruned(struct cl_state *st, uint64_t *out)
{
	const uint8_t *v;
	size_t vl;

	*out = 0;
	int rc = cl_state_get(st, &v, &vl, CL_TABLE_NODE,
			      CHAIN_KEY(CHAIN_PRUNED_KEY),
			      CHAIN_KEY_LEN(CHAIN_PRUNED_KEY));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc)
		return rc;
	if (vl != 8)
		return CL_ERR_CORRUPT;
	*out = cl_get_be64(v);
	return CL_OK;
}

void cl_chain_put_pruned(struct cl_state *st, uint64_t last)
{
	uint8_t v[8];

	cl_put_be64(v, last);
	cl_state_put(st, CL_TABLE_NODE, CHAIN_KEY(CHAIN_PRUNED_KEY),
		     CHAIN_KEY_LEN(CHAIN_PRUNED_KEY), v, sizeof(v));
}

int cl_chain_get_block(struct cl_snapshot *snap, struct cl_block_record *out,
		       uint64_t number)
{
	uint8_t key[8];
	const uint8_t *v;
	size_t vl;

	memset(out, 0, sizeof(*out));
	cl_put_be64(key, number);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
	if (rc)
		return rc;
	if (!cl_block_record_parse(out, number, v, vl))
		return CL_ERR_CORRUPT;
	return CL_OK;
}

int cl_chain_blocks_bytes(struct cl_snapshot *snap, uint64_t *out,
			  uint64_t first, uint64_t last)
{
	*out = 0;
	for (uint64_t n = first; n <= last; n++) {
		uint8_t key[8];
		const uint8_t *v;
		size_t vl;
		cl_put_be64(key, n);
		int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
		if (rc)
			return rc;
		*out += vl;
	}
	return CL_OK;
}

int cl_chain_root_from_blocks(struct cl_snapshot *snap, struct cl_hash32 *out,
			      uint64_t number)
{
	const uint8_t *v;
	size_t vl;
	uint8_t key[8];

	memset(out, 0, sizeof(*out));
	/* the root after block n is the prev_root of block n + 1 */
	cl_put_be64(key, number + 1);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
	if (rc == CL_OK) {
		if (vl < 40)
			rc = CL_ERR_CORRUPT;
		else
			memcpy(out->b, v + 8, 32);
	} else if (rc == CL_ERR_NOT_FOUND) {
		/* n is the head (of this snapshot) */
		rc = cl_snapshot_root(snap, out);
	}
	return rc;
}
