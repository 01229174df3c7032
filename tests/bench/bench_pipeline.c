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
#include "bench_seq.h"
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

static struct bench_msg *msgs;
static size_t n_msgs;
static struct cl_tx_auth *auths; /* for the writer-only mode */

static void load_keys(void)
{
	for (unsigned i = 0; i < N_ACCOUNTS; i++) {
		if (!dev_key(&keys[i], i, "clearline bench account"))
			bench_die("key", CL_ERR_CRYPTO);
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
		struct bench_msg *m = &msgs[i];
		uint64_t r = bench_rnd(100);
		unsigned t = (unsigned)bench_rnd(N_ACCOUNTS);
		struct cl_order *o = &m->u.order;

		m->trader = t;
		if (r >= 90 && makers[t].n > 0) {
			struct hash_list *l = &makers[t];
			size_t k = (size_t)bench_rnd(l->n);

			m->is_cancel = true;
			m->u.cancel.trader = addrs[t];
			m->u.cancel.order_hash = l->h[k];
			l->h[k] = l->h[--l->n];
			continue;
		}
		o->trader = addrs[t];
		o->market = MARKET;
		o->is_buy = bench_rnd(2) == 0;
		o->nonce = i;
		o->expiry = expiry;
		order_mix(o, r, bench_rnd, MID, tick, step);
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

/* Sign message i with its trader's key. */
static bool sign_one(void *ctx, size_t i)
{
	struct bench_msg *m = &msgs[i];
	struct cl_hash32 d;

	(void)ctx;
	bench_msg_digest(&d, &domain, m);
	return cl_sign_digest(&m->sig, keys[m->trader], &d) == CL_OK;
}

/* Recover message i (into auths[i] when ctx is not NULL). */
static bool recover_one(void *ctx, size_t i)
{
	const struct bench_msg *m = &msgs[i];
	struct cl_tx tx;

	bench_msg_tx(&tx, m);
	cl_tx_recover(&tx, &domain);
	if (ctx)
		auths[i] = tx.auth;
	return tx.auth.err[0] == CL_SIG_OK &&
	       cl_address_eq(&tx.auth.signer[0], &addrs[m->trader]);
}

/* ------------------------------------------------------------------ */
/* One run                                                             */
/* ------------------------------------------------------------------ */

struct ingress {
	struct cl_seq *seq;
	struct bench_tally *tally;
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
		const struct bench_msg *m = &msgs[i];

		if (m->trader % share != (unsigned)in->index)
			continue;
		bench_msg_tx(&tx, m);
		if (in->threads)
			cl_tx_recover(&tx, cl_seq_domain(in->seq));
		else
			tx.auth = auths[i];
		bench_submit(in->seq, &tx, in->tally, &in->busy);
	}
	in->done_ns = cl_clock_mono_ns();
	return NULL;
}

/* Credit every account and post an oracle price; waits for both. */
static void set_up(struct cl_seq *s)
{
	struct cl_stf_view v;
	struct cl_stf_globals g;
	struct bench_tally t;
	struct cl_tx tx;
	uint64_t busy = 0;
	int rc;

	rc = cl_seq_view(s, &v);
	if (!rc)
		rc = cl_stf_get_globals(&v, &g);
	cl_seq_view_release(&v);
	if (rc)
		bench_die("globals", rc);

	bench_tally_init(&t, N_ACCOUNTS);
	for (int i = 0; i < N_ACCOUNTS; i++) {
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_DEPOSIT;
		tx.u.deposit.id = g.next_deposit_id + (uint64_t)i;
		tx.u.deposit.to = addrs[i];
		tx.u.deposit.amount = CREDIT;
		cl_tx_recover(&tx, cl_seq_domain(s));
		bench_submit(s, &tx, &t, &busy);
	}
	bench_tally_wait(&t);
	if (t.accepted != N_ACCOUNTS)
		bench_die("deposits", CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);
	bench_oracle(s, keys[7], keys[8], MARKET, MID);
}

struct run_result {
	double orders_s, blocks_s, sealed_s, submit_s;
	uint64_t blocks, sealed, busy;
};

static struct run_result run(const struct cl_seq_config *cfg, int threads,
			     bool verbose)
{
	struct bench_node node;
	struct cl_seq_status s0, s1;
	struct ingress in[2];
	struct bench_tally t;
	struct run_result res;
	int n_in = threads ? threads : 1;

	bench_node_start(&node, cfg, &genesis);
	struct cl_seq *seq = node.seq;

	set_up(seq);
	cl_seq_status(seq, &s0);

	bench_tally_init(&t, n_msgs);
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
	bench_tally_wait(&t);
	double el = bench_secs(t.last_ns - t0);

	cl_seq_status(seq, &s1);
	res.blocks = s1.head_block - s0.head_block;
	res.sealed = s1.txs_sealed - s0.txs_sealed;
	res.orders_s = (double)n_msgs / el;
	res.blocks_s = (double)res.blocks / el;
	res.sealed_s = (double)res.sealed / el;
	res.submit_s = (double)n_msgs / bench_secs(submitted);

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
		bench_tally_print_refusals(&t);
		printf("\n    head block %" PRIu64 ", root %.18s...\n",
		       s1.head_block, root);
	}
	bench_node_stop(&node);
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
	int c;

	bench_seq_defaults(&cfg);
	while ((c = getopt(argc, argv, "n:r:g:b:m:q:M:c:")) != -1) {
		uint64_t *dst = bench_seq_option(&cfg, c);

		switch (c) {
		case 'n': dst = &n; break;
		case 'r': dst = &rounds; break;
		case 'b': case 'm': case 'q': case 'c': break;
		case 'g': gpath = optarg; continue;
		case 'M': modes = optarg; continue;
		default:
			fprintf(stderr, "usage: bench_pipeline [-n orders] "
				"[-r rounds] [-g genesis] [-b block-ms] "
				"[-m block-max-txs] [-q queue-max] "
				"[-M 1,2,0] [-c checkpoint-ms]\n");
			return 2;
		}
		if (!cl_parse_u64(dst, optarg, strlen(optarg)) ||
		    (*dst == 0 && c != 'c')) {
			fprintf(stderr, "bench_pipeline: -%c: expected a "
				"positive number\n", c);
			return 2;
		}
	}
	if (n < 100)
		n = 100;
	bench_init("bench_pipeline", &genesis, gpath);
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
	double sign = bench_parallel(n_msgs, 2, sign_one, NULL);
	printf("pre-signed at %.0f/s on 2 threads\n", sign);
	auths = cl_xcalloc(n_msgs, sizeof(*auths));
	bench_parallel(n_msgs, 2, recover_one, auths);

	size_t sample = n_msgs < RECOVER_SAMPLE ? n_msgs : RECOVER_SAMPLE;
	for (uint64_t r = 0; r < rounds; r++) {
		printf("round %" PRIu64 ":\n", r + 1);
		double rec1 = bench_parallel(sample, 1, recover_one, NULL);
		double rec2 = bench_parallel(sample, 2, recover_one, NULL);
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
