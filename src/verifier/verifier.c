/* SPDX-License-Identifier: MIT */
/*
 * The verifier and replica: derive the L2 chain from the rollup contract's
 * logs and the batch data in the posting transactions, replay it through
 * the stf, compare every root, challenge a wrong batch
 * (include/clearline/verifier.h, docs/verifier.md).
 */
#include <clearline/batch.h>
#include <clearline/verifier.h>
#include <clearline/sequencer.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const SUB = "verifier";

/* ------------------------------------------------------------------ */
/* Keys of the local table CL_TABLE_NODE                               */
/* ------------------------------------------------------------------ */

static const uint8_t CURSOR_KEY[] = "v-cursor";
static const uint8_t PARTIAL_KEY[] = "v-partial";
#define ROOT_PREFIX 'R'	   /* be64 block -> root after it */
#define DEPOSIT_PREFIX 'D' /* be64 id -> to || be64 amount */
#define BATCH_PREFIX 'B'   /* be64 index -> batch record */

static void pkey(uint8_t out[9], uint8_t prefix, uint64_t n)
{
	out[0] = prefix;
	cl_put_be64(out + 1, n);
}

/* Where derivation stands; stored under CURSOR_KEY. */
struct cursor {
	uint64_t next_batch;	    /* batches below are verified */
	uint64_t l1_block;	    /* the last verified batch's event ... */
	uint64_t l1_log;	    /* ... position (valid if next_batch) */
	struct cl_hash32 l1_hash;   /* hash of l1_block when it was read */
	uint64_t last_block;	    /* last L2 block of the last batch */
	uint64_t deposits_consumed; /* after it */
	uint64_t wid_end;	    /* next withdrawal id after it */
	uint64_t txs;		    /* transactions replayed so far */
};

#define CURSOR_LEN (8 * 3 + 32 + 8 * 4)

static void cursor_encode(struct cl_buf *b, const struct cursor *c)
{
	cl_buf_append_be64(b, c->next_batch);
	cl_buf_append_be64(b, c->l1_block);
	cl_buf_append_be64(b, c->l1_log);
	cl_buf_append(b, c->l1_hash.b, 32);
	cl_buf_append_be64(b, c->last_block);
	cl_buf_append_be64(b, c->deposits_consumed);
	cl_buf_append_be64(b, c->wid_end);
	cl_buf_append_be64(b, c->txs);
}

static bool cursor_decode(struct cursor *c, const uint8_t *p, size_t len)
{
	struct cl_cursor r;
	cl_cur_init(&r, p, len);
	c->next_batch = cl_cur_be64(&r);
	c->l1_block = cl_cur_be64(&r);
	c->l1_log = cl_cur_be64(&r);
	cl_cur_bytes(&r, c->l1_hash.b, 32);
	c->last_block = cl_cur_be64(&r);
	c->deposits_consumed = cl_cur_be64(&r);
	c->wid_end = cl_cur_be64(&r);
	c->txs = cl_cur_be64(&r);
	return cl_cur_done(&r);
}

/* ------------------------------------------------------------------ */
/* The object                                                          */
/* ------------------------------------------------------------------ */

struct vdeposit {
	struct cl_address to;
	uint64_t amount;
	bool stored; /* in the database already */
};

/* One decoded transaction of a batch being verified. */
struct vtx {
	struct cl_tx tx;
	uint32_t block; /* index in the batch */
	uint32_t index; /* index in its block */
};

struct cl_verifier {
	struct cl_verifier_config cfg;
	char *l1_url, *datadir;
	struct cl_genesis genesis;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;

	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* status, stop, cond */
	pthread_cond_t cond;
	bool stop;
	struct cl_verifier_status status;

	/* books (replica), readers take the read lock */
	pthread_rwlock_t books_lock;
	struct book *books[CL_GENESIS_MAX_MARKETS];

	/* a client for reader threads, under qlock */
	pthread_mutex_t qlock;
	struct cl_l1_rpc *query_rpc;

	/* derivation thread only */
	struct cl_l1_rpc *rpc;
	struct cursor cur;
	uint64_t scan_next;	       /* next L1 block to scan */
	struct cl_hash32 scan_prev;    /* hash of scan_next - 1, or zero */
	uint64_t skip_block, skip_log; /* logs at or before are done */
	bool skip_set;
	struct vdeposit *deps; /* ids dep_base .. dep_base + n_deps */
	uint64_t dep_base;
	size_t n_deps, cap_deps;
	bool wipe_requested;
	uint64_t l1_head;
	uint64_t batch_count, final_count, next_l2_block;

	/* fault and challenge (thread only; copied to status) */
	struct cl_verifier_fault fault;
	struct cl_l1_sender *sender;
	bool challenge_inflight;
	uint64_t challenge_id;
	uint64_t challenge_retry_ns;
	bool warned_no_key;

	/* progress */
	uint64_t prog_ns, prog_block;
	uint64_t bps;
	uint64_t last_log_ns;

	/* replica: order hashes touched by the current block */
	struct cl_hash32 *touched;
	size_t n_touched, cap_touched;
};

enum step_rc {
	STEP_OK = 0,
	STEP_FAULT = 1,	  /* a fault was recorded: stop applying */
	STEP_SKIP = 2,	  /* the event is not live any more */
	STEP_RESTART = 3, /* wipe and derive again */
};

void cl_verifier_config_defaults(struct cl_verifier_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->confirmations = 3;
	cfg->poll_ms = 500;
	cfg->log_range = 1000;
	cfg->max_fee_wei = 500000000000ull;
	cfg->progress_ms = 5000;
	cl_batch_limits_default(&cfg->limits);
}

static void hexroot(char out[67], const struct cl_hash32 *h)
{
	cl_hex_encode(out, h->b, 32, true);
}

static bool stopping(struct cl_verifier *v)
{
	pthread_mutex_lock(&v->lock);
	bool s = v->stop;
	pthread_mutex_unlock(&v->lock);
	return s;
}

/* ------------------------------------------------------------------ */
/* Status and progress                                                 */
/* ------------------------------------------------------------------ */

static void publish_head(struct cl_verifier *v)
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

static void publish_l1(struct cl_verifier *v, bool reachable)
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
static void progress(struct cl_verifier *v, bool force)
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

/* ------------------------------------------------------------------ */
/* Contract views                                                      */
/* ------------------------------------------------------------------ */

static int view_call(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		     struct cl_buf *ret, const char *sig, bool has_arg,
		     uint64_t arg)
{
	struct cl_buf cd;
	uint8_t sel[4];

	cl_buf_init(&cd);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (has_arg)
		cl_l1_abi_put_u64(&cd, arg);
	struct cl_l1_callreq req = {
	    .to = rollup, .data = cd.p, .data_len = cd.len};
	int rc = cl_l1_eth_call(rpc, ret, &req, CL_L1_LATEST);
	cl_buf_release(&cd);
	return rc;
}

static int view_u64(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		    const char *sig, uint64_t *out)
{
	struct cl_buf ret;
	cl_buf_init(&ret);
	int rc = view_call(rpc, rollup, &ret, sig, false, 0);
	if (!rc && !cl_l1_abi_ret_u64(out, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&ret);
	return rc;
}

/*
 * Is batch ev->index on L1 now the one this BatchAppended appended? After
 * a discard the sequencer may post the same data again, so the data hash
 * alone does not say; the contract's commitment covers the whole record,
 * timestamp included (cl_l1_batch_live).
 */
static int batch_live(struct cl_verifier *v, bool *live,
		      const struct cl_l1_batch_event *ev)
{
	return cl_l1_batch_live(v->rpc, &v->genesis.rollup, live, ev);
}

/* ------------------------------------------------------------------ */
/* Faults and the challenge                                            */
/* ------------------------------------------------------------------ */

struct fault_at {
	bool has_block;
	uint64_t block;
	bool has_tx;
	uint64_t tx;
	bool has_roots;
	const struct cl_hash32 *expected, *posted;
};

static int record_fault(struct cl_verifier *v,
			const struct cl_l1_batch_event *ev,
			const struct fault_at *at, const char *fmt, ...)
    CL_PRINTF(4, 5);

static int record_fault(struct cl_verifier *v,
			const struct cl_l1_batch_event *ev,
			const struct fault_at *at, const char *fmt, ...)
{
	struct cl_verifier_fault *f = &v->fault;
	va_list ap;
	char blk[32] = "unknown", txs[32] = "unknown";
	char er[67] = "none", pr[67] = "none";

	memset(f, 0, sizeof(*f));
	f->set = true;
	f->batch = ev->index;
	f->data_hash = ev->data_hash;
	f->l1_block = ev->loc.block_number;
	f->has_block = at->has_block;
	f->block = at->block;
	f->has_tx = at->has_tx;
	f->tx = at->tx;
	f->has_roots = at->has_roots;
	if (at->expected)
		f->expected = *at->expected;
	if (at->posted)
		f->posted = *at->posted;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	if (at->has_block)
		snprintf(blk, sizeof(blk), "%llu",
			 (unsigned long long)at->block);
	if (at->has_tx)
		snprintf(txs, sizeof(txs), "%llu", (unsigned long long)at->tx);
	if (at->expected)
		hexroot(er, at->expected);
	if (at->posted)
		hexroot(pr, at->posted);
	cl_broken(SUB,
		  "batch %llu is wrong: %s (block %s, tx %s, derived "
		  "root %s, posted root %s)",
		  (unsigned long long)ev->index, f->reason, blk, txs, er, pr);
	v->challenge_retry_ns = 0;
	publish_head(v);
	return STEP_FAULT;
}

static int open_sender(struct cl_verifier *v)
{
	struct cl_l1_sender_opts so;

	if (v->sender)
		return CL_OK;
	cl_l1_sender_opts_default(&so);
	so.confirmations = v->cfg.confirmations;
	so.max_fee_ceiling = v->cfg.max_fee_wei;
	if (v->cfg.drop_timeout_ms)
		so.drop_timeout_ms = v->cfg.drop_timeout_ms;
	return cl_l1_sender_open(&v->sender, v->rpc, v->cfg.key, v->datadir,
				 v->genesis.l1_chain_id, &so);
}

static void challenge_done(struct cl_verifier *v, bool ok)
{
	v->challenge_inflight = false;
	if (ok)
		v->fault.challenged = true;
	else
		v->fault.challenge_failed = true;
	publish_head(v);
}

/* Drive the challenge of the recorded fault: one submit, then steps. */
static void challenge_step(struct cl_verifier *v)
{
	struct cl_verifier_fault *f = &v->fault;
	int rc;

	if (!f->set || f->challenged || f->challenge_failed)
		return;
	if (!v->cfg.key) {
		if (!v->warned_no_key)
			cl_unusual(SUB,
				   "no l1 key: batch %llu is not "
				   "challenged (set l1-keystore)",
				   (unsigned long long)f->batch);
		v->warned_no_key = true;
		return;
	}
	if (cl_clock_mono_ns() < v->challenge_retry_ns)
		return;
	if (v->challenge_inflight) {
		rc = cl_l1_sender_step(v->sender);
		if (rc)
			return;
		const struct cl_l1_tx *t =
		    cl_l1_sender_get(v->sender, v->challenge_id);
		if (!t) {
			challenge_done(v, false);
			return;
		}
		if (t->state == CL_L1_TX_CONFIRMED) {
			if (t->success)
				cl_info(SUB,
					"challenge of batch %llu confirmed "
					"in l1 block %llu",
					(unsigned long long)f->batch,
					(unsigned long long)t->block_number);
			else
				cl_unusual(SUB,
					   "challenge of batch %llu "
					   "reverted on l1",
					   (unsigned long long)f->batch);
			bool ok = t->success;
			if (cl_l1_sender_forget(v->sender, v->challenge_id))
				cl_debug(SUB, "cannot forget the challenge");
			challenge_done(v, ok);
		} else if (t->state == CL_L1_TX_FAILED) {
			cl_unusual(SUB,
				   "challenge of batch %llu failed: its "
				   "nonce was taken",
				   (unsigned long long)f->batch);
			if (cl_l1_sender_forget(v->sender, v->challenge_id))
				cl_debug(SUB, "cannot forget the challenge");
			challenge_done(v, false);
		}
		return;
	}

	v->challenge_retry_ns = cl_clock_mono_ns() + 2000000000ull;
	/* live: the batch's record on L1 is the event flagged (and the
	 * challenge carries that record) */
	struct cl_l1_batch_event rec;
	rc = cl_l1_batch_record(v->rpc, &v->genesis.rollup, &rec, f->batch,
				f->l1_block, 0);
	if (rc && rc != CL_ERR_NOT_FOUND)
		return;
	bool live = !rc && cl_hash32_eq(&rec.data_hash, &f->data_hash) &&
		    rec.loc.block_number == f->l1_block;
	if (!live) {
		cl_info(SUB, "batch %llu is no longer on l1: no challenge",
			(unsigned long long)f->batch);
		challenge_done(v, false);
		return;
	}
	struct cl_buf ret;
	cl_buf_init(&ret);
	rc = view_call(v->rpc, &v->genesis.rollup, &ret, "challengerOf(uint64)",
		       true, f->batch);
	if (!rc && ret.len == 32) {
		bool zero = true;
		for (size_t i = 0; i < 32; i++)
			zero &= ret.p[i] == 0;
		if (!zero) {
			struct cl_address who;
			char a[CL_ADDRESS_STR_LEN + 1];
			memcpy(who.b, ret.p + 12, 20);
			cl_address_format(a, &who);
			cl_info(SUB, "batch %llu is already challenged by %s",
				(unsigned long long)f->batch, a);
			cl_buf_release(&ret);
			challenge_done(v, true);
			return;
		}
	}
	cl_buf_reset(&ret);
	uint8_t bond[32];
	rc = view_call(v->rpc, &v->genesis.rollup, &ret, "challengeBond()",
		       false, 0);
	if (!rc && ret.len != 32)
		rc = CL_ERR_CORRUPT;
	if (rc) {
		cl_buf_release(&ret);
		return;
	}
	memcpy(bond, ret.p, 32);
	cl_buf_release(&ret);
	rc = open_sender(v);
	if (rc) {
		cl_unusual(SUB, "cannot open the challenger's l1 sender: %s",
			   cl_l1_err_str(rc));
		return;
	}
	struct cl_buf cd;
	cl_buf_init(&cd);
	cl_l1_abi_challenge(&cd, &rec);
	struct cl_l1_txreq req = {.to = &v->genesis.rollup,
				  .value = bond,
				  .data = cd.p,
				  .data_len = cd.len};
	rc = cl_l1_sender_submit(v->sender, &v->challenge_id, &req);
	cl_buf_release(&cd);
	if (rc) {
		cl_unusual(SUB,
			   "cannot send the challenge of batch %llu: %s; "
			   "retrying",
			   (unsigned long long)f->batch, cl_l1_err_str(rc));
		return;
	}
	v->challenge_inflight = true;
	v->challenge_retry_ns = 0;
	char a[CL_ADDRESS_STR_LEN + 1];
	struct cl_address me;
	cl_l1_sender_address(v->sender, &me);
	cl_address_format(a, &me);
	cl_info(SUB, "challenge of batch %llu sent from %s",
		(unsigned long long)f->batch, a);
}

/* ------------------------------------------------------------------ */
/* Order books (replica)                                               */
/* ------------------------------------------------------------------ */

static int market_index(const struct cl_genesis *g, uint32_t market)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		if (g->markets[i].id == market)
			return (int)i;
	return -1;
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
	o->seq = r->sequence + 1; /* as the sequencer numbers them */
}

static void books_clear(struct cl_verifier *v)
{
	for (uint32_t i = 0; i < v->genesis.n_markets; i++) {
		book_free(v->books[i]);
		v->books[i] = NULL;
	}
	if (!v->cfg.replica)
		return;
	for (uint32_t i = 0; i < v->genesis.n_markets; i++) {
		const struct cl_market_params *m = &v->genesis.markets[i];
		struct book_params bp = {
		    .market = m->id,
		    .tick = m->tick_size,
		    .step = m->step_size,
		    .min_price = m->tick_size,
		    .max_price = UINT64_MAX - UINT64_MAX % m->tick_size,
		    .min_size = m->step_size,
		    .max_size = m->max_order_size,
		};
		v->books[i] = book_new(&bp);
	}
}

static void restore_one(struct cl_verifier *v, const struct cl_hash32 *h,
			const struct cl_order_record *r)
{
	int mi = market_index(&v->genesis, r->market);
	struct book_order o;

	if (mi < 0)
		return;
	book_order_from(&o, h, r);
	enum book_code bc = book_restore(v->books[mi], &o);
	if (bc != BOOK_OK)
		cl_unusual(SUB,
			   "cannot mirror an open order into the book: "
			   "%s",
			   book_code_str(bc));
}

/* Rebuild every book from the open orders of the committed state. */
static int books_rebuild(struct cl_verifier *v)
{
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	int rc;

	if (!v->cfg.replica)
		return CL_OK;
	pthread_rwlock_wrlock(&v->books_lock);
	books_clear(v);
	rc = cl_state_iter_new(&it, v->st, CL_TABLE_ORDERS, NULL, 0);
	if (rc) {
		pthread_rwlock_unlock(&v->books_lock);
		return rc;
	}
	struct cl_stf_view view = cl_stf_view(v->stf);
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		struct cl_hash32 h;
		struct cl_order_record r;
		if (kl != 32)
			continue;
		memcpy(h.b, k, 32);
		rc = cl_stf_get_order(&view, &r, &h);
		if (rc)
			break;
		if (r.status == CL_ORDER_OPEN)
			restore_one(v, &h, &r);
	}
	cl_state_iter_free(it);
	pthread_rwlock_unlock(&v->books_lock);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static void touch(struct cl_verifier *v, const struct cl_hash32 *h)
{
	if (!v->cfg.replica)
		return;
	if (v->n_touched == v->cap_touched) {
		v->cap_touched = v->cap_touched ? 2 * v->cap_touched : 256;
		v->touched = cl_xrealloc(v->touched,
					 v->cap_touched * sizeof(*v->touched));
	}
	v->touched[v->n_touched++] = *h;
}

static void touch_tx(struct cl_verifier *v, const struct cl_tx *tx)
{
	switch (tx->type) {
	case CL_TX_PLACE_ORDER:
		touch(v, &tx->auth.digest);
		break;
	case CL_TX_FILL:
		touch(v, &tx->u.fill.maker);
		touch(v, &tx->u.fill.taker);
		break;
	case CL_TX_CANCEL:
		touch(v, &tx->u.cancel.msg.order_hash);
		break;
	case CL_TX_ORDER_DONE:
		touch(v, &tx->u.done.order_hash);
		break;
	case CL_TX_DEPOSIT:
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_ORACLE_PRICE:
		break;
	}
}

struct touched_rec {
	struct cl_hash32 h;
	struct cl_order_record r;
};

static int by_sequence(const void *a, const void *b)
{
	const struct touched_rec *x = a, *y = b;
	if (x->r.sequence != y->r.sequence)
		return x->r.sequence < y->r.sequence ? -1 : 1;
	return memcmp(x->h.b, y->h.b, 32);
}

/* After a committed block: take every touched order out of its book,
 * then put the ones still open back in arrival order, so the book is
 * never crossed in between. */
static void books_mirror(struct cl_verifier *v)
{
	if (!v->cfg.replica || v->n_touched == 0)
		return;
	struct touched_rec *recs = cl_xcalloc(v->n_touched, sizeof(*recs));
	size_t n = 0;
	struct cl_stf_view view = cl_stf_view(v->stf);

	pthread_rwlock_wrlock(&v->books_lock);
	for (size_t i = 0; i < v->n_touched; i++) {
		struct cl_order_record r;
		if (cl_stf_get_order(&view, &r, &v->touched[i]) != CL_OK)
			continue;
		int mi = market_index(&v->genesis, r.market);
		if (mi < 0)
			continue;
		if (book_cancel(v->books[mi], NULL, &v->touched[i]) !=
		    BOOK_OK) {
			/* it was not resting: nothing to take out */
		}
		if (r.status == CL_ORDER_OPEN && r.filled < r.size) {
			recs[n].h = v->touched[i];
			recs[n].r = r;
			n++;
		}
	}
	qsort(recs, n, sizeof(*recs), by_sequence);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && cl_hash32_eq(&recs[i].h, &recs[i - 1].h))
			continue;
		restore_one(v, &recs[i].h, &recs[i].r);
	}
	pthread_rwlock_unlock(&v->books_lock);
	free(recs);
	v->n_touched = 0;
}

/* ------------------------------------------------------------------ */
/* Deposits seen on L1                                                 */
/* ------------------------------------------------------------------ */

static void deps_clear(struct cl_verifier *v)
{
	v->n_deps = 0;
}

/* Remember a Deposit event; ids must come in order (a re-read of a known
 * id must match). Returns CL_OK or CL_ERR_CORRUPT. */
static int deps_add(struct cl_verifier *v, const struct cl_l1_deposit *d,
		    bool stored)
{
	uint64_t next = v->dep_base + v->n_deps;

	if (d->id < v->dep_base)
		return CL_OK; /* consumed long ago */
	if (d->id < next) {
		const struct vdeposit *k = &v->deps[d->id - v->dep_base];
		if (!cl_address_eq(&k->to, &d->to) || k->amount != d->amount) {
			cl_unusual(SUB, "deposit %llu changed on l1",
				   (unsigned long long)d->id);
			return CL_ERR_CORRUPT;
		}
		return CL_OK;
	}
	if (d->id > next) {
		cl_unusual(SUB, "deposit %llu arrived before %llu",
			   (unsigned long long)d->id, (unsigned long long)next);
		return CL_ERR_CORRUPT;
	}
	if (v->n_deps == v->cap_deps) {
		v->cap_deps = v->cap_deps ? 2 * v->cap_deps : 64;
		v->deps = cl_xrealloc(v->deps, v->cap_deps * sizeof(*v->deps));
	}
	v->deps[v->n_deps].to = d->to;
	v->deps[v->n_deps].amount = d->amount;
	v->deps[v->n_deps].stored = stored;
	v->n_deps++;
	return CL_OK;
}

static const struct vdeposit *deps_get(const struct cl_verifier *v, uint64_t id)
{
	if (id < v->dep_base || id - v->dep_base >= v->n_deps)
		return NULL;
	return &v->deps[id - v->dep_base];
}

/* Put the deposits not stored yet into the open overlay. */
static void deps_store(struct cl_verifier *v)
{
	for (size_t i = 0; i < v->n_deps; i++) {
		struct vdeposit *d = &v->deps[i];
		uint8_t key[9], val[28];
		if (d->stored)
			continue;
		pkey(key, DEPOSIT_PREFIX, v->dep_base + i);
		memcpy(val, d->to.b, 20);
		cl_put_be64(val + 20, d->amount);
		cl_state_put(v->st, CL_TABLE_NODE, key, 9, val, 28);
	}
}

static void deps_mark_stored(struct cl_verifier *v)
{
	for (size_t i = 0; i < v->n_deps; i++)
		v->deps[i].stored = true;
}

/* Forget deposits below `consumed` (memory only). */
static void deps_trim(struct cl_verifier *v, uint64_t consumed)
{
	if (consumed <= v->dep_base)
		return;
	uint64_t drop = consumed - v->dep_base;
	if (drop > v->n_deps)
		drop = v->n_deps;
	memmove(v->deps, v->deps + drop, (v->n_deps - drop) * sizeof(*v->deps));
	v->n_deps -= drop;
	v->dep_base += drop;
}

/* Load the cursor and the stored, unconsumed deposits; position the
 * scan just after the last verified batch's event. */
static int load_cursor(struct cl_verifier *v)
{
	const uint8_t *val, *k;
	size_t vl, kl;
	struct cl_state_iter *it;
	uint8_t start[9];

	memset(&v->cur, 0, sizeof(v->cur));
	int rc = cl_state_get(v->st, &val, &vl, CL_TABLE_NODE, CURSOR_KEY,
			      sizeof(CURSOR_KEY) - 1);
	if (rc == CL_OK && !cursor_decode(&v->cur, val, vl))
		return CL_ERR_CORRUPT;
	if (rc && rc != CL_ERR_NOT_FOUND)
		return rc;
	deps_clear(v);
	v->dep_base = v->cur.deposits_consumed;
	pkey(start, DEPOSIT_PREFIX, v->cur.deposits_consumed);
	rc = cl_state_iter_new(&it, v->st, CL_TABLE_NODE, start, 9);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != 9 || k[0] != DEPOSIT_PREFIX)
			break;
		if (vl != 28) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		struct cl_l1_deposit d;
		memset(&d, 0, sizeof(d));
		d.id = cl_get_be64(k + 1);
		memcpy(d.to.b, val, 20);
		d.amount = cl_get_be64(val + 20);
		rc = deps_add(v, &d, true);
		if (rc)
			break;
	}
	cl_state_iter_free(it);
	if (rc && rc != CL_ERR_NOT_FOUND && rc != CL_OK)
		return rc;
	if (v->cur.next_batch) {
		v->scan_next = v->cur.l1_block;
		v->skip_set = true;
		v->skip_block = v->cur.l1_block;
		v->skip_log = v->cur.l1_log;
	} else {
		v->scan_next = v->cfg.start_block;
		v->skip_set = false;
	}
	memset(&v->scan_prev, 0, sizeof(v->scan_prev));
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Start-up and wipe                                                   */
/* ------------------------------------------------------------------ */

static int init_state(struct cl_verifier *v)
{
	int rc = cl_stf_new(&v->stf, v->st, &v->genesis);
	if (rc)
		return rc;
	if (!cl_stf_initialized(v->stf)) {
		struct cl_hash32 root;
		rc = cl_stf_genesis_init(v->stf);
		if (!rc)
			rc = cl_state_commit_block(v->st, &root);
		if (rc)
			return rc;
		cl_info(SUB, "genesis state written");
	}
	rc = load_cursor(v);
	if (!rc)
		rc = books_rebuild(v);
	if (!rc)
		publish_head(v);
	return rc;
}

/* Delete everything this database holds, in one transaction. */
static int wipe_all(struct cl_verifier *v)
{
	size_t nt;
	const struct cl_table_info *tabs = cl_table_list(&nt);
	struct cl_buf keys;
	int rc = CL_OK;

	cl_buf_init(&keys);
	for (size_t t = 0; t < nt && !rc; t++) {
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		cl_buf_reset(&keys);
		rc = cl_state_iter_new(&it, v->st, tabs[t].id, NULL, 0);
		if (rc)
			break;
		while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) ==
		       CL_OK) {
			cl_buf_append_byte(&keys, (uint8_t)kl);
			cl_buf_append(&keys, k, kl);
		}
		cl_state_iter_free(it);
		if (rc != CL_ERR_NOT_FOUND)
			break;
		rc = CL_OK;
		for (size_t off = 0; off < keys.len;) {
			size_t kl2 = keys.p[off];
			cl_state_del(v->st, tabs[t].id, keys.p + off + 1, kl2);
			off += 1 + kl2;
		}
	}
	cl_buf_release(&keys);
	if (!rc)
		rc = cl_state_commit_block(v->st, NULL);
	if (rc)
		cl_state_discard(v->st);
	return rc;
}

static int rederive(struct cl_verifier *v, const char *why)
{
	cl_unusual(SUB,
		   "%s: wiping the database and deriving again from "
		   "genesis",
		   why);
	cl_stf_free(v->stf);
	v->stf = NULL;
	int rc = wipe_all(v);
	if (rc) {
		cl_unusual(SUB, "cannot wipe the database: %s", cl_err_str(rc));
		/* the old state is still whole: keep it and retry later */
		if (cl_stf_new(&v->stf, v->st, &v->genesis) == CL_OK)
			cl_state_discard(v->st);
		return rc;
	}
	memset(&v->fault, 0, sizeof(v->fault));
	v->challenge_inflight = false;
	rc = init_state(v);
	cl_state_discard(v->st);
	pthread_mutex_lock(&v->lock);
	v->status.rederivations++;
	pthread_mutex_unlock(&v->lock);
	v->wipe_requested = false;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Verifying one batch                                                 */
/* ------------------------------------------------------------------ */

struct recover_job {
	struct vtx *txs;
	size_t n;
	const struct cl_eip712_domain *d;
};

static void *recover_main(void *arg)
{
	struct recover_job *j = arg;
	for (size_t i = 0; i < j->n; i++)
		cl_tx_recover(&j->txs[i].tx, j->d);
	return NULL;
}

/* Recover the signatures of txs[0..n) on two threads. */
static void recover_all(struct cl_verifier *v, struct vtx *txs, size_t n)
{
	const struct cl_eip712_domain *d = cl_stf_domain(v->stf);
	size_t half = n / 2;
	struct recover_job j = {txs + half, n - half, d};
	pthread_t th;
	bool threaded =
	    n >= 64 && pthread_create(&th, NULL, recover_main, &j) == 0;

	if (!threaded) {
		for (size_t i = 0; i < n; i++)
			cl_tx_recover(&txs[i].tx, d);
		return;
	}
	for (size_t i = 0; i < half; i++)
		cl_tx_recover(&txs[i].tx, d);
	pthread_join(th, NULL);
}

static int stored_root(struct cl_verifier *v, struct cl_hash32 *out,
		       uint64_t number, uint64_t head)
{
	const uint8_t *val;
	size_t vl;
	uint8_t key[9];

	if (number == head)
		return cl_state_root(v->st, out);
	pkey(key, ROOT_PREFIX, number);
	int rc = cl_state_get(v->st, &val, &vl, CL_TABLE_NODE, key, 9);
	if (rc)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(out->b, val, 32);
	return CL_OK;
}

/* Close batch `ev`: the final comparisons, then the cursor, the batch
 * record, the deposits seen and the withdrawal proofs in one
 * transaction (the state root does not move). */
static int close_batch(struct cl_verifier *v,
		       const struct cl_l1_batch_event *ev,
		       const struct cl_l1_block *evblock)
{
	struct cl_stf_globals g;
	struct cl_hash32 root;
	struct cl_stf_view view = cl_stf_view(v->stf);
	struct fault_at at = {.has_block = true, .block = ev->last_block};
	int rc;

	rc = cl_stf_get_globals(&view, &g);
	if (!rc)
		rc = cl_state_root(v->st, &root);
	if (rc)
		return rc;
	at.has_roots = true;
	at.expected = &root;
	if (!cl_hash32_eq(&root, &ev->state_root)) {
		at.posted = &ev->state_root;
		return record_fault(v, ev, &at,
				    "the posted state root differs "
				    "from the derived one");
	}
	if (!cl_hash32_eq(&root, &ev->withdrawal_root)) {
		at.posted = &ev->withdrawal_root;
		return record_fault(v, ev, &at,
				    "the posted withdrawal root "
				    "differs from the derived state root");
	}
	if (g.next_deposit_id != ev->deposits_consumed) {
		at.posted = &ev->state_root;
		return record_fault(v, ev, &at,
				    "depositsConsumed is %llu, the "
				    "batch applied deposits up to %llu",
				    (unsigned long long)ev->deposits_consumed,
				    (unsigned long long)g.next_deposit_id);
	}

	struct cl_buf b;
	uint8_t key[9];
	cl_buf_init(&b);
	for (uint64_t wid = v->cur.wid_end; wid < g.next_withdrawal_id; wid++) {
		uint8_t wk[CL_STF_WITHDRAWAL_KEY_LEN];
		struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
		cl_stf_withdrawal_key(wk, wid);
		rc = cl_state_prove(v->st, proof, CL_TABLE_WITHDRAWALS, wk,
				    sizeof(wk));
		if (!rc && proof->kind != CL_PROOF_INCLUSION)
			rc = CL_ERR_CORRUPT;
		if (rc) {
			free(proof);
			cl_buf_release(&b);
			cl_state_discard(v->st);
			return rc;
		}
		cl_seq_put_withdrawal_proof(v->st, ev->index, proof, wid);
		free(proof);
	}
	cl_buf_reset(&b);
	cl_buf_append_be64(&b, ev->first_block);
	cl_buf_append_be64(&b, ev->last_block);
	cl_buf_append(&b, root.b, 32);
	cl_buf_append_be64(&b, v->cur.wid_end);
	cl_buf_append_be64(&b, g.next_withdrawal_id);
	cl_buf_append_be64(&b, ev->loc.block_number);
	cl_buf_append(&b, ev->loc.tx_hash.b, 32);
	pkey(key, BATCH_PREFIX, ev->index);
	cl_state_put(v->st, CL_TABLE_NODE, key, 9, b.p, b.len);

	struct cursor nc = v->cur;
	nc.next_batch = ev->index + 1;
	nc.l1_block = ev->loc.block_number;
	nc.l1_log = ev->loc.log_index;
	nc.l1_hash = evblock->hash;
	nc.last_block = ev->last_block;
	nc.deposits_consumed = g.next_deposit_id;
	nc.wid_end = g.next_withdrawal_id;
	cl_buf_reset(&b);
	cursor_encode(&b, &nc);
	cl_state_put(v->st, CL_TABLE_NODE, CURSOR_KEY, sizeof(CURSOR_KEY) - 1,
		     b.p, b.len);
	cl_state_del(v->st, CL_TABLE_NODE, PARTIAL_KEY,
		     sizeof(PARTIAL_KEY) - 1);
	deps_store(v);
	cl_buf_release(&b);

	struct cl_hash32 after;
	rc = cl_state_commit_block(v->st, &after);
	if (rc) {
		cl_state_discard(v->st);
		return rc;
	}
	if (!cl_hash32_eq(&after, &root))
		CL_BUG("closing a batch changed the state root");
	deps_mark_stored(v);
	v->cur = nc;
	deps_trim(v, nc.deposits_consumed);
	publish_head(v);
	char hex[67];
	hexroot(hex, &root);
	cl_info(SUB, "batch %llu verified: blocks %llu..%llu, root %s",
		(unsigned long long)ev->index,
		(unsigned long long)ev->first_block,
		(unsigned long long)ev->last_block, hex);
	return STEP_OK;
}

/* Apply one block of the batch; the transactions are decoded and
 * recovered already. Returns STEP_OK, STEP_FAULT or a negative error. */
static int apply_block(struct cl_verifier *v,
		       const struct cl_l1_batch_event *ev,
		       const struct cl_batch_block *blk, struct vtx *txs,
		       size_t n)
{
	struct cl_block_header h;
	struct cl_hash32 prev, root;
	struct fault_at at = {.has_block = true, .block = blk->number};
	uint8_t key[9];
	int rc;

	rc = cl_state_root(v->st, &prev);
	if (rc)
		return rc;
	h.number = blk->number;
	h.timestamp_ms = blk->timestamp_ms;
	h.prev_root = prev;
	rc = cl_stf_begin_block(v->stf, &h);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		cl_state_discard(v->st);
		return record_fault(v, ev, &at, "block header refused: %s",
				    cl_stf_err_str(rc));
	}
	for (size_t i = 0; i < n; i++) {
		const struct cl_tx *tx = &txs[i].tx;
		at.has_tx = true;
		at.tx = i;
		if (tx->type == CL_TX_DEPOSIT) {
			const struct vdeposit *d =
			    deps_get(v, tx->u.deposit.id);
			if (!d) {
				cl_stf_end_block(v->stf);
				cl_state_discard(v->st);
				return record_fault(
				    v, ev, &at, "deposit %llu is not on l1",
				    (unsigned long long)tx->u.deposit.id);
			}
			if (!cl_address_eq(&d->to, &tx->u.deposit.to) ||
			    d->amount != tx->u.deposit.amount) {
				cl_stf_end_block(v->stf);
				cl_state_discard(v->st);
				return record_fault(
				    v, ev, &at,
				    "deposit %llu differs from "
				    "the l1 deposit event (amount %llu, "
				    "on l1 %llu)",
				    (unsigned long long)tx->u.deposit.id,
				    (unsigned long long)tx->u.deposit.amount,
				    (unsigned long long)d->amount);
			}
		}
		rc = cl_stf_apply(v->stf, tx);
		if (rc < 0) {
			cl_stf_end_block(v->stf);
			cl_state_discard(v->st);
			return rc;
		}
		if (rc > 0) {
			cl_stf_end_block(v->stf);
			cl_state_discard(v->st);
			return record_fault(v, ev, &at,
					    "%s transaction "
					    "refused: %s",
					    cl_tx_type_str(tx->type),
					    cl_stf_err_str(rc));
		}
		touch_tx(v, tx);
	}
	cl_stf_end_block(v->stf);

	/* the root after the previous block, and which batch this block
	 * belongs to (see docs/verifier.md "Restart") */
	pkey(key, ROOT_PREFIX, blk->number - 1);
	cl_state_put(v->st, CL_TABLE_NODE, key, 9, prev.b, 32);
	uint8_t partial[40];
	cl_put_be64(partial, ev->index);
	memcpy(partial + 8, ev->data_hash.b, 32);
	cl_state_put(v->st, CL_TABLE_NODE, PARTIAL_KEY, sizeof(PARTIAL_KEY) - 1,
		     partial, sizeof(partial));
	rc = cl_state_commit_block(v->st, &root);
	if (rc) {
		cl_state_discard(v->st);
		v->n_touched = 0;
		return rc;
	}
	v->cur.txs += n;
	books_mirror(v);
	publish_head(v);
	if (!cl_hash32_eq(&root, &blk->root)) {
		at.has_tx = false;
		at.has_roots = true;
		at.expected = &root;
		at.posted = &blk->root;
		return record_fault(v, ev, &at, "block root differs");
	}
	return STEP_OK;
}

/* Blocks of this batch committed before a restart: check them against
 * the batch instead of replaying them. Returns STEP_OK with *done set to
 * the number of blocks already applied, STEP_FAULT, STEP_RESTART (they
 * belong to another batch), or an error. */
static int check_partial(struct cl_verifier *v,
			 const struct cl_l1_batch_event *ev,
			 const struct cl_batch *b, uint64_t head, size_t *done)
{
	const uint8_t *val;
	size_t vl;

	*done = 0;
	if (head <= v->cur.last_block)
		return STEP_OK;
	int rc = cl_state_get(v->st, &val, &vl, CL_TABLE_NODE, PARTIAL_KEY,
			      sizeof(PARTIAL_KEY) - 1);
	if (rc && rc != CL_ERR_NOT_FOUND)
		return rc;
	if (rc == CL_ERR_NOT_FOUND || vl != 40 ||
	    cl_get_be64(val) != ev->index ||
	    memcmp(val + 8, ev->data_hash.b, 32) != 0 ||
	    head > ev->last_block) {
		v->wipe_requested = true;
		cl_unusual(SUB,
			   "blocks %llu..%llu were derived from a batch "
			   "that is no longer on l1",
			   (unsigned long long)v->cur.last_block + 1,
			   (unsigned long long)head);
		return STEP_RESTART;
	}
	for (uint64_t n = ev->first_block; n <= head; n++) {
		struct cl_hash32 r;
		const struct cl_batch_block *blk =
		    &b->blocks[n - ev->first_block];
		rc = stored_root(v, &r, n, head);
		if (rc)
			return rc;
		if (!cl_hash32_eq(&r, &blk->root)) {
			struct fault_at at = {.has_block = true,
					      .block = n,
					      .has_roots = true,
					      .expected = &r,
					      .posted = &blk->root};
			return record_fault(v, ev, &at, "block root differs");
		}
	}
	*done = (size_t)(head - ev->first_block + 1);
	cl_info(SUB,
		"batch %llu: blocks %llu..%llu were applied already "
		"and match",
		(unsigned long long)ev->index,
		(unsigned long long)ev->first_block, (unsigned long long)head);
	return STEP_OK;
}

static int verify_batch(struct cl_verifier *v,
			const struct cl_l1_batch_event *ev)
{
	struct fault_at none = {0};
	struct cl_buf input;
	struct cl_l1_batch_args args;
	struct cl_l1_block evblock;
	bool found = false, live = false;
	int rc;

	rc = batch_live(v, &live, ev);
	if (rc)
		return rc;
	if (!live) {
		cl_info(SUB,
			"batch %llu of l1 block %llu was replaced: "
			"skipped",
			(unsigned long long)ev->index,
			(unsigned long long)ev->loc.block_number);
		return STEP_SKIP;
	}
	rc = cl_l1_eth_block_by_number(v->rpc, &evblock, &found,
				       ev->loc.block_number);
	if (!rc &&
	    (!found || !cl_hash32_eq(&evblock.hash, &ev->loc.block_hash)))
		rc = CL_ERR_NOT_FOUND; /* moved under us: next round */
	if (rc)
		return rc;

	cl_buf_init(&input);
	rc = cl_l1_eth_tx_input(v->rpc, &input, &found, &ev->loc.tx_hash);
	if (rc) {
		cl_buf_release(&input);
		return rc;
	}
	if (!found) {
		cl_buf_release(&input);
		return CL_ERR_NOT_FOUND;
	}
	if (!cl_l1_abi_decode_append_batch(&args, input.p, input.len)) {
		cl_buf_release(&input);
		return record_fault(v, ev, &none,
				    "the posting transaction's "
				    "input is not an appendBatch call");
	}
	struct cl_hash32 dh;
	cl_keccak256(dh.b, args.data, args.data_len);
	if (!cl_hash32_eq(&dh, &ev->data_hash)) {
		cl_buf_release(&input);
		return record_fault(v, ev, &none,
				    "keccak256 of the batch data "
				    "differs from the event's dataHash");
	}
	struct cl_batch b;
	enum cl_batch_err be = cl_batch_decode(&b, args.data, args.data_len,
					       &v->cfg.limits, NULL, 0);
	cl_buf_release(&input);
	if (be != CL_BATCH_OK)
		return record_fault(v, ev, &none,
				    "batch data does not decode: "
				    "%s",
				    cl_batch_err_str(be));
	if (b.first_block != ev->first_block ||
	    b.n_blocks != ev->last_block - ev->first_block + 1 ||
	    ev->first_block != v->cur.last_block + 1) {
		cl_batch_release(&b);
		return record_fault(v, ev, &none,
				    "blocks %llu..%llu do not "
				    "continue the chain at block %llu",
				    (unsigned long long)ev->first_block,
				    (unsigned long long)ev->last_block,
				    (unsigned long long)v->cur.last_block + 1);
	}

	struct cl_stf_globals g;
	struct cl_stf_view view = cl_stf_view(v->stf);
	size_t done = 0;
	rc = cl_stf_get_globals(&view, &g);
	if (!rc)
		rc = check_partial(v, ev, &b, g.block_number, &done);
	if (rc) {
		cl_batch_release(&b);
		return rc;
	}

	/* decode everything first: an undecodable transaction is a fault
	 * whatever comes before it */
	size_t total = 0;
	for (size_t i = done; i < b.n_blocks; i++)
		total += b.blocks[i].n_txs;
	struct vtx *txs = cl_xcalloc(total ? total : 1, sizeof(*txs));
	size_t k = 0;
	for (size_t i = done; i < b.n_blocks && !rc; i++) {
		const struct cl_batch_block *blk = &b.blocks[i];
		for (size_t t = 0; t < blk->n_txs; t++, k++) {
			txs[k].block = (uint32_t)i;
			txs[k].index = (uint32_t)t;
			if (cl_tx_decode(&txs[k].tx, blk->txs[t].p,
					 blk->txs[t].len))
				continue;
			struct fault_at at = {.has_block = true,
					      .block = blk->number,
					      .has_tx = true,
					      .tx = t};
			rc = record_fault(v, ev, &at,
					  "transaction does not "
					  "decode");
			break;
		}
	}
	if (!rc)
		recover_all(v, txs, total);
	k = 0;
	for (size_t i = done; i < b.n_blocks && !rc; i++) {
		const struct cl_batch_block *blk = &b.blocks[i];
		rc = apply_block(v, ev, blk, txs + k, blk->n_txs);
		k += blk->n_txs;
		if (!rc && stopping(v) && i + 1 < b.n_blocks)
			rc = CL_ERR_BUSY; /* resumes after the restart */
		if (!rc)
			progress(v, false);
	}
	free(txs);
	cl_batch_release(&b);
	if (rc)
		return rc;
	return close_batch(v, ev, &evblock);
}

/* ------------------------------------------------------------------ */
/* Following L1                                                        */
/* ------------------------------------------------------------------ */

static bool before_skip(const struct cl_verifier *v, const struct cl_l1_log *l)
{
	if (!v->skip_set)
		return false;
	if (l->block_number != v->skip_block)
		return l->block_number < v->skip_block;
	return l->log_index <= v->skip_log;
}

/* One confirmed log of the rollup. STEP_OK to go on; STEP_RESTART; or a
 * negative error (the range is read again next round). */
static int on_log(struct cl_verifier *v, const struct cl_l1_log *l)
{
	struct cl_l1_deposit d;
	struct cl_l1_batch_event ev;
	struct cl_l1_discard_event de;
	struct cl_l1_challenge_event ce;

	if (l->removed || before_skip(v, l))
		return STEP_OK;
	if (cl_l1_decode_deposit(&d, l))
		return deps_add(v, &d, false);
	if (cl_l1_decode_batches_discarded(&de, l)) {
		cl_info(SUB, "l1 discarded batches from %llu (%llu of them)",
			(unsigned long long)de.from_index,
			(unsigned long long)de.count);
		if (de.from_index < v->cur.next_batch) {
			v->wipe_requested = true;
			return STEP_RESTART;
		}
		if (v->fault.set && de.from_index <= v->fault.batch) {
			cl_info(SUB,
				"the faulty batch %llu was discarded: "
				"deriving goes on",
				(unsigned long long)v->fault.batch);
			memset(&v->fault, 0, sizeof(v->fault));
			v->challenge_inflight = false;
			publish_head(v);
		}
		return STEP_OK;
	}
	if (cl_l1_decode_batch_challenged(&ce, l)) {
		char a[CL_ADDRESS_STR_LEN + 1];
		cl_address_format(a, &ce.challenger);
		if (ce.index < v->cur.next_batch)
			cl_unusual(SUB,
				   "batch %llu, which verified here, was "
				   "challenged by %s",
				   (unsigned long long)ce.index, a);
		else
			cl_info(SUB, "batch %llu was challenged by %s",
				(unsigned long long)ce.index, a);
		return STEP_OK;
	}
	if (!cl_l1_decode_batch_appended(&ev, l))
		return STEP_OK;
	if (ev.index < v->cur.next_batch)
		return STEP_OK;
	if (v->fault.set) {
		/* nothing after a fault is applied */
		return STEP_OK;
	}
	if (ev.index > v->cur.next_batch) {
		bool live = false;
		int rc = batch_live(v, &live, &ev);
		if (rc)
			return rc;
		if (!live)
			return STEP_OK;
		cl_unusual(SUB, "batch %llu appeared before batch %llu",
			   (unsigned long long)ev.index,
			   (unsigned long long)v->cur.next_batch);
		return CL_ERR_CORRUPT;
	}
	int rc = verify_batch(v, &ev);
	if (rc == STEP_SKIP || rc == STEP_FAULT)
		return STEP_OK;
	return rc;
}

/* Deep-reorg check: the L1 block of the last verified batch must still
 * be canonical. */
static int check_anchor(struct cl_verifier *v)
{
	struct cl_l1_block b;
	bool found = false;

	if (v->cur.next_batch == 0)
		return STEP_OK;
	int rc = cl_l1_eth_block_by_number(v->rpc, &b, &found, v->cur.l1_block);
	if (rc)
		return rc;
	if (found && cl_hash32_eq(&b.hash, &v->cur.l1_hash))
		return STEP_OK;
	v->wipe_requested = true;
	cl_unusual(SUB,
		   "l1 block %llu, which holds batch %llu, left the "
		   "chain (a reorg deeper than %llu confirmations)",
		   (unsigned long long)v->cur.l1_block,
		   (unsigned long long)v->cur.next_batch - 1,
		   (unsigned long long)v->cfg.confirmations);
	return STEP_RESTART;
}

/* Scan up to a few ranges of confirmed L1 blocks. *more is set when
 * there is more to scan right away. */
static int scan(struct cl_verifier *v, bool *more)
{
	struct cl_l1_filter f;
	struct cl_l1_logs logs;
	struct cl_l1_block endb, endb2, prevb;
	bool found;
	int rc;

	*more = false;
	if (v->l1_head + 1 < v->cfg.confirmations)
		return CL_OK;
	uint64_t safe = v->l1_head + 1 - v->cfg.confirmations;
	for (int r = 0; r < 4 && v->scan_next <= safe; r++) {
		if (stopping(v))
			return CL_OK;
		uint64_t from = v->scan_next;
		uint64_t to = safe - from + 1 > v->cfg.log_range
				  ? from + v->cfg.log_range - 1
				  : safe;
		/* the block before the range must be the one scanned */
		bool zero = true;
		for (size_t i = 0; i < 32; i++)
			zero &= v->scan_prev.b[i] == 0;
		if (!zero && from > 0) {
			rc = cl_l1_eth_block_by_number(v->rpc, &prevb, &found,
						       from - 1);
			if (rc)
				return rc;
			if (!found ||
			    !cl_hash32_eq(&prevb.hash, &v->scan_prev)) {
				cl_unusual(SUB,
					   "l1 reorg below block %llu "
					   "(deeper than the depth): "
					   "scanning again",
					   (unsigned long long)from);
				rc = check_anchor(v);
				if (rc)
					return rc;
				deps_clear(v);
				return load_cursor(v);
			}
		}
		rc = cl_l1_eth_block_by_number(v->rpc, &endb, &found, to);
		if (!rc && !found)
			rc = CL_ERR_NOT_FOUND;
		if (rc)
			return rc;
		memset(&f, 0, sizeof(f));
		f.has_address = true;
		f.address = v->genesis.rollup;
		f.from_block = from;
		f.to_block = to;
		rc = cl_l1_eth_get_logs(v->rpc, &logs, &f);
		if (rc)
			return rc;
		rc = cl_l1_eth_block_by_number(v->rpc, &endb2, &found, to);
		if (!rc && (!found || !cl_hash32_eq(&endb.hash, &endb2.hash)))
			rc = CL_ERR_NOT_FOUND; /* moved during the query */
		for (size_t i = 0; i < logs.n && !rc; i++) {
			if (!cl_address_eq(&logs.v[i].address,
					   &v->genesis.rollup))
				continue;
			rc = on_log(v, &logs.v[i]);
			if (rc == STEP_OK && stopping(v))
				rc = CL_ERR_BUSY;
		}
		cl_l1_logs_release(&logs);
		if (rc)
			return rc;
		v->scan_next = to + 1;
		v->scan_prev = endb.hash;
		v->skip_set = false;
	}
	*more = v->scan_next <= safe;
	return CL_OK;
}

static int poll_l1(struct cl_verifier *v)
{
	uint64_t head, count, final, next;
	int rc = cl_l1_eth_block_number(v->rpc, &head);
	if (!rc)
		rc = view_u64(v->rpc, &v->genesis.rollup, "batchCount()",
			      &count);
	if (!rc)
		rc = view_u64(v->rpc, &v->genesis.rollup,
			      "finalizedBatchCount()", &final);
	if (!rc)
		rc = view_u64(v->rpc, &v->genesis.rollup, "nextL2Block()",
			      &next);
	if (!rc) {
		v->l1_head = head;
		v->batch_count = count;
		v->final_count = final;
		v->next_l2_block = next;
	}
	publish_l1(v, rc == CL_OK);
	return rc;
}

static bool sleep_or_stop(struct cl_verifier *v, uint64_t ms)
{
	uint64_t dl = cl_clock_mono_ns() + ms * 1000000u;
	struct timespec ts = {.tv_sec = (time_t)(dl / 1000000000u),
			      .tv_nsec = (long)(dl % 1000000000u)};
	pthread_mutex_lock(&v->lock);
	if (!v->stop)
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	bool stop = v->stop;
	pthread_mutex_unlock(&v->lock);
	return stop;
}

static void *verifier_main(void *arg)
{
	struct cl_verifier *v = arg;
	uint64_t pause = 0;

	while (!sleep_or_stop(v, pause)) {
		bool more = false;
		pause = v->cfg.poll_ms;
		if (v->wipe_requested) {
			if (rederive(v, "history changed under verified "
					"batches")) {
				pause = 5000;
				continue;
			}
		}
		int rc = poll_l1(v);
		if (!rc)
			rc = check_anchor(v);
		if (!rc)
			rc = scan(v, &more);
		/* LMDB ties a write transaction to its thread and reads
		 * open one: end it so readers see no stale snapshot */
		cl_state_discard(v->st);
		if (rc == STEP_RESTART) {
			more = true;
		} else if (rc && rc != CL_ERR_BUSY) {
			cl_debug(SUB, "round ended early: %s",
				 cl_l1_err_str(rc));
		}
		publish_l1(v, v->status.l1_reachable);
		challenge_step(v);
		cl_state_discard(v->st);
		progress(v, false);
		if (more && !rc)
			pause = 0;
		else if (more)
			pause = 10;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

int cl_verifier_new(struct cl_verifier **out,
		    const struct cl_verifier_config *cfg, struct cl_db *db,
		    const struct cl_genesis *g)
{
	struct cl_verifier *v;
	struct cl_l1_rpc_opts ro;
	int rc;

	*out = NULL;
	if (!cfg->l1_url || !cfg->datadir || cfg->confirmations == 0 ||
	    cfg->log_range == 0)
		return CL_ERR_CONFIG;
	v = cl_xcalloc(1, sizeof(*v));
	v->cfg = *cfg;
	v->l1_url = cl_xstrdup(cfg->l1_url);
	v->datadir = cl_xstrdup(cfg->datadir);
	v->cfg.l1_url = v->l1_url;
	v->cfg.datadir = v->datadir;
	v->genesis = *g;
	v->db = db;
	v->status.replica = cfg->replica;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->qlock, NULL);
	pthread_rwlock_init(&v->books_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);

	cl_l1_rpc_opts_default(&ro);
	v->rpc = cl_l1_rpc_new(cfg->l1_url, &ro);
	v->query_rpc = cl_l1_rpc_new(cfg->l1_url, &ro);
	if (!v->rpc || !v->query_rpc) {
		rc = CL_ERR_CONFIG;
		goto fail;
	}
	/* the loop retries by itself */
	cl_l1_rpc_set_retries(v->rpc, 1);
	rc = cl_state_new_lmdb(&v->st, db);
	if (rc)
		goto fail;
	rc = init_state(v);
	if (rc)
		goto fail;
	cl_state_discard(v->st);
	struct cl_verifier_status st;
	cl_verifier_status(v, &st);
	char hex[67];
	hexroot(hex, &st.head_root);
	cl_info(SUB,
		"%s: head block %llu, state root %s, %llu batches "
		"verified",
		cfg->replica ? "replica" : "verifier",
		(unsigned long long)st.head_block, hex,
		(unsigned long long)v->cur.next_batch);
	*out = v;
	return CL_OK;
fail:
	cl_unusual(SUB, "cannot start the verifier: %s", cl_stf_err_str(rc));
	cl_verifier_free(v);
	return rc < 0 ? rc : CL_ERR_CONFIG;
}

int cl_verifier_start(struct cl_verifier *v)
{
	CL_REQUIRE(!v->running);
	if (pthread_create(&v->thread, NULL, verifier_main, v) != 0)
		return CL_ERR_IO;
	v->running = true;
	return CL_OK;
}

void cl_verifier_stop(struct cl_verifier *v)
{
	if (!v->running)
		return;
	pthread_mutex_lock(&v->lock);
	v->stop = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	pthread_join(v->thread, NULL);
	v->running = false;
}

void cl_verifier_free(struct cl_verifier *v)
{
	if (!v)
		return;
	cl_verifier_stop(v);
	for (uint32_t i = 0; i < v->genesis.n_markets; i++)
		book_free(v->books[i]);
	cl_l1_sender_free(v->sender);
	cl_stf_free(v->stf);
	cl_state_free(v->st);
	cl_l1_rpc_free(v->rpc);
	cl_l1_rpc_free(v->query_rpc);
	free(v->deps);
	free(v->touched);
	free(v->l1_url);
	free(v->datadir);
	pthread_mutex_destroy(&v->lock);
	pthread_mutex_destroy(&v->qlock);
	pthread_rwlock_destroy(&v->books_lock);
	pthread_cond_destroy(&v->cond);
	free(v);
}

/* ------------------------------------------------------------------ */
/* Readers                                                             */
/* ------------------------------------------------------------------ */

void cl_verifier_status(struct cl_verifier *v, struct cl_verifier_status *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->status;
	pthread_mutex_unlock(&v->lock);
}

bool cl_verifier_has_books(const struct cl_verifier *v)
{
	return v->cfg.replica;
}

size_t cl_verifier_book_depth(struct cl_verifier *v, struct book_level *out,
			      size_t max, uint32_t market, enum book_side side)
{
	int mi = market_index(&v->genesis, market);
	if (mi < 0 || !v->cfg.replica)
		return 0;
	pthread_rwlock_rdlock(&v->books_lock);
	size_t n = v->books[mi] ? book_depth(v->books[mi], out, max, side) : 0;
	pthread_rwlock_unlock(&v->books_lock);
	return n;
}

int cl_verifier_block_root(struct cl_verifier *v, struct cl_hash32 *out,
			   uint64_t number)
{
	struct cl_snapshot *snap;
	struct cl_stf_view view;
	struct cl_stf_globals g;
	const uint8_t *val;
	size_t vl;
	uint8_t key[9];

	memset(out, 0, sizeof(*out));
	int rc = cl_snapshot_new(&snap, v->db);
	if (rc)
		return rc;
	memset(&view, 0, sizeof(view));
	view.genesis = &v->genesis;
	view.snapshot = snap;
	rc = cl_stf_get_globals(&view, &g);
	if (!rc && number > g.block_number)
		rc = CL_ERR_NOT_FOUND;
	if (!rc && number == g.block_number) {
		rc = cl_snapshot_root(snap, out);
	} else if (!rc) {
		pkey(key, ROOT_PREFIX, number);
		rc = cl_snapshot_get(snap, &val, &vl, CL_TABLE_NODE, key, 9);
		if (!rc && vl != 32)
			rc = CL_ERR_CORRUPT;
		if (!rc)
			memcpy(out->b, val, 32);
	}
	cl_snapshot_free(snap);
	return rc;
}

int cl_verifier_is_claimed(struct cl_verifier *v, bool *claimed, uint64_t wid)
{
	struct cl_buf ret;

	*claimed = false;
	cl_buf_init(&ret);
	pthread_mutex_lock(&v->qlock);
	int rc = view_call(v->query_rpc, &v->genesis.rollup, &ret,
			   "isWithdrawalClaimed(uint64)", true, wid);
	pthread_mutex_unlock(&v->qlock);
	if (!rc && !cl_l1_abi_ret_bool(claimed, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&ret);
	return rc;
}

int cl_verifier_batch_record(struct cl_verifier *v,
			     struct cl_l1_batch_event *out, uint64_t index)
{
	pthread_mutex_lock(&v->qlock);
	int rc = cl_l1_batch_record(v->query_rpc, &v->genesis.rollup, out,
				    index, v->cfg.start_block,
				    v->cfg.log_range);
	pthread_mutex_unlock(&v->qlock);
	return rc;
}

const struct cl_address *cl_verifier_rollup(const struct cl_verifier *v)
{
	return &v->genesis.rollup;
}
