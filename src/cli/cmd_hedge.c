/* SPDX-License-Identifier: MIT */
/*
 * bot taker --hedge: after each trade, an order on the perpetual that
 * brings the delta of every underlying the account holds options on
 * back towards 0 (docs/cli.md "bot maker, bot taker").
 */
#include <clearline/cli.h>

#include <inttypes.h>

#include "bot_int.h"

/*
 * --hedge: for every underlying whose Greeks l2_getAccount reports fresh
 * and on which the account holds an option, an IOC order on the
 * perpetual that brings the net delta (options and perpetual) back to
 * about 0, when it is off by more than a quarter of --notional.
 */
int bot_hedge_tick(struct bot *b)
{
	const struct cl_cli_config *cfg = &b->cli->config;
	const json_t *g, *p;
	json_t *acct, *r;
	int64_t collateral;
	size_t k, q;
	int rc = bot_read_account(b, &acct, &collateral);

	if (rc)
		return rc;
	json_array_foreach(json_object_get(acct, "greeks"), k, g) {
		uint64_t uid, size, price, slip, mark = 0, opts = 0;
		int64_t delta;
		const struct cl_cli_market *u;
		char sz[CL_DEC_STR_MAX];

		if (!cl_json_uint(&uid, json_object_get(g, "underlying"),
				  UINT32_MAX) ||
		    !json_is_true(json_object_get(g, "fresh")) ||
		    !cli_json_i64(&delta, json_object_get(g, "deltaMicro")))
			continue;
		u = cl_cli_market_by_id(cfg, (uint32_t)uid);
		if (!u || u->is_option)
			continue;
		json_array_foreach(json_object_get(acct, "positions"), q, p) {
			uint64_t mid;
			const struct cl_cli_market *m;

			if (cl_json_uint(&mid, json_object_get(p, "market"),
					 UINT32_MAX) &&
			    (m = cl_cli_market_by_id(cfg, (uint32_t)mid)) &&
			    m->is_option && m->underlying == u->id)
				opts++;
		}
		mark = b->mark[u - cfg->markets];
		if (opts == 0 || mark == 0 || delta == INT64_MIN)
			continue;
		/* delta in micro units of the underlying -> perp size units */
		size = bot_mul_div((uint64_t)(delta < 0 ? -delta : delta),
				   bot_pow10(u->size_decimals), 1000000);
		size -= size % u->step_size;
		if (size == 0 ||
		    size < bot_size_for(b, u, b->a->notional / 4 + 1, mark))
			continue;
		if (u->max_order_size && size > u->max_order_size)
			size = u->max_order_size - u->max_order_size %
							 u->step_size;
		slip = bot_mul_div(mark, TAKER_SLIPPAGE_BPS, 10000);
		if (delta < 0) { /* short delta: buy the perpetual */
			price = mark + slip;
			price += (u->tick_size - price % u->tick_size) %
				 u->tick_size;
		} else {
			price = mark > slip ? mark - slip : u->tick_size;
			price -= price % u->tick_size;
			if (price == 0)
				price = u->tick_size;
		}
		if (bot_place_order(b, &r, u, delta < 0, price, size,
				CL_CLI_FLAG_IOC, 60) != CL_CLI_EXIT_OK)
			continue;
		cl_dec_format_u64(sz, size, u->size_decimals);
		bot_out_line(b->cli, "taker: hedge %s %s %s (delta of %" PRIu64
				 " option position(s))",
			 delta < 0 ? "buy" : "sell", sz, u->symbol, opts);
		json_decref(r);
	}
	json_decref(acct);
	return CL_CLI_EXIT_OK;
}
