/* SPDX-License-Identifier: MIT */
/*
 * Settlement at expiry (docs/options.md "Settlement"): the time-weighted
 * average of the index over a window before expiry, and the cash payoff
 * of one unit at that price.
 */
#include <clearline/options.h>

bool options_settlement_twap(struct cl_price *out,
			     const struct cl_opt_index_sample *s, size_t n,
			     uint64_t expiry, uint32_t window_s)
{
	unsigned __int128 sum = 0;
	uint64_t start;

	out->v = 0;
	if (window_s == 0 || expiry < window_s || n == 0)
		return false;
	start = expiry - window_s;
	if (s[0].t > start)
		return false; /* the window's opening price is unknown */
	for (size_t i = 0; i < n; i++) {
		uint64_t from, to;
		if (s[i].p.v == 0 || s[i].t > expiry ||
		    (i > 0 && s[i].t <= s[i - 1].t))
			return false;
		to = i + 1 < n ? s[i + 1].t : expiry;
		if (to > expiry)
			return false;
		if (to <= start)
			continue; /* entirely before the window */
		from = s[i].t < start ? start : s[i].t;
		/* < 2^64 x 2^32: no overflow */
		sum += (unsigned __int128)s[i].p.v * (to - from);
	}
	out->v = (uint64_t)(sum / window_s); /* <= the largest price */
	return true;
}

bool options_payoff_micro(int64_t *out, enum cl_opt_kind kind,
			  struct cl_price settle, struct cl_price strike)
{
	uint64_t f = settle.v, k = strike.v;

	*out = 0;
	if (f == 0 || k == 0 || f > CL_OPT_PRICE_MAX || k > CL_OPT_PRICE_MAX)
		return false;
	switch (kind) {
	case CL_OPT_CALL:
		*out = f > k ? (int64_t)(f - k) * CL_OPT_MICRO : 0;
		break;
	case CL_OPT_PUT:
		*out = k > f ? (int64_t)(k - f) * CL_OPT_MICRO : 0;
		break;
	}
	return true;
}
