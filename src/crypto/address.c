/* SPDX-License-Identifier: MIT */
/*
 * Ethereum addresses: derivation from a public key, EIP-55 text form and
 * the strict parser.
 */
#include <string.h>

#include "crypto_int.h"

void cl_pubkey_address(struct cl_address *out, const struct cl_pubkey *pub)
{
	uint8_t h[32];

	cl_keccak256(h, pub->b, sizeof(pub->b));
	memcpy(out->b, h + 12, sizeof(out->b));
}

void cl_address_format(char out[CL_ADDRESS_STR_LEN + 1],
		       const struct cl_address *addr)
{
	uint8_t h[32];

	cl_hex_encode(out, addr->b, sizeof(addr->b), true);
	/* EIP-55: hash the 40 lowercase digits, then upper-case each
	 * letter whose matching hash nibble is 8 or more. */
	cl_keccak256(h, out + 2, 40);
	for (int i = 0; i < 40; i++) {
		char *c = &out[2 + i];
		uint8_t nib = (i & 1) ? (h[i / 2] & 0x0f) : (h[i / 2] >> 4);

		if (*c >= 'a' && *c <= 'f' && nib >= 8)
			*c = (char)(*c - 'a' + 'A');
	}
}

void cl_address_format_cached(struct cl_address_cache *c,
			      char out[CL_ADDRESS_STR_LEN + 1],
			      const struct cl_address *addr)
{
	const uint8_t *b = addr->b;
	size_t i = (size_t)(b[0] ^ b[5] ^ b[11] ^ b[19]) %
		   CL_ADDRESS_CACHE_SLOTS;

	if (!c->e[i].used || memcmp(c->e[i].a.b, b, sizeof(addr->b)) != 0) {
		cl_address_format(c->e[i].s, addr);
		c->e[i].a = *addr;
		c->e[i].used = true;
	}
	memcpy(out, c->e[i].s, CL_ADDRESS_STR_LEN + 1);
}

bool cl_address_parse(struct cl_address *out, const char *s, size_t len)
{
	bool lower = false, upper = false;
	char canon[CL_ADDRESS_STR_LEN + 1];

	memset(out, 0, sizeof(*out));
	if (len != CL_ADDRESS_STR_LEN || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < len; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'f')
			lower = true;
		else if (c >= 'A' && c <= 'F')
			upper = true;
		else if (c < '0' || c > '9')
			return false;
	}
	if (!cl_hex_decode(out->b, sizeof(out->b), s + 2, 40, CL_HEX_NO_PREFIX))
		return false;
	if (!(lower && upper))
		return true;
	cl_address_format(canon, out);
	if (memcmp(canon + 2, s + 2, 40) != 0) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}
