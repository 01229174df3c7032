/* SPDX-License-Identifier: MIT */
/*
 * crypto — signatures, addresses, EIP-712 hashing, L1 transactions and the
 * sequencer's keystore.
 *
 * Purpose: everything Clearline needs to speak Ethereum's cryptography.
 * secp256k1 recoverable signatures (r || s || v, low-S only), Ethereum
 * addresses (EIP-55 text form), the EIP-712 digests of every Clearline
 * message type, EIP-1559 (type 2) transaction encoding and signing, and
 * an encrypted keystore for the sequencer key. This is the only module
 * that uses libsecp256k1 and libsodium; their failures are mapped to
 * Clearline codes here.
 *
 * Invariants:
 *  - Signatures this module produces are always low-S with v in {27, 28};
 *    signatures it accepts are 65 bytes, v in {0, 1, 27, 28}, 0 < r < n,
 *    0 < s <= n/2 (EIP-2). Anything else is refused with a positive
 *    enum cl_sig_err code before the curve is touched.
 *  - A struct cl_seckey always holds a valid secret key (0 < k < n). It
 *    lives in guarded, locked memory (libsodium), is read-only after
 *    creation, is wiped when freed, is compared in constant time and is
 *    never logged. Its raw bytes are not exposed outside this module.
 *
 * Ownership: objects named x_new() are owned by the caller and released
 * with x_free(); x_free(NULL) is a no-op. Everything passed by const
 * pointer is borrowed for the duration of the call only.
 *
 * Threads: call cl_crypto_init() once, before other threads start. After
 * that the shared signing context is read-only and every function here may
 * be called from any thread at the same time, as long as the threads do
 * not write to the same output objects.
 *
 * Return conventions: value operations return a CL_WUR bool; functions
 * that can hit a system failure return an int that is CL_OK (0), a
 * negative enum cl_err, or a positive per-area domain code documented at
 * the function.
 */
#ifndef CLEARLINE_CRYPTO_H
#define CLEARLINE_CRYPTO_H

#include <clearline/common.h>

/* ------------------------------------------------------------------ */
/* Initialisation                                                      */
/* ------------------------------------------------------------------ */

/*
 * Initialise libsodium and create the process-wide libsecp256k1 context,
 * randomised with a seed from cl_randbytes() (side-channel blinding).
 * Idempotent: later calls return the first call's result without doing
 * anything. Call it before starting threads; every other function in this
 * header aborts (CL_BUG) when called before a successful init.
 *
 * Returns CL_OK, or CL_ERR_CRYPTO when a library refuses to initialise
 * (logged once).
 */
CL_WUR int cl_crypto_init(void);

/*
 * A 16-byte BLAKE2b digest of p[0..len): a checksum that finds torn or
 * damaged records in the project's own files (the state log), not a
 * commitment anyone else checks. The one function here that needs no
 * cl_crypto_init().
 */
void cl_checksum16(uint8_t out[16], const void *p, size_t len);

/* ------------------------------------------------------------------ */
/* Signatures                                                          */
/* ------------------------------------------------------------------ */

#define CL_SIG_LEN 65

/* r (32 bytes, big-endian) || s (32 bytes, big-endian) || v (1 byte). */
struct cl_sig {
	uint8_t b[CL_SIG_LEN];
};

/* Why a signature was refused (domain outcomes, all positive but OK). */
enum cl_sig_err {
	CL_SIG_OK = 0,
	CL_SIG_BAD_LENGTH, /* not exactly 65 bytes */
	CL_SIG_BAD_V,	   /* v not in {0, 1, 27, 28} */
	CL_SIG_BAD_R,	   /* r is zero or >= the curve order n */
	CL_SIG_BAD_S,	   /* s is zero or >= the curve order n */
	CL_SIG_HIGH_S,	   /* s > n/2: malleable form, refused by EIP-2 */
	CL_SIG_INVALID,	   /* well-formed, but no public key recovers */
};

/*
 * A short, lowercase, static description of `err` (e.g. "high s value in
 * signature"), suitable for an RPC error message. Unknown values give
 * "unknown".
 */
const char *cl_sig_err_str(enum cl_sig_err err);

/*
 * Check the form of a signature without touching the curve: length, v,
 * the ranges of r and s, and low-S. Cheap; cl_sig_recover() does the same
 * checks itself.
 *
 * Returns CL_SIG_OK or the first failed rule in the enum's order.
 */
CL_WUR enum cl_sig_err cl_sig_check(const uint8_t *sig, size_t sig_len);

/*
 * Recover the address that signed `digest`.
 *
 * signer:  out: the 20-byte address; all zero on any failure.
 * digest:  the 32-byte message hash that was signed (e.g. an EIP-712
 *          digest); it is not hashed again.
 * sig, sig_len: the signature bytes (see struct cl_sig), borrowed.
 *
 * Returns CL_SIG_OK, or the cl_sig_check() code, or CL_SIG_INVALID when
 * no key recovers.
 */
CL_WUR enum cl_sig_err cl_sig_recover(struct cl_address *signer,
				      const struct cl_hash32 *digest,
				      const uint8_t *sig, size_t sig_len);

/* ------------------------------------------------------------------ */
/* Keys and addresses                                                  */
/* ------------------------------------------------------------------ */

/* An uncompressed public key without the 0x04 prefix: x || y, each
 * 32 bytes big-endian. */
struct cl_pubkey {
	uint8_t b[64];
};

/* A secret key; opaque, see the invariants above. */
struct cl_seckey;

/*
 * Create a fresh secret key from cl_randbytes(). Never fails (out of
 * memory aborts). Free with cl_seckey_free().
 */
struct cl_seckey *cl_seckey_new(void);

/*
 * Create a secret key from 32 big-endian bytes.
 *
 * out:  out: the new key, owned by the caller; NULL on failure.
 * b:    the 32 key bytes, borrowed; the caller should wipe its own copy.
 *
 * Returns false (and *out = NULL) when the bytes are zero or >= n.
 */
CL_WUR bool cl_seckey_new_from_bytes(struct cl_seckey **out,
				     const uint8_t b[32]);

/*
 * Create a secret key from hex text: 64 hex digits, "0x" optional (the
 * form wallets and anvil print). The decoded bytes never leave guarded
 * memory except for a stack copy that is wiped.
 *
 * Returns false (and *out = NULL) on bad hex, a wrong length or an
 * invalid key.
 */
CL_WUR bool cl_seckey_new_from_hex(struct cl_seckey **out, const char *hex,
				   size_t hex_len);

/* Wipe and release a key; NULL is a no-op. */
void cl_seckey_free(struct cl_seckey *key);

/* True when both keys hold the same secret; constant time. */
CL_WUR bool cl_seckey_equal(const struct cl_seckey *a,
			    const struct cl_seckey *b);

/* The public key of `key` (computed once when the key was created). */
void cl_seckey_pubkey(struct cl_pubkey *out, const struct cl_seckey *key);

/* The Ethereum address of `key` (computed once when it was created). */
void cl_seckey_address(struct cl_address *out, const struct cl_seckey *key);

/* address = the last 20 bytes of keccak256(x || y). */
void cl_pubkey_address(struct cl_address *out, const struct cl_pubkey *pub);

/*
 * Sign a 32-byte digest: deterministic nonce (RFC 6979, as ethers and
 * cast use), low-S, v in {27, 28}. The digest is not hashed again.
 *
 * out:    out: the signature; zeroed on failure.
 * key:    the signing key, borrowed.
 * digest: the hash to sign.
 *
 * Returns CL_OK, or CL_ERR_CRYPTO in the astronomically unlikely case
 * that the library finds no nonce or the recovery id would be 2 or 3
 * (which v cannot express).
 */
CL_WUR int cl_sign_digest(struct cl_sig *out, const struct cl_seckey *key,
			  const struct cl_hash32 *digest);

/* Length of an address in text: "0x" and 40 hex digits. */
#define CL_ADDRESS_STR_LEN 42

/*
 * Format an address as "0x" + 40 hex digits with the EIP-55 checksum
 * (letter case taken from keccak256 of the lowercase hex).
 * `out` receives CL_ADDRESS_STR_LEN characters and a NUL.
 */
void cl_address_format(char out[CL_ADDRESS_STR_LEN + 1],
		       const struct cl_address *addr);

/*
 * The same text, from a cache of the addresses formatted last: a thread
 * that formats the same traders again and again (answers with fills,
 * the trade streams) pays the checksum's keccak once per trader. The
 * cache is the caller's, one per thread, zeroed before first use; a
 * slot is chosen by the address's bytes, and two that share one only
 * take turns (a miss formats as cl_address_format does).
 */
#define CL_ADDRESS_CACHE_SLOTS 256
struct cl_address_cache {
	struct {
		struct cl_address a;
		bool used;
		char s[CL_ADDRESS_STR_LEN + 1];
	} e[CL_ADDRESS_CACHE_SLOTS];
};
void cl_address_format_cached(struct cl_address_cache *c,
			      char out[CL_ADDRESS_STR_LEN + 1],
			      const struct cl_address *addr);

/*
 * Parse an address from text of `len` characters (no NUL needed).
 * The rule: exactly "0x" (lowercase x) followed by 40 hex digits. If the
 * letters are all lowercase or all uppercase the address is accepted as
 * is; if the case is mixed it must be exactly the EIP-55 checksum form,
 * otherwise it is refused (a mistyped checksummed address is caught).
 *
 * Returns false (and zeroes *out) when the text breaks the rule.
 */
CL_WUR bool cl_address_parse(struct cl_address *out, const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* EIP-712 typed data for the Clearline messages (docs/crypto.md "EIP-712", fixed)     */
/* ------------------------------------------------------------------ */

/*
 * The signing domain: EIP712Domain(string name,string version,
 * uint256 chainId,address verifyingContract) with name "Clearline",
 * version "1", chainId the L1 chain id and verifyingContract the L1 rollup
 * contract. An embedded struct; fill it with cl_eip712_domain_init(),
 * which computes and caches the separator. Do not change the fields
 * afterwards without calling init again. There is nothing to release.
 */
struct cl_eip712_domain {
	uint64_t chain_id;
	struct cl_address verifying_contract;
	struct cl_hash32 separator; /* cached domain separator */
};

/* Fill `d` and compute its separator. */
void cl_eip712_domain_init(struct cl_eip712_domain *d, uint64_t chain_id,
			   const struct cl_address *verifying_contract);

/* The message types, for the generic accessors below. */
enum cl_eip712_type {
	CL_EIP712_ORDER,
	CL_EIP712_CANCEL,
	CL_EIP712_WITHDRAW,
	CL_EIP712_APPROVE_AGENT,
	CL_EIP712_ORACLE_PRICE,
	CL_EIP712_SCHEDULE_CANCEL, /* new kinds: docs/protocol.md "Order kinds" */
	CL_EIP712_CLIENT_ORDER,
	CL_EIP712_TRIGGER_ORDER,
	CL_EIP712_SCALE_ORDER,
	CL_EIP712_TWAP_ORDER,
	CL_EIP712_MARGIN_MODE, /* isolated margin: docs/protocol.md */
	CL_EIP712_ISOLATED_MARGIN,
	CL_EIP712_SUBACCOUNT_TRANSFER, /* subaccounts: docs/protocol.md */
	CL_EIP712_ASSET_WITHDRAW, /* collateral assets: docs/protocol.md */
	CL_EIP712_SUBACCOUNT_ASSET_TRANSFER,
	CL_EIP712_PORTFOLIO_MODE, /* portfolio margin: docs/protocol.md */
	CL_EIP712_OPTION_LIST,    /* listed options: docs/options.md */
};

/* The canonical type string, e.g. "Cancel(address trader,bytes32
 * orderHash)"; static. */
const char *cl_eip712_type_string(enum cl_eip712_type type);

/* keccak256 of the type string (a constant; static storage). */
const struct cl_hash32 *cl_eip712_type_hash(enum cl_eip712_type type);

/* The EIP712Domain type string above; static. */
const char *cl_eip712_domain_type_string(void);

/* keccak256 of the EIP712Domain type string (a constant; static). */
const struct cl_hash32 *cl_eip712_domain_type_hash(void);

/*
 * digest = keccak256(0x19 0x01 || domain separator || struct_hash).
 * For a Clearline order this digest is also the order hash.
 */
void cl_eip712_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct cl_hash32 *struct_hash);

/* Order(address trader,uint32 market,bool isBuy,uint64 price,uint64 size,
 *       uint64 nonce,uint64 expiry,uint8 flags) */
struct cl_order {
	struct cl_address trader;
	uint32_t market;
	bool is_buy;
	uint64_t price, size, nonce, expiry;
	uint8_t flags; /* bit 0 reduce-only, bit 1 post-only, bits 2-3 tif */
};

/* Cancel(address trader,bytes32 orderHash) */
struct cl_cancel {
	struct cl_address trader;
	struct cl_hash32 order_hash;
};

/* Withdraw(address trader,address recipient,uint64 amount,uint64 nonce) */
struct cl_withdraw {
	struct cl_address trader;
	struct cl_address recipient;
	uint64_t amount, nonce;
};

/* ApproveAgent(address trader,address agent,uint64 expiry,uint64 nonce) */
struct cl_approve_agent {
	struct cl_address trader;
	struct cl_address agent;
	uint64_t expiry, nonce;
};

/* OraclePrice(uint32 market,uint64 price,uint64 timestamp) */
struct cl_oracle_price {
	uint32_t market;
	uint64_t price, timestamp;
};

/* ScheduleCancel(address trader,uint64 time,uint64 nonce): the dead-man
 * switch; time 0 disarms it. */
struct cl_schedule_cancel {
	struct cl_address trader;
	uint64_t time, nonce;
};

/* A client order id: 128 bits, big-endian (EIP-712 uint128); all zero
 * means none. */
#define CL_CLOID_LEN 16
struct cl_cloid {
	uint8_t b[CL_CLOID_LEN];
};

/* ClientOrder(address trader,uint32 market,bool isBuy,uint64 price,
 *             uint64 size,uint64 nonce,uint64 expiry,uint8 flags,
 *             uint128 cloid): an Order with the client's id. */
struct cl_client_order {
	struct cl_order order;
	struct cl_cloid cloid;
};

/*
 * For each message type T (order, cancel, withdraw, approve_agent,
 * schedule_cancel, client_order, trigger_order, scale_order, twap_order,
 * oracle_price) there are three functions:
 *
 * cl_T_struct_hash(out, msg)
 *   out: keccak256(typeHash || encoded fields), EIP-712's hashStruct.
 *
 * cl_T_digest(out, d, msg)
 *   out: the digest a wallet signs for msg in domain d.
 *
 * cl_T_recover(signer, digest, d, msg, sig, sig_len)
 *   signer: out: who signed msg in domain d; zeroed on failure.
 *   digest: out, may be NULL: the message digest (for an order, the order
 *           hash), written whatever the outcome.
 *   sig, sig_len: the signature, borrowed.
 *   Returns the cl_sig_recover() result. The caller still has to compare
 *   the signer with whoever is allowed to sign (trader, approved agent,
 *   oracle signer): a signature made for another domain or message
 *   recovers to some unrelated address.
 *
 * None of them fails except cl_T_recover (domain outcomes only).
 */
void cl_order_struct_hash(struct cl_hash32 *out, const struct cl_order *msg);
void cl_order_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		     const struct cl_order *msg);
CL_WUR enum cl_sig_err cl_order_recover(struct cl_address *signer,
					struct cl_hash32 *digest,
					const struct cl_eip712_domain *d,
					const struct cl_order *msg,
					const uint8_t *sig, size_t sig_len);

void cl_cancel_struct_hash(struct cl_hash32 *out, const struct cl_cancel *msg);
void cl_cancel_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
		      const struct cl_cancel *msg);
CL_WUR enum cl_sig_err cl_cancel_recover(struct cl_address *signer,
					 struct cl_hash32 *digest,
					 const struct cl_eip712_domain *d,
					 const struct cl_cancel *msg,
					 const uint8_t *sig, size_t sig_len);

void cl_withdraw_struct_hash(struct cl_hash32 *out,
			     const struct cl_withdraw *msg);
void cl_withdraw_digest(struct cl_hash32 *out, const struct cl_eip712_domain *d,
			const struct cl_withdraw *msg);
CL_WUR enum cl_sig_err cl_withdraw_recover(struct cl_address *signer,
					   struct cl_hash32 *digest,
					   const struct cl_eip712_domain *d,
					   const struct cl_withdraw *msg,
					   const uint8_t *sig, size_t sig_len);

void cl_approve_agent_struct_hash(struct cl_hash32 *out,
				  const struct cl_approve_agent *msg);
void cl_approve_agent_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_approve_agent *msg);
CL_WUR enum cl_sig_err
cl_approve_agent_recover(struct cl_address *signer, struct cl_hash32 *digest,
			 const struct cl_eip712_domain *d,
			 const struct cl_approve_agent *msg, const uint8_t *sig,
			 size_t sig_len);

void cl_oracle_price_struct_hash(struct cl_hash32 *out,
				 const struct cl_oracle_price *msg);
void cl_oracle_price_digest(struct cl_hash32 *out,
			    const struct cl_eip712_domain *d,
			    const struct cl_oracle_price *msg);
CL_WUR enum cl_sig_err
cl_oracle_price_recover(struct cl_address *signer, struct cl_hash32 *digest,
			const struct cl_eip712_domain *d,
			const struct cl_oracle_price *msg, const uint8_t *sig,
			size_t sig_len);

void cl_schedule_cancel_struct_hash(struct cl_hash32 *out,
				    const struct cl_schedule_cancel *msg);
void cl_schedule_cancel_digest(struct cl_hash32 *out,
			       const struct cl_eip712_domain *d,
			       const struct cl_schedule_cancel *msg);
CL_WUR enum cl_sig_err
cl_schedule_cancel_recover(struct cl_address *signer, struct cl_hash32 *digest,
			   const struct cl_eip712_domain *d,
			   const struct cl_schedule_cancel *msg,
			   const uint8_t *sig, size_t sig_len);

/* TriggerOrder(address trader,uint32 market,bool isBuy,uint64 triggerPrice,
 *              bool triggerAbove,uint64 price,uint64 size,uint64 nonce,
 *              uint64 expiry,uint8 flags,uint64 group,bool positionBound):
 * an order placed when the mark reaches triggerPrice (docs/protocol.md
 * "TRIGGER_ORDER"). */
struct cl_trigger_order {
	struct cl_address trader;
	uint32_t market;
	bool is_buy;
	uint64_t trigger_price;
	bool trigger_above; /* fires at mark >= trigger (else <=) */
	uint64_t price, size, nonce, expiry;
	uint8_t flags;
	uint64_t group;      /* 0: none; else one-cancels-the-other */
	bool position_bound; /* TP/SL: cancelled when the position closes */
};

/* The digest is the trigger hash. */
void cl_trigger_order_struct_hash(struct cl_hash32 *out,
				  const struct cl_trigger_order *msg);
void cl_trigger_order_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_trigger_order *msg);
CL_WUR enum cl_sig_err
cl_trigger_order_recover(struct cl_address *signer, struct cl_hash32 *digest,
			 const struct cl_eip712_domain *d,
			 const struct cl_trigger_order *msg, const uint8_t *sig,
			 size_t sig_len);

/* ScaleOrder(address trader,uint32 market,bool isBuy,uint64[] prices,
 *            uint64[] sizes,uint64 nonce,uint64 expiry,uint8 flags): a
 * signed list of orders on one side (docs/protocol.md "SCALE_ORDER"). */
#define CL_SCALE_MAX 16
struct cl_scale_order {
	struct cl_address trader;
	uint32_t market;
	bool is_buy;
	uint32_t n; /* legs, 1..CL_SCALE_MAX */
	uint64_t price[CL_SCALE_MAX], size[CL_SCALE_MAX];
	uint64_t nonce, expiry;
	uint8_t flags;
};

/* The digest is the scale hash; n must be 1..CL_SCALE_MAX. */
void cl_scale_order_struct_hash(struct cl_hash32 *out,
				const struct cl_scale_order *msg);
void cl_scale_order_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_scale_order *msg);
CL_WUR enum cl_sig_err
cl_scale_order_recover(struct cl_address *signer, struct cl_hash32 *digest,
		       const struct cl_eip712_domain *d,
		       const struct cl_scale_order *msg, const uint8_t *sig,
		       size_t sig_len);

/* TwapOrder(address trader,uint32 market,bool isBuy,uint64 size,
 *           uint64 interval,uint32 slices,uint32 slippagePpm,uint64 nonce,
 *           bool reduceOnly): a parent order the stf slices over
 * slices x interval seconds (docs/protocol.md "TWAP_ORDER"). */
struct cl_twap_order {
	struct cl_address trader;
	uint32_t market;
	bool is_buy;
	uint64_t size, interval;
	uint32_t slices, slippage_ppm;
	uint64_t nonce;
	bool reduce_only;
};

/* The digest is the TWAP hash. */
void cl_twap_order_struct_hash(struct cl_hash32 *out,
			       const struct cl_twap_order *msg);
void cl_twap_order_digest(struct cl_hash32 *out,
			  const struct cl_eip712_domain *d,
			  const struct cl_twap_order *msg);
CL_WUR enum cl_sig_err
cl_twap_order_recover(struct cl_address *signer, struct cl_hash32 *digest,
		      const struct cl_eip712_domain *d,
		      const struct cl_twap_order *msg, const uint8_t *sig,
		      size_t sig_len);

/* MarginMode(address trader,uint32 market,bool isolated,uint64 nonce):
 * the trader's margin mode in one market, cross (false) or isolated
 * (docs/margin.md "Isolated margin"). */
struct cl_margin_mode {
	struct cl_address trader;
	uint32_t market;
	bool isolated;
	uint64_t nonce;
};

void cl_margin_mode_struct_hash(struct cl_hash32 *out,
				const struct cl_margin_mode *msg);
void cl_margin_mode_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_margin_mode *msg);
CL_WUR enum cl_sig_err
cl_margin_mode_recover(struct cl_address *signer, struct cl_hash32 *digest,
		       const struct cl_eip712_domain *d,
		       const struct cl_margin_mode *msg, const uint8_t *sig,
		       size_t sig_len);

/* PortfolioMode(address trader,bool enabled,uint64 nonce): margin the
 * trader's account in portfolio mode (enabled) or leg by leg. */
struct cl_portfolio_mode {
	struct cl_address trader;
	bool enabled;
	uint64_t nonce;
};

void cl_portfolio_mode_struct_hash(struct cl_hash32 *out,
				   const struct cl_portfolio_mode *msg);
void cl_portfolio_mode_digest(struct cl_hash32 *out,
			      const struct cl_eip712_domain *d,
			      const struct cl_portfolio_mode *msg);
CL_WUR enum cl_sig_err
cl_portfolio_mode_recover(struct cl_address *signer, struct cl_hash32 *digest,
			  const struct cl_eip712_domain *d,
			  const struct cl_portfolio_mode *msg, const uint8_t *sig,
			  size_t sig_len);

/* OptionList(uint32 template,uint8 kind,uint64 strike,uint64 expiry,
 *            string symbol,uint64 nonce): the genesis lister adds an
 * option market copied from the genesis option `template` (docs/options.md
 * "Listing"). `symbol` is hashed as EIP-712 hashes a string: keccak256
 * of its bytes (the NUL is not part of it). */
#define CL_OPTION_LIST_SYMBOL_MAX 16
struct cl_option_list {
	uint32_t template_market;
	uint8_t kind; /* 1 call, 2 put */
	uint64_t strike, expiry;
	char symbol[CL_OPTION_LIST_SYMBOL_MAX + 1]; /* NUL-terminated */
	uint64_t nonce;
};

void cl_option_list_struct_hash(struct cl_hash32 *out,
				const struct cl_option_list *msg);
void cl_option_list_digest(struct cl_hash32 *out,
			   const struct cl_eip712_domain *d,
			   const struct cl_option_list *msg);
CL_WUR enum cl_sig_err
cl_option_list_recover(struct cl_address *signer, struct cl_hash32 *digest,
		       const struct cl_eip712_domain *d,
		       const struct cl_option_list *msg, const uint8_t *sig,
		       size_t sig_len);

/* IsolatedMargin(address trader,uint32 market,bool add,uint64 amount,
 *                uint64 nonce): move `amount` settlement atoms into
 * (add) or out of the trader's isolated position in `market`. */
struct cl_isolated_margin {
	struct cl_address trader;
	uint32_t market;
	bool add;
	uint64_t amount, nonce;
};

void cl_isolated_margin_struct_hash(struct cl_hash32 *out,
				    const struct cl_isolated_margin *msg);
void cl_isolated_margin_digest(struct cl_hash32 *out,
			       const struct cl_eip712_domain *d,
			       const struct cl_isolated_margin *msg);
CL_WUR enum cl_sig_err
cl_isolated_margin_recover(struct cl_address *signer, struct cl_hash32 *digest,
			   const struct cl_eip712_domain *d,
			   const struct cl_isolated_margin *msg,
			   const uint8_t *sig, size_t sig_len);

/* SubaccountTransfer(address trader,uint32 from,uint32 to,uint64 amount,
 *                    uint64 nonce): move `amount` settlement atoms between
 * two subaccounts of `trader` (0 is the trader's own account). */
struct cl_subaccount_transfer {
	struct cl_address trader;
	uint32_t from, to;
	uint64_t amount, nonce;
};

void cl_subaccount_transfer_struct_hash(
	struct cl_hash32 *out, const struct cl_subaccount_transfer *msg);
void cl_subaccount_transfer_digest(struct cl_hash32 *out,
				   const struct cl_eip712_domain *d,
				   const struct cl_subaccount_transfer *msg);
CL_WUR enum cl_sig_err cl_subaccount_transfer_recover(
	struct cl_address *signer, struct cl_hash32 *digest,
	const struct cl_eip712_domain *d,
	const struct cl_subaccount_transfer *msg, const uint8_t *sig,
	size_t sig_len);

/* AssetWithdraw(address trader,address recipient,uint32 asset,
 *               uint64 amount,uint64 nonce): withdraw `amount` L2 atoms
 * of collateral asset `asset` to `recipient` on L1. */
struct cl_asset_withdraw {
	struct cl_address trader;
	struct cl_address recipient;
	uint32_t asset;
	uint64_t amount, nonce;
};

void cl_asset_withdraw_struct_hash(struct cl_hash32 *out,
				   const struct cl_asset_withdraw *msg);
void cl_asset_withdraw_digest(struct cl_hash32 *out,
			      const struct cl_eip712_domain *d,
			      const struct cl_asset_withdraw *msg);
CL_WUR enum cl_sig_err
cl_asset_withdraw_recover(struct cl_address *signer, struct cl_hash32 *digest,
			  const struct cl_eip712_domain *d,
			  const struct cl_asset_withdraw *msg,
			  const uint8_t *sig, size_t sig_len);

/* SubaccountAssetTransfer(address trader,uint32 from,uint32 to,
 *                         uint32 asset,uint64 amount,uint64 nonce): move
 * `amount` L2 atoms of collateral asset `asset` between two subaccounts
 * of `trader` (0 is the trader's own account). */
struct cl_subaccount_asset_transfer {
	struct cl_address trader;
	uint32_t from, to, asset;
	uint64_t amount, nonce;
};

void cl_subaccount_asset_transfer_struct_hash(
	struct cl_hash32 *out, const struct cl_subaccount_asset_transfer *msg);
void cl_subaccount_asset_transfer_digest(
	struct cl_hash32 *out, const struct cl_eip712_domain *d,
	const struct cl_subaccount_asset_transfer *msg);
CL_WUR enum cl_sig_err cl_subaccount_asset_transfer_recover(
	struct cl_address *signer, struct cl_hash32 *digest,
	const struct cl_eip712_domain *d,
	const struct cl_subaccount_asset_transfer *msg, const uint8_t *sig,
	size_t sig_len);

/* For a client order the digest is the order hash, as for an Order. */
void cl_client_order_struct_hash(struct cl_hash32 *out,
				 const struct cl_client_order *msg);
void cl_client_order_digest(struct cl_hash32 *out,
			    const struct cl_eip712_domain *d,
			    const struct cl_client_order *msg);
CL_WUR enum cl_sig_err
cl_client_order_recover(struct cl_address *signer, struct cl_hash32 *digest,
			const struct cl_eip712_domain *d,
			const struct cl_client_order *msg, const uint8_t *sig,
			size_t sig_len);

/* ------------------------------------------------------------------ */
/* EIP-1559 (type 2) transactions                                      */
/* ------------------------------------------------------------------ */

/*
 * An L1 transaction of type 2. Only an EMPTY access list is supported:
 * the encoding always writes an empty list, and there is no field for one.
 * Gas prices are in wei and fit in 64 bits (up to ~18.4 ether per gas);
 * the value is a full uint256. `data` is borrowed: it must stay valid for
 * as long as the struct is used.
 */
struct cl_tx1559 {
	uint64_t chain_id;
	uint64_t nonce;
	uint64_t max_priority_fee_per_gas;
	uint64_t max_fee_per_gas;
	uint64_t gas_limit;
	bool has_to;	      /* false: contract creation */
	struct cl_address to; /* ignored unless has_to */
	uint8_t value[32];    /* wei, big-endian uint256 */
	const uint8_t *data;  /* calldata, may be NULL when data_len is 0 */
	size_t data_len;
};

/*
 * Append the unsigned encoding 0x02 || rlp([chainId, nonce,
 * maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, []])
 * to `out` (nothing in `out` is overwritten).
 */
void cl_tx1559_encode_unsigned(struct cl_buf *out, const struct cl_tx1559 *tx);

/* The signing hash: keccak256 of the unsigned encoding. */
void cl_tx1559_signing_hash(struct cl_hash32 *out, const struct cl_tx1559 *tx);

/*
 * Sign a transaction.
 *
 * raw:     out: the signed encoding 0x02 || rlp([..., yParity, r, s]) is
 *          APPENDED (ready for eth_sendRawTransaction); on failure nothing
 *          is appended.
 * tx_hash: out, may be NULL: keccak256 of the signed encoding, the hash L1
 *          knows the transaction by; zeroed on failure.
 * key:     the sender's key, borrowed.
 * tx:      the transaction, borrowed.
 *
 * Returns CL_OK or the cl_sign_digest() error.
 */
CL_WUR int cl_tx1559_sign(struct cl_buf *raw, struct cl_hash32 *tx_hash,
			  const struct cl_seckey *key,
			  const struct cl_tx1559 *tx);

/* ------------------------------------------------------------------ */
/* Passphrases and the keystore                                        */
/* ------------------------------------------------------------------ */

/* A passphrase held in guarded memory, wiped when freed; opaque. */
struct cl_passphrase;

/* The longest passphrase accepted, in bytes. */
#define CL_PASSPHRASE_MAX 1024

/*
 * Copy `len` bytes (any bytes, no NUL needed) into a new passphrase owned
 * by the caller. The caller should wipe its own copy.
 * Returns false (and *out = NULL) when len is 0 or larger than
 * CL_PASSPHRASE_MAX.
 */
CL_WUR bool cl_passphrase_new(struct cl_passphrase **out, const char *p,
			      size_t len);

/*
 * Load a passphrase as an operator names it:
 *   "file:PATH" the first line of the file; the line ending ("\n" or
 *               "\r\n") is not part of it;
 *   "env:NAME"  the value of environment variable NAME.
 * The passphrase is never logged; the spec may be (it holds no secret).
 *
 * Returns CL_OK and *out; otherwise *out = NULL and: CL_ERR_CONFIG for an
 * unknown spec form, an unset variable, or an empty or overlong
 * passphrase; CL_ERR_IO when the file cannot be read. Logged once.
 */
CL_WUR int cl_passphrase_load(struct cl_passphrase **out, const char *spec);

/* Wipe and release; NULL is a no-op. */
void cl_passphrase_free(struct cl_passphrase *pass);

/*
 * Argon2id cost, as stored in a keystore file. The MIN values make tests
 * fast; MODERATE is the default for production (about a second and
 * 256 MiB to unlock). Files whose limits are below MIN or above the
 * ACCEPT_MAX caps are refused when read, and never written.
 */
struct cl_kdf_params {
	uint64_t opslimit;
	uint64_t memlimit; /* bytes */
};

#define CL_KDF_OPSLIMIT_MIN 1ULL
#define CL_KDF_MEMLIMIT_MIN 8192ULL
#define CL_KDF_OPSLIMIT_MODERATE 3ULL
#define CL_KDF_MEMLIMIT_MODERATE 268435456ULL
#define CL_KDF_OPSLIMIT_ACCEPT_MAX 64ULL
#define CL_KDF_MEMLIMIT_ACCEPT_MAX 4294967296ULL

/* Keystore outcomes (positive; system failures are negative cl_err). */
enum cl_keystore_err {
	CL_KS_OK = 0,
	CL_KS_MALFORMED,   /* not a keystore, truncated, or a bad field */
	CL_KS_VERSION,	   /* a keystore of an unsupported version */
	CL_KS_BAD_KDF,	   /* Argon2 limits out of range, or another kdf */
	CL_KS_AUTH_FAILED, /* wrong passphrase, or the file was modified */
	CL_KS_EXISTS,	   /* create: the path exists already */
};

/*
 * Describe a keystore result: a positive enum cl_keystore_err or a
 * negative enum cl_err (delegated to cl_err_str()). Static, lowercase.
 */
const char *cl_keystore_err_str(int err);

/*
 * Serialise `key` encrypted under `pass` into the keystore text format
 * (docs/crypto.md), appended to `out`. A fresh random salt and nonce are
 * drawn for every call.
 *
 * Returns CL_OK; CL_ERR_CONFIG when `params` are out of the accepted
 * range; CL_ERR_CRYPTO when Argon2 cannot get its memory.
 */
CL_WUR int cl_keystore_encode(struct cl_buf *out, const struct cl_seckey *key,
			      const struct cl_passphrase *pass,
			      const struct cl_kdf_params *params);

/*
 * Decrypt keystore text of `len` bytes (borrowed).
 *
 * out: out: the key on CL_OK; otherwise left untouched.
 *
 * Returns CL_OK, CL_KS_MALFORMED, CL_KS_VERSION, CL_KS_BAD_KDF,
 * CL_KS_AUTH_FAILED, or CL_ERR_CRYPTO when Argon2 cannot get its memory.
 * Nothing is logged (the caller knows the context).
 */
CL_WUR int cl_keystore_decode(struct cl_seckey **out, const uint8_t *text,
			      size_t len, const struct cl_passphrase *pass);

/*
 * Write a new keystore file at `path` holding `key` (or, when key is NULL,
 * a fresh random key). The file is written to a temporary file in the
 * same folder with mode 0600, fsync'ed, renamed into place, and the
 * folder is fsync'ed; an existing `path` is never replaced.
 *
 * address: out, may be NULL: the address of the stored key.
 *
 * Returns CL_OK; CL_KS_EXISTS when `path` exists; CL_ERR_IO on a file
 * system failure (logged once); or a cl_keystore_encode() error.
 */
CL_WUR int cl_keystore_create(struct cl_address *address, const char *path,
			      const struct cl_seckey *key,
			      const struct cl_passphrase *pass,
			      const struct cl_kdf_params *params);

/*
 * Read and decrypt the keystore file at `path`.
 *
 * out: out: the key on CL_OK; otherwise left untouched.
 *
 * Returns CL_OK, CL_ERR_IO when the file cannot be read (logged once),
 * CL_KS_MALFORMED when it is larger than a keystore can be, or a
 * cl_keystore_decode() result.
 */
CL_WUR int cl_keystore_unlock(struct cl_seckey **out, const char *path,
			      const struct cl_passphrase *pass);

#endif /* CLEARLINE_CRYPTO_H */
