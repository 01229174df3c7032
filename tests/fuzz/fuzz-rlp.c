/* SPDX-License-Identifier: MIT */
/* Strict RLP decoding of hostile bytes: never crashes, and whatever is
 * accepted re-encodes to exactly the same bytes (canonical only). */
#include <clearline/common.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool reencode(struct cl_buf *b, const struct cl_rlp_item *it,
		     unsigned depth)
{
	if (!it->is_list) {
		cl_rlp_put_bytes(b, it->payload, it->len);
		return true;
	}
	if (depth == 0)
		return false;
	size_t start = cl_rlp_list_begin(b), pos = 0;
	bool failed = false;
	struct cl_rlp_item sub;
	while (cl_rlp_list_next(&sub, it, &pos, &failed))
		if (!reencode(b, &sub, depth - 1))
			return false;
	cl_rlp_list_end(b, start);
	return !failed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_rlp_item it;
	bool valid = cl_rlp_validate(data, size, 32);

	if (!cl_rlp_decode_full(&it, data, size)) {
		if (valid)
			abort();
		return 0;
	}
	struct cl_buf b;
	cl_buf_init(&b);
	bool ok = reencode(&b, &it, 32);
	if (ok != valid)
		abort();
	if (ok && (b.len != size || memcmp(b.p, data, size) != 0))
		abort();
	uint64_t v;
	if (cl_rlp_get_u64(&v, &it)) {
		cl_buf_reset(&b);
		cl_rlp_put_u64(&b, v);
		if (b.len != size || memcmp(b.p, data, size) != 0)
			abort();
	}
	cl_buf_release(&b);
	return 0;
}
