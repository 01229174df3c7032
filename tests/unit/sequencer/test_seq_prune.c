/* SPDX-License-Identifier: MIT */
/*
 * Pruning of block records by the sequencer, on a real LMDB with the
 * devnet genesis: blocks of credits are sealed and cut into batches;
 * once the test says (as the L1 driver does) that batches are final,
 * the records of their blocks lose their requests a few per sealed
 * block, and only theirs: later blocks, the keep-blocks margin, an
 * archive node and a final count with no cut behind it keep theirs. The
 * roots stay readable, the metrics count the bytes dropped, the cursor
 * survives a restart, and a final batch cannot be made again.
 */
#include "test.h"
#include "seq_wait.h"

#include <pthread.h>
#include <unistd.h>

#include <clearline/chain.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>

static struct cl_genesis genesis;
static struct cl_db *db;
static struct cl_seq *seq;

/* One credit, waited for: each goes into a block of its own. */
static uint64_t credit(uint8_t who)
{
	struct cl_address to;
	struct seq_waiter w;

	memset(&to, who, sizeof(to));
	seq_waiter_init(&w);
	struct cl_seq_result r = seq_waiter_wait(&w,
		cl_seq_submit_credit(seq, &to, 1000, seq_waiter_done, &w));
	CHECK_MSG(r.code == 0, "credit: %d", r.code);
	return r.code == 0 ? r.block : 0;
}

static void open_seq(uint64_t keep, bool archive)
{
	struct cl_seq_config cfg;
	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = 2;
	cfg.cut_interval_ms = 1; /* a cut after every block */
	cfg.keep_blocks = keep;
	cfg.prune_per_block = 3;
	cfg.archive_blocks = archive;
	CHECK(cl_seq_new(&seq, &cfg, db, &genesis) == CL_OK);
	CHECK(cl_seq_start(seq) == CL_OK);
}

/* Is block n's record pruned (1), whole (0), or unreadable (-1)? */
static int pruned(uint64_t n)
{
	struct cl_snapshot *snap;
	struct cl_block_record rec;
	int out = -1;

	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	if (cl_chain_get_block(snap, &rec, n) == CL_OK) {
		out = rec.pruned;
		CHECK(rec.pruned || rec.n_txs <= 1);
		cl_block_record_release(&rec);
	}
	cl_snapshot_free(snap);
	return out;
}

/* The last block of cut `seq` (0 when there is none). */
static uint64_t cut_last(uint64_t c)
{
	struct cl_snapshot *snap;
	struct cl_batch_cut cut;

	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	int rc = cl_chain_get_cut(snap, &cut, c);
	cl_snapshot_free(snap);
	return rc == CL_OK ? cut.last_block : 0;
}

/* Seal blocks until block `n`'s record is pruned, at most `max`. */
static void seal_until_pruned(uint64_t n, int max)
{
	for (int i = 0; i < max && pruned(n) != 1; i++)
		credit(1);
}

static uint64_t head(void)
{
	struct cl_seq_status st;
	cl_seq_status(seq, &st);
	return st.head_block;
}

static void pruning(void)
{
	struct cl_hash32 before[64], r;

	open_seq(2, false);
	for (int i = 0; i < 24; i++)
		credit((uint8_t)(i + 1));
	/* a cut a block or a few: at least eight of them */
	uint64_t c3 = cut_last(3), c7 = cut_last(7);
	CHECK(c3 >= 4 && c7 > c3 && c7 < head());
	for (uint64_t n = 1; n <= head() && n < 64; n++)
		CHECK(cl_seq_block_root(seq, &before[n], n) == CL_OK);
	CHECK(pruned(1) == 0);
	uint64_t whole = 0; /* the records of blocks 1..c3, in bytes */
	struct cl_snapshot *snap;
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_blocks_bytes(snap, &whole, 1, c3) == CL_OK);
	cl_snapshot_free(snap);

	/* batches 0..3 are final: their blocks go, three a sealed block */
	cl_seq_set_final_batches(seq, 4);
	credit(1);
	CHECK(pruned(1) == 1 && pruned(3) == 1 && pruned(4) == 0);
	seal_until_pruned(c3, 10);
	CHECK(pruned(c3) == 1);
	/* ... and nothing after the last final batch, however many seal */
	for (int i = 0; i < 4; i++)
		credit(1);
	CHECK(pruned(c3 + 1) == 0);
	/* the metrics say so: each of these blocks held one credit */
	struct cl_seq_metrics m;
	cl_seq_metrics(seq, &m);
	CHECK(m.pruned_through == c3);
	CHECK_MSG(m.pruned_bytes == whole - c3 * CL_BLOCK_HEADER_LEN,
		  "%llu bytes pruned of %llu in %llu records",
		  (unsigned long long)m.pruned_bytes,
		  (unsigned long long)whole, (unsigned long long)c3);
	/* the roots read as before; a final batch cannot be made again */
	for (uint64_t n = 1; n <= c7; n++) {
		CHECK(cl_seq_block_root(seq, &r, n) == CL_OK);
		CHECK(cl_hash32_eq(&r, &before[n]));
	}
	struct cl_batch_cut cut;
	struct cl_batch2 b2;
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_cut(snap, &cut, 3) == CL_OK);
	CHECK(cl_chain_cut_blocks(snap, cl_seq_genesis(seq), &cut, &b2) ==
	      CL_ERR_PRUNED);
	CHECK(cl_chain_get_cut(snap, &cut, 4) == CL_OK);
	CHECK(cl_chain_cut_blocks(snap, cl_seq_genesis(seq), &cut, &b2) ==
	      CL_OK);
	cl_batch2_release(&b2);
	cl_snapshot_free(snap);

	/* a smaller count (a lagging L1 node) changes nothing */
	cl_seq_set_final_batches(seq, 2);
	for (int i = 0; i < 3; i++)
		credit(1);
	CHECK(pruned(c3) == 1 && pruned(c3 + 1) == 0);
	cl_seq_free(seq);
	/* the cursor is stored with the blocks */
	struct cl_state *st;
	uint64_t last = 0;
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	CHECK(cl_chain_load_pruned(st, &last) == CL_OK && last == c3);
	cl_state_free(st);

	/* a restart goes on from it: the next seal prunes c3 + 1 on */
	open_seq(2, false);
	CHECK(pruned(c3) == 1 && pruned(c3 + 1) == 0);
	cl_seq_metrics(seq, &m);
	CHECK(m.pruned_through == c3 && m.pruned_bytes == 0);
	cl_seq_set_final_batches(seq, 8);
	credit(1);
	CHECK(pruned(c3 + 1) == 1);
	seal_until_pruned(c7, 20);
	CHECK(pruned(c7) == 1 && pruned(c7 + 1) == 0);
	uint64_t h = head();
	/* a final count with no cut behind it here: nothing more goes */
	cl_seq_set_final_batches(seq, 100000);
	for (int i = 0; i < 4; i++)
		credit(1);
	CHECK(pruned(c7 + 1) == 0 && pruned(h) == 0);
	cl_seq_free(seq);

	/* keep-blocks: the newest blocks stay whole even when final */
	open_seq(1000, false);
	uint64_t c9 = cut_last(9);
	CHECK(c9 > c7);
	cl_seq_set_final_batches(seq, 10);
	for (int i = 0; i < 6; i++)
		credit(1);
	CHECK(pruned(c7 + 1) == 0);
	cl_seq_free(seq);

	/* an archive node keeps every request */
	open_seq(0, true);
	cl_seq_set_final_batches(seq, 10);
	for (int i = 0; i < 6; i++)
		credit(1);
	CHECK(pruned(c7 + 1) == 0 && pruned(c9) == 0);
	cl_seq_free(seq);

	/* keep-blocks 0 from here: the batches up to 9 go */
	open_seq(0, false);
	cl_seq_set_final_batches(seq, 10);
	seal_until_pruned(c9, 20);
	CHECK(pruned(c9) == 1 && pruned(c9 + 1) == 0);
	cl_seq_free(seq);
	seq = NULL;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/clpruneXXXXXX";

	seq_test_setup(argc, argv, &genesis, dir, &db);
	if (db)
		pruning();
	cl_db_free(db);
	test_rm_tree(dir);
	return test_done("seq_prune");
}
