/* SPDX-License-Identifier: MIT */
/*
 * keysort (src/state/keysort.c) against a plain stable sort: arrays of
 * every size around its switch from insertion to radix (64) and up to
 * 200 000, words that are random, that share their high bits (passes
 * skipped), that repeat (stability: equal words keep their order), all
 * equal, and already sorted or reversed; and the words keys give
 * (delta_key8) against smap_cmp on keys of 0 to 12 bytes.
 */
#include "test.h"

#include "state_int.h"

#include <stdlib.h>
#include <string.h>

static int ref_cmp(const void *pa, const void *pb)
{
	const struct keysort_ent *a = pa, *b = pb;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return a->v < b->v ? -1 : a->v > b->v; /* v: the original place */
}

static uint64_t rand64(void)
{
	return ((uint64_t)test_rand() << 32) ^ (uint64_t)test_rand() ^
	       ((uint64_t)test_rand() << 16);
}

static uint64_t word(unsigned kind, size_t i, size_t n)
{
	switch (kind) {
	case 0:
		return rand64();
	case 1: /* high 40 bits shared: the upper passes move nothing */
		return 0xabcdef1234000000ULL | (rand64() & 0xffffff);
	case 2: /* few distinct words: long runs to keep in order */
		return rand64() % 7 * 0x0101010101010101ULL;
	case 3:
		return 42;
	case 4:
		return (uint64_t)i * 0x9e3779b9ULL;
	default:
		return (uint64_t)(n - i) << 20;
	}
}

static void check_sort(size_t n, unsigned kind)
{
	struct keysort_ent *v = cl_xmalloc((n + 1) * sizeof(*v));
	struct keysort_ent *want = cl_xmalloc((n + 1) * sizeof(*v));
	struct keysort_ent *tmp = cl_xmalloc((n + 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = want[i] = (struct keysort_ent){ word(kind, i, n), i };
	qsort(want, n, sizeof(*want), ref_cmp);
	keysort(v, tmp, n);
	bool same = n == 0 || memcmp(v, want, n * sizeof(*v)) == 0;
	CHECK_MSG(same, "keysort of %zu words of kind %u", n, kind);
	free(v);
	free(want);
	free(tmp);
}

static void check_words(void)
{
	for (int t = 0; t < 20000; t++) {
		uint8_t a[12], b[12];
		size_t la = (size_t)(test_rand() % 13);
		size_t lb = (size_t)(test_rand() % 13);

		for (size_t i = 0; i < 12; i++) {
			a[i] = (uint8_t)(test_rand() % 3);
			b[i] = test_rand() % 4 ? a[i] : (uint8_t)(test_rand() % 3);
		}
		uint64_t wa = delta_key8(a, la), wb = delta_key8(b, lb);
		int c = smap_cmp(a, la, b, lb);

		/* words that differ order as the keys do */
		if (wa != wb)
			CHECK((wa < wb) == (c < 0));
	}
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 17, 63, 64, 65, 100,
					2047, 2048, 2049, 10000, 200000 };

	test_seed();
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (unsigned kind = 0; kind < 6; kind++)
			check_sort(sizes[s], kind);
	check_words();
	return test_done("test_keysort");
}
