/* SPDX-License-Identifier: MIT */
/* Internal to src/stf: the context and the record layer. */
#ifndef CLEARLINE_STF_INT_H
#define CLEARLINE_STF_INT_H

#include <clearline/options.h>
#include <clearline/stf.h>

struct cl_stf {
	struct cl_genesis g;
	struct cl_state *st;
	struct cl_eip712_domain domain;
	struct cl_hash32 genesis_hash;
	bool initialized;
	bool in_block;
	enum cl_stf_blame blame; /* of the last refused FILL */
	uint64_t block_number;
	uint64_t block_ms;
	uint64_t now_s; /* block timestamp in whole seconds */
	struct stf_engine *eng; /* the derivation layer (engine_int.h) */
	bool deriving; /* cl_stf_apply() is called by the derivation */
	struct cl_pm_cache *pm_cache; /* the block's scenario values
				       * (portfolio.c), reset when a block
				       * ends */
};

/* Record sizes (docs/protocol.md "State"). */
#define ACCOUNT_VAL_LEN 16
#define AGENT_KEY_LEN 40
#define AGENT_VAL_LEN 8
#define POSITION_KEY_LEN 24
#define POSITION_VAL_LEN 32 /* size ‖ cost ‖ funding snapshot (i128) */
#define MARKET_KEY_LEN 4
#define MARKET_VAL_LEN 192
#define ORDER_KEY_LEN 32
#define ORDER_VAL_LEN 67
#define ORDER_CLOID_VAL_LEN 83 /* the record and a client order id */
#define CLOID_KEY_LEN 36       /* trader(20) ‖ cloid(16) -> order hash */
#define OPEN_KEY_LEN 28 /* trader(20) ‖ sequence(8) -> order hash */
#define WITHDRAWAL_VAL_LEN 28
#define ASSET_WITHDRAWAL_VAL_LEN 32 /* recipient ‖ amount ‖ asset u32 */

/* GLOBALS keys. */
#define G_FEE "fee_balance"
#define G_INSURANCE "insurance_balance"
#define G_NEXT_DEPOSIT "next_deposit_id"
#define G_NEXT_WITHDRAWAL "next_withdrawal_id"
#define G_NEXT_ORDER_SEQ "next_order_sequence"
#define G_BLOCK_NUMBER "block_number"
#define G_BLOCK_TIME "block_timestamp_ms"
#define G_GENESIS "genesis_hash"
#define G_L1_NUMBER "l1_block_number"
#define G_L1_HASH "l1_block_hash"
#define G_L1_TIME "l1_block_timestamp"

/* The derivation layer (engine.c): apply a primitive transition on its
 * behalf; the books follow the block's end; a stale cache. */
struct stf_engine;
int stf_apply_primitive(struct cl_stf *s, const struct cl_tx *tx);
struct stf_engine *stf_engine_new(void);
/* Build the books from the state (a committed block): at start-up. */
int stf_engine_load(struct cl_stf *s);
void stf_engine_free(struct cl_stf *s);
void stf_engine_end_block(struct cl_stf *s);
void stf_engine_invalidate(struct cl_stf *s);

int stf_view_get(const struct cl_stf_view *v, const uint8_t **val,
		 size_t *vlen, enum cl_table t, const uint8_t *key,
		 size_t klen);

/* Globals: 8-byte values (an i64 is stored as its two's complement). */
int stf_get_global_u64(const struct cl_stf_view *v, uint64_t *out,
		       const char *name);
void stf_put_global_u64(struct cl_state *st, const char *name, uint64_t v);
void stf_put_global_hash(struct cl_state *st, const char *name,
			 const struct cl_hash32 *h);

void stf_put_account(struct cl_state *st, const struct cl_address *addr,
		     const struct cl_account *a);
/* Deletes the record when the position is flat. */
void stf_put_position(struct cl_state *st, const struct cl_address *addr,
		      uint32_t market, const struct cl_position *p,
		      __int128 snap);
void stf_put_i128(uint8_t *b, __int128 v);
__int128 stf_get_i128(const uint8_t *b);
void stf_put_market(struct cl_state *st, uint32_t market,
		    const struct cl_market_state *m);
void stf_put_order(struct cl_state *st, const struct cl_hash32 *hash,
		   const struct cl_order_record *o);
/* The open-order index: add when placed, drop when no longer open (an
 * order with a client order id is indexed by it too, in CLOIDS). */
void stf_put_open(struct cl_state *st, const struct cl_order_record *o,
		  const struct cl_hash32 *hash);
void stf_del_open(struct cl_state *st, const struct cl_order_record *o);
void stf_put_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent, uint64_t expiry);
void stf_del_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent);
void stf_put_withdrawal(struct cl_state *st, uint64_t id,
			const struct cl_address *recipient, uint64_t amount);
/* An asset withdrawal's leaf (asset != 0): the value ClearlineAssets's
 * claimAssetWithdrawal hashes. */
void stf_put_asset_withdrawal(struct cl_state *st, uint64_t id,
			      const struct cl_address *recipient,
			      uint32_t asset, uint64_t amount);
/* Take the next withdrawal id (GLOBALS next_withdrawal_id). */
int stf_take_withdrawal_id(struct cl_stf *s, uint64_t *out);

/* Iterate table t of a view from `start` (records.c). */
int stf_view_iter(const struct cl_stf_view *v, struct cl_state_iter **it,
		  enum cl_table t, const uint8_t *start, size_t slen);

/* ---- pruning of closed records (prune.c) ---- */

#define PRUNE_DUE_KEY_LEN 41 /* time u64 ‖ kind u8 ‖ hash */
enum stf_prune_kind {
	STF_PRUNE_ORDER = 1,   /* ORDERS, due after its expiry */
	STF_PRUNE_TRIGGER = 2, /* TRIGGERS, due after its expiry */
	STF_PRUNE_TWAP = 3,    /* TWAPS, due expiryHorizon after it stopped */
};
/* When an order or trigger record with `expiry` may go: expiry +
 * CL_STF_PRUNE_GRACE_S (saturating: never). */
uint64_t stf_prune_after_expiry(uint64_t expiry);
/* Enter the record `h` of `kind` in PRUNE_DUE at `time`. */
void stf_prune_due(struct cl_state *st, uint64_t time,
		   enum stf_prune_kind kind, const struct cl_hash32 *h);
/* Keep a placed TWAP's signed nonce while its record lives. */
void stf_twap_nonce_put(struct cl_state *st, const struct cl_hash32 *h,
			uint64_t nonce);
/* CL_STF_ERR_TWAP_NONCE_USED when `nonce` is at or below the trader's
 * TWAP floor, else CL_STF_OK (or a negative error). */
int stf_twap_check_floor(struct cl_stf *s, const struct cl_address *trader,
			 uint64_t nonce);
/* The block opening's pruning step: *pruned records went, *pending when
 * due ones are left for the next block. */
int stf_prune(struct cl_stf *s, size_t *pruned, bool *pending);
/* A pending trigger that is pruned leaves its two indexes
 * (conditional.c). */
void stf_trigger_unindex(struct cl_state *st,
			 const struct cl_trigger_record *t,
			 const struct cl_hash32 *h);

/* The primitive part of a forced request (forced.c). */
int stf_apply_forced(struct cl_stf *s, const struct cl_tx_forced *f);
/* The order a forced close places (keccak256 of a fixed tag and the id). */
void stf_forced_order_hash(struct cl_hash32 *out, uint64_t id);
#define G_FORCED_CONSUMED "forced_consumed"
#define FORCED_VAL_LEN 31 /* account ‖ kind ‖ outcome ‖ value u64 */
void stf_put_forced(struct cl_state *st, uint64_t id,
		    const struct cl_forced_record *r);

/* May `signer` act for `trader` (itself, or an agent whose approval has
 * not expired)? CL_STF_OK, CL_STF_ERR_NOT_AUTHORIZED or a negative error. */
int stf_check_authorized(struct cl_stf *s, const struct cl_address *trader,
			 const struct cl_address *signer);

/* Isolated margin (isolated.c): may `signer` act for the isolated
 * account `trader` (its owner, or an agent of the owner)? Is `trader`
 * the account that margins `market` (CL_STF_ERR_WRONG_MODE when not)?
 * MARGIN_MODE and ISOLATED_MARGIN. */
int stf_isolated_authorized(struct cl_stf *s, const struct cl_address *trader,
			    const struct cl_address *signer);
int stf_isolated_check_order(struct cl_stf *s, const struct cl_address *trader,
			     uint32_t market);
int stf_apply_margin_mode(struct cl_stf *s, const struct cl_tx *tx);
int stf_apply_isolated_margin(struct cl_stf *s, const struct cl_tx *tx);
/* Record who owns a derived account (ACCOUNT_OWNERS, isolated.c). */
void stf_put_account_owner(struct cl_state *st,
			   const struct cl_address *account,
			   const struct cl_address *owner,
			   enum cl_stf_account_kind kind, uint32_t index);
/* Subaccounts (subaccount.c): SUBACCOUNT_TRANSFER; subaccount n of
 * owner, recorded (SUBACCOUNTS, ACCOUNT_OWNERS) on first use. */
int stf_apply_subaccount_transfer(struct cl_stf *s, const struct cl_tx *tx);
int stf_subaccount(struct cl_stf *s, struct cl_address *out,
		   const struct cl_address *owner, uint32_t n);
/* Collateral assets out (asset_out.c): ASSET_WITHDRAW and
 * SUBACCOUNT_ASSET_TRANSFER. */
int stf_apply_asset_withdraw(struct cl_stf *s, const struct cl_tx *tx);
int stf_apply_subaccount_asset_transfer(struct cl_stf *s,
					const struct cl_tx *tx);

/* PLACE_ORDER's rules and effect for a PLACE_ORDER or CLIENT_ORDER
 * whose auth (signer, digest) is set; scale orders (scale.c) place each
 * leg through it. */
int stf_apply_place(struct cl_stf *s, const struct cl_tx *tx);
int stf_apply_scale(struct cl_stf *s, const struct cl_tx *tx);

/* Trigger orders (conditional.c): TRIGGER_ORDER; a CANCEL of a pending
 * trigger (CL_STF_ERR_UNKNOWN_ORDER when there is none); the trigger of
 * `trader` with sequence `seq` (CL_ERR_NOT_FOUND: none); the dead-man
 * switch's cancel of all of a trader's; the position-bound ones of a
 * position that is gone (after every re-index of `addr`). */
int stf_apply_trigger_order(struct cl_stf *s, const struct cl_tx *tx);
int stf_cancel_trigger(struct cl_stf *s, const struct cl_address *trader,
		       const struct cl_hash32 *h);
int stf_trigger_by_seq(struct cl_stf *s, struct cl_hash32 *out,
		       const struct cl_address *trader, uint64_t seq);
int stf_cancel_triggers_of(struct cl_stf *s, size_t *count,
			   const struct cl_address *trader);
int stf_triggers_position(struct cl_stf *s, const struct cl_address *addr);

/* TWAP orders (twap.c): TWAP_ORDER; a CANCEL of a running one
 * (CL_STF_ERR_UNKNOWN_ORDER when there is none); the one of `trader`
 * with sequence `seq`; the dead-man switch's cancel of a trader's. */
int stf_apply_twap(struct cl_stf *s, const struct cl_tx *tx);
int stf_cancel_twap(struct cl_stf *s, const struct cl_address *trader,
		    const struct cl_hash32 *h);
int stf_twap_by_seq(struct cl_stf *s, struct cl_hash32 *out,
		    const struct cl_address *trader, uint64_t seq);
int stf_cancel_twaps_of(struct cl_stf *s, size_t *count,
			const struct cl_address *trader);

/* The dead-man switch (schedule.c): SCHEDULE_CANCEL, and the ORDER_DONE
 * reason it makes hold (the trader's switch is armed and due). */
int stf_apply_schedule_cancel(struct cl_stf *s, const struct cl_tx *tx);
int stf_schedule_due(struct cl_stf *s, bool *due,
		     const struct cl_address *trader);
#define SCHEDULE_VAL_LEN 16    /* time u64 ‖ nonce u64 */
#define SCHEDULE_DUE_KEY_LEN 28 /* time u64 ‖ trader */

/* Health from explicit positions, leg by leg whatever the account's
 * mode (stf_health below with the portfolio figures left out; addr NULL:
 * no collateral assets). */
int stf_health_legs(const struct cl_stf_view *v, struct cl_health *out,
		    const struct cl_address *addr, int64_t collateral,
		    const struct cl_stf_position *pos, size_t n);

/* ---- portfolio margin (portfolio.c) ---- */

/* The portfolio figures of positions pos[0..n) whatever the mode. */
int stf_pm_figures(const struct cl_stf_view *v, struct cl_pm_result *out,
		   const struct cl_stf_position *pos, size_t n);
/* When `addr` is in portfolio mode (*on), replace h's im, mm and order_im
 * with the portfolio figures of pos[0..n); else leave h alone. */
int stf_pm_health(const struct cl_stf_view *v, struct cl_health *h, bool *on,
		  const struct cl_address *addr,
		  const struct cl_stf_position *pos, size_t n);
/* When `trader` is in portfolio mode, replace *out (the leg-by-leg IM
 * counting open orders) by the largest portfolio IM of the positions
 * pos[0..n) as they are, with every open buy os[].open.buy filled, and
 * with every open sell filled (os[0..k) in increasing market order). */
int stf_pm_order_im(const struct cl_stf_view *v, int64_t *out,
		    const struct cl_address *trader,
		    const struct cl_stf_position *pos, size_t n,
		    const struct cl_stf_open_sizes *os, size_t k);
/* The position a portfolio account loses first: the largest cut of the
 * requirement per atom of slice notional, the lowest market on a tie. */
int stf_pm_riskiest(const struct cl_stf_view *v, size_t *best,
		    const struct cl_stf_position *pos, size_t n);
int stf_apply_portfolio_mode(struct cl_stf *s, const struct cl_tx *tx);

/* Health from explicit positions (markets' marks and the current
 * dynamic margin multipliers read through v; funding as stored), with
 * `collateral` the settlement balance; the haircut value of addr's
 * collateral assets is added (addr NULL: none; out->asset_value). */
int stf_health(const struct cl_stf_view *v, struct cl_health *out,
	       const struct cl_address *addr, int64_t collateral,
	       const struct cl_stf_position *pos, size_t n);

/* ---- collateral assets (collateral.c) ---- */

#define ASSET_BAL_KEY_LEN 24 /* asset u32 ‖ address */
#define G_NEXT_ASSET_DEPOSIT "next_asset_deposit_id"
/* The insurance fund's asset holdings are kept under this address. */
extern const struct cl_address stf_fund_address;

/* The balance of `asset` held by `a` (absent: 0). */
int stf_asset_balance(const struct cl_stf_view *v, int64_t *out,
		      uint32_t asset, const struct cl_address *a);
/* Store a balance (0 deletes the record). */
void stf_put_asset_balance(struct cl_state *st, uint32_t asset,
			   const struct cl_address *a, int64_t bal);
/* The haircut value of `amount` (>= 0) atoms of asset ap, as a balance
 * of that size would count now. */
int stf_asset_value_of(const struct cl_stf_view *v, int64_t *out,
		       const struct cl_asset_params *ap, int64_t amount);
/* The sum of the haircut values of a's assets; *holds: a holds any. */
int stf_asset_value(const struct cl_stf_view *v, int64_t *out, bool *holds,
		    const struct cl_address *a);
int stf_apply_asset_deposit(struct cl_stf *s,
			    const struct cl_tx_asset_deposit *d);
int stf_apply_collateral_sale(struct cl_stf *s,
			      const struct cl_tx_collateral_sale *t);
/* The next COLLATERAL_SALE a liquidatable account owes (docs/liquidation.md
 * "Collateral"): *has false when none. Reads only. */
int stf_collateral_sale_next(const struct cl_stf_view *v,
			     struct cl_tx_collateral_sale *out, bool *has,
			     const struct cl_address *addr);

/* One side of a fill while it is being checked. */
struct stf_fill_side {
	const struct cl_hash32 *hash;
	struct cl_order_record o;
	uint32_t fee_ppm;
	int64_t fee;
	struct cl_account acc;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n, idx; /* idx: this market's entry in pos[] */
	struct cl_position before, after;
	__int128 snap; /* the market's funding index */
	bool increases;
	struct cl_health h_before, h_after;
};

/* Load the side's account and positions (funding settled), check
 * reduce-only and compute the position after trading `size` at
 * `notional` (fs->o, fs->fee and fs->snap set by the caller). */
int stf_side_prepare(struct cl_stf *s, struct stf_fill_side *fs,
		     uint64_t size, int64_t notional);
/* The margin rules of docs/margin.md after the fill. */
int stf_side_check_margin(struct cl_stf *s, struct stf_fill_side *fs);
/* Write the order, account and position of a checked side. */
int stf_side_write(struct cl_stf *s, struct stf_fill_side *fs,
		   uint64_t size);

/* ---- open orders reserve initial margin (reserve.c) ---- */

#define OPEN_SIZE_KEY_LEN 24 /* address ‖ market u32 */
#define OPEN_SIZE_VAL_LEN 16 /* buy u64 ‖ sell u64 */

/* Count `size` more (add) or less (release) on order o's side of its
 * trader's open sizes in its market; a reduce-only order counts
 * nothing. add fails with CL_STF_ERR_OVERFLOW past 2^63 - 1; release
 * below zero is corruption. */
int stf_open_add(struct cl_stf *s, const struct cl_order_record *o,
		 uint64_t size);
int stf_open_release(struct cl_stf *s, const struct cl_order_record *o,
		     uint64_t size);
/* An order not stored yet that stf_order_im() counts too. */
struct stf_order_extra {
	uint32_t market;
	bool is_buy;
	uint64_t size;
};
/* The initial requirement of `trader` counting its open orders (and
 * `extra`, may be NULL) with positions pos[0..n), at the current marks
 * and multipliers (docs/margin.md "Open orders"). */
int stf_order_im(const struct cl_stf_view *v, int64_t *out,
		 const struct cl_address *trader,
		 const struct cl_stf_position *pos, size_t n,
		 const struct stf_order_extra *extra);
/* PLACE_ORDER rules 9 and 10 for the record `rec` about to be stored. */
int stf_place_check(struct cl_stf *s, const struct cl_order_record *rec);

/* ---- risk engine (risk.c, liquidation.c) ---- */

/* Keys of the risk tables. */
#define LIQ_ENTRY_KEY_LEN 33 /* market ‖ side ‖ price ‖ address */
#define LIQ_REV_KEY_LEN 24   /* address ‖ market -> side ‖ price */
#define ADL_ENTRY_KEY_LEN 33 /* market ‖ side ‖ ~score ‖ address */
#define ADL_REV_KEY_LEN 24   /* address ‖ market -> side ‖ ~score */
#define EVENT_KEY_LEN 28     /* address ‖ seq */
#define EVENT_VAL_LEN 65
#define T_ADL (CL_TABLE_ADL_RANK)
#define T_LIQ (CL_TABLE_LIQ_INDEX)
#define T_MULTI (CL_TABLE_LIQ_MULTI)
#define T_EVENTS (CL_TABLE_RISK_EVENTS)

/* An account with all its positions, loaded for a transaction. */
struct stf_acct {
	struct cl_address addr;
	struct cl_account acc;
	size_t n;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
};

int stf_load_market(const struct cl_stf_view *v, struct cl_market_state *ms,
		    uint32_t market);
/* The market's current multiplier of the tier fractions. */
uint32_t stf_market_scale(const struct cl_market_params *m,
			  const struct cl_market_state *ms);
/* Load an account (absent: zero) and its positions. */
int stf_acct_load(struct cl_stf *s, struct stf_acct *a,
		  const struct cl_address *addr);
/* Settle the pending funding of every position of `a` (writes the
 * account, the positions' snapshots, the markets and the insurance
 * balance). */
int stf_settle(struct cl_stf *s, struct stf_acct *a);
/* Refresh the liquidation and ADL index entries of `addr` (after its
 * account and positions were written). */
int stf_reindex(struct cl_stf *s, const struct cl_address *addr);
/* Pending funding of a position (margin_funding_payment). */
int stf_pending_funding(const struct cl_stf_view *v, int64_t *out,
			const struct cl_stf_position *p);

/* ORACLE_SURFACE's bytes (surface_tx.c). */
void stf_surface_decode(struct cl_cursor *c, struct cl_tx_oracle_surface *o);
void stf_surface_encode(struct cl_buf *b,
			const struct cl_tx_oracle_surface *o);
size_t stf_surface_len(const struct cl_tx_oracle_surface *o);
void stf_surface_recover(struct cl_tx_auth *a,
			 const struct cl_eip712_domain *d,
			 const struct cl_tx_oracle_surface *o);

/* Oracle updates (both transaction types), liquidation, ADL. */
struct stf_oracle_entry {
	uint64_t price, timestamp;
	enum cl_sig_err err;
	struct cl_address signer;
};
int stf_apply_oracle_entries(struct cl_stf *s, uint32_t market,
			     const struct stf_oracle_entry *e, size_t n);
/* Everything a slice needs, computed on a view without writing. */
struct stf_liq_plan {
	const struct cl_market_params *m;
	struct cl_market_state ms;
	struct cl_account acc; /* collateral with pending funding settled */
	size_t n, j;           /* positions; j: the slice's market */
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	struct cl_health h;
	uint64_t q;            /* the slice */
	bool is_buy;           /* the account's closing side */
	int64_t n_q;           /* slice value at the mark */
	int64_t total;         /* all positions' notional at their marks */
	int64_t e_q;           /* the slice's share of the equity */
	/* after a LIQUIDATE */
	struct cl_position acct_after, fund_after;
	int64_t coll_after, fee, ins_after;
	uint64_t oi_after;
};

/*
 * Check that `addr` may lose `q` (0: the largest slice) of its position in
 * `market` (docs/liquidation.md rules 1, 3-6) and work out the close of
 * that slice against the fund. Reads only.
 */
int stf_liq_compute(const struct cl_stf_view *v, struct stf_liq_plan *p,
		    const struct cl_address *addr, uint32_t market,
		    uint64_t q);
/* Settle the pending funding of `addr` and of the fund in `market`. */
int stf_settle_for_liquidation(struct cl_stf *s,
			       const struct cl_address *addr,
			       uint32_t market);
int stf_apply_liquidate(struct cl_stf *s, const struct cl_tx_liquidate *l);
/* The book-side risk transactions (liq_book.c). */
int stf_apply_liquidate_fill(struct cl_stf *s,
			     const struct cl_tx_liquidate_fill *t);
int stf_apply_fund_fill(struct cl_stf *s, const struct cl_tx_fund_fill *t);
int stf_apply_reindex(struct cl_stf *s, const struct cl_tx_reindex *t);
int stf_apply_adl(struct cl_stf *s, const struct cl_tx_adl *a);
/* begin_block: premium EMA, funding accrual and mark of every market. */
int stf_risk_begin_block(struct cl_stf *s);
/* Settle the insurance fund's position in a loaded market record (the
 * caller writes the record). */
int stf_settle_fund(struct cl_stf *s, struct cl_market_state *ms);
/* Append an event to addr's log (local table). */
int stf_log_event(struct cl_stf *s, const struct cl_address *addr,
		  const struct cl_stf_event *ev);
/* The insurance balance (GLOBALS). */
int stf_get_insurance(const struct cl_stf_view *v, int64_t *out);

/* ---- option markets (surface.c) ---- */

/* ORACLE_SURFACE (docs/options.md "The surface in the stf"). */
int stf_apply_oracle_surface(struct cl_stf *s, const struct cl_tx *tx);

/* The Black-76 inputs of option market `m` at this block: forward F =
 * the underlying's index (its price units), strike, seconds to expiry,
 * the surface's total variance w (wad). Returns false (out zeroed) when
 * m is not an option, is expired, or has no fresh index or surface. */
struct cl_stf_opt_inputs {
	struct cl_price fwd;
	uint64_t strike;
	uint32_t tau_s;
	int64_t w_wad;
	enum cl_opt_kind kind;
	uint32_t underlying;
};
bool stf_option_inputs(struct cl_stf *s, const struct cl_market_params *m,
		       struct cl_stf_opt_inputs *out);
/* The same on a view at block time `now`, with the reason: CL_OK,
 * CL_STF_ERR_OPTION_MARKET (not an option), CL_STF_ERR_OPTION_EXPIRED,
 * CL_STF_ERR_NO_SURFACE (no fresh index or slice, or a slice that does
 * not price this strike), or a backend error. */
int stf_option_inputs_rc(const struct cl_stf_view *v, uint64_t now,
			 const struct cl_market_params *m,
			 struct cl_stf_opt_inputs *out);
/* A memo of surface slices for one computation (a portfolio check
 * reads each (underlying, expiry) once): n 0 to start; it must not
 * outlive a write to the state. */
#define STF_SURFACE_MEMO_MAX 32
struct stf_surface_memo {
	size_t n;
	struct {
		uint32_t underlying;
		uint64_t expiry;
		int rc;
		struct cl_stf_surface sf;
	} e[STF_SURFACE_MEMO_MAX];
};
/* stf_option_inputs_rc() with the underlying's state `under` already
 * loaded (NULL: loaded here), slices through `sm` (NULL: read) and the
 * variance through the block's memo c (NULL: computed): the same
 * integers and codes. */
int stf_option_inputs_with(const struct cl_stf_view *v, uint64_t now,
			   const struct cl_market_params *m,
			   const struct cl_market_state *under,
			   struct stf_surface_memo *sm, struct cl_pm_cache *c,
			   struct cl_stf_opt_inputs *out);
/* The mark of one contract: the Black-76 premium rounded up to a whole
 * price unit, at least 1. CL_OK or CL_STF_ERR_NO_SURFACE. */
int stf_option_mark(uint64_t *mark, const struct cl_stf_opt_inputs *in);
/* The short-option rule (docs/margin.md "Options"): per unit of the
 * underlying, premium + max(15 % of the index - OTM, 10 % of the index
 * for a call or of the strike for a put). */
#define CL_OPT_SHORT_BASE_PPM 150000u
#define CL_OPT_SHORT_MIN_PPM 100000u
/* The initial and maintenance requirement (atoms, rounded up) of a
 * position of `size` with cost `cost` in option market `m` at the
 * current marks (option_margin.c). CL_OK, CL_STF_ERR_NO_MARK_PRICE,
 * CL_STF_ERR_NO_SURFACE (no index), CL_STF_ERR_OVERFLOW or a backend
 * error. */
int stf_option_requirement(const struct cl_stf_view *v,
			   const struct cl_market_params *m, int64_t size,
			   int64_t cost, int64_t *im, int64_t *mm);
/* An option market's part of the requirement counting open orders:
 * max(IM(size + buy) + the buys' premium at the mark, IM(size - sell)). */
int stf_option_order_im(const struct cl_stf_view *v, int64_t *out,
			const struct cl_market_params *m, int64_t size,
			const struct cl_open_sizes *open);
/* ---- expiry (option_expiry.c, option_close.c) ---- */

/* The settlement window before an expiry (docs/options.md "Expiry"). */
#define CL_OPT_SETTLE_WINDOW_S 1800u
/* Is `m` an option market at or after its expiry (closed)? */
bool stf_option_closed(const struct cl_genesis *g,
		       const struct cl_market_params *m, uint64_t now);
/* begin_block: add the underlying's index to the running time-weighted
 * average of every expiry whose window has opened, and fix the
 * settlement price at the first block at or after the expiry. */
int stf_options_accumulate(struct cl_stf *s);
/* The settlement price of option `m`: 0 while not fixed. */
int stf_option_settle_price(const struct cl_stf_view *v,
			    const struct cl_market_params *m, uint64_t *out);
int stf_apply_option_settle(struct cl_stf *s,
			    const struct cl_tx_option_settle *t);

/* ---- listed option markets (option_list.c) ---- */

/* OPTION_LIST (docs/options.md "Listing"). */
int stf_apply_option_list(struct cl_stf *s, const struct cl_tx *tx);
/* Make the stf's copy of the genesis hold exactly the listed markets of
 * the state (the books are invalidated when they changed). */
int stf_listing_sync(struct cl_stf *s);
/* OPTION_LIST's bytes. */
void stf_option_list_decode(struct cl_cursor *c, struct cl_tx_option_list *o);
void stf_option_list_encode(struct cl_buf *b,
			    const struct cl_tx_option_list *o);
size_t stf_option_list_len(const struct cl_tx_option_list *o);
/* An empty book for the market at index mi of the stf's genesis, just
 * listed (books.c); nothing while the books wait for a rebuild. */
void stf_book_add(struct cl_stf *s, uint32_t mi);

/* Re-mark every option market on `underlying` (UINT32_MAX: all) that has
 * fresh inputs; the others keep their mark. */
int stf_options_refresh(struct cl_stf *s, uint32_t underlying);

#endif
