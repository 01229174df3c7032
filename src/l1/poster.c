/* SPDX-License-Identifier: MIT */
/*
 * The batch poster: appendBatch through the sender, one batch in flight,
 * followed to the confirmation depth (several posters may share one
 * sender to keep several batches in flight). A reorg that removes the batch's
 * transaction is handled by the sender (the same nonce and calldata go
 * out again); the poster counts it and reports it.
 */
#include <string.h>

#include "l1_int.h"

struct cl_l1_poster {
	struct cl_l1_sender *s;
	struct cl_l1_poster_opts o;
	struct cl_l1_post_result res;
};

const char *cl_l1_poster_state_str(enum cl_l1_poster_state s)
{
	switch (s) {
	case CL_L1_POST_IDLE:
		return "idle";
	case CL_L1_POST_PENDING:
		return "pending";
	case CL_L1_POST_INCLUDED:
		return "included";
	case CL_L1_POST_CONFIRMED:
		return "confirmed";
	case CL_L1_POST_FAILED:
		return "failed";
	}
	return "unknown";
}

void cl_l1_poster_opts_default(struct cl_l1_poster_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_calldata = 120000;
}

static bool in_flight(const struct cl_l1_poster *p)
{
	return p->res.state == CL_L1_POST_PENDING ||
	       p->res.state == CL_L1_POST_INCLUDED;
}

/* Is t an unfinished appendBatch to our rollup? Fills res when it is. */
static bool is_our_batch(const struct cl_l1_poster *p, const struct cl_l1_tx *t,
			 struct cl_l1_post_result *r)
{
	struct cl_l1_batch_args a;

	if (t->state == CL_L1_TX_CONFIRMED || t->state == CL_L1_TX_FAILED ||
	    !t->has_to || !cl_address_eq(&t->to, &p->o.rollup) ||
	    !cl_l1_abi_decode_append_batch(&a, t->data, t->data_len))
		return false;
	memset(r, 0, sizeof(*r));
	r->state = CL_L1_POST_PENDING;
	r->tx_id = t->id;
	cl_keccak256(r->data_hash.b, a.data, a.data_len);
	r->first_block = a.first_block;
	r->last_block = a.last_block;
	r->calldata_bytes = t->data_len;
	return true;
}

struct cl_l1_poster *cl_l1_poster_new(struct cl_l1_sender *sender,
				      const struct cl_l1_poster_opts *opts)
{
	struct cl_l1_poster *p = cl_xcalloc(1, sizeof(*p));
	uint64_t ids[256];

	p->s = sender;
	p->o = *opts;
	if (p->o.max_calldata == 0)
		p->o.max_calldata = 120000;
	size_t n = cl_l1_sender_list(sender, ids, CL_ARRAY_LEN(ids));
	if (n > CL_ARRAY_LEN(ids))
		n = CL_ARRAY_LEN(ids);
	for (size_t i = 0; i < n; i++) {
		const struct cl_l1_tx *t = cl_l1_sender_get(sender, ids[i]);
		struct cl_l1_post_result r;
		if (!t || t->id < p->o.adopt_from_id ||
		    !is_our_batch(p, t, &r))
			continue;
		p->res = r;
		cl_info(L1_LOG,
			"poster: resuming batch of blocks %llu..%llu "
			"(sender id %llu)",
			(unsigned long long)r.first_block,
			(unsigned long long)r.last_block,
			(unsigned long long)r.tx_id);
		break;
	}
	return p;
}

void cl_l1_poster_free(struct cl_l1_poster *p)
{
	free(p);
}

enum cl_l1_poster_state cl_l1_poster_state(const struct cl_l1_poster *p)
{
	return p->res.state;
}

void cl_l1_poster_result(const struct cl_l1_poster *p,
			 struct cl_l1_post_result *out)
{
	*out = p->res;
}

uint64_t cl_l1_append_batch_gas_bound(size_t calldata_len)
{
	/* measured: about 34 000 of execution for a small batch (the
	 * commitment slot, the counters, the event, the checks; docs/l1.md
	 * "Gas"); the data adds 6 gas a word to hash,
	 * 3 to copy and memory growth of 3 a word plus words^2 / 512. Twice
	 * that here, and three times the fixed part: gas not used is not paid */
	uint64_t len = calldata_len;
	uint64_t words = (len + 31) / 32;
	return 21000 + 16 * len + 300000 + 32 * words + words * words / 256;
}

int cl_l1_poster_post(struct cl_l1_poster *p,
		      const struct cl_l1_batch_args *batch)
{
	struct cl_buf data;
	uint64_t id;

	if (in_flight(p))
		return CL_ERR_BUSY;
	cl_buf_init(&data);
	cl_l1_abi_append_batch(&data, batch);
	if (data.len > p->o.max_calldata) {
		cl_unusual(L1_LOG,
			   "poster: batch of blocks %llu..%llu needs "
			   "%zu bytes of calldata, the limit is %zu",
			   (unsigned long long)batch->first_block,
			   (unsigned long long)batch->last_block, data.len,
			   p->o.max_calldata);
		cl_buf_release(&data);
		return CL_L1_DATA_TOO_LARGE;
	}
	struct cl_l1_txreq req = {
	    .to = &p->o.rollup,
	    .data = data.p,
	    .data_len = data.len,
	    .gas_limit = p->o.gas_bound
			     ? cl_l1_append_batch_gas_bound(data.len)
			     : 0,
	};
	int rc = cl_l1_sender_submit(p->s, &id, &req);
	if (rc != CL_OK) {
		cl_buf_release(&data);
		return rc;
	}
	memset(&p->res, 0, sizeof(p->res));
	p->res.state = CL_L1_POST_PENDING;
	p->res.tx_id = id;
	cl_keccak256(p->res.data_hash.b, batch->data, batch->data_len);
	p->res.first_block = batch->first_block;
	p->res.last_block = batch->last_block;
	p->res.calldata_bytes = data.len;
	cl_buf_release(&data);
	cl_info(L1_LOG, "poster: posting blocks %llu..%llu, %zu bytes",
		(unsigned long long)batch->first_block,
		(unsigned long long)batch->last_block, p->res.calldata_bytes);
	return CL_OK;
}

/* Read BatchAppended back from the receipt of the mined version. */
static int read_event(struct cl_l1_poster *p, const struct cl_l1_tx *t)
{
	struct cl_l1_receipt r;
	bool found;
	int rc =
	    cl_l1_eth_receipt(l1_sender_rpc(p->s), &r, &found, &t->mined_hash);

	if (rc != CL_OK)
		return rc;
	if (!found)
		return CL_ERR_NOT_FOUND; /* looked again next step */
	for (size_t i = 0; i < r.logs.n; i++) {
		struct cl_l1_batch_event ev;
		if (!cl_address_eq(&r.logs.v[i].address, &p->o.rollup) ||
		    !cl_l1_decode_batch_appended(&ev, &r.logs.v[i]))
			continue;
		if (!cl_hash32_eq(&ev.data_hash, &p->res.data_hash) ||
		    ev.first_block != p->res.first_block ||
		    ev.last_block != p->res.last_block)
			cl_unusual(L1_LOG,
				   "poster: BatchAppended %llu does not "
				   "match the batch posted",
				   (unsigned long long)ev.index);
		p->res.has_index = true;
		p->res.batch_index = ev.index;
		break;
	}
	cl_l1_receipt_release(&r);
	return CL_OK;
}

static int finish(struct cl_l1_poster *p, const struct cl_l1_tx *t)
{
	p->res.tx_hash = t->mined_hash;
	p->res.l1_block = t->block_number;
	p->res.gas_used = t->gas_used;
	p->res.effective_gas_price = t->effective_gas_price;
	if (t->state == CL_L1_TX_FAILED || !t->success) {
		cl_unusual(L1_LOG, "poster: batch of blocks %llu..%llu %s",
			   (unsigned long long)p->res.first_block,
			   (unsigned long long)p->res.last_block,
			   t->state == CL_L1_TX_FAILED
			       ? "lost its nonce to another transaction"
			       : "reverted on l1");
		p->res.state = CL_L1_POST_FAILED;
		p->res.reverted = t->state != CL_L1_TX_FAILED;
	} else {
		int rc = read_event(p, t);
		if (rc == CL_ERR_NOT_FOUND) /* no receipt (yet): reorged out
					     * after it was confirmed? */
			return cl_l1_sender_recheck(p->s, p->res.tx_id);
		if (rc != CL_OK)
			return rc;
		p->res.state = CL_L1_POST_CONFIRMED;
		cl_info(L1_LOG,
			"poster: batch %llu (blocks %llu..%llu) "
			"confirmed in l1 block %llu: %zu bytes, gas %llu",
			(unsigned long long)p->res.batch_index,
			(unsigned long long)p->res.first_block,
			(unsigned long long)p->res.last_block,
			(unsigned long long)p->res.l1_block,
			p->res.calldata_bytes,
			(unsigned long long)p->res.gas_used);
	}
	return cl_l1_sender_forget(p->s, p->res.tx_id);
}

static int update(struct cl_l1_poster *p)
{
	if (!in_flight(p))
		return CL_OK;
	const struct cl_l1_tx *t = cl_l1_sender_get(p->s, p->res.tx_id);
	if (!t) {
		cl_unusual(L1_LOG,
			   "poster: the sender forgot the batch "
			   "transaction %llu",
			   (unsigned long long)p->res.tx_id);
		p->res.state = CL_L1_POST_FAILED;
		return CL_OK;
	}
	if (t->reorgs > p->res.reorgs) {
		cl_unusual(L1_LOG,
			   "poster: batch of blocks %llu..%llu was "
			   "reorged out of l1, posting it again",
			   (unsigned long long)p->res.first_block,
			   (unsigned long long)p->res.last_block);
		p->res.reorgs = t->reorgs;
	}
	switch (t->state) {
	case CL_L1_TX_QUEUED:
	case CL_L1_TX_SENT:
		p->res.state = CL_L1_POST_PENDING;
		return CL_OK;
	case CL_L1_TX_INCLUDED:
		p->res.state = CL_L1_POST_INCLUDED;
		p->res.tx_hash = t->mined_hash;
		p->res.l1_block = t->block_number;
		return CL_OK;
	case CL_L1_TX_CONFIRMED:
	case CL_L1_TX_FAILED:
		return finish(p, t);
	}
	return CL_OK;
}

int cl_l1_poster_follow(struct cl_l1_poster *p)
{
	return update(p);
}

int cl_l1_poster_step(struct cl_l1_poster *p)
{
	int rc = cl_l1_sender_step(p->s);
	int urc = update(p);

	return rc != CL_OK ? rc : urc;
}

int cl_l1_poster_wait(struct cl_l1_poster *p, uint64_t timeout_ms,
		      uint64_t poll_ms)
{
	uint64_t start = cl_clock_mono_ns();

	if (p->res.state == CL_L1_POST_IDLE)
		return CL_ERR_NOT_FOUND;
	for (;;) {
		if (p->res.state == CL_L1_POST_CONFIRMED)
			return CL_OK;
		if (p->res.state == CL_L1_POST_FAILED)
			return p->res.reverted ? CL_L1_REVERTED
					       : CL_L1_NONCE_TAKEN;
		if (l1_ms_since(start) >= timeout_ms)
			return CL_ERR_TIMEOUT;
		int rc = cl_l1_poster_step(p);
		(void)rc; /* logged where it started; keep going */
		if (!in_flight(p))
			continue;
		l1_sleep_ms(poll_ms);
	}
}
