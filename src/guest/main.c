/* SPDX-License-Identifier: MIT */
/*
 * The stf as a VM program (docs/vm.md "The stf as a VM program"): reads
 * a block and the witness of its pre-state through the preimage ecall,
 * runs the unchanged stf on a witness state (src/state/witness.c), whose
 * every committed read is proven against the block's prev_root, and
 * writes the post-state root (32 bytes) as its output. Any failure ends
 * the run with a non-zero exit code (enum guest_exit) and no output.
 *
 * Input, the preimage of the 32-byte key at GUEST_BOOT_KEY:
 *   "CLB1" ‖ witness key (32) ‖ complete (u8) ‖ header ‖ genesis ‖
 *   requests, where complete = 1 requires a complete witness (iteration
 *   proven, docs/vm.md "State witness"), 0 accepts any, and
 *   header   = number (be64) ‖ timestamp_ms (be64) ‖ prev_root (32) ‖
 *              l1 number (be64) ‖ l1 hash (32) ‖ l1 timestamp (be64)
 *   genesis  = be32 length ‖ the bytes of struct cl_genesis
 *   requests = be32 count ‖ count × (be32 length ‖ cl_tx_encode bytes)
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/state.h>
#include <clearline/stf.h>
#include <clearline/vm.h>

#include "ecall.h"

#define INPUT_MAGIC "CLB1"

int main(void);

/* The whole preimage of `key`, in a new buffer; exits when absent. */
static uint8_t *read_preimage(const uint8_t key[32], size_t *len)
{
	long total = 0;
	uint8_t *buf;
	size_t off = 0;

	guest_ecall(VM_ECALL_PREIMAGE, (long)key, 0, 0, 0, &total);
	buf = malloc((size_t)total + 1);
	while (off < (size_t)total) {
		size_t want = (size_t)total - off;
		long got;

		if (want > VM_IO_MAX)
			want = VM_IO_MAX;
		got = guest_ecall(VM_ECALL_PREIMAGE, (long)key, (long)off,
				  (long)(buf + off), (long)want, NULL);
		if (got <= 0)
			guest_exit(GUEST_E_INPUT);
		off += (size_t)got;
	}
	*len = (size_t)total;
	return buf;
}

int main(void)
{
	struct cl_block_header h;
	struct cl_genesis g;
	struct cl_cursor c;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_hash32 wkey, root;
	const uint8_t *magic;
	uint8_t *in, *wit;
	size_t in_len, wit_len;
	uint32_t n;
	uint8_t complete;
	int rc;

	in = read_preimage(GUEST_BOOT_KEY, &in_len);
	cl_cur_init(&c, in, in_len);
	magic = cl_cur_borrow(&c, 4);
	if (!magic || memcmp(magic, INPUT_MAGIC, 4) != 0)
		return GUEST_E_INPUT;
	cl_cur_bytes(&c, wkey.b, 32);
	complete = cl_cur_u8(&c);
	if (complete > 1)
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

	wit = read_preimage(wkey.b, &wit_len);
	if (cl_state_new_witness(&st, &h.prev_root, wit, wit_len) != CL_OK)
		return GUEST_E_WITNESS;
	if (complete && !cl_state_witness_complete(st))
		return GUEST_E_WITNESS;
	free(wit);
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
		/* a rejected request changes nothing; a backend error is a
		 * read the witness could not prove */
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
