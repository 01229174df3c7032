/* SPDX-License-Identifier: MIT */
/*
 * batch — the format that carries L2 blocks to L1 and back.
 *
 * A batch is a run of consecutive L2 blocks. Its payload is a canonical
 * byte encoding of the blocks (each: number, timestamp, state root after
 * the block, and the transactions as the stf encodes them); on L1 it
 * travels as one version byte followed by a zstd frame of the payload
 * (docs/batch-format.md is the exact format).
 *
 * Decoding treats the bytes as hostile: the version is checked, the frame
 * must declare its content size, that size is bounded before any memory
 * is taken (zip-bomb guard), exactly one frame and no trailing bytes are
 * allowed, and the payload must be canonical: re-encoding the decoded
 * blocks gives the same bytes. Transactions are opaque here: the stf
 * decodes them.
 *
 * Ownership: a decoded struct cl_batch owns one buffer; every block and
 * transaction pointer borrows from it until cl_batch_release().
 * All functions are thread-safe (no shared state).
 */
#ifndef CLEARLINE_BATCH_H
#define CLEARLINE_BATCH_H

#include <clearline/common.h>

#define CL_BATCH_VERSION_1 0x01

/* One transaction: its canonical stf encoding (borrowed). */
struct cl_batch_tx {
	const uint8_t *p;
	size_t len;
};

struct cl_batch_block {
	uint64_t number;
	uint64_t timestamp_ms;
	struct cl_hash32 root; /* state root after the block */
	size_t n_txs;
	struct cl_batch_tx *txs;
};

struct cl_batch {
	uint64_t first_block;
	size_t n_blocks;
	struct cl_batch_block *blocks;
	/* owned storage */
	uint8_t *payload;
	size_t payload_len;
	struct cl_batch_tx *tx_store;
};

/* Bounds applied while decoding (all configurable by the node). */
struct cl_batch_limits {
	size_t max_compressed;   /* bytes of L1 data; default 1 MiB */
	size_t max_payload;      /* decompressed bytes; default 32 MiB */
	size_t max_blocks;       /* default 100 000 */
	size_t max_txs_per_block; /* default 100 000 */
	size_t max_tx_len;       /* default 64 KiB */
};

void cl_batch_limits_default(struct cl_batch_limits *lim);

/* Why a batch was refused (positive domain codes). */
enum cl_batch_err {
	CL_BATCH_OK = 0,
	CL_BATCH_EMPTY,          /* no bytes, or no blocks */
	CL_BATCH_BAD_VERSION,    /* unknown version byte */
	CL_BATCH_TOO_LARGE,      /* compressed or declared size over a limit */
	CL_BATCH_BAD_FRAME,      /* not exactly one valid zstd frame with a
				  * declared content size */
	CL_BATCH_MALFORMED,      /* payload does not parse */
	CL_BATCH_NOT_CANONICAL,  /* parses, but is not the canonical form */
	CL_BATCH_NOT_CONSECUTIVE, /* block numbers are not first, first+1 .. */
	CL_BATCH_LIMIT,          /* too many blocks, txs, or a tx too long */
};

const char *cl_batch_err_str(enum cl_batch_err e);

/* Append the canonical payload of `n` blocks (numbers must be
 * consecutive; a bug otherwise). */
void cl_batch_encode_payload(struct cl_buf *out,
			     const struct cl_batch_block *blocks, size_t n);

/*
 * Append version byte + zstd frame of `payload` at compression `level`
 * (1..19), optionally with a dictionary (NULL/0 for none). Returns CL_OK
 * or CL_ERR_CONFIG for a bad level.
 */
CL_WUR int cl_batch_compress(struct cl_buf *out, const uint8_t *payload,
			     size_t len, int level, const void *dict,
			     size_t dict_len);

/*
 * Decode L1 batch data. On CL_BATCH_OK *out holds the blocks (release
 * with cl_batch_release); on any other code *out is empty and nothing is
 * allocated. `dict` must be the dictionary the batch was made with (the
 * frame names its id; a mismatch is CL_BATCH_BAD_FRAME).
 */
CL_WUR enum cl_batch_err cl_batch_decode(struct cl_batch *out,
					 const uint8_t *data, size_t len,
					 const struct cl_batch_limits *lim,
					 const void *dict, size_t dict_len);

/* Parse a payload that is already decompressed (same rules). */
CL_WUR enum cl_batch_err cl_batch_parse_payload(struct cl_batch *out,
						const uint8_t *payload,
						size_t len,
						const struct cl_batch_limits *lim);

void cl_batch_release(struct cl_batch *b);

/*
 * Train a zstd dictionary of at most `cap` bytes from sample payloads
 * (concatenated in `samples`, sizes in `sizes`). Returns its size, or 0
 * when training failed (too few samples).
 */
size_t cl_batch_train_dict(void *dict, size_t cap, const uint8_t *samples,
			   const size_t *sizes, size_t n_samples);

#endif /* CLEARLINE_BATCH_H */
