/* SPDX-License-Identifier: MIT */
/* Collateral-asset helpers shared by the stf and VM tests: the tETH
 * asset of docs/margin.md's examples on the test genesis, and its
 * deposits. */
#ifndef CLEARLINE_TEST_COLLATERAL_UTIL_H
#define CLEARLINE_TEST_COLLATERAL_UTIL_H

#include "stf_util.h"

#define ETH_ATOMS 1000000000LL /* tETH: 9 L2 decimals */
#define T_TETH 1

static inline void add_teth(struct cl_genesis *g)
{
	struct cl_asset_params *a = &g->assets[0];

	g->n_assets = 1;
	memset(a, 0, sizeof(*a));
	a->id = T_TETH;
	snprintf(a->symbol, sizeof(a->symbol), "tETH");
	t_addr_hex(&a->token, "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
	a->decimals = 9;
	a->oracle_market = T_ETH;
	a->hedge_market = T_ETH;
	a->n_tiers = 3;
	a->tiers[0] = (struct cl_haircut_tier){100 * ETH_ATOMS, 100000};
	a->tiers[1] = (struct cl_haircut_tier){1000 * ETH_ATOMS, 150000};
	a->tiers[2] = (struct cl_haircut_tier){INT64_MAX, 250000};
	a->vol_factor = 2;
	a->thin_ppm = 100000;
	a->depth_threshold = 100000 * (uint64_t)T_USD;
	a->depth_band_ppm = 20000;
	a->max_haircut_ppm = 500000;
	a->liq_discount_ppm = 20000;
	/* liquidation fees feed the insurance fund that buys collateral */
	g->markets[0].risk.liq_fee_ppm = 5000;
	g->markets[0].risk.liq_slice_ppm = 250000; /* slices of a quarter */
	g->markets[1].risk.liq_fee_ppm = 5000;
}

static inline struct cl_tx asset_deposit(uint64_t id, uint32_t asset,
					 const struct cl_address *to,
					 uint64_t amount)
{
	struct cl_tx tx = {.type = CL_TX_ASSET_DEPOSIT};
	tx.u.asset_deposit.id = id;
	tx.u.asset_deposit.asset = asset;
	tx.u.asset_deposit.to = *to;
	tx.u.asset_deposit.amount = amount;
	return tx;
}

/* A signed ASSET_WITHDRAW. */
static inline struct cl_tx t_asset_withdraw(struct tenv *e,
					    const struct cl_address *trader,
					    const struct cl_address *recipient,
					    uint32_t asset, uint64_t amount,
					    uint64_t nonce,
					    const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_ASSET_WITHDRAW};
	struct cl_asset_withdraw *m = &tx.u.asset_withdraw.msg;
	struct cl_hash32 d;

	m->trader = *trader;
	m->recipient = *recipient;
	m->asset = asset;
	m->amount = amount;
	m->nonce = nonce;
	cl_asset_withdraw_digest(&d, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.asset_withdraw.sig, signer, &d);
	return tx;
}

/* A signed SUBACCOUNT_ASSET_TRANSFER. */
static inline struct cl_tx t_sub_asset(struct tenv *e,
				       const struct cl_address *trader,
				       uint32_t from, uint32_t to,
				       uint32_t asset, uint64_t amount,
				       uint64_t nonce,
				       const struct cl_seckey *signer)
{
	struct cl_tx tx = {.type = CL_TX_SUBACCOUNT_ASSET_TRANSFER};
	struct cl_subaccount_asset_transfer *m =
		&tx.u.subaccount_asset_transfer.msg;
	struct cl_hash32 d;

	m->trader = *trader;
	m->from = from;
	m->to = to;
	m->asset = asset;
	m->amount = amount;
	m->nonce = nonce;
	cl_subaccount_asset_transfer_digest(&d, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.subaccount_asset_transfer.sig, signer, &d);
	return tx;
}

#endif
