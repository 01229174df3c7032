/* SPDX-License-Identifier: MIT */
/*
 * Matching in two phases: book_match() walks the opposite side and writes a
 * plan without touching the book; book_commit() applies the plan.
 */
#include <stdlib.h>
#include <string.h>

#include "matching_int.h"

void book_plan_init(struct book_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->state = BOOK_PLAN_EMPTY;
	plan->outside = false;
}

void book_plan_release(struct book_plan *plan)
{
	free(plan->fills);
	free(plan->cancels);
	book_plan_init(plan);
}

static void plan_reset(struct book_plan *plan)
{
	plan->n_fills = 0;
	plan->n_cancels = 0;
	plan->filled.v = 0;
	plan->remaining.v = 0;
	plan->book = NULL;
	plan->version = 0;
	plan->state = BOOK_PLAN_EMPTY;
}

static void plan_add_fill(struct book_plan *plan, const struct book_entry *m,
			  uint64_t size)
{
	if (plan->n_fills == plan->fills_cap) {
		plan->fills_cap = plan->fills_cap ? plan->fills_cap * 2 : 8;
		plan->fills = cl_xrealloc(
		    plan->fills, plan->fills_cap * sizeof(*plan->fills));
	}

	struct book_fill *f = &plan->fills[plan->n_fills++];

	memset(f, 0, sizeof(*f));
	f->maker = m->o.hash;
	f->taker = plan->taker.hash;
	f->maker_owner = m->o.owner;
	f->price = m->o.price;
	f->size.v = size;
	f->maker_done = size == m->o.size.v;
}

static void plan_add_cancel(struct book_plan *plan, const struct book_entry *m,
			    uint64_t size, enum book_cancel_reason reason)
{
	if (plan->n_cancels == plan->cancels_cap) {
		plan->cancels_cap =
		    plan->cancels_cap ? plan->cancels_cap * 2 : 8;
		plan->cancels = cl_xrealloc(
		    plan->cancels, plan->cancels_cap * sizeof(*plan->cancels));
	}

	struct book_cancel *c = &plan->cancels[plan->n_cancels++];

	memset(c, 0, sizeof(*c));
	c->maker = m->o.hash;
	c->maker_owner = m->o.owner;
	c->size.v = size;
	c->reason = reason;
	c->after_fills = plan->n_fills;
}

/* Do the crossing levels hold at least `size`? (An upper bound on what a
 * walk can fill: self-trades and the callback can only lower it.) */
static bool enough_liquidity(const struct book_side_tree *opp,
			     const struct book_order *t)
{
	unsigned __int128 sum = 0;

	for (const struct book_level_node *l = opp->best;
	     l && book_crosses(t->side, t->price.v, l->price); l = l->worse) {
		sum += l->total;
		if (sum >= t->size.v)
			return true;
	}
	return false;
}

struct walk {
	uint64_t left;	  /* taker size still open */
	bool stopped;	  /* the callback stopped the taker */
	bool left_behind; /* a crossing maker keeps size on the book */
};

/* Visit one maker; returns false when the walk must end. */
static bool visit(struct book_plan *plan, struct walk *w,
		  const struct book_entry *m, book_fill_fn fn, void *ctx)
{
	const struct book_order *t = &plan->taker;

	if (memcmp(m->o.owner.b, t->owner.b, sizeof(t->owner.b)) == 0) {
		plan_add_cancel(plan, m, m->o.size.v, BOOK_CANCEL_SELF_TRADE);
		return true;
	}

	struct book_candidate c = {
	    .maker = &m->o,
	    .taker = t,
	    .price = m->o.price,
	    .size.v = m->o.size.v < w->left ? m->o.size.v : w->left,
	    .taker_filled = plan->filled,
	};
	uint64_t allowed = c.size.v;
	enum book_verdict v = BOOK_ACCEPT;

	if (fn) {
		allowed = 0;
		v = fn(ctx, &allowed, &c);
	}
	CL_REQUIRE(allowed <= c.size.v);

	if (allowed) {
		plan_add_fill(plan, m, allowed);
		plan->filled.v += allowed;
		w->left -= allowed;
	}
	uint64_t maker_left = m->o.size.v - allowed;

	switch (v) {
	case BOOK_ACCEPT:
		if (maker_left)
			w->left_behind = true;
		return w->left != 0;
	case BOOK_CANCEL_MAKER:
		if (maker_left)
			plan_add_cancel(plan, m, maker_left,
					BOOK_CANCEL_CALLBACK);
		return w->left != 0;
	case BOOK_STOP_TAKER:
		if (maker_left)
			w->left_behind = true;
		w->stopped = true;
		return false;
	}
	CL_BUG("fill callback returned verdict %d", (int)v);
}

static void walk_book(struct book_plan *plan, struct walk *w,
		      const struct book_side_tree *opp, book_fill_fn fn,
		      void *ctx)
{
	const struct book_order *t = &plan->taker;

	for (const struct book_level_node *l = opp->best;
	     l && book_crosses(t->side, t->price.v, l->price); l = l->worse) {
		for (const struct book_entry *m = l->head; m; m = m->next) {
			if (!visit(plan, w, m, fn, ctx))
				return;
		}
	}
}

static void finish(struct book_plan *plan, const struct walk *w)
{
	unsigned tif = book_flags_tif(plan->taker.flags);

	plan->remaining.v = w->left;
	if (tif == BOOK_FOK && w->left) {
		plan->outcome = BOOK_REJECTED_FOK;
		plan->n_fills = 0;
		plan->n_cancels = 0;
		plan->filled.v = 0;
		plan->remaining = plan->taker.size;
		return;
	}
	if (!w->left)
		plan->outcome = BOOK_FILLED;
	else if (w->stopped)
		plan->outcome = BOOK_CANCELLED_STOPPED;
	else if (tif == BOOK_IOC)
		plan->outcome = BOOK_CANCELLED_IOC;
	else if (w->left_behind)
		plan->outcome = BOOK_CANCELLED_CROSSING;
	else
		plan->outcome = BOOK_RESTING;
}

static enum book_code match(const struct book *b, struct book_plan *plan,
			    const struct book_order *taker, book_fill_fn fn,
			    void *ctx, bool outside)
{
	CL_REQUIRE(plan->state != BOOK_PLAN_READY);
	CL_REQUIRE(taker->side == BOOK_BUY || taker->side == BOOK_SELL);
	plan_reset(plan);

	enum book_code code = book_check_order(&b->params, taker);

	if (code != BOOK_OK)
		return code;
	if (book_map_find(&b->map, &taker->hash))
		return BOOK_ERR_DUPLICATE;
	if (outside)
		CL_REQUIRE(book_flags_tif(taker->flags) == BOOK_IOC);
	else
		CL_REQUIRE(taker->seq > b->last_seq);

	plan->taker = *taker;
	plan->outside = outside;
	plan->book = b;
	plan->version = b->version;
	plan->state = BOOK_PLAN_READY;

	const struct book_side_tree *opp =
	    &b->sides[book_opposite(taker->side)];
	struct walk w = {.left = taker->size.v};

	if (taker->flags & BOOK_FLAG_POST_ONLY) {
		plan->remaining = taker->size;
		if (opp->best &&
		    book_crosses(taker->side, taker->price.v, opp->best->price))
			plan->outcome = BOOK_REJECTED_POST_ONLY;
		else
			plan->outcome = BOOK_RESTING;
		return BOOK_OK;
	}
	if (book_flags_tif(taker->flags) == BOOK_FOK &&
	    !enough_liquidity(opp, taker)) {
		finish(plan, &w);
		return BOOK_OK;
	}
	walk_book(plan, &w, opp, fn, ctx);
	finish(plan, &w);
	return BOOK_OK;
}

enum book_code book_match(const struct book *b, struct book_plan *plan,
			  const struct book_order *taker, book_fill_fn fn,
			  void *ctx)
{
	return match(b, plan, taker, fn, ctx, false);
}

enum book_code book_match_outside(const struct book *b,
				  struct book_plan *plan,
				  const struct book_order *taker,
				  book_fill_fn fn, void *ctx)
{
	return match(b, plan, taker, fn, ctx, true);
}

bool book_plan_valid(const struct book *b, const struct book_plan *plan)
{
	return plan->state == BOOK_PLAN_READY && plan->book == b &&
	       plan->version == b->version;
}

void book_commit(struct book *b, struct book_plan *plan)
{
	CL_REQUIRE(plan->state == BOOK_PLAN_READY);
	CL_REQUIRE(plan->book == b);
	CL_REQUIRE(plan->version == b->version);

	for (size_t i = 0; i < plan->n_fills; i++) {
		const struct book_fill *f = &plan->fills[i];
		struct book_entry *m = book_map_find(&b->map, &f->maker);

		CL_REQUIRE(m && m->o.size.v >= f->size.v);
		CL_REQUIRE(f->maker_done == (m->o.size.v == f->size.v));
		if (f->maker_done)
			book_entry_remove(b, m);
		else
			book_entry_reduce(m, f->size.v);
	}
	for (size_t i = 0; i < plan->n_cancels; i++) {
		const struct book_cancel *c = &plan->cancels[i];
		struct book_entry *m = book_map_find(&b->map, &c->maker);

		CL_REQUIRE(m && m->o.size.v == c->size.v);
		book_entry_remove(b, m);
	}
	if (plan->outcome == BOOK_RESTING) {
		const struct book_order *t = &plan->taker;
		const struct book_level_node *opp =
		    b->sides[book_opposite(t->side)].best;

		CL_REQUIRE(!opp ||
			   !book_crosses(t->side, t->price.v, opp->price));
		struct book_level_node *l =
		    book_level_get(&b->sides[t->side], t->price.v);
		struct book_entry *e = cl_xmalloc(sizeof(*e));

		e->o = *t;
		e->o.size = plan->remaining;
		book_entry_link(b, l, l->tail, e);
	}
	if (!plan->outside)
		b->last_seq = plan->taker.seq;
	b->version++;
	plan->state = BOOK_PLAN_COMMITTED;
}

void book_discard(struct book_plan *plan)
{
	CL_REQUIRE(plan->state == BOOK_PLAN_READY);
	plan->state = BOOK_PLAN_DISCARDED;
}
