/* SPDX-License-Identifier: MIT */
/*
 * Posting batches, for the sequencer's L1 thread (l1_driver.c): batch
 * cuts become appendBatch (or appendBatchWithAssets) transactions in cut
 * order, up to `batches_in_flight` at once, each checked first against
 * the contract's time rules (cl_l1_append_rule) over the L1 times it can
 * land at. A discard on L1 restarts posting from batchCount; waiting cuts
 * are merged before they go (cl_seq_recut), so posting cannot wedge. A
 * post that keeps failing says why in the log and in the status.
 */
#include "l1_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const SUB = "l1";

/* How much later than the newest L1 block (or the clock, whichever is
 * later) a batch may land: two mainnet slots. The pre-check of a batch
 * holds over this whole span. */
#define INCLUSION_MARGIN_S 24

static size_t count_orders(const struct cl_batch2 *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_blocks; i++)
		for (size_t t = 0; t < b->blocks[i].n_txs; t++)
			n += b->blocks[i].txs[t].type == CL_TX_PLACE_ORDER;
	return n;
}

static void set_posting(struct cl_l1_driver *drv)
{
	pthread_mutex_lock(&drv->lock);
	drv->status.posting = drv->n_fl > 0;
	pthread_mutex_unlock(&drv->lock);
}

/* A post failed for `why`: into the status, and into the log when the
 * reason changes (or every 30th time, so a long failure stays visible). */
static void post_failed(struct cl_l1_driver *drv, uint64_t index,
			const char *why)
{
	pthread_mutex_lock(&drv->lock);
	bool same = strcmp(drv->status.post_error, why) == 0;
	uint64_t n = ++drv->status.post_failures;
	/* a reason longer than the status holds is cut there */
	size_t len = strnlen(why, sizeof(drv->status.post_error) - 1);
	memcpy(drv->status.post_error, why, len);
	drv->status.post_error[len] = '\0';
	pthread_mutex_unlock(&drv->lock);
	if (!same || n % 30 == 0)
		cl_unusual(SUB,
			   "cannot post batch %llu: %s (%llu failures in "
			   "a row)",
			   (unsigned long long)index, why,
			   (unsigned long long)n);
}

static void post_ok(struct cl_l1_driver *drv)
{
	pthread_mutex_lock(&drv->lock);
	bool was = drv->status.post_failures > 0;
	drv->status.post_error[0] = 0;
	drv->status.post_failures = 0;
	pthread_mutex_unlock(&drv->lock);
	if (was)
		cl_info(SUB, "posting works again");
}

/* The oldest batch in flight is final: log it, drop its poster. */
static void finish_post(struct cl_l1_driver *drv)
{
	struct inflight *f = &drv->fl[0];
	struct cl_l1_post_result r;
	cl_l1_poster_result(f->poster, &r);
	uint64_t index = r.has_index ? r.batch_index : f->cut;
	if (r.state == CL_L1_POST_CONFIRMED && !f->cut_known) {
		/* adopted after a restart: its orders were not counted */
		cl_info(SUB,
			"batch %llu confirmed in L1 block %llu: blocks "
			"%llu..%llu, %zu calldata bytes, %llu gas",
			(unsigned long long)index,
			(unsigned long long)r.l1_block,
			(unsigned long long)r.first_block,
			(unsigned long long)r.last_block, r.calldata_bytes,
			(unsigned long long)r.gas_used);
	} else if (r.state == CL_L1_POST_CONFIRMED) {
		uint64_t per = f->orders ? r.gas_used / f->orders : 0;
		cl_info(SUB,
			"batch %llu confirmed in L1 block %llu: blocks "
			"%llu..%llu, %zu calldata bytes, %llu gas, %zu "
			"orders, %llu gas per order",
			(unsigned long long)index,
			(unsigned long long)r.l1_block,
			(unsigned long long)r.first_block,
			(unsigned long long)r.last_block, r.calldata_bytes,
			(unsigned long long)r.gas_used, f->orders,
			(unsigned long long)per);
		/* tests (--fault): the corrupted batch is on L1; if it is
		 * posted again (a discard, a reorg) it goes honestly, even
		 * when the discard is seen only after the re-post */
		if (drv->fault.applied && drv->fault.batch == index)
			drv->fault.kind = CL_FAULT_NONE;
		pthread_mutex_lock(&drv->lock);
		drv->status.last_batch_bytes = r.calldata_bytes;
		drv->status.last_batch_gas = r.gas_used;
		drv->status.last_batch_orders = f->orders;
		drv->status.batches_confirmed++;
		drv->status.batch_bytes_total += r.calldata_bytes;
		drv->status.batch_gas_total += r.gas_used;
		pthread_mutex_unlock(&drv->lock);
	} else {
		/* the batches sent after it cannot follow it on L1 and fail
		 * in turn; posting starts again from batchCount */
		char why[160];
		snprintf(why, sizeof(why),
			 "batch of blocks %llu..%llu %s on L1",
			 (unsigned long long)r.first_block,
			 (unsigned long long)r.last_block,
			 r.reverted ? "reverted" : "lost its nonce");
		post_failed(drv, index, why);
		drv->retry_ns = cl_clock_mono_ns() + 1000000000ull;
		drv->draining = true;
	}
	cl_l1_poster_free(f->poster);
	memmove(&drv->fl[0], &drv->fl[1], (drv->n_fl - 1) * sizeof(drv->fl[0]));
	drv->n_fl--;
	set_posting(drv);
}

/* Follow every batch in flight; finish the final ones, oldest first. */
void l1_follow_posts(struct cl_l1_driver *drv)
{
	if (!drv->n_fl && !drv->n_stale)
		return;
	int rc = cl_l1_sender_step(drv->sender);
	if (rc)
		cl_debug(SUB, "sender: %s", cl_l1_err_str(rc));
	for (size_t i = 0; i < drv->n_stale;) {
		struct cl_l1_poster *p = drv->stale[i];
		if (cl_l1_poster_follow(p) != CL_OK)
			cl_debug(SUB, "poster of a discarded batch: not read");
		enum cl_l1_poster_state ps = cl_l1_poster_state(p);
		if (ps != CL_L1_POST_CONFIRMED && ps != CL_L1_POST_FAILED &&
		    ps != CL_L1_POST_IDLE) {
			i++;
			continue;
		}
		cl_l1_poster_free(p);
		drv->stale[i] = drv->stale[--drv->n_stale];
	}
	for (size_t i = 0; i < drv->n_fl; i++) {
		rc = cl_l1_poster_follow(drv->fl[i].poster);
		if (rc)
			cl_debug(SUB, "poster: %s", cl_l1_err_str(rc));
	}
	while (drv->n_fl) {
		enum cl_l1_poster_state ps =
		    cl_l1_poster_state(drv->fl[0].poster);
		if (ps != CL_L1_POST_CONFIRMED && ps != CL_L1_POST_FAILED)
			break;
		finish_post(drv);
	}
}

/* What goes out next, if anything may. */
/*
 * Nothing in flight: cut `count` (the contract's batchCount), starting at
 * the contract's nextL2Block, with a gas estimate. Else the cut after the
 * last batch in flight, starting after its last block, so a reorg or a
 * lagging node that lowers batchCount meanwhile never makes a batch go
 * out twice (the sender sends the reorged ones again). Its gas is
 * estimated when every batch before it is in a block and batchCount
 * agrees, else bounded (cl_l1_append_batch_gas_bound): then several
 * batches can go in one L1 block. Nothing goes out behind a batch that
 * failed (the ones after it fail in turn; posting starts again from
 * batchCount once none is in flight) or behind one adopted after a
 * restart.
 */
bool l1_next_post(struct cl_l1_driver *drv, uint64_t count, uint64_t next_block,
		  struct next_post *np)
{
	if (drv->draining && drv->n_fl)
		return false;
	drv->draining = false;
	if (drv->n_fl >= drv->cfg.batches_in_flight)
		return false;
	if (!drv->n_fl) {
		*np =
		    (struct next_post){.cut = count, .first_block = next_block};
		return true;
	}
	bool mined = true;
	for (size_t i = 0; i < drv->n_fl; i++) {
		const struct inflight *f = &drv->fl[i];
		enum cl_l1_poster_state ps = cl_l1_poster_state(f->poster);
		if (!f->cut_known || ps == CL_L1_POST_FAILED)
			return false;
		mined = mined && ps == CL_L1_POST_INCLUDED;
	}
	const struct inflight *last = &drv->fl[drv->n_fl - 1];
	*np = (struct next_post){
	    .cut = last->cut + 1,
	    .first_block = last->last_block + 1,
	    .gas_bound = !(mined && count == last->cut + 1),
	};
	return true;
}

/* L1 discarded batches (lastDiscardTime moved): what was in flight
 * cannot land any more; start again from batchCount with merged cuts. */
void l1_on_discard(struct cl_l1_driver *drv, uint64_t count)
{
	cl_info(SUB, "L1 discarded batches: re-posting from batch %llu",
		(unsigned long long)count);
	for (size_t i = 0; i < drv->n_fl; i++) {
		if (drv->n_stale < CL_ARRAY_LEN(drv->stale))
			drv->stale[drv->n_stale++] = drv->fl[i].poster;
		else
			cl_l1_poster_free(drv->fl[i].poster);
	}
	drv->n_fl = 0;
	set_posting(drv);
	drv->draining = false;
	drv->retry_ns = 0;
	drv->want_recut = true;
	/* tests: the corrupted batch was caught; post honestly from now on */
	if (drv->fault.applied)
		drv->fault.kind = CL_FAULT_NONE;
}

static bool cut_exists(struct cl_l1_driver *drv, uint64_t seq)
{
	struct cl_snapshot *snap;
	struct cl_batch_cut cut;

	if (cl_snapshot_new(&snap, cl_seq_db(drv->seq)) != CL_OK)
		return false;
	bool ok = cl_chain_get_cut(snap, &cut, seq) == CL_OK;
	cl_snapshot_free(snap);
	return ok;
}

/* Merge the cuts waiting from `count` (the next to post: batchCount, or
 * the one after the last in flight) when asked to, or when several wait
 * and that was not found useless before. */
void l1_maybe_recut(struct cl_l1_driver *drv, uint64_t count)
{
	if (!drv->want_recut) {
		if (!cut_exists(drv, count + 1))
			return;
		if (drv->has_noop && drv->noop_count == count &&
		    !cut_exists(drv, count + drv->noop_cuts))
			return;
	}
	uint64_t cuts = 0;
	int rc = cl_seq_recut(drv->seq, count, &cuts);
	drv->want_recut = false;
	drv->has_noop = false;
	if (rc == CL_ERR_NOT_FOUND) {
		drv->has_noop = true;
		drv->noop_count = count;
		drv->noop_cuts = cuts;
		return;
	}
	if (rc) {
		cl_unusual(SUB, "cannot merge the batches from %llu: %s",
			   (unsigned long long)count, cl_seq_err_str(rc));
		return;
	}
	cl_info(SUB, "batches from %llu merged into %llu for posting",
		(unsigned long long)count, (unsigned long long)cuts);
}

/* Why a post was refused, as text; *fi when it was the forced-inclusion
 * rule (the waiting cuts should be merged). */
static void refusal(struct cl_l1_driver *drv, int rc, char *why, size_t cap,
		    bool *fi)
{
	*fi = false;
	if (rc != CL_L1_RPC_ERROR) {
		snprintf(why, cap, "%s", cl_l1_err_str(rc));
		return;
	}
	const struct cl_l1_error *e = cl_l1_rpc_last_error(drv->rpc);
	if (e->revert_len == 0) {
		snprintf(why, cap, "%.40s: %.150s", e->method, e->message);
		return;
	}
	char r[160];
	enum cl_l1_revert k =
	    cl_l1_revert_describe(r, sizeof(r), e->revert, e->revert_len);
	*fi = k == CL_L1_REVERT_FORCED_INCLUSION_VIOLATED ||
	      k == CL_L1_REVERT_FORCED_REQUEST_OVERDUE ||
	      k == CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD;
	snprintf(why, cap, "appendBatch reverts: %s", r);
}

/*
 * What the time rules of appendBatch will read when batch `a` lands
 * (docs/l1.md), and the span of L1 time it can land in: no earlier than
 * one second after the newest L1 block, no later than INCLUSION_MARGIN_S
 * after it or the clock. Returns CL_OK or an RPC code.
 */
static int append_state(struct cl_l1_driver *drv, struct cl_l1_append_state *st,
			uint64_t *earliest, uint64_t *latest,
			const struct cl_l1_batch_args *a)
{
	const struct cl_address *rollup = &drv->cfg.rollup;
	uint8_t w[3 * 32];
	uint64_t head;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!drv->have_params) {
		rc = l1_view_u64(drv->rpc, rollup, "forcedInclusionDelay()",
				 &drv->fi_delay);
		if (!rc)
			rc = l1_view_u64(drv->rpc, rollup, "sequencingWindow()",
					 &drv->seq_window);
		if (rc)
			return rc;
		drv->have_params = true;
	}
	st->forced_inclusion_delay = drv->fi_delay;
	st->sequencing_window = drv->seq_window;
	st->last_discard_time = drv->last_discard;
	if (drv->n_fl)
		st->prev_l1_timestamp = drv->fl[drv->n_fl - 1].l1_timestamp;
	else if ((rc = l1_view_u64(drv->rpc, rollup, "lastL1Timestamp()",
				   &st->prev_l1_timestamp)))
		return rc;
	rc =
	    l1_view_u64(drv->rpc, rollup, "depositCount()", &st->deposit_count);
	if (!rc && a->deposits_consumed < st->deposit_count) {
		rc = l1_view_words(drv->rpc, rollup, "deposits(uint64)", true,
				   a->deposits_consumed, w, 3);
		if (!rc &&
		    !cl_l1_abi_ret_u64(&st->deposit_timestamp, w + 64, 32))
			rc = CL_ERR_CORRUPT;
	}
	if (!rc)
		rc = cl_l1_eth_block_number(drv->rpc, &head);
	struct cl_l1_block b;
	bool found = false;
	if (!rc)
		rc = cl_l1_eth_block_by_number(drv->rpc, &b, &found, head);
	if (!rc && !found)
		rc = CL_ERR_NOT_FOUND;
	if (rc)
		return rc;
	uint64_t wall = cl_clock_now_ms() / 1000;
	*earliest = b.timestamp + 1;
	*latest =
	    (wall > b.timestamp ? wall : b.timestamp) + INCLUSION_MARGIN_S;
	return CL_OK;
}

/*
 * The append state of the assets contract's rule: `st` as append_state()
 * filled it, with its deposit count and the timestamp of the first asset
 * deposit batch `a` leaves unconsumed in place of the deposits'.
 */
static int asset_state(struct cl_l1_driver *drv, struct cl_l1_append_state *st,
		       const struct cl_l1_batch_args *a)
{
	uint8_t w[4 * 32];

	st->deposit_timestamp = 0;
	int rc = l1_view_u64(drv->rpc, &drv->assets, "assetDepositCount()",
			     &st->deposit_count);
	if (!rc && a->asset_deposits_consumed < st->deposit_count) {
		/* (uint32 asset, address to, uint64 amount, uint64 time) */
		rc = l1_view_words(drv->rpc, &drv->assets,
				   "assetDeposits(uint64)", true,
				   a->asset_deposits_consumed, w, 4);
		if (!rc &&
		    !cl_l1_abi_ret_u64(&st->deposit_timestamp, w + 96, 32))
			rc = CL_ERR_CORRUPT;
	}
	return rc;
}

/*
 * Would the contract refuse batch `a` for its L1 time or an overdue
 * deposit or asset deposit? Then it is not sent: the reason goes to the log and
 * the status, and a re-cut is asked for when merging the waiting cuts can help
 * (an overdue deposit the batch does not reach). Returns true when the batch
 * may go (also when L1 could not be read: the gas estimate catches what is
 * left).
 */
static bool precheck(struct cl_l1_driver *drv, uint64_t index,
		     const struct cl_l1_batch_args *a)
{
	struct cl_l1_append_state st;
	uint64_t earliest, latest;
	char r[160], why[240];

	if (append_state(drv, &st, &earliest, &latest, a) != CL_OK)
		return true;
	enum cl_l1_revert k =
	    cl_l1_append_rule(r, sizeof(r), &st, a->deposits_consumed,
			      a->l1_timestamp, earliest, latest);
	const char *what = "";
	if (k == CL_L1_REVERT_NONE && a->with_assets) {
		/* the assets contract applies the same rule to its own
		 * deposits (docs/l1.md "Collateral assets") */
		if (asset_state(drv, &st, a) != CL_OK)
			return true;
		k = cl_l1_append_rule(r, sizeof(r), &st,
				      a->asset_deposits_consumed,
				      a->l1_timestamp, earliest, latest);
		what = "asset deposits: ";
	}
	if (k == CL_L1_REVERT_NONE)
		return true;
	snprintf(why, sizeof(why), "appendBatch would revert: %s%s", what, r);
	post_failed(drv, index, why);
	bool fi = k == CL_L1_REVERT_FORCED_INCLUSION_VIOLATED ||
		  k == CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD;
	if (k == CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD)
		cl_unusual(SUB,
			   "batch %llu: deposit %llu is overdue and the "
			   "batch's last block (%llu) names L1 time %llu, "
			   "more than sequencingWindow (%llu s) before now: "
			   "only a batch that consumes the deposit can go "
			   "(docs/l1.md)",
			   (unsigned long long)index,
			   (unsigned long long)a->deposits_consumed,
			   (unsigned long long)a->last_block,
			   (unsigned long long)a->l1_timestamp,
			   (unsigned long long)st.sequencing_window);
	if (fi && !drv->n_fl)
		drv->want_recut = true;
	drv->retry_ns =
	    cl_clock_mono_ns() + (fi ? 500000000ull : 2000000000ull);
	return false;
}

/*
 * Cut `seq` does not start at the block L1 expects next. The views were
 * read one by one: L1 may have moved between them (a discard, a batch of
 * a poster that was still out), so they are read again in a second. A
 * mismatch that lasts MISMATCH_BROKEN_S means the cuts and L1 disagree:
 * logged as broken, and tried again every ten seconds, never posted.
 */
#define MISMATCH_BROKEN_S 30
static void mismatch(struct cl_l1_driver *drv, uint64_t seq, uint64_t first,
		     uint64_t want)
{
	uint64_t now = cl_clock_mono_ns();

	if (!drv->mismatch_ns) {
		drv->mismatch_ns = now;
		cl_unusual(SUB,
			   "cut %llu starts at block %llu but L1 expects %llu: "
			   "reading L1 again in 1 s",
			   (unsigned long long)seq, (unsigned long long)first,
			   (unsigned long long)want);
	} else if (now - drv->mismatch_ns >= MISMATCH_BROKEN_S * 1000000000ull) {
		cl_broken(SUB,
			  "cut %llu starts at block %llu but L1 expects %llu "
			  "(for %llu s): not posting",
			  (unsigned long long)seq, (unsigned long long)first,
			  (unsigned long long)want,
			  (unsigned long long)((now - drv->mismatch_ns) /
					       1000000000ull));
		drv->retry_ns = now + 10000000000ull;
		return;
	}
	drv->retry_ns = now + 1000000000ull;
}

void l1_try_post(struct cl_l1_driver *drv, const struct next_post *np)
{
	struct cl_snapshot *snap;
	struct cl_batch_cut cut;
	uint64_t batch_count = np->cut;

	if (cl_clock_mono_ns() < drv->retry_ns)
		return;
	if (cl_snapshot_new(&snap, cl_seq_db(drv->seq)) != CL_OK)
		return;
	int rc = cl_chain_get_cut(snap, &cut, batch_count);
	if (rc) {
		if (rc != CL_ERR_NOT_FOUND)
			cl_unusual(SUB, "cannot read cut %llu: %s",
				   (unsigned long long)batch_count,
				   cl_err_str(rc));
		cl_snapshot_free(snap);
		return;
	}
	if (cut.first_block != np->first_block) {
		mismatch(drv, batch_count, cut.first_block, np->first_block);
		cl_snapshot_free(snap);
		return;
	}
	drv->mismatch_ns = 0;
	struct cl_batch2 blocks = {0};
	struct cl_buf data;
	cl_buf_init(&data);
	rc = cl_chain_cut_blocks(snap, cl_seq_genesis(drv->seq), &cut, &blocks);
	cl_snapshot_free(snap);
	bool faulted = false;
	if (!rc && blocks.n_blocks == 0)
		rc = CL_ERR_CORRUPT; /* a cut holds one block at least */
	if (!rc) {
		faulted =
		    cl_seq_fault_apply(&drv->fault, batch_count, &blocks, &cut);
		if (cl_batch2_encode(&data, blocks.blocks, blocks.n_blocks) !=
		    CL_BATCH_OK)
			rc = CL_ERR_CORRUPT; /* the stf accepted each request */
	}
	if (rc) {
		cl_unusual(SUB, "cannot build batch %llu: %s",
			   (unsigned long long)batch_count, cl_err_str(rc));
		goto out;
	}
	struct cl_l1_batch_args a = {
	    .data = data.p,
	    .data_len = data.len,
	    .state_root = cut.root,
	    .withdrawal_root = cut.root,
	    .deposits_consumed = cut.deposits_consumed,
	    .first_block = cut.first_block,
	    .last_block = cut.last_block,
	    .forced_consumed = cut.forced_consumed,
	    /* a chain with assets counts its asset deposits each batch */
	    .with_assets = drv->has_assets,
	    .asset_deposits_consumed = cut.asset_deposits_consumed,
	    /* what the last block names: the forced-inclusion rule's
	     * "could not have seen the deposit" (docs/l1.md) */
	    .l1_timestamp = blocks.blocks[blocks.n_blocks - 1].l1.timestamp,
	};
	if (faulted && drv->fault.kind == CL_FAULT_WITHDRAWAL_ROOT)
		a.withdrawal_root.b[31] ^= 0x01; /* tests only: --fault */
	if (faulted && drv->fault.kind == CL_FAULT_FORCED_COUNT)
		a.forced_consumed--; /* tests only: one fewer than applied */
	if (faulted && drv->fault.kind == CL_FAULT_ASSET_COUNT)
		a.asset_deposits_consumed--; /* tests only: one fewer */
	if (faulted && drv->fault.kind == CL_FAULT_L1_TIMESTAMP)
		a.l1_timestamp += 1; /* tests only: --fault */
	if (!precheck(drv, batch_count, &a))
		goto out;
	struct cl_l1_poster_opts po = drv->po;
	po.gas_bound = np->gas_bound;
	struct cl_l1_poster *poster = cl_l1_poster_new(drv->sender, &po);
	rc = cl_l1_poster_post(poster, &a);
	if (rc) {
		char why[200];
		bool fi;
		cl_l1_poster_free(poster);
		refusal(drv, rc, why, sizeof(why), &fi);
		post_failed(drv, batch_count, why);
		/* overdue deposits: merge the waiting cuts so that the next
		 * batch reaches the block that credited them */
		if (fi && !drv->n_fl)
			drv->want_recut = true;
		drv->retry_ns =
		    cl_clock_mono_ns() + (fi ? 500000000ull : 2000000000ull);
		goto out;
	}
	post_ok(drv);
	drv->fl[drv->n_fl++] = (struct inflight){
	    .poster = poster,
	    .cut_known = true,
	    .cut = batch_count,
	    .last_block = cut.last_block,
	    .l1_timestamp = a.l1_timestamp,
	    .orders = count_orders(&blocks),
	};
	set_posting(drv);
	cl_info(SUB,
		"posting batch %llu: blocks %llu..%llu, %zu requests, "
		"%zu bytes%s",
		(unsigned long long)batch_count,
		(unsigned long long)cut.first_block,
		(unsigned long long)cut.last_block, blocks.n_txs, data.len,
		np->gas_bound ? ", behind batches not yet mined" : "");
out:
	cl_batch2_release(&blocks);
	cl_buf_release(&data);
}
