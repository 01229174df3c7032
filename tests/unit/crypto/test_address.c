/* SPDX-License-Identifier: MIT */
/*
 * The address text rule: "0x" + 40 hex digits; all-lowercase and
 * all-uppercase letters accepted; mixed case only as the exact EIP-55 form.
 */
#include <clearline/crypto.h>

#include "test.h"

static bool parses(const char *s)
{
	struct cl_address a;

	return cl_address_parse(&a, s, strlen(s));
}

int main(void)
{
	const char *sum = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
	const char *lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
	const char *upper = "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED";
	struct cl_address a, b, c;
	char text[CL_ADDRESS_STR_LEN + 1];

	CHECK(cl_crypto_init() == CL_OK);

	CHECK(cl_address_parse(&a, sum, strlen(sum)));
	CHECK(cl_address_parse(&b, lower, strlen(lower)));
	CHECK(cl_address_parse(&c, upper, strlen(upper)));
	CHECK(memcmp(a.b, b.b, 20) == 0 && memcmp(a.b, c.b, 20) == 0);
	CHECK_HEX(a.b, 20, lower);
	cl_address_format(text, &a);
	CHECK(strcmp(text, sum) == 0);
	CHECK(strlen(text) == CL_ADDRESS_STR_LEN);

	/* one letter with the wrong case: a typo, refused */
	char typo[CL_ADDRESS_STR_LEN + 1];

	for (size_t i = 2; i < CL_ADDRESS_STR_LEN; i++) {
		memcpy(typo, sum, CL_ADDRESS_STR_LEN + 1);
		if (typo[i] >= 'a' && typo[i] <= 'f')
			typo[i] = (char)(typo[i] - 'a' + 'A');
		else if (typo[i] >= 'A' && typo[i] <= 'F')
			typo[i] = (char)(typo[i] - 'A' + 'a');
		else
			continue;
		/* changing one letter keeps the case mixed here */
		CHECK_MSG(!parses(typo), "accepted %s", typo);
	}
	/* a refused parse zeroes the output */
	memset(a.b, 0xaa, sizeof(a.b));
	CHECK(!cl_address_parse(&a, typo, strlen(typo)));
	for (int i = 0; i < 20; i++)
		CHECK(a.b[i] == 0);

	/* prefix and length */
	CHECK(!parses(lower + 2)); /* no 0x */
	CHECK(!parses("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
	CHECK(!parses("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"));
	CHECK(!parses("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00"));
	CHECK(!parses("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"));
	CHECK(!parses("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea d"));
	CHECK(!parses(" 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"));
	CHECK(!parses(""));
	CHECK(!parses("0x"));
	/* no letters at all: both all-lower and all-upper */
	CHECK(parses("0x0000000000000000000000000000000000000000"));
	CHECK(parses("0x1234567890123456789012345678901234567890"));
	/* only the declared length is read */
	CHECK(cl_address_parse(&a,
			       "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedXYZ",
			       CL_ADDRESS_STR_LEN));

	/* format/parse round trip over random addresses */
	for (int i = 0; i < 200; i++) {
		cl_randbytes(a.b, sizeof(a.b));
		cl_address_format(text, &a);
		CHECK(cl_address_parse(&b, text, strlen(text)));
		CHECK(memcmp(a.b, b.b, 20) == 0);
	}
	return test_done("test_address");
}
