/* SPDX-License-Identifier: MIT */
/*
 * EIP-1559 (type 2) transactions with an empty access list.
 */
#include <string.h>

#include "crypto_int.h"

#define TX_TYPE_1559 0x02

/* The nine unsigned fields, without the list header. */
static void put_fields(struct cl_buf *b, const struct cl_tx1559 *tx)
{
	cl_rlp_put_u64(b, tx->chain_id);
	cl_rlp_put_u64(b, tx->nonce);
	cl_rlp_put_u64(b, tx->max_priority_fee_per_gas);
	cl_rlp_put_u64(b, tx->max_fee_per_gas);
	cl_rlp_put_u64(b, tx->gas_limit);
	if (tx->has_to)
		cl_rlp_put_bytes(b, tx->to.b, sizeof(tx->to.b));
	else
		cl_rlp_put_bytes(b, NULL, 0);
	cl_rlp_put_uint_be(b, tx->value, sizeof(tx->value));
	cl_rlp_put_bytes(b, tx->data, tx->data_len);
	cl_rlp_list_end(b, cl_rlp_list_begin(b)); /* empty access list */
}

void cl_tx1559_encode_unsigned(struct cl_buf *out, const struct cl_tx1559 *tx)
{
	CL_REQUIRE(tx->data || tx->data_len == 0);
	cl_buf_append_byte(out, TX_TYPE_1559);

	size_t list = cl_rlp_list_begin(out);

	put_fields(out, tx);
	cl_rlp_list_end(out, list);
}

void cl_tx1559_signing_hash(struct cl_hash32 *out, const struct cl_tx1559 *tx)
{
	struct cl_buf b;

	cl_buf_init(&b);
	cl_tx1559_encode_unsigned(&b, tx);
	cl_keccak256(out->b, b.p, b.len);
	cl_buf_release(&b);
}

int cl_tx1559_sign(struct cl_buf *raw, struct cl_hash32 *tx_hash,
		   const struct cl_seckey *key, const struct cl_tx1559 *tx)
{
	struct cl_hash32 h;
	struct cl_sig sig;
	int err;

	if (tx_hash)
		memset(tx_hash, 0, sizeof(*tx_hash));
	cl_tx1559_signing_hash(&h, tx);
	err = cl_sign_digest(&sig, key, &h);
	if (err != CL_OK)
		return err;

	size_t start = raw->len;

	cl_buf_append_byte(raw, TX_TYPE_1559);

	size_t list = cl_rlp_list_begin(raw);

	put_fields(raw, tx);
	cl_rlp_put_u64(raw, sig.b[64] - 27u); /* yParity */
	cl_rlp_put_uint_be(raw, sig.b, 32);
	cl_rlp_put_uint_be(raw, sig.b + 32, 32);
	cl_rlp_list_end(raw, list);
	if (tx_hash)
		cl_keccak256(tx_hash->b, raw->p + start, raw->len - start);
	return CL_OK;
}
