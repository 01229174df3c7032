/* SPDX-License-Identifier: MIT */
/*
 * The ecall interface: exit, the preimage oracle (offsets, clipping, a
 * missing preimage), output writes and their hash chain, the keccak and
 * ecrecover host calls (against the crypto module) and every ecall
 * fault. Every step's proof is verified.
 */
#include <clearline/crypto.h>
#include <clearline/vm.h>

#include "test.h"
#include "vmtest.h"

#define BUF 0x40000u

static struct vm_machine *ecall_machine(uint64_t num)
{
	uint32_t w = rv_enc(VM_OP_ECALL, 0, 0, 0, 0);
	struct vm_machine *m = vmt_new(&w, 1);

	vm_machine_cpu(m)->x[17] = num;
	return m;
}

static void test_exit(void)
{
	struct vm_machine *m = ecall_machine(VM_ECALL_EXIT);
	struct vm_cpu *c = vm_machine_cpu(m);

	c->x[10] = 0xdeadbeefcafeull;
	CHECK(vmt_step(m) == VM_OK);
	CHECK(c->status == VM_EXITED && c->exit_code == 0xdeadbeefcafeull);
	CHECK(c->pc == CODE_BASE && c->step == 1);
	CHECK(vmt_step(m) == VM_E_HALTED);
	vm_machine_free(m);
}

static void test_write(void)
{
	struct vm_machine *m = ecall_machine(VM_ECALL_WRITE);
	struct vm_cpu *c = vm_machine_cpu(m);
	const char *msg = "hello, fault proofs";
	uint8_t chain[32 + 19] = {0}, want[32];
	size_t n;

	CHECK(vm_mem_write(m, BUF + 30, (const uint8_t *)msg, 19));
	c->x[10] = BUF + 30; /* spans two leaves */
	c->x[11] = 19;
	CHECK(vmt_step(m) == VM_OK && c->status == VM_RUNNING);
	CHECK(c->x[10] == 19 && c->pc == CODE_BASE + 4);
	memcpy(chain + 32, msg, 19);
	cl_keccak256(want, chain, sizeof(chain));
	CHECK(memcmp(c->out_hash.b, want, 32) == 0);
	const uint8_t *out = vm_output(m, &n);
	CHECK(n == 19 && memcmp(out, msg, 19) == 0);

	/* an empty write still moves the chain: keccak(prev) */
	c->pc = CODE_BASE;
	c->x[10] = BUF;
	c->x[11] = 0;
	CHECK(vmt_step(m) == VM_OK && c->x[10] == 0);
	cl_keccak256(chain, want, 32);
	CHECK(memcmp(c->out_hash.b, chain, 32) == 0);

	c->pc = CODE_BASE;
	c->x[11] = VM_IO_MAX + 1;
	CHECK(vmt_step(m) == VM_OK && c->status == VM_FAULTED &&
	      c->exit_code == VM_FAULT_ECALL_LENGTH);
	vm_machine_free(m);

	m = ecall_machine(VM_ECALL_WRITE);
	c = vm_machine_cpu(m);
	c->x[10] = 0xffffff00u;
	c->x[11] = 0x101;
	CHECK(vmt_step(m) == VM_OK && c->exit_code == VM_FAULT_ADDR_RANGE);
	vm_machine_free(m);
}

static void test_keccak(void)
{
	struct vm_machine *m = ecall_machine(VM_ECALL_KECCAK);
	struct vm_cpu *c = vm_machine_cpu(m);
	uint8_t in[VM_KECCAK_MAX], got[32], want[32];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	CHECK(vm_mem_write(m, BUF + 5, in, sizeof(in)));
	c->x[10] = BUF + 5;
	c->x[11] = VM_KECCAK_MAX;
	c->x[12] = BUF + 17; /* overlaps the input: read before write */
	CHECK(vmt_step(m) == VM_OK && c->status == VM_RUNNING);
	cl_keccak256(want, in, sizeof(in));
	CHECK(vm_mem_read(m, got, BUF + 17, 32));
	CHECK(memcmp(got, want, 32) == 0 && c->x[10] == 0);

	/* keccak of nothing */
	c->pc = CODE_BASE;
	c->x[11] = 0;
	c->x[12] = BUF + 0x1000;
	CHECK(vmt_step(m) == VM_OK);
	CHECK(vm_mem_read(m, got, BUF + 0x1000, 32));
	CHECK_HEX(got, 32, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273"
			   "b7bfad8045d85a470");

	c->pc = CODE_BASE;
	c->x[11] = VM_KECCAK_MAX + 1;
	CHECK(vmt_step(m) == VM_OK && c->exit_code == VM_FAULT_ECALL_LENGTH);
	vm_machine_free(m);

	m = ecall_machine(VM_ECALL_KECCAK);
	c = vm_machine_cpu(m);
	c->x[12] = 0xfffffff0u; /* output past the end */
	CHECK(vmt_step(m) == VM_OK && c->exit_code == VM_FAULT_ADDR_RANGE);
	vm_machine_free(m);
}

static void test_ecrecover(void)
{
	struct cl_seckey *key;
	struct cl_address addr, got;
	struct cl_hash32 digest;
	struct cl_sig sig;
	struct vm_machine *m;
	struct vm_cpu *c;

	CHECK(cl_crypto_init() == CL_OK);
	CHECK(cl_seckey_new_from_hex(
	    &key,
	    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
	    66));
	cl_seckey_address(&addr, key);
	cl_keccak256(digest.b, "a message", 9);
	CHECK(cl_sign_digest(&sig, key, &digest) == CL_OK);

	m = ecall_machine(VM_ECALL_ECRECOVER);
	c = vm_machine_cpu(m);
	CHECK(vm_mem_write(m, BUF, digest.b, 32));
	CHECK(vm_mem_write(m, BUF + 100, sig.b, CL_SIG_LEN));
	memset(got.b, 0xee, 20);
	CHECK(vm_mem_write(m, BUF + 300, got.b, 20));
	c->x[10] = BUF;
	c->x[11] = BUF + 100;
	c->x[12] = BUF + 300;
	CHECK(vmt_step(m) == VM_OK && c->status == VM_RUNNING);
	CHECK(c->x[10] == 1);
	CHECK(vm_mem_read(m, got.b, BUF + 300, 20));
	CHECK(cl_address_eq(&got, &addr));

	/* a high-S signature is refused: a0 = 0, zero address written */
	sig.b[32] ^= 0x80; /* s >= n/2 now (its top bit set) */
	CHECK(vm_mem_write(m, BUF + 100, sig.b, CL_SIG_LEN));
	c->pc = CODE_BASE;
	CHECK(vmt_step(m) == VM_OK && c->x[10] == 0);
	CHECK(vm_mem_read(m, got.b, BUF + 300, 20));
	CHECK(memcmp(got.b, (uint8_t[20]){0}, 20) == 0);

	c->pc = CODE_BASE;
	c->x[10] = BUF;
	c->x[11] = 0xffffffc0u; /* 65 bytes do not fit */
	CHECK(vmt_step(m) == VM_OK && c->exit_code == VM_FAULT_ADDR_RANGE);
	vm_machine_free(m);
	cl_seckey_free(key);
}

static void test_preimage(void)
{
	uint8_t data[5000], key[32], got[VM_IO_MAX + 8];
	struct vm_machine *m = ecall_machine(VM_ECALL_PREIMAGE);
	struct vm_cpu *c = vm_machine_cpu(m);
	struct cl_hash32 h1, h2;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	cl_keccak256(key, data, sizeof(data));
	CHECK(vm_mem_write(m, BUF + 8, key, 32));
	c->x[10] = BUF + 8;
	c->x[11] = 1000;     /* offset */
	c->x[12] = BUF + 77; /* dst */
	c->x[13] = 100000;   /* more than VM_IO_MAX: clipped */

	/* the machine does not know the preimage yet: nothing happens */
	vm_state_hash(m, &h1);
	CHECK(vmt_step(m) == VM_E_PREIMAGE);
	vm_state_hash(m, &h2);
	CHECK(cl_hash32_eq(&h1, &h2) && c->step == 0);
	struct cl_buf proof;
	cl_buf_init(&proof);
	CHECK(vm_step_proof(m, &proof) == VM_E_PREIMAGE && proof.len == 0);
	cl_buf_release(&proof);

	CHECK(vm_preimage_add(m, data, sizeof(data)));
	CHECK(vmt_step(m) == VM_OK && c->status == VM_RUNNING);
	CHECK(c->x[10] == VM_IO_MAX && c->x[11] == sizeof(data));
	CHECK(vm_mem_read(m, got, BUF + 77, VM_IO_MAX));
	CHECK(memcmp(got, data + 1000, VM_IO_MAX) == 0);

	/* near the end: only what is left */
	c->pc = CODE_BASE;
	c->x[10] = BUF + 8;
	c->x[11] = sizeof(data) - 10;
	c->x[12] = BUF + 0x2000;
	c->x[13] = 64;
	CHECK(vmt_step(m) == VM_OK && c->x[10] == 10);
	CHECK(vm_mem_read(m, got, BUF + 0x2000, 11));
	CHECK(memcmp(got, data + sizeof(data) - 10, 10) == 0 && got[10] == 0);

	/* past the end: 0 bytes, no write, the length in a1 */
	c->pc = CODE_BASE;
	c->x[10] = BUF + 8;
	c->x[11] = UINT64_MAX;
	c->x[12] = 0xffffffffffffull; /* not checked: nothing is written */
	c->x[13] = 64;
	CHECK(vmt_step(m) == VM_OK && c->x[10] == 0 &&
	      c->x[11] == sizeof(data) && c->status == VM_RUNNING);

	/* a destination past 2^32 for a nonzero length faults */
	c->pc = CODE_BASE;
	c->x[10] = BUF + 8;
	c->x[11] = 0;
	c->x[12] = 0xfffffff0u;
	c->x[13] = 64;
	CHECK(vmt_step(m) == VM_OK && c->exit_code == VM_FAULT_ADDR_RANGE);
	vm_machine_free(m);

	/* the empty preimage */
	m = ecall_machine(VM_ECALL_PREIMAGE);
	c = vm_machine_cpu(m);
	cl_keccak256(key, "", 0);
	CHECK(vm_mem_write(m, BUF, key, 32));
	CHECK(vm_preimage_add(m, (const uint8_t *)"", 0));
	c->x[10] = BUF;
	c->x[13] = 32;
	CHECK(vmt_step(m) == VM_OK && c->x[10] == 0 && c->x[11] == 0);
	vm_machine_free(m);

	m = vm_machine_new();
	uint8_t *big = cl_xcalloc(1, VM_PREIMAGE_MAX + 1);
	CHECK(!vm_preimage_add(m, big, VM_PREIMAGE_MAX + 1));
	CHECK(vm_preimage_add(m, big, VM_PREIMAGE_MAX));
	free(big);
	vm_machine_free(m);
}

int main(void)
{
	test_exit();
	test_write();
	test_keccak();
	test_ecrecover();
	test_preimage();
	printf("proofs verified: %llu\n",
	       (unsigned long long)vmt_proofs_checked);
	return test_done("test_ecall");
}
