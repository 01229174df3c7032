/* SPDX-License-Identifier: MIT */
/*
 * The writer at scale (a program, not a test): a state of A accounts and
 * R resting orders built through the sequencer, then the writer alone
 * (signatures recovered beforehand) over a flow of orders and cancels by
 * those accounts, on LMDB synced at every block, with the state roots.
 * It prints orders/s, µs per order, blocks/s, the writer thread's time
 * on a CPU, waiting for one and blocked, the bytes written per block and
 * per order, the signature recovery rate measured in the same process and
 * the ratio of the two, and the process's resident memory after the
 * set-up and at the end.
 *
 * First, on a sequencer of its own whose writer never runs, the ingress
 * queue's resident size when full: of orders, then of oracle prices
 * (bench_queue_full, bench_seq.h). Then, where the heap goes at the end,
 * piece by piece (memory_breakdown). Last, the start-up on the state the
 * run left, timed as the node starts (startup()).
 *
 * Set-up, on a fresh database with the devnet genesis (markets 1-3):
 *  - an ORACLE_PRICE for each market signed by anvil's keys 7 and 8;
 *  - on two threads beside the writer, for each account i: its key
 *    (derived from a fixed seed, tests/unit/dev_keys.h), a credit of
 *    $100 000 through cl_seq_submit_credit() (a DEPOSIT the writer
 *    numbers: the node's op_credit path), then its resting orders
 *    k = i, i + A, i + 2A, ... < R, each signed, recovered
 *    (cl_tx_recover) and submitted;
 *  - resting order k: market k mod M, a buy when (k / M) is even, else a
 *    sell, 1 + (k / 2M) mod L ticks from the market's mid price on its
 *    own side, L the ticks in 1 % of the mid (so nothing crosses, about
 *    R / (2 M L) orders a level), 1-20 steps, GTC, expiring in a day.
 *  The set-up waits until every credit and order is accepted and every
 *  order rests.
 *
 * The flow (fixed seed), `n` messages: 55 % makers and 35 % takers of
 * order_mix.h over random accounts and markets, and 10 % cancels of a
 * random resting order of the set-up (by its owner). It is signed on two
 * threads (each message re-derives its trader's key), recovered, and then
 * submitted by one thread while the writer matches, applies and seals.
 *
 * Usage (from the project root):
 *   bench_scale [-A accounts] [-R resting-orders] [-n messages]
 *               [-g genesis.json] [-b block-interval-ms]
 *               [-m block-max-txs] [-q queue-max] [-c checkpoint-ms]
 *               [-t checkpoint-txn-entries] [-k]
 * -k: a crash inside a checkpoint, then the start-up it leaves. The run
 * goes on in a child process that SIGKILLs itself once the flow has run
 * 3 s and the checkpoint in progress has committed two of its
 * transactions part way (LMDB then holds part of the checkpoint); the
 * parent then times the start-up on that database (the state log's
 * replay completes the checkpoint and rebuilds the stored tree), checks
 * that it did and that every block sealed before the kill is there.
 * Defaults: 1 000 000 accounts, 1 000 000 resting orders, 200 000
 * messages, genesis/devnet.json, blocks of 100 ms or 5 000 transactions
 * (docs/performance.md says why not more), a queue of 65 536.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/matching.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#include "../unit/dev_keys.h"
#include "bench_seq.h"
#include "order_mix.h"

#define SEED "clearline bench account"
#define KEY_BASE 10 /* account i has key i + 10: past anvil's ten */
#define CREDIT 100000000000ULL /* $100 000 in 6-decimal atoms */
#define RECOVER_SAMPLE 20000
#define PROGRESS_NS 3000000000ULL

/* The devnet's perpetual markets and the mid price each trades around. */
static const struct {
	uint32_t id;
	uint64_t mid; /* in the market's price units */
} MIDS[] = {
	{1, 650000}, /* BTC-PERP $65 000.0 */
	{2, 350000}, /* ETH-PERP $3 500.00 */
	{3, 150000}, /* SOL-PERP $150.000 */
};
#define N_MIDS (sizeof(MIDS) / sizeof(MIDS[0]))

struct market {
	uint32_t id;
	uint64_t mid, tick, step, levels;
};

static struct market markets[N_MIDS];
static size_t n_markets;
static size_t n_accounts, n_rest;
static uint64_t expiry;
static struct cl_genesis genesis;
static struct cl_eip712_domain domain;
static struct cl_seckey *oracle_keys[2];

static struct cl_address *addrs;    /* per account */
static struct cl_hash32 *rest_hash; /* per resting order of the set-up */

static struct bench_msg *msgs; /* the flow */
static size_t n_msgs;

/* What a recovery of a flow message gave, kept small (a struct
 * cl_tx_auth is 452 bytes); auth_of() gives back the whole. */
struct recovered {
	struct cl_hash32 digest;
	struct cl_address signer;
};
static struct recovered *recs;

static struct cl_seckey *account_key(size_t i)
{
	struct cl_seckey *k;

	if (!dev_key(&k, (unsigned)(i + KEY_BASE), SEED))
		return NULL;
	return k;
}

/* The auth cl_tx_recover() gives a one-signature request. */
static void auth_of(struct cl_tx_auth *a, const struct recovered *r)
{
	memset(a, 0, sizeof(*a));
	a->recovered = true;
	a->separator = domain.separator;
	a->digest = r->digest;
	a->err[0] = CL_SIG_OK;
	a->signer[0] = r->signer;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

struct setup {
	struct cl_seq *seq;
	struct bench_tally tally;
	_Atomic uint64_t accounts, orders, busy;
};

static void resting_order(struct bench_msg *m, size_t k)
{
	const struct market *mk = &markets[k % n_markets];
	struct cl_order *o = &m->u.order;
	uint64_t off = (1 + (k / (2 * n_markets)) % mk->levels) * mk->tick;

	memset(m, 0, sizeof(*m));
	m->trader = (uint32_t)(k % n_accounts);
	o->trader = addrs[m->trader];
	o->market = mk->id;
	o->is_buy = (k / n_markets) % 2 == 0;
	o->price = o->is_buy ? mk->mid - off : mk->mid + off;
	o->size = (1 + bench_mix(k ^ 0x5ca1ab1eULL) % 20) * mk->step;
	o->nonce = k;
	o->expiry = expiry;
}

static void credit(struct setup *su, const struct cl_address *to)
{
	for (;;) {
		int rc = cl_seq_submit_credit(su->seq, to, CREDIT,
					      bench_on_answer, &su->tally);
		if (rc == CL_OK)
			return;
		if (rc != CL_ERR_BUSY)
			bench_die("credit", rc);
		struct timespec ts = {0, 100000};

		atomic_fetch_add(&su->busy, 1);
		nanosleep(&ts, NULL);
	}
}

/* Account i: its key and address, its credit, its resting orders. */
static bool setup_account(void *ctx, size_t i)
{
	struct setup *su = ctx;
	struct cl_seckey *key = account_key(i);
	uint64_t busy = 0;
	bool ok = true;

	if (!key)
		return false;
	cl_seckey_address(&addrs[i], key);
	credit(su, &addrs[i]);
	for (size_t k = i; k < n_rest; k += n_accounts) {
		struct bench_msg m;
		struct cl_hash32 d;
		struct cl_tx tx;

		resting_order(&m, k);
		bench_msg_digest(&d, &domain, &m);
		ok = cl_sign_digest(&m.sig, key, &d) == CL_OK;
		if (!ok)
			break;
		bench_msg_tx(&tx, &m);
		cl_tx_recover(&tx, &domain);
		ok = tx.auth.err[0] == CL_SIG_OK &&
		     cl_address_eq(&tx.auth.signer[0], &addrs[i]);
		if (!ok)
			break;
		rest_hash[k] = tx.auth.digest;
		bench_submit(su->seq, &tx, &su->tally, &busy);
		atomic_fetch_add(&su->orders, 1);
	}
	cl_seckey_free(key);
	atomic_fetch_add(&su->busy, busy);
	atomic_fetch_add(&su->accounts, 1);
	return ok;
}

/* A line every few seconds while the set-up or the flow runs. */
struct progress {
	const char *what;
	struct cl_seq *seq;
	struct bench_tally *tally;
	struct setup *su; /* the set-up's counters, or NULL */
	_Atomic bool done;
	pthread_t th;
};

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	uint64_t t0 = cl_clock_mono_ns(), next = t0 + PROGRESS_NS;

	while (!atomic_load(&p->done)) {
		struct timespec ts = {0, 100000000};
		struct cl_seq_status st;

		nanosleep(&ts, NULL);
		uint64_t now = cl_clock_mono_ns();
		if (now < next)
			continue;
		next += PROGRESS_NS;
		cl_seq_status(p->seq, &st);
		printf("  %s %5.0f s:", p->what, bench_secs(now - t0));
		if (p->su)
			printf(" %9" PRIu64 " accounts keyed, %9" PRIu64
			       " orders signed,",
			       (uint64_t)p->su->accounts,
			       (uint64_t)p->su->orders);
		printf(" %9" PRIu64 " answered, block %6" PRIu64 ", %6" PRIu64
		       " queued\n",
		       (uint64_t)p->tally->answered, st.head_block, st.queued);
	}
	return NULL;
}

static void progress_start(struct progress *p, const char *what,
			   struct cl_seq *seq, struct bench_tally *t,
			   struct setup *su)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->seq = seq;
	p->tally = t;
	p->su = su;
	if (pthread_create(&p->th, NULL, progress_main, p)) {
		fprintf(stderr, "bench_scale: no thread\n");
		exit(1);
	}
}

static void progress_stop(struct progress *p)
{
	atomic_store(&p->done, true);
	pthread_join(p->th, NULL);
}

/* Every market's price, at a clock second after `*last_s`; *last_s
 * becomes the second the last of them was signed in or a later one (a
 * second can turn between two markets' prices). */
static void post_prices(struct cl_seq *s, uint64_t *last_s)
{
	while (cl_clock_now_ms() / 1000 <= *last_s) {
		struct timespec ts = {0, 50000000};

		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n_markets; i++)
		bench_oracle(s, oracle_keys[0], oracle_keys[1], markets[i].id,
			     markets[i].mid);
	*last_s = cl_clock_now_ms() / 1000;
}

static void set_up(struct cl_seq *seq)
{
	struct setup su;
	struct progress p;

	memset(&su, 0, sizeof(su));
	su.seq = seq;
	bench_tally_init(&su.tally, n_accounts + n_rest);
	progress_start(&p, "set-up", seq, &su.tally, &su);
	uint64_t t0 = cl_clock_mono_ns();
	bench_parallel(n_accounts, 2, setup_account, &su);
	uint64_t t1 = cl_clock_mono_ns();
	bench_tally_wait(&su.tally);
	uint64_t t2 = su.tally.last_ns;
	progress_stop(&p);

	printf("set-up: %zu accounts and %zu resting orders in %.1f s "
	       "(keys, signatures and recovery done at %.1f s), %.0f "
	       "transactions/s, %" PRIu64 " busy retries\n",
	       n_accounts, n_rest, bench_secs(t2 - t0), bench_secs(t1 - t0),
	       (double)(n_accounts + n_rest) / bench_secs(t2 - t0),
	       (uint64_t)su.busy);
	if (su.tally.accepted != n_accounts + n_rest ||
	    su.tally.status[CL_ORDER_OPEN] != n_rest) {
		printf("set-up refused:");
		bench_tally_print_refusals(&su.tally);
		printf(" (%" PRIu64 " orders open of %zu)\n",
		       (uint64_t)su.tally.status[CL_ORDER_OPEN], n_rest);
		exit(1);
	}
}

/* ------------------------------------------------------------------ */
/* The flow                                                            */
/* ------------------------------------------------------------------ */

static void generate(size_t n)
{
	uint32_t *live = cl_xcalloc(n_rest ? n_rest : 1, sizeof(*live));
	size_t n_live = n_rest;

	for (size_t k = 0; k < n_rest; k++)
		live[k] = (uint32_t)k;
	msgs = cl_xcalloc(n, sizeof(*msgs));
	n_msgs = n;
	for (size_t i = 0; i < n; i++) {
		struct bench_msg *m = &msgs[i];
		struct cl_order *o = &m->u.order;
		uint64_t r = bench_rnd(100);

		if (r >= 90 && n_live > 0) {
			size_t j = (size_t)bench_rnd(n_live);
			size_t k = live[j];

			live[j] = live[--n_live];
			m->is_cancel = true;
			m->trader = (uint32_t)(k % n_accounts);
			m->u.cancel.trader = addrs[m->trader];
			m->u.cancel.order_hash = rest_hash[k];
			continue;
		}
		const struct market *mk = &markets[bench_rnd(n_markets)];

		m->trader = (uint32_t)bench_rnd(n_accounts);
		o->trader = addrs[m->trader];
		o->market = mk->id;
		o->is_buy = bench_rnd(2) == 0;
		o->nonce = n_rest + i;
		o->expiry = expiry;
		order_mix(o, r, bench_rnd, mk->mid, mk->tick, mk->step);
	}
	free(live);
}

/* Sign flow message i with its trader's key (derived again). */
static bool sign_flow(void *ctx, size_t i)
{
	struct bench_msg *m = &msgs[i];
	struct cl_seckey *key = account_key(m->trader);
	struct cl_hash32 d;
	bool ok;

	(void)ctx;
	if (!key)
		return false;
	bench_msg_digest(&d, &domain, m);
	ok = cl_sign_digest(&m->sig, key, &d) == CL_OK;
	cl_seckey_free(key);
	return ok;
}

/* Recover flow message i; with ctx, keep it in recs[i] (and check that
 * auth_of() gives back exactly what cl_tx_recover() gave). */
static bool recover_flow(void *ctx, size_t i)
{
	const struct bench_msg *m = &msgs[i];
	struct cl_tx_auth back;
	struct cl_tx tx;

	bench_msg_tx(&tx, m);
	cl_tx_recover(&tx, &domain);
	if (tx.auth.err[0] != CL_SIG_OK ||
	    !cl_address_eq(&tx.auth.signer[0], &addrs[m->trader]))
		return false;
	if (!ctx)
		return true;
	recs[i].digest = tx.auth.digest;
	recs[i].signer = tx.auth.signer[0];
	auth_of(&back, &recs[i]);
	return memcmp(&back, &tx.auth, sizeof(back)) == 0;
}

/* ------------------------------------------------------------------ */
/* The measured run                                                    */
/* ------------------------------------------------------------------ */

static uint64_t file_mib(const char *dir)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size >> 20 : 0;
}

/* The state log's checkpoint thread (0: none). */
static pid_t checkpointer;

static void run(struct bench_node *node, pid_t writer, double rec1,
		double rec2)
{
	struct cl_seq *seq = node->seq;
	struct cl_seq_status s0, s1;
	struct bench_tally t;
	struct progress p;
	uint64_t busy = 0;
	struct cl_tx tx;

	cl_seq_status(seq, &s0);
	bench_tally_init(&t, n_msgs);
	progress_start(&p, "flow", seq, &t, NULL);
	printf("measured flow starts (writer thread %d)\n", (int)writer);
	uint64_t cpu0, wait0, cpu1, wait1, ck0 = 0, ck1 = 0, ckw;

	bench_thread_sched(writer, &cpu0, &wait0);
	if (checkpointer)
		bench_thread_sched(checkpointer, &ck0, &ckw);
	uint64_t wr0 = bench_written_bytes();
	uint64_t t0 = cl_clock_mono_ns();
	for (size_t i = 0; i < n_msgs; i++) {
		bench_msg_tx(&tx, &msgs[i]);
		auth_of(&tx.auth, &recs[i]);
		bench_submit(seq, &tx, &t, &busy);
	}
	uint64_t t_sub = cl_clock_mono_ns();
	bench_tally_wait(&t);
	bench_thread_sched(writer, &cpu1, &wait1);
	if (checkpointer)
		bench_thread_sched(checkpointer, &ck1, &ckw);
	uint64_t wr = bench_written_bytes() - wr0;
	uint64_t cpu = cpu1 - cpu0, wait = wait1 - wait0;
	double el = bench_secs(t.last_ns - t0);

	progress_stop(&p);
	cl_seq_status(seq, &s1);
	printf("measured flow ends\n");
	uint64_t blocks = s1.head_block - s0.head_block;
	uint64_t sealed = s1.txs_sealed - s0.txs_sealed;
	double orders_s = (double)n_msgs / el;
	char root[67];

	cl_hex_encode(root, s1.head_root.b, 32, true);
	printf("  %" PRIu64 " accepted (open %" PRIu64 ", filled %" PRIu64
	       ", cancelled %" PRIu64 ", closed %" PRIu64 "), %" PRIu64
	       " fills, %" PRIu64 " refused:",
	       (uint64_t)t.accepted, (uint64_t)t.status[CL_ORDER_OPEN],
	       (uint64_t)t.status[CL_ORDER_FILLED],
	       (uint64_t)t.status[CL_ORDER_CANCELLED],
	       (uint64_t)t.status[CL_ORDER_DONE], (uint64_t)t.fills,
	       (uint64_t)(t.answered - t.accepted));
	bench_tally_print_refusals(&t);
	printf("\n  head block %" PRIu64 ", root %.18s..., LMDB file %" PRIu64
	       " MiB",
	       s1.head_block, root, file_mib(node->dir));
	struct cl_db_space sp;
	if (cl_db_space(node->db, &sp) == CL_OK) {
		double pm = (double)sp.page_size / (1024.0 * 1024.0);
		printf(" (what LMDB holds now: its tables %.1f MiB, free "
		       "pages %.1f MiB)",
		       (double)sp.table_pages * pm,
		       (double)sp.free_pages * pm);
	}
	printf("\n");
	printf("  recovery     %8.0f /s on 1 thread, %8.0f /s on 2 "
	       "(cl_tx_recover, this process, just before)\n",
	       rec1, rec2);
	printf("  writer only  %8.0f orders/s, %6.2f us per order, %5.2f "
	       "blocks/s, %5.0f txs/block, %8.0f sealed txs/s, %.1f s\n",
	       orders_s, 1e6 / orders_s, (double)blocks / el,
	       blocks ? (double)sealed / (double)blocks : 0.0,
	       (double)sealed / el, el);
	printf("  writer       on a CPU %.1f s of %.1f s (%.0f %%, %.2f us per "
	       "order), waiting for a CPU %.1f s (%.0f %%), blocked %.1f s "
	       "(%.0f %%: fsync, I/O, an empty queue)\n",
	       bench_secs(cpu), el, 100.0 * bench_secs(cpu) / el,
	       1e6 * bench_secs(cpu) / (double)n_msgs, bench_secs(wait),
	       100.0 * bench_secs(wait) / el,
	       el - bench_secs(cpu) - bench_secs(wait),
	       100.0 * (el - bench_secs(cpu) - bench_secs(wait)) / el);
	if (checkpointer)
		printf("  checkpointer on a CPU %.1f s (%.2f us per order), the "
		       "state log's thread beside the writer\n",
		       bench_secs(ck1 - ck0),
		       1e6 * bench_secs(ck1 - ck0) / (double)n_msgs);
	printf("  storage      %.0f MiB written, %.1f MiB per block, %.0f "
	       "MiB/s, %.1f KiB per order\n",
	       (double)wr / (1 << 20),
	       blocks ? (double)wr / (1 << 20) / (double)blocks : 0.0,
	       (double)wr / (1 << 20) / el, (double)wr / 1024 / (double)n_msgs);
	printf("  submitter    %.0f/s, %" PRIu64 " busy retries\n",
	       (double)n_msgs / bench_secs(t_sub - t0), busy);
	printf("  ratio        %.2f of the 1-thread recovery rate, %.2f of "
	       "the 2-thread one; target 100 000 orders/s: %s\n",
	       orders_s / rec1, orders_s / rec2,
	       orders_s >= 100000 ? "met" : "not met");
}

static void print_own(void)
{
	double mib = ((double)n_accounts * sizeof(*addrs) +
		      (double)n_rest * sizeof(*rest_hash) +
		      (double)n_msgs * (sizeof(*msgs) + sizeof(*recs))) /
		     (1 << 20);

	printf("  of which the benchmark's own arrays (addresses, resting "
	       "order hashes, the flow): %.0f MiB\n",
	       mib);
}

static double mib(uint64_t b)
{
	return (double)b / (1 << 20);
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The set-up's resting orders, in fresh books of their own: the heap
 * bytes they took. */
static uint64_t books_alone(void)
{
	struct book *b[N_MIDS];
	uint64_t h0 = bench_heap_bytes();

	for (size_t i = 0; i < n_markets; i++) {
		const struct cl_market_params *mp =
			cl_genesis_market(&genesis, markets[i].id);
		struct book_params bp = {
			.market = mp->id,
			.tick = mp->tick_size,
			.step = mp->step_size,
			.min_price = mp->tick_size,
			.max_price = UINT64_MAX - UINT64_MAX % mp->tick_size,
			.min_size = mp->step_size,
			.max_size = mp->max_order_size,
		};
		b[i] = book_new(&bp);
	}
	for (size_t k = 0; k < n_rest; k++) {
		struct bench_msg m;
		struct book_order o;

		resting_order(&m, k);
		memset(&o, 0, sizeof(o));
		o.hash = rest_hash[k];
		o.owner = m.u.order.trader;
		o.market = m.u.order.market;
		o.side = m.u.order.is_buy ? BOOK_BUY : BOOK_SELL;
		o.price.v = m.u.order.price;
		o.size.v = m.u.order.size;
		o.expiry = m.u.order.expiry;
		o.seq = k + 1;
		enum book_code bc = book_restore(b[k % n_markets], &o);
		if (bc != BOOK_OK) {
			fprintf(stderr, "bench_scale: book: %s\n",
				book_code_str(bc));
			exit(1);
		}
	}
	uint64_t h1 = bench_heap_bytes();
	for (size_t i = 0; i < n_markets; i++)
		book_free(b[i]);
	return less(h1, h0);
}

/*
 * Where the heap goes at the end (docs/performance.md "Where the memory
 * goes"), in bytes the allocator holds for live objects over every arena
 * (bench_heap_bytes): the sequencer as it ran (what freeing it gave
 * back); then, on this thread from the committed state, the writer's
 * objects built again one at a time: the state handle, the stf (its
 * tables and its books), the tree in memory (built by the first commit,
 * here an empty one); the books alone (the set-up's resting orders in
 * fresh books); LMDB's environment (what closing it gave back); and a
 * new sequencer on an empty database (its queue and side pool).
 */
/*
 * Where the LMDB file's pages go once the state log's last checkpoint
 * has run (the sequencer freed): each table holding 1 % of the file or
 * more, largest first, then the rest, the free list and the pages LMDB
 * keeps for itself.
 */
static int space_cmp(const void *a, const void *b)
{
	const struct cl_db_table_space *x = a, *y = b;
	return (x->pages < y->pages) - (x->pages > y->pages);
}

static void space_report(struct cl_db *db)
{
	struct cl_db_space sp;
	int rc = cl_db_space(db, &sp);

	if (rc)
		bench_die("db space", rc);
	double pm = (double)sp.page_size / (1024.0 * 1024.0);
	uint64_t rest = 0, rest_n = 0;
	qsort(sp.t, sp.n, sizeof(sp.t[0]), space_cmp);
	printf("the LMDB file by table (%" PRIu64 " pages of %" PRIu64
	       " bytes, %.1f MiB):\n",
	       sp.file_pages, sp.page_size, (double)sp.file_pages * pm);
	for (size_t i = 0; i < sp.n; i++) {
		const struct cl_db_table_space *t = &sp.t[i];
		if (t->pages * 100 < sp.file_pages) {
			rest += t->pages;
			rest_n += t->pages != 0;
			continue;
		}
		printf("  %-12s %8.1f MiB %5.1f %%  %10" PRIu64
		       " entries, %6.1f bytes an entry (leaves %" PRIu64
		       ", overflow %" PRIu64 ", depth %u)\n",
		       t->name, (double)t->pages * pm,
		       100.0 * (double)t->pages / (double)sp.file_pages,
		       t->entries,
		       t->entries ? (double)t->pages * (double)sp.page_size /
					    (double)t->entries
				  : 0.0,
		       t->leaf_pages, t->overflow_pages, t->depth);
	}
	printf("  %-12s %8.1f MiB %5.1f %%  (%" PRIu64 " tables)\n", "the rest",
	       (double)rest * pm, 100.0 * (double)rest / (double)sp.file_pages,
	       rest_n);
	printf("  %-12s %8.1f MiB %5.1f %%  (and the free list's own %" PRIu64
	       " pages)\n", "free",
	       (double)sp.free_pages * pm,
	       100.0 * (double)sp.free_pages / (double)sp.file_pages,
	       sp.free_list_pages);
	uint64_t used = sp.table_pages + sp.meta_pages + sp.free_list_pages +
			sp.free_pages;
	printf("  %-12s %8.1f MiB %5.1f %%  (meta pages, names, pages freed "
	       "by the newest transactions)\n", "other",
	       (double)(sp.file_pages - used + sp.meta_pages) * pm,
	       100.0 * (double)(sp.file_pages - used + sp.meta_pages) /
		       (double)sp.file_pages);
}

static void memory_breakdown(struct bench_node *node, uint64_t queue_max)
{
	struct cl_state_stats ss;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_hash32 root;
	struct bench_mem m;
	int rc;

	/* the orders resting at the end, from the books' levels */
	enum { MAX_LEVELS = 1 << 16 };
	struct book_level *lv = cl_xcalloc(MAX_LEVELS, sizeof(*lv));
	uint64_t resting = 0;
	for (size_t i = 0; i < n_markets; i++)
		for (int side = 0; side < 2; side++) {
			size_t n = cl_seq_book_depth(node->seq, lv, MAX_LEVELS,
						     markets[i].id,
						     (enum book_side)side);
			for (size_t j = 0; j < n; j++)
				resting += lv[j].orders;
		}
	free(lv);

	bench_mem(&m);
	uint64_t h_end = bench_heap_bytes();
	cl_seq_free(node->seq);
	node->seq = NULL;
	uint64_t h_noseq = bench_heap_bytes();
	space_report(node->db);

	rc = cl_state_new_lmdb(&st, node->db);
	if (rc)
		bench_die("state", rc);
	uint64_t h_st = bench_heap_bytes();
	rc = cl_stf_new(&stf, st, &genesis);
	if (rc)
		bench_die("stf", rc);
	uint64_t h_stf = bench_heap_bytes();
	rc = cl_state_commit_block(st, &root);
	if (rc)
		bench_die("commit", rc);
	uint64_t h_tree = bench_heap_bytes();
	cl_state_stats(st, &ss);
	cl_stf_free(stf);
	cl_state_free(st);
	uint64_t h_freed = bench_heap_bytes();
	uint64_t books = books_alone();
	cl_db_free(node->db);
	node->db = NULL;
	uint64_t h_nodb = bench_heap_bytes();

	/* what a new sequencer holds before any request: its queue and
	 * side pool, allocated, not yet touched */
	struct bench_node fresh;
	struct cl_seq_config cfg;
	cl_seq_config_defaults(&cfg);
	cfg.queue_max = queue_max;
	bench_node_open(&fresh, &cfg, &genesis);
	uint64_t h_fresh = bench_heap_bytes();
	bench_node_stop(&fresh);
	uint64_t fresh_seq = less(h_fresh, bench_heap_bytes());

	uint64_t seq = less(h_end, h_noseq);
	uint64_t rebuilt = less(h_tree, h_noseq);
	printf("memory at the end, piece by piece (heap bytes in use over "
	       "every arena):\n");
	printf("  %-58s %7.1f MiB (RssAnon %.1f MiB)\n",
	       "in use, the sequencer running", mib(h_end),
	       (double)m.anon_kib / 1024);
	printf("  %-58s %7.1f MiB\n", "the sequencer (freeing it gave back)",
	       mib(seq));
	printf("  %-58s %7.1f MiB\n", "  the state handle (built again)",
	       mib(less(h_st, h_noseq)));
	printf("  %-58s %7.1f MiB (%" PRIu64 " orders rest)\n",
	       "  the stf, its tables and books (built again)",
	       mib(less(h_stf, h_st)), resting);
	printf("  %-58s %7.1f MiB (tree_bytes %.1f MiB)\n",
	       "  the tree in memory (built again by a commit)",
	       mib(less(h_tree, h_stf)), mib(ss.tree_bytes));
	printf("  %-58s %7.1f MiB\n",
	       "  the rest: the queue, block buffers, what grew in use",
	       mib(less(seq, rebuilt)));
	printf("  %-58s %7.1f MiB\n",
	       "  (a new sequencer: its queue and pool, untouched)",
	       mib(fresh_seq));
	printf("  %-58s %7.1f MiB (%.0f bytes an order)\n",
	       "the set-up's resting orders in fresh books, alone",
	       mib(books), n_rest ? (double)books / (double)n_rest : 0.0);
	printf("  %-58s %7.1f MiB\n",
	       "LMDB's environment (closing it gave back)",
	       mib(less(h_freed, h_nodb)));
	printf("  %-58s %7.1f MiB\n",
	       "left: the benchmark's arrays, libraries", mib(h_nodb));
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_scale [-A accounts] [-R resting-orders] "
		"[-n messages] [-g genesis] [-b block-ms] "
		"[-m block-max-txs] [-q queue-max] [-c checkpoint-ms] "
		"[-t checkpoint-txn-entries] [-k]\n");
	exit(2);
}

/* What the state log did during the flow (nothing without one). */
static void log_print(const struct cl_db_log_stats *a,
		      const struct cl_db_log_stats *b)
{
	uint64_t n = b->appends - a->appends;

	if (!n) {
		printf("  state log    off: an LMDB commit per block\n");
		return;
	}
	printf("  state log    %" PRIu64 " blocks appended, %.1f KiB a block, "
	       "%.1f ms a block appending and syncing, %.1f s waiting for a "
	       "checkpoint in all\n",
	       n, (double)(b->append_bytes - a->append_bytes) / 1024.0 / n,
	       (double)(b->append_ns - a->append_ns) / 1e6 / n,
	       (double)(b->room_wait_ns - a->room_wait_ns) / 1e9);
	printf("  checkpoints  %" PRIu64 " (%" PRIu64 " failed) in %" PRIu64
	       " LMDB transactions, %.0f ms "
	       "each on average, the last %.0f ms; %" PRIu64 " merges of "
	       "the newest blocks; %" PRIu64 " deltas held at the end "
	       "(%.0f MiB)\n",
	       b->checkpoints - a->checkpoints, b->failures - a->failures,
	       b->txns - a->txns, b->checkpoints > a->checkpoints
		       ? (double)(b->ckpt_ns - a->ckpt_ns) / 1e6 /
				 (double)(b->checkpoints - a->checkpoints)
		       : 0.0,
	       (double)b->last_ns / 1e6, b->merges - a->merges, b->held_blocks,
	       (double)b->held_bytes / 1048576.0);
}

static void load_markets(void)
{
	for (size_t i = 0; i < N_MIDS; i++) {
		const struct cl_market_params *mp =
			cl_genesis_market(&genesis, MIDS[i].id);
		struct market *mk = &markets[n_markets];

		if (!mp || mp->kind != CL_MARKET_PERP)
			continue;
		mk->id = MIDS[i].id;
		mk->mid = MIDS[i].mid;
		mk->tick = mp->tick_size;
		mk->step = mp->step_size;
		mk->levels = mk->mid / 100 / mk->tick;
		if (mk->levels == 0)
			mk->levels = 1;
		n_markets++;
	}
	if (n_markets == 0) {
		fprintf(stderr, "bench_scale: the genesis has none of the "
			"devnet's markets 1-3\n");
		exit(1);
	}
}

/*
 * Start-up on the state the run left, as the node starts (src/node):
 * the database opened (LMDB and the state log: the blocks committed
 * since the last checkpoint are read back), the sequencer made (the stf
 * loads its books and tables), its writer started, then the first block
 * (one oracle price) answered, which builds the tree in memory from
 * `smt_leaves`: the node serves once that block is durable. The block
 * waits for its interval (-b) as every block does.
 * memory_breakdown() closed the database before this.
 */
static void startup(struct bench_node *node, const struct cl_seq_config *cfg,
		    uint64_t *last_price_s)
{
	struct cl_db_config dbc = bench_db_config(node->dir);
	struct cl_seq_status st;
	int rc;

	/* the second of the last prices must be over before the clock
	 * starts (post_prices waits for it) */
	while (cl_clock_now_ms() / 1000 <= *last_price_s) {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
	}
	uint64_t t0 = cl_clock_mono_ns();
	rc = cl_db_new(&node->db, &dbc);
	if (rc)
		bench_die("start-up: open", rc);
	uint64_t t1 = cl_clock_mono_ns();
	rc = cl_seq_new(&node->seq, cfg, node->db, &genesis);
	if (rc)
		bench_die("start-up: sequencer", rc);
	uint64_t t2 = cl_clock_mono_ns();
	rc = cl_seq_start(node->seq);
	if (rc)
		bench_die("start-up: start", rc);
	uint64_t t3 = cl_clock_mono_ns();
	bench_oracle(node->seq, oracle_keys[0], oracle_keys[1], markets[0].id,
		     markets[0].mid);
	uint64_t t4 = cl_clock_mono_ns();
	*last_price_s = cl_clock_now_ms() / 1000;
	cl_seq_status(node->seq, &st);
	printf("start-up on this state (%" PRIu64 " blocks): %.2f s to "
	       "serving = open %.2f s (LMDB, the state log read back) + "
	       "sequencer %.2f s (the stf, its books) + start %.2f s + the "
	       "first block %.2f s (its interval, the tree in memory built)\n",
	       st.head_block, bench_secs(t4 - t0), bench_secs(t1 - t0),
	       bench_secs(t2 - t1), bench_secs(t3 - t2), bench_secs(t4 - t3));
	bench_mem_print("after the start-up");
}

/* -k: the child's end of the pipe to the parent (else -1), and what it
 * tells: the folder, then the last block sealed before the kill. */
static int kill_fd = -1;

static void tell_parent(const void *p, size_t n)
{
	if (write(kill_fd, p, n) != (ssize_t)n)
		bench_die("-k: the pipe to the parent", CL_ERR_IO);
}

static void *killer_main(void *arg)
{
	struct bench_node *node = arg;
	struct timespec wait = {3, 0}, ms = {0, 1000000};
	struct cl_db_log_stats ls;
	struct cl_seq_status st;

	nanosleep(&wait, NULL);
	for (;;) {
		cl_db_log_stats(node->db, &ls);
		if (ls.part_txns >= 2)
			break;
		nanosleep(&ms, NULL);
	}
	cl_seq_status(node->seq, &st);
	printf("-k: SIGKILL inside the checkpoint after block %" PRIu64
	       " (%" PRIu64 " of its transactions committed), block %" PRIu64
	       " sealed\n",
	       ls.checkpointed, ls.part_txns, st.head_block);
	fflush(stdout);
	tell_parent(&st.head_block, sizeof(st.head_block));
	raise(SIGKILL);
	return NULL;
}

/*
 * -k, in the parent: wait for the child's kill, then start on what it
 * left (startup()), as the node would after the crash; the replay must
 * have completed a partial checkpoint and kept every sealed block.
 */
static int after_kill(pid_t child, int fd, const struct cl_seq_config *cfg)
{
	struct bench_node node = {0};
	uint64_t sealed = 0, last_s = cl_clock_now_ms() / 1000;
	struct cl_db_log_stats ls;
	struct cl_seq_status st;
	size_t len = 0;
	int status;

	if (read(fd, &len, sizeof(len)) != (ssize_t)sizeof(len) ||
	    len == 0 || len >= sizeof(node.dir) ||
	    read(fd, node.dir, len) != (ssize_t)len ||
	    read(fd, &sealed, sizeof(sealed)) != (ssize_t)sizeof(sealed)) {
		waitpid(child, &status, 0);
		fprintf(stderr, "bench_scale -k: the run ended without the "
			"kill (exit status %d)\n", status);
		return 1;
	}
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "bench_scale -k: the child was not killed\n");
		return 1;
	}
	/* the open's own lines: the replay, the partial checkpoint */
	cl_log_min_level = CL_LOG_INFO;
	startup(&node, cfg, &last_s);
	cl_log_min_level = CL_LOG_UNUSUAL;
	cl_db_log_stats(node.db, &ls);
	cl_seq_status(node.seq, &st);
	printf("-k: the open completed a checkpoint to block %" PRIu64
	       "; head block %" PRIu64 " (%" PRIu64 " sealed before the "
	       "kill)\n", ls.open_part, st.head_block, sealed);
	bench_node_stop(&node);
	if (!ls.open_part || st.head_block < sealed) {
		fprintf(stderr, "bench_scale -k: %s\n", !ls.open_part
			? "the open found no partial checkpoint"
			: "blocks sealed before the kill are gone");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *gpath = "genesis/devnet.json";
	uint64_t a = 1000000, r = 1000000, n = 200000;
	struct cl_seq_config cfg;
	struct bench_node node;
	int c;

	bench_seq_defaults(&cfg);
	bool kill_mode = false;
	while ((c = getopt(argc, argv, "A:R:n:g:b:m:q:c:t:k")) != -1) {
		uint64_t *dst = bench_seq_option(&cfg, c);

		if (c == 'k') {
			kill_mode = true;
			continue;
		}
		if (c == 'A')
			dst = &a;
		else if (c == 'R')
			dst = &r;
		else if (c == 'n')
			dst = &n;
		else if (c == 'g') {
			gpath = optarg;
			continue;
		} else if (!dst)
			usage();
		if (!cl_parse_u64(dst, optarg, strlen(optarg)) ||
		    (*dst == 0 && c != 'c' && c != 't') || *dst > UINT32_MAX - KEY_BASE) {
			fprintf(stderr, "bench_scale: -%c: expected a number "
				"from 1 to %u\n", c, UINT32_MAX - KEY_BASE);
			return 2;
		}
	}
	if (optind != argc)
		usage();
	n_accounts = (size_t)a;
	n_rest = (size_t)r;
	bench_init("bench_scale", &genesis, gpath);
	load_markets();
	cl_eip712_domain_init(&domain, genesis.l1_chain_id, &genesis.rollup);
	if (!dev_key(&oracle_keys[0], 7, SEED) ||
	    !dev_key(&oracle_keys[1], 8, SEED))
		bench_die("oracle key", CL_ERR_CRYPTO);
	expiry = cl_clock_now_ms() / 1000 + 86400;
	addrs = cl_xcalloc(n_accounts, sizeof(*addrs));
	rest_hash = cl_xcalloc(n_rest, sizeof(*rest_hash));

	printf("scale benchmark: %zu accounts, %zu resting orders over %zu "
	       "markets, %" PRIu64 " messages, %ld cpus, blocks every %"
	       PRIu64 " ms or %" PRIu64 " txs, queue %" PRIu64
	       ", checkpoints every %" PRIu64 " ms (0: no state log)\n",
	       n_accounts, n_rest, n_markets, n, sysconf(_SC_NPROCESSORS_ONLN),
	       cfg.block_interval_ms, cfg.block_max_txs, cfg.queue_max,
	       bench_checkpoint_ms);
	if (kill_mode) {
		int fds[2];
		fflush(stdout);
		if (pipe(fds) != 0)
			bench_die("-k: pipe", CL_ERR_IO);
		pid_t child = fork();
		if (child < 0)
			bench_die("-k: fork", CL_ERR_IO);
		if (child > 0) {
			close(fds[1]);
			return after_kill(child, fds[0], &cfg);
		}
		close(fds[0]);
		kill_fd = fds[1];
	}
	bench_mem_print("at the start");
	bench_queue_full(&cfg, &genesis);
	bench_mem_print("after the queue measurement");

	pid_t before[64], after[64];
	size_t nb = bench_tids(before, 64);
	bench_node_start(&node, &cfg, &genesis);
	size_t na = bench_tids(after, 64);
	pid_t writer = 0;
	for (size_t i = 0; i < na; i++) {
		bool old = false;

		for (size_t j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (!old && bench_tid_named(after[i], "cl-seq-writer"))
			writer = after[i];
		else if (!old && bench_tid_named(after[i], "cl-checkpoint"))
			checkpointer = after[i];
	}
	if (!writer)
		bench_die("no thread named cl-seq-writer", CL_ERR_CONFIG);
	if (kill_fd >= 0) {
		size_t len = strlen(node.dir);
		tell_parent(&len, sizeof(len));
		tell_parent(node.dir, len);
	}

	uint64_t last_price_s = 0;
	post_prices(node.seq, &last_price_s);
	set_up(node.seq);
	bench_mem_print("after the set-up");
	print_own();

	generate((size_t)n);
	size_t cancels = 0;
	for (size_t i = 0; i < n_msgs; i++)
		cancels += msgs[i].is_cancel;
	printf("flow: %zu orders, %zu cancels of resting orders\n",
	       n_msgs - cancels, cancels);
	double sign = bench_parallel(n_msgs, 2, sign_flow, NULL);
	printf("flow signed at %.0f/s on 2 threads (key derivation and "
	       "signature)\n", sign);
	recs = cl_xcalloc(n_msgs, sizeof(*recs));
	bench_parallel(n_msgs, 2, recover_flow, recs);
	size_t sample = n_msgs < RECOVER_SAMPLE ? n_msgs : RECOVER_SAMPLE;
	double rec1 = bench_parallel(sample, 1, recover_flow, NULL);
	double rec2 = bench_parallel(sample, 2, recover_flow, NULL);

	post_prices(node.seq, &last_price_s);
	struct cl_db_log_stats l0, l1;
	cl_db_log_stats(node.db, &l0);
	pthread_t killer;
	if (kill_fd >= 0 && pthread_create(&killer, NULL, killer_main, &node))
		bench_die("-k: thread", CL_ERR_IO);
	run(&node, writer, rec1, rec2);
	if (kill_fd >= 0) {
		fprintf(stderr, "bench_scale -k: the flow ended before a "
			"checkpoint was caught half way\n");
		_exit(1);
	}
	cl_db_log_stats(node.db, &l1);
	log_print(&l0, &l1);
	bench_mem_print("at the end");
	print_own();
	memory_breakdown(&node, cfg.queue_max);
	startup(&node, &cfg, &last_price_s);

	bench_node_stop(&node);
	free(recs);
	free(msgs);
	free(rest_hash);
	free(addrs);
	cl_seckey_free(oracle_keys[0]);
	cl_seckey_free(oracle_keys[1]);
	return 0;
}
