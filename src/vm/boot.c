/* SPDX-License-Identifier: MIT */
/*
 * Booting a program on an input, and the image id that lets an L1
 * contract compute the booted state's hash without the image.
 *
 * A loaded image with an empty boot page differs from the same image
 * booted on a key only in the boot page's first leaf. So the booted
 * memory root is the key hashed up the boot page (its other leaves are
 * zero: the zero-subtree hashes are the siblings), then up the 20 levels
 * above the pages past the image's own hashes, which do not depend on
 * the key. Those 20 hashes and the entry point are the image id.
 */
#include <string.h>

#include "vm_int.h"

#define BOOT_PAGE (VM_BOOT_ADDR / VM_PAGE_SIZE)
/* Heap index of the boot page's root (docs/vm.md "Memory tree"). */
#define BOOT_NODE (VM_NPAGES + BOOT_PAGE)

_Static_assert(VM_BOOT_ADDR % VM_PAGE_SIZE == 0,
	       "the key is the boot page's first leaf");

/* A machine exactly as vm_load_elf() leaves it, with the boot page zero. */
static bool fresh_image(struct vm_machine *m)
{
	const struct vm_cpu *c = &m->cpu;
	for (size_t i = 0; i < 32; i++)
		if (c->x[i] != 0)
			return false;
	static const struct cl_hash32 zero;
	if (c->step != 0 || c->status != VM_RUNNING || c->exit_code != 0 ||
	    memcmp(&c->out_hash, &zero, sizeof zero) != 0 || m->output.len != 0)
		return false;
	const struct vm_page *pg = vm_page_get(m, BOOT_PAGE);
	if (!pg)
		return true;
	for (size_t i = 0; i < VM_PAGE_SIZE; i++)
		if (pg->data[i] != 0)
			return false;
	return true;
}

int vm_image_id(struct vm_machine *m, struct vm_image_id *out)
{
	memset(out, 0, sizeof *out);
	if (!fresh_image(m))
		return VM_E_BOOT;
	vm_tree_flush(m);
	uint32_t g = BOOT_NODE;
	for (size_t i = 0; i < VM_BOOT_NSIB; i++, g >>= 1)
		vm_tree_node(m, out->sib[i].b, g ^ 1u);
	out->entry = m->cpu.pc;
	return VM_OK;
}

void vm_boot_hash(struct cl_hash32 *out, const struct vm_image_id *id,
		  const struct cl_hash32 *key)
{
	uint8_t pair[64];
	struct cl_hash32 h = *key, z;
	memset(&z, 0, sizeof z);
	/* Up the boot page: the key is leaf 0, everything beside it zero. */
	for (int lvl = 0; lvl < VM_PAGE_DEPTH; lvl++) {
		memcpy(pair, h.b, 32);
		memcpy(pair + 32, z.b, 32);
		cl_keccak256(h.b, pair, 64);
		memcpy(pair, z.b, 32);
		memcpy(pair + 32, z.b, 32);
		cl_keccak256(z.b, pair, 64);
	}
	/* Up to the root past the image's own hashes. */
	uint32_t g = BOOT_NODE;
	for (size_t i = 0; i < VM_BOOT_NSIB; i++, g >>= 1) {
		const uint8_t *l = (g & 1u) ? id->sib[i].b : h.b;
		const uint8_t *r = (g & 1u) ? h.b : id->sib[i].b;
		memcpy(pair, l, 32);
		memcpy(pair + 32, r, 32);
		cl_keccak256(h.b, pair, 64);
	}
	struct vm_cpu cpu;
	memset(&cpu, 0, sizeof cpu);
	cpu.pc = id->entry;
	cpu.status = VM_RUNNING;
	vm_state_hash_of(out, &cpu, &h);
}

int vm_boot(struct vm_machine *m, const struct cl_hash32 *key)
{
	if (!fresh_image(m))
		return VM_E_BOOT;
	if (!vm_mem_write(m, VM_BOOT_ADDR, key->b, 32))
		return VM_E_BOOT; /* unreachable: the address is in range */
	return VM_OK;
}
