/* SPDX-License-Identifier: MIT */
/*
 * WebSocket order entry over loopback (a program, not a test): the
 * pre-signed orders and cancels of bench_http go to l2_submitOrder /
 * l2_cancelOrder as JSON-RPC messages over K WebSocket connections, each
 * with up to W requests in flight (answered when their block is durable,
 * matched by id). In the same run and on the same cores it measures the
 * signature recovery rate (cl_tx_recover on one thread per cpu, before
 * and after the load), and prints for each phase orders/s, their ratio to
 * the recovery rate, and the acknowledgement latency (p50, p99, max)
 * from each message's send to its answer.
 *
 * A phase is paced (-r: a total rate in orders/s spread over the
 * connections, the loads below saturation) or unpaced (rate 0: every
 * connection keeps W in flight, the node's saturation). A paced
 * connection that has W in flight waits, so it never sends more than
 * the node answers; the latency counts from the actual send.
 *
 * The node: one this program starts (-s path/to/clearlined) in a
 * temporary data folder, JSON-RPC on -p and the WebSocket on -p + 1,
 * blocks every -i ms (or 5000 txs), with the rate limits of orders off
 * (rate-orders-account=0, rate-orders-conn=0: the limiters are not what
 * is measured) and ws-max-inflight 4096; or one already running
 * (-u http://... -w ws://...) started likewise.
 *
 * Usage (from the project root):
 *   bench_ws_orders -s build/src/node/clearlined [-p port] [-i block-ms]
 *       [-g genesis.json] [-n pool] [-d seconds per phase]
 *       [-K conns] [-W in-flight] [-r rate,...]
 * Defaults: -p 18745, -i 100, a pool of 200000, 5 s per phase, -K 8,
 * -W 256, -r 2000,5000,10000,0.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <clearline/ws_client.h>

#include "bench_load.h"

#define MAX_CONNS 256
#define RECOVER_SAMPLE 20000

static const char *ws_url;
static char own_ws_url[64];
static uint64_t *sent_ns; /* per message: when it was sent */
static atomic_size_t next_pool;

/* ------------------------------------------------------------------ */
/* The recovery rate on this machine's cpus                            */
/* ------------------------------------------------------------------ */

struct rec_job {
	size_t from, to, stride;
	uint64_t failed;
	pthread_t th;
};

static void build_tx(struct cl_tx *tx, const struct msg *m)
{
	memset(tx, 0, sizeof(*tx));
	if (m->is_cancel) {
		tx->type = CL_TX_CANCEL;
		tx->u.cancel.msg = m->u.cancel;
		tx->u.cancel.sig = m->sig;
	} else {
		tx->type = CL_TX_PLACE_ORDER;
		tx->u.place.order = m->u.order;
		tx->u.place.sig = m->sig;
	}
}

static void *rec_main(void *arg)
{
	struct rec_job *j = arg;
	struct cl_tx tx;

	for (size_t i = j->from; i < j->to; i += j->stride) {
		build_tx(&tx, &msgs[i]);
		cl_tx_recover(&tx, &domain);
		if (tx.auth.err[0] != CL_SIG_OK ||
		    !cl_address_eq(&tx.auth.signer[0],
				   &addrs[msgs[i].trader]))
			j->failed++;
	}
	return NULL;
}

/* Recoveries per second of the first `n` messages on `threads`. */
static double recovery_rate(size_t n, unsigned threads)
{
	struct rec_job j[16];
	uint64_t t0 = cl_clock_mono_ns();

	for (unsigned t = 0; t < threads; t++) {
		j[t] = (struct rec_job){.from = t, .to = n, .stride = threads};
		if (pthread_create(&j[t].th, NULL, rec_main, &j[t]))
			fail("no thread");
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(j[t].th, NULL);
		if (j[t].failed)
			fail("a signature did not recover");
	}
	return (double)n / ((double)(cl_clock_mono_ns() - t0) / 1e9);
}

/* ------------------------------------------------------------------ */
/* A phase: K connections, W in flight each, a total rate or none      */
/* ------------------------------------------------------------------ */

#define N_CODES 16

struct conn {
	pthread_t th;
	unsigned w;
	double interval_ns; /* between sends; 0: unpaced */
	uint64_t t0, deadline;
	/* results */
	uint64_t *lat;
	size_t n_lat, cap_lat;
	uint64_t ok, errs, lost, sent;
	uint64_t last_send_ns;
	uint64_t code[N_CODES], code_n[N_CODES];
	char why[CL_WS_CONN_WHY_MAX];
	bool failed;
};

static void count_code(struct conn *c, uint64_t code)
{
	for (int i = 0; i < N_CODES; i++) {
		if (c->code_n[i] && c->code[i] != code)
			continue;
		c->code[i] = code;
		c->code_n[i]++;
		return;
	}
}

/* One answer: its id names the message, so its send time. */
static void tally(struct conn *c, const char *a, uint64_t now)
{
	uint64_t id = 0, code = 0;

	if (!find_u64(&id, a, "id") || id >= n_msgs) {
		c->errs++;
		count_code(c, 0);
		return;
	}
	if (c->n_lat == c->cap_lat) {
		c->cap_lat = c->cap_lat ? 2 * c->cap_lat : 4096;
		c->lat = cl_xrealloc(c->lat, c->cap_lat * sizeof(*c->lat));
	}
	c->lat[c->n_lat++] = now - sent_ns[id];
	if (strstr(a, "\"result\"")) {
		c->ok++;
		return;
	}
	c->errs++;
	const char *p = strstr(a, "\"code\":");
	if (p && *(p + 7) == '-')
		p++;
	if (p && cl_parse_u64(&code, p + 7, strspn(p + 7, "0123456789")))
		count_code(c, code);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct cl_ws_conn *ws;
	unsigned inflight = 0;
	uint64_t next_send = c->t0;

	if (cl_ws_conn_open(&ws, c->why, sizeof(c->why), ws_url, 5000,
			    1u << 20, 30) != CL_OK) {
		c->failed = true;
		return NULL;
	}
	for (;;) {
		uint64_t now = cl_clock_mono_ns();
		bool open = now < c->deadline;

		while (open && inflight < c->w &&
		       (c->interval_ns == 0 || now >= next_send)) {
			size_t i = atomic_fetch_add(&next_pool, 1);
			if (i >= n_msgs) {
				open = false;
				break;
			}
			sent_ns[i] = cl_clock_mono_ns();
			if (cl_ws_conn_send(ws, (const char *)calls.p + msgs[i].off,
					    msgs[i].len, 5000) != CL_OK) {
				snprintf(c->why, sizeof(c->why), "send failed");
				c->failed = true;
				goto out;
			}
			inflight++;
			c->sent++;
			c->last_send_ns = sent_ns[i];
			next_send += (uint64_t)c->interval_ns;
			now = cl_clock_mono_ns();
		}
		if (!open && inflight == 0)
			break;
		unsigned wait_ms = 50;
		if (open && c->interval_ns && inflight < c->w)
			wait_ms = next_send > now
					  ? (unsigned)((next_send - now) / 1000000)
					  : 0;
		if (!open && now > c->deadline + 20000000000ULL) {
			c->lost += inflight; /* no answer within 20 s */
			break;
		}
		char *text;
		size_t len;
		int rc = cl_ws_conn_recv(ws, &text, &len, c->why,
					 sizeof(c->why), wait_ms);
		if (rc == CL_ERR_TIMEOUT)
			continue;
		if (rc != CL_OK) {
			c->failed = true;
			c->lost += inflight;
			goto out;
		}
		tally(c, text, cl_clock_mono_ns());
		free(text);
		inflight--;
		/* drain what is already there without waiting */
		while (inflight && cl_ws_conn_recv(ws, &text, &len, c->why,
						   sizeof(c->why), 0) == CL_OK) {
			tally(c, text, cl_clock_mono_ns());
			free(text);
			inflight--;
		}
	}
out:
	cl_ws_conn_free(ws);
	return NULL;
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

static void phase(unsigned k, unsigned w, uint64_t rate, double seconds,
		  double recover)
{
	struct conn *cs = cl_xcalloc(k, sizeof(*cs));
	size_t need = rate ? (size_t)((double)rate * seconds * 1.2)
			   : (size_t)k * w * 4;
	(void)recover;

	if (atomic_load(&next_pool) + need > n_msgs) {
		printf("  rate %6" PRIu64 ": pool nearly exhausted, skipped "
		       "(raise -n)\n", rate);
		free(cs);
		return;
	}
	post_oracle();
	uint64_t b0 = head_block();
	double cpu0 = cpu_s();
	uint64_t t0 = cl_clock_mono_ns();
	for (unsigned i = 0; i < k; i++) {
		cs[i].w = w;
		cs[i].interval_ns = rate ? 1e9 * k / (double)rate : 0;
		cs[i].t0 = t0 + (uint64_t)(cs[i].interval_ns * i / k);
		cs[i].deadline = t0 + (uint64_t)(seconds * 1e9);
		if (pthread_create(&cs[i].th, NULL, conn_main, &cs[i]))
			fail("no thread");
	}
	struct conn all;
	memset(&all, 0, sizeof(all));
	for (unsigned i = 0; i < k; i++) {
		struct conn *c = &cs[i];
		pthread_join(c->th, NULL);
		if (c->failed)
			printf("  connection %u: %s\n", i, c->why);
		all.ok += c->ok;
		all.errs += c->errs;
		all.lost += c->lost;
		all.sent += c->sent;
		if (c->last_send_ns > all.last_send_ns)
			all.last_send_ns = c->last_send_ns;
		for (int j = 0; j < N_CODES; j++)
			for (uint64_t r = 0; r < c->code_n[j]; r++)
				count_code(&all, c->code[j]);
		all.lat = cl_xrealloc(all.lat, (all.n_lat + c->n_lat + 1) *
						       sizeof(*all.lat));
		if (c->n_lat)
			memcpy(all.lat + all.n_lat, c->lat,
			       c->n_lat * sizeof(*c->lat));
		all.n_lat += c->n_lat;
		free(c->lat);
	}
	/* the rate counts over the sending window (shorter when the pool ran
	 * out); the answers of the last block come after it */
	double s = seconds;
	if (all.last_send_ns > t0 &&
	    (double)(all.last_send_ns - t0) / 1e9 < s)
		s = (double)(all.last_send_ns - t0) / 1e9;
	double cpu = cpu_s() - cpu0;
	uint64_t b1 = head_block();
	double el = (double)(cl_clock_mono_ns() - t0) / 1e9;

	if (all.n_lat == 0) {
		printf("  rate %6" PRIu64 ": no answer\n", rate);
		free(all.lat);
		free(cs);
		return;
	}
	qsort(all.lat, all.n_lat, sizeof(*all.lat), cmp_u64);
	double ops = (double)all.n_lat / s;
	char what[32];
	if (rate)
		snprintf(what, sizeof(what), "%6" PRIu64 "/s", rate);
	else
		snprintf(what, sizeof(what), "%8s", "unpaced");
	printf("  %s %3u conns x %4u: %8.0f orders/s  %.2f of recovery | "
	       "ack p50 %6.1f ms p99 %6.1f ms max %6.1f ms | %5.1f blocks/s"
	       " | client cpu %3.0f%% | %" PRIu64 " ok, %" PRIu64 " refused",
	       what, k, w, ops, ops / recover,
	       (double)all.lat[all.n_lat / 2] / 1e6,
	       (double)all.lat[(all.n_lat * 99) / 100] / 1e6,
	       (double)all.lat[all.n_lat - 1] / 1e6, (double)(b1 - b0) / el,
	       100.0 * cpu / el, all.ok, all.errs);
	for (int i = 0; i < N_CODES; i++)
		if (all.code_n[i])
			printf(" %" PRIu64 "x%" PRIu64, all.code_n[i],
			       all.code[i]);
	if (all.lost)
		printf(", %" PRIu64 " unanswered", all.lost);
	printf("\n");
	free(all.lat);
	free(cs);
}

/* ------------------------------------------------------------------ */

static size_t parse_list(uint64_t *out, size_t max, const char *s)
{
	size_t n = 0;

	while (*s && n < max) {
		size_t len = strcspn(s, ",");

		if (!cl_parse_u64(&out[n++], s, len))
			fail("bad rate list");
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *gpath = "genesis/devnet.json", *bin = NULL;
	uint64_t rates[16] = {2000, 5000, 10000, 0};
	size_t n_rates = 4;
	uint64_t pool = 200000, port = 18745, block_ms = 100, k = 8, w = 256;
	double seconds = 5;
	char err[512];
	int c;

	bench_name = "bench_ws_orders";
	while ((c = getopt(argc, argv, "u:w:s:p:i:g:n:d:K:W:r:")) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'w': ws_url = optarg; break;
		case 's': bin = optarg; break;
		case 'g': gpath = optarg; break;
		case 'd': seconds = strtod(optarg, NULL); break;
		case 'r': n_rates = parse_list(rates, 16, optarg); break;
		case 'p':
		case 'i':
		case 'n':
		case 'K':
		case 'W': {
			uint64_t *dst = c == 'p'   ? &port
					: c == 'i' ? &block_ms
					: c == 'n' ? &pool
					: c == 'K' ? &k
						   : &w;
			if (!cl_parse_u64(dst, optarg, strlen(optarg)) ||
			    *dst == 0)
				fail("expected a positive number");
			break;
		}
		default:
			fprintf(stderr,
				"usage: bench_ws_orders [-u url -w ws-url | "
				"-s clearlined [-p port] [-i block-ms]] "
				"[-g genesis] [-n pool] [-d secs] [-K conns] "
				"[-W in-flight] [-r rate,...]\n");
			return 2;
		}
	}
	if (seconds <= 0 || port > 65534 || pool < 1000 || k > MAX_CONNS ||
	    w > 4096 || (!bin && !ws_url))
		fail("bad arguments (-s clearlined, or -u and -w)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	cl_log_min_level = CL_LOG_UNUSUAL;
	signal(SIGPIPE, SIG_IGN);
	if (cl_crypto_init() != CL_OK)
		return 1;
	if (cl_genesis_load(&genesis, gpath, err, sizeof(err)) != CL_OK) {
		fprintf(stderr, "bench_ws_orders: %s: %s\n", gpath, err);
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
	sent_ns = cl_xcalloc(n_msgs, sizeof(*sent_ns));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
	size_t sample = n_msgs < RECOVER_SAMPLE ? n_msgs : RECOVER_SAMPLE;
	double rec0 = recovery_rate(sample, threads);
	printf("ws order entry: %zu pre-signed messages (%.1f s to sign and "
	       "encode), %ld cpus, %.0f s per phase\n",
	       n_msgs, (double)(cl_clock_mono_ns() - t0) / 1e9, cpus, seconds);

	if (bin) {
		char a_ws[32];
		snprintf(a_ws, sizeof(a_ws), "--ws-port=%u",
			 (unsigned)port + 1);
		snprintf(own_ws_url, sizeof(own_ws_url), "ws://127.0.0.1:%u/",
			 (unsigned)port + 1);
		ws_url = own_ws_url;
		const char *extra[] = {a_ws, "--rate-orders-account=0",
				       "--rate-orders-conn=0",
				       "--ws-max-inflight=4096",
				       "--ws-max-clients=1024", NULL};
		spawn(bin, gpath, (unsigned)port, block_ms, extra);
		printf("node: %s %s, started by this program, blocks every %"
		       PRIu64 " ms or 5000 txs\n", url, ws_url, block_ms);
	} else {
		printf("node: %s %s\n", url, ws_url);
	}
	credit_all();
	printf("recovery: %.0f/s on %u threads before the load "
	       "(cl_tx_recover: EIP-712 digest + secp256k1)\n",
	       rec0, threads);
	printf("one order per message, %" PRIu64 " connections, up to %" PRIu64
	       " in flight each:\n", k, w);
	for (size_t i = 0; i < n_rates; i++)
		phase((unsigned)k, (unsigned)w, rates[i], seconds, rec0);
	double rec1 = recovery_rate(sample, threads);
	printf("recovery: %.0f/s on %u threads after the load (ratios above "
	       "use the first)\n", rec1, threads);

	stop_child();
	curl_slist_free_all(headers);
	curl_global_cleanup();
	cl_buf_release(&calls);
	free(sent_ns);
	free(msgs);
	for (int i = 0; i < N_ACCOUNTS; i++)
		cl_seckey_free(keys[i]);
	return 0;
}
