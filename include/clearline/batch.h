/* SPDX-License-Identifier: MIT */
/*
 * batch — the format that carries L2 blocks to L1 and back.
 *
 * A batch is a run of consecutive L2 blocks. Version 2 (what the node
 * posts) carries only what the stf cannot derive: per block its number
 * (implicit), time, L1 reference and state root after the block, and the
 * requests of the block as struct cl_tx (DEPOSIT, PLACE_ORDER, CANCEL,
 * WITHDRAW, APPROVE_AGENT, ORACLE_PRICE, ORACLE_UPDATE). Fills, order
 * closures, liquidations and the other derived types are not carried:
 * the stf derives them. Each field is squeezed (varints, deltas against
 * the previous value of the same kind, a per-batch dictionary of
 * addresses, cancels naming the order by its sequence number); the
 * 64-byte signatures go last, uncompressed (docs/batch-format.md is the
 * exact format and says why there is no zstd in version 2).
 *
 * Decoding treats the bytes as hostile: the version is checked, every
 * count is bounded by a limit and by the bytes left before memory is
 * taken, and the encoding must be canonical: each batch has exactly one
 * encoding, so re-encoding the decoded blocks gives the same bytes (by
 * construction: minimal varints, zero reserved bits, dictionaries in
 * first-use order; fuzzed).
 *
 * Version 1 (a version byte, then a zstd frame of blocks holding opaque
 * stf transaction encodings, derived types included) is kept below only
 * for the callers that still use it and for bench_batch's comparison with
 * the old format; the node posts version 2.
 *
 * Ownership: a decoded struct cl_batch2 (or cl_batch) owns its storage;
 * every block and transaction pointer borrows from it until
 * cl_batch2_release() (cl_batch_release()). The encoder borrows its
 * input only for the call. All functions are thread-safe (no shared
 * state).
 */
#ifndef CLEARLINE_BATCH_H
#define CLEARLINE_BATCH_H

#include <clearline/common.h>
#include <clearline/stf.h>

#define CL_BATCH_VERSION_1 0x01
#define CL_BATCH_VERSION_2 0x02

/* Bounds applied while decoding (all configurable by the node). */
struct cl_batch_limits {
	size_t max_compressed;   /* bytes of L1 data; default 1 MiB */
	size_t max_payload;      /* v1: decompressed bytes; v2: the data
				  * after the version byte; default 32 MiB */
	size_t max_blocks;       /* default 100 000 */
	size_t max_txs_per_block; /* default 100 000 */
	size_t max_tx_len;       /* default 64 KiB (version 1 only) */
	size_t max_txs;          /* per batch, version 2; default 65 536
				  * (a decoded struct cl_tx is ~2 KiB) */
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
	CL_BATCH_BAD_TX,         /* v2: unknown tx type, reserved bits set,
				  * a count out of range */
	CL_BATCH_DERIVED_TX,     /* v2: a type the stf derives (FILL,
				  * ORDER_DONE, LIQUIDATE, ADL, ...) */
	CL_BATCH_UNENCODABLE,    /* v2 encoder: a tx or block the format
				  * cannot carry (see cl_batch2_encode) */
};

const char *cl_batch_err_str(enum cl_batch_err e);

/* ------------------------------------------------------------------ */
/* Version 2: requests only                                            */
/* ------------------------------------------------------------------ */

/* One L2 block of a version 2 batch. */
struct cl_batch2_block {
	uint64_t number;       /* consecutive within a batch */
	uint64_t timestamp_ms; /* unix ms, >= the previous block's */
	struct cl_l1_ref l1;   /* the L1 block this block refers to */
	struct cl_hash32 root; /* state root after the block */
	size_t n_txs;
	struct cl_tx *txs; /* requests only; see cl_batch2_encode */
};

/* A decoded version 2 batch. */
struct cl_batch2 {
	uint64_t first_block;
	size_t n_blocks;
	struct cl_batch2_block *blocks; /* owned */
	size_t n_txs;                   /* all blocks together */
	struct cl_tx *tx_store;         /* owned; blocks[i].txs point here */
};

/*
 * Append the version 2 L1 data (version byte included) of the `n` blocks
 * at `blocks` (borrowed for the call) to `out`.
 *
 * Preconditions (a bug otherwise): n > 0 and the block numbers are
 * consecutive. Each tx must be a request: DEPOSIT, PLACE_ORDER, CANCEL,
 * WITHDRAW, APPROVE_AGENT, ORACLE_PRICE (0..16 signatures) or
 * ORACLE_UPDATE (1..16 entries). What is carried: every field of the
 * request except a CANCEL's msg.order_hash, which is replaced by
 * u.cancel.order_seq (the caller must fill it in: the sequence number of
 * the order the cancel names); tx->auth is ignored.
 *
 * Returns CL_BATCH_OK, or CL_BATCH_UNENCODABLE and leaves `out` as it was
 * when the blocks hold something version 2 cannot carry: a derived or
 * unknown tx type, order flags above 0x0f, a signature whose v is not 0,
 * 1, 27 or 28, an oracle count out of range, or a block time before the
 * previous block's. The sequencer must not order such requests (the stf
 * would refuse them too).
 */
CL_WUR enum cl_batch_err cl_batch2_encode(struct cl_buf *out,
					  const struct cl_batch2_block *blocks,
					  size_t n);

/*
 * Decode version 2 L1 data (`len` bytes at `data`, borrowed for the call)
 * into *out under the bounds `lim`.
 *
 * On CL_BATCH_OK *out holds the blocks (release with cl_batch2_release);
 * the transactions are requests with auth not recovered (tx->auth zero):
 * the caller runs cl_tx_recover() on each, except that a CANCEL carries
 * u.cancel.order_seq and an all-zero msg.order_hash, which the stf
 * resolves from the trader's open orders before checking the signature.
 * On any other code *out is empty and nothing stays allocated.
 */
CL_WUR enum cl_batch_err cl_batch2_decode(struct cl_batch2 *out,
					  const uint8_t *data, size_t len,
					  const struct cl_batch_limits *lim);

/* cl_batch2_release() of an empty or released batch is a no-op. */
void cl_batch2_release(struct cl_batch2 *b);

/* ------------------------------------------------------------------ */
/* Version 1 (old format: kept for its current callers and the         */
/* benchmark's comparison)                                             */
/* ------------------------------------------------------------------ */

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
