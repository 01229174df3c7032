/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's private header: the object every file of
 * src/sequencer shares and the functions they call across files. Nothing
 * outside src/sequencer includes it.
 *
 * Files, one job each:
 *   sequencer.c  life cycle, the writer thread, published status, readers
 *   seq_queue.c  the ingress queue (submit, credit, shutdown answers)
 *   seq_block.c  block building: open, apply and log, seal, abort, acks
 *   seq_match.c  matching a PLACE_ORDER (FILL and ORDER_DONE transactions)
 *   seq_risk.c   liquidations, the multi-market sweep, the fund's unwind
 *   seq_books.c  the order books and the expiry heap
 *   seq_cut.c    batch cuts and their withdrawal proofs
 *   seq_reader.c the read interface (struct cl_chain_reader)
 *   l1_driver.c  the link to L1 (deposits in, batches out)
 *   fault.c      fault injection for tests
 *
 * Threads: everything here except the queue, the books' read side and the
 * published status belongs to the writer thread.
 */
#ifndef CLEARLINE_SEQ_INT_H
#define CLEARLINE_SEQ_INT_H

#include <clearline/batch.h>
#include <clearline/sequencer.h>

#include <pthread.h>

struct item {
	struct cl_tx tx;
	cl_seq_done_fn fn;
	void *arg;
	bool assign_deposit_id; /* a dev credit: the writer picks the id */
};

/* An accepted submission waiting for its block to be durable. */
struct ack {
	cl_seq_done_fn fn;
	void *arg;
	struct cl_seq_result r;
	size_t fills_off; /* into seq->fills */
};

/* What the fill callback learns while a taker matches. */
struct maker_reason {
	struct cl_hash32 maker;
	enum cl_done_reason reason;
};

/* A resting order by expiry (the writer's expiry heap). */
struct expiring {
	uint64_t expiry;
	struct cl_hash32 hash;
	uint32_t mi; /* market index */
};

struct match_ctx {
	struct cl_seq *s;
	const struct cl_tx *place;
	enum cl_done_reason taker_reason;
	int sys_err;
	struct maker_reason *reasons;
	size_t n_reasons, cap_reasons;
};

struct cl_seq {
	struct cl_seq_config cfg;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_genesis genesis;

	/* books: written by the writer under the write lock */
	pthread_rwlock_t books_lock;
	struct book *books[CL_GENESIS_MAX_MARKETS];
	struct book_plan plan;
	/* risk engine (writer only) */
	uint64_t adl_reindexed[CL_GENESIS_MAX_MARKETS][2]; /* block */
	struct cl_address multi_cursor;
	bool multi_has_cursor;
	bool risk_pending; /* risk work stopped at a full block */
	/* resting orders by expiry, a binary min-heap; entries of orders
	 * that left the book are dropped when they come up (writer only) */
	struct expiring *exp;
	size_t n_exp, cap_exp;

	/* the queue */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct item *q;
	size_t qcap, qhead, qlen;
	bool stopping, running;
	pthread_t thread;

	/* the open block (writer only) */
	bool block_open;
	struct cl_block_header hdr;
	uint64_t deadline_ns;
	struct cl_buf block_txs; /* be32 len ‖ encoding, per tx */
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

	/* published status */
	pthread_mutex_t status_lock;
	struct cl_seq_status status;

	/* the read interface's object (seq_reader.c), made once */
	struct seq_reader *reader;
};

/* ---- seq_queue.c ---- */

/* Answer `it` at once with `code` (no block holds it). */
void seq_reply_now(struct item *it, int code, const struct cl_tx *tx);
/* The writer's wait: up to `max` queued items into `out` (their count),
 * waking for the open block's deadline or the next timed cut; *stop
 * tells that the sequencer is stopping (nothing is taken then). */
size_t seq_queue_take(struct cl_seq *s, struct item *out, size_t max,
		      bool *stop);
/* Answer everything still queued with CL_SEQ_ERR_SHUTDOWN. */
void seq_queue_drain(struct cl_seq *s);

/* ---- seq_block.c (writer thread) ---- */

/* Apply `tx` through the stf and, when accepted, log it into the open
 * block. CL_STF_OK, a positive stf code (nothing changed) or < 0. */
int seq_apply_logged(struct cl_seq *s, const struct cl_tx *tx);
/* An ORDER_DONE the sequencer must be able to write; a refusal is logged
 * as broken. Same returns as seq_apply_logged(). */
int seq_apply_done(struct cl_seq *s, const struct cl_hash32 *order,
		   enum cl_done_reason reason);
/* Keep `it` to be answered when the block is durable. */
struct ack *seq_push_ack(struct cl_seq *s, struct item *it,
			 const struct cl_tx *tx);
/* Record a fill for the last ack's answer. */
void seq_push_fill(struct cl_seq *s, const struct book_candidate *c,
		   uint64_t size);
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

/* ---- seq_match.c (writer thread) ---- */

/* How much of `side` would only reduce owner's position in `market`. */
int seq_reducible(struct cl_seq *s, uint64_t *out,
		  const struct cl_address *owner, uint32_t market,
		  enum book_side side);
void seq_note_maker(struct match_ctx *m, const struct cl_hash32 *h,
		    enum cl_done_reason reason);
enum cl_done_reason seq_maker_reason(const struct match_ctx *m,
				     const struct cl_hash32 *h);
/* A PLACE_ORDER: apply, match, close. 0, or a negative system error that
 * aborts the block; *acked tells whether the item waits in the acks. */
int seq_process_place(struct cl_seq *s, struct item *it, bool *acked);

/* ---- seq_risk.c (writer thread) ---- */

/* Is the open block too full for more risk work? Sets risk_pending. */
bool seq_block_full(struct cl_seq *s);
int seq_run_liquidations(struct cl_seq *s, uint32_t market);
int seq_sweep_multi_market(struct cl_seq *s);
int seq_unwind_fund(struct cl_seq *s);

/* ---- seq_books.c ---- */

/* Index of `market` in the genesis, or -1. */
int seq_market_index(const struct cl_genesis *g, uint32_t market);
void seq_exp_push(struct cl_seq *s, uint64_t expiry,
		  const struct cl_hash32 *hash, uint32_t mi);
void seq_books_free(struct cl_seq *s);
void seq_book_order_from(struct book_order *o, const struct cl_hash32 *h,
			 const struct cl_order_record *r);
/* Rebuild every book from the open orders in the committed state. */
int seq_books_rebuild(struct cl_seq *s);
/* A CANCEL was applied: take the order out of the book of `market`. */
void seq_books_cancel(struct cl_seq *s, uint32_t market,
		      const struct cl_hash32 *order);
/* Close the resting orders that expired (writer thread, open block). */
int seq_sweep_expired(struct cl_seq *s);

/* ---- seq_cut.c (writer thread) ---- */

int seq_load_cut_cursor(struct cl_seq *s);
int seq_cut_prepare(struct cl_seq *s, struct cl_batch_cut *c);
void seq_cut_done(struct cl_seq *s, const struct cl_batch_cut *c);
void seq_do_cut(struct cl_seq *s);

#endif /* CLEARLINE_SEQ_INT_H */
