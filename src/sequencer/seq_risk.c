/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's risk work inside a block: liquidations after a price
 * move (book first, then the insurance fund, then ADL with re-scored
 * rankings), the multi-market sweep and the insurance fund's unwind.
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

#define LIQ_CANDIDATES 1024
#define LIQ_STEPS_PER_ACCOUNT 256
#define REINDEX_SIDE_MAX 2048
#define MULTI_SWEEP_PER_BLOCK 1024
/* Risk work stops this many bytes before a block is full (one batch must
 * carry a block); what is left follows in the next block. */
#define RISK_BLOCK_RESERVE 4096

bool seq_block_full(struct cl_seq *s)
{
	if (s->block_txs.len + RISK_BLOCK_RESERVE < s->cfg.block_max_bytes)
		return false;
	s->risk_pending = true; /* the writer opens the next block at once */
	return true;
}

/* What the risk fill callback learns while a liquidation or an unwind
 * walks the book. */
struct risk_ctx {
	struct match_ctx m;
	const struct cl_address *account; /* NULL: the insurance fund */
};

/*
 * The fill callback of a liquidation (or unwind) taker: each candidate
 * is applied to the stf at once as a LIQUIDATE_FILL (FUND_FILL), which
 * checks the price limit, the maker's margin and the account's state.
 */
static enum book_verdict on_risk_candidate(void *arg, uint64_t *allowed,
					   const struct book_candidate *c)
{
	struct risk_ctx *rx = arg;
	struct cl_seq *s = rx->m.s;
	uint64_t want = c->size.v, r;
	struct cl_tx tx;
	int rc;

	*allowed = 0;
	if (seq_block_full(s))
		return BOOK_STOP_TAKER;
	if (c->maker->expiry * 1000 <= s->hdr.timestamp_ms) {
		seq_note_maker(&rx->m, &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->maker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = seq_reducible(s, &r, &c->maker->owner, c->maker->market,
				   c->maker->side);
		if (rc) {
			rx->m.sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			seq_note_maker(&rx->m, &c->maker->hash, CL_DONE_MARGIN);
			return BOOK_CANCEL_MAKER;
		}
		if (want > r)
			want = r;
	}
	memset(&tx, 0, sizeof(tx));
	if (rx->account) {
		tx.type = (enum cl_tx_type)CL_TX_LIQUIDATE_FILL;
		tx.u.liquidate_fill.account = *rx->account;
		tx.u.liquidate_fill.maker = c->maker->hash;
		tx.u.liquidate_fill.size = want;
	} else {
		tx.type = (enum cl_tx_type)CL_TX_FUND_FILL;
		tx.u.fund_fill.maker = c->maker->hash;
		tx.u.fund_fill.size = want;
	}
	cl_tx_recover(&tx, cl_stf_domain(s->stf));
	rc = seq_apply_logged(s, &tx);
	if (rc == CL_STF_OK) {
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		rx->m.sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	if (cl_stf_fill_blame(s->stf) == CL_STF_BLAME_MAKER) {
		seq_note_maker(&rx->m, &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	}
	/* beyond the limit, healthy again, ...: the rest goes elsewhere */
	cl_debug(SUB, "%s refused (%s): the taker stops",
		 cl_tx_type_str((int)tx.type), cl_stf_err_str(rc));
	return BOOK_STOP_TAKER;
}

/*
 * Walk the book of `market` with an IOC taker for `account` (NULL: the
 * insurance fund) closing `size` on `is_buy` at prices no worse than
 * `limit`. *filled gets how much the book took. Returns 0 or a negative
 * system error.
 */
static int risk_sweep(struct cl_seq *s, const struct cl_address *account,
		      uint32_t market, bool is_buy, uint64_t size,
		      uint64_t limit, uint64_t *filled)
{
	int mi = seq_market_index(&s->genesis, market);
	struct book *b;
	const struct book_params *bp;
	struct book_order taker;
	struct risk_ctx rx;
	int rc = 0;

	*filled = 0;
	if (mi < 0 || limit == 0)
		return 0;
	b = s->books[mi];
	bp = book_params(b);
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
	rx.m.s = s;
	rx.account = account;
	enum book_code bc = book_match_outside(b, &s->plan, &taker,
					       on_risk_candidate, &rx);
	if (bc != BOOK_OK) {
		cl_broken(SUB, "book refused a liquidation taker: %s",
			  book_code_str(bc));
		return CL_ERR_CORRUPT;
	}
	if (rx.m.sys_err) {
		book_discard(&s->plan);
		free(rx.m.reasons);
		return rx.m.sys_err;
	}
	if (s->plan.n_fills == 0 && s->plan.n_cancels == 0) {
		book_discard(&s->plan);
		free(rx.m.reasons);
		return 0;
	}
	pthread_rwlock_wrlock(&s->books_lock);
	book_commit(b, &s->plan);
	pthread_rwlock_unlock(&s->books_lock);
	*filled = s->plan.filled.v;
	for (size_t i = 0; i < s->plan.n_cancels && rc >= 0; i++) {
		const struct book_cancel *c = &s->plan.cancels[i];
		enum cl_done_reason why =
			c->reason == BOOK_CANCEL_SELF_TRADE
				? CL_DONE_SELF_TRADE
				: seq_maker_reason(&rx.m, &c->maker);
		rc = seq_apply_done(s, &c->maker, why);
	}
	free(rx.m.reasons);
	if (rc > 0)
		return CL_ERR_CORRUPT; /* logged as broken by apply_done */
	return rc;
}

/*
 * Refresh the ADL scores of the accounts on `side` of `market` (the first
 * REINDEX_SIDE_MAX of the stored ranking, 41 kB of transactions) with
 * REINDEX transactions, once per block and side: the ranking an ADL
 * names is then the one at the current marks. When the block fills
 * first, the ADL waits for the next block's pass.
 */
static int reindex_side(struct cl_seq *s, uint32_t market, uint8_t side)
{
	int mi = seq_market_index(&s->genesis, market);
	struct cl_stf_view view = cl_stf_view(s->stf);
	struct cl_address *all;
	size_t n = 0;
	int rc;

	if (mi < 0 || s->adl_reindexed[mi][side] == s->hdr.number)
		return 0;
	s->adl_reindexed[mi][side] = s->hdr.number;
	all = cl_xcalloc(REINDEX_SIDE_MAX, sizeof(*all));
	rc = cl_stf_adl_ranking(&view, all, REINDEX_SIDE_MAX, &n, market,
				side);
	for (size_t i = 0; rc == 0 && i < n; i += CL_TX_REINDEX_MAX) {
		if (seq_block_full(s)) {
			/* not all re-scored: no ADL in this block */
			s->adl_reindexed[mi][side] = 0;
			break;
		}
		struct cl_tx tx;
		memset(&tx, 0, sizeof(tx));
		tx.type = (enum cl_tx_type)CL_TX_REINDEX;
		tx.u.reindex.n = (uint32_t)(n - i < CL_TX_REINDEX_MAX
						    ? n - i
						    : CL_TX_REINDEX_MAX);
		memcpy(tx.u.reindex.account, all + i,
		       tx.u.reindex.n * sizeof(*all));
		cl_tx_recover(&tx, cl_stf_domain(s->stf));
		rc = seq_apply_logged(s, &tx);
		if (rc > 0) {
			cl_broken(SUB, "reindex refused: %s",
				  cl_stf_err_str(rc));
			rc = CL_ERR_CORRUPT;
		}
	}
	free(all);
	if (rc == 0 && n > 0)
		cl_info(SUB, "market %u: re-scored %zu %s positions before "
			"deleveraging", market, n, side ? "short" : "long");
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
 * fund (LIQUIDATE) or, when the fund cannot take it, to the re-scored
 * ADL ranking (ADL). Returns 0 or a negative system error.
 */
static int liquidate_account(struct cl_seq *s, const struct cl_address *addr,
			     size_t *applied)
{
	int rc = 0;

	for (int step = 0; step < LIQ_STEPS_PER_ACCOUNT && !seq_block_full(s);
	     step++) {
		struct cl_stf_view view = cl_stf_view(s->stf);
		struct cl_tx tx;
		bool has = false, is_buy = false, have_side;
		uint64_t limit, q = 0, filled;
		uint32_t market;

		rc = cl_stf_liquidation_next(&view, &tx, &has, addr);
		if (rc > 0) {
			cl_unusual(SUB, "cannot plan a liquidation: %s",
				   cl_stf_err_str(rc));
			return 0;
		}
		if (rc || !has)
			return rc;
		market = (int)tx.type == CL_TX_ADL ? tx.u.adl.market
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
			if (filled > 0) {
				(*applied)++;
				continue;
			}
		}
		rc = 0;
		if ((int)tx.type == CL_TX_ADL && have_side) {
			int mi = seq_market_index(&s->genesis, market);
			uint8_t side = is_buy ? 0 : 1; /* the opposite side */
			if (mi >= 0 &&
			    s->adl_reindexed[mi][side] != s->hdr.number) {
				rc = reindex_side(s, market, side);
				if (rc)
					return rc;
				continue; /* plan again on fresh scores */
			}
		}
		cl_tx_recover(&tx, cl_stf_domain(s->stf));
		rc = seq_apply_logged(s, &tx);
		if (rc > 0) {
			char a[CL_ADDRESS_STR_LEN + 1];
			cl_address_format(a, addr);
			cl_unusual(SUB, "%s of %s refused: %s",
				   cl_tx_type_str((int)tx.type), a,
				   cl_stf_err_str(rc));
			return 0;
		}
		if (rc)
			return rc;
		(*applied)++;
	}
	return 0;
}

/*
 * After a price moved in `market`: find the accounts that may be below
 * maintenance through the stf's liquidation-price index (no scan of all
 * accounts) and liquidate each. Every transaction is checked by the stf
 * like any other, so the verifiers check them too. Returns 0 or a
 * negative system error.
 */
int seq_run_liquidations(struct cl_seq *s, uint32_t market)
{
	struct cl_market_state ms;
	struct cl_stf_view view = cl_stf_view(s->stf);
	int rc = cl_stf_get_market(&view, &ms, market);

	if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && ms.mark_price == 0))
		return 0;
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	struct cl_address *cand = cl_xcalloc(LIQ_CANDIDATES, sizeof(*cand));
	size_t n = 0, applied = 0;
	rc = cl_stf_liquidation_candidates(&view, market, ms.mark_price, cand,
					   LIQ_CANDIDATES, &n);
	for (size_t i = 0; !rc && i < n && !seq_block_full(s); i++)
		rc = liquidate_account(s, &cand[i], &applied);
	if (seq_block_full(s))
		cl_info(SUB, "market %u: the block is full; liquidations go on "
			"in the next one", market);
	free(cand);
	if (applied)
		cl_info(SUB, "market %u at mark %llu: %zu liquidation "
			"transactions for %zu candidates", market,
			(unsigned long long)ms.mark_price, applied, n);
	if (n == LIQ_CANDIDATES)
		cl_unusual(SUB, "market %u: more than %d liquidation "
			   "candidates; the rest follow with the next price",
			   market, LIQ_CANDIDATES);
	return rc < 0 ? rc : 0;
}

/*
 * The liquidation index places an account with positions in several
 * markets by the other markets' marks of its last touch; when several
 * marks move, its entries lag. Each block checks the next
 * MULTI_SWEEP_PER_BLOCK such accounts directly, round robin.
 */
int seq_sweep_multi_market(struct cl_seq *s)
{
	struct cl_stf_view view = cl_stf_view(s->stf);
	struct cl_address *acc;
	size_t n = 0, done = 0, applied = 0;
	int rc;

	if (seq_block_full(s))
		return 0; /* the cursor stays: the next block goes on */
	acc = cl_xcalloc(MULTI_SWEEP_PER_BLOCK, sizeof(*acc));
	rc = cl_stf_multi_market_accounts(
		&view, acc, MULTI_SWEEP_PER_BLOCK, &n,
		s->multi_has_cursor ? &s->multi_cursor : NULL);
	for (; !rc && done < n && !seq_block_full(s); done++) {
		struct cl_stf_account_risk *r = cl_xcalloc(1, sizeof(*r));
		view = cl_stf_view(s->stf);
		rc = cl_stf_get_account_risk(&view, r, &acc[done]);
		if (rc > 0)
			rc = 0; /* out of range: left to the index */
		else if (rc == 0 && r->liquidatable)
			rc = liquidate_account(s, &acc[done], &applied);
		free(r);
	}
	/* go on after the last account checked; from the start after the
	 * last one */
	if (done > 0 && (done < n || n == MULTI_SWEEP_PER_BLOCK)) {
		s->multi_cursor = acc[done - 1];
		s->multi_has_cursor = true;
	} else if (done == n) {
		s->multi_has_cursor = false;
	}
	free(acc);
	if (applied)
		cl_info(SUB, "multi-market sweep: %zu liquidation transactions",
			applied);
	return rc < 0 ? rc : 0;
}

/*
 * The insurance fund unwinds what it inherited: each block, per market,
 * one slice of its position goes to the book at prices within the
 * market's mark band (FUND_FILL). Returns 0 or a negative system error.
 */
int seq_unwind_fund(struct cl_seq *s)
{
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		const struct cl_market_params *m = &s->genesis.markets[i];
		struct cl_stf_view view = cl_stf_view(s->stf);
		uint64_t size, limit, filled;
		bool is_buy;
		int rc = cl_stf_fund_unwind_limit(&view, &size, &is_buy,
						  &limit, m->id);
		if (rc)
			return rc < 0 ? rc : CL_ERR_CORRUPT;
		if (size == 0 || seq_block_full(s))
			continue;
		size = margin_slice_max(size, m->risk.liq_slice_ppm,
					m->step_size);
		rc = risk_sweep(s, NULL, m->id, is_buy, size, limit, &filled);
		if (rc)
			return rc;
		if (filled)
			cl_info(SUB, "market %u: the insurance fund unwound "
				"%llu at prices up to %llu", m->id,
				(unsigned long long)filled,
				(unsigned long long)limit);
	}
	return 0;
}
