/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the matching tests: building orders with readable ids,
 * submitting them, and comparing two books order by order.
 */
#ifndef CLEARLINE_TEST_BOOK_UTIL_H
#define CLEARLINE_TEST_BOOK_UTIL_H

#include <string.h>

#include <clearline/matching.h>

#include "test.h"

#define TEST_MARKET 7

static uint64_t util_next_seq = 1;

static inline struct book_params util_params(void)
{
	struct book_params p = {
	    .market = TEST_MARKET,
	    .tick = 1,
	    .step = 1,
	    .min_price = 1,
	    .max_price = 1000000000,
	    .min_size = 1,
	    .max_size = 1000000000,
	};
	return p;
}

/* Order id n as a hash: big-endian n in bytes 0..7 and 24..31. */
static inline struct cl_hash32 util_hash(uint64_t n)
{
	struct cl_hash32 h;

	memset(&h, 0, sizeof(h));
	cl_put_be64(h.b, n);
	cl_put_be64(h.b + 24, n);
	h.b[12] = 0xab;
	return h;
}

static inline uint64_t util_hash_id(const struct cl_hash32 *h)
{
	return cl_get_be64(h->b);
}

static inline struct cl_address util_owner(unsigned n)
{
	struct cl_address a;

	memset(&a, 0, sizeof(a));
	a.b[19] = (uint8_t)n;
	a.b[0] = 0x11;
	return a;
}

static inline unsigned util_owner_id(const struct cl_address *a)
{
	return a->b[19];
}

static inline uint8_t util_tif(unsigned tif)
{
	return (uint8_t)(tif << BOOK_FLAG_TIF_SHIFT);
}

/* An order with id `id`, the next sequence number and the test market. */
static inline struct book_order util_order(uint64_t id, unsigned owner,
					   enum book_side side, uint64_t price,
					   uint64_t size, uint8_t flags)
{
	struct book_order o;

	memset(&o, 0, sizeof(o));
	o.hash = util_hash(id);
	o.owner = util_owner(owner);
	o.market = TEST_MARKET;
	o.side = side;
	o.price.v = price;
	o.size.v = size;
	o.flags = flags;
	o.expiry = 2000000000;
	o.seq = util_next_seq++;
	return o;
}

/* Match and commit; returns the match code (the plan keeps the result). */
static inline enum book_code util_submit(struct book *b, struct book_plan *plan,
					 const struct book_order *o,
					 book_fill_fn fn, void *ctx)
{
	enum book_code c = book_match(b, plan, o, fn, ctx);

	if (c == BOOK_OK)
		book_commit(b, plan);
	CHECK(book_check_invariants(b));
	return c;
}

/* Snapshot of a book through book_foreach(). */
struct util_snap {
	struct book_order *o;
	size_t n;
	size_t cap;
};

static inline int util_snap_cb(void *ctx, const struct book_order *o)
{
	struct util_snap *s = ctx;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->o = cl_xrealloc(s->o, s->cap * sizeof(*s->o));
	}
	s->o[s->n++] = *o;
	return 0;
}

static inline void util_snap(struct util_snap *s, const struct book *b)
{
	s->n = 0;
	int rc = book_foreach(b, util_snap_cb, s);

	CHECK(rc == 0);
}

static inline void util_snap_free(struct util_snap *s)
{
	free(s->o);
	memset(s, 0, sizeof(*s));
}

static inline bool util_order_eq(const struct book_order *a,
				 const struct book_order *b)
{
	return memcmp(a->hash.b, b->hash.b, 32) == 0 &&
	       memcmp(a->owner.b, b->owner.b, 20) == 0 &&
	       a->market == b->market && a->side == b->side &&
	       a->price.v == b->price.v && a->size.v == b->size.v &&
	       a->flags == b->flags && a->expiry == b->expiry &&
	       a->seq == b->seq;
}

/* Same orders in the same order, and the same depth on both sides. */
static inline bool util_books_equal(const struct book *x, const struct book *y)
{
	struct util_snap sx = {0}, sy = {0};
	bool eq = true;

	util_snap(&sx, x);
	util_snap(&sy, y);
	if (sx.n != sy.n)
		eq = false;
	for (size_t i = 0; eq && i < sx.n; i++)
		eq = util_order_eq(&sx.o[i], &sy.o[i]);
	util_snap_free(&sx);
	util_snap_free(&sy);

	for (int side = 0; eq && side < 2; side++) {
		struct book_level lx[64], ly[64];
		size_t nx = book_depth(x, lx, 64, (enum book_side)side);
		size_t ny = book_depth(y, ly, 64, (enum book_side)side);

		if (nx != ny)
			return false;
		for (size_t i = 0; i < nx; i++) {
			if (lx[i].price.v != ly[i].price.v ||
			    lx[i].size.v != ly[i].size.v ||
			    lx[i].orders != ly[i].orders)
				return false;
		}
	}
	return eq && book_count(x) == book_count(y);
}

/* Short names the tests use. */
#define BUY BOOK_BUY
#define SELL BOOK_SELL
#define GTC 0
#define IOC ((uint8_t)(BOOK_IOC << BOOK_FLAG_TIF_SHIFT))
#define FOK ((uint8_t)(BOOK_FOK << BOOK_FLAG_TIF_SHIFT))
#define POST BOOK_FLAG_POST_ONLY
#define REDUCE BOOK_FLAG_REDUCE_ONLY

/* An empty book with util_params(). */
static inline struct book *util_new_book(void)
{
	struct book_params p = util_params();

	return book_new(&p);
}

/* Place a resting maker; checks that it rests untouched. */
static inline void util_rest(struct book *b, uint64_t id, unsigned owner,
			     enum book_side side, uint64_t price,
			     uint64_t size)
{
	struct book_plan plan;
	struct book_order o = util_order(id, owner, side, price, size, GTC);

	book_plan_init(&plan);
	CHECK(util_submit(b, &plan, &o, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_RESTING);
	CHECK(plan.n_fills == 0);
	book_plan_release(&plan);
}

/* What is left of order `id` on the book (0: not resting). */
static inline uint64_t util_remaining(const struct book *b, uint64_t id)
{
	struct book_order o;
	struct cl_hash32 h = util_hash(id);

	return book_get(b, &o, &h) ? o.size.v : 0;
}

#endif /* CLEARLINE_TEST_BOOK_UTIL_H */
