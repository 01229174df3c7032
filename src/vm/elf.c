/* SPDX-License-Identifier: MIT */
/*
 * A small, strict ELF64 loader for hostile files: a little-endian RISC-V
 * executable (no compressed instructions, soft float), at most
 * VM_ELF_MAX_PHDRS program headers; PT_LOAD segments are copied into
 * memory, a short list of informational types is ignored, anything else
 * (dynamic linking, an interpreter, TLS) is refused. Every offset and
 * size is bounds-checked before it is used (docs/vm.md "Programs").
 */
#include <string.h>

#include "vm_int.h"

#define VM_ELF_MAX_PHDRS 16
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define EM_RISCV 243
#define ET_EXEC 2

#define PT_NULL 0
#define PT_LOAD 1
#define PT_NOTE 4
#define PT_GNU_STACK 0x6474e551u
#define PT_RISCV_ATTRIBUTES 0x70000003u

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

struct seg {
	uint64_t off, vaddr, filesz, memsz;
};

static bool check_header(const uint8_t *e, size_t len, uint64_t *phoff,
			 unsigned *phnum)
{
	static const uint8_t ident[7] = {0x7f, 'E', 'L', 'F', 2, 1, 1};

	if (len < EHDR_SIZE || memcmp(e, ident, sizeof(ident)) != 0)
		return false;
	if (e[7] != 0 /* System V ABI */ || le(e + 16, 2) != ET_EXEC ||
	    le(e + 18, 2) != EM_RISCV || le(e + 20, 4) != 1)
		return false;
	/* e_flags: no RVC (bit 0), soft float (bits 1-2), no RVE (bit 3) */
	if (le(e + 48, 4) & 0xf)
		return false;
	if (le(e + 52, 2) != EHDR_SIZE || le(e + 54, 2) != PHDR_SIZE)
		return false;
	*phoff = le(e + 32, 8);
	*phnum = (unsigned)le(e + 56, 2);
	if (*phnum < 1 || *phnum > VM_ELF_MAX_PHDRS)
		return false;
	return *phoff <= len && (uint64_t)*phnum * PHDR_SIZE <= len - *phoff;
}

int vm_load_elf(struct vm_machine *m, const uint8_t *elf, size_t len)
{
	struct seg segs[VM_ELF_MAX_PHDRS];
	unsigned nseg = 0, phnum;
	uint64_t phoff, entry;

	if (!check_header(elf, len, &phoff, &phnum))
		return VM_E_ELF;
	entry = le(elf + 24, 8);
	if (entry >= VM_ADDR_LIMIT || entry % 4 != 0)
		return VM_E_ELF;

	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = elf + phoff + (size_t)i * PHDR_SIZE;
		uint64_t type = le(ph, 4);
		struct seg s = {
			.off = le(ph + 8, 8),
			.vaddr = le(ph + 16, 8),
			.filesz = le(ph + 32, 8),
			.memsz = le(ph + 40, 8),
		};

		if (type == PT_NULL || type == PT_NOTE ||
		    type == PT_GNU_STACK || type == PT_RISCV_ATTRIBUTES)
			continue;
		if (type != PT_LOAD)
			return VM_E_ELF;
		if (s.filesz > s.memsz || s.off > len ||
		    s.filesz > len - s.off || s.vaddr >= VM_ADDR_LIMIT ||
		    s.memsz > VM_ADDR_LIMIT - s.vaddr)
			return VM_E_ELF;
		if (s.memsz == 0)
			continue;
		/* no two segments share a byte */
		for (unsigned j = 0; j < nseg; j++)
			if (s.vaddr < segs[j].vaddr + segs[j].memsz &&
			    segs[j].vaddr < s.vaddr + s.memsz)
				return VM_E_ELF;
		segs[nseg++] = s;
	}
	if (nseg == 0)
		return VM_E_ELF;

	/* memory beyond filesz is zero already: the machine is fresh */
	for (unsigned i = 0; i < nseg; i++)
		if (!vm_mem_write(m, segs[i].vaddr, elf + segs[i].off,
				  segs[i].filesz))
			CL_BUG("segment checked but not writable");
	m->cpu.pc = entry;
	return VM_OK;
}
