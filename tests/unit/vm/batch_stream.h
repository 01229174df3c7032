/* SPDX-License-Identifier: MIT */
/*
 * A stream of blocks posted as the sequencer posts them, for the tests
 * of the verdict program (test_stf_batch; docs/vm.md "The verdict
 * program"): a seeded random stream (12 traders on three markets, orders
 * of every kind, some with a client order id, cancels, deposits, oracle
 * moves, dead-man switches armed and disarmed, margin mode changes,
 * isolated margin moves, subaccount transfers and orders of isolated
 * accounts and subaccounts, gaps up to an hour) run
 * natively block by block on a fresh stf, each block keeping only
 * its accepted requests (a cancel with its order's sequence number
 * filled in), with the preimages of the state before each block; and
 * version 2 batches of it (cl_batch2_encode) with the rollup's record
 * and deposit records of each. stream_build_with(.., true) gives the
 * genesis the tETH collateral asset and the first block two asset
 * deposits (ClearlineAssets' records beside the deposits).
 */
#ifndef CLEARLINE_TEST_BATCH_STREAM_H
#define CLEARLINE_TEST_BATCH_STREAM_H

#include "stf/collateral_util.h"
#include "stf/stf_util.h"

#include <clearline/batch.h>
#include <clearline/game.h>
#include <clearline/l1.h>

#define MAX_BLOCKS 16
#define MAX_REQS 18 /* a block's requests (the first: 17 with assets) */
#define RAND_REQS 16 /* the random blocks' most requests */
#define MAX_DEPS 64
#define MAX_FORCED 64
#define NTRADERS 12
#define NPLACED 256

/* One block of the stream: what the sequencer posts. */
struct sblock {
	struct cl_batch2_block b; /* txs points into txs[] */
	struct cl_tx txs[MAX_REQS];
	struct cl_preimage_map *pre; /* the state before it */
	struct cl_hash32 prev_root;
};

struct stream {
	struct tenv e;
	struct sblock blk[MAX_BLOCKS];
	size_t n;
	struct cl_hash32 genesis_root;
	struct cl_game_deposit dep[MAX_DEPS]; /* the rollup's records */
	size_t n_dep;
	struct cl_game_asset_deposit adep[MAX_DEPS]; /* ClearlineAssets' */
	size_t n_adep;
	struct cl_game_forced forced[MAX_FORCED]; /* the rollup's records */
	size_t n_forced;
	uint64_t next_forced_id;
	struct cl_game_forced made[MAX_FORCED]; /* as L1 took each, by id */
	uint64_t derived; /* primitive steps the blocks derived */
	uint64_t accepted[CL_TX_TYPE_MAX + 1]; /* requests kept, by type */
};

/* A posted batch: blocks [first, first + n) of the stream. */
struct posted {
	size_t first, n;
	struct cl_buf data;
	struct cl_game_batch rec;
	struct cl_hash32 prev_root;
	const struct cl_game_deposit *dep;
	size_t n_dep;
	struct cl_game_assets assets; /* the asset deposits it consumes */
	uint64_t assets_after;	      /* asset deposits consumed after it */
	const struct cl_game_forced *forced;
	size_t n_forced;
};

static inline uint64_t rnd(uint64_t n)
{
	return test_rand() % n;
}

/* ---- the stream ---- */

static const uint64_t tick[3] = {100, 1, 10};
static const uint64_t lot[3] = {100, 10, 1};

static inline void tweak(struct cl_genesis *g)
{
	for (uint32_t i = 0; i < g->n_markets; i++) {
		g->markets[i].oi_cap = INT64_MAX / 2;
		g->markets[i].risk.liq_slice_ppm = 250000;
		g->markets[i].risk.liq_fee_ppm = 5000;
	}
	t_risk_on(&g->markets[0]);
	/* portfolio margin (docs/margin.md "Portfolio margin") */
	g->portfolio.enabled = true;
	g->portfolio.range_ppm = 50000;
	g->portfolio.n_steps = 3;
	g->portfolio.vol_shift_ppm = 300000;
	g->portfolio.extreme_mult = 3;
	g->portfolio.extreme_ppm = 330000;
	g->portfolio.im_ppm = 1500000;
	g->portfolio.min_equity = 1000 * T_USD;
	g->portfolio.n_pairs = 1;
	g->portfolio.pairs[0] =
		(struct cl_pm_pair){g->markets[0].id, g->markets[1].id, 700000};
}

/* A PORTFOLIO_MODE request of trader t with its current nonce. */
static inline struct cl_tx pm_tx(struct tenv *e, int t, bool enabled)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	struct cl_tx tx;
	struct cl_hash32 d;
	int rc = cl_stf_get_account(&v, &acc, &e->addr[t]);

	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PORTFOLIO_MODE;
	tx.u.portfolio_mode.msg.trader = e->addr[t];
	tx.u.portfolio_mode.msg.enabled = enabled;
	tx.u.portfolio_mode.msg.nonce = rc == CL_OK ? acc.nonce : 0;
	cl_portfolio_mode_digest(&d, cl_stf_domain(e->stf),
				 &tx.u.portfolio_mode.msg);
	t_sign(&tx.u.portfolio_mode.sig, e->key[t], &d);
	return tx;
}

static inline void tweak_assets(struct cl_genesis *g)
{
	tweak(g);
	add_teth(g);
}

static inline struct cl_tx oracle_tx(struct tenv *e, int mi, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];

	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	return t_oracle_update(e, e->g.markets[mi].id, ps, ts, e->okey, 3);
}

/*
 * Run `cand` (n requests) as the next block of the stream on a fresh stf,
 * as the sequencer does: each request is recovered and applied; the
 * accepted ones (a cancel with its order's sequence number filled in)
 * are the block. The deposits among them become the rollup's records.
 */
static inline void seal(struct stream *s, struct cl_tx *cand, size_t n,
			uint64_t gap_ms)
{
	struct tenv *e = &s->e;
	struct sblock *sb = &s->blk[s->n++];
	struct cl_block_header h;
	struct cl_stf *stf;

	CHECK(s->n <= MAX_BLOCKS);
	memset(&h, 0, sizeof(h));
	h.number = ++e->number;
	e->ms += gap_ms;
	h.timestamp_ms = e->ms;
	h.prev_root = e->root;
	h.l1 = t_l1_at(e->ms);
	sb->pre = cl_preimage_map_new();
	CHECK(cl_preimage_map_add_state(sb->pre, e->st) == CL_OK);
	sb->prev_root = e->root;
	CHECK(cl_stf_new(&stf, e->st, &e->g) == CL_OK);
	CHECK(cl_stf_open_block(stf, &h) == CL_STF_OK);
	memset(&sb->b, 0, sizeof(sb->b));
	for (size_t i = 0; i < n; i++) {
		struct cl_tx tx = cand[i];

		cl_tx_recover(&tx, cl_stf_domain(stf));
		if (cl_stf_request(stf, NULL, &tx) != CL_STF_OK)
			continue;
		sb->txs[sb->b.n_txs++] = tx;
		s->accepted[tx.type]++;
		if (tx.type == CL_TX_DEPOSIT) {
			struct cl_game_deposit *d = &s->dep[s->n_dep++];

			CHECK(s->n_dep <= MAX_DEPS);
			CHECK(tx.u.deposit.id == s->n_dep - 1);
			d->to = tx.u.deposit.to;
			d->amount = tx.u.deposit.amount;
			d->timestamp = (uint32_t)(e->ms / 1000 - 7);
		}
		if (tx.type == CL_TX_ASSET_DEPOSIT) {
			struct cl_game_asset_deposit *d = &s->adep[s->n_adep++];

			CHECK(s->n_adep <= MAX_DEPS);
			CHECK(tx.u.asset_deposit.id == s->n_adep - 1);
			d->to = tx.u.asset_deposit.to;
			d->amount = tx.u.asset_deposit.amount;
			d->asset = tx.u.asset_deposit.asset;
			d->timestamp = (uint32_t)(e->ms / 1000 - 5);
		}
		if (tx.type == CL_TX_FORCED) {
			struct cl_game_forced back;

			CHECK(s->n_forced < MAX_FORCED);
			CHECK(tx.u.forced.id == s->n_forced);
			/* the rollup's record is what L1 took; mapped back
			 * from the request it must be the same */
			s->forced[s->n_forced] = s->made[s->n_forced];
			cl_game_forced_of_tx(&back, &tx.u.forced);
			CHECK(memcmp(&back, &s->forced[s->n_forced],
				     sizeof(back)) == 0);
			s->n_forced++;
		}
	}
	s->derived += cl_stf_block_derived(stf);
	cl_stf_end_block(stf);
	CHECK(cl_state_commit_block(e->st, &e->root) == CL_OK);
	cl_stf_free(stf);
	sb->b.number = h.number;
	sb->b.timestamp_ms = h.timestamp_ms;
	sb->b.l1 = h.l1;
	sb->b.root = e->root;
	sb->b.txs = sb->txs;
}

/*
 * A forced request of trader t as L1 takes it (forceRequest: a kind and
 * two fields) and as the batch carries it (cl_l1_forced_tx, the node's
 * mapping); the id is the next one the stf consumes.
 */
static inline struct cl_tx forced_l1(struct stream *s, int t, int mi,
				     uint64_t mid)
{
	struct cl_l1_forced f;
	struct cl_tx tx;

	memset(&f, 0, sizeof(f));
	f.id = s->next_forced_id++;
	f.account = s->e.addr[t];
	f.kind = (uint8_t)(1 + rnd(4));
	switch (f.kind) {
	case CL_FORCED_WITHDRAW:
		f.a = (1 + rnd(200)) * T_USD;
		break;
	case CL_FORCED_CANCEL:
		f.a = rnd(40);
		break;
	case CL_FORCED_CANCEL_ALL:
		break;
	case CL_FORCED_CLOSE:
		f.a = s->e.g.markets[mi].id;
		f.b = mid;
		break;
	}
	CHECK(cl_l1_forced_tx(&tx, &f));
	CHECK(f.id < MAX_FORCED);
	memset(&s->made[f.id], 0, sizeof(s->made[f.id]));
	s->made[f.id].account = f.account;
	s->made[f.id].kind = f.kind;
	s->made[f.id].a = f.a;
	s->made[f.id].b = f.b;
	return tx;
}

static inline void stream_build_with(struct stream *s, size_t nblocks,
				     bool assets)
{
	struct tenv *e = &s->e;
	uint64_t mid[3] = {5000000, 300000, 150000};
	struct cl_order placed[NPLACED];
	int owner[NPLACED];
	size_t nplaced = 0;
	struct cl_tx cand[MAX_REQS];
	size_t n = 0;
	uint64_t sched_nonce = 0, triggers_made = 0;

	test_seed();
	memset(s, 0, sizeof(*s));
	tenv_init_with(e, cl_state_new_memory(),
		       assets ? tweak_assets : tweak);
	s->genesis_root = e->root;
	for (int t = 0; t < NTRADERS; t++) {
		uint64_t usd = t < 4 ? 10000000 : 500 + rnd(5000);

		cand[n++] =
		    t_deposit(e->next_deposit++, &e->addr[t], usd * T_USD);
	}
	if (assets) {
		cand[n++] = asset_deposit(0, T_TETH, &e->addr[4],
					  3 * ETH_ATOMS);
		cand[n++] = asset_deposit(1, T_TETH, &e->addr[5],
					  2 * ETH_ATOMS + 7);
	}
	for (int mi = 0; mi < 3; mi++)
		cand[n++] = oracle_tx(e, mi, mid[mi]);
	seal(s, cand, n, 1000);

	for (size_t k = 1; k < nblocks; k++) {
		uint64_t gap = rnd(10) == 0 ? 3600 * 1000 : 1000 + rnd(20000);
		size_t nreq = 1 + rnd(RAND_REQS - 1);

		/* the requests are made at the block's time */
		e->ms += gap;
		n = 0;
		if (k == 1) {
			/* four small traders go isolated in one market and
			 * move margin into it (the random requests below
			 * trade, move and switch more) */
			for (int t = 4; t < 8; t++) {
				struct cl_margin_mode mm = {
				    .trader = e->addr[t],
				    .market = e->g.markets[t % 3].id,
				    .isolated = true};
				struct cl_isolated_margin im = {
				    .trader = e->addr[t],
				    .market = mm.market,
				    .add = true,
				    .amount = 200 * T_USD,
				    .nonce = 1};
				struct cl_hash32 d;
				memset(&cand[n], 0, 2 * sizeof(cand[n]));
				cand[n].type = CL_TX_MARGIN_MODE;
				cand[n].u.margin_mode.msg = mm;
				cl_margin_mode_digest(&d, cl_stf_domain(e->stf),
						      &mm);
				t_sign(&cand[n++].u.margin_mode.sig, e->key[t],
				       &d);
				cand[n].type = CL_TX_ISOLATED_MARGIN;
				cand[n].u.isolated_margin.msg = im;
				cl_isolated_margin_digest(
				    &d, cl_stf_domain(e->stf), &im);
				t_sign(&cand[n++].u.isolated_margin.sig,
				       e->key[t], &d);
			}
			for (int t = 8; t < 12; t++) {
				struct cl_subaccount_transfer st = {
				    .trader = e->addr[t],
				    .from = 0,
				    .to = 1,
				    .amount = 200 * T_USD,
				    .nonce = 0};
				struct cl_hash32 d;
				memset(&cand[n], 0, sizeof(cand[n]));
				cand[n].type = CL_TX_SUBACCOUNT_TRANSFER;
				cand[n].u.subaccount_transfer.msg = st;
				cl_subaccount_transfer_digest(
				    &d, cl_stf_domain(e->stf), &st);
				t_sign(&cand[n++].u.subaccount_transfer.sig,
				       e->key[t], &d);
			}
			/* two large traders margin in portfolio mode */
			cand[n++] = pm_tx(e, 0, true);
			cand[n++] = pm_tx(e, 2, true);
			if (nreq < n + 2)
				nreq = n + 2; /* <= MAX_REQS */
		}
		for (; n < nreq; n++) {
			unsigned r = (unsigned)rnd(100);
			int mi = (int)rnd(3), t = (int)rnd(NTRADERS);

			if (r < 60) {
				int64_t off = (int64_t)rnd(21) - 10;
				uint64_t p =
				    mid[mi] +
				    (uint64_t)(off * 5 * (int64_t)tick[mi]);
				uint64_t sz =
				    lot[mi] * (1 + rnd(t < 4 ? 20 : 60));
				uint8_t f = 0;
				unsigned fr = (unsigned)rnd(100);

				p -= p % tick[mi];
				if (fr < 20)
					f = CL_TIF_IOC << CL_ORDER_TIF_SHIFT;
				else if (fr < 28)
					f = CL_ORDER_POST_ONLY;
				struct cl_order o = t_order(
				    &e->addr[t], e->g.markets[mi].id,
				    rnd(2) == 0, p, sz, e->order_nonce++,
				    tenv_now(e) + 5 + rnd(3600), f);
				if (t >= 4 && rnd(10) == 0) {
					/* a transfer between subaccounts 0..2
					 * (docs/margin.md "Subaccounts") */
					struct cl_stf_view v = tenv_view(e);
					struct cl_account acc;
					struct cl_hash32 d;
					int arc = cl_stf_get_account(
					    &v, &acc, &e->addr[t]);
					CHECK(arc == CL_OK ||
					      arc == CL_ERR_NOT_FOUND);
					struct cl_subaccount_transfer m = {
					    .trader = e->addr[t],
					    .from = (uint32_t)rnd(3),
					    .to = (uint32_t)rnd(3),
					    .amount =
						(1 + rnd(200)) * T_USD,
					    .nonce = acc.nonce};
					memset(&cand[n], 0, sizeof(cand[n]));
					cand[n].type =
					    CL_TX_SUBACCOUNT_TRANSFER;
					cand[n].u.subaccount_transfer.msg = m;
					cl_subaccount_transfer_digest(
					    &d, cl_stf_domain(e->stf), &m);
					t_sign(&cand[n]
						    .u.subaccount_transfer.sig,
					       e->key[t], &d);
					continue;
				}
				if (rnd(40) == 0) {
					/* portfolio mode on or off (a
					 * small trader's is often under
					 * the minimum equity) */
					cand[n] = pm_tx(e, t, rnd(3) != 0);
					continue;
				}
				if (t >= 4 && rnd(8) == 0) {
					/* isolated margin: a mode change or
					 * a margin move of a small trader
					 * (docs/margin.md "Isolated margin") */
					struct cl_stf_view v = tenv_view(e);
					struct cl_account acc;
					struct cl_hash32 d;
					int arc = cl_stf_get_account(
					    &v, &acc, &e->addr[t]);
					CHECK(arc == CL_OK ||
					      arc == CL_ERR_NOT_FOUND);
					memset(&cand[n], 0, sizeof(cand[n]));
					if (rnd(2) == 0) {
						struct cl_margin_mode m = {
						    .trader = e->addr[t],
						    .market = o.market,
						    .isolated = rnd(3) != 0,
						    .nonce = acc.nonce};
						cand[n].type =
						    CL_TX_MARGIN_MODE;
						cand[n].u.margin_mode.msg = m;
						cl_margin_mode_digest(
						    &d, cl_stf_domain(e->stf),
						    &m);
						t_sign(&cand[n]
							    .u.margin_mode.sig,
						       e->key[t], &d);
						continue;
					}
					struct cl_isolated_margin m = {
					    .trader = e->addr[t],
					    .market = o.market,
					    .add = rnd(3) != 0,
					    .amount =
						(1 + rnd(300)) * T_USD,
					    .nonce = acc.nonce};
					cand[n].type = CL_TX_ISOLATED_MARGIN;
					cand[n].u.isolated_margin.msg = m;
					cl_isolated_margin_digest(
					    &d, cl_stf_domain(e->stf), &m);
					t_sign(&cand[n].u.isolated_margin.sig,
					       e->key[t], &d);
					continue;
				}
				if (rnd(12) == 0) {
					/* a TWAP: 2 or 3 slices 1..5 s apart */
					struct cl_twap_order tw = {
					    .trader = e->addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .size = o.size * 3,
					    .interval = 1 + rnd(5),
					    .slices = 2 + (uint32_t)rnd(2),
					    .slippage_ppm = 20000,
					    .nonce = o.nonce,
					    .reduce_only = rnd(4) == 0};
					struct cl_hash32 d;
					memset(&cand[n], 0, sizeof(cand[n]));
					cand[n].type = CL_TX_TWAP_ORDER;
					cand[n].u.twap.msg = tw;
					cl_twap_order_digest(
					    &d, cl_stf_domain(e->stf), &tw);
					t_sign(&cand[n].u.twap.sig, e->key[t], &d);
					continue;
				}
				if (rnd(10) == 0) {
					/* a scale order: 2 or 3 legs a few
					 * ticks apart */
					struct cl_scale_order sc = {
					    .trader = e->addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .n = 2 + (uint32_t)rnd(2),
					    .nonce = o.nonce,
					    .expiry = o.expiry,
					    .flags = o.flags};
					struct cl_hash32 d;
					for (uint32_t lg = 0; lg < sc.n; lg++) {
						uint64_t gap_px =
						    2 * lg * tick[mi];
						sc.price[lg] = o.is_buy
								   ? p - gap_px
								   : p + gap_px;
						sc.size[lg] = o.size;
					}
					memset(&cand[n], 0, sizeof(cand[n]));
					cand[n].type = CL_TX_SCALE_ORDER;
					cand[n].u.scale.msg = sc;
					cl_scale_order_digest(
					    &d, cl_stf_domain(e->stf), &sc);
					t_sign(&cand[n].u.scale.sig, e->key[t],
					       &d);
					continue;
				}
				if (rnd(8) == 0) {
					/* a trigger order around the mid:
					 * stops, TP/SL bound to a position,
					 * groups */
					struct cl_trigger_order m = {
					    .trader = e->addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .trigger_price = p,
					    .trigger_above = rnd(2) == 0,
					    .price = o.is_buy
							 ? p + 10 * tick[mi]
							 : p - 10 * tick[mi],
					    .size = o.size,
					    .nonce = o.nonce,
					    .expiry = o.expiry,
					    .flags = o.flags &
						     ~CL_ORDER_POST_ONLY,
					    .group = rnd(3),
					    .position_bound = rnd(3) == 0};
					struct cl_hash32 d;
					if (m.position_bound)
						m.flags |= CL_ORDER_REDUCE_ONLY;
					memset(&cand[n], 0, sizeof(cand[n]));
					cand[n].type = CL_TX_TRIGGER_ORDER;
					cand[n].u.trigger.msg = m;
					cl_trigger_order_digest(
					    &d, cl_stf_domain(e->stf), &m);
					t_sign(&cand[n].u.trigger.sig, e->key[t],
					       &d);
					triggers_made++;
					continue;
				}
				if ((t >= 4 && t < 8 &&
				     o.market == e->g.markets[t % 3].id) ||
				    (t >= 4 && rnd(3) == 0))
					/* through the trader's isolated
					 * account of the market (refused
					 * while the market is cross) */
					cl_stf_isolated_account(
					    &o.trader, &e->addr[t], o.market);
				else if (t >= 8 && rnd(2) == 0)
					/* through subaccount 1 */
					cl_stf_subaccount_account(
					    &o.trader, &e->addr[t], 1);
				if (rnd(4) == 0) {
					/* a client order id from a small
					 * pool: some are refused in use */
					struct cl_tx ct = {
					    .type = CL_TX_CLIENT_ORDER};
					struct cl_client_order co = {
					    .order = o};
					struct cl_hash32 d;
					co.cloid.b[15] = (uint8_t)(1 + rnd(4));
					ct.u.place.order = o;
					ct.u.place.cloid = co.cloid;
					cl_client_order_digest(
					    &d, cl_stf_domain(e->stf), &co);
					t_sign(&ct.u.place.sig, e->key[t], &d);
					cand[n] = ct;
					continue;
				}
				cand[n] = t_place(e, &o, e->key[t]);
				if (nplaced < NPLACED) {
					placed[nplaced] = o;
					owner[nplaced++] = t;
				}
			} else if (r < 75 && nplaced > 0) {
				size_t j = (size_t)rnd(nplaced);
				struct cl_hash32 h =
				    t_order_hash(e, &placed[j]);

				cand[n] = t_cancel(e, &placed[j].trader, &h,
						   e->key[owner[j]]);
			} else if (r < 90) {
				unsigned pct = rnd(5) == 0 ? 8 : 2;
				int64_t d = (int64_t)(mid[mi] * pct / 100);
				int64_t np =
				    (int64_t)mid[mi] +
				    (int64_t)rnd((uint64_t)(2 * d + 1)) - d;

				mid[mi] =
				    (uint64_t)np - (uint64_t)np % tick[mi];
				cand[n] = oracle_tx(e, mi, mid[mi]);
			} else if (r < 93) {
				cand[n] =
				    t_deposit(e->next_deposit++, &e->addr[t],
					      (100 + rnd(1000)) * T_USD);
			} else if (r < 97) {
				/* the dead-man switch: armed a few seconds
				 * ahead (it fires at a later block), or
				 * disarmed */
				struct cl_tx st = {
				    .type = CL_TX_SCHEDULE_CANCEL};
				struct cl_schedule_cancel *m =
				    &st.u.schedule_cancel.msg;
				struct cl_hash32 d;
				m->trader = e->addr[t];
				m->time = rnd(4) == 0 ? 0
						      : tenv_now(e) + 1 +
							    rnd(30);
				m->nonce = ++sched_nonce;
				cl_schedule_cancel_digest(
				    &d, cl_stf_domain(e->stf), m);
				t_sign(&st.u.schedule_cancel.sig, e->key[t],
				       &d);
				cand[n] = st;
			} else {
				cand[n] = forced_l1(s, t, mi, mid[mi]);
			}
		}
		e->ms -= gap;
		seal(s, cand, n, gap);
	}
	(void)triggers_made;
	uint64_t iso_orders = 0, sub_orders = 0;
	for (size_t b = 0; b < s->n; b++)
		for (size_t i = 0; i < s->blk[b].b.n_txs; i++) {
			const struct cl_tx *tx = &s->blk[b].txs[i];
			struct cl_address ia;
			if (!cl_tx_is_order(tx->type))
				continue;
			for (int t = 4; t < NTRADERS; t++) {
				cl_stf_isolated_account(
				    &ia, &e->addr[t], tx->u.place.order.market);
				iso_orders += cl_address_eq(
				    &ia, &tx->u.place.order.trader);
				cl_stf_subaccount_account(&ia, &e->addr[t], 1);
				sub_orders += cl_address_eq(
				    &ia, &tx->u.place.order.trader);
			}
		}
	fprintf(stderr, "stream: kept %llu portfolio mode requests\n",
		(unsigned long long)s->accepted[CL_TX_PORTFOLIO_MODE]);
	fprintf(stderr, "stream: kept %llu margin mode changes, %llu isolated margin "
	       "moves, %llu orders of isolated accounts, %llu subaccount "
	       "transfers, %llu orders of subaccounts\n",
	       (unsigned long long)s->accepted[CL_TX_MARGIN_MODE],
	       (unsigned long long)s->accepted[CL_TX_ISOLATED_MARGIN],
	       (unsigned long long)iso_orders,
	       (unsigned long long)s->accepted[CL_TX_SUBACCOUNT_TRANSFER],
	       (unsigned long long)sub_orders);
}

static inline void stream_build(struct stream *s, size_t nblocks)
{
	stream_build_with(s, nblocks, false);
}

/* ---- posting ---- */

/* Encode blocks [first, first + n) as the sequencer posts them, with the
 * rollup's record; prev is the batch before (NULL for batch 0). */
static inline void post(struct posted *p, struct stream *s, size_t first,
			size_t n, const struct posted *prev)
{
	struct cl_batch2_block blocks[MAX_BLOCKS];
	uint64_t dep0 = prev ? prev->rec.deposits : 0, dep1 = dep0;
	uint64_t f0 = prev ? prev->rec.forced : 0, f1 = f0;
	uint64_t a0 = prev ? prev->assets_after : 0, a1 = a0;

	memset(p, 0, sizeof(*p));
	p->first = first;
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		blocks[i] = s->blk[first + i].b;
		for (size_t t = 0; t < blocks[i].n_txs; t++)
			dep1 += blocks[i].txs[t].type == CL_TX_DEPOSIT,
			    f1 += blocks[i].txs[t].type == CL_TX_FORCED,
			    a1 += blocks[i].txs[t].type == CL_TX_ASSET_DEPOSIT;
	}
	cl_buf_init(&p->data);
	CHECK(cl_batch2_encode(&p->data, blocks, n) == CL_BATCH_OK);
	cl_keccak256(p->rec.data_hash.b, p->data.p, p->data.len);
	p->rec.state_root = blocks[n - 1].root;
	p->rec.withdrawal_root = blocks[n - 1].root;
	p->rec.prev_deposits = dep0;
	p->rec.deposits = dep1;
	p->rec.first_block = blocks[0].number;
	p->rec.last_block = blocks[n - 1].number;
	p->prev_root = prev ? prev->rec.state_root : s->genesis_root;
	p->dep = s->dep + dep0;
	p->n_dep = (size_t)(dep1 - dep0);
	p->assets.first = a0;
	p->assets.d = s->adep + a0;
	p->assets.n = (size_t)(a1 - a0);
	p->assets_after = a1;
	p->rec.prev_forced = f0;
	p->rec.forced = f1;
	p->forced = s->forced + f0;
	p->n_forced = (size_t)(f1 - f0);
}

/* Re-encode `p` from changed blocks (the record follows the data, as a
 * sequencer posting them would make it). */
static inline void repost(struct posted *out, const struct posted *p,
			  const struct cl_batch2_block *blocks)
{
	*out = *p;
	cl_buf_init(&out->data);
	CHECK(cl_batch2_encode(&out->data, blocks, p->n) == CL_BATCH_OK);
	cl_keccak256(out->rec.data_hash.b, out->data.p, out->data.len);
	out->rec.state_root = blocks[p->n - 1].root;
	out->rec.withdrawal_root = blocks[p->n - 1].root;
}

#endif
