/* SPDX-License-Identifier: MIT */
/*
 * rpc — a JSON-RPC 2.0 server over HTTP POST, and the JSON helpers that
 * every method handler uses.
 *
 * The server owns the HTTP library (libmicrohttpd) and the JSON library
 * (jansson): nothing outside src/rpc includes either. A method table maps
 * names to handlers; a handler gets one call and must finish it through
 * exactly one of the reply functions (cl_rpc_result, cl_rpc_error,
 * cl_rpc_pending), whose return type nothing else can produce, so a
 * handler cannot forget to answer.
 *
 * Requests: single calls and batches; notifications (no "id") get no
 * answer. Standard errors: -32700 parse error, -32600 invalid request
 * (also: body too large, nesting too deep, batch too long), -32601 method
 * not found, -32602 invalid params, -32603 internal error. Application
 * errors use the codes in docs/api.md.
 *
 * Limits (all configurable; docs/operations.md): request body bytes,
 * JSON nesting depth, batch length, concurrent connections in all and per
 * client address, and a deadline for each phase of a request (idle, headers,
 * body, sending the answer) counted from the start of the phase, so a
 * client that trickles bytes is cut off as surely as a silent one. The
 * connection limit is lowered to what the open-file limit allows after
 * keeping descriptors for the database and L1 (logged). Refusals come
 * at the headers, before any body byte is read: a Content-Encoding
 * (HTTP 415, never inflated), a declared length over the limit (413);
 * the connection is then closed. A chunked body is cut (closed, no
 * answer) as soon as it passes the limit. Optionally,
 * calls per second per client address (a token bucket; a batch of n
 * counts n): over it, the whole request is answered HTTP 429 with error
 * -32005 before its calls run.
 * Methods flagged CL_RPC_OPERATOR answer only to loopback clients (unless
 * operator_loopback is off, e.g. behind a local reverse proxy) or to a
 * request carrying "Authorization: Bearer <token>" with the configured
 * token (compared in constant time).
 *
 * Threads: handlers run on the server's worker threads (several at once:
 * they must be thread-safe). A handler may park its call with
 * cl_rpc_pending() and finish it later from any thread with cl_rpc_result
 * or cl_rpc_error; the HTTP answer goes out when every call of the request
 * has finished. Every pending call must be finished before
 * cl_rpc_server_free().
 */
#ifndef CLEARLINE_RPC_H
#define CLEARLINE_RPC_H

#include <clearline/common.h>
#include <clearline/json.h>

/* Standard JSON-RPC 2.0 error codes. */
enum {
	CL_RPC_PARSE_ERROR = -32700,
	CL_RPC_INVALID_REQUEST = -32600,
	CL_RPC_METHOD_NOT_FOUND = -32601,
	CL_RPC_INVALID_PARAMS = -32602,
	CL_RPC_INTERNAL_ERROR = -32603,
	CL_RPC_LIMIT_EXCEEDED = -32005, /* call rate limit (HTTP 429) */
};

struct cl_rpc_call;

/* Returned by the reply functions only: the proof that a call finished
 * (or was handed on with cl_rpc_pending). */
struct cl_rpc_done {
	struct cl_rpc_call *call;
};

typedef struct cl_rpc_done (*cl_rpc_handler)(struct cl_rpc_call *call,
					     json_t *params, void *app);

enum cl_rpc_method_flags {
	CL_RPC_OPERATOR = 1u << 0, /* loopback or token only */
};

struct cl_rpc_method {
	const char *name;
	cl_rpc_handler fn;
	unsigned flags;
};

struct cl_rpc_config {
	const char *bind_addr;   /* IPv4 or IPv6 literal; "127.0.0.1" default */
	uint16_t port;           /* 0: any free port (see cl_rpc_server_port) */
	size_t max_body;         /* bytes; default 1 MiB */
	unsigned max_depth;      /* JSON nesting; default 32 */
	unsigned max_batch;      /* calls per batch; default 100 */
	unsigned max_conns;      /* concurrent connections; default 1024 */
	unsigned max_conns_per_ip; /* from one client address; default 256,
				    * 0: no per-address limit */
	unsigned idle_timeout_s;   /* no request started; default 30 */
	unsigned header_timeout_s; /* request line to end of headers; 10 */
	unsigned body_timeout_s;   /* end of headers to end of body; 30 */
	unsigned send_timeout_s;   /* answer queued to answer taken; 30 */
	unsigned rate_per_ip;      /* calls per second per client address;
				    * default 0: no limit */
	unsigned rate_burst;       /* calls at once above the rate; 0: twice
				    * the rate (at least max_batch) */
	unsigned threads;        /* worker threads; default: 4 per core, at
				  * least 4, at most 16; raised to
				  * max_conns / 120 (a worker serves at
				  * most 120 connections: server.c) */
	const char *operator_token; /* NULL: operator methods loopback only */
	bool operator_loopback;     /* loopback clients are operators (default
				     * true; turn off behind a local proxy) */
};

/* Fill `cfg` with the defaults above. */
void cl_rpc_config_defaults(struct cl_rpc_config *cfg);

struct cl_rpc_server;

/*
 * Start serving `methods` (`n` entries, borrowed: they must outlive the
 * server; `app` is passed to every handler). Returns CL_OK and sets *out,
 * CL_ERR_CONFIG for a bad address or limits, or CL_ERR_NET when the port
 * cannot be bound (logged).
 */
CL_WUR int cl_rpc_server_new(struct cl_rpc_server **out,
			     const struct cl_rpc_config *cfg,
			     const struct cl_rpc_method *methods, size_t n,
			     void *app);

/* The port actually bound (useful with port 0). */
uint16_t cl_rpc_server_port(const struct cl_rpc_server *s);

/* What the limits did so far (cl_rpc_server_stats). */
struct cl_rpc_stats {
	uint64_t open;         /* connections open now */
	uint64_t cut_idle;     /* closed: no request within the idle limit */
	uint64_t cut_headers;  /* closed: headers slower than their limit */
	uint64_t cut_body;     /* closed: body slower than its limit */
	uint64_t cut_send;     /* closed: answer not read within the limit */
	uint64_t refused;      /* refused at rpc-max-conns or per address */
	uint64_t no_fd;        /* accept failed for want of descriptors */
	uint64_t too_large;    /* bodies refused for size at the headers
				* (413, the body never read) */
	uint64_t body_cut;     /* connections closed: a chunked body went
				* past the size limit */
	uint64_t bad_encoding; /* bodies refused for Content-Encoding (415) */
	uint64_t at_limit;     /* connections that filled the limit (the
				* next ones wait in the listen queue) */
	uint64_t rate_limited; /* requests refused by the call rate limit */
	unsigned max_conns;    /* connection limit in force (after the
				* open-file limit) */
};

void cl_rpc_server_stats(struct cl_rpc_server *s, struct cl_rpc_stats *out);

/* Stop accepting connections; the open ones are still served. */
void cl_rpc_server_quiesce(struct cl_rpc_server *s);

/* Wait until every request received so far has been answered and sent,
 * at most timeout_ms. True when none is left. */
bool cl_rpc_server_drain(struct cl_rpc_server *s, uint64_t timeout_ms);

/* Stop and free; every pending call must be finished. NULL is a no-op. */
void cl_rpc_server_free(struct cl_rpc_server *s);

/*
 * Run one request body (a call or a batch) through the same parsing,
 * limits (cfg->max_depth, cfg->max_batch) and dispatch as the server,
 * without HTTP: for tests and the fuzz target (tests/fuzz/fuzz-rpc.c).
 * `is_operator` stands for a loopback or token client. Every handler must
 * finish its call before returning (none may pend: aborts otherwise).
 * Returns the answer (JSON text, free() it), or NULL when every call was
 * a notification (HTTP would answer 204).
 */
char *cl_rpc_run_body(const struct cl_rpc_config *cfg,
		      const struct cl_rpc_method *methods, size_t n, void *app,
		      const uint8_t *body, size_t len, bool is_operator);

/*
 * Run one request body (a call or a batch) on the running server `s`
 * for another transport (the WebSocket endpoint, src/ws): the same
 * parsing, limits, method table and answers as over HTTP, but no HTTP
 * connection, so the per-address call rate limit does not apply (the
 * caller limits its own clients). `fn(arg, answer)` is called exactly
 * once, with the answer's JSON text (the callee owns it: free() it) or
 * NULL when every call was a notification: on this thread before
 * cl_rpc_server_call() returns when no call pends, else later on the
 * thread that finishes the last pending call (the sequencer's writer),
 * so `fn` must be short and must not block. The request counts as
 * active for cl_rpc_server_drain() until `fn` has run.
 */
typedef void (*cl_rpc_answer_fn)(void *arg, char *answer);
void cl_rpc_server_call(struct cl_rpc_server *s, const uint8_t *body,
			size_t len, bool is_operator, cl_rpc_answer_fn fn,
			void *arg);

/*
 * The same for a body its caller parsed already (the WebSocket endpoint
 * parses every message to tell requests from its own messages): `doc`
 * (borrowed; a reference is taken) must be `body` parsed by
 * cl_json_load() (duplicate members refused, any value, as the server
 * parses), so it is not parsed again; the depth limit is still checked
 * on `body`. NULL `doc`: cl_rpc_server_call().
 */
void cl_rpc_server_call_parsed(struct cl_rpc_server *s, const uint8_t *body,
			       size_t len, json_t *doc, bool is_operator,
			       cl_rpc_answer_fn fn, void *arg);

/* ---- finishing a call ---- */

/* Answer with `result` (reference stolen; NULL means JSON null). */
struct cl_rpc_done cl_rpc_result(struct cl_rpc_call *call, json_t *result);

/* Answer with a result already written as JSON text (taken: one whole,
 * valid JSON value, as cl_json_dump would write it). For the answers of
 * writes, built on the sequencer's writer, where a tree of json_t and
 * its dump cost more than the rest of the answer (docs/performance.md). */
struct cl_rpc_done cl_rpc_result_text(struct cl_rpc_call *call, char *text);

/* Answer with an error object {code, message}. */
struct cl_rpc_done cl_rpc_error(struct cl_rpc_call *call, int code,
				const char *fmt, ...) CL_PRINTF(3, 4);

/* Same, with a "data" member (reference stolen). */
struct cl_rpc_done cl_rpc_error_data(struct cl_rpc_call *call, int code,
				     json_t *data, const char *fmt, ...)
	CL_PRINTF(4, 5);

/* The call will be finished later, from any thread, by cl_rpc_result or
 * cl_rpc_error on the same `call` pointer (valid until then). */
struct cl_rpc_done cl_rpc_pending(struct cl_rpc_call *call);

/* The counters of the server the call came through (cl_rpc_server_stats),
 * for a method that reports them. False, and *out zeroed, for a call not
 * made over HTTP (cl_rpc_run_body). */
bool cl_rpc_call_stats(const struct cl_rpc_call *call,
		       struct cl_rpc_stats *out);

/* Was the call made by a loopback client or with the operator token? */
bool cl_rpc_call_is_operator(const struct cl_rpc_call *call);

/* The address and port of the HTTP client that made the call (valid
 * while the call runs), or NULL for a call not made over HTTP
 * (cl_rpc_server_call, cl_rpc_run_body). */
struct sockaddr;
const struct sockaddr *cl_rpc_call_peer(const struct cl_rpc_call *call);

/* ---- the metrics endpoint (src/rpc/metrics.c, metrics_collect.c) ----
 * A second, small HTTP server on its own operator port that answers
 * GET /metrics (and HEAD) in the Prometheus text exposition format 0.0.4
 * and nothing else: another path is 404, another method 405 (with
 * "Allow: GET, HEAD"). Each scrape reads the node's sources afresh:
 * the chain reader's sync status (every mode), the sequencer's counters
 * and its L1 driver (a sequencer), the JSON-RPC server's limits, the
 * process (resident memory, descriptors), and whatever the `extra`
 * callback writes (the node hands it the WebSocket endpoint's counters,
 * a module above this one). docs/operations.md "Metrics" lists every
 * metric. One thread; at most 16 connections; 10 s idle timeout.
 */
struct cl_chain_reader;
struct cl_seq;
struct cl_l1_driver;
struct cl_api;
struct cl_metrics_writer;

/* Writes more metric families into `w` on the metrics thread (must be
 * thread-safe with respect to what it reads). */
typedef void (*cl_metrics_fn)(void *arg, struct cl_metrics_writer *w);

struct cl_metrics_config {
	const char *bind_addr; /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
	uint16_t port;         /* 0: any free port (cl_metrics_server_port) */
	const char *mode;      /* "sequencer", "verifier", "replica" */
	const struct cl_chain_reader *reader; /* required */
	struct cl_seq *seq;        /* a sequencer's counters, or NULL */
	struct cl_l1_driver *l1;   /* a sequencer's L1 driver, or NULL */
	struct cl_rpc_server *rpc; /* the JSON-RPC server, or NULL */
	const struct cl_api *api;  /* its rate limits' refusals, or NULL */
	cl_metrics_fn extra;       /* NULL: none */
	void *extra_arg;
};

struct cl_metrics_server;

/*
 * Start the metrics endpoint. Every object in `cfg` is borrowed and must
 * outlive the server (`mode` too); bind_addr is copied. Returns CL_OK and
 * *out, CL_ERR_CONFIG for a bad address, or CL_ERR_NET when the port
 * cannot be bound (logged).
 */
CL_WUR int cl_metrics_server_new(struct cl_metrics_server **out,
				 const struct cl_metrics_config *cfg);
uint16_t cl_metrics_server_port(const struct cl_metrics_server *m);
/* Stop and free; NULL is a no-op. */
void cl_metrics_server_free(struct cl_metrics_server *m);

/* One scrape's text (what GET /metrics answers), for tests: free() it. */
char *cl_metrics_render(const struct cl_metrics_config *cfg, size_t *len);

/*
 * Writing families (for cl_metrics_fn). A family starts with
 * cl_metrics_family (its # HELP and # TYPE lines; `type` is "counter",
 * "gauge" or "histogram"), then its samples. `name` of a sample is the
 * family's name, with _bucket, _sum or _count for a histogram; `labels`
 * is NULL or the label list without braces, values quoted
 * (`result="accepted"`). Names and label values are the caller's
 * constants: nothing is escaped.
 */
void cl_metrics_family(struct cl_metrics_writer *w, const char *name,
		       const char *type, const char *help);
void cl_metrics_sample(struct cl_metrics_writer *w, const char *name,
		       const char *labels, uint64_t value);
/* A sample of `micro` millionths (seconds from microseconds). */
void cl_metrics_sample_micro(struct cl_metrics_writer *w, const char *name,
			     const char *labels, uint64_t micro);
/* A family of one sample without labels. */
void cl_metrics_counter(struct cl_metrics_writer *w, const char *name,
			const char *help, uint64_t value);
void cl_metrics_gauge(struct cl_metrics_writer *w, const char *name,
		      const char *help, uint64_t value);

#endif /* CLEARLINE_RPC_H */
