/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's private header: the object every file of
 * src/sequencer shares and the functions they call across files. Nothing
 * outside src/sequencer includes it.
 *
 * Files, one job each:
 *   sequencer.c  life cycle, the writer thread, published status, readers
 *   seq_queue.c  the ingress queue (submit, credit, shutdown answers)
 *   seq_block.c  block building: open, hand each request to the stf
 *                (which derives fills, closures and liquidations), log
 *                it, seal, abort, acks
 *   seq_cut.c    batch cuts and their withdrawal proofs
 *   seq_reader.c the read interface (struct cl_chain_reader)
 *   l1_driver.c  the link to L1: its thread, batches out, status
 *   l1_inbox.c   deposits and forced requests in (l1_int.h: the
 *                driver state both share)
 *   fault.c      fault injection for tests
 *   seq_metrics.c counters and histograms for the metrics endpoint
 *
 * Threads: everything here except the queue, the books' read side and the
 * published status belongs to the writer thread.
 */
#ifndef CLEARLINE_SEQ_INT_H
#define CLEARLINE_SEQ_INT_H

#include <clearline/batch.h>
#include <clearline/sequencer.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* The counters behind cl_seq_metrics(): relaxed atomics, written where
 * submissions are answered and blocks sealed (seq_metrics.c). */
struct seq_hist {
	_Atomic uint64_t bucket[CL_SEQ_HIST_BOUNDS + 1];
	_Atomic uint64_t sum_us;
};

struct seq_counters {
	_Atomic uint64_t requests[CL_SEQ_N_OUTCOMES];
	_Atomic uint64_t orders[CL_SEQ_N_OUTCOMES];
	_Atomic uint64_t order_rejects[CL_SEQ_MAX_CODE];
	struct seq_hist ack, seal;
	_Atomic uint64_t blocks_sealed, txs_sealed;
	/* block records pruned to their headers (seq_prune.c) */
	_Atomic uint64_t pruned_through, pruned_bytes;
};

/*
 * The request types most traffic is made of. A queue slot holds, in
 * place, any request whose union member is no larger than the largest of
 * these (struct cl_tx keeps `auth` before the union, so such a request
 * is a prefix of the struct: include/clearline/stf.h); a larger one
 * (oracle prices and updates, surfaces, scale orders) goes into a
 * full-size record of the side pool.
 */
union seq_common_u {
	struct cl_tx_place place;
	struct cl_tx_cancel cancel;
	struct cl_tx_trigger trigger;
	struct cl_tx_twap twap;
	struct cl_tx_withdraw withdraw;
	struct cl_tx_deposit deposit;
};
#define SEQ_SLOT_TX_BYTES \
	(offsetof(struct cl_tx, u) + sizeof(union seq_common_u))

/* The side pool: one full-size record per this many queue slots (and at
 * least SEQ_POOL_MIN, at most one per slot). */
#define SEQ_POOL_RATIO 32
#define SEQ_POOL_MIN 16

/* One queue slot. */
struct item {
	/* the request: `small`, or a record of the side pool; it holds the
	 * bytes of the request up to the end of its type's member only */
	struct cl_tx *tx;
	cl_seq_done_fn fn;
	void *arg;
	uint64_t t_ns;             /* monotonic time it was queued */
	struct seq_counters *ctr;  /* its sequencer's, counted at the answer */
	uint32_t rec;              /* its pool record + 1; 0: in `small` */
	bool assign_deposit_id; /* a dev credit: the writer picks the id */
	_Alignas(struct cl_tx) unsigned char small[SEQ_SLOT_TX_BYTES];
};

/* An accepted submission waiting for its block to be durable. */
struct ack {
	cl_seq_done_fn fn;
	void *arg;
	struct cl_seq_result r;
	size_t fills_off; /* into seq->fills */
	size_t derived_end; /* the stf's block fills after the request */
	uint64_t t_ns;    /* the item's queue time */
	bool is_order;    /* a PLACE_ORDER */
};

struct cl_seq {
	struct cl_seq_config cfg;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_genesis genesis;

	/* the stf's order books: the writer changes them (in every stf
	 * call inside a block) under the write lock, readers read them
	 * under the read lock */
	pthread_rwlock_t books_lock;
	bool risk_pending; /* derived work was cut short by its budget */
	/* the L1 block the next block names (set by the L1 driver; without
	 * one, a made-up reference per second) */
	pthread_mutex_t l1_lock;
	struct cl_l1_ref l1_ref;
	bool has_l1_ref;
	uint64_t l1_final; /* batches final on L1 (cl_seq_set_final_batches) */

	/* the queue */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct item *q;
	size_t qcap, qhead, qlen;
	/* the side pool of full-size records for the large requests, and
	 * the free ones as a stack (the last freed is taken first, so only
	 * as many records as were ever in use at once are resident) */
	struct cl_tx *pool;
	uint32_t *pool_free;
	size_t pool_cap, pool_nfree;
	bool stopping, running;
	pthread_t thread;

	/* the open block (writer only) */
	bool block_open;
	struct cl_block_header hdr;
	uint64_t deadline_ns;
	/* the clock second of the last block closed early for a request
	 * signed ahead of the block's time (one a second at most) */
	uint64_t early_close_s;
	struct cl_buf block_txs; /* be32 len ‖ encoding, per request */
	size_t block_ntx;
	struct ack *acks;
	size_t n_acks, cap_acks;
	struct cl_seq_fill *fills;
	size_t n_fills, cap_fills;
	struct cl_buf scratch;

	/* batch cuts (writer only) */
	uint64_t cut_seq;       /* next cut number */
	uint64_t cut_first;     /* first block of the next cut */
	uint64_t cut_wid;       /* first withdrawal id of the next cut */
	uint64_t cut_bytes;     /* transaction bytes sealed since the last */
	uint64_t cut_due_ns;    /* monotonic time of the next timed cut */
	/* a re-cut asked by the L1 driver (under qlock; see cl_seq_recut) */
	pthread_cond_t recut_cond;
	bool recut_req, recut_done;
	uint64_t recut_from, recut_cuts;
	int recut_rc;

	/* pruning of block records (writer only; seq_prune.c) */
	uint64_t pruned_through;  /* the last block whose requests are gone */
	uint64_t prune_final;     /* the final count prune_target is for */
	uint64_t prune_target;    /* the last block of the final batches */
	uint64_t prune_pending;   /* pruned_through once the block commits */
	size_t prune_bytes;       /* the requests' bytes it drops */

	/* published status */
	pthread_mutex_t status_lock;
	struct cl_seq_status status;
	/* told each committed block (cl_seq_on_block; set before start) */
	cl_seq_block_fn block_fn;
	void *block_arg;

	struct seq_counters ctr;

	/* the read interface's object (seq_reader.c), made once */
	struct seq_reader *reader;
};

/* ---- seq_queue.c ---- */

/* Answer `it` at once with `code` (no block holds it). */
void seq_reply_now(struct item *it, int code, const struct cl_tx *tx);
/*
 * The writer's wait: up to `max` queued items, taken where they lie in the
 * ring (no copy): returns how many, *first gets the first one and the
 * others follow it. They stay the writer's until seq_queue_release();
 * producers never write them meanwhile. Wakes for the open block's
 * deadline or the next timed cut; *stop tells that the sequencer is
 * stopping (nothing is taken then).
 */
size_t seq_queue_take(struct cl_seq *s, struct item **first, size_t max,
		      bool *stop);
/* Give the `n` items of the last take back to the ring (and their pool
 * records to the pool). */
void seq_queue_release(struct cl_seq *s, size_t n);
/* Make the ring of s->cfg.queue_max slots and its side pool (at set-up);
 * seq_queue_free() frees them (nothing made yet is fine). */
void seq_queue_init(struct cl_seq *s);
void seq_queue_free(struct cl_seq *s);
/* Answer everything still queued with CL_SEQ_ERR_SHUTDOWN. */
void seq_queue_drain(struct cl_seq *s);

/* ---- seq_metrics.c ---- */

/* Count one answer with `code` to a submission queued at `t_ns`. */
void seq_count_answer(struct seq_counters *c, bool is_order, int code,
		      uint64_t t_ns);
/* Count a submission refused at the door (queue full). */
void seq_count_busy(struct seq_counters *c, bool is_order);
/* Count a block sealed in `dt_ns` with `ntx` requests. */
void seq_count_seal(struct seq_counters *c, uint64_t dt_ns, uint64_t ntx);

/* ---- seq_block.c (writer thread) ---- */

void seq_publish_status(struct cl_seq *s, uint64_t number, uint64_t ts,
			const struct cl_hash32 *root, uint64_t ntx);
/* Open the next block and do its opening risk work: CL_OK or an error
 * (s->block_open tells whether the block must then be aborted). */
int seq_open_block(struct cl_seq *s);
/* A system failure inside the block: nothing of it is kept. */
void seq_abort_block(struct cl_seq *s, int err);
/* Commit the open block, then answer its submissions. */
void seq_seal_block(struct cl_seq *s);
/* One queued submission into the open block (opening one if needed). */
void seq_process(struct cl_seq *s, struct item *it);

/* ---- seq_cut.c (writer thread) ---- */

int seq_load_cut_cursor(struct cl_seq *s);
int seq_cut_prepare(struct cl_seq *s, struct cl_batch_cut *c);
void seq_cut_done(struct cl_seq *s, const struct cl_batch_cut *c);
void seq_do_cut(struct cl_seq *s);
/* Serve a pending cl_seq_recut() (writer, between blocks). */
void seq_recut_serve(struct cl_seq *s);

/* ---- seq_prune.c (writer thread) ---- */

/* Into the block about to be sealed: drop the requests of a few more
 * block records whose batch is final on L1. */
void seq_prune_blocks(struct cl_seq *s);
/* After that block committed (true) or was thrown away (false). */
void seq_prune_done(struct cl_seq *s, bool committed);

#endif /* CLEARLINE_SEQ_INT_H */
