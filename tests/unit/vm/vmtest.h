/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the VM unit tests: put a program in a machine and step it,
 * checking at every step that the one-step proof verifies to exactly the
 * state hash the machine reaches. Include after test.h.
 */
#ifndef CLEARLINE_TEST_VMTEST_H
#define CLEARLINE_TEST_VMTEST_H

#include "asm.h"

#define CODE_BASE 0x10000u

static uint64_t vmt_proofs_checked;

static inline void vmt_put_code(struct vm_machine *m, uint64_t at,
				const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[4] = {(uint8_t)w[i], (uint8_t)(w[i] >> 8),
				(uint8_t)(w[i] >> 16), (uint8_t)(w[i] >> 24)};
		CHECK(vm_mem_write(m, at + 4 * i, b, 4));
	}
}

/* One step with its proof checked; returns vm_step()'s result. */
static inline int vmt_step(struct vm_machine *m)
{
	struct cl_hash32 pre, post, vpost;
	struct cl_buf proof;
	int rc, vrc;

	cl_buf_init(&proof);
	vm_state_hash(m, &pre);
	rc = vm_step_proof(m, &proof);
	if (rc != VM_OK) {
		cl_buf_release(&proof);
		return vm_step(m);
	}
	rc = vm_step(m);
	vm_state_hash(m, &post);
	vrc = vm_step_verify(&vpost, &pre, proof.p, proof.len);
	CHECK_MSG(vrc == VM_OK, "verify: %s", vm_err_str(vrc));
	CHECK_MSG(cl_hash32_eq(&vpost, &post), "post-state hash differs");
	if (rc == VM_E_HALTED)
		CHECK(cl_hash32_eq(&pre, &post));
	vmt_proofs_checked++;
	cl_buf_release(&proof);
	return rc;
}

/* A fresh machine running `n` words at CODE_BASE. */
static inline struct vm_machine *vmt_new(const uint32_t *w, size_t n)
{
	struct vm_machine *m = vm_machine_new();

	vmt_put_code(m, CODE_BASE, w, n);
	vm_machine_cpu(m)->pc = CODE_BASE;
	return m;
}

#endif
