/* SPDX-License-Identifier: MIT */
/*
 * The memory commitment: after random writes (page edges, the first and
 * last words of the address space, many pages), the incremental root
 * equals a root recomputed from scratch by a naive recursive definition
 * (docs/vm.md "Memory tree"), at every round; a clone has the same
 * root and then its own.
 */
#include <clearline/vm.h>

#include "test.h"

#define NPAGES_MAX 4096

static uint32_t pages[NPAGES_MAX];
static size_t npages;

static void note_page(uint32_t pn)
{
	for (size_t i = 0; i < npages; i++)
		if (pages[i] == pn)
			return;
	CL_REQUIRE(npages < NPAGES_MAX);
	pages[npages++] = pn;
}

static void h2(uint8_t out[32], const uint8_t *l, const uint8_t *r)
{
	uint8_t b[64];

	memcpy(b, l, 32);
	memcpy(b + 32, r, 32);
	cl_keccak256(out, b, 64);
}

static bool any_page(uint32_t lo, uint32_t hi)
{
	for (size_t i = 0; i < npages; i++)
		if (pages[i] >= lo && pages[i] < hi)
			return true;
	return false;
}

/* The hash of the node at `depth` (0 = root), index `idx` in its level. */
static void naive(struct vm_machine *m, uint8_t out[32], unsigned depth,
		  uint64_t idx)
{
	uint8_t l[32], r[32];

	if (depth == VM_TREE_DEPTH) {
		CHECK(vm_mem_read(m, out, idx * 32, 32));
		return;
	}
	if (depth <= 20) {
		uint64_t span = 1ull << (20 - depth);

		if (!any_page((uint32_t)(idx * span),
			      (uint32_t)(idx * span + span))) {
			/* an untouched subtree: hash zeros up */
			memset(out, 0, 32);
			for (unsigned h = 0; h < VM_TREE_DEPTH - depth; h++)
				h2(out, out, out);
			return;
		}
	}
	naive(m, l, depth + 1, 2 * idx);
	naive(m, r, depth + 1, 2 * idx + 1);
	h2(out, l, r);
}

static void check_root(struct vm_machine *m)
{
	struct cl_hash32 inc;
	uint8_t want[32];

	vm_mem_root(m, &inc);
	naive(m, want, 0, 0);
	CHECK(memcmp(inc.b, want, 32) == 0);
}

int main(void)
{
	struct vm_machine *m = vm_machine_new();
	uint8_t buf[9000];

	test_seed();
	check_root(m);
	/* a zero write allocates a page but does not change the root */
	memset(buf, 0, 64);
	CHECK(vm_mem_write(m, 0x5000, buf, 64));
	note_page(5);
	check_root(m);

	for (int round = 0; round < 40; round++) {
		int writes = 1 + (int)(test_rand() % 20);

		for (int i = 0; i < writes; i++) {
			uint64_t r = test_rand();
			size_t len = 1 + (size_t)(test_rand() % 300);
			uint64_t addr;

			switch (r % 4) {
			case 0: /* anywhere */
				addr = (r >> 8) % ((1ull << 32) - len);
				break;
			case 1: /* near a page edge */
				addr = ((r >> 8) % 64) * 4096 + 4096 -
				       (r >> 40) % 64;
				break;
			case 2: /* the top of the address space */
				addr = (1ull << 32) - len;
				break;
			default: /* a busy region */
				addr = 0x10000 + (r >> 8) % 0x3000;
			}
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)test_rand();
			CHECK(vm_mem_write(m, addr, buf, len));
			for (uint64_t a = addr & ~0xfffull; a < addr + len;
			     a += 4096)
				note_page((uint32_t)(a >> 12));
		}
		if (round % 3 != 2) /* sometimes let writes pile up */
			check_root(m);
	}
	/* a write of 9000 bytes across three pages */
	for (size_t k = 0; k < sizeof(buf); k++)
		buf[k] = (uint8_t)(k * 13);
	CHECK(vm_mem_write(m, 0x7ffff00, buf, sizeof(buf)));
	for (uint64_t a = 0x7fff000; a < 0x7ffff00 + sizeof(buf); a += 4096)
		note_page((uint32_t)(a >> 12));
	check_root(m);

	/* a clone: the same root (its pending writes too), then its own */
	CHECK(vm_mem_write(m, 0x123450, buf, 100)); /* not hashed yet */
	note_page(0x123);
	struct vm_machine *c = vm_machine_clone(m);
	struct cl_hash32 r1, r2;
	vm_state_hash(m, &r1);
	vm_state_hash(c, &r2);
	CHECK(cl_hash32_eq(&r1, &r2));
	CHECK(vm_mem_write(c, 0x99990000, buf, 64));
	vm_state_hash(c, &r2);
	CHECK(!cl_hash32_eq(&r1, &r2));
	vm_state_hash(m, &r2);
	CHECK(cl_hash32_eq(&r1, &r2));
	check_root(m);
	vm_machine_free(c);

	CHECK(!vm_mem_write(m, 0xffffffffull, buf, 2));
	CHECK(!vm_mem_write(m, 1ull << 32, buf, 0));
	CHECK(!vm_mem_read(m, buf, 0xfffffff0ull, 17));
	printf("pages touched: %zu\n", npages);
	vm_machine_free(m);
	return test_done("test_tree");
}
