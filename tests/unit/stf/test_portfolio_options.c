/* SPDX-License-Identifier: MIT */
/*
 * Options in portfolio margin (docs/margin.md "Portfolio margin:
 * options"), the worked examples on the stf: a long call hedged with a
 * short perpetual against the same book leg by leg; a short strangle as
 * the expiry nears and the volatility rises; the BTC/ETH credit with
 * options; an option the scenarios cannot price (a stale surface, the
 * expiry) counted leg by leg.
 */
#include "pm_options_util.h"

struct ex {
	struct tenv e;
	struct cl_address *lp, *a, *b;
	struct cl_seckey *lk, *ak, *bk;
};

/* Both indexes and both day surfaces now. */
static void ex_prices(struct ex *x, uint64_t btc, uint64_t eth,
		      const struct cl_svi *s)
{
	struct cl_stf_result r;

	CHECK(t_oracle_all(&x->e, T_BTC, btc) == CL_STF_OK);
	CHECK(t_oracle_all(&x->e, T_ETH, eth) == CL_STF_OK);
	CHECK(req(&x->e, &r, pmo_surface(&x->e, T_BTC, T_EXPIRY, s)) ==
	      CL_STF_OK);
	CHECK(req(&x->e, &r, pmo_surface(&x->e, T_ETH, T_EXPIRY, s)) ==
	      CL_STF_OK);
}

/* BTC at $60,000 and ETH at $3,000 with the day's surfaces; the lp holds
 * $1,000,000, A and B $20,000 each, A in portfolio mode. */
static void ex_init(struct ex *x)
{
	struct cl_stf_result r;
	struct cl_svi d = pmo_day(1);

	tenv_init_with(&x->e, cl_state_new_memory(), pmo_genesis);
	x->lp = &x->e.addr[0];
	x->lk = x->e.key[0];
	x->a = &x->e.addr[1];
	x->ak = x->e.key[1];
	x->b = &x->e.addr[2];
	x->bk = x->e.key[2];
	open_next(&x->e, 1000);
	fund(&x->e, 0, 1000000);
	fund(&x->e, 1, 20000);
	fund(&x->e, 2, 20000);
	ex_prices(x, BTC_P(60000), ETH_P(3000), &d);
	CHECK(req(&x->e, &r, pmo_mode(&x->e, x->a, true, 0, x->ak)) ==
	      CL_STF_OK);
}

static void show_pm(struct tenv *e, const struct cl_address *a)
{
	struct cl_pm_result r = pmo_figures(e, a);
	for (size_t i = 0; i < r.n; i++)
		printf("  u%u worst %.2f (scenario %zu) floor %.2f short min "
		       "%.2f apart %.2f\n",
		       r.u[i].underlying, (double)r.u[i].worst_loss / T_USD,
		       r.u[i].worst, (double)r.u[i].floor / T_USD,
		       (double)r.u[i].short_min / T_USD,
		       (double)r.apart_mm / T_USD);
}

/* v (atoms) is the figure of docs/margin.md, `cents` USD cents, to
 * the cent */
static bool near(int64_t v, int64_t cents)
{
	int64_t d = v - cents * (T_USD / 100);
	return d >= -(T_USD / 200) && d <= T_USD / 200;
}

static void show(const char *what, const struct cl_health *h)
{
	printf("%-30s mm %10.2f im %10.2f equity %10.2f\n", what,
	       (double)h->mm / T_USD, (double)h->im / T_USD,
	       (double)h->equity / T_USD);
}

/*
 * A long call hedged with a short perpetual: A (portfolio) and B (leg
 * by leg) each buy one BTC call at $60,000 (the day's expiry, $760) and
 * sell 0.5 BTC of the perpetual at $60,000.
 */
static void hedged_call(void)
{
	struct ex x;
	struct cl_svi d = pmo_day(1);

	ex_init(&x);
	struct tenv *e = &x.e;
	CHECK(t_trade(e, x.a, x.ak, x.lp, x.lk, T_CALL, BTC_P(760),
		      BTC_SZ(1)) == CL_STF_OK);
	CHECK(t_trade(e, x.b, x.bk, x.lp, x.lk, T_CALL, BTC_P(760),
		      BTC_SZ(1)) == CL_STF_OK);
	CHECK(t_trade(e, x.lp, x.lk, x.a, x.ak, T_BTC, BTC_P(60000),
		      BTC_SZ(1) / 2) == CL_STF_OK);
	CHECK(t_trade(e, x.lp, x.lk, x.b, x.bk, T_BTC, BTC_P(60000),
		      BTC_SZ(1) / 2) == CL_STF_OK);
	struct cl_health ha = pmo_health(e, x.a), hb = pmo_health(e, x.b);
	show("hedged call, portfolio", &ha);
	show("hedged call, leg by leg", &hb);
	/* the figures of docs/margin.md */
	CHECK(near(ha.mm, 20309) && near(ha.im, 30464));
	CHECK(hb.mm == USD(300) && hb.im == USD(600));
	struct cl_pm_result pr = pmo_figures(e, x.a);
	CHECK(pr.n == 1 && pr.u[0].underlying == T_BTC && pr.apart_mm == 0);
	CHECK(ha.mm == pr.mm && ha.im == pr.im);
	printf("  worst loss %.2f floor %.2f short min %.2f\n",
	       (double)pr.u[0].worst_loss / T_USD,
	       (double)pr.u[0].floor / T_USD,
	       (double)pr.u[0].short_min / T_USD);

	/* the surface goes stale: the call leaves the scenarios (no fresh
	 * inputs) and hedges nothing; the perpetual alone is margined */
	open_next(e, (T_MAX_AGE + 1) * 1000);
	CHECK(t_oracle_all(e, T_BTC, BTC_P(60000)) == CL_STF_OK);
	CHECK(t_oracle_all(e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	struct cl_health hs = pmo_health(e, x.a);
	show("hedged call, stale surface", &hs);
	CHECK(hs.mm == USD(1500));
	pr = pmo_figures(e, x.a);
	CHECK(pr.n == 1 && pr.apart_mm == 0 /* a paid long needs none */);
	CHECK(hs.mm > ha.mm);
	/* fresh again: the hedge is back */
	struct cl_stf_result r;
	CHECK(req(e, &r, pmo_surface(e, T_BTC, T_EXPIRY, &d)) == CL_STF_OK);
	CHECK(pmo_health(e, x.a).mm < hs.mm);
	tenv_release(e);
}


/* A sells `size` of option `market` to the lp at its mark. */
static void sell_at_mark(struct ex *x, uint32_t market, uint64_t size)
{
	const struct cl_market_params *m = cl_genesis_market(&x->e.g, market);
	uint64_t mk = t_mkt(&x->e, market).mark_price;

	mk -= mk % m->tick_size; /* on the tick */
	CHECK(mk > 0);
	CHECK(t_trade(&x->e, x->lp, x->lk, x->a, x->ak, market, mk, size) ==
	      CL_STF_OK);
}

/*
 * A short strangle: A sells one BTC call at $57,000 and one put at
 * $53,000 (the day's expiry) with BTC at $55,000 on a surface four
 * times the day's (about 100 % volatility). As the expiry nears at the
 * same volatility (a sixth of the total variance left after 20 hours)
 * the maintenance requirement grows: the extreme move costs more when
 * less premium is left to lose. As the surface rises (1.5 and 2 times
 * the volatility) the scenario figure itself does not grow under sticky
 * strike (the extreme move dominates, and a dearer option has less to
 * gain from it), but what the account needs in collateral to stay above
 * maintenance, the requirement plus the shorts' value at their marks
 * (mm - upnl), grows with every step.
 */
static int64_t need(const struct cl_health *h)
{
	return h->mm - h->upnl;
}

static void strangle(void)
{
	struct ex x;
	struct cl_svi d = pmo_day(4), d4h = pmo_day_scaled(4, 6),
		      v15 = pmo_day_scaled(9, 6), v2 = pmo_day_scaled(16, 6);
	struct cl_health h0, h1, h2, h3;

	ex_init(&x);
	struct tenv *e = &x.e;
	open_next(e, 1000);
	ex_prices(&x, BTC_P(55000), ETH_P(3000), &d);
	sell_at_mark(&x, T_SCALL, BTC_SZ(1));
	sell_at_mark(&x, T_SPUT, BTC_SZ(1));
	h0 = pmo_health(e, x.a);
	show("strangle, 24 h to expiry", &h0);
	show_pm(e, x.a);
	/* 20 hours later, the same index and volatility */
	open_next(e, 20 * 3600 * 1000ULL);
	ex_prices(&x, BTC_P(55000), ETH_P(3000), &d4h);
	h1 = pmo_health(e, x.a);
	show("strangle, 4 h to expiry", &h1);
	show_pm(e, x.a);
	CHECK_MSG(h1.mm > h0.mm, "mm %lld -> %lld", (long long)h0.mm,
		  (long long)h1.mm);
	/* the surface up: 150 %, then 200 % volatility */
	open_next(e, 1000);
	ex_prices(&x, BTC_P(55000), ETH_P(3000), &v15);
	h2 = pmo_health(e, x.a);
	show("strangle, 4 h, volatility x1.5", &h2);
	open_next(e, 1000);
	ex_prices(&x, BTC_P(55000), ETH_P(3000), &v2);
	h3 = pmo_health(e, x.a);
	show("strangle, 4 h, volatility x2", &h3);
	printf("  collateral needed: %.2f, %.2f, %.2f\n",
	       (double)need(&h1) / T_USD, (double)need(&h2) / T_USD,
	       (double)need(&h3) / T_USD);
	CHECK(need(&h2) > need(&h1) && need(&h3) > need(&h2));
	CHECK(near(h0.mm, 174890) && near(h1.mm, 204106) &&
	      near(h2.mm, 196528) && near(h3.mm, 185633));
	CHECK(near(need(&h1), 210605) && near(need(&h2), 226063) &&
	      near(need(&h3), 249233));
	CHECK(h2.equity < h1.equity && h3.equity < h2.equity);
	struct cl_pm_result pr = pmo_figures(e, x.a);
	CHECK(pr.n == 1 && pr.u[0].short_min == USD(1100) &&
	      pr.apart_mm == 0);
	tenv_release(e);
}

/*
 * The BTC/ETH credit with options: A holds one BTC call at $60,000
 * (delta about +0.5 BTC) and is short 10 ETH calls at $3,000 (about
 * -5 ETH): the groups' deltas oppose, so 70 % of the smaller loss comes
 * off; the same book without the pair gets no credit.
 */
static void correlation(void)
{
	struct ex x;

	ex_init(&x);
	struct tenv *e = &x.e;
	CHECK(t_trade(e, x.a, x.ak, x.lp, x.lk, T_CALL, BTC_P(760),
		      BTC_SZ(1)) == CL_STF_OK);
	sell_at_mark(&x, T_ECALL, ETH_SZ(10));
	struct cl_pm_result pr = pmo_figures(e, x.a);
	CHECK(pr.n == 2 && pr.u[0].underlying == T_BTC &&
	      pr.u[1].underlying == T_ETH);
	CHECK(pr.u[0].delta > 0 && pr.u[1].delta < 0);
	int64_t l0 = pr.u[0].worst_loss > pr.u[0].floor ? pr.u[0].worst_loss
							: pr.u[0].floor;
	int64_t l1 = pr.u[1].worst_loss > pr.u[1].floor ? pr.u[1].worst_loss
							: pr.u[1].floor;
	int64_t small = l0 < l1 ? l0 : l1, credit = small * 7 / 10;
	printf("credit: BTC loss %.2f ETH loss %.2f mm %.2f (credit %.2f)\n",
	       (double)l0 / T_USD, (double)l1 / T_USD, (double)pr.mm / T_USD,
	       (double)credit / T_USD);
	CHECK(near(l0, 67526) && near(l1, 137329) && near(pr.mm, 157587));
	/* each group keeps at least its short-option minimum */
	CHECK_MSG(pr.mm >= l0 + l1 - small * 7 / 10 - 1 &&
		  pr.mm <= l0 + l1 - small * 7 / 10 + 1 && credit > 0,
		  "mm %lld l0 %lld l1 %lld", (long long)pr.mm,
		  (long long)l0, (long long)l1);
	/* the pure requirement without the pair: no credit */
	struct cl_portfolio_params p = e->g.portfolio;
	p.n_pairs = 0;
	struct cl_health h = pmo_health(e, x.a);
	CHECK(h.mm == pr.mm);
	tenv_release(e);
	(void)p;
}

/*
 * An option market with finer size units than its underlying (6 decimals
 * against BTC-PERP's 5) cannot be converted exactly: in portfolio mode
 * its positions count leg by leg, the same figure a leg-by-leg account
 * holding them needs.
 */
static void finer_sizes(void)
{
	struct ex x;

	ex_init(&x);
	struct tenv *e = &x.e;
	uint64_t mk = t_mkt(e, T_FINE).mark_price / 100 * 100; /* tick */
	CHECK(mk > 0);
	CHECK(t_trade(e, x.lp, x.lk, x.a, x.ak, T_FINE, mk, 1000000) ==
	      CL_STF_OK);
	CHECK(t_trade(e, x.lp, x.lk, x.b, x.bk, T_FINE, mk, 1000000) ==
	      CL_STF_OK);
	struct cl_pm_result pr = pmo_figures(e, x.a);
	struct cl_health ha = pmo_health(e, x.a), hb = pmo_health(e, x.b);
	CHECK(pr.n == 0 && pr.apart_mm > 0);
	CHECK_MSG(ha.mm == hb.mm && pr.apart_mm == hb.mm && ha.im == hb.im,
		  "portfolio %lld / %lld, leg by leg %lld / %lld",
		  (long long)ha.mm, (long long)ha.im, (long long)hb.mm,
		  (long long)hb.im);
	tenv_release(e);
}

/*
 * The liquidation's choice with an option: C ($3,000, portfolio mode)
 * writes a BTC put at $53,000 with BTC at $55,000 and hedges part of its
 * delta with 0.2 BTC short on the perpetual. BTC falls 15 % with the
 * surface up: C is under maintenance; the perpetual hedges (removing it
 * would raise the requirement), so the put goes first (the perpetual,
 * left alone without equity to carry it, follows in the same sweep).
 */
static void riskiest_option(void)
{
	struct ex x;
	struct cl_stf_result r;
	struct cl_svi d = pmo_day(4), spike = pmo_day(9);

	ex_init(&x);
	struct tenv *e = &x.e;
	struct cl_address *c = &e->addr[3];
	struct cl_seckey *ck = e->key[3];
	fund(e, 3, 3000);
	CHECK(req(e, &r, pmo_mode(e, c, true, 0, ck)) == CL_STF_OK);
	open_next(e, 1000);
	ex_prices(&x, BTC_P(55000), ETH_P(3000), &d);
	uint64_t mk = t_mkt(e, T_SPUT).mark_price / 100 * 100;
	CHECK(t_trade(e, x.lp, x.lk, c, ck, T_SPUT, mk, BTC_SZ(1)) ==
	      CL_STF_OK);
	CHECK(t_trade(e, x.lp, x.lk, c, ck, T_BTC, BTC_P(55000),
		      BTC_SZ(1) / 5) == CL_STF_OK);
	open_next(e, 1000);
	ex_prices(&x, BTC_P(46750), ETH_P(3000), &spike);
	struct cl_health h = pmo_health(e, c);
	CHECK_MSG(h.equity < h.mm, "equity %lld mm %lld", (long long)h.equity,
		  (long long)h.mm);
	open_next(e, 1000);
	CHECK_MSG(pmo_size(e, c, T_SPUT) > -(int64_t)BTC_SZ(1),
		  "put not reduced: %lld", (long long)pmo_size(e, c, T_SPUT));
	{
		struct cl_stf_view v = tenv_view(e);
		struct cl_stf_event ev[16];
		size_t n;
		CHECK(cl_stf_get_events(&v, ev, 16, &n, c, 0) == CL_OK);
		/* the first liquidation event is the put's */
		CHECK_MSG(n >= 1 && ev[0].market == T_SPUT, "%zu events, "
			  "first in market %u", n, n ? ev[0].market : 0);
	}
	tenv_release(e);
}

/* The figures of A with the block's memo and without it (a verifier);
 * they must agree to the atom. */
static struct cl_pm_result both(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_pm_result with, without;

	CHECK(v.pm_cache != NULL);
	CHECK(cl_stf_get_portfolio(&v, &with, a) == CL_OK);
	v.pm_cache = NULL;
	CHECK(cl_stf_get_portfolio(&v, &without, a) == CL_OK);
	CHECK_MSG(with.mm == without.mm && with.im == without.im &&
		      with.n == without.n &&
		      with.u[0].worst_loss == without.u[0].worst_loss,
		  "memo mm %lld, without %lld", (long long)with.mm,
		  (long long)without.mm);
	return with;
}

static uint64_t hits(struct tenv *e)
{
	uint64_t h, m;
	cl_pm_cache_stats(tenv_view(e).pm_cache, &h, &m);
	return h;
}

/*
 * The block's memo never serves a stale figure: A holds two BTC calls
 * and is short the perpetual; within one block a check fills the memo,
 * a second is served from it, then a surface (and, in the next block,
 * an index) is written mid-block: the next check's figure moves, and
 * equals a computation without the memo.
 */
static void mid_block_update(void)
{
	struct ex x;
	struct cl_svi d = pmo_day(1), up = pmo_day_scaled(3, 2);
	struct cl_stf_result r;
	struct cl_pm_result p0, p1, p2, p3;
	uint64_t h0;

	ex_init(&x);
	struct tenv *e = &x.e;
	CHECK(t_trade(e, x.a, x.ak, x.lp, x.lk, T_CALL, BTC_P(760),
		      BTC_SZ(2)) == CL_STF_OK);
	CHECK(t_trade(e, x.lp, x.lk, x.a, x.ak, T_BTC, BTC_P(60000),
		      BTC_SZ(1) / 2) == CL_STF_OK);
	open_next(e, 1000);
	p0 = both(e, x.a);
	h0 = hits(e);
	CHECK(both(e, x.a).mm == p0.mm);
	CHECK_MSG(hits(e) > h0, "the second check is not served by the memo");
	/* the surface up by half, in the same block */
	CHECK(req(e, &r, pmo_surface(e, T_BTC, T_EXPIRY, &up)) == CL_STF_OK);
	p1 = both(e, x.a);
	printf("mid-block surface: mm %.2f -> %.2f\n", (double)p0.mm / T_USD,
	       (double)p1.mm / T_USD);
	CHECK(p1.mm != p0.mm && p1.u[0].worst_loss != p0.u[0].worst_loss);
	/* back down in the next block, then the index moves mid-block */
	open_next(e, 1000);
	CHECK(req(e, &r, pmo_surface(e, T_BTC, T_EXPIRY, &d)) == CL_STF_OK);
	p2 = both(e, x.a);
	CHECK(t_oracle_all(e, T_BTC, BTC_P(63000)) == CL_STF_OK);
	p3 = both(e, x.a);
	printf("mid-block index: mm %.2f -> %.2f\n", (double)p2.mm / T_USD,
	       (double)p3.mm / T_USD);
	CHECK(p3.u[0].worst_loss != p2.u[0].worst_loss);
	tenv_release(e);
}

int main(void)
{
	hedged_call();
	strangle();
	correlation();
	finer_sizes();
	riskiest_option();
	mid_block_update();
	return test_done("test_portfolio_options");
}
