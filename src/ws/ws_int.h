/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/ws: what its files share.
 *
 *   server.c   libwebsockets: the context, the thread, connections, send
 *              queues, close codes, the inbox from other threads
 *   streams.c  streams: numbering, history, shared messages, replay
 *   feed.c     per block: blocks, trades, book diffs, accounts
 *   batches.c  the batches stream: posted, verified, final, discarded
 *   www.c      the explorer page: its files over HTTP on the same port
 *   rpc_pool.c the JSON-RPC workers: requests run off the ws thread,
 *              in order per connection
 *   proto.c    client messages: subscribe, unsubscribe, resync,
 *              JSON-RPC (their parsing, apart from the server, is
 *              declared in ws_proto.h)
 *
 * Threads: everything here belongs to the ws thread, except the inbox
 * and the counters (under `lock`).
 */
#ifndef CLEARLINE_WS_INT_H
#define CLEARLINE_WS_INT_H

#include <clearline/api.h>
#include <clearline/json.h>
#include <clearline/sequencer.h>
#include <clearline/ws.h>

#include <libwebsockets.h>
#include <pthread.h>

#include "ws_proto.h"
#include "www.h"

/* A message built once, shared by the history and the client queues.
 * `buf` holds `pre` bytes of room the library writes its frame header
 * into, then the `len` bytes of text. */
struct ws_msg {
	unsigned refs;
	size_t len;
	unsigned char *text; /* = buf + pre */
	unsigned char buf[];
};

/* A message of `len` bytes of text (one reference). */
struct ws_msg *ws_msg_new(const char *text, size_t len);
/* A message from a JSON value (dumped compactly). */
struct ws_msg *ws_msg_json(const json_t *v);
void ws_msg_ref(struct ws_msg *m);
void ws_msg_unref(struct ws_msg *m);

/* One price level as streams keep it. */
struct ws_level {
	uint64_t price, size;
};

struct ws_stream {
	enum ws_stream_kind kind;
	char name[64];	 /* "blocks", "book:1", "trades:1", "account:0x.." */
	uint32_t market; /* book, trades */
	struct cl_address account;
	uint64_t seq; /* of the last message; 0: none yet */
	/* the last `n_hist` messages, oldest at hist[(head) % cap] */
	struct ws_msg **hist;
	size_t hist_cap, hist_head, n_hist;
	unsigned subs; /* clients subscribed */
	/* book: the levels the last message left the client with */
	struct ws_level *bids, *asks;
	size_t n_bids, n_asks;
	bool book_known; /* bids/asks hold a read (snapshot taken) */
	/* account: the last state sent (JSON text), to send only changes */
	char *acct_text;
	/* account: the risk events from this seq on are not sent yet
	 * (valid when ev_known) */
	uint64_t ev_next;
	bool ev_known;
};

struct ws_client;
struct ws_pool;

struct cl_ws_server {
	struct cl_ws_config cfg;
	struct cl_chain_reader reader;
	struct cl_rpc_server *rpc;
	struct ws_pool *pool; /* runs the JSON-RPC requests (rpc_pool.c) */
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	uint16_t port;
	pthread_t thread;
	bool started;

	/* ---- shared with other threads (under lock) ---- */
	pthread_mutex_t lock;
	bool stopping;
	/* blocks committed (the block hook), a bounded queue: over
	 * WS_EVENTS_MAX events or WS_EVENT_BYTES_MAX bytes waiting, an
	 * event is dropped and its blocks published from the reader, with a
	 * gap message on the trades streams */
	struct ws_event *events;
	struct ws_event **events_tail;
	size_t n_events, n_event_bytes;
	bool has_hook;	       /* events come (a sequencer) */
	uint64_t newest_block; /* the head, polled */
	bool has_newest;
	/* JSON-RPC answers waiting for the ws thread */
	struct ws_answer *answers;
	struct ws_answer **answers_tail;
	struct cl_ws_stats stats;

	/* ---- the ws thread's ---- */
	struct ws_client *clients; /* doubly linked */
	uint64_t next_client_id;
	uint64_t published; /* last block turned into messages */
	bool has_published;
	lws_sorted_usec_list_t poll_sul; /* the head poll's timer */
	int close_all;			 /* shutting down: a close code */
	struct ws_stream blocks;
	/* batches (batches.c): how far the last message went; has_*: the
	 * node knew it (an L1 is attached) */
	struct ws_stream batches;
	bool batches_known;
	bool b_has_posted, b_has_verified, b_has_final;
	uint64_t b_posted, b_verified, b_final; /* batch indices */
	struct ws_stream *books; /* one per market (genesis order) */
	struct ws_stream *trades;
	size_t n_markets;
	struct ws_stream **accounts; /* account streams with subscribers */
	size_t n_accounts;
	bool books_kept; /* the node keeps order books */
};

#define WS_EVENTS_MAX 256
#define WS_EVENT_BYTES_MAX ((size_t)64 << 20)

/* A committed block from the hook (a copy). */
struct ws_event {
	struct ws_event *next;
	uint64_t number, timestamp_ms;
	uint64_t sealed_ms; /* wall clock when the hook was called: the
			     * block had just become durable */
	struct cl_hash32 root;
	size_t bytes; /* what it holds, for the queue's bound */
	size_t n_trades;
	struct cl_seq_trade *trades;
	/* the books right after the block (market i: bids at
	 * levels[2i * depth], asks at levels[(2i + 1) * depth], counts in
	 * n_levels[2i], n_levels[2i + 1]); NULL without books */
	struct ws_level *levels;
	size_t *n_levels;
};

void ws_event_free(struct ws_event *e);

/* A JSON-RPC answer on its way back to client `client_id`. */
struct ws_answer {
	struct ws_answer *next;
	uint64_t client_id;
	char *text; /* NULL: nothing to send (notifications) */
};

struct ws_client {
	struct ws_client *prev, *next;
	struct cl_ws_server *srv;
	struct lws *wsi;
	uint64_t id;
	/* the send queue */
	struct ws_qnode *q_head, *q_tail;
	size_t q_msgs, q_bytes;
	bool cutting; /* closing: the close frame goes out next */
	int close_code;
	char close_reason[100];
	/* the message being received (fragments joined) */
	struct cl_buf rx;
	bool rx_too_big;
	/* subscriptions */
	struct ws_stream **subs;
	size_t n_subs;
	unsigned inflight; /* JSON-RPC requests not answered yet */
	struct cl_rate_bucket orders; /* orders and cancels (cfg.orders) */
};

struct ws_qnode {
	struct ws_qnode *next;
	struct ws_msg *m;
};

/* What the library keeps per connection: a WebSocket client, or an HTTP
 * request for one of the explorer's files. */
struct ws_pss {
	struct ws_client *c;		 /* WebSocket: the client */
	const struct ws_www_file *file; /* HTTP: the file being sent */
	size_t sent;			 /* ... and its bytes sent */
};

/* ---- server.c ---- */
/* Queue `m` (a reference is taken) for `c`; cuts a client over its
 * bounds. */
void ws_send(struct ws_client *c, struct ws_msg *m);
/* Queue a JSON value (built and dropped here). */
void ws_send_json(struct ws_client *c, json_t *v);
/* An error answer to a protocol message: {"type":"error", ...}. */
void ws_send_error(struct ws_client *c, const json_t *id, int code,
		   const char *fmt, ...) CL_PRINTF(4, 5);

/* Run a JSON-RPC request (text, and `doc` that text parsed: borrowed)
 * for `c` through the rpc dispatcher on its worker (rpc_pool.c; counted
 * in c->inflight until answered); the answer is queued to `c` when it
 * comes. */
void ws_rpc_call(struct ws_client *c, const char *text, size_t len,
		 json_t *doc);
/* Any thread: run `len` bytes of JSON-RPC text for client `client_id`
 * now, `doc` that text parsed by cl_json_load() (borrowed; parsed once:
 * cl_rpc_server_call_parsed); its answer goes to the inbox. */
void ws_rpc_run(struct cl_ws_server *s, uint64_t client_id, const char *text,
		size_t len, json_t *doc);

/* ---- rpc_pool.c ---- */
/* `n` workers (0: one per online cpu, at most 16). */
struct ws_pool *ws_pool_new(unsigned n);
unsigned ws_pool_size(const struct ws_pool *p);
/* Hand client `client_id`'s request (the text copied, a reference to
 * `doc`, the text parsed) to its worker; once ws_pool_stop() began, it
 * runs on the caller's thread. */
void ws_pool_submit(struct ws_pool *p, struct cl_ws_server *s,
		    uint64_t client_id, const char *text, size_t len,
		    json_t *doc);
/* Run what is queued and end the workers (later jobs run on the
 * caller's thread). NULL is a no-op. */
void ws_pool_stop(struct ws_pool *p);
/* Stop (if not yet) and free; no thread may submit any more. NULL is a
 * no-op. */
void ws_pool_free(struct ws_pool *p);

/* ---- streams.c ---- */
void ws_stream_init(struct ws_stream *st, enum ws_stream_kind kind,
		    const char *name, size_t hist_cap);
void ws_stream_release(struct ws_stream *st);
/* Number `body` (adds "stream", "seq"), keep it in the history and send
 * it to every subscriber. Steals `body`. */
void ws_stream_publish(struct cl_ws_server *s, struct ws_stream *st,
		       json_t *body);
/* The same for a message written as text: `body`, an object whose
 * members are written and nothing left open, gets "stream" and "seq"
 * and is ended (its buffer handed on); the text is the one
 * ws_stream_publish gives for the same members in the same order. */
void ws_stream_publish_text(struct cl_ws_server *s, struct ws_stream *st,
			    struct cl_api_text *body);
/* The stream named `name`, made (when `create`) if it is an account
 * stream not yet open; NULL with a reason in *why and its error code in
 * *code. */
struct ws_stream *ws_stream_find(struct cl_ws_server *s, const char *name,
				 bool create, const char **why, int *code);
/* Replay the messages after `since` to `c`: true when the history still
 * holds all of them. */
bool ws_stream_replay(struct ws_stream *st, struct ws_client *c,
		      uint64_t since);
/* An account stream lost its last subscriber: free it. */
void ws_stream_drop_account(struct cl_ws_server *s, struct ws_stream *st);

/* ---- feed.c ---- */
/* One trade as the trade and account streams show it. */
struct ws_trade {
	enum cl_stf_fill_kind kind;
	bool is_buy;	/* the taker's side */
	bool has_taker; /* `taker` names an order (not a liquidation's) */
	uint32_t market;
	uint64_t price, size;
	struct cl_hash32 taker, maker;
	struct cl_address taker_trader, maker_trader;
};
/* The trade as a JSON object, and its members written as text into an
 * open object of `b` (in the same order: byte for byte what
 * cl_json_dump gives for ws_trade_json). */
json_t *ws_trade_json(const struct ws_trade *t);
void ws_trade_members(struct cl_api_text *b, const struct ws_trade *t);
/* Publish the blocks in `events` (taken from the inbox; freed here),
 * then every block up to the polled head that no event named (a node
 * without a block hook), then the books' and accounts' changes. */
void ws_feed_run(struct cl_ws_server *s, struct ws_event *events);
/* Read the stream's current state and send it to `c` as a snapshot
 * (book, account); other kinds send nothing. `flags` go into the
 * message (e.g. "historyLost"). */
void ws_feed_snapshot(struct cl_ws_server *s, struct ws_stream *st,
		      struct ws_client *c, json_t *flags);

/* ---- batches.c ---- */
/* Read the sync status and publish the batches posted, verified and
 * final since the last call (every poll_ms, every mode). */
void ws_batches_poll(struct cl_ws_server *s);
/* Add where batches stand (postedBatch, verifiedBatch, finalizedBatch)
 * to a subscription's answer. */
void ws_batches_state(struct cl_ws_server *s, json_t *o);

/* ---- www.c ---- */
/* LWS_CALLBACK_HTTP: answer a GET of `uri` (an explorer file or 404);
 * the library's return convention (-1 closes). */
int ws_www_request(struct lws *wsi, struct ws_pss *pss, const char *uri);
/* LWS_CALLBACK_HTTP_WRITEABLE: the next chunk of the file. */
int ws_www_writeable(struct lws *wsi, struct ws_pss *pss);

/* ---- proto.c ---- */
/* One complete text message from `c`. */
void ws_proto_message(struct ws_client *c, const char *text, size_t len);
/* Drop every subscription of `c` (it is closing). */
void ws_proto_unsubscribe_all(struct ws_client *c);

/* Close codes (docs/api.md "WebSocket"). */
enum {
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_SLOW = 4001,
};

#endif
