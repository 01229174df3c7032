/* SPDX-License-Identifier: MIT */
/*
 * The requirement of an option position, leg by leg (docs/margin.md
 * "Options"): a short pays the short-option margin of its contracts,
 * scaled by the market's size tiers and dynamic multiplier; a long
 * requires nothing once its premium is paid (and, while a part of its
 * premium is still carried as cost, that part). Also the requirement of
 * an option market's open orders.
 */
#include "stf_int.h"

#include <string.h>

/* The market state of option `m` with the volatility of its
 * underlying's index (an option market has no index of its own). */
static int option_markets(const struct cl_stf_view *v,
			  const struct cl_market_params *m,
			  struct cl_market_state *ms,
			  struct cl_market_state *us)
{
	int rc = stf_load_market(v, ms, m->id);

	if (rc == CL_OK)
		rc = stf_load_market(v, us, m->underlying);
	return rc;
}

static bool ceil_ratio(int64_t *out, int64_t x, int64_t num, int64_t den)
{
	return den > 0 && num >= 0 && x >= 0 &&
	       cl_muldiv_i64_up(out, x, num, den);
}

int stf_option_requirement(const struct cl_stf_view *v,
			   const struct cl_market_params *m, int64_t size,
			   int64_t cost, int64_t *im, int64_t *mm)
{
	const struct cl_opt_short_rule rule = {CL_OPT_SHORT_BASE_PPM,
					       CL_OPT_SHORT_MIN_PPM};
	int e = cl_genesis_scale_exp(v->genesis, m);
	struct cl_market_risk risk = {e, m->tiers, m->n_tiers};
	struct cl_market_state ms, us;
	struct cl_amount n_sm, n_u, t_im, t_mm;
	struct cl_size q = margin_abs_size(size);
	struct cl_position up = {size, {0}};
	int64_t req_micro, base_mm, x_im, x_mm;
	uint64_t pu;
	uint32_t scale;
	int rc;

	*im = *mm = 0;
	CL_REQUIRE(cl_market_is_option(m));
	if (size == 0)
		return CL_OK;
	rc = option_markets(v, m, &ms, &us);
	if (rc != CL_OK)
		return rc;
	if (ms.mark_price == 0)
		return CL_STF_ERR_NO_MARK_PRICE;
	if (size > 0) {
		/* a long owes what of its premium is still carried as cost
		 * (none after a fill: the premium was paid) */
		struct cl_amount val;
		if (!cl_notional_down(&val, (struct cl_price){ms.mark_price},
				      q, e))
			return CL_STF_ERR_OVERFLOW;
		*im = *mm = cost <= 0 ? 0 : (cost < val.atoms ? cost :
							       val.atoms);
		return CL_OK;
	}
	if (us.oracle_price == 0 || ms.mark_price > CL_OPT_PRICE_MAX)
		return CL_STF_ERR_NO_SURFACE;
	if (!options_short_margin_up(
		    &req_micro, &rule,
		    m->kind == CL_MARKET_CALL ? CL_OPT_CALL : CL_OPT_PUT,
		    (struct cl_price){us.oracle_price},
		    (struct cl_price){m->strike},
		    (int64_t)ms.mark_price * CL_OPT_MICRO))
		return CL_STF_ERR_OVERFLOW;
	pu = (uint64_t)req_micro / CL_OPT_MICRO +
	     ((uint64_t)req_micro % CL_OPT_MICRO != 0);
	/* the size tiers: the short margin grows as the tier requirement of
	 * the underlying notional grows beyond its first tier's fraction;
	 * IM / MM is the tiers' imf / mmf */
	if (!cl_notional_up(&n_sm, (struct cl_price){pu}, q, e) ||
	    !cl_notional_up(&n_u, (struct cl_price){us.oracle_price}, q, e) ||
	    !margin_requirement_up(&t_im, &t_mm, &risk, &up,
				   (struct cl_price){us.oracle_price}) ||
	    !cl_muldiv_i64_up(&base_mm, n_u.atoms, m->tiers[0].mmf_ppm,
			      CL_PPM))
		return CL_STF_ERR_OVERFLOW;
	if (base_mm == 0) {
		x_mm = n_sm.atoms;
		if (!ceil_ratio(&x_im, n_sm.atoms, m->tiers[0].imf_ppm,
				m->tiers[0].mmf_ppm))
			return CL_STF_ERR_OVERFLOW;
	} else if (!ceil_ratio(&x_mm, n_sm.atoms, t_mm.atoms, base_mm) ||
		   !ceil_ratio(&x_im, n_sm.atoms, t_im.atoms, base_mm)) {
		return CL_STF_ERR_OVERFLOW;
	}
	/* open interest and the underlying's volatility */
	ms.vol_var = us.vol_var;
	scale = stf_market_scale(m, &ms);
	if (!ceil_ratio(mm, x_mm, scale, CL_PPM) ||
	    !ceil_ratio(im, x_im, scale, CL_PPM))
		return CL_STF_ERR_OVERFLOW;
	return CL_OK;
}

int stf_option_order_im(const struct cl_stf_view *v, int64_t *out,
			const struct cl_market_params *m, int64_t size,
			const struct cl_open_sizes *open)
{
	int e = cl_genesis_scale_exp(v->genesis, m);
	struct cl_market_state ms;
	struct cl_amount prem;
	int64_t up, down, im_up, im_down, mm;
	int rc;

	*out = 0;
	if (open->buy.v > INT64_MAX || open->sell.v > INT64_MAX ||
	    !cl_add_i64(&up, size, (int64_t)open->buy.v) ||
	    !cl_sub_i64(&down, size, (int64_t)open->sell.v) ||
	    up == INT64_MIN || down == INT64_MIN)
		return CL_STF_ERR_OVERFLOW;
	rc = stf_load_market(v, &ms, m->id);
	if (rc != CL_OK)
		return rc;
	if (ms.mark_price == 0)
		return CL_OK; /* nothing can fill without a mark */
	/* the buys: the position after them, and their premium at the
	 * mark; the sells: the position after them */
	rc = stf_option_requirement(v, m, up, 0, &im_up, &mm);
	if (rc == CL_OK)
		rc = stf_option_requirement(v, m, down, 0, &im_down, &mm);
	if (rc != CL_OK)
		return rc;
	if (!cl_notional_up(&prem, (struct cl_price){ms.mark_price},
			    open->buy, e) ||
	    !cl_add_i64(&im_up, im_up, prem.atoms))
		return CL_STF_ERR_OVERFLOW;
	*out = im_up > im_down ? im_up : im_down;
	return CL_OK;
}
