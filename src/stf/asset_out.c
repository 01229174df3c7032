/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets leaving an account (docs/margin.md "Collateral
 * assets", docs/protocol.md "ASSET_WITHDRAW", "SUBACCOUNT_ASSET_TRANSFER"):
 * ASSET_WITHDRAW writes a withdrawal leaf ClearlineAssets pays on L1;
 * SUBACCOUNT_ASSET_TRANSFER moves an asset between two subaccounts of
 * one owner. Both take the asset out of an account under the same rules
 * (asset_out_check()): the balance holds it, no negative settlement
 * balance leans on the account's assets, and the haircut value that
 * leaves keeps the account at its initial margin with its open orders
 * counted, unrealised profit not counted.
 */
#include "stf_int.h"

#include <string.h>

static bool addr_is(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, 20) == 0;
}

/*
 * May `amount` (1..INT64_MAX) of asset ap leave `addr`? Loads the account
 * into *a with its funding settled (written: a refusal rolls it back with
 * the rest) and its balance of the asset into *bal. CL_STF_OK,
 * CL_STF_ERR_INSUFFICIENT_ASSET, CL_STF_ERR_ASSET_COVERS_DEBT,
 * CL_STF_ERR_ASSET_MARGIN, CL_STF_ERR_OVERFLOW or a negative error.
 */
static int asset_out_check(struct cl_stf *s, struct stf_acct *a, int64_t *bal,
			   const struct cl_address *addr,
			   const struct cl_asset_params *ap, uint64_t amount)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_health h;
	int64_t before, after;
	int rc;

	rc = stf_asset_balance(&v, bal, ap->id, addr);
	if (rc != CL_OK)
		return rc;
	if (amount > (uint64_t)*bal)
		return CL_STF_ERR_INSUFFICIENT_ASSET;
	rc = stf_acct_load(s, a, addr);
	if (rc == CL_OK)
		rc = stf_settle(s, a);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, addr, a->acc.collateral, a->pos, a->n);
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, addr, a->pos, a->n, NULL);
	if (rc != CL_OK)
		return rc;
	/* a debt in the settlement asset is paid first */
	if (a->acc.collateral < 0)
		return CL_STF_ERR_ASSET_COVERS_DEBT;
	/* the value that leaves: tiers are marginal, so the difference of
	 * the two balances' values, not the value of `amount` alone */
	rc = stf_asset_value_of(&v, &before, ap, *bal);
	if (rc == CL_OK)
		rc = stf_asset_value_of(&v, &after, ap, *bal - (int64_t)amount);
	if (rc != CL_OK)
		return rc;
	if (before - after > margin_asset_withdrawable(&h))
		return CL_STF_ERR_ASSET_MARGIN;
	return CL_STF_OK;
}

int stf_apply_asset_withdraw(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_asset_withdraw *m = &tx->u.asset_withdraw.msg;
	const struct cl_asset_params *ap;
	struct cl_stf_view v = cl_stf_view(s);
	static const struct cl_address zero;
	struct cl_account acc;
	struct stf_acct sa;
	uint64_t id;
	int64_t bal;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	/* the trader's own key, as WITHDRAW: no agent, and no derived
	 * account (nobody holds its key) */
	if (!addr_is(&m->trader, &tx->auth.signer[0]))
		return CL_STF_ERR_NOT_AUTHORIZED;
	rc = cl_stf_get_account(&v, &acc, &m->trader);
	if (rc == CL_ERR_NOT_FOUND) {
		memset(&acc, 0, sizeof(acc));
		rc = CL_OK;
	}
	if (rc != CL_OK)
		return rc;
	if (m->nonce != acc.nonce)
		return CL_STF_ERR_BAD_NONCE;
	ap = cl_genesis_asset(&s->g, m->asset);
	if (!ap)
		return CL_STF_ERR_UNKNOWN_ASSET;
	if (m->amount == 0 || m->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	if (addr_is(&m->recipient, &zero))
		return CL_STF_ERR_BAD_RECIPIENT;
	if (acc.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = asset_out_check(s, &sa, &bal, &m->trader, ap, m->amount);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_take_withdrawal_id(s, &id);
	if (rc != CL_OK)
		return rc;
	stf_put_asset_balance(s->st, m->asset, &m->trader,
			      bal - (int64_t)m->amount);
	sa.acc.nonce++;
	stf_put_account(s->st, &m->trader, &sa.acc);
	stf_put_asset_withdrawal(s->st, id, &m->recipient, m->asset, m->amount);
	return stf_reindex(s, &m->trader);
}

int stf_apply_subaccount_asset_transfer(struct cl_stf *s,
					const struct cl_tx *tx)
{
	const struct cl_subaccount_asset_transfer *m =
	    &tx->u.subaccount_asset_transfer.msg;
	const struct cl_asset_params *ap;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address from, to, owner;
	enum cl_stf_account_kind kind;
	struct cl_account o;
	struct stf_acct src;
	int64_t bal, dst;
	uint32_t index;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	/* the owner or its agent; a derived account owns no subaccounts */
	rc = stf_check_authorized(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	rc = cl_stf_get_account_owner(&v, &owner, &kind, &index, &m->trader);
	if (rc == CL_OK)
		return CL_STF_ERR_NOT_AUTHORIZED;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	if (m->from == m->to)
		return CL_STF_ERR_SAME_SUBACCOUNT;
	ap = cl_genesis_asset(&s->g, m->asset);
	if (!ap)
		return CL_STF_ERR_UNKNOWN_ASSET;
	if (m->amount == 0 || m->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	rc = cl_stf_get_account(&v, &o, &m->trader);
	if (rc == CL_ERR_NOT_FOUND) {
		memset(&o, 0, sizeof(o));
		rc = CL_OK;
	}
	if (rc != CL_OK)
		return rc;
	if (m->nonce != o.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (o.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = stf_subaccount(s, &from, &m->trader, m->from);
	if (rc == CL_OK)
		rc = stf_subaccount(s, &to, &m->trader, m->to);
	if (rc != CL_OK)
		return rc;
	rc = asset_out_check(s, &src, &bal, &from, ap, m->amount);
	if (rc != CL_STF_OK)
		return rc;
	rc = stf_asset_balance(&v, &dst, m->asset, &to);
	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(&dst, dst, (int64_t)m->amount))
		return CL_STF_ERR_OVERFLOW;
	stf_put_asset_balance(s->st, m->asset, &from, bal - (int64_t)m->amount);
	stf_put_asset_balance(s->st, m->asset, &to, dst);
	/* the owner's nonce, read again: the source's funding was just
	 * settled and the owner may be the source */
	rc = cl_stf_get_account(&v, &o, &m->trader);
	if (rc == CL_ERR_NOT_FOUND) {
		memset(&o, 0, sizeof(o));
		rc = CL_OK;
	}
	if (rc != CL_OK)
		return rc;
	o.nonce++;
	stf_put_account(s->st, &m->trader, &o);
	rc = stf_reindex(s, &from);
	if (rc == CL_OK)
		rc = stf_reindex(s, &to);
	return rc;
}
