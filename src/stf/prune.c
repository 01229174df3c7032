/* SPDX-License-Identifier: MIT */
/*
 * Pruning of closed records (docs/protocol.md "Pruning"): the records
 * an order kind leaves behind are its replay protection, and they go
 * once a time has passed after which no replay of them can apply.
 * Three committed tables hold what that needs:
 *
 *   PRUNE_DUE    time u64 ‖ kind u8 ‖ hash -> 00: every record that will
 *                be pruned, by the time it may go (an order's or a
 *                trigger's expiry + CL_STF_PRUNE_GRACE_S, written when
 *                it is stored; a TWAP's stop time + expiryHorizon,
 *                written when it stops)
 *   TWAP_NONCES  twapHash -> nonce u64: a TWAP's signed nonce, kept as
 *                long as its record
 *   TWAP_FLOOR   trader -> nonce u64: the highest nonce of the trader's
 *                pruned TWAPs; a TWAP_ORDER at or below it is refused
 *
 * An order or trigger hash covers its expiry and no request with an
 * expiry at or before the block time applies, and block time never runs
 * backwards: so once `expiry <= now` no replay of it can apply, with or
 * without its record (the grace only keeps final statuses readable). A
 * TWAP carries no expiry, so its nonce raises the trader's floor when
 * its record goes.
 *
 * When a block opens, after the expired resting orders are closed, at
 * most CL_STF_PRUNE_PER_BLOCK entries with time <= now go in key order:
 * the record and its entry are deleted (a pending trigger leaves its
 * two indexes; a TWAP's nonce goes to the floor). An order that is still
 * open (the expiry sweep ran out of budget) stops the step: it and what
 * follows wait for the next block, so every node prunes the same
 * records at the same block.
 */
#include "engine_int.h"

#include <string.h>

uint64_t stf_prune_after_expiry(uint64_t expiry)
{
	uint64_t t;

	return cl_add_u64(&t, expiry, CL_STF_PRUNE_GRACE_S) ? t : UINT64_MAX;
}

void stf_prune_due(struct cl_state *st, uint64_t time, enum stf_prune_kind kind,
		   const struct cl_hash32 *h)
{
	static const uint8_t zero = 0;
	uint8_t k[PRUNE_DUE_KEY_LEN];

	cl_put_be64(k, time);
	k[8] = (uint8_t)kind;
	memcpy(k + 9, h->b, 32);
	cl_state_put(st, CL_TABLE_PRUNE_DUE, k, sizeof(k), &zero, 1);
}

void stf_twap_nonce_put(struct cl_state *st, const struct cl_hash32 *h,
			uint64_t nonce)
{
	uint8_t b[8];

	cl_put_be64(b, nonce);
	cl_state_put(st, CL_TABLE_TWAP_NONCES, h->b, 32, b, sizeof(b));
}

/* A fixed 8-byte value under (t, key): CL_ERR_NOT_FOUND leaves *out 0. */
static int get_u64(const struct cl_stf_view *v, uint64_t *out, enum cl_table t,
		   const uint8_t *key, size_t klen, const char *what)
{
	const uint8_t *b;
	size_t len;
	int rc = stf_view_get(v, &b, &len, t, key, klen);

	*out = 0;
	if (rc != CL_OK)
		return rc;
	if (len != 8) {
		cl_broken("stf", "stored %s has %zu bytes", what, len);
		return CL_ERR_CORRUPT;
	}
	*out = cl_get_be64(b);
	return CL_OK;
}

int cl_stf_get_twap_floor(const struct cl_stf_view *v, uint64_t *floor,
			  const struct cl_address *trader)
{
	return get_u64(v, floor, CL_TABLE_TWAP_FLOOR, trader->b, 20,
		       "twap floor");
}

int stf_twap_check_floor(struct cl_stf *s, const struct cl_address *trader,
			 uint64_t nonce)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t floor;
	int rc = cl_stf_get_twap_floor(&v, &floor, trader);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_STF_OK;
	if (rc != CL_OK)
		return rc;
	return nonce <= floor ? CL_STF_ERR_TWAP_NONCE_USED : CL_STF_OK;
}

int cl_stf_pruned_before(const struct cl_stf_view *v, uint64_t *out)
{
	struct cl_state_iter *it = NULL;
	const uint8_t *k, *val;
	size_t kl, vl;
	uint64_t ms, now;
	int rc = stf_get_global_u64(v, &ms, G_BLOCK_TIME);

	*out = 0;
	if (rc != CL_OK)
		return rc;
	now = ms / 1000;
	*out = now == UINT64_MAX ? now : now + 1;
	rc = stf_view_iter(v, &it, CL_TABLE_PRUNE_DUE, NULL, 0);
	if (rc != CL_OK)
		return rc;
	rc = cl_state_iter_next(it, &k, &kl, &val, &vl);
	if (rc == CL_OK && kl != PRUNE_DUE_KEY_LEN)
		rc = CL_ERR_CORRUPT;
	if (rc == CL_OK && cl_get_be64(k) < *out)
		*out = cl_get_be64(k);
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* An order's record: still open is "not yet" (*wait); else it goes. */
static int prune_order(struct cl_stf *s, bool *wait, const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_order_record o;
	int rc = cl_stf_get_order(&v, &o, h);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_ERR_CORRUPT; /* the entry outlived its record */
	if (rc != CL_OK)
		return rc;
	if (o.status == CL_ORDER_OPEN) {
		*wait = true;
		return CL_OK;
	}
	cl_state_del(s->st, CL_TABLE_ORDERS, h->b, 32);
	return CL_OK;
}

/* A trigger's record; a pending one (expired, never reached) first
 * leaves its indexes. */
static int prune_trigger(struct cl_stf *s, const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_trigger_record t;
	int rc = cl_stf_get_trigger(&v, &t, h);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_ERR_CORRUPT;
	if (rc != CL_OK)
		return rc;
	if (t.status == CL_TRIGGER_PENDING)
		stf_trigger_unindex(s->st, &t, h);
	cl_state_del(s->st, CL_TABLE_TRIGGERS, h->b, 32);
	return CL_OK;
}

/* A stopped TWAP's record and nonce; the nonce raises the floor. A
 * TWAP without a stored nonce (placed before pruning existed) keeps its
 * record: it is its only replay protection. */
static int prune_twap(struct cl_stf *s, const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_twap_record t;
	uint64_t nonce, floor;
	bool has_floor;
	uint8_t b[8];
	int rc = cl_stf_get_twap(&v, &t, h);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_ERR_CORRUPT;
	if (rc != CL_OK)
		return rc;
	if (t.status == CL_TWAP_RUNNING)
		return CL_ERR_CORRUPT; /* entries are written when it stops */
	rc = get_u64(&v, &nonce, CL_TABLE_TWAP_NONCES, h->b, 32, "twap nonce");
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	rc = cl_stf_get_twap_floor(&v, &floor, &t.trader);
	has_floor = rc == CL_OK;
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (!has_floor || nonce > floor) {
		cl_put_be64(b, nonce);
		cl_state_put(s->st, CL_TABLE_TWAP_FLOOR, t.trader.b, 20, b,
			     sizeof(b));
	}
	cl_state_del(s->st, CL_TABLE_TWAP_NONCES, h->b, 32);
	cl_state_del(s->st, CL_TABLE_TWAPS, h->b, 32);
	return CL_OK;
}

int stf_prune(struct cl_stf *s, size_t *pruned, bool *pending)
{
	struct cl_state_iter *it = NULL;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	*pruned = 0;
	*pending = false;
	rc = cl_state_iter_new(&it, s->st, CL_TABLE_PRUNE_DUE, NULL, 0);
	if (rc != CL_OK)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		uint8_t key[PRUNE_DUE_KEY_LEN];
		struct cl_hash32 h;
		bool wait = false;

		if (kl != PRUNE_DUE_KEY_LEN || vl != 1) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		if (cl_get_be64(k) > s->now_s)
			break; /* nothing further is due */
		if (*pruned == CL_STF_PRUNE_PER_BLOCK) {
			*pending = true;
			break;
		}
		memcpy(key, k, sizeof(key));
		memcpy(h.b, key + 9, 32);
		switch (key[8]) {
		case STF_PRUNE_ORDER:
			rc = prune_order(s, &wait, &h);
			break;
		case STF_PRUNE_TRIGGER:
			rc = prune_trigger(s, &h);
			break;
		case STF_PRUNE_TWAP:
			rc = prune_twap(s, &h);
			break;
		default:
			rc = CL_ERR_CORRUPT;
			break;
		}
		if (rc != CL_OK)
			break;
		if (wait) {
			*pending = true;
			break;
		}
		cl_state_del(s->st, CL_TABLE_PRUNE_DUE, key, sizeof(key));
		(*pruned)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc == CL_ERR_CORRUPT)
		cl_broken("stf", "the prune index names a record that is "
				 "missing, running or of an unknown kind");
	return rc;
}
