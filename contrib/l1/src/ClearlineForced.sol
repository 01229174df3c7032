// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineRollupBase} from "./ClearlineRollupBase.sol";

/// @title ClearlineForced
/// @notice Forced requests through L1 and the freeze when one is overdue
///         or no batch comes.
abstract contract ClearlineForced is ClearlineRollupBase {
    // ------------------------------------------------------------------
    // Forced requests
    // ------------------------------------------------------------------

    /// @notice Asks L2, from the caller's own address (its L2 account), for
    ///         a forced withdrawal, cancel, cancel-all or reduce-only close.
    ///         msg.value must equal forcedRequestFee.
    /// @dev Emits ForcedRequest with the next sequential id. A batch must
    ///      consume it within forcedRequestDelay; L2 applies it by the rules
    ///      of docs/protocol.md "FORCED", whatever the outcome.
    /// @param kind FORCED_WITHDRAW, FORCED_CANCEL, FORCED_CANCEL_ALL or FORCED_CLOSE.
    /// @param a WITHDRAW: amount (> 0); CANCEL: order sequence; CLOSE: market (32 bits); else 0.
    /// @param b CLOSE: limit price (> 0); else 0.
    /// @return id The forced request id.
    function forceRequest(uint8 kind, uint64 a, uint64 b) external payable returns (uint64 id) {
        if (frozen) revert Frozen();
        if (msg.value != forcedRequestFee) revert WrongForcedFee(msg.value, forcedRequestFee);
        if (kind == FORCED_WITHDRAW) {
            if (a == 0 || b != 0) revert InvalidForcedFields(kind, a, b);
        } else if (kind == FORCED_CANCEL) {
            if (b != 0) revert InvalidForcedFields(kind, a, b);
        } else if (kind == FORCED_CANCEL_ALL) {
            if (a != 0 || b != 0) revert InvalidForcedFields(kind, a, b);
        } else if (kind == FORCED_CLOSE) {
            if (a > type(uint32).max || b == 0) revert InvalidForcedFields(kind, a, b);
        } else {
            revert UnknownForcedKind(kind);
        }
        if (_forcedBlock == block.number) {
            if (_forcedInBlock >= maxForcedPerBlock) revert ForcedBlockLimit(maxForcedPerBlock);
            _forcedInBlock += 1;
        } else {
            _forcedBlock = uint64(block.number);
            _forcedInBlock = 1;
        }

        id = forcedCount;
        _forced[id] = ForcedRecord(msg.sender, kind, uint32(block.timestamp), false, a, b);
        forcedCount = id + 1;
        emit ForcedRequest(id, msg.sender, kind, a, b, uint64(block.timestamp));
    }

    /// @notice Returns forced request `id`.
    /// @param id Forced request id, below forcedCount.
    function forcedRequests(uint64 id)
        external
        view
        returns (address account, uint8 kind, uint64 a, uint64 b, uint64 timestamp, bool feeRefunded)
    {
        if (id >= forcedCount) revert UnknownForcedRequest(id);
        ForcedRecord storage f = _forced[id];
        return (f.account, f.kind, f.a, f.b, f.timestamp, f.feeRefunded);
    }

    /// @notice Latest L1 timestamp at which a batch may still leave the
    ///         oldest unconsumed forced request unconsumed.
    /// @return id The oldest unconsumed forced request (valid if `pending`).
    /// @return deadline Its deadline: a batch appended later must consume it.
    /// @return pending False if every forced request has been consumed.
    function forcedRequestDeadline() external view returns (uint64 id, uint256 deadline, bool pending) {
        id = forcedConsumed;
        if (id >= forcedCount) return (id, 0, false);
        return (id, _forcedDeadline(id), true);
    }

    /// @notice forcedConsumed after live batch `index` (cumulative).
    /// @param index Batch index, below batchCount.
    function forcedConsumedAt(uint64 index) external view returns (uint64) {
        if (index >= batchCount) revert UnknownBatch(index);
        return _forcedAfter(index);
    }

    /// @notice Credits forced request `id`'s fee back to its account (see
    ///         withdrawBondCredit) once a final batch has consumed it.
    ///         Anyone may call it; the credit always goes to the requester.
    /// @param id Forced request id.
    function refundForcedFee(uint64 id) external {
        if (id >= forcedCount) revert UnknownForcedRequest(id);
        ForcedRecord storage f = _forced[id];
        if (f.feeRefunded) revert ForcedFeeAlreadyRefunded(id);
        uint64 finalCount = finalizedBatchCount();
        if (finalCount == 0 || _forcedAfter(finalCount - 1) <= id) revert ForcedRequestNotFinal(id);
        f.feeRefunded = true;
        uint256 fee = forcedRequestFee;
        address account = f.account;
        bondCredit[account] += fee;
        emit ForcedFeeRefunded(id, account, fee);
        emit BondCredited(account, fee);
    }


    /// @notice The earliest L1 time at which freeze() succeeds as things
    ///         stand: the deadline of the oldest unconsumed forced request,
    ///         or maxBatchGap after the last batch (or discard, or the
    ///         deployment), whichever comes first; a call must come later.
    function freezableAt() public view returns (uint256 when) {
        uint256 last = deployTime;
        if (batchCount > 0 && _batchTime(batchCount - 1) > last) last = _batchTime(batchCount - 1);
        if (lastDiscardTime > last) last = lastDiscardTime;
        when = last + maxBatchGap;
        if (forcedConsumed < forcedCount) {
            uint256 d = _forcedDeadline(forcedConsumed);
            if (d < when) when = d;
        }
    }

    /// @notice Freezes the rollup for good. Anyone may call it once a
    ///         forced request is past its deadline unconsumed, or no batch
    ///         came for maxBatchGap seconds (both strictly after the time).
    ///         Afterwards appendBatch, challenge, deposit and forceRequest
    ///         revert Frozen(); the state root of the last batch final now
    ///         is the exit root.
    /// @param rec The record of batch finalizedBatchCount() - 1 (from its
    ///        BatchAppended), for its state root; ignored when no batch is final.
    function freeze(BatchRecord calldata rec) external {
        if (frozen) revert Frozen();
        uint8 reason;
        if (forcedConsumed < forcedCount && block.timestamp > _forcedDeadline(forcedConsumed)) {
            reason = FREEZE_FORCED_OVERDUE;
        } else {
            uint256 when = freezableAt();
            if (block.timestamp <= when) revert NotFreezable(when);
            reason = FREEZE_NO_BATCH;
        }
        uint64 n = finalizedBatchCount();
        bytes32 root;
        if (n > 0) {
            _checkRecord(n - 1, rec);
            root = rec.stateRoot;
        }
        frozen = true;
        exitBatchCount = n;
        frozenAt = uint64(block.timestamp);
        exitRoot = root;
        emit RollupFrozen(n, root, reason);
    }
}
