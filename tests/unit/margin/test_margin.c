/* SPDX-License-Identifier: MIT */
/* The worked examples of docs/margin.md, number for number, plus seeded
 * properties of the accounting model. */
#include "test.h"

#include <clearline/margin.h>

#define USD 1000000LL /* collateral atoms per dollar (6 decimals) */

/* BTC-PERP as in docs/margin.md: price decimals 2, size decimals 5,
 * collateral decimals 6: scale_exp = 6 - 2 - 5 = -1. */
static const struct cl_risk_tier btc_tiers[] = {
	{1000000 * USD, 20000, 10000},  /* up to $1M: 2% / 1% */
	{5000000 * USD, 50000, 25000},  /* $1M-$5M: 5% / 2.5% */
	{INT64_MAX, 100000, 50000},     /* above: 10% / 5% */
};
static const struct cl_market_risk btc = {-1, btc_tiers, 3};

#define PRICE(usd_cents) ((uint64_t)(usd_cents))
#define BTC(x100000) ((int64_t)(x100000))

#define AMT(x) ((struct cl_amount){(x)})
#define PX(x) ((struct cl_price){(x)})
#define SZ(x) ((struct cl_size){(x)})

static struct cl_amount fill_notional(uint64_t price, uint64_t size)
{
	struct cl_amount a;
	CHECK(cl_notional_down(&a, PX(price), SZ(size), btc.scale_exp));
	return a;
}

static void worked_examples(void)
{
	struct cl_position pos = {0, {0}};
	struct cl_amount coll = AMT(10000 * USD), realised, fee, im, mm, u;

	/* Example 1: buy 1 BTC at $60,000.00 as taker, fee 5 bps */
	struct cl_amount n = fill_notional(6000000, 100000);
	CHECK(n.atoms == 60000 * USD);
	CHECK(margin_fee_up(&fee, n, 500) && fee.atoms == 30 * USD);
	coll.atoms -= fee.atoms;
	CHECK(margin_apply_fill(&pos, &coll, &realised, true, SZ(100000), n));
	CHECK(pos.size == 100000 && pos.cost.atoms == 60000 * USD &&
	      coll.atoms == 9970 * USD && realised.atoms == 0);
	CHECK(margin_requirement_up(&im, &mm, &btc, &pos, PX(6000000)));
	CHECK(im.atoms == 1200 * USD && mm.atoms == 600 * USD);
	struct cl_price entry;
	CHECK(margin_entry_price(&entry, &btc, &pos) && entry.v == 6000000);

	/* Example 2: the mark falls to $59,000 */
	struct cl_health h;
	const struct cl_market_risk *risks[1] = {&btc};
	struct cl_price marks[1] = {PX(5900000)};
	CHECK(margin_health(&h, coll, &pos, risks, marks, 1));
	CHECK(h.upnl == -1000 * USD && h.equity == 8970 * USD);
	CHECK(h.im == 1180 * USD && h.mm == 590 * USD);
	CHECK(margin_withdrawable(&h) == 7790 * USD);
	/* unrealised profit is never withdrawable */
	marks[0] = PX(7000000);
	CHECK(margin_health(&h, coll, &pos, risks, marks, 1));
	CHECK(h.upnl == 10000 * USD);
	CHECK(margin_withdrawable(&h) == 9970 * USD - 1400 * USD);

	/* Example 3: sell 0.3 BTC at $61,000: realise +$300 */
	n = fill_notional(6100000, 30000);
	CHECK(n.atoms == 18300 * USD);
	CHECK(margin_apply_fill(&pos, &coll, &realised, false, SZ(30000), n));
	CHECK(realised.atoms == 300 * USD && coll.atoms == 10270 * USD);
	CHECK(pos.size == 70000 && pos.cost.atoms == 42000 * USD);
	CHECK(margin_entry_price(&entry, &btc, &pos) && entry.v == 6000000);

	/* Example 4: sell 1 BTC at $62,000: close 0.7, open 0.3 short */
	n = fill_notional(6200000, 100000);
	CHECK(margin_apply_fill(&pos, &coll, &realised, false, SZ(100000),
				n));
	CHECK(realised.atoms == 1400 * USD && coll.atoms == 11670 * USD);
	CHECK(pos.size == -30000 && pos.cost.atoms == -18600 * USD);
	CHECK(margin_entry_price(&entry, &btc, &pos) && entry.v == 6200000);
	CHECK(margin_fill_increases_risk(&pos, false, SZ(1)));
	CHECK(!margin_fill_increases_risk(&pos, true, SZ(30000)));
	CHECK(margin_fill_increases_risk(&pos, true, SZ(30001)));

	/* Example 5: buy back 0.3 at $63,000: realise -$300, flat */
	n = fill_notional(6300000, 30000);
	CHECK(margin_apply_fill(&pos, &coll, &realised, true, SZ(30000), n));
	CHECK(realised.atoms == -300 * USD && pos.size == 0 &&
	      pos.cost.atoms == 0);
	CHECK(coll.atoms == 11370 * USD);

	/* Example 6: tiers are marginal: $3M of notional */
	struct cl_position big = {5000000, {3000000 * USD}}; /* 50 BTC */
	CHECK(margin_requirement_up(&im, &mm, &btc, &big, PX(6000000)));
	CHECK(im.atoms == 120000 * USD && mm.atoms == 60000 * USD);
	struct cl_position huge = {10000000, {0}}; /* 100 BTC: $6M */
	CHECK(margin_requirement_up(&im, &mm, &btc, &huge, PX(6000000)));
	CHECK(im.atoms == 20000 * USD + 200000 * USD + 100000 * USD);

	/* Example 7: rounding in the protocol's favour */
	struct cl_position tiny = {3, {100}};
	struct cl_amount c2 = AMT(0);
	CHECK(margin_apply_fill(&tiny, &c2, &realised, false, SZ(1), AMT(40)));
	/* 100/3 up = 34 */
	CHECK(realised.atoms == 6 && tiny.cost.atoms == 66 && c2.atoms == 6);
	struct cl_position s3 = {-3, {-1800000}};
	CHECK(margin_upnl_down(&u, &btc, &s3, PX(6000001))); /* 1800000.3 */
	CHECK(u.atoms == -1);
	struct cl_position l3 = {3, {1800000}};
	CHECK(margin_upnl_down(&u, &btc, &l3, PX(6000001)) && u.atoms == 0);
	CHECK(margin_requirement_up(&im, &mm, &btc, &l3, PX(6000001)));
	/* 1800001 * 2% = 36000.02 up */
	CHECK(im.atoms == 36001 && mm.atoms == 18001);
	CHECK(margin_fee_up(&fee, AMT(1), 500) && fee.atoms == 1);
	CHECK(margin_fee_up(&fee, AMT(0), 500) && fee.atoms == 0);
	/* the notional of a size, rounded up; |size| of a signed one */
	CHECK(margin_notional_up(&n, &btc, SZ(3), PX(6000001)) &&
	      n.atoms == 1800001);
	CHECK(margin_abs_size(-3).v == 3 && margin_abs_size(3).v == 3);
	CHECK(margin_abs_size(INT64_MIN).v == (uint64_t)INT64_MAX + 1);
}

static void bad_inputs(void)
{
	struct cl_position pos = {INT64_MAX - 5, {1}};
	struct cl_amount coll = AMT(0), r;
	CHECK(!margin_apply_fill(&pos, &coll, &r, true, SZ(10), AMT(10)));
	CHECK(pos.size == INT64_MAX - 5 && pos.cost.atoms == 1 &&
	      coll.atoms == 0);
	CHECK(!margin_apply_fill(&pos, &coll, &r, true, SZ(0), AMT(10)));
	CHECK(!margin_apply_fill(&pos, &coll, &r, true, SZ(1), AMT(0)));
	/* a size beyond 2^63 - 1 is refused, not wrapped */
	struct cl_position p0 = {0, {0}};
	CHECK(!margin_apply_fill(&p0, &coll, &r, true,
				 SZ((uint64_t)INT64_MAX + 1), AMT(10)));
	CHECK(!margin_apply_close(&p0, &coll, &r, true, SZ(UINT64_MAX),
				  AMT(0)));
	CHECK(p0.size == 0 && p0.cost.atoms == 0);
	struct cl_position p2 = {1, {INT64_MAX}};
	CHECK(!margin_apply_fill(&p2, &coll, &r, true, SZ(1), AMT(10)));
	struct cl_amount im, mm;
	struct cl_position p3 = {INT64_MAX, {0}};
	CHECK(!margin_requirement_up(&im, &mm, &btc, &p3, PX(UINT64_MAX)));
	CHECK(!margin_fee_up(&im, AMT(-1), 500));
	CHECK(!margin_fee_up(&im, AMT(1), CL_PPM + 1));

	CHECK(margin_tiers_valid(btc_tiers, 3));
	struct cl_risk_tier bad[2] = {{100, 20000, 10000}, {50, 50000, 25000}};
	CHECK(!margin_tiers_valid(bad, 2)); /* cap not at INT64_MAX */
	bad[1].notional_cap = INT64_MAX;
	bad[1].imf_ppm = 10000; /* falls */
	CHECK(!margin_tiers_valid(bad, 2));
	bad[1].imf_ppm = 50000;
	bad[0].mmf_ppm = 30000; /* mm above im */
	CHECK(!margin_tiers_valid(bad, 2));
	CHECK(!margin_tiers_valid(bad, 0));
}

/* Random fills between accounts: sum of (collateral - cost) is conserved
 * exactly, sizes net to zero, and a flat position has no cost. */
static void conservation(void)
{
	enum { N = 6 };
	struct cl_position pos[N] = {{0, {0}}};
	struct cl_amount coll[N], r;
	__int128 before = 0;

	test_seed();
	for (int i = 0; i < N; i++) {
		coll[i] = AMT(1000000 * USD);
		before += coll[i].atoms;
	}
	for (int step = 0; step < 200000; step++) {
		int b = (int)(test_rand() % N), s = (int)(test_rand() % N);
		if (b == s)
			continue;
		uint64_t size = test_rand() % 300000 + 1;
		uint64_t price = 5000000 + test_rand() % 2000000;
		struct cl_amount n = fill_notional(price, size);
		if (n.atoms <= 0)
			continue;
		struct cl_position pb = pos[b], ps = pos[s];
		struct cl_amount cb = coll[b], cs = coll[s];
		if (!margin_apply_fill(&pb, &cb, &r, true, SZ(size), n) ||
		    !margin_apply_fill(&ps, &cs, &r, false, SZ(size), n))
			continue;
		pos[b] = pb, pos[s] = ps, coll[b] = cb, coll[s] = cs;
		__int128 sum = 0;
		int64_t net = 0;
		for (int i = 0; i < N; i++) {
			sum += (__int128)coll[i].atoms - pos[i].cost.atoms;
			net += pos[i].size;
			CHECK(pos[i].size != 0 || pos[i].cost.atoms == 0);
		}
		CHECK(sum == before);
		CHECK(net == 0);
	}
}

/* docs/margin.md "Open orders": the worse side per market. */
static void open_orders(void)
{
	const struct cl_price mark = PX(6000000);
	struct cl_open_sizes o;
	struct cl_health h;
	struct cl_position p = {BTC(100000), {60000 * USD}};
	struct cl_position flat = {0, {0}}, shrt = {-BTC(100000), {0}};
	const struct cl_market_risk *rp = &btc;
	struct cl_amount im;

#define OPEN(b, s) ((struct cl_open_sizes){SZ(b), SZ(s)})
	/* no orders: the position's own IM; margin_health sets order_im */
	o = OPEN(0, 0);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 1200 * USD);
	CHECK(margin_health(&h, AMT(4000 * USD), &p, &rp, &mark, 1) &&
	      h.order_im == h.im && h.im == 1200 * USD);
	/* the table of the worked example */
	o = OPEN(200000, 0);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 3600 * USD);
	o = OPEN(200000, 300000);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 3600 * USD);
	o = OPEN(250000, 300000);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 4200 * USD);
	o = OPEN(233300, 400000);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 3999600000LL);
	/* the sell side is the worse one for a short */
	o = OPEN(100000, 100000);
	CHECK(margin_order_im_up(&im, &btc, &shrt, &o, mark, CL_PPM) &&
	      im.atoms == 2400 * USD);
	/* a reducing order adds nothing */
	o = OPEN(0, 100000);
	CHECK(margin_order_im_up(&im, &btc, &p, &o, mark, CL_PPM) &&
	      im.atoms == 1200 * USD);
	/* the multiplier and the rounding of each side: x1.5, and three
	 * units at a mark of 6000001 (IM 36 000.02 x 1.5 -> 54 001) */
	o = OPEN(3, 0);
	CHECK(margin_order_im_up(&im, &btc, &flat, &o, PX(6000001),
				 1500000) &&
	      im.atoms == 54001);
	/* no mark: nothing to value */
	o = OPEN(300000, 300000);
	CHECK(margin_order_im_up(&im, &btc, &flat, &o, PX(0), CL_PPM) &&
	      im.atoms == 0);
	/* out of range: fails, *out zeroed */
	struct cl_position one = {1, {0}}, minus_one = {-1, {0}};
	o = OPEN((uint64_t)INT64_MAX, 0);
	CHECK(!margin_order_im_up(&im, &btc, &one, &o, mark, CL_PPM) &&
	      im.atoms == 0);
	o = OPEN(0, (uint64_t)INT64_MAX);
	CHECK(!margin_order_im_up(&im, &btc, &minus_one, &o, mark, CL_PPM));
	CHECK(margin_order_im_up(&im, &btc, &flat, &o, PX(1), CL_PPM));
#undef OPEN
	/* withdrawable leaves the larger of im and order_im */
	h = (struct cl_health){.collateral = 4000 * USD, .equity = 4000 * USD,
			       .im = 1200 * USD, .order_im = 3999600000LL};
	CHECK(margin_withdrawable(&h) == 400000);
	h.order_im = 0;
	CHECK(margin_withdrawable(&h) == 2800 * USD);
}

/* What asset value may leave (docs/margin.md "Taking an asset out"):
 * Dana's numbers, with a settlement balance of $810 and $24,300 of
 * tETH: not capped by the settlement balance, as margin_withdrawable()
 * is; unrealised losses count, profits do not. */
static void asset_withdrawable(void)
{
	struct cl_health h = {.collateral = 25110 * USD,
			      .equity = 25110 * USD,
			      .im = 15000 * USD,
			      .order_im = 18000 * USD,
			      .asset_value = 24300 * USD};

	CHECK(margin_asset_withdrawable(&h) == 7110 * USD);
	CHECK(margin_withdrawable(&h) == 810 * USD);
	h.order_im = 0;
	CHECK(margin_asset_withdrawable(&h) == 10110 * USD);
	h.upnl = 5000 * USD; /* a profit stays */
	CHECK(margin_asset_withdrawable(&h) == 10110 * USD);
	h.upnl = -1000 * USD; /* a loss counts */
	CHECK(margin_asset_withdrawable(&h) == 9110 * USD);
	h.upnl = -20000 * USD; /* under the requirement: nothing */
	CHECK(margin_asset_withdrawable(&h) == 0);
	h = (struct cl_health){.collateral = INT64_MAX, .upnl = INT64_MIN};
	CHECK(margin_asset_withdrawable(&h) == 0);
	h = (struct cl_health){.collateral = INT64_MAX};
	CHECK(margin_asset_withdrawable(&h) == INT64_MAX);
}

int main(void)
{
	worked_examples();
	open_orders();
	asset_withdrawable();
	bad_inputs();
	conservation();
	return test_done("margin");
}
