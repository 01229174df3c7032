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
///         dispute games played in ClearlineDispute, forced requests and
///         the freeze, and withdrawal claims proven
///         against a final batch's withdrawal root.
/// @dev Batch data lives only in calldata. Per batch the contract keeps one
///      32-byte commitment to the batch's record (emitted in full in
///      BatchAppended); callers that need the record's fields pass it back
///      and it is checked against the commitment. See docs/l1.md.
///      The parts live in their own files, one job each (ClearlineRollupBase
///      has the shared storage, events and errors).
contract ClearlineRollup is ClearlineBatches, ClearlineChallenges, ClearlineForced, ClearlineWithdrawals {
    /// @param c The parameters (ClearlineRollupBase.Config).
    constructor(Config memory c) ClearlineRollupBase(c) {}
}
