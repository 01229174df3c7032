/* SPDX-License-Identifier: MIT */
/*
 * guard — the JSON-RPC server's defence against slow and hostile clients
 * (private to src/rpc).
 *
 * Every connection has one slot, created when the HTTP library accepts it
 * and freed when the library closes it. The server moves the slot through
 * the phases of a request; each phase but WORKING has a deadline counted
 * from the moment the phase began (not from the last byte seen, so a
 * client trickling one byte a second gains nothing):
 *
 *   IDLE     connection opened or previous answer sent, no request line
 *            yet: idle limit
 *   HEADERS  request line seen, headers not complete: header limit
 *   BODY     headers complete, body not complete: body limit
 *   WORKING  the calls run or wait for their block: no limit of ours
 *   SENDING  answer queued, not all of it taken by the client: send limit
 *
 * A watchdog thread wakes a few times a second and shuts down the socket
 * of every connection past its deadline (shutdown(2), never close(2): the
 * HTTP library still owns the descriptor and closes it when it sees the
 * socket die, which frees the slot). The registry lock is held across the
 * shutdown and across slot removal, and the library removes the slot
 * before it closes the descriptor, so the watchdog never touches a
 * descriptor reused by a newer connection.
 *
 * The guard also keeps the counters of cl_rpc_stats and rate-limits the
 * log lines about hostile traffic (one line per kind (and per phase for closings) per 10 s, with the
 * count of the events it stands for).
 */
#ifndef CLEARLINE_RPC_GUARD_H
#define CLEARLINE_RPC_GUARD_H

#include <clearline/rpc.h>

enum guard_phase {
	GUARD_IDLE = 0,
	GUARD_HEADERS = 1,
	GUARD_BODY = 2,
	GUARD_WORKING = 3,
	GUARD_SENDING = 4,
};

/* Events counted and logged (rate-limited). */
enum guard_event {
	GUARD_EV_REFUSED = 0,  /* connection refused at a connection limit */
	GUARD_EV_NOFD = 1,     /* accept failed: out of file descriptors */
	GUARD_EV_TOO_LARGE = 2,
	GUARD_EV_ENCODING = 3,
	GUARD_EV_FULL = 4,     /* the connection limit reached */
	GUARD_EV_RATE = 5,     /* a request over the call rate limit */
	GUARD_EV_BODY_CUT = 6, /* a chunked body past the limit: closed */
	GUARD_EV_COUNT = 7,
};

struct guard_limits {
	unsigned idle_s;
	unsigned header_s;
	unsigned body_s;
	unsigned send_s;
	unsigned max_conns; /* reaching it is logged */
};

struct guard;
struct guard_conn;

/* A guard with the limits (all positive). Aborts when out of memory or
 * when the watchdog thread cannot start. */
struct guard *guard_new(const struct guard_limits *lim);

/* Stop the watchdog and free; every connection must be closed already
 * (the HTTP daemon stopped). NULL is a no-op. */
void guard_free(struct guard *g);

/* A connection was accepted on socket `fd`: returns its slot (owned by
 * the guard, freed by guard_conn_close), in phase IDLE. */
struct guard_conn *guard_conn_open(struct guard *g, int fd);

/* The connection is about to be closed: forget the slot. */
void guard_conn_close(struct guard *g, struct guard_conn *c);

/* Enter phase `p` now (a slot NULL is ignored). */
void guard_conn_phase(struct guard *g, struct guard_conn *c,
		      enum guard_phase p);

/* Count an event and log it, at most once per 10 s per kind. `what` is
 * printed after the count; it is formatted only when the line is due. */
void guard_event(struct guard *g, enum guard_event ev, const char *fmt, ...)
	CL_PRINTF(3, 4);

/* Counters and connections open now. */
void guard_stats(struct guard *g, struct cl_rpc_stats *out);

/*
 * How many connections the process can afford: the soft limit on open
 * files (RLIMIT_NOFILE) is raised towards the hard limit when `want` plus
 * `reserve` descriptors do not fit; if they still do not fit, the answer
 * is the soft limit minus `reserve` (logged), 0 if that leaves fewer than
 * `min` connections.
 */
unsigned guard_fd_budget(unsigned want, unsigned reserve, unsigned min);

#endif /* CLEARLINE_RPC_GUARD_H */
