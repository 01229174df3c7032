/* SPDX-License-Identifier: MIT */
/*
 * WebSocket order entry over loopback (a program, not a test): the
 * pre-signed orders and cancels of bench_http go to l2_submitOrder /
 * l2_cancelOrder as JSON-RPC messages over K WebSocket connections, each
 * with up to W requests in flight (answered when their block is durable,
 * matched by id). In the same run and on the same cores it measures the
 * signature recovery rate (cl_tx_recover on one thread per cpu, with the
 * node idle, before the first phase and after each), and prints for each
 * phase orders/s, their ratio to the mean of the recovery rates measured
 * just before and just after it, and the acknowledgement latency (p50,
 * p99, max) from each message's send to its answer.
 *
 * A phase is paced (-r: a total rate in orders/s spread over the
 * connections, the loads below saturation) or unpaced (rate 0: every
 * connection keeps W in flight, the node's saturation). A paced
 * connection that has W in flight waits, so it never sends more than
 * the node answers; the latency counts from the actual send.
 *
 * The client is a minimal RFC 6455 client of its own (masked text
 * frames out, frames parsed in, pings answered) driving every connection
 * from one thread over poll(): it shares the two cores with the node,
 * so it must cost little (libwebsockets' blocking client of
 * ws_client.h, one context and thread per connection, cost more than
 * the node did).
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
 * -W 1024, -r 2000,5000,10000,0. The window must hold more than a block
 * and its commit take: with 8 x 256 every request in flight sat in the
 * one block being sealed, and the unpaced phase measured that window
 * over the block's round trip (2 048 / ~0.18 s), not the node.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <clearline/ws_client.h>

#include "bench_load.h"

#define MAX_CONNS 256
#define RECOVER_SAMPLE 20000

static const char *ws_url;
static char own_ws_url[64];
static uint64_t *sent_ns; /* per message: when it was sent */

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
		    !cl_address_eq(&tx.auth.signer[0], &addrs[msgs[i].trader]))
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
/* A minimal WebSocket client (RFC 6455) over poll(): one thread drives  */
/* every connection, so the client costs little beside the node         */
/* ------------------------------------------------------------------ */

#define N_CODES 16

struct conn {
	int fd;
	struct cl_buf out; /* frames not yet written */
	size_t out_off;
	struct cl_buf in;  /* bytes read, not yet parsed */
	struct cl_buf msg; /* a fragmented message being joined */
	unsigned inflight;
	uint64_t next_send;
	bool closed;
};

struct tally {
	uint64_t *lat;
	size_t n_lat, cap_lat;
	uint64_t ok, errs, lost, sent;
	uint64_t last_send_ns;
	uint64_t code[N_CODES], code_n[N_CODES];
};

static void count_code(struct tally *t, uint64_t code)
{
	for (int i = 0; i < N_CODES; i++) {
		if (t->code_n[i] && t->code[i] != code)
			continue;
		t->code[i] = code;
		t->code_n[i]++;
		return;
	}
}

/* One answer: its id names the message, so its send time. */
static void tally(struct tally *t, const char *a, uint64_t now)
{
	uint64_t id = 0, code = 0;

	if (!find_u64(&id, a, "id") || id >= n_msgs) {
		t->errs++;
		count_code(t, 0);
		return;
	}
	if (t->n_lat == t->cap_lat) {
		t->cap_lat = t->cap_lat ? 2 * t->cap_lat : 4096;
		t->lat = cl_xrealloc(t->lat, t->cap_lat * sizeof(*t->lat));
	}
	t->lat[t->n_lat++] = now - sent_ns[id];
	if (strstr(a, "\"result\"")) {
		t->ok++;
		return;
	}
	t->errs++;
	const char *p = strstr(a, "\"code\":");
	if (p && p[7] == '-')
		p++;
	if (p && cl_parse_u64(&code, p + 7, strspn(p + 7, "0123456789")))
		count_code(t, code);
}

/* A client frame: FIN, `op`, masked (the mask need not be secret here). */
static void put_frame(struct cl_buf *b, int op, const char *p, size_t len)
{
	uint8_t h[14];
	size_t n = 0;
	static const uint8_t mask[4] = {0x5a, 0x3c, 0x96, 0xe1};

	h[n++] = (uint8_t)(0x80 | op);
	if (len < 126) {
		h[n++] = (uint8_t)(0x80 | len);
	} else if (len < 65536) {
		h[n++] = 0x80 | 126;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	memcpy(h + n, mask, 4);
	n += 4;
	cl_buf_append(b, h, n);
	size_t at = b->len;
	cl_buf_append(b, p, len);
	for (size_t i = 0; i < len; i++)
		b->p[at + i] ^= mask[i & 3];
}

/* Connect and upgrade (blocking, before the load). */
static int ws_connect(const char *host, uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char req[512], resp[2048];
	size_t got = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail("cannot connect to the WebSocket port");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int n =
	    snprintf(req, sizeof(req),
		     "GET / HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\n\r\n",
		     host, port);
	if (write(fd, req, (size_t)n) != n)
		fail("upgrade: write");
	while (got < sizeof(resp) - 1) {
		ssize_t r = read(fd, resp + got, 1); /* up to the blank line */
		if (r <= 0)
			fail("upgrade: no answer");
		got++;
		if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0)
		fail("upgrade refused");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Parse the complete frames in c->in; answers go to `t`. */
static void read_frames(struct conn *c, struct tally *t)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *p = c->in.p + off;
		size_t avail = c->in.len - off, hl = 2;
		if (avail < 2)
			break;
		uint64_t len = p[1] & 0x7f;
		if (len == 126) {
			hl = 4;
			if (avail < hl)
				break;
			len = (uint64_t)p[2] << 8 | p[3];
		} else if (len == 127) {
			hl = 10;
			if (avail < hl)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
		}
		if (avail - hl < len)
			break;
		int op = p[0] & 0x0f;
		bool fin = p[0] & 0x80;
		const char *body = (const char *)p + hl;
		off += hl + (size_t)len;
		if (op == 8) { /* close */
			c->closed = true;
			break;
		}
		if (op == 9) { /* ping: pong */
			put_frame(&c->out, 10, body, (size_t)len);
			continue;
		}
		if (op != 0 && op != 1)
			continue;
		cl_buf_append(&c->msg, body, (size_t)len);
		if (!fin)
			continue;
		cl_buf_append_byte(&c->msg, 0);
		const char *m = (const char *)c->msg.p;
		uint64_t now = cl_clock_mono_ns();
		if (m[0] == '[') { /* a batch answer: one per call */
			for (const char *q = m; (q = strstr(q, "\"jsonrpc\""));
			     q += 9) {
				tally(t, q, now);
				c->inflight--;
			}
		} else if (strstr(m, "\"jsonrpc\"")) {
			tally(t, m, now);
			c->inflight--;
		}
		cl_buf_reset(&c->msg);
	}
	memmove(c->in.p, c->in.p + off, c->in.len - off);
	c->in.len -= off;
}

static void run_phase(struct conn *cs, unsigned k, unsigned w,
		      double interval_ns, uint64_t deadline, struct tally *t)
{
	struct pollfd *pf = cl_xcalloc(k, sizeof(*pf));
	bool pool_left = true;

	for (;;) {
		uint64_t now = cl_clock_mono_ns();
		bool open = now < deadline && pool_left;
		uint64_t wake = now + 50000000; /* 50 ms */
		unsigned busy = 0;

		for (unsigned i = 0; i < k; i++) {
			struct conn *c = &cs[i];
			while (open && !c->closed && c->inflight < w &&
			       (interval_ns == 0 || now >= c->next_send)) {
				size_t j = next_msg++;
				if (j >= n_msgs) {
					pool_left = open = false;
					break;
				}
				sent_ns[j] = now;
				t->last_send_ns = now;
				put_frame(&c->out, 1,
					  (const char *)calls.p + msgs[j].off,
					  msgs[j].len);
				c->inflight++;
				t->sent++;
				c->next_send += (uint64_t)interval_ns;
			}
			if (open && interval_ns && c->inflight < w &&
			    c->next_send < wake)
				wake = c->next_send;
			if (c->out.len > c->out_off) {
				ssize_t r = write(c->fd, c->out.p + c->out_off,
						  c->out.len - c->out_off);
				if (r > 0)
					c->out_off += (size_t)r;
				if (c->out_off == c->out.len) {
					cl_buf_reset(&c->out);
					c->out_off = 0;
				}
			}
			pf[i].fd = c->closed ? -1 : c->fd;
			pf[i].events = POLLIN;
			if (c->out.len > c->out_off)
				pf[i].events |= POLLOUT;
			pf[i].revents = 0;
			busy += c->inflight;
		}
		if (!open && busy == 0)
			break;
		if (!open && now > deadline + 20000000000ULL) {
			t->lost += busy; /* no answer within 20 s */
			break;
		}
		struct timespec ts = {0, 0};
		if (wake > now) {
			ts.tv_sec = (time_t)((wake - now) / 1000000000u);
			ts.tv_nsec = (long)((wake - now) % 1000000000u);
		}
		if (ppoll(pf, k, &ts, NULL) < 0)
			continue;
		for (unsigned i = 0; i < k; i++) {
			struct conn *c = &cs[i];
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[65536];
			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof(buf));
				if (r > 0) {
					cl_buf_append(&c->in, buf, (size_t)r);
					continue;
				}
				if (r == 0) {
					c->closed = true;
				}
				break;
			}
			read_frames(c, t);
			if (c->closed && c->inflight) {
				t->lost += c->inflight;
				c->inflight = 0;
			}
		}
	}
	free(pf);
}

/* ------------------------------------------------------------------ */
/* The node's cpu per thread name (/proc), over a phase                 */
/* ------------------------------------------------------------------ */

#define N_THREAD_NAMES 8

struct node_cpu {
	char name[N_THREAD_NAMES][16];
	uint64_t ticks[N_THREAD_NAMES];
	uint64_t wait_ns[N_THREAD_NAMES]; /* runnable, waiting for a cpu */
	size_t n;
};

static void node_cpu_read(struct node_cpu *nc)
{
	pid_t pid = bench_child();
	char path[64];

	memset(nc, 0, sizeof(*nc));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p2[400], comm[16] = "", stat[1024];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/comm", path, e->d_name);
		FILE *f = fopen(p2, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(p2, sizeof(p2), "%s/%s/stat", path, e->d_name);
		f = fopen(p2, "r");
		if (!f)
			continue;
		size_t n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		/* after "(comm) ": fields 3.. ; utime and stime are 14, 15 */
		const char *q = strrchr(stat, ')');
		unsigned long long ut = 0, st = 0;
		if (!q || sscanf(q + 2,
				 "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				 "%*u %*u %llu %llu",
				 &ut, &st) != 2)
			continue;
		size_t i = 0;
		while (i < nc->n && strcmp(nc->name[i], comm) != 0)
			i++;
		if (i == nc->n) {
			if (nc->n == N_THREAD_NAMES)
				continue;
			snprintf(nc->name[nc->n++], sizeof(nc->name[0]), "%s",
				 comm);
		}
		nc->ticks[i] += ut + st;
		snprintf(p2, sizeof(p2), "%s/%s/schedstat", path, e->d_name);
		f = fopen(p2, "r");
		unsigned long long run_ns, wait_ns;
		if (f && fscanf(f, "%llu %llu", &run_ns, &wait_ns) == 2)
			nc->wait_ns[i] += wait_ns;
		if (f)
			fclose(f);
	}
	closedir(d);
}

/* "name 87%" per thread name: the cpu each used between a and b. */
static void node_cpu_print(const struct node_cpu *a, const struct node_cpu *b,
			   double seconds)
{
	double hz = (double)sysconf(_SC_CLK_TCK);

	printf("      node cpu:");
	for (size_t i = 0; i < b->n; i++) {
		uint64_t before = 0, wait0 = 0;
		for (size_t j = 0; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0) {
				before = a->ticks[j];
				wait0 = a->wait_ns[j];
			}
		printf(" %s %.0f%% (+%.0f%%)", b->name[i],
		       100.0 * (double)(b->ticks[i] - before) / hz / seconds,
		       100.0 * (double)(b->wait_ns[i] - wait0) / 1e9 / seconds);
	}
	printf("\n      (of one core, threads by name; in brackets the time "
	       "they were runnable but waited for a cpu)\n");
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

/* the recovery measurement: its sample of the pool, its threads */
static size_t rec_sample;
static unsigned rec_threads;

/*
 * One phase. `rec` is the recovery rate measured just before it; the
 * rate is measured again right after it (and left in `rec` for the next
 * phase), and orders/s are divided by the mean of the two: the speed of
 * these virtual cpus drifts by a third over minutes, so one measurement
 * at the start of the run would set every ratio after it.
 */
static void phase(unsigned k, unsigned w, uint64_t rate, double seconds,
		  double *rec)
{
	struct conn *cs = cl_xcalloc(k, sizeof(*cs));
	size_t need =
	    rate ? (size_t)((double)rate * seconds * 1.1) : (size_t)k * w * 4;
	struct tally t;
	char host[64], path[64];
	uint16_t port;

	if (next_msg + need > n_msgs) {
		printf("  rate %6" PRIu64 ": pool nearly exhausted, skipped "
		       "(raise -n)\n",
		       rate);
		free(cs);
		return;
	}
	if (!cl_ws_url_parse(ws_url, host, sizeof(host), &port, path,
			     sizeof(path)))
		fail("bad ws url");
	memset(&t, 0, sizeof(t));
	post_oracle();
	for (unsigned i = 0; i < k; i++) {
		cs[i].fd = ws_connect(host, port);
		cl_buf_init(&cs[i].out);
		cl_buf_init(&cs[i].in);
		cl_buf_init(&cs[i].msg);
	}
	double interval_ns = rate ? 1e9 * k / (double)rate : 0;
	uint64_t b0 = head_block();
	double cpu0 = cpu_s();
	struct node_cpu nc0, nc1;
	node_cpu_read(&nc0);
	uint64_t t0 = cl_clock_mono_ns();
	for (unsigned i = 0; i < k; i++)
		cs[i].next_send = t0 + (uint64_t)(interval_ns * i / k);
	run_phase(cs, k, w, interval_ns, t0 + (uint64_t)(seconds * 1e9), &t);
	double el = (double)(cl_clock_mono_ns() - t0) / 1e9;
	double cpu = cpu_s() - cpu0;
	node_cpu_read(&nc1);
	uint64_t b1 = head_block();
	for (unsigned i = 0; i < k; i++) {
		close(cs[i].fd);
		cl_buf_release(&cs[i].out);
		cl_buf_release(&cs[i].in);
		cl_buf_release(&cs[i].msg);
	}
	free(cs);
	if (t.n_lat == 0) {
		printf("  rate %6" PRIu64 ": no answer\n", rate);
		return;
	}
	/* the rate counts over the sending window (shorter when the pool ran
	 * out); the answers of the last block come after it */
	double s = (double)(t.last_send_ns - t0) / 1e9;
	if (s > seconds || s <= 0)
		s = seconds;
	qsort(t.lat, t.n_lat, sizeof(*t.lat), cmp_u64);
	double ops = (double)t.n_lat / s;
	double rec0 = *rec;
	*rec = recovery_rate(rec_sample, rec_threads);
	double recover = (rec0 + *rec) / 2;
	char what[32];
	if (rate)
		snprintf(what, sizeof(what), "%6" PRIu64 "/s", rate);
	else
		snprintf(what, sizeof(what), "%8s", "unpaced");
	printf("  %s %3u conns x %4u: %7.0f orders/s %5.2f of recovery | "
	       "ack p50 %6.1f ms p99 %6.1f ms max %6.1f ms | %5.1f blocks/s"
	       " | recovery %.0f/s, %.0f/s after | client cpu %3.0f%% | %" PRIu64
	       " ok, %" PRIu64 " refused",
	       what, k, w, ops, ops / recover, (double)t.lat[t.n_lat / 2] / 1e6,
	       (double)t.lat[(t.n_lat * 99) / 100] / 1e6,
	       (double)t.lat[t.n_lat - 1] / 1e6, (double)(b1 - b0) / el,
	       rec0, *rec, 100.0 * cpu / el, t.ok, t.errs);
	for (int i = 0; i < N_CODES; i++)
		if (t.code_n[i])
			printf(" %" PRIu64 "x%" PRIu64, t.code_n[i], t.code[i]);
	if (t.lost)
		printf(", %" PRIu64 " unanswered", t.lost);
	printf("\n");
	if (nc1.n)
		node_cpu_print(&nc0, &nc1, el);
	free(t.lat);
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
	uint64_t pool = 200000, port = 18745, block_ms = 100, k = 8, w = 1024;
	double seconds = 5;
	char err[512];
	int c;

	bench_name = "bench_ws_orders";
	while ((c = getopt(argc, argv, "u:w:s:p:i:g:n:d:K:W:r:")) != -1) {
		switch (c) {
		case 'u':
			url = optarg;
			break;
		case 'w':
			ws_url = optarg;
			break;
		case 's':
			bin = optarg;
			break;
		case 'g':
			gpath = optarg;
			break;
		case 'd':
			seconds = strtod(optarg, NULL);
			break;
		case 'r':
			n_rates = parse_list(rates, 16, optarg);
			break;
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
	rec_sample = sample;
	rec_threads = threads;
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
		const char *extra[] = {a_ws,
				       "--rate-orders-account=0",
				       "--rate-orders-conn=0",
				       "--ws-max-inflight=4096",
				       "--ws-max-clients=1024",
				       NULL};
		spawn(bin, gpath, (unsigned)port, block_ms, extra);
		printf("node: %s %s, started by this program, blocks every "
		       "%" PRIu64 " ms or 5000 txs\n",
		       url, ws_url, block_ms);
	} else {
		printf("node: %s %s\n", url, ws_url);
	}
	credit_all();
	double rec = recovery_rate(sample, threads);
	printf("recovery: %.0f/s on %u threads before the load "
	       "(cl_tx_recover: EIP-712 digest + secp256k1), measured again "
	       "after each phase; a phase's ratio is to the mean of the "
	       "measurements before and after it\n",
	       rec, threads);
	printf("one order per message, %" PRIu64 " connections, up to %" PRIu64
	       " in flight each:\n",
	       k, w);
	for (size_t i = 0; i < n_rates; i++)
		phase((unsigned)k, (unsigned)w, rates[i], seconds, &rec);

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
