/* SPDX-License-Identifier: MIT */
/*
 * The verifier and replica: derive the L2 chain from the rollup contract's
 * logs and the batch data in the posting transactions, replay it through
 * the stf, compare every root, challenge a wrong batch
 * (include/clearline/verifier.h, docs/verifier.md). This file: the life
 * cycle, the derivation thread's loop, start-up and wipe, and readers.
 */
#include "ver_int.h"

#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

void cl_verifier_config_defaults(struct cl_verifier_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->confirmations = 3;
	cfg->poll_ms = 500;
	cfg->log_range = 1000;
	cfg->max_fee_wei = 500000000000ull;
	cfg->progress_ms = 5000;
	cl_batch_limits_default(&cfg->limits);
}

void ver_hexroot(char out[67], const struct cl_hash32 *h)
{
	cl_hex_encode(out, h->b, 32, true);
}

bool ver_stopping(struct cl_verifier *v)
{
	pthread_mutex_lock(&v->lock);
	bool s = v->stop;
	pthread_mutex_unlock(&v->lock);
	return s;
}


/* ------------------------------------------------------------------ */
/* Start-up and wipe                                                   */
/* ------------------------------------------------------------------ */

static int init_state(struct cl_verifier *v)
{
	int rc = cl_stf_new(&v->stf, v->st, &v->genesis);
	if (rc)
		return rc;
	if (!cl_stf_initialized(v->stf)) {
		struct cl_hash32 root;
		rc = cl_stf_genesis_init(v->stf);
		if (!rc)
			rc = cl_state_commit_block(v->st, &root);
		if (rc)
			return rc;
		cl_info(SUB, "genesis state written");
	}
	rc = ver_load_cursor(v);
	if (!rc)
		ver_publish_head(v);
	return rc;
}

/* Delete everything this database holds, in one transaction. */
static int wipe_all(struct cl_verifier *v)
{
	size_t nt;
	const struct cl_table_info *tabs = cl_table_list(&nt);
	struct cl_buf keys;
	int rc = CL_OK;

	cl_buf_init(&keys);
	for (size_t t = 0; t < nt && !rc; t++) {
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		cl_buf_reset(&keys);
		rc = cl_state_iter_new(&it, v->st, tabs[t].id, NULL, 0);
		if (rc)
			break;
		while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) ==
		       CL_OK) {
			cl_buf_append_byte(&keys, (uint8_t)kl);
			cl_buf_append(&keys, k, kl);
		}
		cl_state_iter_free(it);
		if (rc != CL_ERR_NOT_FOUND)
			break;
		rc = CL_OK;
		for (size_t off = 0; off < keys.len;) {
			size_t kl2 = keys.p[off];
			cl_state_del(v->st, tabs[t].id, keys.p + off + 1, kl2);
			off += 1 + kl2;
		}
	}
	cl_buf_release(&keys);
	if (!rc)
		rc = cl_state_commit_block(v->st, NULL);
	if (rc)
		cl_state_discard(v->st);
	return rc;
}

static int rederive(struct cl_verifier *v, const char *why)
{
	cl_unusual(SUB,
		   "%s: wiping the database and deriving again from "
		   "genesis",
		   why);
	pthread_rwlock_wrlock(&v->books_lock);
	cl_stf_free(v->stf);
	v->stf = NULL;
	int rc = wipe_all(v);
	if (rc) {
		cl_unusual(SUB, "cannot wipe the database: %s", cl_err_str(rc));
		/* the old state is still whole: keep it and retry later */
		if (cl_stf_new(&v->stf, v->st, &v->genesis) == CL_OK)
			cl_state_discard(v->st);
		pthread_rwlock_unlock(&v->books_lock);
		return rc;
	}
	memset(&v->fault, 0, sizeof(v->fault));
	ver_game_reset(v);
	ver_ahead_clear(v);
	v->has_l1_checked = false;
	rc = init_state(v);
	pthread_rwlock_unlock(&v->books_lock);
	cl_state_discard(v->st);
	pthread_mutex_lock(&v->lock);
	v->status.rederivations++;
	pthread_mutex_unlock(&v->lock);
	v->wipe_requested = false;
	return rc;
}


static bool sleep_or_stop(struct cl_verifier *v, uint64_t ms)
{
	uint64_t dl = cl_clock_mono_ns() + ms * 1000000u;
	struct timespec ts = {.tv_sec = (time_t)(dl / 1000000000u),
			      .tv_nsec = (long)(dl % 1000000000u)};
	pthread_mutex_lock(&v->lock);
	if (!v->stop)
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	bool stop = v->stop;
	pthread_mutex_unlock(&v->lock);
	return stop;
}

static void *verifier_main(void *arg)
{
	struct cl_verifier *v = arg;
	uint64_t pause = 0;

	while (!sleep_or_stop(v, pause)) {
		bool more = false;
		pause = v->cfg.poll_ms;
		if (v->wipe_requested) {
			if (rederive(v, "history changed under verified "
					"batches")) {
				pause = 5000;
				continue;
			}
		}
		if (v->assets_refused)
			continue; /* another chain's deployment (logged) */
		int rc = ver_poll_l1(v);
		if (!rc && !v->assets_checked) {
			rc = ver_assets_check(v);
			if (rc == CL_ERR_CONFIG) {
				v->assets_refused = true;
				continue;
			}
		}
		if (!rc)
			rc = ver_check_anchor(v);
		if (!rc)
			rc = ver_scan(v, &more);
		/* LMDB ties a write transaction to its thread and reads
		 * open one: end it so readers see no stale snapshot */
		cl_state_discard(v->st);
		if (rc == STEP_RESTART) {
			more = true;
		} else if (rc && rc != CL_ERR_BUSY) {
			cl_debug(SUB, "round ended early: %s",
				 cl_l1_err_str(rc));
		}
		ver_publish_l1(v, v->status.l1_reachable);
		ver_challenge_step(v);
		cl_state_discard(v->st);
		ver_progress(v, false);
		if (more && !rc)
			pause = 0;
		else if (more)
			pause = 10;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

int cl_verifier_new(struct cl_verifier **out,
		    const struct cl_verifier_config *cfg, struct cl_db *db,
		    const struct cl_genesis *g)
{
	struct cl_verifier *v;
	struct cl_l1_rpc_opts ro;
	int rc;

	*out = NULL;
	if (!cfg->l1_url || !cfg->datadir || cfg->confirmations == 0 ||
	    cfg->log_range == 0)
		return CL_ERR_CONFIG;
	v = cl_xcalloc(1, sizeof(*v));
	v->cfg = *cfg;
	v->l1_url = cl_xstrdup(cfg->l1_url);
	v->datadir = cl_xstrdup(cfg->datadir);
	v->cfg.l1_url = v->l1_url;
	v->cfg.datadir = v->datadir;
	v->genesis = *g;
	v->db = db;
	v->status.replica = cfg->replica;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->qlock, NULL);
	pthread_rwlock_init(&v->books_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);

	cl_l1_rpc_opts_default(&ro);
	v->rpc = cl_l1_rpc_new(cfg->l1_url, &ro);
	v->query_rpc = cl_l1_rpc_new(cfg->l1_url, &ro);
	if (!v->rpc || !v->query_rpc) {
		rc = CL_ERR_CONFIG;
		goto fail;
	}
	/* the loop retries by itself */
	cl_l1_rpc_set_retries(v->rpc, 1);
	v->cfg.game_program = NULL;
	if (cfg->game_program) {
		rc = cl_game_program_read(&v->elf, &v->elf_len,
					  cfg->game_program);
		if (rc)
			goto fail;
	}
	/* everything stored here can be derived again from L1: commits
	 * sync their data but leave the meta page to the next commit, and
	 * each verified batch ends with one full sync (docs/verifier.md
	 * "Durability"). Before any other thread uses the database. */
	rc = cl_db_set_sync(db, CL_DB_SYNC_DATA);
	if (rc)
		goto fail;
	rc = cl_state_new_lmdb(&v->st, db);
	if (rc)
		goto fail;
	rc = init_state(v);
	if (rc)
		goto fail;
	cl_state_discard(v->st);
	/* the assets contract must list the genesis's assets: refuse to
	 * start against another chain's deployment (an unreachable L1 is
	 * checked again before the first scan) */
	rc = ver_assets_check(v);
	if (rc == CL_ERR_CONFIG)
		goto fail;
	rc = CL_OK;
	struct cl_verifier_status st;
	cl_verifier_status(v, &st);
	char hex[67];
	ver_hexroot(hex, &st.head_root);
	cl_info(SUB,
		"%s: head block %llu, state root %s, %llu batches "
		"verified",
		cfg->replica ? "replica" : "verifier",
		(unsigned long long)st.head_block, hex,
		(unsigned long long)v->cur.next_batch);
	*out = v;
	return CL_OK;
fail:
	cl_unusual(SUB, "cannot start the verifier: %s", cl_stf_err_str(rc));
	cl_verifier_free(v);
	return rc < 0 ? rc : CL_ERR_CONFIG;
}

int cl_verifier_start(struct cl_verifier *v)
{
	CL_REQUIRE(!v->running);
	if (pthread_create(&v->thread, NULL, verifier_main, v) != 0)
		return CL_ERR_IO;
	v->running = true;
	return CL_OK;
}

void cl_verifier_stop(struct cl_verifier *v)
{
	if (!v->running)
		return;
	pthread_mutex_lock(&v->lock);
	v->stop = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	pthread_join(v->thread, NULL);
	v->running = false;
}

void cl_verifier_free(struct cl_verifier *v)
{
	if (!v)
		return;
	cl_verifier_stop(v);
	ver_ahead_clear(v);
	ver_game_reset(v);
	free(v->elf);
	cl_l1_sender_free(v->sender);
	cl_stf_free(v->stf);
	cl_state_free(v->st);
	cl_l1_rpc_free(v->rpc);
	cl_l1_rpc_free(v->query_rpc);
	free(v->deps);
	free(v->forced);
	free(v->l1_url);
	free(v->datadir);
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->qlock);
	pthread_rwlock_destroy(&v->books_lock);
	pthread_cond_destroy(&v->cond);
	free(v);
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

int cl_verifier_block_root(struct cl_verifier *v, struct cl_hash32 *out,
			   uint64_t number)
{
	struct cl_snapshot *snap;
	struct cl_stf_view view;
	struct cl_stf_globals g;

	memset(out, 0, sizeof(*out));
	int rc = cl_snapshot_new(&snap, v->db);
	if (rc)
		return rc;
	memset(&view, 0, sizeof(view));
	view.genesis = &v->genesis;
	view.snapshot = snap;
	rc = cl_stf_get_globals(&view, &g);
	if (!rc && number > g.block_number)
		rc = CL_ERR_NOT_FOUND;
	if (!rc && number == g.block_number) {
		rc = cl_snapshot_root(snap, out);
	} else if (!rc) {
		rc = cl_chain_get_root(snap, out, number);
	}
	cl_snapshot_free(snap);
	return rc;
}

int cl_verifier_is_claimed(struct cl_verifier *v, bool *claimed, uint64_t wid)
{
	struct cl_buf ret;

	*claimed = false;
	cl_buf_init(&ret);
	pthread_mutex_lock(&v->qlock);
	int rc = ver_view_call(v->query_rpc, &v->genesis.rollup, &ret,
			       "isWithdrawalClaimed(uint64)", true, wid);
	if (!rc && !cl_l1_abi_ret_bool(claimed, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc && !*claimed && v->genesis.n_assets) {
		/* an asset withdrawal is paid by the assets contract (the
		 * two share the id sequence: each id is paid by one) */
		struct cl_address assets;
		cl_l1_assets_address(&assets, &v->genesis.rollup);
		cl_buf_reset(&ret);
		rc = ver_view_call(v->query_rpc, &assets, &ret,
				   "isAssetWithdrawalClaimed(uint64)", true,
				   wid);
		if (!rc && !cl_l1_abi_ret_bool(claimed, ret.p, ret.len))
			rc = CL_ERR_CORRUPT;
	}
	pthread_mutex_unlock(&v->qlock);
	cl_buf_release(&ret);
	return rc;
}

int cl_verifier_batch_record(struct cl_verifier *v,
			     struct cl_l1_batch_event *out, uint64_t index)
{
	pthread_mutex_lock(&v->qlock);
	int rc = cl_l1_batch_record(v->query_rpc, &v->genesis.rollup, out,
				    index, v->cfg.start_block,
				    v->cfg.log_range);
	pthread_mutex_unlock(&v->qlock);
	return rc;
}

bool cl_verifier_has_books(const struct cl_verifier *v)
{
	return v->cfg.replica;
}

size_t cl_verifier_book_depth(struct cl_verifier *v, struct book_level *out,
			      size_t max, uint32_t market, enum book_side side)
{
	struct cl_stf_level *lv;
	size_t n = 0;

	if (max == 0 || !v->cfg.replica)
		return 0;
	lv = cl_xcalloc(max, sizeof(*lv));
	pthread_rwlock_rdlock(&v->books_lock);
	if (v->stf)
		n = cl_stf_book_depth(v->stf, lv, max, market,
				      side == BOOK_BUY);
	pthread_rwlock_unlock(&v->books_lock);
	for (size_t i = 0; i < n; i++) {
		out[i].price.v = lv[i].price;
		out[i].size.v = lv[i].size;
		out[i].orders = lv[i].orders;
	}
	free(lv);
	return n;
}

const struct cl_address *cl_verifier_rollup(const struct cl_verifier *v)
{
	return &v->genesis.rollup;
}
