/* SPDX-License-Identifier: MIT */
/*
 * Pruning of closed records (docs/protocol.md "Pruning"), through the
 * derivation layer, on the memory backend and on LMDB (the roots must
 * agree after every block):
 *  - every kind of record (an order rested and expired, an IOC closed at
 *    once, a cancelled order, a client order, a scale order's legs, a
 *    trigger never reached, a trigger fired and the order it placed)
 *    stays until the first block whose time reaches its expiry + the
 *    grace, not one second before, and is gone from that block on, with
 *    its PRUNE_DUE entry and, for a pending trigger, its two indexes;
 *  - an open order due later keeps its record and its entry;
 *  - after its pruning every pruned request is sent again exactly as
 *    signed: each is refused (EXPIRED) and the root does not move; a
 *    cancel of a pruned order is UNKNOWN_ORDER;
 *  - a TWAP's record goes expiryHorizon after it stopped; its nonce
 *    becomes the trader's floor: the same TWAP again, and any at or
 *    below the floor, is TWAP_NONCE_USED, one above it is accepted;
 *  - at most CL_STF_PRUNE_PER_BLOCK records go at one opening, the rest
 *    at the next (cl_stf_block_pruned says so);
 *  - an order due but still open (the expiry sweep's budget was spent)
 *    is never pruned: the step stops there and goes on once it closed;
 *  - cl_stf_pruned_before reports how far pruning went.
 */
#include "orders_util.h"

#define GRACE CL_STF_PRUNE_GRACE_S

static size_t count_table(struct tenv *e, enum cl_table t)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl, n = 0;
	int rc;

	CHECK(cl_state_iter_new(&it, e->st, t, NULL, 0) == CL_OK);
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK)
		n++;
	CHECK(rc == CL_ERR_NOT_FOUND);
	cl_state_iter_free(it);
	return n;
}

static bool has_order(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record o;
	int rc = cl_stf_get_order(&v, &o, h);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return rc == CL_OK;
}

static bool has_trigger(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_trigger_record t;
	int rc = cl_stf_get_trigger(&v, &t, h);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return rc == CL_OK;
}

static bool has_twap(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_twap_record t;
	int rc = cl_stf_get_twap(&v, &t, h);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return rc == CL_OK;
}

static struct cl_tx trig_tx(struct tenv *e, const struct cl_trigger_order *m,
			    int who, struct cl_hash32 *h)
{
	struct cl_tx tx = {.type = CL_TX_TRIGGER_ORDER};

	tx.u.trigger.msg = *m;
	cl_trigger_order_digest(h, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.trigger.sig, e->key[who], h);
	return tx;
}

static struct cl_tx twap_tx(struct tenv *e, const struct cl_twap_order *m,
			    int who, struct cl_hash32 *h)
{
	struct cl_tx tx = {.type = CL_TX_TWAP_ORDER};

	tx.u.twap.msg = *m;
	cl_twap_order_digest(h, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.twap.sig, e->key[who], h);
	return tx;
}

static struct cl_tx scale_tx(struct tenv *e, const struct cl_scale_order *m,
			     int who, struct cl_hash32 *h)
{
	struct cl_tx tx = {.type = CL_TX_SCALE_ORDER};

	tx.u.scale.msg = *m;
	cl_scale_order_digest(h, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.scale.sig, e->key[who], h);
	return tx;
}

/* Memory and LMDB side by side: every request and block goes to both,
 * and the roots must agree after each block. */
struct pair {
	struct tenv m, l;
	struct t_lmdb db;
};

static void both_open(struct pair *p, uint64_t advance_ms)
{
	open_next(&p->m, advance_ms);
	open_next(&p->l, advance_ms);
	struct cl_hash32 a, b;
	CHECK(cl_state_root(p->m.st, &a) == CL_OK);
	CHECK(cl_state_root(p->l.st, &b) == CL_OK);
	CHECK_MSG(cl_hash32_eq(&a, &b),
		  "memory and lmdb roots differ at "
		  "block %llu",
		  (unsigned long long)p->m.number);
	CHECK(cl_hash32_eq(&p->m.root, &p->l.root));
	size_t pm = cl_stf_block_pruned(p->m.stf, NULL);
	CHECK(pm == cl_stf_block_pruned(p->l.stf, NULL));
}

static int both_req(struct pair *p, struct cl_tx tx)
{
	struct cl_stf_result r;
	int a = req(&p->m, &r, tx);
	int b = req(&p->l, &r, tx);
	CHECK(a == b);
	return a;
}

/* Refused on both with `code`, both roots unchanged. */
static void both_refused(struct pair *p, struct cl_tx tx, int code)
{
	expect_refused(&p->m, tx, code);
	expect_refused(&p->l, tx, code);
}

static void test_prune_kinds(void)
{
	struct pair p;
	struct tenv *e = &p.m;
	const int alice = 0, bob = 1, carol = 2;
	struct cl_state *lst = t_lmdb_open(&p.db);

	if (!lst)
		return;
	tenv_init(&p.m, cl_state_new_memory());
	tenv_init(&p.l, lst);
	both_open(&p, 1000);
	for (int who = 0; who < 3; who++) {
		CHECK(both_req(&p, t_deposit(p.m.next_deposit++, &e->addr[who],
					     1000000 * T_USD)) == CL_STF_OK);
		p.l.next_deposit++;
	}
	{
		uint64_t ps[3] = {P(50000), P(50000), P(50000)}, ts[3];
		for (int i = 0; i < 3; i++)
			ts[i] = tenv_now(e);
		CHECK(both_req(&p, t_oracle_update(e, T_BTC, ps, ts, e->okey,
						   3)) == CL_STF_OK);
	}
	uint64_t t0 = tenv_now(e), exp = t0 + 100;
	struct cl_tx sent[16];
	size_t n_sent = 0;
	struct cl_hash32 pruned[24];
	size_t n_pruned = 0;

	/* a resting bid that will expire on the book */
	struct cl_order rest =
	    t_order(&e->addr[alice], T_BTC, true, P(49000), SZ(10), 1, exp, 0);
	sent[n_sent++] = t_place(e, &rest, e->key[alice]);
	pruned[n_pruned++] = t_order_hash(e, &rest);
	/* an IOC with nothing to meet: closed at once */
	struct cl_order ioc = t_order(&e->addr[alice], T_BTC, true, P(49000),
				      SZ(10), 2, exp, TIF(CL_TIF_IOC));
	sent[n_sent++] = t_place(e, &ioc, e->key[alice]);
	pruned[n_pruned++] = t_order_hash(e, &ioc);
	/* an ask cancelled by its trader */
	struct cl_order ask =
	    t_order(&e->addr[bob], T_BTC, false, P(52000), SZ(10), 3, exp, 0);
	sent[n_sent++] = t_place(e, &ask, e->key[bob]);
	struct cl_hash32 ask_h = t_order_hash(e, &ask);
	pruned[n_pruned++] = ask_h;
	/* a client order, left resting */
	struct cl_cloid id = cloid_of(7, 7);
	struct cl_order co =
	    t_order(&e->addr[carol], T_BTC, true, P(48000), SZ(10), 4, exp, 0);
	sent[n_sent++] = client_tx(e, &co, &id, e->key[carol]);
	pruned[n_pruned++] = client_hash(e, &co, &id);
	/* a two-leg scale of bids */
	struct cl_scale_order sc = {.trader = e->addr[carol],
				    .market = T_BTC,
				    .is_buy = true,
				    .n = 2,
				    .price = {P(47000), P(46000)},
				    .size = {SZ(10), SZ(20)},
				    .nonce = 5,
				    .expiry = exp,
				    .flags = 0};
	struct cl_hash32 sch;
	sent[n_sent++] = scale_tx(e, &sc, carol, &sch);
	for (uint8_t i = 0; i < 2; i++)
		cl_stf_scale_leg_hash(&pruned[n_pruned++], &sch, i);
	/* a stop that is never reached */
	struct cl_trigger_order never = {.trader = e->addr[bob],
					 .market = T_BTC,
					 .is_buy = true,
					 .trigger_price = P(90000),
					 .trigger_above = true,
					 .price = P(91000),
					 .size = SZ(10),
					 .nonce = 6,
					 .expiry = exp,
					 .flags = TIF(CL_TIF_IOC)};
	struct cl_hash32 never_h;
	sent[n_sent++] = trig_tx(e, &never, bob, &never_h);
	/* a stop already reached: fires in its own request, and its order
	 * (a GTC bid below the book) rests */
	struct cl_trigger_order fired = never;
	fired.trigger_price = P(50000);
	fired.price = P(45000);
	fired.nonce = 7;
	fired.flags = 0;
	struct cl_hash32 fired_h, fired_oh;
	sent[n_sent++] = trig_tx(e, &fired, bob, &fired_h);
	cl_stf_triggered_order_hash(&fired_oh, &fired_h);
	pruned[n_pruned++] = fired_oh;
	/* an order due much later: open all along */
	struct cl_order later = t_order(&e->addr[alice], T_BTC, false, P(60000),
					SZ(10), 8, t0 + 7200, 0);
	struct cl_hash32 later_h = t_order_hash(e, &later);

	for (size_t i = 0; i < n_sent; i++)
		CHECK_MSG(both_req(&p, sent[i]) == CL_STF_OK, "request %zu", i);
	CHECK(both_req(&p, t_place(e, &later, e->key[alice])) == CL_STF_OK);
	CHECK(both_req(&p, t_cancel(e, &e->addr[bob], &ask_h, e->key[bob])) ==
	      CL_STF_OK);
	CHECK(rec_of(e, &fired_oh).status == CL_ORDER_OPEN);
	/* 8 order records, 2 triggers: each has its entry */
	CHECK(count_table(e, CL_TABLE_PRUNE_DUE) == n_pruned + 1 + 2);

	/* the expiry passes: the resting ones close, nothing goes yet */
	both_open(&p, 100 * 1000);
	CHECK(tenv_now(e) == exp);
	CHECK(rec_of(e, &pruned[0]).status == CL_ORDER_DONE);
	CHECK(cl_stf_block_pruned(e->stf, NULL) == 0);
	/* one second before the grace ends: everything still there */
	both_open(&p, (GRACE - 1) * 1000);
	CHECK(cl_stf_block_pruned(e->stf, NULL) == 0);
	for (size_t i = 0; i < n_pruned; i++)
		CHECK_MSG(has_order(e, &pruned[i]), "order %zu early", i);
	CHECK(has_trigger(e, &never_h) && has_trigger(e, &fired_h));
	CHECK(count_table(e, CL_TABLE_TRIGGER_INDEX) == 1);
	{
		struct cl_stf_view v = tenv_view(e);
		uint64_t before;
		CHECK(cl_stf_pruned_before(&v, &before) == CL_OK);
		CHECK(before == exp + GRACE);
	}

	/* the block that reaches expiry + grace prunes them all */
	both_open(&p, 1000);
	bool pending = true;
	CHECK(cl_stf_block_pruned(e->stf, &pending) == n_pruned + 2);
	CHECK(!pending);
	for (size_t i = 0; i < n_pruned; i++)
		CHECK_MSG(!has_order(e, &pruned[i]), "order %zu kept", i);
	CHECK(!has_trigger(e, &never_h) && !has_trigger(e, &fired_h));
	CHECK(count_table(e, CL_TABLE_TRIGGER_INDEX) == 0);
	CHECK(count_table(e, CL_TABLE_TRIGGER_OWNER) == 0);
	CHECK(count_table(e, CL_TABLE_CLOIDS) == 0);
	/* the open order due later: record, open index and entry kept */
	CHECK(rec_of(e, &later_h).status == CL_ORDER_OPEN);
	CHECK(open_count(e, alice) == 1);
	CHECK(count_table(e, CL_TABLE_PRUNE_DUE) == 1);
	{
		struct cl_stf_view v = tenv_view(e);
		uint64_t before;
		CHECK(cl_stf_pruned_before(&v, &before) == CL_OK);
		CHECK(before == tenv_now(e) + 1);
	}

	/* every pruned request again, exactly as signed: refused, nothing
	 * moves; and a cancel of a pruned order */
	for (size_t i = 0; i < n_sent; i++)
		both_refused(&p, sent[i], CL_STF_ERR_EXPIRED);
	both_refused(&p,
		     t_cancel(e, &e->addr[alice], &pruned[0], e->key[alice]),
		     CL_STF_ERR_UNKNOWN_ORDER);

	/* ---- TWAPs: one slice, stopped at once; its record goes
	 * expiryHorizon later and its nonce becomes the floor ---- */
	struct cl_twap_order tw = {.trader = e->addr[carol],
				   .market = T_BTC,
				   .is_buy = true,
				   .size = SZ(10),
				   .interval = 10,
				   .slices = 1,
				   .slippage_ppm = 1000,
				   .nonce = 1000,
				   .reduce_only = false};
	struct cl_hash32 tw_h;
	struct cl_tx tw_tx = twap_tx(e, &tw, carol, &tw_h);
	CHECK(both_req(&p, tw_tx) == CL_STF_OK);
	struct cl_twap_order tw_low = tw;
	tw_low.nonce = 10; /* below, but nothing is pruned yet */
	struct cl_hash32 tw_low_h;
	struct cl_tx tw_low_tx = twap_tx(e, &tw_low, carol, &tw_low_h);
	CHECK(both_req(&p, tw_low_tx) == CL_STF_OK);
	CHECK(has_twap(e, &tw_h) && has_twap(e, &tw_low_h));
	uint64_t stopped = tenv_now(e);
	both_refused(&p, tw_tx, CL_STF_ERR_DUPLICATE_ORDER);
	both_open(&p, (T_HORIZON - 1) * 1000);
	CHECK(has_twap(e, &tw_h));
	both_open(&p, 1000);
	CHECK(tenv_now(e) == stopped + T_HORIZON);
	CHECK(!has_twap(e, &tw_h) && !has_twap(e, &tw_low_h));
	CHECK(count_table(e, CL_TABLE_TWAP_NONCES) == 0);
	{
		struct cl_stf_view v = tenv_view(e);
		uint64_t floor;
		CHECK(cl_stf_get_twap_floor(&v, &floor, &e->addr[carol]) ==
		      CL_OK);
		CHECK(floor == 1000);
		CHECK(cl_stf_get_twap_floor(&v, &floor, &e->addr[bob]) ==
		      CL_ERR_NOT_FOUND);
	}
	/* the later order expired and went too */
	CHECK(!has_order(e, &later_h));
	CHECK(count_table(e, CL_TABLE_PRUNE_DUE) == 0);
	both_refused(&p, tw_tx, CL_STF_ERR_TWAP_NONCE_USED);
	both_refused(&p, tw_low_tx, CL_STF_ERR_TWAP_NONCE_USED);
	struct cl_twap_order tw_eq = tw;
	tw_eq.size = SZ(20);
	struct cl_hash32 hh;
	both_refused(&p, twap_tx(e, &tw_eq, carol, &hh),
		     CL_STF_ERR_TWAP_NONCE_USED);
	/* another trader's nonces are its own; above the floor is fine */
	struct cl_twap_order tw_bob = tw;
	tw_bob.trader = e->addr[bob];
	CHECK(both_req(&p, twap_tx(e, &tw_bob, bob, &hh)) == CL_STF_OK);
	tw_eq.nonce = 1001;
	CHECK(both_req(&p, twap_tx(e, &tw_eq, carol, &hh)) == CL_STF_OK);
	both_open(&p, 1000);

	tenv_release(&p.m);
	tenv_release(&p.l);
	t_lmdb_close(&p.db);
}

/* More records due than one opening prunes: CL_STF_PRUNE_PER_BLOCK go,
 * the rest at the next opening, in key order. */
static void test_prune_budget(void)
{
	struct tenv e;
	struct cl_stf_result r;
	const size_t extra = 37, n = CL_STF_PRUNE_PER_BLOCK + extra;

	tenv_init(&e, cl_state_new_memory());
	open_next(&e, 1000);
	fund(&e, 0, 1000000);
	price(&e, P(50000));
	uint64_t exp = tenv_now(&e) + 10;
	for (size_t i = 0; i < n; i++) {
		struct cl_order o =
		    t_order(&e.addr[0], T_BTC, true, P(40000), SZ(1),
			    e.order_nonce++, exp, TIF(CL_TIF_IOC));
		CHECK(place(&e, &r, &o, 0) == CL_STF_OK &&
		      r.status == CL_ORDER_DONE);
	}
	CHECK(count_table(&e, CL_TABLE_PRUNE_DUE) == n);
	open_next(&e, (10 + GRACE) * 1000);
	bool pending = false;
	CHECK(cl_stf_block_pruned(e.stf, &pending) == CL_STF_PRUNE_PER_BLOCK);
	CHECK(pending);
	CHECK(count_table(&e, CL_TABLE_PRUNE_DUE) == extra);
	{
		struct cl_stf_view v = tenv_view(&e);
		uint64_t before;
		CHECK(cl_stf_pruned_before(&v, &before) == CL_OK);
		CHECK(before == exp + GRACE); /* a backlog at that time */
	}
	open_next(&e, 1000);
	CHECK(cl_stf_block_pruned(e.stf, &pending) == extra);
	CHECK(!pending);
	CHECK(count_table(&e, CL_TABLE_PRUNE_DUE) == 0);
	/* no order key is left */
	size_t left = 0;
	{
		struct cl_state_iter *it;
		const uint8_t *k, *v;
		size_t kl, vl;
		CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_ORDERS, NULL, 0) ==
		      CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK)
			left++;
		cl_state_iter_free(it);
	}
	CHECK_MSG(left == 0, "%zu order keys left", left);
	open_next(&e, 1000);
	CHECK(cl_stf_block_pruned(e.stf, &pending) == 0 && !pending);
	tenv_release(&e);
}

/* An order whose time came but which is still open (the expiry sweep
 * ran out of budget: here a dead-man switch took part of it) stops the
 * step: nothing after it goes, and it goes once it is closed. */
static void test_prune_waits_for_open(void)
{
	struct tenv e;
	struct cl_stf_result r;
	const size_t k = 100, n = CL_STF_DERIVED_PER_BLOCK;
	struct cl_hash32 *h = calloc(n, sizeof(*h));

	tenv_init(&e, cl_state_new_memory());
	open_next(&e, 1000);
	fund(&e, 0, 1000000000);
	fund(&e, 1, 1000000);
	price(&e, P(50000));
	for (size_t i = 0; i < k; i++) {
		struct cl_order o = order(&e, 1, true, P(40000), SZ(1), 0);
		CHECK(place(&e, &r, &o, 1) == CL_STF_OK);
	}
	CHECK(sched(&e, 1, tenv_now(&e) + 5, 1) == CL_STF_OK);
	uint64_t exp = tenv_now(&e) + 10;
	for (size_t i = 0; i < n; i++) {
		struct cl_order o = t_order(&e.addr[0], T_BTC, true, P(40000),
					    SZ(1), e.order_nonce++, exp, 0);
		h[i] = t_order_hash(&e, &o);
		CHECK(place(&e, &r, &o, 0) == CL_STF_OK &&
		      r.status == CL_ORDER_OPEN);
	}
	/* the switch closes k orders first, the sweep the budget's rest */
	open_next(&e, (10 + GRACE) * 1000);
	CHECK(cl_stf_derived_pending(e.stf));
	CHECK(open_count(&e, 1) == 0);
	bool pending = false;
	size_t pruned = cl_stf_block_pruned(e.stf, &pending);
	/* the switch's k closes and its disarming took k + 1 of the budget */
	CHECK_MSG(pruned == n - k - 1, "%zu pruned", pruned);
	CHECK(pending);
	size_t kept_open = 0, gone = 0;
	for (size_t i = 0; i < n; i++) {
		if (!has_order(&e, &h[i])) {
			gone++;
			continue;
		}
		CHECK(rec_of(&e, &h[i]).status == CL_ORDER_OPEN);
		kept_open++;
	}
	CHECK(gone == pruned && kept_open == k + 1);
	/* the next opening closes them, and prunes them */
	open_next(&e, 1000);
	CHECK(cl_stf_block_pruned(e.stf, &pending) == k + 1 && !pending);
	for (size_t i = 0; i < n; i++)
		CHECK(!has_order(&e, &h[i]));
	free(h);
	tenv_release(&e);
}

int main(void)
{
	test_prune_kinds();
	test_prune_budget();
	test_prune_waits_for_open();
	return test_done("test_prune");
}
