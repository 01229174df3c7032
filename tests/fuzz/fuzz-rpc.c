/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC request path: a request body (one call or a batch) goes
 * through the server's own parsing, limits and dispatch
 * (cl_rpc_run_body, no HTTP) to every method of the node's table
 * (cl_api_methods), with their parameter decoding. The first input byte
 * says whether the client is an operator (loopback or token); the rest
 * is the body.
 *
 * The methods read a real LMDB state (in /dev/shm when there is one)
 * holding the three-market genesis of tests/unit/stf/stf_util.h after a
 * few deposits, trades and a withdrawal, through a read-only chain
 * reader, as on a verifier: writes are decoded in full and then answered
 * "read-only" (no sequencer runs here, and no call may stay pending).
 *
 * Every answer must be JSON: an object for a single call, an array for a
 * batch, each reply with "jsonrpc", "id" and exactly one of "result" or
 * "error"; else the target aborts.
 */
#include "stf_util.h"

#include <clearline/api.h>
#include <clearline/chain.h>
#include <clearline/rpc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tenv E;
static struct t_lmdb L;
static struct cl_api api;
static struct cl_rpc_config cfg;
static const struct cl_rpc_method *methods;
static size_t n_methods;

static int r_block_root(void *impl, struct cl_hash32 *out, uint64_t number)
{
	(void)impl;
	if (number != E.number)
		return CL_ERR_NOT_FOUND;
	*out = E.root;
	return CL_OK;
}

static bool r_has_books(void *impl)
{
	(void)impl;
	return true;
}

static size_t r_book_depth(void *impl, struct book_level *out, size_t max,
			   uint32_t market, enum book_side side)
{
	(void)impl;
	(void)market;
	(void)side;
	if (max)
		memset(out, 0, sizeof(*out));
	return 0;
}

static int r_sync(void *impl, struct cl_chain_sync *out)
{
	(void)impl;
	out->head_block = E.number;
	out->head_timestamp_ms = E.ms;
	out->head_root = E.root;
	return CL_OK;
}

static const struct cl_address *r_rollup(void *impl)
{
	(void)impl;
	return NULL;
}

static int r_is_claimed(void *impl, bool *claimed, uint64_t wid)
{
	(void)impl;
	(void)wid;
	*claimed = false;
	return CL_OK;
}

static const struct cl_chain_reader_ops reader_ops = {
	.block_root = r_block_root,
	.has_books = r_has_books,
	.book_depth = r_book_depth,
	.sync = r_sync,
	.rollup = r_rollup,
	.is_claimed = r_is_claimed,
};

static void cleanup(void)
{
	tenv_release(&E); /* frees the state too */
	t_lmdb_close(&L);
}

/* Genesis, oracle prices, deposits, two trades and a withdrawal. */
static void setup(void)
{
	struct cl_state *st = t_lmdb_open(&L);

	if (!st)
		abort();
	cl_log_min_level = CL_LOG_BROKEN;
	tenv_init(&E, st);
	atexit(cleanup);
	tenv_block(&E, 1000);
	for (uint32_t m = 1; m <= 3; m++)
		if (t_oracle_all(&E, m, m == 1 ? 5000000 : 300000) != CL_STF_OK)
			abort();
	for (int t = 0; t < 4; t++)
		EXPECT_OK(&E, t_deposit(E.next_deposit++, &E.addr[t],
					100000 * T_USD));
	(void)t_trade(&E, &E.addr[0], E.key[0], &E.addr[1], E.key[1], T_BTC,
		      5000000, 1000);
	(void)t_trade(&E, &E.addr[2], E.key[2], &E.addr[3], E.key[3], T_ETH,
		      300000, 100);
	EXPECT_OK(&E, t_withdraw(&E, &E.addr[0], &E.addr[5], 10 * T_USD, 0,
				 E.key[0]));
	tenv_block(&E, 1000);
	cl_stf_end_block(E.stf);
	E.in_block = false;
	t_commit(&E);
	if (test_failures)
		abort();

	memset(&api, 0, sizeof(api));
	api.reader.ops = &reader_ops;
	api.reader.db = L.db;
	api.reader.genesis = &E.g;
	api.genesis = &E.g;
	api.dev_credit = true;
	api.mode_name = "verifier";
	api.sequencer_url = "http://127.0.0.1:1";
	cl_rpc_config_defaults(&cfg);
	methods = cl_api_methods(&n_methods);
}

static bool good_reply(const json_t *o)
{
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "jsonrpc")) ||
	    !json_object_get(o, "id"))
		return false;
	bool res = json_object_get(o, "result") != NULL;
	bool err = json_object_get(o, "error") != NULL;
	if (res == err)
		return false;
	const json_t *e = json_object_get(o, "error");
	if (err && (!json_is_integer(json_object_get(e, "code")) ||
		    !json_is_string(json_object_get(e, "message"))))
		return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!methods)
		setup();
	if (size == 0)
		return 0;
	char *answer = cl_rpc_run_body(&cfg, methods, n_methods, &api,
				       data + 1, size - 1, data[0] & 1);
	if (!answer)
		return 0; /* notifications only */
	json_error_t jerr;
	json_t *j = json_loads(answer, 0, &jerr);
	bool ok = j != NULL;
	if (ok && json_is_array(j)) {
		ok = json_array_size(j) > 0;
		for (size_t i = 0; ok && i < json_array_size(j); i++)
			ok = good_reply(json_array_get(j, i));
	} else if (ok) {
		ok = good_reply(j);
	}
	if (!ok) {
		fprintf(stderr, "fuzz-rpc: bad answer: %s\n", answer);
		abort();
	}
	json_decref(j);
	free(answer);
	return 0;
}
