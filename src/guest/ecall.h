/* SPDX-License-Identifier: MIT */
/*
 * The stf guest's side of the VM's ecall ABI (docs/vm.md "ecalls"):
 * a7 = call number, arguments in a0..a3, results in a0 (and a1).
 */
#ifndef CLEARLINE_GUEST_ECALL_H
#define CLEARLINE_GUEST_ECALL_H

#include <stddef.h>
#include <stdint.h>

/* Where the host writes the program's input key before the first step. */
#define GUEST_BOOT_KEY ((const uint8_t *)0x1000)

/* Exit codes of the stf guest (0 = the post-state root was written). */
enum guest_exit {
	GUEST_OK = 0,
	GUEST_E_INPUT = 10,    /* the input preimage is malformed */
	GUEST_E_STATE = 11,    /* the tree under prev_root is not one the
				* state module writes (src/state/walk.c) */
	GUEST_E_BLOCK = 12,    /* the block does not open on the pre-state */
	GUEST_E_BACKEND = 13,  /* a state read or the commit failed (the stf
				* found committed data corrupt) */
	GUEST_E_ABORT = 14,    /* abort(): a broken invariant (CL_BUG) */
	GUEST_E_MEMORY = 15,   /* the heap is exhausted */
};

static inline long guest_ecall(long n, long a, long b, long c, long d,
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

static inline __attribute__((noreturn)) void guest_exit(long code)
{
	guest_ecall(0, code, 0, 0, 0, NULL);
	__builtin_unreachable();
}

#endif
