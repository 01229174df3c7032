/* SPDX-License-Identifier: MIT */
/*
 * The stf as a VM program (docs/vm.md "The stf as a VM program" and "The
 * verdict program"). Its input is the preimage of the 32-byte key at
 * GUEST_BOOT_KEY, one of two kinds, told apart by the first four bytes:
 *
 * "CLB3" (include/clearline/game.h): the question a dispute asks about
 *   block k of a batch posted on L1, made only of what the rollup
 *   contract stores. The program is cl_game_verdict() (src/game/
 *   verdict.c, the same code a node runs natively): it reads the batch
 *   data, the deposit records and the genesis by their hashes, decodes
 *   the batch with the node's own decoder, walks the pre-state and runs
 *   block k through the stf. Its only output is one byte, the verdict,
 *   and its exit code is the same byte: 0 when block k's posted root is
 *   right, 1 when the batch is wrong. Any other exit code (enum
 *   cl_game_exit) writes nothing.
 *
 * "CLB2": one block as the host built it, rejected requests included
 *   (what the per-block comparisons with the native stf run; a rollup
 *   never builds it):
 *   "CLB2" ‖ header ‖ genesis ‖ requests, where
 *   header   = number (be64) ‖ timestamp_ms (be64) ‖ prev_root (32) ‖
 *              l1 number (be64) ‖ l1 hash (32) ‖ l1 timestamp (be64)
 *   genesis  = be32 length ‖ the bytes of struct cl_genesis
 *   requests = be32 count ‖ count × (be32 length ‖ cl_tx_encode bytes)
 *   The program fetches the whole pre-state from prev_root node by node
 *   through the same ecall (src/state/walk.c), runs the unchanged stf on
 *   that memory state and writes the post-state root (32 bytes) as its
 *   only output. Any failure ends the run with a non-zero exit code
 *   (enum guest_exit) and no output.
 *
 * A preimage the host does not have stops the VM itself (it cannot
 * step).
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/game.h>
#include <clearline/state.h>
#include <clearline/stf.h>
#include <clearline/vm.h>

#include "ecall.h"

#define INPUT_MAGIC "CLB2"

_Static_assert((int)GUEST_E_INPUT == (int)CL_GAME_E_INPUT &&
		   (int)GUEST_E_STATE == (int)CL_GAME_E_STATE &&
		   (int)GUEST_E_BACKEND == (int)CL_GAME_E_BACKEND &&
		   (int)GUEST_E_ABORT == (int)CL_GAME_E_ABORT &&
		   (int)GUEST_E_MEMORY == (int)CL_GAME_E_MEMORY,
	       "one set of exit codes");

int main(void);

/*
 * The preimage of h into out (cl_state_fetch_fn): one ecall reads up to
 * VM_IO_MAX bytes and learns the length, further ones the rest. The VM
 * hands out only bytes whose keccak256 is h, and cannot step at all on a
 * hash it has no preimage for, so this never fails.
 */
static bool fetch(void *arg, struct cl_buf *out, const struct cl_hash32 *h)
{
	long total = 0, got;
	size_t off;

	(void)arg;
	cl_buf_reset(out);
	cl_buf_reserve(out, VM_IO_MAX);
	got = guest_ecall(VM_ECALL_PREIMAGE, (long)h->b, 0, (long)out->p,
			  VM_IO_MAX, &total);
	off = (size_t)got;
	cl_buf_reserve(out, (size_t)total); /* out->len is still 0 */
	while (off < (size_t)total) {
		size_t want = (size_t)total - off;

		if (want > VM_IO_MAX)
			want = VM_IO_MAX;
		got = guest_ecall(VM_ECALL_PREIMAGE, (long)h->b, (long)off,
				  (long)(out->p + off), (long)want, NULL);
		if (got <= 0)
			guest_exit(GUEST_E_INPUT);
		off += (size_t)got;
	}
	out->len = (size_t)total;
	return true;
}

int main(void)
{
	struct cl_block_header h;
	struct cl_genesis g;
	struct cl_cursor c;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_hash32 root, key;
	struct cl_buf in;
	const uint8_t *magic;
	uint32_t n;
	int rc;

	cl_buf_init(&in);
	memcpy(key.b, GUEST_BOOT_KEY, 32);
	fetch(NULL, &in, &key);
	cl_cur_init(&c, in.p, in.len);
	magic = cl_cur_borrow(&c, 4);
	if (magic && memcmp(magic, CL_GAME_INPUT_MAGIC, 4) == 0) {
		uint8_t v;

		rc = cl_game_verdict(NULL, &key, fetch, NULL);
		/* never CL_ERR_NOT_FOUND: fetch() does not return without
		 * the preimage (the VM stops instead) */
		CL_REQUIRE(rc >= 0);
		if (rc != CL_GAME_RIGHT && rc != CL_GAME_WRONG)
			return rc;
		v = (uint8_t)rc;
		guest_ecall(VM_ECALL_WRITE, (long)&v, 1, 0, 0, NULL);
		return rc;
	}
	if (!magic || memcmp(magic, INPUT_MAGIC, 4) != 0)
		return GUEST_E_INPUT;
	memset(&h, 0, sizeof(h));
	h.number = cl_cur_be64(&c);
	h.timestamp_ms = cl_cur_be64(&c);
	cl_cur_bytes(&c, h.prev_root.b, 32);
	h.l1.number = cl_cur_be64(&c);
	cl_cur_bytes(&c, h.l1.hash.b, 32);
	h.l1.timestamp = cl_cur_be64(&c);
	if (cl_cur_be32(&c) != sizeof(g))
		return GUEST_E_INPUT;
	cl_cur_bytes(&c, &g, sizeof(g));
	n = cl_cur_be32(&c);
	if (c.failed)
		return GUEST_E_INPUT;

	if (cl_state_new_walk(&st, &h.prev_root, fetch, NULL) != CL_OK)
		return GUEST_E_STATE;
	rc = cl_stf_new(&stf, st, &g);
	if (rc)
		return rc == CL_ERR_CONFIG ? GUEST_E_INPUT : GUEST_E_BACKEND;
	rc = cl_stf_open_block(stf, &h);
	if (rc)
		return rc > 0 ? GUEST_E_BLOCK : GUEST_E_BACKEND;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = cl_cur_be32(&c);
		const uint8_t *p = cl_cur_borrow(&c, len);
		struct cl_tx tx;

		if (!p || !cl_tx_decode(&tx, p, len))
			return GUEST_E_INPUT;
		cl_tx_recover(&tx, cl_stf_domain(stf));
		/* a rejected request changes nothing; a backend error is
		 * committed data the stf finds corrupt */
		if (cl_stf_request(stf, NULL, &tx) < 0)
			return GUEST_E_BACKEND;
	}
	if (!cl_cur_done(&c))
		return GUEST_E_INPUT;
	cl_stf_end_block(stf);
	if (cl_state_commit_block(st, &root) != CL_OK)
		return GUEST_E_BACKEND;
	guest_ecall(VM_ECALL_WRITE, (long)root.b, 32, 0, 0, NULL);
	return GUEST_OK;
}
