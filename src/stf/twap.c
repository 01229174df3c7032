/* SPDX-License-Identifier: MIT */
/*
 * TWAP orders (docs/protocol.md "TWAP_ORDER"): a parent order the stf
 * slices over `slices` x `interval` seconds. Each slice is an IOC order
 * bounded by the mark moved `slippagePpm` against the trader, sized so
 * that the parent catches up with a straight line (slice k brings the
 * filled size to size x (k+1) / slices, rounded down to the step; the
 * last one to the whole size), at most the market's largest order.
 * Three committed tables:
 *
 *   TWAPS       twapHash -> the record (kept when it finished)
 *   TWAP_DUE    next u64 ‖ twapHash -> 00: running ones by their next
 *               slice time
 *   TWAP_OWNER  trader ‖ sequence -> twapHash: a trader's running ones
 *
 * Slices run when a block opens, at most one per TWAP and block, for the
 * TWAPs whose next time has come (key order); the first slice runs in
 * the request that placed it.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char TWAP_TAG[] = "clearline.twap";

#define TWAP_VAL_LEN 79
#define TWAP_DUE_KEY_LEN 40   /* next ‖ hash */
#define TWAP_OWNER_KEY_LEN 28 /* trader ‖ sequence */
#define TWAPS_PER_PASS 1024
#define PPM 1000000u

const char *cl_twap_status_str(int status)
{
	switch (status) {
	case CL_TWAP_RUNNING:
		return "running";
	case CL_TWAP_FINISHED:
		return "finished";
	case CL_TWAP_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

void cl_stf_twap_slice_hash(struct cl_hash32 *out,
			    const struct cl_hash32 *twap_hash, uint32_t k)
{
	uint8_t b[sizeof(TWAP_TAG) - 1 + 32 + 4];

	memcpy(b, TWAP_TAG, sizeof(TWAP_TAG) - 1);
	memcpy(b + sizeof(TWAP_TAG) - 1, twap_hash->b, 32);
	cl_put_be32(b + sizeof(b) - 4, k);
	cl_keccak256(out->b, b, sizeof(b));
}

int cl_stf_get_twap(const struct cl_stf_view *v, struct cl_twap_record *out,
		    const struct cl_hash32 *twap_hash)
{
	const uint8_t *b;
	size_t len;
	int rc = stf_view_get(v, &b, &len, CL_TABLE_TWAPS, twap_hash->b, 32);

	memset(out, 0, sizeof(*out));
	if (rc != CL_OK)
		return rc;
	if (len != TWAP_VAL_LEN || b[24] > 1 || b[25] > 1 ||
	    b[70] < CL_TWAP_RUNNING || b[70] > CL_TWAP_CANCELLED) {
		cl_broken("stf", "stored twap order is malformed");
		return CL_ERR_CORRUPT;
	}
	memcpy(out->trader.b, b, 20);
	out->market = cl_get_be32(b + 20);
	out->is_buy = b[24] == 1;
	out->reduce_only = b[25] == 1;
	out->size = cl_get_be64(b + 26);
	out->filled = cl_get_be64(b + 34);
	out->interval = cl_get_be64(b + 42);
	out->slices = cl_get_be32(b + 50);
	out->done = cl_get_be32(b + 54);
	out->slippage_ppm = cl_get_be32(b + 58);
	out->next = cl_get_be64(b + 62);
	out->status = (enum cl_twap_status)b[70];
	out->sequence = cl_get_be64(b + 71);
	return CL_OK;
}

static void put_twap(struct cl_state *st, const struct cl_hash32 *h,
		     const struct cl_twap_record *t)
{
	uint8_t b[TWAP_VAL_LEN];

	memcpy(b, t->trader.b, 20);
	cl_put_be32(b + 20, t->market);
	b[24] = t->is_buy ? 1 : 0;
	b[25] = t->reduce_only ? 1 : 0;
	cl_put_be64(b + 26, t->size);
	cl_put_be64(b + 34, t->filled);
	cl_put_be64(b + 42, t->interval);
	cl_put_be32(b + 50, t->slices);
	cl_put_be32(b + 54, t->done);
	cl_put_be32(b + 58, t->slippage_ppm);
	cl_put_be64(b + 62, t->next);
	b[70] = (uint8_t)t->status;
	cl_put_be64(b + 71, t->sequence);
	cl_state_put(st, CL_TABLE_TWAPS, h->b, 32, b, sizeof(b));
}

static void due_key(uint8_t k[TWAP_DUE_KEY_LEN], uint64_t next,
		    const struct cl_hash32 *h)
{
	cl_put_be64(k, next);
	memcpy(k + 8, h->b, 32);
}

static void owner_key(uint8_t k[TWAP_OWNER_KEY_LEN],
		      const struct cl_address *trader, uint64_t seq)
{
	memcpy(k, trader->b, 20);
	cl_put_be64(k + 20, seq);
}

/* Leave the running state (both index entries go). */
static void stop(struct cl_stf *s, struct cl_twap_record *t,
		 const struct cl_hash32 *h, enum cl_twap_status status)
{
	uint8_t dk[TWAP_DUE_KEY_LEN], ok[TWAP_OWNER_KEY_LEN];

	due_key(dk, t->next, h);
	cl_state_del(s->st, CL_TABLE_TWAP_DUE, dk, sizeof(dk));
	owner_key(ok, &t->trader, t->sequence);
	cl_state_del(s->st, CL_TABLE_TWAP_OWNER, ok, sizeof(ok));
	t->status = status;
	put_twap(s->st, h, t);
	/* its record goes expiryHorizon later (prune.c); past 2^64 - 1,
	 * never */
	uint64_t due;
	if (!cl_add_u64(&due, s->now_s, s->g.expiry_horizon))
		due = UINT64_MAX;
	stf_prune_due(s->st, due, STF_PRUNE_TWAP, h);
}

/* ---- TWAP_ORDER (the primitive) ---- */

int stf_apply_twap(struct cl_stf *s, const struct cl_tx *tx)
{
	static const uint8_t zero = 0;
	const struct cl_twap_order *m = &tx->u.twap.msg;
	const struct cl_hash32 *h = &tx->auth.digest;
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *mp;
	struct cl_twap_record t;
	struct stf_acct acct;
	uint8_t dk[TWAP_DUE_KEY_LEN], ok[TWAP_OWNER_KEY_LEN];
	uint64_t seq, span;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = stf_check_authorized(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	mp = cl_genesis_market(&s->g, m->market);
	if (!mp)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (m->slices == 0 || m->interval == 0 || m->slippage_ppm > PPM)
		return CL_STF_ERR_BAD_TWAP;
	if (m->size == 0 || m->size / m->slices < mp->step_size)
		return CL_STF_ERR_BAD_SIZE;
	if (m->size % mp->step_size)
		return CL_STF_ERR_OFF_STEP;
	if (m->size / m->slices > mp->max_order_size)
		return CL_STF_ERR_SIZE_TOO_LARGE;
	if (!cl_mul_u64(&span, m->interval, (uint64_t)m->slices - 1) ||
	    span > s->g.expiry_horizon)
		return CL_STF_ERR_EXPIRY_TOO_FAR;
	rc = cl_stf_get_twap(&v, &t, h);
	if (rc == CL_OK)
		return CL_STF_ERR_DUPLICATE_ORDER;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	/* a pruned TWAP's nonce raised the trader's floor */
	rc = stf_twap_check_floor(s, &m->trader, m->nonce);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_acct_load(s, &acct, &m->trader);
	if (rc != CL_OK)
		return rc;
	if (acct.acc.collateral <= 0 && acct.n == 0)
		return CL_STF_ERR_NO_COLLATERAL;
	rc = stf_get_global_u64(&v, &seq, G_NEXT_ORDER_SEQ);
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (seq == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, G_NEXT_ORDER_SEQ, seq + 1);

	memset(&t, 0, sizeof(t));
	t.trader = m->trader;
	t.market = m->market;
	t.is_buy = m->is_buy;
	t.reduce_only = m->reduce_only;
	t.size = m->size;
	t.interval = m->interval;
	t.slices = m->slices;
	t.slippage_ppm = m->slippage_ppm;
	t.next = s->now_s;
	t.status = CL_TWAP_RUNNING;
	t.sequence = seq;
	put_twap(s->st, h, &t);
	stf_twap_nonce_put(s->st, h, m->nonce);
	due_key(dk, t.next, h);
	cl_state_put(s->st, CL_TABLE_TWAP_DUE, dk, sizeof(dk), &zero, 1);
	owner_key(ok, &t.trader, t.sequence);
	cl_state_put(s->st, CL_TABLE_TWAP_OWNER, ok, sizeof(ok), h->b, 32);
	return CL_STF_OK;
}

int stf_cancel_twap(struct cl_stf *s, const struct cl_address *trader,
		    const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_twap_record t;
	int rc = cl_stf_get_twap(&v, &t, h);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_STF_ERR_UNKNOWN_ORDER;
	if (rc != CL_OK)
		return rc;
	if (!cl_address_eq(&t.trader, trader))
		return CL_STF_ERR_NOT_AUTHORIZED;
	if (t.status != CL_TWAP_RUNNING)
		return CL_STF_ERR_ORDER_NOT_OPEN;
	stop(s, &t, h, CL_TWAP_CANCELLED);
	return CL_STF_OK;
}

int stf_twap_by_seq(struct cl_stf *s, struct cl_hash32 *out,
		    const struct cl_address *trader, uint64_t seq)
{
	uint8_t k[TWAP_OWNER_KEY_LEN];
	const uint8_t *v;
	size_t vl;
	int rc;

	owner_key(k, trader, seq);
	rc = cl_state_get(s->st, &v, &vl, CL_TABLE_TWAP_OWNER, k, sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(out->b, v, 32);
	return CL_OK;
}

int stf_cancel_twaps_of(struct cl_stf *s, size_t *count,
			const struct cl_address *trader)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl, n = 0, cap = 16;
	struct cl_hash32 *h;
	int rc = cl_state_iter_new(&it, s->st, CL_TABLE_TWAP_OWNER, trader->b,
				   20);

	if (rc != CL_OK)
		return rc;
	h = cl_xcalloc(cap, sizeof(*h));
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != TWAP_OWNER_KEY_LEN || memcmp(k, trader->b, 20))
			break;
		if (vl != 32) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		if (n == cap) {
			cap *= 2;
			h = cl_xrealloc(h, cap * sizeof(*h));
		}
		memcpy(h[n++].b, val, 32);
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	for (size_t i = 0; rc == CL_OK && i < n; i++)
		rc = stf_cancel_twap(s, trader, &h[i]);
	if (rc == CL_OK && count)
		*count += n;
	free(h);
	return rc > 0 ? CL_ERR_CORRUPT : rc;
}

int cl_stf_get_running_twaps(const struct cl_stf_view *v,
			     struct cl_hash32 *out, size_t cap, size_t *n,
			     const struct cl_address *trader)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	*n = 0;
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	rc = v->state ? cl_state_iter_new(&it, v->state, CL_TABLE_TWAP_OWNER,
					  trader->b, 20)
		      : cl_snapshot_iter_new(&it, v->snapshot,
					     CL_TABLE_TWAP_OWNER, trader->b,
					     20);
	if (rc != CL_OK)
		return rc;
	while (*n < cap &&
	       (rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != TWAP_OWNER_KEY_LEN || memcmp(k, trader->b, 20))
			break;
		if (vl != 32) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		memcpy(out[(*n)++].b, val, 32);
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc != CL_OK)
		*n = 0;
	return rc;
}

/* ---- slices ---- */

/* The slice's limit: the mark moved slippage against the trader, on the
 * tick grid (a buy rounded down, a sell up); 0 when none exists. */
static uint64_t slice_limit(const struct cl_market_params *mp, uint64_t mark,
			    bool is_buy, uint32_t slippage_ppm)
{
	unsigned __int128 x;
	uint64_t p, top = UINT64_MAX - UINT64_MAX % mp->tick_size;

	if (is_buy) {
		x = (unsigned __int128)mark * (PPM + slippage_ppm) / PPM;
		p = x > top ? top : (uint64_t)x;
		return p - p % mp->tick_size;
	}
	x = (unsigned __int128)mark * (PPM - slippage_ppm);
	x = (x + PPM - 1) / PPM;
	p = (uint64_t)x; /* <= mark */
	if (p % mp->tick_size)
		p += mp->tick_size - p % mp->tick_size; /* <= top: mark is */
	return p < mp->tick_size ? mp->tick_size : p;
}

/* Run the next slice of TWAP `h` (running). */
static int run_slice(struct cl_stf *s, const struct cl_hash32 *h)
{
	static const uint8_t zero = 0;
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *mp;
	struct cl_twap_record t;
	struct cl_market_state ms;
	struct cl_order_record rec;
	struct cl_hash32 oh;
	uint8_t dk[TWAP_DUE_KEY_LEN];
	uint64_t target, want = 0, seq;
	int rc = cl_stf_get_twap(&v, &t, h);

	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (t.status != CL_TWAP_RUNNING || t.done >= t.slices)
		return CL_ERR_CORRUPT;
	mp = cl_genesis_market(&s->g, t.market);
	CL_REQUIRE(mp); /* the placement checked it */
	rc = cl_stf_get_market(&v, &ms, t.market);
	if (rc != CL_OK)
		return rc < 0 ? rc : CL_ERR_CORRUPT;

	/* the straight line: size x (k+1) / slices, the last slice all */
	if (t.done + 1 == t.slices) {
		target = t.size;
	} else {
		target = (uint64_t)((unsigned __int128)t.size * (t.done + 1) /
				    t.slices);
		target -= target % mp->step_size;
	}
	if (target > t.filled)
		want = target - t.filled;
	if (want > mp->max_order_size)
		want = mp->max_order_size - mp->max_order_size % mp->step_size;

	if (want > 0 && ms.mark_price > 0) {
		cl_stf_twap_slice_hash(&oh, h, t.done);
		rc = cl_stf_get_order(&v, &rec, &oh);
		if (rc == CL_OK)
			return CL_ERR_CORRUPT; /* one slice, one order */
		if (rc != CL_ERR_NOT_FOUND)
			return rc;
		memset(&rec, 0, sizeof(rec));
		rec.trader = t.trader;
		rec.market = t.market;
		rec.flags = (uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT) |
			    (t.reduce_only ? CL_ORDER_REDUCE_ONLY : 0);
		rec.is_buy = t.is_buy;
		rec.price = slice_limit(mp, ms.mark_price, t.is_buy,
					t.slippage_ppm);
		rec.size = want;
		rec.expiry = s->now_s + 1; /* lives for this slice only */
		rec.status = CL_ORDER_OPEN;
		rc = stf_get_global_u64(&v, &seq, G_NEXT_ORDER_SEQ);
		if (rc != CL_OK)
			return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
		/* PLACE_ORDER rule 9 (an IOC reserves nothing); a refused
		 * slice changes nothing and places nothing */
		struct cl_state_sp sp = cl_state_savepoint(s->st);
		rc = stf_place_check(s, &rec);
		if (rc < 0)
			return rc;
		if (rc > 0)
			cl_state_rollback_to(s->st, sp);
		if (rc == 0 && rec.price > 0 && seq < UINT64_MAX &&
		    s->now_s < UINT64_MAX) {
			stf_put_global_u64(s->st, G_NEXT_ORDER_SEQ, seq + 1);
			rec.sequence = seq;
			stf_put_order(s->st, &oh, &rec);
			stf_put_open(s->st, &rec, &oh);
			rc = stf_open_add(s, &rec, rec.size);
			if (rc == CL_OK)
				rc = stf_match_taker(s, NULL, &oh);
			if (rc == CL_OK)
				rc = cl_stf_get_order(&v, &rec, &oh);
			if (rc != CL_OK)
				return rc < 0 ? rc : CL_ERR_CORRUPT;
			t.filled += rec.filled; /* <= want <= size - filled */
		}
	}

	/* the slice ran (or had nothing to do): the next one, or the end */
	due_key(dk, t.next, h);
	cl_state_del(s->st, CL_TABLE_TWAP_DUE, dk, sizeof(dk));
	t.done++;
	if (t.done == t.slices || t.filled == t.size) {
		stop(s, &t, h, CL_TWAP_FINISHED);
		return CL_OK;
	}
	if (!cl_add_u64(&t.next, t.next, t.interval))
		t.next = UINT64_MAX;
	put_twap(s->st, h, &t);
	due_key(dk, t.next, h);
	cl_state_put(s->st, CL_TABLE_TWAP_DUE, dk, sizeof(dk), &zero, 1);
	return CL_OK;
}

int stf_twap_first_slice(struct cl_stf *s, const struct cl_hash32 *h)
{
	int rc = run_slice(s, h);
	if (rc > 0) {
		cl_broken("stf", "a twap slice could not run: %s",
			  cl_stf_err_str(rc));
		rc = CL_ERR_CORRUPT;
	}
	return rc;
}

int stf_run_twaps(struct cl_stf *s)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl, n = 0;
	struct cl_hash32 *h;
	int rc = cl_state_iter_new(&it, s->st, CL_TABLE_TWAP_DUE, NULL, 0);

	if (rc != CL_OK)
		return rc;
	h = cl_xcalloc(TWAPS_PER_PASS, sizeof(*h));
	/* one pass: the TWAPs due now, each one slice */
	while (n < TWAPS_PER_PASS &&
	       (rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != TWAP_DUE_KEY_LEN) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		if (cl_get_be64(k) > s->now_s)
			break;
		memcpy(h[n++].b, k + 8, 32);
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	enum cl_stf_fill_kind was = s->eng->fill_kind;
	s->eng->fill_kind = CL_STF_FILL_TWAP; /* the slices after the first */
	for (size_t i = 0; rc == CL_OK && i < n && !stf_budget_out(s); i++) {
		rc = run_slice(s, &h[i]);
		s->eng->risk_ops++;
	}
	s->eng->fill_kind = was;
	free(h);
	if (rc > 0) {
		cl_broken("stf", "a twap slice could not run: %s",
			  cl_stf_err_str(rc));
		rc = CL_ERR_CORRUPT;
	}
	return rc;
}
