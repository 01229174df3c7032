/* SPDX-License-Identifier: MIT */
#include "test.h"

/* The incremental API must agree with the one-shot one for every split. */
static void check_splits(const uint8_t *msg, size_t len, const uint8_t want[32])
{
	for (size_t a = 0; a <= len; a += (len > 300 ? 37 : 1)) {
		struct cl_keccak k;
		uint8_t got[32];
		cl_keccak_init(&k);
		cl_keccak_update(&k, msg, a);
		size_t b = a + (len - a) / 2;
		cl_keccak_update(&k, msg + a, b - a);
		cl_keccak_update(&k, msg + b, len - b);
		cl_keccak_final(&k, got);
		CHECK_MSG(memcmp(got, want, 32) == 0, "split at %zu of %zu", a,
			  len);
	}
}

int main(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "keccak256.json");
	json_t *vecs = json_object_get(root, "vectors"), *v;
	size_t i;
	uint8_t h[32];

	/* the two digests everybody knows, independent of the vector file */
	cl_keccak256(h, "", 0);
	CHECK_HEX(h, 32, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	cl_keccak256(h, "abc", 3);
	CHECK_HEX(h, 32, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");

	CHECK(json_array_size(vecs) >= 10);
	json_array_foreach(vecs, i, v) {
		const char *want = json_string_value(json_object_get(v, "hash"));
		const char *text = json_string_value(json_object_get(v, "text"));
		uint8_t *msg;
		size_t len;

		if (text) {
			len = strlen(text);
			msg = cl_xmalloc(len + 1);
			memcpy(msg, text, len);
		} else {
			msg = test_unhex(json_string_value(json_object_get(v, "hex")),
					 &len);
			json_t *jl = json_object_get(v, "length");
			CHECK(json_is_integer(jl) &&
			      (size_t)json_integer_value(jl) == len);
			/* the file documents the pattern: byte i = (7i+3) mod 256 */
			for (size_t j = 0; j < len; j++)
				CHECK(msg[j] == (uint8_t)(7 * j + 3));
		}
		cl_keccak256(h, msg, len);
		CHECK_HEX(h, 32, want);
		uint8_t wantb[32];
		CHECK(cl_hex_decode(wantb, 32, want, strlen(want), CL_HEX_0X));
		check_splits(msg, len, wantb);
		free(msg);
	}
	json_decref(root);
	return test_done("keccak");
}
