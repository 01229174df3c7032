/* SPDX-License-Identifier: MIT */
/*
 * Counters and histograms of the sequencer for the metrics endpoint
 * (src/rpc/metrics.c): what became of each submission, how long it
 * waited for its answer, and how long each block took to seal. Relaxed
 * atomics only: they are written on the writer thread and the ingress
 * threads, read by the metrics thread, and order nothing.
 */
#include "seq_int.h"

#include <string.h>

const uint64_t cl_seq_hist_bounds_us[CL_SEQ_HIST_BOUNDS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

static void hist_add(struct seq_hist *h, uint64_t dt_ns)
{
	uint64_t us = dt_ns / 1000u;
	size_t i = 0;

	while (i < CL_SEQ_HIST_BOUNDS && us > cl_seq_hist_bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

static void hist_read(struct cl_seq_hist *out, struct seq_hist *h)
{
	for (size_t i = 0; i <= CL_SEQ_HIST_BOUNDS; i++)
		out->bucket[i] = atomic_load_explicit(&h->bucket[i],
						      memory_order_relaxed);
	out->sum_us = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
}

static enum cl_seq_outcome outcome(int code)
{
	if (code == 0)
		return CL_SEQ_ACCEPTED;
	if (code < 0)
		return code == CL_ERR_BUSY ? CL_SEQ_BUSY : CL_SEQ_FAILED;
	return code >= CL_SEQ_ERR_NOT_ALLOWED ? CL_SEQ_REFUSED
					      : CL_SEQ_REJECTED;
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void seq_count_answer(struct seq_counters *c, bool is_order, int code,
		      uint64_t t_ns)
{
	enum cl_seq_outcome o = outcome(code);
	uint64_t now = cl_clock_mono_ns();

	count(&c->requests[o]);
	if (is_order) {
		count(&c->orders[o]);
		if (o == CL_SEQ_REJECTED && code < CL_SEQ_MAX_CODE)
			count(&c->order_rejects[code]);
	}
	hist_add(&c->ack, now > t_ns ? now - t_ns : 0);
}

void seq_count_busy(struct seq_counters *c, bool is_order)
{
	count(&c->requests[CL_SEQ_BUSY]);
	if (is_order)
		count(&c->orders[CL_SEQ_BUSY]);
}

void seq_count_seal(struct seq_counters *c, uint64_t dt_ns, uint64_t ntx)
{
	hist_add(&c->seal, dt_ns);
	count(&c->blocks_sealed);
	atomic_fetch_add_explicit(&c->txs_sealed, ntx, memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void cl_seq_metrics(struct cl_seq *s, struct cl_seq_metrics *out)
{
	struct seq_counters *c = &s->ctr;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < CL_SEQ_N_OUTCOMES; i++) {
		out->requests[i] = load(&c->requests[i]);
		out->orders[i] = load(&c->orders[i]);
	}
	for (size_t i = 0; i < CL_SEQ_MAX_CODE; i++)
		out->order_rejects[i] = load(&c->order_rejects[i]);
	hist_read(&out->ack, &c->ack);
	hist_read(&out->seal, &c->seal);
	out->blocks_sealed = load(&c->blocks_sealed);
	out->pruned_through = load(&c->pruned_through);
	out->pruned_bytes = load(&c->pruned_bytes);
	out->txs_sealed = load(&c->txs_sealed);
	pthread_mutex_lock(&s->qlock);
	out->queued = s->qlen;
	out->queue_max = s->qcap;
	pthread_mutex_unlock(&s->qlock);
}
