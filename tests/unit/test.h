/* SPDX-License-Identifier: MIT */
/*
 * A tiny harness for unit tests: CHECK() records a failure and goes on,
 * test_done() prints a summary and returns the exit status (a failure
 * when a check failed, and when no check ran at all). Vector files
 * are read with jansson from the folder given as argv[1] (meson passes
 * tests/vectors).
 */
#ifndef CLEARLINE_TEST_H
#define CLEARLINE_TEST_H

#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/common.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                        \
	do {                                                               \
		test_checks++;                                             \
		if (!(cond)) {                                             \
			test_failures++;                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
		}                                                          \
	} while (0)

#define CHECK_MSG(cond, ...)                                               \
	do {                                                               \
		test_checks++;                                             \
		if (!(cond)) {                                             \
			test_failures++;                                   \
			fprintf(stderr, "%s:%d: check failed: %s: ",       \
				__FILE__, __LINE__, #cond);                \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

/* Compare bytes with an expected 0x-prefixed hex string. */
#define CHECK_HEX(bytes, len, hexstr)                                      \
	do {                                                               \
		char *got_ = cl_hex_encode_alloc((bytes), (len), true);    \
		CHECK_MSG(strcasecmp(got_, (hexstr)) == 0,                 \
			  "got %s want %s", got_, (hexstr));               \
		free(got_);                                                \
	} while (0)

/*
 * The exit status of a test: 0 when at least one check ran and none
 * failed. A test that ran no check fails too: it cannot have shown
 * anything (a skipped setup, a loop over an empty list).
 */
static inline int test_rm_entry(const char *p, const struct stat *sb,
				int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Remove the folder `dir` and everything in it (a test's temporary
 * datadir). */
static inline void test_rm_tree(const char *dir)
{
	nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int test_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, test_checks,
	       test_failures);
	if (test_checks == 0) {
		fprintf(stderr,
			"%s: FAIL: no check ran; a test that checks nothing "
			"cannot fail\n",
			name);
		return 1;
	}
	return test_failures ? 1 : 0;
}

/* Load tests/vectors/<file>; aborts the test if missing or malformed. */
static inline json_t *test_load_vectors(int argc, char **argv,
					const char *file)
{
	char path[4096];
	const char *dir = argc > 1 ? argv[1] : "tests/vectors";
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j) {
		fprintf(stderr, "cannot load %s: %s (line %d)\n", path,
			err.text, err.line);
		exit(2);
	}
	return j;
}

/* Decode a 0x hex string of any length into a malloc'ed buffer. */
static inline uint8_t *test_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = cl_xmalloc(n / 2 + 1);
	if (!cl_hex_decode_var(out, n / 2 + 1, len, hex, n, CL_HEX_0X_OPT)) {
		fprintf(stderr, "bad hex in vector: %.60s\n", hex);
		exit(2);
	}
	return out;
}

/* A seeded, deterministic generator for property tests (splitmix64). The
 * seed comes from CL_TEST_SEED when set and is always printed. */
static uint64_t test_rng_state;
static inline uint64_t test_seed(void)
{
	const char *s = getenv("CL_TEST_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : cl_clock_mono_ns();
	test_rng_state = seed;
	printf("seed: CL_TEST_SEED=%" PRIu64 "\n", seed);
	return seed;
}
static inline uint64_t test_rand(void)
{
	uint64_t z = (test_rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
