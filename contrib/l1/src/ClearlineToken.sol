// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ClearlineTestToken
/// @notice Test ERC-20 token for Clearline's devnet and tests, with the
///         name, symbol and decimals given at deployment (the collateral
///         assets tETH and tBTC; ClearlineToken below is the settlement
///         token tUSD). The deployer is the only minter. Not for any real
///         deployment.
/// @dev An allowance of type(uint256).max is treated as unlimited and is not
///      decreased by transferFrom. Transfers to the zero address revert;
///      zero-amount transfers succeed and emit Transfer.
contract ClearlineTestToken {
    /// @notice Emitted when `value` tokens move from `from` to `to`
    ///         (`from` is the zero address for a mint).
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice Emitted when `owner` sets `spender`'s allowance to `value`.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The caller is not the minter.
    error NotMinter(address caller);
    /// @notice The sender's balance is below the amount.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice The spender's allowance is below the amount.
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    /// @notice Tokens cannot be sent to, or approved for, the zero address.
    error ZeroAddress();
    /// @notice A mint would push the total supply above 2^256 - 1.
    error SupplyOverflow();

    /// @notice Token name.
    string public name;
    /// @notice Token symbol.
    string public symbol;
    /// @notice Number of decimals of the smallest unit.
    uint8 public immutable decimals;

    /// @notice The only address allowed to mint (the deployer).
    address public immutable minter;

    /// @notice Total tokens in existence.
    uint256 public totalSupply;

    /// @notice Balance of each account.
    mapping(address => uint256) public balanceOf;

    /// @notice allowance[owner][spender]: how much `spender` may move from `owner`.
    mapping(address => mapping(address => uint256)) public allowance;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Number of decimals of the smallest unit.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        minter = msg.sender;
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @notice Creates `amount` new tokens for `to`. Minter only.
    /// @param to Receiver of the new tokens (not the zero address).
    /// @param amount Amount in the smallest unit.
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        uint256 supply = totalSupply;
        unchecked {
            if (supply + amount < supply) revert SupplyOverflow();
            totalSupply = supply + amount;
            // Cannot overflow: every balance is at most totalSupply.
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    /// @notice Moves `amount` of the caller's tokens to `to`.
    /// @param to Receiver (not the zero address).
    /// @param amount Amount in the smallest unit.
    /// @return Always true; failures revert.
    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice Lets `spender` move up to `amount` of the caller's tokens,
    ///         replacing any previous allowance.
    /// @param spender The address allowed to spend (not the zero address).
    /// @param amount The new allowance; type(uint256).max means unlimited.
    /// @return Always true; failures revert.
    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert ZeroAddress();
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice Moves `amount` of `from`'s tokens to `to` using the caller's
    ///         allowance, which decreases by `amount` unless it is unlimited.
    /// @param from Owner of the tokens.
    /// @param to Receiver (not the zero address).
    /// @param amount Amount in the smallest unit.
    /// @return Always true; failures revert.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(from, msg.sender, allowed, amount);
            unchecked {
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        unchecked {
            balanceOf[from] = balance - amount;
            // Cannot overflow: the sum of all balances is totalSupply.
            balanceOf[to] += amount;
        }
        emit Transfer(from, to, amount);
    }
}

/// @title ClearlineToken
/// @notice The test collateral (settlement) token: "Clearline Test Dollar",
///         tUSD, six decimals, like the dollar stablecoins it stands in for.
contract ClearlineToken is ClearlineTestToken {
    constructor() ClearlineTestToken("Clearline Test Dollar", "tUSD", 6) {}
}
