/* SPDX-License-Identifier: MIT */
/*
 * The risk engine on the stf (memory backend), with many accounts:
 * oracle rules (median, agreement band, circuit breaker, quorum loss, an
 * outlier signer), funding settlement with its dust, liquidation and ADL
 * (every reject code), crash scenarios of 10, 30 and 50 % in one update
 * and as a slow grind, a flash spike that reverts, and a manipulation
 * attempt through a thin book. After each block of every scenario the
 * invariants are checked: collateral conserved to the atom (accounts,
 * fees, insurance fund and its positions, funding pools), positions net
 * to zero per market, funding snapshots add up, and no account is left
 * below maintenance (so none with negative equity) once the sequencer's
 * part (liquidation candidates, then LIQUIDATE / ADL) has run.
 */
#include "stf_util.h"

#define NA 64 /* accounts of the scenarios */
#define BTC_P(usd) ((uint64_t)(usd) * 100)
#define BTC_SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */

static struct cl_seckey *akey[NA];
static struct cl_address aaddr[NA];
static __int128 deposited, withdrawn;
static uint64_t liquidations, adls;

static void risk_genesis(struct cl_genesis *g)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		t_risk_on(&g->markets[i]);
	g->funding_interval = 60;
}

static void keys_init(void)
{
	for (int i = 0; i < NA; i++) {
		akey[i] = t_derived_key("risk", i);
		cl_seckey_address(&aaddr[i], akey[i]);
	}
}

static void deposit(struct tenv *e, const struct cl_address *a, int64_t amt)
{
	EXPECT_OK(e, t_deposit(e->next_deposit++, a, (uint64_t)amt));
	deposited += amt;
}

static int oracle_all(struct tenv *e, uint32_t market, uint64_t price)
{
	return t_oracle_all(e, market, price);
}

static struct cl_market_state mkt(struct tenv *e, uint32_t id)
{
	return t_mkt(e, id);
}

static int trade(struct tenv *e, const struct cl_address *buyer,
		 struct cl_seckey *bk, const struct cl_address *seller,
		 struct cl_seckey *sk, uint32_t market, uint64_t price,
		 uint64_t size)
{
	return t_trade(e, buyer, bk, seller, sk, market, price, size);
}

/* ---- invariants (t_invariants, stf_util.h) ---- */

static void invariants(struct tenv *e, const char *where)
{
	t_invariants(e, where, deposited - withdrawn);
}

/* No account is below maintenance (hence none below zero). */
static void all_healthy(struct tenv *e, const char *where)
{
	struct cl_stf_view v = tenv_view(e);
	for (int i = 0; i < NA; i++) {
		struct cl_health h;
		CHECK(cl_stf_get_health(&v, &h, &aaddr[i]) == CL_OK);
		CHECK_MSG(h.equity >= h.mm && h.equity >= 0,
			  "%s: account %d equity %lld mm %lld", where, i,
			  (long long)h.equity, (long long)h.mm);
	}
}

/*
 * The sequencer's part after a price change: ask the index for the
 * candidates of every market and run LIQUIDATE / ADL until each is
 * healthy. Checks the index is complete: every liquidatable account
 * (found by scanning all of them) was a candidate.
 */
static void sweep(struct tenv *e, const char *where)
{
	static struct cl_address cand[4096];
	struct cl_stf_view v = tenv_view(e);
	bool acted = true;

	for (int pass = 0; pass < 10 && acted; pass++) {
		bool listed[NA] = {false};
		acted = false;
		for (uint32_t m = 1; m <= 3; m++) {
			size_t n;
			uint64_t mark = mkt(e, m).mark_price;
			if (!mark)
				continue;
			CHECK(cl_stf_liquidation_candidates(&v, m, mark, cand,
							    4096, &n) ==
			      CL_OK);
			for (size_t c = 0; c < n; c++)
				for (int i = 0; i < NA; i++)
					if (cl_address_eq(&cand[c], &aaddr[i]))
						listed[i] = true;
		}
		for (int i = 0; i < NA; i++) {
			struct cl_health h;
			CHECK(cl_stf_get_health(&v, &h, &aaddr[i]) == CL_OK);
			if (h.equity < h.mm)
				CHECK_MSG(listed[i], "%s: account %d below "
					  "maintenance but not a candidate",
					  where, i);
			if (!listed[i])
				continue;
			for (int k = 0; k < 200; k++) {
				struct cl_tx tx;
				bool has;
				CHECK(cl_stf_liquidation_next(&v, &tx, &has,
							      &aaddr[i]) ==
				      CL_OK);
				if (!has)
					break;
				int rc = t_apply(e, &tx);
				CHECK_MSG(rc == CL_STF_OK, "%s: %s of %d: %s",
					  where, cl_tx_type_str(tx.type), i,
					  cl_stf_err_str(rc));
				if (rc != CL_STF_OK)
					break;
				acted = true;
				if (tx.type == CL_TX_LIQUIDATE)
					liquidations++;
				else
					adls++;
			}
		}
	}
}

static void block_checked(struct tenv *e, uint64_t ms, const char *where)
{
	sweep(e, where);
	invariants(e, where);
	all_healthy(e, where);
	tenv_block(e, ms);
	invariants(e, where);
}

/* ---- the population ---- */

/*
 * Account 0 is a market maker with deep pockets; accounts 1..NA-1 hold
 * 0.5 BTC each, long or short, at leverages from 2x to 45x, against
 * the maker or each other.
 */
static void population(struct tenv *e, uint64_t price)
{
	static const int lev[] = {2, 5, 10, 20, 30, 45};
	int64_t notional = (int64_t)(price / 100) * T_USD / 2; /* 0.5 BTC */

	deposit(e, &aaddr[0], 100000000 * T_USD);
	for (int i = 1; i < NA; i++)
		deposit(e, &aaddr[i],
			notional / lev[i % 6] + 100 * T_USD);
	for (int i = 1; i < NA; i++) {
		bool is_long = i % 3 != 0;
		int rc = is_long ? trade(e, &aaddr[i], akey[i], &aaddr[0],
					 akey[0], T_BTC, price, BTC_SZ(500)) :
				   trade(e, &aaddr[0], akey[0], &aaddr[i],
					 akey[i], T_BTC, price, BTC_SZ(500));
		CHECK_MSG(rc == CL_STF_OK, "open %d: %s", i,
			  cl_stf_err_str(rc));
	}
}

static struct tenv *scenario_start(void)
{
	static struct tenv env;
	struct tenv *e = &env;

	deposited = withdrawn = 0;
	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	tenv_block(e, 1000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	population(e, BTC_P(60000));
	invariants(e, "population");
	tenv_block(e, 1000);
	return e;
}

/*
 * The oracle reports `to` (a fraction of 60 000) either at once and then
 * every window (`grind` false), or in steps of 2 % per 20 s.
 */
static void crash(int drop_pct, bool grind)
{
	struct tenv *e = scenario_start();
	uint64_t start = BTC_P(60000);
	uint64_t target = start / 100 * (uint64_t)(100 - drop_pct);
	uint64_t price = start;
	uint64_t liq0 = liquidations, adl0 = adls;
	char where[64];
	int blocks = 0;

	snprintf(where, sizeof(where), "crash %d%% %s", drop_pct,
		 grind ? "grind" : "at once");
	while (blocks < 200) {
		if (grind) {
			uint64_t step = start / 50;
			price = price > target + step ? price - step : target;
		} else {
			price = target;
		}
		CHECK(oracle_all(e, T_BTC, price) == CL_STF_OK);
		block_checked(e, grind ? 20000 : 61000, where);
		blocks++;
		if (mkt(e, T_BTC).oracle_price == target)
			break;
	}
	CHECK_MSG(mkt(e, T_BTC).oracle_price == target,
		  "%s: index %llu never reached %llu", where,
		  (unsigned long long)mkt(e, T_BTC).oracle_price,
		  (unsigned long long)target);
	/* the breaker: at once takes one window per 10 % step */
	if (!grind)
		CHECK(blocks >= drop_pct / 10);
	/* a few more blocks for funding and the premium */
	for (int i = 0; i < 3; i++) {
		CHECK(oracle_all(e, T_BTC, target) == CL_STF_OK);
		block_checked(e, 61000, where);
	}
	CHECK_MSG(liquidations > liq0, "%s: no liquidation", where);
	{
		struct cl_stf_view v = tenv_view(e);
		struct cl_stf_globals g;
		CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
		printf("%s: %d blocks, %llu liquidations, %llu adl, fund %lld "
		       "atoms, fund position %lld\n",
		       where, blocks, (unsigned long long)(liquidations - liq0),
		       (unsigned long long)(adls - adl0),
		       (long long)g.insurance_balance,
		       (long long)mkt(e, T_BTC).fund_size);
	}
	/* a gap of 30 % or more empties the fund and ADL takes over; a
	 * grind is liquidated before bankruptcy and the fund covers it */
	if (drop_pct >= 30 && !grind)
		CHECK_MSG(adls > adl0, "%s: the fund never ran dry", where);
	if (grind)
		CHECK_MSG(adls == adl0, "%s: adl in a grind", where);
	tenv_release(e);
}

/* A spike of +30 % for one update, then back: the breaker holds the
 * index to +10 %, and it returns. */
static void flash_spike(void)
{
	struct tenv *e = scenario_start();
	CHECK(oracle_all(e, T_BTC, BTC_P(78000)) == CL_STF_OK);
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(66000));
	block_checked(e, 5000, "spike");
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(60000));
	block_checked(e, 5000, "spike reverted");
	tenv_release(e);
}

/* ---- oracle rules ---- */

static void oracle_rules(void)
{
	struct tenv env, *e = &env;
	uint64_t now;

	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	tenv_block(e, 1000);
	now = tenv_now(e);
	struct cl_seckey *k3[3] = {e->okey[0], e->okey[1], e->okey[2]};
	struct cl_seckey *dup[3] = {e->okey[0], e->okey[0], e->okey[1]};
	uint64_t p3[3] = {BTC_P(60000), BTC_P(60300), BTC_P(59900)};
	uint64_t t3[3] = {now, now - 1, now};

	/* median of each signer's own price: 59 900, 60 000, 60 300 */
	EXPECT_OK(e, t_oracle_update(e, T_BTC, p3, t3, k3, 3));
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(60000));
	CHECK(mkt(e, T_BTC).mark_price == BTC_P(60000));
	CHECK(mkt(e, T_BTC).oracle_timestamp == now);
	tenv_block(e, 2000);
	now = tenv_now(e);
	uint64_t t_now[3] = {now, now, now};
	/* an outlier signer is outvoted: 10x from one, the median holds */
	uint64_t outlier[3] = {BTC_P(60100), BTC_P(600000), BTC_P(60050)};
	EXPECT_OK(e, t_oracle_update(e, T_BTC, outlier, t_now, k3, 3));
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(60100));
	tenv_block(e, 2000);
	now = tenv_now(e);
	uint64_t t2[3] = {now, now, now};
	/* two outliers: no quorum inside the 2 % band */
	uint64_t split[3] = {BTC_P(60000), BTC_P(70000), BTC_P(50000)};
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, split, t2, k3, 3),
		      CL_STF_ERR_ORACLE_OUT_OF_BOUND);
	uint64_t huge[3] = {1ull << 63, 1ull << 63, 1ull << 63};
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, huge, t2, k3, 3),
		      CL_STF_ERR_ORACLE_OUT_OF_BOUND);
	/* duplicate signer, quorum, staleness, monotonic time */
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, p3, t2, dup, 3),
		      CL_STF_ERR_ORACLE_DUPLICATE_SIGNER);
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, p3, t2, k3, 1),
		      CL_STF_ERR_ORACLE_QUORUM);
	uint64_t old[3] = {now - T_MAX_AGE - 1, now, now};
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, p3, old, k3, 3),
		      CL_STF_ERR_ORACLE_STALE);
	uint64_t back[3] = {now, now - 3, now};
	EXPECT_REJECT(e, t_oracle_update(e, T_BTC, p3, back, k3, 3),
		      CL_STF_ERR_ORACLE_NOT_MONOTONIC);
	/* the old single-price type goes through the same rules */
	EXPECT_OK(e, t_oracle(e, T_BTC, BTC_P(60200), now, k3, 2));
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(60200));

	/* circuit breaker: anchor 60 000 (the window opened at the first
	 * update, 5 s ago, 60 s long), bound 10 %: 40 000 -> 54 000 */
	tenv_block(e, 61000);
	now = tenv_now(e);
	EXPECT_OK(e, t_oracle(e, T_BTC, BTC_P(40000), now, k3, 2));
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(54180));
	CHECK(mkt(e, T_BTC).breaker_anchor == BTC_P(60200));
	/* same window: still bounded by the same anchor */
	tenv_block(e, 10000);
	EXPECT_OK(e, t_oracle(e, T_BTC, BTC_P(40000), tenv_now(e), k3, 2));
	CHECK(mkt(e, T_BTC).oracle_price == BTC_P(54180));
	/* the next window steps another 10 % */
	tenv_block(e, 60000);
	EXPECT_OK(e, t_oracle(e, T_BTC, BTC_P(40000), tenv_now(e), k3, 2));
	CHECK(mkt(e, T_BTC).oracle_price == 4876200);
	/* volatility moved with the accepted changes */
	CHECK(mkt(e, T_BTC).vol_var > 0);

	/* quorum lost: no change accepted, margin keeps the last mark */
	uint64_t mark = mkt(e, T_BTC).mark_price;
	for (int i = 0; i < 5; i++) {
		tenv_block(e, 30000);
		EXPECT_REJECT(e, t_oracle(e, T_BTC, BTC_P(30000), tenv_now(e),
					  k3, 1),
			      CL_STF_ERR_ORACLE_QUORUM);
		CHECK(mkt(e, T_BTC).mark_price == mark);
	}
	tenv_release(e);
}

/* ---- funding: accrual, lazy settlement, dust ---- */

static void funding(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_view v;
	struct cl_seckey *k3[3];

	deposited = withdrawn = 0;
	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	for (int i = 0; i < 3; i++)
		k3[i] = e->okey[i];
	tenv_block(e, 1000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	deposit(e, &aaddr[1], 100000 * T_USD);
	deposit(e, &aaddr[2], 100000 * T_USD);
	deposit(e, &aaddr[3], 100000 * T_USD);
	/* 1 long 0.003, 2 and 3 short 0.001 and 0.002 (odd sizes make
	 * rounding dust), trading 0.5 % above the index */
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[2], akey[2], T_BTC,
		    BTC_P(60300), BTC_SZ(1)) == CL_STF_OK);
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[3], akey[3], T_BTC,
		    BTC_P(60300), BTC_SZ(2)) == CL_STF_OK);
	invariants(e, "funding open");
	struct cl_account a1, a2;
	v = tenv_view(e);
	CHECK(cl_stf_get_account(&v, &a1, &aaddr[1]) == CL_OK);
	CHECK(cl_stf_get_account(&v, &a2, &aaddr[2]) == CL_OK);
	/* the premium EMA climbs toward +0.5 %; funding accrues each
	 * minute and longs pay */
	for (int i = 0; i < 10; i++) {
		tenv_block(e, 30000);
		CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
		invariants(e, "funding");
	}
	struct cl_market_state ms = mkt(e, T_BTC);
	CHECK(ms.funding_index > 0 && ms.funding_rate_ppb > 0);
	CHECK(ms.premium_ema_ppb > 0 && ms.premium_ema_ppb <= 5000000);
	CHECK(ms.mark_price > BTC_P(60000) && ms.mark_price <= BTC_P(60300));
	struct cl_stf_market_info mi;
	v = tenv_view(e);
	CHECK(cl_stf_get_market_info(&v, &mi, T_BTC) == CL_OK);
	CHECK(mi.next_funding_time > tenv_now(e) &&
	      mi.next_funding_time <= tenv_now(e) + 60);
	/* lazily settled: nothing moved yet, the health sees it pending */
	struct cl_account b1;
	CHECK(cl_stf_get_account(&v, &b1, &aaddr[1]) == CL_OK);
	CHECK(b1.collateral == a1.collateral);
	struct cl_stf_account_risk r;
	CHECK(cl_stf_get_account_risk(&v, &r, &aaddr[1]) == CL_OK);
	CHECK(r.n == 1 && r.pos[0].pending_funding > 0);
	int64_t owed = r.pos[0].pending_funding;
	/* a withdrawal touches the account: it settles first */
	EXPECT_OK(e, t_withdraw(e, &aaddr[1], &aaddr[1], T_USD, 0, akey[1]));
	withdrawn += T_USD;
	CHECK(cl_stf_get_account(&v, &b1, &aaddr[1]) == CL_OK);
	CHECK(b1.collateral == a1.collateral - owed - T_USD);
	invariants(e, "funding settled");
	/* the receivers settle and the pool empties to dust */
	EXPECT_OK(e, t_withdraw(e, &aaddr[2], &aaddr[2], T_USD, 0, akey[2]));
	EXPECT_OK(e, t_withdraw(e, &aaddr[3], &aaddr[3], T_USD, 0, akey[3]));
	withdrawn += 2 * T_USD;
	CHECK(cl_stf_get_account(&v, &b1, &aaddr[2]) == CL_OK);
	CHECK(b1.collateral > a2.collateral - T_USD);
	ms = mkt(e, T_BTC);
	CHECK(ms.funding_pool >= 0 && ms.funding_pool <= 1);
	invariants(e, "funding all settled");
	(void)k3;
	tenv_release(e);
}

/* ---- liquidation rules and rejects ---- */

static void liquidation_rules(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_view v;

	deposited = withdrawn = 0;
	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	tenv_block(e, 1000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	CHECK(oracle_all(e, T_ETH, 300000) == CL_STF_OK);
	deposit(e, &aaddr[0], 10000000 * T_USD);
	/* account 1: 1 BTC long with $2,000 (30x), and a small ETH long */
	deposit(e, &aaddr[1], 2000 * T_USD + 100 * T_USD);
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[0], akey[0], T_BTC,
		    BTC_P(60000), BTC_SZ(1000)) == CL_STF_OK);
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[0], akey[0], T_ETH,
		    300000, 10) == CL_STF_OK);
	/* healthy: not liquidatable */
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_BTC, BTC_SZ(100)),
		      CL_STF_ERR_NOT_LIQUIDATABLE);
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_SOL, 1),
		      CL_STF_ERR_NO_POSITION);
	/* mark -2.5 %: equity 2,070 - 1,500 < MM 585 (x1.079 for the
	 * volatility of that move) */
	tenv_block(e, 61000);
	CHECK(oracle_all(e, T_BTC, BTC_P(58500)) == CL_STF_OK);
	CHECK(oracle_all(e, T_ETH, 300000) == CL_STF_OK);
	v = tenv_view(e);
	struct cl_stf_account_risk r;
	CHECK(cl_stf_get_account_risk(&v, &r, &aaddr[1]) == CL_OK);
	CHECK(r.liquidatable && r.n == 2);
	CHECK(r.pos[0].liquidation_price > BTC_P(58500) &&
	      r.pos[0].liquidation_price < BTC_P(60000));
	CHECK(r.pos[0].bankruptcy_price < r.pos[0].liquidation_price);
	/* the candidates index finds it */
	struct cl_address cand[8];
	size_t n;
	CHECK(cl_stf_liquidation_candidates(&v, T_BTC, BTC_P(58500), cand, 8,
					    &n) == CL_OK);
	CHECK(n == 1 && cl_address_eq(&cand[0], &aaddr[1]));
	CHECK(cl_stf_liquidation_candidates(&v, T_BTC, BTC_P(61000), cand, 8,
					    &n) == CL_OK);
	CHECK(n == 0);
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_ETH, 10),
		      CL_STF_ERR_NOT_RISKIEST);
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_BTC, BTC_SZ(300)),
		      CL_STF_ERR_SLICE_TOO_LARGE);
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_BTC, BTC_SZ(100) + 1),
		      CL_STF_ERR_OFF_STEP);
	/* a quarter: closed at the mark to the fund, the equity share and
	 * the fee go to the fund */
	struct cl_health h0;
	CHECK(cl_stf_get_health(&v, &h0, &aaddr[1]) == CL_OK);
	EXPECT_OK(e, t_liquidate(&aaddr[1], T_BTC, BTC_SZ(250)));
	struct cl_stf_globals g;
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	CHECK(g.insurance_balance > 0);
	CHECK(mkt(e, T_BTC).fund_size == (int64_t)BTC_SZ(250));
	struct cl_stf_event ev[4];
	CHECK(cl_stf_get_events(&v, ev, 4, &n, &aaddr[1], 0) == CL_OK);
	CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED &&
	      ev[0].size == -(int64_t)BTC_SZ(250) && ev[0].fee > 0 &&
	      ev[0].equity_share > 0 && ev[0].market == T_BTC);
	/* the fund's gain is exactly the account's loss (valuation at the
	 * mark rounds by at most one atom per position) */
	struct cl_health h1;
	CHECK(cl_stf_get_health(&v, &h1, &aaddr[1]) == CL_OK);
	CHECK(h0.equity - h1.equity >= ev[0].equity_share + ev[0].fee - 1 &&
	      h0.equity - h1.equity <= ev[0].equity_share + ev[0].fee + 1);
	invariants(e, "liquidation");
	/* ADL is refused while the fund can take it */
	struct cl_tx adl = {.type = CL_TX_ADL};
	adl.u.adl.account = aaddr[1];
	adl.u.adl.market = T_BTC;
	adl.u.adl.size = BTC_SZ(100);
	adl.u.adl.n = 1;
	adl.u.adl.counterparty[0] = aaddr[0];
	EXPECT_REJECT(e, adl, CL_STF_ERR_ADL_NOT_ALLOWED);
	/* run it to the end */
	sweep(e, "liquidation rules");
	CHECK(cl_stf_get_health(&v, &h1, &aaddr[1]) == CL_OK);
	CHECK(h1.equity >= h1.mm && h1.equity >= 0);
	invariants(e, "liquidation done");
	tenv_release(e);
}

/* The fund cannot take a bankrupt slice: ADL against the ranking. */
static void adl_rules(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_view v;

	deposited = withdrawn = 0;
	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	tenv_block(e, 1000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	/* 1 long 1 BTC at 45x against shorts 2 (0.4, 2x) and 3 (0.6,
	 * 10x); 4 is flat and must never pay */
	deposit(e, &aaddr[1], 1400 * T_USD);
	deposit(e, &aaddr[2], 12000 * T_USD);
	deposit(e, &aaddr[3], 3600 * T_USD);
	deposit(e, &aaddr[4], 5000 * T_USD);
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[2], akey[2], T_BTC,
		    BTC_P(60000), BTC_SZ(400)) == CL_STF_OK);
	CHECK(trade(e, &aaddr[1], akey[1], &aaddr[3], akey[3], T_BTC,
		    BTC_P(60000), BTC_SZ(600)) == CL_STF_OK);
	/* -10 % in one window: account 1 is far below zero */
	tenv_block(e, 61000);
	CHECK(oracle_all(e, T_BTC, BTC_P(54000)) == CL_STF_OK);
	v = tenv_view(e);
	struct cl_health h;
	CHECK(cl_stf_get_health(&v, &h, &aaddr[1]) == CL_OK);
	CHECK(h.equity < 0);
	EXPECT_REJECT(e, t_liquidate(&aaddr[1], T_BTC, BTC_SZ(250)),
		      CL_STF_ERR_INSURANCE_INSUFFICIENT);
	/* the ranking uses each position's score as of its last touch:
	 * touch both at the new mark */
	EXPECT_OK(e, t_withdraw(e, &aaddr[2], &aaddr[2], T_USD, 0, akey[2]));
	EXPECT_OK(e, t_withdraw(e, &aaddr[3], &aaddr[3], T_USD, 0, akey[3]));
	withdrawn += 2 * T_USD;
	/* the ranking: 3 (10x) before 2 (2x), both in profit */
	struct cl_stf_account_risk r2, r3;
	CHECK(cl_stf_get_account_risk(&v, &r2, &aaddr[2]) == CL_OK);
	CHECK(cl_stf_get_account_risk(&v, &r3, &aaddr[3]) == CL_OK);
	CHECK(r3.pos[0].adl_score > r2.pos[0].adl_score);
	struct cl_tx adl = {.type = CL_TX_ADL};
	adl.u.adl.account = aaddr[1];
	adl.u.adl.market = T_BTC;
	adl.u.adl.size = BTC_SZ(250);
	adl.u.adl.n = 1;
	adl.u.adl.counterparty[0] = aaddr[2];
	EXPECT_REJECT(e, adl, CL_STF_ERR_ADL_BAD_COUNTERPARTIES);
	adl.u.adl.counterparty[0] = aaddr[4];
	EXPECT_REJECT(e, adl, CL_STF_ERR_ADL_BAD_COUNTERPARTIES);
	struct cl_account flat0, flat1;
	CHECK(cl_stf_get_account(&v, &flat0, &aaddr[4]) == CL_OK);
	adl.u.adl.counterparty[0] = aaddr[3];
	EXPECT_OK(e, adl);
	adls++;
	size_t n;
	struct cl_stf_event ev[4];
	CHECK(cl_stf_get_events(&v, ev, 4, &n, &aaddr[3], 0) == CL_OK);
	CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_ADL_COUNTERPARTY &&
	      ev[0].size == (int64_t)BTC_SZ(250) &&
	      cl_address_eq(&ev[0].other, &aaddr[1]));
	invariants(e, "adl");
	sweep(e, "adl rules");
	CHECK(cl_stf_get_health(&v, &h, &aaddr[1]) == CL_OK);
	CHECK(h.equity >= 0);
	CHECK(cl_stf_get_account(&v, &flat1, &aaddr[4]) == CL_OK);
	CHECK(flat1.collateral == flat0.collateral);
	invariants(e, "adl done");
	tenv_release(e);
}

/* ---- manipulation through a thin book ---- */

static void manipulation(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_view v;

	deposited = withdrawn = 0;
	tenv_init_with(e, cl_state_new_memory(), risk_genesis);
	tenv_block(e, 1000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	/* victims: shorts of 1 BTC opened at the initial margin (2 %) */
	deposit(e, &aaddr[0], 10000000 * T_USD);
	for (int i = 1; i <= 8; i++) {
		deposit(e, &aaddr[i], 1250 * T_USD);
		CHECK(trade(e, &aaddr[0], akey[0], &aaddr[i], akey[i], T_BTC,
			    BTC_P(60000), BTC_SZ(1000)) == CL_STF_OK);
	}
	/* attacker 10 and accomplice 11, $20,000 each */
	deposit(e, &aaddr[10], 20000 * T_USD);
	deposit(e, &aaddr[11], 20000 * T_USD);
	/* a print 50 % above the index needs the buyer to eat the loss at
	 * the mark at once: refused */
	CHECK(trade(e, &aaddr[11], akey[11], &aaddr[10], akey[10], T_BTC,
		    BTC_P(90000), BTC_SZ(1000)) ==
	      CL_STF_ERR_INSUFFICIENT_MARGIN);
	/* small prints 20 % above, every block for an hour */
	for (int i = 0; i < 120; i++) {
		tenv_block(e, 30000);
		CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
		int rc = trade(e, &aaddr[11], akey[11], &aaddr[10],
			       akey[10], T_BTC, BTC_P(72000), BTC_SZ(1));
		(void)rc;
		invariants(e, "manipulation");
	}
	tenv_block(e, 30000);
	CHECK(oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	struct cl_market_state ms = mkt(e, T_BTC);
	CHECK(ms.last_trade_price == BTC_P(72000));
	/* the mark is at most 0.5 % above the index */
	CHECK(ms.mark_price <= BTC_P(60300) && ms.mark_price > BTC_P(60000));
	/* no victim can be liquidated */
	v = tenv_view(e);
	for (int i = 1; i <= 8; i++) {
		struct cl_health h;
		CHECK(cl_stf_get_health(&v, &h, &aaddr[i]) == CL_OK);
		CHECK_MSG(h.equity >= h.mm, "victim %d liquidatable", i);
		struct cl_tx tx;
		bool has;
		CHECK(cl_stf_liquidation_next(&v, &tx, &has, &aaddr[i]) ==
		      CL_OK);
		CHECK(!has);
	}
	/* the pair cannot take out more than it put in: the attacker's
	 * gains are the accomplice's losses, and profit at the mark is
	 * not withdrawable */
	struct cl_health ha, hb;
	CHECK(cl_stf_get_health(&v, &ha, &aaddr[10]) == CL_OK);
	CHECK(cl_stf_get_health(&v, &hb, &aaddr[11]) == CL_OK);
	CHECK(margin_withdrawable(&ha) + margin_withdrawable(&hb) <=
	      40000 * T_USD);
	CHECK(margin_withdrawable(&ha) <= ha.collateral);
	EXPECT_REJECT(e, t_withdraw(e, &aaddr[10], &aaddr[10],
				    (uint64_t)margin_withdrawable(&ha) + 1, 0,
				    akey[10]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	invariants(e, "manipulation end");
	tenv_release(e);
}

int main(void)
{
	if (cl_crypto_init() != CL_OK)
		return 2;
	keys_init();
	oracle_rules();
	funding();
	liquidation_rules();
	adl_rules();
	manipulation();
	flash_spike();
	crash(10, false);
	crash(30, false);
	crash(50, false);
	crash(10, true);
	crash(30, true);
	crash(50, true);
	for (int c = CL_STF_ERR_ORACLE_OUT_OF_BOUND;
	     c <= CL_STF_ERR_NO_POSITION; c++)
		CHECK_MSG(t_seen_code[c], "reject code %d (%s) not tested", c,
			  cl_stf_err_str(c));
	for (int i = 0; i < NA; i++)
		cl_seckey_free(akey[i]);
	return test_done("test_risk");
}
