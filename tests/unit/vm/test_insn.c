/* SPDX-License-Identifier: MIT */
/*
 * Every instruction class against hand-computed results: the integer
 * ALU, the M extension's edge cases (division by zero, INT_MIN / -1),
 * the 32-bit W forms, branches and jumps, loads and stores (sign
 * extension, little-endian), every fault, and the decoder on words the
 * GNU assembler produced. Every step's one-step proof is verified too.
 */
#include <clearline/vm.h>

#include "test.h"
#include "vmtest.h"

#define NEG(x) ((uint64_t)(int64_t)(x))

static uint64_t rr(enum vm_op op, uint64_t a, uint64_t b)
{
	uint32_t w = rv_enc(op, 3, 1, 2, 0);
	struct vm_machine *m = vmt_new(&w, 1);
	struct vm_cpu *c = vm_machine_cpu(m);
	uint64_t r;

	c->x[1] = a;
	c->x[2] = b;
	CHECK(vmt_step(m) == VM_OK);
	CHECK(c->status == VM_RUNNING && c->pc == CODE_BASE + 4);
	CHECK(c->step == 1);
	r = c->x[3];
	vm_machine_free(m);
	return r;
}

static uint64_t ri(enum vm_op op, uint64_t a, int64_t imm)
{
	uint32_t w = rv_enc(op, 3, 1, 0, imm);
	struct vm_machine *m = vmt_new(&w, 1);
	struct vm_cpu *c = vm_machine_cpu(m);
	uint64_t r;

	c->x[1] = a;
	CHECK(vmt_step(m) == VM_OK);
	CHECK(c->status == VM_RUNNING && c->pc == CODE_BASE + 4);
	r = c->x[3];
	vm_machine_free(m);
	return r;
}

static void test_alu(void)
{
	CHECK(rr(VM_OP_ADD, 5, 7) == 12);
	CHECK(rr(VM_OP_ADD, UINT64_MAX, 1) == 0);
	CHECK(rr(VM_OP_SUB, 0, 1) == UINT64_MAX);
	CHECK(rr(VM_OP_SLL, 1, 63) == 0x8000000000000000ull);
	CHECK(rr(VM_OP_SLL, 1, 64) == 1); /* only the low 6 bits count */
	CHECK(rr(VM_OP_SLT, NEG(-1), 0) == 1);
	CHECK(rr(VM_OP_SLTU, NEG(-1), 0) == 0);
	CHECK(rr(VM_OP_XOR, 0xff00, 0x0ff0) == 0xf0f0);
	CHECK(rr(VM_OP_SRL, 0x8000000000000000ull, 63) == 1);
	CHECK(rr(VM_OP_SRA, 0x8000000000000000ull, 63) == UINT64_MAX);
	CHECK(rr(VM_OP_OR, 0xf0, 0x0f) == 0xff);
	CHECK(rr(VM_OP_AND, 0xf0, 0x3c) == 0x30);

	CHECK(ri(VM_OP_ADDI, 0, -1) == UINT64_MAX);
	CHECK(ri(VM_OP_ADDI, 10, 2047) == 2057);
	CHECK(ri(VM_OP_ADDI, 10, -2048) == NEG(-2038));
	CHECK(ri(VM_OP_SLTI, NEG(-5), -4) == 1);
	CHECK(ri(VM_OP_SLTIU, 5, -1) == 1); /* -1 is 2^64-1 unsigned */
	CHECK(ri(VM_OP_XORI, 0x1234, -1) == ~(uint64_t)0x1234);
	CHECK(ri(VM_OP_ORI, 0x1000, 0x0ff) == 0x10ff);
	CHECK(ri(VM_OP_ANDI, UINT64_MAX, 0x7ff) == 0x7ff);
	CHECK(ri(VM_OP_SLLI, 3, 62) == 0xc000000000000000ull);
	CHECK(ri(VM_OP_SRLI, UINT64_MAX, 60) == 0xf);
	CHECK(ri(VM_OP_SRAI, 0x8000000000000000ull, 4) ==
	      0xf800000000000000ull);
	CHECK(ri(VM_OP_LUI, 0, 0x12345000) == 0x12345000);
	CHECK(ri(VM_OP_LUI, 0, (int64_t)0xfffffffff0000000ll) ==
	      0xfffffffff0000000ull); /* bit 31 sign-extends */
	CHECK(ri(VM_OP_AUIPC, 0, 0x1000) == CODE_BASE + 0x1000);
	CHECK(ri(VM_OP_AUIPC, 0, (int64_t)0xfffffffffffff000ll) ==
	      CODE_BASE - 0x1000);
}

static void test_w_forms(void)
{
	CHECK(ri(VM_OP_ADDIW, 0x7fffffff, 1) == 0xffffffff80000000ull);
	CHECK(ri(VM_OP_ADDIW, 0xffffffff00000005ull, 0) == 5);
	CHECK(ri(VM_OP_SLLIW, 1, 31) == 0xffffffff80000000ull);
	CHECK(ri(VM_OP_SRLIW, 0x80000000, 31) == 1);
	CHECK(ri(VM_OP_SRLIW, 0xffffffff80000000ull, 0) ==
	      0xffffffff80000000ull);
	CHECK(ri(VM_OP_SRAIW, 0x80000000, 4) == 0xfffffffff8000000ull);
	CHECK(rr(VM_OP_ADDW, 0x7fffffff, 0x7fffffff) == NEG(-2));
	CHECK(rr(VM_OP_SUBW, 0, 1) == UINT64_MAX);
	CHECK(rr(VM_OP_SLLW, 1, 32) == 1); /* low 5 bits */
	CHECK(rr(VM_OP_SRLW, 0xf0000000, 28) == 0xf);
	CHECK(rr(VM_OP_SRAW, 0xf0000000, 28) == UINT64_MAX);
	CHECK(rr(VM_OP_MULW, 0x10000, 0x10000) == 0);
	CHECK(rr(VM_OP_MULW, 0x10000, 0x8000) == 0xffffffff80000000ull);
}

static void test_m_ext(void)
{
	const uint64_t min = 0x8000000000000000ull;

	CHECK(rr(VM_OP_MUL, 7, NEG(-3)) == NEG(-21));
	CHECK(rr(VM_OP_MULH, NEG(-1), NEG(-1)) == 0);
	CHECK(rr(VM_OP_MULH, min, min) == 0x4000000000000000ull);
	CHECK(rr(VM_OP_MULHU, UINT64_MAX, UINT64_MAX) ==
	      0xfffffffffffffffeull);
	CHECK(rr(VM_OP_MULHSU, NEG(-1), UINT64_MAX) == UINT64_MAX);
	CHECK(rr(VM_OP_MULHSU, 2, UINT64_MAX) == 1);
	CHECK(rr(VM_OP_DIV, NEG(-7), 2) == NEG(-3)); /* toward zero */
	CHECK(rr(VM_OP_REM, NEG(-7), 2) == NEG(-1));
	CHECK(rr(VM_OP_DIV, 42, 0) == UINT64_MAX);
	CHECK(rr(VM_OP_DIVU, 42, 0) == UINT64_MAX);
	CHECK(rr(VM_OP_REM, NEG(-42), 0) == NEG(-42));
	CHECK(rr(VM_OP_REMU, 42, 0) == 42);
	CHECK(rr(VM_OP_DIV, min, NEG(-1)) == min);
	CHECK(rr(VM_OP_REM, min, NEG(-1)) == 0);
	CHECK(rr(VM_OP_DIVU, UINT64_MAX, 2) == 0x7fffffffffffffffull);
	CHECK(rr(VM_OP_REMU, UINT64_MAX, 10) == 5);
	CHECK(rr(VM_OP_DIVW, 0x80000000, 0xffffffff) == 0xffffffff80000000ull);
	CHECK(rr(VM_OP_REMW, 0x80000000, 0xffffffff) == 0);
	CHECK(rr(VM_OP_DIVW, 5, 0) == UINT64_MAX);
	CHECK(rr(VM_OP_REMW, 0x80000005, 0) == 0xffffffff80000005ull);
	CHECK(rr(VM_OP_DIVUW, 0xfffffffe, 0) == UINT64_MAX);
	CHECK(rr(VM_OP_DIVUW, 0xfffffffe, 2) == 0x7fffffff);
	CHECK(rr(VM_OP_DIVUW, 0xfffffffe, 1) == 0xfffffffffffffffeull);
	CHECK(rr(VM_OP_REMUW, 0x1fffffff7ull, 0) == 0xfffffffffffffff7ull);
	CHECK(rr(VM_OP_REMUW, 100, 7) == 2);
}

/* Branch at CODE_BASE to +16 when taken: the pc after one step. */
static uint64_t branch(enum vm_op op, uint64_t a, uint64_t b)
{
	uint32_t w = rv_enc(op, 0, 1, 2, 16);
	struct vm_machine *m = vmt_new(&w, 1);
	struct vm_cpu *c = vm_machine_cpu(m);
	uint64_t pc;

	c->x[1] = a;
	c->x[2] = b;
	CHECK(vmt_step(m) == VM_OK);
	pc = c->pc - CODE_BASE;
	vm_machine_free(m);
	return pc;
}

static void test_control(void)
{
	CHECK(branch(VM_OP_BEQ, 3, 3) == 16);
	CHECK(branch(VM_OP_BEQ, 3, 4) == 4);
	CHECK(branch(VM_OP_BNE, 3, 4) == 16);
	CHECK(branch(VM_OP_BLT, NEG(-1), 0) == 16);
	CHECK(branch(VM_OP_BLTU, NEG(-1), 0) == 4);
	CHECK(branch(VM_OP_BGE, 0, NEG(-1)) == 16);
	CHECK(branch(VM_OP_BGE, 5, 5) == 16);
	CHECK(branch(VM_OP_BGEU, 0, NEG(-1)) == 4);

	/* jal ra, -8 and jalr clears bit 0, writes the link after reading
	 * rs1 (jalr ra, 0(ra)) */
	uint32_t prog[] = {
		rv_enc(VM_OP_JAL, 0, 0, 0, 8),	     /* 0: to 8 */
		rv_enc(VM_OP_EBREAK, 0, 0, 0, 0),    /* 4 */
		rv_enc(VM_OP_ADDI, 1, 0, 0, 21),      /* 8 */
		rv_enc(VM_OP_JALR, 1, 1, 0, 3),	     /* 12: to base+24 */
		rv_enc(VM_OP_EBREAK, 0, 0, 0, 0),    /* 16 */
		rv_enc(VM_OP_EBREAK, 0, 0, 0, 0),    /* 20 */
		rv_enc(VM_OP_JAL, 5, 0, 0, -24),     /* 24: to 0 */
	};
	struct vm_machine *m = vm_machine_new();
	struct vm_cpu *c = vm_machine_cpu(m);

	/* at address 0, so addi can build the jalr target */
	vmt_put_code(m, 0, prog, CL_ARRAY_LEN(prog));
	CHECK(vmt_step(m) == VM_OK && c->pc == 8);
	CHECK(vmt_step(m) == VM_OK && c->x[1] == 21);
	CHECK(vmt_step(m) == VM_OK && c->pc == 24 && c->x[1] == 16);
	CHECK(vmt_step(m) == VM_OK && c->pc == 0 && c->x[5] == 28);
	CHECK(c->status == VM_RUNNING && c->step == 4);
	vm_machine_free(m);
}

static void test_memory(void)
{
	uint32_t prog[] = {
		rv_enc(VM_OP_SD, 0, 1, 2, 0),	/* [x1] = x2 */
		rv_enc(VM_OP_LB, 3, 1, 0, 7),	/* 0x80 -> -128 */
		rv_enc(VM_OP_LBU, 4, 1, 0, 7),	/* 0x80 */
		rv_enc(VM_OP_LH, 5, 1, 0, 6),	/* 0x8070 */
		rv_enc(VM_OP_LHU, 6, 1, 0, 6),
		rv_enc(VM_OP_LW, 7, 1, 0, 4),	/* 0x80706050 */
		rv_enc(VM_OP_LWU, 8, 1, 0, 4),
		rv_enc(VM_OP_LD, 9, 1, 0, 0),
		rv_enc(VM_OP_SB, 0, 1, 2, 8),	/* byte 0x10 at +8 */
		rv_enc(VM_OP_SH, 0, 1, 2, 10),	/* 0x2010 at +10 */
		rv_enc(VM_OP_SW, 0, 1, 2, 12),	/* 0x40302010 at +12 */
		rv_enc(VM_OP_LD, 10, 1, 0, 8),
		rv_enc(VM_OP_SD, 0, 1, 2, -8),	/* into the page below */
	};
	struct vm_machine *m = vmt_new(prog, CL_ARRAY_LEN(prog));
	struct vm_cpu *c = vm_machine_cpu(m);
	uint8_t b[8];

	c->x[1] = 0x20000;
	c->x[2] = 0x8070605040302010ull;
	for (size_t i = 0; i < CL_ARRAY_LEN(prog); i++)
		CHECK(vmt_step(m) == VM_OK);
	CHECK(c->status == VM_RUNNING);
	CHECK(vm_mem_read(m, b, 0x20000, 8));
	CHECK(b[0] == 0x10 && b[7] == 0x80); /* little-endian */
	CHECK(c->x[3] == NEG(-128));
	CHECK(c->x[4] == 0x80);
	CHECK(c->x[5] == 0xffffffffffff8070ull);
	CHECK(c->x[6] == 0x8070);
	CHECK(c->x[7] == 0xffffffff80706050ull);
	CHECK(c->x[8] == 0x80706050);
	CHECK(c->x[9] == 0x8070605040302010ull);
	CHECK(c->x[10] == 0x4030201020100010ull);
	CHECK(vm_mem_read(m, b, 0x1fff8, 8) && b[0] == 0x10);
	vm_machine_free(m);

	/* writes to x0 are dropped; a load into x0 still reads */
	uint32_t z[] = {rv_enc(VM_OP_ADDI, 0, 0, 0, 5),
			rv_enc(VM_OP_LD, 0, 0, 0, 0x100)};
	m = vmt_new(z, 2);
	c = vm_machine_cpu(m);
	CHECK(vmt_step(m) == VM_OK && c->x[0] == 0);
	CHECK(vmt_step(m) == VM_OK && c->x[0] == 0 && c->pc == CODE_BASE + 8);
	vm_machine_free(m);
}

/* Run one word with x1 = a; return the machine (halted or not). */
static struct vm_machine *one(uint32_t w, uint64_t a)
{
	struct vm_machine *m = vmt_new(&w, 1);

	vm_machine_cpu(m)->x[1] = a;
	CHECK(vmt_step(m) == VM_OK);
	return m;
}

static void expect_fault(uint32_t w, uint64_t a, enum vm_fault f)
{
	struct vm_machine *m = one(w, a);
	struct vm_cpu *c = vm_machine_cpu(m);
	struct cl_hash32 h1, h2;

	CHECK_MSG(c->status == VM_FAULTED && c->exit_code == (uint64_t)f,
		  "word %08x: status %u code %llu", w, c->status,
		  (unsigned long long)c->exit_code);
	CHECK(c->pc == CODE_BASE && c->step == 1);
	/* halted: nothing changes any more, and the proof says so */
	vm_state_hash(m, &h1);
	CHECK(vmt_step(m) == VM_E_HALTED);
	vm_state_hash(m, &h2);
	CHECK(cl_hash32_eq(&h1, &h2) && c->step == 1);
	vm_machine_free(m);
}

static void test_faults(void)
{
	expect_fault(0, 0, VM_FAULT_ILLEGAL);
	expect_fault(0xffffffffu, 0, VM_FAULT_ILLEGAL);
	expect_fault(0x00000013u & ~3u, 0, VM_FAULT_ILLEGAL); /* compressed */
	expect_fault(0x30001073u, 0, VM_FAULT_ILLEGAL);	      /* csrrw */
	expect_fault(0x0000100fu, 0, VM_FAULT_ILLEGAL);	      /* fence.i */
	expect_fault(rv_enc(VM_OP_EBREAK, 0, 0, 0, 0), 0, VM_FAULT_EBREAK);
	expect_fault(rv_enc(VM_OP_LW, 2, 1, 0, 2), 0x20000,
		     VM_FAULT_MISALIGNED);
	expect_fault(rv_enc(VM_OP_SD, 0, 1, 0, 4), 0x20000,
		     VM_FAULT_MISALIGNED);
	expect_fault(rv_enc(VM_OP_LB, 2, 1, 0, 0), 1ull << 32,
		     VM_FAULT_ADDR_RANGE);
	expect_fault(rv_enc(VM_OP_LD, 2, 1, 0, 0), 0xfffffff9ull,
		     VM_FAULT_ADDR_RANGE);
	expect_fault(rv_enc(VM_OP_SB, 0, 1, 0, -1), 0, VM_FAULT_ADDR_RANGE);
	/* the last byte of the address space is fine */
	struct vm_machine *m = one(rv_enc(VM_OP_SB, 0, 1, 1, 0), 0xffffffffu);
	CHECK(vm_machine_cpu(m)->status == VM_RUNNING);
	vm_machine_free(m);

	/* a jump to a misaligned or far pc faults at the next fetch */
	uint32_t j = rv_enc(VM_OP_JALR, 0, 1, 0, 0);
	m = one(j, CODE_BASE + 2);
	struct vm_cpu *c = vm_machine_cpu(m);
	CHECK(c->status == VM_RUNNING && c->pc == CODE_BASE + 2);
	CHECK(vmt_step(m) == VM_OK && c->status == VM_FAULTED &&
	      c->exit_code == VM_FAULT_PC_MISALIGNED && c->step == 2);
	vm_machine_free(m);
	m = one(j, 1ull << 32);
	c = vm_machine_cpu(m);
	CHECK(vmt_step(m) == VM_OK && c->status == VM_FAULTED &&
	      c->exit_code == VM_FAULT_PC_RANGE);
	vm_machine_free(m);

	/* unknown ecall */
	m = vmt_new((uint32_t[]){0x73}, 1);
	vm_machine_cpu(m)->x[17] = 99;
	CHECK(vmt_step(m) == VM_OK);
	CHECK(vm_machine_cpu(m)->exit_code == VM_FAULT_BAD_ECALL);
	vm_machine_free(m);
}

static void test_decoder_words(void)
{
	/* words from riscv64-unknown-elf-as -march=rv64im */
	static const struct {
		uint32_t w;
		enum vm_op op;
		unsigned rd, rs1, rs2;
		int64_t imm;
	} v[] = {
		{0xff010113, VM_OP_ADDI, 2, 2, 0, -16},
		{0x00008067, VM_OP_JALR, 0, 1, 0, 0},
		{0x00813083, VM_OP_LD, 1, 2, 0, 8},
		{0x00113423, VM_OP_SD, 0, 2, 1, 8},
		{0x02b50533, VM_OP_MUL, 10, 10, 11, 0},
		{0x02b5453b, VM_OP_DIVW, 10, 10, 11, 0},
		{0x43f55513, VM_OP_SRAI, 10, 10, 0, 63},
		{0x12345537, VM_OP_LUI, 10, 0, 0, 0x12345000},
		{0x000000ef, VM_OP_JAL, 1, 0, 0, 0},
		{0x00b50463, VM_OP_BEQ, 0, 10, 11, 8},
		{0x41f6559b, VM_OP_SRAIW, 11, 12, 0, 31},
		{0x027372bb, VM_OP_REMUW, 5, 6, 7, 0},
		{0x0324a433, VM_OP_MULHSU, 8, 9, 18, 0},
		{0xffc76783, VM_OP_LWU, 15, 14, 0, -4},
		{0x0ff0000f, VM_OP_FENCE, 0, 0, 0, 0},
		{0xfffff197, VM_OP_AUIPC, 3, 0, 0, -4096},
		{0x8062f063, VM_OP_BGEU, 0, 5, 6, -4096},
		{0x7ffff06f, VM_OP_JAL, 0, 0, 0, 1048574},
		{0xfff5b513, VM_OP_SLTIU, 10, 11, 0, -1},
		{0x7ff5c503, VM_OP_LBU, 10, 11, 0, 2047},
	};
	for (size_t i = 0; i < CL_ARRAY_LEN(v); i++) {
		struct vm_insn d;

		CHECK_MSG(vm_decode(&d, v[i].w), "%08x", v[i].w);
		CHECK_MSG(d.op == v[i].op && d.rd == v[i].rd &&
			      d.rs1 == v[i].rs1 && d.rs2 == v[i].rs2 &&
			      d.imm == v[i].imm,
			  "%08x: %s rd %u rs1 %u rs2 %u imm %lld", v[i].w,
			  vm_op_name(d.op), d.rd, d.rs1, d.rs2,
			  (long long)d.imm);
		if (v[i].op != VM_OP_FENCE)
			CHECK(rv_enc(d.op, d.rd, d.rs1, d.rs2, d.imm) ==
			      v[i].w);
	}
	/* reserved encodings */
	struct vm_insn d;
	CHECK(!vm_decode(&d, 0x04051513)); /* slli with funct6 != 0 */
	CHECK(d.op == VM_OP_ILLEGAL && d.imm == 0);
	CHECK(!vm_decode(&d, 0x0205159b)); /* slliw with shamt[5] */
	CHECK(!vm_decode(&d, 0x00051067)); /* jalr funct3 1 */
	CHECK(!vm_decode(&d, 0x00007003)); /* load funct3 7 */
	CHECK(!vm_decode(&d, 0x00004023)); /* store funct3 4 */
	CHECK(!vm_decode(&d, 0x00002063)); /* branch funct3 2 */
	CHECK(!vm_decode(&d, 0x40001033)); /* sll with funct7 0x20 */
	CHECK(!vm_decode(&d, 0x0200103b)); /* mulw funct3 1 */
	CHECK(!vm_decode(&d, 0x00200073)); /* uret-like system word */
}

/* The op whose form (asm.h's table, written from the specification)
 * matches w, or VM_OP_ILLEGAL: an oracle independent of decode.c. */
static enum vm_op oracle_op(uint32_t w)
{
	uint32_t opc = w & 0x7f, f3 = (w >> 12) & 7, f7 = w >> 25;

	if (w == 0x00000073u)
		return VM_OP_ECALL;
	if (w == 0x00100073u)
		return VM_OP_EBREAK;
	if (opc == 0x0f)
		return f3 == 0 && ((w >> 7) & 0x1f) == 0 &&
			       ((w >> 15) & 0x1f) == 0
			   ? VM_OP_FENCE
			   : VM_OP_ILLEGAL;
	for (int op = 1; op < VM_OP_COUNT; op++) {
		const struct rv_form *f = &rv_forms[op];

		if (f->kind == 'X' || f->opc != opc)
			continue;
		switch (f->kind) {
		case 'U': case 'J':
			return (enum vm_op)op;
		case 'I': case 'S': case 'B':
			if (f3 == f->f3)
				return (enum vm_op)op;
			break;
		case 'R': case 'W':
			if (f3 == f->f3 && f7 == f->f7)
				return (enum vm_op)op;
			break;
		case 'H':
			if (f3 == f->f3 && (w >> 26) == (f->f7 >> 1))
				return (enum vm_op)op;
			break;
		}
	}
	return VM_OP_ILLEGAL;
}

/* Decode w; true when decode.c and the oracle agree and a legal word
 * (but fence) re-encodes to itself. */
static bool sweep_one(uint32_t w, uint64_t *legal)
{
	struct vm_insn d;
	bool ok = vm_decode(&d, w);

	*legal += ok;
	if (d.op != oracle_op(w) || ok != (d.op != VM_OP_ILLEGAL))
		return false;
	return !ok || d.op == VM_OP_FENCE ||
	       rv_enc(d.op, d.rd, d.rs1, d.rs2, d.imm) == w;
}

/* Every opcode x funct3 x funct7 combination with random other bits,
 * the ecall and ebreak words, and a million random words. */
static void test_decoder_sweep(void)
{
	uint64_t legal = 0, n = 0;
	int bad = 0;

	for (uint32_t top = 0; top < (1u << 17); top++) {
		uint32_t opc = top & 0x7f, f3 = (top >> 7) & 7, f7 = top >> 10;

		for (int k = 0; k < 4; k++, n++) {
			uint32_t w = (f7 << 25) | (f3 << 12) | opc |
				     ((uint32_t)test_rand() & 0x01ff8f80u);

			if (!sweep_one(w, &legal) && bad++ < 10)
				fprintf(stderr, "word %08x disagrees\n", w);
		}
	}
	bad += !sweep_one(0x00000073u, &legal) + !sweep_one(0x00100073u, &legal);
	for (int i = 0; i < 1000000; i++, n++)
		bad += !sweep_one((uint32_t)test_rand(), &legal);
	CHECK_MSG(bad == 0, "%d words disagree", bad);
	printf("decoder sweep: %llu words, %llu legal\n",
	       (unsigned long long)n, (unsigned long long)legal);
}

int main(void)
{
	test_seed();
	test_alu();
	test_w_forms();
	test_m_ext();
	test_control();
	test_memory();
	test_faults();
	test_decoder_words();
	test_decoder_sweep();
	printf("proofs verified: %llu\n",
	       (unsigned long long)vmt_proofs_checked);
	return test_done("test_insn");
}
