/* SPDX-License-Identifier: MIT */
/*
 * Reads the preimage named at the boot page in pieces through the
 * preimage oracle, hashes it with the keccak host call (up to
 * VM_KECCAK_MAX bytes) and with keccak256 written here in C (any length,
 * thousands of steps), and writes: the length (8 bytes), the host
 * call's hash and the software hash.
 */
#include "guest.h"

#define MAX_IN 8192

static uint8_t buf[MAX_IN];

static const uint64_t rc[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull,
	0x8000000080008000ull, 0x000000000000808bull, 0x0000000080000001ull,
	0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008aull,
	0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull,
	0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
	0x000000000000800aull, 0x800000008000000aull, 0x8000000080008081ull,
	0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};
static const unsigned rot[25] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43,
	25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static uint64_t rotl(uint64_t v, unsigned n)
{
	return n ? (v << n) | (v >> (64 - n)) : v;
}

static void keccak_f(uint64_t a[25])
{
	for (int r = 0; r < 24; r++) {
		uint64_t c[5], b[25];

		for (int x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^
			       a[x + 20];
		for (int x = 0; x < 5; x++) {
			uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);

			for (int y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}
		/* rho and pi: b[y, 2x + 3y] = rot(a[x, y]) */
		for (int x = 0; x < 5; x++)
			for (int y = 0; y < 5; y++)
				b[((2 * x + 3 * y) % 5) * 5 + y] =
				    rotl(a[y * 5 + x], rot[y * 5 + x]);
		for (int y = 0; y < 25; y += 5)
			for (int x = 0; x < 5; x++)
				a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] &
						       b[y + (x + 2) % 5]);
		a[0] ^= rc[r];
	}
}

static void keccak256(uint8_t out[32], const uint8_t *in, uint64_t len)
{
	uint64_t a[25] = {0};
	uint8_t block[136];

	for (;;) {
		uint64_t n = len < 136 ? len : 136;

		memset(block, 0, sizeof(block));
		memcpy(block, in, n);
		if (n < 136) {
			block[n] ^= 0x01;
			block[135] ^= 0x80;
		}
		for (int i = 0; i < 17; i++) {
			uint64_t w = 0;

			for (int k = 7; k >= 0; k--)
				w = (w << 8) | block[8 * i + k];
			a[i] ^= w;
		}
		keccak_f(a);
		if (n < 136)
			break;
		in += 136;
		len -= 136;
	}
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));
}

int main(void)
{
	uint8_t h1[32], h2[32];
	uint64_t got = 0;
	long total = 0, n;

	/* pieces of at most 700 bytes, to cross the oracle's offsets */
	do {
		n = vm_preimage(GUEST_BOOT_KEY, got, buf + got,
				MAX_IN - got < 700 ? MAX_IN - got : 700,
				&total);
		got += (uint64_t)n;
	} while (n > 0 && got < MAX_IN);
	if ((uint64_t)total != got)
		return 3; /* longer than this program takes */
	vm_keccak(h1, buf, got < 2048 ? got : 2048);
	keccak256(h2, buf, got < 2048 ? got : 2048);
	put_u64(got);
	vm_write(h1, 32);
	vm_write(h2, 32);
	return memcmp(h1, h2, 32) == 0 ? 0 : 4;
}
