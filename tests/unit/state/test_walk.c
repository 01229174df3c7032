/* SPDX-License-Identifier: MIT */
/*
 * The walk (src/state/walk.c) and the preimage map (preimages.c): a
 * memory state fetched node by node from a root holds exactly the
 * committed state, and keeps committing to the same roots.
 *
 *  - 300 seeded random blocks of puts and deletes on four committed
 *    tables (keys of 1 to 40 bytes, empty and long values) and a local
 *    one, growing, churning and shrinking to the empty tree: after each
 *    block a state walked from the root through the map of the state's
 *    preimages has the same root, recomputes to it, and shows the same
 *    committed tables (and no local one); the next block then commits
 *    to the same root on both, so the walked tree is the stored tree.
 *  - An LMDB state with the final contents gives the same preimages.
 *  - Each preimage left out in turn makes the walk fail (CL_ERR_CORRUPT,
 *    no state), and so does every tree the module would not write: an
 *    internal node over one leaf, a leaf off its path, a node or a path
 *    preimage of the wrong shape, a leaf of a local or unknown table, a
 *    value above the limit.
 *  - 3 000 random damages (a node, key or value changed, every ancestor
 *    rehashed so the new root opens all the way down) are refused, or
 *    give a state that recomputes to exactly the new root.
 *
 * CL_TEST_SEED replays.
 */
#include "state/state_util.h"
#include "test.h"

#define BLOCKS 300
#define UNIVERSE 120

static const enum cl_table tables[] = {
	CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS, CL_TABLE_GLOBALS,
	CL_TABLE_LIQ_INDEX, CL_TABLE_NODE,
};
#define NT (sizeof(tables) / sizeof(tables[0]))

static size_t key_of(uint8_t *key, unsigned u)
{
	size_t len = 1 + (u * 7) % 40;

	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)(u * 13 + i * 101);
	key[0] = (uint8_t)u; /* distinct keys */
	return len;
}

/* Everything committed a state shows, in table and key order. */
static void committed_dump(struct cl_state *st, struct cl_buf *out,
			   size_t *local)
{
	const struct cl_table_info *t;
	size_t nt;

	cl_buf_reset(out);
	*local = 0;
	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;
		const uint8_t *k, *v;
		size_t kl, vl;
		int rc;

		CHECK(cl_state_iter_new(&it, st, t[i].id, NULL, 0) == CL_OK);
		while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == 0) {
			if (!t[i].committed) {
				(*local)++;
				continue;
			}
			cl_buf_append_byte(out, (uint8_t)t[i].id);
			cl_buf_append_be32(out, (uint32_t)kl);
			cl_buf_append(out, k, kl);
			cl_buf_append_be32(out, (uint32_t)vl);
			cl_buf_append(out, v, vl);
		}
		CHECK(rc == CL_ERR_NOT_FOUND);
		cl_state_iter_free(it);
	}
}

struct op {
	enum cl_table t;
	uint8_t key[64];
	size_t klen;
	uint8_t val[300];
	size_t vlen;
	bool del;
};

static size_t make_block(struct op *ops, size_t cap, unsigned b)
{
	/* grow, churn, then shrink to nothing, then grow again */
	unsigned phase = b % 150;
	unsigned pdel = phase < 50 ? 10 : phase < 100 ? 45 : 95;
	size_t n = 1 + test_rand() % 12;

	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++) {
		struct op *o = &ops[i];

		o->t = tables[test_rand() % NT];
		o->klen = key_of(o->key, (unsigned)(test_rand() % UNIVERSE));
		o->del = test_rand() % 100 < pdel;
		o->vlen = test_rand() % 4 == 0 ? 0 : test_rand() % 300;
		for (size_t k = 0; k < o->vlen; k++)
			o->val[k] = (uint8_t)test_rand();
	}
	if (phase >= 100) /* shrink: delete many at a time */
		for (size_t i = 0; i < n; i++)
			ops[i].del = true;
	return n;
}

static void apply(struct cl_state *st, const struct op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ops[i].del)
			cl_state_del(st, ops[i].t, ops[i].key, ops[i].klen);
		else
			cl_state_put(st, ops[i].t, ops[i].key, ops[i].klen,
				     ops[i].val, ops[i].vlen);
	}
}

/* Delete every committed entry (the shrink phase's end: the empty
 * tree), so the walk of the zero root is exercised. */
static void clear_committed(struct cl_state *st)
{
	const struct cl_table_info *t;
	size_t nt;

	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;
		const uint8_t *k, *v;
		size_t kl, vl;

		if (!t[i].committed)
			continue;
		CHECK(cl_state_iter_new(&it, st, t[i].id, NULL, 0) == CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &v, &vl) == 0) {
			uint8_t kc[CL_STATE_KEY_MAX];

			memcpy(kc, k, kl);
			cl_state_del(st, t[i].id, kc, kl);
		}
		cl_state_iter_free(it);
	}
}

static void test_stream(void)
{
	struct cl_state *st = cl_state_new_memory();
	struct cl_buf a, b;
	struct op ops[16];
	size_t empties = 0, max_leaves = 0;

	test_seed();
	cl_buf_init(&a);
	cl_buf_init(&b);
	for (unsigned blk = 0; blk < BLOCKS; blk++) {
		struct cl_preimage_map *pm = cl_preimage_map_new();
		struct cl_state *ws;
		struct cl_state_walk_stats wst;
		struct cl_hash32 root, wroot, rec, r1, r2;
		size_t n = make_block(ops, 16, blk), local, wlocal;

		CHECK(cl_state_root(st, &root) == CL_OK);
		CHECK(cl_preimage_map_add_state(pm, st) == CL_OK);
		CHECK_MSG(cl_state_new_walk(&ws, &root, cl_preimage_map_fetch,
					    pm) == CL_OK,
			  "block %u: the walk failed", blk);
		cl_state_walk_stats(ws, &wst);
		CHECK(cl_state_root(ws, &wroot) == CL_OK &&
		      cl_hash32_eq(&root, &wroot));
		CHECK(cl_state_recompute_root(ws, &rec) == CL_OK &&
		      cl_hash32_eq(&root, &rec));
		committed_dump(st, &a, &local);
		committed_dump(ws, &b, &wlocal);
		CHECK_MSG(buf_eq(&a, &b) && wlocal == 0,
			  "block %u: the walked state differs", blk);
		if (wst.leaves == 0)
			empties++;
		if (wst.leaves > max_leaves)
			max_leaves = wst.leaves;

		/* the next block on both: the same root */
		apply(st, ops, n);
		apply(ws, ops, n);
		if (blk % 150 == 149) {
			clear_committed(st);
			clear_committed(ws);
		}
		CHECK(cl_state_commit_block(st, &r1) == CL_OK);
		CHECK(cl_state_commit_block(ws, &r2) == CL_OK);
		CHECK_MSG(cl_hash32_eq(&r1, &r2), "block %u: roots differ",
			  blk);
		cl_state_free(ws);
		cl_preimage_map_free(pm);
	}
	CHECK(empties >= 2);
	printf("%d blocks walked, up to %zu entries, %zu empty trees\n",
	       BLOCKS, max_leaves, empties);

	/* the same contents in LMDB: the same preimages */
	char *dir = tmpdir_make("walk");
	struct cl_db *db = db_open_at(dir, 64u << 20);
	struct cl_state *ls;
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_preimage_map *lm = cl_preimage_map_new();
	struct cl_hash32 r1, r2;
	size_t b1, b2;

	for (unsigned u = 0; u < UNIVERSE; u++) {
		struct op o;

		o.klen = key_of(o.key, u);
		o.vlen = 1 + u % 50;
		memset(o.val, (int)u, o.vlen);
		cl_state_put(st, tables[u % NT], o.key, o.klen, o.val, o.vlen);
	}
	CHECK(cl_state_commit_block(st, &r1) == CL_OK);
	CHECK(cl_state_new_lmdb(&ls, db) == CL_OK);
	committed_dump(st, &a, &b1);
	for (size_t off = 0; off < a.len;) {
		uint8_t id = a.p[off];
		uint32_t kl = cl_get_be32(a.p + off + 1);
		const uint8_t *k = a.p + off + 5;
		uint32_t vl = cl_get_be32(k + kl);

		cl_state_put(ls, id, k, kl, k + kl + 4, vl);
		off += 1 + 4 + kl + 4 + vl;
	}
	CHECK(cl_state_commit_block(ls, &r2) == CL_OK &&
	      cl_hash32_eq(&r1, &r2));
	CHECK(cl_preimage_map_add_state(pm, st) == CL_OK);
	CHECK(cl_preimage_map_add_state(lm, ls) == CL_OK);
	CHECK(cl_preimage_map_count(pm, &b1) == cl_preimage_map_count(lm, &b2) &&
	      b1 == b2);
	for (size_t i = 0; i < cl_preimage_map_count(pm, NULL); i++) {
		const uint8_t *p, *q;
		size_t pl, ql;
		struct cl_hash32 h;

		cl_preimage_map_at(pm, i, &p, &pl);
		cl_keccak256(h.b, p, pl);
		CHECK(cl_preimage_map_get(lm, &h, &q, &ql) && pl == ql &&
		      (pl == 0 || memcmp(p, q, pl) == 0));
	}
	cl_preimage_map_free(pm);
	cl_preimage_map_free(lm);
	cl_state_free(ls);
	cl_db_free(db);
	tmpdir_remove(dir);
	cl_state_free(st);
	cl_buf_release(&a);
	cl_buf_release(&b);
}

/* ---- missing preimages ---- */

struct hiding {
	struct cl_preimage_map *pm;
	struct cl_hash32 hidden;
};

static bool fetch_hiding(void *arg, struct cl_buf *out,
			 const struct cl_hash32 *h)
{
	struct hiding *x = arg;

	if (cl_hash32_eq(h, &x->hidden))
		return false;
	return cl_preimage_map_fetch(x->pm, out, h);
}

static void test_missing(void)
{
	struct cl_state *st = cl_state_new_memory(), *ws;
	struct hiding x = { .pm = cl_preimage_map_new() };
	struct cl_hash32 root;
	size_t np;

	for (unsigned u = 0; u < 30; u++) {
		uint8_t key[64], val[8];
		size_t kl = key_of(key, u);

		cl_put_be64(val, u);
		cl_state_put(st, tables[u % NT], key, kl, val, u % 3 ? 8 : 0);
	}
	CHECK(cl_state_commit_block(st, &root) == CL_OK);
	CHECK(cl_preimage_map_add_state(x.pm, st) == CL_OK);
	np = cl_preimage_map_count(x.pm, NULL);
	int level = cl_log_min_level;
	cl_log_min_level = CL_LOG_BROKEN; /* each refusal is logged */
	for (size_t i = 0; i < np; i++) {
		const uint8_t *p;
		size_t len;

		cl_preimage_map_at(x.pm, i, &p, &len);
		cl_keccak256(x.hidden.b, p, len);
		ws = (struct cl_state *)1;
		CHECK_MSG(cl_state_new_walk(&ws, &root, fetch_hiding, &x) ==
				  CL_ERR_CORRUPT && ws == NULL,
			  "preimage %zu left out: the walk succeeded", i);
	}
	cl_log_min_level = level;
	printf("each of %zu preimages left out: the walk fails\n", np);
	cl_preimage_map_free(x.pm);
	cl_state_free(st);
}

/* ---- trees the module would not write ---- */

static void put_node(struct cl_preimage_map *pm, struct cl_hash32 *h,
		     uint8_t tag, const struct cl_hash32 *a,
		     const struct cl_hash32 *b)
{
	uint8_t pre[65];

	pre[0] = tag;
	memcpy(pre + 1, a->b, 32);
	memcpy(pre + 33, b->b, 32);
	cl_preimage_map_add(pm, pre, 65);
	cl_keccak256(h->b, pre, 65);
}

/* A leaf of (table, key, value), its preimages in pm; *path gets the
 * path. */
static void put_leaf(struct cl_preimage_map *pm, struct cl_hash32 *h,
		     struct cl_hash32 *path, uint8_t table, const uint8_t *key,
		     size_t klen, const uint8_t *val, size_t vlen)
{
	uint8_t tk[1 + 256];
	struct cl_hash32 vh;

	tk[0] = table;
	memcpy(tk + 1, key, klen);
	cl_preimage_map_add(pm, tk, 1 + klen);
	cl_keccak256(path->b, tk, 1 + klen);
	cl_preimage_map_add(pm, val, vlen);
	cl_keccak256(vh.b, val, vlen);
	put_node(pm, h, 0x00, path, &vh);
}

static int walk_of(struct cl_preimage_map *pm, const struct cl_hash32 *root,
		   size_t *entries)
{
	struct cl_state *ws;
	struct cl_state_walk_stats s;
	int rc = cl_state_new_walk(&ws, root, cl_preimage_map_fetch, pm);

	if (rc == CL_OK) {
		cl_state_walk_stats(ws, &s);
		*entries = (size_t)s.leaves;
		cl_state_free(ws);
	}
	return rc;
}

/* A one-byte key of ACCOUNTS whose path starts with the two bits
 * `bits` (0..3). */
static uint8_t key_with(unsigned bits)
{
	for (unsigned u = 1; u < 256; u++) {
		struct cl_hash32 p;
		uint8_t k = (uint8_t)u;

		cl_smt_path(&p, CL_TABLE_ACCOUNTS, &k, 1);
		if (cl_smt_bit(&p, 0) * 2 + cl_smt_bit(&p, 1) == bits)
			return k;
	}
	CHECK(false);
	return 0;
}

static void test_malformed(void)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	static const struct cl_hash32 zero;
	struct cl_hash32 l0, l1, l01, p0, p1, p01, h, bad;
	uint8_t k0[1] = {key_with(0)}, k1[1] = {key_with(2)};
	uint8_t k01[1] = {key_with(1)}, v[4] = {1, 2, 3, 4}, pre[66];
	size_t n = 0;
	int level = cl_log_min_level;

	put_leaf(pm, &l0, &p0, CL_TABLE_ACCOUNTS, k0, 1, v, 4);
	put_leaf(pm, &l1, &p1, CL_TABLE_ACCOUNTS, k1, 1, v, 3);
	put_leaf(pm, &l01, &p01, CL_TABLE_ACCOUNTS, k01, 1, v, 2);
	cl_log_min_level = CL_LOG_BROKEN;

	/* sound trees first: empty, one leaf, two leaves */
	CHECK(walk_of(pm, &zero, &n) == CL_OK && n == 0);
	CHECK(walk_of(pm, &l0, &n) == CL_OK && n == 1);
	put_node(pm, &h, 0x01, &l0, &l1);
	CHECK(walk_of(pm, &h, &n) == CL_OK && n == 2);
	/* a chain above two leaves (bits 00 and 01) is not collapsed */
	put_node(pm, &h, 0x01, &l0, &l01);
	put_node(pm, &h, 0x01, &h, &zero);
	CHECK(walk_of(pm, &h, &n) == CL_OK && n == 2);
	/* the same two under the root's right child: off their paths */
	put_node(pm, &bad, 0x01, &l0, &l01);
	put_node(pm, &bad, 0x01, &zero, &bad);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);

	/* an internal node over one leaf */
	put_node(pm, &h, 0x01, &l0, &zero);
	CHECK(walk_of(pm, &h, &n) == CL_ERR_CORRUPT);
	/* a leaf off its path: swapped */
	put_node(pm, &h, 0x01, &l1, &l0);
	CHECK(walk_of(pm, &h, &n) == CL_ERR_CORRUPT);
	/* a node of 66 bytes, a node tagged 2 */
	pre[0] = 0x01;
	memcpy(pre + 1, l0.b, 32);
	memcpy(pre + 33, l1.b, 32);
	pre[65] = 0;
	cl_preimage_map_add(pm, pre, 66);
	cl_keccak256(bad.b, pre, 66);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	put_node(pm, &bad, 0x02, &l0, &l1);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	/* a leaf of a local table, of an unknown table */
	put_leaf(pm, &bad, &h, CL_TABLE_NODE, k0, 1, v, 4);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	put_leaf(pm, &bad, &h, 0x7e, k0, 1, v, 4);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	/* a path preimage with no key */
	put_leaf(pm, &bad, &h, CL_TABLE_ACCOUNTS, k0, 0, v, 4);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	/* a value above the limit */
	uint8_t *big = cl_xcalloc(CL_STATE_VALUE_MAX + 1, 1);
	put_leaf(pm, &bad, &h, CL_TABLE_ACCOUNTS, k0, 1, big,
		 CL_STATE_VALUE_MAX + 1);
	CHECK(walk_of(pm, &bad, &n) == CL_ERR_CORRUPT);
	put_leaf(pm, &bad, &h, CL_TABLE_ACCOUNTS, k0, 1, big,
		 CL_STATE_VALUE_MAX);
	CHECK(walk_of(pm, &bad, &n) == CL_OK && n == 1);
	free(big);
	cl_log_min_level = level;

	/* the map hands out only true preimages */
	const uint8_t *p;
	size_t len, count = cl_preimage_map_count(pm, NULL);

	memset(bad.b, 0x5a, 32);
	CHECK(!cl_preimage_map_get(pm, &bad, &p, &len));
	cl_preimage_map_add(pm, v, 4);
	CHECK(cl_preimage_map_count(pm, NULL) == count);
	cl_preimage_map_free(pm);
}

/* ---- random damage under a consistent chain of hashes ---- */

/* A random change of p[0..*len) in place (room for one more byte). */
static void damage(uint8_t *p, size_t *len)
{
	unsigned how = (unsigned)(test_rand() % 10);

	if (how == 0 && *len > 0) {
		(*len)--; /* a byte less */
	} else if (how == 1) {
		p[(*len)++] = (uint8_t)test_rand(); /* a byte more */
	} else if (how == 2 && *len > 0) {
		p[0] = (uint8_t)(test_rand() % 4); /* the tag, or the table */
	} else if (*len > 0) {
		size_t i = (size_t)(test_rand() % *len);

		p[i] ^= (uint8_t)(1u << (test_rand() % 8));
	} else {
		p[(*len)++] = 0x01;
	}
}

/*
 * A node of a real tree, or a leaf's key or value preimage, picked on a
 * random path and changed (a bit flipped, a byte added or dropped, the
 * tag changed); every ancestor is rehashed over it, so the new root
 * opens all the way down. The walk must refuse it, or give a state that
 * recomputes to exactly that root: it never accepts a tree the module
 * would not write.
 */
static void test_damage(void)
{
	struct cl_state *st = cl_state_new_memory();
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_hash32 root;
	size_t accepted = 0, refused = 0;
	int level = cl_log_min_level;

	test_seed();
	for (unsigned u = 0; u < 60; u++) {
		uint8_t key[64], val[40];
		size_t kl = key_of(key, u);

		memset(val, (int)u, sizeof(val));
		cl_state_put(st, tables[u % NT], key, kl, val, u % 40);
	}
	CHECK(cl_state_commit_block(st, &root) == CL_OK);
	CHECK(cl_preimage_map_add_state(pm, st) == CL_OK);
	cl_log_min_level = CL_LOG_BROKEN;
	for (unsigned trial = 0; trial < 3000; trial++) {
		struct {
			uint8_t pre[65];
			unsigned side;
		} up[CL_SMT_DEPTH + 1];
		size_t depth = 0, len;
		struct cl_hash32 h = root, nh;
		const uint8_t *p;
		uint8_t buf[512];
		struct cl_state *ws;

		/* down a random path to a node to change */
		for (;;) {
			CHECK(cl_preimage_map_get(pm, &h, &p, &len) &&
			      len == 65);
			if (p[0] == 0x00 || test_rand() % 4 == 0)
				break;
			static const uint8_t zero[32];
			unsigned side = (unsigned)(test_rand() % 2);

			if (memcmp(p + 1 + 32 * side, zero, 32) == 0)
				side ^= 1; /* not into an empty subtree */
			memcpy(up[depth].pre, p, 65);
			up[depth++].side = side;
			memcpy(h.b, p + 1 + 32 * side, 32);
		}
		memcpy(buf, p, 65);
		len = 65;
		if (p[0] == 0x00 && test_rand() % 3 != 0) {
			/* the leaf's key (path preimage) or value instead */
			unsigned which = (unsigned)(test_rand() % 2);
			struct cl_hash32 sub;
			const uint8_t *q;
			size_t ql;
			uint8_t leaf[65];

			memcpy(leaf, p, 65);
			memcpy(sub.b, leaf + 1 + 32 * which, 32);
			CHECK(cl_preimage_map_get(pm, &sub, &q, &ql) &&
			      ql < sizeof(buf));
			memcpy(buf, q, ql);
			len = ql;
			damage(buf, &len);
			cl_preimage_map_add(pm, buf, len);
			cl_keccak256(leaf + 1 + 32 * which, buf, len);
			memcpy(buf, leaf, 65);
			len = 65;
		} else {
			damage(buf, &len);
		}
		cl_preimage_map_add(pm, buf, len);
		cl_keccak256(nh.b, buf, len);
		/* rehash the ancestors over it */
		while (depth-- > 0) {
			memcpy(up[depth].pre + 1 + 32 * up[depth].side, nh.b, 32);
			cl_preimage_map_add(pm, up[depth].pre, 65);
			cl_keccak256(nh.b, up[depth].pre, 65);
		}
		if (cl_state_new_walk(&ws, &nh, cl_preimage_map_fetch, pm) !=
		    CL_OK) {
			refused++;
			continue;
		}
		struct cl_hash32 r, rec;

		CHECK(cl_state_root(ws, &r) == CL_OK && cl_hash32_eq(&r, &nh));
		CHECK_MSG(cl_state_recompute_root(ws, &rec) == CL_OK &&
			  cl_hash32_eq(&rec, &nh),
			  "trial %u: an accepted tree is not the module's", trial);
		accepted++;
		cl_state_free(ws);
	}
	cl_log_min_level = level;
	printf("damaged trees: %zu refused, %zu accepted (each recomputes to "
	       "its root)\n", refused, accepted);
	CHECK(refused > 0 && accepted > 0);
	cl_preimage_map_free(pm);
	cl_state_free(st);
}

int main(void)
{
	test_stream();
	test_missing();
	test_malformed();
	test_damage();
	return test_done("test_walk");
}
