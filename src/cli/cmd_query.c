/* SPDX-License-Identifier: MIT */
/*
 * The reading commands: account, book, markets, status, order-status,
 * withdrawal-proof. With --json they print the node's result unchanged;
 * otherwise they render it in human units, tolerating fields the node
 * leaves out ("-").
 */
#include <clearline/cli.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

#define DEFAULT_DEPTH 10
#define MAX_DEPTH 1000

/* A market id as the node writes it (number or string), or -1. */
static int64_t market_id(const json_t *v)
{
	uint64_t id;

	if (!cli_json_u64(&id, v) || id > UINT32_MAX)
		return -1;
	return (int64_t)id;
}

static const struct cl_cli_market *market_of(struct cl_cli *cli,
					     const json_t *obj)
{
	const json_t *v = json_object_get(obj, "market");
	int64_t id;

	if (!v)
		v = json_object_get(obj, "id");
	if (json_is_string(v)) {
		const struct cl_cli_market *m =
		    cl_cli_market_find(&cli->config, json_string_value(v));
		if (m)
			return m;
	}
	id = market_id(v);
	return id < 0 ? NULL : cl_cli_market_by_id(&cli->config, (uint32_t)id);
}

static void kv_units(struct cl_cli *cli, const char *label, const json_t *v,
		     unsigned decimals)
{
	char buf[CL_DEC_STR_MAX];

	cl_cli_fmt_units(buf, v, decimals);
	cli_kv(cli, label, buf);
}

static void kv_text(struct cl_cli *cli, const char *label, const json_t *v)
{
	char buf[512];

	cli_fmt_text(buf, sizeof(buf), v);
	cli_kv(cli, label, buf);
}

/* A market's units, or "?" placeholders when the market is unknown. */
static void units_or_raw(char out[CL_DEC_STR_MAX], const json_t *v,
			 const struct cl_cli_market *m, bool price)
{
	if (!m) {
		cli_fmt_text(out, CL_DEC_STR_MAX, v);
		return;
	}
	cl_cli_fmt_units(out, v, price ? m->price_decimals : m->size_decimals);
}

static const char *side_text(const json_t *o)
{
	const json_t *side = json_object_get(o, "side");
	const json_t *buy = json_object_get(o, "isBuy");

	if (json_is_string(side))
		return json_string_value(side);
	if (json_is_boolean(buy))
		return json_is_true(buy) ? "buy" : "sell";
	return NULL;
}

/* A position's size is shown as a magnitude; the side says the sign. */
static void position_size(char out[CL_DEC_STR_MAX], const json_t *v,
			  const struct cl_cli_market *m)
{
	int64_t s;

	if (m && json_is_string(v) && json_string_value(v)[0] == '-' &&
	    cli_json_i64(&s, v) && s != INT64_MIN) {
		cl_dec_format_i64(out, -s, m->size_decimals);
		return;
	}
	units_or_raw(out, v, m, false);
}

static void print_positions(struct cl_cli *cli, const json_t *ps)
{
	static const char *const head[] = {"market",	     "side",
					   "size",	     "entry price",
					   "unrealized pnl", "liq. price"};
	unsigned cd = cli->config.collateral_decimals;
	struct cl_cli_table t;
	const json_t *p;
	size_t i;

	fprintf(cli->out, "\npositions\n");
	if (!json_is_array(ps) || json_array_size(ps) == 0) {
		fprintf(cli->out, "  (none)\n");
		return;
	}
	cl_cli_table_init(&t, 6, head, 0x3c);
	json_array_foreach(ps, i, p) {
		const struct cl_cli_market *m = market_of(cli, p);
		char mk[CL_DEC_STR_MAX], sz[CL_DEC_STR_MAX];
		char ep[CL_DEC_STR_MAX], pnl[CL_DEC_STR_MAX];
		char lp[CL_DEC_STR_MAX];

		if (m)
			snprintf(mk, sizeof(mk), "%s", m->symbol);
		else
			cli_fmt_text(mk, sizeof(mk),
				     json_object_get(p, "market"));
		position_size(sz, json_object_get(p, "size"), m);
		units_or_raw(ep, json_object_get(p, "entryPrice"), m, true);
		cl_cli_fmt_units(pnl, json_object_get(p, "unrealizedPnl"), cd);
		units_or_raw(lp, json_object_get(p, "liquidationPrice"), m,
			     true);
		cl_cli_table_add(&t, mk, side_text(p), sz, ep, pnl, lp);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
}

/* The Greeks per underlying (docs/options.md "Greeks in the stf"):
 * delta in units of the underlying, gamma in delta per price unit, vega
 * and theta in price units per 1.00 of volatility and per day; printed
 * only for an account holding options. */
static void print_greeks(struct cl_cli *cli, const json_t *ps,
			 const json_t *gs)
{
	static const char *const head[] = {"underlying", "delta", "gamma",
					   "vega", "theta/day"};
	struct cl_cli_table t;
	const json_t *g, *p;
	bool any = false;
	size_t i;

	json_array_foreach(ps, i, p)
		any |= json_is_object(json_object_get(p, "option"));
	if (!any || !json_is_array(gs))
		return;
	fprintf(cli->out, "\ngreeks\n");
	cl_cli_table_init(&t, 5, head, 0x1e);
	json_array_foreach(gs, i, g) {
		char u[CL_DEC_STR_MAX], d[CL_DEC_STR_MAX], ga[CL_DEC_STR_MAX];
		char v[CL_DEC_STR_MAX], th[CL_DEC_STR_MAX];

		cli_fmt_text(u, sizeof(u), json_object_get(g, "underlying"));
		cl_cli_fmt_units(d, json_object_get(g, "deltaMicro"), 6);
		cl_cli_fmt_units(ga, json_object_get(g, "gammaWad"), 18);
		cl_cli_fmt_units(v, json_object_get(g, "vegaMicro"), 6);
		cl_cli_fmt_units(th, json_object_get(g, "thetaMicro"), 6);
		cl_cli_table_add(&t, u, d, ga, v, th);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
}

/* Collateral assets (docs/margin.md "Collateral assets"): balances in
 * the asset's units (atoms when the configuration does not list it),
 * values in the settlement token; nothing printed for
 * a chain without assets. */
static void print_assets(struct cl_cli *cli, const json_t *as)
{
	static const char *const head[] = {"asset", "balance", "value",
					   "haircut value",
					   "extra haircut ppm"};
	unsigned cd = cli->config.collateral_decimals;
	struct cl_cli_table t;
	const json_t *x;
	size_t i;

	if (!json_is_array(as) || json_array_size(as) == 0)
		return;
	fprintf(cli->out, "\ncollateral assets\n");
	cl_cli_table_init(&t, 5, head, 0x1e);
	json_array_foreach(as, i, x) {
		char sym[CL_DEC_STR_MAX], bal[CL_DEC_STR_MAX];
		char gv[CL_DEC_STR_MAX], hv[CL_DEC_STR_MAX];
		char ex[CL_DEC_STR_MAX];

		cli_fmt_text(sym, sizeof(sym), json_object_get(x, "symbol"));
		/* in the asset's decimals (the entry's, else the
		 * configuration's), else in atoms */
		uint64_t id, atoms, dec;
		bool has_dec = cli_json_u64(&dec, json_object_get(x, "decimals")) &&
			       dec <= CL_DEC_MAX_DECIMALS;
		if (!has_dec && cli_json_u64(&id, json_object_get(x, "asset"))) {
			for (size_t k = 0; k < cli->config.n_assets; k++) {
				if (cli->config.assets[k].id != id)
					continue;
				dec = cli->config.assets[k].decimals;
				has_dec = true;
			}
		}
		if (has_dec && cli_json_u64(&atoms, json_object_get(x, "balance")))
			cl_dec_format_u64(bal, atoms, (unsigned)dec);
		else
			cli_fmt_text(bal, sizeof(bal),
				     json_object_get(x, "balance"));
		cl_cli_fmt_units(gv, json_object_get(x, "grossValue"), cd);
		cl_cli_fmt_units(hv, json_object_get(x, "haircutValue"), cd);
		cli_fmt_text(ex, sizeof(ex),
			     json_object_get(x, "haircutExtraPpm"));
		cl_cli_table_add(&t, sym, bal, gv, hv, ex);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
}

static void print_open_orders(struct cl_cli *cli, const json_t *os)
{
	static const char *const head[] = {"order hash", "market", "side",
					   "price",	 "size",   "filled"};
	struct cl_cli_table t;
	const json_t *o;
	size_t i;

	fprintf(cli->out, "\nopen orders\n");
	if (!json_is_array(os) || json_array_size(os) == 0) {
		fprintf(cli->out, "  (none)\n");
		return;
	}
	cl_cli_table_init(&t, 6, head, 0x38);
	json_array_foreach(os, i, o) {
		const json_t *src = json_object_get(o, "order");
		const struct cl_cli_market *m;
		char h[80], mk[CL_DEC_STR_MAX], pr[CL_DEC_STR_MAX];
		char sz[CL_DEC_STR_MAX], fl[CL_DEC_STR_MAX];

		if (!json_is_object(src))
			src = o;
		m = market_of(cli, src);
		cli_fmt_text(h, sizeof(h), json_object_get(o, "orderHash"));
		if (m)
			snprintf(mk, sizeof(mk), "%s", m->symbol);
		else
			cli_fmt_text(mk, sizeof(mk),
				     json_object_get(src, "market"));
		units_or_raw(pr, json_object_get(src, "price"), m, true);
		units_or_raw(sz, json_object_get(src, "size"), m, false);
		units_or_raw(fl, json_object_get(o, "filledSize"), m, false);
		cl_cli_table_add(&t, h, mk, side_text(src), pr, sz, fl);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
}

int cli_cmd_account(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_address who;
	char s[CL_ADDRESS_STR_LEN + 2];
	unsigned cd;
	json_t *p, *r;
	int rc;

	if (a->npos == 1) {
		if (!cli_parse_address(&who, a->pos[0]))
			return cli_usage(cli, a->cmd, "not an address: %s",
					 a->pos[0]);
	} else {
		rc = cli_load_key(cli, a->cmd);
		if (rc)
			return rc;
		cl_seckey_address(&who, cli->key);
	}
	if (!cli->json) {
		rc = cli_get_config(cli);
		if (rc)
			return rc;
	}
	cl_address_format(s, &who);
	p = json_array();
	json_array_append_new(p, json_string(s));
	rc = cl_cli_call(cli, &r, "l2_getAccount", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cd = cli->config.collateral_decimals;
	cl_cli_fmt_address(s, json_object_get(r, "address"));
	cli_kv(cli, "address", s);
	kv_units(cli, "collateral", json_object_get(r, "collateral"), cd);
	kv_units(cli, "equity", json_object_get(r, "equity"), cd);
	kv_units(cli, "initial margin", json_object_get(r, "initialMargin"),
		 cd);
	kv_units(cli, "maintenance margin",
		 json_object_get(r, "maintenanceMargin"), cd);
	kv_units(cli, "free collateral", json_object_get(r, "freeCollateral"),
		 cd);
	kv_text(cli, "nonce", json_object_get(r, "nonce"));
	/* portfolio margin (docs/margin.md "Portfolio margin") */
	const json_t *pf = json_object_get(r, "portfolio");
	if (json_is_object(pf)) {
		const json_t *fig = json_object_get(pf, "figures");
		cli_kv(cli, "margin mode",
		       json_is_true(json_object_get(pf, "enabled")) ?
			       "portfolio" :
			       "leg by leg");
		if (json_is_object(fig)) {
			kv_units(cli, "portfolio maintenance",
				 json_object_get(fig, "maintenanceMargin"), cd);
			kv_units(cli, "portfolio initial",
				 json_object_get(fig, "initialMargin"), cd);
		}
	}
	print_assets(cli, json_object_get(r, "collateralAssets"));
	print_positions(cli, json_object_get(r, "positions"));
	print_greeks(cli, json_object_get(r, "positions"),
		     json_object_get(r, "greeks"));
	print_open_orders(cli, json_object_get(r, "openOrders"));
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_book(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const head[] = {"bid size", "bid price", "ask price",
					   "ask size"};
	const struct cl_cli_market *m;
	const json_t *bids, *asks;
	struct cl_cli_table t;
	uint64_t depth = DEFAULT_DEPTH;
	json_t *p, *r;
	size_t n;
	int rc;

	if (a->set[OPT_DEPTH] && (!cl_parse_u64(&depth, a->val[OPT_DEPTH],
						strlen(a->val[OPT_DEPTH])) ||
				  depth == 0 || depth > MAX_DEPTH))
		return cli_usage(cli, a->cmd,
				 "--depth must be a number from 1 to %d",
				 MAX_DEPTH);
	rc = cli_get_config(cli);
	if (rc)
		return rc;
	m = cli_market(cli, a->cmd, &rc, a->pos[0]);
	if (!m)
		return rc;
	p = json_array();
	json_array_append_new(p, json_integer(m->id));
	json_array_append_new(p, json_integer((json_int_t)depth));
	rc = cl_cli_call(cli, &r, "l2_getOrderBook", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	bids = json_object_get(r, "bids");
	asks = json_object_get(r, "asks");
	n = json_array_size(bids) > json_array_size(asks)
		? json_array_size(bids)
		: json_array_size(asks);
	fprintf(cli->out, "%s (market %" PRIu32 ")\n", m->symbol, m->id);
	cl_cli_table_init(&t, 4, head, 0xf);
	for (size_t i = 0; i < n; i++) {
		const json_t *b = json_array_get(bids, i);
		const json_t *k = json_array_get(asks, i);
		char bs[CL_DEC_STR_MAX] = "", bp[CL_DEC_STR_MAX] = "";
		char ap[CL_DEC_STR_MAX] = "", as[CL_DEC_STR_MAX] = "";

		if (b) {
			cl_cli_fmt_units(bp, json_array_get(b, 0),
					 m->price_decimals);
			cl_cli_fmt_units(bs, json_array_get(b, 1),
					 m->size_decimals);
		}
		if (k) {
			cl_cli_fmt_units(ap, json_array_get(k, 0),
					 m->price_decimals);
			cl_cli_fmt_units(as, json_array_get(k, 1),
					 m->size_decimals);
		}
		cl_cli_table_add(&t, bs, bp, ap, as);
	}
	if (n == 0)
		fprintf(cli->out, "(empty book)\n");
	else
		cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

/* The entry of l2_getMarkets for market m (array or {markets: [...]}). */
static const json_t *market_prices(struct cl_cli *cli, const json_t *r,
				   const struct cl_cli_market *m)
{
	const json_t *list =
	    json_is_array(r) ? r : json_object_get(r, "markets");
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		if (market_of(cli, e) == m)
			return e;
	}
	return NULL;
}

int cli_cmd_markets(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const head[] = {
	    "id",	    "symbol",	     "mark", "index", "oracle",
	    "funding rate", "open interest", "tick", "step"};
	struct cl_cli_table t;
	json_t *r;
	int rc;

	if (!cli->json) {
		rc = cli_get_config(cli);
		if (rc)
			return rc;
	}
	rc = cl_cli_call(cli, &r, "l2_getMarkets", NULL);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cl_cli_table_init(&t, 9, head, 0x1fd);
	for (size_t i = 0; i < cli->config.n_markets; i++) {
		const struct cl_cli_market *m = &cli->config.markets[i];
		const json_t *e = market_prices(cli, r, m);
		char id[16], mark[CL_DEC_STR_MAX], idx[CL_DEC_STR_MAX];
		char orc[CL_DEC_STR_MAX], fr[64], oi[CL_DEC_STR_MAX];
		char tick[CL_DEC_STR_MAX], step[CL_DEC_STR_MAX];

		snprintf(id, sizeof(id), "%" PRIu32, m->id);
		cl_cli_fmt_units(mark, json_object_get(e, "markPrice"),
				 m->price_decimals);
		cl_cli_fmt_units(idx, json_object_get(e, "indexPrice"),
				 m->price_decimals);
		cl_cli_fmt_units(orc, json_object_get(e, "oraclePrice"),
				 m->price_decimals);
		cli_fmt_text(fr, sizeof(fr), json_object_get(e, "fundingRate"));
		cl_cli_fmt_units(oi, json_object_get(e, "openInterest"),
				 m->size_decimals);
		cl_dec_format_u64(tick, m->tick_size, m->price_decimals);
		cl_dec_format_u64(step, m->step_size, m->size_decimals);
		cl_cli_table_add(&t, id, m->symbol, mark, idx, orc, fr, oi,
				 tick, step);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_status(struct cl_cli *cli, const struct cli_args *a)
{
	json_t *r;
	int rc = cl_cli_call(cli, &r, "l2_syncStatus", NULL);

	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	kv_text(cli, "head block", json_object_get(r, "headBlock"));
	kv_text(cli, "head state root", json_object_get(r, "headStateRoot"));
	kv_text(cli, "posted batch", json_object_get(r, "postedBatch"));
	kv_text(cli, "finalized batch", json_object_get(r, "finalizedBatch"));
	kv_text(cli, "l1 head", json_object_get(r, "l1Head"));
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_order_status(struct cl_cli *cli, const struct cli_args *a)
{
	const struct cl_cli_market *m;
	const json_t *o;
	struct cl_hash32 h;
	char buf[CL_DEC_STR_MAX + 64];
	json_t *p, *r;
	uint64_t exp;
	int rc;

	if (!cli_parse_hash(&h, a->pos[0]))
		return cli_usage(cli, a->cmd,
				 "ORDERHASH must be 0x and 64 hex digits");
	if (!cli->json) {
		rc = cli_get_config(cli);
		if (rc)
			return rc;
	}
	p = json_array();
	json_array_append_new(p, cl_json_from_bytes(h.b, 32));
	rc = cl_cli_call(cli, &r, "l2_getOrder", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	o = json_object_get(r, "order");
	if (!json_is_object(o))
		o = r;
	m = market_of(cli, o);
	cl_hex_encode(buf, h.b, 32, true);
	cli_kv(cli, "order hash", buf);
	kv_text(cli, "status", json_object_get(r, "status"));
	cl_cli_fmt_address(buf, json_object_get(o, "trader"));
	cli_kv(cli, "trader", buf);
	if (m)
		cli_kv(cli, "market", m->symbol);
	else
		kv_text(cli, "market", json_object_get(o, "market"));
	cli_kv(cli, "side", side_text(o) ? side_text(o) : "-");
	units_or_raw(buf, json_object_get(o, "price"), m, true);
	cli_kv(cli, "price", buf);
	units_or_raw(buf, json_object_get(o, "size"), m, false);
	cli_kv(cli, "size", buf);
	units_or_raw(buf, json_object_get(r, "filledSize"), m, false);
	cli_kv(cli, "filled size", buf);
	if (cli_json_u64(&exp, json_object_get(o, "expiry"))) {
		cli_fmt_time(buf, exp);
		cli_kv(cli, "expiry", buf);
	}
	kv_text(cli, "flags", json_object_get(o, "flags"));
	json_decref(r);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_withdrawal_proof(struct cl_cli *cli, const struct cli_args *a)
{
	const json_t *tx;
	uint64_t id;
	json_t *p, *r;
	int rc;

	if (!cl_parse_u64(&id, a->pos[0], strlen(a->pos[0])))
		return cli_usage(cli, a->cmd, "ID must be a decimal number");
	p = json_array();
	json_array_append_new(p, cl_json_from_u64(id));
	rc = cl_cli_call(cli, &r, "l2_getWithdrawalProof", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "withdrawal id", a->pos[0]);
	kv_text(cli, "status", json_object_get(r, "status"));
	kv_text(cli, "batch", json_object_get(r, "batch"));
	tx = json_object_get(r, "tx");
	if (json_is_object(tx)) {
		char to[CL_ADDRESS_STR_LEN + 2];

		cl_cli_fmt_address(to, json_object_get(tx, "to"));
		cli_kv(cli, "claim tx to", to);
		/* calldata can be long: printed whole, for copying */
		const json_t *d = json_object_get(tx, "data");
		fprintf(cli->out, "%-20s%s\n", "claim tx data",
			json_is_string(d) ? json_string_value(d) : "-");
	}
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
