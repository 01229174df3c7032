/* SPDX-License-Identifier: MIT */
/*
 * The L1 responses the node parses. The node's own client (libcurl,
 * src/l1/rpc.c) calls a responder thread of this harness on a loopback
 * port, which answers with bytes taken from the fuzz input, so the whole
 * path is exercised as in production: the JSON-RPC envelope (id match,
 * error objects, NUL escapes), then the typed parsers of src/l1/eth.c for
 * blocks, receipts (with their logs), transactions, transaction input,
 * logs, fee history, eth_call data and quantities, and the rollup's event
 * and calldata decoders of src/l1/abi.c on whatever they return.
 *
 * Input: byte 0 picks the call; byte 1 bit 0 picks the framing: 0 wraps
 * the rest of the input as {"jsonrpc":"2.0","id":ID,"result":REST}, 1
 * sends the rest as the whole body with every "$ID" replaced by the
 * request's id (so error objects and broken envelopes are reached too).
 *
 * Checks: every call returns CL_OK or one of the documented L1 codes
 * (never a crash or a leak); on a failure the outputs are zeroed; what
 * parsed as a block, receipt or log list is consistent (at most 4
 * topics, data present when its length is not zero).
 */
#include <clearline/l1.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the responder: one keep-alive connection at a time ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *answer;
static size_t answer_len;
static bool raw_answer;
static int listen_fd = -1;
static char url[64];

static bool read_request(int fd, char *buf, size_t cap, char **body,
			 size_t *body_len)
{
	size_t have = 0;
	char *end = NULL;

	while (!end) {
		if (have + 1 >= cap)
			return false;
		ssize_t n = read(fd, buf + have, cap - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
		buf[have] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = strcasestr(buf, "content-length:");
	size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
	size_t head = (size_t)(end + 4 - buf);
	while (have < head + want) {
		if (have + 1 >= cap)
			return false;
		ssize_t n = read(fd, buf + have, cap - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	buf[have] = 0;
	*body = buf + head;
	*body_len = want;
	return true;
}

static bool write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len) {
		ssize_t n = write(fd, b, len);
		if (n <= 0)
			return false;
		b += n;
		len -= (size_t)n;
	}
	return true;
}

static void respond(int fd, const char *req_body)
{
	const char *idp = strstr(req_body, "\"id\":");
	unsigned long long id = idp ? strtoull(idp + 5, NULL, 10) : 0;
	char idtxt[24];
	struct cl_buf b;

	snprintf(idtxt, sizeof(idtxt), "%llu", id);
	cl_buf_init(&b);
	pthread_mutex_lock(&lock);
	if (!raw_answer) {
		char pre[80];
		snprintf(pre, sizeof(pre),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":", idtxt);
		cl_buf_append(&b, pre, strlen(pre));
		cl_buf_append(&b, answer, answer_len);
		cl_buf_append(&b, "}", 1);
	} else {
		for (size_t i = 0; i < answer_len; i++) {
			if (i + 3 <= answer_len &&
			    memcmp(answer + i, "$ID", 3) == 0) {
				cl_buf_append(&b, idtxt, strlen(idtxt));
				i += 2;
			} else {
				cl_buf_append(&b, answer + i, 1);
			}
		}
	}
	pthread_mutex_unlock(&lock);
	/* one write: a header sent apart would wait for a delayed ACK */
	struct cl_buf out;
	char head[128];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json"
			 "\r\nContent-Length: %zu\r\n\r\n",
			 b.len);
	cl_buf_init(&out);
	cl_buf_append(&out, head, (size_t)n);
	cl_buf_append(&out, b.p, b.len);
	(void)write_all(fd, out.p, out.len);
	cl_buf_release(&out);
	cl_buf_release(&b);
}

static void *responder(void *arg)
{
	static char buf[1 << 16];
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		int one = 1;
		if (fd < 0)
			continue;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		char *body;
		size_t len;
		while (read_request(fd, buf, sizeof(buf), &body, &len))
			respond(fd, body);
		close(fd);
	}
	return NULL;
}

static void start_responder(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (listen_fd < 0 || bind(listen_fd, (void *)&a, sizeof(a)) != 0 ||
	    listen(listen_fd, 4) != 0 ||
	    getsockname(listen_fd, (void *)&a, &alen) != 0)
		abort();
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	if (pthread_create(&t, NULL, responder, NULL) != 0)
		abort();
	pthread_detach(t);
}

/* ---- the calls ---- */

static void check_rc(int rc)
{
	switch (rc) {
	case CL_OK:
	case CL_L1_RPC_ERROR:
	case CL_L1_MALFORMED:
	case CL_L1_HTTP_STATUS:
	case CL_L1_TOO_LARGE:
	case CL_ERR_NET:
	case CL_ERR_TIMEOUT:
		return;
	default:
		fprintf(stderr, "fuzz-l1: unexpected code %d\n", rc);
		abort();
	}
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void check_logs(const struct cl_l1_logs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cl_l1_log *g = &l->v[i];
		struct cl_l1_deposit d;
		struct cl_l1_batch_event be;
		struct cl_l1_challenge_event ce;
		struct cl_l1_discard_event de;

		if (g->n_topics > 4 || (g->data_len && !g->data))
			abort();
		/* at most one event type fits a log */
		int fits = cl_l1_decode_deposit(&d, g) +
			   cl_l1_decode_batch_appended(&be, g) +
			   cl_l1_decode_batch_challenged(&ce, g) +
			   cl_l1_decode_batches_discarded(&de, g);
		if (fits > 1)
			abort();
	}
}

static void run(struct cl_l1_rpc *rpc, uint8_t which)
{
	static const struct cl_address to = {{1, 2, 3}};
	struct cl_hash32 h;
	struct cl_buf b;
	int rc;

	memset(&h, 0x5a, sizeof(h));
	cl_buf_init(&b);
	switch (which % 14) {
	case 0: {
		struct cl_l1_block blk;
		bool found;
		rc = cl_l1_eth_block_by_number(rpc, &blk, &found, 7);
		if (rc != CL_OK && (found || !all_zero(&blk, sizeof(blk))))
			abort();
		break;
	}
	case 1: {
		struct cl_l1_block blk;
		bool found;
		rc = cl_l1_eth_block_by_tag(rpc, &blk, &found, CL_L1_FINALIZED);
		break;
	}
	case 2: {
		struct cl_l1_block blk;
		bool found;
		rc = cl_l1_eth_block_by_hash(rpc, &blk, &found, &h);
		break;
	}
	case 3: {
		struct cl_l1_receipt r;
		bool found;
		rc = cl_l1_eth_receipt(rpc, &r, &found, &h);
		if (rc == CL_OK && found)
			check_logs(&r.logs);
		if (rc != CL_OK && (found || r.logs.n || r.logs.v))
			abort();
		if (rc == CL_OK && found)
			cl_l1_receipt_release(&r);
		break;
	}
	case 4: {
		struct cl_l1_txinfo t;
		bool found;
		rc = cl_l1_eth_tx_by_hash(rpc, &t, &found, &h);
		if (rc != CL_OK && found)
			abort();
		break;
	}
	case 5: {
		bool found;
		rc = cl_l1_eth_tx_input(rpc, &b, &found, &h);
		if (rc == CL_OK && found) {
			struct cl_l1_batch_args args;
			if (cl_l1_abi_decode_append_batch(&args, b.p, b.len) &&
			    args.data_len > b.len)
				abort();
		}
		break;
	}
	case 6: {
		struct cl_l1_logs l;
		struct cl_l1_filter f;
		memset(&f, 0, sizeof(f));
		f.from_block = 1;
		f.to_block = 9;
		rc = cl_l1_eth_get_logs(rpc, &l, &f);
		if (rc == CL_OK) {
			check_logs(&l);
			cl_l1_logs_release(&l);
		} else if (l.n || l.v) {
			abort();
		}
		break;
	}
	case 7: {
		struct cl_l1_fee_history fh;
		rc = cl_l1_eth_fee_history(rpc, &fh, 1 + which % 64, 50);
		if (rc == CL_OK && fh.n > CL_L1_FEE_HISTORY_MAX)
			abort();
		break;
	}
	case 8: {
		struct cl_l1_callreq req = {.to = &to};
		rc = cl_l1_eth_call(rpc, &b, &req, CL_L1_LATEST);
		if (rc == CL_OK) {
			uint64_t v;
			bool flag;
			/* one word: a u64 needs 24 zero bytes, a bool 31 */
			if (cl_l1_abi_ret_bool(&flag, b.p, b.len) &&
			    !cl_l1_abi_ret_u64(&v, b.p, b.len))
				abort();
		}
		break;
	}
	case 9: {
		struct cl_l1_callreq req = {.to = &to};
		uint64_t gas;
		rc = cl_l1_eth_estimate_gas(rpc, &gas, &req);
		break;
	}
	case 10: {
		uint8_t bal[32];
		rc = cl_l1_eth_balance(rpc, bal, &to);
		break;
	}
	case 11: {
		uint64_t v;
		rc = cl_l1_eth_tx_count(rpc, &v, &to, CL_L1_PENDING);
		break;
	}
	case 12: {
		struct cl_hash32 got;
		static const uint8_t raw[3] = {0x02, 0xc0, 0x80};
		rc = cl_l1_eth_send_raw(rpc, &got, raw, sizeof(raw));
		break;
	}
	default: {
		uint64_t v;
		rc = (which & 0x10) ? cl_l1_eth_max_priority_fee(rpc, &v)
				    : cl_l1_eth_chain_id(rpc, &v);
		break;
	}
	}
	check_rc(rc);
	cl_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cl_l1_rpc *rpc;

	if (!rpc) {
		cl_log_min_level = CL_LOG_BROKEN;
		if (cl_l1_global_init() != CL_OK)
			abort();
		start_responder();
		struct cl_l1_rpc_opts o;
		cl_l1_rpc_opts_default(&o);
		o.retries = 0;
		o.max_response = 1u << 20;
		rpc = cl_l1_rpc_new(url, &o);
		if (!rpc)
			abort();
	}
	if (size < 2)
		return 0;
	pthread_mutex_lock(&lock);
	answer = data + 2;
	answer_len = size - 2;
	raw_answer = data[1] & 1;
	pthread_mutex_unlock(&lock);
	run(rpc, data[0]);
	return 0;
}
