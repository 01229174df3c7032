/* SPDX-License-Identifier: MIT */
/*
 * Options in portfolio margin, through the stf (a program, not a test;
 * docs/performance.md "Portfolio margin with options"):
 *
 *  1. check: an account holding 1, 10 or 50 option positions on two
 *     underlyings (BTC and ETH, with a perpetual on each), in portfolio
 *     mode and leg by leg: health is cl_stf_get_health(), place is
 *     cl_stf_apply() of a resting bid that does not cross (the order
 *     check: the scenarios with the orders filled), inside one block
 *     (the block's value tables shared, as the sequencer runs it);
 *  2. expiry: N accounts (default 100 000) each holding one contract of
 *     the same call, built on the backend given, then the block at the
 *     expiry opened (every position settled, OPTION_SETTLE) and
 *     committed, timed.
 *
 * Usage: bench_pm_options [iterations [positions [lmdb-dir]]]
 * (lmdb-dir: an empty directory for the expiry's state; memory without)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/options.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#define ROUNDS 10
#define N_OPT 50
#define SOON 53 /* the call every account of the expiry holds */
#define T0 1700000000ull
#define E_SOON (T0 + 7200)
#define E1 (T0 + 7 * 86400)
#define E2 (T0 + 28 * 86400)

static struct cl_stf *stf;
static struct cl_seckey *okey;
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
	memcpy(seed, "bench-pmop", 10);
	cl_put_be64(seed + 10, i);
	cl_keccak256(h, seed, sizeof(seed));
	memcpy(a->b, h + 12, 20);
}

static void market_common(struct cl_market_params *m, uint32_t id)
{
	m->id = id;
	m->price_decimals = 2;
	m->size_decimals = 4;
	m->tick_size = 1;
	m->step_size = 1;
	m->max_order_size = 1ull << 40;
	m->oi_cap = 1ull << 50;
	m->taker_fee_ppm = 500;
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

static uint64_t fwd_of(uint32_t u)
{
	return u == 1 ? 5000000 : 300000; /* $50,000, $3,000 */
}

/* Perpetuals 1 (BTC) and 2 (ETH); options 3..52, 25 on each, calls and
 * puts, strikes 80 % .. 120 %, two expiries; option 53 on BTC expiring
 * in two hours (the expiry's). */
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
	g->oracle_max_age = 86400;
	g->funding_interval = 3600;
	for (uint32_t i = 0; i < 2; i++) {
		struct cl_market_params *m = &g->markets[i];
		market_common(m, i + 1);
		snprintf(m->symbol, sizeof(m->symbol), "%s-PERP",
			 i ? "ETH" : "BTC");
		m->n_tiers = 2;
		m->tiers[0] =
		    (struct cl_risk_tier){1000000000000, 20000, 10000};
		m->tiers[1] = (struct cl_risk_tier){INT64_MAX, 50000, 25000};
	}
	for (uint32_t i = 0; i <= N_OPT; i++) {
		struct cl_market_params *m = &g->markets[2 + i];
		uint32_t u = i == N_OPT ? 1 : 1 + i % 2, j = i / 2;
		market_common(m, 3 + i);
		snprintf(m->symbol, sizeof(m->symbol), "OPT-%u", 3 + i);
		m->n_tiers = 1;
		m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 150000, 100000};
		m->underlying = u;
		m->kind = j % 2 ? CL_MARKET_PUT : CL_MARKET_CALL;
		m->strike = fwd_of(u) * (80 + 40 * (j % 9) / 8) / 100;
		m->expiry = j % 3 ? E1 : E2;
		if (i == N_OPT) {
			m->kind = CL_MARKET_CALL;
			m->strike = fwd_of(1);
			m->expiry = E_SOON;
		}
	}
	g->n_markets = 3 + N_OPT;
	struct cl_portfolio_params *p = &g->portfolio;
	p->enabled = true;
	p->range_ppm = 150000; /* +-15 % in 7 moves */
	p->n_steps = 3;
	p->vol_shift_ppm = 300000;
	p->extreme_mult = 2;
	p->extreme_ppm = 330000;
	p->im_ppm = 1500000;
	p->min_equity = 1000000000; /* $1 000 */
	p->short_min_ppm = 10000;
	p->n_pairs = 1;
	p->pairs[0] = (struct cl_pm_pair){1, 2, 700000};
}

static void apply_as(struct cl_tx *tx, const struct cl_address *who,
		     const char *what)
{
	tx->auth.recovered = true;
	tx->auth.separator = cl_stf_domain(stf)->separator;
	tx->auth.err[0] = CL_SIG_OK;
	tx->auth.signer[0] = *who;
	must(cl_stf_apply(stf, tx), what);
}

static void oracle(uint32_t market, uint64_t price)
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
	if (cl_sign_digest(&tx.u.oracle.sigs[0], okey, &d) != CL_OK)
		exit(1);
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "oracle");
}

/* A flat slice of total variance w = 0.6^2 x 28 / 365 at every strike
 * (a = w, b = 0). */
static void surface(uint32_t market, uint64_t expiry)
{
	struct cl_tx tx;
	struct cl_tx_oracle_surface *o = &tx.u.oracle_surface;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_SURFACE;
	o->market = market;
	o->expiry = expiry;
	o->n = 1;
	o->e[0].a = CL_WAD / 100 * 36 / 100 * 28 / 365;
	o->e[0].s = CL_WAD / 10;
	o->e[0].timestamp = now_s;
	cl_surface_entry_digest(&d, cl_stf_domain(stf), o, 0);
	if (cl_sign_digest(&o->e[0].sig, okey, &d) != CL_OK)
		exit(1);
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "surface");
}

static void prices(void)
{
	oracle(1, fwd_of(1));
	oracle(2, fwd_of(2));
	for (uint32_t u = 1; u <= 2; u++) {
		surface(u, E1);
		surface(u, E2);
	}
	surface(1, E_SOON);
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

static uint64_t mark_of(uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(stf);
	struct cl_market_state ms;

	if (cl_stf_get_market(&v, &ms, market) != CL_OK || !ms.mark_price) {
		fprintf(stderr, "market %u has no mark\n", market);
		exit(1);
	}
	return ms.mark_price;
}

/* `who` takes `size` (> 0 buys) of `market` from the lp at its mark. */
static void trade(const struct cl_address *who, const struct cl_address *lp,
		  uint32_t market, int64_t size)
{
	uint64_t p = mark_of(market), q = (uint64_t)(size < 0 ? -size : size);
	struct cl_hash32 mk = place(lp, market, size < 0, p, q);
	struct cl_hash32 tk = place(who, market, size > 0, p, q);
	fill(&mk, &tk, q);
}

static void mode_on(const struct cl_address *a)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PORTFOLIO_MODE;
	tx.u.portfolio_mode.msg.trader = *a;
	tx.u.portfolio_mode.msg.enabled = true;
	apply_as(&tx, a, "portfolio mode");
}

/* k option positions, half on each underlying (1: BTC), mixed long and
 * short, and a perpetual on each underlying. */
static void setup_account(const struct cl_address *a,
			  const struct cl_address *lp, uint32_t k, bool pm)
{
	deposit(a, 10000000000000ull); /* $10M */
	if (pm)
		mode_on(a);
	trade(a, lp, 1, 10000);	 /* 1 BTC */
	trade(a, lp, 2, -50000); /* -5 ETH */
	for (uint32_t i = 0; i < k; i++)
		trade(a, lp, 3 + i,
		      (i % 3 ? 1 : -1) * 1000 * (1 + (int64_t)(i % 7)));
}

static uint64_t now_ns(void)
{
	return cl_clock_mono_ns();
}

static void open_at(struct cl_state *st, struct cl_block_header *h,
		    uint64_t t_s, bool first)
{
	if (!first) {
		cl_stf_end_block(stf);
		if (cl_state_commit_block(st, &h->prev_root) != CL_OK)
			exit(1);
	}
	h->number++;
	h->timestamp_ms = t_s * 1000;
	now_s = t_s;
	memset(&h->l1, 0, sizeof(h->l1));
	h->l1.number = h->number;
	h->l1.timestamp = t_s;
	must(cl_stf_open_block(stf, h), "open block");
}

static struct cl_state *new_stf(struct cl_state *st, struct cl_genesis *g,
				struct cl_block_header *h)
{
	if (cl_stf_new(&stf, st, g) != CL_OK ||
	    cl_stf_genesis_init(stf) != CL_OK ||
	    cl_state_commit_block(st, &h->prev_root) != CL_OK)
		exit(2);
	h->number = 0;
	next_deposit = 0;
	open_at(st, h, T0, true);
	prices();
	return st;
}

static int bench_check(struct cl_genesis *g, uint64_t iters)
{
	static const uint32_t ks[] = {1, 10, 50};
	struct cl_state *st = cl_state_new_memory();
	struct cl_block_header h;
	struct cl_address lp;

	new_stf(st, g, &h);
	addr_of(&lp, 1u << 30);
	deposit(&lp, 1000000000000000ull);
	printf("%-8s %-12s %14s %14s %12s\n", "options", "mode", "health (us)",
	       "place (us)", "mm ($)");
	uint64_t who = 0;
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		for (int pm = 1; pm >= 0; pm--) {
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
					(void)place(&a, 1, true, 100000, 1);
				uint64_t t2 = now_ns();
				double hh =
				    (double)(t1 - t0) / 1e3 / (double)per;
				double pp =
				    (double)(t2 - t1) / 1e3 / (double)per;
				best_h = hh < best_h ? hh : best_h;
				best_p = pp < best_p ? pp : best_p;
			}
			printf("%-8u %-12s %14.2f %14.2f %12.2f\n", ks[ki],
			       pm ? "portfolio" : "leg by leg", best_h, best_p,
			       (double)hl.mm / 1e6);
		}
	}
	cl_stf_free(stf);
	cl_state_free(st);
	return 0;
}

static int bench_expiry(struct cl_genesis *g, uint64_t n, const char *dir)
{
	struct cl_state *st = NULL;
	struct cl_db *db = NULL;
	struct cl_block_header h;
	struct cl_address lp;

	if (dir) {
		struct cl_db_config cfg = {.path = dir,
					   .map_size = 1ULL << 34};
		if (cl_db_new(&db, &cfg) != CL_OK ||
		    cl_state_new_lmdb(&st, db) != CL_OK)
			return 2;
	} else {
		st = cl_state_new_memory();
	}
	new_stf(st, g, &h);
	addr_of(&lp, 1u << 30);
	deposit(&lp, 1000000000000000ull);
	/* the lp writes n contracts in one resting order, each account
	 * takes one (100 per block) */
	uint64_t p = mark_of(SOON), t_build = now_ns();
	struct cl_hash32 mk = place(&lp, SOON, false, p, n);
	for (uint64_t i = 0; i < n; i++) {
		struct cl_address a;
		if (i % 1000 == 999) {
			open_at(st, &h, now_s + 1, false);
			prices();
		}
		addr_of(&a, 1000000 + i);
		deposit(&a, 10000000000ull); /* $10,000 */
		struct cl_hash32 tk = place(&a, SOON, true, p, 1);
		fill(&mk, &tk, 1);
	}
	double build_s = (double)(now_ns() - t_build) / 1e9;
	/* the window: an index every minute for the last half hour */
	for (uint64_t t = E_SOON - 1800; t < E_SOON; t += 60) {
		open_at(st, &h, t, false);
		oracle(1, fwd_of(1) + 100000); /* $51,000 */
	}
	cl_stf_end_block(stf);
	if (cl_state_commit_block(st, &h.prev_root) != CL_OK)
		return 1;
	/* the expiry: blocks open until the last account holds nothing
	 * (each block settles within its budget of derived work) */
	uint64_t t_open = 0, t_commit = 0, blocks = 0;
	struct cl_address last;
	addr_of(&last, 1000000 + n - 1);
	for (;;) {
		uint64_t t0 = now_ns();
		h.number++;
		h.timestamp_ms = (E_SOON + blocks) * 1000;
		h.l1.number = h.number;
		h.l1.timestamp = E_SOON + blocks;
		must(cl_stf_open_block(stf, &h), "expiry block");
		uint64_t t1 = now_ns();
		cl_stf_end_block(stf);
		if (cl_state_commit_block(st, &h.prev_root) != CL_OK)
			return 1;
		uint64_t t2 = now_ns();
		t_open += t1 - t0;
		t_commit += t2 - t1;
		blocks++;
		struct cl_stf_view v = cl_stf_view(stf);
		struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
		size_t np;
		if (cl_stf_get_positions(&v, pos, &np, &last) != CL_OK)
			return 1;
		if (np == 0)
			break;
		if (blocks > 100000)
			return 1;
	}
	printf("\nexpiry of %" PRIu64 " positions (%s): built in %.1f s; "
	       "settled in %" PRIu64 " blocks: opening %.1f ms (%.2f us per "
	       "position), commits %.1f ms\n",
	       n, dir ? "LMDB" : "memory", build_s, blocks,
	       (double)t_open / 1e6, (double)t_open / 1e3 / (double)n,
	       (double)t_commit / 1e6);
	cl_stf_free(stf);
	cl_state_free(st);
	cl_db_free(db);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000;
	struct cl_genesis g;
	struct cl_address oaddr;
	uint8_t seed[32];
	int rc;

	if (iters == 0 || n == 0 || cl_crypto_init() != CL_OK)
		return 2;
	cl_keccak256(seed, "bench pm options oracle", 23);
	if (!cl_seckey_new_from_bytes(&okey, seed))
		return 2;
	cl_seckey_address(&oaddr, okey);
	genesis(&g, &oaddr);
	rc = bench_check(&g, iters);
	if (rc == 0)
		rc = bench_expiry(&g, n, argc > 3 ? argv[3] : NULL);
	cl_seckey_free(okey);
	return rc;
}
