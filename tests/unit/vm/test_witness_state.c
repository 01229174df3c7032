/* SPDX-License-Identifier: MIT */
/*
 * The witness state (src/state/witness.c), which the stf guest runs on,
 * against the memory state, natively: seeded random blocks of puts,
 * overwrites and deletes (down to an empty tree, so every way a subtree
 * collapses to one leaf is hit), point reads and ordered iteration, on a
 * witness built from the memory state's pre-state. For every block: the
 * same reads, the same iteration and the same root as the memory state,
 * from the full witness and from the part of it the block used; a
 * witness without any one preimage it used, a listed key that is not in
 * the tree, a complete witness whose lists are not the tree's keys, a
 * wrong root and a malformed encoding are refused; a complete witness
 * damaged at random is refused or changes no committed read and no root.
 */
#include <clearline/state.h>

#include "test.h"

#define KEYS 48     /* small key spaces: many collisions of prefixes */
#define BLOCKS 300

static const enum cl_table tables[] = {
	CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS, CL_TABLE_GLOBALS,
	CL_TABLE_LIQ_INDEX, /* local */
};
#define NT (sizeof(tables) / sizeof(tables[0]))

struct op {
	int kind; /* 0 get, 1 put, 2 del, 3 iterate */
	enum cl_table t;
	uint8_t key[2];
	uint8_t val[40];
	size_t vlen;
};

/* What a run read: every read, and the reads of committed tables only. */
struct digest {
	uint8_t all[32];
	uint8_t committed[32];
};

static void absorb(struct cl_keccak k[2], enum cl_table t, const void *p,
		   size_t len)
{
	cl_keccak_update(&k[0], p, len);
	if (t < CL_TABLE_LOCAL_MIN)
		cl_keccak_update(&k[1], p, len);
}

/* Apply ops to st, folding the reads into *d; the root in *root.
 * Returns CL_OK or the first backend error. */
static int run(struct cl_state *st, const struct op *ops, size_t n,
	       struct digest *d, struct cl_hash32 *root)
{
	struct cl_keccak k[2];
	int rc = CL_OK;

	cl_keccak_init(&k[0]);
	cl_keccak_init(&k[1]);
	for (size_t i = 0; i < n && rc == CL_OK; i++) {
		const struct op *o = &ops[i];
		const uint8_t *v, *key;
		size_t vlen, klen;
		struct cl_state_iter *it;

		switch (o->kind) {
		case 0:
			rc = cl_state_get(st, &v, &vlen, o->t, o->key, 2);
			if (rc == CL_ERR_NOT_FOUND) {
				absorb(k, o->t, "-", 1);
				rc = CL_OK;
			} else if (rc == CL_OK) {
				absorb(k, o->t, v, vlen);
			}
			break;
		case 1:
			cl_state_put(st, o->t, o->key, 2, o->val, o->vlen);
			break;
		case 2:
			cl_state_del(st, o->t, o->key, 2);
			break;
		case 3:
			rc = cl_state_iter_new(&it, st, o->t, o->key, 1);
			for (int j = 0; rc == CL_OK && j < 6; j++) {
				rc = cl_state_iter_next(it, &key, &klen, &v,
							&vlen);
				if (rc == CL_OK) {
					absorb(k, o->t, key, klen);
					absorb(k, o->t, v, vlen);
				}
			}
			if (rc == CL_ERR_NOT_FOUND)
				rc = CL_OK;
			cl_state_iter_free(it);
			break;
		}
	}
	cl_keccak_final(&k[0], d->all);
	cl_keccak_final(&k[1], d->committed);
	if (rc) {
		cl_state_discard(st);
		return rc;
	}
	return cl_state_commit_block(st, root);
}

static size_t random_block(struct op *ops, size_t max, unsigned phase)
{
	size_t n = 1 + test_rand() % max;

	for (size_t i = 0; i < n; i++) {
		struct op *o = &ops[i];
		unsigned r = (unsigned)(test_rand() % 100);

		memset(o, 0, sizeof(*o));
		o->t = tables[test_rand() % NT];
		o->key[0] = (uint8_t)(test_rand() % 3);
		o->key[1] = (uint8_t)(test_rand() % (KEYS / 3));
		/* phases: grow, churn, shrink to nothing */
		if (r < 30)
			o->kind = 0;
		else if (r < 40)
			o->kind = 3;
		else if (phase == 2 || (phase == 1 && r < 70))
			o->kind = 2;
		else
			o->kind = 1;
		o->vlen = test_rand() % sizeof(o->val);
		for (size_t j = 0; j < o->vlen; j++)
			o->val[j] = (uint8_t)(test_rand() % 4);
	}
	return n;
}

static void test_random(void)
{
	struct cl_state *mem = cl_state_new_memory();
	struct op ops[40];
	size_t refused_deletes = 0, empty = 0, damaged[4] = { 0 };

	test_seed();
	for (unsigned b = 0; b < BLOCKS; b++) {
		unsigned phase = b < 100 ? 0 : b < 200 ? 1 : 2;
		size_t n = random_block(ops, 40, phase);
		struct cl_buf full, used;
		struct cl_hash32 pre, r_mem, r_wit;
		struct digest d_mem, d_wit;
		struct cl_state *w;

		cl_buf_init(&full);
		cl_buf_init(&used);
		CHECK(cl_state_root(mem, &pre) == CL_OK);
		CHECK(cl_witness_full(mem, &full) == CL_OK);
		CHECK(run(mem, ops, n, &d_mem, &r_mem) == CL_OK);

		CHECK(cl_state_new_witness(&w, &pre, full.p, full.len) ==
		      CL_OK);
		CHECK(run(w, ops, n, &d_wit, &r_wit) == CL_OK);
		CHECK_MSG(memcmp(&d_mem, &d_wit, sizeof(d_mem)) == 0 &&
			  cl_hash32_eq(&r_mem, &r_wit),
			  "block %u: the witness state differs", b);
		CHECK(cl_state_witness_complete(w));
		cl_witness_used(w, &used, false);
		cl_state_free(w);
		empty += cl_hash32_eq(&r_mem, &(struct cl_hash32){ { 0 } });

		CHECK(cl_state_new_witness(&w, &pre, used.p, used.len) ==
		      CL_OK);
		CHECK(run(w, ops, n, &d_wit, &r_wit) == CL_OK);
		CHECK_MSG(memcmp(&d_mem, &d_wit, sizeof(d_mem)) == 0 &&
			  cl_hash32_eq(&r_mem, &r_wit),
			  "block %u: the used witness differs", b);
		cl_state_free(w);

		/* without any one preimage the block cannot run */
		size_t np = cl_get_be32(used.p + 4), at = 8;

		for (size_t i = 0; i < np; i++) {
			uint32_t len = cl_get_be32(used.p + at);
			struct cl_buf cut;
			int rc;

			cl_buf_init(&cut);
			cl_buf_append(&cut, used.p, 4);
			cl_buf_append_be32(&cut, (uint32_t)(np - 1));
			cl_buf_append(&cut, used.p + 8, at - 8);
			cl_buf_append(&cut, used.p + at + 4 + len,
				      used.len - at - 4 - len);
			CHECK(cl_state_new_witness(&w, &pre, cut.p, cut.len) ==
			      CL_OK);
			rc = run(w, ops, n, &d_wit, &r_wit);
			CHECK_MSG(rc == CL_ERR_CORRUPT,
				  "block %u: preimage %zu of %zu left out: %d",
				  b, i, np, rc);
			cl_state_free(w);
			cl_buf_release(&cut);
			at += 4 + len;
			refused_deletes++;
		}

		/* the complete part, damaged at random: refused (when made,
		 * when read, or as not complete), or the same committed reads
		 * and root (local contents are trusted: only their reads may
		 * differ) */
		struct cl_buf comp;

		cl_buf_init(&comp);
		CHECK(cl_state_new_witness(&w, &pre, full.p, full.len) ==
		      CL_OK);
		CHECK(run(w, ops, n, &d_wit, &r_wit) == CL_OK);
		cl_witness_used(w, &comp, true);
		cl_state_free(w);
		for (int t = 0; t < 12; t++) {
			struct cl_buf bad;
			unsigned flips = 1 + (unsigned)(test_rand() % 3);
			int rc;

			cl_buf_init(&bad);
			cl_buf_append(&bad, comp.p, comp.len);
			for (unsigned f = 0; f < flips; f++)
				bad.p[test_rand() % bad.len] ^=
					(uint8_t)(1u << (test_rand() % 8));
			if (test_rand() % 8 == 0)
				bad.len = test_rand() % bad.len;
			if (cl_state_new_witness(&w, &pre, bad.p, bad.len) !=
			    CL_OK) {
				damaged[0]++;
			} else if (!cl_state_witness_complete(w)) {
				damaged[1]++;
				cl_state_free(w);
			} else {
				rc = run(w, ops, n, &d_wit, &r_wit);
				CHECK_MSG(rc == CL_ERR_CORRUPT ||
					  (rc == CL_OK &&
					   memcmp(d_mem.committed,
						  d_wit.committed, 32) == 0 &&
					   cl_hash32_eq(&r_mem, &r_wit)),
					  "block %u: a damaged complete witness "
					  "gave rc %d, or other reads", b, rc);
				damaged[rc == CL_OK ? 3 : 2]++;
				cl_state_free(w);
			}
			cl_buf_release(&bad);
		}
		cl_buf_release(&comp);
		cl_buf_release(&full);
		cl_buf_release(&used);
	}
	CHECK(cl_state_root(mem, &(struct cl_hash32){ { 0 } }) == CL_OK);
	printf("%zu witnesses with one preimage left out refused; %zu blocks "
	       "ended with the empty tree\n", refused_deletes, empty);
	printf("damaged complete witnesses: %zu refused when made, %zu no "
	       "longer complete, %zu refused when read, %zu harmless (same "
	       "committed reads and root)\n", damaged[0], damaged[1],
	       damaged[2], damaged[3]);
	cl_state_free(mem);
}

/* Find `key` (2 bytes) after table id `tid` in an encoding: the offset
 * of its first byte. */
static size_t find_key(const struct cl_buf *b, uint8_t tid, const uint8_t *key)
{
	for (size_t i = b->len - 2; i > 5; i--)
		if (b->p[i - 1] == 2 && b->p[i] == key[0] &&
		    b->p[i + 1] == key[1] && b->p[i - 6] == tid)
			return i;
	CHECK(false);
	return 0;
}

/* Listed keys that are not in the tree, lists that miss keys, and
 * malformed encodings. */
static void test_refusals(void)
{
	struct cl_state *mem = cl_state_new_memory(), *w;
	struct cl_hash32 root, r2;
	struct cl_buf full, part;
	const uint8_t *k, *v;
	size_t kl, vl;
	struct cl_state_iter *it;
	uint8_t key[2] = { 1, 2 }, other[2] = { 1, 3 };
	size_t at;

	cl_state_put(mem, CL_TABLE_ORDERS, key, 2, (const uint8_t *)"x", 1);
	cl_state_put(mem, CL_TABLE_ACCOUNTS, other, 2, (const uint8_t *)"y", 1);
	CHECK(cl_state_commit_block(mem, &root) == CL_OK);
	cl_buf_init(&full);
	cl_buf_init(&part);
	CHECK(cl_witness_full(mem, &full) == CL_OK);

	/* the part a block iterating ORDERS uses: ORDERS' list only, so
	 * not complete */
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len) == CL_OK);
	CHECK(cl_state_witness_complete(w));
	CHECK(cl_state_iter_new(&it, w, CL_TABLE_ORDERS, NULL, 0) == CL_OK);
	CHECK(cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK && kl == 2 &&
	      vl == 1 && v[0] == 'x');
	cl_state_iter_free(it);
	cl_witness_used(w, &part, false);
	cl_state_free(w);

	/* ORDERS' list names 0x0103 instead: refused when reached */
	at = find_key(&part, CL_TABLE_ORDERS, key);
	part.p[at + 1] = 3;
	CHECK(cl_state_new_witness(&w, &root, part.p, part.len) == CL_OK);
	CHECK(!cl_state_witness_complete(w));
	CHECK(cl_state_iter_new(&it, w, CL_TABLE_ORDERS, NULL, 0) == CL_OK);
	CHECK(cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_ERR_CORRUPT);
	cl_state_iter_free(it);
	/* a point read of the real key still proves */
	CHECK(cl_state_get(w, &v, &vl, CL_TABLE_ORDERS, key, 2) == CL_OK &&
	      vl == 1 && v[0] == 'x');
	/* a table without a list cannot be iterated */
	CHECK(cl_state_iter_new(&it, w, CL_TABLE_ACCOUNTS, NULL, 0) == CL_OK);
	CHECK(cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_ERR_CORRUPT);
	cl_state_iter_free(it);
	cl_state_free(w);

	/* in a complete witness the same change is refused at once: the
	 * lists must name exactly the tree's keys */
	at = find_key(&full, CL_TABLE_ORDERS, key);
	full.p[at + 1] = 3;
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len) ==
	      CL_ERR_CORRUPT && !w);
	full.p[at + 1] = 2;
	/* and so is a wrong root (its nodes are not there) */
	r2 = root;
	r2.b[0] ^= 1;
	CHECK(cl_state_new_witness(&w, &r2, full.p, full.len) ==
	      CL_ERR_CORRUPT && !w);
	/* ... while an incomplete one finds out at the first read */
	CHECK(cl_state_new_witness(&w, &r2, part.p, part.len) == CL_OK);
	CHECK(cl_state_get(w, &v, &vl, CL_TABLE_ORDERS, key, 2) ==
	      CL_ERR_CORRUPT);
	cl_state_free(w);

	/* truncated, trailing bytes, bad magic */
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len) == CL_OK);
	cl_state_free(w);
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len - 1) ==
	      CL_ERR_CORRUPT && !w);
	cl_buf_append_byte(&full, 0);
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len) ==
	      CL_ERR_CORRUPT && !w);
	full.p[0] = 'X';
	CHECK(cl_state_new_witness(&w, &root, full.p, full.len - 1) ==
	      CL_ERR_CORRUPT && !w);
	cl_buf_release(&full);
	cl_buf_release(&part);
	cl_state_free(mem);
}

int main(void)
{
	cl_log_min_level = CL_LOG_BROKEN; /* refusals are logged */
	test_random();
	test_refusals();
	return test_done("test_witness_state");
}
