/* SPDX-License-Identifier: MIT */
#include <clearline/batch.h>

#include <stdlib.h>
#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

/* Version 1 (the old format) and the error strings both versions
 * share. Version 2 is batch2_encode.c and batch2_decode.c; the limits
 * are limits.c (the fault-proof program compiles them with the
 * version 2 decoder, without zstd). */

/*
 * Payload (all integers big-endian):
 *   u64 first block number, u32 block count, then per block:
 *   u64 timestamp_ms, 32-byte state root, u32 tx count, then per tx:
 *   u32 length (> 0), the tx bytes.
 * Block numbers are implicit (first + i), so they cannot be inconsistent.
 */

const char *cl_batch_err_str(enum cl_batch_err e)
{
	switch (e) {
	case CL_BATCH_OK:
		return "ok";
	case CL_BATCH_EMPTY:
		return "empty batch";
	case CL_BATCH_BAD_VERSION:
		return "unknown batch version";
	case CL_BATCH_TOO_LARGE:
		return "batch too large";
	case CL_BATCH_BAD_FRAME:
		return "bad compressed frame";
	case CL_BATCH_MALFORMED:
		return "malformed batch payload";
	case CL_BATCH_NOT_CANONICAL:
		return "batch payload not canonical";
	case CL_BATCH_NOT_CONSECUTIVE:
		return "batch blocks not consecutive";
	case CL_BATCH_LIMIT:
		return "batch over a limit";
	case CL_BATCH_BAD_TX:
		return "bad transaction in batch";
	case CL_BATCH_DERIVED_TX:
		return "derived transaction type in batch";
	case CL_BATCH_UNENCODABLE:
		return "transaction or block not encodable in a batch";
	}
	return "unknown batch error";
}

void cl_batch_encode_payload(struct cl_buf *out,
			     const struct cl_batch_block *blocks, size_t n)
{
	CL_REQUIRE(n > 0 && n <= UINT32_MAX);
	cl_buf_append_be64(out, blocks[0].number);
	cl_buf_append_be32(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct cl_batch_block *b = &blocks[i];
		CL_REQUIRE(b->number == blocks[0].number + i);
		CL_REQUIRE(b->n_txs <= UINT32_MAX);
		cl_buf_append_be64(out, b->timestamp_ms);
		cl_buf_append(out, b->root.b, 32);
		cl_buf_append_be32(out, (uint32_t)b->n_txs);
		for (size_t t = 0; t < b->n_txs; t++) {
			CL_REQUIRE(b->txs[t].len > 0 &&
				   b->txs[t].len <= UINT32_MAX);
			cl_buf_append_be32(out, (uint32_t)b->txs[t].len);
			cl_buf_append(out, b->txs[t].p, b->txs[t].len);
		}
	}
}

int cl_batch_compress(struct cl_buf *out, const uint8_t *payload, size_t len,
		      int level, const void *dict, size_t dict_len)
{
	if (level < 1 || level > ZSTD_maxCLevel())
		return CL_ERR_CONFIG;
	size_t bound = ZSTD_compressBound(len);
	cl_buf_reserve(out, 1 + bound);
	out->p[out->len] = CL_BATCH_VERSION_1;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	if (!cctx)
		abort();
	/* content size in the header, no checksum (the L1 hash covers it) */
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
	if (dict && dict_len)
		ZSTD_CCtx_loadDictionary(cctx, dict, dict_len);
	size_t n = ZSTD_compress2(cctx, out->p + out->len + 1, bound, payload,
				  len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(n))
		CL_BUG("zstd compression failed: %s", ZSTD_getErrorName(n));
	out->len += 1 + n;
	return CL_OK;
}

void cl_batch_release(struct cl_batch *b)
{
	free(b->payload);
	free(b->blocks);
	free(b->tx_store);
	memset(b, 0, sizeof(*b));
}

/* Parse `len` bytes of payload that `b->payload` already owns. */
static enum cl_batch_err parse(struct cl_batch *b,
			       const struct cl_batch_limits *lim)
{
	struct cl_cursor c;
	size_t total_txs = 0;

	/* pass 1: validate and count, so allocation is exact */
	cl_cur_init(&c, b->payload, b->payload_len);
	uint64_t first = cl_cur_be64(&c);
	uint32_t nblocks = cl_cur_be32(&c);
	if (c.failed)
		return CL_BATCH_MALFORMED;
	if (nblocks == 0)
		return CL_BATCH_EMPTY;
	if (nblocks > lim->max_blocks)
		return CL_BATCH_LIMIT;
	if (first > UINT64_MAX - nblocks)
		return CL_BATCH_NOT_CONSECUTIVE;
	for (uint32_t i = 0; i < nblocks; i++) {
		(void)cl_cur_be64(&c);
		(void)cl_cur_borrow(&c, 32);
		uint32_t ntx = cl_cur_be32(&c);
		if (c.failed)
			return CL_BATCH_MALFORMED;
		if (ntx > lim->max_txs_per_block)
			return CL_BATCH_LIMIT;
		for (uint32_t t = 0; t < ntx; t++) {
			uint32_t tl = cl_cur_be32(&c);
			if (c.failed)
				return CL_BATCH_MALFORMED;
			if (tl == 0)
				return CL_BATCH_NOT_CANONICAL;
			if (tl > lim->max_tx_len)
				return CL_BATCH_LIMIT;
			if (!cl_cur_borrow(&c, tl))
				return CL_BATCH_MALFORMED;
		}
		total_txs += ntx;
	}
	if (!cl_cur_done(&c))
		return CL_BATCH_MALFORMED; /* trailing bytes */

	/* pass 2: fill */
	b->first_block = first;
	b->n_blocks = nblocks;
	b->blocks = cl_xcalloc(nblocks, sizeof(*b->blocks));
	b->tx_store = cl_xcalloc(total_txs ? total_txs : 1,
				 sizeof(*b->tx_store));
	cl_cur_init(&c, b->payload, b->payload_len);
	(void)cl_cur_be64(&c);
	(void)cl_cur_be32(&c);
	size_t ti = 0;
	for (uint32_t i = 0; i < nblocks; i++) {
		struct cl_batch_block *blk = &b->blocks[i];
		blk->number = first + i;
		blk->timestamp_ms = cl_cur_be64(&c);
		cl_cur_bytes(&c, blk->root.b, 32);
		blk->n_txs = cl_cur_be32(&c);
		blk->txs = &b->tx_store[ti];
		for (size_t t = 0; t < blk->n_txs; t++) {
			uint32_t tl = cl_cur_be32(&c);
			b->tx_store[ti].len = tl;
			b->tx_store[ti].p = cl_cur_borrow(&c, tl);
			ti++;
		}
	}
	CL_REQUIRE(cl_cur_done(&c));
	return CL_BATCH_OK;
}

enum cl_batch_err cl_batch_parse_payload(struct cl_batch *out,
					 const uint8_t *payload, size_t len,
					 const struct cl_batch_limits *lim)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return CL_BATCH_EMPTY;
	if (len > lim->max_payload)
		return CL_BATCH_TOO_LARGE;
	out->payload = cl_xmalloc(len);
	memcpy(out->payload, payload, len);
	out->payload_len = len;
	enum cl_batch_err e = parse(out, lim);
	if (e != CL_BATCH_OK)
		cl_batch_release(out);
	return e;
}

enum cl_batch_err cl_batch_decode(struct cl_batch *out, const uint8_t *data,
				  size_t len,
				  const struct cl_batch_limits *lim,
				  const void *dict, size_t dict_len)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return CL_BATCH_EMPTY;
	if (len > lim->max_compressed)
		return CL_BATCH_TOO_LARGE;
	if (data[0] != CL_BATCH_VERSION_1)
		return CL_BATCH_BAD_VERSION;
	const uint8_t *frame = data + 1;
	size_t flen = len - 1;

	/* exactly one frame covering all the bytes */
	size_t fsize = ZSTD_findFrameCompressedSize(frame, flen);
	if (ZSTD_isError(fsize) || fsize != flen)
		return CL_BATCH_BAD_FRAME;
	unsigned long long csize = ZSTD_getFrameContentSize(frame, flen);
	if (csize == ZSTD_CONTENTSIZE_UNKNOWN ||
	    csize == ZSTD_CONTENTSIZE_ERROR)
		return CL_BATCH_BAD_FRAME;
	if (csize == 0)
		return CL_BATCH_EMPTY;
	if (csize > lim->max_payload)
		return CL_BATCH_TOO_LARGE; /* bounded before allocating */
	unsigned want_dict = ZSTD_getDictID_fromFrame(frame, flen);
	unsigned have_dict =
		dict && dict_len ? ZDICT_getDictID(dict, dict_len) : 0;
	if (want_dict != have_dict)
		return CL_BATCH_BAD_FRAME;

	uint8_t *payload = cl_xmalloc((size_t)csize);
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		abort();
	size_t n = dict && dict_len
			   ? ZSTD_decompress_usingDict(d, payload, (size_t)csize,
						       frame, flen, dict,
						       dict_len)
			   : ZSTD_decompressDCtx(d, payload, (size_t)csize,
						 frame, flen);
	ZSTD_freeDCtx(d);
	if (ZSTD_isError(n) || n != csize) {
		free(payload);
		return CL_BATCH_BAD_FRAME;
	}
	out->payload = payload;
	out->payload_len = (size_t)csize;
	enum cl_batch_err e = parse(out, lim);
	if (e != CL_BATCH_OK)
		cl_batch_release(out);
	return e;
}

size_t cl_batch_train_dict(void *dict, size_t cap, const uint8_t *samples,
			   const size_t *sizes, size_t n_samples)
{
	if (n_samples > UINT32_MAX)
		return 0;
	size_t n = ZDICT_trainFromBuffer(dict, cap, samples, sizes,
					 (unsigned)n_samples);
	return ZDICT_isError(n) ? 0 : n;
}
