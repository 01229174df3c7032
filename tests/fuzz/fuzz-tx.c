/* SPDX-License-Identifier: MIT */
/*
 * Transaction decoding of hostile bytes never crashes; whatever is accepted
 * re-encodes to exactly the input (canonical only), and decoding that
 * encoding gives the same transaction again.
 */
#include <clearline/stf.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_tx tx, again;
	struct cl_buf b, b2;

	if (!cl_tx_decode(&tx, data, size)) {
		/* a refused input leaves nothing behind */
		static const struct cl_tx zero;
		if (memcmp(&tx, &zero, sizeof(tx)) != 0)
			abort();
		return 0;
	}
	if (size > CL_TX_MAX_LEN || tx.auth.recovered)
		abort();
	cl_buf_init(&b);
	cl_tx_encode(&b, &tx);
	if (b.len != size || memcmp(b.p, data, size) != 0 ||
	    cl_tx_encoded_len(&tx) != size)
		abort();
	if (!cl_tx_decode(&again, b.p, b.len))
		abort();
	cl_buf_init(&b2);
	cl_tx_encode(&b2, &again);
	if (b2.len != b.len || memcmp(b2.p, b.p, b.len) != 0)
		abort();
	/* the hash is keccak256 of the encoding */
	struct cl_hash32 h;
	uint8_t want[32];
	cl_tx_hash(&h, &tx);
	cl_keccak256(want, data, size);
	if (memcmp(h.b, want, 32) != 0)
		abort();
	cl_buf_release(&b);
	cl_buf_release(&b2);
	return 0;
}
