/* SPDX-License-Identifier: MIT */
/*
 * The metrics endpoint's HTTP side: a small libmicrohttpd daemon of its
 * own (one thread, few connections) on the operator's metrics port,
 * apart from the JSON-RPC server so a scrape never competes with
 * clients for its limits. GET or HEAD /metrics answers one scrape
 * (metrics_collect.c); any other path is 404, any other method 405.
 * Request bodies are never read.
 */
#include <clearline/rpc.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const SUB = "metrics";

#define METRICS_MAX_CONNS 16u
#define METRICS_TIMEOUT_S 10u
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct cl_metrics_server {
	struct cl_metrics_config cfg;
	char *bind_addr;
	struct MHD_Daemon *mhd;
	uint16_t port;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
			      char *body, size_t len, const char *type,
			      bool allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					"GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn,
				   unsigned status, const char *msg,
				   bool allow)
{
	char *b = cl_xstrdup(msg);
	return answer(conn, status, b, strlen(b), "text/plain; charset=utf-8",
		      allow);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct cl_metrics_server *m = cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;

	/* answered on the first call: a body, if any, is never read */
	*upload_data_size = 0;
	if (strcmp(url, "/metrics") != 0)
		return answer_text(conn, MHD_HTTP_NOT_FOUND,
				   "not found: the metrics are at /metrics\n",
				   false);
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed: use GET\n", true);
	size_t len;
	char *text = cl_metrics_render(&m->cfg, &len);
	return answer(conn, MHD_HTTP_OK, text, len, METRICS_CONTENT_TYPE,
		      false);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	cl_debug(SUB, "http: %s", msg);
}

int cl_metrics_server_new(struct cl_metrics_server **out,
			  const struct cl_metrics_config *cfg)
{
	struct sockaddr_storage ss;
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 MHD_USE_POLL;

	*out = NULL;
	CL_REQUIRE(cfg->reader);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		cl_unusual(SUB, "bad metrics bind address '%s' (give an IPv4 "
			   "or IPv6 literal)", addr);
		return CL_ERR_CONFIG;
	}
	struct cl_metrics_server *m = cl_xcalloc(1, sizeof(*m));
	m->cfg = *cfg;
	m->bind_addr = cl_xstrdup(addr);
	m->cfg.bind_addr = m->bind_addr;
	m->mhd = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, access_cb, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, METRICS_MAX_CONNS,
		MHD_OPTION_CONNECTION_TIMEOUT, METRICS_TIMEOUT_S,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_END);
	if (!m->mhd) {
		cl_unusual(SUB, "cannot listen on %s port %u (in use?)", addr,
			   cfg->port);
		free(m->bind_addr);
		free(m);
		return CL_ERR_NET;
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
	m->port = di ? di->port : cfg->port;
	cl_info(SUB, "metrics listening on %s port %u (GET /metrics)", addr,
		m->port);
	*out = m;
	return CL_OK;
}

uint16_t cl_metrics_server_port(const struct cl_metrics_server *m)
{
	return m->port;
}

void cl_metrics_server_free(struct cl_metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m->bind_addr);
	free(m);
}
