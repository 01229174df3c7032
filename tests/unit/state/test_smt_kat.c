/* SPDX-License-Identifier: MIT */
/*
 * Known answers for the tree's hashing rule on small trees, each computed
 * by hand here from raw keccak256 calls, plus the proof encoding.
 */
#include "state_util.h"

static const uint8_t zero32[32];

static void key_of(uint8_t key[4], uint32_t i)
{
	cl_put_be32(key, i);
}

/* The first key index >= from whose path (in ACCOUNTS) satisfies pred. */
typedef bool (*path_pred)(const uint8_t *path, const uint8_t *ref);

static uint32_t find_key(uint32_t from, path_pred pred, const uint8_t *ref,
			 uint8_t path[32])
{
	for (uint32_t i = from;; i++) {
		uint8_t key[4];

		key_of(key, i);
		ref_path(path, CL_TABLE_ACCOUNTS, key, 4);
		if (pred(path, ref))
			return i;
	}
}

static bool bit0_is_0(const uint8_t *p, const uint8_t *ref)
{
	(void)ref;
	return ref_bit(p, 0) == 0;
}

static bool bit0_is_1(const uint8_t *p, const uint8_t *ref)
{
	(void)ref;
	return ref_bit(p, 0) == 1;
}

/* Shares bits 0..2 with ref and differs in bit 3. */
static bool shares_3(const uint8_t *p, const uint8_t *ref)
{
	for (unsigned i = 0; i < 3; i++)
		if (ref_bit(p, i) != ref_bit(ref, i))
			return false;
	return ref_bit(p, 3) != ref_bit(ref, 3);
}

/* Same bit 0 as ref, different path. */
static bool same_bit0(const uint8_t *p, const uint8_t *ref)
{
	return ref_bit(p, 0) == ref_bit(ref, 0) && memcmp(p, ref, 32) != 0;
}

static void put_u32(struct cl_state *st, uint32_t i, const char *val)
{
	uint8_t key[4];

	key_of(key, i);
	cl_state_put(st, CL_TABLE_ACCOUNTS, key, 4, (const uint8_t *)val,
		     strlen(val));
}

static void check_root(struct cl_state *st, const uint8_t want[32],
		       const char *what)
{
	struct cl_hash32 root, again;

	CHECK_MSG(cl_state_commit_block(st, &root) == 0, "%s", what);
	CHECK_MSG(memcmp(root.b, want, 32) == 0, "%s: root", what);
	CHECK_MSG(cl_state_recompute_root(st, &again) == 0, "%s", what);
	CHECK_MSG(memcmp(again.b, want, 32) == 0, "%s: recomputed", what);
}

/* leaf hash of ACCOUNTS[be32(i)] = val, from raw bytes */
static void leaf_of(uint8_t out[32], uint32_t i, const char *val)
{
	uint8_t key[4], path[32], vh[32], buf[65];

	key_of(key, i);
	ref_path(path, CL_TABLE_ACCOUNTS, key, 4);
	cl_keccak256(vh, val, strlen(val));
	buf[0] = 0x00;
	memcpy(buf + 1, path, 32);
	memcpy(buf + 33, vh, 32);
	cl_keccak256(out, buf, 65);
}

static void node_of(uint8_t out[32], const uint8_t *l, const uint8_t *r)
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	cl_keccak256(out, buf, 65);
}

static void test_primitives(void)
{
	uint8_t key[3] = { 0xaa, 0xbb, 0xcc }, buf[65], want[32];
	struct cl_hash32 path, vh, leaf, node;

	/* path = keccak256(table id ‖ key) */
	buf[0] = 0x05;
	memcpy(buf + 1, key, 3);
	cl_keccak256(want, buf, 4);
	cl_smt_path(&path, 0x05, key, 3);
	CHECK(memcmp(path.b, want, 32) == 0);

	cl_smt_value_hash(&vh, (const uint8_t *)"", 0);
	CHECK_HEX(vh.b, 32,
		  "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8"
		  "045d85a470");

	cl_smt_leaf_hash(&leaf, &path, &vh);
	buf[0] = 0;
	memcpy(buf + 1, path.b, 32);
	memcpy(buf + 33, vh.b, 32);
	cl_keccak256(want, buf, 65);
	CHECK(memcmp(leaf.b, want, 32) == 0);

	cl_smt_node_hash(&node, &path, &vh);
	buf[0] = 1;
	cl_keccak256(want, buf, 65);
	CHECK(memcmp(node.b, want, 32) == 0);

	/* bit numbering: bit 0 is the top bit of byte 0 */
	memset(path.b, 0, 32);
	path.b[0] = 0x80;
	path.b[31] = 0x01;
	CHECK(cl_smt_bit(&path, 0) == 1 && cl_smt_bit(&path, 1) == 0);
	CHECK(cl_smt_bit(&path, 255) == 1 && cl_smt_bit(&path, 254) == 0);
}

static void test_trees(void)
{
	struct cl_state *st = cl_state_new_memory();
	struct cl_hash32 root;
	uint8_t pa[32], pb[32], pc[32], la[32], lb[32], lc[32], h[32];
	uint8_t n3[32], n2[32], n1[32], n0[32];
	uint32_t a, b, c;

	/* empty */
	CHECK(cl_state_root(st, &root) == 0);
	CHECK(memcmp(root.b, zero32, 32) == 0);
	check_root(st, zero32, "empty");

	/* one leaf: the root is the leaf */
	a = find_key(0, bit0_is_0, NULL, pa);
	put_u32(st, a, "alpha");
	leaf_of(la, a, "alpha");
	check_root(st, la, "one leaf");

	/* two leaves differing in bit 0 */
	b = find_key(0, bit0_is_1, NULL, pb);
	put_u32(st, b, "beta");
	leaf_of(lb, b, "beta");
	node_of(h, la, lb);
	check_root(st, h, "bit 0");

	/* overwrite one value */
	put_u32(st, b, "beta2");
	leaf_of(lb, b, "beta2");
	node_of(h, la, lb);
	check_root(st, h, "overwrite");

	/* back to one leaf: compaction after a delete */
	{
		uint8_t key[4];

		key_of(key, b);
		cl_state_del(st, CL_TABLE_ACCOUNTS, key, 4);
	}
	check_root(st, la, "delete");

	/* two leaves sharing a 3-bit prefix: internal nodes at depths
	 * 0..3 with empty siblings above depth 3 */
	c = find_key(0, shares_3, pa, pc);
	put_u32(st, c, "gamma");
	leaf_of(lc, c, "gamma");
	if (ref_bit(pa, 3) == 0)
		node_of(n3, la, lc);
	else
		node_of(n3, lc, la);
	if (ref_bit(pa, 2) == 0)
		node_of(n2, n3, zero32);
	else
		node_of(n2, zero32, n3);
	if (ref_bit(pa, 1) == 0)
		node_of(n1, n2, zero32);
	else
		node_of(n1, zero32, n2);
	node_of(n0, n1, zero32); /* bit 0 of a is 0 */
	check_root(st, n0, "3-bit prefix");

	/* proofs in that tree */
	{
		struct cl_proof p;
		struct cl_hash32 path, vh, r;
		uint8_t key[4];

		memcpy(r.b, n0, 32);
		key_of(key, a);
		CHECK(cl_state_prove(st, &p, CL_TABLE_ACCOUNTS, key, 4) == 0);
		CHECK(p.kind == CL_PROOF_INCLUSION && p.depth == 4);
		CHECK(memcmp(p.siblings[0].b, zero32, 32) == 0);
		CHECK(memcmp(p.siblings[1].b, zero32, 32) == 0);
		CHECK(memcmp(p.siblings[2].b, zero32, 32) == 0);
		CHECK(memcmp(p.siblings[3].b, lc, 32) == 0);
		memcpy(path.b, pa, 32);
		cl_smt_value_hash(&vh, (const uint8_t *)"alpha", 5);
		CHECK(cl_proof_verify_inclusion(&p, &r, &path, &vh));
		CHECK(!cl_proof_verify_exclusion(&p, &r, &path));

		/* a path with bit 0 = 1: empty right child of the root */
		memcpy(path.b, pb, 32);
		key_of(key, b);
		CHECK(cl_state_prove(st, &p, CL_TABLE_ACCOUNTS, key, 4) == 0);
		CHECK(p.kind == CL_PROOF_EXCLUSION_EMPTY && p.depth == 1);
		CHECK(memcmp(p.siblings[0].b, n1, 32) == 0);
		CHECK(cl_proof_verify_exclusion(&p, &r, &path));
		CHECK(!cl_proof_verify_inclusion(&p, &r, &path, &vh));
	}

	/* three leaves: b joins on the right */
	put_u32(st, b, "beta");
	leaf_of(lb, b, "beta");
	node_of(h, n1, lb);
	check_root(st, h, "three leaves");

	/* exclusion by another leaf: a key sharing bit 0 with b */
	{
		struct cl_proof p;
		struct cl_hash32 path, r;
		uint8_t key[4], pd[32];
		uint32_t d = find_key(0, same_bit0, pb, pd);

		memcpy(r.b, h, 32);
		key_of(key, d);
		CHECK(cl_state_prove(st, &p, CL_TABLE_ACCOUNTS, key, 4) == 0);
		CHECK(p.kind == CL_PROOF_EXCLUSION_LEAF && p.depth == 1);
		CHECK(memcmp(p.other_path.b, pb, 32) == 0);
		CHECK(memcmp(p.siblings[0].b, n1, 32) == 0);
		memcpy(path.b, pd, 32);
		CHECK(cl_proof_verify_exclusion(&p, &r, &path));
		/* the other leaf itself is not excluded */
		memcpy(path.b, pb, 32);
		CHECK(!cl_proof_verify_exclusion(&p, &r, &path));
	}

	/* local tables are not in the root */
	{
		uint8_t key[1] = { 1 };

		cl_state_put(st, CL_TABLE_NODE, key, 1, key, 1);
		check_root(st, h, "local table");
	}
	cl_state_free(st);
}

/* A vector fixed in the docs, computed by an independent implementation of
 * keccak256 and of the rule: ACCOUNTS[0x01] = 0x0a, ACCOUNTS[0x02] = 0x0b,
 * MARKETS[0x00000001] = "" (empty value). */
#define FIXED_ROOT_1 \
	"0x96a208209f96158a29897c4430432fde0169540235428edabb2efa3015d49f6a"
#define FIXED_ROOT_3 \
	"0xac1cace51017bb2faa9b34d65de73d7ef40ce8a99173cda148b2dbd59723fab0"

static void test_fixed_vector(void)
{
	struct cl_state *st = cl_state_new_memory();
	struct cl_hash32 root;
	const uint8_t k1[1] = { 1 }, k2[1] = { 2 }, m1[4] = { 0, 0, 0, 1 };
	const uint8_t v1[1] = { 0x0a }, v2[1] = { 0x0b };

	cl_state_put(st, CL_TABLE_ACCOUNTS, k1, 1, v1, 1);
	CHECK(cl_state_commit_block(st, &root) == 0);
	CHECK_HEX(root.b, 32, FIXED_ROOT_1);
	cl_state_put(st, CL_TABLE_ACCOUNTS, k2, 1, v2, 1);
	cl_state_put(st, CL_TABLE_MARKETS, m1, 4, NULL, 0);
	CHECK(cl_state_commit_block(st, &root) == 0);
	CHECK_HEX(root.b, 32, FIXED_ROOT_3);
	cl_state_free(st);
}

static void test_encoding(void)
{
	struct cl_proof p, q;
	struct cl_buf b;
	uint8_t bad[4];

	memset(&p, 0, sizeof(p));
	p.kind = CL_PROOF_INCLUSION;
	p.depth = 2;
	memset(p.siblings[0].b, 0x11, 32);
	memset(p.siblings[1].b, 0x22, 32);
	cl_buf_init(&b);
	cl_proof_encode(&b, &p);
	CHECK(b.len == 3 + 64);
	CHECK(b.p[0] == 0 && b.p[1] == 0 && b.p[2] == 2);
	CHECK(b.p[3] == 0x11 && b.p[35] == 0x22);
	CHECK(cl_proof_decode(&q, b.p, b.len));
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	/* trailing byte, short input */
	cl_buf_append_byte(&b, 0);
	CHECK(!cl_proof_decode(&q, b.p, b.len));
	CHECK(q.depth == 0 && q.kind == 0);
	CHECK(!cl_proof_decode(&q, b.p, b.len - 2));
	CHECK(!cl_proof_decode(&q, b.p, 0));

	/* exclusion by a leaf carries 64 more bytes */
	p.kind = CL_PROOF_EXCLUSION_LEAF;
	memset(p.other_path.b, 0x33, 32);
	memset(p.other_value_hash.b, 0x44, 32);
	cl_buf_reset(&b);
	cl_proof_encode(&b, &p);
	CHECK(b.len == 3 + 64 + 64 && b.p[0] == 2);
	CHECK(cl_proof_decode(&q, b.p, b.len));
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	CHECK(!cl_proof_decode(&q, b.p, b.len - 64));

	/* unknown kind, depth above 256 */
	bad[0] = 3;
	bad[1] = 0;
	bad[2] = 0;
	CHECK(!cl_proof_decode(&q, bad, 3));
	bad[0] = 1;
	CHECK(cl_proof_decode(&q, bad, 3));
	bad[1] = 1;
	bad[2] = 1; /* 257 */
	CHECK(!cl_proof_decode(&q, bad, 3));

	/* depth 256 is the largest */
	memset(&p, 0, sizeof(p));
	p.kind = CL_PROOF_EXCLUSION_EMPTY;
	p.depth = 256;
	cl_buf_reset(&b);
	cl_proof_encode(&b, &p);
	CHECK(b.len == CL_PROOF_ENCODED_MAX - 64);
	CHECK(cl_proof_decode(&q, b.p, b.len));
	cl_buf_release(&b);
}

/* Hash up from h at `depth` along `path` with the given siblings. */
static void fold(uint8_t h[32], const uint8_t *path,
		 const struct cl_hash32 *sib, unsigned depth)
{
	for (unsigned i = depth; i-- > 0;) {
		if (ref_bit(path, i))
			node_of(h, sib[i].b, h);
		else
			node_of(h, h, sib[i].b);
	}
}

/* The verifier's own rules, on proofs whose roots are built to match. */
static void test_verify_rules(void)
{
	struct cl_proof p;
	struct cl_hash32 path, root, vh;
	uint8_t h[32];

	memset(&p, 0, sizeof(p));
	memset(vh.b, 0x66, 32);
	memset(path.b, 0, 32);
	path.b[0] = 0xb0; /* bits 1 0 1 1 */
	p.depth = 3;
	for (unsigned i = 0; i < 3; i++)
		memset(p.siblings[i].b, 0x10 + i, 32);

	/* another leaf sharing the first 3 bits: accepted */
	p.kind = CL_PROOF_EXCLUSION_LEAF;
	p.other_path = path;
	p.other_path.b[0] = 0xa0; /* 1 0 1 0 */
	p.other_path.b[31] = 0x77;
	memset(p.other_value_hash.b, 0x55, 32);
	ref_leaf_hash(h, p.other_path.b, p.other_value_hash.b);
	fold(h, path.b, p.siblings, 3);
	memcpy(root.b, h, 32);
	CHECK(cl_proof_verify_exclusion(&p, &root, &path));

	/* the same fold with a leaf off the prefix: rejected */
	p.other_path.b[0] = 0x80; /* 1 0 0 0: differs in bit 2 */
	ref_leaf_hash(h, p.other_path.b, p.other_value_hash.b);
	fold(h, path.b, p.siblings, 3);
	memcpy(root.b, h, 32);
	CHECK(!cl_proof_verify_exclusion(&p, &root, &path));

	/* the "other" leaf being the path itself: rejected (it would
	 * prove inclusion) */
	p.other_path = path;
	ref_leaf_hash(h, p.other_path.b, p.other_value_hash.b);
	fold(h, path.b, p.siblings, 3);
	memcpy(root.b, h, 32);
	CHECK(!cl_proof_verify_exclusion(&p, &root, &path));
	p.kind = CL_PROOF_INCLUSION;
	CHECK(cl_proof_verify_inclusion(&p, &root, &path,
					&p.other_value_hash));

	/* empty: h starts at zero */
	p.kind = CL_PROOF_EXCLUSION_EMPTY;
	memset(h, 0, 32);
	fold(h, path.b, p.siblings, 3);
	memcpy(root.b, h, 32);
	CHECK(cl_proof_verify_exclusion(&p, &root, &path));
	CHECK(!cl_proof_verify_inclusion(&p, &root, &path, &vh));

	/* out-of-range fields are refused */
	p.depth = CL_SMT_DEPTH + 1;
	CHECK(!cl_proof_verify_exclusion(&p, &root, &path));
	p.depth = 3;
	p.kind = (enum cl_proof_kind)7;
	CHECK(!cl_proof_verify_exclusion(&p, &root, &path));
	CHECK(!cl_proof_verify_inclusion(&p, &root, &path, &vh));
}

static void test_registry(void)
{
	size_t n;
	const struct cl_table_info *t = cl_table_list(&n);

	CHECK(n >= 2);
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].committed ==
		      ((unsigned)t[i].id < CL_TABLE_LOCAL_MIN));
		CHECK((unsigned)t[i].id != 0);
		CHECK(cl_table_find(t[i].id) == &t[i]);
		if (i)
			CHECK(t[i - 1].id < t[i].id);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(t[i].name, t[j].name) != 0);
	}
	CHECK(cl_table_find(0) == NULL);
	CHECK(cl_table_find(0x7f) == NULL);
}

int main(void)
{
	test_primitives();
	test_trees();
	test_fixed_vector();
	test_encoding();
	test_verify_rules();
	test_registry();
	return test_done("test_smt_kat");
}
