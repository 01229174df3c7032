/* SPDX-License-Identifier: MIT */
/*
 * Portfolio margin (docs/margin.md "Portfolio margin", the worked
 * example): the pure requirement over perpetual and option legs, the
 * genesis section, PORTFOLIO_MODE, the requirement in the stf's checks,
 * the liquidation's choice of position, and the same root on memory and
 * LMDB with conservation.
 *
 * The test genesis (stf_util.h) with the section of the docs: +-5 % in 3
 * steps each way (7 moves) x volatility -+30 %, extreme moves of 3 x 5 %
 * counted at 33 %, IM 150 % of MM, 1 000 USD to opt in, short-option
 * minimum 10 % of the index, a 70 % BTC/ETH credit. Neutral risk engine
 * (mark = index, no funding, dynamic multiplier x1, whole-position
 * slices, no liquidation fee).
 */
#include <clearline/game.h>
#include <clearline/options.h>

#include "orders_util.h"

#define USD(x) ((int64_t)((x)*T_USD))
#define BTC_1 100000 /* 1 BTC in size units (5 dp) */
#define ETH_1 10000  /* 1 ETH in size units (4 dp) */

static void pm_params(struct cl_portfolio_params *p)
{
	memset(p, 0, sizeof(*p));
	p->enabled = true;
	p->range_ppm = 50000;
	p->n_steps = 3;
	p->vol_shift_ppm = 300000;
	p->extreme_mult = 3;
	p->extreme_ppm = 330000;
	p->im_ppm = 1500000;
	p->min_equity = (uint64_t)USD(1000);
	p->short_min_ppm = 100000;
	p->n_pairs = 1;
	p->pairs[0] = (struct cl_pm_pair){T_BTC, T_ETH, 700000};
}

static void pm_genesis(struct cl_genesis *g)
{
	pm_params(&g->portfolio);
}

/* A group of one perpetual leg, as the stf collects it. */
static struct cl_pm_group perp_group(struct cl_opt_leg *leg, uint32_t market,
				     uint64_t mark, int scale_exp, int64_t size,
				     int64_t floor_mm, int64_t floor_im)
{
	*leg = (struct cl_opt_leg){.kind = CL_OPT_LEG_PERP, .size_micro = size};
	struct cl_pm_group g = {.underlying = market,
				.fwd = {mark},
				.scale_exp = scale_exp,
				.dyn_ppm = 1000000,
				.floor_mm = floor_mm,
				.floor_im = floor_im,
				.n_legs = 1,
				.legs = leg};
	return g;
}

/* ---- the pure requirement ---- */

static void pure_perps(void)
{
	struct cl_portfolio_params p;
	struct cl_opt_leg lb, le;
	struct cl_pm_group g[2];
	struct cl_pm_result r;

	pm_params(&p);
	/* long 1 BTC at 50 000 (scale -1), short 15 ETH at 3 000 (scale 0);
	 * floors: the leg-by-leg MM / IM of each (1 % / 2 %, 3 % / 5 %) */
	g[0] = perp_group(&lb, T_BTC, 5000000, -1, BTC_1, USD(500), USD(1000));
	g[1] = perp_group(&le, T_ETH, 300000, 0, -15 * ETH_1, USD(1350),
			  USD(2250));
	CHECK(cl_pm_requirement(&r, &p, g, 2));
	/* worst losses: 5 % of each notional (the extremes: 15 % x 33 % =
	 * 4.95 %), the credit 70 % of 2 250 */
	CHECK(r.n == 2 && r.u[0].worst_loss == USD(2500) &&
	      r.u[1].worst_loss == USD(2250));
	CHECK(r.u[0].delta > 0 && r.u[1].delta < 0);
	CHECK_MSG(r.mm == USD(3175), "mm %lld", (long long)r.mm);
	CHECK_MSG(r.im == USD(4762.5), "im %lld", (long long)r.im);

	/* the legs apart: each alone, no credit */
	struct cl_pm_result a, b;
	CHECK(cl_pm_requirement(&a, &p, &g[0], 1));
	CHECK(cl_pm_requirement(&b, &p, &g[1], 1));
	CHECK(a.mm == USD(2500) && a.im == USD(3750));
	CHECK(b.mm == USD(2250) && b.im == USD(3375));
	CHECK(a.mm + b.mm == USD(4750) && a.im + b.im == USD(7125));

	/* both long: no hedge, no credit */
	le.size_micro = 15 * ETH_1;
	CHECK(cl_pm_requirement(&r, &p, g, 2));
	CHECK(r.mm == USD(4750));
	le.size_micro = -15 * ETH_1;

	/* no pair listed: no credit either */
	p.n_pairs = 0;
	CHECK(cl_pm_requirement(&r, &p, g, 2));
	CHECK(r.mm == USD(4750));
	p.n_pairs = 1;

	/* the floor binds first: a floor above the scenario loss */
	g[0].floor_mm = USD(3000);
	CHECK(cl_pm_requirement(&r, &p, g, 2));
	CHECK(r.mm == USD(3000) + USD(2250) - USD(1575));
	g[0].floor_mm = USD(500);

	/* the dynamic multiplier raises the loss (x 1.2) */
	g[0].dyn_ppm = 1200000;
	CHECK(cl_pm_requirement(&r, &p, g, 2));
	CHECK(r.u[0].worst_loss == USD(3000));
	g[0].dyn_ppm = 1000000;

	/* refused: the same underlying twice, a multiplier below x1, no
	 * section */
	struct cl_pm_group twice[2] = {g[0], g[0]};
	CHECK(!cl_pm_requirement(&r, &p, twice, 2) && r.mm == 0);
	g[0].dyn_ppm = 999999;
	CHECK(!cl_pm_requirement(&r, &p, g, 2));
	g[0].dyn_ppm = 1000000;
	p.enabled = false;
	CHECK(!cl_pm_requirement(&r, &p, g, 2));
}

/* A hedged pair within one underlying nets to no scenario loss. */
static void pure_hedged_pair(void)
{
	struct cl_portfolio_params p;
	struct cl_opt_leg legs[2] = {
	    {.kind = CL_OPT_LEG_PERP, .size_micro = BTC_1},
	    {.kind = CL_OPT_LEG_PERP, .size_micro = -BTC_1},
	};
	struct cl_pm_group g = {.underlying = T_BTC,
				.fwd = {5000000},
				.scale_exp = -1,
				.dyn_ppm = 1000000,
				.n_legs = 2,
				.legs = legs};
	struct cl_pm_result r;

	pm_params(&p);
	CHECK(cl_pm_requirement(&r, &p, &g, 1));
	CHECK(r.u[0].worst_loss == 0 && r.mm == 0 && r.im == 0);
	/* 0.9 against 1: the 0.1 left loses 5 % of 5 000 */
	legs[1].size_micro = -BTC_1 * 9 / 10;
	CHECK(cl_pm_requirement(&r, &p, &g, 1));
	CHECK(r.mm == USD(250));
}

/*
 * Option legs through the same function (what the stf will collect once
 * option markets exist): BTC at 50 000.00, an at-the-money call, 30 days,
 * 60 % volatility (w = 0.36 x 30 / 365). A long call hedged by a short
 * perpetual of about its delta needs far less than the call and the
 * perpetual margined apart, and less than the perpetual alone; the
 * shared value tables give the same figures; a short call needs at least
 * its short-option minimum.
 */
static void pure_options(void)
{
	struct cl_portfolio_params p;
	int64_t w = CL_WAD / 365 * 30 / 1000000 * 360000;
	struct cl_opt_leg call = {.kind = CL_OPT_LEG_CALL,
				  .strike = {5000000},
				  .tau_s = 30 * 86400,
				  .w_wad = w,
				  .size_micro = BTC_1};
	struct cl_opt_leg perp = {.kind = CL_OPT_LEG_PERP,
				  .size_micro = -BTC_1 * 53 / 100};
	struct cl_opt_leg both[2] = {call, perp};
	struct cl_pm_group g = {.underlying = T_BTC,
				.fwd = {5000000},
				.scale_exp = -1,
				.dyn_ppm = 1000000};
	struct cl_pm_result r_call, r_perp, r_both, r_cached;

	pm_params(&p);
	g.legs = &call;
	g.n_legs = 1;
	CHECK(cl_pm_requirement(&r_call, &p, &g, 1));
	g.legs = &perp;
	CHECK(cl_pm_requirement(&r_perp, &p, &g, 1));
	g.legs = both;
	g.n_legs = 2;
	CHECK(cl_pm_requirement(&r_both, &p, &g, 1));
	/* docs/margin.md "Portfolio margin": 2 127.71 and 1 325 apart,
	 * 1 026.58 together */
	CHECK_MSG(r_call.mm == 2127707746 && r_perp.mm == 1325000000 &&
		      r_both.mm == 1026583406,
		  "call %lld perp %lld both %lld", (long long)r_call.mm,
		  (long long)r_perp.mm, (long long)r_both.mm);
	CHECK_MSG(r_both.mm * 3 < r_call.mm + r_perp.mm,
		  "hedged %lld vs apart %lld + %lld", (long long)r_both.mm,
		  (long long)r_call.mm, (long long)r_perp.mm);
	CHECK(r_both.mm < r_perp.mm);

	/* the block's shared tables: the same integers, hits on reuse */
	struct cl_pm_cache *c = cl_pm_cache_new();
	struct cl_opt_values tmp[2];
	const struct cl_opt_values *vals[2];
	uint64_t hits, misses;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 2; i++)
			vals[i] =
			    cl_pm_cache_values(c, &tmp[i], &p, g.fwd, &both[i]);
		CHECK(vals[0] && vals[1]);
		g.vals = vals;
		CHECK(cl_pm_requirement(&r_cached, &p, &g, 1));
		CHECK(r_cached.mm == r_both.mm && r_cached.im == r_both.im);
	}
	cl_pm_cache_stats(c, &hits, &misses);
	CHECK(hits == 2 && misses == 2);
	/* another index is another key */
	CHECK(cl_pm_cache_values(c, &tmp[0], &p, (struct cl_price){5000100},
				 &call) != NULL);
	cl_pm_cache_stats(c, &hits, &misses);
	CHECK(hits == 2 && misses == 3);
	cl_pm_cache_reset(c);
	CHECK(cl_pm_cache_values(c, &tmp[0], &p, g.fwd, &call) != NULL);
	cl_pm_cache_stats(c, &hits, &misses);
	CHECK(misses == 4);
	cl_pm_cache_free(c);
	cl_pm_cache_free(NULL);
	g.vals = NULL;

	/* a far out-of-the-money short call: its scenario loss is small,
	 * the minimum (10 % of the index per unit: 5 000) binds */
	struct cl_opt_leg otm = call;
	otm.strike.v = 9000000;
	otm.size_micro = -BTC_1;
	g.legs = &otm;
	g.n_legs = 1;
	struct cl_pm_result r;
	CHECK(cl_pm_requirement(&r, &p, &g, 1));
	CHECK(r.u[0].short_min == USD(5000));
	CHECK(r.u[0].worst_loss < USD(5000) && r.mm == USD(5000));
}

/* ---- the genesis section ---- */

static void genesis_section(void)
{
	struct tenv env, *e = &env;
	struct cl_genesis g, back;
	struct cl_hash32 h0, h1;
	struct cl_buf b;
	const char *why;

	tenv_init(e, cl_state_new_memory());
	g = e->g;
	cl_genesis_hash(&h0, &g);
	/* no section: the encoding the verdict program decodes as before */
	cl_buf_init(&b);
	cl_genesis_encode(&b, &g);
	CHECK(cl_game_genesis_decode(&back, b.p, b.len));
	CHECK(!back.portfolio.enabled);
	cl_buf_reset(&b);
	pm_genesis(&g);
	CHECK(cl_genesis_validate(&g, &why));
	cl_genesis_hash(&h1, &g);
	CHECK(memcmp(h0.b, h1.b, 32) != 0);
	cl_genesis_encode(&b, &g);
	CHECK(cl_game_genesis_decode(&back, b.p, b.len));
	CHECK(memcmp(&back.portfolio, &g.portfolio, sizeof(g.portfolio)) == 0);
	/* a trailing byte, an unknown tag, a truncation: refused */
	cl_buf_append_byte(&b, 0);
	CHECK(!cl_game_genesis_decode(&back, b.p, b.len));
	CHECK(!cl_game_genesis_decode(&back, b.p, b.len - 2));
	b.p[b.len - 1 - 47] = 0x51; /* the tag */
	CHECK(!cl_game_genesis_decode(&back, b.p, b.len - 1));
	cl_buf_release(&b);

	/* validation */
	struct cl_genesis bad = g;
	bad.portfolio.n_steps = 2;
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.portfolio.extreme_mult = 20; /* 20 x 5 % = 100 % */
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.portfolio.im_ppm = 999999;
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.portfolio.pairs[0] = (struct cl_pm_pair){T_ETH, T_BTC, 1};
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.portfolio.pairs[0].b = 99;
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.portfolio.enabled = false; /* parameters without the section */
	CHECK(!cl_genesis_validate(&bad, &why));

	tenv_release(e);
}

/* ---- PORTFOLIO_MODE and the requirement in the stf ---- */

static struct cl_tx t_pm(struct tenv *e, const struct cl_address *trader,
			 bool enabled, uint64_t nonce,
			 const struct cl_seckey *k)
{
	struct cl_tx tx = {.type = CL_TX_PORTFOLIO_MODE};
	struct cl_hash32 d;

	tx.u.portfolio_mode.msg.trader = *trader;
	tx.u.portfolio_mode.msg.enabled = enabled;
	tx.u.portfolio_mode.msg.nonce = nonce;
	cl_portfolio_mode_digest(&d, cl_stf_domain(e->stf),
				 &tx.u.portfolio_mode.msg);
	t_sign(&tx.u.portfolio_mode.sig, k, &d);
	return tx;
}

static bool pm_on(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	bool on = false;
	CHECK(cl_stf_get_portfolio_mode(&v, &on, a) == CL_OK);
	return on;
}

static struct cl_stf_account_risk *risk_of(struct tenv *e,
					   const struct cl_address *a)
{
	static struct cl_stf_account_risk r;
	struct cl_stf_view v = tenv_view(e);
	CHECK(cl_stf_get_account_risk(&v, &r, a) == CL_OK);
	return &r;
}

/*
 * The worked example on the stf: alice opts in, buys 1 BTC at 50 000
 * (taker, 25 USD fee) and sells 15 ETH at 3 000 (maker, no fee) with
 * 5 000 USD; her requirement is the portfolio one (MM 3 175, IM
 * 4 762.5), not the leg-by-leg one (1 850, 3 250). BTC falls 4 %: she is
 * under her portfolio maintenance (3 075) though not under the
 * leg-by-leg one, and the liquidation takes BTC first (the largest cut
 * per unit of notional), where the leg-by-leg rule would take ETH (the
 * larger MM). Returns the final root.
 */
static struct cl_hash32 worked_example(struct cl_state *st)
{
	struct tenv env, *e = &env;
	struct cl_address *alice, *lp, *bob;
	struct cl_seckey *ak, *lk;
	__int128 net_in = 0;

	tenv_init_with(e, st, pm_genesis);
	lp = &e->addr[0];
	lk = e->key[0];
	alice = &e->addr[1];
	ak = e->key[1];
	bob = &e->addr[2];
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_BTC, 5000000) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_ETH, 300000) == CL_STF_OK);
	EXPECT_OK(e, t_deposit(e->next_deposit++, lp, (uint64_t)USD(1e6)));
	EXPECT_OK(e, t_deposit(e->next_deposit++, alice, (uint64_t)USD(5000)));
	EXPECT_OK(e, t_deposit(e->next_deposit++, bob, (uint64_t)USD(999)));
	net_in += USD(1e6) + USD(5000) + USD(999);

	/* refusals: a bad nonce, another's signature, under the minimum
	 * equity */
	EXPECT_REJECT(e, t_pm(e, alice, true, 1, ak), CL_STF_ERR_BAD_NONCE);
	EXPECT_REJECT(e, t_pm(e, alice, true, 0, e->key[2]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(e, t_pm(e, bob, true, 0, e->key[2]),
		      CL_STF_ERR_PM_MIN_EQUITY);
	CHECK(!pm_on(e, bob));
	/* an isolated account is never in portfolio mode */
	{
		struct cl_address iso;
		struct cl_tx mt = {.type = CL_TX_MARGIN_MODE};
		struct cl_hash32 d;
		mt.u.margin_mode.msg.trader = *bob;
		mt.u.margin_mode.msg.market = T_ETH;
		mt.u.margin_mode.msg.isolated = true;
		mt.u.margin_mode.msg.nonce = 0;
		cl_margin_mode_digest(&d, cl_stf_domain(e->stf),
				      &mt.u.margin_mode.msg);
		t_sign(&mt.u.margin_mode.sig, e->key[2], &d);
		EXPECT_OK(e, mt);
		cl_stf_isolated_account(&iso, bob, T_ETH);
		EXPECT_REJECT(e, t_pm(e, &iso, true, 0, e->key[2]),
			      CL_STF_ERR_PM_ISOLATED);
	}

	EXPECT_OK(e, t_pm(e, alice, true, 0, ak));
	CHECK(pm_on(e, alice));
	/* the same mode again: accepted, the nonce moves */
	EXPECT_OK(e, t_pm(e, alice, true, 1, ak));
	CHECK(pm_on(e, alice));

	CHECK(t_trade(e, alice, ak, lp, lk, T_BTC, 5000000, BTC_1) ==
	      CL_STF_OK);
	CHECK(t_trade(e, lp, lk, alice, ak, T_ETH, 300000, 15 * ETH_1) ==
	      CL_STF_OK);
	struct cl_stf_account_risk *r = risk_of(e, alice);
	CHECK(r->portfolio && r->n == 2);
	CHECK_MSG(r->health.equity == USD(4975), "equity %lld",
		  (long long)r->health.equity);
	CHECK_MSG(r->health.mm == USD(3175) && r->health.im == USD(4762.5),
		  "mm %lld im %lld", (long long)r->health.mm,
		  (long long)r->health.im);
	/* the positions' own figures stay leg by leg: 500 + 1 350 */
	CHECK(r->pos[0].mm + r->pos[1].mm == USD(1850));
	CHECK(r->pos[0].im + r->pos[1].im == USD(3250));
	CHECK(!r->liquidatable);
	/* the figures a verifier recomputes from the state */
	{
		struct cl_stf_view v = tenv_view(e);
		struct cl_pm_result pr;
		CHECK(cl_stf_get_portfolio(&v, &pr, alice) == CL_OK);
		CHECK(pr.mm == USD(3175) && pr.n == 2 &&
		      pr.u[0].underlying == T_BTC &&
		      pr.u[0].worst_loss == USD(2500));
	}
	/* a withdrawal may not take her under the portfolio IM counting
	 * her orders: 4 975 - 4 762.5 = 212.5 free */
	EXPECT_REJECT(e, t_withdraw(e, alice, alice, (uint64_t)USD(213), 2, ak),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(e, t_withdraw(e, alice, alice, (uint64_t)USD(12.5), 2, ak));
	net_in -= USD(12.5);
	/* a resting order enters the scenarios as if filled: buying 1
	 * more BTC at 40 000 (all buys filled: 2 BTC long, 15 ETH short,
	 * IM 8 512.5) is refused; a sell of 0.5 BTC (all sells filled:
	 * 0.5 BTC long, IM 3 937.5 below the 4 762.5 of the
	 * positions) rests */
	{
		struct cl_order o =
		    t_order(alice, T_BTC, true, 4000000, BTC_1,
			    e->order_nonce++, tenv_now(e) + 3600, 0);
		EXPECT_REJECT(e, t_place(e, &o, ak), CL_STF_ERR_ORDER_MARGIN);
		o = t_order(alice, T_BTC, false, 6000000, BTC_1 / 2,
			    e->order_nonce++, tenv_now(e) + 3600, 0);
		EXPECT_OK(e, t_place(e, &o, ak));
		CHECK(risk_of(e, alice)->health.order_im == USD(4762.5));
		struct cl_hash32 oh = t_order_hash(e, &o);
		EXPECT_OK(e, t_cancel(e, alice, &oh, ak));
	}
	/* opting out needs the leg-by-leg IM, which she has */
	t_invariants(e, "before the fall", net_in);

	/* BTC falls 4 % */
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_BTC, 4800000) == CL_STF_OK);
	r = risk_of(e, alice);
	CHECK_MSG(r->health.mm == USD(3075), "mm %lld",
		  (long long)r->health.mm);
	CHECK(r->health.equity == USD(2962.5));
	CHECK(r->liquidatable);
	CHECK(r->pos[0].mm + r->pos[1].mm == USD(1830)); /* leg by leg: not */
	CHECK(r->health.equity >= r->pos[0].mm + r->pos[1].mm);
	{
		struct cl_stf_view v = tenv_view(e);
		struct cl_tx next;
		bool has;
		CHECK(cl_stf_liquidation_next(&v, &next, &has, alice) == CL_OK);
		CHECK(has && next.type == CL_TX_LIQUIDATE &&
		      next.u.liquidate.market == T_BTC &&
		      next.u.liquidate.size == BTC_1);
	}
	/* ETH (the larger leg-by-leg MM) is not the one to go first */
	EXPECT_REJECT(e, t_liquidate(alice, T_ETH, 15 * ETH_1),
		      CL_STF_ERR_NOT_RISKIEST);
	EXPECT_OK(e, t_liquidate(alice, T_BTC, BTC_1));
	t_invariants(e, "after the liquidation", net_in);
	r = risk_of(e, alice);
	CHECK(r->n == 1 && r->pos[0].market == T_ETH);
	CHECK(r->health.mm == USD(2250));

	/* opting out needs the leg-by-leg IM (2 250 for 15 ETH): the
	 * liquidation left her about 1 430 of equity, so not yet */
	CHECK(risk_of(e, alice)->health.equity < USD(2250));
	EXPECT_REJECT(e, t_pm(e, alice, false, 3, ak), CL_STF_ERR_PM_MARGIN);
	EXPECT_OK(e, t_deposit(e->next_deposit++, alice, (uint64_t)USD(1000)));
	net_in += USD(1000);
	EXPECT_OK(e, t_pm(e, alice, false, 3, ak));
	CHECK(!pm_on(e, alice));
	r = risk_of(e, alice);
	CHECK(!r->portfolio && r->health.mm == USD(1350));
	t_invariants(e, "after opting out", net_in);

	tenv_block(e, 1000);
	t_commit(e);
	struct cl_hash32 root = e->root;
	tenv_release(e);
	return root;
}

/* Without the genesis section the request is refused. */
static void disabled(void)
{
	struct tenv env, *e = &env;

	tenv_init(e, cl_state_new_memory());
	tenv_block(e, 1000);
	EXPECT_OK(
	    e, t_deposit(e->next_deposit++, &e->addr[1], (uint64_t)USD(5000)));
	EXPECT_REJECT(e, t_pm(e, &e->addr[1], true, 0, e->key[1]),
		      CL_STF_ERR_PM_DISABLED);
	CHECK(!pm_on(e, &e->addr[1]));
	tenv_release(e);
}

/* Opting in is refused when the account would be under its portfolio
 * IM: 1 BTC with 3 500 USD is enough leg by leg (IM 1 000) but not in
 * portfolio mode (IM 3 750). */
static void opt_in_margin(void)
{
	struct tenv env, *e = &env;
	struct cl_address *alice = &e->addr[1], *lp = &e->addr[0];

	tenv_init_with(e, cl_state_new_memory(), pm_genesis);
	tenv_block(e, 1000);
	CHECK(t_oracle_all(e, T_BTC, 5000000) == CL_STF_OK);
	EXPECT_OK(e, t_deposit(e->next_deposit++, lp, (uint64_t)USD(1e6)));
	EXPECT_OK(e, t_deposit(e->next_deposit++, alice, (uint64_t)USD(3525)));
	CHECK(t_trade(e, alice, e->key[1], lp, e->key[0], T_BTC, 5000000,
		      BTC_1) == CL_STF_OK);
	EXPECT_REJECT(e, t_pm(e, alice, true, 0, e->key[1]),
		      CL_STF_ERR_PM_MARGIN);
	EXPECT_OK(e, t_deposit(e->next_deposit++, alice, (uint64_t)USD(250)));
	EXPECT_OK(e, t_pm(e, alice, true, 0, e->key[1]));
	CHECK(pm_on(e, alice));
	tenv_release(e);
}

static void mark_at(struct tenv *e, uint32_t market, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];
	struct cl_stf_result r;
	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	CHECK(req(e, &r, t_oracle_update(e, market, ps, ts, e->okey, 3)) ==
	      CL_STF_OK);
}

/*
 * The sequencer's own pass (the derivation, as a node runs it): the
 * worked example's account, BTC falls 4 %; a portfolio account has no
 * liquidation price of its own, so the price request leaves it; the
 * sweep of several-market accounts when the next block opens finds it
 * and sells its BTC on the book (the lp's bid at 47 000), ETH untouched.
 */
static void engine_sweep(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_result r;
	struct cl_address *alice = &e->addr[1], *lp = &e->addr[0];
	uint64_t exp;

	tenv_init_with(e, cl_state_new_memory(), pm_genesis);
	open_next(e, 1000);
	mark_at(e, T_BTC, 5000000);
	mark_at(e, T_ETH, 300000);
	CHECK(
	    req(e, &r, t_deposit(e->next_deposit++, lp, (uint64_t)USD(1e6))) ==
	    CL_STF_OK);
	CHECK(req(e, &r,
		  t_deposit(e->next_deposit++, alice, (uint64_t)USD(5000))) ==
	      CL_STF_OK);
	CHECK(req(e, &r, t_pm(e, alice, true, 0, e->key[1])) == CL_STF_OK);
	exp = tenv_now(e) + 3600;
	struct cl_order o =
	    t_order(lp, T_BTC, false, 5000000, BTC_1, 1, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	o = t_order(alice, T_BTC, true, 5000000, BTC_1, 2, exp,
		    TIF(CL_TIF_IOC));
	CHECK(req(e, &r, t_place(e, &o, e->key[1])) == CL_STF_OK);
	CHECK(r.filled == BTC_1);
	o = t_order(lp, T_ETH, true, 300000, 15 * ETH_1, 3, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	o = t_order(alice, T_ETH, false, 300000, 15 * ETH_1, 4, exp,
		    TIF(CL_TIF_IOC));
	CHECK(req(e, &r, t_place(e, &o, e->key[1])) == CL_STF_OK);
	CHECK(r.filled == 15 * ETH_1);
	/* the lp bids for BTC under the market */
	o = t_order(lp, T_BTC, true, 4700000, 2 * BTC_1, 5, exp, 0);
	CHECK(req(e, &r, t_place(e, &o, e->key[0])) == CL_STF_OK);
	CHECK(!risk_of(e, alice)->liquidatable);

	open_next(e, 1000);
	mark_at(e, T_BTC, 4800000);
	CHECK(risk_of(e, alice)->liquidatable);
	open_next(e, 1000);
	/* BTC first, on the book: sold to the lp's bid at 47 000, which
	 * costs her 1 000 more (equity about 1 960); alone, 15 ETH short
	 * needs 2 250: under it still, ETH goes next, to the insurance fund
	 * (nobody offers ETH) */
	struct cl_stf_account_risk *ar = risk_of(e, alice);
	CHECK_MSG(ar->n == 0, "n %zu", ar->n);
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_event ev[8];
	size_t n;
	CHECK(cl_stf_get_events(&v, ev, 8, &n, alice, 0) == CL_OK);
	CHECK_MSG(n >= 2 && ev[0].market == T_BTC &&
		      ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
		      ev[n - 1].market == T_ETH &&
		      ev[n - 1].kind == CL_STF_EVENT_LIQUIDATED,
		  "%zu events", n);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	CHECK(cl_stf_get_positions(&v, pos, &n, lp) == CL_OK);
	CHECK(n == 1 && pos[0].market == T_ETH && pos[0].size == 15 * ETH_1);
	CHECK(t_mkt(e, T_BTC).fund_size == 0);
	CHECK(t_mkt(e, T_ETH).fund_size == -15 * ETH_1);
	tenv_release(e);
}

int main(void)
{
	struct t_lmdb l;
	struct cl_hash32 mem, disk;

	if (cl_crypto_init() != CL_OK)
		return 2;
	pure_perps();
	pure_hedged_pair();
	pure_options();
	genesis_section();
	disabled();
	opt_in_margin();
	engine_sweep();
	mem = worked_example(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		disk = worked_example(st);
		t_lmdb_close(&l);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "memory and LMDB roots differ");
	}
	return test_done("test_portfolio");
}
