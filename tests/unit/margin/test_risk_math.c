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

#define AMT(x) ((struct cl_amount){(x)})
#define PX(x) ((struct cl_price){(x)})
#define SZ(x) ((struct cl_size){(x)})

static void median_band_breaker(void)
{
	struct cl_price three[3] = {PX(6030000), PX(5990000), PX(6000000)};
	struct cl_price four[4] = {PX(4), PX(1), PX(3), PX(2)};
	struct cl_price lo, hi;

	CHECK(margin_median_lower(three, 3).v == 6000000);
	CHECK(margin_median_lower(four, 4).v == 2); /* lower median */
	CHECK(margin_median_lower(four, 1).v == 4);
	CHECK(margin_median3(PX(7), PX(3), PX(5)).v == 5);
	margin_band(&lo, &hi, PX(6000000), 20000);
	CHECK(lo.v == 5880000 && hi.v == 6120000);
	margin_band(&lo, &hi, PX(3), 500000); /* 1.5 -> 2 up, 4.5 -> 4 */
	CHECK(lo.v == 2 && hi.v == 4);
	margin_band(&lo, &hi, PX(5), 1000000);
	CHECK(lo.v == 1 && hi.v == 10);
	margin_band(&lo, &hi, PX(UINT64_MAX), 1000000); /* saturates */
	CHECK(hi.v == UINT64_MAX);
	/* the breaker: anchor $60,200, 10 % */
	CHECK(margin_breaker_clamp(PX(6020000), PX(4000000), 100000).v ==
	      5418000);
	CHECK(margin_breaker_clamp(PX(6020000), PX(7000000), 100000).v ==
	      6622000);
	CHECK(margin_breaker_clamp(PX(6020000), PX(6100000), 100000).v ==
	      6100000);
	CHECK(margin_breaker_clamp(PX(0), PX(4000000), 100000).v == 4000000);
}

static void premium_ema_mark(void)
{
	/* +0.5 % exactly, +20 % clamped to the 0.5 % band, a tiny
	 * discount rounded toward zero */
	CHECK(margin_premium_sample_ppb(PX(6030000), PX(6000000), 5000) == 5000000);
	CHECK(margin_premium_sample_ppb(PX(7200000), PX(6000000), 5000) == 5000000);
	CHECK(margin_premium_sample_ppb(PX(4800000), PX(6000000), 5000) == -5000000);
	CHECK(margin_premium_sample_ppb(PX(5999999), PX(6000000), 5000) == -166);
	CHECK(margin_premium_sample_ppb(PX(0), PX(6000000), 5000) == 0);
	/* EMA with tau 300 s, blocks 30 s apart */
	int64_t ema = margin_ema_update(0, 5000000, 30, 300);
	CHECK(ema == 454545);
	ema = margin_ema_update(ema, 5000000, 30, 300);
	CHECK(ema == 867768);
	CHECK(margin_ema_update(ema, 0, 0, 300) == ema);
	CHECK(margin_ema_update(ema, 7, 5, 0) == 7);
	CHECK(margin_ema_update(0, -5000000, 30, 300) == -454545);
	/* mark: median(index, index * (1 + ema), clamped last) */
	CHECK(margin_mark_price(PX(6000000), 867768, PX(7200000), 5000).v == 6005206);
	CHECK(margin_mark_price(PX(6000000), 0, PX(7200000), 5000).v == 6000000);
	CHECK(margin_mark_price(PX(6000000), 5000000, PX(7200000), 5000).v == 6030000);
	CHECK(margin_mark_price(PX(6000000), 5000000, PX(0), 5000).v == 6000000);
	CHECK(margin_mark_price(PX(6000000), -3000000, PX(5000000), 5000).v == 5982000);
	CHECK(margin_mark_price(PX(0), 0, PX(5), 5000).v == 0);
	/* band 0: the mark is the index */
	CHECK(margin_mark_price(PX(6000000), 99999, PX(7000000), 0).v == 6000000);
}

static void funding(void)
{
	__int128 d;
	struct cl_amount pay[3];

	/* rate = clamp(avg + clamp(interest - avg, +-50 ppm), +-500 ppm) */
	CHECK(margin_funding_rate_ppb(867768, 10000, 50000, 500000) == 500000);
	CHECK(margin_funding_rate_ppb(20000, 10000, 50000, 500000) == 10000);
	CHECK(margin_funding_rate_ppb(300000, 10000, 50000, 500000) ==
	      250000);
	CHECK(margin_funding_rate_ppb(-900000, 10000, 50000, 500000) ==
	      -500000);
	/* index change: 10 000 ppb of one size unit (1e-5 BTC) at $60,000
	 * = 6 atoms = 6e9 nano-atoms */
	CHECK(margin_funding_delta(&d, 10000, 1, PX(6000000), -1) &&
	      d == 6000000000);
	CHECK(margin_funding_delta(&d, -10000, 2, PX(6000000), -1) &&
	      d == -12000000000);
	CHECK(margin_funding_delta(&d, 10000, 1, PX(6000000), 2) &&
	      d == (__int128)6000000000000);
	CHECK(margin_funding_delta(&d, 7, 1, PX(3), -1) && d == 2); /* 2.1 */
	/* settlement with dust: a long of 300 and shorts of 100 and 200
	 * over an index move of 6 000 000 001 nano-atoms */
	CHECK(margin_funding_payment(&pay[0], 300, 6000000001, 0));
	CHECK(margin_funding_payment(&pay[1], -100, 6000000001, 0));
	CHECK(margin_funding_payment(&pay[2], -200, 6000000001, 0));
	CHECK(pay[0].atoms == 1801 && pay[1].atoms == -600 &&
	      pay[2].atoms == -1200);
	/* one atom of dust */
	CHECK(pay[0].atoms + pay[1].atoms + pay[2].atoms == 1);
	/* a snapshot in the past, the other direction */
	CHECK(margin_funding_payment(&pay[0], 300, 0, 6000000001) &&
	      pay[0].atoms == -1800);
	CHECK(margin_funding_payment(&pay[0], 5, 10, 10) && pay[0].atoms == 0);
	CHECK(!margin_funding_payment(&pay[0], INT64_MAX, (__int128)1 << 100,
				      0));
}

static void volatility_scale(void)
{
	/* a 10 % step: r = 100 000 ppm, r^2 = 1e10, alpha 10 % */
	uint64_t var = margin_vol_update(0, PX(6020000), PX(5418000), 100000);
	CHECK(var == 1000000000);
	CHECK(margin_isqrt(var) == 31622);
	CHECK(margin_isqrt(0) == 0 && margin_isqrt(15) == 3 &&
	      margin_isqrt(16) == 4 && margin_isqrt(UINT64_MAX) == 4294967295u);
	/* the floor of the root: r^2 <= v < (r + 1)^2, for every v below
	 * 2^16, squares and their neighbours up to 2^32 - 1, and values
	 * spread over every bit length */
	unsigned bad = 0;
	for (uint64_t v = 0; v < 65536; v++) {
		unsigned __int128 r = margin_isqrt(v);
		bad += !(r * r <= v && (r + 1) * (r + 1) > v);
	}
	for (uint64_t q = 1; q < 4294967296ull; q = q * 3 + 1)
		for (int d = -1; d <= 1; d++) {
			uint64_t v = q * q + (uint64_t)(int64_t)d;
			unsigned __int128 r = margin_isqrt(v);
			bad += !(r * r <= v && (r + 1) * (r + 1) > v);
		}
	for (unsigned b = 1; b < 64; b++)
		for (unsigned k = 0; k < 200; k++) {
			uint64_t v = ((uint64_t)1 << b) |
				     ((uint64_t)k * 0x9e3779b97f4a7c15ull >>
				      (64 - b));
			unsigned __int128 r = margin_isqrt(v);
			bad += !(r * r <= v && (r + 1) * (r + 1) > v);
		}
	CHECK_MSG(bad == 0, "margin_isqrt: %u values not the floor of their "
		  "root", bad);
	/* a quiet update pulls it back: r = 0 */
	CHECK(margin_vol_update(var, PX(5418000), PX(5418000), 100000) == 900000000);
	CHECK(margin_vol_update(var, PX(0), PX(5), 100000) == var);

	struct cl_imf_scale_params p = {
		.oi_cap = SZ(50000000),
		.oi_threshold_ppm = 500000,
		.oi_factor_ppm = 1000000,
		.vol_factor = 10,
		.max_scale_ppm = 3000000,
	};
	/* OI 40M of a 50M cap: 15/25 of the factor; vol 31 622 ppm * 10 */
	CHECK(margin_imf_scale_ppm(&p, SZ(40000000), var) == 1916220);
	CHECK(margin_imf_scale_ppm(&p, SZ(25000000), 0) == 1000000);
	CHECK(margin_imf_scale_ppm(&p, SZ(25000001), 0) == 1000001); /* up */
	CHECK(margin_imf_scale_ppm(&p, SZ(60000000), 0) == 2000000);
	CHECK(margin_imf_scale_ppm(&p, SZ(50000000), UINT64_MAX) == 3000000);

	/* requirements scale: 1 BTC at $60,000 */
	struct cl_position pos = {100000, {60000 * USD}};
	struct cl_amount im, mm;
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &pos, PX(6000000),
					   1916220));
	CHECK(im.atoms == 2299464000 && mm.atoms == 1149732000);
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &pos, PX(6000000),
					   0));
	CHECK(im.atoms == 1200 * USD && mm.atoms == 600 * USD);
	/* never above the notional */
	static const struct cl_risk_tier full[] = {{INT64_MAX, 1000000,
						    500000}};
	static const struct cl_market_risk fm = {-1, full, 1};
	CHECK(margin_requirement_scaled_up(&im, &mm, &fm, &pos, PX(6000000),
					   3000000));
	CHECK(im.atoms == 60000 * USD && mm.atoms == 60000 * USD);
	/* rounding: one ceiling over the scaled sum (3 units at 6000001:
	 * 1 800 000.3 atoms, 2 % x 1.5 = 54 000.009 -> 54 001) */
	struct cl_position small = {3, {1800000}};
	CHECK(margin_requirement_scaled_up(&im, &mm, &btc, &small,
					   PX(6000001), 1500000));
	CHECK(im.atoms == 54001 && mm.atoms == 27001);
}

static void liquidation_numbers(void)
{
	struct cl_amount e_q, fee;

	/* docs/liquidation.md: equity $570, slice of 0.25 BTC at $58,500
	 * ($14,625) of $58,500 in positions */
	CHECK(margin_equity_share_up(&e_q, AMT(570 * USD), AMT(14625 * USD),
				     AMT(58500 * USD)));
	CHECK(e_q.atoms == 142500000);
	/* bankruptcy price of the slice: (14 625 - 142.5) / 0.25 = 57 930 */
	CHECK((14625 * USD - e_q.atoms) * 4 == 57930 * USD);
	CHECK(margin_fee_up(&fee, AMT(14625 * USD), 5000) &&
	      fee.atoms == 73125000);
	/* rounding up, also for a negative equity (the fund pays less) */
	CHECK(margin_equity_share_up(&e_q, AMT(100), AMT(1), AMT(3)) &&
	      e_q.atoms == 34);
	CHECK(margin_equity_share_up(&e_q, AMT(-100), AMT(1), AMT(3)) &&
	      e_q.atoms == -33);
	CHECK(!margin_equity_share_up(&e_q, AMT(1), AMT(4), AMT(3)));
	/* slices: a quarter, rounded up to the step */
	CHECK(margin_slice_max(100000, 250000, 100) == 25000);
	CHECK(margin_slice_max(75000, 250000, 100) == 18800);
	CHECK(margin_slice_max(50, 250000, 100) == 50);
	CHECK(margin_slice_max(1000, 1000000, 100) == 1000);
	/* a zero-price close still conserves (the flow is 0) */
	struct cl_position pos = {100, {500}};
	struct cl_amount coll = AMT(1000), real;
	CHECK(margin_apply_close(&pos, &coll, &real, false, SZ(100), AMT(0)));
	CHECK(pos.size == 0 && pos.cost.atoms == 0 && coll.atoms == 500 &&
	      real.atoms == -500);
	CHECK(!margin_apply_close(&pos, &coll, &real, false, SZ(100),
				  AMT(-1)));
}

static void adl_scores(void)
{
	/* docs/liquidation.md: shorts of 0.6 and 0.4 BTC opened at
	 * $60,000, mark $54,000 */
	int64_t s3 = margin_adl_score(AMT(3600 * USD), AMT(-36000 * USD),
				      AMT(32400 * USD), AMT(7193 * USD));
	int64_t s2 = margin_adl_score(AMT(2400 * USD), AMT(-24000 * USD),
				      AMT(21600 * USD), AMT(14395200000));
	CHECK(s3 == 450437);
	CHECK(s2 == 150050);
	CHECK(s3 > s2);
	/* losing positions rank below winning ones, bankrupt ones last */
	CHECK(margin_adl_score(AMT(-100), AMT(1000), AMT(900), AMT(50)) < 0);
	CHECK(margin_adl_score(AMT(100), AMT(1000), AMT(900), AMT(0)) ==
	      INT64_MIN);
	CHECK(margin_adl_score(AMT(INT64_MAX), AMT(1), AMT(INT64_MAX),
			       AMT(1)) == INT64_MAX);
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
