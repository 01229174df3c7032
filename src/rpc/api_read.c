/* SPDX-License-Identifier: MIT */
/* The read methods: every mode answers them through its read interface
 * (struct cl_chain_reader) from a snapshot of the last sealed or derived
 * block (docs/api.md). */
#include "api_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reads                                                               */
/* ------------------------------------------------------------------ */

static int open_view(struct cl_api *api, struct cl_stf_view *v)
{
	return cl_chain_view(&api->reader, v);
}

/* The market `id` as the view sees it: a genesis market, or an option
 * listed after genesis (the view's genesis has those appended). */
static const struct cl_market_params *market_by_id(const struct cl_stf_view *v,
						   uint32_t id)
{
	return cl_genesis_market(v->genesis, id);
}

static json_t *market_params_json_base(const struct cl_api *api,
				       const struct cl_market_params *m);

static const char *market_kind_str(const struct cl_market_params *m)
{
	switch ((enum cl_market_kind)m->kind) {
	case CL_MARKET_PERP:
		return "perp";
	case CL_MARKET_CALL:
		return "call";
	case CL_MARKET_PUT:
		return "put";
	}
	return "unknown";
}

/* An option market's terms (null for a perpetual). */
static json_t *option_terms_json(const struct cl_market_params *m)
{
	if (!cl_market_is_option(m))
		return json_null();
	return json_pack("{s:s,s:i,s:o,s:o}", "kind", market_kind_str(m),
			 "underlying", (int)m->underlying, "strike",
			 cl_json_from_u64(m->strike), "expiry",
			 cl_json_from_u64(m->expiry));
}

static json_t *greeks_json(const struct cl_stf_leg_greeks *g)
{
	return json_pack("{s:i,s:b,s:o,s:o,s:o,s:o}", "underlying",
			 (int)g->underlying, "fresh", g->fresh, "deltaMicro",
			 cl_json_from_i64(g->delta_micro), "gammaWad",
			 cl_json_from_i64(g->gamma_wad), "vegaMicro",
			 cl_json_from_i64(g->vega_micro), "thetaMicro",
			 cl_json_from_i64(g->theta_micro));
}

static json_t *market_params_json(const struct cl_api *api,
				  const struct cl_market_params *m)
{
	json_t *o = market_params_json_base(api, m);

	json_object_set_new(o, "kind", json_string(market_kind_str(m)));
	json_object_set_new(o, "option", option_terms_json(m));
	json_object_set_new(o, "listed", json_boolean(m->listed));
	return o;
}

static json_t *market_params_json_base(const struct cl_api *api,
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

struct cl_rpc_done m_get_config(struct cl_rpc_call *call,
				       json_t *params, void *app)
{
	struct cl_api *api = app;
	const struct cl_genesis *g = api->genesis;
	json_t *markets = json_array();
	struct cl_stf_view v;
	int rc = open_view(api, &v);

	if (rc) {
		json_decref(markets);
		return api_error(call, rc);
	}
	/* the genesis markets, then the options listed after it */
	for (uint32_t i = 0; i < v.genesis->n_markets; i++) {
		const struct cl_market_params *m = &v.genesis->markets[i];
		json_array_append_new(markets, market_params_json(api, m));
	}
	cl_chain_view_release(&v);
	json_t *res = json_object();
	json_object_set_new(res, "l1ChainId", json_integer((json_int_t)g->l1_chain_id));
	json_object_set_new(res, "rollup", api_addr_json(&g->rollup));
	json_object_set_new(res, "collateralToken",
			    api->has_token ? api_addr_json(&api->collateral_token)
					   : json_null());
	json_object_set_new(res, "collateralDecimals",
			    json_integer(g->collateral_decimals));
	json_object_set_new(
		res, "domain",
		json_pack("{s:s,s:s,s:I,s:o}", "name", "Clearline", "version",
			  "1", "chainId", (json_int_t)g->l1_chain_id,
			  "verifyingContract", api_addr_json(&g->rollup)));
	json_object_set_new(res, "markets", markets);
	json_t *assets = json_array();
	for (uint32_t i = 0; i < g->n_assets; i++) {
		const struct cl_asset_params *a = &g->assets[i];
		json_array_append_new(
		    assets,
		    json_pack("{s:I,s:s,s:o,s:i,s:I,s:I}", "id",
			      (json_int_t)a->id, "symbol", a->symbol, "token",
			      api_addr_json(&a->token), "decimals",
			      (int)a->decimals, "oracleMarket",
			      (json_int_t)a->oracle_market, "hedgeMarket",
			      (json_int_t)a->hedge_market));
	}
	json_object_set_new(res, "assets", assets);
	json_object_set_new(res, "expiryHorizonSeconds",
			    cl_json_from_u64(g->expiry_horizon));
	json_t *signers = json_array();
	for (uint32_t i = 0; i < g->n_oracle_signers; i++)
		json_array_append_new(signers, api_addr_json(&g->oracle_signers[i]));
	json_object_set_new(res, "oracle",
			    json_pack("{s:o,s:i,s:o}", "signers", signers,
				      "quorum", (int)g->oracle_quorum,
				      "maxAgeSeconds",
				      cl_json_from_u64(g->oracle_max_age)));
	const struct cl_api_write_limits *wl = &api->limits;
	json_object_set_new(
		res, "rateLimits",
		json_pack("{s:{s:I,s:I},s:{s:I,s:I}}", "account", "perSecond",
			  (json_int_t)wl->account.per_s, "burst",
			  (json_int_t)(wl->account.burst ? wl->account.burst
							 : 1),
			  "connection", "perSecond",
			  (json_int_t)wl->connection.per_s, "burst",
			  (json_int_t)(wl->connection.burst
					   ? wl->connection.burst
					   : 1)));
	return cl_rpc_result(call, res);
	(void)params;
}

struct cl_rpc_done m_get_account(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_stf_view v;
	struct cl_account acct;
	int rc;

	if (!api_nparams(params, 1) || !api_get_address(&addr, json_array_get(params, 0)))
		return api_bad_params(call, "expected [address]");
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
	/* the Greeks (docs/options.md "Greeks in the stf") */
	struct cl_stf_account_greeks *gk = cl_xcalloc(1, sizeof(*gk));
	rc = cl_stf_get_account_greeks(&v, gk, &addr);
	if (rc) {
		free(gk);
		free(risk);
		cl_chain_view_release(&v);
		return api_error(call, rc);
	}

	json_t *jpos = json_array();
	for (size_t i = 0; i < risk->n; i++) {
		const struct cl_stf_position_risk *p = &risk->pos[i];
		const struct cl_market_params *m = market_by_id(&v, p->market);
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
		json_object_set_new(jp, "option", option_terms_json(m));
		for (size_t k = 0; k < gk->n; k++)
			if (gk->leg[k].market == p->market)
				json_object_set_new(jp, "greeks",
						    greeks_json(&gk->leg[k]));
		json_array_append_new(jpos, jp);
	}
	free(risk);
	json_t *jgreeks = json_array();
	for (size_t k = 0; k < gk->n_u; k++)
		json_array_append_new(jgreeks, greeks_json(&gk->total[k]));
	free(gk);

	/* collateral assets (docs/margin.md "Collateral assets") */
	struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
	size_t n_ab = 0;
	int64_t asset_total = 0;
	json_t *jassets = json_array();
	rc = cl_stf_get_collateral(&v, ab, &n_ab, &asset_total, &addr);
	for (size_t i = 0; rc == CL_OK && i < n_ab; i++) {
		const struct cl_asset_params *ap =
			cl_genesis_asset(v.genesis, ab[i].asset);
		json_t *ja = json_object();
		json_object_set_new(ja, "asset", json_integer(ab[i].asset));
		json_object_set_new(ja, "symbol",
				    json_string(ap ? ap->symbol : ""));
		json_object_set_new(ja, "balance",
				    cl_json_from_i64(ab[i].balance));
		json_object_set_new(ja, "indexPrice",
				    cl_json_from_u64(ab[i].index));
		json_object_set_new(ja, "grossValue",
				    cl_json_from_i64(ab[i].gross));
		json_object_set_new(ja, "haircutValue",
				    cl_json_from_i64(ab[i].value));
		json_object_set_new(ja, "haircutExtraPpm",
				    json_integer(ab[i].extra_ppm));
		json_object_set_new(ja, "bookDepth",
				    cl_json_from_i64(ab[i].depth));
		/* the L2 decimals of `balance` */
		json_object_set_new(ja, "decimals",
				    json_integer(ap ? ap->decimals : 0));
		json_array_append_new(jassets, ja);
	}
	if (rc) {
		json_decref(jpos);
		json_decref(jgreeks);
		json_decref(jassets);
		cl_chain_view_release(&v);
		return api_error(call, rc);
	}

	json_t *orders = json_array();
	struct cl_hash32 hashes[CL_API_MAX_OPEN_ORDERS];
	size_t n_orders = 0;
	rc = cl_stf_get_open_orders(&v, hashes, CL_API_MAX_OPEN_ORDERS,
				    &n_orders, &addr);
	for (size_t i = 0; rc == CL_OK && i < n_orders; i++) {
		struct cl_order_record r;
		if (cl_stf_get_order(&v, &r, &hashes[i]) != CL_OK)
			continue;
		json_t *cloid = api_cloid_json(&r.cloid);
		json_t *jo =
			json_pack("{s:o,s:i,s:s,s:o,s:o,s:o,s:o,s:i}",
				  "orderHash", api_hash_json(&hashes[i]), "market",
				  (int)r.market, "side",
				  r.is_buy ? "buy" : "sell", "price",
				  cl_json_from_u64(r.price), "size",
				  cl_json_from_u64(r.size), "filledSize",
				  cl_json_from_u64(r.filled), "expiry",
				  cl_json_from_u64(r.expiry), "flags",
				  (int)r.flags);
		if (cloid)
			json_object_set_new(jo, "cloid", cloid);
		json_array_append_new(orders, jo);
	}
	/* pending trigger orders (docs/protocol.md "TRIGGER_ORDER") */
	json_t *triggers = json_array();
	struct cl_hash32 th[CL_API_MAX_OPEN_ORDERS];
	size_t n_trig = 0;
	if (rc == CL_OK)
		rc = cl_stf_get_pending_triggers(&v, th, CL_API_MAX_OPEN_ORDERS,
						 &n_trig, &addr);
	for (size_t i = 0; rc == CL_OK && i < n_trig; i++) {
		struct cl_trigger_record tr;
		if (cl_stf_get_trigger(&v, &tr, &th[i]) == CL_OK)
			json_array_append_new(triggers,
					      api_trigger_json(&th[i], &tr));
	}
	/* running TWAP orders (docs/protocol.md "TWAP_ORDER") */
	json_t *twaps = json_array();
	size_t n_twap = 0;
	if (rc == CL_OK)
		rc = cl_stf_get_running_twaps(&v, th, CL_API_MAX_OPEN_ORDERS,
					      &n_twap, &addr);
	for (size_t i = 0; rc == CL_OK && i < n_twap; i++) {
		struct cl_twap_record tw;
		if (cl_stf_get_twap(&v, &tw, &th[i]) == CL_OK)
			json_array_append_new(twaps,
					      api_twap_json(&th[i], &tw));
	}
	/* isolated positions (docs/margin.md "Isolated margin") */
	json_t *isolated = NULL, *subaccounts = NULL, *portfolio = NULL;
	if (rc == CL_OK)
		rc = api_isolated_json(&isolated, &v, &addr);
	/* subaccounts (docs/margin.md "Subaccounts") */
	if (rc == CL_OK)
		rc = api_subaccounts_json(&subaccounts, &v, &addr);
	/* portfolio margin (docs/margin.md "Portfolio margin") */
	if (rc == CL_OK)
		rc = api_portfolio_json(&portfolio, &v, &addr);
	/* the dead-man switch (docs/protocol.md "SCHEDULE_CANCEL") */
	uint64_t sc_time = 0, sc_nonce = 0;
	if (rc == CL_OK) {
		rc = cl_stf_get_scheduled_cancel(&v, &sc_time, &sc_nonce,
						 &addr);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	cl_chain_view_release(&v);
	if (rc && rc != CL_ERR_NOT_FOUND) {
		json_decref(jpos);
		json_decref(jgreeks);
		json_decref(jassets);
		json_decref(orders);
		json_decref(triggers);
		json_decref(twaps);
		json_decref(isolated);
		json_decref(subaccounts);
		json_decref(portfolio);
		return api_error(call, rc);
	}

	/* open orders reserve initial margin (docs/margin.md "Open
	 * orders"): what is free is what neither positions nor orders use */
	int64_t need = h.order_im > h.im ? h.order_im : h.im;
	int64_t free_coll = h.equity - need;
	json_t *res = json_object();
	json_object_set_new(res, "address", api_addr_json(&addr));
	json_object_set_new(res, "collateral", cl_json_from_i64(acct.collateral));
	json_object_set_new(res, "equity", cl_json_from_i64(h.equity));
	json_object_set_new(res, "unrealizedPnl", cl_json_from_i64(h.upnl));
	json_object_set_new(res, "initialMargin", cl_json_from_i64(h.im));
	json_object_set_new(res, "maintenanceMargin", cl_json_from_i64(h.mm));
	json_object_set_new(res, "orderInitialMargin", cl_json_from_i64(need));
	json_object_set_new(res, "reservedByOrders",
			    cl_json_from_i64(need - h.im));
	json_object_set_new(res, "freeCollateral",
			    cl_json_from_i64(free_coll > 0 ? free_coll : 0));
	json_object_set_new(res, "withdrawable",
			    cl_json_from_i64(margin_withdrawable(&h)));
	json_object_set_new(res, "nonce", cl_json_from_u64(acct.nonce));
	json_object_set_new(res, "marginRatioPpm",
			    h.equity > 0 ? cl_json_from_i64(h.mm * 1000000 / h.equity)
					 : json_null());
	json_object_set_new(res, "liquidatable", json_boolean(h.equity < h.mm));
	json_object_set_new(res, "assetValue",
			    cl_json_from_i64(h.asset_value));
	json_object_set_new(res, "collateralAssets", jassets);
	json_object_set_new(res, "positions", jpos);
	json_object_set_new(res, "greeks", jgreeks);
	json_object_set_new(res, "openOrders", orders);
	json_object_set_new(res, "triggerOrders", triggers);
	json_object_set_new(res, "twapOrders", twaps);
	json_object_set_new(res, "isolated", isolated);
	json_object_set_new(res, "subaccounts", subaccounts);
	json_object_set_new(res, "portfolio", portfolio);
	json_object_set_new(res, "scheduledCancel",
			    json_pack("{s:o,s:o}", "time",
				      cl_json_from_u64(sc_time), "nonce",
				      cl_json_from_u64(sc_nonce)));
	return cl_rpc_result(call, res);
}

struct cl_rpc_done m_get_order(struct cl_rpc_call *call,
				      json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_hash32 h;
	struct cl_stf_view v;
	struct cl_order_record r;

	if (!api_nparams(params, 1) ||
	    !cl_json_bytes(h.b, 32, json_array_get(params, 0)))
		return api_bad_params(call, "expected [orderHash]");
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_order(&v, &r, &h);
	if (rc == CL_ERR_NOT_FOUND) {
		struct cl_rpc_done d = api_unknown_record(call, &v, "order");
		cl_chain_view_release(&v);
		return d;
	}
	cl_chain_view_release(&v);
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, api_order_json(&h, &r));
}

json_t *api_order_json(const struct cl_hash32 *h,
		       const struct cl_order_record *r)
{
	json_t *res = json_object();
	json_t *cloid = api_cloid_json(&r->cloid);

	json_object_set_new(res, "orderHash", api_hash_json(h));
	json_object_set_new(
		res, "order",
		json_pack("{s:o,s:i,s:b,s:o,s:o,s:o,s:i}", "trader",
			  api_addr_json(&r->trader), "market", (int)r->market,
			  "isBuy", r->is_buy, "price", cl_json_from_u64(r->price),
			  "size", cl_json_from_u64(r->size), "expiry",
			  cl_json_from_u64(r->expiry), "flags", (int)r->flags));
	json_object_set_new(res, "status", json_string(api_status_str(r->status)));
	json_object_set_new(res, "filledSize", cl_json_from_u64(r->filled));
	json_object_set_new(res, "sequence", cl_json_from_u64(r->sequence));
	if (cloid)
		json_object_set_new(res, "cloid", cloid);
	return res;
}

/* What forced request `id` did (docs/protocol.md "FORCED"). */
struct cl_rpc_done m_get_forced(struct cl_rpc_call *call, json_t *params,
				void *app)
{
	struct cl_api *api = app;
	struct cl_stf_view v;
	struct cl_forced_record r;
	uint64_t id;

	if (!api_nparams(params, 1) ||
	    !cl_json_u64(&id, json_array_get(params, 0)))
		return api_bad_params(call, "expected [forcedRequestId]");
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_forced(&v, &r, id);
	cl_chain_view_release(&v);
	if (rc == CL_ERR_NOT_FOUND)
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_FORCED,
				    "forced request %llu is not applied "
				    "(yet)",
				    (unsigned long long)id);
	if (rc)
		return api_error(call, rc);
	json_t *res = json_object();
	json_object_set_new(res, "id", cl_json_from_u64(id));
	json_object_set_new(res, "account", api_addr_json(&r.account));
	json_object_set_new(res, "kind",
			    json_string(cl_forced_kind_str(r.kind)));
	json_object_set_new(res, "outcome",
			    json_string(cl_forced_outcome_str(r.outcome)));
	json_object_set_new(res, "value", cl_json_from_u64(r.value));
	return cl_rpc_result(call, res);
}

struct cl_rpc_done m_get_order_book(struct cl_rpc_call *call,
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
		return api_bad_params(call, "expected [market, depth <= 500]");
	struct cl_stf_view v;
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	bool known = market_by_id(&v, (uint32_t)market) != NULL;
	cl_chain_view_release(&v);
	if (!known)
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

struct cl_rpc_done m_get_markets(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_stf_view v;
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	json_t *arr = json_array();
	for (uint32_t i = 0; i < v.genesis->n_markets; i++) {
		const struct cl_market_params *m = &v.genesis->markets[i];
		struct cl_market_state ms;
		rc = cl_stf_get_market(&v, &ms, m->id);
		if (rc)
			break;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(m->id));
		json_object_set_new(o, "symbol", json_string(m->symbol));
		json_object_set_new(o, "listed", json_boolean(m->listed));
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
		if (cl_market_is_option(m)) {
			/* the mark's inputs (docs/options.md) */
			struct cl_stf_option_quote q;
			rc = cl_stf_get_option_quote(&v, &q, m->id);
			if (rc) {
				json_decref(o);
				break;
			}
			json_t *jo = option_terms_json(m);
			json_object_set_new(jo, "fresh", json_boolean(q.fresh));
			json_object_set_new(jo, "indexPrice",
					    cl_json_from_u64(q.index));
			json_object_set_new(jo, "secondsToExpiry",
					    json_integer(q.tau_s));
			json_object_set_new(jo, "totalVarianceWad",
					    cl_json_from_i64(q.w_wad));
			json_object_set_new(jo, "impliedVolatilityPpm",
					    cl_json_from_u64(q.iv_ppm));
			json_object_set_new(jo, "deltaPpb",
					    cl_json_from_i64(q.delta_ppb));
			json_object_set_new(jo, "gammaWad",
					    cl_json_from_i64(q.gamma_wad));
			json_object_set_new(jo, "vegaMicro",
					    cl_json_from_i64(q.vega_micro));
			json_object_set_new(jo, "thetaMicro",
					    cl_json_from_i64(q.theta_micro));
			json_object_set_new(jo, "settlementPrice",
					    cl_json_from_u64(q.settle_price));
			json_object_set_new(o, "option", jo);
		}
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
							? api_hash_json(&f->expected)
							: json_null());
	json_object_set_new(jf, "postedRoot", f->has_roots
						      ? api_hash_json(&f->posted)
						      : json_null());
	json_object_set_new(jf, "reason", json_string(f->reason));
	json_object_set_new(jf, "challenge",
			    json_string(f->challenged ? "confirmed"
					: f->challenge_failed ? "not sent"
							      : "pending"));
	return jf;
}

static const char *side_str(unsigned side)
{
	return side == CL_L1_SIDE_DEFENDER	  ? "defender"
	       : side == CL_L1_SIDE_CHALLENGER ? "challenger"
					       : "none";
}

/* The dispute games a node plays (docs/api.md "l2_syncStatus"). */
static json_t *games_json(const struct cl_chain_sync *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->n_games; i++) {
		const struct cl_chain_game *g = &s->games[i];
		json_t *j = json_object();
		json_object_set_new(j, "id", cl_json_from_u64(g->id));
		json_object_set_new(j, "batch", cl_json_from_u64(g->batch));
		json_object_set_new(j, "k", json_integer(g->k));
		json_object_set_new(j, "role", json_string(side_str(g->role)));
		json_object_set_new(j, "phase",
				    json_string(cl_l1_game_phase_str(g->phase)));
		json_object_set_new(j, "turn", json_string(side_str(g->turn)));
		json_object_set_new(j, "lo", cl_json_from_u64(g->lo));
		json_object_set_new(j, "hi", cl_json_from_u64(g->hi));
		json_object_set_new(j, "defenderClockS",
				    cl_json_from_u64(g->defender_clock));
		json_object_set_new(j, "challengerClockS",
				    cl_json_from_u64(g->challenger_clock));
		json_object_set_new(j, "winner",
				    g->phase == CL_L1_PHASE_OVER
					? json_string(side_str(g->winner))
					: json_null());
		json_object_set_new(j, "resolved", json_boolean(g->resolved));
		json_object_set_new(j, "transactions",
				    cl_json_from_u64(g->actions));
		json_object_set_new(j, "nextMove", json_string(g->next));
		json_object_set_new(j, "lastMove", json_string(g->last));
		json_array_append_new(a, j);
	}
	return a;
}

/* l2_syncStatus (docs/api.md, docs/verifier.md): the head, then each
 * group of fields the node knows. */
struct cl_rpc_done m_sync_status(struct cl_rpc_call *call,
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
	json_object_set_new(res, "headStateRoot", api_hash_json(&s.head_root));
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
		json_object_set_new(res, "forcedApplied",
				    cl_json_from_u64(s.forced_applied));
		json_object_set_new(res, "assetDepositsCredited",
				    cl_json_from_u64(
					s.asset_deposits_credited));
		json_object_set_new(res, "l1Posting", json_boolean(s.posting));
		json_object_set_new(res, "l1PostError",
				    s.post_error[0] ? json_string(s.post_error)
						    : json_null());
		json_object_set_new(res, "l1PostFailures",
				    cl_json_from_u64(s.post_failures));
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
	if (s.has_games)
		json_object_set_new(res, "games", games_json(&s));
	if (s.has_queue)
		json_object_set_new(res, "queued", cl_json_from_u64(s.queued));
	return cl_rpc_result(call, res);
	(void)params;
}

struct cl_rpc_done m_get_state_root(struct cl_rpc_call *call,
					   json_t *params, void *app)
{
	struct cl_api *api = app;
	uint64_t n;
	struct cl_hash32 root;

	if (!api_nparams(params, 1) || !cl_json_uint(&n, json_array_get(params, 0),
						 UINT64_MAX))
		return api_bad_params(call, "expected [blockNumber]");
	int rc = cl_chain_block_root(&api->reader, &root, n);
	if (rc == CL_ERR_NOT_FOUND)
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_BLOCK,
				    "unknown block %llu", (unsigned long long)n);
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, json_pack("{s:o,s:o}", "block",
					     cl_json_from_u64(n), "stateRoot",
					     api_hash_json(&root)));
}

struct cl_rpc_done m_withdrawal_proof(struct cl_rpc_call *call,
					     json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_stf_withdrawal leaf;
	struct cl_stf_view v;
	uint64_t id;

	if (!api_nparams(params, 1) ||
	    !cl_json_uint(&id, json_array_get(params, 0), UINT64_MAX))
		return api_bad_params(call, "expected [withdrawalId]");
	int rc = open_view(api, &v);
	if (rc)
		return api_error(call, rc);
	struct cl_chain_withdrawal w;
	rc = cl_stf_get_withdrawal_leaf(&v, &leaf, id);
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
	json_object_set_new(res, "recipient", api_addr_json(&leaf.recipient));
	json_object_set_new(res, "amount", cl_json_from_u64(leaf.amount));
	/* 0: the settlement asset; else a collateral asset, claimed from
	 * ClearlineAssets (docs/l1.md "Collateral assets") */
	json_object_set_new(res, "asset", json_integer(leaf.asset));

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
					      api_hash_json(&w.proof->siblings[i]));
		json_object_set_new(res, "proof", sib);
	}
	/* the claim carries the batch's record, read from L1 */
	struct cl_l1_batch_event brec;
	if (w.status == CL_WITHDRAWAL_FINAL &&
	    api->reader.ops->batch_record(api->reader.impl, &brec, w.batch) ==
		    CL_OK) {
		struct cl_buf data;
		struct cl_address to = *w.rollup;
		cl_buf_init(&data);
		if (leaf.asset == 0) {
			cl_l1_abi_claim_withdrawal(&data, &brec, id,
						   &leaf.recipient, leaf.amount,
						   w.proof->siblings,
						   w.proof->depth);
		} else {
			/* claimed from the assets contract */
			cl_l1_assets_address(&to, w.rollup);
			cl_l1_abi_claim_asset_withdrawal(
			    &data, &brec, id, &leaf.recipient, leaf.asset,
			    leaf.amount, w.proof->siblings, w.proof->depth);
		}
		json_object_set_new(
			res, "tx",
			json_pack("{s:o,s:o}", "to", api_addr_json(&to),
				  "data", cl_json_from_bytes(data.p, data.len)));
		cl_buf_release(&data);
	} else {
		json_object_set_new(res, "tx", json_null());
	}
	cl_chain_withdrawal_release(&w);
	return cl_rpc_result(call, res);
}

struct cl_rpc_done m_get_insurance(struct cl_rpc_call *call,
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

json_t *cl_api_risk_event_json(const struct cl_stf_event *e)
{
	return json_pack("{s:o,s:o,s:s,s:i,s:o,s:o,s:o,s:o,s:o}", "seq",
			 cl_json_from_u64(e->seq), "block",
			 cl_json_from_u64(e->block), "kind",
			 event_kind_str(e->kind), "market", (int)e->market,
			 "size", cl_json_from_i64(e->size), "flow",
			 cl_json_from_i64(e->flow), "equityShare",
			 cl_json_from_i64(e->equity_share), "fee",
			 cl_json_from_i64(e->fee), "counterparty",
			 api_addr_json(&e->other));
}

struct cl_rpc_done m_get_risk_events(struct cl_rpc_call *call,
					    json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_stf_view v;
	uint64_t from = 0;
	size_t n = 0;

	if (!json_is_array(params) || json_array_size(params) < 1 ||
	    json_array_size(params) > 2 ||
	    !api_get_address(&addr, json_array_get(params, 0)) ||
	    (json_array_size(params) == 2 &&
	     !cl_json_uint(&from, json_array_get(params, 1), UINT64_MAX)))
		return api_bad_params(call, "expected [address, fromSeq]");
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
		json_array_append_new(arr, cl_api_risk_event_json(&ev[i]));
	free(ev);
	return cl_rpc_result(call, arr);
}

/* op_rpcStats (docs/api.md, docs/operations.md): what the JSON-RPC
 * server's limits did since it started. */
struct cl_rpc_done m_op_rpc_stats(struct cl_rpc_call *call, json_t *params,
				  void *app)
{
	struct cl_rpc_stats st;

	(void)app;
	if (!api_nparams(params, 0))
		return api_bad_params(call, "expected []");
	if (!cl_rpc_call_stats(call, &st))
		return cl_rpc_error(call, CL_RPC_INTERNAL_ERROR,
				    "no JSON-RPC server");
	json_t *res = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}",
		"open", (json_int_t)st.open, "maxConns",
		(json_int_t)st.max_conns, "refused",
		(json_int_t)st.refused, "atConnLimit", (json_int_t)st.at_limit,
		"noDescriptor", (json_int_t)st.no_fd, "tooLarge",
		(json_int_t)st.too_large, "bodyCut", (json_int_t)st.body_cut,
		"badEncoding", (json_int_t)st.bad_encoding, "rateLimited",
		(json_int_t)st.rate_limited, "closed", "idle",
		(json_int_t)st.cut_idle, "headers", (json_int_t)st.cut_headers,
		"body", (json_int_t)st.cut_body, "send",
		(json_int_t)st.cut_send);
	return cl_rpc_result(call, res);
}
