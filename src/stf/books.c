/* SPDX-License-Identifier: MIT */
/*
 * The order books and the expiry heap: a cache of the open orders in the
 * state, one book per market (src/matching), rebuilt from the open-order
 * index whenever the state moved without the derivation seeing it.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "stf";

int stf_market_index(const struct cl_genesis *g, uint32_t market)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		if (g->markets[i].id == market)
			return (int)i;
	return -1;
}

/* Expiry heap: earlier expiry first, then the hash (a fixed order). */
static bool exp_before(const struct stf_expiring *a,
		       const struct stf_expiring *b)
{
	if (a->expiry != b->expiry)
		return a->expiry < b->expiry;
	return memcmp(a->hash.b, b->hash.b, 32) < 0;
}

void stf_exp_push(struct stf_engine *e, uint64_t expiry,
		  const struct cl_hash32 *hash, uint32_t mi)
{
	if (e->n_exp == e->cap_exp) {
		e->cap_exp = e->cap_exp ? 2 * e->cap_exp : 1024;
		e->exp = cl_xrealloc(e->exp, e->cap_exp * sizeof(*e->exp));
	}
	size_t i = e->n_exp++;
	struct stf_expiring x = {expiry, *hash, mi};
	while (i > 0 && exp_before(&x, &e->exp[(i - 1) / 2])) {
		e->exp[i] = e->exp[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	e->exp[i] = x;
}

void stf_exp_pop(struct stf_engine *e)
{
	struct stf_expiring last = e->exp[--e->n_exp];
	size_t i = 0;

	if (e->n_exp == 0)
		return;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= e->n_exp)
			break;
		if (c + 1 < e->n_exp && exp_before(&e->exp[c + 1], &e->exp[c]))
			c++;
		if (!exp_before(&e->exp[c], &last))
			break;
		e->exp[i] = e->exp[c];
		i = c;
	}
	e->exp[i] = last;
}

struct exp_add {
	struct stf_engine *e;
	uint32_t mi;
};

static int exp_add_resting(void *ctx, const struct book_order *o)
{
	struct exp_add *r = ctx;
	stf_exp_push(r->e, o->expiry, &o->hash, r->mi);
	return 0;
}

static void exp_rebuild(struct cl_stf *s)
{
	struct stf_engine *e = s->eng;

	e->n_exp = 0;
	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		struct exp_add r = {e, i};
		if (e->books[i])
			(void)book_foreach(e->books[i], exp_add_resting, &r);
	}
}

void stf_exp_compact(struct cl_stf *s)
{
	size_t resting = 0;

	for (uint32_t i = 0; i < s->g.n_markets; i++)
		resting += book_count(s->eng->books[i]);
	if (s->eng->n_exp > 2 * resting + 4096)
		exp_rebuild(s);
}

void stf_books_free(struct stf_engine *e)
{
	for (uint32_t i = 0; i < CL_GENESIS_MAX_MARKETS; i++) {
		book_free(e->books[i]);
		e->books[i] = NULL;
	}
}

void stf_book_order_from(struct book_order *o, const struct cl_hash32 *h,
			 const struct cl_order_record *r)
{
	memset(o, 0, sizeof(*o));
	o->hash = *h;
	o->owner = r->trader;
	o->market = r->market;
	o->side = r->is_buy ? BOOK_BUY : BOOK_SELL;
	o->price.v = r->price;
	o->size.v = r->size - r->filled;
	o->flags = r->flags;
	o->expiry = r->expiry;
	o->seq = r->sequence + 1; /* the book's sequences start at 1 */
}

void stf_book_commit(struct cl_stf *s, uint32_t mi)
{
	book_commit(s->eng->books[mi], &s->eng->plan);
	s->eng->versions[mi]++;
}

void stf_book_remove(struct cl_stf *s, uint32_t mi,
		     const struct cl_hash32 *hash)
{
	enum book_code bc = book_cancel(s->eng->books[mi], NULL, hash);
	if (bc != BOOK_OK)
		CL_BUG("an open order was not in its book: %s",
		       book_code_str(bc));
	s->eng->versions[mi]++;
}

static struct book *new_book(const struct cl_market_params *m)
{
	struct book_params bp = {
		.market = m->id,
		.tick = m->tick_size,
		.step = m->step_size,
		.min_price = m->tick_size,
		.max_price = UINT64_MAX - UINT64_MAX % m->tick_size,
		.min_size = m->step_size,
		.max_size = m->max_order_size,
	};
	return book_new(&bp);
}

void stf_book_add(struct cl_stf *s, uint32_t mi)
{
	struct stf_engine *e = s->eng;

	CL_REQUIRE(mi < s->g.n_markets);
	if (!e->valid)
		return; /* the rebuild makes it */
	CL_REQUIRE(e->books[mi] == NULL);
	e->books[mi] = new_book(&s->g.markets[mi]);
	e->versions[mi]++;
}

int stf_books_rebuild(struct cl_stf *s)
{
	struct stf_engine *e = s->eng;
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl, restored = 0;
	int rc;

	stf_books_free(e);
	e->valid = false;
	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		e->books[i] = new_book(&s->g.markets[i]);
		e->versions[i]++;
	}
	/* the open-order index (trader ‖ sequence -> hash) lists exactly the
	 * open orders */
	rc = cl_state_iter_new(&it, s->st, CL_TABLE_ORDERS, NULL, 0);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK) {
		struct cl_hash32 h;
		struct cl_order_record r;
		struct book_order o;

		if (kl != OPEN_KEY_LEN)
			continue;
		if (vl != 32) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		memcpy(h.b, v, 32);
		rc = cl_stf_get_order(&view, &r, &h);
		if (rc) {
			if (rc == CL_ERR_NOT_FOUND)
				rc = CL_ERR_CORRUPT;
			break;
		}
		int mi = stf_market_index(&s->g, r.market);
		if (r.status != CL_ORDER_OPEN || mi < 0) {
			cl_broken(SUB, "the open-order index names an order "
				  "that is not open in a known market");
			rc = CL_ERR_CORRUPT;
			break;
		}
		stf_book_order_from(&o, &h, &r);
		enum book_code bc = book_restore(e->books[mi], &o);
		if (bc != BOOK_OK) {
			cl_broken(SUB, "cannot restore an open order: %s",
				  book_code_str(bc));
			rc = CL_ERR_CORRUPT;
			break;
		}
		restored++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc)
		return rc;
	exp_rebuild(s);
	e->valid = true;
	cl_debug(SUB, "order books rebuilt: %zu resting orders", restored);
	return CL_OK;
}
