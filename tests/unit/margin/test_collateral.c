/* SPDX-License-Identifier: MIT */
/* Haircut values of collateral assets: the worked examples of
 * docs/margin.md "Collateral assets", number for number. */
#include "test.h"

#include <clearline/margin.h>

#define USD 1000000LL
#define ETH 1000000000LL /* tETH has 9 decimals on L2 */

#define AMT(x) ((struct cl_amount){(x)})
#define PX(x) ((struct cl_price){(x)})

static const struct cl_haircut_tier eth_tiers[] = {
    {100 * ETH, 100000},
    {1000 * ETH, 150000},
    {INT64_MAX, 250000},
};

/* settlement 6 decimals, price 2 (cents), tETH 9: 6 - 2 - 9 = -5 */
static const struct cl_haircut_params eth = {
    .scale_exp = -5,
    .tiers = eth_tiers,
    .n_tiers = 3,
    .vol_factor = 2,
    .thin_ppm = 100000,
    .depth_threshold = {1000000 * USD},
    .max_haircut_ppm = 500000,
};

#define DEEP AMT(5000000 * USD)

static int64_t value(int64_t bal, uint64_t px, uint64_t var,
		     struct cl_amount depth)
{
	struct cl_amount v;

	if (!margin_collateral_value_down(&v, &eth, AMT(bal), PX(px), var,
					  depth))
		return -1;
	return v.atoms;
}

static void tiers(void)
{
	static const struct cl_haircut_tier bad_end[] = {{100, 1000}};
	static const struct cl_haircut_tier falling[] = {{100, 2000},
							 {INT64_MAX, 1000}};
	static const struct cl_haircut_tier over[] = {{INT64_MAX, 1000001}};
	static const struct cl_haircut_tier same_cap[] = {
	    {100, 1000}, {100, 2000}, {INT64_MAX, 3000}};

	CHECK(margin_haircut_tiers_valid(eth_tiers, 3));
	CHECK(!margin_haircut_tiers_valid(eth_tiers, 0));
	CHECK(!margin_haircut_tiers_valid(bad_end, 1));
	CHECK(!margin_haircut_tiers_valid(falling, 2));
	CHECK(!margin_haircut_tiers_valid(over, 1));
	CHECK(!margin_haircut_tiers_valid(same_cap, 3));
}

static void worked_examples(void)
{
	/* 1. 10 tETH at $3,000.00: $30,000 less 10 % */
	CHECK(value(10 * ETH, 300000, 0, DEEP) == 27000 * USD);
	/* 2. volatility: var 10^9 ppm^2, sigma 31 622 ppm, x2 = +63 244 */
	CHECK(margin_haircut_extra_ppm(&eth, 1000000000, DEEP) == 63244);
	CHECK(value(10 * ETH, 300000, 1000000000, DEEP) == 25102680000);
	/* 3. size tiers: 150 tETH = 100 at 10 % + 50 at 15 % */
	CHECK(value(150 * ETH, 300000, 0, DEEP) == 397500 * USD);
	CHECK(value(100 * ETH, 300000, 0, DEEP) == 270000 * USD);
	/* 4. thin book: $250,000 of bids against $1,000,000: +75 000 */
	CHECK(margin_haircut_extra_ppm(&eth, 0, AMT(250000 * USD)) == 75000);
	CHECK(value(10 * ETH, 300000, 0, AMT(250000 * USD)) == 24750 * USD);
	CHECK(value(10 * ETH, 300000, 1000000000, AMT(250000 * USD)) ==
	      22852680000);
	/* one atom under the threshold rounds up to 1 ppm; at it, 0;
	 * an empty (or negative) depth takes the whole thin term */
	CHECK(margin_haircut_extra_ppm(&eth, 0, AMT(1000000 * USD - 1)) == 1);
	CHECK(margin_haircut_extra_ppm(&eth, 0, AMT(1000000 * USD)) == 0);
	CHECK(margin_haircut_extra_ppm(&eth, 0, AMT(0)) == 100000);
	CHECK(margin_haircut_extra_ppm(&eth, 0, AMT(-5)) == 100000);
	/* 5. the cap: var 10^11 gives 632 454 + 10 %, capped at 50 % */
	CHECK(margin_haircut_extra_ppm(&eth, 100000000000ull, DEEP) == 632454);
	CHECK(value(10 * ETH, 300000, 100000000000ull, DEEP) == 15000 * USD);
	/* 6. rounding: one atom is worth 3 atoms, 2.7 after the haircut */
	CHECK(value(1, 300000, 0, DEEP) == 2);
	/* 7. the fall of the scenario: $2,100, var 9 * 10^10 (a 30 % step
	 * at alpha 100 %): sigma 300 000, +600 000, capped at 50 % */
	CHECK(value(10 * ETH, 210000, 90000000000ull, DEEP) == 10500 * USD);
	CHECK(value(10 * ETH, 210000, 0, DEEP) == 18900 * USD);
	/* the fund buys 10 tETH at $2,100 less 2 % */
	struct cl_amount sale;
	CHECK(margin_collateral_sale_down(&sale, &eth, AMT(10 * ETH),
					  PX(210000), 20000) &&
	      sale.atoms == 20580 * USD);
	CHECK(!margin_collateral_sale_down(&sale, &eth, AMT(-1), PX(210000),
					   20000));
	CHECK(!margin_collateral_sale_down(&sale, &eth, AMT(1), PX(210000),
					   1000001));
}

static void edges(void)
{
	struct cl_amount v = {77};

	CHECK(value(0, 300000, 0, DEEP) == 0);
	CHECK(value(10 * ETH, 0, 0, DEEP) == 0);
	/* a negative balance is refused, out zeroed */
	CHECK(!margin_collateral_value_down(&v, &eth, AMT(-1), PX(300000), 0,
					    DEEP) &&
	      v.atoms == 0);
	/* overflow of the value is refused, not wrapped */
	CHECK(value(INT64_MAX, UINT64_MAX / 2, 0, DEEP) == -1);
	/* the value never exceeds the gross value and grows with the
	 * balance */
	int64_t prev = 0;
	for (int64_t b = 0; b <= 2000 * ETH; b += 37 * ETH + 12345) {
		int64_t x = value(b, 300000, 4000000, AMT(600000 * USD));
		CHECK(x >= prev);
		CHECK(x <= (int64_t)((__int128)b * 300000 / 100000));
		prev = x;
	}
	/* a 100 % haircut values everything at 0 */
	struct cl_haircut_params all = eth;
	all.max_haircut_ppm = 1000000;
	all.thin_ppm = 1000000;
	CHECK(margin_collateral_value_down(&v, &all, AMT(10 * ETH), PX(300000),
					   0, AMT(0)) &&
	      v.atoms == 0);
}

int main(void)
{
	tiers();
	worked_examples();
	edges();
	return test_done("test_collateral");
}
