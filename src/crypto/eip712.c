/* SPDX-License-Identifier: MIT */
/*
 * EIP-712 hashing of the Clearline message types (docs/crypto.md "EIP-712", fixed).
 *
 * Every field is a static type, so hashStruct is keccak256 of the type hash
 * followed by one 32-byte word per field: unsigned integers and bool
 * left-padded big-endian, addresses left-padded, bytes32 as is.
 */
#include <string.h>

#include "crypto_int.h"

/* clang-format off */
static const char domain_type_str[] =
	"EIP712Domain(string name,string version,uint256 chainId,"
	"address verifyingContract)";

static const char *const type_str[] = {
	[CL_EIP712_ORDER] = "Order(address trader,uint32 market,bool isBuy,"
			    "uint64 price,uint64 size,uint64 nonce,"
			    "uint64 expiry,uint8 flags)",
	[CL_EIP712_CANCEL] = "Cancel(address trader,bytes32 orderHash)",
	[CL_EIP712_WITHDRAW] = "Withdraw(address trader,address recipient,"
			       "uint64 amount,uint64 nonce)",
	[CL_EIP712_APPROVE_AGENT] = "ApproveAgent(address trader,"
				    "address agent,uint64 expiry,"
				    "uint64 nonce)",
	[CL_EIP712_ORACLE_PRICE] = "OraclePrice(uint32 market,uint64 price,"
				   "uint64 timestamp)",
	[CL_EIP712_SCHEDULE_CANCEL] = "ScheduleCancel(address trader,"
				      "uint64 time,uint64 nonce)",
	[CL_EIP712_CLIENT_ORDER] = "ClientOrder(address trader,uint32 market,"
				   "bool isBuy,uint64 price,uint64 size,"
				   "uint64 nonce,uint64 expiry,uint8 flags,"
				   "uint128 cloid)",
	[CL_EIP712_TRIGGER_ORDER] = "TriggerOrder(address trader,"
				    "uint32 market,bool isBuy,"
				    "uint64 triggerPrice,bool triggerAbove,"
				    "uint64 price,uint64 size,uint64 nonce,"
				    "uint64 expiry,uint8 flags,uint64 group,"
				    "bool positionBound)",
	[CL_EIP712_SCALE_ORDER] = "ScaleOrder(address trader,uint32 market,"
				  "bool isBuy,uint64[] prices,uint64[] sizes,"
				  "uint64 nonce,uint64 expiry,uint8 flags)",
	[CL_EIP712_TWAP_ORDER] = "TwapOrder(address trader,uint32 market,"
				 "bool isBuy,uint64 size,uint64 interval,"
				 "uint32 slices,uint32 slippagePpm,"
				 "uint64 nonce,bool reduceOnly)",
	[CL_EIP712_MARGIN_MODE] = "MarginMode(address trader,uint32 market,"
				  "bool isolated,uint64 nonce)",
	[CL_EIP712_ISOLATED_MARGIN] = "IsolatedMargin(address trader,"
				      "uint32 market,bool add,"
				      "uint64 amount,uint64 nonce)",
	[CL_EIP712_SUBACCOUNT_TRANSFER] = "SubaccountTransfer(address trader,"
					  "uint32 from,uint32 to,"
					  "uint64 amount,uint64 nonce)",
	[CL_EIP712_ASSET_WITHDRAW] = "AssetWithdraw(address trader,"
				     "address recipient,uint32 asset,"
				     "uint64 amount,uint64 nonce)",
	[CL_EIP712_SUBACCOUNT_ASSET_TRANSFER] =
		"SubaccountAssetTransfer(address trader,uint32 from,"
		"uint32 to,uint32 asset,uint64 amount,uint64 nonce)",
	[CL_EIP712_PORTFOLIO_MODE] = "PortfolioMode(address trader,"
				     "bool enabled,uint64 nonce)",
	[CL_EIP712_OPTION_LIST] = "OptionList(uint32 template,uint8 kind,"
				  "uint64 strike,uint64 expiry,"
				  "string symbol,uint64 nonce)",
};

/* keccak256 of the strings above; tests/unit/crypto checks them. */
static const struct cl_hash32 domain_type_hash = { {
	0x8b, 0x73, 0xc3, 0xc6, 0x9b, 0xb8, 0xfe, 0x3d,
	0x51, 0x2e, 0xcc, 0x4c, 0xf7, 0x59, 0xcc, 0x79,
	0x23, 0x9f, 0x7b, 0x17, 0x9b, 0x0f, 0xfa, 0xca,
	0xa9, 0xa7, 0x5d, 0x52, 0x2b, 0x39, 0x40, 0x0f,
} };

static const struct cl_hash32 type_hash[] = {
	[CL_EIP712_ORDER] = { {
		0x74, 0xc4, 0x58, 0xba, 0xb4, 0xb9, 0xaf, 0xaa,
		0xf7, 0x0a, 0x08, 0x1e, 0x82, 0xe7, 0x70, 0xe8,
		0x00, 0xcd, 0x17, 0xcf, 0x9a, 0x2d, 0x6a, 0xc8,
		0x07, 0xc2, 0x5d, 0xed, 0x75, 0x0b, 0xe7, 0xcd,
	} },
	[CL_EIP712_CANCEL] = { {
		0xb1, 0x46, 0x65, 0x44, 0x0f, 0x59, 0x56, 0xaa,
		0x2a, 0x42, 0x30, 0xc9, 0x6f, 0x96, 0x40, 0xc9,
		0xc4, 0x51, 0x3b, 0x30, 0xb7, 0x8c, 0x3f, 0x3a,
		0x7e, 0xe6, 0xc6, 0x6c, 0xb5, 0xcc, 0x07, 0x52,
	} },
	[CL_EIP712_WITHDRAW] = { {
		0x4a, 0x0c, 0xad, 0x87, 0xb0, 0xab, 0xb8, 0xea,
		0xf0, 0xb9, 0x94, 0x9e, 0x13, 0x6b, 0x4a, 0x8b,
		0xad, 0x89, 0x0c, 0xd0, 0x58, 0x87, 0xf4, 0x48,
		0xe3, 0x08, 0x77, 0xca, 0xd5, 0x00, 0xa6, 0x81,
	} },
	[CL_EIP712_APPROVE_AGENT] = { {
		0x05, 0x00, 0x5f, 0xa7, 0xcd, 0xbe, 0x10, 0x24,
		0xaf, 0x2a, 0xfa, 0x6e, 0xbe, 0xb6, 0x50, 0x9c,
		0x51, 0x59, 0xee, 0xd2, 0xf4, 0x7b, 0xea, 0x64,
		0xe4, 0x0a, 0x5b, 0x16, 0xb1, 0x2a, 0x71, 0x97,
	} },
	[CL_EIP712_ORACLE_PRICE] = { {
		0x7c, 0xb3, 0xc6, 0xe7, 0xb8, 0xab, 0x4a, 0xbf,
		0xa1, 0xc3, 0xe3, 0x6b, 0x13, 0x73, 0x1c, 0xc7,
		0x3e, 0x42, 0xa3, 0x2c, 0x18, 0xfc, 0x49, 0xe3,
		0x36, 0x48, 0xd3, 0x76, 0x11, 0xf6, 0xb1, 0x77,
	} },
	[CL_EIP712_SCHEDULE_CANCEL] = { {
		0x71, 0x65, 0xea, 0x8a, 0x9d, 0xc8, 0x50, 0xed,
		0xe5, 0xeb, 0xe6, 0x5d, 0x95, 0x0e, 0xb3, 0x39,
		0x19, 0xe1, 0xa2, 0xed, 0x98, 0xab, 0xa5, 0x98,
		0x43, 0xc9, 0x9f, 0x02, 0x18, 0xc4, 0xb3, 0xd5,
	} },
	[CL_EIP712_CLIENT_ORDER] = { {
		0x9b, 0xfb, 0xec, 0xf7, 0xf4, 0x55, 0xa2, 0xcf,
		0x37, 0xed, 0xf0, 0xf7, 0x53, 0x06, 0x86, 0xd2,
		0x78, 0x33, 0x73, 0x3a, 0xbb, 0x79, 0xfc, 0x94,
		0xb8, 0x28, 0xa5, 0xc7, 0x48, 0xbf, 0x89, 0x21,
	} },
	[CL_EIP712_TRIGGER_ORDER] = { {
		0x00, 0xe1, 0x47, 0x6f, 0x5a, 0x2c, 0x66, 0x23,
		0xd9, 0x2b, 0xb3, 0x38, 0x65, 0x8c, 0x24, 0xbb,
		0xe2, 0x00, 0x96, 0xc0, 0x2f, 0x6c, 0xaa, 0xb0,
		0x56, 0x8a, 0x00, 0xeb, 0x8b, 0x8b, 0xf2, 0xc4,
	} },
	[CL_EIP712_SCALE_ORDER] = { {
		0x24, 0x7a, 0xc3, 0x6d, 0x4c, 0x02, 0x49, 0xc9,
		0x34, 0x71, 0xee, 0xe9, 0xbe, 0x4a, 0x87, 0xe1,
		0xfa, 0x7c, 0x03, 0xb3, 0x99, 0x7d, 0x68, 0x39,
		0x3a, 0x23, 0x1c, 0x14, 0x35, 0x2a, 0xb3, 0x50,
	} },
	[CL_EIP712_TWAP_ORDER] = { {
		0xd7, 0xa0, 0x2d, 0x99, 0x2c, 0x4e, 0xbc, 0x97,
		0xaa, 0x0d, 0x44, 0xda, 0xff, 0x86, 0xae, 0xc9,
		0x2b, 0x6f, 0xe0, 0x11, 0x42, 0x1e, 0xbb, 0x73,
		0x08, 0xcc, 0xa6, 0xf6, 0x08, 0x80, 0x35, 0x81,
	} },
	[CL_EIP712_MARGIN_MODE] = { {
		0x91, 0xbd, 0x89, 0x60, 0x78, 0x1a, 0x5a, 0x86,
		0x8a, 0xaf, 0xc3, 0x22, 0x57, 0x8c, 0xf2, 0xf1,
		0x85, 0xa7, 0x22, 0x7d, 0x50, 0xe5, 0x30, 0x31,
		0xd6, 0xfa, 0x49, 0x6c, 0x97, 0x0f, 0x61, 0x11,
	} },
	[CL_EIP712_ISOLATED_MARGIN] = { {
		0x35, 0xf6, 0xb4, 0x75, 0x75, 0xc0, 0x45, 0xfe,
		0x03, 0xeb, 0x36, 0xf5, 0x4f, 0x60, 0xd6, 0x10,
		0x13, 0xc2, 0x6f, 0x18, 0x35, 0xf2, 0x47, 0xd9,
		0xc7, 0x58, 0x3c, 0xa6, 0x9e, 0xa8, 0x0b, 0x76,
	} },
	[CL_EIP712_SUBACCOUNT_TRANSFER] = { {
		0xd1, 0x7c, 0xd5, 0x0c, 0xc9, 0x1c, 0xe5, 0x87,
		0x2e, 0xec, 0x74, 0x40, 0x1a, 0x8f, 0xf4, 0xee,
		0x54, 0x7b, 0x85, 0x68, 0xee, 0x93, 0x7b, 0xba,
		0xd5, 0x02, 0x41, 0x0e, 0xf1, 0x30, 0x07, 0xe2,
	} },
	[CL_EIP712_ASSET_WITHDRAW] = { {
		0xfb, 0x69, 0xeb, 0x91, 0x97, 0xb5, 0xae, 0x8c,
		0xdf, 0xcc, 0xd2, 0xa8, 0x02, 0x46, 0xcc, 0xbc,
		0x69, 0x6e, 0xba, 0x8e, 0x44, 0xbc, 0x8c, 0xaa,
		0xc4, 0xda, 0x09, 0xfa, 0xab, 0xcc, 0x94, 0x80,
	} },
	[CL_EIP712_SUBACCOUNT_ASSET_TRANSFER] = { {
		0x29, 0x69, 0x64, 0xf9, 0x29, 0x2e, 0xac, 0xd4,
		0xda, 0x5e, 0x21, 0x5f, 0x79, 0x51, 0xe6, 0xd7,
		0x73, 0x0f, 0x54, 0x54, 0xd9, 0xca, 0x4a, 0x18,
		0xa8, 0x21, 0x63, 0xb3, 0x50, 0xae, 0x3b, 0x13,
	} },
	[CL_EIP712_PORTFOLIO_MODE] = { {
		0xc5, 0xbe, 0x52, 0x4e, 0xaa, 0x2a, 0xb2, 0x1c,
		0xaa, 0xa2, 0xd4, 0x1c, 0xb9, 0x27, 0x83, 0x00,
		0x9a, 0xb5, 0x3b, 0xcd, 0xa6, 0xc6, 0x4f, 0x91,
		0xc1, 0x0e, 0x65, 0xdc, 0x8c, 0xeb, 0x5a, 0x7a,
	} },
	[CL_EIP712_OPTION_LIST] = { {
		0x69, 0x1d, 0xb6, 0xd3, 0x63, 0x86, 0xa9, 0x19,
		0xc5, 0x0d, 0x19, 0x6e, 0xd5, 0x3a, 0xb6, 0xbb,
		0x0d, 0xf0, 0xc6, 0xef, 0xdb, 0x54, 0x01, 0xea,
		0xc9, 0x3c, 0x76, 0x28, 0x7b, 0x64, 0xf0, 0xf7,
	} },
};
/* clang-format on */

const char *cl_eip712_type_string(enum cl_eip712_type type)
{
	CL_REQUIRE((size_t)type < CL_ARRAY_LEN(type_str));
	return type_str[type];
}

const struct cl_hash32 *cl_eip712_type_hash(enum cl_eip712_type type)
{
	CL_REQUIRE((size_t)type < CL_ARRAY_LEN(type_hash));
	return &type_hash[type];
}

const char *cl_eip712_domain_type_string(void)
{
	return domain_type_str;
}

const struct cl_hash32 *cl_eip712_domain_type_hash(void)
{
	return &domain_type_hash;
}

/* One 32-byte ABI word per field. */
static void word_u64(struct cl_keccak *k, uint64_t v)
{
	uint8_t w[32] = {0};

	cl_put_be64(w + 24, v);
	cl_keccak_update(k, w, sizeof(w));
}

static void word_address(struct cl_keccak *k, const struct cl_address *a)
{
	uint8_t w[32] = {0};

	memcpy(w + 12, a->b, sizeof(a->b));
	cl_keccak_update(k, w, sizeof(w));
}

static void word_bytes32(struct cl_keccak *k, const struct cl_hash32 *h)
{
	cl_keccak_update(k, h->b, sizeof(h->b));
}

static void struct_begin(struct cl_keccak *k, enum cl_eip712_type type)
{
	cl_keccak_init(k);
	word_bytes32(k, cl_eip712_type_hash(type));
}

void cl_eip712_domain_init(struct cl_eip712_domain *d, uint64_t chain_id,
			   const struct cl_address *verifying_contract)
{
	static const char name[] = "Clearline";
	static const char version[] = "1";
	struct cl_hash32 h;
	struct cl_keccak k;

	memset(d, 0, sizeof(*d));
	d->chain_id = chain_id;
	d->verifying_contract = *verifying_contract;

	cl_keccak_init(&k);
	word_bytes32(&k, &domain_type_hash);
	cl_keccak256(h.b, name, sizeof(name) - 1);
	word_bytes32(&k, &h);
	cl_keccak256(h.b, version, sizeof(version) - 1);
	word_bytes32(&k, &h);
	word_u64(&k, chain_id);
	word_address(&k, verifying_contract);
	cl_keccak_final(&k, d->separator.b);
}

void cl_eip712_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct cl_hash32 *struct_hash)
{
	static const uint8_t prefix[2] = {0x19, 0x01};
	struct cl_keccak k;

	cl_keccak_init(&k);
	cl_keccak_update(&k, prefix, sizeof(prefix));
	word_bytes32(&k, &d->separator);
	word_bytes32(&k, struct_hash);
	cl_keccak_final(&k, out->b);
}

static enum cl_sig_err recover(struct cl_address *signer,
			       struct cl_hash32 *digest_out,
			       const struct cl_eip712_domain *d,
			       const struct cl_hash32 *struct_hash,
			       const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 digest;

	cl_eip712_digest(&digest, d, struct_hash);
	if (digest_out)
		*digest_out = digest;
	return cl_sig_recover(signer, &digest, sig, sig_len);
}

/* Order */

void cl_order_struct_hash(struct cl_hash32 *out, const struct cl_order *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_ORDER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->is_buy ? 1 : 0);
	word_u64(&k, msg->price);
	word_u64(&k, msg->size);
	word_u64(&k, msg->nonce);
	word_u64(&k, msg->expiry);
	word_u64(&k, msg->flags);
	cl_keccak_final(&k, out->b);
}

void cl_order_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		     const struct cl_order *msg)
{
	struct cl_hash32 sh;

	cl_order_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_order_recover(struct cl_address *signer,
				 struct cl_hash32 *digest,
				 const struct cl_eip712_domain *d,
				 const struct cl_order *msg, const uint8_t *sig,
				 size_t sig_len)
{
	struct cl_hash32 sh;

	cl_order_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* Cancel */

void cl_cancel_struct_hash(struct cl_hash32 *out, const struct cl_cancel *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_CANCEL);
	word_address(&k, &msg->trader);
	word_bytes32(&k, &msg->order_hash);
	cl_keccak_final(&k, out->b);
}

void cl_cancel_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct cl_cancel *msg)
{
	struct cl_hash32 sh;

	cl_cancel_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_cancel_recover(struct cl_address *signer,
				  struct cl_hash32 *digest,
				  const struct cl_eip712_domain *d,
				  const struct cl_cancel *msg,
				  const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_cancel_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* Withdraw */

void cl_withdraw_struct_hash(struct cl_hash32 *out,
			     const struct cl_withdraw *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_WITHDRAW);
	word_address(&k, &msg->trader);
	word_address(&k, &msg->recipient);
	word_u64(&k, msg->amount);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_withdraw_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
			const struct cl_withdraw *msg)
{
	struct cl_hash32 sh;

	cl_withdraw_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_withdraw_recover(struct cl_address *signer,
				    struct cl_hash32 *digest,
				    const struct cl_eip712_domain *d,
				    const struct cl_withdraw *msg,
				    const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_withdraw_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* ApproveAgent */

void cl_approve_agent_struct_hash(struct cl_hash32 *out,
				  const struct cl_approve_agent *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_APPROVE_AGENT);
	word_address(&k, &msg->trader);
	word_address(&k, &msg->agent);
	word_u64(&k, msg->expiry);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_approve_agent_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_approve_agent *msg)
{
	struct cl_hash32 sh;

	cl_approve_agent_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_approve_agent_recover(struct cl_address *signer,
					 struct cl_hash32 *digest,
					 const struct cl_eip712_domain *d,
					 const struct cl_approve_agent *msg,
					 const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_approve_agent_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* OraclePrice */

void cl_oracle_price_struct_hash(struct cl_hash32 *out,
				 const struct cl_oracle_price *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_ORACLE_PRICE);
	word_u64(&k, msg->market);
	word_u64(&k, msg->price);
	word_u64(&k, msg->timestamp);
	cl_keccak_final(&k, out->b);
}

void cl_oracle_price_digest(struct cl_hash32 *out,
			    const struct cl_eip712_domain *d,
			    const struct cl_oracle_price *msg)
{
	struct cl_hash32 sh;

	cl_oracle_price_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_oracle_price_recover(struct cl_address *signer,
					struct cl_hash32 *digest,
					const struct cl_eip712_domain *d,
					const struct cl_oracle_price *msg,
					const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_oracle_price_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* ScheduleCancel */

void cl_schedule_cancel_struct_hash(struct cl_hash32 *out,
				    const struct cl_schedule_cancel *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_SCHEDULE_CANCEL);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->time);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_schedule_cancel_digest(struct cl_hash32 *out,
			       const struct cl_eip712_domain *d,
			       const struct cl_schedule_cancel *msg)
{
	struct cl_hash32 sh;

	cl_schedule_cancel_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_schedule_cancel_recover(struct cl_address *signer,
					   struct cl_hash32 *digest,
					   const struct cl_eip712_domain *d,
					   const struct cl_schedule_cancel *msg,
					   const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_schedule_cancel_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* ClientOrder: the Order's words, then the id as a uint128 word */

void cl_client_order_struct_hash(struct cl_hash32 *out,
				 const struct cl_client_order *msg)
{
	const struct cl_order *o = &msg->order;
	uint8_t w[32] = {0};
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_CLIENT_ORDER);
	word_address(&k, &o->trader);
	word_u64(&k, o->market);
	word_u64(&k, o->is_buy ? 1 : 0);
	word_u64(&k, o->price);
	word_u64(&k, o->size);
	word_u64(&k, o->nonce);
	word_u64(&k, o->expiry);
	word_u64(&k, o->flags);
	memcpy(w + 32 - CL_CLOID_LEN, msg->cloid.b, CL_CLOID_LEN);
	cl_keccak_update(&k, w, sizeof(w));
	cl_keccak_final(&k, out->b);
}

void cl_client_order_digest(struct cl_hash32 *out,
			    const struct cl_eip712_domain *d,
			    const struct cl_client_order *msg)
{
	struct cl_hash32 sh;

	cl_client_order_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_client_order_recover(struct cl_address *signer,
					struct cl_hash32 *digest,
					const struct cl_eip712_domain *d,
					const struct cl_client_order *msg,
					const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_client_order_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* TriggerOrder */

void cl_trigger_order_struct_hash(struct cl_hash32 *out,
				  const struct cl_trigger_order *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_TRIGGER_ORDER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->is_buy ? 1 : 0);
	word_u64(&k, msg->trigger_price);
	word_u64(&k, msg->trigger_above ? 1 : 0);
	word_u64(&k, msg->price);
	word_u64(&k, msg->size);
	word_u64(&k, msg->nonce);
	word_u64(&k, msg->expiry);
	word_u64(&k, msg->flags);
	word_u64(&k, msg->group);
	word_u64(&k, msg->position_bound ? 1 : 0);
	cl_keccak_final(&k, out->b);
}

void cl_trigger_order_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_trigger_order *msg)
{
	struct cl_hash32 sh;

	cl_trigger_order_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_trigger_order_recover(struct cl_address *signer,
					 struct cl_hash32 *digest,
					 const struct cl_eip712_domain *d,
					 const struct cl_trigger_order *msg,
					 const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_trigger_order_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* ScaleOrder: each array is the keccak256 of its elements' words */

static void word_u64_array(struct cl_keccak *k, const uint64_t *v, uint32_t n)
{
	struct cl_keccak a;
	struct cl_hash32 h;

	cl_keccak_init(&a);
	for (uint32_t i = 0; i < n; i++)
		word_u64(&a, v[i]);
	cl_keccak_final(&a, h.b);
	word_bytes32(k, &h);
}

void cl_scale_order_struct_hash(struct cl_hash32 *out,
				const struct cl_scale_order *msg)
{
	struct cl_keccak k;

	CL_REQUIRE(msg->n >= 1 && msg->n <= CL_SCALE_MAX);
	struct_begin(&k, CL_EIP712_SCALE_ORDER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->is_buy ? 1 : 0);
	word_u64_array(&k, msg->price, msg->n);
	word_u64_array(&k, msg->size, msg->n);
	word_u64(&k, msg->nonce);
	word_u64(&k, msg->expiry);
	word_u64(&k, msg->flags);
	cl_keccak_final(&k, out->b);
}

void cl_scale_order_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_scale_order *msg)
{
	struct cl_hash32 sh;

	cl_scale_order_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_scale_order_recover(struct cl_address *signer,
				       struct cl_hash32 *digest,
				       const struct cl_eip712_domain *d,
				       const struct cl_scale_order *msg,
				       const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_scale_order_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* TwapOrder */

void cl_twap_order_struct_hash(struct cl_hash32 *out,
			       const struct cl_twap_order *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_TWAP_ORDER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->is_buy ? 1 : 0);
	word_u64(&k, msg->size);
	word_u64(&k, msg->interval);
	word_u64(&k, msg->slices);
	word_u64(&k, msg->slippage_ppm);
	word_u64(&k, msg->nonce);
	word_u64(&k, msg->reduce_only ? 1 : 0);
	cl_keccak_final(&k, out->b);
}

void cl_twap_order_digest(struct cl_hash32 *out,
			  const struct cl_eip712_domain *d,
			  const struct cl_twap_order *msg)
{
	struct cl_hash32 sh;

	cl_twap_order_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_twap_order_recover(struct cl_address *signer,
				      struct cl_hash32 *digest,
				      const struct cl_eip712_domain *d,
				      const struct cl_twap_order *msg,
				      const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_twap_order_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* MarginMode */

void cl_margin_mode_struct_hash(struct cl_hash32 *out,
				const struct cl_margin_mode *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_MARGIN_MODE);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->isolated ? 1 : 0);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_margin_mode_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_margin_mode *msg)
{
	struct cl_hash32 sh;

	cl_margin_mode_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_margin_mode_recover(struct cl_address *signer,
				       struct cl_hash32 *digest,
				       const struct cl_eip712_domain *d,
				       const struct cl_margin_mode *msg,
				       const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_margin_mode_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* IsolatedMargin */

void cl_isolated_margin_struct_hash(struct cl_hash32 *out,
				    const struct cl_isolated_margin *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_ISOLATED_MARGIN);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->market);
	word_u64(&k, msg->add ? 1 : 0);
	word_u64(&k, msg->amount);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_isolated_margin_digest(struct cl_hash32 *out,
			       const struct cl_eip712_domain *d,
			       const struct cl_isolated_margin *msg)
{
	struct cl_hash32 sh;

	cl_isolated_margin_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_isolated_margin_recover(struct cl_address *signer,
					   struct cl_hash32 *digest,
					   const struct cl_eip712_domain *d,
					   const struct cl_isolated_margin *msg,
					   const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_isolated_margin_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* SubaccountTransfer */

void cl_subaccount_transfer_struct_hash(
	struct cl_hash32 *out, const struct cl_subaccount_transfer *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_SUBACCOUNT_TRANSFER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->from);
	word_u64(&k, msg->to);
	word_u64(&k, msg->amount);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_subaccount_transfer_digest(struct cl_hash32 *out,
				   const struct cl_eip712_domain *d,
				   const struct cl_subaccount_transfer *msg)
{
	struct cl_hash32 sh;

	cl_subaccount_transfer_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_subaccount_transfer_recover(
	struct cl_address *signer, struct cl_hash32 *digest,
	const struct cl_eip712_domain *d,
	const struct cl_subaccount_transfer *msg, const uint8_t *sig,
	size_t sig_len)
{
	struct cl_hash32 sh;

	cl_subaccount_transfer_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* AssetWithdraw */

void cl_asset_withdraw_struct_hash(struct cl_hash32 *out,
				   const struct cl_asset_withdraw *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_ASSET_WITHDRAW);
	word_address(&k, &msg->trader);
	word_address(&k, &msg->recipient);
	word_u64(&k, msg->asset);
	word_u64(&k, msg->amount);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_asset_withdraw_digest(struct cl_hash32 *out,
			      const struct cl_eip712_domain *d,
			      const struct cl_asset_withdraw *msg)
{
	struct cl_hash32 sh;

	cl_asset_withdraw_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_asset_withdraw_recover(struct cl_address *signer,
					  struct cl_hash32 *digest,
					  const struct cl_eip712_domain *d,
					  const struct cl_asset_withdraw *msg,
					  const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_asset_withdraw_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* SubaccountAssetTransfer */

void cl_subaccount_asset_transfer_struct_hash(
	struct cl_hash32 *out, const struct cl_subaccount_asset_transfer *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_SUBACCOUNT_ASSET_TRANSFER);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->from);
	word_u64(&k, msg->to);
	word_u64(&k, msg->asset);
	word_u64(&k, msg->amount);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_subaccount_asset_transfer_digest(
	struct cl_hash32 *out, const struct cl_eip712_domain *d,
	const struct cl_subaccount_asset_transfer *msg)
{
	struct cl_hash32 sh;

	cl_subaccount_asset_transfer_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_subaccount_asset_transfer_recover(
	struct cl_address *signer, struct cl_hash32 *digest,
	const struct cl_eip712_domain *d,
	const struct cl_subaccount_asset_transfer *msg, const uint8_t *sig,
	size_t sig_len)
{
	struct cl_hash32 sh;

	cl_subaccount_asset_transfer_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* PortfolioMode */

void cl_portfolio_mode_struct_hash(struct cl_hash32 *out,
				   const struct cl_portfolio_mode *msg)
{
	struct cl_keccak k;

	struct_begin(&k, CL_EIP712_PORTFOLIO_MODE);
	word_address(&k, &msg->trader);
	word_u64(&k, msg->enabled ? 1 : 0);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_portfolio_mode_digest(struct cl_hash32 *out,
			      const struct cl_eip712_domain *d,
			      const struct cl_portfolio_mode *msg)
{
	struct cl_hash32 sh;

	cl_portfolio_mode_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_portfolio_mode_recover(struct cl_address *signer,
					  struct cl_hash32 *digest,
					  const struct cl_eip712_domain *d,
					  const struct cl_portfolio_mode *msg,
					  const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_portfolio_mode_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}

/* OptionList */

void cl_option_list_struct_hash(struct cl_hash32 *out,
				const struct cl_option_list *msg)
{
	struct cl_keccak k;
	struct cl_hash32 sym;

	cl_keccak256(sym.b, msg->symbol,
		     strnlen(msg->symbol, CL_OPTION_LIST_SYMBOL_MAX));
	struct_begin(&k, CL_EIP712_OPTION_LIST);
	word_u64(&k, msg->template_market);
	word_u64(&k, msg->kind);
	word_u64(&k, msg->strike);
	word_u64(&k, msg->expiry);
	word_bytes32(&k, &sym);
	word_u64(&k, msg->nonce);
	cl_keccak_final(&k, out->b);
}

void cl_option_list_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_option_list *msg)
{
	struct cl_hash32 sh;

	cl_option_list_struct_hash(&sh, msg);
	cl_eip712_digest(out, d, &sh);
}

enum cl_sig_err cl_option_list_recover(struct cl_address *signer,
				       struct cl_hash32 *digest,
				       const struct cl_eip712_domain *d,
				       const struct cl_option_list *msg,
				       const uint8_t *sig, size_t sig_len)
{
	struct cl_hash32 sh;

	cl_option_list_struct_hash(&sh, msg);
	return recover(signer, digest, d, &sh, sig, sig_len);
}
