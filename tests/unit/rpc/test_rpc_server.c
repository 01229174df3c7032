/* SPDX-License-Identifier: MIT */
/* The JSON-RPC server over real HTTP on loopback: every standard error,
 * batches, notifications, limits, parked calls finished from another
 * thread, and operator-only methods. */
#include "test.h"

#include <curl/curl.h>
#include <pthread.h>
#include <unistd.h>

#include <clearline/rpc.h>

/* ---- methods ---- */

static struct cl_rpc_done m_echo(struct cl_rpc_call *c, json_t *params,
				 void *app)
{
	return cl_rpc_result(c, json_incref(params));
}

static struct cl_rpc_done m_add(struct cl_rpc_call *c, json_t *params,
				void *app)
{
	uint64_t a, b, s;
	if (!json_is_array(params) || json_array_size(params) != 2 ||
	    !cl_json_u64(&a, json_array_get(params, 0)) ||
	    !cl_json_u64(&b, json_array_get(params, 1)))
		return cl_rpc_error(c, CL_RPC_INVALID_PARAMS,
				    "expected two decimal strings");
	if (!cl_add_u64(&s, a, b))
		return cl_rpc_error(c, 1001, "overflow");
	return cl_rpc_result(c, cl_json_from_u64(s));
}

static void *finish_later(void *arg)
{
	usleep(50000);
	cl_rpc_result(arg, json_string("later"));
	return NULL;
}

static struct cl_rpc_done m_later(struct cl_rpc_call *c, json_t *params,
				  void *app)
{
	pthread_t t;
	pthread_create(&t, NULL, finish_later, c);
	pthread_detach(t);
	return cl_rpc_pending(c);
}

static struct cl_rpc_done m_op(struct cl_rpc_call *c, json_t *params,
			       void *app)
{
	return cl_rpc_result(c, json_string("operator"));
}

/* A result written as text already (the answers of writes). */
static struct cl_rpc_done m_text(struct cl_rpc_call *c, json_t *params,
				 void *app)
{
	return cl_rpc_result_text(c, cl_xstrdup("{\"a\":[1,\"x\"],\"b\":null}"));
}

static const struct cl_rpc_method methods[] = {
	{"echo", m_echo, 0},
	{"add", m_add, 0},
	{"later", m_later, 0},
	{"op", m_op, CL_RPC_OPERATOR},
	{"text", m_text, 0},
};

/* ---- client ---- */

struct resp {
	long status;
	struct cl_buf body;
};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	cl_buf_append(&((struct resp *)arg)->body, p, sz * n);
	return sz * n;
}

static uint16_t port;

/* The answer's exact bytes (NUL-ended, to free), or NULL for none. */
static char *post_raw(const char *body, size_t len, long *status,
		      const char *auth)
{
	CURL *h = curl_easy_init();
	struct resp r = {0};
	char url[64];
	struct curl_slist *hdr = NULL;

	cl_buf_init(&r.body);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (auth)
		hdr = curl_slist_append(hdr, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	CURLcode rc = curl_easy_perform(h);
	CHECK_MSG(rc == CURLE_OK, "curl: %s", curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	char *text = NULL;
	if (r.body.len) {
		text = cl_xmalloc(r.body.len + 1);
		memcpy(text, r.body.p, r.body.len);
		text[r.body.len] = '\0';
	}
	cl_buf_release(&r.body);
	return text;
}

static json_t *post(const char *body, size_t len, long *status,
		    const char *auth)
{
	char *text = post_raw(body, len, status, auth);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return j;
}

static void check_text(const char *body, const char *want)
{
	long st;
	char *got = post_raw(body, strlen(body), &st, NULL);
	CHECK_MSG(got && strcmp(got, want) == 0, "%s\n  got  %s\n  want %s",
		  body, got ? got : "(nothing)", want);
	free(got);
}

static json_t *call(const char *body, long *status)
{
	return post(body, strlen(body), status, NULL);
}

static int err_code(json_t *j)
{
	return (int)json_integer_value(
		json_object_get(json_object_get(j, "error"), "code"));
}

static void check_error(const char *body, int code)
{
	long st;
	json_t *j = call(body, &st);
	CHECK_MSG(j && err_code(j) == code, "%s -> want %d", body, code);
	CHECK(json_is_null(json_object_get(j, "id")) ||
	      json_object_get(j, "id"));
	json_decref(j);
}

int main(void)
{
	struct cl_rpc_config cfg;
	struct cl_rpc_server *srv;
	long st;
	json_t *j;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	cl_rpc_config_defaults(&cfg);
	cfg.max_body = 4096;
	cfg.max_batch = 5;
	cfg.max_depth = 8;
	cfg.threads = 2;
	CHECK(cl_rpc_server_new(&srv, &cfg, methods, 5, NULL) == CL_OK);
	port = cl_rpc_server_port(srv);
	CHECK(port != 0);

	/* a plain call, 64-bit numbers as decimal strings */
	j = call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":"
		 "[\"18446744073709551614\",\"1\"],\"id\":7}", &st);
	CHECK(st == 200);
	CHECK(strcmp(json_string_value(json_object_get(j, "result")),
		     "18446744073709551615") == 0);
	CHECK(json_integer_value(json_object_get(j, "id")) == 7);
	json_decref(j);

	/* the standard errors */
	check_error("{not json", CL_RPC_PARSE_ERROR);
	check_error("", CL_RPC_PARSE_ERROR);
	check_error("42", CL_RPC_INVALID_REQUEST);
	check_error("[]", CL_RPC_INVALID_REQUEST);

	/* "method not found: %.64s" cuts a 63-byte name and a two-byte
	 * character in two: the answer still has its message (every error
	 * does; found by fuzz-ws's twin in src/ws/proto.c) */
	{
		char body[256], name[80];
		memset(name, 'm', 63);
		strcpy(name + 63, "\u00e9");
		snprintf(body, sizeof(body),
			 "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"id\":3}",
			 name);
		j = call(body, &st);
		CHECK(j && err_code(j) == CL_RPC_METHOD_NOT_FOUND);
		json_t *e = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		CHECK_MSG(msg && strncmp(msg, "method not found: mmm", 21) == 0,
			  "message %s", msg ? msg : "(none)");
		json_decref(j);
	}
	check_error("{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}",
		    CL_RPC_INVALID_REQUEST);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}",
		    CL_RPC_INVALID_REQUEST);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":3,"
		    "\"id\":1}", CL_RPC_INVALID_REQUEST);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{}}",
		    CL_RPC_INVALID_REQUEST);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}",
		    CL_RPC_METHOD_NOT_FOUND);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":"
		    "[1,2],\"id\":1}", CL_RPC_INVALID_PARAMS);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":"
		    "[\"01\",\"2\"],\"id\":1}", CL_RPC_INVALID_PARAMS);
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":"
		    "[\"18446744073709551615\",\"1\"],\"id\":1}", 1001);
	/* duplicate keys are refused rather than silently picked */
	check_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"method\":"
		    "\"add\",\"id\":1}", CL_RPC_PARSE_ERROR);

	/* batch: mixed results, a notification gets no entry */
	j = call("[{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[\"1\","
		 "\"2\"],\"id\":\"a\"},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1]},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"b\"},"
		 "5]", &st);
	CHECK(json_is_array(j) && json_array_size(j) == 3);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(j, 0),
						       "result")), "3") == 0);
	CHECK(err_code(json_array_get(j, 1)) == CL_RPC_METHOD_NOT_FOUND);
	CHECK(err_code(json_array_get(j, 2)) == CL_RPC_INVALID_REQUEST);
	json_decref(j);

	/* the exact bytes: replies are kept as text and a batch's body is
	 * its replies joined in order; a result written as text goes out as
	 * it was written; an invalid call's id is repeated when it is a
	 * string, an integer or null, else answered as null */
	check_text("{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"id\":\"t1\"}",
		   "{\"jsonrpc\":\"2.0\",\"result\":{\"a\":[1,\"x\"],\"b\":null},"
		   "\"id\":\"t1\"}");
	check_text("[{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"id\":1},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"text\"},"
		   "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[\"1\","
		   "\"2\"],\"id\":null}]",
		   "[{\"jsonrpc\":\"2.0\",\"result\":{\"a\":[1,\"x\"],\"b\":null},"
		   "\"id\":1},{\"jsonrpc\":\"2.0\",\"result\":\"3\",\"id\":null}]");
	check_text("{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":\"q\\\"\"}",
		   "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
		   "\"jsonrpc must be \\\"2.0\\\"\"},\"id\":\"q\\\"\"}");
	check_text("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":[1]}",
		   "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
		   "\"id must be a string, an integer or null\"},\"id\":null}");

	/* only notifications: no body at all */
	j = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[]}", &st);
	CHECK(j == NULL && st == 204);

	/* limits */
	check_error("[1,2,3,4,5,6]", CL_RPC_INVALID_REQUEST); /* batch */
	check_error("[[[[[[[[[[1]]]]]]]]]]", CL_RPC_INVALID_REQUEST); /* depth */
	/* brackets inside strings do not count as nesting */
	j = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":"
		 "[\"[[[[[[[[[[[[\\\"[[[[\"],\"id\":2}", &st);
	CHECK(j && json_is_array(json_object_get(j, "result")));
	json_decref(j);
	char big[6000];
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}", 40);
	j = post(big, sizeof(big), &st, NULL);
	CHECK(st == 413 && err_code(j) == CL_RPC_INVALID_REQUEST);
	json_decref(j);

	/* a parked call, finished from another thread; several at once */
	j = call("[{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":1},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[\"1\","
		 "\"1\"],\"id\":2},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"id\":3}]", &st);
	CHECK(json_array_size(j) == 3);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(j, 2),
						       "result")), "later") == 0);
	json_decref(j);

	/* operator methods: loopback is operator by default */
	j = call("{\"jsonrpc\":\"2.0\",\"method\":\"op\",\"id\":1}", &st);
	CHECK(strcmp(json_string_value(json_object_get(j, "result")),
		     "operator") == 0);
	json_decref(j);
	cl_rpc_server_free(srv);

	/* with loopback trust off, only the token opens them */
	cfg.operator_loopback = false;
	cfg.operator_token = "s3cret-token";
	CHECK(cl_rpc_server_new(&srv, &cfg, methods, 5, NULL) == CL_OK);
	port = cl_rpc_server_port(srv);
	const char *op = "{\"jsonrpc\":\"2.0\",\"method\":\"op\",\"id\":1}";
	j = post(op, strlen(op), &st, NULL);
	CHECK(err_code(j) == CL_RPC_METHOD_NOT_FOUND);
	json_decref(j);
	j = post(op, strlen(op), &st, "Authorization: Bearer wrong-token!");
	CHECK(err_code(j) == CL_RPC_METHOD_NOT_FOUND);
	json_decref(j);
	j = post(op, strlen(op), &st, "Authorization: Bearer s3cret-token");
	CHECK(j && json_object_get(j, "result"));
	json_decref(j);

	/* the server still answers after all of the above */
	j = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"x\"],"
		 "\"id\":9}", &st);
	CHECK(j && st == 200);
	json_decref(j);
	cl_rpc_server_free(srv);
	curl_global_cleanup();
	return test_done("rpc_server");
}
