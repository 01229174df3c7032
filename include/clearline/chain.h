/* SPDX-License-Identifier: MIT */
/*
 * chain — the node-local record of the L2 chain, and the one read
 * interface every mode serves.
 *
 * Tables: this module is the one owner of the node-local key spaces
 * that describe the chain rather than its state: the block records
 * (CL_TABLE_BLOCKS) and the chain's bookkeeping in CL_TABLE_NODE (batch
 * cuts and their cursor, withdrawal proofs, and a deriving node's
 * cursor, roots, deposits seen and batch records). Nobody else spells
 * their keys; docs/architecture.md has the layout. Writers put into a
 * cl_state overlay, so the records commit in the same LMDB transaction
 * as the block or batch they describe; readers take a snapshot.
 * Functions named `load` read through a writer's cl_state (its own
 * thread only); functions named `get` read a snapshot (any thread).
 *
 * The reader: a sequencer (src/sequencer) and a verifier or replica
 * (src/verifier) each fill a struct cl_chain_reader, so the JSON-RPC
 * methods (src/rpc) read the chain without knowing the mode: a view of
 * the state, the root after a block, the order book (where kept), the
 * sync status, and whether a withdrawal is posted, final or claimed.
 * Writes stay the sequencer's own path (cl_seq_submit).
 *
 * Threads: the table functions are as thread-safe as the cl_state or
 * cl_snapshot they are given. The reader's functions may be called from
 * any thread.
 */
#ifndef CLEARLINE_CHAIN_H
#define CLEARLINE_CHAIN_H

#include <clearline/batch.h>
#include <clearline/common.h>
#include <clearline/l1.h>
#include <clearline/matching.h>
#include <clearline/state.h>
#include <clearline/stf.h>

/* ---- block records (CL_TABLE_BLOCKS, written by a sequencer) ----
 * key: be64(number); value: be64 timestamp_ms ‖ prev_root (32) ‖
 * the L1 reference: be64 number ‖ hash (32) ‖ be64 timestamp ‖
 * be32 request count ‖ per request: be32 length ‖ stf encoding.
 * Only requests are recorded: what the stf derived from them is not.
 * A pruned record is the first CL_BLOCK_HEADER_LEN bytes alone (no
 * count): the block's requests were dropped once its batch was final
 * on L1, where they stay (cl_chain_prune_block). */
#define CL_BLOCK_HEADER_LEN 88
struct cl_block_record {
	uint64_t number;
	uint64_t timestamp_ms;
	struct cl_hash32 prev_root;
	struct cl_l1_ref l1;
	bool pruned; /* the requests are gone: n_txs is 0, not their count */
	size_t n_txs;
	const uint8_t **txs; /* borrowed from the record bytes */
	size_t *tx_lens;
};

/* Parse a stored record (borrowing `p`); release frees the arrays.
 * False (and *out zeroed) when malformed. */
CL_WUR bool cl_block_record_parse(struct cl_block_record *out, uint64_t number,
				  const uint8_t *p, size_t len);
void cl_block_record_release(struct cl_block_record *r);

/* Put the record of block `hdr` into `st`'s overlay: `n_txs`
 * transactions in `txs` (`txs_len` bytes of be32 length ‖ encoding). */
void cl_chain_put_block(struct cl_state *st, const struct cl_block_header *hdr,
			size_t n_txs, const uint8_t *txs, size_t txs_len);

/* The record of block `number` (borrowing the snapshot's memory: valid
 * while `snap` lives; release it). CL_OK, CL_ERR_NOT_FOUND,
 * CL_ERR_CORRUPT or an error. */
CL_WUR int cl_chain_get_block(struct cl_snapshot *snap,
			      struct cl_block_record *out, uint64_t number);

/* The bytes of the block records [first, last] (a cut's size, close to
 * the request bytes a cut is limited by). CL_OK or an error. */
CL_WUR int cl_chain_blocks_bytes(struct cl_snapshot *snap, uint64_t *out,
				 uint64_t first, uint64_t last);
/*
 * Drop the requests of block `number`'s record in `st`'s overlay (a
 * writer's: read through it), keeping its header, so its prev_root
 * still gives the root after the block before. The caller makes sure
 * the block's batch is final on L1. *dropped: the bytes freed (0 for a
 * record already pruned). CL_OK, CL_ERR_NOT_FOUND, CL_ERR_CORRUPT or an
 * error.
 */
CL_WUR int cl_chain_prune_block(struct cl_state *st, uint64_t number,
				size_t *dropped);
/* The last block whose requests were pruned (0: none), from the chain's
 * cursor in CL_TABLE_NODE; put moves it. */
CL_WUR int cl_chain_load_pruned(struct cl_state *st, uint64_t *out);
void cl_chain_put_pruned(struct cl_state *st, uint64_t last);

/* The state root after block `number`, from the records: the prev_root
 * of block number + 1, or the snapshot's root when there is none (the
 * caller checked that `number` is at most the head). */
CL_WUR int cl_chain_root_from_blocks(struct cl_snapshot *snap,
				     struct cl_hash32 *out, uint64_t number);

/* ---- batch cuts (CL_TABLE_NODE, written by a sequencer) ----
 * A cut fixes the block range of one L1 batch, the state root after its
 * last block (also the withdrawal root: withdrawals live in the state
 * tree) and the deposits consumed. Cuts are numbered from 0 like L1
 * batches. */
struct cl_batch_cut {
	uint64_t seq;
	uint64_t first_block, last_block;
	struct cl_hash32 root;
	uint64_t deposits_consumed;  /* cumulative, after last_block */
	uint64_t wid_begin, wid_end; /* withdrawal ids made in the range */
	uint64_t forced_consumed;    /* cumulative forced requests, after
				      * last_block (stored after the rest;
				      * 0 in a cut from before them) */
	uint64_t asset_deposits_consumed; /* cumulative asset deposits,
					   * after last_block (stored last;
					   * 0 in a cut from before them) */
};

/* Where the next cut starts. */
struct cl_chain_cut_cursor {
	uint64_t seq;	      /* next cut number */
	uint64_t first_block; /* its first block */
	uint64_t wid;	      /* its first withdrawal id */
};

/* The cursor; a database without cuts gives cut 0 from block 1 (block
 * 0 is genesis, never posted) and withdrawal 0. CL_OK or an error. */
CL_WUR int cl_chain_load_cut_cursor(struct cl_state *st,
				    struct cl_chain_cut_cursor *out);

/* Put cut `c` and move the cursor after it, in `st`'s overlay. */
void cl_chain_put_cut(struct cl_state *st, const struct cl_batch_cut *c);

/* Delete the record of cut `seq` (a re-cut merged it into another). */
void cl_chain_del_cut(struct cl_state *st, uint64_t seq);
/* Cut `seq`: CL_OK, CL_ERR_NOT_FOUND, CL_ERR_CORRUPT or an error. */
CL_WUR int cl_chain_get_cut(struct cl_snapshot *snap, struct cl_batch_cut *out,
			    uint64_t seq);

/*
 * The blocks of `cut` as a version 2 batch carries them
 * (cl_batch2_encode()), from the stored block records: header, L1
 * reference, the root after each block, the decoded requests, each
 * CANCEL with the sequence number of its order (read through `snap` and
 * `g`). Release *out with cl_batch2_release(). Returns CL_OK or a
 * negative error (CL_ERR_CORRUPT for a record that does not parse,
 * CL_ERR_PRUNED for a block whose requests were pruned).
 */
CL_WUR int cl_chain_cut_blocks(struct cl_snapshot *snap,
			       const struct cl_genesis *g,
			       const struct cl_batch_cut *cut,
			       struct cl_batch2 *out);

/* ---- withdrawal proofs (CL_TABLE_NODE) ----
 * One format for every mode: a sequencer stores them when it cuts, a
 * verifier or replica when it verified the batch. */

/* Store the proof of withdrawal `wid` against the root of batch
 * `cut_seq` in `st`'s overlay. */
void cl_chain_put_withdrawal_proof(struct cl_state *st, uint64_t cut_seq,
				   const struct cl_proof *proof, uint64_t wid);

/* The proof stored for withdrawal `wid` and its batch: CL_OK,
 * CL_ERR_NOT_FOUND (not in a batch yet), CL_ERR_CORRUPT or an error. */
CL_WUR int cl_chain_get_withdrawal_proof(struct cl_snapshot *snap,
					 uint64_t *cut_seq,
					 struct cl_proof *proof, uint64_t wid);

/* ---- a deriving node's bookkeeping (CL_TABLE_NODE, a verifier's) ---- */

/* Where derivation stands. */
struct cl_chain_derive_cursor {
	uint64_t next_batch;	    /* batches below are verified */
	uint64_t l1_block;	    /* the last verified batch's event ... */
	uint64_t l1_log;	    /* ... position (valid if next_batch) */
	struct cl_hash32 l1_hash;   /* hash of l1_block when it was read */
	uint64_t last_block;	    /* last L2 block of the last batch */
	uint64_t deposits_consumed; /* after it */
	uint64_t wid_end;	    /* next withdrawal id after it */
	uint64_t txs;		    /* transactions replayed so far */
};

/* The cursor (zero on a fresh database): CL_OK, CL_ERR_CORRUPT or an
 * error. */
CL_WUR int cl_chain_load_derive_cursor(struct cl_state *st,
				       struct cl_chain_derive_cursor *out);
void cl_chain_put_derive_cursor(struct cl_state *st,
				const struct cl_chain_derive_cursor *c);

/* The batch that the blocks beyond the cursor were derived from (its
 * index and data hash), so a restart checks them against it. */
void cl_chain_put_partial(struct cl_state *st, uint64_t batch,
			  const struct cl_hash32 *data_hash);
void cl_chain_del_partial(struct cl_state *st);
/* CL_OK, CL_ERR_NOT_FOUND, CL_ERR_CORRUPT (malformed) or an error. */
CL_WUR int cl_chain_load_partial(struct cl_state *st, uint64_t *batch,
				 struct cl_hash32 *data_hash);

/* The state root after derived block `number` (the head's own root is
 * the state's: it is stored when the next block is applied). */
void cl_chain_put_root(struct cl_state *st, uint64_t number,
		       const struct cl_hash32 *root);
CL_WUR int cl_chain_load_root(struct cl_state *st, struct cl_hash32 *out,
			      uint64_t number);
CL_WUR int cl_chain_get_root(struct cl_snapshot *snap, struct cl_hash32 *out,
			     uint64_t number);

/* An L1 deposit seen but not yet consumed. */
void cl_chain_put_deposit(struct cl_state *st, uint64_t id,
			  const struct cl_address *to, uint64_t amount);

/* Called per stored deposit in id order; a non-zero return stops the
 * walk and is returned by cl_chain_load_deposits(). */
typedef int (*cl_chain_deposit_fn)(void *ctx, uint64_t id,
				   const struct cl_address *to,
				   uint64_t amount);

/* Walk the stored deposits from id `from` on. CL_OK, CL_ERR_CORRUPT, the
 * callback's code, or an error. */
CL_WUR int cl_chain_load_deposits(struct cl_state *st, uint64_t from,
				  cl_chain_deposit_fn fn, void *ctx);

/* What a verified batch was. */
struct cl_chain_batch_record {
	uint64_t first_block, last_block;
	struct cl_hash32 root;
	uint64_t wid_begin, wid_end;
	uint64_t l1_block;	/* of its BatchAppended event */
	struct cl_hash32 l1_tx; /* the posting transaction */
};

void cl_chain_put_batch_record(struct cl_state *st, uint64_t index,
			       const struct cl_chain_batch_record *r);

/* ---- dispute games (game_host.c): what both modes need to play ---- */

struct cl_game_player;
struct cl_game_rebuild;

/* The player for a game's L1 material and the state after block k - 1
 * (cl_game_setup: the input must be the rollup's byte for byte); the
 * native verdict in *verdict. `elf` is the game program. */
CL_WUR int cl_chain_game_player(struct cl_game_player **out, int *verdict,
				const struct cl_genesis *g,
				const struct cl_l1_game_material *m,
				struct cl_state *pre, const uint8_t *elf,
				size_t elf_len, uint64_t n_steps);
/* The state after block `last` (before the game's block), rebuilt in
 * memory from genesis through the live batches before the game's, read
 * from L1 (from_block, range as cl_l1_batch_record), then the game's
 * batch's first blocks. CL_OK and *out, or an error. */
CL_WUR int cl_chain_game_rebuild(struct cl_game_rebuild **out,
				 struct cl_l1_rpc *rpc,
				 const struct cl_address *rollup,
				 uint64_t from_block, uint64_t range,
				 const struct cl_genesis *g,
				 const struct cl_l1_game_material *m,
				 uint64_t last);
/* The freeze as the rollup reports it (frozen(), exitRoot(),
 * exitBatchCount(); docs/l1.md "Freeze"). */
struct cl_chain_freeze {
	bool frozen;
	struct cl_hash32 exit_root; /* zero when not frozen or no batch was
				     * final at the freeze */
	uint64_t exit_batches;	    /* batches final at the freeze: the exit
				     * root is batch exit_batches - 1's */
};
/* Read it at L1's latest block. CL_OK, CL_ERR_CORRUPT (a malformed
 * answer) or an RPC code. */
CL_WUR int cl_chain_freeze_read(struct cl_l1_rpc *rpc,
				const struct cl_address *rollup,
				struct cl_chain_freeze *out);
/*
 * The state after live batch `batch`'s last block, rebuilt in memory
 * (the same rebuild as a game's pre-state): the live records and data of
 * batches `first` .. `batch` read from L1 (from_block, range as
 * cl_l1_batch_record) are applied to *r, which is made at genesis when
 * NULL (then `first` must be 0) or continued (it must be the state after
 * batch first - 1's last block: the caller checked that batch's live
 * record). On CL_OK *r is at that batch's last block, its root is the
 * record's stateRoot, and *rec is the record. On an error *r is freed
 * and NULL. CL_ERR_NOT_FOUND (no such live batch), CL_ERR_CORRUPT (the
 * data does not replay to the posted roots) or an RPC code.
 */
CL_WUR int cl_chain_batch_state(struct cl_game_rebuild **r,
				struct cl_l1_batch_event *rec,
				struct cl_l1_rpc *rpc,
				const struct cl_address *rollup,
				uint64_t from_block, uint64_t range,
				const struct cl_genesis *g, uint64_t first,
				uint64_t batch);
/* The player as the L1 driver's strategy (borrowed). */
void cl_chain_game_strategy(struct cl_l1_game_strategy *s,
			    struct cl_game_player *p);

/* One game as the sync status shows it. */
struct cl_chain_game {
	uint64_t id;
	uint64_t batch;
	uint32_t k;
	unsigned role;	/* enum cl_l1_game_side: ours */
	unsigned phase; /* enum cl_l1_game_phase */
	unsigned turn;	/* the side to move */
	uint64_t lo, hi;
	uint64_t defender_clock, challenger_clock; /* seconds left now */
	unsigned winner;			   /* when over */
	bool resolved;
	uint64_t actions; /* our transactions */
	char next[48];	  /* what happens next */
	char last[96];	  /* our last action */
};
#define CL_CHAIN_MAX_GAMES 16
/* The status of a game from the driver's record. */
void cl_chain_game_status(struct cl_chain_game *out,
			  const struct cl_l1_game_play *p);

/* ---- the read interface ---- */

/* The first wrong thing a verifier found (docs/verifier.md "Faults"). */
struct cl_chain_fault {
	bool set;
	uint64_t batch;
	struct cl_hash32 data_hash; /* of the faulty batch */
	uint64_t l1_block;	    /* the L1 block of its BatchAppended */
	bool has_block;		    /* the first diverging block is known */
	uint64_t block;
	bool has_tx; /* ... and the transaction in it */
	uint64_t tx;
	bool has_roots;		   /* both roots below are meaningful */
	struct cl_hash32 expected; /* derived here */
	struct cl_hash32 posted;   /* what the batch or event says */
	char reason[192];
	bool challenged;       /* our challenge is confirmed on L1 */
	bool challenge_failed; /* gave up (see the log) */
};

/* Where a node stands. A group of fields is meaningful when its flag
 * says the node knows it. */
struct cl_chain_sync {
	/* the head this node serves */
	uint64_t head_block;
	uint64_t head_timestamp_ms;
	struct cl_hash32 head_root;
	/* L1 (false: a node without an L1; nothing is posted or final) */
	bool l1_attached;
	bool l1_reachable;
	uint64_t l1_head;
	uint64_t l1_scanned; /* L1 blocks below this are scanned */
	bool has_posted;
	uint64_t posted_batch; /* last batch on L1 */
	bool has_final;
	uint64_t finalized_batch; /* last final batch */
	/* a node that credits deposits and posts batches (a sequencer on
	 * an L1) */
	bool has_posting;
	uint64_t deposits_credited; /* deposit ids below this are credited */
	uint64_t asset_deposits_credited; /* asset deposit ids below this
					   * are credited */
	uint64_t forced_applied;    /* forced request ids below this are
				     * applied */
	bool posting;		    /* a batch is in flight */
	/* a node that derives from L1 (verifier, replica) */
	bool has_derivation;
	bool has_derived;
	uint64_t derived_batch;	    /* last batch verified */
	uint64_t posted_last_block; /* last L2 block posted */
	uint64_t blocks_per_second;
	bool has_eta;
	uint64_t eta_seconds;
	uint64_t txs_derived;
	uint64_t rederivations;
	struct cl_chain_fault fault;
	char post_error[200];        /* why the last post failed; "" */
	uint64_t post_failures;      /* failed posts in a row */
	/* dispute games this node plays (has_games: it plays them) */
	bool has_games;
	size_t n_games;
	struct cl_chain_game games[CL_CHAIN_MAX_GAMES];
	/* a node that takes writes (a sequencer) */
	bool has_queue;
	uint64_t queued; /* submissions waiting */
};

/* What a mode implements; `impl` is its object. */
struct cl_chain_reader_ops {
	/* The state root after block `number` (0: genesis): CL_OK,
	 * CL_ERR_NOT_FOUND (not sealed or derived yet) or an error. */
	int (*block_root)(void *impl, struct cl_hash32 *out, uint64_t number);
	/* Does this node keep order books? */
	bool (*has_books)(void *impl);
	/* The best `max` levels of one side of a market's book; 0 for an
	 * unknown market or without books. */
	size_t (*book_depth)(void *impl, struct book_level *out, size_t max,
			     uint32_t market, enum book_side side);
	/* Where the node stands: CL_OK or an error. */
	int (*sync)(void *impl, struct cl_chain_sync *out);
	/* The rollup contract, or NULL without an L1. */
	const struct cl_address *(*rollup)(void *impl);
	/* Ask L1 whether withdrawal `wid` was claimed (an L1 is attached). */
	int (*is_claimed)(void *impl, bool *claimed, uint64_t wid);
	/* The record of live batch `index` from L1 (what a withdrawal claim
	 * carries: cl_l1_batch_record()). CL_OK, CL_ERR_NOT_FOUND or an
	 * error. */
	int (*batch_record)(void *impl, struct cl_l1_batch_event *out,
			    uint64_t index);
};

struct cl_chain_reader {
	const struct cl_chain_reader_ops *ops;
	void *impl;
	struct cl_db *db;		  /* the node's database (borrowed) */
	const struct cl_genesis *genesis; /* borrowed */
};

/* A view of the last sealed (or derived) block on a fresh snapshot;
 * release with cl_chain_view_release(). CL_OK or an error. */
CL_WUR int cl_chain_view(const struct cl_chain_reader *r,
			 struct cl_stf_view *out);
/* NULL snapshot: a no-op. */
void cl_chain_view_release(struct cl_stf_view *v);

CL_WUR int cl_chain_block_root(const struct cl_chain_reader *r,
			       struct cl_hash32 *out, uint64_t number);
bool cl_chain_has_books(const struct cl_chain_reader *r);
size_t cl_chain_book_depth(const struct cl_chain_reader *r,
			   struct book_level *out, size_t max, uint32_t market,
			   enum book_side side);
CL_WUR int cl_chain_sync(const struct cl_chain_reader *r,
			 struct cl_chain_sync *out);

/* Where a withdrawal stands: pending (not in a posted batch yet), posted
 * (on L1, inside the challenge period), final (claimable), claimed. */
enum cl_chain_withdrawal_status {
	CL_WITHDRAWAL_PENDING,
	CL_WITHDRAWAL_POSTED,
	CL_WITHDRAWAL_FINAL,
	CL_WITHDRAWAL_CLAIMED,
};

const char *cl_chain_withdrawal_status_str(enum cl_chain_withdrawal_status s);

struct cl_chain_withdrawal {
	enum cl_chain_withdrawal_status status;
	bool has_proof; /* the batch and proof below are set */
	uint64_t batch;
	struct cl_proof *proof;		 /* heap; freed by the release */
	const struct cl_address *rollup; /* NULL without an L1 */
};

/*
 * The status of withdrawal `wid` (which exists in the state of `view`,
 * opened with cl_chain_view()): its proof from the view's snapshot, then
 * the batch counts of cl_chain_sync() and, when final, L1's answer to
 * is_claimed (an L1 error leaves it final). CL_OK, or an error reading
 * the proof or the sync status. Release with
 * cl_chain_withdrawal_release() in every case.
 */
CL_WUR int cl_chain_withdrawal(const struct cl_chain_reader *r,
			       struct cl_chain_withdrawal *out,
			       struct cl_stf_view *view, uint64_t wid);
void cl_chain_withdrawal_release(struct cl_chain_withdrawal *w);

#endif /* CLEARLINE_CHAIN_H */
