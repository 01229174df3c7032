/* SPDX-License-Identifier: MIT */
/*
 * A naive reference of the derived matching (docs/protocol.md "Derived
 * transitions", docs/matching.md) for test_engine_prop.c: every order
 * ever placed in one flat array, the resting ones listed in another that
 * is scanned linearly, the rules written as directly as they read:
 *
 *  - the makers a taker crosses, best price first, then the earlier
 *    sequence, each visited once while the taker has size left;
 *  - a maker of the taker's owner is closed (self-trade);
 *  - an expired maker is closed;
 *  - a reduce-only taker fills at most what reduces its owner's position
 *    and stops when nothing does; a reduce-only maker likewise, closed
 *    when it cannot reduce;
 *  - FOK: all of it, or nothing at all (no fill, no maker closed);
 *    post-only: closed when it would cross anything, else it rests;
 *    IOC: the remainder is closed; GTC: the remainder rests unless a
 *    crossing maker kept size (then it is closed: margin);
 *  - a resting order that expired is closed when a block opens.
 *
 * Margin is not modelled: the stream that uses the prediction gives every
 * trader collateral no fill can exhaust. The other stream only mirrors
 * the state (ref_sync) and checks structure.
 */
#ifndef CLEARLINE_TEST_ENGINE_REF_H
#define CLEARLINE_TEST_ENGINE_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/stf.h>

#define REF_TRADERS 20
#define REF_MARKETS 3

struct ref_order {
	struct cl_hash32 h;
	int trader;
	int mi; /* market index */
	bool is_buy;
	uint8_t flags;
	uint64_t price, size, filled, expiry, seq;
	enum cl_order_status status;
	enum cl_done_reason reason; /* when DONE */
};

struct ref_fill {
	size_t maker; /* index in all[] */
	uint64_t price, size;
};

struct ref_book {
	struct ref_order *all;
	size_t n_all, cap_all;
	size_t *rest; /* indices of the resting orders, in no order */
	size_t n_rest, cap_rest;
	int64_t pos[REF_TRADERS][REF_MARKETS];
	uint64_t now_s;
	uint64_t next_seq;
	/* what the last ref_place() did */
	struct ref_fill *fills;
	size_t n_fills, cap_fills;
	size_t *touched; /* makers filled or closed */
	size_t n_touched, cap_touched;
	/* scratch: the crossing makers in priority order */
	size_t *cand;
	size_t n_cand, cap_cand;
};

#define REF_GROW(p, n, cap)                                                \
	do {                                                               \
		if ((n) == (cap)) {                                        \
			(cap) = (cap) ? 2 * (cap) : 64;                    \
			(p) = cl_xrealloc((p), (cap) * sizeof(*(p)));      \
		}                                                          \
	} while (0)

static inline void ref_init(struct ref_book *r)
{
	memset(r, 0, sizeof(*r));
}

static inline void ref_release(struct ref_book *r)
{
	free(r->all);
	free(r->rest);
	free(r->fills);
	free(r->touched);
	free(r->cand);
	memset(r, 0, sizeof(*r));
}

static inline unsigned ref_tif(const struct ref_order *o)
{
	return cl_order_tif(o->flags);
}

/* Does a taker (is_buy, price) cross a maker at mp? */
static inline bool ref_crosses(bool is_buy, uint64_t price, uint64_t mp)
{
	return is_buy ? mp <= price : mp >= price;
}

/* Priority between two makers of the same side: better price, then
 * earlier sequence. */
static const struct ref_book *ref_sort_book;
static inline int ref_prio_cmp(const void *pa, const void *pb)
{
	const struct ref_order *a = &ref_sort_book->all[*(const size_t *)pa];
	const struct ref_order *b = &ref_sort_book->all[*(const size_t *)pb];

	if (a->price != b->price) {
		bool a_first = a->is_buy ? a->price > b->price
					 : a->price < b->price;
		return a_first ? -1 : 1;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

static inline void ref_rest_add(struct ref_book *r, size_t i)
{
	REF_GROW(r->rest, r->n_rest, r->cap_rest);
	r->rest[r->n_rest++] = i;
}

static inline void ref_rest_del(struct ref_book *r, size_t i)
{
	for (size_t k = 0; k < r->n_rest; k++)
		if (r->rest[k] == i) {
			r->rest[k] = r->rest[--r->n_rest];
			return;
		}
}

/* A new order (not yet matched): its index. */
static inline size_t ref_add(struct ref_book *r, const struct cl_hash32 *h,
			     int trader, int mi, bool is_buy, uint8_t flags,
			     uint64_t price, uint64_t size, uint64_t expiry)
{
	REF_GROW(r->all, r->n_all, r->cap_all);
	struct ref_order *o = &r->all[r->n_all];
	memset(o, 0, sizeof(*o));
	o->h = *h;
	o->trader = trader;
	o->mi = mi;
	o->is_buy = is_buy;
	o->flags = flags;
	o->price = price;
	o->size = size;
	o->expiry = expiry;
	o->seq = r->next_seq++;
	o->status = CL_ORDER_OPEN;
	return r->n_all++;
}

/* The crossing makers of taker t, in priority order, into r->cand. */
static inline void ref_candidates(struct ref_book *r, size_t t)
{
	const struct ref_order *tk = &r->all[t];

	r->n_cand = 0;
	for (size_t k = 0; k < r->n_rest; k++) {
		const struct ref_order *m = &r->all[r->rest[k]];
		if (m->mi != tk->mi || m->is_buy == tk->is_buy ||
		    !ref_crosses(tk->is_buy, tk->price, m->price))
			continue;
		REF_GROW(r->cand, r->n_cand, r->cap_cand);
		r->cand[r->n_cand++] = r->rest[k];
	}
	ref_sort_book = r;
	if (r->n_cand > 1)
		qsort(r->cand, r->n_cand, sizeof(*r->cand), ref_prio_cmp);
}

/* How much of a buy (sell) reduces a position pos. */
static inline uint64_t ref_reducible(int64_t pos, bool is_buy)
{
	if (is_buy)
		return pos < 0 ? (uint64_t)(-pos) : 0;
	return pos > 0 ? (uint64_t)pos : 0;
}

static inline void ref_close(struct ref_book *r, size_t i,
			     enum cl_done_reason why)
{
	r->all[i].status = CL_ORDER_DONE;
	r->all[i].reason = why;
	ref_rest_del(r, i);
}

/*
 * Match order t (just added) against the resting orders and settle the
 * outcome: fills in r->fills, closed or filled makers in r->touched, the
 * taker's status, filled and reason in r->all[t].
 */
static inline void ref_place(struct ref_book *r, size_t t)
{
	struct ref_order *tk = &r->all[t];
	int64_t pos[REF_TRADERS][REF_MARKETS];
	struct plan_step {
		size_t maker;
		uint64_t fill;
		bool close;
		enum cl_done_reason why;
	} *steps;
	size_t n_steps = 0;
	uint64_t left = tk->size;
	bool stopped = false, left_behind = false;
	unsigned tif = ref_tif(tk);

	r->n_fills = 0;
	r->n_touched = 0;
	ref_candidates(r, t);
	if (tk->flags & CL_ORDER_POST_ONLY) {
		if (r->n_cand > 0) {
			tk->status = CL_ORDER_DONE;
			tk->reason = CL_DONE_POST_ONLY_CROSS;
		} else {
			ref_rest_add(r, t);
		}
		return;
	}

	/* plan on a copy of the positions */
	memcpy(pos, r->pos, sizeof(pos));
	steps = cl_xcalloc(r->n_cand + 1, sizeof(*steps));
	for (size_t k = 0; k < r->n_cand && left > 0; k++) {
		const struct ref_order *m = &r->all[r->cand[k]];
		uint64_t want = m->size - m->filled, lim;
		struct plan_step *st = &steps[n_steps];

		st->maker = r->cand[k];
		st->fill = 0;
		st->close = false;
		if (m->trader == tk->trader) {
			st->close = true;
			st->why = CL_DONE_SELF_TRADE;
			n_steps++;
			continue;
		}
		if (m->expiry <= r->now_s) {
			st->close = true;
			st->why = CL_DONE_EXPIRED;
			n_steps++;
			continue;
		}
		if (want > left)
			want = left;
		if (tk->flags & CL_ORDER_REDUCE_ONLY) {
			lim = ref_reducible(pos[tk->trader][tk->mi],
					    tk->is_buy);
			if (lim == 0) {
				stopped = true;
				left_behind = true;
				break;
			}
			if (want > lim)
				want = lim;
		}
		if (m->flags & CL_ORDER_REDUCE_ONLY) {
			lim = ref_reducible(pos[m->trader][m->mi], m->is_buy);
			if (lim == 0) {
				st->close = true;
				st->why = CL_DONE_MARGIN;
				n_steps++;
				continue;
			}
			if (want > lim)
				want = lim;
		}
		st->fill = want;
		n_steps++;
		left -= want;
		int64_t d = (int64_t)want;
		pos[tk->trader][tk->mi] += tk->is_buy ? d : -d;
		pos[m->trader][m->mi] += m->is_buy ? d : -d;
		if (m->size - m->filled > want)
			left_behind = true;
	}

	if (tif == CL_TIF_FOK && left > 0) {
		tk->status = CL_ORDER_DONE;
		tk->reason = CL_DONE_FOK_UNFILLED;
		free(steps);
		return;
	}
	memcpy(r->pos, pos, sizeof(pos));
	for (size_t k = 0; k < n_steps; k++) {
		struct ref_order *m = &r->all[steps[k].maker];
		if (steps[k].fill) {
			REF_GROW(r->fills, r->n_fills, r->cap_fills);
			r->fills[r->n_fills++] = (struct ref_fill){
				steps[k].maker, m->price, steps[k].fill};
			m->filled += steps[k].fill;
			tk->filled += steps[k].fill;
			if (m->filled == m->size) {
				m->status = CL_ORDER_FILLED;
				ref_rest_del(r, steps[k].maker);
			}
		}
		if (steps[k].close)
			ref_close(r, steps[k].maker, steps[k].why);
		if (steps[k].fill || steps[k].close) {
			REF_GROW(r->touched, r->n_touched, r->cap_touched);
			r->touched[r->n_touched++] = steps[k].maker;
		}
	}
	free(steps);
	if (left == 0) {
		tk->status = CL_ORDER_FILLED;
	} else if (stopped) {
		tk->status = CL_ORDER_DONE;
		tk->reason = CL_DONE_MARGIN;
	} else if (tif == CL_TIF_IOC) {
		tk->status = CL_ORDER_DONE;
		tk->reason = CL_DONE_IOC_REMAINDER;
	} else if (left_behind) {
		tk->status = CL_ORDER_DONE;
		tk->reason = CL_DONE_MARGIN;
	} else {
		ref_rest_add(r, t);
	}
}

static inline void ref_cancel(struct ref_book *r, size_t i)
{
	r->all[i].status = CL_ORDER_CANCELLED;
	ref_rest_del(r, i);
}

/* A block opens at now_s: resting orders that expired are closed.
 * Returns how many. */
static inline size_t ref_open_block(struct ref_book *r, uint64_t now_s)
{
	size_t n = 0;

	r->now_s = now_s;
	for (size_t k = 0; k < r->n_rest;) {
		size_t i = r->rest[k];
		if (r->all[i].expiry <= now_s) {
			ref_close(r, i, CL_DONE_EXPIRED);
			n++;
			continue; /* rest[k] now holds another order */
		}
		k++;
	}
	return n;
}

/* Set order i from the state's record (the mirroring stream). */
static inline void ref_sync(struct ref_book *r, size_t i,
			    const struct cl_order_record *rec)
{
	struct ref_order *o = &r->all[i];
	bool was = o->status == CL_ORDER_OPEN;

	o->status = rec->status;
	o->filled = rec->filled;
	if (was && rec->status != CL_ORDER_OPEN)
		ref_rest_del(r, i);
	if (!was && rec->status == CL_ORDER_OPEN)
		ref_rest_add(r, i);
}

/* One level of the reference book. */
struct ref_level {
	uint64_t price, size;
	uint32_t orders;
};

/* The levels of one side of market mi, best first; returns the count
 * (at most max). */
static inline size_t ref_depth(struct ref_book *r, struct ref_level *out,
			       size_t max, int mi, bool bids)
{
	size_t n = 0, nl = 0;

	r->n_cand = 0;
	for (size_t k = 0; k < r->n_rest; k++) {
		const struct ref_order *m = &r->all[r->rest[k]];
		if (m->mi != mi || m->is_buy != bids)
			continue;
		REF_GROW(r->cand, r->n_cand, r->cap_cand);
		r->cand[r->n_cand++] = r->rest[k];
	}
	ref_sort_book = r;
	if (r->n_cand > 1)
		qsort(r->cand, r->n_cand, sizeof(*r->cand), ref_prio_cmp);
	for (; n < r->n_cand; n++) {
		const struct ref_order *m = &r->all[r->cand[n]];
		if (nl > 0 && out[nl - 1].price == m->price) {
			out[nl - 1].size += m->size - m->filled;
			out[nl - 1].orders++;
			continue;
		}
		if (nl == max)
			break;
		out[nl++] = (struct ref_level){m->price, m->size - m->filled,
					       1};
	}
	return nl;
}

#endif
