/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the one-step proof decoder and verifier on hostile bytes.
 *
 * Input: a proof (docs/vm.md "Step proof"). The pre-state hash given to
 * the verifier is the keccak256 of the proof's own state bytes, so
 * decodable inputs reach execution. A proof that decodes must have
 * exactly the length its fields imply (one encoding per proof); a failed
 * decode leaves a zeroed struct; verification never crashes, is
 * repeatable, and refuses any other pre-state.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/vm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_proof p;
	struct cl_hash32 pre = {{0}}, post, again;
	int rc;

	if (!vm_proof_decode(&p, data, size)) {
		if (p.state || p.nranges || p.has_preimage || p.preimage)
			abort();
	} else {
		size_t want = 1 + VM_STATE_BYTES + 1 + 1;

		for (uint32_t i = 0; i < p.nranges; i++) {
			const struct vm_range *r = &p.range[i];

			if (r->nsib != vm_range_nsib(r->first_leaf,
						     r->first_leaf +
							 r->nwords - 1))
				abort();
			want += 6 + 32 * ((size_t)r->nwords + r->nsib);
		}
		if (p.has_preimage)
			want += 4 + p.preimage_len;
		if (want != size || p.state != data + 1)
			abort();
	}
	if (size >= 1 + VM_STATE_BYTES)
		vm_state_commit(&pre, data + 1);
	rc = vm_step_verify(&post, &pre, data, size);
	if (rc != VM_OK) {
		if (memcmp(post.b, (uint8_t[32]){0}, 32) != 0)
			abort();
		return 0;
	}
	if (vm_step_verify(&again, &pre, data, size) != VM_OK ||
	    !cl_hash32_eq(&post, &again))
		abort();
	pre.b[31] ^= 1;
	if (vm_step_verify(&again, &pre, data, size) != VM_E_PRE_STATE)
		abort();
	return 0;
}
