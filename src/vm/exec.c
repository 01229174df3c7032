/* SPDX-License-Identifier: MIT */
/*
 * One step of the machine over an abstract memory (struct vm_host): the
 * semantics of every instruction, fault and ecall (docs/vm.md). The
 * interpreter and the one-step verifier both run this code; only their
 * memories differ.
 */
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/vm.h>

static void halt(struct vm_cpu *cpu, uint8_t status, uint64_t code)
{
	cpu->status = status;
	cpu->exit_code = code;
}

static void fault(struct vm_cpu *cpu, enum vm_fault f)
{
	halt(cpu, VM_FAULTED, (uint64_t)f);
}

static void set_rd(struct vm_cpu *cpu, unsigned rd, uint64_t v)
{
	if (rd != 0)
		cpu->x[rd] = v;
}

static uint64_t sext32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

/* A buffer [addr, addr + len) lies below 2^32. */
static bool in_range(uint64_t addr, uint64_t len)
{
	return addr < VM_ADDR_LIMIT && len <= VM_ADDR_LIMIT - addr;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t mulh_ss(int64_t a, int64_t b)
{
	return (uint64_t)(((__int128)a * b) >> 64);
}

static uint64_t mulh_su(int64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static uint64_t mulh_uu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static uint64_t div_s(int64_t a, int64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT64_MIN && b == -1)
		return (uint64_t)a;
	return (uint64_t)(a / b);
}

static uint64_t rem_s(int64_t a, int64_t b)
{
	if (b == 0)
		return (uint64_t)a;
	if (a == INT64_MIN && b == -1)
		return 0;
	return (uint64_t)(a % b);
}

static uint64_t divw_s(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;

	if (y == 0)
		return UINT64_MAX;
	if (x == INT32_MIN && y == -1)
		return sext32((uint32_t)x);
	return sext32((uint32_t)(x / y));
}

static uint64_t remw_s(uint64_t a, uint64_t b)
{
	int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;

	if (y == 0)
		return sext32((uint32_t)x);
	if (x == INT32_MIN && y == -1)
		return 0;
	return sext32((uint32_t)(x % y));
}

static uint64_t divw_u(uint64_t a, uint64_t b)
{
	uint32_t x = (uint32_t)a, y = (uint32_t)b;

	return y == 0 ? UINT64_MAX : sext32(x / y);
}

static uint64_t remw_u(uint64_t a, uint64_t b)
{
	uint32_t x = (uint32_t)a, y = (uint32_t)b;

	return y == 0 ? sext32(x) : sext32(x % y);
}

/* The value an ALU instruction gives; b is rs2 or the immediate. */
static uint64_t alu(enum vm_op op, uint64_t a, uint64_t b)
{
	switch (op) {
	case VM_OP_ADD: case VM_OP_ADDI: return a + b;
	case VM_OP_SUB: return a - b;
	case VM_OP_SLL: case VM_OP_SLLI: return a << (b & 63);
	case VM_OP_SLT: case VM_OP_SLTI: return (int64_t)a < (int64_t)b;
	case VM_OP_SLTU: case VM_OP_SLTIU: return a < b;
	case VM_OP_XOR: case VM_OP_XORI: return a ^ b;
	case VM_OP_SRL: case VM_OP_SRLI: return a >> (b & 63);
	case VM_OP_SRA: case VM_OP_SRAI:
		return (uint64_t)((int64_t)a >> (b & 63));
	case VM_OP_OR: case VM_OP_ORI: return a | b;
	case VM_OP_AND: case VM_OP_ANDI: return a & b;
	case VM_OP_MUL: return a * b;
	case VM_OP_MULH: return mulh_ss((int64_t)a, (int64_t)b);
	case VM_OP_MULHSU: return mulh_su((int64_t)a, b);
	case VM_OP_MULHU: return mulh_uu(a, b);
	case VM_OP_DIV: return div_s((int64_t)a, (int64_t)b);
	case VM_OP_DIVU: return b == 0 ? UINT64_MAX : a / b;
	case VM_OP_REM: return rem_s((int64_t)a, (int64_t)b);
	case VM_OP_REMU: return b == 0 ? a : a % b;
	case VM_OP_ADDW: case VM_OP_ADDIW: return sext32(a + b);
	case VM_OP_SUBW: return sext32(a - b);
	case VM_OP_SLLW: case VM_OP_SLLIW:
		return sext32((uint32_t)a << (b & 31));
	case VM_OP_SRLW: case VM_OP_SRLIW:
		return sext32((uint32_t)a >> (b & 31));
	case VM_OP_SRAW: case VM_OP_SRAIW:
		return sext32((uint32_t)((int32_t)(uint32_t)a >> (b & 31)));
	case VM_OP_MULW: return sext32((uint32_t)a * (uint32_t)b);
	case VM_OP_DIVW: return divw_s(a, b);
	case VM_OP_DIVUW: return divw_u(a, b);
	case VM_OP_REMW: return remw_s(a, b);
	case VM_OP_REMUW: return remw_u(a, b);
	case VM_OP_ILLEGAL: case VM_OP_LUI: case VM_OP_AUIPC: case VM_OP_JAL:
	case VM_OP_JALR: case VM_OP_BEQ: case VM_OP_BNE: case VM_OP_BLT:
	case VM_OP_BGE: case VM_OP_BLTU: case VM_OP_BGEU: case VM_OP_LB:
	case VM_OP_LH: case VM_OP_LW: case VM_OP_LD: case VM_OP_LBU:
	case VM_OP_LHU: case VM_OP_LWU: case VM_OP_SB: case VM_OP_SH:
	case VM_OP_SW: case VM_OP_SD: case VM_OP_FENCE: case VM_OP_ECALL:
	case VM_OP_EBREAK: case VM_OP_COUNT:
		break;
	}
	CL_BUG("alu called for %s", vm_op_name(op));
}

static bool branch_taken(enum vm_op op, uint64_t a, uint64_t b)
{
	if (op == VM_OP_BEQ)
		return a == b;
	if (op == VM_OP_BNE)
		return a != b;
	if (op == VM_OP_BLT)
		return (int64_t)a < (int64_t)b;
	if (op == VM_OP_BGE)
		return (int64_t)a >= (int64_t)b;
	if (op == VM_OP_BLTU)
		return a < b;
	CL_REQUIRE(op == VM_OP_BGEU);
	return a >= b;
}

/* Loads and stores: size, and whether a load sign-extends. */
static unsigned mem_size(enum vm_op op, bool *sign)
{
	*sign = op == VM_OP_LB || op == VM_OP_LH || op == VM_OP_LW;
	if (op == VM_OP_LB || op == VM_OP_LBU || op == VM_OP_SB)
		return 1;
	if (op == VM_OP_LH || op == VM_OP_LHU || op == VM_OP_SH)
		return 2;
	if (op == VM_OP_LW || op == VM_OP_LWU || op == VM_OP_SW)
		return 4;
	CL_REQUIRE(op == VM_OP_LD || op == VM_OP_SD);
	return 8;
}

static int exec_load(struct vm_cpu *cpu, const struct vm_host *h,
		     const struct vm_insn *d)
{
	bool sign;
	unsigned n = mem_size(d->op, &sign);
	uint64_t addr = cpu->x[d->rs1] + (uint64_t)d->imm;
	uint8_t b[8];
	uint64_t v;

	if (!in_range(addr, n)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (addr % n != 0) {
		fault(cpu, VM_FAULT_MISALIGNED);
		return VM_OK;
	}
	if (!h->read(h->ctx, b, (uint32_t)addr, n))
		return VM_E_MISMATCH;
	v = get_le(b, n);
	if (sign && n < 8)
		v = (uint64_t)(((int64_t)(v << (64 - 8 * n))) >> (64 - 8 * n));
	set_rd(cpu, d->rd, v);
	cpu->pc += 4;
	return VM_OK;
}

static int exec_store(struct vm_cpu *cpu, const struct vm_host *h,
		      const struct vm_insn *d)
{
	bool sign;
	unsigned n = mem_size(d->op, &sign);
	uint64_t addr = cpu->x[d->rs1] + (uint64_t)d->imm;
	uint8_t b[8];

	if (!in_range(addr, n)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (addr % n != 0) {
		fault(cpu, VM_FAULT_MISALIGNED);
		return VM_OK;
	}
	put_le(b, cpu->x[d->rs2], n);
	if (!h->write(h->ctx, (uint32_t)addr, b, n))
		return VM_E_MISMATCH;
	cpu->pc += 4;
	return VM_OK;
}

/* a0 = key ptr, a1 = offset, a2 = dst, a3 = len. */
static int ecall_preimage(struct vm_cpu *cpu, const struct vm_host *h)
{
	uint64_t keyp = cpu->x[10], off = cpu->x[11], dst = cpu->x[12];
	uint64_t want = cpu->x[13], n;
	uint8_t key[32];
	const uint8_t *data;
	size_t plen;

	if (!in_range(keyp, 32)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (!h->read(h->ctx, key, (uint32_t)keyp, 32))
		return VM_E_MISMATCH;
	if (!h->preimage(h->ctx, &data, &plen, key))
		return VM_E_PREIMAGE;
	n = off < plen ? plen - off : 0;
	if (n > want)
		n = want;
	if (n > VM_IO_MAX)
		n = VM_IO_MAX;
	if (n > 0 && !in_range(dst, n)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (n > 0 && !h->write(h->ctx, (uint32_t)dst, data + off, (uint32_t)n))
		return VM_E_MISMATCH;
	cpu->x[10] = n;
	cpu->x[11] = plen;
	return VM_OK;
}

/* a0 = ptr, a1 = len. */
static int ecall_write(struct vm_cpu *cpu, const struct vm_host *h)
{
	uint64_t p = cpu->x[10], len = cpu->x[11];
	uint8_t buf[32 + VM_IO_MAX];

	if (len > VM_IO_MAX) {
		fault(cpu, VM_FAULT_ECALL_LENGTH);
		return VM_OK;
	}
	if (!in_range(p, len)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	memcpy(buf, cpu->out_hash.b, 32);
	if (len > 0 && !h->read(h->ctx, buf + 32, (uint32_t)p, (uint32_t)len))
		return VM_E_MISMATCH;
	cl_keccak256(cpu->out_hash.b, buf, 32 + len);
	if (h->output)
		h->output(h->ctx, buf + 32, (uint32_t)len);
	cpu->x[10] = len;
	return VM_OK;
}

/* a0 = ptr, a1 = len, a2 = out. */
static int ecall_keccak(struct vm_cpu *cpu, const struct vm_host *h)
{
	uint64_t p = cpu->x[10], len = cpu->x[11], out = cpu->x[12];
	uint8_t buf[VM_KECCAK_MAX], digest[32];

	if (len > VM_KECCAK_MAX) {
		fault(cpu, VM_FAULT_ECALL_LENGTH);
		return VM_OK;
	}
	if (!in_range(p, len) || !in_range(out, 32)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (len > 0 && !h->read(h->ctx, buf, (uint32_t)p, (uint32_t)len))
		return VM_E_MISMATCH;
	cl_keccak256(digest, buf, len);
	if (!h->write(h->ctx, (uint32_t)out, digest, 32))
		return VM_E_MISMATCH;
	cpu->x[10] = 0;
	return VM_OK;
}

/* a0 = hash ptr (32 bytes), a1 = sig ptr (65: r, s, v), a2 = out (20). */
static int ecall_ecrecover(struct vm_cpu *cpu, const struct vm_host *h)
{
	uint64_t hp = cpu->x[10], sp = cpu->x[11], out = cpu->x[12];
	struct cl_hash32 digest;
	uint8_t sig[CL_SIG_LEN];
	struct cl_address signer;

	if (!in_range(hp, 32) || !in_range(sp, CL_SIG_LEN) ||
	    !in_range(out, 20)) {
		fault(cpu, VM_FAULT_ADDR_RANGE);
		return VM_OK;
	}
	if (!h->read(h->ctx, digest.b, (uint32_t)hp, 32) ||
	    !h->read(h->ctx, sig, (uint32_t)sp, CL_SIG_LEN))
		return VM_E_MISMATCH;
	/* a refused signature leaves signer all zero */
	bool ok = cl_sig_recover(&signer, &digest, sig, CL_SIG_LEN) ==
		  CL_SIG_OK;
	if (!h->write(h->ctx, (uint32_t)out, signer.b, 20))
		return VM_E_MISMATCH;
	cpu->x[10] = ok ? 1 : 0;
	return VM_OK;
}

static int exec_ecall(struct vm_cpu *cpu, const struct vm_host *h)
{
	int rc;

	switch (cpu->x[17]) {
	case VM_ECALL_EXIT:
		halt(cpu, VM_EXITED, cpu->x[10]);
		return VM_OK;
	case VM_ECALL_PREIMAGE:
		rc = ecall_preimage(cpu, h);
		break;
	case VM_ECALL_WRITE:
		rc = ecall_write(cpu, h);
		break;
	case VM_ECALL_KECCAK:
		rc = ecall_keccak(cpu, h);
		break;
	case VM_ECALL_ECRECOVER:
		rc = ecall_ecrecover(cpu, h);
		break;
	default:
		fault(cpu, VM_FAULT_BAD_ECALL);
		return VM_OK;
	}
	if (rc == VM_OK && cpu->status == VM_RUNNING)
		cpu->pc += 4;
	return rc;
}

static int exec_insn(struct vm_cpu *cpu, const struct vm_host *h,
		     const struct vm_insn *d)
{
	uint64_t a = cpu->x[d->rs1], b = cpu->x[d->rs2], pc = cpu->pc;

	switch (d->op) {
	case VM_OP_ILLEGAL:
		fault(cpu, VM_FAULT_ILLEGAL);
		return VM_OK;
	case VM_OP_LUI:
		set_rd(cpu, d->rd, (uint64_t)d->imm);
		break;
	case VM_OP_AUIPC:
		set_rd(cpu, d->rd, pc + (uint64_t)d->imm);
		break;
	case VM_OP_JAL:
		set_rd(cpu, d->rd, pc + 4);
		cpu->pc = pc + (uint64_t)d->imm;
		return VM_OK;
	case VM_OP_JALR:
		set_rd(cpu, d->rd, pc + 4);
		cpu->pc = (a + (uint64_t)d->imm) & ~(uint64_t)1;
		return VM_OK;
	case VM_OP_BEQ: case VM_OP_BNE: case VM_OP_BLT: case VM_OP_BGE:
	case VM_OP_BLTU: case VM_OP_BGEU:
		cpu->pc = branch_taken(d->op, a, b) ? pc + (uint64_t)d->imm
						    : pc + 4;
		return VM_OK;
	case VM_OP_LB: case VM_OP_LH: case VM_OP_LW: case VM_OP_LD:
	case VM_OP_LBU: case VM_OP_LHU: case VM_OP_LWU:
		return exec_load(cpu, h, d);
	case VM_OP_SB: case VM_OP_SH: case VM_OP_SW: case VM_OP_SD:
		return exec_store(cpu, h, d);
	case VM_OP_ADDI: case VM_OP_SLTI: case VM_OP_SLTIU: case VM_OP_XORI:
	case VM_OP_ORI: case VM_OP_ANDI: case VM_OP_SLLI: case VM_OP_SRLI:
	case VM_OP_SRAI: case VM_OP_ADDIW: case VM_OP_SLLIW:
	case VM_OP_SRLIW: case VM_OP_SRAIW:
		set_rd(cpu, d->rd, alu(d->op, a, (uint64_t)d->imm));
		break;
	case VM_OP_ADD: case VM_OP_SUB: case VM_OP_SLL: case VM_OP_SLT:
	case VM_OP_SLTU: case VM_OP_XOR: case VM_OP_SRL: case VM_OP_SRA:
	case VM_OP_OR: case VM_OP_AND: case VM_OP_MUL: case VM_OP_MULH:
	case VM_OP_MULHSU: case VM_OP_MULHU: case VM_OP_DIV: case VM_OP_DIVU:
	case VM_OP_REM: case VM_OP_REMU: case VM_OP_ADDW: case VM_OP_SUBW:
	case VM_OP_SLLW: case VM_OP_SRLW: case VM_OP_SRAW: case VM_OP_MULW:
	case VM_OP_DIVW: case VM_OP_DIVUW: case VM_OP_REMW: case VM_OP_REMUW:
		set_rd(cpu, d->rd, alu(d->op, a, b));
		break;
	case VM_OP_FENCE:
		break;
	case VM_OP_ECALL:
		return exec_ecall(cpu, h);
	case VM_OP_EBREAK:
		fault(cpu, VM_FAULT_EBREAK);
		return VM_OK;
	case VM_OP_COUNT:
		CL_BUG("decoded VM_OP_COUNT");
	}
	cpu->pc = pc + 4;
	return VM_OK;
}

int vm_exec(struct vm_cpu *cpu, const struct vm_host *h)
{
	uint8_t b[4];
	struct vm_insn d;
	int rc;

	if (cpu->status != VM_RUNNING)
		return VM_OK;
	if (cpu->pc >= VM_ADDR_LIMIT) {
		fault(cpu, VM_FAULT_PC_RANGE);
	} else if (cpu->pc % 4 != 0) {
		fault(cpu, VM_FAULT_PC_MISALIGNED);
	} else {
		if (!h->read(h->ctx, b, (uint32_t)cpu->pc, 4))
			return VM_E_MISMATCH;
		/* an illegal word decodes to VM_OP_ILLEGAL, which faults */
		if (!vm_decode(&d, (uint32_t)get_le(b, 4)))
			d.op = VM_OP_ILLEGAL;
		rc = exec_insn(cpu, h, &d);
		if (rc != VM_OK)
			return rc;
	}
	cpu->step++;
	return VM_OK;
}

void vm_state_encode(uint8_t out[VM_STATE_BYTES], const struct vm_cpu *cpu,
		     const struct cl_hash32 *mem_root)
{
	uint8_t *p = out;

	memcpy(p, mem_root->b, 32);
	p += 32;
	memcpy(p, cpu->out_hash.b, 32);
	p += 32;
	cl_put_be64(p, cpu->pc);
	p += 8;
	cl_put_be64(p, cpu->step);
	p += 8;
	*p++ = cpu->status;
	cl_put_be64(p, cpu->exit_code);
	p += 8;
	for (int i = 1; i < 32; i++, p += 8)
		cl_put_be64(p, cpu->x[i]);
}

enum vm_verdict vm_verdict_of(uint8_t status, uint64_t exit_code)
{
	switch ((enum vm_status)status) {
	case VM_RUNNING:
		return VM_VERDICT_RUNNING;
	case VM_EXITED:
		return exit_code == 0 ? VM_VERDICT_VALID
		       : exit_code == 1 ? VM_VERDICT_INVALID
					: VM_VERDICT_OTHER;
	case VM_FAULTED:
		return VM_VERDICT_OTHER;
	}
	return VM_VERDICT_OTHER; /* not a status a machine can have */
}

void vm_state_commit(struct cl_hash32 *out,
		     const uint8_t state[VM_STATE_BYTES])
{
	cl_keccak256(out->b, state, VM_STATE_BYTES);
	out->b[0] = (uint8_t)vm_verdict_of(state[VM_STATE_STATUS_OFF],
					   cl_get_be64(state +
						       VM_STATE_STATUS_OFF + 1));
}

void vm_state_hash_of(struct cl_hash32 *out, const struct vm_cpu *cpu,
		      const struct cl_hash32 *mem_root)
{
	uint8_t buf[VM_STATE_BYTES];

	vm_state_encode(buf, cpu, mem_root);
	vm_state_commit(out, buf);
}
