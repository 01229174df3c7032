/* SPDX-License-Identifier: MIT */
/* Checked conversion of typed values and the JSON forms of signed messages. */
#include <clearline/cli.h>

#include <inttypes.h>
#include <string.h>

#include "cli_int.h"

/* Convert `text` with `decimals`; a message naming `what` on failure. */
static bool parse_positive(uint64_t *out, char *err, size_t errlen,
			   const char *what, const char *text,
			   unsigned decimals, const char *unit)
{
	enum cl_dec_err e = cl_dec_parse(out, text, strlen(text), decimals);

	switch (e) {
	case CL_DEC_OK:
		break;
	case CL_DEC_TOO_PRECISE:
		snprintf(err, errlen,
			 "%s %s: %s allows at most %u decimal places", what,
			 text, unit, decimals);
		return false;
	case CL_DEC_EMPTY:
	case CL_DEC_NEGATIVE:
	case CL_DEC_SYNTAX:
	case CL_DEC_LEADING_ZERO:
	case CL_DEC_OVERFLOW:
	case CL_DEC_BAD_DECIMALS:
		snprintf(err, errlen, "%s %s: %s", what, text,
			 cl_dec_err_str(e));
		return false;
	}
	if (*out == 0) {
		snprintf(err, errlen, "%s must be positive", what);
		return false;
	}
	return true;
}

bool cl_cli_parse_price(uint64_t *out, char *err, size_t errlen,
			const struct cl_cli_market *m, const char *text)
{
	char tick[CL_DEC_STR_MAX];

	if (!parse_positive(out, err, errlen, "price", text, m->price_decimals,
			    m->symbol))
		return false;
	if (*out % m->tick_size != 0) {
		cl_dec_format_u64(tick, m->tick_size, m->price_decimals);
		snprintf(err, errlen,
			 "price %s is not a multiple of the tick size %s of %s",
			 text, tick, m->symbol);
		*out = 0;
		return false;
	}
	return true;
}

bool cl_cli_parse_size(uint64_t *out, char *err, size_t errlen,
		       const struct cl_cli_market *m, const char *text)
{
	char lim[CL_DEC_STR_MAX];

	if (!parse_positive(out, err, errlen, "size", text, m->size_decimals,
			    m->symbol))
		return false;
	if (*out % m->step_size != 0) {
		cl_dec_format_u64(lim, m->step_size, m->size_decimals);
		snprintf(err, errlen,
			 "size %s is not a multiple of the step size %s of %s",
			 text, lim, m->symbol);
		*out = 0;
		return false;
	}
	if (m->max_order_size && *out > m->max_order_size) {
		cl_dec_format_u64(lim, m->max_order_size, m->size_decimals);
		snprintf(err, errlen,
			 "size %s is above the maximum order size %s of %s",
			 text, lim, m->symbol);
		*out = 0;
		return false;
	}
	return true;
}

bool cl_cli_parse_amount(uint64_t *out, char *err, size_t errlen,
			 unsigned decimals, const char *text)
{
	return parse_positive(out, err, errlen, "amount", text, decimals,
			      "the collateral token");
}

bool cl_cli_order_build(struct cl_order *out, char *err, size_t errlen,
			const struct cl_cli_order_req *req)
{
	memset(out, 0, sizeof(*out));
	if (!cl_cli_parse_price(&out->price, err, errlen, req->market,
				req->price) ||
	    !cl_cli_parse_size(&out->size, err, errlen, req->market,
			       req->size)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->trader = req->trader;
	out->market = req->market->id;
	out->is_buy = req->is_buy;
	out->nonce = req->nonce;
	out->expiry = req->expiry;
	out->flags = req->flags;
	return true;
}

static json_t *address_json(const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];

	cl_address_format(s, a);
	return json_string(s);
}

json_t *cl_cli_order_json(const struct cl_order *o)
{
	json_t *j = json_object();

	json_object_set_new(j, "trader", address_json(&o->trader));
	json_object_set_new(j, "market", json_integer(o->market));
	json_object_set_new(j, "isBuy", json_boolean(o->is_buy));
	json_object_set_new(j, "price", cl_json_from_u64(o->price));
	json_object_set_new(j, "size", cl_json_from_u64(o->size));
	json_object_set_new(j, "nonce", cl_json_from_u64(o->nonce));
	json_object_set_new(j, "expiry", cl_json_from_u64(o->expiry));
	json_object_set_new(j, "flags", json_integer(o->flags));
	return j;
}

json_t *cl_cli_cancel_json(const struct cl_cancel *c)
{
	json_t *j = json_object();

	json_object_set_new(j, "trader", address_json(&c->trader));
	json_object_set_new(j, "orderHash",
			    cl_json_from_bytes(c->order_hash.b, 32));
	return j;
}

json_t *cl_cli_withdraw_json(const struct cl_withdraw *w)
{
	json_t *j = json_object();

	json_object_set_new(j, "trader", address_json(&w->trader));
	json_object_set_new(j, "recipient", address_json(&w->recipient));
	json_object_set_new(j, "amount", cl_json_from_u64(w->amount));
	json_object_set_new(j, "nonce", cl_json_from_u64(w->nonce));
	return j;
}

json_t *cl_cli_approve_agent_json(const struct cl_approve_agent *a)
{
	json_t *j = json_object();

	json_object_set_new(j, "trader", address_json(&a->trader));
	json_object_set_new(j, "agent", address_json(&a->agent));
	json_object_set_new(j, "expiry", cl_json_from_u64(a->expiry));
	json_object_set_new(j, "nonce", cl_json_from_u64(a->nonce));
	return j;
}
