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

/* The permutation, one round per iteration with every lane index a
 * constant so the compiler keeps the state in registers. */
static void keccak_f(uint64_t st[25])
{
	uint64_t a[25], b[25], c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

	memcpy(a, st, sizeof(a));
	for (int r = 0; r < 24; r++) {
		c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
		c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
		c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
		c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
		c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
		d0 = c4 ^ rotl(c1, 1);
		d1 = c0 ^ rotl(c2, 1);
		d2 = c1 ^ rotl(c3, 1);
		d3 = c2 ^ rotl(c4, 1);
		d4 = c3 ^ rotl(c0, 1);
		/* theta, then rho and pi: lane (x, y) moves to (y, 2x + 3y) */
		b[0] = rotl(a[0] ^ d0, 0);
		b[16] = rotl(a[5] ^ d0, 36);
		b[7] = rotl(a[10] ^ d0, 3);
		b[23] = rotl(a[15] ^ d0, 41);
		b[14] = rotl(a[20] ^ d0, 18);
		b[10] = rotl(a[1] ^ d1, 1);
		b[1] = rotl(a[6] ^ d1, 44);
		b[17] = rotl(a[11] ^ d1, 10);
		b[8] = rotl(a[16] ^ d1, 45);
		b[24] = rotl(a[21] ^ d1, 2);
		b[20] = rotl(a[2] ^ d2, 62);
		b[11] = rotl(a[7] ^ d2, 6);
		b[2] = rotl(a[12] ^ d2, 43);
		b[18] = rotl(a[17] ^ d2, 15);
		b[9] = rotl(a[22] ^ d2, 61);
		b[5] = rotl(a[3] ^ d3, 28);
		b[21] = rotl(a[8] ^ d3, 55);
		b[12] = rotl(a[13] ^ d3, 25);
		b[3] = rotl(a[18] ^ d3, 21);
		b[19] = rotl(a[23] ^ d3, 56);
		b[15] = rotl(a[4] ^ d4, 27);
		b[6] = rotl(a[9] ^ d4, 20);
		b[22] = rotl(a[14] ^ d4, 39);
		b[13] = rotl(a[19] ^ d4, 8);
		b[4] = rotl(a[24] ^ d4, 14);
		/* chi */
		a[0] = b[0] ^ (~b[1] & b[2]);
		a[1] = b[1] ^ (~b[2] & b[3]);
		a[2] = b[2] ^ (~b[3] & b[4]);
		a[3] = b[3] ^ (~b[4] & b[0]);
		a[4] = b[4] ^ (~b[0] & b[1]);
		a[5] = b[5] ^ (~b[6] & b[7]);
		a[6] = b[6] ^ (~b[7] & b[8]);
		a[7] = b[7] ^ (~b[8] & b[9]);
		a[8] = b[8] ^ (~b[9] & b[5]);
		a[9] = b[9] ^ (~b[5] & b[6]);
		a[10] = b[10] ^ (~b[11] & b[12]);
		a[11] = b[11] ^ (~b[12] & b[13]);
		a[12] = b[12] ^ (~b[13] & b[14]);
		a[13] = b[13] ^ (~b[14] & b[10]);
		a[14] = b[14] ^ (~b[10] & b[11]);
		a[15] = b[15] ^ (~b[16] & b[17]);
		a[16] = b[16] ^ (~b[17] & b[18]);
		a[17] = b[17] ^ (~b[18] & b[19]);
		a[18] = b[18] ^ (~b[19] & b[15]);
		a[19] = b[19] ^ (~b[15] & b[16]);
		a[20] = b[20] ^ (~b[21] & b[22]);
		a[21] = b[21] ^ (~b[22] & b[23]);
		a[22] = b[22] ^ (~b[23] & b[24]);
		a[23] = b[23] ^ (~b[24] & b[20]);
		a[24] = b[24] ^ (~b[20] & b[21]);
		/* iota */
		a[0] ^= round_consts[r];
	}
	memcpy(st, a, sizeof(a));
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
	/* the tail: whole lanes, then bytes */
	while (len >= 8 && k->pos % 8 == 0) {
		uint64_t lane = 0;
		for (int b = 7; b >= 0; b--)
			lane = (lane << 8) | p[b];
		k->st[k->pos / 8] ^= lane;
		k->pos += 8;
		p += 8;
		len -= 8;
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
