// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineBatches} from "./ClearlineBatches.sol";
import {ClearlineChallenges} from "./ClearlineChallenges.sol";
import {ClearlineEscape} from "./ClearlineEscape.sol";
import {ClearlineForced} from "./ClearlineForced.sol";
import {ClearlineRollupBase, IClearlineCollateral} from "./ClearlineRollupBase.sol";
import {ClearlineWithdrawals} from "./ClearlineWithdrawals.sol";

/// @title ClearlineRollup
/// @notice L1 side of the Clearline rollup: collateral deposits, the batch
///         log posted by the sequencer, finality after a challenge period,
///         dispute games played in ClearlineDispute, forced requests and
///         the freeze, and withdrawal claims proven
///         against a final batch's withdrawal root. After a freeze its
///         escape contract (escape()) pays every account out of the exit root.
/// @dev Batch data lives only in calldata. Per batch the contract keeps one
///      32-byte commitment to the batch's record (emitted in full in
///      BatchAppended); callers that need the record's fields pass it back
///      and it is checked against the commitment. See docs/l1.md.
///      The parts live in their own files, one job each (ClearlineRollupBase
///      has the shared storage, events and errors).
contract ClearlineRollup is ClearlineBatches, ClearlineChallenges, ClearlineForced, ClearlineWithdrawals {
    /// @notice The escape hatch (ClearlineEscape, docs/l1.md "Escape"), its
    ///         own contract, created by this constructor: the rollup's
    ///         first CREATE, so its address is that of CREATE(rollup, nonce 1).
    ClearlineEscape public immutable escape;

    /// @notice escapeTransfer() from another address than escape().
    error NotEscape(address caller);
    /// @notice escapeTransfer() while the rollup is not frozen.
    error NotFrozen();

    /// @param c The parameters (ClearlineRollupBase.Config).
    constructor(Config memory c) ClearlineRollupBase(c) {
        escape = new ClearlineEscape(address(this), c.collateralToken);
    }

    /// @notice Pays `amount` of the collateral token to `to` out of what the
    ///         rollup holds: the escape's payouts (exits, deposit refunds,
    ///         the exit vault's pool). Only escape() may call it, and only
    ///         after the freeze; the escape decides the amounts and keeps
    ///         them within the rollup's balance (docs/l1.md "Escape").
    function escapeTransfer(address to, uint256 amount) external {
        if (msg.sender != address(escape)) revert NotEscape(msg.sender);
        if (!frozen) revert NotFrozen();
        _callToken(abi.encodeCall(IClearlineCollateral.transfer, (to, amount)));
    }
}
