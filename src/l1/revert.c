/* SPDX-License-Identifier: MIT */
/*
 * Revert data of the rollup contract as text: the custom errors of
 * ClearlineRollup and ClearlineToken (docs/l1.md "Errors") and
 * Error(string), so that a post that keeps failing says exactly why.
 */
#include <stdio.h>
#include <string.h>

#include "l1_int.h"

enum arg { A_U64, A_U256, A_ADDR };

static const struct {
	const char *sig; /* the selector's text */
	enum cl_l1_revert kind;
	unsigned n;
	enum arg types[4];
	const char *names[4];
} errors[] = {
    {"NotSequencer(address)", CL_L1_REVERT_NOT_SEQUENCER, 1, {A_ADDR},
     {"caller"}},
    {"EmptyBatchData()", CL_L1_REVERT_EMPTY_BATCH_DATA, 0, {0}, {0}},
    {"NonContiguousBlocks(uint64,uint64)",
     CL_L1_REVERT_NON_CONTIGUOUS_BLOCKS, 2, {A_U64, A_U64},
     {"expectedFirstBlock", "firstBlock"}},
    {"InvalidBlockRange(uint64,uint64)", CL_L1_REVERT_INVALID_BLOCK_RANGE,
     2, {A_U64, A_U64}, {"firstBlock", "lastBlock"}},
    {"DepositsConsumedDecreased(uint64,uint64)",
     CL_L1_REVERT_DEPOSITS_CONSUMED_DECREASED, 2, {A_U64, A_U64},
     {"previous", "given"}},
    {"DepositsConsumedExceedDeposits(uint64,uint64)",
     CL_L1_REVERT_DEPOSITS_CONSUMED_EXCEED_DEPOSITS, 2, {A_U64, A_U64},
     {"given", "depositCount"}},
    {"ForcedInclusionViolated(uint64,uint256)",
     CL_L1_REVERT_FORCED_INCLUSION_VIOLATED, 2, {A_U64, A_U256},
     {"depositId", "deadline"}},
    {"L1TimestampInFuture(uint64,uint256)",
     CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE, 2, {A_U64, A_U256},
     {"l1Timestamp", "blockTimestamp"}},
    {"L1TimestampDecreased(uint64,uint64)",
     CL_L1_REVERT_L1_TIMESTAMP_DECREASED, 2, {A_U64, A_U64},
     {"previous", "given"}},
    {"L1TimestampTooOld(uint64,uint64,uint256)",
     CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD, 3, {A_U64, A_U64, A_U256},
     {"depositId", "l1Timestamp", "oldestAllowed"}},
    /* ClearlineAssets' rules of appendBatch (docs/l1.md "Collateral
     * assets") */
    {"AssetForcedInclusionViolated(uint64,uint256)",
     CL_L1_REVERT_FORCED_INCLUSION_VIOLATED, 2, {A_U64, A_U256},
     {"assetDepositId", "deadline"}},
    {"AssetDepositsConsumedDecreased(uint64,uint64)",
     CL_L1_REVERT_ROLLUP_OTHER, 2, {A_U64, A_U64}, {"previous", "given"}},
    {"AssetDepositsConsumedExceedDeposits(uint64,uint64)",
     CL_L1_REVERT_ROLLUP_OTHER, 2, {A_U64, A_U64}, {"given", "made"}},
    {"ForcedRequestOverdue(uint64,uint256)",
     CL_L1_REVERT_FORCED_REQUEST_OVERDUE, 2, {A_U64, A_U256},
     {"id", "deadline"}},
    {"ForcedConsumedDecreased(uint64,uint64)", CL_L1_REVERT_ROLLUP_OTHER, 2,
     {A_U64, A_U64}, {"previous", "given"}},
    {"ForcedConsumedExceedRequests(uint64,uint64)",
     CL_L1_REVERT_ROLLUP_OTHER, 2, {A_U64, A_U64},
     {"given", "forcedCount"}},
    {"Frozen()", CL_L1_REVERT_ROLLUP_OTHER, 0, {0}, {0}},
    {"UnknownBatch(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U64},
     {"index"}},
    {"BatchNotFinal(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U64},
     {"index"}},
    {"BatchAlreadyFinal(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U64},
     {"index"}},
    {"ChallengeAlreadyOpen(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U64},
     {"index"}},
    {"TooManyOpenChallenges(uint256)", CL_L1_REVERT_ROLLUP_OTHER, 1,
     {A_U256}, {"max"}},
    {"WrongBond(uint256,uint256)", CL_L1_REVERT_ROLLUP_OTHER, 2,
     {A_U256, A_U256}, {"sent", "required"}},
    {"WithdrawalAlreadyClaimed(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1,
     {A_U64}, {"withdrawalId"}},
    {"InvalidWithdrawalProof()", CL_L1_REVERT_ROLLUP_OTHER, 0, {0}, {0}},
    {"InvalidBatchRecord(uint64)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U64},
     {"index"}},
    {"ProofTooLong(uint256)", CL_L1_REVERT_ROLLUP_OTHER, 1, {A_U256},
     {"length"}},
    {"InsufficientAllowance(address,address,uint256,uint256)",
     CL_L1_REVERT_ROLLUP_OTHER, 4, {A_ADDR, A_ADDR, A_U256, A_U256},
     {"owner", "spender", "allowance", "needed"}},
    {"InsufficientBalance(address,uint256,uint256)",
     CL_L1_REVERT_ROLLUP_OTHER, 3, {A_ADDR, A_U256, A_U256},
     {"account", "balance", "needed"}},
};

/* One argument word as text; false when it does not fit its type. */
static bool fmt_word(char *out, size_t cap, enum arg t, const uint8_t *w)
{
	for (size_t i = 0; i < (t == A_ADDR ? 12u : t == A_U64 ? 24u : 0u);
	     i++)
		if (w[i])
			return false;
	switch (t) {
	case A_U64:
		snprintf(out, cap, "%llu",
			 (unsigned long long)cl_get_be64(w + 24));
		return true;
	case A_U256: {
		bool small = true;
		for (size_t i = 0; i < 24; i++)
			small = small && w[i] == 0;
		if (small) {
			snprintf(out, cap, "%llu",
				 (unsigned long long)cl_get_be64(w + 24));
		} else {
			char q[67];
			cl_l1_fmt_qty256(q, w);
			snprintf(out, cap, "%s", q);
		}
		return true;
	}
	case A_ADDR: {
		struct cl_address a;
		char s[CL_ADDRESS_STR_LEN + 1];
		memcpy(a.b, w + 12, 20);
		cl_address_format(s, &a);
		snprintf(out, cap, "%s", s);
		return true;
	}
	}
	return false;
}

/* Error(string): selector 0x08c379a0, offset, length, bytes. */
static bool error_string(char *out, size_t cap, const uint8_t *p, size_t len)
{
	static const uint8_t sel[4] = {0x08, 0xc3, 0x79, 0xa0};
	uint64_t off, n;

	if (len < 4 + 64 || memcmp(p, sel, 4) != 0)
		return false;
	p += 4;
	len -= 4;
	for (size_t i = 0; i < 24; i++)
		if (p[i] || p[32 + i])
			return false;
	off = cl_get_be64(p + 24);
	n = cl_get_be64(p + 56);
	if (off != 32 || n > len - 64)
		return false;
	char s[160];
	size_t k = 0;
	for (uint64_t i = 0; i < n && k + 1 < sizeof(s); i++) {
		uint8_t c = p[64 + i];
		s[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	s[k] = 0;
	snprintf(out, cap, "Error(\"%s\")", s);
	return true;
}

enum cl_l1_revert cl_l1_revert_describe(char *out, size_t cap,
					const uint8_t *data, size_t len)
{
	if (cap)
		out[0] = 0;
	if (len == 0) {
		snprintf(out, cap, "revert without data");
		return CL_L1_REVERT_NONE;
	}
	if (error_string(out, cap, data, len))
		return CL_L1_REVERT_OTHER;
	for (size_t e = 0; len >= 4 && e < CL_ARRAY_LEN(errors); e++) {
		uint8_t sel[4];
		cl_l1_selector(sel, errors[e].sig);
		if (memcmp(sel, data, 4) != 0)
			continue;
		if (len != 4 + 32 * (size_t)errors[e].n)
			break;
		size_t nl = strcspn(errors[e].sig, "(");
		char buf[320];
		size_t k = (size_t)snprintf(buf, sizeof(buf), "%.*s(", (int)nl,
					    errors[e].sig);
		bool ok = true;
		for (unsigned i = 0; i < errors[e].n && ok; i++) {
			char v[80];
			ok = fmt_word(v, sizeof(v), errors[e].types[i],
				      data + 4 + 32 * i);
			if (ok && k < sizeof(buf))
				k += (size_t)snprintf(buf + k, sizeof(buf) - k,
						      "%s%s %s", i ? ", " : "",
						      errors[e].names[i], v);
		}
		if (!ok)
			break;
		snprintf(out, cap, "%s)", buf);
		return errors[e].kind;
	}
	snprintf(out, cap, "revert 0x%02x%02x%02x%02x (%zu bytes)",
		 len > 0 ? data[0] : 0, len > 1 ? data[1] : 0,
		 len > 2 ? data[2] : 0, len > 3 ? data[3] : 0, len);
	return CL_L1_REVERT_OTHER;
}
