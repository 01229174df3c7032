// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearlineAssets} from "./ClearlineAssets.sol";
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
///         Collateral assets beside the settlement token live in their own
///         contract (assets()), which this one creates.
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

    /// @notice The collateral assets' deposits and withdrawals
    ///         (ClearlineAssets, docs/l1.md "Collateral assets"), created by
    ///         this constructor after the escape: CREATE(rollup, nonce 2).
    ClearlineAssets public immutable assets;

    /// @dev appendBatchWithAssets' count plus one while it runs, else 0.
    uint256 transient _assetArg;

    /// @notice escapeTransfer() from another address than escape().
    error NotEscape(address caller);
    /// @notice assetsLive() from another address than assets().
    error NotAssets(address caller);
    /// @notice escapeTransfer() while the rollup is not frozen.
    error NotFrozen();

    /// @param c The parameters (ClearlineRollupBase.Config).
    constructor(Config memory c) ClearlineRollupBase(c) {
        escape = new ClearlineEscape(address(this), c.collateralToken);
        assets = new ClearlineAssets(msg.sender, c.collateralToken, c.forcedInclusionDelay, c.sequencingWindow);
    }

    /// @notice appendBatch (the same arguments and rules) that also
    ///         consumes asset deposits up to `newAssetDepositsConsumed`
    ///         (cumulative: at least the previous value, at most the asset
    ///         deposits made, and every asset deposit past its deadline, with
    ///         the exception deposits have). Sequencer only. The count is in
    ///         assets()'s AssetDepositsConsumed event.
    function appendBatchWithAssets(
        bytes calldata batchData,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        uint64 newDepositsConsumed,
        uint64 firstBlock,
        uint64 lastBlock,
        uint64 l1Timestamp,
        uint64 newForcedConsumed,
        uint64 newAssetDepositsConsumed
    ) external {
        _assetArg = uint256(newAssetDepositsConsumed) + 1;
        appendBatch(
            batchData, stateRoot, withdrawalRoot, newDepositsConsumed, firstBlock, lastBlock, l1Timestamp,
            newForcedConsumed
        );
        _assetArg = 0;
    }

    /// @notice The assets contract's first asset deposit: from now on
    ///         every append asks it (assets() only; once is enough).
    function assetsLive() external {
        if (msg.sender != address(assets)) revert NotAssets(msg.sender);
        _assetsLive = true;
    }

    function _checkAssetDeposits(uint64 index, uint64 l1Timestamp) internal override {
        uint256 arg = _assetArg;
        // no asset deposit ever and no count given: nothing to check or record
        if (arg == 0 && !_assetsLive) return;
        assets.onAppend(index, l1Timestamp, arg);
    }

    function _rollbackAssets(uint64 batchIndex) internal override {
        assets.onDiscard(batchIndex);
    }

    function _gameAssetList(uint64 index) internal view override returns (bytes memory b) {
        // never an asset deposit: every batch consumed none
        if (_assetsLive) b = assets.gameAssetList(index);
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
