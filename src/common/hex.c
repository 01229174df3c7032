/* SPDX-License-Identifier: MIT */
#include <clearline/common.h>

#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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
	for (size_t i = 0; i < nbytes; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
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
