/* SPDX-License-Identifier: MIT */
/*
 * The index, the mark and funding: oracle updates (median, agreement
 * band, circuit breaker, volatility), and per block the premium EMA,
 * funding accrual and the mark of every market; the market read helper.
 * docs/margin.md "Risk engine" is the reference.
 */
#include "stf_int.h"

#include <string.h>

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* ------------------------------------------------------------------ */
/* Oracle                                                              */
/* ------------------------------------------------------------------ */

static bool is_oracle_signer(const struct cl_genesis *g,
			     const struct cl_address *a)
{
	for (uint32_t i = 0; i < g->n_oracle_signers; i++)
		if (addr_eq(&g->oracle_signers[i], a))
			return true;
	return false;
}

/* The last trade counts while it is younger than the premium EMA's time
 * constant; an older one (or none) counts as the index. */
static struct cl_price last_trade(const struct cl_market_params *m,
				  const struct cl_market_state *ms,
				  uint64_t now)
{
	if (ms->last_trade_price == 0 ||
	    now - ms->last_trade_time > m->risk.premium_ema_seconds)
		return (struct cl_price){0};
	return (struct cl_price){ms->last_trade_price};
}

/* The largest price an oracle may report: keeps every product of a
 * price with a ppm or ppb factor inside 128 bits with room to spare. */
#define ORACLE_PRICE_MAX ((uint64_t)1 << 62)

int stf_apply_oracle_entries(struct cl_stf *s, uint32_t market,
			     const struct stf_oracle_entry *e, size_t n)
{
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *m = cl_genesis_market(&s->g, market);
	struct cl_market_state ms;
	struct cl_price prices[CL_TX_ORACLE_MAX_ENTRIES], median, lo, hi;
	struct cl_price anchor, index;
	uint64_t newest = 0;
	size_t agree = 0;
	int rc;

	CL_REQUIRE(n <= CL_TX_ORACLE_MAX_ENTRIES);
	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (m->kind != CL_MARKET_PERP)
		return CL_STF_ERR_OPTION_MARKET; /* priced from its underlying */
	rc = stf_load_market(&v, &ms, market);
	if (rc != CL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (e[i].price == 0)
			return CL_STF_ERR_BAD_PRICE;
		if (e[i].price > ORACLE_PRICE_MAX)
			return CL_STF_ERR_ORACLE_OUT_OF_BOUND;
		if (e[i].timestamp > s->now_s)
			return CL_STF_ERR_ORACLE_FUTURE;
		if (s->now_s - e[i].timestamp > s->g.oracle_max_age)
			return CL_STF_ERR_ORACLE_STALE;
		if (e[i].timestamp <= ms.oracle_timestamp)
			return CL_STF_ERR_ORACLE_NOT_MONOTONIC;
	}
	for (size_t i = 0; i < n; i++) {
		if (e[i].err != CL_SIG_OK)
			return CL_STF_ERR_BAD_SIGNATURE;
		if (!is_oracle_signer(&s->g, &e[i].signer))
			return CL_STF_ERR_ORACLE_UNKNOWN_SIGNER;
		for (size_t j = 0; j < i; j++)
			if (addr_eq(&e[j].signer, &e[i].signer))
				return CL_STF_ERR_ORACLE_DUPLICATE_SIGNER;
	}
	if (n < s->g.oracle_quorum)
		return CL_STF_ERR_ORACLE_QUORUM;
	for (size_t i = 0; i < n; i++) {
		prices[i] = (struct cl_price){e[i].price};
		if (e[i].timestamp > newest)
			newest = e[i].timestamp;
	}
	median = margin_median_lower(prices, n);
	margin_band(&lo, &hi, median, m->risk.oracle_band_ppm);
	for (size_t i = 0; i < n; i++)
		agree += prices[i].v >= lo.v && prices[i].v <= hi.v;
	if (agree < s->g.oracle_quorum)
		return CL_STF_ERR_ORACLE_OUT_OF_BOUND;

	/* circuit breaker: a window opens at the first update after the
	 * previous one closed; the index moves at most max_jump from the
	 * window's anchor */
	if (ms.breaker_start == 0 ||
	    s->now_s - ms.breaker_start >= m->risk.max_jump_window) {
		ms.breaker_start = s->now_s;
		ms.breaker_anchor = ms.oracle_price;
	}
	anchor = (struct cl_price){ms.breaker_anchor};
	index = margin_breaker_clamp(anchor, median, m->risk.max_jump_ppm);
	if (anchor.v == 0)
		ms.breaker_anchor = index.v;
	if (ms.oracle_price != 0 && index.v != ms.oracle_price)
		ms.vol_var = margin_vol_update(ms.vol_var,
					       (struct cl_price){ms.oracle_price},
					       index, m->risk.vol_alpha_ppm);
	ms.oracle_price = index.v;
	ms.oracle_timestamp = newest;
	ms.mark_price = margin_mark_price(index, ms.premium_ema_ppb,
					  last_trade(m, &ms, s->now_s),
					  m->risk.mark_band_ppm)
				.v;
	stf_put_market(s->st, market, &ms);
	/* the options on this index follow it */
	return stf_options_refresh(s, market);
}

/* ------------------------------------------------------------------ */
/* Per block: premium EMA, funding accrual, mark                       */
/* ------------------------------------------------------------------ */

static int64_t ppm_to_ppb(uint32_t ppm)
{
	return (int64_t)ppm * 1000;
}

/* The funding rate if the open interval closed now. */
static int64_t predicted_rate(const struct cl_market_params *m,
			      const struct cl_market_state *ms)
{
	int64_t avg = ms->premium_samples ?
			      ms->premium_sum_ppb /
				      (int64_t)ms->premium_samples :
			      0;

	return margin_funding_rate_ppb(
		avg, ppm_to_ppb(m->risk.funding_interest_ppm),
		ppm_to_ppb(m->risk.funding_interest_clamp_ppm),
		ppm_to_ppb(m->risk.funding_cap_ppm));
}

static void market_tick(const struct cl_genesis *g,
			const struct cl_market_params *m,
			struct cl_market_state *ms, uint64_t now)
{
	bool stale = now - ms->oracle_timestamp > g->oracle_max_age;
	int e = cl_genesis_scale_exp(g, m);
	int64_t x;

	if (ms->ema_time == 0 || now < ms->ema_time)
		ms->ema_time = now;
	if (ms->funding_time == 0 || now < ms->funding_time)
		ms->funding_time = now;
	/* a stale index (no quorum for longer than the oracle max age)
	 * freezes the mark and the premium: margin keeps the last mark and
	 * no funding accrues until prices return */
	if (!stale) {
		x = margin_premium_sample_ppb(last_trade(m, ms, now),
					      (struct cl_price){ms->oracle_price},
					      m->risk.mark_band_ppm);
		ms->premium_ema_ppb = margin_ema_update(
			ms->premium_ema_ppb, x, now - ms->ema_time,
			m->risk.premium_ema_seconds);
		if (ms->premium_samples < UINT32_MAX) {
			ms->premium_sum_ppb += ms->premium_ema_ppb;
			ms->premium_samples++;
		}
	}
	ms->ema_time = now;
	if (now - ms->funding_time >= g->funding_interval) {
		uint64_t periods = (now - ms->funding_time) /
				   g->funding_interval;
		int64_t rate = ms->premium_samples ? predicted_rate(m, ms) : 0;
		__int128 d, lim = (__int128)1 << 125;

		if (margin_funding_delta(&d, rate, periods,
					 (struct cl_price){ms->mark_price}, e) &&
		    !(d > 0 && ms->funding_index > lim - d) &&
		    !(d < 0 && ms->funding_index < -lim - d))
			ms->funding_index += d;
		else
			cl_unusual("stf", "funding index of market %u saturated",
				   m->id);
		ms->funding_rate_ppb = rate;
		ms->funding_time += periods * g->funding_interval;
		ms->premium_sum_ppb = 0;
		ms->premium_samples = 0;
	}
	if (!stale)
		ms->mark_price =
			margin_mark_price((struct cl_price){ms->oracle_price},
					  ms->premium_ema_ppb,
					  last_trade(m, ms, now),
					  m->risk.mark_band_ppm)
				.v;
}

int stf_risk_begin_block(struct cl_stf *s)
{
	struct cl_stf_view v = cl_stf_view(s);

	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		struct cl_market_state ms;
		int rc = stf_load_market(&v, &ms, m->id);

		if (rc != CL_OK)
			return rc;
		if (ms.oracle_price == 0)
			continue;
		market_tick(&s->g, m, &ms, s->now_s);
		stf_put_market(s->st, m->id, &ms);
	}
	return CL_OK;
}

int cl_stf_get_market_info(const struct cl_stf_view *v,
			   struct cl_stf_market_info *out, uint32_t market)
{
	const struct cl_market_params *m = cl_genesis_market(v->genesis,
							     market);
	struct cl_market_state ms;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	rc = cl_stf_get_market(v, &ms, market);
	if (rc != CL_OK)
		return rc;
	out->index_price = ms.oracle_price;
	out->mark_price = ms.mark_price;
	out->last_trade_price = ms.last_trade_price;
	out->premium_ppb = ms.premium_ema_ppb;
	out->funding_rate_ppb = ms.funding_rate_ppb;
	out->predicted_rate_ppb = predicted_rate(m, &ms);
	out->next_funding_time = ms.funding_time ?
					 ms.funding_time +
						 v->genesis->funding_interval :
					 0;
	out->funding_index = ms.funding_index;
	out->open_interest = ms.open_interest;
	out->imf_scale_ppm = stf_market_scale(m, &ms);
	out->volatility_ppm = margin_isqrt(ms.vol_var);
	out->fund_size = ms.fund_size;
	out->funding_pool = ms.funding_pool;
	return CL_OK;
}
