/* SPDX-License-Identifier: MIT */
/*
 * Option pricer benchmark (a program, not a test): the cost of one
 * Black-76 price with Greeks, and of the risk array of one underlying
 * (23 scenarios: +-15 % in 7 moves x 3 volatilities, 2 extremes) for an
 * account with 1, 10 and 50 option legs plus a perpetual: priced per
 * account (no sharing, the worst case) and from the series' value
 * tables a block computes once (options_leg_values). docs/options.md "Cost" has the figures.
 *
 * Each figure is the best of ROUNDS rounds (per call), since the machine
 * may be shared.
 *
 * Usage: bench_options [iterations]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <clearline/options.h>

#define ROUNDS 5
#define DAY 86400u

static volatile int64_t sink;

static double per_call_ns(uint64_t t0, uint64_t t1, uint64_t n)
{
	return (double)(t1 - t0) / (double)n;
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
	static const struct cl_opt_scenarios grid = {150000, 3, 300000, 3,
						     330000};
	struct cl_opt_leg legs[51], work[51];
	struct cl_opt_greeks g;
	struct cl_opt_risk r;
	double best = 1e30;

	if (iters == 0)
		iters = 1;
	for (int round = 0; round < ROUNDS; round++) {
		uint64_t t0 = cl_clock_mono_ns();
		for (uint64_t i = 0; i < iters * 20; i++) {
			if (!options_black76(&g, (i & 1) ? CL_OPT_PUT :
							   CL_OPT_CALL,
					     (struct cl_price){6000000},
					     (struct cl_price){5000000 +
							       (i % 40) * 50000},
					     CL_WAD / 50, 30 * DAY)) {
				fprintf(stderr, "black76 refused\n");
				return 1;
			}
			sink = g.price_micro;
		}
		double ns = per_call_ns(t0, cl_clock_mono_ns(), iters * 20);
		best = ns < best ? ns : best;
	}
	printf("black76 price+greeks: %.0f ns/call\n", best);

	for (size_t i = 0; i < 50; i++) {
		uint64_t tau = (7 + 7 * (i % 8)) * DAY;
		legs[i] = (struct cl_opt_leg){
			(i & 1) ? CL_OPT_LEG_PUT : CL_OPT_LEG_CALL,
			{4800000 + (uint64_t)(i % 25) * 100000}, tau,
			(int64_t)((__int128)CL_WAD * 36 / 100 * tau /
				  CL_OPT_YEAR_S),
			(i % 3 == 0) ? -1000000 : 500000};
	}
	legs[50] = (struct cl_opt_leg){CL_OPT_LEG_PERP, {0}, 0, 0, -3000000};
	size_t sizes[3] = {1, 10, 50};
	for (int s = 0; s < 3; s++) {
		size_t n = sizes[s];
		/* the first n option legs and the perpetual */
		for (size_t i = 0; i < n; i++)
			work[i] = legs[i];
		work[n] = legs[50];
		best = 1e30;
		uint64_t it = iters / n + 1;
		for (int round = 0; round < ROUNDS; round++) {
			uint64_t t0 = cl_clock_mono_ns();
			for (uint64_t i = 0; i < it; i++) {
				if (!options_risk_array(
					    &r, &grid, (struct cl_price){6000000},
					    work, n + 1)) {
					fprintf(stderr, "risk array refused\n");
					return 1;
				}
				sink = r.worst_loss;
			}
			double ns = per_call_ns(t0, cl_clock_mono_ns(), it);
			best = ns < best ? ns : best;
		}
		printf("risk array, %zu option legs + 1 perp: %.1f us/account\n",
		       n, best / 1000.0);

		/* the same from the series' shared tables (computed once a
		 * block, outside the timing) */
		static struct cl_opt_values vals[51];
		const struct cl_opt_values *pv[51];
		for (size_t i = 0; i <= n; i++) {
			if (!options_leg_values(&vals[i], &grid,
						(struct cl_price){6000000},
						&work[i])) {
				fprintf(stderr, "values refused\n");
				return 1;
			}
			pv[i] = &vals[i];
		}
		best = 1e30;
		for (int round = 0; round < ROUNDS; round++) {
			uint64_t t0 = cl_clock_mono_ns();
			for (uint64_t i = 0; i < iters; i++) {
				if (!options_risk_array_from(&r, &grid, work,
							     pv, n + 1)) {
					fprintf(stderr, "risk array refused\n");
					return 1;
				}
				sink = r.worst_loss;
			}
			double ns = per_call_ns(t0, cl_clock_mono_ns(), iters);
			best = ns < best ? ns : best;
		}
		printf("  from shared series tables: %.2f us/account\n",
		       best / 1000.0);
	}
	return 0;
}
