/* SPDX-License-Identifier: MIT */
/*
 * Replay speed next to the sequencer's throughput, in the same run. A
 * program, not a test.
 *
 * Phase 1 runs the real sequencer (cl_seq, LMDB in a temporary folder,
 * devnet genesis) on N pre-signed orders from 32 accounts — makers resting
 * around the mid, takers crossing — and measures orders/s, requests/s
 * and blocks/s. Between the phases (untimed) the blocks are cut into
 * batches the way the sequencer cuts them (at most cut_max_bytes of
 * transaction bytes, whole blocks) and encoded as the poster encodes them
 * (cl_chain_cut_blocks, cl_batch2_encode). Phase 2 does what
 * `clearlined --mode verifier` does with each batch once it has its
 * bytes from L1: keccak256 of the data, cl_batch2_decode under the
 * default limits (the next batch before the current one is replayed, as
 * the verifier reads ahead), cl_replay_blocks (the verifier's own code:
 * recovery on a helper thread ahead of the writer, into the next batch
 * during the last block and the close, every request through a fresh stf
 * on a second LMDB that matches it and derives the fills and closures as
 * the sequencer's stf did, one commit per block, every root compared),
 * then the batch's closing commit and one sync, with the verifier's sync
 * mode (CL_DB_SYNC_DATA). It prints both rates and their ratio (the
 * replay does the same matching work: the fills are not in the blocks).
 * What the verifier does besides is L1 traffic: reading logs and the
 * posting transaction, and each block's L1 reference once per L1 block.
 *
 * usage: bench_replay GENESIS [orders [block-ms [block-txs [every|data
 *                                                            [ckpt-ms]]]]]
 *   orders   default 50000
 *   block-ms the sequencer's block interval, default 20
 *   block-txs the most requests in a block, default the sequencer's
 *            (20 000); small values give many small blocks, where the
 *            commits weigh most
 *   every    replay with CL_DB_SYNC_EVERY (every commit fully synced)
 *            instead of the verifier's mode ("data"), to measure the
 *            difference
 *   ckpt-ms  both databases' state log checkpoint interval, as the
 *            nodes' --checkpoint-ms: default 1000; 0 no state log (an
 *            LMDB commit per block)
 */
#include <clearline/node.h>
#include <clearline/sequencer.h>
#include <clearline/verifier.h>

#include "../unit/verifier/replay_flow.h"

#include <ftw.h>
#include <pthread.h>
#include <sys/resource.h>
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

/* CPU time of the whole process (every thread), user and system. */
static uint64_t cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		   1000000000ull +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
		   1000ull;
}

struct replay_count {
	struct cl_state *st;
	struct cl_db *db;
	const struct cl_batch_cut *cuts;
	size_t i; /* the batch being replayed */
	uint64_t txs, blocks, faults, bad_roots;
	uint64_t commit_ns; /* the LMDB commits of the blocks (and syncs) */
	uint64_t sync_ns;   /* the syncs that end the batches */
};

static bool decode_batch(struct cl_batch2 *b, struct cl_replay_batch *rb,
			 const uint8_t *data, size_t len, size_t i,
			 const struct cl_batch_limits *lim)
{
	*rb = (struct cl_replay_batch){.b = b, .index = i};
	cl_keccak256(rb->data_hash.b, data, len);
	return cl_batch2_decode(b, data, len, lim) == CL_BATCH_OK;
}

/* The close, as the verifier's: the batch record in one commit, then
 * one sync. */
static int on_close(void *arg)
{
	struct replay_count *c = arg;
	const struct cl_batch_cut *cut = &c->cuts[c->i];
	struct cl_hash32 root;
	struct cl_chain_batch_record br = {
	    .first_block = cut->first_block,
	    .last_block = cut->last_block,
	    .root = cut->root,
	};
	cl_chain_put_batch_record(c->st, c->i, &br);
	cl_chain_del_partial(c->st);
	int rc = cl_state_commit_block(c->st, &root);
	if (rc)
		return rc;
	c->bad_roots += !cl_hash32_eq(&root, &cut->root);
	uint64_t s0 = cl_clock_mono_ns();
	rc = cl_db_sync(c->db);
	c->sync_ns += cl_clock_mono_ns() - s0;
	return rc;
}

static int on_fault(void *arg, const struct cl_replay_fault *f)
{
	struct replay_count *c = arg;
	c->faults++;
	fprintf(stderr, "block %llu: fault %d (code %d)\n",
		(unsigned long long)f->blk->number, (int)f->kind, f->code);
	return 1;
}

static void on_committed(void *arg, const struct cl_batch2_block *blk)
{
	struct replay_count *c = arg;
	struct cl_state_stats s;
	c->txs += blk->n_txs;
	c->blocks++;
	cl_state_stats(c->st, &s);
	c->commit_ns += s.sync_ns;
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
	uint64_t block_ms = argc > 3 ? strtoull(argv[3], NULL, 10) : 20;
	uint64_t block_txs = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
	bool sync_every = argc > 5 && strcmp(argv[5], "every") == 0;
	unsigned ckpt_ms = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10)
				    : 1000;
	struct counter k = {.done = 0};

	if (argc < 2) {
		fprintf(stderr,
			"usage: %s GENESIS [orders [block-ms [block-txs "
			"[every|data [ckpt-ms]]]]]\n",
			argv[0]);
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
	struct cl_db_config dc = {.path = dir_a, .map_size = 8ull << 30,
				  .checkpoint_ms = ckpt_ms};
	if (cl_db_new(&db, &dc))
		return 1;
	cl_seq_config_defaults(&sc);
	sc.block_interval_ms = block_ms;
	if (block_txs)
		sc.block_max_txs = block_txs;
	if (cl_seq_new(&seq, &sc, db, &g) || cl_seq_start(seq))
		return 1;
	const struct cl_eip712_domain *dom = cl_seq_domain(seq);
	size_t sent = 0;
	for (int i = 0; i < N_ACCTS; i++) {
		struct cl_tx tx;
		replay_flow_deposit(&tx, (uint64_t)i, &addrs[i]);
		submit(seq, &tx, &k);
		sent++;
	}
	{
		struct cl_tx tx;
		if (replay_flow_price(&tx, dom, oracle_keys,
				      cl_clock_now_ms() / 1000))
			return 1;
		submit(seq, &tx, &k);
		sent++;
	}
	wait_for(&k, sent);

	/* pre-sign: makers (even accounts) rest, takers (odd) cross */
	struct cl_tx *orders = cl_xcalloc(n_orders, sizeof(*orders));
	uint64_t expiry = cl_clock_now_ms() / 1000 + 3600;
	for (size_t i = 0; i < n_orders; i++)
		if (replay_flow_order(&orders[i], dom, i, N_ACCTS, addrs, keys,
				      expiry))
			return 1;
	struct cl_seq_status st0, st1;
	cl_seq_status(seq, &st0);
	uint64_t t0 = cl_clock_mono_ns(), c0 = cpu_ns();
	for (size_t i = 0; i < n_orders; i++) {
		submit(seq, &orders[i], &k);
		sent++;
	}
	wait_for(&k, sent);
	uint64_t seq_ns = cl_clock_mono_ns() - t0, seq_cpu = cpu_ns() - c0;
	cl_seq_status(seq, &st1);
	uint64_t seq_blocks = st1.head_block - st0.head_block;
	uint64_t seq_txs = st1.txs_sealed - st0.txs_sealed;
	uint64_t head = st1.head_block;
	cl_seq_stop(seq);

	/* ---- between the phases: cut and encode the batches ---- */
	struct cl_state *st;
	struct cl_db *db2;
	struct cl_db_config dc2 = {.path = dir_b, .map_size = 8ull << 30,
				   .checkpoint_ms = ckpt_ms};
	cl_seq_free(seq);
	/* one LMDB environment per process: read the blocks, then close */
	struct cl_snapshot *snap;
	if (cl_snapshot_new(&snap, db))
		return 1;
	struct cl_buf all;	    /* every batch's L1 data */
	size_t *bat_off = cl_xcalloc(head + 1, sizeof(size_t));
	size_t *bat_len = cl_xcalloc(head + 1, sizeof(size_t));
	struct cl_batch_cut *cuts = cl_xcalloc(head + 1, sizeof(*cuts));
	size_t n_batches = 0;
	cl_buf_init(&all);
	for (uint64_t first = 1; first <= head;) {
		/* whole blocks, at most cut_max_bytes of transaction bytes */
		uint64_t last = first, bytes = 0;
		for (uint64_t n = first; n <= head; n++) {
			struct cl_block_record rec;
			uint64_t rb = 0;
			if (cl_chain_get_block(snap, &rec, n))
				return 1;
			for (size_t i = 0; i < rec.n_txs; i++)
				rb += rec.tx_lens[i];
			cl_block_record_release(&rec);
			if (n > first && bytes + rb > sc.cut_max_bytes)
				break;
			bytes += rb;
			last = n;
		}
		struct cl_batch_cut *c = &cuts[n_batches];
		c->seq = n_batches;
		c->first_block = first;
		c->last_block = last;
		if (last == head) {
			if (cl_snapshot_root(snap, &c->root))
				return 1;
		} else {
			struct cl_block_record rec;
			if (cl_chain_get_block(snap, &rec, last + 1))
				return 1;
			c->root = rec.prev_root;
			cl_block_record_release(&rec);
		}
		struct cl_batch2 b2;
		if (cl_chain_cut_blocks(snap, &g, c, &b2))
			return 1;
		bat_off[n_batches] = all.len;
		if (cl_batch2_encode(&all, b2.blocks, b2.n_blocks) !=
		    CL_BATCH_OK)
			return 1;
		bat_len[n_batches] = all.len - bat_off[n_batches];
		cl_batch2_release(&b2);
		n_batches++;
		first = last + 1;
	}
	cl_snapshot_free(snap);
	cl_db_free(db);

	/* ---- phase 2: replay the batches as the verifier does ---- */
	if (cl_db_new(&db2, &dc2) ||
	    cl_db_set_sync(db2, sync_every ? CL_DB_SYNC_EVERY
					   : CL_DB_SYNC_DATA) ||
	    cl_state_new_lmdb(&st, db2))
		return 1;
	struct cl_stf *stf;
	if (cl_stf_new(&stf, st, &g) || cl_stf_genesis_init(stf) ||
	    cl_state_commit_block(st, NULL))
		return 1;
	struct cl_batch_limits lim;
	cl_batch_limits_default(&lim);
	struct replay_count cnt = {.st = st, .db = db2, .cuts = cuts};
	struct cl_replay r = {
	    .st = st,
	    .stf = stf,
	    .hooks = {.arg = &cnt,
		      .fault = on_fault,
		      .committed = on_committed,
		      .end = on_close},
	};
	uint64_t r0 = cl_clock_mono_ns(), rc0 = cpu_ns(), bad = 0;
	/* as the verifier: each batch read (keccak256 of its data checked
	 * by the verifier against the event) and decoded before the one
	 * before it is replayed, so the helper recovers it meanwhile */
	struct cl_batch2 bb[2];
	struct cl_replay_batch rb[2];
	if (n_batches &&
	    !decode_batch(&bb[0], &rb[0], all.p + bat_off[0], bat_len[0], 0,
			  &lim))
		return 1;
	for (size_t i = 0; i < n_batches; i++) {
		struct cl_replay_batch *now = &rb[i % 2], *nx = NULL;
		if (i + 1 < n_batches) {
			nx = &rb[(i + 1) % 2];
			if (!decode_batch(&bb[(i + 1) % 2], nx,
					  all.p + bat_off[i + 1],
					  bat_len[i + 1], i + 1, &lim))
				return 1;
		}
		cnt.i = i;
		int rc = cl_replay_blocks(&r, now, 0, nx);
		cl_batch2_release(now->b);
		if (rc < 0)
			return 1;
		if (rc > 0) {
			bad++;
			if (nx)
				cl_batch2_release(nx->b);
			break;
		}
	}
	uint64_t rep_ns = cl_clock_mono_ns() - r0, rep_cpu = cpu_ns() - rc0;
	uint64_t txs = cnt.txs, sync_ns = cnt.sync_ns;
	bad += cnt.faults + cnt.bad_roots;
	if (cnt.blocks != head)
		bad++;

	double ss = (double)seq_ns / 1e9, rs = (double)rep_ns / 1e9;
	printf("state log: %s\n", ckpt_ms ? "on (checkpoints on a thread of "
					     "their own)"
				   : "off (an LMDB commit per block)");
	printf("sequencer: %zu orders in %.2f s: %.0f orders/s, %.0f "
	       "requests/s (%llu requests), %.1f blocks/s (%llu blocks)\n",
	       n_orders, ss, (double)n_orders / ss, (double)seq_txs / ss,
	       (unsigned long long)seq_txs, (double)seq_blocks / ss,
	       (unsigned long long)seq_blocks);
	printf("replay:    %llu requests in %.2f s: %.0f requests/s, %.1f "
	       "blocks/s (%llu blocks from genesis in %zu batches, matching "
	       "included, recovery on a helper thread ahead of the writer; "
	       "sync %s: block commits %.0f ms, batch syncs %.0f ms in "
	       "all)\n",
	       (unsigned long long)txs, rs, (double)txs / rs,
	       (double)head / rs, (unsigned long long)head, n_batches,
	       sync_every ? "every commit" : "data per commit, full per batch",
	       (double)cnt.commit_ns / 1e6, (double)sync_ns / 1e6);
	printf("replay / sequencer, requests/s: %.2f; roots or requests that "
	       "differ: %llu\n",
	       ((double)txs / rs) / ((double)seq_txs / ss),
	       (unsigned long long)bad);
	printf("cpu per request (every thread): sequencer %.1f us, replay "
	       "%.1f us\n",
	       (double)seq_cpu / 1e3 / (double)seq_txs,
	       (double)rep_cpu / 1e3 / (double)txs);
	cl_stf_free(stf);
	cl_state_free(st);
	cl_db_free(db2);
	free(orders);
	free(bat_off);
	free(bat_len);
	free(cuts);
	cl_buf_release(&all);
	nftw(dir_a, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	nftw(dir_b, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return bad ? 1 : 0;
}
