/* SPDX-License-Identifier: MIT */
/*
 * The risk array of one account on one underlying: every position
 * revalued under a grid of price and volatility scenarios
 * (docs/options.md "Risk array"). The worst loss is the core of the
 * portfolio margin requirement.
 */
#include <clearline/options.h>

#define PPM 1000000

static bool grid_valid(const struct cl_opt_scenarios *sc)
{
	return sc->range_ppm > 0 && sc->range_ppm < PPM &&
	       sc->n_steps >= 1 && sc->n_steps <= CL_OPT_STEPS_MAX &&
	       sc->vol_shift_ppm < PPM && sc->extreme_mult >= 1 &&
	       (uint64_t)sc->extreme_mult * sc->range_ppm < PPM &&
	       sc->extreme_ppm <= PPM;
}

/* the value of one unit of a leg, micro price units */
static bool leg_value(int64_t *v, const struct cl_opt_leg *l, uint64_t f,
		      int64_t w_wad)
{
	struct cl_opt_greeks g;

	switch (l->kind) {
	case CL_OPT_LEG_PERP:
		*v = (int64_t)f * CL_OPT_MICRO; /* f <= CL_OPT_PRICE_MAX */
		return true;
	case CL_OPT_LEG_CALL:
	case CL_OPT_LEG_PUT:
		if (!options_black76(&g,
				     l->kind == CL_OPT_LEG_CALL ? CL_OPT_CALL :
								  CL_OPT_PUT,
				     (struct cl_price){f}, l->strike, w_wad,
				     l->tau_s))
			return false;
		*v = g.price_micro;
		return true;
	}
	return false;
}

/* w scaled by (1 + shift)^2, shift in ppm (may be negative), rounded up */
static bool w_shifted(int64_t *out, int64_t w, int64_t shift_ppm)
{
	__int128 m = (__int128)(PPM + shift_ppm) * (PPM + shift_ppm);
	__int128 v = ((__int128)w * m + (__int128)PPM * PPM - 1) /
		     ((__int128)PPM * PPM);

	if (v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

/* the summed change of all legs at forward f with vol shift `shift` */
static bool scenario_pnl(__int128 *pnl, const struct cl_opt_leg *legs,
			 size_t n, const int64_t *v0, uint64_t f,
			 int64_t shift)
{
	__int128 sum = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t w = 0, v;
		if (legs[i].kind != CL_OPT_LEG_PERP &&
		    !w_shifted(&w, legs[i].w_wad, shift))
			return false;
		if (!leg_value(&v, &legs[i], f, w))
			return false;
		/* size (millionths) x change (micro) / 10^6, floored */
		__int128 d = (__int128)legs[i].size_micro * (v - v0[i]);
		__int128 q = d / PPM;
		if (d % PPM != 0 && d < 0)
			q--;
		sum += q;
	}
	*pnl = sum;
	return true;
}

static bool move_fwd(uint64_t *out, uint64_t f, int64_t move_ppm)
{
	__int128 v = (__int128)f * (PPM + move_ppm) / PPM;

	if (v < 1 || v > CL_OPT_PRICE_MAX)
		return false;
	*out = (uint64_t)v;
	return true;
}

bool options_risk_array(struct cl_opt_risk *out,
			const struct cl_opt_scenarios *sc, struct cl_price fwd,
			const struct cl_opt_leg *legs, size_t n_legs)
{
	int64_t v0[CL_OPT_LEGS_MAX];
	struct cl_opt_risk r = {0};
	const int64_t n = sc->n_steps;
	__int128 p;
	uint64_t f;

	*out = r;
	if (!grid_valid(sc) || n_legs > CL_OPT_LEGS_MAX || fwd.v == 0 ||
	    fwd.v > CL_OPT_PRICE_MAX)
		return false;
	for (size_t i = 0; i < n_legs; i++) {
		if (legs[i].w_wad < 0 || legs[i].size_micro == INT64_MIN ||
		    !leg_value(&v0[i], &legs[i], fwd.v, legs[i].w_wad))
			return false;
	}
	for (int64_t i = -n; i <= n; i++) {
		int64_t move = (int64_t)sc->range_ppm * i / n;
		if (!move_fwd(&f, fwd.v, move))
			return false;
		for (int s = -1; s <= 1; s++) {
			if (!scenario_pnl(&p, legs, n_legs, v0, f,
					  s * (int64_t)sc->vol_shift_ppm) ||
			    p > INT64_MAX || p < INT64_MIN)
				return false;
			r.pnl[r.n++] = (int64_t)p;
		}
	}
	for (int s = -1; s <= 1; s += 2) {
		int64_t move = s * (int64_t)sc->extreme_mult * sc->range_ppm;
		if (!move_fwd(&f, fwd.v, move) ||
		    !scenario_pnl(&p, legs, n_legs, v0, f, 0))
			return false;
		/* a loss counts at extreme_ppm, rounded toward the loss */
		__int128 d = p * sc->extreme_ppm;
		__int128 q = d / PPM;
		if (d % PPM != 0 && d < 0)
			q--;
		if (q > INT64_MAX || q < INT64_MIN)
			return false;
		r.pnl[r.n++] = (int64_t)q;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (-r.pnl[i] > r.worst_loss) {
			r.worst_loss = -r.pnl[i];
			r.worst = i;
		}
	}
	*out = r;
	return true;
}
