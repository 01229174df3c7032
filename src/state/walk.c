/* SPDX-License-Identifier: MIT */
/*
 * A memory state fetched node by node from a root (cl_state_new_walk(),
 * docs/state.md "Walking the tree"): how the stf as a VM program gets
 * its pre-state from nothing but the pre-state root and the preimage
 * ecall.
 *
 * The walk goes down from the root. An internal node's preimage is
 * 0x01 ‖ left ‖ right; a leaf's is 0x00 ‖ path ‖ value hash; the zero
 * hash is an empty subtree. A leaf's table and key are the preimage of
 * its path (path = keccak256(table id ‖ key)), its value the preimage of
 * its value hash. What is found goes straight into a memory store, as a
 * memory state would hold it after committing the same contents: the
 * tables, KV_LEAVES (path -> value hash), KV_NODES ((prefix, depth) ->
 * hash of every internal node) and the root in KV_META. Nothing is
 * hashed: the fetch function only returns true preimages (the VM
 * guarantees it inside the guest), so every byte is bound to the root.
 *
 * The tree must be exactly one this module writes (docs/state.md
 * "Compaction"): internal nodes only over two or more leaves, each leaf
 * under the prefix of its own path, at most 256 levels. Anything else is
 * refused, so the memory state's incremental updates (smt.c) then give
 * the root the native state gives.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

struct walker {
	cl_state_fetch_fn fetch;
	void *arg;
	struct mem_store *mem;
	struct cl_buf node, key; /* scratch: the node, a path preimage */
	struct cl_buf val;
	struct cl_state_walk_stats stats;
};

static bool is_zero(const struct cl_hash32 *h)
{
	static const struct cl_hash32 zero;

	return memcmp(h->b, zero.b, 32) == 0;
}

static int refuse(const char *what, unsigned depth)
{
	cl_unusual(STATE_LOG, "state walk: %s at depth %u", what, depth);
	return CL_ERR_CORRUPT;
}

static bool get(struct walker *w, struct cl_buf *out, const struct cl_hash32 *h)
{
	cl_buf_reset(out);
	if (!w->fetch(w->arg, out, h))
		return false;
	w->stats.bytes += out->len;
	return true;
}

/* A leaf: its path (under `prefix` at `depth`), table, key and value. */
static int walk_leaf(struct walker *w, unsigned depth,
		     const struct cl_hash32 *prefix)
{
	const struct cl_table_info *info;
	struct cl_hash32 path, vh;

	memcpy(path.b, w->node.p + 1, 32);
	memcpy(vh.b, w->node.p + 33, 32);
	if (!smt_same_prefix(path.b, prefix->b, depth))
		return refuse("a leaf off its path", depth);
	if (!get(w, &w->key, &path))
		return refuse("the preimage of a path is missing", depth);
	if (w->key.len < 2 || w->key.len > 1 + CL_STATE_KEY_MAX)
		return refuse("a path preimage is not table id and key", depth);
	info = cl_table_find(w->key.p[0]);
	if (!info || !info->committed)
		return refuse("a leaf of no committed table", depth);
	if (!get(w, &w->val, &vh))
		return refuse("a value is missing", depth);
	if (w->val.len > CL_STATE_VALUE_MAX)
		return refuse("a value is too long", depth);
	mem_put(w->mem, kv_table_index(info->id), w->key.p + 1, w->key.len - 1,
		w->val.p, w->val.len);
	mem_put(w->mem, KV_LEAVES, path.b, 32, vh.b, 32);
	w->stats.leaves++;
	return CL_OK;
}

/*
 * The subtree whose hash is h, at `depth` under `prefix` (the bits from
 * `depth` on zero). *count gets its number of leaves, capped at 2.
 */
static int walk(struct walker *w, unsigned *count, const struct cl_hash32 *h,
		unsigned depth, const struct cl_hash32 *prefix)
{
	struct cl_hash32 kid[2], cp;
	unsigned n[2];
	uint8_t key[33];
	int rc;

	*count = 0;
	if (is_zero(h))
		return CL_OK;
	if (!get(w, &w->node, h))
		return refuse("a tree node is missing", depth);
	if (w->node.len != 65 || w->node.p[0] > 0x01)
		return refuse("a tree node is malformed", depth);
	if (w->node.p[0] == 0x00) {
		*count = 1;
		return walk_leaf(w, depth, prefix);
	}
	if (depth >= CL_SMT_DEPTH)
		return refuse("the tree is too deep", depth);
	memcpy(kid[0].b, w->node.p + 1, 32);
	memcpy(kid[1].b, w->node.p + 33, 32);
	rc = walk(w, &n[0], &kid[0], depth + 1, prefix);
	if (rc)
		return rc;
	cp = *prefix;
	cp.b[depth / 8] |= (uint8_t)(0x80 >> (depth % 8));
	rc = walk(w, &n[1], &kid[1], depth + 1, &cp);
	if (rc)
		return rc;
	if (n[0] + n[1] < 2)
		return refuse("an internal node over fewer than two leaves",
			      depth);
	smt_node_key(key, depth, prefix);
	mem_put(w->mem, KV_NODES, key, sizeof(key), h->b, 32);
	w->stats.nodes++;
	*count = 2;
	return CL_OK;
}

int cl_state_new_walk(struct cl_state **out, const struct cl_hash32 *root,
		      cl_state_fetch_fn fetch, void *arg)
{
	static const struct cl_hash32 zero;
	struct cl_state *st = cl_state_new_memory();
	struct kv *kv = state_kv(st);
	struct walker w = {.fetch = fetch, .arg = arg, .mem = kv->mem};
	unsigned count;
	int rc;

	*out = NULL;
	cl_buf_init(&w.node);
	cl_buf_init(&w.key);
	cl_buf_init(&w.val);
	rc = walk(&w, &count, root, 0, &zero);
	cl_buf_release(&w.node);
	cl_buf_release(&w.key);
	cl_buf_release(&w.val);
	if (rc) {
		cl_state_free(st);
		return rc;
	}
	mem_put(w.mem, KV_META, (const uint8_t *)META_KEY_ROOT,
		strlen(META_KEY_ROOT), root->b, 32);
	w.mem->walked = w.stats;
	*out = st;
	return CL_OK;
}

void cl_state_walk_stats(struct cl_state *st, struct cl_state_walk_stats *out)
{
	struct kv *kv = state_kv(st);

	memset(out, 0, sizeof(*out));
	if (kv && kv->kind == KV_MEM)
		*out = kv->mem->walked;
}
