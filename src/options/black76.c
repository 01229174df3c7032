/* SPDX-License-Identifier: MIT */
/*
 * Black-76 price and Greeks from the fixed-point kernels of fixed.c, with
 * zero rates (docs/options.md "Black-76"). All intermediate values are
 * wad in __int128; each output is truncated toward zero once, at the end.
 */
#include <clearline/options.h>

#define W ((__int128)CL_WAD)
/* price units x wad -> micro price units */
#define WAD_PER_MICRO ((__int128)1000000000000LL)

static bool fits64(int64_t *out, __int128 v)
{
	if (v > INT64_MAX || v < INT64_MIN)
		return false;
	*out = (int64_t)v;
	return true;
}

/* num / sqrtw in wad, clamped to +-9 (where N is exactly 0 or 1) */
static int64_t d_of(__int128 num, __int128 sqrtw)
{
	if (num >= 9 * sqrtw)
		return (int64_t)(9 * W);
	if (num <= -9 * sqrtw)
		return (int64_t)(-9 * W);
	return (int64_t)(num * W / sqrtw);
}

static void intrinsic(struct cl_opt_greeks *g, enum cl_opt_kind kind,
		      uint64_t f, uint64_t k)
{
	switch (kind) {
	case CL_OPT_CALL:
		g->price_micro = f > k ? (int64_t)(f - k) * CL_OPT_MICRO : 0;
		g->delta_ppb = f > k ? 1000000000 : f == k ? 500000000 : 0;
		break;
	case CL_OPT_PUT:
		g->price_micro = k > f ? (int64_t)(k - f) * CL_OPT_MICRO : 0;
		g->delta_ppb = f < k ? -1000000000 : f == k ? -500000000 : 0;
		break;
	}
}

/* The price, delta and d1, d2 into *g; *sqrtw gets sqrt(w) in wad (0
 * when the option is priced at its intrinsic value). */
static bool price_part(struct cl_opt_greeks *g, __int128 *sqrtw,
		       enum cl_opt_kind kind, uint64_t f, uint64_t k,
		       int64_t w_wad, uint64_t tau_s)
{
	int64_t lnfk, n1, n2;
	__int128 c = 0;

	*sqrtw = 0;
	if (f == 0 || k == 0 || f > CL_OPT_PRICE_MAX ||
	    k > CL_OPT_PRICE_MAX || w_wad < 0 || tau_s > CL_OPT_TAU_MAX_S)
		return false;
	if (tau_s == 0 || w_wad == 0) {
		intrinsic(g, kind, f, k);
		return true;
	}
	/* w >= 1 wad unit, so sqrt(w x 10^18) >= 10^9 */
	*sqrtw = options_isqrt((unsigned __int128)w_wad * (unsigned __int128)W);
	if (!options_ln_ratio(&lnfk, f, k))
		return false;
	g->d1_wad = d_of((__int128)lnfk + w_wad / 2, *sqrtw);
	g->d2_wad = d_of((__int128)lnfk - w_wad / 2, *sqrtw);
	n1 = options_ncdf(g->d1_wad);
	n2 = options_ncdf(g->d2_wad);
	switch (kind) {
	case CL_OPT_CALL:
		c = (__int128)f * n1 - (__int128)k * n2;
		g->delta_ppb = n1 / 1000000000;
		break;
	case CL_OPT_PUT:
		c = (__int128)k * options_ncdf(-g->d2_wad) -
		    (__int128)f * options_ncdf(-g->d1_wad);
		g->delta_ppb = (n1 - CL_WAD) / 1000000000;
		break;
	}
	/* <= F x 10^18 / 10^12 <= 9e18: fits */
	g->price_micro = (int64_t)((c < 0 ? 0 : c) / WAD_PER_MICRO);
	return true;
}

bool options_black76_price(int64_t *price_micro, enum cl_opt_kind kind,
			   struct cl_price fwd, struct cl_price strike,
			   int64_t w_wad, uint64_t tau_s)
{
	struct cl_opt_greeks g = {0};
	__int128 sqrtw;

	*price_micro = 0;
	if (!price_part(&g, &sqrtw, kind, fwd.v, strike.v, w_wad, tau_s))
		return false;
	*price_micro = g.price_micro;
	return true;
}

bool options_black76(struct cl_opt_greeks *out, enum cl_opt_kind kind,
		     struct cl_price fwd, struct cl_price strike,
		     int64_t w_wad, uint64_t tau_s)
{
	struct cl_opt_greeks g = {0};
	uint64_t f = fwd.v;
	int64_t phi;
	__int128 sqrtw, tau_wad, sqrt_t, v;

	*out = g;
	if (!price_part(&g, &sqrtw, kind, f, strike.v, w_wad, tau_s))
		return false;
	if (sqrtw == 0) {
		*out = g; /* intrinsic: gamma, vega, theta are 0 */
		return true;
	}
	phi = options_npdf(g.d1_wad);
	/* gamma = phi / (F sqrt w) */
	if (!fits64(&g.gamma_wad, (__int128)phi * W / sqrtw / f))
		return false;
	/* vega = F phi sqrt T, T in years */
	tau_wad = (__int128)tau_s * W / CL_OPT_YEAR_S;
	sqrt_t = options_isqrt((unsigned __int128)(tau_wad * W));
	if (!fits64(&g.vega_micro,
		    (__int128)phi * sqrt_t / W * f / WAD_PER_MICRO))
		return false; /* a 9e12 forward over 10 years */
	/* theta = -F phi sqrt(w) / (2 T) per year, / 365 per day; the
	 * same for calls and puts with zero rates */
	if (tau_wad == 0)
		tau_wad = 1;
	v = (__int128)phi * sqrtw / (2 * tau_wad);
	if (__builtin_mul_overflow(v, (__int128)f, &v))
		return false;
	if (!fits64(&g.theta_micro, -(v / 365 / WAD_PER_MICRO)))
		return false;
	*out = g;
	return true;
}
