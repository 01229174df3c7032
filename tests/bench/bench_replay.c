/* SPDX-License-Identifier: MIT */
/*
 * Replay speed next to the sequencer's throughput, in the same run. A
 * program, not a test.
 *
 * Phase 1 runs the real sequencer (cl_seq, LMDB in a temporary folder,
 * devnet genesis) on N pre-signed orders from 32 accounts — makers resting
 * around the mid, takers crossing — and measures orders/s, requests/s
 * and blocks/s. Phase 2 does what a verifier does with the same blocks:
 * reads every block record, decodes and recovers every request, hands it
 * to a fresh stf on a second LMDB, which matches it and derives fills and
 * closures exactly as the sequencer's stf did, commits block by block,
 * and checks every root against the sequencer's. It prints both rates and
 * their ratio (the replay does the same matching work: the fills are not
 * in the blocks).
 *
 * usage: bench_replay GENESIS [orders]   (default 50000)
 */
#include <clearline/node.h>
#include <clearline/sequencer.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_ACCTS 32

static struct cl_seckey *keys[N_ACCTS], *oracle_keys[2];
static struct cl_address addrs[N_ACCTS];

struct counter {
	pthread_mutex_t m;
	pthread_cond_t c;
	size_t done, failed;
};

static void on_done(void *arg, const struct cl_seq_result *r)
{
	struct counter *k = arg;
	pthread_mutex_lock(&k->m);
	k->done++;
	k->failed += r->code != 0;
	pthread_cond_signal(&k->c);
	pthread_mutex_unlock(&k->m);
}

static void wait_for(struct counter *k, size_t n)
{
	pthread_mutex_lock(&k->m);
	while (k->done < n)
		pthread_cond_wait(&k->c, &k->m);
	pthread_mutex_unlock(&k->m);
}

static void submit(struct cl_seq *s, struct cl_tx *tx, struct counter *k)
{
	cl_tx_recover(tx, cl_seq_domain(s));
	while (cl_seq_submit(s, tx, on_done, k) == CL_ERR_BUSY)
		usleep(1000);
}

static int rm_entry(const char *p, const struct stat *sb, int f,
		    struct FTW *ftw)
{
	return remove(p);
}

int main(int argc, char **argv)
{
	struct cl_genesis g;
	char err[400], dir_a[] = "/tmp/clreplayXXXXXX",
			   dir_b[] = "/tmp/clreplayXXXXXX";
	size_t n_orders = argc > 2 ? strtoull(argv[2], NULL, 10) : 50000;
	struct counter k = {.done = 0};

	if (argc < 2) {
		fprintf(stderr, "usage: %s GENESIS [orders]\n", argv[0]);
		return 2;
	}
	cl_log_min_level = CL_LOG_UNUSUAL;
	if (cl_crypto_init() || cl_genesis_load(&g, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	static const char *const ok7 =
		"0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";
	static const char *const ok8 =
		"0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
	if (!cl_seckey_new_from_hex(&oracle_keys[0], ok7, strlen(ok7)) ||
	    !cl_seckey_new_from_hex(&oracle_keys[1], ok8, strlen(ok8)))
		return 1;
	for (int i = 0; i < N_ACCTS; i++) {
		keys[i] = cl_seckey_new();
		cl_seckey_address(&addrs[i], keys[i]);
	}
	pthread_mutex_init(&k.m, NULL);
	pthread_cond_init(&k.c, NULL);

	/* ---- phase 1: the sequencer ---- */
	struct cl_db *db;
	struct cl_seq *seq;
	struct cl_seq_config sc;
	if (!mkdtemp(dir_a) || !mkdtemp(dir_b))
		return 1;
	struct cl_db_config dc = {.path = dir_a, .map_size = 8ull << 30};
	if (cl_db_new(&db, &dc))
		return 1;
	cl_seq_config_defaults(&sc);
	sc.block_interval_ms = 20;
	if (cl_seq_new(&seq, &sc, db, &g) || cl_seq_start(seq))
		return 1;
	const struct cl_eip712_domain *dom = cl_seq_domain(seq);
	size_t sent = 0;
	for (int i = 0; i < N_ACCTS; i++) {
		struct cl_tx tx;
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_DEPOSIT;
		tx.u.deposit.id = (uint64_t)i;
		tx.u.deposit.to = addrs[i];
		tx.u.deposit.amount = 10000000ull * 1000000ull;
		submit(seq, &tx, &k);
		sent++;
	}
	{
		struct cl_tx tx;
		struct cl_hash32 d;
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_ORACLE_PRICE;
		tx.u.oracle.msg.market = 1;
		tx.u.oracle.msg.price = 650000;
		tx.u.oracle.msg.timestamp = cl_clock_now_ms() / 1000;
		cl_oracle_price_digest(&d, dom, &tx.u.oracle.msg);
		tx.u.oracle.n_sigs = 2;
		if (cl_sign_digest(&tx.u.oracle.sigs[0], oracle_keys[0], &d) ||
		    cl_sign_digest(&tx.u.oracle.sigs[1], oracle_keys[1], &d))
			return 1;
		submit(seq, &tx, &k);
		sent++;
	}
	wait_for(&k, sent);

	/* pre-sign: makers (even accounts) rest, takers (odd) cross */
	struct cl_tx *orders = cl_xcalloc(n_orders, sizeof(*orders));
	uint64_t mid = 650000, expiry = cl_clock_now_ms() / 1000 + 3600;
	for (size_t i = 0; i < n_orders; i++) {
		struct cl_tx *tx = &orders[i];
		struct cl_hash32 d;
		int who = (int)(i % N_ACCTS);
		bool maker = (i / N_ACCTS) % 3 != 2 && who % 2 == 0;
		tx->type = CL_TX_PLACE_ORDER;
		struct cl_order *o = &tx->u.place.order;
		o->trader = addrs[who];
		o->market = 1;
		o->is_buy = (i / 7) % 2;
		o->price = maker ? (o->is_buy ? mid - 1 - i % 20 : mid + 1 + i % 20)
				 : (o->is_buy ? mid + 30 : mid - 30);
		o->size = 1 + i % 50;
		o->nonce = i + 1;
		o->expiry = expiry;
		o->flags = maker ? 0 : 1u << 2; /* takers are IOC */
		cl_order_digest(&d, dom, o);
		if (cl_sign_digest(&tx->u.place.sig, keys[who], &d))
			return 1;
	}
	struct cl_seq_status st0, st1;
	cl_seq_status(seq, &st0);
	uint64_t t0 = cl_clock_mono_ns();
	for (size_t i = 0; i < n_orders; i++) {
		submit(seq, &orders[i], &k);
		sent++;
	}
	wait_for(&k, sent);
	uint64_t seq_ns = cl_clock_mono_ns() - t0;
	cl_seq_status(seq, &st1);
	uint64_t seq_blocks = st1.head_block - st0.head_block;
	uint64_t seq_txs = st1.txs_sealed - st0.txs_sealed;
	uint64_t head = st1.head_block;
	cl_seq_stop(seq);

	/* ---- phase 2: replay from the block records ---- */
	struct cl_state *st;
	struct cl_db *db2;
	struct cl_db_config dc2 = {.path = dir_b, .map_size = 8ull << 30};
	cl_seq_free(seq);
	/* one LMDB environment per process: read the records, then close */
	struct cl_snapshot *snap;
	if (cl_snapshot_new(&snap, db))
		return 1;
	struct cl_buf all;
	size_t *rec_off = cl_xcalloc(head + 1, sizeof(size_t));
	size_t *rec_len = cl_xcalloc(head + 1, sizeof(size_t));
	struct cl_hash32 *roots = cl_xcalloc(head + 2, sizeof(*roots));
	cl_buf_init(&all);
	for (uint64_t n = 1; n <= head; n++) {
		uint8_t key[8];
		const uint8_t *v;
		size_t vl;
		cl_put_be64(key, n);
		if (cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8))
			return 1;
		rec_off[n] = all.len;
		rec_len[n] = vl;
		cl_buf_append(&all, v, vl);
		memcpy(roots[n - 1].b, v + 8, 32); /* root after block n - 1 */
	}
	if (cl_snapshot_root(snap, &roots[head]))
		return 1;
	cl_snapshot_free(snap);
	cl_db_free(db);

	if (cl_db_new(&db2, &dc2) || cl_state_new_lmdb(&st, db2))
		return 1;
	struct cl_stf *stf;
	if (cl_stf_new(&stf, st, &g) || cl_stf_genesis_init(stf) ||
	    cl_state_commit_block(st, NULL))
		return 1;
	uint64_t r0 = cl_clock_mono_ns(), txs = 0, bad = 0;
	for (uint64_t n = 1; n <= head; n++) {
		struct cl_block_record rec;
		if (!cl_block_record_parse(&rec, n, all.p + rec_off[n],
					   rec_len[n]))
			return 1;
		struct cl_block_header h = {.number = n,
					    .timestamp_ms = rec.timestamp_ms,
					    .prev_root = rec.prev_root,
					    .l1 = rec.l1};
		if (cl_stf_open_block(stf, &h))
			return 1;
		for (size_t i = 0; i < rec.n_txs; i++) {
			struct cl_tx tx;
			if (!cl_tx_decode(&tx, rec.txs[i], rec.tx_lens[i]))
				return 1;
			cl_tx_recover(&tx, cl_stf_domain(stf));
			bad += cl_stf_request(stf, NULL, &tx) != CL_STF_OK;
			txs++;
		}
		cl_stf_end_block(stf);
		struct cl_hash32 root;
		if (cl_state_commit_block(st, &root))
			return 1;
		bad += !cl_hash32_eq(&root, &roots[n]);
		cl_block_record_release(&rec);
	}
	uint64_t rep_ns = cl_clock_mono_ns() - r0;

	double ss = (double)seq_ns / 1e9, rs = (double)rep_ns / 1e9;
	printf("sequencer: %zu orders in %.2f s: %.0f orders/s, %.0f "
	       "requests/s (%llu requests), %.1f blocks/s (%llu blocks)\n",
	       n_orders, ss, (double)n_orders / ss, (double)seq_txs / ss,
	       (unsigned long long)seq_txs, (double)seq_blocks / ss,
	       (unsigned long long)seq_blocks);
	printf("replay:    %llu requests in %.2f s: %.0f requests/s, %.1f "
	       "blocks/s (%llu blocks from genesis, matching included, "
	       "recovery on 1 thread)\n",
	       (unsigned long long)txs, rs, (double)txs / rs,
	       (double)head / rs, (unsigned long long)head);
	printf("replay / sequencer, requests/s: %.2f; roots or requests that "
	       "differ: %llu\n",
	       ((double)txs / rs) / ((double)seq_txs / ss),
	       (unsigned long long)bad);
	cl_stf_free(stf);
	cl_state_free(st);
	cl_db_free(db2);
	free(orders);
	free(rec_off);
	free(rec_len);
	free(roots);
	cl_buf_release(&all);
	nftw(dir_a, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	nftw(dir_b, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return bad ? 1 : 0;
}
