/* SPDX-License-Identifier: MIT */
/*
 * Secret keys, recoverable signing and signer recovery.
 */
#include <string.h>

#include <secp256k1_recovery.h>
#include <sodium.h>

#include "crypto_int.h"

/* The curve order n and floor(n / 2), big-endian. */
/* clang-format off */
static const uint8_t curve_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

static const uint8_t curve_half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d,
	0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};
/* clang-format on */

static bool is_zero32(const uint8_t *p)
{
	uint8_t acc = 0;

	for (int i = 0; i < 32; i++)
		acc |= p[i];
	return acc == 0;
}

/* 0 < x < n, for public values (not constant time). */
static bool in_scalar_range(const uint8_t *x)
{
	return !is_zero32(x) && memcmp(x, curve_n, 32) < 0;
}

const char *cl_sig_err_str(enum cl_sig_err err)
{
	switch (err) {
	case CL_SIG_OK:
		return "ok";
	case CL_SIG_BAD_LENGTH:
		return "signature is not 65 bytes";
	case CL_SIG_BAD_V:
		return "bad signature v value";
	case CL_SIG_BAD_R:
		return "signature r out of range";
	case CL_SIG_BAD_S:
		return "signature s out of range";
	case CL_SIG_HIGH_S:
		return "high s value in signature";
	case CL_SIG_INVALID:
		return "invalid signature";
	}
	return "unknown";
}

enum cl_sig_err cl_sig_check(const uint8_t *sig, size_t sig_len)
{
	if (sig_len != CL_SIG_LEN)
		return CL_SIG_BAD_LENGTH;

	uint8_t v = sig[64];

	if (v != 0 && v != 1 && v != 27 && v != 28)
		return CL_SIG_BAD_V;
	if (!in_scalar_range(sig))
		return CL_SIG_BAD_R;
	if (!in_scalar_range(sig + 32))
		return CL_SIG_BAD_S;
	if (memcmp(sig + 32, curve_half_n, 32) > 0)
		return CL_SIG_HIGH_S;
	return CL_SIG_OK;
}

static void serialize_pubkey(struct cl_pubkey *out, const secp256k1_pubkey *pk)
{
	uint8_t ser[65];
	size_t n = sizeof(ser);

	secp256k1_ec_pubkey_serialize(crypto_ctx(), ser, &n, pk,
				      SECP256K1_EC_UNCOMPRESSED);
	CL_REQUIRE(n == 65 && ser[0] == 0x04);
	memcpy(out->b, ser + 1, 64);
}

enum cl_sig_err cl_sig_recover(struct cl_address *signer,
			       const struct cl_hash32 *digest,
			       const uint8_t *sig, size_t sig_len)
{
	const secp256k1_context *ctx = crypto_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;
	struct cl_pubkey pub;

	memset(signer, 0, sizeof(*signer));

	enum cl_sig_err err = cl_sig_check(sig, sig_len);

	if (err != CL_SIG_OK)
		return err;

	int recid = sig[64] >= 27 ? sig[64] - 27 : sig[64];

	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig,
								 recid))
		return CL_SIG_INVALID;
	if (!secp256k1_ecdsa_recover(ctx, &pk, &rs, digest->b))
		return CL_SIG_INVALID;
	serialize_pubkey(&pub, &pk);
	cl_pubkey_address(signer, &pub);
	return CL_SIG_OK;
}

bool crypto_seckey_make(struct cl_seckey **out, const uint8_t b[32])
{
	const secp256k1_context *ctx = crypto_ctx();
	secp256k1_pubkey pk;

	*out = NULL;
	if (!secp256k1_ec_seckey_verify(ctx, b))
		return false;

	struct cl_seckey *k = sodium_malloc(sizeof(*k));

	if (!k)
		CL_BUG("out of memory for a secret key");
	memcpy(k->sk, b, sizeof(k->sk));
	if (!secp256k1_ec_pubkey_create(ctx, &pk, k->sk)) {
		sodium_free(k);
		return false;
	}
	serialize_pubkey(&k->pub, &pk);
	cl_pubkey_address(&k->addr, &k->pub);
	if (sodium_mprotect_readonly(k) != 0)
		cl_unusual(CRYPTO_LOG,
			   "cannot make secret key memory read-only");
	*out = k;
	return true;
}

struct cl_seckey *cl_seckey_new(void)
{
	struct cl_seckey *k;
	uint8_t b[32];

	/* A random 256-bit value is >= n with probability ~2^-128. */
	do {
		cl_randbytes(b, sizeof(b));
	} while (!crypto_seckey_make(&k, b));
	sodium_memzero(b, sizeof(b));
	return k;
}

bool cl_seckey_new_from_bytes(struct cl_seckey **out, const uint8_t b[32])
{
	return crypto_seckey_make(out, b);
}

bool cl_seckey_new_from_hex(struct cl_seckey **out, const char *hex,
			    size_t hex_len)
{
	uint8_t b[32];
	bool ok;

	*out = NULL;
	ok = cl_hex_decode(b, sizeof(b), hex, hex_len, CL_HEX_0X_OPT) &&
	     crypto_seckey_make(out, b);
	sodium_memzero(b, sizeof(b));
	return ok;
}

void cl_seckey_free(struct cl_seckey *key)
{
	sodium_free(key);
}

bool cl_seckey_equal(const struct cl_seckey *a, const struct cl_seckey *b)
{
	return sodium_memcmp(a->sk, b->sk, sizeof(a->sk)) == 0;
}

void cl_seckey_pubkey(struct cl_pubkey *out, const struct cl_seckey *key)
{
	*out = key->pub;
}

void cl_seckey_address(struct cl_address *out, const struct cl_seckey *key)
{
	*out = key->addr;
}

int cl_sign_digest(struct cl_sig *out, const struct cl_seckey *key,
		   const struct cl_hash32 *digest)
{
	const secp256k1_context *ctx = crypto_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	int recid = -1;

	memset(out, 0, sizeof(*out));
	if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest->b, key->sk,
					      secp256k1_nonce_function_rfc6979,
					      NULL)) {
		cl_unusual(CRYPTO_LOG, "signing failed: no usable nonce");
		return CL_ERR_CRYPTO;
	}
	secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out->b,
								&recid, &rs);
	if (recid != 0 && recid != 1) {
		memset(out, 0, sizeof(*out));
		cl_unusual(CRYPTO_LOG, "signing failed: recovery id %d", recid);
		return CL_ERR_CRYPTO;
	}
	out->b[64] = (uint8_t)(27 + recid);
	/* The library normalises to low-S; a signature we would refuse
	 * ourselves must never leave the sequencer. */
	if (cl_sig_check(out->b, sizeof(out->b)) != CL_SIG_OK)
		CL_BUG("libsecp256k1 produced a signature we refuse");
	return CL_OK;
}
