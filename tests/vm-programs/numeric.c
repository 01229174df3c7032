/* SPDX-License-Identifier: MIT */
/*
 * The project's own checked arithmetic (src/common/num.c, compiled
 * unchanged for RV64IM, 128-bit division from libgcc) run inside the VM:
 * reads cases of (a, b, d) as three little-endian 64-bit values from the
 * preimage named at the boot page and, for each, writes nine results of
 * 9 bytes (ok flag, then the value little-endian): muldiv_u64 down and
 * up, muldiv_i64 down and up, div_i64 down and up, mul_i64, and
 * notional down and up with the scale exponent (d mod 40) - 38.
 */
#include <clearline/common.h>

#include "guest.h"

#define MAX_CASES 256

static uint8_t in[MAX_CASES * 24];
static uint8_t out[9 * 9 * 8]; /* flushed every 8 cases */
static unsigned used;

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put(bool ok, uint64_t v)
{
	out[used++] = ok;
	for (int i = 0; i < 8; i++, v >>= 8)
		out[used++] = (uint8_t)v;
	if (used == sizeof(out)) {
		vm_write(out, used);
		used = 0;
	}
}

int main(void)
{
	long total, n;
	uint64_t got = 0;

	do {
		n = vm_preimage(GUEST_BOOT_KEY, got, in + got, sizeof(in) - got, &total);
		got += (uint64_t)n;
	} while (n > 0 && got < sizeof(in));
	if ((uint64_t)total != got || got % 24 != 0)
		return 2;
	for (uint64_t i = 0; i < got; i += 24) {
		uint64_t a = get64(in + i), b = get64(in + i + 8);
		uint64_t d = get64(in + i + 16), u;
		int64_t s;
		struct cl_amount amt;
		int exp = (int)(d % 40) - 38;
		bool ok;

		ok = cl_muldiv_u64_down(&u, a, b, d);
		put(ok, u);
		ok = cl_muldiv_u64_up(&u, a, b, d);
		put(ok, u);
		ok = cl_muldiv_i64_down(&s, (int64_t)a, (int64_t)b, (int64_t)d);
		put(ok, (uint64_t)s);
		ok = cl_muldiv_i64_up(&s, (int64_t)a, (int64_t)b, (int64_t)d);
		put(ok, (uint64_t)s);
		ok = cl_div_i64_down(&s, (int64_t)a, (int64_t)d);
		put(ok, (uint64_t)s);
		ok = cl_div_i64_up(&s, (int64_t)a, (int64_t)d);
		put(ok, (uint64_t)s);
		ok = cl_mul_i64(&s, (int64_t)a, (int64_t)b);
		put(ok, (uint64_t)s);
		ok = cl_notional_down(&amt, (struct cl_price){a},
				      (struct cl_size){b}, exp);
		put(ok, (uint64_t)amt.atoms);
		ok = cl_notional_up(&amt, (struct cl_price){a},
				    (struct cl_size){b}, exp);
		put(ok, (uint64_t)amt.atoms);
	}
	if (used)
		vm_write(out, used);
	return 0;
}
