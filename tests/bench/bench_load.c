/* SPDX-License-Identifier: MIT */
/*
 * What the load generators over loopback share (bench_http,
 * bench_ws_orders): the accounts and their keys, the pre-signed pool of
 * orders and cancels (the flow of bench_pipeline) as JSON-RPC call
 * objects, the set-up calls over HTTP (op_credit, an oracle price, the
 * head), and a node of their own in a temporary data folder.
 */
#include "bench_load.h"

#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/dev_keys.h"
#include "order_mix.h"

#define CREDIT "10000000000000"
#define CANCEL_LAG 5000

const char *bench_name = "bench";
struct cl_seckey *keys[N_ACCOUNTS];
struct cl_address addrs[N_ACCOUNTS];
struct cl_genesis genesis;
struct cl_eip712_domain domain;
const char *url = "http://127.0.0.1:8645/";
struct curl_slist *headers;


struct msg *msgs;
size_t n_msgs, next_msg;
struct cl_buf calls;

static uint64_t rng_state = 0x3c6ef372fe94f82bULL;

static uint64_t rnd(uint64_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

void fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", bench_name, what);
	exit(1);
}

void load_keys(void)
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

void generate(size_t n, uint64_t nonce_base, uint64_t expiry)
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

void sign_all(void)
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

void put_str(struct cl_buf *b, const char *s)
{
	cl_buf_append(b, s, strlen(s));
}

void put_u64(struct cl_buf *b, uint64_t v)
{
	char d[21];

	cl_buf_append(b, d, cl_fmt_u64(d, v));
}

void put_hex(struct cl_buf *b, const uint8_t *p, size_t n)
{
	char h[2 * 65 + 3];

	cl_buf_append(b, h, cl_hex_encode(h, p, n, true));
}

void put_addr(struct cl_buf *b, const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];

	cl_address_format(s, a);
	cl_buf_append(b, s, CL_ADDRESS_STR_LEN);
}

/* The call objects, with id = the message index. */
void build_calls(void)
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

CURL *easy_new(struct cl_buf *out)
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
bool post(struct cl_buf *out, const char *body)
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
bool find_u64(uint64_t *v, const char *s, const char *key)
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

uint64_t head_block(void)
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

void credit_all(void)
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
		fprintf(stderr, "%s: op_credit failed (is the node "
			"started with --dev-credit, and are we on loopback?): "
			"%.300s\n", bench_name, (const char *)ans.p);
		exit(1);
	}
	cl_buf_release(&req);
	cl_buf_release(&ans);
}

/* A fresh BTC-PERP price signed by two oracle signers. */
void post_oracle(void)
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
		fprintf(stderr, "%s: oracle price refused: %.300s\n",
			bench_name, (const char *)ans.p);
		exit(1);
	}
	cl_buf_release(&req);
	cl_buf_release(&ans);
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

void spawn(const char *bin, const char *gpath, unsigned port,
	   uint64_t block_ms, const char *const *extra)
{
	const char *base = getenv("TMPDIR");
	char a_dir[4200], a_port[32], a_gen[4200], logpath[4200], a_ms[48];

	snprintf(datadir, sizeof(datadir), "%s/clearline-bench-XXXXXX",
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
		const char *argv[32] = {bin, a_gen, a_dir, a_port,
					"--dev-credit", "--log-level=unusual",
					"--block-max-txs=5000", a_ms,
					"--rpc-max-conns=4096",
					"--rpc-max-conns-per-ip=0"};
		size_t n = 10;
		for (; extra && *extra && n < 31; extra++)
			argv[n++] = *extra;
		argv[n] = NULL;
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct timespec ts = {0, 50000000};
		int st;

		if (waitpid(child, &st, WNOHANG) == child) {
			child = 0;
			fprintf(stderr, "%s: the node exited; see %s\n",
				bench_name, logpath);
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

pid_t bench_child(void)
{
	return child;
}

void stop_child(void)
{
	int st;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	waitpid(child, &st, 0);
	child = 0;
	nftw(datadir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

