/* SPDX-License-Identifier: MIT */
/*
 * Faults: record the first wrong thing found (one broken log line); the
 * game against it is ver_game.c's.
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
