/* SPDX-License-Identifier: MIT */
/*
 * l1 — Clearline's client of the L1 chain: a JSON-RPC client, typed
 * Ethereum calls, the rollup contract's ABI, a transaction sender with a
 * persistent nonce manager, a deposit watcher and a batch poster.
 *
 * Layers, each built on the one before:
 *  1. struct cl_l1_rpc: one HTTP endpoint, one libcurl handle. Connect and
 *     total timeouts per attempt, a response size limit, and retries with
 *     capped exponential backoff for transport failures only (connection
 *     refused or reset, timeouts, HTTP 5xx and 429). A JSON-RPC error reply
 *     or a malformed answer is never retried. Every failure is logged once,
 *     where it starts, with the method name; callers do not log it again.
 *  2. Typed calls (cl_l1_eth_*): quantities are parsed strictly ("0x", no
 *     leading zeros, "0x0" for zero) except where nodes are known to differ,
 *     which is said at the field.
 *  3. ABI (cl_l1_abi_*): hand-written head/tail encoding of the rollup's
 *     calls and decoding of its events; pure functions, no I/O.
 *  4. struct cl_l1_sender: every transaction of one key. A transaction is
 *     written to a state file (temp file, fsync, rename, fsync of the
 *     folder) BEFORE it is first sent, so a crash never forgets a nonce that
 *     may be in use on L1. On open the file is reconciled with the node's
 *     nonce. The sender re-sends dropped transactions with the same nonce,
 *     replaces stuck ones with bumped fees, and notices when the block that
 *     held a receipt left the canonical chain.
 *  5. struct cl_l1_watcher: Deposit (ForcedRequest, AssetDeposit) events
 *     up to a
 *     confirmation depth,
 *     delivered to a callback exactly once and strictly in id order, with
 *     a persisted cursor that survives restarts and L1 reorgs.
 *  6. struct cl_l1_poster: appendBatch through the sender, one batch in
 *     flight at a time, tracked until it is confirmed.
 *  7. Dispute games (game_abi.c, game_fetch.c, game_play.c): the ABI of
 *     the rollup's games and of ClearlineDispute, what a node reads to
 *     play one, and one game played round by round through the sender;
 *     what to claim comes from a strategy (the node's VM player).
 *
 * Confirmation depth, everywhere in this module: a block at height n is
 * confirmed at depth d >= 1 when head - n + 1 >= d (depth 1 = in the head
 * block). Reorgs deeper than the configured depth are outside the model:
 * nothing confirmed is ever reopened.
 *
 * Return conventions: functions that talk to the node or to the disk
 * return an int that is CL_OK, a negative enum cl_err (a system failure:
 * CL_ERR_NET, CL_ERR_TIMEOUT, CL_ERR_IO, CL_ERR_CORRUPT, ...) or a positive
 * enum cl_l1_err (a domain outcome: the node answered with an error, the
 * answer is malformed, a fee ceiling, ...). Value operations return a
 * CL_WUR bool.
 *
 * Threads: no object here is shared between threads; each thread that
 * talks to L1 owns its own cl_l1_rpc and the objects built on it. The pure
 * functions (quantities, ABI) may be called from any thread. Call
 * cl_l1_global_init() once before starting threads (cl_l1_rpc_new() does
 * it too, under a once-guard).
 *
 * Ownership: x_new()/x_open() objects belong to the caller and are freed
 * with x_free(); x_free(NULL) is a no-op. An object built on another
 * (sender on rpc, poster on sender) borrows it: the borrowed object must
 * outlive the borrower. Keys are borrowed and never logged.
 *
 * Blocking: every call that talks to the node blocks for at most about
 * (retries + 1) * timeout plus the backoff sleeps. The *_step() functions
 * do one round of bounded work and return; the *_wait() helpers loop over
 * step() and sleep, for tests and the command-line tool.
 */
#ifndef CLEARLINE_L1_H
#define CLEARLINE_L1_H

#include <clearline/common.h>
#include <clearline/crypto.h>
#include <clearline/json.h>
#include <clearline/stf.h>

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Domain outcomes of this module (positive; system failures are negative
 * enum cl_err codes). */
enum cl_l1_err {
	CL_L1_OK = 0,
	CL_L1_RPC_ERROR = 1,  /* the node answered with a JSON-RPC error */
	CL_L1_MALFORMED,      /* the answer is not what the method returns */
	CL_L1_HTTP_STATUS,    /* an HTTP status that is not retried (4xx) */
	CL_L1_TOO_LARGE,      /* the response is over the size limit */
	CL_L1_FEE_CEILING,    /* the fee needed is above the ceiling */
	CL_L1_DATA_TOO_LARGE, /* calldata over the configured limit */
	CL_L1_REVERTED,	      /* the transaction was mined and reverted */
	CL_L1_NONCE_TAKEN,    /* another transaction used our nonce */
	CL_L1_WRONG_CHAIN,    /* the node's chain id is not the expected one */
	CL_L1_BROKEN,	      /* a watcher saw history change under it */
	CL_L1_STOPPED,	      /* a deposit callback asked to stop */
};

/* A short, lowercase, static text for a positive enum cl_l1_err or a
 * negative enum cl_err (delegated to cl_err_str()). */
const char *cl_l1_err_str(int err);

/* Where a failed call failed: finer than the return code. */
enum cl_l1_class {
	CL_L1_CLASS_NONE,	/* no failure */
	CL_L1_CLASS_CONNECT,	/* refused, reset, unreachable: CL_ERR_NET */
	CL_L1_CLASS_TIMEOUT,	/* connect or total timeout: CL_ERR_TIMEOUT */
	CL_L1_CLASS_HTTP_RETRY, /* HTTP 5xx or 429: CL_ERR_NET */
	CL_L1_CLASS_HTTP,	/* any other non-200: CL_L1_HTTP_STATUS */
	CL_L1_CLASS_RPC,	/* JSON-RPC error reply: CL_L1_RPC_ERROR */
	CL_L1_CLASS_MALFORMED,	/* bad JSON or shape: CL_L1_MALFORMED */
	CL_L1_CLASS_TOO_LARGE,	/* response over the limit: CL_L1_TOO_LARGE */
};

/* True for the classes that are retried (connect, timeout, 5xx/429). */
bool cl_l1_class_retryable(enum cl_l1_class c);

/* The return code a class maps to (CL_OK for CL_L1_CLASS_NONE). */
int cl_l1_class_code(enum cl_l1_class c);

/* The last failure of a client, for callers that look closer (e.g. the
 * JSON-RPC error code of a revert). */
struct cl_l1_error {
	enum cl_l1_class cls;
	long http_status;  /* 0 unless the server answered */
	int64_t rpc_code;  /* the error object's code (CL_L1_CLASS_RPC) */
	char method[48];   /* the method that failed */
	char message[256]; /* the node's or libcurl's text, truncated */
	/* CL_L1_CLASS_RPC: the error object's "data" when it is a hex string
	 * of at most 260 bytes (a revert's return data), else empty */
	uint8_t revert[260];
	size_t revert_len;
};

/* ------------------------------------------------------------------ */
/* JSON-RPC client                                                     */
/* ------------------------------------------------------------------ */

struct cl_l1_rpc_opts {
	uint32_t connect_timeout_ms; /* default 2000 */
	uint32_t timeout_ms;	     /* whole attempt; default 10000 */
	uint32_t retries;	 /* retries after the first try; default 4 */
	uint32_t backoff_ms;	 /* first backoff; default 100, doubled */
	uint32_t backoff_max_ms; /* backoff cap; default 2000 */
	size_t max_response;	 /* bytes; default 16 MiB */
};

void cl_l1_rpc_opts_default(struct cl_l1_rpc_opts *o);

/* Initialise libcurl once per process; idempotent. Returns CL_OK or
 * CL_ERR_NET when libcurl refuses (logged). */
CL_WUR int cl_l1_global_init(void);

struct cl_l1_rpc;

/*
 * A client of the endpoint `url` (http:// or https://, copied).
 * opts may be NULL for the defaults. Returns NULL (logged) when libcurl
 * cannot be initialised or url is empty.
 */
struct cl_l1_rpc *cl_l1_rpc_new(const char *url,
				const struct cl_l1_rpc_opts *opts);
void cl_l1_rpc_free(struct cl_l1_rpc *rpc);

/* cl_clock_mono_ns() when the node last answered a call (a result or a
 * JSON-RPC error), 0 if never. The only function of a client that any
 * thread may call while another uses it. */
uint64_t cl_l1_rpc_last_answer_ns(struct cl_l1_rpc *rpc);

/* Change the retry count (e.g. 0 for a loop that retries by itself). */
void cl_l1_rpc_set_retries(struct cl_l1_rpc *rpc, uint32_t retries);

/*
 * Call `method` with `params` (a JSON array; the reference is STOLEN, so
 * callers may pass json_pack(...) directly; NULL means []).
 *
 * result: out: the "result" member, a new reference owned by the caller
 *         (JSON null is returned as a json_null() reference); NULL on
 *         failure.
 *
 * Returns CL_OK, CL_ERR_NET or CL_ERR_TIMEOUT after the retries ran out,
 * CL_L1_RPC_ERROR, CL_L1_MALFORMED, CL_L1_HTTP_STATUS or CL_L1_TOO_LARGE.
 * The failure is logged once (unusual) with the method name, and kept
 * for cl_l1_rpc_last_error().
 */
CL_WUR int cl_l1_rpc_call(struct cl_l1_rpc *rpc, json_t **result,
			  const char *method, json_t *params);

/* The last failure (cls == CL_L1_CLASS_NONE after a success). Valid until
 * the next call on the client. */
const struct cl_l1_error *cl_l1_rpc_last_error(const struct cl_l1_rpc *rpc);

/* The number of HTTP attempts made so far (tests use it to see retries). */
uint64_t cl_l1_rpc_attempts(const struct cl_l1_rpc *rpc);

/* ------------------------------------------------------------------ */
/* Quantities                                                          */
/* ------------------------------------------------------------------ */

/*
 * Ethereum JSON quantities: "0x" then hex digits without leading zeros;
 * zero is "0x0". `len` characters, no NUL needed. Fails (and zeroes the
 * output) on anything else, including "0x", "0x00", uppercase "0X", and
 * values over 64 bits (u64) or 256 bits (u256).
 */
CL_WUR bool cl_l1_parse_qty(uint64_t *out, const char *s, size_t len);
CL_WUR bool cl_l1_parse_qty256(uint8_t out[32], const char *s, size_t len);

/* Format v as a quantity into out (at least 19 bytes); returns length. */
size_t cl_l1_fmt_qty(char out[19], uint64_t v);

/* A 32-byte big-endian uint256 as a quantity; out holds 67 bytes. */
size_t cl_l1_fmt_qty256(char out[67], const uint8_t v[32]);

/* JSON forms of the above: a quantity string. cl_l1_json_qty_or_int also
 * takes a non-negative JSON integer (anvil writes receipts' top-level
 * blockTimestamp that way). */
CL_WUR bool cl_l1_json_qty(uint64_t *out, const json_t *v);
CL_WUR bool cl_l1_json_qty_or_int(uint64_t *out, const json_t *v);

/* ------------------------------------------------------------------ */
/* Typed Ethereum calls                                                */
/* ------------------------------------------------------------------ */

/* Block tags for calls that take one. */
enum cl_l1_tag {
	CL_L1_LATEST,
	CL_L1_PENDING,
	CL_L1_SAFE,
	CL_L1_FINALIZED,
	CL_L1_EARLIEST,
};

struct cl_l1_block {
	uint64_t number;
	struct cl_hash32 hash;
	struct cl_hash32 parent_hash;
	uint64_t timestamp;
	bool has_base_fee; /* false before London */
	uint64_t base_fee; /* wei per gas */
};

/* One log record. `data` is owned by the list or receipt holding it. */
struct cl_l1_log {
	struct cl_address address;
	size_t n_topics; /* 0..4 */
	struct cl_hash32 topics[4];
	uint8_t *data;
	size_t data_len;
	uint64_t block_number;
	struct cl_hash32 block_hash;
	struct cl_hash32 tx_hash;
	uint64_t tx_index;
	uint64_t log_index;
	bool removed;
	bool has_block_timestamp; /* hex inside logs[], when the node adds it */
	uint64_t block_timestamp;
};

struct cl_l1_logs {
	size_t n;
	struct cl_l1_log *v;
};

void cl_l1_logs_release(struct cl_l1_logs *l);

struct cl_l1_receipt {
	struct cl_hash32 tx_hash;
	bool status; /* true: success */
	uint64_t block_number;
	struct cl_hash32 block_hash;
	uint64_t gas_used;
	uint64_t effective_gas_price;
	bool has_contract_address;
	struct cl_address contract_address;
	bool has_block_timestamp; /* a JSON number at the top level (anvil) */
	uint64_t block_timestamp;
	struct cl_l1_logs logs;
};

void cl_l1_receipt_release(struct cl_l1_receipt *r);

struct cl_l1_txinfo {
	struct cl_hash32 hash;
	struct cl_address from;
	uint64_t nonce;
	uint64_t gas;
	bool mined; /* block fields valid */
	uint64_t block_number;
	struct cl_hash32 block_hash;
};

/* A message call or gas estimate; pointers are borrowed. */
struct cl_l1_callreq {
	const struct cl_address *from; /* may be NULL */
	const struct cl_address *to;   /* NULL: contract creation (estimate) */
	const uint8_t *data;
	size_t data_len;
	const uint8_t *value; /* 32 bytes big-endian, or NULL for zero */
};

/* Fee history of the last blocks at one reward percentile. */
#define CL_L1_FEE_HISTORY_MAX 64
struct cl_l1_fee_history {
	uint64_t oldest_block;
	size_t n; /* blocks reported, <= requested */
	uint64_t base_fee[CL_L1_FEE_HISTORY_MAX + 1]; /* n + 1: the last is
						       * the next block's */
	bool has_reward;
	uint64_t reward[CL_L1_FEE_HISTORY_MAX];
};

/* A log filter: address and topics are matched when set. A topic
 * position is either "any" or exactly one value (no OR lists). */
struct cl_l1_filter {
	bool has_address;
	struct cl_address address;
	size_t n_topics; /* positions given, <= 4 */
	bool topic_any[4];
	struct cl_hash32 topics[4];
	uint64_t from_block;
	uint64_t to_block;
};

/*
 * Each call below returns CL_OK or a cl_l1_rpc_call() code; on failure
 * the outputs are zeroed. `found` is false (and CL_OK returned) when the
 * node answered null (unknown block, transaction or receipt).
 */
CL_WUR int cl_l1_eth_chain_id(struct cl_l1_rpc *rpc, uint64_t *out);
CL_WUR int cl_l1_eth_block_number(struct cl_l1_rpc *rpc, uint64_t *out);
CL_WUR int cl_l1_eth_block_by_number(struct cl_l1_rpc *rpc,
				     struct cl_l1_block *out, bool *found,
				     uint64_t number);
CL_WUR int cl_l1_eth_block_by_tag(struct cl_l1_rpc *rpc,
				  struct cl_l1_block *out, bool *found,
				  enum cl_l1_tag tag);
CL_WUR int cl_l1_eth_block_by_hash(struct cl_l1_rpc *rpc,
				   struct cl_l1_block *out, bool *found,
				   const struct cl_hash32 *hash);
CL_WUR int cl_l1_eth_tx_count(struct cl_l1_rpc *rpc, uint64_t *out,
			      const struct cl_address *addr,
			      enum cl_l1_tag tag);
CL_WUR int cl_l1_eth_balance(struct cl_l1_rpc *rpc, uint8_t out[32],
			     const struct cl_address *addr);
CL_WUR int cl_l1_eth_estimate_gas(struct cl_l1_rpc *rpc, uint64_t *out,
				  const struct cl_l1_callreq *req);
/* eth_call at `tag`; the return data is appended to out. */
CL_WUR int cl_l1_eth_call(struct cl_l1_rpc *rpc, struct cl_buf *out,
			  const struct cl_l1_callreq *req, enum cl_l1_tag tag);
/* The same call on the state after block `block`: views read at one
 * block agree with each other, where "latest" may move between calls. */
CL_WUR int cl_l1_eth_call_at(struct cl_l1_rpc *rpc, struct cl_buf *out,
			     const struct cl_l1_callreq *req, uint64_t block);
/* `blocks` in 1..CL_L1_FEE_HISTORY_MAX ending at latest; percentile
 * 0..100. A node that sends no reward array gives has_reward = false. */
CL_WUR int cl_l1_eth_fee_history(struct cl_l1_rpc *rpc,
				 struct cl_l1_fee_history *out, unsigned blocks,
				 unsigned percentile);
CL_WUR int cl_l1_eth_max_priority_fee(struct cl_l1_rpc *rpc, uint64_t *out);
/* tx_hash: out, may be NULL: the hash the node returned. */
CL_WUR int cl_l1_eth_send_raw(struct cl_l1_rpc *rpc, struct cl_hash32 *tx_hash,
			      const uint8_t *raw, size_t len);
/* On CL_OK with *found, release *out with cl_l1_receipt_release(). */
CL_WUR int cl_l1_eth_receipt(struct cl_l1_rpc *rpc, struct cl_l1_receipt *out,
			     bool *found, const struct cl_hash32 *tx_hash);
CL_WUR int cl_l1_eth_tx_by_hash(struct cl_l1_rpc *rpc, struct cl_l1_txinfo *out,
				bool *found, const struct cl_hash32 *tx_hash);
/* Input data of a transaction, appended to out (found as above). */
CL_WUR int cl_l1_eth_tx_input(struct cl_l1_rpc *rpc, struct cl_buf *out,
			      bool *found, const struct cl_hash32 *tx_hash);
/* On CL_OK release *out with cl_l1_logs_release(). Logs come back in the
 * node's order (block, then log index). */
CL_WUR int cl_l1_eth_get_logs(struct cl_l1_rpc *rpc, struct cl_l1_logs *out,
			      const struct cl_l1_filter *f);

/* ------------------------------------------------------------------ */
/* ABI of the rollup contract                                          */
/* ------------------------------------------------------------------ */

/* The signatures (the selector is keccak256 of the text, first 4 bytes;
 * an event's topic 0 is all 32 bytes). */
#define CL_L1_SIG_DEPOSIT_FN "deposit(address,uint256)"
#define CL_L1_SIG_APPEND_BATCH \
	"appendBatch(bytes,bytes32,bytes32,uint64,uint64,uint64,uint64,uint64)"
/* the tuple of a batch record, ClearlineRollup.BatchRecord */
#define CL_L1_BATCH_RECORD_TUPLE \
	"(bytes32,bytes32,bytes32,uint64,uint64,uint64,uint64,uint64,uint64)"
#define CL_L1_SIG_CLAIM_WITHDRAWAL                                         \
	"claimWithdrawal(uint64," CL_L1_BATCH_RECORD_TUPLE                  \
	",uint64,address,uint64,bytes32[])"
#define CL_L1_SIG_BATCH_COMMITMENT "batchCommitment(uint64)"
#define CL_L1_SIG_BATCH_COUNT "batchCount()"
#define CL_L1_SIG_IS_FINAL "isFinal(uint64)"
#define CL_L1_SIG_DEPOSIT_COUNT "depositCount()"
#define CL_L1_SIG_ERC20_APPROVE "approve(address,uint256)"
#define CL_L1_EV_DEPOSIT "Deposit(uint64,address,uint64,uint64)"
#define CL_L1_EV_BATCH_APPENDED                                            \
	"BatchAppended(uint64,bytes32,bytes32,bytes32,uint64,uint64,uint64,"  \
	"uint64,uint64,uint64)"
#define CL_L1_EV_BATCH_CHALLENGED "BatchChallenged(uint64,address)"
#define CL_L1_EV_BATCHES_DISCARDED "BatchesDiscarded(uint64,uint64)"
#define CL_L1_SIG_FORCE_REQUEST "forceRequest(uint8,uint64,uint64)"
#define CL_L1_SIG_FORCED_CONSUMED "forcedConsumed()"
#define CL_L1_SIG_FORCED_COUNT "forcedCount()"
#define CL_L1_EV_FORCED_REQUEST \
	"ForcedRequest(uint64,address,uint8,uint64,uint64,uint64)"
/* The collateral assets' contract, the rollup's assets() (docs/l1.md
 * "Collateral assets"). */
#define CL_L1_EV_ASSET_DEPOSIT \
	"AssetDeposit(uint64,uint32,address,uint64,uint64)"
#define CL_L1_SIG_CLAIM_ASSET_WITHDRAWAL                                   \
	"claimAssetWithdrawal(uint64," CL_L1_BATCH_RECORD_TUPLE             \
	",uint64,address,uint32,uint64,bytes32[])"
#define CL_L1_SIG_APPEND_BATCH_WITH_ASSETS                                 \
	"appendBatchWithAssets(bytes,bytes32,bytes32,uint64,uint64,uint64,"  \
	"uint64,uint64,uint64)"

/* The most siblings a withdrawal proof may carry here. */
#define CL_L1_MAX_SIBLINGS 256

void cl_l1_selector(uint8_t out[4], const char *signature);
void cl_l1_event_topic(struct cl_hash32 *out, const char *signature);

/* Static words appended to an ABI encoding (32 bytes each). */
void cl_l1_abi_put_u64(struct cl_buf *b, uint64_t v);
void cl_l1_abi_put_u256(struct cl_buf *b, const uint8_t v[32]);
void cl_l1_abi_put_bool(struct cl_buf *b, bool v);
void cl_l1_abi_put_address(struct cl_buf *b, const struct cl_address *a);
void cl_l1_abi_put_bytes32(struct cl_buf *b, const struct cl_hash32 *h);

/* appendBatch arguments; `data` is borrowed. */
struct cl_l1_batch_args {
	const uint8_t *data;
	size_t data_len;
	struct cl_hash32 state_root;
	struct cl_hash32 withdrawal_root;
	uint64_t deposits_consumed; /* cumulative, after the batch */
	uint64_t first_block;
	uint64_t last_block;
	/* the timestamp of the L1 block that last_block's header names */
	uint64_t l1_timestamp;
	uint64_t forced_consumed; /* cumulative forced requests, after it */
	/* appendBatchWithAssets (a chain whose genesis lists assets) with
	 * the cumulative asset deposits consumed after it; false:
	 * appendBatch, which leaves the contract's count as it was */
	bool with_assets;
	uint64_t asset_deposits_consumed;
};

struct cl_l1_batch_event;

/* Calldata builders: each APPENDS selector and arguments to out
 * (cl_l1_abi_append_batch: appendBatchWithAssets when a->with_assets). The
 * claim carries the batch's record (docs/l1.md): `batch` is its
 * BatchAppended event (index and record fields; loc unused). The game's
 * challenge is below ("ABI of the dispute games"). */
void cl_l1_abi_append_batch(struct cl_buf *out,
			    const struct cl_l1_batch_args *a);
void cl_l1_abi_claim_withdrawal(struct cl_buf *out,
				const struct cl_l1_batch_event *batch,
				uint64_t withdrawal_id,
				const struct cl_address *recipient,
				uint64_t amount,
				const struct cl_hash32 *siblings,
				size_t n_siblings);
void cl_l1_abi_deposit(struct cl_buf *out, const struct cl_address *to,
		       uint64_t amount);
void cl_l1_abi_batch_count(struct cl_buf *out);
void cl_l1_abi_deposit_count(struct cl_buf *out);
void cl_l1_abi_is_final(struct cl_buf *out, uint64_t batch_index);

/*
 * Decode appendBatch or appendBatchWithAssets calldata (selector
 * included; out->with_assets says which), canonical form only: the
 * offset of `bytes` is right after the head (0x100, or 0x120 with
 * assets), its padding is zero, the uint64 words have no high bits,
 * nothing trails. out->data borrows from `p`.
 */
CL_WUR bool cl_l1_abi_decode_append_batch(struct cl_l1_batch_args *out,
					  const uint8_t *p, size_t len);

/*
 * Describe revert data of the rollup (a custom error of ClearlineRollup
 * or ClearlineToken, or Error(string)) as text, e.g.
 * "ForcedInclusionViolated(depositId 2, deadline 1700000600)", into out
 * (NUL-terminated, truncated to cap). Unknown or malformed data is shown
 * as "revert 0x<selector> (N bytes)"; no data as "revert without data".
 * Returns the error's name's enum below (CL_L1_REVERT_OTHER when unknown).
 */
enum cl_l1_revert {
	CL_L1_REVERT_NONE,  /* no data */
	CL_L1_REVERT_OTHER, /* not one of the rollup's errors */
	CL_L1_REVERT_NOT_SEQUENCER,
	CL_L1_REVERT_EMPTY_BATCH_DATA,
	CL_L1_REVERT_NON_CONTIGUOUS_BLOCKS,
	CL_L1_REVERT_INVALID_BLOCK_RANGE,
	CL_L1_REVERT_DEPOSITS_CONSUMED_DECREASED,
	CL_L1_REVERT_DEPOSITS_CONSUMED_EXCEED_DEPOSITS,
	CL_L1_REVERT_FORCED_INCLUSION_VIOLATED,
	CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE,
	CL_L1_REVERT_L1_TIMESTAMP_DECREASED,
	CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD,
	CL_L1_REVERT_FORCED_REQUEST_OVERDUE,
	CL_L1_REVERT_ROLLUP_OTHER, /* another error of the rollup or token */
};

enum cl_l1_revert cl_l1_revert_describe(char *out, size_t cap,
					const uint8_t *data, size_t len);

/*
 * The checks of appendBatch that depend on L1 time (docs/l1.md "The
 * forced-inclusion rule"), exactly as the contract applies them, for a
 * batch included at an L1 time in [earliest, latest]: the poster checks
 * a batch before sending it. The state is what the contract will hold
 * when the batch lands.
 */
struct cl_l1_append_state {
	uint64_t forced_inclusion_delay; /* forcedInclusionDelay() */
	uint64_t sequencing_window;      /* sequencingWindow() */
	uint64_t last_discard_time;      /* lastDiscardTime() */
	/* l1Timestamp of the batch before (lastL1Timestamp(), or the one
	 * of the batch in flight before this one) */
	uint64_t prev_l1_timestamp;
	uint64_t deposit_count; /* depositCount() */
	/* deposits(deposits_consumed).timestamp when deposits_consumed <
	 * deposit_count */
	uint64_t deposit_timestamp;
};

/*
 * Would appendBatch with cumulative `deposits_consumed` and
 * `l1_timestamp` pass these checks at every L1 time in [earliest,
 * latest]? Returns CL_L1_REVERT_NONE if so; otherwise the error it may
 * revert with (CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE, _DECREASED,
 * CL_L1_REVERT_FORCED_INCLUSION_VIOLATED, CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD)
 * and in `why` (NUL-terminated, truncated to cap) its text as
 * cl_l1_revert_describe() would show the revert.
 */
enum cl_l1_revert cl_l1_append_rule(char *why, size_t cap,
				    const struct cl_l1_append_state *st,
				    uint64_t deposits_consumed,
				    uint64_t l1_timestamp, uint64_t earliest,
				    uint64_t latest);

/* Return data of a view returning one uint64 / bool (exactly one word,
 * high bytes zero). */
CL_WUR bool cl_l1_abi_ret_u64(uint64_t *out, const uint8_t *p, size_t len);
CL_WUR bool cl_l1_abi_ret_bool(bool *out, const uint8_t *p, size_t len);

/* Where an event was found on L1. */
struct cl_l1_event_loc {
	uint64_t block_number;
	struct cl_hash32 block_hash;
	struct cl_hash32 tx_hash;
	uint64_t log_index;
};

/* Deposit(uint64 indexed id, address indexed to, uint64 amount,
 *         uint64 timestamp) */
struct cl_l1_deposit {
	uint64_t id;
	struct cl_address to;
	uint64_t amount;
	uint64_t timestamp; /* L1 block timestamp, seconds */
	struct cl_l1_event_loc loc;
};

/* ForcedRequest(uint64 indexed id, address indexed account, uint8 kind,
 *               uint64 a, uint64 b, uint64 timestamp): docs/l1.md
 * "Forced requests". */
struct cl_l1_forced {
	uint64_t id;
	struct cl_address account;
	uint8_t kind; /* as the contract took it (1..4) */
	uint64_t a, b;
	uint64_t timestamp; /* L1 block timestamp, seconds */
	struct cl_l1_event_loc loc;
};

/*
 * The L2 request (a CL_TX_FORCED, auth not recovered) that a forced
 * event asks for. False when the kind and fields do not make one (the
 * contract refuses such requests, so an event never does).
 */
CL_WUR bool cl_l1_forced_tx(struct cl_tx *out, const struct cl_l1_forced *f);

/* AssetDeposit(uint64 indexed id, uint32 indexed asset, address indexed
 *              to, uint64 amount, uint64 timestamp) of the assets
 * contract: `amount` in L2 atoms (docs/l1.md "Collateral assets"). */
struct cl_l1_asset_deposit {
	uint64_t id; /* its own sequence, not the deposits' */
	uint32_t asset;
	struct cl_address to;
	uint64_t amount;
	uint64_t timestamp; /* L1 block timestamp, seconds */
	struct cl_l1_event_loc loc;
};

/* Decode a log as AssetDeposit: false (output zeroed) when topic 0 is not
 * its, the topic count (4) or data length (64) is wrong, or a word has
 * high bits set (the asset above 2^32 − 1 too). The emitting address is
 * not checked: the caller filters by the assets contract's. */
CL_WUR bool cl_l1_decode_asset_deposit(struct cl_l1_asset_deposit *out,
				       const struct cl_l1_log *log);

/* The ASSET_DEPOSIT request (type 24) an AssetDeposit event asks for. */
void cl_l1_asset_deposit_tx(struct cl_tx *out,
			    const struct cl_l1_asset_deposit *d);

/* BatchAppended(uint64 indexed index, bytes32 dataHash, bytes32 stateRoot,
 *   bytes32 withdrawalRoot, uint64 prevDepositsConsumed,
 *   uint64 depositsConsumed, uint64 firstBlock, uint64 lastBlock,
 *   uint64 timestamp, uint64 l1Timestamp): the index and the batch's
 *   record in full. */
struct cl_l1_batch_event {
	uint64_t index;
	struct cl_hash32 data_hash;
	struct cl_hash32 state_root;
	struct cl_hash32 withdrawal_root;
	uint64_t prev_deposits_consumed; /* cumulative, before the batch */
	uint64_t deposits_consumed;	 /* cumulative, after the batch */
	uint64_t first_block;
	uint64_t last_block;
	uint64_t timestamp; /* L1 block timestamp of the append */
	uint64_t l1_timestamp; /* L1 time named by the batch's last block */
	struct cl_l1_event_loc loc;
};

/* The commitment the contract stores for a record: the top 224 bits of
 * keccak256 of its nine ABI words, then its timestamp's low 32 bits. */
void cl_l1_batch_commitment(struct cl_hash32 *out,
			    const struct cl_l1_batch_event *rec);

/*
 * Is `ev` (a decoded BatchAppended) the record of live batch ev->index,
 * i.e. is its commitment the one the contract stores now? An event of a
 * batch discarded since, or a replaced one, is not. Returns CL_OK with
 * *live set (false also for an index at or past batchCount), or an RPC
 * code.
 */
CL_WUR int cl_l1_batch_live(struct cl_l1_rpc *rpc,
			    const struct cl_address *rollup, bool *live,
			    const struct cl_l1_batch_event *ev);

/*
 * The record of live batch `index`: its BatchAppended event (the latest
 * whose commitment is the stored one). The commitment keeps the append's
 * timestamp, so the block is found by a binary search over block
 * timestamps in [from_block, head] (about log2 of the span in block
 * reads) and its logs read; failing that, every range of `range` blocks
 * (0: 10000) from the head back to `from_block` (the rollup's deployment,
 * or any block known to be at or before the append).
 * Returns CL_OK; CL_ERR_NOT_FOUND (no such batch, or no matching event
 * in the range); or an RPC code.
 */
CL_WUR int cl_l1_batch_record(struct cl_l1_rpc *rpc,
			      const struct cl_address *rollup,
			      struct cl_l1_batch_event *out, uint64_t index,
			      uint64_t from_block, uint64_t range);

/* BatchChallenged(uint64 indexed index, address indexed challenger) */
struct cl_l1_challenge_event {
	uint64_t index;
	struct cl_address challenger;
	struct cl_l1_event_loc loc;
};

/* BatchesDiscarded(uint64 indexed fromIndex, uint64 count) */
struct cl_l1_discard_event {
	uint64_t from_index;
	uint64_t count;
	struct cl_l1_event_loc loc;
};

/*
 * Decode a log as one event. False (output zeroed) when topic 0 is not
 * the event's, the topic count or data length is wrong, or a uint64 or
 * address word has high bits set. The emitting address is not checked:
 * the caller filters by address.
 */
CL_WUR bool cl_l1_decode_deposit(struct cl_l1_deposit *out,
				 const struct cl_l1_log *log);
CL_WUR bool cl_l1_decode_batch_appended(struct cl_l1_batch_event *out,
					const struct cl_l1_log *log);
CL_WUR bool cl_l1_decode_forced(struct cl_l1_forced *out,
				const struct cl_l1_log *log);
CL_WUR bool cl_l1_decode_batch_challenged(struct cl_l1_challenge_event *out,
					  const struct cl_l1_log *log);
CL_WUR bool cl_l1_decode_batches_discarded(struct cl_l1_discard_event *out,
					   const struct cl_l1_log *log);

/* ------------------------------------------------------------------ */
/* Deposit watcher                                                     */
/* ------------------------------------------------------------------ */

/* How far the watcher got: every block below next_block is processed;
 * prev_hash is the hash block next_block - 1 had when it was processed
 * (all zero before the first block is processed: nothing to check), and
 * next_id is the next deposit id to deliver. */
struct cl_l1_cursor {
	uint64_t next_block;
	struct cl_hash32 prev_hash;
	uint64_t next_id;
};

struct cl_l1_watcher_opts {
	struct cl_address rollup;
	uint64_t start_block;	/* first block to scan (deployment) */
	uint64_t confirmations; /* depth, >= 1; default 3 */
	uint64_t max_range;	/* blocks per eth_getLogs; default 1000 */
	unsigned max_ranges;	/* ranges per step; default 8 */
};

void cl_l1_watcher_opts_default(struct cl_l1_watcher_opts *o);

/* Called once per deposit, in id order. Return CL_OK to accept it; any
 * other value stops the step, the deposit is offered again next time. */
typedef int (*cl_l1_deposit_fn)(void *arg, const struct cl_l1_deposit *d);

struct cl_l1_watcher;

/*
 * Open a watcher. The cursor comes from `initial` when not NULL, else
 * from state_dir/l1-deposits.dat when state_dir is not NULL and the file
 * exists, else it starts at opts->start_block with deposit id 0. With a
 * state_dir the cursor is stored after every step that moved it.
 *
 * Returns CL_OK and *out, CL_ERR_CORRUPT or CL_ERR_IO (logged).
 */
CL_WUR int cl_l1_watcher_open(struct cl_l1_watcher **out, struct cl_l1_rpc *rpc,
			      const char *state_dir,
			      const struct cl_l1_cursor *initial,
			      const struct cl_l1_watcher_opts *opts,
			      cl_l1_deposit_fn fn, void *arg);
void cl_l1_watcher_free(struct cl_l1_watcher *w);

/*
 * Scan up to max_ranges ranges toward head - confirmations + 1, check the
 * cursor block is still canonical first (rewinding to the fork point if
 * not), and deliver new deposits.
 *
 * delivered: out, may be NULL: deposits handed to the callback.
 *
 * Returns CL_OK; an RPC or I/O code (the step stops; nothing delivered is
 * lost); CL_L1_STOPPED when the callback refused a deposit; CL_L1_BROKEN
 * (now and on every later call) when an already delivered id came back
 * with different contents, or a reorg went deeper than the watcher's
 * memory.
 */
CL_WUR int cl_l1_watcher_step(struct cl_l1_watcher *w, size_t *delivered);

void cl_l1_watcher_cursor(const struct cl_l1_watcher *w,
			  struct cl_l1_cursor *out);

/* Called once per forced request, in id order, as cl_l1_deposit_fn. */
typedef int (*cl_l1_forced_fn)(void *arg, const struct cl_l1_forced *f);

/*
 * A watcher of ForcedRequest events instead of deposits: everything as
 * cl_l1_watcher_open() (the same depth, reorg and exactly-once rules; a
 * forced request delivered before must come back with the same account,
 * kind and fields), with its own state file l1-forced.dat. Step, cursor
 * and free are the same functions.
 */
CL_WUR int cl_l1_forced_watcher_open(struct cl_l1_watcher **out,
				     struct cl_l1_rpc *rpc,
				     const char *state_dir,
				     const struct cl_l1_cursor *initial,
				     const struct cl_l1_watcher_opts *opts,
				     cl_l1_forced_fn fn, void *arg);

/* The transaction sender and the batch poster (l1_sender.h). */
#include <clearline/l1_sender.h>
/* The dispute games: their ABI and playing one (l1_game.h). */
#include <clearline/l1_game.h>
/* The collateral assets' contract: its address, the asset-deposit
 * watcher, the asset claim (l1_assets.h). */
#include <clearline/l1_assets.h>

#endif /* CLEARLINE_L1_H */
