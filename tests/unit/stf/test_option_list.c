/* SPDX-License-Identifier: MIT */
/*
 * Option markets listed after genesis (docs/options.md "Listing"): the
 * genesis section 0x60 and its hash, OPTION_LIST and every refusal with
 * the state and the stf's markets unchanged, a trade and a mark on the
 * listed market, a surface accepted for a listed market's new expiry, a discarded block and a restart that give exactly the
 * committed markets, and the settlement at expiry; the same root on
 * memory and LMDB.
 */
#include "options_util.h"

#include <clearline/game.h>

#define LISTER 5 /* e.addr[5] lists */
#define DEP (50000 * T_USD)

static void with_listing(struct cl_genesis *g)
{
	add_options(g);
	g->listing.enabled = true;
	t_addr_hex(&g->listing.lister,
		   "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"); /* anvil 5 */
	g->listing.max_listed = 3;
}

static struct cl_tx list_tx(struct tenv *e, struct cl_seckey *k, uint32_t tmpl,
			    uint8_t kind, uint64_t strike, uint64_t expiry,
			    const char *sym, uint64_t nonce)
{
	return t_list_tx(e, k, tmpl, kind, strike, expiry, sym, nonce);
}

/* ---- genesis ---- */

static void test_genesis(void)
{
	struct cl_address o[T_N_ORACLE] = {{{1}}, {{2}}, {{3}}};
	struct cl_genesis g, d, plain;
	struct cl_hash32 h0, h1, h2;
	struct cl_buf a, b;
	const char *why;

	t_genesis(&plain, o);
	add_options(&plain);
	cl_genesis_hash(&h0, &plain);
	g = plain;
	with_listing(&g);
	g.n_markets = 6;
	CHECK(cl_genesis_validate(&g, &why));
	cl_genesis_hash(&h1, &g);
	CHECK(memcmp(h0.b, h1.b, 32) != 0);
	cl_buf_init(&a);
	cl_buf_init(&b);
	cl_genesis_encode(&a, &plain);
	cl_genesis_encode(&b, &g);
	/* the same bytes, then 0x60 ‖ lister ‖ maxListed */
	CHECK(b.len == a.len + 22 && memcmp(a.p, b.p, a.len) == 0);
	CHECK(b.p[a.len] == CL_GENESIS_TAG_LISTING &&
	      memcmp(b.p + a.len + 1, g.listing.lister.b, 20) == 0 &&
	      b.p[a.len + 21] == 3);
	CHECK(cl_game_genesis_decode(&d, b.p, b.len));
	CHECK(d.listing.enabled && d.listing.max_listed == 3 &&
	      memcmp(d.listing.lister.b, g.listing.lister.b, 20) == 0);
	/* the section twice, or cut short, is refused */
	uint8_t *x = malloc(b.len + 22);
	memcpy(x, b.p, b.len);
	memcpy(x + b.len, b.p + a.len, 22);
	CHECK(!cl_game_genesis_decode(&d, x, b.len + 22));
	CHECK(!cl_game_genesis_decode(&d, b.p, b.len - 1));
	/* maxListed 0 does not validate, so it does not decode */
	memcpy(x, b.p, b.len);
	x[b.len - 1] = 0;
	CHECK(!cl_game_genesis_decode(&d, x, b.len));
	free(x);

	/* a listed market is never part of the encoding */
	struct cl_genesis l = g;
	l.markets[6] = l.markets[4];
	l.markets[6].id = 13;
	strcpy(l.markets[6].symbol, "LISTED");
	l.markets[6].listed = true;
	l.n_markets = 7;
	CHECK(cl_genesis_validate(&l, &why));
	cl_genesis_hash(&h2, &l);
	CHECK(memcmp(h1.b, h2.b, 32) == 0);
	CHECK(cl_genesis_n_options(&l) == 3);

	/* the rules */
	struct cl_genesis bad = g;
	bad.listing.max_listed = 0;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "maxListed"));
	bad.listing.max_listed = CL_GENESIS_MAX_MARKETS;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "maxListed"));
	bad = g;
	memset(&bad.listing.lister, 0, sizeof(bad.listing.lister));
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "lister"));
	bad = g;
	bad.listing.enabled = false;
	CHECK(!cl_genesis_validate(&bad, &why) &&
	      strstr(why, "without the section"));
	bad = l;
	bad.listing.enabled = false;
	memset(&bad.listing, 0, sizeof(bad.listing));
	CHECK(!cl_genesis_validate(&bad, &why) &&
	      strstr(why, "listed markets without"));
	bad = l;
	bad.markets[6].kind = CL_MARKET_PERP;
	bad.markets[6].underlying = 0;
	bad.markets[6].strike = bad.markets[6].expiry = 0;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "option"));
	cl_buf_release(&a);
	cl_buf_release(&b);
}

/* ---- the scenario ---- */

/* The stf's markets are the genesis ones and `n_listed` listed ones,
 * and a reader on the committed state sees the same. */
static void check_markets(struct tenv *e, uint32_t n_listed)
{
	const struct cl_genesis *sg = cl_stf_genesis(e->stf);
	struct cl_stf_view v = tenv_view(e);
	struct cl_genesis *rg = calloc(1, sizeof(*rg));
	struct cl_hash32 h;
	uint32_t n;

	CHECK_MSG(sg->n_markets == 6 + n_listed, "%u markets, want %u",
		  sg->n_markets, 6 + n_listed);
	for (uint32_t i = 0; i < sg->n_markets; i++)
		CHECK(sg->markets[i].listed == (i >= 6));
	CHECK(cl_stf_listed_count(&v, &n) == CL_OK && n == n_listed);
	v.genesis = &e->g;
	CHECK(cl_stf_view_genesis(&v, rg) == CL_OK);
	CHECK(rg->n_markets == sg->n_markets);
	for (uint32_t i = 0; i < sg->n_markets; i++)
		CHECK(rg->markets[i].id == sg->markets[i].id &&
		      strcmp(rg->markets[i].symbol, sg->markets[i].symbol) ==
			      0 &&
		      rg->markets[i].strike == sg->markets[i].strike);
	/* the genesis hash never moves */
	cl_genesis_hash(&h, sg);
	struct cl_hash32 h0;
	cl_genesis_hash(&h0, &e->g);
	CHECK(memcmp(h.b, h0.b, 32) == 0);
	free(rg);
}

static void refusals(struct tenv *e)
{
	struct cl_seckey *lk = e->key[LISTER];
	uint64_t now = tenv_now(e);
	uint64_t exp = T_EXPIRY;

	/* not the lister: a trader, an oracle signer */
	EXPECT_REJECT(e, list_tx(e, e->key[1], T_CALL, 1, BTC_P(55000), exp,
				 "L1", 0),
		      CL_STF_ERR_LIST_NOT_LISTER);
	EXPECT_REJECT(e, list_tx(e, e->okey[0], T_CALL, 1, BTC_P(55000), exp,
				 "L1", 0),
		      CL_STF_ERR_LIST_NOT_LISTER);
	/* a broken signature */
	struct cl_tx bs = list_tx(e, lk, T_CALL, 1, BTC_P(55000), exp, "L1", 0);
	bs.u.option_list.sig.b[64] = 5;
	EXPECT_REJECT(e, bs, CL_STF_ERR_BAD_SIGNATURE);
	/* the lister's nonce */
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), exp, "L1", 1),
		      CL_STF_ERR_BAD_NONCE);
	/* templates: a perpetual, nothing, a market of no kind */
	EXPECT_REJECT(e, list_tx(e, lk, T_BTC, 1, BTC_P(55000), exp, "L1", 0),
		      CL_STF_ERR_LIST_TEMPLATE);
	EXPECT_REJECT(e, list_tx(e, lk, 99, 1, BTC_P(55000), exp, "L1", 0),
		      CL_STF_ERR_LIST_TEMPLATE);
	EXPECT_REJECT(e, list_tx(e, lk, 0, 1, BTC_P(55000), exp, "L1", 0),
		      CL_STF_ERR_LIST_TEMPLATE);
	/* terms */
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 0, BTC_P(55000), exp, "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 3, BTC_P(55000), exp, "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, 0, exp, "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, CL_OPT_PRICE_MAX + 1, exp,
				 "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), now, "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), now - 10,
				 "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), now + 1800,
				 "L1", 0),
		      CL_STF_ERR_LIST_TERMS);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000),
				 now + CL_LIST_MAX_EXPIRY_AHEAD_S + 1, "L1",
				 0),
		      CL_STF_ERR_LIST_TERMS);
	/* symbols: taken, invalid, empty */
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), exp,
				 "BTC-C60K", 0),
		      CL_STF_ERR_LIST_SYMBOL);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), exp,
				 "BTC C55K", 0),
		      CL_STF_ERR_LIST_SYMBOL);
	EXPECT_REJECT(e, list_tx(e, lk, T_CALL, 1, BTC_P(55000), exp, "", 0),
		      CL_STF_ERR_LIST_SYMBOL);
	check_markets(e, 0);
}

static struct cl_hash32 scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_address *A, *B, *lister;
	struct cl_seckey *lk;
	const uint32_t L = T_CALL2 + 1; /* the first listed id */

	tenv_init_with(&e, st, with_listing);
	A = &e.addr[1];
	B = &e.addr[2];
	lister = &e.addr[LISTER];
	lk = e.key[LISTER];
	CHECK(memcmp(lister->b, e.g.listing.lister.b, 20) == 0);
	t_open_next(&e, 1000);
	CHECK(opt_req(&e, &r, t_deposit(0, A, DEP)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_deposit(1, B, DEP)) == CL_STF_OK);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	{
		struct cl_svi d3[3] = {day, day, day};
		CHECK(opt_req(&e, &r, surface(&e, T_EXPIRY, d3, 3,
					  tenv_now(&e))) == CL_STF_OK);
	}
	refusals(&e);

	/* a $55,000 call on the day's expiry, copied from BTC-C60K */
	CHECK(opt_req(&e, &r, list_tx(&e, lk, T_CALL, CL_MARKET_CALL,
				  BTC_P(55000), T_EXPIRY, "BTC-C55K", 0)) ==
	      CL_STF_OK);
	CHECK(r.listed_market == L);
	check_markets(&e, 1);
	const struct cl_market_params *m =
		cl_genesis_market(cl_stf_genesis(e.stf), L);
	const struct cl_market_params *t = cl_genesis_market(&e.g, T_CALL);
	CHECK(m && m->listed && m->kind == CL_MARKET_CALL &&
	      m->strike == BTC_P(55000) && m->expiry == T_EXPIRY &&
	      m->underlying == T_BTC && strcmp(m->symbol, "BTC-C55K") == 0);
	CHECK(m->tick_size == t->tick_size && m->step_size == t->step_size &&
	      m->taker_fee_ppm == t->taker_fee_ppm &&
	      m->n_tiers == t->n_tiers &&
	      m->tiers[0].imf_ppm == t->tiers[0].imf_ppm &&
	      m->price_decimals == t->price_decimals &&
	      m->size_decimals == t->size_decimals &&
	      memcmp(&m->risk, &t->risk, sizeof(m->risk)) == 0);
	{
		struct cl_stf_view v = tenv_view(&e);
		uint32_t tm;
		struct cl_account acc;
		CHECK(cl_stf_listed_template(&v, &tm, L) == CL_OK &&
		      tm == T_CALL);
		CHECK(cl_stf_listed_template(&v, &tm, T_CALL) ==
		      CL_ERR_NOT_FOUND);
		CHECK(cl_stf_get_account(&v, &acc, lister) == CL_OK &&
		      acc.nonce == 1);
	}
	/* the symbol is now taken; a listed market is no template; the
	 * nonce moved */
	EXPECT_REJECT(&e, list_tx(&e, lk, T_CALL, 2, BTC_P(55000), T_EXPIRY,
				  "BTC-C55K", 1),
		      CL_STF_ERR_LIST_SYMBOL);
	EXPECT_REJECT(&e, list_tx(&e, lk, L, 2, BTC_P(55000), T_EXPIRY,
				  "BTC-P55K", 1),
		      CL_STF_ERR_LIST_TEMPLATE);
	EXPECT_REJECT(&e, list_tx(&e, lk, T_CALL, 2, BTC_P(55000), T_EXPIRY,
				  "BTC-P55K", 0),
		      CL_STF_ERR_BAD_NONCE);
	check_markets(&e, 1);

	/* it is marked from the surface at the next block and trades */
	t_open_next(&e, 1000);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	uint64_t mk = t_mkt(&e, L).mark_price;
	CHECK_MSG(mk > BTC_P(5000) && mk < BTC_P(6000), "mark %llu",
		  (unsigned long long)mk);
	uint64_t px = (mk + 99) / 100 * 100;
	uint64_t exp = tenv_now(&e) + 3600;
	struct cl_order ask = t_order(B, L, false, px, BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	struct cl_order bid = t_order(A, L, true, px, BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &ask, e.key[2])) == CL_STF_OK);
	struct cl_stf_level lv[4];
	CHECK(cl_stf_book_depth(e.stf, lv, 4, L, false) == 1 &&
	      lv[0].price == px);
	CHECK(opt_req(&e, &r, t_place(&e, &bid, e.key[1])) == CL_STF_OK);
	CHECK(r.n_fills == 1 && r.filled == BTC_SZ(1));
	CHECK(opt_pos_size(&e, A, L) == (int64_t)BTC_SZ(1) &&
	      opt_pos_size(&e, B, L) == -(int64_t)BTC_SZ(1));
	/* premium at the fill: px price units of $0.01 a BTC */
	int64_t prem = (int64_t)px * 10000;
	CHECK(opt_coll(&e, A) == DEP - prem - prem / 2000);
	/* the writer's requirement is the short-option rule's */
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_health h;
		CHECK(cl_stf_get_health(&v, &h, B) == CL_OK && h.mm > 0 &&
		      h.im > h.mm);
	}

	/* a listing in a block that is thrown away is gone, and its id is
	 * free again */
	t_open_next(&e, 1000);
	CHECK(opt_req(&e, &r, list_tx(&e, lk, T_PUT, CL_MARKET_PUT, BTC_P(52000),
				  T_EXPIRY, "GONE", 1)) == CL_STF_OK);
	check_markets(&e, 2);
	cl_stf_end_block(e.stf);
	cl_state_discard(e.st);
	CHECK(cl_stf_reload(e.stf) == CL_OK);
	e.in_block = false;
	e.number--;
	check_markets(&e, 1);
	t_open_next(&e, 1000);
	CHECK(opt_req(&e, &r, list_tx(&e, lk, T_PUT, CL_MARKET_PUT, BTC_P(52000),
				  T_EXPIRY, "BTC-P52K", 1)) == CL_STF_OK);
	check_markets(&e, 2);
	CHECK(cl_genesis_market(cl_stf_genesis(e.stf), L + 1) &&
	      strcmp(cl_genesis_market(cl_stf_genesis(e.stf), L + 1)->symbol,
		     "BTC-P52K") == 0);
	/* a new expiry: a surface for it is refused before the listing
	 * and accepted after it (the calendar check against the day's) */
	{
		uint64_t exp3 = T_EXPIRY2 + 86400;
		struct cl_svi w3[3] = {week, week, week};
		CHECK(opt_req(&e, &r, surface(&e, exp3, w3, 3, tenv_now(&e))) ==
		      CL_STF_ERR_OPTION_MARKET);
		CHECK(opt_req(&e, &r, list_tx(&e, lk, T_CALL2, CL_MARKET_CALL,
					  BTC_P(65000), exp3, "BTC-C65K-W2",
					  2)) == CL_STF_OK);
		CHECK(r.listed_market == L + 2);
		CHECK(opt_req(&e, &r, surface(&e, exp3, w3, 3, tenv_now(&e))) ==
		      CL_STF_OK);
	}
	check_markets(&e, 3);
	/* the quota (3) is used */
	EXPECT_REJECT(&e, list_tx(&e, lk, T_PUT, CL_MARKET_PUT, BTC_P(51000),
				  T_EXPIRY, "BTC-P51K", 3),
		      CL_STF_ERR_LIST_FULL);
	check_markets(&e, 3);

	/* a restart: a new stf on the state sees the committed markets
	 * and the resting orders of the listed one */
	struct cl_order rest = t_order(A, L, true, BTC_P(100), BTC_SZ(1),
				       e.order_nonce++, T_EXPIRY + 86400, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &rest, e.key[1])) == CL_STF_OK);
	t_open_next(&e, 1000);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	cl_stf_free(e.stf);
	CHECK(cl_stf_new(&e.stf, e.st, &e.g) == CL_OK);
	check_markets(&e, 3);
	CHECK(cl_stf_book_depth(e.stf, lv, 4, L, true) == 1 &&
	      lv[0].price == BTC_P(100));

	/* the settlement window at $60,000: the call pays $5,000 a BTC */
	uint64_t start = T_EXPIRY - 1800;
	t_open_next(&e, (start - 60 - tenv_now(&e)) * 1000);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	int64_t ca = opt_coll(&e, A), cb = opt_coll(&e, B);
	for (uint64_t tt = start; tt <= T_EXPIRY; tt += 60) {
		t_open_next(&e, 60000);
		if (tt < T_EXPIRY)
			CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	}
	CHECK(opt_pos_size(&e, A, L) == 0 && opt_pos_size(&e, B, L) == 0);
	CHECK(opt_coll(&e, A) - ca == 5000 * T_USD);
	CHECK(cb - opt_coll(&e, B) == 5000 * T_USD);
	struct cl_stf_view v = tenv_view(&e);
	struct cl_order_record rec;
	struct cl_hash32 rest_h = t_order_hash(&e, &rest);
	CHECK(cl_stf_get_order(&v, &rec, &rest_h) == CL_OK &&
	      rec.status == CL_ORDER_DONE);
	struct cl_order late = t_order(A, L, true, BTC_P(100), BTC_SZ(1),
				       e.order_nonce++, tenv_now(&e) + 60, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &late, e.key[1])) ==
	      CL_STF_ERR_OPTION_EXPIRED);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/* A genesis without the section refuses every listing. */
static void test_no_section(void)
{
	struct tenv e;

	tenv_init_with(&e, cl_state_new_memory(), add_options);
	tenv_block(&e, 1000);
	EXPECT_REJECT(&e, list_tx(&e, e.key[LISTER], T_CALL, 1, BTC_P(55000),
				  T_EXPIRY, "L1", 0),
		      CL_STF_ERR_LIST_NOT_LISTER);
	CHECK(cl_stf_genesis(e.stf)->n_markets == 6);
	cl_stf_end_block(e.stf);
	tenv_release(&e);
}

int main(int argc, char **argv)
{
	struct t_lmdb l;

	(void)argc;
	(void)argv;
	if (cl_crypto_init() != CL_OK)
		return 2;
	test_genesis();
	test_no_section();
	struct cl_hash32 a = scenario(cl_state_new_memory());
	struct cl_hash32 b = scenario(cl_state_new_memory());
	CHECK(memcmp(a.b, b.b, 32) == 0);
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = scenario(st);
		CHECK(memcmp(a.b, disk.b, 32) == 0);
		t_lmdb_close(&l);
	}
	return test_done("test_option_list");
}
