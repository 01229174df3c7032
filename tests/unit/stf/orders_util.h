/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the order-kind tests (test_orders.c, test_trigger_orders.c):
 * requests as a block carries them, blocks, funding, prices, and the
 * signed builders of the new request types.
 */
#ifndef CLEARLINE_TEST_ORDERS_UTIL_H
#define CLEARLINE_TEST_ORDERS_UTIL_H

#include "stf_util.h"

#include <clearline/batch.h>

#define P(usd) ((uint64_t)(usd) * 100)     /* BTC price, cents */
#define SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */
#define TIF(t) ((uint8_t)((t) << CL_ORDER_TIF_SHIFT))

static inline int req(struct tenv *e, struct cl_stf_result *r, struct cl_tx tx)
{
	struct cl_buf b, b2;
	struct cl_tx dec;

	/* as a block carries it: encoded, decoded, the same bytes again */
	cl_buf_init(&b);
	cl_buf_init(&b2);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == cl_tx_encoded_len(&tx));
	CHECK(cl_tx_decode(&dec, b.p, b.len));
	cl_tx_encode(&b2, &dec);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	cl_buf_release(&b);
	cl_buf_release(&b2);
	cl_tx_recover(&dec, cl_stf_domain(e->stf));
	return cl_stf_request(e->stf, r, &dec);
}

static inline void open_next(struct tenv *e, uint64_t advance_ms)
{
	t_open_next(e, advance_ms);
}

static inline void fund(struct tenv *e, int who, int64_t usd)
{
	struct cl_stf_result r;
	CHECK(req(e, &r, t_deposit(e->next_deposit++, &e->addr[who],
				   (uint64_t)(usd * T_USD))) == CL_STF_OK);
}

static inline void price(struct tenv *e, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];
	struct cl_stf_result r;
	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	CHECK(req(e, &r, t_oracle_update(e, T_BTC, ps, ts, e->okey, 3)) ==
	      CL_STF_OK);
}

static inline struct cl_order order(struct tenv *e, int who, bool buy, uint64_t p,
			     uint64_t sz, uint8_t flags)
{
	return t_order(&e->addr[who], T_BTC, buy, p, sz, e->order_nonce++,
		       tenv_now(e) + 3600, flags);
}

static inline int place(struct tenv *e, struct cl_stf_result *r,
		 const struct cl_order *o, int who)
{
	return req(e, r, t_place(e, o, e->key[who]));
}

static inline struct cl_cloid cloid_of(uint64_t hi, uint64_t lo)
{
	struct cl_cloid c;
	cl_put_be64(c.b, hi);
	cl_put_be64(c.b + 8, lo);
	return c;
}

static inline struct cl_tx client_tx(struct tenv *e, const struct cl_order *o,
			      const struct cl_cloid *id,
			      const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_CLIENT_ORDER};
	struct cl_client_order co = {.order = *o, .cloid = *id};
	struct cl_hash32 d;

	tx.u.place.order = *o;
	tx.u.place.cloid = *id;
	cl_client_order_digest(&d, cl_stf_domain(e->stf), &co);
	t_sign(&tx.u.place.sig, signer, &d);
	return tx;
}

static inline struct cl_hash32 client_hash(struct tenv *e, const struct cl_order *o,
				    const struct cl_cloid *id)
{
	struct cl_client_order co = {.order = *o, .cloid = *id};
	struct cl_hash32 d;
	cl_client_order_digest(&d, cl_stf_domain(e->stf), &co);
	return d;
}

static inline struct cl_tx sched_tx(struct tenv *e, int who, uint64_t time,
			     uint64_t nonce, const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_SCHEDULE_CANCEL};
	struct cl_hash32 d;

	tx.u.schedule_cancel.msg.trader = e->addr[who];
	tx.u.schedule_cancel.msg.time = time;
	tx.u.schedule_cancel.msg.nonce = nonce;
	cl_schedule_cancel_digest(&d, cl_stf_domain(e->stf),
				  &tx.u.schedule_cancel.msg);
	t_sign(&tx.u.schedule_cancel.sig, signer, &d);
	return tx;
}

static inline int sched(struct tenv *e, int who, uint64_t time, uint64_t nonce)
{
	struct cl_stf_result r;
	return req(e, &r, sched_tx(e, who, time, nonce, e->key[who]));
}

static inline void expect_switch(struct tenv *e, int who, uint64_t time,
			  uint64_t nonce)
{
	struct cl_stf_view v = tenv_view(e);
	uint64_t t, n;
	int rc = cl_stf_get_scheduled_cancel(&v, &t, &n, &e->addr[who]);
	CHECK(rc == CL_OK || (rc == CL_ERR_NOT_FOUND && time == 0 &&
			      nonce == 0));
	CHECK_MSG(t == time && n == nonce,
		  "switch of %d: time %llu nonce %llu, want %llu %llu", who,
		  (unsigned long long)t, (unsigned long long)n,
		  (unsigned long long)time, (unsigned long long)nonce);
}

static inline struct cl_order_record rec_of(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record rec;
	CHECK(cl_stf_get_order(&v, &rec, h) == CL_OK);
	return rec;
}

static inline size_t open_count(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_hash32 h[64];
	size_t n;
	CHECK(cl_stf_get_open_orders(&v, h, 64, &n, &e->addr[who]) == CL_OK);
	return n;
}

/* Refused with `code` and the state root unchanged. */
static inline void expect_refused(struct tenv *e, struct cl_tx tx, int code)
{
	struct cl_hash32 before, after;
	struct cl_stf_result r;

	CHECK(cl_state_root(e->st, &before) == CL_OK);
	int rc = req(e, &r, tx);
	CHECK_MSG(rc == code, "got %d (%s), want %d (%s)", rc,
		  cl_stf_err_str(rc), code, cl_stf_err_str(code));
	CHECK(cl_state_root(e->st, &after) == CL_OK);
	CHECK(memcmp(before.b, after.b, 32) == 0);
}

#endif
