/* SPDX-License-Identifier: MIT */
/*
 * The order mix of the pipeline benchmarks (bench_pipeline, bench_http):
 * r in 0..99 picks the kind. r < 55 or r >= 90: a maker, 1-50 ticks off
 * `mid` on its own side, 1-20 steps, one in five post-only; otherwise a
 * taker 5-24 ticks through `mid`, 1-40 steps, IOC (7 in 10), FOK (1 in
 * 10) or GTC. Fills price, size and flags of `o` (side already set);
 * `rnd(n)` is the caller's generator, uniform in 0..n-1.
 */
#ifndef CLEARLINE_BENCH_ORDER_MIX_H
#define CLEARLINE_BENCH_ORDER_MIX_H

#include <clearline/stf.h>

static inline void order_mix(struct cl_order *o, uint64_t r,
			     uint64_t (*rnd)(uint64_t), uint64_t mid,
			     uint64_t tick, uint64_t step)
{
	if (r < 55 || r >= 90) {
		uint64_t off = (1 + rnd(50)) * tick;

		o->price = o->is_buy ? mid - off : mid + off;
		o->size = (1 + rnd(20)) * step;
		o->flags = rnd(5) == 0 ? CL_ORDER_POST_ONLY : 0;
	} else {
		uint64_t off = (5 + rnd(20)) * tick;
		uint64_t tif = rnd(10);

		o->price = o->is_buy ? mid + off : mid - off;
		o->size = (1 + rnd(40)) * step;
		o->flags = (uint8_t)((tif < 7   ? CL_TIF_IOC
				      : tif < 8 ? CL_TIF_FOK
						: CL_TIF_GTC)
				     << CL_ORDER_TIF_SHIFT);
	}
}

#endif
