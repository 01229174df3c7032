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
 * (l1_next_post() says when the gas is estimated and when bounded).
 *
 * Posting (l1_post.c) cannot wedge: waiting cuts are merged before they
 * go, a discard restarts posting from batchCount, and each batch is
 * checked against the contract's time rules before it is sent.
 */
#include "l1_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const SUB = "l1";


/* ---- contract views ---- */

/* A view with one optional uint64 argument returning exactly `n` words,
 * read on the state after L1 block `block` (UINT64_MAX: "latest"). */
static int view_words_at(struct cl_l1_rpc *rpc,
			 const struct cl_address *rollup, const char *sig,
			 bool has_arg, uint64_t arg, uint64_t block,
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
	int rc = block == UINT64_MAX
			 ? cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST)
			 : cl_l1_eth_call_at(rpc, &ret, &req, block);
	if (!rc && ret.len != 32 * n)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		memcpy(out, ret.p, 32 * n);
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

int l1_view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		const char *sig, uint64_t *out)
{
	uint8_t w[32];
	int rc = view_words_at(rpc, rollup, sig, false, 0, UINT64_MAX, w, 1);

	*out = 0;
	if (!rc && !cl_l1_abi_ret_u64(out, w, 32))
		rc = CL_ERR_CORRUPT;
	return rc;
}

int l1_view_words(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		  const char *sig, bool has_arg, uint64_t arg, uint8_t *out,
		  size_t n)
{
	return view_words_at(rpc, rollup, sig, has_arg, arg, UINT64_MAX, out,
			     n);
}

int l1_posting_state(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		     uint64_t block, struct l1_posting_state *out)
{
	uint8_t w[4 * 32];
	uint64_t *field[4] = {&out->count, &out->final, &out->next_block,
			      &out->discard_time};
	int rc = view_words_at(rpc, rollup, "postingState()", false, 0, block,
			       w, 4);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; !rc && i < 4; i++)
		if (!cl_l1_abi_ret_u64(field[i], w + 32 * i, 32))
			rc = CL_ERR_CORRUPT;
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
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

		l1_follow_posts(drv);
		l1_defend_step(drv);

		uint64_t head = 0;
		struct l1_posting_state ps;
		/*
		 * One call, on the state after the block number read first: read
		 * one by one at "latest", a batch or a discard landing between
		 * two calls paired a batch count from before it with a next
		 * block from after it; even read one by one at one block
		 * number, a devnet's answers once mixed two states while it
		 * mined a discard (a count after it, a next block and
		 * lastDiscardTime from before it), so the discard went unseen
		 * for a poll and the re-cut batch went out first.
		 */
		rc = cl_l1_eth_block_number(drv->rpc, &head);
		if (!rc) {
			rc = l1_posting_state(drv->rpc, rollup, head, &ps);
			/* an error reply, or not four words: an older
			 * rollup, or no rollup at that address */
			bool refused = rc == CL_L1_RPC_ERROR ||
				       rc == CL_ERR_CORRUPT;
			if (refused && !drv->state_refused)
				cl_broken(SUB,
					  "the rollup does not answer "
					  "postingState() (%s): one deployed "
					  "by an older release has no such "
					  "view; nothing is posted until it "
					  "answers (deploy this release's "
					  "rollup)",
					  cl_l1_err_str(rc));
			else if (!rc && drv->state_refused)
				cl_info(SUB, "the rollup answers "
					     "postingState() again");
			if (refused || !rc)
				drv->state_refused = refused;
		}
		pthread_mutex_lock(&drv->lock);
		drv->status.reachable = rc == CL_OK;
		if (!rc) {
			drv->status.l1_head = head;
			drv->status.batches_posted = ps.count;
			drv->status.batches_final = ps.final;
		}
		pthread_mutex_unlock(&drv->lock);
		if (!rc)
			cl_seq_set_final_batches(drv->seq, ps.final);
		if (rc)
			continue;
		if (drv->have_discard && ps.discard_time != drv->last_discard)
			l1_on_discard(drv, ps.count);
		drv->have_discard = true;
		drv->last_discard = ps.discard_time;
		struct next_post np;
		if (l1_next_post(drv, ps.count, ps.next_block, &np)) {
			if (cl_clock_mono_ns() >= drv->retry_ns)
				l1_maybe_recut(drv, np.cut);
			l1_try_post(drv, &np);
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
