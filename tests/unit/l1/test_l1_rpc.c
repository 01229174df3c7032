/* SPDX-License-Identifier: MIT */
/*
 * The JSON-RPC client and the typed calls against a real anvil, and the
 * error classes and retry rules against a tiny fake server in this test
 * (refused connections, silence, 503, 429, 404, non-JSON, oversize).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <clearline/l1.h>

#include "anvil.h"
#include "test.h"

/* ------------------------------------------------------------------ */
/* A fake HTTP server answering every request with one canned reply     */
/* ------------------------------------------------------------------ */

struct fake {
	int fd;
	int port;
	const char *reply; /* NULL: accept and never answer */
	int requests;
	pthread_t thread;
	volatile bool stop;
};

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	while (!f->stop) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		char buf[8192];
		/* read the headers and a small body */
		ssize_t n = read(c, buf, sizeof(buf));
		(void)n;
		__atomic_add_fetch(&f->requests, 1, __ATOMIC_SEQ_CST);
		if (f->reply) {
			ssize_t w = write(c, f->reply, strlen(f->reply));
			(void)w;
		} else {
			/* keep the client waiting past its timeout */
			struct timespec ts = {1, 0};
			nanosleep(&ts, NULL);
		}
		close(c);
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *reply)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int one = 1;

	memset(f, 0, sizeof(*f));
	f->reply = reply;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(f->fd, (struct sockaddr *)&sa, &len) == 0);
	CHECK(listen(f->fd, 16) == 0);
	f->port = ntohs(sa.sin_port);
	pthread_create(&f->thread, NULL, fake_run, f);
}

static void fake_stop(struct fake *f)
{
	f->stop = true;
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
}

static struct cl_l1_rpc *client(int port, uint32_t retries)
{
	char url[64];
	struct cl_l1_rpc_opts o;

	cl_l1_rpc_opts_default(&o);
	o.retries = retries;
	o.backoff_ms = 10;
	o.backoff_max_ms = 40;
	o.timeout_ms = 300;
	o.connect_timeout_ms = 300;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	return cl_l1_rpc_new(url, &o);
}

/* status NULL: the server never answers. */
static void expect(const char *status, const char *body, uint32_t retries,
		   int want_rc, enum cl_l1_class want_cls, int want_requests)
{
	struct fake f;
	json_t *res;
	char reply[1024];

	if (status)
		snprintf(reply, sizeof(reply),
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
			 status, strlen(body), body);
	fake_start(&f, status ? reply : NULL);
	struct cl_l1_rpc *rpc = client(f.port, retries);
	int rc = cl_l1_rpc_call(rpc, &res, "eth_blockNumber", NULL);
	CHECK_MSG(rc == want_rc, "rc %d want %d", rc, want_rc);
	CHECK(res == NULL);
	const struct cl_l1_error *e = cl_l1_rpc_last_error(rpc);
	CHECK_MSG(e->cls == want_cls, "class %d want %d", e->cls, want_cls);
	CHECK(strcmp(e->method, "eth_blockNumber") == 0);
	CHECK_MSG((int)cl_l1_rpc_attempts(rpc) == want_requests,
		  "attempts %d want %d", (int)cl_l1_rpc_attempts(rpc),
		  want_requests);
	cl_l1_rpc_free(rpc);
	fake_stop(&f);
}

static void test_error_classes(void)
{
	/* retried: 503, 429, silence (timeout); then they give up */
	expect("503 Service Unavailable", "", 2, CL_ERR_NET,
	       CL_L1_CLASS_HTTP_RETRY, 3);
	expect("429 Too Many Requests", "", 1, CL_ERR_NET,
	       CL_L1_CLASS_HTTP_RETRY, 2);
	expect(NULL, NULL, 1, CL_ERR_TIMEOUT, CL_L1_CLASS_TIMEOUT, 2);
	/* never retried: 404, a JSON-RPC error, non-JSON, a wrong id */
	expect("404 Not Found", "", 3, CL_L1_HTTP_STATUS, CL_L1_CLASS_HTTP, 1);
	expect("200 OK",
	       "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,"
	       "\"message\":\"nope nope\"}}",
	       3, CL_L1_RPC_ERROR, CL_L1_CLASS_RPC, 1);
	expect("200 OK", "not json", 3, CL_L1_MALFORMED, CL_L1_CLASS_MALFORMED,
	       1);
	expect("200 OK", "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":\"0x1\"}", 3,
	       CL_L1_MALFORMED, CL_L1_CLASS_MALFORMED, 1);
	expect("200 OK", "{\"jsonrpc\":\"2.0\",\"id\":1}", 3, CL_L1_MALFORMED,
	       CL_L1_CLASS_MALFORMED, 1);
	/* revert data with a NUL inside the message is still an error reply */
	expect("200 OK",
	       "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":3,"
	       "\"message\":\"execution reverted: \\u0000\\u0001\"}}",
	       3, CL_L1_RPC_ERROR, CL_L1_CLASS_RPC, 1);
	/* a JSON-RPC error sent with a 400 status is still an error reply */
	expect("400 Bad Request",
	       "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	       "\"message\":\"Invalid request\"}}",
	       3, CL_L1_RPC_ERROR, CL_L1_CLASS_RPC, 1);

	/* refused: a port nobody listens on */
	struct fake f;
	fake_start(&f, "");
	int port = f.port;
	fake_stop(&f);
	struct cl_l1_rpc *rpc = client(port, 3);
	json_t *res;
	uint64_t t0 = cl_clock_mono_ns();
	CHECK(cl_l1_rpc_call(rpc, &res, "eth_chainId", NULL) == CL_ERR_NET);
	CHECK(cl_l1_rpc_last_error(rpc)->cls == CL_L1_CLASS_CONNECT);
	CHECK(cl_l1_rpc_attempts(rpc) == 4);
	/* backoff 10 + 20 + 40 ms at least */
	CHECK((cl_clock_mono_ns() - t0) / 1000000 >= 70);
	cl_l1_rpc_free(rpc);

	CHECK(cl_l1_class_retryable(CL_L1_CLASS_CONNECT));
	CHECK(!cl_l1_class_retryable(CL_L1_CLASS_RPC));
	CHECK(!cl_l1_class_retryable(CL_L1_CLASS_MALFORMED));
	CHECK(cl_l1_rpc_new("ftp://x", NULL) == NULL);
}

static void test_typed(struct anvil *a)
{
	struct cl_l1_rpc *rpc = cl_l1_rpc_new(a->url, NULL);
	uint64_t v, head;
	struct cl_l1_block b, b2;
	bool found;

	CHECK(cl_l1_eth_chain_id(rpc, &v) == CL_OK && v == 31337);
	CHECK(anvil_call(rpc, "anvil_mine", json_pack("[i]", 3)) == CL_OK);
	CHECK(cl_l1_eth_block_number(rpc, &head) == CL_OK && head == 3);
	CHECK(cl_l1_eth_block_by_number(rpc, &b, &found, 2) == CL_OK && found);
	CHECK(b.number == 2 && b.has_base_fee && b.timestamp > 0);
	CHECK(cl_l1_eth_block_by_hash(rpc, &b2, &found, &b.hash) == CL_OK &&
	      found && b2.number == 2 && cl_hash32_eq(&b.hash, &b2.hash));
	CHECK(cl_l1_eth_block_by_number(rpc, &b2, &found, 3) == CL_OK &&
	      cl_hash32_eq(&b2.parent_hash, &b.hash));
	CHECK(cl_l1_eth_block_by_tag(rpc, &b2, &found, CL_L1_LATEST) == CL_OK &&
	      found && b2.number == 3);
	CHECK(cl_l1_eth_block_by_number(rpc, &b2, &found, 1000) == CL_OK &&
	      !found);

	/* anvil answers eth_feeHistory from a cache that a task of its own
	 * fills after each block is mined, and leaves out the blocks not yet
	 * in it: right after anvil_mine the newest can be missing (n < 3),
	 * more often on a busy machine. The client reports what was sent
	 * (n <= requested; the sender needs only base_fee[n], the next
	 * block's, which anvil computes apart from the cache). So: ask until
	 * all three are there, for at most 5 s. */
	struct cl_l1_fee_history h;
	uint64_t until = cl_clock_mono_ns() + 5000000000ull;
	int rc;
	while ((rc = cl_l1_eth_fee_history(rpc, &h, 3, 50)) == CL_OK &&
	       h.n < 3 && cl_clock_mono_ns() < until) {
		CHECK(h.oldest_block == 1 && h.base_fee[h.n] > 0);
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	CHECK(rc == CL_OK);
	CHECK_MSG(h.n == 3 && h.oldest_block == 1 && h.has_reward,
		  "n %zu, oldest block %" PRIu64 ", reward %d", h.n,
		  h.oldest_block, h.has_reward);
	CHECK(h.base_fee[3] > 0);
	CHECK(cl_l1_eth_max_priority_fee(rpc, &v) == CL_OK && v > 0);

	struct cl_seckey *k = anvil_key(ANVIL_KEY0);
	struct cl_address me;
	uint8_t bal[32];
	cl_seckey_address(&me, k);
	CHECK(cl_l1_eth_tx_count(rpc, &v, &me, CL_L1_PENDING) == CL_OK &&
	      v == 0);
	CHECK(cl_l1_eth_balance(rpc, bal, &me) == CL_OK && bal[22] != 0);

	/* an estimate for a plain transfer */
	struct cl_l1_callreq cr = {.from = &me, .to = &me};
	CHECK(cl_l1_eth_estimate_gas(rpc, &v, &cr) == CL_OK && v == 21000);

	/* sign and send by hand; then receipt, transaction, input */
	static const uint8_t data[4] = {0, 1, 2, 3};
	struct cl_tx1559 tx = {
	    .chain_id = 31337,
	    .nonce = 0,
	    .max_priority_fee_per_gas = 1000000000,
	    .max_fee_per_gas = 10000000000ULL,
	    .gas_limit = 30000,
	    .has_to = true,
	    .to = me,
	    .data = data,
	    .data_len = 4,
	};
	struct cl_buf raw;
	struct cl_hash32 h1, h2;
	struct cl_l1_receipt r;
	cl_buf_init(&raw);
	CHECK(cl_tx1559_sign(&raw, &h1, k, &tx) == CL_OK);
	CHECK(cl_l1_eth_send_raw(rpc, &h2, raw.p, raw.len) == CL_OK);
	CHECK(cl_hash32_eq(&h1, &h2));
	/* automine: the receipt follows within milliseconds */
	for (int i = 0; i < 100; i++) {
		CHECK(cl_l1_eth_receipt(rpc, &r, &found, &h1) == CL_OK);
		cl_l1_receipt_release(&r);
		if (found)
			break;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	CHECK(cl_l1_eth_receipt(rpc, &r, &found, &h1) == CL_OK && found);
	CHECK(r.status && r.block_number == 4 && r.gas_used > 21000);
	CHECK(r.effective_gas_price > 0 && r.has_block_timestamp);
	CHECK(cl_hash32_eq(&r.tx_hash, &h1) && r.logs.n == 0);
	cl_l1_receipt_release(&r);
	struct cl_l1_txinfo ti;
	/* under load anvil may serve the receipt a moment before the
	 * transaction lookup shows the block */
	for (int i = 0; i < 100; i++) {
		CHECK(cl_l1_eth_tx_by_hash(rpc, &ti, &found, &h1) == CL_OK &&
		      found);
		if (ti.mined)
			break;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	CHECK(ti.mined && ti.block_number == 4 && ti.nonce == 0 &&
	      cl_address_eq(&ti.from, &me));
	struct cl_buf in;
	cl_buf_init(&in);
	CHECK(cl_l1_eth_tx_input(rpc, &in, &found, &h1) == CL_OK && found);
	CHECK(in.len == 4 && memcmp(in.p, data, 4) == 0);
	cl_buf_release(&in);

	/* unknown hash: found = false, not an error */
	memset(h2.b, 0x5a, 32);
	CHECK(cl_l1_eth_receipt(rpc, &r, &found, &h2) == CL_OK && !found);
	CHECK(cl_l1_eth_tx_by_hash(rpc, &ti, &found, &h2) == CL_OK && !found);

	/* a JSON-RPC error is not retried; the message is kept */
	uint64_t before = cl_l1_rpc_attempts(rpc);
	CHECK(cl_l1_eth_send_raw(rpc, NULL, raw.p, raw.len - 1) ==
	      CL_L1_RPC_ERROR);
	CHECK(cl_l1_rpc_attempts(rpc) == before + 1);
	CHECK(cl_l1_rpc_last_error(rpc)->cls == CL_L1_CLASS_RPC);
	json_t *res;
	CHECK(cl_l1_rpc_call(rpc, &res, "no_suchMethod", NULL) ==
	      CL_L1_RPC_ERROR);

	/* logs: none here */
	struct cl_l1_logs logs;
	struct cl_l1_filter flt = {.from_block = 0, .to_block = 4};
	CHECK(cl_l1_eth_get_logs(rpc, &logs, &flt) == CL_OK && logs.n == 0);
	cl_l1_logs_release(&logs);

	/* the response size limit: not retried */
	struct cl_l1_rpc_opts o;
	cl_l1_rpc_opts_default(&o);
	o.max_response = 200;
	struct cl_l1_rpc *small = cl_l1_rpc_new(a->url, &o);
	CHECK(cl_l1_eth_block_by_number(small, &b, &found, 1) ==
	      CL_L1_TOO_LARGE);
	CHECK(cl_l1_rpc_attempts(small) == 1);
	CHECK(cl_l1_eth_chain_id(small, &v) == CL_OK); /* small answers pass */
	cl_l1_rpc_free(small);

	cl_buf_release(&raw);
	cl_seckey_free(k);
	cl_l1_rpc_free(rpc);
}

int main(int argc, char **argv)
{
	struct anvil a;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	cl_log_min_level = CL_LOG_BROKEN;
	CHECK(cl_crypto_init() == CL_OK);
	test_error_classes();

	anvil_find(&a, argv[1]);
	if (anvil_start(&a, NULL) != 0) {
		fprintf(stderr, "FAIL: anvil did not start\n");
		return 1;
	}
	test_typed(&a);
	anvil_stop(&a);
	return test_done("test_l1_rpc");
}
