/* SPDX-License-Identifier: MIT */
/*
 * Replaying one batch: fetch its data from the posting transaction,
 * check and decode it, recover the signatures on two threads, apply each
 * block through the stf and compare its root, then close the batch
 * (final comparisons, cursor, withdrawal proofs) in one transaction.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

struct recover_job {
	struct vtx *txs;
	size_t n;
	const struct cl_eip712_domain *d;
};

/* A cancel that names its order by sequence is recovered by the stf
 * once it has found the order's hash. */
static void recover_one(struct cl_tx *tx, const struct cl_eip712_domain *d)
{
	static const struct cl_hash32 zero;

	if (tx->type == CL_TX_CANCEL &&
	    cl_hash32_eq(&tx->u.cancel.msg.order_hash, &zero))
		return;
	cl_tx_recover(tx, d);
}

static void *recover_main(void *arg)
{
	struct recover_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		recover_one(&j->txs[i].tx, j->d);
	return NULL;
}

/* Recover the signatures of txs[0..n) on two threads. */
static void recover_all(struct cl_verifier *v, struct vtx *txs, size_t n)
{
	const struct cl_eip712_domain *d = cl_stf_domain(v->stf);
	size_t half = n / 2;
	struct recover_job j = {txs + half, n - half, d};
	pthread_t th;
	bool threaded =
	    n >= 64 && pthread_create(&th, NULL, recover_main, &j) == 0;

	if (!threaded) {
		for (size_t i = 0; i < n; i++)
			recover_one(&txs[i].tx, d);
		return;
	}
	for (size_t i = 0; i < half; i++)
		recover_one(&txs[i].tx, d);
	pthread_join(th, NULL);
}

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

/* Apply one block of the batch through the stf, which derives its
 * fills, closures and liquidations; the requests are decoded and
 * recovered already. Returns STEP_OK, STEP_FAULT or a negative error. */
static int apply_block(struct cl_verifier *v,
		       const struct cl_l1_batch_event *ev,
		       const struct cl_batch2_block *blk, struct vtx *txs,
		       size_t n)
{
	struct cl_block_header h;
	struct cl_hash32 prev, root;
	struct fault_at at = {.has_block = true, .block = blk->number};
	int rc;

	rc = check_l1_ref(v, ev, blk);
	if (rc)
		return rc;
	rc = cl_state_root(v->st, &prev);
	if (rc)
		return rc;
	h.number = blk->number;
	h.timestamp_ms = blk->timestamp_ms;
	h.prev_root = prev;
	h.l1 = blk->l1;
	pthread_rwlock_wrlock(&v->books_lock);
	rc = cl_stf_open_block(v->stf, &h);
	pthread_rwlock_unlock(&v->books_lock);
	if (rc > 0) {
		cl_state_discard(v->st);
		return ver_record_fault(v, ev, &at, "block header refused: %s",
					cl_stf_err_str(rc));
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cl_tx *tx = &txs[i].tx;
		at.has_tx = true;
		at.tx = i;
		if (tx->type == CL_TX_DEPOSIT) {
			rc = check_deposit(v, ev, &at, tx);
			if (rc)
				break;
		}
		if (tx->type == CL_TX_FORCED) {
			rc = ver_forced_check(v, ev, &at, tx);
			if (rc)
				break;
		}
		if (tx->type == CL_TX_ASSET_DEPOSIT) {
			rc = ver_asset_deposit_check(v, ev, &at, tx);
			if (rc)
				break;
		}
		pthread_rwlock_wrlock(&v->books_lock);
		rc = cl_stf_request(v->stf, NULL, tx);
		pthread_rwlock_unlock(&v->books_lock);
		if (rc > 0)
			rc = ver_record_fault(v, ev, &at,
					      "%s request refused: %s",
					      cl_tx_type_str(tx->type),
					      cl_stf_err_str(rc));
	}
	cl_stf_end_block(v->stf);
	if (rc) {
		cl_state_discard(v->st);
		/* the books go back to the committed state (a replica serves
		 * them); failing that, they rebuild when a block opens */
		pthread_rwlock_wrlock(&v->books_lock);
		if (cl_stf_reload(v->stf))
			cl_unusual(SUB, "cannot rebuild the books");
		pthread_rwlock_unlock(&v->books_lock);
		return rc;
	}

	/* the root after the previous block, and which batch this block
	 * belongs to (see docs/verifier.md "Restart") */
	cl_chain_put_root(v->st, blk->number - 1, &prev);
	cl_chain_put_partial(v->st, ev->index, &ev->data_hash);
	rc = cl_state_commit_block(v->st, &root);
	if (rc) {
		cl_state_discard(v->st);
		return rc;
	}
	v->cur.txs += n;
	ver_publish_head(v);
	if (!cl_hash32_eq(&root, &blk->root)) {
		at.has_tx = false;
		at.has_roots = true;
		at.expected = &root;
		at.posted = &blk->root;
		return ver_record_fault(v, ev, &at, "block root differs");
	}
	return STEP_OK;
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

	cl_buf_init(&input);
	rc = cl_l1_eth_tx_input(v->rpc, &input, &found, &ev->loc.tx_hash);
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
		return ver_record_fault(v, ev, &none,
					"keccak256 of the batch data "
					"differs from the event's dataHash");
	}
	struct cl_batch2 b;
	enum cl_batch_err be = cl_batch2_decode(&b, args.data, args.data_len,
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
	 * is a fault as a whole); recover their signers on two threads */
	size_t total = 0;
	for (size_t i = done; i < b.n_blocks; i++)
		total += b.blocks[i].n_txs;
	struct vtx *txs = cl_xcalloc(total ? total : 1, sizeof(*txs));
	size_t k = 0;
	for (size_t i = done; i < b.n_blocks; i++) {
		const struct cl_batch2_block *blk = &b.blocks[i];
		for (size_t t = 0; t < blk->n_txs; t++, k++) {
			txs[k].block = (uint32_t)i;
			txs[k].index = (uint32_t)t;
			txs[k].tx = blk->txs[t];
		}
	}
	recover_all(v, txs, total);
	k = 0;
	for (size_t i = done; i < b.n_blocks && !rc; i++) {
		const struct cl_batch2_block *blk = &b.blocks[i];
		rc = apply_block(v, ev, blk, txs + k, blk->n_txs);
		k += blk->n_txs;
		if (!rc && ver_stopping(v) && i + 1 < b.n_blocks)
			rc = CL_ERR_BUSY; /* resumes after the restart */
		if (!rc)
			ver_progress(v, false);
	}
	free(txs);
	cl_batch2_release(&b);
	if (rc)
		return rc;
	return close_batch(v, ev, &evblock);
}

