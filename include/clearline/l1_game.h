/* SPDX-License-Identifier: MIT */
/*
 * The l1 module's dispute-game side: the ABI of the rollup's games and
 * of ClearlineDispute, and playing one game through the sender
 * (docs/disputes.md "The nodes"). Part of the l1 interface, kept in its
 * own file so that each header stays readable in one sitting; include
 * <clearline/l1.h>, which includes this one at its end.
 */
#ifndef CLEARLINE_L1_GAME_H
#define CLEARLINE_L1_GAME_H

#ifndef CLEARLINE_L1_H
#error "include <clearline/l1.h>, not <clearline/l1_game.h>"
#endif

/* ------------------------------------------------------------------ */
/* ABI of the dispute games (game_abi.c; docs/disputes.md "The nodes") */
/* ------------------------------------------------------------------ */

/* The rollup's side: a game about block k of a batch, opened with the
 * challenger's claim, and its outcome applied to the batches. */
#define CL_L1_SIG_GAME_CHALLENGE                                           \
	"challenge(uint64,uint32," CL_L1_BATCH_RECORD_TUPLE                 \
	"," CL_L1_BATCH_RECORD_TUPLE ",bytes32)"
#define CL_L1_SIG_GAME_INPUT                                               \
	"gameInput(uint64,uint32," CL_L1_BATCH_RECORD_TUPLE                 \
	"," CL_L1_BATCH_RECORD_TUPLE ")"
#define CL_L1_SIG_GAME_RESOLVE "resolve(uint256)"
#define CL_L1_SIG_DISPUTE "dispute()"
#define CL_L1_SIG_PROGRAM "program()"
#define CL_L1_SIG_GAME_STEPS "GAME_STEPS()"
/* The asset part of a game's deposits list: the rollup's assets(), then
 * ClearlineAssets.gameAssetList(batchIndex) (docs/disputes.md "Wiring"). */
#define CL_L1_SIG_GAME_ASSETS "assets()"
#define CL_L1_SIG_GAME_ASSET_LIST "gameAssetList(uint64)"
#define CL_L1_SIG_CHALLENGE_BOND "challengeBond()"
#define CL_L1_EV_GAME_OPENED "GameOpened(uint64,uint32,uint256,address)"
#define CL_L1_EV_GAME_RESOLVED "GameResolved(uint64,uint256,bool)"
/* ClearlineDispute */
#define CL_L1_SIG_DISPUTE_DEFEND "defendClaim(uint256,bytes32,bytes32)"
#define CL_L1_SIG_DISPUTE_MOVE "move(uint256,uint64,uint64,bool,bytes32)"
#define CL_L1_SIG_DISPUTE_STEP "step(uint256,bytes)"
#define CL_L1_SIG_DISPUTE_TIMEOUT "timeout(uint256)"
#define CL_L1_SIG_DISPUTE_WITHDRAW "withdraw()"
#define CL_L1_SIG_DISPUTE_GAME "game(uint256)"
#define CL_L1_SIG_DISPUTE_BOND "BOND()"
#define CL_L1_SIG_DISPUTE_CLOCK "CLOCK()"
#define CL_L1_SIG_DISPUTE_PREIMAGES "PREIMAGES()"
#define CL_L1_SIG_DISPUTE_CREDIT "credit(address)"
/* ClearlinePreimages */
#define CL_L1_SIG_PREIMAGE_POST "post(bytes)"
#define CL_L1_SIG_PREIMAGE_LENGTH_OF "lengthOf(bytes32)"

/* Sides and phases of a game (ClearlineDispute). */
enum cl_l1_game_side {
	CL_L1_SIDE_NONE = 0,
	CL_L1_SIDE_DEFENDER = 1,
	CL_L1_SIDE_CHALLENGER = 2,
};
enum cl_l1_game_phase {
	CL_L1_PHASE_NONE = 0,	    /* no such game */
	CL_L1_PHASE_WAIT_DEFENDER = 1,
	CL_L1_PHASE_BISECT = 2,
	CL_L1_PHASE_STEP = 3,
	CL_L1_PHASE_OVER = 4,
};
/* "none", "wait-defender", "bisect", "step", "over"; "unknown" else. */
const char *cl_l1_game_phase_str(unsigned phase);

/* ClearlineDispute.game(id): the whole record. Clocks are the seconds
 * left as of `since`, when the side to move got the turn. */
#define CL_L1_GAME_WORDS 20
struct cl_l1_game {
	struct cl_address challenger, defender;
	uint64_t challenger_clock, defender_clock;
	uint8_t phase, turn, hi_owner, winner;
	uint64_t lo, hi, since, steps;
	struct cl_hash32 pre, lo_hash, hi_hash, mid_hash;
	struct cl_hash32 defender_claim, challenger_claim;
	struct cl_address creator; /* the rollup for its games */
	bool zero_verdict;	   /* the claims are verdicts */
};

/* Calldata builders (APPEND to out). `rec` is the disputed batch's
 * BatchAppended event, `prev` the previous batch's (NULL for batch 0:
 * a zero record, which the rollup ignores). */
void cl_l1_abi_game_challenge(struct cl_buf *out,
			      const struct cl_l1_batch_event *rec,
			      const struct cl_l1_batch_event *prev, uint32_t k,
			      const struct cl_hash32 *claim);
void cl_l1_abi_game_input(struct cl_buf *out,
			  const struct cl_l1_batch_event *rec,
			  const struct cl_l1_batch_event *prev, uint32_t k);
void cl_l1_abi_game_resolve(struct cl_buf *out, uint64_t game_id);
void cl_l1_abi_dispute_defend(struct cl_buf *out, uint64_t game_id,
			      const struct cl_hash32 *claim,
			      const struct cl_hash32 *mid);
void cl_l1_abi_dispute_move(struct cl_buf *out, uint64_t game_id, uint64_t lo,
			    uint64_t hi, bool agree,
			    const struct cl_hash32 *mid);
void cl_l1_abi_dispute_step(struct cl_buf *out, uint64_t game_id,
			    const uint8_t *proof, size_t len);
void cl_l1_abi_dispute_timeout(struct cl_buf *out, uint64_t game_id);
void cl_l1_abi_dispute_game(struct cl_buf *out, uint64_t game_id);
void cl_l1_abi_preimage_post(struct cl_buf *out, const uint8_t *data,
			     size_t len);
void cl_l1_abi_preimage_length_of(struct cl_buf *out,
				  const struct cl_hash32 *key);
/* A call without arguments (views such as BOND(), GAME_STEPS()). */
void cl_l1_abi_call0(struct cl_buf *out, const char *signature);

/* Return data: game(id) (CL_L1_GAME_WORDS static words: a struct of
 * static fields comes back in place, every small field checked);
 * one `bytes` (canonical: offset 32, zero padding, nothing trailing;
 * *data borrows from p); lengthOf (bool, uint256 below 2^64); one
 * address word. False (outputs zeroed) when malformed. */
CL_WUR bool cl_l1_abi_ret_game(struct cl_l1_game *out, const uint8_t *p,
			       size_t len);
CL_WUR bool cl_l1_abi_ret_bytes(const uint8_t **data, size_t *data_len,
				const uint8_t *p, size_t len);
CL_WUR bool cl_l1_abi_ret_length_of(bool *posted, uint64_t *length,
				    const uint8_t *p, size_t len);
CL_WUR bool cl_l1_abi_ret_address(struct cl_address *out, const uint8_t *p,
				  size_t len);

/* GameOpened(uint64 indexed batchIndex, uint32 k, uint256 indexed gameId,
 *            address indexed challenger) */
struct cl_l1_game_opened {
	uint64_t batch;
	uint32_t k;
	uint64_t game_id; /* ids above 2^64 are refused */
	struct cl_address challenger;
	struct cl_l1_event_loc loc;
};
/* GameResolved(uint64 indexed batchIndex, uint256 indexed gameId,
 *              bool challengerWins) */
struct cl_l1_game_resolved {
	uint64_t batch;
	uint64_t game_id;
	bool challenger_wins;
	struct cl_l1_event_loc loc;
};
CL_WUR bool cl_l1_decode_game_opened(struct cl_l1_game_opened *out,
				     const struct cl_l1_log *log);
CL_WUR bool cl_l1_decode_game_resolved(struct cl_l1_game_resolved *out,
				       const struct cl_l1_log *log);

/* ------------------------------------------------------------------ */
/* Playing a game (game_play.c)                                        */
/* ------------------------------------------------------------------ */

/* The game contracts and parameters, read from the rollup. */
struct cl_l1_game_setup {
	struct cl_address dispute, preimages;
	uint64_t game_steps; /* N of every game */
	uint64_t clock;	     /* each side's chess clock, seconds */
	uint8_t bond[32];    /* challengeBond() == the dispute's BOND */
};
/* dispute(), GAME_STEPS(), challengeBond() of the rollup; PREIMAGES()
 * and CLOCK() of the dispute contract. CL_OK, CL_ERR_CORRUPT or an RPC
 * code (a rollup without games reverts). */
CL_WUR int cl_l1_game_setup_read(struct cl_l1_rpc *rpc,
				 const struct cl_address *rollup,
				 struct cl_l1_game_setup *out);

/* What a game about block k of a batch is made of, from L1. */
struct cl_l1_game_material {
	uint32_t k;
	struct cl_l1_batch_event rec;  /* the live batch */
	bool has_prev;		       /* batch > 0 */
	struct cl_l1_batch_event prev; /* the batch before */
	struct cl_buf tx_input;	       /* its appendBatch calldata */
	struct cl_l1_batch_args args;  /* decoded (data borrows tx_input) */
	const uint8_t *data;	       /* the batch data (= args.data) */
	size_t data_len;
	uint64_t prev_forced;	       /* forcedConsumed before the batch */
	struct cl_buf input;	       /* the rollup's gameInput: CLB3 */
	struct cl_l1_deposit *deps;    /* ids prevDepositsConsumed.. */
	size_t n_deps;
	struct cl_l1_forced *forced;   /* ids prev_forced.. */
	size_t n_forced;
	struct cl_buf asset_list;      /* gameAssetList(batch): the asset
					* deposits it consumes (empty: none) */
};
/*
 * Read everything: the live record of `batch` and of the one before
 * (cl_l1_batch_record from `from_block`, `range`), the posted data (its
 * keccak256 checked), the rollup's gameInput(batch, k, ..), the
 * Deposit and ForcedRequest events of the ids the batch consumes, and
 * the asset deposits it consumes (its assets contract's gameAssetList).
 * Returns CL_OK (release *m), CL_ERR_NOT_FOUND (a batch, transaction
 * or record is not on L1), CL_ERR_CORRUPT, or an RPC code (gameInput
 * reverts on a k out of range).
 */
CL_WUR int cl_l1_game_material_fetch(struct cl_l1_rpc *rpc,
				     const struct cl_address *rollup,
				     uint64_t from_block, uint64_t range,
				     uint64_t batch, uint32_t k,
				     struct cl_l1_game_material *m);
void cl_l1_game_material_release(struct cl_l1_game_material *m);

/* The posted data of live batches first .. end - 1, in order, each
 * handed to `fn` (its keccak256 checked against the record; CL_OK to go
 * on). CL_OK, fn's code, CL_ERR_NOT_FOUND, CL_ERR_CORRUPT or an RPC
 * code. */
CL_WUR int cl_l1_batches_each(struct cl_l1_rpc *rpc,
			      const struct cl_address *rollup,
			      uint64_t from_block, uint64_t range,
			      uint64_t first, uint64_t end,
			      int (*fn)(void *ctx, uint64_t index,
					const uint8_t *data, size_t len),
			      void *ctx);

/* The GameOpened events of the rollup in L1 blocks [from, to], in log
 * order, each handed to `fn` (CL_OK to go on). CL_OK, fn's code or an
 * RPC code. */
CL_WUR int cl_l1_games_opened(struct cl_l1_rpc *rpc,
			      const struct cl_address *rollup, uint64_t from,
			      uint64_t to, uint64_t range,
			      int (*fn)(void *ctx,
					const struct cl_l1_game_opened *ev),
			      void *ctx);

/* Read game(id) from ClearlineDispute at latest. CL_OK, CL_ERR_CORRUPT
 * (malformed answer) or an RPC code (a revert: no such game). */
CL_WUR int cl_l1_game_read(struct cl_l1_rpc *rpc,
			   const struct cl_address *dispute,
			   struct cl_l1_game *out, uint64_t game_id);

/* Seconds `side` has left at L1 time `now` (its running turn counted). */
uint64_t cl_l1_game_clock_left(const struct cl_l1_game *g, unsigned side,
			       uint64_t now);

/* What to claim: the node's VM player (src/game) behind three calls.
 * Each returns CL_OK or an error (the round is tried again later). */
struct cl_l1_game_strategy {
	void *ctx;
	/* the claim at N and the hash at N / 2 (defend) */
	int (*claim)(void *ctx, struct cl_hash32 *claim, struct cl_hash32 *mid);
	/* judge `mid` at lo + (hi - lo) / 2; the hash at the next midpoint
	 * (zero when the interval becomes one step) */
	int (*move)(void *ctx, uint64_t lo, uint64_t hi,
		    const struct cl_hash32 *mid, bool *agree,
		    struct cl_hash32 *next);
	/* the proof of step lo and the preimage it reads (if *has);
	 * CL_ERR_NOT_FOUND when the player has none to give */
	int (*proof)(void *ctx, uint64_t lo, struct cl_buf *proof,
		     struct cl_buf *preimage, bool *has);
};

/* Where the moves go: the contracts and the sender of the node's key
 * (all borrowed). `bond` is ClearlineDispute.BOND(), paid by defend. */
struct cl_l1_game_ctx {
	struct cl_l1_rpc *rpc;
	struct cl_l1_sender *sender;
	struct cl_address rollup, dispute, preimages;
	uint8_t bond[32];
};

/* One game a node plays (its record is the node's; zero it, then set
 * id, batch, k and side). */
struct cl_l1_game_play {
	uint64_t id;
	uint64_t batch;
	uint32_t k;
	unsigned side;	     /* enum cl_l1_game_side: ours */
	struct cl_l1_game g; /* as last read */
	uint64_t l1_time;    /* L1 head time at that read */
	bool over;	     /* phase over seen */
	bool resolved;	     /* the rollup applied it (or refused: done) */
	bool withdrawn;	     /* our winnings (if any) withdrawn */
	uint64_t actions;    /* transactions sent */
	char last[96];	     /* the last action, for status */
	/* the transaction in flight, and the position it answered */
	bool tx_inflight;
	uint64_t tx_id;
	char tx_what[24];
	char key_kind;
	uint64_t key_phase, key_lo, key_hi;
	uint64_t warned_lo; /* the position a low clock was logged at */
	/* earlier transactions, forgotten from the sender once final */
	uint64_t old[8];
	size_t n_old;
};

/* Over, resolved on the rollup, our winnings withdrawn, nothing in
 * flight: nothing more to do. */
bool cl_l1_game_settled(const struct cl_l1_game_play *p);

/* Below this many seconds on our clock at our turn, a line is logged. */
#define CL_L1_GAME_CLOCK_LOW_S 300

/*
 * One round: follow the transaction in flight, read the game, and take
 * at most one action: defend (we defend and it waits for us), move (our
 * turn), post the step's preimage to the oracle then step (one step
 * left: anyone may, the honest proof decides), timeout (the other side
 * ran out of time), resolve on the rollup (over), then withdraw our
 * credit from the dispute contract when we won. Each action is sent
 * once per position; a reverted one is tried again. Returns CL_OK or an
 * error (L1 unreachable, the strategy failed; try again).
 */
CL_WUR int cl_l1_game_play_step(struct cl_l1_game_play *p,
				const struct cl_l1_game_ctx *c,
				const struct cl_l1_game_strategy *s);

#endif /* CLEARLINE_L1_GAME_H */
