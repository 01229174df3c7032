/* SPDX-License-Identifier: MIT */
/* Internal to src/cli: the option table, commands and small helpers. */
#ifndef CLEARLINE_CLI_INT_H
#define CLEARLINE_CLI_INT_H

#include <clearline/cli.h>

/* Every option of every command; the globals come first. */
enum cli_opt {
	OPT_RPC,
	OPT_JSON,
	OPT_KEY,
	OPT_KEY_ENV,
	OPT_KEYSTORE,
	OPT_PASSPHRASE,
	OPT_HELP,
	OPT_IOC,
	OPT_FOK,
	OPT_GTC,
	OPT_POST_ONLY,
	OPT_REDUCE_ONLY,
	OPT_EXPIRY,
	OPT_NONCE,
	OPT_AGENT_FOR,
	OPT_TO,
	OPT_DEPTH,
	OPT_WS,
	OPT_SINCE,
	OPT_MAX,
	OPT_CLOID,
	OPT_GROUP,
	OPT_TPSL,
	OPT_SLIPPAGE,
	OPT_BATCH,
	OPT_HEAD,
	OPT_L1_RPC,
	OPT_ASSET,
	OPT_TEMPLATE,
	OPT_KIND,
	OPT_STRIKE,
	OPT_SYMBOL,
	OPT_COUNT
};

#define CLI_GLOBAL_OPTS                                                        \
	((1u << OPT_RPC) | (1u << OPT_JSON) | (1u << OPT_KEY) |                \
	 (1u << OPT_KEY_ENV) | (1u << OPT_KEYSTORE) | (1u << OPT_PASSPHRASE) | \
	 (1u << OPT_HELP))

#define CLI_MAX_POS 8

struct cli_cmd;

/* A parsed command line; the strings are borrowed from argv. */
struct cli_args {
	const struct cli_cmd *cmd;
	const char *pos[CLI_MAX_POS]; /* positional arguments after the
				       * command name(s) */
	size_t npos;
	const char *val[OPT_COUNT]; /* NULL for flags and unset options */
	bool set[OPT_COUNT];
};

struct cli_cmd {
	const char *name; /* "order", "key new" */
	int (*run)(struct cl_cli *cli, const struct cli_args *a);
	size_t min_pos, max_pos;
	uint32_t opts; /* options beyond the global ones */
	const char *synopsis;
	const char *help;
};

extern const struct cli_cmd cli_cmds[];
extern const size_t cli_ncmds;

/* ---- messages (cli.c) ---- */

/* "clearline-cli: MESSAGE" on cli->err. */
void cli_errorf(struct cl_cli *cli, const char *fmt, ...) CL_PRINTF(2, 3);
/* A usage error for `cmd` (may be NULL): the message, then the command's
 * synopsis. Returns CL_CLI_EXIT_USAGE. */
int cli_usage(struct cl_cli *cli, const struct cli_cmd *cmd, const char *fmt,
	      ...) CL_PRINTF(3, 4);
/* The default Order nonce: the wall clock in ms times 1024 plus 10
 * random bits. Orders only need distinct nonces, and nonces that grow
 * slowly per trader cost 2-3 bytes in a batch instead of 9 (batches
 * carry each trader's nonce as a delta: docs/batch-format.md). */
uint64_t cli_order_nonce(struct cl_cli *cli);
/* "label               value" on cli->out. */
void cli_kv(struct cl_cli *cli, const char *label, const char *value);
/* The result as one line of JSON on cli->out. */
void cli_print_json(struct cl_cli *cli, const json_t *v);
/* With --json: print the result `r`, release it and return true (the
 * command is done); otherwise false and `r` stays the caller's. */
bool cli_json_done(struct cl_cli *cli, json_t *r);

/* ---- signed requests and record lookups (submit.c) ---- */

/* The trader of a signed request: --agent-for TRADER, else the address
 * of cli->key (loaded). Returns an exit code. */
CL_WUR int cli_trader_of(struct cl_cli *cli, const struct cli_args *a,
			 struct cl_address *out);
/* --nonce N, else cli_order_nonce(). Returns an exit code. */
CL_WUR int cli_nonce_opt(struct cl_cli *cli, const struct cli_args *a,
			 uint64_t *out);
/* Sign `digest` with cli->key and call `method` with [msg, signature]
 * (msg is consumed, also on failure). Returns an exit code; the answer
 * in *r is the caller's. */
CL_WUR int cli_sign_submit(struct cl_cli *cli, json_t **r, const char *method,
			   json_t *msg, const struct cl_hash32 *digest);
/* "label  value" with the answer's field `key` as text. */
void cli_kv_field(struct cl_cli *cli, const char *label, const json_t *r,
		  const char *key);
/* The fields `keys` of `r`, each labelled with its name; with
 * skip_missing, absent fields print nothing. */
void cli_kv_fields(struct cl_cli *cli, const json_t *r,
		   const char *const *keys, size_t n, bool skip_missing);
/* Call `method` with the hash typed in `hash_text` (named `what` in the
 * usage error) and print the fields `keys` of the record (or the JSON
 * with --json). Returns an exit code. */
CL_WUR int cli_show_record(struct cl_cli *cli, const struct cli_cmd *cmd,
			   const char *method, const char *hash_text,
			   const char *what, const char *const *keys,
			   size_t n, bool skip_missing);

/* ---- shared steps of the commands (cli.c) ---- */

/* Check the key options before any network call: one source, and a
 * passphrase spec when a keystore is named. Returns an exit code. */
CL_WUR int cli_check_key_opts(struct cl_cli *cli, const struct cli_cmd *cmd);
/* Load the selected key into cli->key. Returns an exit code. */
CL_WUR int cli_load_key(struct cl_cli *cli, const struct cli_cmd *cmd);
/* Fetch and cache l2_getConfig in cli->config. Returns an exit code. */
CL_WUR int cli_get_config(struct cl_cli *cli);
/* Resolve a market name or print the usage error (exit code in *rc). */
const struct cl_cli_market *cli_market(struct cl_cli *cli,
				       const struct cli_cmd *cmd, int *rc,
				       const char *name);
/* "SECONDS" from now or "@UNIX"; false if malformed or zero. */
CL_WUR bool cli_parse_expiry(uint64_t *out, struct cl_cli *cli,
			     const char *text);
/* An address typed by a person. */
CL_WUR bool cli_parse_address(struct cl_address *out, const char *text);
/* A 32-byte 0x hash typed by a person. */
CL_WUR bool cli_parse_hash(struct cl_hash32 *out, const char *text);
/* Unix seconds as "YYYY-MM-DD HH:MM:SS UTC". */
void cli_fmt_time(char out[32], uint64_t secs);

/* ---- values from the node (output.c) ---- */

/* A decimal string or a JSON integer. */
CL_WUR bool cli_json_u64(uint64_t *out, const json_t *v);
CL_WUR bool cli_json_i64(int64_t *out, const json_t *v);
/* A value as text ("-" when missing); strings without quotes. */
void cli_fmt_text(char *out, size_t cap, const json_t *v);
/* Replace control bytes (from the node) by '?', in place. */
void cli_sanitize(char *s);
/* A value that should have been a number, marked with "(?)". */
void cli_fmt_raw(char *out, size_t cap, const json_t *v);

/* ---- the commands ---- */

int cli_cmd_key_new(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_key_import(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_key_address(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_order(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_sign_order(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_cancel(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_withdraw(struct cl_cli *cli, const struct cli_args *a);
/* cmd_l1.c: L1 transactions sent by the CLI itself */
int cli_cmd_asset_deposit(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_approve_agent(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_credit(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_account(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_book(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_markets(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_status(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_order_status(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_games(struct cl_cli *cli, const struct cli_args *a);
/* cmd_margin.c: isolated margin */
int cli_cmd_margin_mode(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_isolated_margin(struct cl_cli *cli, const struct cli_args *a);
/* portfolio margin on or off (docs/margin.md "Portfolio margin") */
int cli_cmd_portfolio_mode(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_option_list(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_isolated(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_subaccount_transfer(struct cl_cli *cli, const struct cli_args *a);
/* withdraw --asset, subaccount-transfer --asset (cmd_asset.c). */
int cli_asset_withdraw(struct cl_cli *cli, const struct cli_args *a);
int cli_subaccount_asset_transfer(struct cl_cli *cli,
				  const struct cli_args *a);
int cli_cmd_subaccounts(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_withdrawal_proof(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_exit_proof(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_help(struct cl_cli *cli, const struct cli_args *a);
/* cmd_watch.c */
int cli_cmd_watch(struct cl_cli *cli, const struct cli_args *a);
/* cmd_orders.c: the order kinds (docs/protocol.md "Order kinds") */
int cli_cmd_schedule_cancel(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_order_by_cloid(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_trigger(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_trigger_status(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_scale(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_twap(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_twap_status(struct cl_cli *cli, const struct cli_args *a);
/* The order flags of --gtc/--ioc/--fok, --post-only, --reduce-only
 * (cmd_trade.c). Returns an exit code. */
CL_WUR int cli_order_flags(struct cl_cli *cli, const struct cli_args *a,
			   uint8_t *flags);
/* A client order id typed by a person: 0x and 1..32 hex digits, or a
 * decimal number below 2^64; never zero. */
CL_WUR bool cli_parse_cloid(struct cl_cloid *out, const char *text);

#endif /* CLEARLINE_CLI_INT_H */
