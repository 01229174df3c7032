/* SPDX-License-Identifier: MIT */
/*
 * The sparse Merkle tree kept in two kv tables:
 *
 *   KV_LEAVES  path (32) -> value hash (32), one entry per committed key,
 *              sorted by path, so the leaves under any subtree are one
 *              contiguous key range;
 *   KV_NODES   prefix (32, bits from `depth` on zeroed) ‖ depth (1) ->
 *              hash (32), for exactly the subtrees holding `min` or more
 *              leaves (smt_store_min(): 16 in LMDB, the upper internal
 *              nodes; 2 in memory, every internal node of the compacted
 *              tree), in depth-first order: the nodes of a subtree are
 *              one key range.
 *
 * The hash of a subtree is: a KV_NODES entry if there is one; else it
 * holds fewer than `min` leaves, read by a cursor seek in KV_LEAVES and
 * hashed (zero for none, the leaf hash for one).
 *
 * An update walks down only the subtrees containing a changed path:
 * O(k log n) hashes and lookups for k changed leaves among n. Where a
 * changed subtree is left with fewer than `min` leaves, its stale
 * KV_NODES entries are deleted: each of them lies on a changed path,
 * since it held at least `min` leaves and lost some.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

static const struct cl_hash32 zero_hash;

struct leaf {
	struct cl_hash32 path;
	struct cl_hash32 vh;
};

/* The leaves of a subtree below the stored nodes: fewer than the
 * tree's `min`, or exactly `min` meaning "that many or more". */
struct few {
	struct leaf v[SMT_STORE_MIN];
	unsigned n;
};

struct smt {
	struct kv *kv;
	struct kv_cursor leaves;
	uint64_t hashes;
	unsigned min; /* smt_store_min() */
};

/* The first `depth` bits of `path`, the rest zero. */
static void prefix_of(struct cl_hash32 *out, const struct cl_hash32 *path,
		      unsigned depth)
{
	unsigned whole = depth / 8, rest = depth % 8;

	memset(out->b, 0, sizeof(out->b));
	memcpy(out->b, path->b, whole);
	if (rest)
		out->b[whole] = path->b[whole] & (uint8_t)(0xff00 >> rest);
}

static void set_bit(struct cl_hash32 *p, unsigned i)
{
	p->b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

void smt_node_key(uint8_t out[33], unsigned depth,
		  const struct cl_hash32 *path)
{
	unsigned whole = depth / 8, rest = depth % 8;

	CL_REQUIRE(depth < CL_SMT_DEPTH);
	memset(out, 0, 32);
	memcpy(out, path->b, whole);
	if (rest)
		out[whole] = path->b[whole] & (uint8_t)(0xff00 >> rest);
	out[32] = (uint8_t)depth;
}

static void node_key(uint8_t out[33], unsigned depth,
		     const struct cl_hash32 *prefix)
{
	smt_node_key(out, depth, prefix);
}

static int corrupt(const char *what, unsigned depth)
{
	cl_unusual(STATE_LOG,
		   "merkle tree storage is inconsistent: %s at depth %u", what,
		   depth);
	return CL_ERR_CORRUPT;
}

static size_t leaf_split(const struct leaf *l, size_t n, unsigned depth)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cl_smt_bit(&l[mid].path, depth))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The hash of the subtree holding the sorted, distinct leaves l[0..n). */
static void build(struct cl_hash32 *out, const struct leaf *l, size_t n,
		  unsigned depth, uint64_t *hashes)
{
	struct cl_hash32 left, right;
	size_t m;

	if (n == 0) {
		*out = zero_hash;
		return;
	}
	if (n == 1) {
		cl_smt_leaf_hash(out, &l[0].path, &l[0].vh);
		(*hashes)++;
		return;
	}
	CL_REQUIRE(depth < CL_SMT_DEPTH);
	m = leaf_split(l, n, depth);
	build(&left, l, m, depth + 1, hashes);
	build(&right, l + m, n - m, depth + 1, hashes);
	cl_smt_node_hash(out, &left, &right);
	(*hashes)++;
}

/*
 * Read the leaves under (depth, prefix), stopping at t->min: f->n is
 * their number, or t->min for that many or more.
 */
static int gather(struct smt *t, struct few *f, unsigned depth,
		  const struct cl_hash32 *prefix)
{
	struct kv_cursor *c = &t->leaves;
	int rc;

	f->n = 0;
	for (rc = kv_cursor_seek(c, prefix->b, 32);
	     rc == CL_OK && f->n < t->min; rc = kv_cursor_next(c)) {
		if (c->klen != 32 || c->vlen != 32)
			return corrupt("malformed leaf", depth);
		if (!smt_same_prefix(c->key, prefix->b, depth))
			return CL_OK;
		memcpy(f->v[f->n].path.b, c->key, 32);
		memcpy(f->v[f->n].vh.b, c->val, 32);
		f->n++;
	}
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* The stored internal node at (depth, prefix): CL_OK, or NOT_FOUND. */
static int node_get(struct smt *t, struct cl_hash32 *out, unsigned depth,
		    const struct cl_hash32 *prefix)
{
	uint8_t key[33];
	const uint8_t *v;
	size_t vlen;
	int rc;

	if (depth >= CL_SMT_DEPTH)
		return CL_ERR_NOT_FOUND;
	node_key(key, depth, prefix);
	rc = kv_get(t->kv, &v, &vlen, KV_NODES, key, sizeof(key));
	if (rc)
		return rc;
	if (vlen != 32)
		return corrupt("malformed node", depth);
	memcpy(out->b, v, 32);
	return CL_OK;
}

/*
 * Does (depth, prefix) hold fewer than t->min leaves? Then *small is
 * true and *out their hash. (Not inlined in the recursive update: its
 * leaves stay off the recursion's stack.)
 */
static __attribute__((noinline)) int small_hash(struct smt *t, bool *small,
						struct cl_hash32 *out,
						unsigned depth,
						const struct cl_hash32 *prefix)
{
	struct few f;
	int rc = gather(t, &f, depth, prefix);

	*small = false;
	if (rc || f.n >= t->min)
		return rc;
	build(out, f.v, f.n, depth, &t->hashes);
	*small = true;
	return CL_OK;
}

/* The hash of an unchanged subtree. */
static int clean_hash(struct smt *t, struct cl_hash32 *out, unsigned depth,
		      const struct cl_hash32 *prefix)
{
	bool small;
	int rc = node_get(t, out, depth, prefix);

	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = small_hash(t, &small, out, depth, prefix);
	if (rc)
		return rc;
	return small ? CL_OK : corrupt("missing node", depth);
}

/* Index of the first path in sorted dirty[0..n) with bit `depth` set (all
 * share the first `depth` bits). */
static size_t split(const struct cl_hash32 *dirty, size_t n, unsigned depth)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cl_smt_bit(&dirty[mid], depth))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Delete the stored internal nodes under (depth, prefix) that lie on the
 * paths dirty[0..n). */
static int purge(struct smt *t, unsigned depth, const struct cl_hash32 *prefix,
		 const struct cl_hash32 *dirty, size_t n)
{
	struct cl_hash32 cp;
	uint8_t key[33];
	size_t m;
	int rc;

	if (depth >= CL_SMT_DEPTH || n == 0)
		return CL_OK;
	node_key(key, depth, prefix);
	rc = kv_del(t->kv, KV_NODES, key, sizeof(key));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK; /* nothing stored below either */
	if (rc)
		return rc;
	m = split(dirty, n, depth);
	rc = purge(t, depth + 1, prefix, dirty, m);
	if (rc)
		return rc;
	cp = *prefix;
	set_bit(&cp, depth);
	return purge(t, depth + 1, &cp, dirty + m, n - m);
}

/* Recompute the subtree (depth, prefix), which contains the changed
 * paths dirty[0..n), n >= 1. */
static int update(struct smt *t, struct cl_hash32 *out, unsigned depth,
		  const struct cl_hash32 *prefix,
		  const struct cl_hash32 *dirty, size_t n)
{
	struct cl_hash32 child[2], cp[2];
	uint8_t key[33];
	size_t m;
	bool small;
	int rc = small_hash(t, &small, out, depth, prefix);

	if (rc)
		return rc;
	if (small) {
		/* below the stored nodes now: the few leaves were hashed;
		 * drop what was stored when it held more */
		return purge(t, depth, prefix, dirty, n);
	}
	if (depth >= CL_SMT_DEPTH)
		return corrupt("duplicate path", depth);
	m = split(dirty, n, depth);
	cp[0] = *prefix;
	cp[1] = *prefix;
	set_bit(&cp[1], depth);
	if (m > 0)
		rc = update(t, &child[0], depth + 1, &cp[0], dirty, m);
	else
		rc = clean_hash(t, &child[0], depth + 1, &cp[0]);
	if (rc)
		return rc;
	if (m < n)
		rc = update(t, &child[1], depth + 1, &cp[1], dirty + m, n - m);
	else
		rc = clean_hash(t, &child[1], depth + 1, &cp[1]);
	if (rc)
		return rc;
	cl_smt_node_hash(out, &child[0], &child[1]);
	t->hashes++;
	node_key(key, depth, prefix);
	return kv_put(t->kv, KV_NODES, key, sizeof(key), out->b, 32);
}

int smt_stored_root(struct kv *kv, struct cl_hash32 *root)
{
	const uint8_t *v;
	size_t vlen;
	int rc = kv_get(kv, &v, &vlen, KV_META, (const uint8_t *)META_KEY_ROOT,
			strlen(META_KEY_ROOT));

	*root = zero_hash;
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc)
		return rc;
	if (vlen != 32) {
		cl_unusual(STATE_LOG, "stored root has %zu bytes", vlen);
		return CL_ERR_CORRUPT;
	}
	memcpy(root->b, v, 32);
	return CL_OK;
}

int smt_update(struct kv *kv, struct cl_hash32 *root,
	       const struct cl_hash32 *dirty, size_t n, uint64_t *hashes)
{
	struct smt t = { .kv = kv, .min = smt_store_min(kv) };
	int rc;

	if (n == 0)
		return smt_stored_root(kv, root);
	rc = kv_cursor_open(&t.leaves, kv, KV_LEAVES);
	if (rc)
		return rc;
	rc = update(&t, root, 0, &zero_hash, dirty, n);
	kv_cursor_close(&t.leaves);
	*hashes += t.hashes;
	if (rc)
		return rc;
	return kv_put(kv, KV_META, (const uint8_t *)META_KEY_ROOT,
		      strlen(META_KEY_ROOT), root->b, 32);
}

int smt_prove(struct kv *kv, struct cl_proof *out,
	      const struct cl_hash32 *path)
{
	struct smt t = { .kv = kv, .min = smt_store_min(kv) };
	struct cl_hash32 prefix = zero_hash, node, sib;
	const struct leaf *l;
	struct few f;
	unsigned depth;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kv_cursor_open(&t.leaves, kv, KV_LEAVES);
	if (rc)
		return rc;
	/* down the stored nodes */
	for (depth = 0;; depth++) {
		rc = node_get(&t, &node, depth, &prefix);
		if (rc == CL_ERR_NOT_FOUND)
			break;
		if (rc)
			goto out;
		/* an internal node: record the sibling, go down */
		prefix_of(&sib, path, depth + 1);
		sib.b[depth / 8] ^= (uint8_t)(0x80 >> (depth % 8));
		rc = clean_hash(&t, &out->siblings[depth], depth + 1, &sib);
		if (rc)
			goto out;
		prefix_of(&prefix, path, depth + 1);
	}
	/* then down the few leaves below them */
	rc = gather(&t, &f, depth, &prefix);
	if (rc)
		goto out;
	if (f.n >= t.min) {
		rc = corrupt("missing node", depth);
		goto out;
	}
	l = f.v;
	n = f.n;
	while (n >= 2) {
		size_t m = leaf_split(l, n, depth);

		CL_REQUIRE(depth < CL_SMT_DEPTH);
		if (cl_smt_bit(path, depth)) {
			build(&out->siblings[depth], l, m, depth + 1,
			      &t.hashes);
			l += m;
			n -= m;
		} else {
			build(&out->siblings[depth], l + m, n - m, depth + 1,
			      &t.hashes);
			n = m;
		}
		depth++;
	}
	out->depth = depth;
	if (n == 0) {
		out->kind = CL_PROOF_EXCLUSION_EMPTY;
	} else if (memcmp(l->path.b, path->b, 32) == 0) {
		out->kind = CL_PROOF_INCLUSION;
	} else {
		out->kind = CL_PROOF_EXCLUSION_LEAF;
		out->other_path = l->path;
		out->other_value_hash = l->vh;
	}
out:
	kv_cursor_close(&t.leaves);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------------------ */
/* From scratch                                                        */
/* ------------------------------------------------------------------ */

static int leaf_cmp(const void *a, const void *b)
{
	return memcmp(((const struct leaf *)a)->path.b,
		      ((const struct leaf *)b)->path.b, 32);
}

int smt_recompute(struct kv *kv, struct cl_hash32 *root, uint64_t *hashes)
{
	const struct cl_table_info *tables;
	struct leaf *leaves = NULL;
	size_t ntables, n = 0, cap = 0;
	uint64_t count = 0;
	int rc = CL_OK;

	*root = zero_hash;
	tables = cl_table_list(&ntables);
	for (size_t i = 0; i < ntables && !rc; i++) {
		struct kv_cursor c;

		if (!tables[i].committed)
			continue;
		rc = kv_cursor_open(&c, kv, kv_table_index(tables[i].id));
		if (rc)
			break;
		for (rc = kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
		     rc = kv_cursor_next(&c)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				leaves = cl_xrealloc(leaves,
						     cap * sizeof(*leaves));
			}
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
	for (size_t i = 1; i < n; i++) {
		if (memcmp(leaves[i - 1].path.b, leaves[i].path.b, 32) == 0) {
			rc = corrupt("two keys with one path", CL_SMT_DEPTH);
			goto out;
		}
	}
	build(root, leaves, n, 0, &count);
	if (hashes)
		*hashes += count;
out:
	free(leaves);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Checking the stored tree                                            */
/* ------------------------------------------------------------------ */

struct node_entry {
	uint8_t key[33];
	struct cl_hash32 h;
};

struct node_list {
	struct node_entry *v;
	size_t n, cap;
	unsigned min; /* smt_store_min(): the fewest leaves of a listed node */
};

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const struct node_entry *)a)->key,
		      ((const struct node_entry *)b)->key, 33);
}

/* As build(), listing every internal node over nl->min or more leaves
 * (the stored ones) with its key. */
static void build_list(struct cl_hash32 *out, const struct leaf *l, size_t n,
		       unsigned depth, struct node_list *nl)
{
	struct cl_hash32 left, right, prefix;
	size_t m;

	if (n == 0) {
		*out = zero_hash;
		return;
	}
	if (n == 1) {
		cl_smt_leaf_hash(out, &l[0].path, &l[0].vh);
		return;
	}
	CL_REQUIRE(depth < CL_SMT_DEPTH);
	m = leaf_split(l, n, depth);
	build_list(&left, l, m, depth + 1, nl);
	build_list(&right, l + m, n - m, depth + 1, nl);
	cl_smt_node_hash(out, &left, &right);
	if (n < nl->min)
		return; /* computed from its leaves, not stored */
	if (nl->n == nl->cap) {
		nl->cap = nl->cap ? nl->cap * 2 : 1024;
		nl->v = cl_xrealloc(nl->v, nl->cap * sizeof(*nl->v));
	}
	prefix_of(&prefix, &l[0].path, depth);
	node_key(nl->v[nl->n].key, depth, &prefix);
	nl->v[nl->n].h = *out;
	nl->n++;
}

/* The stored leaves, in path order: CL_OK and *out (free it), *n. */
static int stored_leaves(struct kv *kv, struct leaf **out, size_t *n)
{
	struct leaf *leaves = NULL;
	struct kv_cursor c;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = kv_cursor_open(&c, kv, KV_LEAVES);
	if (rc)
		return rc;
	for (rc = kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
	     rc = kv_cursor_next(&c)) {
		if (c.klen != 32 || c.vlen != 32) {
			rc = corrupt("malformed leaf", CL_SMT_DEPTH);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			leaves = cl_xrealloc(leaves, cap * sizeof(*leaves));
		}
		memcpy(leaves[*n].path.b, c.key, 32);
		memcpy(leaves[*n].vh.b, c.val, 32);
		(*n)++;
	}
	kv_cursor_close(&c);
	if (rc != CL_ERR_NOT_FOUND) {
		free(leaves);
		*n = 0;
		return rc;
	}
	*out = leaves;
	return CL_OK;
}

int smt_rebuild(struct kv *kv, struct cl_hash32 *root)
{
	struct leaf *leaves;
	struct node_list nl = { .min = smt_store_min(kv) };
	size_t n;
	int rc = stored_leaves(kv, &leaves, &n);

	if (rc)
		return rc;
	build_list(root, leaves, n, 0, &nl);
	if (nl.n > 1)
		qsort(nl.v, nl.n, sizeof(*nl.v), entry_cmp);
	rc = kv_clear(kv, KV_NODES);
	for (size_t i = 0; i < nl.n && !rc; i++)
		rc = kv_put(kv, KV_NODES, nl.v[i].key, 33, nl.v[i].h.b, 32);
	if (!rc)
		rc = kv_put(kv, KV_META, (const uint8_t *)META_KEY_ROOT,
			    strlen(META_KEY_ROOT), root->b, 32);
	free(leaves);
	free(nl.v);
	return rc;
}

int smt_check(struct kv *kv, uint64_t *nodes)
{
	struct leaf *leaves = NULL;
	struct node_list nl = { .min = smt_store_min(kv) };
	struct kv_cursor c;
	struct cl_hash32 root, stored;
	size_t n = 0, i = 0;
	int rc;

	*nodes = 0;
	rc = stored_leaves(kv, &leaves, &n);
	if (rc)
		return rc;
	build_list(&root, leaves, n, 0, &nl);
	if (nl.n > 1)
		qsort(nl.v, nl.n, sizeof(*nl.v), entry_cmp);
	rc = smt_stored_root(kv, &stored);
	if (!rc && memcmp(root.b, stored.b, 32) != 0)
		rc = corrupt("the leaves do not give the stored root", 0);
	if (rc)
		goto out;
	rc = kv_cursor_open(&c, kv, KV_NODES);
	if (rc)
		goto out;
	for (rc = kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
	     rc = kv_cursor_next(&c), i++) {
		if (i >= nl.n || c.klen != 33 || c.vlen != 32 ||
		    memcmp(c.key, nl.v[i].key, 33) != 0 ||
		    memcmp(c.val, nl.v[i].h.b, 32) != 0) {
			rc = corrupt("a stored node is not the tree's",
				     c.klen == 33 ? c.key[32] : 0);
			break;
		}
	}
	kv_cursor_close(&c);
	if (rc == CL_ERR_NOT_FOUND)
		rc = i == nl.n ? CL_OK
			       : corrupt("a node of the tree is missing", 0);
	*nodes = i;
out:
	free(leaves);
	free(nl.v);
	return rc;
}
