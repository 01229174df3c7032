/* SPDX-License-Identifier: MIT */
/*
 * A delta: the changes one committed block made to the kv tables (its
 * entries, the tree's leaves and nodes and the root), frozen into one
 * sorted array with a single allocation for the array and the bytes. The
 * layer (layer.c) keeps the deltas not yet checkpointed into LMDB; the
 * writer and every snapshot read through them. A delta never changes
 * after it is made, so readers on other threads need no lock, only a
 * reference.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

struct delta *delta_from_map(const struct smap *m, uint64_t seq)
{
	size_t bytes = 0, n = m->count, i = 0;
	struct delta *d;
	uint8_t *p;

	for (struct smap_node *s = smap_first(m); s; s = s->next[0])
		bytes += s->klen + (s->tomb ? 0 : s->vlen);
	d = cl_xmalloc(sizeof(*d) + n * sizeof(*d->e) + bytes + 1);
	d->seq = seq;
	atomic_init(&d->refs, 1);
	d->n = n;
	d->e = (struct delta_ent *)(d + 1);
	d->bytes = sizeof(*d) + n * sizeof(*d->e) + bytes;
	p = (uint8_t *)(d->e + n);
	for (struct smap_node *s = smap_first(m); s; s = s->next[0], i++) {
		struct delta_ent *e = &d->e[i];

		memcpy(p, s->key, s->klen);
		e->key = p;
		e->klen = (uint32_t)s->klen;
		p += s->klen;
		if (s->tomb) {
			e->val = NULL;
			e->vlen = 0;
			continue;
		}
		if (s->vlen)
			memcpy(p, s->val, s->vlen);
		e->val = p; /* an empty value still points into the block */
		e->vlen = (uint32_t)s->vlen;
		p += s->vlen;
	}
	return d;
}

void delta_ref(struct delta *d)
{
	atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
}

void delta_unref(struct delta *d)
{
	if (d && atomic_fetch_sub_explicit(&d->refs, 1,
					   memory_order_acq_rel) == 1)
		free(d);
}

size_t delta_seek(const struct delta *d, const uint8_t *ck, size_t cklen,
		  bool strict)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = smap_cmp(d->e[mid].key, d->e[mid].klen, ck, cklen);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct delta_ent *delta_find(const struct delta *d, const uint8_t *ck,
				   size_t cklen)
{
	size_t i = delta_seek(d, ck, cklen, false);

	if (i < d->n && smap_cmp(d->e[i].key, d->e[i].klen, ck, cklen) == 0)
		return &d->e[i];
	return NULL;
}
