/* SPDX-License-Identifier: MIT */
/*
 * The risk engine's pure arithmetic: oracle median and circuit breaker,
 * premium EMA and mark price, funding rate, index and payments, volatility
 * and the dynamic margin multiplier, liquidation slices and the ADL score.
 * docs/margin.md "Risk engine" has the formulas with worked examples; each
 * example is a unit test in tests/unit/margin/test_risk.c.
 */
#include <clearline/margin.h>

static __int128 ceildiv(__int128 a, __int128 d)
{
	__int128 q = a / d;
	if ((a % d != 0) && ((a < 0) == (d < 0)))
		q++;
	return q;
}

static int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct cl_price margin_median_lower(const struct cl_price *v, size_t n)
{
	uint64_t s[16];

	CL_REQUIRE(n >= 1 && n <= 16);
	/* insertion sort: at most 16 values */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && s[j - 1] > v[i].v) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = v[i].v;
	}
	return (struct cl_price){s[(n - 1) / 2]};
}

struct cl_price margin_median3(struct cl_price a, struct cl_price b,
			       struct cl_price c)
{
	struct cl_price v[3] = {a, b, c};
	return margin_median_lower(v, 3);
}

void margin_band(struct cl_price *lo, struct cl_price *hi,
		 struct cl_price ref, uint32_t ppm)
{
	unsigned __int128 l, h;

	CL_REQUIRE(ppm <= CL_PPM);
	l = ((unsigned __int128)ref.v * (CL_PPM - ppm) + CL_PPM - 1) / CL_PPM;
	h = (unsigned __int128)ref.v * (CL_PPM + ppm) / CL_PPM;
	lo->v = l < 1 ? 1 : (uint64_t)l;
	hi->v = h > UINT64_MAX ? UINT64_MAX : (uint64_t)h;
}

static struct cl_price clamp_price(struct cl_price v, struct cl_price lo,
				   struct cl_price hi)
{
	return v.v < lo.v ? lo : v.v > hi.v ? hi : v;
}

struct cl_price margin_breaker_clamp(struct cl_price anchor,
				     struct cl_price candidate,
				     uint32_t jump_ppm)
{
	struct cl_price lo, hi;

	if (anchor.v == 0)
		return candidate;
	margin_band(&lo, &hi, anchor, jump_ppm);
	return clamp_price(candidate, lo, hi);
}

int64_t margin_premium_sample_ppb(struct cl_price last, struct cl_price index,
				  uint32_t band_ppm)
{
	int64_t band = (int64_t)band_ppm * 1000;
	__int128 x;

	if (last.v == 0 || index.v == 0)
		return 0;
	/* toward zero: truncating division of a signed numerator */
	x = ((__int128)last.v - (__int128)index.v) * CL_PPB /
	    (__int128)index.v;
	if (x > band)
		return band;
	if (x < -band)
		return -band;
	return (int64_t)x;
}

int64_t margin_ema_update(int64_t ema, int64_t x, uint64_t dt, uint64_t tau)
{
	__int128 d;

	if (dt == 0)
		return ema;
	if (tau == 0)
		return x;
	/* |x - ema| < 2^64 and dt / (dt + tau) < 1: the result lies between
	 * ema and x */
	d = ((__int128)x - ema) * dt / ((__int128)dt + tau);
	return (int64_t)(ema + d);
}

struct cl_price margin_mark_price(struct cl_price index, int64_t ema_ppb,
				  struct cl_price last, uint32_t band_ppm)
{
	int64_t band = (int64_t)band_ppm * 1000;
	struct cl_price lo, hi, with_premium, last_c;
	unsigned __int128 wp;

	if (index.v == 0)
		return index;
	ema_ppb = clamp_i64(ema_ppb, -band, band);
	/* band <= 1e9 ppb, so 1e9 + ema >= 0 */
	wp = (unsigned __int128)index.v * (uint64_t)(CL_PPB + ema_ppb) /
	     CL_PPB;
	with_premium.v = wp > UINT64_MAX ? UINT64_MAX : (uint64_t)wp;
	margin_band(&lo, &hi, index, band_ppm);
	last_c = clamp_price(last.v ? last : index, lo, hi);
	if (with_premium.v < 1)
		with_premium.v = 1;
	return margin_median3(index, with_premium, last_c);
}

int64_t margin_funding_rate_ppb(int64_t avg_premium_ppb, int64_t interest_ppb,
				int64_t clamp_ppb, int64_t cap_ppb)
{
	/* every input is bounded by 1e9 * 1e3 in magnitude: no overflow */
	int64_t diff = clamp_i64(interest_ppb - avg_premium_ppb, -clamp_ppb,
				 clamp_ppb);
	return clamp_i64(avg_premium_ppb + diff, -cap_ppb, cap_ppb);
}

bool margin_funding_delta(__int128 *out, int64_t rate_ppb, uint64_t periods,
			  struct cl_price mark, int scale_exp)
{
	__int128 v, lim = ((__int128)1 << 120);
	int e = scale_exp;

	*out = 0;
	if (periods > (1ull << 32))
		return false;
	/* |rate| <= 1e12, periods <= 2^32, mark < 2^64: < 2^116 */
	v = (__int128)rate_ppb * (__int128)periods * (__int128)mark.v;
	for (; e > 0; e--) {
		if (v > lim || v < -lim)
			return false;
		v *= 10;
	}
	for (; e < 0 && v != 0; e++)
		v /= 10; /* toward zero */
	*out = v;
	return true;
}

bool margin_funding_payment(struct cl_amount *out, int64_t size,
			    __int128 index, __int128 snap)
{
	__int128 lim = ((__int128)1 << 62), d, x;

	out->atoms = 0;
	d = index - snap; /* both stay far below 2^126 (margin_funding_delta) */
	if (d > lim || d < -lim)
		return false;
	x = (__int128)size * d; /* < 2^125 */
	/* rounded toward +infinity: a payment (positive) rounds up, a
	 * receipt (negative) rounds toward zero, so it shrinks */
	return cl_i128_to_i64(&out->atoms, ceildiv(x, CL_FUNDING_SCALE));
}

uint64_t margin_vol_update(uint64_t var, struct cl_price old_price,
			   struct cl_price new_price, uint32_t alpha_ppm)
{
	uint64_t o = old_price.v, nw = new_price.v;
	unsigned __int128 r;
	__int128 r2, v;

	if (o == 0)
		return var;
	r = nw > o ? nw - o : o - nw;
	r = r * CL_PPM / o;
	if (r > (unsigned __int128)4000000000ull)
		r = 4000000000ull; /* a return above 4000x is saturated */
	r2 = (__int128)(r * r);
	v = (__int128)var + (r2 - (__int128)var) * alpha_ppm / CL_PPM;
	if (v < 0)
		v = 0;
	return v > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

uint64_t margin_isqrt(uint64_t v)
{
	/* the largest r with r * r <= v: Newton's step from above, from a
	 * power of two at least sqrt(v) (v < 2^bits), falls to it in a few
	 * divisions and stops there (the next step would not go lower);
	 * x + v / x < 2^34 throughout */
	if (v < 2)
		return v;
	unsigned bits = 64u - (unsigned)__builtin_clzll(v);
	uint64_t x = (uint64_t)1 << ((bits + 1) / 2);

	for (;;) {
		uint64_t y = (x + v / x) / 2;

		if (y >= x)
			return x;
		x = y;
	}
}

uint32_t margin_imf_scale_ppm(const struct cl_imf_scale_params *p,
			      struct cl_size oi, uint64_t var)
{
	unsigned __int128 s = CL_PPM;
	uint64_t cap = p->oi_cap.v;
	uint64_t thr = (uint64_t)((unsigned __int128)cap *
				  p->oi_threshold_ppm / CL_PPM);

	if (p->oi_factor_ppm && oi.v > thr && cap > thr) {
		uint64_t span = cap - thr;
		uint64_t over = oi.v - thr < span ? oi.v - thr : span;
		s += ((unsigned __int128)p->oi_factor_ppm * over + span - 1) /
		     span;
	}
	s += (unsigned __int128)margin_isqrt(var) * p->vol_factor;
	if (s > p->max_scale_ppm)
		s = p->max_scale_ppm;
	if (s < CL_PPM)
		s = CL_PPM;
	return (uint32_t)s;
}

bool margin_equity_share_up(struct cl_amount *out, struct cl_amount equity,
			    struct cl_amount part, struct cl_amount total)
{
	out->atoms = 0;
	if (total.atoms <= 0 || part.atoms < 0 || part.atoms > total.atoms)
		return false;
	return cl_i128_to_i64(&out->atoms,
			      ceildiv((__int128)equity.atoms * part.atoms,
				      total.atoms));
}

uint64_t margin_slice_max(uint64_t abs_size, uint32_t share_ppm,
			  uint64_t step)
{
	unsigned __int128 m;

	CL_REQUIRE(step > 0);
	m = ((unsigned __int128)abs_size * share_ppm + CL_PPM - 1) / CL_PPM;
	m = (m + step - 1) / step * step;
	if (m < step)
		m = step;
	return m > abs_size ? abs_size : (uint64_t)m;
}

int64_t margin_adl_score(struct cl_amount upnl, struct cl_amount cost,
			 struct cl_amount notional, struct cl_amount equity)
{
	__int128 ac = cost.atoms < 0 ? -(__int128)cost.atoms : cost.atoms;
	__int128 ratio, lev, s;

	if (equity.atoms <= 0)
		return INT64_MIN;
	if (ac == 0)
		ac = 1;
	ratio = (__int128)upnl.atoms * CL_PPM / ac;
	lev = (__int128)notional.atoms * CL_PPM / equity.atoms;
	/* |ratio| < 2^84, lev < 2^84: clamp each before the product */
	if (ratio > ((__int128)1 << 62))
		ratio = (__int128)1 << 62;
	if (ratio < -((__int128)1 << 62))
		ratio = -((__int128)1 << 62);
	if (lev > ((__int128)1 << 62))
		lev = (__int128)1 << 62;
	s = ratio * lev / CL_PPM;
	if (s > INT64_MAX)
		return INT64_MAX;
	if (s <= INT64_MIN)
		return INT64_MIN + 1;
	return (int64_t)s;
}
