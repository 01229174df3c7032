/* SPDX-License-Identifier: MIT */
/*
 * A sorted map of byte strings: a skip list. Node levels come from a
 * fixed-seed generator, so the layout is the same on every run (it never
 * affects results, only speed).
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

static struct smap_node *node_alloc(unsigned level, const uint8_t *key,
				    size_t klen)
{
	size_t links = sizeof(struct smap_node *) * level;
	struct smap_node *n = cl_xcalloc(1, sizeof(*n) + links + klen + 1);

	n->level = level;
	n->key = (uint8_t *)n + sizeof(*n) + links;
	n->klen = klen;
	if (klen)
		memcpy(n->key, key, klen);
	return n;
}

static void node_free(struct smap_node *n)
{
	free(n->val);
	free(n);
}

void smap_init(struct smap *m)
{
	m->head = node_alloc(SMAP_MAX_LEVEL, NULL, 0);
	m->level = 1;
	m->rng = 0x243f6a8885a308d3ULL;
	m->count = 0;
}

void smap_clear(struct smap *m)
{
	struct smap_node *n = m->head->next[0];

	while (n) {
		struct smap_node *next = n->next[0];
		node_free(n);
		n = next;
	}
	for (unsigned i = 0; i < SMAP_MAX_LEVEL; i++)
		m->head->next[i] = NULL;
	m->level = 1;
	m->count = 0;
}

void smap_release(struct smap *m)
{
	if (!m->head)
		return;
	smap_clear(m);
	node_free(m->head);
	m->head = NULL;
}

int smap_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
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

struct smap_node *smap_seek(const struct smap *m, const uint8_t *key,
			    size_t klen, bool strict)
{
	return descend(m, NULL, key, klen, strict);
}

struct smap_node *smap_find(const struct smap *m, const uint8_t *key,
			    size_t klen)
{
	struct smap_node *n = descend(m, NULL, key, klen, false);

	if (n && smap_cmp(n->key, n->klen, key, klen) == 0)
		return n;
	return NULL;
}

struct smap_node *smap_upsert(struct smap *m, bool *created,
			      const uint8_t *key, size_t klen)
{
	struct smap_node *update[SMAP_MAX_LEVEL];
	struct smap_node *n = descend(m, update, key, klen, false);
	unsigned level;

	if (n && smap_cmp(n->key, n->klen, key, klen) == 0) {
		*created = false;
		return n;
	}
	level = random_level(m);
	for (unsigned i = m->level; i < level; i++)
		update[i] = m->head;
	if (level > m->level)
		m->level = level;
	n = node_alloc(level, key, klen);
	for (unsigned i = 0; i < level; i++) {
		n->next[i] = update[i]->next[i];
		update[i]->next[i] = n;
	}
	m->count++;
	*created = true;
	return n;
}

bool smap_remove(struct smap *m, const uint8_t *key, size_t klen)
{
	struct smap_node *update[SMAP_MAX_LEVEL];
	struct smap_node *n = descend(m, update, key, klen, false);

	if (!n || smap_cmp(n->key, n->klen, key, klen) != 0)
		return false;
	for (unsigned i = 0; i < n->level; i++)
		update[i]->next[i] = n->next[i];
	while (m->level > 1 && !m->head->next[m->level - 1])
		m->level--;
	m->count--;
	node_free(n);
	return true;
}

void smap_set_val(struct smap_node *n, const uint8_t *val, size_t vlen)
{
	uint8_t *copy = NULL;

	if (vlen) {
		copy = cl_xmalloc(vlen);
		memcpy(copy, val, vlen);
	}
	free(n->val);
	n->val = copy;
	n->vlen = vlen;
}
