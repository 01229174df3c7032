/* SPDX-License-Identifier: MIT */
/*
 * The ABI of the dispute games by hand (include/clearline/l1.h, "ABI of
 * the dispute games"): the rollup's challenge, gameInput and resolve,
 * ClearlineDispute's moves and its game record, the preimage oracle,
 * and the rollup's GameOpened and GameResolved events. Pure functions.
 */
#include <string.h>

#include "l1_int.h"

static size_t pad32(size_t n)
{
	return (n + 31) & ~(size_t)31;
}

static void put_id(struct cl_buf *out, uint64_t id)
{
	cl_l1_abi_put_u64(out, id);
}

const char *cl_l1_game_phase_str(unsigned phase)
{
	switch (phase) {
	case CL_L1_PHASE_NONE:
		return "none";
	case CL_L1_PHASE_WAIT_DEFENDER:
		return "wait-defender";
	case CL_L1_PHASE_BISECT:
		return "bisect";
	case CL_L1_PHASE_STEP:
		return "step";
	case CL_L1_PHASE_OVER:
		return "over";
	}
	return "unknown";
}

static void put_records(struct cl_buf *out,
			const struct cl_l1_batch_event *rec,
			const struct cl_l1_batch_event *prev)
{
	static const struct cl_l1_batch_event none;

	l1_abi_put_record(out, rec);
	l1_abi_put_record(out, prev ? prev : &none);
}

void cl_l1_abi_game_challenge(struct cl_buf *out,
			      const struct cl_l1_batch_event *rec,
			      const struct cl_l1_batch_event *prev, uint32_t k,
			      const struct cl_hash32 *claim)
{
	l1_abi_selector(out, CL_L1_SIG_GAME_CHALLENGE);
	cl_l1_abi_put_u64(out, rec->index);
	cl_l1_abi_put_u64(out, k);
	put_records(out, rec, prev);
	cl_l1_abi_put_bytes32(out, claim);
}

void cl_l1_abi_game_input(struct cl_buf *out,
			  const struct cl_l1_batch_event *rec,
			  const struct cl_l1_batch_event *prev, uint32_t k)
{
	l1_abi_selector(out, CL_L1_SIG_GAME_INPUT);
	cl_l1_abi_put_u64(out, rec->index);
	cl_l1_abi_put_u64(out, k);
	put_records(out, rec, prev);
}

void cl_l1_abi_game_resolve(struct cl_buf *out, uint64_t game_id)
{
	l1_abi_selector(out, CL_L1_SIG_GAME_RESOLVE);
	put_id(out, game_id);
}

void cl_l1_abi_dispute_defend(struct cl_buf *out, uint64_t game_id,
			      const struct cl_hash32 *claim,
			      const struct cl_hash32 *mid)
{
	l1_abi_selector(out, CL_L1_SIG_DISPUTE_DEFEND);
	put_id(out, game_id);
	cl_l1_abi_put_bytes32(out, claim);
	cl_l1_abi_put_bytes32(out, mid);
}

void cl_l1_abi_dispute_move(struct cl_buf *out, uint64_t game_id, uint64_t lo,
			    uint64_t hi, bool agree,
			    const struct cl_hash32 *mid)
{
	l1_abi_selector(out, CL_L1_SIG_DISPUTE_MOVE);
	put_id(out, game_id);
	cl_l1_abi_put_u64(out, lo);
	cl_l1_abi_put_u64(out, hi);
	cl_l1_abi_put_bool(out, agree);
	cl_l1_abi_put_bytes32(out, mid);
}

/* A `bytes` argument in the tail: length, contents, zero padding. */
static void put_tail_bytes(struct cl_buf *out, const uint8_t *p, size_t len)
{
	static const uint8_t zeros[32];

	cl_l1_abi_put_u64(out, len);
	cl_buf_append(out, p, len);
	cl_buf_append(out, zeros, pad32(len) - len);
}

void cl_l1_abi_dispute_step(struct cl_buf *out, uint64_t game_id,
			    const uint8_t *proof, size_t len)
{
	l1_abi_selector(out, CL_L1_SIG_DISPUTE_STEP);
	put_id(out, game_id);
	cl_l1_abi_put_u64(out, 2 * 32);
	put_tail_bytes(out, proof, len);
}

void cl_l1_abi_dispute_timeout(struct cl_buf *out, uint64_t game_id)
{
	l1_abi_selector(out, CL_L1_SIG_DISPUTE_TIMEOUT);
	put_id(out, game_id);
}

void cl_l1_abi_dispute_game(struct cl_buf *out, uint64_t game_id)
{
	l1_abi_selector(out, CL_L1_SIG_DISPUTE_GAME);
	put_id(out, game_id);
}

void cl_l1_abi_preimage_post(struct cl_buf *out, const uint8_t *data,
			     size_t len)
{
	l1_abi_selector(out, CL_L1_SIG_PREIMAGE_POST);
	cl_l1_abi_put_u64(out, 32);
	put_tail_bytes(out, data, len);
}

void cl_l1_abi_preimage_length_of(struct cl_buf *out,
				  const struct cl_hash32 *key)
{
	l1_abi_selector(out, CL_L1_SIG_PREIMAGE_LENGTH_OF);
	cl_l1_abi_put_bytes32(out, key);
}

void cl_l1_abi_call0(struct cl_buf *out, const char *signature)
{
	l1_abi_selector(out, signature);
}

/* ---- return data ---- */

static bool word_u8(uint8_t *out, const uint8_t *w)
{
	uint64_t v;

	*out = 0;
	if (!l1_abi_word_u64(&v, w) || v > 0xff)
		return false;
	*out = (uint8_t)v;
	return true;
}

bool cl_l1_abi_ret_game(struct cl_l1_game *out, const uint8_t *p, size_t len)
{
	const uint8_t *w = p;

	memset(out, 0, sizeof(*out));
	if (len != CL_L1_GAME_WORDS * 32)
		return false;
	if (!l1_abi_word_address(&out->challenger, w) ||
	    !l1_abi_word_u64(&out->challenger_clock, w + 32) ||
	    !word_u8(&out->phase, w + 2 * 32) ||
	    !word_u8(&out->turn, w + 3 * 32) ||
	    !word_u8(&out->hi_owner, w + 4 * 32) ||
	    !word_u8(&out->winner, w + 5 * 32) ||
	    !l1_abi_word_address(&out->defender, w + 6 * 32) ||
	    !l1_abi_word_u64(&out->defender_clock, w + 7 * 32) ||
	    !l1_abi_word_u64(&out->lo, w + 8 * 32) ||
	    !l1_abi_word_u64(&out->hi, w + 9 * 32) ||
	    !l1_abi_word_u64(&out->since, w + 10 * 32) ||
	    !l1_abi_word_u64(&out->steps, w + 11 * 32))
		goto bad;
	memcpy(out->pre.b, w + 12 * 32, 32);
	memcpy(out->lo_hash.b, w + 13 * 32, 32);
	memcpy(out->hi_hash.b, w + 14 * 32, 32);
	memcpy(out->mid_hash.b, w + 15 * 32, 32);
	memcpy(out->defender_claim.b, w + 16 * 32, 32);
	memcpy(out->challenger_claim.b, w + 17 * 32, 32);
	uint64_t zv;
	if (!l1_abi_word_address(&out->creator, w + 18 * 32) ||
	    !l1_abi_word_u64(&zv, w + 19 * 32) || zv > 1)
		goto bad;
	out->zero_verdict = zv == 1;
	return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}

bool cl_l1_abi_ret_bytes(const uint8_t **data, size_t *data_len,
			 const uint8_t *p, size_t len)
{
	uint64_t off, n;

	*data = NULL;
	*data_len = 0;
	if (len < 64 || !l1_abi_word_u64(&off, p) || off != 32 ||
	    !l1_abi_word_u64(&n, p + 32) || n > len - 64 ||
	    pad32((size_t)n) != len - 64)
		return false;
	for (size_t i = 64 + (size_t)n; i < len; i++)
		if (p[i])
			return false;
	*data = p + 64;
	*data_len = (size_t)n;
	return true;
}

bool cl_l1_abi_ret_length_of(bool *posted, uint64_t *length, const uint8_t *p,
			     size_t len)
{
	uint64_t b;

	*posted = false;
	*length = 0;
	if (len != 64 || !l1_abi_word_u64(&b, p) || b > 1 ||
	    !l1_abi_word_u64(length, p + 32)) {
		*length = 0;
		return false;
	}
	*posted = b == 1;
	return true;
}

bool cl_l1_abi_ret_address(struct cl_address *out, const uint8_t *p,
			   size_t len)
{
	memset(out, 0, sizeof(*out));
	return len == 32 && l1_abi_word_address(out, p);
}

/* ---- events ---- */

bool cl_l1_decode_game_opened(struct cl_l1_game_opened *out,
			      const struct cl_l1_log *log)
{
	uint64_t k;

	memset(out, 0, sizeof(*out));
	if (!l1_abi_topic_is(log, CL_L1_EV_GAME_OPENED, 4, 32))
		return false;
	if (!l1_abi_word_u64(&out->batch, log->topics[1].b) ||
	    !l1_abi_word_u64(&out->game_id, log->topics[2].b) ||
	    !l1_abi_word_address(&out->challenger, log->topics[3].b) ||
	    !l1_abi_word_u64(&k, log->data) || k > UINT32_MAX) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->k = (uint32_t)k;
	l1_abi_set_loc(&out->loc, log);
	return true;
}

bool cl_l1_decode_game_resolved(struct cl_l1_game_resolved *out,
				const struct cl_l1_log *log)
{
	uint64_t b;

	memset(out, 0, sizeof(*out));
	if (!l1_abi_topic_is(log, CL_L1_EV_GAME_RESOLVED, 3, 32))
		return false;
	if (!l1_abi_word_u64(&out->batch, log->topics[1].b) ||
	    !l1_abi_word_u64(&out->game_id, log->topics[2].b) ||
	    !l1_abi_word_u64(&b, log->data) || b > 1) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->challenger_wins = b == 1;
	l1_abi_set_loc(&out->loc, log);
	return true;
}
