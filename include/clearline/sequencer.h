/* SPDX-License-Identifier: MIT */
/*
 * sequencer — the single writer: it orders transactions, matches orders,
 * applies everything through the stf and seals blocks.
 *
 * Threads: any number of ingress threads (the RPC workers) decode
 * requests, recover their signatures in parallel (cl_tx_recover) and hand
 * them to cl_seq_submit(), which only enqueues. One writer thread owns the
 * stf, the state and the order books. It opens a block when the first
 * transaction arrives (timestamp: the wall clock, never earlier than the
 * previous block's), applies transactions in arrival order, and seals the
 * block `block_interval_ms` later or when it holds `block_max_txs`: the
 * block record, the state changes and the new root are one LMDB write
 * transaction, synced before cl_state_commit_block() returns. Only then are
 * the block's accepted transactions answered (group commit). A rejected
 * transaction changes nothing and is answered at once.
 *
 * Orders: a PLACE_ORDER that the stf accepts is matched against the
 * market's book (price-time priority, src/matching); every fill is applied
 * as a FILL transaction and may be vetoed by the stf (margin, reduce-only,
 * open-interest cap), and IOC/FOK/post-only/self-trade outcomes are
 * recorded as ORDER_DONE transactions, so the block holds everything a
 * verifier needs to replay it without a book.
 *
 * Back-pressure: the queue is bounded; a full queue makes cl_seq_submit()
 * return CL_ERR_BUSY at once. Nothing grows without bound.
 *
 * Blocks are kept in the local table CL_TABLE_BLOCKS, keyed by number
 * (docs/sequencer.md has the record layout).
 */
#ifndef CLEARLINE_SEQUENCER_H
#define CLEARLINE_SEQUENCER_H

#include <clearline/common.h>
#include <clearline/matching.h>
#include <clearline/state.h>
#include <clearline/stf.h>

struct cl_seq_config {
	uint64_t block_interval_ms; /* seal this long after a block opens */
	uint64_t block_max_txs;     /* ... or when it holds this many */
	uint64_t queue_max;         /* submissions waiting, at most */
};

void cl_seq_config_defaults(struct cl_seq_config *cfg);

/* Outcomes of the sequencer itself (beyond enum cl_stf_code). */
enum {
	CL_SEQ_ERR_NOT_ALLOWED = 100, /* a type clients may not submit */
	CL_SEQ_ERR_SHUTDOWN = 101,    /* the sequencer is stopping */
	CL_SEQ_ERR_BAD_SIGNATURE = 102, /* recovery failed before the queue */
};

const char *cl_seq_err_str(int code);

struct cl_seq_fill {
	struct cl_hash32 maker;
	struct cl_address maker_owner;
	uint64_t price;
	uint64_t size;
};

/* What a submitter learns, once. Pointers are valid during the callback. */
struct cl_seq_result {
	int code;                /* 0, a positive stf/seq code, or < 0 */
	struct cl_hash32 tx_hash;
	uint64_t block;          /* the block that holds it (accepted only) */
	/* PLACE_ORDER */
	struct cl_hash32 order_hash;
	enum cl_order_status status;
	enum cl_done_reason done_reason; /* when status is CL_ORDER_DONE */
	uint64_t filled;
	size_t n_fills;
	const struct cl_seq_fill *fills;
	/* WITHDRAW */
	uint64_t withdrawal_id;
	/* ORACLE_PRICE */
	uint64_t mark_price;
};

/* Called exactly once per accepted submission, on the writer thread: keep
 * it short (copy what you need and wake your thread). */
typedef void (*cl_seq_done_fn)(void *arg, const struct cl_seq_result *r);

struct cl_seq;

/*
 * A sequencer on the open database `db` for the chain `g`. Initialises
 * the genesis state on an empty database; refuses a database of another
 * chain (CL_ERR_CONFIG). Rebuilds the order books from the stored open
 * orders. Returns CL_OK and *out, or a negative error (logged).
 */
CL_WUR int cl_seq_new(struct cl_seq **out, const struct cl_seq_config *cfg,
		      struct cl_db *db, const struct cl_genesis *g);

/* Start the writer thread. */
CL_WUR int cl_seq_start(struct cl_seq *s);

/* Stop: the open block is sealed, queued submissions are answered
 * CL_SEQ_ERR_SHUTDOWN, the thread is joined. Idempotent. */
void cl_seq_stop(struct cl_seq *s);

/* Stop (if running) and free. NULL is a no-op. */
void cl_seq_free(struct cl_seq *s);

const struct cl_eip712_domain *cl_seq_domain(const struct cl_seq *s);
const struct cl_genesis *cl_seq_genesis(const struct cl_seq *s);
struct cl_db *cl_seq_db(const struct cl_seq *s);

/*
 * Queue `tx` (copied; cl_tx_recover() must have run with cl_seq_domain()).
 * Returns CL_OK: `fn(arg, result)` will be called exactly once (NULL fn:
 * fire and forget); CL_ERR_BUSY when the queue is full or the sequencer is
 * stopping (fn is not called); CL_SEQ_ERR_NOT_ALLOWED for FILL and
 * ORDER_DONE, which only the sequencer writes (fn is not called).
 * Thread-safe.
 */
CL_WUR int cl_seq_submit(struct cl_seq *s, const struct cl_tx *tx,
			 cl_seq_done_fn fn, void *arg);

/* The best `max` levels of one side of a market's book; thread-safe.
 * Returns the count, or 0 for an unknown market. */
size_t cl_seq_book_depth(struct cl_seq *s, struct book_level *out,
			 size_t max, uint32_t market, enum book_side side);

struct cl_seq_status {
	uint64_t head_block;        /* last sealed block (0: genesis) */
	uint64_t head_timestamp_ms;
	struct cl_hash32 head_root;
	uint64_t queued;            /* submissions waiting */
	uint64_t txs_sealed;        /* transactions in sealed blocks */
};

void cl_seq_status(struct cl_seq *s, struct cl_seq_status *out);

/*
 * The state root after block `number` (0: genesis) from the block records.
 * Thread-safe (uses a snapshot). CL_OK, CL_ERR_NOT_FOUND, or an error.
 */
CL_WUR int cl_seq_block_root(struct cl_seq *s, struct cl_hash32 *out,
			     uint64_t number);

/* A read view for RPC threads: a fresh snapshot of the last sealed block.
 * Free with cl_seq_view_release(). */
CL_WUR int cl_seq_view(struct cl_seq *s, struct cl_stf_view *out);
void cl_seq_view_release(struct cl_stf_view *v);

/* ---- block records (also used by the batch poster and verifiers) ----
 * key: be64(number); value: be64 timestamp_ms ‖ prev_root (32) ‖
 * be32 tx count ‖ per tx: be32 length ‖ encoding. */
struct cl_block_record {
	uint64_t number;
	uint64_t timestamp_ms;
	struct cl_hash32 prev_root;
	size_t n_txs;
	const uint8_t **txs; /* borrowed from the record bytes */
	size_t *tx_lens;
};

/* Parse a stored record (borrowing `p`); release frees the arrays. */
CL_WUR bool cl_block_record_parse(struct cl_block_record *out,
				  uint64_t number, const uint8_t *p,
				  size_t len);
void cl_block_record_release(struct cl_block_record *r);

#endif /* CLEARLINE_SEQUENCER_H */
