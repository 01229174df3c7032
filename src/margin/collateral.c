/* SPDX-License-Identifier: MIT */
/* Collateral assets: haircut values in settlement atoms (docs/margin.md
 * "Collateral assets"). */
#include <clearline/margin.h>

bool margin_haircut_tiers_valid(const struct cl_haircut_tier *tiers, size_t n)
{
	if (n == 0 || tiers[n - 1].amount_cap != INT64_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (tiers[i].amount_cap <= 0 || tiers[i].haircut_ppm > CL_PPM)
			return false;
		if (i > 0 && (tiers[i].amount_cap <= tiers[i - 1].amount_cap ||
			      tiers[i].haircut_ppm < tiers[i - 1].haircut_ppm))
			return false;
	}
	return true;
}

uint32_t margin_haircut_extra_ppm(const struct cl_haircut_params *p,
				  uint64_t var, struct cl_amount depth)
{
	unsigned __int128 e =
	    (unsigned __int128)margin_isqrt(var) * p->vol_factor;
	int64_t thr = p->depth_threshold.atoms;

	if (thr > 0 && depth.atoms < thr) {
		uint64_t d = depth.atoms < 0 ? 0 : (uint64_t)depth.atoms;
		uint64_t gap = (uint64_t)thr - d;

		e +=
		    ((unsigned __int128)p->thin_ppm * gap + (uint64_t)thr - 1) /
		    (uint64_t)thr;
	}
	return e > CL_PPM ? CL_PPM : (uint32_t)e;
}

bool margin_collateral_value_down(struct cl_amount *out,
				  const struct cl_haircut_params *p,
				  struct cl_amount balance,
				  struct cl_price index, uint64_t var,
				  struct cl_amount depth)
{
	uint32_t extra = margin_haircut_extra_ppm(p, var, depth);
	__int128 w = 0;
	int64_t lo = 0;

	out->atoms = 0;
	if (balance.atoms < 0 || p->max_haircut_ppm > CL_PPM)
		return false;
	for (size_t i = 0; i < p->n_tiers && lo < balance.atoms; i++) {
		int64_t hi = p->tiers[i].amount_cap < balance.atoms
				 ? p->tiers[i].amount_cap
				 : balance.atoms;
		uint64_t h = (uint64_t)p->tiers[i].haircut_ppm + extra;
		struct cl_amount gross;

		if (hi <= lo)
			continue;
		if (h > p->max_haircut_ppm)
			h = p->max_haircut_ppm;
		if (!cl_notional_down(&gross, index,
				      (struct cl_size){(uint64_t)(hi - lo)},
				      p->scale_exp))
			return false;
		w += (__int128)gross.atoms * (int64_t)(CL_PPM - h);
		lo = hi;
	}
	if (lo < balance.atoms) /* tiers not ending at INT64_MAX */
		return false;
	return cl_i128_to_i64(&out->atoms, w / CL_PPM);
}

bool margin_collateral_sale_down(struct cl_amount *out,
				 const struct cl_haircut_params *p,
				 struct cl_amount amount, struct cl_price index,
				 uint32_t discount_ppm)
{
	struct cl_amount gross;

	out->atoms = 0;
	if (amount.atoms < 0 || discount_ppm > CL_PPM)
		return false;
	if (!cl_notional_down(&gross, index,
			      (struct cl_size){(uint64_t)amount.atoms},
			      p->scale_exp))
		return false;
	return cl_i128_to_i64(&out->atoms, (__int128)gross.atoms *
					       (CL_PPM - discount_ppm) /
					       CL_PPM);
}
