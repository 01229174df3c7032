/* SPDX-License-Identifier: MIT */
#include <clearline/margin.h>

#include <string.h>

static uint64_t abs_u64(int64_t v)
{
	return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

static int sign_of(int64_t v)
{
	return (v > 0) - (v < 0);
}

bool margin_tiers_valid(const struct cl_risk_tier *tiers, size_t n)
{
	if (n == 0 || tiers[n - 1].notional_cap != INT64_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct cl_risk_tier *t = &tiers[i];
		if (t->imf_ppm == 0 || t->imf_ppm > CL_PPM || t->mmf_ppm == 0 ||
		    t->mmf_ppm > t->imf_ppm || t->notional_cap <= 0)
			return false;
		if (i > 0 && (t->notional_cap <= tiers[i - 1].notional_cap ||
			      t->imf_ppm < tiers[i - 1].imf_ppm ||
			      t->mmf_ppm < tiers[i - 1].mmf_ppm))
			return false;
	}
	return true;
}

bool margin_notional_up(struct cl_amount *out, const struct cl_market_risk *m,
			struct cl_size size, struct cl_price mark)
{
	return cl_notional_up(out, mark, size, m->scale_exp);
}

bool margin_requirement_up(struct cl_amount *im, struct cl_amount *mm,
			   const struct cl_market_risk *m,
			   const struct cl_position *pos, struct cl_price mark)
{
	return margin_requirement_scaled_up(im, mm, m, pos, mark, CL_PPM);
}

bool margin_requirement_scaled_up(struct cl_amount *im, struct cl_amount *mm,
				  const struct cl_market_risk *m,
				  const struct cl_position *pos,
				  struct cl_price mark, uint32_t scale_ppm)
{
	struct cl_amount na;
	int64_t notional;

	im->atoms = mm->atoms = 0;
	if (pos->size == 0)
		return true;
	if (!margin_notional_up(&na, m, margin_abs_size(pos->size), mark))
		return false;
	notional = na.atoms;

	/* marginal bands: sum of piece * fraction, one ceiling at the end */
	__int128 im_acc = 0, mm_acc = 0;
	int64_t lower = 0;
	for (size_t i = 0; i < m->n_tiers && notional > lower; i++) {
		int64_t cap = m->tiers[i].notional_cap;
		int64_t piece = (notional < cap ? notional : cap) - lower;
		im_acc += (__int128)piece * m->tiers[i].imf_ppm;
		mm_acc += (__int128)piece * m->tiers[i].mmf_ppm;
		lower = cap;
	}
	/* both accumulators are below 2^63 * 1e6 and the scale is at most
	 * 2^32, so the products fit 128 bits; one ceiling at the end */
	__int128 scale = scale_ppm ? scale_ppm : CL_PPM;
	__int128 den = (__int128)CL_PPM * CL_PPM;
	__int128 imq = (im_acc * scale + den - 1) / den;
	__int128 mmq = (mm_acc * scale + den - 1) / den;
	if (imq > notional)
		imq = notional;
	if (mmq > notional)
		mmq = notional;
	return cl_i128_to_i64(&im->atoms, imq) &&
	       cl_i128_to_i64(&mm->atoms, mmq);
}

bool margin_order_im_up(struct cl_amount *out, const struct cl_market_risk *m,
			const struct cl_position *pos,
			const struct cl_open_sizes *open, struct cl_price mark,
			uint32_t scale_ppm)
{
	__int128 hi = (__int128)pos->size + open->buy.v;
	__int128 lo = (__int128)pos->size - open->sell.v;
	struct cl_position ph, pl;
	struct cl_amount im_hi, im_lo, mm;

	out->atoms = 0;
	if (hi > INT64_MAX || lo < -(__int128)INT64_MAX)
		return false;
	ph = (struct cl_position){(int64_t)hi, {0}};
	pl = (struct cl_position){(int64_t)lo, {0}};
	if (!margin_requirement_scaled_up(&im_hi, &mm, m, &ph, mark,
					  scale_ppm) ||
	    !margin_requirement_scaled_up(&im_lo, &mm, m, &pl, mark,
					  scale_ppm))
		return false;
	*out = im_hi.atoms > im_lo.atoms ? im_hi : im_lo;
	return true;
}

/* Signed value of a position at the mark, rounded down. */
static bool value_down(int64_t *out, const struct cl_market_risk *m,
		       const struct cl_position *pos, struct cl_price mark)
{
	struct cl_amount a;
	struct cl_size s = margin_abs_size(pos->size);

	*out = 0;
	if (pos->size >= 0) {
		if (!cl_notional_down(&a, mark, s, m->scale_exp))
			return false;
		*out = a.atoms;
		return true;
	}
	if (!cl_notional_up(&a, mark, s, m->scale_exp))
		return false;
	*out = -a.atoms;
	return true;
}

bool margin_upnl_down(struct cl_amount *out, const struct cl_market_risk *m,
		      const struct cl_position *pos, struct cl_price mark)
{
	int64_t v;
	out->atoms = 0;
	return value_down(&v, m, pos, mark) &&
	       cl_sub_i64(&out->atoms, v, pos->cost.atoms);
}

bool margin_health(struct cl_health *out, struct cl_amount collateral,
		   const struct cl_position *pos,
		   const struct cl_market_risk *const *risks,
		   const struct cl_price *marks, size_t n)
{
	return margin_health_scaled(out, collateral, pos, risks, marks, NULL,
				    n);
}

bool margin_health_scaled(struct cl_health *out, struct cl_amount collateral,
			  const struct cl_position *pos,
			  const struct cl_market_risk *const *risks,
			  const struct cl_price *marks, const uint32_t *scales,
			  size_t n)
{
	struct cl_health h = {.collateral = collateral.atoms};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		struct cl_amount u, im, mm;
		if (!margin_upnl_down(&u, risks[i], &pos[i], marks[i]) ||
		    !margin_requirement_scaled_up(&im, &mm, risks[i], &pos[i],
						  marks[i],
						  scales ? scales[i] : CL_PPM) ||
		    !cl_add_i64(&h.upnl, h.upnl, u.atoms) ||
		    !cl_add_i64(&h.im, h.im, im.atoms) ||
		    !cl_add_i64(&h.mm, h.mm, mm.atoms))
			return false;
	}
	if (!cl_add_i64(&h.equity, collateral.atoms, h.upnl))
		return false;
	h.order_im = h.im;
	*out = h;
	return true;
}

bool margin_fill_increases_risk(const struct cl_position *pos, bool is_buy,
				struct cl_size size)
{
	int dir = is_buy ? 1 : -1;
	if (pos->size == 0 || sign_of(pos->size) == dir)
		return true;
	return abs_u64(pos->size) < size.v; /* flips */
}

/* The trade on plain integers: size > 0 and notional >= 0 checked. */
static bool apply_trade(struct cl_position *pos, int64_t *collateral,
			int64_t *realised, bool is_buy, int64_t size,
			int64_t notional)
{
	int64_t coll = *collateral, flow, dsz, newsize, real = 0;
	int64_t psize = pos->size, cost = pos->cost.atoms;

	*realised = 0;
	if (size <= 0 || notional < 0)
		return false;
	flow = is_buy ? -notional : notional;
	dsz = is_buy ? size : -size;
	if (!cl_add_i64(&newsize, psize, dsz))
		return false;

	if (psize == 0 || sign_of(psize) == sign_of(dsz)) {
		/* opening or increasing: the flow becomes cost */
		if (!cl_sub_i64(&cost, cost, flow))
			return false;
	} else if (abs_u64(dsz) <= abs_u64(psize)) {
		/* reducing: release ceil(cost * closed / |size|) */
		__int128 num = (__int128)cost * size;
		__int128 den = (__int128)abs_u64(psize);
		__int128 q = num / den;
		if (num % den != 0 && num > 0)
			q++;
		int64_t rel = (int64_t)q; /* |q| <= |cost| */
		if (!cl_sub_i64(&real, flow, rel) ||
		    !cl_add_i64(&coll, coll, real))
			return false;
		cost -= rel;
	} else {
		/* flipping: close all of |size|, open the rest */
		uint64_t closed = abs_u64(psize);
		__int128 part = (__int128)notional * closed / size;
		int64_t flow_close = is_buy ? -(int64_t)part : (int64_t)part;
		int64_t flow_open = flow - flow_close;
		if (!cl_sub_i64(&real, flow_close, cost) ||
		    !cl_add_i64(&coll, coll, real))
			return false;
		cost = -flow_open;
	}
	if (newsize == 0 && cost != 0)
		CL_BUG("flat position kept a cost basis of %lld",
		       (long long)cost);
	pos->size = newsize;
	pos->cost.atoms = cost;
	*collateral = coll;
	*realised = real;
	return true;
}

static bool apply_typed(struct cl_position *pos, struct cl_amount *collateral,
			struct cl_amount *realised, bool is_buy,
			struct cl_size size, struct cl_amount notional)
{
	realised->atoms = 0;
	if (size.v > INT64_MAX)
		return false;
	return apply_trade(pos, &collateral->atoms, &realised->atoms, is_buy,
			   (int64_t)size.v, notional.atoms);
}

bool margin_apply_fill(struct cl_position *pos, struct cl_amount *collateral,
		       struct cl_amount *realised, bool is_buy,
		       struct cl_size size, struct cl_amount notional)
{
	realised->atoms = 0;
	if (notional.atoms <= 0)
		return false;
	return apply_typed(pos, collateral, realised, is_buy, size, notional);
}

bool margin_apply_close(struct cl_position *pos, struct cl_amount *collateral,
			struct cl_amount *realised, bool is_buy,
			struct cl_size size, struct cl_amount notional)
{
	return apply_typed(pos, collateral, realised, is_buy, size, notional);
}

bool margin_fee_up(struct cl_amount *out, struct cl_amount notional,
		   uint32_t ppm)
{
	out->atoms = 0;
	if (notional.atoms < 0 || ppm > CL_PPM)
		return false;
	return cl_muldiv_i64_up(&out->atoms, notional.atoms, ppm, CL_PPM);
}

int64_t margin_withdrawable(const struct cl_health *h)
{
	int64_t im = h->order_im > h->im ? h->order_im : h->im;
	__int128 avail = (__int128)h->collateral +
			 (h->upnl < 0 ? h->upnl : 0) - im;
	__int128 settlement = (__int128)h->collateral - h->asset_value;

	if (avail > settlement)
		avail = settlement;
	return avail > 0 ? (int64_t)avail : 0;
}

int64_t margin_asset_withdrawable(const struct cl_health *h)
{
	int64_t im = h->order_im > h->im ? h->order_im : h->im;
	__int128 avail = (__int128)h->collateral +
			 (h->upnl < 0 ? h->upnl : 0) - im;

	return avail > 0 ? (int64_t)avail : 0;
}

bool margin_entry_price(struct cl_price *out, const struct cl_market_risk *m,
			const struct cl_position *pos)
{
	out->v = 0;
	if (pos->size == 0)
		return true;
	unsigned __int128 num = abs_u64(pos->cost.atoms);
	unsigned __int128 den = abs_u64(pos->size);
	int e = m->scale_exp;
	for (; e < 0; e++) {
		if (num > ((unsigned __int128)-1) / 10)
			return false;
		num *= 10;
	}
	for (; e > 0; e--) {
		if (den > ((unsigned __int128)-1) / 10)
			return false;
		den *= 10;
	}
	unsigned __int128 q = num / den;
	if (q > UINT64_MAX)
		return false;
	out->v = (uint64_t)q;
	return true;
}
