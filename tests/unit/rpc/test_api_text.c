/* SPDX-License-Identifier: MIT */
/*
 * The answers of writes written straight to text (src/rpc/api_text.c):
 * nested objects and arrays with their commas, strings, u64 as decimal
 * strings, hashes and addresses as the JSON helpers write them, raw
 * values, the members of an echoed object spliced in; and the text is
 * what jansson reads back as the same object, member for member, in
 * order.
 */
#include "test.h"

#include "api_int.h"

#include <string.h>

static void check_same(const char *got, const char *want)
{
	CHECK_MSG(strcmp(got, want) == 0, "\n  got  %s\n  want %s", got, want);
}

int main(void)
{
	struct cl_api_text t;
	struct cl_hash32 h;
	struct cl_address a;
	char *s;

	for (size_t i = 0; i < 32; i++)
		h.b[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < 20; i++)
		a.b[i] = (uint8_t)(0x11 * (i + 1));

	/* empty */
	cl_api_text_init(&t);
	s = cl_api_text_end(&t);
	check_same(s, "{}");
	free(s);

	/* every kind of member, nested, and an echo spliced in */
	cl_api_text_init(&t);
	cl_api_text_hash(&t, "orderHash", &h);
	cl_api_text_str(&t, "status", "open");
	cl_api_text_u64(&t, "filledSize", UINT64_MAX);
	cl_api_text_open(&t, "fills", '[');
	for (int i = 0; i < 2; i++) {
		cl_api_text_open(&t, NULL, '{');
		cl_api_text_addr(&t, "makerTrader", &a);
		cl_api_text_u64(&t, "size", (uint64_t)i);
		cl_api_text_close(&t, '}');
	}
	cl_api_text_close(&t, ']');
	cl_api_text_open(&t, "none", '[');
	cl_api_text_close(&t, ']');
	cl_api_text_members(&t, "{}");
	cl_api_text_members(&t, "{\"cloid\":\"0x01\",\"time\":\"5\"}");
	cl_api_text_raw(&t, "ok", "true");
	s = cl_api_text_end(&t);

	/* the same object through jansson, as the answers were built before */
	json_t *fills = json_array();
	for (int i = 0; i < 2; i++)
		json_array_append_new(
		    fills, json_pack("{s:o,s:o}", "makerTrader",
				     api_addr_json(&a), "size",
				     cl_json_from_u64((uint64_t)i)));
	json_t *o = json_object();
	json_object_set_new(o, "orderHash", api_hash_json(&h));
	json_object_set_new(o, "status", json_string("open"));
	json_object_set_new(o, "filledSize", cl_json_from_u64(UINT64_MAX));
	json_object_set_new(o, "fills", fills);
	json_object_set_new(o, "none", json_array());
	json_object_set_new(o, "cloid", json_string("0x01"));
	json_object_set_new(o, "time", json_string("5"));
	json_object_set_new(o, "ok", json_true());
	char *want = cl_json_dump(o);
	check_same(s, want);
	/* and it parses back to the same value */
	json_t *back = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	CHECK(back && json_equal(back, o));
	json_decref(back);
	json_decref(o);
	free(want);
	free(s);
	return test_done("api_text");
}
