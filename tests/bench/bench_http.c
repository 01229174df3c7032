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
#include <curl/curl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/node.h>

#include "../unit/dev_keys.h"
#include "order_mix.h"

#define N_ACCOUNTS 50
#define MARKET 1
#define MID 650000ULL
#define CREDIT "10000000000000"
#define CANCEL_LAG 5000
#define MAX_CONNS 1024


static struct cl_seckey *keys[N_ACCOUNTS];
static struct cl_address addrs[N_ACCOUNTS];
static struct cl_genesis genesis;
static struct cl_eip712_domain domain;
static const char *url = "http://127.0.0.1:8645/";
static struct curl_slist *headers;

/* The pre-signed pool: one JSON-RPC call object per message. */
struct msg {
	bool is_cancel;
	uint8_t trader;
	union {
		struct cl_order order;
		struct cl_cancel cancel;
	} u;
	struct cl_sig sig;
	size_t off, len; /* the call text in `calls` */
};

static struct msg *msgs;
static size_t n_msgs, next_msg;
static struct cl_buf calls;

static uint64_t rng_state = 0x3c6ef372fe94f82bULL;

static uint64_t rnd(uint64_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_http: %s\n", what);
	exit(1);
}

static void load_keys(void)
{
	for (unsigned i = 0; i < N_ACCOUNTS; i++) {
		if (!dev_key(&keys[i], i, "clearline bench account"))
			fail("bad key");
		cl_seckey_address(&addrs[i], keys[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The order flow                                                      */
/* ------------------------------------------------------------------ */

struct maker_list {
	struct cl_hash32 *h;
	size_t *at; /* message index, increasing */
	size_t n, cap;
};

static void generate(size_t n, uint64_t nonce_base, uint64_t expiry)
{
	const struct cl_market_params *mp = cl_genesis_market(&genesis, MARKET);
	struct maker_list mk[N_ACCOUNTS];
	uint64_t tick = mp->tick_size, step = mp->step_size;

	memset(mk, 0, sizeof(mk));
	msgs = cl_xcalloc(n, sizeof(*msgs));
	n_msgs = n;
	for (size_t i = 0; i < n; i++) {
		struct msg *m = &msgs[i];
		uint64_t r = rnd(100);
		unsigned t = (unsigned)rnd(N_ACCOUNTS);
		struct maker_list *l = &mk[t];
		struct cl_order *o = &m->u.order;
		size_t old = 0;

		m->trader = (uint8_t)t;
		while (old < l->n && l->at[old] + CANCEL_LAG <= i)
			old++;
		if (r >= 90 && old > 0) {
			size_t k = (size_t)rnd(old);

			m->is_cancel = true;
			m->u.cancel.trader = addrs[t];
			m->u.cancel.order_hash = l->h[k];
			memmove(l->h + k, l->h + k + 1,
				(l->n - k - 1) * sizeof(*l->h));
			memmove(l->at + k, l->at + k + 1,
				(l->n - k - 1) * sizeof(*l->at));
			l->n--;
			continue;
		}
		o->trader = addrs[t];
		o->market = MARKET;
		o->is_buy = rnd(2) == 0;
		o->nonce = nonce_base + i;
		o->expiry = expiry;
		order_mix(o, r, rnd, MID, tick, step);
		if (o->flags == 0 || o->flags == CL_ORDER_POST_ONLY) {
			if (l->n == l->cap) {
				l->cap = l->cap ? 2 * l->cap : 256;
				l->h = cl_xrealloc(l->h, l->cap * sizeof(*l->h));
				l->at = cl_xrealloc(l->at,
						    l->cap * sizeof(*l->at));
			}
			cl_order_digest(&l->h[l->n], &domain, o);
			l->at[l->n++] = i;
		}
	}
	for (int t = 0; t < N_ACCOUNTS; t++) {
		free(mk[t].h);
		free(mk[t].at);
	}
}

struct sign_job {
	size_t from, stride;
	bool failed;
	pthread_t th;
};

static void *sign_main(void *arg)
{
	struct sign_job *j = arg;

	for (size_t i = j->from; i < n_msgs; i += j->stride) {
		struct msg *m = &msgs[i];
		struct cl_hash32 d;

		if (m->is_cancel)
			cl_cancel_digest(&d, &domain, &m->u.cancel);
		else
			cl_order_digest(&d, &domain, &m->u.order);
		if (cl_sign_digest(&m->sig, keys[m->trader], &d))
			j->failed = true;
	}
	return NULL;
}

static void sign_all(void)
{
	struct sign_job j[2];

	for (int t = 0; t < 2; t++) {
		j[t] = (struct sign_job){.from = (size_t)t, .stride = 2};
		if (pthread_create(&j[t].th, NULL, sign_main, &j[t]))
			fail("no thread");
	}
	for (int t = 0; t < 2; t++) {
		pthread_join(j[t].th, NULL);
		if (j[t].failed)
			fail("signing failed");
	}
}

static void put_str(struct cl_buf *b, const char *s)
{
	cl_buf_append(b, s, strlen(s));
}

static void put_u64(struct cl_buf *b, uint64_t v)
{
	char d[21];

	cl_buf_append(b, d, cl_fmt_u64(d, v));
}

static void put_hex(struct cl_buf *b, const uint8_t *p, size_t n)
{
	char h[2 * 65 + 3];

	cl_buf_append(b, h, cl_hex_encode(h, p, n, true));
}

static void put_addr(struct cl_buf *b, const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];

	cl_address_format(s, a);
	cl_buf_append(b, s, CL_ADDRESS_STR_LEN);
}

/* The call objects, with id = the message index. */
static void build_calls(void)
{
	cl_buf_init(&calls);
	for (size_t i = 0; i < n_msgs; i++) {
		struct msg *m = &msgs[i];
		size_t start = calls.len;

		put_str(&calls, "{\"jsonrpc\":\"2.0\",\"id\":");
		put_u64(&calls, i);
		if (m->is_cancel) {
			put_str(&calls, ",\"method\":\"l2_cancelOrder\","
				"\"params\":[{\"trader\":\"");
			put_addr(&calls, &m->u.cancel.trader);
			put_str(&calls, "\",\"orderHash\":\"");
			put_hex(&calls, m->u.cancel.order_hash.b, 32);
			put_str(&calls, "\"},\"");
		} else {
			const struct cl_order *o = &m->u.order;

			put_str(&calls, ",\"method\":\"l2_submitOrder\","
				"\"params\":[{\"trader\":\"");
			put_addr(&calls, &o->trader);
			put_str(&calls, "\",\"market\":");
			put_u64(&calls, o->market);
			put_str(&calls, o->is_buy ? ",\"isBuy\":true"
						  : ",\"isBuy\":false");
			put_str(&calls, ",\"price\":\"");
			put_u64(&calls, o->price);
			put_str(&calls, "\",\"size\":\"");
			put_u64(&calls, o->size);
			put_str(&calls, "\",\"nonce\":\"");
			put_u64(&calls, o->nonce);
			put_str(&calls, "\",\"expiry\":\"");
			put_u64(&calls, o->expiry);
			put_str(&calls, "\",\"flags\":");
			put_u64(&calls, o->flags);
			put_str(&calls, "},\"");
		}
		put_hex(&calls, m->sig.b, CL_SIG_LEN);
		put_str(&calls, "\"]}");
		m->off = start;
		m->len = calls.len - start;
	}
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	cl_buf_append(arg, p, size * n);
	return size * n;
}

static CURL *easy_new(struct cl_buf *out)
{
	CURL *e = curl_easy_init();

	if (!e)
		fail("curl_easy_init");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	return e;
}

/* One blocking call; the answer text (NUL-terminated) in `out`. */
static bool post(struct cl_buf *out, const char *body)
{
	struct cl_buf b;
	CURL *e;
	long status = 0;

	cl_buf_init(&b);
	e = easy_new(&b);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	CURLcode rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	cl_buf_append_byte(&b, 0);
	cl_buf_reset(out);
	cl_buf_append(out, b.p, b.len);
	cl_buf_release(&b);
	return rc == CURLE_OK && status == 200;
}

/* The number after `"key":` (quoted or not) in `s`, or false. */
static bool find_u64(uint64_t *v, const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"')
		p++;
	const char *e = p;
	while (*e >= '0' && *e <= '9')
		e++;
	return cl_parse_u64(v, p, (size_t)(e - p));
}

static uint64_t head_block(void)
{
	struct cl_buf b;
	uint64_t h = 0;

	cl_buf_init(&b);
	if (post(&b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		     "\"l2_syncStatus\"}"))
		(void)find_u64(&h, (const char *)b.p, "headBlock");
	cl_buf_release(&b);
	return h;
}

static void credit_all(void)
{
	struct cl_buf req, ans;

	cl_buf_init(&req);
	cl_buf_init(&ans);
	put_str(&req, "[");
	for (int i = 0; i < N_ACCOUNTS; i++) {
		put_str(&req, i ? ",{" : "{");
		put_str(&req, "\"jsonrpc\":\"2.0\",\"id\":");
		put_u64(&req, (uint64_t)i);
		put_str(&req, ",\"method\":\"op_credit\",\"params\":[\"");
		put_addr(&req, &addrs[i]);
		put_str(&req, "\",\"" CREDIT "\"]}");
	}
	put_str(&req, "]");
	cl_buf_append_byte(&req, 0);
	if (!post(&ans, (const char *)req.p) ||
	    strstr((const char *)ans.p, "\"error\"")) {
		fprintf(stderr, "bench_http: op_credit failed (is the node "
			"started with --dev-credit, and are we on loopback?): "
			"%.300s\n", (const char *)ans.p);
		exit(1);
	}
	cl_buf_release(&req);
	cl_buf_release(&ans);
}

/* A fresh BTC-PERP price signed by two oracle signers. */
static void post_oracle(void)
{
	struct cl_oracle_price op = {.market = MARKET, .price = MID};
	struct cl_hash32 d;
	struct cl_sig s7, s8;
	struct cl_buf req, ans;

	op.timestamp = cl_clock_now_ms() / 1000;
	cl_oracle_price_digest(&d, &domain, &op);
	if (cl_sign_digest(&s7, keys[7], &d) || cl_sign_digest(&s8, keys[8], &d))
		fail("oracle signature");
	cl_buf_init(&req);
	cl_buf_init(&ans);
	put_str(&req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		"\"l2_submitOraclePrice\",\"params\":[{\"market\":");
	put_u64(&req, MARKET);
	put_str(&req, ",\"price\":\"");
	put_u64(&req, op.price);
	put_str(&req, "\",\"timestamp\":\"");
	put_u64(&req, op.timestamp);
	put_str(&req, "\"},[\"");
	put_hex(&req, s7.b, CL_SIG_LEN);
	put_str(&req, "\",\"");
	put_hex(&req, s8.b, CL_SIG_LEN);
	put_str(&req, "\"]]}");
	cl_buf_append_byte(&req, 0);
	uint64_t code = 0;
	if (!post(&ans, (const char *)req.p))
		fail("oracle price: no answer");
	/* 1037: a price of this second is there already */
	if (find_u64(&code, (const char *)ans.p, "code") && code != 1037) {
		fprintf(stderr, "bench_http: oracle price refused: %.300s\n",
			(const char *)ans.p);
		exit(1);
	}
	cl_buf_release(&req);
	cl_buf_release(&ans);
}

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
/* A node of our own                                                   */
/* ------------------------------------------------------------------ */

static pid_t child;
static char datadir[4096];
static char own_url[64];

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void spawn(const char *bin, const char *gpath, unsigned port,
		  uint64_t block_ms)
{
	const char *base = getenv("TMPDIR");
	char a_dir[4200], a_port[32], a_gen[4200], logpath[4200], a_ms[48];

	snprintf(datadir, sizeof(datadir), "%s/clearline-http-XXXXXX",
		 base && base[0] ? base : "/tmp");
	if (!mkdtemp(datadir))
		fail("mkdtemp");
	snprintf(a_dir, sizeof(a_dir), "--datadir=%s/db", datadir);
	snprintf(a_port, sizeof(a_port), "--rpc-port=%u", port);
	snprintf(a_gen, sizeof(a_gen), "--genesis=%s", gpath);
	snprintf(a_ms, sizeof(a_ms), "--block-interval-ms=%" PRIu64, block_ms);
	snprintf(logpath, sizeof(logpath), "%s/node.log", datadir);
	snprintf(own_url, sizeof(own_url), "http://127.0.0.1:%u/", port);
	url = own_url;
	fflush(stdout);
	child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0) {
		FILE *log = freopen(logpath, "w", stderr);

		(void)log;
		dup2(2, 1);
		execl(bin, bin, a_gen, a_dir, a_port, "--dev-credit",
		      "--log-level=unusual", "--block-max-txs=5000", a_ms,
		      "--rpc-max-conns=4096", "--rpc-max-conns-per-ip=0",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct timespec ts = {0, 50000000};
		int st;

		if (waitpid(child, &st, WNOHANG) == child) {
			child = 0;
			fprintf(stderr, "bench_http: the node exited; see %s\n",
				logpath);
			exit(1);
		}
		if (head_block() > 0 || i > 20) {
			struct cl_buf b;
			bool up;

			cl_buf_init(&b);
			up = post(&b, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				      "\"method\":\"l2_syncStatus\"}");
			cl_buf_release(&b);
			if (up)
				return;
		}
		nanosleep(&ts, NULL);
	}
	fail("the node did not answer within 10 s");
}

static void stop_child(void)
{
	int st;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	waitpid(child, &st, 0);
	child = 0;
	nftw(datadir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
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
		spawn(bin, gpath, (unsigned)port, block_ms);
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
