/* SPDX-License-Identifier: MIT */
/*
 * What the in-process pipeline benchmarks share (bench_seq.c):
 * bench_pipeline and bench_scale. A sequencer of their own on a fresh
 * LMDB in a temporary folder, the pre-signed message and the transaction
 * it becomes, the tally of the sequencer's answers, submission with the
 * back-off of a client told "busy", an oracle price, work split over
 * threads, and what the process holds in memory.
 *
 * Programs set `bench_prog` (for error messages) first. Nothing here is
 * thread-safe unless it says so.
 */
#ifndef CLEARLINE_BENCH_SEQ_H
#define CLEARLINE_BENCH_SEQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <pthread.h>

#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>

/* The program's name in error messages. */
extern const char *bench_prog;

/* A program's start: `bench_prog` = prog, stdout line-buffered, logs
 * from "unusual" up, the crypto library, the genesis at `gpath` into *g.
 * Exits on failure. */
void bench_init(const char *prog, struct cl_genesis *g, const char *gpath);

/* Print "NAME: what: <code's text>" and exit(1). `rc` is a stf code, a
 * sequencer code (>= 100) or a negative error. */
void bench_die(const char *what, int rc);

/* Seconds in `ns` nanoseconds. */
double bench_secs(uint64_t ns);

/* A 64-bit mix of `x` (the splitmix64 finaliser): the same x, the same
 * result, on any thread. */
uint64_t bench_mix(uint64_t x);
/* Uniform in 0..n-1 (n > 0) from a fixed-seed sequence; one thread. */
uint64_t bench_rnd(uint64_t n);

/* One pre-signed message (small: a struct cl_tx is 2.3 KiB). */
struct bench_msg {
	bool is_cancel;
	uint32_t trader; /* the program's account index */
	union {
		struct cl_order order;
		struct cl_cancel cancel;
	} u;
	struct cl_sig sig;
};

/* The PLACE_ORDER or CANCEL transaction of `m`, not recovered. */
void bench_msg_tx(struct cl_tx *tx, const struct bench_msg *m);
/* The digest `m` signs. */
void bench_msg_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct bench_msg *m);

/* ---- answers ---- */

#define BENCH_CODE_SLOTS 128

/* Counts the answers of `expected` submissions (bench_on_answer). */
struct bench_tally {
	pthread_mutex_t m;
	pthread_cond_t c;
	uint64_t expected;
	_Atomic uint64_t answered;
	_Atomic uint64_t accepted;
	_Atomic uint64_t fills;
	_Atomic uint64_t status[5]; /* by enum cl_order_status */
	_Atomic uint64_t codes[BENCH_CODE_SLOTS]; /* refusals by code */
	uint64_t last_ns; /* when the last answer came */
	bool all;
};

void bench_tally_init(struct bench_tally *t, uint64_t expected);
/* Wait for every answer, then release the lock and condition. */
void bench_tally_wait(struct bench_tally *t);
/* The sequencer's callback; `arg` is the tally. */
void bench_on_answer(void *arg, const struct cl_seq_result *r);
/* " N <reason>" for every refusal code counted, on stdout. */
void bench_tally_print_refusals(const struct bench_tally *t);

/* Submit `tx` until the queue takes it, sleeping 0.1 ms after each
 * "busy" (counted in *busy); any other refusal exits. Thread-safe. */
void bench_submit(struct cl_seq *s, const struct cl_tx *tx,
		  struct bench_tally *t, uint64_t *busy);

/* ---- a sequencer of its own ---- */

/* The benchmarks' sequencer: the node's defaults but blocks of 100 ms or
 * 5 000 transactions (not the node's 20 000: a block record is one state
 * value, capped at CL_STATE_VALUE_MAX, 1 MiB, about 9 000 order
 * transactions) and a queue of 65 536. */
void bench_seq_defaults(struct cl_seq_config *cfg);
/* The state log's checkpoint interval of bench_node_start()'s database
 * (-c; 0: no state log, a synced LMDB commit per block), as clearlined's
 * --checkpoint-ms; default 1000. */
extern uint64_t bench_checkpoint_ms;
/* Entries of one checkpoint transaction (-t; 0: the default,
 * CL_DB_CHECKPOINT_TXN_ENTRIES). */
extern uint64_t bench_checkpoint_txn;

/* The field of the shared option `c` (-b block-ms, -m block-max-txs,
 * -q queue-max, -c checkpoint-ms, -t checkpoint-txn-entries), or NULL
 * for another letter. */
uint64_t *bench_seq_option(struct cl_seq_config *cfg, int c);

struct bench_node {
	char dir[4096]; /* the temporary folder ($TMPDIR or /tmp) */
	struct cl_db *db;
	struct cl_seq *seq;
};

/* A fresh database for `g` and a started sequencer on it (a 64 GiB map:
 * the LMDB file grows as needed). Exits on failure. */
void bench_node_start(struct bench_node *n, const struct cl_seq_config *cfg,
		      const struct cl_genesis *g);
/* The database settings of bench_node_open() for the folder `dir`. */
struct cl_db_config bench_db_config(const char *dir);
/* The same, its writer not started (cl_seq_start is the caller's). */
void bench_node_open(struct bench_node *n, const struct cl_seq_config *cfg,
		     const struct cl_genesis *g);
/* Stop and free the sequencer and database; remove the folder. */
void bench_node_stop(struct bench_node *n);

/* Post `price` for `market` signed by two oracle signers (`k1`, `k2`)
 * at the clock's second and wait until it is accepted; exits if it is
 * refused. */
void bench_oracle(struct cl_seq *s, const struct cl_seckey *k1,
		  const struct cl_seckey *k2, uint32_t market, uint64_t price);

/* The ingress queue of `cfg` at its fullest, on a fresh sequencer of its
 * own whose writer never runs: filled with orders (the common request)
 * until it answers "busy", then another with oracle prices (a large
 * request: docs/sequencer.md "Threads"); prints, for each, how many it
 * took and the process's resident heap growth (RssAnon), in all and a
 * request. */
void bench_queue_full(const struct cl_seq_config *cfg,
		      const struct cl_genesis *g);

/* ---- threads ---- */

/* fn(ctx, i) for every i in [0, n), split over `threads` threads (1 or
 * 2; i interleaved); returns items per second. Exits when any call
 * returns false. */
double bench_parallel(size_t n, int threads, bool (*fn)(void *ctx, size_t i),
		      void *ctx);

/* The thread ids of this process, at most `max` into `out`; their count. */
size_t bench_tids(pid_t *out, size_t max);
/* Whether thread `tid` of this process is named `name` (its comm). */
bool bench_tid_named(pid_t tid, const char *name);
/* Thread `tid` of this process so far, ns (zero if unknown): *cpu on a
 * CPU, *wait runnable but waiting for one (other jobs had the cores);
 * the rest of its wall time it was blocked (I/O, a lock, idle). */
void bench_thread_sched(pid_t tid, uint64_t *cpu, uint64_t *wait);

/* Bytes this process's write calls have handed the kernel so far
 * (/proc/self/io wchar: LMDB's pages; 0 when unknown). */
uint64_t bench_written_bytes(void);

/* ---- memory ---- */

struct bench_mem {
	uint64_t rss_kib;  /* VmRSS */
	uint64_t anon_kib; /* RssAnon: the heap and thread stacks */
	uint64_t file_kib; /* RssFile: mapped file pages (LMDB's map) */
	uint64_t hwm_kib;  /* VmHWM: the most VmRSS ever was */
};

/* The process's figures from /proc/self/status (zero when unknown). */
void bench_mem(struct bench_mem *out);
/* "memory WHEN: VmRSS .. MiB, RssAnon .., RssFile .., VmHWM .." */
void bench_mem_print(const char *when);

/*
 * The bytes the allocator holds for live objects now, over every arena
 * and thread. With jemalloc (the builds' default malloc): its
 * `stats.allocated`, the bytes of the live allocations (their size
 * classes, rounded up). With glibc's malloc (-Dallocator=system):
 * malloc_info()'s totals, the arenas' memory less their free chunks (the
 * top chunks included), plus the chunks mapped on their own; chunk
 * headers count. Either way pages never touched count too (a calloc'd
 * array is "in use" before it is resident). 0 when unknown.
 */
uint64_t bench_heap_bytes(void);

#endif
