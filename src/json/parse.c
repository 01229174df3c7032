/* SPDX-License-Identifier: MIT */
/*
 * cl_json_load: JSON text into jansson values, lexed by YAJL.
 *
 * jansson's own parser reads a character at a time through a stream
 * callback and a growing buffer: 8 us for a 400-byte order message, as
 * much as the rest of the event loop's work on it. YAJL lexes the same
 * text in about 1 us, and building the values through jansson's API
 * costs 2 - 3 us more, so this file drives YAJL's callbacks and builds
 * the json_t tree itself (docs/performance.md "The parse").
 *
 * It accepts exactly what json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY) accepts, and gives the same values
 * (tests/unit/json/test_json_parse.c holds it to that on hostile and
 * mutated inputs). Where YAJL is more lenient, the checks are here:
 *  - \u escapes: YAJL turns a lone surrogate into '?' or pairs a high
 *    surrogate with whatever escape follows, and passes \u0000; jansson
 *    refuses all three. check_escapes() reads every escape first (in
 *    valid JSON every backslash starts one, inside a string).
 *  - numbers: an integer must fit in json_int_t ("too big integer"),
 *    a real must not overflow to infinity; both come as text
 *    (yajl_number) and are converted here as jansson converts them.
 *  - a duplicate key in an object is refused (jansson's set replaces
 *    the value: the object's size tells).
 *  - nesting deeper than jansson's limit (2048) is refused.
 *  - UTF-8: YAJL's check lets overlong forms, encoded surrogates and
 *    code points past U+10FFFF through; jansson checks every string and
 *    key again as it takes it.
 *  - blanks: YAJL takes \f and \v for blanks too; JSON does not.
 *  - after the value only blanks: YAJL takes a partial token there (an
 *    unterminated string) for the start of a second value it waits for.
 * YAJL checks the rest: the grammar, UTF-8 inside strings (and nothing
 * but ASCII outside them), trailing garbage, one value per text.
 *
 * One difference is deliberate: a NUL byte outside a string is refused
 * (it is no JSON), where jansson lets one pass right after `true`,
 * `false` or `null`.
 */
#include <clearline/json.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* jansson's JSON_PARSER_MAX_DEPTH */
#define MAX_DEPTH 2048

struct level {
	json_t *v;      /* an object or an array */
	char *key_long; /* an object's key awaiting its value, when long */
	size_t key_len;
	char kbuf[40]; /* or here, without a malloc (the stack may move) */
};

static void key_drop(struct level *l)
{
	free(l->key_long);
	l->key_long = NULL;
}

struct builder {
	struct level *stack;
	size_t depth, cap;
	json_t *root;
	const char *why; /* set when a callback stopped the parse */
	yajl_handle h;
	bool finishing; /* in yajl_complete_parse (past the text) */
	bool ended;     /* the root value is complete */
	size_t end;     /* where it ended in the text, when !finishing */
};

/* The root value is complete: remember where (YAJL takes a partial
 * token after it, an unterminated string, for the start of a second
 * value it waits for; the caller checks the rest is blank). */
static void root_done(struct builder *b)
{
	b->ended = true;
	b->end = b->finishing ? SIZE_MAX : yajl_get_bytes_consumed(b->h);
}

static int fail(struct builder *b, const char *why)
{
	b->why = why;
	return 0;
}

/* Put `v` (a new reference) where the parse is: the root, an array's
 * next element or an object's pending key. 0 stops the parse. */
static int add(struct builder *b, json_t *v)
{
	if (!v)
		return fail(b, "invalid string (not UTF-8, or a NUL)");
	if (b->depth == 0) {
		b->root = v; /* YAJL allows one value a text */
		if (!json_is_object(v) && !json_is_array(v))
			root_done(b);
		return 1;
	}
	struct level *l = &b->stack[b->depth - 1];
	if (json_is_array(l->v)) {
		if (json_array_append_new(l->v, v) != 0)
			return fail(b, "out of memory");
		return 1;
	}
	/* the key's UTF-8 is checked here (see on_string); a key the
	 * object has already replaces its value, leaving the size */
	size_t had = json_object_size(l->v);
	int rc = json_object_setn_new(l->v, l->key_long ? l->key_long : l->kbuf,
				      l->key_len, v);
	key_drop(l);
	if (rc != 0)
		return fail(b, "invalid key (not UTF-8)");
	return json_object_size(l->v) > had ? 1
					    : fail(b, "duplicate object key");
}

static int open_container(struct builder *b, json_t *v)
{
	if (!v)
		return fail(b, "out of memory");
	if (b->depth == MAX_DEPTH) {
		json_decref(v);
		return fail(b, "maximum parsing depth reached");
	}
	json_incref(v); /* one for its parent, one for the stack */
	if (!add(b, v)) {
		json_decref(v);
		return 0;
	}
	if (b->depth == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->stack = cl_xrealloc(b->stack, b->cap * sizeof(*b->stack));
	}
	b->stack[b->depth++] = (struct level){.v = v};
	return 1;
}

/* Drop the innermost container's stack reference (its parent or the
 * root keeps the value). */
static void pop(struct builder *b)
{
	struct level *l = &b->stack[--b->depth];
	key_drop(l);
	json_decref(l->v);
}

static int close_container(void *ctx)
{
	struct builder *b = ctx;

	pop(b);
	if (b->depth == 0)
		root_done(b);
	return 1;
}

static int on_null(void *ctx)
{
	return add(ctx, json_null());
}

static int on_boolean(void *ctx, int v)
{
	return add(ctx, json_boolean(v));
}

/* A number's text as jansson reads it: an integer unless it has a
 * fraction or an exponent. */
static int on_number(void *ctx, const char *s, size_t len)
{
	struct builder *b = ctx;
	char buf[64];
	char *tmp = len < sizeof(buf) ? buf : cl_xmalloc(len + 1);
	int rc;

	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	if (strpbrk(tmp, ".eE")) {
		double d = strtod(tmp, NULL);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			rc = fail(b, "real number overflow");
		else
			rc = add(b, json_real(d));
	} else {
		long long v = strtoll(tmp, NULL, 10);
		if (errno == ERANGE)
			rc = fail(b, v < 0 ? "too big negative integer"
					   : "too big integer");
		else
			rc = add(b, json_integer((json_int_t)v));
	}
	if (tmp != buf)
		free(tmp);
	return rc;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	/* YAJL's UTF-8 check lets overlong forms, encoded surrogates and
	 * code points past U+10FFFF through: jansson's checks them again
	 * (NULL: refused) */
	return add(ctx, json_stringn((const char *)s, len));
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, json_object());
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	struct level *l = &b->stack[b->depth - 1];

	char *k = len < sizeof(l->kbuf) ? l->kbuf : cl_xmalloc(len + 1);
	memcpy(k, s, len);
	k[len] = '\0';
	l->key_long = k == l->kbuf ? NULL : k;
	l->key_len = len;
	return 1;
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, json_array());
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = close_container,
	.yajl_start_array = on_start_array,
	.yajl_end_array = close_container,
};

/* The four hex digits of a \u escape as a code unit, or -1. */
static int hex4(const char *p)
{
	uint8_t u[2];

	return cl_hex_decode(u, 2, p, 4, CL_HEX_NO_PREFIX) ? u[0] << 8 | u[1]
							   : -1;
}

/*
 * Every \u escape of the text is a code point jansson takes: not
 * U+0000, and a surrogate only as a high one followed by a \u low one.
 * In valid JSON each backslash starts an escape inside a string; in
 * text that is not, whatever this reads, YAJL refuses it.
 */
static const char *check_escapes(const char *t, size_t len, size_t *at)
{
	const char *p = memchr(t, '\\', len), *end = t + len;

	while (p) {
		*at = (size_t)(p - t);
		if (p + 1 >= end)
			return NULL; /* YAJL: the string never ends */
		if (p[1] != 'u') {
			p += 2;
		} else {
			int c = end - p >= 6 ? hex4(p + 2) : -1;
			if (c < 0)
				return NULL; /* YAJL refuses the escape */
			if (c == 0)
				return "\\u0000 is not allowed";
			if (c >= 0xdc00 && c <= 0xdfff)
				return "invalid Unicode: a lone low surrogate";
			p += 6;
			if (c >= 0xd800 && c <= 0xdbff) {
				int lo = end - p >= 6 && p[0] == '\\' &&
						 p[1] == 'u'
					     ? hex4(p + 2)
					     : -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return "invalid Unicode: a high "
					       "surrogate without its low one";
				p += 6;
			}
		}
		p = p < end ? memchr(p, '\\', (size_t)(end - p)) : NULL;
	}
	return NULL;
}

json_t *cl_json_load(const char *text, size_t len, char *err, size_t errlen)
{
	struct builder b = {0};
	size_t at = 0;

	if (!text)
		text = ""; /* an empty body may come as NULL (len 0) */
	const char *why = check_escapes(text, len, &at);
	/* YAJL takes \f and \v for blanks; JSON's are space, \t, \n, \r
	 * (inside a string a raw control character is refused anyway) */
	const char *ff = memchr(text, '\f', len), *vt = memchr(text, '\v', len);
	if (!why && (ff || vt)) {
		at = (size_t)((ff && (!vt || ff < vt) ? ff : vt) - text);
		why = "a form feed or vertical tab is no JSON blank";
	}

	if (why) {
		if (err && errlen)
			snprintf(err, errlen, "byte %zu: %s", at, why);
		return NULL;
	}
	yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
	if (!h)
		abort(); /* only fails on allocation */
	b.h = h;
	yajl_status st =
	    yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok) {
		b.finishing = true;
		st = yajl_complete_parse(h);
	}
	if (st == yajl_status_ok && b.ended && b.end != SIZE_MAX) {
		/* only blanks after the value */
		for (size_t i = b.end; i < len; i++) {
			char c = text[i];
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
				if (err && errlen)
					snprintf(err, errlen,
						 "byte %zu: trailing garbage",
						 i);
				goto refused;
			}
		}
	}
	if (st == yajl_status_ok && b.root) {
		CL_REQUIRE(b.depth == 0);
		free(b.stack);
		yajl_free(h);
		return b.root;
	}
	if (err && errlen) {
		size_t used = yajl_get_bytes_consumed(h);
		if (b.why) {
			snprintf(err, errlen, "byte %zu: %s", used, b.why);
		} else {
			unsigned char *e = yajl_get_error(
			    h, 0, (const unsigned char *)text, len);
			/* "parse error: premature EOF\n" and the like */
			size_t n = e ? strcspn((const char *)e, "\n") : 0;
			snprintf(err, errlen, "byte %zu: %.*s", used, (int)n,
				 e ? (const char *)e : "");
			if (e)
				yajl_free_error(h, e);
		}
	}
refused:
	while (b.depth)
		pop(&b);
	free(b.stack);
	json_decref(b.root);
	yajl_free(h);
	return NULL;
}
