/* SPDX-License-Identifier: MIT */
/*
 * `clearline-cli watch CHANNEL [ARG]`: one WebSocket stream of the node
 * (docs/api.md "WebSocket") on the terminal, one line per message: human
 * text by default, the message as the node sent it with --json.
 *
 * The connection is kept: when it drops, the command connects again
 * (0.5 s, doubling to 8 s) and subscribes with "since" = the last seq it
 * printed, so the node replays exactly what was missed ("resumed") or
 * sends a fresh snapshot flagged "historyLost" (said on stderr). Every
 * message's seq must be the previous plus one; a gap (never expected) is
 * said on stderr and, on a book, answered with a resync.
 *
 * Market names are resolved with l2_getConfig asked on the same socket,
 * so only the WebSocket address is needed (--ws, CLEARLINE_WS, or the
 * JSON-RPC URL's port + 1, the devnet's layout).
 */
#include <clearline/ws_client.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"

#define PROG "clearline-cli"

/* Bounds of the connection (docs/cli.md "watch"). */
#define WATCH_CONNECT_MS 10000u
#define WATCH_SEND_MS 10000u
#define WATCH_MAX_MSG ((size_t)64 << 20)
#define WATCH_IDLE_S 30u
#define WATCH_BACKOFF_MIN_MS 500u
#define WATCH_BACKOFF_MAX_MS 8000u
/* Changes of a book diff named on its line before "(+N more)". */
#define WATCH_DIFF_SHOWN 8

enum watch_kind {
	WATCH_BLOCKS,
	WATCH_BOOK,
	WATCH_TRADES,
	WATCH_ACCOUNT,
};

struct watch {
	struct cl_cli *cli;
	const struct cli_cmd *cmd;
	enum watch_kind kind;
	char stream[80];  /* the canonical name, as the node writes it */
	char label[64];	  /* the name on human lines: "book BTC-PERP" */
	const char *want; /* the market as typed, until resolved */
	const struct cl_cli_market *market;
	struct cl_address account;
	bool has_seq;
	uint64_t seq; /* the last one printed */
	uint64_t printed, max;
	bool reconnected;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The WebSocket URL: --ws, CLEARLINE_WS, or http://HOST:PORT/ of the
 * JSON-RPC URL with PORT + 1. */
static bool ws_url(struct cl_cli *cli, const struct cli_args *a, char *out,
		   size_t cap)
{
	const char *env = getenv("CLEARLINE_WS");
	if (a->set[OPT_WS]) {
		snprintf(out, cap, "%s", a->val[OPT_WS]);
		return true;
	}
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return true;
	}
	const char *u = cli->rpc_url;
	if (strncmp(u, "http://", 7) != 0)
		return false;
	u += 7;
	const char *colon = strrchr(u, ':'), *slash = strchr(u, '/');
	if (!colon || (slash && colon > slash) || strchr(colon, ']'))
		return false;
	const char *ps = colon + 1;
	size_t pl = slash ? (size_t)(slash - ps) : strlen(ps);
	uint64_t port;
	if (!cl_parse_u64(&port, ps, pl) || port == 0 || port >= 65535)
		return false;
	snprintf(out, cap, "ws://%.*s:%" PRIu64 "/", (int)(colon - u), u,
		 port + 1);
	return true;
}

/* ------------------------------------------------------------------ */
/* Human lines                                                         */
/* ------------------------------------------------------------------ */

static unsigned price_dec(const struct watch *w)
{
	return w->market ? w->market->price_decimals : 0;
}

static unsigned size_dec(const struct watch *w)
{
	return w->market ? w->market->size_decimals : 0;
}

static void head(struct watch *w, const json_t *m)
{
	char seq[32], blk[32];
	cli_fmt_text(seq, sizeof(seq), json_object_get(m, "seq"));
	cli_fmt_text(blk, sizeof(blk), json_object_get(m, "block"));
	fprintf(w->cli->out, "%s seq %s block %s:", w->label, seq, blk);
}

static void flags_note(struct watch *w, const json_t *m)
{
	if (json_is_true(json_object_get(m, "resync")))
		fputs(" (resync)", w->cli->out);
	if (json_is_true(json_object_get(m, "historyLost")))
		fputs(" (history lost: starting over)", w->cli->out);
}

static void best(struct watch *w, const char *what, const json_t *side)
{
	char p[CL_DEC_STR_MAX], s[CL_DEC_STR_MAX];
	const json_t *l = json_array_get(side, 0);
	if (!json_is_array(l)) {
		fprintf(w->cli->out, ", no %s", what);
		return;
	}
	cl_cli_fmt_units(p, json_array_get(l, 0), price_dec(w));
	cl_cli_fmt_units(s, json_array_get(l, 1), size_dec(w));
	fprintf(w->cli->out, ", best %s %s x %s", what, p, s);
}

static void print_book(struct watch *w, const json_t *m, const char *type)
{
	const json_t *bids = json_object_get(m, "bids");
	const json_t *asks = json_object_get(m, "asks");
	FILE *o = w->cli->out;

	head(w, m);
	if (strcmp(type, "snapshot") == 0) {
		fprintf(o, " snapshot, %zu bids, %zu asks",
			json_array_size(bids), json_array_size(asks));
		best(w, "bid", bids);
		best(w, "ask", asks);
		flags_note(w, m);
		fputc('\n', o);
		return;
	}
	size_t shown = 0, total = json_array_size(bids) + json_array_size(asks);
	for (int k = 0; k < 2; k++) {
		const json_t *side = k ? asks : bids;
		for (size_t i = 0; i < json_array_size(side); i++) {
			if (shown == WATCH_DIFF_SHOWN)
				break;
			const json_t *l = json_array_get(side, i);
			char p[CL_DEC_STR_MAX], s[CL_DEC_STR_MAX];
			cl_cli_fmt_units(p, json_array_get(l, 0), price_dec(w));
			const json_t *sz = json_array_get(l, 1);
			bool gone = json_is_string(sz) &&
				    strcmp(json_string_value(sz), "0") == 0;
			cl_cli_fmt_units(s, sz, size_dec(w));
			fprintf(o, "%s %s %s %s", shown ? "," : "",
				k ? "ask" : "bid", p, gone ? "removed" : s);
			shown++;
		}
	}
	if (total > shown)
		fprintf(o, " (+%zu more)", total - shown);
	fputc('\n', o);
}

static void print_trades(struct watch *w, const json_t *m, const char *type)
{
	FILE *o = w->cli->out;
	char a[64], b[64];

	head(w, m);
	if (strcmp(type, "gap") == 0) {
		cli_fmt_text(a, sizeof(a), json_object_get(m, "fromBlock"));
		cli_fmt_text(b, sizeof(b), json_object_get(m, "toBlock"));
		fprintf(o,
			" blocks %s to %s: trades not streamed (the node "
			"dropped their events)\n",
			a, b);
		return;
	}
	const json_t *list = json_object_get(m, "trades");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *t = json_array_get(list, i);
		char p[CL_DEC_STR_MAX], s[CL_DEC_STR_MAX], side[16];
		char tk[CL_ADDRESS_STR_LEN + 2], mk[CL_ADDRESS_STR_LEN + 2];
		cl_cli_fmt_units(p, json_object_get(t, "price"), price_dec(w));
		cl_cli_fmt_units(s, json_object_get(t, "size"), size_dec(w));
		cli_fmt_text(side, sizeof(side),
			     json_object_get(t, "takerSide"));
		cl_cli_fmt_address(tk, json_object_get(t, "takerTrader"));
		cl_cli_fmt_address(mk, json_object_get(t, "makerTrader"));
		fprintf(o, "%s %s %s @ %s (taker %s, maker %s)", i ? ";" : "",
			side, s, p, tk, mk);
	}
	fputc('\n', o);
}

static const struct cl_cli_market *market_of(struct watch *w, const json_t *v)
{
	uint64_t id;
	if (!w->cli->have_config || !cli_json_u64(&id, v) || id > UINT32_MAX)
		return NULL;
	return cl_cli_market_by_id(&w->cli->config, (uint32_t)id);
}

static void print_account(struct watch *w, const json_t *m)
{
	FILE *o = w->cli->out;
	const json_t *acct = json_object_get(m, "account");
	unsigned cdec =
	    w->cli->have_config ? w->cli->config.collateral_decimals : 0;
	char c[CL_DEC_STR_MAX];

	head(w, m);
	if (!json_is_object(acct)) {
		fputs(" no account\n", o);
		return;
	}
	cl_cli_fmt_units(c, json_object_get(acct, "collateral"), cdec);
	fprintf(o, " collateral %s", c);
	const json_t *pos = json_object_get(acct, "positions");
	fprintf(o, ", %zu position%s", json_array_size(pos),
		json_array_size(pos) == 1 ? "" : "s");
	for (size_t i = 0; i < json_array_size(pos); i++) {
		const json_t *p = json_array_get(pos, i);
		const struct cl_cli_market *mk =
		    market_of(w, json_object_get(p, "market"));
		char s[CL_DEC_STR_MAX], name[40];
		cl_cli_fmt_units(s, json_object_get(p, "size"),
				 mk ? mk->size_decimals : 0);
		if (mk)
			snprintf(name, sizeof(name), "%s", mk->symbol);
		else
			cli_fmt_text(name, sizeof(name),
				     json_object_get(p, "market"));
		fprintf(o, "%s %s %s", i ? "," : ":", name, s);
	}
	fprintf(o, "; %zu open orders",
		json_array_size(json_object_get(acct, "openOrders")));
	const json_t *fills = json_object_get(m, "fills");
	if (json_array_size(fills))
		fprintf(o, "; %zu new fills", json_array_size(fills));
	flags_note(w, m);
	fputc('\n', o);
}

static void print_block(struct watch *w, const json_t *m)
{
	FILE *o = w->cli->out;
	char blk[32], root[80];
	uint64_t ms;

	cli_fmt_text(blk, sizeof(blk), json_object_get(m, "block"));
	cli_fmt_text(root, sizeof(root), json_object_get(m, "stateRoot"));
	fprintf(o, "block %s", blk);
	if (cli_json_u64(&ms, json_object_get(m, "time"))) {
		char t[32];
		cli_fmt_time(t, ms / 1000);
		/* "YYYY-MM-DD HH:MM:SS UTC" -> with milliseconds */
		fprintf(o, " at %.19s.%03u UTC", t, (unsigned)(ms % 1000));
	} else {
		fputs(" at (time not known here)", o);
	}
	fprintf(o, " root %s\n", root);
}

static void print_human(struct watch *w, const json_t *m, const char *type)
{
	if (strcmp(type, "subscribed") == 0) {
		head(w, m);
		fputs(json_is_true(json_object_get(m, "resumed"))
			  ? " resumed\n"
			  : " subscribed\n",
		      w->cli->out);
		return;
	}
	switch (w->kind) {
	case WATCH_BLOCKS:
		print_block(w, m);
		return;
	case WATCH_BOOK:
		print_book(w, m, type);
		return;
	case WATCH_TRADES:
		print_trades(w, m, type);
		return;
	case WATCH_ACCOUNT:
		print_account(w, m);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* The stream                                                          */
/* ------------------------------------------------------------------ */

enum step {
	STEP_GO_ON,
	STEP_DONE,   /* --max reached */
	STEP_REFUSED /* the node refused the subscription */
};

static int send_json(struct cl_ws_conn *c, json_t *v)
{
	char *s = cl_json_dump(v);
	json_decref(v);
	int rc = cl_ws_conn_send(c, s, strlen(s), WATCH_SEND_MS);
	free(s);
	return rc;
}

static int subscribe(struct watch *w, struct cl_ws_conn *c)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "op", "subscribe", "stream",
			      w->stream, "id", "watch");
	if (w->has_seq)
		json_object_set_new(o, "since", cl_json_from_u64(w->seq));
	return send_json(c, o);
}

/* One message from the node. */
static enum step on_message(struct watch *w, struct cl_ws_conn *c,
			    const char *text, size_t len)
{
	struct cl_cli *cli = w->cli;
	json_t *m = cl_json_load(text, len, NULL, 0);
	enum step st = STEP_GO_ON;

	if (!json_is_object(m)) {
		fprintf(cli->err, PROG ": watch: a message that is not a "
				       "JSON object (ignored)\n");
		goto out;
	}
	const char *type = json_string_value(json_object_get(m, "type"));
	const json_t *id = json_object_get(m, "id");
	if (type && strcmp(type, "error") == 0) {
		char msg[256];
		cli_fmt_text(msg, sizeof(msg), json_object_get(m, "message"));
		cli_errorf(cli, "watch %s: the node refused: %s", w->stream,
			   msg);
		if (json_is_string(id) &&
		    strcmp(json_string_value(id), "watch") == 0)
			st = STEP_REFUSED;
		goto out;
	}
	const char *name = json_string_value(json_object_get(m, "stream"));
	if (!type || !name || strcmp(name, w->stream) != 0)
		goto out;
	uint64_t seq;
	if (!cli_json_u64(&seq, json_object_get(m, "seq"))) {
		fprintf(cli->err, PROG ": watch: a message without seq "
				       "(ignored)\n");
		goto out;
	}
	bool fresh =
	    strcmp(type, "snapshot") == 0 || strcmp(type, "subscribed") == 0;
	if (fresh) {
		if (w->reconnected) {
			if (json_is_true(json_object_get(m, "resumed")))
				fprintf(cli->err,
					PROG ": watch: resumed after seq "
					     "%" PRIu64 "\n",
					seq);
			else if (json_is_true(
				     json_object_get(m, "historyLost")))
				fprintf(cli->err,
					PROG ": watch: the node no longer "
					     "holds what followed seq %" PRIu64
					     ": starting over from seq %" PRIu64
					     "\n",
					w->seq, seq);
			w->reconnected = false;
		}
	} else if (w->has_seq && seq != w->seq + 1) {
		fprintf(cli->err,
			PROG ": watch: seq %" PRIu64 " after %" PRIu64
			     " (a gap)%s\n",
			seq, w->seq,
			w->kind == WATCH_BOOK ? ": asking for a resync" : "");
		if (w->kind == WATCH_BOOK) {
			json_t *r =
			    json_pack("{s:s,s:s,s:s}", "op", "resync", "stream",
				      w->stream, "id", "watch");
			(void)send_json(c, r);
		}
	}
	/* a resumed "subscribed" repeats the seq we had: not a new line */
	bool repeat = fresh && w->has_seq && seq == w->seq &&
		      json_is_true(json_object_get(m, "resumed"));
	w->has_seq = true;
	w->seq = seq;
	if (repeat)
		goto out;
	if (cli->json) {
		fwrite(text, 1, len, cli->out);
		fputc('\n', cli->out);
	} else {
		print_human(w, m, type);
	}
	fflush(cli->out);
	if (w->max && ++w->printed >= w->max)
		st = STEP_DONE;
out:
	json_decref(m);
	return st;
}

/* l2_getConfig over the socket (market names and decimals). */
static int fetch_config(struct watch *w, struct cl_ws_conn *c)
{
	struct cl_cli *cli = w->cli;
	char why[CL_WS_CONN_WHY_MAX], err[256];

	if (cli->have_config)
		return CL_CLI_EXIT_OK;
	json_t *q =
	    json_pack("{s:s,s:s,s:s,s:[]}", "jsonrpc", "2.0", "id",
		      "watch-config", "method", "l2_getConfig", "params");
	if (send_json(c, q) != CL_OK) {
		cli_errorf(cli, "watch: the connection closed");
		return CL_CLI_EXIT_CONNECT;
	}
	for (;;) {
		char *text;
		size_t len;
		int rc = cl_ws_conn_recv(c, &text, &len, why, sizeof(why),
					 WATCH_CONNECT_MS);
		if (rc == CL_ERR_TIMEOUT) {
			cli_errorf(cli, "watch: no answer to l2_getConfig");
			return CL_CLI_EXIT_CONNECT;
		}
		if (rc != CL_OK) {
			cli_errorf(cli, "watch: %s", why);
			return CL_CLI_EXIT_CONNECT;
		}
		json_t *m = cl_json_load(text, len, NULL, 0);
		free(text);
		const json_t *id = json_object_get(m, "id");
		if (!json_is_string(id) ||
		    strcmp(json_string_value(id), "watch-config") != 0) {
			json_decref(m);
			continue;
		}
		const json_t *r = json_object_get(m, "result");
		bool ok =
		    r && cl_cli_config_parse(&cli->config, err, sizeof(err), r);
		if (!ok)
			cli_errorf(cli, "l2_getConfig: unusable answer: %s",
				   r ? err : "an error");
		json_decref(m);
		if (!ok)
			return CL_CLI_EXIT_FAILED;
		cli->have_config = true;
		return CL_CLI_EXIT_OK;
	}
}

/* Resolve the market and the stream name once the config is here. */
static int resolve(struct watch *w)
{
	int rc = CL_CLI_EXIT_OK;
	char a[CL_ADDRESS_STR_LEN + 1];

	switch (w->kind) {
	case WATCH_BLOCKS:
		snprintf(w->stream, sizeof(w->stream), "blocks");
		snprintf(w->label, sizeof(w->label), "blocks");
		return rc;
	case WATCH_BOOK:
	case WATCH_TRADES:
		w->market = cli_market(w->cli, w->cmd, &rc, w->want);
		if (!w->market)
			return rc;
		snprintf(w->stream, sizeof(w->stream), "%s:%" PRIu32,
			 w->kind == WATCH_BOOK ? "book" : "trades",
			 w->market->id);
		snprintf(w->label, sizeof(w->label), "%s %s",
			 w->kind == WATCH_BOOK ? "book" : "trades",
			 w->market->symbol);
		return rc;
	case WATCH_ACCOUNT:
		cl_address_format(a, &w->account);
		snprintf(w->stream, sizeof(w->stream), "account:%s", a);
		snprintf(w->label, sizeof(w->label), "account %s", a);
		return rc;
	}
	return rc;
}

/* CHANNEL [ARG] or a stream name such as "book:1". */
static int parse_channel(struct watch *w, const struct cli_args *a)
{
	const char *ch = a->pos[0], *arg = a->npos > 1 ? a->pos[1] : NULL;
	char name[64];
	const char *colon = strchr(ch, ':');

	if (colon && !arg) {
		snprintf(name, sizeof(name), "%.*s", (int)(colon - ch), ch);
		ch = name;
		arg = colon + 1;
	}
	if (strcmp(ch, "blocks") == 0) {
		w->kind = WATCH_BLOCKS;
		if (arg)
			return cli_usage(w->cli, w->cmd,
					 "blocks takes no argument");
		return CL_CLI_EXIT_OK;
	}
	if (strcmp(ch, "book") == 0 || strcmp(ch, "trades") == 0) {
		w->kind = ch[0] == 'b' ? WATCH_BOOK : WATCH_TRADES;
		if (!arg || !*arg)
			return cli_usage(w->cli, w->cmd, "%s needs a market",
					 ch);
		w->want = arg;
		return CL_CLI_EXIT_OK;
	}
	if (strcmp(ch, "account") == 0) {
		w->kind = WATCH_ACCOUNT;
		if (!arg) {
			/* the selected key's own account, as `account` */
			int rc = cli_load_key(w->cli, w->cmd);
			if (rc)
				return rc;
			cl_seckey_address(&w->account, w->cli->key);
			return CL_CLI_EXIT_OK;
		}
		if (!cli_parse_address(&w->account, arg))
			return cli_usage(w->cli, w->cmd,
					 "account needs a 0x address");
		return CL_CLI_EXIT_OK;
	}
	return cli_usage(w->cli, w->cmd,
			 "unknown channel '%s': expected book, trades, "
			 "blocks or account",
			 ch);
}

int cli_cmd_watch(struct cl_cli *cli, const struct cli_args *a)
{
	struct watch w;
	char url[512], why[CL_WS_CONN_WHY_MAX];
	struct cl_ws_conn *c = NULL;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cli = cli;
	w.cmd = a->cmd;
	rc = parse_channel(&w, a);
	if (rc)
		return rc;
	if (a->set[OPT_SINCE]) {
		if (!cl_parse_u64(&w.seq, a->val[OPT_SINCE],
				  strlen(a->val[OPT_SINCE])))
			return cli_usage(cli, w.cmd,
					 "--since: a sequence number");
		w.has_seq = true;
	}
	if (a->set[OPT_MAX] &&
	    (!cl_parse_u64(&w.max, a->val[OPT_MAX], strlen(a->val[OPT_MAX])) ||
	     w.max == 0))
		return cli_usage(cli, w.cmd, "--max: a positive count");
	if (!ws_url(cli, a, url, sizeof(url)))
		return cli_usage(cli, w.cmd,
				 "give --ws ws://HOST:PORT/ (no WebSocket "
				 "address follows from --rpc %s)",
				 cli->rpc_url);

	rc = cl_ws_conn_open(&c, why, sizeof(why), url, WATCH_CONNECT_MS,
			     WATCH_MAX_MSG, WATCH_IDLE_S);
	if (rc == CL_ERR_CONFIG)
		return cli_usage(cli, w.cmd, "--ws %s: %s", url, why);
	if (rc != CL_OK) {
		cli_errorf(cli, "cannot reach the node's WebSocket at %s: %s",
			   url, why);
		return CL_CLI_EXIT_CONNECT;
	}
	/* names and decimals: every kind but blocks prints some */
	if (w.kind != WATCH_BLOCKS) {
		rc = fetch_config(&w, c);
		if (rc)
			goto out;
	}
	rc = resolve(&w);
	if (rc)
		goto out;

	unsigned backoff = WATCH_BACKOFF_MIN_MS;
	bool subscribed = false;
	for (;;) {
		if (!c) {
			sleep_ms(backoff);
			backoff = backoff * 2 > WATCH_BACKOFF_MAX_MS
				      ? WATCH_BACKOFF_MAX_MS
				      : backoff * 2;
			if (cl_ws_conn_open(&c, why, sizeof(why), url,
					    WATCH_CONNECT_MS, WATCH_MAX_MSG,
					    WATCH_IDLE_S) != CL_OK) {
				fprintf(cli->err,
					PROG ": watch: %s: %s; again in %u "
					     "ms\n",
					url, why, backoff);
				c = NULL;
				continue;
			}
			w.reconnected = true;
			subscribed = false;
		}
		if (!subscribed) {
			snprintf(why, sizeof(why), "cannot send");
			if (subscribe(&w, c) != CL_OK)
				goto lost;
			subscribed = true;
		}
		char *text;
		size_t len;
		int r = cl_ws_conn_recv(c, &text, &len, why, sizeof(why), 1000);
		if (r == CL_ERR_TIMEOUT)
			continue;
		if (r != CL_OK)
			goto lost;
		backoff = WATCH_BACKOFF_MIN_MS;
		enum step st = on_message(&w, c, text, len);
		free(text);
		if (st == STEP_DONE) {
			rc = CL_CLI_EXIT_OK;
			goto out;
		}
		if (st == STEP_REFUSED) {
			rc = CL_CLI_EXIT_FAILED;
			goto out;
		}
		continue;
	lost:
		fprintf(cli->err,
			PROG ": watch: connection lost (%s); reconnecting"
			     "%s\n",
			why, w.has_seq ? " to resume after the last seq" : "");
		cl_ws_conn_free(c);
		c = NULL;
	}
out:
	cl_ws_conn_free(c);
	return rc;
}
