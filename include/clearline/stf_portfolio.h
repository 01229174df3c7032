/* SPDX-License-Identifier: MIT */
/*
 * Portfolio margin (docs/margin.md "Portfolio margin"): the genesis
 * parameters of the mode and the pure requirement over an account's legs.
 * Part of the stf's interface, kept in its own file; include
 * <clearline/stf.h>, which includes this one.
 *
 * An account that opted in (PORTFOLIO_MODE) is margined as one risk unit:
 * its legs are grouped by underlying (a perpetual market is its own
 * underlying; an option market names the perpetual whose index it is
 * written on), each group is revalued under the scenario grid of the
 * genesis (options_risk_array_from(): price moves x volatility down,
 * unchanged, up, plus two extreme moves counted at a fraction), the worst
 * loss per underlying is raised by the market's dynamic multiplier and
 * floored by the leg-by-leg requirement of the group's net position, the
 * pairs of the genesis give correlation credits, and
 * options_portfolio_margin() sums it: maintenance, and initial as the
 * genesis multiple of it. Every figure is a pure function of committed
 * state, so a verifier recomputes the same integers.
 *
 * The requirement is in settlement atoms. Leg sizes are in the size units
 * of the underlying's perpetual market and prices in its price units, so
 * a scenario loss in "micro price units x size units / 10^6" times
 * 10^scale_exp of that market is atoms (docs/margin.md).
 */
#ifndef CLEARLINE_STF_PORTFOLIO_H
#define CLEARLINE_STF_PORTFOLIO_H

#ifndef CLEARLINE_STF_H
#error "include <clearline/stf.h>, not <clearline/stf_portfolio.h>"
#endif

/* The option pricer's types (<clearline/options.h>), by pointer only:
 * its names clash with the configuration's, so stf.h does not pull it
 * in. */
struct cl_opt_leg;
struct cl_opt_values;
struct cl_svi;

#define CL_PM_UNDERLYINGS_MAX 16 /* = CL_OPT_UNDERLYINGS_MAX */
#define CL_PM_MAX_PAIRS 16
/* The tag of the section in the genesis encoding (docs/genesis.md). */
#define CL_GENESIS_TAG_PORTFOLIO 0x50

/* A correlation credit between two underlyings (perpetual market ids,
 * a < b), in ppm of the smaller of their worst losses. */
struct cl_pm_pair {
	uint32_t a, b;
	uint32_t credit_ppm; /* <= 1 000 000 */
};

/*
 * The genesis section `portfolio` (docs/genesis.md "portfolio"). Absent
 * (enabled false): PORTFOLIO_MODE is refused and the genesis encodes and
 * hashes as before the section existed.
 */
struct cl_portfolio_params {
	bool enabled;
	/* the grid (struct cl_opt_scenarios): price moves of range x i /
	 * steps, i = -steps..steps (steps 3..10: 7 moves or more), each
	 * with the volatility down, unchanged and up by vol_shift, then
	 * +-extreme_mult x range counted at extreme_ppm */
	uint32_t range_ppm, n_steps, vol_shift_ppm, extreme_mult, extreme_ppm;
	uint32_t im_ppm;	/* IM = MM x im_ppm / 1e6, 1e6..1e7 */
	uint64_t min_equity;	/* atoms to opt in, <= INT64_MAX */
	uint32_t short_min_ppm; /* short-option minimum: of the index
				 * per short unit, <= 1e6 */
	uint32_t n_pairs;	/* 0..CL_PM_MAX_PAIRS */
	struct cl_pm_pair pairs[CL_PM_MAX_PAIRS];
};

/* PORTFOLIO_MODE (34), docs/protocol.md section 12. */
struct cl_tx_portfolio_mode {
	struct cl_portfolio_mode msg;
	struct cl_sig sig;
};

/* ---- the pure requirement ---- */

/* One underlying of an account: its legs, its scenario centre and what
 * turns a loss into atoms and bounds it from below. */
struct cl_pm_group {
	uint32_t underlying; /* the perpetual market id */
	struct cl_price fwd; /* scenario centre: the perpetual's mark */
	int scale_exp;	     /* of the perpetual market */
	uint32_t dyn_ppm;    /* dynamic multiplier (>= 1e6) of the loss */
	int64_t floor_mm;    /* leg-by-leg MM of the net position, atoms */
	int64_t floor_im;    /* leg-by-leg IM of the net position, atoms */
	size_t n_legs;
	const struct cl_opt_leg *legs;		 /* sizes: perp size units */
	const struct cl_opt_values *const *vals; /* per leg, from
						  * options_leg_values() with
						  * the genesis grid; NULL:
						  * computed here */
};

/* The requirement and what it is made of, per underlying. */
struct cl_pm_result {
	int64_t mm, im; /* atoms */
	/* of which (the stf's figures only): options the scenarios cannot
	 * price (no fresh surface or index, expired awaiting settlement,
	 * finer size units than their underlying's), leg by leg */
	int64_t apart_mm, apart_im;
	size_t n;	/* underlyings */
	struct {
		uint32_t underlying;
		int64_t worst_loss; /* atoms, scaled by dyn_ppm */
		int64_t floor;	    /* floor_mm */
		int64_t short_min;  /* the short-option minimum, atoms */
		int64_t delta;	    /* net delta x fwd, atoms */
		size_t worst;	    /* worst scenario's index */
	} u[CL_PM_UNDERLYINGS_MAX];
};

/*
 * The portfolio requirement of groups g[0..n) (each underlying once, at
 * most CL_PM_UNDERLYINGS_MAX) under the genesis parameters p:
 * per group L = max(the risk array's worst loss in atoms (rounded up)
 * times dyn_ppm (rounded up), floor_mm); the credits of p->pairs
 * between groups whose net deltas oppose come off the L's; each group
 * then needs at least its short-option minimum; MM is the sum
 * (options_portfolio_margin), IM = max(ceil(MM x im_ppm / 1e6), sum of
 * floor_im). Fails (*out zeroed) on invalid parameters or legs, a
 * scenario price out of range, or overflow; the stf then refuses what
 * asked (CL_STF_ERR_OVERFLOW).
 */
CL_WUR bool cl_pm_requirement(struct cl_pm_result *out,
			      const struct cl_portfolio_params *p,
			      const struct cl_pm_group *g, size_t n);

/*
 * A memo of options_leg_values() for one writer (the stf keeps one per
 * block, docs/margin.md "Portfolio margin: cost"): the value tables of a
 * series (kind, strike, time to expiry, variance) at an index under the
 * genesis grid, which every account holding the series shares. Keyed by
 * every input, so a hit is the very table a computation from scratch
 * gives: a node with the memo and a verifier without it agree.
 */
struct cl_pm_cache;

struct cl_pm_cache *cl_pm_cache_new(void);
void cl_pm_cache_free(struct cl_pm_cache *c); /* NULL: no-op */
/* Forget every table (the stf: when a block ends). */
void cl_pm_cache_reset(struct cl_pm_cache *c);
/* The table of `leg`'s series at `fwd` under p's grid, computed on a miss;
 * NULL when options_leg_values() fails. Valid until the next reset or
 * free; c NULL: computed into *tmp and tmp returned. */
const struct cl_opt_values *
cl_pm_cache_values(struct cl_pm_cache *c, struct cl_opt_values *tmp,
		   const struct cl_portfolio_params *p, struct cl_price fwd,
		   const struct cl_opt_leg *leg);
/* The Black-76 delta (ppb of one unit, options_black76()'s delta_ppb;
 * 10^9 for a perpetual) of `leg`'s series at `fwd`, kept beside the
 * series' table once cl_pm_cache_values() made it (c NULL or no table:
 * computed). False when options_black76() fails. */
CL_WUR bool cl_pm_cache_delta(struct cl_pm_cache *c, int64_t *delta_ppb,
			      const struct cl_portfolio_params *p,
			      struct cl_price fwd,
			      const struct cl_opt_leg *leg);
/* The total variance of slice *p at `strike` for forward `fwd`
 * (options_svi_w_up(), wad, rounded up), kept for the block keyed by
 * every input (the five parameters, fwd, strike), so a slice or an index
 * written mid-block is a new key, never a stale hit; c NULL: computed.
 * False (*w_wad 0) when options_svi_w_up() fails. */
CL_WUR bool cl_pm_cache_svi_w(struct cl_pm_cache *c, int64_t *w_wad,
			      const struct cl_svi *p, struct cl_price fwd,
			      struct cl_price strike);
/* Hits and misses since the cache was made (the benchmark). */
void cl_pm_cache_stats(const struct cl_pm_cache *c, uint64_t *hits,
		       uint64_t *misses);

#endif
