/* SPDX-License-Identifier: MIT */
/* The genesis file: strict JSON into struct cl_genesis. */
#include <clearline/json.h>
#include <clearline/node.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct ctx {
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct ctx *c, const char *fmt, ...) CL_PRINTF(2, 3);
static void fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->failed)
		return; /* keep the first error */
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* Only the listed keys may appear. */
static void only_keys(struct ctx *c, const json_t *o, const char *where,
		      const char *const *keys)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		bool known = false;
		for (size_t i = 0; keys[i]; i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known)
			fail(c, "%s: unknown key \"%s\"", where, k);
	}
}

static const json_t *need(struct ctx *c, const json_t *o, const char *where,
			  const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		fail(c, "%s: missing \"%s\"", where, key);
	return v;
}

static uint64_t get_uint(struct ctx *c, const json_t *o, const char *where,
			 const char *key, uint64_t max)
{
	const json_t *v = need(c, o, where, key);
	uint64_t u;
	if (v && !cl_json_uint(&u, v, max)) {
		fail(c, "%s.%s: expected an integer in [0, %llu]", where, key,
		     (unsigned long long)max);
		return 0;
	}
	return v ? u : 0;
}

/* 64-bit quantities are decimal strings. */
static uint64_t get_u64(struct ctx *c, const json_t *o, const char *where,
			const char *key)
{
	const json_t *v = need(c, o, where, key);
	uint64_t u;
	if (v && !cl_json_u64(&u, v)) {
		fail(c, "%s.%s: expected a decimal string", where, key);
		return 0;
	}
	return v ? u : 0;
}

static void get_address(struct ctx *c, struct cl_address *out,
			const json_t *v, const char *where)
{
	if (!json_is_string(v) ||
	    !cl_address_parse(out, json_string_value(v),
			      json_string_length(v)))
		fail(c, "%s: expected an address (0x + 40 hex digits, EIP-55 "
		     "checksum if mixed case)", where);
}

/* A market's risk-engine parameters (docs/genesis.md "risk"). */
static void parse_risk(struct ctx *c, struct cl_market_risk_params *r,
		       const json_t *j, const char *market)
{
	static const char *const keys[] = {
		"oracleBandPpm", "maxJumpPpm", "maxJumpWindowSeconds",
		"markBandPpm", "premiumEmaSeconds", "fundingInterestPpm",
		"fundingInterestClampPpm", "fundingCapPpm",
		"oiImfThresholdPpm", "oiImfFactorPpm", "volImfFactor",
		"volAlphaPpm", "imfMaxScalePpm", "liquidationSlicePpm",
		"liquidationFeePpm", NULL};
	char w[48];

	snprintf(w, sizeof(w), "%s.risk", market);
	if (!json_is_object(j)) {
		fail(c, "%s: expected an object", w);
		return;
	}
	only_keys(c, j, w, keys);
	r->oracle_band_ppm = (uint32_t)get_uint(c, j, w, "oracleBandPpm",
						CL_PPM);
	r->max_jump_ppm = (uint32_t)get_uint(c, j, w, "maxJumpPpm", CL_PPM);
	r->max_jump_window = get_uint(c, j, w, "maxJumpWindowSeconds",
				      UINT32_MAX);
	r->mark_band_ppm = (uint32_t)get_uint(c, j, w, "markBandPpm", CL_PPM);
	r->premium_ema_seconds = get_uint(c, j, w, "premiumEmaSeconds",
					  UINT32_MAX);
	r->funding_interest_ppm = (uint32_t)get_uint(
		c, j, w, "fundingInterestPpm", CL_PPM);
	r->funding_interest_clamp_ppm = (uint32_t)get_uint(
		c, j, w, "fundingInterestClampPpm", CL_PPM);
	r->funding_cap_ppm = (uint32_t)get_uint(c, j, w, "fundingCapPpm",
						CL_PPM);
	r->oi_imf_threshold_ppm = (uint32_t)get_uint(
		c, j, w, "oiImfThresholdPpm", CL_PPM);
	r->oi_imf_factor_ppm = (uint32_t)get_uint(c, j, w, "oiImfFactorPpm",
						  10 * CL_PPM);
	r->vol_imf_factor = (uint32_t)get_uint(c, j, w, "volImfFactor", 1000);
	r->vol_alpha_ppm = (uint32_t)get_uint(c, j, w, "volAlphaPpm", CL_PPM);
	r->imf_max_scale_ppm = (uint32_t)get_uint(c, j, w, "imfMaxScalePpm",
						  10 * CL_PPM);
	r->liq_slice_ppm = (uint32_t)get_uint(c, j, w, "liquidationSlicePpm",
					      CL_PPM);
	r->liq_fee_ppm = (uint32_t)get_uint(c, j, w, "liquidationFeePpm",
					    CL_PPM);
}

/* An option market's terms (docs/genesis.md "option"). */
static void parse_option(struct ctx *c, struct cl_market_params *m,
			 const json_t *j, const char *market)
{
	static const char *const keys[] = {"kind", "underlying", "strike",
					   "expiry", NULL};
	const json_t *kind;
	char w[48];

	snprintf(w, sizeof(w), "%s.option", market);
	if (!json_is_object(j)) {
		fail(c, "%s: expected an object", w);
		return;
	}
	only_keys(c, j, w, keys);
	kind = need(c, j, w, "kind");
	if (kind && json_is_string(kind) &&
	    strcmp(json_string_value(kind), "call") == 0)
		m->kind = CL_MARKET_CALL;
	else if (kind && json_is_string(kind) &&
		 strcmp(json_string_value(kind), "put") == 0)
		m->kind = CL_MARKET_PUT;
	else if (kind)
		fail(c, "%s.kind: expected \"call\" or \"put\"", w);
	m->underlying = (uint32_t)get_uint(c, j, w, "underlying", UINT32_MAX);
	m->strike = get_u64(c, j, w, "strike");
	m->expiry = get_u64(c, j, w, "expiry");
}

static void parse_market(struct ctx *c, struct cl_market_params *m,
			 const json_t *j, size_t idx)
{
	static const char *const keys[] = {
		"id", "symbol", "priceDecimals", "sizeDecimals", "tickSize",
		"stepSize", "maxOrderSize", "openInterestCap", "makerFeePpm",
		"takerFeePpm", "riskTiers", "risk", "option", NULL};
	char where[32];
	snprintf(where, sizeof(where), "markets[%zu]", idx);
	if (!json_is_object(j)) {
		fail(c, "%s: expected an object", where);
		return;
	}
	only_keys(c, j, where, keys);
	m->id = (uint32_t)get_uint(c, j, where, "id", UINT32_MAX);
	const json_t *sym = need(c, j, where, "symbol");
	if (sym && (!json_is_string(sym) ||
		    json_string_length(sym) > CL_SYMBOL_MAX))
		fail(c, "%s.symbol: expected a string of at most %d "
		     "characters", where, CL_SYMBOL_MAX);
	else if (sym)
		memcpy(m->symbol, json_string_value(sym),
		       json_string_length(sym) + 1);
	m->price_decimals = (uint8_t)get_uint(c, j, where, "priceDecimals",
					      CL_DECIMALS_MAX);
	m->size_decimals = (uint8_t)get_uint(c, j, where, "sizeDecimals",
					     CL_DECIMALS_MAX);
	m->tick_size = get_u64(c, j, where, "tickSize");
	m->step_size = get_u64(c, j, where, "stepSize");
	m->max_order_size = get_u64(c, j, where, "maxOrderSize");
	m->oi_cap = get_u64(c, j, where, "openInterestCap");
	m->maker_fee_ppm =
		(uint32_t)get_uint(c, j, where, "makerFeePpm", CL_PPM);
	m->taker_fee_ppm =
		(uint32_t)get_uint(c, j, where, "takerFeePpm", CL_PPM);
	const json_t *risk = need(c, j, where, "risk");
	if (risk)
		parse_risk(c, &m->risk, risk, where);
	const json_t *opt = json_object_get(j, "option");
	if (opt)
		parse_option(c, m, opt, where);
	const json_t *tiers = need(c, j, where, "riskTiers");
	if (!tiers)
		return;
	if (!json_is_array(tiers) || json_array_size(tiers) == 0 ||
	    json_array_size(tiers) > CL_GENESIS_MAX_TIERS) {
		fail(c, "%s.riskTiers: expected 1..%d tiers", where,
		     CL_GENESIS_MAX_TIERS);
		return;
	}
	m->n_tiers = (uint32_t)json_array_size(tiers);
	for (size_t t = 0; t < m->n_tiers; t++) {
		static const char *const tkeys[] = {"notionalCap", "imfPpm",
						    "mmfPpm", NULL};
		const json_t *tj = json_array_get(tiers, t);
		char tw[80];
		snprintf(tw, sizeof(tw), "%s.riskTiers[%zu]", where, t);
		if (!json_is_object(tj)) {
			fail(c, "%s: expected an object", tw);
			return;
		}
		only_keys(c, tj, tw, tkeys);
		const json_t *cap = need(c, tj, tw, "notionalCap");
		uint64_t capv = 0;
		if (json_is_string(cap) &&
		    strcmp(json_string_value(cap), "max") == 0)
			capv = INT64_MAX;
		else if (cap && (!cl_json_u64(&capv, cap) || capv > INT64_MAX))
			fail(c, "%s.notionalCap: expected a decimal string in "
			     "collateral atoms, or \"max\"", tw);
		m->tiers[t].notional_cap = (int64_t)capv;
		m->tiers[t].imf_ppm =
			(uint32_t)get_uint(c, tj, tw, "imfPpm", CL_PPM);
		m->tiers[t].mmf_ppm =
			(uint32_t)get_uint(c, tj, tw, "mmfPpm", CL_PPM);
	}
}

/* A collateral asset (docs/genesis.md "assets"). */
static void parse_asset(struct ctx *c, struct cl_asset_params *a,
			const json_t *j, size_t idx)
{
	static const char *const keys[] = {
		"id", "symbol", "token", "decimals", "oracleMarket",
		"hedgeMarket", "haircutTiers", "volHaircutFactor",
		"thinBookPpm", "depthThreshold", "depthBandPpm",
		"maxHaircutPpm", "liquidationDiscountPpm", NULL};
	char where[32];

	snprintf(where, sizeof(where), "assets[%zu]", idx);
	if (!json_is_object(j)) {
		fail(c, "%s: expected an object", where);
		return;
	}
	only_keys(c, j, where, keys);
	a->id = (uint32_t)get_uint(c, j, where, "id", UINT32_MAX);
	const json_t *sym = need(c, j, where, "symbol");
	if (sym && (!json_is_string(sym) ||
		    json_string_length(sym) > CL_SYMBOL_MAX))
		fail(c, "%s.symbol: expected a string of at most %d "
		     "characters", where, CL_SYMBOL_MAX);
	else if (sym)
		memcpy(a->symbol, json_string_value(sym),
		       json_string_length(sym) + 1);
	const json_t *tok = need(c, j, where, "token");
	if (tok) {
		char w[48];
		snprintf(w, sizeof(w), "%s.token", where);
		get_address(c, &a->token, tok, w);
	}
	a->decimals = (uint8_t)get_uint(c, j, where, "decimals",
					CL_DECIMALS_MAX);
	a->oracle_market = (uint32_t)get_uint(c, j, where, "oracleMarket",
					      UINT32_MAX);
	a->hedge_market = (uint32_t)get_uint(c, j, where, "hedgeMarket",
					     UINT32_MAX);
	a->vol_factor = (uint32_t)get_uint(c, j, where, "volHaircutFactor",
					   1000);
	a->thin_ppm = (uint32_t)get_uint(c, j, where, "thinBookPpm", CL_PPM);
	a->depth_threshold = get_u64(c, j, where, "depthThreshold");
	a->depth_band_ppm = (uint32_t)get_uint(c, j, where, "depthBandPpm",
					       CL_PPM);
	a->max_haircut_ppm = (uint32_t)get_uint(c, j, where, "maxHaircutPpm",
						CL_PPM);
	a->liq_discount_ppm = (uint32_t)get_uint(
		c, j, where, "liquidationDiscountPpm", CL_PPM);
	const json_t *tiers = need(c, j, where, "haircutTiers");
	if (!tiers)
		return;
	if (!json_is_array(tiers) || json_array_size(tiers) == 0 ||
	    json_array_size(tiers) > CL_ASSET_MAX_TIERS) {
		fail(c, "%s.haircutTiers: expected 1..%d tiers", where,
		     CL_ASSET_MAX_TIERS);
		return;
	}
	a->n_tiers = (uint32_t)json_array_size(tiers);
	for (size_t t = 0; t < a->n_tiers; t++) {
		static const char *const tkeys[] = {"amountCap", "haircutPpm",
						    NULL};
		const json_t *tj = json_array_get(tiers, t);
		char tw[80];
		snprintf(tw, sizeof(tw), "%s.haircutTiers[%zu]", where, t);
		if (!json_is_object(tj)) {
			fail(c, "%s: expected an object", tw);
			return;
		}
		only_keys(c, tj, tw, tkeys);
		const json_t *cap = need(c, tj, tw, "amountCap");
		uint64_t capv = 0;
		if (json_is_string(cap) &&
		    strcmp(json_string_value(cap), "max") == 0)
			capv = INT64_MAX;
		else if (cap && (!cl_json_u64(&capv, cap) || capv > INT64_MAX))
			fail(c, "%s.amountCap: expected a decimal string in "
			     "asset atoms, or \"max\"", tw);
		a->tiers[t].amount_cap = (int64_t)capv;
		a->tiers[t].haircut_ppm =
			(uint32_t)get_uint(c, tj, tw, "haircutPpm", CL_PPM);
	}
}

/* Portfolio margin (docs/genesis.md "portfolio"). */
static void parse_portfolio(struct ctx *c, struct cl_portfolio_params *p,
			    const json_t *j)
{
	static const char *const keys[] = {
		"rangePpm", "steps", "volShiftPpm", "extremeMult",
		"extremePpm", "imPpm", "minEquity", "shortMinPpm", "pairs",
		NULL};
	static const char *const pkeys[] = {"a", "b", "creditPpm", NULL};
	const char *where = "portfolio";

	if (!json_is_object(j)) {
		fail(c, "genesis.portfolio: expected an object");
		return;
	}
	only_keys(c, j, where, keys);
	p->enabled = true;
	p->range_ppm = (uint32_t)get_uint(c, j, where, "rangePpm", CL_PPM);
	p->n_steps = (uint32_t)get_uint(c, j, where, "steps", 10);
	p->vol_shift_ppm =
		(uint32_t)get_uint(c, j, where, "volShiftPpm", CL_PPM);
	p->extreme_mult =
		(uint32_t)get_uint(c, j, where, "extremeMult", 1000);
	p->extreme_ppm = (uint32_t)get_uint(c, j, where, "extremePpm", CL_PPM);
	p->im_ppm = (uint32_t)get_uint(c, j, where, "imPpm", 10 * CL_PPM);
	p->min_equity = get_u64(c, j, where, "minEquity");
	p->short_min_ppm =
		(uint32_t)get_uint(c, j, where, "shortMinPpm", CL_PPM);
	const json_t *pairs = json_object_get(j, "pairs");
	if (!pairs)
		return;
	if (!json_is_array(pairs) || json_array_size(pairs) > CL_PM_MAX_PAIRS) {
		fail(c, "portfolio.pairs: expected 0..%d pairs",
		     CL_PM_MAX_PAIRS);
		return;
	}
	p->n_pairs = (uint32_t)json_array_size(pairs);
	for (size_t i = 0; i < p->n_pairs; i++) {
		const json_t *pj = json_array_get(pairs, i);
		char pw[40];
		snprintf(pw, sizeof(pw), "portfolio.pairs[%zu]", i);
		if (!json_is_object(pj)) {
			fail(c, "%s: expected an object", pw);
			return;
		}
		only_keys(c, pj, pw, pkeys);
		p->pairs[i].a = (uint32_t)get_uint(c, pj, pw, "a", UINT32_MAX);
		p->pairs[i].b = (uint32_t)get_uint(c, pj, pw, "b", UINT32_MAX);
		p->pairs[i].credit_ppm =
			(uint32_t)get_uint(c, pj, pw, "creditPpm", CL_PPM);
	}
}

/* Listed options (docs/genesis.md "listing"). */
static void parse_listing(struct ctx *c, struct cl_listing_params *l,
			  const json_t *j)
{
	static const char *const keys[] = {"lister", "maxListed", NULL};

	if (!json_is_object(j)) {
		fail(c, "genesis.listing: expected an object");
		return;
	}
	only_keys(c, j, "listing", keys);
	l->enabled = true;
	const json_t *a = need(c, j, "listing", "lister");
	if (a)
		get_address(c, &l->lister, a, "listing.lister");
	l->max_listed = (uint32_t)get_uint(c, j, "listing", "maxListed",
					   CL_GENESIS_MAX_MARKETS - 1);
}

static void parse(struct ctx *c, struct cl_genesis *g, const json_t *j)
{
	static const char *const keys[] = {
		"version", "l1ChainId", "rollup", "collateralDecimals",
		"expiryHorizonSeconds", "fundingIntervalSeconds", "oracle",
		"markets", "assets", "portfolio", "listing", NULL};
	static const char *const okeys[] = {"signers", "quorum",
					    "maxAgeSeconds", NULL};

	if (!json_is_object(j)) {
		fail(c, "genesis: expected an object");
		return;
	}
	only_keys(c, j, "genesis", keys);
	if (get_uint(c, j, "genesis", "version", 255) != 1)
		fail(c, "genesis.version: only version 1 is known");
	g->l1_chain_id = get_uint(c, j, "genesis", "l1ChainId", UINT64_MAX);
	const json_t *r = need(c, j, "genesis", "rollup");
	if (r)
		get_address(c, &g->rollup, r, "genesis.rollup");
	g->collateral_decimals = (uint8_t)get_uint(
		c, j, "genesis", "collateralDecimals", CL_DECIMALS_MAX);
	g->expiry_horizon = get_uint(c, j, "genesis", "expiryHorizonSeconds",
				     UINT32_MAX);
	g->funding_interval = get_uint(c, j, "genesis",
				       "fundingIntervalSeconds", UINT32_MAX);

	const json_t *o = need(c, j, "genesis", "oracle");
	if (o && !json_is_object(o))
		fail(c, "genesis.oracle: expected an object");
	if (o && json_is_object(o)) {
		only_keys(c, o, "genesis.oracle", okeys);
		const json_t *s = need(c, o, "genesis.oracle", "signers");
		if (s && (!json_is_array(s) || json_array_size(s) == 0 ||
			  json_array_size(s) > CL_GENESIS_MAX_SIGNERS))
			fail(c, "genesis.oracle.signers: expected 1..%d "
			     "addresses", CL_GENESIS_MAX_SIGNERS);
		else if (s) {
			g->n_oracle_signers = (uint32_t)json_array_size(s);
			for (size_t i = 0; i < g->n_oracle_signers; i++) {
				char w[80];
				snprintf(w, sizeof(w),
					 "genesis.oracle.signers[%zu]", i);
				get_address(c, &g->oracle_signers[i],
					    json_array_get(s, i), w);
			}
		}
		g->oracle_quorum = (uint32_t)get_uint(
			c, o, "genesis.oracle", "quorum", CL_GENESIS_MAX_SIGNERS);
		g->oracle_max_age = get_uint(c, o, "genesis.oracle",
					     "maxAgeSeconds", UINT32_MAX);
	}

	const json_t *ms = need(c, j, "genesis", "markets");
	if (ms && (!json_is_array(ms) || json_array_size(ms) == 0 ||
		   json_array_size(ms) > CL_GENESIS_MAX_MARKETS)) {
		fail(c, "genesis.markets: expected 1..%d markets",
		     CL_GENESIS_MAX_MARKETS);
		return;
	}
	if (!ms)
		return;
	g->n_markets = (uint32_t)json_array_size(ms);
	for (size_t i = 0; i < g->n_markets; i++)
		parse_market(c, &g->markets[i], json_array_get(ms, i), i);

	/* optional: portfolio margin (docs/genesis.md "portfolio") */
	const json_t *pf = json_object_get(j, "portfolio");
	if (pf)
		parse_portfolio(c, &g->portfolio, pf);
	/* optional: listed options (docs/genesis.md "listing") */
	const json_t *ls = json_object_get(j, "listing");
	if (ls)
		parse_listing(c, &g->listing, ls);

	/* optional: the collateral assets beside the settlement token */
	const json_t *as = json_object_get(j, "assets");
	if (!as)
		return;
	if (!json_is_array(as) || json_array_size(as) > CL_GENESIS_MAX_ASSETS) {
		fail(c, "genesis.assets: expected 0..%d assets",
		     CL_GENESIS_MAX_ASSETS);
		return;
	}
	g->n_assets = (uint32_t)json_array_size(as);
	for (size_t i = 0; i < g->n_assets; i++)
		parse_asset(c, &g->assets[i], json_array_get(as, i), i);
}

int cl_genesis_parse(struct cl_genesis *out, const char *text, size_t len,
		     char *err, size_t errlen)
{
	struct ctx c = {err, errlen, false};
	char jerr[160];

	memset(out, 0, sizeof(*out));
	json_t *j = cl_json_load(text, len, jerr, sizeof(jerr));
	if (!j) {
		fail(&c, "genesis: not valid JSON: %s", jerr);
		return CL_ERR_CONFIG;
	}
	parse(&c, out, j);
	json_decref(j);
	const char *why = NULL;
	if (!c.failed && !cl_genesis_validate(out, &why))
		fail(&c, "genesis: %s", why ? why : "invalid");
	if (c.failed) {
		memset(out, 0, sizeof(*out));
		return CL_ERR_CONFIG;
	}
	return CL_OK;
}

int cl_genesis_load(struct cl_genesis *out, const char *path, char *err,
		    size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct cl_buf b;
	char chunk[4096];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errlen, "cannot open genesis file %s", path);
		return CL_ERR_CONFIG;
	}
	cl_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		cl_buf_append(&b, chunk, n);
		if (b.len > (4u << 20)) {
			fclose(f);
			cl_buf_release(&b);
			snprintf(err, errlen, "genesis file %s is larger than "
				 "4 MiB", path);
			return CL_ERR_CONFIG;
		}
	}
	fclose(f);
	char sub[400];
	int rc = cl_genesis_parse(out, (const char *)b.p, b.len, sub,
				  sizeof(sub));
	cl_buf_release(&b);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, sub);
	return rc;
}
