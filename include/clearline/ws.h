/* SPDX-License-Identifier: MIT */
/*
 * ws — the WebSocket endpoint: streams of the chain (order books, trades,
 * accounts, blocks) and order entry over the same socket
 * (docs/api.md "WebSocket" is the protocol).
 *
 * The module owns libwebsockets: nothing else includes it. One thread
 * (the ws thread) runs the library's event loop and owns every
 * connection, every stream and every queue; other threads only hand it
 * work through a mutex-guarded inbox and wake it (lws_cancel_service).
 *
 * Where the data comes from: after each committed block the sequencer
 * calls cl_ws_on_block() (its block hook, on its writer thread, between
 * blocks) with the block's number, time, root and fills; that call
 * copies them and the books' best levels (exactly the committed books:
 * no next block has started) into a bounded queue and wakes the ws
 * thread, never waiting for it. A deriving node (verifier, replica) has
 * no hook: its head is polled every poll_ms and its books read then. The
 * ws thread reads a snapshot through the node's chain reader (order
 * records for the trades, accounts, roots) and turns it all into
 * numbered messages.
 *
 * Streams: every stream numbers its messages (`seq`, +1 per message, no
 * gaps) and keeps the last `history` messages, so a client that comes
 * back names its last seq and gets what it missed, or a fresh snapshot
 * flagged `historyLost`. Messages are built once and shared (counted
 * references) by the history and every client's queue.
 *
 * Back-pressure: each client has a send queue bounded in messages and
 * bytes; a client over either bound is cut (close code 4001 with the
 * reason) and its queue freed at once: memory never grows with a slow
 * reader. Keepalive: a ping after ping_s of silence, the connection
 * dropped after timeout_s without a pong.
 *
 * Order entry: a message that is a JSON-RPC request object (or batch) is
 * run by the JSON-RPC server's own dispatcher (cl_rpc_server_call) and
 * answered on the same connection with the same result or error, the
 * client's id echoed; operator methods are never served here. The
 * requests run on a few worker threads (a connection always on the same
 * one, so its requests reach the sequencer in the order sent), never on
 * the ws thread, which only parses, limits and forwards; a write's
 * answer comes from the sequencer's thread when its block is durable,
 * through the inbox. A client gone before its answers came loses them;
 * what it sent still runs, once.
 *
 * The explorer page: a plain HTTP GET on the same port answers the
 * static files of src/ws/www/, embedded in the binary at build time
 * (docs/operations.md "Explorer"); the page talks to this endpoint.
 */
#ifndef CLEARLINE_WS_H
#define CLEARLINE_WS_H

#include <clearline/api.h>
#include <clearline/chain.h>
#include <clearline/common.h>
#include <clearline/rpc.h>
#include <clearline/sequencer.h>

struct cl_ws_config {
	const char *bind_addr; /* IPv4 or IPv6 literal; "127.0.0.1" */
	uint16_t port;	       /* 0: any free port (cl_ws_server_port) */
	unsigned max_clients;  /* connections at once; default 1024 */
	size_t max_msg_bytes;  /* largest client message; default 64 KiB */
	size_t queue_bytes;    /* send queue per client, bytes; 4 MiB */
	unsigned queue_msgs;   /* ... and messages; default 4096 */
	unsigned history;      /* messages kept per stream; default 1024 */
	unsigned max_subs;     /* subscriptions per client; default 64 */
	unsigned max_accounts; /* account streams at once; default 1024 */
	unsigned max_inflight; /* JSON-RPC requests per client not yet
				* answered; default 64 */
	unsigned rpc_threads;  /* workers that run JSON-RPC requests (their
				* signatures recovered there); 0: one per
				* online cpu, at most 16 */
	struct cl_rate_limit orders; /* orders and cancels per connection
				      * (docs/api.md "Rate limits");
				      * default 5000/s, bursts of 10000 */
	unsigned ping_s;       /* ping after this much silence; 20 */
	unsigned timeout_s;    /* drop after this much silence; 60 */
	unsigned cut_grace_s;  /* a cut client's close frame waits this
				* long for room in the socket; 10 */
	unsigned poll_ms;      /* the head is also polled this often
				* (a node without a block hook); 200 */
	unsigned book_depth;   /* levels per side in book streams; 500 */
	bool block_hook;       /* blocks come through cl_ws_on_block()
				* (with their trades); false: the head is
				* polled and no trades are streamed */
};

/* Fill `cfg` with the defaults above. */
void cl_ws_config_defaults(struct cl_ws_config *cfg);

struct cl_ws_server;

/*
 * Start the endpoint and its thread. `reader` (copied; what it points to
 * must outlive the server) serves every stream; `rpc` (borrowed, may be
 * NULL: no order entry) runs JSON-RPC messages. Returns CL_OK and *out,
 * CL_ERR_CONFIG for a bad address or limits, CL_ERR_NET when the port
 * cannot be bound (logged).
 */
CL_WUR int cl_ws_server_new(struct cl_ws_server **out,
			    const struct cl_ws_config *cfg,
			    const struct cl_chain_reader *reader,
			    struct cl_rpc_server *rpc);

/* The port actually bound. */
uint16_t cl_ws_server_port(const struct cl_ws_server *s);

/*
 * A block is committed: the sequencer's block hook (cl_seq_on_block(),
 * `arg` is the server). Any thread; copies the event and returns
 * without waiting for the ws thread (config block_hook says the blocks
 * come this way).
 */
void cl_ws_on_block(void *arg, const struct cl_seq_block_event *ev);

struct cl_ws_stats {
	uint64_t clients;	 /* connected now */
	uint64_t cut_slow;	 /* clients cut for a full send queue */
	uint64_t dropped;	 /* messages freed unsent with them */
	uint64_t sent;		 /* messages handed to the socket */
	uint64_t events_dropped; /* block events over the queue's bound */
	uint64_t rate_limited;	 /* orders and cancels refused (2007) by
				  * the connections' buckets */
};

/* Counters (any thread). */
void cl_ws_server_stats(struct cl_ws_server *s, struct cl_ws_stats *out);

/* Write the counters above as metric families (a cl_metrics_fn for the
 * metrics endpoint, include/clearline/rpc.h; `ws` is a struct
 * cl_ws_server). */
void cl_ws_metrics(void *ws, struct cl_metrics_writer *w);

/*
 * Stop: every connection is closed (1001 "server shutting down"), the
 * thread joined, everything freed. JSON-RPC calls still pending must be
 * finished first (cl_rpc_server_drain), since their answers come here.
 * NULL is a no-op.
 */
void cl_ws_server_free(struct cl_ws_server *s);

#endif /* CLEARLINE_WS_H */
