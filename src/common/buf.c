/* SPDX-License-Identifier: MIT */
#include <clearline/common.h>

#include <stdlib.h>
#include <string.h>

void cl_buf_init(struct cl_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void cl_buf_release(struct cl_buf *b)
{
	free(b->p);
	cl_buf_init(b);
}

void cl_buf_reset(struct cl_buf *b)
{
	b->len = 0;
}

void cl_buf_reserve(struct cl_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len)
		CL_BUG("buffer size overflow");
	size_t need = b->len + extra;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = cl_xrealloc(b->p, cap);
	b->cap = cap;
}

void cl_buf_append(struct cl_buf *b, const void *p, size_t len)
{
	if (!len)
		return;
	cl_buf_reserve(b, len);
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

void cl_buf_append_byte(struct cl_buf *b, uint8_t v)
{
	cl_buf_append(b, &v, 1);
}

void cl_buf_append_be32(struct cl_buf *b, uint32_t v)
{
	uint8_t t[4];
	cl_put_be32(t, v);
	cl_buf_append(b, t, 4);
}

void cl_buf_append_be64(struct cl_buf *b, uint64_t v)
{
	uint8_t t[8];
	cl_put_be64(t, v);
	cl_buf_append(b, t, 8);
}

void cl_cur_init(struct cl_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->failed = false;
}

void cl_cur_fail(struct cl_cursor *c)
{
	c->failed = true;
	c->len = 0;
}

const uint8_t *cl_cur_borrow(struct cl_cursor *c, size_t n)
{
	if (c->failed || n > c->len) {
		cl_cur_fail(c);
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	c->len -= n;
	return p;
}

void cl_cur_bytes(struct cl_cursor *c, void *out, size_t n)
{
	const uint8_t *p = cl_cur_borrow(c, n);
	if (!p) {
		memset(out, 0, n);
		return;
	}
	if (n)
		memcpy(out, p, n);
}

uint8_t cl_cur_u8(struct cl_cursor *c)
{
	const uint8_t *p = cl_cur_borrow(c, 1);
	return p ? p[0] : 0;
}

uint16_t cl_cur_be16(struct cl_cursor *c)
{
	const uint8_t *p = cl_cur_borrow(c, 2);
	return p ? cl_get_be16(p) : 0;
}

uint32_t cl_cur_be32(struct cl_cursor *c)
{
	const uint8_t *p = cl_cur_borrow(c, 4);
	return p ? cl_get_be32(p) : 0;
}

uint64_t cl_cur_be64(struct cl_cursor *c)
{
	const uint8_t *p = cl_cur_borrow(c, 8);
	return p ? cl_get_be64(p) : 0;
}

bool cl_cur_done(const struct cl_cursor *c)
{
	return !c->failed && c->len == 0;
}
