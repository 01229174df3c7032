/* SPDX-License-Identifier: MIT */
/*
 * Isolated margin and subaccounts (docs/margin.md "Isolated margin",
 * "Subaccounts"): margin-mode chooses cross or isolated for one market,
 * isolated-margin moves margin into or out of an isolated position,
 * isolated lists an account's isolated positions; subaccount-transfer
 * moves collateral between subaccounts, subaccounts lists them. Orders
 * of an isolated position or a subaccount are `order ... --agent-for
 * ACCOUNT` with the account the answers name: the owner's key signs for
 * it.
 */
#include <clearline/cli.h>

#include <string.h>

#include "cli_int.h"

/* l2_getAccount of `who` (the answer in *out, owned by the caller). */
static int get_account(struct cl_cli *cli, json_t **out,
		       const struct cl_address *who)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	json_t *p = json_array();

	cl_address_format(s, who);
	json_array_append_new(p, json_string(s));
	return cl_cli_call(cli, out, "l2_getAccount", p);
}

/* The key, the config and the account nonce of the key's address. */
static int prepare(struct cl_cli *cli, const struct cli_args *a,
		   struct cl_address *trader, uint64_t *nonce)
{
	json_t *r;
	int rc = cli_load_key(cli, a->cmd);

	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	cl_seckey_address(trader, cli->key);
	rc = get_account(cli, &r, trader);
	if (rc)
		return rc;
	if (!cli_json_u64(nonce, json_object_get(r, "nonce"))) {
		cli_errorf(cli, "l2_getAccount: the answer has no usable "
				"nonce");
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_margin_mode(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_margin_mode m;
	struct cl_hash32 digest;
	const struct cl_cli_market *mk;
	char addr[CL_ADDRESS_STR_LEN + 1];
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[1], "isolated") == 0)
		m.isolated = true;
	else if (strcmp(a->pos[1], "cross") != 0)
		return cli_usage(cli, a->cmd,
				 "expected cross or isolated, not '%s'",
				 a->pos[1]);
	rc = prepare(cli, a, &m.trader, &m.nonce);
	if (rc)
		return rc;
	mk = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!mk)
		return rc;
	m.market = mk->id;
	cl_margin_mode_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(cli, &r, "l2_setMarginMode",
		    json_pack("{s:s,s:i,s:b,s:o}", "trader", addr, "market",
			      (int)m.market, "isolated", m.isolated, "nonce",
			      cl_json_from_u64(m.nonce)),
		    &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "market", mk->symbol);
	cli_kv(cli, "mode", m.isolated ? "isolated" : "cross");
	cli_kv_field(cli, "account", r, "account");
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_portfolio_mode(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_portfolio_mode m;
	struct cl_hash32 digest;
	char addr[CL_ADDRESS_STR_LEN + 1], buf[128];
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[0], "on") == 0)
		m.enabled = true;
	else if (strcmp(a->pos[0], "off") != 0)
		return cli_usage(cli, a->cmd, "expected on or off, not '%s'",
				 a->pos[0]);
	rc = prepare(cli, a, &m.trader, &m.nonce);
	if (rc)
		return rc;
	cl_portfolio_mode_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(cli, &r, "l2_setPortfolioMode",
		    json_pack("{s:s,s:b,s:o}", "trader", addr, "enabled",
			      m.enabled, "nonce", cl_json_from_u64(m.nonce)),
		    &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "account", addr);
	cli_kv(cli, "mode", m.enabled ? "portfolio" : "leg by leg");
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "block"));
	cli_kv(cli, "block", buf);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_isolated_margin(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_isolated_margin m;
	struct cl_hash32 digest;
	const struct cl_cli_market *mk;
	char addr[CL_ADDRESS_STR_LEN + 1], err[CL_CLI_ERR_MAX];
	char buf[CL_DEC_STR_MAX + 64];
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[1], "add") == 0)
		m.add = true;
	else if (strcmp(a->pos[1], "remove") != 0)
		return cli_usage(cli, a->cmd,
				 "expected add or remove, not '%s'",
				 a->pos[1]);
	if (cl_dec_check(a->pos[2], strlen(a->pos[2])) != CL_DEC_OK)
		return cli_usage(cli, a->cmd, "amount '%s': not a decimal",
				 a->pos[2]);
	rc = prepare(cli, a, &m.trader, &m.nonce);
	if (rc)
		return rc;
	mk = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!mk)
		return rc;
	m.market = mk->id;
	if (!cl_cli_parse_amount(&m.amount, err, sizeof(err),
				 cli->config.collateral_decimals, a->pos[2]))
		return cli_usage(cli, a->cmd, "%s", err);
	cl_isolated_margin_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(cli, &r, "l2_moveIsolatedMargin",
		    json_pack("{s:s,s:i,s:b,s:o,s:o}", "trader", addr,
			      "market", (int)m.market, "add", m.add,
			      "amount", cl_json_from_u64(m.amount), "nonce",
			      cl_json_from_u64(m.nonce)),
		    &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "market", mk->symbol);
	cl_dec_format_u64(buf, m.amount, cli->config.collateral_decimals);
	cli_kv(cli, m.add ? "added" : "removed", buf);
	cli_kv_field(cli, "isolated account", r, "account");
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/*
 * The list `list` of l2_getAccount for ADDRESS (or the key's address):
 * per entry its `head` field, then `fields`; `none` when it is empty.
 */
static int show_list(struct cl_cli *cli, const struct cli_args *a,
		     const char *list, const char *head, const char *none,
		     const char *const *fields, size_t nfields)
{
	struct cl_address who;
	json_t *r, *arr, *e;
	size_t i;
	int rc;

	if (a->npos == 1) {
		if (!cli_parse_address(&who, a->pos[0]))
			return cli_usage(cli, a->cmd,
					 "ADDRESS: not an address: %s",
					 a->pos[0]);
	} else {
		rc = cli_load_key(cli, a->cmd);
		if (rc)
			return rc;
		cl_seckey_address(&who, cli->key);
	}
	rc = get_account(cli, &r, &who);
	if (rc)
		return rc;
	arr = json_object_get(r, list);
	if (!json_is_array(arr)) {
		cli_errorf(cli, "l2_getAccount: the answer has no %s (an older "
				"node?)", list);
		json_decref(r);
		return CL_CLI_EXIT_FAILED;
	}
	json_incref(arr);
	json_decref(r);
	if (cli_json_done(cli, arr))
		return CL_CLI_EXIT_OK;
	if (json_array_size(arr) == 0)
		cli_kv(cli, list, none);
	json_array_foreach(arr, i, e)
	{
		cli_kv_field(cli, head, e, head);
		cli_kv_fields(cli, e, fields, nfields, false);
	}
	json_decref(arr);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_isolated(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const fields[] = {
		"account", "margin", "equity", "unrealizedPnl",
		"initialMargin", "maintenanceMargin", "removable", "size",
		"entryPrice", "liquidatable"};

	return show_list(cli, a, "isolated", "market",
			 "none (every market is cross)", fields,
			 CL_ARRAY_LEN(fields));
}

int cli_cmd_subaccount_transfer(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_subaccount_transfer m;
	struct cl_hash32 digest;
	char addr[CL_ADDRESS_STR_LEN + 1], err[CL_CLI_ERR_MAX];
	char buf[CL_DEC_STR_MAX + 64];
	uint64_t from, to;
	json_t *r;
	int rc;

	if (a->set[OPT_ASSET])
		return cli_subaccount_asset_transfer(cli, a);
	memset(&m, 0, sizeof(m));
	if (!cl_parse_u64(&from, a->pos[0], strlen(a->pos[0])) ||
	    from > UINT32_MAX ||
	    !cl_parse_u64(&to, a->pos[1], strlen(a->pos[1])) ||
	    to > UINT32_MAX)
		return cli_usage(cli, a->cmd,
				 "FROM and TO: subaccount numbers "
				 "0..4294967295");
	if (cl_dec_check(a->pos[2], strlen(a->pos[2])) != CL_DEC_OK)
		return cli_usage(cli, a->cmd, "amount '%s': not a decimal",
				 a->pos[2]);
	m.from = (uint32_t)from;
	m.to = (uint32_t)to;
	rc = prepare(cli, a, &m.trader, &m.nonce);
	if (rc)
		return rc;
	if (!cl_cli_parse_amount(&m.amount, err, sizeof(err),
				 cli->config.collateral_decimals, a->pos[2]))
		return cli_usage(cli, a->cmd, "%s", err);
	cl_subaccount_transfer_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(cli, &r, "l2_transferSubaccount",
		    json_pack("{s:s,s:I,s:I,s:o,s:o}", "trader", addr, "from",
			      (json_int_t)m.from, "to", (json_int_t)m.to,
			      "amount", cl_json_from_u64(m.amount), "nonce",
			      cl_json_from_u64(m.nonce)),
		    &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cl_dec_format_u64(buf, m.amount, cli->config.collateral_decimals);
	cli_kv(cli, "amount", buf);
	cli_kv_field(cli, "from account", r, "fromAccount");
	cli_kv_field(cli, "to account", r, "toAccount");
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_subaccounts(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const fields[] = {
		"account", "collateral", "equity", "initialMargin",
		"maintenanceMargin", "withdrawable", "liquidatable"};

	return show_list(cli, a, "subaccounts", "subaccount",
			 "none (only subaccount 0)", fields,
			 CL_ARRAY_LEN(fields));
}
