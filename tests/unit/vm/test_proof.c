/* SPDX-License-Identifier: MIT */
/*
 * The one-step proof, differentially: at least 10 000 random single
 * steps (random registers, random instructions of every class, random
 * words, every ecall with valid and invalid arguments, misaligned and
 * far pcs, halted machines) on one long-lived machine; for each,
 * vm_step_verify(pre, proof) must give exactly the state hash the
 * machine reaches. A sample of proofs is tampered with, byte by byte,
 * truncated and extended: each must fail. CL_TEST_SEED replays a run;
 * CL_TEST_STEPS sets the number of steps.
 */
#include <clearline/crypto.h>
#include <clearline/vm.h>

#include "test.h"
#include "randstep.h"

static uint64_t hits_op[VM_OP_COUNT], hits_ecall[5], ecall_ok[5];
static uint64_t tamper_checked, halted_steps;

static void tamper(const struct cl_hash32 *pre, const struct cl_buf *proof,
		   bool sweep)
{
	uint8_t *copy = cl_xmalloc(proof->len + 1);
	struct cl_hash32 post;
	size_t n = sweep ? proof->len : 24;

	for (size_t k = 0; k < n; k++) {
		size_t at = sweep ? k : (size_t)(test_rand() % proof->len);

		memcpy(copy, proof->p, proof->len);
		copy[at] ^= (uint8_t)(1u << (test_rand() % 8));
		CHECK_MSG(vm_step_verify(&post, pre, copy, proof->len) != VM_OK,
			  "byte %zu of %zu flipped still verifies", at,
			  proof->len);
		tamper_checked++;
	}
	memcpy(copy, proof->p, proof->len);
	copy[proof->len] = 0;
	CHECK(vm_step_verify(&post, pre, copy, proof->len + 1) == VM_E_PROOF);
	CHECK(vm_step_verify(&post, pre, copy, proof->len - 1) == VM_E_PROOF);
	free(copy);
}

static void one_step(struct vm_machine *m, uint64_t i)
{
	struct vm_cpu *c = vm_machine_cpu(m);
	struct cl_hash32 pre, post, vpost;
	struct cl_buf proof;
	uint32_t w;
	enum vm_op op;
	int rc;

	randstep_next(m, &op, &w);
	cl_buf_init(&proof);
	vm_state_hash(m, &pre);
	rc = vm_step_proof(m, &proof);
	if (rc == VM_E_PREIMAGE) {
		CHECK(vm_step(m) == VM_E_PREIMAGE);
		cl_buf_release(&proof);
		return;
	}
	CHECK(rc == VM_OK);
	bool was_running = c->status == VM_RUNNING;
	uint64_t a7 = c->x[17];
	rc = vm_step(m);
	CHECK(rc == VM_OK || (!was_running && rc == VM_E_HALTED));
	vm_state_hash(m, &post);
	rc = vm_step_verify(&vpost, &pre, proof.p, proof.len);
	CHECK_MSG(rc == VM_OK && cl_hash32_eq(&vpost, &post),
		  "step %llu (%s, word %08x): %s",
		  (unsigned long long)i, vm_op_name(op), w, vm_err_str(rc));
	if (!was_running) {
		halted_steps++;
	} else if (op == VM_OP_ECALL && a7 < 5) {
		hits_ecall[a7]++;
		if (c->status == VM_RUNNING || a7 == VM_ECALL_EXIT)
			ecall_ok[a7]++;
	} else {
		hits_op[op]++;
	}
	if (i % 10 == 0 || (op == VM_OP_ECALL && i % 3 == 0))
		tamper(&pre, &proof, i % 1000 == 0);
	cl_buf_release(&proof);
}

int main(void)
{
	struct vm_machine *m = vm_machine_new();
	const char *steps_env = getenv("CL_TEST_STEPS");
	uint64_t steps = steps_env ? strtoull(steps_env, NULL, 10) : 12000;

	test_seed();
	randstep_init(m);

	for (uint64_t i = 0; i < steps; i++)
		one_step(m, i);

	uint64_t legal = 0;
	for (int op = 1; op < VM_OP_COUNT; op++) {
		legal += hits_op[op];
		if (op != VM_OP_ECALL)
			CHECK_MSG(hits_op[op] > 0, "%s never ran",
				  vm_op_name((enum vm_op)op));
	}
	for (int k = 0; k < 5; k++)
		CHECK_MSG(ecall_ok[k] > 0, "ecall %d never succeeded", k);
	printf("steps %llu: instructions %llu, illegal %llu, halted %llu, "
	       "ecalls exit %llu preimage %llu write %llu keccak %llu "
	       "ecrecover %llu; tampered proofs rejected %llu\n",
	       (unsigned long long)steps, (unsigned long long)legal,
	       (unsigned long long)hits_op[0],
	       (unsigned long long)halted_steps,
	       (unsigned long long)hits_ecall[0],
	       (unsigned long long)hits_ecall[1],
	       (unsigned long long)hits_ecall[2],
	       (unsigned long long)hits_ecall[3],
	       (unsigned long long)hits_ecall[4],
	       (unsigned long long)tamper_checked);
	vm_machine_free(m);
	return test_done("test_proof");
}
