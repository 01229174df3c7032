/* SPDX-License-Identifier: MIT */
/*
 * The trade streams write their messages as text (src/ws/feed.c
 * ws_trade_members through the answers' writer cl_api_text,
 * src/ws/streams.c ws_stream_publish_text) where they were built as
 * JSON values and printed. The text must be byte for byte
 * what the JSON path prints: random trades of every kind (with and
 * without a taker order, numbers at 0 and at their tops, traders that
 * repeat so the address cache hits) against cl_json_dump of
 * ws_trade_json; then whole messages of 1 - 40 trades published both
 * ways on two streams of the same name, compared as the history keeps
 * them, and parsed back.
 */
#include "test.h"

#include "ws_int.h"

#include <string.h>

static void random_trade(struct ws_trade *t, const struct cl_address *pool,
			 size_t npool)
{
	static const enum cl_stf_fill_kind kinds[] = {
	    CL_STF_FILL_ORDER, CL_STF_FILL_TRIGGER, CL_STF_FILL_TWAP,
	    CL_STF_FILL_LIQUIDATION, CL_STF_FILL_FUND};
	static const uint64_t edges[] = {0, 1, 9, 10, UINT32_MAX,
					 (uint64_t)INT64_MAX, UINT64_MAX};

	memset(t, 0, sizeof(*t));
	t->kind = kinds[test_rand() % 5];
	t->is_buy = test_rand() & 1;
	t->has_taker = test_rand() & 1;
	t->market = test_rand() % 4 == 0 ? UINT32_MAX
					 : (uint32_t)(test_rand() % 1000);
	t->price = test_rand() % 3 == 0 ? edges[test_rand() % 7] : test_rand();
	t->size = test_rand() % 3 == 0 ? edges[test_rand() % 7]
				       : test_rand() >> (test_rand() % 64);
	for (size_t i = 0; i < 32; i += 8) {
		uint64_t a = test_rand(), b = test_rand();
		memcpy(t->taker.b + i, &a, 8);
		memcpy(t->maker.b + i, &b, 8);
	}
	t->taker_trader = pool[test_rand() % npool];
	t->maker_trader = pool[test_rand() % npool];
}

int main(void)
{
	static struct cl_ws_server srv; /* no clients: publish only keeps */
	struct cl_address pool[40];

	test_seed();
	for (size_t i = 0; i < 40; i++)
		for (size_t j = 0; j < 20; j++)
			pool[i].b[j] = (uint8_t)test_rand();

	/* one trade */
	for (int round = 0; round < 20000; round++) {
		struct ws_trade t;
		random_trade(&t, pool, 40);
		json_t *j = ws_trade_json(&t);
		char *want = cl_json_dump(j);
		struct cl_api_text b;
		cl_api_text_init(&b);
		ws_trade_members(&b, &t);
		char *got = cl_api_text_end(&b);
		CHECK_MSG(strcmp(got, want) == 0, "%s\n  != %s", want, got);
		free(got);
		free(want);
		json_decref(j);
	}

	/* whole messages, through the two ways of publishing */
	for (int round = 0; round < 300; round++) {
		struct ws_stream a, c;
		ws_stream_init(&a, WS_TRADES, "trades:7", 4);
		ws_stream_init(&c, WS_TRADES, "trades:7", 4);
		for (int msg = 0; msg < 3; msg++) {
			uint64_t block = test_rand() >> (test_rand() % 64);
			size_t n = 1 + test_rand() % 40;
			json_t *arr = json_array();
			struct cl_api_text b;
			cl_api_text_init(&b);
			cl_api_text_str(&b, "type", "trades");
			cl_api_text_u64(&b, "block", block);
			cl_api_text_open(&b, "trades", '[');
			for (size_t i = 0; i < n; i++) {
				struct ws_trade t;
				random_trade(&t, pool, 40);
				json_array_append_new(arr, ws_trade_json(&t));
				cl_api_text_open(&b, NULL, '{');
				ws_trade_members(&b, &t);
				cl_api_text_close(&b, '}');
			}
			cl_api_text_close(&b, ']');
			json_t *o = json_object();
			json_object_set_new(o, "type", json_string("trades"));
			json_object_set_new(o, "block", cl_json_from_u64(block));
			json_object_set_new(o, "trades", arr);
			ws_stream_publish(&srv, &a, o);
			ws_stream_publish_text(&srv, &c, &b);
			CHECK(a.seq == c.seq && a.n_hist == c.n_hist);
			size_t k = (a.hist_head + a.n_hist - 1) % a.hist_cap;
			const struct ws_msg *ma = a.hist[k], *mc = c.hist[k];
			CHECK_MSG(ma->len == mc->len &&
				      memcmp(ma->text, mc->text, ma->len) == 0,
				  "%s\n  != %s", (const char *)ma->text,
				  (const char *)mc->text);
			/* and it parses, numbered */
			json_t *back = cl_json_load((const char *)mc->text,
						    mc->len, NULL, 0);
			CHECK(back && json_array_size(json_object_get(
					  back, "trades")) == n);
			const char *name = json_string_value(
			    json_object_get(back, "stream"));
			const char *seq = json_string_value(
			    json_object_get(back, "seq"));
			char want_seq[21];
			cl_fmt_u64(want_seq, c.seq);
			CHECK(name && strcmp(name, "trades:7") == 0);
			CHECK(seq && strcmp(seq, want_seq) == 0);
			json_decref(back);
		}
		ws_stream_release(&a);
		ws_stream_release(&c);
	}
	return test_done("ws_trade");
}
