/* SPDX-License-Identifier: MIT */
/*
 * Subaccounts (docs/margin.md "Subaccounts"): SUBACCOUNT_TRANSFER and the
 * SUBACCOUNTS table this file owns.
 *
 * Subaccount n (1..2^32-1) of an owner is an account of its own, at an
 * address derived from the owner and n (cl_stf_subaccount_account());
 * subaccount 0 is the owner's own account, so everything an address did
 * before subaccounts existed is its subaccount 0. Nobody holds a
 * subaccount's key: the owner and the owner's agents act for it (orders
 * and cancels name it as trader; ACCOUNT_OWNERS, kept by isolated.c, says
 * whose it is). Each subaccount has its own collateral, positions,
 * margin, liquidation and margin modes, exactly as any account.
 *
 * SUBACCOUNTS (0x1c): owner(20) ‖ n u32 -> subaccount address(20),
 *   written with its ACCOUNT_OWNERS entry by the first transfer that
 *   names n, never removed; it lists an owner's subaccounts in order.
 */
#include <string.h>

#include "stf_int.h"

#define SUB_KEY_LEN 24

static const char sub_tag[] = "clearline.subaccount.v1";

void cl_stf_subaccount_account(struct cl_address *out,
			       const struct cl_address *owner, uint32_t sub)
{
	struct cl_keccak k;
	uint8_t n[4], h[32];

	if (sub == 0) {
		*out = *owner;
		return;
	}
	cl_put_be32(n, sub);
	cl_keccak_init(&k);
	cl_keccak_update(&k, sub_tag, sizeof(sub_tag) - 1);
	cl_keccak_update(&k, owner->b, 20);
	cl_keccak_update(&k, n, 4);
	cl_keccak_final(&k, h);
	memcpy(out->b, h + 12, 20);
}

int cl_stf_get_subaccounts(const struct cl_stf_view *v,
			   struct cl_stf_subaccount *out, size_t cap,
			   size_t *n, const struct cl_address *owner)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	rc = v->state ? cl_state_iter_new(&it, v->state, CL_TABLE_SUBACCOUNTS,
					  owner->b, 20)
		      : cl_snapshot_iter_new(&it, v->snapshot,
					     CL_TABLE_SUBACCOUNTS, owner->b,
					     20);
	if (rc != CL_OK)
		return rc;
	while (*n < cap) {
		rc = cl_state_iter_next(it, &key, &klen, &val, &vlen);
		if (rc == CL_ERR_NOT_FOUND) {
			rc = CL_OK;
			break;
		}
		if (rc != CL_OK)
			break;
		if (klen != SUB_KEY_LEN || memcmp(key, owner->b, 20) != 0)
			break; /* past the owner's entries */
		if (vlen != 20) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		out[*n].sub = cl_get_be32(key + 20);
		memcpy(out[*n].account.b, val, 20);
		(*n)++;
	}
	cl_state_iter_free(it);
	return rc;
}

int stf_subaccount(struct cl_stf *s, struct cl_address *out,
		   const struct cl_address *owner, uint32_t n)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint8_t k[SUB_KEY_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc;

	cl_stf_subaccount_account(out, owner, n);
	if (n == 0)
		return CL_OK;
	memcpy(k, owner->b, 20);
	cl_put_be32(k + 20, n);
	rc = stf_view_get(&v, &val, &vlen, CL_TABLE_SUBACCOUNTS, k, sizeof(k));
	if (rc == CL_OK)
		return vlen == 20 ? CL_OK : CL_ERR_CORRUPT;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	cl_state_put(s->st, CL_TABLE_SUBACCOUNTS, k, sizeof(k), out->b, 20);
	stf_put_account_owner(s->st, out, owner, CL_STF_ACCOUNT_SUBACCOUNT,
			      n);
	return CL_OK;
}

int stf_apply_subaccount_transfer(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_subaccount_transfer *m =
		&tx->u.subaccount_transfer.msg;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address from, to, owner;
	enum cl_stf_account_kind kind;
	struct stf_acct o, src, dst;
	struct cl_health h;
	uint32_t index;
	int64_t can;
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
	if (m->amount == 0 || m->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	rc = stf_acct_load(s, &o, &m->trader);
	if (rc != CL_OK)
		return rc;
	if (m->nonce != o.acc.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (o.acc.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = stf_subaccount(s, &from, &m->trader, m->from);
	if (rc == CL_OK)
		rc = stf_subaccount(s, &to, &m->trader, m->to);
	if (rc != CL_OK)
		return rc;
	/* the source keeps its initial margin (open orders counted) and
	 * moves no unrealised profit: margin_withdrawable() */
	rc = stf_acct_load(s, &src, &from);
	if (rc == CL_OK)
		rc = stf_settle(s, &src);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, &from, src.acc.collateral, src.pos,
				src.n);
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, &from, src.pos, src.n, NULL);
	if (rc != CL_OK)
		return rc;
	can = margin_withdrawable(&h);
	if (m->amount > (uint64_t)can)
		return CL_STF_ERR_INSUFFICIENT_COLLATERAL;
	rc = stf_acct_load(s, &dst, &to);
	if (rc == CL_OK)
		rc = stf_settle(s, &dst);
	if (rc != CL_OK)
		return rc;
	if (!cl_add_i64(&dst.acc.collateral, dst.acc.collateral,
			(int64_t)m->amount))
		return CL_STF_ERR_OVERFLOW;
	/* amount <= withdrawable <= the source's collateral */
	src.acc.collateral -= (int64_t)m->amount;
	stf_put_account(s->st, &from, &src.acc);
	stf_put_account(s->st, &to, &dst.acc);
	/* the owner's nonce, read again: the owner may be the source or
	 * the destination */
	rc = cl_stf_get_account(&v, &o.acc, &m->trader);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	o.acc.nonce++;
	stf_put_account(s->st, &m->trader, &o.acc);
	rc = stf_reindex(s, &from);
	if (rc == CL_OK)
		rc = stf_reindex(s, &to);
	return rc;
}
