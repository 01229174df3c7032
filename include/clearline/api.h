/* SPDX-License-Identifier: MIT */
/*
 * api — the wallet and operator JSON-RPC methods on top of the rpc server
 * (docs/api.md is the reference). Part of the rpc module.
 *
 * Writes (orders, cancels, withdrawals, agent approvals, oracle updates)
 * are decoded and their signatures recovered on the RPC worker threads,
 * then queued to the sequencer; the answer goes out when the block holding
 * them is durable. Reads use a fresh LMDB snapshot of the last sealed
 * block, so they never wait for the writer.
 *
 * Reads go through the node's struct cl_chain_reader (include/clearline/
 * chain.h), which a sequencer and a verifier or replica each implement,
 * so no method asks which mode it runs in. On a verifier or replica
 * (seq NULL) the reads come from the state derived from L1, and every
 * write answers CL_API_ERR_READ_ONLY naming the sequencer's URL.
 *
 * Application error codes: 1000 + enum cl_stf_code for every stf
 * rejection (1001 bad signature, 1003 unknown market, 1006 off tick,
 * 1010 expired, 1025 insufficient margin, ...), and the 2000 range for the
 * node itself (busy, shutting down, read-only, unknown block or
 * withdrawal).
 */
#ifndef CLEARLINE_API_H
#define CLEARLINE_API_H


#include <clearline/chain.h>
#include <clearline/rpc.h>
#include <clearline/sequencer.h>
#include <clearline/stf.h>

enum {
	CL_API_ERR_STF_BASE = 1000,
	CL_API_ERR_BUSY = 2000,
	CL_API_ERR_SHUTDOWN = 2001,
	CL_API_ERR_NOT_ALLOWED = 2002,
	CL_API_ERR_READ_ONLY = 2003,
	CL_API_ERR_UNKNOWN_BLOCK = 2004,
	CL_API_ERR_UNKNOWN_WITHDRAWAL = 2005,
	CL_API_ERR_UNKNOWN_FORCED = 2006, /* a forced request not applied */
	CL_API_ERR_RATE_LIMITED = 2007,	  /* too many orders and cancels */
};

/* ---- rate limits of orders and cancels (src/rpc/write_limit.c;
 * docs/api.md "Rate limits") ----
 * Token buckets: a bucket holds at most `burst` tokens and gains `per_s`
 * a second; an order or a cancel takes one. Integer arithmetic only. */
struct cl_rate_limit {
	uint32_t per_s; /* 0: no limit */
	uint32_t burst; /* >= 1 when per_s > 0 */
};

/* One bucket; all zero is a full bucket never used. */
struct cl_rate_bucket {
	bool used;
	uint64_t tokens; /* x 10^9 */
	uint64_t at_ns;	 /* when `tokens` was computed */
};

/*
 * Take `n` tokens from `b` at `now_ns` (monotonic): true, or false with
 * nothing taken and *retry_ms the wait in milliseconds (rounded up, at
 * least 1) until the bucket holds `n`. A limit with per_s 0 always
 * grants. `n` above the burst is never granted: *retry_ms is then
 * UINT64_MAX.
 */
CL_WUR bool cl_rate_take(const struct cl_rate_limit *lim,
			 struct cl_rate_bucket *b, uint32_t n,
			 uint64_t now_ns, uint64_t *retry_ms);

/* The limits on orders and cancels. */
struct cl_api_write_limits {
	struct cl_rate_limit account;	 /* per signing address */
	struct cl_rate_limit connection; /* per HTTP or WebSocket
					  * connection */
};

struct write_limit;

#define CL_API_MAX_OPEN_ORDERS 1000
#define CL_API_MAX_DEPTH 500

/* What the methods work on; owned by the node, borrowed by the server. */
struct cl_api {
	struct cl_seq *seq;            /* takes writes; NULL: read-only node */
	struct cl_chain_reader reader; /* every read, whatever the mode */
	const struct cl_genesis *genesis;
	struct cl_address collateral_token;
	bool has_token;
	bool dev_credit;           /* op_credit allowed (no L1 attached) */
	const char *sequencer_url; /* read-only nodes: where writes go */
	const char *mode_name;     /* "sequencer", "verifier", "replica" */
	/* orders and cancels: the limits (reported by l2_getConfig) and the
	 * buckets (cl_api_limits_init; NULL: that limit is off) */
	struct cl_api_write_limits limits;
	struct write_limit *account_buckets, *conn_buckets;
	/* l2_getAccountProof against a posted batch or the exit root: the
	 * L1 it reads and the last state it rebuilt (cl_api_exit_init;
	 * NULL: the head only) */
	struct api_exit_state *exit_state;
	/* orders and cancels refused (2007) by each bucket; the WebSocket
	 * connections' are counted by the ws module */
	_Atomic uint64_t refused_account, refused_conn;
};

/*
 * Let l2_getAccountProof prove against the exit root or any posted
 * batch (docs/l1.md "Escape"): it reads the genesis's rollup at
 * `l1_url` (copied; NULL: a node without an L1, which proves against
 * its head only), scanning events from L1 block `from_block`,
 * `log_range` blocks per eth_getLogs (0: the default), and keeps the
 * last state it rebuilt from L1 in memory. Call before serving; release
 * with cl_api_exit_release() (a no-op on a zeroed api).
 */
void cl_api_exit_init(struct cl_api *api, const char *l1_url,
		      uint64_t from_block, uint64_t log_range);
void cl_api_exit_release(struct cl_api *api);

/* What the rate limits refused so far (any thread). */
struct cl_api_rate_stats {
	uint64_t account;    /* by the signing account's bucket */
	uint64_t connection; /* by an HTTP connection's bucket */
};
void cl_api_rate_stats(const struct cl_api *api, struct cl_api_rate_stats *out);

/* Set the limits of `api`'s orders and cancels before it serves: the
 * HTTP connections' buckets are kept here, the WebSocket connections'
 * by the ws module (config orders_per_s). Release with
 * cl_api_limits_release(). */
void cl_api_limits_init(struct cl_api *api,
			const struct cl_api_write_limits *l);
void cl_api_limits_release(struct cl_api *api);

/* A stored trigger order and a stored TWAP order as the answers show
 * them (l2_getTriggerOrder, l2_getTwapOrder, l2_getAccount), for the
 * other places that show them (the WebSocket's account stream). A new
 * reference. */
json_t *cl_api_trigger_json(const struct cl_hash32 *h,
			    const struct cl_trigger_record *t);
json_t *cl_api_twap_json(const struct cl_hash32 *h,
			 const struct cl_twap_record *t);
/* One risk event as l2_getRiskEvents shows it. A new reference. */
json_t *cl_api_risk_event_json(const struct cl_stf_event *e);

/* The method table (static storage). */
const struct cl_rpc_method *cl_api_methods(size_t *n);

/* The OpenRPC document of the methods (docs/openrpc.json, embedded at
 * build time; JSON text of *len bytes, NUL-terminated), which the method
 * rpc.discover answers. */
const char *cl_api_openrpc(size_t *len);

/* Map a stf/sequencer/system code to its JSON-RPC error code. */
int cl_api_error_code(int code);

/*
 * A JSON object written straight to text, member by member, where a tree
 * of json_t, its print and its free would cost a hot thread too much:
 * the answers of writes on the sequencer's writer, the trade streams on
 * the WebSocket thread. The text is what cl_json_dump prints for the
 * same members in the same order. Strings must need no escaping (hex,
 * digits, fixed words): anything else is a bug (checked).
 */
#define CL_API_TEXT_DEPTH 8
struct cl_api_text {
	struct cl_buf b;
	unsigned depth;
	bool any[CL_API_TEXT_DEPTH]; /* a member written at this depth yet */
};
/* "{": the object, members to follow. */
void cl_api_text_init(struct cl_api_text *t);
/* A member `k` (NULL inside an array) that opens an object or array. */
void cl_api_text_open(struct cl_api_text *t, const char *k, char open);
void cl_api_text_close(struct cl_api_text *t, char close);
/* A string that needs no escaping (checked: anything else is a bug). */
void cl_api_text_str(struct cl_api_text *t, const char *k, const char *plain);
/* A u64 as a decimal string, as cl_json_from_u64 writes it. */
void cl_api_text_u64(struct cl_api_text *t, const char *k, uint64_t v);
void cl_api_text_hash(struct cl_api_text *t, const char *k,
		      const struct cl_hash32 *h);
/* The EIP-55 text, through a cache of the calling thread's. */
void cl_api_text_addr(struct cl_api_text *t, const char *k,
		      const struct cl_address *a);
/* A member whose value is JSON text already (true, false, a number). */
void cl_api_text_raw(struct cl_api_text *t, const char *k, const char *json);
/* The members of `object`, the text of a JSON object, appended. */
void cl_api_text_members(struct cl_api_text *t, const char *object);
/* "}": the text, to free(). */
char *cl_api_text_end(struct cl_api_text *t);

#endif /* CLEARLINE_API_H */
