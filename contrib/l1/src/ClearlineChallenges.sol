// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClearlineRollupBase} from "./ClearlineRollupBase.sol";

/// @title ClearlineChallenges
/// @notice Dispute games against batches in their challenge period, played
///         in ClearlineDispute, and what their outcome does to the batches.
/// @dev A game about block k of batch i starts from the verdict program
///      (ClearlineProgram) booted on keccak256 of the CLB3 input the rollup
///      builds from its own records (gameInput; docs/disputes.md "Wiring").
///      The challenger claims a final VM state whose verdict byte is not 0
///      (the batch is wrong), the sequencer defends with verdict byte 0.
///      Any number of games, on any batches, by anyone, each with its own
///      clocks; a batch is final once its challenge period has passed and
///      no unresolved game stands on it or an earlier batch. Games open only
///      during the batch's challenge period, so finality waits at most
///      2 x CLOCK past it (plus the time to call timeout/step and resolve).
abstract contract ClearlineChallenges is ClearlineRollupBase {
    uint8 private constant GAME_OPEN = 1;
    uint8 private constant GAME_DONE = 2;
    uint8 private constant PHASE_OVER = 4;
    uint8 private constant CHALLENGER_WINS = 2;

    /// @notice Opens a dispute game about block `k` (0-based within the
    ///         batch) of batch `batchIndex`, during its challenge period.
    ///         msg.value must equal challengeBond (the dispute contract's
    ///         BOND); the caller is the challenger, the sequencer the
    ///         defender, and GAME_STEPS the step budget.
    /// @param batchIndex The batch claimed to be wrong.
    /// @param k The block of the batch claimed wrong (the first wrong one).
    /// @param rec The batch's record (from BatchAppended).
    /// @param prevRec The record of batch batchIndex - 1 (its stateRoot is
    ///        the pre-state); ignored for batch 0 (the genesis root).
    /// @param claim The challenger's final VM state hash (verdict byte != 0).
    /// @return gameId The game's id in the dispute contract.
    function challenge(
        uint64 batchIndex,
        uint32 k,
        BatchRecord calldata rec,
        BatchRecord calldata prevRec,
        bytes32 claim
    ) external payable returns (uint256 gameId) {
        if (frozen) revert Frozen();
        uint256 bond = challengeBond;
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        bytes memory input = _gameInput(batchIndex, k, rec, prevRec);
        uint256 endsAt = _batchTime(batchIndex) + challengePeriod;
        if (block.timestamp >= endsAt) revert ChallengePeriodOver(batchIndex, endsAt);
        if (uint8(claim[0]) == 0) revert NotAFault(claim);
        bytes32 pre = program.initialState(keccak256(input));
        gameId = dispute.createFor{value: bond}(msg.sender, sequencer, pre, GAME_STEPS, claim, true);

        _games[gameId] = GameRef(batchIndex, k, discardCount, GAME_OPEN);
        uint256 slot = _batchGames[batchIndex];
        if (uint64(slot) == 0) {
            // the first unresolved game on the batch: what a discard restores
            slot = (slot & (uint256(type(uint64).max) << 64)) | (uint256(rec.firstBlock) << 128)
                | (uint256(rec.prevDepositsConsumed) << 192);
            _gameBits[batchIndex >> 8] |= uint256(1) << (batchIndex & 0xff);
            if (batchIndex < earliestOpenGame) earliestOpenGame = batchIndex;
        }
        _batchGames[batchIndex] = slot + 1;
        emit GameOpened(batchIndex, k, gameId, msg.sender);
    }

    /// @notice The CLB3 input of a game about block `k` of batch
    ///         `batchIndex` (docs/disputes.md "Wiring"): the bytes whose
    ///         keccak256 the verdict program boots on. Reverts as challenge
    ///         does on a wrong record or block.
    function gameInput(uint64 batchIndex, uint32 k, BatchRecord calldata rec, BatchRecord calldata prevRec)
        external
        view
        returns (bytes memory)
    {
        return _gameInput(batchIndex, k, rec, prevRec);
    }

    /// @notice Applies the outcome of game `gameId` once it is over in the
    ///         dispute contract (anyone may call it). Challenger won: batch
    ///         `batchIndex` and every later one are discarded
    ///         (batchCount, depositsConsumed, forcedConsumed and
    ///         nextL2Block roll back to the end of the batch before it,
    ///         every pending deposit and forced request gets a fresh
    ///         window). Defender won: the game no longer holds finality.
    ///         A game whose batch was discarded since it opened is void:
    ///         resolving it only marks it (GameVoided). Bonds are paid by
    ///         the dispute contract.
    function resolve(uint256 gameId) external {
        GameRef memory g = _games[gameId];
        if (g.state == 0) revert UnknownGame(gameId);
        if (g.state == GAME_DONE) revert GameAlreadyResolved(gameId);
        (uint8 phase, uint8 winner) = dispute.outcome(gameId);
        if (phase != PHASE_OVER) revert GameNotOver(gameId, phase);
        _games[gameId].state = GAME_DONE;

        uint64 idx = g.batchIndex;
        uint256 slot = _batchGames[idx];
        if (g.epoch < uint64(slot >> 64)) {
            emit GameVoided(idx, gameId);
            return;
        }
        bool challengerWins = winner == CHALLENGER_WINS;
        emit GameResolved(idx, gameId, challengerWins);
        if (challengerWins) {
            _discardFrom(idx, slot);
        } else {
            _batchGames[idx] = slot - 1;
            if (uint64(slot) == 1) _gameClosed(idx);
        }
    }

    /// @notice A game this rollup opened: its batch, block, and whether it
    ///         was resolved (or voided).
    function gameOf(uint256 gameId) external view returns (uint64 batchIndex, uint32 k, bool resolved) {
        GameRef memory g = _games[gameId];
        if (g.state == 0) revert UnknownGame(gameId);
        return (g.batchIndex, g.k, g.state == GAME_DONE);
    }

    /// @notice Unresolved games on live batch `index`.
    function openGames(uint64 index) external view returns (uint64) {
        if (index >= batchCount) revert UnknownBatch(index);
        return uint64(_batchGames[index]);
    }

    /// @dev The CLB3 input: abi.encodePacked("CLB3", dataHash, uint32 k,
    ///      prevRoot, depositsHash (the deposits, then the asset deposits
    ///      the batch consumed, if any), forcedHash, genesisHash, stateRoot,
    ///      withdrawalRoot, prevDepositsConsumed, depositsConsumed,
    ///      prevForcedConsumed, forcedConsumed, firstBlock, lastBlock),
    ///      280 bytes, as src/game's cl_game_input_encode().
    function _gameInput(uint64 batchIndex, uint32 k, BatchRecord calldata rec, BatchRecord calldata prevRec)
        private
        view
        returns (bytes memory)
    {
        _checkRecord(batchIndex, rec);
        uint64 maxK = rec.lastBlock - rec.firstBlock;
        if (k > maxK) revert BlockNotInBatch(batchIndex, k, maxK);
        bytes32 prevRoot = genesisRoot;
        uint64 prevForced = 0;
        if (batchIndex > 0) {
            _checkRecord(batchIndex - 1, prevRec);
            prevRoot = prevRec.stateRoot;
            prevForced = _forcedAfter(batchIndex - 1);
        }
        uint64 forced = _forcedAfter(batchIndex);
        bytes memory head = abi.encodePacked(
            "CLB3",
            rec.dataHash,
            k,
            prevRoot,
            _depositsHash(batchIndex, rec.prevDepositsConsumed, rec.depositsConsumed),
            _forcedHash(prevForced, forced),
            genesisHash
        );
        return bytes.concat(
            head,
            abi.encodePacked(
                rec.stateRoot,
                rec.withdrawalRoot,
                rec.prevDepositsConsumed,
                rec.depositsConsumed,
                prevForced,
                forced,
                rec.firstBlock,
                rec.lastBlock
            )
        );
    }

    /// @dev keccak256 of deposits from .. to - 1, 32 packed bytes each:
    ///      to ‖ be64 amount ‖ be32 timestamp, then the asset deposits
    ///      batch `index` consumed (_gameAssetList; empty when none, so a
    ///      batch without any hashes its deposits alone). One SLOAD a
    ///      deposit.
    function _depositsHash(uint64 index, uint64 from, uint64 to) private view returns (bytes32 h) {
        uint256 n = to - from;
        bytes memory b = new bytes(32 * n);
        for (uint256 i = 0; i < n; i++) {
            DepositRecord storage d = _deposits[uint64(from + i)];
            bytes32 w = bytes32(abi.encodePacked(d.to, d.amount, d.timestamp));
            assembly ("memory-safe") {
                mstore(add(add(b, 32), mul(i, 32)), w)
            }
        }
        h = keccak256(bytes.concat(b, _gameAssetList(index)));
    }

    /// @dev keccak256 of forced requests from .. to - 1, 37 packed bytes
    ///      each: account ‖ kind ‖ be64 a ‖ be64 b. Two SLOADs a request.
    function _forcedHash(uint64 from, uint64 to) private view returns (bytes32 h) {
        uint256 n = to - from;
        // 32 spare bytes: each record's last word is written whole
        bytes memory b = new bytes(37 * n + 32);
        for (uint256 i = 0; i < n; i++) {
            ForcedRecord storage f = _forced[uint64(from + i)];
            uint256 w1 = (uint256(uint160(f.account)) << 96) | (uint256(f.kind) << 88) | (uint256(f.a) << 24);
            uint256 w2 = uint256(f.b) << 192;
            assembly ("memory-safe") {
                let p := add(add(b, 32), mul(i, 37))
                mstore(p, w1)
                mstore(add(p, 29), w2)
            }
        }
        assembly ("memory-safe") {
            h := keccak256(add(b, 32), mul(n, 37))
        }
    }

    /// @dev The last unresolved game on live batch `idx` ended: the bit
    ///      goes, and if it was the earliest such batch, the next one is
    ///      found in the bitmap (one SLOAD per 256 batches up to batchCount).
    function _gameClosed(uint64 idx) private {
        uint256 w = idx >> 8;
        uint256 bits = _gameBits[w] & ~(uint256(1) << (idx & 0xff));
        _gameBits[w] = bits;
        if (earliestOpenGame != idx) return;
        uint256 end = batchCount;
        bits &= type(uint256).max << (idx & 0xff);
        while (true) {
            if (bits != 0) {
                earliestOpenGame = uint64((w << 8) + _lowestBit(bits));
                return;
            }
            w++;
            if (w << 8 >= end) break;
            bits = _gameBits[w];
        }
        earliestOpenGame = NO_GAME;
    }

    /// @dev Discards batch `from` and every later one (`slot` is its
    ///      _batchGames entry, of an unresolved game). Every game on the
    ///      discarded batches becomes void: their entries start a new
    ///      epoch. One SLOAD per 256 discarded batches and one SSTORE per
    ///      discarded batch with a game.
    function _discardFrom(uint64 from, uint256 slot) private {
        uint64 old = batchCount;
        uint64 epoch = discardCount + 1;
        discardCount = epoch;
        uint256 lastWord = uint256(old - 1) >> 8;
        for (uint256 w = from >> 8; w <= lastWord; w++) {
            uint256 bits = _gameBits[w];
            uint256 mask = w == from >> 8 ? type(uint256).max << (from & 0xff) : type(uint256).max;
            uint256 gone = bits & mask;
            if (gone == 0) continue;
            _gameBits[w] = bits & ~mask;
            while (gone != 0) {
                uint256 i = _lowestBit(gone);
                _batchGames[uint64((w << 8) + i)] = uint256(epoch) << 64;
                gone &= gone - 1;
            }
        }
        if (earliestOpenGame >= from) earliestOpenGame = NO_GAME;

        batchCount = from;
        nextL2Block = uint64(slot >> 128);
        depositsConsumed = uint64(slot >> 192);
        _rollbackForced(from);
        _rollbackAssets(from);
        // Every pending deposit gets a fresh window from now, so the
        // re-posted batches can always meet the rule (docs/l1.md).
        lastDiscardTime = uint64(block.timestamp);
        // The discarded batches' L1 time goes with them; the L2 blocks
        // keep their references in order, which verifiers check.
        lastL1Timestamp = 0;
        emit BatchesDiscarded(from, old - from);
    }

    /// @dev Index of the lowest set bit of x (x != 0).
    function _lowestBit(uint256 x) private pure returns (uint256 r) {
        x &= (~x) + 1;
        if (x >= 1 << 128) { x >>= 128; r += 128; }
        if (x >= 1 << 64) { x >>= 64; r += 64; }
        if (x >= 1 << 32) { x >>= 32; r += 32; }
        if (x >= 1 << 16) { x >>= 16; r += 16; }
        if (x >= 1 << 8) { x >>= 8; r += 8; }
        if (x >= 1 << 4) { x >>= 4; r += 4; }
        if (x >= 1 << 2) { x >>= 2; r += 2; }
        if (x >= 1 << 1) r += 1;
    }
}
