/* SPDX-License-Identifier: MIT */
/*
 * Batch records on L1: the contract keeps one commitment per batch and
 * emits the record in full in BatchAppended (docs/l1.md "Batches"). Here
 * a record read from an event is checked against the stored commitment,
 * and the live record of a batch is found among its events.
 */
#include <string.h>

#include "l1_int.h"

/* A view taking at most one uint64 and returning one word. */
static int view_word(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		     uint8_t out[32], const char *sig, bool has_arg,
		     uint64_t arg)
{
	struct cl_buf cd, ret;
	uint8_t sel[4];

	memset(out, 0, 32);
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (has_arg)
		cl_l1_abi_put_u64(&cd, arg);
	struct cl_l1_callreq req = {.to = rollup, .data = cd.p,
				    .data_len = cd.len};
	int rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	if (!rc && ret.len != 32)
		rc = CL_L1_MALFORMED;
	if (!rc)
		memcpy(out, ret.p, 32);
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

/* The stored commitment of batch `index`; *exists false past batchCount. */
static int stored_commitment(struct cl_l1_rpc *rpc,
			     const struct cl_address *rollup, bool *exists,
			     struct cl_hash32 *out, uint64_t index)
{
	uint8_t w[32];
	uint64_t count;

	*exists = false;
	memset(out, 0, sizeof(*out));
	int rc = view_word(rpc, rollup, w, CL_L1_SIG_BATCH_COUNT, false, 0);
	if (rc)
		return rc;
	if (!cl_l1_abi_ret_u64(&count, w, 32))
		return CL_L1_MALFORMED;
	if (index >= count)
		return CL_OK;
	rc = view_word(rpc, rollup, out->b, CL_L1_SIG_BATCH_COMMITMENT, true,
		       index);
	*exists = rc == CL_OK;
	return rc;
}

int cl_l1_batch_live(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		     bool *live, const struct cl_l1_batch_event *ev)
{
	struct cl_hash32 stored, mine;
	bool exists;

	*live = false;
	int rc = stored_commitment(rpc, rollup, &exists, &stored, ev->index);
	if (rc || !exists)
		return rc;
	cl_l1_batch_commitment(&mine, ev);
	*live = cl_hash32_eq(&stored, &mine);
	return CL_OK;
}

/* The live record of `index` among the events of blocks [lo, hi], newest
 * first: CL_OK, CL_ERR_NOT_FOUND or an RPC code. */
static int find_in(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		   struct cl_l1_batch_event *out, uint64_t index,
		   const struct cl_hash32 *stored, uint64_t lo, uint64_t hi)
{
	struct cl_l1_filter f = {
	    .has_address = true,
	    .address = *rollup,
	    .n_topics = 2,
	    .from_block = lo,
	    .to_block = hi,
	};
	struct cl_l1_logs logs;

	cl_l1_event_topic(&f.topics[0], CL_L1_EV_BATCH_APPENDED);
	cl_put_be64(f.topics[1].b + 24, index);
	int rc = cl_l1_eth_get_logs(rpc, &logs, &f);
	if (rc)
		return rc;
	rc = CL_ERR_NOT_FOUND;
	for (size_t i = logs.n; i-- > 0;) {
		struct cl_l1_batch_event ev;
		struct cl_hash32 c;
		if (logs.v[i].removed ||
		    !cl_address_eq(&logs.v[i].address, rollup) ||
		    !cl_l1_decode_batch_appended(&ev, &logs.v[i]) ||
		    ev.index != index)
			continue;
		cl_l1_batch_commitment(&c, &ev);
		if (cl_hash32_eq(&c, stored)) {
			*out = ev;
			rc = CL_OK;
			break;
		}
	}
	cl_l1_logs_release(&logs);
	return rc;
}

/*
 * The first block in [lo, hi] whose timestamp is at least `ts` (block
 * timestamps grow with the number): a binary search, about log2(hi - lo)
 * block reads. *found false when none is.
 */
static int block_at_time(struct cl_l1_rpc *rpc, uint64_t *out, bool *found,
			 uint64_t lo, uint64_t hi, uint64_t ts)
{
	*found = false;
	*out = 0;
	uint64_t a = lo, b = hi + 1; /* the answer is in [a, b] */
	while (a < b) {
		uint64_t mid = a + (b - a) / 2;
		struct cl_l1_block blk;
		bool got = false;
		int rc = cl_l1_eth_block_by_number(rpc, &blk, &got, mid);
		if (rc)
			return rc;
		if (!got)
			return CL_ERR_NOT_FOUND; /* moved under us */
		if (blk.timestamp >= ts)
			b = mid;
		else
			a = mid + 1;
	}
	*found = a <= hi;
	*out = a;
	return CL_OK;
}

int cl_l1_batch_record(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		       struct cl_l1_batch_event *out, uint64_t index,
		       uint64_t from_block, uint64_t range)
{
	struct cl_hash32 stored;
	bool exists;
	uint64_t head;

	memset(out, 0, sizeof(*out));
	if (range == 0)
		range = 10000;
	int rc = stored_commitment(rpc, rollup, &exists, &stored, index);
	if (rc)
		return rc;
	if (!exists)
		return CL_ERR_NOT_FOUND;
	rc = cl_l1_eth_block_number(rpc, &head);
	if (rc)
		return rc;
	if (from_block > head)
		return CL_ERR_NOT_FOUND;
	/* the commitment keeps the append's timestamp (low 32 bits): the
	 * first block at that time holds the event, found in about log2 of
	 * the chain's length block reads */
	uint64_t ts = cl_get_be32(stored.b + 28), at;
	bool found;
	rc = block_at_time(rpc, &at, &found, from_block, head, ts);
	if (rc && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (!rc && found) {
		uint64_t hi = at + 1 <= head ? at + 1 : head;
		rc = find_in(rpc, rollup, out, index, &stored, at, hi);
		if (rc != CL_ERR_NOT_FOUND)
			return rc;
	}
	/* else every range, newest first (a chain whose timestamps do not
	 * fit in 32 bits any more, or one that moved under us) */
	for (uint64_t hi = head; hi >= from_block;) {
		uint64_t lo = hi - from_block + 1 > range ? hi - range + 1
							  : from_block;
		rc = find_in(rpc, rollup, out, index, &stored, lo, hi);
		if (rc != CL_ERR_NOT_FOUND)
			return rc;
		if (lo == from_block || lo == 0)
			break;
		hi = lo - 1;
	}
	return CL_ERR_NOT_FOUND;
}
