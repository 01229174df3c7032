/* SPDX-License-Identifier: MIT */
/*
 * The wallet and operator JSON-RPC methods (docs/api.md): the error
 * mapping, rpc.discover (docs/openrpc.json, built in) and the method
 * table; a method added to the table needs its description in
 * docs/openrpc.json (tests/unit/rpc/test_rpc_openrpc.c). Writes
 * (api_write.c) go to the sequencer and are answered when their block
 * is durable; reads (api_read.c) use a fresh snapshot of the last sealed
 * or derived block; api_json.c converts between JSON and our types.
 * api_int.h lists them.
 */
#include "api_int.h"

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
	case CL_SEQ_ERR_CENSORED:
		return CL_API_ERR_NOT_ALLOWED;
	case CL_SEQ_ERR_BAD_SIGNATURE:
		return CL_API_ERR_STF_BASE + CL_STF_ERR_BAD_SIGNATURE;
	}
	return CL_RPC_INTERNAL_ERROR;
}

struct cl_rpc_done api_error(struct cl_rpc_call *call, int code)
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

struct cl_rpc_done api_bad_params(struct cl_rpc_call *call,
				     const char *what)
{
	return cl_rpc_error(call, CL_RPC_INVALID_PARAMS, "invalid params: %s",
			    what);
}

/* ------------------------------------------------------------------ */
/* rpc.discover                                                        */
/* ------------------------------------------------------------------ */

/* docs/openrpc.json, embedded by the build (src/rpc/embed_json.py) */
extern const char cl_openrpc_doc[];
extern const size_t cl_openrpc_doc_len;

const char *cl_api_openrpc(size_t *len)
{
	*len = cl_openrpc_doc_len;
	return cl_openrpc_doc;
}

/* The OpenRPC document of every method here; parsed per call (a few
 * hundred microseconds) so no parsed tree is shared between threads. */
static struct cl_rpc_done m_discover(struct cl_rpc_call *call,
				     json_t *params, void *app)
{
	char err[160];
	json_t *doc = cl_json_load(cl_openrpc_doc, cl_openrpc_doc_len, err,
				   sizeof(err));
	(void)params;
	(void)app;
	if (!doc)
		return cl_rpc_error(call, CL_RPC_INTERNAL_ERROR,
				    "internal error: the built-in OpenRPC "
				    "document does not parse: %s", err);
	return cl_rpc_result(call, doc);
}

static const struct cl_rpc_method methods[] = {
	{"rpc.discover", m_discover, 0},
	{"l2_getConfig", m_get_config, 0},
	{"l2_submitOrder", m_submit_order, 0},
	{"l2_cancelOrder", m_cancel_order, 0},
	{"l2_withdraw", m_withdraw, 0},
	{"l2_approveAgent", m_approve_agent, 0},
	{"l2_submitOraclePrice", m_submit_oracle, 0},
	{"l2_submitOracleUpdate", m_submit_oracle_update, 0},
	{"l2_submitOracleSurface", m_submit_oracle_surface, 0},
	{"l2_getAccount", m_get_account, 0},
	{"l2_getOrder", m_get_order, 0},
	{"l2_getForcedRequest", m_get_forced, 0},
	{"l2_getOrderBook", m_get_order_book, 0},
	{"l2_getMarkets", m_get_markets, 0},
	{"l2_getWithdrawalProof", m_withdrawal_proof, 0},
	{"l2_getAccountProof", m_account_proof, 0},
	{"l2_syncStatus", m_sync_status, 0},
	{"l2_getStateRoot", m_get_state_root, 0},
	{"l2_getInsuranceFund", m_get_insurance, 0},
	{"l2_getRiskEvents", m_get_risk_events, 0},
	{"l2_scheduleCancel", m_schedule_cancel, 0},
	{"l2_getOrderByCloid", m_get_order_by_cloid, 0},
	{"l2_submitTriggerOrder", m_submit_trigger_order, 0},
	{"l2_getTriggerOrder", m_get_trigger_order, 0},
	{"l2_submitScaleOrder", m_submit_scale_order, 0},
	{"l2_submitTwapOrder", m_submit_twap_order, 0},
	{"l2_getTwapOrder", m_get_twap_order, 0},
	{"l2_setMarginMode", m_set_margin_mode, 0},
	{"l2_moveIsolatedMargin", m_move_isolated_margin, 0},
	{"l2_transferSubaccount", m_transfer_subaccount, 0},
	{"l2_withdrawAsset", m_withdraw_asset, 0},
	{"l2_transferSubaccountAsset", m_transfer_subaccount_asset, 0},
	{"l2_setPortfolioMode", m_set_portfolio_mode, 0},
	{"l2_listOption", m_list_option, 0},
	{"op_credit", m_op_credit, CL_RPC_OPERATOR},
	{"op_rpcStats", m_op_rpc_stats, CL_RPC_OPERATOR},
};

const struct cl_rpc_method *cl_api_methods(size_t *n)
{
	*n = CL_ARRAY_LEN(methods);
	return methods;
}
