/* SPDX-License-Identifier: MIT */
/*
 * Liquidation benchmark (a program, not a test), memory backend:
 *  - N accounts (default 1 000 000) each hold a 0.1 BTC long against one
 *    market maker, at leverages spread from 3x to 45x;
 *  - the index falls 10 % in one oracle update;
 *  - time to find every liquidatable account through the liquidation
 *    index (cl_stf_liquidation_candidates), compared with a scan of all
 *    accounts (cl_stf_get_health on each);
 *  - the cascade: LIQUIDATE / ADL transactions from
 *    cl_stf_liquidation_next() applied until the first M candidates
 *    (default 20 000) are no longer below maintenance, in transactions
 *    per second (each account takes about 14 slices of 25 %);
 *  - the book-first cascade: for the next M candidates a second maker
 *    bids 5 % over the mark (a quote the crash left behind); each slice whose bankruptcy price is at or under
 *    the bid fills on the book (LIQUIDATE_FILL, after the planning calls
 *    cl_stf_liquidation_next and cl_stf_liquidation_limit), the others
 *    go to the fund or ADL as above.
 *
 * The accounts' orders are not signed: each transaction is given the
 * result of signer recovery directly (bench_crypto measures recovery),
 * so the set-up measures the stf alone. Everything runs in one open
 * block (no Merkle commits; bench_state measures those).
 *
 * Usage: bench_liquidation [accounts [cascade-accounts]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/state.h>
#include <clearline/stf.h>

static uint64_t now_ns(void)
{
	return cl_clock_mono_ns();
}

static void addr_of(struct cl_address *a, uint64_t i)
{
	uint8_t seed[17], h[32];
	memcpy(seed, "bench-liq", 9);
	cl_put_be64(seed + 9, i);
	cl_keccak256(h, seed, sizeof(seed));
	memcpy(a->b, h + 12, 20);
}

static struct cl_stf *stf;
static uint64_t now_s;

static void must(int rc, const char *what)
{
	if (rc != CL_STF_OK) {
		fprintf(stderr, "%s: %s\n", what, cl_stf_err_str(rc));
		exit(1);
	}
}

/* A PLACE_ORDER as cl_tx_recover() would leave it for a good signature
 * by the trader itself. */
static void place(struct cl_tx *tx, const struct cl_order *o)
{
	memset(tx, 0, sizeof(*tx));
	tx->type = CL_TX_PLACE_ORDER;
	tx->u.place.order = *o;
	tx->auth.recovered = true;
	tx->auth.separator = cl_stf_domain(stf)->separator;
	cl_order_digest(&tx->auth.digest, cl_stf_domain(stf), o);
	tx->auth.err[0] = CL_SIG_OK;
	tx->auth.signer[0] = o->trader;
}

static uint64_t next_deposit;

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

static void genesis(struct cl_genesis *g, const struct cl_address *oracle)
{
	struct cl_market_params *m = &g->markets[0];

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
	g->n_markets = 1;
	m->id = 1;
	snprintf(m->symbol, sizeof(m->symbol), "BTC-PERP");
	m->price_decimals = 2;
	m->size_decimals = 5;
	m->tick_size = 100;
	m->step_size = 100;
	m->max_order_size = (1ull << 62) - (1ull << 62) % 100;
	m->oi_cap = 1ull << 62;
	m->n_tiers = 1;
	m->tiers[0] = (struct cl_risk_tier){INT64_MAX, 20000, 10000};
	m->risk = (struct cl_market_risk_params){
		.oracle_band_ppm = 20000,
		.max_jump_ppm = 200000,
		.max_jump_window = 60,
		.mark_band_ppm = 5000,
		.premium_ema_seconds = 300,
		.funding_interest_ppm = 10,
		.funding_interest_clamp_ppm = 50,
		.funding_cap_ppm = 500,
		.oi_imf_threshold_ppm = 1000000,
		.oi_imf_factor_ppm = 0,
		.vol_imf_factor = 10,
		.vol_alpha_ppm = 100000,
		.imf_max_scale_ppm = 3000000,
		.liq_slice_ppm = 250000,
		.liq_fee_ppm = 5000,
	};
}

static void oracle(struct cl_seckey *k, uint64_t price, uint64_t ts)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = 1;
	tx.u.oracle.msg.price = price;
	tx.u.oracle.msg.timestamp = ts;
	tx.u.oracle.n_sigs = 1;
	cl_oracle_price_digest(&d, cl_stf_domain(stf), &tx.u.oracle.msg);
	if (cl_sign_digest(&tx.u.oracle.sigs[0], k, &d) != CL_OK)
		exit(1);
	cl_tx_recover(&tx, cl_stf_domain(stf));
	must(cl_stf_apply(stf, &tx), "oracle");
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t m = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
	const uint64_t size = 10000; /* 0.1 BTC */
	const uint64_t price = 6000000, crashed = 5400000;
	struct cl_genesis g;
	struct cl_state *st = cl_state_new_memory();
	struct cl_seckey *ok;
	struct cl_address oaddr, lp;
	struct cl_block_header h;
	struct cl_tx tx;
	struct cl_stf_view v;
	uint8_t seed[32];
	uint64_t t0, t1;

	if (n == 0 || cl_crypto_init() != CL_OK)
		return 2;
	cl_keccak256(seed, "bench oracle", 12);
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
	oracle(ok, price, now_s - 1);

	/* the market maker sells n * 0.1 BTC in one resting order */
	t0 = now_ns();
	addr_of(&lp, UINT64_MAX >> 8);
	deposit(&lp, 100000000000000000ull);
	struct cl_order mo = {.trader = lp, .market = 1, .is_buy = false,
			      .price = price, .size = n * size, .nonce = 0,
			      .expiry = now_s + 3600, .flags = 0};
	place(&tx, &mo);
	struct cl_hash32 maker = tx.auth.digest;
	must(cl_stf_apply(stf, &tx), "maker order");

	for (uint64_t i = 0; i < n; i++) {
		struct cl_address a;
		uint64_t lev = 3 + i % 43; /* 3x .. 45x */
		addr_of(&a, i);
		deposit(&a, 6000000000ull / lev);
		struct cl_order o = {.trader = a, .market = 1, .is_buy = true,
				     .price = price, .size = size, .nonce = i,
				     .expiry = now_s + 3600, .flags = 0};
		place(&tx, &o);
		struct cl_hash32 taker = tx.auth.digest;
		must(cl_stf_apply(stf, &tx), "taker order");
		memset(&tx, 0, sizeof(tx));
		tx.type = CL_TX_FILL;
		tx.u.fill.maker = maker;
		tx.u.fill.taker = taker;
		tx.u.fill.size = size;
		cl_tx_recover(&tx, cl_stf_domain(stf));
		must(cl_stf_apply(stf, &tx), "fill");
		if ((i + 1) % 100000 == 0)
			fprintf(stderr, "  %" PRIu64 " accounts...\n", i + 1);
	}
	t1 = now_ns();
	printf("set-up: %" PRIu64 " accounts with positions in %.1f s "
	       "(%.1f us per deposit + order + fill)\n",
	       n, (double)(t1 - t0) / 1e9, (double)(t1 - t0) / 1e3 / (double)n);

	/* -10 % in one update */
	oracle(ok, crashed, now_s);
	v = cl_stf_view(stf);
	struct cl_market_state ms;
	if (cl_stf_get_market(&v, &ms, 1) != CL_OK)
		return 1;
	printf("index %" PRIu64 " -> %" PRIu64 ", mark %" PRIu64 "\n", price,
	       ms.oracle_price, ms.mark_price);

	struct cl_address *cand = calloc(n + 1, sizeof(*cand));
	size_t nc = 0;
	t0 = now_ns();
	if (cl_stf_liquidation_candidates(&v, 1, ms.mark_price, cand, n + 1,
					  &nc) != CL_OK)
		return 1;
	t1 = now_ns();
	printf("candidates from the index: %zu in %.3f ms\n", nc,
	       (double)(t1 - t0) / 1e6);

	/* the reference: every account's health */
	uint64_t below = 0;
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct cl_address a;
		struct cl_health hh;
		addr_of(&a, i);
		if (cl_stf_get_health(&v, &hh, &a) != CL_OK)
			return 1;
		below += hh.equity < hh.mm;
	}
	t1 = now_ns();
	printf("full scan: %" PRIu64 " below maintenance in %.3f s\n", below,
	       (double)(t1 - t0) / 1e9);
	if (below > nc) {
		fprintf(stderr, "the index missed accounts\n");
		return 1;
	}

	/* the cascade */
	uint64_t n_liq = 0, n_adl = 0, accounts = 0;
	size_t c0 = 0;
	t0 = now_ns();
	for (size_t c = 0; c < nc && accounts < m; c++, c0 = c) {
		bool has, touched = false;
		for (;;) {
			if (cl_stf_liquidation_next(&v, &tx, &has, &cand[c]) !=
			    CL_OK)
				return 1;
			if (!has)
				break;
			cl_tx_recover(&tx, cl_stf_domain(stf));
			must(cl_stf_apply(stf, &tx), "liquidation");
			if (tx.type == CL_TX_LIQUIDATE)
				n_liq++;
			else
				n_adl++;
			touched = true;
		}
		accounts += touched;
	}
	t1 = now_ns();
	double secs = (double)(t1 - t0) / 1e9;
	printf("cascade: %" PRIu64 " accounts, %" PRIu64 " liquidate + %" PRIu64
	       " adl transactions in %.2f s: %.0f tx/s (with the planning "
	       "call)\n",
	       accounts, n_liq, n_adl, secs,
	       secs > 0 ? (double)(n_liq + n_adl) / secs : 0.0);
	/* the book-first cascade, for the next m candidates */
	addr_of(&lp, (UINT64_MAX >> 8) - 1);
	deposit(&lp, 100000000000000000ull);
	uint64_t bid_price = ms.mark_price + ms.mark_price / 20;
	bid_price -= bid_price % 100;
	struct cl_order bo = {.trader = lp, .market = 1, .is_buy = true,
			      .price = bid_price, .size = m * size,
			      .nonce = 1, .expiry = now_s + 3600, .flags = 0};
	place(&tx, &bo);
	struct cl_hash32 bid = tx.auth.digest;
	must(cl_stf_apply(stf, &tx), "bid");
	uint64_t n_book = 0, n_back = 0, booked = 0;
	accounts = 0;
	t0 = now_ns();
	for (size_t c = c0; c < nc && accounts < m; c++) {
		bool has, touched = false;
		for (;;) {
			uint64_t limit, q = 0;
			bool is_buy;
			if (cl_stf_liquidation_next(&v, &tx, &has, &cand[c]) !=
			    CL_OK)
				return 1;
			if (!has)
				break;
			uint32_t mk = tx.type == CL_TX_ADL
					      ? tx.u.adl.market
					      : tx.u.liquidate.market;
			int rc = cl_stf_liquidation_limit(&v, &limit, &is_buy,
							  &cand[c], mk, &q);
			if (rc < 0)
				return 1;
			if (rc == 0 && limit != 0 && limit <= bid_price) {
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_LIQUIDATE_FILL;
				tx.u.liquidate_fill.account = cand[c];
				tx.u.liquidate_fill.maker = bid;
				tx.u.liquidate_fill.size = q;
				booked += q;
				n_book++;
			} else {
				n_back++;
			}
			cl_tx_recover(&tx, cl_stf_domain(stf));
			must(cl_stf_apply(stf, &tx), "book-first liquidation");
			touched = true;
		}
		accounts += touched;
	}
	t1 = now_ns();
	secs = (double)(t1 - t0) / 1e9;
	printf("book-first cascade: %" PRIu64 " accounts, %" PRIu64
	       " liquidate_fill (%" PRIu64 " size units on the book) + %" PRIu64
	       " fund/adl transactions in %.2f s: %.0f tx/s (with both "
	       "planning calls)\n",
	       accounts, n_book, booked, n_back, secs,
	       secs > 0 ? (double)(n_book + n_back) / secs : 0.0);

	struct cl_stf_globals gl;
	if (cl_stf_get_globals(&v, &gl) != CL_OK)
		return 1;
	printf("insurance fund: %" PRId64 " atoms\n", gl.insurance_balance);
	cl_stf_end_block(stf);
	free(cand);
	cl_stf_free(stf);
	cl_state_free(st);
	cl_seckey_free(ok);
	return 0;
}
