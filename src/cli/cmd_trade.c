/* SPDX-License-Identifier: MIT */
/* The signing commands: order, sign-order, cancel, withdraw, approve-agent. */
#include <clearline/cli.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

#define DEFAULT_EXPIRY_SECS 3600

/* Everything `order` and `sign-order` share, up to the signature. */
struct signed_order {
	const struct cl_cli_market *market;
	struct cl_order order;
	struct cl_cloid cloid; /* --cloid; all zero: a plain Order */
	struct cl_hash32 hash;
	struct cl_sig sig;
};

static int sign_digest(struct cl_cli *cli, struct cl_sig *sig,
		       const struct cl_hash32 *digest)
{
	if (cl_sign_digest(sig, cli->key, digest) != CL_OK) {
		cli_errorf(cli, "signing failed");
		return CL_CLI_EXIT_FAILED;
	}
	return CL_CLI_EXIT_OK;
}

/* Load the key, find the trader, fetch the node's configuration. */
static int key_trader_config(struct cl_cli *cli, const struct cli_args *a,
			     struct cl_address *trader)
{
	int rc = cli_load_key(cli, a->cmd);

	if (!rc)
		rc = cli_trader_of(cli, a, trader);
	if (!rc)
		rc = cli_get_config(cli);
	return rc;
}

/* Sign `digest` and call `method` with [msg, signature]; msg is consumed. */
static int submit_signed(struct cl_cli *cli, json_t **result,
			 const char *method, json_t *msg,
			 const struct cl_hash32 *digest)
{
	struct cl_sig sig;
	json_t *p;
	int rc = sign_digest(cli, &sig, digest);

	*result = NULL;
	if (rc) {
		json_decref(msg);
		return rc;
	}
	p = json_array();
	json_array_append_new(p, msg);
	json_array_append_new(p, cl_json_from_bytes(sig.b, CL_SIG_LEN));
	return cl_cli_call(cli, result, method, p);
}

static int check_decimal(struct cl_cli *cli, const struct cli_args *a,
			 const char *what, const char *text)
{
	enum cl_dec_err e = cl_dec_check(text, strlen(text));

	if (e == CL_DEC_OK)
		return CL_CLI_EXIT_OK;
	return cli_usage(cli, a->cmd, "%s '%s': %s", what, text,
			 cl_dec_err_str(e));
}

int cli_order_flags(struct cl_cli *cli, const struct cli_args *a,
		    uint8_t *flags)
{
	int tifs = a->set[OPT_GTC] + a->set[OPT_IOC] + a->set[OPT_FOK];

	*flags = 0;
	if (tifs > 1)
		return cli_usage(cli, a->cmd,
				 "choose one of --gtc, --ioc and --fok");
	if (a->set[OPT_POST_ONLY] && (a->set[OPT_IOC] || a->set[OPT_FOK]))
		return cli_usage(cli, a->cmd,
				 "--post-only goes only with --gtc");
	if (a->set[OPT_IOC])
		*flags |= CL_CLI_FLAG_IOC;
	if (a->set[OPT_FOK])
		*flags |= CL_CLI_FLAG_FOK;
	if (a->set[OPT_POST_ONLY])
		*flags |= CL_CLI_FLAG_POST_ONLY;
	if (a->set[OPT_REDUCE_ONLY])
		*flags |= CL_CLI_FLAG_REDUCE_ONLY;
	return CL_CLI_EXIT_OK;
}

static int make_order(struct cl_cli *cli, const struct cli_args *a,
		      struct signed_order *so)
{
	struct cl_cli_order_req req;
	char err[CL_CLI_ERR_MAX];
	int rc;

	memset(&req, 0, sizeof(req));
	if (strcmp(a->pos[1], "buy") == 0)
		req.is_buy = true;
	else if (strcmp(a->pos[1], "sell") != 0)
		return cli_usage(cli, a->cmd,
				 "side must be buy or sell, not '%s'",
				 a->pos[1]);
	req.price = a->pos[2];
	req.size = a->pos[3];
	rc = check_decimal(cli, a, "price", req.price);
	if (!rc)
		rc = check_decimal(cli, a, "size", req.size);
	if (!rc)
		rc = cli_order_flags(cli, a, &req.flags);
	if (rc)
		return rc;
	if (a->set[OPT_EXPIRY]) {
		if (!cli_parse_expiry(&req.expiry, cli, a->val[OPT_EXPIRY]))
			return cli_usage(cli, a->cmd,
					 "--expiry: expected SECONDS or @UNIX, "
					 "not '%s'",
					 a->val[OPT_EXPIRY]);
	} else {
		req.expiry = cli->now_ms() / 1000 + DEFAULT_EXPIRY_SECS;
	}
	if (a->set[OPT_NONCE]) {
		if (!cl_parse_u64(&req.nonce, a->val[OPT_NONCE],
				  strlen(a->val[OPT_NONCE])))
			return cli_usage(cli, a->cmd,
					 "--nonce: not a decimal number: %s",
					 a->val[OPT_NONCE]);
	} else {
		req.nonce = cli_order_nonce(cli);
	}
	rc = key_trader_config(cli, a, &req.trader);
	if (rc)
		return rc;
	req.market = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!req.market)
		return rc;
	if (!cl_cli_order_build(&so->order, err, sizeof(err), &req))
		return cli_usage(cli, a->cmd, "%s", err);
	so->market = req.market;
	memset(&so->cloid, 0, sizeof(so->cloid));
	if (a->set[OPT_CLOID]) {
		if (!cli_parse_cloid(&so->cloid, a->val[OPT_CLOID]))
			return cli_usage(cli, a->cmd,
					 "--cloid: expected 0x and 1..32 hex "
					 "digits or a decimal number, not "
					 "zero: %s",
					 a->val[OPT_CLOID]);
		struct cl_client_order co = {.order = so->order,
					     .cloid = so->cloid};
		cl_client_order_digest(&so->hash, &cli->config.domain, &co);
	} else {
		cl_order_digest(&so->hash, &cli->config.domain, &so->order);
	}
	return sign_digest(cli, &so->sig, &so->hash);
}

/* The order's JSON, with its client order id when it has one. */
static json_t *order_json(const struct signed_order *so)
{
	static const struct cl_cloid zero;
	json_t *o = cl_cli_order_json(&so->order);

	if (memcmp(so->cloid.b, zero.b, CL_CLOID_LEN) != 0)
		json_object_set_new(o, "cloid",
				    cl_json_from_bytes(so->cloid.b,
						       CL_CLOID_LEN));
	return o;
}

static json_t *order_params(const struct signed_order *so)
{
	json_t *p = json_array();

	json_array_append_new(p, order_json(so));
	json_array_append_new(p, cl_json_from_bytes(so->sig.b, CL_SIG_LEN));
	return p;
}

int cli_cmd_sign_order(struct cl_cli *cli, const struct cli_args *a)
{
	struct signed_order so;
	char hash[67], sig[2 * CL_SIG_LEN + 3];
	json_t *j;
	char *s;
	int rc = make_order(cli, a, &so);

	if (rc)
		return rc;
	cl_hex_encode(hash, so.hash.b, 32, true);
	cl_hex_encode(sig, so.sig.b, CL_SIG_LEN, true);
	j = order_json(&so);
	if (cli->json) {
		json_t *o = json_object();

		json_object_set(o, "order", j);
		json_object_set_new(o, "signature", json_string(sig));
		json_object_set_new(o, "orderHash", json_string(hash));
		cli_print_json(cli, o);
		json_decref(o);
	} else {
		s = cl_json_dump(j);
		cli_kv(cli, "order hash", hash);
		cli_kv(cli, "signature", sig);
		cli_kv(cli, "order", s);
		free(s);
	}
	json_decref(j);
	return CL_CLI_EXIT_OK;
}

/* The node's fills name the resting order's hash (maker) and its trader
 * (makerTrader); the taker is the order just placed, by `taker`. */
static void print_fills(struct cl_cli *cli, const struct cl_cli_market *m,
			const json_t *fills, const json_t *taker)
{
	static const char *const head[] = {"price", "size", "maker", "taker"};
	struct cl_cli_table t;
	size_t i;
	const json_t *f;

	if (!json_is_array(fills) || json_array_size(fills) == 0)
		return;
	cl_cli_table_init(&t, 4, head, 0x3);
	json_array_foreach(fills, i, f) {
		char p[CL_DEC_STR_MAX], s[CL_DEC_STR_MAX];
		char mk[CL_ADDRESS_STR_LEN + 2], tk[CL_ADDRESS_STR_LEN + 2];

		cl_cli_fmt_units(p, json_object_get(f, "price"),
				 m->price_decimals);
		cl_cli_fmt_units(s, json_object_get(f, "size"),
				 m->size_decimals);
		cl_cli_fmt_address(mk, json_object_get(f, "makerTrader"));
		cl_cli_fmt_address(tk, taker);
		cl_cli_table_add(&t, p, s, mk, tk);
	}
	fputc('\n', cli->out);
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
}

int cli_cmd_order(struct cl_cli *cli, const struct cli_args *a)
{
	struct signed_order so;
	struct cl_hash32 node_hash;
	char buf[CL_DEC_STR_MAX + 64], ours[67];
	json_t *r;
	int rc = make_order(cli, a, &so);

	if (rc)
		return rc;
	rc = cl_cli_call(cli, &r, "l2_submitOrder", order_params(&so));
	if (rc)
		return rc;
	cl_hex_encode(ours, so.hash.b, 32, true);
	if (!cl_json_bytes(node_hash.b, 32, json_object_get(r, "orderHash")) ||
	    !cl_hash32_eq(&node_hash, &so.hash))
		fprintf(cli->err,
			"clearline-cli: warning: the node reports another "
			"order hash than %s (a different signing domain?)\n",
			ours);
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "order hash", ours);
	cli_kv_field(cli, "status", r, "status");
	cl_cli_fmt_units(buf, json_object_get(r, "filledSize"),
			 so.market->size_decimals);
	cli_kv(cli, "filled size", buf);
	if (json_object_get(r, "cloid")) {
		cli_fmt_text(buf, sizeof(buf), json_object_get(r, "cloid"));
		cli_kv(cli, "client order id", buf);
	}
	char trader[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(trader, &so.order.trader);
	json_t *jt = json_string(trader);
	print_fills(cli, so.market, json_object_get(r, "fills"), jt);
	json_decref(jt);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_cancel(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_cancel c;
	struct cl_hash32 digest;
	char buf[256];
	json_t *r;
	int rc;

	memset(&c, 0, sizeof(c));
	if (!cli_parse_hash(&c.order_hash, a->pos[0]))
		return cli_usage(cli, a->cmd,
				 "ORDERHASH must be 0x and 64 hex digits");
	rc = key_trader_config(cli, a, &c.trader);
	if (rc)
		return rc;
	cl_cancel_digest(&digest, &cli->config.domain, &c);
	rc = submit_signed(cli, &r, "l2_cancelOrder", cl_cli_cancel_json(&c),
			   &digest);
	if (rc)
		return rc;
	if (cli->json) {
		cli_print_json(cli, r);
	} else {
		cl_hex_encode(buf, c.order_hash.b, 32, true);
		cli_kv(cli, "order hash", buf);
		cli_fmt_text(buf, sizeof(buf), json_object_get(r, "status"));
		cli_kv(cli, "status", buf);
	}
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* The account's action nonce from l2_getAccount. */
static int account_nonce(struct cl_cli *cli, uint64_t *nonce,
			 const struct cl_address *who)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	json_t *p = json_array(), *r;
	int rc;

	cl_address_format(s, who);
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
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_withdraw(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_withdraw w;
	struct cl_hash32 digest;
	char err[CL_CLI_ERR_MAX], buf[CL_DEC_STR_MAX + 64];
	json_t *r;
	int rc;

	if (a->set[OPT_ASSET])
		return cli_asset_withdraw(cli, a);
	memset(&w, 0, sizeof(w));
	rc = check_decimal(cli, a, "amount", a->pos[0]);
	if (rc)
		return rc;
	if (a->set[OPT_TO] && !cli_parse_address(&w.recipient, a->val[OPT_TO]))
		return cli_usage(cli, a->cmd, "--to: not an address: %s",
				 a->val[OPT_TO]);
	rc = key_trader_config(cli, a, &w.trader);
	if (rc)
		return rc;
	if (!cl_cli_parse_amount(&w.amount, err, sizeof(err),
				 cli->config.collateral_decimals, a->pos[0]))
		return cli_usage(cli, a->cmd, "%s", err);
	if (!a->set[OPT_TO])
		w.recipient = w.trader;
	rc = account_nonce(cli, &w.nonce, &w.trader);
	if (rc)
		return rc;
	cl_withdraw_digest(&digest, &cli->config.domain, &w);
	rc = submit_signed(cli, &r, "l2_withdraw", cl_cli_withdraw_json(&w),
			   &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_field(cli, "withdrawal id", r, "withdrawalId");
	cl_dec_format_u64(buf, w.amount, cli->config.collateral_decimals);
	cli_kv(cli, "amount", buf);
	cl_address_format(buf, &w.recipient);
	cli_kv(cli, "recipient", buf);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* op_credit: the operator's faucet on a node started with --dev-credit
 * and no L1 (the node refuses it otherwise). */
int cli_cmd_credit(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_address to;
	char err[CL_CLI_ERR_MAX];
	uint64_t amount;
	json_t *r;
	int rc;

	if (!cli_parse_address(&to, a->pos[0]))
		return cli_usage(cli, a->cmd, "ADDRESS: not an address: %s",
				 a->pos[0]);
	rc = check_decimal(cli, a, "amount", a->pos[1]);
	if (rc)
		return rc;
	rc = cli_get_config(cli);
	if (rc)
		return rc;
	if (!cl_cli_parse_amount(&amount, err, sizeof(err),
				 cli->config.collateral_decimals, a->pos[1]))
		return cli_usage(cli, a->cmd, "%s", err);
	char addr[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(addr, &to);
	json_t *p = json_array();
	json_array_append_new(p, json_string(addr));
	json_array_append_new(p, cl_json_from_u64(amount));
	rc = cl_cli_call(cli, &r, "op_credit", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "credited", a->pos[1]);
	cli_kv(cli, "to", addr);
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_approve_agent(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_approve_agent ap;
	struct cl_hash32 digest;
	char buf[64];
	json_t *r;
	int rc;

	memset(&ap, 0, sizeof(ap));
	if (!cli_parse_address(&ap.agent, a->pos[0]))
		return cli_usage(cli, a->cmd, "AGENT: not an address: %s",
				 a->pos[0]);
	if (!a->set[OPT_EXPIRY])
		return cli_usage(cli, a->cmd, "--expiry is required");
	if (!cli_parse_expiry(&ap.expiry, cli, a->val[OPT_EXPIRY]))
		return cli_usage(cli, a->cmd,
				 "--expiry: expected SECONDS or @UNIX, not "
				 "'%s'",
				 a->val[OPT_EXPIRY]);
	rc = key_trader_config(cli, a, &ap.trader);
	if (!rc)
		rc = account_nonce(cli, &ap.nonce, &ap.trader);
	if (rc)
		return rc;
	cl_approve_agent_digest(&digest, &cli->config.domain, &ap);
	rc = submit_signed(cli, &r, "l2_approveAgent",
			   cl_cli_approve_agent_json(&ap), &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cl_address_format(buf, &ap.agent);
	cli_kv(cli, "agent", buf);
	cli_fmt_time(buf, ap.expiry);
	cli_kv(cli, "expires", buf);
	cli_kv_field(cli, "ok", r, "ok");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
