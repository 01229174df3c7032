/* SPDX-License-Identifier: MIT */
/*
 * Internals of the order book, shared by the files of src/matching only.
 *
 * A side is an AVL tree of price levels (O(log L) find, insert, remove)
 * whose nodes are also threaded on a doubly linked list in priority order
 * (best first), so the matching walk and depth queries step from level to
 * level in O(1). A level holds its orders in a FIFO doubly linked list
 * (O(1) append and removal). An open-addressing hash map finds an order by
 * its hash in O(1) on average; nothing ever iterates over the map.
 */
#ifndef CLEARLINE_MATCHING_INT_H
#define CLEARLINE_MATCHING_INT_H

#include <clearline/matching.h>

struct book_level_node;

struct book_entry {
	struct book_order o;
	struct book_entry *prev; /* earlier in the level (higher priority) */
	struct book_entry *next; /* later in the level */
	struct book_level_node *level;
};

struct book_level_node {
	uint64_t price;
	unsigned __int128 total; /* sum of remaining sizes */
	size_t count;
	struct book_entry *head; /* first in priority */
	struct book_entry *tail;
	struct book_level_node *left; /* AVL, ordered by price */
	struct book_level_node *right;
	int height;
	struct book_level_node *better; /* priority list along the side */
	struct book_level_node *worse;
};

struct book_side_tree {
	enum book_side side;
	struct book_level_node *root;
	struct book_level_node *best;
	struct book_level_node *worst;
	size_t levels;
	size_t orders;
};

struct book_map_slot {
	uint64_t tag;	      /* the first 8 bytes of the hash, big-endian */
	struct book_entry *e; /* NULL: empty */
};

struct book_map {
	struct book_map_slot *slots;
	size_t cap;	/* a power of two */
	unsigned shift; /* 64 - log2(cap) */
	size_t used;
};

struct book {
	struct book_params params;
	struct book_side_tree sides[2];
	struct book_map map;
	uint64_t version;
	uint64_t last_seq;
};

/* map.c */
void book_map_init(struct book_map *m);
void book_map_release(struct book_map *m);
struct book_entry *book_map_find(const struct book_map *m,
				 const struct cl_hash32 *hash);
/* The hash must not be present. */
void book_map_insert(struct book_map *m, struct book_entry *e);
/* The entry must be present. */
void book_map_remove(struct book_map *m, const struct book_entry *e);

/* levels.c */
void book_side_init(struct book_side_tree *s, enum book_side side);
/* Free every level and order of the side (the map is not touched). */
void book_side_release(struct book_side_tree *s);
struct book_level_node *book_level_find(const struct book_side_tree *s,
					uint64_t price);
/* The level at `price`, created (empty) if missing. */
struct book_level_node *book_level_get(struct book_side_tree *s,
				       uint64_t price);
/* Remove an empty level from the side and free it. */
void book_level_drop(struct book_side_tree *s, struct book_level_node *l);

/* Does a level at price `level` cross a taker on `taker_side` at `price`? */
static inline bool book_crosses(enum book_side taker_side, uint64_t price,
				uint64_t level)
{
	return taker_side == BOOK_BUY ? level <= price : level >= price;
}

static inline enum book_side book_opposite(enum book_side side)
{
	return side == BOOK_BUY ? BOOK_SELL : BOOK_BUY;
}

/* book.c: add an entry after `after` in its level (NULL: at the head),
 * and to the map; remove an entry entirely and free it. */
void book_entry_link(struct book *b, struct book_level_node *l,
		     struct book_entry *after, struct book_entry *e);
void book_entry_remove(struct book *b, struct book_entry *e);
/* Take `size` off a resting entry (which must hold more than that). */
void book_entry_reduce(struct book_entry *e, uint64_t size);

#endif /* CLEARLINE_MATCHING_INT_H */
