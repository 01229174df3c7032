/* SPDX-License-Identifier: MIT */
/* The default decoding limits of both versions. Apart from batch.c
 * (which needs zstd) so that the fault-proof program (src/guest, which
 * compiles batch2_decode.c) decodes under the same limits as a node. */
#include <clearline/batch.h>

void cl_batch_limits_default(struct cl_batch_limits *lim)
{
	lim->max_compressed = 1u << 20;
	lim->max_payload = 32u << 20;
	lim->max_blocks = 100000;
	lim->max_txs_per_block = 100000;
	lim->max_tx_len = 64u << 10;
	lim->max_txs = 65536;
}
