/* SPDX-License-Identifier: MIT */
/*
 * Trigger orders (docs/protocol.md "TRIGGER_ORDER"): stop-market,
 * stop-limit, take-profit and stop-loss. A signed order waits, off the
 * book, until the market's mark reaches its trigger price; then the stf
 * places it (it arrives then: a new sequence) and matches it like any
 * order. Three committed tables hold them:
 *
 *   TRIGGERS       triggerHash -> the record (status kept after it left)
 *   TRIGGER_INDEX  market ‖ above ‖ sort key ‖ triggerHash -> 00: the
 *                  pending ones, in the order they fire: "above" ones by
 *                  trigger price rising, "below" ones by it falling (the
 *                  sort key is its complement)
 *   TRIGGER_OWNER  trader ‖ sequence -> triggerHash: the pending ones of
 *                  a trader (cancels by sequence, groups, positions, the
 *                  dead-man switch)
 *
 * A non-zero group links a trader's triggers in one market: when one
 * fires the others are cancelled (one-cancels-the-other, a TP/SL pair).
 * A position-bound trigger (TP/SL) is reduce-only and is cancelled as
 * soon as the trader's position in its market is flat or on the order's
 * side (stf_triggers_position, run whenever an account is re-indexed).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "stf";
static const char TRIGGERED_TAG[] = "clearline.trigger";

#define TRIGGER_VAL_LEN 77
#define TRIGGER_INDEX_KEY_LEN 45 /* market ‖ above ‖ key u64 ‖ hash */
#define TRIGGER_OWNER_KEY_LEN 28 /* trader ‖ sequence */
#define TRIGGERS_PER_PASS 256

const char *cl_trigger_status_str(int status)
{
	switch (status) {
	case CL_TRIGGER_PENDING:
		return "pending";
	case CL_TRIGGER_FIRED:
		return "triggered";
	case CL_TRIGGER_CANCELLED:
		return "cancelled";
	case CL_TRIGGER_EXPIRED:
		return "expired";
	case CL_TRIGGER_REFUSED:
		return "refused";
	}
	return "unknown";
}

void cl_stf_triggered_order_hash(struct cl_hash32 *out,
				 const struct cl_hash32 *trigger_hash)
{
	uint8_t b[sizeof(TRIGGERED_TAG) - 1 + 32];

	memcpy(b, TRIGGERED_TAG, sizeof(TRIGGERED_TAG) - 1);
	memcpy(b + sizeof(TRIGGERED_TAG) - 1, trigger_hash->b, 32);
	cl_keccak256(out->b, b, sizeof(b));
}

/* ---- records ---- */

int cl_stf_get_trigger(const struct cl_stf_view *v,
		       struct cl_trigger_record *out,
		       const struct cl_hash32 *trigger_hash)
{
	const uint8_t *b;
	size_t len;
	int rc = stf_view_get(v, &b, &len, CL_TABLE_TRIGGERS, trigger_hash->b,
			      32);

	memset(out, 0, sizeof(*out));
	if (rc != CL_OK)
		return rc;
	if (len != TRIGGER_VAL_LEN || b[24] > 1 || b[33] > 1 || b[67] > 1 ||
	    b[68] < CL_TRIGGER_PENDING || b[68] > CL_TRIGGER_REFUSED) {
		cl_broken(SUB, "stored trigger order is malformed");
		return CL_ERR_CORRUPT;
	}
	memcpy(out->trader.b, b, 20);
	out->market = cl_get_be32(b + 20);
	out->is_buy = b[24] == 1;
	out->trigger_price = cl_get_be64(b + 25);
	out->trigger_above = b[33] == 1;
	out->price = cl_get_be64(b + 34);
	out->size = cl_get_be64(b + 42);
	out->expiry = cl_get_be64(b + 50);
	out->flags = b[58];
	out->group = cl_get_be64(b + 59);
	out->position_bound = b[67] == 1;
	out->status = (enum cl_trigger_status)b[68];
	out->sequence = cl_get_be64(b + 69);
	return CL_OK;
}

static void put_trigger(struct cl_state *st, const struct cl_hash32 *h,
			const struct cl_trigger_record *t)
{
	uint8_t b[TRIGGER_VAL_LEN];

	memcpy(b, t->trader.b, 20);
	cl_put_be32(b + 20, t->market);
	b[24] = t->is_buy ? 1 : 0;
	cl_put_be64(b + 25, t->trigger_price);
	b[33] = t->trigger_above ? 1 : 0;
	cl_put_be64(b + 34, t->price);
	cl_put_be64(b + 42, t->size);
	cl_put_be64(b + 50, t->expiry);
	b[58] = t->flags;
	cl_put_be64(b + 59, t->group);
	b[67] = t->position_bound ? 1 : 0;
	b[68] = (uint8_t)t->status;
	cl_put_be64(b + 69, t->sequence);
	cl_state_put(st, CL_TABLE_TRIGGERS, h->b, 32, b, sizeof(b));
}

static void index_key(uint8_t k[TRIGGER_INDEX_KEY_LEN],
		      const struct cl_trigger_record *t,
		      const struct cl_hash32 *h)
{
	cl_put_be32(k, t->market);
	k[4] = t->trigger_above ? 1 : 0;
	cl_put_be64(k + 5, t->trigger_above ? t->trigger_price
					    : ~t->trigger_price);
	memcpy(k + 13, h->b, 32);
}

static void owner_key(uint8_t k[TRIGGER_OWNER_KEY_LEN],
		      const struct cl_address *trader, uint64_t seq)
{
	memcpy(k, trader->b, 20);
	cl_put_be64(k + 20, seq);
}

/* A pending trigger enters both indexes; one that leaves, neither. */
static void index_put(struct cl_state *st, const struct cl_trigger_record *t,
		      const struct cl_hash32 *h)
{
	static const uint8_t zero = 0;
	uint8_t ik[TRIGGER_INDEX_KEY_LEN], ok[TRIGGER_OWNER_KEY_LEN];

	index_key(ik, t, h);
	cl_state_put(st, CL_TABLE_TRIGGER_INDEX, ik, sizeof(ik), &zero, 1);
	owner_key(ok, &t->trader, t->sequence);
	cl_state_put(st, CL_TABLE_TRIGGER_OWNER, ok, sizeof(ok), h->b, 32);
}

static void index_del(struct cl_state *st, const struct cl_trigger_record *t,
		      const struct cl_hash32 *h)
{
	uint8_t ik[TRIGGER_INDEX_KEY_LEN], ok[TRIGGER_OWNER_KEY_LEN];

	index_key(ik, t, h);
	cl_state_del(st, CL_TABLE_TRIGGER_INDEX, ik, sizeof(ik));
	owner_key(ok, &t->trader, t->sequence);
	cl_state_del(st, CL_TABLE_TRIGGER_OWNER, ok, sizeof(ok));
}

void stf_trigger_unindex(struct cl_state *st,
			 const struct cl_trigger_record *t,
			 const struct cl_hash32 *h)
{
	index_del(st, t, h);
}

/* Leave the pending state with `status`. */
static void settle(struct cl_stf *s, struct cl_trigger_record *t,
		   const struct cl_hash32 *h, enum cl_trigger_status status)
{
	index_del(s->st, t, h);
	t->status = status;
	put_trigger(s->st, h, t);
}

int cl_stf_get_pending_triggers(const struct cl_stf_view *v,
				struct cl_hash32 *out, size_t cap, size_t *n,
				const struct cl_address *trader)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	*n = 0;
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	rc = v->state ? cl_state_iter_new(&it, v->state,
					  CL_TABLE_TRIGGER_OWNER, trader->b,
					  20)
		      : cl_snapshot_iter_new(&it, v->snapshot,
					     CL_TABLE_TRIGGER_OWNER, trader->b,
					     20);
	if (rc != CL_OK)
		return rc;
	while (*n < cap &&
	       (rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != TRIGGER_OWNER_KEY_LEN || memcmp(k, trader->b, 20))
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

/* Every pending trigger of `trader` (the caller frees *out). */
static int pending_all(struct cl_stf *s, struct cl_hash32 **out, size_t *n,
		       const struct cl_address *trader)
{
	struct cl_stf_view v = cl_stf_view(s);
	size_t cap = 16;
	int rc;

	for (;;) {
		*out = cl_xcalloc(cap, sizeof(**out));
		rc = cl_stf_get_pending_triggers(&v, *out, cap, n, trader);
		if (rc != CL_OK || *n < cap)
			return rc;
		free(*out);
		cap *= 4;
	}
}

/* `addr`'s position in `market` (0: none). */
static int position_of(struct cl_stf *s, int64_t *size,
		       const struct cl_address *addr, uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	int rc = cl_stf_get_positions(&v, pos, &n, addr);

	*size = 0;
	for (size_t i = 0; rc == CL_OK && i < n; i++)
		if (pos[i].market == market)
			*size = pos[i].size;
	return rc;
}

/* Would an order on `is_buy` reduce a position of `size`? */
static bool reduces(int64_t size, bool is_buy)
{
	return is_buy ? size < 0 : size > 0;
}

/* ---- TRIGGER_ORDER (the primitive) ---- */

int stf_apply_trigger_order(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_trigger_order *m = &tx->u.trigger.msg;
	const struct cl_hash32 *h = &tx->auth.digest;
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *mp;
	struct cl_trigger_record t;
	struct stf_acct acct;
	uint64_t latest, seq;
	int64_t pos;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = stf_check_authorized(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	mp = cl_genesis_market(&s->g, m->market);
	if (!mp)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (!cl_order_flags_valid(m->flags) ||
	    (m->position_bound && !(m->flags & CL_ORDER_REDUCE_ONLY)))
		return CL_STF_ERR_BAD_FLAGS;
	if (m->price == 0 || m->trigger_price == 0)
		return CL_STF_ERR_BAD_PRICE;
	if (m->price % mp->tick_size || m->trigger_price % mp->tick_size)
		return CL_STF_ERR_OFF_TICK;
	if (m->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	if (m->size % mp->step_size)
		return CL_STF_ERR_OFF_STEP;
	if (m->size > mp->max_order_size)
		return CL_STF_ERR_SIZE_TOO_LARGE;
	if (m->expiry <= s->now_s)
		return CL_STF_ERR_EXPIRED;
	if (!cl_add_u64(&latest, s->now_s, s->g.expiry_horizon))
		latest = UINT64_MAX;
	if (m->expiry > latest)
		return CL_STF_ERR_EXPIRY_TOO_FAR;
	rc = cl_stf_get_trigger(&v, &t, h);
	if (rc == CL_OK)
		return CL_STF_ERR_DUPLICATE_ORDER;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = stf_acct_load(s, &acct, &m->trader);
	if (rc != CL_OK)
		return rc;
	if (acct.acc.collateral <= 0 && acct.n == 0)
		return CL_STF_ERR_NO_COLLATERAL;
	if (m->position_bound) {
		rc = position_of(s, &pos, &m->trader, m->market);
		if (rc != CL_OK)
			return rc;
		if (pos == 0)
			return CL_STF_ERR_NO_POSITION;
		if (!reduces(pos, m->is_buy))
			return CL_STF_ERR_REDUCE_ONLY;
	}
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
	t.trigger_price = m->trigger_price;
	t.trigger_above = m->trigger_above;
	t.price = m->price;
	t.size = m->size;
	t.expiry = m->expiry;
	t.flags = m->flags;
	t.group = m->group;
	t.position_bound = m->position_bound;
	t.status = CL_TRIGGER_PENDING;
	t.sequence = seq;
	put_trigger(s->st, h, &t);
	index_put(s->st, &t, h);
	stf_prune_due(s->st, stf_prune_after_expiry(t.expiry),
		      STF_PRUNE_TRIGGER, h);
	return CL_STF_OK;
}

int stf_cancel_trigger(struct cl_stf *s, const struct cl_address *trader,
		       const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_trigger_record t;
	int rc = cl_stf_get_trigger(&v, &t, h);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_STF_ERR_UNKNOWN_ORDER;
	if (rc != CL_OK)
		return rc;
	if (!cl_address_eq(&t.trader, trader))
		return CL_STF_ERR_NOT_AUTHORIZED;
	if (t.status != CL_TRIGGER_PENDING)
		return CL_STF_ERR_ORDER_NOT_OPEN;
	settle(s, &t, h, CL_TRIGGER_CANCELLED);
	return CL_STF_OK;
}

int stf_trigger_by_seq(struct cl_stf *s, struct cl_hash32 *out,
		       const struct cl_address *trader, uint64_t seq)
{
	uint8_t k[TRIGGER_OWNER_KEY_LEN];
	const uint8_t *v;
	size_t vl;
	int rc;

	owner_key(k, trader, seq);
	rc = cl_state_get(s->st, &v, &vl, CL_TABLE_TRIGGER_OWNER, k,
			  sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(out->b, v, 32);
	return CL_OK;
}

/* Cancel every pending trigger of `trader` that `pick` selects; *count
 * (may be NULL) gets how many. */
static int cancel_where(struct cl_stf *s, size_t *count,
			const struct cl_address *trader,
			bool (*pick)(const struct cl_trigger_record *t,
				     const void *arg),
			const void *arg)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_hash32 *h = NULL;
	size_t n = 0;
	int rc = pending_all(s, &h, &n, trader);

	for (size_t i = 0; rc == CL_OK && i < n; i++) {
		struct cl_trigger_record t;
		rc = cl_stf_get_trigger(&v, &t, &h[i]);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_ERR_CORRUPT;
		if (rc != CL_OK)
			break;
		if (t.status != CL_TRIGGER_PENDING)
			continue;
		if (!pick(&t, arg))
			continue;
		settle(s, &t, &h[i], CL_TRIGGER_CANCELLED);
		if (count)
			(*count)++;
	}
	free(h);
	return rc;
}

static bool pick_all(const struct cl_trigger_record *t, const void *arg)
{
	(void)t;
	(void)arg;
	return true;
}

int stf_cancel_triggers_of(struct cl_stf *s, size_t *count,
			   const struct cl_address *trader)
{
	return cancel_where(s, count, trader, pick_all, NULL);
}

/* The position-bound triggers whose position no longer exists (the
 * positions of the trader, read once). */
struct pos_arg {
	size_t n;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
};

static bool pick_orphaned(const struct cl_trigger_record *t, const void *arg)
{
	const struct pos_arg *p = arg;
	int64_t size = 0;

	if (!t->position_bound)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->pos[i].market == t->market)
			size = p->pos[i].size;
	return !reduces(size, t->is_buy);
}

int stf_triggers_position(struct cl_stf *s, const struct cl_address *addr)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct pos_arg p;
	struct cl_hash32 one;
	size_t n;
	int rc;

	/* most accounts have no trigger: one look first */
	rc = cl_stf_get_pending_triggers(&v, &one, 1, &n, addr);
	if (rc != CL_OK || n == 0)
		return rc;
	rc = cl_stf_get_positions(&v, p.pos, &p.n, addr);
	if (rc != CL_OK)
		return rc;
	return cancel_where(s, NULL, addr, pick_orphaned, &p);
}

/* The others of a group, when one fires. */
struct group_arg {
	uint32_t market;
	uint64_t group;
};

static bool pick_group(const struct cl_trigger_record *t, const void *arg)
{
	const struct group_arg *g = arg;
	return t->market == g->market && t->group == g->group;
}

/* ---- firing ---- */

/* The pending triggers of `market` the mark has reached, in firing order
 * ("above" ones first), at most cap. */
static int reached(struct cl_stf *s, struct cl_hash32 *out, size_t cap,
		   size_t *n, uint32_t market, uint64_t mark)
{
	*n = 0;
	for (int above = 1; above >= 0; above--) {
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		uint8_t start[5];
		uint64_t limit = above ? mark : ~mark;
		int rc;

		cl_put_be32(start, market);
		start[4] = (uint8_t)above;
		rc = cl_state_iter_new(&it, s->st, CL_TABLE_TRIGGER_INDEX,
				       start, sizeof(start));
		if (rc != CL_OK)
			return rc;
		while (*n < cap && (rc = cl_state_iter_next(it, &k, &kl, &val,
							     &vl)) == CL_OK) {
			if (kl != TRIGGER_INDEX_KEY_LEN ||
			    memcmp(k, start, sizeof(start)) != 0)
				break;
			if (cl_get_be64(k + 5) > limit)
				break;
			memcpy(out[(*n)++].b, k + 13, 32);
		}
		cl_state_iter_free(it);
		if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
			return rc;
	}
	return CL_OK;
}

/* Fire one trigger: its group's others are cancelled, its order placed
 * and matched (or it expired, or its order is refused). */
static int fire(struct cl_stf *s, const struct cl_hash32 *h)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_trigger_record t;
	struct cl_order_record rec;
	struct cl_hash32 oh;
	struct cl_state_sp sp;
	uint64_t seq;
	int rc = cl_stf_get_trigger(&v, &t, h);

	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (t.status != CL_TRIGGER_PENDING)
		return CL_ERR_CORRUPT; /* the index said pending */
	if (t.expiry <= s->now_s) {
		settle(s, &t, h, CL_TRIGGER_EXPIRED);
		return CL_OK;
	}
	settle(s, &t, h, CL_TRIGGER_FIRED);
	if (t.group != 0) {
		struct group_arg g = {.market = t.market, .group = t.group};
		rc = cancel_where(s, NULL, &t.trader, pick_group, &g);
		if (rc != CL_OK)
			return rc;
	}

	/* the order, as PLACE_ORDER would store it, arriving now */
	cl_stf_triggered_order_hash(&oh, h);
	rc = cl_stf_get_order(&v, &rec, &oh);
	if (rc == CL_OK)
		return CL_ERR_CORRUPT; /* one trigger, one order */
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	memset(&rec, 0, sizeof(rec));
	rec.trader = t.trader;
	rec.market = t.market;
	rec.flags = t.flags;
	rec.is_buy = t.is_buy;
	rec.price = t.price;
	rec.size = t.size;
	rec.expiry = t.expiry;
	rec.status = CL_ORDER_OPEN;
	sp = cl_state_savepoint(s->st);
	rc = stf_place_check(s, &rec); /* collateral, open-order margin */
	if (rc > 0) {
		cl_state_rollback_to(s->st, sp);
		t.status = CL_TRIGGER_REFUSED;
		put_trigger(s->st, h, &t);
		return CL_OK;
	}
	if (rc != CL_OK)
		return rc;
	rc = stf_get_global_u64(&v, &seq, G_NEXT_ORDER_SEQ);
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (seq == UINT64_MAX) {
		cl_state_rollback_to(s->st, sp);
		t.status = CL_TRIGGER_REFUSED;
		put_trigger(s->st, h, &t);
		return CL_OK;
	}
	stf_put_global_u64(s->st, G_NEXT_ORDER_SEQ, seq + 1);
	rec.sequence = seq;
	stf_put_order(s->st, &oh, &rec);
	stf_put_open(s->st, &rec, &oh);
	rc = stf_open_add(s, &rec, rec.size);
	if (rc != CL_OK)
		return rc > 0 ? CL_ERR_CORRUPT : rc;
	rc = stf_match_taker(s, NULL, &oh);
	return rc > 0 ? CL_ERR_CORRUPT : rc;
}

int stf_run_triggers(struct cl_stf *s, uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_market_state ms;
	struct cl_hash32 *h;
	size_t n;
	int rc = cl_stf_get_market(&v, &ms, market);

	if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && ms.mark_price == 0))
		return CL_OK;
	if (rc != CL_OK)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	h = cl_xcalloc(TRIGGERS_PER_PASS, sizeof(*h));
	do {
		rc = reached(s, h, TRIGGERS_PER_PASS, &n, market,
			     ms.mark_price);
		for (size_t i = 0; rc == CL_OK && i < n; i++) {
			struct cl_trigger_record t;
			if (stf_budget_out(s)) {
				n = 0;
				break;
			}
			rc = cl_stf_get_trigger(&v, &t, &h[i]);
			if (rc != CL_OK)
				break;
			if (t.status != CL_TRIGGER_PENDING)
				continue; /* its group went first */
			enum cl_stf_fill_kind was = s->eng->fill_kind;
			s->eng->fill_kind = CL_STF_FILL_TRIGGER;
			rc = fire(s, &h[i]);
			s->eng->fill_kind = was;
			s->eng->risk_ops++;
		}
	} while (rc == CL_OK && n == TRIGGERS_PER_PASS);
	free(h);
	if (rc > 0) {
		cl_broken(SUB, "a trigger order could not be fired: %s",
			  cl_stf_err_str(rc));
		rc = CL_ERR_CORRUPT;
	}
	return rc;
}
