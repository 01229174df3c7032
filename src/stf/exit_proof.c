/* SPDX-License-Identifier: MIT */
/*
 * The escape's proofs (docs/l1.md "Escape"): an account's leaf, its
 * position leaf in every genesis market (or the proof that it has none),
 * the market leaf of each position it holds, and its balance leaf of
 * every genesis collateral asset (or the proof that it has none) with the
 * asset's oracle market leaf when it holds one, in the byte layout
 * ClearlineEscape.exit() reads; the two GLOBALS leaves startEscape()
 * proves and the one startAssetRefunds() proves. Read-only, through a view; every proof is
 * against the view's root.
 */
#include "stf_int.h"

#include <stdlib.h>
#include <string.h>

static int view_prove(const struct cl_stf_view *v, struct cl_proof *out,
		      enum cl_table t, const uint8_t *key, size_t klen)
{
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	if (v->state)
		return cl_state_prove(v->state, out, t, key, klen);
	return cl_snapshot_prove(v->snapshot, out, t, key, klen);
}

/* Append the stored value of (t, key), which must have `len` bytes. */
static int append_value(const struct cl_stf_view *v, struct cl_buf *out,
			enum cl_table t, const uint8_t *key, size_t klen,
			size_t len)
{
	const uint8_t *val;
	size_t vlen;
	int rc = stf_view_get(v, &val, &vlen, t, key, klen);

	if (rc != CL_OK)
		return rc;
	if (vlen != len) {
		cl_broken("stf",
			  "stored record of table %u has %zu bytes, "
			  "%zu expected",
			  (unsigned)t, vlen, len);
		return CL_ERR_CORRUPT;
	}
	cl_buf_append(out, val, vlen);
	return CL_OK;
}

/* Append the proof of (t, key); *kind says which it is. */
static int append_proof(const struct cl_stf_view *v, struct cl_buf *out,
			enum cl_proof_kind *kind, enum cl_table t,
			const uint8_t *key, size_t klen)
{
	struct cl_proof *p = cl_xcalloc(1, sizeof(*p));
	int rc = view_prove(v, p, t, key, klen);

	if (rc == CL_OK) {
		*kind = p->kind;
		cl_proof_encode(out, p);
	}
	free(p);
	return rc;
}

int cl_stf_exit_proof(const struct cl_stf_view *v, struct cl_buf *out,
		      size_t *n_positions, const struct cl_address *addr)
{
	enum cl_proof_kind kind;
	int rc;

	*n_positions = 0;
	rc = append_value(v, out, CL_TABLE_ACCOUNTS, addr->b, 20,
			  ACCOUNT_VAL_LEN);
	if (rc != CL_OK)
		return rc;
	rc = append_proof(v, out, &kind, CL_TABLE_ACCOUNTS, addr->b, 20);
	if (rc != CL_OK)
		return rc;
	CL_REQUIRE(kind == CL_PROOF_INCLUSION);
	for (uint32_t i = 0; i < v->genesis->n_markets; i++) {
		uint32_t id = v->genesis->markets[i].id;
		uint8_t pkey[POSITION_KEY_LEN], mkey[MARKET_KEY_LEN];

		memcpy(pkey, addr->b, 20);
		cl_put_be32(pkey + 20, id);
		cl_put_be32(mkey, id);
		rc = append_proof(v, out, &kind, CL_TABLE_POSITIONS, pkey,
				  sizeof(pkey));
		if (rc != CL_OK)
			return rc;
		if (kind != CL_PROOF_INCLUSION)
			continue;
		(*n_positions)++;
		rc = append_value(v, out, CL_TABLE_POSITIONS, pkey,
				  sizeof(pkey), POSITION_VAL_LEN);
		if (rc == CL_OK)
			rc = append_value(v, out, CL_TABLE_MARKETS, mkey,
					  sizeof(mkey), MARKET_VAL_LEN);
		if (rc == CL_OK)
			rc = append_proof(v, out, &kind, CL_TABLE_MARKETS, mkey,
					  sizeof(mkey));
		if (rc != CL_OK)
			return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	}
	for (uint32_t i = 0; i < v->genesis->n_assets; i++) {
		const struct cl_asset_params *a = &v->genesis->assets[i];
		/* ASSET_BALANCES' key (collateral.c): asset u32 ‖ address */
		uint8_t bkey[4 + 20], mkey[MARKET_KEY_LEN];

		cl_put_be32(bkey, a->id);
		memcpy(bkey + 4, addr->b, 20);
		cl_put_be32(mkey, a->oracle_market);
		rc = append_proof(v, out, &kind, CL_TABLE_ASSET_BALANCES, bkey,
				  sizeof(bkey));
		if (rc != CL_OK)
			return rc;
		if (kind != CL_PROOF_INCLUSION)
			continue;
		rc = append_value(v, out, CL_TABLE_ASSET_BALANCES, bkey,
				  sizeof(bkey), 8);
		if (rc == CL_OK)
			rc = append_value(v, out, CL_TABLE_MARKETS, mkey,
					  sizeof(mkey), MARKET_VAL_LEN);
		if (rc == CL_OK)
			rc = append_proof(v, out, &kind, CL_TABLE_MARKETS, mkey,
					  sizeof(mkey));
		if (rc != CL_OK)
			return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
	}
	return CL_OK;
}

int cl_stf_escape_proofs(const struct cl_stf_view *v,
			 struct cl_buf *genesis_proof,
			 struct cl_buf *deposits_proof,
			 uint64_t *deposits_consumed)
{
	enum cl_proof_kind kind;
	int rc;

	rc = stf_get_global_u64(v, deposits_consumed, G_NEXT_DEPOSIT);
	if (rc == CL_OK)
		rc =
		    append_proof(v, genesis_proof, &kind, CL_TABLE_GLOBALS,
				 (const uint8_t *)G_GENESIS, strlen(G_GENESIS));
	if (rc == CL_OK)
		rc = append_proof(v, deposits_proof, &kind, CL_TABLE_GLOBALS,
				  (const uint8_t *)G_NEXT_DEPOSIT,
				  strlen(G_NEXT_DEPOSIT));
	return rc;
}

int cl_stf_escape_asset_proof(const struct cl_stf_view *v, struct cl_buf *proof,
			      uint64_t *consumed)
{
	enum cl_proof_kind kind;
	int rc = stf_get_global_u64(v, consumed, G_NEXT_ASSET_DEPOSIT);

	if (rc == CL_ERR_NOT_FOUND)
		*consumed = 0; /* no asset deposit applied: an exclusion */
	else if (rc != CL_OK)
		return rc;
	return append_proof(v, proof, &kind, CL_TABLE_GLOBALS,
			    (const uint8_t *)G_NEXT_ASSET_DEPOSIT,
			    strlen(G_NEXT_ASSET_DEPOSIT));
}

int cl_stf_exit_assets(const struct cl_stf_view *v,
		       struct cl_stf_exit_asset *out, size_t *n,
		       int64_t *settlement, const struct cl_address *addr)
{
	struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
	struct cl_health h;
	unsigned __int128 total = 0, debt = 0;
	size_t nab = 0;
	int64_t sum;
	int rc = cl_stf_get_health(v, &h, addr);

	*n = 0;
	*settlement = 0;
	if (rc == CL_OK && v->genesis->n_assets > 0)
		rc = cl_stf_get_collateral(v, ab, &nab, &sum, addr);
	if (rc != CL_OK)
		return rc;
	if (__builtin_sub_overflow(h.equity, h.asset_value, settlement))
		return CL_STF_ERR_OVERFLOW;
	if (*settlement < 0)
		debt = (unsigned __int128)(-(__int128)*settlement);
	for (size_t i = 0; i < nab; i++)
		if (ab[i].balance > 0)
			total += (unsigned __int128)ab[i].gross;
	for (size_t i = 0; i < nab; i++) {
		struct cl_stf_exit_asset *e = &out[*n];
		unsigned __int128 paid = (uint64_t)ab[i].balance;

		if (ab[i].balance <= 0)
			continue;
		if (debt > 0)
			paid = total <= debt ? 0 : paid * (total - debt) / total;
		e->asset = ab[i].asset;
		e->balance = ab[i].balance;
		e->index = ab[i].index;
		e->value = ab[i].gross;
		e->paid = (uint64_t)paid;
		(*n)++;
	}
	return CL_OK;
}
