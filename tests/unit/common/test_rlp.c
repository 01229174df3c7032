/* SPDX-License-Identifier: MIT */
#include "test.h"

/* Encode a vector item (0x string or nested array) with our encoder. */
static void encode_item(struct cl_buf *b, json_t *item)
{
	if (json_is_string(item)) {
		size_t n;
		uint8_t *p = test_unhex(json_string_value(item), &n);
		cl_rlp_put_bytes(b, p, n);
		free(p);
		return;
	}
	size_t start = cl_rlp_list_begin(b), i;
	json_t *sub;
	json_array_foreach(item, i, sub)
		encode_item(b, sub);
	cl_rlp_list_end(b, start);
}

/* Does a decoded item equal the vector's item? */
static bool same_item(const struct cl_rlp_item *it, json_t *item)
{
	if (json_is_string(item)) {
		size_t n;
		uint8_t *p = test_unhex(json_string_value(item), &n);
		bool eq = !it->is_list && it->len == n &&
			  (n == 0 || memcmp(p, it->payload, n) == 0);
		free(p);
		return eq;
	}
	if (!it->is_list)
		return false;
	size_t pos = 0, i = 0;
	bool failed = false;
	struct cl_rlp_item sub;
	while (cl_rlp_list_next(&sub, it, &pos, &failed)) {
		if (i >= json_array_size(item) ||
		    !same_item(&sub, json_array_get(item, i)))
			return false;
		i++;
	}
	return !failed && i == json_array_size(item);
}

static void check_u64(uint64_t v, const char *hex)
{
	struct cl_buf b;
	struct cl_rlp_item it;
	uint64_t back;

	cl_buf_init(&b);
	cl_rlp_put_u64(&b, v);
	CHECK_HEX(b.p, b.len, hex);
	CHECK(cl_rlp_decode_full(&it, b.p, b.len));
	CHECK(cl_rlp_get_u64(&back, &it) && back == v);
	cl_buf_release(&b);
}

int main(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "rlp.json");
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(root, "valid"), i, v) {
		const char *enc = json_string_value(json_object_get(v, "encoded"));
		struct cl_buf b;
		cl_buf_init(&b);
		encode_item(&b, json_object_get(v, "item"));
		CHECK_HEX(b.p, b.len, enc);

		size_t n;
		uint8_t *p = test_unhex(enc, &n);
		struct cl_rlp_item it;
		CHECK(cl_rlp_validate(p, n, 16));
		CHECK(cl_rlp_decode_full(&it, p, n));
		CHECK_MSG(same_item(&it, json_object_get(v, "item")),
			  "decode of %s", enc);
		free(p);
		cl_buf_release(&b);
	}
	CHECK(json_array_size(json_object_get(root, "invalid")) >= 8);
	json_array_foreach(json_object_get(root, "invalid"), i, v) {
		const char *enc = json_string_value(json_object_get(v, "encoded"));
		size_t n;
		uint8_t *p = test_unhex(enc, &n);
		CHECK_MSG(!cl_rlp_validate(p, n, 16), "accepted %s (%s)", enc,
			  json_string_value(json_object_get(v, "reason")));
		free(p);
	}
	json_decref(root);

	/* integers: 0 is the empty string, no leading zeros */
	check_u64(0, "0x80");
	check_u64(1, "0x01");
	check_u64(0x7f, "0x7f");
	check_u64(0x80, "0x8180");
	check_u64(0x400, "0x820400");
	check_u64(UINT64_MAX, "0x88ffffffffffffffff");
	struct cl_rlp_item it;
	uint64_t u;
	static const uint8_t zero_byte[] = {0x00}, lead0[] = {0x82, 0x00, 0x01},
			     nine[] = {0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	CHECK(cl_rlp_decode_full(&it, zero_byte, 1));
	CHECK(!cl_rlp_get_u64(&u, &it)); /* 0x00 is not the integer zero */
	CHECK(cl_rlp_decode_full(&it, lead0, 3) && !cl_rlp_get_u64(&u, &it));
	CHECK(cl_rlp_decode_full(&it, nine, 10) && !cl_rlp_get_u64(&u, &it));

	/* nesting depth is bounded */
	uint8_t deep[64];
	for (int d = 0; d < 63; d++)
		deep[d] = (uint8_t)(0xc0 + 62 - d);
	deep[63] = 0xc0;
	CHECK(!cl_rlp_validate(deep, 1, 16)); /* truncated */
	static const uint8_t nest3[] = {0xc2, 0xc1, 0xc0};
	CHECK(cl_rlp_validate(nest3, 3, 3)); /* three list levels */
	CHECK(!cl_rlp_validate(nest3, 3, 2));

	/* seeded random round trips through lists and long strings */
	test_seed();
	for (int round = 0; round < 2000; round++) {
		struct cl_buf b;
		uint8_t data[300];
		size_t lens[6], n = test_rand() % 6;
		cl_buf_init(&b);
		size_t start = cl_rlp_list_begin(&b);
		for (size_t k = 0; k < n; k++) {
			lens[k] = test_rand() % 300;
			for (size_t j = 0; j < lens[k]; j++)
				data[j] = (uint8_t)(k + j * 3);
			cl_rlp_put_bytes(&b, data, lens[k]);
		}
		cl_rlp_list_end(&b, start);
		CHECK(cl_rlp_validate(b.p, b.len, 4));
		CHECK(cl_rlp_decode_full(&it, b.p, b.len) && it.is_list);
		size_t pos = 0, k = 0;
		bool failed = false;
		struct cl_rlp_item sub;
		while (cl_rlp_list_next(&sub, &it, &pos, &failed)) {
			CHECK(k < n && sub.len == lens[k]);
			for (size_t j = 0; j < sub.len && k < n; j++)
				CHECK(sub.payload[j] == (uint8_t)(k + j * 3));
			k++;
		}
		CHECK(!failed && k == n);
		/* any truncation is rejected */
		if (b.len > 1)
			CHECK(!cl_rlp_validate(b.p, b.len - 1 - test_rand() % (b.len - 1), 4));
		cl_buf_release(&b);
	}
	return test_done("rlp");
}
