/* SPDX-License-Identifier: MIT */
/*
 * The verifier's published status: the derived head, what L1 says, and
 * the sync ver_progress (blocks per second, time left) with its log line.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

void ver_publish_head(struct cl_verifier *v)
{
	struct cl_stf_globals g;
	struct cl_hash32 root;
	struct cl_stf_view view = cl_stf_view(v->stf);

	if (cl_stf_get_globals(&view, &g) || cl_state_root(v->st, &root))
		return;
	pthread_mutex_lock(&v->lock);
	v->status.head_block = g.block_number;
	v->status.head_timestamp_ms = g.block_timestamp_ms;
	v->status.head_root = root;
	v->status.has_derived = v->cur.next_batch > 0;
	v->status.derived_batch = v->cur.next_batch ? v->cur.next_batch - 1 : 0;
	v->status.txs_derived = v->cur.txs;
	v->status.fault = v->fault;
	pthread_mutex_unlock(&v->lock);
}

void ver_publish_games(struct cl_verifier *v)
{
	pthread_mutex_lock(&v->lock);
	v->status.has_games = v->elf != NULL;
	if (v->game.opened) {
		cl_chain_game_status(&v->status.games[0], &v->game.play);
		v->status.n_games = 1;
	}
	pthread_mutex_unlock(&v->lock);
}

void ver_publish_l1(struct cl_verifier *v, bool reachable)
{
	pthread_mutex_lock(&v->lock);
	v->status.l1_reachable = reachable;
	if (reachable) {
		v->status.l1_head = v->l1_head;
		v->status.has_posted = v->batch_count > 0;
		v->status.posted_batch =
		    v->batch_count ? v->batch_count - 1 : 0;
		v->status.has_final = v->final_count > 0;
		v->status.finalized_batch =
		    v->final_count ? v->final_count - 1 : 0;
		v->status.posted_last_block =
		    v->next_l2_block ? v->next_l2_block - 1 : 0;
	}
	v->status.l1_scanned = v->scan_next;
	v->status.fault = v->fault;
	pthread_mutex_unlock(&v->lock);
}

/* Blocks per second over the last few seconds, the time left, and an
 * info line every progress_ms while there is work or news. */
void ver_progress(struct cl_verifier *v, bool force)
{
	uint64_t now = cl_clock_mono_ns();
	struct cl_verifier_status st;

	cl_verifier_status(v, &st);
	if (v->prog_ns == 0) {
		v->prog_ns = now;
		v->prog_block = st.head_block;
	}
	uint64_t dt = now - v->prog_ns;
	if (dt >= 2000000000ull) {
		uint64_t db = st.head_block >= v->prog_block
				  ? st.head_block - v->prog_block
				  : 0;
		v->bps = db * 1000000000ull / dt;
		v->prog_ns = now;
		v->prog_block = st.head_block;
	}
	uint64_t left = st.posted_last_block > st.head_block
			    ? st.posted_last_block - st.head_block
			    : 0;
	pthread_mutex_lock(&v->lock);
	v->status.blocks_per_second = v->bps;
	v->status.has_eta = left == 0 || v->bps > 0;
	v->status.eta_seconds = left == 0 ? 0
				: v->bps  ? (left + v->bps - 1) / v->bps
					  : 0;
	st.has_eta = v->status.has_eta;
	st.eta_seconds = v->status.eta_seconds;
	pthread_mutex_unlock(&v->lock);

	if (!force && now - v->last_log_ns < v->cfg.progress_ms * 1000000ull)
		return;
	v->last_log_ns = now;
	char eta[32];
	if (st.has_eta)
		snprintf(eta, sizeof(eta), "%llus",
			 (unsigned long long)st.eta_seconds);
	else
		snprintf(eta, sizeof(eta), "unknown");
	cl_info(SUB,
		"sync: %llu of %llu batches derived (final %llu), "
		"block %llu of %llu, %llu blocks/s, eta %s%s",
		(unsigned long long)v->cur.next_batch,
		(unsigned long long)v->batch_count,
		(unsigned long long)v->final_count,
		(unsigned long long)st.head_block,
		(unsigned long long)st.posted_last_block,
		(unsigned long long)v->bps, eta,
		v->fault.set ? ", stopped at a fault" : "");
}


void cl_verifier_status(struct cl_verifier *v, struct cl_verifier_status *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->status;
	pthread_mutex_unlock(&v->lock);
}
