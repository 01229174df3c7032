/* SPDX-License-Identifier: MIT */
/* Internal to src/stf: the context and the record layer. */
#ifndef CLEARLINE_STF_INT_H
#define CLEARLINE_STF_INT_H

#include <clearline/stf.h>

struct cl_stf {
	struct cl_genesis g;
	struct cl_state *st;
	struct cl_eip712_domain domain;
	struct cl_hash32 genesis_hash;
	bool initialized;
	bool in_block;
	enum cl_stf_blame blame; /* of the last refused FILL */
	uint64_t block_number;
	uint64_t block_ms;
	uint64_t now_s; /* block timestamp in whole seconds */
};

/* Record sizes (docs/protocol.md "State"). */
#define ACCOUNT_VAL_LEN 16
#define AGENT_KEY_LEN 40
#define AGENT_VAL_LEN 8
#define POSITION_KEY_LEN 24
#define POSITION_VAL_LEN 16
#define MARKET_KEY_LEN 4
#define MARKET_VAL_LEN 32
#define ORDER_KEY_LEN 32
#define ORDER_VAL_LEN 67
#define OPEN_KEY_LEN 28 /* trader(20) ‖ sequence(8) -> order hash */
#define WITHDRAWAL_VAL_LEN 28

/* GLOBALS keys. */
#define G_FEE "fee_balance"
#define G_INSURANCE "insurance_balance"
#define G_NEXT_DEPOSIT "next_deposit_id"
#define G_NEXT_WITHDRAWAL "next_withdrawal_id"
#define G_NEXT_ORDER_SEQ "next_order_sequence"
#define G_BLOCK_NUMBER "block_number"
#define G_BLOCK_TIME "block_timestamp_ms"
#define G_GENESIS "genesis_hash"

int stf_view_get(const struct cl_stf_view *v, const uint8_t **val,
		 size_t *vlen, enum cl_table t, const uint8_t *key,
		 size_t klen);

/* Globals: 8-byte values (an i64 is stored as its two's complement). */
int stf_get_global_u64(const struct cl_stf_view *v, uint64_t *out,
		       const char *name);
void stf_put_global_u64(struct cl_state *st, const char *name, uint64_t v);
void stf_put_global_hash(struct cl_state *st, const char *name,
			 const struct cl_hash32 *h);

void stf_put_account(struct cl_state *st, const struct cl_address *addr,
		     const struct cl_account *a);
int stf_get_position(const struct cl_stf_view *v, struct cl_position *out,
		     const struct cl_address *addr, uint32_t market);
/* Deletes the record when the position is flat. */
void stf_put_position(struct cl_state *st, const struct cl_address *addr,
		      uint32_t market, const struct cl_position *p);
void stf_put_market(struct cl_state *st, uint32_t market,
		    const struct cl_market_state *m);
void stf_put_order(struct cl_state *st, const struct cl_hash32 *hash,
		   const struct cl_order_record *o);
/* The open-order index: add when placed, drop when no longer open. */
void stf_put_open(struct cl_state *st, const struct cl_order_record *o,
		  const struct cl_hash32 *hash);
void stf_del_open(struct cl_state *st, const struct cl_order_record *o);
void stf_put_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent, uint64_t expiry);
void stf_del_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent);
void stf_put_withdrawal(struct cl_state *st, uint64_t id,
			const struct cl_address *recipient, uint64_t amount);

/* Health from explicit positions (markets' marks read through v). */
int stf_health(const struct cl_stf_view *v, struct cl_health *out,
	       int64_t collateral, const struct cl_stf_position *pos,
	       size_t n);

#endif
