/* SPDX-License-Identifier: MIT */
/*
 * The tree in memory's hashing at the edges (docs/state.md "The tree in
 * memory"), against a memory state's roots and the stored tree's check:
 *  - a new writer builds the tree (its halves split into subtrees for
 *    hashing) for every size from 1 to 40 leaves and a few larger, and
 *    keeps it (the built root is the stored one: a wrong build would
 *    leave the writer without a tree in memory);
 *  - blocks of 256 changed paths or more (split into subtrees for two
 *    threads) that leave a tree of 0 to 40 leaves, or grow one from it,
 *    where every marked branch is one of the upper ones and no subtree
 *    is left below them;
 *  - blocks mixing changed values, new leaves and deletions, small and
 *    large, in one tree.
 */
#include "state_util.h"

#define KEYS 4096u

static void key_of(uint8_t key[8], uint32_t i)
{
	cl_put_be64(key, 0x5eed5eed00000000ULL | i);
}

static void put_both(struct cl_state *a, struct cl_state *b, uint32_t i,
		     uint32_t version)
{
	uint8_t key[8], val[8];

	key_of(key, i);
	cl_put_be32(val, i);
	cl_put_be32(val + 4, version);
	cl_state_put(a, CL_TABLE_ACCOUNTS, key, 8, val, sizeof(val));
	cl_state_put(b, CL_TABLE_ACCOUNTS, key, 8, val, sizeof(val));
}

static void del_both(struct cl_state *a, struct cl_state *b, uint32_t i)
{
	uint8_t key[8];

	key_of(key, i);
	cl_state_del(a, CL_TABLE_ACCOUNTS, key, 8);
	cl_state_del(b, CL_TABLE_ACCOUNTS, key, 8);
}

/* Commit both: the same root, the stored tree exactly right, and the
 * LMDB writer still holding its tree in memory. */
static void commit_both(struct cl_state *lm, struct cl_state *mem,
			const char *what, unsigned n)
{
	struct cl_hash32 r1, r2;
	struct cl_state_stats s;
	uint64_t nodes;

	CHECK(cl_state_commit_block(lm, &r1) == 0);
	CHECK(cl_state_commit_block(mem, &r2) == 0);
	CHECK_MSG(memcmp(r1.b, r2.b, 32) == 0, "%s %u: roots differ", what,
		  n);
	CHECK_MSG(cl_state_check_tree(lm, &nodes) == 0,
		  "%s %u: the stored tree is not the tables'", what, n);
	cl_state_stats(lm, &s);
	CHECK_MSG(s.tree_bytes > 0, "%s %u: no tree in memory", what, n);
}

/* A new writer on db: its first (empty) block builds the tree, which
 * must give the stored root and stay. */
static struct cl_state *reopen(struct cl_db *db, struct cl_state *lm,
			       struct cl_state *mem, unsigned n)
{
	struct cl_state_stats s;

	cl_state_free(lm);
	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	commit_both(lm, mem, "new writer at", n);
	cl_state_stats(lm, &s);
	CHECK_MSG(n == 0 || s.load_ns > 0, "%u leaves: the tree was not built",
		  n);
	return lm;
}

static void test_sizes(struct cl_db *db, struct cl_state *mem)
{
	static const unsigned more[] = { 64, 100, 257, 1000, KEYS };
	struct cl_state *lm;
	unsigned have = 0;

	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	for (unsigned n = 1; n <= 40 + sizeof(more) / sizeof(more[0]); n++) {
		unsigned want = n <= 40 ? n : more[n - 41];

		for (; have < want; have++)
			put_both(lm, mem, have, 0);
		commit_both(lm, mem, "filled to", want);
		lm = reopen(db, lm, mem, want);
	}
	cl_state_free(lm);
}

/* From KEYS leaves: one block deletes all but `keep` of them (the rest
 * changed), the next puts them back; a new writer between. */
static void test_thin(struct cl_db *db, struct cl_state *mem)
{
	struct cl_state *lm;

	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	for (unsigned keep = 0; keep <= 40; keep++) {
		unsigned k = keep < 10 ? keep : keep * 37 % 300;

		for (uint32_t i = 0; i < KEYS; i++) {
			if (i % (KEYS / (k ? k : 1)) == 0 && k)
				put_both(lm, mem, i, 1 + keep);
			else
				del_both(lm, mem, i);
		}
		commit_both(lm, mem, "thinned to", k);
		if (keep % 8 == 0)
			lm = reopen(db, lm, mem, k);
		for (uint32_t i = 0; i < KEYS; i++)
			put_both(lm, mem, i, 100 + keep);
		commit_both(lm, mem, "grown from", k);
	}
	cl_state_free(lm);
}

/* Random blocks of changed values, new leaves and deletions. */
static void test_mixed(struct cl_db *db, struct cl_state *mem)
{
	static const unsigned sizes[] = { 1, 3, 40, 255, 256, 300, 1500 };
	struct cl_state *lm;

	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	for (unsigned b = 0; b < 28; b++) {
		unsigned ops = sizes[b % (sizeof(sizes) / sizeof(sizes[0]))];

		for (unsigned j = 0; j < ops; j++) {
			uint32_t i = (uint32_t)(test_rand() % (2 * KEYS));

			if (test_rand() % 100 < 30)
				del_both(lm, mem, i);
			else
				put_both(lm, mem, i, 1000 + b);
		}
		commit_both(lm, mem, "mixed block", b);
	}
	cl_state_free(lm);
}

int main(void)
{
	char *dir = tmpdir_make("smt-mem");
	struct cl_db *db = db_open_at(dir, 256u << 20);
	struct cl_state *mem = cl_state_new_memory();

	test_seed();
	test_sizes(db, mem);
	test_thin(db, mem);
	test_mixed(db, mem);
	cl_state_free(mem);
	cl_db_free(db);
	tmpdir_remove(dir);
	return test_done("smt_mem");
}
