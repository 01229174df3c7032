/* SPDX-License-Identifier: MIT */
/*
 * Human decimals <-> integer units, exactly. The text is turned into one
 * digit string (integer digits, then the fraction padded with zeros to the
 * unit's decimals) and parsed with the strict u64 parser, so overflow is
 * caught in one place and nothing is ever rounded.
 */
#include <clearline/cli.h>

#include <string.h>

const char *cl_dec_err_str(enum cl_dec_err e)
{
	switch (e) {
	case CL_DEC_OK:
		return "ok";
	case CL_DEC_EMPTY:
		return "empty value";
	case CL_DEC_NEGATIVE:
		return "negative values are not allowed";
	case CL_DEC_SYNTAX:
		return "not a plain decimal number (digits with an optional "
		       "point, like 65000.5)";
	case CL_DEC_LEADING_ZERO:
		return "leading zeros are not allowed";
	case CL_DEC_TOO_PRECISE:
		return "too many decimal places";
	case CL_DEC_OVERFLOW:
		return "value too large";
	case CL_DEC_BAD_DECIMALS:
		return "unit has too many decimals";
	}
	return "unknown";
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

enum cl_dec_err cl_dec_check(const char *s, size_t len)
{
	size_t point = len;

	if (len == 0)
		return CL_DEC_EMPTY;
	if (s[0] == '-')
		return CL_DEC_NEGATIVE;
	for (size_t i = 0; i < len; i++) {
		if (is_digit(s[i]))
			continue;
		if (s[i] != '.' || point != len)
			return CL_DEC_SYNTAX;
		point = i;
	}
	/* "1." and ".5" are refused: a point needs digits on both sides */
	if (point == 0 || point == len - 1)
		return CL_DEC_SYNTAX;
	if (s[0] == '0' && point > 1)
		return CL_DEC_LEADING_ZERO;
	return CL_DEC_OK;
}

enum cl_dec_err cl_dec_parse(uint64_t *out, const char *s, size_t len,
			     unsigned decimals)
{
	/* 20 digits at most fit in u64; more integer digits overflow */
	char digits[20 + CL_DEC_MAX_DECIMALS + 1];
	size_t point = len, nint, nfrac, n = 0;
	enum cl_dec_err e;

	*out = 0;
	e = cl_dec_check(s, len);
	if (e != CL_DEC_OK)
		return e;
	if (decimals > CL_DEC_MAX_DECIMALS)
		return CL_DEC_BAD_DECIMALS;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.')
			point = i;
	nint = point;
	nfrac = point == len ? 0 : len - point - 1;
	if (nfrac > decimals)
		return CL_DEC_TOO_PRECISE;

	/* a lone integer zero ("0.05") contributes no digit */
	size_t lead = 0;
	while (lead < nint && s[lead] == '0')
		lead++;
	if (nint - lead > 20)
		return CL_DEC_OVERFLOW;
	memcpy(digits, s + lead, nint - lead);
	n = nint - lead;
	if (nfrac)
		memcpy(digits + n, s + point + 1, nfrac);
	n += nfrac;
	memset(digits + n, '0', decimals - nfrac);
	n += decimals - nfrac;

	/* the strict parser refuses leading zeros: drop them here */
	size_t z = 0;
	while (z + 1 < n && digits[z] == '0')
		z++;
	if (n == 0)
		return CL_DEC_OK; /* "0" with 0 decimals */
	if (n - z > 20)
		return CL_DEC_OVERFLOW;
	if (!cl_parse_u64(out, digits + z, n - z))
		return CL_DEC_OVERFLOW;
	return CL_DEC_OK;
}

/* Place the point into a digit string; digits holds n chars. */
static size_t place_point(char *out, const char *digits, size_t n,
			  unsigned decimals)
{
	size_t o = 0;

	if (n <= decimals) {
		out[o++] = '0';
		out[o++] = '.';
		for (size_t i = n; i < decimals; i++)
			out[o++] = '0';
		memcpy(out + o, digits, n);
		o += n;
	} else {
		memcpy(out + o, digits, n - decimals);
		o += n - decimals;
		if (decimals) {
			out[o++] = '.';
			memcpy(out + o, digits + n - decimals, decimals);
			o += decimals;
		}
	}
	if (decimals) {
		while (out[o - 1] == '0')
			o--;
		if (out[o - 1] == '.')
			o--;
	}
	out[o] = '\0';
	return o;
}

size_t cl_dec_format_u64(char out[CL_DEC_STR_MAX], uint64_t v,
			 unsigned decimals)
{
	char d[21];
	size_t n;

	CL_REQUIRE(decimals <= CL_DEC_MAX_DECIMALS);
	n = cl_fmt_u64(d, v);
	return place_point(out, d, n, decimals);
}

size_t cl_dec_format_i64(char out[CL_DEC_STR_MAX], int64_t v, unsigned decimals)
{
	char mag[CL_DEC_STR_MAX];
	size_t n;

	if (v >= 0)
		return cl_dec_format_u64(out, (uint64_t)v, decimals);
	/* two's complement magnitude, correct for INT64_MIN as well */
	n = cl_dec_format_u64(mag, (uint64_t)0 - (uint64_t)v, decimals);
	CL_REQUIRE(n + 2 <= CL_DEC_STR_MAX);
	out[0] = '-';
	memcpy(out + 1, mag, n + 1);
	return n + 1;
}
