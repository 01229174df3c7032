/* SPDX-License-Identifier: MIT */
/*
 * The replica's order books: a mirror of the open orders of the derived
 * state, updated after each committed block from the orders its
 * transactions touched, read by RPC threads under books_lock.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

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
int ver_books_rebuild(struct cl_verifier *v)
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

void ver_touch_tx(struct cl_verifier *v, const struct cl_tx *tx)
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
void ver_books_mirror(struct cl_verifier *v)
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
