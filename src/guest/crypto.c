/* SPDX-License-Identifier: MIT */
/*
 * keccak256 and signer recovery in the guest, behind the declarations of
 * include/clearline/common.h and crypto.h, done by the VM's host calls
 * (docs/vm.md "ecalls") so a block is not billions of steps.
 *
 *  - cl_keccak256(): the keccak ecall for inputs up to VM_KECCAK_MAX
 *    bytes; longer inputs and the incremental API use the project's own
 *    src/common/keccak.c, included below with its one-shot function
 *    renamed (the file itself is not changed).
 *  - cl_sig_recover(): the same range checks as src/crypto/sig.c
 *    (cl_sig_check), then the ecrecover ecall, which accepts exactly the
 *    signatures cl_sig_recover() accepts.
 */
#define cl_keccak256 guest_keccak256_soft
#include "../common/keccak.c"
#undef cl_keccak256

#include <clearline/crypto.h>
#include <clearline/vm.h>

#include "ecall.h"

void cl_keccak256(uint8_t out[32], const void *in, size_t len);

void cl_keccak256(uint8_t out[32], const void *in, size_t len)
{
	if (len > VM_KECCAK_MAX) {
		guest_keccak256_soft(out, in, len);
		return;
	}
	guest_ecall(VM_ECALL_KECCAK, (long)in, (long)len, (long)out, 0, NULL);
}

/* Many hashes at once (clearline/keccak.h): in the guest one after the
 * other, each through the ecall. */
void cl_keccak256_many(uint8_t *out, const uint8_t *in, size_t len, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cl_keccak256(out + 32 * i, in + len * i, len);
}

/* The curve order n and floor(n / 2), big-endian (secp256k1). */
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

static bool scalar_ok(const uint8_t *x)
{
	uint8_t acc = 0;

	for (int i = 0; i < 32; i++)
		acc |= x[i];
	return acc != 0 && memcmp(x, curve_n, 32) < 0;
}

const char *cl_sig_err_str(enum cl_sig_err err)
{
	(void)err;
	return "";
}

enum cl_sig_err cl_sig_check(const uint8_t *sig, size_t sig_len)
{
	if (sig_len != CL_SIG_LEN)
		return CL_SIG_BAD_LENGTH;
	if (sig[64] != 0 && sig[64] != 1 && sig[64] != 27 && sig[64] != 28)
		return CL_SIG_BAD_V;
	if (!scalar_ok(sig))
		return CL_SIG_BAD_R;
	if (!scalar_ok(sig + 32))
		return CL_SIG_BAD_S;
	if (memcmp(sig + 32, curve_half_n, 32) > 0)
		return CL_SIG_HIGH_S;
	return CL_SIG_OK;
}

enum cl_sig_err cl_sig_recover(struct cl_address *signer,
			       const struct cl_hash32 *digest,
			       const uint8_t *sig, size_t sig_len)
{
	enum cl_sig_err err = cl_sig_check(sig, sig_len);
	long ok;

	memset(signer, 0, sizeof(*signer));
	if (err != CL_SIG_OK)
		return err;
	ok = guest_ecall(VM_ECALL_ECRECOVER, (long)digest->b, (long)sig,
			 (long)signer->b, 0, NULL);
	return ok == 1 ? CL_SIG_OK : CL_SIG_INVALID;
}

int cl_crypto_init(void)
{
	return CL_OK;
}
