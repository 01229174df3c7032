/* SPDX-License-Identifier: MIT */
/*
 * cl_keccak256_many: every kernel this CPU has against the known vectors
 * (tests/vectors/keccak256.json, the ones of one block) and against the
 * one-at-a-time cl_keccak256 on seeded random inputs of every length and
 * batch sizes around the vector widths.
 */
#include "test.h"

#include <clearline/keccak.h>

static const enum cl_keccak_kernel kernels[] = {
	CL_KECCAK_PORTABLE,
	CL_KECCAK_AVX2,
	CL_KECCAK_AVX512,
};

/* The vector file's one-block inputs, each hashed n times in one call
 * (every lane the same input), for n = 1 .. 17. */
static void check_vectors(enum cl_keccak_kernel k, json_t *vecs)
{
	json_t *v;
	size_t i, checked = 0;

	json_array_foreach(vecs, i, v) {
		json_t *jw = json_object_get(v, "hash");
		json_t *jt = json_object_get(v, "text");
		const char *want = json_string_value(jw);
		const char *text = json_string_value(jt);
		uint8_t wantb[32], *msg, *in, *out;
		size_t len;

		if (text) {
			len = strlen(text);
			msg = cl_xmalloc(len + 1);
			memcpy(msg, text, len);
		} else {
			msg = test_unhex(
				json_string_value(json_object_get(v, "hex")),
				&len);
		}
		CHECK(cl_hex_decode(wantb, 32, want, strlen(want), CL_HEX_0X));
		if (len > CL_KECCAK_MANY_MAX) {
			free(msg);
			continue;
		}
		in = cl_xmalloc(17 * len + 1);
		out = cl_xmalloc(17 * 32);
		for (size_t j = 0; j < 17; j++)
			memcpy(in + j * len, msg, len);
		for (size_t n = 1; n <= 17; n++) {
			memset(out, 0xee, 17 * 32);
			CHECK(cl_keccak256_many_with(k, out, in, len, n));
			for (size_t j = 0; j < n; j++)
				CHECK_MSG(memcmp(out + 32 * j, wantb, 32) == 0,
					  "%s: vector of %zu bytes, lane %zu "
					  "of %zu",
					  cl_keccak_kernel_name(k), len, j, n);
			/* nothing written past the n outputs */
			for (size_t j = 32 * n; j < 17 * 32; j++)
				CHECK(out[j] == 0xee);
		}
		checked++;
		free(in);
		free(out);
		free(msg);
	}
	/* "", "abc", the fox, and the hex ones of 0, 1, 55, 56, 135 bytes */
	CHECK(checked >= 8);
}

/* Random inputs of every one-block length, against cl_keccak256. */
static void check_random(enum cl_keccak_kernel k)
{
	enum { NMAX = 40 };
	uint8_t in[NMAX * CL_KECCAK_MANY_MAX + 1], out[NMAX * 32], want[32];

	for (size_t len = 0; len <= CL_KECCAK_MANY_MAX; len++) {
		size_t n = len % 4 == 0 ? NMAX : 1 + test_rand() % NMAX;

		for (size_t j = 0; j < n * len; j++)
			in[j] = (uint8_t)test_rand();
		CHECK(cl_keccak256_many_with(k, out, in, len, n));
		for (size_t j = 0; j < n; j++) {
			cl_keccak256(want, in + j * len, len);
			CHECK_MSG(memcmp(out + 32 * j, want, 32) == 0,
				  "%s: %zu bytes, input %zu of %zu",
				  cl_keccak_kernel_name(k), len, j, n);
		}
	}
	/* the Merkle tree's node inputs: 65 bytes, batches of 0 .. 20 */
	for (size_t n = 0; n <= 20; n++) {
		for (size_t j = 0; j < n * 65; j++)
			in[j] = (uint8_t)test_rand();
		memset(out, 0xee, sizeof(out));
		CHECK(cl_keccak256_many_with(k, out, in, 65, n));
		for (size_t j = 0; j < n; j++) {
			cl_keccak256(want, in + j * 65, 65);
			CHECK(memcmp(out + 32 * j, want, 32) == 0);
		}
		CHECK(out[32 * n] == 0xee);
	}
}

int main(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "keccak256.json");
	json_t *vecs = json_object_get(root, "vectors");
	enum cl_keccak_kernel best = cl_keccak_kernel_best();
	uint8_t out[32], in[65] = { 0x01 }, want[32];
	unsigned ran = 0;

	test_seed();
	CHECK(json_array_size(vecs) >= 10);
	/* the portable kernel is always there, and the best one is one this
	 * CPU runs */
	CHECK(cl_keccak256_many_with(CL_KECCAK_PORTABLE, out, in, 65, 1));
	CHECK(cl_keccak256_many_with(best, out, in, 65, 1));
	cl_keccak256_many(out, in, 65, 1);
	cl_keccak256(want, in, 65);
	CHECK(memcmp(out, want, 32) == 0);
	printf("best kernel: %s\n", cl_keccak_kernel_name(best));
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		enum cl_keccak_kernel k = kernels[i];

		memset(out, 0xee, sizeof(out));
		if (!cl_keccak256_many_with(k, out, in, 65, 1)) {
			/* not on this CPU: nothing written, and not chosen */
			for (size_t j = 0; j < 32; j++)
				CHECK(out[j] == 0xee);
			CHECK(k != best);
			printf("%s: not on this CPU, skipped\n",
			       cl_keccak_kernel_name(k));
			continue;
		}
		check_vectors(k, vecs);
		check_random(k);
		ran++;
	}
	CHECK(ran >= 1);
	json_decref(root);
	return test_done("keccak_lanes");
}
