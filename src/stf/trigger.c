/* SPDX-License-Identifier: MIT */
/*
 * Work the rules make due without anyone asking (docs/protocol.md
 * "Derived transitions", docs/liquidation.md): expired resting orders
 * leave the book when a block opens; accounts below maintenance are
 * liquidated after every price change and when a block opens (each slice
 * to the book first, then to the insurance fund, then to the re-scored
 * ADL ranking); accounts in several markets are swept a slice at a time;
 * the insurance fund unwinds what it inherited on the book. Every step is
 * a primitive transition checked like any other, and all of it is
 * bounded by the block's budget (CL_STF_DERIVED_PER_BLOCK).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "stf";

#define LIQ_CANDIDATES 1024
#define LIQ_STEPS_PER_ACCOUNT 256
#define LIQ_ROUNDS 4 /* candidate rounds of one pass */
#define REINDEX_SIDE_MAX 2048
#define MULTI_SWEEP_PER_BLOCK 1024
/* GLOBALS: where the multi-market sweep goes on (an address; absent:
 * from the first account) */
#define G_MULTI_CURSOR "liq_multi_cursor"

/* What the risk fill callback learns while a liquidation or an unwind
 * walks the book. */
struct risk_ctx {
	struct cl_stf *s;
	const struct cl_address *account; /* NULL: the insurance fund */
	int sys_err;
	struct stf_maker_reason *reasons;
	size_t n_reasons, cap_reasons;
};

/* Each candidate is applied at once as a LIQUIDATE_FILL (FUND_FILL),
 * which checks the price limit, the maker's margin and the account. */
static enum book_verdict on_risk_candidate(void *arg, uint64_t *allowed,
					   const struct book_candidate *c)
{
	struct risk_ctx *rx = arg;
	struct cl_stf *s = rx->s;
	uint64_t want = c->size.v, r;
	struct cl_tx tx;
	int rc;

	*allowed = 0;
	if (stf_budget_out(s))
		return BOOK_STOP_TAKER;
	if (c->maker->expiry <= s->now_s) {
		stf_note_maker(&rx->reasons, &rx->n_reasons, &rx->cap_reasons,
			       &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->maker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = stf_reducible(s, &r, &c->maker->owner, c->maker->market,
				   c->maker->side);
		if (rc) {
			rx->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			stf_note_maker(&rx->reasons, &rx->n_reasons,
				       &rx->cap_reasons, &c->maker->hash,
				       CL_DONE_MARGIN);
			return BOOK_CANCEL_MAKER;
		}
		if (want > r)
			want = r;
	}
	memset(&tx, 0, sizeof(tx));
	if (rx->account) {
		tx.type = CL_TX_LIQUIDATE_FILL;
		tx.u.liquidate_fill.account = *rx->account;
		tx.u.liquidate_fill.maker = c->maker->hash;
		tx.u.liquidate_fill.size = want;
	} else {
		tx.type = CL_TX_FUND_FILL;
		tx.u.fund_fill.maker = c->maker->hash;
		tx.u.fund_fill.size = want;
	}
	rc = stf_derive(s, &tx);
	if (rc == CL_STF_OK) {
		s->eng->risk_ops++;
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		rx->sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	if (cl_stf_fill_blame(s) == CL_STF_BLAME_MAKER) {
		stf_note_maker(&rx->reasons, &rx->n_reasons, &rx->cap_reasons,
			       &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	}
	/* beyond the limit, healthy again, ...: the rest goes elsewhere */
	return BOOK_STOP_TAKER;
}

/*
 * Walk the book of `market` with an IOC taker for `account` (NULL: the
 * insurance fund) closing `size` on `is_buy` at prices no worse than
 * `limit`. *filled gets how much the book took. Returns 0 or a negative
 * system error.
 */
static int risk_sweep(struct cl_stf *s, const struct cl_address *account,
		      uint32_t market, bool is_buy, uint64_t size,
		      uint64_t limit, uint64_t *filled)
{
	struct stf_engine *e = s->eng;
	int mi = stf_market_index(&s->g, market);
	const struct book_params *bp;
	struct book_order taker;
	struct risk_ctx rx;
	int rc;

	*filled = 0;
	if (mi < 0 || limit == 0)
		return 0;
	bp = book_params(e->books[mi]);
	if (size > bp->max_size)
		size = bp->max_size - bp->max_size % bp->step;
	if (size < bp->min_size)
		return 0;
	if (is_buy && limit > bp->max_price)
		limit = bp->max_price - bp->max_price % bp->tick;
	if (!is_buy && limit < bp->min_price)
		limit = bp->min_price;
	if (limit < bp->min_price || limit > bp->max_price)
		return 0;

	memset(&taker, 0, sizeof(taker));
	if (account)
		taker.owner = *account;
	taker.hash.b[0] = 0xff; /* never an order hash the book holds */
	memcpy(taker.hash.b + 1, taker.owner.b, 20);
	cl_put_be32(taker.hash.b + 21, market);
	taker.market = market;
	taker.side = is_buy ? BOOK_BUY : BOOK_SELL;
	taker.price.v = limit;
	taker.size.v = size;
	taker.flags = (uint8_t)(BOOK_IOC << BOOK_FLAG_TIF_SHIFT);
	taker.expiry = UINT64_MAX;

	memset(&rx, 0, sizeof(rx));
	rx.s = s;
	rx.account = account;
	enum book_code bc = book_match_outside(e->books[mi], &e->plan, &taker,
					       on_risk_candidate, &rx);
	if (bc != BOOK_OK) {
		cl_broken(SUB, "book refused a liquidation taker: %s",
			  book_code_str(bc));
		free(rx.reasons);
		return CL_ERR_CORRUPT;
	}
	if (rx.sys_err || (e->plan.n_fills == 0 && e->plan.n_cancels == 0)) {
		book_discard(&e->plan);
		free(rx.reasons);
		return rx.sys_err;
	}
	stf_book_commit(s, (uint32_t)mi);
	*filled = e->plan.filled.v;
	rc = stf_close_cancelled(s, &e->plan, rx.reasons, rx.n_reasons);
	free(rx.reasons);
	return rc > 0 ? CL_ERR_CORRUPT : rc;
}

/*
 * Refresh the ADL scores of the accounts on `side` of `market` (the first
 * REINDEX_SIDE_MAX of the stored ranking) with REINDEX steps, once per
 * block and side, so that the ranking an ADL names is the one at the
 * current marks. When the budget runs out first, the ADL waits for the
 * next block.
 */
static int reindex_side(struct cl_stf *s, uint32_t market, uint8_t side)
{
	struct stf_engine *e = s->eng;
	int mi = stf_market_index(&s->g, market);
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_address *all;
	size_t n = 0;
	int rc;

	if (mi < 0 || e->adl_reindexed[mi][side] == s->block_number)
		return 0;
	e->adl_reindexed[mi][side] = s->block_number;
	all = cl_xcalloc(REINDEX_SIDE_MAX, sizeof(*all));
	rc = cl_stf_adl_ranking(&view, all, REINDEX_SIDE_MAX, &n, market,
				side);
	for (size_t i = 0; rc == 0 && i < n; i += CL_TX_REINDEX_MAX) {
		if (stf_budget_out(s)) {
			/* not all re-scored: no ADL in this block */
			e->adl_reindexed[mi][side] = 0;
			break;
		}
		struct cl_tx tx;
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_REINDEX;
		tx.u.reindex.n = (uint32_t)(n - i < CL_TX_REINDEX_MAX
						    ? n - i
						    : CL_TX_REINDEX_MAX);
		memcpy(tx.u.reindex.account, all + i,
		       tx.u.reindex.n * sizeof(*all));
		rc = stf_derive(s, &tx);
		if (rc > 0) {
			cl_broken(SUB, "reindex refused: %s",
				  cl_stf_err_str(rc));
			rc = CL_ERR_CORRUPT;
		}
		e->risk_ops++;
	}
	free(all);
	if (n == REINDEX_SIDE_MAX)
		cl_unusual(SUB, "market %u: more than %d positions to re-score;"
			   " the rest keep their last scores", market,
			   REINDEX_SIDE_MAX);
	return rc;
}

/*
 * Liquidate `addr` until it is back above maintenance: each slice goes
 * to the book first (LIQUIDATE_FILL at prices no worse than the slice's
 * bankruptcy price); what the book does not take goes to the insurance
 * fund (LIQUIDATE) or, when the fund cannot take it, to the re-scored ADL
 * ranking (ADL). Returns 0 or a negative system error.
 */
static int liquidate_account(struct cl_stf *s, const struct cl_address *addr)
{
	struct stf_engine *e = s->eng;
	int rc = 0;

	for (int step = 0; step < LIQ_STEPS_PER_ACCOUNT && !stf_budget_out(s);
	     step++) {
		struct cl_stf_view view = cl_stf_view(s);
		struct cl_tx tx;
		bool has = false, is_buy = false, have_side;
		uint64_t limit, q = 0, filled;
		uint32_t market;

		/* collateral assets cover a negative settlement balance
		 * before positions are closed (docs/liquidation.md
		 * "Collateral") */
		memset(&tx, 0, sizeof(tx));
		rc = stf_collateral_sale_next(&view, &tx.u.collateral_sale,
					      &has, addr);
		if (rc > 0)
			return 0;
		if (rc)
			return rc;
		if (has) {
			tx.type = CL_TX_COLLATERAL_SALE;
			rc = stf_derive(s, &tx);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				e->risk_ops++;
				continue;
			}
			/* refused (the fund cannot pay): positions next */
		}

		rc = cl_stf_liquidation_next(&view, &tx, &has, addr);
		if (rc > 0)
			return 0; /* out of range: left as it is */
		if (rc || !has)
			return rc;
		market = tx.type == CL_TX_ADL ? tx.u.adl.market
						   : tx.u.liquidate.market;

		/* the book first */
		rc = cl_stf_liquidation_limit(&view, &limit, &is_buy, addr,
					      market, &q);
		if (rc < 0)
			return rc;
		have_side = rc == 0;
		if (rc == 0) {
			rc = risk_sweep(s, addr, market, is_buy, q, limit,
					&filled);
			if (rc)
				return rc;
			if (filled > 0)
				continue;
		}
		if (tx.type == CL_TX_ADL && have_side) {
			int mi = stf_market_index(&s->g, market);
			uint8_t side = is_buy ? 0 : 1; /* the opposite side */
			if (mi >= 0 &&
			    e->adl_reindexed[mi][side] != s->block_number) {
				rc = reindex_side(s, market, side);
				if (rc)
					return rc;
				continue; /* plan again on fresh scores */
			}
		}
		rc = stf_derive(s, &tx);
		if (rc > 0)
			return 0; /* the rules refuse it: nothing to do now */
		if (rc)
			return rc;
		e->risk_ops++;
	}
	return 0;
}

int stf_run_liquidations(struct cl_stf *s, uint32_t market)
{
	struct cl_market_state ms;
	struct cl_stf_view view = cl_stf_view(s);
	int rc = cl_stf_get_market(&view, &ms, market);

	if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && ms.mark_price == 0))
		return 0;
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	struct cl_address *cand = cl_xcalloc(LIQ_CANDIDATES, sizeof(*cand));
	size_t n = 0;
	/* Liquidating one account can push another back under maintenance
	 * (its resting order filled by a liquidation slice, or an ADL
	 * against it), so the candidates are asked again after a round
	 * that did work, up to LIQ_ROUNDS rounds (docs/liquidation.md). */
	for (int round = 0; !rc && round < LIQ_ROUNDS && !stf_budget_out(s);
	     round++) {
		uint64_t ops = s->eng->risk_ops;

		view = cl_stf_view(s);
		n = 0;
		rc = cl_stf_liquidation_candidates(&view, market, ms.mark_price,
						   cand, LIQ_CANDIDATES, &n);
		for (size_t i = 0; !rc && i < n && !stf_budget_out(s); i++)
			rc = liquidate_account(s, &cand[i]);
		if (s->eng->risk_ops == ops)
			break;
	}
	free(cand);
	if (n == LIQ_CANDIDATES)
		cl_unusual(SUB, "market %u: more than %d liquidation "
			   "candidates; the rest follow with the next pass",
			   market, LIQ_CANDIDATES);
	return rc < 0 ? rc : 0;
}

static int multi_cursor_get(struct cl_stf *s, struct cl_address *out,
			    bool *has)
{
	const uint8_t *v;
	size_t vl;
	int rc = cl_state_get(s->st, &v, &vl, CL_TABLE_GLOBALS,
			      (const uint8_t *)G_MULTI_CURSOR,
			      sizeof(G_MULTI_CURSOR) - 1);

	*has = false;
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc)
		return rc;
	if (vl != 20)
		return CL_ERR_CORRUPT;
	memcpy(out->b, v, 20);
	*has = true;
	return CL_OK;
}

static void multi_cursor_put(struct cl_stf *s, const struct cl_address *a)
{
	if (a)
		cl_state_put(s->st, CL_TABLE_GLOBALS,
			     (const uint8_t *)G_MULTI_CURSOR,
			     sizeof(G_MULTI_CURSOR) - 1, a->b, 20);
	else
		cl_state_del(s->st, CL_TABLE_GLOBALS,
			     (const uint8_t *)G_MULTI_CURSOR,
			     sizeof(G_MULTI_CURSOR) - 1);
}

/*
 * The liquidation index places an account with positions in several
 * markets by the other markets' marks of its last touch; when several
 * marks move, its entries lag. Each block checks the next
 * MULTI_SWEEP_PER_BLOCK such accounts directly, round robin, from a
 * cursor kept in the state.
 */
static int sweep_multi_market(struct cl_stf *s)
{
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_address *acc, cursor;
	bool has_cursor;
	size_t n = 0, done = 0;
	int rc;

	if (stf_budget_out(s))
		return 0; /* the cursor stays: the next block goes on */
	rc = multi_cursor_get(s, &cursor, &has_cursor);
	if (rc)
		return rc;
	acc = cl_xcalloc(MULTI_SWEEP_PER_BLOCK, sizeof(*acc));
	rc = cl_stf_multi_market_accounts(&view, acc, MULTI_SWEEP_PER_BLOCK,
					  &n, has_cursor ? &cursor : NULL);
	for (; !rc && done < n && !stf_budget_out(s); done++) {
		struct cl_stf_account_risk *r = cl_xcalloc(1, sizeof(*r));
		view = cl_stf_view(s);
		rc = cl_stf_get_account_risk(&view, r, &acc[done]);
		if (rc > 0)
			rc = 0; /* out of range: left to the index */
		else if (rc == 0 && r->liquidatable)
			rc = liquidate_account(s, &acc[done]);
		free(r);
	}
	/* go on after the last account checked; from the start after the
	 * last one */
	if (!rc) {
		if (done > 0 && (done < n || n == MULTI_SWEEP_PER_BLOCK))
			multi_cursor_put(s, &acc[done - 1]);
		else if (done == n && has_cursor)
			multi_cursor_put(s, NULL);
	}
	free(acc);
	return rc < 0 ? rc : 0;
}

/*
 * The insurance fund unwinds what it inherited: each block, per market,
 * one slice of its position goes to the book at prices within the
 * market's mark band (FUND_FILL).
 */
static int unwind_fund(struct cl_stf *s)
{
	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		struct cl_stf_view view = cl_stf_view(s);
		uint64_t size, limit, filled;
		bool is_buy;
		int rc = cl_stf_fund_unwind_limit(&view, &size, &is_buy,
						  &limit, m->id);
		if (rc)
			return rc < 0 ? rc : CL_ERR_CORRUPT;
		if (size == 0 || stf_budget_out(s))
			continue;
		size = margin_slice_max(size, m->risk.liq_slice_ppm,
					m->step_size);
		rc = risk_sweep(s, NULL, m->id, is_buy, size, limit, &filled);
		if (rc)
			return rc;
	}
	return 0;
}

/* Resting orders that expired leave the book: an ORDER_DONE (expired)
 * each, in expiry order (then hash), within the budget. */
static int sweep_expired(struct cl_stf *s)
{
	struct stf_engine *e = s->eng;

	while (e->n_exp > 0 && e->exp[0].expiry <= s->now_s &&
	       !stf_budget_out(s)) {
		struct stf_expiring x = e->exp[0];
		struct book_order o;

		stf_exp_pop(e);
		if (!book_get(e->books[x.mi], &o, &x.hash) ||
		    o.expiry != x.expiry)
			continue; /* it left the book already */
		int rc = stf_derive_done(s, &x.hash, CL_DONE_EXPIRED);
		if (rc)
			return rc;
		stf_book_remove(s, x.mi, &x.hash);
		e->risk_ops++;
	}
	stf_exp_compact(s);
	return 0;
}

int stf_open_block_work(struct cl_stf *s)
{
	/* expired option markets close first: nothing else of the block
	 * touches their books or positions (docs/options.md "Expiry") */
	int rc = stf_run_option_expiry(s);

	/* dead-man switches next: no order of a trader whose switch
	 * fell due trades in this block */
	if (rc == 0)
		rc = stf_fire_scheduled_cancels(s);

	/* trigger orders the block's marks reached, before the liquidation
	 * pass (a stop-loss may spare its account a liquidation) */
	for (uint32_t i = 0; i < s->g.n_markets && rc == 0; i++)
		rc = stf_run_triggers(s, s->g.markets[i].id);
	/* then the TWAP slices due */
	if (rc == 0)
		rc = stf_run_twaps(s);

	/* the block's time moved funding and the marks */
	for (uint32_t i = 0; i < s->g.n_markets && rc == 0; i++)
		rc = stf_run_liquidations(s, s->g.markets[i].id);
	if (rc == 0)
		rc = sweep_multi_market(s);
	if (rc == 0)
		rc = unwind_fund(s);
	if (rc == 0)
		rc = sweep_expired(s);
	return rc;
}
