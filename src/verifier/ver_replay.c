/* SPDX-License-Identifier: MIT */
/*
 * Replaying one batch: fetch its data from the posting transaction,
 * check and decode it, apply its blocks (cl_replay_blocks: signatures
 * recovered on a second thread ahead of the writer, each block committed
 * and its root compared) with the checks against L1 as hooks, then close
 * the batch (final comparisons, cursor, withdrawal proofs) in one
 * transaction and make the batch durable (docs/verifier.md
 * "Durability").
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

static int stored_root(struct cl_verifier *v, struct cl_hash32 *out,
		       uint64_t number, uint64_t head)
{
	if (number == head)
		return cl_state_root(v->st, out);
	return cl_chain_load_root(v->st, out, number);
}

/* Close batch `ev`: the final comparisons, then the cursor, the batch
 * record, the deposits seen and the withdrawal proofs in one
 * transaction (the state root does not move). */
static int close_batch(struct cl_verifier *v,
		       const struct cl_l1_batch_event *ev,
		       const struct cl_l1_block *evblock)
{
	struct cl_stf_globals g;
	struct cl_hash32 root;
	struct cl_stf_view view = cl_stf_view(v->stf);
	struct fault_at at = {.has_block = true, .block = ev->last_block};
	int rc;

	rc = cl_stf_get_globals(&view, &g);
	if (!rc)
		rc = cl_state_root(v->st, &root);
	if (rc)
		return rc;
	at.has_roots = true;
	at.expected = &root;
	if (!cl_hash32_eq(&root, &ev->state_root)) {
		at.posted = &ev->state_root;
		return ver_record_fault(v, ev, &at,
					"the posted state root differs "
					"from the derived one");
	}
	if (!cl_hash32_eq(&root, &ev->withdrawal_root)) {
		at.posted = &ev->withdrawal_root;
		return ver_record_fault(v, ev, &at,
					"the posted withdrawal root "
					"differs from the derived state root");
	}
	if (g.next_forced_id != v->batch_forced) {
		at.posted = &ev->state_root;
		return ver_record_fault(v, ev, &at,
					"forcedConsumed is %llu, the batch "
					"applied forced requests up to %llu",
					(unsigned long long)v->batch_forced,
					(unsigned long long)g.next_forced_id);
	}
	uint64_t assets_consumed;
	rc = ver_asset_count(v, &assets_consumed, ev);
	if (rc)
		return rc;
	if (g.next_asset_deposit_id != assets_consumed) {
		at.posted = &ev->state_root;
		return ver_record_fault(v, ev, &at,
					"assetDepositsConsumed is %llu, the "
					"batch credited asset deposits up to "
					"%llu",
					(unsigned long long)assets_consumed,
					(unsigned long long)
						g.next_asset_deposit_id);
	}
	if (g.next_deposit_id != ev->deposits_consumed) {
		at.posted = &ev->state_root;
		return ver_record_fault(v, ev, &at,
					"depositsConsumed is %llu, the "
					"batch applied deposits up to %llu",
					(unsigned long long)
						ev->deposits_consumed,
					(unsigned long long)g.next_deposit_id);
	}

	for (uint64_t wid = v->cur.wid_end; wid < g.next_withdrawal_id; wid++) {
		uint8_t wk[CL_STF_WITHDRAWAL_KEY_LEN];
		struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
		cl_stf_withdrawal_key(wk, wid);
		rc = cl_state_prove(v->st, proof, CL_TABLE_WITHDRAWALS, wk,
				    sizeof(wk));
		if (!rc && proof->kind != CL_PROOF_INCLUSION)
			rc = CL_ERR_CORRUPT;
		if (rc) {
			free(proof);
			cl_state_discard(v->st);
			return rc;
		}
		cl_chain_put_withdrawal_proof(v->st, ev->index, proof, wid);
		free(proof);
	}
	struct cl_chain_batch_record br = {
		.first_block = ev->first_block,
		.last_block = ev->last_block,
		.root = root,
		.wid_begin = v->cur.wid_end,
		.wid_end = g.next_withdrawal_id,
		.l1_block = ev->loc.block_number,
		.l1_tx = ev->loc.tx_hash,
	};
	cl_chain_put_batch_record(v->st, ev->index, &br);

	struct cl_chain_derive_cursor nc = v->cur;
	nc.next_batch = ev->index + 1;
	nc.l1_block = ev->loc.block_number;
	nc.l1_log = ev->loc.log_index;
	nc.l1_hash = evblock->hash;
	nc.last_block = ev->last_block;
	nc.deposits_consumed = g.next_deposit_id;
	nc.wid_end = g.next_withdrawal_id;
	cl_chain_put_derive_cursor(v->st, &nc);
	cl_chain_del_partial(v->st);
	ver_deps_store(v);

	struct cl_hash32 after;
	rc = cl_state_commit_block(v->st, &after);
	if (rc) {
		cl_state_discard(v->st);
		return rc;
	}
	if (!cl_hash32_eq(&after, &root))
		CL_BUG("closing a batch changed the state root");
	ver_deps_mark_stored(v);
	v->cur = nc;
	ver_deps_trim(v, nc.deposits_consumed);
	ver_forced_trim(v, g.next_forced_id);
	ver_publish_head(v);
	char hex[67];
	ver_hexroot(hex, &root);
	cl_info(SUB, "batch %llu verified: blocks %llu..%llu, root %s",
		(unsigned long long)ev->index,
		(unsigned long long)ev->first_block,
		(unsigned long long)ev->last_block, hex);
	/* the blocks' meta pages were left unsynced (CL_DB_SYNC_DATA):
	 * one sync makes the whole batch durable. Committed either way: a
	 * failure here only leaves the batch to derive again after a
	 * machine crash, and the next commit syncs again */
	rc = cl_db_sync(v->db);
	if (rc)
		return rc;
	return STEP_OK;
}

/*
 * The L1 block a block names must be on L1 as named (number, hash,
 * timestamp) and older than the L1 block holding the batch. Returns
 * STEP_OK, STEP_FAULT or a negative error (L1 unreachable: try again).
 */
static int check_l1_ref(struct cl_verifier *v,
			const struct cl_l1_batch_event *ev,
			const struct cl_batch2_block *blk)
{
	struct fault_at at = {.has_block = true, .block = blk->number};
	struct cl_l1_block b;
	bool found = false;

	if (v->has_l1_checked && blk->l1.number == v->l1_checked.number &&
	    blk->l1.timestamp == v->l1_checked.timestamp &&
	    cl_hash32_eq(&blk->l1.hash, &v->l1_checked.hash))
		return STEP_OK;
	if (blk->l1.number >= ev->loc.block_number)
		return ver_record_fault(v, ev, &at,
					"block names L1 block %llu, not "
					"before the batch's own L1 block %llu",
					(unsigned long long)blk->l1.number,
					(unsigned long long)ev->loc.block_number);
	int rc = cl_l1_eth_block_by_number(v->rpc, &b, &found, blk->l1.number);
	if (rc)
		return rc;
	if (!found || !cl_hash32_eq(&b.hash, &blk->l1.hash) ||
	    b.timestamp != blk->l1.timestamp)
		return ver_record_fault(v, ev, &at,
					"block names L1 block %llu with a "
					"hash or time that L1 does not have",
					(unsigned long long)blk->l1.number);
	v->l1_checked = blk->l1;
	v->has_l1_checked = true;
	return STEP_OK;
}

/* A deposit request must be the L1 deposit event of its id. */
static int check_deposit(struct cl_verifier *v,
			 const struct cl_l1_batch_event *ev,
			 const struct fault_at *at, const struct cl_tx *tx)
{
	const struct vdeposit *d = ver_deps_get(v, tx->u.deposit.id);

	if (!d)
		return ver_record_fault(v, ev, at, "deposit %llu is not on l1",
					(unsigned long long)tx->u.deposit.id);
	if (!cl_address_eq(&d->to, &tx->u.deposit.to) ||
	    d->amount != tx->u.deposit.amount)
		return ver_record_fault(
			v, ev, at,
			"deposit %llu differs from the l1 deposit event "
			"(amount %llu, on l1 %llu)",
			(unsigned long long)tx->u.deposit.id,
			(unsigned long long)tx->u.deposit.amount,
			(unsigned long long)d->amount);
	return STEP_OK;
}

/* The hooks of cl_replay_blocks(): the checks against L1 and the
 * recording of faults. */
struct replay_ctx {
	struct cl_verifier *v;
	const struct cl_l1_batch_event *ev;
	const struct cl_l1_block *evblock;
};

static int hook_block(void *arg, const struct cl_batch2_block *blk)
{
	struct replay_ctx *c = arg;
	return check_l1_ref(c->v, c->ev, blk);
}

static int hook_request(void *arg, const struct cl_batch2_block *blk,
			size_t i, const struct cl_tx *tx)
{
	struct replay_ctx *c = arg;
	struct fault_at at = {
	    .has_block = true, .block = blk->number, .has_tx = true, .tx = i};

	/* the requests that come from L1 must be L1's */
	if (tx->type == CL_TX_DEPOSIT)
		return check_deposit(c->v, c->ev, &at, tx);
	if (tx->type == CL_TX_FORCED)
		return ver_forced_check(c->v, c->ev, &at, tx);
	if (tx->type == CL_TX_ASSET_DEPOSIT)
		return ver_asset_deposit_check(c->v, c->ev, &at, tx);
	return STEP_OK;
}

static int hook_fault(void *arg, const struct cl_replay_fault *f)
{
	struct replay_ctx *c = arg;
	struct fault_at at = {.has_block = true, .block = f->blk->number};

	switch (f->kind) {
	case CL_REPLAY_HEADER_REFUSED:
		return ver_record_fault(c->v, c->ev, &at,
					"block header refused: %s",
					cl_stf_err_str(f->code));
	case CL_REPLAY_REQUEST_REFUSED:
		at.has_tx = true;
		at.tx = f->tx;
		return ver_record_fault(
		    c->v, c->ev, &at, "%s request refused: %s",
		    cl_tx_type_str(f->blk->txs[f->tx].type),
		    cl_stf_err_str(f->code));
	case CL_REPLAY_ROOT_DIFFERS:
		at.has_roots = true;
		at.expected = &f->root;
		at.posted = &f->blk->root;
		return ver_record_fault(c->v, c->ev, &at,
					"block root differs");
	}
	CL_BUG("bad replay fault kind");
}

static void hook_committed(void *arg, const struct cl_batch2_block *blk)
{
	struct replay_ctx *c = arg;
	c->v->cur.txs += blk->n_txs;
	ver_publish_head(c->v);
	ver_progress(c->v, false);
}

static bool hook_stop(void *arg)
{
	struct replay_ctx *c = arg;
	return ver_stopping(c->v);
}

static int hook_end(void *arg)
{
	struct replay_ctx *c = arg;
	return close_batch(c->v, c->ev, c->evblock);
}

void ver_ahead_clear(struct cl_verifier *v)
{
	if (!v->has_ahead)
		return;
	cl_buf_release(&v->ahead_input);
	cl_batch2_release(&v->ahead_b);
	v->has_ahead = false;
}

/*
 * Read and decode the batch after `ev` when its event is among the logs
 * the scan holds, so that the replay of `ev`'s batch recovers its
 * signatures meanwhile. Anything unexpected (not there, not readable,
 * not decodable) only means no read-ahead: the batch is read and
 * checked again when its event comes.
 */
static void read_ahead(struct cl_verifier *v,
		       const struct cl_l1_batch_event *ev)
{
	struct cl_l1_batch_event nx;
	struct cl_l1_batch_args args;
	struct cl_hash32 dh;
	bool found = false, have = false;

	ver_ahead_clear(v);
	for (size_t i = 0; i < v->scan_rest_n && !have; i++) {
		const struct cl_l1_log *l = &v->scan_rest[i];
		have = !l->removed &&
		       cl_address_eq(&l->address, &v->genesis.rollup) &&
		       cl_l1_decode_batch_appended(&nx, l) &&
		       nx.index == ev->index + 1;
	}
	if (!have)
		return;
	cl_buf_init(&v->ahead_input);
	if (cl_l1_eth_tx_input(v->rpc, &v->ahead_input, &found,
			       &nx.loc.tx_hash) ||
	    !found ||
	    !cl_l1_abi_decode_append_batch(&args, v->ahead_input.p,
					   v->ahead_input.len)) {
		cl_buf_release(&v->ahead_input);
		return;
	}
	cl_keccak256(dh.b, args.data, args.data_len);
	if (!cl_hash32_eq(&dh, &nx.data_hash) ||
	    cl_batch2_decode(&v->ahead_b, args.data, args.data_len,
			     &v->cfg.limits) != CL_BATCH_OK) {
		cl_buf_release(&v->ahead_input);
		return;
	}
	v->ahead_ev = nx;
	v->ahead = (struct cl_replay_batch){
	    .b = &v->ahead_b, .index = nx.index, .data_hash = nx.data_hash};
	v->has_ahead = true;
}

/* Blocks of this batch committed before a restart: check them against
 * the batch instead of replaying them. Returns STEP_OK with *done set to
 * the number of blocks already applied, STEP_FAULT, STEP_RESTART (they
 * belong to another batch), or an error. */
static int check_partial(struct cl_verifier *v,
			 const struct cl_l1_batch_event *ev,
			 const struct cl_batch2 *b, uint64_t head, size_t *done)
{
	uint64_t pbatch;
	struct cl_hash32 phash;

	*done = 0;
	if (head <= v->cur.last_block)
		return STEP_OK;
	int rc = cl_chain_load_partial(v->st, &pbatch, &phash);
	if (rc && rc != CL_ERR_NOT_FOUND && rc != CL_ERR_CORRUPT)
		return rc;
	if (rc == CL_ERR_NOT_FOUND || rc == CL_ERR_CORRUPT ||
	    pbatch != ev->index || !cl_hash32_eq(&phash, &ev->data_hash) ||
	    head > ev->last_block) {
		v->wipe_requested = true;
		cl_unusual(SUB,
			   "blocks %llu..%llu were derived from a batch "
			   "that is no longer on l1",
			   (unsigned long long)v->cur.last_block + 1,
			   (unsigned long long)head);
		return STEP_RESTART;
	}
	for (uint64_t n = ev->first_block; n <= head; n++) {
		struct cl_hash32 r;
		const struct cl_batch2_block *blk =
		    &b->blocks[n - ev->first_block];
		rc = stored_root(v, &r, n, head);
		if (rc)
			return rc;
		if (!cl_hash32_eq(&r, &blk->root)) {
			struct fault_at at = {.has_block = true,
					      .block = n,
					      .has_roots = true,
					      .expected = &r,
					      .posted = &blk->root};
			return ver_record_fault(v, ev, &at,
						"block root differs");
		}
	}
	*done = (size_t)(head - ev->first_block + 1);
	cl_info(SUB,
		"batch %llu: blocks %llu..%llu were applied already "
		"and match",
		(unsigned long long)ev->index,
		(unsigned long long)ev->first_block, (unsigned long long)head);
	return STEP_OK;
}

int ver_verify_batch(struct cl_verifier *v,
		     const struct cl_l1_batch_event *ev)
{
	struct fault_at none = {0};
	struct cl_buf input;
	struct cl_l1_batch_args args;
	struct cl_l1_block evblock;
	bool found = false, live = false;
	int rc;

	rc = ver_batch_live(v, &live, ev);
	if (rc)
		return rc;
	if (!live) {
		cl_info(SUB,
			"batch %llu of l1 block %llu was replaced: "
			"skipped",
			(unsigned long long)ev->index,
			(unsigned long long)ev->loc.block_number);
		return STEP_SKIP;
	}
	rc = cl_l1_eth_block_by_number(v->rpc, &evblock, &found,
				       ev->loc.block_number);
	if (!rc &&
	    (!found || !cl_hash32_eq(&evblock.hash, &ev->loc.block_hash)))
		rc = CL_ERR_NOT_FOUND; /* moved under us: next round */
	if (rc)
		return rc;

	/* the batch read ahead while the previous one was replayed, if it
	 * is this one: the same posting transaction (its input), the same
	 * dataHash (the decoded batch) */
	bool use_ahead = v->has_ahead && v->ahead_ev.index == ev->index &&
			 cl_hash32_eq(&v->ahead_ev.loc.tx_hash,
				      &ev->loc.tx_hash) &&
			 cl_hash32_eq(&v->ahead_ev.data_hash, &ev->data_hash);
	struct cl_batch2 b;
	struct cl_replay_batch rb = {.b = &b, .index = ev->index,
				     .data_hash = ev->data_hash};
	cl_buf_init(&input);
	memset(&b, 0, sizeof(b));
	if (use_ahead) {
		input = v->ahead_input;
		b = v->ahead_b;
		rb.recovered = v->ahead.recovered;
		v->has_ahead = false;
		cl_debug(SUB, "batch %llu was read ahead, %zu of its %zu "
			      "requests recovered",
			 (unsigned long long)ev->index, rb.recovered, b.n_txs);
		found = true;
		rc = CL_OK;
	} else {
		ver_ahead_clear(v);
		rc = cl_l1_eth_tx_input(v->rpc, &input, &found,
					&ev->loc.tx_hash);
	}
	if (rc) {
		cl_buf_release(&input);
		return rc;
	}
	if (!found) {
		cl_buf_release(&input);
		return CL_ERR_NOT_FOUND;
	}
	if (!cl_l1_abi_decode_append_batch(&args, input.p, input.len)) {
		cl_buf_release(&input);
		cl_batch2_release(&b);
		return ver_record_fault(v, ev, &none,
					"the posting transaction's "
					"input is not an appendBatch call");
	}
	v->batch_forced = args.forced_consumed;
	v->batch_with_assets = args.with_assets;
	v->batch_assets = args.asset_deposits_consumed;
	struct cl_hash32 dh;
	cl_keccak256(dh.b, args.data, args.data_len);
	if (!cl_hash32_eq(&dh, &ev->data_hash)) {
		cl_buf_release(&input);
		cl_batch2_release(&b);
		return ver_record_fault(v, ev, &none,
					"keccak256 of the batch data "
					"differs from the event's dataHash");
	}
	enum cl_batch_err be = CL_BATCH_OK;
	if (!use_ahead)
		be = cl_batch2_decode(&b, args.data, args.data_len,
				      &v->cfg.limits);
	cl_buf_release(&input);
	if (be != CL_BATCH_OK)
		return ver_record_fault(v, ev, &none,
					"batch data does not decode: "
					"%s",
					cl_batch_err_str(be));
	if (b.first_block != ev->first_block ||
	    b.n_blocks != ev->last_block - ev->first_block + 1 ||
	    ev->first_block != v->cur.last_block + 1) {
		cl_batch2_release(&b);
		return ver_record_fault(v, ev, &none,
					"blocks %llu..%llu do not "
					"continue the chain at block %llu",
					(unsigned long long)ev->first_block,
					(unsigned long long)ev->last_block,
					(unsigned long long)(v->cur.last_block +
							     1));
	}
	/* the record's L1 time is what the contract's forced-inclusion
	 * rule trusts (docs/l1.md): it must be the last block's */
	uint64_t named = b.blocks[b.n_blocks - 1].l1.timestamp;
	if (ev->l1_timestamp != named) {
		cl_batch2_release(&b);
		return ver_record_fault(v, ev, &none,
					"the record's l1Timestamp %llu is not "
					"the L1 time %llu that its last block "
					"%llu names",
					(unsigned long long)ev->l1_timestamp,
					(unsigned long long)named,
					(unsigned long long)ev->last_block);
	}

	struct cl_stf_globals g;
	struct cl_stf_view view = cl_stf_view(v->stf);
	size_t done = 0;
	rc = cl_stf_get_globals(&view, &g);
	if (!rc)
		rc = check_partial(v, ev, &b, g.block_number, &done);
	if (rc) {
		cl_batch2_release(&b);
		return rc;
	}

	/* the requests are decoded already (a batch that does not decode
	 * is a fault as a whole); the next batch is read now so that the
	 * helper recovers its signatures during this one's last block and
	 * close */
	read_ahead(v, ev);
	struct replay_ctx ctx = {.v = v, .ev = ev, .evblock = &evblock};
	struct cl_replay r = {
	    .st = v->st,
	    .stf = v->stf,
	    .books_lock = &v->books_lock,
	    .hooks = {.arg = &ctx,
		      .block = hook_block,
		      .request = hook_request,
		      .fault = hook_fault,
		      .committed = hook_committed,
		      .stop = hook_stop,
		      .end = hook_end},
	};
	rc = cl_replay_blocks(&r, &rb, done, v->has_ahead ? &v->ahead : NULL);
	cl_batch2_release(&b);
	return rc;
}

