/* SPDX-License-Identifier: MIT */
/*
 * Order lookup by hash: open addressing with linear probing and
 * backward-shift deletion (no tombstones). The load stays between 1/8 and
 * 1/2. Order hashes are EIP-712 digests, so their first 8 bytes are already
 * uniform; they are still mixed (Fibonacci hashing) before taking the top
 * bits, so a table index never equals raw digest bits.
 *
 * The map is only ever probed by key; nothing iterates over it, so its
 * layout can never decide an order anyone observes.
 */
#include <string.h>
#include <stdlib.h>

#include "matching_int.h"

#define MAP_MIN_BITS 4

static uint64_t map_tag(const struct cl_hash32 *h)
{
	return cl_get_be64(h->b);
}

static size_t map_home(const struct book_map *m, uint64_t tag)
{
	return (size_t)((tag * 0x9e3779b97f4a7c15ULL) >> m->shift);
}

static void map_alloc(struct book_map *m, unsigned bits)
{
	m->cap = (size_t)1 << bits;
	m->shift = 64 - bits;
	m->slots = cl_xcalloc(m->cap, sizeof(*m->slots));
	m->used = 0;
}

void book_map_init(struct book_map *m)
{
	map_alloc(m, MAP_MIN_BITS);
}

void book_map_release(struct book_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->used = 0;
}

static void map_put(struct book_map *m, uint64_t tag, struct book_entry *e)
{
	size_t mask = m->cap - 1;
	size_t i = map_home(m, tag);

	while (m->slots[i].e)
		i = (i + 1) & mask;
	m->slots[i].tag = tag;
	m->slots[i].e = e;
	m->used++;
}

static void map_resize(struct book_map *m, unsigned bits)
{
	struct book_map_slot *old = m->slots;
	size_t old_cap = m->cap;

	map_alloc(m, bits);
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].e)
			map_put(m, old[i].tag, old[i].e);
	}
	free(old);
}

static unsigned map_bits(const struct book_map *m)
{
	return 64 - m->shift;
}

struct book_entry *book_map_find(const struct book_map *m,
				 const struct cl_hash32 *hash)
{
	uint64_t tag = map_tag(hash);
	size_t mask = m->cap - 1;

	for (size_t i = map_home(m, tag); m->slots[i].e; i = (i + 1) & mask) {
		if (m->slots[i].tag != tag)
			continue;
		if (memcmp(m->slots[i].e->o.hash.b, hash->b, 32) == 0)
			return m->slots[i].e;
	}
	return NULL;
}

void book_map_insert(struct book_map *m, struct book_entry *e)
{
	if ((m->used + 1) * 2 > m->cap)
		map_resize(m, map_bits(m) + 1);
	map_put(m, map_tag(&e->o.hash), e);
}

void book_map_remove(struct book_map *m, const struct book_entry *e)
{
	size_t mask = m->cap - 1;
	size_t i = map_home(m, map_tag(&e->o.hash));

	while (m->slots[i].e != e) {
		CL_REQUIRE(m->slots[i].e);
		i = (i + 1) & mask;
	}

	/* Backward shift: pull later members of the cluster into the hole
	 * unless that would move them before their home slot. */
	size_t hole = i;
	for (size_t j = (i + 1) & mask; m->slots[j].e; j = (j + 1) & mask) {
		size_t home = map_home(m, m->slots[j].tag);
		/* Can slot j move to the hole? Only if its home is not in
		 * the cyclic range (hole, j]. */
		bool in_range = hole <= j ? (home > hole && home <= j)
					  : (home > hole || home <= j);
		if (in_range)
			continue;
		m->slots[hole] = m->slots[j];
		hole = j;
	}
	m->slots[hole].e = NULL;
	m->slots[hole].tag = 0;
	m->used--;

	if (map_bits(m) > MAP_MIN_BITS && m->used * 8 < m->cap)
		map_resize(m, map_bits(m) - 1);
}
