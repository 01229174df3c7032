/* SPDX-License-Identifier: MIT */
/*
 * Client messages (docs/api.md "WebSocket"): a JSON-RPC request object
 * or batch goes to the rpc dispatcher; anything else is a protocol
 * message {"op": "subscribe" | "unsubscribe" | "resync" | "ping",
 * "stream": NAME, "since": SEQ, "id": ANY}. A bad message is answered
 * with {"type": "error", "code", "message", "id"} and changes nothing.
 */
#include "ws_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool holds(const struct ws_client *c, const struct ws_stream *st,
		  size_t *at)
{
	for (size_t i = 0; i < c->n_subs; i++) {
		if (c->subs[i] == st) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static void unsubscribe(struct ws_client *c, size_t at)
{
	struct ws_stream *st = c->subs[at];
	c->subs[at] = c->subs[--c->n_subs];
	st->subs--;
	if (st->kind == WS_ACCOUNT && st->subs == 0)
		ws_stream_drop_account(c->srv, st);
}

void ws_proto_unsubscribe_all(struct ws_client *c)
{
	while (c->n_subs)
		unsubscribe(c, c->n_subs - 1);
}

/*
 * Is the history of `st` holding every message after `since`, and do
 * they fit in half of what `c` may still queue? (A replay that would
 * cut the client gets a snapshot instead.)
 */
static bool history_holds(const struct ws_client *c,
			  const struct ws_stream *st, uint64_t since)
{
	const struct cl_ws_config *cfg = &c->srv->cfg;
	size_t room_msgs = cfg->queue_msgs / 2 > c->q_msgs
				   ? cfg->queue_msgs / 2 - c->q_msgs
				   : 0;
	size_t room_bytes = cfg->queue_bytes / 2 > c->q_bytes
				    ? cfg->queue_bytes / 2 - c->q_bytes
				    : 0;

	if (since > st->seq || st->seq - since > st->n_hist)
		return false;
	size_t n = (size_t)(st->seq - since), bytes = 0;
	if (n > room_msgs)
		return false;
	for (size_t i = st->n_hist - n; i < st->n_hist; i++)
		bytes += st->hist[(st->hist_head + i) % st->hist_cap]->len;
	return bytes <= room_bytes;
}

static void ack(struct ws_client *c, const json_t *id, const char *type,
		const struct ws_stream *st, uint64_t seq, bool resumed)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "stream", json_string(st->name));
	if (id)
		json_object_set(o, "id", (json_t *)id);
	if (resumed) {
		json_object_set_new(o, "seq", cl_json_from_u64(seq));
		json_object_set_new(o, "resumed", json_true());
	}
	ws_send_json(c, o);
}

static void op_subscribe(struct ws_client *c, const json_t *id,
			 struct ws_stream *st, bool has_since, uint64_t since)
{
	struct cl_ws_server *s = c->srv;

	if (!holds(c, st, NULL)) {
		if (c->n_subs >= s->cfg.max_subs) {
			ws_send_error(c, id, WS_ERR_TOO_MANY_SUBS,
				      "at most %u subscriptions per "
				      "connection (ws-max-subs)",
				      s->cfg.max_subs);
			if (st->kind == WS_ACCOUNT && st->subs == 0)
				ws_stream_drop_account(s, st);
			return;
		}
		c->subs[c->n_subs++] = st;
		st->subs++;
	}
	if (has_since && history_holds(c, st, since)) {
		ack(c, id, "subscribed", st, since, true);
		bool ok = ws_stream_replay(st, c, since);
		CL_REQUIRE(ok);
		return;
	}
	json_t *flags = json_object();
	if (id)
		json_object_set(flags, "id", (json_t *)id);
	if (has_since)
		json_object_set_new(flags, "historyLost", json_true());
	ws_feed_snapshot(s, st, c, flags);
	json_decref(flags);
}

/* Is `req` a JSON-RPC call of an order or a cancel? */
static bool is_write(const json_t *req)
{
	const char *m = json_string_value(json_object_get(req, "method"));
	return m && (strcmp(m, "l2_submitOrder") == 0 ||
		     strcmp(m, "l2_cancelOrder") == 0);
}

/* The 2007 answer to one call (docs/api.md "Rate limits"). */
static json_t *rate_error(const struct cl_rate_limit *lim, const json_t *id,
			  uint32_t n, uint64_t retry_ms)
{
	char msg[200];
	json_t *data = json_object();
	if (retry_ms == UINT64_MAX) {
		snprintf(msg, sizeof(msg),
			 "rate limited: %u orders and cancels in one message "
			 "are over the connection's burst of %u: send them in "
			 "parts",
			 n, lim->burst);
		json_object_set_new(data, "retryAfterMs", json_null());
	} else {
		snprintf(msg, sizeof(msg),
			 "rate limited: at most %u orders and cancels a second "
			 "per connection (bursts of %u): retry in %llu ms",
			 lim->per_s, lim->burst, (unsigned long long)retry_ms);
		json_object_set_new(data, "retryAfterMs",
				    json_integer((json_int_t)retry_ms));
	}
	json_object_set_new(data, "limit", json_string("connection"));
	json_object_set_new(data, "perSecond", json_integer(lim->per_s));
	json_object_set_new(data, "burst", json_integer(lim->burst));
	json_t *o = json_object();
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(
	    o, "error",
	    json_pack("{s:i,s:s,s:o}", "code", CL_API_ERR_RATE_LIMITED,
		      "message", msg, "data", data));
	json_object_set(o, "id",
			id && (json_is_string(id) || json_is_integer(id))
			    ? (json_t *)id
			    : json_null());
	return o;
}

/*
 * The connection's rate of orders and cancels: a message with n of them
 * takes n tokens or is refused whole, every call of it answered 2007
 * (those with an id; nothing of it runs). True when it may run.
 */
static bool rate_ok(struct ws_client *c, json_t *j)
{
	const struct cl_rate_limit *lim = &c->srv->cfg.orders;
	uint32_t n = 0;
	uint64_t retry_ms;

	if (json_is_object(j)) {
		n = is_write(j);
	} else {
		for (size_t i = 0; i < json_array_size(j); i++)
			n += is_write(json_array_get(j, i));
	}
	if (n == 0 ||
	    cl_rate_take(lim, &c->orders, n, cl_clock_mono_ns(), &retry_ms))
		return true;
	pthread_mutex_lock(&c->srv->lock);
	c->srv->stats.rate_limited += n;
	pthread_mutex_unlock(&c->srv->lock);
	if (json_is_object(j)) {
		if (json_object_get(j, "id"))
			ws_send_json(c, rate_error(lim, json_object_get(j, "id"),
						   n, retry_ms));
		return false;
	}
	json_t *all = json_array();
	for (size_t i = 0; i < json_array_size(j); i++) {
		const json_t *q = json_array_get(j, i);
		const json_t *id = json_object_get(q, "id");
		if (json_is_object(q) && id)
			json_array_append_new(all,
					      rate_error(lim, id, n, retry_ms));
	}
	if (json_array_size(all))
		ws_send_json(c, all);
	else
		json_decref(all);
	return false;
}

static void rpc_message(struct ws_client *c, json_t *j, const char *text,
			size_t len)
{
	struct cl_ws_server *s = c->srv;
	json_t *id = json_is_object(j) ? json_object_get(j, "id") : NULL;

	if (!s->rpc) {
		ws_send_error(c, id, WS_ERR_NO_RPC,
			      "order entry is not served on this socket");
		return;
	}
	if (c->inflight >= s->cfg.max_inflight) {
		json_t *o = json_object();
		json_object_set_new(o, "jsonrpc", json_string("2.0"));
		json_object_set_new(
		    o, "error",
		    json_pack("{s:i,s:s}", "code", CL_RPC_LIMIT_EXCEEDED,
			      "message",
			      "too many requests waiting for their answer "
			      "on this connection (ws-max-inflight)"));
		json_object_set(
		    o, "id",
		    id && (json_is_string(id) || json_is_integer(id))
			? id
			: json_null());
		ws_send_json(c, o);
		return;
	}
	if (!rate_ok(c, j))
		return;
	ws_rpc_call(c, text, len, j); /* parsed once: here */
}

/*
 * The error message goes out as a JSON string, which must be valid
 * UTF-8, but "%.32s" of a member name, or the end of the buffer, can cut
 * a character in two (the client's text is valid UTF-8: the library
 * checks it): a message that is not valid UTF-8 then gets its non-ASCII
 * bytes replaced by '?' (cl_json_text_repair; without this the answer went out without its
 * "message"; found by tests/fuzz/fuzz-ws.c).
 */
static bool refuse(struct ws_request *r, const json_t *id, int code,
		   const char *fmt, ...) CL_PRINTF(4, 5);
static bool refuse(struct ws_request *r, const json_t *id, int code,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	cl_json_text_repair(r->why);
	r->code = code;
	r->err_id = id;
	return false;
}

bool ws_proto_parse(struct ws_request *r, const char *text, size_t len)
{
	char err[160];

	memset(r, 0, sizeof(*r));
	r->msg = cl_json_load(text, len, err, sizeof(err));
	json_t *j = r->msg;
	if (!j)
		return refuse(r, NULL, WS_ERR_BAD_MESSAGE, "not JSON: %s", err);
	if (json_is_array(j) ||
	    (json_is_object(j) && json_object_get(j, "jsonrpc"))) {
		r->op = WS_OP_RPC;
		return true;
	}
	if (!json_is_object(j))
		return refuse(r, NULL, WS_ERR_BAD_MESSAGE,
			      "expected an object with \"op\" or a JSON-RPC "
			      "request");
	json_t *id = json_object_get(j, "id");
	if (id && !json_is_string(id) && !json_is_integer(id) &&
	    !json_is_null(id))
		return refuse(r, NULL, WS_ERR_BAD_MESSAGE,
			      "id must be a string, an integer or null");
	r->id = id;
	const char *key;
	json_t *val;
	json_object_foreach(j, key, val)
	{
		if (strcmp(key, "op") && strcmp(key, "id") &&
		    strcmp(key, "stream") && strcmp(key, "since"))
			return refuse(r, id, WS_ERR_BAD_MESSAGE,
				      "unknown member \"%.32s\"", key);
	}
	json_t *op_j = json_object_get(j, "op");
	const char *op = json_is_string(op_j) ? json_string_value(op_j) : "";
	if (strcmp(op, "ping") == 0) {
		r->op = WS_OP_PING;
		return true;
	}
	if (strcmp(op, "subscribe") == 0)
		r->op = WS_OP_SUBSCRIBE;
	else if (strcmp(op, "unsubscribe") == 0)
		r->op = WS_OP_UNSUBSCRIBE;
	else if (strcmp(op, "resync") == 0)
		r->op = WS_OP_RESYNC;
	else
		return refuse(r, id, WS_ERR_BAD_MESSAGE,
			      "op must be subscribe, unsubscribe, resync or "
			      "ping");
	json_t *since_j = json_object_get(j, "since");
	if (since_j && r->op != WS_OP_SUBSCRIBE)
		return refuse(r, id, WS_ERR_BAD_PARAMS,
			      "since is for subscribe only");
	if (since_j && !cl_json_u64(&r->since, since_j) &&
	    !cl_json_uint(&r->since, since_j, UINT64_MAX))
		return refuse(r, id, WS_ERR_BAD_PARAMS,
			      "since: a sequence number (decimal string)");
	r->has_since = since_j != NULL;
	json_t *name_j = json_object_get(j, "stream");
	if (!json_is_string(name_j))
		return refuse(r, id, WS_ERR_BAD_PARAMS,
			      "stream must be a string");
	r->stream = json_string_value(name_j);
	return true;
}

void ws_request_release(struct ws_request *r)
{
	json_decref(r->msg);
	memset(r, 0, sizeof(*r));
}

static bool parse_u32(uint32_t *out, const char *p)
{
	uint64_t v;
	if (!cl_parse_u64(&v, p, strlen(p)) || v > UINT32_MAX) {
		*out = 0;
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool ws_stream_name_parse(struct ws_stream_name *out, const char *name,
			  const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = "unknown stream: expected blocks, batches, book:MARKET, "
	       "trades:MARKET or account:ADDRESS";
	if (strcmp(name, "blocks") == 0) {
		out->kind = WS_BLOCKS;
		return true;
	}
	if (strcmp(name, "batches") == 0) {
		out->kind = WS_BATCHES;
		return true;
	}
	if (strncmp(name, "book:", 5) == 0 ||
	    strncmp(name, "trades:", 7) == 0) {
		bool book = name[0] == 'b';
		out->kind = book ? WS_BOOK : WS_TRADES;
		if (parse_u32(&out->market, name + (book ? 5 : 7)))
			return true;
		memset(out, 0, sizeof(*out));
		return false;
	}
	if (strncmp(name, "account:", 8) != 0)
		return false;
	const char *hex = name + 8;
	if (!cl_address_parse(&out->account, hex, strlen(hex))) {
		memset(out, 0, sizeof(*out));
		*why = "account:ADDRESS needs a 0x address";
		return false;
	}
	out->kind = WS_ACCOUNT;
	return true;
}

void ws_stream_name_format(char out[WS_STREAM_NAME_MAX],
			   const struct ws_stream_name *n)
{
	char a[CL_ADDRESS_STR_LEN + 1];

	switch (n->kind) {
	case WS_BLOCKS:
		snprintf(out, WS_STREAM_NAME_MAX, "blocks");
		return;
	case WS_BATCHES:
		snprintf(out, WS_STREAM_NAME_MAX, "batches");
		return;
	case WS_BOOK:
		snprintf(out, WS_STREAM_NAME_MAX, "book:%" PRIu32, n->market);
		return;
	case WS_TRADES:
		snprintf(out, WS_STREAM_NAME_MAX, "trades:%" PRIu32,
			 n->market);
		return;
	case WS_ACCOUNT:
		cl_address_format(a, &n->account);
		snprintf(out, WS_STREAM_NAME_MAX, "account:%s", a);
		return;
	}
	CL_BUG("stream kind %d", (int)n->kind);
}

void ws_proto_message(struct ws_client *c, const char *text, size_t len)
{
	struct cl_ws_server *s = c->srv;
	struct ws_request r;

	if (!ws_proto_parse(&r, text, len)) {
		ws_send_error(c, r.err_id, r.code, "%s", r.why);
		goto out;
	}
	const json_t *id = r.id;
	switch (r.op) {
	case WS_OP_RPC:
		rpc_message(c, r.msg, text, len);
		goto out;
	case WS_OP_PING: {
		json_t *o = json_pack("{s:s}", "type", "pong");
		if (id)
			json_object_set(o, "id", (json_t *)id);
		ws_send_json(c, o);
		goto out;
	}
	case WS_OP_SUBSCRIBE:
	case WS_OP_UNSUBSCRIBE:
	case WS_OP_RESYNC:
		break;
	}
	bool sub = r.op == WS_OP_SUBSCRIBE;
	bool unsub = r.op == WS_OP_UNSUBSCRIBE;
	const char *why;
	int code;
	struct ws_stream *st = ws_stream_find(s, r.stream, sub, &why, &code);
	if (!st) {
		ws_send_error(c, id, code, "%s", why);
		goto out;
	}
	if (st->kind == WS_BOOK && !s->books_kept) {
		ws_send_error(c, id, WS_ERR_NOT_SERVED,
			      "this node keeps no order books (the sequencer "
			      "and replicas do)");
		goto out;
	}
	if (st->kind == WS_TRADES && !s->has_hook) {
		ws_send_error(c, id, WS_ERR_NOT_SERVED,
			      "trades are streamed by the sequencer");
		goto out;
	}
	if (sub) {
		op_subscribe(c, id, st, r.has_since, r.since);
		goto out;
	}
	size_t at;
	if (!holds(c, st, &at)) {
		ws_send_error(c, id, WS_ERR_NOT_SUBSCRIBED,
			      "not subscribed to %s", st->name);
		goto out;
	}
	if (unsub) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("unsubscribed"));
		json_object_set_new(o, "stream", json_string(st->name));
		if (id)
			json_object_set(o, "id", (json_t *)id);
		unsubscribe(c, at); /* may free an account stream */
		ws_send_json(c, o);
		goto out;
	}
	json_t *flags = json_object();
	if (id)
		json_object_set(flags, "id", (json_t *)id);
	json_object_set_new(flags, "resync", json_true());
	ws_feed_snapshot(s, st, c, flags);
	json_decref(flags);
out:
	ws_request_release(&r);
}
