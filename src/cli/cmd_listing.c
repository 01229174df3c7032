/* SPDX-License-Identifier: MIT */
/*
 * option-list (docs/cli.md "option-list", docs/options.md "Listing"):
 * the genesis lister adds an option market copied from a genesis option
 * market (the template), with its own kind, strike, expiry and symbol.
 * The node gives the new market the next free id; it is in the market
 * table of every command that reads l2_getConfig afterwards.
 */
#include <clearline/cli.h>

#include <string.h>

#include "cli_int.h"

int cli_cmd_option_list(struct cl_cli *cli, const struct cli_args *a)
{
	static const enum cli_opt need[] = {OPT_TEMPLATE, OPT_KIND, OPT_STRIKE,
					    OPT_EXPIRY, OPT_SYMBOL};
	static const char *const names[] = {"--template", "--kind", "--strike",
					    "--expiry", "--symbol"};
	struct cl_option_list m;
	struct cl_address lister;
	struct cl_hash32 digest;
	const struct cl_cli_market *t;
	char addr[CL_ADDRESS_STR_LEN + 1], buf[128];
	const char *sym = a->val[OPT_SYMBOL];
	json_t *r, *acc, *p;
	int rc;

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < CL_ARRAY_LEN(need); i++)
		if (!a->set[need[i]])
			return cli_usage(cli, a->cmd, "%s is required",
					 names[i]);
	if (strcmp(a->val[OPT_KIND], "call") == 0)
		m.kind = 1;
	else if (strcmp(a->val[OPT_KIND], "put") == 0)
		m.kind = 2;
	else
		return cli_usage(cli, a->cmd, "--kind: call or put, not '%s'",
				 a->val[OPT_KIND]);
	if (strlen(sym) == 0 || strlen(sym) > CL_OPTION_LIST_SYMBOL_MAX)
		return cli_usage(cli, a->cmd, "--symbol: 1 to 16 characters");
	memcpy(m.symbol, sym, strlen(sym));
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	t = cl_cli_market_find(&cli->config, a->val[OPT_TEMPLATE]);
	if (!t || !t->is_option) {
		cli_errorf(cli, "--template: '%s' is not an option market of "
				"this node",
			   a->val[OPT_TEMPLATE]);
		return CL_CLI_EXIT_USAGE;
	}
	m.template_market = t->id;
	const char *st = a->val[OPT_STRIKE];
	if (cl_dec_parse(&m.strike, st, strlen(st), t->price_decimals) !=
		    CL_DEC_OK ||
	    m.strike == 0)
		return cli_usage(cli, a->cmd,
				 "--strike: a positive price with at most %u "
				 "decimals, not '%s'",
				 t->price_decimals, st);
	if (!cli_parse_expiry(&m.expiry, cli, a->val[OPT_EXPIRY]))
		return cli_usage(cli, a->cmd,
				 "--expiry: SECONDS from now or @UNIX, not "
				 "'%s'",
				 a->val[OPT_EXPIRY]);
	/* the lister's nonce is its account nonce */
	cl_seckey_address(&lister, cli->key);
	cl_address_format(addr, &lister);
	p = json_array();
	json_array_append_new(p, json_string(addr));
	rc = cl_cli_call(cli, &acc, "l2_getAccount", p);
	if (rc)
		return rc;
	if (!cli_json_u64(&m.nonce, json_object_get(acc, "nonce"))) {
		cli_errorf(cli, "l2_getAccount: the answer has no usable "
				"nonce");
		json_decref(acc);
		return CL_CLI_EXIT_FAILED;
	}
	json_decref(acc);
	cl_option_list_digest(&digest, &cli->config.domain, &m);
	rc = cli_sign_submit(
		cli, &r, "l2_listOption",
		json_pack("{s:I,s:s,s:o,s:o,s:s,s:o}", "template",
			  (json_int_t)m.template_market, "kind",
			  m.kind == 1 ? "call" : "put", "strike",
			  cl_json_from_u64(m.strike), "expiry",
			  cl_json_from_u64(m.expiry), "symbol", m.symbol,
			  "nonce", cl_json_from_u64(m.nonce)),
		&digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "listed", m.symbol);
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "market"));
	cli_kv(cli, "market", buf);
	cli_kv(cli, "template", t->symbol);
	cli_fmt_text(buf, sizeof(buf), json_object_get(r, "block"));
	cli_kv(cli, "block", buf);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
