/* SPDX-License-Identifier: MIT */
/*
 * Sorting by a key's first eight bytes: a stable radix sort of (word,
 * payload) pairs. The commit sorts its changed paths (keccak outputs:
 * their first word nearly always decides) and the overlay's waiting
 * entries by it; qsort moved the 104-byte operations themselves through
 * a comparison call each, about a tenth of the writer.
 */
#include <string.h>

#include "state_int.h"

#define DIGIT_BITS 11
#define DIGITS (1u << DIGIT_BITS)
#define SMALL 64 /* below this, insertion sort */

static void insertion(struct keysort_ent *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct keysort_ent x = v[i];
		size_t j = i;

		while (j > 0 && v[j - 1].k > x.k) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

void keysort(struct keysort_ent *v, struct keysort_ent *tmp, size_t n)
{
	uint32_t count[DIGITS];
	struct keysort_ent *src = v, *dst = tmp;

	CL_REQUIRE(n <= UINT32_MAX);
	if (n < SMALL) {
		insertion(v, n);
		return;
	}
	for (unsigned shift = 0; shift < 64; shift += DIGIT_BITS) {
		uint32_t sum = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src[i].k >> shift) & (DIGITS - 1)]++;
		/* a digit every key shares moves nothing */
		if (count[(src[0].k >> shift) & (DIGITS - 1)] == n)
			continue;
		for (size_t d = 0; d < DIGITS; d++) {
			uint32_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].k >> shift) & (DIGITS - 1)]++] =
				src[i];
		struct keysort_ent *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}
