/* SPDX-License-Identifier: MIT */
/* The stf context, genesis state, blocks and outcome strings. */
#include "stf_int.h"

#include <stdlib.h>
#include <string.h>

const char *cl_stf_err_str(int code)
{
	if (code < 0)
		return cl_err_str(code);
	switch ((enum cl_stf_code)code) {
	case CL_STF_OK:
		return "ok";
	case CL_STF_ERR_BAD_SIGNATURE:
		return "bad signature";
	case CL_STF_ERR_NOT_AUTHORIZED:
		return "signer not authorized for this trader";
	case CL_STF_ERR_UNKNOWN_MARKET:
		return "unknown market";
	case CL_STF_ERR_BAD_FLAGS:
		return "invalid order flags";
	case CL_STF_ERR_BAD_PRICE:
		return "price must be positive";
	case CL_STF_ERR_OFF_TICK:
		return "price is not a multiple of the tick size";
	case CL_STF_ERR_BAD_SIZE:
		return "size must be positive";
	case CL_STF_ERR_OFF_STEP:
		return "size is not a multiple of the step size";
	case CL_STF_ERR_SIZE_TOO_LARGE:
		return "size above the market's max order size";
	case CL_STF_ERR_EXPIRED:
		return "expired";
	case CL_STF_ERR_EXPIRY_TOO_FAR:
		return "expiry too far in the future";
	case CL_STF_ERR_DUPLICATE_ORDER:
		return "order already placed";
	case CL_STF_ERR_UNKNOWN_ORDER:
		return "unknown order: never placed, or closed and pruned "
		       "after its expiry";
	case CL_STF_ERR_ORDER_NOT_OPEN:
		return "order is not open";
	case CL_STF_ERR_MARKET_MISMATCH:
		return "orders are in different markets";
	case CL_STF_ERR_SAME_SIDE:
		return "orders are on the same side";
	case CL_STF_ERR_BAD_MAKER:
		return "maker order is newer than the taker or cannot rest";
	case CL_STF_ERR_NOT_CROSSING:
		return "prices do not cross";
	case CL_STF_ERR_FILL_TOO_LARGE:
		return "fill size above an order's remaining size";
	case CL_STF_ERR_SELF_TRADE:
		return "self trade";
	case CL_STF_ERR_POST_ONLY_TAKER:
		return "post-only order cannot take";
	case CL_STF_ERR_NO_MARK_PRICE:
		return "market has no mark price yet";
	case CL_STF_ERR_REDUCE_ONLY:
		return "reduce-only order would increase the position";
	case CL_STF_ERR_OI_CAP:
		return "open interest cap reached";
	case CL_STF_ERR_INSUFFICIENT_MARGIN:
		return "insufficient margin";
	case CL_STF_ERR_BAD_NONCE:
		return "bad nonce";
	case CL_STF_ERR_BAD_AMOUNT:
		return "bad amount";
	case CL_STF_ERR_BAD_RECIPIENT:
		return "bad recipient";
	case CL_STF_ERR_INSUFFICIENT_COLLATERAL:
		return "insufficient withdrawable collateral";
	case CL_STF_ERR_BAD_AGENT:
		return "agent must be non-zero and not the trader";
	case CL_STF_ERR_DEPOSIT_OUT_OF_ORDER:
		return "deposit out of order";
	case CL_STF_ERR_ORACLE_UNKNOWN_SIGNER:
		return "oracle signature from a non-signer";
	case CL_STF_ERR_ORACLE_DUPLICATE_SIGNER:
		return "duplicate oracle signer";
	case CL_STF_ERR_ORACLE_QUORUM:
		return "oracle quorum not reached";
	case CL_STF_ERR_ORACLE_STALE:
		return "oracle price is stale";
	case CL_STF_ERR_ORACLE_FUTURE:
		return "oracle timestamp after the block time";
	case CL_STF_ERR_ORACLE_NOT_MONOTONIC:
		return "oracle timestamp not after the last one";
	case CL_STF_ERR_BAD_REASON:
		return "order done reason does not hold";
	case CL_STF_ERR_OVERFLOW:
		return "arithmetic overflow";
	case CL_STF_ERR_BAD_BLOCK:
		return "bad block header";
	case CL_STF_ERR_ORACLE_OUT_OF_BOUND:
		return "oracle prices out of bound or without a quorum in band";
	case CL_STF_ERR_NOT_LIQUIDATABLE:
		return "account is not below maintenance margin";
	case CL_STF_ERR_NOT_RISKIEST:
		return "another position must be liquidated first";
	case CL_STF_ERR_SLICE_TOO_LARGE:
		return "liquidation slice above the allowed share";
	case CL_STF_ERR_INSURANCE_INSUFFICIENT:
		return "insurance fund cannot take the slice";
	case CL_STF_ERR_ADL_NOT_ALLOWED:
		return "auto-deleveraging not allowed: the fund can take it";
	case CL_STF_ERR_ADL_BAD_COUNTERPARTIES:
		return "counterparties are not the top of the adl ranking";
	case CL_STF_ERR_NO_POSITION:
		return "no position in this market";
	case CL_STF_ERR_BEYOND_LIMIT:
		return "price beyond the liquidation or unwind limit";
	case CL_STF_ERR_L1_TIME_WINDOW:
		return "block time outside the window of its l1 block's time";
	case CL_STF_ERR_L1_REF:
		return "l1 reference runs backwards or contradicts the last one";
	case CL_STF_ERR_NOT_A_REQUEST:
		return "transaction type is derived by the rollup, not requested";
	case CL_STF_ERR_FORCED_OUT_OF_ORDER:
		return "forced request is not the next one in l1 order";
	case CL_STF_ERR_UNKNOWN_ASSET:
		return "unknown collateral asset";
	case CL_STF_ERR_MODE_BUSY:
		return "margin mode cannot change with a position or open "
		       "orders in the market";
	case CL_STF_ERR_WRONG_MODE:
		return "account does not margin this market: trade an "
		       "isolated market through its isolated account";
	case CL_STF_ERR_NOT_ISOLATED:
		return "market is not in isolated mode for this account";
	case CL_STF_ERR_SAME_SUBACCOUNT:
		return "transfer from a subaccount to itself";
	case CL_STF_ERR_INSUFFICIENT_ASSET:
		return "asset balance too small";
	case CL_STF_ERR_ASSET_MARGIN:
		return "the asset's value is needed for the initial margin";
	case CL_STF_ERR_ASSET_COVERS_DEBT:
		return "the asset covers a negative settlement balance";
	case CL_STF_ERR_PM_MIN_EQUITY:
		return "equity below the portfolio mode minimum";
	case CL_STF_ERR_PM_ISOLATED:
		return "an isolated account cannot use portfolio mode";
	case CL_STF_ERR_PM_DISABLED:
		return "portfolio mode is not enabled by the genesis";
	case CL_STF_ERR_PM_MARGIN:
		return "the margin mode switch would leave the account under "
		       "its initial margin";
	case CL_STF_ERR_TWAP_NONCE_USED:
		return "twap nonce at or below the trader's floor: a pruned "
		       "twap used it or a higher one";
	case CL_STF_ERR_LIST_NOT_LISTER:
		return "only the genesis lister may list option markets";
	case CL_STF_ERR_LIST_TEMPLATE:
		return "the template is not a genesis option market";
	case CL_STF_ERR_LIST_TERMS:
		return "listed option: kind must be call or put, strike in "
		       "1..9e12 and expiry more than the settlement window and "
		       "at most 10 years after the block time";
	case CL_STF_ERR_LIST_SYMBOL:
		return "listed option symbol invalid or already in use";
	case CL_STF_ERR_LIST_FULL:
		return "no more option markets may be listed";
	case CL_STF_ERR_OPTION_MARKET:
		return "an option market has no oracle price of its own, and "
		       "a surface needs a genesis or listed option on its "
		       "underlying and expiry";
	case CL_STF_ERR_BAD_SURFACE:
		return "volatility slice is not valid svi, or breaks the "
		       "calendar against its neighbours";
	case CL_STF_ERR_NO_SURFACE:
		return "option has no fresh index or volatility surface";
	case CL_STF_ERR_OPTION_EXPIRED:
		return "option market is expired";
	case CL_STF_ERR_NOT_SETTLED:
		return "option has no settlement price yet";
	case CL_STF_ERR_NO_COLLATERAL:
		return "account has no collateral";
	case CL_STF_ERR_ORDER_MARGIN:
		return "open orders would exceed the account's equity";
	case CL_STF_ERR_CLOID_IN_USE:
		return "client order id in use by an open order";
	case CL_STF_ERR_BAD_TWAP:
		return "twap needs slices, an interval and a slippage of at "
		       "most 1e6 ppm";
	}
	return "unknown";
}

struct cl_stf_view cl_stf_view(const struct cl_stf *s)
{
	return (struct cl_stf_view){
		.genesis = &s->g, .state = s->st, .snapshot = NULL,
		.pm_cache = s->pm_cache};
}

int cl_stf_new(struct cl_stf **out, struct cl_state *st,
	       const struct cl_genesis *g)
{
	struct cl_stf *s;
	struct cl_stf_view v;
	const uint8_t *val;
	size_t vlen;
	const char *why;
	int rc;

	*out = NULL;
	if (!cl_genesis_validate(g, &why)) {
		cl_unusual("stf", "invalid genesis: %s", why);
		return CL_ERR_CONFIG;
	}
	s = cl_xcalloc(1, sizeof(*s));
	s->g = *g;
	s->st = st;
	if (g->portfolio.enabled)
		s->pm_cache = cl_pm_cache_new();
	cl_eip712_domain_init(&s->domain, g->l1_chain_id, &g->rollup);
	cl_genesis_hash(&s->genesis_hash, g);
	s->eng = stf_engine_new();

	v = cl_stf_view(s);
	rc = stf_view_get(&v, &val, &vlen, CL_TABLE_GLOBALS,
			  (const uint8_t *)G_GENESIS, strlen(G_GENESIS));
	if (rc == CL_OK) {
		if (vlen != 32 || memcmp(val, s->genesis_hash.b, 32) != 0) {
			cl_unusual("stf", "state belongs to another genesis");
			cl_stf_free(s);
			return CL_ERR_CONFIG;
		}
		s->initialized = true;
		rc = stf_engine_load(s);
		if (rc) {
			cl_stf_free(s);
			return rc;
		}
	} else if (rc != CL_ERR_NOT_FOUND) {
		cl_stf_free(s);
		return rc;
	}
	*out = s;
	return CL_OK;
}

void cl_stf_free(struct cl_stf *s)
{
	if (!s)
		return;
	stf_engine_free(s);
	cl_pm_cache_free(s->pm_cache);
	free(s);
}

bool cl_stf_initialized(const struct cl_stf *s)
{
	return s->initialized;
}

const struct cl_eip712_domain *cl_stf_domain(const struct cl_stf *s)
{
	return &s->domain;
}

const struct cl_genesis *cl_stf_genesis(const struct cl_stf *s)
{
	return &s->g;
}

int cl_stf_genesis_init(struct cl_stf *s)
{
	static const struct cl_market_state zero_market;

	CL_REQUIRE(!s->initialized);
	stf_put_global_hash(s->st, G_GENESIS, &s->genesis_hash);
	stf_put_global_u64(s->st, G_FEE, 0);
	stf_put_global_u64(s->st, G_INSURANCE, 0);
	stf_put_global_u64(s->st, G_NEXT_DEPOSIT, 0);
	stf_put_global_u64(s->st, G_NEXT_WITHDRAWAL, 0);
	stf_put_global_u64(s->st, G_NEXT_ORDER_SEQ, 0);
	stf_put_global_u64(s->st, G_BLOCK_NUMBER, 0);
	stf_put_global_u64(s->st, G_BLOCK_TIME, 0);
	stf_put_global_u64(s->st, G_L1_NUMBER, 0);
	stf_put_global_hash(s->st, G_L1_HASH, &(struct cl_hash32){{0}});
	stf_put_global_u64(s->st, G_L1_TIME, 0);
	for (uint32_t i = 0; i < s->g.n_markets; i++)
		stf_put_market(s->st, s->g.markets[i].id, &zero_market);
	s->initialized = true;
	return stf_engine_load(s);
}

/*
 * The L1 reference of a block (docs/protocol.md "Blocks"): it never runs
 * backwards, names the same block the same way, and the block's time lies
 * in [its timestamp, its timestamp + CL_L1_MAX_DRIFT_S]. After genesis
 * (last_number 0) any first reference is accepted.
 */
static int check_l1_ref(struct cl_stf *s, const struct cl_block_header *h,
			uint64_t last_number)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t l1_number, l1_time;
	const uint8_t *hash;
	size_t hlen;
	uint64_t now = h->timestamp_ms / 1000;
	int rc = stf_get_global_u64(&v, &l1_number, G_L1_NUMBER);

	if (rc == CL_OK)
		rc = stf_get_global_u64(&v, &l1_time, G_L1_TIME);
	if (rc == CL_OK)
		rc = stf_view_get(&v, &hash, &hlen, CL_TABLE_GLOBALS,
				  (const uint8_t *)G_L1_HASH,
				  strlen(G_L1_HASH));
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (hlen != 32)
		return CL_ERR_CORRUPT;
	if (last_number > 0) {
		if (h->l1.number < l1_number)
			return CL_STF_ERR_L1_REF;
		if (h->l1.number == l1_number &&
		    (h->l1.timestamp != l1_time ||
		     memcmp(h->l1.hash.b, hash, 32) != 0))
			return CL_STF_ERR_L1_REF;
		if (h->l1.timestamp < l1_time)
			return CL_STF_ERR_L1_REF;
	}
	if (now < h->l1.timestamp || now - h->l1.timestamp > CL_L1_MAX_DRIFT_S)
		return CL_STF_ERR_L1_TIME_WINDOW;
	return CL_STF_OK;
}

int cl_stf_begin_block(struct cl_stf *s, const struct cl_block_header *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_hash32 root;
	struct cl_state_sp sp;
	uint64_t last_number, last_ms;
	int rc;

	CL_REQUIRE(s->initialized);
	CL_REQUIRE(!s->in_block);
	rc = stf_get_global_u64(&v, &last_number, G_BLOCK_NUMBER);
	if (rc == CL_OK)
		rc = stf_get_global_u64(&v, &last_ms, G_BLOCK_TIME);
	if (rc == CL_OK)
		rc = cl_state_root(s->st, &root);
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (last_number == UINT64_MAX || h->number != last_number + 1 ||
	    h->timestamp_ms < last_ms ||
	    memcmp(root.b, h->prev_root.b, 32) != 0)
		return CL_STF_ERR_BAD_BLOCK;
	rc = check_l1_ref(s, h, last_number);
	if (rc != CL_STF_OK)
		return rc;
	/* the listed markets of the state this block builds on (a
	 * discarded block may have listed some that are gone) */
	rc = stf_listing_sync(s);
	if (rc != CL_OK)
		return rc;
	sp = cl_state_savepoint(s->st);
	stf_put_global_u64(s->st, G_BLOCK_NUMBER, h->number);
	stf_put_global_u64(s->st, G_BLOCK_TIME, h->timestamp_ms);
	stf_put_global_u64(s->st, G_L1_NUMBER, h->l1.number);
	stf_put_global_hash(s->st, G_L1_HASH, &h->l1.hash);
	stf_put_global_u64(s->st, G_L1_TIME, h->l1.timestamp);
	s->block_number = h->number;
	s->block_ms = h->timestamp_ms;
	s->now_s = h->timestamp_ms / 1000;
	/* premium EMA, funding accrual and marks move with the block time */
	rc = stf_risk_begin_block(s);
	if (rc == CL_OK)
		rc = stf_options_accumulate(s);
	if (rc == CL_OK)
		rc = stf_options_refresh(s, UINT32_MAX);
	if (rc != CL_OK) {
		cl_state_rollback_to(s->st, sp);
		return rc;
	}
	s->in_block = true;
	return CL_STF_OK;
}

void cl_stf_end_block(struct cl_stf *s)
{
	CL_REQUIRE(s->in_block);
	s->in_block = false;
	cl_pm_cache_reset(s->pm_cache);
	stf_engine_end_block(s);
}
