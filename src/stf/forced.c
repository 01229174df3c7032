/* SPDX-License-Identifier: MIT */
/*
 * Forced requests (docs/protocol.md "FORCED"): what an account asked for
 * on L1 with forceRequest(), applied in L1 id order. A forced request is
 * never refused once its id is the next one: each kind has its own rule
 * and every outcome, including "nothing to do", is written to the
 * committed FORCED table, so verifiers check it through the state root.
 *
 *  WITHDRAW    pays min(amount, margin_withdrawable) to the account's own
 *              L1 address (a withdrawal record as WITHDRAW makes; the
 *              action nonce is not used)
 *  CANCEL      cancels the open order with that sequence, if any
 *  CANCEL_ALL  cancels every open order of the account
 *  CLOSE       places a reduce-only IOC order for the whole position (at
 *              most max_order_size) at the limit, rounded to the tick in
 *              the account's favour; the book fills what it can, the rest
 *              is closed; nothing is forced on other accounts
 *
 * The primitive part (stf_apply_forced, through cl_stf_apply) changes the
 * state; the request part (stf_forced) keeps the books in step and runs
 * the close's match, then completes the close's record.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char FORCED_ORDER_TAG[] = "clearline.forced.close";

const char *cl_forced_kind_str(int kind)
{
	switch (kind) {
	case CL_FORCED_WITHDRAW:
		return "withdraw";
	case CL_FORCED_CANCEL:
		return "cancel";
	case CL_FORCED_CANCEL_ALL:
		return "cancel_all";
	case CL_FORCED_CLOSE:
		return "close";
	}
	return "unknown";
}

const char *cl_forced_outcome_str(int outcome)
{
	switch (outcome) {
	case CL_FORCED_DONE:
		return "done";
	case CL_FORCED_PARTIAL:
		return "partial";
	case CL_FORCED_NOTHING:
		return "nothing";
	}
	return "unknown";
}

void stf_forced_order_hash(struct cl_hash32 *out, uint64_t id)
{
	uint8_t b[sizeof(FORCED_ORDER_TAG) - 1 + 8];

	memcpy(b, FORCED_ORDER_TAG, sizeof(FORCED_ORDER_TAG) - 1);
	cl_put_be64(b + sizeof(FORCED_ORDER_TAG) - 1, id);
	cl_keccak256(out->b, b, sizeof(b));
}

/* ---- the FORCED table: id u64 -> account ‖ kind ‖ outcome ‖ value ---- */

void stf_put_forced(struct cl_state *st, uint64_t id,
		    const struct cl_forced_record *r)
{
	uint8_t k[8], b[FORCED_VAL_LEN];

	cl_put_be64(k, id);
	memcpy(b, r->account.b, 20);
	b[20] = (uint8_t)r->kind;
	b[21] = (uint8_t)r->outcome;
	cl_put_be64(b + 22, r->value);
	b[30] = 0; /* reserved */
	cl_state_put(st, CL_TABLE_FORCED, k, sizeof(k), b, sizeof(b));
}

int cl_stf_get_forced(const struct cl_stf_view *v,
		      struct cl_forced_record *out, uint64_t id)
{
	const uint8_t *b;
	size_t len;
	uint8_t k[8];
	int rc;

	memset(out, 0, sizeof(*out));
	cl_put_be64(k, id);
	rc = stf_view_get(v, &b, &len, CL_TABLE_FORCED, k, sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (len != FORCED_VAL_LEN || b[20] == 0 ||
	    b[20] > CL_FORCED_KIND_MAX || b[21] == 0 ||
	    b[21] > CL_FORCED_OUTCOME_MAX || b[30] != 0) {
		cl_broken("stf", "stored forced record %llu is malformed",
			  (unsigned long long)id);
		return CL_ERR_CORRUPT;
	}
	memcpy(out->account.b, b, 20);
	out->kind = (enum cl_forced_kind)b[20];
	out->outcome = (enum cl_forced_outcome)b[21];
	out->value = cl_get_be64(b + 22);
	return CL_OK;
}

/* ---- the kinds (state only) ---- */

static int forced_withdraw(struct cl_stf *s, struct cl_forced_record *r,
			   const struct cl_tx_forced *f)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_health h;
	struct stf_acct sa;
	uint64_t id, pay;
	int64_t can;
	int rc;

	rc = stf_acct_load(s, &sa, &f->account);
	if (rc == CL_OK)
		rc = stf_settle(s, &sa);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, &sa.addr, sa.acc.collateral, sa.pos,
				sa.n);
	/* what the open orders reserve stays, as for WITHDRAW */
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, &f->account, sa.pos, sa.n,
				  NULL);
	if (rc != CL_OK)
		return rc;
	can = margin_withdrawable(&h);
	pay = can > 0 ? (uint64_t)can : 0;
	if (pay > f->amount)
		pay = f->amount;
	r->value = pay;
	r->outcome = pay == f->amount ? CL_FORCED_DONE
		     : pay > 0	       ? CL_FORCED_PARTIAL
				       : CL_FORCED_NOTHING;
	if (pay == 0)
		return CL_OK;
	rc = stf_get_global_u64(&v, &id, G_NEXT_WITHDRAWAL);
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (id == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, G_NEXT_WITHDRAWAL, id + 1);
	/* pay <= withdrawable <= collateral: no overflow */
	sa.acc.collateral -= (int64_t)pay;
	stf_put_account(s->st, &f->account, &sa.acc);
	stf_put_withdrawal(s->st, id, &f->account, pay);
	return stf_reindex(s, &f->account);
}

/* Cancel the open order `hash` of the account (status CANCELLED, its
 * reservation released, out of the open-order index). */
static int cancel_one(struct cl_stf *s, const struct cl_hash32 *hash)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_order_record o;
	int rc = cl_stf_get_order(&v, &o, hash);

	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (o.status != CL_ORDER_OPEN)
		return CL_ERR_CORRUPT; /* the open index said it was */
	rc = stf_open_release(s, &o, o.size - o.filled);
	if (rc != CL_OK)
		return rc;
	o.status = CL_ORDER_CANCELLED;
	stf_put_order(s->st, hash, &o);
	stf_del_open(s->st, &o);
	return CL_OK;
}

/* The open order of `account` with sequence `seq`: *found. */
static int open_by_seq(struct cl_stf *s, struct cl_hash32 *out, bool *found,
		       const struct cl_address *account, uint64_t seq)
{
	uint8_t key[OPEN_KEY_LEN];
	const uint8_t *v;
	size_t vl;
	int rc;

	*found = false;
	memcpy(key, account->b, 20);
	cl_put_be64(key + 20, seq);
	rc = cl_state_get(s->st, &v, &vl, CL_TABLE_ORDERS, key, sizeof(key));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(out->b, v, 32);
	*found = true;
	return CL_OK;
}

/* Every open order of `account`, in arrival order; *n gets the count
 * (the caller frees *out). */
static int open_all(struct cl_stf *s, struct cl_hash32 **out, size_t *n,
		    const struct cl_address *account)
{
	struct cl_stf_view v = cl_stf_view(s);
	size_t cap = 64;
	int rc;

	for (;;) {
		*out = cl_xcalloc(cap, sizeof(**out));
		rc = cl_stf_get_open_orders(&v, *out, cap, n, account);
		if (rc != CL_OK || *n < cap)
			return rc;
		free(*out);
		cap *= 4;
	}
}

static int forced_cancel(struct cl_stf *s, struct cl_forced_record *r,
			 const struct cl_tx_forced *f)
{
	struct cl_hash32 *h = NULL;
	size_t n = 0;
	int rc;

	if (f->kind == CL_FORCED_CANCEL) {
		struct cl_hash32 one;
		bool found;
		rc = open_by_seq(s, &one, &found, &f->account, f->order_seq);
		if (rc != CL_OK)
			return rc;
		if (found) {
			h = cl_xcalloc(1, sizeof(*h));
			h[0] = one;
			n = 1;
		}
	} else {
		rc = open_all(s, &h, &n, &f->account);
		if (rc != CL_OK) {
			free(h);
			return rc;
		}
	}
	for (size_t i = 0; i < n && rc == CL_OK; i++)
		rc = cancel_one(s, &h[i]);
	free(h);
	/* CANCEL_ALL takes the account's trigger and TWAP orders too */
	if (rc == CL_OK && f->kind == CL_FORCED_CANCEL_ALL)
		rc = stf_cancel_triggers_of(s, &n, &f->account);
	if (rc == CL_OK && f->kind == CL_FORCED_CANCEL_ALL)
		rc = stf_cancel_twaps_of(s, &n, &f->account);
	r->value = n;
	r->outcome = n > 0 ? CL_FORCED_DONE : CL_FORCED_NOTHING;
	return rc;
}

/* The close's limit on the tick grid in the account's favour: a buy at
 * or below the limit, a sell at or above it. False when none exists. */
static bool close_price(uint64_t *out, uint64_t limit, uint64_t tick,
			bool is_buy)
{
	uint64_t below = limit - limit % tick;

	if (is_buy || below == limit) {
		*out = below;
		return below > 0;
	}
	return cl_add_u64(out, below, tick);
}

static int forced_close(struct cl_stf *s, struct cl_forced_record *r,
			const struct cl_tx_forced *f, uint64_t id)
{
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *m = cl_genesis_market(&s->g, f->market);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	struct cl_order_record rec;
	struct cl_hash32 hash;
	uint64_t size = 0, price, seq;
	size_t n;
	int rc;

	r->outcome = CL_FORCED_NOTHING;
	r->value = 0;
	if (!m)
		return CL_OK;
	rc = cl_stf_get_positions(&v, pos, &n, &f->account);
	if (rc != CL_OK)
		return rc;
	memset(&rec, 0, sizeof(rec));
	for (size_t i = 0; i < n; i++) {
		if (pos[i].market != f->market || pos[i].size == 0)
			continue;
		rec.is_buy = pos[i].size < 0;
		size = rec.is_buy ? (uint64_t)(-(pos[i].size + 1)) + 1
				  : (uint64_t)pos[i].size;
	}
	if (size > m->max_order_size)
		size = m->max_order_size;
	size -= size % m->step_size;
	if (size == 0 || !close_price(&price, f->price, m->tick_size,
				      rec.is_buy))
		return CL_OK;

	stf_forced_order_hash(&hash, id);
	struct cl_order_record old;
	rc = cl_stf_get_order(&v, &old, &hash);
	if (rc == CL_OK)
		return CL_ERR_CORRUPT; /* one id, one close */
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = stf_get_global_u64(&v, &seq, G_NEXT_ORDER_SEQ);
	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	if (seq == UINT64_MAX || s->now_s == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, G_NEXT_ORDER_SEQ, seq + 1);
	rec.trader = f->account;
	rec.market = f->market;
	rec.flags = CL_ORDER_REDUCE_ONLY | CL_TIF_IOC << CL_ORDER_TIF_SHIFT;
	rec.price = price;
	rec.size = size;
	rec.filled = 0;
	rec.expiry = s->now_s + 1; /* lives for this request only */
	rec.status = CL_ORDER_OPEN;
	rec.sequence = seq;
	stf_put_order(s->st, &hash, &rec);
	stf_put_open(s->st, &rec, &hash);
	/* reduce-only: reserves nothing; the match fills in the outcome */
	return stf_open_add(s, &rec, rec.size);
}

int stf_apply_forced(struct cl_stf *s, const struct cl_tx_forced *f)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_forced_record r;
	struct cl_state_sp sp;
	uint64_t next;
	int rc;

	/* what cl_tx_decode() accepts: a kind, its fields */
	CL_REQUIRE(f->kind >= 1 && f->kind <= CL_FORCED_KIND_MAX);
	rc = stf_get_global_u64(&v, &next, G_FORCED_CONSUMED);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (f->id != next)
		return CL_STF_ERR_FORCED_OUT_OF_ORDER;
	if (next == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, G_FORCED_CONSUMED, next + 1);

	memset(&r, 0, sizeof(r));
	r.account = f->account;
	r.kind = f->kind;
	sp = cl_state_savepoint(s->st);
	size_t n_bfills = s->eng->n_bfills;
	switch (f->kind) {
	case CL_FORCED_WITHDRAW:
		rc = forced_withdraw(s, &r, f);
		break;
	case CL_FORCED_CANCEL:
	case CL_FORCED_CANCEL_ALL:
		rc = forced_cancel(s, &r, f);
		break;
	case CL_FORCED_CLOSE:
		rc = forced_close(s, &r, f, f->id);
		break;
	}
	if (rc < 0)
		return rc;
	if (rc > 0) {
		/* e.g. an overflow settling funding: the request is still
		 * consumed, with nothing done */
		cl_state_rollback_to(s->st, sp);
		stf_block_fills_truncate(s, n_bfills);
		r.outcome = CL_FORCED_NOTHING;
		r.value = 0;
	}
	stf_put_forced(s->st, f->id, &r);
	return CL_STF_OK;
}

/* ---- the request: books and the close's match ---- */

int stf_forced(struct cl_stf *s, struct cl_stf_result *out,
	       const struct cl_tx *tx)
{
	const struct cl_tx_forced *f = &tx->u.forced;
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_forced_record r;
	struct cl_hash32 *before = NULL;
	size_t n_before = 0;
	int rc;

	/* the orders that may leave the books: the account's open ones */
	if (f->kind == CL_FORCED_CANCEL || f->kind == CL_FORCED_CANCEL_ALL) {
		rc = open_all(s, &before, &n_before, &f->account);
		if (rc != CL_OK) {
			free(before);
			return rc;
		}
	}
	rc = stf_apply_primitive(s, tx);
	if (rc != CL_OK) {
		free(before);
		return rc; /* out of order: refused, nothing changed */
	}
	for (size_t i = 0; rc == CL_OK && i < n_before; i++) {
		struct cl_order_record o;
		rc = cl_stf_get_order(&view, &o, &before[i]);
		if (rc != CL_OK)
			break;
		if (o.status == CL_ORDER_OPEN)
			continue;
		int mi = stf_market_index(&s->g, o.market);
		CL_REQUIRE(mi >= 0);
		stf_book_remove(s, (uint32_t)mi, &before[i]);
	}
	free(before);
	if (rc == CL_OK)
		rc = cl_stf_get_forced(&view, &r, f->id);
	if (rc != CL_OK)
		return rc < 0 || rc == CL_ERR_NOT_FOUND ? rc : CL_ERR_CORRUPT;

	if (f->kind == CL_FORCED_CLOSE) {
		struct cl_order_record o;
		struct cl_hash32 hash;
		stf_forced_order_hash(&hash, f->id);
		rc = cl_stf_get_order(&view, &o, &hash);
		if (rc == CL_OK) {
			/* placed: match it against the book */
			rc = stf_match_taker(s, out, &hash);
			if (rc == CL_OK)
				rc = cl_stf_get_order(&view, &o, &hash);
			if (rc != CL_OK)
				return rc < 0 ? rc : CL_ERR_CORRUPT;
			uint64_t left;
			rc = stf_reducible(s, &left, &f->account, f->market,
					   o.is_buy ? BOOK_BUY : BOOK_SELL);
			if (rc != CL_OK)
				return rc < 0 ? rc : CL_ERR_CORRUPT;
			r.value = o.filled;
			r.outcome = o.filled == 0 ? CL_FORCED_NOTHING
				    : left == 0	  ? CL_FORCED_DONE
						  : CL_FORCED_PARTIAL;
			stf_put_forced(s->st, f->id, &r);
		} else if (rc != CL_ERR_NOT_FOUND) {
			return rc;
		}
	}
	if (out) {
		out->forced_outcome = r.outcome;
		out->forced_value = r.value;
		if (f->kind == CL_FORCED_WITHDRAW && r.value > 0) {
			struct cl_stf_globals g;
			rc = cl_stf_get_globals(&view, &g);
			if (rc != CL_OK)
				return rc < 0 ? rc : CL_ERR_CORRUPT;
			out->withdrawal_id = g.next_withdrawal_id - 1;
		}
	}
	return CL_STF_OK;
}
