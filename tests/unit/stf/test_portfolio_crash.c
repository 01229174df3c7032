/* SPDX-License-Identifier: MIT */
/*
 * A crash with a volatility spike in portfolio margin (docs/margin.md
 * "Portfolio margin: options"): two portfolio accounts write the same
 * BTC put at $53,000 with BTC at $55,000; U leaves it naked, H buys the
 * put at $50,000 below it (a put spread: its loss is bounded by the
 * strikes' gap). BTC falls 15 % to $46,750 and the surface is posted at
 * 1.5 times the volatility: U is under its portfolio maintenance and the
 * sweep of the next block takes its put; H is not. The settlement
 * window then runs one block a minute to the expiry, which settles every
 * position on the time-weighted index. The settlement asset is conserved
 * at every block, and the memory and LMDB stores end on the same root.
 */
#include "pm_options_util.h"

#define DEP_U USD(3500)
#define DEP_H USD(5000)
#define DEP_LP USD(1000000)

/* The genesis of the examples with prices and surfaces fresh for a day,
 * so the jump to the settlement window keeps the options in the
 * scenarios (a stale surface would count them leg by leg, and the
 * spread's short put would then hedge nothing). */
static void crash_genesis(struct cl_genesis *g)
{
	pmo_genesis(g);
	g->oracle_max_age = 86400;
}

/* Both indexes and the BTC surface now (ETH too, so the genesis's
 * other option stays fresh). */
static void prices(struct tenv *e, uint64_t btc, const struct cl_svi *s)
{
	struct cl_stf_result r;

	CHECK(t_oracle_all(e, T_BTC, btc) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	if (s)
		CHECK(req(e, &r, pmo_surface(e, T_BTC, T_EXPIRY, s)) ==
		      CL_STF_OK);
}

/* The mark of `market` on its tick, rounded down (up: ceil). */
static uint64_t tick_mark(struct tenv *e, uint32_t market, bool up)
{
	const struct cl_market_params *m = cl_genesis_market(&e->g, market);
	uint64_t mk = t_mkt(e, market).mark_price, t = m->tick_size;

	mk = up ? (mk + t - 1) / t * t : mk / t * t;
	return mk ? mk : t;
}

static struct cl_hash32 crash(struct cl_state *st, bool print)
{
	struct tenv env, *e = &env;
	struct cl_stf_result r;
	struct cl_svi d = pmo_day(4), spike = pmo_day(9);
	__int128 in = DEP_LP + DEP_U + DEP_H;

	tenv_init_with(e, st, crash_genesis);
	struct cl_address *lp = &e->addr[0], *u = &e->addr[1],
			  *h = &e->addr[2];
	struct cl_seckey *lk = e->key[0], *uk = e->key[1], *hk = e->key[2];
	open_next(e, 1000);
	fund(e, 0, DEP_LP / T_USD);
	fund(e, 1, DEP_U / T_USD);
	fund(e, 2, DEP_H / T_USD);
	prices(e, BTC_P(55000), &d);
	CHECK(req(e, &r, pmo_mode(e, u, true, 0, uk)) == CL_STF_OK);
	CHECK(req(e, &r, pmo_mode(e, h, true, 0, hk)) == CL_STF_OK);
	conserved(e, "opened", in);

	open_next(e, 1000);
	prices(e, BTC_P(55000), &d);
	uint64_t p53 = tick_mark(e, T_SPUT, false),
		 p50 = tick_mark(e, T_PUT, true);
	CHECK(t_trade(e, lp, lk, u, uk, T_SPUT, p53, BTC_SZ(1)) == CL_STF_OK);
	CHECK(t_trade(e, lp, lk, h, hk, T_SPUT, p53, BTC_SZ(1)) == CL_STF_OK);
	CHECK(t_trade(e, h, hk, lp, lk, T_PUT, p50, BTC_SZ(1)) == CL_STF_OK);
	struct cl_health hu = pmo_health(e, u), hh = pmo_health(e, h);
	int64_t h_coll;
	{
		struct cl_stf_view v0 = tenv_view(e);
		struct cl_account acc;
		CHECK(cl_stf_get_account(&v0, &acc, h) == CL_OK);
		h_coll = acc.collateral;
	}
	CHECK(hu.equity > hu.im && hh.equity > hh.im);
	/* the spread needs less than the naked put */
	CHECK(hh.mm < hu.mm);
	if (print) {
		printf("before: U mm %.2f equity %.2f; H mm %.2f equity "
		       "%.2f\n",
		       (double)hu.mm / T_USD, (double)hu.equity / T_USD,
		       (double)hh.mm / T_USD, (double)hh.equity / T_USD);
	}
	conserved(e, "written", in);

	/* the crash: -15 % and the surface up */
	open_next(e, 1000);
	prices(e, BTC_P(46750), &spike);
	hu = pmo_health(e, u);
	hh = pmo_health(e, h);
	if (print) {
		printf("crash: U mm %.2f equity %.2f; H mm %.2f equity "
		       "%.2f\n",
		       (double)hu.mm / T_USD, (double)hu.equity / T_USD,
		       (double)hh.mm / T_USD, (double)hh.equity / T_USD);
	}
	CHECK(hu.equity < hu.mm);
	CHECK(hh.equity >= hh.mm);
	/* the figures of docs/margin.md */
	CHECK(hu.mm > USD(2332.04) && hu.mm < USD(2332.06) &&
	      hh.mm == USD(467.5));
	conserved(e, "crash", in);
	open_next(e, 1000);
	conserved(e, "swept", in);
	CHECK_MSG(pmo_size(e, u, T_SPUT) > -(int64_t)BTC_SZ(1),
		  "U's put not reduced: %lld",
		  (long long)pmo_size(e, u, T_SPUT));
	CHECK(pmo_size(e, h, T_SPUT) == -(int64_t)BTC_SZ(1) &&
	      pmo_size(e, h, T_PUT) == (int64_t)BTC_SZ(1));

	/* the settlement window, one block a minute; the index at $46,750
	 * then $47,950 for the last ten minutes */
	uint64_t start = T_EXPIRY - 1800; /* the window (docs/options.md) */
	open_next(e, (start - 60 - tenv_now(e)) * 1000);
	prices(e, BTC_P(46750), &spike);
	for (uint64_t t = start; t <= T_EXPIRY; t += 60) {
		open_next(e, 60000);
		conserved(e, "window", in);
		if (t < T_EXPIRY)
			CHECK_MSG(pmo_size(e, h, T_SPUT) ==
				      -(int64_t)BTC_SZ(1),
				  "H reduced at %llu", (unsigned long long)t);
		if (t < T_EXPIRY)
			prices(e, t >= T_EXPIRY - 600 ? BTC_P(47950) :
							BTC_P(46750),
			       &spike);
	}
	/* (1 200 s x $46,750 + 600 s x $47,950) / 1 800 s = $47,150 */
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_option_twap tw;
	CHECK(cl_stf_get_option_twap(&v, &tw, T_BTC, T_EXPIRY) == CL_OK);
	CHECK_MSG(tw.covered_s == 1800 && tw.settle_price == BTC_P(47150),
		  "twap %llu over %llu s",
		  (unsigned long long)tw.settle_price,
		  (unsigned long long)tw.covered_s);
	/* H's spread paid the strikes' gap: $3,000 */
	int64_t after = 0;
	{
		struct cl_account acc;
		CHECK(cl_stf_get_account(&v, &acc, h) == CL_OK);
		after = acc.collateral;
	}
	CHECK(pmo_size(e, h, T_SPUT) == 0 && pmo_size(e, h, T_PUT) == 0 &&
	      pmo_size(e, u, T_SPUT) == 0);
	struct cl_health hs = pmo_health(e, h);
	CHECK_MSG(hs.mm == 0 && after == h_coll - USD(3000),
		  "mm %lld collateral %lld", (long long)hs.mm,
		  (long long)after);
	conserved(e, "settled", in);
	open_next(e, 1000);
	conserved(e, "after", in);
	cl_stf_end_block(e->stf);
	e->in_block = false;
	t_commit(e);
	struct cl_hash32 root = e->root;
	tenv_release(e);
	return root;
}

int main(void)
{
	struct cl_hash32 mem = crash(cl_state_new_memory(), true), disk;
	struct t_lmdb l;
	struct cl_state *st = t_lmdb_open(&l);

	if (st) {
		disk = crash(st, false);
		t_lmdb_close(&l);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "memory and LMDB roots differ");
	}
	return test_done("test_portfolio_crash");
}
