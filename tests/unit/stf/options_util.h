/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the option-market tests (test_options_stf.c and the
 * VM's test_options_guest.c): a genesis with three BTC options beside
 * the perpetuals of stf_util.h, two SVI slices, and an ORACLE_SURFACE
 * builder that signs with the oracle keys.
 */
#ifndef CLEARLINE_TEST_OPTIONS_UTIL_H
#define CLEARLINE_TEST_OPTIONS_UTIL_H

#include "stf_util.h"

#include <clearline/options.h>

#define T_CALL 10 /* BTC call, strike $60,000 */
#define T_PUT 11  /* BTC put, strike $50,000, same expiry */
#define T_CALL2 12 /* BTC call, strike $60,000, a week later */
#define T_EXPIRY (T_START_MS / 1000 + 86400)
#define T_EXPIRY2 (T_START_MS / 1000 + 7 * 86400)
#define BTC_P(d) ((uint64_t)(d) * 100)     /* $ -> price units */
#define BTC_SZ(b) ((uint64_t)(b) * 100000) /* BTC -> size units */
#define WAD 1000000000000000000LL

static inline void opt_market(struct cl_market_params *m, uint32_t id,
		       const char *sym, uint8_t kind, uint64_t strike,
		       uint64_t expiry)
{
	t_market(m, id, sym, 2, 5, 100, 100, BTC_SZ(10), BTC_SZ(100), 200,
		 500);
	m->n_tiers = 1;
	m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 150000, 100000};
	m->kind = kind;
	m->underlying = T_BTC;
	m->strike = strike;
	m->expiry = expiry;
}

static inline void add_options(struct cl_genesis *g)
{
	opt_market(&g->markets[3], T_CALL, "BTC-C60K", CL_MARKET_CALL,
		   BTC_P(60000), T_EXPIRY);
	opt_market(&g->markets[4], T_PUT, "BTC-P50K", CL_MARKET_PUT,
		   BTC_P(50000), T_EXPIRY);
	opt_market(&g->markets[5], T_CALL2, "BTC-C60K-W", CL_MARKET_CALL,
		   BTC_P(60000), T_EXPIRY2);
	g->n_markets = 6;
	g->markets[0].risk.oracle_band_ppm = 20000; /* 2 % agreement */
}

/* A surface of n signers (okey[0..n)) for `expiry`; signer i posts
 * `p[i]` at time ts. */
static inline struct cl_tx surface(struct tenv *e, uint64_t expiry,
			    const struct cl_svi *p, uint32_t n, uint64_t ts)
{
	struct cl_tx tx = {.type = CL_TX_ORACLE_SURFACE};
	struct cl_tx_oracle_surface *o = &tx.u.oracle_surface;

	o->market = T_BTC;
	o->expiry = expiry;
	o->n = n;
	for (uint32_t i = 0; i < n; i++) {
		o->e[i] = (struct cl_surface_entry){p[i].a, p[i].b, p[i].rho,
						    p[i].m, p[i].s, ts,
						    {{0}}};
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cl_hash32 d;
		cl_surface_entry_digest(&d, cl_stf_domain(e->stf), o, i);
		t_sign(&o->e[i].sig, e->okey[i], &d);
	}
	return tx;
}

/* An OPTION_LIST (docs/options.md "Listing") signed by key k. */
static inline struct cl_tx t_list_tx(struct tenv *e, struct cl_seckey *k,
				     uint32_t tmpl, uint8_t kind,
				     uint64_t strike, uint64_t expiry,
				     const char *sym, uint64_t nonce)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_OPTION_LIST;
	tx.u.option_list.msg.template_market = tmpl;
	tx.u.option_list.msg.kind = kind;
	tx.u.option_list.msg.strike = strike;
	tx.u.option_list.msg.expiry = expiry;
	CHECK(strlen(sym) <= CL_OPTION_LIST_SYMBOL_MAX);
	memcpy(tx.u.option_list.msg.symbol, sym, strlen(sym));
	tx.u.option_list.msg.nonce = nonce;
	cl_option_list_digest(&d, cl_stf_domain(e->stf), &tx.u.option_list.msg);
	t_sign(&tx.u.option_list.sig, k, &d);
	return tx;
}

/* About 54 % volatility for a day at the money: w(0) = 0.0008. */
static const struct cl_svi day = {6 * WAD / 10000, 2 * WAD / 1000,
				  -3 * WAD / 10, 0, WAD / 10};
/* The week: w(0) = 0.006 (a higher total variance at every k). */
static const struct cl_svi week = {4 * WAD / 1000, 2 * WAD / 100,
				   -3 * WAD / 10, 0, WAD / 10};

/* A request recovered and handed to the stf. */
static inline int opt_req(struct tenv *e, struct cl_stf_result *r,
			  struct cl_tx tx)
{
	cl_tx_recover(&tx, cl_stf_domain(e->stf));
	return cl_stf_request(e->stf, r, &tx);
}

/* The settlement collateral of `a`. */
static inline int64_t opt_coll(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;

	CHECK(cl_stf_get_account(&v, &acc, a) == CL_OK);
	return acc.collateral;
}

/* The size of `a`'s position in `market` (0: none). */
static inline int64_t opt_pos_size(struct tenv *e, const struct cl_address *a,
				   uint32_t market)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;

	CHECK(cl_stf_get_positions(&v, pos, &n, a) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (pos[i].market == market)
			return pos[i].size;
	return 0;
}

/* BTC's index at `p` from all three oracle signers. */
static inline int opt_price(struct tenv *e, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];
	struct cl_stf_result r;

	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	return opt_req(e, &r, t_oracle_update(e, T_BTC, ps, ts, e->okey, 3));
}

/*
 * Conservation of the settlement asset: the collateral of every account
 * less the cost carried by positions, the fees, the insurance fund and
 * each market's pool less the fund's cost equal what came in.
 */
static inline void conserved(struct tenv *e, const char *where, __int128 net_in)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	__int128 sum = 0;
	struct cl_stf_globals g;
	int64_t net[CL_GENESIS_MAX_MARKETS] = {0};

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_ACCOUNTS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK)
		if (klen == 20)
			sum += (int64_t)cl_get_be64(val);
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_POSITIONS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		int mi = -1;
		for (uint32_t i = 0; i < e->g.n_markets; i++)
			if (e->g.markets[i].id == cl_get_be32(key + 20))
				mi = (int)i;
		CHECK(mi >= 0);
		sum -= (int64_t)cl_get_be64(val + 8);
		if (mi >= 0)
			net[mi] += (int64_t)cl_get_be64(val);
	}
	cl_state_iter_free(it);
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	sum += g.fee_balance + g.insurance_balance;
	for (uint32_t i = 0; i < e->g.n_markets; i++) {
		struct cl_market_state ms = t_mkt(e, e->g.markets[i].id);
		sum += ms.funding_pool - ms.fund_cost;
		CHECK_MSG(net[i] + ms.fund_size == 0, "%s: market %u nets",
			  where, e->g.markets[i].id);
	}
	CHECK_MSG(sum == net_in, "%s: conservation broken by %lld atoms "
		  "(t %llu insurance %lld fees %lld)",
		  where, (long long)(sum - net_in),
		  (unsigned long long)tenv_now(e),
		  (long long)g.insurance_balance, (long long)g.fee_balance);
}

#endif
