/* SPDX-License-Identifier: MIT */
/*
 * The record layer: fixed-width big-endian keys and values of the stf's
 * tables (docs/protocol.md "State"), read through a view (writer state or
 * snapshot) and written to the writer state.
 */
#include "stf_int.h"

#include <string.h>

int stf_view_get(const struct cl_stf_view *v, const uint8_t **val,
		 size_t *vlen, enum cl_table t, const uint8_t *key,
		 size_t klen)
{
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	if (v->state)
		return cl_state_get(v->state, val, vlen, t, key, klen);
	return cl_snapshot_get(v->snapshot, val, vlen, t, key, klen);
}

static int view_iter(const struct cl_stf_view *v, struct cl_state_iter **it,
		     enum cl_table t, const uint8_t *start, size_t slen)
{
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	if (v->state)
		return cl_state_iter_new(it, v->state, t, start, slen);
	return cl_snapshot_iter_new(it, v->snapshot, t, start, slen);
}

/* A stored value of the wrong length is corruption, never a user error. */
static int corrupt(const char *what, size_t got)
{
	cl_broken("stf", "stored %s record has %zu bytes", what, got);
	return CL_ERR_CORRUPT;
}

/* Get a fixed-length value; CL_ERR_NOT_FOUND zeroes out. */
static int get_fixed(const struct cl_stf_view *v, uint8_t *out, size_t len,
		     enum cl_table t, const uint8_t *key, size_t klen,
		     const char *what)
{
	const uint8_t *val;
	size_t vlen;
	int rc = stf_view_get(v, &val, &vlen, t, key, klen);

	memset(out, 0, len);
	if (rc != CL_OK)
		return rc;
	if (vlen != len)
		return corrupt(what, vlen);
	memcpy(out, val, len);
	return CL_OK;
}

/* ---- 128-bit fields: two's complement, big-endian, 16 bytes ---- */

void stf_put_i128(uint8_t *b, __int128 v)
{
	unsigned __int128 u = (unsigned __int128)v;

	cl_put_be64(b, (uint64_t)(u >> 64));
	cl_put_be64(b + 8, (uint64_t)u);
}

__int128 stf_get_i128(const uint8_t *b)
{
	unsigned __int128 u = ((unsigned __int128)cl_get_be64(b) << 64) |
			      cl_get_be64(b + 8);
	return (__int128)u;
}

/* ---- keys ---- */

void cl_stf_account_key(uint8_t out[CL_STF_ACCOUNT_KEY_LEN],
			const struct cl_address *addr)
{
	memcpy(out, addr->b, 20);
}

void cl_stf_withdrawal_key(uint8_t out[CL_STF_WITHDRAWAL_KEY_LEN],
			   uint64_t id)
{
	cl_put_be64(out, id);
}

static void position_key(uint8_t out[POSITION_KEY_LEN],
			 const struct cl_address *addr, uint32_t market)
{
	memcpy(out, addr->b, 20);
	cl_put_be32(out + 20, market);
}

static void agent_key(uint8_t out[AGENT_KEY_LEN],
		      const struct cl_address *trader,
		      const struct cl_address *agent)
{
	memcpy(out, trader->b, 20);
	memcpy(out + 20, agent->b, 20);
}

/* ---- globals ---- */

int stf_get_global_u64(const struct cl_stf_view *v, uint64_t *out,
		       const char *name)
{
	uint8_t b[8];
	int rc = get_fixed(v, b, sizeof(b), CL_TABLE_GLOBALS,
			   (const uint8_t *)name, strlen(name), "global");

	*out = rc == CL_OK ? cl_get_be64(b) : 0;
	return rc;
}

void stf_put_global_u64(struct cl_state *st, const char *name, uint64_t v)
{
	uint8_t b[8];

	cl_put_be64(b, v);
	cl_state_put(st, CL_TABLE_GLOBALS, (const uint8_t *)name,
		     strlen(name), b, sizeof(b));
}

void stf_put_global_hash(struct cl_state *st, const char *name,
			 const struct cl_hash32 *h)
{
	cl_state_put(st, CL_TABLE_GLOBALS, (const uint8_t *)name,
		     strlen(name), h->b, sizeof(h->b));
}

int cl_stf_get_globals(const struct cl_stf_view *v,
		       struct cl_stf_globals *out)
{
	static const char *const names[] = {
		G_FEE, G_INSURANCE, G_NEXT_DEPOSIT, G_NEXT_WITHDRAWAL,
		G_NEXT_ORDER_SEQ, G_BLOCK_NUMBER, G_BLOCK_TIME,
		G_L1_NUMBER, G_L1_TIME,
	};
	uint64_t vals[CL_ARRAY_LEN(names)];
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < CL_ARRAY_LEN(names); i++) {
		rc = stf_get_global_u64(v, &vals[i], names[i]);
		if (rc != CL_OK)
			return rc;
	}
	rc = get_fixed(v, out->genesis_hash.b, 32, CL_TABLE_GLOBALS,
		       (const uint8_t *)G_GENESIS, strlen(G_GENESIS),
		       "genesis hash");
	if (rc != CL_OK)
		return rc;
	out->fee_balance = (int64_t)vals[0];
	out->insurance_balance = (int64_t)vals[1];
	out->next_deposit_id = vals[2];
	out->next_withdrawal_id = vals[3];
	out->next_order_sequence = vals[4];
	out->block_number = vals[5];
	out->block_timestamp_ms = vals[6];
	out->l1.number = vals[7];
	out->l1.timestamp = vals[8];
	/* absent until the first forced request (chains from before it) */
	rc = stf_get_global_u64(v, &out->next_forced_id, G_FORCED_CONSUMED);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	/* absent until the first asset deposit */
	rc = stf_get_global_u64(v, &out->next_asset_deposit_id,
				G_NEXT_ASSET_DEPOSIT);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	return get_fixed(v, out->l1.hash.b, 32, CL_TABLE_GLOBALS,
			 (const uint8_t *)G_L1_HASH, strlen(G_L1_HASH),
			 "l1 block hash");
}

/* ---- accounts and agents ---- */

int cl_stf_get_account(const struct cl_stf_view *v, struct cl_account *out,
		       const struct cl_address *addr)
{
	uint8_t b[ACCOUNT_VAL_LEN];
	int rc = get_fixed(v, b, sizeof(b), CL_TABLE_ACCOUNTS, addr->b, 20,
			   "account");

	out->collateral = (int64_t)cl_get_be64(b);
	out->nonce = cl_get_be64(b + 8);
	return rc;
}

void stf_put_account(struct cl_state *st, const struct cl_address *addr,
		     const struct cl_account *a)
{
	uint8_t b[ACCOUNT_VAL_LEN];

	cl_put_be64(b, (uint64_t)a->collateral);
	cl_put_be64(b + 8, a->nonce);
	cl_state_put(st, CL_TABLE_ACCOUNTS, addr->b, 20, b, sizeof(b));
}

int cl_stf_get_agent(const struct cl_stf_view *v, uint64_t *expiry,
		     const struct cl_address *trader,
		     const struct cl_address *agent)
{
	uint8_t k[AGENT_KEY_LEN], b[AGENT_VAL_LEN];
	int rc;

	agent_key(k, trader, agent);
	rc = get_fixed(v, b, sizeof(b), CL_TABLE_ACCOUNTS, k, sizeof(k),
		       "agent");
	*expiry = cl_get_be64(b);
	return rc;
}

void stf_put_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent, uint64_t expiry)
{
	uint8_t k[AGENT_KEY_LEN], b[AGENT_VAL_LEN];

	agent_key(k, trader, agent);
	cl_put_be64(b, expiry);
	cl_state_put(st, CL_TABLE_ACCOUNTS, k, sizeof(k), b, sizeof(b));
}

void stf_del_agent(struct cl_state *st, const struct cl_address *trader,
		   const struct cl_address *agent)
{
	uint8_t k[AGENT_KEY_LEN];

	agent_key(k, trader, agent);
	cl_state_del(st, CL_TABLE_ACCOUNTS, k, sizeof(k));
}

/* ---- positions ---- */

static void decode_position(struct cl_position *p, __int128 *snap,
			    const uint8_t *b)
{
	p->size = (int64_t)cl_get_be64(b);
	p->cost.atoms = (int64_t)cl_get_be64(b + 8);
	*snap = stf_get_i128(b + 16);
}

void stf_put_position(struct cl_state *st, const struct cl_address *addr,
		      uint32_t market, const struct cl_position *p,
		      __int128 snap)
{
	uint8_t k[POSITION_KEY_LEN], b[POSITION_VAL_LEN];

	position_key(k, addr, market);
	if (p->size == 0) {
		CL_REQUIRE(p->cost.atoms == 0);
		cl_state_del(st, CL_TABLE_POSITIONS, k, sizeof(k));
		return;
	}
	cl_put_be64(b, (uint64_t)p->size);
	cl_put_be64(b + 8, (uint64_t)p->cost.atoms);
	stf_put_i128(b + 16, snap);
	cl_state_put(st, CL_TABLE_POSITIONS, k, sizeof(k), b, sizeof(b));
}

int cl_stf_get_positions(const struct cl_stf_view *v,
			 struct cl_stf_position *out, size_t *n,
			 const struct cl_address *addr)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	rc = view_iter(v, &it, CL_TABLE_POSITIONS, addr->b, 20);
	if (rc != CL_OK)
		return rc;
	while ((rc = cl_state_iter_next(it, &key, &klen, &val, &vlen)) ==
	       CL_OK) {
		struct cl_position p;
		__int128 snap;

		if (klen < 20 || memcmp(key, addr->b, 20) != 0)
			break;
		if (klen != POSITION_KEY_LEN || vlen != POSITION_VAL_LEN) {
			rc = corrupt("position", vlen);
			break;
		}
		if (*n == CL_GENESIS_MAX_MARKETS) {
			rc = corrupt("position (too many)", vlen);
			break;
		}
		decode_position(&p, &snap, val);
		if (p.size == 0) {
			rc = corrupt("flat position", vlen);
			break;
		}
		out[*n].market = cl_get_be32(key + 20);
		out[*n].size = p.size;
		out[*n].cost = p.cost.atoms;
		out[*n].funding_snap = snap;
		(*n)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc != CL_OK)
		*n = 0;
	return rc;
}

/* ---- markets ---- */

int cl_stf_get_market(const struct cl_stf_view *v,
		      struct cl_market_state *out, uint32_t market)
{
	uint8_t k[MARKET_KEY_LEN], b[MARKET_VAL_LEN];
	int rc;

	cl_put_be32(k, market);
	rc = get_fixed(v, b, sizeof(b), CL_TABLE_MARKETS, k, sizeof(k),
		       "market");
	out->oracle_price = cl_get_be64(b);
	out->oracle_timestamp = cl_get_be64(b + 8);
	out->mark_price = cl_get_be64(b + 16);
	out->open_interest = cl_get_be64(b + 24);
	out->last_trade_price = cl_get_be64(b + 32);
	out->premium_ema_ppb = (int64_t)cl_get_be64(b + 40);
	out->ema_time = cl_get_be64(b + 48);
	out->breaker_start = cl_get_be64(b + 56);
	out->breaker_anchor = cl_get_be64(b + 64);
	out->vol_var = cl_get_be64(b + 72);
	out->funding_index = stf_get_i128(b + 80);
	out->funding_time = cl_get_be64(b + 96);
	out->premium_sum_ppb = (int64_t)cl_get_be64(b + 104);
	out->premium_samples = cl_get_be64(b + 112);
	out->funding_rate_ppb = (int64_t)cl_get_be64(b + 120);
	out->funding_pool = (int64_t)cl_get_be64(b + 128);
	out->snap_sum = stf_get_i128(b + 136);
	out->fund_size = (int64_t)cl_get_be64(b + 152);
	out->fund_cost = (int64_t)cl_get_be64(b + 160);
	out->fund_snap = stf_get_i128(b + 168);
	out->last_trade_time = cl_get_be64(b + 184);
	return rc;
}

void stf_put_market(struct cl_state *st, uint32_t market,
		    const struct cl_market_state *m)
{
	uint8_t k[MARKET_KEY_LEN], b[MARKET_VAL_LEN];

	cl_put_be32(k, market);
	cl_put_be64(b, m->oracle_price);
	cl_put_be64(b + 8, m->oracle_timestamp);
	cl_put_be64(b + 16, m->mark_price);
	cl_put_be64(b + 24, m->open_interest);
	cl_put_be64(b + 32, m->last_trade_price);
	cl_put_be64(b + 40, (uint64_t)m->premium_ema_ppb);
	cl_put_be64(b + 48, m->ema_time);
	cl_put_be64(b + 56, m->breaker_start);
	cl_put_be64(b + 64, m->breaker_anchor);
	cl_put_be64(b + 72, m->vol_var);
	stf_put_i128(b + 80, m->funding_index);
	cl_put_be64(b + 96, m->funding_time);
	cl_put_be64(b + 104, (uint64_t)m->premium_sum_ppb);
	cl_put_be64(b + 112, m->premium_samples);
	cl_put_be64(b + 120, (uint64_t)m->funding_rate_ppb);
	cl_put_be64(b + 128, (uint64_t)m->funding_pool);
	stf_put_i128(b + 136, m->snap_sum);
	cl_put_be64(b + 152, (uint64_t)m->fund_size);
	cl_put_be64(b + 160, (uint64_t)m->fund_cost);
	stf_put_i128(b + 168, m->fund_snap);
	cl_put_be64(b + 184, m->last_trade_time);
	cl_state_put(st, CL_TABLE_MARKETS, k, sizeof(k), b, sizeof(b));
}

/* ---- orders ---- */

static bool cloid_zero(const struct cl_cloid *c)
{
	static const struct cl_cloid zero;
	return memcmp(c->b, zero.b, CL_CLOID_LEN) == 0;
}

/* 67 bytes, or 83 with a client order id (never an all-zero one). */
int cl_stf_get_order(const struct cl_stf_view *v, struct cl_order_record *out,
		     const struct cl_hash32 *hash)
{
	uint8_t b[ORDER_CLOID_VAL_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc = stf_view_get(v, &val, &vlen, CL_TABLE_ORDERS, hash->b, 32);

	memset(out, 0, sizeof(*out));
	if (rc != CL_OK)
		return rc;
	if (vlen != ORDER_VAL_LEN && vlen != ORDER_CLOID_VAL_LEN)
		return corrupt("order", vlen);
	memset(b, 0, sizeof(b));
	memcpy(b, val, vlen);
	memcpy(out->cloid.b, b + ORDER_VAL_LEN, CL_CLOID_LEN);
	if (vlen == ORDER_CLOID_VAL_LEN && cloid_zero(&out->cloid))
		return corrupt("order", vlen);
	memcpy(out->trader.b, b, 20);
	out->market = cl_get_be32(b + 20);
	out->flags = b[24];
	out->is_buy = b[25] == 1;
	out->price = cl_get_be64(b + 26);
	out->size = cl_get_be64(b + 34);
	out->filled = cl_get_be64(b + 42);
	out->expiry = cl_get_be64(b + 50);
	out->status = (enum cl_order_status)b[58];
	out->sequence = cl_get_be64(b + 59);
	if (b[25] > 1 || b[58] < CL_ORDER_OPEN || b[58] > CL_ORDER_DONE ||
	    out->filled > out->size) {
		memset(out, 0, sizeof(*out));
		return corrupt("order", ORDER_VAL_LEN);
	}
	return CL_OK;
}

void stf_put_order(struct cl_state *st, const struct cl_hash32 *hash,
		   const struct cl_order_record *o)
{
	uint8_t b[ORDER_CLOID_VAL_LEN];

	memcpy(b, o->trader.b, 20);
	cl_put_be32(b + 20, o->market);
	b[24] = o->flags;
	b[25] = o->is_buy ? 1 : 0;
	cl_put_be64(b + 26, o->price);
	cl_put_be64(b + 34, o->size);
	cl_put_be64(b + 42, o->filled);
	cl_put_be64(b + 50, o->expiry);
	b[58] = (uint8_t)o->status;
	cl_put_be64(b + 59, o->sequence);
	memcpy(b + ORDER_VAL_LEN, o->cloid.b, CL_CLOID_LEN);
	cl_state_put(st, CL_TABLE_ORDERS, hash->b, 32, b,
		     cloid_zero(&o->cloid) ? ORDER_VAL_LEN
					   : ORDER_CLOID_VAL_LEN);
}

static void cloid_key(uint8_t out[CLOID_KEY_LEN],
		      const struct cl_address *trader,
		      const struct cl_cloid *cloid)
{
	memcpy(out, trader->b, 20);
	memcpy(out + 20, cloid->b, CL_CLOID_LEN);
}

int cl_stf_get_order_by_cloid(const struct cl_stf_view *v,
			      struct cl_hash32 *hash,
			      const struct cl_address *trader,
			      const struct cl_cloid *cloid)
{
	uint8_t k[CLOID_KEY_LEN];

	cloid_key(k, trader, cloid);
	return get_fixed(v, hash->b, 32, CL_TABLE_CLOIDS, k, sizeof(k),
			 "client order id");
}

int cl_stf_cancel_sequence(const struct cl_stf_view *v, uint64_t *seq,
			   const struct cl_hash32 *hash)
{
	struct cl_order_record o;
	struct cl_trigger_record t;
	struct cl_twap_record w;
	int rc = cl_stf_get_order(v, &o, hash);

	*seq = o.sequence;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_trigger(v, &t, hash);
	*seq = t.sequence;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_twap(v, &w, hash);
	*seq = w.sequence;
	return rc;
}

static void open_key(uint8_t out[OPEN_KEY_LEN],
		     const struct cl_address *trader, uint64_t seq)
{
	memcpy(out, trader->b, 20);
	cl_put_be64(out + 20, seq);
}

void stf_put_open(struct cl_state *st, const struct cl_order_record *o,
		  const struct cl_hash32 *hash)
{
	uint8_t k[OPEN_KEY_LEN];

	open_key(k, &o->trader, o->sequence);
	cl_state_put(st, CL_TABLE_ORDERS, k, sizeof(k), hash->b, 32);
	if (!cloid_zero(&o->cloid)) {
		uint8_t ck[CLOID_KEY_LEN];
		cloid_key(ck, &o->trader, &o->cloid);
		cl_state_put(st, CL_TABLE_CLOIDS, ck, sizeof(ck), hash->b, 32);
	}
}

void stf_del_open(struct cl_state *st, const struct cl_order_record *o)
{
	uint8_t k[OPEN_KEY_LEN];

	open_key(k, &o->trader, o->sequence);
	cl_state_del(st, CL_TABLE_ORDERS, k, sizeof(k));
	if (!cloid_zero(&o->cloid)) {
		uint8_t ck[CLOID_KEY_LEN];
		cloid_key(ck, &o->trader, &o->cloid);
		cl_state_del(st, CL_TABLE_CLOIDS, ck, sizeof(ck));
	}
}

int cl_stf_get_open_orders(const struct cl_stf_view *v,
			   struct cl_hash32 *out, size_t cap, size_t *n,
			   const struct cl_address *trader)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	rc = view_iter(v, &it, CL_TABLE_ORDERS, trader->b, 20);
	if (rc != CL_OK)
		return rc;
	while (*n < cap && (rc = cl_state_iter_next(it, &key, &klen, &val,
						     &vlen)) == CL_OK) {
		if (klen < 20 || memcmp(key, trader->b, 20) != 0)
			break;
		if (klen != OPEN_KEY_LEN)
			continue; /* an order hash that starts alike */
		if (vlen != 32) {
			rc = corrupt("open order index", vlen);
			break;
		}
		memcpy(out[*n].b, val, 32);
		(*n)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc != CL_OK)
		*n = 0;
	return rc;
}

/* ---- withdrawals ---- */

int cl_stf_get_withdrawal_leaf(const struct cl_stf_view *v,
			       struct cl_stf_withdrawal *out, uint64_t id)
{
	const uint8_t *val;
	size_t vlen;
	uint8_t k[8];
	int rc;

	memset(out, 0, sizeof(*out));
	cl_put_be64(k, id);
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_WITHDRAWALS, k, sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (vlen != WITHDRAWAL_VAL_LEN && vlen != ASSET_WITHDRAWAL_VAL_LEN)
		return corrupt("withdrawal", vlen);
	if (vlen == ASSET_WITHDRAWAL_VAL_LEN &&
	    cl_get_be32(val + WITHDRAWAL_VAL_LEN) == 0)
		return corrupt("asset withdrawal of asset 0", vlen);
	memcpy(out->recipient.b, val, 20);
	out->amount = cl_get_be64(val + 20);
	if (vlen == ASSET_WITHDRAWAL_VAL_LEN)
		out->asset = cl_get_be32(val + WITHDRAWAL_VAL_LEN);
	return CL_OK;
}

size_t cl_stf_withdrawal_value(uint8_t out[CL_STF_WITHDRAWAL_VAL_MAX],
			       const struct cl_stf_withdrawal *w)
{
	memcpy(out, w->recipient.b, 20);
	cl_put_be64(out + 20, w->amount);
	if (w->asset == 0)
		return WITHDRAWAL_VAL_LEN;
	cl_put_be32(out + WITHDRAWAL_VAL_LEN, w->asset);
	return ASSET_WITHDRAWAL_VAL_LEN;
}

int cl_stf_get_withdrawal(const struct cl_stf_view *v,
			  struct cl_address *recipient, uint64_t *amount,
			  uint64_t id)
{
	struct cl_stf_withdrawal w;
	int rc = cl_stf_get_withdrawal_leaf(v, &w, id);

	if (rc == CL_OK && w.asset != 0) {
		memset(&w, 0, sizeof(w));
		rc = CL_ERR_NOT_FOUND; /* an asset withdrawal */
	}
	*recipient = w.recipient;
	*amount = w.amount;
	return rc;
}

void stf_put_withdrawal(struct cl_state *st, uint64_t id,
			const struct cl_address *recipient, uint64_t amount)
{
	uint8_t k[8], b[WITHDRAWAL_VAL_LEN];

	cl_put_be64(k, id);
	memcpy(b, recipient->b, 20);
	cl_put_be64(b + 20, amount);
	cl_state_put(st, CL_TABLE_WITHDRAWALS, k, sizeof(k), b, sizeof(b));
}

void stf_put_asset_withdrawal(struct cl_state *st, uint64_t id,
			      const struct cl_address *recipient,
			      uint32_t asset, uint64_t amount)
{
	struct cl_stf_withdrawal w = {
		.recipient = *recipient, .amount = amount, .asset = asset};
	uint8_t k[8], b[CL_STF_WITHDRAWAL_VAL_MAX];
	size_t n;

	CL_REQUIRE(asset != 0);
	cl_put_be64(k, id);
	n = cl_stf_withdrawal_value(b, &w);
	cl_state_put(st, CL_TABLE_WITHDRAWALS, k, sizeof(k), b, n);
}
