/* SPDX-License-Identifier: MIT */
/*
 * One JSON-RPC request body, whatever carried it (HTTP in server_http.c,
 * the WebSocket endpoint through cl_rpc_server_call, tests through
 * cl_rpc_run_body): the limits checked before and while parsing (nesting
 * depth on the raw text, batch length, the call rate of the client
 * address), each call validated and run through the method table, and
 * the reply functions a handler must finish through.
 *
 * A request is reference counted: one reference for its carrier (MHD's,
 * dropped when the library completes the request) and one per unfinished
 * call. When the last call finishes, the answer is built; a connection
 * suspended while calls were pending is resumed, after which the HTTP
 * side queues the stored answer.
 */
#include "server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void request_answer_locked(struct request *r);

/* The text of a response object: {"jsonrpc":"2.0","<key>":<val>,"id":<id>}
 * (the members in the order the server always wrote them). */
static char *response_text(const char *key, const char *val, size_t val_len,
			   const char *id, size_t *out_len)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"";
	static const char mid[] = "\":";
	static const char tail[] = ",\"id\":";
	size_t key_len = strlen(key), id_len = strlen(id);
	size_t n = sizeof(head) - 1 + key_len + sizeof(mid) - 1 + val_len +
		   sizeof(tail) - 1 + id_len + 1;
	char *t = cl_xmalloc(n + 1), *p = t;

	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	memcpy(p, key, key_len);
	p += key_len;
	memcpy(p, mid, sizeof(mid) - 1);
	p += sizeof(mid) - 1;
	memcpy(p, val, val_len);
	p += val_len;
	memcpy(p, tail, sizeof(tail) - 1);
	p += sizeof(tail) - 1;
	memcpy(p, id, id_len);
	p += id_len;
	*p++ = '}';
	*p = '\0';
	*out_len = n;
	return t;
}

/* Finish `call` with its reply member `key` ("result" or "error") whose
 * value is the JSON text `val` (taken). The response is written here,
 * outside the request's lock, on the thread that finishes the call. */
static struct cl_rpc_done finish_text(struct cl_rpc_call *call,
				      const char *key, char *val)
{
	struct request *r = call->req;
	char *reply = NULL;
	size_t reply_len = 0;
	bool last;

	if (call->id) /* notifications get no answer */
		reply = response_text(key, val, strlen(val), call->id,
				      &reply_len);
	free(val);
	pthread_mutex_lock(&r->lock);
	CL_REQUIRE(!call->finished);
	call->finished = true;
	call->reply = reply;
	call->reply_len = reply_len;
	CL_REQUIRE(r->pending > 0);
	last = --r->pending == 0;
	if (last && r->dispatched)
		request_answer_locked(r);
	pthread_mutex_unlock(&r->lock);
	request_unref(r);
	return (struct cl_rpc_done){call};
}

static struct cl_rpc_done finish(struct cl_rpc_call *call, const char *key,
				 json_t *val)
{
	char *text = call->id ? cl_json_dump(val) : NULL;
	json_decref(val);
	return finish_text(call, key, text);
}

struct cl_rpc_done cl_rpc_result(struct cl_rpc_call *call, json_t *result)
{
	return finish(call, "result", result ? result : json_null());
}

struct cl_rpc_done cl_rpc_result_text(struct cl_rpc_call *call, char *text)
{
	return finish_text(call, "result", text);
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

char *request_whole_error(int code, const char *msg)
{
	json_t *o = json_object(), *e = json_object();
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
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

struct request *request_new(struct cl_rpc_server *s, bool is_operator)
{
	struct request *r = cl_xcalloc(1, sizeof(*r));

	r->srv = s;
	pthread_mutex_lock(&s->active_lock);
	s->active++;
	pthread_mutex_unlock(&s->active_lock);
	r->refs = 1;
	r->is_operator = is_operator;
	pthread_mutex_init(&r->lock, NULL);
	cl_buf_init(&r->body);
	return r;
}

static void request_free(struct request *r)
{
	struct cl_rpc_server *srv = r->srv;
	pthread_mutex_lock(&srv->active_lock);
	if (--srv->active == 0)
		pthread_cond_broadcast(&srv->active_cond);
	pthread_mutex_unlock(&srv->active_lock);
	for (size_t i = 0; i < r->n_calls; i++) {
		free(r->calls[i].id);
		free(r->calls[i].reply);
	}
	free(r->calls);
	json_decref(r->parsed);
	free(r->answer);
	cl_buf_release(&r->body);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void request_unref(struct request *r)
{
	pthread_mutex_lock(&r->lock);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		request_free(r);
}

/* All calls finished: build the HTTP body; resume if suspended. A batch's
 * body is its replies' texts in order, joined as an array; a single
 * call's is its reply, taken as it is. */
static void request_answer_locked(struct request *r)
{
	size_t replies = 0, bytes = 2;

	for (size_t i = 0; i < r->n_calls; i++) {
		if (!r->calls[i].reply)
			continue;
		replies++;
		bytes += r->calls[i].reply_len + 1;
	}
	r->status = MHD_HTTP_OK;
	if (replies == 0) {
		r->answer = NULL;
		r->status = MHD_HTTP_NO_CONTENT;
	} else if (r->batch) {
		char *a = cl_xmalloc(bytes + 1), *p = a;
		*p++ = '[';
		for (size_t i = 0; i < r->n_calls; i++) {
			struct cl_rpc_call *c = &r->calls[i];
			if (!c->reply)
				continue;
			if (p != a + 1)
				*p++ = ',';
			memcpy(p, c->reply, c->reply_len);
			p += c->reply_len;
		}
		*p++ = ']';
		*p = '\0';
		r->answer = a;
	} else {
		for (size_t i = 0; i < r->n_calls && !r->answer; i++) {
			r->answer = r->calls[i].reply;
			r->calls[i].reply = NULL;
		}
	}
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

const struct sockaddr *cl_rpc_call_peer(const struct cl_rpc_call *call)
{
	struct MHD_Connection *conn = call->req ? call->req->conn : NULL;
	return conn ? client_addr(conn) : NULL;
}

/* Parse the body and run every call. Called once, on an MHD thread. */
void request_dispatch(struct request *r)
{
	struct cl_rpc_server *s = r->srv;
	unsigned status = MHD_HTTP_OK;

	/* one call's worth before parsing, so a flood costs no parsing */
	if (s->rate && r->conn &&
	    !ratelimit_take(s->rate, client_addr(r->conn), 1))
		goto limited;

	if (json_depth(r->body.p, r->body.len, s->cfg.max_depth) >
	    s->cfg.max_depth) {
		r->answer = request_whole_error(CL_RPC_INVALID_REQUEST,
					"request nesting too deep");
		goto whole;
	}
	/* cl_rpc_server_call_parsed: parsed already (cl_json_load too) */
	if (!r->parsed)
		r->parsed = cl_json_load((const char *)r->body.p,
					 r->body.len, NULL, 0);
	if (!r->parsed) {
		r->answer = request_whole_error(CL_RPC_PARSE_ERROR, "parse error");
		goto whole;
	}
	size_t n_calls = 1;
	if (json_is_array(r->parsed)) {
		r->batch = true;
		n_calls = json_array_size(r->parsed);
		if (n_calls == 0) {
			r->answer = request_whole_error(CL_RPC_INVALID_REQUEST,
						"empty batch");
			goto whole;
		}
		if (n_calls > s->cfg.max_batch) {
			char msg[80];
			snprintf(msg, sizeof(msg),
				 "batch too long: %zu calls, limit %u",
				 n_calls, s->cfg.max_batch);
			r->answer = request_whole_error(CL_RPC_INVALID_REQUEST, msg);
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
			/* an invalid request always gets an answer; an id
			 * that is not a string, an integer or null is
			 * answered as null */
			call->id = cl_xstrdup("null");
			if (id && (json_is_string(id) || json_is_integer(id))) {
				free(call->id);
				call->id = cl_json_dump(id);
			}
			cl_rpc_error(call, CL_RPC_INVALID_REQUEST, "%s", why);
			continue;
		}
		call->id = id ? cl_json_dump(id) : NULL;
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

	/* every call has its id as text and its arguments read: the document
	 * is freed here, on the thread that parsed it (or its worker) */
	json_decref(r->parsed);
	r->parsed = NULL;
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
	r->answer = request_whole_error(CL_RPC_LIMIT_EXCEEDED, msg);
	status = MHD_HTTP_TOO_MANY_REQUESTS;
	guard_event(s->guard, GUARD_EV_RATE, "refused a request: %s", msg);
}
whole:
	r->status = status;
	r->answer_ready = true;
	r->dispatched = true;
}

void cl_rpc_server_call(struct cl_rpc_server *s, const uint8_t *body,
			size_t len, bool is_operator, cl_rpc_answer_fn fn,
			void *arg)
{
	cl_rpc_server_call_parsed(s, body, len, NULL, is_operator, fn, arg);
}

void cl_rpc_server_call_parsed(struct cl_rpc_server *s, const uint8_t *body,
			       size_t len, json_t *doc, bool is_operator,
			       cl_rpc_answer_fn fn, void *arg)
{
	/* our reference, dropped below */
	struct request *r = request_new(s, is_operator);

	r->parsed = doc ? json_incref(doc) : NULL;
	r->on_answer = fn;
	r->on_answer_arg = arg;
	cl_buf_append(&r->body, body, len);
	request_dispatch(r);
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

	r = request_new(&s, is_operator);
	cl_buf_append(&r->body, body, len);
	request_dispatch(r);
	CL_REQUIRE(r->answer_ready);
	answer = r->answer;
	r->answer = NULL;
	request_unref(r);
	pthread_mutex_destroy(&s.active_lock);
	pthread_cond_destroy(&s.active_cond);
	return answer;
}
