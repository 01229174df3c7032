/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC 2.0 client: the request envelope, the answer checks, and
 * the default HTTP transport over libcurl (connect and total timeouts, a
 * response size limit, http and https only, no redirects).
 */
#include <clearline/cli.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

struct sink {
	struct cl_buf *buf;
	size_t limit;
	bool too_large;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (len > s->limit || s->buf->len > s->limit - len) {
		s->too_large = true;
		return 0; /* makes curl stop with a write error */
	}
	cl_buf_append(s->buf, p, len);
	return len;
}

static bool curl_ready(void)
{
	static bool done, ok;

	if (!done) {
		ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
		done = true;
	}
	return ok;
}

int cl_cli_curl_post(void *arg, struct cl_buf *resp, long *http_status,
		     char *err, size_t errlen, const char *url,
		     const char *body, size_t body_len)
{
	const struct cl_cli *cli = arg;
	struct sink sink = {.buf = resp, .limit = cli->max_response};
	struct curl_slist *hdr = NULL;
	CURLcode rc;
	CURL *c;

	*http_status = 0;
	if (!curl_ready() || !(c = curl_easy_init())) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return CL_ERR_NET;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cli->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cli->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)cli->max_response);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, "clearline-cli");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);

	if (rc == CURLE_OK)
		return CL_OK;
	if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "the answer is larger than %zu bytes",
			 cli->max_response);
		return CL_ERR_CORRUPT;
	}
	snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	return rc == CURLE_OPERATION_TIMEDOUT ? CL_ERR_TIMEOUT : CL_ERR_NET;
}

/* Check the envelope; returns the result or prints why there is none. */
static int read_answer(struct cl_cli *cli, json_t **result, const char *method,
		       const json_t *ans, uint64_t id, long status)
{
	const json_t *e = json_object_get(ans, "error");
	const json_t *r = json_object_get(ans, "result");
	uint64_t got_id;

	if (!json_is_object(ans)) {
		cli_errorf(cli,
			   "%s: the node answered something that is not "
			   "a JSON-RPC object",
			   method);
		return CL_CLI_EXIT_FAILED;
	}
	if (e && !json_is_null(e)) {
		const json_t *msg = json_object_get(e, "message");
		const json_t *code = json_object_get(e, "code");
		char text[512];

		if (!json_is_string(msg)) {
			cli_errorf(cli, "%s: malformed error from the node",
				   method);
			return CL_CLI_EXIT_FAILED;
		}
		snprintf(text, sizeof(text), "%s", json_string_value(msg));
		cli_sanitize(text);
		if (json_is_integer(code))
			cli_errorf(cli, "%s (code %lld)", text,
				   (long long)json_integer_value(code));
		else
			cli_errorf(cli, "%s", text);
		return CL_CLI_EXIT_FAILED;
	}
	if (status != 200) {
		cli_errorf(cli, "%s: the node answered http status %ld", method,
			   status);
		return CL_CLI_EXIT_FAILED;
	}
	if (!cli_json_u64(&got_id, json_object_get(ans, "id")) ||
	    got_id != id || !r) {
		cli_errorf(cli,
			   "%s: the node's answer does not match the "
			   "request",
			   method);
		return CL_CLI_EXIT_FAILED;
	}
	*result = json_incref((json_t *)r);
	return CL_CLI_EXIT_OK;
}

int cl_cli_call(struct cl_cli *cli, json_t **result, const char *method,
		json_t *params)
{
	char err[256] = "";
	struct cl_buf resp;
	json_t *req, *ans;
	uint64_t id = ++cli->next_id;
	long status = 0;
	char *body;
	int rc;

	*result = NULL;
	req = json_object();
	json_object_set_new(req, "jsonrpc", json_string("2.0"));
	json_object_set_new(req, "id", json_integer((json_int_t)id));
	json_object_set_new(req, "method", json_string(method));
	json_object_set_new(req, "params", params ? params : json_array());
	body = cl_json_dump(req);
	json_decref(req);

	cl_buf_init(&resp);
	rc = cli->post(cli->post_arg, &resp, &status, err, sizeof(err),
		       cli->rpc_url, body, strlen(body));
	free(body);
	if (rc == CL_ERR_NET || rc == CL_ERR_TIMEOUT) {
		cli_errorf(cli, "cannot reach the node at %s: %s", cli->rpc_url,
			   err);
		cl_buf_release(&resp);
		return CL_CLI_EXIT_CONNECT;
	}
	if (rc != CL_OK) {
		cli_errorf(cli, "%s: %s", method, err);
		cl_buf_release(&resp);
		return CL_CLI_EXIT_FAILED;
	}

	ans = cl_json_load(resp.p ? (const char *)resp.p : "", resp.len, err,
			   sizeof(err));
	cl_buf_release(&resp);
	if (!ans) {
		if (status != 200)
			cli_errorf(cli, "%s: the node answered http status %ld",
				   method, status);
		else
			cli_errorf(cli, "%s: the answer is not JSON: %s",
				   method, err);
		return CL_CLI_EXIT_FAILED;
	}
	rc = read_answer(cli, result, method, ans, id, status);
	json_decref(ans);
	return rc;
}
