/* SPDX-License-Identifier: MIT */
/*
 * The guest programs of tests/vm-programs, cross-compiled for RV64IM, run
 * to their exit with the one-step proof of EVERY step verified against
 * the machine: a loop with loads, stores and a 128-bit product, the M
 * extension's edge cases, the preimage oracle with keccak256 as a host
 * call and in software, and ecrecover. Their outputs are checked against
 * values computed here. argv[1] is the folder of the ELF files, or
 * "--no-compiler" when meson found no cross compiler: then this test
 * fails (contrib/bootstrap.sh installs it).
 */
#include <clearline/crypto.h>
#include <clearline/vm.h>

#include "test.h"
#include "vmtest.h"

#define MAX_STEPS 5000000

static uint64_t total_steps;

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	uint8_t *p = cl_xmalloc(1 << 20);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static bool at_ecall(struct vm_machine *m)
{
	uint8_t w[4];

	return vm_mem_read(m, w, vm_machine_cpu(m)->pc, 4) && w[0] == 0x73 &&
	       w[1] == 0 && w[2] == 0 && w[3] == 0;
}

/* Load, give the boot key's preimage (if any), run with proofs: of every
 * ecall, and of every `sample`-th other step (seeded). */
static struct vm_machine *run(const char *dir, const char *name,
			      const uint8_t *input, size_t input_len,
			      unsigned sample)
{
	uint64_t proven = 0;
	size_t len;
	uint8_t *elf = read_file(dir, name, &len);
	struct vm_machine *m = vm_machine_new();
	struct vm_cpu *c = vm_machine_cpu(m);
	uint64_t n = 0;

	CHECK(vm_load_elf(m, elf, len) == VM_OK);
	free(elf);
	if (input) {
		uint8_t key[32];

		cl_keccak256(key, input, input_len);
		CHECK(vm_mem_write(m, 0x1000, key, 32));
		CHECK(vm_preimage_add(m, input, input_len));
	}
	struct vm_machine *half = NULL;
	while (c->status == VM_RUNNING && n < MAX_STEPS) {
		if (n == 1000)
			half = vm_machine_clone(m);
		if (sample == 1 || at_ecall(m) || test_rand() % sample == 0) {
			CHECK(vmt_step(m) == VM_OK);
			proven++;
		} else {
			CHECK(vm_step(m) == VM_OK);
		}
		n++;
	}
	CHECK_MSG(c->status == VM_EXITED && c->exit_code == 0,
		  "%s: status %u code %llu pc %llx after %llu steps", name,
		  c->status, (unsigned long long)c->exit_code,
		  (unsigned long long)c->pc, (unsigned long long)n);
	CHECK(c->step == n);
	if (half) {
		/* a checkpoint taken at step 1000 reaches the same end */
		struct cl_hash32 h1, h2;
		uint64_t ran;

		CHECK(vm_run(half, MAX_STEPS, &ran) == VM_OK);
		vm_state_hash(m, &h1);
		vm_state_hash(half, &h2);
		CHECK(cl_hash32_eq(&h1, &h2) && ran == n - 1000);
		vm_machine_free(half);
	}
	printf("%s: %llu steps, %llu proven\n", name, (unsigned long long)n,
	       (unsigned long long)proven);
	total_steps += proven;
	return m;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void test_sum(const char *dir)
{
	struct vm_machine *m = run(dir, "sum.elf", NULL, 0, 1);
	size_t n;
	const uint8_t *out = vm_output(m, &n);
	uint64_t t = 0;
	unsigned __int128 p =
	    (unsigned __int128)0xfedcba9876543210ull * 0x0123456789abcdefull;

	for (uint64_t i = 0; i < 512; i++)
		t += i * 7 % 1000;
	CHECK(n == 32);
	if (n == 32) {
		CHECK(le64(out) == 9004500500ull); /* 3000*3001*6001/6 */
		CHECK(le64(out + 8) == t);
		CHECK(le64(out + 16) == (uint64_t)(p >> 64));
		CHECK(le64(out + 24) == (uint64_t)p);
	}
	vm_machine_free(m);
}

static void test_mdiv(const char *dir)
{
	static const uint64_t want[] = {
		0xffffffffffffffffull, 0xffffffffffffffffull, 42, 42,
		0x8000000000000000ull, 0, 0xffffffff80000000ull, 0,
		0xffffffffffffffffull, 0xffffffffffffffffull,
		0xfffffffffffffff9ull, 0xfffffffffffffff9ull,
		0x4000000000000000ull, 0xfffffffffffffffeull,
		0xffffffffffffffffull, 0xffffffff80000000ull,
		0xfffffffffffffffdull, 0xffffffffffffffffull,
	};
	struct vm_machine *m = run(dir, "mdiv.elf", NULL, 0, 1);
	size_t n;
	const uint8_t *out = vm_output(m, &n);

	CHECK(n == 8 * CL_ARRAY_LEN(want));
	for (size_t i = 0; i < CL_ARRAY_LEN(want) && n == 8 * CL_ARRAY_LEN(want);
	     i++)
		CHECK_MSG(le64(out + 8 * i) == want[i], "result %zu: %016llx",
			  i, (unsigned long long)le64(out + 8 * i));
	vm_machine_free(m);
}

static void test_keccak(const char *dir, size_t len)
{
	uint8_t *in = cl_xmalloc(len + 1), want[32];
	struct vm_machine *m;
	size_t n;
	const uint8_t *out;

	for (size_t i = 0; i < len; i++)
		in[i] = (uint8_t)(i * 31 + (i >> 7));
	m = run(dir, "keccak.elf", in, len, 8);
	out = vm_output(m, &n);
	cl_keccak256(want, in, len < 2048 ? len : 2048);
	CHECK(n == 72);
	if (n == 72) {
		CHECK(le64(out) == len);
		CHECK(memcmp(out + 8, want, 32) == 0);
		CHECK(memcmp(out + 40, want, 32) == 0);
	}
	vm_machine_free(m);
	free(in);
}

static void test_ecrecover(const char *dir)
{
	struct cl_seckey *key;
	struct cl_address addr;
	struct cl_hash32 digest;
	struct cl_sig sig;
	uint8_t in[97];
	struct vm_machine *m;
	size_t n;
	const uint8_t *out;

	CHECK(cl_crypto_init() == CL_OK);
	CHECK(cl_seckey_new_from_hex(
	    &key,
	    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
	    66));
	cl_seckey_address(&addr, key);
	cl_keccak256(digest.b, "ecrecover in the vm", 19);
	CHECK(cl_sign_digest(&sig, key, &digest) == CL_OK);
	memcpy(in, digest.b, 32);
	memcpy(in + 32, sig.b, 65);
	m = run(dir, "ecrecover.elf", in, sizeof(in), 1);
	out = vm_output(m, &n);
	CHECK(n == 56);
	if (n == 56) {
		CHECK(le64(out) == 1);
		CHECK(memcmp(out + 8, addr.b, 20) == 0);
		CHECK(le64(out + 28) == 0);
		CHECK(memcmp(out + 36, (uint8_t[20]){0}, 20) == 0);
	}
	vm_machine_free(m);
	cl_seckey_free(key);
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
	test_sum(argv[1]);
	test_mdiv(argv[1]);
	test_keccak(argv[1], 1500);
	test_keccak(argv[1], 136);
	test_keccak(argv[1], 0);
	test_ecrecover(argv[1]);
	printf("steps proven and verified: %llu\n",
	       (unsigned long long)total_steps);
	CHECK(total_steps >= 10000);
	return test_done("test_programs");
}
