/* SPDX-License-Identifier: MIT */
#include <clearline/batch.h>
#include <clearline/sequencer.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const SUB = "seq";

struct item {
	struct cl_tx tx;
	cl_seq_done_fn fn;
	void *arg;
	bool assign_deposit_id; /* a dev credit: the writer picks the id */
};

/* An accepted submission waiting for its block to be durable. */
struct ack {
	cl_seq_done_fn fn;
	void *arg;
	struct cl_seq_result r;
	size_t fills_off; /* into seq->fills */
};

/* What the fill callback learns while a taker matches. */
struct maker_reason {
	struct cl_hash32 maker;
	enum cl_done_reason reason;
};

/* A resting order by expiry (the writer's expiry heap). */
struct expiring {
	uint64_t expiry;
	struct cl_hash32 hash;
	uint32_t mi; /* market index */
};

struct match_ctx {
	struct cl_seq *s;
	const struct cl_tx *place;
	enum cl_done_reason taker_reason;
	int sys_err;
	struct maker_reason *reasons;
	size_t n_reasons, cap_reasons;
};

struct cl_seq {
	struct cl_seq_config cfg;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_genesis genesis;

	/* books: written by the writer under the write lock */
	pthread_rwlock_t books_lock;
	struct book *books[CL_GENESIS_MAX_MARKETS];
	struct book_plan plan;
	/* risk engine (writer only) */
	uint64_t adl_reindexed[CL_GENESIS_MAX_MARKETS][2]; /* block */
	struct cl_address multi_cursor;
	bool multi_has_cursor;
	bool risk_pending; /* risk work stopped at a full block */
	/* resting orders by expiry, a binary min-heap; entries of orders
	 * that left the book are dropped when they come up (writer only) */
	struct expiring *exp;
	size_t n_exp, cap_exp;

	/* the queue */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct item *q;
	size_t qcap, qhead, qlen;
	bool stopping, running;
	pthread_t thread;

	/* the open block (writer only) */
	bool block_open;
	struct cl_block_header hdr;
	uint64_t deadline_ns;
	struct cl_buf block_txs; /* be32 len ‖ encoding, per tx */
	size_t block_ntx;
	struct ack *acks;
	size_t n_acks, cap_acks;
	struct cl_seq_fill *fills;
	size_t n_fills, cap_fills;
	struct cl_buf scratch;

	/* batch cuts (writer only) */
	uint64_t cut_seq;       /* next cut number */
	uint64_t cut_first;     /* first block of the next cut */
	uint64_t cut_wid;       /* first withdrawal id of the next cut */
	uint64_t cut_bytes;     /* transaction bytes sealed since the last */
	uint64_t cut_due_ns;    /* monotonic time of the next timed cut */
	/* a re-cut asked by the L1 driver (under qlock; see cl_seq_recut) */
	pthread_cond_t recut_cond;
	bool recut_req, recut_done;
	uint64_t recut_from, recut_cuts;
	int recut_rc;

	/* published status */
	pthread_mutex_t status_lock;
	struct cl_seq_status status;
};

void cl_seq_config_defaults(struct cl_seq_config *cfg)
{
	cfg->block_interval_ms = 100;
	cfg->block_max_txs = 20000;
	cfg->queue_max = 65536;
	cfg->block_max_bytes = 512u << 10; /* the record stays below 1 MiB */
	cfg->cut_interval_ms = 0;
	cfg->cut_max_bytes = 110000;
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
	}
	return cl_stf_err_str(code);
}

/* ------------------------------------------------------------------ */
/* Block records                                                       */
/* ------------------------------------------------------------------ */

bool cl_block_record_parse(struct cl_block_record *out, uint64_t number,
			   const uint8_t *p, size_t len)
{
	struct cl_cursor c;

	memset(out, 0, sizeof(*out));
	cl_cur_init(&c, p, len);
	out->number = number;
	out->timestamp_ms = cl_cur_be64(&c);
	cl_cur_bytes(&c, out->prev_root.b, 32);
	uint32_t n = cl_cur_be32(&c);
	if (c.failed || n > len / 4)
		return false;
	out->n_txs = n;
	out->txs = cl_xcalloc(n ? n : 1, sizeof(*out->txs));
	out->tx_lens = cl_xcalloc(n ? n : 1, sizeof(*out->tx_lens));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t tl = cl_cur_be32(&c);
		out->tx_lens[i] = tl;
		out->txs[i] = cl_cur_borrow(&c, tl);
	}
	if (!cl_cur_done(&c)) {
		cl_block_record_release(out);
		return false;
	}
	return true;
}

void cl_block_record_release(struct cl_block_record *r)
{
	free(r->txs);
	free(r->tx_lens);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Books                                                               */
/* ------------------------------------------------------------------ */

static int market_index(const struct cl_genesis *g, uint32_t market)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		if (g->markets[i].id == market)
			return (int)i;
	return -1;
}

/* Expiry heap: earlier expiry first, then the hash (a fixed order). */
static bool exp_before(const struct expiring *a, const struct expiring *b)
{
	if (a->expiry != b->expiry)
		return a->expiry < b->expiry;
	return memcmp(a->hash.b, b->hash.b, 32) < 0;
}

static void exp_push(struct cl_seq *s, uint64_t expiry,
		     const struct cl_hash32 *hash, uint32_t mi)
{
	if (s->n_exp == s->cap_exp) {
		s->cap_exp = s->cap_exp ? 2 * s->cap_exp : 1024;
		s->exp = cl_xrealloc(s->exp, s->cap_exp * sizeof(*s->exp));
	}
	size_t i = s->n_exp++;
	struct expiring e = {expiry, *hash, mi};
	while (i > 0 && exp_before(&e, &s->exp[(i - 1) / 2])) {
		s->exp[i] = s->exp[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->exp[i] = e;
}

static void exp_pop(struct cl_seq *s)
{
	struct expiring last = s->exp[--s->n_exp];
	size_t i = 0;

	if (s->n_exp == 0)
		return;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->n_exp)
			break;
		if (c + 1 < s->n_exp && exp_before(&s->exp[c + 1], &s->exp[c]))
			c++;
		if (!exp_before(&s->exp[c], &last))
			break;
		s->exp[i] = s->exp[c];
		i = c;
	}
	s->exp[i] = last;
}

struct exp_rebuild {
	struct cl_seq *s;
	uint32_t mi;
};

static int exp_add_resting(void *ctx, const struct book_order *o)
{
	struct exp_rebuild *r = ctx;
	exp_push(r->s, o->expiry, &o->hash, r->mi);
	return 0;
}

/* The heap from the books alone (drops the entries of orders gone). */
static void exp_rebuild(struct cl_seq *s)
{
	s->n_exp = 0;
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		struct exp_rebuild r = {s, i};
		if (s->books[i])
			(void)book_foreach(s->books[i], exp_add_resting, &r);
	}
}

static void books_free(struct cl_seq *s)
{
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		book_free(s->books[i]);
		s->books[i] = NULL;
	}
}

static void book_order_from(struct book_order *o, const struct cl_hash32 *h,
			    const struct cl_order_record *r)
{
	memset(o, 0, sizeof(*o));
	o->hash = *h;
	o->owner = r->trader;
	o->market = r->market;
	o->side = r->is_buy ? BOOK_BUY : BOOK_SELL;
	o->price.v = r->price;
	o->size.v = r->size - r->filled;
	o->flags = r->flags;
	o->expiry = r->expiry;
	o->seq = r->sequence + 1; /* the book's sequences start at 1 */
}

/* Rebuild every book from the open orders in the committed state. */
static int books_rebuild(struct cl_seq *s)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;
	size_t restored = 0;

	books_free(s);
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		const struct cl_market_params *m = &s->genesis.markets[i];
		struct book_params bp = {
			.market = m->id,
			.tick = m->tick_size,
			.step = m->step_size,
			.min_price = m->tick_size,
			.max_price = UINT64_MAX - UINT64_MAX % m->tick_size,
			.min_size = m->step_size,
			.max_size = m->max_order_size,
		};
		s->books[i] = book_new(&bp);
	}
	rc = cl_state_iter_new(&it, s->st, CL_TABLE_ORDERS, NULL, 0);
	if (rc)
		return rc;
	struct cl_stf_view view = cl_stf_view(s->stf);
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK) {
		struct cl_hash32 h;
		struct cl_order_record r;
		if (kl != 32)
			continue;
		memcpy(h.b, k, 32);
		rc = cl_stf_get_order(&view, &r, &h);
		if (rc)
			break;
		if (r.status != CL_ORDER_OPEN)
			continue;
		int mi = market_index(&s->genesis, r.market);
		if (mi < 0) {
			cl_broken(SUB, "open order in unknown market %u",
				  r.market);
			continue;
		}
		struct book_order o;
		book_order_from(&o, &h, &r);
		enum book_code bc = book_restore(s->books[mi], &o);
		if (bc != BOOK_OK)
			cl_broken(SUB, "cannot restore an open order: %s",
				  book_code_str(bc));
		else
			restored++;
	}
	cl_state_iter_free(it);
	if (rc != CL_ERR_NOT_FOUND && rc != CL_OK)
		return rc;
	exp_rebuild(s);
	cl_info(SUB, "order books rebuilt: %zu resting orders", restored);
	return CL_OK;
}

size_t cl_seq_book_depth(struct cl_seq *s, struct book_level *out,
			 size_t max, uint32_t market, enum book_side side)
{
	int mi = market_index(&s->genesis, market);
	if (mi < 0)
		return 0;
	pthread_rwlock_rdlock(&s->books_lock);
	size_t n = book_depth(s->books[mi], out, max, side);
	pthread_rwlock_unlock(&s->books_lock);
	return n;
}

/* ------------------------------------------------------------------ */
/* Applying transactions inside the open block                         */
/* ------------------------------------------------------------------ */

static void reply_now(struct item *it, int code, const struct cl_tx *tx)
{
	struct cl_seq_result r;
	if (!it->fn)
		return;
	memset(&r, 0, sizeof(r));
	r.code = code;
	cl_tx_hash(&r.tx_hash, tx);
	if (tx->type == CL_TX_PLACE_ORDER)
		r.order_hash = tx->auth.digest;
	it->fn(it->arg, &r);
}

/* Apply and, when accepted, log the transaction into the block. */
static int apply_logged(struct cl_seq *s, const struct cl_tx *tx)
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
static int apply_done(struct cl_seq *s, const struct cl_hash32 *order,
		      enum cl_done_reason reason)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORDER_DONE;
	tx.u.done.order_hash = *order;
	tx.u.done.reason = reason;
	cl_tx_recover(&tx, cl_stf_domain(s->stf));
	int rc = apply_logged(s, &tx);
	if (rc > 0)
		cl_broken(SUB, "order_done (reason %d) refused: %s",
			  (int)reason, cl_stf_err_str(rc));
	return rc;
}

static struct ack *push_ack(struct cl_seq *s, struct item *it,
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

static void push_fill(struct cl_seq *s, const struct book_candidate *c,
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

/* How much of `side` would only reduce owner's position in `market`. */
static int reducible(struct cl_seq *s, uint64_t *out,
		     const struct cl_address *owner, uint32_t market,
		     enum book_side side)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n;
	struct cl_stf_view view = cl_stf_view(s->stf);
	int rc = cl_stf_get_positions(&view, pos, &n, owner);

	*out = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (pos[i].market != market)
			continue;
		if (side == BOOK_BUY && pos[i].size < 0)
			*out = (uint64_t)(-(pos[i].size + 1)) + 1;
		if (side == BOOK_SELL && pos[i].size > 0)
			*out = (uint64_t)pos[i].size;
	}
	return CL_OK;
}

static void note_maker(struct match_ctx *m, const struct cl_hash32 *h,
		       enum cl_done_reason reason)
{
	if (m->n_reasons == m->cap_reasons) {
		m->cap_reasons = m->cap_reasons ? 2 * m->cap_reasons : 16;
		m->reasons = cl_xrealloc(m->reasons,
					 m->cap_reasons * sizeof(*m->reasons));
	}
	m->reasons[m->n_reasons].maker = *h;
	m->reasons[m->n_reasons].reason = reason;
	m->n_reasons++;
}

static enum cl_done_reason maker_reason(const struct match_ctx *m,
					const struct cl_hash32 *h)
{
	for (size_t i = m->n_reasons; i-- > 0;)
		if (cl_hash32_eq(&m->reasons[i].maker, h))
			return m->reasons[i].reason;
	return CL_DONE_MARGIN;
}

/*
 * The fill callback: each candidate is applied to the stf at once as a
 * FILL, so the next candidate sees its effect on margin and positions.
 */
static enum book_verdict on_candidate(void *arg, uint64_t *allowed,
				      const struct book_candidate *c)
{
	struct match_ctx *m = arg;
	struct cl_seq *s = m->s;
	uint64_t want = c->size.v, r;
	int rc;

	*allowed = 0;
	if (c->maker->expiry * 1000 <= s->hdr.timestamp_ms) {
		note_maker(m, &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->taker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = reducible(s, &r, &c->taker->owner, c->taker->market,
			       c->taker->side);
		if (rc) {
			m->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			m->taker_reason = CL_DONE_MARGIN;
			return BOOK_STOP_TAKER;
		}
		if (want > r)
			want = r;
	}
	if (c->maker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = reducible(s, &r, &c->maker->owner, c->maker->market,
			       c->maker->side);
		if (rc) {
			m->sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			note_maker(m, &c->maker->hash, CL_DONE_MARGIN);
			return BOOK_CANCEL_MAKER;
		}
		if (want > r)
			want = r;
	}
	if (want == 0) {
		m->taker_reason = CL_DONE_MARGIN;
		return BOOK_STOP_TAKER;
	}

	struct cl_tx fill;
	memset(&fill, 0, sizeof(fill));
	fill.type = CL_TX_FILL;
	fill.u.fill.maker = c->maker->hash;
	fill.u.fill.taker = c->taker->hash;
	fill.u.fill.size = want;
	cl_tx_recover(&fill, cl_stf_domain(s->stf));
	rc = apply_logged(s, &fill);
	if (rc == CL_STF_OK) {
		push_fill(s, c, want);
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		m->sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	switch (cl_stf_fill_blame(s->stf)) {
	case CL_STF_BLAME_MAKER:
		note_maker(m, &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	case CL_STF_BLAME_TAKER:
	case CL_STF_BLAME_NONE:
		break;
	}
	cl_debug(SUB, "fill refused (%s): taker stops", cl_stf_err_str(rc));
	m->taker_reason = CL_DONE_MARGIN;
	return BOOK_STOP_TAKER;
}

static enum cl_done_reason taker_done_reason(enum book_outcome o,
					     const struct match_ctx *m)
{
	switch (o) {
	case BOOK_CANCELLED_IOC:
		return CL_DONE_IOC_REMAINDER;
	case BOOK_REJECTED_FOK:
		return CL_DONE_FOK_UNFILLED;
	case BOOK_REJECTED_POST_ONLY:
		return CL_DONE_POST_ONLY_CROSS;
	case BOOK_CANCELLED_STOPPED:
	case BOOK_CANCELLED_CROSSING:
	case BOOK_FILLED:
	case BOOK_RESTING:
		break;
	}
	return m->taker_reason;
}

/* Returns 0, or a negative system error that aborts the block; *acked
 * tells whether the item already waits in the block's acks. */
static int process_place(struct cl_seq *s, struct item *it, bool *acked)
{
	const struct cl_tx *tx = &it->tx;
	const struct cl_order *o = &tx->u.place.order;
	int rc = apply_logged(s, tx);

	if (rc > 0) {
		reply_now(it, rc, tx);
		return 0;
	}
	if (rc < 0)
		return rc;

	const struct cl_hash32 *hash = &tx->auth.digest;
	struct cl_order_record rec;
	struct cl_stf_view view = cl_stf_view(s->stf);
	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	int mi = market_index(&s->genesis, o->market);
	CL_REQUIRE(mi >= 0); /* the stf accepted the market */
	struct book *b = s->books[mi];

	struct book_order taker;
	book_order_from(&taker, hash, &rec);
	struct ack *a = push_ack(s, it, tx);
	*acked = true;
	a->r.order_hash = *hash;

	/* everything after the placement may be undone for FOK */
	struct cl_state_sp sp = cl_state_savepoint(s->st);
	size_t log_len = s->block_txs.len, log_n = s->block_ntx;
	size_t fills_mark = s->n_fills;
	struct match_ctx m = {.s = s, .place = tx,
			      .taker_reason = CL_DONE_MARGIN};

	enum book_code bc = book_match(b, &s->plan, &taker, on_candidate, &m);
	if (bc != BOOK_OK) {
		/* the stf and the book disagree on validity: a bug */
		cl_broken(SUB, "book refused an order the stf accepted: %s",
			  book_code_str(bc));
		free(m.reasons);
		return CL_ERR_CORRUPT;
	}
	if (m.sys_err) {
		book_discard(&s->plan);
		free(m.reasons);
		return m.sys_err;
	}
	enum book_outcome out = s->plan.outcome;
	if (out == BOOK_REJECTED_FOK || out == BOOK_REJECTED_POST_ONLY) {
		book_discard(&s->plan);
		cl_state_rollback_to(s->st, sp);
		s->block_txs.len = log_len;
		s->block_ntx = log_n;
		s->n_fills = fills_mark;
		rc = apply_done(s, hash, taker_done_reason(out, &m));
	} else {
		pthread_rwlock_wrlock(&s->books_lock);
		book_commit(b, &s->plan);
		pthread_rwlock_unlock(&s->books_lock);
		if (out == BOOK_RESTING)
			exp_push(s, rec.expiry, hash, (uint32_t)mi);
		rc = 0;
		for (size_t i = 0; i < s->plan.n_cancels && rc >= 0; i++) {
			const struct book_cancel *c = &s->plan.cancels[i];
			enum cl_done_reason why =
				c->reason == BOOK_CANCEL_SELF_TRADE
					? CL_DONE_SELF_TRADE
					: maker_reason(&m, &c->maker);
			rc = apply_done(s, &c->maker, why);
		}
		if (rc >= 0 && (out == BOOK_CANCELLED_IOC ||
				out == BOOK_CANCELLED_STOPPED ||
				out == BOOK_CANCELLED_CROSSING))
			rc = apply_done(s, hash, taker_done_reason(out, &m));
	}
	free(m.reasons);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return CL_ERR_CORRUPT; /* logged as broken by apply_done */

	view = cl_stf_view(s->stf);
	rc = cl_stf_get_order(&view, &rec, hash);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	a = &s->acks[s->n_acks - 1];
	a->r.status = rec.status;
	a->r.filled = rec.filled;
	a->r.n_fills = s->n_fills - a->fills_off;
	if (rec.status == CL_ORDER_DONE)
		a->r.done_reason = taker_done_reason(out, &m);
	return 0;
}

static int run_liquidations(struct cl_seq *s, uint32_t market);

static int process_simple(struct cl_seq *s, struct item *it, bool *acked)
{
	const struct cl_tx *tx = &it->tx;
	int rc = apply_logged(s, tx);

	if (rc > 0) {
		reply_now(it, rc, tx);
		return 0;
	}
	if (rc < 0)
		return rc;
	struct ack *a = push_ack(s, it, tx);
	*acked = true;
	struct cl_stf_view view = cl_stf_view(s->stf);
	switch (tx->type) {
	case CL_TX_CANCEL: {
		a->r.order_hash = tx->u.cancel.msg.order_hash;
		a->r.status = CL_ORDER_CANCELLED;
		struct cl_order_record rec;
		if (cl_stf_get_order(&view, &rec, &a->r.order_hash) == CL_OK) {
			int mi = market_index(&s->genesis, rec.market);
			a->r.filled = rec.filled;
			if (mi >= 0) {
				pthread_rwlock_wrlock(&s->books_lock);
				enum book_code bc = book_cancel(
					s->books[mi], NULL, &a->r.order_hash);
				pthread_rwlock_unlock(&s->books_lock);
				if (bc != BOOK_OK)
					cl_broken(SUB, "cancelled order was "
						  "not resting: %s",
						  book_code_str(bc));
			}
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
		rc = run_liquidations(s, market);
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
		rc = run_liquidations(s, market);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Liquidations                                                        */
/* ------------------------------------------------------------------ */

#define LIQ_CANDIDATES 1024
#define LIQ_STEPS_PER_ACCOUNT 256
#define REINDEX_SIDE_MAX 2048
#define MULTI_SWEEP_PER_BLOCK 1024
/* Risk work stops this many bytes before a block is full (one batch must
 * carry a block); what is left follows in the next block. */
#define RISK_BLOCK_RESERVE 4096

static bool block_full(struct cl_seq *s)
{
	if (s->block_txs.len + RISK_BLOCK_RESERVE < s->cfg.block_max_bytes)
		return false;
	s->risk_pending = true; /* the writer opens the next block at once */
	return true;
}

/* What the risk fill callback learns while a liquidation or an unwind
 * walks the book. */
struct risk_ctx {
	struct match_ctx m;
	const struct cl_address *account; /* NULL: the insurance fund */
};

/*
 * The fill callback of a liquidation (or unwind) taker: each candidate
 * is applied to the stf at once as a LIQUIDATE_FILL (FUND_FILL), which
 * checks the price limit, the maker's margin and the account's state.
 */
static enum book_verdict on_risk_candidate(void *arg, uint64_t *allowed,
					   const struct book_candidate *c)
{
	struct risk_ctx *rx = arg;
	struct cl_seq *s = rx->m.s;
	uint64_t want = c->size.v, r;
	struct cl_tx tx;
	int rc;

	*allowed = 0;
	if (block_full(s))
		return BOOK_STOP_TAKER;
	if (c->maker->expiry * 1000 <= s->hdr.timestamp_ms) {
		note_maker(&rx->m, &c->maker->hash, CL_DONE_EXPIRED);
		return BOOK_CANCEL_MAKER;
	}
	if (c->maker->flags & BOOK_FLAG_REDUCE_ONLY) {
		rc = reducible(s, &r, &c->maker->owner, c->maker->market,
			       c->maker->side);
		if (rc) {
			rx->m.sys_err = rc;
			return BOOK_STOP_TAKER;
		}
		if (r == 0) {
			note_maker(&rx->m, &c->maker->hash, CL_DONE_MARGIN);
			return BOOK_CANCEL_MAKER;
		}
		if (want > r)
			want = r;
	}
	memset(&tx, 0, sizeof(tx));
	if (rx->account) {
		tx.type = (enum cl_tx_type)CL_TX_LIQUIDATE_FILL;
		tx.u.liquidate_fill.account = *rx->account;
		tx.u.liquidate_fill.maker = c->maker->hash;
		tx.u.liquidate_fill.size = want;
	} else {
		tx.type = (enum cl_tx_type)CL_TX_FUND_FILL;
		tx.u.fund_fill.maker = c->maker->hash;
		tx.u.fund_fill.size = want;
	}
	cl_tx_recover(&tx, cl_stf_domain(s->stf));
	rc = apply_logged(s, &tx);
	if (rc == CL_STF_OK) {
		*allowed = want;
		return BOOK_ACCEPT;
	}
	if (rc < 0) {
		rx->m.sys_err = rc;
		return BOOK_STOP_TAKER;
	}
	if (cl_stf_fill_blame(s->stf) == CL_STF_BLAME_MAKER) {
		note_maker(&rx->m, &c->maker->hash, CL_DONE_MARGIN);
		return BOOK_CANCEL_MAKER;
	}
	/* beyond the limit, healthy again, ...: the rest goes elsewhere */
	cl_debug(SUB, "%s refused (%s): the taker stops",
		 cl_tx_type_str((int)tx.type), cl_stf_err_str(rc));
	return BOOK_STOP_TAKER;
}

/*
 * Walk the book of `market` with an IOC taker for `account` (NULL: the
 * insurance fund) closing `size` on `is_buy` at prices no worse than
 * `limit`. *filled gets how much the book took. Returns 0 or a negative
 * system error.
 */
static int risk_sweep(struct cl_seq *s, const struct cl_address *account,
		      uint32_t market, bool is_buy, uint64_t size,
		      uint64_t limit, uint64_t *filled)
{
	int mi = market_index(&s->genesis, market);
	struct book *b;
	const struct book_params *bp;
	struct book_order taker;
	struct risk_ctx rx;
	int rc = 0;

	*filled = 0;
	if (mi < 0 || limit == 0)
		return 0;
	b = s->books[mi];
	bp = book_params(b);
	if (size > bp->max_size)
		size = bp->max_size - bp->max_size % bp->step;
	if (size < bp->min_size)
		return 0;
	if (is_buy && limit > bp->max_price)
		limit = bp->max_price - bp->max_price % bp->tick;
	if (!is_buy && limit < bp->min_price)
		limit = bp->min_price;
	if (limit < bp->min_price || limit > bp->max_price)
		return 0;

	memset(&taker, 0, sizeof(taker));
	if (account)
		taker.owner = *account;
	taker.hash.b[0] = 0xff; /* never an order hash the book holds */
	memcpy(taker.hash.b + 1, taker.owner.b, 20);
	cl_put_be32(taker.hash.b + 21, market);
	taker.market = market;
	taker.side = is_buy ? BOOK_BUY : BOOK_SELL;
	taker.price.v = limit;
	taker.size.v = size;
	taker.flags = (uint8_t)(BOOK_IOC << BOOK_FLAG_TIF_SHIFT);
	taker.expiry = UINT64_MAX;

	memset(&rx, 0, sizeof(rx));
	rx.m.s = s;
	rx.account = account;
	enum book_code bc = book_match_outside(b, &s->plan, &taker,
					       on_risk_candidate, &rx);
	if (bc != BOOK_OK) {
		cl_broken(SUB, "book refused a liquidation taker: %s",
			  book_code_str(bc));
		return CL_ERR_CORRUPT;
	}
	if (rx.m.sys_err) {
		book_discard(&s->plan);
		free(rx.m.reasons);
		return rx.m.sys_err;
	}
	if (s->plan.n_fills == 0 && s->plan.n_cancels == 0) {
		book_discard(&s->plan);
		free(rx.m.reasons);
		return 0;
	}
	pthread_rwlock_wrlock(&s->books_lock);
	book_commit(b, &s->plan);
	pthread_rwlock_unlock(&s->books_lock);
	*filled = s->plan.filled.v;
	for (size_t i = 0; i < s->plan.n_cancels && rc >= 0; i++) {
		const struct book_cancel *c = &s->plan.cancels[i];
		enum cl_done_reason why = c->reason == BOOK_CANCEL_SELF_TRADE
						  ? CL_DONE_SELF_TRADE
						  : maker_reason(&rx.m, &c->maker);
		rc = apply_done(s, &c->maker, why);
	}
	free(rx.m.reasons);
	if (rc > 0)
		return CL_ERR_CORRUPT; /* logged as broken by apply_done */
	return rc;
}

/*
 * Refresh the ADL scores of the accounts on `side` of `market` (the first
 * REINDEX_SIDE_MAX of the stored ranking, 41 kB of transactions) with
 * REINDEX transactions, once per block and side: the ranking an ADL
 * names is then the one at the current marks. When the block fills
 * first, the ADL waits for the next block's pass.
 */
static int reindex_side(struct cl_seq *s, uint32_t market, uint8_t side)
{
	int mi = market_index(&s->genesis, market);
	struct cl_stf_view view = cl_stf_view(s->stf);
	struct cl_address *all;
	size_t n = 0;
	int rc;

	if (mi < 0 || s->adl_reindexed[mi][side] == s->hdr.number)
		return 0;
	s->adl_reindexed[mi][side] = s->hdr.number;
	all = cl_xcalloc(REINDEX_SIDE_MAX, sizeof(*all));
	rc = cl_stf_adl_ranking(&view, all, REINDEX_SIDE_MAX, &n, market,
				side);
	for (size_t i = 0; rc == 0 && i < n; i += CL_TX_REINDEX_MAX) {
		if (block_full(s)) {
			/* not all re-scored: no ADL in this block */
			s->adl_reindexed[mi][side] = 0;
			break;
		}
		struct cl_tx tx;
		memset(&tx, 0, sizeof(tx));
		tx.type = (enum cl_tx_type)CL_TX_REINDEX;
		tx.u.reindex.n = (uint32_t)(n - i < CL_TX_REINDEX_MAX
						    ? n - i
						    : CL_TX_REINDEX_MAX);
		memcpy(tx.u.reindex.account, all + i,
		       tx.u.reindex.n * sizeof(*all));
		cl_tx_recover(&tx, cl_stf_domain(s->stf));
		rc = apply_logged(s, &tx);
		if (rc > 0) {
			cl_broken(SUB, "reindex refused: %s",
				  cl_stf_err_str(rc));
			rc = CL_ERR_CORRUPT;
		}
	}
	free(all);
	if (rc == 0 && n > 0)
		cl_info(SUB, "market %u: re-scored %zu %s positions before "
			"deleveraging", market, n, side ? "short" : "long");
	if (n == REINDEX_SIDE_MAX)
		cl_unusual(SUB, "market %u: more than %d positions to re-score;"
			   " the rest keep their last scores", market,
			   REINDEX_SIDE_MAX);
	return rc;
}

/*
 * Liquidate `addr` until it is back above maintenance: each slice goes
 * to the book first (LIQUIDATE_FILL at prices no worse than the slice's
 * bankruptcy price); what the book does not take goes to the insurance
 * fund (LIQUIDATE) or, when the fund cannot take it, to the re-scored
 * ADL ranking (ADL). Returns 0 or a negative system error.
 */
static int liquidate_account(struct cl_seq *s, const struct cl_address *addr,
			     size_t *applied)
{
	int rc = 0;

	for (int step = 0; step < LIQ_STEPS_PER_ACCOUNT && !block_full(s);
	     step++) {
		struct cl_stf_view view = cl_stf_view(s->stf);
		struct cl_tx tx;
		bool has = false, is_buy = false, have_side;
		uint64_t limit, q = 0, filled;
		uint32_t market;

		rc = cl_stf_liquidation_next(&view, &tx, &has, addr);
		if (rc > 0) {
			cl_unusual(SUB, "cannot plan a liquidation: %s",
				   cl_stf_err_str(rc));
			return 0;
		}
		if (rc || !has)
			return rc;
		market = (int)tx.type == CL_TX_ADL ? tx.u.adl.market
						   : tx.u.liquidate.market;

		/* the book first */
		rc = cl_stf_liquidation_limit(&view, &limit, &is_buy, addr,
					      market, &q);
		if (rc < 0)
			return rc;
		have_side = rc == 0;
		if (rc == 0) {
			rc = risk_sweep(s, addr, market, is_buy, q, limit,
					&filled);
			if (rc)
				return rc;
			if (filled > 0) {
				(*applied)++;
				continue;
			}
		}
		rc = 0;
		if ((int)tx.type == CL_TX_ADL && have_side) {
			int mi = market_index(&s->genesis, market);
			uint8_t side = is_buy ? 0 : 1; /* the opposite side */
			if (mi >= 0 &&
			    s->adl_reindexed[mi][side] != s->hdr.number) {
				rc = reindex_side(s, market, side);
				if (rc)
					return rc;
				continue; /* plan again on fresh scores */
			}
		}
		cl_tx_recover(&tx, cl_stf_domain(s->stf));
		rc = apply_logged(s, &tx);
		if (rc > 0) {
			char a[CL_ADDRESS_STR_LEN + 1];
			cl_address_format(a, addr);
			cl_unusual(SUB, "%s of %s refused: %s",
				   cl_tx_type_str((int)tx.type), a,
				   cl_stf_err_str(rc));
			return 0;
		}
		if (rc)
			return rc;
		(*applied)++;
	}
	return 0;
}

/*
 * After a price moved in `market`: find the accounts that may be below
 * maintenance through the stf's liquidation-price index (no scan of all
 * accounts) and liquidate each. Every transaction is checked by the stf
 * like any other, so the verifiers check them too. Returns 0 or a
 * negative system error.
 */
static int run_liquidations(struct cl_seq *s, uint32_t market)
{
	struct cl_market_state ms;
	struct cl_stf_view view = cl_stf_view(s->stf);
	int rc = cl_stf_get_market(&view, &ms, market);

	if (rc == CL_ERR_NOT_FOUND || (rc == CL_OK && ms.mark_price == 0))
		return 0;
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	struct cl_address *cand = cl_xcalloc(LIQ_CANDIDATES, sizeof(*cand));
	size_t n = 0, applied = 0;
	rc = cl_stf_liquidation_candidates(&view, market, ms.mark_price, cand,
					   LIQ_CANDIDATES, &n);
	for (size_t i = 0; !rc && i < n && !block_full(s); i++)
		rc = liquidate_account(s, &cand[i], &applied);
	if (block_full(s))
		cl_info(SUB, "market %u: the block is full; liquidations go on "
			"in the next one", market);
	free(cand);
	if (applied)
		cl_info(SUB, "market %u at mark %llu: %zu liquidation "
			"transactions for %zu candidates", market,
			(unsigned long long)ms.mark_price, applied, n);
	if (n == LIQ_CANDIDATES)
		cl_unusual(SUB, "market %u: more than %d liquidation "
			   "candidates; the rest follow with the next price",
			   market, LIQ_CANDIDATES);
	return rc < 0 ? rc : 0;
}

/*
 * The liquidation index places an account with positions in several
 * markets by the other markets' marks of its last touch; when several
 * marks move, its entries lag. Each block checks the next
 * MULTI_SWEEP_PER_BLOCK such accounts directly, round robin.
 */
static int sweep_multi_market(struct cl_seq *s)
{
	struct cl_stf_view view = cl_stf_view(s->stf);
	struct cl_address *acc;
	size_t n = 0, done = 0, applied = 0;
	int rc;

	if (block_full(s))
		return 0; /* the cursor stays: the next block goes on */
	acc = cl_xcalloc(MULTI_SWEEP_PER_BLOCK, sizeof(*acc));
	rc = cl_stf_multi_market_accounts(
		&view, acc, MULTI_SWEEP_PER_BLOCK, &n,
		s->multi_has_cursor ? &s->multi_cursor : NULL);
	for (; !rc && done < n && !block_full(s); done++) {
		struct cl_stf_account_risk *r = cl_xcalloc(1, sizeof(*r));
		view = cl_stf_view(s->stf);
		rc = cl_stf_get_account_risk(&view, r, &acc[done]);
		if (rc > 0)
			rc = 0; /* out of range: left to the index */
		else if (rc == 0 && r->liquidatable)
			rc = liquidate_account(s, &acc[done], &applied);
		free(r);
	}
	/* go on after the last account checked; from the start after the
	 * last one */
	if (done > 0 && (done < n || n == MULTI_SWEEP_PER_BLOCK)) {
		s->multi_cursor = acc[done - 1];
		s->multi_has_cursor = true;
	} else if (done == n) {
		s->multi_has_cursor = false;
	}
	free(acc);
	if (applied)
		cl_info(SUB, "multi-market sweep: %zu liquidation transactions",
			applied);
	return rc < 0 ? rc : 0;
}

/*
 * The insurance fund unwinds what it inherited: each block, per market,
 * one slice of its position goes to the book at prices within the
 * market's mark band (FUND_FILL). Returns 0 or a negative system error.
 */
static int unwind_fund(struct cl_seq *s)
{
	for (uint32_t i = 0; i < s->genesis.n_markets; i++) {
		const struct cl_market_params *m = &s->genesis.markets[i];
		struct cl_stf_view view = cl_stf_view(s->stf);
		uint64_t size, limit, filled;
		bool is_buy;
		int rc = cl_stf_fund_unwind_limit(&view, &size, &is_buy,
						  &limit, m->id);
		if (rc)
			return rc < 0 ? rc : CL_ERR_CORRUPT;
		if (size == 0 || block_full(s))
			continue;
		size = margin_slice_max(size, m->risk.liq_slice_ppm,
					m->step_size);
		rc = risk_sweep(s, NULL, m->id, is_buy, size, limit, &filled);
		if (rc)
			return rc;
		if (filled)
			cl_info(SUB, "market %u: the insurance fund unwound "
				"%llu at prices up to %llu", m->id,
				(unsigned long long)filled,
				(unsigned long long)limit);
	}
	return 0;
}

/*
 * Resting orders that expired leave the book when a block opens: an
 * ORDER_DONE (expired) each, in expiry order, as far as the block has
 * room. (A taker that meets one first closes it the same way.)
 */
static int sweep_expired(struct cl_seq *s)
{
	size_t closed = 0, resting = 0;
	int rc = 0;

	while (s->n_exp > 0 &&
	       s->exp[0].expiry * 1000 <= s->hdr.timestamp_ms &&
	       !block_full(s)) {
		struct expiring e = s->exp[0];
		struct book_order o;

		exp_pop(s);
		if (!book_get(s->books[e.mi], &o, &e.hash) ||
		    o.expiry != e.expiry)
			continue; /* it left the book already */
		rc = apply_done(s, &e.hash, CL_DONE_EXPIRED);
		if (rc < 0)
			return rc;
		pthread_rwlock_wrlock(&s->books_lock);
		enum book_code bc = book_cancel(s->books[e.mi], NULL, &e.hash);
		pthread_rwlock_unlock(&s->books_lock);
		CL_REQUIRE(bc == BOOK_OK); /* book_get found it */
		if (rc > 0)
			return CL_ERR_CORRUPT; /* logged as broken */
		closed++;
	}
	if (closed)
		cl_info(SUB, "%zu expired orders left the book", closed);
	/* entries of filled and cancelled orders wait for their expiry:
	 * start again from the books when they are most of the heap */
	for (uint32_t i = 0; i < s->genesis.n_markets; i++)
		resting += book_count(s->books[i]);
	if (s->n_exp > 2 * resting + 4096)
		exp_rebuild(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Blocks                                                              */
/* ------------------------------------------------------------------ */

static void do_cut(struct cl_seq *s);
static int cut_prepare(struct cl_seq *s, struct cl_batch_cut *c);
static void cut_done(struct cl_seq *s, const struct cl_batch_cut *c);
static void recut_serve(struct cl_seq *s);

static void publish_status(struct cl_seq *s, uint64_t number, uint64_t ts,
			   const struct cl_hash32 *root, uint64_t ntx)
{
	pthread_mutex_lock(&s->status_lock);
	s->status.head_block = number;
	s->status.head_timestamp_ms = ts;
	s->status.head_root = *root;
	s->status.txs_sealed += ntx;
	pthread_mutex_unlock(&s->status_lock);
}

static int open_block(struct cl_seq *s)
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
		rc = run_liquidations(s, s->genesis.markets[i].id);
		if (rc)
			return rc;
	}
	rc = sweep_multi_market(s);
	if (rc == 0)
		rc = unwind_fund(s);
	if (rc == 0)
		rc = sweep_expired(s);
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
static void abort_block(struct cl_seq *s, int err)
{
	cl_unusual(SUB, "block %llu abandoned: %s",
		   (unsigned long long)s->hdr.number, cl_err_str(err));
	cl_stf_end_block(s->stf);
	cl_state_discard(s->st);
	answer_acks(s, err, 0);
	s->block_open = false;
	pthread_rwlock_wrlock(&s->books_lock);
	int rc = books_rebuild(s);
	pthread_rwlock_unlock(&s->books_lock);
	cl_state_discard(s->st);
	if (rc)
		CL_BUG("cannot rebuild the books after a failed block: %s",
		       cl_err_str(rc));
}

static void seal_block(struct cl_seq *s)
{
	struct cl_buf rec;
	uint8_t key[8];
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
		int crc = cut_prepare(s, &cut);
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
	cl_buf_init(&rec);
	cl_buf_append_be64(&rec, s->hdr.timestamp_ms);
	cl_buf_append(&rec, s->hdr.prev_root.b, 32);
	cl_buf_append_be32(&rec, (uint32_t)s->block_ntx);
	cl_buf_append(&rec, s->block_txs.p, s->block_txs.len);
	cl_put_be64(key, s->hdr.number);
	cl_state_put(s->st, CL_TABLE_BLOCKS, key, 8, rec.p, rec.len);
	cl_buf_release(&rec);

	rc = cl_state_commit_block(s->st, &root);
	if (rc) {
		cl_unusual(SUB, "commit of block %llu failed: %s",
			   (unsigned long long)s->hdr.number, cl_err_str(rc));
failed:
		s->block_open = false;
		cl_state_discard(s->st);
		answer_acks(s, rc, 0);
		pthread_rwlock_wrlock(&s->books_lock);
		if (books_rebuild(s))
			CL_BUG("cannot rebuild the books");
		pthread_rwlock_unlock(&s->books_lock);
		return;
	}
	s->block_open = false;
	publish_status(s, s->hdr.number, s->hdr.timestamp_ms, &root,
		       s->block_ntx);
	cl_debug(SUB, "sealed block %llu: %zu txs",
		 (unsigned long long)s->hdr.number, s->block_ntx);
	answer_acks(s, 0, s->hdr.number);
	if (cutting)
		cut_done(s, &cut);
	if (s->cfg.cut_interval_ms) {
		/* a batch's age counts from its first block */
		if (s->cut_bytes == 0 && s->block_txs.len > 0)
			s->cut_due_ns = cl_clock_mono_ns() +
					s->cfg.cut_interval_ms * 1000000u;
		s->cut_bytes += s->block_txs.len;
		uint64_t target = s->cfg.cut_target_bytes &&
					  s->cfg.cut_target_bytes <
					      s->cfg.cut_max_bytes
				      ? s->cfg.cut_target_bytes
				      : s->cfg.cut_max_bytes;
		if (s->cut_bytes >= target)
			do_cut(s);
	}
}


/* ------------------------------------------------------------------ */
/* Batch cuts                                                          */
/* ------------------------------------------------------------------ */

static const uint8_t CUT_NEXT_KEY[] = "cut-next";
#define CUT_PREFIX 'c'
#define WPROOF_PREFIX 'w'

static void prefixed_key(uint8_t out[9], uint8_t prefix, uint64_t n)
{
	out[0] = prefix;
	cl_put_be64(out + 1, n);
}

static void put_cut(struct cl_seq *s, const struct cl_batch_cut *c)
{
	uint8_t key[9], v[72];

	cl_put_be64(v, c->first_block);
	cl_put_be64(v + 8, c->last_block);
	memcpy(v + 16, c->root.b, 32);
	cl_put_be64(v + 48, c->deposits_consumed);
	cl_put_be64(v + 56, c->wid_begin);
	cl_put_be64(v + 64, c->wid_end);
	prefixed_key(key, CUT_PREFIX, c->seq);
	cl_state_put(s->st, CL_TABLE_NODE, key, 9, v, sizeof(v));
}

static int load_cut_cursor(struct cl_seq *s)
{
	const uint8_t *v;
	size_t vl;
	int rc = cl_state_get(s->st, &v, &vl, CL_TABLE_NODE, CUT_NEXT_KEY,
			      sizeof(CUT_NEXT_KEY) - 1);
	if (rc == CL_ERR_NOT_FOUND) {
		s->cut_seq = 0;
		s->cut_first = 1; /* block 0 is genesis, never posted */
		s->cut_wid = 0;
		return CL_OK;
	}
	if (rc)
		return rc;
	if (vl != 24)
		return CL_ERR_CORRUPT;
	s->cut_seq = cl_get_be64(v);
	s->cut_first = cl_get_be64(v + 8);
	s->cut_wid = cl_get_be64(v + 16);
	return CL_OK;
}

/*
 * Write the cut of the committed blocks [cut_first, head] into the state's
 * overlay: the cut record, the next-cut cursor and a proof for every
 * withdrawal in the range. Everything is read from the committed state
 * (a snapshot for the counters; proofs ignore uncommitted writes), so this
 * also works while the next block is open, and rides along in its commit.
 * Returns CL_OK with *c filled, CL_ERR_NOT_FOUND when there is nothing to
 * cut, or an error (the overlay may then hold part of the cut: discard).
 */
static int cut_prepare(struct cl_seq *s, struct cl_batch_cut *c)
{
	struct cl_seq_status st;
	struct cl_stf_globals g;
	struct cl_stf_view view;
	struct cl_buf v;
	int rc;

	cl_seq_status(s, &st);
	if (st.head_block < s->cut_first)
		return CL_ERR_NOT_FOUND;
	rc = cl_seq_view(s, &view);
	if (rc)
		return rc;
	rc = cl_stf_get_globals(&view, &g);
	if (rc) {
		cl_seq_view_release(&view);
		return rc;
	}
	if (g.block_number != st.head_block)
		CL_BUG("committed state at block %llu, head %llu",
		       (unsigned long long)g.block_number,
		       (unsigned long long)st.head_block);

	*c = (struct cl_batch_cut){
		.seq = s->cut_seq,
		.first_block = s->cut_first,
		.last_block = st.head_block,
		.root = st.head_root,
		.deposits_consumed = g.next_deposit_id,
		.wid_begin = s->cut_wid,
		.wid_end = g.next_withdrawal_id,
	};
	cl_buf_init(&v);
	struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
	for (uint64_t wid = c->wid_begin; wid < c->wid_end; wid++) {
		uint8_t wk[CL_STF_WITHDRAWAL_KEY_LEN];
		cl_stf_withdrawal_key(wk, wid);
		rc = cl_state_prove(s->st, proof, CL_TABLE_WITHDRAWALS, wk,
				    sizeof(wk));
		/* check it as the L1 contract will, before storing it */
		struct cl_address to;
		uint64_t amount;
		if (!rc)
			rc = cl_stf_get_withdrawal(&view, &to, &amount, wid);
		if (!rc) {
			uint8_t val[28];
			struct cl_hash32 path, vh;
			memcpy(val, to.b, 20);
			cl_put_be64(val + 20, amount);
			cl_smt_path(&path, CL_TABLE_WITHDRAWALS, wk, sizeof(wk));
			cl_smt_value_hash(&vh, val, sizeof(val));
			if (!cl_proof_verify_inclusion(proof, &c->root, &path,
						       &vh))
				CL_BUG("a fresh withdrawal proof does not "
				       "verify");
		}
		if (rc)
			break;
		cl_seq_put_withdrawal_proof(s->st, c->seq, proof, wid);
	}
	free(proof);
	cl_seq_view_release(&view);
	if (rc) {
		cl_buf_release(&v);
		return rc;
	}
	put_cut(s, c);
	cl_buf_reset(&v);
	cl_buf_append_be64(&v, c->seq + 1);
	cl_buf_append_be64(&v, c->last_block + 1);
	cl_buf_append_be64(&v, c->wid_end);
	cl_state_put(s->st, CL_TABLE_NODE, CUT_NEXT_KEY,
		     sizeof(CUT_NEXT_KEY) - 1, v.p, v.len);
	cl_buf_release(&v);
	return CL_OK;
}

/* After the commit that stored the cut. */
static void cut_done(struct cl_seq *s, const struct cl_batch_cut *c)
{
	s->cut_seq = c->seq + 1;
	s->cut_first = c->last_block + 1;
	s->cut_wid = c->wid_end;
	s->cut_bytes = 0;
	s->cut_due_ns = cl_clock_mono_ns() + s->cfg.cut_interval_ms * 1000000u;
	cl_info(SUB, "cut batch %llu: blocks %llu..%llu, %llu withdrawals",
		(unsigned long long)c->seq, (unsigned long long)c->first_block,
		(unsigned long long)c->last_block,
		(unsigned long long)(c->wid_end - c->wid_begin));
}

/* A timed cut between blocks: its own (bookkeeping) commit. */
static void do_cut(struct cl_seq *s)
{
	struct cl_batch_cut c;
	struct cl_hash32 root;

	s->cut_due_ns = cl_clock_mono_ns() + s->cfg.cut_interval_ms * 1000000u;
	int rc = cut_prepare(s, &c);
	if (rc == CL_ERR_NOT_FOUND)
		return;
	if (!rc)
		rc = cl_state_commit_block(s->st, &root);
	if (rc) {
		cl_unusual(SUB, "cannot cut batch %llu: %s; will retry",
			   (unsigned long long)s->cut_seq, cl_err_str(rc));
		cl_state_discard(s->st);
		return;
	}
	if (!cl_hash32_eq(&root, &c.root))
		CL_BUG("a batch cut changed the state root");
	cut_done(s, &c);
}

/* Bytes of the block records [first, last] (the measure of a cut's size,
 * close to the transaction bytes cut_max_bytes counts). */
static int records_bytes(struct cl_snapshot *snap, uint64_t *out,
			 uint64_t first, uint64_t last)
{
	*out = 0;
	for (uint64_t n = first; n <= last; n++) {
		uint8_t key[8];
		const uint8_t *v;
		size_t vl;
		cl_put_be64(key, n);
		int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
		if (rc)
			return rc;
		*out += vl;
	}
	return CL_OK;
}

/*
 * Merge cuts from..cut_seq-1 and the blocks sealed since into as few cuts
 * as cut_max_bytes allows, greedily at the old cut boundaries (their roots
 * and deposit counts are known); the last new cut runs to the head and
 * carries the proof of every withdrawal of the merged range, against the
 * head root (a withdrawal stays in the state tree, so a proof against a
 * later root is as good). CL_ERR_NOT_FOUND when that would not lower the
 * number of cuts. Writer only, between blocks.
 */
static int do_recut(struct cl_seq *s, uint64_t from, uint64_t *cuts)
{
	struct cl_snapshot *snap;
	struct cl_seq_status st;
	struct cl_batch_cut c;
	const uint64_t seq0 = s->cut_seq, first0 = s->cut_first,
		       wid0 = s->cut_wid;
	int rc;

	*cuts = seq0 > from ? seq0 - from : 0;
	if (from >= seq0 || seq0 - from > SIZE_MAX / sizeof(c))
		return CL_ERR_NOT_FOUND;
	size_t n = (size_t)(seq0 - from);
	struct cl_batch_cut *old = cl_xcalloc(n, sizeof(*old));
	uint64_t *bytes = cl_xcalloc(n + 1, sizeof(*bytes));
	rc = cl_snapshot_new(&snap, s->db);
	if (rc)
		goto out_free;
	cl_seq_status(s, &st);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = cl_seq_get_cut(snap, &old[i], from + i);
		if (!rc)
			rc = records_bytes(snap, &bytes[i], old[i].first_block,
					   old[i].last_block);
	}
	if (!rc && st.head_block >= first0)
		rc = records_bytes(snap, &bytes[n], first0, st.head_block);
	cl_snapshot_free(snap);
	if (rc)
		goto out_free;
	/* groups of old cuts: [start, i) each; the last one takes the tail */
	size_t *ends = cl_xcalloc(n, sizeof(*ends));
	size_t groups = 0, start = 0;
	uint64_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > start && acc + bytes[i] > s->cfg.cut_max_bytes) {
			ends[groups++] = i;
			start = i;
			acc = 0;
		}
		acc += bytes[i];
	}
	if (bytes[n] && acc + bytes[n] > s->cfg.cut_max_bytes) {
		ends[groups++] = n;
		start = n;
	}
	/* groups + 1 new cuts against n old ones (and an uncut tail) */
	if (groups + 1 >= n + (start == n)) {
		free(ends);
		rc = CL_ERR_NOT_FOUND;
		goto out_free;
	}
	size_t b = 0;
	for (size_t g = 0; g < groups; g++) {
		const struct cl_batch_cut *lo = &old[b], *hi = &old[ends[g] - 1];
		struct cl_batch_cut m = *hi;
		m.seq = from + g;
		m.first_block = lo->first_block;
		m.wid_begin = lo->wid_begin;
		put_cut(s, &m);
		b = ends[g];
	}
	free(ends);
	s->cut_seq = from + groups;
	s->cut_first = b < n ? old[b].first_block : first0;
	s->cut_wid = old[0].wid_begin;
	rc = cut_prepare(s, &c);
	if (!rc) {
		uint8_t key[9];
		for (uint64_t q = c.seq + 1; q < seq0; q++) {
			prefixed_key(key, CUT_PREFIX, q);
			cl_state_del(s->st, CL_TABLE_NODE, key, 9);
		}
		struct cl_hash32 root;
		rc = cl_state_commit_block(s->st, &root);
		if (!rc && !cl_hash32_eq(&root, &c.root))
			CL_BUG("a batch re-cut changed the state root");
	}
	if (rc) {
		cl_state_discard(s->st);
		s->cut_seq = seq0;
		s->cut_first = first0;
		s->cut_wid = wid0;
		goto out_free;
	}
	cl_info(SUB, "re-cut batches %llu..%llu into %llu: blocks %llu..%llu",
		(unsigned long long)from, (unsigned long long)(seq0 - 1),
		(unsigned long long)(c.seq - from + 1),
		(unsigned long long)old[0].first_block,
		(unsigned long long)c.last_block);
	cut_done(s, &c);
	*cuts = c.seq - from + 1;
out_free:
	free(old);
	free(bytes);
	return rc;
}

/* Serve a pending cl_seq_recut() (writer, between blocks). */
static void recut_serve(struct cl_seq *s)
{
	pthread_mutex_lock(&s->qlock);
	bool req = s->recut_req;
	uint64_t from = s->recut_from;
	pthread_mutex_unlock(&s->qlock);
	if (!req)
		return;
	uint64_t cuts = 0;
	int rc = do_recut(s, from, &cuts);
	pthread_mutex_lock(&s->qlock);
	s->recut_req = false;
	s->recut_done = true;
	s->recut_rc = rc;
	s->recut_cuts = cuts;
	pthread_cond_broadcast(&s->recut_cond);
	pthread_mutex_unlock(&s->qlock);
}

int cl_seq_recut(struct cl_seq *s, uint64_t from, uint64_t *cuts)
{
	pthread_mutex_lock(&s->qlock);
	if (s->stopping || !s->running || s->recut_req) {
		int rc = s->recut_req ? CL_ERR_BUSY : CL_SEQ_ERR_SHUTDOWN;
		pthread_mutex_unlock(&s->qlock);
		return rc;
	}
	s->recut_req = true;
	s->recut_done = false;
	s->recut_from = from;
	pthread_cond_signal(&s->qcond);
	while (!s->recut_done)
		pthread_cond_wait(&s->recut_cond, &s->qlock);
	int rc = s->recut_rc;
	*cuts = s->recut_cuts;
	pthread_mutex_unlock(&s->qlock);
	return rc;
}

int cl_seq_get_cut(struct cl_snapshot *snap, struct cl_batch_cut *out,
		   uint64_t seq)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	memset(out, 0, sizeof(*out));
	prefixed_key(key, CUT_PREFIX, seq);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl != 72)
		return CL_ERR_CORRUPT;
	out->seq = seq;
	out->first_block = cl_get_be64(v);
	out->last_block = cl_get_be64(v + 8);
	memcpy(out->root.b, v + 16, 32);
	out->deposits_consumed = cl_get_be64(v + 48);
	out->wid_begin = cl_get_be64(v + 56);
	out->wid_end = cl_get_be64(v + 64);
	return CL_OK;
}

void cl_seq_put_withdrawal_proof(struct cl_state *st, uint64_t cut_seq,
				 const struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	struct cl_buf v;

	cl_buf_init(&v);
	cl_buf_append_be64(&v, cut_seq);
	cl_proof_encode(&v, proof);
	prefixed_key(key, WPROOF_PREFIX, wid);
	cl_state_put(st, CL_TABLE_NODE, key, 9, v.p, v.len);
	cl_buf_release(&v);
}

int cl_seq_get_withdrawal_proof(struct cl_snapshot *snap, uint64_t *cut_seq,
				struct cl_proof *proof, uint64_t wid)
{
	uint8_t key[9];
	const uint8_t *v;
	size_t vl;

	*cut_seq = 0;
	prefixed_key(key, WPROOF_PREFIX, wid);
	int rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl < 8 || !cl_proof_decode(proof, v + 8, vl - 8))
		return CL_ERR_CORRUPT;
	*cut_seq = cl_get_be64(v);
	return CL_OK;
}

int cl_seq_cut_payload(struct cl_snapshot *snap,
		       const struct cl_batch_cut *cut, struct cl_buf *out)
{
	size_t n = (size_t)(cut->last_block - cut->first_block + 1);
	struct cl_batch_block *blocks = cl_xcalloc(n, sizeof(*blocks));
	struct cl_block_record *recs = cl_xcalloc(n, sizeof(*recs));
	int rc = CL_OK;

	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t key[8];
		const uint8_t *v;
		size_t vl;
		uint64_t num = cut->first_block + i;
		cl_put_be64(key, num);
		rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
		if (rc)
			break;
		if (!cl_block_record_parse(&recs[i], num, v, vl)) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		blocks[i].number = num;
		blocks[i].timestamp_ms = recs[i].timestamp_ms;
		blocks[i].n_txs = recs[i].n_txs;
		blocks[i].txs = cl_xcalloc(recs[i].n_txs ? recs[i].n_txs : 1,
					   sizeof(struct cl_batch_tx));
		for (size_t t = 0; t < recs[i].n_txs; t++) {
			blocks[i].txs[t].p = recs[i].txs[t];
			blocks[i].txs[t].len = recs[i].tx_lens[t];
		}
		/* the root after block i is the next block's prev_root */
		if (i > 0)
			blocks[i - 1].root = recs[i].prev_root;
	}
	if (!rc) {
		blocks[n - 1].root = cut->root;
		cl_batch_encode_payload(out, blocks, n);
	}
	for (size_t i = 0; i < n; i++) {
		free(blocks[i].txs);
		cl_block_record_release(&recs[i]);
	}
	free(blocks);
	free(recs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The writer thread                                                   */
/* ------------------------------------------------------------------ */

static void process(struct cl_seq *s, struct item *it)
{
	bool acked = false;
	int rc = 0;

	if (!s->block_open && (rc = open_block(s)) != CL_OK) {
		reply_now(it, rc, &it->tx);
		if (s->block_open)
			abort_block(s, rc); /* a liquidation failed */
		return;
	}
	if (it->assign_deposit_id) {
		struct cl_stf_globals g;
		struct cl_stf_view view = cl_stf_view(s->stf);
		rc = cl_stf_get_globals(&view, &g);
		if (rc) {
			reply_now(it, rc < 0 ? rc : CL_ERR_CORRUPT, &it->tx);
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
		rc = process_place(s, it, &acked);
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
			reply_now(it, rc, &it->tx);
		abort_block(s, rc);
		return;
	}
	if (s->block_ntx >= s->cfg.block_max_txs ||
	    s->block_txs.len >= s->cfg.block_max_bytes)
		seal_block(s);
}

static void *writer_main(void *arg)
{
	struct cl_seq *s = arg;
	enum { BATCH = 256 };
	struct item *local = cl_xcalloc(BATCH, sizeof(*local));

	for (;;) {
		size_t n = 0;
		bool stop;

		pthread_mutex_lock(&s->qlock);
		while (s->qlen == 0 && !s->stopping &&
		       !(s->recut_req && !s->block_open)) {
			bool cuts = s->cfg.cut_interval_ms != 0;
			if (!s->block_open && !cuts) {
				pthread_cond_wait(&s->qcond, &s->qlock);
				continue;
			}
			uint64_t now = cl_clock_mono_ns();
			uint64_t dl = s->block_open ? s->deadline_ns
						    : s->cut_due_ns;
			if (now >= dl)
				break;
			/* the condition variable waits on CLOCK_MONOTONIC */
			struct timespec ts;
			ts.tv_sec = (time_t)(dl / 1000000000u);
			ts.tv_nsec = (long)(dl % 1000000000u);
			pthread_cond_timedwait(&s->qcond, &s->qlock, &ts);
		}
		stop = s->stopping;
		while (n < BATCH && s->qlen > 0 && !stop) {
			local[n++] = s->q[s->qhead];
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
		}
		pthread_mutex_unlock(&s->qlock);

		for (size_t i = 0; i < n; i++)
			process(s, &local[i]);
		if (s->block_open &&
		    (stop || cl_clock_mono_ns() >= s->deadline_ns))
			seal_block(s);
		if (!s->block_open && s->cfg.cut_interval_ms &&
		    cl_clock_mono_ns() >= s->cut_due_ns)
			do_cut(s);
		if (!s->block_open)
			recut_serve(s);
		if (stop)
			break;
		/* a cascade that filled a block goes on without waiting for
		 * traffic */
		if (!s->block_open && s->risk_pending) {
			int rc = open_block(s);
			if (rc && s->block_open)
				abort_block(s, rc);
			else if (rc)
				s->risk_pending = false;
		}
	}

	/* answer whatever is still queued */
	pthread_mutex_lock(&s->qlock);
	while (s->qlen > 0) {
		struct item it = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
		pthread_mutex_unlock(&s->qlock);
		reply_now(&it, CL_SEQ_ERR_SHUTDOWN, &it.tx);
		pthread_mutex_lock(&s->qlock);
	}
	pthread_mutex_unlock(&s->qlock);
	free(local);
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
	pthread_mutex_init(&s->qlock, NULL);
	pthread_mutex_init(&s->status_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->qcond, &ca);
	pthread_cond_init(&s->recut_cond, NULL);
	pthread_condattr_destroy(&ca);
	s->qcap = cfg->queue_max;
	s->q = cl_xcalloc(s->qcap, sizeof(*s->q));
	cl_buf_init(&s->block_txs);
	cl_buf_init(&s->scratch);
	book_plan_init(&s->plan);

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
	publish_status(s, gl.block_number, gl.block_timestamp_ms, &root, 0);
	rc = books_rebuild(s);
	if (rc)
		goto fail;
	rc = load_cut_cursor(s);
	if (rc)
		goto fail;
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
	s->running = true;
	return CL_OK;
}

void cl_seq_stop(struct cl_seq *s)
{
	if (!s->running) {
		/* never started: still answer what was queued */
		pthread_mutex_lock(&s->qlock);
		s->stopping = true;
		while (s->qlen > 0) {
			struct item it = s->q[s->qhead];
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
			pthread_mutex_unlock(&s->qlock);
			reply_now(&it, CL_SEQ_ERR_SHUTDOWN, &it.tx);
			pthread_mutex_lock(&s->qlock);
		}
		pthread_mutex_unlock(&s->qlock);
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
	books_free(s);
	free(s->exp);
	book_plan_release(&s->plan);
	cl_stf_free(s->stf);
	cl_state_free(s->st);
	free(s->q);
	free(s->acks);
	free(s->fills);
	cl_buf_release(&s->block_txs);
	cl_buf_release(&s->scratch);
	pthread_rwlock_destroy(&s->books_lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_mutex_destroy(&s->status_lock);
	pthread_cond_destroy(&s->qcond);
	pthread_cond_destroy(&s->recut_cond);
	free(s);
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

static int enqueue(struct cl_seq *s, const struct cl_tx *tx,
		   cl_seq_done_fn fn, void *arg, bool assign_id)
{
	pthread_mutex_lock(&s->qlock);
	if (s->stopping || s->qlen == s->qcap) {
		int rc = s->stopping ? CL_SEQ_ERR_SHUTDOWN : CL_ERR_BUSY;
		pthread_mutex_unlock(&s->qlock);
		return rc;
	}
	struct item *it = &s->q[(s->qhead + s->qlen) % s->qcap];
	it->tx = *tx;
	it->fn = fn;
	it->arg = arg;
	it->assign_deposit_id = assign_id;
	s->qlen++;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	return CL_OK;
}

int cl_seq_submit(struct cl_seq *s, const struct cl_tx *tx,
		  cl_seq_done_fn fn, void *arg)
{
	/* fills, closes and the risk engine's own transactions come only
	 * from the sequencer */
	if (tx->type == CL_TX_FILL || tx->type == CL_TX_ORDER_DONE ||
	    (int)tx->type == CL_TX_LIQUIDATE || (int)tx->type == CL_TX_ADL ||
	    (int)tx->type == CL_TX_LIQUIDATE_FILL ||
	    (int)tx->type == CL_TX_FUND_FILL ||
	    (int)tx->type == CL_TX_REINDEX)
		return CL_SEQ_ERR_NOT_ALLOWED;
	CL_REQUIRE(tx->auth.recovered);
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
	const uint8_t *v;
	size_t vl;
	uint8_t key[8];

	memset(out, 0, sizeof(*out));
	cl_seq_status(s, &st);
	if (number > st.head_block)
		return CL_ERR_NOT_FOUND;
	int rc = cl_snapshot_new(&snap, s->db);
	if (rc)
		return rc;
	/* the root after block n is the prev_root of block n + 1 */
	cl_put_be64(key, number + 1);
	rc = cl_snapshot_get(snap, &v, &vl, CL_TABLE_BLOCKS, key, 8);
	if (rc == CL_OK) {
		if (vl < 40)
			rc = CL_ERR_CORRUPT;
		else
			memcpy(out->b, v + 8, 32);
	} else if (rc == CL_ERR_NOT_FOUND) {
		/* n is the head (of this snapshot) */
		rc = cl_snapshot_root(snap, out);
	}
	cl_snapshot_free(snap);
	return rc;
}
