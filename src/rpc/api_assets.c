/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets out over JSON-RPC (docs/api.md "l2_withdrawAsset",
 * "l2_transferSubaccountAsset"; docs/margin.md "Taking an asset out"):
 * the signed ASSET_WITHDRAW and SUBACCOUNT_ASSET_TRANSFER requests.
 */
#include "api_int.h"

#include <string.h>

static bool get_u32(uint32_t *out, const json_t *v)
{
	uint64_t x;

	if (!cl_json_uint(&x, v, UINT32_MAX))
		return false;
	*out = (uint32_t)x;
	return true;
}

struct cl_rpc_done m_withdraw_asset(struct cl_rpc_call *call, json_t *params,
				    void *app)
{
	static const char *const keys[] = {"trader", "recipient", "asset",
					   "amount", "nonce",	  NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call,
				      "expected [assetWithdraw, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_asset_withdraw *m = &tx.u.asset_withdraw.msg;
	tx.type = CL_TX_ASSET_WITHDRAW;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !api_get_address(&m->recipient, json_object_get(j, "recipient")) ||
	    !get_u32(&m->asset, json_object_get(j, "asset")) ||
	    !cl_json_u64(&m->amount, json_object_get(j, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "assetWithdraw must be {trader, "
					    "recipient, asset, amount, nonce} "
					    "(asset 1..4294967295, amounts "
					    "as decimal strings)");
	if (!api_get_sig(&tx.u.asset_withdraw.sig, json_array_get(params, 1)))
		return api_bad_params(call,
				      "signature: expected 0x + 65 bytes");
	return api_submit(call, app, &tx, NULL);
}

struct cl_rpc_done m_transfer_subaccount_asset(struct cl_rpc_call *call,
					       json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "from",  "to", "asset",
					   "amount", "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(
		    call, "expected [subaccountAssetTransfer, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_subaccount_asset_transfer *m =
	    &tx.u.subaccount_asset_transfer.msg;
	tx.type = CL_TX_SUBACCOUNT_ASSET_TRANSFER;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !get_u32(&m->from, json_object_get(j, "from")) ||
	    !get_u32(&m->to, json_object_get(j, "to")) ||
	    !get_u32(&m->asset, json_object_get(j, "asset")) ||
	    !cl_json_u64(&m->amount, json_object_get(j, "amount")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "subaccountAssetTransfer must be "
					    "{trader, from, to, asset, amount, "
					    "nonce} (from, to and asset "
					    "0..4294967295, amounts as "
					    "decimal strings)");
	if (!api_get_sig(&tx.u.subaccount_asset_transfer.sig,
			 json_array_get(params, 1)))
		return api_bad_params(call,
				      "signature: expected 0x + 65 bytes");
	struct cl_address fa, ta;
	cl_stf_subaccount_account(&fa, &m->trader, m->from);
	cl_stf_subaccount_account(&ta, &m->trader, m->to);
	json_t *echo = json_pack("{s:o,s:o}", "fromAccount", api_addr_json(&fa),
				 "toAccount", api_addr_json(&ta));
	return api_submit(call, app, &tx, echo);
}
