/* SPDX-License-Identifier: MIT */
#include <clearline/common.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cl_err_str(int err)
{
	switch ((enum cl_err)err) {
	case CL_OK:
		return "ok";
	case CL_ERR_IO:
		return "i/o error";
	case CL_ERR_DB:
		return "storage error";
	case CL_ERR_MAP_FULL:
		return "storage map full";
	case CL_ERR_CORRUPT:
		return "stored data corrupt";
	case CL_ERR_NET:
		return "network error";
	case CL_ERR_TIMEOUT:
		return "timed out";
	case CL_ERR_CONFIG:
		return "bad configuration";
	case CL_ERR_CRYPTO:
		return "crypto error";
	case CL_ERR_BUSY:
		return "busy";
	case CL_ERR_NOT_FOUND:
		return "not found";
	case CL_ERR_PRUNED:
		return "pruned";
	}
	return "unknown error";
}

void cl_bug_at(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cl_log_emit(CL_LOG_BROKEN, "bug", "%s:%d: %s", file, line, msg);
	abort();
}

void *cl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *cl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *cl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

char *cl_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = cl_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

bool cl_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
