/* SPDX-License-Identifier: MIT */
/*
 * LIQUIDATE and ADL (docs/liquidation.md): an account below maintenance
 * loses its riskiest position in slices. A slice is closed at the mark
 * against the insurance fund and the slice's share of the account's
 * equity moves to the fund (together: a close at the slice's bankruptcy
 * price), plus a fee that never takes the account below zero. When the
 * fund cannot take the slice, the same bankruptcy close is made against
 * the top of the ADL ranking instead.
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
 * Check that `addr` may lose `q` (0: the largest slice) of its position in
 * `market` and work out the liquidation against the fund.
 */
int stf_liq_compute(const struct cl_stf_view *v, struct stf_liq_plan *p,
		       const struct cl_address *addr, uint32_t market,
		       uint64_t q)
{
	struct cl_market_risk risk;
	struct cl_amount a;
	struct cl_health h2;
	struct cl_amount im_i, mm_i, realised, fpend, e_q, fee;
	int64_t best_mm = -1, pend, ins;
	struct cl_amount coll, fund_coll;
	uint64_t absz, smax;
	__int128 oi;
	int rc;

	memset(p, 0, sizeof(*p));
	p->m = cl_genesis_market(v->genesis, market);
	if (!p->m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	rc = cl_stf_get_account(v, &p->acc, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_positions(v, p->pos, &p->n, addr);
	if (rc != CL_OK)
		return rc;
	for (p->j = 0; p->j < p->n; p->j++)
		if (p->pos[p->j].market == market)
			break;
	if (p->j == p->n)
		return CL_STF_ERR_NO_POSITION;
	for (size_t i = 0; i < p->n; i++) {
		rc = stf_pending_funding(v, &pend, &p->pos[i]);
		if (rc != CL_OK)
			return rc;
		if (!cl_sub_i64(&p->acc.collateral, p->acc.collateral, pend))
			return CL_STF_ERR_OVERFLOW;
	}
	rc = stf_health(v, &p->h, addr, p->acc.collateral, p->pos, p->n);
	if (rc != CL_OK)
		return rc;
	if (p->h.equity >= p->h.mm)
		return CL_STF_ERR_NOT_LIQUIDATABLE;

	/* the riskiest position (largest maintenance requirement, the
	 * lowest market id on a tie) goes first; sum the notionals */
	size_t riskiest = 0;
	p->total = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct cl_market_params *mi =
			cl_genesis_market(v->genesis, p->pos[i].market);
		struct cl_market_state msi;
		struct cl_position cp = {p->pos[i].size, {p->pos[i].cost}};
		struct cl_amount nt;

		rc = stf_load_market(v, &msi, p->pos[i].market);
		if (rc != CL_OK)
			return rc;
		risk = (struct cl_market_risk){cl_genesis_scale_exp(v->genesis,
								    mi),
					       mi->tiers, mi->n_tiers};
		if (!margin_requirement_scaled_up(
			    &im_i, &mm_i, &risk, &cp,
			    (struct cl_price){msi.mark_price},
			    stf_market_scale(mi, &msi)) ||
		    !margin_notional_up(&nt, &risk, margin_abs_size(cp.size),
					(struct cl_price){msi.mark_price}) ||
		    !cl_add_i64(&p->total, p->total, nt.atoms))
			return CL_STF_ERR_OVERFLOW;
		if (mm_i.atoms > best_mm) {
			best_mm = mm_i.atoms;
			riskiest = i;
		}
	}
	/* a portfolio account loses first what cuts its requirement most
	 * per unit of notional (docs/liquidation.md "Portfolio margin") */
	bool pm;
	rc = cl_stf_get_portfolio_mode(v, &pm, addr);
	if (rc == CL_OK && pm)
		rc = stf_pm_riskiest(v, &riskiest, p->pos, p->n);
	if (rc != CL_OK)
		return rc;
	if (riskiest != p->j)
		return CL_STF_ERR_NOT_RISKIEST;

	absz = sz_abs(p->pos[p->j].size);
	smax = margin_slice_max(absz, p->m->risk.liq_slice_ppm,
				p->m->step_size);
	if (q == 0)
		q = smax;
	if (q > smax)
		return CL_STF_ERR_SLICE_TOO_LARGE;
	if (q != absz && q % p->m->step_size != 0)
		return CL_STF_ERR_OFF_STEP;
	p->q = q;
	p->is_buy = p->pos[p->j].size < 0;

	rc = stf_load_market(v, &p->ms, market);
	if (rc != CL_OK)
		return rc;
	/* value of the slice at the mark, as equity values it */
	if (!(p->is_buy ? cl_notional_up : cl_notional_down)(
		    &a, (struct cl_price){p->ms.mark_price},
		    (struct cl_size){q}, cl_genesis_scale_exp(v->genesis, p->m)))
		return CL_STF_ERR_OVERFLOW;
	p->n_q = a.atoms;
	if (p->total <= 0 || p->n_q > p->total ||
	    !margin_equity_share_up(&e_q, (struct cl_amount){p->h.equity},
				    a, (struct cl_amount){p->total}))
		return CL_STF_ERR_OVERFLOW;
	p->e_q = e_q.atoms;

	/* the close at the mark against the fund */
	struct cl_position acct = {p->pos[p->j].size, {p->pos[p->j].cost}};
	struct cl_position fund = {p->ms.fund_size, {p->ms.fund_cost}};
	coll.atoms = p->acc.collateral;

	rc = stf_get_insurance(v, &ins);
	if (rc != CL_OK)
		return rc;
	if (!margin_funding_payment(&fpend, p->ms.fund_size,
				    p->ms.funding_index, p->ms.fund_snap) ||
	    !cl_sub_i64(&ins, ins, fpend.atoms))
		return CL_STF_ERR_OVERFLOW;
	fund_coll.atoms = ins;
	if (!margin_apply_close(&acct, &coll, &realised, p->is_buy,
				(struct cl_size){q}, a) ||
	    !margin_apply_close(&fund, &fund_coll, &realised, !p->is_buy,
				(struct cl_size){q}, a) ||
	    !cl_sub_i64(&coll.atoms, coll.atoms, p->e_q) ||
	    !cl_add_i64(&fund_coll.atoms, fund_coll.atoms, p->e_q))
		return CL_STF_ERR_OVERFLOW;

	/* the fee, capped so the account keeps equity >= 0 */
	struct cl_stf_position after[CL_GENESIS_MAX_MARKETS];
	size_t na = 0;
	for (size_t i = 0; i < p->n; i++) {
		after[na] = p->pos[i];
		if (i == p->j) {
			if (acct.size == 0)
				continue;
			after[na].size = acct.size;
			after[na].cost = acct.cost.atoms;
		}
		na++;
	}
	rc = stf_health(v, &h2, addr, coll.atoms, after, na);
	if (rc != CL_OK)
		return rc;
	if (!margin_fee_up(&fee, a, p->m->risk.liq_fee_ppm))
		return CL_STF_ERR_OVERFLOW;
	p->fee = fee.atoms;
	if (p->fee > h2.equity)
		p->fee = h2.equity > 0 ? h2.equity : 0;
	if (!cl_sub_i64(&coll.atoms, coll.atoms, p->fee) ||
	    !cl_add_i64(&fund_coll.atoms, fund_coll.atoms, p->fee))
		return CL_STF_ERR_OVERFLOW;

	oi = (__int128)p->ms.open_interest + long_part(acct.size) -
	     long_part(p->pos[p->j].size) + long_part(fund.size) -
	     long_part(p->ms.fund_size);
	if (oi < 0 || oi > INT64_MAX) {
		cl_broken("stf", "open interest of market %u out of range",
			  market);
		return CL_ERR_CORRUPT;
	}
	p->acct_after = acct;
	p->fund_after = fund;
	p->coll_after = coll.atoms;
	p->ins_after = fund_coll.atoms;
	p->oi_after = (uint64_t)oi;
	return CL_STF_OK;
}

int stf_settle_for_liquidation(struct cl_stf *s,
				  const struct cl_address *addr,
				  uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_acct a;
	struct cl_market_state ms;
	int rc;

	if (!cl_genesis_market(&s->g, market))
		return CL_STF_ERR_UNKNOWN_MARKET;
	rc = stf_acct_load(s, &a, addr);
	if (rc == CL_OK)
		rc = stf_settle(s, &a);
	if (rc == CL_OK)
		rc = stf_load_market(&v, &ms, market);
	if (rc == CL_OK)
		rc = stf_settle_fund(s, &ms);
	if (rc == CL_OK)
		stf_put_market(s->st, market, &ms);
	return rc;
}

int stf_apply_liquidate(struct cl_stf *s, const struct cl_tx_liquidate *l)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_liq_plan plan, *p = &plan;
	struct cl_stf_event ev;
	int64_t before;
	int rc;

	if (l->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	rc = stf_settle_for_liquidation(s, &l->account, l->market);
	if (rc != CL_OK)
		return rc;
	rc = stf_liq_compute(&v, p, &l->account, l->market, l->size);
	if (rc != CL_STF_OK)
		return rc;
	if (p->ins_after < 0)
		return CL_STF_ERR_INSURANCE_INSUFFICIENT;

	before = p->pos[p->j].size;
	p->acc.collateral = p->coll_after;
	stf_put_account(s->st, &l->account, &p->acc);
	stf_put_position(s->st, &l->account, l->market, &p->acct_after,
			 p->ms.funding_index);
	p->ms.fund_size = p->fund_after.size;
	p->ms.fund_cost = p->fund_after.cost.atoms;
	p->ms.fund_snap = p->ms.funding_index;
	p->ms.open_interest = p->oi_after;
	stf_put_market(s->st, l->market, &p->ms);
	stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)p->ins_after);

	memset(&ev, 0, sizeof(ev));
	ev.kind = CL_STF_EVENT_LIQUIDATED;
	ev.market = l->market;
	ev.size = p->acct_after.size - before;
	ev.flow = p->is_buy ? -p->n_q : p->n_q;
	ev.equity_share = p->e_q;
	ev.fee = p->fee;
	rc = stf_log_event(s, &l->account, &ev);
	if (rc != CL_OK)
		return rc;
	return stf_reindex(s, &l->account);
}

/* ------------------------------------------------------------------ */
/* ADL                                                                 */
/* ------------------------------------------------------------------ */

/*
 * The first `cap` accounts of the ADL ranking on `side` (0 long, 1 short)
 * of `market`: the best score first, ties by address.
 */
static int adl_top(const struct cl_stf_view *v, struct cl_address *out,
		   size_t cap, size_t *n, uint32_t market, uint8_t side)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	uint8_t start[5];
	int rc;

	*n = 0;
	cl_put_be32(start, market);
	start[4] = side;
	rc = v->state ? cl_state_iter_new(&it, v->state, T_ADL, start, 5) :
			cl_snapshot_iter_new(&it, v->snapshot, T_ADL, start, 5);
	if (rc != CL_OK)
		return rc;
	while (*n < cap &&
	       (rc = cl_state_iter_next(it, &key, &klen, &val, &vlen)) ==
		       CL_OK) {
		if (klen < 5 || memcmp(key, start, 5) != 0)
			break;
		if (klen != ADL_ENTRY_KEY_LEN)
			continue;
		memcpy(out[*n].b, key + 13, 20);
		(*n)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	return rc;
}

int cl_stf_adl_ranking(const struct cl_stf_view *v, struct cl_address *out,
		       size_t cap, size_t *n, uint32_t market, uint8_t side)
{
	return adl_top(v, out, cap, n, market, side);
}

/* The signed position of `addr` in `market` (0 when none). */
static int position_in(const struct cl_stf_view *v, int64_t *size,
		       const struct cl_address *addr, uint32_t market)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	int rc = cl_stf_get_positions(v, pos, &n, addr);

	*size = 0;
	for (size_t i = 0; rc == CL_OK && i < n; i++)
		if (pos[i].market == market)
			*size = pos[i].size;
	return rc;
}

int stf_apply_adl(struct cl_stf *s, const struct cl_tx_adl *t)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_liq_plan plan, *p = &plan;
	struct cl_address top[CL_TX_ADL_MAX];
	uint64_t take[CL_TX_ADL_MAX], covered = 0;
	int64_t flows[CL_TX_ADL_MAX], total_flow, before;
	struct cl_amount realised;
	size_t ntop;
	uint8_t opp;
	int rc;

	if (t->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	rc = stf_settle_for_liquidation(s, &t->account, t->market);
	if (rc != CL_OK)
		return rc;
	rc = stf_liq_compute(&v, p, &t->account, t->market, t->size);
	if (rc != CL_STF_OK)
		return rc;
	if (p->ins_after >= 0)
		return CL_STF_ERR_ADL_NOT_ALLOWED;

	/* the named counterparties must be the top of the ranking on the
	 * opposite side, each used up before the next */
	opp = p->pos[p->j].size > 0 ? 1 : 0;
	rc = adl_top(&v, top, t->n, &ntop, t->market, opp);
	if (rc != CL_OK)
		return rc;
	if (ntop != t->n)
		return CL_STF_ERR_ADL_BAD_COUNTERPARTIES;
	for (uint32_t i = 0; i < t->n; i++) {
		int64_t sz;
		if (!cl_address_eq(&top[i], &t->counterparty[i]))
			return CL_STF_ERR_ADL_BAD_COUNTERPARTIES;
		rc = position_in(&v, &sz, &top[i], t->market);
		if (rc != CL_OK)
			return rc;
		if (sz == 0 || (opp == 0) != (sz > 0)) {
			cl_broken("stf", "adl ranking entry without position");
			return CL_ERR_CORRUPT;
		}
		if (covered >= p->q)
			return CL_STF_ERR_ADL_BAD_COUNTERPARTIES;
		take[i] = sz_abs(sz) < p->q - covered ? sz_abs(sz) :
							p->q - covered;
		covered += take[i];
	}
	if (covered != p->q)
		return CL_STF_ERR_ADL_BAD_COUNTERPARTIES;

	/* the bankruptcy close: the account gets (long) or pays (short)
	 * the slice value less (more) its equity share */
	if (p->is_buy) {
		if (!cl_add_i64(&total_flow, p->n_q, p->e_q))
			return CL_STF_ERR_OVERFLOW;
	} else {
		if (!cl_sub_i64(&total_flow, p->n_q, p->e_q))
			return CL_STF_ERR_OVERFLOW;
	}
	if (total_flow < 0)
		total_flow = 0;
	{
		int64_t rest = total_flow;
		for (uint32_t i = 0; i < t->n; i++) {
			if (i + 1 == t->n) {
				flows[i] = rest;
				break;
			}
			flows[i] = (int64_t)((__int128)total_flow * take[i] /
					     p->q);
			rest -= flows[i];
		}
	}

	/* the account */
	struct cl_position acct = {p->pos[p->j].size, {p->pos[p->j].cost}};
	struct cl_amount coll = {p->acc.collateral};
	__int128 oi = p->ms.open_interest;

	before = acct.size;
	if (!margin_apply_close(&acct, &coll, &realised, p->is_buy,
				(struct cl_size){p->q},
				(struct cl_amount){total_flow}))
		return CL_STF_ERR_OVERFLOW;
	oi += long_part(acct.size) - long_part(before);
	p->acc.collateral = coll.atoms;
	stf_put_account(s->st, &t->account, &p->acc);
	stf_put_position(s->st, &t->account, t->market, &acct,
			 p->ms.funding_index);

	/* the counterparties */
	for (uint32_t i = 0; i < t->n; i++) {
		struct stf_acct cacct, *c = &cacct;
		struct cl_position cp;
		size_t k;
		int64_t b;

		rc = stf_acct_load(s, c, &top[i]);
		if (rc == CL_OK)
			rc = stf_settle(s, c);
		if (rc != CL_OK)
			return rc;
		for (k = 0; k < c->n; k++)
			if (c->pos[k].market == t->market)
				break;
		CL_REQUIRE(k < c->n);
		cp = (struct cl_position){c->pos[k].size, {c->pos[k].cost}};
		b = cp.size;
		coll.atoms = c->acc.collateral;
		if (!margin_apply_close(&cp, &coll, &realised, !p->is_buy,
					(struct cl_size){take[i]},
					(struct cl_amount){flows[i]}))
			return CL_STF_ERR_OVERFLOW;
		c->acc.collateral = coll.atoms;
		oi += long_part(cp.size) - long_part(b);
		stf_put_account(s->st, &top[i], &c->acc);
		stf_put_position(s->st, &top[i], t->market, &cp,
				 p->ms.funding_index);

		struct cl_stf_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.kind = CL_STF_EVENT_ADL_COUNTERPARTY;
		ev.market = t->market;
		ev.size = cp.size - b;
		ev.flow = p->is_buy ? flows[i] : -flows[i];
		ev.other = t->account;
		rc = stf_log_event(s, &top[i], &ev);
		if (rc == CL_OK) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = CL_STF_EVENT_ADL_BANKRUPT;
			ev.market = t->market;
			ev.size = p->is_buy ? (int64_t)take[i] :
					      -(int64_t)take[i];
			ev.flow = p->is_buy ? -flows[i] : flows[i];
			ev.other = top[i];
			rc = stf_log_event(s, &t->account, &ev);
		}
		if (rc == CL_OK)
			rc = stf_reindex(s, &top[i]);
		if (rc != CL_OK)
			return rc;
	}
	if (oi < 0 || oi > INT64_MAX)
		return CL_ERR_CORRUPT;
	/* the market record may have been touched by the settlements */
	{
		struct cl_market_state ms;
		rc = stf_load_market(&v, &ms, t->market);
		if (rc != CL_OK)
			return rc;
		ms.open_interest = (uint64_t)oi;
		stf_put_market(s->st, t->market, &ms);
	}
	return stf_reindex(s, &t->account);
}

/* ------------------------------------------------------------------ */
/* What the sequencer does next                                        */
/* ------------------------------------------------------------------ */

int cl_stf_liquidation_next(const struct cl_stf_view *v, struct cl_tx *out,
			    bool *has, const struct cl_address *addr)
{
	struct cl_stf_account_risk r;
	struct stf_liq_plan *p;
	struct cl_address top[CL_TX_ADL_MAX];
	size_t ntop, best = 0;
	uint64_t covered = 0;
	uint32_t used = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	*has = false;
	rc = cl_stf_get_account_risk(v, &r, addr);
	if (rc != CL_OK)
		return rc;
	if (!r.liquidatable || r.n == 0)
		return CL_OK;
	for (size_t i = 1; i < r.n; i++)
		if (r.pos[i].mm > r.pos[best].mm)
			best = i;
	if (r.portfolio) {
		struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
		size_t n;
		rc = cl_stf_get_positions(v, pos, &n, addr);
		if (rc == CL_OK)
			rc = stf_pm_riskiest(v, &best, pos, n);
		if (rc != CL_OK)
			return rc > 0 && rc != CL_STF_ERR_OVERFLOW ? CL_OK : rc;
	}
	p = cl_xcalloc(1, sizeof(*p));
	rc = stf_liq_compute(v, p, addr, r.pos[best].market, 0);
	if (rc != CL_STF_OK)
		goto out;
	*has = true;
	if (p->ins_after >= 0) {
		out->type = CL_TX_LIQUIDATE;
		out->u.liquidate.account = *addr;
		out->u.liquidate.market = r.pos[best].market;
		out->u.liquidate.size = p->q;
		goto out;
	}
	rc = adl_top(v, top, CL_TX_ADL_MAX, &ntop, r.pos[best].market,
		     p->pos[p->j].size > 0 ? 1 : 0);
	if (rc != CL_OK)
		goto out;
	out->type = CL_TX_ADL;
	out->u.adl.account = *addr;
	out->u.adl.market = r.pos[best].market;
	for (size_t i = 0; i < ntop && covered < p->q; i++) {
		int64_t sz;
		rc = position_in(v, &sz, &top[i], r.pos[best].market);
		if (rc != CL_OK)
			goto out;
		out->u.adl.counterparty[used++] = top[i];
		covered += sz_abs(sz);
	}
	out->u.adl.n = used;
	out->u.adl.size = covered < p->q ? covered : p->q;
	if (used == 0) {
		/* nobody to deleverage: the fund is the whole other side */
		out->type = CL_TX_LIQUIDATE;
		out->u.liquidate.account = *addr;
		out->u.liquidate.market = r.pos[best].market;
		out->u.liquidate.size = p->q;
	}
out:
	free(p);
	if (rc > 0 && rc != CL_STF_ERR_OVERFLOW)
		rc = CL_OK; /* not liquidatable after all */
	if (rc != CL_OK)
		*has = false;
	return rc;
}
