/* SPDX-License-Identifier: MIT */
/* The M extension's edge cases, each instruction issued exactly (inline
 * asm, so the compiler cannot fold them): division by zero, INT_MIN / -1,
 * the 32-bit forms; writes every result (8 bytes, little-endian). */
#include "guest.h"

#define OP(name, a, b)                                                     \
	({                                                                 \
		uint64_t r_, x_ = (a), y_ = (b);                           \
		__asm__ volatile(name " %0, %1, %2"                        \
				 : "=r"(r_)                                \
				 : "r"(x_), "r"(y_));                      \
		r_;                                                        \
	})

int main(void)
{
	const uint64_t min = 0x8000000000000000ull, m1 = ~0ull;
	uint64_t r[] = {
		OP("div", 42, 0),
		OP("divu", 42, 0),
		OP("rem", 42, 0),
		OP("remu", 42, 0),
		OP("div", min, m1),
		OP("rem", min, m1),
		OP("divw", 0x80000000u, m1),
		OP("remw", 0x80000000u, m1),
		OP("divw", 7, 0),
		OP("divuw", 7, 0),
		OP("remw", 0xfffffff9u, 0),
		OP("remuw", 0xfffffff9u, 0),
		OP("mulh", min, min),
		OP("mulhu", m1, m1),
		OP("mulhsu", m1, m1),
		OP("mulw", 0x10000, 0x8000),
		OP("div", (uint64_t)-7, 2),
		OP("rem", (uint64_t)-7, 2),
	};
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		put_u64(r[i]);
	return 0;
}
