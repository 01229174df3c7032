/* SPDX-License-Identifier: MIT */
/*
 * The standard margin of a short option (docs/options.md "Margin of a
 * short option"): the premium plus the larger of a fraction of the
 * underlying less the out-of-the-money amount and a floor.
 */
#include <clearline/options.h>

bool options_short_margin_up(int64_t *out_micro,
			     const struct cl_opt_short_rule *rule,
			     enum cl_opt_kind kind, struct cl_price fwd,
			     struct cl_price strike, int64_t premium_micro)
{
	__int128 f = fwd.v, k = strike.v, otm = 0, floor_base = 0, req;

	*out_micro = 0;
	if (fwd.v == 0 || strike.v == 0 || fwd.v > CL_OPT_PRICE_MAX ||
	    strike.v > CL_OPT_PRICE_MAX || premium_micro < 0 ||
	    rule->base_ppm > 1000000 || rule->min_ppm > rule->base_ppm)
		return false;
	switch (kind) {
	case CL_OPT_CALL:
		otm = k > f ? k - f : 0;
		floor_base = f;
		break;
	case CL_OPT_PUT:
		otm = f > k ? f - k : 0;
		floor_base = k;
		break;
	}
	/* price units x ppm = micro price units, exactly */
	req = f * rule->base_ppm - otm * CL_OPT_MICRO;
	if (req < floor_base * rule->min_ppm)
		req = floor_base * rule->min_ppm;
	req += premium_micro;
	if (req > INT64_MAX)
		return false;
	*out_micro = (int64_t)req;
	return true;
}
