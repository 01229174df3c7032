/* SPDX-License-Identifier: MIT */
/*
 * Writes random one-step vectors for the L1 one-step contract's
 * differential test (step_l1.js): one line per step,
 *   <pre hash> <proof> <post hash | error name>
 * in hex, where the expectation is what vm_step_verify() says. About
 * one proof in eight has one bit flipped (the contract must refuse it
 * with the same error). Every ecall and instruction class appears (the
 * generator of test_proof, tests/unit/vm/randstep.h).
 *
 *   vm_step_vectors COUNT   (seed from CL_TEST_SEED, printed first)
 */
#include <clearline/vm.h>

#include "test.h"
#include "randstep.h"

static const char *err_name(int rc)
{
	switch (rc) {
	case VM_E_PROOF: return "BadProof";
	case VM_E_PRE_STATE: return "PreState";
	case VM_E_MEMORY: return "Memory";
	case VM_E_MISMATCH: return "Mismatch";
	}
	return "unexpected";
}

static void hex_out(const uint8_t *p, size_t len)
{
	char *h = cl_hex_encode_alloc(p, len, true);

	fputs(h, stdout);
	free(h);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000;
	struct vm_machine *m = vm_machine_new();

	test_seed();
	randstep_init(m);
	for (uint64_t i = 0; i < n;) {
		struct cl_hash32 pre, post, vpost;
		struct cl_buf proof;
		enum vm_op op;
		uint32_t w;
		int rc;

		randstep_next(m, &op, &w);
		cl_buf_init(&proof);
		vm_state_hash(m, &pre);
		if (vm_step_proof(m, &proof) != VM_OK) {
			/* a missing preimage: skipped */
			CHECK(vm_step(m) == VM_E_PREIMAGE);
			cl_buf_release(&proof);
			continue;
		}
		rc = vm_step(m);
		CHECK(rc == VM_OK || rc == VM_E_HALTED);
		vm_state_hash(m, &post);
		if (test_rand() % 8 == 0)
			proof.p[test_rand() % proof.len] ^=
			    (uint8_t)(1u << (test_rand() % 8));
		rc = vm_step_verify(&vpost, &pre, proof.p, proof.len);
		hex_out(pre.b, 32);
		fputc(' ', stdout);
		hex_out(proof.p, proof.len);
		fputc(' ', stdout);
		if (rc == VM_OK)
			hex_out(vpost.b, 32);
		else
			fputs(err_name(rc), stdout);
		fputc('\n', stdout);
		CHECK(rc != VM_OK || cl_hash32_eq(&vpost, &post));
		cl_buf_release(&proof);
		i++;
	}
	vm_machine_free(m);
	fflush(stdout);
	return test_failures ? 1 : 0;
}
