/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/stf: the derivation layer above the primitive
 * transitions (docs/protocol.md "Derived transitions").
 *
 * engine.c   blocks and requests: the entry points, results, budget
 * books.c    the order books and the expiry heap: a cache of the open
 *            orders in the state, rebuilt when the state moved unseen
 * place.c    a placed order against the book
 * trigger.c  work due when a block opens or a price moves: expiries,
 *            liquidations, the multi-market sweep, the fund's unwind
 * forced.c   L1 forced requests: withdrawal, cancel, cancel-all, close
 * schedule.c the dead-man switch: armed by SCHEDULE_CANCEL, fired when a
 *            block opens
 * twap.c     TWAP orders: sliced when blocks open
 * scale.c    scale orders: a signed list placed leg by leg
 * conditional.c trigger orders (stops, TP/SL): placed when the mark
 *            reaches their price, at a block's opening and after oracle
 *            requests
 * option_close.c expired option markets: orders closed, positions
 *            settled (OPTION_SETTLE), first thing when a block opens
 *
 * Every change goes through a primitive transition (stf_derive()), which
 * is checked like any transaction; the books only mirror what the state
 * says, so a node that rebuilds them reaches the same results.
 */
#ifndef CLEARLINE_STF_ENGINE_INT_H
#define CLEARLINE_STF_ENGINE_INT_H

#include "stf_int.h"

#include <clearline/matching.h>

/* A resting order by expiry. */
struct stf_expiring {
	uint64_t expiry;
	struct cl_hash32 hash;
	uint32_t mi; /* market index */
};

/* Why a maker met during a walk is closed. */
struct stf_maker_reason {
	struct cl_hash32 maker;
	enum cl_done_reason reason;
};

struct stf_engine {
	/* the cache: valid while it mirrors the state's open orders */
	bool valid;
	uint64_t synced_block; /* the last block it followed to its end */
	struct book *books[CL_GENESIS_MAX_MARKETS];
	uint64_t versions[CL_GENESIS_MAX_MARKETS]; /* bumped on change */
	struct book_plan plan;
	/* resting orders by expiry, a binary min-heap; entries of orders
	 * that left the book are dropped when they come up */
	struct stf_expiring *exp;
	size_t n_exp, cap_exp;

	/* the open block */
	uint64_t derived;   /* primitive steps derived */
	uint64_t risk_ops;  /* of which counted against the budget */
	bool pending;       /* the budget cut derived work short */
	size_t pruned;      /* records the opening pruned */
	bool prune_pending; /* due records left for the next block */
	uint64_t adl_reindexed[CL_GENESIS_MAX_MARKETS][2]; /* block */

	/* the block's derived fills (cl_stf_block_fills), and what kind
	 * of work a FILL applied now belongs to */
	struct cl_stf_block_fill *bfills;
	size_t n_bfills, cap_bfills;
	enum cl_stf_fill_kind fill_kind;

	/* the current request's fills */
	struct cl_stf_fill *fills;
	size_t n_fills, cap_fills;
};


/* Forget the block's derived fills after the first n (a savepoint
 * rolled back). */
void stf_block_fills_truncate(struct cl_stf *s, size_t n);

/* The market's index in the genesis, or -1. */
int stf_market_index(const struct cl_genesis *g, uint32_t market);

/* Apply a derived primitive transaction (recovered here). Returns as
 * cl_stf_apply(). */
int stf_derive(struct cl_stf *s, struct cl_tx *tx);
/* An ORDER_DONE the derivation must be able to write: a refusal is a
 * bug (logged, CL_ERR_CORRUPT). */
int stf_derive_done(struct cl_stf *s, const struct cl_hash32 *order,
		    enum cl_done_reason reason);

/* True when the block's budget of derived risk work is used up (and
 * note that work is pending). */
bool stf_budget_out(struct cl_stf *s);

/* ---- books.c ---- */
/* Rebuild the books and the expiry heap from the state's open orders. */
int stf_books_rebuild(struct cl_stf *s);
void stf_books_free(struct stf_engine *e);
void stf_book_order_from(struct book_order *o, const struct cl_hash32 *h,
			 const struct cl_order_record *r);
void stf_exp_push(struct stf_engine *e, uint64_t expiry,
		  const struct cl_hash32 *hash, uint32_t mi);
void stf_exp_pop(struct stf_engine *e);
/* Drop the heap's entries of orders gone when they are most of it. */
void stf_exp_compact(struct cl_stf *s);
/* Commit a plan to market mi's book. */
void stf_book_commit(struct cl_stf *s, uint32_t mi);
/* Remove a resting order from market mi's book (absent: a bug). */
void stf_book_remove(struct cl_stf *s, uint32_t mi,
		     const struct cl_hash32 *hash);

/* ---- collateral_depth.c ---- */
/* Store each collateral asset's hedge-book depth (books valid). */
int stf_measure_depths(struct cl_stf *s);

/* ---- place.c ---- */
/* How much of `side` would only reduce owner's position in `market`. */
int stf_reducible(struct cl_stf *s, uint64_t *out,
		  const struct cl_address *owner, uint32_t market,
		  enum book_side side);
void stf_note_maker(struct stf_maker_reason **v, size_t *n, size_t *cap,
		    const struct cl_hash32 *h, enum cl_done_reason reason);
enum cl_done_reason stf_maker_reason(const struct stf_maker_reason *v,
				     size_t n, const struct cl_hash32 *h);
/* Close the makers a committed plan cancelled. */
int stf_close_cancelled(struct cl_stf *s, const struct book_plan *plan,
			const struct stf_maker_reason *v, size_t n);
int stf_place(struct cl_stf *s, struct cl_stf_result *r,
	      const struct cl_tx *tx);
/* Match the open order `hash` (just stored) against its book: fills,
 * closed makers, the remainder resting or closed. */
int stf_match_taker(struct cl_stf *s, struct cl_stf_result *r,
		    const struct cl_hash32 *hash);

/* ---- forced.c ---- */
/* A forced request with its derived work (books, the close's match). */
int stf_forced(struct cl_stf *s, struct cl_stf_result *r,
	       const struct cl_tx *tx);

/* ---- conditional.c ---- */
/* Fire the pending trigger orders of `market` its mark has reached
 * (within the budget). */
int stf_run_triggers(struct cl_stf *s, uint32_t market);

/* ---- twap.c ---- */
/* One slice of every TWAP due now (a block's opening); the first slice
 * of TWAP `h` (the request that placed it). */
int stf_run_twaps(struct cl_stf *s);
int stf_twap_first_slice(struct cl_stf *s, const struct cl_hash32 *h);

/* ---- scale.c ---- */
/* A scale order: its legs placed, then each matched in order. */
int stf_scale(struct cl_stf *s, struct cl_stf_result *r,
	      const struct cl_tx *tx);

/* ---- schedule.c ---- */
/* Fire the dead-man switches due at the block's time (within the
 * budget). */
int stf_fire_scheduled_cancels(struct cl_stf *s);

/* ---- trigger.c ---- */
/* The liquidation pass of `market` at its mark. */
int stf_run_liquidations(struct cl_stf *s, uint32_t market);
/* Work due when a block opens. */
int stf_open_block_work(struct cl_stf *s);

/* ---- option_close.c ---- */
/* Close the expired option markets: orders, then positions (within the
 * budget). */
int stf_run_option_expiry(struct cl_stf *s);

#endif
