/* SPDX-License-Identifier: MIT */
/*
 * The verifier's side of the read interface (struct cl_chain_reader):
 * the RPC methods read a verifier or replica through it, as they read a
 * sequencer.
 */
#include "ver_int.h"

#include <string.h>

static int r_block_root(void *impl, struct cl_hash32 *out, uint64_t number)
{
	return cl_verifier_block_root(impl, out, number);
}

static bool r_has_books(void *impl)
{
	return cl_verifier_has_books(impl);
}

static size_t r_book_depth(void *impl, struct book_level *out, size_t max,
			   uint32_t market, enum book_side side)
{
	return cl_verifier_book_depth(impl, out, max, market, side);
}

/* Everything from the published status: the head is the derived one. */
static int r_sync(void *impl, struct cl_chain_sync *out)
{
	struct cl_verifier_status st;

	cl_verifier_status(impl, &st);
	out->head_block = st.head_block;
	out->head_timestamp_ms = st.head_timestamp_ms;
	out->head_root = st.head_root;
	out->l1_attached = true;
	out->l1_reachable = st.l1_reachable;
	out->l1_head = st.l1_head;
	out->l1_scanned = st.l1_scanned;
	out->has_posted = st.has_posted;
	out->posted_batch = st.posted_batch;
	out->has_final = st.has_final;
	out->finalized_batch = st.finalized_batch;
	out->has_derivation = true;
	out->has_derived = st.has_derived;
	out->derived_batch = st.derived_batch;
	out->posted_last_block = st.posted_last_block;
	out->blocks_per_second = st.blocks_per_second;
	out->has_eta = st.has_eta;
	out->eta_seconds = st.eta_seconds;
	out->txs_derived = st.txs_derived;
	out->rederivations = st.rederivations;
	out->fault = st.fault;
	out->has_games = st.has_games;
	out->n_games = st.n_games;
	memcpy(out->games, st.games, sizeof(st.games));
	return CL_OK;
}

static const struct cl_address *r_rollup(void *impl)
{
	return cl_verifier_rollup(impl);
}

static int r_is_claimed(void *impl, bool *claimed, uint64_t wid)
{
	return cl_verifier_is_claimed(impl, claimed, wid);
}

static int r_batch_record(void *impl, struct cl_l1_batch_event *out,
			  uint64_t index)
{
	return cl_verifier_batch_record(impl, out, index);
}

static const struct cl_chain_reader_ops ver_reader_ops = {
    .block_root = r_block_root,
    .has_books = r_has_books,
    .book_depth = r_book_depth,
    .sync = r_sync,
    .rollup = r_rollup,
    .is_claimed = r_is_claimed,
    .batch_record = r_batch_record,
};

void cl_verifier_reader(struct cl_chain_reader *out, struct cl_verifier *v)
{
	memset(out, 0, sizeof(*out));
	out->ops = &ver_reader_ops;
	out->impl = v;
	out->db = v->db;
	out->genesis = &v->genesis;
}
