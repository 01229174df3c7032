/* SPDX-License-Identifier: MIT */
/*
 * The l1 module's side of the collateral assets' contract (the rollup's
 * assets(), ClearlineAssets; docs/l1.md "Collateral assets"): its
 * address, the watcher of its AssetDeposit events and the claim of an
 * asset withdrawal. Part of the l1 interface, kept in its own file so
 * that each header stays readable in one sitting; include
 * <clearline/l1.h>, which includes this one at its end. The event's
 * struct and decoder are in l1.h beside the other events.
 */
#ifndef CLEARLINE_L1_ASSETS_H
#define CLEARLINE_L1_ASSETS_H

#ifndef CLEARLINE_L1_H
#error "include <clearline/l1.h>, not <clearline/l1_assets.h>"
#endif

/* The rollup's assets contract: CREATE(rollup, nonce 2), the second
 * contract its constructor creates. */
void cl_l1_assets_address(struct cl_address *out,
			  const struct cl_address *rollup);

/* ClearlineAssets.claimAssetWithdrawal (CL_L1_SIG_CLAIM_ASSET_WITHDRAWAL)
 * APPENDED to out: as cl_l1_abi_claim_withdrawal, with the asset id
 * (the call goes to cl_l1_assets_address()). n_siblings is at most
 * CL_L1_MAX_SIBLINGS. */
void cl_l1_abi_claim_asset_withdrawal(
    struct cl_buf *out, const struct cl_l1_batch_event *batch,
    uint64_t withdrawal_id, const struct cl_address *recipient, uint32_t asset,
    uint64_t amount, const struct cl_hash32 *siblings, size_t n_siblings);

/* Called once per asset deposit, in id order, as cl_l1_deposit_fn. */
typedef int (*cl_l1_asset_deposit_fn)(void *arg,
				      const struct cl_l1_asset_deposit *d);

/*
 * A watcher of the assets contract's AssetDeposit events: everything as
 * cl_l1_watcher_open(), with opts->rollup the assets contract's address
 * (the rollup's assets()), its own id sequence, and its own state file
 * l1-asset-deposits.dat. An asset deposit delivered before must come
 * back with the same recipient, asset and amount. Step, cursor and free
 * are the watcher's.
 */
CL_WUR int cl_l1_asset_watcher_open(struct cl_l1_watcher **out,
				    struct cl_l1_rpc *rpc,
				    const char *state_dir,
				    const struct cl_l1_cursor *initial,
				    const struct cl_l1_watcher_opts *opts,
				    cl_l1_asset_deposit_fn fn, void *arg);

#endif /* CLEARLINE_L1_ASSETS_H */
