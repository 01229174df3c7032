/* SPDX-License-Identifier: MIT */
/* The one place that reads the wall clock and the kernel's randomness. */
#include <clearline/common.h>

#include <errno.h>
#include <sys/random.h>
#include <time.h>

uint64_t cl_clock_now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		CL_BUG("clock_gettime(CLOCK_REALTIME) failed");
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cl_clock_mono_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		CL_BUG("clock_gettime(CLOCK_MONOTONIC) failed");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cl_randbytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			CL_BUG("getrandom failed: errno %d", errno);
		}
		p += n;
		len -= (size_t)n;
	}
}
