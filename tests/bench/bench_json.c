/* SPDX-License-Identifier: MIT */
/*
 * The parse of one request's text, as the WebSocket thread and the HTTP
 * server do it for every message: cl_json_load (YAJL's lexer, jansson's
 * values: src/json/parse.c) against jansson's own json_loadb with the
 * same flags, on an order message (401 bytes, its signature and
 * checksummed address as a wallet sends them) and a batch of 50 of them.
 * Alternating rounds, one thread; each parse frees its value. A program,
 * not a test (docs/performance.md "The parse").
 *
 * Usage: bench_json [iterations of the order, default 200000]
 */
#include <clearline/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char order[] =
    "{\"jsonrpc\":\"2.0\",\"id\":123456,\"method\":\"l2_submitOrder\","
    "\"params\":[{\"trader\":\"0x5B38Da6a701c568545dCfcB03FcB875f56beddC4\","
    "\"market\":1,\"isBuy\":true,\"price\":\"6500012\",\"size\":\"3\","
    "\"nonce\":\"1733570000123456\",\"expiry\":\"1733656400\","
    "\"reduceOnly\":false,\"postOnly\":false,\"timeInForce\":0},"
    "\"0x8f3c1b2a9d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
    "f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182931b\"]}";

static double run(bool ours, const char *t, size_t len, uint64_t n)
{
	json_error_t e;
	uint64_t t0 = cl_clock_mono_ns();

	for (uint64_t i = 0; i < n; i++) {
		json_t *j = ours ? cl_json_load(t, len, NULL, 0)
				 : json_loadb(t, len,
					      JSON_REJECT_DUPLICATES |
						  JSON_DECODE_ANY,
					      &e);
		if (!j) {
			fprintf(stderr, "bench_json: the text did not parse\n");
			exit(1);
		}
		json_decref(j);
	}
	return (double)(cl_clock_mono_ns() - t0) / 1e3 / (double)n;
}

static void compare(const char *what, const char *t, size_t len, uint64_t n)
{
	double jansson = 0, ours = 0;

	for (int r = 0; r < 3; r++) { /* alternating, the best of three */
		double a = run(false, t, len, n), b = run(true, t, len, n);
		jansson = r == 0 || a < jansson ? a : jansson;
		ours = r == 0 || b < ours ? b : ours;
	}
	printf("%-22s %6zu bytes: json_loadb %8.2f us, cl_json_load %8.2f us "
	       "(%.2fx)\n",
	       what, len, jansson, ours, jansson / ours);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	size_t olen = strlen(order);
	struct cl_buf batch;

	if (n == 0)
		n = 1;
	cl_buf_init(&batch);
	cl_buf_append(&batch, "[", 1);
	for (int i = 0; i < 50; i++) {
		if (i)
			cl_buf_append(&batch, ",", 1);
		cl_buf_append(&batch, order, olen);
	}
	cl_buf_append(&batch, "]", 1);
	compare("an order", order, olen, n);
	compare("a batch of 50 orders", (const char *)batch.p, batch.len,
		n / 50 ? n / 50 : 1);
	cl_buf_release(&batch);
	return 0;
}
