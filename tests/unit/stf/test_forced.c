/* SPDX-License-Identifier: MIT */
/*
 * Forced requests (docs/protocol.md "FORCED") through the derivation
 * layer, on the memory backend and on LMDB (the roots must agree):
 *  - the encoding: each kind round-trips; unknown kinds, a zero amount or
 *    price, and trailing bytes are refused;
 *  - ids in L1 order: a gap or a repeat is refused and changes nothing;
 *  - WITHDRAW pays what margin_withdrawable allows: in full, capped
 *    (partial), nothing; with a position, exactly the withdrawable
 *    amount, to the account's own address;
 *  - CANCEL cancels one open order (it leaves the book); an unknown
 *    sequence, or another account's order, is a no-op recorded as such;
 *    CANCEL_ALL cancels every open order, then nothing;
 *  - CLOSE: nothing within the limit (the order is closed, nothing
 *    filled), a partial close, the rest closed; the limit rounded to the
 *    tick in the account's favour; no position and an unknown market are
 *    no-ops; the other side's orders are only ever filled at their own
 *    prices;
 *  - a seeded random mix of orders, price moves and forced requests of
 *    every kind with random fields: every forced request is accepted
 *    (never refused) with an outcome, the open sizes and the accounting
 *    invariants hold throughout, and memory and LMDB end on one root.
 *
 * CL_TEST_SEED sets the seed of the random part.
 */
#include "stf_util.h"

#define P(usd) ((uint64_t)(usd) * 100)     /* BTC price, cents */
#define SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */

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

static struct cl_order_record record(struct tenv *e, const struct cl_order *o)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record rec;
	struct cl_hash32 h = t_order_hash(e, o);
	CHECK(cl_stf_get_order(&v, &rec, &h) == CL_OK);
	return rec;
}

#define TIF(t) ((uint8_t)((t) << CL_ORDER_TIF_SHIFT))

static struct cl_tx forced(uint64_t id, const struct cl_address *a,
			   enum cl_forced_kind kind, uint64_t x, uint64_t y)
{
	struct cl_tx tx = {.type = CL_TX_FORCED};
	tx.u.forced.id = id;
	tx.u.forced.account = *a;
	tx.u.forced.kind = kind;
	switch (kind) {
	case CL_FORCED_WITHDRAW:
		tx.u.forced.amount = x;
		break;
	case CL_FORCED_CANCEL:
		tx.u.forced.order_seq = x;
		break;
	case CL_FORCED_CANCEL_ALL:
		break;
	case CL_FORCED_CLOSE:
		tx.u.forced.market = (uint32_t)x;
		tx.u.forced.price = y;
		break;
	}
	return tx;
}

/* Apply forced request `id` and check its outcome, value and record. */
static struct cl_stf_result expect_forced(struct tenv *e, uint64_t id, int who,
					  enum cl_forced_kind kind, uint64_t x,
					  uint64_t y,
					  enum cl_forced_outcome outcome,
					  uint64_t value)
{
	struct cl_stf_result r;
	struct cl_forced_record rec;
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_globals g;

	CHECK(req(e, &r, forced(id, &e->addr[who], kind, x, y)) == CL_STF_OK);
	CHECK_MSG(r.forced_outcome == outcome && r.forced_value == value,
		  "forced %llu (%s): outcome %s value %llu, want %s %llu",
		  (unsigned long long)id, cl_forced_kind_str(kind),
		  cl_forced_outcome_str(r.forced_outcome),
		  (unsigned long long)r.forced_value,
		  cl_forced_outcome_str(outcome), (unsigned long long)value);
	CHECK(cl_stf_get_forced(&v, &rec, id) == CL_OK);
	CHECK(cl_address_eq(&rec.account, &e->addr[who]) &&
	      rec.kind == kind && rec.outcome == outcome &&
	      rec.value == value);
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK && g.next_forced_id == id + 1);
	return r;
}

static int64_t collateral(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account a;
	int rc = cl_stf_get_account(&v, &a, &e->addr[who]);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return a.collateral;
}

static int64_t position(struct tenv *e, int who)
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

/* ---- the encoding ---- */

static void test_codec(void)
{
	struct cl_address a;
	struct cl_buf b;
	struct cl_tx tx;

	t_addr_hex(&a, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
	cl_buf_init(&b);
	/* the lengths of each kind, and the type's name */
	tx = forced(7, &a, CL_FORCED_WITHDRAW, 5, 0);
	CHECK(cl_tx_encoded_len(&tx) == 38);
	tx = forced(7, &a, CL_FORCED_CANCEL_ALL, 0, 0);
	CHECK(cl_tx_encoded_len(&tx) == 30);
	tx = forced(7, &a, CL_FORCED_CLOSE, 1, 100);
	CHECK(cl_tx_encoded_len(&tx) == 42);
	CHECK(strcmp(cl_tx_type_str(CL_TX_FORCED), "forced") == 0);
	CHECK(cl_tx_is_request(CL_TX_FORCED));

	/* a close: then break each rule */
	cl_tx_encode(&b, &tx);
	struct cl_tx d;
	CHECK(cl_tx_decode(&d, b.p, b.len) && d.u.forced.market == 1 &&
	      d.u.forced.price == 100 && d.u.forced.id == 7);
	uint8_t bad[64];
	memcpy(bad, b.p, b.len);
	bad[b.len] = 0; /* trailing byte */
	CHECK(!cl_tx_decode(&d, bad, b.len + 1));
	memcpy(bad, b.p, b.len);
	memset(bad + b.len - 8, 0, 8); /* price 0 */
	CHECK(!cl_tx_decode(&d, bad, b.len));
	for (int k = 0; k < 256; k++) {
		if (k >= 1 && k <= CL_FORCED_KIND_MAX)
			continue;
		memcpy(bad, b.p, b.len);
		bad[29] = (uint8_t)k; /* the kind byte */
		CHECK(!cl_tx_decode(&d, bad, b.len));
	}
	/* a close's fields under another kind's byte: lengths differ */
	memcpy(bad, b.p, b.len);
	bad[29] = CL_FORCED_CANCEL_ALL;
	CHECK(!cl_tx_decode(&d, bad, b.len));
	cl_buf_reset(&b);
	tx = forced(7, &a, CL_FORCED_WITHDRAW, 5, 0);
	cl_tx_encode(&b, &tx);
	memcpy(bad, b.p, b.len);
	memset(bad + 30, 0, 8); /* amount 0 */
	CHECK(!cl_tx_decode(&d, bad, b.len));
	CHECK(!cl_tx_decode(&d, b.p, b.len - 1)); /* short */
	cl_buf_release(&b);
}

/* ---- ids in order ---- */

static void test_order(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	fund(&e, 0, 100);
	t_commit(&e);
	struct cl_hash32 before = e.root;
	CHECK(req(&e, &r, forced(1, &e.addr[0], CL_FORCED_CANCEL_ALL, 0, 0)) ==
	      CL_STF_ERR_FORCED_OUT_OF_ORDER);
	t_commit(&e);
	CHECK(memcmp(before.b, e.root.b, 32) == 0);
	expect_forced(&e, 0, 0, CL_FORCED_CANCEL_ALL, 0, 0, CL_FORCED_NOTHING,
		      0);
	/* the same id again */
	t_commit(&e);
	before = e.root;
	CHECK(req(&e, &r, forced(0, &e.addr[0], CL_FORCED_CANCEL_ALL, 0, 0)) ==
	      CL_STF_ERR_FORCED_OUT_OF_ORDER);
	t_commit(&e);
	CHECK(memcmp(before.b, e.root.b, 32) == 0);
	t_seen_code[CL_STF_ERR_FORCED_OUT_OF_ORDER] = true;
	tenv_release(&e);
}

/* ---- the scenario: every kind and outcome; returns the final root ---- */

static struct cl_hash32 scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_stf_view v;
	uint64_t id = 0;
	int64_t alice_paid = 0;
	const int alice = 0, bob = 1, carol = 2, dave = 3;

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	fund(&e, alice, 10000);
	fund(&e, bob, 1000000);
	fund(&e, carol, 500);
	price(&e, P(50000));

	/* WITHDRAW in full, capped, nothing */
	r = expect_forced(&e, id++, carol, CL_FORCED_WITHDRAW, 100 * T_USD, 0,
			  CL_FORCED_DONE, 100 * T_USD);
	{
		struct cl_address to;
		uint64_t amount;
		v = tenv_view(&e);
		CHECK(cl_stf_get_withdrawal(&v, &to, &amount,
					    r.withdrawal_id) == CL_OK);
		CHECK(cl_address_eq(&to, &e.addr[carol]) &&
		      amount == 100 * T_USD);
	}
	expect_forced(&e, id++, carol, CL_FORCED_WITHDRAW, 1000 * T_USD, 0,
		      CL_FORCED_PARTIAL, 400 * T_USD);
	CHECK(collateral(&e, carol) == 0);
	expect_forced(&e, id++, carol, CL_FORCED_WITHDRAW, 1, 0,
		      CL_FORCED_NOTHING, 0);
	/* an account that never existed */
	expect_forced(&e, id++, dave, CL_FORCED_WITHDRAW, 1, 0,
		      CL_FORCED_NOTHING, 0);

	/* alice buys 1 BTC from bob's ask */
	struct cl_order ask = order(&e, bob, false, P(50000), SZ(1000), 0);
	CHECK(place(&e, &r, &ask, bob) == CL_STF_OK);
	struct cl_order buy = order(&e, alice, true, P(50000), SZ(1000),
				    TIF(CL_TIF_IOC));
	CHECK(place(&e, &r, &buy, alice) == CL_STF_OK &&
	      r.filled == SZ(1000));
	CHECK(position(&e, alice) == (int64_t)SZ(1000));

	/* CANCEL and CANCEL_ALL: two resting bids of alice far away */
	struct cl_order b1 = order(&e, alice, true, P(40000), SZ(10), 0);
	struct cl_order b2 = order(&e, alice, true, P(40001), SZ(10), 0);
	struct cl_order bb = order(&e, bob, true, P(39000), SZ(10), 0);
	CHECK(place(&e, &r, &b1, alice) == CL_STF_OK);
	CHECK(place(&e, &r, &b2, alice) == CL_STF_OK);
	CHECK(place(&e, &r, &bb, bob) == CL_STF_OK);
	struct cl_stf_level lv[4];
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 3);
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL, record(&e, &b1).sequence,
		      0, CL_FORCED_DONE, 1);
	CHECK(record(&e, &b1).status == CL_ORDER_CANCELLED);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 2 &&
	      lv[0].price == P(40001));
	/* the same order again, an unknown one, bob's order under alice */
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL, record(&e, &b1).sequence,
		      0, CL_FORCED_NOTHING, 0);
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL, 999999, 0,
		      CL_FORCED_NOTHING, 0);
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL, record(&e, &bb).sequence,
		      0, CL_FORCED_NOTHING, 0);
	CHECK(record(&e, &bb).status == CL_ORDER_OPEN);
	/* the withdrawal with a position and an order: exactly what the
	 * margin rules allow (read before), to alice herself */
	{
		struct cl_health h;
		v = tenv_view(&e);
		CHECK(cl_stf_get_health(&v, &h, &e.addr[alice]) == CL_OK);
		int64_t can = margin_withdrawable(&h);
		CHECK(can > 0 && can < 10000 * T_USD);
		int64_t before = collateral(&e, alice);
		r = expect_forced(&e, id++, alice, CL_FORCED_WITHDRAW,
				  20000 * T_USD, 0, CL_FORCED_PARTIAL,
				  (uint64_t)can);
		CHECK(collateral(&e, alice) == before - can);
		alice_paid = can;
	}
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL_ALL, 0, 0,
		      CL_FORCED_DONE, 1);
	CHECK(record(&e, &b2).status == CL_ORDER_CANCELLED);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 1 &&
	      lv[0].price == P(39000));
	expect_forced(&e, id++, alice, CL_FORCED_CANCEL_ALL, 0, 0,
		      CL_FORCED_NOTHING, 0);
	t_open_sizes_check(&e, "after the cancels");

	/* CLOSE: bob bids 0.4 @49000 (and 0.01 @39000) */
	struct cl_order bid = order(&e, bob, true, P(49000), SZ(400), 0);
	CHECK(place(&e, &r, &bid, bob) == CL_STF_OK);
	/* a limit above the bid: nothing; the close order is closed */
	r = expect_forced(&e, id++, alice, CL_FORCED_CLOSE, T_BTC, P(49001),
			  CL_FORCED_NOTHING, 0);
	CHECK(r.status == CL_ORDER_DONE && r.n_fills == 0 &&
	      r.done_reason == CL_DONE_IOC_REMAINDER);
	CHECK(position(&e, alice) == (int64_t)SZ(1000));
	/* 48999.99 rounds up to 49000 for a sell: fills the bid's 0.4 at its
	 * price, the rest (the 39000 bid is below the limit) is closed */
	r = expect_forced(&e, id++, alice, CL_FORCED_CLOSE, T_BTC,
			  P(49000) - 1, CL_FORCED_PARTIAL, SZ(400));
	CHECK(r.n_fills == 1 && r.fills[0].price == P(49000) &&
	      r.status == CL_ORDER_DONE);
	CHECK(position(&e, alice) == (int64_t)SZ(600));
	CHECK(position(&e, bob) == -(int64_t)SZ(600));
	CHECK(record(&e, &bb).status == CL_ORDER_OPEN &&
	      record(&e, &bb).filled == 0);
	/* bob bids 1 BTC @48500: the rest closes there */
	struct cl_order bid2 = order(&e, bob, true, P(48500), SZ(1000), 0);
	CHECK(place(&e, &r, &bid2, bob) == CL_STF_OK);
	/* alice withdrew down to her initial margin: selling 1500 below the
	 * mark would leave her further below maintenance, which no reducing
	 * fill may do (docs/margin.md): nothing filled, the order closed */
	r = expect_forced(&e, id++, alice, CL_FORCED_CLOSE, T_BTC, P(48000),
			  CL_FORCED_NOTHING, 0);
	CHECK(r.status == CL_ORDER_DONE && r.done_reason == CL_DONE_MARGIN);
	CHECK(position(&e, alice) == (int64_t)SZ(600));
	CHECK(record(&e, &bid2).status == CL_ORDER_OPEN &&
	      record(&e, &bid2).filled == 0);
	fund(&e, alice, 5000);
	r = expect_forced(&e, id++, alice, CL_FORCED_CLOSE, T_BTC, P(48000),
			  CL_FORCED_DONE, SZ(600));
	CHECK(r.n_fills == 1 && r.fills[0].price == P(48500) &&
	      r.status == CL_ORDER_FILLED);
	CHECK(position(&e, alice) == 0);
	CHECK(record(&e, &bid2).filled == SZ(600));
	/* nothing left to close; an unknown market */
	expect_forced(&e, id++, alice, CL_FORCED_CLOSE, T_BTC, P(48000),
		      CL_FORCED_NOTHING, 0);
	expect_forced(&e, id++, alice, CL_FORCED_CLOSE, 99, P(48000),
		      CL_FORCED_NOTHING, 0);

	/* a short closes with a buy: dave sells 0.1 into bob's bid, then
	 * closes against bob's ask (bob is flat again after alice's close) */
	CHECK(position(&e, bob) == 0);
	fund(&e, dave, 10000);
	struct cl_order ask2 = order(&e, dave, false, P(48500), SZ(100), 0);
	/* dave sells 0.1 into bob's remaining bid 0.4 @48500 */
	CHECK(place(&e, &r, &ask2, dave) == CL_STF_OK && r.filled == SZ(100));
	CHECK(position(&e, dave) == -(int64_t)SZ(100));
	struct cl_order ask3 = order(&e, bob, false, P(48600), SZ(500), 0);
	CHECK(place(&e, &r, &ask3, bob) == CL_STF_OK);
	/* a buy limit of 48600.99 rounds down to 48600 and fills */
	r = expect_forced(&e, id++, dave, CL_FORCED_CLOSE, T_BTC,
			  P(48600) + 99, CL_FORCED_DONE, SZ(100));
	CHECK(r.n_fills == 1 && r.fills[0].price == P(48600));
	CHECK(position(&e, dave) == 0);
	t_open_sizes_check(&e, "after the closes");
	t_invariants(&e, "forced",
		     (__int128)(10000 + 1000000 + 500 + 10000 + 5000 - 500) * T_USD -
			     alice_paid);

	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/* ---- a random mix ---- */

static uint64_t rnd(uint64_t n)
{
	return test_rand() % n;
}

static struct cl_hash32 random_mix(struct cl_state *st, uint64_t seed)
{
	struct tenv e;
	struct cl_stf_result r;
	__int128 net = 0;
	uint64_t id = 0;
	uint64_t counts[4][4] = {{0}}; /* kind x outcome */

	test_rng_state = seed;
	tenv_init(&e, st);
	t_open_next(&e, 1000);
	for (int who = 0; who < 4; who++) {
		fund(&e, who, 100000);
		net += (__int128)100000 * T_USD;
	}
	price(&e, P(50000));
	for (int step = 0; step < 400; step++) {
		if (step % 8 == 7)
			t_open_next(&e, 1000);
		uint64_t k = rnd(10), who = rnd(4);
		if (k <= 4) {
			bool buy = rnd(2);
			uint8_t flags = k == 4 ? TIF(CL_TIF_IOC) : 0;
			struct cl_order o = order(&e, (int)who, buy,
						  P(49000 + 10 * rnd(201)),
						  SZ(1 + rnd(50)), flags);
			CHECK(place(&e, &r, &o, (int)who) >= 0);
			continue;
		}
		if (k == 5) {
			/* oracle times must move: a new block, a second on */
			t_open_next(&e, 1000);
			price(&e, P(49500 + 10 * rnd(101)));
			continue;
		}
		struct cl_stf_globals g;
		struct cl_stf_view v = tenv_view(&e);
		CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
		enum cl_forced_kind kind = (enum cl_forced_kind)(1 + rnd(4));
		uint64_t x = 0, y = 0;
		switch (kind) {
		case CL_FORCED_WITHDRAW:
			x = 1 + rnd((uint64_t)collateral(&e, (int)who) * 2 + 1);
			break;
		case CL_FORCED_CANCEL: {
			/* half the time one of the account's open orders */
			struct cl_hash32 h[8];
			struct cl_order_record rec;
			size_t n = 0;
			CHECK(cl_stf_get_open_orders(&v, h, 8, &n,
						     &e.addr[who]) == CL_OK);
			x = rnd(g.next_order_sequence + 3);
			if (n && rnd(2) &&
			    cl_stf_get_order(&v, &rec, &h[rnd(n)]) == CL_OK)
				x = rec.sequence;
			break;
		}
		case CL_FORCED_CANCEL_ALL:
			break;
		case CL_FORCED_CLOSE:
			x = rnd(4) ? T_BTC : 99;
			/* a limit anywhere from far in the money to far out */
			y = P(45000 + rnd(10001)) + rnd(100);
			break;
		}
		CHECK(req(&e, &r, forced(id, &e.addr[who], kind, x, y)) ==
		      CL_STF_OK);
		CHECK(r.forced_outcome >= CL_FORCED_DONE &&
		      r.forced_outcome <= CL_FORCED_NOTHING);
		if (kind == CL_FORCED_WITHDRAW) {
			CHECK(r.forced_value <= x);
			net -= r.forced_value;
		}
		counts[kind - 1][r.forced_outcome] += 1;
		id++;
		t_open_sizes_check(&e, "random forced");
	}
	t_invariants(&e, "random mix", net);
	for (int kd = 0; kd < 4; kd++)
		printf("forced %-10s done %llu partial %llu nothing %llu\n",
		       cl_forced_kind_str(kd + 1),
		       (unsigned long long)counts[kd][CL_FORCED_DONE],
		       (unsigned long long)counts[kd][CL_FORCED_PARTIAL],
		       (unsigned long long)counts[kd][CL_FORCED_NOTHING]);
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
	test_order(cl_state_new_memory());
	struct cl_hash32 mem = scenario(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = scenario(st);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	uint64_t seed = test_seed();
	struct cl_hash32 m1 = random_mix(cl_state_new_memory(), seed);
	st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 d1 = random_mix(st, seed);
		CHECK_MSG(memcmp(m1.b, d1.b, 32) == 0,
			  "random mix: memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	CHECK(t_seen_code[CL_STF_ERR_FORCED_OUT_OF_ORDER]);
	return test_done("test_forced");
}
