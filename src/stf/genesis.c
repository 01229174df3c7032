/* SPDX-License-Identifier: MIT */
/* Genesis parameters: validation, canonical encoding and hash. */
#include <clearline/options.h>
#include <clearline/stf.h>

#include <string.h>

#define GENESIS_ENCODING_VERSION 2

static bool address_is_zero(const struct cl_address *a)
{
	static const struct cl_address zero;
	return memcmp(a->b, zero.b, sizeof(a->b)) == 0;
}

bool cl_genesis_symbol_valid(const char *s)
{
	size_t n = strnlen(s, CL_SYMBOL_MAX + 1);
	if (n == 0 || n > CL_SYMBOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';
		if (!ok)
			return false;
	}
	return true;
}

int cl_genesis_scale_exp(const struct cl_genesis *g,
			 const struct cl_market_params *m)
{
	return (int)g->collateral_decimals - (int)m->price_decimals -
	       (int)m->size_decimals;
}

static const char *risk_invalid(const struct cl_market_risk_params *r)
{
	if (r->oracle_band_ppm > CL_PPM)
		return "risk.oracleBandPpm above 100%";
	if (r->max_jump_ppm == 0 || r->max_jump_ppm > CL_PPM)
		return "risk.maxJumpPpm must be in 1..1000000";
	if (r->max_jump_window == 0 || r->max_jump_window > UINT32_MAX)
		return "risk.maxJumpWindowSeconds must be in 1..2^32-1";
	if (r->mark_band_ppm > CL_PPM)
		return "risk.markBandPpm above 100%";
	if (r->premium_ema_seconds == 0 ||
	    r->premium_ema_seconds > UINT32_MAX)
		return "risk.premiumEmaSeconds must be in 1..2^32-1";
	if (r->funding_interest_ppm > CL_PPM ||
	    r->funding_interest_clamp_ppm > CL_PPM ||
	    r->funding_cap_ppm > CL_PPM)
		return "risk funding rates above 100%";
	if (r->oi_imf_threshold_ppm > CL_PPM)
		return "risk.oiImfThresholdPpm above 100%";
	if (r->oi_imf_factor_ppm > 10 * CL_PPM)
		return "risk.oiImfFactorPpm above 10000000";
	if (r->vol_imf_factor > 1000)
		return "risk.volImfFactor above 1000";
	if (r->vol_alpha_ppm == 0 || r->vol_alpha_ppm > CL_PPM)
		return "risk.volAlphaPpm must be in 1..1000000";
	if (r->imf_max_scale_ppm < CL_PPM || r->imf_max_scale_ppm > 10 * CL_PPM)
		return "risk.imfMaxScalePpm must be in 1000000..10000000";
	if (r->liq_slice_ppm == 0 || r->liq_slice_ppm > CL_PPM)
		return "risk.liquidationSlicePpm must be in 1..1000000";
	if (r->liq_fee_ppm > CL_PPM)
		return "risk.liquidationFeePpm above 100%";
	return NULL;
}

static const char *market_invalid(const struct cl_genesis *g,
				  const struct cl_market_params *m)
{
	int e;
	struct cl_amount a;

	if (!cl_genesis_symbol_valid(m->symbol))
		return "market symbol: 1 to 16 of [A-Za-z0-9._-]";
	if (m->price_decimals > CL_DECIMALS_MAX ||
	    m->size_decimals > CL_DECIMALS_MAX)
		return "market decimals above 18";
	e = cl_genesis_scale_exp(g, m);
	if (e < -38 || e > 18)
		return "market scale exponent out of range";
	if (m->tick_size == 0)
		return "market tick size is zero";
	if (m->step_size == 0)
		return "market step size is zero";
	if (!cl_notional_down(&a, (struct cl_price){m->tick_size},
			      (struct cl_size){m->step_size}, e) ||
	    a.atoms < 1)
		return "one tick of one step must be worth an atom";
	if (m->max_order_size == 0 || m->max_order_size > INT64_MAX ||
	    m->max_order_size % m->step_size != 0)
		return "max order size: a positive multiple of step";
	if (m->oi_cap == 0 || m->oi_cap > INT64_MAX)
		return "market open interest cap out of range";
	if (m->maker_fee_ppm > CL_PPM || m->taker_fee_ppm > CL_PPM)
		return "market fee above 100%";
	if (m->n_tiers == 0 || m->n_tiers > CL_GENESIS_MAX_TIERS)
		return "market needs 1 to 8 risk tiers";
	if (!margin_tiers_valid(m->tiers, m->n_tiers))
		return "market risk tiers invalid";
	return risk_invalid(&m->risk);
}

/* The option fields (docs/genesis.md "option"); the underlying is
 * looked up among all markets, so it may come before or after. */
static const char *option_invalid(const struct cl_genesis *g,
				  const struct cl_market_params *m)
{
	const struct cl_market_params *u;

	switch ((enum cl_market_kind)m->kind) {
	case CL_MARKET_PERP:
		if (m->underlying || m->strike || m->expiry)
			return "a perpetual has no underlying, strike or "
			       "expiry";
		return NULL;
	case CL_MARKET_CALL:
	case CL_MARKET_PUT:
		break;
	}
	if (m->kind > CL_MARKET_PUT)
		return "market kind must be perp, call or put";
	u = cl_genesis_market(g, m->underlying);
	if (!u || u->kind != CL_MARKET_PERP)
		return "option underlying must be a genesis perpetual";
	if (u->price_decimals != m->price_decimals)
		return "option price decimals must be its underlying's";
	if (m->strike == 0 || m->strike > CL_OPT_PRICE_MAX)
		return "option strike out of range";
	if (m->expiry <= 1800 || m->expiry > INT64_MAX)
		return "option expiry out of range";
	return NULL;
}

static int asset_scale_exp(const struct cl_genesis *g,
			   const struct cl_asset_params *a)
{
	const struct cl_market_params *m =
		cl_genesis_market(g, a->oracle_market);

	return (int)g->collateral_decimals - (int)m->price_decimals -
	       (int)a->decimals;
}

static const char *asset_invalid(const struct cl_genesis *g, uint32_t i)
{
	const struct cl_asset_params *a = &g->assets[i];
	int e;

	if (a->id == 0)
		return "asset id 0 is the settlement asset";
	if (i > 0 && a->id <= g->assets[i - 1].id)
		return "asset ids must be unique and increasing";
	if (!cl_genesis_symbol_valid(a->symbol))
		return "asset symbol: 1 to 16 of [A-Za-z0-9._-]";
	if (address_is_zero(&a->token))
		return "asset token is the zero address";
	for (uint32_t j = 0; j < i; j++)
		if (memcmp(g->assets[j].token.b, a->token.b, 20) == 0)
			return "duplicate asset token";
	if (a->decimals > CL_DECIMALS_MAX)
		return "asset decimals above 18";
	if (!cl_genesis_market(g, a->oracle_market) ||
	    !cl_genesis_market(g, a->hedge_market))
		return "asset oracle or hedge market unknown";
	if (cl_genesis_market(g, a->oracle_market)->kind != CL_MARKET_PERP ||
	    cl_genesis_market(g, a->hedge_market)->kind != CL_MARKET_PERP)
		return "asset oracle and hedge markets must be perpetuals";
	e = asset_scale_exp(g, a);
	if (e < -38 || e > 18)
		return "asset scale exponent out of range";
	if (a->n_tiers == 0 || a->n_tiers > CL_ASSET_MAX_TIERS ||
	    !margin_haircut_tiers_valid(a->tiers, a->n_tiers))
		return "asset haircut tiers invalid";
	if (a->vol_factor > 1000)
		return "asset volHaircutFactor above 1000";
	if (a->thin_ppm > CL_PPM || a->depth_band_ppm > CL_PPM)
		return "asset thinBookPpm or depthBandPpm above 100%";
	if (a->depth_threshold > INT64_MAX)
		return "asset depthThreshold above 2^63-1";
	if (a->max_haircut_ppm > CL_PPM ||
	    a->max_haircut_ppm < a->tiers[a->n_tiers - 1].haircut_ppm)
		return "asset maxHaircutPpm below a tier or above 100%";
	if (a->liq_discount_ppm > a->tiers[0].haircut_ppm)
		return "asset liquidationDiscountPpm above the first haircut";
	return NULL;
}

/* The portfolio section (docs/genesis.md "portfolio"). */
static const char *portfolio_invalid(const struct cl_genesis *g)
{
	const struct cl_portfolio_params *p = &g->portfolio, *sc = p;

	if (!p->enabled) {
		static const struct cl_portfolio_params none;
		return memcmp(p, &none, sizeof(none)) == 0 ?
			       NULL :
			       "portfolio parameters without the section";
	}
	if (sc->range_ppm == 0 || sc->range_ppm >= CL_PPM)
		return "portfolio.rangePpm must be in 1..999999";
	if (sc->n_steps < 3 || sc->n_steps > 10)
		return "portfolio.steps must be in 3..10";
	if (sc->vol_shift_ppm >= CL_PPM)
		return "portfolio.volShiftPpm must be below 1000000";
	if (sc->extreme_mult == 0 ||
	    (uint64_t)sc->extreme_mult * sc->range_ppm >= CL_PPM)
		return "portfolio.extremeMult: >= 1 and x range below 100%";
	if (sc->extreme_ppm > CL_PPM)
		return "portfolio.extremePpm above 100%";
	if (p->im_ppm < CL_PPM || p->im_ppm > 10 * CL_PPM)
		return "portfolio.imPpm must be in 1000000..10000000";
	if (p->min_equity > INT64_MAX)
		return "portfolio.minEquity above 2^63-1";
	if (p->short_min_ppm > CL_PPM)
		return "portfolio.shortMinPpm above 100%";
	if (p->n_pairs > CL_PM_MAX_PAIRS)
		return "portfolio: at most 16 pairs";
	for (uint32_t i = 0; i < p->n_pairs; i++) {
		const struct cl_pm_pair *a = &p->pairs[i];
		if (a->a >= a->b || !cl_genesis_market(g, a->a) ||
		    !cl_genesis_market(g, a->b))
			return "portfolio pair: two genesis markets, a < b";
		if (a->credit_ppm > CL_PPM)
			return "portfolio pair credit above 100%";
		for (uint32_t j = 0; j < i; j++)
			if (p->pairs[j].a == a->a && p->pairs[j].b == a->b)
				return "portfolio pair listed twice";
	}
	return NULL;
}

/* The listing section (docs/genesis.md "listing") and the listed
 * markets of an stf's copy: after every genesis market, options, each
 * with a genesis option of the same underlying as template. */
static const char *listing_invalid(const struct cl_genesis *g)
{
	const struct cl_listing_params *l = &g->listing;
	uint32_t n_listed = 0;

	for (uint32_t i = 0; i < g->n_markets; i++) {
		const struct cl_market_params *m = &g->markets[i];
		if (!m->listed) {
			if (n_listed > 0)
				return "a genesis market after a listed one";
			continue;
		}
		n_listed++;
		if (!cl_market_is_option(m))
			return "a listed market must be an option";
	}
	if (!l->enabled) {
		static const struct cl_listing_params none;
		if (memcmp(l, &none, sizeof(none)) != 0)
			return "listing parameters without the section";
		return n_listed ? "listed markets without the section" : NULL;
	}
	if (address_is_zero(&l->lister))
		return "listing.lister is the zero address";
	if (l->max_listed == 0 || l->max_listed >= CL_GENESIS_MAX_MARKETS)
		return "listing.maxListed must be in 1..63";
	if (n_listed > l->max_listed)
		return "more listed markets than listing.maxListed";
	if (g->n_markets - n_listed == 0)
		return "need a genesis market";
	return NULL;
}

static const char *genesis_invalid(const struct cl_genesis *g)
{
	if (g->l1_chain_id == 0)
		return "l1 chain id is zero";
	if (address_is_zero(&g->rollup))
		return "rollup address is zero";
	if (g->collateral_decimals > CL_DECIMALS_MAX)
		return "collateral decimals above 18";
	if (g->expiry_horizon == 0)
		return "expiry horizon is zero";
	if (g->n_oracle_signers == 0 ||
	    g->n_oracle_signers > CL_GENESIS_MAX_SIGNERS)
		return "need 1 to 16 oracle signers";
	if (g->oracle_quorum == 0 || g->oracle_quorum > g->n_oracle_signers)
		return "oracle quorum out of range";
	if (g->oracle_max_age == 0)
		return "oracle max age is zero";
	if (g->funding_interval == 0 || g->funding_interval > UINT32_MAX)
		return "funding interval must be in 1..2^32-1 seconds";
	for (uint32_t i = 0; i < g->n_oracle_signers; i++) {
		if (address_is_zero(&g->oracle_signers[i]))
			return "oracle signer is the zero address";
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(g->oracle_signers[i].b,
				   g->oracle_signers[j].b, 20) == 0)
				return "duplicate oracle signer";
	}
	if (g->n_markets == 0 || g->n_markets > CL_GENESIS_MAX_MARKETS)
		return "need 1 to 64 markets";
	for (uint32_t i = 0; i < g->n_markets; i++) {
		const char *why = market_invalid(g, &g->markets[i]);
		if (why)
			return why;
		if (i > 0 && g->markets[i].id <= g->markets[i - 1].id)
			return "market ids must be unique and increasing";
	}
	for (uint32_t i = 0; i < g->n_markets; i++) {
		const char *why = option_invalid(g, &g->markets[i]);
		if (why)
			return why;
	}
	if (g->n_assets > CL_GENESIS_MAX_ASSETS)
		return "at most 8 collateral assets";
	for (uint32_t i = 0; i < g->n_assets; i++) {
		const char *why = asset_invalid(g, i);
		if (why)
			return why;
	}
	const char *why = portfolio_invalid(g);
	return why ? why : listing_invalid(g);
}

bool cl_genesis_validate(const struct cl_genesis *g, const char **why)
{
	const char *w = genesis_invalid(g);
	if (why)
		*why = w;
	return w == NULL;
}

const struct cl_market_params *cl_genesis_market(const struct cl_genesis *g,
						 uint32_t id)
{
	size_t lo = 0, hi = g->n_markets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = g->markets[mid].id;
		if (v == id)
			return &g->markets[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct cl_asset_params *cl_genesis_asset(const struct cl_genesis *g,
					       uint32_t id)
{
	for (uint32_t i = 0; i < g->n_assets; i++)
		if (g->assets[i].id == id)
			return &g->assets[i];
	return NULL;
}

struct cl_haircut_params cl_genesis_haircut(const struct cl_genesis *g,
					    const struct cl_asset_params *a)
{
	struct cl_haircut_params p = {
		.scale_exp = asset_scale_exp(g, a),
		.tiers = a->tiers,
		.n_tiers = a->n_tiers,
		.vol_factor = a->vol_factor,
		.thin_ppm = a->thin_ppm,
		.depth_threshold = {(int64_t)a->depth_threshold},
		.max_haircut_ppm = a->max_haircut_ppm,
	};
	return p;
}

static void encode_asset(struct cl_buf *out, const struct cl_asset_params *a)
{
	size_t slen = strlen(a->symbol);

	cl_buf_append_be32(out, a->id);
	cl_buf_append_byte(out, (uint8_t)slen);
	cl_buf_append(out, a->symbol, slen);
	cl_buf_append(out, a->token.b, 20);
	cl_buf_append_byte(out, a->decimals);
	cl_buf_append_be32(out, a->oracle_market);
	cl_buf_append_be32(out, a->hedge_market);
	cl_buf_append_byte(out, (uint8_t)a->n_tiers);
	for (uint32_t t = 0; t < a->n_tiers; t++) {
		cl_buf_append_be64(out, (uint64_t)a->tiers[t].amount_cap);
		cl_buf_append_be32(out, a->tiers[t].haircut_ppm);
	}
	cl_buf_append_be32(out, a->vol_factor);
	cl_buf_append_be32(out, a->thin_ppm);
	cl_buf_append_be64(out, a->depth_threshold);
	cl_buf_append_be32(out, a->depth_band_ppm);
	cl_buf_append_be32(out, a->max_haircut_ppm);
	cl_buf_append_be32(out, a->liq_discount_ppm);
}

static void encode_portfolio(struct cl_buf *out,
			     const struct cl_portfolio_params *p)
{
	cl_buf_append_byte(out, CL_GENESIS_TAG_PORTFOLIO);
	cl_buf_append_be32(out, p->range_ppm);
	cl_buf_append_byte(out, (uint8_t)p->n_steps);
	cl_buf_append_be32(out, p->vol_shift_ppm);
	cl_buf_append_be32(out, p->extreme_mult);
	cl_buf_append_be32(out, p->extreme_ppm);
	cl_buf_append_be32(out, p->im_ppm);
	cl_buf_append_be64(out, p->min_equity);
	cl_buf_append_be32(out, p->short_min_ppm);
	cl_buf_append_byte(out, (uint8_t)p->n_pairs);
	for (uint32_t i = 0; i < p->n_pairs; i++) {
		cl_buf_append_be32(out, p->pairs[i].a);
		cl_buf_append_be32(out, p->pairs[i].b);
		cl_buf_append_be32(out, p->pairs[i].credit_ppm);
	}
}

static void encode_risk(struct cl_buf *out,
			const struct cl_market_risk_params *r)
{
	cl_buf_append_be32(out, r->oracle_band_ppm);
	cl_buf_append_be32(out, r->max_jump_ppm);
	cl_buf_append_be64(out, r->max_jump_window);
	cl_buf_append_be32(out, r->mark_band_ppm);
	cl_buf_append_be64(out, r->premium_ema_seconds);
	cl_buf_append_be32(out, r->funding_interest_ppm);
	cl_buf_append_be32(out, r->funding_interest_clamp_ppm);
	cl_buf_append_be32(out, r->funding_cap_ppm);
	cl_buf_append_be32(out, r->oi_imf_threshold_ppm);
	cl_buf_append_be32(out, r->oi_imf_factor_ppm);
	cl_buf_append_be32(out, r->vol_imf_factor);
	cl_buf_append_be32(out, r->vol_alpha_ppm);
	cl_buf_append_be32(out, r->imf_max_scale_ppm);
	cl_buf_append_be32(out, r->liq_slice_ppm);
	cl_buf_append_be32(out, r->liq_fee_ppm);
}

static void encode_listing(struct cl_buf *out,
			   const struct cl_listing_params *l)
{
	cl_buf_append_byte(out, CL_GENESIS_TAG_LISTING);
	cl_buf_append(out, l->lister.b, 20);
	cl_buf_append_byte(out, (uint8_t)l->max_listed);
}

void cl_genesis_market_encode(struct cl_buf *out,
			      const struct cl_market_params *m)
{
	size_t slen = strlen(m->symbol);

	cl_buf_append_be32(out, m->id);
	cl_buf_append_byte(out, (uint8_t)slen);
	cl_buf_append(out, m->symbol, slen);
	cl_buf_append_byte(out, m->price_decimals);
	cl_buf_append_byte(out, m->size_decimals);
	cl_buf_append_be64(out, m->tick_size);
	cl_buf_append_be64(out, m->step_size);
	cl_buf_append_be64(out, m->max_order_size);
	cl_buf_append_be64(out, m->oi_cap);
	cl_buf_append_be32(out, m->maker_fee_ppm);
	cl_buf_append_be32(out, m->taker_fee_ppm);
	cl_buf_append_byte(out, (uint8_t)m->n_tiers);
	for (uint32_t t = 0; t < m->n_tiers; t++) {
		cl_buf_append_be64(out, (uint64_t)m->tiers[t].notional_cap);
		cl_buf_append_be32(out, m->tiers[t].imf_ppm);
		cl_buf_append_be32(out, m->tiers[t].mmf_ppm);
	}
	encode_risk(out, &m->risk);
}

bool cl_genesis_market_decode(struct cl_cursor *c, struct cl_market_params *m)
{
	struct cl_market_risk_params *r = &m->risk;
	size_t slen;

	m->id = cl_cur_be32(c);
	slen = cl_cur_u8(c);
	if (slen > CL_SYMBOL_MAX)
		return false;
	cl_cur_bytes(c, m->symbol, slen);
	m->price_decimals = cl_cur_u8(c);
	m->size_decimals = cl_cur_u8(c);
	m->tick_size = cl_cur_be64(c);
	m->step_size = cl_cur_be64(c);
	m->max_order_size = cl_cur_be64(c);
	m->oi_cap = cl_cur_be64(c);
	m->maker_fee_ppm = cl_cur_be32(c);
	m->taker_fee_ppm = cl_cur_be32(c);
	m->n_tiers = cl_cur_u8(c);
	if (m->n_tiers > CL_GENESIS_MAX_TIERS)
		return false;
	for (uint32_t t = 0; t < m->n_tiers; t++) {
		m->tiers[t].notional_cap = (int64_t)cl_cur_be64(c);
		m->tiers[t].imf_ppm = cl_cur_be32(c);
		m->tiers[t].mmf_ppm = cl_cur_be32(c);
	}
	r->oracle_band_ppm = cl_cur_be32(c);
	r->max_jump_ppm = cl_cur_be32(c);
	r->max_jump_window = cl_cur_be64(c);
	r->mark_band_ppm = cl_cur_be32(c);
	r->premium_ema_seconds = cl_cur_be64(c);
	r->funding_interest_ppm = cl_cur_be32(c);
	r->funding_interest_clamp_ppm = cl_cur_be32(c);
	r->funding_cap_ppm = cl_cur_be32(c);
	r->oi_imf_threshold_ppm = cl_cur_be32(c);
	r->oi_imf_factor_ppm = cl_cur_be32(c);
	r->vol_imf_factor = cl_cur_be32(c);
	r->vol_alpha_ppm = cl_cur_be32(c);
	r->imf_max_scale_ppm = cl_cur_be32(c);
	r->liq_slice_ppm = cl_cur_be32(c);
	r->liq_fee_ppm = cl_cur_be32(c);
	return true;
}

/* The genesis markets: the listed ones (an stf's copy) are not part of
 * the genesis and come after all of them. */
static uint32_t n_genesis_markets(const struct cl_genesis *g)
{
	uint32_t n = g->n_markets;

	while (n > 0 && g->markets[n - 1].listed)
		n--;
	return n;
}

void cl_genesis_encode(struct cl_buf *out, const struct cl_genesis *g)
{
	uint32_t n_opt, n_mk = n_genesis_markets(g);

	CL_REQUIRE(cl_genesis_validate(g, NULL));
	cl_buf_append(out, "CLGENESIS", 9);
	cl_buf_append_byte(out, GENESIS_ENCODING_VERSION);
	cl_buf_append_be64(out, g->l1_chain_id);
	cl_buf_append(out, g->rollup.b, 20);
	cl_buf_append_byte(out, g->collateral_decimals);
	cl_buf_append_be64(out, g->expiry_horizon);
	cl_buf_append_byte(out, (uint8_t)g->n_oracle_signers);
	for (uint32_t i = 0; i < g->n_oracle_signers; i++)
		cl_buf_append(out, g->oracle_signers[i].b, 20);
	cl_buf_append_byte(out, (uint8_t)g->oracle_quorum);
	cl_buf_append_be64(out, g->oracle_max_age);
	cl_buf_append_be64(out, g->funding_interval);
	cl_buf_append_byte(out, (uint8_t)n_mk);
	for (uint32_t i = 0; i < n_mk; i++)
		cl_genesis_market_encode(out, &g->markets[i]);
	/* the assets' section exists only when there are assets or a
	 * tagged section follows (options, portfolio), so a genesis without
	 * them keeps its encoding and hash */
	n_opt = cl_genesis_n_options(g);
	if (g->n_assets == 0 && n_opt == 0 && !g->portfolio.enabled &&
	    !g->listing.enabled)
		return;
	cl_buf_append_byte(out, (uint8_t)g->n_assets);
	for (uint32_t i = 0; i < g->n_assets; i++)
		encode_asset(out, &g->assets[i]);
	/* tagged sections follow, each once, in increasing tag order */
	if (n_opt != 0) {
		cl_buf_append_byte(out, CL_GENESIS_TAG_OPTIONS);
		cl_buf_append_byte(out, (uint8_t)n_opt);
		for (uint32_t i = 0; i < n_mk; i++) {
			const struct cl_market_params *m = &g->markets[i];

			if (m->kind == CL_MARKET_PERP)
				continue;
			cl_buf_append_be32(out, m->id);
			cl_buf_append_byte(out, m->kind);
			cl_buf_append_be32(out, m->underlying);
			cl_buf_append_be64(out, m->strike);
			cl_buf_append_be64(out, m->expiry);
		}
	}
	if (g->portfolio.enabled)
		encode_portfolio(out, &g->portfolio);
	if (g->listing.enabled)
		encode_listing(out, &g->listing);
}

uint32_t cl_genesis_n_options(const struct cl_genesis *g)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->n_markets; i++)
		n += g->markets[i].kind != CL_MARKET_PERP &&
		     !g->markets[i].listed;
	return n;
}

void cl_genesis_hash(struct cl_hash32 *out, const struct cl_genesis *g)
{
	struct cl_buf b;

	cl_buf_init(&b);
	cl_genesis_encode(&b, g);
	cl_keccak256(out->b, b.p, b.len);
	cl_buf_release(&b);
}
