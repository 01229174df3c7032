/* SPDX-License-Identifier: MIT */
/*
 * Faults and the challenge: record the first wrong thing found (one
 * broken log line) and drive challenge(batchIndex) on L1 with the bond
 * while the batch is still live and unchallenged.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

int ver_record_fault(struct cl_verifier *v,
		     const struct cl_l1_batch_event *ev,
		     const struct fault_at *at, const char *fmt, ...)
{
	struct cl_chain_fault *f = &v->fault;
	va_list ap;
	char blk[32] = "unknown", txs[32] = "unknown";
	char er[67] = "none", pr[67] = "none";

	memset(f, 0, sizeof(*f));
	f->set = true;
	f->batch = ev->index;
	f->data_hash = ev->data_hash;
	f->l1_block = ev->loc.block_number;
	f->has_block = at->has_block;
	f->block = at->block;
	f->has_tx = at->has_tx;
	f->tx = at->tx;
	f->has_roots = at->has_roots;
	if (at->expected)
		f->expected = *at->expected;
	if (at->posted)
		f->posted = *at->posted;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	if (at->has_block)
		snprintf(blk, sizeof(blk), "%llu",
			 (unsigned long long)at->block);
	if (at->has_tx)
		snprintf(txs, sizeof(txs), "%llu", (unsigned long long)at->tx);
	if (at->expected)
		ver_hexroot(er, at->expected);
	if (at->posted)
		ver_hexroot(pr, at->posted);
	cl_broken(SUB,
		  "batch %llu is wrong: %s (block %s, tx %s, derived "
		  "root %s, posted root %s)",
		  (unsigned long long)ev->index, f->reason, blk, txs, er, pr);
	v->challenge_retry_ns = 0;
	ver_publish_head(v);
	return STEP_FAULT;
}

static int open_sender(struct cl_verifier *v)
{
	struct cl_l1_sender_opts so;

	if (v->sender)
		return CL_OK;
	cl_l1_sender_opts_default(&so);
	so.confirmations = v->cfg.confirmations;
	so.max_fee_ceiling = v->cfg.max_fee_wei;
	if (v->cfg.drop_timeout_ms)
		so.drop_timeout_ms = v->cfg.drop_timeout_ms;
	return cl_l1_sender_open(&v->sender, v->rpc, v->cfg.key, v->datadir,
				 v->genesis.l1_chain_id, &so);
}

static void challenge_done(struct cl_verifier *v, bool ok)
{
	v->challenge_inflight = false;
	if (ok)
		v->fault.challenged = true;
	else
		v->fault.challenge_failed = true;
	ver_publish_head(v);
}

/* Drive the challenge of the recorded fault: one submit, then steps. */
void ver_challenge_step(struct cl_verifier *v)
{
	struct cl_chain_fault *f = &v->fault;
	int rc;

	if (!f->set || f->challenged || f->challenge_failed)
		return;
	if (!v->cfg.key) {
		if (!v->warned_no_key)
			cl_unusual(SUB,
				   "no l1 key: batch %llu is not "
				   "challenged (set l1-keystore)",
				   (unsigned long long)f->batch);
		v->warned_no_key = true;
		return;
	}
	if (cl_clock_mono_ns() < v->challenge_retry_ns)
		return;
	if (v->challenge_inflight) {
		rc = cl_l1_sender_step(v->sender);
		if (rc)
			return;
		const struct cl_l1_tx *t =
		    cl_l1_sender_get(v->sender, v->challenge_id);
		if (!t) {
			challenge_done(v, false);
			return;
		}
		if (t->state == CL_L1_TX_CONFIRMED) {
			if (t->success)
				cl_info(SUB,
					"challenge of batch %llu confirmed "
					"in l1 block %llu",
					(unsigned long long)f->batch,
					(unsigned long long)t->block_number);
			else
				cl_unusual(SUB,
					   "challenge of batch %llu "
					   "reverted on l1",
					   (unsigned long long)f->batch);
			bool ok = t->success;
			if (cl_l1_sender_forget(v->sender, v->challenge_id))
				cl_debug(SUB, "cannot forget the challenge");
			challenge_done(v, ok);
		} else if (t->state == CL_L1_TX_FAILED) {
			cl_unusual(SUB,
				   "challenge of batch %llu failed: its "
				   "nonce was taken",
				   (unsigned long long)f->batch);
			if (cl_l1_sender_forget(v->sender, v->challenge_id))
				cl_debug(SUB, "cannot forget the challenge");
			challenge_done(v, false);
		}
		return;
	}

	v->challenge_retry_ns = cl_clock_mono_ns() + 2000000000ull;
	/* live: the batch's record on L1 is the event flagged (and the
	 * challenge carries that record) */
	struct cl_l1_batch_event rec;
	rc = cl_l1_batch_record(v->rpc, &v->genesis.rollup, &rec, f->batch,
				f->l1_block, 0);
	if (rc && rc != CL_ERR_NOT_FOUND)
		return;
	bool live = !rc && cl_hash32_eq(&rec.data_hash, &f->data_hash) &&
		    rec.loc.block_number == f->l1_block;
	if (!live) {
		cl_info(SUB, "batch %llu is no longer on l1: no challenge",
			(unsigned long long)f->batch);
		challenge_done(v, false);
		return;
	}
	struct cl_buf ret;
	cl_buf_init(&ret);
	rc = ver_view_call(v->rpc, &v->genesis.rollup, &ret,
			   "challengerOf(uint64)",
			   true, f->batch);
	if (!rc && ret.len == 32) {
		bool zero = true;
		for (size_t i = 0; i < 32; i++)
			zero &= ret.p[i] == 0;
		if (!zero) {
			struct cl_address who;
			char a[CL_ADDRESS_STR_LEN + 1];
			memcpy(who.b, ret.p + 12, 20);
			cl_address_format(a, &who);
			cl_info(SUB, "batch %llu is already challenged by %s",
				(unsigned long long)f->batch, a);
			cl_buf_release(&ret);
			challenge_done(v, true);
			return;
		}
	}
	cl_buf_reset(&ret);
	uint8_t bond[32];
	rc = ver_view_call(v->rpc, &v->genesis.rollup, &ret, "challengeBond()",
			   false, 0);
	if (!rc && ret.len != 32)
		rc = CL_ERR_CORRUPT;
	if (rc) {
		cl_buf_release(&ret);
		return;
	}
	memcpy(bond, ret.p, 32);
	cl_buf_release(&ret);
	rc = open_sender(v);
	if (rc) {
		cl_unusual(SUB, "cannot open the challenger's l1 sender: %s",
			   cl_l1_err_str(rc));
		return;
	}
	struct cl_buf cd;
	cl_buf_init(&cd);
	cl_l1_abi_challenge(&cd, &rec);
	struct cl_l1_txreq req = {.to = &v->genesis.rollup,
				  .value = bond,
				  .data = cd.p,
				  .data_len = cd.len};
	rc = cl_l1_sender_submit(v->sender, &v->challenge_id, &req);
	cl_buf_release(&cd);
	if (rc) {
		cl_unusual(SUB,
			   "cannot send the challenge of batch %llu: %s; "
			   "retrying",
			   (unsigned long long)f->batch, cl_l1_err_str(rc));
		return;
	}
	v->challenge_inflight = true;
	v->challenge_retry_ns = 0;
	char a[CL_ADDRESS_STR_LEN + 1];
	struct cl_address me;
	cl_l1_sender_address(v->sender, &me);
	cl_address_format(a, &me);
	cl_info(SUB, "challenge of batch %llu sent from %s",
		(unsigned long long)f->batch, a);
}

