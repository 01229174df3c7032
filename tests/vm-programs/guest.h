/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the VM's ecall ABI (docs/vm.md): a7 = call number,
 * arguments in a0..a3, results in a0 (and a1). Freestanding: no libc.
 */
#ifndef CLEARLINE_GUEST_H
#define CLEARLINE_GUEST_H

#include <stddef.h>
#include <stdint.h>

/* Where the host puts the program's input key before the first step. */
#define BOOT_KEY ((const uint8_t *)0x1000)

static inline long ecall4(long n, long a, long b, long c, long d,
			  long *a1_out)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a7 __asm__("a7") = n;

	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1)
			 : "r"(a2), "r"(a3), "r"(a7)
			 : "memory");
	if (a1_out)
		*a1_out = a1;
	return a0;
}

static inline __attribute__((noreturn)) void vm_exit(long code)
{
	ecall4(0, code, 0, 0, 0, NULL);
	__builtin_unreachable();
}

/* Copy up to len bytes of the preimage of key from offset into dst;
 * returns the count, *total gets the preimage's length. */
static inline long vm_preimage(const uint8_t key[32], uint64_t off,
			       void *dst, uint64_t len, long *total)
{
	return ecall4(1, (long)key, (long)off, (long)dst, (long)len, total);
}

static inline void vm_write(const void *p, uint64_t len)
{
	ecall4(2, (long)p, (long)len, 0, 0, NULL);
}

static inline void vm_keccak(uint8_t out[32], const void *p, uint64_t len)
{
	ecall4(3, (long)p, (long)len, (long)out, 0, NULL);
}

static inline long vm_ecrecover(uint8_t out[20], const uint8_t hash[32],
				const uint8_t sig[65])
{
	return ecall4(4, (long)hash, (long)sig, (long)out, 0, NULL);
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
