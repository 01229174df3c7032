/* SPDX-License-Identifier: MIT */
/*
 * A fast checksum for the project's own files (the state log): 16 bytes
 * of BLAKE2b from libsodium, about 1 GB/s where keccak256 gives 0.2.
 */
#include <sodium.h>

#include <clearline/crypto.h>

void cl_checksum16(uint8_t out[16], const void *p, size_t len)
{
	/* BLAKE2b needs no sodium_init(): it starts on its portable code */
	crypto_generichash(out, 16, p, len, NULL, 0);
}
