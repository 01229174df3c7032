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
};

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
};

/* The method table (static storage). */
const struct cl_rpc_method *cl_api_methods(size_t *n);

/* The OpenRPC document of the methods (docs/openrpc.json, embedded at
 * build time; JSON text of *len bytes, NUL-terminated), which the method
 * rpc.discover answers. */
const char *cl_api_openrpc(size_t *len);

/* Map a stf/sequencer/system code to its JSON-RPC error code. */
int cl_api_error_code(int code);

#endif /* CLEARLINE_API_H */
