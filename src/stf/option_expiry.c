/* SPDX-License-Identifier: MIT */
/*
 * Expiry of option markets (docs/options.md "Expiry"): the time-weighted
 * average of the underlying's index over the window before each listed
 * expiry, accumulated as blocks open; the settlement price it fixes at
 * the first block at or after expiry; and OPTION_SETTLE, which closes
 * one position at its intrinsic value against the insurance fund.
 */
#include "stf_int.h"

#include <string.h>

#define SETTLE_KEY_LEN 12 /* underlying u32 ‖ expiry u64 */
#define SETTLE_VAL_LEN 40 /* sum i128 ‖ covered u64 ‖ last u64 ‖ price */

bool stf_option_closed(const struct cl_genesis *g,
		       const struct cl_market_params *m, uint64_t now)
{
	(void)g;
	return m && cl_market_is_option(m) && now >= m->expiry;
}

static void settle_key(uint8_t k[SETTLE_KEY_LEN], uint32_t u, uint64_t e)
{
	cl_put_be32(k, u);
	cl_put_be64(k + 4, e);
}

int cl_stf_get_option_twap(const struct cl_stf_view *v,
			   struct cl_stf_option_twap *out, uint32_t underlying,
			   uint64_t expiry)
{
	uint8_t k[SETTLE_KEY_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc;

	memset(out, 0, sizeof(*out));
	settle_key(k, underlying, expiry);
	rc = stf_view_get(v, &val, &vlen, CL_TABLE_OPT_SETTLE, k, sizeof(k));
	if (rc != CL_OK)
		return rc;
	if (vlen != SETTLE_VAL_LEN)
		return CL_ERR_CORRUPT;
	out->sum = stf_get_i128(val);
	out->covered_s = cl_get_be64(val + 16);
	out->last_s = cl_get_be64(val + 24);
	out->settle_price = cl_get_be64(val + 32);
	return CL_OK;
}

static void put_twap(struct cl_state *st, uint32_t u, uint64_t e,
		     const struct cl_stf_option_twap *t)
{
	uint8_t k[SETTLE_KEY_LEN], v[SETTLE_VAL_LEN];

	settle_key(k, u, e);
	stf_put_i128(v, t->sum);
	cl_put_be64(v + 16, t->covered_s);
	cl_put_be64(v + 24, t->last_s);
	cl_put_be64(v + 32, t->settle_price);
	cl_state_put(st, CL_TABLE_OPT_SETTLE, k, sizeof(k), v, sizeof(v));
}

/* Is option i the first of the genesis with its underlying and expiry
 * (so each pair is accumulated once)? */
static bool first_of_pair(const struct cl_genesis *g, uint32_t i)
{
	const struct cl_market_params *m = &g->markets[i];

	for (uint32_t j = 0; j < i; j++)
		if (cl_market_is_option(&g->markets[j]) &&
		    g->markets[j].underlying == m->underlying &&
		    g->markets[j].expiry == m->expiry)
			return false;
	return true;
}

int stf_options_accumulate(struct cl_stf *s)
{
	struct cl_stf_view v = cl_stf_view(s);
	const uint64_t now = s->now_s;

	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		struct cl_stf_option_twap t;
		struct cl_market_state us;
		uint64_t start, lo, hi;
		int rc;

		if (!cl_market_is_option(m))
			continue;
		/* the genesis rule expiry > the window keeps this positive */
		start = m->expiry - CL_OPT_SETTLE_WINDOW_S;
		if (now <= start || !first_of_pair(&s->g, i))
			continue;
		rc = cl_stf_get_option_twap(&v, &t, m->underlying, m->expiry);
		if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
			return rc;
		if (t.settle_price != 0)
			continue;
		rc = stf_load_market(&v, &us, m->underlying);
		if (rc != CL_OK)
			return rc;
		/* the index as the block opens has held since the previous
		 * block: it weighs the seconds since then (inside the
		 * window); a window without any index counts none */
		lo = t.last_s > start ? t.last_s : start;
		hi = now < m->expiry ? now : m->expiry;
		if (hi > lo && us.oracle_price != 0) {
			t.sum += (__int128)us.oracle_price * (hi - lo);
			t.covered_s += hi - lo;
		}
		if (hi > t.last_s)
			t.last_s = hi;
		if (now >= m->expiry) {
			if (t.covered_s != 0)
				t.settle_price =
					(uint64_t)(t.sum /
						   (__int128)t.covered_s);
			else
				t.settle_price = us.oracle_price;
		}
		put_twap(s->st, m->underlying, m->expiry, &t);
	}
	return CL_OK;
}

/* The settlement price of option `m` (0 while not fixed). */
static int settle_price(const struct cl_stf_view *v,
			const struct cl_market_params *m, uint64_t *out)
{
	struct cl_stf_option_twap t;
	int rc = cl_stf_get_option_twap(v, &t, m->underlying, m->expiry);

	*out = rc == CL_OK ? t.settle_price : 0;
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int stf_option_settle_price(const struct cl_stf_view *v,
			    const struct cl_market_params *m, uint64_t *out)
{
	return settle_price(v, m, out);
}

int stf_apply_option_settle(struct cl_stf *s,
			    const struct cl_tx_option_settle *t)
{
	static const struct cl_address fund;
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *m = cl_genesis_market(&s->g, t->market);
	struct cl_market_state ms;
	struct cl_position p;
	struct cl_amount coll, realised, n;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	struct cl_account acc;
	struct cl_size q;
	int64_t payoff_micro, ins;
	uint64_t price;
	size_t np, j;
	int e, rc;

	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (!cl_market_is_option(m))
		return CL_STF_ERR_OPTION_MARKET;
	rc = settle_price(&v, m, &price);
	if (rc != CL_OK)
		return rc;
	if (price == 0 || s->now_s < m->expiry)
		return CL_STF_ERR_NOT_SETTLED;
	if (!options_payoff_micro(&payoff_micro,
				  m->kind == CL_MARKET_CALL ? CL_OPT_CALL :
							      CL_OPT_PUT,
				  (struct cl_price){price},
				  (struct cl_price){m->strike}))
		return CL_STF_ERR_OVERFLOW;
	e = cl_genesis_scale_exp(&s->g, m);
	rc = stf_load_market(&v, &ms, m->id);
	if (rc == CL_OK)
		rc = stf_get_insurance(&v, &ins);
	if (rc != CL_OK)
		return rc;

	if (memcmp(t->account.b, fund.b, 20) == 0) {
		/* the fund's own position: the payments of every other
		 * holder already went through the fund; its cost is what is
		 * left to realise */
		if (ms.fund_size == 0)
			return CL_STF_ERR_NO_POSITION;
		if (ms.fund_size > 0)
			ms.open_interest -= (uint64_t)ms.fund_size;
		if (!cl_sub_i64(&ins, ins, ms.fund_cost))
			return CL_STF_ERR_OVERFLOW;
		ms.fund_size = 0;
		ms.fund_cost = 0;
		stf_put_market(s->st, m->id, &ms);
		stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)ins);
		return CL_STF_OK;
	}

	rc = cl_stf_get_account(&v, &acc, &t->account);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		return rc;
	rc = cl_stf_get_positions(&v, pos, &np, &t->account);
	if (rc != CL_OK)
		return rc;
	for (j = 0; j < np && pos[j].market != m->id; j++)
		;
	if (j == np)
		return CL_STF_ERR_NO_POSITION;
	p = (struct cl_position){pos[j].size, {pos[j].cost}};
	q = margin_abs_size(p.size);
	coll.atoms = acc.collateral;
	/* a long is paid its value rounded down, a short pays its value
	 * rounded up: the fund keeps the difference */
	if (p.size > 0 ? !cl_notional_down(&n, (struct cl_price){(uint64_t)
			 (payoff_micro / CL_OPT_MICRO)}, q, e) :
			 !cl_notional_up(&n, (struct cl_price){(uint64_t)
			 (payoff_micro / CL_OPT_MICRO)}, q, e))
		return CL_STF_ERR_OVERFLOW;
	if (!margin_apply_close(&p, &coll, &realised, p.size < 0, q, n))
		return CL_STF_ERR_OVERFLOW;
	if (pos[j].size > 0 ? !cl_sub_i64(&ins, ins, n.atoms) :
			 !cl_add_i64(&ins, ins, n.atoms))
		return CL_STF_ERR_OVERFLOW;
	if (pos[j].size > 0)
		ms.open_interest -= q.v;
	acc.collateral = coll.atoms;
	stf_put_account(s->st, &t->account, &acc);
	stf_put_position(s->st, &t->account, m->id, &p, 0);
	stf_put_market(s->st, m->id, &ms);
	stf_put_global_u64(s->st, G_INSURANCE, (uint64_t)ins);
	return stf_reindex(s, &t->account);
}
