/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the CLI tests: a fake node behind the injectable transport
 * (canned results per method, every request body recorded) and a runner
 * that captures stdout and stderr of one command.
 */
#ifndef CLEARLINE_TEST_CLI_UTIL_H
#define CLEARLINE_TEST_CLI_UTIL_H

#include <stdarg.h>

#include <clearline/cli.h>

#include "test.h"

#define FAKE_MAX 16

struct fake_node {
	/* canned answers: the "result" (or, with error set, the "error")
	 * JSON text for a method */
	struct {
		const char *method;
		const char *json;
		bool error;
	} canned[FAKE_MAX];
	size_t ncanned;
	int fail_with;		  /* a transport error to return, or 0 */
	char *requests[FAKE_MAX]; /* bodies, in order */
	size_t nrequests;
};

static inline void fake_answer(struct fake_node *f, const char *method,
			       const char *json)
{
	f->canned[f->ncanned].method = method;
	f->canned[f->ncanned].json = json;
	f->canned[f->ncanned].error = false;
	f->ncanned++;
}

static inline void fake_error(struct fake_node *f, const char *method,
			      const char *json)
{
	fake_answer(f, method, json);
	f->canned[f->ncanned - 1].error = true;
}

static inline void fake_release(struct fake_node *f)
{
	for (size_t i = 0; i < f->nrequests; i++)
		free(f->requests[i]);
	memset(f, 0, sizeof(*f));
}

static inline int fake_post(void *arg, struct cl_buf *resp, long *status,
			    char *err, size_t errlen, const char *url,
			    const char *body, size_t len)
{
	struct fake_node *f = arg;
	json_t *req;
	const char *method;
	long long id;
	char out[8192];

	*status = 0;
	if (f->nrequests < FAKE_MAX)
		f->requests[f->nrequests++] = strndup(body, len);
	if (f->fail_with) {
		snprintf(err, errlen, "connection refused");
		return f->fail_with;
	}
	req = json_loadb(body, len, 0, NULL);
	if (!req) {
		fprintf(stderr, "fake node: request is not JSON\n");
		exit(2);
	}
	method = json_string_value(json_object_get(req, "method"));
	id = json_integer_value(json_object_get(req, "id"));
	*status = 200;
	for (size_t i = 0; i < f->ncanned; i++) {
		if (strcmp(f->canned[i].method, method) != 0)
			continue;
		snprintf(out, sizeof(out),
			 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"%s\":%s}", id,
			 f->canned[i].error ? "error" : "result",
			 f->canned[i].json);
		cl_buf_append(resp, out, strlen(out));
		json_decref(req);
		return CL_OK;
	}
	snprintf(out, sizeof(out),
		 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32601,"
		 "\"message\":\"method not found\"}}",
		 id);
	cl_buf_append(resp, out, strlen(out));
	json_decref(req);
	return CL_OK;
}

/* What one run printed. */
struct run_out {
	int rc;
	char *out, *err;
	size_t outlen, errlen;
};

static inline void run_release(struct run_out *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* A fixed wall clock: 2030-01-01T00:00:00Z. */
static inline uint64_t fixed_now_ms(void)
{
	return 1893456000000ULL;
}

/* Run clearline-cli with the NULL-terminated arguments against f. */
static inline struct run_out run_cli_v(struct fake_node *f, const char *in,
				       const char *first, va_list ap)
{
	struct run_out r;
	char *argv[32];
	int argc = 0;
	struct cl_cli cli;
	FILE *fin = NULL;

	memset(&r, 0, sizeof(r));
	argv[argc++] = (char *)"clearline-cli";
	for (const char *s = first; s && argc < 31;
	     s = va_arg(ap, const char *))
		argv[argc++] = (char *)s;
	argv[argc] = NULL;

	cl_cli_init(&cli);
	cli.out = open_memstream(&r.out, &r.outlen);
	cli.err = open_memstream(&r.err, &r.errlen);
	if (in) {
		fin = fmemopen((void *)in, strlen(in), "r");
		cli.in = fin;
	}
	cli.post = fake_post;
	cli.post_arg = f;
	cli.now_ms = fixed_now_ms;
	cli.kdf.opslimit = CL_KDF_OPSLIMIT_MIN;
	cli.kdf.memlimit = CL_KDF_MEMLIMIT_MIN;
	r.rc = cl_cli_run(&cli, argc, argv);
	cl_cli_release(&cli);
	fclose(cli.out);
	fclose(cli.err);
	if (fin)
		fclose(fin);
	return r;
}

static inline struct run_out run_cli_in(struct fake_node *f, const char *in,
					const char *first, ...)
{
	va_list ap;
	struct run_out r;

	va_start(ap, first);
	r = run_cli_v(f, in, first, ap);
	va_end(ap);
	return r;
}

static inline struct run_out run_cli(struct fake_node *f, const char *first,
				     ...)
{
	va_list ap;
	struct run_out r;

	va_start(ap, first);
	r = run_cli_v(f, NULL, first, ap);
	va_end(ap);
	return r;
}

/* A node configuration for the tests: the devnet domain of the EIP-712
 * vectors, 6-decimal collateral, and two markets. */
#define TEST_CONFIG                                                           \
	"{\"l1ChainId\":31337,"                                               \
	"\"rollup\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","          \
	"\"collateralToken\":\"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512\"," \
	"\"collateralDecimals\":6,"                                           \
	"\"domain\":{\"name\":\"Clearline\",\"version\":\"1\","               \
	"\"chainId\":31337,"                                                  \
	"\"verifyingContract\":"                                              \
	"\"0x5FbDB2315678afecb367f032d93F642f64180aa3\"},"                    \
	"\"markets\":["                                                       \
	"{\"id\":1,\"symbol\":\"BTC-PERP\",\"priceDecimals\":6,"              \
	"\"sizeDecimals\":8,\"tickSize\":\"500000\",\"stepSize\":\"1000\","   \
	"\"maxOrderSize\":\"100000000000\",\"makerFeePpm\":-100,"             \
	"\"takerFeePpm\":500},"                                               \
	"{\"id\":2,\"symbol\":\"ETH-PERP\",\"priceDecimals\":2,"              \
	"\"sizeDecimals\":4,\"tickSize\":\"5\",\"stepSize\":\"10\","          \
	"\"makerFeePpm\":0,\"takerFeePpm\":500}]}"

/* anvil's first development key and its address */
#define DEV_KEY \
	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define DEV_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

#endif
