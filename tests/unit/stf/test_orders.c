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
#include "orders_util.h"

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
	/* what each costs in a batch: the block with it alone, less the
	 * empty block (the address and market dictionaries included) */
	{
		static const char *const name[5] = {
			"client order (id 0x1234)", "schedule cancel",
			"client order (id 2^128-2^64)", "trigger order",
			"scale order (2 legs)"};
		struct cl_batch2_block one = blk;
		struct cl_buf b0, b1;
		cl_buf_init(&b0);
		one.n_txs = 0;
		CHECK(cl_batch2_encode(&b0, &one, 1) == CL_BATCH_OK);
		for (size_t i = 0; i < 5; i++) {
			cl_buf_init(&b1);
			one.n_txs = 1;
			one.txs = &txs[i];
			CHECK(cl_batch2_encode(&b1, &one, 1) == CL_BATCH_OK);
			printf("batch bytes: %s %zu (the signature's 64 "
			       "and a new dictionary entry included)\n",
			       name[i], b1.len - b0.len);
			CHECK(b1.len - b0.len < 140);
			cl_buf_release(&b1);
		}
		cl_buf_release(&b0);
	}
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
	return test_done("test_orders");
}
