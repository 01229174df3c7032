/* SPDX-License-Identifier: MIT */
/*
 * The stf's read side: what the RPC, the streams, the escape's proofs
 * and the tests read from a state (accounts, orders, markets, the risk
 * engine's figures). Part of the stf's interface, kept in its own file
 * so that each header stays readable in one sitting; include
 * <clearline/stf.h>, which includes this one at its end.
 */
#ifndef CLEARLINE_STF_READ_H
#define CLEARLINE_STF_READ_H

#ifndef CLEARLINE_STF_H
#error "include <clearline/stf.h>, not <clearline/stf_read.h>"
#endif

/* ------------------------------------------------------------------ */
/* Reading the state (RPC, tests)                                      */
/* ------------------------------------------------------------------ */

/*
 * What a reader looks at: the genesis plus exactly one of a writer state
 * (only on the writer's thread, sees uncommitted writes) or a snapshot
 * (any thread, the last committed block).
 */
struct cl_stf_view {
	const struct cl_genesis *genesis;
	struct cl_state *state;
	struct cl_snapshot *snapshot;
	struct cl_pm_cache *pm_cache; /* the writer's memo of scenario
				       * values (NULL: none; same results) */
	struct cl_genesis *owned; /* the genesis with the listed markets
				   * (stf_listing.h) a snapshot view made
				   * for itself, freed by its release;
				   * NULL: none */
};

/* The view of the stf's own state (writer thread only). */
struct cl_stf_view cl_stf_view(const struct cl_stf *s);

struct cl_account {
	int64_t collateral; /* atoms; may be negative after losses */
	uint64_t nonce;     /* action nonce (Withdraw, ApproveAgent) */
};

struct cl_stf_position {
	uint32_t market;
	int64_t size; /* signed size units; > 0 long */
	int64_t cost; /* cost basis in atoms (docs/margin.md) */
	__int128 funding_snap; /* the market's funding index when last settled */
};

/* A market's committed record (docs/protocol.md "MARKETS"). */
struct cl_market_state {
	uint64_t oracle_price;     /* the index; 0 before the first update */
	uint64_t oracle_timestamp; /* s: newest accepted entry */
	uint64_t mark_price;       /* 0: no mark yet */
	uint64_t open_interest;    /* total long size (the fund included) */
	uint64_t last_trade_price; /* 0 before the first fill */
	int64_t premium_ema_ppb;   /* EMA of the clamped last-trade premium */
	uint64_t ema_time;         /* s: when the EMA was last advanced */
	uint64_t breaker_start;    /* s: start of the breaker window */
	uint64_t breaker_anchor;   /* the index at the start of the window */
	uint64_t vol_var;          /* EWMA of squared index returns, ppm^2 */
	__int128 funding_index;    /* 1e-9 atoms per size unit, cumulative */
	uint64_t funding_time;     /* s: start of the open funding interval */
	int64_t premium_sum_ppb;   /* premium samples of the open interval */
	uint64_t premium_samples;
	int64_t funding_rate_ppb;  /* the last applied rate */
	int64_t funding_pool;      /* atoms paid in minus paid out */
	__int128 snap_sum;         /* sum of size x funding_snap, fund too */
	int64_t fund_size;         /* the insurance fund's position */
	int64_t fund_cost;
	__int128 fund_snap;
	uint64_t last_trade_time;  /* s: block time of the last fill */
};

struct cl_stf_globals {
	int64_t fee_balance;
	int64_t insurance_balance;
	uint64_t next_deposit_id;
	uint64_t next_withdrawal_id;
	uint64_t next_order_sequence;
	uint64_t next_forced_id; /* forced requests consumed (0 if none) */
	uint64_t next_asset_deposit_id; /* asset deposits credited (0 if
					 * none) */
	uint64_t block_number;
	uint64_t block_timestamp_ms;
	struct cl_l1_ref l1; /* the L1 block the last block named */
	struct cl_hash32 genesis_hash;
};

/*
 * Each getter returns CL_OK; CL_ERR_NOT_FOUND when the record does not
 * exist (then *out is zeroed: an absent account has zero collateral and
 * nonce); CL_ERR_CORRUPT when stored bytes do not decode; or another
 * negative backend error.
 */
CL_WUR int cl_stf_get_account(const struct cl_stf_view *v,
			      struct cl_account *out,
			      const struct cl_address *addr);

/* Positions of `addr` in increasing market id (at most one per market).
 * out must hold CL_GENESIS_MAX_MARKETS entries; *n gets the count. */
CL_WUR int cl_stf_get_positions(const struct cl_stf_view *v,
				struct cl_stf_position *out, size_t *n,
				const struct cl_address *addr);

/* One collateral asset of an account (cl_stf_get_collateral()). */
struct cl_stf_asset_balance {
	uint32_t asset;
	int64_t balance;      /* asset atoms, >= 0 */
	uint64_t index;       /* the oracle index used (0: none yet) */
	int64_t gross;        /* balance at the index, settlement atoms,
			       * rounded down */
	int64_t value;        /* after the haircut (margin_collateral_value_down) */
	uint32_t extra_ppm;   /* volatility and thin-book terms of the haircut */
	int64_t depth;        /* the hedge book's measured depth */
};

/*
 * The collateral assets of `addr`: one entry per genesis asset, in id
 * order (balance 0 included), into out[0..*n). `total` gets the sum of
 * the values (what health adds to the settlement balance).
 * Returns CL_OK, CL_STF_ERR_OVERFLOW, or a negative error.
 */
CL_WUR int cl_stf_get_collateral(const struct cl_stf_view *v,
				 struct cl_stf_asset_balance *out, size_t *n,
				 int64_t *total,
				 const struct cl_address *addr);

/* Health (margin_health) of `addr` at the current marks, pending funding
 * included; out->order_im counts the account's open orders
 * (docs/margin.md "Open orders"). Returns CL_OK, CL_STF_ERR_OVERFLOW, or
 * a negative error. */
CL_WUR int cl_stf_get_health(const struct cl_stf_view *v,
			     struct cl_health *out,
			     const struct cl_address *addr);

CL_WUR int cl_stf_get_order(const struct cl_stf_view *v,
			    struct cl_order_record *out,
			    const struct cl_hash32 *order_hash);

/*
 * The hashes of `trader`'s open orders (status CL_ORDER_OPEN, which
 * includes expired ones not yet closed by ORDER_DONE) in arrival order,
 * at most `cap` of them; *n gets how many were stored. Returns CL_OK (also
 * when there are more than cap: the first cap are returned) or a negative
 * error.
 */
CL_WUR int cl_stf_get_open_orders(const struct cl_stf_view *v,
				  struct cl_hash32 *out, size_t cap,
				  size_t *n, const struct cl_address *trader);

/* One market's open order sizes of an account (docs/protocol.md
 * "OPEN_SIZE"): what its open orders reserve margin for. */
struct cl_stf_open_sizes {
	uint32_t market;
	struct cl_open_sizes open; /* both 0 never stored */
};

/*
 * The open order sizes of `addr`, in increasing market id (only markets
 * where a side is non-zero). out must hold CL_GENESIS_MAX_MARKETS
 * entries; *n gets the count. Returns CL_OK (none: *n = 0),
 * CL_ERR_CORRUPT when a stored record does not decode, or another
 * negative error.
 */
CL_WUR int cl_stf_get_open_sizes(const struct cl_stf_view *v,
				 struct cl_stf_open_sizes *out, size_t *n,
				 const struct cl_address *addr);

/*
 * Isolated margin (docs/margin.md "Isolated margin"). The isolated
 * position of `owner` in `market` is held by an account of its own whose
 * address is the last 20 bytes of keccak256("clearline.isolated.v1" ‖
 * owner ‖ market u32); nobody holds its key, the owner and its agents act
 * for it.
 */
void cl_stf_isolated_account(struct cl_address *out,
			     const struct cl_address *owner, uint32_t market);

/* The margin mode of `owner` in `market`: *isolated, and *account the
 * account that holds the owner's position there (the isolated account,
 * or owner itself in cross mode). Returns CL_OK, CL_ERR_CORRUPT or a
 * negative error. */
CL_WUR int cl_stf_get_margin_mode(const struct cl_stf_view *v, bool *isolated,
				  struct cl_address *account,
				  const struct cl_address *owner,
				  uint32_t market);

/* What a derived account is. */
enum cl_stf_account_kind {
	CL_STF_ACCOUNT_ISOLATED = 1,   /* index: the market */
	CL_STF_ACCOUNT_SUBACCOUNT = 2, /* index: the subaccount number */
};

/* Portfolio margin (docs/margin.md "Portfolio margin"): is `addr`
 * margined in portfolio mode (table PORTFOLIO)? CL_OK (*on false when
 * not, or when the genesis has no portfolio section), CL_ERR_CORRUPT or
 * a negative error. */
CL_WUR int cl_stf_get_portfolio_mode(const struct cl_stf_view *v, bool *on,
				     const struct cl_address *addr);

/* The portfolio figures of `addr` at the current marks, whether or not
 * it is in portfolio mode (what opting in would require; pending funding
 * does not enter them). CL_OK, CL_STF_ERR_PM_DISABLED without a
 * portfolio section, CL_STF_ERR_OVERFLOW, or a negative error. */
CL_WUR int cl_stf_get_portfolio(const struct cl_stf_view *v,
				struct cl_pm_result *out,
				const struct cl_address *addr);

/* The owner, kind and index of a derived account (an isolated account
 * or a subaccount): CL_OK, CL_ERR_NOT_FOUND for any other address
 * (*owner zeroed), CL_ERR_CORRUPT or a negative error. */
CL_WUR int cl_stf_get_account_owner(const struct cl_stf_view *v,
				    struct cl_address *owner,
				    enum cl_stf_account_kind *kind,
				    uint32_t *index,
				    const struct cl_address *account);

/*
 * Subaccounts (docs/margin.md "Subaccounts"): subaccount `sub` of
 * `owner` is an account of its own at the last 20 bytes of
 * keccak256("clearline.subaccount.v1" ‖ owner ‖ sub u32); subaccount 0
 * is the owner's own account (*out = *owner). The owner and its agents
 * act for it.
 */
void cl_stf_subaccount_account(struct cl_address *out,
			       const struct cl_address *owner, uint32_t sub);

/* One subaccount of an owner. */
struct cl_stf_subaccount {
	uint32_t sub;
	struct cl_address account;
};

/* The subaccounts of `owner` that ever received a transfer (0 not
 * included), in increasing number, at most `cap`, into out[0..*n).
 * Returns CL_OK or a negative error. */
CL_WUR int cl_stf_get_subaccounts(const struct cl_stf_view *v,
				  struct cl_stf_subaccount *out, size_t cap,
				  size_t *n, const struct cl_address *owner);

/* One isolated market of an owner. */
struct cl_stf_isolated {
	uint32_t market;
	struct cl_address account;
};

/* The markets `owner` holds isolated, in increasing market id, into
 * out[0..*n) (out holds CL_GENESIS_MAX_MARKETS). Returns CL_OK or a
 * negative error. */
CL_WUR int cl_stf_get_isolated(const struct cl_stf_view *v,
			       struct cl_stf_isolated *out, size_t *n,
			       const struct cl_address *owner);

CL_WUR int cl_stf_get_market(const struct cl_stf_view *v,
			     struct cl_market_state *out, uint32_t market);

CL_WUR int cl_stf_get_globals(const struct cl_stf_view *v,
			      struct cl_stf_globals *out);

/* The expiry (s) of trader's approval of agent. */
CL_WUR int cl_stf_get_agent(const struct cl_stf_view *v, uint64_t *expiry,
			    const struct cl_address *trader,
			    const struct cl_address *agent);

/* Settlement withdrawal `id` (recipient, settlement atoms); an asset
 * withdrawal's id gives CL_ERR_NOT_FOUND (read it with
 * cl_stf_get_withdrawal_leaf()). */
CL_WUR int cl_stf_get_withdrawal(const struct cl_stf_view *v,
				 struct cl_address *recipient,
				 uint64_t *amount, uint64_t id);

/*
 * A withdrawal leaf of table WITHDRAWALS (docs/protocol.md): asset 0 is
 * a settlement withdrawal (value recipient ‖ amount u64, 28 bytes,
 * claimed with the rollup's claimWithdrawal); any other asset a
 * collateral-asset withdrawal (value recipient ‖ amount u64 ‖ asset u32,
 * 32 bytes, amount in the asset's L2 atoms, claimed with
 * ClearlineAssets.claimAssetWithdrawal). Both share one id sequence.
 */
struct cl_stf_withdrawal {
	struct cl_address recipient;
	uint64_t amount;
	uint32_t asset; /* 0: the settlement asset */
};
#define CL_STF_WITHDRAWAL_VAL_MAX 32

/* Withdrawal `id` of either kind: CL_OK, CL_ERR_NOT_FOUND (*out zeroed),
 * CL_ERR_CORRUPT or a negative error. */
CL_WUR int cl_stf_get_withdrawal_leaf(const struct cl_stf_view *v,
				      struct cl_stf_withdrawal *out,
				      uint64_t id);

/* The leaf value of `w` (what the L1 contracts hash) into out; returns
 * its length, 28 or 32. */
size_t cl_stf_withdrawal_value(uint8_t out[CL_STF_WITHDRAWAL_VAL_MAX],
			       const struct cl_stf_withdrawal *w);

/* The outcome of forced request `id` (CL_ERR_NOT_FOUND: not consumed). */
CL_WUR int cl_stf_get_forced(const struct cl_stf_view *v,
			     struct cl_forced_record *out, uint64_t id);

/*
 * The dead-man switch of `addr` (table SCHEDULE_CANCEL): *time the time
 * (s) at which its orders are cancelled (0: disarmed), *nonce the last
 * accepted SCHEDULE_CANCEL nonce. CL_ERR_NOT_FOUND (both 0) when the
 * account never used it.
 */
CL_WUR int cl_stf_get_scheduled_cancel(const struct cl_stf_view *v,
				       uint64_t *time, uint64_t *nonce,
				       const struct cl_address *addr);

/* A trigger order's state (docs/protocol.md "TRIGGER_ORDER"). */
enum cl_trigger_status {
	CL_TRIGGER_PENDING = 1,   /* waiting for the mark */
	CL_TRIGGER_FIRED = 2,     /* its order was placed */
	CL_TRIGGER_CANCELLED = 3, /* by its trader, its group, its position
				   * closing or the dead-man switch */
	CL_TRIGGER_EXPIRED = 4,   /* reached after its expiry: nothing placed */
	CL_TRIGGER_REFUSED = 5,   /* reached, but its order was refused
				   * (collateral, open-order margin) */
};

/* The stored record of a trigger order (table TRIGGERS). */
struct cl_trigger_record {
	struct cl_address trader;
	uint32_t market;
	bool is_buy;
	uint64_t trigger_price;
	bool trigger_above;
	uint64_t price, size, expiry;
	uint8_t flags;
	uint64_t group;
	bool position_bound;
	enum cl_trigger_status status;
	uint64_t sequence; /* from the order sequence: a cancel names it */
};

CL_WUR int cl_stf_get_trigger(const struct cl_stf_view *v,
			      struct cl_trigger_record *out,
			      const struct cl_hash32 *trigger_hash);

/* The hashes of `trader`'s pending trigger orders in sequence order, at
 * most `cap`; *n gets how many. */
CL_WUR int cl_stf_get_pending_triggers(const struct cl_stf_view *v,
				       struct cl_hash32 *out, size_t cap,
				       size_t *n,
				       const struct cl_address *trader);

/* The hash of the order a fired trigger placed: keccak256 of
 * "clearline.trigger" and the trigger hash. */
void cl_stf_triggered_order_hash(struct cl_hash32 *out,
				 const struct cl_hash32 *trigger_hash);

/*
 * The sequence of what a CANCEL names by `hash`: an order, a trigger
 * order or a TWAP order (a batch carries a cancel by this number,
 * docs/batch-format.md). CL_OK and *seq, CL_ERR_NOT_FOUND, or another
 * negative error.
 */
CL_WUR int cl_stf_cancel_sequence(const struct cl_stf_view *v, uint64_t *seq,
				  const struct cl_hash32 *hash);

/* The order hash of leg `i` of a scale order: keccak256 of
 * "clearline.scale", the scale hash and i (u8). */
void cl_stf_scale_leg_hash(struct cl_hash32 *out,
			   const struct cl_hash32 *scale_hash, uint32_t i);

/* A TWAP order's state (table TWAPS). */
enum cl_twap_status {
	CL_TWAP_RUNNING = 1,
	CL_TWAP_FINISHED = 2,  /* every slice ran */
	CL_TWAP_CANCELLED = 3, /* by its trader or the dead-man switch */
};

struct cl_twap_record {
	struct cl_address trader;
	uint32_t market;
	bool is_buy, reduce_only;
	uint64_t size, filled, interval;
	uint32_t slices, done, slippage_ppm;
	uint64_t next; /* s: when the next slice runs */
	enum cl_twap_status status;
	uint64_t sequence;
};

CL_WUR int cl_stf_get_twap(const struct cl_stf_view *v,
			   struct cl_twap_record *out,
			   const struct cl_hash32 *twap_hash);

/*
 * Pruning (docs/protocol.md "Pruning"). *floor gets the highest nonce of
 * `trader`'s pruned TWAPs (CL_ERR_NOT_FOUND, *floor 0: none was pruned);
 * a TWAP_ORDER with a nonce at or below it is refused.
 */
CL_WUR int cl_stf_get_twap_floor(const struct cl_stf_view *v,
				 uint64_t *floor,
				 const struct cl_address *trader);

/*
 * *out gets a time T such that every record due before T has been pruned
 * (an order or trigger whose expiry is below T; a TWAP that stopped more
 * than expiryHorizon before T): a hash with no record was never stored,
 * or was such a record. T is at most the last block's time + 1.
 */
CL_WUR int cl_stf_pruned_before(const struct cl_stf_view *v, uint64_t *out);

/* The hashes of `trader`'s running TWAP orders in sequence order, at
 * most `cap`; *n gets how many. */
CL_WUR int cl_stf_get_running_twaps(const struct cl_stf_view *v,
				    struct cl_hash32 *out, size_t cap,
				    size_t *n, const struct cl_address *trader);

/* The order hash of slice k of a TWAP: keccak256 of "clearline.twap",
 * the TWAP hash and k (u32). */
void cl_stf_twap_slice_hash(struct cl_hash32 *out,
			    const struct cl_hash32 *twap_hash, uint32_t k);

/* A static name of a TWAP status ("running", ...). */
const char *cl_twap_status_str(int status);

/* A static name of a trigger status ("pending", ...). */
const char *cl_trigger_status_str(int status);

/* The open order of `trader` with client order id `cloid` (table
 * CLOIDS): CL_OK and *hash, or CL_ERR_NOT_FOUND. */
CL_WUR int cl_stf_get_order_by_cloid(const struct cl_stf_view *v,
				     struct cl_hash32 *hash,
				     const struct cl_address *trader,
				     const struct cl_cloid *cloid);

/* A static name of a forced kind ("withdraw", ...) or outcome ("done",
 * ...), "unknown" otherwise. */
const char *cl_forced_kind_str(int kind);
const char *cl_forced_outcome_str(int outcome);

/* ------------------------------------------------------------------ */
/* Risk engine: reads for the RPC and the sequencer                    */
/* ------------------------------------------------------------------ */

/* One position with its risk numbers at the current marks, pending
 * funding included. */
struct cl_stf_position_risk {
	uint32_t market;
	int64_t size, cost;
	int64_t pending_funding;    /* atoms the position owes (+) / is owed */
	int64_t upnl, im, mm;       /* this position's share */
	uint64_t entry_price;
	uint64_t liquidation_price; /* mark at which the account reaches
				     * maintenance, others fixed; 0 (long)
				     * or UINT64_MAX (short): none */
	uint64_t bankruptcy_price;  /* mark at which the equity is zero */
	int64_t adl_score;          /* margin_adl_score() */
};

/* The account as a whole, and its positions (at most 64). */
struct cl_stf_account_risk {
	struct cl_health health;   /* pending funding settled; order_im
				    * counts the open orders, and
				    * order_im - im is what they reserve */
	int64_t margin_ratio_ppm;  /* mm * 1e6 / equity; INT64_MAX if
				    * equity <= 0 */
	bool liquidatable;         /* equity < mm */
	bool portfolio;            /* margined in portfolio mode: health
				    * holds the portfolio figures, the
				    * positions' own (leg by leg) and no
				    * liquidation prices (0) */
	size_t n;
	struct cl_stf_position_risk pos[CL_GENESIS_MAX_MARKETS];
};

/* Risk view of `addr`. Returns CL_OK (an absent account is empty),
 * CL_STF_ERR_OVERFLOW, or a negative error. */
CL_WUR int cl_stf_get_account_risk(const struct cl_stf_view *v,
				   struct cl_stf_account_risk *out,
				   const struct cl_address *addr);

struct cl_stf_market_info {
	uint64_t index_price, mark_price, last_trade_price;
	int64_t premium_ppb;        /* the EMA */
	int64_t funding_rate_ppb;   /* the last interval's rate */
	int64_t predicted_rate_ppb; /* if the interval closed now */
	uint64_t next_funding_time; /* s; 0 before the first price */
	__int128 funding_index;
	uint64_t open_interest;
	uint32_t imf_scale_ppm;     /* the dynamic multiplier now */
	uint64_t volatility_ppm;    /* isqrt of the return variance */
	int64_t fund_size;          /* the insurance fund's position */
	int64_t funding_pool;
};

CL_WUR int cl_stf_get_market_info(const struct cl_stf_view *v,
				  struct cl_stf_market_info *out,
				  uint32_t market);

/* The insurance fund: its balance (GLOBALS insurance_balance) and its
 * positions (size and cost per market, at most 64). */
CL_WUR int cl_stf_get_insurance(const struct cl_stf_view *v,
				int64_t *balance,
				struct cl_stf_position *pos, size_t *n);

enum cl_stf_event_kind {
	CL_STF_EVENT_LIQUIDATED = 1, /* a slice went to the insurance fund */
	CL_STF_EVENT_ADL_BANKRUPT = 2, /* a slice went to a counterparty */
	CL_STF_EVENT_ADL_COUNTERPARTY = 3, /* this account was deleveraged */
	CL_STF_EVENT_LIQUIDATED_BOOK = 4, /* a slice filled on the book */
	CL_STF_EVENT_FUND_UNWOUND = 5, /* the fund (zero address) reduced
					* its position on the book */
};

/* One entry of an account's event log (a local table, not committed). */
struct cl_stf_event {
	uint64_t seq;   /* global order of events */
	uint64_t block;
	enum cl_stf_event_kind kind;
	uint32_t market;
	int64_t size;   /* signed change of this account's position */
	int64_t flow;   /* quote atoms to this account (negative: paid) */
	int64_t equity_share; /* equity moved to the fund (+) or from it */
	int64_t fee;    /* liquidation fee paid */
	struct cl_address other; /* counterparty; zero for the fund */
};

/* The events of `addr` with seq >= from, oldest first, at most cap. */
CL_WUR int cl_stf_get_events(const struct cl_stf_view *v,
			     struct cl_stf_event *out, size_t cap, size_t *n,
			     const struct cl_address *addr, uint64_t from);

/*
 * Accounts that may be below maintenance in `market` at `mark`: the
 * long positions whose indexed liquidation price is >= mark and the short
 * ones whose price is <= mark (a local index maintained on every position
 * change, so this costs O(answer * log n)). The index is conservative:
 * it uses each market's largest margin multiplier, so every account that
 * is liquidatable because of this market's mark is listed, plus some that
 * are not; confirm each with cl_stf_liquidation_next(). At most cap
 * addresses are stored, in index order; *n gets how many. Returns CL_OK
 * or a negative error.
 */
CL_WUR int cl_stf_liquidation_candidates(const struct cl_stf_view *v,
					 uint32_t market, uint64_t mark,
					 struct cl_address *out, size_t cap,
					 size_t *n);

/*
 * The next risk transaction for `addr`, ready to recover and apply: a
 * LIQUIDATE of the riskiest position's largest slice, or an ADL naming
 * the top of the ranking when the fund cannot take it. *has is false when
 * the account is not below maintenance (nothing to do). Returns CL_OK,
 * CL_STF_ERR_OVERFLOW, or a negative error.
 */
CL_WUR int cl_stf_liquidation_next(const struct cl_stf_view *v,
				   struct cl_tx *out, bool *has,
				   const struct cl_address *addr);

/*
 * The worst maker price at which a LIQUIDATE_FILL of *size (0 in: the
 * largest slice, stored back) of addr's position in `market` is accepted
 * now: the
 * slice's bankruptcy price, rounded to the tick towards the mark (the
 * lowest bid a long may sell to, the highest ask a short may buy from).
 * *is_buy is the account's closing side. *limit is 0 when no price on the
 * tick grid qualifies. Returns CL_OK, a positive code of the LIQUIDATE
 * rules 1, 3-6 (the account may not be liquidated in this market now),
 * or a negative error.
 */
CL_WUR int cl_stf_liquidation_limit(const struct cl_stf_view *v,
				    uint64_t *limit, bool *is_buy,
				    const struct cl_address *addr,
				    uint32_t market, uint64_t *size);

/*
 * What the insurance fund may unwind in `market` now: *size its whole
 * position (0: none, or no mark yet), *is_buy its closing side, and
 * *limit the worst maker price a FUND_FILL accepts (the mark moved
 * against the fund by the market's mark band, rounded to the tick towards
 * the mark). Returns CL_OK, CL_STF_ERR_UNKNOWN_MARKET or a negative error.
 */
CL_WUR int cl_stf_fund_unwind_limit(const struct cl_stf_view *v,
				    uint64_t *size, bool *is_buy,
				    uint64_t *limit, uint32_t market);

/*
 * The first `cap` accounts of the committed ADL ranking on `side` (0
 * long, 1 short) of `market`, best score first (ties by address).
 */
CL_WUR int cl_stf_adl_ranking(const struct cl_stf_view *v,
			      struct cl_address *out, size_t cap, size_t *n,
			      uint32_t market, uint8_t side);

/*
 * Accounts holding positions in two or more markets, in address order,
 * starting after `after` (NULL: from the first), at most `cap`. Their
 * liquidation-index entries assume the other markets' marks of their last
 * touch, so the sequencer also sweeps them (docs/liquidation.md).
 */
CL_WUR int cl_stf_multi_market_accounts(const struct cl_stf_view *v,
					struct cl_address *out, size_t cap,
					size_t *n,
					const struct cl_address *after);

/* Keys, for proofs (cl_state_prove / cl_snapshot_prove). */
#define CL_STF_ACCOUNT_KEY_LEN 20
#define CL_STF_WITHDRAWAL_KEY_LEN 8
void cl_stf_account_key(uint8_t out[CL_STF_ACCOUNT_KEY_LEN],
			const struct cl_address *addr);
void cl_stf_withdrawal_key(uint8_t out[CL_STF_WITHDRAWAL_KEY_LEN],
			   uint64_t id);

/*
 * The escape's proof of `addr` against the root of `v` (docs/l1.md
 * "Escape"), appended to `out`: the account's value (16 bytes) and its
 * inclusion proof, then for each genesis market in order the proof of
 * the position leaf (addr ‖ market), followed, when it is an inclusion,
 * by the position's value (32), the market's value (192) and the market
 * leaf's inclusion proof; then for each genesis collateral asset in
 * order the proof of the ASSET_BALANCES leaf (asset u32 ‖ addr),
 * followed, when it is an inclusion, by the balance (8), the value of the
 * asset's oracle market (192) and that market leaf's inclusion proof;
 * proofs in the canonical encoding of docs/state.md. *n_positions counts
 * the positions. CL_OK;
 * CL_ERR_NOT_FOUND when the state has no account record for addr
 * (nothing to exit with; `out` unchanged); CL_ERR_CORRUPT or another
 * negative error otherwise.
 */
CL_WUR int cl_stf_exit_proof(const struct cl_stf_view *v, struct cl_buf *out,
			     size_t *n_positions,
			     const struct cl_address *addr);

/*
 * What ClearlineEscape.startEscape() proves against the root of `v`:
 * the inclusion proofs of GLOBALS genesis_hash and next_deposit_id
 * (appended to the two buffers, canonical encoding) and the latter's
 * value. CL_OK or a negative error.
 */
CL_WUR int cl_stf_escape_proofs(const struct cl_stf_view *v,
				struct cl_buf *genesis_proof,
				struct cl_buf *deposits_proof,
				uint64_t *deposits_consumed);

/*
 * What ClearlineEscape.startAssetRefunds() proves against the root of
 * `v`: the proof of GLOBALS next_asset_deposit_id appended to `proof`
 * (an inclusion, or an exclusion when the state never applied an asset
 * deposit) and its value in *consumed (0 then). CL_OK or a negative
 * error.
 */
CL_WUR int cl_stf_escape_asset_proof(const struct cl_stf_view *v,
				     struct cl_buf *proof, uint64_t *consumed);

/* One collateral asset an exiting account holds (cl_stf_exit_assets). */
struct cl_stf_exit_asset {
	uint32_t asset;
	int64_t balance; /* asset atoms, > 0 */
	uint64_t index;  /* its oracle market's index in the state */
	int64_t value;   /* balance at the index, settlement atoms, rounded
			  * down (no haircut) */
	uint64_t paid;   /* asset atoms the escape pays */
};

/*
 * What ClearlineEscape.exit() pays `addr` against the root of `v`
 * (docs/l1.md "Escape" 2c): *settlement the equity it proves (health's
 * equity less the assets' haircut value; its claim is max(0, it)), and
 * out[0..*n) each asset held, in genesis order, with what is paid of it:
 * the whole balance when *settlement >= 0, else balance × (V − debt) / V
 * rounded down (V the sum of the values, debt = −*settlement), 0 when
 * V <= debt. out holds CL_GENESIS_MAX_ASSETS entries. CL_OK,
 * CL_STF_ERR_OVERFLOW or a negative error.
 */
CL_WUR int cl_stf_exit_assets(const struct cl_stf_view *v,
			      struct cl_stf_exit_asset *out, size_t *n,
			      int64_t *settlement,
			      const struct cl_address *addr);
/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/* The stored volatility slice of one underlying and expiry
 * (docs/options.md "The surface in the stf"): the combined raw SVI
 * parameters (wad) and the newest signer time that made them. */
struct cl_stf_surface {
	int64_t a, b, rho, m, s;
	uint64_t timestamp;
};

/* The running settlement average of one underlying and expiry
 * (docs/options.md "Expiry"): sum of index x seconds over the window so
 * far, the seconds counted, the block time reached, and the settlement
 * price (0 until the first block at or after the expiry fixes it). */
struct cl_stf_option_twap {
	__int128 sum;
	uint64_t covered_s;
	uint64_t last_s;
	uint64_t settle_price;
};

/* CL_OK and *out; CL_ERR_NOT_FOUND (zeroed) before the window opened;
 * or a backend error. */
CL_WUR int cl_stf_get_option_twap(const struct cl_stf_view *v,
				  struct cl_stf_option_twap *out,
				  uint32_t underlying, uint64_t expiry);

/* What an option market shows (docs/options.md "The surface in the
 * stf"): its Black-76 inputs and outputs at the last block's time. */
struct cl_stf_option_quote {
	bool fresh;            /* index and slice fresh: the inputs below
				* are now's; otherwise only mark, strike,
				* expiry and settle_price are set */
	uint64_t index;        /* the underlying's index (F), price units */
	uint64_t strike;
	uint64_t expiry;       /* unix s */
	uint32_t tau_s;        /* seconds to expiry */
	int64_t w_wad;         /* total variance at the strike */
	uint64_t iv_ppm;       /* sqrt(w / T), T in years of 365 days */
	uint64_t mark;         /* the stored mark, price units */
	int64_t delta_ppb;     /* per unit of the underlying, as
				* options_black76() */
	int64_t gamma_wad;
	int64_t vega_micro;
	int64_t theta_micro;
	uint64_t settle_price; /* 0 until the expiry fixes it */
};

/* CL_OK and *out; CL_STF_ERR_UNKNOWN_MARKET, CL_STF_ERR_OPTION_MARKET
 * (a perpetual), or a backend error. */
CL_WUR int cl_stf_get_option_quote(const struct cl_stf_view *v,
				   struct cl_stf_option_quote *out,
				   uint32_t market);

/* The Greeks of one position, or of all of an account's positions on
 * one underlying (docs/options.md "Greeks in the stf"): each leg's
 * Greek times its size, a perpetual counting delta = its size. */
struct cl_stf_leg_greeks {
	uint32_t market;     /* the position's market (totals: the
			      * underlying) */
	uint32_t underlying; /* the perpetual the delta is on */
	bool fresh;          /* priced now (an option without a fresh
			      * index or slice shows zeros) */
	int64_t delta_micro; /* units of the underlying x 10^6 */
	int64_t gamma_wad;   /* change of delta (units) per price unit */
	int64_t vega_micro;  /* micro price units per 1.00 of volatility */
	int64_t theta_micro; /* micro price units per day */
};

struct cl_stf_account_greeks {
	size_t n; /* positions, in market order */
	struct cl_stf_leg_greeks leg[CL_GENESIS_MAX_MARKETS];
	size_t n_u; /* underlyings, in order of first position */
	struct cl_stf_leg_greeks total[CL_GENESIS_MAX_MARKETS];
};

/* The Greeks of addr's positions at the last block's time. CL_OK, or
 * CL_STF_ERR_OVERFLOW, or a backend error. */
CL_WUR int cl_stf_get_account_greeks(const struct cl_stf_view *v,
				     struct cl_stf_account_greeks *out,
				     const struct cl_address *addr);

/* CL_OK and *out; CL_ERR_NOT_FOUND (zeroed) when no slice was posted;
 * or a backend error. */
CL_WUR int cl_stf_get_surface(const struct cl_stf_view *v,
			      struct cl_stf_surface *out, uint32_t underlying,
			      uint64_t expiry);

#endif /* CLEARLINE_STF_READ_H */
