/* SPDX-License-Identifier: MIT */
/*
 * The wallet and operator JSON-RPC methods (docs/api.md). Writes go to the
 * sequencer and are answered when their block is durable; reads use a
 * fresh snapshot of the last sealed block.
 */
#include <clearline/api.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

int cl_api_error_code(int code)
{
	if (code > 0 && code <= CL_STF_CODE_MAX)
		return CL_API_ERR_STF_BASE + code;
	switch (code) {
	case CL_ERR_BUSY:
	case CL_SEQ_ERR_NO_L1:
		return CL_API_ERR_BUSY;
	case CL_SEQ_ERR_SHUTDOWN:
		return CL_API_ERR_SHUTDOWN;
	case CL_SEQ_ERR_NOT_ALLOWED:
		return CL_API_ERR_NOT_ALLOWED;
	case CL_SEQ_ERR_BAD_SIGNATURE:
		return CL_API_ERR_STF_BASE + CL_STF_ERR_BAD_SIGNATURE;
	}
	return CL_RPC_INTERNAL_ERROR;
}

static struct cl_rpc_done api_error(struct cl_rpc_call *call, int code)
{
	int jc = cl_api_error_code(code);
	if (code == CL_ERR_BUSY)
		return cl_rpc_error(call, jc, "sequencer busy: queue full, "
				    "retry later");
	if (jc == CL_RPC_INTERNAL_ERROR)
		return cl_rpc_error(call, jc, "internal error: %s",
				    code < 0 ? cl_err_str(code)
					     : cl_seq_err_str(code));
	return cl_rpc_error(call, jc, "%s", cl_seq_err_str(code));
}

static struct cl_rpc_done bad_params(struct cl_rpc_call *call,
				     const char *what)
{
	return cl_rpc_error(call, CL_RPC_INVALID_PARAMS, "invalid params: %s",
			    what);
}

/* ------------------------------------------------------------------ */
/* JSON <-> our types                                                  */
/* ------------------------------------------------------------------ */

static json_t *addr_json(const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(s, a);
	return json_string(s);
}

static json_t *hash_json(const struct cl_hash32 *h)
{
	return cl_json_from_bytes(h->b, 32);
}

static bool get_address(struct cl_address *out, const json_t *v)
{
	memset(out, 0, sizeof(*out));
	return json_is_string(v) &&
	       cl_address_parse(out, json_string_value(v),
				json_string_length(v));
}

/* The object must have exactly these keys. */
static bool exact_keys(const json_t *o, const char *const *keys)
{
	size_t n = 0;
	if (!json_is_object(o))
		return false;
	for (; keys[n]; n++)
		if (!json_object_get(o, keys[n]))
			return false;
	return json_object_size(o) == n;
}

static const char *parse_order(struct cl_order *o, const json_t *j)
{
	static const char *const keys[] = {"trader", "market", "isBuy",
					   "price",  "size",   "nonce",
					   "expiry", "flags",  NULL};
	uint64_t v;

	memset(o, 0, sizeof(*o));
	if (!exact_keys(j, keys))
		return "order must have exactly trader, market, isBuy, price, "
		       "size, nonce, expiry, flags";
	if (!get_address(&o->trader, json_object_get(j, "trader")))
		return "order.trader: expected an address";
	if (!cl_json_uint(&v, json_object_get(j, "market"), UINT32_MAX))
		return "order.market: expected a uint32";
	o->market = (uint32_t)v;
	if (!cl_json_bool(&o->is_buy, json_object_get(j, "isBuy")))
		return "order.isBuy: expected true or false";
	if (!cl_json_u64(&o->price, json_object_get(j, "price")))
		return "order.price: expected a decimal string";
	if (!cl_json_u64(&o->size, json_object_get(j, "size")))
		return "order.size: expected a decimal string";
	if (!cl_json_u64(&o->nonce, json_object_get(j, "nonce")))
		return "order.nonce: expected a decimal string";
	if (!cl_json_u64(&o->expiry, json_object_get(j, "expiry")))
		return "order.expiry: expected a decimal string";
	if (!cl_json_uint(&v, json_object_get(j, "flags"), 255))
		return "order.flags: expected a uint8";
	o->flags = (uint8_t)v;
	return NULL;
}

static bool get_sig(struct cl_sig *out, const json_t *v)
{
	return cl_json_bytes(out->b, CL_SIG_LEN, v);
}

/* params must be an array of exactly n entries */
static bool nparams(const json_t *p, size_t n)
{
	return json_is_array(p) && json_array_size(p) == n;
}

static const char *status_str(enum cl_order_status st)
{
	switch (st) {
	case CL_ORDER_OPEN:
		return "open";
	case CL_ORDER_FILLED:
		return "filled";
	case CL_ORDER_CANCELLED:
		return "cancelled";
	case CL_ORDER_DONE:
		return "closed";
	}
	return "unknown";
}

static const char *reason_str(enum cl_done_reason r)
{
	switch (r) {
	case CL_DONE_IOC_REMAINDER:
		return "ioc_remainder";
	case CL_DONE_FOK_UNFILLED:
		return "fok_unfilled";
	case CL_DONE_SELF_TRADE:
		return "self_trade_prevention";
	case CL_DONE_POST_ONLY_CROSS:
		return "post_only_would_cross";
	case CL_DONE_MARGIN:
		return "insufficient_margin";
	case CL_DONE_EXPIRED:
		return "expired";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Writes                                                              */
/* ------------------------------------------------------------------ */

struct pending {
	struct cl_rpc_call *call;
	enum cl_tx_type type;
};

static void on_done(void *arg, const struct cl_seq_result *r)
{
	struct pending *p = arg;
	struct cl_rpc_call *call = p->call;
	enum cl_tx_type type = p->type;

	free(p);
	if (r->code < 0 &&
	    cl_api_error_code(r->code) == CL_RPC_INTERNAL_ERROR) {
		/* the block was not committed: say so, and what to do */
		json_t *data = type == CL_TX_PLACE_ORDER
				       ? json_pack("{s:o}", "orderHash",
						   hash_json(&r->order_hash))
				       : NULL;
		cl_rpc_error_data(call, cl_api_error_code(r->code), data,
				  "internal error: %s: nothing of this request "
				  "was stored%s",
				  cl_err_str(r->code),
				  r->code == CL_ERR_MAP_FULL
					  ? " (the operator must raise map-size-mb)"
				  : r->code == CL_ERR_IO
					  ? " (is the disk full?)"
					  : "");
		return;
	}
	if (r->code != 0) {
		if (type == CL_TX_PLACE_ORDER)
			cl_rpc_error_data(call, cl_api_error_code(r->code),
					  json_pack("{s:o}", "orderHash",
						    hash_json(&r->order_hash)),
					  "%s", cl_seq_err_str(r->code));
		else
			api_error(call, r->code);
		return;
	}
	json_t *res = json_object();
	switch (type) {
	case CL_TX_PLACE_ORDER: {
		json_object_set_new(res, "orderHash", hash_json(&r->order_hash));
		json_object_set_new(res, "status",
				    json_string(status_str(r->status)));
		if (r->status == CL_ORDER_DONE)
			json_object_set_new(
				res, "closeReason",
				json_string(reason_str(r->done_reason)));
		json_object_set_new(res, "filledSize",
				    cl_json_from_u64(r->filled));
		json_t *fills = json_array();
		for (size_t i = 0; i < r->n_fills; i++) {
			const struct cl_seq_fill *f = &r->fills[i];
			json_array_append_new(
				fills,
				json_pack("{s:o,s:o,s:o,s:o}", "maker",
					  hash_json(&f->maker), "makerTrader",
					  addr_json(&f->maker_owner), "price",
					  cl_json_from_u64(f->price), "size",
					  cl_json_from_u64(f->size)));
		}
		json_object_set_new(res, "fills", fills);
		break;
	}
	case CL_TX_CANCEL:
		json_object_set_new(res, "orderHash", hash_json(&r->order_hash));
		json_object_set_new(res, "status", json_string("cancelled"));
		json_object_set_new(res, "filledSize",
				    cl_json_from_u64(r->filled));
		break;
	case CL_TX_WITHDRAW:
		json_object_set_new(res, "withdrawalId",
				    cl_json_from_u64(r->withdrawal_id));
		break;
	case CL_TX_ORACLE_PRICE:
	case CL_TX_ORACLE_UPDATE:
		json_object_set_new(res, "accepted", json_true());
		json_object_set_new(res, "markPrice",
				    cl_json_from_u64(r->mark_price));
		break;
	case CL_TX_DEPOSIT:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
		json_object_set_new(res, "ok", json_true());
		break;
	}
	json_object_set_new(res, "block", cl_json_from_u64(r->block));
	json_object_set_new(res, "txHash", hash_json(&r->tx_hash));
	cl_rpc_result(call, res);
}

/* Recover signatures here, on the RPC worker (in parallel), then queue. */
static struct cl_rpc_done submit(struct cl_rpc_call *call, struct cl_api *api,
				 struct cl_tx *tx)
{
	if (!api->seq)
		return cl_rpc_error(call, CL_API_ERR_READ_ONLY,
				    "read-only node: send writes to the "
				    "sequencer%s%s",
				    api->sequencer_url ? " at " : "",
				    api->sequencer_url ? api->sequencer_url
						       : "");
	cl_tx_recover(tx, cl_seq_domain(api->seq));
	if (tx->type != CL_TX_ORACLE_PRICE && tx->type != CL_TX_DEPOSIT &&
	    tx->type != CL_TX_ORACLE_UPDATE &&
	    tx->auth.err[0] != CL_SIG_OK)
		return cl_rpc_error_data(
			call, CL_API_ERR_STF_BASE + CL_STF_ERR_BAD_SIGNATURE,
			json_pack("{s:s}", "signature",
				  cl_sig_err_str(tx->auth.err[0])),
			"bad signature: %s", cl_sig_err_str(tx->auth.err[0]));
	struct pending *p = cl_xmalloc(sizeof(*p));
	p->call = call;
	p->type = tx->type;
	int rc = cl_seq_submit(api->seq, tx, on_done, p);
	if (rc != CL_OK) {
		free(p);
		return api_error(call, rc);
	}
	return cl_rpc_pending(call);
}

static struct cl_rpc_done m_submit_order(struct cl_rpc_call *call,
					 json_t *params, void *app)
{
	struct cl_tx tx;
	const char *why;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2))
		return bad_params(call, "expected [order, signature]");
	tx.type = CL_TX_PLACE_ORDER;
	why = parse_order(&tx.u.place.order, json_array_get(params, 0));
	if (why)
		return bad_params(call, why);
	if (!get_sig(&tx.u.place.sig, json_array_get(params, 1)))
		return bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

static struct cl_rpc_done m_cancel_order(struct cl_rpc_call *call,
					 json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "orderHash", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2))
		return bad_params(call, "expected [cancel, signature]");
	const json_t *c = json_array_get(params, 0);
	tx.type = CL_TX_CANCEL;
	if (!exact_keys(c, keys) ||
	    !get_address(&tx.u.cancel.msg.trader, json_object_get(c, "trader")) ||
	    !cl_json_bytes(tx.u.cancel.msg.order_hash.b, 32,
			   json_object_get(c, "orderHash")))
		return bad_params(call, "cancel must be {trader, orderHash}");
	if (!get_sig(&tx.u.cancel.sig, json_array_get(params, 1)))
		return bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

static struct cl_rpc_done m_withdraw(struct cl_rpc_call *call, json_t *params,
				     void *app)
{
	static const char *const keys[] = {"trader", "recipient", "amount",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2))
		return bad_params(call, "expected [withdraw, signature]");
	const json_t *w = json_array_get(params, 0);
	struct cl_withdraw *m = &tx.u.withdraw.msg;
	tx.type = CL_TX_WITHDRAW;
	if (!exact_keys(w, keys) ||
	    !get_address(&m->trader, json_object_get(w, "trader")) ||
	    !get_address(&m->recipient, json_object_get(w, "recipient")) ||
	    !cl_json_u64(&m->amount, json_object_get(w, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(w, "nonce")))
		return bad_params(call, "withdraw must be {trader, recipient, "
				  "amount, nonce} (amounts as decimal strings)");
	if (!get_sig(&tx.u.withdraw.sig, json_array_get(params, 1)))
		return bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

static struct cl_rpc_done m_approve_agent(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "agent", "expiry",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2))
		return bad_params(call, "expected [approveAgent, signature]");
	const json_t *w = json_array_get(params, 0);
	struct cl_approve_agent *m = &tx.u.approve.msg;
	tx.type = CL_TX_APPROVE_AGENT;
	if (!exact_keys(w, keys) ||
	    !get_address(&m->trader, json_object_get(w, "trader")) ||
	    !get_address(&m->agent, json_object_get(w, "agent")) ||
	    !cl_json_u64(&m->expiry, json_object_get(w, "expiry")) ||
	    !cl_json_u64(&m->nonce, json_object_get(w, "nonce")))
		return bad_params(call, "approveAgent must be {trader, agent, "
				  "expiry, nonce}");
	if (!get_sig(&tx.u.approve.sig, json_array_get(params, 1)))
		return bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

static struct cl_rpc_done m_submit_oracle(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	static const char *const keys[] = {"market", "price", "timestamp",
					   NULL};
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2))
		return bad_params(call, "expected [update, [signatures]]");
	const json_t *u = json_array_get(params, 0);
	const json_t *sigs = json_array_get(params, 1);
	struct cl_oracle_price *m = &tx.u.oracle.msg;
	tx.type = CL_TX_ORACLE_PRICE;
	if (!exact_keys(u, keys) ||
	    !cl_json_uint(&v, json_object_get(u, "market"), UINT32_MAX) ||
	    !cl_json_u64(&m->price, json_object_get(u, "price")) ||
	    !cl_json_u64(&m->timestamp, json_object_get(u, "timestamp")))
		return bad_params(call, "update must be {market, price, "
				  "timestamp}");
	m->market = (uint32_t)v;
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    json_array_size(sigs) > CL_TX_ORACLE_MAX_SIGS)
		return bad_params(call, "signatures: expected 1..16 signatures");
	tx.u.oracle.n_sigs = (uint32_t)json_array_size(sigs);
	for (size_t i = 0; i < tx.u.oracle.n_sigs; i++)
		if (!get_sig(&tx.u.oracle.sigs[i], json_array_get(sigs, i)))
			return bad_params(call, "signatures: expected 0x + 65 "
					  "bytes each");
	return submit(call, app, &tx);
}

/*
 * l2_submitOracleUpdate [market, [{price, timestamp, signature}, ...]]:
 * each signer signs its own OraclePrice; the index is their median
 * (docs/margin.md).
 */
static struct cl_rpc_done m_submit_oracle_update(struct cl_rpc_call *call,
						 json_t *params, void *app)
{
	static const char *const keys[] = {"price", "timestamp", "signature",
					   NULL};
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!nparams(params, 2) ||
	    !cl_json_uint(&v, json_array_get(params, 0), UINT32_MAX))
		return bad_params(call, "expected [market, [entries]]");
	const json_t *es = json_array_get(params, 1);
	if (!json_is_array(es) || json_array_size(es) == 0 ||
	    json_array_size(es) > CL_TX_ORACLE_MAX_ENTRIES)
		return bad_params(call, "entries: expected 1..16 "
				  "{price, timestamp, signature}");
	tx.type = CL_TX_ORACLE_UPDATE;
	tx.u.oracle_update.market = (uint32_t)v;
	tx.u.oracle_update.n = (uint32_t)json_array_size(es);
	for (size_t i = 0; i < tx.u.oracle_update.n; i++) {
		const json_t *e = json_array_get(es, i);
		struct cl_oracle_entry *o = &tx.u.oracle_update.e[i];
		if (!exact_keys(e, keys) ||
		    !cl_json_u64(&o->price, json_object_get(e, "price")) ||
		    !cl_json_u64(&o->timestamp,
				 json_object_get(e, "timestamp")) ||
		    !get_sig(&o->sig, json_object_get(e, "signature")))
			return bad_params(call, "entries: expected {price, "
					  "timestamp, signature} with decimal "
					  "strings and a 65-byte signature");
	}
	return submit(call, app, &tx);
}

/* Operator only, and only without an L1: credit collateral directly. */
static struct cl_rpc_done m_op_credit(struct cl_rpc_call *call,
				      json_t *params, void *app)
{
	struct cl_api *api = app;

	if (!api->dev_credit)
		return cl_rpc_error(call, CL_API_ERR_NOT_ALLOWED,
				    "op_credit is only available on a node "
				    "without an L1 (deposits come from L1)");
	struct cl_address to;
	uint64_t amount;
	if (!nparams(params, 2) ||
	    !get_address(&to, json_array_get(params, 0)) ||
	    !cl_json_u64(&amount, json_array_get(params, 1)))
		return bad_params(call, "expected [address, amount]");
	if (amount == 0 || amount > INT64_MAX)
		return bad_params(call, "amount must be in [1, 2^63-1]");
	if (!api->seq)
		return cl_rpc_error(call, CL_API_ERR_READ_ONLY,
				    "op_credit needs the sequencer");

	/* the writer assigns the deposit id: concurrent credits never race
	 * and a refused one leaves no gap */
	struct pending *p = cl_xmalloc(sizeof(*p));
	p->call = call;
	p->type = CL_TX_DEPOSIT;
	int rc = cl_seq_submit_credit(api->seq, &to, amount, on_done, p);
	if (rc != CL_OK) {
		free(p);
		return api_error(call, rc);
	}
	return cl_rpc_pending(call);
}

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

static int open_view(struct cl_api *api, struct cl_stf_view *v)
{
	return cl_chain_view(&api->reader, v);
}

static const struct cl_market_params *market_by_id(const struct cl_api *api,
						   uint32_t id)
{
	return cl_genesis_market(api->genesis, id);
}

static json_t *market_params_json(const struct cl_api *api,
				  const struct cl_market_params *m)
{
	return json_pack(
		"{s:i,s:s,s:i,s:i,s:o,s:o,s:o,s:o,s:i,s:i}", "id", (int)m->id,
		"symbol", m->symbol, "priceDecimals", (int)m->price_decimals,
		"sizeDecimals", (int)m->size_decimals, "tickSize",
		cl_json_from_u64(m->tick_size), "stepSize",
		cl_json_from_u64(m->step_size), "maxOrderSize",
		cl_json_from_u64(m->max_order_size), "openInterestCap",
		cl_json_from_u64(m->oi_cap), "makerFeePpm",
		(int)m->maker_fee_ppm, "takerFeePpm", (int)m->taker_fee_ppm);
	(void)api;
}

static struct cl_rpc_done m_get_config(struct cl_rpc_call *call,
				       json_t *params, void *app)
{
	struct cl_api *api = app;
	const struct cl_genesis *g = api->genesis;
	json_t *markets = json_array();

	for (uint32_t i = 0; i < g->n_markets; i++)
		json_array_append_new(markets,
				      market_params_json(api, &g->markets[i]));
	json_t *res = json_object();
	json_object_set_new(res, "l1ChainId", json_integer((json_int_t)g->l1_chain_id));
	json_object_set_new(res, "rollup", addr_json(&g->rollup));
	json_object_set_new(res, "collateralToken",
			    api->has_token ? addr_json(&api->collateral_token)
					   : json_null());
	json_object_set_new(res, "collateralDecimals",
			    json_integer(g->collateral_decimals));
	json_object_set_new(
		res, "domain",
		json_pack("{s:s,s:s,s:I,s:o}", "name", "Clearline", "version",
			  "1", "chainId", (json_int_t)g->l1_chain_id,
			  "verifyingContract", addr_json(&g->rollup)));
	json_object_set_new(res, "markets", markets);
	json_object_set_new(res, "expiryHorizonSeconds",
			    cl_json_from_u64(g->expiry_horizon));
	json_t *signers = json_array();
	for (uint32_t i = 0; i < g->n_oracle_signers; i++)
		json_array_append_new(signers, addr_json(&g->oracle_signers[i]));
	json_object_set_new(res, "oracle",
			    json_pack("{s:o,s:i,s:o}", "signers", signers,
				      "quorum", (int)g->oracle_quorum,
				      "maxAgeSeconds",
				      cl_json_from_u64(g->oracle_max_age)));
	return cl_rpc_result(call, res);
	(void)params;
}

static struct cl_rpc_done m_get_account(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_stf_view v;
	struct cl_account acct;
	int rc;

	if (!nparams(params, 1) || !get_address(&addr, json_array_get(params, 0)))
		return bad_params(call, "expected [address]");
	rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	/* the risk engine's view: pending funding settled, dynamic margin */
	struct cl_stf_account_risk *risk = cl_xcalloc(1, sizeof(*risk));
	rc = cl_stf_get_account(&v, &acct, &addr);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (!rc)
		rc = cl_stf_get_account_risk(&v, risk, &addr);
	if (rc) {
		free(risk);
		cl_chain_view_release(&v);
		return api_error(call, rc);
	}
	const struct cl_health h = risk->health;

	json_t *jpos = json_array();
	for (size_t i = 0; i < risk->n; i++) {
		const struct cl_stf_position_risk *p = &risk->pos[i];
		const struct cl_market_params *m = market_by_id(api, p->market);
		struct cl_market_state ms;
		if (!m || cl_stf_get_market(&v, &ms, p->market) != CL_OK)
			continue;
		uint64_t abs_size = p->size < 0 ? (uint64_t)(-(p->size + 1)) + 1
						: (uint64_t)p->size;
		bool has_liq = p->size > 0 ? p->liquidation_price != 0
					   : p->liquidation_price != UINT64_MAX;
		json_t *jp = json_object();
		json_object_set_new(jp, "market", json_integer(p->market));
		json_object_set_new(jp, "symbol", json_string(m->symbol));
		json_object_set_new(jp, "side",
				    json_string(p->size > 0 ? "long" : "short"));
		json_object_set_new(jp, "size", cl_json_from_u64(abs_size));
		json_object_set_new(jp, "entryPrice",
				    cl_json_from_u64(p->entry_price));
		json_object_set_new(jp, "markPrice",
				    cl_json_from_u64(ms.mark_price));
		json_object_set_new(jp, "unrealizedPnl", cl_json_from_i64(p->upnl));
		json_object_set_new(jp, "pendingFunding",
				    cl_json_from_i64(p->pending_funding));
		json_object_set_new(jp, "initialMargin", cl_json_from_i64(p->im));
		json_object_set_new(jp, "maintenanceMargin",
				    cl_json_from_i64(p->mm));
		json_object_set_new(jp, "liquidationPrice",
				    has_liq ? cl_json_from_u64(p->liquidation_price)
					    : json_null());
		json_object_set_new(jp, "bankruptcyPrice",
				    cl_json_from_u64(p->bankruptcy_price));
		json_array_append_new(jpos, jp);
	}
	free(risk);

	json_t *orders = json_array();
	struct cl_hash32 hashes[CL_API_MAX_OPEN_ORDERS];
	size_t n_orders = 0;
	rc = cl_stf_get_open_orders(&v, hashes, CL_API_MAX_OPEN_ORDERS,
				    &n_orders, &addr);
	for (size_t i = 0; rc == CL_OK && i < n_orders; i++) {
		struct cl_order_record r;
		if (cl_stf_get_order(&v, &r, &hashes[i]) != CL_OK)
			continue;
		json_array_append_new(
			orders,
			json_pack("{s:o,s:i,s:s,s:o,s:o,s:o,s:o,s:i}",
				  "orderHash", hash_json(&hashes[i]), "market",
				  (int)r.market, "side",
				  r.is_buy ? "buy" : "sell", "price",
				  cl_json_from_u64(r.price), "size",
				  cl_json_from_u64(r.size), "filledSize",
				  cl_json_from_u64(r.filled), "expiry",
				  cl_json_from_u64(r.expiry), "flags",
				  (int)r.flags));
	}
	cl_chain_view_release(&v);
	if (rc && rc != CL_ERR_NOT_FOUND) {
		json_decref(jpos);
		json_decref(orders);
		return api_error(call, rc);
	}

	int64_t free_coll = h.equity - h.im;
	json_t *res = json_object();
	json_object_set_new(res, "address", addr_json(&addr));
	json_object_set_new(res, "collateral", cl_json_from_i64(acct.collateral));
	json_object_set_new(res, "equity", cl_json_from_i64(h.equity));
	json_object_set_new(res, "unrealizedPnl", cl_json_from_i64(h.upnl));
	json_object_set_new(res, "initialMargin", cl_json_from_i64(h.im));
	json_object_set_new(res, "maintenanceMargin", cl_json_from_i64(h.mm));
	json_object_set_new(res, "freeCollateral",
			    cl_json_from_i64(free_coll > 0 ? free_coll : 0));
	json_object_set_new(res, "withdrawable",
			    cl_json_from_i64(margin_withdrawable(&h)));
	json_object_set_new(res, "nonce", cl_json_from_u64(acct.nonce));
	json_object_set_new(res, "marginRatioPpm",
			    h.equity > 0 ? cl_json_from_i64(h.mm * 1000000 / h.equity)
					 : json_null());
	json_object_set_new(res, "liquidatable", json_boolean(h.equity < h.mm));
	json_object_set_new(res, "positions", jpos);
	json_object_set_new(res, "openOrders", orders);
	return cl_rpc_result(call, res);
}

static struct cl_rpc_done m_get_order(struct cl_rpc_call *call,
				      json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_hash32 h;
	struct cl_stf_view v;
	struct cl_order_record r;

	if (!nparams(params, 1) ||
	    !cl_json_bytes(h.b, 32, json_array_get(params, 0)))
		return bad_params(call, "expected [orderHash]");
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_order(&v, &r, &h);
	cl_chain_view_release(&v);
	if (rc == CL_ERR_NOT_FOUND)
		return cl_rpc_error(call,
				    CL_API_ERR_STF_BASE + CL_STF_ERR_UNKNOWN_ORDER,
				    "unknown order");
	if (rc)
		return api_error(call, rc);
	json_t *res = json_object();
	json_object_set_new(res, "orderHash", hash_json(&h));
	json_object_set_new(
		res, "order",
		json_pack("{s:o,s:i,s:b,s:o,s:o,s:o,s:i}", "trader",
			  addr_json(&r.trader), "market", (int)r.market,
			  "isBuy", r.is_buy, "price", cl_json_from_u64(r.price),
			  "size", cl_json_from_u64(r.size), "expiry",
			  cl_json_from_u64(r.expiry), "flags", (int)r.flags));
	json_object_set_new(res, "status", json_string(status_str(r.status)));
	json_object_set_new(res, "filledSize", cl_json_from_u64(r.filled));
	json_object_set_new(res, "sequence", cl_json_from_u64(r.sequence));
	return cl_rpc_result(call, res);
}

static struct cl_rpc_done m_get_order_book(struct cl_rpc_call *call,
					   json_t *params, void *app)
{
	struct cl_api *api = app;
	uint64_t market, depth = 20;
	struct book_level lv[CL_API_MAX_DEPTH];

	if (!json_is_array(params) || json_array_size(params) < 1 ||
	    json_array_size(params) > 2 ||
	    !cl_json_uint(&market, json_array_get(params, 0), UINT32_MAX) ||
	    (json_array_size(params) == 2 &&
	     !cl_json_uint(&depth, json_array_get(params, 1), CL_API_MAX_DEPTH)))
		return bad_params(call, "expected [market, depth <= 500]");
	if (!market_by_id(api, (uint32_t)market))
		return cl_rpc_error(call,
				    CL_API_ERR_STF_BASE + CL_STF_ERR_UNKNOWN_MARKET,
				    "unknown market %llu",
				    (unsigned long long)market);
	if (!cl_chain_has_books(&api->reader))
		return cl_rpc_error(call, CL_API_ERR_READ_ONLY,
				    "the order book is served by the sequencer "
				    "and by replicas");
	json_t *res = json_object();
	const char *names[2] = {"bids", "asks"};
	for (int side = 0; side < 2; side++) {
		enum book_side bs = side ? BOOK_SELL : BOOK_BUY;
		size_t n = cl_chain_book_depth(&api->reader, lv, (size_t)depth,
					       (uint32_t)market, bs);
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				arr, json_pack("[o,o]",
					       cl_json_from_u64(lv[i].price.v),
					       cl_json_from_u64(lv[i].size.v)));
		json_object_set_new(res, names[side], arr);
	}
	json_object_set_new(res, "market", json_integer((json_int_t)market));
	return cl_rpc_result(call, res);
}

static struct cl_rpc_done m_get_markets(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_stf_view v;
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	json_t *arr = json_array();
	for (uint32_t i = 0; i < api->genesis->n_markets; i++) {
		const struct cl_market_params *m = &api->genesis->markets[i];
		struct cl_market_state ms;
		rc = cl_stf_get_market(&v, &ms, m->id);
		if (rc)
			break;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(m->id));
		json_object_set_new(o, "symbol", json_string(m->symbol));
		struct cl_stf_market_info mi;
		rc = cl_stf_get_market_info(&v, &mi, m->id);
		if (rc) {
			json_decref(o);
			break;
		}
		json_object_set_new(o, "oraclePrice",
				    cl_json_from_u64(ms.oracle_price));
		json_object_set_new(o, "oracleTimestamp",
				    cl_json_from_u64(ms.oracle_timestamp));
		json_object_set_new(o, "indexPrice",
				    cl_json_from_u64(mi.index_price));
		json_object_set_new(o, "markPrice", cl_json_from_u64(mi.mark_price));
		json_object_set_new(o, "lastTradePrice",
				    cl_json_from_u64(mi.last_trade_price));
		/* rates in parts per billion per funding interval */
		json_object_set_new(o, "fundingRate",
				    cl_json_from_i64(mi.funding_rate_ppb));
		json_object_set_new(o, "predictedFundingRate",
				    cl_json_from_i64(mi.predicted_rate_ppb));
		json_object_set_new(o, "nextFundingTime",
				    cl_json_from_u64(mi.next_funding_time));
		json_object_set_new(o, "premiumPpb",
				    cl_json_from_i64(mi.premium_ppb));
		json_object_set_new(o, "openInterest",
				    cl_json_from_u64(mi.open_interest));
		json_object_set_new(o, "imfScalePpm",
				    cl_json_from_u64(mi.imf_scale_ppm));
		json_object_set_new(o, "volatilityPpm",
				    cl_json_from_u64(mi.volatility_ppm));
		json_object_set_new(o, "insuranceFundPosition",
				    cl_json_from_i64(mi.fund_size));
		json_array_append_new(arr, o);
	}
	cl_chain_view_release(&v);
	if (rc) {
		json_decref(arr);
		return api_error(call, rc);
	}
	return cl_rpc_result(call, arr);
	(void)params;
}

static json_t *opt_u64(bool has, uint64_t v)
{
	return has ? cl_json_from_u64(v) : json_null();
}

static json_t *fault_json(const struct cl_chain_fault *f)
{
	if (!f->set)
		return json_null();
	json_t *jf = json_object();
	json_object_set_new(jf, "batch", cl_json_from_u64(f->batch));
	json_object_set_new(jf, "block", opt_u64(f->has_block, f->block));
	json_object_set_new(jf, "tx", opt_u64(f->has_tx, f->tx));
	json_object_set_new(jf, "expectedRoot", f->has_roots
							? hash_json(&f->expected)
							: json_null());
	json_object_set_new(jf, "postedRoot", f->has_roots
						      ? hash_json(&f->posted)
						      : json_null());
	json_object_set_new(jf, "reason", json_string(f->reason));
	json_object_set_new(jf, "challenge",
			    json_string(f->challenged ? "confirmed"
					: f->challenge_failed ? "not sent"
							      : "pending"));
	return jf;
}

/* l2_syncStatus (docs/api.md, docs/verifier.md): the head, then each
 * group of fields the node knows. */
static struct cl_rpc_done m_sync_status(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_chain_sync s;

	int rc = cl_chain_sync(&api->reader, &s);
	if (rc)
		return api_error(call, rc);
	json_t *res = json_object();
	json_object_set_new(res, "mode", json_string(api->mode_name));
	json_object_set_new(res, "headBlock", cl_json_from_u64(s.head_block));
	json_object_set_new(res, "headTimestampMs",
			    cl_json_from_u64(s.head_timestamp_ms));
	json_object_set_new(res, "headStateRoot", hash_json(&s.head_root));
	/* without an L1 nothing is posted or final */
	json_object_set_new(res, "postedBatch",
			    opt_u64(s.has_posted, s.posted_batch));
	json_object_set_new(res, "finalizedBatch",
			    opt_u64(s.has_final, s.finalized_batch));
	json_object_set_new(res, "l1Head", opt_u64(s.l1_attached, s.l1_head));
	if (s.l1_attached) {
		json_object_set_new(res, "l1Scanned",
				    cl_json_from_u64(s.l1_scanned));
		json_object_set_new(res, "l1Reachable",
				    json_boolean(s.l1_reachable));
	}
	if (s.has_posting) {
		json_object_set_new(res, "depositsCredited",
				    cl_json_from_u64(s.deposits_credited));
		json_object_set_new(res, "l1Posting", json_boolean(s.posting));
	}
	if (s.has_derivation) {
		json_object_set_new(res, "derivedBatch",
				    opt_u64(s.has_derived, s.derived_batch));
		json_object_set_new(res, "postedBlock",
				    cl_json_from_u64(s.posted_last_block));
		json_object_set_new(res, "blocksPerSecond",
				    cl_json_from_u64(s.blocks_per_second));
		json_object_set_new(res, "etaSeconds",
				    opt_u64(s.has_eta, s.eta_seconds));
		json_object_set_new(res, "txsDerived",
				    cl_json_from_u64(s.txs_derived));
		json_object_set_new(res, "rederivations",
				    cl_json_from_u64(s.rederivations));
		json_object_set_new(res, "fault", fault_json(&s.fault));
	}
	if (s.has_queue)
		json_object_set_new(res, "queued", cl_json_from_u64(s.queued));
	return cl_rpc_result(call, res);
	(void)params;
}

static struct cl_rpc_done m_get_state_root(struct cl_rpc_call *call,
					   json_t *params, void *app)
{
	struct cl_api *api = app;
	uint64_t n;
	struct cl_hash32 root;

	if (!nparams(params, 1) || !cl_json_uint(&n, json_array_get(params, 0),
						 UINT64_MAX))
		return bad_params(call, "expected [blockNumber]");
	int rc = cl_chain_block_root(&api->reader, &root, n);
	if (rc == CL_ERR_NOT_FOUND)
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_BLOCK,
				    "unknown block %llu", (unsigned long long)n);
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, json_pack("{s:o,s:o}", "block",
					     cl_json_from_u64(n), "stateRoot",
					     hash_json(&root)));
}

static struct cl_rpc_done m_withdrawal_proof(struct cl_rpc_call *call,
					     json_t *params, void *app)
{
	struct cl_api *api = app;
	uint64_t id, amount;
	struct cl_address to;
	struct cl_stf_view v;

	if (!nparams(params, 1) ||
	    !cl_json_uint(&id, json_array_get(params, 0), UINT64_MAX))
		return bad_params(call, "expected [withdrawalId]");
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	struct cl_chain_withdrawal w;
	rc = cl_stf_get_withdrawal(&v, &to, &amount, id);
	int prc = CL_OK;
	memset(&w, 0, sizeof(w));
	if (rc == CL_OK)
		prc = cl_chain_withdrawal(&api->reader, &w, &v, id);
	cl_chain_view_release(&v);
	if (rc == CL_ERR_NOT_FOUND) {
		cl_chain_withdrawal_release(&w);
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_WITHDRAWAL,
				    "unknown withdrawal %llu",
				    (unsigned long long)id);
	}
	if (rc || prc) {
		cl_chain_withdrawal_release(&w);
		return api_error(call, rc ? rc : prc);
	}
	json_t *res = json_object();
	json_object_set_new(res, "withdrawalId", cl_json_from_u64(id));
	json_object_set_new(res, "recipient", addr_json(&to));
	json_object_set_new(res, "amount", cl_json_from_u64(amount));

	/* pending: not in a posted batch yet; posted: on L1, inside the
	 * challenge period; final: claimable with `tx`; claimed: done */
	bool in_batch = w.status != CL_WITHDRAWAL_PENDING;
	const char *status = cl_chain_withdrawal_status_str(w.status);
	json_object_set_new(res, "status", json_string(status));
	json_object_set_new(res, "batch", in_batch ? cl_json_from_u64(w.batch)
						   : json_null());
	if (in_batch) {
		json_t *sib = json_array();
		for (unsigned i = 0; i < w.proof->depth; i++)
			json_array_append_new(sib,
					      hash_json(&w.proof->siblings[i]));
		json_object_set_new(res, "proof", sib);
	}
	if (w.status == CL_WITHDRAWAL_FINAL) {
		struct cl_buf data;
		cl_buf_init(&data);
		cl_l1_abi_claim_withdrawal(&data, w.batch, id, &to, amount,
					   w.proof->siblings, w.proof->depth);
		json_object_set_new(
			res, "tx",
			json_pack("{s:o,s:o}", "to", addr_json(w.rollup),
				  "data", cl_json_from_bytes(data.p, data.len)));
		cl_buf_release(&data);
	} else {
		json_object_set_new(res, "tx", json_null());
	}
	cl_chain_withdrawal_release(&w);
	return cl_rpc_result(call, res);
}

static struct cl_rpc_done m_get_insurance(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_stf_view v;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n = 0;
	int64_t balance = 0;

	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_insurance(&v, &balance, pos, &n);
	cl_chain_view_release(&v);
	if (rc)
		return api_error(call, rc);
	json_t *jp = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			jp, json_pack("{s:i,s:o,s:o}", "market",
				      (int)pos[i].market, "size",
				      cl_json_from_i64(pos[i].size), "cost",
				      cl_json_from_i64(pos[i].cost)));
	return cl_rpc_result(call, json_pack("{s:o,s:o}", "balance",
					     cl_json_from_i64(balance),
					     "positions", jp));
	(void)params;
}

static const char *event_kind_str(enum cl_stf_event_kind k)
{
	switch (k) {
	case CL_STF_EVENT_LIQUIDATED:
		return "liquidated";
	case CL_STF_EVENT_ADL_BANKRUPT:
		return "adl_bankrupt";
	case CL_STF_EVENT_ADL_COUNTERPARTY:
		return "adl_counterparty";
	case CL_STF_EVENT_LIQUIDATED_BOOK:
		return "liquidated_on_book";
	case CL_STF_EVENT_FUND_UNWOUND:
		return "fund_unwound";
	}
	return "unknown";
}

#define CL_API_MAX_EVENTS 200

static struct cl_rpc_done m_get_risk_events(struct cl_rpc_call *call,
					    json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_stf_view v;
	uint64_t from = 0;
	size_t n = 0;

	if (!json_is_array(params) || json_array_size(params) < 1 ||
	    json_array_size(params) > 2 ||
	    !get_address(&addr, json_array_get(params, 0)) ||
	    (json_array_size(params) == 2 &&
	     !cl_json_uint(&from, json_array_get(params, 1), UINT64_MAX)))
		return bad_params(call, "expected [address, fromSeq]");
	struct cl_stf_event *ev = cl_xcalloc(CL_API_MAX_EVENTS, sizeof(*ev));
	int rc = open_view(api, &v);
	if (!rc)
		rc = cl_stf_get_events(&v, ev, CL_API_MAX_EVENTS, &n, &addr,
				       from);
	if (v.snapshot)
		cl_chain_view_release(&v);
	if (rc) {
		free(ev);
		return api_error(call, rc);
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
			arr,
			json_pack("{s:o,s:o,s:s,s:i,s:o,s:o,s:o,s:o,s:o}",
				  "seq", cl_json_from_u64(ev[i].seq), "block",
				  cl_json_from_u64(ev[i].block), "kind",
				  event_kind_str(ev[i].kind), "market",
				  (int)ev[i].market, "size",
				  cl_json_from_i64(ev[i].size), "flow",
				  cl_json_from_i64(ev[i].flow), "equityShare",
				  cl_json_from_i64(ev[i].equity_share), "fee",
				  cl_json_from_i64(ev[i].fee), "counterparty",
				  addr_json(&ev[i].other)));
	free(ev);
	return cl_rpc_result(call, arr);
}

static const struct cl_rpc_method methods[] = {
	{"l2_getConfig", m_get_config, 0},
	{"l2_submitOrder", m_submit_order, 0},
	{"l2_cancelOrder", m_cancel_order, 0},
	{"l2_withdraw", m_withdraw, 0},
	{"l2_approveAgent", m_approve_agent, 0},
	{"l2_submitOraclePrice", m_submit_oracle, 0},
	{"l2_submitOracleUpdate", m_submit_oracle_update, 0},
	{"l2_getAccount", m_get_account, 0},
	{"l2_getOrder", m_get_order, 0},
	{"l2_getOrderBook", m_get_order_book, 0},
	{"l2_getMarkets", m_get_markets, 0},
	{"l2_getWithdrawalProof", m_withdrawal_proof, 0},
	{"l2_syncStatus", m_sync_status, 0},
	{"l2_getStateRoot", m_get_state_root, 0},
	{"l2_getInsuranceFund", m_get_insurance, 0},
	{"l2_getRiskEvents", m_get_risk_events, 0},
	{"op_credit", m_op_credit, CL_RPC_OPERATOR},
};

const struct cl_rpc_method *cl_api_methods(size_t *n)
{
	*n = CL_ARRAY_LEN(methods);
	return methods;
}
