/* SPDX-License-Identifier: MIT */
/* The token bucket of the order-and-cancel rate limits (cl_rate_take,
 * src/rpc/write_limit.c; docs/api.md "Rate limits"): a burst at once,
 * then the rate; the wait it names is exact (rounded up to a ms) and
 * honouring it succeeds; a refused take takes nothing; more than the
 * burst is never granted; rate 0 grants everything; a clock that does
 * not move refills nothing, one that jumps refills no more than the
 * burst. */
#include "test.h"

#include <clearline/api.h>

#define MS 1000000ull
#define S 1000000000ull

int main(void)
{
	struct cl_rate_limit lim = {.per_s = 10, .burst = 5};
	struct cl_rate_bucket b;
	uint64_t t = 1000 * S, retry = 0;

	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 5; i++)
		CHECK_MSG(cl_rate_take(&lim, &b, 1, t, &retry) && retry == 0,
			  "burst take %d", i);
	CHECK(!cl_rate_take(&lim, &b, 1, t, &retry));
	CHECK_MSG(retry == 100, "retry %llu ms, want 100",
		  (unsigned long long)retry);
	/* refused again 1 ms before: nothing was taken meanwhile */
	CHECK(!cl_rate_take(&lim, &b, 1, t + 99 * MS, &retry));
	CHECK_MSG(retry == 1, "retry %llu", (unsigned long long)retry);
	CHECK(cl_rate_take(&lim, &b, 1, t + 100 * MS, &retry));
	CHECK(!cl_rate_take(&lim, &b, 1, t + 100 * MS, &retry));
	/* 2 tokens: 200 ms from empty, and 150 ms after half a token */
	CHECK(!cl_rate_take(&lim, &b, 2, t + 150 * MS, &retry));
	CHECK_MSG(retry == 150, "retry %llu", (unsigned long long)retry);
	CHECK(cl_rate_take(&lim, &b, 2, t + 300 * MS, &retry));
	/* a long pause fills to the burst, not beyond */
	t += 3600 * S;
	CHECK(cl_rate_take(&lim, &b, 5, t, &retry));
	CHECK(!cl_rate_take(&lim, &b, 1, t, &retry));
	/* over the burst: never */
	CHECK(!cl_rate_take(&lim, &b, 6, t + 3600 * S, &retry));
	CHECK(retry == UINT64_MAX);
	/* a clock going back refills nothing */
	memset(&b, 0, sizeof(b));
	CHECK(cl_rate_take(&lim, &b, 5, t, &retry));
	CHECK(!cl_rate_take(&lim, &b, 1, t - S, &retry));
	/* the wait is rounded up to a whole ms: 3 a second, 333.3.. ms */
	struct cl_rate_limit odd = {.per_s = 3, .burst = 1};
	memset(&b, 0, sizeof(b));
	CHECK(cl_rate_take(&odd, &b, 1, t, &retry));
	CHECK(!cl_rate_take(&odd, &b, 1, t, &retry));
	CHECK_MSG(retry == 334, "retry %llu", (unsigned long long)retry);
	CHECK(!cl_rate_take(&odd, &b, 1, t + 333 * MS, &retry));
	CHECK(cl_rate_take(&odd, &b, 1, t + 334 * MS, &retry));
	/* off */
	struct cl_rate_limit off = {.per_s = 0, .burst = 0};
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 100000; i++)
		if (!cl_rate_take(&off, &b, 1000, t, &retry))
			CHECK(false);
	CHECK(retry == 0);
	/* large rates and bursts do not wrap */
	struct cl_rate_limit big = {.per_s = 1000000, .burst = 10000000};
	memset(&b, 0, sizeof(b));
	CHECK(cl_rate_take(&big, &b, 10000000, t, &retry));
	CHECK(!cl_rate_take(&big, &b, 1, t, &retry) && retry == 1);
	CHECK(cl_rate_take(&big, &b, 1000000, t + S, &retry));
	CHECK(cl_rate_take(&big, &b, 10000000, t + 1000000 * S, &retry));
	return test_done("test_write_limit");
}
