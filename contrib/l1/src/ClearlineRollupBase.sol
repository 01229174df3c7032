// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The two ERC-20 calls the rollup makes. Tokens that return nothing
///      instead of `true` are accepted as well (see _callToken).
interface IClearlineCollateral {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @dev The dispute game contract (ClearlineDispute.sol), as the rollup calls it.
interface IClearlineGames {
    function BOND() external view returns (uint256);
    function CLOCK() external view returns (uint64);
    function createFor(
        address challenger,
        address defender,
        bytes32 pre,
        uint64 steps,
        bytes32 challengerClaim,
        bool zeroVerdict
    ) external payable returns (uint256 id);
    function outcome(uint256 id) external view returns (uint8 phase, uint8 winner);
}

/// @dev The verdict program's initial states (ClearlineProgram.sol).
interface IClearlineProgram {
    function initialState(bytes32 key) external view returns (bytes32);
}

/// @title ClearlineRollupBase
/// @notice What every part of ClearlineRollup shares: the batch record and
///         the deposit and forced-request records, constants, events,
///         errors, parameters, storage, the constructor, and the internals
///         more than one part uses (record commitments, deadlines, the
///         forced-request rules of appendBatch, finality, token calls).
/// @dev The parts, one job a file: ClearlineBatches (deposits and the
///      batch log), ClearlineChallenges (dispute games), ClearlineForced
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

    /// @notice Largest batch data appendBatch takes: the preimage oracle's
    ///         limit, so that a step reading the data fits the oracle.
    uint256 public constant MAX_BATCH_DATA = 128 * 1024;

    /// @notice The step budget N of every dispute game: the verdict
    ///         program must halt before it (a halted machine stays halted,
    ///         so the claims are about its final state). Its run is about
    ///         6 000 steps per entry of the pre-state it walks, 38 per byte
    ///         of batch data and up to ~10^7 for the block: 2^40 covers
    ///         some 180 million state entries (2^32 would stop at ~700 000),
    ///         for 8 more moves than 2^32.
    uint64 public constant GAME_STEPS = uint64(1) << 40;

    /// @notice Table id of withdrawals in the L2 state tree.
    uint8 public constant WITHDRAWAL_TABLE_ID = 5;

    /// @notice Longest accepted Merkle proof (the paths have 256 bits).
    uint256 public constant MAX_PROOF_DEPTH = 256;

    uint64 internal constant NO_GAME = type(uint64).max;

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

    /// @notice `challenger` opened dispute game `gameId` (in the dispute
    ///         contract) about block `k` of batch `batchIndex`.
    event GameOpened(uint64 indexed batchIndex, uint32 k, uint256 indexed gameId, address indexed challenger);

    /// @notice Game `gameId` about batch `batchIndex` was resolved: if the
    ///         challenger won, the batch and every later one were discarded
    ///         (BatchesDiscarded); else it no longer holds finality.
    event GameResolved(uint64 indexed batchIndex, uint256 indexed gameId, bool challengerWins);

    /// @notice Game `gameId` was about batch `batchIndex` as it stood
    ///         before a discard: resolving it had no effect.
    event GameVoided(uint64 indexed batchIndex, uint256 indexed gameId);

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
    /// @notice The dispute contract's bond is zero.
    error ZeroBond();
    /// @notice Only the sequencer may append batches.
    error NotSequencer(address caller);
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
    /// @notice The batch's challenge period ended at `endedAt`: no more games about it.
    error ChallengePeriodOver(uint64 index, uint256 endedAt);
    /// @notice Block `k` is not in the batch (its last block is `maxK`).
    error BlockNotInBatch(uint64 index, uint32 k, uint64 maxK);
    /// @notice The challenger's claim has verdict byte 0 (it says the batch is right).
    error NotAFault(bytes32 claim);
    /// @notice The batch data is over MAX_BATCH_DATA bytes.
    error BatchTooLarge(uint256 length, uint256 max);
    /// @notice No game opened by this rollup has this id.
    error UnknownGame(uint256 gameId);
    /// @notice The game was resolved before.
    error GameAlreadyResolved(uint256 gameId);
    /// @notice The game is not over in the dispute contract (phase 1 .. 3).
    error GameNotOver(uint256 gameId, uint8 phase);
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
    /// @notice Exact msg.value of challenge(), in wei: the dispute contract's BOND.
    uint256 public immutable challengeBond;
    /// @notice The dispute game contract (ClearlineDispute).
    IClearlineGames public immutable dispute;
    /// @notice The verdict program's contract (ClearlineProgram, deployed with stf.elf's image id).
    IClearlineProgram public immutable program;
    /// @notice The chain's genesis hash (keccak256 of the genesis encoding), in every game's input.
    bytes32 public immutable genesisHash;
    /// @notice The genesis state root: the pre-state of batch 0.
    bytes32 public immutable genesisRoot;
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

    /// @notice Lowest batch index with an unresolved game, or 2^64 - 1 if none.
    uint64 public earliestOpenGame;
    /// @notice L1 timestamp of the last discard (a challenge won by the
    ///         challenger), or 0 if none. Every deposit's forced-inclusion
    ///         window runs from the later of its own timestamp and this one.
    uint64 public lastDiscardTime;
    /// @notice l1Timestamp of the newest live batch (0 before the first
    ///         batch and after a discard). A batch may not name an older one.
    uint64 public lastL1Timestamp;
    /// @notice Number of discards so far (games remember it: a game
    ///         opened before a discard of its batch is void).
    uint64 public discardCount;

    /// @notice Ether (wei) credited from bonds and not yet withdrawn.
    mapping(address => uint256) public bondCredit;

    /// @dev Per batch: the top 224 bits of keccak256(abi.encode(record)),
    ///      then the record's timestamp in the low 32 bits (until 2106).
    mapping(uint64 => bytes32) internal _commitments;
    mapping(uint64 => DepositRecord) internal _deposits;
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
    /// @dev Whether an asset deposit was ever made (set by the assets
    ///      contract at its first): until then appendBatch skips the call
    ///      to it. In the same slot as `frozen`, which appendBatch reads.
    bool internal _assetsLive;
    mapping(uint64 => ForcedRecord) internal _forced;
    /// @dev Per batch index, four to a slot: forcedConsumed after the batch.
    mapping(uint256 => uint256) internal _forcedAfterWords;

    /// @notice Batches final when it froze; the exit root is the last one's.
    uint64 public exitBatchCount;
    /// @notice L1 timestamp of the freeze (0 while not frozen).
    uint64 public frozenAt;
    /// @notice The state root accounts exit from after the freeze.
    bytes32 public exitRoot;

    /// @dev A game this rollup opened, in one slot: its batch, block, the
    ///      discardCount when it was opened, and 1 open / 2 resolved.
    struct GameRef {
        uint64 batchIndex;
        uint32 k;
        uint64 epoch;
        uint8 state;
    }
    mapping(uint256 => GameRef) internal _games;
    /// @dev Per batch index: unresolved games (bits 0..63), the
    ///      discardCount before which its games are void (64..127), and
    ///      what a discard from it restores: its firstBlock (128..191) and
    ///      prevDepositsConsumed (192..255).
    mapping(uint64 => uint256) internal _batchGames;
    /// @dev Bit i of word w: batch 256 w + i has an unresolved game.
    mapping(uint256 => uint256) internal _gameBits;

    /// @notice The deployment's parameters (the constructor's one argument;
    ///         a struct, as thirteen arguments do not fit the stack).
    /// @param collateralToken ERC-20 collateral token.
    /// @param sequencer Address allowed to append batches; every game's defender.
    /// @param challengePeriod Seconds after an append during which games may
    ///        open; the batch cannot be final before.
    /// @param forcedInclusionDelay Seconds within which a deposit must be consumed.
    /// @param dispute The dispute game contract (ClearlineDispute); its BOND,
    ///        non-zero, is the challenge bond.
    /// @param program The verdict program's contract (ClearlineProgram with stf.elf's image id).
    /// @param genesisHash The chain's genesis hash (keccak256 of the genesis encoding).
    /// @param genesisRoot The genesis state root (the pre-state of batch 0).
    /// @param sequencingWindow Longest staleness, in seconds, of the L1 block
    ///        named by a batch that leaves an overdue deposit unconsumed.
    /// @param forcedRequestDelay Seconds within which a forced request must be consumed.
    /// @param forcedRequestFee Fee in wei of forceRequest() (may be zero).
    /// @param maxForcedPerBlock Most forced requests per L1 block; must be non-zero.
    /// @param maxBatchGap Seconds without a batch after which anyone may freeze.
    struct Config {
        address collateralToken;
        address sequencer;
        uint64 challengePeriod;
        uint64 forcedInclusionDelay;
        IClearlineGames dispute;
        IClearlineProgram program;
        bytes32 genesisHash;
        bytes32 genesisRoot;
        uint64 sequencingWindow;
        uint64 forcedRequestDelay;
        uint256 forcedRequestFee;
        uint32 maxForcedPerBlock;
        uint64 maxBatchGap;
    }

    /// @param c The parameters (see Config).
    constructor(Config memory c) {
        if (
            c.collateralToken == address(0) || c.sequencer == address(0) || address(c.dispute) == address(0)
                || address(c.program) == address(0)
        ) {
            revert ZeroAddress();
        }
        if (c.collateralToken.code.length == 0) revert NotAContract(c.collateralToken);
        if (address(c.dispute).code.length == 0) revert NotAContract(address(c.dispute));
        if (address(c.program).code.length == 0) revert NotAContract(address(c.program));
        uint256 bond = c.dispute.BOND();
        if (bond == 0) revert ZeroBond();
        if (c.maxForcedPerBlock == 0) revert ZeroForcedLimit();
        collateralToken = c.collateralToken;
        sequencer = c.sequencer;
        challengePeriod = c.challengePeriod;
        forcedInclusionDelay = c.forcedInclusionDelay;
        challengeBond = bond;
        dispute = c.dispute;
        program = c.program;
        genesisHash = c.genesisHash;
        genesisRoot = c.genesisRoot;
        sequencingWindow = c.sequencingWindow;
        forcedRequestDelay = c.forcedRequestDelay;
        forcedRequestFee = c.forcedRequestFee;
        maxForcedPerBlock = c.maxForcedPerBlock;
        maxBatchGap = c.maxBatchGap;
        deployTime = uint64(block.timestamp);
        nextL2Block = FIRST_L2_BLOCK;
        earliestOpenGame = NO_GAME;
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
    ///         seconds have passed since it was appended, and no unresolved
    ///         game stands on it or any earlier batch.
    /// @param index Batch index.
    /// @return True if final. A final batch stays final.
    function isFinal(uint64 index) public view returns (bool) {
        if (index >= batchCount || index >= earliestOpenGame) return false;
        // after a freeze no game can be opened: a batch not final then never is
        if (frozen && index >= exitBatchCount) return false;
        return block.timestamp >= _batchTime(index) + challengePeriod;
    }

    /// @notice What a poster reads before each post, in one call: every
    ///         value from one state. Read one by one, a batch or a discard
    ///         landing between two calls pairs a count from before it with
    ///         a next block from after it (a devnet L1 once mixed two
    ///         states even for calls at one block number).
    /// @return count batchCount.
    /// @return finalized finalizedBatchCount().
    /// @return nextBlock nextL2Block.
    /// @return discardTime lastDiscardTime.
    function postingState()
        external
        view
        returns (uint64 count, uint64 finalized, uint64 nextBlock, uint64 discardTime)
    {
        return (batchCount, finalizedBatchCount(), nextL2Block, lastDiscardTime);
    }

    /// @notice Number of final batches: batches 0 .. n-1 are final, the rest are not.
    /// @return n Count of final batches (the last final batch is n - 1 if n > 0).
    function finalizedBatchCount() public view returns (uint64 n) {
        uint64 hi = batchCount;
        if (earliestOpenGame < hi) hi = earliestOpenGame;
        if (frozen && exitBatchCount < hi) hi = exitBatchCount;
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

    /// @dev The asset-deposit rules of appendBatch for batch `index`
    ///      (ClearlineAssets), after the forced-request ones.
    function _checkAssetDeposits(uint64 index, uint64 l1Timestamp) internal virtual;

    /// @dev A discard from batch `batchIndex` on, for asset deposits
    ///      (ClearlineAssets).
    function _rollbackAssets(uint64 batchIndex) internal virtual;

    /// @dev The asset deposits live batch `index` consumed, as a game's
    ///      deposits list carries them after the deposits
    ///      (ClearlineAssets.gameAssetList; empty when none).
    function _gameAssetList(uint64 index) internal view virtual returns (bytes memory);

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
