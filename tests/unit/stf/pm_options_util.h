/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the tests of options in portfolio margin
 * (test_portfolio_options.c, test_portfolio_crash.c): the genesis of
 * docs/margin.md "Portfolio margin: options" (the option markets of
 * options_util.h, an ETH call, the scenario grid of the examples), a
 * surface builder for any underlying, PORTFOLIO_MODE and the figures.
 */
#ifndef CLEARLINE_TEST_PM_OPTIONS_UTIL_H
#define CLEARLINE_TEST_PM_OPTIONS_UTIL_H

#include "orders_util.h"
#include "options_util.h"

#define USD(x) ((int64_t)((x)*T_USD))
#define T_ECALL 13 /* ETH call, strike $3,000, the day's expiry */
#define T_SCALL 14 /* BTC call, strike $57,000, the day's expiry */
#define T_SPUT 15  /* BTC put, strike $53,000, the day's expiry */
#define T_FINE 16  /* BTC call, strike $60,000, the day's, 6 size dp */
#define ETH_P(d) ((uint64_t)(d) * 100)    /* $ -> price units */
#define ETH_SZ(e) ((uint64_t)(e) * 10000) /* ETH -> size units */

/* The grid of test_portfolio.c: +-5 % in 3 steps each way (7 moves) x
 * volatility -+30 %, extreme moves of 3 x 5 % counted at 33 %, IM 150 % of MM, 1 000 USD to opt
 * in, short-option minimum 1 % of the index, a 70 % BTC/ETH credit. */
static inline void pmo_params(struct cl_portfolio_params *p)
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
	p->short_min_ppm = 10000;
	p->n_pairs = 1;
	p->pairs[0] = (struct cl_pm_pair){T_BTC, T_ETH, 700000};
}

static inline void pmo_genesis(struct cl_genesis *g)
{
	struct cl_market_params *m;

	add_options(g);
	m = &g->markets[6];
	t_market(m, T_ECALL, "ETH-C3K", 2, 4, 1, 10, ETH_SZ(100),
		 ETH_SZ(1000), 200, 500);
	m->n_tiers = 1;
	m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 150000, 100000};
	m->kind = CL_MARKET_CALL;
	m->underlying = T_ETH;
	m->strike = ETH_P(3000);
	m->expiry = T_EXPIRY;
	opt_market(&g->markets[7], T_SCALL, "BTC-C57K", CL_MARKET_CALL,
		   BTC_P(57000), T_EXPIRY);
	opt_market(&g->markets[8], T_SPUT, "BTC-P53K", CL_MARKET_PUT,
		   BTC_P(53000), T_EXPIRY);
	opt_market(&g->markets[9], T_FINE, "BTC-C60K-F", CL_MARKET_CALL,
		   BTC_P(60000), T_EXPIRY);
	g->markets[9].size_decimals = 6; /* finer than BTC-PERP's 5 */
	g->n_markets = 10;
	pmo_params(&g->portfolio);
}

/* A surface of every oracle signer for `underlying` and `expiry`. */
static inline struct cl_tx pmo_surface(struct tenv *e, uint32_t underlying,
				       uint64_t expiry, const struct cl_svi *p)
{
	struct cl_tx tx = {.type = CL_TX_ORACLE_SURFACE};
	struct cl_tx_oracle_surface *o = &tx.u.oracle_surface;

	o->market = underlying;
	o->expiry = expiry;
	o->n = 3;
	for (uint32_t i = 0; i < 3; i++)
		o->e[i] = (struct cl_surface_entry){
		    p->a, p->b, p->rho, p->m, p->s, tenv_now(e), {{0}}};
	for (uint32_t i = 0; i < 3; i++) {
		struct cl_hash32 d;
		cl_surface_entry_digest(&d, cl_stf_domain(e->stf), o, i);
		t_sign(&o->e[i].sig, e->okey[i], &d);
	}
	return tx;
}

/* The day's surface (total variance to the expiry) times num / den:
 * 4 / 1 about twice the volatility at the money; the same volatility
 * with a sixth of the time left is 1 / 6 of it. */
static inline struct cl_svi pmo_day_scaled(int64_t num, int64_t den)
{
	struct cl_svi s = day;
	s.a = s.a * num / den;
	s.b = s.b * num / den;
	return s;
}

static inline struct cl_svi pmo_day(int64_t mult)
{
	return pmo_day_scaled(mult, 1);
}

static inline struct cl_tx pmo_mode(struct tenv *e,
				    const struct cl_address *trader,
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

static inline struct cl_health pmo_health(struct tenv *e,
					  const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_health h;

	CHECK(cl_stf_get_health(&v, &h, a) == CL_OK);
	return h;
}

static inline struct cl_pm_result pmo_figures(struct tenv *e,
					      const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_pm_result r;

	CHECK(cl_stf_get_portfolio(&v, &r, a) == CL_OK);
	return r;
}

static inline int64_t pmo_size(struct tenv *e, const struct cl_address *a,
			       uint32_t market)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;

	CHECK(cl_stf_get_positions(&v, pos, &n, a) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (pos[i].market == market)
			return pos[i].size;
	return 0;
}

#endif
