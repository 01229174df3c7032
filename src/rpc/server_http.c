/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of the JSON-RPC server: the callbacks libmicrohttpd calls
 * on its worker threads.
 *
 * Life of a request: MHD calls `http_access` once for the headers (we
 * allocate a struct request), then once per chunk of body (appended, up
 * to the limit), then once with no data: server_dispatch.c parses and
 * runs every call. If all calls finished, the answer is queued at once;
 * otherwise the connection is suspended and the last finishing call
 * resumes it, after which MHD calls `http_access` again and the stored
 * answer is queued. `http_completed` drops MHD's reference to the request.
 *
 * Hostile clients: MHD enforces the connection limits (in all, per
 * address; set in server.c) and the header size (its per-connection
 * memory); guard.c enforces a deadline per phase of a request, moved here
 * at each step (connection opened, request line seen, headers complete,
 * calls dispatched, answer queued, request completed). A declared length
 * over the limit or a Content-Encoding is answered at the headers (413,
 * 415) and MHD closes the connection without reading the body; a chunked
 * body is cut when it passes the limit (MHD 0.9 queues no answer in the
 * middle of a body, so that one gets none).
 */
#include "server_int.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const char *const SUBSYS = "rpc";

static enum MHD_Result send_answer(struct MHD_Connection *conn,
				   unsigned status, const char *body)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		body ? strlen(body) : 0, (void *)(body ? body : ""),
		MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/json");
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool peer_is_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static bool has_token(struct cl_rpc_server *s, struct MHD_Connection *conn)
{
	if (!s->token)
		return false;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	size_t n = strlen(s->token);
	return strlen(h) == n && cl_ct_equal(h, s->token, n);
}

/* The deadline slot of a connection (NULL if it has none). */
static struct guard_conn *conn_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result send_refusal(struct cl_rpc_server *s,
				    struct request *r)
{
	char msg[160];
	unsigned status;

	switch (r->refuse) {
	case REFUSE_SIZE:
		snprintf(msg, sizeof(msg),
			 "request body too large (limit %zu bytes)",
			 s->cfg.max_body);
		status = MHD_HTTP_CONTENT_TOO_LARGE;
		guard_event(s->guard, GUARD_EV_TOO_LARGE,
			    "refused a request body over %zu bytes (413)",
			    s->cfg.max_body);
		break;
	case REFUSE_ENCODING:
		snprintf(msg, sizeof(msg),
			 "Content-Encoding %s is not accepted: send the body "
			 "uncompressed",
			 r->encoding);
		status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		guard_event(s->guard, GUARD_EV_ENCODING,
			    "refused a body with Content-Encoding %s (415)",
			    r->encoding);
		break;
	case REFUSE_NONE:
	default:
		CL_BUG("no refusal to send");
	}
	char *e = request_whole_error(CL_RPC_INVALID_REQUEST, msg);
	guard_conn_phase(s->guard, r->gc, GUARD_SENDING);
	enum MHD_Result ret = send_answer(r->conn, status, e);
	free(e);
	return ret;
}

/* First call for a request: headers complete. */
static enum MHD_Result request_begin(struct cl_rpc_server *s,
				     struct MHD_Connection *conn,
				     const char *method, void **con_cls)
{
	struct guard_conn *gc = conn_slot(conn);

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		char *e = request_whole_error(CL_RPC_INVALID_REQUEST,
					      "use HTTP POST");
		guard_conn_phase(s->guard, gc, GUARD_SENDING);
		enum MHD_Result ret =
			send_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, e);
		free(e);
		return ret;
	}
	/* the reference is MHD's, dropped in http_completed */
	struct request *r = request_new(
		s, (s->cfg.operator_loopback && peer_is_loopback(conn)) ||
			   has_token(s, conn));
	r->conn = conn;
	r->gc = gc;
	*con_cls = r;
	guard_conn_phase(s->guard, gc, GUARD_BODY);

	const char *enc = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (enc && strcasecmp(enc, "identity") != 0) {
		r->refuse = REFUSE_ENCODING;
		snprintf(r->encoding, sizeof(r->encoding), "%.24s", enc);
		for (char *p = r->encoding; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
	}
	const char *cl = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t declared;
	bool has_len = cl && cl_parse_u64(&declared, cl, strlen(cl));
	if (has_len && declared > s->cfg.max_body && !r->refuse)
		r->refuse = REFUSE_SIZE;
	/* refused at the headers: answer now, before any byte of the body
	 * is read; MHD closes the connection after the answer, since the
	 * body was not read */
	if (r->refuse)
		return send_refusal(s, r);
	return MHD_YES;
}

enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
			    const char *url, const char *method,
			    const char *version, const char *upload,
			    size_t *upload_size, void **con_cls)
{
	struct cl_rpc_server *s = cls;
	struct request *r = *con_cls;

	(void)url;
	(void)version;
	if (!r)
		return request_begin(s, conn, method, con_cls);

	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->refuse)
			return MHD_NO; /* refused at the headers: close */
		if (r->body.len + n <= s->cfg.max_body) {
			cl_buf_append(&r->body, upload, n);
			return MHD_YES;
		}
		/* a chunked body (a declared length over the limit was
		 * refused at the headers) that just passed the limit: close
		 * now, reading nothing more. No answer: the HTTP library
		 * queues one only before the body or after all of it. */
		guard_event(s->guard, GUARD_EV_BODY_CUT,
			    "closed a connection sending a chunked body over "
			    "%zu bytes",
			    s->cfg.max_body);
		return MHD_NO;
	}

	if (r->refuse)
		return MHD_NO; /* its answer was queued at the headers */
	if (!r->dispatched) {
		guard_conn_phase(s->guard, r->gc, GUARD_WORKING);
		request_dispatch(r);
	}
	pthread_mutex_lock(&r->lock);
	bool ready = r->answer_ready;
	pthread_mutex_unlock(&r->lock);
	if (!ready)
		return MHD_YES; /* suspended; called again after resume */
	guard_conn_phase(s->guard, r->gc, GUARD_SENDING);
	return send_answer(conn, r->status, r->answer);
}

void http_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct cl_rpc_server *s = cls;
	struct request *r = *con_cls;

	/* next: the connection waits for its next request (if kept) */
	guard_conn_phase(s->guard, conn_slot(conn), GUARD_IDLE);
	(void)toe;
	if (!r)
		return;
	*con_cls = NULL;
	request_unref(r);
}

/* The request line has arrived: the headers' deadline starts. The value
 * returned becomes the request's context, which must stay NULL until
 * http_access allocates it. */
void *http_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct cl_rpc_server *s = cls;
	guard_conn_phase(s->guard, conn_slot(conn), GUARD_HEADERS);
	(void)uri;
	return NULL;
}

void http_notify_conn(void *cls, struct MHD_Connection *conn,
			   void **socket_context,
			   enum MHD_ConnectionNotificationCode code)
{
	struct cl_rpc_server *s = cls;

	switch (code) {
	case MHD_CONNECTION_NOTIFY_STARTED: {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
			ci ? guard_conn_open(s->guard, ci->connect_fd) : NULL;
		break;
	}
	case MHD_CONNECTION_NOTIFY_CLOSED:
		guard_conn_close(s->guard, *socket_context);
		*socket_context = NULL;
		break;
	default:
		break;
	}
}

/* MHD's messages: the ones hostile traffic causes are counted and logged
 * at a bounded rate; the rest go to the debug log. */
void http_log(void *cls, const char *fmt, va_list ap)
{
	struct cl_rpc_server *s = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (strstr(msg, "reached connection limit")) {
		struct cl_rpc_stats st;
		guard_stats(s->guard, &st);
		guard_event(s->guard, GUARD_EV_REFUSED,
			    "refused a connection: %" PRIu64 " open, limits "
			    "rpc-max-conns %u, rpc-max-conns-per-ip %u",
			    st.open, s->max_conns, s->cfg.max_conns_per_ip);
	} else if (strstr(msg, "resource limit") ||
		   strstr(msg, "Too many open files")) {
		guard_event(s->guard, GUARD_EV_NOFD,
			    "cannot accept a connection: %s", msg);
	} else {
		cl_debug(SUBSYS, "http: %s", msg);
	}
}
