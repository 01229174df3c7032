/* SPDX-License-Identifier: MIT */
/* The write methods: requests checked, their signatures recovered on the
 * RPC worker, queued to the sequencer and answered once their block is
 * durable (docs/api.md). */
#include "api_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Writes                                                              */
/* ------------------------------------------------------------------ */

struct pending {
	struct cl_rpc_call *call;
	enum cl_tx_type type;
	/* the fields of the request the answer repeats, as the text of a
	 * JSON object written on the RPC worker, or NULL */
	char *echo;
};

/* The echo as an object, for the answers with an error (they are built
 * with jansson): NULL without one. */
static json_t *echo_json(const char *echo)
{
	return echo ? cl_json_load(echo, strlen(echo), NULL, 0) : NULL;
}

/* The fills of a placed order (or a scale order's legs). */
static void fills_text(struct cl_api_text *t, const struct cl_seq_result *r)
{
	cl_api_text_open(t, "fills", '[');
	for (size_t i = 0; i < r->n_fills; i++) {
		const struct cl_seq_fill *f = &r->fills[i];
		cl_api_text_open(t, NULL, '{');
		cl_api_text_hash(t, "maker", &f->maker);
		cl_api_text_addr(t, "makerTrader", &f->maker_owner);
		cl_api_text_u64(t, "price", f->price);
		cl_api_text_u64(t, "size", f->size);
		cl_api_text_close(t, '}');
	}
	cl_api_text_close(t, ']');
}

/* The sequencer's answer, on its writer once the block is durable: an
 * error built with jansson, a result written straight to text (the
 * members in the order docs/api.md lists them). */
static void on_done(void *arg, const struct cl_seq_result *r)
{
	struct pending *p = arg;
	struct cl_rpc_call *call = p->call;
	enum cl_tx_type type = p->type;
	char *echo = p->echo;

	free(p);
	if (r->code < 0 &&
	    cl_api_error_code(r->code) == CL_RPC_INTERNAL_ERROR) {
		/* the block was not committed: say so, and what to do */
		json_t *data = cl_tx_is_order(type)
				       ? json_pack("{s:o}", "orderHash",
						   api_hash_json(&r->order_hash))
				       : NULL;
		json_t *ej = data ? echo_json(echo) : NULL;
		if (ej)
			json_object_update(data, ej);
		json_decref(ej);
		free(echo);
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
		if (cl_tx_is_order(type)) {
			json_t *data = json_pack("{s:o}", "orderHash",
						 api_hash_json(&r->order_hash));
			json_t *ej = echo_json(echo);
			if (ej)
				json_object_update(data, ej);
			json_decref(ej);
			cl_rpc_error_data(call, cl_api_error_code(r->code),
					  data, "%s", cl_seq_err_str(r->code));
		} else {
			api_error(call, r->code);
		}
		free(echo);
		return;
	}
	struct cl_api_text t;
	cl_api_text_init(&t);
	switch (type) {
	case CL_TX_TWAP_ORDER:
		cl_api_text_hash(&t, "twapHash", &r->order_hash);
		fills_text(&t, r);
		break;
	case CL_TX_SCALE_ORDER:
		cl_api_text_hash(&t, "scaleHash", &r->order_hash);
		fills_text(&t, r);
		break;
	case CL_TX_PLACE_ORDER:
	case CL_TX_CLIENT_ORDER:
		cl_api_text_hash(&t, "orderHash", &r->order_hash);
		cl_api_text_str(&t, "status", api_status_str(r->status));
		if (r->status == CL_ORDER_DONE)
			cl_api_text_str(&t, "closeReason",
				     api_reason_str(r->done_reason));
		cl_api_text_u64(&t, "filledSize", r->filled);
		fills_text(&t, r);
		break;
	case CL_TX_CANCEL:
		cl_api_text_hash(&t, "orderHash", &r->order_hash);
		cl_api_text_str(&t, "status", "cancelled");
		cl_api_text_u64(&t, "filledSize", r->filled);
		break;
	case CL_TX_WITHDRAW:
	case CL_TX_ASSET_WITHDRAW:
		cl_api_text_u64(&t, "withdrawalId", r->withdrawal_id);
		break;
	case CL_TX_ORACLE_PRICE:
	case CL_TX_ORACLE_UPDATE:
	case CL_TX_ORACLE_SURFACE:
		cl_api_text_raw(&t, "accepted", "true");
		cl_api_text_u64(&t, "markPrice", r->mark_price);
		break;
	case CL_TX_TRIGGER_ORDER:
		cl_api_text_hash(&t, "triggerHash", &r->order_hash);
		break;
	case CL_TX_SCHEDULE_CANCEL:
	case CL_TX_DEPOSIT:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_FORCED: /* from L1 only, never through the RPC */
	case CL_TX_ASSET_DEPOSIT:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_MARGIN_MODE:
	case CL_TX_ISOLATED_MARGIN:
	case CL_TX_SUBACCOUNT_TRANSFER:
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
	case CL_TX_PORTFOLIO_MODE:
	case CL_TX_OPTION_SETTLE:
		cl_api_text_raw(&t, "ok", "true");
		break;
	case CL_TX_OPTION_LIST: {
		char n[21];
		cl_fmt_u64(n, r->listed_market);
		cl_api_text_raw(&t, "ok", "true");
		cl_api_text_raw(&t, "market", n);
		break;
	}
	}
	if (echo)
		cl_api_text_members(&t, echo);
	free(echo);
	cl_api_text_u64(&t, "block", r->block);
	cl_api_text_hash(&t, "txHash", &r->tx_hash);
	cl_rpc_result_text(call, cl_api_text_end(&t));
}

/* Recover signatures here, on the RPC worker (in parallel), then queue;
 * the answer repeats the fields of `echo` (taken; may be NULL). */
struct cl_rpc_done api_submit(struct cl_rpc_call *call, struct cl_api *api,
			      struct cl_tx *tx, json_t *echo)
{
	if (!api->seq) {
		json_decref(echo);
		return cl_rpc_error(call, CL_API_ERR_READ_ONLY,
				    "read-only node: send writes to the "
				    "sequencer%s%s",
				    api->sequencer_url ? " at " : "",
				    api->sequencer_url ? api->sequencer_url
						       : "");
	}
	cl_tx_recover(tx, cl_seq_domain(api->seq));
	if (tx->type != CL_TX_ORACLE_PRICE && tx->type != CL_TX_DEPOSIT &&
	    tx->type != CL_TX_ORACLE_UPDATE &&
	    tx->type != CL_TX_ORACLE_SURFACE &&
	    tx->auth.err[0] != CL_SIG_OK) {
		json_decref(echo);
		return cl_rpc_error_data(
			call, CL_API_ERR_STF_BASE + CL_STF_ERR_BAD_SIGNATURE,
			json_pack("{s:s}", "signature",
				  cl_sig_err_str(tx->auth.err[0])),
			"bad signature: %s", cl_sig_err_str(tx->auth.err[0]));
	}
	/* orders and cancels of every kind: the signer's and the
	 * connection's rate (docs/api.md "Rate limits") */
	struct cl_rpc_done refused;
	if ((cl_tx_is_order(tx->type) || tx->type == CL_TX_CANCEL ||
	     tx->type == CL_TX_SCHEDULE_CANCEL ||
	     tx->type == CL_TX_TRIGGER_ORDER || tx->type == CL_TX_SCALE_ORDER ||
	     tx->type == CL_TX_TWAP_ORDER) &&
	    !api_rate_check(api, call, &tx->auth.signer[0], &refused)) {
		json_decref(echo);
		return refused;
	}
	struct pending *p = cl_xmalloc(sizeof(*p));
	p->call = call;
	p->type = tx->type;
	/* written here, on the worker: the writer only copies it */
	p->echo = echo ? cl_json_dump(echo) : NULL;
	json_decref(echo);
	int rc = cl_seq_submit(api->seq, tx, on_done, p);
	if (rc != CL_OK) {
		free(p->echo);
		free(p);
		return api_error(call, rc);
	}
	return cl_rpc_pending(call);
}

static struct cl_rpc_done submit(struct cl_rpc_call *call, struct cl_api *api,
				 struct cl_tx *tx)
{
	return api_submit(call, api, tx, NULL);
}

struct cl_rpc_done m_submit_order(struct cl_rpc_call *call,
					 json_t *params, void *app)
{
	struct cl_tx tx;
	const char *why;
	json_t *echo = NULL;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [order, signature]");
	tx.type = CL_TX_PLACE_ORDER;
	/* with a client order id it is a ClientOrder (CLIENT_ORDER) */
	why = api_parse_client_order(&tx.u.place.order, &tx.u.place.cloid,
				     json_array_get(params, 0));
	if (why)
		return api_bad_params(call, why);
	if (!api_get_sig(&tx.u.place.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	echo = api_cloid_json(&tx.u.place.cloid);
	if (echo) {
		tx.type = CL_TX_CLIENT_ORDER;
		echo = json_pack("{s:o}", "cloid", echo);
	}
	return api_submit(call, app, &tx, echo);
}

struct cl_rpc_done m_cancel_order(struct cl_rpc_call *call,
					 json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "orderHash", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [cancel, signature]");
	const json_t *c = json_array_get(params, 0);
	tx.type = CL_TX_CANCEL;
	if (!api_exact_keys(c, keys) ||
	    !api_get_address(&tx.u.cancel.msg.trader, json_object_get(c, "trader")) ||
	    !cl_json_bytes(tx.u.cancel.msg.order_hash.b, 32,
			   json_object_get(c, "orderHash")))
		return api_bad_params(call, "cancel must be {trader, orderHash}");
	if (!api_get_sig(&tx.u.cancel.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

struct cl_rpc_done m_withdraw(struct cl_rpc_call *call, json_t *params,
				     void *app)
{
	static const char *const keys[] = {"trader", "recipient", "amount",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [withdraw, signature]");
	const json_t *w = json_array_get(params, 0);
	struct cl_withdraw *m = &tx.u.withdraw.msg;
	tx.type = CL_TX_WITHDRAW;
	if (!api_exact_keys(w, keys) ||
	    !api_get_address(&m->trader, json_object_get(w, "trader")) ||
	    !api_get_address(&m->recipient, json_object_get(w, "recipient")) ||
	    !cl_json_u64(&m->amount, json_object_get(w, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(w, "nonce")))
		return api_bad_params(call, "withdraw must be {trader, recipient, "
				  "amount, nonce} (amounts as decimal strings)");
	if (!api_get_sig(&tx.u.withdraw.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

struct cl_rpc_done m_approve_agent(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "agent", "expiry",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [approveAgent, signature]");
	const json_t *w = json_array_get(params, 0);
	struct cl_approve_agent *m = &tx.u.approve.msg;
	tx.type = CL_TX_APPROVE_AGENT;
	if (!api_exact_keys(w, keys) ||
	    !api_get_address(&m->trader, json_object_get(w, "trader")) ||
	    !api_get_address(&m->agent, json_object_get(w, "agent")) ||
	    !cl_json_u64(&m->expiry, json_object_get(w, "expiry")) ||
	    !cl_json_u64(&m->nonce, json_object_get(w, "nonce")))
		return api_bad_params(call, "approveAgent must be {trader, agent, "
				  "expiry, nonce}");
	if (!api_get_sig(&tx.u.approve.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	return submit(call, app, &tx);
}

struct cl_rpc_done m_submit_oracle(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	static const char *const keys[] = {"market", "price", "timestamp",
					   NULL};
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [update, [signatures]]");
	const json_t *u = json_array_get(params, 0);
	const json_t *sigs = json_array_get(params, 1);
	struct cl_oracle_price *m = &tx.u.oracle.msg;
	tx.type = CL_TX_ORACLE_PRICE;
	if (!api_exact_keys(u, keys) ||
	    !cl_json_uint(&v, json_object_get(u, "market"), UINT32_MAX) ||
	    !cl_json_u64(&m->price, json_object_get(u, "price")) ||
	    !cl_json_u64(&m->timestamp, json_object_get(u, "timestamp")))
		return api_bad_params(call, "update must be {market, price, "
				  "timestamp}");
	m->market = (uint32_t)v;
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    json_array_size(sigs) > CL_TX_ORACLE_MAX_SIGS)
		return api_bad_params(call, "signatures: expected 1..16 signatures");
	tx.u.oracle.n_sigs = (uint32_t)json_array_size(sigs);
	for (size_t i = 0; i < tx.u.oracle.n_sigs; i++)
		if (!api_get_sig(&tx.u.oracle.sigs[i], json_array_get(sigs, i)))
			return api_bad_params(call, "signatures: expected 0x + 65 "
					  "bytes each");
	return submit(call, app, &tx);
}

/*
 * l2_submitOracleUpdate [market, [{price, timestamp, signature}, ...]]:
 * each signer signs its own OraclePrice; the index is their median
 * (docs/margin.md).
 */
struct cl_rpc_done m_submit_oracle_update(struct cl_rpc_call *call,
						 json_t *params, void *app)
{
	static const char *const keys[] = {"price", "timestamp", "signature",
					   NULL};
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2) ||
	    !cl_json_uint(&v, json_array_get(params, 0), UINT32_MAX))
		return api_bad_params(call, "expected [market, [entries]]");
	const json_t *es = json_array_get(params, 1);
	if (!json_is_array(es) || json_array_size(es) == 0 ||
	    json_array_size(es) > CL_TX_ORACLE_MAX_ENTRIES)
		return api_bad_params(call, "entries: expected 1..16 "
				  "{price, timestamp, signature}");
	tx.type = CL_TX_ORACLE_UPDATE;
	tx.u.oracle_update.market = (uint32_t)v;
	tx.u.oracle_update.n = (uint32_t)json_array_size(es);
	for (size_t i = 0; i < tx.u.oracle_update.n; i++) {
		const json_t *e = json_array_get(es, i);
		struct cl_oracle_entry *o = &tx.u.oracle_update.e[i];
		if (!api_exact_keys(e, keys) ||
		    !cl_json_u64(&o->price, json_object_get(e, "price")) ||
		    !cl_json_u64(&o->timestamp,
				 json_object_get(e, "timestamp")) ||
		    !api_get_sig(&o->sig, json_object_get(e, "signature")))
			return api_bad_params(call, "entries: expected {price, "
					  "timestamp, signature} with decimal "
					  "strings and a 65-byte signature");
	}
	return submit(call, app, &tx);
}

/* Operator only, and only without an L1: credit collateral directly. */
struct cl_rpc_done m_op_credit(struct cl_rpc_call *call,
				      json_t *params, void *app)
{
	struct cl_api *api = app;

	if (!api->dev_credit)
		return cl_rpc_error(call, CL_API_ERR_NOT_ALLOWED,
				    "op_credit is only available on a node "
				    "without an L1 (deposits come from L1)");
	struct cl_address to;
	uint64_t amount;
	if (!api_nparams(params, 2) ||
	    !api_get_address(&to, json_array_get(params, 0)) ||
	    !cl_json_u64(&amount, json_array_get(params, 1)))
		return api_bad_params(call, "expected [address, amount]");
	if (amount == 0 || amount > INT64_MAX)
		return api_bad_params(call, "amount must be in [1, 2^63-1]");
	if (!api->seq)
		return cl_rpc_error(call, CL_API_ERR_READ_ONLY,
				    "op_credit needs the sequencer");

	/* the writer assigns the deposit id: concurrent credits never race
	 * and a refused one leaves no gap */
	struct pending *p = cl_xmalloc(sizeof(*p));
	p->call = call;
	p->type = CL_TX_DEPOSIT;
	p->echo = NULL;
	int rc = cl_seq_submit_credit(api->seq, &to, amount, on_done, p);
	if (rc != CL_OK) {
		free(p);
		return api_error(call, rc);
	}
	return cl_rpc_pending(call);
}

/* A signed 64-bit wad parameter: a decimal string, strict as
 * cl_parse_i64. */
static bool api_get_i64(int64_t *out, const json_t *v)
{
	const char *s = json_string_value(v);

	*out = 0;
	return s && cl_parse_i64(out, s, strlen(s));
}

/*
 * l2_submitOracleSurface [market, expiry, [{a, b, rho, m, s, timestamp,
 * signature}, ...]]: each signer's own SVI slice (OracleSurface) for the
 * options on perpetual `market` expiring at `expiry`; the stf combines a
 * quorum of them (docs/options.md "The surface in the stf").
 */
struct cl_rpc_done m_submit_oracle_surface(struct cl_rpc_call *call,
					   json_t *params, void *app)
{
	static const char *const keys[] = {"a", "b", "rho", "m", "s",
					   "timestamp", "signature", NULL};
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 3) ||
	    !cl_json_uint(&v, json_array_get(params, 0), UINT32_MAX) ||
	    !cl_json_u64(&tx.u.oracle_surface.expiry,
			 json_array_get(params, 1)))
		return api_bad_params(call, "expected [market, expiry, "
					    "[entries]] (expiry a decimal "
					    "string)");
	const json_t *es = json_array_get(params, 2);
	if (!json_is_array(es) || json_array_size(es) == 0 ||
	    json_array_size(es) > CL_TX_ORACLE_MAX_ENTRIES)
		return api_bad_params(call, "entries: expected 1..16 {a, b, "
					    "rho, m, s, timestamp, "
					    "signature}");
	tx.type = CL_TX_ORACLE_SURFACE;
	tx.u.oracle_surface.market = (uint32_t)v;
	tx.u.oracle_surface.n = (uint32_t)json_array_size(es);
	for (size_t i = 0; i < tx.u.oracle_surface.n; i++) {
		const json_t *e = json_array_get(es, i);
		struct cl_surface_entry *o = &tx.u.oracle_surface.e[i];
		if (!api_exact_keys(e, keys) ||
		    !api_get_i64(&o->a, json_object_get(e, "a")) ||
		    !api_get_i64(&o->b, json_object_get(e, "b")) ||
		    !api_get_i64(&o->rho, json_object_get(e, "rho")) ||
		    !api_get_i64(&o->m, json_object_get(e, "m")) ||
		    !api_get_i64(&o->s, json_object_get(e, "s")) ||
		    !cl_json_u64(&o->timestamp,
				 json_object_get(e, "timestamp")) ||
		    !api_get_sig(&o->sig, json_object_get(e, "signature")))
			return api_bad_params(call, "entries: expected {a, b, "
					  "rho, m, s, timestamp, signature}: "
					  "the five SVI parameters as signed "
					  "decimal strings (wad), timestamp a "
					  "decimal string, a 65-byte "
					  "signature");
	}
	return submit(call, app, &tx);
}
