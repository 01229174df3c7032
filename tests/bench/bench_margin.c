/* SPDX-License-Identifier: MIT */
/*
 * Margin check benchmark (a program, not a test), memory backend: the
 * cost of the margin check an order pays, for an account with 1, 8 and
 * 64 positions, holding the settlement token and three collateral
 * assets (docs/margin.md "Collateral assets"), against the same account
 * without assets.
 *
 *  - health: cl_stf_get_health() (pending funding of every position,
 *    the requirements with the dynamic multipliers, the haircut value of
 *    every asset, the initial margin counting the open orders): what
 *    each fill side, withdrawal and resting order computes;
 *  - place: cl_stf_apply() of a resting GTC order that does not cross
 *    (PLACE_ORDER rules 1-10: the record, the open-order index and the
 *    margin check), signature recovery excluded (bench_crypto).
 *
 * Each figure is the best of ROUNDS rounds (per call), since the machine
 * may be shared.
 *
 * Usage: bench_margin [iterations]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#define N_MARKETS 64
#define N_ASSETS 3
#define ROUNDS 10

static struct cl_stf *stf;
static uint64_t now_s, next_deposit, next_asset_deposit, nonce;

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
	memcpy(seed, "bench-marg", 10);
	cl_put_be64(seed + 10, i);
	cl_keccak256(h, seed, sizeof(seed));
	memcpy(a->b, h + 12, 20);
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
		    .funding_interest_ppm = 10,
		    .funding_interest_clamp_ppm = 50,
		    .funding_cap_ppm = 500,
		    .oi_imf_threshold_ppm = 500000,
		    .oi_imf_factor_ppm = 1000000,
		    .vol_imf_factor = 10,
		    .vol_alpha_ppm = 100000,
		    .imf_max_scale_ppm = 3000000,
		    .liq_slice_ppm = 250000,
		    .liq_fee_ppm = 5000};
	}
	g->n_assets = N_ASSETS;
	for (uint32_t i = 0; i < N_ASSETS; i++) {
		struct cl_asset_params *a = &g->assets[i];
		a->id = i + 1;
		snprintf(a->symbol, sizeof(a->symbol), "tA%u", i + 1);
		memset(a->token.b, 0x30 + (int)i, 20);
		a->decimals = 8;
		a->oracle_market = i + 1;
		a->hedge_market = i + 1;
		a->n_tiers = 2;
		a->tiers[0] = (struct cl_haircut_tier){100000000000, 100000};
		a->tiers[1] = (struct cl_haircut_tier){INT64_MAX, 200000};
		a->vol_factor = 2;
		a->thin_ppm = 100000;
		a->depth_threshold = 100000000000;
		a->depth_band_ppm = 20000;
		a->max_haircut_ppm = 500000;
		a->liq_discount_ppm = 20000;
	}
}

static void recovered(struct cl_tx *tx)
{
	cl_tx_recover(tx, cl_stf_domain(stf));
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
	recovered(&tx);
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
	recovered(&tx);
	must(cl_stf_apply(stf, &tx), "deposit");
}

static void asset_deposit(const struct cl_address *to, uint32_t asset,
			  uint64_t amount)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ASSET_DEPOSIT;
	tx.u.asset_deposit.id = next_asset_deposit++;
	tx.u.asset_deposit.asset = asset;
	tx.u.asset_deposit.to = *to;
	tx.u.asset_deposit.amount = amount;
	recovered(&tx);
	must(cl_stf_apply(stf, &tx), "asset deposit");
}

/* A PLACE_ORDER as cl_tx_recover() leaves it for a good signature by
 * the trader itself. */
static struct cl_hash32 place(const struct cl_address *who, uint32_t market,
			      bool is_buy, uint64_t price, uint64_t size)
{
	struct cl_order o = {.trader = *who,
			     .market = market,
			     .is_buy = is_buy,
			     .price = price,
			     .size = size,
			     .nonce = nonce++,
			     .expiry = now_s + 3600,
			     .flags = 0};
	struct cl_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	tx.u.place.order = o;
	tx.auth.recovered = true;
	tx.auth.separator = cl_stf_domain(stf)->separator;
	cl_order_digest(&tx.auth.digest, cl_stf_domain(stf), &o);
	tx.auth.err[0] = CL_SIG_OK;
	tx.auth.signer[0] = o.trader;
	must(cl_stf_apply(stf, &tx), "place");
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
	recovered(&tx);
	must(cl_stf_apply(stf, &tx), "fill");
}

static uint64_t now_ns(void)
{
	return cl_clock_mono_ns();
}

/* An account long 1 unit in each of the first k markets, with or
 * without the three assets. */
static void setup_account(const struct cl_address *a,
			  const struct cl_address *lp, uint32_t k, bool assets)
{
	deposit(a, 1000000000000ull); /* $1M */
	if (assets)
		for (uint32_t i = 1; i <= N_ASSETS; i++)
			asset_deposit(a, i, 1000000000ull); /* 10 units */
	for (uint32_t m = 1; m <= k; m++) {
		struct cl_hash32 mk = place(lp, m, false, 300000, 10000);
		struct cl_hash32 tk = place(a, m, true, 300000, 10000);
		fill(&mk, &tk, 10000);
	}
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	static const uint32_t ks[] = {1, 8, 64};
	struct cl_genesis g;
	struct cl_state *st = cl_state_new_memory();
	struct cl_seckey *ok;
	struct cl_address oaddr, lp;
	struct cl_block_header h;
	uint8_t seed[32];

	if (iters == 0 || cl_crypto_init() != CL_OK)
		return 2;
	cl_keccak256(seed, "bench margin oracle", 19);
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

	printf("%-10s %-7s %14s %14s\n", "positions", "assets", "health (us)",
	       "place (us)");
	uint64_t who = 0;
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		for (int with = 0; with <= 1; with++) {
			struct cl_address a;
			struct cl_health hl;
			struct cl_stf_view v = cl_stf_view(stf);
			uint64_t t0, t1, t2;

			double best_h = 1e30, best_p = 1e30;

			addr_of(&a, who++);
			setup_account(&a, &lp, ks[ki], with);
			/* the best of ROUNDS rounds: the machine is shared */
			for (int r = 0; r < ROUNDS; r++) {
				uint64_t per = iters / ROUNDS + 1;
				t0 = now_ns();
				for (uint64_t i = 0; i < per; i++)
					if (cl_stf_get_health(&v, &hl, &a) !=
					    CL_OK)
						return 1;
				t1 = now_ns();
				/* resting bids far under the market */
				for (uint64_t i = 0; i < per; i++)
					(void)place(&a,
						    1 + (uint32_t)(i % ks[ki]),
						    true, 100000, 1);
				t2 = now_ns();
				double hh =
				    (double)(t1 - t0) / 1e3 / (double)per;
				double pp =
				    (double)(t2 - t1) / 1e3 / (double)per;
				best_h = hh < best_h ? hh : best_h;
				best_p = pp < best_p ? pp : best_p;
			}
			printf("%-10u %-7s %14.2f %14.2f\n", ks[ki],
			       with ? "3" : "0", best_h, best_p);
			if (with && hl.asset_value <= 0)
				return 1; /* the assets must count */
		}
	}
	cl_stf_free(stf);
	cl_state_free(st);
	cl_seckey_free(ok);
	return 0;
}
