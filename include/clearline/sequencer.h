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
 * Blocks are kept as block records (src/chain, CL_TABLE_BLOCKS), keyed
 * by number (docs/sequencer.md has the record layout).
 */
#ifndef CLEARLINE_SEQUENCER_H
#define CLEARLINE_SEQUENCER_H

#include <clearline/chain.h>
#include <clearline/common.h>
#include <clearline/l1.h>
#include <clearline/matching.h>
#include <clearline/state.h>
#include <clearline/stf.h>

struct cl_seq_config {
	uint64_t block_interval_ms; /* seal this long after a block opens */
	uint64_t block_max_txs;     /* ... or when it holds this many */
	uint64_t block_max_bytes;   /* ... or this many transaction bytes
				     * (at most cut_max_bytes with cuts: a
				     * block never spans two batches) */
	uint64_t queue_max;         /* submissions waiting, at most */
	uint64_t cut_interval_ms;   /* cut a batch at the latest this long
				     * after its first block; 0: never */
	uint64_t cut_max_bytes;     /* a batch holds at most this many
				     * transaction bytes (also the limit of
				     * a re-cut) */
	uint64_t cut_target_bytes;  /* ... and is cut once it holds this
				     * many; 0 or above cut_max_bytes:
				     * cut_max_bytes */
	/* the requests of a block whose batch is final on L1 are dropped
	 * from its record once this many newer blocks exist (its header
	 * and root stay; the requests are on L1 for good), at most
	 * prune_per_block records per sealed block; archive_blocks:
	 * never */
	uint64_t keep_blocks;
	uint64_t prune_per_block;
	bool archive_blocks;
	bool wait_for_l1;           /* attached to L1: no block before the
				     * L1 driver named an L1 block
				     * (cl_seq_set_l1_ref) */
	/* tests only (--censor): refuse every request signed by `censored`
	 * with CL_SEQ_ERR_CENSORED */
	bool censor;
	struct cl_address censored;
};

void cl_seq_config_defaults(struct cl_seq_config *cfg);

/* Outcomes of the sequencer itself (beyond enum cl_stf_code). */
enum {
	CL_SEQ_ERR_NOT_ALLOWED = 100, /* a type clients may not submit */
	CL_SEQ_ERR_SHUTDOWN = 101,    /* the sequencer is stopping */
	CL_SEQ_ERR_BAD_SIGNATURE = 102, /* recovery failed before the queue */
	CL_SEQ_ERR_NO_L1 = 103,       /* no L1 block seen yet: retry */
	CL_SEQ_ERR_CENSORED = 104,    /* tests only: --censor */
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
	/* OPTION_LIST: the id of the market listed */
	uint32_t listed_market;
	/* ORACLE_PRICE */
	uint64_t mark_price;
};

/* Called exactly once per accepted submission, on the writer thread: keep
 * it short (copy what you need and wake your thread). */
typedef void (*cl_seq_done_fn)(void *arg, const struct cl_seq_result *r);

struct cl_seq;
struct cl_l1_driver;

/*
 * A sequencer on the open database `db` for the chain `g`. Initialises
 * the genesis state on an empty database; refuses a database of another
 * chain (CL_ERR_CONFIG). Rebuilds the order books from the stored open
 * orders. Returns CL_OK and *out, or a negative error (logged).
 */
CL_WUR int cl_seq_new(struct cl_seq **out, const struct cl_seq_config *cfg,
		      struct cl_db *db, const struct cl_genesis *g);

/*
 * A fill of a committed block, with what took it. CL_STF_FILL_ORDER: a
 * request's fill, `taker` is the hash its answer names (an order, a TWAP
 * or a scale order) and market, taker_trader and taker_is_buy are zero
 * (read them from the order). The other kinds are the stf's derived
 * fills (struct cl_stf_block_fill): taker is the fired trigger order or
 * the TWAP slice (zero for a liquidation or the fund's unwind) and the
 * three fields say where and who.
 */
struct cl_seq_trade {
	enum cl_stf_fill_kind kind;
	struct cl_hash32 taker;
	struct cl_seq_fill fill; /* the resting order, its owner, price, size */
	uint32_t market;
	struct cl_address taker_trader; /* zero: the insurance fund */
	bool taker_is_buy;
};

/* A committed block as the block hook sees it. */
struct cl_seq_block_event {
	uint64_t number;
	uint64_t timestamp_ms;
	struct cl_hash32 root;  /* the state root after it */
	size_t n_trades;        /* its fills in the order they happened:
				 * its requests' and those the stf derived
				 * (cl_stf_block_fills()) */
	const struct cl_seq_trade *trades; /* valid during the call */
};

/*
 * Be told of every committed block: `fn(arg, ev)` is called on the
 * writer thread right after the block is durable, before its submissions
 * are answered. It must not block (copy what it needs and hand it to its
 * own thread through a bounded queue). Call before cl_seq_start(); NULL
 * fn: none.
 */
typedef void (*cl_seq_block_fn)(void *arg,
				const struct cl_seq_block_event *ev);
void cl_seq_on_block(struct cl_seq *s, cl_seq_block_fn fn, void *arg);

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
 * fire and forget); CL_ERR_BUSY when the queue is full, CL_SEQ_ERR_SHUTDOWN
 * when the sequencer is stopping (fn is not called in either case); CL_SEQ_ERR_NOT_ALLOWED for FILL and
 * ORDER_DONE, which only the sequencer writes (fn is not called).
 * Thread-safe.
 */
CL_WUR int cl_seq_submit(struct cl_seq *s, const struct cl_tx *tx,
			 cl_seq_done_fn fn, void *arg);

/*
 * A credit for a node without an L1 (operator method op_credit): a
 * DEPOSIT of `amount` to `to` whose id the writer assigns (the next
 * deposit id), so concurrent credits never race and a refused one leaves
 * no gap. Same returns as cl_seq_submit().
 */
CL_WUR int cl_seq_submit_credit(struct cl_seq *s, const struct cl_address *to,
				uint64_t amount, cl_seq_done_fn fn, void *arg);

/*
 * The L1 block the next blocks name (the L1 driver sets it: the newest
 * block at its confirmation depth; it must never go backwards). Without
 * one the sequencer names a made-up L1 block per second (a devnet
 * without L1). Thread-safe.
 */
void cl_seq_set_l1_ref(struct cl_seq *s, const struct cl_l1_ref *ref);

/*
 * How many batches are final on L1 (finalizedBatchCount; the L1 driver
 * sets it after each poll). The writer then drops the requests of the
 * final batches' block records, a few with each block it seals
 * (cl_seq_config.keep_blocks). Thread-safe.
 */
void cl_seq_set_final_batches(struct cl_seq *s, uint64_t count);

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

/*
 * The read interface of a sequencer (include/clearline/chain.h): its
 * book, block roots and status; with `l1` (may be NULL: no L1 attached)
 * also the batches posted and final, and claims. Both objects are
 * borrowed and must outlive every use of *out. Call it before the reader
 * is shared (the object it points to is made on the first call; later
 * calls must name the same driver).
 */
void cl_seq_reader(struct cl_chain_reader *out, struct cl_seq *s,
		   struct cl_l1_driver *l1);

/* ---- batch cuts ----
 * The writer cuts the sealed blocks into batches for L1 (cut_interval_ms,
 * cut_max_bytes): a cut fixes the block range, the state root after its
 * last block and the deposits consumed, and stores an inclusion proof
 * against that root for every withdrawal made in the range, in the same
 * LMDB transaction. The records belong to src/chain (struct
 * cl_batch_cut, cl_chain_get_cut(), cl_chain_cut_blocks(),
 * cl_chain_get_withdrawal_proof()). */


/*
 * Merge the cuts from `from` on (up to the last cut, plus the blocks
 * sealed since) into as few cuts as cut_max_bytes allows, at the old cut
 * boundaries; the last new cut ends at the head and holds the proofs of
 * every withdrawal of the merged range. Used by the L1 driver when the
 * cuts from `from` are to be posted again (after a discard) or late.
 * The writer does it between blocks; the call waits for it.
 *
 * cuts: out: how many cuts from `from` on exist afterwards.
 * Returns CL_OK; CL_ERR_NOT_FOUND when nothing would merge (no cut
 * `from`, or the cuts are as few as the limit allows); CL_ERR_BUSY when
 * another re-cut is under way; CL_SEQ_ERR_SHUTDOWN; or a storage error.
 * Thread-safe; never call it from the writer (a deposit callback).
 */
CL_WUR int cl_seq_recut(struct cl_seq *s, uint64_t from, uint64_t *cuts);


/* ---- the link to L1 (src/sequencer/l1_driver.c) ----
 * A thread that credits L1 deposits through the sequencer (in id order,
 * exactly once) and posts the batch cuts to the rollup contract, one at a
 * time and in order, resuming from the contract's batchCount. */
struct cl_l1_driver_config {
	const char *url;            /* L1 JSON-RPC endpoint */
	const char *datadir;        /* the sender's nonce file lives here */
	const struct cl_seckey *key; /* the sequencer's key (borrowed) */
	struct cl_address rollup;
	uint64_t chain_id;          /* must match the L1 */
	uint64_t confirmations;     /* depth for deposits and batches */
	uint64_t ref_lag;           /* the L1 block blocks name: this many
				     * below the confirmed head (docs/sequencer.md) */
	uint64_t poll_ms;
	uint64_t start_block;       /* where deposits are searched from */
	uint64_t max_fee_wei;       /* fee ceiling per gas */
	uint64_t drop_timeout_ms;   /* sender: 0 takes its default */
	size_t batches_in_flight;   /* 1..CL_L1_MAX_BATCHES_IN_FLIGHT; 0: 4 */
	int zstd_level;
	size_t max_calldata;        /* appendBatch calldata bytes, at most */
	const char *fault;          /* tests only: KIND[:AT] (fault.c) */
	/* tests only (--censor): never apply this account's forced
	 * requests (NULL: apply all); the queue stalls at the first */
	const struct cl_address *censor;
	const char *game_program;   /* stf.elf: defend our batches in
				     * dispute games; NULL: do not */
};

/* L1 counts as unreachable in the status when no call was answered for
 * this long (or three polls, if longer). */
#define CL_L1_REACHABLE_MS 10000

/* Most appendBatch transactions on their way to L1 at once. */
#define CL_L1_MAX_BATCHES_IN_FLIGHT 16

struct cl_l1_status {
	bool attached;              /* a driver runs */
	/* dispute games against our batches (has_games: game-program set
	 * and the game contracts read) */
	bool has_games;
	size_t n_games;
	struct cl_chain_game games[CL_CHAIN_MAX_GAMES];
	/* an L1 call succeeded within the last CL_L1_REACHABLE_MS and the
	 * last poll did not fail (docs/sequencer.md) */
	bool reachable;
	uint64_t l1_head;
	uint64_t batches_posted;    /* the contract's batchCount */
	uint64_t batches_final;     /* batches 0..n-1 are final */
	uint64_t deposits_credited; /* deposit ids below this are credited */
	uint64_t forced_applied;    /* forced request ids below this are
				     * applied (docs/sequencer.md) */
	uint64_t asset_deposits_credited; /* asset deposit ids below this
					   * are credited */
	uint64_t l1_scanned;        /* deposits scanned below this L1 block */
	bool posting;               /* a batch is in flight, not yet final */
	size_t last_batch_bytes;    /* calldata of the last confirmed batch */
	uint64_t last_batch_gas;
	size_t last_batch_orders;
	/* why the last post failed, "" after a success (e.g. "appendBatch
	 * reverts: ForcedInclusionViolated(depositId 2, deadline 1700000600)") */
	char post_error[200];
	uint64_t post_failures;     /* failed posts in a row */
	/* batches this driver saw confirmed since it started, and their
	 * calldata bytes and gas (for metrics) */
	uint64_t batches_confirmed;
	uint64_t batch_bytes_total;
	uint64_t batch_gas_total;
};

struct cl_l1_driver;

CL_WUR int cl_l1_driver_start(struct cl_l1_driver **out,
			      const struct cl_l1_driver_config *cfg,
			      struct cl_seq *seq);
/* Stop the thread and free; NULL is a no-op. */
void cl_l1_driver_stop(struct cl_l1_driver *drv);
void cl_l1_driver_status(struct cl_l1_driver *drv, struct cl_l1_status *out);
/* Ask L1 whether withdrawal `wid` was claimed (thread-safe). */
CL_WUR int cl_l1_driver_is_claimed(struct cl_l1_driver *drv, bool *claimed,
				   uint64_t wid);
/* The record of live batch `index` from L1 (cl_l1_batch_record()), for
 * a withdrawal claim. Thread-safe. */
CL_WUR int cl_l1_driver_batch_record(struct cl_l1_driver *drv,
				     struct cl_l1_batch_event *out,
				     uint64_t index);
const struct cl_address *cl_l1_driver_rollup(const struct cl_l1_driver *drv);

/* ---- fault injection, for tests only (src/sequencer/fault.c) ----
 * Corrupts exactly one thing in exactly one posted batch at posting time;
 * the sequencer's own state stays honest. KIND is root, fill-size,
 * fill-price, balance, drop or signature; AT (default 0) is the first
 * batch index that may be corrupted: the first batch at or after it that
 * holds a suitable transaction is the one (docs/verifier.md). */
enum cl_seq_fault_kind {
	CL_FAULT_NONE = 0,
	CL_FAULT_ROOT,       /* the batch's post-state root */
	CL_FAULT_BLOCK_ROOT, /* the root after the batch's first block */
	CL_FAULT_BALANCE,    /* a deposit's amount (+1) */
	CL_FAULT_DROP,       /* the batch's last acknowledged request */
	CL_FAULT_SIGNATURE,  /* a byte of an order's signature */
	CL_FAULT_TIME,       /* a block time beyond its L1 block's window */
	CL_FAULT_L1_REF,     /* an L1 reference that is not on L1 */
	CL_FAULT_WITHDRAWAL_ROOT, /* the posted withdrawal root only */
	CL_FAULT_FORCED,     /* a forced request's amount or fields, not as
			      * on L1 */
	CL_FAULT_FORCED_COUNT, /* the posted forcedConsumed (-1) only */
	CL_FAULT_CENSOR_FORCED, /* forced requests are never applied (the
				 * batches stay honest) */
	CL_FAULT_L1_TIMESTAMP, /* the posted l1Timestamp only (+1 s) */
	CL_FAULT_ASSET_DEPOSIT, /* an asset deposit's amount (+1) */
	CL_FAULT_ASSET_COUNT, /* the posted assetDepositsConsumed (-1) only */
};

struct cl_seq_fault {
	enum cl_seq_fault_kind kind;
	uint64_t at;
	bool applied;     /* a batch was corrupted ... */
	uint64_t batch;   /* ... this one (corrupted again if posted again
			   * before L1 confirmed it; honest after) */
};

/* Parse "KIND[:AT]"; false (and *out zeroed) when malformed. */
CL_WUR bool cl_seq_fault_parse(struct cl_seq_fault *out, const char *spec);
bool cl_seq_fault_valid(const char *spec);

/*
 * The hook of the batch poster: called with batch `index`, its blocks
 * (cl_chain_cut_blocks()) and its cut just before encoding. When this
 * batch is the one, changes the blocks or the cut's root and returns
 * true (logged as unusual with what changed).
 */
bool cl_seq_fault_apply(struct cl_seq_fault *f, uint64_t index,
			struct cl_batch2 *b, struct cl_batch_cut *cut);

/* ---- counters for the metrics endpoint (src/sequencer/seq_metrics.c) ----
 * Counted with relaxed atomics where submissions are answered and blocks
 * sealed: no lock on the hot path. Durations are in microseconds, in
 * buckets with the upper bounds below (the last bucket is unbounded). */
#define CL_SEQ_HIST_BOUNDS 14
extern const uint64_t cl_seq_hist_bounds_us[CL_SEQ_HIST_BOUNDS];

struct cl_seq_hist {
	/* per bucket, not cumulative; the last: above every bound */
	uint64_t bucket[CL_SEQ_HIST_BOUNDS + 1];
	uint64_t sum_us;
};

/* What became of a submission. */
enum cl_seq_outcome {
	CL_SEQ_ACCEPTED = 0, /* in a durable block */
	CL_SEQ_REJECTED = 1, /* a domain outcome of the stf (code 1..99) */
	CL_SEQ_REFUSED = 2,  /* by the sequencer itself (code >= 100:
			      * shutdown, no L1 block yet) */
	CL_SEQ_BUSY = 3,     /* the queue was full (never queued) */
	CL_SEQ_FAILED = 4,   /* a system failure (negative code) */
};
#define CL_SEQ_N_OUTCOMES 5
/* Rejected orders are also counted per code below this. */
#define CL_SEQ_MAX_CODE 128

struct cl_seq_metrics {
	uint64_t requests[CL_SEQ_N_OUTCOMES]; /* every submission */
	uint64_t orders[CL_SEQ_N_OUTCOMES];   /* PLACE_ORDER only */
	uint64_t order_rejects[CL_SEQ_MAX_CODE]; /* rejected orders by code */
	struct cl_seq_hist ack;   /* submit to answer, every answer */
	struct cl_seq_hist seal;  /* a block's seal: commit and sync */
	uint64_t blocks_sealed;   /* by this process */
	uint64_t txs_sealed;      /* requests in them */
	uint64_t queued;          /* submissions waiting now */
	uint64_t queue_max;       /* the queue's bound */
	uint64_t pruned_through;  /* the last block record pruned to its
				   * header (cl_seq_set_final_batches) */
	uint64_t pruned_bytes;    /* request bytes pruned by this process */
};

/* The counters since cl_seq_new() (thread-safe; the fields are read one
 * at a time, so a sum may be a few counts behind its parts). */
void cl_seq_metrics(struct cl_seq *s, struct cl_seq_metrics *out);

#endif /* CLEARLINE_SEQUENCER_H */
