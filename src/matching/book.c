/* SPDX-License-Identifier: MIT */
/*
 * The book: validation, life cycle, queries, cancel and restore.
 */
#include <stdlib.h>
#include <string.h>

#include "matching_int.h"

const char *book_code_str(enum book_code code)
{
	switch (code) {
	case BOOK_OK:
		return "ok";
	case BOOK_ERR_MARKET:
		return "wrong market";
	case BOOK_ERR_FLAGS:
		return "invalid order flags";
	case BOOK_ERR_PRICE_ZERO:
		return "price is zero";
	case BOOK_ERR_PRICE_TICK:
		return "price is not a multiple of the tick size";
	case BOOK_ERR_PRICE_RANGE:
		return "price out of range";
	case BOOK_ERR_SIZE_ZERO:
		return "size is zero";
	case BOOK_ERR_SIZE_STEP:
		return "size is not a multiple of the step size";
	case BOOK_ERR_SIZE_RANGE:
		return "size out of range";
	case BOOK_ERR_DUPLICATE:
		return "order already in the book";
	case BOOK_ERR_NOT_FOUND:
		return "order not in the book";
	case BOOK_ERR_NOT_GTC:
		return "only good-till-cancelled orders rest";
	case BOOK_ERR_CROSSED:
		return "order would cross the book";
	case BOOK_ERR_SEQUENCE:
		return "sequence number already used at this level";
	}
	return "unknown book code";
}

const char *book_outcome_str(enum book_outcome o)
{
	switch (o) {
	case BOOK_FILLED:
		return "filled";
	case BOOK_RESTING:
		return "resting";
	case BOOK_CANCELLED_IOC:
		return "cancelled (immediate or cancel)";
	case BOOK_CANCELLED_STOPPED:
		return "cancelled (stopped)";
	case BOOK_CANCELLED_CROSSING:
		return "cancelled (would cross)";
	case BOOK_REJECTED_POST_ONLY:
		return "rejected (post-only would cross)";
	case BOOK_REJECTED_FOK:
		return "rejected (fill or kill not fillable)";
	}
	return "unknown outcome";
}

const char *book_cancel_reason_str(enum book_cancel_reason r)
{
	switch (r) {
	case BOOK_CANCEL_SELF_TRADE:
		return "self-trade prevention";
	case BOOK_CANCEL_CALLBACK:
		return "cancelled by the fill callback";
	}
	return "unknown reason";
}

bool book_params_valid(const struct book_params *p)
{
	return p->tick != 0 && p->step != 0 && p->min_price != 0 &&
	       p->min_price <= p->max_price && p->min_size != 0 &&
	       p->min_size <= p->max_size;
}

enum book_code book_check_flags(uint8_t flags)
{
	if (flags & ~BOOK_FLAGS_KNOWN)
		return BOOK_ERR_FLAGS;
	unsigned tif = book_flags_tif(flags);
	if (tif > BOOK_FOK)
		return BOOK_ERR_FLAGS;
	if ((flags & BOOK_FLAG_POST_ONLY) && tif != BOOK_GTC)
		return BOOK_ERR_FLAGS;
	return BOOK_OK;
}

enum book_code book_check_price(const struct book_params *p,
				struct cl_price price)
{
	if (price.v == 0)
		return BOOK_ERR_PRICE_ZERO;
	if (price.v % p->tick != 0)
		return BOOK_ERR_PRICE_TICK;
	if (price.v < p->min_price || price.v > p->max_price)
		return BOOK_ERR_PRICE_RANGE;
	return BOOK_OK;
}

enum book_code book_check_size(const struct book_params *p, struct cl_size size)
{
	if (size.v == 0)
		return BOOK_ERR_SIZE_ZERO;
	if (size.v % p->step != 0)
		return BOOK_ERR_SIZE_STEP;
	if (size.v < p->min_size || size.v > p->max_size)
		return BOOK_ERR_SIZE_RANGE;
	return BOOK_OK;
}

enum book_code book_check_order(const struct book_params *p,
				const struct book_order *o)
{
	enum book_code c;

	if (o->market != p->market)
		return BOOK_ERR_MARKET;
	c = book_check_flags(o->flags);
	if (c != BOOK_OK)
		return c;
	c = book_check_price(p, o->price);
	if (c != BOOK_OK)
		return c;
	return book_check_size(p, o->size);
}

struct book *book_new(const struct book_params *params)
{
	CL_REQUIRE(book_params_valid(params));

	struct book *b = cl_xcalloc(1, sizeof(*b));

	b->params = *params;
	book_side_init(&b->sides[BOOK_BUY], BOOK_BUY);
	book_side_init(&b->sides[BOOK_SELL], BOOK_SELL);
	book_map_init(&b->map);
	return b;
}

void book_free(struct book *b)
{
	if (!b)
		return;
	book_side_release(&b->sides[BOOK_BUY]);
	book_side_release(&b->sides[BOOK_SELL]);
	book_map_release(&b->map);
	free(b);
}

const struct book_params *book_params(const struct book *b)
{
	return &b->params;
}

size_t book_count(const struct book *b)
{
	return b->sides[BOOK_BUY].orders + b->sides[BOOK_SELL].orders;
}

static void require_side(enum book_side side)
{
	CL_REQUIRE(side == BOOK_BUY || side == BOOK_SELL);
}

size_t book_count_side(const struct book *b, enum book_side side)
{
	require_side(side);
	return b->sides[side].orders;
}

size_t book_levels(const struct book *b, enum book_side side)
{
	require_side(side);
	return b->sides[side].levels;
}

uint64_t book_version(const struct book *b)
{
	return b->version;
}

uint64_t book_last_seq(const struct book *b)
{
	return b->last_seq;
}

bool book_best(const struct book *b, struct cl_price *out, enum book_side side)
{
	require_side(side);
	const struct book_level_node *l = b->sides[side].best;

	out->v = l ? l->price : 0;
	return l != NULL;
}

bool book_get(const struct book *b, struct book_order *out,
	      const struct cl_hash32 *hash)
{
	const struct book_entry *e = book_map_find(&b->map, hash);

	if (!e) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	*out = e->o;
	return true;
}

size_t book_depth(const struct book *b, struct book_level *out, size_t max,
		  enum book_side side)
{
	require_side(side);
	size_t n = 0;

	for (const struct book_level_node *l = b->sides[side].best;
	     l && n < max; l = l->worse, n++) {
		out[n].price.v = l->price;
		out[n].size.v =
		    l->total > UINT64_MAX ? UINT64_MAX : (uint64_t)l->total;
		out[n].orders =
		    l->count > UINT32_MAX ? UINT32_MAX : (uint32_t)l->count;
	}
	return n;
}

int book_foreach(const struct book *b, book_foreach_fn fn, void *ctx)
{
	static const enum book_side order[2] = {BOOK_BUY, BOOK_SELL};
	uint64_t version = b->version;

	for (size_t i = 0; i < 2; i++) {
		const struct book_level_node *l = b->sides[order[i]].best;

		for (; l; l = l->worse) {
			for (const struct book_entry *e = l->head; e;
			     e = e->next) {
				int rc = fn(ctx, &e->o);

				CL_REQUIRE(b->version == version);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

void book_entry_link(struct book *b, struct book_level_node *l,
		     struct book_entry *after, struct book_entry *e)
{
	struct book_side_tree *s = &b->sides[e->o.side];

	e->level = l;
	e->prev = after;
	e->next = after ? after->next : l->head;
	if (e->next)
		e->next->prev = e;
	else
		l->tail = e;
	if (after)
		after->next = e;
	else
		l->head = e;
	l->total += e->o.size.v;
	l->count++;
	s->orders++;
	book_map_insert(&b->map, e);
}

void book_entry_remove(struct book *b, struct book_entry *e)
{
	struct book_level_node *l = e->level;
	struct book_side_tree *s = &b->sides[e->o.side];

	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	CL_REQUIRE(l->total >= e->o.size.v && l->count > 0);
	l->total -= e->o.size.v;
	l->count--;
	s->orders--;
	book_map_remove(&b->map, e);
	if (l->count == 0)
		book_level_drop(s, l);
	free(e);
}

void book_entry_reduce(struct book_entry *e, uint64_t size)
{
	CL_REQUIRE(size < e->o.size.v);
	e->o.size.v -= size;
	e->level->total -= size;
}

enum book_code book_cancel(struct book *b, struct book_order *out,
			   const struct cl_hash32 *hash)
{
	struct book_entry *e = book_map_find(&b->map, hash);

	if (!e) {
		if (out)
			memset(out, 0, sizeof(*out));
		return BOOK_ERR_NOT_FOUND;
	}
	if (out)
		*out = e->o;
	book_entry_remove(b, e);
	b->version++;
	return BOOK_OK;
}

enum book_code book_restore(struct book *b, const struct book_order *o)
{
	require_side(o->side);
	if (o->market != b->params.market)
		return BOOK_ERR_MARKET;
	if (book_check_flags(o->flags) != BOOK_OK)
		return BOOK_ERR_FLAGS;
	if (book_flags_tif(o->flags) != BOOK_GTC)
		return BOOK_ERR_NOT_GTC;
	if (o->price.v == 0)
		return BOOK_ERR_PRICE_ZERO;
	if (o->size.v == 0)
		return BOOK_ERR_SIZE_ZERO;
	if (book_map_find(&b->map, &o->hash))
		return BOOK_ERR_DUPLICATE;

	const struct book_level_node *opp =
	    b->sides[book_opposite(o->side)].best;
	if (opp && book_crosses(o->side, o->price.v, opp->price))
		return BOOK_ERR_CROSSED;

	/* Find the place in the level by sequence, from the back: O(1) when
	 * orders come in priority order. */
	struct book_side_tree *s = &b->sides[o->side];
	struct book_level_node *l = book_level_find(s, o->price.v);
	struct book_entry *after = l ? l->tail : NULL;

	while (after && after->o.seq > o->seq)
		after = after->prev;
	if (after && after->o.seq == o->seq)
		return BOOK_ERR_SEQUENCE;

	if (!l)
		l = book_level_get(s, o->price.v);
	struct book_entry *e = cl_xmalloc(sizeof(*e));

	e->o = *o;
	book_entry_link(b, l, after, e);
	if (o->seq > b->last_seq)
		b->last_seq = o->seq;
	b->version++;
	return BOOK_OK;
}
