/* SPDX-License-Identifier: MIT */
/*
 * The ingress queue: RPC threads (and the L1 driver) enqueue recovered
 * transactions; the writer thread takes them in arrival order. A full
 * queue answers CL_ERR_BUSY at once.
 *
 * The ring's slots are sized for the common requests (seq_int.h
 * union seq_common_u), not for struct cl_tx's largest member: a request
 * is copied once, from the submitter's struct into its slot, up to the
 * end of the member its type names; a larger request is copied into a
 * full-size record of a side pool instead, and its slot points there.
 * The writer works on either where it lies. A full ring, or a full pool
 * for a large request, refuses the submission.
 */
#include "seq_int.h"

#include <pthread.h>
#include <time.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX(m) (offsetof(struct cl_tx, u) + sizeof(((struct cl_tx *)0)->u.m))

/* The bytes of a request of `type` that mean something: the struct up
 * to the end of the union member its type names. */
static size_t tx_bytes(enum cl_tx_type type)
{
	switch (type) {
	case CL_TX_DEPOSIT:
		return PREFIX(deposit);
	case CL_TX_PLACE_ORDER:
	case CL_TX_CLIENT_ORDER:
		return PREFIX(place);
	case CL_TX_FILL:
		return PREFIX(fill);
	case CL_TX_CANCEL:
		return PREFIX(cancel);
	case CL_TX_WITHDRAW:
		return PREFIX(withdraw);
	case CL_TX_APPROVE_AGENT:
		return PREFIX(approve);
	case CL_TX_ORACLE_PRICE:
		return PREFIX(oracle);
	case CL_TX_ORDER_DONE:
		return PREFIX(done);
	case CL_TX_ORACLE_UPDATE:
		return PREFIX(oracle_update);
	case CL_TX_LIQUIDATE:
		return PREFIX(liquidate);
	case CL_TX_ADL:
		return PREFIX(adl);
	case CL_TX_LIQUIDATE_FILL:
		return PREFIX(liquidate_fill);
	case CL_TX_FUND_FILL:
		return PREFIX(fund_fill);
	case CL_TX_REINDEX:
		return PREFIX(reindex);
	case CL_TX_FORCED:
		return PREFIX(forced);
	case CL_TX_SCHEDULE_CANCEL:
		return PREFIX(schedule_cancel);
	case CL_TX_TRIGGER_ORDER:
		return PREFIX(trigger);
	case CL_TX_SCALE_ORDER:
		return PREFIX(scale);
	case CL_TX_TWAP_ORDER:
		return PREFIX(twap);
	case CL_TX_ASSET_DEPOSIT:
		return PREFIX(asset_deposit);
	case CL_TX_COLLATERAL_SALE:
		return PREFIX(collateral_sale);
	case CL_TX_MARGIN_MODE:
		return PREFIX(margin_mode);
	case CL_TX_ISOLATED_MARGIN:
		return PREFIX(isolated_margin);
	case CL_TX_SUBACCOUNT_TRANSFER:
		return PREFIX(subaccount_transfer);
	case CL_TX_ASSET_WITHDRAW:
		return PREFIX(asset_withdraw);
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		return PREFIX(subaccount_asset_transfer);
	case CL_TX_ORACLE_SURFACE:
		return PREFIX(oracle_surface);
	case CL_TX_OPTION_LIST:
		return PREFIX(option_list);
	case CL_TX_OPTION_SETTLE:
		return PREFIX(option_settle);
	case CL_TX_PORTFOLIO_MODE:
		return PREFIX(portfolio_mode);
	}
	CL_BUG("queueing a transaction of type %d", (int)type);
}

void seq_queue_init(struct cl_seq *s)
{
	size_t pool = s->cfg.queue_max / SEQ_POOL_RATIO;

	if (pool < SEQ_POOL_MIN)
		pool = SEQ_POOL_MIN;
	if (pool > s->cfg.queue_max)
		pool = s->cfg.queue_max;
	CL_REQUIRE(pool <= UINT32_MAX - 1);
	s->qcap = s->cfg.queue_max;
	/* calloc: a page becomes resident when a request first lands in it */
	s->q = cl_xcalloc(s->qcap, sizeof(*s->q));
	s->pool_cap = pool;
	s->pool = cl_xcalloc(pool, sizeof(*s->pool));
	s->pool_free = cl_xcalloc(pool, sizeof(*s->pool_free));
	/* record 0 on top */
	for (size_t i = 0; i < pool; i++)
		s->pool_free[i] = (uint32_t)(pool - 1 - i);
	s->pool_nfree = pool;
}

void seq_queue_free(struct cl_seq *s)
{
	free(s->q);
	free(s->pool);
	free(s->pool_free);
	s->q = NULL;
	s->pool = NULL;
	s->pool_free = NULL;
}

/* Give the pool record of `it` (if any) back (under qlock). */
static void put_record(struct cl_seq *s, struct item *it)
{
	if (it->rec == 0)
		return;
	CL_REQUIRE(s->pool_nfree < s->pool_cap);
	s->pool_free[s->pool_nfree++] = it->rec - 1;
	it->rec = 0;
}

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
	size_t len = tx_bytes(tx->type);
	bool large = len > SEQ_SLOT_TX_BYTES;

	pthread_mutex_lock(&s->qlock);
	if (s->stopping || s->qlen == s->qcap ||
	    (large && s->pool_nfree == 0)) {
		int rc = s->stopping ? CL_SEQ_ERR_SHUTDOWN : CL_ERR_BUSY;
		pthread_mutex_unlock(&s->qlock);
		if (rc == CL_ERR_BUSY)
			seq_count_busy(&s->ctr,
				       cl_tx_is_order(tx->type));
		return rc;
	}
	struct item *it = &s->q[(s->qhead + s->qlen) % s->qcap];
	if (large) {
		uint32_t r = s->pool_free[--s->pool_nfree];
		it->tx = &s->pool[r];
		it->rec = r + 1;
	} else {
		it->tx = (struct cl_tx *)it->small;
		it->rec = 0;
	}
	/* the one copy: only the bytes the request's type uses */
	memcpy(it->tx, tx, len);
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
	for (size_t i = 0; i < n; i++)
		put_record(s, &s->q[(s->qhead + i) % s->qcap]);
	s->qhead = (s->qhead + n) % s->qcap;
	s->qlen -= n;
	pthread_mutex_unlock(&s->qlock);
}

void seq_queue_drain(struct cl_seq *s)
{
	pthread_mutex_lock(&s->qlock);
	while (s->qlen > 0) {
		/* answered where it lies: producers write past the tail
		 * only, and the head stays counted until it is answered */
		struct item *it = &s->q[s->qhead];
		pthread_mutex_unlock(&s->qlock);
		seq_reply_now(it, CL_SEQ_ERR_SHUTDOWN, it->tx);
		pthread_mutex_lock(&s->qlock);
		put_record(s, it);
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
	pthread_mutex_unlock(&s->qlock);
}
