/* SPDX-License-Identifier: MIT */
/*
 * oracle-feed: signs an OraclePrice update for every perpetual market on
 * every tick with a quorum of oracle keys and submits it; the prices
 * follow a seeded, bounded random walk around a realistic start price.
 * For every expiry of the option markets on a perpetual it also signs,
 * with every key, one raw SVI slice (OracleSurface) every
 * --surface-interval-s seconds and submits it (l2_submitOracleSurface).
 */
#include <clearline/cli.h>
#include <clearline/stf.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bot_int.h"

/* ------------------------------------------------------------------ */
/* oracle-feed                                                         */
/* ------------------------------------------------------------------ */

struct walk {
	uint64_t start, price, last_ts, rng;
};

/* Most distinct option expiries per underlying the feed posts. */
#define MAX_FEED_EXPIRIES 16

struct oracle {
	struct cl_seckey *keys[MAX_ORACLE_KEYS];
	size_t nkeys;
	struct walk walk[MAX_BOT_MARKETS];
	uint64_t surface_ts[MAX_BOT_MARKETS]; /* last slice round per
					       * underlying */
};

static struct oracle *g_oracle; /* the running feed (one per process) */

static const char *default_start(const char *symbol)
{
	static const struct {
		const char *base, *price;
	} starts[] = {{"BTC", "65000"}, {"ETH", "3200"}, {"SOL", "150"}};

	for (size_t i = 0; i < CL_ARRAY_LEN(starts); i++) {
		size_t n = strlen(starts[i].base);

		if (strncasecmp(symbol, starts[i].base, n) == 0 &&
		    (symbol[n] == '\0' || symbol[n] == '-' ||
		     symbol[n] == '/' || symbol[n] == '_'))
			return starts[i].price;
	}
	return "100";
}

/* The start price of market m: --start SYM=PRICE,... or the default. */
static int start_price(struct bot *b, const struct cl_cli_market *m,
		       uint64_t *out)
{
	const char *list = b->a->val[BO_START], *text = default_start(m->symbol);
	char buf[96];

	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const char *eq = memchr(list, '=', len);

		if (!eq || len >= sizeof(buf))
			return cli_usage(b->cli, b->a->cmd,
					 "--start: expected SYMBOL=PRICE[,...]");
		memcpy(buf, list, len);
		buf[len] = '\0';
		buf[eq - list] = '\0';
		if (strcasecmp(buf, m->symbol) == 0) {
			static char chosen[96];

			memcpy(chosen, buf + (eq - list) + 1,
			       len - (size_t)(eq - list));
			text = chosen;
		}
		list = end ? end + 1 : list + len;
	}
	if (!cl_cli_parse_price(out, buf, sizeof(buf), m, text))
		return cli_usage(b->cli, b->a->cmd, "--start: %s", buf);
	return CL_CLI_EXIT_OK;
}

/* One step of the walk: a roughly normal move of about volatility_bps,
 * a pull back towards the start, reflected into start +/- 10 %, on the
 * tick grid. */
static uint64_t walk_step(struct walk *w, uint64_t vol_bps, uint64_t tick)
{
	int64_t start = (int64_t)w->start, p = (int64_t)w->price;
	int64_t lo = start - start / 10, hi = start + start / 10;
	int64_t r = (int64_t)bot_mul_div(w->start, 2 * vol_bps, 10000);

	p += bot_rand_step(&w->rng, r) - (p - start) / 64;
	if (p < lo)
		p = lo + (lo - p);
	if (p > hi)
		p = hi - (p - hi);
	if (p < lo)
		p = lo;
	p -= p % (int64_t)tick;
	if (p < (int64_t)tick)
		p = (int64_t)tick;
	w->price = (uint64_t)p;
	return w->price;
}

/*
 * One ORACLE_UPDATE: each oracle key signs its own OraclePrice, as
 * independent oracles would (l2_submitOracleUpdate). With an odd number
 * of keys the prices spread one tick apart around `price`, so the index
 * (their median) is `price` itself; with an even number they all sign
 * `price`.
 */
static int oracle_submit(struct bot *b, const struct cl_cli_market *m,
			 uint64_t price, uint64_t ts)
{
	size_t n = g_oracle->nkeys;
	json_t *entries = json_array(), *p, *r;
	int rc;

	for (size_t i = 0; i < n; i++) {
		int64_t off = n % 2 ? (int64_t)i - (int64_t)(n / 2) : 0;
		struct cl_oracle_price msg = {m->id, price, ts};
		struct cl_hash32 digest;
		struct cl_sig sig;

		if (off < 0 && price > (uint64_t)-off * m->tick_size)
			msg.price = price - (uint64_t)-off * m->tick_size;
		else if (off > 0)
			msg.price = price + (uint64_t)off * m->tick_size;
		cl_oracle_price_digest(&digest, &b->cli->config.domain, &msg);
		if (cl_sign_digest(&sig, g_oracle->keys[i], &digest) != CL_OK) {
			json_decref(entries);
			cli_errorf(b->cli, "signing failed");
			return CL_CLI_EXIT_FAILED;
		}
		json_array_append_new(
			entries,
			json_pack("{s:o,s:o,s:o}", "price",
				  cl_json_from_u64(msg.price), "timestamp",
				  cl_json_from_u64(ts), "signature",
				  cl_json_from_bytes(sig.b, CL_SIG_LEN)));
	}
	p = json_array();
	json_array_append_new(p, json_integer((json_int_t)m->id));
	json_array_append_new(p, entries);
	rc = cl_cli_call(b->cli, &r, "l2_submitOracleUpdate", p);
	if (rc == CL_CLI_EXIT_OK)
		json_decref(r);
	return rc;
}

/*
 * The slice posted for an expiry `tau` seconds away: raw SVI with
 * w(0) = sigma^2 T (sigma = --iv-pct at the money), a mild put skew and
 * the shape fixed in k, so the total variance scales with T:
 *
 *   s = 0.1, rho = -0.3, m = 0, b = sigma^2 T, a = 0.9 sigma^2 T
 *
 * Valid SVI while sigma^2 T <= 1.5 (b (1 + |rho|) <= 2; the minimum
 * a + b s sqrt(1 - rho^2) > 0), and a later expiry's slice lies above an
 * earlier one's everywhere, wings included (calendar check), because w
 * grows with T at every k. Integers in wad; false when T is too long.
 */
static bool feed_slice(struct cl_surface_entry *e, uint64_t iv_pct,
		       uint64_t tau)
{
	const unsigned __int128 wad = 1000000000000000000ULL;
	unsigned __int128 var = (unsigned __int128)iv_pct * iv_pct * wad /
				10000; /* sigma^2, wad */
	unsigned __int128 w = var * tau / 31536000U; /* sigma^2 T */

	if (w > 3 * wad / 2)
		return false;
	e->b = (int64_t)w;
	e->a = (int64_t)(w * 9 / 10);
	e->rho = -(int64_t)(wad * 3 / 10);
	e->m = 0;
	e->s = (int64_t)(wad / 10);
	return true;
}

/* One ORACLE_SURFACE for the options on perpetual m expiring at `expiry`:
 * every key signs the same slice. */
static int surface_submit(struct bot *b, const struct cl_cli_market *m,
			  uint64_t expiry, uint64_t ts)
{
	struct cl_tx_oracle_surface t;
	json_t *entries = json_array(), *p, *r;
	int rc;

	memset(&t, 0, sizeof(t));
	t.market = m->id;
	t.expiry = expiry;
	t.n = (uint32_t)g_oracle->nkeys;
	for (size_t i = 0; i < g_oracle->nkeys; i++) {
		struct cl_surface_entry *e = &t.e[i];
		struct cl_hash32 digest;

		if (!feed_slice(e, b->a->iv_pct, expiry - ts)) {
			json_decref(entries);
			cli_errorf(b->cli, "expiry %" PRIu64 " is too far for "
					   "--iv-pct %" PRIu64,
				   expiry, b->a->iv_pct);
			return CL_CLI_EXIT_FAILED;
		}
		e->timestamp = ts;
		cl_surface_entry_digest(&digest, &b->cli->config.domain, &t,
					(uint32_t)i);
		if (cl_sign_digest(&e->sig, g_oracle->keys[i], &digest) !=
		    CL_OK) {
			json_decref(entries);
			cli_errorf(b->cli, "signing failed");
			return CL_CLI_EXIT_FAILED;
		}
		json_array_append_new(
			entries,
			json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "a",
				  cl_json_from_i64(e->a), "b",
				  cl_json_from_i64(e->b), "rho",
				  cl_json_from_i64(e->rho), "m",
				  cl_json_from_i64(e->m), "s",
				  cl_json_from_i64(e->s), "timestamp",
				  cl_json_from_u64(ts), "signature",
				  cl_json_from_bytes(e->sig.b, CL_SIG_LEN)));
	}
	p = json_array();
	json_array_append_new(p, json_integer((json_int_t)m->id));
	json_array_append_new(p, cl_json_from_u64(expiry));
	json_array_append_new(p, entries);
	rc = cl_cli_call(b->cli, &r, "l2_submitOracleSurface", p);
	if (rc == CL_CLI_EXIT_OK)
		json_decref(r);
	return rc;
}

/* The slices of every live expiry of the options on perpetual index i,
 * nearest first (so each later one is checked against a fresh earlier
 * one), every --surface-interval-s. Returns how many were accepted. */
static int surfaces_tick(struct bot *b, size_t i, uint64_t ts, int *rc)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	const struct cl_cli_market *u = &cfg->markets[i];
	uint64_t exp[MAX_FEED_EXPIRIES];
	size_t n = 0;
	int sent = 0;

	if (ts < g_oracle->surface_ts[i] + b->a->surface_interval_s)
		return 0;
	for (size_t k = 0; k < cfg->n_markets; k++) {
		const struct cl_cli_market *o = &cfg->markets[k];
		size_t j;

		if (!o->is_option || o->underlying != u->id ||
		    o->expiry <= ts)
			continue;
		for (j = 0; j < n && exp[j] != o->expiry; j++)
			;
		if (j < n || n == MAX_FEED_EXPIRIES)
			continue;
		/* insertion into the sorted list */
		for (j = n++; j > 0 && exp[j - 1] > o->expiry; j--)
			exp[j] = exp[j - 1];
		exp[j] = o->expiry;
	}
	for (size_t j = 0; j < n; j++) {
		int r1 = surface_submit(b, u, exp[j], ts);

		if (r1)
			*rc = r1;
		else
			sent++;
	}
	if (n)
		g_oracle->surface_ts[i] = ts;
	return sent;
}

static int oracle_tick(struct bot *b, uint64_t tick)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	uint64_t ts = b->cli->now_ms() / 1000;
	char line[1024];
	size_t n = 0;
	int rc = CL_CLI_EXIT_OK, sent = 0;

	for (size_t i = 0; i < cfg->n_markets; i++) {
		const struct cl_cli_market *m = &cfg->markets[i];
		struct walk *w = &g_oracle->walk[i];
		char px[CL_DEC_STR_MAX];

		if (!b->selected[i] || m->is_option)
			continue;
		if (ts <= w->last_ts)
			continue; /* one update per second at most */
		uint64_t price = walk_step(w, b->a->volatility_bps,
					   m->tick_size);
		int r1 = oracle_submit(b, m, price, ts);

		if (r1) {
			rc = r1;
			continue;
		}
		w->last_ts = ts;
		sent++;
		cl_dec_format_u64(px, price, m->price_decimals);
		if (n < sizeof(line)) {
			int k = snprintf(line + n, sizeof(line) - n, "  %s %s",
					 m->symbol, px);
			if (k > 0)
				n += (size_t)k;
		}
		int ns = surfaces_tick(b, i, ts, &rc);

		if (ns && n < sizeof(line)) {
			int k = snprintf(line + n, sizeof(line) - n,
					 " (%d slice%s)", ns,
					 ns == 1 ? "" : "s");
			if (k > 0)
				n += (size_t)k;
		}
	}
	/* a line now and then, not every second */
	if (sent && (tick % 10 == 0 || b->a->ticks != 0))
		bot_out_line(b->cli, "oracle: t=%" PRIu64 "%s", ts, line);
	return rc;
}

static int load_oracle_keys(struct bot *b, struct oracle *o,
			    const json_t *raw_config)
{
	const char *list = b->a->val[BO_ORACLE_KEY_ENV];
	const json_t *oc = json_object_get(raw_config, "oracle");
	const json_t *signers = json_object_get(oc, "signers");
	uint64_t quorum = 1;
	char name[128];

	if (!cl_json_uint(&quorum, json_object_get(oc, "quorum"), 16))
		quorum = 1;
	while (*list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const char *hex;

		if (len == 0 || len >= sizeof(name))
			return cli_usage(b->cli, b->a->cmd,
					 "--oracle-key-env: expected "
					 "NAME[,NAME...]");
		if (o->nkeys == MAX_ORACLE_KEYS)
			return cli_usage(b->cli, b->a->cmd,
					 "--oracle-key-env: at most %d keys",
					 MAX_ORACLE_KEYS);
		memcpy(name, list, len);
		name[len] = '\0';
		hex = getenv(name);
		if (!hex || !*hex)
			return cli_usage(b->cli, b->a->cmd,
					 "--oracle-key-env: variable %s is not "
					 "set",
					 name);
		if (!cl_seckey_new_from_hex(&o->keys[o->nkeys], hex,
					    strlen(hex)))
			return cli_usage(b->cli, b->a->cmd,
					 "--oracle-key-env: variable %s does "
					 "not hold a valid secret key",
					 name);

		/* say so when the node does not list this signer */
		struct cl_address addr;
		bool known = !json_is_array(signers);
		size_t i;
		const json_t *s;

		cl_seckey_address(&addr, o->keys[o->nkeys]);
		json_array_foreach(signers, i, s) {
			struct cl_address sa;
			const char *t = json_string_value(s);

			if (t && cl_address_parse(&sa, t, strlen(t)) &&
			    cl_address_eq(&sa, &addr))
				known = true;
		}
		if (!known) {
			char a[CL_ADDRESS_STR_LEN + 1];

			cl_address_format(a, &addr);
			fprintf(b->cli->err,
				"clearline-cli: warning: %s (from %s) is not "
				"an oracle signer of this node\n",
				a, name);
		}
		o->nkeys++;
		list = end ? end + 1 : list + len;
	}
	if (o->nkeys < quorum)
		return cli_usage(b->cli, b->a->cmd,
				 "--oracle-key-env: %zu key(s) given, the "
				 "oracle quorum is %" PRIu64,
				 o->nkeys, quorum);
	return CL_CLI_EXIT_OK;
}

int run_oracle(struct bot *b)
{
	const struct cl_cli_config *cfg;
	struct oracle o;
	json_t *raw = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = bot_config(b, &raw);
	if (!rc)
		rc = bot_select_markets(b);
	if (!rc)
		rc = load_oracle_keys(b, &o, raw);
	json_decref(raw);
	cfg = &b->cli->config;
	for (size_t i = 0; !rc && i < cfg->n_markets; i++) {
		struct walk *w = &o.walk[i];

		rc = start_price(b, &cfg->markets[i], &w->start);
		w->price = w->start;
		w->rng = b->a->seed ^ (0x5851f42d4c957f2dULL *
				       (cfg->markets[i].id + 1ULL));
	}
	if (!rc) {
		bot_out_line(b->cli,
			 "oracle: %zu key(s), %zu market(s), every %" PRIu64
			 " ms, seed %" PRIu64,
			 o.nkeys, cfg->n_markets, b->a->interval_ms,
			 b->a->seed);
		g_oracle = &o;
		rc = bot_run_ticks(b, oracle_tick);
		g_oracle = NULL;
	}
	for (size_t i = 0; i < o.nkeys; i++)
		cl_seckey_free(o.keys[i]);
	return rc;
}
