/* SPDX-License-Identifier: MIT */
/*
 * The risk array of one underlying (options_risk_array) with the worked
 * examples of docs/options.md "Risk array", number for number: a long
 * call hedged by a short perpetual against the same legs margined
 * apart, and a short strangle as expiry nears.
 */
#include "test.h"

#include <clearline/options.h>

#define WAD CL_WAD
#define PX(x) ((struct cl_price){(x)})
#define DAY 86400u

/* +-15 % in 7 moves, vol x0.7 / x1.3, extremes +-45 % at 33 % */
static const struct cl_opt_scenarios grid = {150000, 3, 300000, 3, 330000};

static int64_t worst(const struct cl_opt_leg *legs, size_t n)
{
	struct cl_opt_risk r;
	CHECK(options_risk_array(&r, &grid, PX(6000000), legs, n));
	CHECK(r.n == 23);
	return r.worst_loss;
}

/* sigma^2 T in wad for sigma in percent and T in seconds */
static int64_t w_of(int64_t vol_pct, uint64_t tau)
{
	return (int64_t)((__int128)vol_pct * vol_pct * WAD / 10000 * tau /
			 CL_OPT_YEAR_S);
}

static void hedged_call(void)
{
	/* one long BTC 60 000 call, 30 days, 50 % vol, at 60 000.00 */
	uint64_t tau = 30 * DAY;
	struct cl_opt_greeks g;
	CHECK(options_black76(&g, CL_OPT_CALL, PX(6000000), PX(6000000),
			      w_of(50, tau), tau));
	struct cl_opt_leg call = {CL_OPT_LEG_CALL, PX(6000000), tau,
				  w_of(50, tau), 1000000};
	/* short the delta in the perpetual (millionths of a unit) */
	struct cl_opt_leg perp = {CL_OPT_LEG_PERP, PX(0), 0, 0,
				  -(g.delta_ppb / 1000)};
	struct cl_opt_leg both[2] = {call, perp};

	int64_t w_call = worst(&call, 1), w_perp = worst(&perp, 1);
	int64_t w_both = worst(both, 2);
	printf("hedged call: call alone %" PRId64 ", perp alone %" PRId64
	       ", together %" PRId64 " micro price units\n",
	       w_call, w_perp, w_both);
	/* a long call loses at most its premium */
	CHECK(w_call > 0 && w_call <= g.price_micro);
	/* the short perp alone loses its size x 15 % on the rise
	 * (9 000.00 = 900 000 price units a unit) */
	CHECK(w_perp == (g.delta_ppb / 1000) * 900000);
	/* hedged, the book needs a fraction of the two apart */
	CHECK(w_both * 4 < w_call + w_perp);
	/* the figures of docs/options.md; tests/vectors/gen_options_risk.py
	 * gets 330 522 732 877.43, 475 711 200 000 and 102 743 060 748.72
	 * at 40 digits (a loss here rounds up, within 1 micro unit) */
	CHECK(w_call == 330522732878 || w_call == 330522732877);
	CHECK(w_perp == 475711200000);
	CHECK(w_both == 102743060749 || w_both == 102743060748);
}

static int64_t strangle(int64_t vol_pct, uint64_t t)
{
	/* short one 54 000 put and one 66 000 call */
	struct cl_opt_leg legs[2] = {
		{CL_OPT_LEG_PUT, PX(5400000), t, w_of(vol_pct, t), -1000000},
		{CL_OPT_LEG_CALL, PX(6600000), t, w_of(vol_pct, t), -1000000},
	};
	int64_t w = worst(legs, 2);
	printf("short strangle, %" PRId64 " %% vol, %" PRIu64
	       " days: worst loss %" PRId64 "\n",
	       vol_pct, t / DAY, w);
	return w;
}

static void short_strangle(void)
{
	/* references (gen_options_risk.py): 585 109 504 048.65,
	 * 674 652 085 889.10, 692 971 889 157.74; 609 277 242 339.82 */
	int64_t w30 = strangle(60, 30 * DAY), w7 = strangle(60, 7 * DAY);
	int64_t w1 = strangle(60, DAY), w30hi = strangle(90, 30 * DAY);

	CHECK(w30 == 585109504049 || w30 == 585109504048);
	CHECK(w7 == 674652085890 || w7 == 674652085889);
	CHECK(w1 == 692971889158 || w1 == 692971889157);
	CHECK(w30hi == 609277242340 || w30hi == 609277242339);
	/* grows as expiry nears, and with the volatility */
	CHECK(w30 < w7 && w7 < w1 && w30 < w30hi);
}

static void rules(void)
{
	struct cl_opt_risk r;
	struct cl_opt_leg perp = {CL_OPT_LEG_PERP, PX(0), 0, 0, 2000000};
	struct cl_opt_scenarios bad;

	/* a long perp of 2 units: -15 % loses 2 x 9 000.00; the extreme
	 * -45 % loses 2 x 27 000.00 at 33 % = 17 820.00 < 18 000.00 */
	CHECK(options_risk_array(&r, &grid, PX(6000000), &perp, 1));
	CHECK(r.worst_loss == 1800000 * CL_OPT_MICRO && r.worst <= 2);
	CHECK(r.pnl[21] == -1782000 * CL_OPT_MICRO);
	CHECK(r.pnl[22] == 5400000 * CL_OPT_MICRO * 330000 / 1000000);
	/* flat book: no loss anywhere */
	CHECK(options_risk_array(&r, &grid, PX(6000000), NULL, 0));
	CHECK(r.worst_loss == 0 && r.n == 23);
	/* invalid grids and legs are refused and zero the output */
	bad = grid;
	bad.n_steps = 0;
	CHECK(!options_risk_array(&r, &bad, PX(6000000), &perp, 1) &&
	      r.n == 0);
	bad = grid;
	bad.n_steps = CL_OPT_STEPS_MAX + 1;
	CHECK(!options_risk_array(&r, &bad, PX(6000000), &perp, 1));
	bad = grid;
	bad.extreme_mult = 7; /* -105 % */
	CHECK(!options_risk_array(&r, &bad, PX(6000000), &perp, 1));
	bad = grid;
	bad.vol_shift_ppm = 1000000;
	CHECK(!options_risk_array(&r, &bad, PX(6000000), &perp, 1));
	struct cl_opt_leg neg = {CL_OPT_LEG_CALL, PX(6000000), DAY, -1,
				 1000000};
	CHECK(!options_risk_array(&r, &grid, PX(6000000), &neg, 1));
	/* the largest steps: 10 each side gives 65 scenarios */
	bad = grid;
	bad.n_steps = CL_OPT_STEPS_MAX;
	CHECK(options_risk_array(&r, &bad, PX(6000000), &perp, 1));
	CHECK(r.n == CL_OPT_SCEN_MAX);
	/* too many legs */
	static struct cl_opt_leg many[CL_OPT_LEGS_MAX + 1];
	CHECK(options_risk_array(&r, &grid, PX(6000000), many,
				 CL_OPT_LEGS_MAX));
	CHECK(!options_risk_array(&r, &grid, PX(6000000), many,
				  CL_OPT_LEGS_MAX + 1));
}

/* the shared per-series tables give the same array as pricing each
 * account's legs itself; a table of another grid is refused */
static void shared_tables(void)
{
	uint64_t t = 30 * DAY;
	struct cl_opt_leg legs[3] = {
		{CL_OPT_LEG_PUT, PX(5400000), t, w_of(60, t), -1500000},
		{CL_OPT_LEG_CALL, PX(6600000), t, w_of(55, t), 2000000},
		{CL_OPT_LEG_PERP, PX(0), 0, 0, -700000},
	};
	struct cl_opt_values v[3];
	const struct cl_opt_values *pv[3] = {&v[0], &v[1], &v[2]};
	struct cl_opt_risk a, b;

	for (int i = 0; i < 3; i++)
		CHECK(options_leg_values(&v[i], &grid, PX(6000000), &legs[i]));
	CHECK(v[2].now == 6000000 * CL_OPT_MICRO && v[2].n == 23);
	CHECK(options_risk_array(&a, &grid, PX(6000000), legs, 3));
	CHECK(options_risk_array_from(&b, &grid, legs, pv, 3));
	CHECK(a.n == b.n && a.worst == b.worst &&
	      a.worst_loss == b.worst_loss && a.worst_loss > 0 &&
	      memcmp(a.pnl, b.pnl, sizeof(a.pnl)) == 0);
	/* the same table serves any size: twice the size, twice the pnl
	 * (each leg floored, so within one unit per leg) */
	struct cl_opt_leg twice[3] = {legs[0], legs[1], legs[2]};
	for (int i = 0; i < 3; i++)
		twice[i].size_micro *= 2;
	CHECK(options_risk_array_from(&b, &grid, twice, pv, 3));
	for (size_t i = 0; i < 21; i++)
		CHECK(b.pnl[i] - 2 * a.pnl[i] >= -3 &&
		      b.pnl[i] - 2 * a.pnl[i] <= 3);
	/* a table of a 5-move grid under a 7-move grid: refused */
	struct cl_opt_scenarios five = grid;
	five.n_steps = 2;
	CHECK(options_leg_values(&v[0], &five, PX(6000000), &legs[0]));
	CHECK(v[0].n == 17);
	CHECK(!options_risk_array_from(&b, &grid, legs, pv, 3) && b.n == 0);
	/* a refused series leaves its table zeroed */
	struct cl_opt_leg bad = legs[0];
	bad.w_wad = -1;
	CHECK(!options_leg_values(&v[0], &grid, PX(6000000), &bad) &&
	      v[0].n == 0);
}

int main(void)
{
	shared_tables();
	hedged_call();
	short_strangle();
	rules();
	return test_done("test_options_risk");
}
