/* SPDX-License-Identifier: MIT */
/*
 * The order-kind methods (docs/protocol.md "Order kinds", docs/api.md):
 * l2_scheduleCancel arms, renews or disarms the dead-man switch;
 * l2_getOrderByCloid finds an open order by its client order id.
 * l2_submitOrder takes the client order id itself (api_write.c).
 */
#include "api_int.h"

#include <string.h>

/* l2_scheduleCancel [{trader, time, nonce}, signature] */
struct cl_rpc_done m_schedule_cancel(struct cl_rpc_call *call,
				     json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "time", "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call,
				      "expected [scheduleCancel, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_schedule_cancel *m = &tx.u.schedule_cancel.msg;
	tx.type = CL_TX_SCHEDULE_CANCEL;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !cl_json_u64(&m->time, json_object_get(j, "time")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "scheduleCancel must be {trader, "
				      "time, nonce} (decimal strings)");
	if (!api_get_sig(&tx.u.schedule_cancel.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	json_t *echo = json_pack("{s:o,s:o}", "time", cl_json_from_u64(m->time),
				 "nonce", cl_json_from_u64(m->nonce));
	return api_submit(call, app, &tx, echo);
}

/* l2_getOrderByCloid [trader, cloid]: the open order with that id */
struct cl_rpc_done m_get_order_by_cloid(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_address trader;
	struct cl_cloid cloid;
	struct cl_order_record r;
	struct cl_stf_view v;
	struct cl_hash32 h;

	if (!api_nparams(params, 2) ||
	    !api_get_address(&trader, json_array_get(params, 0)) ||
	    !api_get_cloid(&cloid, json_array_get(params, 1)))
		return api_bad_params(call, "expected [trader, cloid] (cloid: "
				      "0x + 16 bytes, not zero)");
	int rc = cl_chain_view(&api->reader, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_order_by_cloid(&v, &h, &trader, &cloid);
	if (rc == CL_OK)
		rc = cl_stf_get_order(&v, &r, &h);
	cl_chain_view_release(&v);
	if (rc == CL_ERR_NOT_FOUND)
		return cl_rpc_error(call,
				    CL_API_ERR_STF_BASE +
					    CL_STF_ERR_UNKNOWN_ORDER,
				    "unknown order: no open order with this "
				    "client order id");
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, api_order_json(&h, &r));
}
