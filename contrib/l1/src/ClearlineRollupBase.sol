// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The two ERC-20 calls the rollup makes. Tokens that return nothing
///      instead of `true` are accepted as well (see _callToken).
interface IClearlineCollateral {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title ClearlineRollupBase
/// @notice What every part of ClearlineRollup shares: the batch record and
///         the deposit and forced-request records, constants, events,
///         errors, parameters, storage, the constructor, and the internals
///         more than one part uses (record commitments, deadlines, the
///         forced-request rules of appendBatch, finality, token calls).
/// @dev The parts, one job a file: ClearlineBatches (deposits and the
///      batch log), ClearlineChallenges (challenges), ClearlineForced
///      (forced requests and the freeze), ClearlineWithdrawals (withdrawal
///      claims and bond credit). ClearlineRollup joins them. See docs/l1.md.
abstract contract ClearlineRollupBase {
    // ------------------------------------------------------------------
    // Types and constants
    // ------------------------------------------------------------------

    /// @notice The record of one posted batch, emitted in full in
    ///         BatchAppended. Storage keeps only its commitment (see
    ///         batchCommitment).
    struct BatchRecord {
        bytes32 dataHash; // keccak256 of the batch data
        bytes32 stateRoot; // L2 state root after lastBlock
        bytes32 withdrawalRoot; // root of the withdrawal proofs
        uint64 prevDepositsConsumed; // cumulative deposits consumed before the batch
        uint64 depositsConsumed; // ... and after it
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 timestamp; // L1 block timestamp of the append
        uint64 l1Timestamp; // L1 timestamp named by the batch's last L2 block
    }

    /// @dev One deposit, packed into a single slot. The L1 timestamp is kept
    ///      in 32 bits, which lasts until the year 2106.
    struct DepositRecord {
        address to;
        uint64 amount;
        uint32 timestamp;
    }

    /// @dev One forced request: the first slot holds the account, kind,
    ///      L1 timestamp (32 bits, until 2106) and whether its fee was
    ///      refunded; the second its two fields.
    struct ForcedRecord {
        address account;
        uint8 kind;
        uint32 timestamp;
        bool feeRefunded;
        uint64 a;
        uint64 b;
    }

    /// @notice Forced request kinds and their fields (a, b); unused fields are zero.
    /// @dev WITHDRAW: a = amount (> 0). CANCEL: a = the order's sequence.
    ///      CANCEL_ALL: none. CLOSE: a = market id (32 bits), b = limit price (> 0).
    uint8 public constant FORCED_WITHDRAW = 1;
    uint8 public constant FORCED_CANCEL = 2;
    uint8 public constant FORCED_CANCEL_ALL = 3;
    uint8 public constant FORCED_CLOSE = 4;

    /// @notice Why the rollup froze (RollupFrozen's reason).
    uint8 public constant FREEZE_FORCED_OVERDUE = 1;
    uint8 public constant FREEZE_NO_BATCH = 2;

    /// @notice L2 block number of the first block of batch 0. Block 0 is the
    ///         genesis state, which is never posted.
    uint64 public constant FIRST_L2_BLOCK = 1;

    /// @notice How many challenges may be open at the same time.
    uint256 public constant MAX_OPEN_CHALLENGES = 16;

    /// @notice Table id of withdrawals in the L2 state tree.
    uint8 public constant WITHDRAWAL_TABLE_ID = 5;

    /// @notice Longest accepted Merkle proof (the paths have 256 bits).
    uint256 public constant MAX_PROOF_DEPTH = 256;

    uint64 internal constant NO_CHALLENGE = type(uint64).max;

    // ------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------

    /// @notice A deposit of `amount` collateral units for L2 account `to`.
    /// @param id Sequential deposit id, from 0.
    /// @param to L2 account credited.
    /// @param amount Amount in the token's smallest unit.
    /// @param timestamp L1 block timestamp of the deposit.
    event Deposit(uint64 indexed id, address indexed to, uint64 amount, uint64 timestamp);

    /// @notice The sequencer appended batch `index`; the data is its record.
    /// @param index Sequential batch index, from 0 (reused after a rollback).
    /// @param dataHash keccak256 of the batch data (the calldata argument).
    /// @param stateRoot L2 state root after the batch's last block.
    /// @param withdrawalRoot Root that withdrawal claims against this batch are proven against.
    /// @param prevDepositsConsumed Cumulative deposits applied before this batch.
    /// @param depositsConsumed Cumulative number of deposits the L2 has applied after this batch.
    /// @param firstBlock First L2 block in the batch.
    /// @param lastBlock Last L2 block in the batch (inclusive).
    /// @param timestamp L1 block timestamp of the append.
    /// @param l1Timestamp L1 timestamp named by the batch's last L2 block.
    event BatchAppended(
        uint64 indexed index,
        bytes32 dataHash,
        bytes32 stateRoot,
        bytes32 withdrawalRoot,
        uint64 prevDepositsConsumed,
        uint64 depositsConsumed,
        uint64 firstBlock,
        uint64 lastBlock,
        uint64 timestamp,
        uint64 l1Timestamp
    );

    /// @notice `account` asked L2 for a forced request through L1.
    /// @param id Sequential forced request id, from 0.
    /// @param account The requester, which is its own L2 account.
    /// @param kind FORCED_WITHDRAW, FORCED_CANCEL, FORCED_CANCEL_ALL or FORCED_CLOSE.
    /// @param a First field (see the kinds).
    /// @param b Second field.
    /// @param timestamp L1 block timestamp of the request.
    event ForcedRequest(uint64 indexed id, address indexed account, uint8 kind, uint64 a, uint64 b, uint64 timestamp);

    /// @notice The fee of forced request `id` was credited back to its account.
    event ForcedFeeRefunded(uint64 indexed id, address indexed account, uint256 amount);

    /// @notice The rollup froze: no more batches, challenges, deposits or
    ///         forced requests. The exit root is the state root of the last
    ///         batch final at that moment (zero when none was).
    /// @param finalBatches Batches final at the freeze (0 .. finalBatches - 1).
    /// @param exitRoot The state root accounts exit from.
    /// @param reason FREEZE_FORCED_OVERDUE or FREEZE_NO_BATCH.
    event RollupFrozen(uint64 finalBatches, bytes32 exitRoot, uint8 reason);

    /// @notice `challenger` posted the bond against batch `index`.
    event BatchChallenged(uint64 indexed index, address indexed challenger);

    /// @notice The arbiter decided the challenge against batch `index`.
    event ChallengeResolved(uint64 indexed index, address indexed challenger, bool challengerWins);

    /// @notice The challenge against batch `index` ended without a decision
    ///         because an earlier batch was discarded; the bond is credited back.
    event ChallengeVoided(uint64 indexed index, address indexed challenger);

    /// @notice Batches `fromIndex` .. `fromIndex + count - 1` were discarded;
    ///         batchCount is now `fromIndex`.
    event BatchesDiscarded(uint64 indexed fromIndex, uint64 count);

    /// @notice Withdrawal `withdrawalId` was paid to `recipient`.
    event WithdrawalClaimed(
        uint64 indexed withdrawalId, uint64 indexed batchIndex, address indexed recipient, uint64 amount
    );

    /// @notice `amount` wei of bond was credited to `account`.
    event BondCredited(address indexed account, uint256 amount);

    /// @notice `account` withdrew `amount` wei of credited bond.
    event BondWithdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------

    /// @notice A constructor address parameter or a deposit recipient is zero.
    error ZeroAddress();
    /// @notice The collateral token address has no code.
    error NotAContract(address account);
    /// @notice The challenge bond given to the constructor is zero.
    error ZeroBond();
    /// @notice Only the sequencer may append batches.
    error NotSequencer(address caller);
    /// @notice Only the arbiter may resolve challenges.
    error NotArbiter(address caller);
    /// @notice A deposit of zero.
    error ZeroAmount();
    /// @notice A deposit above 2^64 - 1 units.
    error AmountTooLarge(uint256 amount, uint256 max);
    /// @notice The batch data is empty.
    error EmptyBatchData();
    /// @notice The batch does not start right after the previous batch's last block.
    error NonContiguousBlocks(uint64 expectedFirstBlock, uint64 firstBlock);
    /// @notice lastBlock is before firstBlock, or is 2^64 - 1.
    error InvalidBlockRange(uint64 firstBlock, uint64 lastBlock);
    /// @notice The cumulative deposits consumed went down.
    error DepositsConsumedDecreased(uint64 previous, uint64 given);
    /// @notice The cumulative deposits consumed exceeds the deposits made.
    error DepositsConsumedExceedDeposits(uint64 given, uint64 depositCount);
    /// @notice The batch leaves deposit `depositId` unconsumed past its deadline.
    error ForcedInclusionViolated(uint64 depositId, uint256 deadline);
    /// @notice The batch's l1Timestamp is after the L1 block it is appended in.
    error L1TimestampInFuture(uint64 l1Timestamp, uint256 blockTimestamp);
    /// @notice The batch's l1Timestamp is before the previous batch's.
    error L1TimestampDecreased(uint64 previous, uint64 given);
    /// @notice Deposit `depositId` is overdue and the batch, whose last block
    ///         names an L1 block from before it, names one older than
    ///         sequencingWindow allows.
    error L1TimestampTooOld(uint64 depositId, uint64 l1Timestamp, uint256 oldestAllowed);
    /// @notice No batch with this index.
    error UnknownBatch(uint64 index);
    /// @notice No deposit with this id.
    error UnknownDeposit(uint64 id);
    /// @notice msg.value differs from the challenge bond.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice The batch is already final and cannot be challenged.
    error BatchAlreadyFinal(uint64 index);
    /// @notice A challenge against this batch is already open.
    error ChallengeAlreadyOpen(uint64 index);
    /// @notice MAX_OPEN_CHALLENGES challenges are open already.
    error TooManyOpenChallenges(uint256 max);
    /// @notice No open challenge against this batch.
    error NoOpenChallenge(uint64 index);
    /// @notice The batch is not final (or does not exist).
    error BatchNotFinal(uint64 index);
    /// @notice The withdrawal was claimed before.
    error WithdrawalAlreadyClaimed(uint64 withdrawalId);
    /// @notice More than MAX_PROOF_DEPTH siblings.
    error ProofTooLong(uint256 length);
    /// @notice The proof does not lead to the batch's withdrawal root.
    error InvalidWithdrawalProof();
    /// @notice The record passed does not match batch `index`'s commitment.
    error InvalidBatchRecord(uint64 index);
    /// @notice The token call failed or returned false.
    error TokenTransferFailed();
    /// @notice The caller has no bond credit.
    error NothingToWithdraw();
    /// @notice Sending ether to the caller failed.
    error EtherTransferFailed();
    /// @notice A forced request kind that does not exist.
    error UnknownForcedKind(uint8 kind);
    /// @notice Fields a forced request's kind does not allow (docs/l1.md).
    error InvalidForcedFields(uint8 kind, uint64 a, uint64 b);
    /// @notice msg.value differs from the forced request fee.
    error WrongForcedFee(uint256 sent, uint256 required);
    /// @notice maxForcedPerBlock forced requests were made in this L1 block already.
    error ForcedBlockLimit(uint256 max);
    /// @notice The cumulative forced requests consumed went down.
    error ForcedConsumedDecreased(uint64 previous, uint64 given);
    /// @notice The cumulative forced requests consumed exceeds the requests made.
    error ForcedConsumedExceedRequests(uint64 given, uint64 forcedCount);
    /// @notice The batch leaves forced request `id` unconsumed past its deadline.
    error ForcedRequestOverdue(uint64 id, uint256 deadline);
    /// @notice No forced request with this id.
    error UnknownForcedRequest(uint64 id);
    /// @notice No final batch has consumed forced request `id` yet.
    error ForcedRequestNotFinal(uint64 id);
    /// @notice The fee of forced request `id` was refunded before.
    error ForcedFeeAlreadyRefunded(uint64 id);
    /// @notice maxForcedPerBlock given to the constructor is zero.
    error ZeroForcedLimit();
    /// @notice The rollup is frozen (see freeze()).
    error Frozen();
    /// @notice freeze(): no forced request is overdue and a batch came
    ///         within maxBatchGap (the earliest time it becomes possible
    ///         without a new request).
    error NotFreezable(uint256 freezableAt);

    // ------------------------------------------------------------------
    // Parameters
    // ------------------------------------------------------------------

    /// @notice The ERC-20 collateral token.
    address public immutable collateralToken;
    /// @notice The only address that may append batches.
    address public immutable sequencer;
    /// @notice Seconds after a batch's L1 timestamp before it can be final.
    uint64 public immutable challengePeriod;
    /// @notice Seconds after a deposit's L1 timestamp within which a batch must consume it.
    uint64 public immutable forcedInclusionDelay;
    /// @notice Exact msg.value of challenge(), in wei.
    uint256 public immutable challengeBond;
    /// @notice The address that resolves challenges (until a fault-proof game replaces it).
    address public immutable arbiter;
    /// @notice While a deposit is overdue, the oldest L1 block (in seconds
    ///         before the append) a batch that leaves it unconsumed may name.
    uint64 public immutable sequencingWindow;
    /// @notice Seconds after a forced request's L1 timestamp within which a batch must consume it.
    uint64 public immutable forcedRequestDelay;
    /// @notice Exact msg.value of forceRequest(), in wei; credited back once a final batch consumed it.
    uint256 public immutable forcedRequestFee;
    /// @notice Most forced requests accepted in one L1 block.
    uint32 public immutable maxForcedPerBlock;
    /// @notice Seconds without a batch (since the last one, the last
    ///         discard, or the deployment) after which anyone may freeze.
    uint64 public immutable maxBatchGap;
    /// @notice L1 timestamp of the deployment.
    uint64 public immutable deployTime;

    // ------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------

    /// @notice Number of live batches; the next batch gets this index.
    uint64 public batchCount;
    /// @notice Number of deposits made; the next deposit gets this id.
    uint64 public depositCount;
    /// @notice Cumulative deposits consumed by the live batches.
    uint64 public depositsConsumed;
    /// @notice L2 block number the next batch must start with.
    uint64 public nextL2Block;

    /// @notice Lowest batch index with an open challenge, or 2^64 - 1 if none.
    uint64 public earliestOpenChallenge;
    /// @notice L1 timestamp of the last discard (a challenge won by the
    ///         challenger), or 0 if none. Every deposit's forced-inclusion
    ///         window runs from the later of its own timestamp and this one.
    uint64 public lastDiscardTime;
    /// @notice l1Timestamp of the newest live batch (0 before the first
    ///         batch and after a discard). A batch may not name an older one.
    uint64 public lastL1Timestamp;

    /// @notice Challenger of the open challenge against a batch, or zero.
    mapping(uint64 => address) public challengerOf;

    /// @notice Ether (wei) credited from bonds and not yet withdrawn.
    mapping(address => uint256) public bondCredit;

    /// @dev Per batch: the top 224 bits of keccak256(abi.encode(record)),
    ///      then the record's timestamp in the low 32 bits (until 2106).
    mapping(uint64 => bytes32) internal _commitments;
    /// @dev Per open challenge: what a rollback to before the challenged
    ///      batch restores (its firstBlock << 64 | prevDepositsConsumed).
    mapping(uint64 => uint128) internal _rollbackOf;
    mapping(uint64 => DepositRecord) internal _deposits;
    uint64[] internal _openChallenges;
    mapping(uint256 => uint256) internal _claimedWords;

    /// @notice Number of forced requests made; the next one gets this id.
    uint64 public forcedCount;
    /// @notice Cumulative forced requests consumed by the live batches.
    uint64 public forcedConsumed;
    /// @dev The L1 block of the last forced request, and how many it holds.
    uint64 internal _forcedBlock;
    uint32 internal _forcedInBlock;
    /// @notice Whether the rollup is frozen (for good). In the slot of the
    ///         forced counters, which appendBatch reads anyway.
    bool public frozen;
    mapping(uint64 => ForcedRecord) internal _forced;
    /// @dev Per batch index, four to a slot: forcedConsumed after the batch.
    mapping(uint256 => uint256) internal _forcedAfterWords;

    /// @notice Batches final when it froze; the exit root is the last one's.
    uint64 public exitBatchCount;
    /// @notice L1 timestamp of the freeze (0 while not frozen).
    uint64 public frozenAt;
    /// @notice The state root accounts exit from after the freeze.
    bytes32 public exitRoot;

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
    ) {
        if (collateralToken_ == address(0) || sequencer_ == address(0) || arbiter_ == address(0)) {
            revert ZeroAddress();
        }
        if (collateralToken_.code.length == 0) revert NotAContract(collateralToken_);
        if (challengeBond_ == 0) revert ZeroBond();
        if (maxForcedPerBlock_ == 0) revert ZeroForcedLimit();
        collateralToken = collateralToken_;
        sequencer = sequencer_;
        challengePeriod = challengePeriod_;
        forcedInclusionDelay = forcedInclusionDelay_;
        challengeBond = challengeBond_;
        arbiter = arbiter_;
        sequencingWindow = sequencingWindow_;
        forcedRequestDelay = forcedRequestDelay_;
        forcedRequestFee = forcedRequestFee_;
        maxForcedPerBlock = maxForcedPerBlock_;
        maxBatchGap = maxBatchGap_;
        deployTime = uint64(block.timestamp);
        nextL2Block = FIRST_L2_BLOCK;
        earliestOpenChallenge = NO_CHALLENGE;
    }

    // ------------------------------------------------------------------
    // Shared internals
    // ------------------------------------------------------------------


    /// @dev Deadline of deposit `id`: forcedInclusionDelay after the later
    ///      of its own L1 timestamp and the last discard. Deposit timestamps
    ///      never decrease with the id, so neither do deadlines.
    function _deadline(uint64 id) internal view returns (uint256) {
        uint256 start = _deposits[id].timestamp;
        uint256 discard = lastDiscardTime;
        if (discard > start) start = discard;
        return start + forcedInclusionDelay;
    }

    function _commit(BatchRecord memory rec) internal pure returns (bytes32) {
        return bytes32(
            (uint256(keccak256(abi.encode(rec))) & ~uint256(0xffffffff)) | uint256(uint32(rec.timestamp))
        );
    }

    /// @dev Reverts unless `rec` is the record of live batch `index`.
    function _checkRecord(uint64 index, BatchRecord calldata rec) internal view {
        if (index >= batchCount) revert UnknownBatch(index);
        if (_commitments[index] != _commit(rec)) revert InvalidBatchRecord(index);
    }

    /// @dev L1 timestamp of batch `index` (which must exist), from its commitment.
    function _batchTime(uint64 index) internal view returns (uint256) {
        return uint256(_commitments[index]) & 0xffffffff;
    }


    /// @dev Deadline of forced request `id`: forcedRequestDelay after the
    ///      later of its own L1 timestamp and the last discard. Timestamps
    ///      never decrease with the id, so neither do deadlines.
    function _forcedDeadline(uint64 id) internal view returns (uint256) {
        uint256 start = _forced[id].timestamp;
        uint256 discard = lastDiscardTime;
        if (discard > start) start = discard;
        return start + forcedRequestDelay;
    }

    /// @dev The forced-request rules of appendBatch for batch `index`;
    ///      records the new cumulative count for the batch.
    function _checkForced(uint64 index, uint64 newForcedConsumed) internal {
        if (frozen) revert Frozen();
        uint64 previous = forcedConsumed;
        uint64 made = forcedCount;
        if (newForcedConsumed < previous) revert ForcedConsumedDecreased(previous, newForcedConsumed);
        if (newForcedConsumed > made) revert ForcedConsumedExceedRequests(newForcedConsumed, made);
        if (made == 0) return; // never a request: every count is zero
        if (newForcedConsumed < made) {
            uint256 deadline = _forcedDeadline(newForcedConsumed);
            if (block.timestamp > deadline) revert ForcedRequestOverdue(newForcedConsumed, deadline);
        }
        forcedConsumed = newForcedConsumed;
        uint256 word = index >> 2;
        uint256 shift = (index & 3) * 64;
        uint256 old = _forcedAfterWords[word];
        uint256 updated = (old & ~(uint256(type(uint64).max) << shift)) | (uint256(newForcedConsumed) << shift);
        if (updated != old) _forcedAfterWords[word] = updated;
    }

    /// @dev forcedConsumed after batch `index`.
    function _forcedAfter(uint64 index) internal view returns (uint64) {
        return uint64(_forcedAfterWords[index >> 2] >> ((index & 3) * 64));
    }

    /// @dev A discard from batch `batchIndex` on: back to the count after
    ///      the batch before it.
    function _rollbackForced(uint64 batchIndex) internal {
        forcedConsumed = batchIndex == 0 ? 0 : _forcedAfter(batchIndex - 1);
    }

    // ------------------------------------------------------------------
    // Finality
    // ------------------------------------------------------------------

    /// @notice Whether batch `index` is final: it exists, challengePeriod
    ///         seconds have passed since it was appended, and no open
    ///         challenge stands against it or any earlier batch.
    /// @param index Batch index.
    /// @return True if final. A final batch stays final.
    function isFinal(uint64 index) public view returns (bool) {
        if (index >= batchCount || index >= earliestOpenChallenge) return false;
        return block.timestamp >= _batchTime(index) + challengePeriod;
    }

    /// @notice Number of final batches: batches 0 .. n-1 are final, the rest are not.
    /// @return n Count of final batches (the last final batch is n - 1 if n > 0).
    function finalizedBatchCount() public view returns (uint64 n) {
        uint64 hi = batchCount;
        if (earliestOpenChallenge < hi) hi = earliestOpenChallenge;
        // Batch timestamps never decrease with the index: binary search for
        // the first batch whose challenge period has not passed.
        uint64 lo = 0;
        while (lo < hi) {
            uint64 mid = lo + (hi - lo) / 2;
            if (block.timestamp >= _batchTime(mid) + challengePeriod) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /// @dev Calls the token; accepts `true` or no return data, bubbles up
    ///      the token's own revert data, and otherwise reverts.
    function _callToken(bytes memory data) internal {
        (bool ok, bytes memory ret) = collateralToken.call(data);
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
}
