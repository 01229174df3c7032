// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ClearlinePreimages: the fault-proof VM's preimage oracle on L1.
/// @notice Anyone posts a keccak256 preimage of at most MAX_LENGTH bytes;
/// the contract records, under the key keccak256(data), that the bytes
/// were published on L1 and how long they are. The bytes themselves stay
/// in the posting transaction's calldata (16 gas a byte, where storing
/// them would cost 20 000 gas a word): anyone reads them back from the
/// transaction named by the Posted event. The dispute game
/// (ClearlineDispute) executes a preimage-reading step only when the
/// preimage its proof carries is recorded here with the same length
/// (docs/disputes.md "The preimage oracle"). Posting is idempotent and
/// permissionless; nothing is ever removed.
contract ClearlinePreimages {
	/// The longest preimage accepted: 128 KiB, the size of one L1
	/// transaction the public mempools relay.
	uint256 public constant MAX_LENGTH = 128 * 1024;

	// key => length + 1 (0: never posted)
	mapping(bytes32 => uint256) private lengthPlusOne;

	error TooLong(uint256 length, uint256 max);

	event Posted(bytes32 indexed key, uint256 length, address indexed poster);

	/// @notice Publish `data`; returns its key. Posting a known preimage
	/// again changes nothing and emits nothing.
	function post(bytes calldata data) external returns (bytes32 key) {
		if (data.length > MAX_LENGTH) revert TooLong(data.length, MAX_LENGTH);
		key = keccak256(data);
		if (lengthPlusOne[key] != 0) return key;
		lengthPlusOne[key] = data.length + 1;
		emit Posted(key, data.length, msg.sender);
	}

	/// @notice Whether the preimage of `key` was posted, and its length.
	function lengthOf(bytes32 key) external view returns (bool posted, uint256 length) {
		uint256 v = lengthPlusOne[key];
		if (v == 0) return (false, 0);
		return (true, v - 1);
	}
}
