/* SPDX-License-Identifier: MIT */
/*
 * The LMDB writer's tree in memory (docs/state.md "The tree in memory"):
 * blocks of random puts, updates and deletes (small ones, and ones large
 * enough to be hashed on two threads; thinning the tree out and refilling
 * it) give the same roots as a memory state; the stored tree behind them
 * stays exactly right (cl_state_check_tree: the nodes over 64 leaves or
 * more and no others, no stale node, none missing;
 * proofs of every key deleted in a block, byte for byte the memory
 * state's; the root recomputed from the tables; proofs from a snapshot,
 * which read LMDB only and compute the lower levels from the leaves,
 * byte for byte the memory state's; a new writer, which rebuilds the tree from the
 * stored leaves and checks it against the stored root; blocks committed
 * without the tree in memory, by the plain update over LMDB, the same);
 * emptying everything gives the zero root.
 */
#include "state_util.h"

#define KEYS 60000u
#define BLOCKS 24

static bool present[KEYS];
static uint32_t deleted[KEYS]; /* deleted in the current block */
static size_t ndeleted;

static void key_of(uint8_t key[8], uint32_t i)
{
	cl_put_be64(key, 0x5eed000000000000ULL | i);
}

static void put_both(struct cl_state *a, struct cl_state *b, uint32_t i,
		     uint32_t version)
{
	uint8_t key[8], val[12];

	key_of(key, i);
	cl_put_be64(val, i);
	cl_put_be32(val + 8, version);
	cl_state_put(a, CL_TABLE_ACCOUNTS, key, 8, val, sizeof(val));
	cl_state_put(b, CL_TABLE_ACCOUNTS, key, 8, val, sizeof(val));
	present[i] = true;
}

static void del_both(struct cl_state *a, struct cl_state *b, uint32_t i)
{
	uint8_t key[8];

	key_of(key, i);
	cl_state_del(a, CL_TABLE_ACCOUNTS, key, 8);
	cl_state_del(b, CL_TABLE_ACCOUNTS, key, 8);
	present[i] = false;
	if (ndeleted < KEYS)
		deleted[ndeleted++] = i;
}

/* Commit both, check their roots agree; every `full` blocks also check
 * the recomputed root and proofs read from a snapshot. */
static void commit_both(struct cl_db *db, struct cl_state *lm,
			struct cl_state *mem, int b, bool full)
{
	struct cl_hash32 r1, r2, r3;

	CHECK(cl_state_commit_block(lm, &r1) == 0);
	CHECK(cl_state_commit_block(mem, &r2) == 0);
	CHECK_MSG(memcmp(r1.b, r2.b, 32) == 0, "block %d: roots differ", b);
	/* proofs of the keys deleted in the block (which walk down to where
	 * stale nodes would be), byte for byte the memory state's */
	for (size_t j = 0; j < ndeleted; j++) {
		struct cl_proof p1, p2;
		struct cl_buf e1, e2;
		uint8_t key[8];

		key_of(key, deleted[j]);
		CHECK(cl_state_prove(lm, &p1, CL_TABLE_ACCOUNTS, key, 8) == 0);
		CHECK(cl_state_prove(mem, &p2, CL_TABLE_ACCOUNTS, key, 8) == 0);
		cl_buf_init(&e1);
		cl_buf_init(&e2);
		cl_proof_encode(&e1, &p1);
		cl_proof_encode(&e2, &p2);
		CHECK_MSG(e1.len == e2.len && memcmp(e1.p, e2.p, e1.len) == 0,
			  "block %d: proofs of a deleted key differ", b);
		cl_buf_release(&e1);
		cl_buf_release(&e2);
	}
	ndeleted = 0;
	if (!full)
		return;
	CHECK(cl_state_recompute_root(lm, &r3) == 0);
	CHECK_MSG(memcmp(r1.b, r3.b, 32) == 0,
		  "block %d: the root is not the tables' root", b);
	{
		uint64_t nodes;

		/* the stored nodes are exactly the tree's over 64 leaves or
		 * more: none stale, none missing, none lower; the memory
		 * state's are all of its internal nodes */
		CHECK_MSG(cl_state_check_tree(lm, &nodes) == 0,
			  "block %d: the stored tree is not the tables'", b);
		CHECK_MSG(cl_state_check_tree(mem, &nodes) == 0,
			  "block %d: the memory tree is not the tables'", b);
	}
	{
		struct cl_snapshot *snap;

		CHECK(cl_snapshot_new(&snap, db) == 0);
		for (int j = 0; j < 200; j++) {
			uint32_t i = (uint32_t)(test_rand() % KEYS);
			struct cl_proof p, pm;
			struct cl_hash32 path, vh;
			struct cl_buf e1, e2;
			const uint8_t *v;
			size_t vl;
			uint8_t key[8];

			key_of(key, i);
			cl_smt_path(&path, CL_TABLE_ACCOUNTS, key, 8);
			CHECK(cl_snapshot_prove(snap, &p, CL_TABLE_ACCOUNTS,
						key, 8) == 0);
			/* computed below the stored nodes from the leaves:
			 * byte for byte the memory state's */
			CHECK(cl_state_prove(mem, &pm, CL_TABLE_ACCOUNTS, key,
					     8) == 0);
			cl_buf_init(&e1);
			cl_buf_init(&e2);
			cl_proof_encode(&e1, &p);
			cl_proof_encode(&e2, &pm);
			CHECK_MSG(e1.len == e2.len &&
					  memcmp(e1.p, e2.p, e1.len) == 0,
				  "block %d: a snapshot's proof differs", b);
			cl_buf_release(&e1);
			cl_buf_release(&e2);
			if (present[i]) {
				CHECK(cl_snapshot_get(snap, &v, &vl,
						      CL_TABLE_ACCOUNTS, key,
						      8) == 0);
				cl_smt_value_hash(&vh, v, vl);
				CHECK(cl_proof_verify_inclusion(&p, &r1, &path,
								&vh));
			} else {
				CHECK(cl_proof_verify_exclusion(&p, &r1,
								&path));
			}
		}
		cl_snapshot_free(snap);
	}
}

static void test_blocks(void)
{
	char *dir = tmpdir_make("smt-top");
	struct cl_db *db = db_open_at(dir, 256u << 20);
	struct cl_state *lm, *mem = cl_state_new_memory();
	struct cl_state_stats s;
	struct cl_hash32 r1, r2;

	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	/* fill in three blocks */
	for (uint32_t i = 0; i < KEYS; i++) {
		put_both(lm, mem, i, 0);
		if (i % (KEYS / 3) == KEYS / 3 - 1)
			commit_both(db, lm, mem, -1, false);
	}
	commit_both(db, lm, mem, -1, true);

	for (int b = 0; b < BLOCKS; b++) {
		/* blocks 8..15 mostly delete (subtrees fall to one leaf or
		 * none), the others mostly write */
		unsigned del_pct = b >= 8 && b < 16 ? 85 : 25;
		unsigned ops = b % 5 == 0 ? 1 + test_rand() % 3 : 3000;

		for (unsigned j = 0; j < ops; j++) {
			uint32_t i = (uint32_t)(test_rand() % KEYS);

			if (test_rand() % 100 < del_pct)
				del_both(lm, mem, i);
			else
				put_both(lm, mem, i, (uint32_t)b + 1);
		}
		commit_both(db, lm, mem, b, b % 4 == 3 || (b > 5 && b <= 11));
		if (b > 5 && b <= 11) {
			/* the plain update did it: no tree in memory (a block
			 * of 1 to 3 operations may change no leaf: deletes
			 * of absent keys) */
			cl_state_stats(lm, &s);
			CHECK(s.tree_bytes == 0);
			CHECK(ops <= 3 || s.dirty > 0);
		}
		if (b == 5) {
			/* blocks 6 to 11 (mostly deletes from 8 on) without
			 * the tree in memory: the plain update reads and
			 * writes the stored nodes over 64 leaves and
			 * computes the lower ones from the leaves */
			cl_state_tree_in_memory(lm, false);
		}
		if (b == 11 || b == 19) {
			/* a new writer rebuilds the tree from LMDB */
			cl_state_free(lm);
			CHECK(cl_state_new_lmdb(&lm, db) == 0);
		}
	}

	/* a discarded block leaves the tree as it was */
	for (uint32_t i = 0; i < 500; i++) {
		uint8_t key[8];

		key_of(key, i);
		cl_state_del(lm, CL_TABLE_ACCOUNTS, key, 8);
	}
	cl_state_discard(lm);
	put_both(lm, mem, 7, 999);
	commit_both(db, lm, mem, BLOCKS, true);

	/* emptying everything gives the zero root */
	for (uint32_t i = 0; i < KEYS; i++)
		if (present[i])
			del_both(lm, mem, i);
	CHECK(cl_state_commit_block(lm, &r1) == 0);
	CHECK(cl_state_commit_block(mem, &r2) == 0);
	for (int i = 0; i < 32; i++)
		CHECK(r1.b[i] == 0 && r2.b[i] == 0);
	cl_state_stats(lm, &s);
	CHECK(s.dirty > 0);
	CHECK(cl_state_recompute_root(lm, &r2) == 0);
	CHECK(memcmp(r1.b, r2.b, 32) == 0);

	/* and a tree grown again from empty */
	for (uint32_t i = 0; i < 5000; i++)
		put_both(lm, mem, i * 7 % KEYS, 1000);
	commit_both(db, lm, mem, BLOCKS + 1, true);

	cl_state_free(lm);
	cl_state_free(mem);
	cl_db_free(db);
	tmpdir_remove(dir);
}

int main(void)
{
	test_seed();
	test_blocks();
	return test_done("test_smt_top");
}
