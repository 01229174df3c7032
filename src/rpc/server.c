/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC 2.0 server's daemon: libmicrohttpd with a pool of worker
 * threads (each owning a share of the connections, polled with epoll) and
 * suspend/resume, so a call can wait for its block without holding a
 * thread.
 *
 * Here: the defaults, the checks of the limits, the bind address, the
 * connection limit lowered to what the open-file limit allows, the
 * library started with its callbacks (server_http.c), and the stats,
 * drain and shutdown. The requests themselves are server_http.c (HTTP)
 * and server_dispatch.c (JSON-RPC).
 */
#include "server_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Descriptors kept out of the connection budget: the database, the L1
 * connections, logs, MHD's own (listen socket, epoll and wake-up
 * descriptors per worker). */
#define FD_RESERVE 64u
/* Fewest connections worth serving. */
#define MIN_CONNS 8u
/* Most connections one worker serves. libmicrohttpd 0.9's epoll loop
 * takes at most 128 events per epoll_wait and, after a wait that returned
 * all 128, waits again, with its full timeout (up to the idle timeout),
 * before serving any of them: a worker with 128 descriptors ready at once
 * (its connections, the listening socket, its wake-up descriptor) stalled
 * every one of its connections for up to 30 s. Below 126 connections a
 * wait can never return 128 events. */
#define CONNS_PER_WORKER 120u
#define MAX_WORKERS 256u

int cl_rpc_server_new(struct cl_rpc_server **out,
		      const struct cl_rpc_config *cfg,
		      const struct cl_rpc_method *methods, size_t n, void *app)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	*out = NULL;
	if (cfg->max_body == 0 || cfg->max_batch == 0 || cfg->max_depth == 0 ||
	    cfg->max_conns == 0 || cfg->threads == 0 ||
	    cfg->threads > MAX_WORKERS ||
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
	/* MHD splits the limit between its workers: at least one each, at
	 * most CONNS_PER_WORKER each (more workers when needed) */
	unsigned threads = cfg->threads;
	if (max_conns < threads)
		max_conns = threads;
	if (max_conns > MAX_WORKERS * CONNS_PER_WORKER)
		max_conns = MAX_WORKERS * CONNS_PER_WORKER;
	if (threads < (max_conns + CONNS_PER_WORKER - 1) / CONNS_PER_WORKER) {
		threads = (max_conns + CONNS_PER_WORKER - 1) / CONNS_PER_WORKER;
		cl_info(SUBSYS, "rpc-threads raised from %u to %u: a worker "
			"serves at most %u of the %u connections",
			cfg->threads, threads, CONNS_PER_WORKER, max_conns);
	}

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
		flags, cfg->port, NULL, NULL, http_access, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, http_notify_conn, s,
		MHD_OPTION_URI_LOG_CALLBACK, http_uri, s,
		MHD_OPTION_EXTERNAL_LOGGER, http_log, s, MHD_OPTION_END);
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
		addr, s->port, threads, max_conns, cfg->max_conns_per_ip,
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
