/* SPDX-License-Identifier: MIT */
/*
 * The re-cut the L1 driver asks for when cuts wait (a backlog, or L1
 * discarded batches): the sequencer in process on a real LMDB with the
 * devnet genesis cuts many small batches, then cl_seq_recut() merges
 * them into as few as the size limit allows, at the old boundaries: the
 * merged cuts are contiguous, end at the head with its root, hold every
 * withdrawal's proof against the last root, leave no stale cut behind,
 * refuse a second merge that would change nothing, and survive a restart.
 */
#include "dev_keys.h"
#include "test.h"
#include "seq_wait.h"

#include <pthread.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>

#define USD 1000000ULL
#define NKEYS 3

static struct cl_seckey *key[NKEYS];
static struct cl_address addr[NKEYS];
static struct cl_seq *seq;
static struct cl_genesis genesis;
static struct cl_db *db;
static uint64_t deposit_id;

static struct cl_seq_result run(struct cl_tx *tx)
{
	struct seq_waiter w;
	return seq_run(seq, tx, &w);
}

static int deposit(int who, uint64_t amount)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_DEPOSIT;
	tx.u.deposit.id = deposit_id;
	tx.u.deposit.to = addr[who];
	tx.u.deposit.amount = amount;
	int rc = run(&tx).code;
	if (rc == 0)
		deposit_id++;
	return rc;
}

static struct cl_seq_result withdraw(int who, uint64_t amount, uint64_t nonce)
{
	struct cl_tx tx;
	struct cl_hash32 d;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_WITHDRAW;
	tx.u.withdraw.msg.trader = addr[who];
	tx.u.withdraw.msg.recipient = addr[who];
	tx.u.withdraw.msg.amount = amount;
	tx.u.withdraw.msg.nonce = nonce;
	cl_withdraw_digest(&d, cl_seq_domain(seq), &tx.u.withdraw.msg);
	CHECK(cl_sign_digest(&tx.u.withdraw.sig, key[who], &d) == CL_OK);
	return run(&tx);
}

static void open_seq(void)
{
	struct cl_seq_config cfg;
	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = 5;
	cfg.cut_interval_ms = 15;
	cfg.cut_max_bytes = 600; /* about three withdrawal blocks */
	CHECK(cl_seq_new(&seq, &cfg, db, &genesis) == CL_OK);
	CHECK(cl_seq_start(seq) == CL_OK);
}

/* Cuts from `from` while they exist (at most cap), into out. */
static size_t read_cuts(struct cl_batch_cut *out, size_t cap, uint64_t from)
{
	struct cl_snapshot *snap;
	size_t n = 0;
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	while (n < cap && cl_chain_get_cut(snap, &out[n], from + n) == CL_OK)
		n++;
	cl_snapshot_free(snap);
	return n;
}

/* Wait until every sealed block is cut (the timer cuts every 15 ms). */
static void wait_cut(void)
{
	struct cl_batch_cut c[256];
	for (int i = 0; i < 300; i++) {
		struct cl_seq_status st;
		cl_seq_status(seq, &st);
		size_t n = read_cuts(c, 256, 0);
		if (n && c[n - 1].last_block == st.head_block)
			return;
		usleep(10000);
	}
	CHECK_MSG(false, "the blocks were not cut");
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/clrecutXXXXXX";
	struct cl_batch_cut old[256], cut[256];

	CHECK(cl_crypto_init() == CL_OK);
	for (int i = 0; i < NKEYS; i++) {
		CHECK(dev_key(&key[i], (unsigned)i, "trader"));
		cl_seckey_address(&addr[i], key[i]);
	}
	seq_test_setup(argc, argv, &genesis, dir, &db);
	open_seq();

	/* cut 0: the deposits; then one withdrawal per cut */
	CHECK(deposit(1, 100000 * USD) == 0);
	CHECK(deposit(2, 100000 * USD) == 0);
	wait_cut();
	uint64_t wid0 = UINT64_MAX;
	for (uint64_t i = 0; i < 12; i++) {
		struct cl_seq_result r = withdraw(1 + (int)(i % 2), USD + i,
						  i / 2);
		CHECK_MSG(r.code == 0, "withdraw: %s", cl_stf_err_str(r.code));
		if (wid0 == UINT64_MAX)
			wid0 = r.withdrawal_id;
		wait_cut();
	}
	size_t n_old = read_cuts(old, 256, 0);
	CHECK_MSG(n_old >= 13, "%zu cuts", n_old);
	struct cl_seq_status st;
	cl_seq_status(seq, &st);

	/* merge from cut 1: fewer cuts, at least two at 600 bytes */
	uint64_t cuts = 0;
	CHECK(cl_seq_recut(seq, 1, &cuts) == CL_OK);
	printf("%zu cuts after cut 0 merged into %llu\n", n_old - 1,
	       (unsigned long long)cuts);
	CHECK(cuts >= 2 && cuts < n_old - 1);
	size_t n = read_cuts(cut, 256, 0);
	CHECK_MSG(n == 1 + cuts, "%zu cuts stored, %llu expected", n,
		  (unsigned long long)(1 + cuts));
	CHECK(memcmp(&cut[0], &old[0], sizeof(cut[0])) == 0);
	uint64_t next = old[1].first_block;
	size_t oi = 1;
	for (size_t i = 1; i < n; i++) {
		CHECK(cut[i].seq == i);
		CHECK(cut[i].first_block == next);
		CHECK(cut[i].last_block >= cut[i].first_block);
		/* it ends where an old cut ended (or at the head) */
		while (oi < n_old && old[oi].last_block < cut[i].last_block)
			oi++;
		bool boundary = cut[i].last_block == st.head_block ||
				(oi < n_old &&
				 old[oi].last_block == cut[i].last_block);
		CHECK(boundary);
		struct cl_hash32 root;
		CHECK(cl_seq_block_root(seq, &root, cut[i].last_block) ==
		      CL_OK);
		CHECK(cl_hash32_eq(&root, &cut[i].root));
		next = cut[i].last_block + 1;
	}
	CHECK(cut[n - 1].last_block == st.head_block);
	CHECK(cut[n - 1].deposits_consumed == 2);
	CHECK(cut[n - 1].wid_begin == old[1].wid_begin &&
	      cut[n - 1].wid_end == wid0 + 12);

	/* every withdrawal of the merged range: proven against the last */
	struct cl_snapshot *snap;
	struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	for (uint64_t w = wid0; w < wid0 + 12; w++) {
		uint64_t cs = UINT64_MAX;
		CHECK(cl_chain_get_withdrawal_proof(snap, &cs, proof, w) ==
		      CL_OK);
		CHECK(cs == cut[n - 1].seq);
		uint8_t wk[8], val[28];
		struct cl_hash32 wpath, vh;
		cl_put_be64(wk, w);
		cl_smt_path(&wpath, CL_TABLE_WITHDRAWALS, wk, 8);
		memcpy(val, addr[1 + (int)((w - wid0) % 2)].b, 20);
		cl_put_be64(val + 20, USD + (w - wid0));
		cl_smt_value_hash(&vh, val, 28);
		CHECK_MSG(cl_proof_verify_inclusion(proof, &cut[n - 1].root,
						    &wpath, &vh),
			  "withdrawal %llu", (unsigned long long)w);
	}
	cl_snapshot_free(snap);
	free(proof);

	/* nothing more to merge; no cut there */
	uint64_t again = 0;
	CHECK(cl_seq_recut(seq, 1, &again) == CL_ERR_NOT_FOUND);
	CHECK(again == cuts);
	CHECK(cl_seq_recut(seq, 1 + cuts, &again) == CL_ERR_NOT_FOUND);

	/* a restart goes on after the merged cuts */
	cl_seq_free(seq);
	open_seq();
	deposit_id = 2;
	CHECK(deposit(1, USD) == 0);
	wait_cut();
	n = read_cuts(cut, 256, 0);
	CHECK(n == 2 + cuts);
	CHECK(cut[n - 1].first_block == st.head_block + 1);
	CHECK(cut[n - 1].deposits_consumed == 3);

	cl_seq_free(seq);
	cl_db_free(db);
	test_rm_tree(dir);
	for (int i = 0; i < NKEYS; i++)
		cl_seckey_free(key[i]);
	return test_done("test_l1_recut");
}
