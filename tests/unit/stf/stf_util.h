/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the stf tests: a three-market genesis, anvil's
 * development keys, transaction builders that sign for real, and block
 * handling on top of a memory (or LMDB) state.
 */
#ifndef CLEARLINE_TEST_STF_UTIL_H
#define CLEARLINE_TEST_STF_UTIL_H

#include "dev_keys.h"
#include "test.h"

#include <dirent.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/state.h>
#include <clearline/stf.h>


#define T_BTC 1
#define T_ETH 2
#define T_SOL 3
#define T_USD 1000000LL /* atoms per dollar */
#define T_START_MS 1700000000000ULL
#define T_HORIZON 2592000ULL
#define T_MAX_AGE 60ULL
#define T_N_ORACLE 3
#define T_N_KEYS 20 /* anvil's 10, then derived ones */

static inline void t_addr_hex(struct cl_address *a, const char *hex)
{
	if (!cl_hex_decode(a->b, 20, hex, strlen(hex), CL_HEX_0X))
		abort();
}

static inline void t_market(struct cl_market_params *m, uint32_t id,
			    const char *sym, uint8_t pd, uint8_t sd,
			    uint64_t tick, uint64_t step, uint64_t max,
			    uint64_t oi_cap, uint32_t maker, uint32_t taker)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	snprintf(m->symbol, sizeof(m->symbol), "%s", sym);
	m->price_decimals = pd;
	m->size_decimals = sd;
	m->tick_size = tick;
	m->step_size = step;
	m->max_order_size = max;
	m->oi_cap = oi_cap;
	m->maker_fee_ppm = maker;
	m->taker_fee_ppm = taker;
	/* neutral risk engine: mark = index, no breaker, no funding, no
	 * dynamic margin; the risk tests switch it on (t_risk_on) */
	m->risk.oracle_band_ppm = 1000000;
	m->risk.max_jump_ppm = 1000000;
	m->risk.max_jump_window = 1;
	m->risk.mark_band_ppm = 0;
	m->risk.premium_ema_seconds = 1;
	m->risk.oi_imf_threshold_ppm = 1000000;
	m->risk.vol_alpha_ppm = 1000000;
	m->risk.imf_max_scale_ppm = 1000000;
	m->risk.liq_slice_ppm = 1000000;
}

/* The risk parameters of the risk tests (docs/margin.md examples). */
static inline void t_risk_on(struct cl_market_params *m)
{
	m->risk.oracle_band_ppm = 20000;      /* 2 % agreement band */
	m->risk.max_jump_ppm = 100000;        /* 10 % per window */
	m->risk.max_jump_window = 60;
	m->risk.mark_band_ppm = 5000;         /* 0.5 % */
	m->risk.premium_ema_seconds = 300;
	m->risk.funding_interest_ppm = 10;
	m->risk.funding_interest_clamp_ppm = 50;
	m->risk.funding_cap_ppm = 500;
	m->risk.oi_imf_threshold_ppm = 500000;
	m->risk.oi_imf_factor_ppm = 1000000;
	m->risk.vol_imf_factor = 10;
	m->risk.vol_alpha_ppm = 100000;
	m->risk.imf_max_scale_ppm = 3000000;
	m->risk.liq_slice_ppm = 250000;
	m->risk.liq_fee_ppm = 5000;
}

/*
 * BTC: price 2 dp, size 5 dp (scale -1), tick $1, step 0.001 BTC, the
 *      tiers of docs/margin.md, maker 2 bps, taker 5 bps.
 * ETH: price 2 dp, size 4 dp (scale 0), 5 %/3 %, no maker fee.
 * SOL: price 3 dp, size 2 dp (scale 1), 10 %/5 %, a small OI cap.
 */
static inline void t_genesis(struct cl_genesis *g,
			     const struct cl_address *oracles)
{
	struct cl_market_params *m;

	memset(g, 0, sizeof(*g));
	g->l1_chain_id = 31337;
	t_addr_hex(&g->rollup, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
	g->collateral_decimals = 6;
	g->expiry_horizon = T_HORIZON;
	g->n_oracle_signers = T_N_ORACLE;
	for (int i = 0; i < T_N_ORACLE; i++)
		g->oracle_signers[i] = oracles[i];
	g->oracle_quorum = 2;
	g->oracle_max_age = T_MAX_AGE;
	g->funding_interval = 3600;
	g->n_markets = 3;

	m = &g->markets[0];
	t_market(m, T_BTC, "BTC-PERP", 2, 5, 100, 100, 10000000, 50000000,
		 200, 500);
	m->n_tiers = 3;
	m->tiers[0] = (struct cl_risk_tier){1000000 * T_USD, 20000, 10000};
	m->tiers[1] = (struct cl_risk_tier){5000000 * T_USD, 50000, 25000};
	m->tiers[2] = (struct cl_risk_tier){INT64_MAX, 100000, 50000};

	m = &g->markets[1];
	t_market(m, T_ETH, "ETH-PERP", 2, 4, 1, 10, 10000000, 100000000, 0,
		 300);
	m->n_tiers = 1;
	m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 50000, 30000};

	m = &g->markets[2];
	t_market(m, T_SOL, "SOL-PERP", 3, 2, 10, 1, 100000, 150000, 100, 100);
	m->n_tiers = 1;
	m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 100000, 50000};
}

struct tenv {
	struct cl_genesis g;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_seckey *key[T_N_KEYS];
	struct cl_address addr[T_N_KEYS];
	struct cl_seckey *okey[T_N_ORACLE];
	struct cl_address oaddr[T_N_ORACLE];
	bool in_block;
	uint64_t number, ms;
	uint64_t next_deposit;
	uint64_t order_nonce;
	struct cl_hash32 root;
};

static inline struct cl_seckey *t_derived_key(const char *what, int i)
{
	struct cl_seckey *k;
	uint8_t b[32];
	char seed[40];

	snprintf(seed, sizeof(seed), "clearline test %s %d", what, i);
	cl_keccak256(b, seed, strlen(seed));
	if (!cl_seckey_new_from_bytes(&k, b))
		abort();
	return k;
}

/* Traders: anvil's keys, then derived ones; oracle signers: derived
 * keys that never trade. */
static inline void t_keys(struct tenv *e)
{
	for (int i = 0; i < T_N_KEYS; i++) {
		if (i < 10) {
			if (!cl_seckey_new_from_hex(&e->key[i], dev_anvil_keys[i],
						    strlen(dev_anvil_keys[i])))
				abort();
		} else {
			e->key[i] = t_derived_key("trader", i);
		}
		cl_seckey_address(&e->addr[i], e->key[i]);
	}
	for (int i = 0; i < T_N_ORACLE; i++) {
		e->okey[i] = t_derived_key("oracle", i);
		cl_seckey_address(&e->oaddr[i], e->okey[i]);
	}
}

static inline void t_commit(struct tenv *e)
{
	if (cl_state_commit_block(e->st, &e->root) != CL_OK)
		abort();
}

/* A fresh stf on `st` with the genesis committed as block 0; `tweak`
 * (may be NULL) edits the genesis first. */
static inline void tenv_init_with(struct tenv *e, struct cl_state *st,
				  void (*tweak)(struct cl_genesis *))
{
	memset(e, 0, sizeof(*e));
	if (cl_crypto_init() != CL_OK)
		abort();
	t_keys(e);
	t_genesis(&e->g, e->oaddr);
	if (tweak)
		tweak(&e->g);
	e->st = st;
	if (cl_stf_new(&e->stf, st, &e->g) != CL_OK)
		abort();
	if (cl_stf_genesis_init(e->stf) != CL_OK)
		abort();
	t_commit(e);
	e->ms = T_START_MS;
}

static inline void tenv_init(struct tenv *e, struct cl_state *st)
{
	tenv_init_with(e, st, NULL);
}

static inline void tenv_release(struct tenv *e)
{
	cl_stf_free(e->stf);
	cl_state_free(e->st);
	for (int i = 0; i < T_N_KEYS; i++)
		cl_seckey_free(e->key[i]);
	for (int i = 0; i < T_N_ORACLE; i++)
		cl_seckey_free(e->okey[i]);
}

/* A made-up L1 reference for a block at `ms`: one L1 block a second,
 * numbered by its timestamp, so that later blocks never run backwards. */
static inline struct cl_l1_ref t_l1_at(uint64_t ms)
{
	struct cl_l1_ref r;

	memset(&r, 0, sizeof(r));
	r.number = ms / 1000;
	r.timestamp = ms / 1000;
	cl_put_be64(r.hash.b, r.number);
	r.hash.b[31] = 0x11;
	return r;
}

/* Close the open block (if any), commit, and open the next one
 * `advance_ms` later. */
static inline void tenv_block(struct tenv *e, uint64_t advance_ms)
{
	struct cl_block_header h;

	if (e->in_block)
		cl_stf_end_block(e->stf);
	t_commit(e);
	h.number = ++e->number;
	e->ms += advance_ms;
	h.timestamp_ms = e->ms;
	h.prev_root = e->root;
	h.l1 = t_l1_at(e->ms);
	if (cl_stf_begin_block(e->stf, &h) != CL_STF_OK)
		abort();
	e->in_block = true;
}

/* Commit the open block (ending it first) and open the next,
 * `advance_ms` later, with its L1 reference. */
static inline void t_open_next(struct tenv *e, uint64_t advance_ms)
{
	struct cl_block_header h;

	if (e->in_block)
		cl_stf_end_block(e->stf);
	t_commit(e);
	h.number = ++e->number;
	e->ms += advance_ms;
	h.timestamp_ms = e->ms;
	h.prev_root = e->root;
	h.l1 = t_l1_at(e->ms);
	CHECK(cl_stf_open_block(e->stf, &h) == CL_STF_OK);
	e->in_block = true;
}

static inline uint64_t tenv_now(const struct tenv *e)
{
	return e->ms / 1000;
}

static inline struct cl_stf_view tenv_view(struct tenv *e)
{
	return cl_stf_view(e->stf);
}

/* ---- builders ---- */

static inline void t_sign(struct cl_sig *sig, const struct cl_seckey *k,
			  const struct cl_hash32 *digest)
{
	if (cl_sign_digest(sig, k, digest) != CL_OK)
		abort();
}

static inline struct cl_tx t_deposit(uint64_t id, const struct cl_address *to,
				     uint64_t amount)
{
	struct cl_tx tx = {.type = CL_TX_DEPOSIT};
	tx.u.deposit.id = id;
	tx.u.deposit.to = *to;
	tx.u.deposit.amount = amount;
	return tx;
}

static inline struct cl_order t_order(const struct cl_address *trader,
				      uint32_t market, bool is_buy,
				      uint64_t price, uint64_t size,
				      uint64_t nonce, uint64_t expiry,
				      uint8_t flags)
{
	struct cl_order o = {.trader = *trader, .market = market,
			     .is_buy = is_buy, .price = price, .size = size,
			     .nonce = nonce, .expiry = expiry,
			     .flags = flags};
	return o;
}

static inline struct cl_tx t_place(struct tenv *e, const struct cl_order *o,
				   const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_PLACE_ORDER};
	struct cl_hash32 d;

	tx.u.place.order = *o;
	cl_order_digest(&d, cl_stf_domain(e->stf), o);
	t_sign(&tx.u.place.sig, signer, &d);
	return tx;
}

static inline struct cl_hash32 t_order_hash(struct tenv *e,
					    const struct cl_order *o)
{
	struct cl_hash32 d;
	cl_order_digest(&d, cl_stf_domain(e->stf), o);
	return d;
}

static inline struct cl_tx t_fill(const struct cl_hash32 *maker,
				  const struct cl_hash32 *taker, uint64_t size)
{
	struct cl_tx tx = {.type = CL_TX_FILL};
	tx.u.fill.maker = *maker;
	tx.u.fill.taker = *taker;
	tx.u.fill.size = size;
	return tx;
}

static inline struct cl_tx t_cancel(struct tenv *e,
				    const struct cl_address *trader,
				    const struct cl_hash32 *order,
				    const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_CANCEL};
	struct cl_hash32 d;

	tx.u.cancel.msg.trader = *trader;
	tx.u.cancel.msg.order_hash = *order;
	cl_cancel_digest(&d, cl_stf_domain(e->stf), &tx.u.cancel.msg);
	t_sign(&tx.u.cancel.sig, signer, &d);
	return tx;
}

static inline struct cl_tx t_withdraw(struct tenv *e,
				      const struct cl_address *trader,
				      const struct cl_address *recipient,
				      uint64_t amount, uint64_t nonce,
				      const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_WITHDRAW};
	struct cl_hash32 d;

	tx.u.withdraw.msg.trader = *trader;
	tx.u.withdraw.msg.recipient = *recipient;
	tx.u.withdraw.msg.amount = amount;
	tx.u.withdraw.msg.nonce = nonce;
	cl_withdraw_digest(&d, cl_stf_domain(e->stf), &tx.u.withdraw.msg);
	t_sign(&tx.u.withdraw.sig, signer, &d);
	return tx;
}

static inline struct cl_tx t_approve(struct tenv *e,
				     const struct cl_address *trader,
				     const struct cl_address *agent,
				     uint64_t expiry, uint64_t nonce,
				     const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_APPROVE_AGENT};
	struct cl_hash32 d;

	tx.u.approve.msg.trader = *trader;
	tx.u.approve.msg.agent = *agent;
	tx.u.approve.msg.expiry = expiry;
	tx.u.approve.msg.nonce = nonce;
	cl_approve_agent_digest(&d, cl_stf_domain(e->stf), &tx.u.approve.msg);
	t_sign(&tx.u.approve.sig, signer, &d);
	return tx;
}

/* An oracle update signed by the keys in `signers` (n of them). */
static inline struct cl_tx t_oracle(struct tenv *e, uint32_t market,
				    uint64_t price, uint64_t ts,
				    struct cl_seckey *const *signers,
				    uint32_t n)
{
	struct cl_tx tx = {.type = CL_TX_ORACLE_PRICE};
	struct cl_hash32 d;

	tx.u.oracle.msg.market = market;
	tx.u.oracle.msg.price = price;
	tx.u.oracle.msg.timestamp = ts;
	tx.u.oracle.n_sigs = n;
	cl_oracle_price_digest(&d, cl_stf_domain(e->stf), &tx.u.oracle.msg);
	for (uint32_t i = 0; i < n; i++)
		t_sign(&tx.u.oracle.sigs[i], signers[i], &d);
	return tx;
}

/* An ORACLE_UPDATE: signer i (okey[idx[i]]) reports prices[i] at ts. */
static inline struct cl_tx t_oracle_update(struct tenv *e, uint32_t market,
					   const uint64_t *prices,
					   const uint64_t *ts,
					   struct cl_seckey *const *signers,
					   uint32_t n)
{
	struct cl_tx tx = {.type = CL_TX_ORACLE_UPDATE};

	tx.u.oracle_update.market = market;
	tx.u.oracle_update.n = n;
	for (uint32_t i = 0; i < n; i++) {
		struct cl_oracle_price msg = {.market = market,
					      .price = prices[i],
					      .timestamp = ts[i]};
		struct cl_hash32 d;
		tx.u.oracle_update.e[i].price = prices[i];
		tx.u.oracle_update.e[i].timestamp = ts[i];
		cl_oracle_price_digest(&d, cl_stf_domain(e->stf), &msg);
		t_sign(&tx.u.oracle_update.e[i].sig, signers[i], &d);
	}
	return tx;
}

static inline struct cl_tx t_liquidate(const struct cl_address *acct,
				       uint32_t market, uint64_t size)
{
	struct cl_tx tx = {.type = CL_TX_LIQUIDATE};
	tx.u.liquidate.account = *acct;
	tx.u.liquidate.market = market;
	tx.u.liquidate.size = size;
	return tx;
}

static inline struct cl_tx t_liquidate_fill(const struct cl_address *acct,
					    const struct cl_hash32 *maker,
					    uint64_t size)
{
	struct cl_tx tx = {.type = CL_TX_LIQUIDATE_FILL};
	tx.u.liquidate_fill.account = *acct;
	tx.u.liquidate_fill.maker = *maker;
	tx.u.liquidate_fill.size = size;
	return tx;
}

static inline struct cl_tx t_fund_fill(const struct cl_hash32 *maker,
				       uint64_t size)
{
	struct cl_tx tx = {.type = CL_TX_FUND_FILL};
	tx.u.fund_fill.maker = *maker;
	tx.u.fund_fill.size = size;
	return tx;
}

/* An ADL naming n (1..16) counterparties. */
static inline struct cl_tx t_adl(const struct cl_address *acct,
				 uint32_t market, uint64_t size,
				 const struct cl_address *cp, uint32_t n)
{
	struct cl_tx tx = {.type = CL_TX_ADL};
	tx.u.adl.account = *acct;
	tx.u.adl.market = market;
	tx.u.adl.size = size;
	tx.u.adl.n = n;
	for (uint32_t i = 0; i < n; i++)
		tx.u.adl.counterparty[i] = cp[i];
	return tx;
}

/* A REINDEX of n (1..32) accounts. */
static inline struct cl_tx t_reindex(const struct cl_address *acct,
				     uint32_t n)
{
	struct cl_tx tx = {.type = CL_TX_REINDEX};
	tx.u.reindex.n = n;
	for (uint32_t i = 0; i < n; i++)
		tx.u.reindex.account[i] = acct[i];
	return tx;
}

static inline struct cl_tx t_done(const struct cl_hash32 *order,
				  enum cl_done_reason reason)
{
	struct cl_tx tx = {.type = CL_TX_ORDER_DONE};
	tx.u.done.order_hash = *order;
	tx.u.done.reason = reason;
	return tx;
}

/* A stored 128-bit big-endian two's complement field. */
static inline __int128 stf_test_i128(const uint8_t *b)
{
	unsigned __int128 u = ((unsigned __int128)cl_get_be64(b) << 64) |
			      cl_get_be64(b + 8);
	return (__int128)u;
}

/* ---- applying ---- */

/*
 * Encode, decode again (the result must be the same bytes), recover and
 * apply, as a node would.
 */
static inline int t_apply(struct tenv *e, struct cl_tx *tx)
{
	struct cl_buf b, b2;
	struct cl_tx dec;

	cl_buf_init(&b);
	cl_buf_init(&b2);
	cl_tx_encode(&b, tx);
	CHECK(b.len == cl_tx_encoded_len(tx));
	CHECK(cl_tx_decode(&dec, b.p, b.len));
	cl_tx_encode(&b2, &dec);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	cl_buf_release(&b);
	cl_buf_release(&b2);
	cl_tx_recover(&dec, cl_stf_domain(e->stf));
	*tx = dec;
	return cl_stf_apply(e->stf, &dec);
}

#define EXPECT_OK(e, tx)                                                   \
	do {                                                               \
		struct cl_tx t_ = (tx);                                    \
		int rc_ = t_apply((e), &t_);                               \
		CHECK_MSG(rc_ == CL_STF_OK, "want ok, got %d (%s)", rc_,   \
			  cl_stf_err_str(rc_));                            \
	} while (0)

/* The transaction is rejected with `code` and the committed root is the
 * same before and after it. */
#define EXPECT_REJECT(e, tx, code)                                         \
	do {                                                               \
		struct cl_tx t_ = (tx);                                    \
		struct cl_hash32 before_;                                  \
		t_commit(e);                                               \
		before_ = (e)->root;                                       \
		int rc_ = t_apply((e), &t_);                               \
		CHECK_MSG(rc_ == (code), "want %d (%s), got %d (%s)",      \
			  (int)(code), cl_stf_err_str(code), rc_,          \
			  cl_stf_err_str(rc_));                            \
		t_commit(e);                                               \
		CHECK_MSG(memcmp(before_.b, (e)->root.b, 32) == 0,         \
			  "root changed by a rejected tx");                \
		t_seen_code[(code) & 63] = true;                           \
	} while (0)

static bool t_seen_code[64] __attribute__((unused));

/* ---- risk scenarios (test_risk.c, test_liq_book.c) ---- */

/* Every oracle signer reports `price` now (ORACLE_UPDATE). */
static inline int t_oracle_all(struct tenv *e, uint32_t market,
			       uint64_t price)
{
	uint64_t p[3] = {price, price, price}, ts[3];
	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	struct cl_tx tx = t_oracle_update(e, market, p, ts, e->okey, 3);
	return t_apply(e, &tx);
}

static inline struct cl_market_state t_mkt(struct tenv *e, uint32_t id)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_market_state m;
	CHECK(cl_stf_get_market(&v, &m, id) == CL_OK);
	return m;
}

/* A trade of `size` at `price` between two accounts: the seller's
 * order rests (maker), the buyer takes. When the fill is refused both
 * orders are closed with ORDER_DONE; returns the fill's outcome. */
static inline int t_trade(struct tenv *e, const struct cl_address *buyer,
			  struct cl_seckey *bk, const struct cl_address *seller,
			  struct cl_seckey *sk, uint32_t market, uint64_t price,
			  uint64_t size)
{
	uint64_t exp = tenv_now(e) + 3600;
	struct cl_order mo = t_order(seller, market, false, price, size,
				     e->order_nonce++, exp, 0);
	struct cl_order to = t_order(buyer, market, true, price, size,
				     e->order_nonce++, exp, 0);
	struct cl_hash32 mh = t_order_hash(e, &mo), th = t_order_hash(e, &to);
	EXPECT_OK(e, t_place(e, &mo, sk));
	EXPECT_OK(e, t_place(e, &to, bk));
	struct cl_tx f = t_fill(&mh, &th, size);
	int rc = t_apply(e, &f);
	if (rc != CL_STF_OK) {
		EXPECT_OK(e, t_done(&mh, CL_DONE_MARGIN));
		EXPECT_OK(e, t_done(&th, CL_DONE_MARGIN));
	}
	return rc;
}

/*
 * The OPEN_SIZE table (docs/protocol.md) against a scan of every order
 * record: for each (trader, market) the stored buy and sell sizes are the
 * sums of size - filled over the open orders that are not reduce-only,
 * and no entry holds two zeros; cl_stf_get_open_sizes() reads the same.
 * Returns the number of (trader, market) entries.
 */
struct t_open_sum {
	struct cl_address trader;
	uint32_t market;
	uint64_t buy, sell;
};

static inline size_t t_open_sizes_check(struct tenv *e, const char *where)
{
	enum { CAP = 4096 };
	static struct t_open_sum sum[CAP];
	struct cl_stf_view v = tenv_view(e);
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen, n = 0, stored = 0;

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_ORDERS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		struct cl_hash32 h;
		struct cl_order_record o;
		size_t i;

		if (klen != 32)
			continue; /* the open-order index */
		memcpy(h.b, key, 32);
		CHECK(cl_stf_get_order(&v, &o, &h) == CL_OK);
		if (o.status != CL_ORDER_OPEN ||
		    (o.flags & CL_ORDER_REDUCE_ONLY))
			continue;
		for (i = 0; i < n; i++)
			if (sum[i].market == o.market &&
			    memcmp(sum[i].trader.b, o.trader.b, 20) == 0)
				break;
		if (i == n) {
			CHECK(n < CAP);
			if (n == CAP)
				break;
			memset(&sum[n], 0, sizeof(sum[n]));
			sum[n].trader = o.trader;
			sum[n].market = o.market;
			n++;
		}
		*(o.is_buy ? &sum[i].buy : &sum[i].sell) += o.size - o.filled;
	}
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e->st,
				CL_TABLE_OPEN_SIZE, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		uint64_t buy, sell;
		size_t i;

		CHECK_MSG(klen == 24 && vlen == 16, "%s: open size record %zu/%zu",
			  where, klen, vlen);
		if (klen != 24 || vlen != 16)
			continue;
		buy = cl_get_be64(val);
		sell = cl_get_be64(val + 8);
		CHECK_MSG(buy | sell, "%s: an open size record of zeros", where);
		for (i = 0; i < n; i++)
			if (sum[i].market == cl_get_be32(key + 20) &&
			    memcmp(sum[i].trader.b, key, 20) == 0)
				break;
		CHECK_MSG(i < n, "%s: open size record without open orders",
			  where);
		if (i == n)
			continue;
		CHECK_MSG(sum[i].buy == buy && sum[i].sell == sell,
			  "%s: market %u stored %llu/%llu, scan %llu/%llu",
			  where, sum[i].market, (unsigned long long)buy,
			  (unsigned long long)sell,
			  (unsigned long long)sum[i].buy,
			  (unsigned long long)sum[i].sell);
		stored++;
	}
	cl_state_iter_free(it);
	/* every scanned sum with a non-zero side is stored */
	for (size_t i = 0; i < n; i++)
		if (sum[i].buy | sum[i].sell)
			stored--;
	CHECK_MSG(stored == 0, "%s: open size records and scan differ",
		  where);
	/* the read helper agrees, account by account */
	for (int k = 0; k < T_N_KEYS; k++) {
		struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
		size_t m;
		CHECK(cl_stf_get_open_sizes(&v, os, &m, &e->addr[k]) == CL_OK);
		for (size_t j = 0; j < m; j++) {
			size_t i;
			for (i = 0; i < n; i++)
				if (sum[i].market == os[j].market &&
				    memcmp(sum[i].trader.b, e->addr[k].b,
					   20) == 0)
					break;
			CHECK(j == 0 || os[j].market > os[j - 1].market);
			CHECK(i < n && sum[i].buy == os[j].open.buy.v &&
			      sum[i].sell == os[j].open.sell.v);
		}
	}
	return n;
}

/*
 * The risk engine's invariants (docs/liquidation.md), on the harness's
 * three markets: Σ accounts (collateral − Σ cost) + fees + insurance
 * balance − Σ fund costs + Σ funding pools equals `net_in` (deposits −
 * withdrawals) to the atom; positions, the fund's included, net to zero
 * per market; open interest is Σ long sizes; snap_sum is Σ size ×
 * snapshot and the pool holds it to less than one atom.
 */
static inline void t_invariants(struct tenv *e, const char *where,
				__int128 net_in)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	__int128 sum = 0, snaps[4] = {0};
	int64_t net[4] = {0}, longs[4] = {0};
	struct cl_stf_globals g;

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_ACCOUNTS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK)
		if (klen == 20)
			sum += (int64_t)cl_get_be64(val);
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_POSITIONS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		uint32_t m = cl_get_be32(key + 20);
		int64_t size = (int64_t)cl_get_be64(val);
		CHECK(klen == 24 && vlen == 32 && m >= 1 && m <= 3);
		if (m < 1 || m > 3)
			continue;
		sum -= (int64_t)cl_get_be64(val + 8);
		net[m] += size;
		longs[m] += size > 0 ? size : 0;
		snaps[m] += (__int128)size * stf_test_i128(val + 16);
	}
	cl_state_iter_free(it);
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	sum += g.fee_balance + g.insurance_balance;
	for (uint32_t m = 1; m <= 3; m++) {
		struct cl_market_state ms = t_mkt(e, m);
		__int128 dust;
		sum += ms.funding_pool - ms.fund_cost;
		net[m] += ms.fund_size;
		longs[m] += ms.fund_size > 0 ? ms.fund_size : 0;
		snaps[m] += (__int128)ms.fund_size * ms.fund_snap;
		CHECK_MSG(net[m] == 0, "%s: market %u nets to %lld", where, m,
			  (long long)net[m]);
		CHECK_MSG(ms.open_interest == (uint64_t)longs[m],
			  "%s: market %u oi", where, m);
		CHECK_MSG(snaps[m] == ms.snap_sum, "%s: snapshot sum", where);
		dust = (__int128)ms.funding_pool * CL_FUNDING_SCALE -
		       ms.snap_sum;
		CHECK_MSG(dust >= 0 && dust < CL_FUNDING_SCALE,
			  "%s: funding dust %lld out of [0, 1 atom) (pool %lld)",
			  where, (long long)dust, (long long)ms.funding_pool);
	}
	CHECK_MSG(sum == net_in, "%s: conservation broken by %lld atoms",
		  where, (long long)(sum - net_in));
	t_open_sizes_check(e, where);
}

/* ---- an LMDB state in a temporary directory ---- */

struct t_lmdb {
	struct cl_db *db;
	char path[512];
};

/*
 * A fresh LMDB state in a new directory, in tmpfs when there is one:
 * every block commit fsyncs, and durability is not what the tests are
 * about. Only one may be open at a time (one cl_db per process). NULL
 * (and a failed check) when it cannot be created.
 */
static inline struct cl_state *t_lmdb_open(struct t_lmdb *l)
{
	const char *tmp = getenv("TMPDIR");
	struct cl_state *st;

	memset(l, 0, sizeof(*l));
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (!tmp || strlen(tmp) > 400)
		tmp = "/tmp";
	snprintf(l->path, sizeof(l->path), "%s/clearline-stf-XXXXXX", tmp);
	if (!mkdtemp(l->path)) {
		CHECK_MSG(false, "mkdtemp failed");
		return NULL;
	}
	struct cl_db_config cfg = {.path = l->path, .map_size = 1ULL << 31};
	if (cl_db_new(&l->db, &cfg) != CL_OK) {
		CHECK_MSG(false, "cl_db_new failed");
		rmdir(l->path);
		return NULL;
	}
	if (cl_state_new_lmdb(&st, l->db) != CL_OK) {
		CHECK_MSG(false, "cl_state_new_lmdb failed");
		st = NULL;
	}
	return st;
}

/* Close the database (its state freed first) and remove the directory. */
static inline void t_lmdb_close(struct t_lmdb *l)
{
	DIR *d;
	struct dirent *de;

	cl_db_free(l->db);
	l->db = NULL;
	d = opendir(l->path);
	while (d && (de = readdir(d))) {
		char f[1024];
		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", l->path, de->d_name);
		unlink(f);
	}
	if (d)
		closedir(d);
	rmdir(l->path);
}

#endif
