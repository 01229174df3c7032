/* SPDX-License-Identifier: MIT */
/*
 * vm — the fault-proof machine: a deterministic RV64IM interpreter, its
 * Merkle commitment, one-step proofs and the one-step verifier.
 *
 * Purpose: a dispute about a state root is bisected over the steps of a
 * program run on this machine down to one instruction; vm_step_verify()
 * executes that one instruction from a proof alone and is the reference
 * the L1 one-step contract implements. docs/vm.md is the specification:
 * the instruction set, every fault, the ecall ABI, the state hash, the
 * memory tree and the proof encoding.
 *
 * Invariants:
 *  - Every step is a pure function of the machine state (and, for the
 *    preimage ecall, of data named by its keccak256). Illegal
 *    instructions, misaligned or out-of-range accesses and bad ecalls
 *    halt the machine with a fault code; nothing is undefined.
 *  - Addresses are 32-bit: an access or a fetch whose address does not
 *    fit faults. Memory is 2^20 pages of 4 KiB, zero until written.
 *  - A halted machine does not change any more: a step on it is a no-op
 *    (the step counter stops too), and its proof proves exactly that.
 *  - The state hash commits to the registers, pc, step counter, status,
 *    exit code, output hash and the memory root; the memory root is
 *    kept incrementally (only pages and paths written since the last
 *    hash are rehashed).
 *
 * Ownership: a struct vm_machine is owned by its creator (vm_machine_new /
 * vm_machine_free). Proof bytes decoded by vm_proof_decode() are borrowed
 * by the decoded struct. Nothing here keeps a pointer to its arguments.
 *
 * Threads: a machine is used by one thread at a time. vm_step_verify() and
 * vm_decode() are pure and may run on any thread, after cl_crypto_init()
 * was called once (vm_machine_new() and vm_step_verify() call it; call it
 * yourself before starting threads).
 */
#ifndef CLEARLINE_VM_H
#define CLEARLINE_VM_H

#include <clearline/common.h>

/* ------------------------------------------------------------------ */
/* Limits and constants (docs/vm.md)                                   */
/* ------------------------------------------------------------------ */

#define VM_PAGE_SIZE 4096u
#define VM_PAGE_BITS 12
#define VM_WORD_SIZE 32u     /* a memory tree leaf */
#define VM_TREE_DEPTH 27     /* 2^27 leaves of 32 bytes = 4 GiB */
#define VM_PAGE_DEPTH 7      /* 128 leaves per page */
#define VM_ADDR_LIMIT (1ull << 32)

#define VM_IO_MAX 2048u      /* bytes per preimage read and output write */
#define VM_KECCAK_MAX 2048u  /* bytes of input per keccak ecall */
#define VM_PREIMAGE_MAX (1u << 20) /* the largest preimage a proof carries */
#define VM_PROOF_MAX_RANGES 4
/* The most leaves one access covers: VM_IO_MAX bytes at any alignment. */
#define VM_RANGE_MAX_WORDS (VM_IO_MAX / VM_WORD_SIZE + 1)

/* The state preimage: memory root, output hash, pc, step, status, exit
 * code, x1..x31 (docs/vm.md "State hash"). */
#define VM_STATE_BYTES (32 + 32 + 8 + 8 + 1 + 8 + 31 * 8)
#define VM_PROOF_VERSION 1

/* ecall numbers (a7); arguments in a0..a5, results in a0 (and a1). */
enum vm_ecall {
	VM_ECALL_EXIT = 0,	/* a0 = exit code */
	VM_ECALL_PREIMAGE = 1,	/* a0 key ptr, a1 offset, a2 dst, a3 len */
	VM_ECALL_WRITE = 2,	/* a0 ptr, a1 len: append to the output */
	VM_ECALL_KECCAK = 3,	/* a0 ptr, a1 len, a2 out (32 bytes) */
	VM_ECALL_ECRECOVER = 4, /* a0 hash ptr, a1 sig ptr, a2 out (20) */
};

enum vm_status {
	VM_RUNNING = 0,
	VM_EXITED = 1,
	VM_FAULTED = 2,
};

/* Why a machine faulted (its exit code when status is VM_FAULTED). */
enum vm_fault {
	VM_FAULT_ILLEGAL = 1,	      /* not an RV64IM instruction */
	VM_FAULT_PC_RANGE = 2,	      /* pc >= 2^32 */
	VM_FAULT_PC_MISALIGNED = 3,   /* pc not a multiple of 4 */
	VM_FAULT_ADDR_RANGE = 4,      /* a load/store/ecall buffer past 2^32 */
	VM_FAULT_MISALIGNED = 5,      /* a load or store not size-aligned */
	VM_FAULT_BAD_ECALL = 6,	      /* unknown ecall number */
	VM_FAULT_ECALL_LENGTH = 7,    /* an ecall length above its limit */
	VM_FAULT_EBREAK = 8,	      /* ebreak */
};

/* Outcomes of machine and proof operations (positive domain codes). */
enum vm_err {
	VM_OK = 0,
	VM_E_HALTED,	 /* the machine has halted: nothing was done */
	VM_E_PREIMAGE,	 /* the step needs a preimage the host lacks */
	VM_E_ELF,	 /* the ELF file is malformed or not supported */
	VM_E_PROOF,	 /* the proof does not decode */
	VM_E_PRE_STATE,	 /* the proof's state is not the pre-state hash */
	VM_E_MEMORY,	 /* a memory range does not prove against the root */
	VM_E_MISMATCH,	 /* the proof's data does not match the step */
	VM_E_BOOT,	 /* not a fresh image with an empty boot page */
};

/* A short, lowercase, static description of an enum vm_err. */
const char *vm_err_str(int err);

/* ------------------------------------------------------------------ */
/* Instructions                                                        */
/* ------------------------------------------------------------------ */

enum vm_op {
	VM_OP_ILLEGAL = 0,
	VM_OP_LUI, VM_OP_AUIPC, VM_OP_JAL, VM_OP_JALR,
	VM_OP_BEQ, VM_OP_BNE, VM_OP_BLT, VM_OP_BGE, VM_OP_BLTU, VM_OP_BGEU,
	VM_OP_LB, VM_OP_LH, VM_OP_LW, VM_OP_LD, VM_OP_LBU, VM_OP_LHU,
	VM_OP_LWU,
	VM_OP_SB, VM_OP_SH, VM_OP_SW, VM_OP_SD,
	VM_OP_ADDI, VM_OP_SLTI, VM_OP_SLTIU, VM_OP_XORI, VM_OP_ORI,
	VM_OP_ANDI, VM_OP_SLLI, VM_OP_SRLI, VM_OP_SRAI,
	VM_OP_ADD, VM_OP_SUB, VM_OP_SLL, VM_OP_SLT, VM_OP_SLTU, VM_OP_XOR,
	VM_OP_SRL, VM_OP_SRA, VM_OP_OR, VM_OP_AND,
	VM_OP_MUL, VM_OP_MULH, VM_OP_MULHSU, VM_OP_MULHU, VM_OP_DIV,
	VM_OP_DIVU, VM_OP_REM, VM_OP_REMU,
	VM_OP_ADDIW, VM_OP_SLLIW, VM_OP_SRLIW, VM_OP_SRAIW,
	VM_OP_ADDW, VM_OP_SUBW, VM_OP_SLLW, VM_OP_SRLW, VM_OP_SRAW,
	VM_OP_MULW, VM_OP_DIVW, VM_OP_DIVUW, VM_OP_REMW, VM_OP_REMUW,
	VM_OP_FENCE, VM_OP_ECALL, VM_OP_EBREAK,
	VM_OP_COUNT,
};

/* A decoded instruction. imm is sign-extended (shift amounts for the
 * shift-immediate forms); unused fields are zero. */
struct vm_insn {
	enum vm_op op;
	uint8_t rd, rs1, rs2;
	int64_t imm;
};

/*
 * Decode one 32-bit instruction word. Total: every word decodes to an
 * instruction or to VM_OP_ILLEGAL (docs/vm.md lists what is legal).
 * Returns true for a legal instruction; false (and *out zeroed, op
 * VM_OP_ILLEGAL) otherwise.
 */
CL_WUR bool vm_decode(struct vm_insn *out, uint32_t word);

/* The lowercase mnemonic of an op ("addi"); "illegal" for VM_OP_ILLEGAL. */
const char *vm_op_name(enum vm_op op);

/* ------------------------------------------------------------------ */
/* The processor state and one step over an abstract memory            */
/* ------------------------------------------------------------------ */

/* Everything the state hash commits to except memory. x[0] is always 0. */
struct vm_cpu {
	uint64_t x[32];
	uint64_t pc;
	uint64_t step;
	uint8_t status;	    /* enum vm_status */
	uint64_t exit_code; /* exit value, or enum vm_fault; 0 when running */
	struct cl_hash32 out_hash; /* keccak chain over the output writes */
};

/*
 * Memory and preimages as one step sees them. The machine serves them
 * from its pages, the verifier from a proof. A callback that returns
 * false stops the step: vm_exec() then returns its error and the caller
 * discards the step. In one step every read comes before the (single)
 * write, and addresses are already range-checked (addr + len <= 2^32,
 * len > 0).
 */
struct vm_host {
	void *ctx;
	bool (*read)(void *ctx, uint8_t *out, uint32_t addr, uint32_t len);
	bool (*write)(void *ctx, uint32_t addr, const uint8_t *in,
		      uint32_t len);
	/* *data (borrowed until the step ends) for keccak256 == key */
	bool (*preimage)(void *ctx, const uint8_t **data, size_t *len,
			 const uint8_t key[32]);
	/* may be NULL: told the bytes of each output write */
	void (*output)(void *ctx, const uint8_t *data, uint32_t len);
};

/*
 * Execute one step of `cpu` over `h`. A halted cpu is left alone.
 * Returns VM_OK (stepped, or halted already), VM_E_PREIMAGE when the
 * preimage callback failed, VM_E_MISMATCH when read or write failed. On
 * an error the cpu may be partly updated: discard it.
 */
CL_WUR int vm_exec(struct vm_cpu *cpu, const struct vm_host *h);

/* Offset of the status byte in the state preimage (the exit code's 8
 * bytes follow it). */
#define VM_STATE_STATUS_OFF (32 + 32 + 8 + 8)

/*
 * The verdict a state hash carries in its first byte (docs/vm.md "State
 * hash"), so that a contract reads from a claimed hash alone whether the
 * claimed machine halted and how: a dispute about a program that exits
 * 0 for "the posted root is right" and 1 for "wrong" is decided on it.
 */
enum vm_verdict {
	VM_VERDICT_VALID = 0,	/* exited with code 0 */
	VM_VERDICT_INVALID = 1, /* exited with code 1 */
	VM_VERDICT_OTHER = 2,	/* exited with another code, or faulted */
	VM_VERDICT_RUNNING = 3, /* has not halted */
};
enum vm_verdict vm_verdict_of(uint8_t status, uint64_t exit_code);

/* The state preimage (VM_STATE_BYTES, docs/vm.md). */
void vm_state_encode(uint8_t out[VM_STATE_BYTES], const struct vm_cpu *cpu,
		     const struct cl_hash32 *mem_root);
/* The state hash of a preimage: keccak256 with the first byte replaced
 * by the verdict the preimage's status and exit code give. */
void vm_state_commit(struct cl_hash32 *out,
		     const uint8_t state[VM_STATE_BYTES]);
void vm_state_hash_of(struct cl_hash32 *out, const struct vm_cpu *cpu,
		      const struct cl_hash32 *mem_root);

/* ------------------------------------------------------------------ */
/* The machine                                                         */
/* ------------------------------------------------------------------ */

struct vm_machine;

/* A fresh machine: zero memory, registers and pc, status running. */
struct vm_machine *vm_machine_new(void);
void vm_machine_free(struct vm_machine *m); /* NULL is a no-op */

/* A deep copy (memory, tree, preimages, output): a checkpoint to run on
 * from, e.g. while bisecting. Owned by the caller. */
struct vm_machine *vm_machine_clone(const struct vm_machine *m);

/*
 * Load an ELF64 little-endian RISC-V executable (hostile bytes, borrowed)
 * into a fresh machine: copies every PT_LOAD segment and sets pc to the
 * entry point. The rules are in docs/vm.md "Programs".
 * Every header is checked before anything is copied.
 * Returns VM_OK, or VM_E_ELF (the machine is unchanged).
 */
CL_WUR int vm_load_elf(struct vm_machine *m, const uint8_t *elf, size_t len);

/* The processor state, for reading and for setting up tests. Changes are
 * seen by the next step and the next hash. */
struct vm_cpu *vm_machine_cpu(struct vm_machine *m);

/* Copy memory out / in (host side; writes mark the pages dirty). Fail
 * when [addr, addr + len) does not fit under 2^32. */
CL_WUR bool vm_mem_read(struct vm_machine *m, uint8_t *out, uint64_t addr,
			size_t len);
CL_WUR bool vm_mem_write(struct vm_machine *m, uint64_t addr,
			 const uint8_t *in, size_t len);

/* Give the machine a preimage (copied), found later by its keccak256.
 * Returns false (nothing stored) when len > VM_PREIMAGE_MAX: a step could
 * not prove reading it. */
CL_WUR bool vm_preimage_add(struct vm_machine *m, const uint8_t *data,
			    size_t len);

/* The bytes written by VM_ECALL_WRITE so far (borrowed, valid until the
 * next step). */
const uint8_t *vm_output(const struct vm_machine *m, size_t *len);

/*
 * One step. Returns VM_OK, VM_E_HALTED (nothing done) or VM_E_PREIMAGE
 * (the step reads a preimage the machine was not given; nothing done).
 */
CL_WUR int vm_step(struct vm_machine *m);

/*
 * Up to max_steps steps; *ran gets how many ran. Returns VM_OK when the
 * budget ran out or the machine halted, or VM_E_PREIMAGE.
 */
CL_WUR int vm_run(struct vm_machine *m, uint64_t max_steps, uint64_t *ran);

/* The memory root and the state hash (rehashes what changed). */
void vm_mem_root(struct vm_machine *m, struct cl_hash32 *out);
void vm_state_hash(struct vm_machine *m, struct cl_hash32 *out);

/*
 * Append the proof of the NEXT step (the machine is not advanced) to
 * `out`, in the encoding of docs/vm.md. Returns VM_OK or VM_E_PREIMAGE
 * (nothing appended).
 */
CL_WUR int vm_step_proof(struct vm_machine *m, struct cl_buf *out);

/* ------------------------------------------------------------------ */
/* Proofs and the one-step verifier                                    */
/* ------------------------------------------------------------------ */

/* One proven run of memory leaves, borrowed from the proof bytes. */
struct vm_range {
	uint32_t first_leaf; /* address / 32 of the first leaf */
	uint32_t nwords;     /* 1..VM_RANGE_MAX_WORDS leaves */
	const uint8_t *words;	 /* nwords * 32 bytes */
	const uint8_t *siblings; /* nsib * 32 bytes, docs/vm.md order */
	uint32_t nsib;
};

struct vm_proof {
	const uint8_t *state; /* VM_STATE_BYTES: the pre-state preimage */
	struct vm_cpu cpu;
	struct cl_hash32 mem_root;
	uint32_t nranges;
	struct vm_range range[VM_PROOF_MAX_RANGES];
	bool has_preimage;
	const uint8_t *preimage;
	uint32_t preimage_len;
};

/* How many sibling hashes prove the leaves first..last (inclusive). */
uint32_t vm_range_nsib(uint32_t first, uint32_t last);

/*
 * Strict decoding (borrows `p`): the canonical encoding only, every
 * length bounded, no trailing bytes. Returns true, or false with *out
 * zeroed.
 */
CL_WUR bool vm_proof_decode(struct vm_proof *out, const uint8_t *p,
			    size_t len);

/*
 * The one-step verifier: from the proof alone, check it proves the state
 * `pre` and execute its one step.
 *
 * post: out: the state hash after the step; zeroed on failure.
 * Returns VM_OK, VM_E_PROOF (does not decode), VM_E_PRE_STATE (not the
 * state `pre`), VM_E_MEMORY (a range does not prove against the memory
 * root), VM_E_MISMATCH (the ranges or the preimage are not exactly those
 * the step uses).
 */
CL_WUR int vm_step_verify(struct cl_hash32 *post, const struct cl_hash32 *pre,
			  const uint8_t *proof, size_t len);

/* ------------------------------------------------------------------ */
/* Booting a program on an input (docs/vm.md "Booting")                */
/* ------------------------------------------------------------------ */

/* The host writes the 32-byte key of the program's input here. */
#define VM_BOOT_ADDR 0x1000u
/* Tree levels from the boot page's root up to the memory root. */
#define VM_BOOT_NSIB (VM_TREE_DEPTH - VM_PAGE_DEPTH)

/*
 * What an L1 contract needs to compute a program's initial state hash
 * for any input key without the image: the entry point and the hashes
 * beside the path from the boot page to the memory root (sib[0] is the
 * boot page's sibling, sib[VM_BOOT_NSIB - 1] the root's child).
 */
struct vm_image_id {
	uint64_t entry;
	struct cl_hash32 sib[VM_BOOT_NSIB];
};

/*
 * The image id of a machine that vm_load_elf() has just loaded: nothing
 * stepped, every register zero, no output, and the boot page (bytes
 * [VM_BOOT_ADDR, VM_BOOT_ADDR + 4096)) all zero, so that the key is the
 * only thing in it. Returns VM_OK or VM_E_BOOT (out zeroed).
 */
CL_WUR int vm_image_id(struct vm_machine *m, struct vm_image_id *out);

/*
 * The state hash of the image booted on `key`, from the id alone: the
 * same as vm_boot() then vm_state_hash() on the machine. This is the
 * formula the rollup's program contract evaluates on L1.
 */
void vm_boot_hash(struct cl_hash32 *out, const struct vm_image_id *id,
		  const struct cl_hash32 *key);

/* Write `key` at VM_BOOT_ADDR of a machine vm_image_id() accepts.
 * Returns VM_OK or VM_E_BOOT (nothing written). */
CL_WUR int vm_boot(struct vm_machine *m, const struct cl_hash32 *key);

#endif /* CLEARLINE_VM_H */
