// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClearlineCollateral} from "./ClearlineRollupBase.sol";

/// @dev What the escape payouts read of an asset token.
interface IClearlineAssetBalance {
    function balanceOf(address account) external view returns (uint256);
}

/// @dev What ClearlineAssets reads of its rollup.
interface IClearlineAssetsRollup {
    /// @dev The batch record, as ClearlineRollupBase.BatchRecord.
    struct BatchRecord {
        bytes32 dataHash;
        bytes32 stateRoot;
        bytes32 withdrawalRoot;
        uint64 prevDepositsConsumed;
        uint64 depositsConsumed;
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 timestamp;
        uint64 l1Timestamp;
    }

    function frozen() external view returns (bool);
    function batchCount() external view returns (uint64);
    function lastDiscardTime() external view returns (uint64);
    function isFinal(uint64 index) external view returns (bool);
    function batchCommitment(uint64 index) external view returns (bytes32);
    function commitBatchRecord(BatchRecord calldata rec) external pure returns (bytes32);
    function assetsLive() external;
    function escape() external view returns (address);
}

/// @title ClearlineAssets
/// @notice The collateral assets beside the settlement token (the
///         genesis's `assets`, docs/genesis.md): their deposits, with their
///         own sequential ids and the forced-inclusion rule of deposits,
///         the count of them each batch consumed, and withdrawals of them
///         proven against a final batch's withdrawal root. It holds the
///         asset tokens. See docs/l1.md "Collateral assets".
/// @dev Its own contract, created by the rollup's constructor (its second
///      CREATE, after the escape), to keep the rollup's code small. The
///      rollup calls onAppend from every appendBatch and onDiscard from
///      every discard. The asset list is set once by the deployer, before
///      the first batch (configureAssets); verifiers check it against the
///      genesis.
contract ClearlineAssets {
    /// @notice Most collateral assets (the genesis's limit).
    uint256 public constant MAX_ASSETS = 8;
    /// @notice Table id of withdrawals in the L2 state tree.
    uint8 public constant WITHDRAWAL_TABLE_ID = 5;
    /// @notice Longest accepted Merkle proof (the paths have 256 bits).
    uint256 public constant MAX_PROOF_DEPTH = 256;

    /// @dev One asset deposit: the first slot as DepositRecord (L2 amount),
    ///      the second the asset id.
    struct AssetDepositRecord {
        address to;
        uint64 amount;
        uint32 timestamp;
        uint32 asset;
    }

    /// @notice An asset deposit of `amount` L2 atoms of asset `asset` for
    ///         L2 account `to` (the token took amount × 10^shift of its atoms).
    /// @param id Sequential asset-deposit id, from 0 (its own sequence).
    /// @param asset The genesis asset id.
    /// @param to L2 account credited.
    /// @param amount Amount in L2 atoms of the asset.
    /// @param timestamp L1 block timestamp of the deposit.
    event AssetDeposit(uint64 indexed id, uint32 indexed asset, address indexed to, uint64 amount, uint64 timestamp);

    /// @notice Batch `batchIndex` was appended by the rollup's
    ///         appendBatchWithAssets and consumed asset deposits up to
    ///         `assetDepositsConsumed` (cumulative). A batch appended by
    ///         appendBatch keeps the previous count and emits nothing here.
    event AssetDepositsConsumed(uint64 indexed batchIndex, uint64 assetDepositsConsumed);

    /// @notice Asset withdrawal `withdrawalId` was paid to `recipient`.
    /// @param amount In L2 atoms (the token paid amount × 10^shift).
    event AssetWithdrawalClaimed(
        uint64 indexed withdrawalId, uint64 indexed batchIndex, address indexed recipient, uint32 asset, uint64 amount
    );

    /// @notice The asset list was set.
    event AssetsConfigured(address[] tokens, uint32[] ids, uint8[] shifts);

    /// @notice onAppend() or onDiscard() from another address than the rollup.
    error NotRollup(address caller);
    /// @notice The rollup is frozen.
    error Frozen();
    /// @notice A zero recipient.
    error ZeroAddress();
    /// @notice A deposit of zero.
    error ZeroAmount();
    /// @notice The batch is not final.
    error BatchNotFinal(uint64 index);
    /// @notice The record is not the batch's.
    error InvalidBatchRecord(uint64 index);
    /// @notice More siblings than MAX_PROOF_DEPTH.
    error ProofTooLong(uint256 length);
    /// @notice The proof does not lead to the batch's withdrawal root.
    error InvalidWithdrawalProof();
    /// @notice This withdrawal was paid already.
    error WithdrawalAlreadyClaimed(uint64 withdrawalId);
    /// @notice The token call failed or returned something else than true.
    error TokenTransferFailed();
    /// @notice As the rollup's: an overdue asset deposit and a batch
    ///         naming an L1 block older than sequencingWindow.
    error L1TimestampTooOld(uint64 id, uint64 l1Timestamp, uint256 oldestAllowed);
    /// @notice configureAssets() from another address than the deployer.
    error NotAssetAdmin(address caller);
    /// @notice configureAssets() a second time, or after the first batch.
    error AssetsFixed();
    /// @notice A malformed asset list (lengths, ids not increasing from 1,
    ///         a shift above 18, a token without code, repeated or the
    ///         collateral token, more than MAX_ASSETS).
    error BadAssetList();
    /// @notice A token or asset id that is not a collateral asset.
    error UnknownAsset(address token, uint32 asset);
    /// @notice A deposit that is not a whole number of L2 atoms (10^shift token atoms).
    error AmountNotWhole(uint256 amount, uint256 unit);
    /// @notice The asset's deposits would pass 2^63 - 1 L2 atoms in all.
    error AssetCapReached(uint32 asset, uint256 total);
    /// @notice The cumulative asset deposits consumed went down.
    error AssetDepositsConsumedDecreased(uint64 previous, uint64 given);
    /// @notice The cumulative asset deposits consumed exceeds the asset deposits made.
    error AssetDepositsConsumedExceedDeposits(uint64 given, uint64 made);
    /// @notice The batch leaves asset deposit `id` unconsumed past its deadline.
    error AssetForcedInclusionViolated(uint64 id, uint256 deadline);
    /// @notice No asset deposit with this id (or no batch with this index).
    error UnknownAssetDeposit(uint64 id);
    /// @notice escapePay() from another address than the rollup's escape.
    error NotEscape(address caller);
    /// @notice escapePay() while the rollup is not frozen.
    error NotFrozen();

    /// @notice The rollup (ClearlineRollup) that created this contract.
    IClearlineAssetsRollup public immutable rollup;
    /// @notice The rollup's settlement token (never an asset).
    address public immutable collateralToken;
    /// @notice The rollup's forcedInclusionDelay and sequencingWindow.
    uint64 public immutable forcedInclusionDelay;
    uint64 public immutable sequencingWindow;
    /// @notice The address that may call configureAssets (the rollup's deployer).
    address public immutable assetAdmin;
    /// @notice Whether the asset list is set (it never changes after).
    bool public assetsConfigured;
    /// @notice Number of asset deposits made; the next one gets this id.
    uint64 public assetDepositCount;
    /// @notice Cumulative asset deposits consumed by the live batches.
    uint64 public assetDepositsConsumed;

    /// @dev Per token: 0 if not an asset; else bit 255, the id (bits 0..31),
    ///      the shift (32..39) and the L2 atoms deposited so far (64..127).
    mapping(address => uint256) internal _assetInfo;
    /// @dev Per asset id: its token.
    mapping(uint32 => address) internal _assetToken;
    mapping(uint64 => AssetDepositRecord) internal _assetDeposits;
    /// @dev Per batch index, four to a slot: assetDepositsConsumed after it.
    mapping(uint256 => uint256) internal _assetAfterWords;
    /// @dev Bit i of word w: withdrawal 256 w + i was paid here.
    mapping(uint256 => uint256) internal _claimedWords;

    /// @param admin Who may call configureAssets.
    /// @param token The rollup's settlement token.
    /// @param inclusionDelay The rollup's forcedInclusionDelay.
    /// @param window The rollup's sequencingWindow.
    constructor(address admin, address token, uint64 inclusionDelay, uint64 window) {
        rollup = IClearlineAssetsRollup(msg.sender);
        assetAdmin = admin;
        collateralToken = token;
        forcedInclusionDelay = inclusionDelay;
        sequencingWindow = window;
    }

    /// @notice Sets the collateral assets: the genesis's `assets`, in id
    ///         order. Once, by the deployer, before the first batch.
    /// @param tokens The L1 ERC-20 of each asset.
    /// @param ids The genesis asset ids, strictly increasing, from 1.
    /// @param shifts Token atoms per L2 atom, as a power of ten (0..18):
    ///        token decimals minus the genesis's decimals.
    function configureAssets(address[] calldata tokens, uint32[] calldata ids, uint8[] calldata shifts) external {
        if (msg.sender != assetAdmin) revert NotAssetAdmin(msg.sender);
        if (assetsConfigured || rollup.batchCount() != 0) revert AssetsFixed();
        uint256 n = tokens.length;
        if (n > MAX_ASSETS || ids.length != n || shifts.length != n) revert BadAssetList();
        uint32 last = 0;
        for (uint256 i = 0; i < n; i++) {
            address t = tokens[i];
            if (
                ids[i] <= last || shifts[i] > 18 || t.code.length == 0 || t == collateralToken
                    || _assetInfo[t] != 0
            ) revert BadAssetList();
            last = ids[i];
            _assetInfo[t] = (uint256(1) << 255) | (uint256(shifts[i]) << 32) | ids[i];
            _assetToken[ids[i]] = t;
        }
        assetsConfigured = true;
        emit AssetsConfigured(tokens, ids, shifts);
    }

    /// @notice The asset a token is: its id and shift (0, 0 if none).
    function assetOf(address token) external view returns (uint32 id, uint8 shift) {
        uint256 info = _assetInfo[token];
        return (uint32(info), uint8(info >> 32));
    }

    /// @notice The token of asset `id` (zero if none).
    function assetToken(uint32 id) external view returns (address) {
        return _assetToken[id];
    }

    /// @notice Deposits `amount` atoms of collateral asset `token` for L2
    ///         account `to`. The caller must have approved this contract.
    /// @dev Emits AssetDeposit with the next asset-deposit id. The sequencer
    ///      must apply asset deposits in id order within
    ///      forcedInclusionDelay, like deposits.
    /// @param token A collateral asset's token.
    /// @param to L2 account to credit (not the zero address).
    /// @param amount Token atoms: a non-zero multiple of 10^shift.
    /// @return id The asset-deposit id.
    function deposit(address token, address to, uint256 amount) external returns (uint64 id) {
        if (rollup.frozen()) revert Frozen();
        uint256 info = _assetInfo[token];
        if (info == 0) revert UnknownAsset(token, 0);
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 unit = 10 ** ((info >> 32) & 0xff);
        if (amount % unit != 0) revert AmountNotWhole(amount, unit);
        uint256 l2 = amount / unit;
        uint256 total = uint64(info >> 64) + l2;
        // every balance of the asset stays below 2^63 (the stf refuses more,
        // which would block every later asset deposit)
        if (total > uint64(type(int64).max)) revert AssetCapReached(uint32(info), total);
        _assetInfo[token] = (info & ~(uint256(type(uint64).max) << 64)) | (total << 64);

        id = assetDepositCount;
        _assetDeposits[id] = AssetDepositRecord(to, uint64(l2), uint32(block.timestamp), uint32(info));
        assetDepositCount = id + 1;
        emit AssetDeposit(id, uint32(info), to, uint64(l2), uint64(block.timestamp));
        // the first: from now on the rollup asks this contract at every append
        if (id == 0) rollup.assetsLive();

        _callToken(token, abi.encodeCall(IClearlineCollateral.transferFrom, (msg.sender, address(this), amount)));
    }

    /// @notice Returns asset deposit `id`.
    function assetDeposits(uint64 id) external view returns (uint32 asset, address to, uint64 amount, uint64 timestamp) {
        if (id >= assetDepositCount) revert UnknownAssetDeposit(id);
        AssetDepositRecord storage d = _assetDeposits[id];
        return (d.asset, d.to, d.amount, d.timestamp);
    }

    /// @notice assetDepositsConsumed after live batch `index`.
    function assetDepositsAfter(uint64 index) external view returns (uint64) {
        if (index >= rollup.batchCount()) revert UnknownAssetDeposit(index);
        return _assetAfter(index);
    }

    /// @notice The asset deposits live batch `index` consumed, as the
    ///         rollup's dispute games bind them (docs/disputes.md
    ///         "Wiring"): empty when it consumed none, else be64 id of the
    ///         first ‖ per asset deposit to ‖ be64 amount ‖ be32 timestamp
    ///         ‖ be32 asset (36 bytes each). The rollup's gameInput hashes
    ///         it after the batch's deposits list.
    function gameAssetList(uint64 index) external view returns (bytes memory b) {
        if (index >= rollup.batchCount()) revert UnknownAssetDeposit(index);
        uint64 from = index == 0 ? 0 : _assetAfter(index - 1);
        uint256 n = _assetAfter(index) - from;
        if (n == 0) return b;
        // 32 spare bytes: each record's last word is written whole
        b = new bytes(8 + 36 * n + 32);
        uint256 w0 = uint256(from) << 192;
        assembly ("memory-safe") {
            mstore(add(b, 32), w0)
        }
        for (uint256 i = 0; i < n; i++) {
            AssetDepositRecord storage d = _assetDeposits[uint64(from + i)];
            uint256 w1 = (uint256(uint160(d.to)) << 96) | (uint256(d.amount) << 32) | uint256(d.timestamp);
            uint256 w2 = uint256(d.asset) << 224;
            assembly ("memory-safe") {
                let p := add(add(b, 40), mul(i, 36))
                mstore(p, w1)
                mstore(add(p, 32), w2)
            }
        }
        assembly ("memory-safe") {
            mstore(b, add(8, mul(n, 36)))
        }
    }

    /// @notice Pays asset withdrawal `withdrawalId` of `amount` L2 atoms of
    ///         asset `asset` to `recipient`, proven against the withdrawal
    ///         root of final batch `batchIndex`, like claimWithdrawal. The
    ///         leaf's value is `recipient ‖ amount u64 ‖ asset u32` (32
    ///         bytes; a settlement withdrawal's is 28), in the same table and
    ///         id sequence: each id is paid once, by one of the two.
    /// @param amount L2 atoms; the token pays amount × 10^shift.
    function claimAssetWithdrawal(
        uint64 batchIndex,
        IClearlineAssetsRollup.BatchRecord calldata rec,
        uint64 withdrawalId,
        address recipient,
        uint32 asset,
        uint64 amount,
        bytes32[] calldata siblings
    ) external {
        address token = _assetToken[asset];
        if (token == address(0)) revert UnknownAsset(address(0), asset);
        if (!rollup.isFinal(batchIndex)) revert BatchNotFinal(batchIndex);
        if (rollup.batchCommitment(batchIndex) != rollup.commitBatchRecord(rec)) revert InvalidBatchRecord(batchIndex);
        if (siblings.length > MAX_PROOF_DEPTH) revert ProofTooLong(siblings.length);
        uint256 word = withdrawalId >> 8;
        uint256 mask = uint256(1) << (withdrawalId & 0xff);
        uint256 claimed = _claimedWords[word];
        if (claimed & mask != 0) revert WithdrawalAlreadyClaimed(withdrawalId);
        bytes32 path = keccak256(abi.encodePacked(WITHDRAWAL_TABLE_ID, withdrawalId));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0x00), path, keccak256(abi.encodePacked(recipient, amount, asset))));
        for (uint256 i = siblings.length; i > 0;) {
            unchecked {
                --i;
            }
            if ((uint256(path) >> (255 - i)) & 1 == 1) {
                h = keccak256(abi.encodePacked(bytes1(0x01), siblings[i], h));
            } else {
                h = keccak256(abi.encodePacked(bytes1(0x01), h, siblings[i]));
            }
        }
        if (h != rec.withdrawalRoot) revert InvalidWithdrawalProof();
        _claimedWords[word] = claimed | mask;
        emit AssetWithdrawalClaimed(withdrawalId, batchIndex, recipient, asset, amount);

        uint256 pay = uint256(amount) * 10 ** ((_assetInfo[token] >> 32) & 0xff);
        _callToken(token, abi.encodeCall(IClearlineCollateral.transfer, (recipient, pay)));
    }

    /// @notice Pays `amount` L2 atoms of asset `asset` (amount × 10^shift
    ///         token atoms) to `to`, at most what this contract holds of
    ///         the token: the escape's asset payouts (exits, asset deposit
    ///         refunds; docs/l1.md "Escape"). Only the rollup's escape may
    ///         call it, and only after the freeze; the escape decides the
    ///         amounts.
    /// @return paid The token atoms sent.
    function escapePay(uint32 asset, address to, uint64 amount) external returns (uint256 paid) {
        if (msg.sender != rollup.escape()) revert NotEscape(msg.sender);
        if (!rollup.frozen()) revert NotFrozen();
        address token = _assetToken[asset];
        if (token == address(0)) revert UnknownAsset(address(0), asset);
        paid = uint256(amount) * 10 ** ((_assetInfo[token] >> 32) & 0xff);
        uint256 held = IClearlineAssetBalance(token).balanceOf(address(this));
        if (held < paid) paid = held;
        if (paid > 0) _callToken(token, abi.encodeCall(IClearlineCollateral.transfer, (to, paid)));
    }

    // ------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------

    /// @notice Whether asset withdrawal `withdrawalId` was paid here.
    function isAssetWithdrawalClaimed(uint64 withdrawalId) external view returns (bool) {
        return _claimedWords[withdrawalId >> 8] & (uint256(1) << (withdrawalId & 0xff)) != 0;
    }

    /// @dev Deadline of asset deposit `id`, as the rollup's for deposits.
    function _assetDeadline(uint64 id) internal view returns (uint256) {
        uint256 start = _assetDeposits[id].timestamp;
        uint256 discard = rollup.lastDiscardTime();
        if (discard > start) start = discard;
        return start + forcedInclusionDelay;
    }

    /// @notice The asset-deposit rules of the rollup's appendBatch for
    ///         batch `index` naming L1 time `l1Timestamp`; records the
    ///         batch's count. Rollup only.
    /// @param arg The batch's cumulative asset deposits consumed plus one
    ///        (appendBatchWithAssets), or 0: unchanged (appendBatch).
    function onAppend(uint64 index, uint64 l1Timestamp, uint256 arg) external {
        if (msg.sender != address(rollup)) revert NotRollup(msg.sender);
        uint64 made = assetDepositCount;
        uint64 previous = assetDepositsConsumed;
        uint64 given = arg == 0 ? previous : uint64(arg - 1);
        if (given < previous) revert AssetDepositsConsumedDecreased(previous, given);
        if (given > made) revert AssetDepositsConsumedExceedDeposits(given, made);
        if (arg != 0) emit AssetDepositsConsumed(index, given);
        if (made == 0) return; // never an asset deposit: every count is zero
        if (given < made) {
            // the rule of deposits (ClearlineBatches._checkForcedInclusion)
            uint256 deadline = _assetDeadline(given);
            if (block.timestamp > deadline) {
                if (l1Timestamp >= _assetDeposits[given].timestamp) {
                    revert AssetForcedInclusionViolated(given, deadline);
                }
                if (block.timestamp - l1Timestamp > sequencingWindow) {
                    revert L1TimestampTooOld(given, l1Timestamp, block.timestamp - sequencingWindow);
                }
            }
        }
        assetDepositsConsumed = given;
        uint256 word = index >> 2;
        uint256 shift = (index & 3) * 64;
        uint256 old = _assetAfterWords[word];
        uint256 updated = (old & ~(uint256(type(uint64).max) << shift)) | (uint256(given) << shift);
        if (updated != old) _assetAfterWords[word] = updated;
    }

    /// @dev Calls `token`; accepts `true` or no return data, bubbles up
    ///      the token's own revert data, and otherwise reverts.
    function _callToken(address token, bytes memory data) internal {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok) {
            if (ret.length > 0) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
            revert TokenTransferFailed();
        }
        if (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1)) revert TokenTransferFailed();
    }

    function _assetAfter(uint64 index) internal view returns (uint64) {
        return uint64(_assetAfterWords[index >> 2] >> ((index & 3) * 64));
    }

    /// @notice The rollup discarded batch `batchIndex` and every later
    ///         one: back to the count after the batch before it. Rollup only.
    function onDiscard(uint64 batchIndex) external {
        if (msg.sender != address(rollup)) revert NotRollup(msg.sender);
        assetDepositsConsumed = batchIndex == 0 ? 0 : _assetAfter(batchIndex - 1);
    }
}
