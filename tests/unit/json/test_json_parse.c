/* SPDX-License-Identifier: MIT */
/*
 * cl_json_load (YAJL's lexer, jansson's values: src/json/parse.c) against
 * jansson's own json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY):
 * on every input both accept or both refuse, and what they accept dumps
 * to the same text (same values, same member order). The inputs: hand-
 * picked edge cases (escapes and surrogates, NUL, numbers at the limits,
 * depth, duplicate keys, bytes that are not UTF-8 or not allowed where
 * they are), then mutations of real messages (an order, a batch, the
 * WebSocket protocol's messages) with a fixed seed. One difference is
 * meant: a NUL byte outside a string, which jansson lets pass after a
 * keyword, is refused.
 */
#include "test.h"

#include <clearline/json.h>

static int n_same, n_accepted;

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
				 JSON_ENCODE_ANY);
}

/* Both parsers on `t`; false (and a report) when they differ. */
static bool same(const char *t, size_t len)
{
	json_error_t e;
	char err[160] = "";
	json_t *want = json_loadb(t, len, JSON_REJECT_DUPLICATES |
					      JSON_DECODE_ANY, &e);
	json_t *got = cl_json_load(t, len, err, sizeof(err));
	bool ok;

	/* a NUL byte is no JSON anywhere: cl_json_load refuses it where
	 * jansson lets one pass after a keyword ("[true\0]") */
	if (memchr(t, '\0', len)) {
		json_decref(want);
		want = NULL;
	}

	if (!want || !got) {
		ok = !want && !got;
		if (!got && !err[0])
			ok = false; /* a refusal says why */
		if (!ok) {
			fprintf(stderr, "jansson %s (%s), cl_json_load %s (%s): ",
				want ? "accepts" : "refuses",
				want ? "" : e.text, got ? "accepts" : "refuses",
				err);
			for (size_t i = 0; i < len; i++)
				fprintf(stderr, t[i] >= 32 && t[i] < 127 ? "%c"
					: "\\x%02x", (unsigned char)t[i]);
			fputc('\n', stderr);
		}
	} else {
		char *a = dump(want), *b = dump(got);
		ok = strcmp(a, b) == 0;
		if (!ok)
			fprintf(stderr, "values differ: %s against %s\n", b, a);
		free(a);
		free(b);
		n_accepted++;
	}
	json_decref(want);
	json_decref(got);
	n_same += ok;
	return ok;
}

#define SAME(lit) CHECK(same(lit, sizeof(lit) - 1))

static void edge_cases(void)
{
	/* values of every kind, top level too (JSON_DECODE_ANY) */
	SAME("{}");
	SAME("[]");
	SAME("null");
	SAME("true");
	SAME("false");
	SAME("0");
	SAME("-0");
	SAME("\"\"");
	SAME(" \t\r\n[ 1 , 2 ]\n ");
	SAME("[1,\f2]");
	SAME("\v[1]");
	SAME("[1]\f");
	SAME("\"\f\"");
	SAME("{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":\"e\"}");
	SAME("{\"\":1}");
	/* refused everywhere */
	SAME("");
	SAME("   ");
	SAME("[1,]");
	SAME("{\"a\":1,}");
	SAME("[1] x");
	SAME("1 2");
	SAME("01");
	SAME("1.");
	SAME(".5");
	SAME("+1");
	SAME("1e");
	SAME("NaN");
	SAME("Infinity");
	SAME("[1 2]");
	SAME("{\"a\" 1}");
	SAME("{1:2}");
	SAME("'a'");
	SAME("[1]/*c*/");
	SAME("// c\n1");
	SAME("\"abc");
	SAME("[");
	SAME("{\"a\":");
	SAME("tru");
	SAME("nul");
	/* numbers at the limits */
	SAME("9223372036854775807");
	SAME("-9223372036854775808");
	SAME("9223372036854775808");
	SAME("-9223372036854775809");
	SAME("123456789012345678901234567890");
	SAME("1e308");
	SAME("1e309");
	SAME("-1e309");
	SAME("1e-400");
	SAME("2.2250738585072011e-308");
	SAME("0.1");
	SAME("1E+2");
	SAME("1e-2");
	SAME("-0.0");
	SAME("123.456e-7");
	SAME("[1.7976931348623157e308, 4.9e-324, 1e-324]");
	/* escapes */
	SAME("\"\\n\\t\\r\\b\\f\\/\\\\\\\"\"");
	SAME("\"\\u0041\\u00e9\\u20ac\"");
	SAME("\"\\ud83d\\ude00\"");
	SAME("\"\\uD83D\\uDE00\"");
	SAME("\"\\ud800\"");
	SAME("\"\\ud800x\"");
	SAME("\"\\ud800\\u0041\"");
	SAME("\"\\ud800\\ud800\"");
	SAME("\"\\udc00\"");
	SAME("\"\\udfff\\ud800\"");
	SAME("\"\\u0000\"");
	SAME("{\"\\u0000\":1}");
	SAME("\"a\\u0000b\"");
	SAME("\"\\u00\"");
	SAME("\"\\u12G4\"");
	SAME("\"\\x\"");
	SAME("\"\\\"");
	SAME("\"\\\\u0000\"");
	SAME("\"\\\\\\u0041\"");
	SAME("{\"\\ud83d\\ude00\":\"\\u0001\"}");
	/* bytes: raw control characters, UTF-8 and what is not */
	SAME("\"a\tb\"");
	SAME("\"a\nb\"");
	SAME("\"\x01\"");
	SAME("\"\x7f\"");
	SAME("\"\xc3\xa9\"");
	SAME("\"\xe2\x82\xac\"");
	SAME("\"\xf0\x9f\x98\x80\"");
	SAME("\"\xc3\"");
	SAME("\"\xc0\x80\"");
	SAME("\"\xc1\xbf\"");
	SAME("\"\xe0\x80\x80\"");
	SAME("\"\xed\xa0\x80\"");
	SAME("\"\xed\xbf\xbf\"");
	SAME("\"\xf4\x8f\xbf\xbf\"");
	SAME("\"\xf4\x90\x80\x80\"");
	SAME("\"\xf8\x88\x80\x80\x80\"");
	SAME("\"\xff\"");
	SAME("\xef\xbb\xbf{}");
	SAME("{\"\xc3\xa9\":1}");
	SAME("{\"\xff\":1}");
	SAME("[\xc3\xa9]");
	CHECK(same("\"a\0b\"", 5));
	CHECK(same("[1]\0", 4));
	CHECK(same("\0", 1));
	/* no text at all: an empty HTTP body comes as NULL */
	CHECK(cl_json_load(NULL, 0, NULL, 0) == NULL);
	CHECK(same("[true\0]", 7));
	CHECK(same("[null\0 ]", 8));
	/* duplicate keys, at any depth */
	SAME("{\"a\":1,\"a\":2}");
	SAME("{\"a\":1,\"b\":{\"a\":1,\"a\":1}}");
	SAME("[{\"a\":1},{\"a\":1}]");
	SAME("{\"a\":1,\"\\u0061\":2}");
	SAME("{\"\":1,\"\":2}");
	/* keys past the parser's inline buffer (40 bytes) */
	SAME("{\"a-key-of-exactly-thirty-nine-bytes-xyz\":1,"
	     "\"a-key-longer-than-forty-bytes-0123456789\":{\"k\":2}}");
	SAME("{\"a-key-longer-than-forty-bytes-0123456789\":1,"
	     "\"a-key-longer-than-forty-bytes-0123456789\":2}");
	SAME("{\"a-key-longer-than-forty-bytes-0123456789\":[1,{\"b\":"
	     "{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}]}");
}

/* Nesting at jansson's limit (2048) and past it. */
static void depth(void)
{
	for (size_t d = 2046; d <= 2050; d++) {
		char *t = cl_xmalloc(2 * d + 1);
		memset(t, '[', d);
		memset(t + d, ']', d);
		CHECK(same(t, 2 * d));
		for (size_t i = 0; i < d; i++)
			t[i] = i % 2 ? '[' : '{';
		free(t);
	}
	size_t d = 3000;
	char *t = cl_xmalloc(8 * d + 8);
	size_t n = 0;
	for (size_t i = 0; i < d; i++)
		n += (size_t)sprintf(t + n, "{\"a\":");
	n += (size_t)sprintf(t + n, "1");
	for (size_t i = 0; i < d; i++)
		t[n++] = '}';
	CHECK(same(t, n));
	free(t);
}

static const char *const seeds[] = {
	"{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"l2_submitOrder\","
	"\"params\":[{\"trader\":\"0x5B38Da6a701c568545dCfcB03FcB875f56beddC4\","
	"\"market\":1,\"isBuy\":true,\"price\":\"6500012\",\"size\":\"3\","
	"\"nonce\":\"1733570000123456\",\"expiry\":\"1733656400\","
	"\"reduceOnly\":false,\"postOnly\":false,\"timeInForce\":0},"
	"\"0x8f3c1b2a9d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
	"f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182931b\"]}",
	"[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"l2_getAccount\","
	"\"params\":[\"0xab5801a7d398351b8be11c439e05c5b3259aec9b\"]},"
	"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"l2_blockNumber\","
	"\"params\":[]},{\"jsonrpc\":\"2.0\",\"id\":-3,\"method\":\"x\"}]",
	"{\"op\":\"subscribe\",\"stream\":\"book:1\",\"since\":\"42\","
	"\"id\":\"s\\u00e9\\ud83d\\ude00\\n\"}",
	"{\"a\":[1.5e3,-0.25,true,false,null,\"\\\"\\\\\\/\"],\"b\":{},"
	"\"c\":[[],[{}]],\"d\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* What a mutation writes: JSON's own characters most of the time. */
static char pick(void)
{
	static const char alphabet[] =
	    "{}[]:,\"\\u0123456789abcdefABCDEF.eE+-ntrlsfx \t\n";
	uint64_t r = next();
	if (r % 8 == 0)
		return (char)(r >> 8); /* any byte, NUL and high ones too */
	return alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
}

static void mutations(size_t rounds)
{
	char buf[1024];
	size_t differ = 0;

	for (size_t i = 0; i < rounds; i++) {
		const char *s = seeds[next() % (sizeof(seeds) / sizeof(*seeds))];
		size_t len = strlen(s);
		memcpy(buf, s, len);
		unsigned k = 1 + (unsigned)(next() % 4);
		for (unsigned m = 0; m < k && len > 0; m++) {
			size_t at = (size_t)(next() % len);
			switch (next() % 5) {
			case 0: /* replace */
				buf[at] = pick();
				break;
			case 1: /* delete */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			case 2: /* insert */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = pick();
					len++;
				}
				break;
			case 3: { /* copy a span elsewhere */
				size_t n = 1 + (size_t)(next() % 12);
				size_t to = (size_t)(next() % len);
				if (at + n <= len && len + n < sizeof(buf)) {
					memmove(buf + to + n, buf + to, len - to);
					memmove(buf + to, buf + (at < to ? at : at + n), n);
					len += n;
				}
				break;
			}
			default: /* cut the end */
				len = at;
				break;
			}
		}
		if (!same(buf, len))
			differ++;
	}
	CHECK_MSG(differ == 0, "%zu of %zu mutated inputs parsed apart",
		  differ, rounds);
}

int main(void)
{
	const char *env = getenv("CL_TEST_STEPS");
	size_t rounds = env ? strtoul(env, NULL, 10) * 50 : 200000;
	const char *seed = getenv("CL_TEST_SEED"); /* another run's inputs */
	if (seed && strtoull(seed, NULL, 10))
		rng = strtoull(seed, NULL, 10);

	edge_cases();
	depth();
	mutations(rounds);
	/* the mutations must reach both sides */
	CHECK(n_accepted > 1000);
	CHECK((size_t)n_same > rounds / 2);
	printf("test_json_parse: %d inputs alike (%d accepted)\n", n_same,
	       n_accepted);
	return test_done("test_json_parse");
}
