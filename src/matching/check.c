/* SPDX-License-Identifier: MIT */
/*
 * book_check_invariants(): an O(n) walk over everything the book keeps,
 * for tests and debugging. It never changes the book.
 */
#include <inttypes.h>

#include "matching_int.h"

#define FAIL(...)                                   \
	do {                                        \
		cl_broken("matching", __VA_ARGS__); \
		return false;                       \
	} while (0)

/* In-order walk: prices strictly increasing, heights and balance right.
 * Stores the height in *height and counts nodes in *nodes. */
static bool check_tree(const struct book_level_node *n, int *height,
		       size_t *nodes, const uint64_t *lo, const uint64_t *hi)
{
	if (!n) {
		*height = 0;
		return true;
	}
	if ((lo && n->price <= *lo) || (hi && n->price >= *hi))
		FAIL("level %" PRIu64 " out of tree order", n->price);

	int hl, hr;

	if (!check_tree(n->left, &hl, nodes, lo, &n->price) ||
	    !check_tree(n->right, &hr, nodes, &n->price, hi))
		return false;
	if (hl - hr > 1 || hr - hl > 1)
		FAIL("level %" PRIu64 " unbalanced (%d, %d)", n->price, hl, hr);
	*height = 1 + (hl > hr ? hl : hr);
	if (n->height != *height)
		FAIL("level %" PRIu64 " height %d, want %d", n->price,
		     n->height, *height);
	(*nodes)++;
	return true;
}

static bool check_level(const struct book *b, const struct book_side_tree *s,
			const struct book_level_node *l, size_t *orders)
{
	unsigned __int128 total = 0;
	size_t count = 0;
	const struct book_entry *prev = NULL;

	if (book_level_find(s, l->price) != l)
		FAIL("level %" PRIu64 " not found in its tree", l->price);
	if (!l->head || !l->tail || l->head->prev || l->tail->next)
		FAIL("level %" PRIu64 " has broken ends", l->price);
	for (const struct book_entry *e = l->head; e; e = e->next) {
		if (e->prev != prev)
			FAIL("level %" PRIu64 " has a broken back link",
			     l->price);
		if (e->level != l || e->o.side != s->side ||
		    e->o.price.v != l->price)
			FAIL("order in the wrong level %" PRIu64, l->price);
		if (e->o.size.v == 0)
			FAIL("empty order at level %" PRIu64, l->price);
		if (prev && prev->o.seq >= e->o.seq)
			FAIL("level %" PRIu64 " out of sequence order",
			     l->price);
		if (e->o.seq > b->last_seq)
			FAIL("order sequence above the last one");
		if (book_map_find(&b->map, &e->o.hash) != e)
			FAIL("order missing from the index");
		total += e->o.size.v;
		count++;
		prev = e;
	}
	if (prev != l->tail)
		FAIL("level %" PRIu64 " tail is not its last order", l->price);
	if (total != l->total || count != l->count)
		FAIL("level %" PRIu64 " totals are wrong", l->price);
	*orders += count;
	return true;
}

static bool check_side(const struct book *b, const struct book_side_tree *s)
{
	int height;
	size_t nodes = 0, levels = 0, orders = 0;
	const struct book_level_node *prev = NULL;

	if (!check_tree(s->root, &height, &nodes, NULL, NULL))
		return false;
	for (const struct book_level_node *l = s->best; l; l = l->worse) {
		if (l->better != prev)
			FAIL("level list broken at %" PRIu64, l->price);
		if (prev && (s->side == BOOK_BUY ? l->price >= prev->price
						 : l->price <= prev->price))
			FAIL("level list out of priority order at %" PRIu64,
			     l->price);
		if (!check_level(b, s, l, &orders))
			return false;
		levels++;
		prev = l;
	}
	if (prev != s->worst)
		FAIL("worst level is not the end of the list");
	if (nodes != levels || levels != s->levels)
		FAIL("side has %zu tree nodes, %zu listed, %zu counted", nodes,
		     levels, s->levels);
	if (orders != s->orders)
		FAIL("side counts %zu orders, holds %zu", s->orders, orders);
	return true;
}

bool book_check_invariants(const struct book *b)
{
	const struct book_side_tree *bids = &b->sides[BOOK_BUY];
	const struct book_side_tree *asks = &b->sides[BOOK_SELL];

	if (bids->side != BOOK_BUY || asks->side != BOOK_SELL)
		FAIL("sides mixed up");
	if (!check_side(b, bids) || !check_side(b, asks))
		return false;
	if (b->map.used != bids->orders + asks->orders)
		FAIL("index holds %zu orders, the book %zu", b->map.used,
		     bids->orders + asks->orders);
	if (b->map.used * 2 > b->map.cap)
		FAIL("index over its load limit");
	if (bids->best && asks->best && bids->best->price >= asks->best->price)
		FAIL("book crossed: %" PRIu64 " >= %" PRIu64, bids->best->price,
		     asks->best->price);
	return true;
}
