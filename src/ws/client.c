/* SPDX-License-Identifier: MIT */
/*
 * A blocking WebSocket client (include/clearline/ws_client.h): one
 * libwebsockets context per connection, its loop run only inside the
 * calls below, each bounded by a timer of its own (a sul), so nothing
 * runs between calls and no thread is needed.
 */
#include <clearline/ws_client.h>

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "ws";

struct rx_msg {
	struct rx_msg *next;
	size_t len;
	char text[];
};

struct cl_ws_conn {
	struct lws_context *ctx;
	struct lws *wsi;
	lws_retry_bo_t retry;
	size_t max_msg;
	bool established, closed, deadline;
	char why[CL_WS_CONN_WHY_MAX];
	lws_sorted_usec_list_t sul;
	/* the message being received */
	char *rx;
	size_t rx_len;
	/* complete messages not yet returned */
	struct rx_msg *q_head, **q_tail;
	/* the message being sent: LWS_PRE bytes of room, then the text */
	unsigned char *tx;
	size_t tx_len;
};

static void set_why(struct cl_ws_conn *c, const char *fmt, ...) CL_PRINTF(2, 3);
static void set_why(struct cl_ws_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0])
		return; /* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

bool cl_ws_url_parse(const char *url, char *host, size_t host_cap,
		     uint16_t *port, char *path, size_t path_cap)
{
	const char *p = url, *h, *he;
	uint64_t v = 80;

	if (strncmp(p, "ws://", 5) != 0)
		return false;
	p += 5;
	if (*p == '[') {
		h = p + 1;
		he = strchr(h, ']');
		if (!he)
			return false;
		p = he + 1;
	} else {
		h = p;
		while (*p && *p != ':' && *p != '/')
			p++;
		he = p;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= host_cap)
		return false;
	for (size_t i = 0; i < hl; i++)
		if (h[i] <= ' ' || h[i] == '@' || h[i] == '?' || h[i] == '#')
			return false;
	if (*p == ':') {
		const char *ps = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (!cl_parse_u64(&v, ps, (size_t)(p - ps)) || v == 0 ||
		    v > 65535)
			return false;
	}
	if (*p && *p != '/')
		return false;
	const char *path_s = *p ? p : "/";
	size_t pl = strlen(path_s);
	if (pl >= path_cap)
		return false;
	for (size_t i = 0; i < pl; i++)
		if ((unsigned char)path_s[i] <= ' ' || path_s[i] == 0x7f)
			return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(path, path_s, pl + 1);
	*port = (uint16_t)v;
	return true;
}

static void on_deadline(lws_sorted_usec_list_t *sul)
{
	struct cl_ws_conn *c = lws_container_of(sul, struct cl_ws_conn, sul);
	c->deadline = true;
}

static void rx_push(struct cl_ws_conn *c)
{
	struct rx_msg *m = cl_xmalloc(sizeof(*m) + c->rx_len + 1);
	m->next = NULL;
	m->len = c->rx_len;
	if (c->rx_len)
		memcpy(m->text, c->rx, c->rx_len);
	m->text[c->rx_len] = '\0';
	*c->q_tail = m;
	c->q_tail = &m->next;
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct cl_ws_conn *c = lws_context_user(lws_get_context(wsi));
	(void)user;

	switch ((int)reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->established = true;
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		set_why(c, "cannot connect: %.100s",
			in ? (const char *)in : "connection failed");
		c->closed = true;
		c->wsi = NULL;
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;
			set_why(c, "closed by the server: %u %.*s",
				(unsigned)(b[0] << 8 | b[1]),
				(int)(len - 2 > 120 ? 120 : len - 2),
				(const char *)b + 2);
		} else {
			set_why(c, "closed by the server");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		set_why(c, "connection closed");
		c->closed = true;
		c->wsi = NULL;
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->rx_len + len > c->max_msg) {
			set_why(c, "a message over %zu bytes", c->max_msg);
			return -1;
		}
		if (lws_frame_is_binary(wsi)) {
			set_why(c, "a binary message");
			return -1;
		}
		c->rx = cl_xrealloc(c->rx, c->rx_len + len + 1);
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0)
			rx_push(c);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c->tx)
			return 0;
		{
			int w = lws_write(wsi, c->tx + LWS_PRE, c->tx_len,
					  LWS_WRITE_TEXT);
			free(c->tx);
			c->tx = NULL;
			if (w < 0 || (size_t)w < c->tx_len) {
				set_why(c, "send failed");
				return -1;
			}
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"clearline-client", callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line)
{
	(void)level;
	cl_debug(SUB, "libwebsockets: %.*s", (int)strcspn(line, "\r\n"), line);
}

/* Run the loop until `done(c)` or the deadline; true when done. */
static bool run_until(struct cl_ws_conn *c, bool (*done)(struct cl_ws_conn *),
		      unsigned timeout_ms)
{
	if (done(c))
		return true;
	c->deadline = false;
	lws_sul_schedule(c->ctx, 0, &c->sul, on_deadline,
			 (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	while (!done(c) && !c->deadline)
		if (lws_service(c->ctx, 0) < 0)
			break;
	lws_sul_cancel(&c->sul);
	return done(c);
}

static bool open_done(struct cl_ws_conn *c)
{
	return c->established || c->closed;
}

int cl_ws_conn_open(struct cl_ws_conn **out, char *why, size_t why_len,
		    const char *url, unsigned timeout_ms, size_t max_msg,
		    unsigned idle_s)
{
	char host[256], path[512];
	uint16_t port;

	*out = NULL;
	if (!cl_ws_url_parse(url, host, sizeof(host), &port, path,
			     sizeof(path))) {
		snprintf(why, why_len,
			 "not a ws://HOST:PORT/ URL (wss is not supported)");
		return CL_ERR_CONFIG;
	}
	struct cl_ws_conn *c = cl_xcalloc(1, sizeof(*c));
	c->max_msg = max_msg;
	c->q_tail = &c->q_head;
	c->retry.secs_since_valid_ping = (uint16_t)(idle_s < 2 ? 2 : idle_s);
	c->retry.secs_since_valid_hangup =
	    (uint16_t)(2 * c->retry.secs_since_valid_ping);

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	info.count_threads = 1;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		snprintf(why, why_len, "cannot create a websocket context");
		free(c);
		return CL_ERR_NET;
	}
	char hosthdr[300];
	snprintf(hosthdr, sizeof(hosthdr),
		 strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.context = c->ctx;
	ci.address = host;
	ci.port = port;
	ci.path = path;
	ci.host = hosthdr;
	ci.origin = hosthdr;
	ci.protocol = NULL;
	ci.local_protocol_name = protocols[0].name;
	ci.retry_and_idle_policy = &c->retry;
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci))
		set_why(c, "cannot connect to %s", url);
	else if (!run_until(c, open_done, timeout_ms))
		set_why(c, "no handshake within %u ms", timeout_ms);
	if (!c->established || c->closed) {
		int rc =
		    c->deadline && !c->closed ? CL_ERR_TIMEOUT : CL_ERR_NET;
		snprintf(why, why_len, "%s", c->why[0] ? c->why : "failed");
		cl_ws_conn_free(c);
		return rc;
	}
	*out = c;
	return CL_OK;
}

static bool sent_done(struct cl_ws_conn *c)
{
	return !c->tx || c->closed;
}

int cl_ws_conn_send(struct cl_ws_conn *c, const char *text, size_t len,
		    unsigned timeout_ms)
{
	if (c->closed || !c->wsi)
		return CL_ERR_NET;
	free(c->tx);
	c->tx = cl_xmalloc(LWS_PRE + len + 1);
	memcpy(c->tx + LWS_PRE, text, len);
	c->tx_len = len;
	lws_callback_on_writable(c->wsi);
	if (!run_until(c, sent_done, timeout_ms))
		return CL_ERR_TIMEOUT;
	return c->tx ? CL_ERR_NET : CL_OK;
}

static bool recv_done(struct cl_ws_conn *c)
{
	return c->q_head || c->closed;
}

int cl_ws_conn_recv(struct cl_ws_conn *c, char **text, size_t *len, char *why,
		    size_t why_len, unsigned timeout_ms)
{
	*text = NULL;
	*len = 0;
	if (!run_until(c, recv_done, timeout_ms))
		return CL_ERR_TIMEOUT;
	struct rx_msg *m = c->q_head;
	if (!m) {
		snprintf(why, why_len, "%s",
			 c->why[0] ? c->why : "connection closed");
		return CL_ERR_NET;
	}
	c->q_head = m->next;
	if (!c->q_head)
		c->q_tail = &c->q_head;
	*len = m->len;
	*text = cl_xmalloc(m->len + 1);
	memcpy(*text, m->text, m->len + 1);
	free(m);
	return CL_OK;
}

void cl_ws_conn_free(struct cl_ws_conn *c)
{
	if (!c)
		return;
	if (c->ctx)
		lws_context_destroy(c->ctx);
	while (c->q_head) {
		struct rx_msg *m = c->q_head;
		c->q_head = m->next;
		free(m);
	}
	free(c->rx);
	free(c->tx);
	free(c);
}
