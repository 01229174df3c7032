/* SPDX-License-Identifier: MIT */
/*
 * A placed order against the book (docs/protocol.md "Derived
 * transitions"): the order is placed (PLACE_ORDER rules), then the book
 * offers its makers by price and time and each is settled at once as a
 * FILL, so the next one sees its effect on margin and positions. Makers
 * that expired or can no longer trade are closed on the way; the taker's
 * remainder rests (GTC) or is closed (IOC, FOK, post-only, margin).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "stf";

struct match_ctx {
	struct cl_stf *s;
	enum cl_done_reason taker_reason;
	int sys_err;
	struct stf_maker_reason *reasons;
	size_t n_reasons, cap_reasons;
};

int stf_reducible(struct cl_stf *s, uint64_t *out,
		  const struct cl_address *owner, uint32_t market,
		  enum book_side side)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	struct cl_stf_view view = cl_stf_view(s);
	int rc = cl_stf_get_positions(&view, pos, &n, owner);

	*out = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (pos[i].market != market)
			continue;
		if (side == BOOK_BUY && pos[i].size < 0)
			*out = (uint64_t)(-(pos[i].size + 1)) + 1;
		if (side == BOOK_SELL && pos[i].size > 0)
			*out = (uint64_t)pos[i].size;
	}
	return CL_OK;
}

void stf_note_maker(struct stf_maker_reason **v, size_t *n, size_t *cap,
		    const struct cl_hash32 *h, enum cl_done_reason reason)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = cl_xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n].maker = *h;
	(*v)[*n].reason = reason;
	(*n)++;
}

enum cl_done_reason stf_maker_reason(const struct stf_maker_reason *v,
				     size_t n, const struct cl_hash32 *h)
{
	for (size_t i = n; i-- > 0;)
		if (cl_hash32_eq(&v[i].maker, h))
			return v[i].reason;
	return CL_DONE_MARGIN;
}

int stf_close_cancelled(struct cl_stf *s, const struct book_plan *plan,
			const struct stf_maker_reason *v, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < plan->n_cancels && rc == 0; i++) {
		const struct book_cancel *c = &plan->cancels[i];
		enum cl_done_reason why = CL_DONE_MARGIN;
		switch (c->reason) {
		case BOOK_CANCEL_SELF_TRADE:
			why = CL_DONE_SELF_TRADE;
			break;
		case BOOK_CANCEL_CALLBACK:
			why = stf_maker_reason(v, n, &c->maker);
			break;
		}
		rc = stf_derive_done(s, &c->maker, why);
	}
	return rc;
}

static void push_fill(struct cl_stf *s, const struct book_candidate *c,
		      uint64_t size)
{
	struct stf_engine *e = s->eng;

	if (e->n_fills == e->cap_fills) {
		e->cap_fills = e->cap_fills ? 2 * e->cap_fills : 64;
		e->fills = cl_xrealloc(e->fills,
				       e->cap_fills * sizeof(*e->fills));
	}
	struct cl_stf_fill *f = &e->fills[e->n_fills++];
	f->maker = c->maker->hash;
	f->maker_owner = c->maker->owner;
	f->price = c->price.v;
	f->size = size;
}

static enum book_verdict on_candidate(void *arg, uint64_t *allowed,
				      const struct book_candidate *c)
{
	struct match_ctx *m = arg;
	struct cl_stf *s = m->s;
	uint64_t want = c->size.v, r;
	int rc;

	*allowed = 0;
	if (c->maker->expiry <= s->now_s) {
		stf_note_maker(&m->reasons, &m->n_reasons, &m->cap_reasons,
			       &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->taker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = stf_reducible(s, &r, &c->taker->owner, c->taker->market,
				   c->taker->side);
		if (rc) {
			m->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			m->taker_reason = CL_DONE_MARGIN;
			return BOOK_STOP_TAKER;
		}
		if (want > r)
			want = r;
	}
	if (c->maker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = stf_reducible(s, &r, &c->maker->owner, c->maker->market,
				   c->maker->side);
		if (rc) {
			m->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			stf_note_maker(&m->reasons, &m->n_reasons,
				       &m->cap_reasons, &c->maker->hash,
				       CL_DONE_MARGIN);
			return BOOK_CANCEL_MAKER;
		}
		if (want > r)
			want = r;
	}
	if (want == 0) {
		m->taker_reason = CL_DONE_MARGIN;
		return BOOK_STOP_TAKER;
	}

	struct cl_tx fill;
	memset(&fill, 0, sizeof(fill));
	fill.type = CL_TX_FILL;
	fill.u.fill.maker = c->maker->hash;
	fill.u.fill.taker = c->taker->hash;
	fill.u.fill.size = want;
	rc = stf_derive(s, &fill);
	if (rc == CL_STF_OK) {
		push_fill(s, c, want);
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		m->sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	switch (cl_stf_fill_blame(s)) {
	case CL_STF_BLAME_MAKER:
		stf_note_maker(&m->reasons, &m->n_reasons, &m->cap_reasons,
			       &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	case CL_STF_BLAME_TAKER:
	case CL_STF_BLAME_NONE:
		break;
	}
	m->taker_reason = CL_DONE_MARGIN;
	return BOOK_STOP_TAKER;
}

static enum cl_done_reason taker_done_reason(enum book_outcome o,
					     const struct match_ctx *m)
{
	switch (o) {
	case BOOK_CANCELLED_IOC:
		return CL_DONE_IOC_REMAINDER;
	case BOOK_REJECTED_FOK:
		return CL_DONE_FOK_UNFILLED;
	case BOOK_REJECTED_POST_ONLY:
		return CL_DONE_POST_ONLY_CROSS;
	case BOOK_CANCELLED_STOPPED:
	case BOOK_CANCELLED_CROSSING:
	case BOOK_FILLED:
	case BOOK_RESTING:
		break;
	}
	return m->taker_reason;
}

int stf_place(struct cl_stf *s, struct cl_stf_result *r,
	      const struct cl_tx *tx)
{
	int rc = stf_apply_primitive(s, tx);

	if (rc)
		return rc;
	return stf_match_taker(s, r, &tx->auth.digest);
}

int stf_match_taker(struct cl_stf *s, struct cl_stf_result *r,
		    const struct cl_hash32 *hash)
{
	struct stf_engine *e = s->eng;
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_order_record rec;
	struct book_order taker;
	int rc;

	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	int mi = stf_market_index(&s->g, rec.market);
	CL_REQUIRE(mi >= 0); /* the placement checked the market */
	stf_book_order_from(&taker, hash, &rec);

	/* everything after the placement is undone for FOK and post-only */
	struct cl_state_sp sp = cl_state_savepoint(s->st);
	size_t n_bfills = e->n_bfills;
	struct match_ctx m = {.s = s, .taker_reason = CL_DONE_MARGIN};
	enum book_code bc = book_match(e->books[mi], &e->plan, &taker,
				       on_candidate, &m);
	if (bc != BOOK_OK) {
		/* the placement rules and the book disagree: a bug */
		cl_broken(SUB, "book refused an order the stf accepted: %s",
			  book_code_str(bc));
		free(m.reasons);
		return CL_ERR_CORRUPT;
	}
	if (m.sys_err) {
		book_discard(&e->plan);
		free(m.reasons);
		return m.sys_err;
	}
	enum book_outcome out = e->plan.outcome;
	switch (out) {
	case BOOK_REJECTED_FOK:
	case BOOK_REJECTED_POST_ONLY:
		book_discard(&e->plan);
		cl_state_rollback_to(s->st, sp);
		e->n_fills = 0;
		stf_block_fills_truncate(s, n_bfills);
		rc = stf_derive_done(s, hash, taker_done_reason(out, &m));
		break;
	case BOOK_FILLED:
	case BOOK_RESTING:
	case BOOK_CANCELLED_IOC:
	case BOOK_CANCELLED_STOPPED:
	case BOOK_CANCELLED_CROSSING:
		stf_book_commit(s, (uint32_t)mi);
		if (out == BOOK_RESTING)
			stf_exp_push(e, rec.expiry, hash, (uint32_t)mi);
		rc = stf_close_cancelled(s, &e->plan, m.reasons, m.n_reasons);
		if (rc == 0 && out != BOOK_FILLED && out != BOOK_RESTING)
			rc = stf_derive_done(s, hash,
					     taker_done_reason(out, &m));
		break;
	}
	free(m.reasons);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;

	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	if (r) {
		r->order_hash = *hash;
		r->status = rec.status;
		r->filled = rec.filled;
		if (rec.status == CL_ORDER_DONE)
			r->done_reason = taker_done_reason(out, &m);
		r->n_fills = e->n_fills;
		r->fills = e->n_fills ? e->fills : NULL;
	}
	return CL_STF_OK;
}
