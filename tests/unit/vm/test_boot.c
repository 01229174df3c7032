/* SPDX-License-Identifier: MIT */
/*
 * Booting (docs/vm.md "Booting"): for real guest programs and for
 * synthetic images with pages around the boot page, the state hash
 * computed from the image id alone (vm_boot_hash, the formula the L1
 * program contract evaluates) equals the hash of a real machine booted
 * on the same key, for random keys; and vm_image_id / vm_boot refuse a
 * machine that is not a fresh image with an empty boot page, changing
 * nothing. The verdict byte of a state hash (docs/vm.md "State hash")
 * follows the status and exit code, for set states and for real runs
 * of guest programs to their end. argv[1] is the folder of the guest ELF files, or
 * "--no-compiler" when meson found no cross compiler (then it fails).
 */
#include <clearline/vm.h>

#include "test.h"

static int keys_checked;

static void random_key(struct cl_hash32 *k)
{
	for (size_t i = 0; i < 32; i += 8)
		cl_put_be64(k->b + i, test_rand());
	if (test_rand() % 8 == 0)
		memset(k->b, 0, 32); /* the zero key as well */
}

/* id from m (fresh), then for n keys: formula == machine. */
static void check_keys(struct vm_machine *m, int n, const char *what)
{
	struct vm_image_id id;
	CHECK_MSG(vm_image_id(m, &id) == VM_OK, "%s", what);
	for (int i = 0; i < n; i++) {
		struct cl_hash32 key, real, formula;
		random_key(&key);
		struct vm_machine *b = vm_machine_clone(m);
		CHECK(vm_boot(b, &key) == VM_OK);
		vm_state_hash(b, &real);
		vm_machine_free(b);
		vm_boot_hash(&formula, &id, &key);
		CHECK_MSG(memcmp(real.b, formula.b, 32) == 0, "%s key %d", what,
			  i);
		keys_checked++;
	}
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	uint8_t *buf = cl_xmalloc(8u << 20);
	*len = fread(buf, 1, 8u << 20, f);
	fclose(f);
	return buf;
}

static void test_programs(const char *dir)
{
	static const char *const names[] = { "sum.elf", "keccak.elf",
					     "ecrecover.elf", "stf.elf" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len;
		uint8_t *elf = read_file(dir, names[i], &len);
		struct vm_machine *m = vm_machine_new();
		CHECK_MSG(vm_load_elf(m, elf, len) == VM_OK, "%s", names[i]);
		free(elf);
		check_keys(m, 20, names[i]);
		vm_machine_free(m);
	}
}

/* Images whose pages sit next to and far from the boot page. */
static void test_synthetic(void)
{
	static const uint64_t addrs[] = { 0x0, 0xfe0, 0x2000, 0x2fe0,
					  0x10000, 0x7fffffe0,
					  0xffffffe0 };
	for (int round = 0; round < 30; round++) {
		struct vm_machine *m = vm_machine_new();
		for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
			if (test_rand() % 2)
				continue;
			uint8_t w[32];
			for (size_t j = 0; j < 32; j++)
				w[j] = (uint8_t)test_rand();
			CHECK(vm_mem_write(m, addrs[i], w, 32));
		}
		vm_machine_cpu(m)->pc = (test_rand() % (1u << 30)) * 4;
		check_keys(m, 5, "synthetic");
		vm_machine_free(m);
	}
	/* The empty image. */
	struct vm_machine *m = vm_machine_new();
	check_keys(m, 5, "empty");
	vm_machine_free(m);
}

/* Not a fresh image: refused, nothing changed. */
static void test_refusals(void)
{
	struct cl_hash32 key, before, after;
	struct vm_image_id id;
	memset(key.b, 0x5a, 32);

	for (int kind = 0; kind < 5; kind++) {
		struct vm_machine *m = vm_machine_new();
		uint8_t one = 1;
		switch (kind) {
		case 0: /* a byte in the boot page, at its last address */
			CHECK(vm_mem_write(m, VM_BOOT_ADDR + 4095, &one, 1));
			break;
		case 1: /* already booted */
			CHECK(vm_boot(m, &key) == VM_OK);
			break;
		case 2: /* a register set */
			vm_machine_cpu(m)->x[2] = 0x7ffff000;
			break;
		case 3: /* stepped */
			vm_machine_cpu(m)->step = 1;
			break;
		case 4: /* halted */
			vm_machine_cpu(m)->status = VM_EXITED;
			break;
		}
		vm_state_hash(m, &before);
		CHECK_MSG(vm_image_id(m, &id) == VM_E_BOOT, "kind %d", kind);
		CHECK(id.entry == 0);
		CHECK(vm_boot(m, &key) == VM_E_BOOT);
		vm_state_hash(m, &after);
		CHECK_MSG(memcmp(before.b, after.b, 32) == 0, "kind %d", kind);
		vm_machine_free(m);
	}
}

/* The first byte of the state hash is the verdict; the rest is the
 * keccak256 of the preimage. */
static void check_verdict(struct vm_machine *m, enum vm_verdict want,
			  const char *what)
{
	struct cl_hash32 h, mem;
	uint8_t enc[VM_STATE_BYTES], k[32];
	vm_state_hash(m, &h);
	vm_mem_root(m, &mem);
	vm_state_encode(enc, vm_machine_cpu(m), &mem);
	cl_keccak256(k, enc, sizeof enc);
	CHECK_MSG(h.b[0] == (uint8_t)want, "%s: verdict %u want %u", what,
		  h.b[0], (unsigned)want);
	CHECK_MSG(memcmp(h.b + 1, k + 1, 31) == 0, "%s", what);
}

static void test_verdicts(const char *dir)
{
	static const struct {
		uint8_t status;
		uint64_t code;
		enum vm_verdict v;
	} cases[] = {
		{ VM_RUNNING, 0, VM_VERDICT_RUNNING },
		{ VM_EXITED, 0, VM_VERDICT_VALID },
		{ VM_EXITED, 1, VM_VERDICT_INVALID },
		{ VM_EXITED, 2, VM_VERDICT_OTHER },
		{ VM_EXITED, UINT64_MAX, VM_VERDICT_OTHER },
		{ VM_FAULTED, VM_FAULT_ILLEGAL, VM_VERDICT_OTHER },
		{ VM_FAULTED, VM_FAULT_EBREAK, VM_VERDICT_OTHER },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vm_machine *m = vm_machine_new();
		vm_machine_cpu(m)->status = cases[i].status;
		vm_machine_cpu(m)->exit_code = cases[i].code;
		check_verdict(m, cases[i].v, "set state");
		CHECK(vm_verdict_of(cases[i].status, cases[i].code) ==
		      cases[i].v);
		vm_machine_free(m);
	}
	CHECK(vm_verdict_of(7, 0) == VM_VERDICT_OTHER);

	/* Real runs to the end: sum.elf and keccak.elf (without input it
	 * stops on the missing preimage, still running). */
	static const char *const names[] = { "sum.elf", "mdiv.elf" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len;
		uint8_t *elf = read_file(dir, names[i], &len);
		struct vm_machine *m = vm_machine_new();
		CHECK(vm_load_elf(m, elf, len) == VM_OK);
		free(elf);
		check_verdict(m, VM_VERDICT_RUNNING, names[i]);
		uint64_t ran = 0;
		CHECK(vm_run(m, 50000000, &ran) == VM_OK);
		const struct vm_cpu *c = vm_machine_cpu(m);
		CHECK_MSG(c->status != VM_RUNNING, "%s did not halt", names[i]);
		check_verdict(m, vm_verdict_of(c->status, c->exit_code),
			      names[i]);
		vm_machine_free(m);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr,
			"riscv64-unknown-elf-gcc was not found when meson "
			"configured the build: run contrib/bootstrap.sh, then "
			"meson setup --reconfigure\n");
		return 1;
	}
	test_seed();
	test_programs(argv[1]);
	test_synthetic();
	test_refusals();
	test_verdicts(argv[1]);
	printf("keys booted and compared: %d\n", keys_checked);
	CHECK(keys_checked >= 200);
	return test_done("test_boot");
}
