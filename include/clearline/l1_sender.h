/* SPDX-License-Identifier: MIT */
/*
 * The l1 module's writers: the transaction sender of one key (nonces,
 * fees, resends, bumps, reorgs; a write-ahead state file) and the batch
 * poster that sends appendBatch through it (docs/l1-client.md). Part of
 * the l1 interface, kept in its own file so that each header stays
 * readable in one sitting; include <clearline/l1.h>, which includes this
 * one.
 */
#ifndef CLEARLINE_L1_SENDER_H
#define CLEARLINE_L1_SENDER_H

#ifndef CLEARLINE_L1_H
#error "include <clearline/l1.h>, not <clearline/l1_sender.h>"
#endif

/* ------------------------------------------------------------------ */
/* Transaction sender                                                  */
/* ------------------------------------------------------------------ */

/* Where one of the sender's transactions stands. */
enum cl_l1_tx_state {
	CL_L1_TX_QUEUED,    /* nonce assigned and stored; not accepted yet */
	CL_L1_TX_SENT,	    /* accepted by the node, no receipt */
	CL_L1_TX_INCLUDED,  /* receipt in a canonical block, depth not met */
	CL_L1_TX_CONFIRMED, /* receipt at the confirmation depth (final) */
	CL_L1_TX_FAILED,    /* nonce used by a transaction that is not ours */
};

const char *cl_l1_tx_state_str(enum cl_l1_tx_state s);

/* Signed versions of one transaction kept per nonce (older ones are
 * forgotten; they are out-bid by the later ones). */
#define CL_L1_TX_VERSIONS 8

/*
 * One transaction of the sender. `id` is assigned at submit and never
 * changes; the nonce normally does not either (see docs/l1-client.md for
 * the one case, a chain that lost our earlier nonces). The record owns
 * `data`.
 */
struct cl_l1_tx {
	uint64_t id;
	uint64_t nonce;
	enum cl_l1_tx_state state;
	bool has_to;
	struct cl_address to;
	uint8_t value[32];
	uint8_t *data;
	size_t data_len;
	uint64_t gas_limit;
	uint64_t max_fee;      /* of the latest version */
	uint64_t priority_fee; /* of the latest version */
	size_t n_hashes;       /* versions sent, oldest first */
	struct cl_hash32 hashes[CL_L1_TX_VERSIONS];
	/* INCLUDED and CONFIRMED: the receipt */
	struct cl_hash32 mined_hash;
	uint64_t block_number;
	struct cl_hash32 block_hash;
	bool success;
	uint64_t gas_used;
	uint64_t effective_gas_price;
	/* counters, for logs and tests (not persisted) */
	uint32_t sends, bumps, resends, reorgs;
	uint64_t state_since_ns; /* monotonic: when the state last changed */
	uint64_t sent_ns;	 /* monotonic: last version sent */
	uint64_t unknown_ns;	 /* monotonic: first seen unknown, or 0 */
	uint64_t gap_ns;	 /* monotonic: first seen behind lost nonces */
	uint32_t gap_fills;	 /* empty transfers sent to fill such a gap */
	bool resend_now;	 /* reorged away: re-send without waiting */
};

struct cl_l1_sender_opts {
	uint64_t max_fee_ceiling;  /* wei per gas; default 500 gwei */
	uint64_t min_priority_fee; /* wei per gas; default 1 gwei */
	unsigned fee_blocks;	   /* feeHistory window; default 10 */
	unsigned fee_percentile;   /* reward percentile; default 50 */
	unsigned gas_margin_pct;   /* over eth_estimateGas; default 25 */
	uint64_t confirmations;	   /* depth, >= 1; default 3 */
	uint64_t drop_timeout_ms;  /* unknown to the node, or held behind
				      lost nonces; default 30000 */
	uint64_t stuck_timeout_ms; /* pending, not mined; default 60000 */
	unsigned bump_permille;	   /* fee bump, >= 1125; default 1125 */
	size_t max_inflight;	   /* unconfirmed transactions; default 64 */
};

void cl_l1_sender_opts_default(struct cl_l1_sender_opts *o);

/* What to send; pointers are borrowed for the call. */
struct cl_l1_txreq {
	const struct cl_address *to; /* NULL: contract creation */
	const uint8_t *value;	     /* 32 bytes big-endian or NULL (zero) */
	const uint8_t *data;
	size_t data_len;
	uint64_t gas_limit; /* 0: estimate (plus the margin) */
};

/*
 * The gas a transaction needs at least for its calldata under EIP-7623:
 * 21000 + 10 per zero byte + 40 per non-zero byte (+ 32000 for a
 * creation). A gas limit below this is accepted by nodes and then
 * silently dropped (docs/l1-client.md).
 */
uint64_t cl_l1_calldata_floor(const uint8_t *data, size_t len, bool create);

struct cl_l1_sender;

/*
 * Open the sender of `key` on `rpc`. The state lives in `state_dir`
 * (which must exist) in the file l1-sender-<address>.dat. The chain id is
 * read from the node; when expect_chain_id is nonzero it must match.
 * With a state file, its chain id and address must match too, and its
 * nonces are reconciled with eth_getTransactionCount (docs/l1-client.md).
 *
 * Returns CL_OK and *out; CL_L1_WRONG_CHAIN; CL_ERR_CORRUPT for a state
 * file that does not verify (never repaired silently: an operator must
 * look); CL_ERR_IO; or an RPC code. Logged once.
 */
CL_WUR int cl_l1_sender_open(struct cl_l1_sender **out, struct cl_l1_rpc *rpc,
			     const struct cl_seckey *key, const char *state_dir,
			     uint64_t expect_chain_id,
			     const struct cl_l1_sender_opts *opts);
void cl_l1_sender_free(struct cl_l1_sender *s);

/* The sender's address, chain id and next nonce to assign. */
void cl_l1_sender_address(const struct cl_l1_sender *s, struct cl_address *out);
uint64_t cl_l1_sender_chain_id(const struct cl_l1_sender *s);
uint64_t cl_l1_sender_next_nonce(const struct cl_l1_sender *s);

/*
 * Queue a transaction. The gas limit is estimated first (a revert fails
 * here, before a nonce is taken), then a nonce is assigned, the record
 * is stored durably, and a first send is tried. A send that fails for a
 * transport reason or the fee ceiling is retried by cl_l1_sender_step().
 *
 * id: out: the transaction's id for status/forget.
 *
 * Returns CL_OK; CL_ERR_BUSY when max_inflight transactions are not yet
 * confirmed; an estimate error (CL_L1_RPC_ERROR for a revert); CL_ERR_IO
 * when the state cannot be stored (nothing was sent).
 */
CL_WUR int cl_l1_sender_submit(struct cl_l1_sender *s, uint64_t *id,
			       const struct cl_l1_txreq *req);

/*
 * One round of work: send queued transactions, look for receipts, check
 * that included receipts are still canonical, confirm at depth, re-send
 * dropped ones, bump stuck ones. Each change is stored before the next
 * send. Returns CL_OK or the first system failure (the round stops there
 * and the next call resumes).
 */
CL_WUR int cl_l1_sender_step(struct cl_l1_sender *s);

/* The record of transaction `id`, borrowed until the next call on s.
 * NULL when the id is unknown or was forgotten. */
const struct cl_l1_tx *cl_l1_sender_get(const struct cl_l1_sender *s,
					uint64_t id);

/* The ids of all records, oldest first, into ids (up to cap); returns
 * the total count. */
size_t cl_l1_sender_list(const struct cl_l1_sender *s, uint64_t *ids,
			 size_t cap);

/* Drop a CONFIRMED or FAILED record (stored). Returns CL_OK,
 * CL_ERR_NOT_FOUND, CL_ERR_BUSY when it is not final, or CL_ERR_IO. */
CL_WUR int cl_l1_sender_forget(struct cl_l1_sender *s, uint64_t id);

/* Look again at a CONFIRMED record whose receipt cannot be found: when its
 * block has left the canonical chain (a reorg deeper than the confirmation
 * depth, after it was counted confirmed), it is sent again as in any
 * reorg (state SENT, `reorgs` + 1). Does nothing to other records or when
 * the block is still there. Returns CL_OK or an RPC error. */
CL_WUR int cl_l1_sender_recheck(struct cl_l1_sender *s, uint64_t id);

/*
 * Step until transaction `id` is CONFIRMED or FAILED, sleeping poll_ms
 * between rounds, at most timeout_ms. Transport failures in between are
 * waited out. Returns CL_OK (confirmed and successful), CL_L1_REVERTED,
 * CL_L1_NONCE_TAKEN, CL_ERR_TIMEOUT or CL_ERR_NOT_FOUND.
 */
CL_WUR int cl_l1_sender_wait(struct cl_l1_sender *s, uint64_t id,
			     uint64_t timeout_ms, uint64_t poll_ms);

/*
 * The state file, exposed for tests and tools. save writes it atomically;
 * load returns CL_OK, CL_ERR_NOT_FOUND (no file), CL_ERR_CORRUPT (bad
 * magic, version, checksum, or contents) or CL_ERR_IO.
 */
struct cl_l1_sender_file {
	uint64_t chain_id;
	struct cl_address from;
	uint64_t next_nonce;
	uint64_t next_id;
	size_t n;
	struct cl_l1_tx *txs; /* owned */
};

CL_WUR int cl_l1_sender_file_save(const char *dir,
				  const struct cl_l1_sender_file *f);
CL_WUR int cl_l1_sender_file_load(struct cl_l1_sender_file *out,
				  const char *dir,
				  const struct cl_address *from);
void cl_l1_sender_file_release(struct cl_l1_sender_file *f);

/* ------------------------------------------------------------------ */
/* Batch poster                                                        */
/* ------------------------------------------------------------------ */

enum cl_l1_poster_state {
	CL_L1_POST_IDLE,      /* nothing in flight */
	CL_L1_POST_PENDING,   /* sent, waiting for inclusion */
	CL_L1_POST_INCLUDED,  /* included, waiting for depth */
	CL_L1_POST_CONFIRMED, /* confirmed; result valid until the next post */
	CL_L1_POST_FAILED,    /* reverted or nonce taken; see result */
};

const char *cl_l1_poster_state_str(enum cl_l1_poster_state s);

struct cl_l1_poster_opts {
	struct cl_address rollup;
	size_t max_calldata; /* bytes of appendBatch calldata; default 120000 */
	/* adopt only a batch transaction whose sender id is at least this
	 * (several posters on one sender, one batch each); UINT64_MAX: none */
	uint64_t adopt_from_id;
	/* false: the gas limit comes from eth_estimateGas, which also
	 * refuses a batch that would revert, but needs every earlier batch
	 * mined; true: cl_l1_append_batch_gas_bound(), unchecked, so a batch
	 * can follow earlier ones still in the pool */
	bool gas_bound;
};

/* A gas limit that covers appendBatch with `calldata_len` bytes of
 * calldata (every byte counted non-zero; the contract's work, the copy
 * and hash of the data and its memory, with room to spare). The sender
 * raises it to the EIP-7623 floor where that is higher. */
uint64_t cl_l1_append_batch_gas_bound(size_t calldata_len);

void cl_l1_poster_opts_default(struct cl_l1_poster_opts *o);

struct cl_l1_post_result {
	enum cl_l1_poster_state state;
	uint64_t tx_id;		    /* the sender's id */
	struct cl_hash32 data_hash; /* keccak256 of the batch data */
	uint64_t first_block, last_block;
	size_t calldata_bytes;	  /* L1 bytes of the transaction input */
	struct cl_hash32 tx_hash; /* CONFIRMED: the mined version */
	uint64_t l1_block;
	uint64_t gas_used;
	uint64_t effective_gas_price;
	bool has_index; /* BatchAppended found in the receipt */
	uint64_t batch_index;
	uint32_t reorgs; /* times the inclusion was reorged away */
	bool reverted;	 /* FAILED: mined and reverted (else the
			  * nonce was taken) */
};

struct cl_l1_poster;

/*
 * A poster sending through `sender` (borrowed). If the sender holds an
 * unfinished appendBatch transaction to opts->rollup with an id of at
 * least opts->adopt_from_id (after a restart), the poster adopts the first
 * such as the batch in flight.
 */
struct cl_l1_poster *cl_l1_poster_new(struct cl_l1_sender *sender,
				      const struct cl_l1_poster_opts *opts);
void cl_l1_poster_free(struct cl_l1_poster *p);

/*
 * Post one batch. Returns CL_OK (queued; follow with step);
 * CL_L1_DATA_TOO_LARGE when the calldata would exceed max_calldata;
 * CL_ERR_BUSY when a batch is still in flight (only one at a time);
 * or a cl_l1_sender_submit() code (CL_L1_RPC_ERROR: the estimate
 * reverted, e.g. a wrong first block).
 */
CL_WUR int cl_l1_poster_post(struct cl_l1_poster *p,
			     const struct cl_l1_batch_args *batch);

/* Drive the sender one round and update the state. Returns CL_OK or
 * cl_l1_sender_step()'s failure. */
CL_WUR int cl_l1_poster_step(struct cl_l1_poster *p);

/* Update the state from the sender without driving it (several posters
 * on one sender: step the sender once, then follow each). Returns CL_OK
 * or a failure reading the receipt of a confirmed batch. */
CL_WUR int cl_l1_poster_follow(struct cl_l1_poster *p);

enum cl_l1_poster_state cl_l1_poster_state(const struct cl_l1_poster *p);

/* The batch in flight or the last one finished. */
void cl_l1_poster_result(const struct cl_l1_poster *p,
			 struct cl_l1_post_result *out);

/*
 * Step until the batch in flight is CONFIRMED or FAILED (see
 * cl_l1_sender_wait() for the arguments). Returns CL_OK, CL_L1_REVERTED,
 * CL_L1_NONCE_TAKEN, CL_ERR_TIMEOUT, or CL_ERR_NOT_FOUND when idle.
 */
CL_WUR int cl_l1_poster_wait(struct cl_l1_poster *p, uint64_t timeout_ms,
			     uint64_t poll_ms);

#endif /* CLEARLINE_L1_SENDER_H */
