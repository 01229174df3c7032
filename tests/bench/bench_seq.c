/* SPDX-License-Identifier: MIT */
/*
 * What the in-process pipeline benchmarks share (bench_seq.h):
 * bench_pipeline and bench_scale.
 */
#include "bench_seq.h"

#include <dirent.h>
#include <ftw.h>
#include <inttypes.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *bench_prog = "bench";

void bench_init(const char *prog, struct cl_genesis *g, const char *gpath)
{
	char err[512];

	bench_prog = prog;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cl_log_min_level = CL_LOG_UNUSUAL;
	if (cl_crypto_init() != CL_OK)
		exit(1);
	if (cl_genesis_load(g, gpath, err, sizeof(err)) != CL_OK) {
		fprintf(stderr, "%s: %s: %s\n", prog, gpath, err);
		exit(1);
	}
}

void bench_die(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, cl_seq_err_str(rc));
	exit(1);
}

double bench_secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

uint64_t bench_mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rng_state = 0x6a09e667f3bcc909ULL;

uint64_t bench_rnd(uint64_t n)
{
	rng_state += 0x9e3779b97f4a7c15ULL;
	return bench_mix(rng_state) % n;
}

void bench_msg_tx(struct cl_tx *tx, const struct bench_msg *m)
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

void bench_msg_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct bench_msg *m)
{
	if (m->is_cancel)
		cl_cancel_digest(out, d, &m->u.cancel);
	else
		cl_order_digest(out, d, &m->u.order);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

void bench_on_answer(void *arg, const struct cl_seq_result *r)
{
	struct bench_tally *t = arg;

	if (r->code == 0) {
		atomic_fetch_add(&t->accepted, 1);
		atomic_fetch_add(&t->fills, r->n_fills);
		if (r->status >= 1 && r->status <= 4)
			atomic_fetch_add(&t->status[r->status], 1);
	} else {
		int c = r->code > 0 && r->code < BENCH_CODE_SLOTS ? r->code : 0;
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

void bench_tally_init(struct bench_tally *t, uint64_t expected)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->c, NULL);
	t->expected = expected;
}

void bench_tally_wait(struct bench_tally *t)
{
	pthread_mutex_lock(&t->m);
	while (!t->all)
		pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
	pthread_mutex_destroy(&t->m);
	pthread_cond_destroy(&t->c);
}

void bench_tally_print_refusals(const struct bench_tally *t)
{
	for (int c = 0; c < BENCH_CODE_SLOTS; c++)
		if (t->codes[c])
			printf(" %" PRIu64 " %s", (uint64_t)t->codes[c],
			       cl_seq_err_str(c));
}

void bench_submit(struct cl_seq *s, const struct cl_tx *tx,
		  struct bench_tally *t, uint64_t *busy)
{
	for (;;) {
		int rc = cl_seq_submit(s, tx, bench_on_answer, t);

		if (rc == CL_OK)
			return;
		if (rc != CL_ERR_BUSY)
			bench_die("submit", rc);
		/* a full queue: back off as a client told "busy" would */
		struct timespec ts = {0, 100000};

		(*busy)++;
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* A sequencer of its own                                              */
/* ------------------------------------------------------------------ */

void bench_seq_defaults(struct cl_seq_config *cfg)
{
	cl_seq_config_defaults(cfg);
	cfg->block_interval_ms = 100;
	cfg->block_max_txs = 5000;
	cfg->queue_max = 65536;
}

uint64_t bench_checkpoint_ms = 1000;
uint64_t bench_checkpoint_txn;

uint64_t *bench_seq_option(struct cl_seq_config *cfg, int c)
{
	switch (c) {
	case 'c':
		return &bench_checkpoint_ms;
	case 't':
		return &bench_checkpoint_txn;
	case 'b':
		return &cfg->block_interval_ms;
	case 'm':
		return &cfg->block_max_txs;
	case 'q':
		return &cfg->queue_max;
	}
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

struct cl_db_config bench_db_config(const char *dir)
{
	return (struct cl_db_config){
		.path = dir,
		.map_size = 64ull << 30,
		.checkpoint_ms = (unsigned)bench_checkpoint_ms,
		.checkpoint_txn_entries = (uint32_t)bench_checkpoint_txn};
}

void bench_node_open(struct bench_node *n, const struct cl_seq_config *cfg,
		     const struct cl_genesis *g)
{
	const char *base = getenv("TMPDIR");
	struct cl_db_config dbc;
	int rc;

	snprintf(n->dir, sizeof(n->dir), "%s/clearline-bench-XXXXXX",
		 base && base[0] ? base : "/tmp");
	if (!mkdtemp(n->dir)) {
		perror("mkdtemp");
		exit(1);
	}
	dbc = bench_db_config(n->dir);
	rc = cl_db_new(&n->db, &dbc);
	if (rc)
		bench_die("open", rc);
	rc = cl_seq_new(&n->seq, cfg, n->db, g);
	if (rc)
		bench_die("sequencer", rc);
}

void bench_node_start(struct bench_node *n, const struct cl_seq_config *cfg,
		      const struct cl_genesis *g)
{
	bench_node_open(n, cfg, g);
	int rc = cl_seq_start(n->seq);
	if (rc)
		bench_die("start", rc);
}

void bench_node_stop(struct bench_node *n)
{
	cl_seq_free(n->seq);
	cl_db_free(n->db);
	nftw(n->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	n->seq = NULL;
	n->db = NULL;
}

void bench_oracle(struct cl_seq *s, const struct cl_seckey *k1,
		  const struct cl_seckey *k2, uint32_t market, uint64_t price)
{
	struct bench_tally t;
	struct cl_tx tx;
	struct cl_hash32 d;
	uint64_t busy = 0;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = market;
	tx.u.oracle.msg.price = price;
	tx.u.oracle.msg.timestamp = cl_clock_now_ms() / 1000;
	cl_oracle_price_digest(&d, cl_seq_domain(s), &tx.u.oracle.msg);
	tx.u.oracle.n_sigs = 2;
	if (cl_sign_digest(&tx.u.oracle.sigs[0], k1, &d) ||
	    cl_sign_digest(&tx.u.oracle.sigs[1], k2, &d))
		bench_die("oracle signature", CL_ERR_CRYPTO);
	cl_tx_recover(&tx, cl_seq_domain(s));
	bench_tally_init(&t, 1);
	bench_submit(s, &tx, &t, &busy);
	bench_tally_wait(&t);
	if (t.accepted == 1)
		return;
	for (int c = 0; c < BENCH_CODE_SLOTS; c++)
		if (t.codes[c])
			bench_die("oracle price", c);
	fprintf(stderr, "%s: oracle price refused\n", bench_prog);
	exit(1);
}

/* Submit `tx` to `s` until the queue says "busy"; how many it took. */
static uint64_t fill_queue(struct cl_seq *s, const struct cl_tx *tx)
{
	uint64_t k = 0;
	int rc;

	while ((rc = cl_seq_submit(s, tx, NULL, NULL)) == CL_OK)
		k++;
	if (rc != CL_ERR_BUSY)
		bench_die("queue", rc);
	return k;
}

/* One queue of `cfg` filled with `tx` on a sequencer whose writer never
 * runs: the requests it took and the process's resident heap growth. */
static void queue_full_with(const struct cl_seq_config *cfg,
			    const struct cl_genesis *g, const char *what,
			    const struct cl_tx *tx)
{
	struct bench_node n;
	struct bench_mem m0, m1;

	bench_node_open(&n, cfg, g);
	bench_mem(&m0);
	uint64_t k = fill_queue(n.seq, tx);
	bench_mem(&m1);
	uint64_t kib =
		m1.anon_kib > m0.anon_kib ? m1.anon_kib - m0.anon_kib : 0;
	printf("queue full of %s: %" PRIu64 " taken, resident heap +%.1f "
	       "MiB, %.0f bytes a request\n",
	       what, k, (double)kib / 1024,
	       k ? (double)kib * 1024 / (double)k : 0.0);
	bench_node_stop(&n);
}

void bench_queue_full(const struct cl_seq_config *cfg,
		      const struct cl_genesis *g)
{
	struct cl_eip712_domain d;
	struct cl_tx tx;

	/* the signatures need not verify: the writer never sees them */
	cl_eip712_domain_init(&d, g->l1_chain_id, &g->rollup);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	tx.u.place.order.market = 1;
	tx.u.place.order.price = 650000;
	tx.u.place.order.size = 1;
	memset(tx.u.place.sig.b, 0x5a, CL_SIG_LEN);
	cl_tx_recover(&tx, &d);
	queue_full_with(cfg, g, "orders", &tx);

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = 1;
	tx.u.oracle.msg.price = 650000;
	tx.u.oracle.n_sigs = 2;
	memset(tx.u.oracle.sigs, 0x5a, 2 * sizeof(tx.u.oracle.sigs[0]));
	cl_tx_recover(&tx, &d);
	queue_full_with(cfg, g, "oracle prices", &tx);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

struct part {
	size_t from, n, stride;
	bool (*fn)(void *ctx, size_t i);
	void *ctx;
	bool failed;
	pthread_t th;
};

static void *part_main(void *arg)
{
	struct part *p = arg;

	for (size_t i = p->from; i < p->n && !p->failed; i += p->stride)
		p->failed = !p->fn(p->ctx, i);
	return NULL;
}

double bench_parallel(size_t n, int threads, bool (*fn)(void *ctx, size_t i),
		      void *ctx)
{
	struct part p[2];
	uint64_t t0 = cl_clock_mono_ns();

	CL_REQUIRE(threads == 1 || threads == 2);
	for (int t = 0; t < threads; t++) {
		p[t] = (struct part){.from = (size_t)t, .n = n,
				     .stride = (size_t)threads, .fn = fn,
				     .ctx = ctx};
		if (pthread_create(&p[t].th, NULL, part_main, &p[t])) {
			fprintf(stderr, "%s: no thread\n", bench_prog);
			exit(1);
		}
	}
	bool failed = false;
	for (int t = 0; t < threads; t++) {
		pthread_join(p[t].th, NULL);
		failed |= p[t].failed;
	}
	if (failed) {
		fprintf(stderr, "%s: a signature or key failed\n", bench_prog);
		exit(1);
	}
	return (double)n / bench_secs(cl_clock_mono_ns() - t0);
}

size_t bench_tids(pid_t *out, size_t max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		uint64_t v;

		if (e->d_name[0] == '.' ||
		    !cl_parse_u64(&v, e->d_name, strlen(e->d_name)))
			continue;
		out[n++] = (pid_t)v;
	}
	closedir(d);
	return n;
}

bool bench_tid_named(pid_t tid, const char *name)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return strcmp(comm, name) == 0;
}

void bench_thread_sched(pid_t tid, uint64_t *cpu, uint64_t *wait)
{
	char path[64];
	unsigned long long c = 0, w = 0;
	FILE *f;

	/* schedstat: time on a CPU, time waiting on a run queue (ns) */
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &c, &w) != 2)
			c = w = 0;
		fclose(f);
	}
	*cpu = c;
	*wait = w;
}

uint64_t bench_written_bytes(void)
{
	char line[128];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

void bench_mem(struct bench_mem *out)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{"VmRSS:", offsetof(struct bench_mem, rss_kib)},
		{"RssAnon:", offsetof(struct bench_mem, anon_kib)},
		{"RssFile:", offsetof(struct bench_mem, file_kib)},
		{"VmHWM:", offsetof(struct bench_mem, hwm_kib)},
	};
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	memset(out, 0, sizeof(*out));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			size_t k = strlen(fields[i].key);
			unsigned long long v;

			if (strncmp(line, fields[i].key, k) != 0 ||
			    sscanf(line + k, "%llu", &v) != 1)
				continue;
			*(uint64_t *)((char *)out + fields[i].off) = v;
		}
	}
	fclose(f);
}

void bench_mem_print(const char *when)
{
	struct bench_mem m;

	bench_mem(&m);
	printf("memory %s: VmRSS %.0f MiB (RssAnon %.0f, RssFile %.0f), "
	       "VmHWM %.0f MiB\n",
	       when, (double)m.rss_kib / 1024, (double)m.anon_kib / 1024,
	       (double)m.file_kib / 1024, (double)m.hwm_kib / 1024);
}

#ifdef CL_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>

uint64_t bench_heap_bytes(void)
{
	uint64_t epoch = 1;
	size_t allocated = 0, len = sizeof(epoch);

	/* jemalloc's statistics are as of its last epoch: start a new one */
	if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
		return 0;
	len = sizeof(allocated);
	if (mallctl("stats.allocated", &allocated, &len, NULL, 0) != 0)
		return 0;
	return allocated;
}
#else
uint64_t bench_heap_bytes(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long long fast = 0, rest = 0, mmap_b = 0, current = 0;
	uint64_t out = 0;

	if (!f)
		return 0;
	if (malloc_info(0, f) != 0) {
		fclose(f);
		free(buf);
		return 0;
	}
	fclose(f);
	/* the totals over every arena follow the last heap */
	const char *t = buf, *h;
	while ((h = strstr(t, "</heap>")) != NULL)
		t = h + 7;
	if (sscanf(t, " <total type=\"fast\" count=\"%*u\" size=\"%llu\"/>"
		      " <total type=\"rest\" count=\"%*u\" size=\"%llu\"/>"
		      " <total type=\"mmap\" count=\"%*u\" size=\"%llu\"/>"
		      " <system type=\"current\" size=\"%llu\"/>",
		   &fast, &rest, &mmap_b, &current) == 4 &&
	    current >= fast + rest)
		out = current - fast - rest + mmap_b;
	free(buf);
	return out;
}
#endif
