/* SPDX-License-Identifier: MIT */
/*
 * Merkle hashing rules and proof verification. Pure functions: no
 * database, no allocation beyond the caller's buffer; safe on hostile
 * input. The same rules are implemented by the L1 contract
 * (docs/state.md), so nothing here may change without a version bump.
 */
#include <string.h>

#include "state_int.h"

void cl_smt_path(struct cl_hash32 *out, uint8_t table_id, const uint8_t *key,
		 size_t klen)
{
	struct cl_keccak k;

	cl_keccak_init(&k);
	cl_keccak_update(&k, &table_id, 1);
	cl_keccak_update(&k, key, klen);
	cl_keccak_final(&k, out->b);
}

void cl_smt_value_hash(struct cl_hash32 *out, const uint8_t *val,
		       size_t vlen)
{
	cl_keccak256(out->b, val, vlen);
}

void cl_smt_leaf_hash(struct cl_hash32 *out, const struct cl_hash32 *path,
		      const struct cl_hash32 *value_hash)
{
	uint8_t buf[65];

	buf[0] = 0x00;
	memcpy(buf + 1, path->b, 32);
	memcpy(buf + 33, value_hash->b, 32);
	cl_keccak256(out->b, buf, sizeof(buf));
}

void cl_smt_node_hash(struct cl_hash32 *out, const struct cl_hash32 *left,
		      const struct cl_hash32 *right)
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, left->b, 32);
	memcpy(buf + 33, right->b, 32);
	cl_keccak256(out->b, buf, sizeof(buf));
}

static bool kind_valid(unsigned kind)
{
	return kind == CL_PROOF_INCLUSION || kind == CL_PROOF_EXCLUSION_EMPTY ||
	       kind == CL_PROOF_EXCLUSION_LEAF;
}

void cl_proof_encode(struct cl_buf *out, const struct cl_proof *p)
{
	uint8_t hdr[3];

	CL_REQUIRE(kind_valid(p->kind) && p->depth <= CL_SMT_DEPTH);
	hdr[0] = (uint8_t)p->kind;
	cl_put_be16(hdr + 1, (uint16_t)p->depth);
	cl_buf_append(out, hdr, sizeof(hdr));
	for (unsigned i = 0; i < p->depth; i++)
		cl_buf_append(out, p->siblings[i].b, 32);
	if (p->kind == CL_PROOF_EXCLUSION_LEAF) {
		cl_buf_append(out, p->other_path.b, 32);
		cl_buf_append(out, p->other_value_hash.b, 32);
	}
}

bool cl_proof_decode(struct cl_proof *out, const uint8_t *p, size_t len)
{
	struct cl_cursor c;
	unsigned kind, depth;

	memset(out, 0, sizeof(*out));
	cl_cur_init(&c, p, len);
	kind = cl_cur_u8(&c);
	depth = cl_cur_be16(&c);
	if (c.failed || !kind_valid(kind) || depth > CL_SMT_DEPTH)
		goto fail;
	out->kind = (enum cl_proof_kind)kind;
	out->depth = depth;
	for (unsigned i = 0; i < depth; i++)
		cl_cur_bytes(&c, out->siblings[i].b, 32);
	if (out->kind == CL_PROOF_EXCLUSION_LEAF) {
		cl_cur_bytes(&c, out->other_path.b, 32);
		cl_cur_bytes(&c, out->other_value_hash.b, 32);
	}
	if (!cl_cur_done(&c))
		goto fail;
	return true;

fail:
	memset(out, 0, sizeof(*out));
	return false;
}

/* Hash from the node at `depth` on `path`, whose hash is *h, up to the
 * root, and compare with `root`. */
static bool fold_to_root(const struct cl_proof *p, struct cl_hash32 h,
			 const struct cl_hash32 *root,
			 const struct cl_hash32 *path)
{
	for (unsigned i = p->depth; i-- > 0;) {
		if (cl_smt_bit(path, i))
			cl_smt_node_hash(&h, &p->siblings[i], &h);
		else
			cl_smt_node_hash(&h, &h, &p->siblings[i]);
	}
	return memcmp(h.b, root->b, 32) == 0;
}

bool smt_same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (!rest)
		return true;
	return ((a[whole] ^ b[whole]) & (0xff00 >> rest) & 0xff) == 0;
}

bool cl_proof_verify_inclusion(const struct cl_proof *p,
			       const struct cl_hash32 *root,
			       const struct cl_hash32 *path,
			       const struct cl_hash32 *value_hash)
{
	struct cl_hash32 h;

	if (p->kind != CL_PROOF_INCLUSION || p->depth > CL_SMT_DEPTH)
		return false;
	cl_smt_leaf_hash(&h, path, value_hash);
	return fold_to_root(p, h, root, path);
}

bool cl_proof_verify_exclusion(const struct cl_proof *p,
			       const struct cl_hash32 *root,
			       const struct cl_hash32 *path)
{
	struct cl_hash32 h;

	if (p->depth > CL_SMT_DEPTH)
		return false;
	if (p->kind != CL_PROOF_EXCLUSION_EMPTY &&
	    p->kind != CL_PROOF_EXCLUSION_LEAF)
		return false;
	switch (p->kind) {
	case CL_PROOF_INCLUSION:
		return false;
	case CL_PROOF_EXCLUSION_EMPTY:
		memset(h.b, 0, sizeof(h.b));
		break;
	case CL_PROOF_EXCLUSION_LEAF:
		if (memcmp(p->other_path.b, path->b, 32) == 0)
			return false;
		if (!smt_same_prefix(p->other_path.b, path->b, p->depth))
			return false;
		cl_smt_leaf_hash(&h, &p->other_path, &p->other_value_hash);
		break;
	}
	return fold_to_root(p, h, root, path);
}
