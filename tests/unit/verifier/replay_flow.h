/* SPDX-License-Identifier: MIT */
/*
 * The order flow the replay is measured and crash-tested on
 * (tests/bench/bench_replay.c, test_replay_crash.c): deposits of $10M
 * per account, one BTC-PERP price signed by two oracle keys, then
 * makers (even accounts) resting around the mid and IOC takers (odd
 * accounts) crossing it. Each builder fills a transaction; the signing
 * ones return 0, or -1 when a signature fails.
 */
#ifndef CLEARLINE_TEST_REPLAY_FLOW_H
#define CLEARLINE_TEST_REPLAY_FLOW_H

#include <string.h>

#include <clearline/crypto.h>
#include <clearline/stf.h>

#define REPLAY_FLOW_MID 650000ULL /* $65,000.0 */

static inline void replay_flow_deposit(struct cl_tx *tx, uint64_t id,
				       const struct cl_address *to)
{
	memset(tx, 0, sizeof(*tx));
	tx->type = CL_TX_DEPOSIT;
	tx->u.deposit.id = id;
	tx->u.deposit.to = *to;
	tx->u.deposit.amount = 10000000ull * 1000000ull;
}

static inline int replay_flow_price(struct cl_tx *tx,
				    const struct cl_eip712_domain *dom,
				    struct cl_seckey *const oracle[2],
				    uint64_t now_s)
{
	struct cl_hash32 d;

	memset(tx, 0, sizeof(*tx));
	tx->type = CL_TX_ORACLE_PRICE;
	tx->u.oracle.msg.market = 1;
	tx->u.oracle.msg.price = REPLAY_FLOW_MID;
	tx->u.oracle.msg.timestamp = now_s;
	cl_oracle_price_digest(&d, dom, &tx->u.oracle.msg);
	tx->u.oracle.n_sigs = 2;
	if (cl_sign_digest(&tx->u.oracle.sigs[0], oracle[0], &d) ||
	    cl_sign_digest(&tx->u.oracle.sigs[1], oracle[1], &d))
		return -1;
	return 0;
}

/* Order i of the flow over n_accts accounts. */
static inline int replay_flow_order(struct cl_tx *tx,
				    const struct cl_eip712_domain *dom,
				    size_t i, size_t n_accts,
				    const struct cl_address *addrs,
				    struct cl_seckey *const *keys,
				    uint64_t expiry)
{
	const uint64_t mid = REPLAY_FLOW_MID;
	struct cl_hash32 d;
	size_t who = i % n_accts;
	bool maker = (i / n_accts) % 3 != 2 && who % 2 == 0;

	memset(tx, 0, sizeof(*tx));
	tx->type = CL_TX_PLACE_ORDER;
	struct cl_order *o = &tx->u.place.order;
	o->trader = addrs[who];
	o->market = 1;
	o->is_buy = (i / 7) % 2;
	o->price = maker ? (o->is_buy ? mid - 1 - i % 20 : mid + 1 + i % 20)
			 : (o->is_buy ? mid + 30 : mid - 30);
	o->size = 1 + i % 50;
	o->nonce = i + 1;
	o->expiry = expiry;
	o->flags = maker ? 0 : 1u << 2; /* takers are IOC */
	cl_order_digest(&d, dom, o);
	return cl_sign_digest(&tx->u.place.sig, keys[who], &d) ? -1 : 0;
}

#endif
