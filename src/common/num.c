/* SPDX-License-Identifier: MIT */
/*
 * Checked integer arithmetic. Every function stores 0 and returns false on
 * overflow or division by zero. Rounding is in the name: _down = floor,
 * _up = ceiling (toward negative / positive infinity, also for negatives).
 */
#include <clearline/common.h>

#include <string.h>

#define FAIL_IF(c)                                                         \
	do {                                                               \
		if (c) {                                                   \
			*out = 0;                                          \
			return false;                                      \
		}                                                          \
	} while (0)

bool cl_add_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	FAIL_IF(__builtin_add_overflow(a, b, out));
	return true;
}

bool cl_sub_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	FAIL_IF(__builtin_sub_overflow(a, b, out));
	return true;
}

bool cl_mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	FAIL_IF(__builtin_mul_overflow(a, b, out));
	return true;
}

bool cl_add_i64(int64_t *out, int64_t a, int64_t b)
{
	FAIL_IF(__builtin_add_overflow(a, b, out));
	return true;
}

bool cl_sub_i64(int64_t *out, int64_t a, int64_t b)
{
	FAIL_IF(__builtin_sub_overflow(a, b, out));
	return true;
}

bool cl_mul_i64(int64_t *out, int64_t a, int64_t b)
{
	FAIL_IF(__builtin_mul_overflow(a, b, out));
	return true;
}

bool cl_neg_i64(int64_t *out, int64_t a)
{
	FAIL_IF(a == INT64_MIN);
	*out = -a;
	return true;
}

bool cl_i128_to_i64(int64_t *out, __int128 v)
{
	FAIL_IF(v > INT64_MAX || v < INT64_MIN);
	*out = (int64_t)v;
	return true;
}

bool cl_i128_to_u64(uint64_t *out, __int128 v)
{
	FAIL_IF(v < 0 || v > (__int128)UINT64_MAX);
	*out = (uint64_t)v;
	return true;
}

/* floor(n / d) and ceil(n / d) over __int128, d != 0. */
static __int128 floordiv128(__int128 n, __int128 d)
{
	__int128 q = n / d, r = n % d;
	if (r != 0 && ((r < 0) != (d < 0)))
		q--;
	return q;
}

static __int128 ceildiv128(__int128 n, __int128 d)
{
	__int128 q = n / d, r = n % d;
	if (r != 0 && ((r < 0) == (d < 0)))
		q++;
	return q;
}

bool cl_muldiv_u64_down(uint64_t *out, uint64_t a, uint64_t b, uint64_t d)
{
	FAIL_IF(d == 0);
	unsigned __int128 p = (unsigned __int128)a * b;
	unsigned __int128 q = p / d;
	FAIL_IF(q > UINT64_MAX);
	*out = (uint64_t)q;
	return true;
}

bool cl_muldiv_u64_up(uint64_t *out, uint64_t a, uint64_t b, uint64_t d)
{
	FAIL_IF(d == 0);
	unsigned __int128 p = (unsigned __int128)a * b;
	unsigned __int128 q = p / d + (p % d != 0);
	FAIL_IF(q > UINT64_MAX);
	*out = (uint64_t)q;
	return true;
}

bool cl_muldiv_i64_down(int64_t *out, int64_t a, int64_t b, int64_t d)
{
	FAIL_IF(d == 0);
	/* |a*b| < 2^126 fits __int128 */
	return cl_i128_to_i64(out, floordiv128((__int128)a * b, d));
}

bool cl_muldiv_i64_up(int64_t *out, int64_t a, int64_t b, int64_t d)
{
	FAIL_IF(d == 0);
	return cl_i128_to_i64(out, ceildiv128((__int128)a * b, d));
}

bool cl_div_i64_down(int64_t *out, int64_t a, int64_t d)
{
	FAIL_IF(d == 0);
	return cl_i128_to_i64(out, floordiv128(a, d));
}

bool cl_div_i64_up(int64_t *out, int64_t a, int64_t d)
{
	FAIL_IF(d == 0);
	return cl_i128_to_i64(out, ceildiv128(a, d));
}

bool cl_pow10_u64(uint64_t *out, unsigned n)
{
	FAIL_IF(n > 19);
	uint64_t v = 1;
	while (n--)
		v *= 10;
	*out = v;
	return true;
}

/* 10^n as unsigned __int128 for n <= 38. */
static unsigned __int128 pow10_128(unsigned n)
{
	unsigned __int128 v = 1;
	while (n--)
		v *= 10;
	return v;
}

static bool notional(struct cl_amount *out, struct cl_price p,
		     struct cl_size s, int scale_exp, bool up)
{
	out->atoms = 0;
	if (scale_exp > 38 || scale_exp < -38)
		return false;
	/* p*s < 2^128: exact */
	unsigned __int128 prod = (unsigned __int128)p.v * s.v;
	unsigned __int128 r;
	if (scale_exp >= 0) {
		unsigned __int128 m = pow10_128((unsigned)scale_exp);
		if (prod > (unsigned __int128)INT64_MAX / m)
			return false;
		r = prod * m;
	} else {
		unsigned __int128 d = pow10_128((unsigned)-scale_exp);
		r = prod / d;
		if (up && prod % d != 0)
			r++;
	}
	if (r > (unsigned __int128)INT64_MAX)
		return false;
	out->atoms = (int64_t)r;
	return true;
}

bool cl_notional_down(struct cl_amount *out, struct cl_price p,
		      struct cl_size s, int scale_exp)
{
	return notional(out, p, s, scale_exp, false);
}

bool cl_notional_up(struct cl_amount *out, struct cl_price p,
		    struct cl_size s, int scale_exp)
{
	return notional(out, p, s, scale_exp, true);
}

bool cl_parse_u64(uint64_t *out, const char *s, size_t len)
{
	*out = 0;
	if (len == 0 || len > 20)
		return false;
	if (s[0] == '0' && len > 1)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

bool cl_parse_i64(int64_t *out, const char *s, size_t len)
{
	uint64_t m;
	bool neg = len > 0 && s[0] == '-';

	*out = 0;
	if (!cl_parse_u64(&m, s + neg, len - neg))
		return false;
	if (neg) {
		if (m == 0 || m > (uint64_t)INT64_MAX + 1)
			return false; /* "-0" is not canonical */
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
		return true;
	}
	if (m > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)m;
	return true;
}

size_t cl_fmt_u64(char out[21], uint64_t v)
{
	char tmp[21];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

size_t cl_fmt_i64(char out[21], int64_t v)
{
	if (v >= 0)
		return cl_fmt_u64(out, (uint64_t)v);
	char digits[21];
	/* -(v+1)+1 avoids overflow at INT64_MIN; at most 19 digits */
	size_t n = cl_fmt_u64(digits, (uint64_t)(-(v + 1)) + 1);
	out[0] = '-';
	memcpy(out + 1, digits, n + 1);
	return n + 1;
}

bool cl_parse_u256_be(uint8_t out[32], const char *s, size_t len)
{
	memset(out, 0, 32);
	if (len == 0 || len > 78 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			memset(out, 0, 32);
			return false;
		}
		/* out = out * 10 + digit, byte by byte from the right */
		unsigned carry = (unsigned)(s[i] - '0');
		for (int b = 31; b >= 0; b--) {
			unsigned v = out[b] * 10u + carry;
			out[b] = (uint8_t)v;
			carry = v >> 8;
		}
		if (carry) {
			memset(out, 0, 32);
			return false;
		}
	}
	return true;
}
