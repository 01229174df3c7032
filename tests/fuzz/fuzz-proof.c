/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: Merkle proof decoding and verification on hostile bytes.
 *
 * Input: table id (1) ‖ key length (1) ‖ key ‖ value length (be16;
 * 0xffff = no value, check exclusion only) ‖ value ‖ root (32) ‖ the
 * proof's canonical encoding (the rest). A proof that decodes must
 * re-encode to the same bytes; verification must never crash, and a
 * proof never proves both inclusion and exclusion of one path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/state.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_cursor c;
	struct cl_proof p;
	struct cl_hash32 root, path, vh;
	const uint8_t *key, *val = NULL, *proof;
	uint8_t table, klen;
	uint16_t vlen;
	size_t plen;
	struct cl_buf again;
	bool incl = false, excl;

	cl_cur_init(&c, data, size);
	table = cl_cur_u8(&c);
	klen = cl_cur_u8(&c);
	key = cl_cur_borrow(&c, klen);
	vlen = cl_cur_be16(&c);
	if (vlen != 0xffff)
		val = cl_cur_borrow(&c, vlen);
	cl_cur_bytes(&c, root.b, 32);
	if (c.failed)
		return 0;
	proof = c.p;
	plen = c.len;

	cl_smt_path(&path, table, key, klen);
	if (!cl_proof_decode(&p, proof, plen)) {
		/* a failed decode leaves a zeroed proof behind */
		if (p.depth != 0 || p.kind != 0)
			abort();
		return 0;
	}

	/* strict decoding: exactly one encoding per proof */
	cl_buf_init(&again);
	cl_proof_encode(&again, &p);
	if (again.len != plen || memcmp(again.p, proof, plen) != 0)
		abort();
	cl_buf_release(&again);

	if (val) {
		cl_smt_value_hash(&vh, val, vlen);
		incl = cl_proof_verify_inclusion(&p, &root, &path, &vh);
	}
	excl = cl_proof_verify_exclusion(&p, &root, &path);
	if (incl && excl)
		abort();
	if (excl && p.kind == CL_PROOF_EXCLUSION_LEAF &&
	    memcmp(p.other_path.b, path.b, 32) == 0)
		abort();

	/* out-of-range fields in a struct are refused, not trusted */
	p.depth = CL_SMT_DEPTH + 1 + (unsigned)(size % 1000);
	if (cl_proof_verify_exclusion(&p, &root, &path))
		abort();
	if (val && cl_proof_verify_inclusion(&p, &root, &path, &vh))
		abort();
	return 0;
}
