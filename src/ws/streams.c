/* SPDX-License-Identifier: MIT */
/*
 * Streams: each numbers its messages (seq +1 per message, from 1), keeps
 * the last `history` of them for clients that come back, and fans each
 * message out to its subscribers. A message is built once; the history
 * and every queue hold references to it.
 */
#include "ws_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_stream_init(struct ws_stream *st, enum ws_stream_kind kind,
		    const char *name, size_t hist_cap)
{
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->hist_cap = hist_cap;
	st->hist = cl_xcalloc(hist_cap, sizeof(*st->hist));
}

void ws_stream_release(struct ws_stream *st)
{
	for (size_t i = 0; i < st->n_hist; i++)
		ws_msg_unref(st->hist[(st->hist_head + i) % st->hist_cap]);
	free(st->hist);
	free(st->bids);
	free(st->asks);
	free(st->acct_text);
	memset(st, 0, sizeof(*st));
}

static bool subscribed(const struct ws_client *c, const struct ws_stream *st)
{
	for (size_t i = 0; i < c->n_subs; i++)
		if (c->subs[i] == st)
			return true;
	return false;
}

/* Keep message m (numbered st->seq) in the history and send it to every
 * subscriber; takes the caller's reference. */
static void keep_and_send(struct cl_ws_server *s, struct ws_stream *st,
			  struct ws_msg *m)
{
	if (st->n_hist == st->hist_cap) {
		ws_msg_unref(st->hist[st->hist_head]);
		st->hist[st->hist_head] = m;
		st->hist_head = (st->hist_head + 1) % st->hist_cap;
	} else {
		st->hist[(st->hist_head + st->n_hist) % st->hist_cap] = m;
		st->n_hist++;
	}
	ws_msg_ref(m); /* the history's */
	if (st->subs) {
		for (struct ws_client *c = s->clients; c; c = c->next)
			if (subscribed(c, st))
				ws_send(c, m);
	}
	ws_msg_unref(m);
}

void ws_stream_publish(struct cl_ws_server *s, struct ws_stream *st,
		       json_t *body)
{
	st->seq++;
	json_object_set_new(body, "stream", json_string(st->name));
	json_object_set_new(body, "seq", cl_json_from_u64(st->seq));
	struct ws_msg *m = ws_msg_json(body);
	json_decref(body);
	keep_and_send(s, st, m);
}

void ws_stream_publish_text(struct cl_ws_server *s, struct ws_stream *st,
			    struct cl_api_text *body)
{
	st->seq++;
	cl_api_text_str(body, "stream", st->name);
	cl_api_text_u64(body, "seq", st->seq);
	char *text = cl_api_text_end(body);
	keep_and_send(s, st, ws_msg_new(text, strlen(text)));
	free(text);
}

bool ws_stream_replay(struct ws_stream *st, struct ws_client *c, uint64_t since)
{
	if (since > st->seq)
		return false; /* not a number this stream gave */
	if (since == st->seq)
		return true;
	uint64_t oldest = st->seq - st->n_hist + 1;
	if (since + 1 < oldest)
		return false;
	size_t skip = (size_t)(since + 1 - oldest);
	for (size_t i = skip; i < st->n_hist; i++)
		ws_send(c, st->hist[(st->hist_head + i) % st->hist_cap]);
	return true;
}

struct ws_stream *ws_stream_find(struct cl_ws_server *s, const char *name,
				 bool create, const char **why, int *code)
{
	struct ws_stream_name n;

	*code = WS_ERR_UNKNOWN_STREAM;
	if (!ws_stream_name_parse(&n, name, why))
		return NULL;
	switch (n.kind) {
	case WS_BLOCKS:
		return &s->blocks;
	case WS_BATCHES:
		return &s->batches;
	case WS_BOOK:
	case WS_TRADES:
		for (size_t i = 0; i < s->n_markets; i++) {
			struct ws_stream *st = n.kind == WS_BOOK
						   ? &s->books[i]
						   : &s->trades[i];
			if (st->market == n.market)
				return st;
		}
		*why = "unknown market";
		return NULL;
	case WS_ACCOUNT:
		break;
	}
	for (size_t i = 0; i < s->n_accounts; i++)
		if (memcmp(s->accounts[i]->account.b, n.account.b, 20) == 0)
			return s->accounts[i];
	if (!create) {
		*why = "not subscribed";
		*code = WS_ERR_NOT_SUBSCRIBED;
		return NULL;
	}
	if (s->n_accounts >= s->cfg.max_accounts) {
		*code = WS_ERR_TOO_MANY_SUBS;
		*why = "too many account streams open (ws-max-accounts)";
		return NULL;
	}
	struct ws_stream *st = cl_xmalloc(sizeof(*st));
	char canon[WS_STREAM_NAME_MAX];
	ws_stream_name_format(canon, &n);
	ws_stream_init(st, WS_ACCOUNT, canon, s->cfg.history);
	st->account = n.account;
	s->accounts[s->n_accounts++] = st;
	return st;
}

void ws_stream_drop_account(struct cl_ws_server *s, struct ws_stream *st)
{
	for (size_t i = 0; i < s->n_accounts; i++) {
		if (s->accounts[i] != st)
			continue;
		s->accounts[i] = s->accounts[--s->n_accounts];
		ws_stream_release(st);
		free(st);
		return;
	}
}
