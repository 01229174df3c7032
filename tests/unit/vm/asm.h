/* SPDX-License-Identifier: MIT */
/*
 * A tiny RV64IM assembler for the VM tests and fuzz targets, written from
 * the instruction formats of the RISC-V specification (independently of
 * src/vm/decode.c, so each checks the other).
 */
#ifndef CLEARLINE_TEST_VM_ASM_H
#define CLEARLINE_TEST_VM_ASM_H

#include <stdint.h>

#include <clearline/vm.h>

static inline uint32_t rv_r(uint32_t f7, uint32_t rs2, uint32_t rs1,
			    uint32_t f3, uint32_t rd, uint32_t opc)
{
	return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
	       (rd << 7) | opc;
}
static inline uint32_t rv_i(int32_t imm, uint32_t rs1, uint32_t f3,
			    uint32_t rd, uint32_t opc)
{
	return ((uint32_t)imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) |
	       opc;
}
static inline uint32_t rv_s(int32_t imm, uint32_t rs2, uint32_t rs1,
			    uint32_t f3, uint32_t opc)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 5 & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) |
	       (f3 << 12) | ((u & 0x1f) << 7) | opc;
}
static inline uint32_t rv_b(int32_t imm, uint32_t rs2, uint32_t rs1,
			    uint32_t f3)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 12 & 1) << 31) | ((u >> 5 & 0x3f) << 25) | (rs2 << 20) |
	       (rs1 << 15) | (f3 << 12) | ((u >> 1 & 0xf) << 8) |
	       ((u >> 11 & 1) << 7) | 0x63;
}
static inline uint32_t rv_u(uint32_t imm20, uint32_t rd, uint32_t opc)
{
	return (imm20 << 12) | (rd << 7) | opc;
}
static inline uint32_t rv_j(int32_t imm, uint32_t rd)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 20 & 1) << 31) | ((u >> 1 & 0x3ff) << 21) |
	       ((u >> 11 & 1) << 20) | ((u >> 12 & 0xff) << 12) | (rd << 7) |
	       0x6f;
}

/* opcode, funct3, funct7 (or funct6 << 1 for 64-bit shifts) of each op,
 * indexed by enum vm_op; kind: R, I, S, B, U, J, H (shift), X (fixed) */
struct rv_form {
	char kind;
	uint32_t opc, f3, f7;
};

static const struct rv_form rv_forms[] = {
	[VM_OP_LUI] = {'U', 0x37, 0, 0},   [VM_OP_AUIPC] = {'U', 0x17, 0, 0},
	[VM_OP_JAL] = {'J', 0x6f, 0, 0},   [VM_OP_JALR] = {'I', 0x67, 0, 0},
	[VM_OP_BEQ] = {'B', 0x63, 0, 0},   [VM_OP_BNE] = {'B', 0x63, 1, 0},
	[VM_OP_BLT] = {'B', 0x63, 4, 0},   [VM_OP_BGE] = {'B', 0x63, 5, 0},
	[VM_OP_BLTU] = {'B', 0x63, 6, 0},  [VM_OP_BGEU] = {'B', 0x63, 7, 0},
	[VM_OP_LB] = {'I', 0x03, 0, 0},	   [VM_OP_LH] = {'I', 0x03, 1, 0},
	[VM_OP_LW] = {'I', 0x03, 2, 0},	   [VM_OP_LD] = {'I', 0x03, 3, 0},
	[VM_OP_LBU] = {'I', 0x03, 4, 0},   [VM_OP_LHU] = {'I', 0x03, 5, 0},
	[VM_OP_LWU] = {'I', 0x03, 6, 0},   [VM_OP_SB] = {'S', 0x23, 0, 0},
	[VM_OP_SH] = {'S', 0x23, 1, 0},	   [VM_OP_SW] = {'S', 0x23, 2, 0},
	[VM_OP_SD] = {'S', 0x23, 3, 0},	   [VM_OP_ADDI] = {'I', 0x13, 0, 0},
	[VM_OP_SLTI] = {'I', 0x13, 2, 0},  [VM_OP_SLTIU] = {'I', 0x13, 3, 0},
	[VM_OP_XORI] = {'I', 0x13, 4, 0},  [VM_OP_ORI] = {'I', 0x13, 6, 0},
	[VM_OP_ANDI] = {'I', 0x13, 7, 0},  [VM_OP_SLLI] = {'H', 0x13, 1, 0},
	[VM_OP_SRLI] = {'H', 0x13, 5, 0},  [VM_OP_SRAI] = {'H', 0x13, 5, 0x20},
	[VM_OP_ADD] = {'R', 0x33, 0, 0},   [VM_OP_SUB] = {'R', 0x33, 0, 0x20},
	[VM_OP_SLL] = {'R', 0x33, 1, 0},   [VM_OP_SLT] = {'R', 0x33, 2, 0},
	[VM_OP_SLTU] = {'R', 0x33, 3, 0},  [VM_OP_XOR] = {'R', 0x33, 4, 0},
	[VM_OP_SRL] = {'R', 0x33, 5, 0},   [VM_OP_SRA] = {'R', 0x33, 5, 0x20},
	[VM_OP_OR] = {'R', 0x33, 6, 0},	   [VM_OP_AND] = {'R', 0x33, 7, 0},
	[VM_OP_MUL] = {'R', 0x33, 0, 1},   [VM_OP_MULH] = {'R', 0x33, 1, 1},
	[VM_OP_MULHSU] = {'R', 0x33, 2, 1}, [VM_OP_MULHU] = {'R', 0x33, 3, 1},
	[VM_OP_DIV] = {'R', 0x33, 4, 1},   [VM_OP_DIVU] = {'R', 0x33, 5, 1},
	[VM_OP_REM] = {'R', 0x33, 6, 1},   [VM_OP_REMU] = {'R', 0x33, 7, 1},
	[VM_OP_ADDIW] = {'I', 0x1b, 0, 0}, [VM_OP_SLLIW] = {'W', 0x1b, 1, 0},
	[VM_OP_SRLIW] = {'W', 0x1b, 5, 0}, [VM_OP_SRAIW] = {'W', 0x1b, 5, 0x20},
	[VM_OP_ADDW] = {'R', 0x3b, 0, 0},  [VM_OP_SUBW] = {'R', 0x3b, 0, 0x20},
	[VM_OP_SLLW] = {'R', 0x3b, 1, 0},  [VM_OP_SRLW] = {'R', 0x3b, 5, 0},
	[VM_OP_SRAW] = {'R', 0x3b, 5, 0x20}, [VM_OP_MULW] = {'R', 0x3b, 0, 1},
	[VM_OP_DIVW] = {'R', 0x3b, 4, 1},  [VM_OP_DIVUW] = {'R', 0x3b, 5, 1},
	[VM_OP_REMW] = {'R', 0x3b, 6, 1},  [VM_OP_REMUW] = {'R', 0x3b, 7, 1},
	[VM_OP_FENCE] = {'X', 0x0ff0000f, 0, 0},
	[VM_OP_ECALL] = {'X', 0x00000073, 0, 0},
	[VM_OP_EBREAK] = {'X', 0x00100073, 0, 0},
};

/* Encode op with the given fields; imm as the format takes it (U: the
 * upper 20 bits, shifts: the amount). */
static inline uint32_t rv_enc(enum vm_op op, unsigned rd, unsigned rs1,
			      unsigned rs2, int64_t imm)
{
	const struct rv_form *f = &rv_forms[op];

	switch (f->kind) {
	case 'R': return rv_r(f->f7, rs2, rs1, f->f3, rd, f->opc);
	case 'I': return rv_i((int32_t)imm, rs1, f->f3, rd, f->opc);
	case 'S': return rv_s((int32_t)imm, rs2, rs1, f->f3, f->opc);
	case 'B': return rv_b((int32_t)imm, rs2, rs1, f->f3);
	case 'U': return rv_u((uint32_t)((uint64_t)imm >> 12) & 0xfffff, rd,
			      f->opc);
	case 'J': return rv_j((int32_t)imm, rd);
	case 'H': return rv_i((int32_t)(((f->f7 >> 1) << 6) | (imm & 63)),
			      rs1, f->f3, rd, f->opc);
	case 'W': return rv_r(f->f7, (uint32_t)imm & 31, rs1, f->f3, rd,
			      f->opc);
	case 'X': return f->opc;
	}
	return 0;
}

#endif
