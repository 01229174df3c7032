/* SPDX-License-Identifier: MIT */
/*
 * Scale orders (docs/protocol.md "SCALE_ORDER"): one signature over a
 * list of up to 16 orders on one side of one market, sharing trader,
 * nonce, expiry and flags. Each leg is a PLACE_ORDER of its own (all its
 * rules, the open-order margin counting the legs before it) whose order
 * hash is derived from the scale hash and its index; a leg that breaks
 * a rule refuses the whole request. The legs then meet the book in list
 * order, each as a placed order does.
 */
#include "engine_int.h"

#include <string.h>

static const char SCALE_TAG[] = "clearline.scale";

void cl_stf_scale_leg_hash(struct cl_hash32 *out,
			   const struct cl_hash32 *scale_hash, uint32_t i)
{
	uint8_t b[sizeof(SCALE_TAG) - 1 + 32 + 1];

	CL_REQUIRE(i < CL_SCALE_MAX);
	memcpy(b, SCALE_TAG, sizeof(SCALE_TAG) - 1);
	memcpy(b + sizeof(SCALE_TAG) - 1, scale_hash->b, 32);
	b[sizeof(b) - 1] = (uint8_t)i;
	cl_keccak256(out->b, b, sizeof(b));
}

/* Leg i as the PLACE_ORDER it is: the scale's signer and a derived
 * hash. */
static void leg_tx(struct cl_tx *leg, const struct cl_tx *tx, uint32_t i)
{
	const struct cl_scale_order *m = &tx->u.scale.msg;

	memset(leg, 0, sizeof(*leg));
	leg->type = CL_TX_PLACE_ORDER;
	leg->u.place.order.trader = m->trader;
	leg->u.place.order.market = m->market;
	leg->u.place.order.is_buy = m->is_buy;
	leg->u.place.order.price = m->price[i];
	leg->u.place.order.size = m->size[i];
	leg->u.place.order.nonce = m->nonce;
	leg->u.place.order.expiry = m->expiry;
	leg->u.place.order.flags = m->flags;
	leg->auth = tx->auth;
	cl_stf_scale_leg_hash(&leg->auth.digest, &tx->auth.digest, i);
}

int stf_apply_scale(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_scale_order *m = &tx->u.scale.msg;

	CL_REQUIRE(m->n >= 1 && m->n <= CL_SCALE_MAX); /* the decoder's */
	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	for (uint32_t i = 0; i < m->n; i++) {
		struct cl_tx leg;
		leg_tx(&leg, tx, i);
		int rc = stf_apply_place(s, &leg);
		if (rc != CL_STF_OK)
			return rc; /* cl_stf_apply() undoes the earlier legs */
	}
	return CL_STF_OK;
}

int stf_scale(struct cl_stf *s, struct cl_stf_result *r,
	      const struct cl_tx *tx)
{
	int rc = stf_apply_primitive(s, tx);

	for (uint32_t i = 0; rc == CL_STF_OK && i < tx->u.scale.msg.n; i++) {
		struct cl_hash32 h;
		cl_stf_scale_leg_hash(&h, &tx->auth.digest, i);
		rc = stf_match_taker(s, NULL, &h);
		if (rc > 0)
			rc = CL_ERR_CORRUPT;
	}
	if (rc == CL_STF_OK && r) {
		r->order_hash = tx->auth.digest;
		r->n_fills = s->eng->n_fills;
		r->fills = s->eng->n_fills ? s->eng->fills : NULL;
	}
	return rc;
}
