/* SPDX-License-Identifier: MIT */
/*
 * Option markets in the stf (docs/options.md "Option markets in the
 * stf", docs/margin.md "Options"): listing at genesis, the volatility
 * surface from the oracle signers and its refusals, the mark, a trade
 * with the premium paid at the fill, the short-option margin, expiry on
 * the time-weighted index with a last-minute push, conservation of the
 * settlement asset at every block, and the same root on memory and
 * LMDB.
 */
#include "options_util.h"

#include <clearline/game.h>

/* ---- genesis ---- */

static void test_genesis(void)
{
	struct cl_address o[T_N_ORACLE] = {{{1}}, {{2}}, {{3}}};
	struct cl_genesis g, d;
	struct cl_hash32 h_perp, h_opt;
	struct cl_buf b;
	const char *why;

	t_genesis(&g, o);
	cl_genesis_hash(&h_perp, &g);
	cl_buf_init(&b);
	cl_genesis_encode(&b, &g);
	size_t perp_len = b.len;
	add_options(&g);
	{
		struct cl_genesis z = g;
		for (int i = 3; i < 6; i++) {
			z.markets[i].kind = 0;
			z.markets[i].underlying = 0;
			z.markets[i].strike = 0;
			z.markets[i].expiry = 0;
		}
		cl_buf_reset(&b);
		cl_genesis_encode(&b, &z);
		perp_len = b.len;
	}
	CHECK(cl_genesis_validate(&g, &why));
	CHECK(cl_genesis_n_options(&g) == 3);
	cl_genesis_hash(&h_opt, &g);
	CHECK(memcmp(h_perp.b, h_opt.b, 32) != 0);
	/* the verdict program's decoder reads it back exactly */
	cl_buf_reset(&b);
	cl_genesis_encode(&b, &g);
	/* perps as before, then 0 assets and the options' tagged section:
	 * 0x40, 3 options of id, kind, underlying, strike, expiry */
	CHECK(cl_game_genesis_decode(&d, b.p, b.len));
	CHECK(d.n_markets == 6 && d.markets[3].kind == CL_MARKET_CALL &&
	      d.markets[4].kind == CL_MARKET_PUT &&
	      d.markets[4].strike == BTC_P(50000) &&
	      d.markets[5].expiry == T_EXPIRY2 &&
	      d.markets[3].underlying == T_BTC);
	CHECK(b.p[perp_len] == 0 && b.p[perp_len + 1] == CL_GENESIS_TAG_OPTIONS &&
	      b.p[perp_len + 2] == 3);
	CHECK(b.len == perp_len + 3 + 3 * (4 + 1 + 4 + 8 + 8));
	/* a trailing byte, or the options' section cut short, is refused */
	CHECK(!cl_game_genesis_decode(&d, b.p, b.len - 1));
	uint8_t *x = malloc(b.len + 1);
	memcpy(x, b.p, b.len);
	x[b.len] = 0;
	CHECK(!cl_game_genesis_decode(&d, x, b.len + 1));
	/* an empty assets' section alone is not canonical */
	memcpy(x, b.p, perp_len);
	x[perp_len] = 0;
	struct cl_genesis p;
	t_genesis(&p, o);
	CHECK(!cl_game_genesis_decode(&d, x, perp_len + 1));
	free(x);
	cl_buf_release(&b);

	/* the rules */
	struct cl_genesis bad = g;
	bad.markets[0].strike = 1;
	CHECK(!cl_genesis_validate(&bad, &why) &&
	      strstr(why, "perpetual has no underlying"));
	bad = g;
	bad.markets[3].underlying = 99;
	CHECK(!cl_genesis_validate(&bad, &why) &&
	      strstr(why, "underlying must be a genesis perpetual"));
	bad = g;
	bad.markets[3].underlying = T_PUT; /* an option on an option */
	CHECK(!cl_genesis_validate(&bad, &why));
	bad = g;
	bad.markets[3].underlying = T_SOL; /* 3 price decimals */
	CHECK(!cl_genesis_validate(&bad, &why) &&
	      strstr(why, "price decimals"));
	bad = g;
	bad.markets[3].strike = 0;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "strike"));
	bad = g;
	bad.markets[3].expiry = 1800;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "expiry"));
	bad = g;
	bad.markets[3].kind = 3;
	CHECK(!cl_genesis_validate(&bad, &why) && strstr(why, "kind"));
}

/* ---- the signed message: ethers v6 vectors ---- */

static const char *vstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	CHECK(json_is_string(v));
	return json_is_string(v) ? json_string_value(v) : "0";
}

static void check_hex32(const struct cl_hash32 *h, const char *hex)
{
	size_t n;
	uint8_t *want = test_unhex(hex, &n);
	CHECK(n == 32 && memcmp(h->b, want, 32) == 0);
	free(want);
}

static void test_vectors(int argc, char **argv)
{
	json_t *j = test_load_vectors(argc, argv, "eip712_surface.json");
	const json_t *vs = json_object_get(j, "vectors"), *v;
	struct cl_eip712_domain d;
	struct cl_address rollup;
	size_t i;

	t_addr_hex(&rollup, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
	cl_eip712_domain_init(&d, 31337, &rollup);
	CHECK(json_array_size(vs) == 3);
	json_array_foreach(vs, i, v) {
		const json_t *m = json_object_get(v, "message");
		struct cl_tx tx = {.type = CL_TX_ORACLE_SURFACE};
		struct cl_tx_oracle_surface *o = &tx.u.oracle_surface;
		struct cl_surface_entry *e = &o->e[0];
		struct cl_hash32 dg;
		struct cl_address want;
		const char *x;
		size_t n;

		o->market = (uint32_t)json_integer_value(
			json_object_get(m, "market"));
		x = vstr(m, "expiry");
		CHECK(cl_parse_u64(&o->expiry, x, strlen(x)));
		x = vstr(m, "timestamp");
		CHECK(cl_parse_u64(&e->timestamp, x, strlen(x)));
		x = vstr(m, "a");
		CHECK(cl_parse_i64(&e->a, x, strlen(x)));
		x = vstr(m, "b");
		CHECK(cl_parse_i64(&e->b, x, strlen(x)));
		x = vstr(m, "rho");
		CHECK(cl_parse_i64(&e->rho, x, strlen(x)));
		x = vstr(m, "m");
		CHECK(cl_parse_i64(&e->m, x, strlen(x)));
		x = vstr(m, "s");
		CHECK(cl_parse_i64(&e->s, x, strlen(x)));
		o->n = 1;
		uint8_t *sig = test_unhex(vstr(v, "signature"), &n);
		CHECK(n == CL_SIG_LEN);
		memcpy(e->sig.b, sig, CL_SIG_LEN);
		free(sig);
		cl_surface_entry_digest(&dg, &d, o, 0);
		check_hex32(&dg, vstr(v, "digest"));
		/* the stf's recovery finds ethers' signer */
		cl_tx_recover(&tx, &d);
		x = vstr(v, "signer");
		CHECK(cl_address_parse(&want, x, strlen(x)));
		CHECK(tx.auth.err[0] == CL_SIG_OK &&
		      memcmp(tx.auth.signer[0].b, want.b, 20) == 0);
		/* one bit of a parameter changed: another signer */
		e->rho ^= 1;
		cl_tx_recover(&tx, &d);
		CHECK(memcmp(tx.auth.signer[0].b, want.b, 20) != 0);
	}
	json_decref(j);
}

/* ---- helpers ---- */

static struct cl_health health(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_health h;

	CHECK(cl_stf_get_health(&v, &h, a) == CL_OK);
	return h;
}

/* The mark the pricing core gives market `id` at index `fwd` now. */
static uint64_t want_mark(struct tenv *e, uint32_t id, const struct cl_svi *p,
			  uint64_t fwd)
{
	const struct cl_market_params *m = cl_genesis_market(&e->g, id);
	int64_t w, pm;

	CHECK(options_svi_w_up(&w, p, (struct cl_price){fwd},
			       (struct cl_price){m->strike}));
	CHECK(options_black76_price(&pm,
				    m->kind == CL_MARKET_CALL ? CL_OPT_CALL :
								CL_OPT_PUT,
				    (struct cl_price){fwd},
				    (struct cl_price){m->strike}, w,
				    m->expiry - tenv_now(e)));
	return (uint64_t)((pm + CL_OPT_MICRO - 1) / CL_OPT_MICRO);
}

/* ---- the surface ---- */

static void test_surface(struct tenv *e)
{
	struct cl_stf_result r;
	struct cl_svi three[3] = {day, day, day};
	uint64_t now = tenv_now(e);
	struct cl_stf_view v;
	struct cl_stf_surface sf;

	/* no surface yet: an option order is refused, the option has no
	 * mark; an oracle price for the option market is refused */
	struct cl_order o = t_order(&e->addr[1], T_CALL, true, BTC_P(700),
				    BTC_SZ(1), e->order_nonce++, now + 3600,
				    0);
	CHECK(opt_req(e, &r, t_place(e, &o, e->key[1])) == CL_STF_ERR_NO_SURFACE);
	CHECK(t_mkt(e, T_CALL).mark_price == 0);
	{
		uint64_t ps[3] = {700, 700, 700}, ts[3] = {now, now, now};
		CHECK(opt_req(e, &r, t_oracle_update(e, T_CALL, ps, ts, e->okey,
						 3)) ==
		      CL_STF_ERR_OPTION_MARKET);
	}
	/* quorum, freshness, time, listing */
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, three, 1, now)) ==
	      CL_STF_ERR_ORACLE_QUORUM);
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, three, 3, now - T_MAX_AGE - 1)) ==
	      CL_STF_ERR_ORACLE_STALE);
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, three, 3, now + 1)) ==
	      CL_STF_ERR_ORACLE_FUTURE);
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY + 1, three, 3, now)) ==
	      CL_STF_ERR_OPTION_MARKET);
	/* a signer's slice that is not SVI (|rho| >= 1) */
	struct cl_svi bad[3] = {day, day, day};
	bad[2].rho = WAD;
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, bad, 3, now)) ==
	      CL_STF_ERR_BAD_SURFACE);
	/* two of three far apart: no quorum inside the band (2 %) */
	struct cl_svi apart[3] = {day, week, week};
	apart[1].a = 3 * WAD / 1000;
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, apart, 3, now)) ==
	      CL_STF_ERR_ORACLE_OUT_OF_BOUND);
	/* a signer signs another slice than the one carried */
	struct cl_tx forged = surface(e, T_EXPIRY, three, 3, now);
	forged.u.oracle_surface.e[1].a += 1;
	CHECK(opt_req(e, &r, forged) == CL_STF_ERR_ORACLE_UNKNOWN_SIGNER);

	/* the day's slice, then the week's */
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, three, 3, now)) == CL_STF_OK);
	v = tenv_view(e);
	CHECK(cl_stf_get_surface(&v, &sf, T_BTC, T_EXPIRY) == CL_OK);
	CHECK(sf.a == day.a && sf.b == day.b && sf.rho == day.rho &&
	      sf.s == day.s && sf.timestamp == now);
	/* the same time again is not newer */
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY, three, 3, now)) ==
	      CL_STF_ERR_ORACLE_NOT_MONOTONIC);
	/* a week below the day breaks the calendar */
	struct cl_svi low[3] = {day, day, day};
	for (int i = 0; i < 3; i++)
		low[i].a = day.a / 2;
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY2, low, 3, now)) ==
	      CL_STF_ERR_BAD_SURFACE);
	/* the signers' entries combine per parameter (lower median) */
	struct cl_svi wk[3] = {week, week, week};
	wk[0].b = week.b + week.b / 100;
	wk[1].b = week.b - week.b / 100;
	CHECK(opt_req(e, &r, surface(e, T_EXPIRY2, wk, 3, now)) == CL_STF_OK);
	v = tenv_view(e);
	CHECK(cl_stf_get_surface(&v, &sf, T_BTC, T_EXPIRY2) == CL_OK &&
	      sf.b == week.b);

	/* the marks: Black-76 on the index at the slice's variance */
	uint64_t mk = t_mkt(e, T_CALL).mark_price;
	CHECK(mk == want_mark(e, T_CALL, &day, BTC_P(60000)));
	/* at the money, 54 % for a day: about 0.4 x F x sqrt(w) = $677 */
	CHECK_MSG(mk > BTC_P(670) && mk < BTC_P(685), "mark %llu",
		  (unsigned long long)mk);
	CHECK(t_mkt(e, T_PUT).mark_price ==
	      want_mark(e, T_PUT, &day, BTC_P(60000)));
	CHECK(t_mkt(e, T_CALL2).mark_price ==
	      want_mark(e, T_CALL2, &week, BTC_P(60000)));
	/* the index moves, the marks follow */
	t_open_next(e, 1000);
	CHECK(opt_price(e, BTC_P(61000)) == CL_STF_OK);
	CHECK(t_mkt(e, T_CALL).mark_price ==
	      want_mark(e, T_CALL, &day, BTC_P(61000)));
	t_open_next(e, 1000);
	CHECK(opt_price(e, BTC_P(60000)) == CL_STF_OK);
	now = tenv_now(e);
	mk = t_mkt(e, T_CALL).mark_price;

	/* the quote: inputs, implied volatility and Greeks */
	struct cl_stf_option_quote q;
	struct cl_opt_greeks gk;
	int64_t w;
	v = tenv_view(e);
	CHECK(cl_stf_get_option_quote(&v, &q, T_CALL) == CL_OK);
	CHECK(options_svi_w_up(&w, &day, (struct cl_price){BTC_P(60000)},
			       (struct cl_price){BTC_P(60000)}));
	CHECK(q.fresh && q.index == BTC_P(60000) &&
	      q.strike == BTC_P(60000) && q.tau_s == T_EXPIRY - now &&
	      q.w_wad == w && q.mark == mk);
	CHECK(options_black76(&gk, CL_OPT_CALL, (struct cl_price){q.index},
			      (struct cl_price){q.strike}, w, q.tau_s));
	CHECK(q.delta_ppb == gk.delta_ppb && q.gamma_wad == gk.gamma_wad &&
	      q.vega_micro == gk.vega_micro &&
	      q.theta_micro == gk.theta_micro);
	/* about 0.5 delta at the money; 54 % volatility */
	CHECK(q.delta_ppb > 490000000 && q.delta_ppb < 520000000);
	CHECK_MSG(q.iv_ppm > 535000 && q.iv_ppm < 545000, "iv %llu",
		  (unsigned long long)q.iv_ppm);
	CHECK(cl_stf_get_option_quote(&v, &q, T_BTC) ==
	      CL_STF_ERR_OPTION_MARKET);
}

/* ---- the scenario ---- */

#define DEP_A (20000 * T_USD)
#define DEP_B (20000 * T_USD)
#define DEP_C (1000 * T_USD)
#define DEP_D (100000 * T_USD)

static struct cl_hash32 scenario(struct cl_state *st, bool checks)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_address *A = NULL, *B, *C, *D;
	__int128 in = 0;

	tenv_init_with(&e, st, add_options);
	A = &e.addr[1];
	B = &e.addr[2];
	C = &e.addr[3];
	D = &e.addr[4];
	t_open_next(&e, 1000);
	CHECK(opt_req(&e, &r, t_deposit(0, A, DEP_A)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_deposit(1, B, DEP_B)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_deposit(2, C, DEP_C)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_deposit(3, D, DEP_D)) == CL_STF_OK);
	in = DEP_A + DEP_B + DEP_C + DEP_D;
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	if (checks)
		test_surface(&e);
	else {
		struct cl_svi d3[3] = {day, day, day};
		CHECK(opt_req(&e, &r, surface(&e, T_EXPIRY, d3, 3,
					  tenv_now(&e))) == CL_STF_OK);
	}
	conserved(&e, "surface", in);

	/* B sells A one call at $760: the premium moves at the fill */
	t_open_next(&e, 1000);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	uint64_t exp = tenv_now(&e) + 3600;
	struct cl_order ask = t_order(B, T_CALL, false, BTC_P(760), BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	struct cl_order bid = t_order(A, T_CALL, true, BTC_P(760), BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &ask, e.key[2])) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_place(&e, &bid, e.key[1])) == CL_STF_OK);
	CHECK(r.n_fills == 1 && r.filled == BTC_SZ(1));
	/* $760 premium; taker fee 5 bps ($0.38), maker fee 2 bps ($0.152) */
	CHECK(opt_coll(&e, A) == DEP_A - 760 * T_USD - 380000);
	CHECK(opt_coll(&e, B) == DEP_B + 760 * T_USD - 152000);
	CHECK(opt_pos_size(&e, A, T_CALL) == (int64_t)BTC_SZ(1));
	CHECK(opt_pos_size(&e, B, T_CALL) == -(int64_t)BTC_SZ(1));
	conserved(&e, "trade", in);

	/* B's requirement: the short-option margin of one BTC at the
	 * mark, x1.5 for IM (the tier's imf / mmf); A's long needs none */
	uint64_t mk = t_mkt(&e, T_CALL).mark_price;
	int64_t sm;
	struct cl_opt_short_rule rule = {150000, 100000};
	CHECK(options_short_margin_up(&sm, &rule, CL_OPT_CALL,
				      (struct cl_price){BTC_P(60000)},
				      (struct cl_price){BTC_P(60000)},
				      (int64_t)mk * CL_OPT_MICRO));
	/* per BTC: premium + 15 % of $60,000 */
	CHECK(sm == ((int64_t)mk + (int64_t)BTC_P(9000)) * CL_OPT_MICRO);
	int64_t mm = (sm / CL_OPT_MICRO) * (int64_t)BTC_SZ(1) / 10;
	struct cl_health hb = health(&e, B), ha = health(&e, A);
	CHECK(hb.mm == mm && hb.im == mm + mm / 2);
	/* equity counts the short at minus its mark */
	CHECK(hb.equity == opt_coll(&e, B) - (int64_t)mk * 10000);
	CHECK(ha.mm == 0 && ha.im == 0 &&
	      ha.equity == opt_coll(&e, A) + (int64_t)mk * 10000);

	/* C ($1,000) cannot write a call (it needs about $14,600 of IM) */
	struct cl_order cask = t_order(C, T_CALL, false, BTC_P(760),
				       BTC_SZ(1), e.order_nonce++, exp, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &cask, e.key[3])) ==
	      CL_STF_ERR_ORDER_MARGIN);
	/* nor buy two calls: the premium ($1,520) is paid in cash */
	struct cl_order ask2 = t_order(D, T_CALL, false, BTC_P(760),
				       BTC_SZ(2), e.order_nonce++, exp, 0);
	struct cl_order cbid = t_order(C, T_CALL, true, BTC_P(760), BTC_SZ(2),
				       e.order_nonce++, exp, 1 << 2 /* IOC */);
	CHECK(opt_req(&e, &r, t_place(&e, &ask2, e.key[4])) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_place(&e, &cbid, e.key[3])) == CL_STF_OK);
	CHECK(r.n_fills == 0 && r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_MARGIN);
	CHECK(opt_coll(&e, C) == DEP_C && opt_pos_size(&e, C, T_CALL) == 0);
	/* an order that rests until the expiry closes the market */
	struct cl_order rest = t_order(A, T_CALL, true, BTC_P(1), BTC_SZ(1),
				       e.order_nonce++, T_EXPIRY + 86400, 0);
	struct cl_hash32 rest_h = t_order_hash(&e, &rest);
	CHECK(opt_req(&e, &r, t_place(&e, &rest, e.key[1])) == CL_STF_OK);
	conserved(&e, "refusals", in);

	/* the settlement window: one block a minute with the index at
	 * $60,000, then a push to $66,000 for the last minute */
	uint64_t start = T_EXPIRY - 1800;
	t_open_next(&e, (start - 60 - tenv_now(&e)) * 1000);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	for (uint64_t t = start; t <= T_EXPIRY; t += 60) {
		t_open_next(&e, 60000);
		CHECK(tenv_now(&e) == t);
		conserved(&e, "window", in);
		if (t < T_EXPIRY)
			CHECK(opt_price(&e, t == T_EXPIRY - 60 ? BTC_P(66000) :
							     BTC_P(60000)) ==
			      CL_STF_OK);
	}
	/* (1 740 s x $60,000 + 60 s x $66,000) / 1 800 s = $60,200: the
	 * push of 10 % moved the settlement 0.33 % */
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_option_twap tw;
	CHECK(cl_stf_get_option_twap(&v, &tw, T_BTC, T_EXPIRY) == CL_OK);
	CHECK(tw.covered_s == 1800 && tw.settle_price == BTC_P(60200));
	CHECK(t_mkt(&e, T_BTC).oracle_price == BTC_P(66000));
	{
		struct cl_opt_index_sample smp[3] = {
			{start - 60, {BTC_P(60000)}},
			{T_EXPIRY - 60, {BTC_P(66000)}}};
		struct cl_price ref;
		CHECK(options_settlement_twap(&ref, smp, 2, T_EXPIRY, 1800) &&
		      ref.v == tw.settle_price);
	}
	/* every position settled at $200 a BTC, the resting order closed */
	CHECK(opt_pos_size(&e, A, T_CALL) == 0 && opt_pos_size(&e, B, T_CALL) == 0);
	CHECK(opt_coll(&e, A) == DEP_A - 760 * T_USD - 380000 + 200 * T_USD);
	CHECK(opt_coll(&e, B) == DEP_B + 760 * T_USD - 152000 - 200 * T_USD);
	struct cl_order_record rec;
	CHECK(cl_stf_get_order(&v, &rec, &rest_h) == CL_OK &&
	      rec.status == CL_ORDER_DONE);
	conserved(&e, "settled", in);
	/* the market is closed */
	struct cl_order late = t_order(A, T_CALL, true, BTC_P(100), BTC_SZ(1),
				       e.order_nonce++, tenv_now(&e) + 60, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &late, e.key[1])) ==
	      CL_STF_ERR_OPTION_EXPIRED);
	t_open_next(&e, 1000);
	conserved(&e, "after", in);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/*
 * A crash: BTC from $60,000 to $75,000 with the surface fresh. The
 * writer of a call (the $760 premium and $20,000) owes its value (about
 * $15,000) plus 15 % of the index: below maintenance, the opening of the
 * next block liquidates the short (the insurance fund takes it at the
 * mark); the holder of the long keeps it. Conservation holds throughout.
 */
static void test_liquidation(void)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_address *A, *B;
	struct cl_svi d3[3] = {day, day, day};

	tenv_init_with(&e, cl_state_new_memory(), add_options);
	A = &e.addr[1];
	B = &e.addr[2];
	t_open_next(&e, 1000);
	CHECK(opt_req(&e, &r, t_deposit(0, A, DEP_A)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_deposit(1, B, DEP_B)) == CL_STF_OK);
	CHECK(opt_price(&e, BTC_P(60000)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, surface(&e, T_EXPIRY, d3, 3, tenv_now(&e))) ==
	      CL_STF_OK);
	t_open_next(&e, 1000);
	uint64_t exp = tenv_now(&e) + 3600;
	struct cl_order ask = t_order(B, T_CALL, false, BTC_P(760), BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	struct cl_order bid = t_order(A, T_CALL, true, BTC_P(760), BTC_SZ(1),
				      e.order_nonce++, exp, 0);
	CHECK(opt_req(&e, &r, t_place(&e, &ask, e.key[2])) == CL_STF_OK);
	CHECK(opt_req(&e, &r, t_place(&e, &bid, e.key[1])) == CL_STF_OK);
	CHECK(opt_pos_size(&e, B, T_CALL) == -(int64_t)BTC_SZ(1));
	t_open_next(&e, 1000);
	CHECK(opt_price(&e, BTC_P(75000)) == CL_STF_OK);
	CHECK(opt_req(&e, &r, surface(&e, T_EXPIRY, d3, 3, tenv_now(&e))) ==
	      CL_STF_OK);
	struct cl_health hb = health(&e, B);
	CHECK_MSG(hb.equity < hb.mm, "equity %lld mm %lld",
		  (long long)hb.equity, (long long)hb.mm);
	conserved(&e, "crash", DEP_A + DEP_B);
	t_open_next(&e, 1000);
	conserved(&e, "liquidated", DEP_A + DEP_B);
	CHECK(opt_pos_size(&e, A, T_CALL) == (int64_t)BTC_SZ(1));
	CHECK_MSG(opt_pos_size(&e, B, T_CALL) > -(int64_t)BTC_SZ(1),
		  "short not reduced: %lld",
		  (long long)opt_pos_size(&e, B, T_CALL));
	hb = health(&e, B);
	printf("after the crash: B size %lld equity %lld mm %lld fund %lld\n",
	       (long long)opt_pos_size(&e, B, T_CALL), (long long)hb.equity,
	       (long long)hb.mm, (long long)t_mkt(&e, T_CALL).fund_size);
	tenv_release(&e);
}

int main(int argc, char **argv)
{
	struct t_lmdb l;

	if (cl_crypto_init() != CL_OK)
		return 2;
	test_genesis();
	test_vectors(argc, argv);
	test_liquidation();
	struct cl_hash32 a = scenario(cl_state_new_memory(), true);
	struct cl_hash32 b = scenario(cl_state_new_memory(), true);
	CHECK(memcmp(a.b, b.b, 32) == 0);
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = scenario(st, true);
		CHECK(memcmp(a.b, disk.b, 32) == 0);
		t_lmdb_close(&l);
	}
	(void)scenario(cl_state_new_memory(), false);
	return test_done("test_options_stf");
}
