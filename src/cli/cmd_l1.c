/* SPDX-License-Identifier: MIT */
/*
 * Commands that send L1 transactions themselves: asset-deposit, the
 * approve and deposit of a collateral asset on the rollup's assets
 * contract (docs/l1.md "Collateral assets"), signed with the selected key
 * (an EIP-1559 transaction, cl_tx1559_sign) and sent to --l1-rpc through
 * the same JSON-RPC client as the node's calls. Each transaction is
 * estimated first (a revert is refused before anything is sent) and
 * waited for until its receipt is there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"

/* How long a transaction may take to be mined, and the poll period. */
#define L1_WAIT_MS 120000u
#define L1_POLL_MS 250u

/* One call to the L1 node instead of the L2 node. */
static int l1_call(struct cl_cli *cli, json_t **result, const char *url,
		   const char *method, json_t *params)
{
	const char *l2 = cli->rpc_url;

	cli->rpc_url = url;
	int rc = cl_cli_call(cli, result, method, params);
	cli->rpc_url = l2;
	return rc;
}

/* A strict Ethereum quantity: "0x", 1..16 hex digits, no leading zero. */
static bool qty(uint64_t *out, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	*out = 0;
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x' ||
	    (s[2] == '0' && n != 3))
		return false;
	for (size_t i = 2; i < n; i++) {
		int d;
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return false;
		*out = (*out << 4) | (uint64_t)d;
	}
	return true;
}

static json_t *addr_json(const struct cl_address *a)
{
	char b[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(b, a);
	return json_string(b);
}

static void put_selector(struct cl_buf *b, const char *sig)
{
	uint8_t h[32];
	cl_keccak256(h, (const uint8_t *)sig, strlen(sig));
	cl_buf_append(b, h, 4);
}

static void put_address(struct cl_buf *b, const struct cl_address *a)
{
	static const uint8_t zero[12];
	cl_buf_append(b, zero, 12);
	cl_buf_append(b, a->b, 20);
}

/* eth_call of `to` with `data`; the return data decoded into out. */
static int view(struct cl_cli *cli, struct cl_buf *out, const char *url,
		const struct cl_address *to, const struct cl_buf *data)
{
	char *hex = cl_hex_encode_alloc(data->p, data->len, true);
	json_t *r;
	int rc = l1_call(cli, &r, url, "eth_call",
			 json_pack("[{s:o,s:s},s]", "to", addr_json(to), "data",
				   hex, "latest"));

	free(hex);
	if (rc)
		return rc;
	const char *s = json_string_value(r);
	cl_buf_reset(out);
	size_t n = s ? strlen(s) : 0;
	if (!s || n < 2 || (n - 2) % 2 || n - 2 > 2 * 4096) {
		json_decref(r);
		cli_errorf(cli,
			   "eth_call: the L1 node's answer is not hex data");
		return CL_CLI_EXIT_FAILED;
	}
	cl_buf_reserve(out, (n - 2) / 2 + 1);
	size_t got = 0;
	if (!cl_hex_decode_var(out->p, (n - 2) / 2 + 1, &got, s, n,
			       CL_HEX_0X)) {
		json_decref(r);
		cli_errorf(cli,
			   "eth_call: the L1 node's answer is not hex data");
		return CL_CLI_EXIT_FAILED;
	}
	out->len = got;
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* A word that holds a value of at most `max`. */
static bool word_small(uint64_t *out, const uint8_t *w, uint64_t max)
{
	for (int i = 0; i < 24; i++)
		if (w[i])
			return false;
	*out = cl_get_be64(w + 24);
	return *out <= max;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* What one transaction needs besides its calldata. */
struct l1_ctx {
	const char *url;
	uint64_t chain_id;
	struct cl_address from;
};

/*
 * Sign and send `data` to `to` from the selected key and wait for the
 * receipt. The gas limit is the estimate plus a quarter (an estimate that
 * reverts is refused here: nothing is sent); the fee cap twice the base
 * fee plus the tip. *receipt is the receipt (a new reference) on success.
 */
static int send_tx(struct cl_cli *cli, json_t **receipt, const struct l1_ctx *x,
		   const struct cl_address *to, const struct cl_buf *data,
		   const char *what)
{
	struct cl_tx1559 tx;
	struct cl_buf raw;
	struct cl_hash32 h;
	json_t *r;
	uint64_t gas, base, tip = 1000000000u, nonce;
	char *hex;
	int rc;

	*receipt = NULL;
	hex = cl_hex_encode_alloc(data->p, data->len, true);
	rc = l1_call(cli, &r, x->url, "eth_estimateGas",
		     json_pack("[{s:o,s:o,s:s}]", "from", addr_json(&x->from),
			       "to", addr_json(to), "data", hex));
	free(hex);
	if (rc) {
		cli_errorf(cli, "%s: the L1 refuses the transaction (above)",
			   what);
		return rc;
	}
	bool ok = qty(&gas, r);
	json_decref(r);
	if (!ok || gas > 30000000u) {
		cli_errorf(cli, "%s: unusable gas estimate", what);
		return CL_CLI_EXIT_FAILED;
	}
	rc = l1_call(cli, &r, x->url, "eth_getBlockByNumber",
		     json_pack("[s,b]", "latest", 0));
	if (rc)
		return rc;
	ok = json_is_object(r) &&
	     qty(&base, json_object_get(r, "baseFeePerGas"));
	json_decref(r);
	if (!ok || base > UINT64_MAX / 4) {
		cli_errorf(cli, "eth_getBlockByNumber: no usable base fee");
		return CL_CLI_EXIT_FAILED;
	}
	rc = l1_call(cli, &r, x->url, "eth_getTransactionCount",
		     json_pack("[o,s]", addr_json(&x->from), "pending"));
	if (rc)
		return rc;
	ok = qty(&nonce, r);
	json_decref(r);
	if (!ok) {
		cli_errorf(cli, "eth_getTransactionCount: not a quantity");
		return CL_CLI_EXIT_FAILED;
	}

	memset(&tx, 0, sizeof(tx));
	tx.chain_id = x->chain_id;
	tx.nonce = nonce;
	tx.max_priority_fee_per_gas = tip;
	tx.max_fee_per_gas = 2 * base + tip;
	tx.gas_limit = gas + gas / 4;
	tx.has_to = true;
	tx.to = *to;
	tx.data = data->p;
	tx.data_len = data->len;
	cl_buf_init(&raw);
	if (cl_tx1559_sign(&raw, &h, cli->key, &tx) != CL_OK) {
		cl_buf_release(&raw);
		cli_errorf(cli, "%s: cannot sign the transaction", what);
		return CL_CLI_EXIT_FAILED;
	}
	hex = cl_hex_encode_alloc(raw.p, raw.len, true);
	cl_buf_release(&raw);
	rc = l1_call(cli, &r, x->url, "eth_sendRawTransaction",
		     json_pack("[s]", hex));
	free(hex);
	if (rc)
		return rc;
	json_decref(r);

	char hh[67];
	cl_hex_encode(hh, h.b, 32, true);
	for (unsigned waited = 0; waited <= L1_WAIT_MS; waited += L1_POLL_MS) {
		rc = l1_call(cli, &r, x->url, "eth_getTransactionReceipt",
			     json_pack("[s]", hh));
		if (rc)
			return rc;
		if (json_is_object(r)) {
			const char *st =
			    json_string_value(json_object_get(r, "status"));
			if (!st || strcmp(st, "0x1") != 0) {
				cli_errorf(cli,
					   "%s: transaction %s reverted "
					   "on L1",
					   what, hh);
				json_decref(r);
				return CL_CLI_EXIT_FAILED;
			}
			*receipt = r;
			return CL_CLI_EXIT_OK;
		}
		json_decref(r);
		sleep_ms(L1_POLL_MS);
	}
	cli_errorf(cli, "%s: transaction %s not mined within %u s", what, hh,
		   L1_WAIT_MS / 1000);
	return CL_CLI_EXIT_FAILED;
}

/* The AssetDeposit id in the deposit's receipt, from the assets
 * contract's log. */
static bool deposit_id(uint64_t *id, const json_t *receipt,
		       const struct cl_address *assets)
{
	static const char ev[] =
	    "AssetDeposit(uint64,uint32,address,uint64,uint64)";
	uint8_t topic[32], t0[32], t1[32];
	struct cl_address a;
	const json_t *logs = json_object_get(receipt, "logs"), *l;
	size_t i;

	cl_keccak256(topic, (const uint8_t *)ev, strlen(ev));
	json_array_foreach(logs, i, l)
	{
		const char *addr =
		    json_string_value(json_object_get(l, "address"));
		const json_t *ts = json_object_get(l, "topics");
		const char *s0 = json_string_value(json_array_get(ts, 0));
		const char *s1 = json_string_value(json_array_get(ts, 1));
		if (!addr || !s0 || !s1 || !cli_parse_address(&a, addr) ||
		    !cl_address_eq(&a, assets) ||
		    !cl_hex_decode(t0, 32, s0, strlen(s0), CL_HEX_0X) ||
		    memcmp(t0, topic, 32) != 0 ||
		    !cl_hex_decode(t1, 32, s1, strlen(s1), CL_HEX_0X))
			continue;
		return word_small(id, t1, UINT64_MAX);
	}
	return false;
}

int cli_cmd_asset_deposit(struct cl_cli *cli, const struct cli_args *a)
{
	struct l1_ctx x = {.url = a->val[OPT_L1_RPC]};
	struct cl_address to, assets;
	struct cl_buf cd, ret;
	char err[CL_CLI_ERR_MAX], buf[CL_DEC_STR_MAX + 64];
	uint64_t l2_atoms, dec, id, shift;
	json_t *r;
	bool ok;
	int rc;

	if (!x.url)
		return cli_usage(cli, a->cmd, "--l1-rpc URL is required");
	if (a->set[OPT_TO] && !cli_parse_address(&to, a->val[OPT_TO]))
		return cli_usage(cli, a->cmd, "--to: not an address: %s",
				 a->val[OPT_TO]);
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	cl_seckey_address(&x.from, cli->key);
	if (!a->set[OPT_TO])
		to = x.from;
	const struct cl_cli_asset *ca =
	    cl_cli_asset_find(&cli->config, a->pos[0]);
	if (!ca)
		return cli_usage(cli, a->cmd,
				 "%s: not a collateral asset of this chain",
				 a->pos[0]);
	if (!cl_cli_parse_amount(&l2_atoms, err, sizeof(err), ca->decimals,
				 a->pos[1]) ||
	    l2_atoms > INT64_MAX)
		return cli_usage(cli, a->cmd, "%s", err[0] ? err : "too large");

	/* the L1: its chain, the assets contract and the token's scale */
	rc = l1_call(cli, &r, x.url, "eth_chainId", NULL);
	if (rc)
		return rc;
	ok = qty(&x.chain_id, r);
	json_decref(r);
	if (!ok || x.chain_id != cli->config.l1_chain_id) {
		cli_errorf(cli, "the L1 at %s is not chain %llu of this rollup",
			   x.url, (unsigned long long)cli->config.l1_chain_id);
		return CL_CLI_EXIT_FAILED;
	}
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	put_selector(&cd, "assets()");
	rc = view(cli, &ret, x.url, &cli->config.rollup, &cd);
	if (!rc) {
		bool bad = ret.len != 32;
		for (int i = 0; !bad && i < 12; i++)
			bad = ret.p[i] != 0;
		if (bad) {
			cli_errorf(cli, "assets(): the rollup's answer is not "
					"an address");
			rc = CL_CLI_EXIT_FAILED;
		} else {
			memcpy(assets.b, ret.p + 12, 20);
		}
	}
	if (!rc) {
		cl_buf_reset(&cd);
		put_selector(&cd, "assetOf(address)");
		put_address(&cd, &ca->token);
		rc = view(cli, &ret, x.url, &assets, &cd);
	}
	if (!rc && (ret.len != 64 || !word_small(&id, ret.p, UINT32_MAX) ||
		    !word_small(&shift, ret.p + 32, 18) || id != ca->id)) {
		cli_errorf(cli,
			   "the L1 assets contract does not list %s as "
			   "asset %u",
			   ca->symbol, (unsigned)ca->id);
		rc = CL_CLI_EXIT_FAILED;
	}
	if (!rc) {
		cl_buf_reset(&cd);
		put_selector(&cd, "decimals()");
		rc = view(cli, &ret, x.url, &ca->token, &cd);
		if (!rc && (ret.len != 32 || !word_small(&dec, ret.p, 255))) {
			cli_errorf(cli, "%s: decimals() is not a uint8",
				   ca->symbol);
			rc = CL_CLI_EXIT_FAILED;
		}
	}
	if (rc)
		goto out;

	/* token atoms = L2 atoms x 10^shift (at most 2^63 x 10^18) */
	unsigned __int128 atoms = l2_atoms;
	for (uint64_t i = 0; i < shift; i++)
		atoms *= 10;
	uint8_t amount[32] = {0};
	for (int i = 31; i >= 16; i--, atoms >>= 8)
		amount[i] = (uint8_t)atoms;

	/* approve, then deposit */
	cl_buf_reset(&cd);
	put_selector(&cd, "approve(address,uint256)");
	put_address(&cd, &assets);
	cl_buf_append(&cd, amount, 32);
	rc = send_tx(cli, &r, &x, &ca->token, &cd, "approve");
	if (rc)
		goto out;
	json_decref(r);
	cl_buf_reset(&cd);
	put_selector(&cd, "deposit(address,address,uint256)");
	put_address(&cd, &ca->token);
	put_address(&cd, &to);
	cl_buf_append(&cd, amount, 32);
	rc = send_tx(cli, &r, &x, &assets, &cd, "deposit");
	if (rc)
		goto out;
	if (!deposit_id(&id, r, &assets)) {
		json_decref(r);
		cli_errorf(cli,
			   "deposit: no AssetDeposit event in the receipt");
		rc = CL_CLI_EXIT_FAILED;
		goto out;
	}
	if (cli->json) {
		json_t *o = json_pack(
		    "{s:I,s:s,s:I,s:o,s:s,s:O?}", "assetDepositId",
		    (json_int_t)id, "asset", ca->symbol, "assetId",
		    (json_int_t)ca->id, "to", addr_json(&to), "amount",
		    a->pos[1], "txHash", json_object_get(r, "transactionHash"));
		cli_print_json(cli, o);
		json_decref(o);
	} else {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
		cli_kv(cli, "asset deposit id", buf);
		cli_kv(cli, "asset", ca->symbol);
		cl_dec_format_u64(buf, l2_atoms, ca->decimals);
		cli_kv(cli, "amount", buf);
		cl_address_format(buf, &to);
		cli_kv(cli, "to", buf);
		cli_fmt_text(buf, sizeof(buf),
			     json_object_get(r, "transactionHash"));
		cli_kv(cli, "l1 tx", buf);
	}
	json_decref(r);
out:
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}
