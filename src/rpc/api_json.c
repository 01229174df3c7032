/* SPDX-License-Identifier: MIT */
/* JSON <-> our types for the methods: strict readers of parameters and
 * the writers of addresses, hashes, statuses and reasons. */
#include "api_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* JSON <-> our types                                                  */
/* ------------------------------------------------------------------ */

json_t *api_addr_json(const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(s, a);
	return json_string(s);
}

json_t *api_hash_json(const struct cl_hash32 *h)
{
	return cl_json_from_bytes(h->b, 32);
}

bool api_get_address(struct cl_address *out, const json_t *v)
{
	memset(out, 0, sizeof(*out));
	return json_is_string(v) &&
	       cl_address_parse(out, json_string_value(v),
				json_string_length(v));
}

/* The object must have exactly these keys. */
bool api_exact_keys(const json_t *o, const char *const *keys)
{
	size_t n = 0;
	if (!json_is_object(o))
		return false;
	for (; keys[n]; n++)
		if (!json_object_get(o, keys[n]))
			return false;
	return json_object_size(o) == n;
}

const char *api_parse_client_order(struct cl_order *o, struct cl_cloid *cloid,
				   const json_t *j)
{
	const json_t *c = json_object_get(j, "cloid");

	memset(cloid, 0, sizeof(*cloid));
	if (!c)
		return api_parse_order(o, j);
	if (!api_get_cloid(cloid, c))
		return "order.cloid: expected 0x + 16 bytes, not all zero";
	json_t *rest = json_copy((json_t *)j);
	json_object_del(rest, "cloid");
	const char *why = api_parse_order(o, rest);
	json_decref(rest);
	return why;
}

bool api_get_cloid(struct cl_cloid *out, const json_t *v)
{
	static const struct cl_cloid zero;

	return cl_json_bytes(out->b, CL_CLOID_LEN, v) &&
	       memcmp(out->b, zero.b, CL_CLOID_LEN) != 0;
}

json_t *api_cloid_json(const struct cl_cloid *c)
{
	static const struct cl_cloid zero;

	if (memcmp(c->b, zero.b, CL_CLOID_LEN) == 0)
		return NULL;
	return cl_json_from_bytes(c->b, CL_CLOID_LEN);
}

const char *api_parse_order(struct cl_order *o, const json_t *j)
{
	static const char *const keys[] = {"trader", "market", "isBuy",
					   "price",  "size",   "nonce",
					   "expiry", "flags",  NULL};
	uint64_t v;

	memset(o, 0, sizeof(*o));
	if (!api_exact_keys(j, keys))
		return "order must have exactly trader, market, isBuy, price, "
		       "size, nonce, expiry, flags";
	if (!api_get_address(&o->trader, json_object_get(j, "trader")))
		return "order.trader: expected an address";
	if (!cl_json_uint(&v, json_object_get(j, "market"), UINT32_MAX))
		return "order.market: expected a uint32";
	o->market = (uint32_t)v;
	if (!cl_json_bool(&o->is_buy, json_object_get(j, "isBuy")))
		return "order.isBuy: expected true or false";
	if (!cl_json_u64(&o->price, json_object_get(j, "price")))
		return "order.price: expected a decimal string";
	if (!cl_json_u64(&o->size, json_object_get(j, "size")))
		return "order.size: expected a decimal string";
	if (!cl_json_u64(&o->nonce, json_object_get(j, "nonce")))
		return "order.nonce: expected a decimal string";
	if (!cl_json_u64(&o->expiry, json_object_get(j, "expiry")))
		return "order.expiry: expected a decimal string";
	if (!cl_json_uint(&v, json_object_get(j, "flags"), 255))
		return "order.flags: expected a uint8";
	o->flags = (uint8_t)v;
	return NULL;
}

bool api_get_sig(struct cl_sig *out, const json_t *v)
{
	return cl_json_bytes(out->b, CL_SIG_LEN, v);
}

/* params must be an array of exactly n entries */
bool api_nparams(const json_t *p, size_t n)
{
	return json_is_array(p) && json_array_size(p) == n;
}

const char *api_status_str(enum cl_order_status st)
{
	switch (st) {
	case CL_ORDER_OPEN:
		return "open";
	case CL_ORDER_FILLED:
		return "filled";
	case CL_ORDER_CANCELLED:
		return "cancelled";
	case CL_ORDER_DONE:
		return "closed";
	}
	return "unknown";
}

const char *api_reason_str(enum cl_done_reason r)
{
	switch (r) {
	case CL_DONE_IOC_REMAINDER:
		return "ioc_remainder";
	case CL_DONE_FOK_UNFILLED:
		return "fok_unfilled";
	case CL_DONE_SELF_TRADE:
		return "self_trade_prevention";
	case CL_DONE_POST_ONLY_CROSS:
		return "post_only_would_cross";
	case CL_DONE_MARGIN:
		return "insufficient_margin";
	case CL_DONE_EXPIRED:
		return "expired";
	case CL_DONE_SCHEDULED_CANCEL:
		return "scheduled_cancel";
	}
	return "unknown";
}
