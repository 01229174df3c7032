/* SPDX-License-Identifier: MIT */
/*
 * The risk array of one account on one underlying: every position
 * revalued under a grid of price and volatility scenarios
 * (docs/options.md "Risk array"). The worst loss is the core of the
 * portfolio margin requirement. The per-series values
 * (options_leg_values) are what a block can share between accounts.
 */
#include <clearline/options.h>

#include <string.h>

#define PPM 1000000

static bool grid_valid(const struct cl_opt_scenarios *sc)
{
	return sc->range_ppm > 0 && sc->range_ppm < PPM &&
	       sc->n_steps >= 1 && sc->n_steps <= CL_OPT_STEPS_MAX &&
	       sc->vol_shift_ppm < PPM && sc->extreme_mult >= 1 &&
	       (uint64_t)sc->extreme_mult * sc->range_ppm < PPM &&
	       sc->extreme_ppm <= PPM;
}

static size_t grid_size(const struct cl_opt_scenarios *sc)
{
	return 3 * (2 * (size_t)sc->n_steps + 1) + 2;
}

/* the value of one unit of a leg, micro price units */
static bool leg_value(int64_t *v, const struct cl_opt_leg *l, uint64_t f,
		      int64_t w_wad)
{
	switch (l->kind) {
	case CL_OPT_LEG_PERP:
		*v = (int64_t)f * CL_OPT_MICRO; /* f <= CL_OPT_PRICE_MAX */
		return true;
	case CL_OPT_LEG_CALL:
	case CL_OPT_LEG_PUT:
		return options_black76_price(v,
					     l->kind == CL_OPT_LEG_CALL ?
						     CL_OPT_CALL :
						     CL_OPT_PUT,
					     (struct cl_price){f}, l->strike,
					     w_wad, l->tau_s);
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

static bool move_fwd(uint64_t *out, uint64_t f, int64_t move_ppm)
{
	__int128 v = (__int128)f * (PPM + move_ppm) / PPM;

	if (v < 1 || v > CL_OPT_PRICE_MAX)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool value_at(int64_t *v, const struct cl_opt_leg *leg, uint64_t f,
		     int64_t shift)
{
	int64_t w = 0;

	if (leg->kind != CL_OPT_LEG_PERP && !w_shifted(&w, leg->w_wad, shift))
		return false;
	return leg_value(v, leg, f, w);
}

bool options_leg_values(struct cl_opt_values *out,
			const struct cl_opt_scenarios *sc, struct cl_price fwd,
			const struct cl_opt_leg *leg)
{
	const int64_t n = sc->n_steps;
	uint64_t f;

	memset(out, 0, sizeof(*out));
	if (!grid_valid(sc) || fwd.v == 0 || fwd.v > CL_OPT_PRICE_MAX ||
	    leg->w_wad < 0 || !leg_value(&out->now, leg, fwd.v, leg->w_wad))
		goto fail;
	for (int64_t i = -n; i <= n; i++) {
		if (!move_fwd(&f, fwd.v, (int64_t)sc->range_ppm * i / n))
			goto fail;
		for (int s = -1; s <= 1; s++) {
			if (!value_at(&out->v[out->n++], leg, f,
				      s * (int64_t)sc->vol_shift_ppm))
				goto fail;
		}
	}
	for (int s = -1; s <= 1; s += 2) {
		int64_t move = s * (int64_t)sc->extreme_mult * sc->range_ppm;
		if (!move_fwd(&f, fwd.v, move) ||
		    !value_at(&out->v[out->n++], leg, f, 0))
			goto fail;
	}
	return true;
fail:
	memset(out, 0, sizeof(*out));
	return false;
}

/* floor(a / PPM) */
static __int128 floor_ppm(__int128 a)
{
	__int128 q = a / PPM;
	if (a % PPM != 0 && a < 0)
		q--;
	return q;
}

/* add one leg's floored change, size (millionths) x (value - now)
 * (micro) / 10^6, to every scenario; |sum| stays far below 2^127 (64
 * legs x 2^63 x 2^64 / 10^6) */
static bool accumulate(__int128 *acc, size_t n, const struct cl_opt_leg *leg,
		       const struct cl_opt_values *v)
{
	if (v->n != n || leg->size_micro == INT64_MIN)
		return false;
	for (size_t i = 0; i < n; i++)
		acc[i] += floor_ppm((__int128)leg->size_micro *
				    ((__int128)v->v[i] - v->now));
	return true;
}

/* the extremes' scaling (rounded toward the loss) and the worst loss */
static bool finish(struct cl_opt_risk *out, const struct cl_opt_scenarios *sc,
		   const __int128 *acc, size_t n)
{
	struct cl_opt_risk r = {0};

	for (size_t i = 0; i < n; i++) {
		__int128 p = acc[i];
		/* out of int64 before the extremes' scaling fails too, so
		 * the product below stays under 2^84 */
		if (p > INT64_MAX || p < INT64_MIN)
			return false;
		if (i >= n - 2)
			p = floor_ppm(p * sc->extreme_ppm);
		r.pnl[i] = (int64_t)p;
		if (-p > r.worst_loss) {
			r.worst_loss = (int64_t)-p;
			r.worst = i;
		}
	}
	r.n = n;
	*out = r;
	return true;
}

bool options_risk_array_from(struct cl_opt_risk *out,
			     const struct cl_opt_scenarios *sc,
			     const struct cl_opt_leg *legs,
			     const struct cl_opt_values *const *vals,
			     size_t n_legs)
{
	__int128 acc[CL_OPT_SCEN_MAX] = {0};
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!grid_valid(sc) || n_legs > CL_OPT_LEGS_MAX)
		return false;
	n = grid_size(sc);
	for (size_t l = 0; l < n_legs; l++) {
		if (!accumulate(acc, n, &legs[l], vals[l]))
			return false;
	}
	return finish(out, sc, acc, n);
}

bool options_risk_array(struct cl_opt_risk *out,
			const struct cl_opt_scenarios *sc, struct cl_price fwd,
			const struct cl_opt_leg *legs, size_t n_legs)
{
	__int128 acc[CL_OPT_SCEN_MAX] = {0};
	struct cl_opt_values v;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!grid_valid(sc) || n_legs > CL_OPT_LEGS_MAX)
		return false;
	n = grid_size(sc);
	/* one leg at a time, so a single value table lives on the stack */
	for (size_t l = 0; l < n_legs; l++) {
		if (!options_leg_values(&v, sc, fwd, &legs[l]) ||
		    !accumulate(acc, n, &legs[l], &v))
			return false;
	}
	return finish(out, sc, acc, n);
}
