/* SPDX-License-Identifier: MIT */
/*
 * The book against a naive reference: a flat array of resting orders,
 * scanned linearly for every decision, with the rules written down as
 * directly as possible. Both run the same operations with the same fill
 * callback; after every step the results (code, outcome, fills, cancels,
 * callback calls) and the resulting books (depth, best prices, counts, the
 * full ordered list) must agree.
 *
 * Part 1 enumerates every sequence of a few operations over a tiny universe
 * (two price levels a side, sizes 1-2, few owners, all flag values,
 * cancels). Part 2 is a long seeded random run over a larger universe,
 * with discarded plans, duplicate submissions and periodic rebuilds of the
 * book from a snapshot. Set CL_TEST_DEPTH to deepen part 1.
 */
#include "book_util.h"

#define MAXN 1024 /* resting orders in the reference */
#define MAXF 1024 /* fills, cancels or callback calls in one step */

/* ------------------------------------------------------------------ */
/* The fill callback both sides use                                    */
/* ------------------------------------------------------------------ */

/*
 * A fixed policy standing in for the stf:
 *  - owner 2 is short of margin: as a maker it gives at most size - 1 and
 *    is then cancelled; as a taker it may fill 1 in total, then stops;
 *  - a reduce-only maker gives at most size - 1 and stays;
 *  - a reduce-only taker may fill 2 in total, then stops.
 * A taker that reaches its limit is stopped with that last fill.
 * Every call is logged so the two sides can be compared call by call.
 */
struct call {
	uint64_t maker;
	uint64_t maker_size;
	uint64_t size;
	uint64_t price;
	uint64_t filled;
};

struct policy {
	struct call log[MAXF];
	size_t n;
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static enum book_verdict policy_fn(void *ctx, uint64_t *allowed,
				   const struct book_candidate *c)
{
	struct policy *p = ctx;
	const struct book_order *m = c->maker;
	const struct book_order *t = c->taker;
	uint64_t a = c->size.v;
	enum book_verdict v = BOOK_ACCEPT;

	if (p->n < MAXF) {
		struct call *l = &p->log[p->n];

		l->maker = util_hash_id(&m->hash);
		l->maker_size = m->size.v;
		l->size = c->size.v;
		l->price = c->price.v;
		l->filled = c->taker_filled.v;
	}
	p->n++;

	if (util_owner_id(&m->owner) == 2) {
		a = min_u64(a, m->size.v - 1);
		v = BOOK_CANCEL_MAKER;
	} else if (m->flags & BOOK_FLAG_REDUCE_ONLY) {
		a = min_u64(a, m->size.v - 1);
	}
	uint64_t cap = UINT64_MAX;

	if (util_owner_id(&t->owner) == 2)
		cap = 1;
	if (t->flags & BOOK_FLAG_REDUCE_ONLY)
		cap = min_u64(cap, 2);
	if (cap != UINT64_MAX) {
		if (c->taker_filled.v >= cap) {
			*allowed = 0;
			return BOOK_STOP_TAKER;
		}
		a = min_u64(a, cap - c->taker_filled.v);
		/* the stop comes with the last unit the taker may take */
		if (c->taker_filled.v + a == cap)
			v = BOOK_STOP_TAKER;
	}
	*allowed = a;
	return v;
}

/* ------------------------------------------------------------------ */
/* The reference book                                                  */
/* ------------------------------------------------------------------ */

struct ref {
	struct book_params params;
	struct book_order o[MAXN];
	size_t n;
};

struct result {
	enum book_code code;
	enum book_outcome outcome;
	uint64_t filled;
	uint64_t remaining;
	struct book_fill fills[MAXF];
	size_t n_fills;
	struct book_cancel cancels[MAXF];
	size_t n_cancels;
};

static bool same_hash(const struct cl_hash32 *a, const struct cl_hash32 *b)
{
	return memcmp(a->b, b->b, 32) == 0;
}

static bool same_owner(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, 20) == 0;
}

static long ref_find(const struct ref *r, const struct cl_hash32 *h)
{
	for (size_t i = 0; i < r->n; i++) {
		if (same_hash(&r->o[i].hash, h))
			return (long)i;
	}
	return -1;
}

static void ref_remove(struct ref *r, size_t i)
{
	r->o[i] = r->o[--r->n];
}

static bool crosses(const struct book_order *t, const struct book_order *m)
{
	if (m->side == t->side)
		return false;
	if (t->side == BOOK_BUY)
		return m->price.v <= t->price.v;
	return m->price.v >= t->price.v;
}

/* Is m ahead of n in the queue of their (common) side? */
static bool ahead(const struct book_order *m, const struct book_order *n)
{
	if (m->price.v != n->price.v) {
		if (m->side == BOOK_BUY)
			return m->price.v > n->price.v;
		return m->price.v < n->price.v;
	}
	return m->seq < n->seq;
}

static enum book_code ref_validate(const struct ref *r,
				   const struct book_order *t)
{
	const struct book_params *p = &r->params;
	unsigned tif = (t->flags >> 2) & 3;

	if (t->market != p->market)
		return BOOK_ERR_MARKET;
	if ((t->flags & 0xf0) || tif == 3)
		return BOOK_ERR_FLAGS;
	if ((t->flags & BOOK_FLAG_POST_ONLY) && tif != 0)
		return BOOK_ERR_FLAGS;
	if (t->price.v == 0)
		return BOOK_ERR_PRICE_ZERO;
	if (t->price.v % p->tick)
		return BOOK_ERR_PRICE_TICK;
	if (t->price.v < p->min_price || t->price.v > p->max_price)
		return BOOK_ERR_PRICE_RANGE;
	if (t->size.v == 0)
		return BOOK_ERR_SIZE_ZERO;
	if (t->size.v % p->step)
		return BOOK_ERR_SIZE_STEP;
	if (t->size.v < p->min_size || t->size.v > p->max_size)
		return BOOK_ERR_SIZE_RANGE;
	if (ref_find(r, &t->hash) >= 0)
		return BOOK_ERR_DUPLICATE;
	return BOOK_OK;
}

/*
 * Match `t` against a scratch copy of the reference; the copy becomes the
 * new reference only if `commit` is set.
 */
static void ref_match(struct ref *r, struct result *res,
		      const struct book_order *t, struct policy *pol,
		      bool commit)
{
	static struct ref w;
	unsigned tif = (t->flags >> 2) & 3;

	res->n_fills = 0;
	res->n_cancels = 0;
	res->filled = 0;
	res->remaining = 0;
	res->outcome = BOOK_FILLED;
	res->code = ref_validate(r, t);
	if (res->code != BOOK_OK)
		return;
	res->remaining = t->size.v;

	if (t->flags & BOOK_FLAG_POST_ONLY) {
		res->outcome = BOOK_RESTING;
		for (size_t i = 0; i < r->n; i++) {
			if (crosses(t, &r->o[i]))
				res->outcome = BOOK_REJECTED_POST_ONLY;
		}
		if (res->outcome == BOOK_RESTING && commit) {
			r->o[r->n++] = *t;
		}
		return;
	}

	w.params = r->params;
	w.n = r->n;
	memcpy(w.o, r->o, r->n * sizeof(w.o[0]));
	bool visited[MAXN] = {false};
	uint64_t left = t->size.v;
	bool stopped = false;

	while (left > 0 && !stopped) {
		long best = -1;

		for (size_t i = 0; i < w.n; i++) {
			if (visited[i] || !crosses(t, &w.o[i]))
				continue;
			if (best < 0 || ahead(&w.o[i], &w.o[best]))
				best = (long)i;
		}
		if (best < 0)
			break;
		visited[best] = true;
		struct book_order *m = &w.o[best];

		if (same_owner(&m->owner, &t->owner)) {
			struct book_cancel *c = &res->cancels[res->n_cancels++];

			c->maker = m->hash;
			c->maker_owner = m->owner;
			c->size = m->size;
			c->reason = BOOK_CANCEL_SELF_TRADE;
			c->after_fills = res->n_fills;
			m->size.v = 0;
			continue;
		}

		struct book_candidate cand = {
		    .maker = m,
		    .taker = t,
		    .price = m->price,
		    .size.v = min_u64(m->size.v, left),
		    .taker_filled.v = t->size.v - left,
		};
		uint64_t allowed = 0;
		enum book_verdict v = policy_fn(pol, &allowed, &cand);

		CHECK(allowed <= cand.size.v);
		if (allowed > 0) {
			struct book_fill *f = &res->fills[res->n_fills++];

			f->maker = m->hash;
			f->taker = t->hash;
			f->maker_owner = m->owner;
			f->price = m->price;
			f->size.v = allowed;
			f->maker_done = allowed == m->size.v;
			m->size.v -= allowed;
			left -= allowed;
		}
		if (v == BOOK_CANCEL_MAKER && m->size.v > 0) {
			struct book_cancel *c = &res->cancels[res->n_cancels++];

			c->maker = m->hash;
			c->maker_owner = m->owner;
			c->size = m->size;
			c->reason = BOOK_CANCEL_CALLBACK;
			c->after_fills = res->n_fills;
			m->size.v = 0;
		}
		if (v == BOOK_STOP_TAKER)
			stopped = true;
	}

	/* Orders reduced to nothing leave the book. visited[] is not used
	 * after this, so the order of the array may change. */
	for (size_t i = w.n; i-- > 0;) {
		if (w.o[i].size.v == 0)
			ref_remove(&w, i);
	}

	res->filled = t->size.v - left;
	res->remaining = left;
	if (tif == 2 && left > 0) {
		/* fill or kill: as if nothing had happened */
		res->outcome = BOOK_REJECTED_FOK;
		res->filled = 0;
		res->remaining = t->size.v;
		res->n_fills = 0;
		res->n_cancels = 0;
		return;
	}

	bool still_crossed = false;

	for (size_t i = 0; i < w.n; i++) {
		if (crosses(t, &w.o[i]))
			still_crossed = true;
	}
	if (left == 0)
		res->outcome = BOOK_FILLED;
	else if (stopped)
		res->outcome = BOOK_CANCELLED_STOPPED;
	else if (tif == 1)
		res->outcome = BOOK_CANCELLED_IOC;
	else if (still_crossed)
		res->outcome = BOOK_CANCELLED_CROSSING;
	else
		res->outcome = BOOK_RESTING;

	if (!commit)
		return;
	r->n = w.n;
	memcpy(r->o, w.o, w.n * sizeof(r->o[0]));
	if (res->outcome == BOOK_RESTING) {
		r->o[r->n] = *t;
		r->o[r->n].size.v = left;
		r->n++;
	}
}

static enum book_code ref_cancel(struct ref *r, const struct cl_hash32 *h)
{
	long i = ref_find(r, h);

	if (i < 0)
		return BOOK_ERR_NOT_FOUND;
	ref_remove(r, (size_t)i);
	return BOOK_OK;
}

/* The reference's orders in book_foreach() order. */
static int cmp_priority(const void *a, const void *b)
{
	const struct book_order *x = a, *y = b;

	if (x->side != y->side)
		return x->side == BOOK_BUY ? -1 : 1;
	if (ahead(x, y))
		return -1;
	if (ahead(y, x))
		return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Comparison                                                          */
/* ------------------------------------------------------------------ */

static unsigned mismatches;

/* Like CHECK (the condition is evaluated once), also counting failures
 * so a failing sequence can be printed. */
#define AGREE(cond)                             \
	do {                                    \
		bool agree_ = (cond);           \
		CHECK_MSG(agree_, "%s", #cond); \
		if (!agree_)                    \
			mismatches++;           \
	} while (0)

static void compare_result(const struct result *res, enum book_code code,
			   const struct book_plan *plan,
			   const struct policy *pb, const struct policy *pr)
{
	AGREE(res->code == code);
	if (res->code != code || code != BOOK_OK)
		return;
	AGREE(res->outcome == plan->outcome);
	AGREE(res->filled == plan->filled.v);
	AGREE(res->remaining == plan->remaining.v);
	AGREE(res->n_fills == plan->n_fills);
	AGREE(res->n_cancels == plan->n_cancels);
	for (size_t i = 0; i < res->n_fills && i < plan->n_fills; i++) {
		const struct book_fill *x = &res->fills[i];
		const struct book_fill *y = &plan->fills[i];

		AGREE(same_hash(&x->maker, &y->maker));
		AGREE(same_hash(&x->taker, &y->taker));
		AGREE(same_owner(&x->maker_owner, &y->maker_owner));
		AGREE(x->price.v == y->price.v);
		AGREE(x->size.v == y->size.v);
		AGREE(x->maker_done == y->maker_done);
	}
	for (size_t i = 0; i < res->n_cancels && i < plan->n_cancels; i++) {
		const struct book_cancel *x = &res->cancels[i];
		const struct book_cancel *y = &plan->cancels[i];

		AGREE(same_hash(&x->maker, &y->maker));
		AGREE(same_owner(&x->maker_owner, &y->maker_owner));
		AGREE(x->size.v == y->size.v);
		AGREE(x->reason == y->reason);
		AGREE(x->after_fills == y->after_fills);
	}
	/* The book may reject a FOK before asking the callback. */
	if (plan->outcome == BOOK_REJECTED_FOK)
		return;
	AGREE(pb->n == pr->n);
	for (size_t i = 0; i < pb->n && i < pr->n && i < MAXF; i++)
		AGREE(memcmp(&pb->log[i], &pr->log[i], sizeof(struct call)) ==
		      0);
}

/* The reference's orders sorted into book_foreach() order. */
static size_t ref_sorted(const struct ref *r, struct book_order *out)
{
	memcpy(out, r->o, r->n * sizeof(*out));
	qsort(out, r->n, sizeof(*out), cmp_priority);
	return r->n;
}

static void compare_depth(const struct book *b, const struct ref *r)
{
	static struct book_order sorted[MAXN];
	size_t n = ref_sorted(r, sorted);
	size_t i = 0;

	for (int s = 0; s < 2; s++) {
		enum book_side side = (enum book_side)s;
		struct book_level lv[MAXN];
		size_t nl = book_depth(b, lv, MAXN, side);
		size_t levels = 0, count = 0;

		AGREE(nl == book_levels(b, side));
		/* sorted: this side's orders come next, best level first */
		while (i < n && sorted[i].side == side) {
			uint64_t price = sorted[i].price.v;
			uint64_t size = 0;
			uint32_t orders = 0;

			for (; i < n && sorted[i].side == side &&
			       sorted[i].price.v == price;
			     i++) {
				size += sorted[i].size.v;
				orders++;
			}
			if (levels < nl) {
				AGREE(lv[levels].price.v == price);
				AGREE(lv[levels].size.v == size);
				AGREE(lv[levels].orders == orders);
			}
			levels++;
			count += orders;
		}
		AGREE(nl == levels);
		AGREE(book_count_side(b, side) == count);

		struct cl_price best;
		bool has = book_best(b, &best, side);

		AGREE(has == (levels > 0));
		if (has && nl)
			AGREE(best.v == lv[0].price.v);
	}
	AGREE(book_count(b) == r->n);
}

/* Counts and best prices only: a cheap check for every step. */
static void compare_top(const struct book *b, const struct ref *r)
{
	size_t count[2] = {0, 0};
	bool has[2] = {false, false};
	uint64_t best[2] = {0, 0};

	for (size_t i = 0; i < r->n; i++) {
		const struct book_order *o = &r->o[i];
		int s = o->side;

		count[s]++;
		if (!has[s] || (o->side == BOOK_BUY ? o->price.v > best[s]
						    : o->price.v < best[s]))
			best[s] = o->price.v;
		has[s] = true;
	}
	for (int s = 0; s < 2; s++) {
		struct cl_price p;

		AGREE(book_best(b, &p, (enum book_side)s) == has[s]);
		AGREE(p.v == best[s]);
		AGREE(book_count_side(b, (enum book_side)s) == count[s]);
	}
}

static void compare_all(const struct book *b, const struct ref *r)
{
	static struct book_order sorted[MAXN];
	struct util_snap s = {0};

	compare_depth(b, r);
	ref_sorted(r, sorted);
	util_snap(&s, b);
	AGREE(s.n == r->n);
	for (size_t i = 0; i < s.n && i < r->n; i++)
		AGREE(util_order_eq(&s.o[i], &sorted[i]));
	util_snap_free(&s);

	for (size_t i = 0; i < r->n; i++) {
		struct book_order o;

		AGREE(book_get(b, &o, &r->o[i].hash));
		AGREE(util_order_eq(&o, &r->o[i]));
	}
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

struct op {
	bool cancel;
	uint64_t target; /* cancel: the id to cancel */
	enum book_side side;
	uint64_t price;
	uint64_t size;
	unsigned owner;
	uint8_t flags;
};

struct world {
	struct book *b;
	struct ref r;
	struct book_plan plan;
	struct result res;
	struct policy pb;
	struct policy pr;
	uint64_t next_id;
	uint64_t next_seq;
};

static void world_init(struct world *w, const struct book_params *p)
{
	w->b = book_new(p);
	w->r.params = *p;
	w->r.n = 0;
	book_plan_init(&w->plan);
	w->next_id = 1;
	w->next_seq = 1;
}

static void world_release(struct world *w)
{
	book_plan_release(&w->plan);
	book_free(w->b);
	w->b = NULL;
}

/* Submit (or cancel) on both; commit unless `discard`. */
static void world_apply(struct world *w, const struct op *op, bool discard,
			bool check)
{
	if (op->cancel) {
		struct cl_hash32 h = util_hash(op->target);
		enum book_code cb = book_cancel(w->b, NULL, &h);
		enum book_code cr = ref_cancel(&w->r, &h);

		if (check)
			AGREE(cb == cr);
		return;
	}

	struct book_order t;

	memset(&t, 0, sizeof(t));
	t.hash = util_hash(w->next_id++);
	t.owner = util_owner(op->owner);
	t.market = TEST_MARKET;
	t.side = op->side;
	t.price.v = op->price;
	t.size.v = op->size;
	t.flags = op->flags;
	t.expiry = 1;
	t.seq = w->next_seq++;

	w->pb.n = 0;
	w->pr.n = 0;
	enum book_code code = book_match(w->b, &w->plan, &t, policy_fn, &w->pb);

	ref_match(&w->r, &w->res, &t, &w->pr, !discard);
	if (check)
		compare_result(&w->res, code, &w->plan, &w->pb, &w->pr);
	if (code != BOOK_OK)
		return;
	if (discard)
		book_discard(&w->plan);
	else
		book_commit(w->b, &w->plan);
}

/* ------------------------------------------------------------------ */
/* Part 1: exhaustive                                                  */
/* ------------------------------------------------------------------ */

static struct op *alphabet_small;
static size_t n_small;
static struct op *alphabet_full;
static size_t n_full;
static struct op *alphabet_first;
static size_t n_first;
static struct op *alphabet_valid;
static size_t n_valid;

static void add_op(struct op **v, size_t *n, const struct op *op)
{
	*v = cl_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *op;
}

/*
 * small: GTC orders with three owners (so the callback's margin rules
 * come into play); full: two owners and every flag value 0..15 (invalid
 * ones included); valid: the same without the invalid flag values; first:
 * what can differ as the first order on an empty book (GTC with or without
 * post-only and reduce-only, and one IOC).
 */
static void add_shape(enum book_side side, uint64_t price, uint64_t size)
{
	struct op op = {.side = side, .price = price, .size = size};

	for (op.owner = 0; op.owner < 3; op.owner++)
		add_op(&alphabet_small, &n_small, &op);
	for (op.owner = 0; op.owner < 2; op.owner++) {
		for (unsigned flags = 0; flags < 16; flags++) {
			op.flags = (uint8_t)flags;
			add_op(&alphabet_full, &n_full, &op);
			if ((flags & 0x0c) != 0x0c &&
			    !((flags & 2) && (flags & 0x0c)))
				add_op(&alphabet_valid, &n_valid, &op);
			if ((flags & 0x0c) == 0 ||
			    (flags == 0x04 && op.owner == 0 && size == 1))
				add_op(&alphabet_first, &n_first, &op);
		}
	}
}

static void build_alphabets(void)
{
	/* two sides x prices 1, 2 x sizes 1, 2 */
	for (unsigned i = 0; i < 8; i++)
		add_shape(i & 1 ? BOOK_SELL : BOOK_BUY, 1 + (i >> 1 & 1),
			  1 + (i >> 2 & 1));
}

struct enumeration {
	const struct book_params *params;
	unsigned depth;
	/* plan (and discard) the ops of the last position instead of
	 * replaying the whole sequence for each of them */
	bool plan_last;
	/* alphabet per position; cancels are added at every position */
	const struct op *alpha[8];
	size_t n_alpha[8];
	struct op seq[8];
	uint64_t runs;
};

static void print_sequence(const struct enumeration *e, unsigned len)
{
	fprintf(stderr, "sequence:");
	for (unsigned i = 0; i < len; i++) {
		const struct op *op = &e->seq[i];

		if (op->cancel)
			fprintf(stderr, " cancel#%" PRIu64, op->target);
		else
			fprintf(stderr, " %s%" PRIu64 "x%" PRIu64 "/o%u/f%u",
				op->side == BOOK_BUY ? "B" : "S", op->price,
				op->size, op->owner, op->flags);
	}
	fprintf(stderr, "\n");
}

static void note_failure(const struct enumeration *e, unsigned len)
{
	if (mismatches && mismatches < 4) {
		print_sequence(e, len);
		mismatches = 4; /* print only the first failing sequence */
	}
}

/*
 * Replay seq[0..len) on fresh books and compare everything after the last
 * step. Then plan each op of tail[0..n_tail) on that state, compare the
 * plan and discard it (the book must not change).
 */
static void run(struct enumeration *e, unsigned len, const struct op *tail,
		size_t n_tail)
{
	static struct world *w;

	if (!w)
		w = cl_xmalloc(sizeof(*w));
	world_init(w, e->params);
	for (unsigned i = 0; i < len; i++)
		world_apply(w, &e->seq[i], false, i + 1 == len);
	compare_all(w->b, &w->r);
	AGREE(book_check_invariants(w->b));
	e->runs++;
	note_failure(e, len);

	for (size_t i = 0; i < n_tail; i++) {
		uint64_t v = book_version(w->b);

		e->seq[len] = tail[i];
		world_apply(w, &tail[i], true, true);
		AGREE(book_version(w->b) == v);
		e->runs++;
		note_failure(e, len + 1);
	}
	world_release(w);
}

static void enumerate(struct enumeration *e, unsigned pos)
{
	/* the second bound is the arrays' size, which gcc -O3 cannot see
	 * in depth (at most 8, checked where it is set) */
	if (pos == e->depth || pos >= CL_ARRAY_LEN(e->seq))
		return;
	if (e->plan_last && pos + 1 == e->depth) {
		run(e, pos, e->alpha[pos], e->n_alpha[pos]);
	} else {
		for (size_t i = 0; i < e->n_alpha[pos]; i++) {
			e->seq[pos] = e->alpha[pos][i];
			run(e, pos + 1, NULL, 0);
			enumerate(e, pos + 1);
		}
	}
	/* cancel any order placed so far (ids are 1 + submit index) */
	uint64_t placed = 0;

	for (unsigned i = 0; i < pos; i++)
		placed += !e->seq[i].cancel;
	for (uint64_t id = 1; id <= placed; id++) {
		struct op op = {.cancel = true, .target = id};

		e->seq[pos] = op;
		run(e, pos + 1, NULL, 0);
		enumerate(e, pos + 1);
	}
}

static void test_exhaustive(unsigned extra)
{
	struct book_params p = util_params();

	p.max_price = 2;
	p.max_size = 2;
	build_alphabets();

	/* all sequences of GTC orders and cancels */
	struct enumeration e1 = {.params = &p, .depth = 4 + extra};

	for (unsigned i = 0; i < 8; i++) {
		e1.alpha[i] = alphabet_small;
		e1.n_alpha[i] = n_small;
	}
	enumerate(&e1, 0);
	printf("exhaustive gtc: %" PRIu64 " sequences\n", e1.runs);

	/* every valid flag combination in the middle, every flag value at
	 * the end (planned, compared and discarded) */
	struct enumeration e2 = {
	    .params = &p, .depth = 3 + extra, .plan_last = true};

	e2.alpha[0] = alphabet_first;
	e2.n_alpha[0] = n_first;
	for (unsigned i = 1; i < 8; i++) {
		e2.alpha[i] = alphabet_valid;
		e2.n_alpha[i] = n_valid;
	}
	e2.alpha[e2.depth - 1] = alphabet_full;
	e2.n_alpha[e2.depth - 1] = n_full;
	enumerate(&e2, 0);
	printf("exhaustive flags: %" PRIu64 " sequences\n", e2.runs);

	free(alphabet_small);
	free(alphabet_full);
	free(alphabet_first);
	free(alphabet_valid);
}

/* ------------------------------------------------------------------ */
/* Part 2: seeded random run                                           */
/* ------------------------------------------------------------------ */

static uint64_t rnd(uint64_t n)
{
	return test_rand() % n;
}

static int rebuild_cb(void *ctx, const struct book_order *o)
{
	struct util_snap *s = ctx;

	return util_snap_cb(s, o);
}

/* Replace the book by one restored from its snapshot, in one of three
 * orders; it must be equal and behave the same from now on. */
static void rebuild(struct world *w)
{
	struct util_snap s = {0};
	int how = (int)rnd(3);

	CHECK(book_foreach(w->b, rebuild_cb, &s) == 0);
	if (how == 1) {
		for (size_t i = 0; i < s.n / 2; i++) {
			struct book_order t = s.o[i];

			s.o[i] = s.o[s.n - 1 - i];
			s.o[s.n - 1 - i] = t;
		}
	} else if (how == 2) {
		for (size_t i = s.n; i > 1; i--) {
			size_t j = (size_t)rnd(i);
			struct book_order t = s.o[i - 1];

			s.o[i - 1] = s.o[j];
			s.o[j] = t;
		}
	}

	struct book *nb = book_new(book_params(w->b));

	for (size_t i = 0; i < s.n; i++)
		AGREE(book_restore(nb, &s.o[i]) == BOOK_OK);
	AGREE(util_books_equal(w->b, nb));
	AGREE(book_check_invariants(nb));
	book_free(w->b);
	w->b = nb;
	util_snap_free(&s);
}

static void test_random(uint64_t steps)
{
	struct book_params p = util_params();

	p.tick = 2;
	p.min_price = 2;
	p.max_price = 40;
	p.step = 1;
	p.max_size = 8;

	struct world *w = cl_xmalloc(sizeof(*w));
	uint64_t stats[8] = {0};

	world_init(w, &p);
	for (uint64_t step = 0; step < steps; step++) {
		uint64_t k = rnd(100);
		struct op op;

		memset(&op, 0, sizeof(op));
		if (k < 15 || (w->r.n > 150 && k < 60)) {
			op.cancel = true;
			if (w->r.n && rnd(5))
				op.target =
				    util_hash_id(&w->r.o[rnd(w->r.n)].hash);
			else
				op.target = 1 + rnd(w->next_id);
			world_apply(w, &op, false, true);
			stats[0]++;
		} else if (k < 17 && w->r.n) {
			/* resubmit a resting order's hash */
			struct book_order t = w->r.o[rnd(w->r.n)];
			enum book_code c;

			t.seq = w->next_seq++;
			c = book_match(w->b, &w->plan, &t, policy_fn, &w->pb);
			AGREE(c == BOOK_ERR_DUPLICATE);
			stats[1]++;
		} else if (k < 18) {
			rebuild(w);
			stats[2]++;
		} else {
			/* mostly passive orders around a mid of 21, some
			 * reaching through several levels */
			bool buy = rnd(2);
			uint64_t off = 2 * rnd(rnd(4) ? 8 : 3);

			op.side = buy ? BOOK_BUY : BOOK_SELL;
			if (rnd(10) < 7)
				op.price = buy ? 20 - off : 22 + off;
			else
				op.price = buy ? 22 + off : 20 - off;
			op.size = 1 + rnd(6);
			if (!rnd(20))
				op.price = rnd(20);
			if (!rnd(20))
				op.size = rnd(10);
			op.owner = (unsigned)rnd(5);
			uint64_t f = rnd(20);

			if (f < 13)
				op.flags = rnd(5) ? 0 : BOOK_FLAG_POST_ONLY;
			else
				op.flags =
				    (uint8_t)((f < 16 ? BOOK_IOC : BOOK_FOK)
					      << BOOK_FLAG_TIF_SHIFT);
			if (!rnd(4))
				op.flags |= BOOK_FLAG_REDUCE_ONLY;
			if (!rnd(30))
				op.flags = (uint8_t)rnd(256);
			world_apply(w, &op, rnd(10) == 0, true);
			stats[3 + (w->res.code == BOOK_OK)]++;
			if (w->res.code == BOOK_OK)
				stats[5] += w->res.n_fills;
		}
		if (step % 64 == 0) {
			compare_all(w->b, &w->r);
			AGREE(book_check_invariants(w->b));
		} else if (step % 8 == 0) {
			compare_depth(w->b, &w->r);
		} else {
			compare_top(w->b, &w->r);
		}
		if (mismatches > 20) {
			fprintf(stderr,
				"too many mismatches at step %" PRIu64 "\n",
				step);
			break;
		}
	}
	compare_all(w->b, &w->r);
	printf("random: %" PRIu64 " cancels, %" PRIu64 " duplicates, %" PRIu64
	       " rebuilds, %" PRIu64 " invalid, %" PRIu64 " matched, %" PRIu64
	       " fills, %zu resting at the end\n",
	       stats[0], stats[1], stats[2], stats[3], stats[4], stats[5],
	       w->r.n);
	world_release(w);
	free(w);
}

int main(void)
{
	const char *d = getenv("CL_TEST_DEPTH");
	unsigned extra = d ? (unsigned)strtoul(d, NULL, 10) : 0;

	if (extra > 3)
		extra = 3;
	test_seed();
	uint64_t t0 = cl_clock_mono_ns();

	test_exhaustive(extra);
	uint64_t t1 = cl_clock_mono_ns();

	test_random(200000);
	uint64_t t2 = cl_clock_mono_ns();

	printf("time: exhaustive %" PRIu64 " ms, random %" PRIu64 " ms\n",
	       (t1 - t0) / 1000000, (t2 - t1) / 1000000);
	return test_done("test_reference");
}
