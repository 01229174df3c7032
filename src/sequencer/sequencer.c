/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's life cycle, its writer thread and the readers of its
 * published status (include/clearline/sequencer.h).
 */
#include "seq_int.h"

#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

void cl_seq_config_defaults(struct cl_seq_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg)); /* every field not named below is off */
	cfg->block_interval_ms = 100;
	cfg->block_max_txs = 20000;
	cfg->queue_max = 65536;
	cfg->block_max_bytes = 512u << 10; /* the record stays below 1 MiB */
	cfg->cut_interval_ms = 0;
	cfg->cut_max_bytes = 110000;
	cfg->cut_target_bytes = 0;
	cfg->wait_for_l1 = false;
	cfg->keep_blocks = 10000;
	cfg->prune_per_block = 64;
	cfg->archive_blocks = false;
}

const char *cl_seq_err_str(int code)
{
	switch (code) {
	case CL_SEQ_ERR_NOT_ALLOWED:
		return "transaction type is written by the sequencer only";
	case CL_SEQ_ERR_SHUTDOWN:
		return "the sequencer is shutting down";
	case CL_SEQ_ERR_BAD_SIGNATURE:
		return "bad signature";
	case CL_SEQ_ERR_NO_L1:
		return "the sequencer has not read L1 yet: retry in a moment";
	case CL_SEQ_ERR_CENSORED:
		return "censored: this sequencer refuses the signer (--censor, "
		       "tests only)";
	}
	return cl_stf_err_str(code);
}

static void *writer_main(void *arg)
{
	struct cl_seq *s = arg;
	enum { BATCH = 256 };

	for (;;) {
		struct item *first;
		bool stop;
		size_t n = seq_queue_take(s, &first, BATCH, &stop);

		/* in place in the ring: a request is copied once, by
		 * cl_seq_submit. The deadline is looked at after each one,
		 * so a block closes on time however many are taken at once
		 * (the rest go into the next block). */
		for (size_t i = 0; i < n; i++) {
			seq_process(s, &first[i]);
			if (s->block_open &&
			    cl_clock_mono_ns() >= s->deadline_ns)
				seq_seal_block(s);
		}
		seq_queue_release(s, n);
		if (s->block_open &&
		    (stop || cl_clock_mono_ns() >= s->deadline_ns))
			seq_seal_block(s);
		if (!s->block_open && s->cfg.cut_interval_ms &&
		    cl_clock_mono_ns() >= s->cut_due_ns)
			seq_do_cut(s);
		if (!s->block_open)
			seq_recut_serve(s);
		if (stop)
			break;
		/* a cascade that filled a block goes on without waiting for
		 * traffic */
		if (!s->block_open && s->risk_pending) {
			int rc = seq_open_block(s);
			if (rc && s->block_open)
				seq_abort_block(s, rc);
			else if (rc)
				s->risk_pending = false;
		}
	}

	/* answer whatever is still queued */
	seq_queue_drain(s);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Life cycle and the public API                                       */
/* ------------------------------------------------------------------ */

int cl_seq_new(struct cl_seq **out, const struct cl_seq_config *cfg,
	       struct cl_db *db, const struct cl_genesis *g)
{
	struct cl_seq *s;
	int rc;

	*out = NULL;
	if (cfg->block_interval_ms == 0 || cfg->block_max_txs == 0 ||
	    cfg->block_max_bytes == 0 ||
	    cfg->queue_max == 0)
		return CL_ERR_CONFIG;
	s = cl_xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	if (cfg->cut_interval_ms && cfg->block_max_bytes > cfg->cut_max_bytes) {
		/* a block never spans two batches */
		s->cfg.block_max_bytes = cfg->cut_max_bytes;
		cl_info(SUB, "blocks hold at most %llu transaction bytes, the "
			"most one batch carries",
			(unsigned long long)cfg->cut_max_bytes);
	}
	s->db = db;
	s->genesis = *g;
	pthread_rwlock_init(&s->books_lock, NULL);
	pthread_mutex_init(&s->l1_lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_mutex_init(&s->status_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->qcond, &ca);
	pthread_cond_init(&s->recut_cond, NULL);
	pthread_condattr_destroy(&ca);
	seq_queue_init(s);
	cl_buf_init(&s->block_txs);
	cl_buf_init(&s->scratch);

	rc = cl_state_new_lmdb(&s->st, db);
	if (rc)
		goto fail;
	rc = cl_stf_new(&s->stf, s->st, g);
	if (rc)
		goto fail;
	if (!cl_stf_initialized(s->stf)) {
		struct cl_hash32 root;
		rc = cl_stf_genesis_init(s->stf);
		if (!rc)
			rc = cl_state_commit_block(s->st, &root);
		if (rc)
			goto fail;
		cl_info(SUB, "genesis state written");
	}
	struct cl_stf_globals gl;
	struct cl_stf_view view = cl_stf_view(s->stf);
	rc = cl_stf_get_globals(&view, &gl);
	if (rc)
		goto fail;
	struct cl_hash32 root;
	rc = cl_state_root(s->st, &root);
	if (rc)
		goto fail;
	seq_publish_status(s, gl.block_number, gl.block_timestamp_ms, &root, 0);
	rc = seq_load_cut_cursor(s);
	if (!rc)
		rc = cl_chain_load_pruned(s->st, &s->pruned_through);
	if (rc)
		goto fail;
	atomic_store_explicit(&s->ctr.pruned_through, s->pruned_through,
			      memory_order_relaxed);
	s->cut_due_ns = cl_clock_mono_ns() + cfg->cut_interval_ms * 1000000u;
	/* LMDB ties a write transaction to its thread: end the one these
	 * reads opened here before the writer thread takes over */
	cl_state_discard(s->st);
	char hex[67];
	cl_hex_encode(hex, root.b, 32, true);
	cl_info(SUB, "head block %llu, state root %s",
		(unsigned long long)gl.block_number, hex);
	*out = s;
	return CL_OK;
fail:
	cl_unusual(SUB, "cannot start the sequencer: %s", cl_stf_err_str(rc));
	cl_seq_free(s);
	return rc < 0 ? rc : CL_ERR_CONFIG;
}

int cl_seq_start(struct cl_seq *s)
{
	CL_REQUIRE(!s->running);
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0)
		return CL_ERR_IO;
	pthread_setname_np(s->thread, "cl-seq-writer"); /* for top, perf */
	s->running = true;
	return CL_OK;
}

void cl_seq_stop(struct cl_seq *s)
{
	if (!s->running) {
		/* never started: still answer what was queued */
		pthread_mutex_lock(&s->qlock);
		s->stopping = true;
		pthread_mutex_unlock(&s->qlock);
		seq_queue_drain(s);
		return;
	}
	pthread_mutex_lock(&s->qlock);
	s->stopping = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	pthread_join(s->thread, NULL);
	s->running = false;
	/* a re-cut asked for and not served: answer it */
	pthread_mutex_lock(&s->qlock);
	if (s->recut_req) {
		s->recut_req = false;
		s->recut_done = true;
		s->recut_rc = CL_SEQ_ERR_SHUTDOWN;
		pthread_cond_broadcast(&s->recut_cond);
	}
	pthread_mutex_unlock(&s->qlock);
}

void cl_seq_free(struct cl_seq *s)
{
	if (!s)
		return;
	cl_seq_stop(s);
	cl_stf_free(s->stf);
	cl_state_free(s->st);
	seq_queue_free(s);
	free(s->acks);
	free(s->fills);
	cl_buf_release(&s->block_txs);
	cl_buf_release(&s->scratch);
	pthread_rwlock_destroy(&s->books_lock);
	pthread_mutex_destroy(&s->l1_lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_mutex_destroy(&s->status_lock);
	pthread_cond_destroy(&s->qcond);
	pthread_cond_destroy(&s->recut_cond);
	free(s->reader);
	free(s);
}

void cl_seq_on_block(struct cl_seq *s, cl_seq_block_fn fn, void *arg)
{
	CL_REQUIRE(!s->running);
	s->block_fn = fn;
	s->block_arg = arg;
}

const struct cl_eip712_domain *cl_seq_domain(const struct cl_seq *s)
{
	return cl_stf_domain(s->stf);
}

const struct cl_genesis *cl_seq_genesis(const struct cl_seq *s)
{
	return &s->genesis;
}

struct cl_db *cl_seq_db(const struct cl_seq *s)
{
	return s->db;
}

void cl_seq_set_l1_ref(struct cl_seq *s, const struct cl_l1_ref *ref)
{
	pthread_mutex_lock(&s->l1_lock);
	if (!s->has_l1_ref || ref->number > s->l1_ref.number) {
		s->l1_ref = *ref;
		s->has_l1_ref = true;
	}
	pthread_mutex_unlock(&s->l1_lock);
}

size_t cl_seq_book_depth(struct cl_seq *s, struct book_level *out,
			 size_t max, uint32_t market, enum book_side side)
{
	struct cl_stf_level *lv;
	size_t n;

	if (max == 0)
		return 0;
	lv = cl_xcalloc(max, sizeof(*lv));
	pthread_rwlock_rdlock(&s->books_lock);
	n = cl_stf_book_depth(s->stf, lv, max, market, side == BOOK_BUY);
	pthread_rwlock_unlock(&s->books_lock);
	for (size_t i = 0; i < n; i++) {
		out[i].price.v = lv[i].price;
		out[i].size.v = lv[i].size;
		out[i].orders = lv[i].orders;
	}
	free(lv);
	return n;
}

void cl_seq_status(struct cl_seq *s, struct cl_seq_status *out)
{
	pthread_mutex_lock(&s->status_lock);
	*out = s->status;
	pthread_mutex_unlock(&s->status_lock);
	pthread_mutex_lock(&s->qlock);
	out->queued = s->qlen;
	pthread_mutex_unlock(&s->qlock);
}

int cl_seq_view(struct cl_seq *s, struct cl_stf_view *out)
{
	memset(out, 0, sizeof(*out));
	out->genesis = &s->genesis;
	return cl_snapshot_new(&out->snapshot, s->db);
}

void cl_seq_view_release(struct cl_stf_view *v)
{
	cl_snapshot_free(v->snapshot);
	v->snapshot = NULL;
}

int cl_seq_block_root(struct cl_seq *s, struct cl_hash32 *out,
		      uint64_t number)
{
	struct cl_seq_status st;
	struct cl_snapshot *snap;

	memset(out, 0, sizeof(*out));
	cl_seq_status(s, &st);
	if (number > st.head_block)
		return CL_ERR_NOT_FOUND;
	int rc = cl_snapshot_new(&snap, s->db);
	if (rc)
		return rc;
	rc = cl_chain_root_from_blocks(snap, out, number);
	cl_snapshot_free(snap);
	return rc;
}
