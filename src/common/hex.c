/* SPDX-License-Identifier: MIT */
#include <clearline/common.h>

#include <string.h>

/* A digit's value plus one; 0 for every byte that is not a hex digit.
 * (A table: the signature and addresses of every request are decoded
 * here, and the branches of a range test cost 1 % of the node.) */
static const uint8_t HEXV[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Strip the prefix as `prefix` allows; false if the rule is broken. */
static bool strip_prefix(const char **hex, size_t *len,
			 enum cl_hex_prefix prefix)
{
	bool has = *len >= 2 && (*hex)[0] == '0' &&
		   ((*hex)[1] == 'x' || (*hex)[1] == 'X');

	switch (prefix) {
	case CL_HEX_NO_PREFIX:
		return !has;
	case CL_HEX_0X:
		if (!has)
			return false;
		break;
	case CL_HEX_0X_OPT:
		if (!has)
			return true;
		break;
	}
	*hex += 2;
	*len -= 2;
	return true;
}

static bool decode_digits(uint8_t *out, const char *hex, size_t nbytes)
{
	unsigned bad = 0;

	for (size_t i = 0; i < nbytes; i++) {
		unsigned hi = HEXV[(uint8_t)hex[2 * i]];
		unsigned lo = HEXV[(uint8_t)hex[2 * i + 1]];
		bad |= (hi == 0) | (lo == 0);
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return !bad;
}

bool cl_hex_decode(uint8_t *out, size_t outlen, const char *hex,
		   size_t hexlen, enum cl_hex_prefix prefix)
{
	if (!strip_prefix(&hex, &hexlen, prefix) || hexlen != 2 * outlen ||
	    !decode_digits(out, hex, outlen)) {
		memset(out, 0, outlen);
		return false;
	}
	return true;
}

bool cl_hex_decode_var(uint8_t *out, size_t cap, size_t *outlen,
		       const char *hex, size_t hexlen,
		       enum cl_hex_prefix prefix)
{
	*outlen = 0;
	if (!strip_prefix(&hex, &hexlen, prefix) || hexlen % 2 != 0 ||
	    hexlen / 2 > cap)
		return false;
	if (!decode_digits(out, hex, hexlen / 2)) {
		memset(out, 0, hexlen / 2);
		return false;
	}
	*outlen = hexlen / 2;
	return true;
}

size_t cl_hex_encode(char *out, const uint8_t *in, size_t len, bool with_0x)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (with_0x) {
		out[o++] = '0';
		out[o++] = 'x';
	}
	for (size_t i = 0; i < len; i++) {
		out[o++] = digits[in[i] >> 4];
		out[o++] = digits[in[i] & 15];
	}
	out[o] = '\0';
	return o;
}

char *cl_hex_encode_alloc(const uint8_t *in, size_t len, bool with_0x)
{
	char *s = cl_xmalloc(2 * len + 3);
	cl_hex_encode(s, in, len, with_0x);
	return s;
}
