/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets out (docs/cli.md "withdraw", "subaccount-transfer";
 * docs/margin.md "Taking an asset out"): withdraw --asset and
 * subaccount-transfer --asset sign an AssetWithdraw or a
 * SubaccountAssetTransfer. The asset is named by symbol or id and its
 * L2 decimals come from l2_getAccount's collateralAssets.
 */
#include "cli_int.h"

#include <string.h>

/* The selected key's address, the account's nonce, and the asset `name`
 * (a symbol or an id) from the account's collateralAssets. */
static int prepare(struct cl_cli *cli, const struct cli_args *a,
		   struct cl_address *trader, uint64_t *nonce, uint32_t *asset,
		   unsigned *decimals, const char *name)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	json_t *p, *r, *as, *e;
	size_t i;
	int rc = cli_load_key(cli, a->cmd);

	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	cl_seckey_address(trader, cli->key);
	cl_address_format(s, trader);
	p = json_array();
	json_array_append_new(p, json_string(s));
	rc = cl_cli_call(cli, &r, "l2_getAccount", p);
	if (rc)
		return rc;
	if (!cli_json_u64(nonce, json_object_get(r, "nonce"))) {
		cli_errorf(cli, "l2_getAccount: the answer has no usable "
				"nonce");
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	as = json_object_get(r, "collateralAssets");
	json_array_foreach(as, i, e)
	{
		const char *sym =
		    json_string_value(json_object_get(e, "symbol"));
		uint64_t id, dec;
		char ids[24];

		if (!cli_json_u64(&id, json_object_get(e, "asset")) ||
		    id == 0 || id > UINT32_MAX ||
		    !cli_json_u64(&dec, json_object_get(e, "decimals")) ||
		    dec > 18)
			continue;
		snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
		if ((sym && strcmp(sym, name) == 0) || strcmp(ids, name) == 0) {
			*asset = (uint32_t)id;
			*decimals = (unsigned)dec;
			json_decref(r);
			return CL_CLI_EXIT_OK;
		}
	}
	json_decref(r);
	return cli_usage(cli, a->cmd,
			 "--asset: no collateral asset '%s' on "
			 "this chain",
			 name);
}

int cli_asset_withdraw(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_asset_withdraw m;
	struct cl_hash32 digest;
	char to[CL_ADDRESS_STR_LEN + 1], from[CL_ADDRESS_STR_LEN + 1];
	char err[CL_CLI_ERR_MAX], buf[CL_DEC_STR_MAX + 64];
	unsigned dec = 0;
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (cl_dec_check(a->pos[0], strlen(a->pos[0])) != CL_DEC_OK)
		return cli_usage(cli, a->cmd, "amount '%s': not a decimal",
				 a->pos[0]);
	if (a->set[OPT_TO] && !cli_parse_address(&m.recipient, a->val[OPT_TO]))
		return cli_usage(cli, a->cmd, "--to: not an address: %s",
				 a->val[OPT_TO]);
	rc = prepare(cli, a, &m.trader, &m.nonce, &m.asset, &dec,
		     a->val[OPT_ASSET]);
	if (rc)
		return rc;
	if (!cl_cli_parse_amount(&m.amount, err, sizeof(err), dec, a->pos[0]))
		return cli_usage(cli, a->cmd, "%s", err);
	if (!a->set[OPT_TO])
		m.recipient = m.trader;
	cl_asset_withdraw_digest(&digest, &cli->config.domain, &m);
	cl_address_format(from, &m.trader);
	cl_address_format(to, &m.recipient);
	rc = cli_sign_submit(cli, &r, "l2_withdrawAsset",
			     json_pack("{s:s,s:s,s:I,s:o,s:o}", "trader", from,
				       "recipient", to, "asset",
				       (json_int_t)m.asset, "amount",
				       cl_json_from_u64(m.amount), "nonce",
				       cl_json_from_u64(m.nonce)),
			     &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "withdrawalId"));
	cli_kv(cli, "withdrawal id", buf);
	cli_kv(cli, "asset", a->val[OPT_ASSET]);
	cl_dec_format_u64(buf, m.amount, dec);
	cli_kv(cli, "amount", buf);
	cli_kv(cli, "recipient", to);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_subaccount_asset_transfer(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_subaccount_asset_transfer m;
	struct cl_hash32 digest;
	char addr[CL_ADDRESS_STR_LEN + 1], err[CL_CLI_ERR_MAX];
	char buf[CL_DEC_STR_MAX + 64];
	uint64_t from, to;
	unsigned dec = 0;
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (!cl_parse_u64(&from, a->pos[0], strlen(a->pos[0])) ||
	    from > UINT32_MAX ||
	    !cl_parse_u64(&to, a->pos[1], strlen(a->pos[1])) || to > UINT32_MAX)
		return cli_usage(cli, a->cmd,
				 "FROM and TO: subaccount numbers "
				 "0..4294967295");
	if (cl_dec_check(a->pos[2], strlen(a->pos[2])) != CL_DEC_OK)
		return cli_usage(cli, a->cmd, "amount '%s': not a decimal",
				 a->pos[2]);
	m.from = (uint32_t)from;
	m.to = (uint32_t)to;
	rc = prepare(cli, a, &m.trader, &m.nonce, &m.asset, &dec,
		     a->val[OPT_ASSET]);
	if (rc)
		return rc;
	if (!cl_cli_parse_amount(&m.amount, err, sizeof(err), dec, a->pos[2]))
		return cli_usage(cli, a->cmd, "%s", err);
	cl_subaccount_asset_transfer_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(
	    cli, &r, "l2_transferSubaccountAsset",
	    json_pack("{s:s,s:I,s:I,s:I,s:o,s:o}", "trader", addr, "from",
		      (json_int_t)m.from, "to", (json_int_t)m.to, "asset",
		      (json_int_t)m.asset, "amount", cl_json_from_u64(m.amount),
		      "nonce", cl_json_from_u64(m.nonce)),
	    &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "asset", a->val[OPT_ASSET]);
	cl_dec_format_u64(buf, m.amount, dec);
	cli_kv(cli, "amount", buf);
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "fromAccount"));
	cli_kv(cli, "from account", buf);
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "toAccount"));
	cli_kv(cli, "to account", buf);
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "block"));
	cli_kv(cli, "block", buf);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
