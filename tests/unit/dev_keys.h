/* SPDX-License-Identifier: MIT */
/*
 * The development keys of the tests and benchmarks: anvil's ten
 * well-known accounts (public knowledge; the devnet uses the same ones)
 * and, beyond them, keys derived from a seed. Tests only.
 */
#ifndef CLEARLINE_TEST_DEV_KEYS_H
#define CLEARLINE_TEST_DEV_KEYS_H

#include <stdbool.h>
#include <string.h>

#include <clearline/common.h>
#include <clearline/crypto.h>

static const char *const dev_anvil_keys[10] = {
	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
	"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	"0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	"0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
	"0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
	"0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
	"0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
	"0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
	"0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
	"0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

/*
 * Key i: anvil's key i for i < 10, else the secret keccak256(seed ‖ be32
 * i). Returns false when the bytes are not a valid key.
 */
static inline bool dev_key(struct cl_seckey **out, unsigned i,
			   const char *seed)
{
	uint8_t in[64 + 4], b[32];
	size_t n = strlen(seed);
	bool ok;

	if (i < 10)
		return cl_seckey_new_from_hex(out, dev_anvil_keys[i],
					      strlen(dev_anvil_keys[i]));
	if (n > 64)
		n = 64;
	memcpy(in, seed, n);
	cl_put_be32(in + n, (uint32_t)i);
	cl_keccak256(b, in, n + 4);
	ok = cl_seckey_new_from_bytes(out, b);
	memset(b, 0, sizeof(b));
	return ok;
}

#endif
