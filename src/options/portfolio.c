/* SPDX-License-Identifier: MIT */
/*
 * An account across underlyings: its summed Greeks per underlying, and
 * the portfolio requirement from the risk arrays' worst losses with
 * correlation credits between underlyings and the short-option minimum
 * (docs/options.md "Portfolio requirement").
 */
#include <clearline/options.h>

#include <string.h>

#define PPM 1000000

static bool add64(int64_t *acc, __int128 v)
{
	__int128 s = (__int128)*acc + v;
	if (s > INT64_MAX || s < INT64_MIN)
		return false;
	*acc = (int64_t)s;
	return true;
}

bool options_book_greeks(struct cl_opt_book_greeks *out, struct cl_price fwd,
			 const struct cl_opt_leg *legs, size_t n_legs)
{
	struct cl_opt_book_greeks b = {0};
	struct cl_opt_greeks g;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n_legs; i++) {
		__int128 sz = legs[i].size_micro;
		switch (legs[i].kind) {
		case CL_OPT_LEG_PERP:
			if (!add64(&b.delta_micro, sz))
				return false;
			continue;
		case CL_OPT_LEG_CALL:
		case CL_OPT_LEG_PUT:
			break;
		}
		if (!options_black76(&g,
				     legs[i].kind == CL_OPT_LEG_CALL ?
					     CL_OPT_CALL :
					     CL_OPT_PUT,
				     fwd, legs[i].strike, legs[i].w_wad,
				     legs[i].tau_s))
			return false;
		/* delta ppb x size millionths / 10^9 = micro units */
		if (!add64(&b.delta_micro, (__int128)g.delta_ppb * sz /
						   1000000000) ||
		    !add64(&b.gamma_wad, (__int128)g.gamma_wad * sz / PPM) ||
		    !add64(&b.vega_micro, (__int128)g.vega_micro * sz / PPM) ||
		    !add64(&b.theta_micro, (__int128)g.theta_micro * sz / PPM))
			return false;
	}
	*out = b;
	return true;
}

bool options_portfolio_margin(int64_t *mm, int64_t *im,
			      const struct cl_opt_underlying_risk *u,
			      size_t n_u,
			      const struct cl_opt_pair_credit *pairs,
			      size_t n_pairs, uint32_t im_ppm)
{
	int64_t credit[CL_OPT_UNDERLYINGS_MAX] = {0};
	bool used[CL_OPT_UNDERLYINGS_MAX] = {false};
	__int128 sum = 0, v;

	*mm = 0;
	*im = 0;
	if (n_u > CL_OPT_UNDERLYINGS_MAX || im_ppm < PPM)
		return false;
	for (size_t i = 0; i < n_u; i++) {
		if (u[i].worst_loss < 0 || u[i].short_min < 0)
			return false;
	}
	for (size_t p = 0; p < n_pairs; p++) {
		uint32_t a = pairs[p].a, b = pairs[p].b;
		if (a >= n_u || b >= n_u || a == b ||
		    pairs[p].credit_ppm > PPM)
			return false;
		if (used[a] || used[b])
			continue;
		/* only a hedge earns a credit: net deltas of opposite sign */
		if (!((u[a].delta_notional > 0 && u[b].delta_notional < 0) ||
		      (u[a].delta_notional < 0 && u[b].delta_notional > 0)))
			continue;
		int64_t lo = u[a].worst_loss < u[b].worst_loss ?
				     u[a].worst_loss :
				     u[b].worst_loss;
		int64_t c = (int64_t)((__int128)lo * pairs[p].credit_ppm /
				      PPM);
		if (c == 0)
			continue;
		credit[a] = c - c / 2; /* the odd unit from the first */
		credit[b] = c / 2;
		used[a] = used[b] = true;
	}
	for (size_t i = 0; i < n_u; i++) {
		int64_t r = u[i].worst_loss - credit[i]; /* credit <= loss */
		sum += r > u[i].short_min ? r : u[i].short_min;
	}
	v = (sum * im_ppm + PPM - 1) / PPM;
	if (v > INT64_MAX)
		return false;
	*mm = (int64_t)sum;
	*im = (int64_t)v;
	return true;
}
