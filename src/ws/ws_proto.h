/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/ws: the parsing of client messages (proto.c), apart
 * from the server so that it can be called without a libwebsockets
 * context (tests/fuzz/fuzz-ws.c does). Pure: no server, no client, no
 * I/O. docs/api.md "WebSocket" is the protocol.
 */
#ifndef CLEARLINE_WS_PROTO_H
#define CLEARLINE_WS_PROTO_H

#include <clearline/crypto.h>
#include <clearline/json.h>

enum ws_stream_kind {
	WS_BLOCKS = 0,
	WS_BOOK = 1,
	WS_TRADES = 2,
	WS_ACCOUNT = 3,
	WS_BATCHES = 4,
};

/* Error codes of protocol answers (docs/api.md "WebSocket"). */
enum {
	WS_ERR_BAD_MESSAGE = -32600,
	WS_ERR_BAD_PARAMS = -32602,
	WS_ERR_UNKNOWN_STREAM = 3001,
	WS_ERR_TOO_MANY_SUBS = 3002,
	WS_ERR_NOT_SUBSCRIBED = 3003,
	WS_ERR_NOT_SERVED = 3004,
	WS_ERR_NO_RPC = 3006,
};

enum ws_op {
	WS_OP_RPC = 0, /* a JSON-RPC request object or batch */
	WS_OP_PING = 1,
	WS_OP_SUBSCRIBE = 2,
	WS_OP_UNSUBSCRIBE = 3,
	WS_OP_RESYNC = 4,
};

/* A client message, parsed. */
struct ws_request {
	enum ws_op op;
	json_t *msg;	    /* the message (a reference; NULL: not JSON) */
	const json_t *id;   /* borrowed from msg; NULL: no id */
	const char *stream; /* subscribe, unsubscribe, resync: borrowed */
	bool has_since;	    /* subscribe only */
	uint64_t since;
	/* a refused message: its error code, the id to echo (borrowed, may
	 * be NULL) and the error message */
	int code;
	const json_t *err_id;
	char why[256];
};

/*
 * Parse `len` bytes of text. True with *r filled; false with r->code,
 * r->err_id and r->why (the answer the client gets). Either way
 * ws_request_release(r) afterwards. The stream name is not looked up
 * here (ws_stream_name_parse()).
 */
bool ws_proto_parse(struct ws_request *r, const char *text, size_t len);
void ws_request_release(struct ws_request *r);

/* A stream name: "blocks", "book:MARKET", "trades:MARKET" or
 * "account:ADDRESS". */
struct ws_stream_name {
	enum ws_stream_kind kind;
	uint32_t market;	   /* book, trades */
	struct cl_address account; /* account */
};
/* The longest canonical name, with its terminating zero. */
#define WS_STREAM_NAME_MAX 64

/* Parse `name`: true with *out, or false (out zeroed) with the reason
 * in *why. */
bool ws_stream_name_parse(struct ws_stream_name *out, const char *name,
			  const char **why);
/* The canonical name of `n` (decimal market, checksummed address). */
void ws_stream_name_format(char out[WS_STREAM_NAME_MAX],
			   const struct ws_stream_name *n);

#endif
