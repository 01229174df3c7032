/* SPDX-License-Identifier: MIT */
/*
 * keccak256: Keccak-f[1600] sponge with rate 136 bytes, capacity 512 bits
 * and the original Keccak padding (0x01 ... 0x80), as Ethereum uses it
 * (not NIST SHA3-256, whose domain byte is 0x06).
 */
#include <clearline/common.h>

#include <string.h>

#define RATE 136

static const uint64_t round_consts[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rotl(uint64_t x, unsigned n)
{
	return n ? (x << n) | (x >> (64 - n)) : x;
}

/* The permutation, written out per step: theta, rho+pi, chi, iota. */
static void keccak_f(uint64_t a[25])
{
	/* rho offsets and pi destinations along the (1,0) lane cycle */
	static const unsigned rho[24] = {
		1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
		27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44,
	};
	static const unsigned pi[24] = {
		10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
		15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1,
	};

	for (int r = 0; r < 24; r++) {
		uint64_t c[5], d;

		for (int x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^
			       a[x + 20];
		for (int x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}

		uint64_t cur = a[1];
		for (int i = 0; i < 24; i++) {
			uint64_t t = a[pi[i]];
			a[pi[i]] = rotl(cur, rho[i]);
			cur = t;
		}

		for (int y = 0; y < 25; y += 5) {
			uint64_t row[5];
			for (int x = 0; x < 5; x++)
				row[x] = a[y + x];
			for (int x = 0; x < 5; x++)
				a[y + x] = row[x] ^
					   (~row[(x + 1) % 5] & row[(x + 2) % 5]);
		}

		a[0] ^= round_consts[r];
	}
}

void cl_keccak_init(struct cl_keccak *k)
{
	memset(k, 0, sizeof(*k));
}

/* XOR one byte into the state at byte offset `pos` (lanes little-endian). */
static inline void xor_byte(struct cl_keccak *k, size_t pos, uint8_t v)
{
	k->st[pos / 8] ^= (uint64_t)v << (8 * (pos % 8));
}

void cl_keccak_update(struct cl_keccak *k, const void *in, size_t len)
{
	const uint8_t *p = in;

	/* finish a partial block byte by byte */
	while (len && k->pos) {
		xor_byte(k, k->pos++, *p++);
		len--;
		if (k->pos == RATE) {
			keccak_f(k->st);
			k->pos = 0;
		}
	}
	/* whole blocks, a lane at a time */
	while (len >= RATE) {
		for (size_t i = 0; i < RATE / 8; i++) {
			uint64_t lane = 0;
			for (int b = 7; b >= 0; b--)
				lane = (lane << 8) | p[8 * i + (size_t)b];
			k->st[i] ^= lane;
		}
		keccak_f(k->st);
		p += RATE;
		len -= RATE;
	}
	while (len--)
		xor_byte(k, k->pos++, *p++);
}

void cl_keccak_final(struct cl_keccak *k, uint8_t out[32])
{
	xor_byte(k, k->pos, 0x01);
	xor_byte(k, RATE - 1, 0x80);
	keccak_f(k->st);
	for (size_t i = 0; i < 32; i++)
		out[i] = (uint8_t)(k->st[i / 8] >> (8 * (i % 8)));
	memset(k, 0, sizeof(*k));
}

void cl_keccak256(uint8_t out[32], const void *in, size_t len)
{
	struct cl_keccak k;
	cl_keccak_init(&k);
	cl_keccak_update(&k, in, len);
	cl_keccak_final(&k, out);
}
