/* SPDX-License-Identifier: MIT */
/*
 * The chain module's tables on a real LMDB in a temporary folder: block
 * records and the roots read back from them, their pruning to headers,
 * batch cuts and their
 * cursor, withdrawal proofs, and a deriving node's cursor, batch marker,
 * per-block roots and deposits; written through a state overlay,
 * committed, and read back through the writer's state and a snapshot.
 * Malformed stored values are refused, never half-read.
 */
#include "test.h"

#include <unistd.h>

#include <clearline/chain.h>

static struct cl_hash32 h32(uint8_t fill)
{
	struct cl_hash32 h;
	memset(h.b, fill, 32);
	return h;
}

static void commit(struct cl_state *st)
{
	struct cl_hash32 root;
	CHECK(cl_state_commit_block(st, &root) == CL_OK);
}

static void blocks(struct cl_db *db, struct cl_state *st)
{
	struct cl_snapshot *snap;
	struct cl_block_record rec;
	struct cl_hash32 root, head;
	struct cl_buf txs;

	/* block n holds n transactions of n + 1 bytes each */
	cl_buf_init(&txs);
	for (uint64_t n = 1; n <= 3; n++) {
		struct cl_block_header h = {.number = n,
					    .timestamp_ms = 1000 * n,
					    .prev_root = h32((uint8_t)n)};
		cl_buf_reset(&txs);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t tx[4] = {(uint8_t)n, (uint8_t)i, 7, 7};
			cl_buf_append_be32(&txs, (uint32_t)(n + 1));
			cl_buf_append(&txs, tx, (size_t)(n + 1));
		}
		cl_chain_put_block(st, &h, (size_t)n, txs.p, txs.len);
	}
	cl_buf_release(&txs);
	commit(st);

	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_block(snap, &rec, 3) == CL_OK);
	CHECK(rec.number == 3 && rec.timestamp_ms == 3000 && rec.n_txs == 3);
	CHECK(cl_hash32_eq(&rec.prev_root, &(struct cl_hash32){0}) == false);
	CHECK(rec.prev_root.b[0] == 3 && rec.prev_root.b[31] == 3);
	for (size_t i = 0; i < rec.n_txs; i++)
		CHECK(rec.tx_lens[i] == 4 && rec.txs[i][0] == 3 &&
		      rec.txs[i][1] == i);
	cl_block_record_release(&rec);
	CHECK(cl_chain_get_block(snap, &rec, 4) == CL_ERR_NOT_FOUND);

	/* the root after block 1 is block 2's previous root; the head's is
	 * the snapshot's */
	CHECK(cl_chain_root_from_blocks(snap, &root, 1) == CL_OK);
	CHECK(root.b[0] == 2 && root.b[31] == 2);
	CHECK(cl_chain_root_from_blocks(snap, &root, 3) == CL_OK);
	CHECK(cl_snapshot_root(snap, &head) == CL_OK);
	CHECK(cl_hash32_eq(&root, &head));
	cl_snapshot_free(snap);

	/* a record whose count promises more than it holds */
	uint8_t key[8], bad[8 + 32 + 4 + 4] = {0};
	cl_put_be64(key, 4);
	cl_put_be32(bad + 40, 1);
	cl_put_be32(bad + 44, 9);
	cl_state_put(st, CL_TABLE_BLOCKS, key, 8, bad, sizeof(bad));
	commit(st);
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_block(snap, &rec, 4) == CL_ERR_CORRUPT);
	CHECK(rec.txs == NULL && rec.n_txs == 0);
	cl_snapshot_free(snap);
}

/* Blocks 1..3 as blocks() left them: 1 and 2 lose their requests. */
static void pruning(struct cl_db *db, struct cl_state *st)
{
	static const struct cl_genesis g; /* no CANCEL is read */
	struct cl_snapshot *snap;
	struct cl_block_record rec;
	struct cl_batch2 b2;
	struct cl_hash32 root;
	uint64_t last;
	size_t dropped;

	/* no cursor yet: nothing pruned */
	CHECK(cl_chain_load_pruned(st, &last) == CL_OK && last == 0);
	CHECK(cl_chain_prune_block(st, 1, &dropped) == CL_OK);
	CHECK(dropped == 4 + 1 * (4 + 2)); /* the count and one request */
	CHECK(cl_chain_prune_block(st, 2, &dropped) == CL_OK);
	CHECK(dropped == 4 + 2 * (4 + 3));
	/* again, in the same overlay: nothing more to drop */
	CHECK(cl_chain_prune_block(st, 2, &dropped) == CL_OK && dropped == 0);
	CHECK(cl_chain_prune_block(st, 9, &dropped) == CL_ERR_NOT_FOUND);
	cl_chain_put_pruned(st, 2);
	commit(st);
	CHECK(cl_chain_load_pruned(st, &last) == CL_OK && last == 2);

	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_block(snap, &rec, 2) == CL_OK);
	CHECK(rec.pruned && rec.n_txs == 0 && rec.number == 2 &&
	      rec.timestamp_ms == 2000 && rec.prev_root.b[0] == 2 &&
	      rec.prev_root.b[31] == 2);
	cl_block_record_release(&rec);
	CHECK(cl_chain_get_block(snap, &rec, 3) == CL_OK);
	CHECK(!rec.pruned && rec.n_txs == 3);
	cl_block_record_release(&rec);
	/* the roots stay readable: after block 1 is block 2's prev_root */
	CHECK(cl_chain_root_from_blocks(snap, &root, 1) == CL_OK);
	CHECK(root.b[0] == 2 && root.b[31] == 2);
	/* a batch of a pruned block cannot be made again; one of block 3
	 * gets as far as its (made-up) requests */
	struct cl_batch_cut c = {.first_block = 1, .last_block = 3};
	CHECK(cl_chain_cut_blocks(snap, &g, &c, &b2) == CL_ERR_PRUNED);
	CHECK(b2.blocks == NULL && b2.n_blocks == 0);
	c.first_block = 3;
	CHECK(cl_chain_cut_blocks(snap, &g, &c, &b2) == CL_ERR_CORRUPT);
	cl_snapshot_free(snap);

	/* neither a whole record nor a header: refused, nothing written */
	uint8_t key[8], odd[CL_BLOCK_HEADER_LEN + 2] = {0};
	cl_put_be64(key, 5);
	cl_state_put(st, CL_TABLE_BLOCKS, key, 8, odd, sizeof(odd));
	commit(st);
	CHECK(cl_chain_prune_block(st, 5, &dropped) == CL_ERR_CORRUPT);
	CHECK(dropped == 0);
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_block(snap, &rec, 5) == CL_ERR_CORRUPT);
	cl_snapshot_free(snap);
	/* a cursor of the wrong size */
	static const uint8_t seven[7];
	cl_state_put(st, CL_TABLE_NODE, (const uint8_t *)"blocks-pruned", 13,
		     seven, sizeof(seven));
	CHECK(cl_chain_load_pruned(st, &last) == CL_ERR_CORRUPT);
	cl_state_discard(st);
	CHECK(cl_chain_load_pruned(st, &last) == CL_OK && last == 2);
}

static void cuts_and_proofs(struct cl_db *db, struct cl_state *st)
{
	struct cl_chain_cut_cursor cc;
	struct cl_snapshot *snap;
	struct cl_batch_cut c, got;

	/* a database without cuts starts at cut 0, block 1, withdrawal 0 */
	CHECK(cl_chain_load_cut_cursor(st, &cc) == CL_OK);
	CHECK(cc.seq == 0 && cc.first_block == 1 && cc.wid == 0);

	c = (struct cl_batch_cut){.seq = 0,
				  .first_block = 1,
				  .last_block = 3,
				  .root = h32(0xab),
				  .deposits_consumed = 2,
				  .wid_begin = 0,
				  .wid_end = 1};
	cl_chain_put_cut(st, &c);

	/* a real inclusion proof of a withdrawal, stored for batch 0 */
	uint8_t wk[8], val[28] = {0};
	cl_put_be64(wk, 0);
	cl_state_put(st, CL_TABLE_WITHDRAWALS, wk, 8, val, sizeof(val));
	commit(st);
	struct cl_proof *proof = cl_xcalloc(1, sizeof(*proof));
	struct cl_proof *back = cl_xcalloc(1, sizeof(*back));
	CHECK(cl_state_prove(st, proof, CL_TABLE_WITHDRAWALS, wk, 8) == CL_OK);
	cl_chain_put_withdrawal_proof(st, 0, proof, 0);
	commit(st);

	CHECK(cl_chain_load_cut_cursor(st, &cc) == CL_OK);
	CHECK(cc.seq == 1 && cc.first_block == 4 && cc.wid == 1);
	cl_state_discard(st);

	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_cut(snap, &got, 0) == CL_OK);
	CHECK(got.seq == 0 && got.first_block == 1 && got.last_block == 3 &&
	      cl_hash32_eq(&got.root, &c.root) && got.deposits_consumed == 2 &&
	      got.wid_begin == 0 && got.wid_end == 1);
	CHECK(cl_chain_get_cut(snap, &got, 1) == CL_ERR_NOT_FOUND);
	uint64_t batch = 99;
	CHECK(cl_chain_get_withdrawal_proof(snap, &batch, back, 0) == CL_OK);
	CHECK(batch == 0 && back->kind == proof->kind &&
	      back->depth == proof->depth);
	for (unsigned i = 0; i < proof->depth; i++)
		CHECK(cl_hash32_eq(&back->siblings[i], &proof->siblings[i]));
	CHECK(cl_chain_get_withdrawal_proof(snap, &batch, back, 1) ==
	      CL_ERR_NOT_FOUND);
	cl_snapshot_free(snap);
	free(proof);
	free(back);
}

struct seen {
	uint64_t ids[8];
	uint64_t amounts[8];
	size_t n;
	size_t stop_after;
};

static int on_deposit(void *ctx, uint64_t id, const struct cl_address *to,
		      uint64_t amount)
{
	struct seen *s = ctx;
	CHECK(to->b[0] == (uint8_t)id);
	if (s->n < 8) {
		s->ids[s->n] = id;
		s->amounts[s->n] = amount;
	}
	s->n++;
	return s->n == s->stop_after ? 77 : 0;
}

static void derivation(struct cl_db *db, struct cl_state *st)
{
	struct cl_chain_derive_cursor c, back;
	struct cl_hash32 h;
	uint64_t batch;

	/* fresh: zero cursor, no marker */
	CHECK(cl_chain_load_derive_cursor(st, &back) == CL_OK);
	CHECK(back.next_batch == 0 && back.last_block == 0 && back.txs == 0);
	CHECK(cl_chain_load_partial(st, &batch, &h) == CL_ERR_NOT_FOUND);

	c = (struct cl_chain_derive_cursor){.next_batch = 5,
					    .l1_block = 120,
					    .l1_log = 3,
					    .l1_hash = h32(0x11),
					    .last_block = 40,
					    .deposits_consumed = 6,
					    .wid_end = 2,
					    .txs = 1234};
	cl_chain_put_derive_cursor(st, &c);
	cl_chain_put_partial(st, 5, &(struct cl_hash32){.b = {0x22}});
	cl_chain_put_root(st, 40, &(struct cl_hash32){.b = {0x33}});
	for (uint64_t id = 5; id < 9; id++) {
		struct cl_address to = {.b = {(uint8_t)id}};
		cl_chain_put_deposit(st, id, &to, 1000 + id);
	}
	struct cl_chain_batch_record br = {.first_block = 31, .last_block = 40};
	cl_chain_put_batch_record(st, 4, &br);
	commit(st);

	CHECK(cl_chain_load_derive_cursor(st, &back) == CL_OK);
	CHECK(memcmp(&back, &c, sizeof(c)) == 0);
	CHECK(cl_chain_load_partial(st, &batch, &h) == CL_OK);
	CHECK(batch == 5 && h.b[0] == 0x22 && h.b[1] == 0);
	CHECK(cl_chain_load_root(st, &h, 40) == CL_OK && h.b[0] == 0x33);
	CHECK(cl_chain_load_root(st, &h, 39) == CL_ERR_NOT_FOUND);

	/* deposits from id 6 on, in order, and nothing of other keys */
	struct seen s = {.stop_after = 0};
	CHECK(cl_chain_load_deposits(st, 6, on_deposit, &s) == CL_OK);
	CHECK(s.n == 3 && s.ids[0] == 6 && s.ids[2] == 8 &&
	      s.amounts[1] == 1007);
	struct seen s2 = {.stop_after = 2};
	CHECK(cl_chain_load_deposits(st, 5, on_deposit, &s2) == 77);
	CHECK(s2.n == 2);

	cl_chain_del_partial(st);
	commit(st);
	CHECK(cl_chain_load_partial(st, &batch, &h) == CL_ERR_NOT_FOUND);
	cl_state_discard(st);

	struct cl_snapshot *snap;
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	CHECK(cl_chain_get_root(snap, &h, 40) == CL_OK && h.b[0] == 0x33);
	CHECK(cl_chain_get_root(snap, &h, 41) == CL_ERR_NOT_FOUND);
	cl_snapshot_free(snap);
}

int main(void)
{
	char dir[] = "/tmp/clchainXXXXXX";
	struct cl_db *db = NULL;
	struct cl_state *st = NULL;

	CHECK(mkdtemp(dir) != NULL);
	struct cl_db_config dbc = {.path = dir, .map_size = 64u << 20};
	CHECK(cl_db_new(&db, &dbc) == CL_OK);
	CHECK(db && cl_state_new_lmdb(&st, db) == CL_OK);
	if (st) {
		blocks(db, st);
		pruning(db, st);
		cuts_and_proofs(db, st);
		derivation(db, st);
	}
	cl_state_free(st);
	cl_db_free(db);
	test_rm_tree(dir);
	return test_done("test_chain");
}
