/* SPDX-License-Identifier: MIT */
/*
 * The order kinds of docs/protocol.md "Order kinds", through the
 * derivation layer, on the memory backend and on LMDB (the roots must
 * agree):
 *  - the encodings: SCHEDULE_CANCEL is 102 bytes and CLIENT_ORDER 140,
 *    both round-trip, a CLIENT_ORDER with a zero id is not a
 *    transaction; both travel in a version 2 batch;
 *  - SCHEDULE_CANCEL rules with their numbers: the nonce must exceed the
 *    last one (a replay is refused), the time is 0 or in (now, now +
 *    horizon], an agent may sign, a stranger may not;
 *  - the switch fires at the first block whose time (s) reaches T and
 *    not before: every open order of the trader is closed (reason
 *    scheduled_cancel), its reservation released, the book emptied of
 *    them, other traders untouched, the switch disarmed with its nonce
 *    kept; renewing moves T; T = 0 disarms; ORDER_DONE with that reason
 *    is refused when no switch is due;
 *  - client order ids: carried in the record, found by trader and id
 *    while the order is open, refused (CLOID_IN_USE, nothing changed)
 *    while in use by the same trader, free again once the order is
 *    filled, cancelled or closed by the switch; another trader may use
 *    the same id; a ClientOrder and an Order of the same fields have
 *    different hashes.
 */
#include "stf_util.h"

#include <clearline/batch.h>

#define P(usd) ((uint64_t)(usd) * 100)     /* BTC price, cents */
#define SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */
#define TIF(t) ((uint8_t)((t) << CL_ORDER_TIF_SHIFT))

static int req(struct tenv *e, struct cl_stf_result *r, struct cl_tx tx)
{
	struct cl_buf b, b2;
	struct cl_tx dec;

	/* as a block carries it: encoded, decoded, the same bytes again */
	cl_buf_init(&b);
	cl_buf_init(&b2);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == cl_tx_encoded_len(&tx));
	CHECK(cl_tx_decode(&dec, b.p, b.len));
	cl_tx_encode(&b2, &dec);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	cl_buf_release(&b);
	cl_buf_release(&b2);
	cl_tx_recover(&dec, cl_stf_domain(e->stf));
	return cl_stf_request(e->stf, r, &dec);
}

static void open_next(struct tenv *e, uint64_t advance_ms)
{
	struct cl_block_header h;

	if (e->in_block)
		cl_stf_end_block(e->stf);
	t_commit(e);
	h.number = ++e->number;
	e->ms += advance_ms;
	h.timestamp_ms = e->ms;
	h.prev_root = e->root;
	h.l1 = t_l1_at(e->ms);
	CHECK(cl_stf_open_block(e->stf, &h) == CL_STF_OK);
	e->in_block = true;
}

static void fund(struct tenv *e, int who, int64_t usd)
{
	struct cl_stf_result r;
	CHECK(req(e, &r, t_deposit(e->next_deposit++, &e->addr[who],
				   (uint64_t)(usd * T_USD))) == CL_STF_OK);
}

static void price(struct tenv *e, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];
	struct cl_stf_result r;
	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	CHECK(req(e, &r, t_oracle_update(e, T_BTC, ps, ts, e->okey, 3)) ==
	      CL_STF_OK);
}

static struct cl_order order(struct tenv *e, int who, bool buy, uint64_t p,
			     uint64_t sz, uint8_t flags)
{
	return t_order(&e->addr[who], T_BTC, buy, p, sz, e->order_nonce++,
		       tenv_now(e) + 3600, flags);
}

static int place(struct tenv *e, struct cl_stf_result *r,
		 const struct cl_order *o, int who)
{
	return req(e, r, t_place(e, o, e->key[who]));
}

static struct cl_cloid cloid_of(uint64_t hi, uint64_t lo)
{
	struct cl_cloid c;
	cl_put_be64(c.b, hi);
	cl_put_be64(c.b + 8, lo);
	return c;
}

static struct cl_tx client_tx(struct tenv *e, const struct cl_order *o,
			      const struct cl_cloid *id,
			      const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_CLIENT_ORDER};
	struct cl_client_order co = {.order = *o, .cloid = *id};
	struct cl_hash32 d;

	tx.u.place.order = *o;
	tx.u.place.cloid = *id;
	cl_client_order_digest(&d, cl_stf_domain(e->stf), &co);
	t_sign(&tx.u.place.sig, signer, &d);
	return tx;
}

static struct cl_hash32 client_hash(struct tenv *e, const struct cl_order *o,
				    const struct cl_cloid *id)
{
	struct cl_client_order co = {.order = *o, .cloid = *id};
	struct cl_hash32 d;
	cl_client_order_digest(&d, cl_stf_domain(e->stf), &co);
	return d;
}

static struct cl_tx sched_tx(struct tenv *e, int who, uint64_t time,
			     uint64_t nonce, const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_SCHEDULE_CANCEL};
	struct cl_hash32 d;

	tx.u.schedule_cancel.msg.trader = e->addr[who];
	tx.u.schedule_cancel.msg.time = time;
	tx.u.schedule_cancel.msg.nonce = nonce;
	cl_schedule_cancel_digest(&d, cl_stf_domain(e->stf),
				  &tx.u.schedule_cancel.msg);
	t_sign(&tx.u.schedule_cancel.sig, signer, &d);
	return tx;
}

static int sched(struct tenv *e, int who, uint64_t time, uint64_t nonce)
{
	struct cl_stf_result r;
	return req(e, &r, sched_tx(e, who, time, nonce, e->key[who]));
}

static void expect_switch(struct tenv *e, int who, uint64_t time,
			  uint64_t nonce)
{
	struct cl_stf_view v = tenv_view(e);
	uint64_t t, n;
	int rc = cl_stf_get_scheduled_cancel(&v, &t, &n, &e->addr[who]);
	CHECK(rc == CL_OK || (rc == CL_ERR_NOT_FOUND && time == 0 &&
			      nonce == 0));
	CHECK_MSG(t == time && n == nonce,
		  "switch of %d: time %llu nonce %llu, want %llu %llu", who,
		  (unsigned long long)t, (unsigned long long)n,
		  (unsigned long long)time, (unsigned long long)nonce);
}

static struct cl_order_record rec_of(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record rec;
	CHECK(cl_stf_get_order(&v, &rec, h) == CL_OK);
	return rec;
}

static size_t open_count(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_hash32 h[64];
	size_t n;
	CHECK(cl_stf_get_open_orders(&v, h, 64, &n, &e->addr[who]) == CL_OK);
	return n;
}

/* Refused with `code` and the state root unchanged. */
static void expect_refused(struct tenv *e, struct cl_tx tx, int code)
{
	struct cl_hash32 before, after;
	struct cl_stf_result r;

	CHECK(cl_state_root(e->st, &before) == CL_OK);
	int rc = req(e, &r, tx);
	CHECK_MSG(rc == code, "got %d (%s), want %d (%s)", rc,
		  cl_stf_err_str(rc), code, cl_stf_err_str(code));
	CHECK(cl_state_root(e->st, &after) == CL_OK);
	CHECK(memcmp(before.b, after.b, 32) == 0);
}

/*
 * The tables of docs/protocol.md section 7: CLOIDS has exactly one entry
 * per open order with a client order id, SCHEDULE_DUE exactly one per
 * armed switch. Returns the number of CLOIDS entries.
 */
static size_t kinds_check(struct tenv *e, const char *where)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl, n_cloids = 0, n_with = 0, n_due = 0, n_armed = 0;
	int rc;

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_CLOIDS, NULL, 0) ==
	      CL_OK);
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		struct cl_order_record o;
		struct cl_hash32 h;
		CHECK(kl == 36 && vl == 32);
		memcpy(h.b, val, 32);
		CHECK(cl_stf_get_order(&v, &o, &h) == CL_OK);
		CHECK_MSG(o.status == CL_ORDER_OPEN &&
			  memcmp(o.trader.b, k, 20) == 0 &&
			  memcmp(o.cloid.b, k + 20, 16) == 0,
			  "%s: a cloids entry of an order not open", where);
		n_cloids++;
	}
	CHECK(rc == CL_ERR_NOT_FOUND);
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_ORDERS, NULL, 0) ==
	      CL_OK);
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		static const struct cl_cloid zero;
		struct cl_order_record o;
		struct cl_hash32 h;
		if (kl != 32)
			continue;
		memcpy(h.b, k, 32);
		CHECK(cl_stf_get_order(&v, &o, &h) == CL_OK);
		if (o.status == CL_ORDER_OPEN &&
		    memcmp(o.cloid.b, zero.b, 16) != 0)
			n_with++;
	}
	cl_state_iter_free(it);
	CHECK_MSG(n_with == n_cloids, "%s: %zu open orders with an id, %zu "
		  "cloids entries", where, n_with, n_cloids);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_SCHEDULE_DUE, NULL, 0) ==
	      CL_OK);
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		struct cl_address a;
		uint64_t t, nonce;
		CHECK(kl == 28 && vl == 1 && val[0] == 0);
		memcpy(a.b, k + 8, 20);
		CHECK(cl_stf_get_scheduled_cancel(&v, &t, &nonce, &a) == CL_OK);
		CHECK(t == cl_get_be64(k) && t > 0);
		n_due++;
	}
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_SCHEDULE_CANCEL, NULL,
				0) == CL_OK);
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		CHECK(kl == 20 && vl == 16);
		n_armed += cl_get_be64(val) > 0;
	}
	cl_state_iter_free(it);
	CHECK_MSG(n_due == n_armed, "%s: %zu due entries, %zu armed", where,
		  n_due, n_armed);
	return n_cloids;
}

/* ---- encodings ---- */

static void test_codec(void)
{
	struct cl_tx tx, dec;
	struct cl_buf b;

	cl_buf_init(&b);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_SCHEDULE_CANCEL;
	tx.u.schedule_cancel.msg.time = 1700000060;
	tx.u.schedule_cancel.msg.nonce = 7;
	tx.u.schedule_cancel.sig.b[64] = 27;
	CHECK(cl_tx_encoded_len(&tx) == 102);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == 102 && b.p[0] == 16);
	CHECK(cl_tx_decode(&dec, b.p, b.len) &&
	      dec.type == CL_TX_SCHEDULE_CANCEL &&
	      dec.u.schedule_cancel.msg.time == 1700000060 &&
	      dec.u.schedule_cancel.msg.nonce == 7);
	CHECK(!cl_tx_decode(&dec, b.p, b.len - 1));
	CHECK(strcmp(cl_tx_type_str(CL_TX_SCHEDULE_CANCEL),
		     "schedule_cancel") == 0);
	CHECK(cl_tx_is_request(CL_TX_SCHEDULE_CANCEL));
	CHECK(!cl_tx_is_order(CL_TX_SCHEDULE_CANCEL));

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_CLIENT_ORDER;
	tx.u.place.order.price = 5;
	tx.u.place.cloid = cloid_of(0, 1);
	CHECK(cl_tx_encoded_len(&tx) == 140);
	cl_buf_reset(&b);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == 140 && b.p[0] == 17 && b.p[74] == 1);
	CHECK(cl_tx_decode(&dec, b.p, b.len) &&
	      dec.type == CL_TX_CLIENT_ORDER &&
	      memcmp(dec.u.place.cloid.b, tx.u.place.cloid.b, 16) == 0);
	b.p[74] = 0; /* the id's last byte: now all zero */
	CHECK(!cl_tx_decode(&dec, b.p, b.len));
	CHECK(cl_tx_is_request(CL_TX_CLIENT_ORDER) &&
	      cl_tx_is_order(CL_TX_CLIENT_ORDER) &&
	      cl_tx_is_order(CL_TX_PLACE_ORDER));
	cl_buf_release(&b);
}

/* Both types in a version 2 batch: the same transactions come back. */
static void test_batch(struct tenv *e)
{
	struct cl_batch2_block blk;
	struct cl_tx txs[5];
	struct cl_buf out;
	struct cl_batch2 dec;

	struct cl_order o = order(e, 0, true, P(100), SZ(1), 0);
	struct cl_cloid small = cloid_of(0, 0x1234);
	struct cl_cloid big = cloid_of(UINT64_MAX, 0);
	txs[0] = client_tx(e, &o, &small, e->key[0]);
	txs[1] = sched_tx(e, 1, tenv_now(e) + 30, 5, e->key[1]);
	o.nonce++;
	txs[2] = client_tx(e, &o, &big, e->key[0]);
	{
		struct cl_trigger_order m = {
			.trader = e->addr[1], .market = T_SOL, .is_buy = false,
			.trigger_price = 123450, .trigger_above = true,
			.price = 123000, .size = 7, .nonce = 99,
			.expiry = tenv_now(e) + 60, .flags = 5, .group = 3,
			.position_bound = true};
		struct cl_hash32 d;
		memset(&txs[3], 0, sizeof(txs[3]));
		txs[3].type = CL_TX_TRIGGER_ORDER;
		txs[3].u.trigger.msg = m;
		cl_trigger_order_digest(&d, cl_stf_domain(e->stf), &m);
		t_sign(&txs[3].u.trigger.sig, e->key[1], &d);
		struct cl_scale_order sc = {
			.trader = e->addr[0], .market = T_ETH, .is_buy = true,
			.n = 2, .price = {300000, 299990}, .size = {10, 20},
			.nonce = 5, .expiry = tenv_now(e) + 60, .flags = 0};
		memset(&txs[4], 0, sizeof(txs[4]));
		txs[4].type = CL_TX_SCALE_ORDER;
		txs[4].u.scale.msg = sc;
		cl_scale_order_digest(&d, cl_stf_domain(e->stf), &sc);
		t_sign(&txs[4].u.scale.sig, e->key[0], &d);
	}
	memset(&blk, 0, sizeof(blk));
	blk.number = 9;
	blk.timestamp_ms = e->ms;
	blk.l1 = t_l1_at(e->ms);
	blk.n_txs = 5;
	blk.txs = txs;
	cl_buf_init(&out);
	CHECK(cl_batch2_encode(&out, &blk, 1) == CL_BATCH_OK);
	struct cl_batch_limits lim;
	cl_batch_limits_default(&lim);
	CHECK(cl_batch2_decode(&dec, out.p, out.len, &lim) == CL_BATCH_OK);
	CHECK(dec.n_blocks == 1 && dec.blocks[0].n_txs == 5);
	for (size_t i = 0; i < 5 && dec.n_blocks == 1; i++) {
		struct cl_buf a, c;
		cl_buf_init(&a);
		cl_buf_init(&c);
		cl_tx_encode(&a, &txs[i]);
		cl_tx_encode(&c, &dec.blocks[0].txs[i]);
		CHECK_MSG(a.len == c.len && memcmp(a.p, c.p, a.len) == 0,
			  "batch tx %zu differs", i);
		cl_buf_release(&a);
		cl_buf_release(&c);
	}
	cl_batch2_release(&dec);
	/* a zero id is not encodable */
	txs[0].u.place.cloid = cloid_of(0, 0);
	size_t len = out.len;
	CHECK(cl_batch2_encode(&out, &blk, 1) == CL_BATCH_UNENCODABLE);
	CHECK(out.len == len);
	cl_buf_release(&out);
}

/* ---- the scenario; returns the final root ---- */

static struct cl_hash32 scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_stf_level lv[8];
	const int alice = 0, bob = 1, agent = 2, eve = 3;

	tenv_init(&e, st);
	open_next(&e, 1000);
	fund(&e, alice, 100000);
	fund(&e, bob, 100000);
	price(&e, P(50000));
	test_batch(&e);
	uint64_t now = tenv_now(&e); /* 1700000001 */
	CHECK(now == 1700000001);

	/* ---- SCHEDULE_CANCEL rules ---- */
	expect_switch(&e, alice, 0, 0);
	/* nonce 0 is not above the last (0) */
	expect_refused(&e, sched_tx(&e, alice, now + 10, 0, e.key[alice]),
		       CL_STF_ERR_BAD_NONCE);
	/* the time must be after the block's: now is refused, now+1 is not */
	expect_refused(&e, sched_tx(&e, alice, now, 1, e.key[alice]),
		       CL_STF_ERR_EXPIRED);
	/* at most the expiry horizon (30 days) ahead */
	expect_refused(&e,
		       sched_tx(&e, alice, now + T_HORIZON + 1, 1, e.key[alice]),
		       CL_STF_ERR_EXPIRY_TOO_FAR);
	/* someone else's key; a bad signature */
	expect_refused(&e, sched_tx(&e, alice, now + 10, 1, e.key[eve]),
		       CL_STF_ERR_NOT_AUTHORIZED);
	struct cl_tx bad = sched_tx(&e, alice, now + 10, 1, e.key[alice]);
	bad.u.schedule_cancel.sig.b[64] = 29;
	expect_refused(&e, bad, CL_STF_ERR_BAD_SIGNATURE);
	CHECK(sched(&e, alice, now + T_HORIZON, 1) == CL_STF_OK);
	expect_switch(&e, alice, now + T_HORIZON, 1);
	/* the same signed message again: a replay */
	expect_refused(&e, sched_tx(&e, alice, now + T_HORIZON, 1,
				    e.key[alice]),
		       CL_STF_ERR_BAD_NONCE);
	/* nonces may skip; an approved agent may renew */
	{
		struct cl_tx ap = t_approve(&e, &e.addr[alice], &e.addr[agent],
					    now + 100000, 0, e.key[alice]);
		CHECK(req(&e, &r, ap) == CL_STF_OK);
	}
	r.order_hash.b[0] = 0;
	CHECK(req(&e, &r, sched_tx(&e, alice, now + 5, 1000,
				   e.key[agent])) == CL_STF_OK);
	expect_switch(&e, alice, now + 5, 1000); /* T = 1700000006 */

	/* ---- orders: alice 3 resting bids (one with a client id), bob 1 */
	struct cl_order a1 = order(&e, alice, true, P(49000), SZ(10), 0);
	struct cl_order a2 = order(&e, alice, true, P(48000), SZ(20), 0);
	struct cl_order a3 = order(&e, alice, false, P(52000), SZ(30), 0);
	struct cl_order b1 = order(&e, bob, true, P(47000), SZ(40), 0);
	struct cl_cloid c7 = cloid_of(0, 7);
	CHECK(place(&e, &r, &a1, alice) == CL_STF_OK);
	CHECK(place(&e, &r, &a2, alice) == CL_STF_OK);
	CHECK(req(&e, &r, client_tx(&e, &a3, &c7, e.key[alice])) ==
	      CL_STF_OK);
	struct cl_hash32 h3 = client_hash(&e, &a3, &c7);
	CHECK(cl_hash32_eq(&r.order_hash, &h3) &&
	      r.status == CL_ORDER_OPEN);
	/* the same fields as an Order: another hash */
	struct cl_hash32 plain3 = t_order_hash(&e, &a3);
	CHECK(!cl_hash32_eq(&plain3, &h3));
	CHECK(place(&e, &r, &b1, bob) == CL_STF_OK);
	CHECK(open_count(&e, alice) == 3 && open_count(&e, bob) == 1);
	CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, true) == 3);
	{
		struct cl_order_record rr = rec_of(&e, &h3);
		CHECK(memcmp(rr.cloid.b, c7.b, 16) == 0);
		struct cl_stf_view v = tenv_view(&e);
		struct cl_hash32 found;
		CHECK(cl_stf_get_order_by_cloid(&v, &found, &e.addr[alice],
						&c7) == CL_OK &&
		      cl_hash32_eq(&found, &h3));
	}
	/* ORDER_DONE with the switch's reason does not hold yet */
	{
		struct cl_hash32 hb1 = t_order_hash(&e, &b1);
		struct cl_tx d = t_done(&hb1, CL_DONE_SCHEDULED_CANCEL);
		CHECK(t_apply(&e, &d) == CL_STF_ERR_BAD_REASON);
		cl_stf_end_block(e.stf);
		e.in_block = false;
		/* t_apply invalidated the books: the next block rebuilds */
	}
	t_open_sizes_check(&e, "before the switch");
	CHECK(kinds_check(&e, "before the switch") == 1);

	/* 4 s later (1700000005 < T): nothing happens */
	open_next(&e, 4000);
	CHECK(tenv_now(&e) == now + 4);
	CHECK(open_count(&e, alice) == 3);
	expect_switch(&e, alice, now + 5, 1000);
	/* 1 s later (1700000006 = T): alice's orders are closed at the
	 * opening, bob's stays */
	open_next(&e, 1000);
	CHECK(tenv_now(&e) == now + 5);
	CHECK(open_count(&e, alice) == 0 && open_count(&e, bob) == 1);
	struct cl_hash32 h1 = t_order_hash(&e, &a1), h2 = t_order_hash(&e, &a2);
	CHECK(rec_of(&e, &h1).status == CL_ORDER_DONE &&
	      rec_of(&e, &h2).status == CL_ORDER_DONE &&
	      rec_of(&e, &h3).status == CL_ORDER_DONE);
	CHECK(rec_of(&e, &h1).filled == 0);
	CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, true) == 1 &&
	      lv[0].price == P(47000));
	CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, false) == 0);
	expect_switch(&e, alice, 0, 1000); /* disarmed, the nonce kept */
	t_open_sizes_check(&e, "after the switch");
	CHECK(kinds_check(&e, "after the switch") == 0);
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
		size_t n;
		CHECK(cl_stf_get_open_sizes(&v, os, &n, &e.addr[alice]) ==
			      CL_OK &&
		      n == 0);
		/* the client id is free again */
		struct cl_hash32 found;
		CHECK(cl_stf_get_order_by_cloid(&v, &found, &e.addr[alice],
						&c7) == CL_ERR_NOT_FOUND);
	}
	/* the old signature cannot arm it again */
	expect_refused(&e, sched_tx(&e, alice, now + 50, 1000, e.key[agent]),
		       CL_STF_ERR_BAD_NONCE);

	/* ---- client order ids ---- */
	struct cl_order c1 = order(&e, alice, true, P(49500), SZ(10), 0);
	struct cl_order c2 = order(&e, alice, true, P(49400), SZ(10), 0);
	CHECK(req(&e, &r, client_tx(&e, &c1, &c7, e.key[alice])) ==
	      CL_STF_OK);
	/* in use by alice's open order: refused, nothing changed */
	expect_refused(&e, client_tx(&e, &c2, &c7, e.key[alice]),
		       CL_STF_ERR_CLOID_IN_USE);
	/* bob may use the same id */
	struct cl_order bo = order(&e, bob, true, P(46000), SZ(10), 0);
	CHECK(req(&e, &r, client_tx(&e, &bo, &c7, e.key[bob])) == CL_STF_OK);
	/* cancelled: free again */
	struct cl_hash32 hc1 = client_hash(&e, &c1, &c7);
	CHECK(req(&e, &r, t_cancel(&e, &e.addr[alice], &hc1, e.key[alice])) ==
	      CL_STF_OK);
	CHECK(req(&e, &r, client_tx(&e, &c2, &c7, e.key[alice])) ==
	      CL_STF_OK);
	/* filled: free again (bob sells into it with an IOC) */
	struct cl_order hit = order(&e, bob, false, P(49400), SZ(10),
				    TIF(CL_TIF_IOC));
	CHECK(place(&e, &r, &hit, bob) == CL_STF_OK && r.filled == SZ(10));
	struct cl_hash32 hc2 = client_hash(&e, &c2, &c7);
	CHECK(rec_of(&e, &hc2).status == CL_ORDER_FILLED);
	struct cl_order c3 = order(&e, alice, true, P(49300), SZ(10), 0);
	CHECK(req(&e, &r, client_tx(&e, &c3, &c7, e.key[alice])) ==
	      CL_STF_OK);
	/* the same ClientOrder twice: a duplicate, not an id clash */
	expect_refused(&e, client_tx(&e, &c3, &c7, e.key[alice]),
		       CL_STF_ERR_DUPLICATE_ORDER);
	CHECK(kinds_check(&e, "client ids") == 2); /* alice's c3, bob's */

	/* ---- renew and disarm ---- */
	now = tenv_now(&e);
	CHECK(sched(&e, alice, now + 10, 1001) == CL_STF_OK);
	CHECK(sched(&e, alice, now + 20, 1002) == CL_STF_OK); /* renewed */
	open_next(&e, 15000); /* past the first time, before the second */
	CHECK(open_count(&e, alice) == 1);
	expect_switch(&e, alice, now + 20, 1002);
	CHECK(sched(&e, alice, 0, 1003) == CL_STF_OK); /* disarmed */
	expect_switch(&e, alice, 0, 1003);
	open_next(&e, 60000);
	CHECK(open_count(&e, alice) == 1);
	/* armed again: fires, and an order placed after the firing in the
	 * same block stays */
	now = tenv_now(&e);
	CHECK(sched(&e, alice, now + 1, 1004) == CL_STF_OK);
	open_next(&e, 1000);
	CHECK(open_count(&e, alice) == 0);
	struct cl_order c4 = order(&e, alice, true, P(49200), SZ(10), 0);
	CHECK(place(&e, &r, &c4, alice) == CL_STF_OK &&
	      r.status == CL_ORDER_OPEN);
	open_next(&e, 1000);
	CHECK(open_count(&e, alice) == 1);
	t_open_sizes_check(&e, "end");
	CHECK(kinds_check(&e, "end") == 1); /* bob's; alice's were closed */
	t_invariants(&e, "orders", (__int128)200000 * T_USD);

	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/* ---- trigger orders ---- */

static struct cl_trigger_order trig(struct tenv *e, int who, bool buy,
				    uint64_t trigger, bool above,
				    uint64_t p, uint64_t sz, uint8_t flags,
				    uint64_t group, bool bound)
{
	struct cl_trigger_order m = {
		.trader = e->addr[who], .market = T_BTC, .is_buy = buy,
		.trigger_price = trigger, .trigger_above = above, .price = p,
		.size = sz, .nonce = e->order_nonce++,
		.expiry = tenv_now(e) + 3600, .flags = flags, .group = group,
		.position_bound = bound};
	return m;
}

static struct cl_tx trig_tx(struct tenv *e, const struct cl_trigger_order *m,
			    const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_TRIGGER_ORDER};
	struct cl_hash32 d;

	tx.u.trigger.msg = *m;
	cl_trigger_order_digest(&d, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.trigger.sig, signer, &d);
	return tx;
}

static struct cl_hash32 trig_hash(struct tenv *e,
				  const struct cl_trigger_order *m)
{
	struct cl_hash32 d;
	cl_trigger_order_digest(&d, cl_stf_domain(e->stf), m);
	return d;
}

static struct cl_trigger_record trig_rec(struct tenv *e,
					 const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_trigger_record t;
	CHECK(cl_stf_get_trigger(&v, &t, h) == CL_OK);
	return t;
}

static int64_t btc_position(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	CHECK(cl_stf_get_positions(&v, pos, &n, &e->addr[who]) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (pos[i].market == T_BTC)
			return pos[i].size;
	return 0;
}

static size_t pending_count(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_hash32 h[32];
	size_t n;
	CHECK(cl_stf_get_pending_triggers(&v, h, 32, &n, &e->addr[who]) ==
	      CL_OK);
	return n;
}

/* A new block a second later (oracle timestamps must grow), then the
 * price. */
static void move(struct tenv *e, uint64_t p)
{
	open_next(e, 1000);
	price(e, p);
}

#define IOC_RO ((uint8_t)(TIF(CL_TIF_IOC) | CL_ORDER_REDUCE_ONLY))

static struct cl_hash32 trigger_scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_stf_level lv[8];
	const int alice = 0, bob = 1, carol = 2, dave = 3, poor = 4;

	tenv_init(&e, st);
	open_next(&e, 1000);
	fund(&e, alice, 100000);
	fund(&e, bob, 1000000);
	fund(&e, carol, 100000);
	fund(&e, poor, 10);
	price(&e, P(50000));
	/* bob's book: an ask 0.01 @51500 (a bid 0.05 @53000 comes later) */
	struct cl_order ask = order(&e, bob, false, P(51500), SZ(10), 0);
	CHECK(place(&e, &r, &ask, bob) == CL_STF_OK);

	/* ---- placement rules ---- */
	struct cl_trigger_order m;
	m = trig(&e, alice, true, P(51000), true, P(52000), SZ(10),
		 TIF(CL_TIF_IOC), 0, false);
	m.trigger_price = P(51000) + 1; /* off the $1 tick */
	expect_refused(&e, trig_tx(&e, &m, e.key[alice]), CL_STF_ERR_OFF_TICK);
	m.trigger_price = 0;
	expect_refused(&e, trig_tx(&e, &m, e.key[alice]), CL_STF_ERR_BAD_PRICE);
	m.trigger_price = P(51000);
	expect_refused(&e, trig_tx(&e, &m, e.key[bob]),
		       CL_STF_ERR_NOT_AUTHORIZED);
	/* a bound (TP/SL) trigger must be reduce-only and have a position
	 * to reduce */
	m = trig(&e, dave, false, P(49000), false, P(48000), SZ(10),
		 TIF(CL_TIF_IOC), 0, true);
	expect_refused(&e, trig_tx(&e, &m, e.key[dave]), CL_STF_ERR_BAD_FLAGS);
	m.flags = IOC_RO;
	expect_refused(&e, trig_tx(&e, &m, e.key[dave]),
		       CL_STF_ERR_NO_COLLATERAL);
	m = trig(&e, alice, false, P(49000), false, P(48000), SZ(10), IOC_RO,
		 0, true);
	expect_refused(&e, trig_tx(&e, &m, e.key[alice]),
		       CL_STF_ERR_NO_POSITION);

	/* ---- a stop-market buy: 0.01 BTC once the mark is >= 51000, an
	 * IOC no worse than 52000 ---- */
	struct cl_trigger_order stop = trig(&e, alice, true, P(51000), true,
					    P(52000), SZ(10), TIF(CL_TIF_IOC),
					    0, false);
	struct cl_hash32 hs = trig_hash(&e, &stop);
	CHECK(req(&e, &r, trig_tx(&e, &stop, e.key[alice])) == CL_STF_OK);
	CHECK(cl_hash32_eq(&r.order_hash, &hs));
	CHECK(trig_rec(&e, &hs).status == CL_TRIGGER_PENDING);
	expect_refused(&e, trig_tx(&e, &stop, e.key[alice]),
		       CL_STF_ERR_DUPLICATE_ORDER);
	move(&e, P(50999)); /* one dollar short */
	CHECK(trig_rec(&e, &hs).status == CL_TRIGGER_PENDING);
	CHECK(btc_position(&e, alice) == 0);
	move(&e, P(51000)); /* reached: bought at bob's 51500 */
	CHECK(trig_rec(&e, &hs).status == CL_TRIGGER_FIRED);
	CHECK(btc_position(&e, alice) == (int64_t)SZ(10));
	{
		struct cl_hash32 oh;
		cl_stf_triggered_order_hash(&oh, &hs);
		struct cl_order_record o = rec_of(&e, &oh);
		CHECK(o.status == CL_ORDER_FILLED && o.filled == SZ(10) &&
		      o.price == P(52000) && o.is_buy);
	}
	CHECK(pending_count(&e, alice) == 0);

	/* ---- TP/SL on alice's long 0.01, one group: TP sells at mark >=
	 * 53000 (IOC, no worse than 52900), SL at mark <= 50000 ---- */
	struct cl_trigger_order tp = trig(&e, alice, false, P(53000), true,
					  P(52900), SZ(10), IOC_RO, 1, true);
	struct cl_trigger_order sl = trig(&e, alice, false, P(50000), false,
					  P(49000), SZ(10), IOC_RO, 1, true);
	struct cl_hash32 htp = trig_hash(&e, &tp), hsl = trig_hash(&e, &sl);
	/* a bound buy would not reduce a long */
	m = tp;
	m.is_buy = true;
	m.nonce = e.order_nonce++;
	expect_refused(&e, trig_tx(&e, &m, e.key[alice]),
		       CL_STF_ERR_REDUCE_ONLY);
	CHECK(req(&e, &r, trig_tx(&e, &tp, e.key[alice])) == CL_STF_OK);
	CHECK(req(&e, &r, trig_tx(&e, &sl, e.key[alice])) == CL_STF_OK);
	CHECK(pending_count(&e, alice) == 2);
	struct cl_order bid = order(&e, bob, true, P(53000), SZ(50), 0);
	CHECK(place(&e, &r, &bid, bob) == CL_STF_OK);
	move(&e, P(53000)); /* TP fires, sells at bob's 53000; SL cancelled */
	CHECK(trig_rec(&e, &htp).status == CL_TRIGGER_FIRED);
	CHECK(trig_rec(&e, &hsl).status == CL_TRIGGER_CANCELLED);
	CHECK(btc_position(&e, alice) == 0);
	CHECK(pending_count(&e, alice) == 0);

	/* ---- a bound SL leaves with its position ---- */
	struct cl_order cask = order(&e, carol, false, P(53500), SZ(10), 0);
	CHECK(place(&e, &r, &cask, carol) == CL_STF_OK);
	struct cl_order buy = order(&e, alice, true, P(53500), SZ(10),
				    TIF(CL_TIF_IOC));
	move(&e, P(52000));
	CHECK(place(&e, &r, &buy, alice) == CL_STF_OK && r.filled == SZ(10));
	struct cl_trigger_order sl2 = trig(&e, alice, false, P(50000), false,
					   P(49000), SZ(10), IOC_RO, 0, true);
	struct cl_hash32 hsl2 = trig_hash(&e, &sl2);
	CHECK(req(&e, &r, trig_tx(&e, &sl2, e.key[alice])) == CL_STF_OK);
	CHECK(trig_rec(&e, &hsl2).status == CL_TRIGGER_PENDING);
	struct cl_order sell = order(&e, alice, false, P(53000), SZ(10),
				     TIF(CL_TIF_IOC));
	CHECK(place(&e, &r, &sell, alice) == CL_STF_OK && r.filled == SZ(10));
	CHECK(btc_position(&e, alice) == 0);
	CHECK(trig_rec(&e, &hsl2).status == CL_TRIGGER_CANCELLED);

	/* ---- a stop-limit sell that rests: carol sells 0.02 at 48900 GTC
	 * once the mark is <= 49000 ---- */
	struct cl_trigger_order sl3 = trig(&e, carol, false, P(49000), false,
					   P(48900), SZ(20), 0, 0, false);
	struct cl_hash32 hsl3 = trig_hash(&e, &sl3);
	{
		/* bob's bid leaves first: nothing to sell into */
		struct cl_hash32 hb = t_order_hash(&e, &bid);
		CHECK(req(&e, &r, t_cancel(&e, &e.addr[bob], &hb,
					   e.key[bob])) == CL_STF_OK);
	}
	CHECK(req(&e, &r, trig_tx(&e, &sl3, e.key[carol])) == CL_STF_OK);
	CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, false) == 0);
	move(&e, P(49000));
	CHECK(trig_rec(&e, &hsl3).status == CL_TRIGGER_FIRED);
	CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, false) == 1 &&
	      lv[0].price == P(48900) && lv[0].size == SZ(20));

	/* ---- reached at once: fires within its own request ---- */
	struct cl_trigger_order now_t = trig(&e, carol, true, P(48000), true,
					     P(51500), SZ(10),
					     TIF(CL_TIF_IOC), 0, false);
	struct cl_hash32 hnow = trig_hash(&e, &now_t);
	CHECK(req(&e, &r, trig_tx(&e, &now_t, e.key[carol])) == CL_STF_OK);
	CHECK(trig_rec(&e, &hnow).status == CL_TRIGGER_FIRED);

	/* ---- cancels: by hash, then (as a batch names it) by sequence ---- */
	struct cl_trigger_order c1 = trig(&e, carol, true, P(60000), true,
					  P(61000), SZ(10), 0, 0, false);
	struct cl_trigger_order c2 = trig(&e, carol, true, P(60001), true,
					  P(61000), SZ(10), 0, 0, false);
	struct cl_hash32 hc1 = trig_hash(&e, &c1), hc2 = trig_hash(&e, &c2);
	CHECK(req(&e, &r, trig_tx(&e, &c1, e.key[carol])) == CL_STF_OK);
	CHECK(req(&e, &r, trig_tx(&e, &c2, e.key[carol])) == CL_STF_OK);
	expect_refused(&e, t_cancel(&e, &e.addr[bob], &hc1, e.key[bob]),
		       CL_STF_ERR_NOT_AUTHORIZED);
	CHECK(req(&e, &r, t_cancel(&e, &e.addr[carol], &hc1, e.key[carol])) ==
	      CL_STF_OK);
	CHECK(r.status == CL_ORDER_CANCELLED &&
	      trig_rec(&e, &hc1).status == CL_TRIGGER_CANCELLED);
	expect_refused(&e, t_cancel(&e, &e.addr[carol], &hc1, e.key[carol]),
		       CL_STF_ERR_ORDER_NOT_OPEN);
	{
		struct cl_tx ct = t_cancel(&e, &e.addr[carol], &hc2,
					   e.key[carol]);
		struct cl_tx dec = ct;
		memset(dec.u.cancel.msg.order_hash.b, 0, 32);
		dec.u.cancel.order_seq = trig_rec(&e, &hc2).sequence;
		CHECK(cl_stf_request(e.stf, &r, &dec) == CL_STF_OK);
		CHECK(trig_rec(&e, &hc2).status == CL_TRIGGER_CANCELLED);
	}

	/* ---- expired before it is reached: nothing placed ---- */
	struct cl_trigger_order ex = trig(&e, carol, false, P(47000), false,
					  P(46000), SZ(10), 0, 0, false);
	ex.expiry = tenv_now(&e) + 2;
	struct cl_hash32 hex = trig_hash(&e, &ex);
	CHECK(req(&e, &r, trig_tx(&e, &ex, e.key[carol])) == CL_STF_OK);
	open_next(&e, 2000);
	move(&e, P(47000));
	CHECK(trig_rec(&e, &hex).status == CL_TRIGGER_EXPIRED);
	{
		struct cl_hash32 oh;
		struct cl_order_record o;
		struct cl_stf_view v = tenv_view(&e);
		cl_stf_triggered_order_hash(&oh, &hex);
		CHECK(cl_stf_get_order(&v, &o, &oh) == CL_ERR_NOT_FOUND);
	}

	/* ---- refused when reached: 10 dollars cannot rest 1 BTC ---- */
	struct cl_trigger_order big = trig(&e, poor, true, P(47000), false,
					   P(40000), SZ(1000), 0, 0, false);
	struct cl_hash32 hbig = trig_hash(&e, &big);
	CHECK(req(&e, &r, trig_tx(&e, &big, e.key[poor])) == CL_STF_OK);
	CHECK(trig_rec(&e, &hbig).status == CL_TRIGGER_REFUSED);

	/* ---- scale orders: three bids in one signature ---- */
	{
		struct cl_scale_order sc = {
			.trader = e.addr[alice], .market = T_BTC,
			.is_buy = true, .n = 3,
			.price = {P(45900), P(45800), P(45700)},
			.size = {SZ(10), SZ(20), SZ(30)},
			.nonce = e.order_nonce++,
			.expiry = tenv_now(&e) + 3600, .flags = 0};
		struct cl_tx stx = {.type = CL_TX_SCALE_ORDER};
		struct cl_hash32 d, leg[3];
		stx.u.scale.msg = sc;
		cl_scale_order_digest(&d, cl_stf_domain(e.stf), &sc);
		t_sign(&stx.u.scale.sig, e.key[alice], &d);
		for (uint32_t i = 0; i < 3; i++)
			cl_stf_scale_leg_hash(&leg[i], &d, i);
		size_t before = cl_stf_book_depth(e.stf, lv, 8, T_BTC, true);
		CHECK(req(&e, &r, stx) == CL_STF_OK);
		CHECK(cl_hash32_eq(&r.order_hash, &d));
		for (uint32_t i = 0; i < 3; i++) {
			struct cl_order_record o = rec_of(&e, &leg[i]);
			CHECK(o.status == CL_ORDER_OPEN &&
			      o.price == sc.price[i] && o.size == sc.size[i]);
		}
		CHECK(cl_stf_book_depth(e.stf, lv, 8, T_BTC, true) ==
		      before + 3);
		/* once only */
		expect_refused(&e, stx, CL_STF_ERR_DUPLICATE_ORDER);
		/* one leg off the tick refuses the whole list */
		sc.nonce = e.order_nonce++;
		sc.price[1] = P(45800) + 1;
		stx.u.scale.msg = sc;
		cl_scale_order_digest(&d, cl_stf_domain(e.stf), &sc);
		t_sign(&stx.u.scale.sig, e.key[alice], &d);
		expect_refused(&e, stx, CL_STF_ERR_OFF_TICK);
		/* bob sells into two of them with one IOC scale: fills at the
		 * makers' prices, 45900 then 45800 */
		struct cl_scale_order sb = {
			.trader = e.addr[bob], .market = T_BTC,
			.is_buy = false, .n = 2,
			.price = {P(45900), P(45800)},
			.size = {SZ(10), SZ(20)},
			.nonce = e.order_nonce++,
			.expiry = tenv_now(&e) + 3600,
			.flags = TIF(CL_TIF_IOC)};
		stx.u.scale.msg = sb;
		cl_scale_order_digest(&d, cl_stf_domain(e.stf), &sb);
		t_sign(&stx.u.scale.sig, e.key[bob], &d);
		CHECK(req(&e, &r, stx) == CL_STF_OK);
		CHECK(r.n_fills == 2 && r.fills[0].price == P(45900) &&
		      r.fills[1].price == P(45800) &&
		      r.fills[1].size == SZ(20));
		CHECK(rec_of(&e, &leg[0]).status == CL_ORDER_FILLED &&
		      rec_of(&e, &leg[1]).status == CL_ORDER_FILLED &&
		      rec_of(&e, &leg[2]).status == CL_ORDER_OPEN);
		/* 10 dollars cannot rest a ladder: the second leg's margin */
		struct cl_scale_order sp = {
			.trader = e.addr[poor], .market = T_BTC,
			.is_buy = true, .n = 2,
			.price = {P(40000), P(39000)},
			.size = {SZ(1), SZ(1000)},
			.nonce = e.order_nonce++,
			.expiry = tenv_now(&e) + 3600, .flags = 0};
		stx.u.scale.msg = sp;
		cl_scale_order_digest(&d, cl_stf_domain(e.stf), &sp);
		t_sign(&stx.u.scale.sig, e.key[poor], &d);
		expect_refused(&e, stx, CL_STF_ERR_ORDER_MARGIN);
	}

	/* ---- the dead-man switch takes pending triggers too ---- */
	struct cl_trigger_order d1 = trig(&e, carol, true, P(60000), true,
					  P(61000), SZ(10), 0, 0, false);
	struct cl_hash32 hd1 = trig_hash(&e, &d1);
	CHECK(req(&e, &r, trig_tx(&e, &d1, e.key[carol])) == CL_STF_OK);
	CHECK(sched(&e, carol, tenv_now(&e) + 1, 1) == CL_STF_OK);
	open_next(&e, 1000);
	CHECK(trig_rec(&e, &hd1).status == CL_TRIGGER_CANCELLED);
	CHECK(pending_count(&e, carol) == 0);

	t_open_sizes_check(&e, "triggers");
	t_invariants(&e, "triggers", (__int128)1200010 * T_USD);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/* ---- TWAP orders ---- */

static struct cl_tx twap_tx(struct tenv *e, const struct cl_twap_order *m,
			    const struct cl_seckey *signer,
			    struct cl_hash32 *hash)
{
	struct cl_tx tx = {.type = CL_TX_TWAP_ORDER};

	tx.u.twap.msg = *m;
	cl_twap_order_digest(hash, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.twap.sig, signer, hash);
	return tx;
}

static struct cl_twap_record twap_rec(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_twap_record t;
	CHECK(cl_stf_get_twap(&v, &t, h) == CL_OK);
	return t;
}

static struct cl_hash32 twap_scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_hash32 h, h2;
	const int alice = 0, bob = 1;

	tenv_init(&e, st);
	open_next(&e, 1000);
	fund(&e, alice, 100000);
	fund(&e, bob, 1000000);
	price(&e, P(50000));
	struct cl_order ask = order(&e, bob, false, P(50100), SZ(50), 0);
	CHECK(place(&e, &r, &ask, bob) == CL_STF_OK);

	/* rules */
	struct cl_twap_order m = {
		.trader = e.addr[alice], .market = T_BTC, .is_buy = true,
		.size = SZ(40), .interval = 10, .slices = 4,
		.slippage_ppm = 5000, .nonce = 1, .reduce_only = false};
	struct cl_twap_order bad = m;
	bad.slices = 0;
	expect_refused(&e, twap_tx(&e, &bad, e.key[alice], &h2),
		       CL_STF_ERR_BAD_TWAP);
	bad = m;
	bad.slippage_ppm = 1000001;
	expect_refused(&e, twap_tx(&e, &bad, e.key[alice], &h2),
		       CL_STF_ERR_BAD_TWAP);
	bad = m;
	bad.slices = 41; /* 0.04 in 41 slices: below the 0.001 step */
	expect_refused(&e, twap_tx(&e, &bad, e.key[alice], &h2),
		       CL_STF_ERR_BAD_SIZE);
	bad = m;
	bad.interval = T_HORIZON; /* 3 intervals past the horizon */
	expect_refused(&e, twap_tx(&e, &bad, e.key[alice], &h2),
		       CL_STF_ERR_EXPIRY_TOO_FAR);
	expect_refused(&e, twap_tx(&e, &m, e.key[bob], &h2),
		       CL_STF_ERR_NOT_AUTHORIZED);

	/* 0.04 BTC in 4 slices 10 s apart, no worse than the mark + 0.5 %
	 * (50 250): the first slice buys 0.01 at 50 100 at once */
	CHECK(req(&e, &r, twap_tx(&e, &m, e.key[alice], &h)) == CL_STF_OK);
	CHECK(cl_hash32_eq(&r.order_hash, &h));
	CHECK(r.n_fills == 1 && r.fills[0].price == P(50100) &&
	      r.fills[0].size == SZ(10));
	struct cl_twap_record t = twap_rec(&e, &h);
	uint64_t t0 = tenv_now(&e);
	CHECK(t.status == CL_TWAP_RUNNING && t.filled == SZ(10) &&
	      t.done == 1 && t.next == t0 + 10);
	{
		struct cl_hash32 sh;
		cl_stf_twap_slice_hash(&sh, &h, 0);
		struct cl_order_record o = rec_of(&e, &sh);
		CHECK(o.price == P(50250) && o.status == CL_ORDER_FILLED &&
		      cl_order_tif(o.flags) == CL_TIF_IOC);
	}
	expect_refused(&e, twap_tx(&e, &m, e.key[alice], &h2),
		       CL_STF_ERR_DUPLICATE_ORDER);
	/* 5 s: nothing; 10 s: slice 2 to 0.02 */
	open_next(&e, 5000);
	CHECK(twap_rec(&e, &h).done == 1);
	open_next(&e, 5000);
	t = twap_rec(&e, &h);
	CHECK(t.done == 2 && t.filled == SZ(20) && t.next == t0 + 20);
	/* the mark falls to 49 000: slice 3's limit 49 245 is below the
	 * 50 100 ask, nothing fills */
	open_next(&e, 5000);
	price(&e, P(49000));
	open_next(&e, 5000);
	t = twap_rec(&e, &h);
	CHECK(t.done == 3 && t.filled == SZ(20));
	/* back at 50 000: the last slice catches up, 0.02 */
	open_next(&e, 5000);
	price(&e, P(50000));
	open_next(&e, 5000);
	t = twap_rec(&e, &h);
	CHECK(t.done == 4 && t.filled == SZ(40) &&
	      t.status == CL_TWAP_FINISHED);
	CHECK(btc_position(&e, alice) == (int64_t)SZ(40));

	/* cancelled by its trader; then no slice runs */
	struct cl_twap_order m2 = m;
	m2.nonce = 2;
	m2.interval = 30;
	CHECK(req(&e, &r, twap_tx(&e, &m2, e.key[alice], &h2)) == CL_STF_OK);
	CHECK(twap_rec(&e, &h2).filled == SZ(10));
	CHECK(req(&e, &r, t_cancel(&e, &e.addr[alice], &h2, e.key[alice])) ==
	      CL_STF_OK);
	CHECK(twap_rec(&e, &h2).status == CL_TWAP_CANCELLED);
	open_next(&e, 31000);
	CHECK(twap_rec(&e, &h2).done == 1);
	/* the dead-man switch stops one too */
	struct cl_twap_order m3 = m;
	m3.nonce = 3;
	m3.is_buy = false;
	struct cl_hash32 h3;
	struct cl_order bid = order(&e, bob, true, P(49900), SZ(50), 0);
	CHECK(place(&e, &r, &bid, bob) == CL_STF_OK);
	CHECK(req(&e, &r, twap_tx(&e, &m3, e.key[alice], &h3)) == CL_STF_OK);
	CHECK(sched(&e, alice, tenv_now(&e) + 1, 1) == CL_STF_OK);
	open_next(&e, 1000);
	CHECK(twap_rec(&e, &h3).status == CL_TWAP_CANCELLED);

	t_open_sizes_check(&e, "twap");
	t_invariants(&e, "twap", (__int128)1100000 * T_USD);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

int main(void)
{
	struct t_lmdb l;

	if (cl_crypto_init() != CL_OK)
		return 2;
	test_codec();
	struct cl_hash32 mem = scenario(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = scenario(st);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	mem = trigger_scenario(cl_state_new_memory());
	st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = trigger_scenario(st);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "triggers: memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	mem = twap_scenario(cl_state_new_memory());
	st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = twap_scenario(st);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "twap: memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	return test_done("test_orders");
}
