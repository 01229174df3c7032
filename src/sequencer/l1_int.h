/* SPDX-License-Identifier: MIT */
/*
 * Internal to the sequencer's L1 link: the driver's state, shared by
 * l1_driver.c (the thread, status), l1_post.c (posting batches) and l1_inbox.c
 * (deposits, forced requests and asset deposits from L1 become
 * requests, exactly once),
 * and the contract views both read.
 */
#ifndef CLEARLINE_SEQ_L1_INT_H
#define CLEARLINE_SEQ_L1_INT_H

#include <clearline/batch.h>
#include <clearline/sequencer.h>

#include <pthread.h>

/* One batch on its way to L1. */
struct inflight {
	struct cl_l1_poster *poster;
	bool cut_known; /* false: adopted after a restart */
	uint64_t cut;
	uint64_t last_block;
	uint64_t l1_timestamp; /* the appendBatch argument sent */
	size_t orders;
};

struct cl_l1_driver {
	struct cl_l1_driver_config cfg;
	struct cl_seq *seq;
	pthread_t thread;
	bool running;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct cl_l1_status status;

	/* a second client for RPC threads' queries, under `qlock` */
	pthread_mutex_t qlock;
	struct cl_l1_rpc *query_rpc;

	/* driver thread only */
	struct cl_l1_rpc *rpc;
	struct cl_l1_sender *sender;
	struct cl_l1_poster_opts po;
	struct cl_l1_watcher *watcher;
	struct cl_l1_watcher *forced; /* ForcedRequest events */
	/* AssetDeposit events of the assets contract `assets`; NULL on a
	 * chain whose genesis lists no asset (it posts appendBatch) */
	struct cl_l1_watcher *assets_watcher;
	struct cl_address assets;
	bool has_assets; /* set before the thread starts, never changed */
	struct inflight fl[CL_L1_MAX_BATCHES_IN_FLIGHT]; /* in cut order */
	size_t n_fl;
	bool draining; /* a batch failed: post again once none is in flight */
	uint64_t retry_ns;
	/* since when the next cut has not started where L1's nextL2Block
	 * says (0: it has); re-read every second, broken after a while */
	uint64_t mismatch_ns;
	/* posters of batches L1 discarded: followed until they finish, never
	 * waited for */
	struct cl_l1_poster *stale[2 * CL_L1_MAX_BATCHES_IN_FLIGHT];
	size_t n_stale;
	bool state_refused;    /* postingState() answered an error: said */
	bool have_discard;     /* last_discard read once */
	uint64_t last_discard; /* the contract's lastDiscardTime */
	bool want_recut;       /* merge the waiting cuts before posting */
	uint64_t noop_count;   /* a re-cut from here merged nothing ... */
	uint64_t noop_cuts;    /* ... with this many cuts waiting */
	bool has_noop;
	struct cl_seq_fault fault; /* tests only: --fault */
	bool has_censor;           /* tests only: --censor */
	struct cl_address censor;
	uint64_t l1_named; /* the newest L1 block blocks may name */
	struct seq_games *games; /* seq_defend.c; NULL: no game-program */
	/* the contract's forcedInclusionDelay and sequencingWindow */
	bool have_params;
	uint64_t fi_delay, seq_window;
};

/* ---- contract views (l1_driver.c) ---- */

/* A view without arguments returning one uint64, at "latest". */
CL_WUR int l1_view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		       const char *sig, uint64_t *out);
/* What the poster reads each poll: the rollup's postingState(), one call
 * on the state after L1 block `block`, so the four come from one state. */
struct l1_posting_state {
	uint64_t count;	       /* batchCount */
	uint64_t final;	       /* finalizedBatchCount() */
	uint64_t next_block;   /* nextL2Block */
	uint64_t discard_time; /* lastDiscardTime */
};
CL_WUR int l1_posting_state(struct cl_l1_rpc *rpc,
			    const struct cl_address *rollup, uint64_t block,
			    struct l1_posting_state *out);
/* A view with one optional uint64 argument returning `n` words. */
CL_WUR int l1_view_words(struct cl_l1_rpc *rpc,
			 const struct cl_address *rollup, const char *sig,
			 bool has_arg, uint64_t arg, uint8_t *out, size_t n);

/* ---- l1_inbox.c (driver thread) ---- */

/* Watcher callbacks: a deposit or a forced request read from L1 becomes
 * a request in the next block, in id order, exactly once. */
int l1_on_deposit(void *arg, const struct cl_l1_deposit *d);
int l1_on_forced(void *arg, const struct cl_l1_forced *f);
int l1_on_asset_deposit(void *arg, const struct cl_l1_asset_deposit *d);
/* One step of the forced-request watcher. */
void l1_forced_step(struct cl_l1_driver *drv);
/* One step of the asset-deposit watcher (nothing without one). */
void l1_asset_step(struct cl_l1_driver *drv);

/* ---- seq_defend.c (driver thread) ---- */

/* Read the game program when one is configured. CL_OK or an error. */
int l1_defend_open(struct cl_l1_driver *drv);
void l1_defend_free(struct cl_l1_driver *drv);
/* One round of every game against our batches. */
void l1_defend_step(struct cl_l1_driver *drv);

/* ---- posting batches (l1_post.c) ---- */

/* The next cut to post, and how (l1_next_post). */
struct next_post {
	uint64_t cut;	      /* cut number, the batch index it will get */
	uint64_t first_block; /* where L1 will expect it to start */
	bool gas_bound;	      /* an earlier batch is not mined yet */
};

/* Follow the batches in flight and the stale posters (finished ones
 * leave the list, failures are counted and explained). */
void l1_follow_posts(struct cl_l1_driver *drv);
/* L1 discarded batches: posting starts again from batchCount `count`. */
void l1_on_discard(struct cl_l1_driver *drv, uint64_t count);
/* Whether a batch can go now: *np gets which cut, from which block. */
bool l1_next_post(struct cl_l1_driver *drv, uint64_t count,
		  uint64_t next_block, struct next_post *np);
/* Merge the cuts waiting from `cut` on before posting it, when asked. */
void l1_maybe_recut(struct cl_l1_driver *drv, uint64_t count);
/* Pre-check, build and send the batch `np` names. */
void l1_try_post(struct cl_l1_driver *drv, const struct next_post *np);

#endif
