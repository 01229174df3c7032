/* SPDX-License-Identifier: MIT */
/*
 * The risk engine inside the stf (oracle updates, the mark and funding
 * accrual are in mark.c): lazy funding settlement with its dust sweep,
 * health with the dynamic multipliers, and the two indexes (liquidation
 * prices, local; ADL ranking, committed) with their read helpers.
 * docs/margin.md "Risk engine" and docs/liquidation.md are the reference.
 */
#include "stf_int.h"

#include <string.h>

static int view_iter(const struct cl_stf_view *v, struct cl_state_iter **it,
		     enum cl_table t, const uint8_t *start, size_t slen)
{
	if (v->state)
		return cl_state_iter_new(it, v->state, t, start, slen);
	return cl_snapshot_iter_new(it, v->snapshot, t, start, slen);
}

int stf_load_market(const struct cl_stf_view *v, struct cl_market_state *ms,
		    uint32_t market)
{
	int rc = cl_stf_get_market(v, ms, market);

	return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
}

int stf_get_insurance(const struct cl_stf_view *v, int64_t *out)
{
	uint64_t u;
	int rc = stf_get_global_u64(v, &u, G_INSURANCE);

	*out = (int64_t)u;
	return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
}

static void put_insurance(struct cl_state *st, int64_t v)
{
	stf_put_global_u64(st, G_INSURANCE, (uint64_t)v);
}

uint32_t stf_market_scale(const struct cl_market_params *m,
			  const struct cl_market_state *ms)
{
	struct cl_imf_scale_params p = {
		.oi_cap = {m->oi_cap},
		.oi_threshold_ppm = m->risk.oi_imf_threshold_ppm,
		.oi_factor_ppm = m->risk.oi_imf_factor_ppm,
		.vol_factor = m->risk.vol_imf_factor,
		.max_scale_ppm = m->risk.imf_max_scale_ppm,
	};

	return margin_imf_scale_ppm(&p, (struct cl_size){ms->open_interest},
				    ms->vol_var);
}

static struct cl_market_risk market_risk(const struct cl_genesis *g,
					 const struct cl_market_params *m)
{
	struct cl_market_risk r = {cl_genesis_scale_exp(g, m), m->tiers,
				   m->n_tiers};
	return r;
}

static const struct cl_market_params *need_market(const struct cl_genesis *g,
						  uint32_t id)
{
	const struct cl_market_params *m = cl_genesis_market(g, id);

	if (!m)
		cl_broken("stf", "position in unknown market %u", id);
	return m;
}

/* ------------------------------------------------------------------ */
/* Health                                                              */
/* ------------------------------------------------------------------ */

/* Marks, risks and multipliers of the markets of `pos`. */
struct health_in {
	struct cl_market_risk risk[CL_GENESIS_MAX_MARKETS];
	const struct cl_market_risk *rp[CL_GENESIS_MAX_MARKETS];
	struct cl_position p[CL_GENESIS_MAX_MARKETS];
	struct cl_price marks[CL_GENESIS_MAX_MARKETS];
	uint32_t scales[CL_GENESIS_MAX_MARKETS];
	uint32_t worst[CL_GENESIS_MAX_MARKETS];
	const struct cl_market_params *m[CL_GENESIS_MAX_MARKETS];
};

static int health_prepare(const struct cl_stf_view *v, struct health_in *in,
			  const struct cl_stf_position *pos, size_t n)
{
	CL_REQUIRE(n <= CL_GENESIS_MAX_MARKETS);
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
			need_market(v->genesis, pos[i].market);
		struct cl_market_state ms;
		int rc;

		if (!m)
			return CL_ERR_CORRUPT;
		rc = cl_stf_get_market(v, &ms, pos[i].market);
		if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && !ms.mark_price)) {
			cl_broken("stf", "position in market %u without mark",
				  pos[i].market);
			return CL_ERR_CORRUPT;
		}
		if (rc != CL_OK)
			return rc;
		in->m[i] = m;
		in->risk[i] = market_risk(v->genesis, m);
		in->rp[i] = &in->risk[i];
		in->p[i].size = pos[i].size;
		in->p[i].cost.atoms = pos[i].cost;
		in->marks[i].v = ms.mark_price;
		in->scales[i] = stf_market_scale(m, &ms);
		in->worst[i] = m->risk.imf_max_scale_ppm;
	}
	return CL_OK;
}

/* The settlement balance plus the haircut value of addr's assets. */
static int with_assets(const struct cl_stf_view *v, int64_t *out,
		       int64_t *assets, const struct cl_address *addr,
		       int64_t settlement)
{
	bool holds;
	int rc;

	*out = settlement;
	*assets = 0;
	if (!addr || v->genesis->n_assets == 0)
		return CL_OK;
	rc = stf_asset_value(v, assets, &holds, addr);
	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(out, settlement, *assets))
		return CL_STF_ERR_OVERFLOW;
	return CL_OK;
}

/* Move the option positions of `in` (n of them) to the end and add
 * their value and requirements to `opt` (docs/margin.md "Options");
 * *n_perp gets the count of the others, which stay in order. */
static int split_options(const struct cl_stf_view *v, struct health_in *in,
			 size_t n, size_t *n_perp, struct cl_health *opt,
			 bool reqs)
{
	size_t k = 0;

	memset(opt, 0, sizeof(*opt));
	for (size_t i = 0; i < n; i++) {
		struct cl_amount u;
		int64_t im, mm;
		int rc;

		if (!cl_market_is_option(in->m[i])) {
			in->m[k] = in->m[i];
			in->risk[k] = in->risk[i];
			in->rp[k] = &in->risk[k];
			in->p[k] = in->p[i];
			in->marks[k] = in->marks[i];
			in->scales[k] = in->scales[i];
			in->worst[k] = in->worst[i];
			k++;
			continue;
		}
		im = mm = 0;
		rc = reqs ? stf_option_requirement(v, in->m[i], in->p[i].size,
						   in->p[i].cost.atoms, &im,
						   &mm)
			  : CL_OK;
		if (rc != CL_OK)
			return rc;
		if (!margin_upnl_down(&u, in->rp[i], &in->p[i], in->marks[i]) ||
		    !cl_add_i64(&opt->upnl, opt->upnl, u.atoms) ||
		    !cl_add_i64(&opt->im, opt->im, im) ||
		    !cl_add_i64(&opt->mm, opt->mm, mm))
			return CL_STF_ERR_OVERFLOW;
	}
	*n_perp = k;
	return CL_OK;
}

/* stf_health_legs(), the options' requirements left out when !reqs
 * (a portfolio account's are replaced whole). */
static int health_legs(const struct cl_stf_view *v, struct cl_health *out,
		       const struct cl_address *addr, int64_t collateral,
		       const struct cl_stf_position *pos, size_t n, bool reqs)
{
	struct health_in in;
	struct cl_health opt;
	int64_t total, assets;
	size_t n_perp;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = with_assets(v, &total, &assets, addr, collateral);
	if (rc == CL_OK)
		rc = health_prepare(v, &in, pos, n);
	if (rc == CL_OK)
		rc = split_options(v, &in, n, &n_perp, &opt, reqs);
	if (rc != CL_OK)
		return rc;
	if (!margin_health_scaled(out, (struct cl_amount){total}, in.p, in.rp,
				  in.marks, in.scales, n_perp) ||
	    !cl_add_i64(&out->upnl, out->upnl, opt.upnl) ||
	    !cl_add_i64(&out->equity, out->equity, opt.upnl) ||
	    !cl_add_i64(&out->im, out->im, opt.im) ||
	    !cl_add_i64(&out->mm, out->mm, opt.mm)) {
		memset(out, 0, sizeof(*out));
		return CL_STF_ERR_OVERFLOW;
	}
	out->order_im = out->im;
	out->asset_value = assets;
	return CL_OK;
}

int stf_health_legs(const struct cl_stf_view *v, struct cl_health *out,
		    const struct cl_address *addr, int64_t collateral,
		    const struct cl_stf_position *pos, size_t n)
{
	return health_legs(v, out, addr, collateral, pos, n, true);
}

int stf_health(const struct cl_stf_view *v, struct cl_health *out,
	       const struct cl_address *addr, int64_t collateral,
	       const struct cl_stf_position *pos, size_t n)
{
	bool pm = false, on;
	int rc = CL_OK;

	/* a portfolio account's requirements (docs/margin.md) replace the
	 * leg-by-leg ones: its options' are not computed */
	if (addr && v->genesis->portfolio.enabled)
		rc = cl_stf_get_portfolio_mode(v, &pm, addr);
	if (rc == CL_OK)
		rc = health_legs(v, out, addr, collateral, pos, n, !pm);
	if (rc != CL_OK || !pm)
		return rc;
	return stf_pm_health(v, out, &on, addr, pos, n);
}

int stf_pending_funding(const struct cl_stf_view *v, int64_t *out,
			const struct cl_stf_position *p)
{
	struct cl_market_state ms;
	struct cl_amount pay;
	int rc = stf_load_market(v, &ms, p->market);

	*out = 0;
	if (rc != CL_OK)
		return rc;
	if (!margin_funding_payment(&pay, p->size, ms.funding_index,
				    p->funding_snap))
		return CL_STF_ERR_OVERFLOW;
	*out = pay.atoms;
	return CL_OK;
}

/* Collateral after the pending funding of every position. */
static int collateral_settled(const struct cl_stf_view *v, int64_t *coll,
			      const struct cl_stf_position *pos, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t pay;
		int rc = stf_pending_funding(v, &pay, &pos[i]);
		if (rc != CL_OK)
			return rc;
		if (!cl_sub_i64(coll, *coll, pay))
			return CL_STF_ERR_OVERFLOW;
	}
	return CL_OK;
}

int cl_stf_get_health(const struct cl_stf_view *v, struct cl_health *out,
		      const struct cl_address *addr)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	struct cl_account a;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cl_stf_get_account(v, &a, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_positions(v, pos, &n, addr);
	if (rc != CL_OK)
		return rc;
	rc = collateral_settled(v, &a.collateral, pos, n);
	if (rc == CL_OK)
		rc = stf_health(v, out, addr, a.collateral, pos, n);
	if (rc == CL_OK)
		rc = stf_order_im(v, &out->order_im, addr, pos, n, NULL);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Lazy funding settlement                                             */
/* ------------------------------------------------------------------ */

int stf_acct_load(struct cl_stf *s, struct stf_acct *a,
		  const struct cl_address *addr)
{
	struct cl_stf_view v = cl_stf_view(s);
	int rc;

	memset(a, 0, sizeof(*a));
	a->addr = *addr;
	rc = cl_stf_get_account(&v, &a->acc, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	return cl_stf_get_positions(&v, a->pos, &a->n, addr);
}

/*
 * Move `pay` (positive: from the position's owner) into the market's pool
 * and account for the snapshot moving from `snap` to the index; then sweep
 * whole atoms of rounding dust to the insurance fund.
 */
static int pool_settle(struct cl_stf *s, struct cl_market_state *ms,
		       int64_t size, __int128 snap, int64_t pay)
{
	struct cl_stf_view v = cl_stf_view(s);
	__int128 x, dust, lim = (__int128)1 << 124;
	int64_t ins;
	int rc;

	x = (__int128)size * (ms->funding_index - snap);
	if (x > lim || x < -lim || ms->snap_sum > lim || ms->snap_sum < -lim)
		return CL_STF_ERR_OVERFLOW;
	if (!cl_add_i64(&ms->funding_pool, ms->funding_pool, pay))
		return CL_STF_ERR_OVERFLOW;
	ms->snap_sum += x;
	/* dust = pool - sum(size * snap) / 1e9 >= 0: whole atoms of it
	 * belong to nobody; the fund takes them */
	dust = (__int128)ms->funding_pool * CL_FUNDING_SCALE - ms->snap_sum;
	if (dust >= CL_FUNDING_SCALE) {
		int64_t k = (int64_t)(dust / CL_FUNDING_SCALE);
		rc = stf_get_insurance(&v, &ins);
		if (rc != CL_OK)
			return rc;
		if (!cl_add_i64(&ins, ins, k))
			return CL_STF_ERR_OVERFLOW;
		ms->funding_pool -= k;
		put_insurance(s->st, ins);
	}
	return CL_OK;
}

int stf_settle(struct cl_stf *s, struct stf_acct *a)
{
	struct cl_stf_view v = cl_stf_view(s);
	bool changed = false;

	for (size_t i = 0; i < a->n; i++) {
		struct cl_stf_position *p = &a->pos[i];
		struct cl_market_state ms;
		struct cl_position cp = {p->size, {p->cost}};
		struct cl_amount pay;
		int rc = stf_load_market(&v, &ms, p->market);

		if (rc != CL_OK)
			return rc;
		if (ms.funding_index == p->funding_snap)
			continue;
		if (!margin_funding_payment(&pay, p->size, ms.funding_index,
					    p->funding_snap) ||
		    !cl_sub_i64(&a->acc.collateral, a->acc.collateral,
				pay.atoms))
			return CL_STF_ERR_OVERFLOW;
		rc = pool_settle(s, &ms, p->size, p->funding_snap, pay.atoms);
		if (rc != CL_OK)
			return rc;
		p->funding_snap = ms.funding_index;
		stf_put_market(s->st, p->market, &ms);
		stf_put_position(s->st, &a->addr, p->market, &cp,
				 p->funding_snap);
		changed = true;
	}
	if (changed)
		stf_put_account(s->st, &a->addr, &a->acc);
	return CL_OK;
}

int stf_settle_fund(struct cl_stf *s, struct cl_market_state *ms)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_amount pay_a;
	int64_t pay, ins;
	int rc;

	if (ms->fund_snap == ms->funding_index)
		return CL_OK;
	if (ms->fund_size == 0) {
		ms->fund_snap = ms->funding_index;
		return CL_OK;
	}
	if (!margin_funding_payment(&pay_a, ms->fund_size, ms->funding_index,
				    ms->fund_snap))
		return CL_STF_ERR_OVERFLOW;
	pay = pay_a.atoms;
	rc = pool_settle(s, ms, ms->fund_size, ms->fund_snap, pay);
	if (rc != CL_OK)
		return rc;
	rc = stf_get_insurance(&v, &ins);
	if (rc != CL_OK)
		return rc;
	if (!cl_sub_i64(&ins, ins, pay))
		return CL_STF_ERR_OVERFLOW;
	put_insurance(s->st, ins);
	ms->fund_snap = ms->funding_index;
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Liquidation and bankruptcy prices                                   */
/* ------------------------------------------------------------------ */

/*
 * equity(P) - k * mm(P) for position j moved to mark P, the others fixed
 * (k = 0: equity only, for the bankruptcy price). *ok is false when the
 * numbers leave 64 bits; the caller treats that as "far away".
 */
static __int128 f_at(const struct health_in *in, size_t n, size_t j,
		     int64_t collateral, const uint32_t *scales, bool with_mm,
		     uint64_t price, bool *ok)
{
	__int128 acc = collateral;

	*ok = true;
	for (size_t i = 0; i < n; i++) {
		struct cl_amount u, im, mm;
		struct cl_price mk = i == j ? (struct cl_price){price} :
					      in->marks[i];
		if (!margin_upnl_down(&u, in->rp[i], &in->p[i], mk)) {
			*ok = false;
			return 0;
		}
		acc += u.atoms;
		if (!with_mm)
			continue;
		if (!margin_requirement_scaled_up(&im, &mm, in->rp[i],
						  &in->p[i], mk, scales[i])) {
			*ok = false;
			return 0;
		}
		acc -= mm.atoms;
	}
	return acc;
}

#define PRICE_SEARCH_MAX ((uint64_t)1 << 62)

/*
 * The price of position j at which f (above) crosses zero: for a long the
 * largest P with f(P) < 0 (0 when none), for a short the smallest P with
 * f(P) < 0 (UINT64_MAX when none).
 */
static uint64_t crossing_price(const struct health_in *in, size_t n, size_t j,
			       int64_t collateral, const uint32_t *scales,
			       bool with_mm)
{
	bool is_long = in->p[j].size > 0, ok;
	uint64_t lo = 1, hi = PRICE_SEARCH_MAX;
	__int128 f;

	/* overflow at a price means a huge notional: far in profit for a
	 * long, far in loss for a short */
	f = f_at(in, n, j, collateral, scales, with_mm, lo, &ok);
	if (is_long) {
		if (!ok || f >= 0)
			return 0;
		f = f_at(in, n, j, collateral, scales, with_mm, hi, &ok);
		if (ok && f < 0)
			return UINT64_MAX;
		/* f(lo) < 0 <= f(hi) */
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			f = f_at(in, n, j, collateral, scales, with_mm, mid,
				 &ok);
			if (ok && f < 0)
				lo = mid;
			else
				hi = mid;
		}
		return lo;
	}
	if (ok && f < 0)
		return 0;
	f = f_at(in, n, j, collateral, scales, with_mm, hi, &ok);
	if (ok && f >= 0)
		return UINT64_MAX;
	/* f(lo) >= 0 > f(hi) */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		f = f_at(in, n, j, collateral, scales, with_mm, mid, &ok);
		if (!ok || f < 0)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* ------------------------------------------------------------------ */
/* The indexes                                                         */
/* ------------------------------------------------------------------ */

static void rev_key(uint8_t k[24], const struct cl_address *a, uint32_t m)
{
	memcpy(k, a->b, 20);
	cl_put_be32(k + 20, m);
}

static void entry_key(uint8_t k[33], uint32_t m, uint8_t side, uint64_t v,
		      const struct cl_address *a)
{
	cl_put_be32(k, m);
	k[4] = side;
	cl_put_be64(k + 5, v);
	memcpy(k + 13, a->b, 20);
}

/* Replace the entry of (addr, market) in an index table; `present`
 * false removes it. Writes nothing when it did not change. */
static int index_set(struct cl_stf *s, enum cl_table t,
		     const struct cl_address *addr, uint32_t market,
		     bool present, uint8_t side, uint64_t v)
{
	uint8_t rk[24], ek[33], val[9];
	const uint8_t *old;
	size_t olen;
	int rc;

	rev_key(rk, addr, market);
	rc = cl_state_get(s->st, &old, &olen, t, rk, sizeof(rk));
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (rc == CL_OK) {
		if (olen != 9) {
			cl_broken("stf", "index entry of %zu bytes", olen);
			return CL_ERR_CORRUPT;
		}
		if (present && old[0] == side && cl_get_be64(old + 1) == v)
			return CL_OK;
		entry_key(ek, market, old[0], cl_get_be64(old + 1), addr);
		cl_state_del(s->st, t, ek, sizeof(ek));
		if (!present)
			cl_state_del(s->st, t, rk, sizeof(rk));
	}
	if (!present)
		return CL_OK;
	val[0] = side;
	cl_put_be64(val + 1, v);
	cl_state_put(s->st, t, rk, sizeof(rk), val, sizeof(val));
	entry_key(ek, market, side, v, addr);
	val[0] = 0;
	cl_state_put(s->st, t, ek, sizeof(ek), val, 1);
	return CL_OK;
}

/* Order-preserving map of a score to u64, inverted: best first. */
static uint64_t adl_key_of(int64_t score)
{
	return ~((uint64_t)score ^ (1ull << 63));
}

/* Per-position risk numbers of a loaded, settled account. */
static int account_risk(const struct cl_stf_view *v,
			struct cl_stf_account_risk *out,
			const struct cl_address *addr, int64_t settlement,
			const struct cl_stf_position *pos, size_t n,
			bool indexing)
{
	struct health_in in;
	struct cl_health *h = &out->health;
	int64_t collateral, assets;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = with_assets(v, &collateral, &assets, addr, settlement);
	if (rc == CL_OK)
		rc = health_prepare(v, &in, pos, n);
	if (rc == CL_OK) /* the same figures as stf_health(), options too */
		rc = stf_health_legs(v, h, addr, settlement, pos, n);
	if (rc != CL_OK)
		return rc;
	rc = stf_pm_health(v, h, &out->portfolio, addr, pos, n);
	if (rc != CL_OK)
		return rc;
	out->liquidatable = h->equity < h->mm;
	if (h->equity <= 0) {
		out->margin_ratio_ppm = INT64_MAX;
	} else {
		__int128 r = (__int128)h->mm * CL_PPM / h->equity;
		out->margin_ratio_ppm = r > INT64_MAX ? INT64_MAX : (int64_t)r;
	}
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		struct cl_stf_position_risk *r = &out->pos[i];
		struct cl_amount upnl, im, mm, notional;
		struct cl_price entry;

		r->market = pos[i].market;
		r->size = pos[i].size;
		r->cost = pos[i].cost;
		if (cl_market_is_option(in.m[i])) {
			/* leg by leg (option_margin.c); an option has no
			 * liquidation price of its own: its accounts are
			 * swept with the multi-market ones */
			rc = stf_option_requirement(v, in.m[i], pos[i].size,
						    pos[i].cost, &r->im,
						    &r->mm);
			if (rc != CL_OK)
				return rc;
			if (!margin_upnl_down(&upnl, in.rp[i], &in.p[i],
					      in.marks[i]) ||
			    !margin_notional_up(&notional, in.rp[i],
						margin_abs_size(pos[i].size),
						in.marks[i]))
				return CL_STF_ERR_OVERFLOW;
			r->upnl = upnl.atoms;
			r->liquidation_price = pos[i].size > 0 ? 0 : UINT64_MAX;
			r->adl_score = margin_adl_score(
				upnl, in.p[i].cost, notional,
				(struct cl_amount){h->equity});
			continue;
		}
		if (!margin_upnl_down(&upnl, in.rp[i], &in.p[i], in.marks[i]) ||
		    !margin_requirement_scaled_up(&im, &mm, in.rp[i], &in.p[i],
						  in.marks[i], in.scales[i]) ||
		    !margin_notional_up(&notional, in.rp[i],
					margin_abs_size(pos[i].size),
					in.marks[i]) ||
		    !margin_entry_price(&entry, in.rp[i], &in.p[i]))
			return CL_STF_ERR_OVERFLOW;
		r->upnl = upnl.atoms;
		r->im = im.atoms;
		r->mm = mm.atoms;
		r->entry_price = entry.v;
		/* a portfolio account has no price of its own per
		 * position: its index entries never match (a long at 0,
		 * a short at the top) and the sweep of several-market
		 * accounts checks it every block */
		if (out->portfolio) {
			r->liquidation_price = pos[i].size > 0 ? 0 : UINT64_MAX;
			r->bankruptcy_price = 0;
		} else {
			r->liquidation_price = crossing_price(
				&in, n, i, collateral,
				indexing ? in.worst : in.scales, true);
			r->bankruptcy_price =
				indexing ? 0 :
					   crossing_price(&in, n, i, collateral,
							  in.scales, false);
		}
		r->adl_score = margin_adl_score(upnl, in.p[i].cost, notional,
						(struct cl_amount){h->equity});
	}
	return CL_OK;
}

/* The markets in which `addr` has index entries (reverse keys). */
static int indexed_markets(struct cl_stf *s, uint32_t *out, size_t *n,
			   const struct cl_address *addr)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	rc = cl_state_iter_new(&it, s->st, T_LIQ, addr->b, 20);
	if (rc != CL_OK)
		return rc;
	while ((rc = cl_state_iter_next(it, &key, &klen, &val, &vlen)) ==
	       CL_OK) {
		if (klen < 20 || memcmp(key, addr->b, 20) != 0)
			break;
		if (klen != LIQ_REV_KEY_LEN)
			continue;
		if (*n == CL_GENESIS_MAX_MARKETS)
			break;
		out[(*n)++] = cl_get_be32(key + 20);
	}
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int stf_reindex(struct cl_stf *s, const struct cl_address *addr)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_account_risk r;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	uint32_t had[CL_GENESIS_MAX_MARKETS];
	struct cl_account a;
	size_t n, nhad;
	int rc;

	rc = cl_stf_get_account(&v, &a, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_positions(&v, pos, &n, addr);
	if (rc == CL_OK)
		rc = indexed_markets(s, had, &nhad, addr);
	if (rc == CL_OK)
		rc = collateral_settled(&v, &a.collateral, pos, n);
	if (rc == CL_OK)
		rc = account_risk(&v, &r, addr, a.collateral, pos, n, true);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint8_t side = pos[i].size > 0 ? 0 : 1;
		rc = index_set(s, T_LIQ, addr, pos[i].market, true, side,
			       r.pos[i].liquidation_price);
		if (rc == CL_OK)
			rc = index_set(s, T_ADL, addr, pos[i].market, true,
				       side, adl_key_of(r.pos[i].adl_score));
		if (rc != CL_OK)
			return rc;
	}
	/* accounts in several markets, and accounts whose collateral
	 * assets move with other markets' prices, are swept when blocks
	 * open too */
	bool holds = false;
	for (size_t i = 0; i < n && !holds; i++)
		holds = cl_market_is_option(cl_genesis_market(&s->g,
							      pos[i].market));
	if (!holds && n < 2 && s->g.n_assets > 0) {
		int64_t val;
		rc = stf_asset_value(&v, &val, &holds, addr);
		if (rc != CL_OK)
			return rc;
	}
	if (n >= 2 || holds || (r.portfolio && n > 0)) {
		const uint8_t one = 1;
		const uint8_t *old;
		size_t olen;
		rc = cl_state_get(s->st, &old, &olen, T_MULTI, addr->b, 20);
		if (rc == CL_ERR_NOT_FOUND)
			cl_state_put(s->st, T_MULTI, addr->b, 20, &one, 1);
		else if (rc != CL_OK)
			return rc;
	} else {
		cl_state_del(s->st, T_MULTI, addr->b, 20);
	}
	/* drop the entries of markets the account left */
	for (size_t k = 0; k < nhad; k++) {
		bool held = false;
		for (size_t i = 0; i < n; i++)
			held |= pos[i].market == had[k];
		if (held)
			continue;
		rc = index_set(s, T_LIQ, addr, had[k], false, 0, 0);
		if (rc == CL_OK)
			rc = index_set(s, T_ADL, addr, had[k], false, 0, 0);
		if (rc != CL_OK)
			return rc;
	}
	/* TP/SL orders of a position that is gone leave with it */
	return stf_triggers_position(s, addr);
}

int cl_stf_get_account_risk(const struct cl_stf_view *v,
			    struct cl_stf_account_risk *out,
			    const struct cl_address *addr)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	struct cl_account a;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cl_stf_get_account(v, &a, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_positions(v, pos, &n, addr);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int64_t pay;
		rc = stf_pending_funding(v, &pay, &pos[i]);
		if (rc != CL_OK)
			return rc;
		out->pos[i].pending_funding = pay;
		if (!cl_sub_i64(&a.collateral, a.collateral, pay))
			return CL_STF_ERR_OVERFLOW;
	}
	{
		int64_t pending[CL_GENESIS_MAX_MARKETS];
		for (size_t i = 0; i < n; i++)
			pending[i] = out->pos[i].pending_funding;
		rc = account_risk(v, out, addr, a.collateral, pos, n, false);
		for (size_t i = 0; i < n; i++)
			out->pos[i].pending_funding = pending[i];
	}
	if (rc == CL_OK)
		rc = stf_order_im(v, &out->health.order_im, addr, pos, n,
				  NULL);
	return rc;
}

int cl_stf_liquidation_candidates(const struct cl_stf_view *v,
				  uint32_t market, uint64_t mark,
				  struct cl_address *out, size_t cap,
				  size_t *n)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	uint8_t start[13];
	int rc = CL_OK;

	*n = 0;
	for (uint8_t side = 0; side < 2 && *n < cap; side++) {
		/* longs: price >= mark, from mark up; shorts: price <= mark,
		 * from 0 up */
		cl_put_be32(start, market);
		start[4] = side;
		cl_put_be64(start + 5, side == 0 ? mark : 0);
		rc = view_iter(v, &it, T_LIQ, start, sizeof(start));
		if (rc != CL_OK)
			return rc;
		while (*n < cap && (rc = cl_state_iter_next(it, &key, &klen,
							     &val, &vlen)) ==
					   CL_OK) {
			if (klen < 5 || memcmp(key, start, 5) != 0)
				break;
			if (klen != LIQ_ENTRY_KEY_LEN)
				continue;
			if (side == 1 && cl_get_be64(key + 5) > mark)
				break;
			memcpy(out[*n].b, key + 13, 20);
			(*n)++;
		}
		cl_state_iter_free(it);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
		if (rc != CL_OK) {
			*n = 0;
			return rc;
		}
	}
	return CL_OK;
}

int cl_stf_get_insurance(const struct cl_stf_view *v, int64_t *balance,
			 struct cl_stf_position *pos, size_t *n)
{
	int rc = stf_get_insurance(v, balance);

	*n = 0;
	if (rc != CL_OK)
		return rc;
	for (uint32_t i = 0; i < v->genesis->n_markets; i++) {
		struct cl_market_state ms;
		rc = stf_load_market(v, &ms, v->genesis->markets[i].id);
		if (rc != CL_OK)
			return rc;
		if (ms.fund_size == 0)
			continue;
		pos[*n].market = v->genesis->markets[i].id;
		pos[*n].size = ms.fund_size;
		pos[*n].cost = ms.fund_cost;
		pos[*n].funding_snap = ms.fund_snap;
		(*n)++;
	}
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Event log                                                           */
/* ------------------------------------------------------------------ */

int stf_log_event(struct cl_stf *s, const struct cl_address *addr,
		  const struct cl_stf_event *ev)
{
	static const uint8_t seq_key[] = {'s', 'e', 'q'};
	uint8_t k[EVENT_KEY_LEN], b[EVENT_VAL_LEN], sb[8];
	const uint8_t *val;
	size_t vlen;
	uint64_t seq = 0;
	int rc;

	rc = cl_state_get(s->st, &val, &vlen, T_EVENTS, seq_key,
			  sizeof(seq_key));
	if (rc == CL_OK && vlen == 8)
		seq = cl_get_be64(val);
	else if (rc != CL_ERR_NOT_FOUND && rc != CL_OK)
		return rc;
	cl_put_be64(sb, seq + 1);
	cl_state_put(s->st, T_EVENTS, seq_key, sizeof(seq_key), sb, 8);
	memcpy(k, addr->b, 20);
	cl_put_be64(k + 20, seq);
	cl_put_be64(b, s->block_number);
	b[8] = (uint8_t)ev->kind;
	cl_put_be32(b + 9, ev->market);
	cl_put_be64(b + 13, (uint64_t)ev->size);
	cl_put_be64(b + 21, (uint64_t)ev->flow);
	cl_put_be64(b + 29, (uint64_t)ev->equity_share);
	cl_put_be64(b + 37, (uint64_t)ev->fee);
	memcpy(b + 45, ev->other.b, 20);
	cl_state_put(s->st, T_EVENTS, k, sizeof(k), b, sizeof(b));
	return CL_OK;
}

int cl_stf_get_events(const struct cl_stf_view *v, struct cl_stf_event *out,
		      size_t cap, size_t *n, const struct cl_address *addr,
		      uint64_t from)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	uint8_t start[EVENT_KEY_LEN];
	int rc;

	*n = 0;
	memcpy(start, addr->b, 20);
	cl_put_be64(start + 20, from);
	rc = view_iter(v, &it, T_EVENTS, start, sizeof(start));
	if (rc != CL_OK)
		return rc;
	while (*n < cap && (rc = cl_state_iter_next(it, &key, &klen, &val,
						     &vlen)) == CL_OK) {
		struct cl_stf_event *ev = &out[*n];
		if (klen < 20 || memcmp(key, addr->b, 20) != 0)
			break;
		if (klen != EVENT_KEY_LEN || vlen != EVENT_VAL_LEN)
			continue;
		ev->seq = cl_get_be64(key + 20);
		ev->block = cl_get_be64(val);
		ev->kind = (enum cl_stf_event_kind)val[8];
		ev->market = cl_get_be32(val + 9);
		ev->size = (int64_t)cl_get_be64(val + 13);
		ev->flow = (int64_t)cl_get_be64(val + 21);
		ev->equity_share = (int64_t)cl_get_be64(val + 29);
		ev->fee = (int64_t)cl_get_be64(val + 37);
		memcpy(ev->other.b, val + 45, 20);
		(*n)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc != CL_OK)
		*n = 0;
	return rc;
}
