/* SPDX-License-Identifier: MIT */
/*
 * The chain module's private header: the keys of its key spaces in
 * CL_TABLE_NODE, in one place (docs/architecture.md has the values).
 *
 *   "cut-next"      be64 seq ‖ be64 first_block ‖ be64 wid   (sequencer)
 *   'c' be64 seq    be64 first ‖ be64 last ‖ root ‖ be64 deposits ‖
 *                   be64 wid_begin ‖ be64 wid_end            (sequencer)
 *   'w' be64 wid    be64 batch ‖ proof encoding               (both)
 *   "v-cursor"      the derive cursor, 96 bytes               (verifier)
 *   "v-partial"     be64 batch ‖ data hash                    (verifier)
 *   'R' be64 block  the state root after it                   (verifier)
 *   'D' be64 id     to (20) ‖ be64 amount                     (verifier)
 *   'B' be64 index  the verified batch's record               (verifier)
 *   "blocks-pruned" be64 the last block whose requests were pruned
 *                                                             (sequencer)
 *
 * CL_TABLE_BLOCKS holds the block records under be64(number).
 */
#ifndef CLEARLINE_CHAIN_INT_H
#define CLEARLINE_CHAIN_INT_H

#include <clearline/chain.h>

#define CHAIN_CUT_NEXT_KEY "cut-next"
#define CHAIN_CURSOR_KEY "v-cursor"
#define CHAIN_PARTIAL_KEY "v-partial"
#define CHAIN_PRUNED_KEY "blocks-pruned"
/* the length of one of the string keys above */
#define CHAIN_KEY_LEN(k) (sizeof(k) - 1)
/* ... as the key bytes */
#define CHAIN_KEY(k) ((const uint8_t *)(k))

enum {
	CHAIN_CUT = 'c',
	CHAIN_WPROOF = 'w',
	CHAIN_ROOT = 'R',
	CHAIN_DEPOSIT = 'D',
	CHAIN_BATCH = 'B',
};

/* A prefixed key: prefix ‖ be64(n). */
void chain_key(uint8_t out[9], uint8_t prefix, uint64_t n);

#endif /* CLEARLINE_CHAIN_INT_H */
