/* SPDX-License-Identifier: MIT */
/* The part of <stdlib.h> the stf guest needs (src/guest/rt.c): an
 * allocator over a fixed heap, qsort and abort (exit with a fault code). */
#ifndef CLEARLINE_GUEST_STDLIB_H
#define CLEARLINE_GUEST_STDLIB_H

#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
void qsort(void *base, size_t n, size_t size,
	   int (*cmp)(const void *, const void *));
__attribute__((noreturn)) void abort(void);

#endif
