/* SPDX-License-Identifier: MIT */
/*
 * The verifier's private header: the object every file of src/verifier
 * shares and the functions they call across files. Nothing outside
 * src/verifier includes it.
 *
 * Files, one job each:
 *   verifier.c       life cycle, the derivation loop, start-up and wipe,
 *                    readers
 *   ver_scan.c       following L1: counters, confirmed logs, the anchor
 *   ver_replay.c     fetching, checking, replaying and closing one batch
 *   ver_blocks.c     applying a batch's blocks (cl_replay_blocks, also
 *                    run by the replay bench and crash test)
 *   ver_deposits.c   the cursor and the L1 deposits not yet consumed
 *   ver_forced.c     L1 forced requests seen; each FORCED checked against L1
 *   ver_assets.c     the assets contract against the genesis; each
 *                    ASSET_DEPOSIT and each batch's count against L1
 *   ver_challenge.c  recording a fault
 *   ver_game.c       the dispute game against the faulty batch on L1
 *   ver_status.c     the published status and the progress line
 *   ver_reader.c     the read interface (struct cl_chain_reader)
 *
 * Threads: everything here belongs to the derivation thread except what
 * is under `lock` (status, stop), `books_lock` (the stf's books, which
 * replicas serve) and `qlock`
 * (the readers' L1 client).
 */
#ifndef CLEARLINE_VER_INT_H
#define CLEARLINE_VER_INT_H

#include <clearline/batch.h>
#include <clearline/chain.h>
#include <clearline/game.h>
#include <clearline/verifier.h>

#include <pthread.h>

/* ------------------------------------------------------------------ */
/* The object                                                          */
/* ------------------------------------------------------------------ */

struct vdeposit {
	struct cl_address to;
	uint64_t amount;
	bool stored; /* in the database already */
};

/* The game against the faulty batch (ver_game.c). */
struct ver_game {
	bool prepared;	   /* player made, verdict known */
	bool done;	   /* settled, not provable, or given up */
	bool not_provable; /* the program's verdict is not 1 */
	bool opened;	   /* our game is on L1: play */
	uint64_t batch;
	uint32_t k;
	struct cl_l1_batch_event rec, prev;
	bool has_prev;
	int verdict;
	struct cl_hash32 claim;
	struct cl_game_player *player;
	bool challenge_inflight;
	uint64_t challenge_tx;
	unsigned challenge_errors;
	struct cl_l1_game_play play;
};

struct cl_verifier {
	struct cl_verifier_config cfg;
	char *l1_url, *datadir;
	struct cl_genesis genesis;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;

	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* status, stop, cond */
	pthread_cond_t cond;
	bool stop;
	struct cl_verifier_status status;

	/* the stf's order books: the derivation thread changes them under
	 * the write lock, readers (replica) read them under the read lock */
	pthread_rwlock_t books_lock;

	/* a client for reader threads, under qlock */
	pthread_mutex_t qlock;
	struct cl_l1_rpc *query_rpc;

	/* derivation thread only */
	struct cl_l1_rpc *rpc;
	struct cl_chain_derive_cursor cur;
	uint64_t scan_next;	       /* next L1 block to scan */
	struct cl_hash32 scan_prev;    /* hash of scan_next - 1, or zero */
	uint64_t skip_block, skip_log; /* logs at or before are done */
	bool skip_set;
	struct vdeposit *deps; /* ids dep_base .. dep_base + n_deps */
	uint64_t dep_base;
	size_t n_deps, cap_deps;
	/* forced requests seen on L1 (ver_forced.c), ids forced_base .. */
	struct cl_l1_forced *forced;
	uint64_t forced_base;
	size_t n_forced, cap_forced;
	uint64_t batch_forced; /* the batch's appendBatch forcedConsumed */
	/* collateral assets (ver_assets.c): the contract, whether it was
	 * checked against the genesis, and the batch's count when it was
	 * posted with appendBatchWithAssets */
	struct cl_address assets;
	bool assets_checked;
	bool assets_refused; /* another chain's deployment: not deriving */
	bool batch_with_assets;
	uint64_t batch_assets;
	bool wipe_requested;
	uint64_t l1_head;
	uint64_t batch_count, final_count, next_l2_block;

	/* fault and game (thread only; copied to status) */
	struct cl_chain_fault fault;
	struct cl_l1_sender *sender;
	uint64_t challenge_retry_ns;
	bool warned_no_key;
	uint8_t *elf; /* the game program (cfg.game_program), or NULL */
	size_t elf_len;
	bool has_setup;
	struct cl_l1_game_setup setup;
	struct ver_game game;
	/* a game won whose bonds are still to be withdrawn (its batch was
	 * discarded, the fault cleared) */
	bool has_settle;
	struct cl_l1_game_play settle;

	/* progress */
	uint64_t prog_ns, prog_block;
	uint64_t bps;
	uint64_t last_log_ns;

	/* the scan's logs after the one being handled (only while on_log
	 * runs; ver_scan.c), where the next batch's event may already be */
	const struct cl_l1_log *scan_rest;
	size_t scan_rest_n;
	/* the next batch, read and decoded before the current one is
	 * replayed so its signatures are recovered meanwhile
	 * (ver_replay.c): the posting transaction's input and the decoded
	 * batch, used when its event comes if the index, transaction and
	 * dataHash are the same */
	bool has_ahead;
	struct cl_l1_batch_event ahead_ev;
	struct cl_buf ahead_input;
	struct cl_batch2 ahead_b;
	struct cl_replay_batch ahead;

	/* the last L1 reference checked against L1 */
	struct cl_l1_ref l1_checked;
	bool has_l1_checked;
};

enum step_rc {
	STEP_OK = 0,
	STEP_FAULT = 1,	  /* a fault was recorded: stop applying */
	STEP_SKIP = 2,	  /* the event is not live any more */
	STEP_RESTART = 3, /* wipe and derive again */
};

struct fault_at {
	bool has_block;
	uint64_t block;
	bool has_tx;
	uint64_t tx;
	bool has_roots;
	const struct cl_hash32 *expected, *posted;
};

/* ---- verifier.c ---- */

void ver_hexroot(char out[67], const struct cl_hash32 *h);
/* Was cl_verifier_stop() called? (takes `lock`) */
bool ver_stopping(struct cl_verifier *v);

/* ---- ver_status.c ---- */

/* Publish the derived head (and the fault) from the committed state. */
void ver_publish_head(struct cl_verifier *v);
/* Publish the game (kept after it is settled, until the next). */
void ver_publish_games(struct cl_verifier *v);
/* Publish what the last poll of L1 learnt. */
void ver_publish_l1(struct cl_verifier *v, bool reachable);
/* Update the rate and time left; log the progress line when due (or
 * `force`). */
void ver_progress(struct cl_verifier *v, bool force);

/* ---- ver_scan.c ---- */

/* eth_call of the view `sig` (with one uint64 argument if has_arg) on
 * the rollup; the raw return data into `ret`. */
int ver_view_call(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		  struct cl_buf *ret, const char *sig, bool has_arg,
		  uint64_t arg);
int ver_view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		 const char *sig, uint64_t *out);
/* Is batch ev->index on L1 now the one this BatchAppended appended? */
int ver_batch_live(struct cl_verifier *v, bool *live,
		   const struct cl_l1_batch_event *ev);
/* Deep-reorg check of the last verified batch's L1 block. */
int ver_check_anchor(struct cl_verifier *v);
/* Scan up to a few ranges of confirmed L1 blocks. */
int ver_scan(struct cl_verifier *v, bool *more);
/* Read the L1 head and the contract's counters. */
int ver_poll_l1(struct cl_verifier *v);

/* ---- ver_replay.c ---- */

/* Verify the batch of a BatchAppended event at the cursor: STEP_OK,
 * STEP_FAULT, STEP_SKIP, STEP_RESTART or a negative error. */
int ver_verify_batch(struct cl_verifier *v,
		     const struct cl_l1_batch_event *ev);
/* Forget the batch read ahead. */
void ver_ahead_clear(struct cl_verifier *v);

/* ---- ver_forced.c ---- */
/* Remember a ForcedRequest event (in id order; a re-read must match).
 * Returns CL_OK or CL_ERR_CORRUPT. */
int ver_forced_add(struct cl_verifier *v, const struct cl_l1_forced *f);
/* Forget requests below `consumed`; clear: forget all. */
void ver_forced_trim(struct cl_verifier *v, uint64_t consumed);
void ver_forced_clear(struct cl_verifier *v, uint64_t consumed);
/* Is FORCED request `tx` the L1 request of its id? STEP_OK, STEP_FAULT
 * (recorded) or a negative error. */
int ver_forced_check(struct cl_verifier *v, const struct cl_l1_batch_event *ev,
		     const struct fault_at *at, const struct cl_tx *tx);

/* ---- ver_assets.c ---- */

/* Does the L1 assets contract list exactly the genesis's assets (token,
 * id, shift; none when the genesis has none)? CL_OK (assets_checked
 * set), CL_ERR_CONFIG (a mismatch, logged: refuse to derive) or an RPC
 * error (try again). */
int ver_assets_check(struct cl_verifier *v);
/* Is ASSET_DEPOSIT request `tx` the L1 asset deposit of its id? STEP_OK,
 * STEP_FAULT (recorded) or a negative error. */
int ver_asset_deposit_check(struct cl_verifier *v,
			    const struct cl_l1_batch_event *ev,
			    const struct fault_at *at, const struct cl_tx *tx);
/* The cumulative asset deposits batch `ev` consumed on L1: its
 * appendBatchWithAssets argument, else the contract's record. CL_OK or
 * an RPC error. */
int ver_asset_count(struct cl_verifier *v, uint64_t *out,
		    const struct cl_l1_batch_event *ev);

/* ---- ver_deposits.c ---- */

void ver_deps_clear(struct cl_verifier *v);
/* Remember a Deposit event; ids must come in order. CL_OK or
 * CL_ERR_CORRUPT. */
int ver_deps_add(struct cl_verifier *v, const struct cl_l1_deposit *d,
		 bool stored);
/* The deposit `id` seen on L1, or NULL. */
const struct vdeposit *ver_deps_get(const struct cl_verifier *v, uint64_t id);
/* Put the deposits not stored yet into the open overlay. */
void ver_deps_store(struct cl_verifier *v);
/* After the commit that stored them. */
void ver_deps_mark_stored(struct cl_verifier *v);
/* Forget deposits below `consumed` (memory only). */
void ver_deps_trim(struct cl_verifier *v, uint64_t consumed);
/* Load the cursor and the stored, unconsumed deposits; position the
 * scan just after the last verified batch's event. */
int ver_load_cursor(struct cl_verifier *v);

/* ---- ver_challenge.c ---- */

/* Record the first fault (one broken line); returns STEP_FAULT. */
int ver_record_fault(struct cl_verifier *v,
		     const struct cl_l1_batch_event *ev,
		     const struct fault_at *at, const char *fmt, ...)
    CL_PRINTF(4, 5);

/* ---- ver_game.c ---- */

/* Drive the game about the recorded fault by one round. */
void ver_challenge_step(struct cl_verifier *v);
/* Forget the game (its fault was cleared). */
void ver_game_reset(struct cl_verifier *v);

#endif /* CLEARLINE_VER_INT_H */
