/* SPDX-License-Identifier: MIT */
/*
 * Waiting for a sequencer's answer in a unit test: seq_waiter_done() is
 * the submission's callback (it copies the result and its first fills
 * and wakes the waiter), seq_waiter_wait() blocks until it ran; and
 * seq_test_setup(), the devnet genesis and a fresh LMDB they start from.
 * Include after test.h.
 */
#ifndef CLEARLINE_TEST_SEQ_WAIT_H
#define CLEARLINE_TEST_SEQ_WAIT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>

#define SEQ_WAIT_FILLS 16

struct seq_waiter {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
	struct cl_seq_result r; /* r.fills: the first SEQ_WAIT_FILLS */
	struct cl_seq_fill fills[SEQ_WAIT_FILLS];
};

static inline void seq_waiter_init(struct seq_waiter *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->m, NULL);
	pthread_cond_init(&w->c, NULL);
}

static inline void seq_waiter_done(void *arg, const struct cl_seq_result *r)
{
	struct seq_waiter *w = arg;
	size_t n = r->n_fills < SEQ_WAIT_FILLS ? r->n_fills : SEQ_WAIT_FILLS;

	pthread_mutex_lock(&w->m);
	w->r = *r;
	if (n)
		memcpy(w->fills, r->fills, n * sizeof(*r->fills));
	w->r.fills = w->fills;
	w->done = true;
	pthread_cond_signal(&w->c);
	pthread_mutex_unlock(&w->m);
}

/* The answer to a submission that returned `rc`: waited for when it was
 * queued (CL_OK), else `rc` itself as the code (and a failed check). */
static inline struct cl_seq_result seq_waiter_wait(struct seq_waiter *w,
						   int rc)
{
	CHECK_MSG(rc == CL_OK, "submit: %d", rc);
	if (rc != CL_OK) {
		w->r.code = rc;
		return w->r;
	}
	pthread_mutex_lock(&w->m);
	while (!w->done)
		pthread_cond_wait(&w->c, &w->m);
	pthread_mutex_unlock(&w->m);
	return w->r;
}

/* Recover `tx`'s signer, submit it to `seq` and wait for the answer. */
static inline struct cl_seq_result seq_run(struct cl_seq *seq,
					   struct cl_tx *tx,
					   struct seq_waiter *w)
{
	seq_waiter_init(w);
	cl_tx_recover(tx, cl_seq_domain(seq));
	return seq_waiter_wait(w, cl_seq_submit(seq, tx, seq_waiter_done, w));
}

/* The crypto library, the devnet genesis from the source root argv[1]
 * (meson passes it; "." without) into *g, and a fresh LMDB of 256 MiB
 * in `dir` (a mkdtemp template, made here) into *db. */
static inline void seq_test_setup(int argc, char **argv,
				  struct cl_genesis *g, char *dir,
				  struct cl_db **db)
{
	char path[4096], err[400];

	*db = NULL;
	CHECK(cl_crypto_init() == CL_OK);
	snprintf(path, sizeof(path), "%s/genesis/devnet.json",
		 argc > 1 ? argv[1] : ".");
	CHECK_MSG(cl_genesis_load(g, path, err, sizeof(err)) == CL_OK, "%s",
		  err);
	CHECK(mkdtemp(dir) != NULL);
	struct cl_db_config dbc = {.path = dir, .map_size = 256u << 20};
	CHECK(cl_db_new(db, &dbc) == CL_OK);
}

#endif /* CLEARLINE_TEST_SEQ_WAIT_H */
