/* SPDX-License-Identifier: MIT */
/*
 * An account's Greeks (options_book_greeks) and the portfolio
 * requirement across underlyings (options_portfolio_margin), with the
 * worked examples of docs/options.md "Portfolio requirement" number for
 * number: the BTC/ETH correlation credit, no credit for two longs, the
 * short-option minimum binding.
 */
#include "test.h"

#include <clearline/options.h>

#define WAD CL_WAD
#define PX(x) ((struct cl_price){(x)})
#define DAY 86400u

static void book_greeks(void)
{
	uint64_t t = 30 * DAY;
	int64_t w = (int64_t)((__int128)WAD / 4 * t / CL_OPT_YEAR_S);
	struct cl_opt_greeks g;
	struct cl_opt_book_greeks b;

	CHECK(options_black76(&g, CL_OPT_CALL, PX(6000000), PX(6000000), w,
			      t));
	/* two long calls and a short perp of their delta: delta-neutral
	 * to a micro unit, long gamma and vega, paying theta */
	struct cl_opt_leg legs[2] = {
		{CL_OPT_LEG_CALL, PX(6000000), t, w, 2000000},
		{CL_OPT_LEG_PERP, PX(0), 0, 0, -(2 * g.delta_ppb / 1000)},
	};
	CHECK(options_book_greeks(&b, PX(6000000), legs, 2));
	CHECK(b.delta_micro >= -1 && b.delta_micro <= 1);
	CHECK(b.gamma_wad == 2 * g.gamma_wad && b.gamma_wad > 0);
	CHECK(b.vega_micro == 2 * g.vega_micro && b.vega_micro > 0);
	CHECK(b.theta_micro == 2 * g.theta_micro && b.theta_micro < 0);
	/* a short put adds positive delta (-(-)) and negative gamma */
	struct cl_opt_leg sp = {CL_OPT_LEG_PUT, PX(5400000), t, w, -1000000};
	CHECK(options_book_greeks(&b, PX(6000000), &sp, 1));
	CHECK(b.delta_micro > 0 && b.gamma_wad < 0 && b.vega_micro < 0 &&
	      b.theta_micro > 0);
	/* an unpriceable leg fails the whole and zeroes the output */
	sp.w_wad = -1;
	CHECK(!options_book_greeks(&b, PX(6000000), &sp, 1) &&
	      b.delta_micro == 0);
	CHECK(options_book_greeks(&b, PX(6000000), NULL, 0) &&
	      b.delta_micro == 0);
}

static void portfolio(void)
{
	/* BTC long (net delta > 0) with worst loss 1 000, ETH short with
	 * 600, a 70 % credit: 420 split 210 / 210 */
	struct cl_opt_underlying_risk u[2] = {{1000, 5000, 0},
					      {600, -3000, 0}};
	struct cl_opt_pair_credit btc_eth = {0, 1, 700000};
	int64_t mm, im;

	CHECK(options_portfolio_margin(&mm, &im, u, 2, &btc_eth, 1,
				       1500000));
	CHECK(mm == 1180 && im == 1770);
	/* without the credit: 1 600 */
	CHECK(options_portfolio_margin(&mm, &im, u, 2, NULL, 0, 1500000));
	CHECK(mm == 1600 && im == 2400);
	/* both long: no hedge, no credit */
	u[1].delta_notional = 3000;
	CHECK(options_portfolio_margin(&mm, &im, u, 2, &btc_eth, 1,
				       1500000));
	CHECK(mm == 1600);
	/* a flat delta earns nothing either */
	u[1].delta_notional = 0;
	CHECK(options_portfolio_margin(&mm, &im, u, 2, &btc_eth, 1,
				       1000000));
	CHECK(mm == 1600 && im == 1600);
	/* the short-option minimum binds on ETH: max(600 - 210, 500) */
	u[1] = (struct cl_opt_underlying_risk){600, -3000, 500};
	CHECK(options_portfolio_margin(&mm, &im, u, 2, &btc_eth, 1,
				       1500000));
	CHECK(mm == 790 + 500 && im == 1935);
	/* an odd credit: 7 -> 4 from the first, 3 from the second */
	struct cl_opt_underlying_risk odd[2] = {{10, 1, 0}, {10, -1, 0}};
	CHECK(options_portfolio_margin(&mm, &im, odd, 2, &btc_eth, 1,
				       1000000));
	CHECK(mm == 6 + 7);
	/* a loss takes part in one credit only: the second pair (0, 2)
	 * is skipped since 0 is used */
	struct cl_opt_underlying_risk three[3] = {
		{1000, 1, 0}, {1000, -1, 0}, {1000, -1, 0}};
	struct cl_opt_pair_credit pairs[2] = {{0, 1, 500000},
					      {0, 2, 500000}};
	CHECK(options_portfolio_margin(&mm, &im, three, 3, pairs, 2,
				       1000000));
	CHECK(mm == 2500);
	/* refused */
	CHECK(!options_portfolio_margin(&mm, &im, u, 2, &btc_eth, 1, 999999) &&
	      mm == 0 && im == 0);
	struct cl_opt_pair_credit self = {1, 1, 1000}, out = {0, 2, 1000},
				  over = {0, 1, 1000001};
	CHECK(!options_portfolio_margin(&mm, &im, u, 2, &self, 1, 1000000));
	CHECK(!options_portfolio_margin(&mm, &im, u, 2, &out, 1, 1000000));
	CHECK(!options_portfolio_margin(&mm, &im, u, 2, &over, 1, 1000000));
	u[0].worst_loss = -1;
	CHECK(!options_portfolio_margin(&mm, &im, u, 2, NULL, 0, 1000000));
	struct cl_opt_underlying_risk huge[2] = {{INT64_MAX, 0, 0},
						 {1, 0, 0}};
	CHECK(!options_portfolio_margin(&mm, &im, huge, 2, NULL, 0,
					1000000));
	CHECK(options_portfolio_margin(&mm, &im, huge, 1, NULL, 0, 1000000));
	CHECK(mm == INT64_MAX);
	CHECK(!options_portfolio_margin(&mm, &im, huge, 1, NULL, 0, 1000001));
	CHECK(!options_portfolio_margin(&mm, &im, huge,
					CL_OPT_UNDERLYINGS_MAX + 1, NULL, 0,
					1000000));
}

int main(void)
{
	book_greeks();
	portfolio();
	return test_done("test_options_portfolio");
}
