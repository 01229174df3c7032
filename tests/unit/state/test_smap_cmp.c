/* SPDX-License-Identifier: MIT */
/*
 * smap_cmp, the key order of the overlay, the deltas and their merges
 * (src/state/state_int.h), against the order it must keep: LMDB's
 * default, memcmp over the shorter length, then the shorter key first.
 * Keys of 0 to 40 bytes sharing prefixes of every length, so the
 * eight-byte steps meet their differences at every offset and at both
 * ends of a word. delta_ent_cmp, which compares the deltas' entries by
 * their first eight bytes (delta_key8, zero-padded) before their keys,
 * is held to the same order: padding must never order a short key
 * after a longer one that continues it with zeros.
 */
#include "test.h"

#include "state_int.h"

#include <string.h>

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static int reference(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return sign(c);
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	/* a few byte values, so equal bytes and 0x00 / 0xff edges are common */
	static const uint8_t pick[] = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff };
	return pick[rng % sizeof(pick)];
}

int main(void)
{
	uint8_t a[40], b[40];
	unsigned checked = 0;

	for (size_t alen = 0; alen <= sizeof(a); alen++) {
		for (size_t blen = 0; blen <= sizeof(b); blen++) {
			for (unsigned round = 0; round < 64; round++) {
				for (size_t i = 0; i < alen; i++)
					a[i] = next_byte();
				/* b: a's first `common` bytes, then its own */
				size_t common = round % (alen + 1);
				for (size_t i = 0; i < blen; i++)
					b[i] = i < common ? a[i] : next_byte();
				int want = reference(a, alen, b, blen);
				CHECK_MSG(sign(smap_cmp(a, alen, b, blen)) == want,
					  "lengths %zu, %zu, common %zu", alen,
					  blen, common);
				CHECK(sign(smap_cmp(b, blen, a, alen)) == -want);
				CHECK(smap_cmp(a, alen, a, alen) == 0);
				struct delta_ent ea = { .key = a,
							.klen = (uint32_t)alen,
							.k8 = delta_key8(a, alen) };
				CHECK_MSG(sign(delta_ent_cmp(&ea,
							     delta_key8(b, blen),
							     b, blen)) == want,
					  "delta_ent_cmp: lengths %zu, %zu, "
					  "common %zu", alen, blen, common);
				checked++;
			}
		}
	}
	CHECK(checked == 41u * 41u * 64u);
	return test_done("smap_cmp");
}
