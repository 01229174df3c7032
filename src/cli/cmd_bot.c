/* SPDX-License-Identifier: MIT */
/*
 * Demo traffic for a devnet, as long-running commands:
 *
 *   oracle-feed  signs an OraclePrice update for every market on every
 *                tick with a quorum of oracle keys and submits it; the
 *                prices follow a seeded, bounded random walk around a
 *                realistic start price.
 *   bot maker    keeps a few post-only quotes on both sides of the mark
 *                of every market, replacing those that moved off the grid,
 *                got filled or are about to expire.
 *   bot taker    now and then sends a crossing immediate-or-cancel order
 *                on a market picked at random.
 *
 * All three run until killed, or for --ticks N ticks. A failed request is
 * reported on stderr and retried on the next tick, so they ride out a
 * restart of the node. Every message is signed here, with the EIP-712
 * domain the node reports; nothing is signed by the node. This file has
 * the command line and the two bots; oracle-feed is in cmd_oracle.c.
 */
#include <clearline/cli.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli_int.h"
#include "cmd_bot.h"

#include "bot_int.h"

static const struct {
	const char *name;
	bool has_arg;
	unsigned kinds; /* the commands that take it */
} bot_opts[BO_COUNT] = {
	[BO_RPC] = {"rpc", true, K_ALL},
	[BO_JSON] = {"json", false, K_ALL},
	[BO_KEY] = {"key", true, K_BOTS},
	[BO_KEY_ENV] = {"key-env", true, K_BOTS},
	[BO_KEYSTORE] = {"keystore", true, K_BOTS},
	[BO_PASSPHRASE] = {"passphrase", true, K_BOTS},
	[BO_HELP] = {"help", false, K_ALL},
	[BO_ORACLE_KEY_ENV] = {"oracle-key-env", true, K_ORACLE},
	[BO_INTERVAL_MS] = {"interval-ms", true, K_ALL},
	[BO_SEED] = {"seed", true, K_ALL},
	[BO_TICKS] = {"ticks", true, K_ALL},
	[BO_START] = {"start", true, K_ORACLE},
	[BO_VOLATILITY_BPS] = {"volatility-bps", true, K_ORACLE},
	[BO_MARKETS] = {"markets", true, K_ALL},
	[BO_LEVELS] = {"levels", true, K_MAKER},
	[BO_SPREAD_BPS] = {"spread-bps", true, K_MAKER},
	[BO_NOTIONAL] = {"notional", true, K_BOTS},
	[BO_IV_PCT] = {"iv-pct", true, K_ORACLE},
	[BO_HEDGE] = {"hedge", false, K_TAKER},
	[BO_SURFACE_INTERVAL_S] = {"surface-interval-s", true, K_ORACLE},
};

/* Options of the other commands that take a value: skipped when looking
 * for the command word, so `--rpc URL bot` and `--depth 5 bot` agree with
 * the main parser. */
static const char *const other_valued[] = {"expiry", "nonce", "agent-for",
					   "to", "depth"};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* splitmix64: a small, seedable generator (demo prices, not secrets). */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint64_t rand_below(uint64_t *s, uint64_t n)
{
	return n ? next_rand(s) % n : 0;
}

/* Roughly normal with standard deviation about r/2 (a sum of three
 * uniforms in [-r, r]). */
int64_t bot_rand_step(uint64_t *s, int64_t r)
{
	int64_t sum = 0;

	if (r <= 0)
		return 0;
	for (int i = 0; i < 3; i++)
		sum += (int64_t)rand_below(s, (uint64_t)(2 * r + 1)) - r;
	return sum / 2;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* a * b / c without overflow for the magnitudes used here; 0 if c is 0
 * or the result does not fit. */
uint64_t bot_mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 r;

	if (c == 0)
		return 0;
	r = (unsigned __int128)a * b / c;
	return r > UINT64_MAX ? 0 : (uint64_t)r;
}

uint64_t bot_pow10(unsigned n)
{
	uint64_t v = 1;

	while (n-- && v <= UINT64_MAX / 10)
		v *= 10;
	return v;
}

void bot_out_line(struct cl_cli *cli, const char *fmt, ...) CL_PRINTF(2, 3);
void bot_out_line(struct cl_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cli->out, fmt, ap);
	va_end(ap);
	fputc('\n', cli->out);
	fflush(cli->out);
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < cli_ncmds; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

static int find_bot_opt(const char *name, size_t len)
{
	for (int i = 0; i < BO_COUNT; i++)
		if (strlen(bot_opts[i].name) == len &&
		    memcmp(bot_opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static bool takes_value(const char *name, size_t len)
{
	int o = find_bot_opt(name, len);

	if (o >= 0)
		return bot_opts[o].has_arg;
	for (size_t i = 0; i < CL_ARRAY_LEN(other_valued); i++)
		if (strlen(other_valued[i]) == len &&
		    memcmp(other_valued[i], name, len) == 0)
			return true;
	return false;
}

static bool is_negative_number(const char *s)
{
	return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.');
}

/* ------------------------------------------------------------------ */
/* The command line                                                    */
/* ------------------------------------------------------------------ */

bool cli_bot_claims(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--") == 0) {
			s = i + 1 < argc ? argv[i + 1] : "";
		} else if (s[0] == '-' && s[1] != '\0' &&
			   !is_negative_number(s)) {
			if (s[1] == '-' && !strchr(s, '=') &&
			    takes_value(s + 2, strlen(s + 2)))
				i++;
			continue;
		}
		return strcmp(s, "oracle-feed") == 0 || strcmp(s, "bot") == 0;
	}
	return false;
}

static void print_bot_help(struct cl_cli *cli, enum bot_kind kind)
{
	FILE *f = cli->out;

	if (kind == BOT_ORACLE) {
		fprintf(f,
			"usage: clearline-cli oracle-feed --oracle-key-env "
			"NAME[,NAME...] [options]\n\n"
			"Signs an OraclePrice update for every market on every "
			"tick with the\n"
			"given oracle keys (at least the oracle quorum) and "
			"submits it with\n"
			"l2_submitOracleUpdate. Prices follow a seeded, bounded "
			"random walk\n"
			"(within 10%% of the start price).\n\n"
			"  --oracle-key-env N,N  variables holding the oracle "
			"secret keys\n"
			"  --interval-ms N       tick length (default 1000)\n"
			"  --seed N              seed of the walk (default 1)\n"
			"  --start SYM=P,...     start prices (defaults: BTC "
			"65000, ETH 3200,\n"
			"                        SOL 150, others 100)\n"
			"  --volatility-bps N    typical move per tick "
			"(default 4)\n"
			"  --markets SYM,...     only these markets (default "
			"all)\n"
			"  --iv-pct N            at-the-money implied volatility "
			"of the SVI\n"
			"                        slices posted for option "
			"expiries (default 60)\n"
			"  --surface-interval-s N  seconds between two slices "
			"of one expiry\n"
			"                        (default 5)\n"
			"  --ticks N             stop after N ticks (default: "
			"run until killed)\n");
		return;
	}
	fprintf(f,
		"usage: clearline-cli bot maker|taker --key-env NAME "
		"[options]\n\n"
		"maker: keeps post-only quotes at --levels prices on each side "
		"of the mark\n"
		"       of every market, on a grid --spread-bps apart; level k "
		"holds k times\n"
		"       --notional dollars; quotes off the grid, filled or "
		"close to expiry\n"
		"       are cancelled and replaced.\n"
		"taker: on every tick sends an immediate-or-cancel order of "
		"--notional\n"
		"       dollars, 1%% through the mark, on a random market and "
		"side (leaning\n"
		"       towards reducing its position).\n\n"
		"The account needs collateral first (an L1 deposit); until "
		"then the bot waits.\n\n"
		"  --interval-ms N       tick length (default maker 2000, "
		"taker 3000)\n"
		"  --seed N              seed of the choices (default 1)\n"
		"  --markets SYM,...     only these markets (default all)\n"
		"  --levels N            maker: quotes per side (default 3, "
		"at most 10)\n"
		"  --spread-bps N        maker: grid step (default 5)\n"
		"  --notional USD        dollars per order (default maker "
		"5000, taker 2000)\n"
		"  --hedge               taker: after each trade, bring the "
		"delta of every\n"
		"                        underlying it holds options on "
		"back towards 0\n"
		"                        with an order on the perpetual\n"
		"  --ticks N             stop after N ticks (default: run "
		"until killed)\n");
}

static int parse_number(struct cl_cli *cli, struct bot_args *a, int o,
			uint64_t *out, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *v = a->val[o];

	*out = def;
	if (!a->set[o])
		return CL_CLI_EXIT_OK;
	if (!cl_parse_u64(out, v, strlen(v)) || *out < lo || *out > hi)
		return cli_usage(cli, a->cmd,
				 "--%s: expected a whole number in [%" PRIu64
				 ", %" PRIu64 "], not '%s'",
				 bot_opts[o].name, lo, hi, v);
	return CL_CLI_EXIT_OK;
}

static int parse_bot_argv(struct cl_cli *cli, struct bot_args *a, int argc,
			  char **argv)
{
	const char *words[4];
	size_t nwords = 0;
	bool only_pos = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (only_pos || s[0] != '-' || s[1] == '\0' ||
		    is_negative_number(s)) {
			if (nwords == CL_ARRAY_LEN(words))
				return cli_usage(cli, NULL,
						 "too many arguments");
			words[nwords++] = s;
			continue;
		}
		if (strcmp(s, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (strcmp(s, "-h") == 0) {
			a->set[BO_HELP] = true;
			continue;
		}
		if (s[1] != '-')
			return cli_usage(cli, NULL, "unknown option %s", s);

		const char *name = s + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		int o = find_bot_opt(name, nlen);

		if (o < 0)
			return cli_usage(cli, NULL, "unknown option --%.*s",
					 (int)nlen, name);
		if (a->set[o])
			return cli_usage(cli, NULL, "--%s given twice",
					 bot_opts[o].name);
		a->set[o] = true;
		if (!bot_opts[o].has_arg) {
			if (eq)
				return cli_usage(cli, NULL,
						 "--%s takes no value",
						 bot_opts[o].name);
			continue;
		}
		if (eq) {
			a->val[o] = eq + 1;
		} else {
			if (i + 1 >= argc)
				return cli_usage(cli, NULL,
						 "--%s needs a value",
						 bot_opts[o].name);
			a->val[o] = argv[++i];
		}
	}

	/* words[0] is the command (cli_bot_claims() said so) */
	if (nwords == 0)
		return cli_usage(cli, NULL, "no command given");
	if (strcmp(words[0], "oracle-feed") == 0) {
		a->cmd = find_cmd("oracle-feed");
		a->kind = BOT_ORACLE;
		if (a->set[BO_HELP]) {
			print_bot_help(cli, BOT_ORACLE);
			return -1;
		}
		if (nwords > 1)
			return cli_usage(cli, a->cmd,
					 "unexpected argument '%s'", words[1]);
	} else {
		a->cmd = find_cmd("bot");
		if (nwords < 2 && a->set[BO_HELP]) {
			print_bot_help(cli, BOT_MAKER);
			return -1;
		}
		if (nwords < 2)
			return cli_usage(cli, a->cmd,
					 "expected maker or taker");
		if (strcmp(words[1], "maker") == 0)
			a->kind = BOT_MAKER;
		else if (strcmp(words[1], "taker") == 0)
			a->kind = BOT_TAKER;
		else
			return cli_usage(cli, a->cmd,
					 "expected maker or taker, not '%s'",
					 words[1]);
		if (a->set[BO_HELP]) {
			print_bot_help(cli, a->kind);
			return -1;
		}
		if (nwords > 2)
			return cli_usage(cli, a->cmd,
					 "unexpected argument '%s'", words[2]);
	}
	for (int o = 0; o < BO_COUNT; o++)
		if (a->set[o] && !(bot_opts[o].kinds & (1u << a->kind)))
			return cli_usage(cli, a->cmd,
					 "option --%s does not apply here",
					 bot_opts[o].name);

	rc = parse_number(cli, a, BO_INTERVAL_MS, &a->interval_ms,
			  a->kind == BOT_ORACLE  ? 1000
			  : a->kind == BOT_MAKER ? 2000
						 : 3000,
			  10, 3600000);
	if (!rc)
		rc = parse_number(cli, a, BO_SEED, &a->seed, 1, 0, UINT64_MAX);
	if (!rc)
		rc = parse_number(cli, a, BO_TICKS, &a->ticks, 0, 0,
				  UINT64_MAX);
	if (!rc)
		rc = parse_number(cli, a, BO_VOLATILITY_BPS,
				  &a->volatility_bps, 4, 0, 1000);
	if (!rc)
		rc = parse_number(cli, a, BO_IV_PCT, &a->iv_pct, 60, 1, 300);
	if (!rc)
		rc = parse_number(cli, a, BO_SURFACE_INTERVAL_S,
				  &a->surface_interval_s, 5, 1, 3600);
	if (!rc)
		rc = parse_number(cli, a, BO_LEVELS, &a->levels, 3, 1,
				  MAX_LEVELS);
	if (!rc)
		rc = parse_number(cli, a, BO_SPREAD_BPS, &a->spread_bps, 5, 1,
				  1000);
	if (!rc)
		rc = parse_number(cli, a, BO_NOTIONAL, &a->notional,
				  a->kind == BOT_MAKER ? 5000 : 2000, 1,
				  1000000000);
	if (rc)
		return rc;
	if (a->kind == BOT_ORACLE && !a->set[BO_ORACLE_KEY_ENV])
		return cli_usage(cli, a->cmd,
				 "--oracle-key-env NAME[,NAME...] is required");
	return CL_CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Node data                                                           */
/* ------------------------------------------------------------------ */

/* l2_getConfig, kept in cli->config; the raw answer in *raw when asked
 * for. With ticks == 0 (run forever) a node that does not answer yet is
 * asked again every interval. */
int bot_config(struct bot *b, json_t **raw)
{
	struct cl_cli *cli = b->cli;
	char err[256];
	json_t *r;
	int rc;

	for (;;) {
		rc = cl_cli_call(cli, &r, "l2_getConfig", NULL);
		if (rc == CL_CLI_EXIT_OK)
			break;
		if (b->a->ticks != 0)
			return rc;
		sleep_ms(b->a->interval_ms);
	}
	if (!cl_cli_config_parse(&cli->config, err, sizeof(err), r)) {
		cli_errorf(cli, "l2_getConfig: unusable answer: %s", err);
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	cli->have_config = true;
	if (cli->config.n_markets > MAX_BOT_MARKETS) {
		cli_errorf(cli, "the node has more than %d markets",
			   MAX_BOT_MARKETS);
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	if (raw)
		*raw = r;
	else
		json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* --markets, or every market. */
int bot_select_markets(struct bot *b)
{
	const char *list = b->a->val[BO_MARKETS];
	const struct cl_cli_config *cfg = &b->cli->config;
	char name[CL_CLI_SYMBOL_MAX + 1];
	int rc;

	for (size_t i = 0; i < cfg->n_markets; i++)
		b->selected[i] = list == NULL;
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const struct cl_cli_market *m;

		if (len == 0 || len > CL_CLI_SYMBOL_MAX)
			return cli_usage(b->cli, b->a->cmd,
					 "--markets: expected SYMBOL[,SYMBOL...]");
		memcpy(name, list, len);
		name[len] = '\0';
		m = cli_market(b->cli, b->a->cmd, &rc, name);
		if (!m)
			return rc;
		b->selected[m - cfg->markets] = true;
		list = end ? end + 1 : list + len;
	}
	return CL_CLI_EXIT_OK;
}

/* Mark prices from l2_getMarkets into b->mark (0 where there is none). */
static int read_marks(struct bot *b)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	const json_t *e;
	json_t *r, *list;
	size_t i;
	int rc = cl_cli_call(b->cli, &r, "l2_getMarkets", NULL);

	if (rc)
		return rc;
	memset(b->mark, 0, sizeof(b->mark));
	list = json_is_array(r) ? r : json_object_get(r, "markets");
	json_array_foreach(list, i, e) {
		const json_t *id = json_object_get(e, "id");
		uint64_t mid, mark;
		const struct cl_cli_market *m;

		if (!id)
			id = json_object_get(e, "market");
		if (!cl_json_uint(&mid, id, UINT32_MAX) ||
		    !cli_json_u64(&mark, json_object_get(e, "markPrice")))
			continue;
		m = cl_cli_market_by_id(cfg, (uint32_t)mid);
		if (m)
			b->mark[m - cfg->markets] = mark;
	}
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* l2_getAccount of the key's own address. */
int bot_read_account(struct bot *b, json_t **acct, int64_t *collateral)
{
	char addr[CL_ADDRESS_STR_LEN + 1];
	struct cl_address me;
	json_t *p = json_array();
	int rc;

	cl_seckey_address(&me, b->cli->key);
	cl_address_format(addr, &me);
	json_array_append_new(p, json_string(addr));
	rc = cl_cli_call(b->cli, acct, "l2_getAccount", p);
	if (rc)
		return rc;
	if (!cli_json_i64(collateral, json_object_get(*acct, "collateral")))
		*collateral = 0;
	return CL_CLI_EXIT_OK;
}

/* Run `step` every interval, `ticks` times or forever. Returns the exit
 * code of the last tick when the count is bounded. */
int bot_run_ticks(struct bot *b, int (*step)(struct bot *b, uint64_t tick))
{
	uint64_t start = cl_clock_mono_ns(), interval = b->a->interval_ms;
	int rc = CL_CLI_EXIT_OK;

	for (uint64_t t = 0; b->a->ticks == 0 || t < b->a->ticks; t++) {
		rc = step(b, t);
		if (b->a->ticks != 0 && t + 1 == b->a->ticks)
			break;

		uint64_t elapsed = (cl_clock_mono_ns() - start) / 1000000;
		uint64_t next = (t + 1) * interval;

		if (elapsed < next)
			sleep_ms(next - elapsed);
		else if (b->a->ticks == 0)
			t = elapsed / interval; /* fell behind: skip ticks
						 * (a bounded run does them
						 * all, late) */
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Orders                                                              */
/* ------------------------------------------------------------------ */

/* Sign and submit an order; *result is the node's answer (or NULL). */
int bot_place_order(struct bot *b, json_t **result,
		       const struct cl_cli_market *m, bool is_buy,
		       uint64_t price, uint64_t size, uint8_t flags,
		       uint64_t lifetime_s)
{
	struct cl_order o;
	struct cl_hash32 h;
	struct cl_sig sig;
	json_t *p;

	memset(&o, 0, sizeof(o));
	cl_seckey_address(&o.trader, b->cli->key);
	o.market = m->id;
	o.is_buy = is_buy;
	o.price = price;
	o.size = size;
	o.nonce = cli_order_nonce(b->cli);
	o.expiry = b->cli->now_ms() / 1000 + lifetime_s;
	o.flags = flags;
	cl_order_digest(&h, &b->cli->config.domain, &o);
	if (cl_sign_digest(&sig, b->cli->key, &h) != CL_OK) {
		cli_errorf(b->cli, "signing failed");
		*result = NULL;
		return CL_CLI_EXIT_FAILED;
	}
	p = json_array();
	json_array_append_new(p, cl_cli_order_json(&o));
	json_array_append_new(p, cl_json_from_bytes(sig.b, CL_SIG_LEN));
	return cl_cli_call(b->cli, result, "l2_submitOrder", p);
}

static int cancel_order(struct bot *b, const char *hash_text)
{
	struct cl_cancel c;
	struct cl_hash32 digest;
	struct cl_sig sig;
	json_t *p, *r;
	int rc;

	memset(&c, 0, sizeof(c));
	if (!cli_parse_hash(&c.order_hash, hash_text))
		return CL_CLI_EXIT_FAILED;
	cl_seckey_address(&c.trader, b->cli->key);
	cl_cancel_digest(&digest, &b->cli->config.domain, &c);
	if (cl_sign_digest(&sig, b->cli->key, &digest) != CL_OK)
		return CL_CLI_EXIT_FAILED;
	p = json_array();
	json_array_append_new(p, cl_cli_cancel_json(&c));
	json_array_append_new(p, cl_json_from_bytes(sig.b, CL_SIG_LEN));
	rc = cl_cli_call(b->cli, &r, "l2_cancelOrder", p);
	if (rc == CL_CLI_EXIT_OK)
		json_decref(r);
	return rc;
}

/* `notional` dollars of market m at `price`, in size units on the step
 * grid: at least one step, at most the market's maximum. */
uint64_t bot_size_for(const struct bot *b, const struct cl_cli_market *m,
			 uint64_t notional, uint64_t price)
{
	uint64_t scale = bot_pow10(m->price_decimals + m->size_decimals);
	uint64_t s = bot_mul_div(notional, scale, price);

	s -= s % m->step_size;
	if (s < m->step_size)
		s = m->step_size;
	if (m->max_order_size && s > m->max_order_size)
		s = m->max_order_size - m->max_order_size % m->step_size;
	(void)b;
	return s;
}

/* Whether market m takes orders for a while yet: a perpetual always, an
 * option until a minute before its expiry. */
static bool live(const struct cl_cli_market *m, uint64_t now)
{
	return !m->is_option || m->expiry > now + 60;
}

/* Wait for collateral: true (after saying so once) while there is none. */
static bool no_collateral(struct bot *b, int64_t collateral)
{
	if (collateral > 0) {
		b->said_waiting = false;
		return false;
	}
	if (!b->said_waiting)
		bot_out_line(b->cli, "%s: the account has no collateral yet; "
				 "waiting for a deposit from L1",
			 b->a->kind == BOT_MAKER ? "maker" : "taker");
	b->said_waiting = true;
	return true;
}

/* ------------------------------------------------------------------ */
/* bot maker                                                           */
/* ------------------------------------------------------------------ */

struct quote {
	bool is_buy;
	uint64_t price, size;
	bool present;
};

/* The quotes wanted around `mark`. The grid step g (spread_bps of the
 * reference price, at least one tick) and the base size come from a
 * reference price that stays put while the mark wanders less than 20 %
 * from it, so a quote stays where it is until the mark crosses a grid
 * line. The best bid is strictly below the mark and the best ask strictly
 * above; level k (from 1) holds k times the base size. */
static size_t wanted_quotes(struct bot *b, size_t i,
			    const struct cl_cli_market *m, struct quote *q)
{
	uint64_t mark = b->mark[i], ref = b->ref[i];
	uint64_t g, bid0, ask0, base;
	size_t n = 0;

	if (ref == 0 || mark < ref - ref / 5 || mark > ref + ref / 4)
		ref = b->ref[i] = mark;
	g = bot_mul_div(ref, b->a->spread_bps, 10000);
	g -= g % m->tick_size;
	if (g < m->tick_size)
		g = m->tick_size;
	/* an option's size is counted in units of its underlying, at the
	 * strike: the premium is a small part of the exposure */
	base = bot_size_for(b, m, b->a->notional, m->is_option ? m->strike : ref);
	bid0 = (mark - 1) / g * g;
	ask0 = (mark / g + 1) * g;
	for (uint64_t k = 0; k < b->a->levels; k++) {
		uint64_t bid = bid0 >= k * g ? bid0 - k * g : 0;
		uint64_t ask = ask0 + k * g;
		uint64_t sz = base * (k + 1);

		if (m->max_order_size && sz > m->max_order_size)
			sz = base;
		if (bid > 0)
			q[n++] = (struct quote){true, bid, sz, false};
		q[n++] = (struct quote){false, ask, sz, false};
	}
	return n;
}

static int maker_tick(struct bot *b, uint64_t tick)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	uint64_t now = b->cli->now_ms() / 1000;
	const json_t *orders, *o;
	json_t *acct;
	int64_t collateral;
	size_t k;
	int rc;

	(void)tick;
	rc = bot_read_account(b, &acct, &collateral);
	if (rc)
		return rc;
	if (no_collateral(b, collateral)) {
		json_decref(acct);
		return CL_CLI_EXIT_OK;
	}
	rc = read_marks(b);
	if (rc) {
		json_decref(acct);
		return rc;
	}
	orders = json_object_get(acct, "openOrders");
	for (size_t i = 0; i < cfg->n_markets; i++) {
		const struct cl_cli_market *m = &cfg->markets[i];
		struct quote q[2 * MAX_LEVELS];
		size_t nq;
		int placed = 0, cancelled = 0;

		if (!b->selected[i] || b->mark[i] == 0 || !live(m, now))
			continue;
		nq = wanted_quotes(b, i, m, q);

		/* keep a quote at a wanted price that still holds at least
		 * half the wanted size and does not expire soon; cancel the
		 * rest */
		json_array_foreach(orders, k, o) {
			uint64_t mid, price, size, filled, expiry;
			const char *side = json_string_value(
				json_object_get(o, "side"));
			const char *hash = json_string_value(
				json_object_get(o, "orderHash"));
			bool keep = false;

			if (!cl_json_uint(&mid, json_object_get(o, "market"),
					  UINT32_MAX) ||
			    mid != m->id || !side || !hash)
				continue;
			if (cli_json_u64(&price, json_object_get(o, "price")) &&
			    cli_json_u64(&size, json_object_get(o, "size")) &&
			    cli_json_u64(&filled,
					 json_object_get(o, "filledSize")) &&
			    cli_json_u64(&expiry,
					 json_object_get(o, "expiry")) &&
			    expiry > now + QUOTE_REFRESH_S) {
				bool buy = strcmp(side, "buy") == 0;

				for (size_t j = 0; j < nq; j++) {
					if (q[j].present || q[j].is_buy != buy ||
					    q[j].price != price ||
					    filled > size ||
					    2 * (size - filled) < q[j].size)
						continue;
					q[j].present = keep = true;
					break;
				}
			}
			if (!keep && cancel_order(b, hash) == CL_CLI_EXIT_OK)
				cancelled++;
		}
		for (size_t j = 0; j < nq; j++) {
			json_t *r;

			if (q[j].present)
				continue;
			if (bot_place_order(b, &r, m, q[j].is_buy, q[j].price,
					q[j].size, CL_CLI_FLAG_POST_ONLY,
					QUOTE_LIFETIME_S) != CL_CLI_EXIT_OK)
				continue;
			json_decref(r);
			placed++;
		}
		if (placed || cancelled) {
			char mk[CL_DEC_STR_MAX], bid[CL_DEC_STR_MAX] = "-",
							ask[CL_DEC_STR_MAX] = "-";

			cl_dec_format_u64(mk, b->mark[i], m->price_decimals);
			for (size_t j = 0; j < nq; j++) {
				if (q[j].is_buy && strcmp(bid, "-") == 0)
					cl_dec_format_u64(bid, q[j].price,
							  m->price_decimals);
				if (!q[j].is_buy && strcmp(ask, "-") == 0)
					cl_dec_format_u64(ask, q[j].price,
							  m->price_decimals);
			}
			bot_out_line(b->cli,
				 "maker: %s mark %s  best bid %s  best ask %s  "
				 "placed %d  cancelled %d",
				 m->symbol, mk, bid, ask, placed, cancelled);
		}
	}
	json_decref(acct);
	return CL_CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* bot taker                                                           */
/* ------------------------------------------------------------------ */

/* The side of the position in market id, from l2_getAccount: +1 long,
 * -1 short, 0 none. */
static int position_side(const json_t *acct, uint32_t id)
{
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(acct, "positions"), i, p) {
		uint64_t mid;
		const char *side = json_string_value(json_object_get(p, "side"));

		if (cl_json_uint(&mid, json_object_get(p, "market"),
				 UINT32_MAX) &&
		    mid == id && side)
			return strcmp(side, "long") == 0 ? 1 : -1;
	}
	return 0;
}

static int taker_tick(struct bot *b, uint64_t tick)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	const struct cl_cli_market *m;
	size_t cand[MAX_BOT_MARKETS], ncand = 0, i;
	uint64_t mark, price, size;
	char px[CL_DEC_STR_MAX], sz[CL_DEC_STR_MAX], filled[CL_DEC_STR_MAX];
	json_t *acct, *r;
	int64_t collateral;
	bool buy;
	int rc;

	(void)tick;
	rc = bot_read_account(b, &acct, &collateral);
	if (rc)
		return rc;
	if (no_collateral(b, collateral)) {
		json_decref(acct);
		return CL_CLI_EXIT_OK;
	}
	rc = read_marks(b);
	for (i = 0; !rc && i < cfg->n_markets; i++)
		if (b->selected[i] && b->mark[i] > 0 &&
		    live(&cfg->markets[i], b->cli->now_ms() / 1000))
			cand[ncand++] = i;
	if (rc || ncand == 0) {
		json_decref(acct);
		return rc;
	}
	i = cand[rand_below(&b->rng, ncand)];
	m = &cfg->markets[i];
	mark = b->mark[i];

	/* lean towards reducing the position: 2 in 3 */
	int pos = position_side(acct, m->id);

	json_decref(acct);
	if (pos == 0)
		buy = rand_below(&b->rng, 2) == 0;
	else
		buy = (rand_below(&b->rng, 3) != 0) == (pos < 0);

	uint64_t slip = bot_mul_div(mark, TAKER_SLIPPAGE_BPS, 10000);

	if (buy) {
		price = mark + slip;
		price += (m->tick_size - price % m->tick_size) % m->tick_size;
	} else {
		price = mark > slip ? mark - slip : m->tick_size;
		price -= price % m->tick_size;
		if (price == 0)
			price = m->tick_size;
	}
	/* a random share of the notional, 25 % .. 100 % (an option's at
	 * its strike) */
	size = bot_size_for(b, m,
			b->a->notional * (1 + rand_below(&b->rng, 4)) / 4 + 1,
			m->is_option ? m->strike : mark);
	rc = bot_place_order(b, &r, m, buy, price, size, CL_CLI_FLAG_IOC, 60);
	if (rc)
		return rc;
	cl_dec_format_u64(px, price, m->price_decimals);
	cl_dec_format_u64(sz, size, m->size_decimals);
	cl_cli_fmt_units(filled, json_object_get(r, "filledSize"),
			 m->size_decimals);
	bot_out_line(b->cli, "taker: %s %s %s limit %s: filled %s in %zu fill(s)",
		 buy ? "buy" : "sell", sz, m->symbol, px, filled,
		 json_array_size(json_object_get(r, "fills")));
	json_decref(r);
	return b->a->set[BO_HEDGE] ? bot_hedge_tick(b) : CL_CLI_EXIT_OK;
}

static int run_bot(struct bot *b)
{
	char addr[CL_ADDRESS_STR_LEN + 1];
	struct cl_address me;
	int rc = cli_load_key(b->cli, b->a->cmd);

	if (!rc)
		rc = bot_config(b, NULL);
	if (!rc)
		rc = bot_select_markets(b);
	if (rc)
		return rc;
	cl_seckey_address(&me, b->cli->key);
	cl_address_format(addr, &me);
	bot_out_line(b->cli, "%s: %s, every %" PRIu64 " ms, seed %" PRIu64,
		 b->a->kind == BOT_MAKER ? "maker" : "taker", addr,
		 b->a->interval_ms, b->a->seed);
	return bot_run_ticks(b, b->a->kind == BOT_MAKER ? maker_tick : taker_tick);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

int cli_bot_main(struct cl_cli *cli, int argc, char **argv)
{
	struct bot_args a;
	struct bot b;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_bot_argv(cli, &a, argc, argv);
	if (rc < 0)
		return CL_CLI_EXIT_OK; /* help printed */
	if (rc)
		return rc;
	if (a.set[BO_RPC])
		cli->rpc_url = a.val[BO_RPC];
	else if (getenv("CLEARLINE_RPC") && *getenv("CLEARLINE_RPC"))
		cli->rpc_url = getenv("CLEARLINE_RPC");
	if (!*cli->rpc_url)
		return cli_usage(cli, a.cmd, "--rpc needs a URL");
	cli->json = a.set[BO_JSON];
	cli->key_hex = a.val[BO_KEY];
	cli->key_env = a.val[BO_KEY_ENV];
	cli->keystore = a.val[BO_KEYSTORE];
	cli->passphrase = a.val[BO_PASSPHRASE];
	rc = cli_check_key_opts(cli, a.cmd);
	if (rc)
		return rc;

	memset(&b, 0, sizeof(b));
	b.cli = cli;
	b.a = &a;
	b.rng = a.seed ^ 0x2545f4914f6cdd1dULL;
	return a.kind == BOT_ORACLE ? run_oracle(&b) : run_bot(&b);
}

int cli_cmd_oracle_feed(struct cl_cli *cli, const struct cli_args *a)
{
	return cli_usage(cli, a->cmd, "internal error: not dispatched");
}

int cli_cmd_bot(struct cl_cli *cli, const struct cli_args *a)
{
	return cli_usage(cli, a->cmd, "internal error: not dispatched");
}
