/* SPDX-License-Identifier: MIT */
/*
 * Option markets listed after genesis over JSON-RPC (docs/api.md
 * "l2_listOption"): the lister's signed OptionList, checked here and
 * applied by the sequencer like every other request.
 */
#include "api_int.h"

#include <string.h>

struct cl_rpc_done m_list_option(struct cl_rpc_call *call, json_t *params,
				 void *app)
{
	static const char *const keys[] = {"template", "kind",   "strike",
					   "expiry",   "symbol", "nonce",
					   NULL};
	struct cl_tx tx;
	uint64_t tmpl;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [optionList, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_option_list *m = &tx.u.option_list.msg;
	tx.type = CL_TX_OPTION_LIST;
	const json_t *kind = json_object_get(j, "kind");
	const json_t *sym = json_object_get(j, "symbol");
	if (!api_exact_keys(j, keys) ||
	    !cl_json_uint(&tmpl, json_object_get(j, "template"),
			  UINT32_MAX) ||
	    !cl_json_u64(&m->strike, json_object_get(j, "strike")) ||
	    !cl_json_u64(&m->expiry, json_object_get(j, "expiry")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")) ||
	    !json_is_string(kind) || !json_is_string(sym))
		return api_bad_params(call,
				      "optionList must be {template, kind, "
				      "strike, expiry, symbol, nonce}");
	m->template_market = (uint32_t)tmpl;
	if (strcmp(json_string_value(kind), "call") == 0)
		m->kind = 1;
	else if (strcmp(json_string_value(kind), "put") == 0)
		m->kind = 2;
	else
		return api_bad_params(call,
				      "kind: expected \"call\" or \"put\"");
	size_t n = json_string_length(sym);
	if (n > CL_OPTION_LIST_SYMBOL_MAX ||
	    strlen(json_string_value(sym)) != n)
		return api_bad_params(call,
				      "symbol: at most 16 characters");
	memcpy(m->symbol, json_string_value(sym), n);
	if (!api_get_sig(&tx.u.option_list.sig, json_array_get(params, 1)))
		return api_bad_params(call,
				      "signature: expected 0x + 65 bytes");
	json_t *echo = json_pack("{s:s}", "symbol", m->symbol);
	return api_submit(call, app, &tx, echo);
}
