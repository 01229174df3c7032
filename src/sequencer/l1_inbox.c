/* SPDX-License-Identifier: MIT */
/*
 * What L1 sends the sequencer: deposits, forced requests and asset
 * deposits read by the watchers become DEPOSIT, FORCED and ASSET_DEPOSIT
 * requests in the next block, in id order, exactly once (the stf refuses
 * any other id), each handed to the writer and waited for until its block
 * is durable.
 */
#include "l1_int.h"

#include <string.h>

static const char *const SUB = "l1";

/* ---- deposits ---- */

struct dep_wait {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
	int code;
};

static void dep_done(void *arg, const struct cl_seq_result *r)
{
	struct dep_wait *w = arg;
	pthread_mutex_lock(&w->m);
	w->code = r->code;
	w->done = true;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
}

/* Hand an L1-made request (a deposit, a forced request) to the
 * sequencer and wait until its block is durable: its answer code. */
static int submit_and_wait(struct cl_l1_driver *drv, const struct cl_tx *tx)
{
	struct dep_wait w = {.done = false};
	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.c, NULL);
	int rc = cl_seq_submit(drv->seq, tx, dep_done, &w);
	if (rc == CL_OK) {
		pthread_mutex_lock(&w.m);
		while (!w.done)
			pthread_cond_wait(&w.c, &w.m);
		pthread_mutex_unlock(&w.m);
		rc = w.code;
	}
	pthread_mutex_destroy(&w.m);
	pthread_cond_destroy(&w.c);
	return rc;
}

int l1_on_deposit(void *arg, const struct cl_l1_deposit *d)
{
	struct cl_l1_driver *drv = arg;
	struct cl_stf_view v;
	struct cl_stf_globals g;

	int rc = cl_seq_view(drv->seq, &v);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&v, &g);
	cl_seq_view_release(&v);
	if (rc)
		return rc;
	if (d->id < g.next_deposit_id) {
		/* credited before (a restart re-reads L1): l2_syncStatus
		 * counts it all the same, or it would show 0 after a restart
		 * until the next new deposit */
		pthread_mutex_lock(&drv->lock);
		if (drv->status.deposits_credited < d->id + 1)
			drv->status.deposits_credited = d->id + 1;
		pthread_mutex_unlock(&drv->lock);
		return CL_OK;
	}

	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_DEPOSIT;
	tx.u.deposit.id = d->id;
	tx.u.deposit.to = d->to;
	tx.u.deposit.amount = d->amount;
	cl_tx_recover(&tx, cl_seq_domain(drv->seq));

	rc = submit_and_wait(drv, &tx);
	if (rc) {
		cl_unusual(SUB, "deposit %llu not credited yet: %s",
			   (unsigned long long)d->id, cl_seq_err_str(rc));
		return rc;
	}
	char to[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(to, &d->to);
	cl_info(SUB, "deposit %llu credited: %llu to %s",
		(unsigned long long)d->id, (unsigned long long)d->amount, to);
	pthread_mutex_lock(&drv->lock);
	drv->status.deposits_credited = d->id + 1;
	pthread_mutex_unlock(&drv->lock);
	return CL_OK;
}

/* ---- forced requests (docs/sequencer.md "Forced requests") ---- */

/*
 * A forced request read from L1 becomes a FORCED request in the next
 * block, in id order, exactly once (the stf refuses any other id). The
 * stf never refuses one for its contents: every outcome is recorded.
 */
int l1_on_forced(void *arg, const struct cl_l1_forced *f)
{
	struct cl_l1_driver *drv = arg;
	struct cl_stf_view v;
	struct cl_stf_globals g;
	struct cl_tx tx;

	if (drv->fault.kind == CL_FAULT_CENSOR_FORCED) {
		/* tests only (--fault censor-forced): a censoring sequencer */
		cl_debug(SUB, "fault injection: forced request %llu ignored",
			 (unsigned long long)f->id);
		return CL_ERR_BUSY;
	}
	if (drv->has_censor && cl_address_eq(&f->account, &drv->censor)) {
		/* tests only (--censor): this account's requests, and so
		 * every later one, wait for ever */
		cl_debug(SUB, "censor: forced request %llu ignored",
			 (unsigned long long)f->id);
		return CL_ERR_BUSY;
	}
	int rc = cl_seq_view(drv->seq, &v);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&v, &g);
	cl_seq_view_release(&v);
	if (rc)
		return rc;
	if (f->id < g.next_forced_id) {
		pthread_mutex_lock(&drv->lock);
		if (drv->status.forced_applied < f->id + 1)
			drv->status.forced_applied = f->id + 1;
		pthread_mutex_unlock(&drv->lock);
		return CL_OK;
	}
	if (!cl_l1_forced_tx(&tx, f)) {
		/* the contract refuses such fields: a different contract? */
		cl_broken(SUB, "forced request %llu has kind %u and fields "
			  "the rollup contract never accepts",
			  (unsigned long long)f->id, (unsigned)f->kind);
		return CL_ERR_CORRUPT;
	}
	cl_tx_recover(&tx, cl_seq_domain(drv->seq));

	rc = submit_and_wait(drv, &tx);
	if (rc) {
		cl_unusual(SUB, "forced request %llu not applied yet: %s",
			   (unsigned long long)f->id, cl_seq_err_str(rc));
		return rc;
	}
	char who[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(who, &f->account);
	cl_info(SUB, "forced request %llu applied: %s for %s",
		(unsigned long long)f->id, cl_forced_kind_str(f->kind), who);
	pthread_mutex_lock(&drv->lock);
	drv->status.forced_applied = f->id + 1;
	pthread_mutex_unlock(&drv->lock);
	return CL_OK;
}

/* One step of the forced-request watcher; a watcher that lost its place
 * starts again from the start block (the stf drops applied ids). */
void l1_forced_step(struct cl_l1_driver *drv)
{
	int rc = cl_l1_watcher_step(drv->forced, NULL);

	if (rc == CL_L1_BROKEN) {
		cl_unusual(SUB, "forced-request watcher lost its place on "
			   "L1: reading them again from block %llu",
			   (unsigned long long)drv->cfg.start_block);
		struct cl_l1_watcher *w = NULL;
		struct cl_l1_watcher_opts wo;
		cl_l1_watcher_opts_default(&wo);
		wo.rollup = drv->cfg.rollup;
		wo.start_block = drv->cfg.start_block;
		wo.confirmations = drv->cfg.confirmations;
		struct cl_l1_cursor cur = {.next_block = drv->cfg.start_block};
		if (cl_l1_forced_watcher_open(&w, drv->rpc, NULL, &cur, &wo,
					      l1_on_forced, drv) == CL_OK) {
			cl_l1_watcher_free(drv->forced);
			drv->forced = w;
		}
	} else if (rc && rc != CL_L1_STOPPED) {
		cl_debug(SUB, "forced-request watcher: %s", cl_l1_err_str(rc));
	}
}


/* ---- asset deposits (docs/sequencer.md "Collateral assets") ---- */

/*
 * An AssetDeposit read from the assets contract becomes an ASSET_DEPOSIT
 * request, in its own id order, exactly once, as a deposit does. An
 * asset the genesis does not list is refused by the stf: that can only
 * be a contract configured for another chain (the verifier refuses to
 * run against one), so it is logged and retried, never skipped.
 */
int l1_on_asset_deposit(void *arg, const struct cl_l1_asset_deposit *d)
{
	struct cl_l1_driver *drv = arg;
	struct cl_stf_view v;
	struct cl_stf_globals g;
	struct cl_tx tx;

	int rc = cl_seq_view(drv->seq, &v);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&v, &g);
	cl_seq_view_release(&v);
	if (rc)
		return rc;
	if (d->id < g.next_asset_deposit_id) {
		pthread_mutex_lock(&drv->lock);
		if (drv->status.asset_deposits_credited < d->id + 1)
			drv->status.asset_deposits_credited = d->id + 1;
		pthread_mutex_unlock(&drv->lock);
		return CL_OK;
	}
	cl_l1_asset_deposit_tx(&tx, d);
	cl_tx_recover(&tx, cl_seq_domain(drv->seq));

	rc = submit_and_wait(drv, &tx);
	if (rc) {
		cl_unusual(SUB, "asset deposit %llu not credited yet: %s",
			   (unsigned long long)d->id, cl_seq_err_str(rc));
		return rc;
	}
	char to[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(to, &d->to);
	cl_info(SUB, "asset deposit %llu credited: %llu of asset %u to %s",
		(unsigned long long)d->id, (unsigned long long)d->amount,
		(unsigned)d->asset, to);
	pthread_mutex_lock(&drv->lock);
	drv->status.asset_deposits_credited = d->id + 1;
	pthread_mutex_unlock(&drv->lock);
	return CL_OK;
}

/* One step of the asset-deposit watcher (none on a chain without
 * assets); one that lost its place starts again from the start block. */
void l1_asset_step(struct cl_l1_driver *drv)
{
	if (!drv->assets_watcher)
		return;
	int rc = cl_l1_watcher_step(drv->assets_watcher, NULL);

	if (rc == CL_L1_BROKEN) {
		cl_unusual(SUB, "asset-deposit watcher lost its place on L1: "
			   "reading them again from block %llu",
			   (unsigned long long)drv->cfg.start_block);
		struct cl_l1_watcher *w = NULL;
		struct cl_l1_watcher_opts wo;
		cl_l1_watcher_opts_default(&wo);
		wo.rollup = drv->assets;
		wo.start_block = drv->cfg.start_block;
		wo.confirmations = drv->cfg.confirmations;
		struct cl_l1_cursor cur = {.next_block = drv->cfg.start_block};
		if (cl_l1_asset_watcher_open(&w, drv->rpc, NULL, &cur, &wo,
					     l1_on_asset_deposit,
					     drv) == CL_OK) {
			cl_l1_watcher_free(drv->assets_watcher);
			drv->assets_watcher = w;
		}
	} else if (rc && rc != CL_L1_STOPPED) {
		cl_debug(SUB, "asset-deposit watcher: %s", cl_l1_err_str(rc));
	}
}
