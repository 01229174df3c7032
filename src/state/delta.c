/* SPDX-License-Identifier: MIT */
/*
 * A delta: the changes one committed block made to the kv tables (its
 * entries, the tree's leaves and nodes and the root), frozen into one
 * sorted array with a single allocation for the array and the bytes. The
 * layer (layer.c) keeps the deltas not yet checkpointed into LMDB; the
 * writer and every snapshot read through them. A delta never changes
 * after it is made, so readers on other threads need no lock, only a
 * reference.
 *
 * The builder collects a block's writes before it is frozen: one sorted
 * run of entries per kv table, their bytes in one buffer. The commit
 * writes each table in key order (docs/state.md "Storage"), so almost
 * every write is an append after one comparison; a write out of order
 * is put in place by a binary search.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

/* ------------------------------------------------------------------ */
/* The builder                                                         */
/* ------------------------------------------------------------------ */

void builder_init(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	b->runs = cl_xcalloc(kv_table_count(), sizeof(*b->runs));
	cl_buf_init(&b->bytes);
}

void builder_release(struct builder *b)
{
	for (unsigned t = 0; t < kv_table_count(); t++)
		free(b->runs[t].e);
	free(b->runs);
	cl_buf_release(&b->bytes);
}

void builder_clear(struct builder *b)
{
	if (!b->count)
		return;
	for (unsigned t = 0; t < kv_table_count(); t++)
		b->runs[t].n = 0;
	cl_buf_reset(&b->bytes);
	b->count = 0;
}

static int bent_cmp(const struct builder *b, const struct bld_ent *e,
		    const uint8_t *key, size_t klen)
{
	return smap_cmp(b->bytes.p + e->koff, e->klen, key, klen);
}

/* The position of the first entry >= key in run r. */
static size_t run_seek(const struct builder *b, const struct bld_run *r,
		       const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bent_cmp(b, &r->e[mid], key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void builder_set(struct builder *b, unsigned tbl, const uint8_t *key,
		 size_t klen, const uint8_t *val, size_t vlen, bool tomb)
{
	struct bld_run *r = &b->runs[tbl];
	struct bld_ent *e;
	size_t pos = r->n;

	CL_REQUIRE(klen <= UINT32_MAX && vlen <= UINT32_MAX &&
		   b->bytes.len <= UINT32_MAX - klen - vlen);
	if (r->n && bent_cmp(b, &r->e[r->n - 1], key, klen) >= 0) {
		pos = run_seek(b, r, key, klen);
		if (bent_cmp(b, &r->e[pos], key, klen) == 0)
			goto fill; /* written again in the block */
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->e = cl_xrealloc(r->e, r->cap * sizeof(*r->e));
	}
	memmove(&r->e[pos + 1], &r->e[pos], (r->n - pos) * sizeof(*r->e));
	r->n++;
	b->count++;
	r->e[pos].koff = (uint32_t)b->bytes.len;
	r->e[pos].klen = (uint32_t)klen;
	cl_buf_append(&b->bytes, key, klen);
fill:
	e = &r->e[pos];
	e->tomb = tomb;
	e->voff = (uint32_t)b->bytes.len;
	e->vlen = tomb ? 0 : (uint32_t)vlen;
	if (!tomb && vlen)
		cl_buf_append(&b->bytes, val, vlen);
}

const struct bld_ent *builder_find(const struct builder *b, unsigned tbl,
				   const uint8_t *key, size_t klen)
{
	const struct bld_run *r = &b->runs[tbl];
	size_t pos;

	if (!r->n)
		return NULL;
	pos = run_seek(b, r, key, klen);
	if (pos < r->n && bent_cmp(b, &r->e[pos], key, klen) == 0)
		return &r->e[pos];
	return NULL;
}

size_t builder_seek(const struct builder *b, unsigned tbl,
		    const uint8_t *key, size_t klen)
{
	return run_seek(b, &b->runs[tbl], key, klen);
}

/* ------------------------------------------------------------------ */
/* Deltas                                                              */
/* ------------------------------------------------------------------ */

/* The bytes of a delta's table of where each kv table starts. */
static size_t tab_bytes(void)
{
	return ((size_t)kv_table_count() + 1) * sizeof(uint32_t);
}

/* Fill d->tab from d's entries (in key order, each key starting with its
 * table's byte). */
static void tab_fill(struct delta *d)
{
	size_t i = 0;

	for (unsigned t = 0; t <= kv_table_count(); t++) {
		while (i < d->n && d->e[i].key[0] < t)
			i++;
		d->tab[t] = (uint32_t)i;
	}
}

struct delta *delta_from_builder(const struct builder *b, uint64_t seq)
{
	size_t bytes = 0, n = b->count, i = 0;
	struct delta *d;
	uint8_t *p;

	for (unsigned t = 0; t < kv_table_count(); t++)
		for (size_t j = 0; j < b->runs[t].n; j++) {
			const struct bld_ent *s = &b->runs[t].e[j];
			bytes += 1 + s->klen + s->vlen;
		}
	CL_REQUIRE(n <= UINT32_MAX);
	d = cl_xmalloc(sizeof(*d) + n * sizeof(*d->e) + tab_bytes() + bytes +
		       1);
	d->seq = seq;
	atomic_init(&d->refs, 1);
	d->n = n;
	d->e = (struct delta_ent *)(d + 1);
	d->tab = (uint32_t *)(d->e + n);
	d->bytes = sizeof(*d) + n * sizeof(*d->e) + tab_bytes() + bytes;
	p = (uint8_t *)d->tab + tab_bytes();
	/* the runs in table order: the entries in (table ‖ key) order */
	for (unsigned t = 0; t < kv_table_count(); t++) {
		d->tab[t] = (uint32_t)i;
		for (size_t j = 0; j < b->runs[t].n; j++, i++) {
			const struct bld_ent *s = &b->runs[t].e[j];
			struct delta_ent *e = &d->e[i];

			e->key = p;
			*p++ = (uint8_t)t;
			memcpy(p, b->bytes.p + s->koff, s->klen);
			p += s->klen;
			e->klen = s->klen + 1;
			e->k8 = delta_key8(e->key, e->klen);
			if (s->tomb) {
				e->val = NULL;
				e->vlen = 0;
				continue;
			}
			if (s->vlen)
				memcpy(p, b->bytes.p + s->voff, s->vlen);
			e->val = p; /* an empty value points into the block */
			e->vlen = s->vlen;
			p += s->vlen;
		}
	}
	d->tab[kv_table_count()] = (uint32_t)i;
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
	uint64_t k8 = delta_key8(ck, cklen);

	/* every entry before the key's table is smaller, every one after
	 * it larger */
	if (cklen && ck[0] < kv_table_count()) {
		lo = d->tab[ck[0]];
		hi = d->tab[ck[0] + 1];
	}

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = delta_ent_cmp(&d->e[mid], k8, ck, cklen);

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

struct delta *delta_merge(struct delta *const *v, size_t k, uint64_t seq)
{
	size_t nmax = 0, bytes = 0, pos[LAYER_MAX_DELTAS] = { 0 }, n = 0;
	struct delta *d;
	uint8_t *p;

	CL_REQUIRE(k >= 1 && k <= LAYER_MAX_DELTAS);
	for (size_t i = 0; i < k; i++) {
		nmax += v[i]->n;
		for (size_t j = 0; j < v[i]->n; j++)
			bytes += v[i]->e[j].klen + v[i]->e[j].vlen;
	}
	CL_REQUIRE(nmax <= UINT32_MAX);
	d = cl_xmalloc(sizeof(*d) + nmax * sizeof(*d->e) + tab_bytes() +
		       bytes + 1);
	d->seq = seq;
	atomic_init(&d->refs, 1);
	d->e = (struct delta_ent *)(d + 1);
	d->tab = (uint32_t *)(d->e + nmax);
	p = (uint8_t *)d->tab + tab_bytes();
	for (;;) {
		const struct delta_ent *win = NULL;

		/* the smallest key; of equal keys the newest (last) delta's */
		for (size_t i = 0; i < k; i++) {
			const struct delta_ent *e;
			if (pos[i] >= v[i]->n)
				continue;
			e = &v[i]->e[pos[i]];
			if (!win ||
			    delta_ent_cmp(e, win->k8, win->key, win->klen) <= 0)
				win = e;
		}
		if (!win)
			break;
		struct delta_ent *out = &d->e[n++];
		memcpy(p, win->key, win->klen);
		out->key = p;
		out->klen = win->klen;
		out->k8 = win->k8;
		p += win->klen;
		out->val = NULL;
		out->vlen = 0;
		if (win->val) {
			if (win->vlen)
				memcpy(p, win->val, win->vlen);
			out->val = p;
			out->vlen = win->vlen;
			p += win->vlen;
		}
		for (size_t i = 0; i < k; i++)
			if (pos[i] < v[i]->n &&
			    delta_ent_cmp(&v[i]->e[pos[i]], out->k8, out->key,
					  out->klen) == 0)
				pos[i]++;
	}
	d->n = n;
	d->bytes = sizeof(*d) + n * sizeof(*d->e) +
		   (size_t)(p - (uint8_t *)d->tab);
	tab_fill(d);
	return d;
}
