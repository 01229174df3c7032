/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: cl_state_new_walk() (src/state/walk.c) on a hostile set
 * of preimages, as a dispute's preimages posted to L1 by anyone are.
 *
 * Input (structure-aware, so the fuzzer can build trees whose hashes
 * link): a header byte, then elements until the input ends. Each element
 * is a tag byte and:
 *   0  raw: a big-endian u16 length and that many bytes
 *   1  an internal node over elements i and j (two big-endian u16):
 *      0x01 ‖ H(i) ‖ H(j)
 *   2  a leaf over elements i (its path preimage) and j (its value):
 *      0x00 ‖ H(i) ‖ H(j)
 * (any other tag is read as raw), where H(k) is the keccak256 of element k
 * when k is an earlier element and the empty subtree (32 zero bytes)
 * otherwise. Every element goes into a cl_preimage_map, filed under its
 * own keccak256. The root is the next 32 bytes when the header byte is
 * 0xff, else H(last element).
 *
 * The walk either refuses (CL_ERR_CORRUPT, no state) or gives a state
 * that: has the root as its stored root and as the root recomputed from
 * its tables; proves each entry against the root; re-encoded with
 * cl_preimage_map_add_state() walks again to exactly the same entries
 * and stats; and after one more block of writes (a put, a delete) gives
 * the root a fresh memory state with the same contents gives (the walked
 * tree's incremental updates agree with a full recompute).
 * tests/fuzz/seeds-walk.c writes the seeds (real states).
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/state.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ELEMS 4096
#define MAX_PROVE 32

struct input {
	struct cl_preimage_map *pm;
	struct cl_hash32 *h; /* keccak of each element */
	size_t n;
	struct cl_hash32 root;
};

static void ref(struct cl_hash32 *out, const struct input *in, uint16_t k)
{
	if (k < in->n)
		*out = in->h[k];
	else
		memset(out->b, 0, 32);
}

static void parse(struct input *in, const uint8_t *d, size_t size)
{
	size_t at = 1;
	bool raw_root = size > 0 && d[0] == 0xff;

	memset(in->root.b, 0, 32);
	if (raw_root) {
		if (size < 33) {
			memcpy(in->root.b, d + 1, size - 1);
			return;
		}
		memcpy(in->root.b, d + 1, 32);
		at = 33;
	}
	while (at < size && in->n < MAX_ELEMS) {
		uint8_t tag = d[at++], node[65];
		const uint8_t *p;
		size_t len;

		if ((tag == 1 || tag == 2) && size - at >= 4) {
			struct cl_hash32 a, b;

			ref(&a, in, cl_get_be16(d + at));
			ref(&b, in, cl_get_be16(d + at + 2));
			at += 4;
			node[0] = tag == 1 ? 0x01 : 0x00;
			memcpy(node + 1, a.b, 32);
			memcpy(node + 33, b.b, 32);
			p = node;
			len = sizeof(node);
		} else {
			if (size - at < 2)
				break;
			len = cl_get_be16(d + at);
			at += 2;
			if (len > size - at)
				len = size - at;
			p = d + at;
			at += len;
		}
		cl_preimage_map_add(in->pm, p, len);
		cl_keccak256(in->h[in->n].b, p, len);
		in->n++;
	}
	if (!raw_root && in->n)
		in->root = in->h[in->n - 1];
}

/* Every committed entry of a and b agrees (keys, values, order). */
static void same_entries(struct cl_state *a, struct cl_state *b,
			 const struct cl_hash32 *root, size_t *entries)
{
	const struct cl_table_info *t = NULL;
	size_t nt, proved = 0;

	*entries = 0;
	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *ia, *ib;

		if (!t[i].committed)
			continue;
		if (cl_state_iter_new(&ia, a, t[i].id, NULL, 0) != CL_OK ||
		    cl_state_iter_new(&ib, b, t[i].id, NULL, 0) != CL_OK)
			abort();
		for (;;) {
			const uint8_t *ka, *va, *kb, *vb, *g;
			size_t kla, vla, klb, vlb, gl;
			int ra = cl_state_iter_next(ia, &ka, &kla, &va, &vla);
			int rb = cl_state_iter_next(ib, &kb, &klb, &vb, &vlb);

			if (ra != rb)
				abort();
			if (ra == CL_ERR_NOT_FOUND)
				break;
			if (ra != CL_OK || kla != klb || vla != vlb ||
			    memcmp(ka, kb, kla) || (vla && memcmp(va, vb, vla)))
				abort();
			/* a point read gives what the iteration gave */
			if (cl_state_get(a, &g, &gl, t[i].id, ka, kla) !=
				CL_OK ||
			    gl != vla || (gl && memcmp(g, va, gl)))
				abort();
			if (proved < MAX_PROVE) {
				struct cl_proof pf;
				struct cl_hash32 path, vh;

				if (cl_state_prove(a, &pf, t[i].id, ka, kla) !=
				    CL_OK)
					abort();
				cl_smt_path(&path, (uint8_t)t[i].id, ka, kla);
				cl_smt_value_hash(&vh, va, vla);
				if (!cl_proof_verify_inclusion(&pf, root, &path,
							       &vh))
					abort();
				proved++;
			}
			(*entries)++;
		}
		cl_state_iter_free(ia);
		cl_state_iter_free(ib);
	}
}

/* A fresh memory state with the committed entries of `st`. */
static struct cl_state *copy_state(struct cl_state *st)
{
	struct cl_state *c = cl_state_new_memory();
	const struct cl_table_info *t;
	size_t nt;

	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;
		const uint8_t *k, *v;
		size_t kl, vl;

		if (!t[i].committed)
			continue;
		if (cl_state_iter_new(&it, st, t[i].id, NULL, 0) != CL_OK)
			abort();
		while (cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK)
			cl_state_put(c, t[i].id, k, kl, v, vl);
		cl_state_iter_free(it);
	}
	return c;
}

/* One block of writes on `st`: a put derived from the root, and the
 * deletion of the first ACCOUNTS or POSITIONS entry when there is one. */
static void writes(struct cl_state *st, const struct cl_hash32 *root,
		   const uint8_t *del, size_t dlen, enum cl_table dt)
{
	cl_state_put(st, CL_TABLE_ACCOUNTS, root->b, 20, root->b + 20, 12);
	if (dlen)
		cl_state_del(st, dt, del, dlen);
}

static void check_updates(struct cl_state *ws, const struct cl_hash32 *root)
{
	struct cl_state *fresh = copy_state(ws);
	struct cl_hash32 r1, r2, r3;
	uint8_t del[CL_STATE_KEY_MAX];
	size_t dlen = 0;
	enum cl_table dt = CL_TABLE_POSITIONS;
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;

	if (cl_state_commit_block(fresh, &r1) != CL_OK ||
	    !cl_hash32_eq(&r1, root))
		abort();
	if (cl_state_iter_new(&it, ws, dt, NULL, 0) != CL_OK)
		abort();
	if (cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK) {
		memcpy(del, k, kl);
		dlen = kl;
	}
	cl_state_iter_free(it);
	writes(ws, root, del, dlen, dt);
	writes(fresh, root, del, dlen, dt);
	if (cl_state_commit_block(ws, &r1) != CL_OK ||
	    cl_state_commit_block(fresh, &r2) != CL_OK ||
	    !cl_hash32_eq(&r1, &r2) ||
	    cl_state_recompute_root(ws, &r3) != CL_OK ||
	    !cl_hash32_eq(&r1, &r3))
		abort();
	cl_state_free(fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cl_hash32 h[MAX_ELEMS];
	struct input in = {.pm = cl_preimage_map_new(), .h = h};
	struct cl_state *ws, *again;
	struct cl_preimage_map *pm2;
	struct cl_state_walk_stats s1, s2;
	struct cl_hash32 r;
	size_t n1;
	int rc;

	cl_log_min_level = CL_LOG_BROKEN; /* refusals are expected */
	parse(&in, data, size);
	rc = cl_state_new_walk(&ws, &in.root, cl_preimage_map_fetch, in.pm);
	if (rc != CL_OK) {
		if (rc != CL_ERR_CORRUPT || ws)
			abort();
		cl_preimage_map_free(in.pm);
		return 0;
	}
	/* the state is the one the root commits to */
	if (cl_state_root(ws, &r) != CL_OK || !cl_hash32_eq(&r, &in.root))
		abort();
	if (cl_state_recompute_root(ws, &r) != CL_OK ||
	    !cl_hash32_eq(&r, &in.root))
		abort();
	/* re-encoded, it walks again to the same entries */
	pm2 = cl_preimage_map_new();
	if (cl_preimage_map_add_state(pm2, ws) != CL_OK)
		abort();
	if (cl_state_new_walk(&again, &in.root, cl_preimage_map_fetch, pm2) !=
	    CL_OK)
		abort();
	same_entries(ws, again, &in.root, &n1);
	cl_state_walk_stats(ws, &s1);
	cl_state_walk_stats(again, &s2);
	if (s1.leaves != n1 || s2.leaves != n1 || s1.nodes != s2.nodes ||
	    s1.bytes != s2.bytes)
		abort();
	check_updates(ws, &in.root);
	cl_state_free(again);
	cl_state_free(ws);
	cl_preimage_map_free(pm2);
	cl_preimage_map_free(in.pm);
	return 0;
}
