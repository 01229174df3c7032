/* SPDX-License-Identifier: MIT */
/*
 * The test programs' view of the VM's host calls (docs/vm.md "ecalls"),
 * on the stf guest's ecall ABI (src/guest/ecall.h) and the call numbers
 * of include/clearline/vm.h. The programs link the stf guest's runtime
 * too (src/guest/crt0.S, rt.c, link.ld; tests/vm-programs/meson.build).
 */
#ifndef CLEARLINE_GUEST_H
#define CLEARLINE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <clearline/vm.h>

/* guest_ecall, guest_exit, GUEST_BOOT_KEY: the stf guest's own */
#include "ecall.h"

/* Copy up to len bytes of the preimage of key from offset into dst;
 * returns the count, *total gets the preimage's length. */
static inline long vm_preimage(const uint8_t key[32], uint64_t off,
			       void *dst, uint64_t len, long *total)
{
	return guest_ecall(VM_ECALL_PREIMAGE, (long)key, (long)off, (long)dst,
			   (long)len, total);
}

static inline void vm_write(const void *p, uint64_t len)
{
	guest_ecall(VM_ECALL_WRITE, (long)p, (long)len, 0, 0, NULL);
}

static inline void vm_keccak(uint8_t out[32], const void *p, uint64_t len)
{
	guest_ecall(VM_ECALL_KECCAK, (long)p, (long)len, (long)out, 0, NULL);
}

static inline long vm_ecrecover(uint8_t out[20], const uint8_t hash[32],
				const uint8_t sig[65])
{
	return guest_ecall(VM_ECALL_ECRECOVER, (long)hash, (long)sig,
			   (long)out, 0, NULL);
}

static inline void put_u64(uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (uint8_t)v;
	vm_write(b, 8);
}

#include <string.h>

#endif
