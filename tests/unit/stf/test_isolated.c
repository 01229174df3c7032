/* SPDX-License-Identifier: MIT */
/*
 * Isolated margin (docs/margin.md "Isolated margin", the worked example):
 * MARGIN_MODE and ISOLATED_MARGIN, orders routed to the isolated
 * account, removal above initial margin only, and an isolated
 * liquidation that leaves the owner's cross balance untouched.
 *
 * ETH-PERP of the test genesis: price 2 dp, size 4 dp (notional atoms =
 * price x size), IMF 5 %, MMF 3 %, taker fee 300 ppm, maker 0; the
 * neutral risk engine (mark = index, no funding, whole-position slices,
 * no liquidation fee).
 */
#include "orders_util.h"

#define ETH_1 10000 /* 1 ETH in size units */

static struct cl_tx t_mode(struct tenv *e, const struct cl_address *trader,
			   uint32_t market, bool isolated, uint64_t nonce,
			   const struct cl_seckey *k)
{
	struct cl_tx tx = {.type = CL_TX_MARGIN_MODE};
	struct cl_hash32 d;

	tx.u.margin_mode.msg.trader = *trader;
	tx.u.margin_mode.msg.market = market;
	tx.u.margin_mode.msg.isolated = isolated;
	tx.u.margin_mode.msg.nonce = nonce;
	cl_margin_mode_digest(&d, cl_stf_domain(e->stf),
			      &tx.u.margin_mode.msg);
	t_sign(&tx.u.margin_mode.sig, k, &d);
	return tx;
}

static struct cl_tx t_iso(struct tenv *e, const struct cl_address *trader,
			  uint32_t market, bool add, uint64_t amount,
			  uint64_t nonce, const struct cl_seckey *k)
{
	struct cl_tx tx = {.type = CL_TX_ISOLATED_MARGIN};
	struct cl_hash32 d;

	tx.u.isolated_margin.msg.trader = *trader;
	tx.u.isolated_margin.msg.market = market;
	tx.u.isolated_margin.msg.add = add;
	tx.u.isolated_margin.msg.amount = amount;
	tx.u.isolated_margin.msg.nonce = nonce;
	cl_isolated_margin_digest(&d, cl_stf_domain(e->stf),
				  &tx.u.isolated_margin.msg);
	t_sign(&tx.u.isolated_margin.sig, k, &d);
	return tx;
}

static int64_t coll(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	int rc = cl_stf_get_account(&v, &acc, a);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return acc.collateral;
}

static void worked_example(void)
{
	struct tenv env, *e = &env;
	struct cl_address *owner, *lp;
	struct cl_address iso, got;
	struct cl_stf_view v;
	bool is_iso;
	uint64_t exp;

	tenv_init(e, cl_state_new_memory());
	owner = &e->addr[1];
	lp = &e->addr[0];
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_ETH, 300000) == CL_STF_OK);
	EXPECT_OK(e, t_deposit(e->next_deposit++, lp, 1000000 * T_USD));
	EXPECT_OK(e, t_deposit(e->next_deposit++, owner, 1000 * T_USD));
	cl_stf_isolated_account(&iso, owner, T_ETH);

	/* moving margin needs the isolated mode */
	EXPECT_REJECT(e, t_iso(e, owner, T_ETH, true, 200 * T_USD, 0,
			       e->key[1]),
		      CL_STF_ERR_NOT_ISOLATED);
	/* only the owner signs its mode */
	EXPECT_REJECT(e, t_mode(e, owner, T_ETH, true, 0, e->key[2]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(e, t_mode(e, owner, 99, true, 0, e->key[1]),
		      CL_STF_ERR_UNKNOWN_MARKET);
	EXPECT_OK(e, t_mode(e, owner, T_ETH, true, 0, e->key[1]));
	v = tenv_view(e);
	CHECK(cl_stf_get_margin_mode(&v, &is_iso, &got, owner, T_ETH) ==
	      CL_OK);
	CHECK(is_iso && cl_address_eq(&got, &iso));
	CHECK(cl_stf_get_margin_mode(&v, &is_iso, &got, owner, T_BTC) ==
	      CL_OK);
	CHECK(!is_iso && cl_address_eq(&got, owner));
	uint32_t mkt;
	enum cl_stf_account_kind kind;
	CHECK(cl_stf_get_account_owner(&v, &got, &kind, &mkt, &iso) == CL_OK);
	CHECK(cl_address_eq(&got, owner) && mkt == T_ETH &&
	      kind == CL_STF_ACCOUNT_ISOLATED);
	CHECK(cl_stf_get_account_owner(&v, &got, &kind, &mkt, owner) ==
	      CL_ERR_NOT_FOUND);

	/* $200 into the isolated position: cross 800, isolated 200 */
	EXPECT_REJECT(e, t_iso(e, owner, T_ETH, true, 1001 * T_USD, 1,
			       e->key[1]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_REJECT(e, t_iso(e, owner, T_ETH, true, 200 * T_USD, 0,
			       e->key[1]),
		      CL_STF_ERR_BAD_NONCE);
	EXPECT_OK(e, t_iso(e, owner, T_ETH, true, 200 * T_USD, 1, e->key[1]));
	CHECK(coll(e, owner) == 800 * T_USD);
	CHECK(coll(e, &iso) == 200 * T_USD);

	/* the cross account no longer trades ETH; the isolated account
	 * trades nothing but ETH */
	exp = tenv_now(e) + 3600;
	struct cl_order o = t_order(owner, T_ETH, true, 300000, ETH_1, 900,
				    exp, 0);
	EXPECT_REJECT(e, t_place(e, &o, e->key[1]), CL_STF_ERR_WRONG_MODE);
	o = t_order(&iso, T_BTC, true, 6000000, 1000, 901, exp, 0);
	EXPECT_REJECT(e, t_place(e, &o, e->key[1]), CL_STF_ERR_WRONG_MODE);
	/* nobody but the owner (or its agents) acts for it */
	o = t_order(&iso, T_ETH, true, 300000, ETH_1, 902, exp, 0);
	EXPECT_REJECT(e, t_place(e, &o, e->key[2]),
		      CL_STF_ERR_NOT_AUTHORIZED);

	/* long 1 ETH at $3,000 isolated: fee 0.9, IM 150, MM 90 */
	CHECK(t_trade(e, &iso, e->key[1], lp, e->key[0], T_ETH, 300000,
		      ETH_1) == CL_STF_OK);
	CHECK(coll(e, &iso) == 200 * T_USD - 900000);
	CHECK(coll(e, owner) == 800 * T_USD);
	/* no mode change with a position */
	EXPECT_REJECT(e, t_mode(e, owner, T_ETH, false, 2, e->key[1]),
		      CL_STF_ERR_MODE_BUSY);
	/* removal keeps initial margin: 199.1 - 150 = 49.1 may leave */
	EXPECT_REJECT(e, t_iso(e, owner, T_ETH, false, 50 * T_USD, 2,
			       e->key[1]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(e, t_iso(e, owner, T_ETH, false, 49 * T_USD, 2, e->key[1]));
	CHECK(coll(e, &iso) == 150 * T_USD + 100000);
	CHECK(coll(e, owner) == 849 * T_USD);

	/* ETH to $2,900: equity 150.1 - 100 = 50.1 < MM 87: the isolated
	 * account is liquidated on its own; the cross account holds $849
	 * and is no candidate */
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_ETH, 290000) == CL_STF_OK);
	v = tenv_view(e);
	struct cl_stf_account_risk r;
	CHECK(cl_stf_get_account_risk(&v, &r, &iso) == CL_OK);
	CHECK(r.liquidatable);
	CHECK(cl_stf_get_account_risk(&v, &r, owner) == CL_OK);
	CHECK(!r.liquidatable);
	struct cl_address cand[4];
	size_t n;
	CHECK(cl_stf_liquidation_candidates(&v, T_ETH, 290000, cand, 4, &n) ==
	      CL_OK);
	CHECK(n == 1 && cl_address_eq(&cand[0], &iso));
	struct cl_stf_globals g0, g1;
	CHECK(cl_stf_get_globals(&v, &g0) == CL_OK);
	EXPECT_OK(e, t_liquidate(&iso, T_ETH, ETH_1));
	/* closed at the mark: realised -100; the equity share (what was
	 * left, 50.1) goes to the fund; the cross balance is untouched */
	CHECK(cl_stf_get_globals(&v, &g1) == CL_OK);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	CHECK(cl_stf_get_positions(&v, pos, &n, &iso) == CL_OK);
	CHECK(n == 0);
	int64_t left = coll(e, &iso);
	printf("isolated liquidation: left %lld atoms, fund +%lld atoms\n",
	       (long long)left,
	       (long long)(g1.insurance_balance - g0.insurance_balance));
	CHECK(left == 0);
	CHECK(g1.insurance_balance - g0.insurance_balance == 50100000);
	CHECK(coll(e, owner) == 849 * T_USD);
	/* back to cross: what is left returns to the cross balance */
	EXPECT_OK(e, t_mode(e, owner, T_ETH, false, 3, e->key[1]));
	CHECK(coll(e, &iso) == 0);
	CHECK(coll(e, owner) == 849 * T_USD + left);
	CHECK(cl_stf_get_margin_mode(&v, &is_iso, &got, owner, T_ETH) ==
	      CL_OK);
	CHECK(!is_iso);
	/* and the cross account trades ETH again */
	CHECK(t_trade(e, owner, e->key[1], lp, e->key[0], T_ETH, 290000,
		      ETH_1) == CL_STF_OK);

	/* a bankrupt isolated position: a second owner, $1,000 of which
	 * $200 isolated, long 1 ETH at $2,900 (fee 0.87): 199.13 of margin;
	 * ETH to $2,700: equity 199.13 - 200 = -0.87. The fund pays the
	 * shortfall; the owner's cross $800 does not move */
	struct cl_address *o2 = &e->addr[2], iso2;
	cl_stf_isolated_account(&iso2, o2, T_ETH);
	EXPECT_OK(e, t_deposit(e->next_deposit++, o2, 1000 * T_USD));
	EXPECT_OK(e, t_mode(e, o2, T_ETH, true, 0, e->key[2]));
	EXPECT_OK(e, t_iso(e, o2, T_ETH, true, 200 * T_USD, 1, e->key[2]));
	CHECK(t_trade(e, &iso2, e->key[2], lp, e->key[0], T_ETH, 290000,
		      ETH_1) == CL_STF_OK);
	CHECK(coll(e, &iso2) == 200 * T_USD - 870000);
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_ETH, 270000) == CL_STF_OK);
	CHECK(cl_stf_get_account_risk(&v, &r, &iso2) == CL_OK);
	CHECK(r.liquidatable && r.health.equity == -870000);
	CHECK(cl_stf_get_globals(&v, &g0) == CL_OK);
	EXPECT_OK(e, t_liquidate(&iso2, T_ETH, ETH_1));
	CHECK(cl_stf_get_globals(&v, &g1) == CL_OK);
	CHECK(g1.insurance_balance - g0.insurance_balance == -870000);
	CHECK(coll(e, &iso2) == 0);
	CHECK(coll(e, o2) == 800 * T_USD);
	tenv_release(e);
}

static struct cl_tx t_sub(struct tenv *e, const struct cl_address *trader,
			  uint32_t from, uint32_t to, uint64_t amount,
			  uint64_t nonce, const struct cl_seckey *k)
{
	struct cl_tx tx = {.type = CL_TX_SUBACCOUNT_TRANSFER};
	struct cl_hash32 d;

	tx.u.subaccount_transfer.msg.trader = *trader;
	tx.u.subaccount_transfer.msg.from = from;
	tx.u.subaccount_transfer.msg.to = to;
	tx.u.subaccount_transfer.msg.amount = amount;
	tx.u.subaccount_transfer.msg.nonce = nonce;
	cl_subaccount_transfer_digest(&d, cl_stf_domain(e->stf),
				      &tx.u.subaccount_transfer.msg);
	t_sign(&tx.u.subaccount_transfer.sig, k, &d);
	return tx;
}

/* docs/margin.md "Subaccounts", the worked example. */
static void subaccounts(void)
{
	struct tenv env, *e = &env;
	struct cl_address *a, *agent, *lp, s1, s2, got;
	struct cl_stf_view v;

	tenv_init(e, cl_state_new_memory());
	a = &e->addr[3];
	agent = &e->addr[4];
	lp = &e->addr[0];
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_ETH, 300000) == CL_STF_OK);
	EXPECT_OK(e, t_deposit(e->next_deposit++, lp, 1000000 * T_USD));
	EXPECT_OK(e, t_deposit(e->next_deposit++, a, 1000 * T_USD));
	cl_stf_subaccount_account(&s1, a, 1);
	cl_stf_subaccount_account(&s2, a, 2);
	cl_stf_subaccount_account(&got, a, 0);
	CHECK(cl_address_eq(&got, a) && !cl_address_eq(&s1, a) &&
	      !cl_address_eq(&s1, &s2));

	/* $400 from the main account (0) to subaccount 1 */
	EXPECT_REJECT(e, t_sub(e, a, 1, 1, T_USD, 0, e->key[3]),
		      CL_STF_ERR_SAME_SUBACCOUNT);
	EXPECT_REJECT(e, t_sub(e, a, 0, 1, 0, 0, e->key[3]),
		      CL_STF_ERR_BAD_AMOUNT);
	EXPECT_REJECT(e, t_sub(e, a, 0, 1, T_USD, 0, e->key[5]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(e, t_sub(e, a, 0, 1, 1001 * T_USD, 0, e->key[3]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(e, t_sub(e, a, 0, 1, 400 * T_USD, 0, e->key[3]));
	CHECK(coll(e, a) == 600 * T_USD && coll(e, &s1) == 400 * T_USD);
	v = tenv_view(e);
	enum cl_stf_account_kind kind;
	uint32_t idx;
	CHECK(cl_stf_get_account_owner(&v, &got, &kind, &idx, &s1) == CL_OK);
	CHECK(cl_address_eq(&got, a) && kind == CL_STF_ACCOUNT_SUBACCOUNT &&
	      idx == 1);
	/* an agent of the owner moves $100 from 1 to 2 */
	EXPECT_OK(e, t_approve(e, a, agent, tenv_now(e) + 3600, 1, e->key[3]));
	EXPECT_OK(e, t_sub(e, a, 1, 2, 100 * T_USD, 2, e->key[4]));
	CHECK(coll(e, &s1) == 300 * T_USD && coll(e, &s2) == 100 * T_USD);
	struct cl_stf_subaccount subs[4];
	size_t n;
	CHECK(cl_stf_get_subaccounts(&v, subs, 4, &n, a) == CL_OK);
	CHECK(n == 2 && subs[0].sub == 1 && subs[1].sub == 2 &&
	      cl_address_eq(&subs[0].account, &s1) &&
	      cl_address_eq(&subs[1].account, &s2));
	/* a subaccount owns no subaccounts */
	EXPECT_REJECT(e, t_sub(e, &s1, 0, 1, T_USD, 0, e->key[3]),
		      CL_STF_ERR_NOT_AUTHORIZED);

	/* subaccount 1 buys 1 ETH at $3,000 (orders name it; the owner
	 * signs): fee 0.9, margin 299.1, IM 150 */
	CHECK(t_trade(e, &s1, e->key[3], lp, e->key[0], T_ETH, 300000,
		      ETH_1) == CL_STF_OK);
	CHECK(coll(e, &s1) == 300 * T_USD - 900000);
	CHECK(coll(e, a) == 600 * T_USD);
	/* 299.1 - 150 = 149.1 may leave it: $150 would leave it under its
	 * initial margin */
	EXPECT_REJECT(e, t_sub(e, a, 1, 0, 150 * T_USD, 3, e->key[3]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(e, t_sub(e, a, 1, 0, 149 * T_USD, 3, e->key[3]));
	CHECK(coll(e, a) == 749 * T_USD);
	CHECK(coll(e, &s1) == 150 * T_USD + 100000);

	/* a subaccount has its own margin modes, signed by the owner with
	 * the subaccount's nonce */
	struct cl_address iso;
	cl_stf_isolated_account(&iso, &s2, T_ETH);
	EXPECT_REJECT(e, t_mode(e, &s2, T_ETH, true, 0, e->key[5]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_OK(e, t_mode(e, &s2, T_ETH, true, 0, e->key[3]));
	EXPECT_OK(e, t_iso(e, &s2, T_ETH, true, 60 * T_USD, 1, e->key[3]));
	CHECK(coll(e, &s2) == 40 * T_USD && coll(e, &iso) == 60 * T_USD);
	/* its isolated account trades, signed by the owner's agent */
	uint64_t exp = tenv_now(e) + 3600;
	struct cl_order o = t_order(lp, T_ETH, false, 300000, 1000, 990, exp,
				    0);
	struct cl_hash32 mh = t_order_hash(e, &o);
	EXPECT_OK(e, t_place(e, &o, e->key[0]));
	o = t_order(&iso, T_ETH, true, 300000, 1000, 991, exp,
		    CL_TIF_IOC << CL_ORDER_TIF_SHIFT);
	struct cl_hash32 th = t_order_hash(e, &o);
	EXPECT_OK(e, t_place(e, &o, e->key[4]));
	EXPECT_OK(e, t_fill(&mh, &th, 1000));
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	CHECK(cl_stf_get_positions(&v, pos, &n, &iso) == CL_OK);
	CHECK(n == 1 && pos[0].size == 1000);
	tenv_release(e);
}

static void eth_price(struct tenv *e, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];
	struct cl_stf_result r;
	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	CHECK(req(e, &r, t_oracle_update(e, T_ETH, ps, ts, e->okey, 3)) ==
	      CL_STF_OK);
}

/* The liquidation pass, with no one asking: requests as a block carries
 * them, the engine matches, and the ETH price request itself liquidates
 * the isolated account while the owner's cross account, long BTC, is
 * left alone. */
static void engine_liquidation(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_result r;
	struct cl_address *owner, *lp, iso;
	struct cl_stf_view v;
	uint64_t exp;

	tenv_init(e, cl_state_new_memory());
	owner = &e->addr[1];
	lp = &e->addr[0];
	cl_stf_isolated_account(&iso, owner, T_ETH);
	open_next(e, 1000);
	eth_price(e, 300000);
	price(e, P(60000));
	CHECK(req(e, &r, t_deposit(e->next_deposit++, lp,
				   1000000 * T_USD)) == CL_STF_OK);
	CHECK(req(e, &r, t_deposit(e->next_deposit++, owner,
				   2000 * T_USD)) == CL_STF_OK);
	CHECK(req(e, &r, t_mode(e, owner, T_ETH, true, 0, e->key[1])) ==
	      CL_STF_OK);
	CHECK(req(e, &r, t_iso(e, owner, T_ETH, true, 200 * T_USD, 1,
			       e->key[1])) == CL_STF_OK);
	exp = tenv_now(e) + 3600;
	/* the isolated account buys 1 ETH at $3,000 from the book */
	struct cl_order o = t_order(lp, T_ETH, false, 300000, ETH_1, 1, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	o = t_order(&iso, T_ETH, true, 300000, ETH_1, 2, exp,
		    TIF(CL_TIF_IOC));
	CHECK(req(e, &r, t_place(e, &o, e->key[1])) == CL_STF_OK);
	CHECK(r.filled == ETH_1);
	/* the cross account buys 0.01 BTC at $60,000 (fee 0.30) */
	o = t_order(lp, T_BTC, false, P(60000), SZ(10), 3, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	o = t_order(owner, T_BTC, true, P(60000), SZ(10), 4, exp,
		    TIF(CL_TIF_IOC));
	CHECK(req(e, &r, t_place(e, &o, e->key[1])) == CL_STF_OK);
	CHECK(r.filled == SZ(10));
	int64_t cross = coll(e, owner);
	CHECK(cross == 1800 * T_USD - 300000);

	/* the lp bids below the market */
	o = t_order(lp, T_ETH, true, 289000, 2 * ETH_1, 5, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	/* ETH to $2,900: equity 199.1 - 100 = 99.1 >= MM 87, not
	 * liquidatable; to $2,880: equity 79.1 < MM 86.4, the price
	 * request itself liquidates it, on the book */
	open_next(e, 1000);
	eth_price(e, 290000);
	v = tenv_view(e);
	struct cl_stf_account_risk *ar = calloc(1, sizeof(*ar));
	CHECK(cl_stf_get_account_risk(&v, ar, &iso) == CL_OK);
	CHECK(!ar->liquidatable);
	open_next(e, 1000);
	eth_price(e, 288000);
	v = tenv_view(e);
	CHECK(cl_stf_get_account_risk(&v, ar, &iso) == CL_OK);
	CHECK(!ar->liquidatable);
	free(ar);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	CHECK(cl_stf_get_positions(&v, pos, &n, &iso) == CL_OK);
	CHECK(n == 0);
	struct cl_stf_event ev[4];
	CHECK(cl_stf_get_events(&v, ev, 4, &n, &iso, 0) == CL_OK);
	CHECK(n >= 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
	      ev[0].market == T_ETH);
	/* the cross account: untouched, its BTC long still there */
	CHECK(coll(e, owner) == cross);
	CHECK(cl_stf_get_positions(&v, pos, &n, owner) == CL_OK);
	CHECK(n == 1 && pos[0].market == T_BTC && pos[0].size == SZ(10));
	CHECK(cl_stf_get_events(&v, ev, 4, &n, owner, 0) == CL_OK);
	CHECK(n == 0);
	tenv_release(e);
}

int main(void)
{
	if (cl_crypto_init() != CL_OK)
		return 2;
	worked_example();
	engine_liquidation();
	subaccounts();
	for (int c = CL_STF_ERR_MODE_BUSY; c <= CL_STF_ERR_SAME_SUBACCOUNT;
	     c++)
		CHECK_MSG(t_seen_code[c], "reject code %d (%s) not tested", c,
			  cl_stf_err_str(c));
	return test_done("test_isolated");
}
