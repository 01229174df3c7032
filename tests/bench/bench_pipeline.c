/* SPDX-License-Identifier: MIT */
/*
 * The whole write path in one process (a program, not a test): pre-signed
 * orders and cancels go through cl_tx_recover() on ingress threads and
 * cl_seq_submit(), then the sequencer's writer matches them, applies them
 * through the stf and seals blocks into LMDB (synced, in a temporary
 * folder) with their state roots. It prints orders/s and blocks/s next to
 * the signature recovery rate measured in the same process, on 1 and 2
 * threads, and the ratio of the two.
 *
 * Set-up per run: a fresh database with the devnet genesis, 50 accounts
 * credited by DEPOSIT transactions, and one BTC-PERP oracle price signed by
 * anvil's accounts 7 and 8 (two of the three oracle signers). The traders
 * are anvil's ten dev keys plus forty keys derived from a fixed seed.
 *
 * The order flow is generated once from a fixed seed: 55% makers resting
 * 1..50 ticks from the mid price (a fifth of them post-only), 35% takers
 * crossing 5..24 ticks past the mid (70% IOC, 10% FOK, 20% GTC) and 10%
 * cancels of a maker the same trader placed earlier. Each ingress thread
 * owns a fixed set of traders, so a trader's messages keep their order,
 * as they would on one client connection.
 *
 * Three modes per round, each on a fresh database:
 *   ingress 1   one thread recovers and submits everything
 *   ingress 2   two threads, each half of the traders
 *   writer only signatures recovered beforehand (the writer's ceiling)
 *
 * Usage (from the project root):
 *   bench_pipeline [-n orders] [-r rounds] [-g genesis.json]
 *                  [-b block-interval-ms] [-m block-max-txs] [-q queue-max]
 *                  [-M modes]   (modes: a list of 1, 2, 0; 0 = writer only)
 * Defaults: 200000 orders, 2 rounds, genesis/devnet.json, blocks of
 * 100 ms or 5000 transactions, a queue of 65536 (docs/performance.md
 * says why not the node's 20000 transactions).
 */
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>

#include "../unit/dev_keys.h"
#include "order_mix.h"

#define N_ACCOUNTS 50
#define MARKET 1
#define MID 650000ULL /* $65,000.0 with one price decimal */
#define CREDIT 10000000000000ULL /* $10M in 6-decimal atoms */
#define RECOVER_SAMPLE 20000


static struct cl_seckey *keys[N_ACCOUNTS];
static struct cl_address addrs[N_ACCOUNTS];
static struct cl_genesis genesis;
static struct cl_eip712_domain domain;

/* One pre-signed message, kept small (a struct cl_tx is 1.5 KiB). */
struct msg {
	bool is_cancel;
	uint8_t trader;
	union {
		struct cl_order order;
		struct cl_cancel cancel;
	} u;
	struct cl_sig sig;
};

static struct msg *msgs;
static size_t n_msgs;
static struct cl_tx_auth *auths; /* for the writer-only mode */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x6a09e667f3bcc909ULL;

static uint64_t rnd(uint64_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_pipeline: %s: %s\n", what, cl_stf_err_str(rc));
	exit(1);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void build_tx(struct cl_tx *tx, const struct msg *m)
{
	memset(tx, 0, sizeof(*tx));
	if (m->is_cancel) {
		tx->type = CL_TX_CANCEL;
		tx->u.cancel.msg = m->u.cancel;
		tx->u.cancel.sig = m->sig;
	} else {
		tx->type = CL_TX_PLACE_ORDER;
		tx->u.place.order = m->u.order;
		tx->u.place.sig = m->sig;
	}
}

static void load_keys(void)
{
	for (unsigned i = 0; i < N_ACCOUNTS; i++) {
		if (!dev_key(&keys[i], i, "clearline bench account")) {
			fprintf(stderr, "bench_pipeline: bad key %u\n", i);
			exit(1);
		}
		cl_seckey_address(&addrs[i], keys[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The order flow                                                      */
/* ------------------------------------------------------------------ */

struct hash_list {
	struct cl_hash32 *h;
	size_t n, cap;
};

static void generate(size_t n, uint64_t expiry)
{
	const struct cl_market_params *mp = cl_genesis_market(&genesis, MARKET);
	struct hash_list makers[N_ACCOUNTS];
	uint64_t tick = mp->tick_size, step = mp->step_size;

	memset(makers, 0, sizeof(makers));
	msgs = cl_xcalloc(n, sizeof(*msgs));
	n_msgs = n;
	for (size_t i = 0; i < n; i++) {
		struct msg *m = &msgs[i];
		uint64_t r = rnd(100);
		unsigned t = (unsigned)rnd(N_ACCOUNTS);
		struct cl_order *o = &m->u.order;

		m->trader = (uint8_t)t;
		if (r >= 90 && makers[t].n > 0) {
			struct hash_list *l = &makers[t];
			size_t k = (size_t)rnd(l->n);

			m->is_cancel = true;
			m->u.cancel.trader = addrs[t];
			m->u.cancel.order_hash = l->h[k];
			l->h[k] = l->h[--l->n];
			continue;
		}
		o->trader = addrs[t];
		o->market = MARKET;
		o->is_buy = rnd(2) == 0;
		o->nonce = i;
		o->expiry = expiry;
		order_mix(o, r, rnd, MID, tick, step);
		if (o->flags == 0 || o->flags == CL_ORDER_POST_ONLY) {
			struct hash_list *l = &makers[t];
			struct cl_hash32 h;

			cl_order_digest(&h, &domain, o);
			if (l->n == l->cap) {
				l->cap = l->cap ? 2 * l->cap : 256;
				l->h = cl_xrealloc(l->h, l->cap * sizeof(*l->h));
			}
			l->h[l->n++] = h;
		}
	}
	for (int t = 0; t < N_ACCOUNTS; t++)
		free(makers[t].h);
}

/* Sign (or recover) a share of the messages on several threads. */
struct job {
	size_t from, to, stride;
	int what; /* 0 sign, 1 recover (rate), 2 recover into auths */
	uint64_t failed;
	pthread_t th;
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct cl_tx tx;

	for (size_t i = j->from; i < j->to; i += j->stride) {
		struct msg *m = &msgs[i];
		struct cl_hash32 d;

		if (j->what == 0) {
			if (m->is_cancel)
				cl_cancel_digest(&d, &domain, &m->u.cancel);
			else
				cl_order_digest(&d, &domain, &m->u.order);
			if (cl_sign_digest(&m->sig, keys[m->trader], &d))
				j->failed++;
			continue;
		}
		build_tx(&tx, m);
		cl_tx_recover(&tx, &domain);
		if (tx.auth.err[0] != CL_SIG_OK ||
		    !cl_address_eq(&tx.auth.signer[0], &addrs[m->trader]))
			j->failed++;
		if (j->what == 2)
			auths[i] = tx.auth;
	}
	return NULL;
}

/* Items per second of `what` over [0, n) on `threads` threads. */
static double run_jobs(int what, size_t n, int threads)
{
	struct job j[2];
	uint64_t t0 = cl_clock_mono_ns();

	for (int t = 0; t < threads; t++) {
		j[t] = (struct job){.from = (size_t)t, .to = n,
				    .stride = (size_t)threads, .what = what};
		if (pthread_create(&j[t].th, NULL, job_main, &j[t])) {
			fprintf(stderr, "bench_pipeline: no thread\n");
			exit(1);
		}
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(j[t].th, NULL);
		if (j[t].failed) {
			fprintf(stderr, "bench_pipeline: %" PRIu64
				" signatures failed\n", j[t].failed);
			exit(1);
		}
	}
	return (double)n / secs(cl_clock_mono_ns() - t0);
}

/* ------------------------------------------------------------------ */
/* Answers from the sequencer                                          */
/* ------------------------------------------------------------------ */

#define CODE_SLOTS 128

struct tally {
	pthread_mutex_t m;
	pthread_cond_t c;
	uint64_t expected;
	_Atomic uint64_t answered;
	_Atomic uint64_t accepted;
	_Atomic uint64_t fills;
	_Atomic uint64_t status[5];
	_Atomic uint64_t codes[CODE_SLOTS];
	uint64_t last_ns;
	bool all;
};

static void on_answer(void *arg, const struct cl_seq_result *r)
{
	struct tally *t = arg;

	if (r->code == 0) {
		atomic_fetch_add(&t->accepted, 1);
		atomic_fetch_add(&t->fills, r->n_fills);
		if (r->status >= 1 && r->status <= 4)
			atomic_fetch_add(&t->status[r->status], 1);
	} else {
		int c = r->code > 0 && r->code < CODE_SLOTS ? r->code : 0;
		atomic_fetch_add(&t->codes[c], 1);
	}
	if (atomic_fetch_add(&t->answered, 1) + 1 == t->expected) {
		pthread_mutex_lock(&t->m);
		t->last_ns = cl_clock_mono_ns();
		t->all = true;
		pthread_cond_signal(&t->c);
		pthread_mutex_unlock(&t->m);
	}
}

static void tally_init(struct tally *t, uint64_t expected)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->c, NULL);
	t->expected = expected;
}

static void tally_wait(struct tally *t)
{
	pthread_mutex_lock(&t->m);
	while (!t->all)
		pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
	pthread_mutex_destroy(&t->m);
	pthread_cond_destroy(&t->c);
}

static void submit_retry(struct cl_seq *s, const struct cl_tx *tx,
			 struct tally *t, uint64_t *busy)
{
	for (;;) {
		int rc = cl_seq_submit(s, tx, on_answer, t);

		if (rc == CL_OK)
			return;
		if (rc != CL_ERR_BUSY)
			die("submit", rc);
		/* a full queue: back off as a client told "busy" would */
		struct timespec ts = {0, 100000};

		(*busy)++;
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* One run                                                             */
/* ------------------------------------------------------------------ */

struct ingress {
	struct cl_seq *seq;
	struct tally *tally;
	int index, threads; /* threads 0: recovered beforehand */
	uint64_t busy;
	uint64_t done_ns;
	pthread_t th;
};

static void *ingress_main(void *arg)
{
	struct ingress *in = arg;
	int share = in->threads ? in->threads : 1;
	struct cl_tx tx;

	for (size_t i = 0; i < n_msgs; i++) {
		const struct msg *m = &msgs[i];

		if (m->trader % share != in->index)
			continue;
		build_tx(&tx, m);
		if (in->threads)
			cl_tx_recover(&tx, cl_seq_domain(in->seq));
		else
			tx.auth = auths[i];
		submit_retry(in->seq, &tx, in->tally, &in->busy);
	}
	in->done_ns = cl_clock_mono_ns();
	return NULL;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Credit every account and post an oracle price; waits for both. */
static void set_up(struct cl_seq *s)
{
	struct cl_stf_view v;
	struct cl_stf_globals g;
	struct tally t;
	struct cl_tx tx;
	struct cl_hash32 d;
	uint64_t busy = 0;
	int rc;

	rc = cl_seq_view(s, &v);
	if (!rc)
		rc = cl_stf_get_globals(&v, &g);
	cl_seq_view_release(&v);
	if (rc)
		die("globals", rc);

	tally_init(&t, N_ACCOUNTS);
	for (int i = 0; i < N_ACCOUNTS; i++) {
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_DEPOSIT;
		tx.u.deposit.id = g.next_deposit_id + (uint64_t)i;
		tx.u.deposit.to = addrs[i];
		tx.u.deposit.amount = CREDIT;
		cl_tx_recover(&tx, cl_seq_domain(s));
		submit_retry(s, &tx, &t, &busy);
	}
	tally_wait(&t);
	if (t.accepted != N_ACCOUNTS)
		die("deposits", CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = MARKET;
	tx.u.oracle.msg.price = MID;
	tx.u.oracle.msg.timestamp = cl_clock_now_ms() / 1000;
	cl_oracle_price_digest(&d, cl_seq_domain(s), &tx.u.oracle.msg);
	tx.u.oracle.n_sigs = 2;
	if (cl_sign_digest(&tx.u.oracle.sigs[0], keys[7], &d) ||
	    cl_sign_digest(&tx.u.oracle.sigs[1], keys[8], &d))
		die("oracle signature", CL_ERR_CRYPTO);
	cl_tx_recover(&tx, cl_seq_domain(s));
	tally_init(&t, 1);
	submit_retry(s, &tx, &t, &busy);
	tally_wait(&t);
	if (t.accepted != 1) {
		for (int c = 0; c < CODE_SLOTS; c++)
			if (t.codes[c])
				die("oracle price", c);
	}
}

struct run_result {
	double orders_s, blocks_s, sealed_s, submit_s;
	uint64_t blocks, sealed, busy;
};

static struct run_result run(const struct cl_seq_config *cfg, int threads,
			     bool verbose)
{
	const char *base = getenv("TMPDIR");
	char dir[4096];
	struct cl_db_config dbc = {.map_size = 32ull << 30};
	struct cl_db *db;
	struct cl_seq *seq;
	struct cl_seq_status s0, s1;
	struct ingress in[2];
	struct tally t;
	struct run_result res;
	int n_in = threads ? threads : 1;
	int rc;

	snprintf(dir, sizeof(dir), "%s/clearline-bench-XXXXXX",
		 base && base[0] ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	dbc.path = dir;
	rc = cl_db_new(&db, &dbc);
	if (rc)
		die("open", rc);
	rc = cl_seq_new(&seq, cfg, db, &genesis);
	if (rc)
		die("sequencer", rc);
	rc = cl_seq_start(seq);
	if (rc)
		die("start", rc);
	set_up(seq);
	cl_seq_status(seq, &s0);

	tally_init(&t, n_msgs);
	uint64_t t0 = cl_clock_mono_ns();
	for (int i = 0; i < n_in; i++) {
		in[i] = (struct ingress){.seq = seq, .tally = &t, .index = i,
					 .threads = threads};
		if (pthread_create(&in[i].th, NULL, ingress_main, &in[i])) {
			fprintf(stderr, "bench_pipeline: no thread\n");
			exit(1);
		}
	}
	uint64_t submitted = 0;
	memset(&res, 0, sizeof(res));
	for (int i = 0; i < n_in; i++) {
		pthread_join(in[i].th, NULL);
		if (in[i].done_ns - t0 > submitted)
			submitted = in[i].done_ns - t0;
		res.busy += in[i].busy;
	}
	tally_wait(&t);
	double el = secs(t.last_ns - t0);

	cl_seq_status(seq, &s1);
	res.blocks = s1.head_block - s0.head_block;
	res.sealed = s1.txs_sealed - s0.txs_sealed;
	res.orders_s = (double)n_msgs / el;
	res.blocks_s = (double)res.blocks / el;
	res.sealed_s = (double)res.sealed / el;
	res.submit_s = (double)n_msgs / secs(submitted);

	if (verbose) {
		char root[67];
		uint64_t rejected = t.answered - t.accepted;

		cl_hex_encode(root, s1.head_root.b, 32, true);
		printf("    %" PRIu64 " accepted (open %" PRIu64
		       ", filled %" PRIu64 ", cancelled %" PRIu64
		       ", closed %" PRIu64 "), %" PRIu64 " fills, %" PRIu64
		       " rejected:",
		       (uint64_t)t.accepted, (uint64_t)t.status[1],
		       (uint64_t)t.status[2], (uint64_t)t.status[3],
		       (uint64_t)t.status[4], (uint64_t)t.fills, rejected);
		for (int c = 0; c < CODE_SLOTS; c++)
			if (t.codes[c])
				printf(" %" PRIu64 " %s", (uint64_t)t.codes[c],
				       cl_seq_err_str(c));
		printf("\n    head block %" PRIu64 ", root %.18s...\n",
		       s1.head_block, root);
	}
	cl_seq_free(seq);
	cl_db_free(db);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return res;
}

static void print_run(const char *label, const struct run_result *r,
		      double recover)
{
	printf("  %-11s %8.0f orders/s %6.1f blocks/s %8.0f txs/block "
	       "%8.0f sealed txs/s | submitted at %8.0f/s, %8" PRIu64
	       " busy retries",
	       label, r->orders_s, r->blocks_s,
	       r->blocks ? (double)r->sealed / (double)r->blocks : 0.0,
	       r->sealed_s, r->submit_s, r->busy);
	if (recover > 0)
		printf(" | %.2f of recovery", r->orders_s / recover);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *gpath = "genesis/devnet.json";
	uint64_t n = 200000, rounds = 2;
	const char *modes = "1,2,0";
	struct cl_seq_config cfg;
	char err[512];
	int c;

	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = 100;
	/* not the node's 20000: a block record is one state value, capped
	 * at CL_STATE_VALUE_MAX (1 MiB), about 9000 order transactions */
	cfg.block_max_txs = 5000;
	cfg.queue_max = 65536;
	while ((c = getopt(argc, argv, "n:r:g:b:m:q:M:")) != -1) {
		uint64_t *dst = NULL;

		switch (c) {
		case 'n': dst = &n; break;
		case 'r': dst = &rounds; break;
		case 'b': dst = &cfg.block_interval_ms; break;
		case 'm': dst = &cfg.block_max_txs; break;
		case 'q': dst = &cfg.queue_max; break;
		case 'g': gpath = optarg; continue;
		case 'M': modes = optarg; continue;
		default:
			fprintf(stderr, "usage: bench_pipeline [-n orders] "
				"[-r rounds] [-g genesis] [-b block-ms] "
				"[-m block-max-txs] [-q queue-max] "
				"[-M 1,2,0]\n");
			return 2;
		}
		if (!cl_parse_u64(dst, optarg, strlen(optarg)) || *dst == 0) {
			fprintf(stderr, "bench_pipeline: -%c: expected a "
				"positive number\n", c);
			return 2;
		}
	}
	if (n < 100)
		n = 100;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cl_log_min_level = CL_LOG_UNUSUAL;
	if (cl_crypto_init() != CL_OK)
		return 1;
	if (cl_genesis_load(&genesis, gpath, err, sizeof(err)) != CL_OK) {
		fprintf(stderr, "bench_pipeline: %s: %s\n", gpath, err);
		return 1;
	}
	if (!cl_genesis_market(&genesis, MARKET)) {
		fprintf(stderr, "bench_pipeline: no market %d\n", MARKET);
		return 1;
	}
	cl_eip712_domain_init(&domain, genesis.l1_chain_id, &genesis.rollup);
	load_keys();

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("pipeline benchmark: %" PRIu64 " messages, %d accounts, "
	       "%ld cpus, blocks every %" PRIu64 " ms or %" PRIu64
	       " txs, queue %" PRIu64 "\n",
	       n, N_ACCOUNTS, cpus, cfg.block_interval_ms, cfg.block_max_txs,
	       cfg.queue_max);
	generate((size_t)n, cl_clock_now_ms() / 1000 + 86400);
	size_t cancels = 0;
	for (size_t i = 0; i < n_msgs; i++)
		cancels += msgs[i].is_cancel;
	printf("flow: %zu orders, %zu cancels\n", n_msgs - cancels, cancels);
	double sign = run_jobs(0, n_msgs, 2);
	printf("pre-signed at %.0f/s on 2 threads\n", sign);
	auths = cl_xcalloc(n_msgs, sizeof(*auths));
	run_jobs(2, n_msgs, 2);

	size_t sample = n_msgs < RECOVER_SAMPLE ? n_msgs : RECOVER_SAMPLE;
	for (uint64_t r = 0; r < rounds; r++) {
		printf("round %" PRIu64 ":\n", r + 1);
		double rec1 = run_jobs(1, sample, 1);
		double rec2 = run_jobs(1, sample, 2);
		printf("  recovery    %8.0f /s on 1 thread, %8.0f /s on 2 "
		       "(cl_tx_recover: EIP-712 digest + secp256k1)\n",
		       rec1, rec2);
		for (const char *p = modes; *p; p++) {
			struct run_result res;

			if (*p == '1') {
				res = run(&cfg, 1, r == 0);
				print_run("ingress 1", &res, rec1);
			} else if (*p == '2') {
				res = run(&cfg, 2, r == 0);
				print_run("ingress 2", &res, rec2);
			} else if (*p == '0') {
				res = run(&cfg, 0, r == 0);
				print_run("writer only", &res, rec1);
			}
		}
	}
	free(auths);
	free(msgs);
	for (int i = 0; i < N_ACCOUNTS; i++)
		cl_seckey_free(keys[i]);
	return 0;
}
