/* SPDX-License-Identifier: MIT */
#include "test.h"

int main(void)
{
	uint8_t b[4];
	size_t n;

	CHECK(cl_hex_decode(b, 2, "0xAbcD", 6, CL_HEX_0X));
	CHECK(b[0] == 0xab && b[1] == 0xcd);
	CHECK(cl_hex_decode(b, 2, "abcd", 4, CL_HEX_NO_PREFIX));
	CHECK(cl_hex_decode(b, 2, "0Xabcd", 6, CL_HEX_0X_OPT));
	CHECK(cl_hex_decode(b, 2, "abcd", 4, CL_HEX_0X_OPT));

	/* prefix rules are explicit */
	CHECK(!cl_hex_decode(b, 2, "abcd", 4, CL_HEX_0X));
	CHECK(!cl_hex_decode(b, 2, "0xabcd", 6, CL_HEX_NO_PREFIX));
	/* exact lengths: short, long, odd */
	CHECK(!cl_hex_decode(b, 2, "0xabc", 5, CL_HEX_0X));
	CHECK(!cl_hex_decode(b, 2, "0xabcdef", 8, CL_HEX_0X));
	CHECK(!cl_hex_decode(b, 2, "0xab", 4, CL_HEX_0X));
	/* bad characters, and failure zeroes the output */
	memset(b, 0x55, sizeof(b));
	CHECK(!cl_hex_decode(b, 2, "0xabzd", 6, CL_HEX_0X));
	CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x55);
	CHECK(!cl_hex_decode(b, 2, "0x ab c", 6, CL_HEX_0X));
	CHECK(!cl_hex_decode(b, 1, "0xg0", 4, CL_HEX_0X));
	/* NUL inside the counted length is a bad character */
	CHECK(!cl_hex_decode(b, 1, "a\0", 2, CL_HEX_NO_PREFIX));
	CHECK(!cl_hex_decode(b, 1, "0x", 2, CL_HEX_0X));
	CHECK(cl_hex_decode(b, 0, "0x", 2, CL_HEX_0X));
	/* every byte value, as the high and as the low digit: a digit
	 * exactly when strtol says so, with its value (the table of
	 * hex.c against the C library) */
	int wrong = 0;
	for (int c = 0; c < 256; c++) {
		char d[2] = {(char)c, 0};
		bool digit = c != 0 && strchr("0123456789abcdefABCDEF", c);
		long v = digit ? strtol(d, NULL, 16) : -1;
		char hi[2] = {(char)c, '7'}, lo[2] = {'7', (char)c};
		bool ok_hi = cl_hex_decode(b, 1, hi, 2, CL_HEX_NO_PREFIX);
		uint8_t got_hi = b[0];
		bool ok_lo = cl_hex_decode(b, 1, lo, 2, CL_HEX_NO_PREFIX);
		uint8_t got_lo = b[0];
		if (ok_hi != digit || ok_lo != digit ||
		    (digit && (got_hi != (uint8_t)(v << 4 | 7) ||
			       got_lo != (uint8_t)(0x70 | v))) ||
		    (!digit && (got_hi != 0 || got_lo != 0)))
			wrong++;
	}
	CHECK_MSG(wrong == 0, "%d byte values decoded wrongly", wrong);

	CHECK(cl_hex_decode_var(b, 4, &n, "0x", 2, CL_HEX_0X) && n == 0);
	CHECK(cl_hex_decode_var(b, 4, &n, "0x01020304", 10, CL_HEX_0X) &&
	      n == 4 && b[3] == 4);
	CHECK(!cl_hex_decode_var(b, 4, &n, "0x0102030405", 12, CL_HEX_0X) &&
	      n == 0);
	CHECK(!cl_hex_decode_var(b, 4, &n, "0x012", 5, CL_HEX_0X));
	CHECK(!cl_hex_decode_var(b, 4, &n, "x012", 4, CL_HEX_0X_OPT));

	char s[16];
	uint8_t in[3] = {0x00, 0xab, 0xff};
	CHECK(cl_hex_encode(s, in, 3, true) == 8 && strcmp(s, "0x00abff") == 0);
	CHECK(cl_hex_encode(s, in, 3, false) == 6 && strcmp(s, "00abff") == 0);
	CHECK(cl_hex_encode(s, in, 0, true) == 2 && strcmp(s, "0x") == 0);

	/* round trip over all byte values */
	uint8_t all[256], back[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char *h = cl_hex_encode_alloc(all, 256, true);
	CHECK(cl_hex_decode(back, 256, h, strlen(h), CL_HEX_0X));
	CHECK(memcmp(all, back, 256) == 0);
	free(h);

	CHECK(cl_ct_equal("abc", "abc", 3));
	CHECK(!cl_ct_equal("abc", "abd", 3));
	return test_done("hex");
}
