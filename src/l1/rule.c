/* SPDX-License-Identifier: MIT */
/*
 * The checks of appendBatch that depend on L1 time (docs/l1.md "The
 * forced-inclusion rule"), as the contract applies them, so that the
 * poster can tell before sending whether a batch would revert, and why.
 */
#include <stdio.h>

#include "l1_int.h"

enum cl_l1_revert cl_l1_append_rule(char *why, size_t cap,
				    const struct cl_l1_append_state *st,
				    uint64_t deposits_consumed,
				    uint64_t l1_timestamp, uint64_t earliest,
				    uint64_t latest)
{
	if (cap)
		why[0] = 0;
	if (latest < earliest)
		latest = earliest;
	/* included no earlier than `earliest`: in the future before it */
	if (l1_timestamp > earliest) {
		snprintf(why, cap,
			 "L1TimestampInFuture(l1Timestamp %llu, "
			 "blockTimestamp %llu)",
			 (unsigned long long)l1_timestamp,
			 (unsigned long long)earliest);
		return CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE;
	}
	if (l1_timestamp < st->prev_l1_timestamp) {
		snprintf(why, cap,
			 "L1TimestampDecreased(previous %llu, given %llu)",
			 (unsigned long long)st->prev_l1_timestamp,
			 (unsigned long long)l1_timestamp);
		return CL_L1_REVERT_L1_TIMESTAMP_DECREASED;
	}
	if (deposits_consumed >= st->deposit_count)
		return CL_L1_REVERT_NONE;
	/* deadline = max(deposit, last discard) + delay, in 128 bits as
	 * the contract's uint256 */
	uint64_t start = st->deposit_timestamp > st->last_discard_time
			     ? st->deposit_timestamp
			     : st->last_discard_time;
	unsigned __int128 deadline =
	    (unsigned __int128)start + st->forced_inclusion_delay;
	/* included no later than `latest`: overdue if that is past it */
	if ((unsigned __int128)latest <= deadline)
		return CL_L1_REVERT_NONE;
	if (l1_timestamp >= st->deposit_timestamp) {
		snprintf(why, cap,
			 "ForcedInclusionViolated(depositId %llu, deadline "
			 "%llu)",
			 (unsigned long long)deposits_consumed,
			 (unsigned long long)deadline);
		return CL_L1_REVERT_FORCED_INCLUSION_VIOLATED;
	}
	if (latest - l1_timestamp > st->sequencing_window) {
		snprintf(why, cap,
			 "L1TimestampTooOld(depositId %llu, l1Timestamp %llu, "
			 "oldestAllowed %llu)",
			 (unsigned long long)deposits_consumed,
			 (unsigned long long)l1_timestamp,
			 (unsigned long long)(latest - st->sequencing_window));
		return CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD;
	}
	return CL_L1_REVERT_NONE;
}
