/* SPDX-License-Identifier: MIT */
/*
 * The hedge-book depth of each collateral asset (docs/margin.md
 * "Collateral assets"), measured when a block opens from the books the
 * derivation keeps: the value of the bids of the asset's hedge market
 * priced at or above mark x (1 - depthBandPpm) (a bid above the mark buys
 * at least there; the best DEPTH_LEVELS price levels), stored in
 * ASSET_DEPTH so every haircut of the block reads the same committed
 * number.
 */
#include "engine_int.h"

#include <string.h>

#define DEPTH_LEVELS 64

static int measure(struct cl_stf *s, int64_t *out,
		   const struct cl_asset_params *ap)
{
	struct cl_stf_view v = cl_stf_view(s);
	const struct cl_market_params *m =
	    cl_genesis_market(&s->g, ap->hedge_market);
	int mi = stf_market_index(&s->g, ap->hedge_market);
	struct book_level lv[DEPTH_LEVELS];
	struct cl_market_state ms;
	struct cl_price lo, hi;
	__int128 sum = 0;
	size_t n;
	int rc;

	*out = 0;
	CL_REQUIRE(m && mi >= 0);
	rc = stf_load_market(&v, &ms, ap->hedge_market);
	if (rc != CL_OK)
		return rc;
	if (ms.mark_price == 0)
		return CL_OK; /* no mark: no depth */
	margin_band(&lo, &hi, (struct cl_price){ms.mark_price},
		    ap->depth_band_ppm);
	n = book_depth(s->eng->books[mi], lv, DEPTH_LEVELS, BOOK_BUY);
	for (size_t i = 0; i < n && lv[i].price.v >= lo.v; i++) {
		struct cl_amount a;
		if (!cl_notional_down(&a, lv[i].price, lv[i].size,
				      cl_genesis_scale_exp(&s->g, m)))
			a.atoms = INT64_MAX; /* saturates below */
		sum += a.atoms;
		if (sum > INT64_MAX)
			sum = INT64_MAX;
	}
	*out = (int64_t)sum;
	return CL_OK;
}

int stf_measure_depths(struct cl_stf *s)
{
	CL_REQUIRE(s->eng->valid);
	for (uint32_t i = 0; i < s->g.n_assets; i++) {
		const struct cl_asset_params *ap = &s->g.assets[i];
		uint8_t k[4], val[8];
		int64_t d;
		int rc = measure(s, &d, ap);

		if (rc != CL_OK)
			return rc;
		cl_put_be32(k, ap->id);
		cl_put_be64(val, (uint64_t)d);
		cl_state_put(s->st, CL_TABLE_ASSET_DEPTH, k, 4, val, 8);
	}
	return CL_OK;
}
