/* SPDX-License-Identifier: MIT */
/*
 * Pruning of block records: once a batch is final on L1 (its challenge
 * period passed with no open game, finalizedBatchCount) nothing can
 * discard it, so the sequencer never cuts, posts or defends its blocks
 * again, and their requests are on L1 for good. The writer then drops
 * the requests from those blocks' records, keeping each header (its
 * prev_root gives the root after the block before): the records stop
 * growing with every order ever placed. A few records go with each
 * sealed block, in its commit, behind a cursor in the chain's table.
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdatomic.h>

static const char *const SUB = "seq";

void cl_seq_set_final_batches(struct cl_seq *s, uint64_t count)
{
	pthread_mutex_lock(&s->l1_lock);
	/* final batches stay final: a smaller count read from a lagging L1
	 * node changes nothing already pruned, nor anything to come */
	if (count > s->l1_final)
		s->l1_final = count;
	pthread_mutex_unlock(&s->l1_lock);
}

/* The last block of the final batches (s->prune_target) for `final`
 * final batches, from the cut of batch final - 1. */
static int find_target(struct cl_seq *s, uint64_t final)
{
	struct cl_snapshot *snap;
	struct cl_batch_cut c;

	int rc = cl_snapshot_new(&snap, s->db);
	if (rc)
		return rc;
	rc = cl_chain_get_cut(snap, &c, final - 1);
	cl_snapshot_free(snap);
	if (rc)
		return rc;
	if (c.last_block >= s->cut_first)
		return CL_ERR_CORRUPT; /* a final batch not cut yet here */
	s->prune_final = final;
	s->prune_target = c.last_block;
	return CL_OK;
}

void seq_prune_blocks(struct cl_seq *s)
{
	s->prune_pending = s->pruned_through;
	s->prune_bytes = 0;
	if (s->cfg.archive_blocks || s->cfg.prune_per_block == 0)
		return;
	pthread_mutex_lock(&s->l1_lock);
	uint64_t final = s->l1_final;
	pthread_mutex_unlock(&s->l1_lock);
	if (final == 0)
		return;
	if (final != s->prune_final) {
		int rc = find_target(s, final);
		if (rc) {
			/* said once per final count: tried again when it
			 * moves */
			cl_unusual(SUB,
				   "L1 says %llu batches are final, but batch "
				   "%llu's cut cannot be read here (%s): block "
				   "records are not pruned past block %llu",
				   (unsigned long long)final,
				   (unsigned long long)(final - 1),
				   cl_err_str(rc),
				   (unsigned long long)s->pruned_through);
			s->prune_final = final;
			s->prune_target = s->pruned_through;
			return;
		}
	}
	/* s->hdr.number is the block being sealed */
	uint64_t head = s->hdr.number;
	if (head <= s->cfg.keep_blocks)
		return;
	uint64_t limit = s->prune_target;
	if (limit > head - s->cfg.keep_blocks - 1)
		limit = head - s->cfg.keep_blocks - 1;
	if (limit <= s->pruned_through)
		return;
	uint64_t last = s->pruned_through;
	size_t bytes = 0;
	while (last < limit && last - s->pruned_through < s->cfg.prune_per_block) {
		size_t dropped;
		int rc = cl_chain_prune_block(s->st, last + 1, &dropped);
		if (rc) {
			cl_unusual(SUB, "cannot prune the record of block %llu: "
				   "%s; pruning stops there",
				   (unsigned long long)(last + 1),
				   cl_err_str(rc));
			s->prune_target = last; /* until the final count moves */
			break;
		}
		bytes += dropped;
		last++;
	}
	if (last == s->pruned_through)
		return;
	cl_chain_put_pruned(s->st, last);
	s->prune_pending = last;
	s->prune_bytes = bytes;
	cl_debug(SUB, "block records %llu..%llu: requests dropped (%zu bytes)",
		 (unsigned long long)(s->pruned_through + 1),
		 (unsigned long long)last, bytes);
}

void seq_prune_done(struct cl_seq *s, bool committed)
{
	if (committed && s->prune_pending != s->pruned_through &&
	    s->prune_pending == s->prune_target)
		cl_info(SUB,
			"block records up to %llu keep their headers only: "
			"the %llu batches up to it are final on L1, which "
			"holds their requests",
			(unsigned long long)s->prune_pending,
			(unsigned long long)s->prune_final);
	if (committed && s->prune_pending != s->pruned_through) {
		s->pruned_through = s->prune_pending;
		atomic_store_explicit(&s->ctr.pruned_through, s->pruned_through,
				      memory_order_relaxed);
		atomic_fetch_add_explicit(&s->ctr.pruned_bytes, s->prune_bytes,
					  memory_order_relaxed);
	}
	s->prune_pending = s->pruned_through;
	s->prune_bytes = 0;
}
