/* SPDX-License-Identifier: MIT */
/*
 * Settlement at expiry: the time-weighted index over the window before
 * expiry and the payoff of one unit, with the worked examples of
 * docs/options.md "Settlement" number for number.
 */
#include "test.h"

#include <clearline/options.h>

#define PX(x) ((struct cl_price){(x)})
#define S(t, p) ((struct cl_opt_index_sample){(t), PX(p)})

static void twap(void)
{
	struct cl_price out;
	/* expiry at t = 100 000, 30-minute window from 98 200 */
	const uint64_t ex = 100000;

	/* 60 000.00 all along, sampled before the window opens */
	struct cl_opt_index_sample flat[1] = {S(90000, 6000000)};
	CHECK(options_settlement_twap(&out, flat, 1, ex, 1800));
	CHECK(out.v == 6000000);

	/* a push to 66 000.00 for the last 60 s moves it by 6 000 x 60 /
	 * 1 800 = 200.00 */
	struct cl_opt_index_sample push[2] = {S(90000, 6000000),
					      S(99940, 6600000)};
	CHECK(options_settlement_twap(&out, push, 2, ex, 1800));
	CHECK(out.v == 6020000);

	/* samples before the window only set its opening price; 10 min at
	 * 59 000, 10 at 60 000, 10 at 61 000.01: 60 000.003 -> down */
	struct cl_opt_index_sample steps[5] = {
		S(50000, 1), S(98000, 5900000), S(98800, 6000000),
		S(99400, 6100001), S(100000, 7000000)};
	CHECK(options_settlement_twap(&out, steps, 5, ex, 1800));
	CHECK(out.v == 6000000);

	/* refused: no sample at the window's start, falling or equal
	 * times, a zero price, a sample after expiry, an empty window or
	 * one reaching before time 0 */
	struct cl_opt_index_sample late[1] = {S(98201, 6000000)};
	out.v = 9;
	CHECK(!options_settlement_twap(&out, late, 1, ex, 1800) &&
	      out.v == 0);
	struct cl_opt_index_sample back[2] = {S(98000, 6000000),
					      S(98000, 6000001)};
	CHECK(!options_settlement_twap(&out, back, 2, ex, 1800));
	struct cl_opt_index_sample zero[2] = {S(98000, 6000000),
					      S(99000, 0)};
	CHECK(!options_settlement_twap(&out, zero, 2, ex, 1800));
	struct cl_opt_index_sample after[2] = {S(98000, 6000000),
					       S(100001, 6000000)};
	CHECK(!options_settlement_twap(&out, after, 2, ex, 1800));
	CHECK(!options_settlement_twap(&out, flat, 1, ex, 0));
	CHECK(!options_settlement_twap(&out, flat, 0, ex, 1800));
	CHECK(!options_settlement_twap(&out, flat, 1, 1000, 1800));
	/* the largest prices do not overflow */
	struct cl_opt_index_sample big[2] = {S(0, UINT64_MAX),
					     S(1, UINT64_MAX)};
	CHECK(options_settlement_twap(&out, big, 2, UINT32_MAX,
				      UINT32_MAX));
	CHECK(out.v == UINT64_MAX);
}

static void payoff(void)
{
	int64_t v;

	CHECK(options_payoff_micro(&v, CL_OPT_CALL, PX(6020000), PX(6000000)));
	CHECK(v == 20000 * CL_OPT_MICRO);
	CHECK(options_payoff_micro(&v, CL_OPT_PUT, PX(6020000), PX(6000000)));
	CHECK(v == 0);
	CHECK(options_payoff_micro(&v, CL_OPT_PUT, PX(5400000), PX(6000000)));
	CHECK(v == 600000 * CL_OPT_MICRO);
	CHECK(options_payoff_micro(&v, CL_OPT_CALL, PX(6000000), PX(6000000)));
	CHECK(v == 0);
	CHECK(options_payoff_micro(&v, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX),
				   PX(1)));
	CHECK(v == (int64_t)(CL_OPT_PRICE_MAX - 1) * CL_OPT_MICRO);
	v = 5;
	CHECK(!options_payoff_micro(&v, CL_OPT_CALL, PX(CL_OPT_PRICE_MAX + 1),
				    PX(1)) &&
	      v == 0);
	CHECK(!options_payoff_micro(&v, CL_OPT_PUT, PX(1), PX(0)));
}

int main(void)
{
	twap();
	payoff();
	return test_done("test_options_settle");
}
