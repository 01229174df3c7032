/* SPDX-License-Identifier: MIT */
/*
 * The ingress queue: RPC threads (and the L1 driver) enqueue recovered
 * transactions; the writer thread takes them in arrival order. A full
 * queue answers CL_ERR_BUSY at once.
 */
#include "seq_int.h"

#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

void seq_reply_now(struct item *it, int code, const struct cl_tx *tx)
{
	struct cl_seq_result r;
	if (it->ctr)
		seq_count_answer(it->ctr, cl_tx_is_order(tx->type), code,
				 it->t_ns);
	if (!it->fn)
		return;
	memset(&r, 0, sizeof(r));
	r.code = code;
	cl_tx_hash(&r.tx_hash, tx);
	if (cl_tx_is_order(tx->type))
		r.order_hash = tx->auth.digest;
	it->fn(it->arg, &r);
}

static int enqueue(struct cl_seq *s, const struct cl_tx *tx,
		   cl_seq_done_fn fn, void *arg, bool assign_id)
{
	uint64_t t_ns = cl_clock_mono_ns();

	pthread_mutex_lock(&s->qlock);
	if (s->stopping || s->qlen == s->qcap) {
		int rc = s->stopping ? CL_SEQ_ERR_SHUTDOWN : CL_ERR_BUSY;
		pthread_mutex_unlock(&s->qlock);
		if (rc == CL_ERR_BUSY)
			seq_count_busy(&s->ctr,
				       cl_tx_is_order(tx->type));
		return rc;
	}
	struct item *it = &s->q[(s->qhead + s->qlen) % s->qcap];
	it->tx = *tx;
	it->fn = fn;
	it->arg = arg;
	it->assign_deposit_id = assign_id;
	it->t_ns = t_ns;
	it->ctr = &s->ctr;
	s->qlen++;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	return CL_OK;
}

int cl_seq_submit(struct cl_seq *s, const struct cl_tx *tx,
		  cl_seq_done_fn fn, void *arg)
{
	/* fills, closures and liquidations are derived by the stf */
	if (!cl_tx_is_request(tx->type))
		return CL_SEQ_ERR_NOT_ALLOWED;
	CL_REQUIRE(tx->auth.recovered);
	if (s->cfg.censor && tx->type != CL_TX_ORACLE_PRICE &&
	    tx->type != CL_TX_ORACLE_UPDATE &&
	    cl_address_eq(&tx->auth.signer[0], &s->cfg.censored))
		return CL_SEQ_ERR_CENSORED; /* tests only: --censor */
	return enqueue(s, tx, fn, arg, false);
}

int cl_seq_submit_credit(struct cl_seq *s, const struct cl_address *to,
			 uint64_t amount, cl_seq_done_fn fn, void *arg)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_DEPOSIT;
	tx.u.deposit.to = *to;
	tx.u.deposit.amount = amount;
	cl_tx_recover(&tx, cl_seq_domain(s));
	return enqueue(s, &tx, fn, arg, true);
}

size_t seq_queue_take(struct cl_seq *s, struct item **first, size_t max,
		      bool *stop)
{
	size_t n = 0;

	pthread_mutex_lock(&s->qlock);
	while (s->qlen == 0 && !s->stopping &&
	       !(s->recut_req && !s->block_open)) {
		bool cuts = s->cfg.cut_interval_ms != 0;
		if (!s->block_open && !cuts) {
			pthread_cond_wait(&s->qcond, &s->qlock);
			continue;
		}
		uint64_t now = cl_clock_mono_ns();
		uint64_t dl = s->block_open ? s->deadline_ns : s->cut_due_ns;
		if (now >= dl)
			break;
		/* the condition variable waits on CLOCK_MONOTONIC */
		struct timespec ts;
		ts.tv_sec = (time_t)(dl / 1000000000u);
		ts.tv_nsec = (long)(dl % 1000000000u);
		pthread_cond_timedwait(&s->qcond, &s->qlock, &ts);
	}
	*stop = s->stopping;
	*first = &s->q[s->qhead];
	if (!*stop) {
		/* up to the end of the ring; the rest comes next time */
		n = s->qcap - s->qhead;
		if (n > s->qlen)
			n = s->qlen;
		if (n > max)
			n = max;
	}
	pthread_mutex_unlock(&s->qlock);
	return n;
}

void seq_queue_release(struct cl_seq *s, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&s->qlock);
	CL_REQUIRE(n <= s->qlen);
	s->qhead = (s->qhead + n) % s->qcap;
	s->qlen -= n;
	pthread_mutex_unlock(&s->qlock);
}

void seq_queue_drain(struct cl_seq *s)
{
	pthread_mutex_lock(&s->qlock);
	while (s->qlen > 0) {
		struct item it = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
		pthread_mutex_unlock(&s->qlock);
		seq_reply_now(&it, CL_SEQ_ERR_SHUTDOWN, &it.tx);
		pthread_mutex_lock(&s->qlock);
	}
	pthread_mutex_unlock(&s->qlock);
}
