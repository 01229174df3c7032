/* SPDX-License-Identifier: MIT */
/*
 * Price levels of one side: an AVL tree keyed by price, its nodes threaded
 * on a list in priority order. The tree answers "where is price p" and
 * "who are p's neighbours" in O(log L); the list gives the best level and
 * the next one in O(1).
 */
#include <stdlib.h>

#include "matching_int.h"

void book_side_init(struct book_side_tree *s, enum book_side side)
{
	s->side = side;
	s->root = NULL;
	s->best = NULL;
	s->worst = NULL;
	s->levels = 0;
	s->orders = 0;
}

void book_side_release(struct book_side_tree *s)
{
	struct book_level_node *l = s->best;

	while (l) {
		struct book_level_node *worse = l->worse;
		struct book_entry *e = l->head;

		while (e) {
			struct book_entry *next = e->next;
			free(e);
			e = next;
		}
		free(l);
		l = worse;
	}
	book_side_init(s, s->side);
}

static int height(const struct book_level_node *n)
{
	return n ? n->height : 0;
}

static void update(struct book_level_node *n)
{
	int hl = height(n->left);
	int hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
}

static struct book_level_node *rotate_right(struct book_level_node *n)
{
	struct book_level_node *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct book_level_node *rotate_left(struct book_level_node *n)
{
	struct book_level_node *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct book_level_node *rebalance(struct book_level_node *n)
{
	update(n);
	int bal = height(n->left) - height(n->right);

	if (bal > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bal < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct book_level_node *avl_insert(struct book_level_node *n,
					  struct book_level_node *node)
{
	if (!n)
		return node;
	if (node->price < n->price)
		n->left = avl_insert(n->left, node);
	else
		n->right = avl_insert(n->right, node);
	return rebalance(n);
}

/* Detach the lowest node of the subtree `n` into *min. */
static struct book_level_node *avl_take_min(struct book_level_node *n,
					    struct book_level_node **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = avl_take_min(n->left, min);
	return rebalance(n);
}

static struct book_level_node *avl_remove(struct book_level_node *n,
					  uint64_t price)
{
	CL_REQUIRE(n);
	if (price < n->price) {
		n->left = avl_remove(n->left, price);
		return rebalance(n);
	}
	if (price > n->price) {
		n->right = avl_remove(n->right, price);
		return rebalance(n);
	}
	if (!n->left)
		return n->right;
	if (!n->right)
		return n->left;

	struct book_level_node *succ;
	struct book_level_node *right = avl_take_min(n->right, &succ);

	succ->left = n->left;
	succ->right = right;
	return rebalance(succ);
}

struct book_level_node *book_level_find(const struct book_side_tree *s,
					uint64_t price)
{
	struct book_level_node *n = s->root;

	while (n) {
		if (price == n->price)
			return n;
		n = price < n->price ? n->left : n->right;
	}
	return NULL;
}

struct book_level_node *book_level_get(struct book_side_tree *s, uint64_t price)
{
	struct book_level_node *n = s->root;
	struct book_level_node *lower = NULL;  /* highest price below */
	struct book_level_node *higher = NULL; /* lowest price above */

	while (n) {
		if (price == n->price)
			return n;
		if (price < n->price) {
			higher = n;
			n = n->left;
		} else {
			lower = n;
			n = n->right;
		}
	}

	struct book_level_node *l = cl_xcalloc(1, sizeof(*l));

	l->price = price;
	l->height = 1;
	/* Bids: a higher price is better; asks: a lower one. */
	struct book_level_node *better = s->side == BOOK_BUY ? higher : lower;
	struct book_level_node *worse = s->side == BOOK_BUY ? lower : higher;

	l->better = better;
	l->worse = worse;
	if (better)
		better->worse = l;
	else
		s->best = l;
	if (worse)
		worse->better = l;
	else
		s->worst = l;

	s->root = avl_insert(s->root, l);
	s->levels++;
	return l;
}

void book_level_drop(struct book_side_tree *s, struct book_level_node *l)
{
	CL_REQUIRE(l->count == 0 && !l->head && !l->tail && l->total == 0);

	if (l->better)
		l->better->worse = l->worse;
	else
		s->best = l->worse;
	if (l->worse)
		l->worse->better = l->better;
	else
		s->worst = l->better;

	s->root = avl_remove(s->root, l->price);
	s->levels--;
	free(l);
}
