/* SPDX-License-Identifier: MIT */
/*
 * The witness backend: a cl_state whose committed reads come from a set
 * of preimages (tree nodes and values, each found by its keccak256) and
 * are checked against a root, so a program that cannot open the database
 * (the stf guest in the VM, docs/vm.md "The stf as a VM program") runs
 * the unchanged stf on the part of the state a block touches.
 *
 * Reads walk the tree from the root: a node's preimage is 0x01 ‖ left ‖
 * right (go down by the path's bit) or 0x00 ‖ path ‖ value hash (the one
 * leaf of that subtree: the key is there when the paths are equal,
 * absent otherwise); the zero hash is an empty subtree. A hash whose
 * preimage the witness lacks is CL_ERR_CORRUPT: the caller learns the
 * witness is incomplete, never a made-up value.
 *
 * Ordered iteration cannot be proven by a hashed tree, so the witness
 * lists the keys of every committed table the block iterates; each key
 * listed is proven present when the iterator reaches it, but that the
 * list is complete is TRUSTED. Local tables (not in the root) come as
 * plain contents, TRUSTED as well.
 *
 * The commit recomputes the root from the same nodes: every changed path
 * is walked down, subtrees without a change keep their hash, and where a
 * subtree is left with a single leaf it becomes that leaf (which needs
 * the preimage of the sibling that remains, to tell a leaf from a node).
 * A witness state commits one block; after that only its root is read.
 * Making witnesses (natively) is witness_make.c's job.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"


static const struct cl_hash32 zero_hash;

static bool is_zero(const struct cl_hash32 *h)
{
	return memcmp(h->b, zero_hash.b, 32) == 0;
}

/* The registry entry of kv table `tbl` (a registered table). */
static const struct cl_table_info *table_of(unsigned tbl)
{
	size_t n;
	const struct cl_table_info *list = cl_table_list(&n);

	CL_REQUIRE(tbl >= KV_FIRST_TABLE && tbl - KV_FIRST_TABLE < n);
	return &list[tbl - KV_FIRST_TABLE];
}

static int incomplete(const char *what)
{
	cl_unusual(STATE_LOG, "witness: %s", what);
	return CL_ERR_CORRUPT;
}

int wit_pre_cmp(const void *a, const void *b)
{
	return memcmp(((const struct wit_pre *)a)->h.b,
		      ((const struct wit_pre *)b)->h.b, 32);
}

static struct wit_pre *pre_lookup(struct witness *w,
				  const struct cl_hash32 *h)
{
	size_t lo = 0, hi = w->npre;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(w->pre[mid].h.b, h->b, 32);

		if (c == 0)
			return &w->pre[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The preimage of h, marked used (what cl_witness_used() keeps). */
static struct wit_pre *pre_find(struct witness *w, const struct cl_hash32 *h)
{
	struct wit_pre *p = pre_lookup(w, h);

	if (p)
		p->used = true;
	return p;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static bool decode(struct witness *w, size_t len)
{
	struct cl_cursor c;
	uint32_t n;
	unsigned last_table = 0;

	const uint8_t *magic;

	cl_cur_init(&c, w->blob, len);
	magic = cl_cur_borrow(&c, 4);
	if (!magic || memcmp(magic, WIT_MAGIC, 4) != 0)
		return false;
	n = cl_cur_be32(&c);
	if (c.failed || n > len / 4)
		return false;
	w->pre = cl_xcalloc(n + 1, sizeof(*w->pre));
	for (uint32_t i = 0; i < n && !c.failed; i++) {
		uint32_t plen = cl_cur_be32(&c);
		const uint8_t *p;

		if (plen > CL_STATE_VALUE_MAX) {
			cl_cur_fail(&c);
			break;
		}
		p = cl_cur_borrow(&c, plen);
		if (!p)
			break;
		w->pre[i].p = p;
		w->pre[i].len = plen;
		cl_keccak256(w->pre[i].h.b, p, plen);
	}
	if (c.failed)
		return false;
	w->npre = n;
	if (n > 1)
		qsort(w->pre, n, sizeof(*w->pre), wit_pre_cmp);
	for (size_t i = 1; i < n; i++)
		if (memcmp(w->pre[i - 1].h.b, w->pre[i].h.b, 32) == 0)
			return false; /* one preimage given twice */

	n = cl_cur_be32(&c);
	for (uint32_t t = 0; t < n && !c.failed; t++) {
		unsigned id = cl_cur_u8(&c);
		const struct cl_table_info *info = cl_table_find(id);
		uint32_t nkeys = cl_cur_be32(&c);
		const uint8_t *prev = NULL;
		size_t prev_len = 0;

		if (c.failed || !info || id <= last_table) {
			cl_cur_fail(&c);
			break;
		}
		last_table = id;
		w->listed[id] = true;
		for (uint32_t k = 0; k < nkeys && !c.failed; k++) {
			size_t klen = cl_cur_u8(&c);
			const uint8_t *key = cl_cur_borrow(&c, klen);
			const uint8_t *val = NULL;
			uint32_t vlen = 0;

			if (!key || klen == 0 ||
			    (prev && smap_cmp(prev, prev_len, key, klen) >= 0)) {
				cl_cur_fail(&c);
				break;
			}
			if (!info->committed) {
				vlen = cl_cur_be32(&c);
				if (vlen > CL_STATE_VALUE_MAX) {
					cl_cur_fail(&c);
					break;
				}
				val = cl_cur_borrow(&c, vlen);
				if (!val)
					break;
			}
			mem_put(w->lists, kv_table_index(info->id), key, klen,
				val, vlen);
			prev = key;
			prev_len = klen;
		}
	}
	return cl_cur_done(&c);
}

static int path_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Append the path of every leaf under h (at `depth`) to *v. */
static bool collect_leaves(struct witness *w, struct cl_hash32 **v,
			   size_t *n, size_t *cap, const struct cl_hash32 *h,
			   unsigned depth)
{
	struct wit_pre *p;
	struct cl_hash32 kid;

	if (is_zero(h))
		return true;
	p = pre_lookup(w, h);
	if (!p || p->len != 65 || p->p[0] > 1)
		return false;
	p->node = true;
	if (p->p[0] == 0x00) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*v = cl_xrealloc(*v, *cap * sizeof(**v));
		}
		memcpy((*v)[(*n)++].b, p->p + 1, 32);
		return true;
	}
	if (depth >= CL_SMT_DEPTH)
		return false;
	memcpy(kid.b, p->p + 1, 32);
	if (!collect_leaves(w, v, n, cap, &kid, depth + 1))
		return false;
	memcpy(kid.b, p->p + 33, 32);
	return collect_leaves(w, v, n, cap, &kid, depth + 1);
}

/*
 * A witness listing every committed table: its lists must name exactly
 * the leaves of the tree (every node of which it must then hold), which
 * makes every list complete, so iteration is proven too.
 */
static int check_complete(struct witness *w)
{
	const struct cl_table_info *tables;
	struct cl_hash32 *tree = NULL, *listed = NULL;
	size_t ntables, nt = 0, ct = 0, nl = 0;
	int rc = CL_OK;

	tables = cl_table_list(&ntables);
	for (size_t i = 0; i < ntables; i++)
		if (tables[i].committed && !w->listed[tables[i].id])
			return CL_OK; /* not complete: lists trusted */
	if (!collect_leaves(w, &tree, &nt, &ct, &w->root, 0)) {
		rc = incomplete("a complete witness lacks a tree node");
		goto out;
	}
	for (size_t i = 0; i < ntables; i++) {
		struct smap *m;

		if (!tables[i].committed)
			continue;
		m = &w->lists->tables[kv_table_index(tables[i].id)];
		if (nl + m->count > nt) {
			rc = incomplete("a listed key is not in the tree");
			goto out;
		}
		if (!listed)
			listed = cl_xcalloc(nt + 1, sizeof(*listed));
		for (struct smap_node *o = smap_first(m); o; o = o->next[0])
			cl_smt_path(&listed[nl++], (uint8_t)tables[i].id,
				    o->key, o->klen);
	}
	if (nl != nt) {
		rc = incomplete("the key lists miss keys of the tree");
		goto out;
	}
	if (nt > 1)
		qsort(tree, nt, sizeof(*tree), path_cmp);
	if (nl > 1)
		qsort(listed, nl, sizeof(*listed), path_cmp);
	if (nt && memcmp(tree, listed, nt * sizeof(*tree)) != 0) {
		rc = incomplete("the key lists are not the tree's keys");
		goto out;
	}
	w->complete = true;
out:
	free(tree);
	free(listed);
	return rc;
}

int cl_state_new_witness(struct cl_state **out, const struct cl_hash32 *root,
			 const uint8_t *wit, size_t len)
{
	struct witness *w = cl_xcalloc(1, sizeof(*w));

	*out = NULL;
	w->root = *root;
	w->blob = cl_xmalloc(len);
	if (len)
		memcpy(w->blob, wit, len);
	w->lists = mem_store_new();
	if (!decode(w, len)) {
		wit_free(w);
		cl_unusual(STATE_LOG, "witness: malformed encoding");
		return CL_ERR_CORRUPT;
	}
	if (check_complete(w) != CL_OK) {
		wit_free(w);
		return CL_ERR_CORRUPT;
	}
	*out = state_new_on_witness(w);
	return CL_OK;
}

bool cl_state_witness_complete(struct cl_state *st)
{
	struct kv *kv = state_kv(st);

	CL_REQUIRE(kv && kv->kind == KV_WITNESS);
	return kv->wit->complete;
}

void wit_free(struct witness *w)
{
	if (!w)
		return;
	mem_store_free(w->lists);
	free(w->pre);
	free(w->blob);
	free(w);
}

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

/* The value at `path` under `root`: CL_OK, CL_ERR_NOT_FOUND, or
 * CL_ERR_CORRUPT when the witness lacks a preimage on the way. */
static int tree_get(struct witness *w, const uint8_t **val, size_t *vlen,
		    const struct cl_hash32 *path)
{
	struct cl_hash32 h = w->root, vh;

	for (unsigned depth = 0;; depth++) {
		const struct wit_pre *p;

		if (is_zero(&h))
			return CL_ERR_NOT_FOUND;
		p = pre_find(w, &h);
		if (!p || p->len != 65)
			return incomplete("a tree node is missing");
		if (p->p[0] == 0x01) {
			if (depth >= CL_SMT_DEPTH)
				return incomplete("the tree is too deep");
			memcpy(h.b, p->p + (cl_smt_bit(path, depth) ? 33 : 1),
			       32);
			continue;
		}
		if (p->p[0] != 0x00)
			return incomplete("a tree node is malformed");
		if (memcmp(p->p + 1, path->b, 32) != 0)
			return CL_ERR_NOT_FOUND;
		memcpy(vh.b, p->p + 33, 32);
		p = pre_find(w, &vh);
		if (!p)
			return incomplete("a value is missing");
		*val = p->p;
		*vlen = p->len;
		return CL_OK;
	}
}

int wit_get(struct witness *w, const uint8_t **val, size_t *vlen,
	    unsigned tbl, const uint8_t *key, size_t klen)
{
	const struct cl_table_info *info;
	struct cl_hash32 path;

	*val = NULL;
	*vlen = 0;
	if (tbl == KV_META) {
		if (klen != strlen(META_KEY_ROOT) ||
		    memcmp(key, META_KEY_ROOT, klen) != 0)
			return CL_ERR_NOT_FOUND;
		*val = w->root.b;
		*vlen = 32;
		return CL_OK;
	}
	info = table_of(tbl); /* the tree itself is not stored here */
	if (w->sealed)
		return incomplete("read after the block was committed");
	if (!info->committed) {
		if (!w->listed[info->id])
			return incomplete("a local table is not in it");
		w->touched[info->id] = true;
		return mem_get(w->lists, val, vlen, tbl, key, klen);
	}
	cl_smt_path(&path, (uint8_t)info->id, key, klen);
	return tree_get(w, val, vlen, &path);
}

/* Load the cursor's list entry; a committed table's value is read (and
 * so proven) from the tree. */
static int cursor_load(struct kv_cursor *c)
{
	struct witness *w = c->kv->wit;
	const struct cl_table_info *info = table_of(c->tbl);
	struct smap_node *n = c->node;
	int rc;

	c->valid = false;
	c->key = c->val = NULL;
	c->klen = c->vlen = 0;
	if (!n)
		return CL_ERR_NOT_FOUND;
	if (!info->committed) {
		c->val = n->val ? n->val : (const uint8_t *)"";
		c->vlen = n->vlen;
	} else {
		struct cl_hash32 path;

		cl_smt_path(&path, (uint8_t)info->id, n->key, n->klen);
		rc = tree_get(w, &c->val, &c->vlen, &path);
		if (rc == CL_ERR_NOT_FOUND)
			return incomplete("a listed key is not in the tree");
		if (rc)
			return rc;
	}
	c->key = n->key;
	c->klen = n->klen;
	c->valid = true;
	return CL_OK;
}

int wit_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen)
{
	struct witness *w = c->kv->wit;
	const struct cl_table_info *info;
	struct smap *m;

	info = table_of(c->tbl);
	c->valid = false;
	if (w->sealed)
		return incomplete("read after the block was committed");
	if (!w->listed[info->id])
		return incomplete("an iterated table has no key list");
	w->touched[info->id] = true;
	m = &w->lists->tables[c->tbl];
	c->node = klen ? smap_seek(m, key, klen, false) : smap_first(m);
	return cursor_load(c);
}

int wit_cursor_next(struct kv_cursor *c)
{
	if (!c->node)
		return CL_ERR_NOT_FOUND;
	c->node = c->node->next[0];
	return cursor_load(c);
}

/* ------------------------------------------------------------------ */
/* Commit: the new root from the changed paths                         */
/* ------------------------------------------------------------------ */

struct upd {
	struct cl_hash32 path;
	struct cl_hash32 vh;
	bool del;
};

enum sub_kind {
	SUB_UNKNOWN, /* an unchanged subtree: only its hash is known */
	SUB_EMPTY,
	SUB_LEAF,
	SUB_NODE,
};

struct sub {
	struct cl_hash32 h;
	enum sub_kind kind;
};

static int upd_cmp(const void *a, const void *b)
{
	return memcmp(((const struct upd *)a)->path.b,
		      ((const struct upd *)b)->path.b, 32);
}

static size_t upd_split(const struct upd *u, size_t n, unsigned depth)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cl_smt_bit(&u[mid].path, depth))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* What kind of subtree hash h is (its preimage must be in the witness). */
static int classify(struct witness *w, struct sub *s)
{
	const struct wit_pre *p;

	if (s->kind != SUB_UNKNOWN)
		return CL_OK;
	if (is_zero(&s->h)) {
		s->kind = SUB_EMPTY;
		return CL_OK;
	}
	p = pre_find(w, &s->h);
	if (!p || p->len != 65 || p->p[0] > 1)
		return incomplete("a sibling node is missing");
	s->kind = p->p[0] == 0x01 ? SUB_NODE : SUB_LEAF;
	return CL_OK;
}

/* The subtree over two children, compacted: one leaf alone is that leaf. */
static int combine(struct witness *w, struct sub *out, struct sub *l,
		   struct sub *r)
{
	int rc;

	if (is_zero(&l->h))
		l->kind = SUB_EMPTY;
	if (is_zero(&r->h))
		r->kind = SUB_EMPTY;
	if (l->kind == SUB_EMPTY || r->kind == SUB_EMPTY) {
		struct sub *o = l->kind == SUB_EMPTY ? r : l;

		rc = classify(w, o);
		if (rc)
			return rc;
		if (o->kind == SUB_EMPTY || o->kind == SUB_LEAF) {
			*out = *o;
			return CL_OK;
		}
	}
	cl_smt_node_hash(&out->h, &l->h, &r->h);
	out->kind = SUB_NODE;
	return CL_OK;
}

/* The subtree holding exactly the live (not deleted) entries of u[0..n),
 * sorted and distinct, all sharing their first `depth` bits. */
static int build(struct witness *w, struct sub *out, const struct upd *u,
		 size_t n, unsigned depth)
{
	struct sub l, r;
	size_t live = 0, last = 0, m;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (!u[i].del)
			live++, last = i;
	if (live == 0) {
		*out = (struct sub){ .kind = SUB_EMPTY };
		return CL_OK;
	}
	if (live == 1) {
		cl_smt_leaf_hash(&out->h, &u[last].path, &u[last].vh);
		out->kind = SUB_LEAF;
		return CL_OK;
	}
	if (depth >= CL_SMT_DEPTH)
		return incomplete("two leaves with one path");
	m = upd_split(u, n, depth);
	rc = build(w, &l, u, m, depth + 1);
	if (!rc)
		rc = build(w, &r, u + m, n - m, depth + 1);
	if (!rc)
		rc = combine(w, out, &l, &r);
	return rc;
}

/* The subtree at `depth` whose old hash is s->h, after the changes
 * u[0..n) (n >= 1, all inside it). */
static int update(struct witness *w, struct sub *out, const struct sub *s,
		  const struct upd *u, size_t n, unsigned depth)
{
	struct sub cur = *s, kid[2];
	const struct wit_pre *p;
	size_t m;
	int rc = classify(w, &cur);

	if (rc)
		return rc;
	switch (cur.kind) {
	case SUB_UNKNOWN:
		CL_BUG("classify left a subtree unknown");
	case SUB_EMPTY:
		return build(w, out, u, n, depth);
	case SUB_LEAF: {
		/* the one leaf there, then the changes over it */
		struct upd *all = cl_xcalloc(n + 1, sizeof(*all));
		struct upd old;
		size_t k = 0;
		bool placed = false;

		p = pre_find(w, &cur.h);
		memcpy(old.path.b, p->p + 1, 32);
		memcpy(old.vh.b, p->p + 33, 32);
		old.del = false;
		for (size_t i = 0; i < n; i++) {
			int c = memcmp(old.path.b, u[i].path.b, 32);

			if (!placed && c < 0) {
				all[k++] = old;
				placed = true;
			} else if (!placed && c == 0) {
				placed = true; /* overwritten or deleted */
			}
			all[k++] = u[i];
		}
		if (!placed)
			all[k++] = old;
		rc = build(w, out, all, k, depth);
		free(all);
		return rc;
	}
	case SUB_NODE:
		break;
	}
	if (depth >= CL_SMT_DEPTH)
		return incomplete("the tree is too deep");
	p = pre_find(w, &cur.h);
	memcpy(kid[0].h.b, p->p + 1, 32);
	memcpy(kid[1].h.b, p->p + 33, 32);
	kid[0].kind = kid[1].kind = SUB_UNKNOWN;
	m = upd_split(u, n, depth);
	if (m > 0) {
		rc = update(w, &kid[0], &kid[0], u, m, depth + 1);
		if (rc)
			return rc;
	}
	if (m < n) {
		rc = update(w, &kid[1], &kid[1], u + m, n - m, depth + 1);
		if (rc)
			return rc;
	}
	return combine(w, out, &kid[0], &kid[1]);
}

int wit_commit(struct witness *w, struct cl_hash32 *root,
	       const struct smap *overlay)
{
	struct upd *u = cl_xcalloc(overlay->count + 1, sizeof(*u));
	struct sub top = { .h = w->root, .kind = SUB_UNKNOWN }, out;
	size_t n = 0;
	int rc = CL_OK;

	CL_REQUIRE(!w->sealed);
	for (struct smap_node *o = smap_first(overlay); o; o = o->next[0]) {
		const struct cl_table_info *info = cl_table_find(o->key[0]);

		CL_REQUIRE(info && o->klen >= 2);
		if (!info->committed)
			continue; /* local tables are not in the root */
		cl_smt_path(&u[n].path, o->key[0], o->key + 1, o->klen - 1);
		u[n].del = o->tomb;
		if (!o->tomb)
			cl_smt_value_hash(&u[n].vh, o->val, o->vlen);
		n++;
	}
	if (n > 1)
		qsort(u, n, sizeof(*u), upd_cmp);
	for (size_t i = 1; i < n && !rc; i++)
		if (memcmp(u[i - 1].path.b, u[i].path.b, 32) == 0)
			rc = incomplete("two keys with one path");
	if (!rc && n > 0)
		rc = update(w, &out, &top, u, n, 0);
	free(u);
	if (rc)
		return rc;
	if (n > 0)
		w->root = out.kind == SUB_EMPTY ? zero_hash : out.h;
	w->sealed = true;
	*root = w->root;
	return CL_OK;
}
