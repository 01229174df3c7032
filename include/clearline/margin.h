/* SPDX-License-Identifier: MIT */
/*
 * margin — the cross-margin arithmetic of one account, as pure functions.
 *
 * Nothing here touches state: the stf loads an account's collateral and
 * positions, calls these functions, and stores the results. Every function
 * is deterministic integer arithmetic (no floats, no clock) and fails
 * rather than wraps; a failure rejects the transaction that caused it.
 *
 * Accounting model (docs/margin.md has the formulas and worked examples):
 *  - A position is a signed size (base units of the market, positive long)
 *    and a signed cost basis in collateral atoms (positive for a long:
 *    what was paid; negative for a short: what was received).
 *  - A fill moves a signed quote flow (+notional to the seller, -notional
 *    to the buyer). Opening or increasing adds the flow to the cost;
 *    reducing releases a share of the cost, ceil(cost * closed / |size|),
 *    and credits flow - released to collateral as realised PnL. So
 *    collateral - cost changes by exactly the flow on every fill, and the
 *    sum over accounts of (collateral - cost) is conserved to the atom.
 *  - Rounding always favours the protocol: released cost rounds up
 *    (realised PnL down), position value at the mark rounds down, margin
 *    requirements and fees round up.
 *  - Requirements come from marginal risk tiers over the position's
 *    notional at the mark: each tier charges its own fraction on the part
 *    of the notional that falls inside its band.
 */
#ifndef CLEARLINE_MARGIN_H
#define CLEARLINE_MARGIN_H

#include <clearline/common.h>

/* Fractions are in parts per million. */
#define CL_PPM 1000000u

/* One band of a market's risk tiers. Bands are consecutive: tier i covers
 * position notionals in (cap[i-1], cap[i]] collateral atoms; the last
 * tier's cap must be INT64_MAX. Fractions must not fall as notional
 * grows, and mmf_ppm <= imf_ppm. */
struct cl_risk_tier {
	int64_t notional_cap;
	uint32_t imf_ppm; /* initial margin fraction */
	uint32_t mmf_ppm; /* maintenance margin fraction */
};

/* What the margin functions need to know about a market. */
struct cl_market_risk {
	int scale_exp; /* collateralDecimals - priceDecimals - sizeDecimals */
	const struct cl_risk_tier *tiers;
	size_t n_tiers;
};

struct cl_position {
	int64_t size; /* signed, size units; > 0 long */
	int64_t cost; /* signed cost basis, collateral atoms; 0 iff size 0 */
};

/* The health of a whole account at given marks. */
struct cl_health {
	int64_t collateral;
	int64_t upnl;   /* sum of unrealised PnL, rounded down */
	int64_t equity; /* collateral + upnl */
	int64_t im;     /* initial requirement, rounded up */
	int64_t mm;     /* maintenance requirement, rounded up */
};

/* Check a tier table: non-empty, caps strictly rising and ending at
 * INT64_MAX, fractions in (0, 1e6], mmf <= imf, fractions non-decreasing. */
CL_WUR bool margin_tiers_valid(const struct cl_risk_tier *tiers, size_t n);

/* Notional of |size| at `mark`, rounded up (for requirements). */
CL_WUR bool margin_notional_up(int64_t *out, const struct cl_market_risk *m,
			       int64_t size, uint64_t mark);

/* Initial and maintenance requirement of one position at `mark`,
 * rounded up. A flat position requires 0. */
CL_WUR bool margin_requirement_up(int64_t *im, int64_t *mm,
				  const struct cl_market_risk *m,
				  const struct cl_position *pos, uint64_t mark);

/* Unrealised PnL of one position at `mark`: value - cost, where a long's
 * value is its notional rounded down and a short's value is minus its
 * notional rounded up (so PnL is always rounded down). */
CL_WUR bool margin_upnl_down(int64_t *out, const struct cl_market_risk *m,
			     const struct cl_position *pos, uint64_t mark);

/*
 * Health of an account: `collateral` plus `n` positions, each with its
 * market's risk (`risks[i]`) and mark (`marks[i]`).
 */
CL_WUR bool margin_health(struct cl_health *out, int64_t collateral,
			  const struct cl_position *pos,
			  const struct cl_market_risk *const *risks,
			  const uint64_t *marks, size_t n);

/*
 * Apply one side of a fill to a position and its account's collateral.
 * `is_buy`, `size` (> 0) and `notional` (> 0, the fill's value in atoms,
 * the same number on both sides of the fill) describe the trade.
 * On success *pos and *collateral are updated and *realised holds the PnL
 * realised by the reducing part (0 when only opening). On failure
 * (overflow) nothing is changed.
 */
CL_WUR bool margin_apply_fill(struct cl_position *pos, int64_t *collateral,
			      int64_t *realised, bool is_buy, int64_t size,
			      int64_t notional);

/* A fee of `ppm` parts per million of `notional`, rounded up. */
CL_WUR bool margin_fee_up(int64_t *out, int64_t notional, uint32_t ppm);

/* Does a fill of `is_buy` side increase the absolute size (or flip)? */
bool margin_fill_increases_risk(const struct cl_position *pos, bool is_buy,
				int64_t size);

/*
 * What can leave the account: collateral + min(0, upnl) - im, never using
 * unrealised profit, and never more than the collateral itself; 0 when
 * negative.
 */
int64_t margin_withdrawable(const struct cl_health *h);

/* Entry price (cost / size in price units), rounded down, for display;
 * 0 for a flat position. */
CL_WUR bool margin_entry_price(uint64_t *out, const struct cl_market_risk *m,
			       const struct cl_position *pos);

#endif /* CLEARLINE_MARGIN_H */
