/* SPDX-License-Identifier: MIT */
/*
 * options — the pricing core of European options, as pure integer
 * functions.
 *
 * Nothing here touches state, floats, libm or the clock: the stf (and its
 * RISC-V build for the fault proofs) can call every function, and a
 * verifier recomputes the same integers. Every function either succeeds
 * or fails with its outputs zeroed; a failure rejects what asked for it.
 *
 * Fixed point: "wad" values are signed integers scaled by 10^18
 * (CL_WAD). The mathematical kernels (ln, exp, sqrt, the normal density
 * and distribution) work in wad inside __int128 and carry the error
 * bounds stated at each declaration; docs/options.md has the method and
 * the bounds measured against a 50-digit reference
 * (tests/vectors/options.json, made by tests/vectors/gen_options.py).
 *
 * Model: Black-76 on the forward F with no discounting (the premium and
 * the settlement are both in the settlement asset at expiry's cash value;
 * rates are zero): call = F N(d1) - K N(d2), put = K N(-d2) - F N(-d1),
 * d1,2 = (ln(F/K) +- w/2) / sqrt(w), w = sigma^2 T the total implied
 * variance. T is in years of 365 days (CL_OPT_YEAR_S seconds of block
 * time). The volatility comes from an SVI slice per expiry
 * (options_svi_*), which yields w directly.
 */
#ifndef CLEARLINE_OPTIONS_H
#define CLEARLINE_OPTIONS_H

#include <clearline/common.h>

#define CL_WAD 1000000000000000000LL
/* One year of block time, in seconds (365 days). */
#define CL_OPT_YEAR_S 31536000u
/* Forwards and strikes above this many price units are refused, so a
 * price in micro price units fits an int64. */
#define CL_OPT_PRICE_MAX 9000000000000ULL
/* The longest time to expiry priced: 10 years of seconds. */
#define CL_OPT_TAU_MAX_S 315360000u
/* Greek and price outputs in price units carry this extra scale. */
#define CL_OPT_MICRO 1000000LL

/* ---- fixed-point kernels (wad) ---- */

/* ln(a / b) in wad, for a, b >= 1; |error| <= 3e-17 (30 wad units).
 * Fails (*out = 0) when a or b is 0 or |ln(a / b)| passes the int64
 * range (9.22, a ratio beyond about 10 000). */
CL_WUR bool options_ln_ratio(int64_t *out, uint64_t a, uint64_t b);

/* exp(x) for wad x <= 0 (a positive x is a bug: CL_REQUIRE), in wad;
 * |error| <= 5e-18. Returns 0 below x = -42 (e^-42 < 6e-19). */
int64_t options_exp_neg(__int128 x);

/* floor(sqrt(v)) of an unsigned 128-bit integer. */
uint64_t options_isqrt(unsigned __int128 v);

/* The standard normal density phi(x) for wad x, in wad; 0 for |x| >= 9;
 * |error| <= 3e-18. */
int64_t options_npdf(int64_t x);

/* The standard normal distribution N(x) for wad x, in wad, in [0, 1e18];
 * |error| <= 5e-17 (docs/options.md gives the measured maximum). N(x)
 * is 0 for x <= -9 and 1e18 for x >= 9 (the true tail < 1.2e-19). */
int64_t options_ncdf(int64_t x);

/* ---- Black-76 ---- */

enum cl_opt_kind {
	CL_OPT_CALL = 0,
	CL_OPT_PUT = 1,
};

/* Price and Greeks of one long contract of size 1 (one unit of the
 * underlying). Prices are in price units times CL_OPT_MICRO. */
struct cl_opt_greeks {
	int64_t price_micro; /* premium, micro price units, rounded down */
	int64_t delta_ppb;   /* dPrice/dF, parts per billion of one unit */
	int64_t gamma_wad;   /* dDelta/dF per price unit, wad */
	int64_t vega_micro;  /* dPrice/dSigma per 1.00 of volatility (100
			      * vol points), micro price units */
	int64_t theta_micro; /* dPrice/dt per day of 86 400 s, micro price
			      * units (negative for a long) */
	int64_t d1_wad;      /* the d1, d2 used, wad (clamped to +-9) */
	int64_t d2_wad;
};

/*
 * Black-76 price and Greeks of a European `kind` on forward `fwd` and
 * strike `strike` (price units, 1 .. CL_OPT_PRICE_MAX) with total implied
 * variance `w_wad` (sigma^2 T, wad, >= 0) and time to expiry `tau_s`
 * seconds. With tau_s == 0 or w_wad == 0 the option is worth its
 * intrinsic value, delta is the step (a call at the money counts as 1/2)
 * and gamma, vega, theta are 0. Each output is the exact Black-76 value
 * truncated toward zero, within the error bound of docs/options.md.
 * Fails (*out zeroed) on a price out of range, a negative variance, or a
 * Greek that does not fit an int64 (gamma of a near-expiry option on a
 * tiny forward, theta in the last seconds or vega over years on a huge
 * forward).
 */
CL_WUR bool options_black76(struct cl_opt_greeks *out, enum cl_opt_kind kind,
			    struct cl_price fwd, struct cl_price strike,
			    int64_t w_wad, uint64_t tau_s);

/*
 * The premium alone (micro price units, rounded down), the same integer
 * as options_black76()'s price_micro, for the mark and the risk array.
 * It fails only on the inputs options_black76() refuses before pricing
 * (a price out of range, w < 0, tau_s above CL_OPT_TAU_MAX_S, a ratio
 * F/K beyond about 10 000), never because a Greek would not fit.
 */
CL_WUR bool options_black76_price(int64_t *price_micro, enum cl_opt_kind kind,
				  struct cl_price fwd, struct cl_price strike,
				  int64_t w_wad, uint64_t tau_s);

/* ---- the volatility surface: one SVI slice per expiry ---- */

/*
 * Raw SVI total variance at log-moneyness k = ln(K / F):
 *   w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + s^2)),
 * all parameters in wad. A valid slice (options_svi_valid) has b >= 0,
 * -1 < rho < 1, s > 0, |a|, |m| <= 4, b, s <= 4, a minimum
 * a + b s sqrt(1 - rho^2) >= 0 (no negative variance), and wings
 * b (1 + |rho|) <= 2 (Lee's moment bound, needed against arbitrage in
 * the far strikes).
 */
struct cl_svi {
	int64_t a, b, rho, m, s;
};

CL_WUR bool options_svi_valid(const struct cl_svi *p);

/* The slice's total variance at strike `strike` for forward `fwd`, wad,
 * rounded up (a margin figure never leans on a rounded-down vol). Fails
 * on an invalid slice or a zero price. */
CL_WUR bool options_svi_w_up(int64_t *w_wad, const struct cl_svi *p,
			     struct cl_price fwd, struct cl_price strike);

/*
 * Calendar check of two slices of the same underlying, `near` expiring
 * before `far`: total variance must not fall with expiry at any strike.
 * Checked on the grid k = -3, -2.75, .., 3 and on the wing slopes (the
 * far slice's b (1 +- rho) at least the near slice's), which together
 * bound both wings. Returns false when any check fails.
 */
CL_WUR bool options_svi_calendar_ok(const struct cl_svi *near,
				    const struct cl_svi *far);

/* ---- the margin of a short option ---- */

/* Standard margin of short options: per unit of the underlying,
 *   premium + max(base_ppm x F - OTM, min_ppm x (call ? F : K)),
 * OTM = max(K - F, 0) for a call, max(F - K, 0) for a put. */
struct cl_opt_short_rule {
	uint32_t base_ppm; /* e.g. 150 000 for 15 % of the underlying */
	uint32_t min_ppm;  /* e.g. 100 000 for a floor of 10 % */
};

/*
 * Requirement of one short unit of the underlying of an option with
 * premium `premium_micro` (micro price units per unit, >= 0), in micro
 * price units, rounded up; the caller scales it by the position size as
 * for any notional. Fails (*out = 0) on a zero or out-of-range price, a
 * negative premium, or a rule with base_ppm above 1 000 000 or min_ppm
 * above base_ppm.
 */
CL_WUR bool options_short_margin_up(int64_t *out_micro,
				    const struct cl_opt_short_rule *rule,
				    enum cl_opt_kind kind, struct cl_price fwd,
				    struct cl_price strike,
				    int64_t premium_micro);

/* ---- settlement at expiry ---- */

/* One reading of the index: price `p` from block time `t` (seconds). */
struct cl_opt_index_sample {
	uint64_t t;
	struct cl_price p;
};

/*
 * The settlement price of an expiry: the time-weighted average of the
 * index over the window [expiry - window_s, expiry], rounded down. The
 * index is a step function: each sample's price holds from its time
 * until the next sample's (the last one's until expiry), and the sample
 * at or before the window's start gives the price the window opens
 * with. Samples must have strictly rising times, non-zero prices, and
 * the first must be at or before the window's start; none may be after
 * expiry. A push of the index by x for the last d seconds moves the
 * result by x d / window_s. Fails (*out zeroed) on window_s == 0, a
 * window starting before time 0, or samples breaking a rule above.
 */
CL_WUR bool options_settlement_twap(struct cl_price *out,
				    const struct cl_opt_index_sample *s,
				    size_t n, uint64_t expiry,
				    uint32_t window_s);

/* What one long unit receives at settlement price `settle`: max(settle -
 * K, 0) for a call, max(K - settle, 0) for a put, micro price units (a
 * short pays it). Fails (*out = 0) on a price out of 1 ..
 * CL_OPT_PRICE_MAX. */
CL_WUR bool options_payoff_micro(int64_t *out, enum cl_opt_kind kind,
				 struct cl_price settle,
				 struct cl_price strike);

/* ---- the risk array of one underlying ---- */

/* A position of one account on one underlying: a perpetual (valued at
 * the index) or a European option. */
enum cl_opt_leg_kind {
	CL_OPT_LEG_PERP = 0,
	CL_OPT_LEG_CALL = 1,
	CL_OPT_LEG_PUT = 2,
};

struct cl_opt_leg {
	enum cl_opt_leg_kind kind;
	struct cl_price strike; /* options only */
	uint64_t tau_s;         /* options only: seconds to expiry */
	int64_t w_wad;          /* options only: total variance now, from
				 * the surface at this strike */
	int64_t size_micro;     /* signed, millionths of one unit of the
				 * underlying; > 0 long */
};

/*
 * The scenario grid (docs/options.md "Risk array"): price moves of
 * range_ppm x i / n_steps for i = -n_steps .. n_steps, each with the
 * volatility down, unchanged and up by vol_shift_ppm (relative: sigma x
 * (1 -+ shift), so w x (1 -+ shift)^2), then two extreme moves of
 * +-extreme_mult x range_ppm at unchanged volatility whose losses count
 * at extreme_ppm. Options keep their own total variance at their strike
 * (sticky strike) and their time to expiry.
 */
struct cl_opt_scenarios {
	uint32_t range_ppm;     /* e.g. 150 000: +-15 % */
	uint32_t n_steps;       /* 1 .. CL_OPT_STEPS_MAX; 3 gives 7 moves */
	uint32_t vol_shift_ppm; /* < 1 000 000, e.g. 300 000 */
	uint32_t extreme_mult;  /* >= 1; extreme_mult x range_ppm < 1e6 */
	uint32_t extreme_ppm;   /* <= 1 000 000, e.g. 330 000 */
};

#define CL_OPT_STEPS_MAX 10
#define CL_OPT_LEGS_MAX 64
#define CL_OPT_SCEN_MAX (3 * (2 * CL_OPT_STEPS_MAX + 1) + 2)

struct cl_opt_risk {
	size_t n;                          /* scenarios filled */
	int64_t pnl[CL_OPT_SCEN_MAX];      /* micro price units, each
					    * leg's change rounded down;
					    * extreme ones already scaled */
	int64_t worst_loss;                /* max(0, -min(pnl)) */
	size_t worst;                      /* its index (0 if no loss) */
};

/*
 * Revalue `legs` (n_legs of them, all on the underlying with index
 * `fwd`) under every scenario of `sc` and fill `out`. Scenario order:
 * move i = -n .. n outer, volatility down, unchanged, up inner, then the
 * extreme down and up moves. A leg's value change is size x (value in
 * the scenario - value now), rounded down, so a loss is never
 * understated. Fails (*out zeroed) on an invalid grid or leg, more
 * than CL_OPT_LEGS_MAX legs, a scenario forward outside
 * 1 .. CL_OPT_PRICE_MAX, or overflow. The same as options_leg_values()
 * for each leg followed by options_risk_array_from().
 */
CL_WUR bool options_risk_array(struct cl_opt_risk *out,
			       const struct cl_opt_scenarios *sc,
			       struct cl_price fwd,
			       const struct cl_opt_leg *legs, size_t n_legs);

/* The value of one unit of a series (kind, strike, expiry, variance) now
 * and in every scenario: what all accounts holding the series share, so
 * a block computes it once per series (docs/options.md "Cost"). */
struct cl_opt_values {
	size_t n;                   /* scenarios, as cl_opt_risk.n */
	int64_t now;                /* micro price units */
	int64_t v[CL_OPT_SCEN_MAX]; /* in scenario order; extremes
				     * unscaled */
};

/* Fill `out` for the series of `leg` (its size is ignored) under `sc`
 * at index `fwd`. Fails (*out zeroed) as options_risk_array(). */
CL_WUR bool options_leg_values(struct cl_opt_values *out,
			       const struct cl_opt_scenarios *sc,
			       struct cl_price fwd,
			       const struct cl_opt_leg *leg);

/* The risk array of `legs` from their series' values: vals[i] must come
 * from options_leg_values() for legs[i]'s series with the same `sc` and
 * index. Fails (*out zeroed) on an invalid grid, more than
 * CL_OPT_LEGS_MAX legs, a value table of another grid size, or
 * overflow. Borrowed pointers are read only during the call. */
CL_WUR bool options_risk_array_from(struct cl_opt_risk *out,
				    const struct cl_opt_scenarios *sc,
				    const struct cl_opt_leg *legs,
				    const struct cl_opt_values *const *vals,
				    size_t n_legs);

/* ---- an account's Greeks and portfolio requirement ---- */

/* The Greeks of an account's legs on one underlying, each leg's Greek
 * times its size, summed. */
struct cl_opt_book_greeks {
	int64_t delta_micro; /* units of the underlying x 10^6 */
	int64_t gamma_wad;   /* change of delta (units) per price unit */
	int64_t vega_micro;  /* micro price units per 1.00 of volatility */
	int64_t theta_micro; /* micro price units per day */
};

/*
 * Sum the Greeks of `legs` (a perpetual counts delta = its size and no
 * other Greek) at index `fwd`: each leg's Greek x size_micro / 10^6,
 * truncated toward zero per leg. Fails (*out zeroed) if a leg cannot be
 * priced (options_black76) or a sum leaves int64.
 */
CL_WUR bool options_book_greeks(struct cl_opt_book_greeks *out,
				struct cl_price fwd,
				const struct cl_opt_leg *legs, size_t n_legs);

#define CL_OPT_UNDERLYINGS_MAX 16

/* One underlying's part of a portfolio requirement. */
struct cl_opt_underlying_risk {
	int64_t worst_loss;     /* options_risk_array().worst_loss, >= 0 */
	int64_t delta_notional; /* signed net delta x index, any unit that
				 * is the same for every underlying */
	int64_t short_min;      /* the short-option minimum of its short
				 * options, >= 0 (docs/options.md) */
};

/* A correlation credit between two underlyings (indexes into the array
 * given to options_portfolio_margin), in ppm of the smaller loss. */
struct cl_opt_pair_credit {
	uint32_t a, b;
	uint32_t credit_ppm; /* <= 1 000 000 */
};

/*
 * The portfolio requirement of an account (docs/options.md "Portfolio
 * requirement"), in the unit of the worst losses:
 *  - each pair in `pairs`, in the order given, whose underlyings' net
 *    deltas have opposite signs and whose losses are not yet used by an
 *    earlier pair, credits credit_ppm x min(loss a, loss b), rounded down;
 *    a loss takes part in at most one credit;
 *  - the requirement of each underlying is max(loss - its credit share,
 *    short_min), where a credit is taken from both losses in half
 *    (the odd unit from the first);
 *  - mm is the sum; im = ceil(mm x im_ppm / 10^6) with im_ppm >=
 *    1 000 000.
 * Fails (*mm = *im = 0) on more than CL_OPT_UNDERLYINGS_MAX
 * underlyings, a negative loss or minimum, a pair out of range or of one
 * underlying, a credit above 100 %, im_ppm below 1 000 000, or
 * overflow.
 */
CL_WUR bool options_portfolio_margin(int64_t *mm, int64_t *im,
				     const struct cl_opt_underlying_risk *u,
				     size_t n_u,
				     const struct cl_opt_pair_credit *pairs,
				     size_t n_pairs, uint32_t im_ppm);

#endif
