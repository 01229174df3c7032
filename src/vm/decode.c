/* SPDX-License-Identifier: MIT */
/*
 * The RV64IM instruction decoder: one 32-bit word to a struct vm_insn, or
 * VM_OP_ILLEGAL. Every field the base ISA reserves must hold the value
 * the specification gives; anything else is illegal (docs/vm.md).
 */
#include <string.h>

#include <clearline/vm.h>

static const char *const op_names[VM_OP_COUNT] = {
	"illegal", "lui", "auipc", "jal", "jalr",
	"beq", "bne", "blt", "bge", "bltu", "bgeu",
	"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu",
	"sb", "sh", "sw", "sd",
	"addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli",
	"srai",
	"add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
	"mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
	"addiw", "slliw", "srliw", "sraiw",
	"addw", "subw", "sllw", "srlw", "sraw",
	"mulw", "divw", "divuw", "remw", "remuw",
	"fence", "ecall", "ebreak",
};

const char *vm_op_name(enum vm_op op)
{
	if ((unsigned)op >= VM_OP_COUNT)
		return "illegal";
	return op_names[op];
}

/* Sign-extend the low `bits` bits of v. */
static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);

	v &= (1ull << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

static int64_t imm_i(uint32_t w)
{
	return sext(w >> 20, 12);
}

static int64_t imm_s(uint32_t w)
{
	return sext(((w >> 25) << 5) | ((w >> 7) & 0x1f), 12);
}

static int64_t imm_b(uint32_t w)
{
	uint64_t v = ((uint64_t)((w >> 31) & 1) << 12) |
		     ((uint64_t)((w >> 7) & 1) << 11) |
		     ((uint64_t)((w >> 25) & 0x3f) << 5) |
		     ((uint64_t)((w >> 8) & 0xf) << 1);
	return sext(v, 13);
}

static int64_t imm_u(uint32_t w)
{
	return sext(w & 0xfffff000u, 32);
}

static int64_t imm_j(uint32_t w)
{
	uint64_t v = ((uint64_t)((w >> 31) & 1) << 20) |
		     ((uint64_t)((w >> 12) & 0xff) << 12) |
		     ((uint64_t)((w >> 20) & 1) << 11) |
		     ((uint64_t)((w >> 21) & 0x3ff) << 1);
	return sext(v, 21);
}

static enum vm_op op_reg(uint32_t f3, uint32_t f7)
{
	static const enum vm_op base[8] = {
		VM_OP_ADD, VM_OP_SLL, VM_OP_SLT, VM_OP_SLTU,
		VM_OP_XOR, VM_OP_SRL, VM_OP_OR,	 VM_OP_AND,
	};
	static const enum vm_op mext[8] = {
		VM_OP_MUL, VM_OP_MULH, VM_OP_MULHSU, VM_OP_MULHU,
		VM_OP_DIV, VM_OP_DIVU, VM_OP_REM,    VM_OP_REMU,
	};
	if (f7 == 0x00)
		return base[f3];
	if (f7 == 0x01)
		return mext[f3];
	if (f7 == 0x20 && f3 == 0)
		return VM_OP_SUB;
	if (f7 == 0x20 && f3 == 5)
		return VM_OP_SRA;
	return VM_OP_ILLEGAL;
}

static enum vm_op op_reg32(uint32_t f3, uint32_t f7)
{
	if (f7 == 0x00) {
		switch (f3) {
		case 0: return VM_OP_ADDW;
		case 1: return VM_OP_SLLW;
		case 5: return VM_OP_SRLW;
		}
		return VM_OP_ILLEGAL;
	}
	if (f7 == 0x20) {
		if (f3 == 0)
			return VM_OP_SUBW;
		if (f3 == 5)
			return VM_OP_SRAW;
		return VM_OP_ILLEGAL;
	}
	if (f7 == 0x01) {
		switch (f3) {
		case 0: return VM_OP_MULW;
		case 4: return VM_OP_DIVW;
		case 5: return VM_OP_DIVUW;
		case 6: return VM_OP_REMW;
		case 7: return VM_OP_REMUW;
		}
	}
	return VM_OP_ILLEGAL;
}

static enum vm_op decode_op(struct vm_insn *d, uint32_t w)
{
	uint32_t opcode = w & 0x7f, f3 = (w >> 12) & 7, f7 = w >> 25;
	static const enum vm_op branch[8] = {
		VM_OP_BEQ, VM_OP_BNE, VM_OP_ILLEGAL, VM_OP_ILLEGAL,
		VM_OP_BLT, VM_OP_BGE, VM_OP_BLTU,    VM_OP_BGEU,
	};
	static const enum vm_op load[8] = {
		VM_OP_LB,  VM_OP_LH,  VM_OP_LW,	 VM_OP_LD,
		VM_OP_LBU, VM_OP_LHU, VM_OP_LWU, VM_OP_ILLEGAL,
	};
	static const enum vm_op store[8] = {
		VM_OP_SB,      VM_OP_SH,      VM_OP_SW,	     VM_OP_SD,
		VM_OP_ILLEGAL, VM_OP_ILLEGAL, VM_OP_ILLEGAL, VM_OP_ILLEGAL,
	};
	static const enum vm_op opimm[8] = {
		VM_OP_ADDI, VM_OP_SLLI,	 VM_OP_SLTI, VM_OP_SLTIU,
		VM_OP_XORI, VM_OP_SRLI, VM_OP_ORI,  VM_OP_ANDI,
	};

	d->rd = (uint8_t)((w >> 7) & 0x1f);
	d->rs1 = (uint8_t)((w >> 15) & 0x1f);
	d->rs2 = (uint8_t)((w >> 20) & 0x1f);

	switch (opcode) {
	case 0x37:
		d->rs1 = d->rs2 = 0;
		d->imm = imm_u(w);
		return VM_OP_LUI;
	case 0x17:
		d->rs1 = d->rs2 = 0;
		d->imm = imm_u(w);
		return VM_OP_AUIPC;
	case 0x6f:
		d->rs1 = d->rs2 = 0;
		d->imm = imm_j(w);
		return VM_OP_JAL;
	case 0x67:
		d->rs2 = 0;
		d->imm = imm_i(w);
		return f3 == 0 ? VM_OP_JALR : VM_OP_ILLEGAL;
	case 0x63:
		d->rd = 0;
		d->imm = imm_b(w);
		return branch[f3];
	case 0x03:
		d->rs2 = 0;
		d->imm = imm_i(w);
		return load[f3];
	case 0x23:
		d->rd = 0;
		d->imm = imm_s(w);
		return store[f3];
	case 0x13:
		d->rs2 = 0;
		if (f3 == 1 || f3 == 5) {
			uint32_t f6 = w >> 26;

			d->imm = (w >> 20) & 0x3f;
			if (f3 == 1)
				return f6 == 0 ? VM_OP_SLLI : VM_OP_ILLEGAL;
			if (f6 == 0)
				return VM_OP_SRLI;
			return f6 == 0x10 ? VM_OP_SRAI : VM_OP_ILLEGAL;
		}
		d->imm = imm_i(w);
		return opimm[f3];
	case 0x1b:
		d->rs2 = 0;
		if (f3 == 0) {
			d->imm = imm_i(w);
			return VM_OP_ADDIW;
		}
		d->imm = (w >> 20) & 0x1f;
		if (f3 == 1)
			return f7 == 0 ? VM_OP_SLLIW : VM_OP_ILLEGAL;
		if (f3 == 5 && f7 == 0)
			return VM_OP_SRLIW;
		if (f3 == 5 && f7 == 0x20)
			return VM_OP_SRAIW;
		return VM_OP_ILLEGAL;
	case 0x33:
		return op_reg(f3, f7);
	case 0x3b:
		return op_reg32(f3, f7);
	case 0x0f:
		/* fence: ordering is meaningless on one hart; pred, succ
		 * and fm are ignored, the register fields must be zero */
		if (f3 != 0 || d->rd != 0 || d->rs1 != 0)
			return VM_OP_ILLEGAL;
		d->rs2 = 0;
		return VM_OP_FENCE;
	case 0x73:
		d->rd = d->rs1 = d->rs2 = 0;
		if (w == 0x00000073u)
			return VM_OP_ECALL;
		if (w == 0x00100073u)
			return VM_OP_EBREAK;
		return VM_OP_ILLEGAL;
	}
	return VM_OP_ILLEGAL;
}

bool vm_decode(struct vm_insn *out, uint32_t word)
{
	struct vm_insn d = {0};
	enum vm_op op = decode_op(&d, word);

	if (op == VM_OP_ILLEGAL) {
		memset(out, 0, sizeof(*out));
		out->op = VM_OP_ILLEGAL;
		return false;
	}
	d.op = op;
	*out = d;
	return true;
}
