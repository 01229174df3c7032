/* SPDX-License-Identifier: MIT */
/*
 * Blocks of requests (include/clearline/stf.h "Blocks of requests"): the
 * entry points the sequencer and the verifiers share, so that both derive
 * the same fills, closures and liquidations from the same requests.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "stf";

struct stf_engine *stf_engine_new(void)
{
	struct stf_engine *e = cl_xcalloc(1, sizeof(*e));

	book_plan_init(&e->plan);
	e->synced_block = UINT64_MAX;
	e->fill_kind = CL_STF_FILL_ORDER;
	return e;
}

void stf_engine_free(struct cl_stf *s)
{
	struct stf_engine *e = s->eng;

	if (!e)
		return;
	stf_books_free(e);
	book_plan_release(&e->plan);
	free(e->exp);
	free(e->fills);
	free(e->bfills);
	free(e);
	s->eng = NULL;
}

int stf_engine_load(struct cl_stf *s)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t number;
	int rc = stf_listing_sync(s);

	if (rc == CL_OK)
		rc = stf_books_rebuild(s);
	if (rc == CL_OK)
		rc = stf_get_global_u64(&v, &number, G_BLOCK_NUMBER);
	if (rc == CL_OK)
		s->eng->synced_block = number;
	return rc;
}

int cl_stf_reload(struct cl_stf *s)
{
	CL_REQUIRE(!s->in_block);
	s->eng->n_fills = 0;
	s->eng->n_bfills = 0;
	return stf_engine_load(s);
}

void stf_engine_invalidate(struct cl_stf *s)
{
	if (s->eng)
		s->eng->valid = false;
}

/*
 * What a fill primitive about to be applied will show in the block's
 * derived fills; false when it is not listed (a request's own fill, not
 * a fill, or its orders cannot be read: the primitive then refuses).
 * Reads only: the state and its root are untouched.
 */
static bool block_fill_of(struct cl_stf *s, struct cl_stf_block_fill *f,
			  const struct cl_tx *tx)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_order_record mk, tk;
	const struct cl_hash32 *maker;

	memset(f, 0, sizeof(*f));
	/* an if chain: only three of the many types matter here */
	if (tx->type == CL_TX_FILL) {
		if (s->eng->fill_kind == CL_STF_FILL_ORDER)
			return false;
		if (cl_stf_get_order(&v, &tk, &tx->u.fill.taker) != CL_OK)
			return false;
		f->kind = s->eng->fill_kind;
		f->taker = tx->u.fill.taker;
		f->taker_trader = tk.trader;
		f->taker_is_buy = tk.is_buy;
		maker = &tx->u.fill.maker;
		f->size = tx->u.fill.size;
	} else if (tx->type == CL_TX_LIQUIDATE_FILL) {
		f->kind = CL_STF_FILL_LIQUIDATION;
		f->taker_trader = tx->u.liquidate_fill.account;
		maker = &tx->u.liquidate_fill.maker;
		f->size = tx->u.liquidate_fill.size;
	} else if (tx->type == CL_TX_FUND_FILL) {
		f->kind = CL_STF_FILL_FUND;
		maker = &tx->u.fund_fill.maker;
		f->size = tx->u.fund_fill.size;
	} else {
		return false;
	}
	if (cl_stf_get_order(&v, &mk, maker) != CL_OK)
		return false;
	if (tx->type != CL_TX_FILL)
		f->taker_is_buy = !mk.is_buy; /* the closing side */
	f->market = mk.market;
	f->maker = *maker;
	f->maker_owner = mk.trader;
	f->price = mk.price;
	return true;
}

static void push_block_fill(struct stf_engine *e,
			    const struct cl_stf_block_fill *f)
{
	if (e->n_bfills == e->cap_bfills) {
		e->cap_bfills = e->cap_bfills ? 2 * e->cap_bfills : 64;
		e->bfills = cl_xrealloc(e->bfills,
					e->cap_bfills * sizeof(*e->bfills));
	}
	e->bfills[e->n_bfills++] = *f;
}

int stf_apply_primitive(struct cl_stf *s, const struct cl_tx *tx)
{
	struct cl_stf_block_fill f;
	bool listed = block_fill_of(s, &f, tx);

	s->deriving = true;
	int rc = cl_stf_apply(s, tx);
	s->deriving = false;
	if (rc == CL_STF_OK) {
		s->eng->derived++;
		if (listed)
			push_block_fill(s->eng, &f);
	}
	return rc;
}

size_t cl_stf_block_fills(const struct cl_stf *s,
			  const struct cl_stf_block_fill **out)
{
	*out = s->eng->n_bfills ? s->eng->bfills : NULL;
	return s->eng->n_bfills;
}

void stf_block_fills_truncate(struct cl_stf *s, size_t n)
{
	if (n < s->eng->n_bfills)
		s->eng->n_bfills = n;
}

int stf_derive(struct cl_stf *s, struct cl_tx *tx)
{
	cl_tx_recover(tx, &s->domain);
	return stf_apply_primitive(s, tx);
}

int stf_derive_done(struct cl_stf *s, const struct cl_hash32 *order,
		    enum cl_done_reason reason)
{
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORDER_DONE;
	tx.u.done.order_hash = *order;
	tx.u.done.reason = reason;
	int rc = stf_derive(s, &tx);
	if (rc > 0) {
		cl_broken(SUB, "order_done (reason %d) refused: %s",
			  (int)reason, cl_stf_err_str(rc));
		return CL_ERR_CORRUPT;
	}
	return rc;
}

bool stf_budget_out(struct cl_stf *s)
{
	if (s->eng->risk_ops < CL_STF_DERIVED_PER_BLOCK)
		return false;
	s->eng->pending = true;
	return true;
}

/* Make the books mirror the state when anything moved them unseen. */
static int ensure_books(struct cl_stf *s)
{
	if (s->eng->valid)
		return CL_OK;
	return stf_books_rebuild(s);
}

int cl_stf_open_block(struct cl_stf *s, const struct cl_block_header *h)
{
	struct stf_engine *e = s->eng;
	int rc;

	if (e->synced_block == UINT64_MAX || h->number == 0 ||
	    e->synced_block != h->number - 1)
		e->valid = false; /* a discarded block, a restart, ... */
	rc = cl_stf_begin_block(s, h);
	if (rc)
		return rc;
	e->derived = 0;
	e->risk_ops = 0;
	e->pending = false;
	e->pruned = 0;
	e->prune_pending = false;
	e->n_fills = 0;
	e->n_bfills = 0;
	e->fill_kind = CL_STF_FILL_ORDER;
	rc = ensure_books(s);
	if (rc == 0)
		rc = stf_measure_depths(s);
	if (rc == 0)
		rc = stf_open_block_work(s);
	/* last: the expiry sweep closed what it could */
	if (rc == 0)
		rc = stf_prune(s, &e->pruned, &e->prune_pending);
	if (rc > 0) {
		cl_broken(SUB, "derived work at the opening of block %llu "
			  "was refused: %s", (unsigned long long)h->number,
			  cl_stf_err_str(rc));
		rc = CL_ERR_CORRUPT;
	}
	return rc;
}

/* A CANCEL as a batch carries it names its order by sequence: take the
 * hash from the trader's open-order index and check the signature. */
static int resolve_cancel(struct cl_stf *s, struct cl_tx *tx)
{
	struct cl_tx_cancel *c = &tx->u.cancel;
	uint8_t key[OPEN_KEY_LEN];
	const uint8_t *v;
	size_t vl;
	int rc;

	memcpy(key, c->msg.trader.b, 20);
	cl_put_be64(key + 20, c->order_seq);
	rc = cl_state_get(s->st, &v, &vl, CL_TABLE_ORDERS, key, sizeof(key));
	if (rc == CL_ERR_NOT_FOUND) {
		/* a pending trigger order has a sequence too */
		rc = stf_trigger_by_seq(s, &c->msg.order_hash, &c->msg.trader,
					c->order_seq);
		if (rc == CL_ERR_NOT_FOUND)
			rc = stf_twap_by_seq(s, &c->msg.order_hash,
					     &c->msg.trader, c->order_seq);
		if (rc == CL_ERR_NOT_FOUND)
			return CL_STF_ERR_UNKNOWN_ORDER;
		if (rc)
			return rc;
		cl_tx_recover(tx, &s->domain);
		return CL_OK;
	}
	if (rc)
		return rc;
	if (vl != 32)
		return CL_ERR_CORRUPT;
	memcpy(c->msg.order_hash.b, v, 32);
	cl_tx_recover(tx, &s->domain);
	return CL_OK;
}

static int cancel(struct cl_stf *s, struct cl_stf_result *r,
		  struct cl_tx *tx)
{
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_order_record rec;
	struct cl_tx_cancel *c = &tx->u.cancel;
	int rc;

	static const struct cl_hash32 zero;

	if (cl_hash32_eq(&c->msg.order_hash, &zero)) {
		rc = resolve_cancel(s, tx);
		if (rc)
			return rc;
	}
	rc = stf_apply_primitive(s, tx);
	if (rc)
		return rc;
	rc = cl_stf_get_order(&view, &rec, &c->msg.order_hash);
	if (rc == CL_ERR_NOT_FOUND) {
		/* a trigger or TWAP order: off the book */
		struct cl_trigger_record t;
		struct cl_twap_record tw;
		uint64_t filled = 0;
		rc = cl_stf_get_trigger(&view, &t, &c->msg.order_hash);
		if (rc == CL_OK) {
			c->order_seq = t.sequence;
		} else if (rc == CL_ERR_NOT_FOUND) {
			rc = cl_stf_get_twap(&view, &tw, &c->msg.order_hash);
			c->order_seq = tw.sequence;
			filled = tw.filled; /* what its slices bought or sold */
		}
		if (rc)
			return rc < 0 ? rc : CL_ERR_CORRUPT;
		if (r) {
			r->order_hash = c->msg.order_hash;
			r->status = CL_ORDER_CANCELLED;
			r->filled = filled;
		}
		return CL_STF_OK;
	}
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	c->order_seq = rec.sequence;
	int mi = stf_market_index(&s->g, rec.market);
	CL_REQUIRE(mi >= 0);
	stf_book_remove(s, (uint32_t)mi, &c->msg.order_hash);
	if (r) {
		r->order_hash = c->msg.order_hash;
		r->status = rec.status;
		r->filled = rec.filled;
	}
	return CL_STF_OK;
}

static int oracle(struct cl_stf *s, struct cl_stf_result *r, uint32_t market,
		  const struct cl_tx *tx)
{
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_market_state ms;
	int rc = stf_apply_primitive(s, tx);

	if (rc)
		return rc;
	rc = stf_run_triggers(s, market); /* the mark moved */
	if (rc)
		return rc > 0 ? CL_ERR_CORRUPT : rc;
	rc = stf_run_liquidations(s, market);
	if (rc)
		return rc > 0 ? CL_ERR_CORRUPT : rc;
	rc = cl_stf_get_market(&view, &ms, market);
	if (rc)
		return rc < 0 ? rc : CL_ERR_CORRUPT;
	if (r)
		r->mark_price = ms.mark_price;
	return CL_STF_OK;
}

int cl_stf_request(struct cl_stf *s, struct cl_stf_result *out,
		   struct cl_tx *tx)
{
	struct cl_stf_view view = cl_stf_view(s);
	struct cl_state_sp sp;
	int rc;

	CL_REQUIRE(s->in_block);
	if (out)
		memset(out, 0, sizeof(*out));
	s->eng->n_fills = 0;
	rc = ensure_books(s);
	if (rc)
		return rc;
	sp = cl_state_savepoint(s->st);
	size_t n_bfills = s->eng->n_bfills;
	switch (tx->type) {
	case CL_TX_PLACE_ORDER:
	case CL_TX_CLIENT_ORDER:
		rc = stf_place(s, out, tx);
		break;
	case CL_TX_SCHEDULE_CANCEL:
		rc = stf_apply_primitive(s, tx);
		break;
	case CL_TX_SCALE_ORDER:
		rc = stf_scale(s, out, tx);
		break;
	case CL_TX_TWAP_ORDER:
		/* placed, and its first slice runs at once */
		rc = stf_apply_primitive(s, tx);
		if (rc == CL_OK)
			rc = stf_twap_first_slice(s, &tx->auth.digest);
		if (rc == CL_OK && out) {
			out->order_hash = tx->auth.digest;
			out->n_fills = s->eng->n_fills;
			out->fills = s->eng->n_fills ? s->eng->fills : NULL;
		}
		break;
	case CL_TX_TRIGGER_ORDER:
		/* placed, then fired at once if the mark is there already */
		rc = stf_apply_primitive(s, tx);
		if (rc == CL_OK)
			rc = stf_run_triggers(s, tx->u.trigger.msg.market);
		if (rc == CL_OK && out)
			out->order_hash = tx->auth.digest;
		break;
	case CL_TX_CANCEL:
		rc = cancel(s, out, tx);
		break;
	case CL_TX_ORACLE_PRICE:
		rc = oracle(s, out, tx->u.oracle.msg.market, tx);
		break;
	case CL_TX_ORACLE_UPDATE:
		rc = oracle(s, out, tx->u.oracle_update.market, tx);
		break;
	case CL_TX_ORACLE_SURFACE:
		rc = oracle(s, out, tx->u.oracle_surface.market, tx);
		break;
	case CL_TX_WITHDRAW:
	case CL_TX_ASSET_WITHDRAW: {
		struct cl_stf_globals g;
		rc = stf_apply_primitive(s, tx);
		if (rc)
			break;
		rc = cl_stf_get_globals(&view, &g);
		if (rc)
			rc = rc < 0 ? rc : CL_ERR_CORRUPT;
		else if (out)
			out->withdrawal_id = g.next_withdrawal_id - 1;
		break;
	}
	case CL_TX_DEPOSIT:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_ASSET_DEPOSIT:
	case CL_TX_MARGIN_MODE:
	case CL_TX_ISOLATED_MARGIN:
	case CL_TX_SUBACCOUNT_TRANSFER:
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
	case CL_TX_PORTFOLIO_MODE:
		rc = stf_apply_primitive(s, tx);
		break;
	case CL_TX_OPTION_LIST:
		rc = stf_apply_primitive(s, tx);
		if (rc == CL_OK && out)
			out->listed_market =
				s->g.markets[s->g.n_markets - 1].id;
		break;
	case CL_TX_FORCED:
		rc = stf_forced(s, out, tx);
		break;
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_OPTION_SETTLE:
		return CL_STF_ERR_NOT_A_REQUEST;
	}
	if (rc) {
		cl_state_rollback_to(s->st, sp);
		stf_block_fills_truncate(s, n_bfills);
	}
	if (rc < 0)
		s->eng->valid = false; /* the books may be ahead of the state */
	return rc;
}

uint64_t cl_stf_block_derived(const struct cl_stf *s)
{
	return s->eng->derived;
}

bool cl_stf_derived_pending(const struct cl_stf *s)
{
	return s->eng->pending;
}

size_t cl_stf_block_pruned(const struct cl_stf *s, bool *pending)
{
	if (pending)
		*pending = s->eng->prune_pending;
	return s->eng->pruned;
}

void stf_engine_end_block(struct cl_stf *s)
{
	s->eng->synced_block = s->eng->valid ? s->block_number : UINT64_MAX;
	s->eng->n_fills = 0;
}

size_t cl_stf_book_depth(struct cl_stf *s, struct cl_stf_level *out,
			 size_t max, uint32_t market, bool bids)
{
	int mi = stf_market_index(&s->g, market);
	struct book_level *lv;
	size_t n;

	if (mi < 0 || max == 0 || !s->eng->valid)
		return 0; /* no books yet: the next block rebuilds them */
	lv = cl_xcalloc(max, sizeof(*lv));
	n = book_depth(s->eng->books[mi], lv, max, bids ? BOOK_BUY : BOOK_SELL);
	for (size_t i = 0; i < n; i++) {
		out[i].price = lv[i].price.v;
		out[i].size = lv[i].size.v;
		out[i].orders = lv[i].orders;
	}
	free(lv);
	return n;
}

uint64_t cl_stf_book_version(struct cl_stf *s, uint32_t market)
{
	int mi = stf_market_index(&s->g, market);
	return mi < 0 ? 0 : s->eng->versions[mi];
}
