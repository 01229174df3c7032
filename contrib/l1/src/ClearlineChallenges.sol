// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineRollupBase} from "./ClearlineRollupBase.sol";

/// @title ClearlineChallenges
/// @notice Challenges against batches that are not final yet.
abstract contract ClearlineChallenges is ClearlineRollupBase {
    // ------------------------------------------------------------------
    // Challenges
    // ------------------------------------------------------------------

    /// @notice Challenges batch `index`, which must not be final yet.
    ///         msg.value must equal challengeBond. While the challenge is open,
    ///         neither this batch nor any later one can become final.
    /// @param batchIndex The batch claimed to be wrong.
    /// @param rec Its record (from BatchAppended); a rollback restores its
    ///        firstBlock and prevDepositsConsumed.
    function challenge(uint64 batchIndex, BatchRecord calldata rec) external payable {
        if (frozen) revert Frozen();
        _checkRecord(batchIndex, rec);
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        if (isFinal(batchIndex)) revert BatchAlreadyFinal(batchIndex);
        if (challengerOf[batchIndex] != address(0)) revert ChallengeAlreadyOpen(batchIndex);
        if (_openChallenges.length >= MAX_OPEN_CHALLENGES) revert TooManyOpenChallenges(MAX_OPEN_CHALLENGES);

        challengerOf[batchIndex] = msg.sender;
        _rollbackOf[batchIndex] = (uint128(rec.firstBlock) << 64) | rec.prevDepositsConsumed;
        _openChallenges.push(batchIndex);
        if (batchIndex < earliestOpenChallenge) earliestOpenChallenge = batchIndex;
        emit BatchChallenged(batchIndex, msg.sender);
    }

    /// @notice Decides the open challenge against batch `batchIndex`. Arbiter only.
    /// @dev If the challenger wins, batch `batchIndex` and every later batch
    ///      are discarded (batchCount, depositsConsumed and nextL2Block roll
    ///      back to the end of batch `batchIndex - 1`), open challenges against
    ///      the discarded later batches are voided, and the bonds are credited
    ///      back to their challengers, and every pending deposit gets a fresh
    ///      forced-inclusion window. If the challenger loses, the bond is
    ///      credited to the sequencer and the batch continues toward finality
    ///      with its original timestamp. Credits are paid by withdrawBondCredit().
    /// @param batchIndex Batch with an open challenge.
    /// @param challengerWins The decision.
    function resolveChallenge(uint64 batchIndex, bool challengerWins) external {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        address challenger = challengerOf[batchIndex];
        if (challenger == address(0)) revert NoOpenChallenge(batchIndex);
        uint128 rollback = _rollbackOf[batchIndex];

        uint256 bond = challengeBond;
        uint64 earliest = NO_CHALLENGE;
        uint256 k = 0;
        while (k < _openChallenges.length) {
            uint64 idx = _openChallenges[k];
            bool remove = challengerWins ? idx >= batchIndex : idx == batchIndex;
            if (remove) {
                if (idx != batchIndex) {
                    address voided = challengerOf[idx];
                    bondCredit[voided] += bond;
                    emit ChallengeVoided(idx, voided);
                    emit BondCredited(voided, bond);
                }
                delete challengerOf[idx];
                delete _rollbackOf[idx];
                _openChallenges[k] = _openChallenges[_openChallenges.length - 1];
                _openChallenges.pop();
            } else {
                if (idx < earliest) earliest = idx;
                k++;
            }
        }
        earliestOpenChallenge = earliest;

        address payee = challengerWins ? challenger : sequencer;
        bondCredit[payee] += bond;
        emit ChallengeResolved(batchIndex, challenger, challengerWins);
        emit BondCredited(payee, bond);

        if (challengerWins) {
            uint64 discarded = batchCount - batchIndex;
            batchCount = batchIndex;
            depositsConsumed = uint64(rollback);
            nextL2Block = uint64(rollback >> 64);
            _rollbackForced(batchIndex);
            // Every pending deposit gets a fresh window from now, so the
            // re-posted batches can always meet the rule (docs/l1.md).
            lastDiscardTime = uint64(block.timestamp);
            // The discarded batches' L1 time goes with them; the L2 blocks
            // keep their references in order, which verifiers check.
            lastL1Timestamp = 0;
            emit BatchesDiscarded(batchIndex, discarded);
        }
    }

    /// @notice Number of open challenges (at most MAX_OPEN_CHALLENGES).
    function openChallengeCount() external view returns (uint256) {
        return _openChallenges.length;
    }
}
