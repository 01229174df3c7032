// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The one-step verifier (ClearlineStep.sol), as the game calls it.
interface IClearlineStep {
	function step(bytes32 pre, bytes calldata proof) external view returns (bytes32);
}

/// The preimage oracle (ClearlinePreimages.sol), as the game reads it.
interface IClearlinePreimages {
	function lengthOf(bytes32 key) external view returns (bool posted, uint256 length);
}

/// @title ClearlineDispute: bisection games over the fault-proof VM's steps.
/// @notice One game per disputed claim. Both parties agree on the state
/// hash `pre` of the VM (docs/vm.md) before step 0 and disagree on the
/// state hash after `steps` steps: the defender claims `defenderClaim`,
/// the challenger `challengerClaim`. They bisect the step interval down
/// to one step, which this contract has ClearlineStep execute; the side
/// the executed step proves right wins both bonds. Each side has a chess
/// clock of CLOCK seconds that runs only while it is that side's turn; a
/// side whose clock runs out loses (anyone calls `timeout`).
///
/// The rules (docs/disputes.md has the argument and the figures):
/// - `create` (the challenger, with BOND) opens a game and names its
///   defender, or leaves the slot open (address 0): then the defender is
///   whoever first calls `defend` with BOND. Joining runs on the
///   defender's clock.
/// - The game keeps an interval (lo, hi] of steps, the hash at lo both
///   sides agreed to (`loHash`), the hash at hi (`hiHash`) and which side
///   claims it (`hiOwner`; the other side disputes it), and a pending hash
///   `midHash` at m = lo + (hi - lo) / 2 posted by the side not to move.
/// - A move (`move`, only by the side to move, naming the current lo and
///   hi) first judges the pending hash: agree sets lo = m and loHash; a
///   disagreement sets hi = m, hiHash = the pending hash, hiOwner = its
///   poster. Then, while hi - lo > 1, the mover posts its own hash at the
///   new midpoint and the turn passes. At hi - lo == 1 the game waits for
///   the step, on hiOwner's clock.
/// - `step` (anyone): the proof's pre-state must hash to loHash; if the
///   post-state is hiHash, hiOwner wins, else the other side does.
/// - `createFor` (a contract, e.g. ClearlineRollup, with BOND) opens a
///   game on behalf of a named challenger against a named defender,
///   without the defender's claim: the defender posts it with
///   `defendClaim`. The game keeps its `creator`; with `zeroVerdict`
///   the defender's claim must have verdict byte (first byte) 0 and the
///   challenger's not.
/// Bonds are paid out by pull (`withdraw`).
contract ClearlineDispute {
	uint8 internal constant NONE = 0;
	uint8 internal constant DEFENDER = 1;
	uint8 internal constant CHALLENGER = 2;

	// phases
	uint8 internal constant P_NONE = 0;
	uint8 internal constant P_WAIT_DEFENDER = 1;
	uint8 internal constant P_BISECT = 2;
	uint8 internal constant P_STEP = 3;
	uint8 internal constant P_OVER = 4;

	// the step proof's layout (docs/vm.md "The step proof")
	uint256 private constant STATE_END = 1 + 337;
	uint256 private constant TREE_DEPTH = 27;

	IClearlineStep public immutable STEP;
	IClearlinePreimages public immutable PREIMAGES;
	/// Each side's bond, in wei.
	uint256 public immutable BOND;
	/// Each side's chess clock, in seconds.
	uint64 public immutable CLOCK;

	struct Game {
		// slot 0
		address challenger;
		uint64 challengerClock; // seconds left, as of `since`
		uint8 phase;
		uint8 turn; // the side to move (P_WAIT_DEFENDER: DEFENDER)
		uint8 hiOwner;
		uint8 winner;
		// slot 1
		address defender;
		uint64 defenderClock;
		// slot 2
		uint64 lo;
		uint64 hi;
		uint64 since; // when the side to move got the turn
		uint64 steps;
		// slots 3..8
		bytes32 pre;
		bytes32 loHash;
		bytes32 hiHash;
		bytes32 midHash;
		bytes32 defenderClaim;
		bytes32 challengerClaim;
		// slot 9, only for games made by createFor
		address creator; // the contract that created the game, or 0
		bool zeroVerdict; // claims about a verdict byte (see createFor)
	}

	uint256 public gameCount;
	mapping(uint256 => Game) private games;
	/// Bonds won and not yet withdrawn, by address.
	mapping(address => uint256) public credit;

	error NoGame(uint256 id);
	error WrongBond(uint256 sent, uint256 bond);
	error ZeroSteps();
	error SameClaims();
	error WrongPhase(uint256 id, uint8 phase);
	error SelfPlay();
	error BadSide(uint8 side);
	error NotYourTurn(uint256 id, address expected);
	error WrongInterval(uint64 lo, uint64 hi, uint64 gameLo, uint64 gameHi);
	error MidNotExpected();
	error ClockExpired(uint256 id, uint8 side);
	error NotTimedOut(uint256 id, uint64 secondsLeft);
	error PreimageNotPosted(bytes32 key, uint256 length);
	error NothingToWithdraw();
	error TransferFailed();
	error ZeroAddress();
	error ZeroClaim();
	error ClaimNeeded(uint256 id);
	error ClaimGiven(uint256 id);
	error VerdictClaim(bytes32 claim);

	event Created(
		uint256 indexed id,
		address indexed challenger,
		address defender,
		bytes32 pre,
		uint64 steps,
		bytes32 defenderClaim,
		bytes32 challengerClaim
	);
	event Defended(uint256 indexed id, address indexed defender, bytes32 mid);
	/// A game made by createFor: its creator and whether its claims are verdicts.
	event CreatedFor(uint256 indexed id, address indexed creator, bool zeroVerdict);
	/// The defender's claim, posted by defendClaim (before Defended).
	event DefenderClaim(uint256 indexed id, bytes32 claim);
	event Moved(uint256 indexed id, uint8 side, uint64 lo, uint64 hi, bool agree, bytes32 mid);
	event Stepped(uint256 indexed id, uint64 lo, bytes32 post);
	event Resolved(uint256 indexed id, uint8 winner, address indexed winnerAddress, uint256 payout);
	event Withdrawn(address indexed to, uint256 amount);

	constructor(IClearlineStep step_, IClearlinePreimages preimages_, uint256 bond_, uint64 clock_) {
		STEP = step_;
		PREIMAGES = preimages_;
		BOND = bond_;
		CLOCK = clock_;
	}

	// ---------------------------------------------------------------
	// Playing

	/// @notice Open a game (msg.value == BOND): both sides agree on `pre`
	/// at step 0; after `steps` steps the defender claims `defenderClaim`
	/// and the caller claims `challengerClaim`. Only `defender` may defend
	/// (anyone when it is address 0).
	function create(
		bytes32 pre,
		uint64 steps,
		bytes32 defenderClaim,
		bytes32 challengerClaim,
		address defender
	)
		external
		payable
		returns (uint256 id)
	{
		if (msg.value != BOND) revert WrongBond(msg.value, BOND);
		if (steps == 0) revert ZeroSteps();
		if (defenderClaim == bytes32(0) || challengerClaim == bytes32(0)) revert ZeroClaim();
		if (defenderClaim == challengerClaim) revert SameClaims();
		if (defender == msg.sender) revert SelfPlay();
		id = ++gameCount;
		Game storage g = games[id];
		g.challenger = msg.sender;
		g.defender = defender;
		g.challengerClock = CLOCK;
		g.defenderClock = CLOCK;
		g.phase = P_WAIT_DEFENDER;
		g.turn = DEFENDER;
		g.hiOwner = DEFENDER;
		g.hi = steps;
		g.steps = steps;
		g.since = uint64(block.timestamp);
		g.pre = pre;
		g.loHash = pre;
		g.hiHash = defenderClaim;
		g.defenderClaim = defenderClaim;
		g.challengerClaim = challengerClaim;
		emit Created(id, msg.sender, defender, pre, steps, defenderClaim, challengerClaim);
	}

	/// @notice Open a game on behalf of `challenger` (msg.value == BOND,
	/// paid by the caller, credited to `challenger` if it wins) against
	/// `defender`, who posts its own claim with `defendClaim`. The caller
	/// is the game's creator (ClearlineRollup counts only its own games).
	/// With `zeroVerdict` the claims are about the program's verdict: the
	/// challenger's claim must have a first byte other than 0 (checked
	/// here) and the defender's a first byte of 0 (checked in defendClaim).
	function createFor(
		address challenger,
		address defender,
		bytes32 pre,
		uint64 steps,
		bytes32 challengerClaim,
		bool zeroVerdict
	)
		external
		payable
		returns (uint256 id)
	{
		if (msg.value != BOND) revert WrongBond(msg.value, BOND);
		if (challenger == address(0) || defender == address(0)) revert ZeroAddress();
		if (challenger == defender) revert SelfPlay();
		if (steps == 0) revert ZeroSteps();
		if (challengerClaim == bytes32(0)) revert ZeroClaim();
		if (zeroVerdict && uint8(challengerClaim[0]) == 0) revert VerdictClaim(challengerClaim);
		id = ++gameCount;
		Game storage g = games[id];
		g.challenger = challenger;
		g.defender = defender;
		g.challengerClock = CLOCK;
		g.defenderClock = CLOCK;
		g.phase = P_WAIT_DEFENDER;
		g.turn = DEFENDER;
		g.hiOwner = DEFENDER;
		g.hi = steps;
		g.steps = steps;
		g.since = uint64(block.timestamp);
		g.pre = pre;
		g.loHash = pre;
		g.challengerClaim = challengerClaim;
		g.creator = msg.sender;
		g.zeroVerdict = zeroVerdict;
		emit Created(id, challenger, defender, pre, steps, bytes32(0), challengerClaim);
		emit CreatedFor(id, msg.sender, zeroVerdict);
	}

	/// @notice Take the defender's side (msg.value == BOND) and post the
	/// hash at the first midpoint, steps / 2 (zero when steps == 1).
	/// For games that have the defender's claim (made by `create`).
	function defend(uint256 id, bytes32 mid) external payable {
		Game storage g = live(id, P_WAIT_DEFENDER);
		if (g.defenderClaim == bytes32(0)) revert ClaimNeeded(id);
		join(id, g, mid);
	}

	/// @notice Take the defender's side of a game made by `createFor`
	/// (msg.value == BOND): post the defender's claim (the state hash
	/// after `steps` steps; verdict byte 0 when the game says so) and
	/// the hash at the first midpoint, as `defend`.
	function defendClaim(uint256 id, bytes32 claim, bytes32 mid) external payable {
		Game storage g = live(id, P_WAIT_DEFENDER);
		if (g.defenderClaim != bytes32(0)) revert ClaimGiven(id);
		if (claim == bytes32(0)) revert ZeroClaim();
		if (claim == g.challengerClaim) revert SameClaims();
		if (g.zeroVerdict && uint8(claim[0]) != 0) revert VerdictClaim(claim);
		g.defenderClaim = claim;
		g.hiHash = claim;
		emit DefenderClaim(id, claim);
		join(id, g, mid);
	}

	/// @notice Judge the pending midpoint hash (agree or not) and post
	/// the hash at the next midpoint (zero when the interval is then one
	/// step). Only the side to move; `lo` and `hi` must be the game's.
	function move(uint256 id, uint64 lo, uint64 hi, bool agree, bytes32 mid) external {
		Game storage g = live(id, P_BISECT);
		uint8 side = g.turn;
		address mover = side == DEFENDER ? g.defender : g.challenger;
		if (msg.sender != mover) revert NotYourTurn(id, mover);
		if (lo != g.lo || hi != g.hi) revert WrongInterval(lo, hi, g.lo, g.hi);
		charge(id, g);
		uint64 m = lo + (hi - lo) / 2;
		if (agree) {
			g.lo = m;
			g.loHash = g.midHash;
		} else {
			g.hi = m;
			g.hiHash = g.midHash;
			g.hiOwner = other(side);
		}
		emit Moved(id, side, lo, hi, agree, mid);
		postOrStep(g, mid);
	}

	/// @notice Execute the one step lo -> lo + 1 (anyone, while hiOwner's
	/// clock runs): `proof` is the step proof of docs/vm.md from the
	/// state loHash. A preimage the proof carries must have been posted
	/// to PREIMAGES first.
	function step(uint256 id, bytes calldata proof) external {
		Game storage g = live(id, P_STEP);
		if (elapsed(g) > clockOf(g, g.turn)) revert ClockExpired(id, g.turn);
		checkPreimage(proof);
		bytes32 post = STEP.step(g.loHash, proof);
		emit Stepped(id, g.lo, post);
		finish(id, g, post == g.hiHash ? g.hiOwner : other(g.hiOwner));
	}

	/// @notice End a game whose side to move has run out of time: the
	/// other side wins (a challenger nobody defended against gets its
	/// bond back).
	function timeout(uint256 id) external {
		Game storage g = games[id];
		uint8 phase = g.phase;
		if (phase == P_NONE) revert NoGame(id);
		if (phase == P_OVER) revert WrongPhase(id, phase);
		uint256 used = elapsed(g);
		uint64 left = clockOf(g, g.turn);
		if (used <= left) revert NotTimedOut(id, uint64(left - used));
		finish(id, g, other(g.turn));
	}

	/// @notice Pay out the caller's winnings.
	function withdraw() external {
		uint256 amount = credit[msg.sender];
		if (amount == 0) revert NothingToWithdraw();
		credit[msg.sender] = 0;
		emit Withdrawn(msg.sender, amount);
		(bool ok, ) = msg.sender.call{value: amount}("");
		if (!ok) revert TransferFailed();
	}

	// ---------------------------------------------------------------
	// Reading

	/// @notice The phase (4: over) and the winner (1 defender, 2
	/// challenger, 0 while not over) of game `id`.
	function outcome(uint256 id) external view returns (uint8 phase, uint8 winner) {
		Game storage g = games[id];
		if (g.phase == P_NONE) revert NoGame(id);
		return (g.phase, g.winner);
	}

	function game(uint256 id) external view returns (Game memory) {
		if (games[id].phase == P_NONE) revert NoGame(id);
		return games[id];
	}

	/// @notice Seconds left on `side`'s clock now (DEFENDER 1,
	/// CHALLENGER 2), counting the running turn.
	function clockLeft(uint256 id, uint8 side) external view returns (uint64) {
		Game storage g = games[id];
		if (g.phase == P_NONE) revert NoGame(id);
		if (side != DEFENDER && side != CHALLENGER) revert BadSide(side);
		uint64 c = clockOf(g, side);
		if (g.phase == P_OVER || side != g.turn) return c;
		uint256 used = elapsed(g);
		return used >= c ? 0 : uint64(c - used);
	}

	// ---------------------------------------------------------------
	// Internals

	function live(uint256 id, uint8 phase) private view returns (Game storage g) {
		g = games[id];
		if (g.phase == P_NONE) revert NoGame(id);
		if (g.phase != phase) revert WrongPhase(id, g.phase);
	}

	function join(uint256 id, Game storage g, bytes32 mid) private {
		if (msg.value != BOND) revert WrongBond(msg.value, BOND);
		if (msg.sender == g.challenger) revert SelfPlay();
		if (g.defender != address(0) && msg.sender != g.defender) revert NotYourTurn(id, g.defender);
		charge(id, g);
		g.defender = msg.sender;
		emit Defended(id, msg.sender, mid);
		postOrStep(g, mid);
	}

	function other(uint8 side) private pure returns (uint8) {
		return side == DEFENDER ? CHALLENGER : DEFENDER;
	}

	function elapsed(Game storage g) private view returns (uint256) {
		return block.timestamp - g.since;
	}

	function clockOf(Game storage g, uint8 side) private view returns (uint64) {
		return side == DEFENDER ? g.defenderClock : g.challengerClock;
	}

	/// Stop the mover's clock: its time used comes off its budget.
	function charge(uint256 id, Game storage g) private {
		uint256 used = elapsed(g);
		uint8 side = g.turn;
		uint64 left = clockOf(g, side);
		if (used > left) revert ClockExpired(id, side);
		if (side == DEFENDER) g.defenderClock = uint64(left - used);
		else g.challengerClock = uint64(left - used);
	}

	/// After a judgement: post the mover's next midpoint hash and pass the
	/// turn, or, at one step, wait for the step on hiOwner's clock.
	function postOrStep(Game storage g, bytes32 mid) private {
		if (g.hi - g.lo == 1) {
			if (mid != bytes32(0)) revert MidNotExpected();
			g.phase = P_STEP;
			g.turn = g.hiOwner;
		} else {
			g.phase = P_BISECT;
			g.midHash = mid;
			g.turn = other(g.turn);
		}
		g.since = uint64(block.timestamp);
	}

	function finish(uint256 id, Game storage g, uint8 winner) private {
		uint256 payout = g.phase == P_WAIT_DEFENDER ? BOND : 2 * BOND;
		address to = winner == DEFENDER ? g.defender : g.challenger;
		g.phase = P_OVER;
		g.winner = winner;
		credit[to] += payout;
		emit Resolved(id, winner, to, payout);
	}

	function be(bytes calldata p, uint256 off, uint256 n) private pure returns (uint256) {
		return uint256(bytes32(p[off:off + n])) >> (256 - 8 * n);
	}

	/// The preimage a step proof carries, if any, must be posted to the
	/// oracle. Walks the proof's layout as ClearlineStep decodes it; a
	/// proof this walk cannot follow is left for ClearlineStep to refuse.
	function checkPreimage(bytes calldata p) private view {
		uint256 len = p.length;
		uint256 o = STATE_END;
		if (o + 1 > len) return;
		uint256 n = uint8(p[o]);
		o += 1;
		for (uint256 i = 0; i < n; i++) {
			if (o + 6 > len) return;
			uint256 first = be(p, o, 4);
			uint256 nw = be(p, o + 4, 2);
			if (nw == 0 || first + nw > (1 << TREE_DEPTH)) return;
			o += 6 + 32 * (nw + nsib(first, first + nw - 1));
		}
		if (o + 5 > len || uint8(p[o]) != 1) return;
		uint256 plen = be(p, o + 1, 4);
		if (o + 5 + plen != len) return;
		bytes32 key = keccak256(p[o + 5:len]);
		(bool posted, uint256 length) = PREIMAGES.lengthOf(key);
		if (!posted || length != plen) revert PreimageNotPosted(key, plen);
	}

	function nsib(uint256 a, uint256 b) private pure returns (uint256 s) {
		for (uint256 l = 0; l < TREE_DEPTH; l++) {
			s += (a & 1) + (1 - (b & 1));
			a >>= 1;
			b >>= 1;
		}
	}
}
