/* SPDX-License-Identifier: MIT */
/*
 * Fixed-point kernels of the option pricer: ln, exp, integer square root,
 * the normal density and distribution, in wad (10^18) inside __int128.
 * docs/options.md "Fixed-point kernels" describes each method and its
 * measured error; tests/unit/options/test_options_math.c checks them
 * against the 40-digit references of tests/vectors/options.json.
 */
#include <clearline/options.h>

#define W ((__int128)CL_WAD)
/* ln 2 and 1/sqrt(2 pi) to 36 decimals (scale 10^36), so multiplying by
 * an integer before the final division keeps 18 exact decimals. */
#define LN2_E36 ((__int128)693147180559945309LL * W + 417232121458176568LL)
#define INV_SQRT2PI_E36                                                    \
	((__int128)398942280401432677LL * W + 939946059934381868LL)
/* sqrt(2) in wad, rounded up */
#define SQRT2_WAD 1414213562373095049LL
/* N(x) switches from the series to the continued fraction at |x| = 2.5;
 * 80 levels of the fraction leave a truncation error below 3e-20 there
 * and less beyond (docs/options.md). */
#define NCDF_CF_FROM (5 * W / 2)
#define NCDF_CF_DEPTH 80

/* a * b / W for 0 <= a, b: split so no product passes 2^127 */
static __int128 mulw(__int128 a, __int128 b)
{
	return (a / W) * b + (a % W) * b / W;
}

static int msb64(uint64_t a)
{
	return 63 - __builtin_clzll(a);
}

/* ln(m) for m in wad, 1/sqrt(2) <= m <= sqrt(2): 2 atanh(z),
 * z = (m - 1) / (m + 1), |z| <= 0.1716, by its odd series. */
static __int128 ln_near1(__int128 m)
{
	__int128 z = (m - W) * W / (m + W);
	__int128 z2 = z * z / W;
	__int128 term = z, sum = 0;

	for (int k = 0; term != 0 && k < 40; k++) {
		sum += term / (2 * k + 1);
		term = term * z2 / W;
	}
	return 2 * sum;
}

/* ln(a) = e ln 2 + ln(m): the mantissa part in wad, the exponent apart */
static __int128 ln_mantissa(int *e, uint64_t a)
{
	int ea = msb64(a);
	unsigned __int128 m = (unsigned __int128)a * (unsigned __int128)W;

	/* a * 10^18 / 2^ea lies in [1, 2) wad; above sqrt 2 take one more
	 * power of two so the series sees [1/sqrt 2, sqrt 2] */
	if ((m >> ea) > (unsigned __int128)SQRT2_WAD)
		ea++;
	*e = ea;
	return ln_near1((__int128)(m >> ea));
}

bool options_ln_ratio(int64_t *out, uint64_t a, uint64_t b)
{
	int ea, eb;
	__int128 la, lb, v;

	*out = 0;
	if (a == 0 || b == 0)
		return false;
	la = ln_mantissa(&ea, a);
	lb = ln_mantissa(&eb, b);
	v = (__int128)(ea - eb) * LN2_E36 / W + la - lb;
	if (v > INT64_MAX || v < -INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

int64_t options_exp_neg(__int128 x)
{
	__int128 n, r, term, sum;

	CL_REQUIRE(x <= 0);
	if (x < -42 * W)
		return 0;
	/* x = r - n ln 2 with n = round(-x / ln 2), |r| <= ln 2 / 2 */
	n = (-x * W + LN2_E36 / 2) / LN2_E36;
	r = (x * W + n * LN2_E36) / W;
	sum = W;
	term = W;
	for (int i = 1; term != 0 && i < 40; i++) {
		term = term * r / (W * i);
		sum += term;
	}
	return (int64_t)(sum >> n);
}

uint64_t options_isqrt(unsigned __int128 v)
{
	unsigned __int128 x, y;
	int bits = 0;

	if (v < 2)
		return (uint64_t)v;
	for (unsigned __int128 t = v; t != 0; t >>= 1)
		bits++;
	/* a start above the root; Newton falls monotonically to it */
	x = (unsigned __int128)1 << ((bits + 1) / 2);
	for (;;) {
		y = (x + v / x) / 2;
		if (y >= x)
			return (uint64_t)x;
		x = y;
	}
}

int64_t options_npdf(int64_t x)
{
	__int128 ax = x < 0 ? -(__int128)x : x;
	int64_t e;

	if (ax >= 9 * W)
		return 0;
	e = options_exp_neg(-(ax * ax / (2 * W)));
	/* e x 1/sqrt(2 pi) with the constant split into wad digits, so no
	 * product passes 2^127 */
	return (int64_t)(((__int128)e * (INV_SQRT2PI_E36 / W) +
			  (__int128)e * (INV_SQRT2PI_E36 % W) / W) /
			 W);
}

/* 1 - N(ax) for wad ax >= 0 */
static __int128 ncdf_upper(__int128 ax)
{
	__int128 phi;

	if (ax >= 9 * W)
		return 0;
	phi = options_npdf((int64_t)ax);
	if (ax < NCDF_CF_FROM) {
		/* N(x) = 1/2 + phi(x) (x + x^3/3 + x^5/(3 5) + ...): every
		 * term positive, so no cancellation */
		__int128 x2 = ax * ax / W, term = ax, sum = ax;
		for (int n = 1; term != 0 && n < 200; n++) {
			term = mulw(term, x2) / (2 * n + 1);
			sum += term;
		}
		return W / 2 - phi * sum / W;
	}
	/* the Mills ratio's continued fraction 1/(x+1/(x+2/(x+3/(x+..)))),
	 * evaluated from a fixed depth upward */
	__int128 t = ax;
	for (int k = NCDF_CF_DEPTH; k >= 1; k--)
		t = ax + (__int128)k * W * W / t;
	return phi * W / t;
}

int64_t options_ncdf(int64_t x)
{
	__int128 q = ncdf_upper(x < 0 ? -(__int128)x : x);

	if (q < 0)
		q = 0;
	return (int64_t)(x >= 0 ? W - q : q);
}
