/* SPDX-License-Identifier: MIT */
/*
 * l2_getAccountProof (docs/api.md, docs/l1.md "Escape"): an account's
 * leaf and its proof against the node's head state root, so that a
 * wallet checks its balance against a posted root; and, for an account
 * the state holds, the escape's proof with the ready-made L1 calls
 * (ClearlineEscape.startEscape and exit), as l2_getWithdrawalProof gives
 * the claim call. Every node mode answers it (the reads go through the
 * chain reader). The calls go to the escape contract, which the rollup's
 * constructor creates as its first and only CREATE: its address is
 * CREATE(rollup, nonce 1), derived from the genesis's rollup address
 * with no L1 call (deploy.js and tests/l1node/escape.js check it
 * against the rollup's escape() view).
 */
#include <stdlib.h>
#include <string.h>

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
};

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
	if (rc != CL_OK || !x->exists)
		return rc;
	rc = cl_stf_get_health(v, &x->h, addr);
	if (rc == CL_OK)
		rc = cl_stf_exit_proof(v, &x->exit, &x->n_positions, addr);
	return rc;
}

struct cl_rpc_done m_account_proof(struct cl_rpc_call *call, json_t *params,
				   void *app)
{
	struct cl_api *api = app;
	struct cl_address addr;
	struct cl_stf_view v;
	struct exit_parts x;

	if (!api_nparams(params, 1) ||
	    !api_get_address(&addr, json_array_get(params, 0)))
		return api_bad_params(call, "expected [address]");
	memset(&x, 0, sizeof(x));
	x.acct = cl_xcalloc(1, sizeof(*x.acct));
	cl_buf_init(&x.exit);
	cl_buf_init(&x.gproof);
	cl_buf_init(&x.dproof);
	int rc = cl_chain_view(&api->reader, &v);
	if (rc == CL_OK) {
		rc = collect(&v, &x, &addr);
		cl_chain_view_release(&v);
	}
	json_t *res = NULL;
	if (rc == CL_OK) {
		struct cl_buf acct, gen, data;
		struct cl_address escape;
		escape_address(&escape, &api->genesis->rollup);
		cl_buf_init(&acct);
		cl_buf_init(&gen);
		cl_buf_init(&data);
		cl_proof_encode(&acct, x.acct);
		cl_genesis_encode(&gen, api->genesis);
		res = json_object();
		json_object_set_new(res, "address", api_addr_json(&addr));
		json_object_set_new(res, "block",
				    cl_json_from_u64(x.g.block_number));
		json_object_set_new(res, "stateRoot", api_hash_json(&x.root));
		json_object_set_new(res, "escape", api_addr_json(&escape));
		json_object_set_new(res, "exists", json_boolean(x.exists));
		json_object_set_new(res, "accountProof",
				    cl_json_from_bytes(acct.p, acct.len));
		json_object_set_new(res, "depositsConsumed",
				    cl_json_from_u64(x.deposits));
		abi_start(&data, &gen, &x.gproof, x.deposits, &x.dproof);
		json_object_set_new(res, "startTx",
				    tx_json(&escape, &data));
		if (x.exists) {
			/* the account value is the proof's first 16 bytes */
			json_object_set_new(res, "accountValue",
					    cl_json_from_bytes(x.exit.p, 16));
			json_object_set_new(res, "collateral",
					    cl_json_from_i64(x.h.collateral));
			json_object_set_new(res, "equity",
					    cl_json_from_i64(x.h.equity));
			json_object_set_new(
			    res, "claim",
			    cl_json_from_i64(x.h.equity > 0 ? x.h.equity : 0));
			json_object_set_new(res, "positions",
					    cl_json_from_u64(x.n_positions));
			json_object_set_new(
			    res, "proof",
			    cl_json_from_bytes(x.exit.p, x.exit.len));
			cl_buf_reset(&data);
			abi_exit(&data, &addr, &x.exit);
			json_object_set_new(
			    res, "tx", tx_json(&escape, &data));
		} else {
			json_object_set_new(res, "accountValue", json_null());
			json_object_set_new(res, "collateral",
					    cl_json_from_i64(0));
			json_object_set_new(res, "equity", cl_json_from_i64(0));
			json_object_set_new(res, "claim", cl_json_from_i64(0));
			json_object_set_new(res, "positions",
					    cl_json_from_u64(0));
			json_object_set_new(res, "proof", json_null());
			json_object_set_new(res, "tx", json_null());
		}
		cl_buf_release(&acct);
		cl_buf_release(&gen);
		cl_buf_release(&data);
	}
	free(x.acct);
	cl_buf_release(&x.exit);
	cl_buf_release(&x.gproof);
	cl_buf_release(&x.dproof);
	if (rc != CL_OK)
		return api_error(call, rc);
	return cl_rpc_result(call, res);
}
