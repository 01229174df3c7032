/* SPDX-License-Identifier: MIT */
/*
 * The one libsecp256k1 context of the process and libsodium's start-up.
 */
#include <pthread.h>
#include <sodium.h>

#include "crypto_int.h"

static secp256k1_context *ctx;
static int init_result = CL_ERR_CRYPTO;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* libsecp256k1 reports misuse (NULL arguments and the like): a bug. */
static void on_illegal(const char *msg, void *data)
{
	CL_BUG("libsecp256k1 illegal argument: %s", msg);
}

static void on_error(const char *msg, void *data)
{
	CL_BUG("libsecp256k1 internal error: %s", msg);
}

static void crypto_init_once(void)
{
	uint8_t seed[32];

	if (sodium_init() < 0) {
		cl_broken(CRYPTO_LOG, "libsodium failed to initialise");
		return;
	}
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!ctx) {
		cl_broken(CRYPTO_LOG, "cannot create the secp256k1 context");
		return;
	}
	secp256k1_context_set_illegal_callback(ctx, on_illegal, NULL);
	secp256k1_context_set_error_callback(ctx, on_error, NULL);

	cl_randbytes(seed, sizeof(seed));
	int ok = secp256k1_context_randomize(ctx, seed);
	sodium_memzero(seed, sizeof(seed));
	if (!ok) {
		cl_broken(CRYPTO_LOG, "cannot randomise the secp256k1 context");
		secp256k1_context_destroy(ctx);
		ctx = NULL;
		return;
	}
	init_result = CL_OK;
}

int cl_crypto_init(void)
{
	if (pthread_once(&init_once, crypto_init_once) != 0)
		CL_BUG("pthread_once failed");
	return init_result;
}

const secp256k1_context *crypto_ctx(void)
{
	if (__builtin_expect(ctx == NULL, 0))
		CL_BUG("crypto used before cl_crypto_init() succeeded");
	return ctx;
}
