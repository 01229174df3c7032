/* SPDX-License-Identifier: MIT */
/*
 * Batch format version 2: seeded round trips of random batches (the seed
 * is printed; CL_TEST_SEED sets it), one-byte mutations that either fail
 * or re-encode to themselves, every refusal of the decoder and of the
 * encoder, and real signatures that recover to their signers after a
 * round trip.
 */
#include "dev_keys.h"
#include "test.h"

#include <clearline/batch.h>
#include <clearline/stf.h>

/* ------------------------------------------------------------------ */
/* random batches                                                      */
/* ------------------------------------------------------------------ */

static struct cl_address pool[6];

static uint64_t rnd_u64(void)
{
	switch (test_rand() % 5) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX - test_rand() % 3;
	case 2:
		return test_rand() % 200;
	case 3:
		return 1700000000 + test_rand() % 100000;
	}
	return test_rand();
}

static void rnd_addr(struct cl_address *a)
{
	if (test_rand() % 4) {
		*a = pool[test_rand() % 6];
		return;
	}
	for (int i = 0; i < 20; i++)
		a->b[i] = (uint8_t)test_rand();
}

static void rnd_sig(struct cl_sig *s)
{
	static const uint8_t v[4] = {0, 1, 27, 28};

	for (int i = 0; i < 64; i++)
		s->b[i] = (uint8_t)test_rand();
	s->b[64] = v[test_rand() % 4];
}

static void rnd_tx(struct cl_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	if (test_rand() % 12 == 0) {
		tx->type = CL_TX_ASSET_DEPOSIT;
		tx->u.asset_deposit.id =
		    test_rand() % 3 ? test_rand() % 50 : rnd_u64();
		tx->u.asset_deposit.asset =
		    test_rand() % 2 ? 1 + (uint32_t)(test_rand() % 3)
				    : (uint32_t)rnd_u64();
		rnd_addr(&tx->u.asset_deposit.to);
		tx->u.asset_deposit.amount = rnd_u64();
		return;
	}
	if (test_rand() % 12 == 0) {
		tx->type = CL_TX_ASSET_WITHDRAW;
		struct cl_asset_withdraw *m = &tx->u.asset_withdraw.msg;
		rnd_addr(&m->trader);
		rnd_addr(&m->recipient);
		m->asset = test_rand() % 2 ? 1 + (uint32_t)(test_rand() % 3)
					   : (uint32_t)rnd_u64();
		m->amount = rnd_u64();
		m->nonce = rnd_u64();
		rnd_sig(&tx->u.asset_withdraw.sig);
		return;
	}
	if (test_rand() % 12 == 0) {
		tx->type = CL_TX_SUBACCOUNT_ASSET_TRANSFER;
		struct cl_subaccount_asset_transfer *m =
		    &tx->u.subaccount_asset_transfer.msg;
		rnd_addr(&m->trader);
		m->from = (uint32_t)rnd_u64();
		m->to = (uint32_t)rnd_u64();
		m->asset = (uint32_t)rnd_u64();
		m->amount = rnd_u64();
		m->nonce = rnd_u64();
		rnd_sig(&tx->u.subaccount_asset_transfer.sig);
		return;
	}
	switch (test_rand() % 10) {
	case 0:
		tx->type = CL_TX_DEPOSIT;
		tx->u.deposit.id =
		    test_rand() % 3 ? test_rand() % 50 : rnd_u64();
		rnd_addr(&tx->u.deposit.to);
		tx->u.deposit.amount = rnd_u64();
		return;
	case 1:
		tx->type = CL_TX_CANCEL;
		rnd_addr(&tx->u.cancel.msg.trader);
		tx->u.cancel.order_seq = rnd_u64();
		rnd_sig(&tx->u.cancel.sig);
		return;
	case 2:
		tx->type = CL_TX_WITHDRAW;
		rnd_addr(&tx->u.withdraw.msg.trader);
		rnd_addr(&tx->u.withdraw.msg.recipient);
		tx->u.withdraw.msg.amount = rnd_u64();
		tx->u.withdraw.msg.nonce = rnd_u64();
		rnd_sig(&tx->u.withdraw.sig);
		return;
	case 3:
		tx->type = CL_TX_APPROVE_AGENT;
		rnd_addr(&tx->u.approve.msg.trader);
		rnd_addr(&tx->u.approve.msg.agent);
		tx->u.approve.msg.expiry = rnd_u64();
		tx->u.approve.msg.nonce = rnd_u64();
		rnd_sig(&tx->u.approve.sig);
		return;
	case 4:
		tx->type = CL_TX_ORACLE_PRICE;
		tx->u.oracle.msg.market = (uint32_t)rnd_u64();
		tx->u.oracle.msg.price = rnd_u64();
		tx->u.oracle.msg.timestamp = rnd_u64();
		tx->u.oracle.n_sigs = (uint32_t)(test_rand() % 17);
		for (uint32_t i = 0; i < tx->u.oracle.n_sigs; i++)
			rnd_sig(&tx->u.oracle.sigs[i]);
		return;
	case 6: {
		struct cl_tx_forced *f = &tx->u.forced;
		tx->type = CL_TX_FORCED;
		f->id = test_rand() % 3 ? test_rand() % 50 : rnd_u64();
		rnd_addr(&f->account);
		f->kind = (enum cl_forced_kind)(1 + test_rand() % 4);
		switch (f->kind) {
		case CL_FORCED_WITHDRAW:
			f->amount = 1 + rnd_u64() % UINT64_MAX;
			break;
		case CL_FORCED_CANCEL:
			f->order_seq = rnd_u64();
			break;
		case CL_FORCED_CANCEL_ALL:
			break;
		case CL_FORCED_CLOSE:
			f->market = (uint32_t)rnd_u64();
			f->price = 1 + rnd_u64() % UINT64_MAX;
			break;
		}
		return;
	}
	case 5: {
		struct cl_tx_oracle_update *u = &tx->u.oracle_update;
		tx->type = CL_TX_ORACLE_UPDATE;
		u->market = (uint32_t)rnd_u64();
		u->n = 1 + (uint32_t)(test_rand() % 16);
		for (uint32_t i = 0; i < u->n; i++) {
			u->e[i].price = rnd_u64();
			u->e[i].timestamp = rnd_u64();
			rnd_sig(&u->e[i].sig);
		}
		return;
	}
	}
	struct cl_order *o = &tx->u.place.order;
	tx->type = CL_TX_PLACE_ORDER;
	rnd_addr(&o->trader);
	o->market = test_rand() % 3 ? 1 + (uint32_t)(test_rand() % 3)
				    : (uint32_t)test_rand();
	o->is_buy = test_rand() & 1;
	o->price = test_rand() % 2 ? 650000 + test_rand() % 100 : rnd_u64();
	o->size = rnd_u64();
	o->nonce = rnd_u64();
	o->expiry = rnd_u64();
	o->flags = (uint8_t)(test_rand() % 16);
	rnd_sig(&tx->u.place.sig);
}

struct rblocks {
	struct cl_batch2_block *b;
	size_t n;
};

static void make_blocks(struct rblocks *r, size_t n)
{
	r->n = n;
	r->b = cl_xcalloc(n, sizeof(*r->b));
	uint64_t first = test_rand() % 4 ? test_rand() % 1000000 : rnd_u64();
	if (first > UINT64_MAX - n)
		first = UINT64_MAX - n;
	uint64_t t = test_rand() % 2 ? 1795000000000ull : rnd_u64() / 2;
	for (size_t i = 0; i < n; i++) {
		struct cl_batch2_block *b = &r->b[i];
		b->number = first + i;
		t += test_rand() % 3 ? 100 : test_rand() % 100000;
		b->timestamp_ms = t;
		if (i > 0 && test_rand() % 3)
			b->l1 = r->b[i - 1].l1;
		else if (i > 0 && test_rand() % 2)
			b->l1.number = r->b[i - 1].l1.number + 1;
		else
			b->l1.number = rnd_u64();
		if (test_rand() % 5 == 0)
			b->l1.timestamp = rnd_u64();
		if (test_rand() % 5 == 0)
			b->l1.hash.b[test_rand() % 32] ^= 1;
		for (int k = 0; k < 32; k++)
			b->root.b[k] = (uint8_t)test_rand();
		b->n_txs = test_rand() % 4 ? test_rand() % 12 : 0;
		b->txs =
		    cl_xcalloc(b->n_txs ? b->n_txs : 1, sizeof(struct cl_tx));
		for (size_t k = 0; k < b->n_txs; k++)
			rnd_tx(&b->txs[k]);
	}
}

static void free_blocks(struct rblocks *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->b[i].txs);
	free(r->b);
}

/* Same request: equal stf encodings (the hash of a cancel is not carried:
 * zero on both sides here) and the same cancel sequence number. */
static bool same_tx(const struct cl_tx *a, const struct cl_tx *b)
{
	struct cl_buf x, y;
	bool eq;

	if (a->type != b->type)
		return false;
	if (a->type == CL_TX_CANCEL &&
	    a->u.cancel.order_seq != b->u.cancel.order_seq)
		return false;
	cl_buf_init(&x);
	cl_buf_init(&y);
	cl_tx_encode(&x, a);
	cl_tx_encode(&y, b);
	eq = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
	cl_buf_release(&x);
	cl_buf_release(&y);
	return eq;
}

static bool same_blocks(const struct cl_batch2 *d,
			const struct cl_batch2_block *b, size_t n)
{
	if (d->n_blocks != n || d->first_block != b[0].number)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct cl_batch2_block *x = &d->blocks[i], *y = &b[i];
		if (x->number != y->number ||
		    x->timestamp_ms != y->timestamp_ms ||
		    x->l1.number != y->l1.number ||
		    x->l1.timestamp != y->l1.timestamp ||
		    !cl_hash32_eq(&x->l1.hash, &y->l1.hash) ||
		    !cl_hash32_eq(&x->root, &y->root) || x->n_txs != y->n_txs)
			return false;
		for (size_t t = 0; t < x->n_txs; t++) {
			if (!same_tx(&x->txs[t], &y->txs[t]))
				return false;
			/* decoded: auth not recovered, no order hash */
			if (x->txs[t].auth.recovered)
				return false;
		}
	}
	return true;
}

/* Decoding `p` either fails with nothing allocated or re-encodes to `p`. */
static bool canonical_or_refused(const uint8_t *p, size_t len,
				 const struct cl_batch_limits *lim)
{
	struct cl_batch2 d;
	struct cl_buf again;
	bool ok;

	if (cl_batch2_decode(&d, p, len, lim) != CL_BATCH_OK)
		return d.blocks == NULL && d.tx_store == NULL;
	cl_buf_init(&again);
	ok = cl_batch2_encode(&again, d.blocks, d.n_blocks) == CL_BATCH_OK &&
	     again.len == len && memcmp(again.p, p, len) == 0;
	cl_buf_release(&again);
	cl_batch2_release(&d);
	return ok;
}

static void round_trips(const struct cl_batch_limits *lim)
{
	struct cl_buf data, again;
	struct cl_batch2 d;

	cl_buf_init(&data);
	cl_buf_init(&again);
	for (int round = 0; round < 400; round++) {
		struct rblocks r;
		make_blocks(&r, 1 + test_rand() % 6);
		cl_buf_reset(&data);
		CHECK(cl_batch2_encode(&data, r.b, r.n) == CL_BATCH_OK);
		CHECK(data.p[0] == CL_BATCH_VERSION_2);
		enum cl_batch_err e =
		    cl_batch2_decode(&d, data.p, data.len, lim);
		CHECK_MSG(e == CL_BATCH_OK, "round %d: %s", round,
			  cl_batch_err_str(e));
		if (e != CL_BATCH_OK) {
			free_blocks(&r);
			continue;
		}
		CHECK(same_blocks(&d, r.b, r.n));
		cl_buf_reset(&again);
		CHECK(cl_batch2_encode(&again, d.blocks, d.n_blocks) ==
		      CL_BATCH_OK);
		CHECK(again.len == data.len &&
		      memcmp(again.p, data.p, data.len) == 0);
		cl_batch2_release(&d);
		CHECK(d.blocks == NULL && d.tx_store == NULL);

		/* every strict prefix is refused, nothing allocated */
		size_t cut = test_rand() % data.len;
		CHECK(cl_batch2_decode(&d, data.p, cut, lim) != CL_BATCH_OK);
		CHECK(d.blocks == NULL && d.tx_store == NULL);
		/* one flipped byte: refused, or canonical in its own right */
		for (int k = 0; k < 8; k++) {
			size_t at = test_rand() % data.len;
			uint8_t was = data.p[at];
			data.p[at] ^= (uint8_t)(1 + test_rand() % 255);
			CHECK_MSG(canonical_or_refused(data.p, data.len, lim),
				  "round %d: byte %zu", round, at);
			data.p[at] = was;
		}
		free_blocks(&r);
	}
	cl_buf_release(&data);
	cl_buf_release(&again);
}

/* ------------------------------------------------------------------ */
/* hand-made payloads for each refusal                                 */
/* ------------------------------------------------------------------ */

static void put_varint(struct cl_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		cl_buf_append_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	cl_buf_append_byte(b, (uint8_t)v);
}

static const uint8_t zero32[32];

/* version, first block 7, `nblocks`, `naddr` addresses 0x11.., 0x22..,
 * markets `mkts` */
static void header(struct cl_buf *b, uint64_t nblocks, size_t naddr,
		   size_t nmkt, const uint32_t *mkts)
{
	cl_buf_reset(b);
	cl_buf_append_byte(b, CL_BATCH_VERSION_2);
	put_varint(b, 7);
	put_varint(b, nblocks);
	put_varint(b, naddr);
	for (size_t i = 0; i < naddr; i++) {
		uint8_t a[20];
		memset(a, (int)(0x11 * (i + 1)), 20);
		cl_buf_append(b, a, 20);
	}
	put_varint(b, nmkt);
	for (size_t i = 0; i < nmkt; i++)
		put_varint(b, mkts[i]);
}

/* a block with its own L1 reference (or the previous one's) */
static void block(struct cl_buf *b, bool same_l1, uint64_t ntx)
{
	cl_buf_append_byte(b, same_l1 ? 1 : 0);
	put_varint(b, 100);
	if (!same_l1) {
		put_varint(b, 5);
		cl_buf_append(b, zero32, 32);
		put_varint(b, 9);
	}
	cl_buf_append(b, zero32, 32);
	put_varint(b, ntx);
}

/* a PLACE_ORDER by dictionary entry `t` in market entry `m` */
static void order(struct cl_buf *b, uint64_t t, uint64_t m)
{
	cl_buf_append_byte(b, 0x80 | 0x10 | (2 << 5)); /* buy, GTC, v 27 */
	put_varint(b, t);
	put_varint(b, m);
	put_varint(b, 1300000); /* zigzag of 650 000 */
	put_varint(b, 5);
	put_varint(b, 2);
	put_varint(b, 200);
}

static void sigs(struct cl_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t s[64];
		memset(s, (int)(i + 1), 64);
		cl_buf_append(b, s, 64);
	}
}

static enum cl_batch_err dec(const struct cl_buf *b,
			     const struct cl_batch_limits *lim)
{
	struct cl_batch2 d;
	enum cl_batch_err e = cl_batch2_decode(&d, b->p, b->len, lim);

	if (e == CL_BATCH_OK) {
		/* anything accepted is canonical */
		CHECK(canonical_or_refused(b->p, b->len, lim));
		cl_batch2_release(&d);
	} else {
		CHECK(d.blocks == NULL && d.tx_store == NULL &&
		      d.n_blocks == 0);
	}
	return e;
}

static void refusals(const struct cl_batch_limits *lim)
{
	struct cl_buf b;
	struct cl_batch_limits small;
	const uint32_t m1[2] = {1, 2}, mdup[2] = {3, 3};

	cl_buf_init(&b);

	/* a valid base: two blocks, two traders, two markets */
	header(&b, 2, 2, 2, m1);
	block(&b, false, 2);
	order(&b, 0, 0);
	order(&b, 1, 1);
	block(&b, true, 1);
	order(&b, 0, 0);
	sigs(&b, 3);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	size_t base_len = b.len;

	/* EMPTY: no bytes, zero blocks */
	struct cl_batch2 d;
	CHECK(cl_batch2_decode(&d, b.p, 0, lim) == CL_BATCH_EMPTY);
	header(&b, 0, 0, 0, NULL);
	CHECK(dec(&b, lim) == CL_BATCH_EMPTY);

	/* BAD_VERSION: version 1 data, an unknown version */
	header(&b, 1, 0, 0, NULL);
	block(&b, false, 0);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	b.p[0] = CL_BATCH_VERSION_1;
	CHECK(dec(&b, lim) == CL_BATCH_BAD_VERSION);
	b.p[0] = 3;
	CHECK(dec(&b, lim) == CL_BATCH_BAD_VERSION);
	b.p[0] = CL_BATCH_VERSION_2;

	/* TOO_LARGE: L1 bytes, payload */
	small = *lim;
	small.max_compressed = b.len - 1;
	CHECK(dec(&b, &small) == CL_BATCH_TOO_LARGE);
	small = *lim;
	small.max_payload = b.len - 2;
	CHECK(dec(&b, &small) == CL_BATCH_TOO_LARGE);

	/* MALFORMED: trailing byte, truncation, a varint over 64 bits */
	cl_buf_append_byte(&b, 0);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	b.len -= 2;
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, CL_BATCH_VERSION_2);
	for (int i = 0; i < 9; i++)
		cl_buf_append_byte(&b, 0xff);
	cl_buf_append_byte(&b, 0x02); /* bit 64 */
	put_varint(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	/* the largest 64-bit varint is fine: 2^64-1 as first block */
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, CL_BATCH_VERSION_2);
	for (int i = 0; i < 9; i++)
		cl_buf_append_byte(&b, 0xff);
	cl_buf_append_byte(&b, 0x01);
	put_varint(&b, 1);
	put_varint(&b, 0);
	put_varint(&b, 0);
	block(&b, false, 0);
	CHECK(dec(&b, lim) == CL_BATCH_OK);

	/* NOT_CANONICAL: an overlong varint (the block count 1 as 81 00) */
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, CL_BATCH_VERSION_2);
	put_varint(&b, 7);
	cl_buf_append_byte(&b, 0x81);
	cl_buf_append_byte(&b, 0x00);
	put_varint(&b, 0);
	put_varint(&b, 0);
	block(&b, false, 0);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);

	/* dictionary: index out of range; second entry used first; an
	 * unused entry; the same address twice; the same market twice */
	header(&b, 1, 2, 1, m1);
	block(&b, false, 2);
	order(&b, 0, 0);
	order(&b, 2, 0);
	sigs(&b, 2);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	header(&b, 1, 2, 1, m1);
	block(&b, false, 2);
	order(&b, 1, 0);
	order(&b, 0, 0);
	sigs(&b, 2);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);
	header(&b, 1, 2, 1, m1);
	block(&b, false, 1);
	order(&b, 0, 0);
	sigs(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);
	header(&b, 1, 2, 1, m1);
	memset(b.p + b.len - 2 - 20, 0x11, 20); /* entry 1 = entry 0 */
	block(&b, false, 2);
	order(&b, 0, 0);
	order(&b, 1, 0);
	sigs(&b, 2);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);
	header(&b, 1, 1, 2, mdup);
	block(&b, false, 2);
	order(&b, 0, 0);
	order(&b, 0, 1);
	sigs(&b, 2);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);
	header(&b, 1, 1, 2, m1);
	block(&b, false, 2);
	order(&b, 0, 1);
	order(&b, 0, 0);
	sigs(&b, 2);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);
	/* a market index out of range */
	header(&b, 1, 1, 1, m1);
	block(&b, false, 1);
	order(&b, 0, 1);
	sigs(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);

	/* blocks: the first cannot reuse a previous L1 reference, a
	 * reserved flag, an L1 reference repeated without the flag */
	header(&b, 1, 0, 0, NULL);
	block(&b, true, 0);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	header(&b, 2, 0, 0, NULL);
	block(&b, false, 0);
	block(&b, true, 0);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	b.p[b.len - 35] = 3;
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	header(&b, 2, 0, 0, NULL);
	block(&b, false, 0);
	cl_buf_append_byte(&b, 0);
	put_varint(&b, 100);
	put_varint(&b, 0); /* same number */
	cl_buf_append(&b, zero32, 32);
	put_varint(&b, 0); /* same time */
	cl_buf_append(&b, zero32, 32);
	put_varint(&b, 0);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CANONICAL);

	/* signatures: one short, one too many */
	header(&b, 1, 1, 1, m1);
	block(&b, false, 1);
	order(&b, 0, 0);
	sigs(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	b.len -= 1;
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	b.len += 1;
	sigs(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);

	/* NOT_CONSECUTIVE: numbers past 2^64 */
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, CL_BATCH_VERSION_2);
	put_varint(&b, UINT64_MAX);
	put_varint(&b, 2);
	put_varint(&b, 0);
	put_varint(&b, 0);
	block(&b, false, 0);
	block(&b, true, 0);
	CHECK(dec(&b, lim) == CL_BATCH_NOT_CONSECUTIVE);

	/* LIMIT: blocks, txs per block, txs per batch */
	header(&b, 2, 2, 2, m1);
	block(&b, false, 2);
	order(&b, 0, 0);
	order(&b, 1, 1);
	block(&b, true, 1);
	order(&b, 0, 0);
	sigs(&b, 3);
	CHECK(b.len == base_len);
	small = *lim;
	small.max_blocks = 1;
	CHECK(dec(&b, &small) == CL_BATCH_LIMIT);
	small = *lim;
	small.max_txs_per_block = 1;
	CHECK(dec(&b, &small) == CL_BATCH_LIMIT);
	small = *lim;
	small.max_txs = 2;
	CHECK(dec(&b, &small) == CL_BATCH_LIMIT);
	small.max_txs = 3;
	CHECK(dec(&b, &small) == CL_BATCH_OK);
	/* a count larger than the bytes left: refused before allocating */
	header(&b, 1, 0, 0, NULL);
	block(&b, false, 60000);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	header(&b, 100000, 0, 0, NULL);
	block(&b, false, 0);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, CL_BATCH_VERSION_2);
	put_varint(&b, 1);
	put_varint(&b, 1);
	put_varint(&b, 1000000); /* addresses */
	block(&b, false, 0);
	CHECK(dec(&b, lim) == CL_BATCH_MALFORMED);

	/* BAD_TX and DERIVED_TX: the head byte of one transaction */
	static const struct {
		uint8_t head;
		enum cl_batch_err want;
	} heads[] = {
	    {0x00, CL_BATCH_BAD_TX},	 {0x0f, CL_BATCH_BAD_TX},
	    {0x02, CL_BATCH_BAD_TX}, /* PLACE_ORDER, wrong form */
	    {0x45, CL_BATCH_BAD_TX}, /* bit 6: no extended type 21 */
	    {0x4f, CL_BATCH_BAD_TX}, /* ... nor 31 */
	    {0x11, CL_BATCH_BAD_TX}, /* v code on a DEPOSIT */
	    {0x17, CL_BATCH_BAD_TX}, /* ... an ORACLE_PRICE */
	    {0x19, CL_BATCH_BAD_TX}, /* ... an ORACLE_UPDATE */
	    {0x03, CL_BATCH_DERIVED_TX}, {0x08, CL_BATCH_DERIVED_TX},
	    {0x0a, CL_BATCH_DERIVED_TX}, {0x0b, CL_BATCH_DERIVED_TX},
	    {0x0c, CL_BATCH_DERIVED_TX}, {0x0d, CL_BATCH_DERIVED_TX},
	    {0x0e, CL_BATCH_DERIVED_TX},
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		header(&b, 1, 1, 0, NULL);
		block(&b, false, 1);
		cl_buf_append_byte(&b, heads[i].head);
		for (int k = 0; k < 8; k++)
			put_varint(&b, 0); /* enough fields for any type */
		CHECK_MSG(dec(&b, lim) == heads[i].want, "head 0x%02x",
			  heads[i].head);
	}
	/* a good DEPOSIT, then bad counts and v codes of the oracle types */
	header(&b, 1, 1, 0, NULL);
	block(&b, false, 1);
	cl_buf_append_byte(&b, CL_TX_DEPOSIT);
	put_varint(&b, 6); /* id 3 */
	put_varint(&b, 0);
	put_varint(&b, 1000);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	header(&b, 1, 0, 0, NULL);
	block(&b, false, 1);
	cl_buf_append_byte(&b, CL_TX_ORACLE_PRICE);
	put_varint(&b, 1);
	put_varint(&b, 650000);
	put_varint(&b, 0);
	put_varint(&b, 1);
	cl_buf_append_byte(&b, 3);
	sigs(&b, 1);
	CHECK(dec(&b, lim) == CL_BATCH_OK);
	b.p[b.len - 65] = 4; /* v code 4 */
	CHECK(dec(&b, lim) == CL_BATCH_BAD_TX);
	header(&b, 1, 0, 0, NULL);
	block(&b, false, 1);
	cl_buf_append_byte(&b, CL_TX_ORACLE_PRICE);
	put_varint(&b, 1);
	put_varint(&b, 650000);
	put_varint(&b, 0);
	put_varint(&b, 17); /* 17 signatures */
	for (int k = 0; k < 17; k++)
		cl_buf_append_byte(&b, 0);
	sigs(&b, 17);
	CHECK(dec(&b, lim) == CL_BATCH_BAD_TX);
	/* forced requests: valid, then each field broken */
	{
		static const struct {
			uint8_t head, kind;
			uint64_t a, b;
			int fields; /* varints after the kind */
			enum cl_batch_err want;
		} fc[] = {
		    {CL_TX_FORCED, CL_FORCED_WITHDRAW, 5, 0, 1, CL_BATCH_OK},
		    {CL_TX_FORCED, CL_FORCED_CANCEL, 0, 0, 1, CL_BATCH_OK},
		    {CL_TX_FORCED, CL_FORCED_CANCEL_ALL, 0, 0, 0, CL_BATCH_OK},
		    {CL_TX_FORCED, CL_FORCED_CLOSE, 1, 9, 2, CL_BATCH_OK},
		    {CL_TX_FORCED | 1 << 4, CL_FORCED_CANCEL_ALL, 0, 0, 0,
		     CL_BATCH_BAD_TX}, /* a v code on an unsigned type */
		    {CL_TX_FORCED, 0, 0, 0, 0, CL_BATCH_BAD_TX},
		    {CL_TX_FORCED, 5, 0, 0, 0, CL_BATCH_BAD_TX},
		    {CL_TX_FORCED, CL_FORCED_WITHDRAW, 0, 0, 1,
		     CL_BATCH_BAD_TX}, /* amount 0 */
		    {CL_TX_FORCED, CL_FORCED_CLOSE, 1, 0, 2,
		     CL_BATCH_BAD_TX}, /* price 0 */
		    {CL_TX_FORCED, CL_FORCED_CLOSE, 1ull << 32, 9, 2,
		     CL_BATCH_BAD_TX}, /* market above 32 bits */
		    {CL_TX_FORCED, CL_FORCED_CANCEL_ALL, 0, 0, 1,
		     CL_BATCH_MALFORMED}, /* a field the kind has not */
		};
		for (size_t k = 0; k < sizeof(fc) / sizeof(fc[0]); k++) {
			header(&b, 1, 1, 0, NULL);
			block(&b, false, 1);
			cl_buf_append_byte(&b, fc[k].head);
			put_varint(&b, 0); /* id 0 */
			put_varint(&b, 0); /* address entry 0 */
			cl_buf_append_byte(&b, fc[k].kind);
			if (fc[k].fields >= 1)
				put_varint(&b, fc[k].a);
			if (fc[k].fields >= 2)
				put_varint(&b, fc[k].b);
			CHECK_MSG(dec(&b, lim) == fc[k].want, "forced case %zu",
				  k);
		}
	}
	for (uint64_t n = 0; n <= 17; n += 17) {
		header(&b, 1, 0, 0, NULL);
		block(&b, false, 1);
		cl_buf_append_byte(&b, CL_TX_ORACLE_UPDATE);
		put_varint(&b, 1);
		put_varint(&b, n); /* 0 or 17 entries */
		for (uint64_t k = 0; k < n; k++) {
			put_varint(&b, 1);
			put_varint(&b, 0);
			cl_buf_append_byte(&b, 0);
		}
		sigs(&b, n);
		CHECK(dec(&b, lim) == CL_BATCH_BAD_TX);
	}
	cl_buf_release(&b);
}

/* The encoder refuses what v2 cannot carry and leaves `out` alone. */
static void unencodable(void)
{
	struct cl_batch2_block blk[2];
	struct cl_tx tx;
	struct cl_buf out;
	static const int derived[] = {
	    CL_TX_FILL,
	    CL_TX_ORDER_DONE,
	    CL_TX_LIQUIDATE,
	    CL_TX_ADL,
	    CL_TX_LIQUIDATE_FILL,
	    CL_TX_FUND_FILL,
	    CL_TX_REINDEX,
	    0,
	    21,
	};

	cl_buf_init(&out);
	cl_buf_append(&out, "xyz", 3);
	memset(blk, 0, sizeof(blk));
	blk[0].number = 4;
	blk[0].timestamp_ms = 1000;
	blk[0].n_txs = 1;
	blk[0].txs = &tx;
	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		memset(&tx, 0, sizeof(tx));
		tx.type = (enum cl_tx_type)derived[i];
		CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	}
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	tx.u.place.sig.b[64] = 27;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_OK);
	CHECK(out.len > 3 && out.p[3] == CL_BATCH_VERSION_2);
	out.len = 3;
	tx.u.place.order.flags = 0x10;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	tx.u.place.order.flags = 0;
	tx.u.place.sig.b[64] = 29;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	/* a forced request with no kind, a zero amount or price */
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_FORCED;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	tx.u.forced.kind = CL_FORCED_WITHDRAW;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	tx.u.forced.kind = CL_FORCED_CLOSE;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	tx.u.forced.kind = 5;
	tx.u.forced.price = 1;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.n_sigs = 17;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	tx.type = CL_TX_ORACLE_UPDATE;
	tx.u.oracle_update.n = 0;
	CHECK(cl_batch2_encode(&out, blk, 1) == CL_BATCH_UNENCODABLE);
	/* a block older than the one before */
	blk[0].n_txs = 0;
	blk[1] = blk[0];
	blk[1].number = 5;
	blk[1].timestamp_ms = 999;
	CHECK(cl_batch2_encode(&out, blk, 2) == CL_BATCH_UNENCODABLE);
	CHECK(out.len == 3 && memcmp(out.p, "xyz", 3) == 0);
	blk[1].timestamp_ms = 1000;
	CHECK(cl_batch2_encode(&out, blk, 2) == CL_BATCH_OK);
	cl_buf_release(&out);
}

/* ASSET_DEPOSIT (24): an extended head 0x48, unsigned; its bytes as
 * docs/batch-format.md gives them; a v code is refused. */
static void asset_deposits(const struct cl_batch_limits *lim)
{
	struct cl_batch2_block blk;
	struct cl_tx tx[2];
	struct cl_buf out;
	struct cl_batch2 d;

	memset(&blk, 0, sizeof(blk));
	memset(tx, 0, sizeof(tx));
	blk.number = 9;
	blk.timestamp_ms = 1000;
	blk.n_txs = 2;
	blk.txs = tx;
	for (int i = 0; i < 2; i++) {
		tx[i].type = CL_TX_ASSET_DEPOSIT;
		tx[i].u.asset_deposit.id = 5 + (uint64_t)i;
		tx[i].u.asset_deposit.asset = 2;
		memset(tx[i].u.asset_deposit.to.b, 0x31, 20);
		tx[i].u.asset_deposit.amount = 300;
	}
	cl_buf_init(&out);
	CHECK(cl_batch2_encode(&out, &blk, 1) == CL_BATCH_OK);
	/* 48 0a 02 00 ac 02: zz(5 − 0) = 10, asset 2, address 0, 300;
	 * then 48 00 02 00 ac 02: the next id is the previous one + 1 */
	static const uint8_t want[] = {0x48, 0x0a, 0x02, 0x00, 0xac, 0x02,
				       0x48, 0x00, 0x02, 0x00, 0xac, 0x02};
	size_t at = 0;
	for (size_t i = 0; i + sizeof(want) <= out.len; i++)
		if (memcmp(out.p + i, want, sizeof(want)) == 0)
			at = i;
	CHECK(at != 0);
	CHECK(cl_batch2_decode(&d, out.p, out.len, lim) == CL_BATCH_OK);
	CHECK(d.n_blocks == 1 && d.blocks[0].n_txs == 2);
	CHECK(same_tx(&d.blocks[0].txs[0], &tx[0]));
	CHECK(same_tx(&d.blocks[0].txs[1], &tx[1]));
	cl_batch2_release(&d);
	CHECK(canonical_or_refused(out.p, out.len, lim));
	/* a v code on the unsigned type */
	if (at) {
		out.p[at] = 0x58;
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
	}
	cl_buf_release(&out);
}

/* ASSET_WITHDRAW (29): head 0x4d with its v code, the trader and
 * recipient entries, then varints; an asset of 2^32 is refused. */
static void asset_withdrawals(const struct cl_batch_limits *lim)
{
	struct cl_batch2_block blk;
	struct cl_tx tx;
	struct cl_buf out, bad;
	struct cl_batch2 d;

	memset(&blk, 0, sizeof(blk));
	memset(&tx, 0, sizeof(tx));
	blk.number = 9;
	blk.timestamp_ms = 1000;
	blk.n_txs = 1;
	blk.txs = &tx;
	tx.type = CL_TX_ASSET_WITHDRAW;
	memset(tx.u.asset_withdraw.msg.trader.b, 0x31, 20);
	memset(tx.u.asset_withdraw.msg.recipient.b, 0x32, 20);
	tx.u.asset_withdraw.msg.asset = 3;
	tx.u.asset_withdraw.msg.amount = 300;
	tx.u.asset_withdraw.msg.nonce = 7;
	memset(tx.u.asset_withdraw.sig.b, 0x11, 64);
	tx.u.asset_withdraw.sig.b[64] = 28;
	cl_buf_init(&out);
	CHECK(cl_batch2_encode(&out, &blk, 1) == CL_BATCH_OK);
	/* 7d: extended (0x40) type 29 − 16 = 0x0d, v code 3 (v = 28);
	 * trader 0, recipient 1, asset 3, amount 300, nonce 7 */
	static const uint8_t want[] = {0x7d, 0x00, 0x01, 0x03,
				       0xac, 0x02, 0x07};
	size_t at = 0;
	for (size_t i = 0; i + sizeof(want) <= out.len; i++)
		if (memcmp(out.p + i, want, sizeof(want)) == 0)
			at = i;
	CHECK(at != 0);
	CHECK(cl_batch2_decode(&d, out.p, out.len, lim) == CL_BATCH_OK);
	CHECK(d.n_blocks == 1 && d.blocks[0].n_txs == 1);
	CHECK(same_tx(&d.blocks[0].txs[0], &tx));
	cl_batch2_release(&d);
	CHECK(canonical_or_refused(out.p, out.len, lim));
	if (at) {
		/* the asset as 2^32 (80 80 80 80 10): not a uint32 */
		static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x10};
		cl_buf_init(&bad);
		cl_buf_append(&bad, out.p, at + 3);
		cl_buf_append(&bad, big, sizeof(big));
		cl_buf_append(&bad, out.p + at + 4, out.len - at - 4);
		CHECK(cl_batch2_decode(&d, bad.p, bad.len, lim) ==
		      CL_BATCH_BAD_TX);
		/* 2^32 − 1 (ff ff ff ff 0f) is one */
		bad.p[at + 3] = 0xff;
		bad.p[at + 4] = 0xff;
		bad.p[at + 5] = 0xff;
		bad.p[at + 6] = 0xff;
		bad.p[at + 7] = 0x0f;
		CHECK(cl_batch2_decode(&d, bad.p, bad.len, lim) == CL_BATCH_OK);
		CHECK(d.blocks[0].txs[0].u.asset_withdraw.msg.asset ==
		      UINT32_MAX);
		cl_batch2_release(&d);
		cl_buf_release(&bad);
	}
	cl_buf_release(&out);
}

/*
 * A block of the one transaction `tx` encoded into `out`; checks that it
 * decodes to the same transaction and is canonical, and returns where
 * the bytes `want` are in it (0: not found, a failed check).
 */
static size_t one_tx_block(struct cl_buf *out, const struct cl_tx *tx,
			   const uint8_t *want, size_t want_len,
			   const struct cl_batch_limits *lim)
{
	struct cl_batch2_block blk;
	struct cl_batch2 d;
	size_t at = 0;

	memset(&blk, 0, sizeof(blk));
	blk.number = 9;
	blk.timestamp_ms = 1000;
	blk.n_txs = 1;
	blk.txs = (struct cl_tx *)tx;
	CHECK(cl_batch2_encode(out, &blk, 1) == CL_BATCH_OK);
	for (size_t i = 0; i + want_len <= out->len; i++)
		if (memcmp(out->p + i, want, want_len) == 0)
			at = i;
	CHECK(at != 0);
	CHECK(cl_batch2_decode(&d, out->p, out->len, lim) == CL_BATCH_OK);
	CHECK(d.n_blocks == 1 && d.blocks[0].n_txs == 1 &&
	      same_tx(&d.blocks[0].txs[0], tx));
	cl_batch2_release(&d);
	CHECK(canonical_or_refused(out->p, out->len, lim));
	return at;
}

/* PORTFOLIO_MODE (34): a wide type, head 0x00 with the v code then the
 * number 0x22; a wide number under 32 or unknown is refused. */
static void wide_types(const struct cl_batch_limits *lim)
{
	struct cl_tx tx;
	struct cl_buf out;
	struct cl_batch2 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PORTFOLIO_MODE;
	memset(tx.u.portfolio_mode.msg.trader.b, 0x31, 20);
	tx.u.portfolio_mode.msg.enabled = true;
	tx.u.portfolio_mode.msg.nonce = 300;
	memset(tx.u.portfolio_mode.sig.b, 0x11, 64);
	tx.u.portfolio_mode.sig.b[64] = 1; /* v code 1 */
	cl_buf_init(&out);
	/* 10 22 01 00 ac 02: v code 1, type 34, enabled, address 0, 300 */
	static const uint8_t want[] = {0x10, 0x22, 0x01, 0x00, 0xac, 0x02};
	size_t at = one_tx_block(&out, &tx, want, sizeof(want), lim);
	if (at) {
		/* a wide number with its own head form, an unknown one, an
		 * enabled byte above 1 */
		out.p[at + 1] = 0x1a;
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
		out.p[at + 1] = 0x23;
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
		out.p[at + 1] = 0x22;
		out.p[at + 2] = 2;
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
	}
	cl_buf_release(&out);
}

/* OPTION_LIST (32): a wide type with its symbol as length and bytes;
 * a symbol over 16 bytes or with a NUL is refused. */
static void wide_option_list(const struct cl_batch_limits *lim)
{
	struct cl_tx tx;
	struct cl_buf out;
	struct cl_batch2 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_OPTION_LIST;
	tx.u.option_list.msg.template_market = 4;
	tx.u.option_list.msg.kind = 2;
	tx.u.option_list.msg.strike = 580000;
	tx.u.option_list.msg.expiry = 1700086400;
	tx.u.option_list.msg.nonce = 3;
	memcpy(tx.u.option_list.msg.symbol, "BTC-P", 5);
	memset(tx.u.option_list.sig.b, 0x11, 64);
	tx.u.option_list.sig.b[64] = 0; /* v code 0 */
	cl_buf_init(&out);
	/* 00 20 04 02 ..: v code 0, type 32, template 4, kind 2, then
	 * varints; the symbol after the nonce */
	static const uint8_t want[] = {0x03, 0x05, 'B', 'T', 'C', '-', 'P'};
	size_t at = one_tx_block(&out, &tx, want, sizeof(want), lim);
	if (at) {
		out.p[at + 3] = 0; /* a NUL in the symbol */
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
		out.p[at + 3] = 'T';
		out.p[at + 1] = 17; /* longer than 16 */
		CHECK(cl_batch2_decode(&d, out.p, out.len, lim) ==
		      CL_BATCH_BAD_TX);
	}
	cl_buf_release(&out);
}

/* ------------------------------------------------------------------ */
/* real signatures                                                     */
/* ------------------------------------------------------------------ */

static void signatures(const struct cl_batch_limits *lim)
{
	enum { NK = 4, NTX = 7 };
	struct cl_seckey *k[NK];
	struct cl_address a[NK];
	struct cl_eip712_domain dom;
	struct cl_address rollup;
	struct cl_tx txs[NTX];
	struct cl_hash32 dg, order_hash;
	struct cl_buf data;
	struct cl_batch2 d;

	for (int i = 0; i < NK; i++) {
		CHECK(dev_key(&k[i], (unsigned)i, "batch2"));
		cl_seckey_address(&a[i], k[i]);
	}
	memset(rollup.b, 0xe7, 20);
	cl_eip712_domain_init(&dom, 31337, &rollup);
	memset(txs, 0, sizeof(txs));

	struct cl_order *o = &txs[0].u.place.order;
	txs[0].type = CL_TX_PLACE_ORDER;
	o->trader = a[0];
	o->market = 2;
	o->is_buy = true;
	o->price = 650012;
	o->size = 30;
	o->nonce = 77;
	o->expiry = 1795000900;
	o->flags = CL_ORDER_POST_ONLY;
	cl_order_digest(&order_hash, &dom, o);
	CHECK(cl_sign_digest(&txs[0].u.place.sig, k[0], &order_hash) == CL_OK);
	/* the same order by key 1 with v as 0/1 */
	txs[1] = txs[0];
	txs[1].u.place.order.trader = a[1];
	cl_order_digest(&dg, &dom, &txs[1].u.place.order);
	CHECK(cl_sign_digest(&txs[1].u.place.sig, k[1], &dg) == CL_OK);
	if (txs[1].u.place.sig.b[64] >= 27)
		txs[1].u.place.sig.b[64] -= 27;

	txs[2].type = CL_TX_CANCEL;
	txs[2].u.cancel.msg.trader = a[0];
	txs[2].u.cancel.msg.order_hash = order_hash;
	txs[2].u.cancel.order_seq = 41;
	cl_cancel_digest(&dg, &dom, &txs[2].u.cancel.msg);
	CHECK(cl_sign_digest(&txs[2].u.cancel.sig, k[0], &dg) == CL_OK);

	txs[3].type = CL_TX_WITHDRAW;
	txs[3].u.withdraw.msg.trader = a[2];
	txs[3].u.withdraw.msg.recipient = a[3];
	txs[3].u.withdraw.msg.amount = 1000000;
	txs[3].u.withdraw.msg.nonce = 3;
	cl_withdraw_digest(&dg, &dom, &txs[3].u.withdraw.msg);
	CHECK(cl_sign_digest(&txs[3].u.withdraw.sig, k[2], &dg) == CL_OK);

	txs[4].type = CL_TX_APPROVE_AGENT;
	txs[4].u.approve.msg.trader = a[3];
	txs[4].u.approve.msg.agent = a[1];
	txs[4].u.approve.msg.expiry = 1795086400;
	txs[4].u.approve.msg.nonce = 4;
	cl_approve_agent_digest(&dg, &dom, &txs[4].u.approve.msg);
	CHECK(cl_sign_digest(&txs[4].u.approve.sig, k[3], &dg) == CL_OK);

	txs[5].type = CL_TX_ORACLE_PRICE;
	txs[5].u.oracle.msg.market = 2;
	txs[5].u.oracle.msg.price = 650000;
	txs[5].u.oracle.msg.timestamp = 1795000000;
	txs[5].u.oracle.n_sigs = 2;
	cl_oracle_price_digest(&dg, &dom, &txs[5].u.oracle.msg);
	CHECK(cl_sign_digest(&txs[5].u.oracle.sigs[0], k[1], &dg) == CL_OK);
	CHECK(cl_sign_digest(&txs[5].u.oracle.sigs[1], k[2], &dg) == CL_OK);

	txs[6].type = CL_TX_ORACLE_UPDATE;
	txs[6].u.oracle_update.market = 1;
	txs[6].u.oracle_update.n = 3;
	for (uint32_t i = 0; i < 3; i++) {
		struct cl_oracle_price m = {1, 64000 + i, 1794999999 + i};
		struct cl_oracle_entry *e = &txs[6].u.oracle_update.e[i];
		e->price = m.price;
		e->timestamp = m.timestamp;
		cl_oracle_price_digest(&dg, &dom, &m);
		CHECK(cl_sign_digest(&e->sig, k[i], &dg) == CL_OK);
	}

	struct cl_batch2_block blk;
	memset(&blk, 0, sizeof(blk));
	blk.number = 12;
	blk.timestamp_ms = 1795000000100ull;
	blk.l1.number = 20000000;
	blk.l1.timestamp = 1794999990;
	memset(blk.l1.hash.b, 0x5a, 32);
	blk.n_txs = NTX;
	blk.txs = txs;
	cl_buf_init(&data);
	CHECK(cl_batch2_encode(&data, &blk, 1) == CL_BATCH_OK);
	CHECK(cl_batch2_decode(&d, data.p, data.len, lim) == CL_BATCH_OK);
	CHECK(d.n_blocks == 1 && d.blocks[0].n_txs == NTX);
	if (d.n_blocks != 1 || d.blocks[0].n_txs != NTX)
		goto out;
	struct cl_tx *x = d.blocks[0].txs;
	/* the cancel arrives with its sequence number and no hash: the stf
	 * finds the hash; here the test knows it */
	CHECK(x[2].u.cancel.order_seq == 41);
	CHECK(cl_hash32_eq(&x[2].u.cancel.msg.order_hash,
			   &(struct cl_hash32){{0}}));
	x[2].u.cancel.msg.order_hash = order_hash;
	const struct cl_address *want[NTX] = {&a[0], &a[1], &a[0], &a[2],
					      &a[3], &a[1], &a[0]};
	for (int i = 0; i < NTX; i++) {
		cl_tx_recover(&x[i], &dom);
		CHECK(x[i].auth.recovered);
		CHECK_MSG(x[i].auth.err[0] == CL_SIG_OK &&
			      cl_address_eq(&x[i].auth.signer[0], want[i]),
			  "tx %d", i);
	}
	CHECK(cl_hash32_eq(&x[0].auth.digest, &order_hash));
	CHECK(x[5].auth.err[1] == CL_SIG_OK &&
	      cl_address_eq(&x[5].auth.signer[1], &a[2]));
	for (int i = 1; i < 3; i++)
		CHECK(x[6].auth.err[i] == CL_SIG_OK &&
		      cl_address_eq(&x[6].auth.signer[i], &a[i]));
	/* v as sent: 0/1 stays 0/1 */
	CHECK(x[1].u.place.sig.b[64] == txs[1].u.place.sig.b[64]);
	cl_batch2_release(&d);
out:
	cl_buf_release(&data);
	for (int i = 0; i < NK; i++)
		cl_seckey_free(k[i]);
}

/*
 * The order kinds' forms (extended head bytes 0x40 | type - 16, the v
 * code in bits 4-5): one well-formed transaction of each, then each
 * field made hostile. Every signed type carries one signature.
 */
static void order_kinds(const struct cl_batch_limits *lim)
{
	static const uint32_t mk[1] = {1};
	struct cl_buf b;
	static const struct {
		const char *what;
		uint8_t head, flags;
		int n;           /* id length, legs; -1: none */
		uint8_t first;   /* the id's first byte */
		uint64_t big;    /* a TWAP's slices */
		enum cl_batch_err want;
	} cases[] = {
	    {"schedule cancel", 0x40, 0, -1, 0, 0, CL_BATCH_OK},
	    {"client order", 0x41, 0x1d, 2, 1, 0, CL_BATCH_OK},
	    {"client order, id of length 0", 0x41, 0, 0, 1, 0,
	     CL_BATCH_BAD_TX},
	    {"client order, id of length 17", 0x41, 0, 17, 1, 0,
	     CL_BATCH_BAD_TX},
	    {"client order, id with a leading zero", 0x41, 0, 2, 0, 0,
	     CL_BATCH_NOT_CANONICAL},
	    {"client order, flag bit 5", 0x41, 0x20, 2, 1, 0,
	     CL_BATCH_BAD_TX},
	    {"trigger order", 0x42, 0x7f, -1, 0, 0, CL_BATCH_OK},
	    {"trigger order, flag bit 7", 0x42, 0x80, -1, 0, 0,
	     CL_BATCH_BAD_TX},
	    {"scale order", 0x43, 0x10, 3, 0, 0, CL_BATCH_OK},
	    {"scale order, no leg", 0x43, 0, 0, 0, 0, CL_BATCH_BAD_TX},
	    {"scale order, 17 legs", 0x43, 0, 17, 0, 0, CL_BATCH_BAD_TX},
	    {"scale order, flag bit 5", 0x43, 0x20, 1, 0, 0,
	     CL_BATCH_BAD_TX},
	    {"twap order", 0x44, 0x30, -1, 0, 3, CL_BATCH_OK},
	    {"twap order, flag bit 0", 0x44, 0x01, -1, 0, 3,
	     CL_BATCH_BAD_TX},
	    {"twap order, 2^32 slices", 0x44, 0, -1, 0, 1ull << 32,
	     CL_BATCH_BAD_TX},
	    {"schedule cancel, v code 3", 0x70, 0, -1, 0, 0, CL_BATCH_OK},
	};

	cl_buf_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t type = cases[i].head & 0x0f;
		/* a schedule cancel names no market: no dictionary entry */
		header(&b, 1, 1, type == 0 ? 0 : 1, mk);
		block(&b, false, 1);
		cl_buf_append_byte(&b, cases[i].head);
		switch (type) {
		case 0: /* trader, time, nonce */
			put_varint(&b, 0);
			put_varint(&b, 4);
			put_varint(&b, 9);
			break;
		case 1: /* flags, the order's fields, the id */
			cl_buf_append_byte(&b, cases[i].flags);
			put_varint(&b, 0);
			put_varint(&b, 0);
			for (int k = 0; k < 4; k++)
				put_varint(&b, 2);
			cl_buf_append_byte(&b, (uint8_t)cases[i].n);
			for (int k = 0; k < cases[i].n; k++)
				cl_buf_append_byte(&b, k ? 0x55 : cases[i].first);
			break;
		case 2: /* flags, trader, market, 6 fields */
			cl_buf_append_byte(&b, cases[i].flags);
			put_varint(&b, 0);
			put_varint(&b, 0);
			for (int k = 0; k < 6; k++)
				put_varint(&b, 3);
			break;
		case 3: /* flags, trader, market, nonce, expiry, legs */
			cl_buf_append_byte(&b, cases[i].flags);
			put_varint(&b, 0);
			put_varint(&b, 0);
			put_varint(&b, 1);
			put_varint(&b, 2);
			cl_buf_append_byte(&b, (uint8_t)cases[i].n);
			for (int k = 0; k < cases[i].n; k++) {
				put_varint(&b, 100 + (uint64_t)k);
				put_varint(&b, 5);
			}
			break;
		case 4: /* flags, trader, market, size, interval, slices,
			 * slippage, nonce */
			cl_buf_append_byte(&b, cases[i].flags);
			put_varint(&b, 0);
			put_varint(&b, 0);
			put_varint(&b, 30);
			put_varint(&b, 10);
			put_varint(&b, cases[i].big);
			put_varint(&b, 5000);
			put_varint(&b, 1);
			break;
		}
		sigs(&b, 1);
		CHECK_MSG(dec(&b, lim) == cases[i].want, "%s", cases[i].what);
	}
	cl_buf_release(&b);
}

int main(void)
{
	struct cl_batch_limits lim;

	CHECK(cl_crypto_init() == CL_OK);
	test_seed();
	for (int i = 0; i < 6; i++)
		memset(pool[i].b, 0x31 + i, 20);
	cl_batch_limits_default(&lim);
	round_trips(&lim);
	refusals(&lim);
	unencodable();
	asset_deposits(&lim);
	asset_withdrawals(&lim);
	wide_option_list(&lim);
	wide_types(&lim);
	signatures(&lim);
	order_kinds(&lim);
	return test_done("batch2");
}
