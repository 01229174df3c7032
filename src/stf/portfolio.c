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
};

/*
 * Collect the legs of positions pos[0..n) (in increasing market order):
 * today every position is a perpetual, its own underlying and its own
 * group of one leg, centred on its mark. Fails with CL_STF_ERR_OVERFLOW
 * beyond CL_PM_UNDERLYINGS_MAX underlyings.
 */
static int pm_collect(const struct cl_stf_view *v, struct pm_in *in,
		      const struct cl_stf_position *pos, size_t n)
{
	const struct cl_portfolio_params *pp = &v->genesis->portfolio;

	CL_REQUIRE(n <= CL_GENESIS_MAX_MARKETS);
	in->n_groups = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
		    cl_genesis_market(v->genesis, pos[i].market);
		struct cl_market_state ms;
		struct cl_pm_group *g;
		struct cl_amount im, mm;
		int rc;

		if (!m)
			return CL_ERR_CORRUPT;
		rc = stf_load_market(v, &ms, m->id);
		if (rc != CL_OK)
			return rc;
		/* no mark yet: only open orders can be there (a position
		 * needs one), and they weigh nothing, as leg by leg */
		if (ms.mark_price == 0)
			continue;
		/*
		 * Option legs join here when option markets land: an option
		 * position (m->kind CALL/PUT) becomes a leg
		 * {CL_OPT_LEG_CALL/PUT, strike, tau_s, w_wad, size} from
		 * stf_option_inputs() in the group of m->underlying (sizes
		 * and strike converted to that perpetual's size and price
		 * units), its delta x size added to the group's net size
		 * before the floor below is taken.
		 */
		if (in->n_groups == CL_PM_UNDERLYINGS_MAX)
			return CL_STF_ERR_OVERFLOW;
		g = &in->g[in->n_groups];
		memset(g, 0, sizeof(*g));
		g->underlying = m->id;
		g->fwd.v = ms.mark_price;
		g->scale_exp = cl_genesis_scale_exp(v->genesis, m);
		g->dyn_ppm = stf_market_scale(m, &ms);
		in->legs[i] = (struct cl_opt_leg){.kind = CL_OPT_LEG_PERP,
						  .size_micro = pos[i].size};
		g->legs = &in->legs[i];
		g->n_legs = 1;
		in->vals[i] = cl_pm_cache_values(v->pm_cache, &in->tmp[i], pp,
						 g->fwd, &in->legs[i]);
		if (!in->vals[i])
			return CL_STF_ERR_OVERFLOW;
		g->vals = &in->vals[i];
		/* the floor: the leg-by-leg requirement of the net position
		 * with the dynamic multiplier, so the size, open-interest
		 * and volatility rules bind in portfolio mode too */
		struct cl_market_risk risk = {g->scale_exp, m->tiers,
					      m->n_tiers};
		struct cl_position net = {pos[i].size, {0}};
		if (!margin_requirement_scaled_up(&im, &mm, &risk, &net, g->fwd,
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
		rc = with_orders(side, &m, pos, n, os, k, sign);
		if (rc == CL_OK)
			rc = stf_pm_figures(v, &r, side, m);
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
	bool have = false;
	int rc;

	*best = 0;
	rc = stf_pm_figures(v, &r0, pos, n);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
		    cl_genesis_market(v->genesis, pos[i].market);
		struct cl_market_state ms;
		struct cl_amount nt;
		uint64_t q;

		rc = stf_load_market(v, &ms, pos[i].market);
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
