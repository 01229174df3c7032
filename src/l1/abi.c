/* SPDX-License-Identifier: MIT */
/*
 * The Solidity ABI of the rollup contract, by hand: 32-byte words,
 * big-endian, static arguments in the head, dynamic ones (bytes,
 * bytes32[]) as an offset in the head and length + contents in the tail.
 */
#include <string.h>

#include "l1_int.h"

void cl_l1_selector(uint8_t out[4], const char *signature)
{
	uint8_t h[32];

	cl_keccak256(h, signature, strlen(signature));
	memcpy(out, h, 4);
}

void cl_l1_event_topic(struct cl_hash32 *out, const char *signature)
{
	cl_keccak256(out->b, signature, strlen(signature));
}

static void put_selector(struct cl_buf *b, const char *signature)
{
	uint8_t sel[4];

	cl_l1_selector(sel, signature);
	cl_buf_append(b, sel, 4);
}

void cl_l1_abi_put_u64(struct cl_buf *b, uint64_t v)
{
	uint8_t w[32] = {0};

	cl_put_be64(w + 24, v);
	cl_buf_append(b, w, 32);
}

void cl_l1_abi_put_u256(struct cl_buf *b, const uint8_t v[32])
{
	cl_buf_append(b, v, 32);
}

void cl_l1_abi_put_bool(struct cl_buf *b, bool v)
{
	cl_l1_abi_put_u64(b, v ? 1 : 0);
}

void cl_l1_abi_put_address(struct cl_buf *b, const struct cl_address *a)
{
	uint8_t w[32] = {0};

	memcpy(w + 12, a->b, 20);
	cl_buf_append(b, w, 32);
}

void cl_l1_abi_put_bytes32(struct cl_buf *b, const struct cl_hash32 *h)
{
	cl_buf_append(b, h->b, 32);
}

/* Round up to a multiple of 32. */
static size_t pad32(size_t n)
{
	return (n + 31) & ~(size_t)31;
}

void cl_l1_abi_append_batch(struct cl_buf *out,
			    const struct cl_l1_batch_args *a)
{
	static const uint8_t zeros[32];
	uint64_t head = a->with_assets ? 9 : 8;

	put_selector(out, a->with_assets ? CL_L1_SIG_APPEND_BATCH_WITH_ASSETS
					 : CL_L1_SIG_APPEND_BATCH);
	/* head: eight or nine words; the bytes' tail starts right after */
	cl_l1_abi_put_u64(out, head * 32);
	cl_l1_abi_put_bytes32(out, &a->state_root);
	cl_l1_abi_put_bytes32(out, &a->withdrawal_root);
	cl_l1_abi_put_u64(out, a->deposits_consumed);
	cl_l1_abi_put_u64(out, a->first_block);
	cl_l1_abi_put_u64(out, a->last_block);
	cl_l1_abi_put_u64(out, a->l1_timestamp);
	cl_l1_abi_put_u64(out, a->forced_consumed);
	if (a->with_assets)
		cl_l1_abi_put_u64(out, a->asset_deposits_consumed);
	/* tail: length, contents, zero padding */
	cl_l1_abi_put_u64(out, a->data_len);
	cl_buf_append(out, a->data, a->data_len);
	cl_buf_append(out, zeros, pad32(a->data_len) - a->data_len);
}

/* The record's nine words, as the BatchRecord tuple (static, in place). */
static void put_record(struct cl_buf *out, const struct cl_l1_batch_event *r)
{
	cl_l1_abi_put_bytes32(out, &r->data_hash);
	cl_l1_abi_put_bytes32(out, &r->state_root);
	cl_l1_abi_put_bytes32(out, &r->withdrawal_root);
	cl_l1_abi_put_u64(out, r->prev_deposits_consumed);
	cl_l1_abi_put_u64(out, r->deposits_consumed);
	cl_l1_abi_put_u64(out, r->first_block);
	cl_l1_abi_put_u64(out, r->last_block);
	cl_l1_abi_put_u64(out, r->timestamp);
	cl_l1_abi_put_u64(out, r->l1_timestamp);
}

void cl_l1_batch_commitment(struct cl_hash32 *out,
			    const struct cl_l1_batch_event *rec)
{
	struct cl_buf b;

	cl_buf_init(&b);
	put_record(&b, rec);
	cl_keccak256(out->b, b.p, b.len);
	cl_buf_release(&b);
	cl_put_be32(out->b + 28, (uint32_t)rec->timestamp);
}

void cl_l1_abi_claim_withdrawal(struct cl_buf *out,
				const struct cl_l1_batch_event *batch,
				uint64_t withdrawal_id,
				const struct cl_address *recipient,
				uint64_t amount,
				const struct cl_hash32 *siblings,
				size_t n_siblings)
{
	CL_REQUIRE(n_siblings <= CL_L1_MAX_SIBLINGS);
	put_selector(out, CL_L1_SIG_CLAIM_WITHDRAWAL);
	cl_l1_abi_put_u64(out, batch->index);
	put_record(out, batch);
	cl_l1_abi_put_u64(out, withdrawal_id);
	cl_l1_abi_put_address(out, recipient);
	cl_l1_abi_put_u64(out, amount);
	cl_l1_abi_put_u64(out, 14 * 32); /* offset of the array */
	cl_l1_abi_put_u64(out, n_siblings);
	for (size_t i = 0; i < n_siblings; i++)
		cl_l1_abi_put_bytes32(out, &siblings[i]);
}

void cl_l1_abi_deposit(struct cl_buf *out, const struct cl_address *to,
		       uint64_t amount)
{
	put_selector(out, CL_L1_SIG_DEPOSIT_FN);
	cl_l1_abi_put_address(out, to);
	cl_l1_abi_put_u64(out, amount);
}

void cl_l1_abi_batch_count(struct cl_buf *out)
{
	put_selector(out, CL_L1_SIG_BATCH_COUNT);
}

void cl_l1_abi_deposit_count(struct cl_buf *out)
{
	put_selector(out, CL_L1_SIG_DEPOSIT_COUNT);
}

void cl_l1_abi_is_final(struct cl_buf *out, uint64_t batch_index)
{
	put_selector(out, CL_L1_SIG_IS_FINAL);
	cl_l1_abi_put_u64(out, batch_index);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* A uint64 word: the 24 high bytes must be zero. */
static bool word_u64(uint64_t *out, const uint8_t *w)
{
	*out = 0;
	if (!zero(w, 24))
		return false;
	*out = cl_get_be64(w + 24);
	return true;
}

static bool word_address(struct cl_address *out, const uint8_t *w)
{
	memset(out, 0, sizeof(*out));
	if (!zero(w, 12))
		return false;
	memcpy(out->b, w + 12, 20);
	return true;
}

bool cl_l1_abi_ret_u64(uint64_t *out, const uint8_t *p, size_t len)
{
	*out = 0;
	return len == 32 && word_u64(out, p);
}

bool cl_l1_abi_ret_bool(bool *out, const uint8_t *p, size_t len)
{
	uint64_t v;

	*out = false;
	if (!cl_l1_abi_ret_u64(&v, p, len) || v > 1)
		return false;
	*out = v == 1;
	return true;
}

bool cl_l1_abi_decode_append_batch(struct cl_l1_batch_args *out,
				   const uint8_t *p, size_t len)
{
	uint8_t sel[4], sel_assets[4];
	uint64_t off, n;
	size_t head;

	memset(out, 0, sizeof(*out));
	cl_l1_selector(sel, CL_L1_SIG_APPEND_BATCH);
	cl_l1_selector(sel_assets, CL_L1_SIG_APPEND_BATCH_WITH_ASSETS);
	if (len < 4)
		return false;
	if (memcmp(p, sel, 4) == 0)
		head = 8;
	else if (memcmp(p, sel_assets, 4) == 0)
		head = 9;
	else
		return false;
	if (len < 4 + (head + 1) * 32)
		return false;
	const uint8_t *w = p + 4;
	if (!word_u64(&off, w) || off != head * 32 ||
	    !word_u64(&out->deposits_consumed, w + 3 * 32) ||
	    !word_u64(&out->first_block, w + 4 * 32) ||
	    !word_u64(&out->last_block, w + 5 * 32) ||
	    !word_u64(&out->l1_timestamp, w + 6 * 32) ||
	    !word_u64(&out->forced_consumed, w + 7 * 32) ||
	    (head == 9 &&
	     !word_u64(&out->asset_deposits_consumed, w + 8 * 32)) ||
	    !word_u64(&n, w + head * 32))
		goto bad;
	out->with_assets = head == 9;
	memcpy(out->state_root.b, w + 32, 32);
	memcpy(out->withdrawal_root.b, w + 64, 32);
	size_t body = len - 4 - (head + 1) * 32;
	if (n > body || pad32((size_t)n) != body)
		goto bad;
	if (!zero(w + (head + 1) * 32 + n, body - (size_t)n))
		goto bad;
	out->data = w + (head + 1) * 32;
	out->data_len = (size_t)n;
	return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}

static bool topic_is(const struct cl_l1_log *log, const char *signature,
		     size_t n_topics, size_t data_len)
{
	struct cl_hash32 t;

	if (log->n_topics != n_topics || log->data_len != data_len)
		return false;
	cl_l1_event_topic(&t, signature);
	return cl_hash32_eq(&t, &log->topics[0]);
}

static void set_loc(struct cl_l1_event_loc *loc, const struct cl_l1_log *log)
{
	loc->block_number = log->block_number;
	loc->block_hash = log->block_hash;
	loc->tx_hash = log->tx_hash;
	loc->log_index = log->log_index;
}

bool cl_l1_decode_deposit(struct cl_l1_deposit *out,
			  const struct cl_l1_log *log)
{
	memset(out, 0, sizeof(*out));
	if (!topic_is(log, CL_L1_EV_DEPOSIT, 3, 64))
		return false;
	if (!word_u64(&out->id, log->topics[1].b) ||
	    !word_address(&out->to, log->topics[2].b) ||
	    !word_u64(&out->amount, log->data) ||
	    !word_u64(&out->timestamp, log->data + 32)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	set_loc(&out->loc, log);
	return true;
}

bool cl_l1_decode_forced(struct cl_l1_forced *out, const struct cl_l1_log *log)
{
	uint64_t kind;

	memset(out, 0, sizeof(*out));
	if (!topic_is(log, CL_L1_EV_FORCED_REQUEST, 3, 4 * 32))
		return false;
	if (!word_u64(&out->id, log->topics[1].b) ||
	    !word_address(&out->account, log->topics[2].b) ||
	    !word_u64(&kind, log->data) || kind > 0xff ||
	    !word_u64(&out->a, log->data + 32) ||
	    !word_u64(&out->b, log->data + 64) ||
	    !word_u64(&out->timestamp, log->data + 96)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->kind = (uint8_t)kind;
	set_loc(&out->loc, log);
	return true;
}

bool cl_l1_decode_batch_appended(struct cl_l1_batch_event *out,
				 const struct cl_l1_log *log)
{
	const uint8_t *d = log->data;

	memset(out, 0, sizeof(*out));
	if (!topic_is(log, CL_L1_EV_BATCH_APPENDED, 2, 9 * 32))
		return false;
	if (!word_u64(&out->index, log->topics[1].b) ||
	    !word_u64(&out->prev_deposits_consumed, d + 3 * 32) ||
	    !word_u64(&out->deposits_consumed, d + 4 * 32) ||
	    !word_u64(&out->first_block, d + 5 * 32) ||
	    !word_u64(&out->last_block, d + 6 * 32) ||
	    !word_u64(&out->timestamp, d + 7 * 32) ||
	    !word_u64(&out->l1_timestamp, d + 8 * 32)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	memcpy(out->data_hash.b, d, 32);
	memcpy(out->state_root.b, d + 32, 32);
	memcpy(out->withdrawal_root.b, d + 64, 32);
	set_loc(&out->loc, log);
	return true;
}

bool cl_l1_decode_batch_challenged(struct cl_l1_challenge_event *out,
				   const struct cl_l1_log *log)
{
	memset(out, 0, sizeof(*out));
	if (!topic_is(log, CL_L1_EV_BATCH_CHALLENGED, 3, 0))
		return false;
	if (!word_u64(&out->index, log->topics[1].b) ||
	    !word_address(&out->challenger, log->topics[2].b)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	set_loc(&out->loc, log);
	return true;
}

bool cl_l1_decode_batches_discarded(struct cl_l1_discard_event *out,
				    const struct cl_l1_log *log)
{
	memset(out, 0, sizeof(*out));
	if (!topic_is(log, CL_L1_EV_BATCHES_DISCARDED, 2, 32))
		return false;
	if (!word_u64(&out->from_index, log->topics[1].b) ||
	    !word_u64(&out->count, log->data)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	set_loc(&out->loc, log);
	return true;
}

/* ---- for the other ABI files of src/l1 (l1_int.h) ---- */

void l1_abi_selector(struct cl_buf *b, const char *signature)
{
	put_selector(b, signature);
}

void l1_abi_put_record(struct cl_buf *out, const struct cl_l1_batch_event *r)
{
	put_record(out, r);
}

bool l1_abi_word_u64(uint64_t *out, const uint8_t *w)
{
	return word_u64(out, w);
}

bool l1_abi_word_address(struct cl_address *out, const uint8_t *w)
{
	return word_address(out, w);
}

bool l1_abi_topic_is(const struct cl_l1_log *log, const char *signature,
		     size_t n_topics, size_t data_len)
{
	return topic_is(log, signature, n_topics, data_len);
}

void l1_abi_set_loc(struct cl_l1_event_loc *loc, const struct cl_l1_log *log)
{
	set_loc(loc, log);
}
