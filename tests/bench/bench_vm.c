/* SPDX-License-Identifier: MIT */
/*
 * The fault-proof VM's speed: interpreter steps/s without proofs, state
 * hashes after every step, one-step proofs generated per second (with
 * the state hash a prover needs at each step) and proofs verified per
 * second. A program, not a test (docs/vm.md "Figures").
 *
 *   bench_vm [STEPS]                 a hand-assembled loop (add, mul,
 *                                    shifts, loads, stores, a branch)
 *   bench_vm STEPS ELF [INPUT_LEN]   also a guest program (e.g.
 *                                    tests/vm-programs' keccak.elf, given
 *                                    a preimage of INPUT_LEN bytes)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/vm.h>

#include "../unit/vm/asm.h"

static struct vm_machine *loop_machine(uint64_t iters)
{
	uint32_t prog[] = {
		rv_enc(VM_OP_LUI, 10, 0, 0, 0x20000),	/* x10 = buffer */
		rv_enc(VM_OP_ADDI, 8, 0, 0, 0),
		rv_enc(VM_OP_LUI, 8, 0, 0, (int64_t)(iters & ~0xfffull)),
		rv_enc(VM_OP_ORI, 8, 8, 0, (int64_t)(iters & 0x7ff)),
		/* loop: */
		rv_enc(VM_OP_SLLI, 11, 6, 0, 3),
		rv_enc(VM_OP_ANDI, 11, 11, 0, 0x7f8),
		rv_enc(VM_OP_ADD, 11, 11, 10, 0),
		rv_enc(VM_OP_ADD, 5, 5, 6, 0),
		rv_enc(VM_OP_SD, 0, 11, 5, 0),
		rv_enc(VM_OP_LD, 7, 11, 0, 0),
		rv_enc(VM_OP_MUL, 12, 7, 6, 0),
		rv_enc(VM_OP_XOR, 5, 5, 12, 0),
		rv_enc(VM_OP_ADDI, 6, 6, 0, 1),
		rv_enc(VM_OP_BLT, 0, 6, 8, -36),
		rv_enc(VM_OP_ADDI, 17, 0, 0, VM_ECALL_EXIT),
		rv_enc(VM_OP_ECALL, 0, 0, 0, 0),
	};
	struct vm_machine *m = vm_machine_new();

	for (size_t i = 0; i < CL_ARRAY_LEN(prog); i++) {
		uint8_t b[4] = {(uint8_t)prog[i], (uint8_t)(prog[i] >> 8),
				(uint8_t)(prog[i] >> 16),
				(uint8_t)(prog[i] >> 24)};
		if (!vm_mem_write(m, 0x10000 + 4 * i, b, 4))
			abort();
	}
	vm_machine_cpu(m)->pc = 0x10000;
	return m;
}

static double rate(uint64_t n, uint64_t ns)
{
	return (double)n * 1e9 / (double)(ns ? ns : 1);
}

static void bench_run(const char *what, struct vm_machine *m, uint64_t max)
{
	uint64_t ran, t0 = cl_clock_mono_ns();

	if (vm_run(m, max, &ran) != VM_OK)
		abort();
	uint64_t ns = cl_clock_mono_ns() - t0;
	printf("%-28s %10.0f steps/s  (%" PRIu64 " steps, status %u)\n",
	       what, rate(ran, ns), ran, vm_machine_cpu(m)->status);
}

static void bench_proofs(uint64_t n)
{
	struct vm_machine *m = loop_machine(1u << 30);
	struct cl_buf *proofs = cl_xcalloc(n, sizeof(*proofs));
	struct cl_hash32 *pre = cl_xcalloc(n + 1, sizeof(*pre));
	uint64_t t0, ns, bytes = 0;

	/* state hash after every step, no proofs */
	t0 = cl_clock_mono_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (vm_step(m) != VM_OK)
			abort();
		vm_state_hash(m, &pre[0]);
	}
	ns = cl_clock_mono_ns() - t0;
	printf("%-28s %10.0f steps/s\n", "step + state hash", rate(n, ns));

	t0 = cl_clock_mono_ns();
	for (uint64_t i = 0; i < n; i++) {
		vm_state_hash(m, &pre[i]);
		cl_buf_init(&proofs[i]);
		if (vm_step_proof(m, &proofs[i]) != VM_OK ||
		    vm_step(m) != VM_OK)
			abort();
		bytes += proofs[i].len;
	}
	vm_state_hash(m, &pre[n]);
	ns = cl_clock_mono_ns() - t0;
	printf("%-28s %10.0f proofs/s (mean proof %" PRIu64 " bytes)\n",
	       "step + hash + proof", rate(n, ns), bytes / n);

	t0 = cl_clock_mono_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct cl_hash32 post;

		if (vm_step_verify(&post, &pre[i], proofs[i].p,
				   proofs[i].len) != VM_OK ||
		    !cl_hash32_eq(&post, &pre[i + 1]))
			abort();
	}
	ns = cl_clock_mono_ns() - t0;
	printf("%-28s %10.0f proofs/s\n", "vm_step_verify", rate(n, ns));
	for (uint64_t i = 0; i < n; i++)
		cl_buf_release(&proofs[i]);
	free(proofs);
	free(pre);
	vm_machine_free(m);
}

int main(int argc, char **argv)
{
	uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;
	struct vm_machine *m = loop_machine(steps / 10);

	bench_run("interpreter, loop", m, steps);
	vm_machine_free(m);
	bench_proofs(steps / 500 ? steps / 500 : 1);

	if (argc > 2) {
		FILE *f = fopen(argv[2], "rb");
		uint8_t *elf = cl_xmalloc(1 << 20), key[32];
		size_t len, in_len = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
		uint8_t *in = cl_xmalloc(in_len + 1);

		if (!f)
			abort();
		len = fread(elf, 1, 1 << 20, f);
		fclose(f);
		m = vm_machine_new();
		if (vm_load_elf(m, elf, len) != VM_OK)
			abort();
		for (size_t i = 0; i < in_len; i++)
			in[i] = (uint8_t)i;
		cl_keccak256(key, in, in_len);
		if (!vm_mem_write(m, 0x1000, key, 32) ||
		    !vm_preimage_add(m, in, in_len))
			abort();
		bench_run(argv[2], m, UINT64_MAX);
		vm_machine_free(m);
		free(elf);
		free(in);
	}
	return 0;
}
