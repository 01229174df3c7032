/* SPDX-License-Identifier: MIT */
/*
 * Every input of the option pricer can be hostile (a surface from the
 * oracle signers, a grid from genesis, sizes from accounts): seeded
 * random 64-bit values, mostly at the edges, into every public function.
 * Each call must either succeed with results inside their documented
 * ranges or fail with its outputs zeroed; run under the sanitizers this
 * also shows no undefined behaviour (docs/options.md). CL_TEST_SEED
 * replays.
 */
#include "test.h"

#include <clearline/options.h>

#define ROUNDS 4000

/* edges and their neighbours, or anything */
static uint64_t hostile(void)
{
	static const uint64_t edge[] = {0,
					1,
					2,
					CL_OPT_PRICE_MAX,
					CL_OPT_PRICE_MAX + 1,
					CL_WAD,
					4 * (uint64_t)CL_WAD,
					4 * (uint64_t)CL_WAD + 1,
					(uint64_t)INT64_MAX,
					(uint64_t)INT64_MIN,
					UINT64_MAX,
					CL_OPT_TAU_MAX_S,
					(uint64_t)-(int64_t)CL_WAD};
	uint64_t r = test_rand();

	switch (r % 4) {
	case 0:
		return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return test_rand() >> (r >> 8) % 64;
	case 2:
		return (uint64_t)-(int64_t)(test_rand() >> (r >> 8) % 64);
	default:
		return test_rand();
	}
}

static bool zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int main(void)
{
	test_seed();
	for (int round = 0; round < ROUNDS; round++) {
		struct cl_opt_greeks g;
		struct cl_price f = {hostile()}, k = {hostile()};
		int64_t w = (int64_t)hostile(), v;
		uint64_t tau = hostile();
		enum cl_opt_kind kind = round & 1 ? CL_OPT_PUT : CL_OPT_CALL;

		if (options_black76(&g, kind, f, k, w, tau)) {
			CHECK(f.v >= 1 && f.v <= CL_OPT_PRICE_MAX && w >= 0);
			CHECK(g.price_micro >= 0 &&
			      g.delta_ppb >= -1000000000 &&
			      g.delta_ppb <= 1000000000 && g.gamma_wad >= 0 &&
			      g.vega_micro >= 0 && g.theta_micro <= 0);
		} else {
			CHECK(zero(&g, sizeof(g)));
		}
		if (options_black76_price(&v, kind, f, k, w, tau))
			CHECK(v >= 0 && v <= (int64_t)(f.v > k.v ? f.v : k.v) *
						     CL_OPT_MICRO);
		else
			CHECK(v == 0);
		CHECK(options_ncdf(w) >= 0 && options_ncdf(w) <= CL_WAD);
		CHECK(options_npdf(w) >= 0 && options_npdf(w) <= CL_WAD / 2);
		if (!options_ln_ratio(&v, f.v, k.v))
			CHECK(v == 0);

		struct cl_svi s = {(int64_t)hostile(), (int64_t)hostile(),
				   (int64_t)hostile(), (int64_t)hostile(),
				   (int64_t)hostile()};
		if (options_svi_w_up(&v, &s, f, k))
			CHECK(v >= 0 && options_svi_valid(&s));
		else
			CHECK(v == 0);
		struct cl_svi s2 = {(int64_t)hostile(), (int64_t)hostile(),
				    (int64_t)hostile(), (int64_t)hostile(),
				    (int64_t)hostile()};
		if (options_svi_calendar_ok(&s, &s2))
			CHECK(options_svi_valid(&s) && options_svi_valid(&s2));

		struct cl_opt_short_rule rule = {(uint32_t)hostile(),
						 (uint32_t)hostile()};
		if (options_short_margin_up(&v, &rule, kind, f, k,
					    (int64_t)hostile()))
			CHECK(v >= 0);
		else
			CHECK(v == 0);

		struct cl_opt_scenarios sc = {
			(uint32_t)hostile() % 2000000, (uint32_t)hostile() % 12,
			(uint32_t)hostile() % 2000000, (uint32_t)hostile() % 8,
			(uint32_t)hostile() % 2000000};
		struct cl_opt_leg legs[3];
		for (int i = 0; i < 3; i++)
			legs[i] = (struct cl_opt_leg){
				(enum cl_opt_leg_kind)(hostile() % 3),
				{hostile()}, hostile() % (2 * CL_OPT_TAU_MAX_S),
				(int64_t)hostile(), (int64_t)hostile()};
		struct cl_opt_risk r;
		if (options_risk_array(&r, &sc, f, legs, 3)) {
			CHECK(r.n >= 11 && r.n <= CL_OPT_SCEN_MAX &&
			      r.worst_loss >= 0 && r.worst < r.n);
		} else {
			CHECK(zero(&r, sizeof(r)));
		}

		struct cl_opt_index_sample smp[3] = {
			{hostile(), {hostile()}},
			{hostile(), {hostile()}},
			{hostile(), {hostile()}}};
		struct cl_price settle;
		if (!options_settlement_twap(&settle, smp, 3, hostile(),
					     (uint32_t)hostile()))
			CHECK(settle.v == 0);
		if (!options_payoff_micro(&v, kind, f, k))
			CHECK(v == 0);

		struct cl_opt_underlying_risk u[2] = {
			{(int64_t)hostile(), (int64_t)hostile(),
			 (int64_t)hostile()},
			{(int64_t)hostile(), (int64_t)hostile(),
			 (int64_t)hostile()}};
		struct cl_opt_pair_credit pc = {(uint32_t)hostile() % 3,
						(uint32_t)hostile() % 3,
						(uint32_t)hostile() % 2000000};
		int64_t mm, im;
		if (options_portfolio_margin(&mm, &im, u, 2, &pc, 1,
					     (uint32_t)hostile()))
			CHECK(mm >= 0 && im >= mm);
		else
			CHECK(mm == 0 && im == 0);
		struct cl_opt_book_greeks bg;
		if (!options_book_greeks(&bg, f, legs, 3))
			CHECK(zero(&bg, sizeof(bg)));
	}
	return test_done("test_options_hostile");
}
