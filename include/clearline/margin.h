/* SPDX-License-Identifier: MIT */
/*
 * margin — the cross-margin arithmetic of one account, as pure functions.
 *
 * Nothing here touches state: the stf loads an account's collateral and
 * positions, calls these functions, and stores the results. Every function
 * is deterministic integer arithmetic (no floats, no clock) and fails
 * rather than wraps; a failure rejects the transaction that caused it.
 *
 * Types: collateral amounts are struct cl_amount (atoms), prices struct
 * cl_price and unsigned sizes struct cl_size (common.h), so the compiler
 * refuses a price where a size belongs. A position's signed size stays
 * an int64_t inside struct cl_position. Ratios (ppm, ppb) and funding
 * indexes stay plain integers. struct cl_health keeps plain int64_t atoms
 * (read by the RPC and the sequencer), as does margin_withdrawable().
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
	int64_t size;          /* signed, size units; > 0 long */
	struct cl_amount cost; /* signed cost basis; 0 iff size 0 */
};

/* |size| of a signed position size (INT64_MIN included). */
static inline struct cl_size margin_abs_size(int64_t size)
{
	return (struct cl_size){size < 0 ? (uint64_t)-(size + 1) + 1 :
					   (uint64_t)size};
}

/* The health of a whole account at given marks. */
struct cl_health {
	int64_t collateral;
	int64_t upnl;   /* sum of unrealised PnL, rounded down */
	int64_t equity; /* collateral + upnl */
	int64_t im;     /* initial requirement, rounded up */
	int64_t mm;     /* maintenance requirement, rounded up */
	int64_t asset_value; /* part of `collateral` that is the haircut
			      * value of collateral assets (docs/margin.md
			      * "Collateral assets"); 0 from margin_health*() */
	int64_t order_im; /* initial requirement counting the open orders
			   * (>= im; docs/margin.md "Open orders"); the
			   * margin_health*() functions know no orders and
			   * set it to im */
};

/* The open orders of one account in one market: the remaining sizes of
 * its open orders that are not reduce-only, per side (size units). */
struct cl_open_sizes {
	struct cl_size buy;
	struct cl_size sell;
};

/* Check a tier table: non-empty, caps strictly rising and ending at
 * INT64_MAX, fractions in (0, 1e6], mmf <= imf, fractions non-decreasing. */
CL_WUR bool margin_tiers_valid(const struct cl_risk_tier *tiers, size_t n);

/* Notional of |size| at `mark`, rounded up (for requirements). */
CL_WUR bool margin_notional_up(struct cl_amount *out,
			       const struct cl_market_risk *m,
			       struct cl_size size, struct cl_price mark);

/* Initial and maintenance requirement of one position at `mark`,
 * rounded up. A flat position requires 0. The same as
 * margin_requirement_scaled_up() with a scale of 1 000 000 (x1). */
CL_WUR bool margin_requirement_up(struct cl_amount *im, struct cl_amount *mm,
				  const struct cl_market_risk *m,
				  const struct cl_position *pos,
				  struct cl_price mark);

/* As margin_requirement_up() with the dynamic multiplier `scale_ppm`
 * (margin_imf_scale_ppm(); 0 counts as 1 000 000): the marginal tier sums
 * times the scale, one ceiling at the end, each requirement capped at the
 * position's notional (an effective fraction never exceeds 100 %). */
CL_WUR bool margin_requirement_scaled_up(struct cl_amount *im,
					 struct cl_amount *mm,
					 const struct cl_market_risk *m,
					 const struct cl_position *pos,
					 struct cl_price mark,
					 uint32_t scale_ppm);

/*
 * Initial requirement of a position `pos` (only its size counts) with
 * open orders `open` in its market, at `mark` with the multiplier
 * `scale_ppm`: the worse of the two sides, max(IM(size + buy), IM(size -
 * sell)), each IM as margin_requirement_scaled_up() (rounded up). Equals
 * the position's own IM when both sides are 0, and never less. Fails
 * (*out zeroed) when size + buy or size - sell leaves [-(2^63 - 1),
 * 2^63 - 1], or on overflow.
 */
CL_WUR bool margin_order_im_up(struct cl_amount *out,
			       const struct cl_market_risk *m,
			       const struct cl_position *pos,
			       const struct cl_open_sizes *open,
			       struct cl_price mark, uint32_t scale_ppm);

/* Unrealised PnL of one position at `mark`: value - cost, where a long's
 * value is its notional rounded down and a short's value is minus its
 * notional rounded up (so PnL is always rounded down). */
CL_WUR bool margin_upnl_down(struct cl_amount *out,
			     const struct cl_market_risk *m,
			     const struct cl_position *pos,
			     struct cl_price mark);

/*
 * Health of an account: `collateral` plus `n` positions, each with its
 * market's risk (`risks[i]`) and mark (`marks[i]`).
 */
CL_WUR bool margin_health(struct cl_health *out, struct cl_amount collateral,
			  const struct cl_position *pos,
			  const struct cl_market_risk *const *risks,
			  const struct cl_price *marks, size_t n);

/* As margin_health() with each market's multiplier scales[i] (NULL: x1). */
CL_WUR bool margin_health_scaled(struct cl_health *out,
				 struct cl_amount collateral,
				 const struct cl_position *pos,
				 const struct cl_market_risk *const *risks,
				 const struct cl_price *marks,
				 const uint32_t *scales, size_t n);

/*
 * Apply one side of a fill to a position and its account's collateral.
 * `is_buy`, `size` (> 0) and `notional` (> 0, the fill's value in atoms,
 * the same number on both sides of the fill) describe the trade.
 * On success *pos and *collateral are updated and *realised holds the PnL
 * realised by the reducing part (0 when only opening). On failure
 * (overflow) nothing is changed.
 */
CL_WUR bool margin_apply_fill(struct cl_position *pos,
			      struct cl_amount *collateral,
			      struct cl_amount *realised, bool is_buy,
			      struct cl_size size, struct cl_amount notional);

/*
 * As margin_apply_fill() but `notional` may be 0: a close at a price of
 * zero (a liquidation or deleveraging at a bankruptcy price that rounds to
 * nothing). Used by the stf's backstop and ADL transfers only.
 */
CL_WUR bool margin_apply_close(struct cl_position *pos,
			       struct cl_amount *collateral,
			       struct cl_amount *realised, bool is_buy,
			       struct cl_size size, struct cl_amount notional);

/* A fee of `ppm` parts per million of `notional`, rounded up. */
CL_WUR bool margin_fee_up(struct cl_amount *out, struct cl_amount notional,
			  uint32_t ppm);

/* Does a fill of `is_buy` side increase the absolute size (or flip)? */
bool margin_fill_increases_risk(const struct cl_position *pos, bool is_buy,
				struct cl_size size);

/*
 * What can leave the account: collateral + min(0, upnl) - max(im,
 * order_im), never using unrealised profit or what the open orders
 * reserve, and never more than the settlement balance itself (collateral
 * - asset_value); 0 when negative.
 */
int64_t margin_withdrawable(const struct cl_health *h);

/*
 * How much haircut value of collateral assets can leave the account
 * (docs/margin.md "Collateral assets"): collateral + min(0, upnl) -
 * max(im, order_im), as margin_withdrawable() but not capped by the
 * settlement balance; 0 when negative.
 */
int64_t margin_asset_withdrawable(const struct cl_health *h);

/* Entry price (cost / size in price units), rounded down, for display;
 * 0 for a flat position. */
CL_WUR bool margin_entry_price(struct cl_price *out,
			       const struct cl_market_risk *m,
			       const struct cl_position *pos);

/* ------------------------------------------------------------------ */
/* Risk engine arithmetic (docs/margin.md "Risk engine")              */
/* ------------------------------------------------------------------ */

/*
 * Rates (premiums, funding rates) are fixed-point in parts per billion
 * (1e-9). A market's cumulative funding index is in 1e-9 collateral atoms
 * per size unit (CL_FUNDING_SCALE), signed, 128 bits. Variances of
 * returns are in ppm^2 (1e-12).
 */
#define CL_PPB 1000000000LL
#define CL_FUNDING_SCALE 1000000000LL

/* The lower median of n (1..16) prices: element (n-1)/2 of the sorted
 * list, so always one of the inputs. */
struct cl_price margin_median_lower(const struct cl_price *v, size_t n);

/* The median of three prices. */
struct cl_price margin_median3(struct cl_price a, struct cl_price b,
			       struct cl_price c);

/* The band ref * (1 -+ ppm / 1e6): lo rounded up (at least 1), hi rounded
 * down (saturating at UINT64_MAX). ppm <= 1e6. */
void margin_band(struct cl_price *lo, struct cl_price *hi,
		 struct cl_price ref, uint32_t ppm);

/* The circuit breaker: `candidate` clamped into the band of `anchor` of
 * +- jump_ppm. An anchor of 0 (no price yet) accepts the candidate. */
struct cl_price margin_breaker_clamp(struct cl_price anchor,
				     struct cl_price candidate,
				     uint32_t jump_ppm);

/* The premium of `last` over `index` in ppb, rounded toward zero and
 * clamped to +- band_ppm * 1000; 0 when last or index is 0. */
int64_t margin_premium_sample_ppb(struct cl_price last, struct cl_price index,
				  uint32_t band_ppm);

/* Time-weighted EMA: ema + (x - ema) * dt / (dt + tau), rounded toward
 * zero. dt = 0 leaves ema unchanged; tau = 0 takes x. */
int64_t margin_ema_update(int64_t ema, int64_t x, uint64_t dt, uint64_t tau);

/*
 * The mark price: the median of (index, index * (1 + ema), last clamped to
 * index +- band_ppm), with index * (1 + ema) rounded down and ema clamped
 * to +- band_ppm * 1000 ppb; a last of 0 counts as the index. 0 when the
 * index is 0.
 */
struct cl_price margin_mark_price(struct cl_price index, int64_t ema_ppb,
				  struct cl_price last, uint32_t band_ppm);

/* Funding rate of one interval in ppb: clamp(avg + clamp(interest - avg,
 * +-clamp), +-cap). */
int64_t margin_funding_rate_ppb(int64_t avg_premium_ppb, int64_t interest_ppb,
				int64_t clamp_ppb, int64_t cap_ppb);

/* Change of the funding index over `periods` intervals at `rate_ppb`:
 * rate * periods * mark * 10^scale_exp (1e-9 atoms per size unit),
 * rounded toward zero. Fails on overflow. */
CL_WUR bool margin_funding_delta(__int128 *out, int64_t rate_ppb,
				 uint64_t periods, struct cl_price mark,
				 int scale_exp);

/*
 * What a position of `size` owes for funding between its snapshot and
 * `index`: size * (index - snap) / 1e9 atoms, positive when it pays.
 * Rounded against the holder (toward +infinity): a payment rounds up, a
 * receipt rounds toward zero.
 * Fails on overflow.
 */
CL_WUR bool margin_funding_payment(struct cl_amount *out, int64_t size,
				   __int128 index, __int128 snap);

/* EWMA of squared returns: var + (r^2 - var) * alpha / 1e6 rounded toward
 * zero, r = |new - old| * 1e6 / old (ppm, rounded down). Unchanged when
 * old is 0. */
uint64_t margin_vol_update(uint64_t var, struct cl_price old_price,
			   struct cl_price new_price, uint32_t alpha_ppm);

/* floor(sqrt(v)). */
uint64_t margin_isqrt(uint64_t v);

/* What makes a market's requirements scale (genesis parameters). */
struct cl_imf_scale_params {
	struct cl_size oi_cap;    /* the market's open interest cap */
	uint32_t oi_threshold_ppm; /* share of the cap where scaling starts */
	uint32_t oi_factor_ppm;   /* extra multiplier at the cap */
	uint32_t vol_factor;      /* extra ppm per ppm of volatility */
	uint32_t max_scale_ppm;   /* upper bound of the multiplier (>= 1e6) */
};

/*
 * The multiplier of a market's tier fractions, in ppm (>= 1e6):
 * 1e6 + ceil(oi_factor * min(oi - thr, cap - thr) / (cap - thr)) when oi
 * exceeds thr = floor(cap * oi_threshold / 1e6), plus isqrt(var) *
 * vol_factor, capped at max_scale_ppm.
 */
uint32_t margin_imf_scale_ppm(const struct cl_imf_scale_params *p,
			      struct cl_size oi, uint64_t var);

/* A slice's share of an account's equity: ceil(equity * part / total)
 * (total > 0, 0 <= part <= total). Fails on overflow. */
CL_WUR bool margin_equity_share_up(struct cl_amount *out,
				   struct cl_amount equity,
				   struct cl_amount part,
				   struct cl_amount total);

/* The largest liquidation slice of a position of |size| abs_size:
 * ceil(abs_size * share_ppm / 1e6) rounded up to a multiple of step, at
 * least one step, at most abs_size. */
uint64_t margin_slice_max(uint64_t abs_size, uint32_t share_ppm,
			  uint64_t step);

/*
 * The auto-deleveraging score of a position: (upnl / |cost|) * (notional /
 * equity), both ratios in ppm rounded toward zero, the product in ppm
 * (saturating). INT64_MIN when equity <= 0 (ranked last).
 */
int64_t margin_adl_score(struct cl_amount upnl, struct cl_amount cost,
			 struct cl_amount notional, struct cl_amount equity);

/* ------------------------------------------------------------------ */
/* Collateral assets (docs/margin.md "Collateral assets")             */
/* ------------------------------------------------------------------ */

/*
 * An account may hold collateral assets beside the settlement asset. An
 * asset's balance is in its own atoms; it counts toward equity at its
 * oracle index price less a haircut, in settlement atoms, rounded down.
 * The haircut of each part of the balance is the tier of that part (the
 * tiers are marginal, by amount held, like the margin tiers) plus a
 * volatility term and a thin-book term, capped at max_haircut_ppm.
 */

/* One band of an asset's haircut tiers: tier i covers the balance in
 * (cap[i-1], cap[i]] asset atoms; the last cap must be INT64_MAX.
 * Haircuts never fall as the amount grows. */
struct cl_haircut_tier {
	int64_t amount_cap;
	uint32_t haircut_ppm;
};

struct cl_haircut_params {
	int scale_exp; /* settlementDecimals - priceDecimals - assetDecimals */
	const struct cl_haircut_tier *tiers;
	size_t n_tiers;
	uint32_t vol_factor;     /* extra ppm per ppm of volatility (sigma) */
	uint32_t thin_ppm;       /* extra ppm when the hedge book is empty */
	struct cl_amount depth_threshold; /* settlement atoms; 0: no term */
	uint32_t max_haircut_ppm; /* cap of every band's haircut, <= 1e6 */
};

/* Check a haircut tier table: non-empty, caps > 0 strictly rising and
 * ending at INT64_MAX, haircuts <= 1e6 and non-decreasing. */
CL_WUR bool margin_haircut_tiers_valid(const struct cl_haircut_tier *tiers,
				       size_t n);

/*
 * What volatility and book depth add to every band's haircut, in ppm:
 * isqrt(var) * vol_factor, plus ceil(thin_ppm * (thr - depth) / thr)
 * when 0 <= depth < thr = depth_threshold (a negative depth counts as 0),
 * saturating at 1e6.
 */
uint32_t margin_haircut_extra_ppm(const struct cl_haircut_params *p,
				  uint64_t var, struct cl_amount depth);

/*
 * The haircut value of `balance` (>= 0 asset atoms) at `index`, with the
 * asset's variance `var` (ppm^2) and hedge-book depth `depth`
 * (settlement atoms): for each tier band, its part's value at the index
 * rounded down, times (1e6 - min(tier + extra, max_haircut)); the sum
 * divided by 1e6, rounded down. 0 for a zero balance or index. Fails
 * (*out zeroed) on a negative balance or overflow.
 */
CL_WUR bool margin_collateral_value_down(struct cl_amount *out,
					 const struct cl_haircut_params *p,
					 struct cl_amount balance,
					 struct cl_price index, uint64_t var,
					 struct cl_amount depth);

/*
 * What the insurance fund pays for `amount` (>= 0) asset atoms taken
 * from a liquidated account: its value at `index` rounded down, less
 * `discount_ppm` (<= 1e6), rounded down. Fails on overflow.
 */
CL_WUR bool margin_collateral_sale_down(struct cl_amount *out,
					const struct cl_haircut_params *p,
					struct cl_amount amount,
					struct cl_price index,
					uint32_t discount_ppm);

#endif /* CLEARLINE_MARGIN_H */
