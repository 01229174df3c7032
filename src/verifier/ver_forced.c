/* SPDX-License-Identifier: MIT */
/*
 * Forced requests (docs/verifier.md "Forced requests"): every FORCED
 * request a batch carries must be the ForcedRequest event of L1 with the
 * same id (account, kind and fields), and appendBatch's forcedConsumed
 * must be what the batch applied. The events come from the scan, like
 * deposits; an id the scan has not seen since a restart (an unconsumed
 * request from before the cursor) is read from the contract's storage
 * (forcedRequests(id)), where a request never changes once made.
 */
#include "ver_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

int ver_forced_add(struct cl_verifier *v, const struct cl_l1_forced *f)
{
	uint64_t next = v->forced_base + v->n_forced;

	if (f->id < v->forced_base)
		return CL_OK; /* consumed long ago */
	if (f->id < next) {
		const struct cl_l1_forced *k = &v->forced[f->id - v->forced_base];
		if (!cl_address_eq(&k->account, &f->account) ||
		    k->kind != f->kind || k->a != f->a || k->b != f->b) {
			cl_unusual(SUB, "forced request %llu changed on l1",
				   (unsigned long long)f->id);
			return CL_ERR_CORRUPT;
		}
		return CL_OK;
	}
	if (f->id > next) {
		if (v->n_forced == 0) {
			/* after a restart the scan starts past older ones:
			 * those are read from storage when needed */
			v->forced_base = f->id;
		} else {
			cl_unusual(SUB,
				   "forced request %llu arrived before %llu",
				   (unsigned long long)f->id,
				   (unsigned long long)next);
			return CL_ERR_CORRUPT;
		}
	}
	if (v->n_forced == v->cap_forced) {
		v->cap_forced = v->cap_forced ? 2 * v->cap_forced : 16;
		v->forced = cl_xrealloc(v->forced,
					v->cap_forced * sizeof(*v->forced));
	}
	v->forced[v->n_forced++] = *f;
	return CL_OK;
}

void ver_forced_trim(struct cl_verifier *v, uint64_t consumed)
{
	if (consumed <= v->forced_base)
		return;
	uint64_t drop = consumed - v->forced_base;
	if (drop > v->n_forced)
		drop = v->n_forced;
	memmove(v->forced, v->forced + drop,
		(v->n_forced - drop) * sizeof(*v->forced));
	v->n_forced -= drop;
	v->forced_base += drop;
	if (v->n_forced == 0)
		v->forced_base = consumed;
}

void ver_forced_clear(struct cl_verifier *v, uint64_t consumed)
{
	v->n_forced = 0;
	v->forced_base = consumed;
}

/* forcedRequests(id) from the contract; *found false when id >= count. */
static int read_stored(struct cl_verifier *v, struct cl_l1_forced *out,
		       bool *found, uint64_t id)
{
	struct cl_buf ret;
	uint64_t w[5];

	*found = false;
	memset(out, 0, sizeof(*out));
	cl_buf_init(&ret);
	int rc = ver_view_call(v->rpc, &v->genesis.rollup, &ret,
			       "forcedRequests(uint64)", true, id);
	if (rc == CL_L1_RPC_ERROR) {
		cl_buf_release(&ret);
		return CL_OK; /* UnknownForcedRequest: not made (yet) */
	}
	if (rc) {
		cl_buf_release(&ret);
		return rc;
	}
	/* (address, uint8, uint64, uint64, uint64, bool) */
	if (ret.len != 6 * 32) {
		cl_buf_release(&ret);
		return CL_ERR_CORRUPT;
	}
	for (int i = 0; i < 5; i++) {
		const uint8_t *p = ret.p + (i + 1) * 32;
		for (int j = 0; j < 24; j++)
			if (p[j])
				rc = CL_ERR_CORRUPT;
		w[i] = cl_get_be64(p + 24);
	}
	for (int j = 0; j < 12; j++)
		if (ret.p[j])
			rc = CL_ERR_CORRUPT;
	if (!rc && w[0] <= 0xff) {
		out->id = id;
		memcpy(out->account.b, ret.p + 12, 20);
		out->kind = (uint8_t)w[0];
		out->a = w[1];
		out->b = w[2];
		out->timestamp = w[3];
		*found = true;
	}
	cl_buf_release(&ret);
	return rc;
}

int ver_forced_check(struct cl_verifier *v, const struct cl_l1_batch_event *ev,
		     const struct fault_at *at, const struct cl_tx *tx)
{
	const struct cl_tx_forced *got = &tx->u.forced;
	struct cl_l1_forced stored;
	const struct cl_l1_forced *f = NULL;
	struct cl_tx want;

	if (got->id >= v->forced_base &&
	    got->id - v->forced_base < v->n_forced) {
		f = &v->forced[got->id - v->forced_base];
	} else {
		bool found;
		int rc = read_stored(v, &stored, &found, got->id);
		if (rc)
			return rc;
		if (found)
			f = &stored;
	}
	if (!f)
		return ver_record_fault(v, ev, at,
					"forced request %llu is not on l1",
					(unsigned long long)got->id);
	if (!cl_l1_forced_tx(&want, f) ||
	    !cl_address_eq(&want.u.forced.account, &got->account) ||
	    want.u.forced.kind != got->kind ||
	    want.u.forced.amount != got->amount ||
	    want.u.forced.order_seq != got->order_seq ||
	    want.u.forced.market != got->market ||
	    want.u.forced.price != got->price)
		return ver_record_fault(
			v, ev, at,
			"forced request %llu differs from the l1 event (%s, "
			"on l1 kind %u)",
			(unsigned long long)got->id,
			cl_forced_kind_str(got->kind), (unsigned)f->kind);
	return STEP_OK;
}
