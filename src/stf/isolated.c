/* SPDX-License-Identifier: MIT */
/*
 * Isolated margin (docs/margin.md "Isolated margin"): MARGIN_MODE and
 * ISOLATED_MARGIN, and the two tables this file owns.
 *
 * An isolated position is the position of an account of its own, the
 * isolated account of (owner, market), whose address is derived from the
 * owner and the market (cl_stf_isolated_account()). Nobody holds its key:
 * only the owner (and the owner's agents, for orders and cancels) acts
 * for it. Its collateral is the position's margin. Every rule that holds
 * for an account holds for it unchanged: its margin checks count only
 * its own collateral and position, the liquidation pass finds it on its
 * own in the liquidation index, and a bankrupt isolated account's
 * shortfall goes to the insurance fund and ADL as any account's does. So
 * its loss never reaches the owner's cross balance beyond the margin the
 * owner moved in.
 *
 * MARGIN_MODES (0x1a): owner(20) ‖ market u32 -> isolated account(20);
 *   present iff the owner trades the market isolated.
 * ACCOUNT_OWNERS (0x1b): derived account(20) -> owner(20) ‖ kind u8 (1:
 *   isolated, 2: subaccount) ‖ index u32 (the market, or the subaccount
 *   number); written the first time the account is used and never
 *   removed, so authorisation survives a switch back to cross.
 *   Subaccounts (subaccount.c) write their entries through
 *   stf_put_account_owner().
 *
 * The owner of a subaccount signs MARGIN_MODE and ISOLATED_MARGIN for
 * it (trader = the subaccount); its isolated accounts are owned by the
 * subaccount, so the chain of owners is at most two long.
 */
#include <string.h>

#include "stf_int.h"

#define MODE_KEY_LEN 24
#define OWNER_VAL_LEN 25

static const char iso_tag[] = "clearline.isolated.v1";

void cl_stf_isolated_account(struct cl_address *out,
			     const struct cl_address *owner, uint32_t market)
{
	struct cl_keccak k;
	uint8_t m[4], h[32];

	cl_put_be32(m, market);
	cl_keccak_init(&k);
	cl_keccak_update(&k, iso_tag, sizeof(iso_tag) - 1);
	cl_keccak_update(&k, owner->b, 20);
	cl_keccak_update(&k, m, 4);
	cl_keccak_final(&k, h);
	memcpy(out->b, h + 12, 20);
}

static void mode_key(uint8_t k[MODE_KEY_LEN], const struct cl_address *owner,
		     uint32_t market)
{
	memcpy(k, owner->b, 20);
	cl_put_be32(k + 20, market);
}

int cl_stf_get_margin_mode(const struct cl_stf_view *v, bool *isolated,
			   struct cl_address *account,
			   const struct cl_address *owner, uint32_t market)
{
	uint8_t k[MODE_KEY_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc;

	*isolated = false;
	*account = *owner;
	mode_key(k, owner, market);
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_MARGIN_MODES, k, sizeof(k));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	if (vlen != 20)
		return CL_ERR_CORRUPT;
	*isolated = true;
	memcpy(account->b, val, 20);
	return CL_OK;
}

int cl_stf_get_account_owner(const struct cl_stf_view *v,
			     struct cl_address *owner,
			     enum cl_stf_account_kind *kind, uint32_t *index,
			     const struct cl_address *account)
{
	const uint8_t *val;
	size_t vlen;
	int rc;

	memset(owner, 0, sizeof(*owner));
	*kind = CL_STF_ACCOUNT_ISOLATED;
	*index = 0;
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_ACCOUNT_OWNERS, account->b,
			  20);
	if (rc != CL_OK)
		return rc;
	if (vlen != OWNER_VAL_LEN || (val[20] != CL_STF_ACCOUNT_ISOLATED &&
				      val[20] != CL_STF_ACCOUNT_SUBACCOUNT))
		return CL_ERR_CORRUPT;
	memcpy(owner->b, val, 20);
	*kind = (enum cl_stf_account_kind)val[20];
	*index = cl_get_be32(val + 21);
	return CL_OK;
}

void stf_put_account_owner(struct cl_state *st,
			   const struct cl_address *account,
			   const struct cl_address *owner,
			   enum cl_stf_account_kind kind, uint32_t index)
{
	uint8_t val[OWNER_VAL_LEN];

	memcpy(val, owner->b, 20);
	val[20] = (uint8_t)kind;
	cl_put_be32(val + 21, index);
	cl_state_put(st, CL_TABLE_ACCOUNT_OWNERS, account->b, 20, val,
		     sizeof(val));
}

int cl_stf_get_isolated(const struct cl_stf_view *v,
			struct cl_stf_isolated *out, size_t *n,
			const struct cl_address *owner)
{
	const struct cl_genesis *g = v->genesis;
	int rc;

	*n = 0;
	/* genesis order = increasing market id: no table iteration needed */
	for (size_t i = 0; i < g->n_markets; i++) {
		uint32_t market = g->markets[i].id;
		struct cl_stf_isolated *e = &out[*n];
		bool iso;

		rc = cl_stf_get_margin_mode(v, &iso, &e->account, owner,
					    market);
		if (rc != CL_OK)
			return rc;
		if (!iso)
			continue;
		e->market = market;
		(*n)++;
	}
	return CL_OK;
}

/* ------------------------------------------------------------------ */

static bool same_addr(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, 20) == 0;
}

int stf_isolated_authorized(struct cl_stf *s, const struct cl_address *trader,
			    const struct cl_address *signer)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address owner;
	enum cl_stf_account_kind kind;
	uint32_t index;
	int rc;

	rc = cl_stf_get_account_owner(&v, &owner, &kind, &index, trader);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_STF_ERR_NOT_AUTHORIZED;
	if (rc != CL_OK)
		return rc;
	if (same_addr(&owner, signer))
		return CL_STF_OK;
	/* the owner's agents act for its isolated accounts too */
	return stf_check_authorized(s, &owner, signer);
}

int stf_isolated_check_order(struct cl_stf *s, const struct cl_address *trader,
			     uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address owner, acct;
	enum cl_stf_account_kind kind;
	uint32_t own_market;
	bool iso;
	int rc;

	rc = cl_stf_get_account_owner(&v, &owner, &kind, &own_market, trader);
	if (rc == CL_OK && kind == CL_STF_ACCOUNT_ISOLATED)
		return own_market == market ? CL_STF_OK : CL_STF_ERR_WRONG_MODE;
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	/* the owner's own account or a subaccount: its own modes */
	rc = cl_stf_get_margin_mode(&v, &iso, &acct, trader, market);
	if (rc != CL_OK)
		return rc;
	return iso ? CL_STF_ERR_WRONG_MODE : CL_STF_OK;
}

/* Does `a` hold a position or reserve open orders in `market`? */
static int busy_in(struct cl_stf *s, bool *busy, const struct cl_address *a,
		   uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS];
	struct stf_acct acct;
	size_t n;
	int rc;

	*busy = false;
	rc = stf_acct_load(s, &acct, a);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < acct.n; i++)
		if (acct.pos[i].market == market && acct.pos[i].size != 0)
			*busy = true;
	rc = cl_stf_get_open_sizes(&v, os, &n, a);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (os[i].market == market)
			*busy = true;
	return CL_OK;
}

/* What `a` may move out (margin_withdrawable, pending funding settled):
 * the account is loaded into *acct and settled. */
static int movable(struct cl_stf *s, struct stf_acct *acct, int64_t *out,
		   const struct cl_address *a)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_health h;
	int rc;

	rc = stf_acct_load(s, acct, a);
	if (rc == CL_OK)
		rc = stf_settle(s, acct);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, a, acct->acc.collateral, acct->pos,
				acct->n);
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, a, acct->pos, acct->n, NULL);
	if (rc != CL_OK)
		return rc;
	*out = margin_withdrawable(&h);
	return CL_OK;
}

/* May `signer` sign MARGIN_MODE and ISOLATED_MARGIN for `trader`: the
 * trader itself, or the owner of the subaccount `trader`? An isolated
 * account owns nothing (CL_STF_ERR_NOT_AUTHORIZED). */
static int owner_signs(struct cl_stf *s, const struct cl_address *trader,
		       const struct cl_address *signer)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address owner;
	enum cl_stf_account_kind kind;
	uint32_t index;
	int rc;

	rc = cl_stf_get_account_owner(&v, &owner, &kind, &index, trader);
	if (rc == CL_ERR_NOT_FOUND)
		return same_addr(trader, signer) ? CL_STF_OK
						 : CL_STF_ERR_NOT_AUTHORIZED;
	if (rc != CL_OK)
		return rc;
	if (kind == CL_STF_ACCOUNT_SUBACCOUNT && same_addr(&owner, signer))
		return CL_STF_OK;
	return CL_STF_ERR_NOT_AUTHORIZED;
}

/* The owner's account with funding settled; the nonce checked. */
static int load_owner(struct cl_stf *s, struct stf_acct *o,
		      const struct cl_address *owner, uint64_t nonce)
{
	int rc;

	rc = stf_acct_load(s, o, owner);
	if (rc == CL_OK)
		rc = stf_settle(s, o);
	if (rc != CL_OK)
		return rc;
	if (nonce != o->acc.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (o->acc.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	return CL_STF_OK;
}

int stf_apply_margin_mode(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_margin_mode *m = &tx->u.margin_mode.msg;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address iso_acct, cur_acct;
	struct stf_acct o, ia;
	uint8_t k[MODE_KEY_LEN];
	bool iso, busy;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = owner_signs(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	if (!cl_genesis_market(&s->g, m->market))
		return CL_STF_ERR_UNKNOWN_MARKET;
	rc = load_owner(s, &o, &m->trader, m->nonce);
	if (rc != CL_STF_OK)
		return rc;
	rc = cl_stf_get_margin_mode(&v, &iso, &cur_acct, &m->trader,
				    m->market);
	if (rc != CL_OK)
		return rc;
	cl_stf_isolated_account(&iso_acct, &m->trader, m->market);
	if (iso != m->isolated) {
		/* 3: no position and no open order on either side */
		rc = busy_in(s, &busy, &m->trader, m->market);
		if (rc == CL_OK && !busy)
			rc = busy_in(s, &busy, &iso_acct, m->market);
		if (rc != CL_OK)
			return rc;
		if (busy)
			return CL_STF_ERR_MODE_BUSY;
	}
	mode_key(k, &m->trader, m->market);
	if (m->isolated && !iso) {
		cl_state_put(s->st, CL_TABLE_MARGIN_MODES, k, sizeof(k),
			     iso_acct.b, 20);
		stf_put_account_owner(s->st, &iso_acct, &m->trader,
				      CL_STF_ACCOUNT_ISOLATED, m->market);
	}
	if (!m->isolated && iso) {
		cl_state_del(s->st, CL_TABLE_MARGIN_MODES, k, sizeof(k));
		/* 4: what margin is left (no position: all of it is free)
		 * goes back to the cross balance */
		rc = stf_acct_load(s, &ia, &iso_acct);
		if (rc == CL_OK)
			rc = stf_settle(s, &ia);
		if (rc != CL_OK)
			return rc;
		if (ia.acc.collateral > 0) {
			if (!cl_add_i64(&o.acc.collateral, o.acc.collateral,
					ia.acc.collateral))
				return CL_STF_ERR_OVERFLOW;
			ia.acc.collateral = 0;
			stf_put_account(s->st, &iso_acct, &ia.acc);
			rc = stf_reindex(s, &iso_acct);
			if (rc != CL_OK)
				return rc;
		}
	}
	o.acc.nonce++;
	stf_put_account(s->st, &m->trader, &o.acc);
	return stf_reindex(s, &m->trader);
}

int stf_apply_isolated_margin(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_isolated_margin *m = &tx->u.isolated_margin.msg;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_address iso_acct;
	struct stf_acct o, ia;
	int64_t can;
	bool iso;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = owner_signs(s, &m->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	if (!cl_genesis_market(&s->g, m->market))
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (m->amount == 0 || m->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	rc = cl_stf_get_margin_mode(&v, &iso, &iso_acct, &m->trader,
				    m->market);
	if (rc != CL_OK)
		return rc;
	if (!iso)
		return CL_STF_ERR_NOT_ISOLATED;
	if (m->add) {
		/* from the cross balance: what a withdrawal could take */
		rc = movable(s, &o, &can, &m->trader);
		if (rc != CL_OK)
			return rc;
		if (m->nonce != o.acc.nonce)
			return CL_STF_ERR_BAD_NONCE;
		if (o.acc.nonce == UINT64_MAX)
			return CL_STF_ERR_OVERFLOW;
		if (m->amount > (uint64_t)can)
			return CL_STF_ERR_INSUFFICIENT_COLLATERAL;
		rc = stf_acct_load(s, &ia, &iso_acct);
		if (rc == CL_OK)
			rc = stf_settle(s, &ia);
		if (rc != CL_OK)
			return rc;
	} else {
		/* from the position: it stays at or above its initial
		 * margin, unrealised profit never leaves */
		rc = load_owner(s, &o, &m->trader, m->nonce);
		if (rc != CL_STF_OK)
			return rc;
		rc = movable(s, &ia, &can, &iso_acct);
		if (rc != CL_OK)
			return rc;
		if (m->amount > (uint64_t)can)
			return CL_STF_ERR_INSUFFICIENT_COLLATERAL;
	}
	/* amount <= movable <= the source's collateral: no overflow there */
	if (m->add) {
		o.acc.collateral -= (int64_t)m->amount;
		if (!cl_add_i64(&ia.acc.collateral, ia.acc.collateral,
				(int64_t)m->amount))
			return CL_STF_ERR_OVERFLOW;
	} else {
		ia.acc.collateral -= (int64_t)m->amount;
		if (!cl_add_i64(&o.acc.collateral, o.acc.collateral,
				(int64_t)m->amount))
			return CL_STF_ERR_OVERFLOW;
	}
	o.acc.nonce++;
	stf_put_account(s->st, &m->trader, &o.acc);
	stf_put_account(s->st, &iso_acct, &ia.acc);
	rc = stf_reindex(s, &m->trader);
	if (rc == CL_OK)
		rc = stf_reindex(s, &iso_acct);
	return rc;
}
