/* SPDX-License-Identifier: MIT */
/*
 * verifier — derives the L2 chain from L1 alone and checks every posted
 * batch by replaying it through the same stf as the sequencer.
 *
 * Derivation: one thread follows the rollup contract. It scans the
 * contract's logs in bounded eth_getLogs ranges that end at the
 * confirmation depth (head - confirmations + 1), in log order. Deposit
 * events are remembered (their contents are what a DEPOSIT transaction
 * must carry); each BatchAppended event is handled when it is reached:
 * the batch data comes from the posting transaction's input
 * (cl_l1_abi_decode_append_batch), keccak256(data) must equal the event's
 * dataHash, the data is decoded with bounds (cl_batch_decode), every
 * transaction must decode, and the blocks are replayed
 * (cl_replay_blocks() below; the signatures recovered on a helper thread
 * ahead of the writer): begin_block with the block's number,
 * timestamp and the previous root; every transaction must be accepted;
 * a DEPOSIT must equal the L1 Deposit event of its id; each block is
 * committed and its root compared with the root the batch carries; at
 * the end the event's stateRoot, withdrawalRoot and depositsConsumed are
 * compared with the derived state. docs/verifier.md has the details.
 *
 * Persistence: the verifier's own LMDB (its datadir) holds the derived
 * state and, through src/chain (CL_TABLE_NODE), its cursor (the next batch
 * index and the L1 position of the last verified batch), the deposits
 * seen but not yet consumed, the root after every block, per-batch
 * records and the withdrawal proofs of every verified batch. Each block is
 * one LMDB transaction that also records which batch it belongs to; the
 * cursor moves in the transaction that closes a batch, right after its
 * last block's root was compared. A SIGKILL at any instant resumes
 * correctly: blocks of an unfinished batch are recognised by that record
 * and checked against the batch again instead of being replayed.
 * Durability: the database commits with CL_DB_SYNC_DATA (data pages
 * synced per commit, the meta page by the next one) and each verified
 * batch ends with cl_db_sync(): a machine crash keeps the database whole
 * and may undo the last commit, which is derived again
 * (docs/verifier.md "Durability").
 *
 * Faults: on the first mismatch the verifier stops applying at that batch,
 * logs exactly one `broken` line and exposes the fault in its status.
 * With a key and the game program it plays a dispute game against the
 * batch on L1 (docs/verifier.md "Games"): it rebuilds the state before
 * the faulty block, asks the verdict program natively, and when the
 * program proves the fault (verdict 1) opens a game with the real final
 * state hash and plays every move until the game is resolved. A batch
 * is challenged only while it is still the live batch of that index on
 * L1 (same dataHash).
 *
 * Reorgs and discards: only confirmed logs are used, so a reorg shallower
 * than the depth never reaches applied state. A deeper reorg that changes
 * the L1 block of the last verified batch, or a BatchesDiscarded event
 * below the cursor, makes the verifier wipe its database and derive again
 * from genesis (correct, slow).
 *
 * Threads: the derivation thread is the only writer of the database.
 * cl_verifier_status(), the order-book and root readers and
 * cl_verifier_is_claimed() may be called from any thread.
 */
#ifndef CLEARLINE_VERIFIER_H
#define CLEARLINE_VERIFIER_H

#include <clearline/batch.h>
#include <clearline/chain.h>
#include <clearline/common.h>
#include <clearline/l1.h>
#include <clearline/matching.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#include <pthread.h>

struct cl_verifier_config {
	bool replica;		     /* keep order books for readers */
	const char *l1_url;	     /* L1 JSON-RPC endpoint (copied) */
	const char *datadir;	     /* the challenger's nonce file (copied) */
	const struct cl_seckey *key; /* challenger key (borrowed); NULL:
				      * faults are reported, not challenged */
	uint64_t confirmations;	     /* L1 depth before a log is used, >= 1 */
	uint64_t poll_ms;	     /* pause between idle rounds */
	uint64_t start_block;	     /* first L1 block to scan */
	uint64_t log_range;	     /* L1 blocks per eth_getLogs, >= 1 */
	uint64_t max_fee_wei;	     /* fee ceiling of the challenge */
	uint64_t drop_timeout_ms;    /* sender: 0 takes its default */
	uint64_t progress_ms;	     /* period of the progress log line */
	const char *game_program;    /* stf.elf, read at start; NULL: a
				      * fault is reported, no game played */
	struct cl_batch_limits limits;
};

/* Defaults: confirmations 3, poll 500 ms, range 1000, progress 5 s,
 * default batch limits, 500 gwei; everything else zero or NULL. */
void cl_verifier_config_defaults(struct cl_verifier_config *cfg);

struct cl_verifier_status {
	bool replica;
	bool l1_reachable;
	bool has_derived;	/* derived_batch is valid */
	uint64_t derived_batch; /* last batch verified */
	bool has_posted;
	uint64_t posted_batch; /* last batch on L1 (batchCount - 1) */
	bool has_final;
	uint64_t finalized_batch;   /* last final batch */
	uint64_t posted_last_block; /* last L2 block posted (nextL2Block - 1) */
	uint64_t head_block;	    /* last derived block */
	uint64_t head_timestamp_ms;
	struct cl_hash32 head_root;
	uint64_t l1_head;
	uint64_t l1_scanned; /* L1 blocks below this are scanned */
	uint64_t blocks_per_second;
	bool has_eta;
	uint64_t eta_seconds;
	uint64_t txs_derived;	/* transactions replayed (persisted) */
	uint64_t rederivations; /* wipes since start */
	struct cl_chain_fault fault; /* the first wrong thing found */
	/* the dispute game against it (has_games: game-program set) */
	bool has_games;
	size_t n_games;
	struct cl_chain_game games[1];
};

struct cl_verifier;

/*
 * A verifier on the open database `db` (borrowed; the verifier is its
 * only writer) for the chain `g` (copied). Writes the genesis state on an
 * empty database and refuses one of another chain (CL_ERR_CONFIG).
 * Returns CL_OK and *out, or a negative error (logged).
 */
CL_WUR int cl_verifier_new(struct cl_verifier **out,
			   const struct cl_verifier_config *cfg,
			   struct cl_db *db, const struct cl_genesis *g);

/* Start the derivation thread. CL_OK or CL_ERR_IO. */
CL_WUR int cl_verifier_start(struct cl_verifier *v);

/* Stop and join the thread (idempotent). */
void cl_verifier_stop(struct cl_verifier *v);

/* Stop and free; NULL is a no-op. */
void cl_verifier_free(struct cl_verifier *v);

void cl_verifier_status(struct cl_verifier *v, struct cl_verifier_status *out);

/* True when the verifier keeps order books (replica). */
bool cl_verifier_has_books(const struct cl_verifier *v);

/* The best `max` levels of one side of a market's derived book
 * (replicas only; 0 otherwise or for an unknown market). Thread-safe. */
size_t cl_verifier_book_depth(struct cl_verifier *v, struct book_level *out,
			      size_t max, uint32_t market, enum book_side side);

/* The state root after derived block `number` (0: genesis). Thread-safe.
 * CL_OK, CL_ERR_NOT_FOUND (not derived yet), or an error. */
CL_WUR int cl_verifier_block_root(struct cl_verifier *v, struct cl_hash32 *out,
				  uint64_t number);

/* Withdrawal proofs are stored when a batch is verified, in the same
 * format as a sequencer's: read them with
 * cl_chain_get_withdrawal_proof(). */

/* Ask L1 whether withdrawal `wid` was claimed. Thread-safe. */
CL_WUR int cl_verifier_is_claimed(struct cl_verifier *v, bool *claimed,
				  uint64_t wid);

/* The record of live batch `index` from L1 (cl_l1_batch_record()), for
 * a withdrawal claim. Thread-safe. */
CL_WUR int cl_verifier_batch_record(struct cl_verifier *v,
				    struct cl_l1_batch_event *out,
				    uint64_t index);

const struct cl_address *cl_verifier_rollup(const struct cl_verifier *v);

/* The read interface of a verifier or replica (include/clearline/
 * chain.h): the derived state, roots, the replica's books, the sync
 * status and claims. `v` is borrowed and must outlive every use. */
void cl_verifier_reader(struct cl_chain_reader *out, struct cl_verifier *v);

/* ------------------------------------------------------------------ */
/* Applying the blocks of a batch                                      */
/* ------------------------------------------------------------------ */

/*
 * The derivation thread's inner loop, public so that the replay bench
 * (tests/bench/bench_replay) and the replay crash test run exactly what
 * the verifier runs.
 *
 * cl_replay_blocks() applies blocks [from, n_blocks) of a decoded batch.
 * Signatures: a helper thread recovers the requests in order, ahead of
 * the writer; the writer, when the block it needs next is not recovered
 * yet, recovers the unclaimed rest of it itself, so both cores work
 * whichever side is slower. Each block: hooks.block, cl_stf_open_block
 * with the block's header (the previous root from the state), for every
 * request hooks.request then cl_stf_request, cl_stf_end_block; then the
 * root after the previous block and the batch's partial record
 * (cl_chain_put_root, cl_chain_put_partial) go into the same overlay,
 * the block is committed as its own transaction (cl_state_commit_block,
 * with the database's sync mode), hooks.committed is called, and the
 * root is compared with the block's root in the batch. The stf's calls
 * are made under `books_lock` (write) when it is set.
 */
enum cl_replay_fault_kind {
	CL_REPLAY_HEADER_REFUSED,  /* cl_stf_open_block refused the header */
	CL_REPLAY_REQUEST_REFUSED, /* cl_stf_request refused request `tx` */
	CL_REPLAY_ROOT_DIFFERS,	   /* the derived root is not the batch's */
};

struct cl_replay_fault {
	enum cl_replay_fault_kind kind;
	const struct cl_batch2_block *blk;
	size_t tx;	       /* REQUEST_REFUSED: index in the block */
	int code;	       /* REFUSED kinds: the stf's code */
	struct cl_hash32 root; /* ROOT_DIFFERS: the derived root (the
				* block is committed) */
};

/*
 * Hooks (arg is passed to each). A hook's positive return means it
 * recorded a fault: the replay stops and returns that value unchanged.
 */
struct cl_replay_hooks {
	void *arg;
	/* Before block `blk` opens (NULL: none). CL_OK, positive, or a
	 * negative error (the replay stops with it). */
	int (*block)(void *arg, const struct cl_batch2_block *blk);
	/* Before request i of `blk` (recovered) is applied (NULL: none). */
	int (*request)(void *arg, const struct cl_batch2_block *blk, size_t i,
		       const struct cl_tx *tx);
	/* A fault the replay found (required): record it, return a
	 * positive code. */
	int (*fault)(void *arg, const struct cl_replay_fault *f);
	/* After block `blk` committed, before its root is compared (NULL:
	 * none). */
	void (*committed)(void *arg, const struct cl_batch2_block *blk);
	/* Between blocks: true stops the replay with CL_ERR_BUSY (NULL:
	 * never). */
	bool (*stop)(void *arg);
	/* After the last block, its root compared (NULL: none): the
	 * batch's close, while the helper recovers the next batch.
	 * CL_OK, positive or a negative error, returned as is. */
	int (*end)(void *arg);
};

struct cl_replay {
	struct cl_state *st; /* the only writer of its database */
	struct cl_stf *stf;  /* on st */
	pthread_rwlock_t *books_lock; /* NULL: none */
	struct cl_replay_hooks hooks;
};

/* A decoded batch to replay. */
struct cl_replay_batch {
	struct cl_batch2 *b;	    /* borrowed; its requests are recovered
				     * in place (tx->auth) */
	uint64_t index;		    /* its number, for the partial record */
	struct cl_hash32 data_hash; /* its dataHash, for the partial record */
	size_t recovered;	    /* its first requests (from block 0)
				     * recovered already: skipped */
};

/*
 * Apply blocks [from, rb->b->n_blocks) of batch `rb`, then call
 * hooks.end. `next` (NULL: none) is the batch that comes after: once the
 * helper has recovered every request of `rb`, it goes on with next's, in
 * order, until this call returns (through the last block's commit and
 * hooks.end), and next->recovered is raised to the prefix it finished;
 * pass `next` as `rb` to the following call. Returns CL_OK (every block
 * committed, its root the batch's, hooks.end CL_OK), a hook's positive
 * code, CL_ERR_BUSY (hooks.stop), or a negative error. On anything but
 * CL_OK the block being applied is discarded and the blocks before it
 * stay committed.
 */
CL_WUR int cl_replay_blocks(const struct cl_replay *r,
			    struct cl_replay_batch *rb, size_t from,
			    struct cl_replay_batch *next);

#endif /* CLEARLINE_VERIFIER_H */
