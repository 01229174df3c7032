/* SPDX-License-Identifier: MIT */
/*
 * Portfolio margin in the stf (docs/margin.md "Portfolio margin"):
 * PORTFOLIO_MODE, the table this file owns, the collection of an
 * account's legs by underlying, and the requirement every margin check of
 * a portfolio account uses in place of the leg-by-leg one (stf_health,
 * stf_order_im and the liquidation's choice of position call in here).
 *
 * PORTFOLIO (0x30): account(20) -> 0x01; present iff the account is
 *   margined in portfolio mode.
 */
#include "stf_int.h"

#include <clearline/options.h>

#include <stdlib.h>
#include <string.h>

#define PM_VAL 0x01

int cl_stf_get_portfolio_mode(const struct cl_stf_view *v, bool *on,
			      const struct cl_address *addr)
{
	const uint8_t *val;
	size_t vlen;
	int rc;

	*on = false;
	if (!v->genesis->portfolio.enabled)
		return CL_OK;
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_PORTFOLIO, addr->b, 20);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	if (vlen != 1 || val[0] != PM_VAL) {
		cl_broken("stf", "portfolio mode record of %zu bytes", vlen);
		return CL_ERR_CORRUPT;
	}
	*on = true;
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* The legs of an account                                              */
/* ------------------------------------------------------------------ */

/* Everything the pure requirement reads (on the heap: the value tables
 * a computation without the block's memo needs are ~37 KiB). */
struct pm_in {
	size_t n_groups;
	struct cl_pm_group g[CL_PM_UNDERLYINGS_MAX];
	struct cl_opt_leg legs[CL_GENESIS_MAX_MARKETS];
	const struct cl_opt_values *vals[CL_GENESIS_MAX_MARKETS];
	struct cl_opt_values tmp[CL_GENESIS_MAX_MARKETS];
	/* the options the scenarios cannot price, counted leg by leg */
	int64_t apart_mm, apart_im;
	/* the surface slices this check read, each once */
	struct stf_surface_memo sm;
};

/* The underlying a position belongs to: an option's perpetual, or the
 * perpetual itself. */
static uint32_t pm_underlying(const struct cl_market_params *m)
{
	return cl_market_is_option(m) ? m->underlying : m->id;
}

/*
 * An option size in the size units of its underlying perpetual: exact,
 * since an option market whose size decimals exceed its underlying's is
 * never converted (false: the caller counts it leg by leg).
 */
static bool pm_opt_size(int64_t *out, int64_t size,
			const struct cl_market_params *opt,
			const struct cl_market_params *perp)
{
	uint64_t p;

	*out = 0;
	if (opt->size_decimals > perp->size_decimals ||
	    !cl_pow10_u64(&p, perp->size_decimals - opt->size_decimals) ||
	    p > INT64_MAX)
		return false;
	return cl_mul_i64(out, size, (int64_t)p);
}

/* The underlyings of pos[0..n), each once, in increasing id order. */
static int pm_underlyings(const struct cl_stf_view *v, uint32_t *us,
			  size_t *nu, const struct cl_stf_position *pos,
			  size_t n)
{
	*nu = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
		    cl_genesis_market(v->genesis, pos[i].market);
		size_t at = 0;
		uint32_t u;

		if (!m)
			return CL_ERR_CORRUPT;
		u = pm_underlying(m);
		while (at < *nu && us[at] < u)
			at++;
		if (at < *nu && us[at] == u)
			continue;
		if (*nu == CL_PM_UNDERLYINGS_MAX)
			return CL_STF_ERR_OVERFLOW;
		memmove(&us[at + 1], &us[at], (*nu - at) * sizeof(*us));
		us[at] = u;
		(*nu)++;
	}
	return CL_OK;
}

/* Count option position p leg by leg (its requirement on top of the
 * scenarios', hedging nothing). */
static int pm_apart(const struct cl_stf_view *v, struct pm_in *in,
		    const struct cl_market_params *m,
		    const struct cl_stf_position *p)
{
	int64_t im, mm;
	int rc = stf_option_requirement(v, m, p->size, p->cost, &im, &mm);

	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(&in->apart_mm, in->apart_mm, mm) ||
	    !cl_add_i64(&in->apart_im, in->apart_im, im))
		return CL_STF_ERR_OVERFLOW;
	return CL_OK;
}

/* The leg of option position p in its underlying's units, or *ok false
 * when the scenarios cannot price it (no fresh index or surface, expired
 * awaiting settlement, or finer size units than the underlying's). */
static int pm_option_leg(const struct cl_stf_view *v, struct pm_in *in,
			 struct cl_opt_leg *leg, bool *ok, uint64_t now,
			 const struct cl_market_params *m,
			 const struct cl_market_params *perp,
			 const struct cl_market_state *us,
			 const struct cl_stf_position *p)
{
	struct cl_stf_opt_inputs oi;
	int rc = stf_option_inputs_with(v, now, m, us, &in->sm, v->pm_cache,
					&oi);

	*ok = false;
	memset(leg, 0, sizeof(*leg));
	if (rc < 0)
		return rc;
	if (rc != CL_OK || oi.fwd.v == 0 ||
	    !pm_opt_size(&leg->size_micro, p->size, m, perp))
		return CL_OK;
	leg->kind = oi.kind == CL_OPT_CALL ? CL_OPT_LEG_CALL : CL_OPT_LEG_PUT;
	leg->strike = (struct cl_price){oi.strike}; /* same price units */
	leg->tau_s = oi.tau_s;
	leg->w_wad = oi.w_wad;
	*ok = true;
	return CL_OK;
}

/* The larger of *ppm and option market m's dynamic multiplier (its own
 * open interest, its underlying's volatility: as leg by leg), so the
 * dynamic rules bind on an option group too. */
static int pm_option_scale(const struct cl_stf_view *v, uint32_t *ppm,
			   const struct cl_market_params *m,
			   const struct cl_market_state *us)
{
	struct cl_market_state ms;
	uint32_t s;
	int rc = stf_load_market(v, &ms, m->id);

	if (rc != CL_OK)
		return rc;
	ms.vol_var = us->vol_var;
	s = stf_market_scale(m, &ms);
	if (s > *ppm)
		*ppm = s;
	return CL_OK;
}

/*
 * The group's net delta in the perpetual's size units: the perpetual's
 * size plus each option's Black-76 delta x size, truncated toward zero
 * per leg (the integers of options_book_greeks(); each series' delta is
 * kept for the block beside its value table). Where a delta cannot be
 * had (a Greek beyond int64 in the last seconds) every leg counts at its
 * full size, the largest delta it can have.
 */
static int64_t pm_net_delta(const struct cl_stf_view *v,
			    const struct cl_pm_group *g)
{
	const struct cl_portfolio_params *pp = &v->genesis->portfolio;
	int64_t sum = 0, d;

	for (size_t i = 0; i < g->n_legs; i++) {
		const struct cl_opt_leg *l = &g->legs[i];
		__int128 part;
		if (!cl_pm_cache_delta(v->pm_cache, &d, pp, g->fwd, l))
			goto full;
		part = l->kind == CL_OPT_LEG_PERP
			   ? (__int128)l->size_micro
			   : (__int128)d * l->size_micro / 1000000000;
		if (part > INT64_MAX || part < INT64_MIN ||
		    !cl_add_i64(&sum, sum, (int64_t)part))
			goto full;
	}
	return sum;
full:
	sum = 0;
	for (size_t i = 0; i < g->n_legs; i++) {
		int64_t s = g->legs[i].size_micro;
		if (s == INT64_MIN || !cl_add_i64(&sum, sum, s < 0 ? -s : s))
			return INT64_MAX;
	}
	return sum;
}

/*
 * Collect the legs of positions pos[0..n) (in increasing market order)
 * into one group per underlying, in increasing underlying id, each
 * group's legs contiguous: the perpetual first, then its options in
 * market order, sizes in the perpetual's size units, centred on the
 * perpetual's mark (its index before the first mark). The floor is the
 * leg-by-leg requirement of the net delta. Options the scenarios cannot
 * price go to apart_mm / apart_im. Fails with CL_STF_ERR_OVERFLOW
 * beyond CL_PM_UNDERLYINGS_MAX underlyings.
 */
static int pm_collect(const struct cl_stf_view *v, struct pm_in *in,
		      const struct cl_stf_position *pos, size_t n)
{
	const struct cl_portfolio_params *pp = &v->genesis->portfolio;
	uint32_t us[CL_PM_UNDERLYINGS_MAX];
	uint64_t now_ms;
	size_t nu, nl = 0;
	int rc;

	CL_REQUIRE(n <= CL_GENESIS_MAX_MARKETS);
	in->n_groups = 0;
	in->apart_mm = in->apart_im = 0;
	in->sm.n = 0;
	rc = pm_underlyings(v, us, &nu, pos, n);
	if (rc == CL_OK)
		rc = stf_get_global_u64(v, &now_ms, G_BLOCK_TIME);
	if (rc != CL_OK)
		return rc;
	for (size_t k = 0; k < nu; k++) {
		const struct cl_market_params *pm =
		    cl_genesis_market(v->genesis, us[k]);
		struct cl_pm_group *g = &in->g[in->n_groups];
		struct cl_market_state ms;
		struct cl_amount im, mm;
		uint32_t opt_ppm = 0;
		size_t first = nl;

		if (!pm || cl_market_is_option(pm))
			return CL_ERR_CORRUPT;
		rc = stf_load_market(v, &ms, pm->id);
		if (rc != CL_OK)
			return rc;
		memset(g, 0, sizeof(*g));
		g->underlying = pm->id;
		g->fwd.v = ms.mark_price ? ms.mark_price : ms.oracle_price;
		for (size_t i = 0; i < n; i++) {
			const struct cl_market_params *m =
			    cl_genesis_market(v->genesis, pos[i].market);
			bool ok;

			if (pm_underlying(m) != pm->id)
				continue;
			if (!cl_market_is_option(m)) {
				/* no mark yet: only open orders can be
				 * there, and they weigh nothing */
				if (ms.mark_price == 0)
					continue;
				in->legs[nl++] = (struct cl_opt_leg){
				    .kind = CL_OPT_LEG_PERP,
				    .size_micro = pos[i].size};
				continue;
			}
			rc = pm_option_leg(v, in, &in->legs[nl], &ok,
					   now_ms / 1000, m, pm, &ms, &pos[i]);
			if (rc == CL_OK && (!ok || g->fwd.v == 0))
				rc = pm_apart(v, in, m, &pos[i]);
			else if (rc == CL_OK)
				rc = pm_option_scale(v, &opt_ppm, m, &ms);
			if (rc != CL_OK)
				return rc;
			if (ok && g->fwd.v != 0)
				nl++;
		}
		if (nl == first)
			continue;
		g->scale_exp = cl_genesis_scale_exp(v->genesis, pm);
		g->dyn_ppm = stf_market_scale(pm, &ms);
		if (opt_ppm > g->dyn_ppm)
			g->dyn_ppm = opt_ppm;
		g->legs = &in->legs[first];
		g->n_legs = nl - first;
		for (size_t i = first; i < nl; i++) {
			in->vals[i] = cl_pm_cache_values(
			    v->pm_cache, &in->tmp[i], pp, g->fwd, &in->legs[i]);
			if (!in->vals[i])
				return CL_STF_ERR_OVERFLOW;
		}
		g->vals = &in->vals[first];
		/* the floor: the leg-by-leg requirement of the net position
		 * with the dynamic multiplier, so the size, open-interest
		 * and volatility rules bind in portfolio mode too */
		struct cl_market_risk risk = {g->scale_exp, pm->tiers,
					      pm->n_tiers};
		struct cl_position net = {pm_net_delta(v, g), {0}};
		if (net.size == INT64_MIN ||
		    !margin_requirement_scaled_up(&im, &mm, &risk, &net, g->fwd,
						  g->dyn_ppm))
			return CL_STF_ERR_OVERFLOW;
		g->floor_mm = mm.atoms;
		g->floor_im = im.atoms;
		in->n_groups++;
	}
	return CL_OK;
}

int stf_pm_figures(const struct cl_stf_view *v, struct cl_pm_result *out,
		   const struct cl_stf_position *pos, size_t n)
{
	struct pm_in *in = cl_xcalloc(1, sizeof(*in));
	int rc = pm_collect(v, in, pos, n);

	memset(out, 0, sizeof(*out));
	if (rc == CL_OK && !cl_pm_requirement(out, &v->genesis->portfolio,
					      in->g, in->n_groups))
		rc = CL_STF_ERR_OVERFLOW;
	/* the options the scenarios cannot price, leg by leg on top */
	if (rc == CL_OK &&
	    (!cl_add_i64(&out->mm, out->mm, in->apart_mm) ||
	     !cl_add_i64(&out->im, out->im, in->apart_im)))
		rc = CL_STF_ERR_OVERFLOW;
	if (rc == CL_OK) {
		out->apart_mm = in->apart_mm;
		out->apart_im = in->apart_im;
	} else {
		memset(out, 0, sizeof(*out));
	}
	free(in);
	return rc;
}

int stf_pm_health(const struct cl_stf_view *v, struct cl_health *h, bool *on,
		  const struct cl_address *addr,
		  const struct cl_stf_position *pos, size_t n)
{
	struct cl_pm_result r;
	int rc;

	*on = false;
	if (!addr || !v->genesis->portfolio.enabled)
		return CL_OK;
	rc = cl_stf_get_portfolio_mode(v, on, addr);
	if (rc != CL_OK || !*on)
		return rc;
	rc = stf_pm_figures(v, &r, pos, n);
	if (rc != CL_OK)
		return rc;
	h->mm = r.mm;
	h->im = r.im;
	h->order_im = r.im;
	return CL_OK;
}

/* The positions with every open order of one side filled (sign +1:
 * buys, -1: sells), in increasing market order. */
static int with_orders(struct cl_stf_position *out, size_t *m,
		       const struct cl_stf_position *pos, size_t n,
		       const struct cl_stf_open_sizes *os, size_t k, int sign)
{
	size_t i = 0, j = 0;

	*m = 0;
	while (i < n || j < k) {
		struct cl_stf_position p;
		uint64_t add = 0;
		if (j == k || (i < n && pos[i].market <= os[j].market)) {
			p = pos[i];
			if (j < k && os[j].market == p.market)
				add = sign > 0 ? os[j++].open.buy.v
					       : os[j++].open.sell.v;
			i++;
		} else {
			memset(&p, 0, sizeof(p));
			p.market = os[j].market;
			add = sign > 0 ? os[j].open.buy.v : os[j].open.sell.v;
			j++;
		}
		if (add > INT64_MAX)
			return CL_STF_ERR_OVERFLOW;
		if (!(sign > 0 ? cl_add_i64 : cl_sub_i64)(&p.size, p.size,
							  (int64_t)add))
			return CL_STF_ERR_OVERFLOW;
		if (p.size == 0)
			continue;
		if (*m == CL_GENESIS_MAX_MARKETS)
			return CL_ERR_CORRUPT;
		out[(*m)++] = p;
	}
	return CL_OK;
}

/* The premium at the mark of the open option buys os[0..k). */
static int pm_buy_premium(const struct cl_stf_view *v, int64_t *out,
			  const struct cl_stf_open_sizes *os, size_t k)
{
	*out = 0;
	for (size_t j = 0; j < k; j++) {
		const struct cl_market_params *m =
		    cl_genesis_market(v->genesis, os[j].market);
		struct cl_market_state ms;
		struct cl_amount a;
		int rc;

		if (!m)
			return CL_ERR_CORRUPT;
		if (!cl_market_is_option(m) || os[j].open.buy.v == 0)
			continue;
		rc = stf_load_market(v, &ms, m->id);
		if (rc != CL_OK)
			return rc;
		if (!cl_notional_up(&a, (struct cl_price){ms.mark_price},
				    os[j].open.buy,
				    cl_genesis_scale_exp(v->genesis, m)) ||
		    !cl_add_i64(out, *out, a.atoms))
			return CL_STF_ERR_OVERFLOW;
	}
	return CL_OK;
}

int stf_pm_order_im(const struct cl_stf_view *v, int64_t *out,
		    const struct cl_address *trader,
		    const struct cl_stf_position *pos, size_t n,
		    const struct cl_stf_open_sizes *os, size_t k)
{
	struct cl_stf_position side[CL_GENESIS_MAX_MARKETS];
	struct cl_pm_result r;
	int64_t best;
	size_t m;
	bool on;
	int rc;

	if (!v->genesis->portfolio.enabled)
		return CL_OK;
	rc = cl_stf_get_portfolio_mode(v, &on, trader);
	if (rc != CL_OK || !on)
		return rc;
	/* the orders enter the scenarios as if all the buys filled, or
	 * all the sells, whichever needs more (docs/margin.md) */
	rc = stf_pm_figures(v, &r, pos, n);
	if (rc != CL_OK)
		return rc;
	best = r.im;
	for (int sign = 1; sign >= -1 && k > 0; sign -= 2) {
		int64_t prem = 0;
		rc = with_orders(side, &m, pos, n, os, k, sign);
		if (rc == CL_OK)
			rc = stf_pm_figures(v, &r, side, m);
		/* the buys of options also pay their premium at the mark,
		 * as leg by leg */
		if (rc == CL_OK && sign > 0)
			rc = pm_buy_premium(v, &prem, os, k);
		if (rc == CL_OK && !cl_add_i64(&r.im, r.im, prem))
			rc = CL_STF_ERR_OVERFLOW;
		if (rc != CL_OK)
			return rc;
		if (r.im > best)
			best = r.im;
	}
	*out = best;
	return CL_OK;
}

int cl_stf_get_portfolio(const struct cl_stf_view *v, struct cl_pm_result *out,
			 const struct cl_address *addr)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!v->genesis->portfolio.enabled)
		return CL_STF_ERR_PM_DISABLED;
	rc = cl_stf_get_positions(v, pos, &n, addr);
	if (rc != CL_OK)
		return rc;
	return stf_pm_figures(v, out, pos, n);
}

/* ------------------------------------------------------------------ */
/* Liquidation: which position first                                   */
/* ------------------------------------------------------------------ */

int stf_pm_riskiest(const struct cl_stf_view *v, size_t *best,
		    const struct cl_stf_position *pos, size_t n)
{
	struct cl_stf_position cut[CL_GENESIS_MAX_MARKETS];
	struct cl_pm_result r0, r1;
	__int128 best_drop = 0, best_nt = 1;
	uint64_t now_ms;
	bool have = false;
	int rc;

	*best = 0;
	rc = stf_get_global_u64(v, &now_ms, G_BLOCK_TIME);
	if (rc == CL_OK)
		rc = stf_pm_figures(v, &r0, pos, n);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
		    cl_genesis_market(v->genesis, pos[i].market);
		struct cl_market_state ms;
		struct cl_amount nt;
		uint64_t q;

		if (!m)
			return CL_ERR_CORRUPT;
		/* an expired option waits for its settlement: not traded */
		if (cl_market_is_option(m) &&
		    stf_option_closed(v->genesis, m, now_ms / 1000))
			continue;
		/* an option's notional is its underlying's (the index it
		 * moves with), not its premium's */
		rc = stf_load_market(v, &ms, pm_underlying(m));
		if (rc != CL_OK)
			return rc;
		q = margin_slice_max(margin_abs_size(pos[i].size).v,
				     m->risk.liq_slice_ppm, m->step_size);
		struct cl_market_risk risk = {
		    cl_genesis_scale_exp(v->genesis, m), m->tiers, m->n_tiers};
		if (!margin_notional_up(&nt, &risk, (struct cl_size){q},
					(struct cl_price){ms.mark_price}))
			return CL_STF_ERR_OVERFLOW;
		memcpy(cut, pos, n * sizeof(*pos));
		cut[i].size = pos[i].size > 0 ? pos[i].size - (int64_t)q
					      : pos[i].size + (int64_t)q;
		rc = stf_pm_figures(v, &r1, cut, n);
		if (rc != CL_OK)
			return rc;
		/* the requirement the slice removes per atom of its
		 * notional; the first (lowest market id) on a tie */
		__int128 drop = (__int128)r0.mm - r1.mm;
		__int128 ntv = nt.atoms > 0 ? nt.atoms : 1;
		if (!have || drop * best_nt > best_drop * ntv) {
			have = true;
			best_drop = drop;
			best_nt = ntv;
			*best = i;
		}
	}
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* PORTFOLIO_MODE                                                      */
/* ------------------------------------------------------------------ */

/* The account itself, or the owner of the subaccount; an isolated
 * account is margined alone and never in portfolio mode. */
static int pm_signer(struct cl_stf *s, const struct cl_address *trader,
		     const struct cl_address *signer)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address owner;
	enum cl_stf_account_kind kind;
	uint32_t index;
	int rc;

	rc = cl_stf_get_account_owner(&v, &owner, &kind, &index, trader);
	if (rc == CL_ERR_NOT_FOUND)
		return memcmp(trader->b, signer->b, 20) == 0
			   ? CL_STF_OK
			   : CL_STF_ERR_NOT_AUTHORIZED;
	if (rc != CL_OK)
		return rc;
	switch (kind) {
	case CL_STF_ACCOUNT_ISOLATED:
		return CL_STF_ERR_PM_ISOLATED;
	case CL_STF_ACCOUNT_SUBACCOUNT:
		return memcmp(owner.b, signer->b, 20) == 0
			   ? CL_STF_OK
			   : CL_STF_ERR_NOT_AUTHORIZED;
	}
	return CL_ERR_CORRUPT;
}

int stf_apply_portfolio_mode(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_portfolio_mode *m = &tx->u.portfolio_mode.msg;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_health h;
	struct stf_acct a;
	bool on;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	if (!s->g.portfolio.enabled)
		return CL_STF_ERR_PM_DISABLED;
	rc = pm_signer(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_acct_load(s, &a, &m->trader);
	if (rc == CL_OK)
		rc = stf_settle(s, &a);
	if (rc != CL_OK)
		return rc;
	if (m->nonce != a.acc.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (a.acc.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = cl_stf_get_portfolio_mode(&v, &on, &m->trader);
	if (rc != CL_OK)
		return rc;
	if (m->enabled != on) {
		/* switch, then check under the new rules (a refusal rolls
		 * the switch back with the rest of the transaction) */
		if (m->enabled) {
			static const uint8_t one = PM_VAL;
			cl_state_put(s->st, CL_TABLE_PORTFOLIO, m->trader.b, 20,
				     &one, 1);
		} else {
			cl_state_del(s->st, CL_TABLE_PORTFOLIO, m->trader.b,
				     20);
		}
		rc = stf_health(&v, &h, &m->trader, a.acc.collateral, a.pos,
				a.n);
		if (rc == CL_OK)
			rc = stf_order_im(&v, &h.order_im, &m->trader, a.pos,
					  a.n, NULL);
		if (rc != CL_OK)
			return rc;
		if (m->enabled &&
		    (h.equity < 0 ||
		     (uint64_t)h.equity < s->g.portfolio.min_equity))
			return CL_STF_ERR_PM_MIN_EQUITY;
		if (h.equity < h.order_im)
			return CL_STF_ERR_PM_MARGIN;
	}
	a.acc.nonce++;
	stf_put_account(s->st, &m->trader, &a.acc);
	return stf_reindex(s, &m->trader);
}
