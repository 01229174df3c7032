/* SPDX-License-Identifier: MIT */
/*
 * The state after a past block, rebuilt in memory (include/clearline/
 * game.h "Rebuilding", docs/disputes.md "The nodes"): the genesis state
 * and then every posted block through the stf, each root compared with
 * the posted one. A node's LMDB holds only its latest state; a game about
 * block k needs the state after block k - 1. Native only.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/batch.h>
#include <clearline/game.h>

struct cl_game_rebuild {
	struct cl_state *st;
	struct cl_stf *stf;
	uint64_t head; /* the last block applied; 0 at genesis */
	bool broken;   /* a block committed with a root not the posted one */
};

int cl_game_rebuild_new(struct cl_game_rebuild **out,
			const struct cl_genesis *g)
{
	struct cl_game_rebuild *r = cl_xcalloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	r->st = cl_state_new_memory();
	rc = cl_stf_new(&r->stf, r->st, g);
	if (!rc)
		rc = cl_stf_genesis_init(r->stf);
	if (!rc)
		rc = cl_state_commit_block(r->st, NULL);
	if (rc) {
		cl_game_rebuild_free(r);
		return rc;
	}
	*out = r;
	return CL_OK;
}

void cl_game_rebuild_free(struct cl_game_rebuild *r)
{
	if (!r)
		return;
	cl_stf_free(r->stf);
	cl_state_free(r->st);
	free(r);
}

uint64_t cl_game_rebuild_head(const struct cl_game_rebuild *r)
{
	return r->head;
}

struct cl_state *cl_game_rebuild_state(struct cl_game_rebuild *r)
{
	return r->st;
}

int cl_game_rebuild_block(struct cl_game_rebuild *r,
			  const struct cl_batch2_block *blk)
{
	struct cl_block_header h;
	struct cl_hash32 prev, root;
	int rc;

	if (r->broken)
		return CL_ERR_CORRUPT;
	if (blk->number != r->head + 1)
		return CL_ERR_CONFIG;
	rc = cl_state_root(r->st, &prev);
	if (rc)
		return rc;
	memset(&h, 0, sizeof(h));
	h.number = blk->number;
	h.timestamp_ms = blk->timestamp_ms;
	h.prev_root = prev;
	h.l1 = blk->l1;
	rc = cl_stf_open_block(r->stf, &h);
	if (rc) {
		cl_state_discard(r->st);
		return rc > 0 ? CL_ERR_CORRUPT : rc;
	}
	for (size_t i = 0; rc == 0 && i < blk->n_txs; i++) {
		static const struct cl_hash32 zero;
		struct cl_tx tx = blk->txs[i];

		if (tx.type != CL_TX_CANCEL ||
		    !cl_hash32_eq(&tx.u.cancel.msg.order_hash, &zero))
			cl_tx_recover(&tx, cl_stf_domain(r->stf));
		rc = cl_stf_request(r->stf, NULL, &tx);
	}
	cl_stf_end_block(r->stf);
	if (!rc)
		rc = cl_state_commit_block(r->st, &root);
	if (rc) {
		cl_state_discard(r->st);
		/* the books go back to the committed state */
		if (cl_stf_reload(r->stf))
			return CL_ERR_CORRUPT;
		/* a refused request: not the chain it claims */
		return rc > 0 ? CL_ERR_CORRUPT : rc;
	}
	if (!cl_hash32_eq(&root, &blk->root)) {
		r->broken = true; /* committed: a memory state cannot undo */
		return CL_ERR_CORRUPT;
	}
	r->head = blk->number;
	return CL_OK;
}

int cl_game_rebuild_data(struct cl_game_rebuild *r, const uint8_t *data,
			 size_t len, uint64_t last)
{
	struct cl_batch_limits lim;
	struct cl_batch2 b;
	int rc = CL_OK;

	cl_batch_limits_default(&lim);
	if (cl_batch2_decode(&b, data, len, &lim) != CL_BATCH_OK)
		return CL_ERR_CORRUPT;
	for (size_t i = 0; i < b.n_blocks && !rc; i++) {
		if (b.blocks[i].number > last)
			break;
		if (b.blocks[i].number <= r->head)
			continue;
		rc = cl_game_rebuild_block(r, &b.blocks[i]);
	}
	cl_batch2_release(&b);
	return rc;
}
