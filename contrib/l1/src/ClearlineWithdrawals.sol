// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineRollupBase, IClearlineCollateral} from "./ClearlineRollupBase.sol";

/// @title ClearlineWithdrawals
/// @notice Withdrawal claims against a final batch's withdrawal root,
///         and the ether credited from bonds and fees.
abstract contract ClearlineWithdrawals is ClearlineRollupBase {
    // ------------------------------------------------------------------
    // Withdrawals
    // ------------------------------------------------------------------

    /// @notice Pays withdrawal `withdrawalId` of `amount` to `recipient`,
    ///         proven against the withdrawal root of final batch `batchIndex`.
    ///         Anyone may submit the claim; the tokens go to `recipient`.
    /// @dev Leaf: keccak256(0x00 ‖ path ‖ keccak256(recipient ‖ amount)) with
    ///      path = keccak256(uint8(5) ‖ uint64 withdrawalId); inner node:
    ///      keccak256(0x01 ‖ left ‖ right); siblings[0] is next to the root,
    ///      the leaf sits at depth siblings.length; path bit i (MSB first)
    ///      chooses the side at depth i, 1 = right.
    /// @param batchIndex A final batch.
    /// @param rec Its record (from BatchAppended), for the withdrawal root.
    /// @param withdrawalId The L2 withdrawal id; each id is paid once.
    /// @param recipient L1 receiver of the tokens.
    /// @param amount Amount in the token's smallest unit.
    /// @param siblings Sibling hashes from the root's children down to the leaf.
    function claimWithdrawal(
        uint64 batchIndex,
        BatchRecord calldata rec,
        uint64 withdrawalId,
        address recipient,
        uint64 amount,
        bytes32[] calldata siblings
    ) external {
        if (!isFinal(batchIndex)) revert BatchNotFinal(batchIndex);
        if (_commitments[batchIndex] != _commit(rec)) revert InvalidBatchRecord(batchIndex);
        if (siblings.length > MAX_PROOF_DEPTH) revert ProofTooLong(siblings.length);
        uint256 word = withdrawalId >> 8;
        uint256 mask = uint256(1) << (withdrawalId & 0xff);
        uint256 claimed = _claimedWords[word];
        if (claimed & mask != 0) revert WithdrawalAlreadyClaimed(withdrawalId);

        bytes32 path = keccak256(abi.encodePacked(WITHDRAWAL_TABLE_ID, withdrawalId));
        bytes32 h = _hashLeaf(path, keccak256(abi.encodePacked(recipient, amount)));
        for (uint256 i = siblings.length; i > 0;) {
            unchecked {
                --i;
            }
            if ((uint256(path) >> (255 - i)) & 1 == 1) {
                h = _hashNode(siblings[i], h);
            } else {
                h = _hashNode(h, siblings[i]);
            }
        }
        if (h != rec.withdrawalRoot) revert InvalidWithdrawalProof();

        _claimedWords[word] = claimed | mask;
        emit WithdrawalClaimed(withdrawalId, batchIndex, recipient, amount);

        _callToken(abi.encodeCall(IClearlineCollateral.transfer, (recipient, uint256(amount))));
    }

    /// @notice Whether withdrawal `withdrawalId` has been paid.
    function isWithdrawalClaimed(uint64 withdrawalId) external view returns (bool) {
        return _claimedWords[withdrawalId >> 8] & (uint256(1) << (withdrawalId & 0xff)) != 0;
    }

    /// @notice Pays the caller's bond credit in ether.
    function withdrawBondCredit() external {
        uint256 amount = bondCredit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        bondCredit[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert EtherTransferFailed();
    }

    // ------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------

    function _hashLeaf(bytes32 path, bytes32 valueHash) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x00)
            mstore(add(p, 1), path)
            mstore(add(p, 33), valueHash)
            h := keccak256(p, 65)
        }
    }

    function _hashNode(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            h := keccak256(p, 65)
        }
    }
}
