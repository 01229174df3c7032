/* SPDX-License-Identifier: MIT */
/*
 * The order-kind commands (docs/protocol.md "Order kinds"):
 * schedule-cancel arms, renews or disarms the dead-man switch;
 * order-by-cloid looks an open order up by its client order id; trigger
 * and trigger-status place and read trigger orders (stops, TP/SL); scale
 * places a signed list of orders; twap and twap-status place and read
 * TWAP orders. An
 * order with a client order id is `order ... --cloid ID` (cmd_trade.c).
 */
#include <clearline/cli.h>

#include <string.h>

#include "cli_int.h"

bool cli_parse_cloid(struct cl_cloid *out, const char *text)
{
	static const struct cl_cloid zero;
	size_t len = strlen(text);
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		/* 1..32 hex digits, right-aligned in the 16 bytes */
		char buf[2 + 2 * CL_CLOID_LEN + 1] = "0x";
		size_t digits = len - 2;
		if (digits > 2 * CL_CLOID_LEN)
			return false;
		memset(buf + 2, '0', 2 * CL_CLOID_LEN - digits);
		memcpy(buf + 2 + 2 * CL_CLOID_LEN - digits, text + 2, digits);
		buf[sizeof(buf) - 1] = '\0';
		if (!cl_hex_decode(out->b, CL_CLOID_LEN, buf, sizeof(buf) - 1,
				   CL_HEX_0X))
			return false;
	} else {
		if (!cl_parse_u64(&v, text, len))
			return false;
		cl_put_be64(out->b + 8, v);
	}
	return memcmp(out->b, zero.b, CL_CLOID_LEN) != 0;
}

int cli_cmd_schedule_cancel(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_schedule_cancel m;
	struct cl_hash32 digest;
	char buf[64], addr[CL_ADDRESS_STR_LEN + 1];
	json_t *r;
	int rc;

	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[0], "off") != 0 &&
	    !cli_parse_expiry(&m.time, cli, a->pos[0]))
		return cli_usage(cli, a->cmd,
				 "expected SECONDS (from now), @UNIX or off, "
				 "not '%s'", a->pos[0]);
	rc = cli_nonce_opt(cli, a, &m.nonce);
	if (rc)
		return rc;
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_trader_of(cli, a, &m.trader);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	cl_schedule_cancel_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	rc = cli_sign_submit(cli, &r, "l2_scheduleCancel",
			     json_pack("{s:s,s:o,s:o}", "trader", addr, "time",
				       cl_json_from_u64(m.time), "nonce",
				       cl_json_from_u64(m.nonce)),
			     &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "trader", addr);
	if (m.time == 0) {
		cli_kv(cli, "dead-man switch", "off");
	} else {
		cli_fmt_time(buf, m.time);
		cli_kv(cli, "cancel all at", buf);
	}
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_order_by_cloid(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_address trader;
	struct cl_cloid id;
	char addr[CL_ADDRESS_STR_LEN + 1];
	json_t *p, *r;
	int rc;

	if (!cli_parse_address(&trader, a->pos[0]))
		return cli_usage(cli, a->cmd, "TRADER: not an address: %s",
				 a->pos[0]);
	if (!cli_parse_cloid(&id, a->pos[1]))
		return cli_usage(cli, a->cmd,
				 "ID: expected 0x and 1..32 hex digits or a "
				 "decimal number, not zero: %s", a->pos[1]);
	cl_address_format(addr, &trader);
	p = json_array();
	json_array_append_new(p, json_string(addr));
	json_array_append_new(p, cl_json_from_bytes(id.b, CL_CLOID_LEN));
	rc = cl_cli_call(cli, &r, "l2_getOrderByCloid", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_field(cli, "order hash", r, "orderHash");
	cli_kv_field(cli, "status", r, "status");
	cli_kv_field(cli, "filled size", r, "filledSize");
	cli_kv_field(cli, "client order id", r, "cloid");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_trigger(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_cli_order_req req;
	struct cl_trigger_order m;
	struct cl_order o, ot;
	struct cl_hash32 digest;
	char err[CL_CLI_ERR_MAX];
	json_t *j, *r;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[1], "buy") == 0)
		req.is_buy = true;
	else if (strcmp(a->pos[1], "sell") != 0)
		return cli_usage(cli, a->cmd,
				 "side must be buy or sell, not '%s'",
				 a->pos[1]);
	if (strcmp(a->pos[4], "above") == 0)
		m.trigger_above = true;
	else if (strcmp(a->pos[4], "below") != 0)
		return cli_usage(cli, a->cmd,
				 "direction must be above or below, not '%s'",
				 a->pos[4]);
	rc = cli_order_flags(cli, a, &req.flags);
	if (rc)
		return rc;
	m.position_bound = a->set[OPT_TPSL];
	if (m.position_bound)
		req.flags |= CL_CLI_FLAG_REDUCE_ONLY;
	if (a->set[OPT_GROUP] &&
	    !cl_parse_u64(&m.group, a->val[OPT_GROUP],
			  strlen(a->val[OPT_GROUP])))
		return cli_usage(cli, a->cmd, "--group: not a decimal number: %s",
				 a->val[OPT_GROUP]);
	if (a->set[OPT_EXPIRY]) {
		if (!cli_parse_expiry(&req.expiry, cli, a->val[OPT_EXPIRY]))
			return cli_usage(cli, a->cmd,
					 "--expiry: expected SECONDS or @UNIX, "
					 "not '%s'", a->val[OPT_EXPIRY]);
	} else {
		req.expiry = cli->now_ms() / 1000 + 24 * 3600;
	}
	rc = cli_nonce_opt(cli, a, &req.nonce);
	if (rc)
		return rc;
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_trader_of(cli, a, &req.trader);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	req.market = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!req.market)
		return rc;
	req.price = a->pos[2];
	req.size = a->pos[3];
	if (!cl_cli_order_build(&o, err, sizeof(err), &req))
		return cli_usage(cli, a->cmd, "%s", err);
	req.price = a->pos[5]; /* the trigger price, converted the same way */
	if (!cl_cli_order_build(&ot, err, sizeof(err), &req))
		return cli_usage(cli, a->cmd, "trigger: %s", err);
	m.trader = o.trader;
	m.market = o.market;
	m.is_buy = o.is_buy;
	m.trigger_price = ot.price;
	m.price = o.price;
	m.size = o.size;
	m.nonce = o.nonce;
	m.expiry = o.expiry;
	m.flags = o.flags;
	cl_trigger_order_digest(&digest, &cli->config.domain, &m);
	j = cl_cli_order_json(&o);
	json_object_set_new(j, "triggerPrice",
			    cl_json_from_u64(m.trigger_price));
	json_object_set_new(j, "triggerAbove", json_boolean(m.trigger_above));
	json_object_set_new(j, "group", cl_json_from_u64(m.group));
	json_object_set_new(j, "positionBound", json_boolean(m.position_bound));
	rc = cli_sign_submit(cli, &r, "l2_submitTriggerOrder", j, &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_field(cli, "trigger hash", r, "triggerHash");
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_trigger_status(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const fields[] = {
		"triggerHash", "status", "side", "triggerPrice", "triggerAbove",
		"price", "size", "group", "positionBound", "orderHash"};
	return cli_show_record(cli, a->cmd, "l2_getTriggerOrder", a->pos[0], "TRIGGERHASH",
			       fields, CL_ARRAY_LEN(fields), true);
}

int cli_cmd_scale(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_cli_order_req req;
	struct cl_scale_order m;
	struct cl_hash32 digest;
	char err[CL_CLI_ERR_MAX], buf[128], legs[512];
	json_t *j, *pr, *sz, *r;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[1], "buy") == 0)
		req.is_buy = true;
	else if (strcmp(a->pos[1], "sell") != 0)
		return cli_usage(cli, a->cmd,
				 "side must be buy or sell, not '%s'",
				 a->pos[1]);
	rc = cli_order_flags(cli, a, &req.flags);
	if (rc)
		return rc;
	if (a->set[OPT_EXPIRY]) {
		if (!cli_parse_expiry(&req.expiry, cli, a->val[OPT_EXPIRY]))
			return cli_usage(cli, a->cmd,
					 "--expiry: expected SECONDS or @UNIX, "
					 "not '%s'", a->val[OPT_EXPIRY]);
	} else {
		req.expiry = cli->now_ms() / 1000 + 3600;
	}
	rc = cli_nonce_opt(cli, a, &req.nonce);
	if (rc)
		return rc;
	if (strlen(a->pos[2]) >= sizeof(legs))
		return cli_usage(cli, a->cmd, "the list of legs is too long");
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_trader_of(cli, a, &req.trader);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	req.market = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!req.market)
		return rc;
	/* PRICE:SIZE legs, comma separated */
	memcpy(legs, a->pos[2], strlen(a->pos[2]) + 1);
	for (char *leg = legs, *next; leg && *leg; leg = next) {
		struct cl_order o;
		char *colon;
		next = strchr(leg, ',');
		if (next)
			*next++ = '\0';
		colon = strchr(leg, ':');
		if (!colon || m.n == CL_SCALE_MAX)
			return cli_usage(cli, a->cmd,
					 "legs: 1..16 PRICE:SIZE separated by "
					 "commas");
		*colon = '\0';
		req.price = leg;
		req.size = colon + 1;
		if (!cl_cli_order_build(&o, err, sizeof(err), &req))
			return cli_usage(cli, a->cmd, "leg %u: %s", m.n + 1,
					 err);
		m.trader = o.trader;
		m.market = o.market;
		m.is_buy = o.is_buy;
		m.nonce = o.nonce;
		m.expiry = o.expiry;
		m.flags = o.flags;
		m.price[m.n] = o.price;
		m.size[m.n] = o.size;
		m.n++;
	}
	if (m.n == 0)
		return cli_usage(cli, a->cmd, "legs: at least one PRICE:SIZE");
	cl_scale_order_digest(&digest, &cli->config.domain, &m);
	char addr[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(addr, &m.trader);
	pr = json_array();
	sz = json_array();
	for (uint32_t i = 0; i < m.n; i++) {
		json_array_append_new(pr, cl_json_from_u64(m.price[i]));
		json_array_append_new(sz, cl_json_from_u64(m.size[i]));
	}
	j = json_pack("{s:s,s:i,s:b,s:o,s:o,s:o,s:o,s:i}", "trader", addr,
		      "market", (int)m.market, "isBuy", m.is_buy, "prices", pr,
		      "sizes", sz, "nonce", cl_json_from_u64(m.nonce), "expiry",
		      cl_json_from_u64(m.expiry), "flags", (int)m.flags);
	rc = cli_sign_submit(cli, &r, "l2_submitScaleOrder", j, &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_field(cli, "scale hash", r, "scaleHash");
	const json_t *hs = json_object_get(r, "orderHashes");
	for (size_t i = 0; i < json_array_size(hs); i++) {
		char label[32];
		snprintf(label, sizeof(label), "leg %zu", i + 1);
		cli_fmt_text(buf, sizeof(buf), json_array_get(hs, i));
		cli_kv(cli, label, buf);
	}
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_twap(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_cli_order_req req;
	struct cl_twap_order m;
	struct cl_hash32 digest;
	char err[CL_CLI_ERR_MAX], addr[CL_ADDRESS_STR_LEN + 1];
	uint64_t slices, slip = 30000;
	json_t *j, *r;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&m, 0, sizeof(m));
	if (strcmp(a->pos[1], "buy") == 0)
		req.is_buy = true;
	else if (strcmp(a->pos[1], "sell") != 0)
		return cli_usage(cli, a->cmd,
				 "side must be buy or sell, not '%s'",
				 a->pos[1]);
	if (!cl_parse_u64(&slices, a->pos[3], strlen(a->pos[3])) ||
	    slices == 0 || slices > UINT32_MAX)
		return cli_usage(cli, a->cmd, "SLICES: 1..2^32-1, not '%s'",
				 a->pos[3]);
	if (!cl_parse_u64(&m.interval, a->pos[4], strlen(a->pos[4])) ||
	    m.interval == 0)
		return cli_usage(cli, a->cmd,
				 "INTERVAL: seconds, at least 1, not '%s'",
				 a->pos[4]);
	if (a->set[OPT_SLIPPAGE] &&
	    (!cl_parse_u64(&slip, a->val[OPT_SLIPPAGE],
			   strlen(a->val[OPT_SLIPPAGE])) ||
	     slip > 1000000))
		return cli_usage(cli, a->cmd,
				 "--slippage-ppm: 0..1000000, not '%s'",
				 a->val[OPT_SLIPPAGE]);
	rc = cli_nonce_opt(cli, a, &m.nonce);
	if (rc)
		return rc;
	rc = cli_load_key(cli, a->cmd);
	if (!rc)
		rc = cli_trader_of(cli, a, &req.trader);
	if (!rc)
		rc = cli_get_config(cli);
	if (rc)
		return rc;
	req.market = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!req.market)
		return rc;
	/* the size in market units (the stf checks the step) */
	if (!cl_cli_parse_amount(&m.size, err, sizeof(err),
				 req.market->size_decimals, a->pos[2]))
		return cli_usage(cli, a->cmd, "SIZE: %s", err);
	m.trader = req.trader;
	m.market = req.market->id;
	m.is_buy = req.is_buy;
	m.slices = (uint32_t)slices;
	m.slippage_ppm = (uint32_t)slip;
	m.reduce_only = a->set[OPT_REDUCE_ONLY];
	cl_twap_order_digest(&digest, &cli->config.domain, &m);
	cl_address_format(addr, &m.trader);
	j = json_pack("{s:s,s:i,s:b,s:o,s:o,s:I,s:I,s:o,s:b}", "trader", addr,
		      "market", (int)m.market, "isBuy", m.is_buy, "size",
		      cl_json_from_u64(m.size), "interval",
		      cl_json_from_u64(m.interval), "slices",
		      (json_int_t)m.slices, "slippagePpm",
		      (json_int_t)m.slippage_ppm, "nonce",
		      cl_json_from_u64(m.nonce), "reduceOnly", m.reduce_only);
	rc = cli_sign_submit(cli, &r, "l2_submitTwapOrder", j, &digest);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_field(cli, "twap hash", r, "twapHash");
	cli_kv_field(cli, "block", r, "block");
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_twap_status(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const fields[] = {
		"twapHash", "status", "side", "size", "filledSize", "slices",
		"slicesDone", "interval", "nextSliceTime", "slippagePpm"};
	return cli_show_record(cli, a->cmd, "l2_getTwapOrder", a->pos[0], "TWAPHASH",
			       fields, CL_ARRAY_LEN(fields), false);
}
