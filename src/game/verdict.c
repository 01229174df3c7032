/* SPDX-License-Identifier: MIT */
/*
 * The verdict about block k of a posted batch (include/clearline/game.h,
 * docs/vm.md "The verdict program"): the fault-proof program itself.
 * The guest (src/guest/main.c) runs it over the preimage ecall, a node
 * natively over a cl_preimage_map; both compile this file unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/batch.h>
#include <clearline/game.h>

void cl_game_input_encode(uint8_t out[CL_GAME_INPUT_LEN],
			  const struct cl_game_input *in)
{
	uint8_t *p = out;

	memcpy(p, CL_GAME_INPUT_MAGIC, 4), p += 4;
	memcpy(p, in->rec.data_hash.b, 32), p += 32;
	cl_put_be32(p, in->k), p += 4;
	memcpy(p, in->prev_root.b, 32), p += 32;
	memcpy(p, in->deposits_hash.b, 32), p += 32;
	memcpy(p, in->forced_hash.b, 32), p += 32;
	memcpy(p, in->genesis_hash.b, 32), p += 32;
	memcpy(p, in->rec.state_root.b, 32), p += 32;
	memcpy(p, in->rec.withdrawal_root.b, 32), p += 32;
	cl_put_be64(p, in->rec.prev_deposits), p += 8;
	cl_put_be64(p, in->rec.deposits), p += 8;
	cl_put_be64(p, in->rec.prev_forced), p += 8;
	cl_put_be64(p, in->rec.forced), p += 8;
	cl_put_be64(p, in->rec.first_block), p += 8;
	cl_put_be64(p, in->rec.last_block), p += 8;
	CL_REQUIRE(p == out + CL_GAME_INPUT_LEN);
}

bool cl_game_input_decode(struct cl_game_input *out, const uint8_t *p,
			  size_t len)
{
	struct cl_cursor c;
	const uint8_t *magic;

	memset(out, 0, sizeof(*out));
	if (len != CL_GAME_INPUT_LEN)
		return false;
	cl_cur_init(&c, p, len);
	magic = cl_cur_borrow(&c, 4);
	if (!magic || memcmp(magic, CL_GAME_INPUT_MAGIC, 4) != 0)
		return false;
	cl_cur_bytes(&c, out->rec.data_hash.b, 32);
	out->k = cl_cur_be32(&c);
	cl_cur_bytes(&c, out->prev_root.b, 32);
	cl_cur_bytes(&c, out->deposits_hash.b, 32);
	cl_cur_bytes(&c, out->forced_hash.b, 32);
	cl_cur_bytes(&c, out->genesis_hash.b, 32);
	cl_cur_bytes(&c, out->rec.state_root.b, 32);
	cl_cur_bytes(&c, out->rec.withdrawal_root.b, 32);
	out->rec.prev_deposits = cl_cur_be64(&c);
	out->rec.deposits = cl_cur_be64(&c);
	out->rec.prev_forced = cl_cur_be64(&c);
	out->rec.forced = cl_cur_be64(&c);
	out->rec.first_block = cl_cur_be64(&c);
	out->rec.last_block = cl_cur_be64(&c);
	return cl_cur_done(&c);
}

void cl_game_deposits_encode(struct cl_buf *out,
			     const struct cl_game_deposit *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cl_buf_append(out, d[i].to.b, 20);
		cl_buf_append_be64(out, d[i].amount);
		cl_buf_append_be32(out, d[i].timestamp);
	}
}

void cl_game_asset_deposits_encode(struct cl_buf *out,
				   const struct cl_game_assets *a)
{
	if (!a || a->n == 0)
		return;
	cl_buf_append_be64(out, a->first);
	for (size_t i = 0; i < a->n; i++) {
		cl_buf_append(out, a->d[i].to.b, 20);
		cl_buf_append_be64(out, a->d[i].amount);
		cl_buf_append_be32(out, a->d[i].timestamp);
		cl_buf_append_be32(out, a->d[i].asset);
	}
}

void cl_game_forced_encode(struct cl_buf *out, const struct cl_game_forced *f,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cl_buf_append(out, f[i].account.b, 20);
		cl_buf_append_byte(out, f[i].kind);
		cl_buf_append_be64(out, f[i].a);
		cl_buf_append_be64(out, f[i].b);
	}
}

void cl_game_forced_of_tx(struct cl_game_forced *out,
			  const struct cl_tx_forced *x)
{
	memset(out, 0, sizeof(*out));
	out->account = x->account;
	out->kind = (uint8_t)x->kind;
	switch (x->kind) {
	case CL_FORCED_WITHDRAW:
		out->a = x->amount;
		return;
	case CL_FORCED_CANCEL:
		out->a = x->order_seq;
		return;
	case CL_FORCED_CANCEL_ALL:
		return;
	case CL_FORCED_CLOSE:
		out->a = x->market;
		out->b = x->price;
		return;
	}
	CL_BUG("forced kind %u", (unsigned)x->kind); /* the decoder's */
}

/* The caller's fetch, remembering whether a preimage was missing (the
 * walk reports a missing node like a malformed one). */
struct fetcher {
	cl_state_fetch_fn fn;
	void *arg;
	bool missing;
};

static bool fetch_cb(void *arg, struct cl_buf *out, const struct cl_hash32 *h)
{
	struct fetcher *f = arg;

	if (f->fn(f->arg, out, h))
		return true;
	f->missing = true;
	return false;
}

struct run {
	struct cl_game_report *rep;
	struct fetcher f;
	struct cl_game_input in;
	struct cl_genesis g;
	struct cl_buf buf, deps, forced;
	/* the asset part of r->deps: r->assets_n records from r->assets_at,
	 * ids from r->assets_first */
	size_t assets_at, assets_n;
	uint64_t assets_first;
	struct cl_batch2 b;
	struct cl_state *st;
	struct cl_stf *stf;
};

static int verdict(struct run *r, int code, const char *why)
{
	if (r->rep)
		r->rep->why = why;
	return code;
}

/* The batch's forced requests against the rollup's forced list. */
static int check_forced(struct run *r)
{
	const struct cl_batch2 *b = &r->b;
	size_t n = r->forced.len / CL_GAME_FORCED_LEN, j = 0;

	for (size_t i = 0; i < b->n_txs; i++) {
		const struct cl_tx *tx = &b->tx_store[i];
		struct cl_game_forced got;
		const uint8_t *f;

		if (tx->type != CL_TX_FORCED)
			continue;
		if (j == n)
			return verdict(r, CL_GAME_WRONG,
				       "a forced request the record does not "
				       "consume");
		f = r->forced.p + j * CL_GAME_FORCED_LEN;
		cl_game_forced_of_tx(&got, &tx->u.forced);
		if (tx->u.forced.id != r->in.rec.prev_forced + j ||
		    memcmp(got.account.b, f, 20) != 0 || got.kind != f[20] ||
		    got.a != cl_get_be64(f + 21) ||
		    got.b != cl_get_be64(f + 29))
			return verdict(r, CL_GAME_WRONG,
				       "a forced request differs from the "
				       "rollup's record");
		j++;
	}
	if (j != n)
		return verdict(r, CL_GAME_WRONG,
			       "a forced request the record consumes is "
			       "missing");
	return CL_GAME_RIGHT;
}

/*
 * The record against the data, and the batch's deposit and forced
 * requests against the rollup's lists: CL_GAME_RIGHT when they agree
 * (nothing decided yet), else CL_GAME_WRONG.
 */
static int check_batch(struct run *r)
{
	const struct cl_game_batch *rec = &r->in.rec;
	const struct cl_batch2 *b = &r->b;
	const struct cl_batch2_block *last;
	size_t n_deps = (size_t)(rec->deposits - rec->prev_deposits), j = 0;
	size_t ja = 0;

	if (b->first_block != rec->first_block)
		return verdict(r, CL_GAME_WRONG,
			       "the data's first block is not the record's");
	if (b->n_blocks - 1 != rec->last_block - rec->first_block)
		return verdict(r, CL_GAME_WRONG,
			       "the data's block count is not the record's");
	last = &b->blocks[b->n_blocks - 1];
	if (!cl_hash32_eq(&last->root, &rec->state_root))
		return verdict(r, CL_GAME_WRONG,
			       "the record's stateRoot is not the last "
			       "block's root");
	if (!cl_hash32_eq(&last->root, &rec->withdrawal_root))
		return verdict(r, CL_GAME_WRONG,
			       "the record's withdrawalRoot is not the last "
			       "block's root");
	for (size_t i = 0; i < b->n_txs; i++) {
		const struct cl_tx *tx = &b->tx_store[i];
		const uint8_t *d;

		if (tx->type == CL_TX_ASSET_DEPOSIT) {
			const struct cl_tx_asset_deposit *x =
			    &tx->u.asset_deposit;

			if (ja == r->assets_n)
				return verdict(r, CL_GAME_WRONG,
					       "an asset deposit the record "
					       "does not consume");
			d = r->deps.p + r->assets_at +
			    ja * CL_GAME_ASSET_DEPOSIT_LEN;
			if (x->id != r->assets_first + ja ||
			    memcmp(x->to.b, d, 20) != 0 ||
			    x->amount != cl_get_be64(d + 20) ||
			    x->asset != cl_get_be32(d + 32))
				return verdict(r, CL_GAME_WRONG,
					       "an asset deposit differs from "
					       "the rollup's asset deposit "
					       "record");
			ja++;
			continue;
		}
		if (tx->type != CL_TX_DEPOSIT)
			continue;
		if (j == n_deps)
			return verdict(r, CL_GAME_WRONG,
				       "a deposit the record does not consume");
		d = r->deps.p + j * CL_GAME_DEPOSIT_LEN;
		if (tx->u.deposit.id != rec->prev_deposits + j ||
		    memcmp(tx->u.deposit.to.b, d, 20) != 0 ||
		    tx->u.deposit.amount != cl_get_be64(d + 20))
			return verdict(r, CL_GAME_WRONG,
				       "a deposit differs from the rollup's "
				       "deposit record");
		j++;
	}
	if (ja != r->assets_n)
		return verdict(r, CL_GAME_WRONG,
			       "an asset deposit the record consumes is "
			       "missing");
	if (j != n_deps)
		return verdict(r, CL_GAME_WRONG,
			       "a deposit the record consumes is missing");
	return check_forced(r);
}

/* The asset part of the deposits list, from byte `at`: empty (no asset
 * deposit consumed), or an 8-byte first id and whole 36-byte records
 * (at least one) whose count after, first + n, fits in 64 bits. */
static bool asset_part(struct run *r, size_t at)
{
	size_t rest = r->deps.len - at, n;

	r->assets_at = at + CL_GAME_ASSET_HEAD_LEN;
	r->assets_n = 0;
	r->assets_first = 0;
	if (rest == 0)
		return true;
	if (rest < CL_GAME_ASSET_HEAD_LEN + CL_GAME_ASSET_DEPOSIT_LEN ||
	    (rest - CL_GAME_ASSET_HEAD_LEN) % CL_GAME_ASSET_DEPOSIT_LEN != 0)
		return false;
	n = (rest - CL_GAME_ASSET_HEAD_LEN) / CL_GAME_ASSET_DEPOSIT_LEN;
	r->assets_first = cl_get_be64(r->deps.p + at);
	if (r->assets_first > UINT64_MAX - n)
		return false;
	r->assets_n = n;
	return true;
}

/* Fetch the preimage of h into r->buf: CL_OK or CL_ERR_NOT_FOUND. */
static int get(struct run *r, const struct cl_hash32 *h)
{
	return fetch_cb(&r->f, &r->buf, h) ? CL_OK : CL_ERR_NOT_FOUND;
}

/* Steps 1 and 2 of cl_game_verdict(): the input, the genesis, the
 * deposits and forced lists and the batch data. */
static int load(struct run *r, const struct cl_hash32 *key)
{
	const struct cl_game_batch *rec = &r->in.rec;
	struct cl_batch_limits lim;
	uint64_t n_deps, n_forced;
	int rc;

	if ((rc = get(r, key)))
		return rc;
	if (!cl_game_input_decode(&r->in, r->buf.p, r->buf.len))
		return verdict(r, CL_GAME_E_INPUT, "not a CLB3 input");
	if (rec->last_block < rec->first_block ||
	    rec->deposits < rec->prev_deposits ||
	    rec->forced < rec->prev_forced ||
	    r->in.k > rec->last_block - rec->first_block)
		return verdict(r, CL_GAME_E_INPUT,
			       "the record's numbers or k are out of range");
	if ((rc = get(r, &r->in.genesis_hash)))
		return rc;
	if (!cl_game_genesis_decode(&r->g, r->buf.p, r->buf.len))
		return verdict(r, CL_GAME_E_INPUT,
			       "the genesis is not a canonical valid one");
	if (!fetch_cb(&r->f, &r->deps, &r->in.deposits_hash))
		return CL_ERR_NOT_FOUND;
	n_deps = rec->deposits - rec->prev_deposits;
	if (n_deps > SIZE_MAX / CL_GAME_DEPOSIT_LEN ||
	    r->deps.len < n_deps * CL_GAME_DEPOSIT_LEN ||
	    !asset_part(r, n_deps * CL_GAME_DEPOSIT_LEN))
		return verdict(r, CL_GAME_E_INPUT,
			       "the deposits list has the wrong length");
	if (!fetch_cb(&r->f, &r->forced, &r->in.forced_hash))
		return CL_ERR_NOT_FOUND;
	n_forced = rec->forced - rec->prev_forced;
	if (n_forced > SIZE_MAX / CL_GAME_FORCED_LEN ||
	    r->forced.len != n_forced * CL_GAME_FORCED_LEN)
		return verdict(r, CL_GAME_E_INPUT,
			       "the forced list has the wrong length");

	if ((rc = get(r, &rec->data_hash)))
		return rc;
	cl_batch_limits_default(&lim);
	if (cl_batch2_decode(&r->b, r->buf.p, r->buf.len, &lim) != CL_BATCH_OK)
		return verdict(r, CL_GAME_WRONG,
			       "the batch data does not decode");
	cl_buf_release(&r->buf);
	if (r->rep)
		r->rep->n_blocks = (uint32_t)r->b.n_blocks;
	return check_batch(r);
}

/* Steps 3 and 4: block k through the stf on the walked pre-state. */
static int run_block(struct run *r)
{
	const struct cl_batch2_block *blk = &r->b.blocks[r->in.k];
	struct cl_block_header h;
	struct cl_hash32 root;
	int rc;

	memset(&h, 0, sizeof(h));
	h.number = blk->number;
	h.timestamp_ms = blk->timestamp_ms;
	h.prev_root = r->in.k ? r->b.blocks[r->in.k - 1].root : r->in.prev_root;
	h.l1 = blk->l1;
	if (r->rep)
		r->rep->posted = blk->root;

	rc = cl_state_new_walk(&r->st, &h.prev_root, fetch_cb, &r->f);
	if (rc)
		return r->f.missing
			   ? CL_ERR_NOT_FOUND
			   : verdict(r, CL_GAME_E_STATE,
				     "the pre-state tree is malformed");
	rc = cl_stf_new(&r->stf, r->st, &r->g);
	if (rc == CL_ERR_CONFIG)
		return verdict(r, CL_GAME_E_INPUT,
			       "the genesis is invalid or not the state's");
	if (rc)
		return verdict(r, CL_GAME_E_BACKEND, "the stf does not open");
	rc = cl_stf_open_block(r->stf, &h);
	if (rc > 0)
		return verdict(r, CL_GAME_WRONG, "block k's header is refused");
	if (rc < 0)
		return verdict(r, CL_GAME_E_BACKEND, "a state read failed");
	for (size_t i = 0; i < blk->n_txs; i++) {
		static const struct cl_hash32 zero;
		struct cl_tx tx = blk->txs[i];

		/* a cancel by sequence number is recovered by the stf */
		if (tx.type != CL_TX_CANCEL ||
		    !cl_hash32_eq(&tx.u.cancel.msg.order_hash, &zero))
			cl_tx_recover(&tx, cl_stf_domain(r->stf));
		rc = cl_stf_request(r->stf, NULL, &tx);
		if (rc > 0)
			return verdict(r, CL_GAME_WRONG,
				       "a request of block k is refused");
		if (rc < 0)
			return verdict(r, CL_GAME_E_BACKEND,
				       "a state read failed");
	}
	cl_stf_end_block(r->stf);
	if (cl_state_commit_block(r->st, &root) != CL_OK)
		return verdict(r, CL_GAME_E_BACKEND, "the commit failed");
	if (r->rep)
		r->rep->computed = root;
	if (!cl_hash32_eq(&root, &blk->root))
		return verdict(r, CL_GAME_WRONG,
			       "block k's posted root is not the stf's");
	return verdict(r, CL_GAME_RIGHT, "right");
}

int cl_game_verdict(struct cl_game_report *rep, const struct cl_hash32 *key,
		    cl_state_fetch_fn fetch, void *arg)
{
	struct run *r = cl_xcalloc(1, sizeof(*r));
	int rc;

	if (rep)
		memset(rep, 0, sizeof(*rep));
	r->rep = rep;
	r->f.fn = fetch;
	r->f.arg = arg;
	cl_buf_init(&r->buf);
	cl_buf_init(&r->deps);
	cl_buf_init(&r->forced);
	rc = load(r, key);
	if (rc == CL_GAME_RIGHT)
		rc = run_block(r);
	if (rc == CL_ERR_NOT_FOUND && rep)
		rep->why = "a preimage is missing";
	cl_stf_free(r->stf);
	cl_state_free(r->st);
	cl_batch2_release(&r->b);
	cl_buf_release(&r->buf);
	cl_buf_release(&r->deps);
	cl_buf_release(&r->forced);
	free(r);
	return rc;
}
