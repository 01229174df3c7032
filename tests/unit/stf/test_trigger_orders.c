/* SPDX-License-Identifier: MIT */
/*
 * Trigger, scale and TWAP orders (docs/protocol.md section 8) through the
 * derivation layer, on the memory backend and on LMDB (the roots must
 * agree), with worked numbers:
 *  - TRIGGER_ORDER placement rules; a stop-market fires at the first
 *    mark at its trigger price and not a dollar before; a TP/SL group on
 *    a position: the TP fires and cancels the SL; a bound stop leaves
 *    with its position; a stop-limit rests after firing; a trigger
 *    reached at once fires in its own request; cancels by hash and by
 *    sequence; expiry; refusal for margin; an L1 forced cancel-all;
 *    the dead-man switch;
 *  - SCALE_ORDER: three legs rest; one bad leg refuses the list; an IOC
 *    list fills against them at the makers' prices; the margin of a
 *    later leg refuses the whole list;
 *  - TWAP_ORDER: rules; slices at their times, a slice the slippage
 *    bound keeps from filling, the last slice catching up; cancel; the
 *    dead-man switch.
 */
#include "orders_util.h"

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

	/* ---- an L1 forced CANCEL_ALL takes them too (value: 1) ---- */
	{
		struct cl_trigger_order f1 = trig(&e, carol, true, P(60000),
						  true, P(61000), SZ(10), 0, 0,
						  false);
		struct cl_hash32 hf1 = trig_hash(&e, &f1);
		CHECK(req(&e, &r, trig_tx(&e, &f1, e.key[carol])) ==
		      CL_STF_OK);
		struct cl_tx ft = {.type = CL_TX_FORCED};
		ft.u.forced.id = 0;
		ft.u.forced.account = e.addr[carol];
		ft.u.forced.kind = CL_FORCED_CANCEL_ALL;
		CHECK(req(&e, &r, ft) == CL_STF_OK);
		CHECK(r.forced_outcome == CL_FORCED_DONE &&
		      r.forced_value == 1);
		CHECK(trig_rec(&e, &hf1).status == CL_TRIGGER_CANCELLED);
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
	CHECK(r.status == CL_ORDER_CANCELLED && r.filled == SZ(10));
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
	struct cl_hash32 mem;
	struct cl_state *st;

	if (cl_crypto_init() != CL_OK)
		return 2;
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
	return test_done("test_trigger_orders");
}
