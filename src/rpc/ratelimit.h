/* SPDX-License-Identifier: MIT */
/*
 * ratelimit — calls per second per client address, a token bucket per
 * address (private to src/rpc).
 *
 * Each address has a bucket of `burst` calls that refills at `rate` calls
 * a second; a request takes one token per call (a batch of n takes n). An
 * address whose bucket is full is the same as one never seen, so the
 * table forgets such addresses whenever it needs room: its size is
 * bounded by the addresses that called within the last burst/rate
 * seconds. Integer arithmetic only (tokens in calls x 10^9). Thread-safe
 * (one mutex).
 */
#ifndef CLEARLINE_RPC_RATELIMIT_H
#define CLEARLINE_RPC_RATELIMIT_H

#include <clearline/common.h>

struct sockaddr;
struct ratelimit;

/* A limiter of `rate` calls a second with bursts of `burst` (both > 0). */
struct ratelimit *ratelimit_new(unsigned rate, unsigned burst);
void ratelimit_free(struct ratelimit *rl);

/* Take `calls` tokens for the address `sa` (IPv4 or IPv6; other families
 * are never limited). False, and nothing taken, when the bucket holds
 * fewer. */
bool ratelimit_take(struct ratelimit *rl, const struct sockaddr *sa,
		    unsigned calls);

#endif /* CLEARLINE_RPC_RATELIMIT_H */
