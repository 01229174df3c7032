/* SPDX-License-Identifier: MIT */
/*
 * Internal to the demo-traffic commands: what cmd_bot.c (the command
 * line, the maker and taker bots) and cmd_oracle.c (oracle-feed) share.
 */
#ifndef CLEARLINE_CLI_BOT_INT_H
#define CLEARLINE_CLI_BOT_INT_H

#include <clearline/cli.h>

#include "cli_int.h"

#define MAX_ORACLE_KEYS 16
#define MAX_LEVELS 10
#define MAX_BOT_MARKETS 64
/* Maker quotes live this long and are replaced this close to expiry. */
#define QUOTE_LIFETIME_S 600
#define QUOTE_REFRESH_S 60
/* A taker's limit price is this far (basis points) through the mark. */
#define TAKER_SLIPPAGE_BPS 100

enum bot_kind { BOT_ORACLE, BOT_MAKER, BOT_TAKER };

#define K_ORACLE (1u << BOT_ORACLE)
#define K_MAKER (1u << BOT_MAKER)
#define K_TAKER (1u << BOT_TAKER)
#define K_ALL (K_ORACLE | K_MAKER | K_TAKER)
#define K_BOTS (K_MAKER | K_TAKER)

enum bot_opt {
	BO_RPC,
	BO_JSON,
	BO_KEY,
	BO_KEY_ENV,
	BO_KEYSTORE,
	BO_PASSPHRASE,
	BO_HELP,
	BO_ORACLE_KEY_ENV,
	BO_INTERVAL_MS,
	BO_SEED,
	BO_TICKS,
	BO_START,
	BO_VOLATILITY_BPS,
	BO_MARKETS,
	BO_LEVELS,
	BO_SPREAD_BPS,
	BO_NOTIONAL,
	BO_IV_PCT,
	BO_HEDGE,
	BO_SURFACE_INTERVAL_S,
	BO_COUNT
};

struct bot_args {
	const struct cli_cmd *cmd;
	enum bot_kind kind;
	const char *val[BO_COUNT];
	bool set[BO_COUNT];
	uint64_t interval_ms, seed, ticks, volatility_bps, levels, spread_bps,
		notional, iv_pct, surface_interval_s;
};

/* The state of a run. */
struct bot {
	struct cl_cli *cli;
	struct bot_args *a;
	uint64_t rng;
	bool selected[MAX_BOT_MARKETS]; /* by index in cli->config */
	uint64_t mark[MAX_BOT_MARKETS]; /* 0: none yet */
	uint64_t ref[MAX_BOT_MARKETS];	/* maker: the mark its grid and sizes
					 * come from */
	bool said_waiting;
};

/* A step of a random walk: uniform in [-r, r] (cmd_bot.c). */
int64_t bot_rand_step(uint64_t *s, int64_t r);
/* a * b / c, floor, saturating (cmd_bot.c). */
uint64_t bot_mul_div(uint64_t a, uint64_t b, uint64_t c);
/* One line on the output, or as JSON with --json (cmd_bot.c). */
void bot_out_line(struct cl_cli *cli, const char *fmt, ...) CL_PRINTF(2, 3);
/* The node's config and the markets to run on (cmd_bot.c). */
int bot_config(struct bot *b, json_t **raw);
int bot_select_markets(struct bot *b);
/* Call step(b, tick) every interval until killed or --ticks. */
int bot_run_ticks(struct bot *b, int (*step)(struct bot *b, uint64_t tick));

/* 10^n, saturating (cmd_bot.c). */
uint64_t bot_pow10(unsigned n);
/* l2_getAccount of the key's own address (cmd_bot.c). */
int bot_read_account(struct bot *b, json_t **acct, int64_t *collateral);
/* Sign and submit an order; *result is the node's answer (cmd_bot.c). */
int bot_place_order(struct bot *b, json_t **result,
		    const struct cl_cli_market *m, bool is_buy, uint64_t price,
		    uint64_t size, uint8_t flags, uint64_t lifetime_s);
/* `notional` dollars of m at `price` in size units on its step grid
 * (cmd_bot.c). */
uint64_t bot_size_for(const struct bot *b, const struct cl_cli_market *m,
		      uint64_t notional, uint64_t price);
/* bot taker --hedge: one round of delta hedges (cmd_hedge.c). */
int bot_hedge_tick(struct bot *b);

/* oracle-feed (cmd_oracle.c). */
int run_oracle(struct bot *b);

#endif /* CLEARLINE_CLI_BOT_INT_H */
