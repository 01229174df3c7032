// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineRollupBase, IClearlineCollateral} from "./ClearlineRollupBase.sol";

/// @title ClearlineBatches
/// @notice Deposits of collateral and the batch log the sequencer posts.
abstract contract ClearlineBatches is ClearlineRollupBase {
    // ------------------------------------------------------------------
    // Deposits
    // ------------------------------------------------------------------

    /// @notice Deposits `amount` collateral units for L2 account `to`. The
    ///         caller must have approved this contract for at least `amount`.
    /// @dev Emits Deposit with the next sequential id. The sequencer must
    ///      apply deposits in id order within forcedInclusionDelay.
    /// @param to L2 account to credit (not the zero address).
    /// @param amount Amount in the token's smallest unit, 1 .. 2^64 - 1.
    /// @return id The deposit id.
    function deposit(address to, uint256 amount) external returns (uint64 id) {
        if (frozen) revert Frozen();
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint64).max) revert AmountTooLarge(amount, type(uint64).max);

        id = depositCount;
        _deposits[id] = DepositRecord(to, uint64(amount), uint32(block.timestamp));
        depositCount = id + 1;
        emit Deposit(id, to, uint64(amount), uint64(block.timestamp));

        _callToken(abi.encodeCall(IClearlineCollateral.transferFrom, (msg.sender, address(this), amount)));
    }

    /// @notice Returns deposit `id`.
    /// @param id Deposit id, below depositCount.
    /// @return to L2 account credited.
    /// @return amount Amount in the token's smallest unit.
    /// @return timestamp L1 block timestamp of the deposit.
    function deposits(uint64 id) external view returns (address to, uint64 amount, uint64 timestamp) {
        if (id >= depositCount) revert UnknownDeposit(id);
        DepositRecord storage d = _deposits[id];
        return (d.to, d.amount, d.timestamp);
    }

    /// @notice Latest L1 timestamp at which a batch may still leave the
    ///         oldest unconsumed deposit unconsumed.
    /// @return depositId The oldest unconsumed deposit (valid if `pending`).
    /// @return deadline Its deadline: a batch appended at a later timestamp must consume it.
    /// @return pending False if every deposit has been consumed.
    function forcedInclusionDeadline() external view returns (uint64 depositId, uint256 deadline, bool pending) {
        depositId = depositsConsumed;
        if (depositId >= depositCount) return (depositId, 0, false);
        return (depositId, _deadline(depositId), true);
    }

    // ------------------------------------------------------------------
    // Batches
    // ------------------------------------------------------------------

    /// @notice Appends the next batch. Sequencer only.
    /// @dev Only keccak256(batchData) is stored; the data itself stays in
    ///      this transaction's calldata, where verifiers read it.
    /// @param batchData Encoded L2 blocks (1 .. MAX_BATCH_DATA bytes).
    /// @param stateRoot L2 state root after lastBlock.
    /// @param withdrawalRoot Root of the withdrawal proofs for this batch.
    /// @param newDepositsConsumed Cumulative deposits applied on L2 up to and
    ///        including this batch: at least the previous value, at most depositCount,
    ///        and it must include every deposit older than forcedInclusionDelay.
    /// @param firstBlock First L2 block: nextL2Block.
    /// @param lastBlock Last L2 block, >= firstBlock.
    /// @param l1Timestamp Timestamp of the L1 block that lastBlock's header
    ///        names: at most block.timestamp, at least the previous batch's.
    ///        A batch may leave an overdue deposit unconsumed only if it is
    ///        before the deposit's and at most sequencingWindow old.
    /// @param newForcedConsumed Cumulative forced requests applied on L2 up to
    ///        and including this batch: at least the previous value, at most
    ///        forcedCount, and every request older than forcedRequestDelay.
    ///        Asset deposits consumed stay as they were (see
    ///        ClearlineAssets.appendBatchWithAssets).
    function appendBatch(
        bytes calldata batchData,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        uint64 newDepositsConsumed,
        uint64 firstBlock,
        uint64 lastBlock,
        uint64 l1Timestamp,
        uint64 newForcedConsumed
    ) public {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        if (batchData.length == 0) revert EmptyBatchData();
        if (batchData.length > MAX_BATCH_DATA) revert BatchTooLarge(batchData.length, MAX_BATCH_DATA);

        uint64 expectedFirst = nextL2Block;
        if (firstBlock != expectedFirst) revert NonContiguousBlocks(expectedFirst, firstBlock);
        if (lastBlock < firstBlock || lastBlock == type(uint64).max) revert InvalidBlockRange(firstBlock, lastBlock);

        uint64 previous = depositsConsumed;
        uint64 made = depositCount;
        if (newDepositsConsumed < previous) revert DepositsConsumedDecreased(previous, newDepositsConsumed);
        if (newDepositsConsumed > made) revert DepositsConsumedExceedDeposits(newDepositsConsumed, made);
        _checkL1Time(l1Timestamp);
        if (newDepositsConsumed < made) _checkForcedInclusion(newDepositsConsumed, l1Timestamp);

        BatchRecord memory rec = BatchRecord({
            dataHash: keccak256(batchData),
            stateRoot: stateRoot,
            withdrawalRoot: withdrawalRoot,
            prevDepositsConsumed: previous,
            depositsConsumed: newDepositsConsumed,
            firstBlock: firstBlock,
            lastBlock: lastBlock,
            timestamp: uint64(block.timestamp),
            l1Timestamp: l1Timestamp
        });
        uint64 index = batchCount;
        _checkForced(index, newForcedConsumed);
        _checkAssetDeposits(index, l1Timestamp);
        _commitments[index] = _commit(rec);
        batchCount = index + 1;
        depositsConsumed = newDepositsConsumed;
        nextL2Block = lastBlock + 1;
        lastL1Timestamp = l1Timestamp;

        _emitAppended(index, rec);
    }

    /// @dev BatchAppended from the record (a function of its own, to keep
    ///      appendBatch's stack shallow).
    function _emitAppended(uint64 index, BatchRecord memory rec) internal {
        emit BatchAppended(
            index,
            rec.dataHash,
            rec.stateRoot,
            rec.withdrawalRoot,
            rec.prevDepositsConsumed,
            rec.depositsConsumed,
            rec.firstBlock,
            rec.lastBlock,
            rec.timestamp,
            rec.l1Timestamp
        );
    }

    /// @dev The L1 time a batch names: not in the future, not before the
    ///      previous batch's.
    function _checkL1Time(uint64 l1Timestamp) internal view {
        if (l1Timestamp > block.timestamp) revert L1TimestampInFuture(l1Timestamp, block.timestamp);
        uint64 previous = lastL1Timestamp;
        if (l1Timestamp < previous) revert L1TimestampDecreased(previous, l1Timestamp);
    }

    /// @dev The forced-inclusion rule for a batch that leaves deposit `id`
    ///      (the first unconsumed one) unconsumed. Deadlines never decrease
    ///      with the id, so it has the earliest deadline left behind. Past
    ///      the deadline the batch is still allowed when its last block
    ///      could not have seen the deposit: it names an L1 block older than
    ///      the deposit's (equal timestamps are the same Ethereum block), and
    ///      not older than sequencingWindow (docs/l1.md).
    function _checkForcedInclusion(uint64 id, uint64 l1Timestamp) internal view {
        uint256 deadline = _deadline(id);
        if (block.timestamp <= deadline) return;
        if (l1Timestamp >= _deposits[id].timestamp) revert ForcedInclusionViolated(id, deadline);
        if (block.timestamp - l1Timestamp > sequencingWindow) {
            revert L1TimestampTooOld(id, l1Timestamp, block.timestamp - sequencingWindow);
        }
    }

    /// @notice The commitment of a batch record as stored: the top 224 bits
    ///         of keccak256(abi.encode(record)) and the record's timestamp
    ///         in the low 32 bits.
    /// @param rec A batch record.
    /// @return The commitment.
    function commitBatchRecord(BatchRecord calldata rec) external pure returns (bytes32) {
        return _commit(rec);
    }



    /// @notice The commitment of live batch `index` (see commitBatchRecord).
    /// @param index Batch index, below batchCount.
    function batchCommitment(uint64 index) external view returns (bytes32) {
        if (index >= batchCount) revert UnknownBatch(index);
        return _commitments[index];
    }

    /// @notice The L1 timestamp at which live batch `index` was appended.
    /// @param index Batch index, below batchCount.
    function batchTimestamp(uint64 index) external view returns (uint64) {
        if (index >= batchCount) revert UnknownBatch(index);
        return uint64(_batchTime(index));
    }
}
