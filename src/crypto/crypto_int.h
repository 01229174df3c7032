/* SPDX-License-Identifier: MIT */
/*
 * Private to src/crypto: the shared library context and the layout of a
 * secret key, so the keystore can read and build keys.
 */
#ifndef CLEARLINE_CRYPTO_INT_H
#define CLEARLINE_CRYPTO_INT_H

#include <secp256k1.h>

#include <clearline/crypto.h>

#define CRYPTO_LOG "crypto"

/* Lives in sodium_malloc'ed memory, read-only after creation. */
struct cl_seckey {
	uint8_t sk[32];
	struct cl_pubkey pub;
	struct cl_address addr;
};

/* The process-wide context; aborts when cl_crypto_init() has not run. */
const secp256k1_context *crypto_ctx(void);

/* A new key from 32 bytes already checked or not; false when invalid. */
bool crypto_seckey_make(struct cl_seckey **out, const uint8_t b[32]);

#endif
