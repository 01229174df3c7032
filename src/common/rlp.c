/* SPDX-License-Identifier: MIT */
/*
 * RLP (Ethereum yellow paper, appendix B). The encoder only produces the
 * canonical form; the decoder accepts only the canonical form, because
 * batch data and L1 data are hostile input.
 */
#include <clearline/common.h>

#include <string.h>

/* Minimal big-endian bytes of v into t[8]; returns the count (0 for 0). */
static size_t be_min(uint8_t t[8], uint64_t v)
{
	size_t n = 0;
	for (uint64_t x = v; x; x >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

/* Header for a payload of `len` bytes with short base `base` (0x80/0xc0). */
static size_t header(uint8_t h[9], uint8_t base, size_t len)
{
	if (len <= 55) {
		h[0] = (uint8_t)(base + len);
		return 1;
	}
	size_t n = be_min(h + 1, len);
	h[0] = (uint8_t)(base + 55 + n);
	return 1 + n;
}

void cl_rlp_put_bytes(struct cl_buf *b, const void *p, size_t len)
{
	const uint8_t *s = p;
	if (len == 1 && s[0] < 0x80) {
		cl_buf_append_byte(b, s[0]);
		return;
	}
	uint8_t h[9];
	cl_buf_append(b, h, header(h, 0x80, len));
	cl_buf_append(b, p, len);
}

void cl_rlp_put_u64(struct cl_buf *b, uint64_t v)
{
	uint8_t t[8];
	cl_rlp_put_bytes(b, t, be_min(t, v));
}

void cl_rlp_put_uint_be(struct cl_buf *b, const uint8_t *be, size_t len)
{
	while (len && be[0] == 0) {
		be++;
		len--;
	}
	cl_rlp_put_bytes(b, be, len);
}

size_t cl_rlp_list_begin(struct cl_buf *b)
{
	return b->len;
}

void cl_rlp_list_end(struct cl_buf *b, size_t start)
{
	CL_REQUIRE(start <= b->len);
	size_t plen = b->len - start;
	uint8_t h[9];
	size_t hl = header(h, 0xc0, plen);
	cl_buf_reserve(b, hl);
	memmove(b->p + start + hl, b->p + start, plen);
	memcpy(b->p + start, h, hl);
	b->len += hl;
}

/* Read a long-form length of `ll` bytes; canonical: no leading zero, > 55. */
static bool long_len(size_t *out, const uint8_t *p, size_t ll)
{
	if (ll == 0 || ll > 8 || p[0] == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < ll; i++)
		v = (v << 8) | p[i];
	if (v <= 55 || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

bool cl_rlp_read(struct cl_rlp_item *it, size_t *used, const uint8_t *p,
		 size_t len)
{
	size_t hl, plen;
	uint8_t b;

	memset(it, 0, sizeof(*it));
	*used = 0;
	if (len == 0)
		return false;
	b = p[0];
	if (b < 0x80) {
		it->payload = p;
		it->len = 1;
		*used = 1;
		return true;
	}
	if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
		hl = 1;
		plen = b - (b <= 0xb7 ? 0x80u : 0xc0u);
	} else {
		size_t ll = b - (b <= 0xbf ? 0xb7u : 0xf7u);
		if (len < 1 + ll || !long_len(&plen, p + 1, ll))
			return false;
		hl = 1 + ll;
	}
	if (plen > len - hl)
		return false;
	/* a single byte below 0x80 must be encoded as itself */
	if (b == 0x81 && p[1] < 0x80)
		return false;
	it->is_list = b >= 0xc0;
	it->payload = p + hl;
	it->len = plen;
	*used = hl + plen;
	return true;
}

bool cl_rlp_decode_full(struct cl_rlp_item *it, const uint8_t *p, size_t len)
{
	size_t used;
	if (!cl_rlp_read(it, &used, p, len) || used != len) {
		memset(it, 0, sizeof(*it));
		return false;
	}
	return true;
}

static bool validate_item(const struct cl_rlp_item *it, unsigned depth)
{
	if (!it->is_list)
		return true;
	if (depth == 0)
		return false;
	size_t pos = 0;
	bool failed = false;
	struct cl_rlp_item sub;
	while (cl_rlp_list_next(&sub, it, &pos, &failed))
		if (!validate_item(&sub, depth - 1))
			return false;
	return !failed;
}

bool cl_rlp_validate(const uint8_t *p, size_t len, unsigned max_depth)
{
	struct cl_rlp_item it;
	return cl_rlp_decode_full(&it, p, len) && validate_item(&it, max_depth);
}

bool cl_rlp_list_next(struct cl_rlp_item *out, const struct cl_rlp_item *list,
		      size_t *pos, bool *failed)
{
	size_t used;

	memset(out, 0, sizeof(*out));
	if (!list->is_list) {
		*failed = true;
		return false;
	}
	if (*pos >= list->len)
		return false;
	if (!cl_rlp_read(out, &used, list->payload + *pos, list->len - *pos)) {
		*failed = true;
		return false;
	}
	*pos += used;
	return true;
}

bool cl_rlp_get_u64(uint64_t *out, const struct cl_rlp_item *it)
{
	*out = 0;
	if (it->is_list || it->len > 8 || (it->len > 0 && it->payload[0] == 0))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < it->len; i++)
		v = (v << 8) | it->payload[i];
	*out = v;
	return true;
}
