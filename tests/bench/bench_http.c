/* SPDX-License-Identifier: MIT */
/*
 * HTTP load generator for clearlined (a program, not a test): pre-signed
 * orders go to l2_submitOrder over K keep-alive connections on loopback,
 * each connection sending its next request as soon as the previous one
 * is answered (a closed loop). It prints orders/s and the p50, p99 and
 * max acknowledgement latency, first one order per request, then JSON-RPC
 * batches (50 orders per request by default).
 *
 * A write is acknowledged when its block is durable, so a connection
 * holds at most one request per block: one-order requests are bounded by
 * K / block interval, batches by K * B / block interval, and above that
 * by the node.
 *
 * The node: either one already running with --dev-credit (-u URL), or one
 * this program starts itself (-s path/to/clearlined) in a temporary data
 * folder, on port -p, and stops with SIGTERM at the end. Started by hand:
 *
 *   clearlined --genesis genesis/devnet.json --datadir "$(mktemp -d)" \
 *       --dev-credit --log-level unusual --block-max-txs 5000 \
 *       --rpc-max-conns 4096 --rpc-max-conns-per-ip 0
 *
 * Set-up through the API: op_credit for 50 accounts (anvil's ten dev keys
 * and forty derived from a fixed seed), and an oracle price for BTC-PERP
 * signed by anvil's accounts 7 and 8 before every phase. The order flow is
 * the one of bench_pipeline: makers around the mid price, crossing takers
 * (mostly IOC), and 10% cancels of a maker placed at least 5000 messages
 * earlier. Order nonces start at the wall clock in ms times 1000, so runs
 * against the same node do not collide.
 *
 * Usage (from the project root):
 *   bench_http [-u url | -s clearlined [-p port] [-i block-ms]]
 *              [-g genesis.json]
 *              [-n pool] [-d seconds per phase] [-c conns,...]
 *              [-C batch-conns,...] [-B batch size]
 * Defaults: http://127.0.0.1:8645/, genesis/devnet.json, a pool of 200000
 * pre-signed messages, 5 s per phase, -c 1,16,64,256,1024, -C 1,4,16,64,
 * -B 50; a node started with -s gets --block-interval-ms from -i (default
 * the node's 100).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_load.h"

#define MAX_CONNS 1024


/* ------------------------------------------------------------------ */
/* A phase: K connections, B messages per request, D seconds            */
/* ------------------------------------------------------------------ */

struct conn {
	CURL *e;
	struct cl_buf req, ans;
	uint64_t sent_ns;
	size_t n; /* messages in flight */
};

#define N_CODES 16

struct stats {
	uint64_t *lat;
	size_t n_lat, cap_lat;
	uint64_t msgs, ok, errs, http_errs;
	uint64_t code[N_CODES], code_n[N_CODES];
};

static void count_code(struct stats *s, uint64_t code)
{
	for (int i = 0; i < N_CODES; i++) {
		if (s->code_n[i] && s->code[i] != code)
			continue;
		s->code[i] = code;
		s->code_n[i]++;
		return;
	}
}

static void tally_answer(struct stats *s, const char *a)
{
	for (const char *p = a; (p = strstr(p, "\"result\"")); p += 8)
		s->ok++;
	for (const char *p = a; (p = strstr(p, "\"error\""));) {
		uint64_t code = 0;

		p += 7;
		s->errs++;
		const char *c = strstr(p, "\"code\":");
		if (c && cl_parse_u64(&code, c + 7,
				      strspn(c + 7, "0123456789")))
			count_code(s, code);
	}
}

/* Fill c->req with up to `batch` messages; false when the pool is empty. */
static bool next_request(struct conn *c, size_t batch)
{
	if (next_msg >= n_msgs)
		return false;
	cl_buf_reset(&c->req);
	c->n = 0;
	if (batch > 1)
		put_str(&c->req, "[");
	while (c->n < batch && next_msg < n_msgs) {
		const struct msg *m = &msgs[next_msg++];

		if (c->n)
			put_str(&c->req, ",");
		cl_buf_append(&c->req, calls.p + m->off, m->len);
		c->n++;
	}
	if (batch > 1)
		put_str(&c->req, "]");
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, (const char *)c->req.p);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE, (long)c->req.len);
	cl_buf_reset(&c->ans);
	c->sent_ns = cl_clock_mono_ns();
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
		       1e6;
}

static void phase(unsigned k, size_t batch, double seconds)
{
	struct conn *cs = cl_xcalloc(k, sizeof(*cs));
	struct stats st;
	CURLM *m = curl_multi_init();
	unsigned active = 0;

	if (next_msg + k * batch > n_msgs) {
		printf("  %4u conns x %3zu/request: pool exhausted, skipped "
		       "(raise -n)\n", k, batch);
		free(cs);
		curl_multi_cleanup(m);
		return;
	}
	post_oracle();
	memset(&st, 0, sizeof(st));
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)k + 8);
	uint64_t b0 = head_block();
	double cpu0 = cpu_s();
	uint64_t t0 = cl_clock_mono_ns();
	uint64_t deadline = t0 + (uint64_t)(seconds * 1e9);

	for (unsigned i = 0; i < k; i++) {
		cl_buf_init(&cs[i].req);
		cl_buf_init(&cs[i].ans);
		cs[i].e = easy_new(&cs[i].ans);
		curl_easy_setopt(cs[i].e, CURLOPT_PRIVATE, &cs[i]);
		if (next_request(&cs[i], batch)) {
			curl_multi_add_handle(m, cs[i].e);
			active++;
		}
	}
	while (active > 0) {
		int running, left;
		CURLMsg *msg;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct conn *c;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&c);
			uint64_t now = cl_clock_mono_ns();
			curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE,
					  &status);
			if (msg->data.result != CURLE_OK || status != 200) {
				st.http_errs++;
			} else {
				cl_buf_append_byte(&c->ans, 0);
				tally_answer(&st, (const char *)c->ans.p);
			}
			st.msgs += c->n;
			if (st.n_lat == st.cap_lat) {
				st.cap_lat = st.cap_lat ? 2 * st.cap_lat : 4096;
				st.lat = cl_xrealloc(st.lat, st.cap_lat *
							  sizeof(*st.lat));
			}
			st.lat[st.n_lat++] = now - c->sent_ns;
			curl_multi_remove_handle(m, c->e);
			if (now < deadline && next_request(c, batch))
				curl_multi_add_handle(m, c->e);
			else
				active--;
		}
		if (active)
			curl_multi_poll(m, NULL, 0, 50, NULL);
	}
	uint64_t el = cl_clock_mono_ns() - t0;
	double cpu = cpu_s() - cpu0;
	uint64_t b1 = head_block();

	qsort(st.lat, st.n_lat, sizeof(*st.lat), cmp_u64);
	double s = (double)el / 1e9;
	printf("  %4u conns x %3zu/request: %8.0f orders/s %7.0f req/s | "
	       "ack p50 %7.1f ms p99 %7.1f ms max %7.1f ms | %5.1f blocks/s"
	       " | client cpu %3.0f%%",
	       k, batch, (double)st.msgs / s, (double)st.n_lat / s,
	       (double)st.lat[st.n_lat / 2] / 1e6,
	       (double)st.lat[(st.n_lat * 99) / 100] / 1e6,
	       (double)st.lat[st.n_lat - 1] / 1e6, (double)(b1 - b0) / s,
	       100.0 * cpu / s);
	printf(" | %" PRIu64 " ok, %" PRIu64 " refused", st.ok, st.errs);
	for (int i = 0; i < N_CODES; i++)
		if (st.code_n[i])
			printf(" %" PRIu64 "x%" PRIu64, st.code_n[i], st.code[i]);
	if (st.http_errs)
		printf(", %" PRIu64 " HTTP failures", st.http_errs);
	printf("\n");
	for (unsigned i = 0; i < k; i++) {
		curl_easy_cleanup(cs[i].e);
		cl_buf_release(&cs[i].req);
		cl_buf_release(&cs[i].ans);
	}
	curl_multi_cleanup(m);
	free(st.lat);
	free(cs);
}
/* ------------------------------------------------------------------ */

static size_t parse_list(unsigned *out, size_t max, const char *s)
{
	size_t n = 0;

	while (*s && n < max) {
		size_t len = strcspn(s, ",");
		uint64_t v;

		if (!cl_parse_u64(&v, s, len) || v == 0 || v > MAX_CONNS)
			fail("bad connection list");
		out[n++] = (unsigned)v;
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *gpath = "genesis/devnet.json", *bin = NULL;
	unsigned single[16] = {1, 16, 64, 256, 1024};
	unsigned batched[16] = {1, 4, 16, 64};
	size_t n_single = 5, n_batched = 4;
	uint64_t pool = 200000, port = 18645, batch = 50, block_ms = 100;
	double seconds = 5;
	char err[512];
	int c;

	while ((c = getopt(argc, argv, "u:s:p:i:g:n:d:c:C:B:")) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 's': bin = optarg; break;
		case 'g': gpath = optarg; break;
		case 'c': n_single = parse_list(single, 16, optarg); break;
		case 'C': n_batched = parse_list(batched, 16, optarg); break;
		case 'd': seconds = strtod(optarg, NULL); break;
		case 'p':
		case 'i':
		case 'n':
		case 'B': {
			uint64_t *dst = c == 'p'   ? &port
					: c == 'i' ? &block_ms
					: c == 'n' ? &pool
						   : &batch;
			if (!cl_parse_u64(dst, optarg, strlen(optarg)) ||
			    *dst == 0)
				fail("expected a positive number");
			break;
		}
		default:
			fprintf(stderr,
				"usage: bench_http [-u url | -s clearlined "
				"[-p port] [-i block-ms]] [-g genesis] "
				"[-n pool] [-d secs] "
				"[-c conns,...] [-C batch-conns,...] "
				"[-B batch]\n");
			return 2;
		}
	}
	if (seconds <= 0 || port > 65535 || pool < 1000)
		fail("bad arguments");
	bench_name = "bench_http";
	setvbuf(stdout, NULL, _IOLBF, 0);
	cl_log_min_level = CL_LOG_UNUSUAL;
	signal(SIGPIPE, SIG_IGN);
	if (cl_crypto_init() != CL_OK)
		return 1;
	if (cl_genesis_load(&genesis, gpath, err, sizeof(err)) != CL_OK) {
		fprintf(stderr, "bench_http: %s: %s\n", gpath, err);
		return 1;
	}
	cl_eip712_domain_init(&domain, genesis.l1_chain_id, &genesis.rollup);
	load_keys();
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		fail("curl_global_init");
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:");

	uint64_t now_s = cl_clock_now_ms() / 1000;
	generate((size_t)pool, cl_clock_now_ms() * 1000, now_s + 86400);
	uint64_t t0 = cl_clock_mono_ns();
	sign_all();
	build_calls();
	printf("http benchmark: %zu pre-signed messages (%.1f s to sign and "
	       "encode), %ld cpus, %.0f s per phase\n",
	       n_msgs, (double)(cl_clock_mono_ns() - t0) / 1e9,
	       sysconf(_SC_NPROCESSORS_ONLN), seconds);

	if (bin)
		spawn(bin, gpath, (unsigned)port, block_ms, NULL);
	if (bin)
		printf("node: %s, started by this program, blocks every %"
		       PRIu64 " ms or 5000 txs\n", url, block_ms);
	else
		printf("node: %s\n", url);
	credit_all();

	printf("one order per request (l2_submitOrder / l2_cancelOrder):\n");
	for (size_t i = 0; i < n_single; i++)
		phase(single[i], 1, seconds);
	printf("JSON-RPC batches of %" PRIu64 ":\n", batch);
	for (size_t i = 0; i < n_batched; i++)
		phase(batched[i], (size_t)batch, seconds);

	stop_child();
	curl_slist_free_all(headers);
	curl_global_cleanup();
	cl_buf_release(&calls);
	free(msgs);
	for (int i = 0; i < N_ACCOUNTS; i++)
		cl_seckey_free(keys[i]);
	return 0;
}
