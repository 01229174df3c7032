// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ClearlineProgram: the initial VM state of one program on any input.
/// @notice A dispute game starts from the state hash of the fault-proof VM
/// (docs/vm.md) right after a program was loaded and booted on the key of
/// its input: the key is written at the boot address 0x1000, the first
/// 32 bytes of a page the image leaves empty. This contract is deployed
/// with the program's image id, as `clearline-vm-image PROGRAM.elf`
/// prints it (the entry point and the 20 hashes beside the boot page's
/// path to the memory root), and computes that state hash for any key
/// from the id alone: the key hashed up its page past zero subtrees, then
/// up the image's own hashes to the memory root, then the state preimage
/// of a machine with every register zero and pc at the entry point
/// (its hash's first byte the verdict "running", 3).
/// `initialState(key)` equals the C VM's `vm_boot_hash()` and the state
/// hash of a real machine booted on `key` (tested on anvil).
contract ClearlineProgram {
	uint256 private constant PAGE_DEPTH = 7;
	uint256 private constant NSIB = 20;
	/// Heap index of the boot page's root in the memory tree (2^20 + 1).
	uint256 private constant BOOT_NODE = (1 << 20) + 1;

	/// The program's entry point.
	uint64 public immutable ENTRY;
	/// keccak256(be64 entry ‖ siblings): names the program.
	bytes32 public immutable PROGRAM_ID;
	/// The hashes beside the boot page's path, from the page's sibling up.
	bytes32[NSIB] private _sib;

	error EntryOutOfRange(uint64 entry);

	constructor(uint64 entry, bytes32[NSIB] memory sibs) {
		if (entry >= (1 << 32) || entry % 4 != 0) revert EntryOutOfRange(entry);
		ENTRY = entry;
		_sib = sibs;
		PROGRAM_ID = keccak256(abi.encodePacked(entry, sibs));
	}

	/// @notice The image id's siblings (for a node to compare with its own).
	function siblings() external view returns (bytes32[NSIB] memory) {
		return _sib;
	}

	/// @notice The VM state hash of the program booted on `key`.
	function initialState(bytes32 key) external view returns (bytes32) {
		bytes32 h = key;
		bytes32 z = bytes32(0);
		for (uint256 i = 0; i < PAGE_DEPTH; i++) {
			h = keccak256(abi.encodePacked(h, z));
			z = keccak256(abi.encodePacked(z, z));
		}
		uint256 g = BOOT_NODE;
		for (uint256 i = 0; i < NSIB; i++) {
			bytes32 s = _sib[i];
			h = (g & 1) == 1 ? keccak256(abi.encodePacked(s, h)) : keccak256(abi.encodePacked(h, s));
			g >>= 1;
		}
		// The 337-byte state preimage: memory root, output hash, pc, step,
		// status, exit code, x1..x31 (docs/vm.md "State hash").
		// Its first byte carries the verdict: 3, running.
		bytes32 state = keccak256(
			abi.encodePacked(h, bytes32(0), ENTRY, uint64(0), uint8(0), uint64(0), new bytes(31 * 8))
		);
		return bytes32((uint256(state) & ~(uint256(0xff) << 248)) | (uint256(3) << 248));
	}
}
