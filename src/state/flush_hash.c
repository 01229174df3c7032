/* SPDX-License-Identifier: MIT */
/*
 * The hashes of a block's changed leaves, many at once: each changed
 * entry's path (keccak256 of table id ‖ key), value hash and leaf hash
 * (docs/state.md "Key derivation", "Node hashing"). Inputs of one length
 * that follow each other — the overlay is in (table, key) order, so a
 * table's keys and many of its values come in runs of one length — go
 * through cl_keccak256_many side by side; an input longer than one block
 * of the sponge, or empty, is hashed alone. The digests are those of
 * cl_smt_path, cl_smt_value_hash and cl_smt_leaf_hash exactly.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/keccak.h>

#include "state_int.h"

#define RUN_MAX 64

/* Inputs of one length waiting to be hashed together. */
struct run {
	uint8_t in[RUN_MAX * CL_KECCAK_MANY_MAX];
	uint8_t out[RUN_MAX * 32];
	struct cl_hash32 *dst[RUN_MAX];
	size_t n, len;
};

static void run_flush(struct run *r)
{
	if (!r->n)
		return;
	cl_keccak256_many(r->out, r->in, r->len, r->n);
	for (size_t i = 0; i < r->n; i++)
		memcpy(r->dst[i]->b, r->out + 32 * i, 32);
	r->n = 0;
}

/* dst = keccak256(prefix ‖ p[0..len)), the prefix byte only when
 * `has_prefix`. */
static void run_add(struct run *r, struct cl_hash32 *dst, bool has_prefix,
		    uint8_t prefix, const uint8_t *p, size_t len)
{
	size_t total = len + has_prefix;
	uint8_t *q;

	if (total == 0 || total > CL_KECCAK_MANY_MAX) {
		if (has_prefix) {
			struct cl_keccak k;
			cl_keccak_init(&k);
			cl_keccak_update(&k, &prefix, 1);
			cl_keccak_update(&k, p, len);
			cl_keccak_final(&k, dst->b);
		} else {
			cl_keccak256(dst->b, p, len);
		}
		return;
	}
	if (r->n && (r->len != total || r->n == RUN_MAX))
		run_flush(r);
	r->len = total;
	q = r->in + r->n * total;
	if (has_prefix)
		*q++ = prefix;
	if (len)
		memcpy(q, p, len);
	r->dst[r->n++] = dst;
}

void flush_hash(struct smt_op *ops, const struct flush_src *src, size_t n,
		bool leaf)
{
	/* one allocation a block (no thread-local state: the guest has
	 * none, and the stack there is small) */
	struct run *r = cl_xmalloc(2 * sizeof(*r)), *paths = &r[0],
		   *values = &r[1];

	paths->n = values->n = 0;
	for (size_t i = 0; i < n; i++) {
		run_add(paths, &ops[i].path, true, src[i].tid, src[i].key,
			src[i].klen);
		if (!ops[i].del)
			run_add(values, &ops[i].vh, false, 0, src[i].val,
				src[i].vlen);
	}
	run_flush(paths);
	run_flush(values);
	if (!leaf) {
		free(r);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t in[65];
		if (ops[i].del)
			continue;
		in[0] = 0x00;
		memcpy(in + 1, ops[i].path.b, 32);
		memcpy(in + 33, ops[i].vh.b, 32);
		run_add(paths, &ops[i].lh, false, 0, in, sizeof(in));
	}
	run_flush(paths);
	free(r);
}
