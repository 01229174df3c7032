/* SPDX-License-Identifier: MIT */
/*
 * The book side of the risk engine (src/stf/liq_book.c) on the real stf,
 * on the memory backend and on LMDB (the roots of both must agree):
 *
 *  - LIQUIDATE_FILL: every reject code in rule order, each leaving the
 *    root unchanged, with the blame the sequencer acts on; a long and a
 *    short below maintenance filled against a resting order exactly at
 *    cl_stf_liquidation_limit() (accepted) and one tick worse (refused,
 *    BEYOND_LIMIT), with every figure checked to the atom: collateral,
 *    liquidation fee (also the case where it is capped at the equity
 *    left, and a whole position closed to collateral 0), the maker's
 *    position and fee, insurance balance, open interest, last trade, the
 *    event, the ADL scores of both sides current; an account in two
 *    markets (equity share pro rata); the same with funding pending;
 *  - FUND_FILL: the fund inherits a slice through LIQUIDATE and unwinds
 *    it at the edge of the mark band (cl_stf_fund_unwind_limit()) and
 *    not one tick beyond; its balance moves by the realised PnL exactly;
 *    the event is logged under the zero address; every reject code (the
 *    one needing a position without a mark on a crafted state); with
 *    funding, the fund's funding is settled first;
 *  - REINDEX: the committed ADL ranking is stale after a price move and
 *    current after a REINDEX, which changes nothing committed but
 *    ADL_RANK; an ADL must then name the new top; the local liquidation
 *    index of a two-market account follows too;
 *  - cl_stf_multi_market_accounts(): exactly the accounts in two markets
 *    or more, in address order, after a cursor, kept up to date.
 *
 * After each block the invariants of test_risk.c hold (t_invariants):
 * collateral conserved to the atom, positions (the fund's included) net
 * to zero per market, open interest and funding snapshots add up.
 *
 * Units (stf_util.h): BTC prices in cents (tick $1), sizes in 1e-5 BTC
 * (step 0.001 BTC), a notional is price * size / 10 atoms ($1 = 1e6).
 */
#include "stf_util.h"

#define BTC_P(usd) ((uint64_t)(usd) * 100)
#define BTC_SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */
#define BTC_TICK 100
#define ETH_P(usd) ((uint64_t)(usd) * 100)
#define SOL_P(usd) ((uint64_t)(usd) * 1000)
#define IOC_FLAG ((uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT))

enum backend { B_MEMORY, B_LMDB };
static const char *const backend_name[2] = {"memory", "lmdb"};

static struct t_lmdb lmdb;
static enum backend cur_backend;
static __int128 net_in; /* deposits - withdrawals of the scenario */

/* A refusal with the side the sequencer should blame for it. */
#define EXPECT_REJECT_BY(e, tx, code, who)                                 \
	do {                                                               \
		EXPECT_REJECT(e, tx, code);                                \
		CHECK_MSG(cl_stf_fill_blame((e)->stf) == (who),            \
			  "%s: blame %d, want %d", cl_stf_err_str(code),   \
			  (int)cl_stf_fill_blame((e)->stf), (int)(who));   \
	} while (0)

/* The risk parameters of test_risk.c, funding every hour (so none
 * accrues within a scenario and the figures stay exact). */
static void liq_genesis(struct cl_genesis *g)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		t_risk_on(&g->markets[i]);
}

/* ... with funding every minute: it accrues between blocks. */
static void funding_genesis(struct cl_genesis *g)
{
	liq_genesis(g);
	g->funding_interval = 60;
}

static void start_with(struct tenv *e, enum backend b,
		       void (*tweak)(struct cl_genesis *))
{
	struct cl_state *st = b == B_LMDB ? t_lmdb_open(&lmdb) :
					    cl_state_new_memory();

	if (!st)
		abort();
	cur_backend = b;
	net_in = 0;
	tenv_init_with(e, st, tweak);
	tenv_block(e, 1000);
}

static void start(struct tenv *e, enum backend b)
{
	start_with(e, b, liq_genesis);
}

/* Seal the last block and return its root. */
static struct cl_hash32 finish(struct tenv *e)
{
	struct cl_hash32 root;

	cl_stf_end_block(e->stf);
	t_commit(e);
	root = e->root;
	tenv_release(e);
	if (cur_backend == B_LMDB)
		t_lmdb_close(&lmdb);
	return root;
}

static void checked_block(struct tenv *e, uint64_t ms, const char *where)
{
	t_invariants(e, where, net_in);
	tenv_block(e, ms);
	t_invariants(e, where, net_in);
}

static void deposit(struct tenv *e, int who, int64_t amount)
{
	EXPECT_OK(e, t_deposit(e->next_deposit++, &e->addr[who],
			       (uint64_t)amount));
	net_in += amount;
}

/* Place a signed order of account `who` (expiry 0: in an hour). */
static struct cl_hash32 place(struct tenv *e, int who, uint32_t market,
			      bool is_buy, uint64_t price, uint64_t size,
			      uint64_t expiry, uint8_t flags)
{
	struct cl_order o = t_order(&e->addr[who], market, is_buy, price,
				    size, e->order_nonce++,
				    expiry ? expiry : tenv_now(e) + 3600,
				    flags);

	EXPECT_OK(e, t_place(e, &o, e->key[who]));
	return t_order_hash(e, &o);
}

/* Crafted state: `who`'s collateral becomes `amount`, as losses
 * elsewhere could leave it (the invariants follow through net_in). A
 * resting order reserves its margin when it is placed, so a maker that
 * cannot afford its fill must have lost money after placing it. */
static void craft_collateral(struct tenv *e, int who, int64_t amount)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account a;
	uint8_t b[16];

	CHECK(cl_stf_get_account(&v, &a, &e->addr[who]) == CL_OK);
	net_in += (__int128)amount - a.collateral;
	cl_put_be64(b, (uint64_t)amount);
	cl_put_be64(b + 8, a.nonce);
	cl_state_put(e->st, CL_TABLE_ACCOUNTS, e->addr[who].b, 20, b,
		     sizeof(b));
}

/* `who` opens (or adds to) a position against account `cp`. */
static void open_pos(struct tenv *e, int who, int cp, bool is_long,
		     uint32_t market, uint64_t price, uint64_t size)
{
	int rc = is_long ? t_trade(e, &e->addr[who], e->key[who], &e->addr[cp],
				   e->key[cp], market, price, size) :
			   t_trade(e, &e->addr[cp], e->key[cp], &e->addr[who],
				   e->key[who], market, price, size);
	CHECK_MSG(rc == CL_STF_OK, "open %d: %s", who, cl_stf_err_str(rc));
}

static int64_t coll_of(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	int rc = cl_stf_get_account(&v, &acc, a);

	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return acc.collateral;
}

/* The position of `a` in `market`; zero when flat. */
static struct cl_stf_position pos_of(struct tenv *e,
				     const struct cl_address *a,
				     uint32_t market)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS], out = {0};
	size_t n;

	CHECK(cl_stf_get_positions(&v, pos, &n, a) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (pos[i].market == market)
			out = pos[i];
	return out;
}

static struct cl_stf_globals globals(struct tenv *e)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_globals g;

	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	return g;
}

/* The events of `a`; *n gets the count. */
static void events(struct tenv *e, const struct cl_address *a,
		   struct cl_stf_event *ev, size_t cap, size_t *n)
{
	struct cl_stf_view v = tenv_view(e);

	CHECK(cl_stf_get_events(&v, ev, cap, n, a, 0) == CL_OK);
}

static struct cl_order_record order_of(struct tenv *e,
				       const struct cl_hash32 *h)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_order_record o;

	CHECK(cl_stf_get_order(&v, &o, h) == CL_OK);
	return o;
}

/* The ADL scores of the n accounts are current (a transaction re-indexed
 * them): a REINDEX of them changes no committed byte. */
static void scores_current(struct tenv *e, const struct cl_address *a,
			   uint32_t n, const char *where)
{
	struct cl_hash32 r0;

	t_commit(e);
	r0 = e->root;
	EXPECT_OK(e, t_reindex(a, n));
	t_commit(e);
	CHECK_MSG(memcmp(r0.b, e->root.b, 32) == 0, "%s: stale ADL scores",
		  where);
}

/* Is `a` in the committed ADL ranking of `side` of BTC? */
static bool ranked(struct tenv *e, const struct cl_address *a, uint8_t side)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_address r[32];
	bool found = false;
	size_t n;

	CHECK(cl_stf_adl_ranking(&v, r, 32, &n, T_BTC, side) == CL_OK);
	for (size_t i = 0; i < n; i++)
		found |= cl_address_eq(&r[i], a);
	return found;
}

/* ------------------------------------------------------------------ */
/* LIQUIDATE_FILL and FUND_FILL, for a long and for a short            */
/* ------------------------------------------------------------------ */

/*
 * The figures of one direction, worked out by hand (docs/liquidation.md
 * "Worked example" and its mirror image). The account `A1` holds 1 BTC
 * opened at $60,000 with $2,070 collateral; the mark moves 2.5 % against
 * it: E = $570, N = $58,500 ($61,500). The largest slice is 0.25 BTC:
 *   long:  n_q = 14 625 000 000, e_q = 142 500 000, F = n_q - e_q
 *          = 14 482 500 000 = 0.25 BTC at $57,930 exactly;
 *   short: n_q = 15 375 000 000, e_q = 142 500 000, F = n_q + e_q
 *          = 15 517 500 000 = 0.25 BTC at $62,070 exactly.
 * The fill realises 517 500 000 of loss either way; the fee is 0.5 % of
 * F. `A2` is the same position with $1,550 (E = $50): its limit is
 * $58,450 ($61,550), its equity after the fill 37 500 000, below the fee,
 * which is capped there: A2 ends at collateral 1 125 000 000, equity 0.
 * The fund then takes A1's next slice, 0.188 BTC (18 800 units) at the
 * mark (cost 10 998 000 000 long, -11 562 000 000 short). At the
 * mark of $58,500 ($61,500) the band edge, mark -+ 0.5 % = $58,207.50
 * ($61,807.50), is off the tick grid: cl_stf_fund_unwind_limit rounds it
 * towards the mark, $58,208 ($61,807). The index then moves to $58,400
 * ($61,600), whose edge $58,108 ($61,908) is on the grid, and the fund
 * unwinds 0.1 BTC there: at the edge itself, not one tick beyond.
 */
struct dir {
	const char *name;
	bool lng;           /* the liquidated accounts are long */
	uint64_t price;     /* the mark after the move */
	uint64_t limit1;    /* cl_stf_liquidation_limit of A1 (and A2) */
	int64_t notional1;  /* the fill at limit1 = F */
	int64_t fee1;       /* ceil(F * 0.5 %) */
	int64_t mfee1;      /* the maker's fee, ceil(F * 0.02 %) */
	int64_t coll1;      /* A1's collateral after the fill and fee */
	uint64_t limit2;
	int64_t notional2;
	int64_t fee2_full;  /* the fee A2 would owe uncapped */
	int64_t mfee2;
	int64_t fund_cost;  /* the fund's cost of its 18 800 units */
	uint64_t band0;     /* cl_stf_fund_unwind_limit at `price` */
	uint64_t price2;    /* the mark of the unwind */
	uint64_t band;      /* cl_stf_fund_unwind_limit at price2 */
	int64_t fnotional;  /* 10 000 units at the band edge */
	int64_t frealised;  /* the fund's PnL on them */
	int64_t fmfee;      /* the maker's fee on them */
	int64_t mk_realised; /* the maker's (A0's) PnL on them */
};

static const struct dir dirs[2] = {
	{"long", true, BTC_P(58500), BTC_P(57930), 14482500000, 72412500,
	 2896500, 1480087500, BTC_P(58450), 14612500000, 73062500, 2922500,
	 10998000000, BTC_P(58208), BTC_P(58400), BTC_P(58108), 5810800000,
	 -39200000, 1162160, 189200000},
	{"short", false, BTC_P(61500), BTC_P(62070), 15517500000, 77587500,
	 3103500, 1474912500, BTC_P(61550), 15387500000, 76937500, 3077500,
	 -11562000000, BTC_P(61807), BTC_P(61600), BTC_P(61908), 6190800000,
	 -40800000, 1238160, 190800000},
};

enum { MK = 0, A1, A2, A3, A4, A5, A6, A7, A8 };

/* A price one tick worse for the side closing a position of `d`: lower
 * for a bid (long accounts sell), higher for an ask. */
static uint64_t worse(const struct dir *d, uint64_t p)
{
	return d->lng ? p - BTC_TICK : p + BTC_TICK;
}

/* The resting orders of the scenario (hashes). */
struct book {
	struct cl_hash32 exp, hb1, hb1w, hb2, hb2w, h8, small, big, same,
		self, eth, cancelled, ioc, ro, poor, unknown;
	struct cl_hash32 f_edge, f_beyond, f_big, f_ro, f_poor, f_rest;
};

/*
 * MK (0) is a deep market maker and the counterparty of every opening;
 * A1 and A2 are the accounts of `struct dir`; A3 is healthy (0.1 BTC,
 * $20,000); A4 is about A1 plus a small ETH position; A5 a flat maker with
 * money; A6 has collateral but no position; A7 a maker left with $50
 * after placing its orders; A8
 * holds one step (0.001 BTC) like A1: its slice is the whole position.
 */
static void book_setup(struct tenv *e, const struct dir *d, struct book *b)
{
	/* opening 1 BTC costs a taker fee of $30 (buyer) or a maker fee of
	 * $12 (seller): deposit so that the collateral is exact */
	int64_t open_fee = d->lng ? 30 * T_USD : 12 * T_USD;
	bool mk_buy = d->lng; /* the side of the orders liquidations hit */

	CHECK(t_oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	deposit(e, MK, 10000000 * T_USD);
	deposit(e, A1, 2070 * T_USD + open_fee);
	deposit(e, A2, 1550 * T_USD + open_fee);
	deposit(e, A3, 20000 * T_USD);
	deposit(e, A4, 2100 * T_USD);
	deposit(e, A5, 1000000 * T_USD);
	deposit(e, A6, 1000 * T_USD);
	deposit(e, A7, 50 * T_USD);
	deposit(e, A8, 2070000 + open_fee / 1000);
	open_pos(e, A1, MK, d->lng, T_BTC, BTC_P(60000), BTC_SZ(1000));
	open_pos(e, A2, MK, d->lng, T_BTC, BTC_P(60000), BTC_SZ(1000));
	open_pos(e, A3, MK, d->lng, T_BTC, BTC_P(60000), BTC_SZ(100));
	open_pos(e, A4, MK, d->lng, T_BTC, BTC_P(60000), BTC_SZ(1000));
	open_pos(e, A4, MK, d->lng, T_ETH, ETH_P(3000), 10);
	open_pos(e, A8, MK, d->lng, T_BTC, BTC_P(60000), BTC_SZ(1));
	CHECK(coll_of(e, &e->addr[A1]) == 2070 * T_USD);
	CHECK(coll_of(e, &e->addr[A2]) == 1550 * T_USD);
	CHECK(coll_of(e, &e->addr[A8]) == 2070000);
	/* A1's own resting order, placed while A1 could still afford it
	 * (IM $1,500 of equity $2,070); it rests through the price move */
	b->self = place(e, A1, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0, 0);
	/* expires before the next block */
	b->exp = place(e, A5, T_BTC, mk_buy, d->price, BTC_SZ(250),
		       tenv_now(e) + 1, 0);
	checked_block(e, 2000, d->name);

	/* -2.5 % (+2.5 %): within the breaker; the premium is 0, so the
	 * mark is the index */
	CHECK(t_oracle_all(e, T_BTC, d->price) == CL_STF_OK);
	CHECK(t_mkt(e, T_BTC).mark_price == d->price);
	CHECK(t_mkt(e, T_BTC).open_interest == BTC_SZ(3101));

	b->hb1 = place(e, MK, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0, 0);
	b->hb1w = place(e, MK, T_BTC, mk_buy, worse(d, d->limit1),
			BTC_SZ(250), 0, 0);
	b->hb2 = place(e, MK, T_BTC, mk_buy, d->limit2, BTC_SZ(250), 0, 0);
	b->hb2w = place(e, MK, T_BTC, mk_buy, worse(d, d->limit2),
			BTC_SZ(250), 0, 0);
	b->h8 = place(e, MK, T_BTC, mk_buy, d->limit1, BTC_SZ(1), 0, 0);
	b->small = place(e, MK, T_BTC, mk_buy, d->limit1, BTC_SZ(100), 0, 0);
	b->big = place(e, MK, T_BTC, mk_buy, d->limit1, BTC_SZ(500), 0, 0);
	b->same = place(e, MK, T_BTC, !mk_buy, d->price, BTC_SZ(250), 0, 0);
	b->eth = place(e, A5, T_ETH, mk_buy, ETH_P(3000), 10, 0, 0);
	b->cancelled = place(e, A5, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0,
			     0);
	EXPECT_OK(e, t_cancel(e, &e->addr[A5], &b->cancelled, e->key[A5]));
	b->ioc = place(e, A5, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0,
		       IOC_FLAG);
	b->ro = place(e, A5, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0,
		      CL_ORDER_REDUCE_ONLY);
	craft_collateral(e, A7, 1000 * T_USD);
	b->poor = place(e, A7, T_BTC, mk_buy, d->limit1, BTC_SZ(250), 0, 0);
	craft_collateral(e, A7, 50 * T_USD);
	cl_keccak256(b->unknown.b, "no such order", 13);
}

/* cl_stf_liquidation_limit on the accounts of the scenario. */
static void limits(struct tenv *e, const struct dir *d)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_account_risk r;
	uint64_t lim, q;
	bool buy;

	CHECK(cl_stf_get_account_risk(&v, &r, &e->addr[A1]) == CL_OK);
	CHECK(r.liquidatable && r.health.equity == 570 * T_USD);
	q = 0; /* the largest slice */
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_OK);
	CHECK_MSG(lim == d->limit1 && q == BTC_SZ(250) && buy == !d->lng,
		  "%s: limit %llu size %llu", d->name,
		  (unsigned long long)lim, (unsigned long long)q);
	/* a part of the slice has the same bankruptcy price here */
	q = BTC_SZ(100);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_OK);
	CHECK(lim == d->limit1 && q == BTC_SZ(100));
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A2], T_BTC,
				       &q) == CL_OK);
	CHECK_MSG(lim == d->limit2 && q == BTC_SZ(250), "%s: limit2 %llu",
		  d->name, (unsigned long long)lim);
	/* one step: the slice is the whole position, n_q = N, e_q = E */
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A8], T_BTC,
				       &q) == CL_OK);
	CHECK(lim == d->limit1 && q == BTC_SZ(1));
	/* the rules of LIQUIDATE, as codes; no limit */
	q = BTC_SZ(260);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_STF_ERR_SLICE_TOO_LARGE &&
	      lim == 0);
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A3], T_BTC,
				       &q) == CL_STF_ERR_NOT_LIQUIDATABLE);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A6], T_BTC,
				       &q) == CL_STF_ERR_NO_POSITION);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A4], T_ETH,
				       &q) == CL_STF_ERR_NOT_RISKIEST);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], 99,
				       &q) == CL_STF_ERR_UNKNOWN_MARKET);
	if (cur_backend == B_LMDB) {
		/* the same from a snapshot of the committed state */
		struct cl_snapshot *snap;
		t_commit(e);
		CHECK(cl_snapshot_new(&snap, lmdb.db) == CL_OK);
		struct cl_stf_view sv = {.genesis = cl_stf_genesis(e->stf),
					 .snapshot = snap};
		q = 0;
		CHECK(cl_stf_liquidation_limit(&sv, &lim, &buy, &e->addr[A1],
					       T_BTC, &q) == CL_OK &&
		      lim == d->limit1 && q == BTC_SZ(250));
		cl_snapshot_free(snap);
	}
}

/* Every refusal of LIQUIDATE_FILL, in the order of the rules. */
static void liquidate_fill_rejects(struct tenv *e, const struct book *b)
{
	const struct cl_address *a1 = &e->addr[A1];
	const uint64_t q = BTC_SZ(250);

	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->hb1, 0),
			 CL_STF_ERR_BAD_SIZE, CL_STF_BLAME_NONE);
	/* an unknown hash is nobody's state (as for FILL, and the
	 * sequencer could not close it with ORDER_DONE): no blame */
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->unknown, q),
			 CL_STF_ERR_UNKNOWN_ORDER, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->cancelled, q),
			 CL_STF_ERR_ORDER_NOT_OPEN, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->exp, q),
			 CL_STF_ERR_EXPIRED, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->ioc, q),
			 CL_STF_ERR_BAD_MAKER, CL_STF_BLAME_MAKER);
	/* the rules of LIQUIDATE */
	EXPECT_REJECT_BY(e, t_liquidate_fill(&e->addr[A6], &b->hb1, q),
			 CL_STF_ERR_NO_POSITION, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(&e->addr[A3], &b->hb1,
					     BTC_SZ(25)),
			 CL_STF_ERR_NOT_LIQUIDATABLE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(&e->addr[A4], &b->eth, 10),
			 CL_STF_ERR_NOT_RISKIEST, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->big, q + BTC_SZ(1)),
			 CL_STF_ERR_SLICE_TOO_LARGE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->big, q - 1),
			 CL_STF_ERR_OFF_STEP, CL_STF_BLAME_NONE);
	/* the book */
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->same, q),
			 CL_STF_ERR_SAME_SIDE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->self, q),
			 CL_STF_ERR_SELF_TRADE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->small, q),
			 CL_STF_ERR_FILL_TOO_LARGE, CL_STF_BLAME_NONE);
	/* one tick beyond the bankruptcy price */
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->hb1w, q),
			 CL_STF_ERR_BEYOND_LIMIT, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_liquidate_fill(&e->addr[A2], &b->hb2w, q),
			 CL_STF_ERR_BEYOND_LIMIT, CL_STF_BLAME_NONE);
	/* the maker's own rules: reduce-only, margin */
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->ro, q),
			 CL_STF_ERR_REDUCE_ONLY, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_liquidate_fill(a1, &b->poor, q),
			 CL_STF_ERR_INSUFFICIENT_MARGIN, CL_STF_BLAME_MAKER);
}

/* A1 and A2 filled exactly at their limits. */
static void liquidate_fill_accepts(struct tenv *e, const struct dir *d,
				   const struct book *b)
{
	const struct cl_address *a1 = &e->addr[A1], *a2 = &e->addr[A2];
	const int64_t s = d->lng ? 1 : -1; /* the accounts' sign */
	const int64_t q = (int64_t)BTC_SZ(250);
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_globals g0 = globals(e), g1;
	int64_t mk_coll0 = coll_of(e, &e->addr[MK]);
	struct cl_stf_position mk0 = pos_of(e, &e->addr[MK], T_BTC), p;
	struct cl_stf_event ev[8];
	struct cl_health h;
	size_t n;

	CHECK(g0.insurance_balance == 0);
	EXPECT_OK(e, t_liquidate_fill(a1, &b->hb1, (uint64_t)q));
	/* the account: closed at the maker's price, no taker fee, the
	 * liquidation fee to the fund */
	p = pos_of(e, a1, T_BTC);
	CHECK(p.size == s * 75000 && p.cost == s * 45000 * T_USD);
	CHECK_MSG(coll_of(e, a1) == d->coll1, "%s: A1 collateral %lld",
		  d->name, (long long)coll_of(e, a1));
	CHECK(d->coll1 == 2070 * T_USD - 517500000 - d->fee1);
	g1 = globals(e);
	CHECK(g1.insurance_balance == d->fee1);
	CHECK(g1.fee_balance == g0.fee_balance + d->mfee1);
	/* the maker reduced its opposite position by q at F */
	p = pos_of(e, &e->addr[MK], T_BTC);
	CHECK(p.size == mk0.size + s * q);
	CHECK(coll_of(e, &e->addr[MK]) == mk_coll0 + 517500000 - d->mfee1);
	CHECK(order_of(e, &b->hb1).status == CL_ORDER_FILLED);
	CHECK(t_mkt(e, T_BTC).open_interest == BTC_SZ(2851));
	CHECK(t_mkt(e, T_BTC).last_trade_price == d->limit1);
	CHECK(t_mkt(e, T_BTC).last_trade_time == tenv_now(e));
	events(e, a1, ev, 8, &n);
	CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
	      ev[0].market == T_BTC && ev[0].size == -s * q &&
	      ev[0].flow == s * d->notional1 && ev[0].equity_share == 0 &&
	      ev[0].fee == d->fee1 && ev[0].block == e->number &&
	      cl_address_eq(&ev[0].other, &e->addr[MK]));
	t_invariants(e, "liquidate_fill A1", net_in);
	{
		struct cl_address both[2] = {*a1, e->addr[MK]};
		scores_current(e, both, 2, "liquidate_fill A1");
	}

	/* A2: the equity left (37.5 $) is below the fee: capped there */
	EXPECT_OK(e, t_liquidate_fill(a2, &b->hb2, (uint64_t)q));
	p = pos_of(e, a2, T_BTC);
	CHECK(p.size == s * 75000 && p.cost == s * 45000 * T_USD);
	CHECK_MSG(coll_of(e, a2) == 1125 * T_USD, "%s: A2 collateral %lld",
		  d->name, (long long)coll_of(e, a2));
	CHECK(cl_stf_get_health(&v, &h, a2) == CL_OK && h.equity == 0);
	CHECK(d->fee2_full > 37500000);
	g0 = g1;
	g1 = globals(e);
	CHECK(g1.insurance_balance == g0.insurance_balance + 37500000);
	CHECK(g1.fee_balance == g0.fee_balance + d->mfee2);
	CHECK(t_mkt(e, T_BTC).open_interest == BTC_SZ(2601));
	CHECK(t_mkt(e, T_BTC).last_trade_price == d->limit2);
	events(e, a2, ev, 8, &n);
	CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
	      ev[0].fee == 37500000 && ev[0].flow == s * d->notional2 &&
	      ev[0].size == -s * q);
	t_invariants(e, "liquidate_fill A2", net_in);
	{
		struct cl_address both[2] = {*a2, e->addr[MK]};
		scores_current(e, both, 2, "liquidate_fill A2");
	}

	/* A8: the whole position at its bankruptcy price ($57.93 for
	 * 0.001 BTC, or $62.07): collateral 0, no fee, flat, gone from the
	 * ranking and the index */
	EXPECT_OK(e, t_liquidate_fill(&e->addr[A8], &b->h8, BTC_SZ(1)));
	CHECK(pos_of(e, &e->addr[A8], T_BTC).size == 0);
	CHECK(coll_of(e, &e->addr[A8]) == 0);
	CHECK(t_mkt(e, T_BTC).open_interest == BTC_SZ(2600));
	events(e, &e->addr[A8], ev, 8, &n);
	CHECK(n == 1 && ev[0].fee == 0 &&
	      ev[0].flow == s * (d->lng ? 57930000 : 62070000) &&
	      ev[0].size == -s * (int64_t)BTC_SZ(1));
	{
		struct cl_address cand[16];
		size_t nc;
		bool found = ranked(e, &e->addr[A8], d->lng ? 0 : 1);
		CHECK(cl_stf_liquidation_candidates(&v, T_BTC,
						    d->lng ? 1 : UINT64_MAX,
						    cand, 16, &nc) == CL_OK);
		for (size_t i = 0; i < nc; i++)
			found |= cl_address_eq(&cand[i], &e->addr[A8]);
		CHECK(!found);
	}
	EXPECT_REJECT_BY(e, t_liquidate_fill(&e->addr[A8], &b->hb1w,
					     BTC_SZ(1)),
			 CL_STF_ERR_NO_POSITION, CL_STF_BLAME_NONE);
	t_invariants(e, "liquidate_fill A8", net_in);
}

static void fund_unwind(struct tenv *e, const struct dir *d, struct book *b)
{
	static const struct cl_address zero;
	const int64_t s = d->lng ? 1 : -1;
	const bool mk_buy = d->lng;
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_globals g0, g1;
	struct cl_stf_position p, mk0;
	struct cl_stf_event ev[8];
	struct cl_market_state ms;
	uint64_t size, lim, q;
	int64_t mk_coll0, cost_left;
	bool buy;
	size_t n;

	/* no position yet */
	CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim, T_BTC) ==
		      CL_OK &&
	      size == 0 && lim == 0);
	CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim, 99) ==
	      CL_STF_ERR_UNKNOWN_MARKET);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->hb1w, BTC_SZ(100)),
			 CL_STF_ERR_NO_POSITION, CL_STF_BLAME_NONE);

	/* the fund takes A1's next slice */
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_OK);
	CHECK(q == BTC_SZ(188));
	g0 = globals(e);
	EXPECT_OK(e, t_liquidate(&e->addr[A1], T_BTC, q));
	events(e, &e->addr[A1], ev, 8, &n);
	CHECK(n == 2 && ev[1].kind == CL_STF_EVENT_LIQUIDATED);
	g1 = globals(e);
	CHECK(g1.insurance_balance ==
	      g0.insurance_balance + ev[1].equity_share + ev[1].fee);
	ms = t_mkt(e, T_BTC);
	CHECK(ms.fund_size == s * (int64_t)q && ms.fund_cost == d->fund_cost);
	t_invariants(e, "fund position", net_in);

	/* its unwind limit: the band edge rounded to the tick towards the
	 * mark, then (after the move) on the grid itself */
	for (int k = 0; k < 2; k++) {
		uint64_t want = k ? d->band : d->band0;
		CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim,
					       T_BTC) == CL_OK);
		CHECK_MSG(size == q && buy == !d->lng && lim == want,
			  "%s: unwind %llu at %llu", d->name,
			  (unsigned long long)size, (unsigned long long)lim);
		/* the same from the rule price * 1e6 >=(<=) mark * (1e6 -+
		 * band), for the price itself and the next tick out */
		unsigned __int128 edge = (unsigned __int128)ms.mark_price *
					 (d->lng ? 995000 : 1005000);
		unsigned __int128 at = (unsigned __int128)lim * 1000000;
		unsigned __int128 out = (unsigned __int128)worse(d, lim) *
					1000000;
		CHECK(d->lng ? at >= edge && out < edge :
			       at <= edge && out > edge);
		CHECK(k == 0 ? at != edge : at == edge);
		if (k == 0) {
			/* a last trade at the index keeps the premium at
			 * 0 in the next block (A6 takes 0.001 BTC of A3's
			 * position: the OI stays), so the mark will be the
			 * new index */
			open_pos(e, A6, A3, d->lng, T_BTC, d->price,
				 BTC_SZ(1));
			checked_block(e, 1000, d->name);
			CHECK(t_oracle_all(e, T_BTC, d->price2) == CL_STF_OK);
			ms = t_mkt(e, T_BTC);
			CHECK(ms.mark_price == d->price2);
		}
	}

	b->f_edge = place(e, MK, T_BTC, mk_buy, d->band, BTC_SZ(100), 0, 0);
	b->f_beyond = place(e, MK, T_BTC, mk_buy, worse(d, d->band),
			    BTC_SZ(100), 0, 0);
	b->f_big = place(e, A5, T_BTC, mk_buy, d->band, BTC_SZ(300), 0, 0);
	b->f_ro = place(e, A5, T_BTC, mk_buy, d->band, BTC_SZ(100), 0,
			CL_ORDER_REDUCE_ONLY);
	craft_collateral(e, A7, 1000 * T_USD);
	b->f_poor = place(e, A7, T_BTC, mk_buy, d->band, BTC_SZ(100), 0, 0);
	craft_collateral(e, A7, 50 * T_USD);
	b->f_rest = place(e, A5, T_BTC, mk_buy, d->price, BTC_SZ(88), 0, 0);

	/* every refusal, in the order of the rules */
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_edge, 0), CL_STF_ERR_BAD_SIZE,
			 CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->unknown, BTC_SZ(100)),
			 CL_STF_ERR_UNKNOWN_ORDER, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->cancelled, BTC_SZ(100)),
			 CL_STF_ERR_ORDER_NOT_OPEN, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->exp, BTC_SZ(100)),
			 CL_STF_ERR_EXPIRED, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->ioc, BTC_SZ(100)),
			 CL_STF_ERR_BAD_MAKER, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->eth, 10), CL_STF_ERR_NO_POSITION,
			 CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->same, BTC_SZ(100)),
			 CL_STF_ERR_SAME_SIDE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_big, 150), CL_STF_ERR_OFF_STEP,
			 CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_big, q + BTC_SZ(1)),
			 CL_STF_ERR_REDUCE_ONLY, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_edge, BTC_SZ(101)),
			 CL_STF_ERR_FILL_TOO_LARGE, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_beyond, BTC_SZ(100)),
			 CL_STF_ERR_BEYOND_LIMIT, CL_STF_BLAME_NONE);
	/* the A1 bid at its bankruptcy price is far outside the band */
	EXPECT_REJECT_BY(e, t_fund_fill(&b->hb1w, BTC_SZ(100)),
			 CL_STF_ERR_BEYOND_LIMIT, CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_ro, BTC_SZ(100)),
			 CL_STF_ERR_REDUCE_ONLY, CL_STF_BLAME_MAKER);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_poor, BTC_SZ(100)),
			 CL_STF_ERR_INSUFFICIENT_MARGIN, CL_STF_BLAME_MAKER);

	/* 0.1 BTC at the band edge against MK, which reduces */
	g0 = globals(e);
	mk0 = pos_of(e, &e->addr[MK], T_BTC);
	mk_coll0 = coll_of(e, &e->addr[MK]);
	EXPECT_OK(e, t_fund_fill(&b->f_edge, BTC_SZ(100)));
	g1 = globals(e);
	ms = t_mkt(e, T_BTC);
	cost_left = d->lng ? 5148000000 : -5412000000;
	CHECK_MSG(g1.insurance_balance ==
			  g0.insurance_balance + d->frealised,
		  "%s: insurance moved by %lld", d->name,
		  (long long)(g1.insurance_balance - g0.insurance_balance));
	CHECK(ms.fund_size == s * (int64_t)BTC_SZ(88) &&
	      ms.fund_cost == cost_left);
	/* the realised PnL is the flow less the cost released */
	CHECK(d->frealised ==
	      s * d->fnotional - (d->fund_cost - cost_left));
	CHECK(g1.fee_balance == g0.fee_balance + d->fmfee);
	p = pos_of(e, &e->addr[MK], T_BTC);
	CHECK(p.size == mk0.size + s * (int64_t)BTC_SZ(100));
	CHECK(coll_of(e, &e->addr[MK]) ==
	      mk_coll0 + d->mk_realised - d->fmfee);
	CHECK(ms.open_interest == BTC_SZ(2500));
	CHECK(ms.last_trade_price == d->band);
	events(e, &zero, ev, 8, &n);
	CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_FUND_UNWOUND &&
	      ev[0].market == T_BTC &&
	      ev[0].size == -s * (int64_t)BTC_SZ(100) &&
	      ev[0].flow == s * d->fnotional && ev[0].equity_share == 0 &&
	      ev[0].fee == 0 && cl_address_eq(&ev[0].other, &e->addr[MK]));
	t_invariants(e, "fund unwind", net_in);
	scores_current(e, &e->addr[MK], 1, "fund unwind");

	/* the rest at the mark against A5, which opens: the fund is flat,
	 * its cost and the OI follow */
	g0 = g1;
	EXPECT_OK(e, t_fund_fill(&b->f_rest, BTC_SZ(88)));
	ms = t_mkt(e, T_BTC);
	CHECK(ms.fund_size == 0 && ms.fund_cost == 0);
	CHECK(globals(e).insurance_balance == g0.insurance_balance);
	CHECK(ms.open_interest == BTC_SZ(2500));
	p = pos_of(e, &e->addr[A5], T_BTC);
	CHECK(p.size == s * (int64_t)BTC_SZ(88));
	/* the maker is in the ranking of its new side, scored now */
	CHECK(ranked(e, &e->addr[A5], d->lng ? 0 : 1));
	scores_current(e, &e->addr[A5], 1, "fund unwind A5");
	CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim, T_BTC) ==
		      CL_OK &&
	      size == 0);
	EXPECT_REJECT_BY(e, t_fund_fill(&b->f_big, BTC_SZ(100)),
			 CL_STF_ERR_NO_POSITION, CL_STF_BLAME_NONE);
	events(e, &zero, ev, 8, &n);
	CHECK(n == 2 && ev[1].kind == CL_STF_EVENT_FUND_UNWOUND &&
	      cl_address_eq(&ev[1].other, &e->addr[A5]));
}

/*
 * The limit of a BTC slice of q, worked out from the rules: n_q at the
 * mark as equity values it (a long's rounded down, a short's up), e_q =
 * ceil(E * n_q / N) whatever its sign, F = n_q -+ e_q, and the lowest bid
 * (a long sells) or highest ask on the tick grid whose notional (rounded
 * down) reaches F or stays within it.
 */
static uint64_t book_limit(bool lng, uint64_t mark, uint64_t q, int64_t equity,
			   int64_t total)
{
	int64_t nq = (int64_t)((mark * q + (lng ? 0 : 9)) / 10), eq, flow;
	__int128 x = (__int128)equity * nq;
	uint64_t p;

	eq = (int64_t)(x / total + (x % total > 0));
	flow = lng ? nq - eq : nq + eq;
	CHECK(flow > 0);
	if (lng) {
		p = ((uint64_t)flow * 10 + q - 1) / q;
		return (p + BTC_TICK - 1) / BTC_TICK * BTC_TICK;
	}
	p = (uint64_t)flow * 10 / q;
	return p / BTC_TICK * BTC_TICK;
}

/*
 * A4 holds BTC and a little ETH: the slice's equity share is pro rata to
 * the notional of both, e_q = ceil(E * n_q / N). Half a slice (0.1 BTC)
 * at the limit the helper gives, worked out again here from E and N.
 */
static void two_positions(struct tenv *e, const struct dir *d)
{
	const struct cl_address *a4 = &e->addr[A4];
	const int64_t s = d->lng ? 1 : -1;
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_account_risk r;
	struct cl_hash32 at, beyond;
	uint64_t mark = t_mkt(e, T_BTC).mark_price, lim, want, q = BTC_SZ(100);
	int64_t total, notional, coll0, fee;
	bool buy;

	CHECK(cl_stf_get_account_risk(&v, &r, a4) == CL_OK);
	CHECK(r.liquidatable && r.n == 2);
	/* N: both notionals at their marks (exact here) */
	total = (int64_t)(mark * BTC_SZ(1000) / 10) +
		(int64_t)t_mkt(e, T_ETH).mark_price * 10;
	want = book_limit(d->lng, mark, q, r.health.equity, total);
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, a4, T_BTC, &q) ==
	      CL_OK);
	CHECK_MSG(lim == want, "%s: A4 limit %llu, want %llu", d->name,
		  (unsigned long long)lim, (unsigned long long)want);
	at = place(e, MK, T_BTC, d->lng, lim, q, 0, 0);
	beyond = place(e, MK, T_BTC, d->lng, worse(d, lim), q, 0, 0);
	EXPECT_REJECT(e, t_liquidate_fill(a4, &beyond, q),
		      CL_STF_ERR_BEYOND_LIMIT);
	coll0 = coll_of(e, a4);
	EXPECT_OK(e, t_liquidate_fill(a4, &at, q));
	notional = (int64_t)(lim * q / 10);
	/* the fee is not capped here: the equity left is larger */
	fee = (notional * 5000 + 999999) / 1000000;
	/* 0.1 of the 1 BTC bought (sold) at $60,000 releases $6,000 */
	CHECK(coll_of(e, a4) == coll0 + s * (notional - 6000 * T_USD) - fee);
	CHECK(pos_of(e, a4, T_BTC).size == s * (int64_t)BTC_SZ(900));
	CHECK(pos_of(e, a4, T_ETH).size == s * 10);
	t_invariants(e, "two positions", net_in);
}

static struct cl_hash32 book_scenario(const struct dir *d, enum backend bk)
{
	struct tenv env, *e = &env;
	struct book b;

	start(e, bk);
	memset(&b, 0, sizeof(b));
	book_setup(e, d, &b);
	limits(e, d);
	liquidate_fill_rejects(e, &b);
	liquidate_fill_accepts(e, d, &b);
	fund_unwind(e, d, &b);
	two_positions(e, d);
	checked_block(e, 1000, d->name);
	/* the next block: A1 is still liquidatable (its equity over
	 * notional did not improve at the bankruptcy price) */
	{
		struct cl_stf_view v = tenv_view(e);
		uint64_t lim, q = 0;
		bool buy;
		CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1],
					       T_BTC, &q) == CL_OK &&
		      lim > 0);
	}
	return finish(e);
}

/*
 * The same rules while funding accrues (longs pay the interest rate each
 * minute): the stf settles the account, the maker and the fund before it
 * judges, and cl_stf_liquidation_limit() and cl_stf_fund_unwind_limit()
 * count the pending funding the same way, so their limits hold to the
 * tick. The fund's balance moves by its funding and its realised PnL.
 */
static struct cl_hash32 with_funding(enum backend bk)
{
	struct tenv env, *e = &env;
	struct cl_stf_account_risk r;
	struct cl_market_state ms;
	struct cl_stf_event ev[4];
	struct cl_stf_view v;
	struct cl_hash32 good, bad;
	int64_t pend, coll0, notional, fee, fpay, ins0;
	uint64_t lim, q, size, edge;
	bool buy;
	size_t n;

	start_with(e, bk, funding_genesis);
	CHECK(t_oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	deposit(e, MK, 10000000 * T_USD);
	deposit(e, A1, 2100 * T_USD);
	deposit(e, A5, 1000000 * T_USD);
	open_pos(e, A1, MK, true, T_BTC, BTC_P(60000), BTC_SZ(1000));
	/* blocks every 30 s, the oracle fresh at each (a stale index
	 * accrues nothing) */
	for (int i = 0; i < 6; i++) {
		checked_block(e, 30000, "funding");
		CHECK(t_oracle_all(e, T_BTC, BTC_P(i < 5 ? 60000 : 58500)) ==
		      CL_STF_OK);
	}
	CHECK(t_mkt(e, T_BTC).funding_index > 0);
	CHECK(t_mkt(e, T_BTC).mark_price == BTC_P(58500));

	/* A1 owes funding: the limit counts it, the fill settles it */
	v = tenv_view(e);
	CHECK(cl_stf_get_account_risk(&v, &r, &e->addr[A1]) == CL_OK);
	CHECK(r.liquidatable && r.pos[0].pending_funding > 0);
	pend = r.pos[0].pending_funding;
	coll0 = coll_of(e, &e->addr[A1]);
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_OK &&
	      q == BTC_SZ(250) && !buy);
	good = place(e, MK, T_BTC, true, lim, q, 0, 0);
	bad = place(e, MK, T_BTC, true, lim - BTC_TICK, q, 0, 0);
	EXPECT_REJECT(e, t_liquidate_fill(&e->addr[A1], &bad, q),
		      CL_STF_ERR_BEYOND_LIMIT);
	EXPECT_OK(e, t_liquidate_fill(&e->addr[A1], &good, q));
	notional = (int64_t)(lim * q / 10);
	fee = (notional * 5000 + 999999) / 1000000;
	events(e, &e->addr[A1], ev, 4, &n);
	CHECK(n == 1 && ev[0].flow == notional && ev[0].fee == fee);
	CHECK(coll_of(e, &e->addr[A1]) ==
	      coll0 - pend + notional - 15000 * T_USD - fee);
	CHECK(pos_of(e, &e->addr[A1], T_BTC).funding_snap ==
	      t_mkt(e, T_BTC).funding_index);
	t_invariants(e, "funding: liquidate_fill", net_in);
	{
		struct cl_address both[2] = {e->addr[A1], e->addr[MK]};
		scores_current(e, both, 2, "funding: liquidate_fill");
	}

	/* the fund takes the next slice and pays funding on it */
	q = 0;
	CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[A1], T_BTC,
				       &q) == CL_OK);
	EXPECT_OK(e, t_liquidate(&e->addr[A1], T_BTC, q));
	for (int i = 0; i < 4; i++) {
		checked_block(e, 30000, "funding");
		CHECK(t_oracle_all(e, T_BTC, BTC_P(58500)) == CL_STF_OK);
	}
	ms = t_mkt(e, T_BTC);
	CHECK(ms.fund_size == (int64_t)q && ms.funding_index != ms.fund_snap);
	/* the fills below the index made the premium negative: the fund,
	 * long, receives */
	{
		struct cl_amount fp;
		CHECK(margin_funding_payment(&fp, ms.fund_size,
					     ms.funding_index, ms.fund_snap) &&
		      fp.atoms < 0);
		fpay = fp.atoms;
	}
	CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim, T_BTC) ==
		      CL_OK &&
	      size == q && !buy);
	/* ceil(mark * (1 - 0.5 %)), up to the tick */
	edge = (ms.mark_price * 995000 + 999999) / 1000000;
	edge = (edge + BTC_TICK - 1) / BTC_TICK * BTC_TICK;
	CHECK_MSG(lim == edge, "unwind limit %llu, mark %llu",
		  (unsigned long long)lim, (unsigned long long)ms.mark_price);
	good = place(e, A5, T_BTC, true, lim, size, 0, 0);
	bad = place(e, A5, T_BTC, true, lim - BTC_TICK, size, 0, 0);
	EXPECT_REJECT(e, t_fund_fill(&bad, size), CL_STF_ERR_BEYOND_LIMIT);
	ins0 = globals(e).insurance_balance;
	EXPECT_OK(e, t_fund_fill(&good, size));
	notional = (int64_t)(lim * size / 10);
	CHECK_MSG(globals(e).insurance_balance ==
			  ins0 - fpay + notional - ms.fund_cost,
		  "fund: %lld, want %lld",
		  (long long)(globals(e).insurance_balance - ins0),
		  (long long)(-fpay + notional - ms.fund_cost));
	CHECK(t_mkt(e, T_BTC).fund_size == 0 && t_mkt(e, T_BTC).fund_cost == 0);
	t_invariants(e, "funding: fund_fill", net_in);
	scores_current(e, &e->addr[A5], 1, "funding: fund_fill");
	checked_block(e, 30000, "funding");
	return finish(e);
}

/*
 * FUND_FILL's NO_MARK_PRICE needs a fund position in a market without a
 * mark, which no sequence of transactions produces (a liquidation needs
 * a mark, and a mark never returns to 0). The state is crafted: the SOL
 * record (docs/protocol.md "Market record", fundSize at byte 152,
 * fundCost at 160) gets a fund position. Memory backend only.
 */
static void fund_no_mark(void)
{
	struct tenv env, *e = &env;
	struct cl_stf_view v;
	const uint8_t *val;
	uint8_t key[4], rec[192];
	size_t vlen;
	uint64_t size, lim;
	bool buy;

	start(e, B_MEMORY);
	deposit(e, A5, 1000 * T_USD);
	cl_put_be32(key, T_SOL);
	CHECK(cl_state_get(e->st, &val, &vlen, CL_TABLE_MARKETS, key, 4) ==
		      CL_OK &&
	      vlen == sizeof(rec));
	memcpy(rec, val, sizeof(rec));
	cl_put_be64(rec + 152, 100);
	cl_put_be64(rec + 160, 10 * T_USD);
	cl_state_put(e->st, CL_TABLE_MARKETS, key, 4, rec, sizeof(rec));
	CHECK(t_mkt(e, T_SOL).fund_size == 100 &&
	      t_mkt(e, T_SOL).mark_price == 0);
	v = tenv_view(e);
	CHECK(cl_stf_fund_unwind_limit(&v, &size, &buy, &lim, T_SOL) ==
		      CL_OK &&
	      size == 0 && lim == 0);
	struct cl_hash32 h = place(e, A5, T_SOL, true, SOL_P(100), 100, 0, 0);
	EXPECT_REJECT_BY(e, t_fund_fill(&h, 0), CL_STF_ERR_BAD_SIZE,
			 CL_STF_BLAME_NONE);
	EXPECT_REJECT_BY(e, t_fund_fill(&h, 100), CL_STF_ERR_NO_MARK_PRICE,
			 CL_STF_BLAME_NONE);
	(void)finish(e);
}

/* ------------------------------------------------------------------ */
/* REINDEX and the ADL ranking                                         */
/* ------------------------------------------------------------------ */

/* keccak of every committed table but `skip`, keys and values. */
static struct cl_hash32 committed_digest(struct tenv *e, unsigned skip)
{
	const struct cl_table_info *t;
	struct cl_buf b;
	struct cl_hash32 h;
	size_t nt;

	cl_buf_init(&b);
	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;
		const uint8_t *key, *val;
		size_t klen, vlen;
		if (!t[i].committed || (unsigned)t[i].id == skip)
			continue;
		CHECK(cl_state_iter_new(&it, e->st, t[i].id, NULL, 0) ==
		      CL_OK);
		while (cl_state_iter_next(it, &key, &klen, &val, &vlen) ==
		       CL_OK) {
			cl_buf_append_byte(&b, (uint8_t)t[i].id);
			cl_buf_append_be64(&b, klen);
			cl_buf_append(&b, key, klen);
			cl_buf_append_be64(&b, vlen);
			cl_buf_append(&b, val, vlen);
		}
		cl_state_iter_free(it);
	}
	cl_keccak256(h.b, b.p, b.len);
	cl_buf_release(&b);
	return h;
}

/* The committed ADL ranking of a side of BTC (up to 8). */
static size_t ranking(struct tenv *e, uint8_t side, struct cl_address *out)
{
	struct cl_stf_view v = tenv_view(e);
	size_t n;

	CHECK(cl_stf_adl_ranking(&v, out, 8, &n, T_BTC, side) == CL_OK);
	return n;
}

static struct cl_hash32 adl_reindex(enum backend bk)
{
	struct tenv env, *e = &env;
	struct cl_stf_account_risk rx, ry;
	struct cl_address r[8], list[3], stranger;
	struct cl_hash32 root0, rest0, all0;
	struct cl_stf_view v;
	struct cl_health h;
	int L = 1, X, Y, F = 4;

	start(e, bk);
	/* X, the lower address of 2 and 3, is the 2x short; Y the 10x */
	X = memcmp(e->addr[2].b, e->addr[3].b, 20) < 0 ? 2 : 3;
	Y = 5 - X;
	CHECK(t_oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	deposit(e, L, 1400 * T_USD);
	deposit(e, X, 12000 * T_USD);
	deposit(e, Y, 3600 * T_USD);
	deposit(e, F, 5000 * T_USD);
	open_pos(e, X, L, false, T_BTC, BTC_P(60000), BTC_SZ(400));
	open_pos(e, Y, L, false, T_BTC, BTC_P(60000), BTC_SZ(600));
	/* opened at the mark: both score 0, ties by address */
	CHECK(ranking(e, 1, r) == 2 && cl_address_eq(&r[0], &e->addr[X]) &&
	      cl_address_eq(&r[1], &e->addr[Y]));
	CHECK(ranking(e, 0, r) == 1 && cl_address_eq(&r[0], &e->addr[L]));
	checked_block(e, 61000, "adl");

	/* -10 %: L is bankrupt, the fund (empty) cannot take it */
	CHECK(t_oracle_all(e, T_BTC, BTC_P(54000)) == CL_STF_OK);
	v = tenv_view(e);
	CHECK(cl_stf_get_health(&v, &h, &e->addr[L]) == CL_OK &&
	      h.equity < 0);
	EXPECT_REJECT(e, t_liquidate(&e->addr[L], T_BTC, BTC_SZ(250)),
		      CL_STF_ERR_INSURANCE_INSUFFICIENT);
	/* at the current marks Y scores higher, but the ranking is the
	 * one of the last touch: X first, and an ADL must name X */
	CHECK(cl_stf_get_account_risk(&v, &rx, &e->addr[X]) == CL_OK);
	CHECK(cl_stf_get_account_risk(&v, &ry, &e->addr[Y]) == CL_OK);
	CHECK(ry.pos[0].adl_score > rx.pos[0].adl_score &&
	      rx.pos[0].adl_score > 0);
	CHECK(ranking(e, 1, r) == 2 && cl_address_eq(&r[0], &e->addr[X]));
	EXPECT_REJECT(e, t_adl(&e->addr[L], T_BTC, BTC_SZ(250), &e->addr[Y],
			       1),
		      CL_STF_ERR_ADL_BAD_COUNTERPARTIES);

	/* one account without a position: nothing changes */
	list[0] = e->addr[X];
	list[1] = e->addr[Y];
	list[2] = e->addr[F];
	EXPECT_REJECT(e, t_reindex(list, 3), CL_STF_ERR_NO_POSITION);
	{
		uint8_t hh[32]; /* an address with no record at all */
		cl_keccak256(hh, "stranger", 8);
		memcpy(stranger.b, hh, 20);
	}
	list[1] = stranger;
	EXPECT_REJECT(e, t_reindex(list, 2), CL_STF_ERR_NO_POSITION);
	EXPECT_REJECT(e, t_reindex(&e->addr[F], 1), CL_STF_ERR_NO_POSITION);
	CHECK(ranking(e, 1, r) == 2 && cl_address_eq(&r[0], &e->addr[X]));

	/* REINDEX: the ranking follows the scores; the root changes, and
	 * only through ADL_RANK */
	t_commit(e);
	root0 = e->root;
	rest0 = committed_digest(e, CL_TABLE_ADL_RANK);
	all0 = committed_digest(e, 0); /* every table */
	list[0] = e->addr[X];
	list[1] = e->addr[Y];
	EXPECT_OK(e, t_reindex(list, 2));
	t_commit(e);
	CHECK(memcmp(root0.b, e->root.b, 32) != 0);
	struct cl_hash32 rest1 = committed_digest(e, CL_TABLE_ADL_RANK);
	struct cl_hash32 all1 = committed_digest(e, 0);
	CHECK(memcmp(rest0.b, rest1.b, 32) == 0);
	CHECK(memcmp(all0.b, all1.b, 32) != 0);
	CHECK(ranking(e, 1, r) == 2 && cl_address_eq(&r[0], &e->addr[Y]) &&
	      cl_address_eq(&r[1], &e->addr[X]));
	/* scores already current: a REINDEX changes nothing committed */
	root0 = e->root;
	EXPECT_OK(e, t_reindex(list, 2));
	t_commit(e);
	CHECK(memcmp(root0.b, e->root.b, 32) == 0);

	/* the stale top is refused now, the new top accepted */
	EXPECT_REJECT(e, t_adl(&e->addr[L], T_BTC, BTC_SZ(250), &e->addr[X],
			       1),
		      CL_STF_ERR_ADL_BAD_COUNTERPARTIES);
	EXPECT_OK(e, t_adl(&e->addr[L], T_BTC, BTC_SZ(250), &e->addr[Y], 1));
	CHECK(pos_of(e, &e->addr[Y], T_BTC).size == -(int64_t)BTC_SZ(350));
	CHECK(pos_of(e, &e->addr[L], T_BTC).size == (int64_t)BTC_SZ(750));
	{
		struct cl_stf_event ev[4];
		size_t n;
		events(e, &e->addr[Y], ev, 4, &n);
		CHECK(n == 1 && ev[0].kind == CL_STF_EVENT_ADL_COUNTERPARTY &&
		      cl_address_eq(&ev[0].other, &e->addr[L]));
	}
	t_invariants(e, "adl", net_in);

	/* L is still bankrupt (e_q < 0): its bankruptcy price is above the
	 * mark, and a bid there may take the slice; the fee is 0 */
	{
		struct cl_stf_account_risk rl;
		struct cl_stf_event ev[4];
		struct cl_hash32 at, beyond;
		uint64_t lim, q = 0, mark = t_mkt(e, T_BTC).mark_price;
		int64_t coll0, ins0, notional;
		bool buy;
		size_t n;

		v = tenv_view(e);
		CHECK(cl_stf_get_account_risk(&v, &rl, &e->addr[L]) == CL_OK);
		CHECK(rl.health.equity < 0 && mark == BTC_P(54000));
		CHECK(cl_stf_liquidation_limit(&v, &lim, &buy, &e->addr[L],
					       T_BTC, &q) == CL_OK);
		CHECK(q == BTC_SZ(188) && !buy);
		CHECK_MSG(lim == book_limit(true, mark, q, rl.health.equity,
					    (int64_t)(mark * BTC_SZ(750) /
						      10)) &&
				  lim > mark,
			  "bankrupt limit %llu", (unsigned long long)lim);
		at = place(e, F, T_BTC, true, lim, q, 0, 0);
		beyond = place(e, F, T_BTC, true, lim - BTC_TICK, q, 0, 0);
		EXPECT_REJECT(e, t_liquidate_fill(&e->addr[L], &beyond, q),
			      CL_STF_ERR_BEYOND_LIMIT);
		coll0 = coll_of(e, &e->addr[L]);
		ins0 = globals(e).insurance_balance;
		EXPECT_OK(e, t_liquidate_fill(&e->addr[L], &at, q));
		notional = (int64_t)(lim * q / 10);
		/* 18 800 of 75 000 units costing $45,000 release
		 * 11 280 000 000 */
		CHECK(coll_of(e, &e->addr[L]) ==
		      coll0 + notional - 11280000000);
		CHECK(globals(e).insurance_balance == ins0);
		events(e, &e->addr[L], ev, 4, &n);
		CHECK(n == 2 && ev[1].kind == CL_STF_EVENT_LIQUIDATED_BOOK &&
		      ev[1].fee == 0 && ev[1].flow == notional);
		CHECK(pos_of(e, &e->addr[F], T_BTC).size == (int64_t)q);
	}
	checked_block(e, 1000, "adl");
	return finish(e);
}

/* ------------------------------------------------------------------ */
/* Accounts in several markets                                         */
/* ------------------------------------------------------------------ */

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(((const struct cl_address *)a)->b,
		      ((const struct cl_address *)b)->b, 20);
}

/* cl_stf_multi_market_accounts equals want[0..nw). */
static void expect_multi(const struct cl_stf_view *v,
			 const struct cl_address *after,
			 const struct cl_address *want, size_t nw, size_t cap,
			 const char *where)
{
	struct cl_address got[16];
	size_t n;

	CHECK(cl_stf_multi_market_accounts(v, got, cap, &n, after) == CL_OK);
	CHECK_MSG(n == nw, "%s: %zu accounts, want %zu", where, n, nw);
	for (size_t i = 0; i < n && i < nw; i++)
		CHECK_MSG(cl_address_eq(&got[i], &want[i]), "%s: entry %zu",
			  where, i);
}

/* The BTC liquidation price the local index holds for the long `a`:
 * the highest mark at which it is a candidate (0: never). */
static uint64_t indexed_price(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_address cand[32];
	uint64_t lo = 0, hi = (uint64_t)1 << 62;

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		bool listed = false;
		size_t n;
		CHECK(cl_stf_liquidation_candidates(&v, T_BTC, mid, cand, 32,
						    &n) == CL_OK);
		for (size_t i = 0; i < n; i++)
			listed |= cl_address_eq(&cand[i], a);
		if (listed)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static struct cl_hash32 multi_market(enum backend bk)
{
	/* A: BTC ETH; B: BTC; C: ETH SOL; D: all; M, M2: BTC ETH */
	enum { A = 1, B = 2, C = 3, D = 4, M = 5, M2 = 6 };
	struct tenv env, *e = &env;
	struct cl_address want[8];
	struct cl_stf_view v;
	uint64_t p_old, p_new;
	size_t nw = 0;

	start(e, bk);
	CHECK(e->g.n_markets >= 2);
	CHECK(t_oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_SOL, SOL_P(100)) == CL_STF_OK);
	deposit(e, MK, 10000000 * T_USD);
	for (int i = A; i <= D; i++)
		deposit(e, i, 50000 * T_USD);
	deposit(e, M, 3000 * T_USD);
	deposit(e, M2, 3000 * T_USD);
	open_pos(e, A, MK, true, T_BTC, BTC_P(60000), BTC_SZ(100));
	open_pos(e, A, MK, true, T_ETH, ETH_P(3000), 10000);
	open_pos(e, B, MK, true, T_BTC, BTC_P(60000), BTC_SZ(100));
	open_pos(e, C, MK, true, T_ETH, ETH_P(3000), 10000);
	open_pos(e, C, MK, false, T_SOL, SOL_P(100), 100);
	open_pos(e, D, MK, true, T_BTC, BTC_P(60000), BTC_SZ(100));
	open_pos(e, D, MK, false, T_ETH, ETH_P(3000), 10000);
	open_pos(e, D, MK, true, T_SOL, SOL_P(100), 100);
	for (int i = M; i <= M2; i++) {
		open_pos(e, i, MK, true, T_BTC, BTC_P(60000), BTC_SZ(1000));
		open_pos(e, i, MK, true, T_ETH, ETH_P(3000), 10000);
	}
	/* MK is the other side of everything: three markets */
	int multi[] = {MK, A, C, D, M, M2};
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++)
		want[nw++] = e->addr[multi[i]];
	qsort(want, nw, sizeof(want[0]), addr_cmp);
	v = tenv_view(e);
	expect_multi(&v, NULL, want, nw, 16, "all");
	expect_multi(&v, NULL, want, 2, 2, "cap 2");
	expect_multi(&v, &want[1], want + 2, nw - 2, 16, "after 1");
	expect_multi(&v, &want[nw - 1], NULL, 0, 16, "after the last");
	{
		/* after an address not in the table: the ones above it */
		size_t k = 0;
		while (k < nw && addr_cmp(&want[k], &e->addr[B]) < 0)
			k++;
		expect_multi(&v, &e->addr[B], want + k, nw - k, 16,
			     "after B");
	}
	checked_block(e, 1000, "multi");
	if (bk == B_LMDB) {
		/* the same from a snapshot of the committed state */
		struct cl_snapshot *snap;
		CHECK(cl_snapshot_new(&snap, lmdb.db) == CL_OK);
		struct cl_stf_view sv = {.genesis = cl_stf_genesis(e->stf),
					 .snapshot = snap};
		expect_multi(&sv, NULL, want, nw, 16, "snapshot");
		expect_multi(&sv, &want[0], want + 1, nw - 1, 16,
			     "snapshot after");
		cl_snapshot_free(snap);
	}

	/* A back to one market: dropped; D from three to two: kept; B
	 * into a second: listed */
	open_pos(e, A, MK, false, T_ETH, ETH_P(3000), 10000);
	open_pos(e, D, MK, false, T_SOL, SOL_P(100), 100);
	open_pos(e, B, MK, false, T_SOL, SOL_P(100), 100);
	CHECK(pos_of(e, &e->addr[A], T_ETH).size == 0);
	CHECK(pos_of(e, &e->addr[D], T_SOL).size == 0);
	nw = 0;
	int multi2[] = {MK, B, C, D, M, M2};
	for (size_t i = 0; i < sizeof(multi2) / sizeof(multi2[0]); i++)
		want[nw++] = e->addr[multi2[i]];
	qsort(want, nw, sizeof(want[0]), addr_cmp);
	v = tenv_view(e);
	expect_multi(&v, NULL, want, nw, 16, "after closing");
	checked_block(e, 1000, "multi");

	/* ETH -10 %: the BTC entries of M and M2 in the local index still
	 * assume ETH at $3,000; a REINDEX moves M's, not M2's */
	CHECK(t_oracle_all(e, T_ETH, ETH_P(2700)) == CL_STF_OK);
	p_old = indexed_price(e, &e->addr[M]);
	CHECK(p_old > 0 && p_old < BTC_P(60000));
	CHECK(indexed_price(e, &e->addr[M2]) == p_old);
	EXPECT_OK(e, t_reindex(&e->addr[M], 1));
	p_new = indexed_price(e, &e->addr[M]);
	CHECK_MSG(p_new > p_old, "index %llu -> %llu",
		  (unsigned long long)p_old, (unsigned long long)p_new);
	CHECK(indexed_price(e, &e->addr[M2]) == p_old);
	EXPECT_OK(e, t_reindex(&e->addr[M2], 1));
	CHECK(indexed_price(e, &e->addr[M2]) == p_new);
	v = tenv_view(e);
	expect_multi(&v, NULL, want, nw, 16, "after reindex");
	checked_block(e, 1000, "multi");
	return finish(e);
}

int main(void)
{
	struct cl_hash32 roots[2][5];

	if (cl_crypto_init() != CL_OK)
		return 2;
	for (int bk = B_MEMORY; bk <= B_LMDB; bk++) {
		roots[bk][0] = book_scenario(&dirs[0], (enum backend)bk);
		roots[bk][1] = book_scenario(&dirs[1], (enum backend)bk);
		roots[bk][2] = adl_reindex((enum backend)bk);
		roots[bk][3] = multi_market((enum backend)bk);
		roots[bk][4] = with_funding((enum backend)bk);
	}
	for (int i = 0; i < 5; i++)
		CHECK_MSG(memcmp(roots[0][i].b, roots[1][i].b, 32) == 0,
			  "scenario %d: %s and %s roots differ", i,
			  backend_name[0], backend_name[1]);
	fund_no_mark();
	/* the codes the new transactions introduce */
	for (int c = CL_STF_ERR_BEYOND_LIMIT; c <= CL_STF_ERR_BEYOND_LIMIT;
	     c++)
		CHECK_MSG(t_seen_code[c], "reject code %d (%s) not tested", c,
			  cl_stf_err_str(c));
	/* and every one LIQUIDATE_FILL, FUND_FILL and REINDEX return */
	static const int used[] = {
		CL_STF_ERR_BAD_SIZE,        CL_STF_ERR_UNKNOWN_ORDER,
		CL_STF_ERR_ORDER_NOT_OPEN,  CL_STF_ERR_EXPIRED,
		CL_STF_ERR_BAD_MAKER,       CL_STF_ERR_NO_POSITION,
		CL_STF_ERR_NOT_LIQUIDATABLE, CL_STF_ERR_NOT_RISKIEST,
		CL_STF_ERR_SLICE_TOO_LARGE, CL_STF_ERR_OFF_STEP,
		CL_STF_ERR_SAME_SIDE,       CL_STF_ERR_SELF_TRADE,
		CL_STF_ERR_FILL_TOO_LARGE,  CL_STF_ERR_REDUCE_ONLY,
		CL_STF_ERR_NO_MARK_PRICE,   CL_STF_ERR_INSUFFICIENT_MARGIN,
		CL_STF_ERR_BEYOND_LIMIT,
	};
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		CHECK_MSG(t_seen_code[used[i]], "reject code %d not tested",
			  used[i]);
	return test_done("test_liq_book");
}
