/* SPDX-License-Identifier: MIT */
/*
 * matching — one deterministic limit order book per market.
 *
 * What it is for: the sequencer and the verifier feed orders (already
 * decoded, hashed and signature-checked) into a book; the book finds the
 * fills under price-time priority and hands them to the state transition
 * function, which owns every balance and position. The book knows nothing
 * about margin, positions or time: where those matter it asks the caller
 * through a fill callback.
 *
 * Two-phase matching: book_match() computes a plan without touching the
 * book; book_commit() applies it or book_discard() drops it. The plan is
 * only valid while the book's version is unchanged, so the stf can veto
 * fills one by one and a fill-or-kill order stays atomic.
 *
 * Invariants:
 *  - Results depend only on the sequence of calls and their arguments:
 *    no floating point, no clock, no randomness, and neither pointer values
 *    nor hash-table layout decide any order the caller can observe.
 *  - Priority is price first (higher bids, lower asks), then sequence
 *    number (lower first). Sequence numbers are assigned by the caller and
 *    are strictly increasing for new orders.
 *  - The book is never crossed after a commit: best bid < best ask.
 *  - An order hash is in the book at most once; each resting order has a
 *    nonzero remaining size. A resting order is always good-till-cancelled.
 *
 * Ownership: a book owns copies of its resting orders; pointers handed to
 * callbacks are borrowed for the duration of the call. A plan owns its
 * arrays and can be reused for many matches; it refers to its book only by
 * identity and version.
 *
 * Threads: a book and its plans are used by one thread, the sequencer's
 * (or verifier's) writer. Nothing here locks.
 *
 * Rules in full: docs/matching.md.
 */
#ifndef CLEARLINE_MATCHING_H
#define CLEARLINE_MATCHING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clearline/common.h>

/* ------------------------------------------------------------------ */
/* Orders                                                              */
/* ------------------------------------------------------------------ */

enum book_side {
	BOOK_BUY = 0,  /* a bid */
	BOOK_SELL = 1, /* an ask */
};

/* Order flags, as signed (docs/crypto.md "EIP-712", fixed). */
#define BOOK_FLAG_REDUCE_ONLY 0x01u
#define BOOK_FLAG_POST_ONLY 0x02u
#define BOOK_FLAG_TIF_SHIFT 2
#define BOOK_FLAG_TIF_MASK 0x0cu
#define BOOK_FLAGS_KNOWN 0x0fu

/* Time in force: bits 2-3 of the flags. The value 3 is invalid. */
enum book_tif {
	BOOK_GTC = 0, /* good till cancelled: the remainder rests */
	BOOK_IOC = 1, /* immediate or cancel: the remainder is cancelled */
	BOOK_FOK = 2, /* fill or kill: all of it at once, or nothing */
};

/* The time-in-force bits of `flags` (3 if invalid; see book_check_flags). */
static inline unsigned book_flags_tif(uint8_t flags)
{
	return (flags & BOOK_FLAG_TIF_MASK) >> BOOK_FLAG_TIF_SHIFT;
}

/*
 * An order as the book sees it. `hash` is the EIP-712 digest and the
 * order's identity. `size` is the remaining size: for a new order the
 * signed size (minus whatever the stf already knows was filled), for a
 * resting order what is left of it. `expiry` is carried for the caller (the
 * book has no clock). `seq` is the arrival number the caller assigns: it is
 * the time in price-time priority.
 */
struct book_order {
	struct cl_hash32 hash;
	struct cl_address owner;
	uint32_t market;
	enum book_side side;
	struct cl_price price;
	struct cl_size size;
	uint8_t flags;
	uint64_t expiry;
	uint64_t seq;
};

/* ------------------------------------------------------------------ */
/* Domain codes                                                        */
/* ------------------------------------------------------------------ */

/*
 * Outcomes the caller must handle (positive, see STYLE.md). The order of
 * the validation codes is the order of the checks: the first failing check
 * names the code.
 */
enum book_code {
	BOOK_OK = 0,
	BOOK_ERR_MARKET = 1,  /* order.market is not this book's market */
	BOOK_ERR_FLAGS,	      /* unknown bits, TIF 3, post-only with IOC/FOK */
	BOOK_ERR_PRICE_ZERO,  /* price is 0 */
	BOOK_ERR_PRICE_TICK,  /* price is not a multiple of the tick size */
	BOOK_ERR_PRICE_RANGE, /* price outside [min_price, max_price] */
	BOOK_ERR_SIZE_ZERO,   /* size is 0 */
	BOOK_ERR_SIZE_STEP,   /* size is not a multiple of the step size */
	BOOK_ERR_SIZE_RANGE,  /* size outside [min_size, max_size] */
	BOOK_ERR_DUPLICATE,   /* an order with this hash is already resting */
	BOOK_ERR_NOT_FOUND,   /* no resting order with this hash */
	BOOK_ERR_NOT_GTC,     /* restore: only GTC orders rest */
	BOOK_ERR_CROSSED,     /* restore: the order would cross the book */
	BOOK_ERR_SEQUENCE,    /* restore: sequence already used at its level */
};

/* A short, lowercase, static description of a book_code. */
const char *book_code_str(enum book_code code);

/* ------------------------------------------------------------------ */
/* Market parameters and validation                                    */
/* ------------------------------------------------------------------ */

/*
 * A market's trading parameters (from genesis). A valid set has tick and
 * step nonzero, 0 < min_price <= max_price and 0 < min_size <= max_size.
 */
struct book_params {
	uint32_t market;
	uint64_t tick;	    /* price must be a multiple of it */
	uint64_t step;	    /* size must be a multiple of it */
	uint64_t min_price; /* inclusive bounds */
	uint64_t max_price;
	uint64_t min_size;
	uint64_t max_size;
};

/* True if the parameters are a valid set (see above). */
CL_WUR bool book_params_valid(const struct book_params *p);

/* Flags: BOOK_ERR_FLAGS if a bit outside BOOK_FLAGS_KNOWN is set, the TIF
 * is 3, or post-only is combined with IOC or FOK; else BOOK_OK. */
CL_WUR enum book_code book_check_flags(uint8_t flags);

/* Price: BOOK_ERR_PRICE_ZERO, _PRICE_TICK, _PRICE_RANGE or BOOK_OK. */
CL_WUR enum book_code book_check_price(const struct book_params *p,
				       struct cl_price price);

/* Size: BOOK_ERR_SIZE_ZERO, _SIZE_STEP, _SIZE_RANGE or BOOK_OK. */
CL_WUR enum book_code book_check_size(const struct book_params *p,
				      struct cl_size size);

/* All of the above for an incoming order, market first, then flags, price
 * and size; BOOK_OK if it may be matched. Does not look at the book. */
CL_WUR enum book_code book_check_order(const struct book_params *p,
				       const struct book_order *o);

/* ------------------------------------------------------------------ */
/* The book                                                            */
/* ------------------------------------------------------------------ */

struct book;

/*
 * A new, empty book for the market described by `params`, which must be
 * valid (book_params_valid(); otherwise a bug). Free with book_free().
 */
struct book *book_new(const struct book_params *params);

/* Free the book and every resting order in it. book_free(NULL) is a no-op.
 * Plans made on it must not be committed afterwards. */
void book_free(struct book *b);

/* The parameters the book was made with (borrowed, valid as long as b). */
const struct book_params *book_params(const struct book *b);

/* Number of resting orders, in total and on one side. */
size_t book_count(const struct book *b);
size_t book_count_side(const struct book *b, enum book_side side);

/* Number of price levels on one side. */
size_t book_levels(const struct book *b, enum book_side side);

/*
 * The version counter: it changes on every mutation (commit, cancel,
 * restore) and on nothing else. A plan is valid only at the version it was
 * made at.
 */
uint64_t book_version(const struct book *b);

/* The highest sequence number the book has seen (0 when none). */
uint64_t book_last_seq(const struct book *b);

/*
 * The best price on `side` (highest bid or lowest ask) into *out. Returns
 * false, and stores 0, if that side is empty.
 */
CL_WUR bool book_best(const struct book *b, struct cl_price *out,
		      enum book_side side);

/*
 * Copy the resting order with hash `hash` into *out (remaining size).
 * Returns false, and zeroes *out, if no such order rests.
 */
CL_WUR bool book_get(const struct book *b, struct book_order *out,
		     const struct cl_hash32 *hash);

/* One aggregated price level. `size` saturates at UINT64_MAX. */
struct book_level {
	struct cl_price price;
	struct cl_size size; /* sum of remaining sizes */
	uint32_t orders;     /* number of orders (saturates at UINT32_MAX) */
};

/*
 * The best `max` levels of `side`, best first, into out[0..max). Returns
 * how many were written (fewer when the side has fewer levels).
 */
size_t book_depth(const struct book *b, struct book_level *out, size_t max,
		  enum book_side side);

/*
 * Call fn(ctx, order) for every resting order in a fixed order: bids from
 * the best price down, then asks from the best price up, and within a level
 * in priority (sequence) order. Restoring the orders in this order into an
 * empty book with book_restore() reproduces the book exactly (except
 * book_last_seq(), which then only knows the restored orders: the caller
 * keeps numbering from its own persisted counter). `order` is
 * borrowed for the call; fn must not change the book (a bug). A nonzero
 * return from fn stops the walk and is returned; 0 after a full walk.
 */
typedef int (*book_foreach_fn)(void *ctx, const struct book_order *order);
int book_foreach(const struct book *b, book_foreach_fn fn, void *ctx);

/*
 * Remove the resting order `hash`. If `out` is not NULL it receives the
 * removed order (remaining size). BOOK_OK or BOOK_ERR_NOT_FOUND (then *out
 * is zeroed). Checking that the canceller owns the order is the caller's.
 */
CL_WUR enum book_code book_cancel(struct book *b, struct book_order *out,
				  const struct cl_hash32 *hash);

/*
 * Put a resting order back with its original sequence number, without
 * matching (rebuilding the book from persisted state at start-up). Orders
 * may come in any order; in book_foreach() order each insert is O(log L).
 * Tick, step and size bounds are not re-checked (the order was valid when
 * placed; the parameters may have changed since). Returns BOOK_OK,
 * BOOK_ERR_MARKET, BOOK_ERR_FLAGS, BOOK_ERR_NOT_GTC, BOOK_ERR_PRICE_ZERO,
 * BOOK_ERR_SIZE_ZERO, BOOK_ERR_DUPLICATE (hash already rests),
 * BOOK_ERR_CROSSED (best bid would reach best ask) or BOOK_ERR_SEQUENCE
 * (another order at the same level has the same sequence number). On an
 * error the book is unchanged.
 */
CL_WUR enum book_code book_restore(struct book *b, const struct book_order *o);

/*
 * Check every internal invariant: tree order and balance, the level list,
 * FIFO links and sequence order in each level, level totals and counts,
 * the hash index, and that the book is not crossed. O(n); for tests and
 * debugging. Returns false (and logs what broke) on the first violation.
 */
CL_WUR bool book_check_invariants(const struct book *b);

/* ------------------------------------------------------------------ */
/* Matching: plan, then commit or discard                              */
/* ------------------------------------------------------------------ */

/* What the fill callback decides about one candidate fill. */
enum book_verdict {
	/* Fill *allowed (0..size) and go on with the next maker. A maker
	 * left with size (allowed < its remaining) stays on the book. */
	BOOK_ACCEPT,
	/* Fill *allowed (usually 0), then cancel the maker's remainder
	 * (e.g. it lacks margin or expired) and go on. */
	BOOK_CANCEL_MAKER,
	/* Fill *allowed (usually 0), then stop: the taker's remainder is
	 * cancelled (e.g. it reached its margin or reduce-only limit). */
	BOOK_STOP_TAKER,
};

/* One candidate fill shown to the callback. */
struct book_candidate {
	const struct book_order *maker; /* as resting, before this plan */
	const struct book_order *taker; /* as passed to book_match() */
	struct cl_price price;		/* the maker's price */
	struct cl_size size;		/* min(maker, taker remaining) */
	struct cl_size taker_filled;	/* filled earlier in this plan */
};

/*
 * The fill callback. It stores in *allowed how much of c->size may fill
 * (0..c->size; more is a bug) and returns a verdict. It is called once per
 * maker, in priority order, and never for a self-trade (those makers are
 * cancelled without asking). The book tells it nothing about earlier fills
 * of the same plan except c->taker_filled: a callback that needs the
 * cumulative effect (margin used, position reduced so far) tracks it in
 * ctx, and throws that away if the plan is discarded or comes back
 * rejected. It must not change the book.
 */
typedef enum book_verdict (*book_fill_fn)(void *ctx, uint64_t *allowed,
					  const struct book_candidate *c);

/* How a taker ended. */
enum book_outcome {
	BOOK_FILLED,		 /* fully filled */
	BOOK_RESTING,		 /* GTC remainder rests (filled may be 0) */
	BOOK_CANCELLED_IOC,	 /* IOC remainder cancelled */
	BOOK_CANCELLED_STOPPED,	 /* the callback stopped it; rest cancelled */
	BOOK_CANCELLED_CROSSING, /* GTC remainder cancelled: makers it
				  * crosses were left on the book by the
				  * callback, so it cannot rest */
	BOOK_REJECTED_POST_ONLY, /* post-only and would cross: no effect */
	BOOK_REJECTED_FOK,	 /* FOK not fully fillable: no effect */
};

/* A short, lowercase, static name of an outcome. */
const char *book_outcome_str(enum book_outcome o);

/* Why a maker is cancelled by a plan. */
enum book_cancel_reason {
	BOOK_CANCEL_SELF_TRADE, /* same owner as the taker */
	BOOK_CANCEL_CALLBACK,	/* the callback returned BOOK_CANCEL_MAKER */
};

const char *book_cancel_reason_str(enum book_cancel_reason r);

struct book_fill {
	struct cl_hash32 maker;
	struct cl_hash32 taker;
	struct cl_address maker_owner;
	struct cl_price price; /* the maker's price */
	struct cl_size size;   /* > 0 */
	bool maker_done;       /* the maker leaves the book (fully filled) */
};

struct book_cancel {
	struct cl_hash32 maker;
	struct cl_address maker_owner;
	struct cl_size size; /* the remainder removed from the book */
	enum book_cancel_reason reason;
	size_t after_fills; /* number of fills before it in walk order */
};

/* Plan life cycle (private to the book; shown for debugging). */
enum book_plan_state {
	BOOK_PLAN_EMPTY,     /* fresh, or the match returned an error */
	BOOK_PLAN_READY,     /* made by book_match(), awaiting a decision */
	BOOK_PLAN_COMMITTED, /* applied */
	BOOK_PLAN_DISCARDED, /* dropped */
};

/*
 * A matching plan. The public fields are read-only results for the caller;
 * the arrays are in walk (priority) order and are valid until the plan is
 * reused or released. Embedded: book_plan_init() / book_plan_release().
 */
struct book_plan {
	enum book_outcome outcome;
	struct book_order taker;  /* copy of the taker as passed */
	struct cl_size filled;	  /* sum of fill sizes */
	struct cl_size remaining; /* taker.size - filled: rests or is dropped */
	struct book_fill *fills;
	size_t n_fills;
	struct book_cancel *cancels;
	size_t n_cancels;

	/* private */
	size_t fills_cap;
	size_t cancels_cap;
	const struct book *book;
	uint64_t version;
	enum book_plan_state state;
	bool outside; /* made by book_match_outside() */
};

void book_plan_init(struct book_plan *plan);
/* Frees the arrays; the plan may be in any state (a READY plan is simply
 * dropped). */
void book_plan_release(struct book_plan *plan);

/*
 * Plan the matching of `taker` against `b` without changing `b`.
 *
 * The order is checked with book_check_order(), and its hash must not be
 * resting (BOOK_ERR_DUPLICATE); on an error the plan is left EMPTY. Its
 * seq must be greater than book_last_seq() (a bug otherwise).
 *
 * Then: a post-only taker that would cross is BOOK_REJECTED_POST_ONLY. A
 * FOK taker whose crossing levels hold less than its size is
 * BOOK_REJECTED_FOK at once, without calling fn. Otherwise the makers that
 * cross the taker's price are visited in priority order, each at most once,
 * while the taker has size left: a maker of the same owner is cancelled
 * (self-trade prevention, "cancel resting"); any other is shown to fn
 * (NULL fn accepts every fill in full). A FOK taker that is not fully
 * filled at the end is BOOK_REJECTED_FOK and the plan then holds no fills
 * and no cancels. `taker` is copied; `ctx` is passed to fn.
 *
 * `plan` must not be READY (commit or discard the previous plan first).
 * Returns BOOK_OK with plan READY, or a validation code.
 */
CL_WUR enum book_code book_match(const struct book *b, struct book_plan *plan,
				 const struct book_order *taker,
				 book_fill_fn fn, void *ctx);

/*
 * book_match() for a taker from outside the order sequence: a liquidation
 * or an insurance-fund unwind the sequencer makes on behalf of the risk
 * engine. The taker must be IOC (a bug otherwise); its `seq` is ignored,
 * and committing the plan leaves book_last_seq() unchanged. Everything
 * else is as for book_match().
 */
CL_WUR enum book_code book_match_outside(const struct book *b,
					 struct book_plan *plan,
					 const struct book_order *taker,
					 book_fill_fn fn, void *ctx);

/* True if `plan` is READY and was made on `b` at its current version. */
bool book_plan_valid(const struct book *b, const struct book_plan *plan);

/*
 * Apply a READY plan: fills reduce or remove makers, cancels remove them,
 * and a BOOK_RESTING taker is added at the back of its level. The plan must
 * be valid for `b` (book_plan_valid()): committing a plan twice, after a
 * discard, on another book or after the book changed is a bug. The plan's
 * results stay readable.
 */
void book_commit(struct book *b, struct book_plan *plan);

/* Drop a READY plan (anything else is a bug). The book is untouched; the
 * plan's results stay readable. */
void book_discard(struct book_plan *plan);

#endif /* CLEARLINE_MATCHING_H */
