/* SPDX-License-Identifier: MIT */
/*
 * game — the fault-proof program's question about a posted batch, and
 * its answer (docs/vm.md "The verdict program", docs/disputes.md
 * "Wiring").
 *
 * A dispute is about one block k of one batch the sequencer posted with
 * ClearlineRollup.appendBatch. The program's input (the "CLB3" input)
 * holds only what the rollup contract stores or computes itself: the
 * batch's record (dataHash, stateRoot, withdrawalRoot, the deposits
 * consumed before and after it, its first and last block), the index k,
 * the previous batch's state root, the hash of the deposit records the
 * batch consumes (followed by the asset-deposit records it consumes, if
 * any) and the genesis hash. Everything else — the batch data,
 * the deposit records, the genesis struct and the whole pre-state — is
 * read through the preimage interface by its keccak256, so no party
 * chooses it.
 *
 * cl_game_verdict() is the program: src/guest/main.c calls it inside the
 * VM with the preimage ecall as the fetch function, and a node calls the
 * same code natively over a cl_preimage_map (to know the answer before
 * it plays, and in the tests to compare with the VM). Its answer is an
 * exit code: CL_GAME_RIGHT (0) when block k's posted root is the root
 * the stf computes, CL_GAME_WRONG (1) when the batch is wrong at block k
 * or as a whole, and the codes >= 10 for inputs the rollup never builds
 * and for failures of the program itself.
 *
 * cl_game_prepare() is the host side: it builds the input and every
 * preimage the program reads for block k of a posted batch.
 *
 * Playing (native only): cl_game_rebuild_* rebuilds the state after a
 * past block (the pre-state of a game) from genesis and the posted
 * blocks; cl_game_setup() makes the input and preimages, checks the
 * input against the rollup's, answers it natively and boots the VM
 * player on it; cl_game_player_* is one side of the bisection (the
 * state hash at any step from a checkpoint at the agreed lo, the
 * judgement of a midpoint, the last step's proof and preimage). The L1
 * side of a game is src/l1 (game_play.c); docs/disputes.md "The nodes".
 *
 * verdict.c and genesis.c compile for the guest too (no allocation that
 * outlives a call, no I/O); input.c, player.c, rebuild.c and setup.c are
 * native only. Thread-safe: no
 * shared state.
 */
#ifndef CLEARLINE_GAME_H
#define CLEARLINE_GAME_H

#include <clearline/common.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#define CL_GAME_INPUT_MAGIC "CLB3"
/* "CLB3" ‖ dataHash ‖ be32 k ‖ prevRoot ‖ depositsHash ‖ forcedHash ‖
 * genesisHash ‖ stateRoot ‖ withdrawalRoot ‖ be64 prevDepositsConsumed ‖
 * be64 depositsConsumed ‖ be64 prevForcedConsumed ‖ be64 forcedConsumed ‖
 * be64 firstBlock ‖ be64 lastBlock */
#define CL_GAME_INPUT_LEN (4 + 4 + 7 * 32 + 6 * 8) /* 280 */
/* One deposit record in the deposits list: to (20) ‖ be64 amount ‖
 * be32 timestamp, the rollup's DepositRecord slot, packed. */
#define CL_GAME_DEPOSIT_LEN 32
/* The asset part of the deposits list, present only when the batch
 * consumed asset deposits (ClearlineAssets.gameAssetList): be64 id of
 * the first ‖ per asset deposit to (20) ‖ be64 amount ‖ be32 timestamp ‖
 * be32 asset, the contract's AssetDepositRecord slots, packed. */
#define CL_GAME_ASSET_HEAD_LEN 8
#define CL_GAME_ASSET_DEPOSIT_LEN 36
/* One forced request in the forced list: account (20) ‖ kind (1) ‖
 * be64 a ‖ be64 b, the rollup's ForcedRecord without its timestamp and
 * fee flag. */
#define CL_GAME_FORCED_LEN 37

/* The program's exit codes (the verdict and why there is none). */
enum cl_game_exit {
	CL_GAME_RIGHT = 0,    /* block k's posted root is right */
	CL_GAME_WRONG = 1,    /* the batch is wrong at block k or as a whole */
	CL_GAME_E_INPUT = 10, /* an input the rollup never builds: length,
			       * magic, k out of range, a record whose
			       * numbers do not fit, a deposits list of
			       * the wrong length, a genesis that is not
			       * a canonical valid one or not the state's */
	CL_GAME_E_STATE = 11, /* the tree under the pre-state root is not one
			       * the state module writes */
	CL_GAME_E_BACKEND = 13, /* a state read or the commit failed (the stf
				 * found committed data corrupt) */
	CL_GAME_E_ABORT = 14,	/* guest only: abort(), a broken invariant */
	CL_GAME_E_MEMORY = 15,	/* guest only: the heap is exhausted */
};

/* The rollup's record of the disputed batch (docs/l1.md BatchRecord;
 * its timestamp plays no part). */
struct cl_game_batch {
	struct cl_hash32 data_hash;  /* keccak256 of the posted data */
	struct cl_hash32 state_root; /* the root after lastBlock */
	struct cl_hash32 withdrawal_root;
	uint64_t prev_deposits; /* prevDepositsConsumed */
	uint64_t deposits;	/* depositsConsumed */
	uint64_t prev_forced;	/* forcedConsumed after the previous batch */
	uint64_t forced;	/* forcedConsumed after this batch (the
				 * rollup keeps it per batch index) */
	uint64_t first_block;
	uint64_t last_block;
};

/* The fields of a CLB3 input. */
struct cl_game_input {
	struct cl_game_batch rec;
	uint32_t k;			/* block index within the batch */
	struct cl_hash32 prev_root;	/* the previous batch's stateRoot,
					 * or the genesis root for batch 0 */
	struct cl_hash32 deposits_hash; /* cl_game_deposits_encode's hash */
	struct cl_hash32 forced_hash;	/* cl_game_forced_encode's hash */
	struct cl_hash32 genesis_hash;	/* the chain's genesis hash,
					 * cl_genesis_hash(): keccak256 of
					 * cl_genesis_encode() */
};

/* One deposit as the rollup stores it (DepositRecord). */
struct cl_game_deposit {
	struct cl_address to;
	uint64_t amount;
	uint32_t timestamp; /* L1 time of the deposit */
};

/* One asset deposit as ClearlineAssets stores it (AssetDepositRecord;
 * the amount in L2 atoms of the asset). */
struct cl_game_asset_deposit {
	struct cl_address to;
	uint64_t amount;
	uint32_t timestamp; /* L1 time of the deposit */
	uint32_t asset;	    /* the genesis asset id */
};

/* The asset deposits a batch consumed: ids first .. first + n - 1. */
struct cl_game_assets {
	uint64_t first;
	const struct cl_game_asset_deposit *d;
	size_t n;
};

/* One forced request as the rollup stores it (ForcedRecord): the kind
 * and its two fields as forceRequest() took them (docs/l1.md). */
struct cl_game_forced {
	struct cl_address account;
	uint8_t kind;
	uint64_t a, b;
};

/* The CLB3 bytes of `in` (CL_GAME_INPUT_LEN of them) into `out`. */
void cl_game_input_encode(uint8_t out[CL_GAME_INPUT_LEN],
			  const struct cl_game_input *in);

/* Parse CLB3 bytes: false when the length or the magic is wrong. */
CL_WUR bool cl_game_input_decode(struct cl_game_input *out, const uint8_t *p,
				 size_t len);

/* Append the deposits list: n × (to ‖ be64 amount ‖ be32 timestamp),
 * 32 bytes each; its keccak256 is the input's depositsHash (the list of
 * no deposit is empty, its hash keccak256 of nothing). */
void cl_game_deposits_encode(struct cl_buf *out,
			     const struct cl_game_deposit *d, size_t n);

/* Append the asset part of the deposits list: nothing when a->n is 0
 * (or a is NULL), else be64 a->first ‖ n × (to ‖ be64 amount ‖ be32
 * timestamp ‖ be32 asset), 36 bytes each, after the deposits: the
 * input's depositsHash is keccak256 of both. */
void cl_game_asset_deposits_encode(struct cl_buf *out,
				   const struct cl_game_assets *a);

/*
 * The asset part of a deposits list as ClearlineAssets.gameAssetList
 * returns it (native only): true with *first, *n and *d (allocated,
 * free() it; NULL when empty) when `p` is empty or exactly an 8-byte
 * first id and one or more 36-byte records, first + n fitting in
 * 64 bits; else false with everything zeroed.
 */
CL_WUR bool cl_game_asset_list_decode(uint64_t *first,
				      struct cl_game_asset_deposit **d,
				      size_t *n, const uint8_t *p, size_t len);

/* Append the forced list: n × (account ‖ kind ‖ be64 a ‖ be64 b), 37
 * bytes each; its keccak256 is the input's forcedHash. */
void cl_game_forced_encode(struct cl_buf *out, const struct cl_game_forced *f,
			   size_t n);

/* The rollup's fields of a forced request as a batch carries it (the
 * inverse of cl_l1_forced_tx(): WITHDRAW a = amount; CANCEL a =
 * order_seq; CANCEL_ALL none; CLOSE a = market, b = price). */
void cl_game_forced_of_tx(struct cl_game_forced *out,
			  const struct cl_tx_forced *x);

/*
 * The genesis from its canonical encoding (cl_genesis_encode(), whose
 * keccak256 is cl_genesis_hash()): true when `p` is exactly the encoding
 * of a valid genesis (decoded, validated, encoded again and compared
 * byte for byte); else false and *out zeroed.
 */
CL_WUR bool cl_game_genesis_decode(struct cl_genesis *out, const uint8_t *p,
				   size_t len);

/* What cl_game_verdict() found, for logs and tests. */
struct cl_game_report {
	const char *why;	 /* static text: the first reason, or "right" */
	uint32_t n_blocks;	 /* blocks in the batch (0 if not decoded) */
	struct cl_hash32 posted; /* block k's posted root, if reached */
	struct cl_hash32 computed; /* the root the stf computed, if reached */
};

/*
 * Answer the CLB3 input whose keccak256 is `key`, reading every byte
 * through `fetch` (which must return only true preimages: the VM's
 * ecall, or a cl_preimage_map). In order:
 *
 *  1. the input, the genesis (cl_game_genesis_decode()), the deposits
 *     list (32 bytes per deposit, depositsConsumed -
 *     prevDepositsConsumed of them, then either nothing or the asset
 *     part: an 8-byte first id and one or more 36-byte asset deposits)
 *     and the forced list (37 bytes per
 *     request, forcedConsumed - prevForcedConsumed of them), and
 *     k < lastBlock - firstBlock + 1: else CL_GAME_E_INPUT;
 *  2. the batch data, decoded by cl_batch2_decode() under the default
 *     limits; it must decode, start at firstBlock, hold lastBlock -
 *     firstBlock + 1 blocks, end with the root stateRoot (and
 *     withdrawalRoot, which is the state root), and carry as its
 *     DEPOSIT requests, in order, exactly the deposits list (ids
 *     prevDepositsConsumed.., same to and amount), as its
 *     ASSET_DEPOSIT requests, in order, exactly the asset part (ids
 *     first.., same asset, to and amount; none when the part is empty)
 *     and as its FORCED
 *     requests exactly the forced list (ids prevForcedConsumed.., same
 *     account, kind and fields). Else CL_GAME_WRONG;
 *  3. the pre-state: walked from prevRoot (k = 0) or block k-1's posted
 *     root (CL_GAME_E_STATE, CL_GAME_E_BACKEND);
 *  4. block k through the stf: its header must open and every request be
 *     accepted (a batch carries only accepted requests), and the root
 *     after it must be block k's posted root: CL_GAME_RIGHT, else
 *     CL_GAME_WRONG.
 *
 * Returns that exit code, or CL_ERR_NOT_FOUND when `fetch` has not a
 * preimage the answer needs (natively; the VM stops instead). `rep` may
 * be NULL.
 */
CL_WUR int cl_game_verdict(struct cl_game_report *rep,
			   const struct cl_hash32 *key, cl_state_fetch_fn fetch,
			   void *arg);

/*
 * Everything the program needs for block `in->k` of a posted batch:
 * fills in->deposits_hash, in->forced_hash and in->genesis_hash, writes
 * the input's keccak256 to *key and adds to `pm` the input, the batch
 * `data` (borrowed for the call), the deposits list of `deps` (n_deps
 * records, ids in->rec.prev_deposits..) followed by the asset part of
 * `assets` (NULL: none consumed), the forced list of `forced`
 * (n_forced, ids in->rec.prev_forced..), the genesis encoding and, when
 * `pre` is not
 * NULL, every preimage of pre's last committed state (which must be the
 * state after block k - 1: the previous batch's for k = 0).
 *
 * Returns CL_OK; CL_ERR_CONFIG when keccak256(data) is not
 * rec.data_hash, n_deps is not rec.deposits - rec.prev_deposits, n_forced
 * is not rec.forced - rec.prev_forced, or pre's
 * root is not the root the program will walk (in->prev_root for k = 0,
 * else block k-1's root in the data, when it decodes); or a negative
 * state error.
 */
CL_WUR int cl_game_prepare(struct cl_hash32 *key, struct cl_preimage_map *pm,
			   struct cl_game_input *in, const uint8_t *data,
			   size_t data_len, const struct cl_game_deposit *deps,
			   size_t n_deps, const struct cl_game_assets *assets,
			   const struct cl_game_forced *forced,
			   size_t n_forced, const struct cl_genesis *g,
			   struct cl_state *pre);

/* ------------------------------------------------------------------ */
/* Playing a game (player.c; docs/disputes.md "The nodes")             */
/* ------------------------------------------------------------------ */

/*
 * One side of a bisection game over the program's run: the machine
 * booted on the input key, run from a checkpoint kept at the agreed
 * `lo` (vm_machine_clone), so a move costs at most the steps of the
 * interval in play (and nothing past the run's halt: a halted machine
 * does not change). An honest player claims the real state hash at
 * every step; a player told to lie from step s claims made-up hashes
 * at every step >= s (tests, and a sequencer injecting faults).
 * Not thread-safe; owned by its creator.
 */
struct cl_game_player;

/* What a player does in a bisection position. */
struct cl_game_move {
	bool agree;	      /* its judgement of the pending midpoint */
	uint64_t lo, hi;      /* the interval after the judgement */
	struct cl_hash32 mid; /* its hash at the next midpoint; zero when
			       * the interval is one step (then the step) */
};

/*
 * A player of the program `elf` (stf.elf; borrowed for the call) booted
 * on `key` with every preimage of `pm` (copied; those above
 * VM_PREIMAGE_MAX are left out: a run that reads one stops), for a game
 * of `n_steps` steps. Returns CL_OK and *out, or CL_ERR_CONFIG (the ELF
 * does not load or boot, n_steps is 0).
 */
CL_WUR int cl_game_player_new(struct cl_game_player **out, const uint8_t *elf,
			      size_t elf_len, const struct cl_hash32 *key,
			      const struct cl_preimage_map *pm,
			      uint64_t n_steps);
/* NULL is a no-op. */
void cl_game_player_free(struct cl_game_player *p);

/* Claim made-up hashes (first byte `verdict`) at every step >= `step`. */
void cl_game_player_lie_from(struct cl_game_player *p, uint64_t step,
			     uint8_t verdict);

/* The state hash at step 0 (the game's pre). */
void cl_game_player_pre(const struct cl_game_player *p, struct cl_hash32 *out);

/*
 * The hash the player claims at step `m` (0..n_steps): the real state
 * hash after m steps (the halted state's past the halt), or a lie.
 * m must not be below a step the player agreed to. Returns CL_OK,
 * CL_ERR_CONFIG (m > n_steps) or CL_ERR_NOT_FOUND (the run reads a
 * preimage the player was not given).
 */
CL_WUR int cl_game_player_hash(struct cl_game_player *p, struct cl_hash32 *out,
			       uint64_t m);
/* Its claim: the hash at n_steps. As cl_game_player_hash. */
CL_WUR int cl_game_player_claim(struct cl_game_player *p,
				struct cl_hash32 *out);
/* The real run: *steps to its halt and the verdict byte of its final
 * hash (enum vm_verdict). CL_OK, CL_ERR_TIMEOUT (it does not halt
 * within n_steps) or CL_ERR_NOT_FOUND. */
CL_WUR int cl_game_player_halt(struct cl_game_player *p, uint64_t *steps,
			       uint8_t *verdict);
/* The first midpoint, posted with `defend`: the hash at n_steps / 2,
 * zero when n_steps is 1. */
CL_WUR int cl_game_player_first(struct cl_game_player *p,
				struct cl_hash32 *mid);

/*
 * The move in position (lo, hi] with the other side's hash `mid` at
 * lo + (hi - lo) / 2 pending (hi - lo >= 2): agree when it is the
 * player's own hash there, then the new interval and the player's hash
 * at its midpoint. Moves the checkpoint to an agreed lo. Returns CL_OK,
 * CL_ERR_CONFIG (not a bisection position) or CL_ERR_NOT_FOUND.
 */
CL_WUR int cl_game_player_move(struct cl_game_player *p,
			       struct cl_game_move *out, uint64_t lo,
			       uint64_t hi, const struct cl_hash32 *mid);

/*
 * Append the proof of step `lo` (from the real state after lo steps,
 * vm_step_proof()) to `proof`; when the step reads a preimage, append
 * it to `preimage` and set *has_preimage (it must be on the L1 oracle
 * before the step). CL_OK, CL_ERR_CONFIG (lo >= n_steps) or
 * CL_ERR_NOT_FOUND.
 */
CL_WUR int cl_game_player_proof(struct cl_game_player *p, struct cl_buf *proof,
				struct cl_buf *preimage, bool *has_preimage,
				uint64_t lo);

/* VM steps the player ran so far (measurement). */
uint64_t cl_game_player_steps_run(const struct cl_game_player *p);

/* ------------------------------------------------------------------ */
/* Rebuilding a past state (rebuild.c)                                 */
/* ------------------------------------------------------------------ */

/*
 * The state after a past block, in memory: the genesis state, then the
 * posted blocks one by one through the stf (signatures recovered here),
 * each block's root compared with the root it was posted with. A node
 * keeps only its latest state in LMDB; a game about block k needs the
 * state after block k - 1 (cl_game_prepare's `pre`). Cost: the chain
 * replayed from genesis, and the whole state in memory.
 */
struct cl_game_rebuild;
struct cl_batch2_block;

/* At genesis. CL_OK and *out, or a negative error (CL_ERR_CONFIG: the
 * genesis is invalid). */
CL_WUR int cl_game_rebuild_new(struct cl_game_rebuild **out,
			       const struct cl_genesis *g);
/* NULL is a no-op. */
void cl_game_rebuild_free(struct cl_game_rebuild *r);
/* Apply the next block (number head + 1). CL_OK; CL_ERR_CONFIG (not the
 * next number: nothing applied); CL_ERR_CORRUPT (a header or request
 * refused: nothing applied; or a root that is not the posted one: the
 * rebuild is unusable from then on); or a negative error. */
CL_WUR int cl_game_rebuild_block(struct cl_game_rebuild *r,
				 const struct cl_batch2_block *blk);
/* Apply the blocks of posted batch data (version 2) numbered head + 1
 * .. `last`; blocks at or below the head are skipped. As
 * cl_game_rebuild_block, and CL_ERR_CORRUPT when the data does not
 * decode. */
CL_WUR int cl_game_rebuild_data(struct cl_game_rebuild *r, const uint8_t *data,
				size_t len, uint64_t last);
/* The last block applied (0: genesis). */
uint64_t cl_game_rebuild_head(const struct cl_game_rebuild *r);
/* The state (borrowed; valid until the next block or the free). */
struct cl_state *cl_game_rebuild_state(struct cl_game_rebuild *r);

/* What cl_game_setup() needs (all borrowed for the call). */
struct cl_game_setup_args {
	struct cl_game_input in; /* rec, k, prev_root, genesis given; the
				  * hashes are computed */
	const uint8_t *data;	 /* the posted batch data */
	size_t data_len;
	const struct cl_game_deposit *deps; /* the records it consumes */
	size_t n_deps;
	struct cl_game_assets assets; /* the asset deposits it consumes */
	const struct cl_game_forced *forced;
	size_t n_forced;
	const struct cl_genesis *genesis;
	struct cl_state *pre;	    /* the state after block k - 1 */
	const uint8_t *want_input;  /* the rollup's CLB3 bytes, or NULL */
	size_t want_len;
	const uint8_t *elf;	    /* stf.elf */
	size_t elf_len;
	uint64_t n_steps;	    /* the game's N */
};

/*
 * The program of a game about block in.k, ready to play: prepares the
 * input and every preimage (cl_game_prepare), requires the input to be
 * `want_input` byte for byte when given, answers it natively
 * (*verdict: cl_game_verdict's code) and makes the player. Returns
 * CL_OK with *out (also when the verdict says the batch is right: the
 * defender plays it), CL_ERR_CORRUPT (not the rollup's input), or
 * cl_game_prepare's, cl_game_verdict's or cl_game_player_new's error.
 */
CL_WUR int cl_game_setup(struct cl_game_player **out, int *verdict,
			 const struct cl_game_setup_args *a);

/* The largest game program file read. */
#define CL_GAME_PROGRAM_MAX (16u << 20)
/* Read the game program (stf.elf) at `path` into *out (free() it): it
 * must load and boot in the VM (vm_image_id). CL_OK, CL_ERR_IO or
 * CL_ERR_CONFIG (logged). */
CL_WUR int cl_game_program_read(uint8_t **out, size_t *len, const char *path);

#endif /* CLEARLINE_GAME_H */
