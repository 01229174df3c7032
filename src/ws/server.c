/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket server: libwebsockets' event loop on one thread, the
 * connections and their bounded send queues, close codes, and the inbox
 * other threads fill (committed blocks, JSON-RPC answers).
 *
 * Sending: a client's messages wait in its queue; each "writeable" event
 * hands one to the library, which keeps what the socket did not take and
 * reports writeable again only when it is gone. So the queue is exactly
 * what the client has not taken, and its bounds (messages, bytes) are
 * checked on every enqueue: over either, the queue is freed and the
 * connection closed with 4001 and the reason, the close frame waiting at
 * most cut_grace_s for room in the socket.
 */
#include "ws_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "ws";

void cl_ws_config_defaults(struct cl_ws_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_addr = "127.0.0.1";
	cfg->max_clients = 1024;
	cfg->max_msg_bytes = 64u << 10;
	cfg->queue_bytes = 4u << 20;
	cfg->queue_msgs = 4096;
	cfg->history = 1024;
	cfg->max_subs = 64;
	cfg->max_accounts = 1024;
	cfg->max_inflight = 64;
	cfg->orders.per_s = 5000;
	cfg->orders.burst = 10000;
	cfg->ping_s = 20;
	cfg->timeout_s = 60;
	cfg->cut_grace_s = 10;
	cfg->poll_ms = 200;
	cfg->book_depth = 500;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

struct ws_msg *ws_msg_new(const char *text, size_t len)
{
	struct ws_msg *m = cl_xmalloc(sizeof(*m) + LWS_PRE + len + 1);
	m->refs = 1;
	m->len = len;
	m->text = m->buf + LWS_PRE;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	return m;
}

struct ws_msg *ws_msg_json(const json_t *v)
{
	char *s = cl_json_dump(v);
	struct ws_msg *m = ws_msg_new(s, strlen(s));
	free(s);
	return m;
}

void ws_msg_ref(struct ws_msg *m)
{
	m->refs++;
}

void ws_msg_unref(struct ws_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

/* ------------------------------------------------------------------ */
/* Send queues                                                         */
/* ------------------------------------------------------------------ */

static void queue_free(struct ws_client *c)
{
	struct ws_qnode *n = c->q_head;
	while (n) {
		struct ws_qnode *next = n->next;
		ws_msg_unref(n->m);
		free(n);
		n = next;
	}
	c->q_head = c->q_tail = NULL;
	c->q_msgs = c->q_bytes = 0;
}

/* Close `c` with `code` and `reason` once its queue is sent and the socket
 * takes the frame (at most cut_grace_s). */
static void client_close(struct ws_client *c, int code, const char *reason)
{
	if (c->cutting)
		return;
	c->cutting = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
			(int)c->srv->cfg.cut_grace_s);
	lws_callback_on_writable(c->wsi);
}

void ws_send(struct ws_client *c, struct ws_msg *m)
{
	struct cl_ws_server *s = c->srv;

	if (c->cutting)
		return;
	if (c->q_msgs + 1 > s->cfg.queue_msgs ||
	    c->q_bytes + m->len > s->cfg.queue_bytes) {
		char why[100];
		snprintf(why, sizeof(why),
			 "slow consumer: send queue over %u messages or %zu "
			 "bytes",
			 s->cfg.queue_msgs, s->cfg.queue_bytes);
		pthread_mutex_lock(&s->lock);
		s->stats.cut_slow++;
		s->stats.dropped += c->q_msgs;
		pthread_mutex_unlock(&s->lock);
		cl_info(SUB, "client %llu cut: %zu messages, %zu bytes waiting",
			(unsigned long long)c->id, c->q_msgs, c->q_bytes);
		queue_free(c);
		client_close(c, WS_CLOSE_SLOW, why);
		return;
	}
	struct ws_qnode *n = cl_xmalloc(sizeof(*n));
	ws_msg_ref(m);
	n->m = m;
	n->next = NULL;
	if (c->q_tail)
		c->q_tail->next = n;
	else
		c->q_head = n;
	c->q_tail = n;
	c->q_msgs++;
	c->q_bytes += m->len;
	lws_callback_on_writable(c->wsi);
}

void ws_send_json(struct ws_client *c, json_t *v)
{
	struct ws_msg *m = ws_msg_json(v);
	json_decref(v);
	ws_send(c, m);
	ws_msg_unref(m);
}

void ws_send_error(struct ws_client *c, const json_t *id, int code,
		   const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("error"));
	if (id)
		json_object_set(o, "id", (json_t *)id);
	json_object_set_new(o, "code", json_integer(code));
	json_object_set_new(o, "message", json_string(msg));
	ws_send_json(c, o);
}

/* At most this many messages of one client per writable callback: the
 * other clients get their turn, and one poll() round trip carries a
 * block's answers of a connection in tens, not one each. */
#define WRITES_PER_CALLBACK 64

/* Hand queued messages to the library while the socket takes them
 * whole; -1 closes. The first write is the callback's own; each one
 * after it only when lws_send_pipe_choked() says the socket would take
 * more and nothing is left buffered (a write the kernel took in part is
 * finished by the library before the next callback). */
static int client_write(struct ws_client *c)
{
	unsigned sent = 0;
	int rc = 0;
	/* several messages: corked, so they leave in full segments rather
	 * than a packet each (the kernel's path per packet, and the
	 * client's per read, cost more than the send itself) */
	int fd = c->q_head && c->q_head->next ? lws_get_socket_fd(c->wsi) : -1;
	int on = 1, off = 0;
	bool corked = fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on,
					    sizeof(on)) == 0;

	for (;;) {
		struct ws_qnode *n = c->q_head;
		if (!n && c->cutting) {
			/* closing: what was queued before went first (a cut
			 * client's queue was freed) */
			lws_close_reason(c->wsi,
					 (enum lws_close_status)c->close_code,
					 (unsigned char *)c->close_reason,
					 strlen(c->close_reason));
			rc = -1;
			break;
		}
		if (!n || (sent > 0 && (sent >= WRITES_PER_CALLBACK ||
					lws_send_pipe_choked(c->wsi))))
			break;
		c->q_head = n->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->q_msgs--;
		c->q_bytes -= n->m->len;
		int w = lws_write(c->wsi, n->m->text, n->m->len,
				  LWS_WRITE_TEXT);
		bool ok = w >= 0 && (size_t)w >= n->m->len;
		ws_msg_unref(n->m);
		free(n);
		if (!ok) {
			rc = -1;
			break;
		}
		sent++;
	}
	if (corked)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
	if (sent) {
		pthread_mutex_lock(&c->srv->lock);
		c->srv->stats.sent += sent;
		pthread_mutex_unlock(&c->srv->lock);
	}
	if (rc)
		return rc;
	/* more to send, or the close frame after the last message (a client
	 * closed with messages queued, as at shutdown, waited for its
	 * close frame until the goodbye's second ran out: 1006, not 1001) */
	if (c->q_head || c->cutting)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The inbox                                                           */
/* ------------------------------------------------------------------ */

/* The books as the block left them: the writer is between blocks now,
 * so its books are exactly the committed state (a later read on the ws
 * thread could see the next block's orders before it is sealed). */
static void copy_books(struct cl_ws_server *s, struct ws_event *e)
{
	size_t depth = s->cfg.book_depth;
	struct book_level *lv = cl_xcalloc(depth, sizeof(*lv));

	e->levels = cl_xcalloc(2 * s->n_markets * depth, sizeof(*e->levels));
	e->n_levels = cl_xcalloc(2 * s->n_markets, sizeof(*e->n_levels));
	for (size_t i = 0; i < s->n_markets; i++) {
		for (int side = 0; side < 2; side++) {
			size_t k = 2 * i + (size_t)side;
			size_t n = cl_chain_book_depth(
			    &s->reader, lv, depth, s->books[i].market,
			    side ? BOOK_SELL : BOOK_BUY);
			for (size_t j = 0; j < n; j++) {
				e->levels[k * depth + j].price = lv[j].price.v;
				e->levels[k * depth + j].size = lv[j].size.v;
			}
			e->n_levels[k] = n;
		}
	}
	free(lv);
}

/* The bytes an event of `n_trades` holds. */
static size_t event_bytes(const struct cl_ws_server *s, size_t n_trades)
{
	size_t b =
	    sizeof(struct ws_event) + n_trades * sizeof(struct cl_seq_trade);
	if (s->books_kept)
		b += 2 * s->n_markets *
		     (s->cfg.book_depth * sizeof(struct ws_level) +
		      sizeof(size_t));
	return b;
}

void cl_ws_on_block(void *arg, const struct cl_seq_block_event *ev)
{
	struct cl_ws_server *s = arg;
	struct ws_event *e = NULL;
	size_t bytes = event_bytes(s, ev->n_trades);
	uint64_t sealed_ms = cl_clock_now_ms();

	pthread_mutex_lock(&s->lock);
	bool room = s->n_events < WS_EVENTS_MAX &&
		    s->n_event_bytes + bytes <= WS_EVENT_BYTES_MAX;
	if (room) {
		s->n_events++;
		s->n_event_bytes += bytes;
	} else {
		s->stats.events_dropped++;
	}
	pthread_mutex_unlock(&s->lock);
	if (room) {
		/* copied outside the lock: the ws thread never waits on it */
		e = cl_xcalloc(1, sizeof(*e));
		e->number = ev->number;
		e->timestamp_ms = ev->timestamp_ms;
		e->sealed_ms = sealed_ms;
		e->root = ev->root;
		e->bytes = bytes;
		e->n_trades = ev->n_trades;
		if (ev->n_trades) {
			e->trades =
			    cl_xmalloc(ev->n_trades * sizeof(*e->trades));
			memcpy(e->trades, ev->trades,
			       ev->n_trades * sizeof(*e->trades));
		}
		if (s->books_kept)
			copy_books(s, e);
	}
	pthread_mutex_lock(&s->lock);
	if (e) {
		*s->events_tail = e;
		s->events_tail = &e->next;
	}
	if (!s->has_newest || ev->number > s->newest_block) {
		s->newest_block = ev->number;
		s->has_newest = true;
	}
	pthread_mutex_unlock(&s->lock);
	lws_cancel_service(s->ctx);
}

struct answer_ctx {
	struct cl_ws_server *srv;
	uint64_t client_id;
};

/* cl_rpc_answer_fn: any thread (a write's answer comes on the
 * sequencer's writer); only queues. The ws thread is woken when the
 * inbox of answers was empty: otherwise a wake-up is already on its way
 * and takes the whole list, so a burst of answers of one block costs
 * the writer one wake-up, not one each. */
static void on_rpc_answer(void *arg, char *text)
{
	struct answer_ctx *a = arg;
	struct cl_ws_server *s = a->srv;
	struct ws_answer *w = cl_xmalloc(sizeof(*w));

	w->next = NULL;
	w->client_id = a->client_id;
	w->text = text;
	free(a);
	pthread_mutex_lock(&s->lock);
	bool wake = s->answers == NULL;
	*s->answers_tail = w;
	s->answers_tail = &w->next;
	pthread_mutex_unlock(&s->lock);
	if (wake)
		lws_cancel_service(s->ctx);
}

void ws_rpc_run(struct cl_ws_server *s, uint64_t client_id, const char *text,
		size_t len, json_t *doc)
{
	struct answer_ctx *a = cl_xmalloc(sizeof(*a));
	a->srv = s;
	a->client_id = client_id;
	cl_rpc_server_call_parsed(s->rpc, (const uint8_t *)text, len, doc,
				  false, on_rpc_answer, a);
}

void ws_rpc_call(struct ws_client *c, const char *text, size_t len, json_t *doc)
{
	c->inflight++;
	ws_pool_submit(c->srv->pool, c->srv, c->id, text, len, doc);
}

static struct ws_client *client_by_id(struct cl_ws_server *s, uint64_t id)
{
	for (struct ws_client *c = s->clients; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* The ws thread: take what other threads left. */
static void inbox_serve(struct cl_ws_server *s)
{
	pthread_mutex_lock(&s->lock);
	struct ws_answer *list = s->answers;
	s->answers = NULL;
	s->answers_tail = &s->answers;
	struct ws_event *events = s->events;
	s->events = NULL;
	s->events_tail = &s->events;
	s->n_events = 0;
	s->n_event_bytes = 0;
	pthread_mutex_unlock(&s->lock);

	/* the blocks first: a block's event is queued before its writes are
	 * answered, so on one connection the stream messages of a block
	 * come before the answers it holds */
	ws_feed_run(s, events);
	while (list) {
		struct ws_answer *w = list;
		list = w->next;
		struct ws_client *c = client_by_id(s, w->client_id);
		if (c) {
			c->inflight--;
			if (w->text) {
				struct ws_msg *m =
				    ws_msg_new(w->text, strlen(w->text));
				ws_send(c, m);
				ws_msg_unref(m);
			}
		}
		free(w->text);
		free(w);
	}
}

/* Every poll_ms: a node without a block hook reads its head; a node
 * with one only retries events a run left for later (their block was
 * newer than the snapshot it read). */
static void poll_head(lws_sorted_usec_list_t *sul)
{
	struct cl_ws_server *s =
	    lws_container_of(sul, struct cl_ws_server, poll_sul);
	struct cl_chain_sync sync;
	bool run = false;

	if (!s->has_hook) {
		run = cl_chain_sync(&s->reader, &sync) == CL_OK;
		pthread_mutex_lock(&s->lock);
		if (run &&
		    (!s->has_newest || sync.head_block > s->newest_block)) {
			s->newest_block = sync.head_block;
			s->has_newest = true;
		}
		pthread_mutex_unlock(&s->lock);
	} else {
		pthread_mutex_lock(&s->lock);
		run = s->events != NULL;
		pthread_mutex_unlock(&s->lock);
	}
	if (run)
		inbox_serve(s);
	ws_batches_poll(s);
	lws_sul_schedule(s->ctx, 0, &s->poll_sul, poll_head,
			 (lws_usec_t)s->cfg.poll_ms * LWS_US_PER_MS);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static int count_clients(const struct cl_ws_server *s)
{
	int n = 0;
	for (struct ws_client *c = s->clients; c; c = c->next)
		n++;
	return n;
}

static void client_gone(struct cl_ws_server *s, struct ws_client *c)
{
	ws_proto_unsubscribe_all(c);
	queue_free(c);
	cl_buf_release(&c->rx);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->subs);
	free(c);
	pthread_mutex_lock(&s->lock);
	s->stats.clients--;
	pthread_mutex_unlock(&s->lock);
}

static int on_receive(struct ws_client *c, const void *in, size_t len)
{
	struct cl_ws_server *s = c->srv;

	if (c->cutting)
		return 0;
	if (!c->rx_too_big) {
		if (c->rx.len + len > s->cfg.max_msg_bytes) {
			c->rx_too_big = true;
			cl_buf_reset(&c->rx);
		} else {
			cl_buf_append(&c->rx, in, len);
		}
	}
	if (!lws_is_final_fragment(c->wsi) ||
	    lws_remaining_packet_payload(c->wsi) != 0)
		return 0;
	if (c->rx_too_big) {
		/* closed like a cut client: what is queued, then the close
		 * frame from the writeable callback (closing from here lost
		 * the frame to a reset about one time in five) */
		char why[80];
		snprintf(why, sizeof(why), "message over %zu bytes",
			 s->cfg.max_msg_bytes);
		cl_buf_reset(&c->rx);
		client_close(c, WS_CLOSE_TOO_BIG, why);
		return 0;
	}
	if (lws_frame_is_binary(c->wsi)) {
		ws_send_error(c, NULL, WS_ERR_BAD_MESSAGE,
			      "binary messages are not accepted: send JSON "
			      "text");
	} else {
		cl_buf_append_byte(&c->rx, 0);
		ws_proto_message(c, (const char *)c->rx.p, c->rx.len - 1);
	}
	cl_buf_reset(&c->rx);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct cl_ws_server *s = lws_context_user(ctx);
	struct ws_pss *pss = user;
	struct ws_client *c = pss ? pss->c : NULL;

	switch ((int)reason) {
	case LWS_CALLBACK_PROTOCOL_INIT:
		lws_sul_schedule(ctx, 0, &s->poll_sul, poll_head,
				 (lws_usec_t)s->cfg.poll_ms * LWS_US_PER_MS);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (count_clients(s) >= (int)s->cfg.max_clients) {
			cl_info(SUB,
				"refused a connection: %u clients "
				"(ws-max-clients)",
				s->cfg.max_clients);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		c = cl_xcalloc(1, sizeof(*c));
		c->srv = s;
		c->wsi = wsi;
		c->id = ++s->next_client_id;
		cl_buf_init(&c->rx);
		c->subs = cl_xcalloc(s->cfg.max_subs, sizeof(*c->subs));
		c->next = s->clients;
		if (s->clients)
			s->clients->prev = c;
		s->clients = c;
		pss->c = c;
		pthread_mutex_lock(&s->lock);
		s->stats.clients++;
		pthread_mutex_unlock(&s->lock);
		if (s->close_all)
			client_close(c, s->close_all, "server shutting down");
		return 0;
	case LWS_CALLBACK_CLOSED:
		if (c) {
			pss->c = NULL;
			client_gone(s, c);
		}
		return 0;
	case LWS_CALLBACK_HTTP:
		return pss ? ws_www_request(wsi, pss, in) : -1;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return pss ? ws_www_writeable(wsi, pss) : -1;
	case LWS_CALLBACK_RECEIVE:
		return c ? on_receive(c, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c ? client_write(c) : 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		inbox_serve(s);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void lws_log(int level, const char *line)
{
	char buf[256];
	size_t n = strlen(line);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (level & LLL_ERR)
		cl_info(SUB, "libwebsockets: %s", buf);
	else
		cl_debug(SUB, "libwebsockets: %s", buf);
}

static void *thread_main(void *arg)
{
	struct cl_ws_server *s = arg;

	pthread_setname_np(pthread_self(), "cl-ws");
	for (;;) {
		pthread_mutex_lock(&s->lock);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		if (lws_service(s->ctx, 0) < 0)
			break;
	}
	/* say goodbye: what is in the inbox (answers to writes the stopping
	 * sequencer gave) is queued, then every client gets 1001 after its
	 * queue, for up to a second */
	inbox_serve(s);
	s->close_all = WS_CLOSE_GOING_AWAY;
	for (struct ws_client *c = s->clients; c; c = c->next)
		client_close(c, WS_CLOSE_GOING_AWAY, "server shutting down");
	uint64_t until = cl_clock_mono_ns() + 1000000000u;
	while (s->clients && cl_clock_mono_ns() < until)
		if (lws_service(s->ctx, 0) < 0)
			break;
	return NULL;
}

static const struct lws_protocols protocols[] = {
    {"clearline", callback, sizeof(struct ws_pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static lws_retry_bo_t retry;

int cl_ws_server_new(struct cl_ws_server **out, const struct cl_ws_config *cfg,
		     const struct cl_chain_reader *reader,
		     struct cl_rpc_server *rpc)
{
	*out = NULL;
	if (cfg->max_clients == 0 || cfg->max_msg_bytes < 256 ||
	    cfg->queue_bytes == 0 || cfg->queue_msgs == 0 ||
	    cfg->history == 0 || cfg->max_subs == 0 || cfg->ping_s == 0 ||
	    cfg->timeout_s <= cfg->ping_s || cfg->timeout_s > 65535 ||
	    cfg->poll_ms == 0 || cfg->book_depth == 0 ||
	    cfg->book_depth > CL_API_MAX_DEPTH ||
	    (cfg->orders.per_s && !cfg->orders.burst)) {
		cl_unusual(SUB, "ws limits must be positive (and ws-timeout "
				"above ws-ping)");
		return CL_ERR_CONFIG;
	}
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	uint8_t tmp[16];
	bool v4 = inet_pton(AF_INET, addr, tmp) == 1;
	if (!v4 && inet_pton(AF_INET6, addr, tmp) != 1) {
		cl_unusual(SUB,
			   "bad ws bind address '%s' (give an IPv4 or "
			   "IPv6 literal)",
			   addr);
		return CL_ERR_CONFIG;
	}

	struct cl_ws_server *s = cl_xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->cfg.bind_addr = NULL;
	s->reader = *reader;
	s->rpc = rpc;
	pthread_mutex_init(&s->lock, NULL);
	s->answers_tail = &s->answers;
	s->events_tail = &s->events;
	s->has_hook = cfg->block_hook;
	s->books_kept = cl_chain_has_books(reader);
	const struct cl_genesis *g = reader->genesis;
	s->n_markets = g->n_markets;
	s->books =
	    cl_xcalloc(s->n_markets ? s->n_markets : 1, sizeof(*s->books));
	s->trades =
	    cl_xcalloc(s->n_markets ? s->n_markets : 1, sizeof(*s->trades));
	ws_stream_init(&s->blocks, WS_BLOCKS, "blocks", cfg->history);
	ws_stream_init(&s->batches, WS_BATCHES, "batches", cfg->history);
	for (size_t i = 0; i < s->n_markets; i++) {
		char name[32];
		snprintf(name, sizeof(name), "book:%u", g->markets[i].id);
		ws_stream_init(&s->books[i], WS_BOOK, name, cfg->history);
		s->books[i].market = g->markets[i].id;
		snprintf(name, sizeof(name), "trades:%u", g->markets[i].id);
		ws_stream_init(&s->trades[i], WS_TRADES, name, cfg->history);
		s->trades[i].market = g->markets[i].id;
	}
	struct cl_chain_sync sync;
	if (cl_chain_sync(reader, &sync) == CL_OK) {
		/* streams start at the head the server starts at */
		s->published = sync.head_block;
		s->has_published = true;
	}
	s->accounts = cl_xcalloc(cfg->max_accounts ? cfg->max_accounts : 1,
				 sizeof(*s->accounts));

	retry.secs_since_valid_ping = (uint16_t)cfg->ping_s;
	retry.secs_since_valid_hangup = (uint16_t)cfg->timeout_s;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = cfg->port;
	info.iface = addr;
	info.protocols = protocols;
	info.user = s;
	info.count_threads = 1;
	info.retry_and_idle_policy = &retry;
	info.timeout_secs = 10; /* the HTTP upgrade */
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (v4)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		cl_unusual(SUB, "cannot listen on %s port %u (in use?)", addr,
			   cfg->port);
		cl_ws_server_free(s);
		return CL_ERR_NET;
	}
	s->vhost = lws_get_vhost_by_name(s->ctx, "default");
	int port = s->vhost ? lws_get_vhost_listen_port(s->vhost) : -1;
	if (port <= 0) {
		cl_unusual(SUB, "cannot listen on %s port %u", addr, cfg->port);
		cl_ws_server_free(s);
		return CL_ERR_NET;
	}
	s->port = (uint16_t)port;
	if (rpc) /* no order entry, no workers */
		s->pool = ws_pool_new(cfg->rpc_threads);
	if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
		cl_ws_server_free(s);
		return CL_ERR_CONFIG;
	}
	s->started = true;
	cl_info(SUB,
		"websocket listening on %s port %u (at most %u clients; "
		"send queue %u messages / %zu bytes; history %u messages per "
		"stream; ping after %u s, timeout %u s; %u JSON-RPC workers)",
		addr, s->port, cfg->max_clients, cfg->queue_msgs,
		cfg->queue_bytes, cfg->history, cfg->ping_s, cfg->timeout_s,
		s->pool ? ws_pool_size(s->pool) : 0);
	*out = s;
	return CL_OK;
}

uint16_t cl_ws_server_port(const struct cl_ws_server *s)
{
	return s->port;
}

void cl_ws_server_stats(struct cl_ws_server *s, struct cl_ws_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

void cl_ws_server_free(struct cl_ws_server *s)
{
	if (!s)
		return;
	/* the workers first: what they run is answered into the inbox,
	 * which the ws thread sends before it closes the connections */
	ws_pool_stop(s->pool);
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_mutex_unlock(&s->lock);
		lws_cancel_service(s->ctx);
		pthread_join(s->thread, NULL);
	}
	if (s->ctx)
		lws_context_destroy(s->ctx); /* closes what is left */
	ws_pool_free(s->pool);
	while (s->events) {
		struct ws_event *e = s->events;
		s->events = e->next;
		ws_event_free(e);
	}
	while (s->answers) {
		struct ws_answer *w = s->answers;
		s->answers = w->next;
		free(w->text);
		free(w);
	}
	ws_stream_release(&s->blocks);
	ws_stream_release(&s->batches);
	for (size_t i = 0; i < s->n_markets; i++) {
		ws_stream_release(&s->books[i]);
		ws_stream_release(&s->trades[i]);
	}
	for (size_t i = 0; i < s->n_accounts; i++) {
		ws_stream_release(s->accounts[i]);
		free(s->accounts[i]);
	}
	free(s->accounts);
	free(s->books);
	free(s->trades);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
