/* SPDX-License-Identifier: MIT */
/*
 * Block building on the writer thread: open a block, hand each queued
 * request to the stf (which derives its fills, closures and
 * liquidations: include/clearline/stf.h "Blocks of requests"), log the
 * accepted requests into the block, seal the block in one LMDB
 * transaction and only then answer its submissions (acks). The block
 * log holds requests only: a verifier derives the rest as the stf did
 * here.
 */
#include "seq_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "seq";

static struct ack *push_ack(struct cl_seq *s, struct item *it,
			    const struct cl_tx *tx,
			    const struct cl_hash32 *tx_hash)
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
	a->t_ns = it->t_ns;
	a->is_order = cl_tx_is_order(tx->type);
	a->r.tx_hash = *tx_hash;
	return a;
}

static void push_fills(struct cl_seq *s, const struct cl_stf_result *r)
{
	for (size_t i = 0; i < r->n_fills; i++) {
		if (s->n_fills == s->cap_fills) {
			s->cap_fills = s->cap_fills ? 2 * s->cap_fills : 256;
			s->fills = cl_xrealloc(s->fills, s->cap_fills *
							   sizeof(*s->fills));
		}
		struct cl_seq_fill *f = &s->fills[s->n_fills++];
		f->maker = r->fills[i].maker;
		f->maker_owner = r->fills[i].maker_owner;
		f->price = r->fills[i].price;
		f->size = r->fills[i].size;
	}
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

/* The stf's derived fills [*from, to) as trades of the event. */
static void add_derived(struct cl_seq_trade *t, size_t *n,
			const struct cl_stf_block_fill *bf, size_t *from,
			size_t to)
{
	for (; *from < to; (*from)++) {
		const struct cl_stf_block_fill *f = &bf[*from];
		struct cl_seq_trade *x = &t[(*n)++];
		x->kind = f->kind;
		x->taker = f->taker;
		x->fill.maker = f->maker;
		x->fill.maker_owner = f->maker_owner;
		x->fill.price = f->price;
		x->fill.size = f->size;
		x->market = f->market;
		x->taker_trader = f->taker_trader;
		x->taker_is_buy = f->taker_is_buy;
	}
}

/* Tell the block hook (cl_seq_on_block) about the committed block: the
 * fills of its requests and the fills the stf derived (at the block's
 * opening, and during each request), in the order they happened. */
static void notify_block(struct cl_seq *s, const struct cl_hash32 *root)
{
	struct cl_seq_block_event ev = {
		.number = s->hdr.number,
		.timestamp_ms = s->hdr.timestamp_ms,
		.root = *root,
	};
	const struct cl_stf_block_fill *bf;
	size_t n_bf = cl_stf_block_fills(s->stf, &bf), done = 0;
	size_t cap = s->n_fills + n_bf;
	struct cl_seq_trade *t = cap ? cl_xcalloc(cap, sizeof(*t)) : NULL;

	for (size_t i = 0; i < s->n_acks; i++) {
		const struct ack *a = &s->acks[i];
		CL_REQUIRE(a->derived_end <= n_bf);
		add_derived(t, &ev.n_trades, bf, &done, a->derived_end);
		for (size_t j = 0; j < a->r.n_fills; j++) {
			CL_REQUIRE(ev.n_trades < cap);
			t[ev.n_trades].kind = CL_STF_FILL_ORDER;
			t[ev.n_trades].taker = a->r.order_hash;
			t[ev.n_trades].fill = s->fills[a->fills_off + j];
			ev.n_trades++;
		}
	}
	add_derived(t, &ev.n_trades, bf, &done, n_bf);
	ev.trades = t;
	s->block_fn(s->block_arg, &ev);
	free(t);
}

/*
 * The header of the next block: the L1 block the driver last saw at its
 * confirmation depth (or, with no L1, one made up per second), and a
 * time from the clock kept inside that block's window and never behind
 * the last block's.
 */
static int next_header(struct cl_seq *s, const struct cl_seq_status *st)
{
	uint64_t now = cl_clock_now_ms(), lo, hi;
	struct cl_stf_view view = cl_stf_view(s->stf);
	struct cl_stf_globals g;
	int rc = cl_stf_get_globals(&view, &g);

	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	s->hdr.number = st->head_block + 1;
	s->hdr.prev_root = st->head_root;
	pthread_mutex_lock(&s->l1_lock);
	bool has = s->has_l1_ref;
	if (has)
		s->hdr.l1 = s->l1_ref;
	pthread_mutex_unlock(&s->l1_lock);
	if (has && g.block_number > 0 && s->hdr.l1.number <= g.l1.number)
		s->hdr.l1 = g.l1; /* never backwards (a restart, a reorg) */
	if (!has && s->cfg.wait_for_l1)
		return CL_SEQ_ERR_NO_L1;
	if (!has) {
		uint64_t t = now > st->head_timestamp_ms ? now
							 : st->head_timestamp_ms;
		memset(&s->hdr.l1, 0, sizeof(s->hdr.l1));
		s->hdr.l1.number = t / 1000;
		s->hdr.l1.timestamp = t / 1000;
	}
	lo = s->hdr.l1.timestamp * 1000;
	hi = lo + CL_L1_MAX_DRIFT_S * 1000 + 999;
	if (now < lo)
		now = lo;
	if (now > hi) {
		now = hi;
		cl_unusual(SUB, "the last L1 block (%llu) is more than %d s "
			   "old: block time held at the edge of its window",
			   (unsigned long long)s->hdr.l1.number,
			   CL_L1_MAX_DRIFT_S);
	}
	s->hdr.timestamp_ms = now > st->head_timestamp_ms
				      ? now
				      : st->head_timestamp_ms;
	return CL_OK;
}

int seq_open_block(struct cl_seq *s)
{
	struct cl_seq_status st;

	cl_seq_status(s, &st);
	int rc = next_header(s, &st);
	if (rc)
		return rc;
	s->block_open = true; /* the stf may write even when it fails */
	s->deadline_ns = cl_clock_mono_ns() + s->cfg.block_interval_ms * 1000000u;
	cl_buf_reset(&s->block_txs);
	s->block_ntx = 0;
	s->n_acks = 0;
	s->n_fills = 0;
	pthread_rwlock_wrlock(&s->books_lock);
	rc = cl_stf_open_block(s->stf, &s->hdr);
	pthread_rwlock_unlock(&s->books_lock);
	if (rc > 0) {
		/* refused before anything was written */
		s->block_open = false;
		cl_broken(SUB, "cannot open block %llu: %s",
			  (unsigned long long)s->hdr.number,
			  cl_stf_err_str(rc));
		return CL_ERR_CORRUPT;
	}
	if (rc == 0)
		s->risk_pending = cl_stf_derived_pending(s->stf);
	return rc;
}

static void answer_acks(struct cl_seq *s, int code, uint64_t block)
{
	for (size_t i = 0; i < s->n_acks; i++) {
		struct ack *a = &s->acks[i];
		seq_count_answer(&s->ctr, a->is_order, code, a->t_ns);
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

/* The block was thrown away: the books go back to the committed state
 * (if that fails too, they rebuild when the next block opens). */
static void reload_books(struct cl_seq *s)
{
	pthread_rwlock_wrlock(&s->books_lock);
	int rc = cl_stf_reload(s->stf);
	pthread_rwlock_unlock(&s->books_lock);
	if (rc)
		cl_unusual(SUB, "cannot rebuild the books after a discarded "
			   "block: %s", cl_err_str(rc));
}

/* A system failure inside the block: nothing of it is kept. */
void seq_abort_block(struct cl_seq *s, int err)
{
	cl_unusual(SUB, "block %llu abandoned: %s",
		   (unsigned long long)s->hdr.number, cl_err_str(err));
	cl_stf_end_block(s->stf);
	cl_state_discard(s->st);
	reload_books(s);
	answer_acks(s, err, 0);
	s->block_open = false;
}

void seq_seal_block(struct cl_seq *s)
{
	struct cl_hash32 root;
	uint64_t t0 = cl_clock_mono_ns();
	int rc;

	bool derived = cl_stf_block_derived(s->stf) > 0;
	cl_stf_end_block(s->stf);
	if (s->block_ntx == 0 && !derived) {
		/* nothing accepted, nothing derived: nothing to keep */
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
	seq_prune_blocks(s);

	rc = cl_state_commit_block(s->st, &root);
	if (rc) {
		cl_unusual(SUB, "commit of block %llu failed: %s",
			   (unsigned long long)s->hdr.number, cl_err_str(rc));
failed:
		seq_prune_done(s, false);
		s->block_open = false;
		cl_state_discard(s->st);
		reload_books(s);
		answer_acks(s, rc, 0);
		return;
	}
	s->block_open = false;
	seq_prune_done(s, true);
	seq_count_seal(&s->ctr, cl_clock_mono_ns() - t0, s->block_ntx);
	seq_publish_status(s, s->hdr.number, s->hdr.timestamp_ms, &root,
			   s->block_ntx);
	if (s->block_fn)
		notify_block(s, &root);
	cl_debug(SUB, "sealed block %llu: %zu requests",
		 (unsigned long long)s->hdr.number, s->block_ntx);
	answer_acks(s, 0, s->hdr.number);
	if (cutting)
		seq_cut_done(s, &cut);
	if (s->cfg.cut_interval_ms) {
		/* a batch's age counts from its first block */
		if (s->cut_bytes == 0)
			s->cut_due_ns = cl_clock_mono_ns() +
					s->cfg.cut_interval_ms * 1000000u;
		s->cut_bytes += s->block_txs.len + 16;
		uint64_t target = s->cfg.cut_target_bytes &&
					  s->cfg.cut_target_bytes <
					      s->cfg.cut_max_bytes
				      ? s->cfg.cut_target_bytes
				      : s->cfg.cut_max_bytes;
		if (s->cut_bytes >= target)
			seq_do_cut(s);
	}
}

/* Log an accepted request into the block; *hash gets its hash (that of
 * the encoding logged: cl_tx_hash without a second encoding). */
static void log_request(struct cl_seq *s, const struct cl_tx *tx,
			struct cl_hash32 *hash)
{
	cl_buf_reset(&s->scratch);
	cl_tx_encode(&s->scratch, tx);
	cl_keccak256(hash->b, s->scratch.p, s->scratch.len);
	cl_buf_append_be32(&s->block_txs, (uint32_t)s->scratch.len);
	cl_buf_append(&s->block_txs, s->scratch.p, s->scratch.len);
	s->block_ntx++;
}

/*
 * The clock is in a later second than the open block's time, and no block
 * was closed early in this second yet (when the block time is held back by
 * a stale L1 block, a new block would not help: once is enough).
 */
static bool close_early_for_time(struct cl_seq *s)
{
	uint64_t now_s = cl_clock_now_ms() / 1000;

	if (now_s <= s->hdr.timestamp_ms / 1000 || now_s == s->early_close_s)
		return false;
	s->early_close_s = now_s;
	return true;
}

void seq_process(struct cl_seq *s, struct item *it)
{
	struct cl_stf_result r;
	int rc = 0;

	if (!s->block_open && (rc = seq_open_block(s)) != CL_OK) {
		seq_reply_now(it, rc, it->tx);
		if (s->block_open)
			seq_abort_block(s, rc); /* derived work failed */
		return;
	}
	/* between requests nothing of the state is held: let LMDB reuse
	 * what the checkpoint freed since the writer's read began */
	cl_state_refresh(s->st);
	if (it->assign_deposit_id) {
		struct cl_stf_globals g;
		struct cl_stf_view view = cl_stf_view(s->stf);
		rc = cl_stf_get_globals(&view, &g);
		if (rc) {
			seq_reply_now(it, rc < 0 ? rc : CL_ERR_CORRUPT,
				      it->tx);
			return;
		}
		it->tx->u.deposit.id = g.next_deposit_id;
	}
	pthread_rwlock_wrlock(&s->books_lock);
	rc = cl_stf_request(s->stf, &r, it->tx);
	pthread_rwlock_unlock(&s->books_lock);
	if (rc == CL_STF_ERR_ORACLE_FUTURE && close_early_for_time(s)) {
		/*
		 * A price or surface signed in a second the open block has
		 * not reached, while the clock has: the block closes and the
		 * request goes into the next one, whose time is the clock's.
		 * At most one early close a second (the next block is in
		 * the clock's second); a time truly ahead of the clock still
		 * gets code 36.
		 */
		seq_seal_block(s);
		if ((rc = seq_open_block(s)) != CL_OK) {
			seq_reply_now(it, rc, it->tx);
			if (s->block_open)
				seq_abort_block(s, rc);
			return;
		}
		pthread_rwlock_wrlock(&s->books_lock);
		rc = cl_stf_request(s->stf, &r, it->tx);
		pthread_rwlock_unlock(&s->books_lock);
	}
	if (rc > 0) {
		seq_reply_now(it, rc, it->tx);
		return;
	}
	if (rc < 0) {
		seq_reply_now(it, rc, it->tx);
		seq_abort_block(s, rc);
		return;
	}
	struct cl_hash32 tx_hash;
	log_request(s, it->tx, &tx_hash);
	struct ack *a = push_ack(s, it, it->tx, &tx_hash);
	a->r.order_hash = r.order_hash;
	a->r.status = r.status;
	a->r.filled = r.filled;
	a->r.done_reason = r.done_reason;
	a->r.withdrawal_id = r.withdrawal_id;
	a->r.listed_market = r.listed_market;
	a->r.mark_price = r.mark_price;
	a->r.n_fills = r.n_fills;
	const struct cl_stf_block_fill *bf;
	a->derived_end = cl_stf_block_fills(s->stf, &bf);
	push_fills(s, &r);
	if (cl_stf_derived_pending(s->stf))
		s->risk_pending = true;
	if (s->block_ntx >= s->cfg.block_max_txs ||
	    s->block_txs.len >= s->cfg.block_max_bytes)
		seq_seal_block(s);
}
