/* SPDX-License-Identifier: MIT */
/*
 * A deriving node's bookkeeping (CL_TABLE_NODE): its cursor, the batch
 * its newest blocks came from, the root after every block, the L1
 * deposits seen and not yet consumed, and a record per verified batch.
 */
#include "chain_int.h"

#include <string.h>

#define CURSOR_LEN (8 * 3 + 32 + 8 * 4)

int cl_chain_load_derive_cursor(struct cl_state *st,
				struct cl_chain_derive_cursor *out)
{
	const uint8_t *p;
	size_t len;
	struct cl_cursor r;

	memset(out, 0, sizeof(*out));
	int rc = cl_state_get(st, &p, &len, CL_TABLE_NODE,
			      CHAIN_KEY(CHAIN_CURSOR_KEY),
			      CHAIN_KEY_LEN(CHAIN_CURSOR_KEY));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc)
		return rc;
	cl_cur_init(&r, p, len);
	out->next_batch = cl_cur_be64(&r);
	out->l1_block = cl_cur_be64(&r);
	out->l1_log = cl_cur_be64(&r);
	cl_cur_bytes(&r, out->l1_hash.b, 32);
	out->last_block = cl_cur_be64(&r);
	out->deposits_consumed = cl_cur_be64(&r);
	out->wid_end = cl_cur_be64(&r);
	out->txs = cl_cur_be64(&r);
	return cl_cur_done(&r) ? CL_OK : CL_ERR_CORRUPT;
}

void cl_chain_put_derive_cursor(struct cl_state *st,
				const struct cl_chain_derive_cursor *c)
{
	struct cl_buf b;

	cl_buf_init(&b);
	cl_buf_append_be64(&b, c->next_batch);
	cl_buf_append_be64(&b, c->l1_block);
	cl_buf_append_be64(&b, c->l1_log);
	cl_buf_append(&b, c->l1_hash.b, 32);
	cl_buf_append_be64(&b, c->last_block);
	cl_buf_append_be64(&b, c->deposits_consumed);
	cl_buf_append_be64(&b, c->wid_end);
	cl_buf_append_be64(&b, c->txs);
	CL_REQUIRE(b.len == CURSOR_LEN);
	cl_state_put(st, CL_TABLE_NODE, CHAIN_KEY(CHAIN_CURSOR_KEY),
		     CHAIN_KEY_LEN(CHAIN_CURSOR_KEY), b.p, b.len);
	cl_buf_release(&b);
}

void cl_chain_put_partial(struct cl_state *st, uint64_t batch,
			  const struct cl_hash32 *data_hash)
{
	uint8_t partial[40];

	cl_put_be64(partial, batch);
	memcpy(partial + 8, data_hash->b, 32);
	cl_state_put(st, CL_TABLE_NODE, CHAIN_KEY(CHAIN_PARTIAL_KEY),
		     CHAIN_KEY_LEN(CHAIN_PARTIAL_KEY), partial,
		     sizeof(partial));
}

void cl_chain_del_partial(struct cl_state *st)
{
	cl_state_del(st, CL_TABLE_NODE, CHAIN_KEY(CHAIN_PARTIAL_KEY),
		     CHAIN_KEY_LEN(CHAIN_PARTIAL_KEY));
}

int cl_chain_load_partial(struct cl_state *st, uint64_t *batch,
			  struct cl_hash32 *data_hash)
{
	const uint8_t *v;
	size_t vl;

	*batch = 0;
	memset(data_hash, 0, sizeof(*data_hash));
	int rc = cl_state_get(st, &v, &vl, CL_TABLE_NODE,
			      CHAIN_KEY(CHAIN_PARTIAL_KEY),
			      CHAIN_KEY_LEN(CHAIN_PARTIAL_KEY));
	if (rc)
		return rc;
	if (vl != 40)
		return CL_ERR_CORRUPT;
	*batch = cl_get_be64(v);
	memcpy(data_hash->b, v + 8, 32);
	return CL_OK;
}

void cl_chain_put_root(struct cl_state *st, uint64_t number,
		       const struct cl_hash32 *root)
{
	uint8_t key[9];

	chain_key(key, CHAIN_ROOT, number);
	cl_state_put(st, CL_TABLE_NODE, key, 9, root->b, 32);
}

int cl_chain_load_root(struct cl_state *st, struct cl_hash32 *out,
		       uint64_t number)
{
	const uint8_t *val;
	size_t vl;
	uint8_t key[9];

	chain_key(key, CHAIN_ROOT, number);
	int rc = cl_state_get(st, &val, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(out->b, val, 32);
	return CL_OK;
}

int cl_chain_get_root(struct cl_snapshot *snap, struct cl_hash32 *out,
		      uint64_t number)
{
	const uint8_t *val;
	size_t vl;
	uint8_t key[9];

	chain_key(key, CHAIN_ROOT, number);
	int rc = cl_snapshot_get(snap, &val, &vl, CL_TABLE_NODE, key, 9);
	if (!rc && vl != 32)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		memcpy(out->b, val, 32);
	return rc;
}

void cl_chain_put_deposit(struct cl_state *st, uint64_t id,
			  const struct cl_address *to, uint64_t amount)
{
	uint8_t key[9], val[28];

	chain_key(key, CHAIN_DEPOSIT, id);
	memcpy(val, to->b, 20);
	cl_put_be64(val + 20, amount);
	cl_state_put(st, CL_TABLE_NODE, key, 9, val, 28);
}

int cl_chain_load_deposits(struct cl_state *st, uint64_t from,
			   cl_chain_deposit_fn fn, void *ctx)
{
	const uint8_t *val, *k;
	size_t vl, kl;
	struct cl_state_iter *it;
	uint8_t start[9];

	chain_key(start, CHAIN_DEPOSIT, from);
	int rc = cl_state_iter_new(&it, st, CL_TABLE_NODE, start, 9);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != 9 || k[0] != CHAIN_DEPOSIT)
			break;
		if (vl != 28) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		struct cl_address to;
		memcpy(to.b, val, 20);
		rc = fn(ctx, cl_get_be64(k + 1), &to, cl_get_be64(val + 20));
		if (rc)
			break;
	}
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

void cl_chain_put_batch_record(struct cl_state *st, uint64_t index,
			       const struct cl_chain_batch_record *r)
{
	struct cl_buf b;
	uint8_t key[9];

	cl_buf_init(&b);
	cl_buf_append_be64(&b, r->first_block);
	cl_buf_append_be64(&b, r->last_block);
	cl_buf_append(&b, r->root.b, 32);
	cl_buf_append_be64(&b, r->wid_begin);
	cl_buf_append_be64(&b, r->wid_end);
	cl_buf_append_be64(&b, r->l1_block);
	cl_buf_append(&b, r->l1_tx.b, 32);
	chain_key(key, CHAIN_BATCH, index);
	cl_state_put(st, CL_TABLE_NODE, key, 9, b.p, b.len);
	cl_buf_release(&b);
}
