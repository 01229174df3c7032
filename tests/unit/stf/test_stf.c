/* SPDX-License-Identifier: MIT */
/*
 * Every transaction type and every reject code of the stf, on the memory
 * backend. Each rejected transaction is checked to leave the committed
 * root unchanged (EXPECT_REJECT commits before and after it).
 */
#include "stf_util.h"

#define BTC_1 100000ULL   /* 1 BTC in size units */
#define BTC_P(usd) ((uint64_t)(usd) * 100) /* price units */

static void new_env(struct tenv *e)
{
	tenv_init(e, cl_state_new_memory());
	tenv_block(e, 0);
}

static void deposit(struct tenv *e, int who, int64_t usd)
{
	EXPECT_OK(e, t_deposit(e->next_deposit, &e->addr[who],
			       (uint64_t)(usd * T_USD)));
	e->next_deposit++;
}

static void set_mark(struct tenv *e, uint32_t market, uint64_t price)
{
	struct cl_seckey *ks[2] = {e->okey[0], e->okey[1]};
	EXPECT_OK(e, t_oracle(e, market, price, tenv_now(e), ks, 2));
}

/* Place an order signed by the trader; returns its hash. */
static struct cl_hash32 place(struct tenv *e, int who, uint32_t market,
			      bool buy, uint64_t price, uint64_t size,
			      uint8_t flags)
{
	struct cl_order o = t_order(&e->addr[who], market, buy, price, size,
				    e->order_nonce++, tenv_now(e) + 3600,
				    flags);
	EXPECT_OK(e, t_place(e, &o, e->key[who]));
	return t_order_hash(e, &o);
}

static struct cl_account account(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account a;
	int rc = cl_stf_get_account(&v, &a, &e->addr[who]);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return a;
}

static struct cl_order_record order(struct tenv *e, const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record o;
	CHECK(cl_stf_get_order(&v, &o, h) == CL_OK);
	return o;
}

static struct cl_stf_position position(struct tenv *e, int who,
				       uint32_t market)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_position p[CL_GENESIS_MAX_MARKETS];
	size_t n;
	CHECK(cl_stf_get_positions(&v, p, &n, &e->addr[who]) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (p[i].market == market)
			return p[i];
	return (struct cl_stf_position){market, 0, 0, 0};
}

/* The open orders of `who`, which must be exactly `n` hashes. */
static void check_open(struct tenv *e, int who, const struct cl_hash32 *want,
		       size_t n)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_hash32 got[8];
	size_t k;

	CHECK(cl_stf_get_open_orders(&v, got, 8, &k, &e->addr[who]) == CL_OK);
	CHECK_MSG(k == n, "%zu open orders, want %zu", k, n);
	for (size_t i = 0; i < k && i < n; i++)
		CHECK(memcmp(got[i].b, want[i].b, 32) == 0);
}

#define BLAME(e, who) CHECK(cl_stf_fill_blame((e)->stf) == (who))

static struct cl_stf_globals globals(struct tenv *e)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_globals g;
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	return g;
}

static struct cl_market_state market(struct tenv *e, uint32_t id)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_market_state m;
	CHECK(cl_stf_get_market(&v, &m, id) == CL_OK);
	return m;
}

/* ------------------------------------------------------------------ */

static void test_deposit(void)
{
	struct tenv e;

	new_env(&e);
	deposit(&e, 0, 1000);
	CHECK(account(&e, 0).collateral == 1000 * T_USD);
	CHECK(account(&e, 0).nonce == 0);
	CHECK(globals(&e).next_deposit_id == 1);
	/* zero amounts still take their id */
	EXPECT_OK(&e, t_deposit(1, &e.addr[1], 0));
	EXPECT_REJECT(&e, t_deposit(1, &e.addr[1], 5),
		      CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);
	EXPECT_REJECT(&e, t_deposit(0, &e.addr[1], 5),
		      CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);
	EXPECT_REJECT(&e, t_deposit(3, &e.addr[1], 5),
		      CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);
	EXPECT_REJECT(&e, t_deposit(2, &e.addr[1], (uint64_t)INT64_MAX + 1),
		      CL_STF_ERR_OVERFLOW);
	EXPECT_OK(&e, t_deposit(2, &e.addr[2], INT64_MAX));
	EXPECT_REJECT(&e, t_deposit(3, &e.addr[2], 1), CL_STF_ERR_OVERFLOW);
	EXPECT_OK(&e, t_deposit(3, &e.addr[1], 7));
	CHECK(account(&e, 1).collateral == 7);
	CHECK(globals(&e).next_deposit_id == 4);
	tenv_release(&e);
}

static void test_place(void)
{
	struct tenv e;
	struct cl_order o;
	struct cl_tx tx;
	uint64_t now;

	new_env(&e);
	now = tenv_now(&e);
	deposit(&e, 0, 1000); /* an account without collateral places nothing */
	o = t_order(&e.addr[0], T_BTC, true, BTC_P(60000), BTC_1, 1,
		    now + 3600, 0);
	tx = t_place(&e, &o, e.key[0]);
	EXPECT_OK(&e, tx);
	struct cl_hash32 h = t_order_hash(&e, &o);
	struct cl_order_record r = order(&e, &h);
	CHECK(r.status == CL_ORDER_OPEN && r.sequence == 0 &&
	      r.filled == 0 && r.size == BTC_1 && r.is_buy &&
	      r.price == BTC_P(60000) && r.market == T_BTC);
	CHECK(memcmp(r.trader.b, e.addr[0].b, 20) == 0);
	CHECK(globals(&e).next_order_sequence == 1);
	/* an order hash is placed once only */
	EXPECT_REJECT(&e, tx, CL_STF_ERR_DUPLICATE_ORDER);

	/* signatures */
	tx = t_place(&e, &o, e.key[0]);
	tx.u.place.sig.b[64] = 29;
	EXPECT_REJECT(&e, tx, CL_STF_ERR_BAD_SIGNATURE);
	o.nonce = 2;
	EXPECT_REJECT(&e, t_place(&e, &o, e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);

#define PLACE_REJECT(field, value, code)                                   \
	do {                                                               \
		struct cl_order o2 = o;                                    \
		o2.field = (value);                                        \
		EXPECT_REJECT(&e, t_place(&e, &o2, e.key[0]), code);       \
	} while (0)
	PLACE_REJECT(market, 99, CL_STF_ERR_UNKNOWN_MARKET);
	PLACE_REJECT(flags, 0x0c, CL_STF_ERR_BAD_FLAGS);
	PLACE_REJECT(flags, CL_ORDER_POST_ONLY | (CL_TIF_IOC << 2),
		     CL_STF_ERR_BAD_FLAGS);
	PLACE_REJECT(flags, CL_ORDER_POST_ONLY | (CL_TIF_FOK << 2),
		     CL_STF_ERR_BAD_FLAGS);
	PLACE_REJECT(flags, 0x10, CL_STF_ERR_BAD_FLAGS);
	PLACE_REJECT(price, 0, CL_STF_ERR_BAD_PRICE);
	PLACE_REJECT(price, BTC_P(60000) + 50, CL_STF_ERR_OFF_TICK);
	PLACE_REJECT(size, 0, CL_STF_ERR_BAD_SIZE);
	PLACE_REJECT(size, 150, CL_STF_ERR_OFF_STEP);
	PLACE_REJECT(size, 10000100, CL_STF_ERR_SIZE_TOO_LARGE);
	PLACE_REJECT(expiry, now, CL_STF_ERR_EXPIRED);
	PLACE_REJECT(expiry, 0, CL_STF_ERR_EXPIRED);
	PLACE_REJECT(expiry, now + T_HORIZON + 1,
		     CL_STF_ERR_EXPIRY_TOO_FAR);
	PLACE_REJECT(expiry, UINT64_MAX, CL_STF_ERR_EXPIRY_TOO_FAR);
#undef PLACE_REJECT

	/* the boundaries themselves are fine */
	o.nonce = 3;
	o.expiry = now + T_HORIZON;
	o.size = 10000000;
	o.flags = CL_ORDER_REDUCE_ONLY | (CL_TIF_FOK << 2);
	EXPECT_OK(&e, t_place(&e, &o, e.key[0]));
	struct cl_hash32 open[3] = {h, t_order_hash(&e, &o)};
	o.nonce = 4;
	o.expiry = now + 1;
	o.flags = CL_ORDER_POST_ONLY;
	EXPECT_OK(&e, t_place(&e, &o, e.key[0]));
	CHECK(globals(&e).next_order_sequence == 3);
	open[2] = t_order_hash(&e, &o);
	check_open(&e, 0, open, 3);
	check_open(&e, 1, NULL, 0);
	/* a smaller buffer gets the oldest ones */
	struct cl_stf_view v = tenv_view(&e);
	struct cl_hash32 two[2];
	size_t n;
	CHECK(cl_stf_get_open_orders(&v, two, 2, &n, &e.addr[0]) == CL_OK &&
	      n == 2 && memcmp(two[1].b, open[1].b, 32) == 0);
	EXPECT_OK(&e, t_cancel(&e, &e.addr[0], &open[1], e.key[0]));
	open[1] = open[2];
	check_open(&e, 0, open, 2);
	EXPECT_OK(&e, t_done(&open[0], CL_DONE_MARGIN));
	check_open(&e, 0, &open[1], 1);
	tenv_release(&e);
}

static void test_agents(void)
{
	struct tenv e;
	struct cl_order o;
	struct cl_tx tx;
	uint64_t now, exp;
	struct cl_address zero = {{0}};

	new_env(&e);
	now = tenv_now(&e);
	deposit(&e, 0, 1000);

	/* only the trader approves, with its nonce */
	tx = t_approve(&e, &e.addr[0], &e.addr[1], now + 100, 0, e.key[0]);
	tx.u.approve.sig.b[64] = 2;
	EXPECT_REJECT(&e, tx, CL_STF_ERR_BAD_SIGNATURE);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[1], now + 100, 0,
				    e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[1], now + 100, 1,
				    e.key[0]),
		      CL_STF_ERR_BAD_NONCE);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[0], now + 100, 0,
				    e.key[0]),
		      CL_STF_ERR_BAD_AGENT);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &zero, now + 100, 0,
				    e.key[0]),
		      CL_STF_ERR_BAD_AGENT);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[1], now, 0,
				    e.key[0]),
		      CL_STF_ERR_EXPIRED);
	EXPECT_OK(&e, t_approve(&e, &e.addr[0], &e.addr[1], now + 100, 0,
				e.key[0]));
	CHECK(account(&e, 0).nonce == 1);
	CHECK(account(&e, 0).collateral == 1000 * T_USD);
	struct cl_stf_view v = tenv_view(&e);
	CHECK(cl_stf_get_agent(&v, &exp, &e.addr[0], &e.addr[1]) == CL_OK &&
	      exp == now + 100);
	/* replaying the approval fails on the nonce */
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[1], now + 100, 0,
				    e.key[0]),
		      CL_STF_ERR_BAD_NONCE);

	/* the agent places and cancels, but cannot withdraw or approve */
	o = t_order(&e.addr[0], T_BTC, false, BTC_P(61000), BTC_1, 7,
		    now + 60, 0);
	EXPECT_OK(&e, t_place(&e, &o, e.key[1]));
	struct cl_hash32 h = t_order_hash(&e, &o);
	EXPECT_OK(&e, t_cancel(&e, &e.addr[0], &h, e.key[1]));
	CHECK(order(&e, &h).status == CL_ORDER_CANCELLED);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &e.addr[1], 1, 1,
				     e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(&e, t_approve(&e, &e.addr[0], &e.addr[2], now + 100, 1,
				    e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	/* an agent of trader 0 is nobody for trader 2 */
	o = t_order(&e.addr[2], T_BTC, false, BTC_P(61000), BTC_1, 8,
		    now + 60, 0);
	EXPECT_REJECT(&e, t_place(&e, &o, e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);

	/* a second agent whose approval runs out */
	EXPECT_OK(&e, t_approve(&e, &e.addr[0], &e.addr[2], now + 2, 1,
				e.key[0]));
	o = t_order(&e.addr[0], T_BTC, false, BTC_P(61000), BTC_1, 9,
		    now + 600, 0);
	tenv_block(&e, 2000);
	EXPECT_REJECT(&e, t_place(&e, &o, e.key[2]),
		      CL_STF_ERR_NOT_AUTHORIZED);

	/* revoke the first one */
	EXPECT_OK(&e, t_approve(&e, &e.addr[0], &e.addr[1], 0, 2, e.key[0]));
	v = tenv_view(&e);
	CHECK(cl_stf_get_agent(&v, &exp, &e.addr[0], &e.addr[1]) ==
	      CL_ERR_NOT_FOUND);
	EXPECT_REJECT(&e, t_place(&e, &o, e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_OK(&e, t_place(&e, &o, e.key[0]));
	CHECK(account(&e, 0).nonce == 3);
	tenv_release(&e);
}

static void test_cancel(void)
{
	struct tenv e;
	struct cl_hash32 h, unknown;
	struct cl_tx tx;

	new_env(&e);
	deposit(&e, 0, 1000);
	h = place(&e, 0, T_ETH, true, 300000, 100, 0);
	memset(unknown.b, 0x42, 32);
	tx = t_cancel(&e, &e.addr[0], &h, e.key[0]);
	tx.u.cancel.sig.b[0] ^= 0xff; /* recovers someone else or nobody */
	{
		struct cl_tx t2 = tx;
		cl_tx_recover(&t2, cl_stf_domain(e.stf));
		CHECK(t2.auth.err[0] != CL_SIG_OK ||
		      memcmp(t2.auth.signer[0].b, e.addr[0].b, 20) != 0);
	}
	tx.u.cancel.sig.b[64] = 0x1d;
	EXPECT_REJECT(&e, tx, CL_STF_ERR_BAD_SIGNATURE);
	EXPECT_REJECT(&e, t_cancel(&e, &e.addr[0], &h, e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(&e, t_cancel(&e, &e.addr[1], &h, e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(&e, t_cancel(&e, &e.addr[0], &unknown, e.key[0]),
		      CL_STF_ERR_UNKNOWN_ORDER);
	EXPECT_OK(&e, t_cancel(&e, &e.addr[0], &h, e.key[0]));
	CHECK(order(&e, &h).status == CL_ORDER_CANCELLED);
	EXPECT_REJECT(&e, t_cancel(&e, &e.addr[0], &h, e.key[0]),
		      CL_STF_ERR_ORDER_NOT_OPEN);
	tenv_release(&e);
}

static void test_oracle(void)
{
	struct tenv e;
	uint64_t now;
	struct cl_seckey *two[2], *dup[2], *stranger[2], *three[3], *one[1];
	struct cl_tx tx;

	new_env(&e);
	now = tenv_now(&e);
	two[0] = e.okey[0];
	two[1] = e.okey[2];
	dup[0] = dup[1] = e.okey[1];
	stranger[0] = e.okey[0];
	stranger[1] = e.key[5];
	three[0] = e.okey[2];
	three[1] = e.okey[1];
	three[2] = e.okey[0];
	one[0] = e.okey[1];

	CHECK(market(&e, T_ETH).mark_price == 0);
	EXPECT_REJECT(&e, t_oracle(&e, 99, 300000, now, two, 2),
		      CL_STF_ERR_UNKNOWN_MARKET);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 0, now, two, 2),
		      CL_STF_ERR_BAD_PRICE);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now + 1, two, 2),
		      CL_STF_ERR_ORACLE_FUTURE);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now - T_MAX_AGE - 1,
				   two, 2),
		      CL_STF_ERR_ORACLE_STALE);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now, one, 1),
		      CL_STF_ERR_ORACLE_QUORUM);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now, one, 0),
		      CL_STF_ERR_ORACLE_QUORUM);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now, dup, 2),
		      CL_STF_ERR_ORACLE_DUPLICATE_SIGNER);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300000, now, stranger, 2),
		      CL_STF_ERR_ORACLE_UNKNOWN_SIGNER);
	tx = t_oracle(&e, T_ETH, 300000, now, two, 2);
	tx.u.oracle.sigs[1].b[64] = 30;
	EXPECT_REJECT(&e, tx, CL_STF_ERR_BAD_SIGNATURE);
	/* the oldest acceptable timestamp */
	EXPECT_OK(&e, t_oracle(&e, T_ETH, 300000, now - T_MAX_AGE, two, 2));
	struct cl_market_state m = market(&e, T_ETH);
	CHECK(m.oracle_price == 300000 && m.mark_price == 300000 &&
	      m.oracle_timestamp == now - T_MAX_AGE && m.open_interest == 0);
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300100, now - T_MAX_AGE, three,
				   3),
		      CL_STF_ERR_ORACLE_NOT_MONOTONIC);
	EXPECT_OK(&e, t_oracle(&e, T_ETH, 300100, now, three, 3));
	EXPECT_REJECT(&e, t_oracle(&e, T_ETH, 300200, now, two, 2),
		      CL_STF_ERR_ORACLE_NOT_MONOTONIC);
	CHECK(market(&e, T_ETH).mark_price == 300100);
	/* the other markets are untouched */
	CHECK(market(&e, T_BTC).mark_price == 0);
	tenv_release(&e);
}

static void test_withdraw(void)
{
	struct tenv e;
	struct cl_address rcpt, zero = {{0}};
	struct cl_tx tx;

	new_env(&e);
	t_addr_hex(&rcpt, "0x00000000000000000000000000000000000000aa");
	deposit(&e, 0, 1000);
	tx = t_withdraw(&e, &e.addr[0], &rcpt, 100 * T_USD, 0, e.key[0]);
	tx.u.withdraw.sig.b[64] = 0;
	tx.u.withdraw.sig.b[63] ^= 1;
	{
		struct cl_tx t2 = tx;
		cl_tx_recover(&t2, cl_stf_domain(e.stf));
		if (t2.auth.err[0] == CL_SIG_OK)
			EXPECT_REJECT(&e, tx, CL_STF_ERR_NOT_AUTHORIZED);
	}
	tx.u.withdraw.sig.b[64] = 99;
	EXPECT_REJECT(&e, tx, CL_STF_ERR_BAD_SIGNATURE);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 100 * T_USD, 0,
				     e.key[1]),
		      CL_STF_ERR_NOT_AUTHORIZED);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 100 * T_USD, 1,
				     e.key[0]),
		      CL_STF_ERR_BAD_NONCE);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 0, 0, e.key[0]),
		      CL_STF_ERR_BAD_AMOUNT);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt,
				     (uint64_t)INT64_MAX + 1, 0, e.key[0]),
		      CL_STF_ERR_BAD_AMOUNT);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &zero, 100 * T_USD, 0,
				     e.key[0]),
		      CL_STF_ERR_BAD_RECIPIENT);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 1000 * T_USD + 1,
				     0, e.key[0]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	/* an account that does not exist has nothing */
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[3], &rcpt, 1, 0, e.key[3]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(&e, t_withdraw(&e, &e.addr[0], &rcpt, 100 * T_USD, 0,
				 e.key[0]));
	CHECK(account(&e, 0).collateral == 900 * T_USD);
	CHECK(account(&e, 0).nonce == 1);
	struct cl_stf_view v = tenv_view(&e);
	struct cl_address r;
	uint64_t amount;
	CHECK(cl_stf_get_withdrawal(&v, &r, &amount, 0) == CL_OK &&
	      amount == 100 * T_USD && memcmp(r.b, rcpt.b, 20) == 0);
	CHECK(globals(&e).next_withdrawal_id == 1);
	/* the leaf the L1 contract checks: recipient ‖ amount, 28 bytes */
	const uint8_t *val;
	size_t vlen;
	uint8_t key[CL_STF_WITHDRAWAL_KEY_LEN];
	cl_stf_withdrawal_key(key, 0);
	CHECK(cl_state_get(e.st, &val, &vlen, CL_TABLE_WITHDRAWALS, key,
			   sizeof(key)) == CL_OK &&
	      vlen == 28 && memcmp(val, rcpt.b, 20) == 0 &&
	      cl_get_be64(val + 20) == 100 * T_USD);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 100 * T_USD, 0,
				     e.key[0]),
		      CL_STF_ERR_BAD_NONCE);
	EXPECT_OK(&e, t_withdraw(&e, &e.addr[0], &rcpt, 900 * T_USD, 1,
				 e.key[0]));
	CHECK(account(&e, 0).collateral == 0);
	CHECK(globals(&e).next_withdrawal_id == 2);
	tenv_release(&e);
}

/*
 * docs/margin.md example 1 as a fill, then the margin rules: an opening
 * fill needs IM, a reducing fill needs MM or must not lower equity - MM,
 * and profit cannot be withdrawn.
 */
static void test_fill_margin(void)
{
	struct tenv e;
	struct cl_hash32 bs, as, cb, ds, bb;
	struct cl_health h;
	struct cl_stf_view v;
	struct cl_address rcpt;

	new_env(&e);
	t_addr_hex(&rcpt, "0x00000000000000000000000000000000000000bb");
	deposit(&e, 0, 10000);   /* Alice */
	deposit(&e, 1, 1000000); /* Bob */
	deposit(&e, 2, 1000);    /* Carol */
	deposit(&e, 3, 1000000); /* Dave */

	bs = place(&e, 1, T_BTC, false, BTC_P(60000), BTC_1, 0);
	as = place(&e, 0, T_BTC, true, BTC_P(60000), BTC_1, 0);
	EXPECT_REJECT(&e, t_fill(&bs, &as, BTC_1), CL_STF_ERR_NO_MARK_PRICE);
	set_mark(&e, T_BTC, BTC_P(60000));
	check_open(&e, 0, &as, 1);
	EXPECT_OK(&e, t_fill(&bs, &as, BTC_1));
	check_open(&e, 0, NULL, 0);
	check_open(&e, 1, NULL, 0);
	BLAME(&e, CL_STF_BLAME_NONE);

	CHECK(account(&e, 0).collateral == 9970 * T_USD);
	CHECK(account(&e, 1).collateral == 1000000 * T_USD - 12 * T_USD);
	struct cl_stf_position p = position(&e, 0, T_BTC);
	CHECK(p.size == (int64_t)BTC_1 && p.cost == 60000 * T_USD);
	p = position(&e, 1, T_BTC);
	CHECK(p.size == -(int64_t)BTC_1 && p.cost == -60000 * T_USD);
	CHECK(globals(&e).fee_balance == 42 * T_USD);
	CHECK(market(&e, T_BTC).open_interest == BTC_1);
	CHECK(order(&e, &bs).status == CL_ORDER_FILLED &&
	      order(&e, &bs).filled == BTC_1);
	CHECK(order(&e, &as).status == CL_ORDER_FILLED);
	v = tenv_view(&e);
	CHECK(cl_stf_get_health(&v, &h, &e.addr[0]) == CL_OK);
	CHECK(h.equity == 9970 * T_USD && h.im == 1200 * T_USD &&
	      h.mm == 600 * T_USD);
	EXPECT_REJECT(&e, t_fill(&bs, &as, BTC_1), CL_STF_ERR_ORDER_NOT_OPEN);

	/* Carol cannot open 1 BTC on $1000: a resting order is refused
	 * when placed (IM $1,200), an IOC one (which never rests) when it
	 * fills */
	bs = place(&e, 1, T_BTC, false, BTC_P(60000), BTC_1, 0);
	{
		struct cl_order o = t_order(&e.addr[2], T_BTC, true,
					    BTC_P(60000), BTC_1,
					    e.order_nonce++,
					    tenv_now(&e) + 3600, 0);
		EXPECT_REJECT(&e, t_place(&e, &o, e.key[2]),
			      CL_STF_ERR_ORDER_MARGIN);
	}
	cb = place(&e, 2, T_BTC, true, BTC_P(60000), BTC_1, CL_TIF_IOC << 2);
	EXPECT_REJECT(&e, t_fill(&bs, &cb, BTC_1),
		      CL_STF_ERR_INSUFFICIENT_MARGIN);
	BLAME(&e, CL_STF_BLAME_TAKER);
	/* ... but 0.01 BTC is fine ($600 notional, $12 IM) */
	EXPECT_OK(&e, t_fill(&bs, &cb, BTC_1 / 100));
	CHECK(order(&e, &bs).status == CL_ORDER_OPEN &&
	      order(&e, &bs).filled == BTC_1 / 100);

	/* profit is not withdrawable: mark $70,000, IM $1,400 */
	tenv_block(&e, 1000);
	set_mark(&e, T_BTC, BTC_P(70000));
	v = tenv_view(&e);
	CHECK(cl_stf_get_health(&v, &h, &e.addr[0]) == CL_OK);
	CHECK(h.upnl == 10000 * T_USD && margin_withdrawable(&h) ==
						   8570 * T_USD);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 8570 * T_USD + 1,
				     0, e.key[0]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);

	/* mark $49,000: Alice is under maintenance (equity -1030, MM 490) */
	tenv_block(&e, 1000);
	set_mark(&e, T_BTC, BTC_P(49000));
	v = tenv_view(&e);
	CHECK(cl_stf_get_health(&v, &h, &e.addr[0]) == CL_OK);
	CHECK(h.equity == -1030 * T_USD && h.mm == 490 * T_USD);
	EXPECT_REJECT(&e, t_withdraw(&e, &e.addr[0], &rcpt, 1, 0, e.key[0]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	/* selling half at $40,000 lowers equity - MM: refused */
	ds = place(&e, 3, T_BTC, true, BTC_P(40000), BTC_1 / 2, 0);
	as = place(&e, 0, T_BTC, false, BTC_P(40000), BTC_1 / 2, 0);
	EXPECT_REJECT(&e, t_fill(&ds, &as, BTC_1 / 2),
		      CL_STF_ERR_INSUFFICIENT_MARGIN);
	BLAME(&e, CL_STF_BLAME_TAKER);
	/* selling half at the mark raises equity - MM: allowed, although
	 * equity stays below maintenance */
	ds = place(&e, 3, T_BTC, true, BTC_P(49000), BTC_1 / 2, 0);
	as = place(&e, 0, T_BTC, false, BTC_P(49000), BTC_1 / 2, 0);
	EXPECT_OK(&e, t_fill(&ds, &as, BTC_1 / 2));
	CHECK(account(&e, 0).collateral == 4457750000LL);
	p = position(&e, 0, T_BTC);
	CHECK(p.size == (int64_t)BTC_1 / 2 && p.cost == 30000 * T_USD);
	v = tenv_view(&e);
	CHECK(cl_stf_get_health(&v, &h, &e.addr[0]) == CL_OK);
	CHECK(h.equity == -1042250000LL && h.equity < h.mm);

	/* Bob buys back 0.1 above the mark: equity - MM falls, but equity
	 * stays above maintenance, so it is allowed */
	ds = place(&e, 3, T_BTC, false, BTC_P(55000), BTC_1 / 10, 0);
	bb = place(&e, 1, T_BTC, true, BTC_P(55000), BTC_1 / 10, 0);
	EXPECT_OK(&e, t_fill(&ds, &bb, BTC_1 / 10));
	p = position(&e, 1, T_BTC);
	CHECK(p.size == -(int64_t)(BTC_1 + BTC_1 / 100 - BTC_1 / 10));
	/* open interest is the total long size: Alice 0.5, Carol 0.01,
	 * Dave 0.4 */
	CHECK(market(&e, T_BTC).open_interest ==
	      BTC_1 / 2 + BTC_1 / 100 + BTC_1 / 2 - BTC_1 / 10);
	tenv_release(&e);
}

static void test_fill_rules(void)
{
	struct tenv e;
	struct cl_hash32 m1, t1, other, eth_s, eth_b, unknown, ioc, po, old;
	struct cl_order o;
	uint64_t now;

	new_env(&e);
	memset(unknown.b, 0x17, 32);
	for (int i = 0; i < 5; i++)
		deposit(&e, i, 1000000);
	set_mark(&e, T_BTC, BTC_P(60000));
	now = tenv_now(&e);

	old = place(&e, 0, T_BTC, true, BTC_P(60000), BTC_1, 0);
	m1 = place(&e, 1, T_BTC, false, BTC_P(60000), BTC_1, 0);
	t1 = place(&e, 0, T_BTC, true, BTC_P(61000), BTC_1, 0);
	EXPECT_REJECT(&e, t_fill(&m1, &unknown, BTC_1),
		      CL_STF_ERR_UNKNOWN_ORDER);
	EXPECT_REJECT(&e, t_fill(&unknown, &t1, BTC_1),
		      CL_STF_ERR_UNKNOWN_ORDER);
	/* roles: the maker must be the older order */
	EXPECT_REJECT(&e, t_fill(&t1, &m1, BTC_1), CL_STF_ERR_BAD_MAKER);
	BLAME(&e, CL_STF_BLAME_NONE);
	ioc = place(&e, 1, T_BTC, false, BTC_P(60000), BTC_1,
		    CL_TIF_IOC << 2);
	other = place(&e, 2, T_BTC, true, BTC_P(60000), BTC_1, 0);
	EXPECT_REJECT(&e, t_fill(&ioc, &other, BTC_1), CL_STF_ERR_BAD_MAKER);
	BLAME(&e, CL_STF_BLAME_MAKER);
	EXPECT_REJECT(&e, t_fill(&m1, &ioc, BTC_1), CL_STF_ERR_SAME_SIDE);
	EXPECT_REJECT(&e, t_fill(&old, &t1, BTC_1), CL_STF_ERR_SAME_SIDE);
	EXPECT_REJECT(&e, t_fill(&m1, &m1, BTC_1), CL_STF_ERR_SAME_SIDE);
	/* self trade */
	struct cl_hash32 self = place(&e, 1, T_BTC, true, BTC_P(60000), BTC_1,
				      0);
	EXPECT_REJECT(&e, t_fill(&m1, &self, BTC_1), CL_STF_ERR_SELF_TRADE);
	/* post-only may rest but not take */
	po = place(&e, 2, T_BTC, true, BTC_P(60000), BTC_1,
		   CL_ORDER_POST_ONLY);
	EXPECT_REJECT(&e, t_fill(&m1, &po, BTC_1),
		      CL_STF_ERR_POST_ONLY_TAKER);
	BLAME(&e, CL_STF_BLAME_TAKER);
	/* crossing */
	struct cl_hash32 low = place(&e, 2, T_BTC, true, BTC_P(59999), BTC_1,
				     0);
	EXPECT_REJECT(&e, t_fill(&m1, &low, BTC_1), CL_STF_ERR_NOT_CROSSING);
	BLAME(&e, CL_STF_BLAME_NONE);
	struct cl_hash32 high = place(&e, 3, T_BTC, false, BTC_P(60001),
				      BTC_1, 0);
	EXPECT_REJECT(&e, t_fill(&old, &high, BTC_1),
		      CL_STF_ERR_NOT_CROSSING);
	/* sizes */
	EXPECT_REJECT(&e, t_fill(&m1, &t1, 0), CL_STF_ERR_BAD_SIZE);
	EXPECT_REJECT(&e, t_fill(&m1, &t1, 150), CL_STF_ERR_OFF_STEP);
	EXPECT_REJECT(&e, t_fill(&m1, &t1, BTC_1 + 100),
		      CL_STF_ERR_FILL_TOO_LARGE);
	/* markets */
	eth_s = place(&e, 3, T_ETH, false, 300000, 100, 0);
	EXPECT_REJECT(&e, t_fill(&eth_s, &t1, 100),
		      CL_STF_ERR_MARKET_MISMATCH);
	eth_b = place(&e, 4, T_ETH, true, 300000, 100, 0);
	EXPECT_REJECT(&e, t_fill(&eth_s, &eth_b, 100),
		      CL_STF_ERR_NO_MARK_PRICE);

	/* a partial fill at the maker's price, then the rest */
	EXPECT_OK(&e, t_fill(&m1, &t1, BTC_1 / 4));
	CHECK(account(&e, 0).collateral ==
	      1000000 * T_USD - (15000 * T_USD * 500 / 1000000));
	EXPECT_REJECT(&e, t_fill(&m1, &t1, BTC_1 - BTC_1 / 4 + 100),
		      CL_STF_ERR_FILL_TOO_LARGE);
	EXPECT_OK(&e, t_fill(&m1, &t1, BTC_1 - BTC_1 / 4));
	CHECK(order(&e, &m1).status == CL_ORDER_FILLED);
	EXPECT_REJECT(&e, t_fill(&m1, &other, BTC_1),
		      CL_STF_ERR_ORDER_NOT_OPEN);
	BLAME(&e, CL_STF_BLAME_MAKER);
	EXPECT_REJECT(&e, t_fill(&old, &t1, BTC_1),
		      CL_STF_ERR_ORDER_NOT_OPEN);
	BLAME(&e, CL_STF_BLAME_TAKER);

	/* expiry: an order that lives two seconds */
	o = t_order(&e.addr[3], T_BTC, false, BTC_P(60000), BTC_1, 999,
		    now + 2, 0);
	EXPECT_OK(&e, t_place(&e, &o, e.key[3]));
	struct cl_hash32 short_lived = t_order_hash(&e, &o);
	struct cl_hash32 taker = place(&e, 4, T_BTC, true, BTC_P(60000),
				       BTC_1, 0);
	tenv_block(&e, 2000);
	EXPECT_REJECT(&e, t_fill(&short_lived, &taker, BTC_1),
		      CL_STF_ERR_EXPIRED);
	BLAME(&e, CL_STF_BLAME_MAKER);
	/* blame is only about the last refused fill */
	EXPECT_REJECT(&e, t_done(&short_lived, CL_DONE_IOC_REMAINDER),
		      CL_STF_ERR_BAD_REASON);
	BLAME(&e, CL_STF_BLAME_NONE);
	tenv_release(&e);
}

static void test_reduce_only_oi(void)
{
	struct tenv e;
	struct cl_hash32 mk, tk;

	new_env(&e);
	for (int i = 0; i < 4; i++)
		deposit(&e, i, 1000000);
	set_mark(&e, T_SOL, 100000); /* $100 */

	/* reduce-only on a flat account */
	mk = place(&e, 1, T_SOL, false, 100000, 100, 0);
	tk = place(&e, 0, T_SOL, true, 100000, 100, CL_ORDER_REDUCE_ONLY);
	EXPECT_REJECT(&e, t_fill(&mk, &tk, 100), CL_STF_ERR_REDUCE_ONLY);
	BLAME(&e, CL_STF_BLAME_TAKER);
	/* open a long of 100 units for account 0 */
	tk = place(&e, 0, T_SOL, true, 100000, 100, 0);
	EXPECT_OK(&e, t_fill(&mk, &tk, 100));
	/* a reduce-only buy would increase it */
	mk = place(&e, 1, T_SOL, false, 100000, 100, 0);
	tk = place(&e, 0, T_SOL, true, 100000, 100, CL_ORDER_REDUCE_ONLY);
	EXPECT_REJECT(&e, t_fill(&mk, &tk, 10), CL_STF_ERR_REDUCE_ONLY);
	/* a reduce-only sell may not go beyond the position (no flip) */
	mk = place(&e, 2, T_SOL, true, 100000, 200, 0);
	tk = place(&e, 0, T_SOL, false, 100000, 200, CL_ORDER_REDUCE_ONLY);
	EXPECT_REJECT(&e, t_fill(&mk, &tk, 101), CL_STF_ERR_REDUCE_ONLY);
	/* a reduce-only maker is held to the same rule */
	struct cl_hash32 rom = place(&e, 0, T_SOL, true, 100000, 100,
				     CL_ORDER_REDUCE_ONLY);
	struct cl_hash32 rot = place(&e, 3, T_SOL, false, 100000, 100, 0);
	EXPECT_REJECT(&e, t_fill(&rom, &rot, 10), CL_STF_ERR_REDUCE_ONLY);
	BLAME(&e, CL_STF_BLAME_MAKER);
	/* up to the position is fine */
	EXPECT_OK(&e, t_fill(&mk, &tk, 60));
	CHECK(position(&e, 0, T_SOL).size == 40);
	EXPECT_OK(&e, t_fill(&mk, &tk, 40));
	CHECK(position(&e, 0, T_SOL).size == 0);
	CHECK(position(&e, 0, T_SOL).cost == 0);

	/* the open interest cap: 150000 units of total long size */
	CHECK(market(&e, T_SOL).open_interest == 100);
	mk = place(&e, 1, T_SOL, false, 100000, 100000, 0);
	tk = place(&e, 3, T_SOL, true, 100000, 100000, 0);
	EXPECT_OK(&e, t_fill(&mk, &tk, 100000));
	CHECK(market(&e, T_SOL).open_interest == 100100);
	mk = place(&e, 1, T_SOL, false, 100000, 100000, 0);
	tk = place(&e, 2, T_SOL, true, 100000, 100000, 0);
	EXPECT_REJECT(&e, t_fill(&mk, &tk, 49901), CL_STF_ERR_OI_CAP);
	BLAME(&e, CL_STF_BLAME_NONE);
	EXPECT_OK(&e, t_fill(&mk, &tk, 49800));
	CHECK(market(&e, T_SOL).open_interest == 149900);
	/* a fill that moves longs between accounts is fine at the cap */
	struct cl_hash32 m2 = place(&e, 3, T_SOL, false, 100000, 1000, 0);
	struct cl_hash32 t2 = place(&e, 0, T_SOL, true, 100000, 1000, 0);
	CHECK(market(&e, T_SOL).open_interest == 149900);
	EXPECT_REJECT(&e, t_fill(&mk, &t2, 101), CL_STF_ERR_OI_CAP);
	EXPECT_OK(&e, t_fill(&m2, &t2, 1000));
	CHECK(market(&e, T_SOL).open_interest == 149900);
	tenv_release(&e);
}

static void test_order_done(void)
{
	struct tenv e;
	struct cl_hash32 gtc, ioc, fok, po, unknown, mk;
	struct cl_order o;

	new_env(&e);
	memset(unknown.b, 0x99, 32);
	deposit(&e, 0, 100000);
	deposit(&e, 1, 100000);
	set_mark(&e, T_ETH, 300000);
	mk = place(&e, 1, T_ETH, false, 300000, 40, 0);
	gtc = place(&e, 0, T_ETH, true, 300000, 100, 0);
	ioc = place(&e, 0, T_ETH, true, 300000, 100, CL_TIF_IOC << 2);
	fok = place(&e, 0, T_ETH, true, 300000, 100, CL_TIF_FOK << 2);
	po = place(&e, 0, T_ETH, true, 290000, 100, CL_ORDER_POST_ONLY);

	EXPECT_REJECT(&e, t_done(&unknown, CL_DONE_MARGIN),
		      CL_STF_ERR_UNKNOWN_ORDER);
	EXPECT_REJECT(&e, t_done(&gtc, CL_DONE_IOC_REMAINDER),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_REJECT(&e, t_done(&gtc, CL_DONE_FOK_UNFILLED),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_REJECT(&e, t_done(&gtc, CL_DONE_POST_ONLY_CROSS),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_REJECT(&e, t_done(&gtc, CL_DONE_EXPIRED),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_REJECT(&e, t_done(&ioc, CL_DONE_FOK_UNFILLED),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_REJECT(&e, t_done(&fok, CL_DONE_IOC_REMAINDER),
		      CL_STF_ERR_BAD_REASON);

	/* IOC: a partial fill, then the remainder is closed */
	EXPECT_OK(&e, t_fill(&mk, &ioc, 40));
	EXPECT_OK(&e, t_done(&ioc, CL_DONE_IOC_REMAINDER));
	CHECK(order(&e, &ioc).status == CL_ORDER_DONE &&
	      order(&e, &ioc).filled == 40);
	EXPECT_REJECT(&e, t_done(&ioc, CL_DONE_IOC_REMAINDER),
		      CL_STF_ERR_ORDER_NOT_OPEN);
	EXPECT_REJECT(&e, t_fill(&mk, &ioc, 10), CL_STF_ERR_ORDER_NOT_OPEN);
	EXPECT_OK(&e, t_done(&fok, CL_DONE_FOK_UNFILLED));
	EXPECT_OK(&e, t_done(&po, CL_DONE_POST_ONLY_CROSS));
	EXPECT_OK(&e, t_done(&gtc, CL_DONE_SELF_TRADE));
	struct cl_hash32 g2 = place(&e, 0, T_ETH, true, 300000, 100, 0);
	EXPECT_OK(&e, t_done(&g2, CL_DONE_MARGIN));


	/* expiry: only once it has really passed */
	o = t_order(&e.addr[0], T_ETH, true, 300000, 100, 4242,
		    tenv_now(&e) + 1, 0);
	EXPECT_OK(&e, t_place(&e, &o, e.key[0]));
	struct cl_hash32 sh = t_order_hash(&e, &o);
	EXPECT_REJECT(&e, t_done(&sh, CL_DONE_EXPIRED),
		      CL_STF_ERR_BAD_REASON);
	tenv_block(&e, 999);
	EXPECT_REJECT(&e, t_done(&sh, CL_DONE_EXPIRED),
		      CL_STF_ERR_BAD_REASON);
	tenv_block(&e, 1);
	EXPECT_OK(&e, t_done(&sh, CL_DONE_EXPIRED));
	CHECK(order(&e, &sh).status == CL_ORDER_DONE);
	/* a cancelled order is not open either */
	struct cl_hash32 c = place(&e, 0, T_ETH, true, 300000, 100, 0);
	EXPECT_OK(&e, t_cancel(&e, &e.addr[0], &c, e.key[0]));
	EXPECT_REJECT(&e, t_done(&c, CL_DONE_MARGIN),
		      CL_STF_ERR_ORDER_NOT_OPEN);
	tenv_release(&e);
}

/* A FOK taker with a partial fill may not be reported unfilled. */
static void test_done_fok_filled(void)
{
	struct tenv e;
	struct cl_hash32 mk, fok;

	new_env(&e);
	deposit(&e, 0, 100000);
	deposit(&e, 1, 100000);
	set_mark(&e, T_ETH, 300000);
	mk = place(&e, 1, T_ETH, false, 300000, 40, 0);
	fok = place(&e, 0, T_ETH, true, 300000, 100, CL_TIF_FOK << 2);
	EXPECT_OK(&e, t_fill(&mk, &fok, 40));
	EXPECT_REJECT(&e, t_done(&fok, CL_DONE_FOK_UNFILLED),
		      CL_STF_ERR_BAD_REASON);
	EXPECT_OK(&e, t_done(&fok, CL_DONE_MARGIN));
	tenv_release(&e);
}

static void test_overflow_fill(void)
{
	struct tenv e;
	struct cl_hash32 mk, tk;
	uint64_t huge = (UINT64_MAX / 100) * 100;

	new_env(&e);
	deposit(&e, 0, 1000000);
	deposit(&e, 1, 1000000);
	set_mark(&e, T_BTC, BTC_P(60000));
	mk = place(&e, 1, T_BTC, false, huge, 10000000, 0);
	tk = place(&e, 0, T_BTC, true, huge, 10000000, 0);
	EXPECT_REJECT(&e, t_fill(&mk, &tk, 10000000), CL_STF_ERR_OVERFLOW);
	tenv_release(&e);
}

static void test_blocks(void)
{
	struct tenv e;
	struct cl_block_header h;
	struct cl_hash32 before;
	struct cl_stf_globals g;

	new_env(&e);
	deposit(&e, 0, 5);
	tenv_block(&e, 100);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	before = e.root;

	h.number = e.number + 2;
	h.timestamp_ms = e.ms;
	h.prev_root = e.root;
	h.l1 = t_l1_at(e.ms);
	CHECK(cl_stf_begin_block(e.stf, &h) == CL_STF_ERR_BAD_BLOCK);
	h.number = e.number;
	CHECK(cl_stf_begin_block(e.stf, &h) == CL_STF_ERR_BAD_BLOCK);
	h.number = e.number + 1;
	h.timestamp_ms = e.ms - 1;
	CHECK(cl_stf_begin_block(e.stf, &h) == CL_STF_ERR_BAD_BLOCK);
	h.timestamp_ms = e.ms;
	h.prev_root.b[5] ^= 1;
	CHECK(cl_stf_begin_block(e.stf, &h) == CL_STF_ERR_BAD_BLOCK);
	t_commit(&e);
	CHECK(memcmp(before.b, e.root.b, 32) == 0);
	t_seen_code[CL_STF_ERR_BAD_BLOCK] = true;

	/* the same timestamp is fine */
	h.prev_root = e.root;
	CHECK(cl_stf_begin_block(e.stf, &h) == CL_STF_OK);
	e.number++;
	e.in_block = true;
	g = globals(&e);
	CHECK(g.block_number == e.number && g.block_timestamp_ms == e.ms);
	struct cl_hash32 gh;
	cl_genesis_hash(&gh, &e.g);
	CHECK(memcmp(g.genesis_hash.b, gh.b, 32) == 0);

	/* a state of another chain is refused */
	struct cl_genesis other = e.g;
	struct cl_stf *s2;
	other.l1_chain_id = 1;
	CHECK(cl_stf_new(&s2, e.st, &other) == CL_ERR_CONFIG && !s2);
	CHECK(cl_stf_new(&s2, e.st, &e.g) == CL_OK && cl_stf_initialized(s2));
	cl_stf_free(s2);
	other = e.g;
	other.oracle_quorum = 4;
	CHECK(cl_stf_new(&s2, e.st, &other) == CL_ERR_CONFIG);
	tenv_release(&e);
}

int main(void)
{
	test_deposit();
	test_place();
	test_agents();
	test_cancel();
	test_oracle();
	test_withdraw();
	test_fill_margin();
	test_fill_rules();
	test_reduce_only_oi();
	test_order_done();
	test_done_fok_filled();
	test_overflow_fill();
	test_blocks();
	for (int c = 1; c <= CL_STF_ERR_BAD_BLOCK; c++)
		CHECK_MSG(t_seen_code[c], "reject code %d (%s) not tested", c,
			  cl_stf_err_str(c));
	return test_done("test_stf");
}
