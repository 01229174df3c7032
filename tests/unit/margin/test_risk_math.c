/* SPDX-License-Identifier: MIT */
/* The risk engine's formulas, with the worked examples of docs/margin.md
 * ("Risk engine") and docs/liquidation.md, number for number. */
#include "test.h"

#include <clearline/margin.h>

#define USD 1000000LL

static const struct cl_risk_tier btc_tiers[] = {
	{1000000 * USD, 20000, 10000},
	{5000000 * USD, 50000, 25000},
	{INT64_MAX, 100000, 50000},
};
static const struct cl_market_risk btc = {-1, btc_tiers, 3};

static void median_band_breaker(void)
{
	uint64_t three[3] = {6030000, 5990000, 6000000};
	uint64_t four[4] = {4, 1, 3, 2};
	uint64_t lo, hi;

	CHECK(margin_median_lower(three, 3) == 6000000);
	CHECK(margin_median_lower(four, 4) == 2); /* lower median */
	CHECK(margin_median_lower(four, 1) == 4);
	CHECK(margin_median3(7, 3, 5) == 5);
	margin_band(&lo, &hi, 6000000, 20000);
	CHECK(lo == 5880000 && hi == 6120000);
	margin_band(&lo, &hi, 3, 500000); /* 1.5 -> 2 up, 4.5 -> 4 down */
	CHECK(lo == 2 && hi == 4);
	margin_band(&lo, &hi, 5, 1000000);
	CHECK(lo == 1 && hi == 10);
	/* the breaker: anchor $60,200, 10 % */
	CHECK(margin_breaker_clamp(6020000, 4000000, 100000) == 5418000);
	CHECK(margin_breaker_clamp(6020000, 7000000, 100000) == 6622000);
	CHECK(margin_breaker_clamp(6020000, 6100000, 100000) == 6100000);
	CHECK(margin_breaker_clamp(0, 4000000, 100000) == 4000000);
}

static void premium_ema_mark(void)
{
	/* +0.5 % exactly, +20 % clamped to the 0.5 % band, a tiny
	 * discount rounded toward zero */
	CHECK(margin_premium_sample_ppb(6030000, 6000000, 5000) == 5000000);
	CHECK(margin_premium_sample_ppb(7200000, 6000000, 5000) == 5000000);
	CHECK(margin_premium_sample_ppb(4800000, 6000000, 5000) == -5000000);
	CHECK(margin_premium_sample_ppb(5999999, 6000000, 5000) == -166);
	CHECK(margin_premium_sample_ppb(0, 6000000, 5000) == 0);
	/* EMA with tau 300 s, blocks 30 s apart */
	int64_t ema = margin_ema_update(0, 5000000, 30, 300);
	CHECK(ema == 454545);
	ema = margin_ema_update(ema, 5000000, 30, 300);
	CHECK(ema == 867768);
	CHECK(margin_ema_update(ema, 0, 0, 300) == ema);
	CHECK(margin_ema_update(ema, 7, 5, 0) == 7);
	CHECK(margin_ema_update(0, -5000000, 30, 300) == -454545);
	/* mark: median(index, index * (1 + ema), clamped last) */
	CHECK(margin_mark_price(6000000, 867768, 7200000, 5000) == 6005206);
	CHECK(margin_mark_price(6000000, 0, 7200000, 5000) == 6000000);
	CHECK(margin_mark_price(6000000, 5000000, 7200000, 5000) == 6030000);
	CHECK(margin_mark_price(6000000, 5000000, 0, 5000) == 6000000);
	CHECK(margin_mark_price(6000000, -3000000, 5000000, 5000) == 5982000);
	CHECK(margin_mark_price(0, 0, 5, 5000) == 0);
	/* band 0: the mark is the index */
	CHECK(margin_mark_price(6000000, 99999, 7000000, 0) == 6000000);
}

static void funding(void)
{
	__int128 d;
	int64_t pay[3];

	/* rate = clamp(avg + clamp(interest - avg, +-50 ppm), +-500 ppm) */
	CHECK(margin_funding_rate_ppb(867768, 10000, 50000, 500000) == 500000);
	CHECK(margin_funding_rate_ppb(20000, 10000, 50000, 500000) == 10000);
	CHECK(margin_funding_rate_ppb(300000, 10000, 50000, 500000) ==
	      250000);
	CHECK(margin_funding_rate_ppb(-900000, 10000, 50000, 500000) ==
	      -500000);
	/* index change: 10 000 ppb of one size unit (1e-5 BTC) at $60,000
	 * = 6 atoms = 6e9 nano-atoms */
	CHECK(margin_funding_delta(&d, 10000, 1, 6000000, -1) &&
	      d == 6000000000);
	CHECK(margin_funding_delta(&d, -10000, 2, 6000000, -1) &&
	      d == -12000000000);
	CHECK(margin_funding_delta(&d, 10000, 1, 6000000, 2) &&
	      d == (__int128)6000000000000);
	CHECK(margin_funding_delta(&d, 7, 1, 3, -1) && d == 2); /* 2.1 */
	/* settlement with dust: a long of 300 and shorts of 100 and 200
	 * over an index move of 6 000 000 001 nano-atoms */
	CHECK(margin_funding_payment(&pay[0], 300, 6000000001, 0));
	CHECK(margin_funding_payment(&pay[1], -100, 6000000001, 0));
	CHECK(margin_funding_payment(&pay[2], -200, 6000000001, 0));
	CHECK(pay[0] == 1801 && pay[1] == -600 && pay[2] == -1200);
	CHECK(pay[0] + pay[1] + pay[2] == 1); /* one atom of dust */
	/* a snapshot in the past, the other direction */
	CHECK(margin_funding_payment(&pay[0], 300, 0, 6000000001) &&
	      pay[0] == -1800);
	CHECK(margin_funding_payment(&pay[0], 5, 10, 10) && pay[0] == 0);
	CHECK(!margin_funding_payment(&pay[0], INT64_MAX, (__int128)1 << 100,
				      0));
}

static void volatility_scale(void)
{
	/* a 10 % step: r = 100 000 ppm, r^2 = 1e10, alpha 10 % */
	uint64_t var = margin_vol_update(0, 6020000, 5418000, 100000);
	CHECK(var == 1000000000);
	CHECK(margin_isqrt(var) == 31622);
	CHECK(margin_isqrt(0) == 0 && margin_isqrt(15) == 3 &&
	      margin_isqrt(16) == 4 && margin_isqrt(UINT64_MAX) == 4294967295u);
	/* a quiet update pulls it back: r = 0 */
	CHECK(margin_vol_update(var, 5418000, 5418000, 100000) == 900000000);
	CHECK(margin_vol_update(var, 0, 5, 100000) == var);

	struct cl_imf_scale_params p = {
		.oi_cap = 50000000,
		.oi_threshold_ppm = 500000,
		.oi_factor_ppm = 1000000,
		.vol_factor = 10,
		.max_scale_ppm = 3000000,
	};
	/* OI 40M of a 50M cap: 15/25 of the factor; vol 31 622 ppm * 10 */
	CHECK(margin_imf_scale_ppm(&p, 40000000, var) == 1916220);
	CHECK(margin_imf_scale_ppm(&p, 25000000, 0) == 1000000);
	CHECK(margin_imf_scale_ppm(&p, 25000001, 0) == 1000001); /* up */
	CHECK(margin_imf_scale_ppm(&p, 60000000, 0) == 2000000);
	CHECK(margin_imf_scale_ppm(&p, 50000000, UINT64_MAX) == 3000000);

	/* requirements scale: 1 BTC at $60,000 */
	struct cl_position pos = {100000, 60000 * USD};
	int64_t im, mm;
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &pos, 6000000,
					   1916220));
	CHECK(im == 2299464000 && mm == 1149732000);
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &pos, 6000000, 0));
	CHECK(im == 1200 * USD && mm == 600 * USD);
	/* never above the notional */
	static const struct cl_risk_tier full[] = {{INT64_MAX, 1000000,
						    500000}};
	static const struct cl_market_risk fm = {-1, full, 1};
	CHECK(margin_requirement_scaled_up(&im, &mm, &fm, &pos, 6000000,
					   3000000));
	CHECK(im == 60000 * USD && mm == 60000 * USD);
	/* rounding: one ceiling over the scaled sum (3 units at 6000001:
	 * 1 800 000.3 atoms, 2 % x 1.5 = 54 000.009 -> 54 001) */
	struct cl_position small = {3, 1800000};
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &small, 6000001,
					   1500000));
	CHECK(im == 54001 && mm == 27001);
}

static void liquidation_numbers(void)
{
	int64_t e_q, fee;

	/* docs/liquidation.md: equity $570, slice of 0.25 BTC at $58,500
	 * ($14,625) of $58,500 in positions */
	CHECK(margin_equity_share_up(&e_q, 570 * USD, 14625 * USD,
				     58500 * USD));
	CHECK(e_q == 142500000);
	/* bankruptcy price of the slice: (14 625 - 142.5) / 0.25 = 57 930 */
	CHECK((14625 * USD - e_q) * 4 == 57930 * USD);
	CHECK(margin_fee_up(&fee, 14625 * USD, 5000) && fee == 73125000);
	/* rounding up, also for a negative equity (the fund pays less) */
	CHECK(margin_equity_share_up(&e_q, 100, 1, 3) && e_q == 34);
	CHECK(margin_equity_share_up(&e_q, -100, 1, 3) && e_q == -33);
	CHECK(!margin_equity_share_up(&e_q, 1, 4, 3));
	/* slices: a quarter, rounded up to the step */
	CHECK(margin_slice_max(100000, 250000, 100) == 25000);
	CHECK(margin_slice_max(75000, 250000, 100) == 18800);
	CHECK(margin_slice_max(50, 250000, 100) == 50);
	CHECK(margin_slice_max(1000, 1000000, 100) == 1000);
	/* a zero-price close still conserves (the flow is 0) */
	struct cl_position pos = {100, 500};
	int64_t coll = 1000, real;
	CHECK(margin_apply_close(&pos, &coll, &real, false, 100, 0));
	CHECK(pos.size == 0 && pos.cost == 0 && coll == 500 && real == -500);
	CHECK(!margin_apply_close(&pos, &coll, &real, false, 100, -1));
}

static void adl_scores(void)
{
	/* docs/liquidation.md: shorts of 0.6 and 0.4 BTC opened at
	 * $60,000, mark $54,000 */
	int64_t s3 = margin_adl_score(3600 * USD, -36000 * USD, 32400 * USD,
				      7193 * USD);
	int64_t s2 = margin_adl_score(2400 * USD, -24000 * USD, 21600 * USD,
				      14395200000);
	CHECK(s3 == 450437);
	CHECK(s2 == 150050);
	CHECK(s3 > s2);
	/* losing positions rank below winning ones, bankrupt ones last */
	CHECK(margin_adl_score(-100, 1000, 900, 50) < 0);
	CHECK(margin_adl_score(100, 1000, 900, 0) == INT64_MIN);
	CHECK(margin_adl_score(INT64_MAX, 1, INT64_MAX, 1) == INT64_MAX);
}

int main(void)
{
	median_band_breaker();
	premium_ema_mark();
	funding();
	volatility_scale();
	liquidation_numbers();
	adl_scores();
	return test_done("test_risk_math");
}
