/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC client: one libcurl easy handle per client, retries with
 * capped exponential backoff for transport failures only, a response size
 * limit, and the error classes of l1.h. This file and the rest of src/l1
 * are the only users of libcurl in the node.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "l1_int.h"

struct cl_l1_rpc {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	struct cl_l1_rpc_opts opts;
	uint64_t next_id;
	uint64_t attempts;
	struct cl_l1_error err;
	struct cl_buf resp;
	bool too_large;
	char curl_msg[CURL_ERROR_SIZE];
	/* monotonic time of the last answer from the node (any thread may
	 * read it: cl_l1_rpc_last_answer_ns) */
	_Atomic uint64_t last_answer_ns;
};

const char *cl_l1_err_str(int err)
{
	if (err <= 0)
		return cl_err_str(err);
	switch ((enum cl_l1_err)err) {
	case CL_L1_OK:
		return "ok";
	case CL_L1_RPC_ERROR:
		return "l1 node answered with an error";
	case CL_L1_MALFORMED:
		return "malformed answer from the l1 node";
	case CL_L1_HTTP_STATUS:
		return "unexpected http status from the l1 node";
	case CL_L1_TOO_LARGE:
		return "l1 answer over the size limit";
	case CL_L1_FEE_CEILING:
		return "l1 fee above the configured ceiling";
	case CL_L1_DATA_TOO_LARGE:
		return "calldata over the configured limit";
	case CL_L1_REVERTED:
		return "l1 transaction reverted";
	case CL_L1_NONCE_TAKEN:
		return "nonce used by another transaction";
	case CL_L1_WRONG_CHAIN:
		return "wrong l1 chain id";
	case CL_L1_BROKEN:
		return "l1 history changed under the watcher";
	case CL_L1_STOPPED:
		return "stopped by the deposit callback";
	}
	return "unknown error";
}

bool cl_l1_class_retryable(enum cl_l1_class c)
{
	switch (c) {
	case CL_L1_CLASS_CONNECT:
	case CL_L1_CLASS_TIMEOUT:
	case CL_L1_CLASS_HTTP_RETRY:
		return true;
	case CL_L1_CLASS_NONE:
	case CL_L1_CLASS_HTTP:
	case CL_L1_CLASS_RPC:
	case CL_L1_CLASS_MALFORMED:
	case CL_L1_CLASS_TOO_LARGE:
		return false;
	}
	return false;
}

int cl_l1_class_code(enum cl_l1_class c)
{
	switch (c) {
	case CL_L1_CLASS_NONE:
		return CL_OK;
	case CL_L1_CLASS_CONNECT:
	case CL_L1_CLASS_HTTP_RETRY:
		return CL_ERR_NET;
	case CL_L1_CLASS_TIMEOUT:
		return CL_ERR_TIMEOUT;
	case CL_L1_CLASS_HTTP:
		return CL_L1_HTTP_STATUS;
	case CL_L1_CLASS_RPC:
		return CL_L1_RPC_ERROR;
	case CL_L1_CLASS_MALFORMED:
		return CL_L1_MALFORMED;
	case CL_L1_CLASS_TOO_LARGE:
		return CL_L1_TOO_LARGE;
	}
	return CL_ERR_NET;
}

static const char *class_name(enum cl_l1_class c)
{
	switch (c) {
	case CL_L1_CLASS_NONE:
		return "ok";
	case CL_L1_CLASS_CONNECT:
		return "connection failed";
	case CL_L1_CLASS_TIMEOUT:
		return "timed out";
	case CL_L1_CLASS_HTTP_RETRY:
		return "server busy or failing";
	case CL_L1_CLASS_HTTP:
		return "http error";
	case CL_L1_CLASS_RPC:
		return "error reply";
	case CL_L1_CLASS_MALFORMED:
		return "malformed answer";
	case CL_L1_CLASS_TOO_LARGE:
		return "answer too large";
	}
	return "unknown";
}

void l1_sleep_ms(uint64_t ms)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(ms / 1000),
	    .tv_nsec = (long)(ms % 1000) * 1000000L,
	};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void cl_l1_rpc_opts_default(struct cl_l1_rpc_opts *o)
{
	o->connect_timeout_ms = 2000;
	o->timeout_ms = 10000;
	o->retries = 4;
	o->backoff_ms = 100;
	o->backoff_max_ms = 2000;
	o->max_response = 16u << 20;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = CL_OK;

static void global_init_once(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		cl_unusual(L1_LOG, "cannot initialise libcurl: %s",
			   curl_easy_strerror(rc));
		global_rc = CL_ERR_NET;
	}
}

int cl_l1_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_rc;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct cl_l1_rpc *rpc = arg;
	size_t len = size * n;

	if (len > rpc->opts.max_response ||
	    rpc->resp.len > rpc->opts.max_response - len) {
		rpc->too_large = true;
		return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	cl_buf_append(&rpc->resp, p, len);
	return len;
}

struct cl_l1_rpc *cl_l1_rpc_new(const char *url,
				const struct cl_l1_rpc_opts *opts)
{
	if (!url || (strncmp(url, "http://", 7) != 0 &&
		     strncmp(url, "https://", 8) != 0)) {
		cl_unusual(L1_LOG, "l1 endpoint must be an http(s) url");
		return NULL;
	}
	if (cl_l1_global_init() != CL_OK)
		return NULL;

	struct cl_l1_rpc *rpc = cl_xcalloc(1, sizeof(*rpc));
	if (opts)
		rpc->opts = *opts;
	else
		cl_l1_rpc_opts_default(&rpc->opts);
	if (rpc->opts.max_response == 0)
		rpc->opts.max_response = 16u << 20;
	rpc->url = cl_xstrdup(url);
	rpc->next_id = 1;
	cl_buf_init(&rpc->resp);

	rpc->curl = curl_easy_init();
	if (!rpc->curl) {
		cl_unusual(L1_LOG, "cannot create a libcurl handle");
		cl_l1_rpc_free(rpc);
		return NULL;
	}
	rpc->headers =
	    curl_slist_append(NULL, "Content-Type: application/json");
	rpc->headers =
	    curl_slist_append(rpc->headers, "Accept: application/json");
	/* no "100-continue" round trip before large bodies */
	rpc->headers = curl_slist_append(rpc->headers, "Expect:");
	if (!rpc->headers)
		CL_BUG("out of memory in curl_slist_append");

	CURL *c = rpc->curl;
	curl_easy_setopt(c, CURLOPT_URL, rpc->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, rpc->headers);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)rpc->opts.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rpc->opts.timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rpc);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rpc->curl_msg);
	return rpc;
}

void cl_l1_rpc_free(struct cl_l1_rpc *rpc)
{
	if (!rpc)
		return;
	if (rpc->curl)
		curl_easy_cleanup(rpc->curl);
	curl_slist_free_all(rpc->headers);
	cl_buf_release(&rpc->resp);
	free(rpc->url);
	free(rpc);
}

void cl_l1_rpc_set_retries(struct cl_l1_rpc *rpc, uint32_t retries)
{
	rpc->opts.retries = retries;
}

const struct cl_l1_error *cl_l1_rpc_last_error(const struct cl_l1_rpc *rpc)
{
	return &rpc->err;
}

uint64_t cl_l1_rpc_attempts(const struct cl_l1_rpc *rpc)
{
	return rpc->attempts;
}

static void set_error(struct cl_l1_rpc *rpc, enum cl_l1_class cls,
		      const char *fmt, ...) CL_PRINTF(3, 4);

static void set_error(struct cl_l1_rpc *rpc, enum cl_l1_class cls,
		      const char *fmt, ...)
{
	va_list ap;

	rpc->err.cls = cls;
	va_start(ap, fmt);
	vsnprintf(rpc->err.message, sizeof(rpc->err.message), fmt, ap);
	va_end(ap);
}

static enum cl_l1_class curl_class(CURLcode rc)
{
	/* CURLcode is libcurl's enum, not ours: compared, not switched */
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return CL_L1_CLASS_TIMEOUT;
	/* refused, reset, unreachable, name lookup, and every other local
	 * or protocol failure count as a connection failure */
	return CL_L1_CLASS_CONNECT;
}

/*
 * Nodes put raw revert data into error messages, so a "\u0000" escape
 * can appear inside a string; the JSON wrapper refuses NUL in strings.
 * Such escapes (and only real escapes, not an escaped backslash followed
 * by "u0000") become U+FFFD, of the same length, before parsing.
 */
static void neutralise_nul_escapes(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < len &&
		    memcmp(p + i + 2, "0000", 4) == 0)
			memcpy(p + i + 2, "fffd", 4);
		i++; /* skip the escaped character */
	}
}

/*
 * Parse a JSON-RPC response body. Returns the class; on success *result
 * holds a new reference.
 */
static enum cl_l1_class parse_reply(struct cl_l1_rpc *rpc, json_t **result,
				    uint64_t id)
{
	char jerr[160];

	neutralise_nul_escapes(rpc->resp.p, rpc->resp.len);
	json_t *root = cl_json_load((const char *)rpc->resp.p, rpc->resp.len,
				    jerr, sizeof(jerr));
	if (!root) {
		set_error(rpc, CL_L1_CLASS_MALFORMED, "not json: %s", jerr);
		return CL_L1_CLASS_MALFORMED;
	}
	enum cl_l1_class cls = CL_L1_CLASS_MALFORMED;
	const json_t *ver = json_object_get(root, "jsonrpc");
	const json_t *jid = json_object_get(root, "id");
	const json_t *error = json_object_get(root, "error");
	json_t *res = json_object_get(root, "result");

	if (!json_is_object(root) || !json_is_string(ver) ||
	    strcmp(json_string_value(ver), "2.0") != 0) {
		set_error(rpc, cls, "not a json-rpc 2.0 response");
		goto out;
	}
	if (error) {
		const json_t *code = json_object_get(error, "code");
		const json_t *msg = json_object_get(error, "message");
		if (!json_is_object(error) || !json_is_integer(code)) {
			set_error(rpc, cls, "malformed error object");
			goto out;
		}
		rpc->err.rpc_code = (int64_t)json_integer_value(code);
		set_error(rpc, CL_L1_CLASS_RPC, "%s (code %lld)",
			  json_is_string(msg) ? json_string_value(msg) : "",
			  (long long)rpc->err.rpc_code);
		/* revert data, when the node gives it as a hex string */
		const json_t *data = json_object_get(error, "data");
		if (json_is_string(data) &&
		    !cl_hex_decode_var(rpc->err.revert, sizeof(rpc->err.revert),
				       &rpc->err.revert_len,
				       json_string_value(data),
				       json_string_length(data), CL_HEX_0X))
			rpc->err.revert_len = 0;
		cls = CL_L1_CLASS_RPC;
		goto out;
	}
	if (!json_is_integer(jid) || (uint64_t)json_integer_value(jid) != id) {
		set_error(rpc, cls, "response id does not match the request");
		goto out;
	}
	if (!res) {
		set_error(rpc, cls, "neither result nor error");
		goto out;
	}
	*result = json_incref(res);
	cls = CL_L1_CLASS_NONE;
out:
	json_decref(root);
	return cls;
}

/* One HTTP exchange; returns the class of its outcome. */
static enum cl_l1_class attempt(struct cl_l1_rpc *rpc, json_t **result,
				const char *body, uint64_t id)
{
	long status = 0;
	CURLcode rc;

	cl_buf_reset(&rpc->resp);
	rpc->too_large = false;
	rpc->curl_msg[0] = 0;
	rpc->attempts++;
	memset(&rpc->err, 0, sizeof(rpc->err));

	curl_easy_setopt(rpc->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(rpc->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	rc = curl_easy_perform(rpc->curl);
	if (rc != CURLE_OK) {
		if (rpc->too_large) {
			set_error(rpc, CL_L1_CLASS_TOO_LARGE,
				  "answer over %zu bytes",
				  rpc->opts.max_response);
			return CL_L1_CLASS_TOO_LARGE;
		}
		enum cl_l1_class cls = curl_class(rc);
		set_error(rpc, cls, "%s",
			  rpc->curl_msg[0] ? rpc->curl_msg
					   : curl_easy_strerror(rc));
		return cls;
	}
	curl_easy_getinfo(rpc->curl, CURLINFO_RESPONSE_CODE, &status);
	rpc->err.http_status = status;
	if (status == 429 || (status >= 500 && status <= 599)) {
		set_error(rpc, CL_L1_CLASS_HTTP_RETRY, "http status %ld",
			  status);
		return CL_L1_CLASS_HTTP_RETRY;
	}
	if (status != 200) {
		/* some nodes send a json-rpc error with a 4xx status */
		json_t *ignored = NULL;
		enum cl_l1_class cls = parse_reply(rpc, &ignored, id);
		json_decref(ignored);
		if (cls == CL_L1_CLASS_RPC)
			return cls;
		memset(rpc->err.message, 0, sizeof(rpc->err.message));
		set_error(rpc, CL_L1_CLASS_HTTP, "http status %ld", status);
		rpc->err.http_status = status;
		return CL_L1_CLASS_HTTP;
	}
	return parse_reply(rpc, result, id);
}

uint64_t cl_l1_rpc_last_answer_ns(struct cl_l1_rpc *rpc)
{
	return atomic_load(&rpc->last_answer_ns);
}

int cl_l1_rpc_call(struct cl_l1_rpc *rpc, json_t **result, const char *method,
		   json_t *params)
{
	*result = NULL;
	if (!params)
		params = json_array();
	uint64_t id = rpc->next_id++;
	json_t *req =
	    json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
		      (json_int_t)id, "method", method, "params", params);
	if (!req)
		CL_BUG("cannot build a json-rpc request for %s", method);
	char *body = cl_json_dump(req);
	json_decref(req);

	enum cl_l1_class cls = CL_L1_CLASS_NONE;
	uint64_t delay = rpc->opts.backoff_ms;
	for (uint32_t i = 0;; i++) {
		cls = attempt(rpc, result, body, id);
		if (!cl_l1_class_retryable(cls) || i >= rpc->opts.retries)
			break;
		cl_debug(L1_LOG, "%s: %s (%s), retry %u in %llu ms", method,
			 class_name(cls), rpc->err.message, i + 1,
			 (unsigned long long)delay);
		l1_sleep_ms(delay);
		delay *= 2;
		if (delay > rpc->opts.backoff_max_ms)
			delay = rpc->opts.backoff_max_ms;
	}
	free(body);
	snprintf(rpc->err.method, sizeof(rpc->err.method), "%s", method);
	if (cls == CL_L1_CLASS_NONE || cls == CL_L1_CLASS_RPC)
		atomic_store(&rpc->last_answer_ns, cl_clock_mono_ns());
	if (cls == CL_L1_CLASS_NONE)
		return CL_OK;
	cl_unusual(L1_LOG, "%s: %s: %s", method, class_name(cls),
		   rpc->err.message);
	return cl_l1_class_code(cls);
}
