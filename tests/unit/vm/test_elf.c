/* SPDX-License-Identifier: MIT */
/*
 * The ELF loader on hostile files: a minimal valid executable loads and
 * runs; every header rule broken one at a time is refused; random
 * truncations and byte flips never crash (and a file that loads has its
 * segments where it says).
 */
#include <clearline/vm.h>

#include "test.h"
#include "asm.h"

#define FILE_LEN 0x200
#define CODE_OFF 0x100
#define VADDR 0x10000

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A valid file: one PT_LOAD of 16 bytes (+16 of bss) at VADDR, and a
 * PT_RISCV_ATTRIBUTES header that is ignored. */
static void make_elf(uint8_t f[FILE_LEN])
{
	uint8_t *ph;
	uint32_t code[] = {
		rv_enc(VM_OP_ADDI, 10, 0, 0, 7),
		rv_enc(VM_OP_ADDI, 17, 0, 0, VM_ECALL_EXIT),
		rv_enc(VM_OP_ECALL, 0, 0, 0, 0),
		0,
	};

	memset(f, 0, FILE_LEN);
	memcpy(f, "\x7f" "ELF\x02\x01\x01", 7);
	put_le(f + 16, 2, 2);	   /* ET_EXEC */
	put_le(f + 18, 243, 2);	   /* EM_RISCV */
	put_le(f + 20, 1, 4);	   /* version */
	put_le(f + 24, VADDR, 8);  /* entry */
	put_le(f + 32, 64, 8);	   /* phoff */
	put_le(f + 52, 64, 2);	   /* ehsize */
	put_le(f + 54, 56, 2);	   /* phentsize */
	put_le(f + 56, 2, 2);	   /* phnum */
	ph = f + 64;
	put_le(ph, 1, 4); /* PT_LOAD */
	put_le(ph + 4, 5, 4);
	put_le(ph + 8, CODE_OFF, 8);
	put_le(ph + 16, VADDR, 8);
	put_le(ph + 24, VADDR, 8);
	put_le(ph + 32, 16, 8);
	put_le(ph + 40, 32, 8);
	put_le(ph + 48, 0x1000, 8);
	ph += 56;
	put_le(ph, 0x70000003u, 4); /* PT_RISCV_ATTRIBUTES */
	for (int i = 0; i < 4; i++)
		put_le(f + CODE_OFF + 4 * i, code[i], 4);
}

static int load(const uint8_t *f, size_t len)
{
	struct vm_machine *m = vm_machine_new();
	int rc = vm_load_elf(m, f, len);

	vm_machine_free(m);
	return rc;
}

/* Change n bytes at `at` to v and expect a refusal. */
static void refuse(size_t at, uint64_t v, unsigned n, const char *what)
{
	uint8_t f[FILE_LEN];

	make_elf(f);
	put_le(f + at, v, n);
	CHECK_MSG(load(f, FILE_LEN) == VM_E_ELF, "%s loads", what);
}

int main(void)
{
	uint8_t f[FILE_LEN];
	struct vm_machine *m;
	uint64_t ran;

	test_seed();
	make_elf(f);
	m = vm_machine_new();
	CHECK(vm_load_elf(m, f, FILE_LEN) == VM_OK);
	CHECK(vm_machine_cpu(m)->pc == VADDR);
	CHECK(vm_run(m, 100, &ran) == VM_OK && ran == 3);
	CHECK(vm_machine_cpu(m)->status == VM_EXITED &&
	      vm_machine_cpu(m)->exit_code == 7);
	vm_machine_free(m);

	refuse(0, 0x7e, 1, "bad magic");
	refuse(4, 1, 1, "ELF32");
	refuse(5, 2, 1, "big-endian");
	refuse(7, 3, 1, "another OS ABI");
	refuse(16, 3, 2, "ET_DYN");
	refuse(18, 62, 2, "x86-64");
	refuse(48, 1, 4, "RVC flag");
	refuse(48, 4, 4, "double-float ABI");
	refuse(52, 52, 2, "ehsize");
	refuse(54, 32, 2, "phentsize");
	refuse(56, 0, 2, "no program headers");
	refuse(56, 17, 2, "17 program headers");
	refuse(32, FILE_LEN - 100, 8, "headers past the end");
	refuse(32, UINT64_MAX - 10, 8, "phoff overflow");
	refuse(24, VADDR + 2, 8, "misaligned entry");
	refuse(24, 1ull << 32, 8, "entry past 2^32");
	refuse(64, 2, 4, "PT_DYNAMIC");
	refuse(64, 3, 4, "PT_INTERP");
	refuse(64, 7, 4, "PT_TLS");
	refuse(64 + 8, FILE_LEN - 8, 8, "segment past the end");
	refuse(64 + 8, UINT64_MAX - 4, 8, "offset overflow");
	refuse(64 + 32, 64, 8, "filesz above memsz");
	refuse(64 + 16, 0xfffffff0u, 8, "segment past 2^32");
	refuse(64 + 40, UINT64_MAX, 8, "memsz overflow");
	/* no PT_LOAD at all */
	refuse(64, 0, 4, "only PT_NULL and attributes");

	/* two overlapping segments */
	make_elf(f);
	memcpy(f + 120, f + 64, 56);
	put_le(f + 120 + 16, VADDR + 24, 8);
	CHECK(load(f, FILE_LEN) == VM_E_ELF);
	put_le(f + 120 + 16, VADDR + 32, 8); /* adjacent is fine */
	CHECK(load(f, FILE_LEN) == VM_OK);

	/* truncations and random damage: never a crash */
	make_elf(f);
	for (size_t len = 0; len < FILE_LEN; len++) {
		uint8_t *copy = cl_xmalloc(len + 1);

		memcpy(copy, f, len);
		int rc = load(copy, len);
		CHECK(rc == (len >= CODE_OFF + 16 ? VM_OK : VM_E_ELF));
		free(copy);
	}
	for (int i = 0; i < 5000; i++) {
		uint8_t g[FILE_LEN];

		memcpy(g, f, FILE_LEN);
		for (int k = 0; k < 3; k++)
			g[test_rand() % 120] ^= (uint8_t)test_rand();
		int rc = load(g, FILE_LEN);
		CHECK(rc == VM_OK || rc == VM_E_ELF);
	}
	return test_done("test_elf");
}
