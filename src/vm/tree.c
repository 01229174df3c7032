/* SPDX-License-Identifier: MIT */
/*
 * The machine's memory commitment: a binary keccak256 tree over 32-byte
 * leaves (2^27 leaves, 4 GiB), kept incrementally. Each page holds its
 * own 7-level subtree and rehashes only the paths of the leaves written
 * since the last flush; the 20 levels above the pages live in a sparse
 * map and are rehashed only along the paths of dirty pages. Untouched
 * space hashes as the all-zero subtree of its height.
 */
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static void hash2(uint8_t out[32], const uint8_t *l, const uint8_t *r)
{
	uint8_t buf[64];

	memcpy(buf, l, 32);
	memcpy(buf + 32, r, 32);
	cl_keccak256(out, buf, 64);
}

void vm_zero_hashes(struct cl_hash32 zero[VM_TREE_DEPTH + 1])
{
	memset(zero[0].b, 0, 32);
	for (int h = 1; h <= VM_TREE_DEPTH; h++)
		hash2(zero[h].b, zero[h - 1].b, zero[h - 1].b);
}

static unsigned depth_of(uint32_t idx)
{
	return 31u - (unsigned)__builtin_clz(idx);
}

void vm_page_init_nodes(struct vm_page *pg,
			const struct cl_hash32 zero[VM_TREE_DEPTH + 1])
{
	for (uint32_t i = 1; i < VM_LEAVES_PER_PAGE; i++)
		pg->node[i] = zero[VM_PAGE_DEPTH - depth_of(i)];
}

static const uint8_t *page_child(const struct vm_page *pg, uint32_t idx)
{
	if (idx >= VM_LEAVES_PER_PAGE)
		return pg->data + (idx - VM_LEAVES_PER_PAGE) * VM_WORD_SIZE;
	return pg->node[idx].b;
}

/* Rehash the paths from the dirty leaves to the page root. */
static void page_rehash(struct vm_page *pg)
{
	uint64_t lo = pg->dirty[0], hi = pg->dirty[1];
	uint64_t cur; /* dirty nodes of the level being built */

	/* level 6: node 64 + j covers leaves 2j and 2j+1 */
	cur = 0;
	for (unsigned j = 0; j < 64; j++) {
		unsigned l = 2 * j;
		uint64_t w = l < 64 ? lo : hi;

		if ((w >> (l % 64)) & 3)
			cur |= 1ull << j;
	}
	for (unsigned width = 64; width >= 1; width /= 2) {
		uint64_t next = 0;

		for (unsigned j = 0; j < width; j++) {
			uint32_t idx = width + j;

			if (!((cur >> j) & 1))
				continue;
			hash2(pg->node[idx].b, page_child(pg, 2 * idx),
			      page_child(pg, 2 * idx + 1));
			next |= 1ull << (j / 2);
		}
		cur = next;
	}
	pg->dirty[0] = pg->dirty[1] = 0;
}

/* ---- the sparse map above the pages ---- */

static size_t slot_of(const struct vm_nodemap *nm, uint32_t key)
{
	return (size_t)((key * 0x9e3779b1u) & (uint32_t)(nm->cap - 1));
}

static struct cl_hash32 *nodemap_find(const struct vm_nodemap *nm,
				      uint32_t key)
{
	if (nm->cap == 0)
		return NULL;
	for (size_t i = slot_of(nm, key);; i = (i + 1) & (nm->cap - 1)) {
		if (nm->keys[i] == key)
			return &nm->vals[i];
		if (nm->keys[i] == 0)
			return NULL;
	}
}

static void nodemap_put(struct vm_nodemap *nm, uint32_t key,
			const uint8_t v[32]);

static void nodemap_grow(struct vm_nodemap *nm)
{
	struct vm_nodemap old = *nm;

	nm->cap = old.cap ? old.cap * 2 : 1024;
	nm->n = 0;
	nm->keys = cl_xcalloc(nm->cap, sizeof(*nm->keys));
	nm->vals = cl_xmalloc(nm->cap * sizeof(*nm->vals));
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i])
			nodemap_put(nm, old.keys[i], old.vals[i].b);
	free(old.keys);
	free(old.vals);
}

static void nodemap_put(struct vm_nodemap *nm, uint32_t key,
			const uint8_t v[32])
{
	struct cl_hash32 *slot = nodemap_find(nm, key);
	size_t i;

	if (slot) {
		memcpy(slot->b, v, 32);
		return;
	}
	if ((nm->n + 1) * 2 > nm->cap)
		nodemap_grow(nm);
	for (i = slot_of(nm, key); nm->keys[i]; i = (i + 1) & (nm->cap - 1))
		;
	nm->keys[i] = key;
	memcpy(nm->vals[i].b, v, 32);
	nm->n++;
}

void vm_nodemap_release(struct vm_nodemap *nm)
{
	free(nm->keys);
	free(nm->vals);
	memset(nm, 0, sizeof(*nm));
}

/* ---- whole-tree access ---- */

#define PAGE_LEVEL 20 /* depth of the page roots */

void vm_tree_node(struct vm_machine *m, uint8_t out[32], uint32_t gidx)
{
	unsigned d = depth_of(gidx);
	const struct cl_hash32 *h;

	CL_REQUIRE(gidx != 0 && d <= VM_TREE_DEPTH);
	if (d < PAGE_LEVEL) {
		h = nodemap_find(&m->upper, gidx);
		memcpy(out, h ? h->b : m->zero[VM_TREE_DEPTH - d].b, 32);
		return;
	}
	unsigned below = d - PAGE_LEVEL;
	uint32_t pn = (gidx >> below) - (1u << PAGE_LEVEL);
	uint32_t local = (1u << below) | (gidx & ((1u << below) - 1));
	const struct vm_page *pg = vm_page_get(m, pn);

	if (!pg)
		memcpy(out, m->zero[VM_TREE_DEPTH - d].b, 32);
	else
		memcpy(out, local == 1 && below == 0 ? pg->node[1].b
						     : page_child(pg, local),
		       32);
}

void vm_tree_flush(struct vm_machine *m)
{
	uint8_t l[32], r[32], h[32];

	for (size_t i = 0; i < m->ndirty; i++) {
		struct vm_page *pg = vm_page_get(m, m->dirty_pages[i]);

		page_rehash(pg);
		pg->listed = false;
	}
	for (size_t i = 0; i < m->ndirty; i++) {
		uint32_t g = (1u << PAGE_LEVEL) + m->dirty_pages[i];

		while (g > 1) {
			g >>= 1;
			vm_tree_node(m, l, 2 * g);
			vm_tree_node(m, r, 2 * g + 1);
			hash2(h, l, r);
			nodemap_put(&m->upper, g, h);
		}
	}
	m->ndirty = 0;
}

uint32_t vm_range_nsib(uint32_t first, uint32_t last)
{
	uint32_t n = 0;

	for (int lvl = 0; lvl < VM_TREE_DEPTH; lvl++) {
		n += (first & 1) + !(last & 1);
		first >>= 1;
		last >>= 1;
	}
	return n;
}

void vm_tree_siblings(struct vm_machine *m, struct cl_buf *out,
		      uint32_t first, uint32_t last)
{
	uint8_t h[32];

	for (int lvl = 0; lvl < VM_TREE_DEPTH; lvl++) {
		uint32_t base = 1u << (VM_TREE_DEPTH - lvl);

		if (first & 1) {
			vm_tree_node(m, h, base + first - 1);
			cl_buf_append(out, h, 32);
		}
		if (!(last & 1)) {
			vm_tree_node(m, h, base + last + 1);
			cl_buf_append(out, h, 32);
		}
		first >>= 1;
		last >>= 1;
	}
}
