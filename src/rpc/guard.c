/* SPDX-License-Identifier: MIT */
/* Per-connection deadlines, the watchdog that enforces them, the counters
 * of hostile traffic and the file-descriptor budget (guard.h). */
#include "guard.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

static const char *const SUBSYS = "rpc";

/* How often the watchdog looks at the deadlines. */
#define WATCH_PERIOD_MS 200u
/* Least time between two log lines about the same kind of event. */
#define LOG_EVERY_NS (10ull * 1000000000ull)

struct guard_conn {
	struct guard_conn *prev, *next;
	int fd;
	enum guard_phase phase;
	uint64_t since_ns; /* when the phase began */
	bool cut;          /* shut down by the watchdog */
};

struct ratelog {
	uint64_t last_ns;
	uint64_t unlogged; /* events since the last line */
};

struct guard {
	struct guard_limits lim;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;
	bool stop;
	pthread_t thread;
	struct guard_conn *head;
	uint64_t open;
	uint64_t cut[GUARD_SENDING + 1];
	uint64_t events[GUARD_EV_COUNT];
	struct ratelog cut_log[GUARD_SENDING + 1];
	struct ratelog ev_log[GUARD_EV_COUNT];
};

static const char *phase_name(enum guard_phase p)
{
	switch (p) {
	case GUARD_IDLE:
		return "no request started";
	case GUARD_HEADERS:
		return "headers not complete";
	case GUARD_BODY:
		return "body not complete";
	case GUARD_WORKING:
		return "working";
	case GUARD_SENDING:
		return "answer not read";
	}
	return "?";
}

/* The limit of phase `p` in ns; 0: none. */
static uint64_t phase_limit_ns(const struct guard *g, enum guard_phase p)
{
	unsigned s = 0;
	switch (p) {
	case GUARD_IDLE:
		s = g->lim.idle_s;
		break;
	case GUARD_HEADERS:
		s = g->lim.header_s;
		break;
	case GUARD_BODY:
		s = g->lim.body_s;
		break;
	case GUARD_WORKING:
		s = 0;
		break;
	case GUARD_SENDING:
		s = g->lim.send_s;
		break;
	}
	return (uint64_t)s * 1000000000ull;
}

/* True when a line is due; *n gets the events it stands for. Locked. */
static bool ratelog_due(struct ratelog *rl, uint64_t now, uint64_t *n)
{
	rl->unlogged++;
	if (rl->last_ns && now - rl->last_ns < LOG_EVERY_NS)
		return false;
	*n = rl->unlogged;
	rl->unlogged = 0;
	rl->last_ns = now;
	return true;
}

static void *watchdog(void *arg)
{
	struct guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		/* the condition variable runs on the monotonic clock */
		uint64_t at = cl_clock_mono_ns() + WATCH_PERIOD_MS * 1000000ull;
		struct timespec ts = {.tv_sec = (time_t)(at / 1000000000ull),
				      .tv_nsec = (long)(at % 1000000000ull)};
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		if (g->stop)
			break;
		uint64_t now = cl_clock_mono_ns();
		for (struct guard_conn *c = g->head; c; c = c->next) {
			uint64_t lim = phase_limit_ns(g, c->phase);
			if (c->cut || lim == 0 || now - c->since_ns <= lim)
				continue;
			/* the descriptor is still the library's: the slot
			 * is removed under this lock before it is closed */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			g->cut[c->phase]++;
			uint64_t n;
			if (ratelog_due(&g->cut_log[c->phase], now, &n))
				cl_info(SUBSYS,
					"closed a connection after %.1f s: %s "
					"(%" PRIu64 " such since the last "
					"line; limits: idle %u s, headers "
					"%u s, body %u s, send %u s)",
					(double)(now - c->since_ns) / 1e9,
					phase_name(c->phase), n, g->lim.idle_s,
					g->lim.header_s, g->lim.body_s,
					g->lim.send_s);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct guard *guard_new(const struct guard_limits *lim)
{
	struct guard *g = cl_xcalloc(1, sizeof(*g));
	pthread_condattr_t ca;

	CL_REQUIRE(lim->idle_s && lim->header_s && lim->body_s && lim->send_s);
	g->lim = *lim;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, watchdog, g) != 0)
		CL_BUG("cannot start the rpc watchdog thread");
	return g;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	CL_REQUIRE(g->head == NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct guard_conn *guard_conn_open(struct guard *g, int fd)
{
	struct guard_conn *c = cl_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->phase = GUARD_IDLE;
	c->since_ns = cl_clock_mono_ns();
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	bool full = ++g->open >= g->lim.max_conns;
	uint64_t open = g->open;
	pthread_mutex_unlock(&g->lock);
	if (full)
		guard_event(g, GUARD_EV_FULL,
			    "at the connection limit: %" PRIu64 " open "
			    "(rpc-max-conns %u after the open-file limit); new "
			    "connections wait in the listen queue until one "
			    "closes",
			    open, g->lim.max_conns);
	return c;
}

void guard_conn_close(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->open--;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

void guard_conn_phase(struct guard *g, struct guard_conn *c,
		      enum guard_phase p)
{
	if (!c)
		return;
	uint64_t now = cl_clock_mono_ns();
	pthread_mutex_lock(&g->lock);
	c->phase = p;
	c->since_ns = now;
	pthread_mutex_unlock(&g->lock);
}

void guard_event(struct guard *g, enum guard_event ev, const char *fmt, ...)
{
	uint64_t n = 0;
	bool due;

	CL_REQUIRE(ev < GUARD_EV_COUNT);
	pthread_mutex_lock(&g->lock);
	g->events[ev]++;
	due = ratelog_due(&g->ev_log[ev], cl_clock_mono_ns(), &n);
	pthread_mutex_unlock(&g->lock);
	if (!due)
		return;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ev == GUARD_EV_NOFD || ev == GUARD_EV_REFUSED ||
	    ev == GUARD_EV_FULL)
		cl_unusual(SUBSYS, "%s (%" PRIu64 " since the last line)", msg,
			   n);
	else
		cl_info(SUBSYS, "%s (%" PRIu64 " since the last line)", msg, n);
}

void guard_stats(struct guard *g, struct cl_rpc_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&g->lock);
	out->open = g->open;
	out->cut_idle = g->cut[GUARD_IDLE];
	out->cut_headers = g->cut[GUARD_HEADERS];
	out->cut_body = g->cut[GUARD_BODY];
	out->cut_send = g->cut[GUARD_SENDING];
	out->refused = g->events[GUARD_EV_REFUSED];
	out->no_fd = g->events[GUARD_EV_NOFD];
	out->too_large = g->events[GUARD_EV_TOO_LARGE];
	out->bad_encoding = g->events[GUARD_EV_ENCODING];
	out->at_limit = g->events[GUARD_EV_FULL];
	out->rate_limited = g->events[GUARD_EV_RATE];
	out->body_cut = g->events[GUARD_EV_BODY_CUT];
	pthread_mutex_unlock(&g->lock);
}

unsigned guard_fd_budget(unsigned want, unsigned reserve, unsigned min)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want; /* cannot tell: trust the configuration */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit up = rl;
		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
				      ? need
				      : rl.rlim_max;
		if (up.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	rlim_t left = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
	if (left < min) {
		cl_unusual(SUBSYS,
			   "only %llu file descriptors (ulimit -n, hard limit "
			   "%llu): %u are kept for the database, L1 and logs, "
			   "which leaves fewer than %u for clients",
			   (unsigned long long)rl.rlim_cur,
			   (unsigned long long)rl.rlim_max, reserve, min);
		return 0;
	}
	cl_unusual(SUBSYS,
		   "only %llu file descriptors (ulimit -n, hard limit %llu): "
		   "serving at most %llu connections instead of %u, keeping %u "
		   "descriptors for the database, L1 and logs",
		   (unsigned long long)rl.rlim_cur,
		   (unsigned long long)rl.rlim_max, (unsigned long long)left,
		   want, reserve);
	return (unsigned)left;
}
