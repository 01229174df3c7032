/* SPDX-License-Identifier: MIT */
/*
 * The freestanding C runtime of the stf guest: the libc functions the
 * stf, the state module and their dependencies call, and an allocator.
 * The test programs of tests/vm-programs link it too.
 *
 * The allocator serves power-of-two size classes from a heap that grows
 * upwards from the end of the program's data (pages of the VM appear on
 * first touch); a freed block goes on its class's free list and is
 * reused by the next allocation of that class. Everything is a pure
 * function of the sequence of calls, so a run is deterministic.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecall.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
	}
	/* misaligned (the VM faults on a misaligned load): bytes, eight a
	 * round, so the loop costs less than the copy */
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		d[0] = s[0], d[1] = s[1], d[2] = s[2], d[3] = s[3];
		d[4] = s[4], d[5] = s[5], d[6] = s[6], d[7] = s[7];
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	if (((uintptr_t)d & 7) == 0) {
		uint64_t v = (uint8_t)c * 0x0101010101010101ull;

		for (; n >= 8; n -= 8, d += 8)
			*(uint64_t *)(void *)d = v;
	}
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	(void)fmt;
	(void)ap;
	if (size)
		buf[0] = 0;
	return 0;
}

void abort(void)
{
	guest_exit(GUEST_E_ABORT);
}

/* ------------------------------------------------------------------ */
/* Allocator                                                           */
/* ------------------------------------------------------------------ */

#define HEAP_LIMIT 0x70000000u /* the stack lives above */
#define MIN_CLASS 5            /* 32-byte blocks: 16 header + 16 data */
#define MAX_CLASS 31

extern char _end[]; /* link.ld: the end of .bss */

struct block {
	uint64_t cls;       /* size class: the block is 1 << cls bytes */
	struct block *next; /* on the free list; unused when allocated */
};

static uintptr_t heap_top;
static struct block *free_list[MAX_CLASS + 1];

static unsigned class_of(size_t n)
{
	unsigned c = MIN_CLASS;

	if (n > ((size_t)1 << MAX_CLASS) - 16)
		guest_exit(GUEST_E_MEMORY);
	while (((size_t)1 << c) - 16 < n)
		c++;
	return c;
}

void *malloc(size_t n)
{
	unsigned c = class_of(n);
	struct block *b = free_list[c];

	if (b) {
		free_list[c] = b->next;
	} else {
		if (!heap_top)
			heap_top = ((uintptr_t)_end + 15) & ~(uintptr_t)15;
		if (((size_t)1 << c) > HEAP_LIMIT - heap_top)
			guest_exit(GUEST_E_MEMORY);
		b = (struct block *)heap_top;
		heap_top += (size_t)1 << c;
	}
	b->cls = c;
	return (uint8_t *)b + 16;
}

void free(void *p)
{
	struct block *b;

	if (!p)
		return;
	b = (struct block *)(void *)((uint8_t *)p - 16);
	b->next = free_list[b->cls];
	free_list[b->cls] = b;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		guest_exit(GUEST_E_MEMORY);
	p = malloc(n * size);
	memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	struct block *b;
	size_t have;
	void *q;

	if (!p)
		return malloc(n);
	b = (struct block *)(void *)((uint8_t *)p - 16);
	have = ((size_t)1 << b->cls) - 16;
	if (n <= have)
		return p;
	q = malloc(n);
	memcpy(q, p, have);
	free(p);
	return q;
}

/* ------------------------------------------------------------------ */
/* qsort: a heap sort (the state module sorts distinct Merkle paths,   */
/* so the order of equal elements never matters)                       */
/* ------------------------------------------------------------------ */

static void swap_bytes(uint8_t *a, uint8_t *b, size_t size)
{
	while (size--) {
		uint8_t t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void sift_down(uint8_t *base, size_t root, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t child = 2 * root + 1;

		if (child >= n)
			return;
		if (child + 1 < n &&
		    cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap_bytes(base + root * size, base + child * size, size);
		root = child;
	}
}

void qsort(void *base, size_t n, size_t size,
	   int (*cmp)(const void *, const void *))
{
	uint8_t *b = base;

	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(b, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap_bytes(b, b + end * size, size);
		sift_down(b, 0, end, size, cmp);
	}
}
