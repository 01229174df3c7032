/* SPDX-License-Identifier: MIT */
/* Batch data from L1 is hostile: decoding never crashes, stays within its
 * limits, and whatever decodes re-encodes to the same payload. */
#include <clearline/batch.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_batch_limits lim;
	struct cl_batch b;

	cl_batch_limits_default(&lim);
	lim.max_payload = 1u << 20;
	/* as L1 data, and as a raw payload */
	for (int raw = 0; raw < 2; raw++) {
		enum cl_batch_err e =
			raw ? cl_batch_parse_payload(&b, data, size, &lim)
			    : cl_batch_decode(&b, data, size, &lim, NULL, 0);
		if (e != CL_BATCH_OK) {
			if (b.payload || b.blocks)
				abort();
			continue;
		}
		struct cl_buf again;
		cl_buf_init(&again);
		cl_batch_encode_payload(&again, b.blocks, b.n_blocks);
		if (again.len != b.payload_len ||
		    memcmp(again.p, b.payload, again.len) != 0)
			abort();
		cl_buf_release(&again);
		cl_batch_release(&b);
	}
	return 0;
}
