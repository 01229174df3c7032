/* SPDX-License-Identifier: MIT */
/*
 * cli — clearline-cli, the command-line wallet and operator tool.
 *
 * The program is a thin main() around cl_cli_run(). Everything it does is
 * here so that tests can drive it without a network: the JSON-RPC client
 * sends its requests through a function pointer in struct cl_cli (libcurl
 * by default), and every command writes to the FILE streams in the same
 * struct.
 *
 * Numbers: prices, sizes and collateral amounts travel as integers in the
 * units of docs/conventions.md "Numbers"; people type and read them as decimals. The
 * conversion is exact in both directions: a decimal with more fractional
 * digits than the unit allows, an off-tick price or an off-step size is
 * refused with a message, never rounded. The market decimals and the
 * EIP-712 domain always come from the node (l2_getConfig).
 *
 * Exit codes: 0 success, 1 the node refused the request (or answered
 * something unusable, or a local operation such as unlocking a keystore
 * failed), 2 usage error, 3 the node could not be reached.
 *
 * Secrets: the selected key lives in guarded memory (crypto.h) and is never
 * printed or logged; only `key address` prints the address derived from it.
 *
 * Threads: none. A struct cl_cli is used by one thread.
 */
#ifndef CLEARLINE_CLI_H
#define CLEARLINE_CLI_H

#include <stdio.h>

#include <clearline/common.h>
#include <clearline/crypto.h>
#include <clearline/json.h>

/* ------------------------------------------------------------------ */
/* Exit codes                                                          */
/* ------------------------------------------------------------------ */

enum cl_cli_exit {
	CL_CLI_EXIT_OK = 0,
	CL_CLI_EXIT_FAILED = 1,	 /* rejected request or local failure */
	CL_CLI_EXIT_USAGE = 2,	 /* bad command line */
	CL_CLI_EXIT_CONNECT = 3, /* the node could not be reached */
};

/* ------------------------------------------------------------------ */
/* Human decimals <-> integer units                                    */
/* ------------------------------------------------------------------ */

/* The most fractional digits a unit may have. */
#define CL_DEC_MAX_DECIMALS 30
/* Room for any formatted value: sign, 20 digits, point, zero padding. */
#define CL_DEC_STR_MAX 56

enum cl_dec_err {
	CL_DEC_OK = 0,
	CL_DEC_EMPTY,	     /* no characters */
	CL_DEC_NEGATIVE,     /* starts with '-' */
	CL_DEC_SYNTAX,	     /* not digits with at most one inner '.' */
	CL_DEC_LEADING_ZERO, /* "01", "00.5" */
	CL_DEC_TOO_PRECISE,  /* more fractional digits than the unit has */
	CL_DEC_OVERFLOW,     /* does not fit in 64 bits of units */
	CL_DEC_BAD_DECIMALS, /* decimals > CL_DEC_MAX_DECIMALS */
};

/* A short, lowercase, static description of `e`. */
const char *cl_dec_err_str(enum cl_dec_err e);

/*
 * Check the form of a human decimal without knowing its unit: ASCII
 * digits, optionally one '.' with at least one digit on each side, no
 * sign, no spaces, no exponent, no leading zeros ("0.5" is fine, "00.5"
 * and "01" are not). `len` characters are read; no NUL needed.
 *
 * Returns CL_DEC_OK or the first broken rule (EMPTY, NEGATIVE, SYNTAX,
 * LEADING_ZERO).
 */
CL_WUR enum cl_dec_err cl_dec_check(const char *s, size_t len);

/*
 * Convert a human decimal to integer units of 10^-decimals, exactly:
 * "65000.5" with 2 decimals is 6500050. Trailing fractional zeros count as
 * digits ("1.500" has 3). Zero is accepted; the callers that need a
 * positive value check that themselves.
 *
 * out:      out: the units; 0 on failure.
 * s, len:   the text (borrowed, no NUL needed).
 * decimals: the unit's fractional digits, <= CL_DEC_MAX_DECIMALS.
 *
 * Returns CL_DEC_OK, a cl_dec_check() failure, CL_DEC_TOO_PRECISE,
 * CL_DEC_OVERFLOW or CL_DEC_BAD_DECIMALS.
 */
CL_WUR enum cl_dec_err cl_dec_parse(uint64_t *out, const char *s, size_t len,
				    unsigned decimals);

/*
 * Format integer units as the shortest exact human decimal: trailing
 * fractional zeros and a bare point are dropped (6500050 with 2 decimals
 * is "65000.5", 100 with 2 is "1", 5 with 2 is "0.05"). cl_dec_parse()
 * of the output with the same decimals gives `v` back.
 *
 * out: out: NUL-terminated text. decimals must be <= CL_DEC_MAX_DECIMALS
 * (a bug otherwise). Returns the length.
 */
size_t cl_dec_format_u64(char out[CL_DEC_STR_MAX], uint64_t v,
			 unsigned decimals);
/* The same for signed units ("-0.05"); INT64_MIN is handled. */
size_t cl_dec_format_i64(char out[CL_DEC_STR_MAX], int64_t v,
			 unsigned decimals);

/* ------------------------------------------------------------------ */
/* Node configuration (l2_getConfig)                                   */
/* ------------------------------------------------------------------ */

#define CL_CLI_SYMBOL_MAX 32

/* One market as the node describes it. Integer fields are in the units of
 * docs/conventions.md "Numbers"; max_order_size 0 means the node gave no limit. */
struct cl_cli_market {
	uint32_t id;
	char symbol[CL_CLI_SYMBOL_MAX + 1];
	unsigned price_decimals, size_decimals;
	uint64_t tick_size, step_size, max_order_size;
	int64_t maker_fee_ppm, taker_fee_ppm;
	/* an option market (l2_getConfig's `option`): is_option, a call or
	 * a put on perpetual `underlying`, strike in its price units,
	 * expiry in unix seconds; all 0 for a perpetual */
	bool is_option, is_call;
	uint32_t underlying;
	uint64_t strike, expiry;
};

/* One collateral asset as the node describes it (l2_getConfig's
 * `assets`; `decimals` are its L2 decimals). */
struct cl_cli_asset {
	uint32_t id;
	char symbol[CL_CLI_SYMBOL_MAX + 1];
	struct cl_address token;
	unsigned decimals;
};

/* Most collateral assets a configuration may list. */
#define CL_CLI_MAX_ASSETS 8

/* The node's configuration; owns `markets`. Release with
 * cl_cli_config_release(). A node from before collateral assets sends
 * no `assets`: none. */
struct cl_cli_config {
	uint64_t l1_chain_id;
	struct cl_address rollup, collateral_token;
	unsigned collateral_decimals;
	struct cl_eip712_domain domain;
	struct cl_cli_market *markets;
	size_t n_markets;
	struct cl_cli_asset assets[CL_CLI_MAX_ASSETS];
	size_t n_assets;
};

/*
 * Read an l2_getConfig result. Small integers may be JSON numbers or
 * decimal strings; the domain must name "Clearline" version "1" (the only
 * domain this build signs in); decimals must be <= CL_DEC_MAX_DECIMALS,
 * tick and step sizes nonzero, market ids and symbols unique.
 *
 * cfg: out: filled on success, zeroed on failure (nothing to release).
 * err: out: a message naming the bad field, up to errlen bytes.
 * result: borrowed.
 */
CL_WUR bool cl_cli_config_parse(struct cl_cli_config *cfg, char *err,
				size_t errlen, const json_t *result);

/* Free what cl_cli_config_parse() allocated; NULL-safe, idempotent. */
void cl_cli_config_release(struct cl_cli_config *cfg);

/* A market by symbol (case-insensitive) or by decimal id; NULL when there
 * is none. The pointer is valid until the config is released. */
const struct cl_cli_market *cl_cli_market_find(const struct cl_cli_config *cfg,
					       const char *name);
const struct cl_cli_market *cl_cli_market_by_id(const struct cl_cli_config *cfg,
						uint32_t id);
/* A collateral asset by symbol (case-insensitive) or by decimal id; NULL
 * when there is none. Valid until the config is released. */
const struct cl_cli_asset *cl_cli_asset_find(const struct cl_cli_config *cfg,
					     const char *name);

/* ------------------------------------------------------------------ */
/* Building signed messages                                            */
/* ------------------------------------------------------------------ */

/* Order flags as signed (docs/crypto.md "EIP-712", fixed). */
#define CL_CLI_FLAG_REDUCE_ONLY 0x01u
#define CL_CLI_FLAG_POST_ONLY 0x02u
#define CL_CLI_FLAG_IOC (1u << 2)
#define CL_CLI_FLAG_FOK (2u << 2)

/* The longest error message the builders write. */
#define CL_CLI_ERR_MAX 256

/*
 * A price typed by a person, for market m: exact conversion, positive, a
 * multiple of the tick size. On failure *out is 0 and err holds a message
 * such as "price 1.234: BTC-PERP allows at most 2 decimal places".
 */
CL_WUR bool cl_cli_parse_price(uint64_t *out, char *err, size_t errlen,
			       const struct cl_cli_market *m, const char *text);
/* The same for a size: positive, a multiple of the step size, not above
 * the market's maximum order size. */
CL_WUR bool cl_cli_parse_size(uint64_t *out, char *err, size_t errlen,
			      const struct cl_cli_market *m, const char *text);
/* A positive collateral amount with `decimals` fractional digits. */
CL_WUR bool cl_cli_parse_amount(uint64_t *out, char *err, size_t errlen,
				unsigned decimals, const char *text);

/* What a person asked for in `order` and `sign-order`. */
struct cl_cli_order_req {
	const struct cl_cli_market *market;
	struct cl_address trader;
	bool is_buy;
	const char *price, *size; /* human decimals, borrowed */
	uint8_t flags;
	uint64_t nonce, expiry; /* expiry in unix seconds */
};

/*
 * Turn a request into the EIP-712 order, converting price and size with
 * cl_cli_parse_price()/cl_cli_parse_size().
 *
 * Returns false with a message in err (and *out zeroed) on a bad value.
 */
CL_WUR bool cl_cli_order_build(struct cl_order *out, char *err, size_t errlen,
			       const struct cl_cli_order_req *req);

/*
 * The JSON forms the node takes (docs/api.md): addresses EIP-55,
 * 64-bit fields as decimal strings, market and flags as numbers, hashes as
 * 0x hex. New references owned by the caller (json_decref).
 */
json_t *cl_cli_order_json(const struct cl_order *o);
json_t *cl_cli_cancel_json(const struct cl_cancel *c);
json_t *cl_cli_withdraw_json(const struct cl_withdraw *w);
json_t *cl_cli_approve_agent_json(const struct cl_approve_agent *a);

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/*
 * A table printed with aligned columns: a header line, then one line per
 * row; the columns whose bit is set in right_mask are right-aligned (for
 * numbers), the others left-aligned. The table owns copies of the cells.
 */
struct cl_cli_table {
	size_t ncols;
	const char *const *head; /* borrowed, ncols strings */
	uint32_t right_mask;
	char **cells; /* nrows * ncols copies */
	size_t nrows, cap;
};

void cl_cli_table_init(struct cl_cli_table *t, size_t ncols,
		       const char *const *head, uint32_t right_mask);
/* Append a row of exactly t->ncols strings (copied; NULL prints "-"). */
void cl_cli_table_add(struct cl_cli_table *t, ...);
/* Print with two spaces between columns, no trailing spaces. */
void cl_cli_table_print(const struct cl_cli_table *t, FILE *f);
void cl_cli_table_release(struct cl_cli_table *t);

/*
 * Render an integer quantity from the node in human units: `v` may be a
 * decimal string (signed or not) or a JSON integer. Missing or null values
 * give "-"; anything else is copied as it is, followed by " (?)" so a
 * surprise stays visible.
 */
void cl_cli_fmt_units(char out[CL_DEC_STR_MAX], const json_t *v,
		      unsigned decimals);

/* An address from the node in EIP-55 form; anything that does not parse
 * is copied (truncated) with a "?" in front. */
void cl_cli_fmt_address(char out[CL_ADDRESS_STR_LEN + 2], const json_t *v);

/* ------------------------------------------------------------------ */
/* The program                                                         */
/* ------------------------------------------------------------------ */

/*
 * Send one HTTP POST: `body` (JSON) to `url`, the answer in `resp`.
 *
 * arg:         the post_arg of struct cl_cli.
 * resp:        out: the response body is appended.
 * http_status: out: the HTTP status code (0 when there was no answer).
 * err:         out: on failure a message (up to errlen bytes).
 *
 * Returns CL_OK when an HTTP answer arrived (whatever its status),
 * CL_ERR_NET or CL_ERR_TIMEOUT when the node could not be reached or did
 * not answer in time, CL_ERR_CORRUPT when the answer was too large.
 */
typedef int (*cl_cli_post_fn)(void *arg, struct cl_buf *resp, long *http_status,
			      char *err, size_t errlen, const char *url,
			      const char *body, size_t body_len);

/* The default transport: libcurl with the timeouts and the size limit of
 * the struct cl_cli passed as `arg`. */
int cl_cli_curl_post(void *arg, struct cl_buf *resp, long *http_status,
		     char *err, size_t errlen, const char *url,
		     const char *body, size_t body_len);

#define CL_CLI_DEFAULT_RPC "http://127.0.0.1:8645"

/*
 * The state of one run. cl_cli_init() fills the defaults (stdout, stderr,
 * stdin, libcurl, moderate keystore cost); tests may then replace the
 * streams, the transport, the KDF cost or the clock before cl_cli_run().
 */
struct cl_cli {
	/* settings */
	const char *rpc_url;
	bool json;
	FILE *out, *err, *in;
	cl_cli_post_fn post;
	void *post_arg;
	long connect_timeout_ms, timeout_ms;
	size_t max_response; /* bytes */
	struct cl_kdf_params kdf;
	uint64_t (*now_ms)(void); /* wall clock, for default expiries */

	/* key selection (borrowed from argv) */
	const char *key_hex, *key_env, *keystore, *passphrase;

	/* filled while running */
	struct cl_seckey *key;
	struct cl_cli_config config;
	bool have_config;
	uint64_t next_id;
};

void cl_cli_init(struct cl_cli *cli);
/* Free the key (wiped) and the cached configuration. */
void cl_cli_release(struct cl_cli *cli);

/*
 * Parse argv (argv[0] is the program name) and run the command. Options
 * may come before or after the command. Returns an enum cl_cli_exit.
 */
CL_WUR int cl_cli_run(struct cl_cli *cli, int argc, char **argv);

/*
 * One JSON-RPC 2.0 call. `params` is consumed (json_decref'ed); NULL
 * sends []. On success *result is a new reference the caller releases.
 * On failure *result is NULL, a message is written to cli->err ("cannot
 * reach the node at URL: ...", or the node's error message) and the exit
 * code is returned.
 *
 * Returns CL_CLI_EXIT_OK, CL_CLI_EXIT_FAILED (error object, bad answer)
 * or CL_CLI_EXIT_CONNECT.
 */
CL_WUR int cl_cli_call(struct cl_cli *cli, json_t **result, const char *method,
		       json_t *params);

#endif /* CLEARLINE_CLI_H */
