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

	/* the cache gives the same text: a pool of 600 addresses, many of
	 * them sharing a slot (their four bytes the slot is chosen by
	 * differ, the rest the same), in random order, hits and misses */
	static struct cl_address_cache cache; /* zeroed */
	struct cl_address pool[600];
	for (int i = 0; i < 600; i++) {
		cl_randbytes(pool[i].b, sizeof(pool[i].b));
		if (i % 3 == 1) {
			pool[i] = pool[i - 1];
			pool[i].b[7] ^= (uint8_t)(1 + i % 255); /* same slot */
		}
	}
	unsigned hits = 0;
	for (int i = 0; i < 20000; i++) {
		uint8_t r[2];
		cl_randbytes(r, 2);
		const struct cl_address *p = &pool[(r[0] << 8 | r[1]) % 600];
		char want[CL_ADDRESS_STR_LEN + 1], got[CL_ADDRESS_STR_LEN + 1];
		size_t slot = (size_t)(p->b[0] ^ p->b[5] ^ p->b[11] ^ p->b[19]) %
			      CL_ADDRESS_CACHE_SLOTS;
		bool cached = cache.e[slot].used &&
			      memcmp(cache.e[slot].a.b, p->b, 20) == 0;
		hits += cached;
		cl_address_format(want, p);
		memset(got, 'x', sizeof(got));
		cl_address_format_cached(&cache, got, p);
		CHECK(memcmp(want, got, sizeof(want)) == 0);
	}
	CHECK(hits > 1000 && hits < 19000); /* both paths taken */
	return test_done("test_address");
}
