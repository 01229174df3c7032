/* SPDX-License-Identifier: MIT */
/*
 * Matching engine throughput on books of 1k, 100k and 1M resting orders.
 *
 * Each book is first filled with passive orders spread over many price
 * levels on both sides. Then a fixed mix runs against it: 15% crossing
 * takers (IOC or GTC, each eating a few makers at the top), and otherwise a
 * new passive maker at a random level when the book is at or below its
 * target size, or a cancel of a random live order when above, so the book
 * keeps its size. Every taker is planned and committed; a fill callback
 * that accepts everything stands in for the stf.
 *
 * Usage: bench_matching [ops per book] (default 1000000)
 * The generator is seeded with a constant, so runs are comparable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/matching.h>

#define MID 1000000ULL

static uint64_t rng = 0x5eed;

static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t n)
{
	return next_rand() % n;
}

struct live {
	struct cl_hash32 *h;
	size_t n;
	size_t cap;
};

static void live_add(struct live *l, const struct cl_hash32 *h)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->h = cl_xrealloc(l->h, l->cap * sizeof(*l->h));
	}
	l->h[l->n++] = *h;
}

/* Remove and return a random entry. */
static struct cl_hash32 live_take(struct live *l)
{
	size_t i = (size_t)rnd(l->n);
	struct cl_hash32 h = l->h[i];

	l->h[i] = l->h[--l->n];
	return h;
}

static struct book_order make_order(uint64_t *seq, enum book_side side,
				    uint64_t price, uint64_t size,
				    uint8_t flags)
{
	struct book_order o;

	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < 32; i += 8)
		cl_put_be64(o.hash.b + i, next_rand());
	cl_put_be32(o.owner.b + 16, (uint32_t)rnd(1000));
	o.market = 1;
	o.side = side;
	o.price.v = price;
	o.size.v = size;
	o.flags = flags;
	o.expiry = UINT64_MAX;
	o.seq = ++*seq;
	return o;
}

/* A passive order: bids below MID, asks above, over `levels` levels. */
static struct book_order passive(uint64_t *seq, uint64_t levels)
{
	enum book_side side = rnd(2) ? BOOK_SELL : BOOK_BUY;
	uint64_t off = 1 + rnd(levels);

	return make_order(seq, side, side == BOOK_BUY ? MID - off : MID + off,
			  1 + rnd(10), 0);
}

static enum book_verdict accept_all(void *ctx, uint64_t *allowed,
				    const struct book_candidate *c)
{
	uint64_t *calls = ctx;

	(*calls)++;
	*allowed = c->size.v;
	return BOOK_ACCEPT;
}

static void run(size_t target, uint64_t ops)
{
	struct book_params p = {
	    .market = 1,
	    .tick = 1,
	    .step = 1,
	    .min_price = 1,
	    .max_price = 2 * MID,
	    .min_size = 1,
	    .max_size = 1000000,
	};
	struct book *b = book_new(&p);
	struct book_plan plan;
	struct live live = {0};
	uint64_t seq = 0, calls = 0;
	/* about 20 orders a level */
	uint64_t levels = target / 40 > 10 ? target / 40 : 10;

	book_plan_init(&plan);
	uint64_t t0 = cl_clock_mono_ns();

	while (book_count(b) < target) {
		struct book_order o = passive(&seq, levels);

		if (book_match(b, &plan, &o, accept_all, &calls) != BOOK_OK)
			abort();
		book_commit(b, &plan);
		if (plan.outcome == BOOK_RESTING)
			live_add(&live, &o.hash);
	}
	uint64_t t1 = cl_clock_mono_ns();
	uint64_t n_take = 0, n_make = 0, n_cancel = 0, n_gone = 0;
	uint64_t n_fills = 0;

	for (uint64_t i = 0; i < ops; i++) {
		uint64_t k = rnd(100);

		if (k < 15) {
			/* a taker reaching a few levels past the best */
			enum book_side side = rnd(2) ? BOOK_SELL : BOOK_BUY;
			struct cl_price best;
			enum book_side opp =
			    side == BOOK_BUY ? BOOK_SELL : BOOK_BUY;
			uint64_t px = side == BOOK_BUY ? MID + 1 : MID - 1;

			if (book_best(b, &best, opp))
				px = side == BOOK_BUY ? best.v + rnd(3)
						      : best.v - rnd(3);
			struct book_order o = make_order(
			    &seq, side, px, 1 + rnd(40),
			    (uint8_t)(rnd(2) ? BOOK_IOC << BOOK_FLAG_TIF_SHIFT
					     : 0));
			if (book_match(b, &plan, &o, accept_all, &calls) !=
			    BOOK_OK)
				abort();
			book_commit(b, &plan);
			n_fills += plan.n_fills;
			if (plan.outcome == BOOK_RESTING)
				live_add(&live, &o.hash);
			n_take++;
		} else if (book_count(b) > target && live.n) {
			struct cl_hash32 h = live_take(&live);

			/* orders filled since are simply not found */
			if (book_cancel(b, NULL, &h) == BOOK_OK)
				n_cancel++;
			else
				n_gone++;
		} else {
			struct book_order o = passive(&seq, levels);

			if (book_match(b, &plan, &o, accept_all, &calls) !=
			    BOOK_OK)
				abort();
			book_commit(b, &plan);
			n_fills += plan.n_fills;
			if (plan.outcome == BOOK_RESTING)
				live_add(&live, &o.hash);
			n_make++;
		}
	}
	uint64_t t2 = cl_clock_mono_ns();
	double fill_s = (double)(t1 - t0) / 1e9;
	double run_s = (double)(t2 - t1) / 1e9;

	printf("book %8zu: fill %8zu orders %6.0f k/s | mix %" PRIu64
	       " ops (%" PRIu64 " takers, %" PRIu64 " makers, %" PRIu64
	       " cancels + %" PRIu64 " not found, %" PRIu64
	       " fills) %6.0f k ops/s, %5.0f ns/op,"
	       " %zu resting, %zu+%zu levels\n",
	       target, target, (double)target / fill_s / 1e3, ops, n_take,
	       n_make, n_cancel, n_gone, n_fills, (double)ops / run_s / 1e3,
	       run_s * 1e9 / (double)ops, book_count(b),
	       book_levels(b, BOOK_BUY), book_levels(b, BOOK_SELL));
	book_plan_release(&plan);
	free(live.h);
	book_free(b);
}

int main(int argc, char **argv)
{
	uint64_t ops = 1000000;

	if (argc > 1 && !cl_parse_u64(&ops, argv[1], strlen(argv[1]))) {
		fprintf(stderr, "usage: bench_matching [ops per book]\n");
		return 2;
	}
	run(1000, ops);
	run(100000, ops);
	run(1000000, ops);
	return 0;
}
