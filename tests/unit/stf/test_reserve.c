/* SPDX-License-Identifier: MIT */
/*
 * Open orders reserve initial margin (docs/margin.md "Open orders",
 * docs/protocol.md PLACE_ORDER rules 9 and 10), on the memory and the
 * LMDB backend (the roots of both must agree):
 *
 *  - the worked example of docs/margin.md to the atom: the worse side
 *    per market, the refused order, the order that adds nothing, the
 *    reads (cl_stf_get_health, cl_stf_get_account_risk,
 *    cl_stf_get_open_sizes, also from an LMDB snapshot) and the
 *    withdrawal that leaves the reservation;
 *  - NO_COLLATERAL and ORDER_MARGIN, with their precedence after the
 *    earlier rules;
 *  - a second resting order refused, then accepted once a cancel
 *    released the first; fills (whole and partial) and ORDER_DONE
 *    release too; reduce-only orders reserve nothing; a reducing order
 *    is accepted even from an account below its requirement; IOC and
 *    FOK orders are not checked (they never rest);
 *  - a seeded random sequence of places, fills, cancels, closures and
 *    price moves, after every transaction of which the stored sums equal
 *    a scan of the open orders (t_open_sizes_check).
 *
 * CL_TEST_SEED sets the seed of the random part.
 */
#include "stf_util.h"

#define BTC_1 100000ULL                   /* 1 BTC in size units */
#define BTC_P(usd) ((uint64_t)(usd) * 100) /* price units */
#define IOC ((uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT))
#define FOK ((uint8_t)(CL_TIF_FOK << CL_ORDER_TIF_SHIFT))
#define USD(x) ((int64_t)(x) * T_USD)

enum backend { B_MEMORY, B_LMDB };
static const char *const backend_name[2] = {"memory", "lmdb"};
static struct t_lmdb lmdb;
static enum backend cur_backend;

static void env_open(struct tenv *e, enum backend bk)
{
	struct cl_state *st = bk == B_LMDB ? t_lmdb_open(&lmdb) :
					     cl_state_new_memory();
	if (!st)
		abort();
	tenv_init(e, st);
	tenv_block(e, 0);
}

/* Commit the open block and release the environment; the last root. */
static struct cl_hash32 env_close(struct tenv *e, enum backend bk)
{
	struct cl_hash32 root;

	cl_stf_end_block(e->stf);
	t_commit(e);
	root = e->root;
	tenv_release(e);
	if (bk == B_LMDB)
		t_lmdb_close(&lmdb);
	return root;
}

static void deposit(struct tenv *e, int who, int64_t atoms)
{
	EXPECT_OK(e, t_deposit(e->next_deposit++, &e->addr[who],
			       (uint64_t)atoms));
}

static void set_mark(struct tenv *e, uint32_t market, uint64_t price)
{
	struct cl_seckey *ks[2] = {e->okey[0], e->okey[1]};
	EXPECT_OK(e, t_oracle(e, market, price, tenv_now(e), ks, 2));
}

static struct cl_order order_of(struct tenv *e, int who, uint32_t market,
				bool buy, uint64_t price, uint64_t size,
				uint8_t flags)
{
	return t_order(&e->addr[who], market, buy, price, size,
		       e->order_nonce++, tenv_now(e) + 3600, flags);
}

/* Place (must be accepted); the order's hash. */
static struct cl_hash32 place(struct tenv *e, int who, uint32_t market,
			      bool buy, uint64_t price, uint64_t size,
			      uint8_t flags)
{
	struct cl_order o = order_of(e, who, market, buy, price, size, flags);

	EXPECT_OK(e, t_place(e, &o, e->key[who]));
	return t_order_hash(e, &o);
}

/* Place, refused with `code`. */
static void place_refused(struct tenv *e, int who, uint32_t market,
			  bool buy, uint64_t price, uint64_t size,
			  uint8_t flags, int code)
{
	struct cl_order o = order_of(e, who, market, buy, price, size, flags);

	EXPECT_REJECT(e, t_place(e, &o, e->key[who]), code);
}

static struct cl_health health(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_health h;

	CHECK(cl_stf_get_health(&v, &h, &e->addr[who]) == CL_OK);
	return h;
}

/* who's open sizes in `market` (0, 0 when none stored). */
static struct cl_open_sizes open_sizes(struct tenv *e, int who,
				       uint32_t market)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
	size_t n;

	CHECK(cl_stf_get_open_sizes(&v, os, &n, &e->addr[who]) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (os[i].market == market)
			return os[i].open;
	return (struct cl_open_sizes){{0}, {0}};
}

static size_t n_open_markets(struct tenv *e, int who)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
	size_t n;

	CHECK(cl_stf_get_open_sizes(&v, os, &n, &e->addr[who]) == CL_OK);
	return n;
}

#define OPEN_IS(e, who, market, b, s)                                      \
	do {                                                               \
		struct cl_open_sizes o_ = open_sizes(e, who, market);      \
		CHECK_MSG(o_.buy.v == (b) && o_.sell.v == (s),             \
			  "open sizes %llu/%llu, want %llu/%llu",          \
			  (unsigned long long)o_.buy.v,                    \
			  (unsigned long long)o_.sell.v,                   \
			  (unsigned long long)(b), (unsigned long long)(s)); \
	} while (0)

/* `buyer` takes `size` of a resting sell of `seller` at `price`. */
static void trade(struct tenv *e, int buyer, int seller, uint64_t price,
		  uint64_t size)
{
	struct cl_hash32 mk = place(e, seller, T_BTC, false, price, size, 0);
	struct cl_hash32 tk = place(e, buyer, T_BTC, true, price, size, IOC);

	EXPECT_OK(e, t_fill(&mk, &tk, size));
}

/* ------------------------------------------------------------------ */

/*
 * docs/margin.md "Open orders", worked example. Alice (0) holds 1 BTC
 * long at $60,000 with $4,000 of collateral (BTC tiers: 2 % up to $1M).
 */
static void worked_example(struct tenv *e)
{
	const int alice = 0, bob = 1;
	struct cl_stf_account_risk r;
	struct cl_stf_view v;
	struct cl_address rcpt;
	struct cl_health h;

	t_addr_hex(&rcpt, "0x00000000000000000000000000000000000000cc");
	deposit(e, alice, USD(4030)); /* $30 is the taker fee of 1 BTC */
	deposit(e, bob, USD(1000000));
	set_mark(e, T_BTC, BTC_P(60000));
	trade(e, alice, bob, BTC_P(60000), BTC_1);
	h = health(e, alice);
	CHECK(h.collateral == USD(4000) && h.equity == USD(4000));
	CHECK(h.im == USD(1200) && h.order_im == USD(1200));
	CHECK(n_open_markets(e, alice) == 0);

	/* buy 2: max(IM(3 BTC), IM(1 BTC)) = max(3600, 1200) */
	place(e, alice, T_BTC, true, BTC_P(59000), 2 * BTC_1, 0);
	h = health(e, alice);
	CHECK(h.im == USD(1200) && h.order_im == USD(3600));
	/* sell 3: max(IM(3), IM(|1 - 3|) = 2400): still 3600 */
	place(e, alice, T_BTC, false, BTC_P(61000), 3 * BTC_1, 0);
	CHECK(health(e, alice).order_im == USD(3600));
	OPEN_IS(e, alice, T_BTC, 2 * BTC_1, 3 * BTC_1);
	/* buy 0.5 more: IM(3.5 BTC) = 4200 > 4000 */
	place_refused(e, alice, T_BTC, true, BTC_P(59000), BTC_1 / 2, 0,
		      CL_STF_ERR_ORDER_MARGIN);
	/* buy 0.333 instead: IM(3.333 BTC) = $3,999.60 <= $4,000 */
	place(e, alice, T_BTC, true, BTC_P(59000), 33300, 0);
	CHECK(health(e, alice).order_im == 3999600000LL);
	/* sell 1 more: max(IM(3.333), IM(|1 - 4| = 3)) adds nothing */
	place(e, alice, T_BTC, false, BTC_P(62000), BTC_1, 0);
	h = health(e, alice);
	CHECK(h.order_im == 3999600000LL && h.im == USD(1200));
	OPEN_IS(e, alice, T_BTC, 2 * BTC_1 + 33300, 4 * BTC_1);

	/* the reads agree */
	v = tenv_view(e);
	CHECK(cl_stf_get_account_risk(&v, &r, &e->addr[alice]) == CL_OK);
	CHECK(r.health.order_im == 3999600000LL && r.health.im == USD(1200));
	CHECK(r.health.equity == USD(4000) && r.n == 1);

	/* withdrawals leave the reservation: 4000 - 3999.6 = 0.4 */
	CHECK(margin_withdrawable(&h) == 400000);
	EXPECT_REJECT(e, t_withdraw(e, &e->addr[alice], &rcpt, 400001, 0,
				    e->key[alice]),
		      CL_STF_ERR_INSUFFICIENT_COLLATERAL);
	EXPECT_OK(e, t_withdraw(e, &e->addr[alice], &rcpt, 400000, 0,
				e->key[alice]));
	h = health(e, alice);
	CHECK(h.equity == h.order_im && margin_withdrawable(&h) == 0);

	if (cur_backend == B_LMDB) {
		/* the same reads from a snapshot of the committed state */
		struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
		struct cl_snapshot *snap;
		struct cl_health hs;
		size_t n;

		t_commit(e);
		CHECK(cl_snapshot_new(&snap, lmdb.db) == CL_OK);
		struct cl_stf_view sv = {.genesis = cl_stf_genesis(e->stf),
					 .snapshot = snap};
		CHECK(cl_stf_get_open_sizes(&sv, os, &n, &e->addr[alice]) ==
			      CL_OK &&
		      n == 1 && os[0].market == T_BTC &&
		      os[0].open.buy.v == 2 * BTC_1 + 33300 &&
		      os[0].open.sell.v == 4 * BTC_1);
		CHECK(cl_stf_get_health(&sv, &hs, &e->addr[alice]) == CL_OK &&
		      hs.order_im == h.order_im && hs.im == h.im);
		CHECK(cl_stf_get_account_risk(&sv, &r, &e->addr[alice]) ==
			      CL_OK &&
		      r.health.order_im == h.order_im);
		CHECK(cl_stf_get_open_sizes(&sv, os, &n, &e->addr[bob]) ==
			      CL_OK &&
		      n == 0);
		cl_snapshot_free(snap);
	}
}

/* Rules 9 and 10 and their place after the earlier ones. */
static void codes(struct tenv *e)
{
	const int nobody = 5, poor = 6;
	struct cl_order o;

	set_mark(e, T_BTC, BTC_P(60000));
	/* no collateral: refused whatever the time in force or flags */
	place_refused(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, 0,
		      CL_STF_ERR_NO_COLLATERAL);
	place_refused(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, IOC,
		      CL_STF_ERR_NO_COLLATERAL);
	place_refused(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, FOK,
		      CL_STF_ERR_NO_COLLATERAL);
	place_refused(e, nobody, T_BTC, false, BTC_P(60000), BTC_1,
		      CL_ORDER_REDUCE_ONLY, CL_STF_ERR_NO_COLLATERAL);
	place_refused(e, nobody, T_ETH, false, 300000, 10,
		      CL_ORDER_POST_ONLY, CL_STF_ERR_NO_COLLATERAL);
	/* a zero deposit is no collateral either */
	deposit(e, nobody, 0);
	place_refused(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, IOC,
		      CL_STF_ERR_NO_COLLATERAL);
	/* the earlier rules keep their precedence */
	place_refused(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, 0x0c,
		      CL_STF_ERR_BAD_FLAGS);
	place_refused(e, nobody, T_BTC, true, BTC_P(60000) + 1, BTC_1, 0,
		      CL_STF_ERR_OFF_TICK);
	o = order_of(e, nobody, T_BTC, true, BTC_P(60000), BTC_1, 0);
	o.expiry = tenv_now(e);
	EXPECT_REJECT(e, t_place(e, &o, e->key[nobody]), CL_STF_ERR_EXPIRED);
	EXPECT_REJECT(e, t_place(e, &o, e->key[poor]),
		      CL_STF_ERR_NOT_AUTHORIZED);

	/* one atom is collateral: the margin rule decides */
	deposit(e, poor, 1);
	place_refused(e, poor, T_BTC, true, BTC_P(60000), BTC_1, 0,
		      CL_STF_ERR_ORDER_MARGIN);
	o = order_of(e, poor, T_BTC, true, BTC_P(60000), BTC_1, 0);
	o.size = 150; /* off step: rule 6 goes first */
	EXPECT_REJECT(e, t_place(e, &o, e->key[poor]), CL_STF_ERR_OFF_STEP);
	/* IOC and FOK are not checked; reduce-only reserves nothing */
	place(e, poor, T_BTC, true, BTC_P(60000), BTC_1, IOC);
	place(e, poor, T_BTC, true, BTC_P(60000), BTC_1, FOK);
	place(e, poor, T_BTC, false, BTC_P(60000), BTC_1,
	      CL_ORDER_REDUCE_ONLY);
	/* the IOC and FOK orders count while they are open */
	OPEN_IS(e, poor, T_BTC, 2 * BTC_1, 0);
	CHECK(health(e, poor).order_im == USD(2400));
	/* a post-only order rests: it is checked */
	place_refused(e, poor, T_BTC, true, BTC_P(59000), BTC_1,
		      CL_ORDER_POST_ONLY, CL_STF_ERR_ORDER_MARGIN);
	/* a market without a mark values its orders at 0 */
	CHECK(t_mkt(e, T_SOL).mark_price == 0);
	deposit(e, 9, 1);
	place(e, 9, T_SOL, true, 100000, 100, 0);
	OPEN_IS(e, 9, T_SOL, 100, 0);
	CHECK(health(e, 9).order_im == 0);
}

/* Cancels, fills and closures release; reducing orders add nothing. */
static void releases(struct tenv *e)
{
	const int eve = 4, taker = 7, dave = 3, fay = 8;
	struct cl_hash32 first, second, third, tk, ioc;
	struct cl_health h;

	deposit(e, taker, USD(1000000));
	set_mark(e, T_BTC, BTC_P(60000));

	/* a resting order, then a second one refused */
	deposit(e, eve, USD(1300));
	first = place(e, eve, T_BTC, true, BTC_P(59000), BTC_1, 0);
	CHECK(health(e, eve).order_im == USD(1200));
	place_refused(e, eve, T_BTC, true, BTC_P(59000), BTC_1 / 10, 0,
		      CL_STF_ERR_ORDER_MARGIN);
	/* the cancel releases: now it fits */
	EXPECT_OK(e, t_cancel(e, &e->addr[eve], &first, e->key[eve]));
	CHECK(n_open_markets(e, eve) == 0);
	CHECK(health(e, eve).order_im == 0);
	second = place(e, eve, T_BTC, true, BTC_P(59000), BTC_1 / 10, 0);
	OPEN_IS(e, eve, T_BTC, BTC_1 / 10, 0);

	/* a whole fill releases (the record goes) */
	tk = place(e, taker, T_BTC, false, BTC_P(59000), BTC_1 / 10, IOC);
	EXPECT_OK(e, t_fill(&second, &tk, BTC_1 / 10));
	CHECK(n_open_markets(e, eve) == 0);
	h = health(e, eve);
	CHECK(h.order_im == h.im && h.im == USD(120));

	/* a partial fill releases what filled */
	third = place(e, eve, T_BTC, true, BTC_P(59000), 9 * BTC_1 / 10, 0);
	CHECK(health(e, eve).order_im == USD(1200));
	tk = place(e, taker, T_BTC, false, BTC_P(59000), 4 * BTC_1 / 10, IOC);
	EXPECT_OK(e, t_fill(&third, &tk, 4 * BTC_1 / 10));
	OPEN_IS(e, eve, T_BTC, BTC_1 / 2, 0);
	/* ... and ORDER_DONE the rest */
	EXPECT_OK(e, t_done(&third, CL_DONE_MARGIN));
	CHECK(n_open_markets(e, eve) == 0);

	/* an IOC counts until its ORDER_DONE */
	deposit(e, dave, USD(100));
	ioc = place(e, dave, T_BTC, true, BTC_P(60000), BTC_1, IOC);
	OPEN_IS(e, dave, T_BTC, BTC_1, 0);
	EXPECT_OK(e, t_done(&ioc, CL_DONE_IOC_REMAINDER));
	CHECK(n_open_markets(e, dave) == 0);

	/* Fay: 1 BTC long with equity exactly its IM ($1,200) */
	deposit(e, fay, USD(1230));
	trade(e, fay, taker, BTC_P(60000), BTC_1);
	h = health(e, fay);
	CHECK(h.equity == USD(1200) && h.im == USD(1200));
	/* reduce-only reserves nothing */
	place(e, fay, T_BTC, false, BTC_P(61000), BTC_1,
	      CL_ORDER_REDUCE_ONLY);
	CHECK(n_open_markets(e, fay) == 0);
	/* a reducing order adds nothing: max(IM(1), IM(0)) = IM(1) */
	place(e, fay, T_BTC, false, BTC_P(61000), BTC_1, 0);
	/* nor does a flip to 0.5 short: max(IM(1), IM(0.5)) */
	place(e, fay, T_BTC, false, BTC_P(62000), BTC_1 / 2, 0);
	h = health(e, fay);
	CHECK(h.order_im == USD(1200) && h.im == USD(1200));
	OPEN_IS(e, fay, T_BTC, 0, 3 * BTC_1 / 2);
	/* one more step on the buy side raises it: IM(1.001) = 1201.2 */
	place_refused(e, fay, T_BTC, true, BTC_P(59000), 100, 0,
		      CL_STF_ERR_ORDER_MARGIN);
	/* below the requirement (mark $59,000: equity 200, IM 1180), an
	 * order that does not raise the requirement is still accepted */
	tenv_block(e, 1000);
	set_mark(e, T_BTC, BTC_P(59000));
	h = health(e, fay);
	CHECK(h.equity == USD(200) && h.order_im == USD(1180));
	place(e, fay, T_BTC, false, BTC_P(62000), BTC_1 / 2, 0);
	CHECK(health(e, fay).order_im == USD(1180));
	place_refused(e, fay, T_BTC, false, BTC_P(62000), BTC_1 / 2 + 100, 0,
		      CL_STF_ERR_ORDER_MARGIN);
}

static struct cl_hash32 run_scenario(enum backend bk,
				     void (*fn)(struct tenv *))
{
	struct tenv e;

	cur_backend = bk;
	env_open(&e, bk);
	fn(&e);
	t_open_sizes_check(&e, backend_name[bk]);
	return env_close(&e, bk);
}

/* ------------------------------------------------------------------ */
/* Random sequences                                                    */
/* ------------------------------------------------------------------ */

#define R_TRADERS 8
#define R_ORDERS 4096

struct rord {
	struct cl_hash32 h;
	int trader;
	uint32_t market;
	bool buy;
};

static uint64_t rnd(uint64_t n)
{
	return n ? test_rand() % n : 0;
}

static void random_run(enum backend bk, uint64_t n_txs, uint64_t *counts)
{
	static struct rord ord[R_ORDERS];
	static const uint32_t mk[2] = {T_BTC, T_ETH};
	static const uint64_t px[2] = {BTC_P(60000), 300000};
	static const uint64_t step[2] = {100, 10};
	size_t n_ord = 0, max_entries = 0;
	struct tenv e;

	env_open(&e, bk);
	for (int i = 0; i < R_TRADERS; i++)
		/* some rich, some poor, one with nothing */
		if (i != 7)
			deposit(&e, i, i < 4 ? USD(5000000) : USD(3000));
	set_mark(&e, T_BTC, px[0]);
	set_mark(&e, T_ETH, px[1]);
	for (uint64_t k = 0; k < n_txs; k++) {
		unsigned r = (unsigned)rnd(100);
		int rc = CL_STF_OK;

		if (k % 150 == 149) {
			tenv_block(&e, 1000);
			for (int m = 0; m < 2; m++)
				set_mark(&e, mk[m],
					 px[m] - px[m] / 50 + rnd(px[m] / 25));
			continue;
		}
		if (r < 45 || n_ord == 0) {
			int who = (int)rnd(R_TRADERS), m = (int)rnd(2);
			bool buy = rnd(2);
			uint8_t flags = 0;
			unsigned f = (unsigned)rnd(10);
			if (f == 0)
				flags = IOC;
			else if (f == 1)
				flags = FOK;
			else if (f == 2)
				flags = CL_ORDER_REDUCE_ONLY;
			else if (f == 3)
				flags = CL_ORDER_POST_ONLY;
			uint64_t price = px[m] + (rnd(41) * px[m] / 2000) -
					 px[m] / 100;
			price -= price % (m == 0 ? 100 : 1);
			uint64_t size = (1 + rnd(m == 0 ? 300 : 500)) * step[m];
			struct cl_order o = order_of(&e, who, mk[m], buy, price,
						     size, flags);
			struct cl_tx tx = t_place(&e, &o, e.key[who]);
			rc = t_apply(&e, &tx);
			if (rc == CL_STF_OK && n_ord < R_ORDERS)
				ord[n_ord++] = (struct rord){
					t_order_hash(&e, &o), who, mk[m], buy};
			counts[0] += rc == CL_STF_OK;
			counts[4] += rc == CL_STF_ERR_ORDER_MARGIN;
			counts[5] += rc == CL_STF_ERR_NO_COLLATERAL;
		} else if (r < 75) {
			/* a fill between two random orders (often refused) */
			struct rord *a = &ord[rnd(n_ord)], *b = &ord[rnd(n_ord)];
			/* mostly a pair that could match */
			for (int t = 0; t < 64; t++) {
				if (b->market == a->market &&
				    b->buy != a->buy && b->trader != a->trader)
					break;
				b = &ord[rnd(n_ord)];
			}
			struct cl_stf_view v = tenv_view(&e);
			struct cl_order_record ra, rb;
			CHECK(cl_stf_get_order(&v, &ra, &a->h) == CL_OK);
			CHECK(cl_stf_get_order(&v, &rb, &b->h) == CL_OK);
			uint64_t left = ra.size - ra.filled < rb.size - rb.filled ?
						ra.size - ra.filled :
						rb.size - rb.filled;
			uint64_t s = a->market == T_BTC ? 100 : 10;
			uint64_t q = left >= s ? (1 + rnd(left / s)) * s : s;
			struct cl_tx tx = ra.sequence < rb.sequence ?
						  t_fill(&a->h, &b->h, q) :
						  t_fill(&b->h, &a->h, q);
			rc = t_apply(&e, &tx);
			counts[1] += rc == CL_STF_OK;
		} else if (r < 90) {
			struct rord *a = &ord[rnd(n_ord)];
			struct cl_tx tx = t_cancel(&e, &e.addr[a->trader],
						   &a->h, e.key[a->trader]);
			rc = t_apply(&e, &tx);
			counts[2] += rc == CL_STF_OK;
		} else {
			struct rord *a = &ord[rnd(n_ord)];
			struct cl_tx tx = t_done(&a->h, CL_DONE_MARGIN);
			rc = t_apply(&e, &tx);
			counts[3] += rc == CL_STF_OK;
		}
		CHECK_MSG(rc >= 0, "backend error %d", rc);
		size_t entries = t_open_sizes_check(&e, backend_name[bk]);
		if (entries > max_entries)
			max_entries = entries;
	}
	counts[6] = max_entries;
	env_close(&e, bk);
}

int main(void)
{
	void (*const scen[])(struct tenv *) = {worked_example, codes,
					       releases};
	uint64_t seed = test_seed();

	for (size_t i = 0; i < sizeof(scen) / sizeof(scen[0]); i++) {
		struct cl_hash32 mem = run_scenario(B_MEMORY, scen[i]);
		struct cl_hash32 db = run_scenario(B_LMDB, scen[i]);
		CHECK_MSG(memcmp(mem.b, db.b, 32) == 0,
			  "scenario %zu: memory and lmdb roots differ", i);
	}
	CHECK(t_seen_code[CL_STF_ERR_NO_COLLATERAL]);
	CHECK(t_seen_code[CL_STF_ERR_ORDER_MARGIN]);

	/* the same random sequence on both backends */
	for (int bk = B_MEMORY; bk <= B_LMDB; bk++) {
		uint64_t counts[7] = {0};
		test_rng_state = seed;
		random_run((enum backend)bk, 3000, counts);
		printf("%s: placed %llu, filled %llu, cancelled %llu, "
		       "closed %llu; refused ORDER_MARGIN %llu, "
		       "NO_COLLATERAL %llu; at most %llu open size records\n",
		       backend_name[bk], (unsigned long long)counts[0],
		       (unsigned long long)counts[1],
		       (unsigned long long)counts[2],
		       (unsigned long long)counts[3],
		       (unsigned long long)counts[4],
		       (unsigned long long)counts[5],
		       (unsigned long long)counts[6]);
		/* the generator reaches every path */
		CHECK(counts[0] > 300 && counts[1] > 20 && counts[2] > 50 &&
		      counts[3] > 20 && counts[4] > 0 && counts[5] > 0 &&
		      counts[6] >= 4);
	}
	return test_done("test_reserve");
}
