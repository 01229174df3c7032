/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets in the state (docs/margin.md "Collateral assets",
 * docs/liquidation.md "Collateral"): per-asset balances (ASSET_BALANCES,
 * keyed asset ‖ address so the holders of an asset are one range), their
 * haircut value in settlement atoms, deposits, and the sale of an asset
 * to the insurance fund when a liquidatable account's settlement balance
 * is negative. The hedge-book depth each haircut reads is measured when
 * a block opens (collateral_depth.c).
 */
#include "stf_int.h"

#include <string.h>

/* The fund's holdings: an address no key can sign for. */
const struct cl_address stf_fund_address = {{0}};

static void bal_key(uint8_t k[ASSET_BAL_KEY_LEN], uint32_t asset,
		    const struct cl_address *a)
{
	cl_put_be32(k, asset);
	memcpy(k + 4, a->b, 20);
}

int stf_asset_balance(const struct cl_stf_view *v, int64_t *out, uint32_t asset,
		      const struct cl_address *a)
{
	uint8_t k[ASSET_BAL_KEY_LEN];
	const uint8_t *val;
	size_t vl;
	int rc;

	*out = 0;
	bal_key(k, asset, a);
	rc = stf_view_get(v, &val, &vl, CL_TABLE_ASSET_BALANCES, k, sizeof(k));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	if (vl != 8 || cl_get_be64(val) == 0 || cl_get_be64(val) > INT64_MAX) {
		cl_broken("stf", "asset balance record of %zu bytes", vl);
		return CL_ERR_CORRUPT;
	}
	*out = (int64_t)cl_get_be64(val);
	return CL_OK;
}

void stf_put_asset_balance(struct cl_state *st, uint32_t asset,
			   const struct cl_address *a, int64_t bal)
{
	uint8_t k[ASSET_BAL_KEY_LEN], val[8];

	CL_REQUIRE(bal >= 0);
	bal_key(k, asset, a);
	if (bal == 0) {
		cl_state_del(st, CL_TABLE_ASSET_BALANCES, k, sizeof(k));
		return;
	}
	cl_put_be64(val, (uint64_t)bal);
	cl_state_put(st, CL_TABLE_ASSET_BALANCES, k, sizeof(k), val, 8);
}

static int asset_depth(const struct cl_stf_view *v, int64_t *out,
		       uint32_t asset)
{
	uint8_t k[4];
	const uint8_t *val;
	size_t vl;
	int rc;

	*out = 0;
	cl_put_be32(k, asset);
	rc = stf_view_get(v, &val, &vl, CL_TABLE_ASSET_DEPTH, k, sizeof(k));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK; /* never measured: no depth */
	if (rc != CL_OK)
		return rc;
	if (vl != 8 || cl_get_be64(val) > INT64_MAX)
		return CL_ERR_CORRUPT;
	*out = (int64_t)cl_get_be64(val);
	return CL_OK;
}

/* One asset's entry of cl_stf_get_collateral(). */
static int asset_entry(const struct cl_stf_view *v,
		       struct cl_stf_asset_balance *e,
		       const struct cl_asset_params *ap,
		       const struct cl_address *addr)
{
	struct cl_haircut_params hp = cl_genesis_haircut(v->genesis, ap);
	struct cl_market_state ms;
	struct cl_amount val, gross;
	int rc;

	memset(e, 0, sizeof(*e));
	e->asset = ap->id;
	rc = stf_asset_balance(v, &e->balance, ap->id, addr);
	if (rc == CL_OK)
		rc = asset_depth(v, &e->depth, ap->id);
	if (rc == CL_OK)
		rc = stf_load_market(v, &ms, ap->oracle_market);
	if (rc != CL_OK)
		return rc;
	e->index = ms.oracle_price;
	e->extra_ppm = margin_haircut_extra_ppm(&hp, ms.vol_var,
						(struct cl_amount){e->depth});
	if (!margin_collateral_value_down(
		&val, &hp, (struct cl_amount){e->balance},
		(struct cl_price){e->index}, ms.vol_var,
		(struct cl_amount){e->depth}) ||
	    !cl_notional_down(&gross, (struct cl_price){e->index},
			      (struct cl_size){(uint64_t)e->balance},
			      hp.scale_exp))
		return CL_STF_ERR_OVERFLOW;
	e->value = val.atoms;
	e->gross = gross.atoms;
	return CL_OK;
}

int stf_asset_value_of(const struct cl_stf_view *v, int64_t *out,
		       const struct cl_asset_params *ap, int64_t amount)
{
	struct cl_haircut_params hp = cl_genesis_haircut(v->genesis, ap);
	struct cl_market_state ms;
	struct cl_amount val;
	int64_t depth;
	int rc;

	*out = 0;
	rc = asset_depth(v, &depth, ap->id);
	if (rc == CL_OK)
		rc = stf_load_market(v, &ms, ap->oracle_market);
	if (rc != CL_OK)
		return rc;
	if (!margin_collateral_value_down(
		&val, &hp, (struct cl_amount){amount},
		(struct cl_price){ms.oracle_price}, ms.vol_var,
		(struct cl_amount){depth}))
		return CL_STF_ERR_OVERFLOW;
	*out = val.atoms;
	return CL_OK;
}

int cl_stf_get_collateral(const struct cl_stf_view *v,
			  struct cl_stf_asset_balance *out, size_t *n,
			  int64_t *total, const struct cl_address *addr)
{
	*n = 0;
	*total = 0;
	for (uint32_t i = 0; i < v->genesis->n_assets; i++) {
		int rc = asset_entry(v, &out[i], &v->genesis->assets[i], addr);
		if (rc != CL_OK)
			return rc;
		if (!cl_add_i64(total, *total, out[i].value))
			return CL_STF_ERR_OVERFLOW;
		*n = i + 1;
	}
	return CL_OK;
}

int stf_asset_value(const struct cl_stf_view *v, int64_t *out, bool *holds,
		    const struct cl_address *a)
{
	*out = 0;
	*holds = false;
	for (uint32_t i = 0; i < v->genesis->n_assets; i++) {
		const struct cl_asset_params *ap = &v->genesis->assets[i];
		struct cl_stf_asset_balance e;
		int64_t bal;
		int rc = stf_asset_balance(v, &bal, ap->id, a);

		if (rc != CL_OK)
			return rc;
		if (bal == 0)
			continue; /* no index needed for nothing */
		*holds = true;
		rc = asset_entry(v, &e, ap, a);
		if (rc != CL_OK)
			return rc;
		if (!cl_add_i64(out, *out, e.value))
			return CL_STF_ERR_OVERFLOW;
	}
	return CL_OK;
}

int stf_apply_asset_deposit(struct cl_stf *s,
			    const struct cl_tx_asset_deposit *d)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t next = 0;
	int64_t bal;
	int rc = stf_get_global_u64(&v, &next, G_NEXT_ASSET_DEPOSIT);

	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc; /* absent: no asset deposit yet */
	if (d->id != next)
		return CL_STF_ERR_DEPOSIT_OUT_OF_ORDER;
	if (!cl_genesis_asset(&s->g, d->asset))
		return CL_STF_ERR_UNKNOWN_ASSET;
	if (d->amount == 0 || d->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	if (!memcmp(d->to.b, stf_fund_address.b, 20))
		return CL_STF_ERR_BAD_RECIPIENT; /* the fund's key */
	if (next == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = stf_asset_balance(&v, &bal, d->asset, &d->to);
	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(&bal, bal, (int64_t)d->amount))
		return CL_STF_ERR_OVERFLOW;
	stf_put_asset_balance(s->st, d->asset, &d->to, bal);
	stf_put_global_u64(s->st, G_NEXT_ASSET_DEPOSIT, next + 1);
	return stf_reindex(s, &d->to);
}

/* ---- liquidation: the fund takes collateral assets ---- */

/* What the fund pays for `amount` of asset ap. */
static int sale_price(const struct cl_stf_view *v, int64_t *out,
		      const struct cl_asset_params *ap, int64_t amount)
{
	struct cl_haircut_params hp = cl_genesis_haircut(v->genesis, ap);
	struct cl_market_state ms;
	struct cl_amount pay;
	int rc = stf_load_market(v, &ms, ap->oracle_market);

	if (rc != CL_OK)
		return rc;
	if (!margin_collateral_sale_down(&pay, &hp, (struct cl_amount){amount},
					 (struct cl_price){ms.oracle_price},
					 ap->liq_discount_ppm))
		return CL_STF_ERR_OVERFLOW;
	*out = pay.atoms;
	return CL_OK;
}

/* The account's settlement balance with its pending funding settled and
 * whether it is liquidatable (equity < maintenance). */
static int sale_state(const struct cl_stf_view *v, int64_t *settlement,
		      bool *liquidatable, const struct cl_address *addr)
{
	struct cl_health h;
	int rc = cl_stf_get_health(v, &h, addr);

	if (rc != CL_OK)
		return rc;
	*settlement = h.collateral - h.asset_value;
	*liquidatable = h.equity < h.mm;
	return CL_OK;
}

/* The least amount in [1, bal] whose price reaches `want` (bal if none
 * does), and the most whose price stays within `cap` (0 if none). */
static int sale_bounds(const struct cl_stf_view *v, uint64_t *least,
		       uint64_t *most, const struct cl_asset_params *ap,
		       int64_t bal, int64_t want, int64_t cap)
{
	uint64_t lo = 1, hi = (uint64_t)bal;
	int64_t pay;
	int rc;

	while (lo < hi) { /* least with pay >= want */
		uint64_t mid = lo + (hi - lo) / 2;
		rc = sale_price(v, &pay, ap, (int64_t)mid);
		if (rc != CL_OK)
			return rc;
		if (pay >= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	*least = hi;
	lo = 0;
	hi = (uint64_t)bal;
	while (lo < hi) { /* most with pay <= cap */
		uint64_t mid = hi - (hi - lo) / 2;
		rc = sale_price(v, &pay, ap, (int64_t)mid);
		if (rc != CL_OK)
			return rc;
		if (pay <= cap)
			lo = mid;
		else
			hi = mid - 1;
	}
	*most = lo;
	return CL_OK;
}

int stf_collateral_sale_next(const struct cl_stf_view *v,
			     struct cl_tx_collateral_sale *out, bool *has,
			     const struct cl_address *addr)
{
	int64_t settlement, ins;
	bool liq;
	int rc;

	memset(out, 0, sizeof(*out));
	*has = false;
	rc = sale_state(v, &settlement, &liq, addr);
	if (rc != CL_OK || !liq || settlement >= 0)
		return rc;
	rc = stf_get_insurance(v, &ins);
	if (rc != CL_OK || ins <= 0)
		return rc;
	/* the first asset held, in id order: just enough of it to bring the
	 * settlement balance back to 0, or all of it, or what the fund can
	 * pay for */
	for (uint32_t i = 0; i < v->genesis->n_assets; i++) {
		const struct cl_asset_params *ap = &v->genesis->assets[i];
		uint64_t least, most;
		int64_t bal, pay;

		rc = stf_asset_balance(v, &bal, ap->id, addr);
		if (rc != CL_OK)
			return rc;
		if (bal == 0)
			continue;
		rc = sale_price(v, &pay, ap, bal);
		if (rc != CL_OK)
			return rc;
		if (pay <= 0)
			continue; /* worth nothing to the fund */
		rc = sale_bounds(v, &least, &most, ap, bal, -settlement, ins);
		if (rc != CL_OK)
			return rc;
		if (most < least)
			least = most;
		if (least == 0)
			return CL_OK; /* the fund cannot pay for one atom */
		out->account = *addr;
		out->asset = ap->id;
		out->amount = least;
		*has = true;
		return CL_OK;
	}
	return CL_OK;
}

int stf_apply_collateral_sale(struct cl_stf *s,
			      const struct cl_tx_collateral_sale *t)
{
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_asset_params *ap = cl_genesis_asset(&s->g, t->asset);
	struct stf_acct sa;
	int64_t settlement, bal, fund_bal, pay, ins, need;
	bool liq;
	int rc;

	if (!ap)
		return CL_STF_ERR_UNKNOWN_ASSET;
	if (t->amount == 0 || t->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	rc = sale_state(&v, &settlement, &liq, &t->account);
	if (rc != CL_OK)
		return rc;
	if (!liq || settlement >= 0)
		return CL_STF_ERR_NOT_LIQUIDATABLE;
	rc = stf_asset_balance(&v, &bal, t->asset, &t->account);
	if (rc != CL_OK)
		return rc;
	if ((int64_t)t->amount > bal)
		return CL_STF_ERR_INSUFFICIENT_COLLATERAL;
	/* earlier assets go first, and no more than the debt needs: the
	 * amount is the one stf_collateral_sale_next() plans */
	for (uint32_t i = 0; i < s->g.n_assets && s->g.assets[i].id < ap->id;
	     i++) {
		int64_t other;
		rc = stf_asset_balance(&v, &other, s->g.assets[i].id,
				       &t->account);
		if (rc != CL_OK)
			return rc;
		if (other > 0) {
			rc = sale_price(&v, &pay, &s->g.assets[i], other);
			if (rc != CL_OK)
				return rc;
			if (pay > 0)
				return CL_STF_ERR_NOT_RISKIEST;
		}
	}
	rc = sale_price(&v, &pay, ap, (int64_t)t->amount);
	if (rc != CL_OK)
		return rc;
	if (pay <= 0)
		return CL_STF_ERR_BAD_AMOUNT;
	need = -settlement;
	if (t->amount > 1) {
		int64_t less;
		rc = sale_price(&v, &less, ap, (int64_t)t->amount - 1);
		if (rc != CL_OK)
			return rc;
		if (less >= need)
			return CL_STF_ERR_SLICE_TOO_LARGE;
	}
	/* settle the account's funding first, as every rule does (a
	 * refusal below rolls it back with the rest: cl_stf_apply()) */
	rc = stf_acct_load(s, &sa, &t->account);
	if (rc == CL_OK)
		rc = stf_settle(s, &sa);
	if (rc == CL_OK)
		rc = stf_get_insurance(&v, &ins);
	if (rc != CL_OK)
		return rc;
	if (ins < pay)
		return CL_STF_ERR_INSURANCE_INSUFFICIENT;
	rc = stf_asset_balance(&v, &fund_bal, t->asset, &stf_fund_address);
	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(&fund_bal, fund_bal, (int64_t)t->amount))
		return CL_STF_ERR_OVERFLOW;
	if (!cl_add_i64(&sa.acc.collateral, sa.acc.collateral, pay))
		return CL_STF_ERR_OVERFLOW;
	stf_put_account(s->st, &t->account, &sa.acc);
	stf_put_asset_balance(s->st, t->asset, &t->account,
			      bal - (int64_t)t->amount);
	stf_put_asset_balance(s->st, t->asset, &stf_fund_address, fund_bal);
	stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)(ins - pay));
	return stf_reindex(s, &t->account);
}
