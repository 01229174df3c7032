/* SPDX-License-Identifier: MIT */
/*
 * The read interface every mode implements (struct cl_chain_reader), and
 * what is computed the same way on top of it: views and withdrawal
 * status.
 */
#include "chain_int.h"

#include <stdlib.h>
#include <string.h>

int cl_chain_view(const struct cl_chain_reader *r, struct cl_stf_view *out)
{
	uint32_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->genesis = r->genesis;
	rc = cl_snapshot_new(&out->snapshot, r->db);
	if (rc)
		return rc;
	/* option markets listed after genesis: the view sees them as the
	 * stf does (include/clearline/stf_listing.h) */
	rc = cl_stf_listed_count(out, &n);
	if (rc == CL_OK && n > 0) {
		out->owned = cl_xmalloc(sizeof(*out->owned));
		rc = cl_stf_view_genesis(out, out->owned);
		if (rc == CL_OK)
			out->genesis = out->owned;
	}
	if (rc)
		cl_chain_view_release(out);
	return rc;
}

void cl_chain_view_release(struct cl_stf_view *v)
{
	cl_snapshot_free(v->snapshot);
	v->snapshot = NULL;
	free(v->owned);
	v->owned = NULL;
}

int cl_chain_block_root(const struct cl_chain_reader *r, struct cl_hash32 *out,
			uint64_t number)
{
	return r->ops->block_root(r->impl, out, number);
}

bool cl_chain_has_books(const struct cl_chain_reader *r)
{
	return r->ops->has_books(r->impl);
}

size_t cl_chain_book_depth(const struct cl_chain_reader *r,
			   struct book_level *out, size_t max, uint32_t market,
			   enum book_side side)
{
	return r->ops->book_depth(r->impl, out, max, market, side);
}

int cl_chain_sync(const struct cl_chain_reader *r, struct cl_chain_sync *out)
{
	memset(out, 0, sizeof(*out));
	return r->ops->sync(r->impl, out);
}

const char *cl_chain_withdrawal_status_str(enum cl_chain_withdrawal_status s)
{
	switch (s) {
	case CL_WITHDRAWAL_PENDING:
		return "pending";
	case CL_WITHDRAWAL_POSTED:
		return "posted";
	case CL_WITHDRAWAL_FINAL:
		return "final";
	case CL_WITHDRAWAL_CLAIMED:
		return "claimed";
	}
	return "unknown";
}

int cl_chain_withdrawal(const struct cl_chain_reader *r,
			struct cl_chain_withdrawal *out,
			struct cl_stf_view *view, uint64_t wid)
{
	struct cl_chain_sync sync;
	bool claimed = false;

	memset(out, 0, sizeof(*out));
	out->status = CL_WITHDRAWAL_PENDING;
	out->proof = cl_xcalloc(1, sizeof(*out->proof));
	int rc = cl_chain_get_withdrawal_proof(view->snapshot, &out->batch,
					       out->proof, wid);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK; /* not in a batch yet */
	if (rc)
		return rc;
	out->has_proof = true;
	out->rollup = r->ops->rollup(r->impl);
	if (!out->rollup)
		return CL_OK; /* no L1: nothing is posted */
	rc = cl_chain_sync(r, &sync);
	if (rc)
		return rc;
	uint64_t posted = sync.has_posted ? sync.posted_batch + 1 : 0;
	uint64_t final = sync.has_final ? sync.finalized_batch + 1 : 0;
	if (out->batch >= posted)
		return CL_OK;
	out->status =
	    out->batch < final ? CL_WITHDRAWAL_FINAL : CL_WITHDRAWAL_POSTED;
	if (out->status == CL_WITHDRAWAL_FINAL &&
	    r->ops->is_claimed(r->impl, &claimed, wid) == CL_OK && claimed)
		out->status = CL_WITHDRAWAL_CLAIMED;
	return CL_OK;
}

void cl_chain_withdrawal_release(struct cl_chain_withdrawal *w)
{
	free(w->proof);
	w->proof = NULL;
}
