// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineBatches} from "./ClearlineBatches.sol";
import {ClearlineChallenges} from "./ClearlineChallenges.sol";
import {ClearlineForced} from "./ClearlineForced.sol";
import {ClearlineRollupBase} from "./ClearlineRollupBase.sol";
import {ClearlineWithdrawals} from "./ClearlineWithdrawals.sol";

/// @title ClearlineRollup
/// @notice L1 side of the Clearline rollup: collateral deposits, the batch
///         log posted by the sequencer, finality after a challenge period,
///         challenges resolved by an arbiter, and withdrawal claims proven
///         against a final batch's withdrawal root.
/// @dev Batch data lives only in calldata. Per batch the contract keeps one
///      32-byte commitment to the batch's record (emitted in full in
///      BatchAppended); callers that need the record's fields pass it back
///      and it is checked against the commitment. See docs/l1.md.
///      The parts live in their own files, one job each (ClearlineRollupBase
///      has the shared storage, events and errors).
contract ClearlineRollup is ClearlineBatches, ClearlineChallenges, ClearlineForced, ClearlineWithdrawals {
    /// @param collateralToken_ ERC-20 collateral token.
    /// @param sequencer_ Address allowed to append batches.
    /// @param challengePeriod_ Seconds before a batch can become final.
    /// @param forcedInclusionDelay_ Seconds within which a deposit must be consumed.
    /// @param challengeBond_ Bond in wei for challenge(); must be non-zero.
    /// @param arbiter_ Address that resolves challenges.
    /// @param sequencingWindow_ Longest staleness, in seconds, of the L1 block
    ///        named by a batch that leaves an overdue deposit unconsumed.
    /// @param forcedRequestDelay_ Seconds within which a forced request must be consumed.
    /// @param forcedRequestFee_ Fee in wei of forceRequest() (may be zero).
    /// @param maxForcedPerBlock_ Most forced requests per L1 block; must be non-zero.
    /// @param maxBatchGap_ Seconds without a batch after which anyone may freeze.
    constructor(
        address collateralToken_,
        address sequencer_,
        uint64 challengePeriod_,
        uint64 forcedInclusionDelay_,
        uint256 challengeBond_,
        address arbiter_,
        uint64 sequencingWindow_,
        uint64 forcedRequestDelay_,
        uint256 forcedRequestFee_,
        uint32 maxForcedPerBlock_,
        uint64 maxBatchGap_
    )
        ClearlineRollupBase(
            collateralToken_,
            sequencer_,
            challengePeriod_,
            forcedInclusionDelay_,
            challengeBond_,
            arbiter_,
            sequencingWindow_,
            forcedRequestDelay_,
            forcedRequestFee_,
            maxForcedPerBlock_,
            maxBatchGap_
        )
    {}
}
