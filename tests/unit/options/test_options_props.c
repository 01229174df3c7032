/* SPDX-License-Identifier: MIT */
/*
 * Property test of the option pricer over seeded random inputs (the seed
 * is printed; CL_TEST_SEED replays): bounds and no-arbitrage relations
 * that hold for Black-76 exactly, checked on the integer code within the
 * error bounds of docs/options.md — price between intrinsic value and
 * the forward (strike for a put), put-call parity, prices falling in the
 * strike (calls) and rising with the variance, the signs of the Greeks,
 * the premium alone (options_black76_price) equal to the full call's and
 * priced even where a Greek is refused, and ln's antisymmetry.
 */
#include "test.h"

#include <clearline/options.h>

#define CASES 3000
#define PX(x) ((struct cl_price){(x)})

static uint64_t pick(uint64_t lo, uint64_t hi)
{
	return lo + test_rand() % (hi - lo + 1);
}

/* a value spread over many orders of magnitude: 1 .. 10^digits */
static uint64_t magnitude(int max_digits)
{
	uint64_t p = 1;
	for (int i = pick(0, (uint64_t)max_digits); i > 0; i--)
		p *= 10;
	return pick(1, p);
}

static bool price(struct cl_opt_greeks *g, enum cl_opt_kind k, uint64_t f,
		  uint64_t s, int64_t w, uint64_t tau)
{
	return options_black76(g, k, PX(f), PX(s), w, tau);
}

static void one_case(void)
{
	uint64_t f = magnitude(10);
	uint64_t k = (uint64_t)((__int128)f * pick(200000, 5000000) / 1000000);
	int64_t w = (int64_t)magnitude(18) - 1; /* 0 .. 10^18: sigma^2 T */
	uint64_t tau = pick(3600, 2 * CL_OPT_YEAR_S);
	struct cl_opt_greeks c, p, c2, p2, cw;

	if (k == 0)
		k = 1;
	/* the error allowance: truncation plus N()'s bound on F and K */
	int64_t tol = 2 + (int64_t)((f + k) / 10000000000ULL);
	bool ok = price(&c, CL_OPT_CALL, f, k, w, tau) &&
		  price(&p, CL_OPT_PUT, f, k, w, tau);
	if (!ok) {
		/* refused only where gamma, phi / (F sqrt w) <= 0.399 /
		 * (F sqrt w), can pass 9.2 in wad: F^2 w < 0.0019 */
		CHECK_MSG((__int128)f * f * w < 1900000000000000LL,
			  "refused F %" PRIu64 " K %" PRIu64 " w %" PRId64
			  " tau %" PRIu64, f, k, w, tau);
		/* the premium alone is still priced */
		int64_t pc;
		CHECK(options_black76_price(&pc, CL_OPT_CALL, PX(f), PX(k), w,
					    tau));
		CHECK(pc >= 0 && pc <= (int64_t)f * CL_OPT_MICRO);
		return;
	}
	int64_t only;
	CHECK(options_black76_price(&only, CL_OPT_PUT, PX(f), PX(k), w, tau) &&
	      only == p.price_micro);
	int64_t fm = (int64_t)f * CL_OPT_MICRO, km = (int64_t)k * CL_OPT_MICRO;
	int64_t ic = fm > km ? fm - km : 0, ip = km > fm ? km - fm : 0;
	CHECK_MSG(c.price_micro >= ic - tol && c.price_micro <= fm,
		  "call %" PRId64 " outside [%" PRId64 ", %" PRId64 "]",
		  c.price_micro, ic, fm);
	CHECK_MSG(p.price_micro >= ip - tol && p.price_micro <= km,
		  "put %" PRId64 " outside [%" PRId64 ", %" PRId64 "]",
		  p.price_micro, ip, km);
	int64_t parity = c.price_micro - p.price_micro - (fm - km);
	CHECK_MSG(parity >= -tol && parity <= tol,
		  "parity off by %" PRId64 " (F %" PRIu64 " K %" PRIu64
		  " w %" PRId64 ")", parity, f, k, w);
	CHECK(c.delta_ppb >= 0 && c.delta_ppb <= 1000000000);
	CHECK(p.delta_ppb <= 0 && p.delta_ppb >= -1000000000);
	CHECK(c.delta_ppb - p.delta_ppb >= 999999999 &&
	      c.delta_ppb - p.delta_ppb <= 1000000001);
	CHECK(c.gamma_wad >= 0 && c.vega_micro >= 0 && c.theta_micro <= 0);
	CHECK(c.gamma_wad == p.gamma_wad && c.vega_micro == p.vega_micro &&
	      c.theta_micro == p.theta_micro);

	/* a higher strike: the call is worth no more, the put no less */
	uint64_t k2 = k + k / 100 + 1;
	if (k2 <= CL_OPT_PRICE_MAX && price(&c2, CL_OPT_CALL, f, k2, w, tau) &&
	    price(&p2, CL_OPT_PUT, f, k2, w, tau)) {
		CHECK(c2.price_micro <= c.price_micro + tol);
		CHECK(p2.price_micro >= p.price_micro - tol);
	}
	/* more variance: worth no less */
	if (w <= INT64_MAX / 2 && price(&cw, CL_OPT_CALL, f, k, 2 * w, tau))
		CHECK(cw.price_micro >= c.price_micro - tol);
}

static void ln_props(void)
{
	/* a ratio within 1 000 either way, so ln stays in range */
	uint64_t a = magnitude(12);
	uint64_t b = (uint64_t)((__int128)a * pick(1000, 1000000000) /
				1000000) + 1;
	int64_t ab, ba, a2b;

	CHECK(options_ln_ratio(&ab, a, b) && options_ln_ratio(&ba, b, a));
	CHECK(ab == -ba);
	/* ln(2a / b) - ln(a / b) = ln 2 within twice the bound */
	CHECK(options_ln_ratio(&a2b, 2 * a, b));
	int64_t d = a2b - ab - 693147180559945309LL;
	CHECK_MSG(d >= -60 && d <= 60, "ln 2 off by %" PRId64, d);
}

int main(void)
{
	test_seed();
	for (int i = 0; i < CASES; i++) {
		one_case();
		ln_props();
	}
	return test_done("test_options_props");
}
