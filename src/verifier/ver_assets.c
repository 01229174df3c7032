/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets (docs/verifier.md "Collateral assets"): the assets
 * contract (the rollup's assets()) must list exactly the genesis's assets
 * (token, id, shift) before anything is derived; every ASSET_DEPOSIT
 * request a batch carries must be the contract's asset deposit of the
 * same id (asset, recipient, amount); and the asset deposits a batch
 * credited must be the count the contract recorded for it.
 *
 * Asset deposits are read from the contract's storage (assetDeposits(id),
 * which never changes once made) rather than from its logs: they are few,
 * and a batch can only consume ids the contract already holds.
 */
#include "ver_int.h"

#include <string.h>

static const char *const SUB = "verifier";

/* eth_call of `to` with selector(sig) ‖ one static word `arg` (or
 * none); the return data into ret. */
static int call_word(struct cl_verifier *v, struct cl_buf *ret,
		     const struct cl_address *to, const char *sig,
		     const uint8_t *arg)
{
	struct cl_buf cd;
	uint8_t sel[4];

	cl_buf_init(&cd);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (arg)
		cl_buf_append(&cd, arg, 32);
	struct cl_l1_callreq req = {.to = to, .data = cd.p, .data_len = cd.len};
	int rc = cl_l1_eth_call(v->rpc, ret, &req, CL_L1_LATEST);
	cl_buf_release(&cd);
	return rc;
}

static bool word_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* One word returned that is an address. */
static bool ret_address(struct cl_address *out, const struct cl_buf *ret)
{
	memset(out, 0, sizeof(*out));
	if (ret->len != 32 || !word_zero(ret->p, 12))
		return false;
	memcpy(out->b, ret->p + 12, 20);
	return true;
}

/* One word returned that is a uint of at most `max`. */
static bool ret_small(uint64_t *out, const struct cl_buf *ret, uint64_t max)
{
	*out = 0;
	if (!cl_l1_abi_ret_u64(out, ret->p, ret->len) || *out > max) {
		*out = 0;
		return false;
	}
	return true;
}

static void addr_word(uint8_t w[32], const struct cl_address *a)
{
	memset(w, 0, 32);
	memcpy(w + 12, a->b, 20);
}

static void u64_word(uint8_t w[32], uint64_t x)
{
	memset(w, 0, 32);
	cl_put_be64(w + 24, x);
}

/* A mismatch: one clear line, and the verifier refuses to derive. */
#define MISMATCH(...)                         \
	do {                                  \
		cl_unusual(SUB, __VA_ARGS__); \
		rc = CL_ERR_CONFIG;           \
		goto out;                     \
	} while (0)

/* The checks of one genesis asset against the contract at `assets`. */
static int check_one(struct cl_verifier *v, const struct cl_address *assets,
		     const struct cl_asset_params *ap)
{
	struct cl_buf ret;
	struct cl_address token;
	uint8_t w[32];
	uint64_t dec, id, shift;
	char want[CL_ADDRESS_STR_LEN + 1], got[CL_ADDRESS_STR_LEN + 1];
	int rc;

	cl_buf_init(&ret);
	cl_address_format(want, &ap->token);
	u64_word(w, ap->id);
	rc = call_word(v, &ret, assets, "assetToken(uint32)", w);
	if (rc)
		goto out;
	if (!ret_address(&token, &ret)) {
		rc = CL_ERR_CORRUPT;
		goto out;
	}
	cl_address_format(got, &token);
	if (!cl_address_eq(&token, &ap->token))
		MISMATCH("the L1 assets contract lists token %s for asset %u "
			 "(%s), the genesis %s: this is another chain's "
			 "deployment; not deriving",
			 got, (unsigned)ap->id, ap->symbol, want);
	cl_buf_reset(&ret);
	addr_word(w, &ap->token);
	rc = call_word(v, &ret, assets, "assetOf(address)", w);
	if (rc)
		goto out;
	if (ret.len != 64 || !cl_l1_abi_ret_u64(&id, ret.p, 32) ||
	    id > UINT32_MAX || !cl_l1_abi_ret_u64(&shift, ret.p + 32, 32) ||
	    shift > 0xff) {
		rc = CL_ERR_CORRUPT;
		goto out;
	}
	cl_buf_reset(&ret);
	rc = call_word(v, &ret, &ap->token, "decimals()", NULL);
	if (rc == CL_L1_RPC_ERROR)
		MISMATCH("the token %s of asset %u (%s) has no decimals(): "
			 "not deriving",
			 want, (unsigned)ap->id, ap->symbol);
	if (rc)
		goto out;
	if (!ret_small(&dec, &ret, 0xff))
		MISMATCH("the token %s of asset %u (%s) answers decimals() "
			 "with something else than a uint8: not deriving",
			 want, (unsigned)ap->id, ap->symbol);
	if (id != ap->id || dec < ap->decimals || shift != dec - ap->decimals)
		MISMATCH("the L1 assets contract has token %s as asset %llu "
			 "with shift %llu (token decimals %llu), the genesis "
			 "asset %u (%s) with %u L2 decimals wants shift %lld: "
			 "this is another chain's deployment; not deriving",
			 want, (unsigned long long)id,
			 (unsigned long long)shift, (unsigned long long)dec,
			 (unsigned)ap->id, ap->symbol, (unsigned)ap->decimals,
			 (long long)dec - (long long)ap->decimals);
	rc = CL_OK;
out:
	cl_buf_release(&ret);
	return rc;
}

int ver_assets_check(struct cl_verifier *v)
{
	const struct cl_genesis *g = &v->genesis;
	struct cl_buf ret;
	uint64_t configured;
	int rc;

	cl_buf_init(&ret);
	rc = call_word(v, &ret, &g->rollup, "assets()", NULL);
	if (rc == CL_L1_RPC_ERROR && g->n_assets == 0) {
		/* a rollup without an assets contract: nothing to check */
		rc = CL_OK;
		goto done;
	}
	if (rc)
		goto out;
	if (!ret_address(&v->assets, &ret)) {
		rc = CL_ERR_CORRUPT;
		goto out;
	}
	cl_buf_reset(&ret);
	rc = call_word(v, &ret, &v->assets, "assetsConfigured()", NULL);
	if (rc)
		goto out;
	if (!ret_small(&configured, &ret, 1)) {
		rc = CL_ERR_CORRUPT;
		goto out;
	}
	if (g->n_assets == 0 && configured)
		MISMATCH("the L1 assets contract lists collateral assets and "
			 "the genesis none: this is another chain's "
			 "deployment; not deriving");
	if (g->n_assets && !configured)
		MISMATCH("the genesis lists %u collateral assets and the L1 "
			 "assets contract none: this is another chain's "
			 "deployment; not deriving",
			 (unsigned)g->n_assets);
	for (uint32_t i = 0; i < g->n_assets; i++) {
		rc = check_one(v, &v->assets, &g->assets[i]);
		if (rc)
			goto out;
	}
done:
	v->assets_checked = true;
	if (g->n_assets)
		cl_info(SUB,
			"the L1 assets contract lists the genesis's %u "
			"collateral assets",
			(unsigned)g->n_assets);
out:
	cl_buf_release(&ret);
	return rc;
}

int ver_asset_deposit_check(struct cl_verifier *v,
			    const struct cl_l1_batch_event *ev,
			    const struct fault_at *at, const struct cl_tx *tx)
{
	const struct cl_tx_asset_deposit *got = &tx->u.asset_deposit;
	struct cl_buf ret;
	uint8_t w[32];
	uint64_t asset, amount;
	struct cl_address to;

	if (!v->assets_checked || v->genesis.n_assets == 0)
		return ver_record_fault(v, ev, at,
					"asset deposit %llu on a chain "
					"without collateral assets",
					(unsigned long long)got->id);
	cl_buf_init(&ret);
	u64_word(w, got->id);
	int rc = call_word(v, &ret, &v->assets, "assetDeposits(uint64)", w);
	if (rc == CL_L1_RPC_ERROR) {
		/* UnknownAssetDeposit: never made */
		cl_buf_release(&ret);
		return ver_record_fault(v, ev, at,
					"asset deposit %llu is not on l1",
					(unsigned long long)got->id);
	}
	if (rc) {
		cl_buf_release(&ret);
		return rc;
	}
	/* (uint32 asset, address to, uint64 amount, uint64 timestamp) */
	bool ok = ret.len == 4 * 32 && cl_l1_abi_ret_u64(&asset, ret.p, 32) &&
		  asset <= UINT32_MAX && word_zero(ret.p + 32, 12) &&
		  cl_l1_abi_ret_u64(&amount, ret.p + 64, 32);
	if (ok)
		memcpy(to.b, ret.p + 44, 20);
	cl_buf_release(&ret);
	if (!ok)
		return CL_ERR_CORRUPT;
	if (asset != got->asset || !cl_address_eq(&to, &got->to) ||
	    amount != got->amount)
		return ver_record_fault(
		    v, ev, at,
		    "asset deposit %llu differs from the l1 asset deposit "
		    "(asset %u amount %llu, on l1 asset %llu amount %llu)",
		    (unsigned long long)got->id, (unsigned)got->asset,
		    (unsigned long long)got->amount, (unsigned long long)asset,
		    (unsigned long long)amount);
	return STEP_OK;
}

int ver_asset_count(struct cl_verifier *v, uint64_t *out,
		    const struct cl_l1_batch_event *ev)
{
	struct cl_buf ret;
	uint8_t w[32];

	*out = 0;
	if (v->batch_with_assets) {
		*out = v->batch_assets;
		return CL_OK;
	}
	if (v->genesis.n_assets == 0)
		return CL_OK; /* no asset deposit is ever credited */
	/* appendBatch: the contract kept (and recorded) the count before */
	cl_buf_init(&ret);
	u64_word(w, ev->index);
	int rc =
	    call_word(v, &ret, &v->assets, "assetDepositsAfter(uint64)", w);
	if (!rc && !cl_l1_abi_ret_u64(out, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&ret);
	return rc;
}
