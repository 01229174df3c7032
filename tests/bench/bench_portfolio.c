/* SPDX-License-Identifier: MIT */
/*
 * Portfolio margin benchmark (a program, not a test; docs/performance.md
 * "Portfolio margin check"), memory backend:
 *
 *  1. in the stf, an account in portfolio mode long one lot in each of
 *     1 and 10 perpetual markets, against the same account leg by leg:
 *     health is cl_stf_get_health() (what each fill side and withdrawal
 *     computes), place is cl_stf_apply() of a resting GTC bid that does
 *     not cross (the order check: the scenarios with the orders filled);
 *  2. the requirement itself (cl_pm_requirement) for 1, 10 and 50 option
 *     positions on two underlyings (BTC and ETH, a perpetual on each),
 *     the way the stf will call it once option markets exist: with the
 *     block's shared value tables (cl_pm_cache_values, a hit per leg)
 *     and priced per account (no tables: every leg revalued under every
 *     scenario).
 *
 * Each figure is the best of ROUNDS rounds (per call).
 *
 * Usage: bench_portfolio [iterations]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/options.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#define N_MARKETS 16
#define ROUNDS 10

static struct cl_stf *stf;
static uint64_t now_s, next_deposit, nonce;

static void must(int rc, const char *what)
{
	if (rc != CL_STF_OK) {
		fprintf(stderr, "%s: %s\n", what, cl_stf_err_str(rc));
		exit(1);
	}
}

static void addr_of(struct cl_address *a, uint64_t i)
{
	uint8_t seed[18], h[32];
	memcpy(seed, "bench-port", 10);
	cl_put_be64(seed + 10, i);
	cl_keccak256(h, seed, sizeof(seed));
	memcpy(a->b, h + 12, 20);
}

static void pm_params(struct cl_portfolio_params *p)
{
	memset(p, 0, sizeof(*p));
	p->enabled = true;
	p->range_ppm = 150000; /* +-15 % in 7 moves */
	p->n_steps = 3;
	p->vol_shift_ppm = 300000;
	p->extreme_mult = 2;
	p->extreme_ppm = 330000;
	p->im_ppm = 1500000;
	p->min_equity = 1000000000; /* $1 000 */
	p->short_min_ppm = 100000;
	p->n_pairs = 1;
	p->pairs[0] = (struct cl_pm_pair){1, 2, 700000};
}

static void genesis(struct cl_genesis *g, const struct cl_address *oracle)
{
	memset(g, 0, sizeof(*g));
	g->l1_chain_id = 31337;
	memset(g->rollup.b, 0x5f, 20);
	g->collateral_decimals = 6;
	g->expiry_horizon = 86400;
	g->n_oracle_signers = 1;
	g->oracle_signers[0] = *oracle;
	g->oracle_quorum = 1;
	g->oracle_max_age = 60;
	g->funding_interval = 3600;
	g->n_markets = N_MARKETS;
	for (uint32_t i = 0; i < N_MARKETS; i++) {
		struct cl_market_params *m = &g->markets[i];
		m->id = i + 1;
		snprintf(m->symbol, sizeof(m->symbol), "M%u-PERP", i + 1);
		m->price_decimals = 2;
		m->size_decimals = 4;
		m->tick_size = 1;
		m->step_size = 1;
		m->max_order_size = 1ull << 40;
		m->oi_cap = 1ull << 50;
		m->taker_fee_ppm = 500;
		m->n_tiers = 2;
		m->tiers[0] =
		    (struct cl_risk_tier){1000000000000, 20000, 10000};
		m->tiers[1] = (struct cl_risk_tier){INT64_MAX, 50000, 25000};
		m->risk = (struct cl_market_risk_params){
		    .oracle_band_ppm = 20000,
		    .max_jump_ppm = 200000,
		    .max_jump_window = 60,
		    .mark_band_ppm = 5000,
		    .premium_ema_seconds = 300,
		    .oi_imf_threshold_ppm = 500000,
		    .oi_imf_factor_ppm = 1000000,
		    .vol_imf_factor = 10,
		    .vol_alpha_ppm = 100000,
		    .imf_max_scale_ppm = 3000000,
		    .liq_slice_ppm = 250000,
		    .liq_fee_ppm = 5000};
	}
	pm_params(&g->portfolio);
}

/* A request as cl_tx_recover() leaves it for a good signature by
 * `who`, applied. */
static void apply_as(struct cl_tx *tx, const struct cl_address *who,
		     const char *what)
{
	tx->auth.recovered = true;
	tx->auth.separator = cl_stf_domain(stf)->separator;
	tx->auth.err[0] = CL_SIG_OK;
	tx->auth.signer[0] = *who;
	must(cl_stf_apply(stf, tx), what);
}

static void oracle(struct cl_seckey *k, uint32_t market, uint64_t price)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = market;
	tx.u.oracle.msg.price = price;
	tx.u.oracle.msg.timestamp = now_s;
	tx.u.oracle.n_sigs = 1;
	cl_oracle_price_digest(&d, cl_stf_domain(stf), &tx.u.oracle.msg);
	if (cl_sign_digest(&tx.u.oracle.sigs[0], k, &d) != CL_OK)
		exit(1);
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "oracle");
}

static void deposit(const struct cl_address *to, uint64_t amount)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_DEPOSIT;
	tx.u.deposit.id = next_deposit++;
	tx.u.deposit.to = *to;
	tx.u.deposit.amount = amount;
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "deposit");
}

static struct cl_hash32 place(const struct cl_address *who, uint32_t market,
			      bool is_buy, uint64_t price, uint64_t size)
{
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	tx.u.place.order = (struct cl_order){.trader = *who,
					     .market = market,
					     .is_buy = is_buy,
					     .price = price,
					     .size = size,
					     .nonce = nonce++,
					     .expiry = now_s + 3600};
	cl_order_digest(&tx.auth.digest, cl_stf_domain(stf), &tx.u.place.order);
	apply_as(&tx, who, "place");
	return tx.auth.digest;
}

static void fill(const struct cl_hash32 *maker, const struct cl_hash32 *taker,
		 uint64_t size)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_FILL;
	tx.u.fill.maker = *maker;
	tx.u.fill.taker = *taker;
	tx.u.fill.size = size;
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "fill");
}

static uint64_t now_ns(void)
{
	return cl_clock_mono_ns();
}

/* An account long 1 unit in each of the first k markets, in portfolio
 * mode or not. */
static void setup_account(const struct cl_address *a,
			  const struct cl_address *lp, uint32_t k, bool pm)
{
	deposit(a, 1000000000000ull); /* $1M */
	if (pm) {
		struct cl_tx tx;
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_PORTFOLIO_MODE;
		tx.u.portfolio_mode.msg.trader = *a;
		tx.u.portfolio_mode.msg.enabled = true;
		apply_as(&tx, a, "portfolio mode");
	}
	for (uint32_t m = 1; m <= k; m++) {
		struct cl_hash32 mk = place(lp, m, false, 300000, 10000);
		struct cl_hash32 tk = place(a, m, true, 300000, 10000);
		fill(&mk, &tk, 10000);
	}
}

static int bench_stf(uint64_t iters)
{
	static const uint32_t ks[] = {1, 10};
	struct cl_genesis g;
	struct cl_state *st = cl_state_new_memory();
	struct cl_seckey *ok;
	struct cl_address oaddr, lp;
	struct cl_block_header h;
	uint8_t seed[32];

	cl_keccak256(seed, "bench portfolio oracle", 22);
	if (!cl_seckey_new_from_bytes(&ok, seed))
		return 2;
	cl_seckey_address(&oaddr, ok);
	genesis(&g, &oaddr);
	if (cl_stf_new(&stf, st, &g) != CL_OK ||
	    cl_stf_genesis_init(stf) != CL_OK ||
	    cl_state_commit_block(st, &h.prev_root) != CL_OK)
		return 2;
	h.number = 1;
	h.timestamp_ms = 1700000000000ull;
	now_s = h.timestamp_ms / 1000;
	memset(&h.l1, 0, sizeof(h.l1));
	h.l1.number = 1;
	h.l1.timestamp = now_s;
	must(cl_stf_begin_block(stf, &h), "begin block");
	for (uint32_t m = 1; m <= N_MARKETS; m++)
		oracle(ok, m, 300000); /* $3,000 */
	addr_of(&lp, 1u << 30);
	deposit(&lp, 1000000000000000ull);

	printf("%-10s %-12s %14s %14s\n", "positions", "mode", "health (us)",
	       "place (us)");
	uint64_t who = 0;
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		for (int pm = 0; pm <= 1; pm++) {
			struct cl_address a;
			struct cl_health hl;
			struct cl_stf_view v = cl_stf_view(stf);
			double best_h = 1e30, best_p = 1e30;

			addr_of(&a, who++);
			setup_account(&a, &lp, ks[ki], pm);
			for (int r = 0; r < ROUNDS; r++) {
				uint64_t per = iters / ROUNDS + 1;
				uint64_t t0 = now_ns();
				for (uint64_t i = 0; i < per; i++)
					if (cl_stf_get_health(&v, &hl, &a) !=
					    CL_OK)
						return 1;
				uint64_t t1 = now_ns();
				for (uint64_t i = 0; i < per; i++)
					(void)place(&a,
						    1 + (uint32_t)(i % ks[ki]),
						    true, 100000, 1);
				uint64_t t2 = now_ns();
				double hh =
				    (double)(t1 - t0) / 1e3 / (double)per;
				double pp =
				    (double)(t2 - t1) / 1e3 / (double)per;
				best_h = hh < best_h ? hh : best_h;
				best_p = pp < best_p ? pp : best_p;
			}
			printf("%-10u %-12s %14.2f %14.2f\n", ks[ki],
			       pm ? "portfolio" : "leg by leg", best_h, best_p);
		}
	}
	cl_stf_free(stf);
	cl_state_free(st);
	cl_seckey_free(ok);
	return 0;
}

/* n option legs over BTC (fwd 50 000.00) and ETH (3 000.00), strikes
 * around the money, four expiries, calls and puts, long and short, and
 * a perpetual on each underlying. */
#define LEGS_MAX 52
static size_t make_legs(struct cl_opt_leg *legs, size_t *n_btc, size_t n)
{
	size_t k = 0;

	for (int u = 0; u < 2; u++) {
		uint64_t fwd = u == 0 ? 5000000 : 300000;
		size_t mine = u == 0 ? (n + 1) / 2 : n / 2;
		legs[k++] = (struct cl_opt_leg){
		    .kind = CL_OPT_LEG_PERP, .size_micro = u ? -50000 : 5000};
		for (size_t i = 0; i < mine; i++) {
			uint64_t days = 7 + 21 * (i % 4);
			int64_t vol_ppm = 500000 + 20000 * (int64_t)(i % 5);
			legs[k++] = (struct cl_opt_leg){
			    .kind = i % 2 ? CL_OPT_LEG_PUT : CL_OPT_LEG_CALL,
			    .strike = {fwd * (80 + 5 * (i % 9)) / 100},
			    .tau_s = days * 86400,
			    .w_wad =
				(int64_t)((__int128)CL_WAD * vol_ppm * vol_ppm /
					  1000000 / 1000000 * days / 365),
			    .size_micro =
				(i % 3 ? 1 : -1) * 1000 * (int64_t)(1 + i % 7)};
		}
		if (u == 0)
			*n_btc = k;
	}
	return k;
}

static int bench_pure(uint64_t iters)
{
	static const size_t ns[] = {1, 10, 50};
	struct cl_portfolio_params p;
	struct cl_opt_leg legs[LEGS_MAX];
	struct cl_opt_values tmp[LEGS_MAX];
	const struct cl_opt_values *vals[LEGS_MAX];
	struct cl_pm_result r;
	struct cl_pm_cache *c = cl_pm_cache_new();

	pm_params(&p);
	printf("\n%-8s %18s %18s\n", "options", "shared tables (us)",
	       "priced (us)");
	for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
		size_t nb = 0, k = make_legs(legs, &nb, ns[ni]);
		struct cl_pm_group g[2] = {{.underlying = 1,
					    .fwd = {5000000},
					    .scale_exp = 0,
					    .dyn_ppm = 1000000,
					    .legs = legs,
					    .n_legs = nb},
					   {.underlying = 2,
					    .fwd = {300000},
					    .scale_exp = 0,
					    .dyn_ppm = 1000000,
					    .legs = legs + nb,
					    .n_legs = k - nb}};
		double best_c = 1e30, best_p = 1e30;
		uint64_t per = iters / ROUNDS / 10 + 1;
		int64_t mm_c = 0, mm_p = 0;

		for (int rd = 0; rd < ROUNDS; rd++) {
			uint64_t t0 = now_ns();
			for (uint64_t it = 0; it < per; it++) {
				for (size_t i = 0; i < k; i++) {
					vals[i] = cl_pm_cache_values(
					    c, &tmp[i], &p,
					    i < nb ? g[0].fwd : g[1].fwd,
					    &legs[i]);
					if (!vals[i])
						return 1;
				}
				g[0].vals = vals;
				g[1].vals = vals + nb;
				if (!cl_pm_requirement(&r, &p, g, 2))
					return 1;
				mm_c = r.mm;
			}
			uint64_t t1 = now_ns();
			g[0].vals = g[1].vals = NULL;
			uint64_t per_p = per / 20 + 1;
			for (uint64_t it = 0; it < per_p; it++) {
				if (!cl_pm_requirement(&r, &p, g, 2))
					return 1;
				mm_p = r.mm;
			}
			uint64_t t2 = now_ns();
			double cc = (double)(t1 - t0) / 1e3 / (double)per;
			double pp = (double)(t2 - t1) / 1e3 / (double)per_p;
			best_c = cc < best_c ? cc : best_c;
			best_p = pp < best_p ? pp : best_p;
		}
		if (mm_c != mm_p)
			return 1; /* the tables must give the same figure */
		printf("%-8zu %18.2f %18.2f\n", ns[ni], best_c, best_p);
	}
	uint64_t hits, misses;
	cl_pm_cache_stats(c, &hits, &misses);
	printf("tables: %" PRIu64 " hits, %" PRIu64 " misses\n", hits, misses);
	cl_pm_cache_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	int rc;

	if (iters == 0 || cl_crypto_init() != CL_OK)
		return 2;
	rc = bench_stf(iters);
	if (rc == 0)
		rc = bench_pure(iters);
	return rc;
}
