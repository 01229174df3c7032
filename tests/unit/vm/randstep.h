/* SPDX-License-Identifier: MIT */
/*
 * Random single steps for the differential tests (test_proof and the
 * vectors for the L1 one-step contract): a machine with random data, a
 * few preimages and a real signature, and before each step random
 * registers, a random pc (sometimes misaligned or past 2^32), and a
 * random instruction of any class, a random word, or an ecall with
 * valid and invalid arguments. Uses test.h's seeded generator.
 */
#ifndef CLEARLINE_TEST_RANDSTEP_H
#define CLEARLINE_TEST_RANDSTEP_H

#include <clearline/crypto.h>
#include <clearline/vm.h>

#include "asm.h"

#define CODE 0x10000u
#define DATA 0x20000u
#define NPRE 4

static uint8_t pre_keys[NPRE][32];

static uint64_t pick_value(void)
{
	static const uint64_t palette[] = {
		0, 1, 2, 7, 0xffffffffffffffffull, 0x8000000000000000ull,
		0x7fffffffffffffffull, 0x80000000ull, 0xffffffffull,
		0x7fffffffull, 0xffffffff80000000ull, 63, 64, 32, 31,
	};
	uint64_t r = test_rand();

	switch (r % 4) {
	case 0: return palette[(r >> 8) % CL_ARRAY_LEN(palette)];
	case 1: return DATA + (r >> 8) % 0x4000;
	case 2: return (r >> 8) % 4096;
	default: return test_rand();
	}
}

static int64_t pick_imm(char kind)
{
	uint64_t r = test_rand();

	switch (kind) {
	case 'I': case 'S': return (int64_t)(r % 4096) - 2048;
	case 'B': return ((int64_t)(r % 4096) - 2048) * 2;
	case 'J': return ((int64_t)(r % (1 << 20)) - (1 << 19)) * 2;
	case 'U': return (int64_t)(int32_t)(uint32_t)((r % (1 << 20)) << 12);
	case 'H': return (int64_t)(r % 64);
	case 'W': return (int64_t)(r % 32);
	default: return 0;
	}
}

static bool is_mem(enum vm_op op)
{
	return (op >= VM_OP_LB && op <= VM_OP_SD);
}

/* Set up the registers and memory for an ecall of kind n. */
static void setup_ecall(struct vm_machine *m, struct vm_cpu *c, uint64_t n)
{
	uint64_t r = test_rand();
	bool bad = r % 10 == 0; /* an out-of-limit argument */

	c->x[17] = n;
	switch (n) {
	case VM_ECALL_EXIT:
		break;
	case VM_ECALL_PREIMAGE: {
		uint64_t at = DATA + 0x100 + (r >> 8) % 200;
		/* a known key, or (rarely) unknown bytes */
		if ((r >> 16) % 16 != 0)
			CHECK(vm_mem_write(m, at, pre_keys[(r >> 4) % NPRE],
					   32));
		c->x[10] = at;
		c->x[11] = (r >> 20) % 3 == 0 ? test_rand() : (r >> 24) % 600;
		c->x[12] = bad ? 0xfffffff0u : DATA + 0x1000 + (r >> 30) % 97;
		c->x[13] = (r >> 40) % (VM_IO_MAX + 600);
		break;
	}
	case VM_ECALL_WRITE:
		c->x[10] = bad ? 0xffffff00u : DATA + (r >> 8) % 0x3000;
		c->x[11] = (r >> 30) % (VM_IO_MAX + 1 + (bad ? 100 : 0));
		break;
	case VM_ECALL_KECCAK:
		c->x[10] = DATA + (r >> 8) % 0x3000;
		c->x[11] = (r >> 30) % (VM_KECCAK_MAX + 1 + (bad ? 100 : 0));
		c->x[12] = DATA + (r >> 44) % 0x3000;
		break;
	case VM_ECALL_ECRECOVER:
		/* a real signature at DATA + 0x3800 (set up in main) */
		c->x[10] = bad ? 0xfffffff8u : DATA + 0x3800;
		c->x[11] = DATA + 0x3820 + ((r >> 8) % 8 == 0 ? 1 : 0);
		c->x[12] = DATA + (r >> 16) % 0x3000;
		break;
	}
}

/* Fill the data region, give the preimages, place a signature. */
static void randstep_init(struct vm_machine *m)
{
	uint8_t data[0x4000];

	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)test_rand();
	CHECK(vm_mem_write(m, DATA, data, sizeof(data)));
	for (int k = 0; k < NPRE; k++) {
		size_t len = k == 0 ? 0 : (size_t)(test_rand() % 5000);
		uint8_t *p = cl_xmalloc(len + 1);

		for (size_t j = 0; j < len; j++)
			p[j] = (uint8_t)test_rand();
		CHECK(vm_preimage_add(m, p, len));
		cl_keccak256(pre_keys[k], p, len);
		free(p);
	}
	/* a digest signed by a key from the seed, for ecrecover */
	struct cl_seckey *key = NULL;
	struct cl_hash32 digest;
	struct cl_sig sig;
	uint8_t kb[32];
	while (!key) {
		for (int k = 0; k < 32; k++)
			kb[k] = (uint8_t)test_rand();
		if (!cl_seckey_new_from_bytes(&key, kb))
			key = NULL;
	}
	memcpy(digest.b, data, 32);
	CHECK(cl_sign_digest(&sig, key, &digest) == CL_OK);
	CHECK(vm_mem_write(m, DATA + 0x3800, digest.b, 32));
	CHECK(vm_mem_write(m, DATA + 0x3820, sig.b, CL_SIG_LEN));
	cl_seckey_free(key);
}

/* Prepare the machine for one random step; *op and *w say what it is
 * (VM_OP_ILLEGAL for a random word). */
static void randstep_next(struct vm_machine *m, enum vm_op *op_out,
			  uint32_t *w_out)
{
	struct vm_cpu *c = vm_machine_cpu(m);
	uint64_t r = test_rand();
	uint32_t w;
	enum vm_op op = VM_OP_ILLEGAL;

	if (c->status != VM_RUNNING && r % 8 != 0) {
		c->status = VM_RUNNING;
		c->exit_code = 0;
	}
	for (int k = 1; k < 32; k++)
		c->x[k] = pick_value();
	c->pc = CODE + 4 * ((r >> 8) % 1024);
	if ((r >> 20) % 100 == 0)
		c->pc += 2;
	else if ((r >> 20) % 100 == 1)
		c->pc = (1ull << 32) + 4 * ((r >> 30) % 16);

	if ((r >> 28) % 20 == 0) {
		w = (uint32_t)test_rand(); /* anything */
	} else if ((r >> 28) % 20 < 4) {
		op = VM_OP_ECALL;
		w = rv_enc(op, 0, 0, 0, 0);
		uint64_t n = (r >> 36) % 6; /* 5: an unknown number */
		setup_ecall(m, c, n == 5 ? 99 + (r >> 40) % 3 : n);
	} else {
		op = (enum vm_op)(1 + (r >> 36) % (VM_OP_COUNT - 1));
		unsigned rd = (unsigned)(test_rand() % 32);
		unsigned rs1 = 1 + (unsigned)(test_rand() % 31);
		unsigned rs2 = (unsigned)(test_rand() % 32);
		int64_t imm = pick_imm(rv_forms[op].kind);

		if (is_mem(op) && (r >> 44) % 8 != 0) {
			/* an aligned address in the data region, mostly */
			uint64_t a = DATA + 8 * ((r >> 48) % 0x800);

			c->x[rs1] = a - (uint64_t)imm;
		}
		w = rv_enc(op, rd, rs1, rs2, imm);
	}
	if (c->pc < (1ull << 32)) {
		uint8_t b[4] = {(uint8_t)w, (uint8_t)(w >> 8),
				(uint8_t)(w >> 16), (uint8_t)(w >> 24)};
		CHECK(vm_mem_write(m, c->pc & ~3ull, b, 4));
	}

	*op_out = op;
	*w_out = w;
}

#endif
