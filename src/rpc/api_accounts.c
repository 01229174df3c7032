/* SPDX-License-Identifier: MIT */
/*
 * Isolated margin and subaccounts over JSON-RPC (docs/api.md
 * "l2_setMarginMode", "l2_moveIsolatedMargin", "l2_transferSubaccount"),
 * and the isolated positions and subaccounts l2_getAccount shows
 * (docs/margin.md "Isolated margin", "Subaccounts").
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

static bool get_market(uint32_t *out, const json_t *v)
{
	uint64_t m;

	if (!cl_json_uint(&m, v, UINT32_MAX))
		return false;
	*out = (uint32_t)m;
	return true;
}

struct cl_rpc_done m_set_margin_mode(struct cl_rpc_call *call,
				     json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "market", "isolated",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [marginMode, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_margin_mode *m = &tx.u.margin_mode.msg;
	tx.type = CL_TX_MARGIN_MODE;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !get_market(&m->market, json_object_get(j, "market")) ||
	    !cl_json_bool(&m->isolated, json_object_get(j, "isolated")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "marginMode must be {trader, "
					    "market, isolated, nonce}");
	if (!api_get_sig(&tx.u.margin_mode.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	struct cl_address acct = m->trader;
	if (m->isolated)
		cl_stf_isolated_account(&acct, &m->trader, m->market);
	json_t *echo = json_pack("{s:b,s:o}", "isolated", m->isolated,
				 "account", api_addr_json(&acct));
	return api_submit(call, app, &tx, echo);
}

struct cl_rpc_done m_move_isolated_margin(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "market", "add",
					   "amount", "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call,
				      "expected [isolatedMargin, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_isolated_margin *m = &tx.u.isolated_margin.msg;
	tx.type = CL_TX_ISOLATED_MARGIN;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !get_market(&m->market, json_object_get(j, "market")) ||
	    !cl_json_bool(&m->add, json_object_get(j, "add")) ||
	    !cl_json_u64(&m->amount, json_object_get(j, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "isolatedMargin must be {trader, "
					    "market, add, amount, nonce} "
					    "(amounts as decimal strings)");
	if (!api_get_sig(&tx.u.isolated_margin.sig,
			 json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	struct cl_address acct;
	cl_stf_isolated_account(&acct, &m->trader, m->market);
	json_t *echo = json_pack("{s:o}", "account", api_addr_json(&acct));
	return api_submit(call, app, &tx, echo);
}

int api_isolated_json(json_t **out, const struct cl_stf_view *v,
		      const struct cl_address *owner)
{
	struct cl_stf_isolated iso[CL_GENESIS_MAX_MARKETS];
	struct cl_stf_account_risk *r;
	struct cl_account acct;
	size_t n;
	int rc;

	*out = NULL;
	rc = cl_stf_get_isolated(v, iso, &n, owner);
	if (rc != CL_OK)
		return rc;
	json_t *arr = json_array();
	r = cl_xcalloc(1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		rc = cl_stf_get_account(v, &acct, &iso[i].account);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
		if (rc == CL_OK)
			rc = cl_stf_get_account_risk(v, r, &iso[i].account);
		if (rc != CL_OK)
			break;
		const struct cl_health *h = &r->health;
		json_t *o = json_object();
		json_object_set_new(o, "market", json_integer(iso[i].market));
		json_object_set_new(o, "account",
				    api_addr_json(&iso[i].account));
		json_object_set_new(o, "margin",
				    cl_json_from_i64(acct.collateral));
		json_object_set_new(o, "equity", cl_json_from_i64(h->equity));
		json_object_set_new(o, "unrealizedPnl",
				    cl_json_from_i64(h->upnl));
		json_object_set_new(o, "initialMargin",
				    cl_json_from_i64(h->im));
		json_object_set_new(o, "maintenanceMargin",
				    cl_json_from_i64(h->mm));
		json_object_set_new(o, "removable",
				    cl_json_from_i64(margin_withdrawable(h)));
		json_object_set_new(o, "liquidatable",
				    json_boolean(r->liquidatable));
		int64_t size = 0;
		uint64_t entry = 0;
		for (size_t k = 0; k < r->n; k++)
			if (r->pos[k].market == iso[i].market) {
				size = r->pos[k].size;
				entry = r->pos[k].entry_price;
			}
		json_object_set_new(o, "size", cl_json_from_i64(size));
		json_object_set_new(o, "entryPrice", cl_json_from_u64(entry));
		json_array_append_new(arr, o);
	}
	free(r);
	if (rc != CL_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return CL_OK;
}

struct cl_rpc_done m_transfer_subaccount(struct cl_rpc_call *call,
					 json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "from", "to", "amount",
					   "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call,
				      "expected [subaccountTransfer, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_subaccount_transfer *m = &tx.u.subaccount_transfer.msg;
	tx.type = CL_TX_SUBACCOUNT_TRANSFER;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !get_market(&m->from, json_object_get(j, "from")) ||
	    !get_market(&m->to, json_object_get(j, "to")) ||
	    !cl_json_u64(&m->amount, json_object_get(j, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "subaccountTransfer must be "
					    "{trader, from, to, amount, nonce} "
					    "(from and to 0..4294967295, "
					    "amounts as decimal strings)");
	if (!api_get_sig(&tx.u.subaccount_transfer.sig,
			 json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	struct cl_address fa, ta;
	cl_stf_subaccount_account(&fa, &m->trader, m->from);
	cl_stf_subaccount_account(&ta, &m->trader, m->to);
	json_t *echo = json_pack("{s:o,s:o}", "fromAccount", api_addr_json(&fa),
				 "toAccount", api_addr_json(&ta));
	return api_submit(call, app, &tx, echo);
}

int api_subaccounts_json(json_t **out, const struct cl_stf_view *v,
			 const struct cl_address *owner)
{
	struct cl_stf_subaccount *subs;
	struct cl_account acct;
	struct cl_health h;
	size_t n;
	int rc;

	*out = NULL;
	subs = cl_xcalloc(CL_API_MAX_SUBACCOUNTS, sizeof(*subs));
	rc = cl_stf_get_subaccounts(v, subs, CL_API_MAX_SUBACCOUNTS, &n,
				    owner);
	json_t *arr = json_array();
	for (size_t i = 0; rc == CL_OK && i < n; i++) {
		rc = cl_stf_get_account(v, &acct, &subs[i].account);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
		if (rc == CL_OK)
			rc = cl_stf_get_health(v, &h, &subs[i].account);
		if (rc != CL_OK)
			break;
		json_t *o = json_object();
		json_object_set_new(o, "subaccount",
				    json_integer(subs[i].sub));
		json_object_set_new(o, "account",
				    api_addr_json(&subs[i].account));
		json_object_set_new(o, "collateral",
				    cl_json_from_i64(acct.collateral));
		json_object_set_new(o, "equity", cl_json_from_i64(h.equity));
		json_object_set_new(o, "initialMargin",
				    cl_json_from_i64(h.im));
		json_object_set_new(o, "maintenanceMargin",
				    cl_json_from_i64(h.mm));
		json_object_set_new(o, "withdrawable",
				    cl_json_from_i64(margin_withdrawable(&h)));
		json_object_set_new(o, "liquidatable",
				    json_boolean(h.equity < h.mm));
		json_array_append_new(arr, o);
	}
	free(subs);
	if (rc != CL_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return CL_OK;
}
