/* SPDX-License-Identifier: MIT */
/*
 * The sorted map of the overlay (src/state/smap.c) against a plain
 * reference: random upserts, value sets, finds of present and absent
 * keys, seeks, removes and clears on a plain map and on the overlay's
 * (an arena, groups ordered lazily), and after every round the whole
 * walk in order (smap_sorted, and the list of a plain map), the count,
 * and every key found through the hash index. On the overlay's map the
 * seeks of a round ask for no group, for two of the five, or for all,
 * so walks and removals meet entries waiting, entries linked, and both
 * in one group; a seek there must be exact within its key's group. Keys of 0 to 40 bytes
 * from a few byte values share prefixes and differ in one word only, so
 * the index's probe sequences meet and its backward shifts on removal
 * run across neighbours; the key space is small enough that upserts
 * often find an entry and removes often hit one.
 */
#include "test.h"

#include "state_int.h"

#include <string.h>

#define MAXK 40
#define NKEYS 3000 /* the key space */

struct ref {
	uint8_t key[MAXK];
	size_t klen;
	bool present;
	uint32_t val; /* the value set last (0: none) */
};

static struct ref keys[NKEYS];

static void make_keys(void)
{
	static const uint8_t pick[] = {0x00, 0x01, 0x7f, 0x80, 0xff};

	for (size_t i = 0; i < NKEYS; i++) {
		struct ref *r = &keys[i];
	again:
		r->klen = (size_t)(test_rand() % (MAXK + 1));
		for (size_t j = 0; j < r->klen; j++)
			r->key[j] = pick[test_rand() % sizeof(pick)];
		for (size_t k = 0; k < i; k++)
			if (keys[k].klen == r->klen &&
			    memcmp(keys[k].key, r->key, r->klen) == 0)
				goto again; /* distinct keys only */
	}
}

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = *(const struct ref *const *)a;
	const struct ref *y = *(const struct ref *const *)b;
	return smap_cmp(x->key, x->klen, y->key, y->klen);
}

/* The map holds exactly the present keys, in order, with their values,
 * and the index finds each of them and none of the others. */
static void check_node(const struct smap_node *x, const struct ref *r)
{
	uint32_t v = 0;

	CHECK(x->klen == r->klen && memcmp(x->key, r->key, x->klen) == 0);
	CHECK(x->vlen == (r->val ? 4u : 0u));
	if (x->vlen == 4)
		memcpy(&v, x->val, 4);
	CHECK(v == r->val);
}

static void check_whole(struct smap *m)
{
	static const struct ref *sorted[NKEYS];
	size_t n = 0;

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].present)
			sorted[n++] = &keys[i];
	qsort(sorted, n, sizeof(sorted[0]), ref_cmp);
	CHECK(m->count == n);
	size_t i = 0;
	if (!m->groups) {
		for (const struct smap_node *x = smap_first(m); x;
		     x = x->next[0], i++) {
			CHECK(i < n);
			if (i >= n)
				return;
			check_node(x, sorted[i]);
		}
		CHECK(i == n);
	}
	size_t ns;
	struct smap_node *const *all = smap_sorted(m, &ns);
	CHECK(ns == n);
	for (i = 0; i < ns && i < n; i++)
		check_node(all[i], sorted[i]);
	for (size_t k = 0; k < NKEYS; k++) {
		const struct smap_node *f =
		    smap_find(m, keys[k].key, keys[k].klen);
		CHECK((f != NULL) == keys[k].present);
		if (f)
			CHECK(f->klen == keys[k].klen &&
			      memcmp(f->key, keys[k].key, f->klen) == 0);
	}
	/* a lazy map counts each group's entries */
	for (unsigned g = 0; m->groups && g < 256; g++) {
		size_t want = 0;

		for (size_t k = 0; k < NKEYS; k++)
			want += keys[k].present && keys[k].klen &&
				keys[k].key[0] == g;
		CHECK(smap_group_count(m, (uint8_t)g) == want);
	}
	/* the index's load stays at 1/2 or below */
	CHECK(m->count == 0 || m->count * 2 <= m->cap);
}

/* The first present key >= (strict: >) keys[k], by the reference;
 * within keys[k]'s group (its first byte) only when `group`. */
static const struct ref *ref_seek(size_t k, bool strict, bool group)
{
	const struct ref *best = NULL;

	for (size_t i = 0; i < NKEYS; i++) {
		if (!keys[i].present)
			continue;
		if (group && keys[i].key[0] != keys[k].key[0])
			continue;
		int c = smap_cmp(keys[i].key, keys[i].klen, keys[k].key,
				 keys[k].klen);
		if (c < 0 || (c == 0 && strict))
			continue;
		if (!best || smap_cmp(keys[i].key, keys[i].klen, best->key,
				      best->klen) < 0)
			best = &keys[i];
	}
	return best;
}

/* May a seek of this round ask for keys[k]'s group? (The overlay's map:
 * none in the first two rounds after a clear, two groups in the next
 * two, any in the last; never a key of no bytes, which has no group.) */
static bool may_seek(bool overlay, unsigned round, size_t k)
{
	if (!overlay)
		return true;
	if (!keys[k].klen)
		return false;
	switch (round % 5) {
	case 0:
	case 1:
		return false;
	case 2:
	case 3:
		return keys[k].key[0] == 0x01 || keys[k].key[0] == 0x80;
	default:
		return true;
	}
}

static void run(bool overlay, unsigned rounds)
{
	struct smap m;

	for (size_t i = 0; i < NKEYS; i++)
		keys[i].present = false, keys[i].val = 0;
	if (overlay)
		smap_init_overlay(&m);
	else
		smap_init(&m);
	for (unsigned round = 0; round < rounds; round++) {
		unsigned ops = 1 + (unsigned)(test_rand() % 4000);
		for (unsigned op = 0; op < ops; op++) {
			size_t k = (size_t)(test_rand() % NKEYS);
			struct ref *r = &keys[k];
			unsigned what = (unsigned)(test_rand() % 10);
			if (what < 5) {
				bool created = false;
				struct smap_node *x =
				    smap_upsert(&m, &created, r->key, r->klen);
				CHECK(created == !r->present);
				CHECK(x && x->klen == r->klen &&
				      memcmp(x->key, r->key, r->klen) == 0);
				if (created)
					CHECK(x->vlen == 0 && !x->tomb);
				r->present = true;
				if (test_rand() % 2) {
					uint32_t v = 1 + (uint32_t)op;
					smap_set_val(&m, x, (uint8_t *)&v, 4);
					r->val = v;
				}
			} else if (what < 7) {
				bool had = smap_remove(&m, r->key, r->klen);
				CHECK(had == r->present);
				r->present = false;
				r->val = 0;
				CHECK(smap_find(&m, r->key, r->klen) == NULL);
			} else if (what < 9) {
				const struct smap_node *x =
				    smap_find(&m, r->key, r->klen);
				CHECK((x != NULL) == r->present);
			} else if (may_seek(overlay, round, k)) {
				bool strict = test_rand() % 2;
				const struct smap_node *x =
				    smap_seek(&m, r->key, r->klen, strict);
				const struct ref *want =
					ref_seek(k, strict, overlay);
				/* past its group, the overlay's answer may
				 * be any entry of a later group, or none */
				if (overlay && !want && x)
					CHECK(x->klen && x->key[0] > r->key[0]);
				else
					CHECK((x == NULL) == (want == NULL));
				if (x && want)
					CHECK(x->klen == want->klen &&
					      memcmp(x->key, want->key,
						     x->klen) == 0);
			}
		}
		check_whole(&m);
		if (round % 5 == 4) {
			smap_clear(&m);
			for (size_t i = 0; i < NKEYS; i++)
				keys[i].present = false, keys[i].val = 0;
			check_whole(&m);
		}
	}
	smap_release(&m);
}

int main(void)
{
	test_seed();
	make_keys();
	run(false, 40);
	run(true, 40);
	return test_done("smap");
}
