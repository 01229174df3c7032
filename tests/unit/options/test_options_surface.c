/* SPDX-License-Identifier: MIT */
/*
 * The volatility surface (SVI slices: validation, total variance at a
 * strike against tests/vectors/options.json, the calendar check) and the
 * standard margin of a short option, with the worked examples of
 * docs/options.md number for number.
 */
#include "test.h"

#include <clearline/options.h>

#define WAD CL_WAD
#define PX(x) ((struct cl_price){(x)})

static __int128 ref_of(json_t *v)
{
	const char *s = json_string_value(v);
	__int128 r = 0;
	bool neg = false;

	CL_REQUIRE(s != NULL && *s != '\0');
	if (*s == '-') {
		neg = true;
		s++;
	}
	for (; *s; s++) {
		CL_REQUIRE(*s >= '0' && *s <= '9');
		r = r * 10 + (*s - '0');
	}
	return neg ? -r : r;
}

static void svi_vectors(json_t *doc)
{
	json_t *e;
	size_t i;
	__int128 worst = 0;

	json_array_foreach(json_object_get(doc, "svi"), i, e) {
		json_t *p = json_object_get(e, "svi");
		struct cl_svi s = {
			(int64_t)ref_of(json_array_get(p, 0)),
			(int64_t)ref_of(json_array_get(p, 1)),
			(int64_t)ref_of(json_array_get(p, 2)),
			(int64_t)ref_of(json_array_get(p, 3)),
			(int64_t)ref_of(json_array_get(p, 4)),
		};
		int64_t w;
		CHECK(options_svi_valid(&s));
		CHECK(options_svi_w_up(
			&w, &s,
			PX((uint64_t)ref_of(json_object_get(e, "fwd"))),
			PX((uint64_t)ref_of(json_object_get(e, "strike")))));
		/* rounded up: never below the reference, at most 40 wad
		 * units above (ln's 30 times |b rho| + |b|, and the
		 * roundings) */
		__int128 d = (__int128)w * 1000000 -
			     ref_of(json_object_get(e, "w_wad"));
		CHECK_MSG(d > -30000000 && d <= 40000000,
			  "svi case %zu off by %lld millionths", i,
			  (long long)d);
		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
	}
	CHECK(i >= 27);
	printf("svi: max error %.3f wad units\n", (double)worst / 1e6);
}

static void svi_rules(void)
{
	struct cl_svi ok = {2 * WAD / 1000, 5 * WAD / 100, -3 * WAD / 10, 0,
			    WAD / 10};
	struct cl_svi bad;
	int64_t w;

	CHECK(options_svi_valid(&ok));
	bad = ok;
	bad.b = -1;
	CHECK(!options_svi_valid(&bad));
	bad = ok;
	bad.rho = WAD; /* |rho| < 1 */
	CHECK(!options_svi_valid(&bad));
	bad.rho = -WAD;
	CHECK(!options_svi_valid(&bad));
	bad = ok;
	bad.s = 0;
	CHECK(!options_svi_valid(&bad));
	/* a negative minimum: a + b s sqrt(1 - rho^2) = -0.01 + 0.05 x 0.1
	 * x 0.954 < 0 */
	bad = ok;
	bad.a = -WAD / 100;
	CHECK(!options_svi_valid(&bad));
	/* the same a with a wider s is fine: -0.01 + 0.05 x 0.3 x 0.954 */
	bad.s = 3 * WAD / 10;
	CHECK(options_svi_valid(&bad));
	/* Lee: b (1 + |rho|) <= 2; 1.5 x 1.3 = 1.95 passes, 1.6 x 1.3 not */
	bad = ok;
	bad.b = 3 * WAD / 2;
	CHECK(options_svi_valid(&bad));
	bad.b = 8 * WAD / 5;
	CHECK(!options_svi_valid(&bad));
	/* a strike beyond e^8 of the forward, and zero prices, refused */
	CHECK(!options_svi_w_up(&w, &ok, PX(1000000), PX(3000000000ULL)) &&
	      w == 0);
	CHECK(options_svi_w_up(&w, &ok, PX(1000000), PX(2900000000ULL)));
	CHECK(!options_svi_w_up(&w, &ok, PX(0), PX(1)));
	CHECK(!options_svi_w_up(&w, &bad, PX(1), PX(1)));
	/* at the money with m = 0: w = a + b s = 0.002 + 0.005 */
	CHECK(options_svi_w_up(&w, &ok, PX(6000000), PX(6000000)));
	CHECK(w == 7 * WAD / 1000);

	/* calendar: a later slice with more variance everywhere passes;
	 * one lower in a wing fails */
	struct cl_svi far = ok;
	far.a = 4 * WAD / 1000;
	far.b = 6 * WAD / 100;
	CHECK(options_svi_calendar_ok(&ok, &far));
	CHECK(!options_svi_calendar_ok(&far, &ok));
	far = ok;
	far.a = 3 * WAD / 1000;
	far.rho = WAD / 10; /* left wing flatter: crosses below */
	CHECK(!options_svi_calendar_ok(&ok, &far));
	CHECK(options_svi_calendar_ok(&ok, &ok));
}

static void short_margin(void)
{
	/* docs/options.md: BTC at $60 000.00 (two price decimals), 15 %
	 * of the underlying less the OTM amount, floor 10 % */
	struct cl_opt_short_rule r = {150000, 100000};
	int64_t m;

	/* a 66 000 call, premium $500.00: 15 % = 9 000 less 6 000 OTM is
	 * 3 000, below the 6 000 floor: 6 000 + 500 */
	CHECK(options_short_margin_up(&m, &r, CL_OPT_CALL, PX(6000000),
				      PX(6600000), 50000 * CL_OPT_MICRO));
	CHECK(m == 650000 * CL_OPT_MICRO);
	/* the 66 000 put is in the money: 9 000 + premium 6 700 */
	CHECK(options_short_margin_up(&m, &r, CL_OPT_PUT, PX(6000000),
				      PX(6600000), 670000 * CL_OPT_MICRO));
	CHECK(m == 1570000 * CL_OPT_MICRO);
	/* a 57 000 put, 3 000 OTM: 9 000 - 3 000 = 6 000 above the floor
	 * of 10 % of the strike (5 700); premium $1 234.56 */
	CHECK(options_short_margin_up(&m, &r, CL_OPT_PUT, PX(6000000),
				      PX(5700000), 123456 * CL_OPT_MICRO));
	CHECK(m == 723456 * CL_OPT_MICRO);
	/* far OTM put: the floor, 10 % of a 30 000 strike */
	CHECK(options_short_margin_up(&m, &r, CL_OPT_PUT, PX(6000000),
				      PX(3000000), 0));
	CHECK(m == 300000 * CL_OPT_MICRO);
	/* refused: negative premium, floor above base, zero price, and a
	 * forward above the range */
	CHECK(!options_short_margin_up(&m, &r, CL_OPT_CALL, PX(6000000),
				       PX(6000000), -1) && m == 0);
	struct cl_opt_short_rule bad = {100000, 150000};
	CHECK(!options_short_margin_up(&m, &bad, CL_OPT_CALL, PX(6000000),
				       PX(6000000), 0));
	bad = (struct cl_opt_short_rule){1000001, 0};
	CHECK(!options_short_margin_up(&m, &bad, CL_OPT_CALL, PX(6000000),
				       PX(6000000), 0));
	CHECK(!options_short_margin_up(&m, &r, CL_OPT_CALL, PX(0),
				       PX(6000000), 0));
	CHECK(!options_short_margin_up(&m, &r, CL_OPT_CALL,
				       PX(CL_OPT_PRICE_MAX + 1), PX(1), 0));
	/* the top of the range fits: 9e12 x 1e6 ppm */
	r = (struct cl_opt_short_rule){1000000, 1000000};
	CHECK(options_short_margin_up(&m, &r, CL_OPT_CALL,
				      PX(CL_OPT_PRICE_MAX),
				      PX(CL_OPT_PRICE_MAX), 0));
	CHECK(m == (int64_t)CL_OPT_PRICE_MAX * 1000000);
	CHECK(!options_short_margin_up(&m, &r, CL_OPT_CALL,
				       PX(CL_OPT_PRICE_MAX),
				       PX(CL_OPT_PRICE_MAX), INT64_MAX));
}

static void black76_edges(void)
{
	struct cl_opt_greeks g;

	/* expired: intrinsic, the step delta */
	CHECK(options_black76(&g, CL_OPT_CALL, PX(6000000), PX(5000000),
			      WAD / 10, 0));
	CHECK(g.price_micro == 1000000 * CL_OPT_MICRO &&
	      g.delta_ppb == 1000000000 && g.gamma_wad == 0 &&
	      g.vega_micro == 0 && g.theta_micro == 0);
	CHECK(options_black76(&g, CL_OPT_PUT, PX(6000000), PX(6000000), 0,
			      3600));
	CHECK(g.price_micro == 0 && g.delta_ppb == -500000000);
	/* put-call parity with zero rates: C - P = F - K, to the
	 * truncation of each price */
	struct cl_opt_greeks c, p;
	CHECK(options_black76(&c, CL_OPT_CALL, PX(6000000), PX(6300000),
			      WAD / 25, 86400 * 30));
	CHECK(options_black76(&p, CL_OPT_PUT, PX(6000000), PX(6300000),
			      WAD / 25, 86400 * 30));
	int64_t parity = c.price_micro - p.price_micro -
			 (6000000 - 6300000) * CL_OPT_MICRO;
	CHECK(parity >= -1 && parity <= 1);
	CHECK(c.delta_ppb - p.delta_ppb >= 999999999 &&
	      c.delta_ppb - p.delta_ppb <= 1000000001);
	CHECK(c.gamma_wad == p.gamma_wad && c.vega_micro == p.vega_micro &&
	      c.theta_micro == p.theta_micro && c.theta_micro < 0);
	/* refused inputs leave the output zeroed */
	g.price_micro = 5;
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(0), PX(1), WAD, 1) &&
	      g.price_micro == 0);
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(1), PX(1), -1, 1));
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX + 1),
			       PX(1), WAD, 1));
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(1), PX(1), WAD,
			       CL_OPT_TAU_MAX_S + 1));
	/* a strike 20 000 times the forward: ln out of range, refused */
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(1), PX(20000), WAD,
			       86400));
	/* theta in the last second on the largest forward overflows */
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX),
			       PX(CL_OPT_PRICE_MAX), WAD / 1000, 1));
	/* vega of an at-the-money 10-year option on the largest forward,
	 * 9e12 x 0.399 x sqrt(10) x 1e6 > 2^63: refused, never wrapped;
	 * a tenth of the forward fits */
	CHECK(!options_black76(&g, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX),
			       PX(CL_OPT_PRICE_MAX), WAD / 100,
			       CL_OPT_TAU_MAX_S) &&
	      g.price_micro == 0);
	CHECK(options_black76(&g, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX / 10),
			      PX(CL_OPT_PRICE_MAX / 10), WAD / 100,
			      CL_OPT_TAU_MAX_S));
	CHECK(g.vega_micro > 1000000000000000000LL);
	/* deep in and out of the money saturate cleanly */
	CHECK(options_black76(&g, CL_OPT_CALL, PX(6000000), PX(600000),
			      WAD / 10000, 3600));
	CHECK(g.delta_ppb == 1000000000 &&
	      g.price_micro == 5400000 * CL_OPT_MICRO && g.gamma_wad == 0);
	CHECK(options_black76(&g, CL_OPT_PUT, PX(6000000), PX(600000),
			      WAD / 10000, 3600));
	CHECK(g.delta_ppb == 0 && g.price_micro == 0);
}

int main(int argc, char **argv)
{
	json_t *doc = test_load_vectors(argc, argv, "options.json");

	svi_vectors(doc);
	svi_rules();
	short_margin();
	black76_edges();
	json_decref(doc);
	return test_done("test_options_surface");
}
