/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's side of the read interface (struct cl_chain_reader):
 * the RPC methods read a sequencer through it, as they read a verifier.
 */
#include "seq_int.h"

#include <string.h>

/* The reader's object: the sequencer and its L1 driver (or NULL). */
struct seq_reader {
	struct cl_seq *s;
	struct cl_l1_driver *l1;
};

static int r_block_root(void *impl, struct cl_hash32 *out, uint64_t number)
{
	struct seq_reader *r = impl;
	return cl_seq_block_root(r->s, out, number);
}

static bool r_has_books(void *impl)
{
	(void)impl;
	return true;
}

static size_t r_book_depth(void *impl, struct book_level *out, size_t max,
			   uint32_t market, enum book_side side)
{
	struct seq_reader *r = impl;
	return cl_seq_book_depth(r->s, out, max, market, side);
}

/* The head from a fresh snapshot; L1 from the driver; the queue. */
static int r_sync(void *impl, struct cl_chain_sync *out)
{
	struct seq_reader *r = impl;
	struct cl_stf_view v;
	struct cl_stf_globals g;

	int rc = cl_seq_view(r->s, &v);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&v, &g);
	if (!rc)
		rc = cl_snapshot_root(v.snapshot, &out->head_root);
	cl_seq_view_release(&v);
	if (rc)
		return rc;
	out->head_block = g.block_number;
	out->head_timestamp_ms = g.block_timestamp_ms;
	if (r->l1) {
		struct cl_l1_status ls;
		cl_l1_driver_status(r->l1, &ls);
		out->l1_attached = true;
		out->l1_reachable = ls.reachable;
		out->l1_head = ls.l1_head;
		out->l1_scanned = ls.l1_scanned;
		out->has_posted = ls.batches_posted > 0;
		out->posted_batch =
		    ls.batches_posted ? ls.batches_posted - 1 : 0;
		out->has_final = ls.batches_final > 0;
		out->finalized_batch =
		    ls.batches_final ? ls.batches_final - 1 : 0;
		out->has_posting = true;
		out->deposits_credited = ls.deposits_credited;
		out->forced_applied = ls.forced_applied;
		out->asset_deposits_credited = ls.asset_deposits_credited;
		out->posting = ls.posting;
		memcpy(out->post_error, ls.post_error, sizeof(out->post_error));
		out->post_error[sizeof(out->post_error) - 1] = 0;
		out->post_failures = ls.post_failures;
		out->has_games = ls.has_games;
		out->n_games = ls.n_games;
		memcpy(out->games, ls.games, sizeof(out->games));
	}
	struct cl_seq_status st;
	cl_seq_status(r->s, &st);
	out->has_queue = true;
	out->queued = st.queued;
	return CL_OK;
}

static const struct cl_address *r_rollup(void *impl)
{
	struct seq_reader *r = impl;
	return r->l1 ? cl_l1_driver_rollup(r->l1) : NULL;
}

static int r_is_claimed(void *impl, bool *claimed, uint64_t wid)
{
	struct seq_reader *r = impl;
	*claimed = false;
	if (!r->l1)
		return CL_ERR_NOT_FOUND;
	return cl_l1_driver_is_claimed(r->l1, claimed, wid);
}

static int r_batch_record(void *impl, struct cl_l1_batch_event *out,
			  uint64_t index)
{
	struct seq_reader *r = impl;
	if (!r->l1)
		return CL_ERR_NOT_FOUND;
	return cl_l1_driver_batch_record(r->l1, out, index);
}

static const struct cl_chain_reader_ops seq_reader_ops = {
    .block_root = r_block_root,
    .has_books = r_has_books,
    .book_depth = r_book_depth,
    .sync = r_sync,
    .rollup = r_rollup,
    .is_claimed = r_is_claimed,
    .batch_record = r_batch_record,
};

void cl_seq_reader(struct cl_chain_reader *out, struct cl_seq *s,
		   struct cl_l1_driver *l1)
{
	CL_REQUIRE(s->reader == NULL || s->reader->l1 == l1);
	if (!s->reader) {
		s->reader = cl_xcalloc(1, sizeof(*s->reader));
		s->reader->s = s;
		s->reader->l1 = l1;
	}
	memset(out, 0, sizeof(*out));
	out->ops = &seq_reader_ops;
	out->impl = s->reader;
	out->db = s->db;
	out->genesis = &s->genesis;
}
