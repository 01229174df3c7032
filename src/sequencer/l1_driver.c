/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's link to L1, on its own thread: deposits, forced
 * requests and asset deposits from the watchers become requests
 * (l1_inbox.c: in id order,
 * exactly once: the stf refuses an id it already applied), and batch
 * cuts become appendBatch
 * transactions in order (the contract's batchCount says which cut is
 * next, so a restart resumes where L1 is). Up to `batches_in_flight` are
 * on their way at once, one poster each, so several can go in one L1
 * block and none waits for the confirmation depth of the one before
 * (next_post() says when the gas is estimated and when bounded).
 *
 * Posting cannot wedge: when several cuts wait (L1 discarded batches, or
 * posting fell behind), the cuts from the next one to post are merged
 * into as few as the size limit allows (cl_seq_recut) before it goes; a post that the contract refuses
 * with ForcedInclusionViolated asks for that merge too. A discard is seen
 * from the contract's lastDiscardTime: the batches in flight are then
 * left to finish on their own (they revert) and posting starts again at
 * once from batchCount. A post that keeps failing says why (the decoded
 * revert) in the log and in the status until it succeeds.
 *
 * Before a batch goes out, the time rules of appendBatch (the L1 time its
 * last block names, and the forced-inclusion rule: docs/l1.md) are
 * checked as the contract will check them (cl_l1_append_rule) over the
 * L1 times it can land at; a batch they would refuse is not sent, and the
 * reason goes to the log and the status the same way.
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

/* ---- contract views ---- */

int l1_view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		    const char *sig, uint64_t *out)
{
	struct cl_buf cd, ret;
	uint8_t sel[4];
	int rc;

	*out = 0;
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	struct cl_l1_callreq req = {.to = rollup, .data = cd.p,
				    .data_len = cd.len};
	rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	if (!rc && !cl_l1_abi_ret_u64(out, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

/* A view with one optional uint64 argument returning `n` words. */
int l1_view_words(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		      const char *sig, bool has_arg, uint64_t arg,
		      uint8_t *out, size_t n)
{
	struct cl_buf cd, ret;
	uint8_t sel[4];

	memset(out, 0, 32 * n);
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (has_arg)
		cl_l1_abi_put_u64(&cd, arg);
	struct cl_l1_callreq req = {.to = rollup, .data = cd.p,
				    .data_len = cd.len};
	int rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	if (!rc && ret.len != 32 * n)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		memcpy(out, ret.p, 32 * n);
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}
/* ---- batches ---- */

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
	snprintf(drv->status.post_error, sizeof(drv->status.post_error), "%s",
		 why);
	pthread_mutex_unlock(&drv->lock);
	if (!same || n % 30 == 0)
		cl_unusual(SUB, "cannot post batch %llu: %s (%llu failures in "
			   "a row)",
			   (unsigned long long)index, why, (unsigned long long)n);
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
		cl_info(SUB, "batch %llu confirmed in L1 block %llu: blocks "
			"%llu..%llu, %zu calldata bytes, %llu gas",
			(unsigned long long)index,
			(unsigned long long)r.l1_block,
			(unsigned long long)r.first_block,
			(unsigned long long)r.last_block, r.calldata_bytes,
			(unsigned long long)r.gas_used);
	} else if (r.state == CL_L1_POST_CONFIRMED) {
		uint64_t per = f->orders ? r.gas_used / f->orders : 0;
		cl_info(SUB, "batch %llu confirmed in L1 block %llu: blocks "
			"%llu..%llu, %zu calldata bytes, %llu gas, %zu "
			"orders, %llu gas per order",
			(unsigned long long)index,
			(unsigned long long)r.l1_block,
			(unsigned long long)r.first_block,
			(unsigned long long)r.last_block, r.calldata_bytes,
			(unsigned long long)r.gas_used, f->orders,
			(unsigned long long)per);
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
static void follow_posts(struct cl_l1_driver *drv)
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
		enum cl_l1_poster_state ps = cl_l1_poster_state(drv->fl[0].poster);
		if (ps != CL_L1_POST_CONFIRMED && ps != CL_L1_POST_FAILED)
			break;
		finish_post(drv);
	}
}

/* What goes out next, if anything may. */
struct next_post {
	uint64_t cut;	      /* cut number, the batch index it will get */
	uint64_t first_block; /* where L1 will expect it to start */
	bool gas_bound;	      /* an earlier batch is not mined yet */
};

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
static bool next_post(struct cl_l1_driver *drv, uint64_t count,
		      uint64_t next_block, struct next_post *np)
{
	if (drv->draining && drv->n_fl)
		return false;
	drv->draining = false;
	if (drv->n_fl >= drv->cfg.batches_in_flight)
		return false;
	if (!drv->n_fl) {
		*np = (struct next_post){.cut = count, .first_block = next_block};
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
static void on_discard(struct cl_l1_driver *drv, uint64_t count)
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
static void maybe_recut(struct cl_l1_driver *drv, uint64_t count)
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
static int append_state(struct cl_l1_driver *drv,
			struct cl_l1_append_state *st, uint64_t *earliest,
			uint64_t *latest, const struct cl_l1_batch_args *a)
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
	rc = l1_view_u64(drv->rpc, rollup, "depositCount()", &st->deposit_count);
	if (!rc && a->deposits_consumed < st->deposit_count) {
		rc = l1_view_words(drv->rpc, rollup, "deposits(uint64)", true,
				a->deposits_consumed, w, 3);
		if (!rc && !cl_l1_abi_ret_u64(&st->deposit_timestamp, w + 64,
					      32))
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
	*latest = (wall > b.timestamp ? wall : b.timestamp) +
		  INCLUSION_MARGIN_S;
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
		if (!rc && !cl_l1_abi_ret_u64(&st->deposit_timestamp, w + 96,
					      32))
			rc = CL_ERR_CORRUPT;
	}
	return rc;
}

/*
 * Would the contract refuse batch `a` for its L1 time or an overdue
 * deposit or asset deposit? Then it is not sent: the reason goes to the log and the
 * status, and a re-cut is asked for when merging the waiting cuts can
 * help (an overdue deposit the batch does not reach). Returns true when
 * the batch may go (also when L1 could not be read: the gas estimate
 * catches what is left).
 */
static bool precheck(struct cl_l1_driver *drv, uint64_t index,
		     const struct cl_l1_batch_args *a)
{
	struct cl_l1_append_state st;
	uint64_t earliest, latest;
	char r[160], why[240];

	if (append_state(drv, &st, &earliest, &latest, a) != CL_OK)
		return true;
	enum cl_l1_revert k = cl_l1_append_rule(
	    r, sizeof(r), &st, a->deposits_consumed, a->l1_timestamp,
	    earliest, latest);
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

static void try_post(struct cl_l1_driver *drv, const struct next_post *np)
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
		cl_broken(SUB, "cut %llu starts at block %llu but L1 expects "
			  "%llu: not posting",
			  (unsigned long long)batch_count,
			  (unsigned long long)cut.first_block,
			  (unsigned long long)np->first_block);
		drv->retry_ns = cl_clock_mono_ns() + 60000000000ull;
		cl_snapshot_free(snap);
		return;
	}
	struct cl_batch2 blocks = {0};
	struct cl_buf data;
	cl_buf_init(&data);
	rc = cl_chain_cut_blocks(snap, cl_seq_genesis(drv->seq), &cut,
				 &blocks);
	cl_snapshot_free(snap);
	bool faulted = false;
	if (!rc && blocks.n_blocks == 0)
		rc = CL_ERR_CORRUPT; /* a cut holds one block at least */
	if (!rc) {
		faulted = cl_seq_fault_apply(&drv->fault, batch_count, &blocks,
					     &cut);
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
		drv->retry_ns = cl_clock_mono_ns() +
				(fi ? 500000000ull : 2000000000ull);
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
	cl_info(SUB, "posting batch %llu: blocks %llu..%llu, %zu requests, "
		"%zu bytes%s",
		(unsigned long long)batch_count,
		(unsigned long long)cut.first_block,
		(unsigned long long)cut.last_block, blocks.n_txs, data.len,
		np->gas_bound ? ", behind batches not yet mined" : "");
out:
	cl_batch2_release(&blocks);
	cl_buf_release(&data);
}

/* ---- the thread ---- */

/*
 * Blocks name the newest L1 block the deposit watcher has read (it is at
 * the confirmation depth, so a shallow reorg cannot take it away); the
 * sequencer never lets the reference go backwards.
 *
 * A block that names L1 time T must have credited every deposit made at
 * T or before: the contract lets an overdue deposit wait only for batches
 * that name an earlier time (docs/l1.md). On Ethereum every block has a
 * later time than its parent; a devnet (anvil) gives the blocks of one
 * second the same time, so a block is named only once the block after it
 * is seen with a later time (or none is there yet), except the first one
 * this driver names (no block could be built without one).
 */
static void name_l1_block(struct cl_l1_driver *drv, uint64_t next_block)
{
	struct cl_l1_block b, after;
	bool found = false, has_after = false;

	/* `ref_lag` blocks below the confirmed head: a reorg must be deeper
	 * than the confirmations and the lag to orphan a named block */
	if (next_block > drv->cfg.ref_lag + 1)
		next_block -= drv->cfg.ref_lag;
	else if (next_block > 2)
		next_block = 2; /* a chain younger than the lag: block 1 */
	if (next_block == 0 || next_block - 1 <= drv->l1_named)
		return;
	if (cl_l1_eth_block_by_number(drv->rpc, &b, &found, next_block - 1) ||
	    !found)
		return;
	if (cl_l1_eth_block_by_number(drv->rpc, &after, &has_after,
				      next_block))
		return;
	if (has_after && after.timestamp <= b.timestamp && drv->l1_named)
		return; /* the second is not over: next poll */
	struct cl_l1_ref ref = {.number = b.number, .hash = b.hash,
				.timestamp = b.timestamp};
	cl_seq_set_l1_ref(drv->seq, &ref);
	drv->l1_named = b.number;
}

/* Every deposit and asset deposit of the L1 blocks below this one is
 * credited: the newest block a block may name is below it. */
static uint64_t scanned_below(const struct cl_l1_driver *drv)
{
	struct cl_l1_cursor c, ac;

	cl_l1_watcher_cursor(drv->watcher, &c);
	if (drv->assets_watcher) {
		cl_l1_watcher_cursor(drv->assets_watcher, &ac);
		if (ac.next_block < c.next_block)
			return ac.next_block;
	}
	return c.next_block;
}

static bool sleep_or_stop(struct cl_l1_driver *drv, uint64_t ms)
{
	/* the condition variable waits on CLOCK_MONOTONIC */
	uint64_t dl = cl_clock_mono_ns() + ms * 1000000u;
	struct timespec ts = {.tv_sec = (time_t)(dl / 1000000000u),
			      .tv_nsec = (long)(dl % 1000000000u)};
	pthread_mutex_lock(&drv->lock);
	if (!drv->stop)
		pthread_cond_timedwait(&drv->cond, &drv->lock, &ts);
	bool stop = drv->stop;
	pthread_mutex_unlock(&drv->lock);
	return stop;
}

static void *driver_main(void *arg)
{
	struct cl_l1_driver *drv = arg;
	const struct cl_address *rollup = &drv->cfg.rollup;

	while (!sleep_or_stop(drv, drv->cfg.poll_ms)) {
		size_t got = 0;
		name_l1_block(drv, scanned_below(drv)); /* before any deposit */
		int rc = cl_l1_watcher_step(drv->watcher, &got);
		if (rc == CL_L1_BROKEN) {
			/* L1 lost more blocks than the watcher remembers (an
			 * L1 node restarted on older state, or a deep reorg):
			 * read the deposits again from the start; the stf's
			 * deposit index keeps every id credited once */
			cl_unusual(SUB, "deposit watcher lost its place on L1: "
				   "reading deposits again from block %llu",
				   (unsigned long long)drv->cfg.start_block);
			struct cl_l1_watcher *w = NULL;
			struct cl_l1_watcher_opts wo;
			cl_l1_watcher_opts_default(&wo);
			wo.rollup = drv->cfg.rollup;
			wo.start_block = drv->cfg.start_block;
			wo.confirmations = drv->cfg.confirmations;
			struct cl_l1_cursor cur = {
				.next_block = drv->cfg.start_block};
			if (cl_l1_watcher_open(&w, drv->rpc, NULL, &cur, &wo,
					       l1_on_deposit, drv) == CL_OK) {
				cl_l1_watcher_free(drv->watcher);
				drv->watcher = w;
			}
		} else if (rc && rc != CL_L1_STOPPED) {
			cl_debug(SUB, "deposit watcher: %s", cl_l1_err_str(rc));
		}
		l1_forced_step(drv);
		l1_asset_step(drv);
		struct cl_l1_cursor wc;
		cl_l1_watcher_cursor(drv->watcher, &wc);
		pthread_mutex_lock(&drv->lock);
		drv->status.l1_scanned = wc.next_block;
		pthread_mutex_unlock(&drv->lock);
		name_l1_block(drv, scanned_below(drv));

		follow_posts(drv);
		l1_defend_step(drv);

		uint64_t head = 0, count = 0, final = 0, next_block = 0;
		uint64_t discard = 0;
		rc = cl_l1_eth_block_number(drv->rpc, &head);
		if (!rc)
			rc = l1_view_u64(drv->rpc, rollup, "batchCount()", &count);
		if (!rc)
			rc = l1_view_u64(drv->rpc, rollup, "finalizedBatchCount()",
				      &final);
		if (!rc)
			rc = l1_view_u64(drv->rpc, rollup, "nextL2Block()",
				      &next_block);
		if (!rc)
			rc = l1_view_u64(drv->rpc, rollup, "lastDiscardTime()",
				      &discard);
		pthread_mutex_lock(&drv->lock);
		drv->status.reachable = rc == CL_OK;
		if (!rc) {
			drv->status.l1_head = head;
			drv->status.batches_posted = count;
			drv->status.batches_final = final;
		}
		pthread_mutex_unlock(&drv->lock);
		if (rc)
			continue;
		if (drv->have_discard && discard != drv->last_discard)
			on_discard(drv, count);
		drv->have_discard = true;
		drv->last_discard = discard;
		struct next_post np;
		if (next_post(drv, count, next_block, &np)) {
			if (cl_clock_mono_ns() >= drv->retry_ns)
				maybe_recut(drv, np.cut);
			try_post(drv, &np);
		}
	}
	return NULL;
}

int cl_l1_driver_start(struct cl_l1_driver **out,
		       const struct cl_l1_driver_config *cfg,
		       struct cl_seq *seq)
{
	struct cl_l1_driver *drv = cl_xcalloc(1, sizeof(*drv));
	struct cl_l1_rpc_opts ro;
	int rc;

	*out = NULL;
	drv->cfg = *cfg;
	if (drv->cfg.batches_in_flight == 0)
		drv->cfg.batches_in_flight = 4;
	if (drv->cfg.batches_in_flight > CL_L1_MAX_BATCHES_IN_FLIGHT)
		drv->cfg.batches_in_flight = CL_L1_MAX_BATCHES_IN_FLIGHT;
	drv->seq = seq;
	if (cfg->censor) {
		drv->has_censor = true;
		drv->censor = *cfg->censor;
		drv->cfg.censor = NULL; /* borrowed: not kept */
	}
	if (cfg->fault && !cl_seq_fault_parse(&drv->fault, cfg->fault)) {
		free(drv);
		return CL_ERR_CONFIG;
	}
	if (l1_defend_open(drv)) {
		free(drv);
		return CL_ERR_CONFIG;
	}
	pthread_mutex_init(&drv->lock, NULL);
	pthread_mutex_init(&drv->qlock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&drv->cond, &ca);
	pthread_condattr_destroy(&ca);

	cl_l1_rpc_opts_default(&ro);
	drv->rpc = cl_l1_rpc_new(cfg->url, &ro);
	drv->query_rpc = cl_l1_rpc_new(cfg->url, &ro);
	if (!drv->rpc || !drv->query_rpc) {
		rc = CL_ERR_CONFIG;
		goto fail;
	}
	struct cl_l1_sender_opts so;
	cl_l1_sender_opts_default(&so);
	so.confirmations = cfg->confirmations;
	so.max_fee_ceiling = cfg->max_fee_wei;
	if (cfg->drop_timeout_ms)
		so.drop_timeout_ms = cfg->drop_timeout_ms;
	rc = cl_l1_sender_open(&drv->sender, drv->rpc, cfg->key, cfg->datadir,
			       cfg->chain_id, &so);
	if (rc)
		goto fail;
	cl_l1_poster_opts_default(&drv->po);
	drv->po.rollup = cfg->rollup;
	drv->po.max_calldata = cfg->max_calldata;
	/* batches that were in flight before a restart, oldest first */
	while (drv->n_fl < CL_L1_MAX_BATCHES_IN_FLIGHT) {
		struct cl_l1_poster_opts ao = drv->po;
		struct cl_l1_post_result r;
		if (drv->n_fl) {
			cl_l1_poster_result(drv->fl[drv->n_fl - 1].poster, &r);
			ao.adopt_from_id = r.tx_id + 1;
		}
		struct cl_l1_poster *p = cl_l1_poster_new(drv->sender, &ao);
		if (cl_l1_poster_state(p) == CL_L1_POST_IDLE) {
			cl_l1_poster_free(p);
			break;
		}
		drv->fl[drv->n_fl++] = (struct inflight){.poster = p};
	}
	if (drv->n_fl)
		cl_info(SUB, "resuming %zu batch(es) that were in flight",
			drv->n_fl);
	drv->status.posting = drv->n_fl > 0;
	/* new posters adopt nothing: each gets the batch it posts */
	drv->po.adopt_from_id = UINT64_MAX;
	struct cl_l1_watcher_opts wo;
	cl_l1_watcher_opts_default(&wo);
	wo.rollup = cfg->rollup;
	wo.start_block = cfg->start_block;
	wo.confirmations = cfg->confirmations;
	/* the cursor is not kept: a restart re-reads deposits from the
	 * start block and the stf's deposit index drops the known ones */
	struct cl_l1_cursor cur = {.next_block = cfg->start_block};
	rc = cl_l1_watcher_open(&drv->watcher, drv->rpc, NULL, &cur, &wo,
				l1_on_deposit, drv);
	if (rc)
		goto fail;
	/* forced requests: the same, from the same block */
	rc = cl_l1_forced_watcher_open(&drv->forced, drv->rpc, NULL, &cur, &wo,
				       l1_on_forced, drv);
	if (rc)
		goto fail;
	/* asset deposits: the same, from the rollup's assets() contract,
	 * when the genesis lists assets */
	if (cl_seq_genesis(seq)->n_assets) {
		uint8_t word[32];
		rc = l1_view_words(drv->rpc, &cfg->rollup, "assets()", false, 0,
				   word, 1);
		for (size_t i = 0; !rc && i < 12; i++)
			if (word[i])
				rc = CL_ERR_CORRUPT;
		if (rc)
			goto fail;
		memcpy(drv->assets.b, word + 12, 20);
		drv->has_assets = true;
		wo.rollup = drv->assets;
		rc = cl_l1_asset_watcher_open(&drv->assets_watcher, drv->rpc,
					      NULL, &cur, &wo,
					      l1_on_asset_deposit, drv);
		if (rc)
			goto fail;
	}
	if (pthread_create(&drv->thread, NULL, driver_main, drv) != 0) {
		rc = CL_ERR_IO;
		goto fail;
	}
	drv->running = true;
	char a[CL_ADDRESS_STR_LEN + 1];
	struct cl_address from;
	cl_l1_sender_address(drv->sender, &from);
	cl_address_format(a, &from);
	cl_info(SUB, "attached to L1 at %s as %s", cfg->url, a);
	*out = drv;
	return CL_OK;
fail:
	cl_unusual(SUB, "cannot attach to L1 at %s: %s", cfg->url,
		   cl_l1_err_str(rc));
	cl_l1_driver_stop(drv);
	return rc < 0 ? rc : CL_ERR_NET;
}

void cl_l1_driver_stop(struct cl_l1_driver *drv)
{
	if (!drv)
		return;
	if (drv->running) {
		pthread_mutex_lock(&drv->lock);
		drv->stop = true;
		pthread_cond_broadcast(&drv->cond);
		pthread_mutex_unlock(&drv->lock);
		pthread_join(drv->thread, NULL);
	}
	cl_l1_watcher_free(drv->watcher);
	cl_l1_watcher_free(drv->forced);
	cl_l1_watcher_free(drv->assets_watcher);
	for (size_t i = 0; i < drv->n_fl; i++)
		cl_l1_poster_free(drv->fl[i].poster);
	for (size_t i = 0; i < drv->n_stale; i++)
		cl_l1_poster_free(drv->stale[i]);
	l1_defend_free(drv);
	cl_l1_sender_free(drv->sender);
	cl_l1_rpc_free(drv->rpc);
	cl_l1_rpc_free(drv->query_rpc);
	pthread_mutex_destroy(&drv->lock);
	pthread_mutex_destroy(&drv->qlock);
	pthread_cond_destroy(&drv->cond);
	free(drv);
}

void cl_l1_driver_status(struct cl_l1_driver *drv, struct cl_l1_status *out)
{
	pthread_mutex_lock(&drv->lock);
	*out = drv->status;
	pthread_mutex_unlock(&drv->lock);
	out->attached = true;
	/* a poll stuck in a call that does not answer (a stalled endpoint)
	 * does not update the status: L1 counts as unreachable once no call
	 * was answered for CL_L1_REACHABLE_MS (or three polls) */
	uint64_t bound = CL_L1_REACHABLE_MS;
	if (bound < 3 * drv->cfg.poll_ms)
		bound = 3 * drv->cfg.poll_ms;
	uint64_t last = cl_l1_rpc_last_answer_ns(drv->rpc);
	uint64_t now = cl_clock_mono_ns();
	if (last == 0 || now - last > bound * 1000000u)
		out->reachable = false;
}

int cl_l1_driver_is_claimed(struct cl_l1_driver *drv, bool *claimed,
			    uint64_t wid)
{
	struct cl_buf cd, ret;
	uint8_t sel[4];

	*claimed = false;
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_selector(sel, "isWithdrawalClaimed(uint64)");
	cl_buf_append(&cd, sel, 4);
	cl_l1_abi_put_u64(&cd, wid);
	struct cl_l1_callreq req = {.to = &drv->cfg.rollup, .data = cd.p,
				    .data_len = cd.len};
	pthread_mutex_lock(&drv->qlock);
	int rc = cl_l1_eth_call(drv->query_rpc, &ret, &req, CL_L1_LATEST);
	if (!rc && !cl_l1_abi_ret_bool(claimed, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc && !*claimed && drv->has_assets) {
		/* an asset withdrawal is paid by the assets contract (the
		 * two share the id sequence: each id is paid by one) */
		cl_buf_reset(&cd);
		cl_buf_reset(&ret);
		cl_l1_selector(sel, "isAssetWithdrawalClaimed(uint64)");
		cl_buf_append(&cd, sel, 4);
		cl_l1_abi_put_u64(&cd, wid);
		struct cl_l1_callreq areq = {.to = &drv->assets, .data = cd.p,
					     .data_len = cd.len};
		rc = cl_l1_eth_call(drv->query_rpc, &ret, &areq, CL_L1_LATEST);
		if (!rc && !cl_l1_abi_ret_bool(claimed, ret.p, ret.len))
			rc = CL_ERR_CORRUPT;
	}
	pthread_mutex_unlock(&drv->qlock);
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

int cl_l1_driver_batch_record(struct cl_l1_driver *drv,
			      struct cl_l1_batch_event *out, uint64_t index)
{
	pthread_mutex_lock(&drv->qlock);
	int rc = cl_l1_batch_record(drv->query_rpc, &drv->cfg.rollup, out,
				    index, drv->cfg.start_block, 0);
	pthread_mutex_unlock(&drv->qlock);
	return rc;
}

const struct cl_address *cl_l1_driver_rollup(const struct cl_l1_driver *drv)
{
	return &drv->cfg.rollup;
}
