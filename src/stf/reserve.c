/* SPDX-License-Identifier: MIT */
/*
 * Open orders reserve initial margin (docs/margin.md "Open orders"): the
 * OPEN_SIZE table keeps, per (trader, market), the remaining size of the
 * trader's open orders that are not reduce-only, per side. Every
 * transition that opens, fills or closes an order moves it (PLACE_ORDER,
 * the fill sides of FILL, LIQUIDATE_FILL and FUND_FILL, CANCEL,
 * ORDER_DONE), so the account's requirement counting its orders costs
 * one prefix scan, never a scan of its orders. PLACE_ORDER of a resting
 * order checks it against the equity.
 */
#include "stf_int.h"

#include <string.h>

#define T_OPEN (CL_TABLE_OPEN_SIZE)

static void open_size_key(uint8_t k[OPEN_SIZE_KEY_LEN],
			  const struct cl_address *trader, uint32_t market)
{
	memcpy(k, trader->b, 20);
	cl_put_be32(k + 20, market);
}

/* A stored pair: each side at most 2^63 - 1, not both 0. */
static bool decode_open(struct cl_open_sizes *out, const uint8_t *val,
			size_t vlen)
{
	memset(out, 0, sizeof(*out));
	if (vlen != OPEN_SIZE_VAL_LEN)
		return false;
	out->buy.v = cl_get_be64(val);
	out->sell.v = cl_get_be64(val + 8);
	return out->buy.v <= INT64_MAX && out->sell.v <= INT64_MAX &&
	       (out->buy.v | out->sell.v) != 0;
}

static int corrupt(size_t vlen)
{
	cl_broken("stf", "stored open size record has %zu bad bytes", vlen);
	return CL_ERR_CORRUPT;
}

/* The open sizes of (trader, market); absent: both 0, CL_OK. */
static int open_get(const struct cl_stf_view *v, struct cl_open_sizes *out,
		    const struct cl_address *trader, uint32_t market)
{
	uint8_t k[OPEN_SIZE_KEY_LEN];
	const uint8_t *val;
	size_t vlen;
	int rc;

	memset(out, 0, sizeof(*out));
	open_size_key(k, trader, market);
	rc = stf_view_get(v, &val, &vlen, T_OPEN, k, sizeof(k));
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc != CL_OK)
		return rc;
	return decode_open(out, val, vlen) ? CL_OK : corrupt(vlen);
}

static void open_put(struct cl_state *st, const struct cl_address *trader,
		     uint32_t market, const struct cl_open_sizes *o)
{
	uint8_t k[OPEN_SIZE_KEY_LEN], b[OPEN_SIZE_VAL_LEN];

	open_size_key(k, trader, market);
	if (o->buy.v == 0 && o->sell.v == 0) {
		cl_state_del(st, T_OPEN, k, sizeof(k));
		return;
	}
	cl_put_be64(b, o->buy.v);
	cl_put_be64(b + 8, o->sell.v);
	cl_state_put(st, T_OPEN, k, sizeof(k), b, sizeof(b));
}

static bool reserves(const struct cl_order_record *o)
{
	return !(o->flags & CL_ORDER_REDUCE_ONLY);
}

int stf_open_add(struct cl_stf *s, const struct cl_order_record *o,
		 uint64_t size)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_open_sizes os;
	struct cl_size *side = o->is_buy ? &os.buy : &os.sell;
	int rc;

	if (!reserves(o) || size == 0)
		return CL_OK;
	rc = open_get(&v, &os, &o->trader, o->market);
	if (rc != CL_OK)
		return rc;
	if (size > INT64_MAX || side->v > INT64_MAX - size)
		return CL_STF_ERR_OVERFLOW;
	side->v += size;
	open_put(s->st, &o->trader, o->market, &os);
	return CL_OK;
}

int stf_open_release(struct cl_stf *s, const struct cl_order_record *o,
		     uint64_t size)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_open_sizes os;
	struct cl_size *side = o->is_buy ? &os.buy : &os.sell;
	int rc;

	if (!reserves(o) || size == 0)
		return CL_OK;
	rc = open_get(&v, &os, &o->trader, o->market);
	if (rc != CL_OK)
		return rc;
	if (side->v < size) {
		cl_broken("stf", "open size of market %u below an open order",
			  o->market);
		return CL_ERR_CORRUPT;
	}
	side->v -= size;
	open_put(s->st, &o->trader, o->market, &os);
	return CL_OK;
}

int cl_stf_get_open_sizes(const struct cl_stf_view *v,
			  struct cl_stf_open_sizes *out, size_t *n,
			  const struct cl_address *addr)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	int rc;

	*n = 0;
	CL_REQUIRE((v->state == NULL) != (v->snapshot == NULL));
	if (v->state)
		rc = cl_state_iter_new(&it, v->state, T_OPEN, addr->b, 20);
	else
		rc = cl_snapshot_iter_new(&it, v->snapshot, T_OPEN, addr->b,
					  20);
	if (rc != CL_OK)
		return rc;
	while ((rc = cl_state_iter_next(it, &key, &klen, &val, &vlen)) ==
	       CL_OK) {
		if (klen < 20 || memcmp(key, addr->b, 20) != 0)
			break;
		if (klen != OPEN_SIZE_KEY_LEN || *n == CL_GENESIS_MAX_MARKETS ||
		    !decode_open(&out[*n].open, val, vlen)) {
			rc = corrupt(vlen);
			break;
		}
		out[*n].market = cl_get_be32(key + 20);
		(*n)++;
	}
	cl_state_iter_free(it);
	if (rc == CL_ERR_NOT_FOUND)
		rc = CL_OK;
	if (rc != CL_OK)
		*n = 0;
	return rc;
}

/* ------------------------------------------------------------------ */
/* The requirement counting open orders                                */
/* ------------------------------------------------------------------ */

/* One market's requirement with its orders: max(IM(size + buy),
 * IM(size - sell)) at the mark (0 without a mark: nothing to value,
 * and nothing can fill there). */
static int market_order_im(const struct cl_stf_view *v, int64_t *out,
			   uint32_t market, int64_t size,
			   const struct cl_open_sizes *open)
{
	const struct cl_market_params *m = cl_genesis_market(v->genesis,
							     market);
	struct cl_position pos = {size, {0}};
	struct cl_market_risk risk;
	struct cl_market_state ms;
	struct cl_amount im;
	int rc;

	*out = 0;
	if (!m) {
		cl_broken("stf", "open orders or position in unknown market %u",
			  market);
		return CL_ERR_CORRUPT;
	}
	if (cl_market_is_option(m))
		return stf_option_order_im(v, out, m, size, open);
	rc = stf_load_market(v, &ms, market);
	if (rc != CL_OK)
		return rc;
	risk = (struct cl_market_risk){cl_genesis_scale_exp(v->genesis, m),
				       m->tiers, m->n_tiers};
	if (!margin_order_im_up(&im, &risk, &pos, open,
				(struct cl_price){ms.mark_price},
				stf_market_scale(m, &ms)))
		return CL_STF_ERR_OVERFLOW;
	*out = im.atoms;
	return CL_OK;
}

int stf_order_im(const struct cl_stf_view *v, int64_t *out,
		 const struct cl_address *trader,
		 const struct cl_stf_position *pos, size_t n,
		 const struct stf_order_extra *extra)
{
	struct cl_stf_open_sizes os[CL_GENESIS_MAX_MARKETS + 1];
	size_t k, i = 0, j = 0;
	int64_t total = 0;
	int rc;

	*out = 0;
	rc = cl_stf_get_open_sizes(v, os, &k, trader);
	if (rc != CL_OK)
		return rc;
	if (extra) {
		/* count the new order in its market's entry (kept sorted) */
		size_t at = 0;
		while (at < k && os[at].market < extra->market)
			at++;
		if (at == k || os[at].market != extra->market) {
			memmove(&os[at + 1], &os[at],
				(k - at) * sizeof(os[0]));
			memset(&os[at], 0, sizeof(os[at]));
			os[at].market = extra->market;
			k++;
		}
		struct cl_size *side = extra->is_buy ? &os[at].open.buy :
						       &os[at].open.sell;
		if (extra->size > INT64_MAX ||
		    side->v > INT64_MAX - extra->size)
			return CL_STF_ERR_OVERFLOW;
		side->v += extra->size;
	}
	/* a portfolio account's figure replaces the per-market sum: not
	 * computed (docs/margin.md "Portfolio margin: options") */
	bool pm = false;
	if (v->genesis->portfolio.enabled) {
		rc = cl_stf_get_portfolio_mode(v, &pm, trader);
		if (rc != CL_OK)
			return rc;
	}
	/* positions and open sizes are both in increasing market order */
	while (!pm && (i < n || j < k)) {
		static const struct cl_open_sizes none;
		const struct cl_open_sizes *open = &none;
		uint32_t market;
		int64_t size = 0, im;

		if (j == k || (i < n && pos[i].market <= os[j].market)) {
			market = pos[i].market;
			size = pos[i].size;
			if (j < k && os[j].market == market)
				open = &os[j++].open;
			i++;
		} else {
			market = os[j].market;
			open = &os[j++].open;
		}
		rc = market_order_im(v, &im, market, size, open);
		if (rc != CL_OK)
			return rc;
		if (!cl_add_i64(&total, total, im))
			return CL_STF_ERR_OVERFLOW;
	}
	*out = total;
	/* a portfolio account: its orders in the scenarios */
	return stf_pm_order_im(v, out, trader, pos, n, os, k);
}

/* ------------------------------------------------------------------ */
/* PLACE_ORDER                                                         */
/* ------------------------------------------------------------------ */

int stf_place_check(struct cl_stf *s, const struct cl_order_record *rec)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct stf_order_extra extra = {rec->market, rec->is_buy, rec->size};
	struct cl_health h;
	struct stf_acct a;
	int64_t before;
	int rc;

	/* an option trades only while it can be priced (every order
	 * kind comes through here: triggers and TWAP slices too) */
	const struct cl_market_params *m = cl_genesis_market(&s->g,
							     rec->market);
	if (m && cl_market_is_option(m)) {
		struct cl_stf_opt_inputs in;
		rc = stf_option_inputs_rc(&v, s->now_s, m, &in);
		if (rc != CL_OK)
			return rc;
	}
	/* 8b: the account margins the market (docs/margin.md "Isolated
	 * margin") */
	rc = stf_isolated_check_order(s, &rec->trader, rec->market);
	if (rc != CL_STF_OK)
		return rc;
	/* 9: an account with nothing behind it places nothing */
	rc = stf_acct_load(s, &a, &rec->trader);
	if (rc != CL_OK)
		return rc;
	if (a.acc.collateral <= 0 && a.n == 0) {
		/* collateral assets count at their haircut value */
		int64_t assets;
		bool holds;
		rc = stf_asset_value(&v, &assets, &holds, &rec->trader);
		if (rc != CL_OK)
			return rc;
		if (!holds || assets <= 0 ||
		    (__int128)a.acc.collateral + assets <= 0)
			return CL_STF_ERR_NO_COLLATERAL;
	}
	/* 10: an order that may rest reserves its initial margin; IOC and
	 * FOK orders never rest, reduce-only ones reserve nothing */
	if (cl_order_tif(rec->flags) != CL_TIF_GTC ||
	    (rec->flags & CL_ORDER_REDUCE_ONLY))
		return CL_STF_OK;
	rc = stf_settle(s, &a);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, &rec->trader, a.acc.collateral, a.pos,
				a.n);
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, &rec->trader, a.pos, a.n,
				  &extra);
	if (rc != CL_OK || h.equity >= h.order_im)
		return rc;
	/* an order that does not raise the requirement (it only adds to
	 * the side that is not the worse one) is never refused */
	rc = stf_order_im(&v, &before, &rec->trader, a.pos, a.n, NULL);
	if (rc != CL_OK)
		return rc;
	return h.order_im > before ? CL_STF_ERR_ORDER_MARGIN : CL_STF_OK;
}
