/* SPDX-License-Identifier: MIT */
/*
 * ws_client — a small blocking WebSocket client (part of the ws module,
 * which owns libwebsockets), for tools that read the node's streams
 * (`clearline-cli watch`, docs/cli.md) and tests.
 *
 * One connection per object, one thread: every call runs the library's
 * event loop until what it waits for happened (a message, the send, the
 * close) or its deadline passed. Plain ws:// only (the node's endpoint
 * speaks no TLS; docs/operations.md "Explorer" says how to put one in
 * front). Messages are text; a message longer than the limit given at
 * open closes the connection. Pings from the server are answered by the
 * library; a server silent for `idle_s` (no pong to our pings) counts as
 * closed.
 */
#ifndef CLEARLINE_WS_CLIENT_H
#define CLEARLINE_WS_CLIENT_H

#include <clearline/common.h>

struct cl_ws_conn;

/* The longest error text the functions below write. */
#define CL_WS_CONN_WHY_MAX 160

/*
 * Split "ws://HOST:PORT/PATH" (HOST a name, an IPv4 literal or [IPv6];
 * PORT optional, 80; PATH optional, "/"). True with the parts copied into
 * the caller's buffers; false when the URL is not of that form.
 */
CL_WUR bool cl_ws_url_parse(const char *url, char *host, size_t host_cap,
			    uint16_t *port, char *path, size_t path_cap);

/*
 * Connect to `url` and finish the WebSocket handshake within
 * `timeout_ms`. `max_msg` bounds one received message (bytes); `idle_s`
 * (>= 2) is how long the server may stay silent before we ping, and twice
 * that without an answer closes. CL_OK and *out; CL_ERR_CONFIG for a bad
 * URL; CL_ERR_NET or CL_ERR_TIMEOUT with the reason in `why`.
 */
CL_WUR int cl_ws_conn_open(struct cl_ws_conn **out, char *why, size_t why_len,
			   const char *url, unsigned timeout_ms, size_t max_msg,
			   unsigned idle_s);

/* Queue one text message and run the loop until the library took it (at
 * most `timeout_ms`). CL_OK, CL_ERR_NET (closed) or CL_ERR_TIMEOUT. */
CL_WUR int cl_ws_conn_send(struct cl_ws_conn *c, const char *text, size_t len,
			   unsigned timeout_ms);

/*
 * The next message, waiting at most `timeout_ms`: CL_OK with *text (NUL-
 * terminated, the caller frees it) and *len; CL_ERR_TIMEOUT (nothing yet;
 * the connection is still up); CL_ERR_NET when the connection is closed,
 * with the reason (the server's close code and text, or the failure) in
 * `why`. Messages that arrived before the close are returned first.
 */
CL_WUR int cl_ws_conn_recv(struct cl_ws_conn *c, char **text, size_t *len,
			   char *why, size_t why_len, unsigned timeout_ms);

/* Close (1000) and free; NULL is a no-op. */
void cl_ws_conn_free(struct cl_ws_conn *c);

#endif /* CLEARLINE_WS_CLIENT_H */
