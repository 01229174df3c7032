// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ClearlineStep: the fault-proof VM's one-step verifier on L1.
/// @notice step(pre, proof) executes exactly one step of the RV64IM
/// machine of docs/vm.md from a one-step proof and returns the post-state
/// hash; it reverts where the C reference vm_step_verify() (src/vm)
/// refuses, with the error of the same name (BadProof = VM_E_PROOF,
/// PreState = VM_E_PRE_STATE, Memory = VM_E_MEMORY, Mismatch =
/// VM_E_MISMATCH). The proof's preimage (if any) comes with the proof, as
/// in the C verifier. Stateless and pure.
contract ClearlineStep {
	uint256 private constant STATE_BYTES = 337;
	uint256 private constant TREE_DEPTH = 27;
	uint256 private constant MAX_WORDS = 65;
	uint256 private constant IO_MAX = 2048;
	uint256 private constant KECCAK_MAX = 2048;
	uint256 private constant PREIMAGE_MAX = 1 << 20;
	uint256 private constant ADDR_LIMIT = 1 << 32;
	uint256 private constant M64 = type(uint64).max;
	uint256 private constant MIN64 = 1 << 63;

	// secp256k1's group order n and n / 2 (low-S bound, EIP-2).
	uint256 private constant N =
		0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
	uint256 private constant HALF_N =
		0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

	// status and fault codes
	uint256 private constant RUNNING = 0;
	uint256 private constant EXITED = 1;
	uint256 private constant FAULTED = 2;
	uint256 private constant F_ILLEGAL = 1;
	uint256 private constant F_PC_RANGE = 2;
	uint256 private constant F_PC_MISALIGNED = 3;
	uint256 private constant F_ADDR_RANGE = 4;
	uint256 private constant F_MISALIGNED = 5;
	uint256 private constant F_BAD_ECALL = 6;
	uint256 private constant F_ECALL_LENGTH = 7;
	uint256 private constant F_EBREAK = 8;

	// ops, numbered as enum vm_op
	uint256 private constant OP_LUI = 1;
	uint256 private constant OP_AUIPC = 2;
	uint256 private constant OP_JAL = 3;
	uint256 private constant OP_JALR = 4;
	uint256 private constant OP_BEQ = 5; // .. OP_BGEU = 10
	uint256 private constant OP_LB = 11; // .. OP_LWU = 17
	uint256 private constant OP_SB = 18; // .. OP_SD = 21
	uint256 private constant OP_ADDI = 22;
	uint256 private constant OP_SLLI = 28;
	uint256 private constant OP_SRLI = 29;
	uint256 private constant OP_SRAI = 30;
	uint256 private constant OP_ADD = 31;
	uint256 private constant OP_MUL = 41;
	uint256 private constant OP_ADDIW = 49;
	uint256 private constant OP_SLLIW = 50;
	uint256 private constant OP_SRLIW = 51;
	uint256 private constant OP_SRAIW = 52;
	uint256 private constant OP_ADDW = 53;
	uint256 private constant OP_MULW = 58;
	uint256 private constant OP_FENCE = 63;
	uint256 private constant OP_ECALL = 64;
	uint256 private constant OP_EBREAK = 65;

	error BadProof();
	error PreState();
	error Memory();
	error Mismatch();

	struct Range {
		uint256 first;
		uint256 nwords;
		uint256 wordsOff; // calldata offsets within the proof
		uint256 sibOff;
	}

	struct Ctx {
		uint256[32] x;
		uint256 pc;
		uint256 step;
		uint256 status;
		uint256 exitCode;
		bytes32 outHash;
		bytes32 root;
		Range[4] ranges;
		uint256 nranges;
		uint256 next;
		bool wrote;
		bool hasPre;
		bool usedPre;
		uint256 preOff;
		uint256 preLen;
	}

	/// @notice Execute one step: the post-state hash, or a revert.
	function step(bytes32 pre, bytes calldata proof) external pure returns (bytes32) {
		Ctx memory c;
		decodeProof(c, proof);
		if (withVerdict(keccak256(proof[1:1 + STATE_BYTES]), c) != pre) revert PreState();
		exec(c, proof);
		if (c.next != c.nranges || c.usedPre != c.hasPre) revert Mismatch();
		return stateHash(c);
	}

	// ---------------------------------------------------------------
	// Proof decoding (docs/vm.md "The step proof"), strict

	/// The n-byte (n <= 32) big-endian integer at p[off..]; the caller
	/// has checked the bounds.
	function be(bytes calldata p, uint256 off, uint256 n) private pure returns (uint256 v) {
		v = uint256(bytes32(p[off:off + n])) >> (256 - 8 * n);
	}

	function hashPair(bytes32 l, bytes32 r) private pure returns (bytes32 h) {
		assembly {
			mstore(0, l)
			mstore(32, r)
			h := keccak256(0, 64)
		}
	}

	function nsib(uint256 a, uint256 b) private pure returns (uint256 n) {
		for (uint256 l = 0; l < TREE_DEPTH; l++) {
			n += (a & 1) + (1 - (b & 1));
			a >>= 1;
			b >>= 1;
		}
	}

	function decodeProof(Ctx memory c, bytes calldata p) private pure {
		uint256 len = p.length;
		if (len < 1 + STATE_BYTES || uint8(p[0]) != 1) revert BadProof();
		c.root = bytes32(p[1:33]);
		c.outHash = bytes32(p[33:65]);
		c.pc = be(p, 65, 8);
		c.step = be(p, 73, 8);
		c.status = uint8(p[81]);
		c.exitCode = be(p, 82, 8);
		for (uint256 i = 1; i < 32; i++) c.x[i] = be(p, 90 + 8 * (i - 1), 8);
		if (c.status > FAULTED) revert BadProof();
		if (c.status == RUNNING && c.exitCode != 0) revert BadProof();
		if (c.status == FAULTED && (c.exitCode < F_ILLEGAL || c.exitCode > F_EBREAK)) revert BadProof();

		uint256 o = 1 + STATE_BYTES;
		if (o + 1 > len) revert BadProof();
		c.nranges = uint8(p[o]);
		o += 1;
		if (c.nranges > 4) revert BadProof();
		for (uint256 i = 0; i < c.nranges; i++) {
			if (o + 6 > len) revert BadProof();
			uint256 first = be(p, o, 4);
			uint256 nw = be(p, o + 4, 2);
			o += 6;
			if (nw < 1 || nw > MAX_WORDS || first >= (1 << TREE_DEPTH) || nw > (1 << TREE_DEPTH) - first)
				revert BadProof();
			c.ranges[i] = Range(first, nw, o, o + 32 * nw);
			o += 32 * (nw + nsib(first, first + nw - 1));
			if (o > len) revert BadProof();
		}
		if (o + 1 > len) revert BadProof();
		uint256 flag = uint8(p[o]);
		o += 1;
		if (flag == 1) {
			if (o + 4 > len) revert BadProof();
			c.preLen = be(p, o, 4);
			o += 4;
			if (c.preLen > PREIMAGE_MAX) revert BadProof();
			c.hasPre = true;
			c.preOff = o;
			o += c.preLen;
		} else if (flag != 0) {
			revert BadProof();
		}
		if (o != len) revert BadProof();
	}

	// ---------------------------------------------------------------
	// Memory through the proof's ranges

	/// The root of the tree whose leaves r.first.. are `words`, the rest
	/// given by the range's siblings.
	function rangeRoot(Range memory r, bytes memory words, bytes calldata p) private pure returns (bytes32) {
		bytes32[] memory buf = new bytes32[](r.nwords + 2);
		uint256 n = r.nwords;
		uint256 a = r.first;
		uint256 b = r.first + n - 1;
		uint256 s = r.sibOff;
		for (uint256 i = 0; i < n; i++) {
			bytes32 w;
			assembly {
				w := mload(add(add(words, 32), mul(i, 32)))
			}
			buf[i] = w;
		}
		for (uint256 l = 0; l < TREE_DEPTH; l++) {
			if (a & 1 == 1) {
				for (uint256 i = n; i > 0; i--) buf[i] = buf[i - 1];
				buf[0] = bytes32(p[s:s + 32]);
				s += 32;
				n++;
			}
			if (b & 1 == 0) {
				buf[n] = bytes32(p[s:s + 32]);
				s += 32;
				n++;
			}
			for (uint256 i = 0; i < n / 2; i++) buf[i] = hashPair(buf[2 * i], buf[2 * i + 1]);
			n /= 2;
			a >>= 1;
			b >>= 1;
		}
		return buf[0];
	}

	/// The next range, which must cover exactly the leaves of
	/// [addr, addr + len) and prove against the current root; its words.
	function take(Ctx memory c, bytes calldata p, uint256 addr, uint256 len)
		private
		pure
		returns (Range memory r, bytes memory words)
	{
		if (c.wrote || c.next >= c.nranges) revert Mismatch();
		r = c.ranges[c.next++];
		uint256 first = addr / 32;
		uint256 last = (addr + len - 1) / 32;
		if (r.first != first || r.nwords != last - first + 1) revert Mismatch();
		words = p[r.wordsOff:r.wordsOff + 32 * r.nwords];
		if (rangeRoot(r, words, p) != c.root) revert Memory();
	}

	function memRead(Ctx memory c, bytes calldata p, uint256 addr, uint256 len) private pure returns (bytes memory out) {
		(Range memory r, bytes memory words) = take(c, p, addr, len);
		out = new bytes(len);
		uint256 base = addr - r.first * 32;
		for (uint256 i = 0; i < len; i++) out[i] = words[base + i];
	}

	function memWrite(Ctx memory c, bytes calldata p, uint256 addr, bytes memory data) private pure {
		(Range memory r, bytes memory words) = take(c, p, addr, data.length);
		uint256 base = addr - r.first * 32;
		for (uint256 i = 0; i < data.length; i++) words[base + i] = data[i];
		c.root = rangeRoot(r, words, p);
		c.wrote = true;
	}

	function le(bytes memory b) private pure returns (uint256 v) {
		for (uint256 i = b.length; i > 0; i--) v = (v << 8) | uint8(b[i - 1]);
	}

	function leBytes(uint256 v, uint256 n) private pure returns (bytes memory b) {
		b = new bytes(n);
		for (uint256 i = 0; i < n; i++) {
			b[i] = bytes1(uint8(v));
			v >>= 8;
		}
	}

	function inRange(uint256 addr, uint256 len) private pure returns (bool) {
		return addr < ADDR_LIMIT && len <= ADDR_LIMIT - addr;
	}

	// ---------------------------------------------------------------
	// Numbers

	function sext(uint256 v, uint256 bits) private pure returns (uint256) {
		unchecked {
			v &= (1 << bits) - 1;
			uint256 m = 1 << (bits - 1);
			return ((v ^ m) - m) & M64;
		}
	}

	function s64(uint256 v) private pure returns (int256) {
		return int256(int64(uint64(v)));
	}

	function u64(int256 v) private pure returns (uint256) {
		return uint256(v) & M64;
	}

	function sext32(uint256 v) private pure returns (uint256) {
		return u64(int256(int32(uint32(v))));
	}

	function alu(uint256 op, uint256 a, uint256 b) private pure returns (uint256) {
		unchecked {
			if (op == 31 || op == 22) return (a + b) & M64; // add, addi
			if (op == 32) return (a - b) & M64; // sub
			if (op == 33 || op == 28) return (a << (b & 63)) & M64; // sll, slli
			if (op == 34 || op == 23) return s64(a) < s64(b) ? 1 : 0; // slt, slti
			if (op == 35 || op == 24) return a < b ? 1 : 0; // sltu, sltiu
			if (op == 36 || op == 25) return a ^ b; // xor, xori
			if (op == 37 || op == 29) return a >> (b & 63); // srl, srli
			if (op == 38 || op == 30) return u64(s64(a) >> (b & 63)); // sra, srai
			if (op == 39 || op == 26) return a | b; // or, ori
			if (op == 40 || op == 27) return a & b; // and, andi
			if (op == 41) return (a * b) & M64; // mul
			if (op == 42) return u64((s64(a) * s64(b)) >> 64); // mulh
			if (op == 43) return u64((s64(a) * int256(b)) >> 64); // mulhsu
			if (op == 44) return (a * b) >> 64; // mulhu
			if (op == 45) {
				// div
				if (b == 0) return M64;
				if (a == MIN64 && b == M64) return a;
				return u64(s64(a) / s64(b));
			}
			if (op == 46) return b == 0 ? M64 : a / b; // divu
			if (op == 47) {
				// rem
				if (b == 0) return a;
				if (a == MIN64 && b == M64) return 0;
				return u64(s64(a) % s64(b));
			}
			if (op == 48) return b == 0 ? a : a % b; // remu
			if (op == 53 || op == 49) return sext32(a + b); // addw, addiw
			if (op == 54) return sext32(a - b); // subw
			if (op == 55 || op == 50) return sext32(uint32(a) << uint32(b & 31)); // sllw, slliw
			if (op == 56 || op == 51) return sext32(uint32(a) >> uint32(b & 31)); // srlw, srliw
			if (op == 57 || op == 52) return u64(int256(int32(uint32(a)) >> uint32(b & 31))); // sraw, sraiw
			if (op == 58) return sext32(a * b); // mulw
			int256 x = int256(int32(uint32(a)));
			int256 y = int256(int32(uint32(b)));
			if (op == 59) {
				// divw
				if (y == 0) return M64;
				if (x == type(int32).min && y == -1) return u64(x);
				return u64(x / y);
			}
			if (op == 60) return uint32(b) == 0 ? M64 : sext32(uint32(a) / uint32(b)); // divuw
			if (op == 61) {
				// remw
				if (y == 0) return u64(x);
				if (x == type(int32).min && y == -1) return 0;
				return u64(x % y);
			}
			// remuw
			return uint32(b) == 0 ? sext32(a) : sext32(uint32(a) % uint32(b));
		}
	}

	// ---------------------------------------------------------------
	// The decoder (src/vm/decode.c)

	struct Insn {
		uint256 op;
		uint256 rd;
		uint256 rs1;
		uint256 rs2;
		uint256 imm; // sign-extended to 64 bits
	}

	function decode(uint256 w) private pure returns (Insn memory d) {
		uint256 opc = w & 0x7f;
		uint256 f3 = (w >> 12) & 7;
		uint256 f7 = w >> 25;
		d.rd = (w >> 7) & 0x1f;
		d.rs1 = (w >> 15) & 0x1f;
		d.rs2 = (w >> 20) & 0x1f;
		if (opc == 0x37 || opc == 0x17 || opc == 0x6f) {
			d.rs1 = 0;
			d.rs2 = 0;
			if (opc == 0x6f) {
				d.imm = sext(
					(((w >> 31) & 1) << 20) | (((w >> 12) & 0xff) << 12) | (((w >> 20) & 1) << 11) |
						(((w >> 21) & 0x3ff) << 1),
					21
				);
				d.op = OP_JAL;
			} else {
				d.imm = sext(w & 0xfffff000, 32);
				d.op = opc == 0x37 ? OP_LUI : OP_AUIPC;
			}
		} else if (opc == 0x67) {
			d.rs2 = 0;
			d.imm = sext(w >> 20, 12);
			d.op = f3 == 0 ? OP_JALR : 0;
		} else if (opc == 0x63) {
			d.rd = 0;
			d.imm = sext(
				(((w >> 31) & 1) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3f) << 5) |
					(((w >> 8) & 0xf) << 1),
				13
			);
			// beq bne - - blt bge bltu bgeu
			d.op = f3 == 2 || f3 == 3 ? 0 : (f3 < 2 ? OP_BEQ + f3 : OP_BEQ + f3 - 2);
		} else if (opc == 0x03) {
			d.rs2 = 0;
			d.imm = sext(w >> 20, 12);
			d.op = f3 == 7 ? 0 : OP_LB + f3;
		} else if (opc == 0x23) {
			d.rd = 0;
			d.imm = sext(((w >> 25) << 5) | ((w >> 7) & 0x1f), 12);
			d.op = f3 > 3 ? 0 : OP_SB + f3;
		} else if (opc == 0x13) {
			d.rs2 = 0;
			if (f3 == 1 || f3 == 5) {
				uint256 f6 = w >> 26;
				d.imm = (w >> 20) & 0x3f;
				if (f3 == 1) d.op = f6 == 0 ? OP_SLLI : 0;
				else d.op = f6 == 0 ? OP_SRLI : (f6 == 0x10 ? OP_SRAI : 0);
			} else {
				d.imm = sext(w >> 20, 12);
				// addi - slti sltiu xori - ori andi
				uint8[8] memory t = [22, 0, 23, 24, 25, 0, 26, 27];
				d.op = t[f3];
			}
		} else if (opc == 0x1b) {
			d.rs2 = 0;
			if (f3 == 0) {
				d.imm = sext(w >> 20, 12);
				d.op = OP_ADDIW;
			} else {
				d.imm = (w >> 20) & 0x1f;
				if (f3 == 1 && f7 == 0) d.op = OP_SLLIW;
				else if (f3 == 5 && f7 == 0) d.op = OP_SRLIW;
				else if (f3 == 5 && f7 == 0x20) d.op = OP_SRAIW;
			}
		} else if (opc == 0x33) {
			if (f7 == 0) {
				// add sll slt sltu xor srl or and
				uint8[8] memory t = [31, 33, 34, 35, 36, 37, 39, 40];
				d.op = t[f3];
			} else if (f7 == 1) {
				d.op = OP_MUL + f3;
			} else if (f7 == 0x20 && f3 == 0) {
				d.op = 32;
			} else if (f7 == 0x20 && f3 == 5) {
				d.op = 38;
			}
		} else if (opc == 0x3b) {
			if (f7 == 0) {
				if (f3 == 0) d.op = OP_ADDW;
				else if (f3 == 1) d.op = 55;
				else if (f3 == 5) d.op = 56;
			} else if (f7 == 0x20) {
				if (f3 == 0) d.op = 54;
				else if (f3 == 5) d.op = 57;
			} else if (f7 == 1) {
				if (f3 == 0) d.op = OP_MULW;
				else if (f3 >= 4) d.op = 59 + f3 - 4;
			}
		} else if (opc == 0x0f) {
			if (f3 == 0 && d.rd == 0 && d.rs1 == 0) {
				d.rs2 = 0;
				d.op = OP_FENCE;
			}
		} else if (opc == 0x73) {
			d.rd = 0;
			d.rs1 = 0;
			d.rs2 = 0;
			if (w == 0x73) d.op = OP_ECALL;
			else if (w == 0x00100073) d.op = OP_EBREAK;
		}
		if (d.op == 0) {
			d.rd = 0;
			d.rs1 = 0;
			d.rs2 = 0;
			d.imm = 0;
		}
	}

	// ---------------------------------------------------------------
	// Execution (src/vm/exec.c)

	function fault(Ctx memory c, uint256 code) private pure {
		c.status = FAULTED;
		c.exitCode = code;
	}

	function setRd(Ctx memory c, uint256 rd, uint256 v) private pure {
		if (rd != 0) c.x[rd] = v;
	}

	function exec(Ctx memory c, bytes calldata p) private pure {
		if (c.status != RUNNING) return;
		if (c.pc >= ADDR_LIMIT) {
			fault(c, F_PC_RANGE);
		} else if (c.pc % 4 != 0) {
			fault(c, F_PC_MISALIGNED);
		} else {
			Insn memory d = decode(le(memRead(c, p, c.pc, 4)));
			execInsn(c, p, d);
		}
		c.step = (c.step + 1) & M64;
	}

	function execInsn(Ctx memory c, bytes calldata p, Insn memory d) private pure {
		uint256 op = d.op;
		uint256 a = c.x[d.rs1];
		uint256 b = c.x[d.rs2];
		uint256 pc = c.pc;
		if (op == 0) return fault(c, F_ILLEGAL);
		if (op == OP_EBREAK) return fault(c, F_EBREAK);
		if (op == OP_ECALL) return ecall(c, p);
		if (op == OP_LUI) {
			setRd(c, d.rd, d.imm);
		} else if (op == OP_AUIPC) {
			setRd(c, d.rd, (pc + d.imm) & M64);
		} else if (op == OP_JAL) {
			setRd(c, d.rd, (pc + 4) & M64);
			c.pc = (pc + d.imm) & M64;
			return;
		} else if (op == OP_JALR) {
			setRd(c, d.rd, (pc + 4) & M64);
			c.pc = ((a + d.imm) & M64) & ~uint256(1);
			return;
		} else if (op >= OP_BEQ && op < OP_LB) {
			c.pc = branchTaken(op, a, b) ? (pc + d.imm) & M64 : (pc + 4) & M64;
			return;
		} else if (op >= OP_LB && op < OP_SB) {
			return load(c, p, d);
		} else if (op >= OP_SB && op < OP_ADDI) {
			return store(c, p, d);
		} else if (op == OP_FENCE) {
			// nothing
		} else if ((op >= OP_ADDI && op <= OP_SRAI) || (op >= OP_ADDIW && op <= OP_SRAIW)) {
			setRd(c, d.rd, alu(op, a, d.imm));
		} else {
			setRd(c, d.rd, alu(op, a, b));
		}
		c.pc = (pc + 4) & M64;
	}

	function branchTaken(uint256 op, uint256 a, uint256 b) private pure returns (bool) {
		if (op == 5) return a == b;
		if (op == 6) return a != b;
		if (op == 7) return s64(a) < s64(b);
		if (op == 8) return s64(a) >= s64(b);
		if (op == 9) return a < b;
		return a >= b;
	}

	// lb lh lw ld lbu lhu lwu / sb sh sw sd
	function memSize(uint256 op) private pure returns (uint256) {
		if (op >= OP_SB) return 1 << (op - OP_SB);
		if (op >= 15) return 1 << (op - 15);
		return 1 << (op - OP_LB);
	}

	function load(Ctx memory c, bytes calldata p, Insn memory d) private pure {
		uint256 n = memSize(d.op);
		uint256 addr = (c.x[d.rs1] + d.imm) & M64;
		if (!inRange(addr, n)) return fault(c, F_ADDR_RANGE);
		if (addr % n != 0) return fault(c, F_MISALIGNED);
		uint256 v = le(memRead(c, p, addr, n));
		if (d.op < 15 && n < 8) v = sext(v, 8 * n); // lb lh lw
		setRd(c, d.rd, v);
		c.pc = (c.pc + 4) & M64;
	}

	function store(Ctx memory c, bytes calldata p, Insn memory d) private pure {
		uint256 n = memSize(d.op);
		uint256 addr = (c.x[d.rs1] + d.imm) & M64;
		if (!inRange(addr, n)) return fault(c, F_ADDR_RANGE);
		if (addr % n != 0) return fault(c, F_MISALIGNED);
		memWrite(c, p, addr, leBytes(c.x[d.rs2], n));
		c.pc = (c.pc + 4) & M64;
	}

	// ---------------------------------------------------------------
	// ecalls (docs/vm.md "Ecalls")

	function ecall(Ctx memory c, bytes calldata p) private pure {
		uint256 num = c.x[17];
		if (num == 0) {
			c.status = EXITED;
			c.exitCode = c.x[10];
			return;
		}
		if (num == 1) ecallPreimage(c, p);
		else if (num == 2) ecallWrite(c, p);
		else if (num == 3) ecallKeccak(c, p);
		else if (num == 4) ecallEcrecover(c, p);
		else return fault(c, F_BAD_ECALL);
		if (c.status == RUNNING) c.pc = (c.pc + 4) & M64;
	}

	function ecallPreimage(Ctx memory c, bytes calldata p) private pure {
		uint256 keyp = c.x[10];
		uint256 off = c.x[11];
		uint256 dst = c.x[12];
		if (!inRange(keyp, 32)) return fault(c, F_ADDR_RANGE);
		bytes32 key = bytes32(memRead(c, p, keyp, 32));
		if (!c.hasPre || c.usedPre) revert Mismatch();
		bytes calldata data = p[c.preOff:c.preOff + c.preLen];
		if (keccak256(data) != key) revert Mismatch();
		c.usedPre = true;
		uint256 n = off < data.length ? data.length - off : 0;
		if (n > c.x[13]) n = c.x[13];
		if (n > IO_MAX) n = IO_MAX;
		if (n > 0 && !inRange(dst, n)) return fault(c, F_ADDR_RANGE);
		if (n > 0) memWrite(c, p, dst, data[off:off + n]);
		c.x[10] = n;
		c.x[11] = data.length;
	}

	function ecallWrite(Ctx memory c, bytes calldata p) private pure {
		uint256 ptr = c.x[10];
		uint256 len = c.x[11];
		if (len > IO_MAX) return fault(c, F_ECALL_LENGTH);
		if (!inRange(ptr, len)) return fault(c, F_ADDR_RANGE);
		bytes memory data = len > 0 ? memRead(c, p, ptr, len) : new bytes(0);
		c.outHash = keccak256(abi.encodePacked(c.outHash, data));
		c.x[10] = len;
	}

	function ecallKeccak(Ctx memory c, bytes calldata p) private pure {
		uint256 ptr = c.x[10];
		uint256 len = c.x[11];
		uint256 out = c.x[12];
		if (len > KECCAK_MAX) return fault(c, F_ECALL_LENGTH);
		if (!inRange(ptr, len) || !inRange(out, 32)) return fault(c, F_ADDR_RANGE);
		bytes memory data = len > 0 ? memRead(c, p, ptr, len) : new bytes(0);
		memWrite(c, p, out, abi.encodePacked(keccak256(data)));
		c.x[10] = 0;
	}

	function ecallEcrecover(Ctx memory c, bytes calldata p) private pure {
		uint256 hp = c.x[10];
		uint256 sp = c.x[11];
		uint256 out = c.x[12];
		if (!inRange(hp, 32) || !inRange(sp, 65) || !inRange(out, 20)) return fault(c, F_ADDR_RANGE);
		bytes32 digest = bytes32(memRead(c, p, hp, 32));
		bytes memory sig = memRead(c, p, sp, 65);
		address signer = recover(digest, sig);
		memWrite(c, p, out, abi.encodePacked(signer));
		c.x[10] = signer == address(0) ? 0 : 1;
	}

	/// cl_sig_recover()'s rules (docs/crypto.md), then the precompile.
	function recover(bytes32 digest, bytes memory sig) private pure returns (address) {
		bytes32 r;
		bytes32 s;
		assembly {
			r := mload(add(sig, 32))
			s := mload(add(sig, 64))
		}
		uint8 v = uint8(sig[64]);
		if (v == 0 || v == 1) v += 27;
		if (v != 27 && v != 28) return address(0);
		if (uint256(r) == 0 || uint256(r) >= N) return address(0);
		if (uint256(s) == 0 || uint256(s) > HALF_N) return address(0);
		return ecrecover(digest, v, r, s);
	}

	// ---------------------------------------------------------------
	// The state hash (docs/vm.md "State hash")

	function stateHash(Ctx memory c) private pure returns (bytes32) {
		bytes memory b = abi.encodePacked(
			c.root,
			c.outHash,
			uint64(c.pc),
			uint64(c.step),
			uint8(c.status),
			uint64(c.exitCode)
		);
		// x1..x31, 8 big-endian bytes each: each 32-byte store leaves
		// zeros the next one overwrites; the last one's 24 zeros fall in
		// the room allocated past the end, then the length is cut
		bytes memory regs = new bytes(31 * 8 + 24);
		for (uint256 i = 1; i < 32; i++) {
			uint256 v = c.x[i] << 192;
			assembly {
				mstore(add(add(regs, 32), mul(sub(i, 1), 8)), v)
			}
		}
		assembly {
			mstore(regs, 248)
		}
		return withVerdict(keccak256(abi.encodePacked(b, regs)), c);
	}

	/// A state hash carries the machine's verdict in its first byte
	/// (docs/vm.md "State hash"): 0 exited with code 0, 1 exited with
	/// code 1, 2 exited otherwise or faulted, 3 running.
	function withVerdict(bytes32 h, Ctx memory c) private pure returns (bytes32) {
		uint256 v;
		if (c.status == RUNNING) v = 3;
		else if (c.status == EXITED && c.exitCode == 0) v = 0;
		else if (c.status == EXITED && c.exitCode == 1) v = 1;
		else v = 2;
		return bytes32((uint256(h) & ~(uint256(0xff) << 248)) | (v << 248));
	}

}
