/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/rpc: what the method files share.
 *
 *   methods.c    the error mapping and the method table
 *   api_json.c   JSON <-> our types
 *   api_write.c  the write methods (to the sequencer)
 *   api_read.c   the read methods (through the chain reader)
 *   api_orders.c the order-kind methods: the dead-man switch, orders by
 *                client order id (docs/protocol.md "Order kinds")
 *   api_text.c   a JSON object written straight to text (the answers of
 *                writes, on the sequencer's writer)
 */
#ifndef CLEARLINE_RPC_API_INT_H
#define CLEARLINE_RPC_API_INT_H

#include <clearline/api.h>

/* ---- methods.c ---- */
/* Answer with the JSON-RPC error of `code` (a domain or system code). */
struct cl_rpc_done api_error(struct cl_rpc_call *call, int code);
/* Answer "invalid params: what". */
struct cl_rpc_done api_bad_params(struct cl_rpc_call *call, const char *what);

/* ---- api_json.c ---- */
json_t *api_addr_json(const struct cl_address *a);
json_t *api_hash_json(const struct cl_hash32 *h);
/* A 0x address in any case; false when malformed. */
bool api_get_address(struct cl_address *out, const json_t *v);
/* True when `o` is an object with exactly the keys listed (NULL-ended). */
bool api_exact_keys(const json_t *o, const char *const *keys);
/* An Order object into *o: NULL, or what is wrong with it. */
const char *api_parse_order(struct cl_order *o, const json_t *j);
/* An order that may carry "cloid" (0x + 16 bytes, not zero; *cloid is
 * zeroed without one). Returns NULL or what is wrong. */
const char *api_parse_client_order(struct cl_order *o, struct cl_cloid *cloid,
				   const json_t *j);
bool api_get_cloid(struct cl_cloid *out, const json_t *v);
/* A new "0x..." string of a client order id, or NULL for none (zero). */
json_t *api_cloid_json(const struct cl_cloid *c);
/* A 65-byte 0x signature. */
bool api_get_sig(struct cl_sig *out, const json_t *v);
/* True when params is an array of exactly n. */
bool api_nparams(const json_t *p, size_t n);
const char *api_status_str(enum cl_order_status st);
const char *api_reason_str(enum cl_done_reason r);

/* ---- api_text.c: declared in include/clearline/api.h ---- */

/* ---- api_write.c ---- */
struct cl_rpc_done m_submit_order(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_cancel_order(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_withdraw(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_approve_agent(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_submit_oracle(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_submit_oracle_update(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_submit_oracle_surface(struct cl_rpc_call *call,
					   json_t *params, void *app);
struct cl_rpc_done m_op_credit(struct cl_rpc_call *call, json_t *params,
			  void *app);

/* ---- write_limit.c ---- */
/* Take one order-or-cancel token for `signer` and for the call's HTTP
 * connection: true, or false with *out the answer (2007 with the wait,
 * docs/api.md "Rate limits"). */
CL_WUR bool api_rate_check(struct cl_api *api, struct cl_rpc_call *call,
			   const struct cl_address *signer,
			   struct cl_rpc_done *out);
/* Answer `call` with 2007: `per` is "account" or "connection". */
struct cl_rpc_done api_rate_refuse(struct cl_rpc_call *call,
				   const struct cl_rate_limit *lim,
				   const char *per, uint64_t retry_ms);
/* Queue a request for the sequencer (its signature recovered here); the
 * answer repeats the fields of `echo` (taken; may be NULL). */
struct cl_rpc_done api_submit(struct cl_rpc_call *call, struct cl_api *api,
			      struct cl_tx *tx, json_t *echo);

/* ---- api_orders.c ---- */
struct cl_rpc_done m_schedule_cancel(struct cl_rpc_call *call,
				     json_t *params, void *app);
struct cl_rpc_done m_get_order_by_cloid(struct cl_rpc_call *call,
					json_t *params, void *app);
struct cl_rpc_done m_submit_trigger_order(struct cl_rpc_call *call,
					  json_t *params, void *app);
struct cl_rpc_done m_get_trigger_order(struct cl_rpc_call *call,
				       json_t *params, void *app);
struct cl_rpc_done m_submit_scale_order(struct cl_rpc_call *call,
					json_t *params, void *app);
struct cl_rpc_done m_submit_twap_order(struct cl_rpc_call *call,
				       json_t *params, void *app);
struct cl_rpc_done m_get_twap_order(struct cl_rpc_call *call,
				    json_t *params, void *app);
/* A stored TWAP order as the answers show it. */
json_t *api_twap_json(const struct cl_hash32 *h,
		      const struct cl_twap_record *t);
/* A stored trigger order as the answers show it. */
/* The answer for a hash with no order, trigger or TWAP record (`what`
 * names the kind): UNKNOWN_ORDER, saying how far pruning went (data
 * {prunedBefore}: records due before that time are gone,
 * docs/protocol.md "Pruning"). Call it before the view is released. */
struct cl_rpc_done api_unknown_record(struct cl_rpc_call *call,
				      const struct cl_stf_view *v,
				      const char *what);
json_t *api_trigger_json(const struct cl_hash32 *h,
			 const struct cl_trigger_record *t);
/* l2_getOrder's answer for the stored order `r` under `h`. */
json_t *api_order_json(const struct cl_hash32 *h,
		       const struct cl_order_record *r);

/* ---- api_accounts.c ---- */
struct cl_rpc_done m_set_margin_mode(struct cl_rpc_call *call,
				     json_t *params, void *app);
struct cl_rpc_done m_move_isolated_margin(struct cl_rpc_call *call,
					  json_t *params, void *app);
/* The isolated positions of `owner` as l2_getAccount shows them
 * (docs/api.md): CL_OK with *out a new array, or an error (*out NULL). */
int api_isolated_json(json_t **out, const struct cl_stf_view *v,
		      const struct cl_address *owner);
struct cl_rpc_done m_transfer_subaccount(struct cl_rpc_call *call,
					 json_t *params, void *app);
/* The subaccounts of `owner` (at most CL_API_MAX_SUBACCOUNTS, in
 * number order) as l2_getAccount shows them. */
#define CL_API_MAX_SUBACCOUNTS 256
int api_subaccounts_json(json_t **out, const struct cl_stf_view *v,
			 const struct cl_address *owner);

/* ---- api_assets.c ---- */
struct cl_rpc_done m_withdraw_asset(struct cl_rpc_call *call, json_t *params,
				    void *app);
struct cl_rpc_done m_transfer_subaccount_asset(struct cl_rpc_call *call,
					       json_t *params, void *app);

/* ---- api_listing.c ---- */
struct cl_rpc_done m_list_option(struct cl_rpc_call *call, json_t *params,
				 void *app);

/* ---- api_portfolio.c ---- */
struct cl_rpc_done m_set_portfolio_mode(struct cl_rpc_call *call,
					json_t *params, void *app);
/* The `portfolio` object of l2_getAccount (docs/api.md): null without a
 * portfolio section in the genesis. CL_OK with *out new, or an error. */
int api_portfolio_json(json_t **out, const struct cl_stf_view *v,
		       const struct cl_address *addr);

/* ---- api_read.c ---- */
struct cl_rpc_done m_get_config(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_account(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_order(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_forced(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_order_book(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_markets(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_sync_status(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_state_root(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_withdrawal_proof(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_insurance(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_get_risk_events(struct cl_rpc_call *call, json_t *params,
			  void *app);
struct cl_rpc_done m_op_rpc_stats(struct cl_rpc_call *call, json_t *params,
			  void *app);

/* ---- api_exit.c ---- */
struct cl_rpc_done m_account_proof(struct cl_rpc_call *call, json_t *params,
			  void *app);

#endif
