/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's order books and expiry heap: rebuilt from the open
 * orders of the committed state, read by RPC threads under books_lock,
 * written by the writer thread. Expired resting orders leave the book
 * when a block opens (seq_sweep_expired).
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

int seq_market_index(const struct cl_genesis *g, uint32_t market)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		if (g->markets[i].id == market)
			return (int)i;
	return -1;
}

/* Expiry heap: earlier expiry first, then the hash (a fixed order). */
static bool exp_before(const struct expiring *a, const struct expiring *b)
{
	if (a->expiry != b->expiry)
		return a->expiry < b->expiry;
	return memcmp(a->hash.b, b->hash.b, 32) < 0;
}

void seq_exp_push(struct cl_seq *s, uint64_t expiry,
		  const struct cl_hash32 *hash, uint32_t mi)
{
	if (s->n_exp == s->cap_exp) {
		s->cap_exp = s->cap_exp ? 2 * s->cap_exp : 1024;
		s->exp = cl_xrealloc(s->exp, s->cap_exp * sizeof(*s->exp));
	}
	size_t i = s->n_exp++;
	struct expiring e = {expiry, *hash, mi};
	while (i > 0 && exp_before(&e, &s->exp[(i - 1) / 2])) {
		s->exp[i] = s->exp[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->exp[i] = e;
}

static void exp_pop(struct cl_seq *s)
{
	struct expiring last = s->exp[--s->n_exp];
	size_t i = 0;

	if (s->n_exp == 0)
		return;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->n_exp)
			break;
		if (c + 1 < s->n_exp && exp_before(&s->exp[c + 1], &s->exp[c]))
			c++;
		if (!exp_before(&s->exp[c], &last))
			break;
		s->exp[i] = s->exp[c];
		i = c;
	}
	s->exp[i] = last;
}

struct exp_rebuild {
	struct cl_seq *s;
	uint32_t mi;
};

static int exp_add_resting(void *ctx, const struct book_order *o)
{
	struct exp_rebuild *r = ctx;
	seq_exp_push(r->s, o->expiry, &o->hash, r->mi);
	return 0;
}

/* The heap from the books alone (drops the entries of orders gone). */
static void exp_rebuild(struct cl_seq *s)
{
	s->n_exp = 0;
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		struct exp_rebuild r = {s, i};
		if (s->books[i])
			(void)book_foreach(s->books[i], exp_add_resting, &r);
	}
}

void seq_books_free(struct cl_seq *s)
{
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		book_free(s->books[i]);
		s->books[i] = NULL;
	}
}

void seq_book_order_from(struct book_order *o, const struct cl_hash32 *h,
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

/* Rebuild every book from the open orders in the committed state. */
int seq_books_rebuild(struct cl_seq *s)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;
	size_t restored = 0;

	seq_books_free(s);
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		const struct cl_market_params *m = &s->genesis.markets[i];
		struct book_params bp = {
			.market = m->id,
			.tick = m->tick_size,
			.step = m->step_size,
			.min_price = m->tick_size,
			.max_price = UINT64_MAX - UINT64_MAX % m->tick_size,
			.min_size = m->step_size,
			.max_size = m->max_order_size,
		};
		s->books[i] = book_new(&bp);
	}
	rc = cl_state_iter_new(&it, s->st, CL_TABLE_ORDERS, NULL, 0);
	if (rc)
		return rc;
	struct cl_stf_view view = cl_stf_view(s->stf);
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK) {
		struct cl_hash32 h;
		struct cl_order_record r;
		if (kl != 32)
			continue;
		memcpy(h.b, k, 32);
		rc = cl_stf_get_order(&view, &r, &h);
		if (rc)
			break;
		if (r.status != CL_ORDER_OPEN)
			continue;
		int mi = seq_market_index(&s->genesis, r.market);
		if (mi < 0) {
			cl_broken(SUB, "open order in unknown market %u",
				  r.market);
			continue;
		}
		struct book_order o;
		seq_book_order_from(&o, &h, &r);
		enum book_code bc = book_restore(s->books[mi], &o);
		if (bc != BOOK_OK)
			cl_broken(SUB, "cannot restore an open order: %s",
				  book_code_str(bc));
		else
			restored++;
	}
	cl_state_iter_free(it);
	if (rc != CL_ERR_NOT_FOUND && rc != CL_OK)
		return rc;
	exp_rebuild(s);
	cl_info(SUB, "order books rebuilt: %zu resting orders", restored);
	return CL_OK;
}

void seq_books_cancel(struct cl_seq *s, uint32_t market,
		      const struct cl_hash32 *order)
{
	int mi = seq_market_index(&s->genesis, market);
	if (mi < 0)
		return;
	pthread_rwlock_wrlock(&s->books_lock);
	enum book_code bc = book_cancel(s->books[mi], NULL, order);
	pthread_rwlock_unlock(&s->books_lock);
	if (bc != BOOK_OK)
		cl_broken(SUB, "cancelled order was not resting: %s",
			  book_code_str(bc));
}

size_t cl_seq_book_depth(struct cl_seq *s, struct book_level *out,
			 size_t max, uint32_t market, enum book_side side)
{
	int mi = seq_market_index(&s->genesis, market);
	if (mi < 0)
		return 0;
	pthread_rwlock_rdlock(&s->books_lock);
	size_t n = book_depth(s->books[mi], out, max, side);
	pthread_rwlock_unlock(&s->books_lock);
	return n;
}

/*
 * Resting orders that expired leave the book when a block opens: an
 * ORDER_DONE (expired) each, in expiry order, as far as the block has
 * room. (A taker that meets one first closes it the same way.)
 */
int seq_sweep_expired(struct cl_seq *s)
{
	size_t closed = 0, resting = 0;
	int rc = 0;

	while (s->n_exp > 0 &&
	       s->exp[0].expiry * 1000 <= s->hdr.timestamp_ms &&
	       !seq_block_full(s)) {
		struct expiring e = s->exp[0];
		struct book_order o;

		exp_pop(s);
		if (!book_get(s->books[e.mi], &o, &e.hash) ||
		    o.expiry != e.expiry)
			continue; /* it left the book already */
		rc = seq_apply_done(s, &e.hash, CL_DONE_EXPIRED);
		if (rc < 0)
			return rc;
		pthread_rwlock_wrlock(&s->books_lock);
		enum book_code bc = book_cancel(s->books[e.mi], NULL, &e.hash);
		pthread_rwlock_unlock(&s->books_lock);
		CL_REQUIRE(bc == BOOK_OK); /* book_get found it */
		if (rc > 0)
			return CL_ERR_CORRUPT; /* logged as broken */
		closed++;
	}
	if (closed)
		cl_info(SUB, "%zu expired orders left the book", closed);
	/* entries of filled and cancelled orders wait for their expiry:
	 * start again from the books when they are most of the heap */
	for (uint32_t i = 0; i < s->genesis.n_markets; i++)
		resting += book_count(s->books[i]);
	if (s->n_exp > 2 * resting + 4096)
		exp_rebuild(s);
	return 0;
}
