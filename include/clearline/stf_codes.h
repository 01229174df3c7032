/* SPDX-License-Identifier: MIT */
/*
 * stf_codes — why the stf rejects a transaction or a block header: the
 * stable numbers of docs/protocol.md "Result codes" (the JSON-RPC error
 * of code N is 1000 + N) and their descriptions. Included by stf.h; not
 * meant to be included alone.
 */
#ifndef CLEARLINE_STF_CODES_H
#define CLEARLINE_STF_CODES_H

/* ------------------------------------------------------------------ */
/* Outcomes                                                            */
/* ------------------------------------------------------------------ */

/* Why a transaction (or a block header) is rejected. Stable numbers. */
enum cl_stf_code {
	CL_STF_OK = 0,
	CL_STF_ERR_BAD_SIGNATURE = 1,      /* malformed or unrecoverable */
	CL_STF_ERR_NOT_AUTHORIZED = 2,     /* signer may not act for trader */
	CL_STF_ERR_UNKNOWN_MARKET = 3,
	CL_STF_ERR_BAD_FLAGS = 4,
	CL_STF_ERR_BAD_PRICE = 5,          /* zero price */
	CL_STF_ERR_OFF_TICK = 6,
	CL_STF_ERR_BAD_SIZE = 7,           /* zero size */
	CL_STF_ERR_OFF_STEP = 8,
	CL_STF_ERR_SIZE_TOO_LARGE = 9,     /* above max order size */
	CL_STF_ERR_EXPIRED = 10,
	CL_STF_ERR_EXPIRY_TOO_FAR = 11,
	CL_STF_ERR_DUPLICATE_ORDER = 12,
	CL_STF_ERR_UNKNOWN_ORDER = 13,
	CL_STF_ERR_ORDER_NOT_OPEN = 14,
	CL_STF_ERR_MARKET_MISMATCH = 15,   /* fill across two markets */
	CL_STF_ERR_SAME_SIDE = 16,         /* fill between two buys/sells */
	CL_STF_ERR_BAD_MAKER = 17,         /* maker newer or not GTC */
	CL_STF_ERR_NOT_CROSSING = 18,
	CL_STF_ERR_FILL_TOO_LARGE = 19,    /* above a remaining size */
	CL_STF_ERR_SELF_TRADE = 20,
	CL_STF_ERR_POST_ONLY_TAKER = 21,
	CL_STF_ERR_NO_MARK_PRICE = 22,
	CL_STF_ERR_REDUCE_ONLY = 23,
	CL_STF_ERR_OI_CAP = 24,
	CL_STF_ERR_INSUFFICIENT_MARGIN = 25,
	CL_STF_ERR_BAD_NONCE = 26,
	CL_STF_ERR_BAD_AMOUNT = 27,        /* zero or above INT64_MAX */
	CL_STF_ERR_BAD_RECIPIENT = 28,     /* zero address */
	CL_STF_ERR_INSUFFICIENT_COLLATERAL = 29,
	CL_STF_ERR_BAD_AGENT = 30,         /* agent is zero or the trader */
	CL_STF_ERR_DEPOSIT_OUT_OF_ORDER = 31,
	CL_STF_ERR_ORACLE_UNKNOWN_SIGNER = 32,
	CL_STF_ERR_ORACLE_DUPLICATE_SIGNER = 33,
	CL_STF_ERR_ORACLE_QUORUM = 34,
	CL_STF_ERR_ORACLE_STALE = 35,      /* older than the max age */
	CL_STF_ERR_ORACLE_FUTURE = 36,     /* after the block time */
	CL_STF_ERR_ORACLE_NOT_MONOTONIC = 37,
	CL_STF_ERR_BAD_REASON = 38,        /* ORDER_DONE reason does not hold */
	CL_STF_ERR_OVERFLOW = 39,
	CL_STF_ERR_BAD_BLOCK = 40,         /* header number/time/parent */
	CL_STF_ERR_ORACLE_OUT_OF_BOUND = 41, /* no quorum within the band */
	CL_STF_ERR_NOT_LIQUIDATABLE = 42,  /* equity >= maintenance */
	CL_STF_ERR_NOT_RISKIEST = 43,      /* another position goes first */
	CL_STF_ERR_SLICE_TOO_LARGE = 44,   /* above the slice bound */
	CL_STF_ERR_INSURANCE_INSUFFICIENT = 45, /* the fund cannot take it */
	CL_STF_ERR_ADL_NOT_ALLOWED = 46,   /* the fund can take it */
	CL_STF_ERR_ADL_BAD_COUNTERPARTIES = 47, /* not the ranking's top */
	CL_STF_ERR_NO_POSITION = 48,       /* no position in the market */
	CL_STF_ERR_BEYOND_LIMIT = 49,      /* price worse than the bankruptcy
					    * or unwind limit */
	CL_STF_ERR_NO_COLLATERAL = 50,     /* order from an account with no
					    * collateral and no position */
	CL_STF_ERR_ORDER_MARGIN = 51,      /* open orders would exceed the
					    * account's equity */
	CL_STF_ERR_L1_TIME_WINDOW = 52,    /* block time outside the window
					    * of its L1 block's time */
	CL_STF_ERR_L1_REF = 53,            /* L1 reference runs backwards or
					    * contradicts the previous one */
	CL_STF_ERR_NOT_A_REQUEST = 54,     /* a derived type given as a
					    * request */
	CL_STF_ERR_FORCED_OUT_OF_ORDER = 55, /* not the next forced id */
	CL_STF_ERR_CLOID_IN_USE = 56,      /* an open order of the trader has
					    * this client order id */
	CL_STF_ERR_BAD_TWAP = 57,          /* zero slices or interval, or a
					    * slippage above 1e6 ppm */
	CL_STF_ERR_UNKNOWN_ASSET = 58,     /* not a genesis collateral asset */
	CL_STF_ERR_MODE_BUSY = 59,         /* a margin mode change with a
					    * position or open orders in the
					    * market */
	CL_STF_ERR_WRONG_MODE = 60,        /* an order from an account that
					    * does not margin the market
					    * (cross account of an isolated
					    * market, or an isolated account
					    * in another market) */
	CL_STF_ERR_NOT_ISOLATED = 61,      /* isolated margin moved in a
					    * market held in cross mode */
	CL_STF_ERR_SAME_SUBACCOUNT = 62,   /* a transfer from a subaccount
					    * to itself */
	CL_STF_ERR_INSUFFICIENT_ASSET = 63, /* more of a collateral asset
					     * than the account holds */
	CL_STF_ERR_ASSET_MARGIN = 64,      /* taking the asset's value out
					    * leaves the account under its
					    * initial requirement (open
					    * orders counted) */
	CL_STF_ERR_ASSET_COVERS_DEBT = 65, /* the asset covers a negative
					    * settlement balance */
	/* 66 is kept */
	/* option markets: docs/protocol.md section 13 */
	CL_STF_ERR_OPTION_MARKET = 67,     /* not the kind of market asked */
	CL_STF_ERR_BAD_SURFACE = 68,       /* not SVI, or breaks the calendar */
	CL_STF_ERR_NO_SURFACE = 69,        /* no fresh index or surface */
	CL_STF_ERR_OPTION_EXPIRED = 70,    /* at or after its expiry */
	CL_STF_ERR_NOT_SETTLED = 71,       /* no settlement price yet */
	/* 72..74 are kept */
	/* portfolio margin: docs/protocol.md section 12 */
	CL_STF_ERR_PM_MIN_EQUITY = 75,
	CL_STF_ERR_PM_ISOLATED = 76,
	CL_STF_ERR_PM_DISABLED = 77,
	CL_STF_ERR_PM_MARGIN = 78,
	CL_STF_ERR_TWAP_NONCE_USED = 79,   /* a TWAP whose nonce is at or
					    * below the trader's floor (a
					    * pruned TWAP had it or a
					    * higher one) */
	/* listed options: docs/options.md "Listing" */
	CL_STF_ERR_LIST_NOT_LISTER = 80,   /* not the genesis lister, or no
					    * listing section */
	CL_STF_ERR_LIST_TEMPLATE = 81,     /* the template is not a genesis
					    * option market */
	CL_STF_ERR_LIST_TERMS = 82,        /* kind, strike or expiry out of
					    * range */
	CL_STF_ERR_LIST_SYMBOL = 83,       /* symbol invalid or in use */
	CL_STF_ERR_LIST_FULL = 84,         /* the lister's quota or the
					    * market table is full */
};
#define CL_STF_CODE_MAX 84

/*
 * A static, lowercase description of `code`: a positive enum cl_stf_code,
 * 0, or a negative enum cl_err (delegated to cl_err_str()).
 */
const char *cl_stf_err_str(int code);

#endif /* CLEARLINE_STF_CODES_H */
