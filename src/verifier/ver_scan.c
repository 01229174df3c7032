/* SPDX-License-Identifier: MIT */
/*
 * Following L1: poll the contract's counters, scan its confirmed logs in
 * bounded ranges, check the anchor of the last verified batch against
 * reorgs, and hand each log to its handler (deposits, batches,
 * discards, challenges). Also the contract's view calls.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

int ver_view_call(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		  struct cl_buf *ret, const char *sig, bool has_arg,
		  uint64_t arg)
{
	struct cl_buf cd;
	uint8_t sel[4];

	cl_buf_init(&cd);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (has_arg)
		cl_l1_abi_put_u64(&cd, arg);
	struct cl_l1_callreq req = {
	    .to = rollup, .data = cd.p, .data_len = cd.len};
	int rc = cl_l1_eth_call(rpc, ret, &req, CL_L1_LATEST);
	cl_buf_release(&cd);
	return rc;
}

int ver_view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		 const char *sig, uint64_t *out)
{
	struct cl_buf ret;
	cl_buf_init(&ret);
	int rc = ver_view_call(rpc, rollup, &ret, sig, false, 0);
	if (!rc && !cl_l1_abi_ret_u64(out, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&ret);
	return rc;
}

/*
 * Is batch ev->index on L1 now the one this BatchAppended appended? After
 * a discard the sequencer may post the same data again, so the data hash
 * alone does not say; the contract's commitment covers the whole record,
 * timestamp included (cl_l1_batch_live).
 */
int ver_batch_live(struct cl_verifier *v, bool *live,
		   const struct cl_l1_batch_event *ev)
{
	return cl_l1_batch_live(v->rpc, &v->genesis.rollup, live, ev);
}

static bool before_skip(const struct cl_verifier *v, const struct cl_l1_log *l)
{
	if (!v->skip_set)
		return false;
	if (l->block_number != v->skip_block)
		return l->block_number < v->skip_block;
	return l->log_index <= v->skip_log;
}

/* One confirmed log of the rollup. STEP_OK to go on; STEP_RESTART; or a
 * negative error (the range is read again next round). */
static int on_log(struct cl_verifier *v, const struct cl_l1_log *l)
{
	struct cl_l1_deposit d;
	struct cl_l1_batch_event ev;
	struct cl_l1_discard_event de;
	struct cl_l1_game_opened go;

	if (l->removed || before_skip(v, l))
		return STEP_OK;
	if (cl_l1_decode_deposit(&d, l))
		return ver_deps_add(v, &d, false);
	struct cl_l1_forced fr;
	if (cl_l1_decode_forced(&fr, l))
		return ver_forced_add(v, &fr);
	if (cl_l1_decode_batches_discarded(&de, l)) {
		cl_info(SUB, "l1 discarded batches from %llu (%llu of them)",
			(unsigned long long)de.from_index,
			(unsigned long long)de.count);
		if (de.from_index < v->cur.next_batch) {
			v->wipe_requested = true;
			return STEP_RESTART;
		}
		if (v->fault.set && de.from_index <= v->fault.batch) {
			cl_info(SUB,
				"the faulty batch %llu was discarded: "
				"deriving goes on",
				(unsigned long long)v->fault.batch);
			memset(&v->fault, 0, sizeof(v->fault));
			ver_game_reset(v);
			ver_publish_head(v);
		}
		return STEP_OK;
	}
	if (cl_l1_decode_game_opened(&go, l)) {
		char a[CL_ADDRESS_STR_LEN + 1];
		cl_address_format(a, &go.challenger);
		if (go.batch < v->cur.next_batch)
			cl_unusual(SUB,
				   "batch %llu, which verified here, is "
				   "disputed by %s (game %llu, block %u)",
				   (unsigned long long)go.batch, a,
				   (unsigned long long)go.game_id, go.k);
		else
			cl_info(SUB, "batch %llu is disputed by %s (game %llu, "
				     "block %u)",
				(unsigned long long)go.batch, a,
				(unsigned long long)go.game_id, go.k);
		return STEP_OK;
	}
	if (!cl_l1_decode_batch_appended(&ev, l))
		return STEP_OK;
	if (ev.index < v->cur.next_batch)
		return STEP_OK;
	if (v->fault.set) {
		/* nothing after a fault is applied */
		return STEP_OK;
	}
	if (ev.index > v->cur.next_batch) {
		bool live = false;
		int rc = ver_batch_live(v, &live, &ev);
		if (rc)
			return rc;
		if (!live)
			return STEP_OK;
		cl_unusual(SUB, "batch %llu appeared before batch %llu",
			   (unsigned long long)ev.index,
			   (unsigned long long)v->cur.next_batch);
		return CL_ERR_CORRUPT;
	}
	int rc = ver_verify_batch(v, &ev);
	if (rc == STEP_SKIP || rc == STEP_FAULT)
		return STEP_OK;
	return rc;
}

/* Deep-reorg check: the L1 block of the last verified batch must still
 * be canonical. */
int ver_check_anchor(struct cl_verifier *v)
{
	struct cl_l1_block b;
	bool found = false;

	if (v->cur.next_batch == 0)
		return STEP_OK;
	int rc = cl_l1_eth_block_by_number(v->rpc, &b, &found, v->cur.l1_block);
	if (rc)
		return rc;
	if (found && cl_hash32_eq(&b.hash, &v->cur.l1_hash))
		return STEP_OK;
	v->wipe_requested = true;
	cl_unusual(SUB,
		   "l1 block %llu, which holds batch %llu, left the "
		   "chain (a reorg deeper than %llu confirmations)",
		   (unsigned long long)v->cur.l1_block,
		   (unsigned long long)v->cur.next_batch - 1,
		   (unsigned long long)v->cfg.confirmations);
	return STEP_RESTART;
}

/* Scan up to a few ranges of confirmed L1 blocks. *more is set when
 * there is more to scan right away. */
int ver_scan(struct cl_verifier *v, bool *more)
{
	struct cl_l1_filter f;
	struct cl_l1_logs logs;
	struct cl_l1_block endb, endb2, prevb;
	bool found;
	int rc;

	*more = false;
	if (v->l1_head + 1 < v->cfg.confirmations)
		return CL_OK;
	uint64_t safe = v->l1_head + 1 - v->cfg.confirmations;
	for (int r = 0; r < 4 && v->scan_next <= safe; r++) {
		if (ver_stopping(v))
			return CL_OK;
		uint64_t from = v->scan_next;
		uint64_t to = safe - from + 1 > v->cfg.log_range
				  ? from + v->cfg.log_range - 1
				  : safe;
		/* the block before the range must be the one scanned */
		bool zero = true;
		for (size_t i = 0; i < 32; i++)
			zero &= v->scan_prev.b[i] == 0;
		if (!zero && from > 0) {
			rc = cl_l1_eth_block_by_number(v->rpc, &prevb, &found,
						       from - 1);
			if (rc)
				return rc;
			if (!found ||
			    !cl_hash32_eq(&prevb.hash, &v->scan_prev)) {
				cl_unusual(SUB,
					   "l1 reorg below block %llu "
					   "(deeper than the depth): "
					   "scanning again",
					   (unsigned long long)from);
				rc = ver_check_anchor(v);
				if (rc)
					return rc;
				ver_deps_clear(v);
				return ver_load_cursor(v);
			}
		}
		rc = cl_l1_eth_block_by_number(v->rpc, &endb, &found, to);
		if (!rc && !found)
			rc = CL_ERR_NOT_FOUND;
		if (rc)
			return rc;
		memset(&f, 0, sizeof(f));
		f.has_address = true;
		f.address = v->genesis.rollup;
		f.from_block = from;
		f.to_block = to;
		rc = cl_l1_eth_get_logs(v->rpc, &logs, &f);
		if (rc)
			return rc;
		rc = cl_l1_eth_block_by_number(v->rpc, &endb2, &found, to);
		if (!rc && (!found || !cl_hash32_eq(&endb.hash, &endb2.hash)))
			rc = CL_ERR_NOT_FOUND; /* moved during the query */
		for (size_t i = 0; i < logs.n && !rc; i++) {
			if (!cl_address_eq(&logs.v[i].address,
					   &v->genesis.rollup))
				continue;
			v->scan_rest = &logs.v[i + 1];
			v->scan_rest_n = logs.n - i - 1;
			rc = on_log(v, &logs.v[i]);
			v->scan_rest = NULL;
			v->scan_rest_n = 0;
			if (rc == STEP_OK && ver_stopping(v))
				rc = CL_ERR_BUSY;
		}
		cl_l1_logs_release(&logs);
		if (rc)
			return rc;
		v->scan_next = to + 1;
		v->scan_prev = endb.hash;
		v->skip_set = false;
	}
	*more = v->scan_next <= safe;
	return CL_OK;
}

int ver_poll_l1(struct cl_verifier *v)
{
	uint64_t head, count, final, next;
	int rc = cl_l1_eth_block_number(v->rpc, &head);
	if (!rc)
		rc = ver_view_u64(v->rpc, &v->genesis.rollup, "batchCount()",
				  &count);
	if (!rc)
		rc = ver_view_u64(v->rpc, &v->genesis.rollup,
				  "finalizedBatchCount()", &final);
	if (!rc)
		rc = ver_view_u64(v->rpc, &v->genesis.rollup, "nextL2Block()",
				  &next);
	if (!rc) {
		v->l1_head = head;
		v->batch_count = count;
		v->final_count = final;
		v->next_l2_block = next;
	}
	ver_publish_l1(v, rc == CL_OK);
	return rc;
}
