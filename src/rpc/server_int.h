/* SPDX-License-Identifier: MIT */
/*
 * Internal to the JSON-RPC server (src/rpc): what its files share.
 *
 *   server.c           the daemon: defaults, the listening socket, the
 *                      connection limits (open-file budget, per address),
 *                      the worker pool, stats, drain and shutdown
 *   server_http.c      the HTTP side: the library's callbacks, who is an
 *                      operator, the refusals at the headers (413, 415),
 *                      the body collected within its limit, the answer
 *                      sent, the deadline phase moved at each step
 *   server_dispatch.c  one request body: parsing within the limits
 *                      (depth, batch, call rate), the method table, the
 *                      reply functions, the request's reference count
 *                      and the resume of a suspended connection
 *
 * Threads: a request is touched by the worker that owns its connection
 * and by whichever thread finishes one of its calls; everything that
 * both may touch is under the request's `lock`.
 */
#ifndef CLEARLINE_RPC_SERVER_INT_H
#define CLEARLINE_RPC_SERVER_INT_H

#include <clearline/rpc.h>

#include "guard.h"
#include "ratelimit.h"

#include <microhttpd.h>
#include <pthread.h>

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
	/* the call's id as JSON text, written when the call was read: the
	 * request's parsed document is dropped once every call has been
	 * dispatched, on the thread that read it (not on the thread that
	 * finishes a pending call, the sequencer's writer). NULL: a
	 * notification. */
	char *id;
	char *reply; /* the response object's text once finished */
	size_t reply_len;
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
	json_t *parsed;    /* the whole request document, until dispatched */
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

/* ---- server_dispatch.c ---- */

/* A new request of `s` (counted active until freed), holding one
 * reference for its creator. */
struct request *request_new(struct cl_rpc_server *s, bool is_operator);

/* Drop one reference; the last frees the request. */
void request_unref(struct request *r);

/* Parse r->body and run every call. Called once per request. */
void request_dispatch(struct request *r);

/* A reply to a malformed request as a whole (id null): JSON text to
 * free(). */
char *request_whole_error(int code, const char *msg);

/* ---- server_http.c: the HTTP library's callbacks ---- */

enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
			    const char *url, const char *method,
			    const char *version, const char *upload,
			    size_t *upload_size, void **con_cls);
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe);
void *http_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void http_notify_conn(void *cls, struct MHD_Connection *conn,
		      void **socket_context,
		      enum MHD_ConnectionNotificationCode code);
void http_log(void *cls, const char *fmt, va_list ap);

#endif /* CLEARLINE_RPC_SERVER_INT_H */
