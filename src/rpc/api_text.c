/* SPDX-License-Identifier: MIT */
/*
 * A JSON value written straight to text, member by member: for the
 * answers of writes, which are built on the sequencer's writer once their
 * block is durable, and for the trade streams on the WebSocket thread
 * (src/ws/feed.c). A tree of json_t, its dump and its free cost the
 * writer about a third of its time per order (docs/performance.md
 * "WebSocket order entry"); this writes the same text, in the same member
 * order, with one buffer.
 *
 * Only text that needs no escaping is written as a string here (hex,
 * decimal digits, the fixed words of statuses and reasons): cl_api_text_str
 * refuses anything else as a bug. Text from a client goes through
 * jansson (cl_api_text_members).
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

static void put(struct cl_api_text *t, const char *s, size_t n)
{
	cl_buf_append(&t->b, s, n);
}

static void comma(struct cl_api_text *t)
{
	CL_REQUIRE(t->depth > 0);
	if (t->any[t->depth - 1])
		put(t, ",", 1);
	t->any[t->depth - 1] = true;
}

static void key(struct cl_api_text *t, const char *k)
{
	comma(t);
	if (k) {
		put(t, "\"", 1);
		put(t, k, strlen(k));
		put(t, "\":", 2);
	}
}

void cl_api_text_init(struct cl_api_text *t)
{
	memset(t, 0, sizeof(*t));
	cl_buf_init(&t->b);
	cl_buf_reserve(&t->b, 256);
	put(t, "{", 1);
	t->depth = 1;
}

void cl_api_text_open(struct cl_api_text *t, const char *k, char open)
{
	CL_REQUIRE(open == '{' || open == '[');
	CL_REQUIRE(t->depth < CL_API_TEXT_DEPTH);
	key(t, k);
	put(t, &open, 1);
	t->any[t->depth++] = false;
}

void cl_api_text_close(struct cl_api_text *t, char close)
{
	CL_REQUIRE(close == '}' || close == ']');
	CL_REQUIRE(t->depth > 1);
	t->depth--;
	put(t, &close, 1);
}

void cl_api_text_str(struct cl_api_text *t, const char *k, const char *plain)
{
	size_t n = strlen(plain);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)plain[i];
		CL_REQUIRE(c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
	}
	key(t, k);
	put(t, "\"", 1);
	put(t, plain, n);
	put(t, "\"", 1);
}

void cl_api_text_u64(struct cl_api_text *t, const char *k, uint64_t v)
{
	char s[21];
	cl_fmt_u64(s, v);
	cl_api_text_str(t, k, s);
}

void cl_api_text_hash(struct cl_api_text *t, const char *k,
		   const struct cl_hash32 *h)
{
	char s[2 + 64 + 1];
	cl_hex_encode(s, h->b, sizeof(h->b), true);
	cl_api_text_str(t, k, s);
}

/* Answers with fills and trade streams name the same traders again and
 * again: their text comes from a cache of the calling thread's. */
void cl_api_text_addr(struct cl_api_text *t, const char *k,
		   const struct cl_address *a)
{
	static _Thread_local struct cl_address_cache cache;
	char s[CL_ADDRESS_STR_LEN + 1];
	cl_address_format_cached(&cache, s, a);
	cl_api_text_str(t, k, s);
}

void cl_api_text_raw(struct cl_api_text *t, const char *k, const char *json)
{
	key(t, k);
	put(t, json, strlen(json));
}

void cl_api_text_members(struct cl_api_text *t, const char *object)
{
	size_t n = strlen(object);
	CL_REQUIRE(n >= 2 && object[0] == '{' && object[n - 1] == '}');
	if (n == 2)
		return;
	comma(t);
	put(t, object + 1, n - 2);
}

char *cl_api_text_end(struct cl_api_text *t)
{
	CL_REQUIRE(t->depth == 1);
	put(t, "}", 2); /* and the NUL */
	char *s = (char *)t->b.p;
	cl_buf_init(&t->b);
	return s;
}
