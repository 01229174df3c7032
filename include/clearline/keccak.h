/* SPDX-License-Identifier: MIT */
/*
 * keccak — many independent short keccak256 hashes at once (part of the
 * common module, beside the one-at-a-time sponge in common.h).
 *
 * The Merkle tree hashes tens of thousands of 65-byte nodes per block,
 * each one block of the sponge. Where the CPU has wide vector registers,
 * several inputs go through one permutation side by side: one input per
 * 64-bit element, 8 with AVX-512, 4 with AVX2. The kernel is chosen once
 * from the CPU's features at run time; every other machine (and the
 * fault-proof VM guest, which does not compile this file) uses the
 * portable sponge of common.h, one input after the other. Every kernel
 * gives exactly cl_keccak256's digests (tests/unit/common/
 * test_keccak_lanes.c checks them against it and against known vectors).
 *
 * Pure functions without state beyond the kernel choice (made once, safe
 * from any thread); inputs and outputs may not overlap.
 */
#ifndef CLEARLINE_KECCAK_H
#define CLEARLINE_KECCAK_H

#include <clearline/common.h>

/* The longest input cl_keccak256_many takes: one block of the sponge
 * (136 bytes) less the padding byte. */
#define CL_KECCAK_MANY_MAX 135

enum cl_keccak_kernel {
	CL_KECCAK_PORTABLE = 0, /* cl_keccak256, one input at a time */
	CL_KECCAK_AVX2 = 1,     /* 4 inputs side by side (x86-64) */
	CL_KECCAK_AVX512 = 2,   /* 8 inputs side by side (x86-64) */
};

/*
 * out[32 i .. 32 i + 32) = keccak256(in[len i .. len i + len)) for i < n:
 * n inputs of `len` bytes each (len <= CL_KECCAK_MANY_MAX), one after the
 * other in `in`; `out` holds 32 n bytes. Uses the best kernel this CPU
 * has (cl_keccak_kernel_best).
 */
void cl_keccak256_many(uint8_t *out, const uint8_t *in, size_t len,
		       size_t n);

/* The kernel cl_keccak256_many uses on this CPU. */
enum cl_keccak_kernel cl_keccak_kernel_best(void);

/* The kernel's name ("portable", "avx2", "avx512"). */
const char *cl_keccak_kernel_name(enum cl_keccak_kernel k);

/*
 * cl_keccak256_many with the kernel `k`: true, or false (nothing
 * written) when this CPU or build does not have it. For tests and
 * benchmarks that compare the kernels.
 */
CL_WUR bool cl_keccak256_many_with(enum cl_keccak_kernel k, uint8_t *out,
				   const uint8_t *in, size_t len, size_t n);

#endif
