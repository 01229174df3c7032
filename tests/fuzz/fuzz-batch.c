/* SPDX-License-Identifier: MIT */
/*
 * Batch data from L1 is hostile: decoding never crashes, stays within its
 * limits, frees everything on a refusal, and whatever decodes re-encodes
 * to the same bytes (canonical).
 *
 * Version 2 has no compression, so its parser is fuzzed directly: the
 * input as L1 data, and the input behind a version 2 byte (so that every
 * input reaches the parser). Each decoded transaction must also be one
 * the stf encoding accepts. Version 1 (kept for the old-format
 * comparison and its remaining callers) is fuzzed as a raw payload (past
 * zstd) and as L1 data.
 */
#include <clearline/batch.h>
#include <clearline/stf.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tx(const struct cl_tx *tx)
{
	struct cl_buf b;
	struct cl_tx back;

	cl_buf_init(&b);
	cl_tx_encode(&b, tx);
	if (!cl_tx_decode(&back, b.p, b.len) || back.type != tx->type)
		abort();
	cl_buf_release(&b);
}

static void v2(const uint8_t *data, size_t size,
	       const struct cl_batch_limits *lim)
{
	struct cl_batch2 b;
	struct cl_buf again;

	if (cl_batch2_decode(&b, data, size, lim) != CL_BATCH_OK) {
		if (b.blocks || b.tx_store || b.n_blocks || b.n_txs)
			abort();
		return;
	}
	cl_buf_init(&again);
	if (cl_batch2_encode(&again, b.blocks, b.n_blocks) != CL_BATCH_OK ||
	    again.len != size || memcmp(again.p, data, size) != 0)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < b.n_blocks; i++) {
		if (b.blocks[i].number != b.first_block + i)
			abort();
		for (size_t t = 0; t < b.blocks[i].n_txs; t++)
			check_tx(&b.blocks[i].txs[t]);
		n += b.blocks[i].n_txs;
	}
	if (n != b.n_txs)
		abort();
	cl_buf_release(&again);
	cl_batch2_release(&b);
}

static void v1(const uint8_t *data, size_t size,
	       const struct cl_batch_limits *lim)
{
	struct cl_batch b;

	for (int raw = 0; raw < 2; raw++) {
		enum cl_batch_err e =
		    raw ? cl_batch_parse_payload(&b, data, size, lim)
			: cl_batch_decode(&b, data, size, lim, NULL, 0);
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_batch_limits lim;

	cl_batch_limits_default(&lim);
	lim.max_payload = 1u << 20;
	lim.max_txs = 4096;

	v2(data, size, &lim);
	uint8_t *with = malloc(size + 1);
	if (!with)
		abort();
	with[0] = CL_BATCH_VERSION_2;
	if (size)
		memcpy(with + 1, data, size);
	v2(with, size + 1, &lim);
	free(with);

	v1(data, size, &lim);
	return 0;
}
