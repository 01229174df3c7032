/* SPDX-License-Identifier: MIT */
/*
 * The option pricer (src/options, compiled unchanged for RV64IM with
 * 128-bit arithmetic from libgcc) run inside the VM: reads cases of
 * (F, K, w, tau) as four little-endian 64-bit values from the preimage
 * named at the boot page and, for each, writes the call's and the put's
 * Black-76 results (ok flag, then price, delta, gamma, vega, theta, d1,
 * d2 little-endian) and N(w - 2^62 as a signed wad), so
 * tests/unit/options/test_options_vm.c can compare them byte for byte
 * with the same code run natively.
 */
#include <clearline/options.h>

#include "guest.h"

#define MAX_CASES 128

static uint8_t in[MAX_CASES * 32];
static uint8_t out[2 * 57 + 8];

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		*p++ = (uint8_t)v;
	return p;
}

static uint8_t *put_greeks(uint8_t *p, bool ok, const struct cl_opt_greeks *g)
{
	*p++ = ok;
	p = put64(p, (uint64_t)g->price_micro);
	p = put64(p, (uint64_t)g->delta_ppb);
	p = put64(p, (uint64_t)g->gamma_wad);
	p = put64(p, (uint64_t)g->vega_micro);
	p = put64(p, (uint64_t)g->theta_micro);
	p = put64(p, (uint64_t)g->d1_wad);
	return put64(p, (uint64_t)g->d2_wad);
}

int main(void)
{
	long total, n;
	uint64_t got = 0;

	do {
		n = vm_preimage(GUEST_BOOT_KEY, got, in + got, sizeof(in) - got,
				&total);
		got += (uint64_t)n;
	} while (n > 0 && got < sizeof(in));
	if ((uint64_t)total != got || got % 32 != 0)
		return 2;
	for (uint64_t i = 0; i < got; i += 32) {
		struct cl_price f = {get64(in + i)}, k = {get64(in + i + 8)};
		int64_t w = (int64_t)get64(in + i + 16);
		uint64_t tau = get64(in + i + 24);
		struct cl_opt_greeks g;
		uint8_t *p = out;
		bool ok;

		ok = options_black76(&g, CL_OPT_CALL, f, k, w, tau);
		p = put_greeks(p, ok, &g);
		ok = options_black76(&g, CL_OPT_PUT, f, k, w, tau);
		p = put_greeks(p, ok, &g);
		p = put64(p, (uint64_t)options_ncdf(w - ((int64_t)1 << 62)));
		vm_write(out, (uint64_t)(p - out));
	}
	return 0;
}
