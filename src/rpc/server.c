/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC 2.0 server: libmicrohttpd with a worker thread pool and
 * suspend/resume, so a call can wait for its block without holding a
 * thread.
 *
 * Life of a request: MHD calls `access` once for the headers (we allocate
 * a struct request), then once per chunk of body (appended, up to the
 * limit), then once with no data: we parse and dispatch every call. If all
 * calls finished, the answer is queued at once; otherwise the connection
 * is suspended and the last finishing call resumes it, after which MHD
 * calls `access` again and the stored answer is queued. `completed` frees
 * the request when MHD is done with it and no call still points at it.
 *
 * Hostile clients: MHD enforces the connection limits (in all, per
 * address) and the header size (its per-connection memory); guard.c
 * enforces a deadline per phase of a request, moved here at each step
 * (connection opened, request line seen, headers complete, calls
 * dispatched, answer queued, request completed). A declared length over
 * the limit or a Content-Encoding is answered at the headers (413, 415)
 * and MHD closes the connection without reading the body; a chunked body
 * is cut when it passes the limit (MHD 0.9 queues no answer in the middle
 * of a body, so that one gets none).
 */
#include <clearline/rpc.h>

#include "guard.h"
#include "ratelimit.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct cl_rpc_server {
	struct MHD_Daemon *mhd;
	struct cl_rpc_config cfg;
	char *token;
	const struct cl_rpc_method *methods;
	size_t n_methods;
	void *app;
	uint16_t port;
	struct guard *guard;
	struct ratelimit *rate; /* NULL: no call rate limit */
	unsigned rate_burst;
	unsigned max_conns; /* in force, after the open-file limit */
	/* requests alive (for a clean drain at shutdown) */
	pthread_mutex_t active_lock;
	pthread_cond_t active_cond;
	unsigned long active;
};

struct request;

struct cl_rpc_call {
	struct request *req;
	json_t *id;    /* borrowed from the parsed request; NULL: notification */
	json_t *reply; /* the response object once finished */
	bool finished;
	bool is_operator;
};

enum refusal {
	REFUSE_NONE = 0,
	REFUSE_SIZE = 1,     /* 413 */
	REFUSE_ENCODING = 2, /* 415 */
};

struct request {
	struct cl_rpc_server *srv;
	struct MHD_Connection *conn;
	struct guard_conn *gc; /* the connection's deadline slot */
	struct cl_buf body;
	enum refusal refuse;  /* answered with an error, the body unread */
	char encoding[32];    /* the refused Content-Encoding */
	bool dispatched;
	bool suspended;
	bool is_operator;

	pthread_mutex_t lock;
	unsigned refs;     /* MHD's + one per unfinished call */
	unsigned pending;  /* unfinished calls */
	json_t *parsed;    /* the whole request document */
	bool batch;
	struct cl_rpc_call *calls;
	size_t n_calls;
	char *answer;      /* NULL with answer_ready: 204 */
	unsigned status;
	bool answer_ready;
	/* cl_rpc_server_call: the answer goes here instead of to HTTP */
	cl_rpc_answer_fn on_answer;
	void *on_answer_arg;
};

static const char *const SUBSYS = "rpc";

void cl_rpc_config_defaults(struct cl_rpc_config *cfg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_addr = "127.0.0.1";
	cfg->max_body = 1u << 20;
	cfg->max_depth = 32;
	cfg->max_batch = 100;
	cfg->max_conns = 1024;
	cfg->max_conns_per_ip = 256;
	cfg->idle_timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 30;
	cfg->send_timeout_s = 30;
	/* more workers than cores: a connection that keeps its worker busy
	 * (a long batch, a body being read) delays only the connections
	 * sharing that worker, and the kernel shares the cores between
	 * workers (docs/operations.md "Measured") */
	cores = cores > 0 ? cores : 2;
	cfg->threads = (unsigned)(cores * 4 < 4 ? 4 : cores * 4 > 16 ? 16
								 : cores * 4);
	cfg->operator_loopback = true;
}

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

static void request_unref(struct request *r);
static void request_answer_locked(struct request *r);

static json_t *envelope(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	return o;
}

/* Finish `call` with a ready reply object member ("result" or "error"). */
static struct cl_rpc_done finish(struct cl_rpc_call *call, const char *key,
				 json_t *val)
{
	struct request *r = call->req;
	bool last;

	pthread_mutex_lock(&r->lock);
	CL_REQUIRE(!call->finished);
	call->finished = true;
	if (call->id) {
		json_t *o = envelope();
		json_object_set_new(o, key, val);
		json_object_set(o, "id", call->id);
		call->reply = o;
	} else {
		json_decref(val); /* notifications get no answer */
	}
	CL_REQUIRE(r->pending > 0);
	last = --r->pending == 0;
	if (last && r->dispatched)
		request_answer_locked(r);
	pthread_mutex_unlock(&r->lock);
	request_unref(r);
	return (struct cl_rpc_done){call};
}

struct cl_rpc_done cl_rpc_result(struct cl_rpc_call *call, json_t *result)
{
	return finish(call, "result", result ? result : json_null());
}

static json_t *error_object(int code, json_t *data, const char *fmt,
			    va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_t *e = json_object();
	json_object_set_new(e, "code", json_integer(code));
	/* the message may quote a client's text cut inside a UTF-8
	 * character ("%.64s" of a method name): never lose it */
	json_object_set_new(e, "message", cl_json_from_text(msg));
	if (data)
		json_object_set_new(e, "data", data);
	return e;
}

struct cl_rpc_done cl_rpc_error(struct cl_rpc_call *call, int code,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *e = error_object(code, NULL, fmt, ap);
	va_end(ap);
	return finish(call, "error", e);
}

struct cl_rpc_done cl_rpc_error_data(struct cl_rpc_call *call, int code,
				     json_t *data, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *e = error_object(code, data, fmt, ap);
	va_end(ap);
	return finish(call, "error", e);
}

struct cl_rpc_done cl_rpc_pending(struct cl_rpc_call *call)
{
	return (struct cl_rpc_done){call};
}

bool cl_rpc_call_stats(const struct cl_rpc_call *call,
		       struct cl_rpc_stats *out)
{
	struct cl_rpc_server *s = call->req->srv;
	if (!s->guard) { /* cl_rpc_run_body: no server */
		memset(out, 0, sizeof(*out));
		return false;
	}
	cl_rpc_server_stats(s, out);
	return true;
}

bool cl_rpc_call_is_operator(const struct cl_rpc_call *call)
{
	return call->is_operator;
}

/* A reply to a malformed request as a whole (id null). */
static char *whole_error(int code, const char *msg)
{
	json_t *o = envelope(), *e = json_object();
	json_object_set_new(e, "code", json_integer(code));
	/* the message may quote a client's text cut inside a UTF-8
	 * character ("%.64s" of a method name): never lose it */
	json_object_set_new(e, "message", cl_json_from_text(msg));
	json_object_set_new(o, "error", e);
	json_object_set_new(o, "id", json_null());
	char *s = cl_json_dump(o);
	json_decref(o);
	return s;
}

/* ------------------------------------------------------------------ */
/* Request life cycle                                                  */
/* ------------------------------------------------------------------ */

static void request_free(struct request *r)
{
	struct cl_rpc_server *srv = r->srv;
	pthread_mutex_lock(&srv->active_lock);
	if (--srv->active == 0)
		pthread_cond_broadcast(&srv->active_cond);
	pthread_mutex_unlock(&srv->active_lock);
	for (size_t i = 0; i < r->n_calls; i++)
		json_decref(r->calls[i].reply);
	free(r->calls);
	json_decref(r->parsed);
	free(r->answer);
	cl_buf_release(&r->body);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void request_unref(struct request *r)
{
	pthread_mutex_lock(&r->lock);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		request_free(r);
}

/* All calls finished: build the HTTP body; resume if suspended. */
static void request_answer_locked(struct request *r)
{
	json_t *arr = json_array();
	size_t replies = 0;

	for (size_t i = 0; i < r->n_calls; i++) {
		if (!r->calls[i].reply)
			continue;
		json_array_append(arr, r->calls[i].reply);
		replies++;
	}
	r->status = MHD_HTTP_OK;
	if (replies == 0) {
		r->answer = NULL;
		r->status = MHD_HTTP_NO_CONTENT;
	} else if (r->batch) {
		r->answer = cl_json_dump(arr);
	} else {
		r->answer = cl_json_dump(json_array_get(arr, 0));
	}
	json_decref(arr);
	r->answer_ready = true;
	if (r->on_answer) {
		r->on_answer(r->on_answer_arg, r->answer);
		r->answer = NULL;
		r->on_answer = NULL;
	}
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
	}
}

static const struct cl_rpc_method *find_method(const struct cl_rpc_server *s,
					       const char *name)
{
	for (size_t i = 0; i < s->n_methods; i++)
		if (strcmp(s->methods[i].name, name) == 0)
			return &s->methods[i];
	return NULL;
}

/* Deepest nesting of arrays/objects in raw JSON text (strings skipped). */
static unsigned json_depth(const uint8_t *p, size_t len, unsigned limit)
{
	unsigned depth = 0, max = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
			if (max > limit)
				return max;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

/* Validate one call object; NULL when fine, else the reason. */
static const char *check_call(json_t *c, json_t **id, json_t **params,
			      const char **method)
{
	*id = NULL;
	*params = NULL;
	*method = NULL;
	if (!json_is_object(c))
		return "a call must be an object";
	json_t *v = json_object_get(c, "jsonrpc");
	json_t *m = json_object_get(c, "method");
	json_t *i = json_object_get(c, "id");
	json_t *p = json_object_get(c, "params");
	if (i && !json_is_string(i) && !json_is_integer(i) && !json_is_null(i))
		return "id must be a string, an integer or null";
	*id = i;
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		return "jsonrpc must be \"2.0\"";
	if (!json_is_string(m))
		return "method must be a string";
	if (p && !json_is_array(p) && !json_is_object(p))
		return "params must be an array or an object";
	const char *key;
	json_t *val;
	json_object_foreach(c, key, val) {
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") &&
		    strcmp(key, "id") && strcmp(key, "params"))
			return "unknown member in call";
	}
	*method = json_string_value(m);
	*params = p;
	return NULL;
}

static const struct sockaddr *client_addr(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci ? ci->client_addr : NULL;
}

/* Parse the body and run every call. Called once, on an MHD thread. */
static void dispatch(struct request *r)
{
	struct cl_rpc_server *s = r->srv;
	json_error_t jerr;
	unsigned status = MHD_HTTP_OK;

	/* one call's worth before parsing, so a flood costs no parsing */
	if (s->rate && r->conn &&
	    !ratelimit_take(s->rate, client_addr(r->conn), 1))
		goto limited;

	if (json_depth(r->body.p, r->body.len, s->cfg.max_depth) >
	    s->cfg.max_depth) {
		r->answer = whole_error(CL_RPC_INVALID_REQUEST,
					"request nesting too deep");
		goto whole;
	}
	r->parsed = json_loadb((const char *)r->body.p, r->body.len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!r->parsed) {
		r->answer = whole_error(CL_RPC_PARSE_ERROR, "parse error");
		goto whole;
	}
	size_t n_calls = 1;
	if (json_is_array(r->parsed)) {
		r->batch = true;
		n_calls = json_array_size(r->parsed);
		if (n_calls == 0) {
			r->answer = whole_error(CL_RPC_INVALID_REQUEST,
						"empty batch");
			goto whole;
		}
		if (n_calls > s->cfg.max_batch) {
			char msg[80];
			snprintf(msg, sizeof(msg),
				 "batch too long: %zu calls, limit %u",
				 n_calls, s->cfg.max_batch);
			r->answer = whole_error(CL_RPC_INVALID_REQUEST, msg);
			goto whole;
		}
		if (s->rate && r->conn &&
		    !ratelimit_take(s->rate, client_addr(r->conn),
				    (unsigned)n_calls - 1))
			goto limited;
	}

	r->n_calls = n_calls;
	r->calls = cl_xcalloc(r->n_calls, sizeof(*r->calls));
	pthread_mutex_lock(&r->lock);
	r->pending = (unsigned)r->n_calls;
	r->refs += (unsigned)r->n_calls;
	pthread_mutex_unlock(&r->lock);

	for (size_t i = 0; i < r->n_calls; i++) {
		struct cl_rpc_call *call = &r->calls[i];
		json_t *c = r->batch ? json_array_get(r->parsed, i) : r->parsed;
		json_t *id, *params;
		const char *mname;
		const char *why = check_call(c, &id, &params, &mname);

		call->req = r;
		call->is_operator = r->is_operator;
		if (why) {
			/* an invalid request always gets an answer */
			call->id = id ? id : json_null();
			cl_rpc_error(call, CL_RPC_INVALID_REQUEST, "%s", why);
			continue;
		}
		call->id = id;
		const struct cl_rpc_method *m = find_method(s, mname);
		if (!m) {
			cl_rpc_error(call, CL_RPC_METHOD_NOT_FOUND,
				     "method not found: %.64s", mname);
			continue;
		}
		if ((m->flags & CL_RPC_OPERATOR) && !r->is_operator) {
			cl_rpc_error(call, CL_RPC_METHOD_NOT_FOUND,
				     "method %s is for operators only "
				     "(loopback or token)",
				     m->name);
			continue;
		}
		json_t *args = params ? params : json_array();
		struct cl_rpc_done done = m->fn(call, args, s->app);
		if (!params)
			json_decref(args);
		CL_REQUIRE(done.call == call);
	}

	pthread_mutex_lock(&r->lock);
	r->dispatched = true;
	if (r->pending == 0 && !r->answer_ready)
		request_answer_locked(r);
	if (!r->answer_ready && !r->on_answer) {
		CL_REQUIRE(r->conn); /* cl_rpc_run_body: no call may pend */
		r->suspended = true;
		MHD_suspend_connection(r->conn);
	}
	pthread_mutex_unlock(&r->lock);
	return;
limited: {
	char msg[128];
	snprintf(msg, sizeof(msg),
		 "rate limit: at most %u calls a second from one address "
		 "(bursts of %u)",
		 s->cfg.rate_per_ip, s->rate_burst);
	r->answer = whole_error(CL_RPC_LIMIT_EXCEEDED, msg);
	status = MHD_HTTP_TOO_MANY_REQUESTS;
	guard_event(s->guard, GUARD_EV_RATE, "refused a request: %s", msg);
}
whole:
	r->status = status;
	r->answer_ready = true;
	r->dispatched = true;
}

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
	char *e = whole_error(CL_RPC_INVALID_REQUEST, msg);
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
		char *e = whole_error(CL_RPC_INVALID_REQUEST, "use HTTP POST");
		guard_conn_phase(s->guard, gc, GUARD_SENDING);
		enum MHD_Result ret =
			send_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, e);
		free(e);
		return ret;
	}
	struct request *r = cl_xcalloc(1, sizeof(*r));
	r->srv = s;
	pthread_mutex_lock(&s->active_lock);
	s->active++;
	pthread_mutex_unlock(&s->active_lock);
	r->conn = conn;
	r->gc = gc;
	r->refs = 1; /* MHD's, dropped in completed_cb */
	pthread_mutex_init(&r->lock, NULL);
	cl_buf_init(&r->body);
	r->is_operator =
		(s->cfg.operator_loopback && peer_is_loopback(conn)) ||
		has_token(s, conn);
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

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
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
		dispatch(r);
	}
	pthread_mutex_lock(&r->lock);
	bool ready = r->answer_ready;
	pthread_mutex_unlock(&r->lock);
	if (!ready)
		return MHD_YES; /* suspended; called again after resume */
	guard_conn_phase(s->guard, r->gc, GUARD_SENDING);
	return send_answer(conn, r->status, r->answer);
}

static void completed_cb(void *cls, struct MHD_Connection *conn,
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
 * access_cb allocates it. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct cl_rpc_server *s = cls;
	guard_conn_phase(s->guard, conn_slot(conn), GUARD_HEADERS);
	(void)uri;
	return NULL;
}

static void notify_conn_cb(void *cls, struct MHD_Connection *conn,
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
static void mhd_log(void *cls, const char *fmt, va_list ap)
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

/* Descriptors kept out of the connection budget: the database, the L1
 * connections, logs, MHD's own (listen socket, epoll and wake-up
 * descriptors per worker). */
#define FD_RESERVE 64u
/* Fewest connections worth serving. */
#define MIN_CONNS 8u

int cl_rpc_server_new(struct cl_rpc_server **out,
		      const struct cl_rpc_config *cfg,
		      const struct cl_rpc_method *methods, size_t n, void *app)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	*out = NULL;
	if (cfg->max_body == 0 || cfg->max_batch == 0 || cfg->max_depth == 0 ||
	    cfg->max_conns == 0 || cfg->threads == 0 || cfg->threads > 256 ||
	    cfg->idle_timeout_s == 0 || cfg->header_timeout_s == 0 ||
	    cfg->body_timeout_s == 0 || cfg->send_timeout_s == 0) {
		cl_broken(SUBSYS, "rpc limits must be positive");
		return CL_ERR_CONFIG;
	}
	memset(&ss, 0, sizeof(ss));
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->port);
		sslen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->port);
		sslen = sizeof(*in6);
	} else {
		cl_unusual(SUBSYS, "bad rpc bind address '%s' (give an IPv4 or "
			   "IPv6 literal)", addr);
		return CL_ERR_CONFIG;
	}
	(void)sslen;

	unsigned max_conns = guard_fd_budget(cfg->max_conns, FD_RESERVE,
					     MIN_CONNS);
	if (max_conns == 0) {
		cl_unusual(SUBSYS, "raise the open-file limit (ulimit -n) to "
			   "at least %u to serve JSON-RPC",
			   FD_RESERVE + MIN_CONNS);
		return CL_ERR_CONFIG;
	}
	/* MHD splits the limit between its workers */
	if (max_conns < cfg->threads)
		max_conns = cfg->threads;

	struct cl_rpc_server *s = cl_xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->cfg.bind_addr = NULL;
	s->token = cfg->operator_token && cfg->operator_token[0]
			   ? cl_xstrdup(cfg->operator_token)
			   : NULL;
	s->cfg.operator_token = NULL;
	s->methods = methods;
	s->n_methods = n;
	s->app = app;
	pthread_mutex_init(&s->active_lock, NULL);
	pthread_cond_init(&s->active_cond, NULL);
	s->max_conns = max_conns;
	struct guard_limits lim = {
		.idle_s = cfg->idle_timeout_s,
		.header_s = cfg->header_timeout_s,
		.body_s = cfg->body_timeout_s,
		.send_s = cfg->send_timeout_s,
		.max_conns = max_conns,
	};
	s->guard = guard_new(&lim);
	if (cfg->rate_per_ip) {
		s->rate_burst = cfg->rate_burst ? cfg->rate_burst
						: 2 * cfg->rate_per_ip;
		if (s->rate_burst < cfg->max_batch)
			s->rate_burst = cfg->max_batch;
		s->rate = ratelimit_new(cfg->rate_per_ip, s->rate_burst);
	}

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_EPOLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, access_cb, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
		MHD_OPTION_NOTIFY_CONNECTION, notify_conn_cb, s,
		MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
	if (!s->mhd) {
		cl_unusual(SUBSYS, "cannot listen on %s port %u (in use?)",
			   addr, cfg->port);
		free(s->token);
		guard_free(s->guard);
		ratelimit_free(s->rate);
		pthread_mutex_destroy(&s->active_lock);
		pthread_cond_destroy(&s->active_cond);
		free(s);
		return CL_ERR_NET;
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->port;
	cl_info(SUBSYS, "json-rpc listening on %s port %u (%u threads, at "
		"most %u connections, %u per address; deadlines: idle %u s, "
		"headers %u s, body %u s, send %u s; calls per second per "
		"address %u, bursts %u)",
		addr, s->port, cfg->threads, max_conns, cfg->max_conns_per_ip,
		cfg->idle_timeout_s, cfg->header_timeout_s,
		cfg->body_timeout_s, cfg->send_timeout_s, cfg->rate_per_ip,
		s->rate_burst);
	*out = s;
	return CL_OK;
}

void cl_rpc_server_stats(struct cl_rpc_server *s, struct cl_rpc_stats *out)
{
	guard_stats(s->guard, out);
	out->max_conns = s->max_conns;
}

uint16_t cl_rpc_server_port(const struct cl_rpc_server *s)
{
	return s->port;
}

void cl_rpc_server_quiesce(struct cl_rpc_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

bool cl_rpc_server_drain(struct cl_rpc_server *s, uint64_t timeout_ms)
{
	uint64_t deadline = cl_clock_mono_ns() + timeout_ms * 1000000u;
	bool done;

	pthread_mutex_lock(&s->active_lock);
	while (s->active > 0 && cl_clock_mono_ns() < deadline) {
		pthread_mutex_unlock(&s->active_lock);
		usleep(5000);
		pthread_mutex_lock(&s->active_lock);
	}
	done = s->active == 0;
	pthread_mutex_unlock(&s->active_lock);
	return done;
}

void cl_rpc_server_free(struct cl_rpc_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	guard_free(s->guard);
	ratelimit_free(s->rate);
	pthread_mutex_destroy(&s->active_lock);
	pthread_cond_destroy(&s->active_cond);
	if (s->token) {
		volatile char *t = s->token;
		for (size_t i = 0; t[i]; i++)
			t[i] = 0;
	}
	free(s->token);
	free(s);
}

void cl_rpc_server_call(struct cl_rpc_server *s, const uint8_t *body,
			size_t len, bool is_operator, cl_rpc_answer_fn fn,
			void *arg)
{
	struct request *r = cl_xcalloc(1, sizeof(*r));

	r->srv = s;
	pthread_mutex_lock(&s->active_lock);
	s->active++;
	pthread_mutex_unlock(&s->active_lock);
	r->refs = 1; /* ours, dropped below */
	r->is_operator = is_operator;
	r->on_answer = fn;
	r->on_answer_arg = arg;
	pthread_mutex_init(&r->lock, NULL);
	cl_buf_init(&r->body);
	cl_buf_append(&r->body, body, len);
	dispatch(r);
	pthread_mutex_lock(&r->lock);
	if (r->answer_ready && r->on_answer) {
		/* answered as a whole (parse error, limits) */
		r->on_answer(r->on_answer_arg, r->answer);
		r->answer = NULL;
		r->on_answer = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	request_unref(r);
}

char *cl_rpc_run_body(const struct cl_rpc_config *cfg,
		      const struct cl_rpc_method *methods, size_t n, void *app,
		      const uint8_t *body, size_t len, bool is_operator)
{
	struct cl_rpc_server s;
	struct request *r;
	char *answer;

	memset(&s, 0, sizeof(s));
	s.cfg = *cfg;
	s.methods = methods;
	s.n_methods = n;
	s.app = app;
	pthread_mutex_init(&s.active_lock, NULL);
	pthread_cond_init(&s.active_cond, NULL);
	s.active = 1;

	r = cl_xcalloc(1, sizeof(*r));
	r->srv = &s;
	r->refs = 1;
	r->is_operator = is_operator;
	pthread_mutex_init(&r->lock, NULL);
	cl_buf_init(&r->body);
	cl_buf_append(&r->body, body, len);
	dispatch(r);
	CL_REQUIRE(r->answer_ready);
	answer = r->answer;
	r->answer = NULL;
	request_unref(r);
	pthread_mutex_destroy(&s.active_lock);
	pthread_cond_destroy(&s.active_cond);
	return answer;
}
