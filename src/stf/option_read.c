/* SPDX-License-Identifier: MIT */
/*
 * The Greeks of an account's positions (docs/options.md "Greeks in the
 * stf"): per position and per underlying, from the same pricing code as
 * the marks, for l2_getAccount and clearline-cli. Reads only.
 */
#include "stf_int.h"

#include <string.h>

/* size units -> millionths of a unit of the underlying, toward zero */
static bool size_micro(int64_t *out, int64_t size, uint8_t size_decimals)
{
	__int128 v = (__int128)size * CL_OPT_MICRO;
	uint64_t p;

	if (!cl_pow10_u64(&p, size_decimals))
		return false;
	v /= (__int128)p;
	return cl_i128_to_i64(out, v);
}

/* The underlying a position's delta counts on: an option's, or the
 * perpetual itself. */
static uint32_t underlying_of(const struct cl_market_params *m)
{
	return cl_market_is_option(m) ? m->underlying : m->id;
}

static int leg_greeks(const struct cl_stf_view *v, uint64_t now,
		      const struct cl_market_params *m, int64_t size,
		      struct cl_stf_leg_greeks *out)
{
	struct cl_opt_book_greeks bg;
	struct cl_stf_opt_inputs in;
	struct cl_opt_leg leg;
	int rc;

	memset(out, 0, sizeof(*out));
	out->market = m->id;
	out->underlying = underlying_of(m);
	memset(&leg, 0, sizeof(leg));
	if (!size_micro(&leg.size_micro, size, m->size_decimals))
		return CL_STF_ERR_OVERFLOW;
	if (!cl_market_is_option(m)) {
		out->fresh = true;
		out->delta_micro = leg.size_micro;
		return CL_OK;
	}
	rc = stf_option_inputs_rc(v, now, m, &in);
	if (rc > 0)
		return CL_OK; /* not priced now: no Greeks, fresh false */
	if (rc != CL_OK)
		return rc;
	leg.kind = in.kind == CL_OPT_CALL ? CL_OPT_LEG_CALL : CL_OPT_LEG_PUT;
	leg.strike = (struct cl_price){in.strike};
	leg.tau_s = in.tau_s;
	leg.w_wad = in.w_wad;
	if (!options_book_greeks(&bg, in.fwd, &leg, 1))
		return CL_OK; /* a Greek beyond int64 (the last seconds) */
	out->fresh = true;
	out->delta_micro = bg.delta_micro;
	out->gamma_wad = bg.gamma_wad;
	out->vega_micro = bg.vega_micro;
	out->theta_micro = bg.theta_micro;
	return CL_OK;
}

static bool add_to(struct cl_stf_leg_greeks *t,
		   const struct cl_stf_leg_greeks *g)
{
	return cl_add_i64(&t->delta_micro, t->delta_micro, g->delta_micro) &&
	       cl_add_i64(&t->gamma_wad, t->gamma_wad, g->gamma_wad) &&
	       cl_add_i64(&t->vega_micro, t->vega_micro, g->vega_micro) &&
	       cl_add_i64(&t->theta_micro, t->theta_micro, g->theta_micro);
}

int cl_stf_get_account_greeks(const struct cl_stf_view *v,
			      struct cl_stf_account_greeks *out,
			      const struct cl_address *addr)
{
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	uint64_t ms_now;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = stf_get_global_u64(v, &ms_now, G_BLOCK_TIME);
	if (rc == CL_OK)
		rc = cl_stf_get_positions(v, pos, &n, addr);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct cl_market_params *m =
			cl_genesis_market(v->genesis, pos[i].market);
		struct cl_stf_leg_greeks *g = &out->leg[out->n];
		size_t u;

		if (!m)
			return CL_ERR_CORRUPT;
		rc = leg_greeks(v, ms_now / 1000, m, pos[i].size, g);
		if (rc != CL_OK)
			return rc;
		out->n++;
		for (u = 0; u < out->n_u; u++)
			if (out->total[u].underlying == g->underlying)
				break;
		if (u == out->n_u) {
			memset(&out->total[u], 0, sizeof(out->total[u]));
			out->total[u].underlying = g->underlying;
			out->total[u].market = g->underlying;
			out->total[u].fresh = true;
			out->n_u++;
		}
		out->total[u].fresh &= g->fresh;
		if (!add_to(&out->total[u], g))
			return CL_STF_ERR_OVERFLOW;
	}
	return CL_OK;
}
