/* SPDX-License-Identifier: MIT */
/*
 * The derivation layer (include/clearline/stf.h "Blocks of requests") on
 * the memory backend and on LMDB:
 *  - the L1 reference of a block header: every rule and its reject code,
 *    each leaving the state untouched;
 *  - a derived type offered as a request is refused;
 *  - a placed order matches by price, then time; self-trade prevention
 *    cancels the resting order; IOC, FOK and post-only outcomes; the
 *    remainder rests and shows in the book;
 *  - a cancel that names its order by sequence (as batches carry it);
 *  - resting orders that expire are closed when a block opens;
 *  - an oracle move liquidates an account with no one asking, on the book
 *    first, and the block's derived fills list each slice as the events
 *    show it;
 *  - the books are a cache: a discarded block and a new stf on the same
 *    state give the same results as the writer that saw everything.
 */
#include "stf_util.h"

#define P(usd) ((uint64_t)(usd) * 100)     /* BTC price, cents */
#define SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */

/* Recover and hand a request to the derivation; the result in *r. */
static int req(struct tenv *e, struct cl_stf_result *r, struct cl_tx tx)
{
	cl_tx_recover(&tx, cl_stf_domain(e->stf));
	return cl_stf_request(e->stf, r, &tx);
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

/* ---- the L1 reference ---- */

static void test_l1_ref(struct cl_state *st)
{
	struct tenv e;
	struct cl_block_header h;
	struct cl_hash32 before;

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	before = e.root;
	struct cl_l1_ref last = t_l1_at(e.ms);

	h.number = e.number + 1;
	h.prev_root = e.root;
	h.timestamp_ms = e.ms + 2000;
	/* an L1 block after the L2 time */
	h.l1 = t_l1_at(e.ms + 3000);
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_TIME_WINDOW);
	/* the L2 time beyond the drift: refused; exactly at it: fine later */
	h.l1 = last;
	h.timestamp_ms = (last.timestamp + CL_L1_MAX_DRIFT_S + 1) * 1000;
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_TIME_WINDOW);
	/* backwards */
	h.timestamp_ms = e.ms + 2000;
	h.l1 = t_l1_at(e.ms - 5000);
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_REF);
	/* the same number named with another hash, or another time */
	h.l1 = last;
	h.l1.hash.b[0] ^= 1;
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_REF);
	h.l1 = last;
	h.l1.timestamp--;
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_REF);
	/* a later number with an earlier time */
	h.l1 = last;
	h.l1.number++;
	h.l1.timestamp--;
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_ERR_L1_REF);
	t_commit(&e);
	CHECK(memcmp(before.b, e.root.b, 32) == 0);
	t_seen_code[CL_STF_ERR_L1_REF] = true;
	t_seen_code[CL_STF_ERR_L1_TIME_WINDOW] = true;

	/* the same L1 block again, at the edge of the window */
	h.l1 = last;
	h.timestamp_ms = (last.timestamp + CL_L1_MAX_DRIFT_S) * 1000 + 999;
	CHECK(cl_stf_open_block(e.stf, &h) == CL_STF_OK);
	cl_stf_end_block(e.stf);
	t_commit(&e);
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_globals g;
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	CHECK(g.block_number == e.number + 1);
	tenv_release(&e);
}

/* ---- requests ---- */

static void test_not_a_request(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_hash32 a = {{1}}, b = {{2}};

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	t_commit(&e);
	struct cl_hash32 before = e.root;
	CHECK(req(&e, &r, t_fill(&a, &b, 1)) == CL_STF_ERR_NOT_A_REQUEST);
	CHECK(req(&e, &r, t_done(&a, CL_DONE_MARGIN)) ==
	      CL_STF_ERR_NOT_A_REQUEST);
	CHECK(req(&e, &r, t_reindex(&e.addr[0], 1)) ==
	      CL_STF_ERR_NOT_A_REQUEST);
	t_commit(&e);
	CHECK(memcmp(before.b, e.root.b, 32) == 0);
	t_seen_code[CL_STF_ERR_NOT_A_REQUEST] = true;
	tenv_release(&e);
}

static void test_matching(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	for (int i = 0; i < 6; i++)
		fund(&e, i, 1000000);
	price(&e, P(60000));

	/* asks: 1 @60010 (first), 2 @60010 (second), 3 @60005 */
	struct cl_order a1 = order(&e, 1, false, P(60010), SZ(2), 0);
	struct cl_order a2 = order(&e, 2, false, P(60010), SZ(2), 0);
	struct cl_order a3 = order(&e, 3, false, P(60005), SZ(1), 0);
	CHECK(place(&e, &r, &a1, 1) == CL_STF_OK &&
	      r.status == CL_ORDER_OPEN && r.n_fills == 0);
	CHECK(place(&e, &r, &a2, 2) == CL_STF_OK);
	CHECK(place(&e, &r, &a3, 3) == CL_STF_OK);
	struct cl_stf_level lv[4];
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, false) == 2);
	CHECK(lv[0].price == P(60005) && lv[0].size == SZ(1) &&
	      lv[0].orders == 1);
	CHECK(lv[1].price == P(60010) && lv[1].size == SZ(4) &&
	      lv[1].orders == 2);

	/* a buy of 4 up to 60010: the better price first, then time */
	struct cl_order b = order(&e, 4, true, P(60010), SZ(4), 0);
	CHECK(place(&e, &r, &b, 4) == CL_STF_OK);
	CHECK(r.status == CL_ORDER_FILLED && r.filled == SZ(4));
	CHECK(r.n_fills == 3);
	struct cl_hash32 h1 = t_order_hash(&e, &a1), h2 = t_order_hash(&e, &a2),
			 h3 = t_order_hash(&e, &a3);
	CHECK(r.n_fills == 3 && cl_hash32_eq(&r.fills[0].maker, &h3) &&
	      r.fills[0].price == P(60005) && r.fills[0].size == SZ(1) &&
	      cl_hash32_eq(&r.fills[1].maker, &h1) &&
	      r.fills[1].size == SZ(2) && cl_hash32_eq(&r.fills[2].maker, &h2) &&
	      r.fills[2].size == SZ(1) &&
	      cl_address_eq(&r.fills[2].maker_owner, &e.addr[2]));
	CHECK(record(&e, &a2).filled == SZ(1));

	/* self-trade: trader 2 buys against its own resting ask, which is
	 * cancelled; the rest of its buy rests */
	struct cl_order s = order(&e, 2, true, P(60010), SZ(2), 0);
	CHECK(place(&e, &r, &s, 2) == CL_STF_OK);
	CHECK(r.n_fills == 0 && r.status == CL_ORDER_OPEN);
	CHECK(record(&e, &a2).status == CL_ORDER_DONE);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, false) == 0);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 1 &&
	      lv[0].price == P(60010) && lv[0].size == SZ(2));

	/* post-only that would cross: closed, nothing filled */
	struct cl_order po = order(&e, 3, false, P(60000), SZ(1),
				   CL_ORDER_POST_ONLY);
	CHECK(place(&e, &r, &po, 3) == CL_STF_OK);
	CHECK(r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_POST_ONLY_CROSS && r.n_fills == 0);
	/* FOK larger than the book: closed, nothing filled, the bid intact */
	struct cl_order fok = order(&e, 3, false, P(60000), SZ(3),
				    TIF(CL_TIF_FOK));
	CHECK(place(&e, &r, &fok, 3) == CL_STF_OK);
	CHECK(r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_FOK_UNFILLED && r.n_fills == 0);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 1 &&
	      lv[0].size == SZ(2));
	/* IOC: fills what it can, the rest is closed */
	struct cl_order ioc = order(&e, 3, false, P(60000), SZ(3),
				    TIF(CL_TIF_IOC));
	CHECK(place(&e, &r, &ioc, 3) == CL_STF_OK);
	CHECK(r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_IOC_REMAINDER && r.n_fills == 1 &&
	      r.filled == SZ(2) && r.fills[0].price == P(60010));
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 0);

	/* cancel by sequence: what a batch carries */
	struct cl_order c = order(&e, 5, true, P(59000), SZ(1), 0);
	CHECK(place(&e, &r, &c, 5) == CL_STF_OK);
	struct cl_order_record crec = record(&e, &c);
	struct cl_hash32 ch = t_order_hash(&e, &c), zero = {{0}};
	struct cl_tx cx = t_cancel(&e, &e.addr[5], &ch, e.key[5]);
	cx.u.cancel.msg.order_hash = zero;
	cx.u.cancel.order_seq = crec.sequence + 1; /* no such open order */
	CHECK(cl_stf_request(e.stf, &r, &cx) == CL_STF_ERR_UNKNOWN_ORDER);
	cx.u.cancel.msg.order_hash = zero;
	cx.u.cancel.order_seq = crec.sequence;
	CHECK(cl_stf_request(e.stf, &r, &cx) == CL_STF_OK);
	CHECK(r.status == CL_ORDER_CANCELLED && cl_hash32_eq(&r.order_hash, &ch));
	/* a cancel by hash learns its sequence */
	struct cl_order c2 = order(&e, 5, true, P(59000), SZ(1), 0);
	CHECK(place(&e, &r, &c2, 5) == CL_STF_OK);
	struct cl_hash32 c2h = t_order_hash(&e, &c2);
	cx = t_cancel(&e, &e.addr[5], &c2h, e.key[5]);
	cl_tx_recover(&cx, cl_stf_domain(e.stf));
	CHECK(cl_stf_request(e.stf, &r, &cx) == CL_STF_OK);
	CHECK(cx.u.cancel.order_seq == record(&e, &c2).sequence);
	/* a cancel signed by someone else: refused, the order stays */
	struct cl_order c3 = order(&e, 5, true, P(59000), SZ(1), 0);
	CHECK(place(&e, &r, &c3, 5) == CL_STF_OK);
	struct cl_hash32 c3h = t_order_hash(&e, &c3);
	CHECK(req(&e, &r, t_cancel(&e, &e.addr[5], &c3h, e.key[4])) ==
	      CL_STF_ERR_NOT_AUTHORIZED);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, true) == 1);

	/* expiry: a resting order that expires is closed when a block
	 * opens after its expiry */
	struct cl_order ex = t_order(&e.addr[1], T_BTC, false, P(61000),
				     SZ(1), e.order_nonce++,
				     tenv_now(&e) + 5, 0);
	CHECK(place(&e, &r, &ex, 1) == CL_STF_OK && r.status == CL_ORDER_OPEN);
	t_open_next(&e, 4000);
	CHECK(record(&e, &ex).status == CL_ORDER_OPEN);
	t_open_next(&e, 2000);
	CHECK(record(&e, &ex).status == CL_ORDER_DONE);
	CHECK(cl_stf_block_derived(e.stf) >= 1);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, false) == 0);
	t_invariants(&e, "matching", 6 * 1000000 * (__int128)T_USD);
	tenv_release(&e);
}

/* An oracle move liquidates a leveraged long with no one asking: the
 * book takes the slices first. */
static void test_liquidation(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;

	tenv_init(&e, st);
	t_open_next(&e, 1000);
	fund(&e, 1, 1000000); /* the maker */
	fund(&e, 2, 150);     /* a 40x long of 0.1 BTC at 60000 */
	price(&e, P(60000));
	struct cl_order ask = order(&e, 1, false, P(60000), SZ(100), 0);
	CHECK(place(&e, &r, &ask, 1) == CL_STF_OK);
	struct cl_order buy = order(&e, 2, true, P(60000), SZ(100),
				    TIF(CL_TIF_IOC));
	CHECK(place(&e, &r, &buy, 2) == CL_STF_OK && r.filled == SZ(100));
	/* the maker bids below the market */
	struct cl_order bid = order(&e, 1, true, P(59000), SZ(200), 0);
	CHECK(place(&e, &r, &bid, 1) == CL_STF_OK);
	struct cl_hash32 bid_hash = r.order_hash;
	const struct cl_stf_block_fill *bf;
	CHECK(cl_stf_block_fills(e.stf, &bf) == 0); /* request fills: none */
	t_open_next(&e, 1000);
	price(&e, P(59500));
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_account_risk *ar = calloc(1, sizeof(*ar));
	CHECK(cl_stf_get_account_risk(&v, ar, &e.addr[2]) == CL_OK);
	CHECK(!ar->liquidatable);
	struct cl_stf_event ev[8];
	size_t n = 0;
	CHECK(cl_stf_get_events(&v, ev, 8, &n, &e.addr[2], 0) == CL_OK &&
	      n == 0);
	/* at 59000 the equity (150 - 3 fee - 100) is below maintenance
	 * (59): the price request itself liquidates, on the book */
	t_open_next(&e, 1000);
	price(&e, P(59000));
	v = tenv_view(&e);
	CHECK(cl_stf_get_events(&v, ev, 8, &n, &e.addr[2], 0) == CL_OK);
	CHECK(n >= 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK);
	/* each slice on the book is a derived fill of the block */
	size_t nbf = cl_stf_block_fills(e.stf, &bf);
	CHECK(nbf == n);
	for (size_t i = 0; i < nbf && i < n; i++) {
		static const struct cl_hash32 zh;
		CHECK(bf[i].kind == CL_STF_FILL_LIQUIDATION);
		CHECK(bf[i].market == ev[i].market);
		CHECK(cl_hash32_eq(&bf[i].taker, &zh));
		CHECK(memcmp(bf[i].taker_trader.b, e.addr[2].b, 20) == 0);
		CHECK(!bf[i].taker_is_buy); /* a long closes by selling */
		CHECK(cl_hash32_eq(&bf[i].maker, &bid_hash));
		CHECK(memcmp(bf[i].maker_owner.b, e.addr[1].b, 20) == 0);
		CHECK(bf[i].price == P(59000));
		CHECK(ev[i].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
		      (int64_t)bf[i].size == -ev[i].size);
	}
	CHECK(cl_stf_get_account_risk(&v, ar, &e.addr[2]) == CL_OK);
	CHECK(!ar->liquidatable);
	free(ar);
	t_invariants(&e, "liquidation", 1000150 * (__int128)T_USD);
	tenv_release(&e);
}

/*
 * The books are a cache: the same requests on a writer whose block is
 * discarded half-way (and redone) and on a fresh stf opened on the
 * committed state give the same roots.
 */
static void test_cache(void)
{
	struct tenv a, b;
	struct cl_stf_result r;

	tenv_init(&a, cl_state_new_memory());
	tenv_init(&b, cl_state_new_memory());
	for (int k = 0; k < 2; k++) {
		struct tenv *e = k ? &b : &a;
		t_open_next(e, 1000);
		fund(e, 1, 100000);
		fund(e, 2, 100000);
		price(e, P(60000));
		struct cl_order o = order(e, 1, false, P(60000), SZ(5), 0);
		CHECK(place(e, &r, &o, 1) == CL_STF_OK);
	}
	/* a: a block with a resting order that is thrown away */
	t_open_next(&a, 1000);
	struct cl_order gone = order(&a, 1, false, P(59990), SZ(5), 0);
	CHECK(place(&a, &r, &gone, 1) == CL_STF_OK);
	cl_stf_end_block(a.stf);
	cl_state_discard(a.st);
	a.in_block = false;
	/* readers see the committed book again at once */
	struct cl_stf_level lv[4];
	CHECK(cl_stf_book_depth(a.stf, lv, 4, T_BTC, false) == 2);
	CHECK(cl_stf_reload(a.stf) == CL_OK);
	CHECK(cl_stf_book_depth(a.stf, lv, 4, T_BTC, false) == 1 &&
	      lv[0].price == P(60000));
	a.number--;
	a.ms -= 1000;
	/* b: a new stf on the same state, as after a restart */
	cl_stf_end_block(b.stf);
	b.in_block = false;
	t_commit(&b);
	cl_stf_free(b.stf);
	CHECK(cl_stf_new(&b.stf, b.st, &b.g) == CL_OK);
	for (int k = 0; k < 2; k++) {
		struct tenv *e = k ? &b : &a;
		t_open_next(e, 1000);
		struct cl_order t = order(e, 2, true, P(60000), SZ(3), 0);
		/* the nonce counter moved on a; give b the same order */
		t.nonce = 1000;
		CHECK(place(e, &r, &t, 2) == CL_STF_OK);
		CHECK(r.n_fills == 1 && r.fills[0].price == P(60000));
		cl_stf_end_block(e->stf);
		e->in_block = false;
		t_commit(e);
	}
	CHECK(memcmp(a.root.b, b.root.b, 32) == 0);
	tenv_release(&a);
	tenv_release(&b);
}

/*
 * The budget of derived work: more expiries at once than one block may
 * derive. The first block closes exactly CL_STF_DERIVED_PER_BLOCK of
 * them and says work is pending; the next block closes the rest.
 */
static void test_budget(void)
{
	struct tenv e;
	struct cl_stf_result r;
	const size_t n = CL_STF_DERIVED_PER_BLOCK + 300;
	struct cl_hash32 *h = calloc(n, sizeof(*h));

	tenv_init(&e, cl_state_new_memory());
	t_open_next(&e, 1000);
	fund(&e, 1, 100000000);
	price(&e, P(60000));
	uint64_t exp = tenv_now(&e) + 10;
	for (size_t i = 0; i < n; i++) {
		struct cl_order o = t_order(&e.addr[1], T_BTC, false,
					    P(61000) + P(1) * (i % 50), SZ(1),
					    e.order_nonce++, exp, 0);
		h[i] = t_order_hash(&e, &o);
		CHECK(place(&e, &r, &o, 1) == CL_STF_OK &&
		      r.status == CL_ORDER_OPEN);
	}
	CHECK(!cl_stf_derived_pending(e.stf));
	t_open_next(&e, 11000); /* every order expired */
	CHECK(cl_stf_derived_pending(e.stf));
	CHECK(cl_stf_block_derived(e.stf) == CL_STF_DERIVED_PER_BLOCK);
	struct cl_stf_view v = tenv_view(&e);
	size_t open = 0;
	for (size_t i = 0; i < n; i++) {
		struct cl_order_record rec;
		CHECK(cl_stf_get_order(&v, &rec, &h[i]) == CL_OK);
		open += rec.status == CL_ORDER_OPEN;
	}
	CHECK_MSG(open == n - CL_STF_DERIVED_PER_BLOCK, "%zu still open",
		  open);
	t_open_next(&e, 100);
	CHECK(!cl_stf_derived_pending(e.stf));
	CHECK(cl_stf_block_derived(e.stf) == n - CL_STF_DERIVED_PER_BLOCK);
	v = tenv_view(&e);
	for (size_t i = 0; i < n; i++) {
		struct cl_order_record rec;
		CHECK(cl_stf_get_order(&v, &rec, &h[i]) == CL_OK &&
		      rec.status == CL_ORDER_DONE);
	}
	struct cl_stf_level lv[4];
	CHECK(cl_stf_book_depth(e.stf, lv, 4, T_BTC, false) == 0);
	free(h);
	tenv_release(&e);
}

int main(void)
{
	struct t_lmdb l;

	if (cl_crypto_init() != CL_OK)
		return 2;
	test_l1_ref(cl_state_new_memory());
	test_not_a_request(cl_state_new_memory());
	test_matching(cl_state_new_memory());
	test_liquidation(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		test_matching(st);
		t_lmdb_close(&l);
	}
	test_cache();
	test_budget();
	for (int c = CL_STF_ERR_L1_TIME_WINDOW; c <= CL_STF_ERR_NOT_A_REQUEST;
	     c++)
		CHECK_MSG(t_seen_code[c], "reject code %d (%s) not tested", c,
			  cl_stf_err_str(c));
	return test_done("test_engine");
}
