/* SPDX-License-Identifier: MIT */
/*
 * Matching a PLACE_ORDER against its market's book: every candidate fill
 * is applied at once as a FILL through the stf (which may veto it), and
 * IOC/FOK/post-only/self-trade outcomes become ORDER_DONE transactions.
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

/* How much of `side` would only reduce owner's position in `market`. */
int seq_reducible(struct cl_seq *s, uint64_t *out,
		  const struct cl_address *owner, uint32_t market,
		  enum book_side side)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	struct cl_stf_view view = cl_stf_view(s->stf);
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

void seq_note_maker(struct match_ctx *m, const struct cl_hash32 *h,
		    enum cl_done_reason reason)
{
	if (m->n_reasons == m->cap_reasons) {
		m->cap_reasons = m->cap_reasons ? 2 * m->cap_reasons : 16;
		m->reasons = cl_xrealloc(m->reasons,
					 m->cap_reasons * sizeof(*m->reasons));
	}
	m->reasons[m->n_reasons].maker = *h;
	m->reasons[m->n_reasons].reason = reason;
	m->n_reasons++;
}

enum cl_done_reason seq_maker_reason(const struct match_ctx *m,
				     const struct cl_hash32 *h)
{
	for (size_t i = m->n_reasons; i-- > 0;)
		if (cl_hash32_eq(&m->reasons[i].maker, h))
			return m->reasons[i].reason;
	return CL_DONE_MARGIN;
}

/*
 * The fill callback: each candidate is applied to the stf at once as a
 * FILL, so the next candidate sees its effect on margin and positions.
 */
static enum book_verdict on_candidate(void *arg, uint64_t *allowed,
				      const struct book_candidate *c)
{
	struct match_ctx *m = arg;
	struct cl_seq *s = m->s;
	uint64_t want = c->size.v, r;
	int rc;

	*allowed = 0;
	if (c->maker->expiry * 1000 <= s->hdr.timestamp_ms) {
		seq_note_maker(m, &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->taker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = seq_reducible(s, &r, &c->taker->owner, c->taker->market,
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
		rc = seq_reducible(s, &r, &c->maker->owner, c->maker->market,
				   c->maker->side);
		if (rc) {
			m->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			seq_note_maker(m, &c->maker->hash, CL_DONE_MARGIN);
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
	cl_tx_recover(&fill, cl_stf_domain(s->stf));
	rc = seq_apply_logged(s, &fill);
	if (rc == CL_STF_OK) {
		seq_push_fill(s, c, want);
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		m->sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	switch (cl_stf_fill_blame(s->stf)) {
	case CL_STF_BLAME_MAKER:
		seq_note_maker(m, &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	case CL_STF_BLAME_TAKER:
	case CL_STF_BLAME_NONE:
		break;
	}
	cl_debug(SUB, "fill refused (%s): taker stops", cl_stf_err_str(rc));
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

/* Returns 0, or a negative system error that aborts the block; *acked
 * tells whether the item already waits in the block's acks. */
int seq_process_place(struct cl_seq *s, struct item *it, bool *acked)
{
	const struct cl_tx *tx = &it->tx;
	const struct cl_order *o = &tx->u.place.order;
	int rc = seq_apply_logged(s, tx);

	if (rc > 0) {
		seq_reply_now(it, rc, tx);
		return 0;
	}
	if (rc < 0)
		return rc;

	const struct cl_hash32 *hash = &tx->auth.digest;
	struct cl_order_record rec;
	struct cl_stf_view view = cl_stf_view(s->stf);
	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	int mi = seq_market_index(&s->genesis, o->market);
	CL_REQUIRE(mi >= 0); /* the stf accepted the market */
	struct book *b = s->books[mi];

	struct book_order taker;
	seq_book_order_from(&taker, hash, &rec);
	struct ack *a = seq_push_ack(s, it, tx);
	*acked = true;
	a->r.order_hash = *hash;

	/* everything after the placement may be undone for FOK */
	struct cl_state_sp sp = cl_state_savepoint(s->st);
	size_t log_len = s->block_txs.len, log_n = s->block_ntx;
	size_t fills_mark = s->n_fills;
	struct match_ctx m = {.s = s, .place = tx,
			      .taker_reason = CL_DONE_MARGIN};

	enum book_code bc = book_match(b, &s->plan, &taker, on_candidate, &m);
	if (bc != BOOK_OK) {
		/* the stf and the book disagree on validity: a bug */
		cl_broken(SUB, "book refused an order the stf accepted: %s",
			  book_code_str(bc));
		free(m.reasons);
		return CL_ERR_CORRUPT;
	}
	if (m.sys_err) {
		book_discard(&s->plan);
		free(m.reasons);
		return m.sys_err;
	}
	enum book_outcome out = s->plan.outcome;
	if (out == BOOK_REJECTED_FOK || out == BOOK_REJECTED_POST_ONLY) {
		book_discard(&s->plan);
		cl_state_rollback_to(s->st, sp);
		s->block_txs.len = log_len;
		s->block_ntx = log_n;
		s->n_fills = fills_mark;
		rc = seq_apply_done(s, hash, taker_done_reason(out, &m));
	} else {
		pthread_rwlock_wrlock(&s->books_lock);
		book_commit(b, &s->plan);
		pthread_rwlock_unlock(&s->books_lock);
		if (out == BOOK_RESTING)
			seq_exp_push(s, rec.expiry, hash, (uint32_t)mi);
		rc = 0;
		for (size_t i = 0; i < s->plan.n_cancels && rc >= 0; i++) {
			const struct book_cancel *c = &s->plan.cancels[i];
			enum cl_done_reason why =
				c->reason == BOOK_CANCEL_SELF_TRADE
					? CL_DONE_SELF_TRADE
					: seq_maker_reason(&m, &c->maker);
			rc = seq_apply_done(s, &c->maker, why);
		}
		if (rc >= 0 && (out == BOOK_CANCELLED_IOC ||
				out == BOOK_CANCELLED_STOPPED ||
				out == BOOK_CANCELLED_CROSSING))
			rc = seq_apply_done(s, hash,
					    taker_done_reason(out, &m));
	}
	free(m.reasons);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return CL_ERR_CORRUPT; /* logged as broken by apply_done */

	view = cl_stf_view(s->stf);
	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	a = &s->acks[s->n_acks - 1];
	a->r.status = rec.status;
	a->r.filled = rec.filled;
	a->r.n_fills = s->n_fills - a->fills_off;
	if (rec.status == CL_ORDER_DONE)
		a->r.done_reason = taker_done_reason(out, &m);
	return 0;
}
