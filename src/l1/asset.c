/* SPDX-License-Identifier: MIT */
/*
 * The collateral assets' L1 contract (ClearlineAssets, docs/l1.md
 * "Collateral assets"): its AssetDeposit event and the ASSET_DEPOSIT
 * request one asks for.
 */
#include <string.h>

#include "l1_int.h"

bool cl_l1_decode_asset_deposit(struct cl_l1_asset_deposit *out,
				const struct cl_l1_log *log)
{
	struct cl_hash32 t;
	uint64_t asset;

	memset(out, 0, sizeof(*out));
	if (log->n_topics != 4 || log->data_len != 64)
		return false;
	cl_l1_event_topic(&t, CL_L1_EV_ASSET_DEPOSIT);
	if (!cl_hash32_eq(&t, &log->topics[0]))
		return false;
	if (!l1_abi_word_u64(&out->id, log->topics[1].b) ||
	    !l1_abi_word_u64(&asset, log->topics[2].b) || asset > UINT32_MAX ||
	    !l1_abi_word_address(&out->to, log->topics[3].b) ||
	    !l1_abi_word_u64(&out->amount, log->data) ||
	    !l1_abi_word_u64(&out->timestamp, log->data + 32)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->asset = (uint32_t)asset;
	out->loc.block_number = log->block_number;
	out->loc.block_hash = log->block_hash;
	out->loc.tx_hash = log->tx_hash;
	out->loc.log_index = log->log_index;
	return true;
}

void cl_l1_asset_deposit_tx(struct cl_tx *out,
			    const struct cl_l1_asset_deposit *d)
{
	memset(out, 0, sizeof(*out));
	out->type = CL_TX_ASSET_DEPOSIT;
	out->u.asset_deposit.id = d->id;
	out->u.asset_deposit.asset = d->asset;
	out->u.asset_deposit.to = d->to;
	out->u.asset_deposit.amount = d->amount;
}
