/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the WebSocket endpoint's client message parser
 * (ws_proto_parse() and ws_stream_name_parse(), src/ws/ws_proto.h: the
 * parsing of src/ws/proto.c, callable without a libwebsockets context)
 * on hostile text, as any client can send.
 *
 * Input: one client message (at most 64 KiB, the default
 * ws-max-msg-bytes); it is also tried as a stream name on its own. A
 * refused message carries one of the two protocol error codes, a message
 * that is valid UTF-8 (it goes out as a JSON string) and, when it echoes
 * an id, the message's own string, integer or null id. An accepted one is a JSON-RPC array or object with "jsonrpc", or
 * an object whose op, id, stream and since, written out again as a
 * protocol message, parse to exactly the same request. A stream name
 * that parses has a canonical form that parses to the same name and
 * formats to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "ws_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG ((size_t)64 << 10)

static const char *const op_names[] = {
	[WS_OP_PING] = "ping",
	[WS_OP_SUBSCRIBE] = "subscribe",
	[WS_OP_UNSUBSCRIBE] = "unsubscribe",
	[WS_OP_RESYNC] = "resync",
};

static void check_name(const char *name)
{
	struct ws_stream_name n, m;
	char canon[WS_STREAM_NAME_MAX], again[WS_STREAM_NAME_MAX];
	const char *why = NULL;

	if (!ws_stream_name_parse(&n, name, &why)) {
		static const struct ws_stream_name zero;

		if (!why || !*why || memcmp(&n, &zero, sizeof(n)) != 0)
			abort();
		return;
	}
	ws_stream_name_format(canon, &n);
	if (strlen(canon) >= WS_STREAM_NAME_MAX - 1 ||
	    !ws_stream_name_parse(&m, canon, &why) ||
	    memcmp(&n, &m, sizeof(n)) != 0)
		abort();
	ws_stream_name_format(again, &m);
	if (strcmp(canon, again) != 0)
		abort();
}

static bool same_id(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal((json_t *)a, (json_t *)b);
}

/* A protocol request written out again parses to the same request. */
static void check_again(const struct ws_request *r)
{
	json_t *o = json_object();
	struct ws_request q;
	char *text;

	json_object_set_new(o, "op", json_string(op_names[r->op]));
	if (r->id)
		json_object_set(o, "id", (json_t *)r->id);
	if (r->stream)
		json_object_set_new(o, "stream", json_string(r->stream));
	if (r->has_since)
		json_object_set_new(o, "since", cl_json_from_u64(r->since));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text || !ws_proto_parse(&q, text, strlen(text)))
		abort();
	if (q.op != r->op || !same_id(q.id, r->id) ||
	    (r->stream == NULL) != (q.stream == NULL) ||
	    (r->stream && strcmp(r->stream, q.stream) != 0) ||
	    q.has_since != r->has_since || q.since != r->since)
		abort();
	ws_request_release(&q);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_request r;
	char *name;

	if (size > MAX_MSG)
		return 0;
	cl_log_min_level = CL_LOG_BROKEN;
	name = malloc(size + 1);
	memcpy(name, data, size);
	name[size] = 0;
	check_name(name);
	free(name);

	if (!ws_proto_parse(&r, (const char *)data, size)) {
		const json_t *id = r.msg && json_is_object(r.msg)
					   ? json_object_get(r.msg, "id")
					   : NULL;

		json_t *msg = json_string(r.why);

		/* the message goes out as a JSON string: valid UTF-8 */
		if ((r.code != WS_ERR_BAD_MESSAGE &&
		     r.code != WS_ERR_BAD_PARAMS) ||
		    !r.why[0] || (r.err_id && r.err_id != id) || !msg)
			abort();
		json_decref(msg);
		ws_request_release(&r);
		return 0;
	}
	if (!r.msg || r.code || r.why[0])
		abort();
	switch (r.op) {
	case WS_OP_RPC:
		if (!json_is_array(r.msg) &&
		    !(json_is_object(r.msg) &&
		      json_object_get(r.msg, "jsonrpc")))
			abort();
		break;
	case WS_OP_PING:
	case WS_OP_SUBSCRIBE:
	case WS_OP_UNSUBSCRIBE:
	case WS_OP_RESYNC:
		if (!json_is_object(r.msg) ||
		    r.id != json_object_get(r.msg, "id") ||
		    (r.op != WS_OP_PING && !r.stream) ||
		    (r.has_since && r.op != WS_OP_SUBSCRIBE))
			abort();
		if (r.id && !json_is_string(r.id) && !json_is_integer(r.id) &&
		    !json_is_null(r.id))
			abort();
		if (r.stream)
			check_name(r.stream);
		check_again(&r);
		break;
	}
	ws_request_release(&r);
	return 0;
}
