/* SPDX-License-Identifier: MIT */
/*
 * The collateral assets' L1 contract (ClearlineAssets, docs/l1.md
 * "Collateral assets"): its address, its AssetDeposit event and the
 * ASSET_DEPOSIT request one asks for, and the claim of an asset
 * withdrawal.
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

void cl_l1_assets_address(struct cl_address *out,
			  const struct cl_address *rollup)
{
	/* keccak256(rlp([rollup, 2])): a list of 22 bytes, a 20-byte
	 * string, then the single byte 2 */
	uint8_t rlp[23], h[32];

	rlp[0] = 0xc0 + 22;
	rlp[1] = 0x80 + 20;
	memcpy(rlp + 2, rollup->b, 20);
	rlp[22] = 0x02;
	cl_keccak256(h, rlp, sizeof(rlp));
	memcpy(out->b, h + 12, 20);
}

void cl_l1_abi_claim_asset_withdrawal(struct cl_buf *out,
				      const struct cl_l1_batch_event *batch,
				      uint64_t withdrawal_id,
				      const struct cl_address *recipient,
				      uint32_t asset, uint64_t amount,
				      const struct cl_hash32 *siblings,
				      size_t n_siblings)
{
	uint8_t sel[4];

	CL_REQUIRE(n_siblings <= CL_L1_MAX_SIBLINGS);
	cl_l1_selector(sel, CL_L1_SIG_CLAIM_ASSET_WITHDRAWAL);
	cl_buf_append(out, sel, 4);
	cl_l1_abi_put_u64(out, batch->index);
	/* the record's nine words, as the BatchRecord tuple */
	cl_l1_abi_put_bytes32(out, &batch->data_hash);
	cl_l1_abi_put_bytes32(out, &batch->state_root);
	cl_l1_abi_put_bytes32(out, &batch->withdrawal_root);
	cl_l1_abi_put_u64(out, batch->prev_deposits_consumed);
	cl_l1_abi_put_u64(out, batch->deposits_consumed);
	cl_l1_abi_put_u64(out, batch->first_block);
	cl_l1_abi_put_u64(out, batch->last_block);
	cl_l1_abi_put_u64(out, batch->timestamp);
	cl_l1_abi_put_u64(out, batch->l1_timestamp);
	cl_l1_abi_put_u64(out, withdrawal_id);
	cl_l1_abi_put_address(out, recipient);
	cl_l1_abi_put_u64(out, asset);
	cl_l1_abi_put_u64(out, amount);
	cl_l1_abi_put_u64(out, 15 * 32); /* offset of the array */
	cl_l1_abi_put_u64(out, n_siblings);
	for (size_t i = 0; i < n_siblings; i++)
		cl_l1_abi_put_bytes32(out, &siblings[i]);
}
