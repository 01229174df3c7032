/* SPDX-License-Identifier: MIT */
/*
 * Block building on the writer thread: open a block, apply each queued
 * submission through the stf and log it into the block, seal the block
 * in one LMDB transaction and only then answer its submissions (acks).
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

/* Apply and, when accepted, log the transaction into the block. */
int seq_apply_logged(struct cl_seq *s, const struct cl_tx *tx)
{
	int rc = cl_stf_apply(s->stf, tx);
	if (rc != CL_STF_OK)
		return rc;
	cl_buf_reset(&s->scratch);
	cl_tx_encode(&s->scratch, tx);
	cl_buf_append_be32(&s->block_txs, (uint32_t)s->scratch.len);
	cl_buf_append(&s->block_txs, s->scratch.p, s->scratch.len);
	s->block_ntx++;
	return CL_STF_OK;
}

/* An ORDER_DONE the sequencer must be able to write; failure is a bug. */
int seq_apply_done(struct cl_seq *s, const struct cl_hash32 *order,
		   enum cl_done_reason reason)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORDER_DONE;
	tx.u.done.order_hash = *order;
	tx.u.done.reason = reason;
	cl_tx_recover(&tx, cl_stf_domain(s->stf));
	int rc = seq_apply_logged(s, &tx);
	if (rc > 0)
		cl_broken(SUB, "order_done (reason %d) refused: %s",
			  (int)reason, cl_stf_err_str(rc));
	return rc;
}

struct ack *seq_push_ack(struct cl_seq *s, struct item *it,
			 const struct cl_tx *tx)
{
	if (s->n_acks == s->cap_acks) {
		s->cap_acks = s->cap_acks ? 2 * s->cap_acks : 256;
		s->acks = cl_xrealloc(s->acks, s->cap_acks * sizeof(*s->acks));
	}
	struct ack *a = &s->acks[s->n_acks++];
	memset(a, 0, sizeof(*a));
	a->fn = it->fn;
	a->arg = it->arg;
	a->fills_off = s->n_fills;
	cl_tx_hash(&a->r.tx_hash, tx);
	return a;
}

void seq_push_fill(struct cl_seq *s, const struct book_candidate *c,
		   uint64_t size)
{
	if (s->n_fills == s->cap_fills) {
		s->cap_fills = s->cap_fills ? 2 * s->cap_fills : 256;
		s->fills = cl_xrealloc(s->fills,
				       s->cap_fills * sizeof(*s->fills));
	}
	struct cl_seq_fill *f = &s->fills[s->n_fills++];
	f->maker = c->maker->hash;
	f->maker_owner = c->maker->owner;
	f->price = c->price.v;
	f->size = size;
}

static int process_simple(struct cl_seq *s, struct item *it, bool *acked)
{
	const struct cl_tx *tx = &it->tx;
	int rc = seq_apply_logged(s, tx);

	if (rc > 0) {
		seq_reply_now(it, rc, tx);
		return 0;
	}
	if (rc < 0)
		return rc;
	struct ack *a = seq_push_ack(s, it, tx);
	*acked = true;
	struct cl_stf_view view = cl_stf_view(s->stf);
	switch (tx->type) {
	case CL_TX_CANCEL: {
		a->r.order_hash = tx->u.cancel.msg.order_hash;
		a->r.status = CL_ORDER_CANCELLED;
		struct cl_order_record rec;
		if (cl_stf_get_order(&view, &rec, &a->r.order_hash) == CL_OK) {
			a->r.filled = rec.filled;
			seq_books_cancel(s, rec.market, &a->r.order_hash);
		}
		break;
	}
	case CL_TX_WITHDRAW: {
		struct cl_stf_globals g;
		rc = cl_stf_get_globals(&view, &g);
		if (rc)
			return rc < 0 ? rc : CL_ERR_CORRUPT;
		a->r.withdrawal_id = g.next_withdrawal_id - 1;
		break;
	}
	case CL_TX_ORACLE_PRICE: {
		struct cl_market_state ms;
		uint32_t market = tx->u.oracle.msg.market;
		if (cl_stf_get_market(&view, &ms, market) == CL_OK)
			a->r.mark_price = ms.mark_price;
		rc = seq_run_liquidations(s, market);
		if (rc)
			return rc;
		break;
	}
	case CL_TX_DEPOSIT:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_PLACE_ORDER:
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
		break;
	}
	if ((int)tx->type == CL_TX_ORACLE_UPDATE) {
		struct cl_market_state ms;
		uint32_t market = tx->u.oracle_update.market;
		if (cl_stf_get_market(&view, &ms, market) == CL_OK)
			a->r.mark_price = ms.mark_price;
		rc = seq_run_liquidations(s, market);
		if (rc)
			return rc;
	}
	return 0;
}

void seq_publish_status(struct cl_seq *s, uint64_t number, uint64_t ts,
			const struct cl_hash32 *root, uint64_t ntx)
{
	pthread_mutex_lock(&s->status_lock);
	s->status.head_block = number;
	s->status.head_timestamp_ms = ts;
	s->status.head_root = *root;
	s->status.txs_sealed += ntx;
	pthread_mutex_unlock(&s->status_lock);
}

int seq_open_block(struct cl_seq *s)
{
	struct cl_seq_status st;
	cl_seq_status(s, &st);
	uint64_t now = cl_clock_now_ms();
	s->hdr.number = st.head_block + 1;
	s->hdr.timestamp_ms = now > st.head_timestamp_ms ? now
							 : st.head_timestamp_ms;
	s->hdr.prev_root = st.head_root;
	int rc = cl_stf_begin_block(s->stf, &s->hdr);
	if (rc) {
		cl_broken(SUB, "cannot open block %llu: %s",
			  (unsigned long long)s->hdr.number,
			  cl_stf_err_str(rc));
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	}
	s->block_open = true;
	s->risk_pending = false;
	s->deadline_ns = cl_clock_mono_ns() + s->cfg.block_interval_ms * 1000000u;
	cl_buf_reset(&s->block_txs);
	s->block_ntx = 0;
	s->n_acks = 0;
	s->n_fills = 0;
	/* the new block's time moves funding and the mark */
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		rc = seq_run_liquidations(s, s->genesis.markets[i].id);
		if (rc)
			return rc;
	}
	rc = seq_sweep_multi_market(s);
	if (rc == 0)
		rc = seq_unwind_fund(s);
	if (rc == 0)
		rc = seq_sweep_expired(s);
	return rc;
}

static void answer_acks(struct cl_seq *s, int code, uint64_t block)
{
	for (size_t i = 0; i < s->n_acks; i++) {
		struct ack *a = &s->acks[i];
		if (!a->fn)
			continue;
		a->r.code = code;
		a->r.block = code == 0 ? block : 0;
		a->r.fills = a->r.n_fills ? &s->fills[a->fills_off] : NULL;
		if (code)
			a->r.n_fills = 0;
		a->fn(a->arg, &a->r);
	}
	s->n_acks = 0;
	s->n_fills = 0;
}

/* A system failure inside the block: nothing of it is kept. */
void seq_abort_block(struct cl_seq *s, int err)
{
	cl_unusual(SUB, "block %llu abandoned: %s",
		   (unsigned long long)s->hdr.number, cl_err_str(err));
	cl_stf_end_block(s->stf);
	cl_state_discard(s->st);
	answer_acks(s, err, 0);
	s->block_open = false;
	pthread_rwlock_wrlock(&s->books_lock);
	int rc = seq_books_rebuild(s);
	pthread_rwlock_unlock(&s->books_lock);
	cl_state_discard(s->st);
	if (rc)
		CL_BUG("cannot rebuild the books after a failed block: %s",
		       cl_err_str(rc));
}

void seq_seal_block(struct cl_seq *s)
{
	struct cl_hash32 root;

	int rc;

	cl_stf_end_block(s->stf);
	if (s->block_ntx == 0) {
		/* everything was rejected: nothing to keep */
		cl_state_discard(s->st);
		s->block_open = false;
		return;
	}
	/* the committed blocks go into a batch of their own first when this
	 * one would not fit with them */
	struct cl_batch_cut cut;
	bool cutting = false;
	if (s->cfg.cut_interval_ms && s->cut_bytes > 0 &&
	    s->cut_bytes + s->block_txs.len > s->cfg.cut_max_bytes) {
		int crc = seq_cut_prepare(s, &cut);
		if (crc == CL_OK) {
			cutting = true;
		} else if (crc != CL_ERR_NOT_FOUND) {
			cl_unusual(SUB, "cannot cut before block %llu: %s",
				   (unsigned long long)s->hdr.number,
				   cl_err_str(crc));
			rc = crc;
			goto failed;
		}
	}
	cl_chain_put_block(s->st, &s->hdr, s->block_ntx, s->block_txs.p,
			   s->block_txs.len);

	rc = cl_state_commit_block(s->st, &root);
	if (rc) {
		cl_unusual(SUB, "commit of block %llu failed: %s",
			   (unsigned long long)s->hdr.number, cl_err_str(rc));
failed:
		s->block_open = false;
		cl_state_discard(s->st);
		answer_acks(s, rc, 0);
		pthread_rwlock_wrlock(&s->books_lock);
		if (seq_books_rebuild(s))
			CL_BUG("cannot rebuild the books");
		pthread_rwlock_unlock(&s->books_lock);
		return;
	}
	s->block_open = false;
	seq_publish_status(s, s->hdr.number, s->hdr.timestamp_ms, &root,
			   s->block_ntx);
	cl_debug(SUB, "sealed block %llu: %zu txs",
		 (unsigned long long)s->hdr.number, s->block_ntx);
	answer_acks(s, 0, s->hdr.number);
	if (cutting)
		seq_cut_done(s, &cut);
	if (s->cfg.cut_interval_ms) {
		s->cut_bytes += s->block_txs.len;
		if (s->cut_bytes >= s->cfg.cut_max_bytes)
			seq_do_cut(s);
	}
}


void seq_process(struct cl_seq *s, struct item *it)
{
	bool acked = false;
	int rc = 0;

	if (!s->block_open && (rc = seq_open_block(s)) != CL_OK) {
		seq_reply_now(it, rc, &it->tx);
		if (s->block_open)
			seq_abort_block(s, rc); /* a liquidation failed */
		return;
	}
	if (it->assign_deposit_id) {
		struct cl_stf_globals g;
		struct cl_stf_view view = cl_stf_view(s->stf);
		rc = cl_stf_get_globals(&view, &g);
		if (rc) {
			seq_reply_now(it, rc < 0 ? rc : CL_ERR_CORRUPT,
				      &it->tx);
			return;
		}
		it->tx.u.deposit.id = g.next_deposit_id;
	}
	if ((int)it->tx.type == CL_TX_ORACLE_UPDATE) {
		rc = process_simple(s, it, &acked);
		goto done;
	}
	switch (it->tx.type) {
	case CL_TX_PLACE_ORDER:
		rc = seq_process_place(s, it, &acked);
		break;
	case CL_TX_DEPOSIT:
	case CL_TX_CANCEL:
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_ORACLE_PRICE:
		rc = process_simple(s, it, &acked);
		break;
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
		CL_BUG("internal transaction type in the queue");
	}
done:
	if (rc < 0) {
		/* an acked item is answered by abort_block */
		if (!acked)
			seq_reply_now(it, rc, &it->tx);
		seq_abort_block(s, rc);
		return;
	}
	if (s->block_ntx >= s->cfg.block_max_txs ||
	    s->block_txs.len >= s->cfg.block_max_bytes)
		seq_seal_block(s);
}
