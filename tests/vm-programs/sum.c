/* SPDX-License-Identifier: MIT */
/* Loops, loads and stores: fills an array, sums i*i for i = 1..3000, a
 * 128-bit product, writes the results (8 bytes each, little-endian). */
#include "guest.h"

static uint64_t arr[512];

int main(void)
{
	uint64_t s = 0, t = 0;
	volatile uint64_t a = 0xfedcba9876543210ull, b = 0x0123456789abcdefull;
	unsigned __int128 p;

	for (uint64_t i = 1; i <= 3000; i++)
		s += i * i;
	for (unsigned i = 0; i < 512; i++)
		arr[i] = (uint64_t)i * 7 % 1000;
	for (unsigned i = 0; i < 512; i++)
		t += arr[i];
	p = (unsigned __int128)a * b;
	put_u64(s);
	put_u64(t);
	put_u64((uint64_t)(p >> 64));
	put_u64((uint64_t)p);
	return 0;
}
