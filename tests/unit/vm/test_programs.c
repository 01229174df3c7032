/* SPDX-License-Identifier: MIT */
/*
 * The guest programs of tests/vm-programs, cross-compiled for RV64IM, run
 * to their exit with one-step proofs verified against the machine (every
 * step of the short programs; every ecall and a seeded eighth of the
 * other steps of the long ones): a loop with loads, stores and a 128-bit
 * product, the M extension's edge cases, the preimage oracle with
 * keccak256 as a host call and in software, ecrecover, and the project's
 * own checked arithmetic (src/common/num.c) against the same code run
 * natively. Their outputs are checked against values computed here; a
 * checkpoint (vm_machine_clone) reaches the same end. argv[1] is the
 * folder of the ELF files, or "--no-compiler" when meson found no cross
 * compiler: then this test fails (contrib/bootstrap.sh installs it).
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

static uint64_t pick_num(void)
{
	static const uint64_t palette[] = {
		0, 1, 2, 3, 10, 1000000, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0xffffffffffffffffull,
		0xfffffffffffffffeull, 0x100000000ull,
	};
	uint64_t r = test_rand();

	switch (r % 4) {
	case 0: return palette[(r >> 8) % CL_ARRAY_LEN(palette)];
	case 1: return (r >> 8) % 100000;
	case 2: return (uint64_t)-(int64_t)((r >> 8) % 100000);
	default: return test_rand();
	}
}

static void expect(const uint8_t **p, bool ok, uint64_t v, size_t i,
		   int k)
{
	uint8_t want[9];

	want[0] = ok;
	for (int j = 0; j < 8; j++, v >>= 8)
		want[1 + j] = (uint8_t)v;
	CHECK_MSG(memcmp(*p, want, 9) == 0, "case %zu result %d differs", i,
		  k);
	*p += 9;
}

/* src/common/num.c inside the VM against the same code natively. */
static void test_numeric(const char *dir)
{
	enum { NCASES = 120 };
	uint8_t in[NCASES * 24];
	uint64_t cs[NCASES][3];
	struct vm_machine *m;
	const uint8_t *out, *p;
	size_t n;

	for (size_t i = 0; i < NCASES; i++)
		for (int k = 0; k < 3; k++) {
			uint64_t v = cs[i][k] = pick_num();

			for (int j = 0; j < 8; j++, v >>= 8)
				in[24 * i + 8 * k + (size_t)j] = (uint8_t)v;
		}
	m = run(dir, "numeric.elf", in, sizeof(in), 8);
	out = vm_output(m, &n);
	CHECK(n == NCASES * 81);
	p = out;
	for (size_t i = 0; i < NCASES && n == NCASES * 81; i++) {
		uint64_t a = cs[i][0], b = cs[i][1], d = cs[i][2], u;
		int64_t s;
		struct cl_amount amt;
		int exp = (int)(d % 40) - 38;
		bool ok;

		ok = cl_muldiv_u64_down(&u, a, b, d);
		expect(&p, ok, u, i, 0);
		ok = cl_muldiv_u64_up(&u, a, b, d);
		expect(&p, ok, u, i, 1);
		ok = cl_muldiv_i64_down(&s, (int64_t)a, (int64_t)b, (int64_t)d);
		expect(&p, ok, (uint64_t)s, i, 2);
		ok = cl_muldiv_i64_up(&s, (int64_t)a, (int64_t)b, (int64_t)d);
		expect(&p, ok, (uint64_t)s, i, 3);
		ok = cl_div_i64_down(&s, (int64_t)a, (int64_t)d);
		expect(&p, ok, (uint64_t)s, i, 4);
		ok = cl_div_i64_up(&s, (int64_t)a, (int64_t)d);
		expect(&p, ok, (uint64_t)s, i, 5);
		ok = cl_mul_i64(&s, (int64_t)a, (int64_t)b);
		expect(&p, ok, (uint64_t)s, i, 6);
		ok = cl_notional_down(&amt, (struct cl_price){a},
				      (struct cl_size){b}, exp);
		expect(&p, ok, (uint64_t)amt.atoms, i, 7);
		ok = cl_notional_up(&amt, (struct cl_price){a},
				    (struct cl_size){b}, exp);
		expect(&p, ok, (uint64_t)amt.atoms, i, 8);
	}
	vm_machine_free(m);
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
	test_numeric(argv[1]);
	printf("steps proven and verified: %llu\n",
	       (unsigned long long)total_steps);
	CHECK(total_steps >= 10000);
	return test_done("test_programs");
}
