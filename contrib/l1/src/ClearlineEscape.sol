// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The ERC-20 calls: the escape reads the rollup's balance (it pays
///      through the rollup's escapeTransfer), the vault transfers.
interface IClearlineEscapeToken {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @dev What the escape reads from and asks of the rollup (ClearlineRollup).
interface IClearlineEscapeRollup {
    function frozen() external view returns (bool);
    function frozenAt() external view returns (uint64);
    function exitRoot() external view returns (bytes32);
    function depositCount() external view returns (uint64);
    function deposits(uint64 id) external view returns (address to, uint64 amount, uint64 timestamp);
    function escapeTransfer(address to, uint256 amount) external;
    function assets() external view returns (IClearlineEscapeAssets);
}

/// @dev What the escape reads from and asks of the rollup's collateral
///      assets contract (ClearlineAssets).
interface IClearlineEscapeAssets {
    function assetDepositCount() external view returns (uint64);
    function assetDeposits(uint64 id) external view returns (uint32 asset, address to, uint64 amount, uint64 timestamp);
    function escapePay(uint32 asset, address to, uint64 amount) external returns (uint256 paid);
}

/// @title ClearlineExitVault
/// @notice Holds the exit pool fixed at the end of the claim window, so
///         that nothing the rollup pays afterwards (a late withdrawal
///         claim) can reach the shares of the exits registered in time.
///         Only its creator (the rollup) can move the tokens.
contract ClearlineExitVault {
    address public immutable owner;
    address public immutable token;

    error NotOwner(address caller);
    error VaultTransferFailed();

    constructor(address token_) {
        owner = msg.sender;
        token = token_;
    }

    /// @notice Sends `amount` of the token to `to`; the owner only.
    function pay(address to, uint256 amount) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IClearlineEscapeToken.transfer, (to, amount)));
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) {
            revert VaultTransferFailed();
        }
    }
}

/// @title ClearlineEscape
/// @notice The escape hatch of a frozen rollup (docs/l1.md "Escape"): every
///         account proves its account leaf, one position leaf (or its
///         absence) per market and the market leaves it holds positions in
///         against the exit root, and is paid its equity once — in full
///         when the pool suffices, pro rata otherwise. Deposits the exit
///         root never consumed are refunded to their depositors.
/// @dev Its own contract, created by the rollup's constructor (so the
///      rollup's runtime code stays under EIP-170's limit): it reads the
///      frozen state and the deposits through the rollup's views and pays
///      through the rollup's escapeTransfer, which only this contract may
///      call and only when frozen. The tokens stay in the rollup until
///      paid. An isolated position or a subaccount is an account of its
///      own at an address derived from its owner's, whose key nobody
///      holds: its owner exits it with exitDerived() (or, for an isolated
///      account of a subaccount, exitSubaccountIsolated()) and is paid its
///      claim (docs/margin.md "The escape hatch and derived accounts").
///      Proofs use the tree of docs/state.md in its canonical encoding
///      (kind u8 ‖ depth u16 ‖ siblings ‖ other leaf when kind 2).
contract ClearlineEscape {
    // ------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------

    /// @notice Seconds after the freeze during which exits register their
    ///         claim; the pool is split when it ends.
    uint64 public constant EXIT_CLAIM_WINDOW = 3 days;

    uint8 private constant T_ACCOUNTS = 0x01;
    uint8 private constant T_POSITIONS = 0x02;
    uint8 private constant T_MARKETS = 0x03;
    uint8 private constant T_GLOBALS = 0x07;
    uint8 private constant T_ASSET_BALANCES = 0x18;
    uint8 private constant P_INCLUSION = 0;
    uint8 private constant P_EMPTY = 1;
    uint8 private constant P_OTHER_LEAF = 2;
    uint256 private constant ACCOUNT_VALUE_LEN = 16;
    uint256 private constant POSITION_VALUE_LEN = 32;
    uint256 private constant MARKET_VALUE_LEN = 192;
    uint256 private constant ASSET_VALUE_LEN = 8;
    int256 private constant FUNDING_SCALE = 1e9;

    /// @notice exitDerived() kind of an isolated account (index: the market).
    uint8 public constant DERIVED_ISOLATED = 1;
    /// @notice exitDerived() kind of a subaccount (index: its number, from 1).
    uint8 public constant DERIVED_SUBACCOUNT = 2;
    /// @notice DerivedExitRegistered kind of an isolated account of a
    ///         subaccount (exitSubaccountIsolated(); index: the market).
    uint8 public constant DERIVED_SUBACCOUNT_ISOLATED = 3;

    /// @notice The rollup this escape belongs to (its creator).
    IClearlineEscapeRollup public immutable rollup;
    /// @notice The collateral token (the rollup's).
    address public immutable collateralToken;

    // ------------------------------------------------------------------
    // Events and errors
    // ------------------------------------------------------------------

    /// @notice The escape opened: the exit state's deposit count and markets are known.
    event EscapeStarted(uint64 depositsConsumed, uint256 markets);
    /// @notice `account` proved its equity; `claim` is what it is owed (0 when negative).
    event ExitRegistered(address indexed account, int256 equity, uint256 claim);
    /// @notice Derived `account` (`kind`, `index` of `owner`) registered its
    ///         claim toward `owner` (emitted after its ExitRegistered).
    event DerivedExitRegistered(address indexed account, address indexed owner, uint8 kind, uint32 index);
    /// @notice `account` was paid `amount` of its `claim` (to its payee:
    ///         the account, or a derived account's owner).
    event ExitPaid(address indexed account, uint256 claim, uint256 amount);
    /// @notice The claim window ended: `pool` of `balance` went to the vault for `claims`.
    event ExitsSettled(uint256 balance, uint256 claims, uint256 pool, address vault);
    /// @notice Unconsumed deposit `id` was paid back (`amount` of `owed`) to its depositor.
    event DepositRefunded(uint64 indexed id, address indexed to, uint256 owed, uint256 amount);
    /// @notice `account` held `balance` L2 atoms of asset `asset`, worth
    ///         `value` settlement atoms at the exit root's index; `paid` of
    ///         them went to its payee (`tokens` token atoms). `paid` is
    ///         below `balance` only when the account's settlement equity
    ///         was negative: its debt is netted against its assets first.
    event AssetExitPaid(
        address indexed account, uint32 indexed asset, uint64 balance, uint256 value, uint64 paid, uint256 tokens
    );
    /// @notice The exit state's asset deposits consumed are proven.
    event AssetRefundsStarted(uint64 assetDepositsConsumed);
    /// @notice Unconsumed asset deposit `id` (`amount` L2 atoms of `asset`)
    ///         was paid back to its depositor (`tokens` token atoms).
    event AssetDepositRefunded(uint64 indexed id, address indexed to, uint32 asset, uint64 amount, uint256 tokens);

    /// @notice The rollup is not frozen.
    error NotFrozen();
    /// @notice startEscape() was called before.
    error EscapeAlreadyStarted();
    /// @notice startEscape() has not been called yet.
    error EscapeNotStarted();
    /// @notice The genesis bytes do not decode (or name another rollup).
    error InvalidExitGenesis();
    /// @notice A proof does not lead to the exit root, or the proof bytes
    ///         are malformed (kind, depth, length, trailing bytes).
    error InvalidExitProof();
    /// @notice exit() was sent by another address than the account's own.
    error NotAccountHolder(address caller, address account);
    /// @notice exitDerived() names no derived account: an unknown kind, or
    ///         subaccount 0 (the owner's own account, exited with exit()).
    error InvalidDerivedAccount(uint8 kind, uint32 index);
    /// @notice This account has exited before.
    error AlreadyExited(address account);
    /// @notice The claim window has not ended yet (it ends at `windowEnd`).
    error ClaimWindowOpen(uint256 windowEnd);
    /// @notice Nothing is owed to this account (never registered, or paid).
    error NothingToPay(address account);
    /// @notice The deposit was consumed by the exit state, or does not exist.
    error DepositNotRefundable(uint64 id);
    /// @notice The deposit was refunded before.
    error DepositAlreadyRefunded(uint64 id);
    /// @notice startAssetRefunds() has not been called yet.
    error AssetRefundsNotStarted();
    /// @notice startAssetRefunds() was called before.
    error AssetRefundsAlreadyStarted();

    // ------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------

    struct ExitClaim {
        uint128 claim;
        bool registered;
        bool paid;
        address payee; // the account, or a derived account's owner
    }

    /// @notice Whether startEscape() ran.
    bool public escapeStarted;
    /// @notice Whether the claim window's pool has been fixed.
    bool public exitsSettled;
    /// @notice Deposits the exit state had consumed (ids below are in it).
    uint64 public exitDepositsConsumed;
    /// @notice Sum of the claims registered within the window.
    uint256 public exitClaimsTotal;
    /// @notice What the vault received for them: min(balance, exitClaimsTotal).
    uint256 public exitPool;
    /// @notice The vault holding exitPool (zero before the settlement).
    ClearlineExitVault public exitVault;

    mapping(address => ExitClaim) private _exits;
    mapping(uint256 => uint256) private _refundedWords;
    /// @dev The genesis markets in order, with their scale exponents.
    uint32[] private _marketIds;
    int8[] private _marketScales;
    /// @dev The genesis collateral assets in order: id, oracle market and
    ///      the scale of a balance at the oracle's index (collateral
    ///      decimals - the market's price decimals - the asset's decimals).
    uint32[] private _assetIds;
    uint32[] private _assetOracles;
    int8[] private _assetScales;
    /// @notice Whether startAssetRefunds() ran.
    bool public assetRefundsStarted;
    /// @notice Asset deposits the exit state had consumed.
    uint64 public exitAssetDepositsConsumed;
    mapping(uint256 => uint256) private _assetRefundedWords;

    /// @param rollup_ The rollup (the creator passes itself).
    /// @param collateralToken_ The rollup's collateral token.
    constructor(address rollup_, address collateralToken_) {
        rollup = IClearlineEscapeRollup(rollup_);
        collateralToken = collateralToken_;
    }

    // ------------------------------------------------------------------
    // Starting the escape
    // ------------------------------------------------------------------

    /// @notice Opens the escape once, after the freeze: proves the exit
    ///         state's genesis hash and deposit count (GLOBALS leaves
    ///         `genesis_hash` and `next_deposit_id`) and reads the markets
    ///         and their scale from the genesis encoding. Anyone may call it.
    ///         With a zero exit root (no batch was final) it takes nothing:
    ///         no deposit was consumed and nobody holds anything.
    /// @param genesis The canonical genesis encoding (docs/protocol.md).
    /// @param genesisProof Inclusion proof of GLOBALS `genesis_hash`.
    /// @param depositsConsumed The exit state's `next_deposit_id`.
    /// @param depositsProof Inclusion proof of GLOBALS `next_deposit_id`.
    function startEscape(
        bytes calldata genesis,
        bytes calldata genesisProof,
        uint64 depositsConsumed,
        bytes calldata depositsProof
    ) external {
        _requireFrozen();
        if (escapeStarted) revert EscapeAlreadyStarted();
        escapeStarted = true;
        bytes32 root = rollup.exitRoot();
        if (root == bytes32(0)) {
            emit EscapeStarted(0, 0);
            return;
        }
        _requireInclusion(
            root,
            keccak256(abi.encodePacked(T_GLOBALS, "genesis_hash")),
            keccak256(abi.encodePacked(keccak256(genesis))),
            genesisProof
        );
        _requireInclusion(
            root,
            keccak256(abi.encodePacked(T_GLOBALS, "next_deposit_id")),
            keccak256(abi.encodePacked(depositsConsumed)),
            depositsProof
        );
        exitDepositsConsumed = depositsConsumed;
        _readGenesis(genesis);
        emit EscapeStarted(depositsConsumed, _marketIds.length);
    }

    /// @notice How many markets the exit state has (one position proof each).
    function exitMarketCount() external view returns (uint256) {
        return _marketIds.length;
    }

    // ------------------------------------------------------------------
    // Exits
    // ------------------------------------------------------------------

    /// @notice Proves `account`'s equity in the exit state and claims it,
    ///         once. Within the claim window the claim is registered and
    ///         paid by payExit() after it; later it is paid at once out of
    ///         what the rollup holds outside the vault. Only `account`
    ///         itself may send it (relayed exits are not offered), so no
    ///         claim is ever registered toward a derived account's address,
    ///         which nobody holds the key of: those exit with exitDerived().
    /// @param account The L2 account (its L1 address; msg.sender).
    /// @param proof accountValue (16) ‖ its proof, then for each market of
    ///        exitMarkets(), in order, the proof of the position leaf
    ///        (`account ‖ market`), followed, when it is an inclusion, by the
    ///        position value (32), the market value (192) and the market
    ///        leaf's proof (docs/l1.md "Escape").
    function exit(address account, bytes calldata proof) external {
        if (msg.sender != account) revert NotAccountHolder(msg.sender, account);
        _exit(account, proof);
    }

    /// @notice exit() of a derived account of msg.sender (its owner): the
    ///         isolated account of market `index` (kind DERIVED_ISOLATED),
    ///         or subaccount `index` >= 1 (kind DERIVED_SUBACCOUNT), at the
    ///         address the rollup derives — the last 20 bytes of
    ///         keccak256("clearline.isolated.v1" ‖ owner ‖ index u32), or of
    ///         keccak256("clearline.subaccount.v1" ‖ owner ‖ index u32).
    ///         Its claim is registered once, toward the owner, and paid to
    ///         the owner as exit()'s. An isolated account of a subaccount
    ///         exits with exitSubaccountIsolated().
    /// @param proof As exit()'s, for the derived account.
    function exitDerived(uint8 kind, uint32 index, bytes calldata proof) external {
        address account = derivedAccount(msg.sender, kind, index);
        _exit(account, proof);
        emit DerivedExitRegistered(account, msg.sender, kind, index);
    }

    /// @notice exitDerived() two derivations deep: the isolated account of
    ///         market `market` of subaccount `sub` >= 1 of msg.sender (the
    ///         subaccount owns it and has no key either). Paid to msg.sender.
    function exitSubaccountIsolated(uint32 sub, uint32 market, bytes calldata proof) external {
        address account =
            derivedAccount(derivedAccount(msg.sender, DERIVED_SUBACCOUNT, sub), DERIVED_ISOLATED, market);
        _exit(account, proof);
        emit DerivedExitRegistered(account, msg.sender, DERIVED_SUBACCOUNT_ISOLATED, market);
    }

    /// @notice The derived account `kind` `index` of `owner` (exitDerived()).
    function derivedAccount(address owner, uint8 kind, uint32 index) public pure returns (address) {
        bytes32 h;
        if (kind == DERIVED_ISOLATED) {
            h = keccak256(abi.encodePacked("clearline.isolated.v1", owner, index));
        } else if (kind == DERIVED_SUBACCOUNT && index != 0) {
            h = keccak256(abi.encodePacked("clearline.subaccount.v1", owner, index));
        } else {
            revert InvalidDerivedAccount(kind, index);
        }
        return address(uint160(uint256(h)));
    }

    /// @dev Registers (or, after the window, pays) `account`'s claim toward
    ///      msg.sender, and pays its collateral assets at once.
    function _exit(address account, bytes calldata proof) private {
        uint64 frozenAt_ = _requireFrozen();
        if (!escapeStarted) revert EscapeNotStarted();
        ExitClaim storage c = _exits[account];
        if (c.registered) revert AlreadyExited(account);

        bytes32 root = rollup.exitRoot();
        (int256 equity, uint256 off) = _proveEquity(root, account, proof);
        AssetHolding[] memory held;
        (held, off) = _proveAssets(root, account, proof, off);
        if (off != proof.length) revert InvalidExitProof();
        uint256 claim = equity > 0 ? uint256(equity) : 0;
        bool late = block.timestamp > uint256(frozenAt_) + EXIT_CLAIM_WINDOW;
        c.registered = true;
        c.claim = uint128(claim);
        c.payee = msg.sender;
        // late: first come, out of what is left outside the vault; marked
        // paid before anything is called (payExit must refuse it, even
        // from a token's callback during the settlement or an asset payout)
        c.paid = late;
        if (!late) exitClaimsTotal += claim;
        emit ExitRegistered(account, equity, claim);
        if (held.length > 0) _payAssets(account, msg.sender, equity, held);
        if (!late) return;
        _settle(frozenAt_);
        uint256 free = _balance();
        uint256 amount = claim < free ? claim : free;
        emit ExitPaid(account, claim, amount);
        if (amount > 0) rollup.escapeTransfer(c.payee, amount);
    }

    /// @dev One collateral asset an exiting account holds.
    struct AssetHolding {
        uint32 asset;
        uint64 balance; // L2 atoms of the asset
        uint256 value; // at the exit root's index, settlement atoms, rounded down
    }

    /// @dev Pays an exiting account's assets to `payee`. Settlement equity
    ///      >= 0: every balance in full. Negative: the debt is netted
    ///      against the assets at the exit root's index first, so the
    ///      account gets of each asset balance × (V - debt) / V (V the sum
    ///      of their values; rounded down), nothing when V <= debt; what
    ///      it does not get stays in the assets contract.
    function _payAssets(address account, address payee, int256 equity, AssetHolding[] memory held) private {
        uint256 total = 0;
        for (uint256 i = 0; i < held.length; i++) {
            total += held[i].value;
        }
        uint256 debt = equity < 0 ? uint256(-equity) : 0;
        IClearlineEscapeAssets a = rollup.assets();
        for (uint256 i = 0; i < held.length; i++) {
            AssetHolding memory h = held[i];
            uint64 paid = h.balance;
            if (debt > 0) paid = total <= debt ? 0 : uint64((uint256(h.balance) * (total - debt)) / total);
            uint256 tokens = paid > 0 ? a.escapePay(h.asset, payee, paid) : 0;
            emit AssetExitPaid(account, h.asset, h.balance, h.value, paid, tokens);
        }
    }

    /// @notice Fixes the pool once the claim window is over: the vault
    ///         receives min(balance, exitClaimsTotal). Anyone may call it;
    ///         payExit() and late exits call it too.
    function settleExits() external {
        _settle(_requireFrozen());
    }

    /// @notice Pays a claim registered within the window:
    ///         claim × exitPool / exitClaimsTotal, rounded down (the whole
    ///         claim when the pool sufficed), to the claim's payee (the
    ///         account, or a derived account's owner). Anyone may call it.
    function payExit(address account) external {
        uint64 frozenAt_ = _requireFrozen();
        ExitClaim storage c = _exits[account];
        if (!c.registered || c.paid) revert NothingToPay(account);
        c.paid = true; // before any call: a callback finds it paid
        _settle(frozenAt_);
        uint256 claim = c.claim;
        uint256 amount = exitClaimsTotal == 0 ? 0 : (claim * exitPool) / exitClaimsTotal;
        emit ExitPaid(account, claim, amount);
        if (amount > 0) exitVault.pay(c.payee, amount);
    }

    /// @notice An account's exit: whether it registered, its claim, whether it was paid.
    function exitOf(address account) external view returns (bool registered, uint256 claim, bool paid) {
        ExitClaim storage c = _exits[account];
        return (c.registered, c.claim, c.paid);
    }

    /// @notice Who an account's claim is paid to (zero before it registered).
    function exitPayee(address account) external view returns (address) {
        return _exits[account].payee;
    }

    /// @notice When the claim window ends (0 while not frozen); payouts come strictly later.
    function exitWindowEnd() public view returns (uint256) {
        return rollup.frozen() ? uint256(rollup.frozenAt()) + EXIT_CLAIM_WINDOW : 0;
    }

    // ------------------------------------------------------------------
    // Deposit refunds
    // ------------------------------------------------------------------

    /// @notice Pays deposit `id` back to its depositor when the exit state
    ///         never consumed it (id >= exitDepositsConsumed). Within the
    ///         claim window in full (senior to the exits); later out of what
    ///         is left outside the vault. Anyone may call it, once per id.
    function refundDeposit(uint64 id) external {
        uint64 frozenAt_ = _requireFrozen();
        if (!escapeStarted) revert EscapeNotStarted();
        // no deposit is made after the freeze: the count is final
        if (id >= rollup.depositCount() || id < exitDepositsConsumed) revert DepositNotRefundable(id);
        (address to, uint64 owed,) = rollup.deposits(id);
        uint256 word = id >> 8;
        uint256 mask = uint256(1) << (id & 0xff);
        uint256 done = _refundedWords[word];
        if (done & mask != 0) revert DepositAlreadyRefunded(id);
        _refundedWords[word] = done | mask;
        uint256 amount = owed;
        if (block.timestamp > uint256(frozenAt_) + EXIT_CLAIM_WINDOW) {
            _settle(frozenAt_);
            uint256 free = _balance();
            if (free < amount) amount = free;
        }
        emit DepositRefunded(id, to, owed, amount);
        if (amount > 0) rollup.escapeTransfer(to, amount);
    }

    /// @notice Opens the refunds of asset deposits, once, after
    ///         startEscape(): proves the exit state's GLOBALS
    ///         `next_asset_deposit_id` (an inclusion, or an exclusion for
    ///         0: the state never applied an asset deposit). With a zero
    ///         exit root it takes 0 and no proof. Anyone may call it.
    function startAssetRefunds(uint64 assetDepositsConsumed, bytes calldata proof) external {
        _requireFrozen();
        if (!escapeStarted) revert EscapeNotStarted();
        if (assetRefundsStarted) revert AssetRefundsAlreadyStarted();
        bytes32 root = rollup.exitRoot();
        if (root != bytes32(0)) {
            bytes32 path = keccak256(abi.encodePacked(T_GLOBALS, "next_asset_deposit_id"));
            (uint8 kind,) = _proofKind(proof, 0);
            if (kind == P_INCLUSION) {
                _requireInclusion(root, path, keccak256(abi.encodePacked(assetDepositsConsumed)), proof);
            } else if (assetDepositsConsumed != 0 || _requireExclusionAt(root, path, proof, 0) != proof.length) {
                revert InvalidExitProof();
            }
        } else if (assetDepositsConsumed != 0) {
            revert InvalidExitProof();
        }
        assetRefundsStarted = true;
        exitAssetDepositsConsumed = assetDepositsConsumed;
        emit AssetRefundsStarted(assetDepositsConsumed);
    }

    /// @notice Pays asset deposit `id` back to its depositor, in its
    ///         asset, when the exit state never consumed it (id >=
    ///         exitAssetDepositsConsumed), at any time after
    ///         startAssetRefunds(). Anyone may call it, once per id.
    function refundAssetDeposit(uint64 id) external {
        _requireFrozen();
        if (!assetRefundsStarted) revert AssetRefundsNotStarted();
        IClearlineEscapeAssets a = rollup.assets();
        // no asset deposit is made after the freeze: the count is final
        if (id >= a.assetDepositCount() || id < exitAssetDepositsConsumed) revert DepositNotRefundable(id);
        uint256 word = id >> 8;
        uint256 mask = uint256(1) << (id & 0xff);
        uint256 done = _assetRefundedWords[word];
        if (done & mask != 0) revert DepositAlreadyRefunded(id);
        _assetRefundedWords[word] = done | mask;
        (uint32 asset, address to, uint64 amount,) = a.assetDeposits(id);
        uint256 tokens = a.escapePay(asset, to, amount);
        emit AssetDepositRefunded(id, to, asset, amount, tokens);
    }

    /// @notice Whether asset deposit `id` was refunded.
    function isAssetDepositRefunded(uint64 id) external view returns (bool) {
        return _assetRefundedWords[id >> 8] & (uint256(1) << (id & 0xff)) != 0;
    }

    /// @notice How many collateral assets the exit state has (one asset proof each).
    function exitAssetCount() external view returns (uint256) {
        return _assetIds.length;
    }

    /// @notice Whether deposit `id` was refunded.
    function isDepositRefunded(uint64 id) external view returns (bool) {
        return _refundedWords[id >> 8] & (uint256(1) << (id & 0xff)) != 0;
    }

    // ------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------

    /// @dev The rollup's freeze time; reverts NotFrozen while it is not frozen.
    function _requireFrozen() private view returns (uint64) {
        if (!rollup.frozen()) revert NotFrozen();
        return rollup.frozenAt();
    }

    /// @dev What the rollup holds of the token (the vault's tokens are not in it).
    function _balance() private view returns (uint256) {
        return IClearlineEscapeToken(collateralToken).balanceOf(address(rollup));
    }

    function _settle(uint64 frozenAt_) private {
        if (exitsSettled) return;
        uint256 end = uint256(frozenAt_) + EXIT_CLAIM_WINDOW;
        if (block.timestamp <= end) revert ClaimWindowOpen(end);
        exitsSettled = true;
        uint256 balance = _balance();
        uint256 total = exitClaimsTotal;
        uint256 pool = balance < total ? balance : total;
        exitPool = pool;
        ClearlineExitVault vault;
        if (pool > 0) {
            vault = new ClearlineExitVault(collateralToken);
            exitVault = vault;
            rollup.escapeTransfer(address(vault), pool);
        }
        emit ExitsSettled(balance, total, pool, address(vault));
    }

    /// @dev The equity of `account` in the exit state, from the proof bytes.
    function _proveEquity(bytes32 root, address account, bytes calldata p)
        private
        view
        returns (int256 equity, uint256 off)
    {
        off = ACCOUNT_VALUE_LEN;
        if (p.length < off) revert InvalidExitProof();
        bytes calldata acct = p[0:off];
        off = _requireInclusionAt(
            root, keccak256(abi.encodePacked(T_ACCOUNTS, account)), keccak256(acct), p, off
        );
        equity = int256(int64(uint64(bytes8(acct[0:8]))));

        uint256 n = _marketIds.length;
        for (uint256 i = 0; i < n; i++) {
            int256 e;
            (e, off) = _positionAt(root, account, i, p, off);
            equity += e;
        }
    }

    /// @dev The account's collateral assets from the proof bytes at `off`:
    ///      for each genesis asset in order the proof of its ASSET_BALANCES
    ///      leaf (asset u32 ‖ account), followed, when it is an inclusion,
    ///      by the balance (8), the asset's oracle market value (192) and
    ///      that market leaf's proof. Returns the assets held and where
    ///      their bytes end.
    function _proveAssets(bytes32 root, address account, bytes calldata p, uint256 off)
        private
        view
        returns (AssetHolding[] memory held, uint256)
    {
        uint256 n = _assetIds.length;
        held = new AssetHolding[](n);
        uint256 count = 0;
        for (uint256 i = 0; i < n; i++) {
            bytes32 path = keccak256(abi.encodePacked(T_ASSET_BALANCES, _assetIds[i], account));
            (uint8 kind, uint256 end) = _proofKind(p, off);
            if (kind != P_INCLUSION) {
                off = _requireExclusionAt(root, path, p, off);
                continue;
            }
            uint256 mkt = end + ASSET_VALUE_LEN;
            if (p.length < mkt + MARKET_VALUE_LEN) revert InvalidExitProof();
            _requireInclusionAt(root, path, keccak256(p[end:mkt]), p, off);
            off = _requireInclusionAt(
                root,
                keccak256(abi.encodePacked(T_MARKETS, _assetOracles[i])),
                keccak256(p[mkt:mkt + MARKET_VALUE_LEN]),
                p,
                mkt + MARKET_VALUE_LEN
            );
            uint64 bal = uint64(bytes8(p[end:mkt]));
            // the index (market record bytes 0..7) times the balance, down
            uint256 prod = uint256(uint64(bytes8(p[mkt:mkt + 8]))) * bal;
            int8 scale = _assetScales[i];
            uint256 value = scale >= 0 ? prod * 10 ** uint256(int256(scale)) : prod / 10 ** uint256(-int256(scale));
            held[count++] = AssetHolding(_assetIds[i], bal, value);
        }
        assembly ("memory-safe") {
            mstore(held, count)
        }
        return (held, off);
    }

    /// @dev The position of `account` in the `i`-th market: its proof at
    ///      `off`, an exclusion (nothing held) or an inclusion followed by
    ///      the position's value, the market's value and the market leaf's
    ///      proof. Returns the position's equity and where its bytes end.
    function _positionAt(bytes32 root, address account, uint256 i, bytes calldata p, uint256 off)
        private
        view
        returns (int256 equity, uint256 next)
    {
        uint32 market = _marketIds[i];
        bytes32 path = keccak256(abi.encodePacked(T_POSITIONS, account, market));
        (uint8 kind, uint256 end) = _proofKind(p, off);
        if (kind != P_INCLUSION) return (0, _requireExclusionAt(root, path, p, off));
        uint256 mktOff = end + POSITION_VALUE_LEN;
        next = mktOff + MARKET_VALUE_LEN;
        if (p.length < next) revert InvalidExitProof();
        _requireInclusionAt(root, path, keccak256(p[end:mktOff]), p, off);
        next = _requireInclusionAt(
            root, keccak256(abi.encodePacked(T_MARKETS, market)), keccak256(p[mktOff:next]), p, next
        );
        equity = _positionEquity(p, end, _marketScales[i]);
    }

    /// @dev value at the mark - cost - pending funding, rounded as the stf
    ///      does: a long's value down, a short's up in magnitude, funding
    ///      toward +infinity (docs/margin.md).
    function _positionEquity(bytes calldata p, uint256 pos, int8 scale) private pure returns (int256) {
        // position: size i64 ‖ cost i64 ‖ fundingSnap i128; the market
        // record follows it: mark u64 pos 16, fundingIndex i128 pos 80
        int256 size = int256(int64(uint64(bytes8(p[pos:pos + 8]))));
        uint256 mkt = pos + POSITION_VALUE_LEN;
        uint256 prod = uint256(uint64(bytes8(p[mkt + 16:mkt + 24]))) * (size < 0 ? uint256(-size) : uint256(size));
        uint256 value;
        if (scale >= 0) {
            value = prod * (10 ** uint256(int256(scale)));
        } else {
            uint256 d = 10 ** uint256(-int256(scale));
            value = prod / d;
            if (size < 0 && prod % d != 0) value += 1;
        }
        int256 x = size
            * (int256(int128(uint128(bytes16(p[mkt + 80:mkt + 96])))) - int256(int128(uint128(bytes16(p[pos + 16:pos + 32])))));
        int256 pay = x / FUNDING_SCALE; // toward zero
        if (x > 0 && x % FUNDING_SCALE != 0) pay += 1; // toward +infinity
        return (size < 0 ? -int256(value) : int256(value)) - int256(int64(uint64(bytes8(p[pos + 8:pos + 16])))) - pay;
    }

    function _readGenesis(bytes calldata g) private {
        // "CLGENESIS" ‖ version 2 ‖ l1ChainId u64 ‖ rollup ‖ collateralDecimals
        if (g.length < 48 || bytes9(g[0:9]) != bytes9("CLGENESIS") || uint8(g[9]) != 2) {
            revert InvalidExitGenesis();
        }
        if (address(bytes20(g[18:38])) != address(rollup)) revert InvalidExitGenesis();
        int256 cd = int256(uint256(uint8(g[38])));
        uint256 off = 47; // after expiryHorizon
        uint256 nSigners = uint8(g[off]);
        off += 1 + 20 * nSigners + 1 + 8 + 8; // signers, quorum, maxAge, fundingInterval
        if (g.length < off + 1) revert InvalidExitGenesis();
        uint256 nMarkets = uint8(g[off]);
        off += 1;
        uint8[] memory priceDecimals = new uint8[](nMarkets);
        for (uint256 i = 0; i < nMarkets; i++) {
            if (g.length < off + 5) revert InvalidExitGenesis();
            uint32 id = uint32(bytes4(g[off:off + 4]));
            off += 5 + uint8(g[off + 4]); // id, symbol
            if (g.length < off + 51) revert InvalidExitGenesis();
            priceDecimals[i] = uint8(g[off]);
            int256 scale = cd - int256(uint256(uint8(g[off]))) - int256(uint256(uint8(g[off + 1])));
            // decimals 2, tick, step, maxOrder, oiCap 32, fees 8, then the tiers
            off += 2 + 32 + 8;
            uint256 nTiers = uint8(g[off]);
            off += 1 + 16 * nTiers + 68; // tiers, risk
            if (scale < -38 || scale > 18) revert InvalidExitGenesis();
            _marketIds.push(id);
            _marketScales.push(int8(scale));
        }
        // the assets' section, present only when there are assets
        if (off < g.length) off = _readAssets(g, off, cd, priceDecimals);
        if (off != g.length) revert InvalidExitGenesis();
    }

    /// @dev The genesis's assets section at `off`: nAssets u8, then each
    ///      id u32 ‖ symbol ‖ token (20) ‖ decimals u8 ‖ oracleMarket u32 ‖
    ///      hedgeMarket u32 ‖ nTiers u8 ‖ tiers (12 each) ‖ 28 bytes of
    ///      haircut parameters (docs/genesis.md). Returns where it ends.
    function _readAssets(bytes calldata g, uint256 off, int256 cd, uint8[] memory priceDecimals)
        private
        returns (uint256)
    {
        uint256 n = uint8(g[off]);
        off += 1;
        if (n == 0) revert InvalidExitGenesis();
        for (uint256 i = 0; i < n; i++) {
            if (g.length < off + 5) revert InvalidExitGenesis();
            uint32 id = uint32(bytes4(g[off:off + 4]));
            off += 5 + uint8(g[off + 4]); // id, symbol
            if (g.length < off + 31) revert InvalidExitGenesis();
            uint256 decimals = uint8(g[off + 20]);
            uint32 oracle = uint32(bytes4(g[off + 21:off + 25]));
            off += 30 + 12 * uint256(uint8(g[off + 29])) + 28; // token .. tiers, parameters
            uint256 j = 0;
            while (j < _marketIds.length && _marketIds[j] != oracle) j++;
            if (j == _marketIds.length) revert InvalidExitGenesis();
            int256 scale = cd - int256(uint256(priceDecimals[j])) - int256(decimals);
            if (scale < -38 || scale > 18) revert InvalidExitGenesis();
            _assetIds.push(id);
            _assetOracles.push(oracle);
            _assetScales.push(int8(scale));
        }
        return off;
    }

    // ---- proofs (docs/state.md "Proofs"; canonical encoding) ----

    /// @dev The kind of the proof at `off` and where it ends.
    function _proofKind(bytes calldata p, uint256 off) private pure returns (uint8 kind, uint256 end) {
        if (p.length < off + 3) revert InvalidExitProof();
        kind = uint8(p[off]);
        uint256 depth = uint16(bytes2(p[off + 1:off + 3]));
        if (depth > 256 || kind > P_OTHER_LEAF) revert InvalidExitProof();
        end = off + 3 + 32 * depth + (kind == P_OTHER_LEAF ? 64 : 0);
        if (p.length < end) revert InvalidExitProof();
    }

    function _fold(bytes32 h, bytes32 path, bytes calldata p, uint256 sib, uint256 depth)
        private
        pure
        returns (bytes32)
    {
        for (uint256 i = depth; i > 0;) {
            unchecked {
                --i;
            }
            bytes32 s = bytes32(p[sib + 32 * i:sib + 32 * i + 32]);
            h = (uint256(path) >> (255 - i)) & 1 == 1 ? _node(s, h) : _node(h, s);
        }
        return h;
    }

    /// @dev Checks the inclusion proof at `off` for (path, valueHash); returns where it ends.
    function _requireInclusionAt(bytes32 root, bytes32 path, bytes32 valueHash, bytes calldata p, uint256 off)
        private
        pure
        returns (uint256 end)
    {
        uint8 kind;
        (kind, end) = _proofKind(p, off);
        if (kind != P_INCLUSION) revert InvalidExitProof();
        uint256 depth = (end - off - 3) / 32;
        if (_fold(_leaf(path, valueHash), path, p, off + 3, depth) != root) revert InvalidExitProof();
    }

    function _requireInclusion(bytes32 root, bytes32 path, bytes32 valueHash, bytes calldata p) private pure {
        if (_requireInclusionAt(root, path, valueHash, p, 0) != p.length) revert InvalidExitProof();
    }

    /// @dev Checks the exclusion proof at `off` for `path`; returns where it ends.
    function _requireExclusionAt(bytes32 root, bytes32 path, bytes calldata p, uint256 off)
        private
        pure
        returns (uint256 end)
    {
        uint8 kind;
        (kind, end) = _proofKind(p, off);
        uint256 depth;
        bytes32 h;
        if (kind == P_EMPTY) {
            depth = (end - off - 3) / 32;
        } else if (kind == P_OTHER_LEAF) {
            depth = (end - off - 67) / 32;
            bytes32 otherPath = bytes32(p[end - 64:end - 32]);
            if (otherPath == path) revert InvalidExitProof();
            if (depth > 0 && (uint256(otherPath ^ path) >> (256 - depth)) != 0) revert InvalidExitProof();
            h = _leaf(otherPath, bytes32(p[end - 32:end]));
        } else {
            revert InvalidExitProof();
        }
        if (_fold(h, path, p, off + 3, depth) != root) revert InvalidExitProof();
    }

    function _leaf(bytes32 path, bytes32 valueHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), path, valueHash));
    }

    function _node(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), left, right));
    }
}
