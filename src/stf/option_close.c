/* SPDX-License-Identifier: MIT */
/*
 * Closing an expired option market when a block opens (docs/options.md
 * "Expiry"): its resting orders are closed (ORDER_DONE, expired), then
 * every position settles (OPTION_SETTLE: shorts first, so the insurance
 * fund collects before it pays), then the fund's own position. Within
 * the block's budget of derived work; the rest goes on at the next
 * block.
 */
#include "engine_int.h"

#include <string.h>

struct collect {
	struct cl_hash32 h[64];
	size_t n;
};

static int collect_order(void *ctx, const struct book_order *o)
{
	struct collect *c = ctx;

	if (c->n == CL_ARRAY_LEN(c->h))
		return 1;
	c->h[c->n++] = o->hash;
	return 0;
}

static int close_orders(struct cl_stf *s, uint32_t mi)
{
	for (;;) {
		struct collect c = {.n = 0};

		(void)book_foreach(s->eng->books[mi], collect_order, &c);
		if (c.n == 0)
			return CL_OK;
		for (size_t i = 0; i < c.n; i++) {
			int rc;
			if (stf_budget_out(s))
				return CL_OK;
			rc = stf_derive_done(s, &c.h[i], CL_DONE_EXPIRED);
			if (rc)
				return rc;
			stf_book_remove(s, mi, &c.h[i]);
			s->eng->risk_ops++;
		}
	}
}

/* The first account of the ranking of `market` on `side` (0 long, 1
 * short) at or after key `from` (flen bytes, beginning with market ‖
 * side): every position is ranked there. *found false when none; else
 * `from` gets the entry's key, so the next search starts past the
 * entries already settled (they are deleted, and a settlement adds no
 * entry to this market's ranking) instead of skipping them again. */
static int first_holder(struct cl_stf *s, struct cl_address *out, bool *found,
			uint8_t from[ADL_ENTRY_KEY_LEN], size_t *flen)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;

	*found = false;
	rc = cl_state_iter_new(&it, s->st, T_ADL, from, *flen);
	if (rc != CL_OK)
		return rc;
	/* the table holds reverse keys too (address ‖ market): one whose
	 * address begins with these five bytes is skipped, not taken for
	 * the end of the ranking */
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK &&
	       kl >= 5 && memcmp(k, from, 5) == 0) {
		if (kl != ADL_ENTRY_KEY_LEN)
			continue;
		memcpy(out->b, k + kl - 20, 20);
		memcpy(from, k, kl);
		*flen = kl;
		*found = true;
		break;
	}
	cl_state_iter_free(it);
	return rc == CL_ERR_NOT_FOUND || rc == CL_OK ? CL_OK : rc;
}

static int settle(struct cl_stf *s, const struct cl_address *a,
		  uint32_t market)
{
	struct cl_tx tx;
	int rc;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_OPTION_SETTLE;
	tx.u.option_settle.account = *a;
	tx.u.option_settle.market = market;
	rc = stf_derive(s, &tx);
	if (rc > 0) {
		cl_broken("stf", "option_settle in market %u refused: %s",
			  market, cl_stf_err_str(rc));
		return CL_ERR_CORRUPT;
	}
	s->eng->risk_ops++;
	return rc;
}

static int close_market(struct cl_stf *s, const struct cl_market_params *m)
{
	struct cl_stf_view v = cl_stf_view(s);
	static const struct cl_address fund;
	struct cl_market_state ms;
	uint64_t price;
	int rc = stf_option_settle_price(&v, m, &price);

	if (rc != CL_OK || price == 0)
		return rc;
	rc = close_orders(s, (uint32_t)stf_market_index(&s->g, m->id));
	for (uint8_t side = 2; side-- > 0 && rc == CL_OK;) {
		uint8_t from[ADL_ENTRY_KEY_LEN];
		size_t flen = 5;
		cl_put_be32(from, m->id);
		from[4] = side;
		for (;;) {
			struct cl_address a;
			bool found;
			if (stf_budget_out(s))
				return CL_OK;
			rc = first_holder(s, &a, &found, from, &flen);
			if (rc != CL_OK || !found)
				break;
			rc = settle(s, &a, m->id);
			if (rc != CL_OK)
				return rc;
		}
	}
	if (rc == CL_OK)
		rc = stf_load_market(&v, &ms, m->id);
	if (rc == CL_OK && ms.fund_size != 0 && !stf_budget_out(s))
		rc = settle(s, &fund, m->id);
	return rc;
}

int stf_run_option_expiry(struct cl_stf *s)
{
	for (uint32_t i = 0; i < s->g.n_markets; i++) {
		const struct cl_market_params *m = &s->g.markets[i];
		int rc;

		if (!stf_option_closed(&s->g, m, s->now_s))
			continue;
		rc = close_market(s, m);
		if (rc != CL_OK)
			return rc;
	}
	return CL_OK;
}
