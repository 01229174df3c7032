/* SPDX-License-Identifier: MIT */
/*
 * The command line: options, the command table, help, key selection and
 * the steps every command shares (fetching the node's configuration,
 * reading addresses, hashes and expiries).
 */
#include <clearline/cli.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"
#include "cmd_bot.h"

#define PROG "clearline-cli"

struct opt_def {
	const char *name;
	bool has_arg;
};

static const struct opt_def opt_defs[OPT_COUNT] = {
	[OPT_RPC] = {"rpc", true},
	[OPT_JSON] = {"json", false},
	[OPT_KEY] = {"key", true},
	[OPT_KEY_ENV] = {"key-env", true},
	[OPT_KEYSTORE] = {"keystore", true},
	[OPT_PASSPHRASE] = {"passphrase", true},
	[OPT_HELP] = {"help", false},
	[OPT_IOC] = {"ioc", false},
	[OPT_FOK] = {"fok", false},
	[OPT_GTC] = {"gtc", false},
	[OPT_POST_ONLY] = {"post-only", false},
	[OPT_REDUCE_ONLY] = {"reduce-only", false},
	[OPT_EXPIRY] = {"expiry", true},
	[OPT_NONCE] = {"nonce", true},
	[OPT_AGENT_FOR] = {"agent-for", true},
	[OPT_TO] = {"to", true},
	[OPT_DEPTH] = {"depth", true},
	[OPT_WS] = {"ws", true},
	[OPT_SINCE] = {"since", true},
	[OPT_MAX] = {"max", true},
	[OPT_CLOID] = {"cloid", true},
	[OPT_GROUP] = {"group", true},
	[OPT_TPSL] = {"tpsl", false},
	[OPT_SLIPPAGE] = {"slippage-ppm", true},
	[OPT_BATCH] = {"batch", true},
	[OPT_HEAD] = {"head", false},
	[OPT_L1_RPC] = {"l1-rpc", true},
	[OPT_ASSET] = {"asset", true},
	[OPT_TEMPLATE] = {"template", true},
	[OPT_KIND] = {"kind", true},
	[OPT_STRIKE] = {"strike", true},
	[OPT_SYMBOL] = {"symbol", true},
};

#define O(x) (1u << (x))
#define ORDER_OPTS                                                 \
	(O(OPT_IOC) | O(OPT_FOK) | O(OPT_GTC) | O(OPT_POST_ONLY) | \
	 O(OPT_REDUCE_ONLY) | O(OPT_EXPIRY) | O(OPT_NONCE) | O(OPT_AGENT_FOR) | \
	 O(OPT_CLOID))

const struct cli_cmd cli_cmds[] = {
	{"key new", cli_cmd_key_new, 0, 0, 0,
	 "--keystore FILE --passphrase file:PATH|env:NAME",
	 "create a new key in an encrypted keystore and print its address"},
	{"key import", cli_cmd_key_import, 0, 0, 0,
	 "--keystore FILE --passphrase file:PATH|env:NAME < SECRET",
	 "read a hex secret key from stdin into a new encrypted keystore"},
	{"key address", cli_cmd_key_address, 0, 0, 0, "",
	 "print the address of the selected key"},
	{"order", cli_cmd_order, 4, 4, ORDER_OPTS,
	 "SYMBOL|ID buy|sell PRICE SIZE [--gtc|--ioc|--fok] [--post-only] "
	 "[--reduce-only] [--expiry SECONDS|@UNIX] [--nonce N] "
	 "[--agent-for TRADER] [--cloid ID]",
	 "sign an order with the selected key and submit it (with --cloid: "
	 "a ClientOrder carrying the client order id ID)"},
	{"sign-order", cli_cmd_sign_order, 4, 4, ORDER_OPTS,
	 "SYMBOL|ID buy|sell PRICE SIZE [order options]",
	 "print a signed order and its hash without submitting it"},
	{"schedule-cancel", cli_cmd_schedule_cancel, 1, 1,
	 O(OPT_NONCE) | O(OPT_AGENT_FOR),
	 "SECONDS|@UNIX|off [--nonce N] [--agent-for TRADER]",
	 "the dead-man switch: cancel all open orders at that time unless "
	 "renewed first; off disarms it"},
	{"order-by-cloid", cli_cmd_order_by_cloid, 2, 2, 0, "TRADER ID",
	 "the open order of TRADER with client order id ID"},
	{"trigger", cli_cmd_trigger, 6, 6,
	 (ORDER_OPTS & ~O(OPT_CLOID)) | O(OPT_GROUP) | O(OPT_TPSL),
	 "SYMBOL|ID buy|sell PRICE SIZE above|below TRIGGER [order options] "
	 "[--group N] [--tpsl]",
	 "a trigger order: placed when the mark reaches TRIGGER (above: at "
	 "or above it); --ioc makes a stop-market bounded by PRICE, --tpsl a "
	 "take-profit or stop-loss bound to the position (reduce-only), "
	 "--group N a one-cancels-the-other pair"},
	{"scale", cli_cmd_scale, 3, 3, ORDER_OPTS & ~O(OPT_CLOID),
	 "SYMBOL|ID buy|sell PRICE:SIZE[,PRICE:SIZE...] [order options]",
	 "a scale order: up to 16 orders on one side signed once"},
	{"twap", cli_cmd_twap, 5, 5,
	 O(OPT_REDUCE_ONLY) | O(OPT_NONCE) | O(OPT_AGENT_FOR) |
		 O(OPT_SLIPPAGE),
	 "SYMBOL|ID buy|sell SIZE SLICES INTERVAL [--slippage-ppm N] "
	 "[--reduce-only] [--nonce N] [--agent-for TRADER]",
	 "a TWAP order: SIZE in SLICES IOC slices INTERVAL seconds apart, "
	 "each within --slippage-ppm (default 30000, 3 %) of the mark"},
	{"twap-status", cli_cmd_twap_status, 1, 1, 0, "TWAPHASH",
	 "one TWAP order: its progress and status"},
	{"trigger-status", cli_cmd_trigger_status, 1, 1, 0, "TRIGGERHASH",
	 "one trigger order: its fields and status"},
	{"cancel", cli_cmd_cancel, 1, 1, O(OPT_AGENT_FOR),
	 "ORDERHASH [--agent-for TRADER]", "cancel an open order"},
	{"asset-deposit", cli_cmd_asset_deposit, 2, 2, O(OPT_L1_RPC) | O(OPT_TO),
	 "SYMBOL|ID AMOUNT --l1-rpc URL [--to ADDRESS]",
	 "deposit a collateral asset on L1 (approve, then the assets "
	 "contract's deposit, both sent with the selected key) for your own "
	 "L2 account or ADDRESS; AMOUNT in the asset's units"},
	{"withdraw", cli_cmd_withdraw, 1, 1, O(OPT_TO) | O(OPT_ASSET),
	 "AMOUNT [--to ADDRESS] [--asset SYMBOL|ID]",
	 "withdraw collateral to an L1 address (default: your own); with "
	 "--asset, AMOUNT of that collateral asset (claimed from the assets "
	 "contract)"},
	{"credit", cli_cmd_credit, 2, 2, 0, "ADDRESS AMOUNT",
	 "operator, node without an L1 only: credit collateral to an account"},
	{"approve-agent", cli_cmd_approve_agent, 1, 1, O(OPT_EXPIRY),
	 "AGENT --expiry SECONDS|@UNIX",
	 "let AGENT sign orders for the selected key until the expiry"},
	{"margin-mode", cli_cmd_margin_mode, 2, 2, 0,
	 "SYMBOL|ID cross|isolated",
	 "trade a market in cross or isolated margin (refused with a "
	 "position or open orders there); isolated names the account whose "
	 "orders (order --agent-for ACCOUNT) hold the isolated position"},
	{"portfolio-mode", cli_cmd_portfolio_mode, 1, 1, 0, "on|off",
	 "margin the account in portfolio mode (on: scenario risk across "
	 "its positions, refused under the genesis minimum equity or its "
	 "portfolio initial margin) or leg by leg (off: refused under the "
	 "leg-by-leg initial margin)"},
	{"option-list", cli_cmd_option_list, 0, 0,
	 O(OPT_TEMPLATE) | O(OPT_KIND) | O(OPT_STRIKE) | O(OPT_EXPIRY) |
		 O(OPT_SYMBOL),
	 "--template SYMBOL|ID --kind call|put --strike PRICE "
	 "--expiry SECONDS|@UNIX --symbol SYMBOL",
	 "the genesis lister only: list an option market copied from a "
	 "genesis option market (the template) with its own kind, strike, "
	 "expiry and symbol"},
	{"isolated-margin", cli_cmd_isolated_margin, 3, 3, 0,
	 "SYMBOL|ID add|remove AMOUNT",
	 "move collateral into an isolated position, or out of it while it "
	 "stays above its initial margin"},
	{"isolated", cli_cmd_isolated, 0, 1, 0, "[ADDRESS]",
	 "the isolated positions of an account: margin, health, size"},
	{"subaccount-transfer", cli_cmd_subaccount_transfer, 3, 3,
	 O(OPT_ASSET), "FROM TO AMOUNT [--asset SYMBOL|ID]",
	 "move collateral (with --asset: that collateral asset) from "
	 "subaccount FROM to subaccount TO (0 is your own account; refused "
	 "under the source's initial margin); orders of a subaccount: order "
	 "--agent-for ACCOUNT"},
	{"subaccounts", cli_cmd_subaccounts, 0, 1, 0, "[ADDRESS]",
	 "the subaccounts of an account: address, collateral, margin"},
	{"account", cli_cmd_account, 0, 1, 0, "[ADDRESS]",
	 "balances, margin, positions and open orders of an account"},
	{"book", cli_cmd_book, 1, 1, O(OPT_DEPTH), "SYMBOL|ID [--depth N]",
	 "the order book of a market"},
	{"markets", cli_cmd_markets, 0, 0, 0, "",
	 "markets with their parameters and prices"},
	{"status", cli_cmd_status, 0, 0, 0, "",
	 "the node's head block and L1 batch progress"},
	{"games", cli_cmd_games, 0, 0, 0, "",
	 "the dispute games the node plays: position, clocks, next move"},
	{"order-status", cli_cmd_order_status, 1, 1, 0, "ORDERHASH",
	 "one order: its fields, filled size and status"},
	{"withdrawal-proof", cli_cmd_withdrawal_proof, 1, 1, 0, "ID",
	 "the status of a withdrawal and, once final, the L1 claim call"},
	{"exit-proof", cli_cmd_exit_proof, 1, 1, O(OPT_BATCH) | O(OPT_HEAD),
	 "ADDRESS [--batch N | --head]",
	 "an account's proof and the escape's L1 calls: against the exit root "
	 "once frozen (else the head), a posted batch's root or the head"},
	{"oracle-feed", cli_cmd_oracle_feed, 0, 0, 0,
	 "--oracle-key-env NAME[,NAME...] [--interval-ms N] [--seed N] "
	 "[--start SYMBOL=PRICE,...] [--markets SYMBOL,...] [--ticks N]",
	 "devnet: sign and submit oracle prices for every market"},
	{"bot", cli_cmd_bot, 1, 1, 0,
	 "maker|taker [--interval-ms N] [--levels N] [--spread-bps N] "
	 "[--notional USD] [--markets SYMBOL,...] [--seed N] [--ticks N]",
	 "devnet: demo traffic, a market maker or a taker"},
	{"watch", cli_cmd_watch, 1, 2, O(OPT_WS) | O(OPT_SINCE) | O(OPT_MAX),
	 "book|trades SYMBOL|ID, blocks, account [ADDRESS] [--ws URL] "
	 "[--since SEQ] [--max N]",
	 "stream a subscription to the terminal, one line per message "
	 "(reconnects and resumes)"},
	{"help", cli_cmd_help, 0, 2, 0, "[COMMAND]", "show help"},
};
const size_t cli_ncmds = CL_ARRAY_LEN(cli_cmds);

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

uint64_t cli_order_nonce(struct cl_cli *cli)
{
	uint16_t low;

	cl_randbytes(&low, sizeof(low));
	return ((cli->now_ms() & (INT64_MAX >> 10)) << 10) | (low & 1023u);
}

void cli_errorf(struct cl_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", cli->err);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	fputc('\n', cli->err);
}

int cli_usage(struct cl_cli *cli, const struct cli_cmd *cmd, const char *fmt,
	      ...)
{
	va_list ap;

	fputs(PROG ": ", cli->err);
	if (cmd)
		fprintf(cli->err, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	fputc('\n', cli->err);
	if (cmd)
		fprintf(cli->err, "usage: " PROG " %s %s\n", cmd->name,
			cmd->synopsis);
	else
		fprintf(cli->err, "try '" PROG " --help'\n");
	return CL_CLI_EXIT_USAGE;
}

void cli_kv(struct cl_cli *cli, const char *label, const char *value)
{
	fprintf(cli->out, "%-19s %s\n", label, value);
}

void cli_print_json(struct cl_cli *cli, const json_t *v)
{
	char *s = cl_json_dump(v);

	fprintf(cli->out, "%s\n", s);
	free(s);
}

bool cli_json_done(struct cl_cli *cli, json_t *r)
{
	if (!cli->json)
		return false;
	cli_print_json(cli, r);
	json_decref(r);
	return true;
}

static void print_global_help(struct cl_cli *cli)
{
	FILE *f = cli->out;

	fprintf(f, "usage: " PROG " [OPTIONS] COMMAND [ARGS]\n\n"
		   "The wallet and operator tool of a Clearline node.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < cli_ncmds; i++)
		fprintf(f, "  %-18s%s\n", cli_cmds[i].name, cli_cmds[i].help);
	fprintf(f,
		"\noptions (any command):\n"
		"  --rpc URL             the node's JSON-RPC address (default "
		"$CLEARLINE_RPC,\n"
		"                        else " CL_CLI_DEFAULT_RPC ")\n"
		"  --json                print the node's result as one line "
		"of JSON\n"
		"  --key-env NAME        the secret key (hex) is in variable "
		"NAME\n"
		"  --keystore FILE       the key is in an encrypted keystore\n"
		"  --passphrase SPEC     the keystore passphrase: file:PATH or "
		"env:NAME\n"
		"  --key 0xHEX           the secret key itself (discouraged: "
		"visible to\n"
		"                        other users and kept in shell "
		"history)\n"
		"  --help                help for the command\n"
		"\nexit codes: 0 ok, 1 refused or failed, 2 usage error, "
		"3 node unreachable\n");
}

static void print_cmd_help(struct cl_cli *cli, const struct cli_cmd *cmd)
{
	fprintf(cli->out, "usage: " PROG " %s %s\n\n%s\n", cmd->name,
		cmd->synopsis, cmd->help);
	if (cmd->opts == ORDER_OPTS)
		fprintf(cli->out,
			"\n"
			"  PRICE, SIZE           decimals in market units, "
			"converted exactly\n"
			"  --gtc|--ioc|--fok     time in force (default "
			"--gtc)\n"
			"  --post-only           never take liquidity (only "
			"with --gtc)\n"
			"  --reduce-only         only reduce a position\n"
			"  --expiry SECONDS      valid for SECONDS from now "
			"(default 3600);\n"
			"                        @UNIX for an absolute time\n"
			"  --nonce N             default: the time in ms "
			"times 1024 plus 10 random bits\n"
			"  --agent-for TRADER    sign as an approved agent of "
			"TRADER\n");
}

int cli_cmd_help(struct cl_cli *cli, const struct cli_args *a)
{
	char name[64];

	if (a->npos == 0) {
		print_global_help(cli);
		return CL_CLI_EXIT_OK;
	}
	if (a->npos == 2)
		snprintf(name, sizeof(name), "%s %s", a->pos[0], a->pos[1]);
	else
		snprintf(name, sizeof(name), "%s", a->pos[0]);
	for (size_t i = 0; i < cli_ncmds; i++) {
		if (strcmp(cli_cmds[i].name, name) == 0) {
			print_cmd_help(cli, &cli_cmds[i]);
			return CL_CLI_EXIT_OK;
		}
	}
	return cli_usage(cli, a->cmd, "unknown command '%s'", name);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static int find_opt(const char *name, size_t len)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (strlen(opt_defs[i].name) == len &&
		    memcmp(opt_defs[i].name, name, len) == 0)
			return i;
	return -1;
}

/* "-5" or "-0.5" is a (negative) value, not an option. */
static bool looks_negative(const char *s)
{
	return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.');
}

static int parse_argv(struct cl_cli *cli, struct cli_args *a,
		      const char **words, size_t *nwords, int argc, char **argv)
{
	bool only_pos = false;

	*nwords = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (only_pos || s[0] != '-' || s[1] == '\0' ||
		    looks_negative(s)) {
			if (*nwords == CLI_MAX_POS + 2)
				return cli_usage(cli, NULL,
						 "too many arguments");
			words[(*nwords)++] = s;
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (strcmp(s, "-h") == 0) {
			a->set[OPT_HELP] = true;
			continue;
		}
		if (s[1] != '-')
			return cli_usage(cli, NULL, "unknown option %s", s);

		const char *name = s + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		int o = find_opt(name, nlen);

		if (o < 0)
			return cli_usage(cli, NULL, "unknown option --%.*s",
					 (int)nlen, name);
		if (a->set[o])
			return cli_usage(cli, NULL, "--%s given twice",
					 opt_defs[o].name);
		a->set[o] = true;
		if (!opt_defs[o].has_arg) {
			if (eq)
				return cli_usage(cli, NULL,
						 "--%s takes no value",
						 opt_defs[o].name);
			continue;
		}
		if (eq) {
			a->val[o] = eq + 1;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage(cli, NULL, "--%s needs a value",
					 opt_defs[o].name);
		a->val[o] = argv[++i];
	}
	return CL_CLI_EXIT_OK;
}

static const struct cli_cmd *lookup_cmd(const char *const *words, size_t nwords,
					size_t *used)
{
	char name[64];

	*used = 0;
	if (nwords == 0)
		return NULL;
	if (strcmp(words[0], "key") == 0) {
		if (nwords < 2)
			return NULL;
		snprintf(name, sizeof(name), "key %s", words[1]);
		*used = 2;
	} else {
		snprintf(name, sizeof(name), "%s", words[0]);
		*used = 1;
	}
	for (size_t i = 0; i < cli_ncmds; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

static bool valid_pass_spec(const char *s)
{
	return (strncmp(s, "file:", 5) == 0 && s[5]) ||
	       (strncmp(s, "env:", 4) == 0 && s[4]);
}

int cli_check_key_opts(struct cl_cli *cli, const struct cli_cmd *cmd)
{
	int sources = !!cli->key_hex + !!cli->key_env + !!cli->keystore;

	if (sources > 1)
		return cli_usage(cli, cmd,
				 "choose one of --key, --key-env and "
				 "--keystore");
	if (cli->passphrase && !cli->keystore)
		return cli_usage(cli, cmd, "--passphrase needs --keystore");
	if (cli->keystore && !cli->passphrase)
		return cli_usage(cli, cmd,
				 "--keystore needs --passphrase file:PATH or "
				 "env:NAME");
	if (cli->passphrase && !valid_pass_spec(cli->passphrase))
		return cli_usage(cli, cmd,
				 "--passphrase must be file:PATH or env:NAME");
	return CL_CLI_EXIT_OK;
}

int cl_cli_run(struct cl_cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *words[CLI_MAX_POS + 2];
	size_t nwords, used;
	const struct cli_cmd *cmd;
	int rc;

	if (cl_crypto_init() != CL_OK) {
		cli_errorf(cli, "cannot initialise the crypto libraries");
		return CL_CLI_EXIT_FAILED;
	}
	if (cli_bot_claims(argc, argv)) /* options of their own */
		return cli_bot_main(cli, argc, argv);
	memset(&a, 0, sizeof(a));
	rc = parse_argv(cli, &a, words, &nwords, argc, argv);
	if (rc)
		return rc;
	cmd = lookup_cmd(words, nwords, &used);
	if (!cmd) {
		if (a.set[OPT_HELP] &&
		    (nwords == 0 || strcmp(words[0], "key") == 0)) {
			print_global_help(cli);
			return CL_CLI_EXIT_OK;
		}
		if (nwords == 0)
			return cli_usage(cli, NULL, "no command given");
		if (strcmp(words[0], "key") == 0)
			return cli_usage(cli, NULL,
					 "key: expected new, import or "
					 "address");
		return cli_usage(cli, NULL, "unknown command '%s'", words[0]);
	}
	a.cmd = cmd;
	for (int o = 0; o < OPT_COUNT; o++) {
		if (a.set[o] && !(CLI_GLOBAL_OPTS & (1u << o)) &&
		    !(cmd->opts & (1u << o)))
			return cli_usage(cli, cmd,
					 "option --%s does not apply here",
					 opt_defs[o].name);
	}
	if (a.set[OPT_HELP]) {
		print_cmd_help(cli, cmd);
		return CL_CLI_EXIT_OK;
	}
	a.npos = nwords - used;
	for (size_t i = 0; i < a.npos; i++)
		a.pos[i] = words[used + i];
	if (a.npos < cmd->min_pos)
		return cli_usage(cli, cmd, "missing arguments");
	if (a.npos > cmd->max_pos)
		return cli_usage(cli, cmd, "unexpected argument '%s'",
				 a.pos[cmd->max_pos]);

	if (a.set[OPT_RPC])
		cli->rpc_url = a.val[OPT_RPC];
	else if (getenv("CLEARLINE_RPC") && *getenv("CLEARLINE_RPC"))
		cli->rpc_url = getenv("CLEARLINE_RPC");
	if (!*cli->rpc_url)
		return cli_usage(cli, cmd, "--rpc needs a URL");
	cli->json = a.set[OPT_JSON];
	cli->key_hex = a.val[OPT_KEY];
	cli->key_env = a.val[OPT_KEY_ENV];
	cli->keystore = a.val[OPT_KEYSTORE];
	cli->passphrase = a.val[OPT_PASSPHRASE];
	rc = cli_check_key_opts(cli, cmd);
	if (rc)
		return rc;
	return cmd->run(cli, &a);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

int cli_load_key(struct cl_cli *cli, const struct cli_cmd *cmd)
{
	struct cl_passphrase *pass;
	const char *hex;
	int rc;

	if (cli->key)
		return CL_CLI_EXIT_OK;
	if (cli->key_hex) {
		fprintf(cli->err,
			PROG ": warning: --key exposes the secret key to "
			     "other users and to shell history; prefer "
			     "--key-env or --keystore\n");
		if (!cl_seckey_new_from_hex(&cli->key, cli->key_hex,
					    strlen(cli->key_hex)))
			return cli_usage(cli, cmd,
					 "--key: not a valid secret key "
					 "(64 hex digits)");
		return CL_CLI_EXIT_OK;
	}
	if (cli->key_env) {
		hex = getenv(cli->key_env);
		if (!hex || !*hex)
			return cli_usage(cli, cmd,
					 "--key-env: variable %s is not set",
					 cli->key_env);
		if (!cl_seckey_new_from_hex(&cli->key, hex, strlen(hex)))
			return cli_usage(cli, cmd,
					 "--key-env: variable %s does not hold "
					 "a valid secret key (64 hex digits)",
					 cli->key_env);
		return CL_CLI_EXIT_OK;
	}
	if (!cli->keystore)
		return cli_usage(cli, cmd,
				 "no key selected: use --key-env NAME or "
				 "--keystore FILE --passphrase SPEC");
	rc = cl_passphrase_load(&pass, cli->passphrase);
	if (rc) {
		cli_errorf(cli, "cannot load the passphrase from %s: %s",
			   cli->passphrase, cl_err_str(rc));
		return rc == CL_ERR_CONFIG ? CL_CLI_EXIT_USAGE
					   : CL_CLI_EXIT_FAILED;
	}
	rc = cl_keystore_unlock(&cli->key, cli->keystore, pass);
	cl_passphrase_free(pass);
	if (rc) {
		cli_errorf(cli, "cannot unlock %s: %s", cli->keystore,
			   cl_keystore_err_str(rc));
		return CL_CLI_EXIT_FAILED;
	}
	return CL_CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Shared steps                                                        */
/* ------------------------------------------------------------------ */

int cli_get_config(struct cl_cli *cli)
{
	char err[256];
	json_t *r;
	int rc;

	if (cli->have_config)
		return CL_CLI_EXIT_OK;
	rc = cl_cli_call(cli, &r, "l2_getConfig", NULL);
	if (rc)
		return rc;
	if (!cl_cli_config_parse(&cli->config, err, sizeof(err), r)) {
		cli_errorf(cli, "l2_getConfig: unusable answer: %s", err);
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	json_decref(r);
	cli->have_config = true;
	return CL_CLI_EXIT_OK;
}

const struct cl_cli_market *cli_market(struct cl_cli *cli,
				       const struct cli_cmd *cmd, int *rc,
				       const char *name)
{
	const struct cl_cli_market *m;
	char list[256] = "";
	size_t n = 0;

	m = cl_cli_market_find(&cli->config, name);
	if (m) {
		*rc = CL_CLI_EXIT_OK;
		return m;
	}
	for (size_t i = 0; i < cli->config.n_markets && n < sizeof(list); i++) {
		int k = snprintf(list + n, sizeof(list) - n, "%s%s",
				 i ? ", " : "", cli->config.markets[i].symbol);
		if (k > 0)
			n += (size_t)k;
	}
	*rc = cli_usage(cli, cmd, "unknown market '%s' (the node has: %s)",
			name, n ? list : "none");
	return NULL;
}

bool cli_parse_expiry(uint64_t *out, struct cl_cli *cli, const char *text)
{
	uint64_t v;

	*out = 0;
	if (text[0] == '@')
		return cl_parse_u64(out, text + 1, strlen(text + 1)) &&
		       *out != 0;
	if (!cl_parse_u64(&v, text, strlen(text)) || v == 0)
		return false;
	if (!cl_add_u64(out, cli->now_ms() / 1000, v)) {
		*out = 0;
		return false;
	}
	return true;
}

bool cli_parse_address(struct cl_address *out, const char *text)
{
	return cl_address_parse(out, text, strlen(text));
}

bool cli_parse_hash(struct cl_hash32 *out, const char *text)
{
	return cl_hex_decode(out->b, 32, text, strlen(text), CL_HEX_0X);
}

void cli_fmt_time(char out[32], uint64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (secs > (uint64_t)253402300799ULL || !gmtime_r(&t, &tm) ||
	    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "unix %llu", (unsigned long long)secs);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

void cl_cli_init(struct cl_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->rpc_url = CL_CLI_DEFAULT_RPC;
	cli->out = stdout;
	cli->err = stderr;
	cli->in = stdin;
	cli->post = cl_cli_curl_post;
	cli->post_arg = cli;
	cli->connect_timeout_ms = 5000;
	cli->timeout_ms = 30000;
	cli->max_response = 16u << 20;
	cli->kdf.opslimit = CL_KDF_OPSLIMIT_MODERATE;
	cli->kdf.memlimit = CL_KDF_MEMLIMIT_MODERATE;
	cli->now_ms = cl_clock_now_ms;
}

void cl_cli_release(struct cl_cli *cli)
{
	cl_seckey_free(cli->key);
	cli->key = NULL;
	cl_cli_config_release(&cli->config);
	cli->have_config = false;
}
