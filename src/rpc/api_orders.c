/* SPDX-License-Identifier: MIT */
/*
 * The order-kind methods (docs/protocol.md "Order kinds", docs/api.md):
 * l2_scheduleCancel arms, renews or disarms the dead-man switch;
 * l2_getOrderByCloid finds an open order by its client order id;
 * l2_submitTriggerOrder and l2_getTriggerOrder place and read trigger
 * orders (stops, take-profit, stop-loss); l2_submitScaleOrder places a
 * signed list of orders; l2_submitTwapOrder and l2_getTwapOrder place and
 * read TWAP orders.
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

struct cl_rpc_done api_unknown_record(struct cl_rpc_call *call,
				      const struct cl_stf_view *v,
				      const char *what)
{
	uint64_t before;
	int rc = cl_stf_pruned_before(v, &before);

	if (rc)
		return api_error(call, rc);
	return cl_rpc_error_data(
	    call, CL_API_ERR_STF_BASE + CL_STF_ERR_UNKNOWN_ORDER,
	    json_pack("{s:o}", "prunedBefore", cl_json_from_u64(before)),
	    "unknown order: no %s with this hash (never placed, or pruned: "
	    "records due before %llu are gone; an order or trigger is due "
	    "%u s after its expiry, a twap expiryHorizon after it stopped)",
	    what, (unsigned long long)before, (unsigned)CL_STF_PRUNE_GRACE_S);
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

json_t *api_trigger_json(const struct cl_hash32 *h,
			 const struct cl_trigger_record *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "triggerHash", api_hash_json(h));
	json_object_set_new(o, "trader", api_addr_json(&t->trader));
	json_object_set_new(o, "market", json_integer(t->market));
	json_object_set_new(o, "side", json_string(t->is_buy ? "buy" : "sell"));
	json_object_set_new(o, "triggerPrice", cl_json_from_u64(t->trigger_price));
	json_object_set_new(o, "triggerAbove", json_boolean(t->trigger_above));
	json_object_set_new(o, "price", cl_json_from_u64(t->price));
	json_object_set_new(o, "size", cl_json_from_u64(t->size));
	json_object_set_new(o, "expiry", cl_json_from_u64(t->expiry));
	json_object_set_new(o, "flags", json_integer(t->flags));
	json_object_set_new(o, "group", cl_json_from_u64(t->group));
	json_object_set_new(o, "positionBound", json_boolean(t->position_bound));
	json_object_set_new(o, "status",
			    json_string(cl_trigger_status_str(t->status)));
	json_object_set_new(o, "sequence", cl_json_from_u64(t->sequence));
	if (t->status == CL_TRIGGER_FIRED) {
		struct cl_hash32 oh;
		cl_stf_triggered_order_hash(&oh, h);
		json_object_set_new(o, "orderHash", api_hash_json(&oh));
	}
	return o;
}

/* The TriggerOrder message of params[0]: exactly its keys. */
static const char *parse_trigger(struct cl_trigger_order *m, const json_t *j)
{
	static const char *const keys[] = {
		"trader", "market", "isBuy", "triggerPrice", "triggerAbove",
		"price", "size", "nonce", "expiry", "flags", "group",
		"positionBound", NULL};
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (!api_exact_keys(j, keys))
		return "trigger order must have exactly trader, market, isBuy, "
		       "triggerPrice, triggerAbove, price, size, nonce, "
		       "expiry, flags, group, positionBound";
	if (!api_get_address(&m->trader, json_object_get(j, "trader")))
		return "trader: expected an address";
	if (!cl_json_uint(&v, json_object_get(j, "market"), UINT32_MAX))
		return "market: expected a uint32";
	m->market = (uint32_t)v;
	if (!cl_json_bool(&m->is_buy, json_object_get(j, "isBuy")) ||
	    !cl_json_bool(&m->trigger_above,
			  json_object_get(j, "triggerAbove")) ||
	    !cl_json_bool(&m->position_bound,
			  json_object_get(j, "positionBound")))
		return "isBuy, triggerAbove, positionBound: expected true or "
		       "false";
	if (!cl_json_u64(&m->trigger_price, json_object_get(j, "triggerPrice")) ||
	    !cl_json_u64(&m->price, json_object_get(j, "price")) ||
	    !cl_json_u64(&m->size, json_object_get(j, "size")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")) ||
	    !cl_json_u64(&m->expiry, json_object_get(j, "expiry")) ||
	    !cl_json_u64(&m->group, json_object_get(j, "group")))
		return "triggerPrice, price, size, nonce, expiry, group: "
		       "expected decimal strings";
	if (!cl_json_uint(&v, json_object_get(j, "flags"), 255))
		return "flags: expected a uint8";
	m->flags = (uint8_t)v;
	return NULL;
}

/* l2_submitTriggerOrder [triggerOrder, signature] */
struct cl_rpc_done m_submit_trigger_order(struct cl_rpc_call *call,
					  json_t *params, void *app)
{
	struct cl_tx tx;
	const char *why;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [triggerOrder, signature]");
	tx.type = CL_TX_TRIGGER_ORDER;
	why = parse_trigger(&tx.u.trigger.msg, json_array_get(params, 0));
	if (why)
		return api_bad_params(call, why);
	if (!api_get_sig(&tx.u.trigger.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	return api_submit(call, app, &tx, NULL);
}

/* l2_getTriggerOrder [triggerHash] */
struct cl_rpc_done m_get_trigger_order(struct cl_rpc_call *call,
				       json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_trigger_record t;
	struct cl_stf_view v;
	struct cl_hash32 h;

	if (!api_nparams(params, 1) ||
	    !cl_json_bytes(h.b, 32, json_array_get(params, 0)))
		return api_bad_params(call, "expected [triggerHash]");
	int rc = cl_chain_view(&api->reader, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_trigger(&v, &t, &h);
	if (rc == CL_ERR_NOT_FOUND) {
		struct cl_rpc_done d = api_unknown_record(call, &v, "trigger "
							 "order");
		cl_chain_view_release(&v);
		return d;
	}
	cl_chain_view_release(&v);
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, api_trigger_json(&h, &t));
}

/* l2_submitScaleOrder [{trader, market, isBuy, prices, sizes, nonce,
 * expiry, flags}, signature]; the answer names each leg's order hash */
struct cl_rpc_done m_submit_scale_order(struct cl_rpc_call *call,
					json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "market", "isBuy",
					   "prices", "sizes", "nonce",
					   "expiry", "flags", NULL};
	struct cl_api *api = app;
	struct cl_eip712_domain dom;
	struct cl_hash32 digest;
	struct cl_tx tx;
	uint64_t v;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [scaleOrder, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_scale_order *m = &tx.u.scale.msg;
	tx.type = CL_TX_SCALE_ORDER;
	const json_t *pr = json_object_get(j, "prices");
	const json_t *sz = json_object_get(j, "sizes");
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !cl_json_uint(&v, json_object_get(j, "market"), UINT32_MAX) ||
	    !cl_json_bool(&m->is_buy, json_object_get(j, "isBuy")) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")) ||
	    !cl_json_u64(&m->expiry, json_object_get(j, "expiry")))
		return api_bad_params(call, "scale order must be {trader, market, "
				      "isBuy, prices, sizes, nonce, expiry, "
				      "flags} (decimal strings)");
	m->market = (uint32_t)v;
	if (!cl_json_uint(&v, json_object_get(j, "flags"), 255))
		return api_bad_params(call, "flags: expected a uint8");
	m->flags = (uint8_t)v;
	if (!json_is_array(pr) || !json_is_array(sz) ||
	    json_array_size(pr) == 0 || json_array_size(pr) > CL_SCALE_MAX ||
	    json_array_size(sz) != json_array_size(pr))
		return api_bad_params(call, "prices, sizes: 1..16 decimal "
				      "strings each, as many sizes as prices");
	m->n = (uint32_t)json_array_size(pr);
	for (uint32_t i = 0; i < m->n; i++)
		if (!cl_json_u64(&m->price[i], json_array_get(pr, i)) ||
		    !cl_json_u64(&m->size[i], json_array_get(sz, i)))
			return api_bad_params(call, "prices, sizes: decimal "
					      "strings");
	if (!api_get_sig(&tx.u.scale.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	/* the legs' order hashes, for the answer */
	cl_eip712_domain_init(&dom, api->genesis->l1_chain_id,
			      &api->genesis->rollup);
	cl_scale_order_digest(&digest, &dom, m);
	json_t *legs = json_array();
	for (uint32_t i = 0; i < m->n; i++) {
		struct cl_hash32 h;
		cl_stf_scale_leg_hash(&h, &digest, i);
		json_array_append_new(legs, api_hash_json(&h));
	}
	return api_submit(call, app, &tx,
			  json_pack("{s:o}", "orderHashes", legs));
}

/* l2_submitTwapOrder [{trader, market, isBuy, size, interval, slices,
 * slippagePpm, nonce, reduceOnly}, signature] */
struct cl_rpc_done m_submit_twap_order(struct cl_rpc_call *call,
				       json_t *params, void *app)
{
	static const char *const keys[] = {"trader", "market", "isBuy",
					   "size", "interval", "slices",
					   "slippagePpm", "nonce",
					   "reduceOnly", NULL};
	struct cl_tx tx;
	uint64_t mk, sl, pp;

	memset(&tx, 0, sizeof(tx));
	if (!api_nparams(params, 2))
		return api_bad_params(call, "expected [twapOrder, signature]");
	const json_t *j = json_array_get(params, 0);
	struct cl_twap_order *m = &tx.u.twap.msg;
	tx.type = CL_TX_TWAP_ORDER;
	if (!api_exact_keys(j, keys) ||
	    !api_get_address(&m->trader, json_object_get(j, "trader")) ||
	    !cl_json_uint(&mk, json_object_get(j, "market"), UINT32_MAX) ||
	    !cl_json_bool(&m->is_buy, json_object_get(j, "isBuy")) ||
	    !cl_json_u64(&m->size, json_object_get(j, "size")) ||
	    !cl_json_u64(&m->interval, json_object_get(j, "interval")) ||
	    !cl_json_uint(&sl, json_object_get(j, "slices"), UINT32_MAX) ||
	    !cl_json_uint(&pp, json_object_get(j, "slippagePpm"),
			  UINT32_MAX) ||
	    !cl_json_u64(&m->nonce, json_object_get(j, "nonce")) ||
	    !cl_json_bool(&m->reduce_only, json_object_get(j, "reduceOnly")))
		return api_bad_params(call, "twap order must be {trader, market, "
				      "isBuy, size, interval, slices, "
				      "slippagePpm, nonce, reduceOnly}");
	m->market = (uint32_t)mk;
	m->slices = (uint32_t)sl;
	m->slippage_ppm = (uint32_t)pp;
	if (!api_get_sig(&tx.u.twap.sig, json_array_get(params, 1)))
		return api_bad_params(call, "signature: expected 0x + 65 bytes");
	return api_submit(call, app, &tx, NULL);
}

json_t *api_twap_json(const struct cl_hash32 *h,
		      const struct cl_twap_record *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "twapHash", api_hash_json(h));
	json_object_set_new(o, "trader", api_addr_json(&t->trader));
	json_object_set_new(o, "market", json_integer(t->market));
	json_object_set_new(o, "side", json_string(t->is_buy ? "buy" : "sell"));
	json_object_set_new(o, "reduceOnly", json_boolean(t->reduce_only));
	json_object_set_new(o, "size", cl_json_from_u64(t->size));
	json_object_set_new(o, "filledSize", cl_json_from_u64(t->filled));
	json_object_set_new(o, "interval", cl_json_from_u64(t->interval));
	json_object_set_new(o, "slices", json_integer(t->slices));
	json_object_set_new(o, "slicesDone", json_integer(t->done));
	json_object_set_new(o, "slippagePpm", json_integer(t->slippage_ppm));
	json_object_set_new(o, "nextSliceTime", cl_json_from_u64(t->next));
	json_object_set_new(o, "status",
			    json_string(cl_twap_status_str(t->status)));
	json_object_set_new(o, "sequence", cl_json_from_u64(t->sequence));
	return o;
}

/* l2_getTwapOrder [twapHash] */
struct cl_rpc_done m_get_twap_order(struct cl_rpc_call *call,
				    json_t *params, void *app)
{
	struct cl_api *api = app;
	struct cl_twap_record t;
	struct cl_stf_view v;
	struct cl_hash32 h;

	if (!api_nparams(params, 1) ||
	    !cl_json_bytes(h.b, 32, json_array_get(params, 0)))
		return api_bad_params(call, "expected [twapHash]");
	int rc = cl_chain_view(&api->reader, &v);
	if (rc)
		return api_error(call, rc);
	rc = cl_stf_get_twap(&v, &t, &h);
	if (rc == CL_ERR_NOT_FOUND) {
		struct cl_rpc_done d = api_unknown_record(call, &v, "twap "
							 "order");
		cl_chain_view_release(&v);
		return d;
	}
	cl_chain_view_release(&v);
	if (rc)
		return api_error(call, rc);
	return cl_rpc_result(call, api_twap_json(&h, &t));
}

json_t *cl_api_trigger_json(const struct cl_hash32 *h,
			    const struct cl_trigger_record *t)
{
	return api_trigger_json(h, t);
}

json_t *cl_api_twap_json(const struct cl_hash32 *h,
			 const struct cl_twap_record *t)
{
	return api_twap_json(h, t);
}
