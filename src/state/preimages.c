/* SPDX-License-Identifier: MIT */
/*
 * The preimages of a committed state (cl_preimage_map): everything a walk
 * of its root fetches (walk.c), filed under the keccak256 computed here.
 * This is the native side of the stf as a VM program: an honest party
 * answers the VM's preimage reads from it, and can post any of them to
 * the L1 preimage oracle. The guest does not compile this file.
 *
 * The map is an open-addressing hash table keyed by the first 8 bytes of
 * each hash (which is uniform), over copies of the preimages; the order
 * of cl_preimage_map_at() is the order of insertion.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

struct pre {
	struct cl_hash32 h;
	uint8_t *p;
	size_t len;
};

struct cl_preimage_map {
	struct pre *v; /* in insertion order */
	size_t n, cap;
	size_t *slot;  /* 1 + index into v, 0 = free */
	size_t nslots; /* a power of two, at least 2n */
	size_t bytes;
};

struct cl_preimage_map *cl_preimage_map_new(void)
{
	return cl_xcalloc(1, sizeof(struct cl_preimage_map));
}

void cl_preimage_map_free(struct cl_preimage_map *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++)
		free(pm->v[i].p);
	free(pm->v);
	free(pm->slot);
	free(pm);
}

static size_t home(const struct cl_preimage_map *pm, const struct cl_hash32 *h)
{
	return (size_t)cl_get_be64(h->b) & (pm->nslots - 1);
}

/* The slot holding h, or the free slot where it would go. */
static size_t find(const struct cl_preimage_map *pm, const struct cl_hash32 *h)
{
	size_t i = home(pm, h);

	while (pm->slot[i] && memcmp(pm->v[pm->slot[i] - 1].h.b, h->b, 32) != 0)
		i = (i + 1) & (pm->nslots - 1);
	return i;
}

static void grow(struct cl_preimage_map *pm)
{
	free(pm->slot);
	pm->nslots = pm->nslots ? pm->nslots * 2 : 1024;
	pm->slot = cl_xcalloc(pm->nslots, sizeof(*pm->slot));
	for (size_t k = 0; k < pm->n; k++)
		pm->slot[find(pm, &pm->v[k].h)] = k + 1;
}

void cl_preimage_map_add(struct cl_preimage_map *pm, const uint8_t *p,
			 size_t len)
{
	struct cl_hash32 h;
	size_t i;

	cl_keccak256(h.b, p, len);
	if ((pm->n + 1) * 2 > pm->nslots)
		grow(pm);
	i = find(pm, &h);
	if (pm->slot[i])
		return;
	if (pm->n == pm->cap) {
		pm->cap = pm->cap ? pm->cap * 2 : 1024;
		pm->v = cl_xrealloc(pm->v, pm->cap * sizeof(*pm->v));
	}
	pm->v[pm->n].h = h;
	pm->v[pm->n].p = cl_xmalloc(len ? len : 1);
	if (len)
		memcpy(pm->v[pm->n].p, p, len);
	pm->v[pm->n].len = len;
	pm->n++;
	pm->slot[i] = pm->n;
	pm->bytes += len;
}

bool cl_preimage_map_get(const struct cl_preimage_map *pm,
			 const struct cl_hash32 *h, const uint8_t **p,
			 size_t *len)
{
	size_t i;

	*p = NULL;
	*len = 0;
	if (pm->n == 0)
		return false;
	i = find(pm, h);
	if (!pm->slot[i])
		return false;
	*p = pm->v[pm->slot[i] - 1].p;
	*len = pm->v[pm->slot[i] - 1].len;
	return true;
}

bool cl_preimage_map_fetch(void *arg, struct cl_buf *out,
			   const struct cl_hash32 *h)
{
	const uint8_t *p;
	size_t len;

	if (!cl_preimage_map_get(arg, h, &p, &len))
		return false;
	cl_buf_reset(out);
	cl_buf_append(out, p, len);
	return true;
}

size_t cl_preimage_map_count(const struct cl_preimage_map *pm, size_t *bytes)
{
	if (bytes)
		*bytes = pm->bytes;
	return pm->n;
}

void cl_preimage_map_at(const struct cl_preimage_map *pm, size_t i,
			const uint8_t **p, size_t *len)
{
	CL_REQUIRE(i < pm->n);
	*p = pm->v[i].p;
	*len = pm->v[i].len;
}

/* ------------------------------------------------------------------ */
/* From a state                                                        */
/* ------------------------------------------------------------------ */

struct leaf {
	struct cl_hash32 path, vh;
};

static int leaf_cmp(const void *a, const void *b)
{
	return memcmp(((const struct leaf *)a)->path.b,
		      ((const struct leaf *)b)->path.b, 32);
}

/* Add the node preimages of the subtree over the sorted leaves l[0..n);
 * *out gets its hash. */
static void add_nodes(struct cl_preimage_map *pm, struct cl_hash32 *out,
		      const struct leaf *l, size_t n, unsigned depth)
{
	struct cl_hash32 a, b;
	uint8_t pre[65];
	size_t lo = 0, hi = n;

	if (n == 0) {
		memset(out->b, 0, 32);
		return;
	}
	if (n == 1) {
		pre[0] = 0x00;
		memcpy(pre + 1, l->path.b, 32);
		memcpy(pre + 33, l->vh.b, 32);
		cl_preimage_map_add(pm, pre, 65);
		cl_smt_leaf_hash(out, &l->path, &l->vh);
		return;
	}
	CL_REQUIRE(depth < CL_SMT_DEPTH);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cl_smt_bit(&l[mid].path, depth))
			hi = mid;
		else
			lo = mid + 1;
	}
	add_nodes(pm, &a, l, lo, depth + 1);
	add_nodes(pm, &b, l + lo, n - lo, depth + 1);
	pre[0] = 0x01;
	memcpy(pre + 1, a.b, 32);
	memcpy(pre + 33, b.b, 32);
	cl_preimage_map_add(pm, pre, 65);
	cl_smt_node_hash(out, &a, &b);
}

int cl_preimage_map_add_state(struct cl_preimage_map *pm, struct cl_state *st)
{
	const struct cl_table_info *tables;
	struct kv *kv = state_kv(st);
	struct leaf *leaves = NULL;
	size_t ntables, n = 0, cap = 0;
	struct cl_hash32 root, stored;
	uint8_t tk[1 + CL_STATE_KEY_MAX];
	int rc = CL_OK;

	if (!kv)
		return CL_ERR_IO;
	tables = cl_table_list(&ntables);
	for (size_t i = 0; i < ntables && !rc; i++) {
		struct kv_cursor c;

		if (!tables[i].committed)
			continue;
		rc = kv_cursor_open(&c, kv, kv_table_index(tables[i].id));
		for (rc = rc ? rc : kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
		     rc = kv_cursor_next(&c)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				leaves =
				    cl_xrealloc(leaves, cap * sizeof(*leaves));
			}
			CL_REQUIRE(c.klen >= 1 && c.klen <= CL_STATE_KEY_MAX);
			tk[0] = (uint8_t)tables[i].id;
			memcpy(tk + 1, c.key, c.klen);
			cl_preimage_map_add(pm, tk, 1 + c.klen);
			cl_preimage_map_add(pm, c.val, c.vlen);
			cl_smt_path(&leaves[n].path, (uint8_t)tables[i].id,
				    c.key, c.klen);
			cl_smt_value_hash(&leaves[n].vh, c.val, c.vlen);
			n++;
		}
		kv_cursor_close(&c);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	if (rc)
		goto out;
	if (n > 1)
		qsort(leaves, n, sizeof(*leaves), leaf_cmp);
	add_nodes(pm, &root, leaves, n, 0);
	rc = smt_stored_root(kv, &stored);
	if (!rc && memcmp(root.b, stored.b, 32) != 0) {
		cl_unusual(STATE_LOG,
			   "the stored root is not the tables' root");
		rc = CL_ERR_CORRUPT;
	}
out:
	free(leaves);
	return rc;
}
