/* SPDX-License-Identifier: MIT */
/*
 * The volatility surface: raw SVI slices, one per expiry, their
 * validation (no negative variance, Lee's wing bound, a calendar check
 * between neighbouring expiries) and the total variance at a strike
 * (docs/options.md "Volatility surface").
 */
#include <clearline/options.h>

#define W ((__int128)CL_WAD)
/* strikes further than e^8 (about 2 981 times) from the forward are
 * refused, so every square below fits */
#define K_MAX (8 * W)

static __int128 ceil_div_pos(__int128 a, __int128 d)
{
	__int128 q = a / d;
	if (a % d != 0 && (a < 0) == (d < 0))
		q++;
	return q;
}

bool options_svi_valid(const struct cl_svi *p)
{
	__int128 rho_abs = p->rho < 0 ? -(__int128)p->rho : p->rho;
	__int128 min_w, sq;

	if (p->b < 0 || p->b > 4 * W || rho_abs >= W || p->s <= 0 ||
	    p->s > 4 * W || p->a < -4 * W || p->a > 4 * W ||
	    p->m < -4 * W || p->m > 4 * W)
		return false;
	/* the slice's minimum, a + b s sqrt(1 - rho^2), is not negative */
	sq = options_isqrt((unsigned __int128)(W * W - rho_abs * rho_abs));
	min_w = (__int128)p->a + (__int128)p->b * p->s / W * sq / W;
	if (min_w < 0)
		return false;
	/* Lee: the wings grow at most like 2 |k| */
	return (__int128)p->b * (W + rho_abs) <= 2 * W * W;
}

/* w(k) rounded up, for a valid slice and |k| <= K_MAX */
static bool svi_w_k_up(int64_t *out, const struct cl_svi *p, __int128 k)
{
	__int128 km = k - p->m;
	unsigned __int128 sq = (unsigned __int128)(km * km) +
			       (unsigned __int128)((__int128)p->s * p->s);
	__int128 root = options_isqrt(sq), inner, w;

	if ((unsigned __int128)(root * root) < sq)
		root++; /* rounded up */
	inner = ceil_div_pos((__int128)p->rho * km, W) + root;
	w = (__int128)p->a + ceil_div_pos((__int128)p->b * inner, W);
	if (w < 0)
		w = 0; /* only by rounding: a valid slice is >= 0 */
	if (w > INT64_MAX)
		return false;
	*out = (int64_t)w;
	return true;
}

bool options_svi_w_up(int64_t *w_wad, const struct cl_svi *p,
		      struct cl_price fwd, struct cl_price strike)
{
	int64_t k;

	*w_wad = 0;
	if (!options_svi_valid(p) ||
	    !options_ln_ratio(&k, strike.v, fwd.v) || k > K_MAX ||
	    k < -K_MAX)
		return false;
	if (!svi_w_k_up(w_wad, p, k)) {
		*w_wad = 0;
		return false;
	}
	return true;
}

bool options_svi_calendar_ok(const struct cl_svi *near,
			     const struct cl_svi *far)
{
	if (!options_svi_valid(near) || !options_svi_valid(far))
		return false;
	for (int i = -12; i <= 12; i++) {
		int64_t wn, wf;
		__int128 k = (__int128)i * W / 4;
		if (!svi_w_k_up(&wn, near, k) || !svi_w_k_up(&wf, far, k) ||
		    wf < wn)
			return false;
	}
	/* the wing slopes b (1 + rho) (right) and b (1 - rho) (left) */
	return (__int128)far->b * (W + far->rho) >=
		       (__int128)near->b * (W + near->rho) &&
	       (__int128)far->b * (W - far->rho) >=
		       (__int128)near->b * (W - near->rho);
}
