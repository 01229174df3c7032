/* SPDX-License-Identifier: MIT */
/*
 * The book side of the risk engine (docs/liquidation.md):
 *
 *  LIQUIDATE_FILL  a liquidation slice, or part of one, filled against a
 *                  resting order at a price no worse than the slice's
 *                  bankruptcy price; the account pays the liquidation fee
 *                  to the insurance fund instead of a taker fee;
 *  FUND_FILL       the insurance fund reduces a position it inherited,
 *                  against a resting order within the mark band;
 *  REINDEX         refresh the ADL scores (committed) and liquidation
 *                  prices (local) of some accounts at the current marks.
 *
 * All three are issued by the sequencer and judged here like any other
 * transaction, so a verifier checks every price limit and every score.
 */
#include "stf_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t sz_abs(int64_t v)
{
	return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

static int64_t long_part(int64_t size)
{
	return size > 0 ? size : 0;
}

/*
 * Load the resting order a risk fill names: it must exist, be open, not
 * expired, good-till-cancelled and in a known market. A refusal that is
 * the maker's own is blamed on it, so the sequencer drops the order.
 */
static int load_maker(struct cl_stf *s, struct stf_fill_side *mk,
		      const struct cl_hash32 *hash,
		      const struct cl_market_params **m)
{
	struct cl_stf_view v = cl_stf_view(s);
	int rc = cl_stf_get_order(&v, &mk->o, hash);

	if (rc == CL_ERR_NOT_FOUND)
		return CL_STF_ERR_UNKNOWN_ORDER;
	if (rc != CL_OK)
		return rc;
	mk->hash = hash;
	if (mk->o.status != CL_ORDER_OPEN) {
		s->blame = CL_STF_BLAME_MAKER;
		return CL_STF_ERR_ORDER_NOT_OPEN;
	}
	if (mk->o.expiry <= s->now_s) {
		s->blame = CL_STF_BLAME_MAKER;
		return CL_STF_ERR_EXPIRED;
	}
	if (cl_order_tif(mk->o.flags) != CL_TIF_GTC) {
		s->blame = CL_STF_BLAME_MAKER;
		return CL_STF_ERR_BAD_MAKER;
	}
	*m = cl_genesis_market(&s->g, mk->o.market);
	if (!*m) {
		cl_broken("stf", "stored order in unknown market %u",
			  mk->o.market);
		return CL_ERR_CORRUPT;
	}
	return CL_STF_OK;
}

static int maker_blamed(struct cl_stf *s, int rc)
{
	if (rc > 0)
		s->blame = CL_STF_BLAME_MAKER;
	return rc;
}

/* Add `delta` to the fee balance (GLOBALS). */
static int add_fee(struct cl_stf *s, int64_t delta)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t u;
	int64_t bal;
	int rc = stf_get_global_u64(&v, &u, G_FEE);

	if (rc != CL_OK)
		return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	bal = (int64_t)u;
	if (!cl_add_i64(&bal, bal, delta))
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, G_FEE, (uint64_t)bal);
	return CL_OK;
}

/*
 * The quote flow at which a slice of `p` closes at its bankruptcy price:
 * a long gets n_q - e_q, a short pays n_q + e_q (never below 0).
 */
static bool bankruptcy_flow(int64_t *out, const struct stf_liq_plan *p)
{
	if (p->is_buy) {
		if (!cl_add_i64(out, p->n_q, p->e_q))
			return false;
		if (*out < 0)
			*out = 0;
		return true;
	}
	return cl_sub_i64(out, p->n_q, p->e_q);
}

/*
 * The maker's side of a risk fill after the other side's position moved
 * from b0 to b1: the new open interest (*out) within the cap when it
 * grows, and the maker's margin rules (blamed on the maker).
 */
static int check_maker_side(struct cl_stf *s, uint64_t *out,
			    const struct cl_market_params *m,
			    const struct cl_market_state *ms,
			    struct stf_fill_side *mk, int64_t b0, int64_t b1)
{
	__int128 oi = (__int128)ms->open_interest +
		      long_part(mk->after.size) - long_part(mk->before.size) +
		      long_part(b1) - long_part(b0);
	int rc;

	if (oi < 0 || oi > INT64_MAX) {
		cl_broken("stf", "open interest out of range");
		return CL_ERR_CORRUPT;
	}
	if (oi > (__int128)ms->open_interest && oi > (__int128)m->oi_cap)
		return CL_STF_ERR_OI_CAP;
	rc = stf_side_check_margin(s, mk);
	if (rc != CL_STF_OK)
		return maker_blamed(s, rc);
	*out = (uint64_t)oi;
	return CL_STF_OK;
}

int stf_apply_liquidate_fill(struct cl_stf *s,
			     const struct cl_tx_liquidate_fill *t)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_fill_side sides[2];
	struct stf_fill_side *mk = &sides[0], *ac = &sides[1];
	struct stf_liq_plan plan, *p = &plan;
	const struct cl_market_params *m;
	struct cl_market_state ms;
	struct cl_amount notional, fa;
	struct cl_health h;
	struct cl_stf_event ev;
	int64_t flow, fee, ins;
	uint64_t oi;
	int rc;

	memset(sides, 0, sizeof(sides));
	if (t->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	rc = load_maker(s, mk, &t->maker, &m);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_settle_for_liquidation(s, &t->account, m->id);
	if (rc != CL_OK)
		return rc;
	rc = stf_liq_compute(&v, p, &t->account, m->id, t->size);
	if (rc != CL_STF_OK)
		return rc;
	if (mk->o.is_buy == p->is_buy)
		return CL_STF_ERR_SAME_SIDE;
	if (cl_address_eq(&mk->o.trader, &t->account))
		return CL_STF_ERR_SELF_TRADE;
	if (t->size > mk->o.size - mk->o.filled)
		return CL_STF_ERR_FILL_TOO_LARGE;

	/* the price limit: no worse than the slice's bankruptcy price */
	if (!cl_notional_down(&notional, (struct cl_price){mk->o.price},
			      (struct cl_size){t->size},
			      cl_genesis_scale_exp(&s->g, m)) ||
	    notional.atoms <= 0 || !bankruptcy_flow(&flow, p))
		return CL_STF_ERR_OVERFLOW;
	if (p->is_buy ? notional.atoms > flow : notional.atoms < flow)
		return CL_STF_ERR_BEYOND_LIMIT;

	rc = stf_load_market(&v, &ms, m->id);
	if (rc != CL_OK)
		return rc;
	mk->fee_ppm = m->maker_fee_ppm;
	if (!margin_fee_up(&fa, notional, mk->fee_ppm))
		return CL_STF_ERR_OVERFLOW;
	mk->fee = fa.atoms;
	mk->snap = ac->snap = ms.funding_index;
	rc = stf_side_prepare(s, mk, t->size, notional.atoms);
	if (rc != CL_STF_OK)
		return maker_blamed(s, rc);
	/* the account closes like a reduce-only taker without a fee */
	ac->o.trader = t->account;
	ac->o.market = m->id;
	ac->o.flags = CL_ORDER_REDUCE_ONLY;
	ac->o.is_buy = p->is_buy;
	rc = stf_side_prepare(s, ac, t->size, notional.atoms);
	if (rc != CL_STF_OK)
		return rc;

	rc = stf_load_market(&v, &ms, m->id);
	if (rc != CL_OK)
		return rc;
	rc = check_maker_side(s, &oi, m, &ms, mk, ac->before.size,
			      ac->after.size);
	if (rc != CL_STF_OK)
		return rc;

	/* the liquidation fee, capped so the account keeps equity >= 0 */
	rc = stf_health(&v, &h, &ac->o.trader, ac->acc.collateral, ac->pos,
			ac->n);
	if (rc != CL_OK)
		return rc;
	if (!margin_fee_up(&fa, notional, m->risk.liq_fee_ppm))
		return CL_STF_ERR_OVERFLOW;
	fee = fa.atoms;
	if (fee > h.equity)
		fee = h.equity > 0 ? h.equity : 0;
	rc = stf_get_insurance(&v, &ins);
	if (rc != CL_OK)
		return rc;
	if (!cl_sub_i64(&ac->acc.collateral, ac->acc.collateral, fee) ||
	    !cl_add_i64(&ins, ins, fee))
		return CL_STF_ERR_OVERFLOW;
	rc = add_fee(s, mk->fee);
	if (rc != CL_OK)
		return rc;

	rc = stf_side_write(s, mk, t->size);
	if (rc != CL_OK)
		return rc;
	stf_put_account(s->st, &t->account, &ac->acc);
	stf_put_position(s->st, &t->account, m->id, &ac->after, ac->snap);
	stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)ins);
	ms.open_interest = oi;
	ms.last_trade_price = mk->o.price;
	ms.last_trade_time = s->now_s;
	stf_put_market(s->st, m->id, &ms);

	memset(&ev, 0, sizeof(ev));
	ev.kind = CL_STF_EVENT_LIQUIDATED_BOOK;
	ev.market = m->id;
	ev.size = ac->after.size - ac->before.size;
	ev.flow = p->is_buy ? -notional.atoms : notional.atoms;
	ev.fee = fee;
	ev.other = mk->o.trader;
	rc = stf_log_event(s, &t->account, &ev);
	if (rc == CL_OK)
		rc = stf_reindex(s, &mk->o.trader);
	if (rc == CL_OK)
		rc = stf_reindex(s, &t->account);
	return rc;
}

/* Is `price` within the fund's unwind band around `mark`? */
static bool within_band(bool fund_buys, uint64_t price, uint64_t mark,
			uint32_t band_ppm)
{
	unsigned __int128 lhs = (unsigned __int128)price * CL_PPM;

	if (fund_buys)
		return lhs <= (unsigned __int128)mark * (CL_PPM + band_ppm);
	return lhs >= (unsigned __int128)mark * (CL_PPM - band_ppm);
}

int stf_apply_fund_fill(struct cl_stf *s, const struct cl_tx_fund_fill *t)
{
	static const struct cl_address fund_addr;
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_fill_side side, *mk = &side;
	const struct cl_market_params *m;
	struct cl_market_state ms;
	struct cl_position fund;
	struct cl_amount notional;
	struct cl_stf_event ev;
	struct cl_amount ins_a, realised, fa;
	int64_t ins;
	uint64_t oi;
	bool fund_buys;
	int rc;

	memset(&side, 0, sizeof(side));
	if (t->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	rc = load_maker(s, mk, &t->maker, &m);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_load_market(&v, &ms, m->id);
	if (rc == CL_OK)
		rc = stf_settle_fund(s, &ms);
	if (rc != CL_OK)
		return rc;
	stf_put_market(s->st, m->id, &ms);
	if (ms.fund_size == 0)
		return CL_STF_ERR_NO_POSITION;
	fund_buys = ms.fund_size < 0;
	if (mk->o.is_buy == fund_buys)
		return CL_STF_ERR_SAME_SIDE;
	if (t->size % m->step_size != 0)
		return CL_STF_ERR_OFF_STEP;
	if (t->size > sz_abs(ms.fund_size))
		return CL_STF_ERR_REDUCE_ONLY;
	if (t->size > mk->o.size - mk->o.filled)
		return CL_STF_ERR_FILL_TOO_LARGE;
	if (ms.mark_price == 0)
		return CL_STF_ERR_NO_MARK_PRICE;
	if (!within_band(fund_buys, mk->o.price, ms.mark_price,
			 m->risk.mark_band_ppm))
		return CL_STF_ERR_BEYOND_LIMIT;

	if (!cl_notional_down(&notional, (struct cl_price){mk->o.price},
			      (struct cl_size){t->size},
			      cl_genesis_scale_exp(&s->g, m)) ||
	    notional.atoms <= 0)
		return CL_STF_ERR_OVERFLOW;
	mk->fee_ppm = m->maker_fee_ppm;
	if (!margin_fee_up(&fa, notional, mk->fee_ppm))
		return CL_STF_ERR_OVERFLOW;
	mk->fee = fa.atoms;
	mk->snap = ms.funding_index;
	rc = stf_side_prepare(s, mk, t->size, notional.atoms);
	if (rc != CL_STF_OK)
		return maker_blamed(s, rc);

	/* the maker's settlement may have moved the pool and the fund */
	rc = stf_load_market(&v, &ms, m->id);
	if (rc == CL_OK)
		rc = stf_get_insurance(&v, &ins);
	if (rc != CL_OK)
		return rc;
	fund = (struct cl_position){ms.fund_size, {ms.fund_cost}};
	ins_a.atoms = ins;
	if (!margin_apply_close(&fund, &ins_a, &realised, fund_buys,
				(struct cl_size){t->size}, notional))
		return CL_STF_ERR_OVERFLOW;
	ins = ins_a.atoms;
	rc = check_maker_side(s, &oi, m, &ms, mk, ms.fund_size, fund.size);
	if (rc != CL_STF_OK)
		return rc;
	rc = add_fee(s, mk->fee);
	if (rc != CL_OK)
		return rc;

	rc = stf_side_write(s, mk, t->size);
	if (rc != CL_OK)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = CL_STF_EVENT_FUND_UNWOUND;
	ev.market = m->id;
	ev.size = fund.size - ms.fund_size;
	ev.flow = fund_buys ? -notional.atoms : notional.atoms;
	ev.other = mk->o.trader;
	ms.fund_size = fund.size;
	ms.fund_cost = fund.cost.atoms;
	ms.open_interest = oi;
	ms.last_trade_price = mk->o.price;
	ms.last_trade_time = s->now_s;
	stf_put_market(s->st, m->id, &ms);
	stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)ins);
	rc = stf_log_event(s, &fund_addr, &ev);
	if (rc == CL_OK)
		rc = stf_reindex(s, &mk->o.trader);
	return rc;
}

int stf_apply_reindex(struct cl_stf *s, const struct cl_tx_reindex *t)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	int rc;

	CL_REQUIRE(t->n >= 1 && t->n <= CL_TX_REINDEX_MAX);
	for (uint32_t i = 0; i < t->n; i++) {
		rc = cl_stf_get_positions(&v, pos, &n, &t->account[i]);
		if (rc != CL_OK)
			return rc;
		if (n == 0)
			return CL_STF_ERR_NO_POSITION;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		rc = stf_reindex(s, &t->account[i]);
		if (rc != CL_OK)
			return rc;
	}
	return CL_STF_OK;
}

/* ------------------------------------------------------------------ */
/* For the sequencer                                                   */
/* ------------------------------------------------------------------ */

/*
 * The tick-aligned price bound for filling `q` units at a quote flow of
 * at least (sell) or at most (buy) `flow` atoms: the lowest price whose
 * notional reaches the flow, or the highest one that stays within it.
 * 0 when no price on the tick grid qualifies.
 */
static uint64_t price_for_flow(const struct cl_market_params *m, int exp,
			       bool buy, uint64_t q, int64_t flow)
{
	uint64_t lo = 1, hi = ((uint64_t)1 << 62) / m->tick_size, mid;
	struct cl_amount a;

#define NOTIONAL_OK(k)                                                     \
	(cl_notional_down(&a, (struct cl_price){(k) * m->tick_size},       \
			  (struct cl_size){q}, exp))
	if (buy) {
		/* the largest k with notional(k) <= flow */
		if (!NOTIONAL_OK(lo) || a.atoms > flow)
			return 0;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (NOTIONAL_OK(mid) && a.atoms <= flow)
				lo = mid;
			else
				hi = mid;
		}
		return lo * m->tick_size;
	}
	/* the smallest k with notional(k) >= flow */
	if (NOTIONAL_OK(lo) && a.atoms >= flow)
		return m->tick_size;
	if (NOTIONAL_OK(hi) && a.atoms < flow)
		return 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (!NOTIONAL_OK(mid) || a.atoms >= flow)
			hi = mid;
		else
			lo = mid;
	}
#undef NOTIONAL_OK
	return hi * m->tick_size;
}

int cl_stf_liquidation_limit(const struct cl_stf_view *v, uint64_t *limit,
			     bool *is_buy, const struct cl_address *addr,
			     uint32_t market, uint64_t *size)
{
	struct stf_liq_plan *p = cl_xcalloc(1, sizeof(*p));
	int64_t flow;
	int rc;

	*limit = 0;
	*is_buy = false;
	rc = stf_liq_compute(v, p, addr, market, *size);
	if (rc == CL_STF_OK && !bankruptcy_flow(&flow, p))
		rc = CL_STF_ERR_OVERFLOW;
	if (rc == CL_STF_OK) {
		*is_buy = p->is_buy;
		*size = p->q;
		*limit = price_for_flow(p->m,
					cl_genesis_scale_exp(v->genesis, p->m),
					p->is_buy, p->q, flow);
	}
	free(p);
	return rc;
}

int cl_stf_fund_unwind_limit(const struct cl_stf_view *v, uint64_t *size,
			     bool *is_buy, uint64_t *limit, uint32_t market)
{
	const struct cl_market_params *m = cl_genesis_market(v->genesis,
							     market);
	struct cl_market_state ms;
	unsigned __int128 x;
	int rc;

	*size = 0;
	*is_buy = false;
	*limit = 0;
	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	rc = stf_load_market(v, &ms, market);
	if (rc != CL_OK)
		return rc;
	if (ms.fund_size == 0 || ms.mark_price == 0)
		return CL_OK;
	*size = sz_abs(ms.fund_size);
	*is_buy = ms.fund_size < 0;
	if (*is_buy) {
		x = (unsigned __int128)ms.mark_price *
		    (CL_PPM + m->risk.mark_band_ppm) / CL_PPM;
		x -= x % m->tick_size;
	} else {
		x = ((unsigned __int128)ms.mark_price *
			     (CL_PPM - m->risk.mark_band_ppm) +
		     CL_PPM - 1) /
		    CL_PPM;
		x = (x + m->tick_size - 1) / m->tick_size * m->tick_size;
	}
	*limit = x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
	return CL_OK;
}

int cl_stf_multi_market_accounts(const struct cl_stf_view *v,
				 struct cl_address *out, size_t cap,
				 size_t *n, const struct cl_address *after)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	rc = v->state ? cl_state_iter_new(&it, v->state, T_MULTI,
					  after ? after->b : NULL,
					  after ? 20 : 0) :
			cl_snapshot_iter_new(&it, v->snapshot, T_MULTI,
					     after ? after->b : NULL,
					     after ? 20 : 0);
	if (rc != CL_OK)
		return rc;
	while (*n < cap && (rc = cl_state_iter_next(it, &key, &klen, &val,
						     &vlen)) == CL_OK) {
		if (klen != 20)
			continue;
		if (after && memcmp(key, after->b, 20) == 0)
			continue;
		memcpy(out[*n].b, key, 20);
		(*n)++;
	}
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}
