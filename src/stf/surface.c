/* SPDX-License-Identifier: MIT */
/*
 * The volatility surface in the stf: ORACLE_SURFACE (the signers' SVI
 * slices combined per parameter, checked and stored per underlying and
 * expiry), the Black-76 inputs of an option market at this block, and
 * the marks of the option markets. docs/options.md "The surface in the
 * stf" is the reference.
 */
#include <clearline/options.h>

#include "stf_int.h"

#include <string.h>

#define SURFACE_KEY_LEN 12 /* underlying u32 ‖ expiry u64 */
#define SURFACE_VAL_LEN 48 /* a, b, rho, m, s i64 ‖ timestamp u64 */

static void surface_key(uint8_t k[SURFACE_KEY_LEN], uint32_t underlying,
			uint64_t expiry)
{
	cl_put_be32(k, underlying);
	cl_put_be64(k + 4, expiry);
}

int cl_stf_get_surface(const struct cl_stf_view *v,
		       struct cl_stf_surface *out, uint32_t underlying,
		       uint64_t expiry)
{
	uint8_t k[SURFACE_KEY_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc;

	memset(out, 0, sizeof(*out));
	surface_key(k, underlying, expiry);
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_OPT_SURFACE, k, sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (vlen != SURFACE_VAL_LEN)
		return CL_ERR_CORRUPT;
	out->a = (int64_t)cl_get_be64(val);
	out->b = (int64_t)cl_get_be64(val + 8);
	out->rho = (int64_t)cl_get_be64(val + 16);
	out->m = (int64_t)cl_get_be64(val + 24);
	out->s = (int64_t)cl_get_be64(val + 32);
	out->timestamp = cl_get_be64(val + 40);
	return CL_OK;
}

static void put_surface(struct cl_state *st, uint32_t underlying,
			uint64_t expiry, const struct cl_stf_surface *sf)
{
	uint8_t k[SURFACE_KEY_LEN], v[SURFACE_VAL_LEN];

	surface_key(k, underlying, expiry);
	cl_put_be64(v, (uint64_t)sf->a);
	cl_put_be64(v + 8, (uint64_t)sf->b);
	cl_put_be64(v + 16, (uint64_t)sf->rho);
	cl_put_be64(v + 24, (uint64_t)sf->m);
	cl_put_be64(v + 32, (uint64_t)sf->s);
	cl_put_be64(v + 40, sf->timestamp);
	cl_state_put(st, CL_TABLE_OPT_SURFACE, k, sizeof(k), v, sizeof(v));
}

static struct cl_svi svi_of(const struct cl_stf_surface *sf)
{
	return (struct cl_svi){sf->a, sf->b, sf->rho, sf->m, sf->s};
}

/* A stored slice that is young enough to price with (the freshness rule
 * of prices: at most the oracle max age old). */
static bool surface_fresh(const struct cl_genesis *g,
			  const struct cl_stf_surface *sf, uint64_t now)
{
	return sf->timestamp <= now && now - sf->timestamp <= g->oracle_max_age;
}

/* ------------------------------------------------------------------ */
/* ORACLE_SURFACE                                                      */
/* ------------------------------------------------------------------ */

/* The lower median of n (1..16) signed values (sorted copy). */
static int64_t median_i64(const int64_t *in, size_t n)
{
	int64_t v[CL_TX_ORACLE_MAX_ENTRIES];

	CL_REQUIRE(n >= 1 && n <= CL_TX_ORACLE_MAX_ENTRIES);
	memcpy(v, in, n * sizeof(*v));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[(n - 1) / 2];
}

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static bool is_signer(const struct cl_genesis *g, const struct cl_address *a)
{
	for (uint32_t i = 0; i < g->n_oracle_signers; i++)
		if (addr_eq(&g->oracle_signers[i], a))
			return true;
	return false;
}

/* Is there a genesis option on `underlying` expiring at `expiry`? */
static bool expiry_listed(const struct cl_genesis *g, uint32_t underlying,
			  uint64_t expiry)
{
	for (uint32_t i = 0; i < g->n_markets; i++) {
		const struct cl_market_params *m = &g->markets[i];
		if (cl_market_is_option(m) && m->underlying == underlying &&
		    m->expiry == expiry)
			return true;
	}
	return false;
}

/* The at-the-money total variance of a valid slice (k = 0). */
static bool atm_w(int64_t *w, const struct cl_svi *p)
{
	return options_svi_w_up(w, p, (struct cl_price){1},
				(struct cl_price){1});
}

/*
 * The calendar rule against the nearest listed expiries of the same
 * underlying on either side whose stored slices are fresh (a stale
 * neighbour is not checked against: it will be replaced, and checked,
 * when it is posted again).
 */
static int calendar_check(struct cl_stf *s, uint32_t underlying,
			  uint64_t expiry, const struct cl_svi *p)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t before = 0, after = UINT64_MAX;

	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		if (!cl_market_is_option(m) || m->underlying != underlying ||
		    m->expiry <= s->now_s)
			continue;
		if (m->expiry < expiry && m->expiry > before)
			before = m->expiry;
		if (m->expiry > expiry && m->expiry < after)
			after = m->expiry;
	}
	for (int side = 0; side < 2; side++) {
		uint64_t e = side == 0 ? before : after;
		struct cl_stf_surface n;
		int rc;

		if (e == 0 || e == UINT64_MAX)
			continue;
		rc = cl_stf_get_surface(&v, &n, underlying, e);
		if (rc == CL_ERR_NOT_FOUND)
			continue;
		if (rc != CL_OK)
			return rc;
		if (!surface_fresh(&s->g, &n, s->now_s))
			continue;
		struct cl_svi ns = svi_of(&n);
		if (side == 0 ? !options_svi_calendar_ok(&ns, p) :
				!options_svi_calendar_ok(p, &ns))
			return CL_STF_ERR_BAD_SURFACE;
	}
	return CL_OK;
}

int stf_apply_oracle_surface(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_tx_oracle_surface *o = &tx->u.oracle_surface;
	const struct cl_market_params *u = cl_genesis_market(&s->g, o->market);
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_surface old, sf = {0};
	struct cl_svi med;
	int64_t col[5][CL_TX_ORACLE_MAX_ENTRIES], w_med, lo, hi;
	struct cl_svi e[CL_TX_ORACLE_MAX_ENTRIES];
	uint32_t band;
	size_t agree = 0;
	int rc;

	CL_REQUIRE(o->n >= 1 && o->n <= CL_TX_ORACLE_MAX_ENTRIES);
	if (!u)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (u->kind != CL_MARKET_PERP ||
	    !expiry_listed(&s->g, o->market, o->expiry))
		return CL_STF_ERR_OPTION_MARKET;
	if (o->expiry <= s->now_s)
		return CL_STF_ERR_OPTION_EXPIRED;
	rc = cl_stf_get_surface(&v, &old, o->market, o->expiry);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	for (uint32_t i = 0; i < o->n; i++) {
		if (o->e[i].timestamp > s->now_s)
			return CL_STF_ERR_ORACLE_FUTURE;
		if (s->now_s - o->e[i].timestamp > s->g.oracle_max_age)
			return CL_STF_ERR_ORACLE_STALE;
		if (o->e[i].timestamp <= old.timestamp)
			return CL_STF_ERR_ORACLE_NOT_MONOTONIC;
	}
	for (uint32_t i = 0; i < o->n; i++) {
		if (tx->auth.err[i] != CL_SIG_OK)
			return CL_STF_ERR_BAD_SIGNATURE;
		if (!is_signer(&s->g, &tx->auth.signer[i]))
			return CL_STF_ERR_ORACLE_UNKNOWN_SIGNER;
		for (uint32_t j = 0; j < i; j++)
			if (addr_eq(&tx->auth.signer[j], &tx->auth.signer[i]))
				return CL_STF_ERR_ORACLE_DUPLICATE_SIGNER;
	}
	if (o->n < s->g.oracle_quorum)
		return CL_STF_ERR_ORACLE_QUORUM;
	for (uint32_t i = 0; i < o->n; i++) {
		e[i] = (struct cl_svi){o->e[i].a, o->e[i].b, o->e[i].rho,
				       o->e[i].m, o->e[i].s};
		if (!options_svi_valid(&e[i]))
			return CL_STF_ERR_BAD_SURFACE;
		col[0][i] = e[i].a;
		col[1][i] = e[i].b;
		col[2][i] = e[i].rho;
		col[3][i] = e[i].m;
		col[4][i] = e[i].s;
		if (o->e[i].timestamp > sf.timestamp)
			sf.timestamp = o->e[i].timestamp;
	}
	sf.a = median_i64(col[0], o->n);
	sf.b = median_i64(col[1], o->n);
	sf.rho = median_i64(col[2], o->n);
	sf.m = median_i64(col[3], o->n);
	sf.s = median_i64(col[4], o->n);
	med = svi_of(&sf);
	if (!options_svi_valid(&med) || !atm_w(&w_med, &med))
		return CL_STF_ERR_BAD_SURFACE;
	/* agreement: a quorum of slices whose at-the-money variance lies
	 * within the underlying's oracle band of the combined slice's */
	band = u->risk.oracle_band_ppm;
	lo = (int64_t)(((__int128)w_med * (CL_PPM - band)) / CL_PPM);
	hi = (int64_t)(((__int128)w_med * (CL_PPM + band) + CL_PPM - 1) /
		       CL_PPM);
	for (uint32_t i = 0; i < o->n; i++) {
		int64_t w;
		if (!atm_w(&w, &e[i]))
			return CL_STF_ERR_BAD_SURFACE;
		agree += w >= lo && w <= hi;
	}
	if (agree < s->g.oracle_quorum)
		return CL_STF_ERR_ORACLE_OUT_OF_BOUND;
	rc = calendar_check(s, o->market, o->expiry, &med);
	if (rc != CL_OK)
		return rc;
	put_surface(s->st, o->market, o->expiry, &sf);
	return stf_options_refresh(s, o->market);
}

/* ------------------------------------------------------------------ */
/* Pricing inputs and marks                                            */
/* ------------------------------------------------------------------ */

/* Slice (underlying, expiry) through memo sm (NULL: read). */
static int memo_surface(const struct cl_stf_view *v,
			struct stf_surface_memo *sm, struct cl_stf_surface *sf,
			uint32_t underlying, uint64_t expiry)
{
	int rc;

	if (!sm)
		return cl_stf_get_surface(v, sf, underlying, expiry);
	for (size_t i = 0; i < sm->n; i++)
		if (sm->e[i].underlying == underlying &&
		    sm->e[i].expiry == expiry) {
			*sf = sm->e[i].sf;
			return sm->e[i].rc;
		}
	rc = cl_stf_get_surface(v, sf, underlying, expiry);
	if (sm->n < STF_SURFACE_MEMO_MAX && (rc == CL_OK ||
					      rc == CL_ERR_NOT_FOUND)) {
		sm->e[sm->n].underlying = underlying;
		sm->e[sm->n].expiry = expiry;
		sm->e[sm->n].rc = rc;
		sm->e[sm->n].sf = *sf;
		sm->n++;
	}
	return rc;
}

int stf_option_inputs_with(const struct cl_stf_view *v, uint64_t now,
			   const struct cl_market_params *m,
			   const struct cl_market_state *under,
			   struct stf_surface_memo *sm,
			   struct cl_pm_cache *c,
			   struct cl_stf_opt_inputs *out)
{
	const struct cl_genesis *g = v->genesis;
	struct cl_market_state us;
	struct cl_stf_surface sf;
	struct cl_svi p;
	int64_t w;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&sf, 0, sizeof(sf));
	if (!cl_market_is_option(m))
		return CL_STF_ERR_OPTION_MARKET;
	if (m->expiry <= now)
		return CL_STF_ERR_OPTION_EXPIRED;
	if (m->expiry - now > CL_OPT_TAU_MAX_S)
		return CL_STF_ERR_NO_SURFACE;
	if (under) {
		us = *under;
	} else {
		rc = stf_load_market(v, &us, m->underlying);
		if (rc != CL_OK)
			return rc;
	}
	if (us.oracle_price == 0 || us.oracle_price > CL_OPT_PRICE_MAX ||
	    us.oracle_timestamp > now ||
	    now - us.oracle_timestamp > g->oracle_max_age)
		return CL_STF_ERR_NO_SURFACE;
	rc = memo_surface(v, sm, &sf, m->underlying, m->expiry);
	if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK &&
				       !surface_fresh(g, &sf, now)))
		return CL_STF_ERR_NO_SURFACE;
	if (rc != CL_OK)
		return rc;
	p = svi_of(&sf);
	if (!cl_pm_cache_svi_w(c, &w, &p, (struct cl_price){us.oracle_price},
			       (struct cl_price){m->strike}))
		return CL_STF_ERR_NO_SURFACE;
	out->fwd.v = us.oracle_price;
	out->strike = m->strike;
	out->tau_s = (uint32_t)(m->expiry - now);
	out->w_wad = w;
	out->kind = m->kind == CL_MARKET_CALL ? CL_OPT_CALL : CL_OPT_PUT;
	out->underlying = m->underlying;
	return CL_OK;
}

int stf_option_inputs_rc(const struct cl_stf_view *v, uint64_t now,
			 const struct cl_market_params *m,
			 struct cl_stf_opt_inputs *out)
{
	return stf_option_inputs_with(v, now, m, NULL, NULL, NULL, out);
}

bool stf_option_inputs(struct cl_stf *s, const struct cl_market_params *m,
		       struct cl_stf_opt_inputs *out)
{
	struct cl_stf_view v = cl_stf_view(s);

	return stf_option_inputs_rc(&v, s->now_s, m, out) == CL_OK;
}

int stf_option_mark(uint64_t *mark, const struct cl_stf_opt_inputs *in)
{
	int64_t p;

	*mark = 0;
	if (!options_black76_price(&p, in->kind, in->fwd,
				   (struct cl_price){in->strike}, in->w_wad,
				   in->tau_s))
		return CL_STF_ERR_NO_SURFACE;
	/* micro price units, rounded up to a whole price unit, at least 1
	 * (0 means "no mark" to the rest of the stf) */
	*mark = (uint64_t)(p / CL_OPT_MICRO) + (p % CL_OPT_MICRO != 0);
	if (*mark == 0)
		*mark = 1;
	return CL_OK;
}

int stf_options_refresh(struct cl_stf *s, uint32_t underlying)
{
	struct cl_stf_view v = cl_stf_view(s);

	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		struct cl_stf_opt_inputs in;
		struct cl_market_state ms;
		uint64_t mark;
		int rc;

		if (!cl_market_is_option(m) ||
		    (underlying != UINT32_MAX && m->underlying != underlying))
			continue;
		/* without fresh inputs the mark stays where it was, as a
		 * perpetual's does while its index is stale */
		if (stf_option_inputs_rc(&v, s->now_s, m, &in) != CL_OK ||
		    stf_option_mark(&mark, &in) != CL_OK)
			continue;
		rc = stf_load_market(&v, &ms, m->id);
		if (rc != CL_OK)
			return rc;
		if (ms.mark_price == mark)
			continue;
		ms.mark_price = mark;
		stf_put_market(s->st, m->id, &ms);
	}
	return CL_OK;
}

int cl_stf_get_option_quote(const struct cl_stf_view *v,
			    struct cl_stf_option_quote *out, uint32_t market)
{
	const struct cl_market_params *m = cl_genesis_market(v->genesis,
							     market);
	struct cl_stf_opt_inputs in;
	struct cl_market_state ms;
	struct cl_opt_greeks gk;
	uint64_t ms_now;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (!cl_market_is_option(m))
		return CL_STF_ERR_OPTION_MARKET;
	rc = stf_get_global_u64(v, &ms_now, G_BLOCK_TIME);
	if (rc == CL_OK)
		rc = stf_load_market(v, &ms, market);
	if (rc == CL_OK)
		rc = stf_option_settle_price(v, m, &out->settle_price);
	if (rc != CL_OK)
		return rc;
	out->strike = m->strike;
	out->expiry = m->expiry;
	out->mark = ms.mark_price;
	rc = stf_option_inputs_rc(v, ms_now / 1000, m, &in);
	if (rc > 0)
		return CL_OK; /* not priced now: the stored figures only */
	if (rc != CL_OK)
		return rc;
	out->fresh = true;
	out->index = in.fwd.v;
	out->tau_s = in.tau_s;
	out->w_wad = in.w_wad;
	out->iv_ppm = options_isqrt((unsigned __int128)in.w_wad *
				    CL_OPT_YEAR_S / in.tau_s / 1000000);
	/* a Greek that does not fit (the last seconds) shows as 0 */
	if (options_black76(&gk, in.kind, in.fwd,
			    (struct cl_price){in.strike}, in.w_wad,
			    in.tau_s)) {
		out->delta_ppb = gk.delta_ppb;
		out->gamma_wad = gk.gamma_wad;
		out->vega_micro = gk.vega_micro;
		out->theta_micro = gk.theta_micro;
	}
	return CL_OK;
}
