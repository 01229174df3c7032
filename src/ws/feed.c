/* SPDX-License-Identifier: MIT */
/*
 * The feed: committed blocks into stream messages, on the ws thread.
 *
 * Per run: the block events the hook queued (in order) become `blocks`
 * and `trades:M` messages; blocks no event named (a node without a hook,
 * or events dropped over the queue's bound) are read from the chain
 * reader (root; time for the head only), with a `gap` message on every
 * trades stream when the hook's events were lost. Then each book is read
 * and compared with the levels its stream last left its clients with: a
 * change is one `diff` message. Then each account stream with
 * subscribers is rebuilt and sent when it changed or has fills.
 *
 * A book stream's stored levels are exactly what its messages up to
 * `seq` add up to, so a snapshot (subscribe, resync) is built from them,
 * never from a fresh read that a diff has not described yet.
 */
#include "ws_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "ws";

static json_t *hash_json(const struct cl_hash32 *h)
{
	return cl_json_from_bytes(h->b, 32);
}

/* The trades name the same traders block after block: their text comes
 * from a cache of the ws thread's. */
static _Thread_local struct cl_address_cache addr_cache;

static json_t *addr_json(const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	cl_address_format_cached(&addr_cache, s, a);
	return json_string(s);
}

/* ------------------------------------------------------------------ */
/* Blocks and trades                                                   */
/* ------------------------------------------------------------------ */

/* `sealed_ms`: when the sequencer's block became durable (its hook), or
 * NULL (a block no event named) */
static void publish_block(struct cl_ws_server *s, uint64_t number,
			  const uint64_t *time_ms, const uint64_t *sealed_ms,
			  const struct cl_hash32 *root)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("block"));
	json_object_set_new(o, "block", cl_json_from_u64(number));
	json_object_set_new(o, "time",
			    time_ms ? cl_json_from_u64(*time_ms) : json_null());
	if (sealed_ms)
		json_object_set_new(o, "sealed", cl_json_from_u64(*sealed_ms));
	json_object_set_new(o, "stateRoot", hash_json(root));
	ws_stream_publish(s, &s->blocks, o);
}

/* Who took a fill: the order the answer names is an order, or a TWAP
 * order (its first slice ran with the request), or a scale order (its
 * legs are orders, the same market, side and trader). False when none
 * of them can be read. */
static bool taker_of(const struct cl_stf_view *v, const struct cl_hash32 *h,
		     uint32_t *market, struct cl_address *trader,
		     bool *is_buy)
{
	struct cl_order_record r;
	struct cl_twap_record tw;
	struct cl_hash32 leg;

	if (cl_stf_get_order(v, &r, h) == CL_OK) {
		*market = r.market;
		*trader = r.trader;
		*is_buy = r.is_buy;
		return true;
	}
	if (cl_stf_get_twap(v, &tw, h) == CL_OK) {
		*market = tw.market;
		*trader = tw.trader;
		*is_buy = tw.is_buy;
		return true;
	}
	cl_stf_scale_leg_hash(&leg, h, 0);
	if (cl_stf_get_order(v, &r, &leg) == CL_OK) {
		*market = r.market;
		*trader = r.trader;
		*is_buy = r.is_buy;
		return true;
	}
	return false;
}

/* What took a fill, as the stream's `kind` says it. */
static const char *kind_name(enum cl_stf_fill_kind k)
{
	switch (k) {
	case CL_STF_FILL_ORDER:
		return "order";
	case CL_STF_FILL_TRIGGER:
		return "trigger";
	case CL_STF_FILL_TWAP:
		return "twap";
	case CL_STF_FILL_LIQUIDATION:
		return "liquidation";
	case CL_STF_FILL_FUND:
		return "fund";
	}
	return "order";
}

/* The trade of fill `t` as streams show it: false when its orders
 * cannot be read. */
static bool trade_read(const struct cl_stf_view *v,
		       const struct cl_seq_trade *t, struct ws_trade *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = t->kind;
	if (t->kind == CL_STF_FILL_ORDER) {
		if (!taker_of(v, &t->taker, &out->market, &out->taker_trader,
			      &out->is_buy))
			return false;
	} else {
		/* a derived fill: the stf said where and who */
		out->market = t->market;
		out->taker_trader = t->taker_trader;
		out->is_buy = t->taker_is_buy;
	}
	out->has_taker = t->kind == CL_STF_FILL_ORDER ||
			 t->kind == CL_STF_FILL_TRIGGER ||
			 t->kind == CL_STF_FILL_TWAP;
	out->taker = t->taker;
	out->price = t->fill.price;
	out->size = t->fill.size;
	out->maker = t->fill.maker;
	out->maker_trader = t->fill.maker_owner;
	return true;
}

json_t *ws_trade_json(const struct ws_trade *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(kind_name(t->kind)));
	json_object_set_new(o, "price", cl_json_from_u64(t->price));
	json_object_set_new(o, "size", cl_json_from_u64(t->size));
	json_object_set_new(o, "takerSide",
			    json_string(t->is_buy ? "buy" : "sell"));
	json_object_set_new(o, "taker",
			    t->has_taker ? hash_json(&t->taker) : json_null());
	json_object_set_new(o, "takerTrader", addr_json(&t->taker_trader));
	json_object_set_new(o, "maker", hash_json(&t->maker));
	json_object_set_new(o, "makerTrader", addr_json(&t->maker_trader));
	json_object_set_new(o, "market", json_integer(t->market));
	return o;
}

void ws_trade_members(struct cl_api_text *b, const struct ws_trade *t)
{
	char market[21];
	cl_api_text_str(b, "kind", kind_name(t->kind));
	cl_api_text_u64(b, "price", t->price);
	cl_api_text_u64(b, "size", t->size);
	cl_api_text_str(b, "takerSide", t->is_buy ? "buy" : "sell");
	if (t->has_taker)
		cl_api_text_hash(b, "taker", &t->taker);
	else
		cl_api_text_raw(b, "taker", "null");
	cl_api_text_addr(b, "takerTrader", &t->taker_trader);
	cl_api_text_hash(b, "maker", &t->maker);
	cl_api_text_addr(b, "makerTrader", &t->maker_trader);
	cl_fmt_u64(market, t->market);
	cl_api_text_raw(b, "market", market); /* a number, as in the JSON */
}

/* The fills of one run, kept for the account streams. */
struct run_fill {
	uint64_t block;
	struct ws_trade t;
};

struct run {
	struct run_fill *fills;
	size_t n, cap;
};

/* The block of event `e`, then its trades: one message a market, written
 * as text (a block can hold thousands), and each trade kept in `run`
 * for the account streams. */
static void publish_event(struct cl_ws_server *s, const struct cl_stf_view *v,
			  const struct ws_event *e, struct run *run)
{
	publish_block(s, e->number, &e->timestamp_ms, &e->sealed_ms,
		      &e->root);
	if (e->n_trades == 0)
		return;
	/* per market: the message, its "trades" array open (depth > 1) */
	struct cl_api_text *per = cl_xcalloc(s->n_markets, sizeof(*per));
	for (size_t i = 0; i < e->n_trades; i++) {
		struct ws_trade t;
		if (!trade_read(v, &e->trades[i], &t)) {
			cl_unusual(SUB,
				   "block %llu: a fill's order cannot be "
				   "read: trade not streamed",
				   (unsigned long long)e->number);
			continue;
		}
		size_t mi = s->n_markets;
		for (size_t k = 0; k < s->n_markets; k++)
			if (s->trades[k].market == t.market)
				mi = k;
		if (mi < s->n_markets) {
			struct cl_api_text *b = &per[mi];
			if (b->depth == 0) {
				cl_api_text_init(b);
				cl_api_text_str(b, "type", "trades");
				cl_api_text_u64(b, "block", e->number);
				cl_api_text_open(b, "trades", '[');
			}
			cl_api_text_open(b, NULL, '{');
			ws_trade_members(b, &t);
			cl_api_text_close(b, '}');
		}
		if (run->n == run->cap) {
			run->cap = run->cap ? 2 * run->cap : 64;
			run->fills = cl_xrealloc(
			    run->fills, run->cap * sizeof(*run->fills));
		}
		run->fills[run->n++] =
		    (struct run_fill){.block = e->number, .t = t};
	}
	for (size_t k = 0; k < s->n_markets; k++) {
		if (per[k].depth == 0)
			continue;
		cl_api_text_close(&per[k], ']');
		ws_stream_publish_text(s, &s->trades[k], &per[k]);
	}
	free(per);
}

/* Blocks (from, to] named by no event: read them from the reader. */
static void publish_unnamed(struct cl_ws_server *s, uint64_t from, uint64_t to,
			    const struct cl_stf_globals *gl)
{
	if (to <= from)
		return;
	if (s->has_hook) {
		/* the hook's events for these were dropped: say so */
		for (size_t k = 0; k < s->n_markets; k++) {
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("gap"));
			json_object_set_new(o, "fromBlock",
					    cl_json_from_u64(from + 1));
			json_object_set_new(o, "toBlock", cl_json_from_u64(to));
			ws_stream_publish(s, &s->trades[k], o);
		}
	}
	for (uint64_t n = from + 1; n <= to; n++) {
		struct cl_hash32 root;
		if (cl_chain_block_root(&s->reader, &root, n) != CL_OK)
			memset(&root, 0, sizeof(root));
		bool head = gl && gl->block_number == n;
		publish_block(s, n, head ? &gl->block_timestamp_ms : NULL,
			      NULL, &root);
	}
}

/* ------------------------------------------------------------------ */
/* Books                                                               */
/* ------------------------------------------------------------------ */

static size_t read_side(struct cl_ws_server *s, struct ws_level *out,
			uint32_t market, enum book_side side)
{
	struct book_level lv[CL_API_MAX_DEPTH];
	size_t n = cl_chain_book_depth(&s->reader, lv, s->cfg.book_depth,
				       market, side);
	for (size_t i = 0; i < n; i++) {
		out[i].price = lv[i].price.v;
		out[i].size = lv[i].size.v;
	}
	return n;
}

static json_t *levels_json(const struct ws_level *l, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("[o,o]", cl_json_from_u64(l[i].price),
				 cl_json_from_u64(l[i].size)));
	return a;
}

/* The changes from `old` to `now` (both sorted best first on one side:
 * bids descending, asks ascending): [price, size], size "0" removed. */
static json_t *side_diff(const struct ws_level *old, size_t n_old,
			 const struct ws_level *now, size_t n_now, bool bids)
{
	json_t *d = json_array();
	size_t i = 0, j = 0;
	while (i < n_old || j < n_now) {
		bool take_old, take_now;
		if (i < n_old && j < n_now && old[i].price == now[j].price) {
			take_old = take_now = true;
		} else if (j >= n_now) {
			take_old = true, take_now = false;
		} else if (i >= n_old) {
			take_old = false, take_now = true;
		} else {
			/* the better price comes first */
			bool old_first = bids ? old[i].price > now[j].price
					      : old[i].price < now[j].price;
			take_old = old_first;
			take_now = !old_first;
		}
		if (take_old && take_now) {
			if (old[i].size != now[j].size)
				json_array_append_new(
				    d,
				    json_pack("[o,o]",
					      cl_json_from_u64(now[j].price),
					      cl_json_from_u64(now[j].size)));
			i++, j++;
		} else if (take_old) {
			json_array_append_new(
			    d, json_pack("[o,s]",
					 cl_json_from_u64(old[i].price), "0"));
			i++;
		} else {
			json_array_append_new(
			    d,
			    json_pack("[o,o]", cl_json_from_u64(now[j].price),
				      cl_json_from_u64(now[j].size)));
			j++;
		}
	}
	return d;
}

static void book_store(struct ws_stream *st, const struct ws_level *b,
		       size_t nb, const struct ws_level *a, size_t na)
{
	memcpy(st->bids, b, nb * sizeof(*b));
	memcpy(st->asks, a, na * sizeof(*a));
	st->n_bids = nb;
	st->n_asks = na;
	st->book_known = true;
}

static void book_alloc(struct cl_ws_server *s, struct ws_stream *st)
{
	if (!st->bids) {
		st->bids = cl_xcalloc(s->cfg.book_depth, sizeof(*st->bids));
		st->asks = cl_xcalloc(s->cfg.book_depth, sizeof(*st->asks));
	}
}

/* The book of `st` is now b/a (after `block`): a diff when it changed. */
static void book_update(struct cl_ws_server *s, struct ws_stream *st,
			uint64_t block, const struct ws_level *b, size_t nb,
			const struct ws_level *a, size_t na)
{
	book_alloc(s, st);
	if (!st->book_known) {
		book_store(st, b, nb, a, na); /* the state before seq 1 */
		return;
	}
	json_t *db = side_diff(st->bids, st->n_bids, b, nb, true);
	json_t *da = side_diff(st->asks, st->n_asks, a, na, false);
	if (json_array_size(db) == 0 && json_array_size(da) == 0) {
		json_decref(db);
		json_decref(da);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("diff"));
	json_object_set_new(o, "block", cl_json_from_u64(block));
	json_object_set_new(o, "bids", db);
	json_object_set_new(o, "asks", da);
	book_store(st, b, nb, a, na);
	ws_stream_publish(s, st, o);
}

/* Read the live book of `st` (a node without a block hook). */
static void book_update_live(struct cl_ws_server *s, struct ws_stream *st,
			     uint64_t block)
{
	struct ws_level *b = cl_xcalloc(s->cfg.book_depth, sizeof(*b));
	struct ws_level *a = cl_xcalloc(s->cfg.book_depth, sizeof(*a));
	size_t nb = read_side(s, b, st->market, BOOK_BUY);
	size_t na = read_side(s, a, st->market, BOOK_SELL);
	book_update(s, st, block, b, nb, a, na);
	free(b);
	free(a);
}

/* The books the hook copied with event `e`. */
static void book_update_event(struct cl_ws_server *s, const struct ws_event *e)
{
	size_t depth = s->cfg.book_depth;
	if (!e->levels)
		return;
	for (size_t i = 0; i < s->n_markets; i++)
		book_update(s, &s->books[i], e->number,
			    &e->levels[2 * i * depth], e->n_levels[2 * i],
			    &e->levels[(2 * i + 1) * depth],
			    e->n_levels[2 * i + 1]);
}

void ws_event_free(struct ws_event *e)
{
	if (!e)
		return;
	free(e->trades);
	free(e->levels);
	free(e->n_levels);
	free(e);
}

/* ------------------------------------------------------------------ */
/* Accounts                                                            */
/* ------------------------------------------------------------------ */

/* The account's state as streams show it; NULL on a read error. */
static json_t *account_json(const struct cl_stf_view *v,
			    const struct cl_address *addr)
{
	struct cl_account acct;
	int rc = cl_stf_get_account(v, &acct, addr);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return NULL;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t np = 0;
	if (cl_stf_get_positions(v, pos, &np, addr) != CL_OK)
		return NULL;
	struct cl_hash32 *hashes =
	    cl_xcalloc(CL_API_MAX_OPEN_ORDERS, sizeof(*hashes));
	size_t no = 0;
	if (cl_stf_get_open_orders(v, hashes, CL_API_MAX_OPEN_ORDERS, &no,
				   addr) != CL_OK) {
		free(hashes);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "address", addr_json(addr));
	json_object_set_new(o, "collateral", cl_json_from_i64(acct.collateral));
	json_object_set_new(o, "nonce", cl_json_from_u64(acct.nonce));
	json_t *pa = json_array();
	for (size_t i = 0; i < np; i++)
		json_array_append_new(
		    pa, json_pack("{s:i,s:o,s:o}", "market",
				  (json_int_t)pos[i].market, "size",
				  cl_json_from_i64(pos[i].size), "cost",
				  cl_json_from_i64(pos[i].cost)));
	json_object_set_new(o, "positions", pa);
	/* the balances of the collateral assets (their values move with
	 * every price: l2_getAccount has them) */
	struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
	size_t nab = 0;
	int64_t total;
	json_t *aa = json_array();
	json_object_set_new(o, "assets", aa);
	if (cl_stf_get_collateral(v, ab, &nab, &total, addr) != CL_OK) {
		json_decref(o);
		free(hashes);
		return NULL;
	}
	for (size_t i = 0; i < nab; i++)
		json_array_append_new(
		    aa, json_pack("{s:i,s:o}", "asset", (json_int_t)ab[i].asset,
				  "balance", cl_json_from_i64(ab[i].balance)));
	json_t *oa = json_array();
	for (size_t i = 0; i < no; i++) {
		struct cl_order_record r;
		if (cl_stf_get_order(v, &r, &hashes[i]) != CL_OK)
			continue;
		static const struct cl_cloid no_cloid;
		json_t *jo = json_pack(
		    "{s:o,s:i,s:s,s:o,s:o,s:o}", "orderHash",
		    hash_json(&hashes[i]), "market", (json_int_t)r.market,
		    "side", r.is_buy ? "buy" : "sell", "price",
		    cl_json_from_u64(r.price), "size",
		    cl_json_from_u64(r.size), "filledSize",
		    cl_json_from_u64(r.filled));
		/* the client order id (docs/protocol.md "CLIENT_ORDER") */
		if (memcmp(r.cloid.b, no_cloid.b, CL_CLOID_LEN) != 0)
			json_object_set_new(jo, "cloid",
					    cl_json_from_bytes(r.cloid.b,
							       CL_CLOID_LEN));
		json_array_append_new(oa, jo);
	}
	json_object_set_new(o, "openOrders", oa);
	/* pending trigger and running TWAP orders, as l2_getAccount */
	json_t *ta = json_array(), *wa = json_array();
	json_object_set_new(o, "triggerOrders", ta);
	json_object_set_new(o, "twapOrders", wa);
	size_t nt = 0, nw = 0;
	if (cl_stf_get_pending_triggers(v, hashes, CL_API_MAX_OPEN_ORDERS, &nt,
					addr) != CL_OK)
		goto fail;
	for (size_t i = 0; i < nt; i++) {
		struct cl_trigger_record tr;
		if (cl_stf_get_trigger(v, &tr, &hashes[i]) == CL_OK)
			json_array_append_new(
			    ta, cl_api_trigger_json(&hashes[i], &tr));
	}
	if (cl_stf_get_running_twaps(v, hashes, CL_API_MAX_OPEN_ORDERS, &nw,
				     addr) != CL_OK)
		goto fail;
	for (size_t i = 0; i < nw; i++) {
		struct cl_twap_record tw;
		if (cl_stf_get_twap(v, &tw, &hashes[i]) == CL_OK)
			json_array_append_new(wa,
					      cl_api_twap_json(&hashes[i], &tw));
	}
	free(hashes);
	return o;
fail:
	json_decref(o);
	free(hashes);
	return NULL;
}

/* Read the account now; store it as the stream's state when `store`. */
static json_t *account_read(struct cl_ws_server *s, struct ws_stream *st,
			    const struct cl_stf_view *v)
{
	(void)s;
	return account_json(v, &st->account);
}

#define WS_EVENT_PAGE 64u
#define WS_EVENT_PAGES 64u

/*
 * The account's risk events (liquidations, ADL: docs/api.md
 * "l2_getRiskEvents") from the stream's ev_next on, as an array when
 * `send`; without it they are only passed over, so a new stream starts
 * after them. At most WS_EVENT_PAGE * WS_EVENT_PAGES a call (the rest
 * comes with the next one). NULL on a read error.
 */
static json_t *account_events(const struct cl_stf_view *v,
			      struct ws_stream *st, bool send)
{
	struct cl_stf_event ev[WS_EVENT_PAGE];
	uint64_t from = st->ev_known ? st->ev_next : 0;
	json_t *a = json_array();

	for (unsigned page = 0; page < WS_EVENT_PAGES; page++) {
		size_t n = 0;
		if (cl_stf_get_events(v, ev, WS_EVENT_PAGE, &n, &st->account,
				      from) != CL_OK) {
			json_decref(a);
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			if (send)
				json_array_append_new(
				    a, cl_api_risk_event_json(&ev[i]));
			from = ev[i].seq + 1;
		}
		if (n < WS_EVENT_PAGE)
			break;
	}
	st->ev_next = from;
	st->ev_known = true;
	return a;
}

static void account_update(struct cl_ws_server *s, struct ws_stream *st,
			   const struct cl_stf_view *v, const struct run *run,
			   uint64_t block)
{
	json_t *a = account_read(s, st, v);
	if (!a)
		return;
	char *text = cl_json_dump(a);
	json_t *fills = json_array();
	for (size_t i = 0; i < run->n; i++) {
		const struct run_fill *f = &run->fills[i];
		if (memcmp(f->t.taker_trader.b, st->account.b, 20) == 0 ||
		    memcmp(f->t.maker_trader.b, st->account.b, 20) == 0) {
			json_t *c = ws_trade_json(&f->t);
			json_object_set_new(c, "block",
					    cl_json_from_u64(f->block));
			json_array_append_new(fills, c);
		}
	}
	json_t *events = account_events(v, st, st->ev_known);
	if (!events) {
		cl_unusual(SUB, "block %llu: the risk events of %s cannot be "
			   "read: sent with a later message",
			   (unsigned long long)block, st->name);
		events = json_array();
	}
	bool changed = !st->acct_text || strcmp(st->acct_text, text) != 0;
	if (!changed && json_array_size(fills) == 0 &&
	    json_array_size(events) == 0) {
		free(text);
		json_decref(a);
		json_decref(fills);
		json_decref(events);
		return;
	}
	free(st->acct_text);
	st->acct_text = text;
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("account"));
	json_object_set_new(o, "block", cl_json_from_u64(block));
	json_object_set_new(o, "account", a);
	json_object_set_new(o, "fills", fills);
	json_object_set_new(o, "events", events);
	ws_stream_publish(s, st, o);
}

/* ------------------------------------------------------------------ */
/* Runs and snapshots                                                  */
/* ------------------------------------------------------------------ */

void ws_feed_run(struct cl_ws_server *s, struct ws_event *events)
{
	struct cl_stf_view v;
	struct cl_stf_globals gl;
	struct run run = {0};

	memset(&v, 0, sizeof(v));

	pthread_mutex_lock(&s->lock);
	uint64_t head = s->newest_block;
	bool has_head = s->has_newest;
	pthread_mutex_unlock(&s->lock);
	if (!events && s->has_published &&
	    (s->has_hook || !has_head || head <= s->published))
		return; /* nothing new */

	int rc = cl_chain_view(&s->reader, &v);
	if (rc == CL_OK)
		rc = cl_stf_get_globals(&v, &gl);
	if (rc != CL_OK) {
		cl_unusual(SUB, "cannot read the state: %s", cl_err_str(rc));
		cl_chain_view_release(&v);
		while (events) {
			struct ws_event *e = events;
			events = e->next;
			ws_event_free(e);
		}
		return;
	}
	if (!s->has_published) {
		/* streams start at the head the server first sees */
		s->published = gl.block_number;
		s->has_published = true;
	}
	/* the view may be older than an event: publish no block beyond it */
	uint64_t limit = gl.block_number;
	bool changed = false;
	while (events) {
		struct ws_event *e = events;
		if (e->number > limit)
			break; /* kept for the next run */
		events = e->next;
		if (e->number > s->published) {
			publish_unnamed(s, s->published, e->number - 1, &gl);
			publish_event(s, &v, e, &run);
			book_update_event(s, e);
			s->published = e->number;
			changed = true;
		}
		ws_event_free(e);
	}
	if (events) {
		/* put the rest back in front of the inbox, in order */
		pthread_mutex_lock(&s->lock);
		struct ws_event *last = events;
		size_t n = 1, nb = last->bytes;
		while (last->next) {
			last = last->next;
			n++;
			nb += last->bytes;
		}
		last->next = s->events;
		if (!s->events)
			s->events_tail = &last->next;
		s->events = events;
		s->n_events += n;
		s->n_event_bytes += nb;
		pthread_mutex_unlock(&s->lock);
	}
	/* without a hook (or when events were dropped and no later one
	 * came) the polled head says how far to go */
	if (has_head && head > s->published && !s->has_hook) {
		uint64_t to = head < limit ? head : limit;
		publish_unnamed(s, s->published, to, &gl);
		if (to > s->published) {
			s->published = to;
			changed = true;
		}
	}
	if (s->books_kept && !s->has_hook) {
		for (size_t i = 0; i < s->n_markets; i++)
			book_update_live(s, &s->books[i], s->published);
	}
	if (changed || run.n) {
		for (size_t i = 0; i < s->n_accounts; i++)
			account_update(s, s->accounts[i], &v, &run,
				       s->published);
	}
	free(run.fills);
	cl_chain_view_release(&v);
}

void ws_feed_snapshot(struct cl_ws_server *s, struct ws_stream *st,
		      struct ws_client *c, json_t *flags)
{
	json_t *o = json_object();
	switch (st->kind) {
	case WS_BOOK:
		if (!st->book_known) {
			/* first use before any run: the state before seq 1 */
			struct ws_level *b =
			    cl_xcalloc(s->cfg.book_depth, sizeof(*b));
			struct ws_level *a =
			    cl_xcalloc(s->cfg.book_depth, sizeof(*a));
			size_t nb = read_side(s, b, st->market, BOOK_BUY);
			size_t na = read_side(s, a, st->market, BOOK_SELL);
			book_alloc(s, st);
			book_store(st, b, nb, a, na);
			free(b);
			free(a);
		}
		json_object_set_new(o, "type", json_string("snapshot"));
		json_object_set_new(o, "bids",
				    levels_json(st->bids, st->n_bids));
		json_object_set_new(o, "asks",
				    levels_json(st->asks, st->n_asks));
		break;
	case WS_ACCOUNT: {
		json_t *a = NULL;
		if (st->acct_text) {
			a = cl_json_load(st->acct_text, strlen(st->acct_text),
					 NULL, 0);
		} else {
			struct cl_stf_view v;
			if (cl_chain_view(&s->reader, &v) == CL_OK) {
				a = account_read(s, st, &v);
				if (a)
					st->acct_text = cl_json_dump(a);
				/* the stream's events start after these */
				json_decref(account_events(&v, st, false));
			}
			cl_chain_view_release(&v);
		}
		json_object_set_new(o, "type", json_string("snapshot"));
		json_object_set_new(o, "account", a ? a : json_null());
		break;
	}
	case WS_BATCHES:
		json_object_set_new(o, "type", json_string("subscribed"));
		ws_batches_state(s, o);
		break;
	case WS_BLOCKS:
	case WS_TRADES:
		json_object_set_new(o, "type", json_string("subscribed"));
		break;
	}
	json_object_set_new(o, "stream", json_string(st->name));
	json_object_set_new(o, "seq", cl_json_from_u64(st->seq));
	json_object_set_new(o, "block", cl_json_from_u64(s->published));
	if (flags)
		json_object_update(o, flags);
	ws_send_json(c, o);
}
