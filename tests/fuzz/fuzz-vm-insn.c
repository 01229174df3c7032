/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the instruction decoder and one step of execution.
 *
 * Input: an instruction word (4 bytes, little-endian), then up to 31
 * register values (8 bytes each, little-endian), then bytes for the
 * memory at 0x20000. The decoder must be total; a legal word (except
 * fence, whose ordering bits are ignored) must re-encode to itself with
 * the independent assembler of tests/unit/vm/asm.h. Then the word runs
 * on a machine at pc 0x10000 and the step's proof must verify to exactly
 * the state the machine reaches.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/vm.h>

#include "../unit/vm/asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_insn d;
	struct vm_machine *m;
	struct vm_cpu *c;
	struct cl_hash32 pre, post, vpost;
	struct cl_buf proof;
	uint32_t w;
	int rc;

	if (size < 4)
		return 0;
	w = (uint32_t)le(data, 4);
	if (vm_decode(&d, w)) {
		if (d.op == VM_OP_ILLEGAL || d.op >= VM_OP_COUNT || d.rd > 31 ||
		    d.rs1 > 31 || d.rs2 > 31)
			abort();
		if (d.op != VM_OP_FENCE &&
		    rv_enc(d.op, d.rd, d.rs1, d.rs2, d.imm) != w)
			abort();
	} else if (d.op != VM_OP_ILLEGAL || d.rd || d.rs1 || d.rs2 || d.imm) {
		abort();
	}
	if (!vm_op_name(d.op))
		abort();

	m = vm_machine_new();
	c = vm_machine_cpu(m);
	data += 4;
	size -= 4;
	for (int i = 1; i < 32 && size >= 8; i++, data += 8, size -= 8)
		c->x[i] = le(data, 8);
	if (size > 0 && !vm_mem_write(m, 0x20000, data, size))
		abort();
	if (!vm_mem_write(m, 0x10000, (const uint8_t[4]){(uint8_t)w,
		(uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)}, 4))
		abort();
	c->pc = 0x10000;

	cl_buf_init(&proof);
	vm_state_hash(m, &pre);
	rc = vm_step_proof(m, &proof);
	if (rc == VM_OK) {
		if (vm_step(m) != VM_OK)
			abort();
		vm_state_hash(m, &post);
		if (vm_step_verify(&vpost, &pre, proof.p, proof.len) != VM_OK ||
		    !cl_hash32_eq(&post, &vpost))
			abort();
		if (c->x[0] != 0 || c->step != 1)
			abort();
		if (c->status == VM_FAULTED && c->pc != 0x10000)
			abort();
	} else if (rc != VM_E_PREIMAGE || vm_step(m) != VM_E_PREIMAGE) {
		abort();
	}
	cl_buf_release(&proof);
	vm_machine_free(m);
	return 0;
}
