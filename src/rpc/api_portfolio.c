/* SPDX-License-Identifier: MIT */
/*
 * Portfolio margin over JSON-RPC (docs/api.md "l2_setPortfolioMode") and
 * the `portfolio` object l2_getAccount shows (docs/margin.md "Portfolio
 * margin"): the mode and the figures a verifier recomputes from the
 * committed state.
 */
#include "api_int.h"

#include <string.h>

struct cl_rpc_done m_set_portfolio_mode(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "enabled", "nonce", NULL};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call,
				      "expected [portfolioMode, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_portfolio_mode *m = &tx.u.portfolio_mode.msg;
	tx.type = CL_TX_PORTFOLIO_MODE;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !cl_json_bool(&m->enabled, json_object_get(j, "enabled")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")))
		return api_bad_params(call, "portfolioMode must be {trader, "
					    "enabled, nonce}");
	if (!api_get_sig(&tx.u.portfolio_mode.sig, json_array_get(params, 1)))
		return api_bad_params(call,
				      "signature: expected 0x + 65 bytes");
	json_t *echo = json_pack("{s:b}", "enabled", m->enabled);
	return api_submit(call, app, &tx, echo);
}

int api_portfolio_json(json_t **out, const struct cl_stf_view *v,
		       const struct cl_address *addr)
{
	struct cl_pm_result r;
	bool on;
	int rc;

	*out = NULL;
	if (!v->genesis->portfolio.enabled) {
		*out = json_null();
		return CL_OK;
	}
	rc = cl_stf_get_portfolio_mode(v, &on, addr);
	if (rc == CL_OK)
		rc = cl_stf_get_portfolio(v, &r, addr);
	if (rc == CL_STF_ERR_OVERFLOW) {
		/* figures out of range (more underlyings than the mode
		 * takes): the mode alone */
		*out = json_pack("{s:b,s:n}", "enabled", on, "figures");
		return CL_OK;
	}
	if (rc != CL_OK)
		return rc;
	json_t *us = json_array();
	for (size_t i = 0; i < r.n; i++)
		json_array_append_new(
		    us, json_pack("{s:i,s:o,s:o,s:o,s:i}", "market",
				  (json_int_t)r.u[i].underlying, "worstLoss",
				  cl_json_from_i64(r.u[i].worst_loss), "floor",
				  cl_json_from_i64(r.u[i].floor),
				  "shortOptionMinimum",
				  cl_json_from_i64(r.u[i].short_min),
				  "worstScenario", (json_int_t)r.u[i].worst));
	*out = json_pack("{s:b,s:{s:o,s:o,s:o}}", "enabled", on, "figures",
			 "maintenanceMargin", cl_json_from_i64(r.mm),
			 "initialMargin", cl_json_from_i64(r.im), "underlyings",
			 us);
	return CL_OK;
}
