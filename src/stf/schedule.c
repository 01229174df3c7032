/* SPDX-License-Identifier: MIT */
/*
 * The dead-man switch (docs/protocol.md "SCHEDULE_CANCEL"): a signed
 * "cancel all my orders at time T", renewed by signing a later T and
 * disarmed by T = 0. Two committed tables hold it:
 *
 *   SCHEDULE_CANCEL  trader -> time u64 ‖ nonce u64: the switch and the
 *                    last accepted nonce (kept after it fired or was
 *                    disarmed, so an old signature never arms it again)
 *   SCHEDULE_DUE     time u64 ‖ trader -> 00: the armed switches in the
 *                    order they fall due
 *
 * When a block opens, the switches with time <= now fire in key order
 * (time, then address): every open order of the trader, in arrival
 * order, is closed by an ORDER_DONE with reason SCHEDULED_CANCEL (which
 * holds exactly while the trader's switch is armed and due), then the
 * switch is disarmed. Work beyond the block's budget waits for the next
 * block with the switch still armed and due.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static void due_key(uint8_t out[SCHEDULE_DUE_KEY_LEN], uint64_t time,
		    const struct cl_address *trader)
{
	cl_put_be64(out, time);
	memcpy(out + 8, trader->b, 20);
}

int cl_stf_get_scheduled_cancel(const struct cl_stf_view *v, uint64_t *time,
				uint64_t *nonce,
				const struct cl_address *addr)
{
	const uint8_t *b;
	size_t len;
	int rc = stf_view_get(v, &b, &len, CL_TABLE_SCHEDULE_CANCEL, addr->b,
			      20);

	*time = 0;
	*nonce = 0;
	if (rc != CL_OK)
		return rc;
	if (len != SCHEDULE_VAL_LEN) {
		cl_broken("stf", "stored schedule-cancel record has %zu bytes",
			  len);
		return CL_ERR_CORRUPT;
	}
	*time = cl_get_be64(b);
	*nonce = cl_get_be64(b + 8);
	return CL_OK;
}

static void put_schedule(struct cl_state *st, const struct cl_address *trader,
			 uint64_t time, uint64_t nonce)
{
	uint8_t b[SCHEDULE_VAL_LEN];

	cl_put_be64(b, time);
	cl_put_be64(b + 8, nonce);
	cl_state_put(st, CL_TABLE_SCHEDULE_CANCEL, trader->b, 20, b,
		     sizeof(b));
}

int stf_schedule_due(struct cl_stf *s, bool *due,
		     const struct cl_address *trader)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t time, nonce;
	int rc = cl_stf_get_scheduled_cancel(&v, &time, &nonce, trader);

	*due = false;
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	*due = time > 0 && time <= s->now_s;
	return CL_OK;
}

int stf_apply_schedule_cancel(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_schedule_cancel *m = &tx->u.schedule_cancel.msg;
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t time, nonce, latest;
	uint8_t k[SCHEDULE_DUE_KEY_LEN];
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = stf_check_authorized(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	rc = cl_stf_get_scheduled_cancel(&v, &time, &nonce, &m->trader);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (m->nonce <= nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (m->time != 0 && m->time <= s->now_s)
		return CL_STF_ERR_EXPIRED;
	if (!cl_add_u64(&latest, s->now_s, s->g.expiry_horizon))
		latest = UINT64_MAX;
	if (m->time > latest)
		return CL_STF_ERR_EXPIRY_TOO_FAR;
	if (time > 0) {
		due_key(k, time, &m->trader);
		cl_state_del(s->st, CL_TABLE_SCHEDULE_DUE, k, sizeof(k));
	}
	put_schedule(s->st, &m->trader, m->time, m->nonce);
	if (m->time > 0) {
		static const uint8_t one = 0;
		due_key(k, m->time, &m->trader);
		cl_state_put(s->st, CL_TABLE_SCHEDULE_DUE, k, sizeof(k), &one,
			     1);
	}
	return CL_STF_OK;
}

/* The first armed switch: *has, its time and trader. */
static int first_due(struct cl_stf *s, bool *has, uint64_t *time,
		     struct cl_address *trader)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc = cl_state_iter_new(&it, s->st, CL_TABLE_SCHEDULE_DUE, NULL, 0);

	*has = false;
	if (rc != CL_OK)
		return rc;
	rc = cl_state_iter_next(it, &k, &kl, &v, &vl);
	if (rc == CL_OK) {
		if (kl != SCHEDULE_DUE_KEY_LEN || vl != 1 || v[0] != 0) {
			cl_broken("stf", "malformed schedule-due entry");
			rc = CL_ERR_CORRUPT;
		} else {
			*has = true;
			*time = cl_get_be64(k);
			memcpy(trader->b, k + 8, 20);
		}
	}
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* Close every open order of `trader` (arrival order) with reason
 * SCHEDULED_CANCEL; *all is false when the budget ran out first. */
static int cancel_open_orders(struct cl_stf *s, bool *all,
			      const struct cl_address *trader)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_hash32 *h = NULL;
	size_t cap = 64, n = 0;
	int rc;

	*all = false;
	for (;;) {
		h = cl_xcalloc(cap, sizeof(*h));
		rc = cl_stf_get_open_orders(&v, h, cap, &n, trader);
		if (rc != CL_OK || n < cap)
			break;
		free(h);
		cap *= 4;
	}
	for (size_t i = 0; rc == CL_OK && i < n; i++) {
		struct cl_order_record o;
		struct book_order bo;

		if (stf_budget_out(s)) {
			free(h);
			return CL_OK;
		}
		rc = cl_stf_get_order(&v, &o, &h[i]);
		if (rc != CL_OK)
			break;
		int mi = stf_market_index(&s->g, o.market);
		CL_REQUIRE(mi >= 0);
		rc = stf_derive_done(s, &h[i], CL_DONE_SCHEDULED_CANCEL);
		if (rc != CL_OK)
			break;
		if (book_get(s->eng->books[mi], &bo, &h[i]))
			stf_book_remove(s, (uint32_t)mi, &h[i]);
		s->eng->risk_ops++;
	}
	free(h);
	/* and its trigger orders */
	if (rc == CL_OK)
		rc = stf_cancel_triggers_of(s, NULL, trader);
	if (rc == CL_OK)
		rc = stf_cancel_twaps_of(s, NULL, trader);
	if (rc == CL_OK)
		*all = true;
	return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
}

int stf_fire_scheduled_cancels(struct cl_stf *s)
{
	for (;;) {
		struct cl_stf_view v = cl_stf_view(s);
		struct cl_address trader;
		uint64_t time, t2, nonce;
		bool has, all;
		int rc;

		if (stf_budget_out(s))
			return CL_OK;
		rc = first_due(s, &has, &time, &trader);
		if (rc != CL_OK)
			return rc;
		if (!has || time > s->now_s)
			return CL_OK;
		rc = cancel_open_orders(s, &all, &trader);
		if (rc != CL_OK || !all)
			return rc;
		/* disarmed; the nonce stays */
		rc = cl_stf_get_scheduled_cancel(&v, &t2, &nonce, &trader);
		if (rc != CL_OK || t2 != time) {
			cl_broken("stf", "schedule-due entry without its "
				  "switch");
			return rc != CL_OK && rc != CL_ERR_NOT_FOUND
				       ? rc
				       : CL_ERR_CORRUPT;
		}
		uint8_t k[SCHEDULE_DUE_KEY_LEN];
		due_key(k, time, &trader);
		cl_state_del(s->st, CL_TABLE_SCHEDULE_DUE, k, sizeof(k));
		put_schedule(s->st, &trader, 0, nonce);
		s->eng->risk_ops++;
	}
}
