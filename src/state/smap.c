/* SPDX-License-Identifier: MIT */
/*
 * A sorted map of byte strings: a skip list. Node levels come from a
 * fixed-seed generator, so the layout is the same on every run (it never
 * affects results, only speed).
 *
 * An arena map (the state's overlay, emptied at every block's commit)
 * carves its nodes and values out of 64 KiB chunks that smap_clear
 * rewinds and keeps, so a put costs no malloc once the first blocks
 * have grown the chunks; a value replaced or an entry removed leaves its
 * bytes in place until the clear.
 *
 * Beside the list, a hash index of the same nodes answers exact finds
 * (present or absent) and the find of an upsert in one probe sequence;
 * the list is still what orders the entries and what every walk
 * follows, so the index never decides an order anything observes. Its
 * hash is keyed by the address of the map's head, which nothing outside
 * the process sees: keys chosen by traders (addresses, order hashes)
 * cannot be ground offline to fall into one probe sequence.
 *
 * The overlay's map is lazy about the list as well. Most of a block's
 * new entries are in tables it writes and never walks before the commit
 * (order records, the pruning queue): a descent of the list for each of
 * them was a seventh of the writer. So a new entry joins the list only
 * when a seek asks for its group (its key's first byte: its table);
 * until then it waits in its group's array, found by the index, and a
 * seek into the group links the group's waiting entries first. The
 * commit's walk merges the list with each group's waiting entries,
 * sorted then (smap_sorted). The order anything observes is the keys'
 * order either way.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

#define CHUNK_BYTES ((size_t)64 * 1024)

struct smap_chunk {
	struct smap_chunk *next;
	size_t size; /* bytes in data[] */
	_Alignas(16) uint8_t data[];
};

static struct smap_chunk *chunk_new(size_t size)
{
	struct smap_chunk *c = cl_xmalloc(sizeof(*c) + size);

	c->next = NULL;
	c->size = size;
	return c;
}

/* n bytes, 16-aligned, from m's chunks: the next chunk that has room
 * (chunks too small for n are passed over until the clear), or a new
 * one of max(n, CHUNK_BYTES) at the end of the list. */
static void *arena_take(struct smap *m, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (m->cur && m->cur->size - m->used >= n) {
		void *p = m->cur->data + m->used;

		m->used += n;
		return p;
	}
	if (!m->cur) {
		if (!m->chunks)
			m->chunks = chunk_new(n > CHUNK_BYTES ? n : CHUNK_BYTES);
		m->cur = m->chunks;
		m->used = 0;
	}
	while (m->cur->size - m->used < n) {
		if (!m->cur->next)
			m->cur->next = chunk_new(n > CHUNK_BYTES ? n
							 : CHUNK_BYTES);
		m->cur = m->cur->next;
		m->used = 0;
	}
	m->used += n;
	return m->cur->data + m->used - n;
}

static void arena_rewind(struct smap *m)
{
	m->cur = m->chunks;
	m->used = 0;
}

static void arena_release(struct smap *m)
{
	struct smap_chunk *c = m->chunks;

	while (c) {
		struct smap_chunk *next = c->next;

		free(c);
		c = next;
	}
	m->chunks = m->cur = NULL;
	m->used = 0;
}

static struct smap_node *node_alloc(struct smap *m, unsigned level,
				    const uint8_t *key, size_t klen)
{
	size_t links = sizeof(struct smap_node *) * level;
	size_t size = sizeof(struct smap_node) + links + klen + 1;
	struct smap_node *n;

	if (m->arena) {
		n = arena_take(m, size);
		memset(n, 0, size);
	} else {
		n = cl_xcalloc(1, size);
	}

	n->level = level;
	n->key = (uint8_t *)n + sizeof(*n) + links;
	n->klen = klen;
	if (klen)
		memcpy(n->key, key, klen);
	return n;
}

static void node_free(const struct smap *m, struct smap_node *n)
{
	if (m->arena)
		return;
	free(n->val);
	free(n);
}

void smap_free_val(const struct smap *m, uint8_t *val)
{
	if (!m->arena)
		free(val);
}

/* ---- the hash index ---- */

#define INDEX_MIN_CAP 64

/* A 64-bit mix with full avalanche (the finaliser of splitmix64). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The high and low halves of a 64 x 64-bit product, folded. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The key's hash: sixteen bytes at a time through one wide multiply,
 * each word mixed with the running hash (which starts from the map's
 * seed and the length) and a fixed odd constant, then the mix of
 * splitmix64 over the result. Half the multiplies of a fold word by
 * word: the index hashes every key a block reads or writes. */
static uint64_t key_hash(const struct smap *m, const uint8_t *key,
			 size_t klen)
{
	uint64_t h = m->seed ^ ((uint64_t)klen * 0x9e3779b97f4a7c15ULL);
	uint64_t a = 0, b = 0;
	size_t i = 0;

	for (; i + 16 <= klen; i += 16) {
		memcpy(&a, key + i, 8);
		memcpy(&b, key + i + 8, 8);
		h = mum(a ^ h ^ 0xa0761d6478bd642fULL,
			b ^ 0xe7037ed1a0b428dbULL);
	}
	a = b = 0;
	if (klen - i > 8) {
		memcpy(&a, key + i, 8);
		memcpy(&b, key + i + 8, klen - i - 8);
	} else if (klen > i) {
		memcpy(&a, key + i, klen - i);
	}
	h = mum(a ^ h ^ 0x8ebc6af09c88c6e3ULL, b ^ 0x589965cc75374cc3ULL);
	return mix64(h);
}

static inline size_t slot_home(const struct smap *m, uint64_t h)
{
	return (size_t)h & (m->cap - 1);
}

/* The slot holding key, or the empty slot where it would go. */
static struct smap_slot *index_probe(const struct smap *m, uint64_t h,
				     const uint8_t *key, size_t klen)
{
	size_t mask = m->cap - 1;

	for (size_t i = slot_home(m, h);; i = (i + 1) & mask) {
		struct smap_slot *s = &m->slots[i];

		if (!s->n)
			return s;
		if (s->h == h && s->n->klen == klen &&
		    memcmp(s->n->key, key, klen) == 0)
			return s;
	}
}

static void index_insert(struct smap *m, uint64_t h, struct smap_node *n)
{
	size_t mask = m->cap - 1, i = slot_home(m, h);

	while (m->slots[i].n)
		i = (i + 1) & mask;
	m->slots[i] = (struct smap_slot){.h = h, .n = n};
}

/* Room for one more entry at load 1/2 or less (count: before it). */
static void index_reserve(struct smap *m)
{
	if ((m->count + 1) * 2 <= m->cap)
		return;
	struct smap_slot *old = m->slots;
	size_t old_cap = m->cap;

	m->cap = old_cap ? old_cap * 2 : INDEX_MIN_CAP;
	m->slots = cl_xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].n)
			index_insert(m, old[i].h, old[i].n);
	free(old);
}

/* Empty slot s and shift back the entries after it that probed past it
 * (no tombstones). */
static void index_delete(struct smap *m, struct smap_slot *s)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)(s - m->slots), j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].n)
			break;
		size_t home = slot_home(m, m->slots[j].h);
		/* j's entry may move to i when i lies on its probe path,
		 * from home to j, cyclically */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i] = (struct smap_slot){0};
}

static void map_init(struct smap *m, bool arena)
{
	m->arena = arena;
	m->groups = NULL;
	m->order = NULL;
	m->order_cap = 0;
	m->sortbuf = NULL;
	m->sort_cap = 0;
	m->chunks = m->cur = NULL;
	m->used = 0;
	/* The head lives outside the arena: a rewind must not reuse it. */
	m->head = cl_xcalloc(1, sizeof(struct smap_node) +
					sizeof(struct smap_node *) *
						SMAP_MAX_LEVEL + 1);
	m->head->level = SMAP_MAX_LEVEL;
	m->head->key = (uint8_t *)m->head + sizeof(struct smap_node) +
		       sizeof(struct smap_node *) * SMAP_MAX_LEVEL;
	m->level = 1;
	m->rng = 0x243f6a8885a308d3ULL;
	m->count = 0;
	m->gen = 0;
	m->slots = NULL;
	m->cap = 0;
	m->seed = mix64((uint64_t)(uintptr_t)m->head);
}

void smap_init(struct smap *m)
{
	map_init(m, false);
}

void smap_init_overlay(struct smap *m)
{
	map_init(m, true);
	m->groups = cl_xcalloc(256, sizeof(*m->groups));
}

void smap_clear(struct smap *m)
{
	struct smap_node *n = m->head->next[0];

	if (m->arena)
		arena_rewind(m);
	else
		while (n) {
			struct smap_node *next = n->next[0];

			node_free(m, n);
			n = next;
		}
	for (unsigned i = 0; i < SMAP_MAX_LEVEL; i++)
		m->head->next[i] = NULL;
	if (m->count)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	for (unsigned g = 0; m->groups && g < 256; g++) {
		m->groups[g].n = 0;
		m->groups[g].all = 0;
	}
	m->level = 1;
	m->count = 0;
	m->gen++;
}

void smap_release(struct smap *m)
{
	if (!m->head)
		return;
	smap_clear(m);
	free(m->head);
	m->head = NULL;
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	for (unsigned g = 0; m->groups && g < 256; g++)
		free(m->groups[g].v);
	free(m->groups);
	m->groups = NULL;
	free(m->order);
	m->order = NULL;
	free(m->sortbuf);
	m->sortbuf = NULL;
	arena_release(m);
}

/* One in four nodes climbs a level (xorshift64). */
static unsigned random_level(struct smap *m)
{
	unsigned level = 1;

	while (level < SMAP_MAX_LEVEL) {
		m->rng ^= m->rng << 13;
		m->rng ^= m->rng >> 7;
		m->rng ^= m->rng << 17;
		if (m->rng & 3)
			break;
		level++;
	}
	return level;
}

/*
 * Fill update[i] with the last node at level i whose key is < key (or
 * <= key when strict), and return the node after update[0].
 */
static struct smap_node *descend(const struct smap *m,
				 struct smap_node **update,
				 const uint8_t *key, size_t klen, bool strict)
{
	struct smap_node *x = m->head;

	for (int i = (int)m->level - 1; i >= 0; i--) {
		for (;;) {
			struct smap_node *nx = x->next[i];
			int c;

			if (!nx)
				break;
			c = smap_cmp(nx->key, nx->klen, key, klen);
			if (c > 0 || (c == 0 && !strict))
				break;
			x = nx;
		}
		if (update)
			update[i] = x;
	}
	return x->next[0];
}

/* Put node n into the list, at each of its levels. */
static void link_node(struct smap *m, struct smap_node *n)
{
	struct smap_node *update[SMAP_MAX_LEVEL];

	descend(m, update, n->key, n->klen, false);
	for (unsigned i = m->level; i < n->level; i++)
		update[i] = m->head;
	if (n->level > m->level)
		m->level = n->level;
	for (unsigned i = 0; i < n->level; i++) {
		n->next[i] = update[i]->next[i];
		update[i]->next[i] = n;
	}
	n->pending = false;
}

/* Does a new entry of this key wait in its group? */
static bool goes_pending(const struct smap *m, const uint8_t *key,
			 size_t klen)
{
	return m->groups && klen;
}

/* Link group g's pending entries. */
static void link_group(struct smap *m, unsigned g)
{
	struct smap_group *grp = &m->groups[g];

	for (uint32_t i = 0; i < grp->n; i++)
		link_node(m, grp->v[i]);
	grp->n = 0;
	m->gen++;
}

struct smap_node *smap_seek(struct smap *m, const uint8_t *key, size_t klen,
			    bool strict)
{
	if (goes_pending(m, key, klen) && m->groups[key[0]].n)
		link_group(m, key[0]);
	return descend(m, NULL, key, klen, strict);
}

struct smap_node *smap_find(const struct smap *m, const uint8_t *key,
			    size_t klen)
{
	if (!m->count)
		return NULL;
	return index_probe(m, key_hash(m, key, klen), key, klen)->n;
}

struct smap_node *smap_upsert(struct smap *m, bool *created,
			      const uint8_t *key, size_t klen)
{
	uint64_t h = key_hash(m, key, klen);
	struct smap_node *n;

	if (m->count && (n = index_probe(m, h, key, klen)->n)) {
		*created = false;
		return n;
	}
	index_reserve(m);
	n = node_alloc(m, random_level(m), key, klen);
	if (goes_pending(m, key, klen)) {
		struct smap_group *grp = &m->groups[key[0]];

		if (grp->n == grp->cap) {
			CL_REQUIRE(grp->cap < UINT32_MAX / 2);
			grp->cap = grp->cap ? grp->cap * 2 : 256;
			grp->v = cl_xrealloc(grp->v,
					     grp->cap * sizeof(*grp->v));
		}
		n->pending = true;
		n->pidx = grp->n;
		grp->v[grp->n++] = n;
	} else {
		link_node(m, n);
	}
	if (m->groups && klen)
		m->groups[key[0]].all++;
	index_insert(m, h, n);
	m->count++;
	m->gen++;
	*created = true;
	return n;
}

bool smap_remove(struct smap *m, const uint8_t *key, size_t klen)
{
	struct smap_node *update[SMAP_MAX_LEVEL];
	struct smap_slot *slot;
	struct smap_node *n;

	if (!m->count)
		return false;
	slot = index_probe(m, key_hash(m, key, klen), key, klen);
	n = slot->n;
	if (!n)
		return false;
	index_delete(m, slot);
	if (n->pending) {
		struct smap_group *grp = &m->groups[key[0]];
		struct smap_node *last = grp->v[--grp->n];

		grp->v[n->pidx] = last;
		last->pidx = n->pidx;
	} else {
		CL_REQUIRE(descend(m, update, key, klen, false) == n);
		for (unsigned i = 0; i < n->level; i++)
			update[i]->next[i] = n->next[i];
		while (m->level > 1 && !m->head->next[m->level - 1])
			m->level--;
	}
	if (m->groups && klen)
		m->groups[key[0]].all--;
	m->count--;
	m->gen++;
	node_free(m, n);
	return true;
}

/* Two sort entries by their nodes' whole keys. */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct smap_node *a =
		(const struct smap_node *)((const struct keysort_ent *)pa)->v;
	const struct smap_node *b =
		(const struct smap_node *)((const struct keysort_ent *)pb)->v;

	return smap_cmp(a->key, a->klen, b->key, b->klen);
}

/* The word of node n's key at byte `at` (past the group's byte). */
static uint64_t word_at(uintptr_t n, size_t at)
{
	const struct smap_node *x = (const struct smap_node *)n;

	return at < x->klen ? delta_key8(x->key + at, x->klen - at) : 0;
}

/*
 * Sort a group's waiting entries into m->sortbuf[0..n): by the word
 * after the group's byte (keysort); a run of entries sharing it by the
 * next word (a table keyed by time, then hash: the pruning queue); a
 * run sharing both by their whole keys.
 */
static void sort_group(struct smap *m, const struct smap_group *grp)
{
	struct keysort_ent *e;
	size_t n = grp->n;

	if (2 * n > m->sort_cap) {
		m->sort_cap = 2 * n;
		free(m->sortbuf);
		m->sortbuf = cl_xmalloc(m->sort_cap * sizeof(*m->sortbuf));
	}
	e = m->sortbuf;
	for (size_t i = 0; i < n; i++)
		e[i] = (struct keysort_ent){ word_at((uintptr_t)grp->v[i], 1),
					     (uintptr_t)grp->v[i] };
	keysort(e, e + n, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && e[j].k == e[i].k)
			j++;
		if (j - i > 1) {
			for (size_t a = i; a < j; a++)
				e[a].k = word_at(e[a].v, 9);
			keysort(e + i, e + n, j - i);
			for (size_t a = i; a < j;) {
				size_t b = a + 1;

				while (b < j && e[b].k == e[a].k)
					b++;
				if (b - a > 1)
					qsort(e + a, b - a, sizeof(*e),
					      ent_cmp);
				a = b;
			}
		}
		i = j;
	}
}

/* The i-th of the group just sorted. */
static struct smap_node *pend(const struct smap *m, size_t i)
{
	return (struct smap_node *)m->sortbuf[i].v;
}

struct smap_node *const *smap_sorted(struct smap *m, size_t *n)
{
	struct smap_node *x = m->head->next[0];
	size_t k = 0;

	if (m->count > m->order_cap) {
		m->order_cap = m->count;
		free(m->order);
		m->order = cl_xmalloc(m->order_cap * sizeof(*m->order));
	}
	/* the list's entries of no bytes first; then, group by group, the
	 * list's entries of the group merged with its pending ones, sorted
	 * now (a plain map: the list alone) */
	while (x && !x->klen) {
		m->order[k++] = x;
		x = x->next[0];
	}
	for (unsigned g = 0; g < 256; g++) {
		const struct smap_group *grp = m->groups ? &m->groups[g] : NULL;
		uint32_t i = 0, np = grp ? grp->n : 0;

		if (np)
			sort_group(m, grp);
		while (x && x->key[0] == g) {
			while (i < np && smap_cmp(pend(m, i)->key,
						  pend(m, i)->klen, x->key,
						  x->klen) < 0)
				m->order[k++] = pend(m, i++);
			m->order[k++] = x;
			x = x->next[0];
		}
		while (i < np)
			m->order[k++] = pend(m, i++);
	}
	CL_REQUIRE(!x && k == m->count);
	*n = k;
	return m->order;
}

void smap_set_val(struct smap *m, struct smap_node *n, const uint8_t *val,
		  size_t vlen)
{
	uint8_t *copy = NULL;

	if (vlen) {
		copy = m->arena ? arena_take(m, vlen) : cl_xmalloc(vlen);
		memcpy(copy, val, vlen);
	}
	smap_free_val(m, n->val);
	n->val = copy;
	n->vlen = vlen;
}
