/* SPDX-License-Identifier: MIT */
/*
 * stf — the state transition function: genesis parameters, the transaction
 * types and their canonical encoding, and apply(tx) to the committed state.
 *
 * Design: the stf is a pure, deterministic function of (pre-state, block
 * header, transaction). It reads and writes only through struct cl_state
 * (memory or LMDB backend, same results), takes time only from the block
 * header, uses no floating point, iterates only in key order and rejects a
 * transaction on any integer overflow instead of wrapping. docs/protocol.md
 * is the byte-level reference: encodings, state layouts, every validation
 * rule and reject code; docs/margin.md the accounting model.
 *
 * Life of a block:
 *   cl_stf_begin_block(header)          checks and stores number and time
 *   cl_stf_apply(tx) ...                each tx is accepted or changes nothing
 *   cl_stf_end_block()
 *   cl_state_commit_block()             the caller seals the block
 *
 * Signatures: recovering signers is the expensive part and a pure function
 * of (transaction bytes, domain), so it is split out: cl_tx_recover() may
 * run on any thread, many transactions in parallel, and stores the signers
 * in the struct cl_tx; cl_stf_apply() requires that it ran (a bug
 * otherwise) and only compares addresses.
 *
 * Ownership and threads: the caller owns the struct cl_state and the
 * genesis it hands to cl_stf_new() (the genesis is copied). A struct
 * cl_stf is used by one thread, the single writer. Read helpers work on a
 * struct cl_stf_view, which wraps either the writer's state (same thread)
 * or a read-only snapshot (any thread, one view per thread).
 *
 * Risk engine (docs/margin.md "Risk engine", docs/liquidation.md): the
 * index is the median of a quorum of oracle signers' prices, moved at most
 * a genesis bound per window (circuit breaker); the mark is the median of
 * index, index plus a clamped premium EMA, and the clamped last trade.
 * Funding accrues into a cumulative index per market in begin_block and
 * is settled lazily whenever an account is touched. Requirements scale
 * with size (tiers), open interest and realised volatility. Accounts
 * below maintenance are liquidated in slices against the insurance fund
 * (LIQUIDATE), or, when the fund cannot take the loss, against the
 * top-ranked opposite positions (ADL). Two indexes make this cheap: a
 * local liquidation-price index (cl_stf_liquidation_candidates()) and a
 * committed ADL ranking.
 *
 * Open orders reserve initial margin (docs/margin.md "Open orders"): a
 * committed table (OPEN_SIZE) keeps per (trader, market) the remaining
 * size of the trader's open orders that are not reduce-only, per side,
 * moved by every transition that opens, fills or closes an order; a
 * resting order is refused when the account's equity does not cover the
 * requirement counting its orders (CL_STF_ERR_ORDER_MARGIN), and an
 * account without collateral places nothing (CL_STF_ERR_NO_COLLATERAL).
 *
 * Derived accounts (docs/margin.md "Isolated margin", "Subaccounts"): an
 * isolated position and a subaccount are each an account of its own at
 * an address derived from its owner (cl_stf_isolated_account(),
 * cl_stf_subaccount_account()), so every rule above applies to them
 * unchanged; ACCOUNT_OWNERS says whose they are, and the owner and its
 * agents act for them. The escape hatch does not reach them yet.
 *
 * Option markets (docs/options.md "Option markets in the stf"): markets of
 * kind CALL or PUT on a perpetual's index, from the genesis or listed later
 * by the genesis lister (OPTION_LIST, stf_listing.h), marked by Black-76
 * with the oracle signers' SVI slice of their expiry (ORACLE_SURFACE),
 * traded on the same books with the premium paid at the fill, margined leg
 * by leg, settled at expiry on the index's average over the window before
 * it (OPTION_SETTLE).
 *
 * Return values: cl_stf_apply() and the other state-touching calls return
 * CL_STF_OK (0), a positive enum cl_stf_code (a domain outcome: the
 * transaction is rejected and nothing changed), or a negative enum cl_err
 * from the state backend (a system failure; nothing of the transaction is
 * kept either, and the caller should stop the block).
 */
#ifndef CLEARLINE_STF_H
#define CLEARLINE_STF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clearline/common.h>
#include <clearline/crypto.h>
#include <clearline/margin.h>
#include <clearline/state.h>

/* ------------------------------------------------------------------ */
/* Genesis parameters                                                  */
/* ------------------------------------------------------------------ */

#define CL_GENESIS_MAX_SIGNERS 16
#define CL_GENESIS_MAX_MARKETS 64
#define CL_GENESIS_MAX_TIERS 8
#define CL_SYMBOL_MAX 16
#define CL_DECIMALS_MAX 18

/*
 * Risk-engine parameters of one market (docs/genesis.md "risk"). ppm is
 * parts per million; every bound is checked by cl_genesis_validate().
 */
struct cl_market_risk_params {
	uint32_t oracle_band_ppm; /* a quorum of entries must lie within
				   * this of their median (<= 1e6) */
	uint32_t max_jump_ppm;    /* breaker: most the index moves per
				   * window (1..1e6) */
	uint64_t max_jump_window; /* s, >= 1 */
	uint32_t mark_band_ppm;   /* clamp of premium and last trade (<= 1e6;
				   * 0: mark = index) */
	uint64_t premium_ema_seconds;        /* EMA time constant, >= 1 */
	uint32_t funding_interest_ppm;       /* interest per interval, <= 1e6 */
	uint32_t funding_interest_clamp_ppm; /* <= 1e6 */
	uint32_t funding_cap_ppm;            /* |rate| bound, <= 1e6 */
	uint32_t oi_imf_threshold_ppm; /* share of the OI cap, <= 1e6 */
	uint32_t oi_imf_factor_ppm;    /* extra multiplier at the cap, <= 1e7 */
	uint32_t vol_imf_factor;       /* ppm per ppm of volatility, <= 1000 */
	uint32_t vol_alpha_ppm;        /* EWMA weight of a new return, 1..1e6 */
	uint32_t imf_max_scale_ppm;    /* multiplier bound, 1e6..1e7 */
	uint32_t liq_slice_ppm;        /* largest slice, share of |size|,
					* 1..1e6 */
	uint32_t liq_fee_ppm;          /* of slice notional, <= 1e6 */
};

/* One market, fixed at genesis. Units: docs/conventions.md "Numbers".
 * An option market (kind CALL or PUT) prices and settles on the oracle
 * index of its `underlying` perpetual, has that market's price decimals,
 * a strike in its price units and an expiry in unix seconds of block
 * time; a perpetual has kind 0 and the three option fields zero. */
struct cl_market_params {
	uint32_t id;
	char symbol[CL_SYMBOL_MAX + 1]; /* 1..16 chars of [A-Za-z0-9._-], NUL */
	uint8_t price_decimals;
	uint8_t size_decimals;
	uint64_t tick_size;      /* prices are multiples of it, > 0 */
	uint64_t step_size;      /* sizes are multiples of it, > 0 */
	uint64_t max_order_size; /* size units; a multiple of step_size */
	uint64_t oi_cap;         /* open interest cap: total long size */
	uint32_t maker_fee_ppm;  /* <= 1e6 */
	uint32_t taker_fee_ppm;  /* <= 1e6 */
	uint32_t n_tiers;        /* 1..CL_GENESIS_MAX_TIERS */
	struct cl_risk_tier tiers[CL_GENESIS_MAX_TIERS];
	struct cl_market_risk_params risk;
	uint8_t kind;        /* enum cl_market_kind (stf_options.h) */
	uint32_t underlying; /* options: the perpetual priced on */
	uint64_t strike;     /* options: underlying's price units, > 0 */
	uint64_t expiry;     /* options: unix seconds of block time */
	bool listed; /* added by OPTION_LIST, not a genesis market: only
		      * in the stf's copy of the genesis (stf_listing.h) */
};

#include <clearline/stf_listing.h>
#include <clearline/stf_portfolio.h>

#define CL_GENESIS_MAX_ASSETS 8
#define CL_ASSET_MAX_TIERS 8

/*
 * A collateral asset beside the settlement asset (docs/genesis.md
 * "assets", docs/margin.md "Collateral assets"). Its balances are in its
 * L2 atoms (`decimals`); its index is the oracle index of
 * `oracle_market` (in that market's price decimals); the bids of
 * `hedge_market` within depth_band_ppm of its mark are its book depth.
 */
struct cl_asset_params {
	uint32_t id;                    /* >= 1; 0 is the settlement asset */
	char symbol[CL_SYMBOL_MAX + 1]; /* as a market's symbol */
	struct cl_address token;        /* the L1 ERC-20, non-zero */
	uint8_t decimals;               /* L2 decimals of a balance */
	uint32_t oracle_market;         /* a genesis market */
	uint32_t hedge_market;          /* a genesis market */
	uint32_t n_tiers;               /* 1..CL_ASSET_MAX_TIERS */
	struct cl_haircut_tier tiers[CL_ASSET_MAX_TIERS];
	uint32_t vol_factor;       /* extra haircut ppm per ppm of sigma,
				    * <= 1000 */
	uint32_t thin_ppm;         /* extra haircut with no depth, <= 1e6 */
	uint64_t depth_threshold;  /* settlement atoms, <= INT64_MAX */
	uint32_t depth_band_ppm;   /* band around the hedge mark, <= 1e6 */
	uint32_t max_haircut_ppm;  /* >= every tier's haircut, <= 1e6 */
	uint32_t liq_discount_ppm; /* the fund's discount when it takes the
				    * asset, <= the first tier's haircut */
};

/*
 * Everything fixed at genesis. A plain struct: loading it from a file is
 * the job of whoever reads the file (the rpc/node modules own JSON).
 */
struct cl_genesis {
	uint64_t l1_chain_id;        /* > 0; the EIP-712 chainId */
	struct cl_address rollup;    /* the EIP-712 verifyingContract */
	uint8_t collateral_decimals; /* <= 18 */
	uint64_t expiry_horizon;     /* s: max (order expiry - block time) */
	uint32_t n_oracle_signers;   /* 1..CL_GENESIS_MAX_SIGNERS */
	struct cl_address oracle_signers[CL_GENESIS_MAX_SIGNERS];
	uint32_t oracle_quorum;  /* 1..n_oracle_signers */
	uint64_t oracle_max_age; /* s: max (block time - price timestamp) */
	uint64_t funding_interval; /* s, >= 1: one funding period */
	uint32_t n_markets;      /* 1..CL_GENESIS_MAX_MARKETS */
	struct cl_market_params markets[CL_GENESIS_MAX_MARKETS];
	uint32_t n_assets;       /* 0..CL_GENESIS_MAX_ASSETS */
	struct cl_asset_params assets[CL_GENESIS_MAX_ASSETS];
	struct cl_portfolio_params portfolio; /* absent: enabled false */
	struct cl_listing_params listing;     /* absent: enabled false */
};

/*
 * Check every rule of docs/protocol.md "Genesis": chain id and rollup
 * non-zero; decimals <= 18 and every market's scale_exp in [-38, 18];
 * horizon and max age > 0; 1..16 distinct non-zero signers, 1 <= quorum
 * <= signers; 1..64 markets with strictly increasing ids, a valid symbol,
 * tick, step > 0, a fill of one tick by one step worth at least one atom,
 * 0 < max order size <= INT64_MAX and a multiple of step, 0 < oi cap <=
 * INT64_MAX, fees <= 1e6 ppm, 1..8 tiers valid for margin_tiers_valid(),
 * a funding interval >= 1 s and risk parameters within the bounds of
 * struct cl_market_risk_params; an option market (docs/genesis.md
 * "option") names a genesis perpetual as its underlying with the same
 * price decimals, a strike in 1..CL_OPT_PRICE_MAX and an expiry in
 * 1..2^63-1, a perpetual has the option fields zero; 0..8 assets with increasing ids >= 1, a
 * valid symbol, distinct non-zero tokens, genesis oracle and hedge
 * markets, a scale exponent in [-38, 18], valid haircut tiers and the
 * bounds of struct cl_asset_params.
 *
 * why: out, may be NULL: a static lowercase description of the first
 *      broken rule, or NULL when valid.
 * Returns true when valid.
 */
CL_WUR bool cl_genesis_validate(const struct cl_genesis *g, const char **why);

/* scale_exp = collateralDecimals - priceDecimals - sizeDecimals. */
int cl_genesis_scale_exp(const struct cl_genesis *g,
			 const struct cl_market_params *m);

/* The asset with id `id`, or NULL. `g` must be valid (ids sorted). */
const struct cl_asset_params *cl_genesis_asset(const struct cl_genesis *g,
					       uint32_t id);

/* The haircut parameters of asset `a` (borrows a's tiers). */
struct cl_haircut_params cl_genesis_haircut(const struct cl_genesis *g,
					    const struct cl_asset_params *a);

/* The market with id `id`, or NULL. `g` must be valid (ids sorted). */
const struct cl_market_params *cl_genesis_market(const struct cl_genesis *g,
						 uint32_t id);

/*
 * Append the canonical encoding of `g` (docs/protocol.md "Genesis
 * encoding") to `out`. Only the used entries of the arrays are encoded,
 * and listed markets (stf_listing.h) never; `g` must be valid.
 */
void cl_genesis_encode(struct cl_buf *out, const struct cl_genesis *g);

/* The number of genesis option markets (kind CALL or PUT, not listed)
 * of `g`. */
uint32_t cl_genesis_n_options(const struct cl_genesis *g);

/* keccak256 of the canonical encoding; `g` must be valid. */
void cl_genesis_hash(struct cl_hash32 *out, const struct cl_genesis *g);

/* ------------------------------------------------------------------ */
/* Orders                                                              */
/* ------------------------------------------------------------------ */

/* Order flags as signed (docs/crypto.md "EIP-712", fixed). */
#define CL_ORDER_REDUCE_ONLY 0x01u
#define CL_ORDER_POST_ONLY 0x02u
#define CL_ORDER_TIF_SHIFT 2
#define CL_ORDER_TIF_MASK 0x0cu

enum cl_tif {
	CL_TIF_GTC = 0, /* good till cancelled */
	CL_TIF_IOC = 1, /* immediate or cancel */
	CL_TIF_FOK = 2, /* fill or kill */
};

static inline unsigned cl_order_tif(uint8_t flags)
{
	return (flags & CL_ORDER_TIF_MASK) >> CL_ORDER_TIF_SHIFT;
}

/* Valid flags: no bit above 3, tif != 3, post-only only with GTC. */
bool cl_order_flags_valid(uint8_t flags);

/* Status of a stored order. */
enum cl_order_status {
	CL_ORDER_OPEN = 1,      /* may still fill */
	CL_ORDER_FILLED = 2,    /* filled completely */
	CL_ORDER_CANCELLED = 3, /* cancelled by the trader (or an agent) */
	CL_ORDER_DONE = 4,      /* remainder closed by an ORDER_DONE tx */
};

/* Why the sequencer closes an order (ORDER_DONE). */
enum cl_done_reason {
	CL_DONE_IOC_REMAINDER = 1,   /* the order is IOC */
	CL_DONE_FOK_UNFILLED = 2,    /* the order is FOK and has no fill */
	CL_DONE_SELF_TRADE = 3,      /* self-trade prevention */
	CL_DONE_POST_ONLY_CROSS = 4, /* post-only, no fill */
	CL_DONE_MARGIN = 5,          /* a fill would break the margin rules */
	CL_DONE_EXPIRED = 6,         /* expiry <= block time */
	CL_DONE_SCHEDULED_CANCEL = 7, /* the trader's dead-man switch fired */
};
#define CL_DONE_REASON_MAX 7

/* The stored record of an order (docs/protocol.md "ORDERS"). */
struct cl_order_record {
	struct cl_address trader;
	uint32_t market;
	uint8_t flags;
	bool is_buy;
	uint64_t price, size, filled, expiry;
	enum cl_order_status status;
	uint64_t sequence; /* arrival order, from 0 */
	struct cl_cloid cloid; /* the client order id; all zero: none */
};

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

/*
 * Requests (DEPOSIT, PLACE_ORDER, CANCEL, WITHDRAW, APPROVE_AGENT,
 * ORACLE_PRICE, ORACLE_UPDATE) are what blocks carry; the other types are
 * the primitive steps the stf derives from them (docs/protocol.md
 * "Derived transitions") and never come from outside.
 */
enum cl_tx_type {
	CL_TX_DEPOSIT = 1,
	CL_TX_PLACE_ORDER = 2,
	CL_TX_FILL = 3,            /* derived: a match */
	CL_TX_CANCEL = 4,
	CL_TX_WITHDRAW = 5,
	CL_TX_APPROVE_AGENT = 6,
	CL_TX_ORACLE_PRICE = 7,
	CL_TX_ORDER_DONE = 8,      /* derived: an order closed */
	CL_TX_ORACLE_UPDATE = 9,   /* per-signer prices for one market */
	CL_TX_LIQUIDATE = 10,      /* derived: a slice to the fund */
	CL_TX_ADL = 11,            /* derived: a slice to the ranking */
	CL_TX_LIQUIDATE_FILL = 12, /* derived: a slice on the book */
	CL_TX_FUND_FILL = 13,      /* derived: the fund unwinds */
	CL_TX_REINDEX = 14,        /* derived: re-score accounts */
	CL_TX_FORCED = 15,         /* an L1 forced request */
	CL_TX_SCHEDULE_CANCEL = 16, /* the dead-man switch: arm, disarm */
	CL_TX_CLIENT_ORDER = 17,   /* PLACE_ORDER with a client order id */
	CL_TX_TRIGGER_ORDER = 18,  /* stop / take-profit / stop-loss */
	CL_TX_SCALE_ORDER = 19,    /* a signed list of orders */
	CL_TX_TWAP_ORDER = 20,     /* a parent order sliced over time */
	/* 21..23 are kept for other request kinds */
	CL_TX_ASSET_DEPOSIT = 24,  /* a collateral asset deposited on L1 */
	CL_TX_COLLATERAL_SALE = 25, /* derived: the fund takes an asset */
	CL_TX_MARGIN_MODE = 26,    /* cross or isolated, per market */
	CL_TX_ISOLATED_MARGIN = 27, /* margin into or out of an isolated
				     * position */
	CL_TX_SUBACCOUNT_TRANSFER = 28, /* collateral between subaccounts */
	CL_TX_ASSET_WITHDRAW = 29, /* a collateral asset withdrawn to L1 */
	CL_TX_SUBACCOUNT_ASSET_TRANSFER = 30, /* an asset between
					       * subaccounts */
	CL_TX_ORACLE_SURFACE = 31, /* per-signer SVI slices of one expiry */
	CL_TX_OPTION_LIST = 32,    /* the lister adds an option market */
	CL_TX_OPTION_SETTLE = 33,  /* derived: a position settled at expiry */
	CL_TX_PORTFOLIO_MODE = 34, /* portfolio margin on or off */
};
#define CL_TX_TYPE_MAX 34

/* Most signatures an ORACLE_PRICE transaction may carry. */
#define CL_TX_ORACLE_MAX_SIGS CL_GENESIS_MAX_SIGNERS
/* Most entries of an ORACLE_UPDATE, counterparties of an ADL. */
#define CL_TX_ORACLE_MAX_ENTRIES CL_GENESIS_MAX_SIGNERS
#define CL_TX_ADL_MAX 16
/* Most accounts one REINDEX names. */
#define CL_TX_REINDEX_MAX 32

/* Longest encoding: an ORACLE_SURFACE with 16 entries. */
#define CL_TX_SURFACE_ENTRY_LEN (5 * 8 + 8 + CL_SIG_LEN)
#define CL_TX_MAX_LEN                                                      \
	(1 + 4 + 8 + 1 + CL_TX_ORACLE_MAX_ENTRIES * CL_TX_SURFACE_ENTRY_LEN)

struct cl_tx_deposit {
	uint64_t id;
	struct cl_address to;
	uint64_t amount; /* collateral atoms */
};

/* A deposit of a collateral asset (docs/margin.md "Collateral assets"):
 * ids count from 0 in their own sequence. */
struct cl_tx_asset_deposit {
	uint64_t id;
	uint32_t asset; /* a genesis asset id (>= 1) */
	struct cl_address to;
	uint64_t amount; /* asset atoms, 1..2^63-1 */
};

/* The insurance fund takes `amount` of an asset from a liquidatable
 * account whose settlement balance is negative, at the index less the
 * asset's liquidation discount (docs/liquidation.md "Collateral"). */
struct cl_tx_collateral_sale {
	struct cl_address account;
	uint32_t asset;
	uint64_t amount; /* asset atoms, > 0 */
};

/*
 * A forced request (docs/protocol.md "FORCED"): made on L1 by the
 * account's own address through forceRequest(), carried by a block with
 * its L1 id. Unsigned: L1 authenticated the sender. Which fields a kind
 * uses is fixed; the others are zero (a canonical encoding has no room
 * for them).
 */
enum cl_forced_kind {
	CL_FORCED_WITHDRAW = 1,   /* amount: what is asked, > 0 */
	CL_FORCED_CANCEL = 2,     /* order_seq: one open order */
	CL_FORCED_CANCEL_ALL = 3, /* every open order of the account */
	CL_FORCED_CLOSE = 4,      /* market, price: reduce-only IOC at the
				   * limit `price` (> 0) */
};
#define CL_FORCED_KIND_MAX 4

struct cl_tx_forced {
	uint64_t id; /* the L1 id, from 0, consumed in order */
	struct cl_address account;
	enum cl_forced_kind kind;
	uint64_t amount;    /* WITHDRAW */
	uint64_t order_seq; /* CANCEL */
	uint32_t market;    /* CLOSE */
	uint64_t price;     /* CLOSE */
};

/* PLACE_ORDER and CLIENT_ORDER: cloid is all zero for a PLACE_ORDER and
 * never zero for a CLIENT_ORDER (whose signed message is the
 * ClientOrder: order and cloid). */
struct cl_tx_place {
	struct cl_order order;
	struct cl_sig sig;
	struct cl_cloid cloid;
};

/* An order placed when the mark reaches a price (docs/protocol.md
 * "TRIGGER_ORDER"). */
struct cl_tx_trigger {
	struct cl_trigger_order msg;
	struct cl_sig sig;
};

/* A parent order sliced by the stf (docs/protocol.md "TWAP_ORDER"). */
struct cl_tx_twap {
	struct cl_twap_order msg;
	struct cl_sig sig;
};

/* A signed list of orders on one side (docs/protocol.md "SCALE_ORDER"). */
struct cl_tx_scale {
	struct cl_scale_order msg;
	struct cl_sig sig;
};

/* The dead-man switch (docs/protocol.md "SCHEDULE_CANCEL"). */
struct cl_tx_schedule_cancel {
	struct cl_schedule_cancel msg;
	struct cl_sig sig;
};

struct cl_tx_fill {
	struct cl_hash32 maker; /* the resting order; the price is its price */
	struct cl_hash32 taker;
	uint64_t size;
};

struct cl_tx_cancel {
	struct cl_cancel msg;
	struct cl_sig sig;
	uint64_t order_seq; /* the order's sequence number: batches carry it
			     * instead of the hash */
};

/* Isolated margin (docs/margin.md "Isolated margin"). */
struct cl_tx_margin_mode {
	struct cl_margin_mode msg;
	struct cl_sig sig;
};

struct cl_tx_isolated_margin {
	struct cl_isolated_margin msg;
	struct cl_sig sig;
};

/* Subaccounts (docs/margin.md "Subaccounts"). */
struct cl_tx_subaccount_transfer {
	struct cl_subaccount_transfer msg;
	struct cl_sig sig;
};

struct cl_tx_withdraw {
	struct cl_withdraw msg;
	struct cl_sig sig;
};

/* Collateral assets out (docs/margin.md "Collateral assets"). */
struct cl_tx_asset_withdraw {
	struct cl_asset_withdraw msg;
	struct cl_sig sig;
};

struct cl_tx_subaccount_asset_transfer {
	struct cl_subaccount_asset_transfer msg;
	struct cl_sig sig;
};

struct cl_tx_approve {
	struct cl_approve_agent msg;
	struct cl_sig sig;
};

struct cl_tx_oracle {
	struct cl_oracle_price msg;
	uint32_t n_sigs; /* 0..CL_TX_ORACLE_MAX_SIGS */
	struct cl_sig sigs[CL_TX_ORACLE_MAX_SIGS];
};

struct cl_tx_done {
	struct cl_hash32 order_hash;
	enum cl_done_reason reason;
};

/* One signer's OraclePrice(market, price, timestamp) and its signature. */
struct cl_oracle_entry {
	uint64_t price;
	uint64_t timestamp;
	struct cl_sig sig;
};

struct cl_tx_oracle_update {
	uint32_t market;
	uint32_t n; /* 1..CL_TX_ORACLE_MAX_ENTRIES */
	struct cl_oracle_entry e[CL_TX_ORACLE_MAX_ENTRIES];
};

/* ORACLE_SURFACE and OPTION_SETTLE (option markets). */
#include <clearline/stf_options.h>

struct cl_tx_liquidate {
	struct cl_address account;
	uint32_t market;
	uint64_t size; /* the slice, size units, > 0 */
};

struct cl_tx_adl {
	struct cl_address account; /* the bankrupt account */
	uint32_t market;
	uint64_t size; /* the slice, size units, > 0 */
	uint32_t n;    /* 1..CL_TX_ADL_MAX counterparties, in ranking order */
	struct cl_address counterparty[CL_TX_ADL_MAX];
};

/* A liquidation slice (or part of one) filled against a resting order. */
struct cl_tx_liquidate_fill {
	struct cl_address account; /* the account being liquidated */
	struct cl_hash32 maker;    /* the resting order; its price */
	uint64_t size;             /* size units, > 0 */
};

/* The insurance fund reduces its position against a resting order. */
struct cl_tx_fund_fill {
	struct cl_hash32 maker;
	uint64_t size;
};

/* Refresh the ADL scores and liquidation prices of some accounts. */
struct cl_tx_reindex {
	uint32_t n; /* 1..CL_TX_REINDEX_MAX */
	struct cl_address account[CL_TX_REINDEX_MAX];
};

/*
 * What cl_tx_recover() found. For the one-signature types the result is
 * in entry 0; for ORACLE_PRICE entry i belongs to signature i, for
 * ORACLE_UPDATE to entry i (each entry has its own digest; `digest` holds
 * entry 0's).
 */
struct cl_tx_auth {
	bool recovered;             /* cl_tx_recover() ran */
	struct cl_hash32 separator; /* ... for this domain */
	struct cl_hash32 digest;    /* the signed digest (order hash) */
	enum cl_sig_err err[CL_TX_ORACLE_MAX_SIGS];
	struct cl_address signer[CL_TX_ORACLE_MAX_SIGS];
};

/*
 * A decoded transaction. Plain data: copy it freely. `auth` comes before
 * the union, so the bytes up to the end of the member `type` names are a
 * prefix of the struct: code that takes a request (the stf, the encoder)
 * reads `type`, `auth` and that member only, and a holder may keep a
 * request in storage that ends there (the sequencer's queue does:
 * docs/sequencer.md "Threads").
 */
struct cl_tx {
	enum cl_tx_type type;
	struct cl_tx_auth auth;
	union {
		struct cl_tx_deposit deposit;
		struct cl_tx_place place;
		struct cl_tx_fill fill;
		struct cl_tx_cancel cancel;
		struct cl_tx_withdraw withdraw;
		struct cl_tx_approve approve;
		struct cl_tx_oracle oracle;
		struct cl_tx_done done;
		struct cl_tx_oracle_update oracle_update;
		struct cl_tx_liquidate liquidate;
		struct cl_tx_adl adl;
		struct cl_tx_liquidate_fill liquidate_fill;
		struct cl_tx_fund_fill fund_fill;
		struct cl_tx_reindex reindex;
		struct cl_tx_forced forced;
		struct cl_tx_schedule_cancel schedule_cancel;
		struct cl_tx_trigger trigger;
		struct cl_tx_scale scale;
		struct cl_tx_twap twap;
		struct cl_tx_asset_deposit asset_deposit;
		struct cl_tx_collateral_sale collateral_sale;
		struct cl_tx_margin_mode margin_mode;
		struct cl_tx_isolated_margin isolated_margin;
		struct cl_tx_subaccount_transfer subaccount_transfer;
		struct cl_tx_asset_withdraw asset_withdraw;
		struct cl_tx_subaccount_asset_transfer subaccount_asset_transfer;
		struct cl_tx_portfolio_mode portfolio_mode;
		struct cl_tx_oracle_surface oracle_surface;
		struct cl_tx_option_settle option_settle;
		struct cl_tx_option_list option_list;
	} u;
};

/*
 * Strictly decode exactly `len` bytes (borrowed) into *out: a known type
 * byte, every field present, booleans 0 or 1, a known done reason, at most
 * CL_TX_ORACLE_MAX_SIGS oracle signatures, 1..16 oracle update entries and
 * 1..16 ADL counterparties, 1..32 REINDEX accounts, no trailing bytes. Signatures
 * are not checked here (cl_tx_recover() does). On success out->auth is
 * cleared (not recovered); on failure *out is zeroed.
 */
CL_WUR bool cl_tx_decode(struct cl_tx *out, const uint8_t *p, size_t len);

/* Append the canonical encoding of `tx` to `out`. `tx` must hold values
 * cl_tx_decode() accepts (a bug otherwise). */
void cl_tx_encode(struct cl_buf *out, const struct cl_tx *tx);

/* Length of the encoding of `tx`. */
size_t cl_tx_encoded_len(const struct cl_tx *tx);

/* tx hash = keccak256(encoding). */
void cl_tx_hash(struct cl_hash32 *out, const struct cl_tx *tx);

/*
 * Recover the signer(s) of `tx` in domain `d` and store them, with the
 * digest and the domain separator, in tx->auth. A pure function of the
 * transaction and the domain: safe on any thread (cl_crypto_init() first).
 * Unsigned types (DEPOSIT, FILL, ORDER_DONE and the sequencer-issued
 * risk types LIQUIDATE, ADL, LIQUIDATE_FILL, FUND_FILL, REINDEX) are only
 * marked recovered.
 * For PLACE_ORDER, auth.digest is the order hash whatever the outcome.
 */
void cl_tx_recover(struct cl_tx *tx, const struct cl_eip712_domain *d);

/* True for the types a block carries (requests); false for the derived
 * ones (docs/protocol.md "Derived transitions"). */
bool cl_tx_is_request(enum cl_tx_type type);

/* True for the types that place an order (PLACE_ORDER, CLIENT_ORDER);
 * both carry it in u.place and their auth.digest is the order hash. */
bool cl_tx_is_order(enum cl_tx_type type);

/* A static name for a transaction type ("deposit", ...) or "unknown". */
const char *cl_tx_type_str(int type);

/* Outcomes: why a transaction is rejected (stf_codes.h). */
#include <clearline/stf_codes.h>

/* ------------------------------------------------------------------ */
/* The state transition function                                       */
/* ------------------------------------------------------------------ */

struct cl_stf;

/* The L1 block an L2 block refers to (docs/protocol.md "Blocks"). */
struct cl_l1_ref {
	uint64_t number;       /* L1 block number */
	struct cl_hash32 hash; /* its hash */
	uint64_t timestamp;    /* its timestamp, unix seconds */
};

/*
 * How far (s) an L2 block's time may run ahead of the timestamp of the
 * L1 block it names. The L2 time also may not be before it.
 */
#define CL_L1_MAX_DRIFT_S 600

/* An L2 block header as the stf sees it. */
struct cl_block_header {
	uint64_t number;            /* previous + 1; the first block is 1 */
	uint64_t timestamp_ms;      /* unix ms, >= the previous block's */
	struct cl_hash32 prev_root; /* state root after the previous block */
	struct cl_l1_ref l1;        /* the L1 block it refers to */
};

/*
 * A state transition function on `st` (borrowed; must outlive it) for the
 * chain described by `g` (copied). When `st` already holds a genesis hash
 * it must equal cl_genesis_hash(g).
 *
 * Returns CL_OK and *out; CL_ERR_CONFIG when `g` is invalid (logged) or
 * belongs to another chain than `st`; or a negative backend error.
 */
CL_WUR int cl_stf_new(struct cl_stf **out, struct cl_state *st,
		      const struct cl_genesis *g);

/* cl_stf_free(NULL) is a no-op. The state is not touched. */
void cl_stf_free(struct cl_stf *s);

/* True when the state holds this chain's genesis records. */
bool cl_stf_initialized(const struct cl_stf *s);

/*
 * Write the genesis state (block 0: globals, one MARKETS record per
 * market) into the state's overlay; the caller then commits it with
 * cl_state_commit_block(). The state must not be initialized yet.
 * Returns CL_OK or a negative backend error.
 */
CL_WUR int cl_stf_genesis_init(struct cl_stf *s);

/* The EIP-712 domain of this chain (for cl_tx_recover). */
const struct cl_eip712_domain *cl_stf_domain(const struct cl_stf *s);

/* The genesis (the stf's copy). */
const struct cl_genesis *cl_stf_genesis(const struct cl_stf *s);

/*
 * Open a block. Checks number == last + 1, timestamp_ms >= last
 * timestamp and prev_root == cl_state_root() (so the previous block must
 * be committed), then stores number and timestamp in GLOBALS.
 *
 * Returns CL_STF_OK; CL_STF_ERR_BAD_BLOCK (nothing written); or a negative
 * backend error. A block must not be open already.
 */
CL_WUR int cl_stf_begin_block(struct cl_stf *s,
			      const struct cl_block_header *h);

/* Close the open block. The caller then commits the state. */
void cl_stf_end_block(struct cl_stf *s);

/* Which order of a refused FILL was the obstacle (for the sequencer). */
enum cl_stf_blame {
	CL_STF_BLAME_NONE = 0, /* neither alone (sizes, prices, OI cap, ...) */
	CL_STF_BLAME_MAKER,    /* the maker's own state: not open, expired,
				* cannot rest, reduce-only, margin */
	CL_STF_BLAME_TAKER,    /* the taker's own state: not open, expired,
				* post-only, reduce-only, margin */
};

/*
 * After cl_stf_apply() refused a FILL with a positive code: which side it
 * blames. CL_STF_BLAME_NONE after any other outcome or transaction type.
 */
enum cl_stf_blame cl_stf_fill_blame(const struct cl_stf *s);

/*
 * Apply one transaction inside the open block. cl_tx_recover() must have
 * run on `tx` with this stf's domain (a bug otherwise).
 *
 * Returns CL_STF_OK (applied), a positive enum cl_stf_code (rejected:
 * every write was rolled back), or a negative backend error (also rolled
 * back). Never reads the wall clock.
 */
CL_WUR int cl_stf_apply(struct cl_stf *s, const struct cl_tx *tx);

/* ------------------------------------------------------------------ */
/* Blocks of requests: what the sequencer orders and verifiers replay  */
/* ------------------------------------------------------------------ */

/*
 * A block is a header and a list of requests: signed orders, cancels,
 * withdrawals and agent approvals, signed oracle updates and L1
 * deposits. Everything else is derived here from the state and those
 * inputs, the same way on every node (docs/protocol.md "Derived
 * transitions"):
 *  - a placed order matches the book by price and time, with self-trade
 *    prevention (the resting order is cancelled), post-only, IOC, FOK and
 *    reduce-only outcomes; a maker that expired or can no longer trade
 *    is closed on the way;
 *  - when a block opens: expired resting orders are closed, the
 *    liquidation pass runs on every market (book first, then the
 *    insurance fund, then ADL on re-scored rankings), accounts in several
 *    markets are swept a slice at a time, the insurance fund unwinds one
 *    slice per market on the book; last, closed order, trigger and TWAP
 *    records whose time came are pruned (CL_STF_PRUNE_PER_BLOCK at most,
 *    docs/protocol.md "Pruning");
 *  - after every accepted oracle request the liquidation pass runs on its
 *    market.
 * Derived work is bounded per block (CL_STF_DERIVED_PER_BLOCK); what is
 * left goes on when the next block opens (cl_stf_derived_pending()).
 *
 * The FILL, ORDER_DONE, LIQUIDATE, ADL, LIQUIDATE_FILL, FUND_FILL and
 * REINDEX transactions are the primitive steps the derivation applies
 * through cl_stf_apply(); they never come from outside.
 *
 * The order books are a cache of the open orders in the committed state
 * (rebuilt whenever the state moved without this stf seeing it: a
 * discarded block, a primitive cl_stf_apply() from a test, a restart).
 */

/* Most derived primitive steps a block performs at its opening and after
 * oracle requests; the rest is left for the next block. */
#define CL_STF_DERIVED_PER_BLOCK 8192

/* Most closed records (orders, triggers, TWAPs) a block's opening prunes
 * (docs/protocol.md "Pruning"); the rest waits for the next block. */
#define CL_STF_PRUNE_PER_BLOCK 8192

/* An order's or trigger's record is pruned this long after its expiry,
 * so its final status stays readable for a while (docs/protocol.md
 * "Pruning"). */
#define CL_STF_PRUNE_GRACE_S 600

/* One price level of a book. */
struct cl_stf_level {
	uint64_t price;
	uint64_t size;   /* total remaining size at the price */
	uint32_t orders; /* resting orders at the price */
};

/* One fill of a placed order against a resting one. */
struct cl_stf_fill {
	struct cl_hash32 maker;        /* the resting order */
	struct cl_address maker_owner;
	uint64_t price;                /* the maker's price */
	uint64_t size;
};

/* What a forced request did (never a refusal: docs/protocol.md
 * "FORCED"). */
enum cl_forced_outcome {
	CL_FORCED_DONE = 1,    /* in full: paid as asked, the order(s)
				* cancelled, the position closed */
	CL_FORCED_PARTIAL = 2, /* a withdrawal capped by what the margin
				* allows, a close partly filled */
	CL_FORCED_NOTHING = 3, /* nothing withdrawable, no such open order,
				* no open orders, no position (or an
				* unknown market), no fill within the limit */
};
#define CL_FORCED_OUTCOME_MAX 3

/* The committed record of forced request `id` (table FORCED). value:
 * WITHDRAW the amount paid; CANCEL, CANCEL_ALL the orders cancelled;
 * CLOSE the size filled. */
struct cl_forced_record {
	struct cl_address account;
	enum cl_forced_kind kind;
	enum cl_forced_outcome outcome;
	uint64_t value;
};

/* What a request did. */
struct cl_stf_result {
	struct cl_hash32 order_hash;   /* PLACE_ORDER, CANCEL */
	enum cl_order_status status;   /* the order afterwards (PLACE_ORDER,
					* CANCEL) */
	uint64_t filled;               /* the order's filled size */
	enum cl_done_reason done_reason; /* when status is CL_ORDER_DONE */
	size_t n_fills;                /* PLACE_ORDER: its fills, in order */
	const struct cl_stf_fill *fills; /* valid until the next request or
					  * cl_stf_end_block() */
	uint64_t withdrawal_id;        /* WITHDRAW, ASSET_WITHDRAW */
	uint32_t listed_market;        /* OPTION_LIST: the new market's id */
	uint64_t mark_price;           /* ORACLE_PRICE, ORACLE_UPDATE */
	enum cl_forced_outcome forced_outcome; /* FORCED */
	uint64_t forced_value;         /* FORCED: see struct cl_forced_record */
};

/*
 * Open a block (the checks of cl_stf_begin_block()) and do the work due
 * at its opening: expiries, liquidations, the multi-market sweep and the
 * fund's unwind. Returns CL_STF_OK; CL_STF_ERR_BAD_BLOCK,
 * CL_STF_ERR_L1_TIME_WINDOW or CL_STF_ERR_L1_REF (nothing written); or a
 * negative backend error (the caller discards the block).
 */
CL_WUR int cl_stf_open_block(struct cl_stf *s,
			     const struct cl_block_header *h);

/*
 * Apply one request inside the open block, with everything it derives.
 * `tx` must be a request type (else CL_STF_ERR_NOT_A_REQUEST) on which
 * cl_tx_recover() ran — except a CANCEL whose msg.order_hash is zero (as
 * decoded from a batch): its hash is taken from the trader's open order
 * with sequence u.cancel.order_seq (CL_STF_ERR_UNKNOWN_ORDER if none)
 * and its signature recovered here; *tx is updated. For a CANCEL given
 * with its hash, order_seq is filled in.
 *
 * *out (may be NULL) gets what the request did. Returns CL_STF_OK (the
 * request is accepted and belongs in the block), a positive code (it is
 * rejected and nothing changed), or a negative backend error (the caller
 * discards the block).
 */
CL_WUR int cl_stf_request(struct cl_stf *s, struct cl_stf_result *out,
			  struct cl_tx *tx);

/*
 * After the caller discarded an open or failed block (its writes are
 * gone from the state): rebuild the books from the committed state, so
 * that readers do not see the orders of the block that was thrown away.
 * No block may be open. Returns CL_OK or a negative backend error (the
 * books then rebuild when the next block opens).
 */
CL_WUR int cl_stf_reload(struct cl_stf *s);

/*
 * The block's derived fills: fills the stf made on the book that belong
 * to no request's own answer (struct cl_stf_result lists those): trigger
 * orders fired (at a block's opening, after an oracle request, or at
 * once when placed), TWAP slices after the first, liquidation slices
 * filled on the book (LIQUIDATE_FILL) and the insurance fund's unwind
 * (FUND_FILL). A read-only record of what the block did, kept in block
 * order beside the state: it is never hashed, never stored, and does not
 * change the state or its root; a verifier deriving the same block gets
 * the same list. Slices that go to the fund (LIQUIDATE) or to a
 * counterparty (ADL) are not book fills and are not listed.
 */
enum cl_stf_fill_kind {
	CL_STF_FILL_ORDER = 1,       /* a request's own order (not listed) */
	CL_STF_FILL_TRIGGER = 2,     /* a trigger order that fired */
	CL_STF_FILL_TWAP = 3,        /* a TWAP slice */
	CL_STF_FILL_LIQUIDATION = 4, /* a liquidation slice on the book */
	CL_STF_FILL_FUND = 5,        /* the insurance fund's unwind */
};

struct cl_stf_block_fill {
	enum cl_stf_fill_kind kind;
	uint32_t market;
	struct cl_hash32 taker;         /* the fired order or the slice;
					 * zero for LIQUIDATION and FUND */
	struct cl_address taker_trader; /* its trader, the liquidated
					 * account, zero for the fund */
	bool taker_is_buy;
	struct cl_hash32 maker;         /* the resting order */
	struct cl_address maker_owner;
	uint64_t price;                 /* the maker's price */
	uint64_t size;
};

/* The derived fills of the open block (or, after cl_stf_end_block(), of
 * the block just ended) so far, in order: *out is valid until the next
 * stf call that writes (cl_stf_open_block(), cl_stf_request(),
 * cl_stf_reload()). A refused request leaves none of its fills here. */
size_t cl_stf_block_fills(const struct cl_stf *s,
			  const struct cl_stf_block_fill **out);

/* Primitive steps derived in the open block so far (a block with no
 * request and no derived step changed nothing worth keeping). */
uint64_t cl_stf_block_derived(const struct cl_stf *s);

/* True when derived work was cut short by CL_STF_DERIVED_PER_BLOCK in
 * the last block: the next block should open without waiting. */
bool cl_stf_derived_pending(const struct cl_stf *s);

/* Records the open block's opening pruned (at most
 * CL_STF_PRUNE_PER_BLOCK), and whether due ones were left for the next
 * block. Pruning alone does not count as derived work: a block with
 * nothing else is not worth keeping, and the next kept one prunes. */
size_t cl_stf_block_pruned(const struct cl_stf *s, bool *pending);

/*
 * Price levels of one side of `market`'s book as the stf sees it now
 * (best first, at most `max`). It only reads, so it may run on another
 * thread while the writer is outside every other stf call (the node
 * holds a lock). Returns the count (0 for an unknown market, or while
 * the books wait to be rebuilt at the next block's opening).
 */
size_t cl_stf_book_depth(struct cl_stf *s, struct cl_stf_level *out,
			 size_t max, uint32_t market, bool bids);

/* Changes whenever `market`'s book changes (0 for an unknown market). */
uint64_t cl_stf_book_version(struct cl_stf *s, uint32_t market);

/* The read side: accounts, orders, markets, the risk engine's figures. */
#include <clearline/stf_read.h>

#endif /* CLEARLINE_STF_H */
