/* SPDX-License-Identifier: MIT */
/*
 * The genesis as the verdict program reads it: the canonical encoding of
 * cl_genesis_encode() (src/stf/genesis.c), whose keccak256 is the chain's
 * genesis hash (cl_genesis_hash(), kept in GLOBALS), decoded back into a
 * struct. Strict: the bytes must be the encoding of a valid genesis,
 * byte for byte (decoded, validated, encoded again and compared), so
 * each genesis has one preimage and no struct padding is ever hashed.
 * Compiled natively and into the guest.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/game.h>

/* The options' section: count, then per option market id, kind,
 * underlying, strike, expiry, in market order (the re-encoding below
 * checks the order and that every option is listed once). */
static bool get_options(struct cl_cursor *c, struct cl_genesis *g)
{
	uint32_t n = cl_cur_u8(c);

	if (n == 0 || n > g->n_markets)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = cl_cur_be32(c);
		struct cl_market_params *m = NULL;

		for (uint32_t j = 0; j < g->n_markets; j++)
			if (g->markets[j].id == id)
				m = &g->markets[j];
		if (!m || m->kind != CL_MARKET_PERP)
			return false;
		m->kind = cl_cur_u8(c);
		m->underlying = cl_cur_be32(c);
		m->strike = cl_cur_be64(c);
		m->expiry = cl_cur_be64(c);
		if (m->kind == CL_MARKET_PERP)
			return false;
	}
	return !c->failed;
}

static bool get_listing(struct cl_cursor *c, struct cl_listing_params *l)
{
	l->enabled = true;
	cl_cur_bytes(c, l->lister.b, 20);
	l->max_listed = cl_cur_u8(c);
	return !c->failed;
}

static bool get_asset(struct cl_cursor *c, struct cl_asset_params *a)
{
	size_t slen;

	a->id = cl_cur_be32(c);
	slen = cl_cur_u8(c);
	if (slen > CL_SYMBOL_MAX)
		return false;
	cl_cur_bytes(c, a->symbol, slen);
	cl_cur_bytes(c, a->token.b, 20);
	a->decimals = cl_cur_u8(c);
	a->oracle_market = cl_cur_be32(c);
	a->hedge_market = cl_cur_be32(c);
	a->n_tiers = cl_cur_u8(c);
	if (a->n_tiers > CL_ASSET_MAX_TIERS)
		return false;
	for (uint32_t t = 0; t < a->n_tiers; t++) {
		a->tiers[t].amount_cap = (int64_t)cl_cur_be64(c);
		a->tiers[t].haircut_ppm = cl_cur_be32(c);
	}
	a->vol_factor = cl_cur_be32(c);
	a->thin_ppm = cl_cur_be32(c);
	a->depth_threshold = cl_cur_be64(c);
	a->depth_band_ppm = cl_cur_be32(c);
	a->max_haircut_ppm = cl_cur_be32(c);
	a->liq_discount_ppm = cl_cur_be32(c);
	return true;
}

static bool get_portfolio(struct cl_cursor *c, struct cl_portfolio_params *p)
{
	p->enabled = true;
	p->range_ppm = cl_cur_be32(c);
	p->n_steps = cl_cur_u8(c);
	p->vol_shift_ppm = cl_cur_be32(c);
	p->extreme_mult = cl_cur_be32(c);
	p->extreme_ppm = cl_cur_be32(c);
	p->im_ppm = cl_cur_be32(c);
	p->min_equity = cl_cur_be64(c);
	p->short_min_ppm = cl_cur_be32(c);
	p->n_pairs = cl_cur_u8(c);
	if (p->n_pairs > CL_PM_MAX_PAIRS)
		return false;
	for (uint32_t i = 0; i < p->n_pairs; i++) {
		p->pairs[i].a = cl_cur_be32(c);
		p->pairs[i].b = cl_cur_be32(c);
		p->pairs[i].credit_ppm = cl_cur_be32(c);
	}
	return !c->failed;
}

bool cl_game_genesis_decode(struct cl_genesis *out, const uint8_t *p,
			    size_t len)
{
	struct cl_cursor c;
	const uint8_t *magic;
	struct cl_buf again;
	bool ok;

	memset(out, 0, sizeof(*out));
	cl_cur_init(&c, p, len);
	magic = cl_cur_borrow(&c, 9);
	if (!magic || memcmp(magic, "CLGENESIS", 9) != 0)
		return false;
	(void)cl_cur_u8(&c); /* the version: the comparison below checks it */
	out->l1_chain_id = cl_cur_be64(&c);
	cl_cur_bytes(&c, out->rollup.b, 20);
	out->collateral_decimals = cl_cur_u8(&c);
	out->expiry_horizon = cl_cur_be64(&c);
	out->n_oracle_signers = cl_cur_u8(&c);
	if (out->n_oracle_signers > CL_GENESIS_MAX_SIGNERS)
		goto bad;
	for (uint32_t i = 0; i < out->n_oracle_signers; i++)
		cl_cur_bytes(&c, out->oracle_signers[i].b, 20);
	out->oracle_quorum = cl_cur_u8(&c);
	out->oracle_max_age = cl_cur_be64(&c);
	out->funding_interval = cl_cur_be64(&c);
	out->n_markets = cl_cur_u8(&c);
	if (out->n_markets > CL_GENESIS_MAX_MARKETS)
		goto bad;
	for (uint32_t i = 0; i < out->n_markets; i++)
		if (!cl_genesis_market_decode(&c, &out->markets[i]))
			goto bad;
	/* the optional assets' section (present when there are assets or
	 * a tagged section follows) */
	if (!cl_cur_done(&c)) {
		out->n_assets = cl_cur_u8(&c);
		if (out->n_assets > CL_GENESIS_MAX_ASSETS)
			goto bad;
		for (uint32_t i = 0; i < out->n_assets; i++)
			if (!get_asset(&c, &out->assets[i]))
				goto bad;
	}
	/* tagged sections (options 0x40, portfolio 0x50, listing 0x60);
	 * the re-encoding below checks that each comes once, in
	 * increasing tag order */
	while (!cl_cur_done(&c)) {
		uint8_t tag = cl_cur_u8(&c);
		bool ok_tag;

		if (tag == CL_GENESIS_TAG_OPTIONS)
			ok_tag = get_options(&c, out);
		else if (tag == CL_GENESIS_TAG_PORTFOLIO)
			ok_tag = !out->portfolio.enabled &&
				 get_portfolio(&c, &out->portfolio);
		else if (tag == CL_GENESIS_TAG_LISTING)
			ok_tag = !out->listing.enabled &&
				 get_listing(&c, &out->listing);
		else
			ok_tag = false;
		if (!ok_tag)
			goto bad;
	}
	if (!cl_cur_done(&c) || !cl_genesis_validate(out, NULL))
		goto bad;
	cl_buf_init(&again);
	cl_genesis_encode(&again, out);
	ok = again.len == len && memcmp(again.p, p, len) == 0;
	cl_buf_release(&again);
	if (ok)
		return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}
