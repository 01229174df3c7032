/* SPDX-License-Identifier: MIT */
/*
 * Option markets listed after genesis (include/clearline/stf_listing.h,
 * docs/options.md "Listing"): OPTION_LIST, its bytes, and the table this
 * file owns:
 *
 *   OPT_LISTED  id u32 -> market ‖ kind u8 ‖ underlying u32 ‖ strike u64
 *               ‖ expiry u64 ‖ template u32
 *
 * where `market` is the market's entry of the genesis encoding
 * (cl_genesis_market_encode()). Records are only added, with ids one
 * above the highest market id so far, so the table in key order is the
 * order the markets were listed in, and the stf's copy of the genesis
 * gets them appended in that order (stf_listing_sync()).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#define LISTED_KEY_LEN 4

/* ---- the record ---- */

static void listed_encode(struct cl_buf *b, const struct cl_market_params *m,
			  uint32_t tmpl)
{
	cl_genesis_market_encode(b, m);
	cl_buf_append_byte(b, m->kind);
	cl_buf_append_be32(b, m->underlying);
	cl_buf_append_be64(b, m->strike);
	cl_buf_append_be64(b, m->expiry);
	cl_buf_append_be32(b, tmpl);
}

/* Strict: exactly the encoding listed_encode() makes of the record of
 * `id` (re-encoded and compared). */
static bool listed_decode(struct cl_market_params *m, uint32_t *tmpl,
			  uint32_t id, const uint8_t *p, size_t len)
{
	struct cl_cursor c;
	struct cl_buf again;
	bool ok;

	memset(m, 0, sizeof(*m));
	cl_cur_init(&c, p, len);
	if (!cl_genesis_market_decode(&c, m))
		cl_cur_fail(&c);
	m->kind = cl_cur_u8(&c);
	m->underlying = cl_cur_be32(&c);
	m->strike = cl_cur_be64(&c);
	m->expiry = cl_cur_be64(&c);
	*tmpl = cl_cur_be32(&c);
	m->listed = true;
	if (!cl_cur_done(&c) || m->id != id || !cl_market_is_option(m) ||
	    strnlen(m->symbol, CL_SYMBOL_MAX + 1) == 0)
		return false;
	cl_buf_init(&again);
	listed_encode(&again, m, *tmpl);
	ok = again.len == len && memcmp(again.p, p, len) == 0;
	cl_buf_release(&again);
	return ok;
}

/* The genesis markets of g: those before the first listed one. */
static uint32_t n_genesis_markets(const struct cl_genesis *g)
{
	uint32_t n = g->n_markets;

	while (n > 0 && g->markets[n - 1].listed)
		n--;
	return n;
}

/* Replace g's listed markets by those of v's state, in id order. */
static int load_listed(const struct cl_stf_view *v, struct cl_genesis *g)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	g->n_markets = n_genesis_markets(g);
	rc = stf_view_iter(v, &it, CL_TABLE_OPT_LISTED, NULL, 0);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		struct cl_market_params *m;
		uint32_t tmpl;

		if (kl != LISTED_KEY_LEN ||
		    g->n_markets >= CL_GENESIS_MAX_MARKETS) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		m = &g->markets[g->n_markets];
		if (!listed_decode(m, &tmpl, cl_get_be32(k), val, vl) ||
		    m->id <= g->markets[g->n_markets - 1].id) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		g->n_markets++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	/* the genesis markets were validated when the stf or the view's
	 * owner took the genesis; the listed ones are checked together */
	if (rc == CL_OK && g->n_markets > n_genesis_markets(g) &&
	    !cl_genesis_validate(g, NULL))
		rc = CL_ERR_CORRUPT;
	if (rc == CL_ERR_CORRUPT)
		cl_broken("stf", "a listed option market record is corrupt");
	return rc;
}

int cl_stf_view_genesis(const struct cl_stf_view *v, struct cl_genesis *out)
{
	CL_REQUIRE(out != v->genesis);
	*out = *v->genesis;
	return load_listed(v, out);
}

int cl_stf_listed_count(const struct cl_stf_view *v, uint32_t *out)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	*out = 0;
	rc = stf_view_iter(v, &it, CL_TABLE_OPT_LISTED, NULL, 0);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK)
		++*out;
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int cl_stf_listed_template(const struct cl_stf_view *v, uint32_t *out,
			   uint32_t id)
{
	struct cl_market_params m;
	uint8_t key[LISTED_KEY_LEN];
	const uint8_t *val;
	size_t vl;
	int rc;

	*out = 0;
	cl_put_be32(key, id);
	rc = stf_view_get(v, &val, &vl, CL_TABLE_OPT_LISTED, key, sizeof(key));
	if (rc)
		return rc;
	if (!listed_decode(&m, out, id, val, vl)) {
		*out = 0;
		return CL_ERR_CORRUPT;
	}
	return CL_OK;
}

/* ---- the stf's copy of the genesis ---- */

/* *out = 1 when v's state lists a market, else 0. */
static int listed_any(const struct cl_stf_view *v, uint32_t *out)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	*out = 0;
	rc = stf_view_iter(v, &it, CL_TABLE_OPT_LISTED, NULL, 0);
	if (rc)
		return rc;
	rc = cl_state_iter_next(it, &k, &kl, &val, &vl);
	cl_state_iter_free(it);
	if (rc == CL_OK)
		*out = 1;
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static bool same_markets(const struct cl_genesis *a,
			 const struct cl_genesis *b)
{
	struct cl_buf x, y;
	bool same;

	if (a->n_markets != b->n_markets)
		return false;
	cl_buf_init(&x);
	cl_buf_init(&y);
	for (uint32_t i = n_genesis_markets(a); i < a->n_markets; i++) {
		listed_encode(&x, &a->markets[i], 0);
		listed_encode(&y, &b->markets[i], 0);
	}
	same = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
	cl_buf_release(&x);
	cl_buf_release(&y);
	return same;
}

int stf_listing_sync(struct cl_stf *s)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_genesis *g;
	uint32_t n;
	int rc;

	/* the common case, nothing listed on either side, costs one probe */
	if (n_genesis_markets(&s->g) == s->g.n_markets) {
		rc = listed_any(&v, &n);
		if (rc != CL_OK || n == 0)
			return rc;
	}
	g = cl_xcalloc(1, sizeof(*g));
	*g = s->g;
	rc = load_listed(&v, g);
	if (rc == CL_OK && !same_markets(&s->g, g)) {
		/* the books are indexed by market: rebuild them */
		s->g = *g;
		stf_engine_invalidate(s);
	}
	free(g);
	return rc;
}

/* ---- OPTION_LIST ---- */

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static int check_terms(const struct cl_stf *s, const struct cl_option_list *r)
{
	if (r->kind != CL_MARKET_CALL && r->kind != CL_MARKET_PUT)
		return CL_STF_ERR_LIST_TERMS;
	if (r->strike == 0 || r->strike > CL_OPT_PRICE_MAX)
		return CL_STF_ERR_LIST_TERMS;
	/* its whole settlement window lies after the listing, and the
	 * pricer takes its time to expiry */
	if (r->expiry <= s->now_s ||
	    r->expiry - s->now_s <= CL_OPT_SETTLE_WINDOW_S ||
	    r->expiry - s->now_s > CL_LIST_MAX_EXPIRY_AHEAD_S)
		return CL_STF_ERR_LIST_TERMS;
	return CL_STF_OK;
}

static int check_symbol(const struct cl_stf *s, const char *sym)
{
	if (!cl_genesis_symbol_valid(sym))
		return CL_STF_ERR_LIST_SYMBOL;
	for (uint32_t i = 0; i < s->g.n_markets; i++)
		if (strcmp(s->g.markets[i].symbol, sym) == 0)
			return CL_STF_ERR_LIST_SYMBOL;
	return CL_STF_OK;
}

int stf_apply_option_list(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_option_list *r = &tx->u.option_list.msg;
	const struct cl_listing_params *l = &s->g.listing;
	static const struct cl_market_state zero_market;
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *t;
	struct cl_market_params m;
	struct cl_account a;
	uint8_t key[LISTED_KEY_LEN];
	struct cl_buf rec;
	uint32_t last;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	if (!l->enabled || !addr_eq(&l->lister, &tx->auth.signer[0]))
		return CL_STF_ERR_LIST_NOT_LISTER;
	memset(&a, 0, sizeof(a));
	rc = cl_stf_get_account(&v, &a, &l->lister);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (r->nonce != a.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (a.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	t = cl_genesis_market(&s->g, r->template_market);
	if (!t || t->listed || !cl_market_is_option(t))
		return CL_STF_ERR_LIST_TEMPLATE;
	rc = check_terms(s, r);
	if (rc == CL_STF_OK)
		rc = check_symbol(s, r->symbol);
	if (rc != CL_STF_OK)
		return rc;
	last = s->g.markets[s->g.n_markets - 1].id;
	if (s->g.n_markets - n_genesis_markets(&s->g) >= l->max_listed ||
	    s->g.n_markets >= CL_GENESIS_MAX_MARKETS || last == UINT32_MAX)
		return CL_STF_ERR_LIST_FULL;

	m = *t;
	m.id = last + 1;
	memset(m.symbol, 0, sizeof(m.symbol));
	memcpy(m.symbol, r->symbol, strlen(r->symbol));
	m.kind = r->kind;
	m.strike = r->strike;
	m.expiry = r->expiry;
	m.listed = true;

	a.nonce++;
	stf_put_account(s->st, &l->lister, &a);
	cl_put_be32(key, m.id);
	cl_buf_init(&rec);
	listed_encode(&rec, &m, t->id);
	cl_state_put(s->st, CL_TABLE_OPT_LISTED, key, sizeof(key), rec.p,
		     rec.len);
	cl_buf_release(&rec);
	stf_put_market(s->st, m.id, &zero_market);
	/* last, when nothing can refuse any more: the stf's copy */
	s->g.markets[s->g.n_markets++] = m;
	CL_REQUIRE(cl_genesis_validate(&s->g, NULL));
	stf_book_add(s, s->g.n_markets - 1);
	return CL_STF_OK;
}

/* ---- the bytes of OPTION_LIST ---- */

void stf_option_list_decode(struct cl_cursor *c, struct cl_tx_option_list *o)
{
	struct cl_option_list *m = &o->msg;
	size_t n;

	m->template_market = cl_cur_be32(c);
	m->kind = cl_cur_u8(c);
	m->strike = cl_cur_be64(c);
	m->expiry = cl_cur_be64(c);
	m->nonce = cl_cur_be64(c);
	n = cl_cur_u8(c);
	if (n > CL_OPTION_LIST_SYMBOL_MAX) {
		cl_cur_fail(c);
		return;
	}
	cl_cur_bytes(c, m->symbol, n);
	if (strnlen(m->symbol, n) != n) /* a NUL would end it early */
		cl_cur_fail(c);
	cl_cur_bytes(c, o->sig.b, CL_SIG_LEN);
}

void stf_option_list_encode(struct cl_buf *b, const struct cl_tx_option_list *o)
{
	const struct cl_option_list *m = &o->msg;
	size_t n = strnlen(m->symbol, CL_OPTION_LIST_SYMBOL_MAX + 1);

	CL_REQUIRE(n <= CL_OPTION_LIST_SYMBOL_MAX);
	cl_buf_append_be32(b, m->template_market);
	cl_buf_append_byte(b, m->kind);
	cl_buf_append_be64(b, m->strike);
	cl_buf_append_be64(b, m->expiry);
	cl_buf_append_be64(b, m->nonce);
	cl_buf_append_byte(b, (uint8_t)n);
	cl_buf_append(b, m->symbol, n);
	cl_buf_append(b, o->sig.b, CL_SIG_LEN);
}

size_t stf_option_list_len(const struct cl_tx_option_list *o)
{
	return 1 + 4 + 1 + 8 + 8 + 8 + 1 +
	       strnlen(o->msg.symbol, CL_OPTION_LIST_SYMBOL_MAX + 1) +
	       CL_SIG_LEN;
}
