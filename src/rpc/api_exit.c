/* SPDX-License-Identifier: MIT */
/*
 * l2_getAccountProof (docs/api.md, docs/l1.md "Escape"): an account's
 * leaf and its proof against a state root, so that a wallet checks its
 * balance against a posted root; and, for an account the state holds,
 * the escape's proof with the ready-made L1 calls
 * (ClearlineEscape.startEscape and exit), as l2_getWithdrawalProof gives
 * the claim call. Every node mode answers it. exit() is sent by the
 * account itself; a derived account (an isolated account or a
 * subaccount: ACCOUNT_OWNERS names its owner) has no key, so its call is
 * exitDerived(kind, index, proof), sent by its owner and paid to it; an
 * isolated account of a subaccount (its owner has no key either) is
 * exitSubaccountIsolated(sub, market, proof), sent by the subaccount's
 * owner. On a chain with collateral assets the answer adds the account's
 * asset balances and what the escape pays of each (its settlement debt
 * netted against them at the state's index first), and the
 * startAssetRefunds call.
 *
 * Which state: the node's head (read through the chain reader), or the
 * state after a posted batch's last block — by default, once the rollup
 * is frozen, the exit root's batch. A node keeps only its head, so a
 * past state is rebuilt in memory from genesis and the batches on L1
 * (cl_chain_batch_state, the rebuild a dispute game uses), checked
 * against the batch's recorded stateRoot, and kept for the next call
 * (the exit root is the same for every account). One rebuild at a time:
 * a call that finds another one building answers "busy, retry".
 *
 * The calls go to the escape contract, which the rollup's constructor
 * creates as its first and only CREATE: its address is CREATE(rollup,
 * nonce 1), derived from the genesis's rollup address with no L1 call
 * (deploy.js and tests/l1node/escape.js check it against the rollup's
 * escape() view).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/game.h>
#include <clearline/l1.h>

#include "api_int.h"

/* The address of the contract `from` creates with CREATE at `nonce` 1:
 * the last 20 bytes of keccak256(rlp([from, 1])), rlp = 0xd6 0x94 from 0x01
 * (a list of 22 bytes: a 20-byte string, then the single byte 1). */
static void escape_address(struct cl_address *out,
			   const struct cl_address *rollup)
{
	uint8_t rlp[23], h[32];

	rlp[0] = 0xc0 + 22;
	rlp[1] = 0x80 + 20;
	memcpy(rlp + 2, rollup->b, 20);
	rlp[22] = 0x01;
	cl_keccak256(h, rlp, sizeof(rlp));
	memcpy(out->b, h + 12, 20);
}

/* The 4-byte selector of a Solidity signature. */
static void put_selector(struct cl_buf *b, const char *sig)
{
	uint8_t h[32];

	cl_keccak256(h, (const uint8_t *)sig, strlen(sig));
	cl_buf_append(b, h, 4);
}

/* An ABI `bytes` tail: length word, then the data padded to 32 bytes. */
static void put_bytes_tail(struct cl_buf *b, const struct cl_buf *data)
{
	static const uint8_t zero[32];

	cl_l1_abi_put_u64(b, data->len);
	cl_buf_append(b, data->p, data->len);
	if (data->len % 32)
		cl_buf_append(b, zero, 32 - data->len % 32);
}

static uint64_t padded(size_t len)
{
	return 32 + (len + 31) / 32 * 32;
}

/* exit(address account, bytes proof) */
static void abi_exit(struct cl_buf *out, const struct cl_address *addr,
		     const struct cl_buf *proof)
{
	put_selector(out, "exit(address,bytes)");
	cl_l1_abi_put_address(out, addr);
	cl_l1_abi_put_u64(out, 0x40);
	put_bytes_tail(out, proof);
}

/* exitDerived(uint8 kind, uint32 index, bytes proof) */
static void abi_exit_derived(struct cl_buf *out, uint8_t kind, uint32_t index,
			     const struct cl_buf *proof)
{
	put_selector(out, "exitDerived(uint8,uint32,bytes)");
	cl_l1_abi_put_u64(out, kind);
	cl_l1_abi_put_u64(out, index);
	cl_l1_abi_put_u64(out, 0x60);
	put_bytes_tail(out, proof);
}

/* exitSubaccountIsolated(uint32 sub, uint32 market, bytes proof) */
static void abi_exit_sub_isolated(struct cl_buf *out, uint32_t sub,
				  uint32_t market, const struct cl_buf *proof)
{
	put_selector(out, "exitSubaccountIsolated(uint32,uint32,bytes)");
	cl_l1_abi_put_u64(out, sub);
	cl_l1_abi_put_u64(out, market);
	cl_l1_abi_put_u64(out, 0x60);
	put_bytes_tail(out, proof);
}

/* startEscape(bytes genesis, bytes genesisProof, uint64 depositsConsumed,
 * bytes depositsProof) */
static void abi_start(struct cl_buf *out, const struct cl_buf *genesis,
		      const struct cl_buf *gproof, uint64_t deposits,
		      const struct cl_buf *dproof)
{
	uint64_t off = 4 * 32;

	put_selector(out, "startEscape(bytes,bytes,uint64,bytes)");
	cl_l1_abi_put_u64(out, off);
	off += padded(genesis->len);
	cl_l1_abi_put_u64(out, off);
	off += padded(gproof->len);
	cl_l1_abi_put_u64(out, deposits);
	cl_l1_abi_put_u64(out, off);
	put_bytes_tail(out, genesis);
	put_bytes_tail(out, gproof);
	put_bytes_tail(out, dproof);
}

/* startAssetRefunds(uint64 assetDepositsConsumed, bytes proof) */
static void abi_start_assets(struct cl_buf *out, uint64_t consumed,
			     const struct cl_buf *proof)
{
	put_selector(out, "startAssetRefunds(uint64,bytes)");
	cl_l1_abi_put_u64(out, consumed);
	cl_l1_abi_put_u64(out, 0x40);
	put_bytes_tail(out, proof);
}

static json_t *tx_json(const struct cl_address *to, const struct cl_buf *data)
{
	return json_pack("{s:o,s:o}", "to", api_addr_json(to), "data",
			 cl_json_from_bytes(data->p, data->len));
}

static int view_root(const struct cl_stf_view *v, struct cl_hash32 *root)
{
	if (v->snapshot)
		return cl_snapshot_root(v->snapshot, root);
	return cl_state_root(v->state, root);
}

static int view_prove(const struct cl_stf_view *v, struct cl_proof *out,
		      const struct cl_address *addr)
{
	uint8_t key[CL_STF_ACCOUNT_KEY_LEN];

	cl_stf_account_key(key, addr);
	if (v->snapshot)
		return cl_snapshot_prove(v->snapshot, out, CL_TABLE_ACCOUNTS,
					 key, sizeof(key));
	return cl_state_prove(v->state, out, CL_TABLE_ACCOUNTS, key,
			      sizeof(key));
}

struct exit_parts {
	struct cl_hash32 root;
	struct cl_stf_globals g;
	struct cl_proof *acct; /* the account leaf's proof */
	struct cl_health h;
	bool exists;
	size_t n_positions;
	struct cl_buf exit; /* exit()'s proof bytes */
	struct cl_buf gproof, dproof;
	uint64_t deposits;
	/* collateral assets: startAssetRefunds' proof and count; the
	 * account's balances (one per genesis asset) and its settlement
	 * equity (health's equity less the assets' haircut value) */
	struct cl_buf aproof;
	uint64_t asset_deposits;
	struct cl_stf_exit_asset ab[CL_GENESIS_MAX_ASSETS];
	size_t n_ab;
	int64_t settlement;
	/* a derived account: its owner, kind and index; owner_derived when
	 * the owner is a derived account too, of kind up_kind, index
	 * up_index of up_owner; up_derived when that one is as well (the
	 * stf keeps chains at most two long: no call then) */
	bool derived, owner_derived, up_derived;
	struct cl_address owner, up_owner;
	enum cl_stf_account_kind kind, up_kind;
	uint32_t index, up_index;
};

/* ACCOUNT_OWNERS of `addr` and of its owner. */
static int collect_owner(const struct cl_stf_view *v, struct exit_parts *x,
			 const struct cl_address *addr)
{
	struct cl_address top;
	enum cl_stf_account_kind k;
	uint32_t i;
	int rc;

	rc = cl_stf_get_account_owner(v, &x->owner, &x->kind, &x->index, addr);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	x->derived = true;
	rc = cl_stf_get_account_owner(v, &x->up_owner, &x->up_kind,
				      &x->up_index, &x->owner);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	x->owner_derived = true;
	rc = cl_stf_get_account_owner(v, &top, &k, &i, &x->up_owner);
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	x->up_derived = rc == CL_OK;
	return rc;
}

static const char *kind_name(enum cl_stf_account_kind k)
{
	switch (k) {
	case CL_STF_ACCOUNT_ISOLATED:
		return "isolated";
	case CL_STF_ACCOUNT_SUBACCOUNT:
		return "subaccount";
	}
	return "isolated";
}

/* "derived": null, or the owner, kind and index of a derived account. */
static json_t *derived_json(const struct exit_parts *x)
{
	if (!x->derived)
		return json_null();
	return json_pack("{s:o,s:s,s:I}", "owner", api_addr_json(&x->owner),
			 "kind", kind_name(x->kind), "index",
			 (json_int_t)x->index);
}

static int collect(const struct cl_stf_view *v, struct exit_parts *x,
		   const struct cl_address *addr)
{
	int rc = view_root(v, &x->root);

	if (rc == CL_OK)
		rc = cl_stf_get_globals(v, &x->g);
	if (rc == CL_OK)
		rc = view_prove(v, x->acct, addr);
	if (rc != CL_OK)
		return rc;
	x->exists = x->acct->kind == CL_PROOF_INCLUSION;
	rc = cl_stf_escape_proofs(v, &x->gproof, &x->dproof, &x->deposits);
	if (rc == CL_OK && v->genesis->n_assets > 0)
		rc = cl_stf_escape_asset_proof(v, &x->aproof,
					       &x->asset_deposits);
	if (rc == CL_OK)
		rc = collect_owner(v, x, addr);
	if (rc != CL_OK || !x->exists)
		return rc;
	rc = cl_stf_get_health(v, &x->h, addr);
	if (rc == CL_OK)
		rc = cl_stf_exit_proof(v, &x->exit, &x->n_positions, addr);
	if (rc == CL_OK)
		rc = cl_stf_exit_assets(v, x->ab, &x->n_ab, &x->settlement,
					addr);
	return rc;
}


/* ---- the state after a posted batch, kept between calls ---- */

struct api_exit_state {
	pthread_mutex_t lock;
	char *l1_url;
	uint64_t from_block, range;
	bool building;		   /* a rebuild runs outside the lock */
	struct cl_game_rebuild *r; /* NULL: none kept */
	uint64_t batch;		   /* r is the state after this batch */
	struct cl_hash32 root;	   /* ... whose stateRoot this is */
	uint64_t last_block;
};

void cl_api_exit_init(struct cl_api *api, const char *l1_url,
		      uint64_t from_block, uint64_t log_range)
{
	struct api_exit_state *e;

	CL_REQUIRE(api->exit_state == NULL);
	if (!l1_url)
		return;
	e = cl_xcalloc(1, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	e->l1_url = cl_xstrdup(l1_url);
	e->from_block = from_block;
	e->range = log_range;
	api->exit_state = e;
}

void cl_api_exit_release(struct cl_api *api)
{
	struct api_exit_state *e = api->exit_state;

	if (!e)
		return;
	cl_game_rebuild_free(e->r);
	pthread_mutex_destroy(&e->lock);
	free(e->l1_url);
	free(e);
	api->exit_state = NULL;
}

/* Rebuild the state after `batch` (outside the lock; e->building is
 * ours), continuing from `r` (the kept state after `kept`, or NULL)
 * when that batch is still live with the same root. */
static int rebuild(struct cl_api *api, struct api_exit_state *e,
		   struct cl_l1_rpc *l1, struct cl_game_rebuild **r,
		   struct cl_l1_batch_event *rec, uint64_t kept,
		   const struct cl_hash32 *kept_root, uint64_t batch)
{
	const struct cl_address *rollup = &api->genesis->rollup;
	uint64_t first = 0, t0 = cl_clock_mono_ns();
	int rc;

	if (*r) {
		struct cl_l1_batch_event k;

		rc = cl_l1_batch_record(l1, rollup, &k, kept, e->from_block,
					e->range);
		if (rc || !cl_hash32_eq(&k.state_root, kept_root) ||
		    cl_game_rebuild_head(*r) != k.last_block) {
			cl_game_rebuild_free(*r);
			*r = NULL;
		} else {
			first = kept + 1;
		}
	}
	rc = cl_chain_batch_state(r, rec, l1, rollup, e->from_block, e->range,
				  api->genesis, first, batch);
	if (rc)
		cl_unusual("rpc",
			   "cannot rebuild the state after batch %llu from "
			   "L1: %s",
			   (unsigned long long)batch, cl_err_str(rc));
	else
		cl_info("rpc",
			"rebuilt the state after batch %llu (block %llu) "
			"from L1 in %llu ms, from batch %llu",
			(unsigned long long)batch,
			(unsigned long long)rec->last_block,
			(unsigned long long)((cl_clock_mono_ns() - t0) /
					     1000000),
			(unsigned long long)first);
	return rc;
}

/*
 * Collect the parts against the state after live batch `batch`, whose
 * stateRoot is `known` when the caller knows it (the exit root: final,
 * it cannot change) or else read from its live record. The head serves
 * when it is that state; else the kept state, rebuilt first when it is
 * not that batch's. CL_ERR_BUSY when another call is rebuilding.
 */
static int past_collect(struct cl_api *api, struct cl_l1_rpc *l1,
			struct exit_parts *x, const struct cl_address *addr,
			uint64_t batch, const struct cl_hash32 *known)
{
	struct api_exit_state *e = api->exit_state;
	struct cl_l1_batch_event rec;
	struct cl_hash32 want, head;
	struct cl_stf_view v;
	int rc;

	if (known) {
		want = *known;
	} else {
		rc = cl_l1_batch_record(l1, &api->genesis->rollup, &rec, batch,
					e->from_block, e->range);
		if (rc)
			return rc;
		want = rec.state_root;
	}
	rc = cl_chain_view(&api->reader, &v);
	if (rc)
		return rc;
	rc = view_root(&v, &head);
	if (!rc && cl_hash32_eq(&head, &want))
		rc = collect(&v, x, addr);
	cl_chain_view_release(&v);
	if (rc || cl_hash32_eq(&head, &want))
		return rc;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (e->r && e->batch == batch && cl_hash32_eq(&e->root, &want)) {
			struct cl_stf_view pv = {
			    .genesis = api->genesis,
			    .state = cl_game_rebuild_state(e->r),
			};
			rc = collect(&pv, x, addr);
			break;
		}
		if (e->building) {
			rc = CL_ERR_BUSY;
			break;
		}
		/* ours to rebuild: the kept state is taken out (one state
		 * in memory at a time) and continued when it is earlier */
		struct cl_game_rebuild *r = e->r;
		uint64_t kept = e->batch;
		struct cl_hash32 kept_root = e->root;

		e->r = NULL;
		if (r && kept >= batch) {
			cl_game_rebuild_free(r);
			r = NULL;
		}
		e->building = true;
		pthread_mutex_unlock(&e->lock);
		rc = rebuild(api, e, l1, &r, &rec, kept, &kept_root, batch);
		pthread_mutex_lock(&e->lock);
		e->building = false;
		if (rc)
			break;
		e->r = r;
		e->batch = batch;
		e->root = rec.state_root;
		e->last_block = rec.last_block;
		if (!cl_hash32_eq(&rec.state_root, &want)) {
			/* the exit root is final; another root means L1
			 * answered two different records of one batch */
			if (known) {
				rc = CL_ERR_CORRUPT;
				break;
			}
			want = rec.state_root; /* replaced since: the live one */
		}
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- the method ---- */

enum at_kind { AT_DEFAULT, AT_HEAD, AT_EXIT, AT_BATCH };

/* The second parameter: absent or null, "head", "exit" or
 * {"batch": N}. */
static bool parse_at(enum at_kind *k, uint64_t *batch, const json_t *v)
{
	static const char *const keys[] = {"batch", NULL};

	*batch = 0;
	*k = AT_DEFAULT;
	if (!v || json_is_null(v))
		return true;
	if (json_is_string(v)) {
		if (!strcmp(json_string_value(v), "head"))
			*k = AT_HEAD;
		else if (!strcmp(json_string_value(v), "exit"))
			*k = AT_EXIT;
		else
			return false;
		return true;
	}
	if (!api_exact_keys(v, keys) ||
	    !cl_json_uint(batch, json_object_get(v, "batch"), UINT64_MAX - 1))
		return false;
	*k = AT_BATCH;
	return true;
}

/* Each asset the account holds and what the escape pays of it
 * (cl_stf_exit_assets: a settlement debt is netted against them). */
static json_t *assets_json(const struct exit_parts *x)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < x->n_ab; i++) {
		const struct cl_stf_exit_asset *a = &x->ab[i];

		json_array_append_new(
		    arr, json_pack("{s:I,s:o,s:o,s:o,s:o}", "asset",
				   (json_int_t)a->asset, "balance",
				   cl_json_from_i64(a->balance), "index",
				   cl_json_from_u64(a->index), "value",
				   cl_json_from_i64(a->value), "paid",
				   cl_json_from_u64(a->paid)));
	}
	return arr;
}

static const char *at_name(enum at_kind k)
{
	switch (k) {
	case AT_DEFAULT:
	case AT_HEAD:
		return "head";
	case AT_EXIT:
		return "exit";
	case AT_BATCH:
		return "batch";
	}
	return "head";
}

static json_t *answer(struct cl_api *api, const struct cl_address *addr,
		      struct exit_parts *x, enum at_kind at, bool has_batch,
		      uint64_t batch, bool has_freeze,
		      const struct cl_chain_freeze *fz, bool empty_state)
{
	struct cl_buf acct, gen, data;
	struct cl_address escape;
	json_t *res = json_object();

	escape_address(&escape, &api->genesis->rollup);
	cl_buf_init(&acct);
	cl_buf_init(&gen);
	cl_buf_init(&data);
	json_object_set_new(res, "address", api_addr_json(addr));
	json_object_set_new(res, "at", json_string(at_name(at)));
	json_object_set_new(res, "batch", has_batch ? cl_json_from_u64(batch)
						    : json_null());
	json_object_set_new(res, "block",
			    empty_state ? json_null()
					: cl_json_from_u64(x->g.block_number));
	json_object_set_new(res, "stateRoot", api_hash_json(&x->root));
	json_object_set_new(res, "frozen", has_freeze
					       ? json_boolean(fz->frozen)
					       : json_null());
	json_object_set_new(res, "exitRoot",
			    has_freeze && fz->frozen
				? api_hash_json(&fz->exit_root)
				: json_null());
	json_object_set_new(res, "isExitRoot",
			    json_boolean(has_freeze && fz->frozen &&
					 cl_hash32_eq(&x->root, &fz->exit_root)));
	json_object_set_new(res, "escape", api_addr_json(&escape));
	json_object_set_new(res, "exists", json_boolean(x->exists));
	json_object_set_new(res, "derived", derived_json(x));
	if (empty_state) {
		/* a zero exit root: startEscape takes empty arguments */
		json_object_set_new(res, "accountProof", json_null());
		cl_buf_reset(&gen);
	} else {
		cl_proof_encode(&acct, x->acct);
		json_object_set_new(res, "accountProof",
				    cl_json_from_bytes(acct.p, acct.len));
		cl_genesis_encode(&gen, api->genesis);
	}
	json_object_set_new(res, "depositsConsumed",
			    cl_json_from_u64(x->deposits));
	abi_start(&data, &gen, &x->gproof, x->deposits, &x->dproof);
	json_object_set_new(res, "startTx", tx_json(&escape, &data));
	if (api->genesis->n_assets > 0) {
		cl_buf_reset(&data);
		abi_start_assets(&data, x->asset_deposits, &x->aproof);
		json_object_set_new(res, "assetDepositsConsumed",
				    cl_json_from_u64(x->asset_deposits));
		json_object_set_new(res, "assetStartTx",
				    tx_json(&escape, &data));
	} else {
		json_object_set_new(res, "assetDepositsConsumed", json_null());
		json_object_set_new(res, "assetStartTx", json_null());
	}
	if (x->exists) {
		/* the account value is the proof's first 16 bytes */
		json_object_set_new(res, "accountValue",
				    cl_json_from_bytes(x->exit.p, 16));
		json_object_set_new(res, "collateral",
				    cl_json_from_i64(x->h.collateral));
		/* the escape's: the settlement part (assets are paid in
		 * their own tokens, "assets") */
		json_object_set_new(res, "equity",
				    cl_json_from_i64(x->settlement));
		json_object_set_new(
		    res, "claim",
		    cl_json_from_i64(x->settlement > 0 ? x->settlement : 0));
		json_object_set_new(res, "assets", assets_json(x));
		json_object_set_new(res, "positions",
				    cl_json_from_u64(x->n_positions));
		json_object_set_new(res, "proof",
				    cl_json_from_bytes(x->exit.p, x->exit.len));
		cl_buf_reset(&data);
		if (!x->derived) {
			abi_exit(&data, addr, &x->exit);
			json_object_set_new(res, "tx", tx_json(&escape, &data));
			json_object_set_new(res, "sender", api_addr_json(addr));
		} else if (!x->owner_derived) {
			abi_exit_derived(&data, (uint8_t)x->kind, x->index,
					 &x->exit);
			json_object_set_new(res, "tx", tx_json(&escape, &data));
			json_object_set_new(res, "sender",
					    api_addr_json(&x->owner));
		} else if (!x->up_derived && x->kind == CL_STF_ACCOUNT_ISOLATED &&
			   x->up_kind == CL_STF_ACCOUNT_SUBACCOUNT) {
			abi_exit_sub_isolated(&data, x->up_index, x->index,
					      &x->exit);
			json_object_set_new(res, "tx", tx_json(&escape, &data));
			json_object_set_new(res, "sender",
					    api_addr_json(&x->up_owner));
		} else {
			json_object_set_new(res, "tx", json_null());
			json_object_set_new(res, "sender", json_null());
		}
	} else {
		json_object_set_new(res, "accountValue", json_null());
		json_object_set_new(res, "collateral", cl_json_from_i64(0));
		json_object_set_new(res, "equity", cl_json_from_i64(0));
		json_object_set_new(res, "claim", cl_json_from_i64(0));
		json_object_set_new(res, "assets", json_array());
		json_object_set_new(res, "positions", cl_json_from_u64(0));
		json_object_set_new(res, "proof", json_null());
		json_object_set_new(res, "tx", json_null());
		json_object_set_new(res, "sender", json_null());
	}
	cl_buf_release(&acct);
	cl_buf_release(&gen);
	cl_buf_release(&data);
	return res;
}

struct cl_rpc_done m_account_proof(struct cl_rpc_call *call, json_t *params,
				   void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_chain_freeze fz;
	struct cl_l1_rpc *l1 = NULL;
	struct exit_parts x;
	enum at_kind at;
	uint64_t batch;
	bool has_freeze = false, has_batch = false, empty = false;
	size_t n = json_is_array(params) ? json_array_size(params) : 0;
	int rc = CL_OK;

	if (n < 1 || n > 2 ||
	    !api_get_address(&addr, json_array_get(params, 0)) ||
	    !parse_at(&at, &batch, json_array_get(params, 1)))
		return api_bad_params(call, "expected [address] or [address, "
					    "\"head\" | \"exit\" | "
					    "{\"batch\": N}]");
	memset(&fz, 0, sizeof(fz));
	if (api->exit_state) {
		l1 = cl_l1_rpc_new(api->exit_state->l1_url, NULL);
		if (!l1)
			return api_error(call, CL_ERR_NET);
		rc = cl_chain_freeze_read(l1, &api->genesis->rollup, &fz);
		has_freeze = rc == CL_OK;
	}
	if (!has_freeze && at != AT_HEAD && (at != AT_DEFAULT || l1)) {
		cl_l1_rpc_free(l1);
		if (l1)
			return cl_rpc_error(call, CL_API_ERR_BUSY,
					    "cannot read the rollup on L1: %s",
					    cl_err_str(rc));
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_BLOCK,
				    "unknown block: this node has no L1, it "
				    "proves against its head only");
	}
	if (at == AT_DEFAULT)
		at = fz.frozen ? AT_EXIT : AT_HEAD;
	if (at == AT_EXIT && !fz.frozen) {
		cl_l1_rpc_free(l1);
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_BLOCK,
				    "unknown block: the rollup is not frozen, "
				    "it has no exit root");
	}
	if (at == AT_EXIT) {
		empty = fz.exit_batches == 0;
		batch = empty ? 0 : fz.exit_batches - 1;
	}
	has_batch = (at == AT_EXIT && !empty) || at == AT_BATCH;

	memset(&x, 0, sizeof(x));
	x.acct = cl_xcalloc(1, sizeof(*x.acct));
	cl_buf_init(&x.exit);
	cl_buf_init(&x.gproof);
	cl_buf_init(&x.dproof);
	cl_buf_init(&x.aproof);
	if (empty) {
		/* no batch was final at the freeze: nothing to prove */
	} else if (at == AT_HEAD) {
		struct cl_stf_view v;

		rc = cl_chain_view(&api->reader, &v);
		if (rc == CL_OK) {
			rc = collect(&v, &x, &addr);
			cl_chain_view_release(&v);
		}
	} else {
		rc = past_collect(api, l1, &x, &addr, batch,
				  at == AT_EXIT ? &fz.exit_root : NULL);
	}
	cl_l1_rpc_free(l1);
	json_t *res = NULL;
	if (rc == CL_OK)
		res = answer(api, &addr, &x, at, has_batch, batch, has_freeze,
			     &fz, empty);
	free(x.acct);
	cl_buf_release(&x.exit);
	cl_buf_release(&x.gproof);
	cl_buf_release(&x.dproof);
	cl_buf_release(&x.aproof);
	if (rc == CL_ERR_BUSY)
		return cl_rpc_error(call, CL_API_ERR_BUSY,
				    "busy: the state of a posted batch is being "
				    "rebuilt from L1, retry");
	if (rc == CL_ERR_NOT_FOUND && at == AT_BATCH)
		return cl_rpc_error(call, CL_API_ERR_UNKNOWN_BLOCK,
				    "unknown block: batch %llu is not a live "
				    "batch on L1",
				    (unsigned long long)batch);
	if (rc == CL_ERR_CORRUPT && at != AT_HEAD)
		return cl_rpc_error(call, CL_RPC_INTERNAL_ERROR,
				    "internal error: the batches on L1 do not "
				    "replay to the stateRoot of batch %llu",
				    (unsigned long long)batch);
	if (rc != CL_OK)
		return api_error(call, rc);
	return cl_rpc_result(call, res);
}
