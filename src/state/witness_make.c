/* SPDX-License-Identifier: MIT */
/*
 * Making witnesses (docs/vm.md "State witness"), natively: the whole
 * committed state of a memory or LMDB state (cl_witness_full()), and the
 * part of a witness a witness state used (cl_witness_used()). The
 * encoding is the one witness.c reads.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

static const struct cl_hash32 zero_hash;

struct pre_list {
	struct wit_pre *v;
	size_t n, cap;
	struct cl_buf store; /* owns node preimages */
};

static void pre_add(struct pre_list *l, const uint8_t *p, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = cl_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].p = p;
	l->v[l->n].len = (uint32_t)len;
	cl_keccak256(l->v[l->n].h.b, p, len);
	l->n++;
}

struct fleaf {
	struct cl_hash32 path, vh;
};

static int fleaf_cmp(const void *a, const void *b)
{
	return memcmp(((const struct fleaf *)a)->path.b,
		      ((const struct fleaf *)b)->path.b, 32);
}

/* Node preimages (appended to `nodes`, 65 bytes each) of the subtree
 * over the sorted leaves l[0..n); *out gets its hash. */
static void full_build(struct cl_buf *nodes, struct cl_hash32 *out,
		       const struct fleaf *l, size_t n, unsigned depth)
{
	struct cl_hash32 a, b;
	uint8_t pre[65];
	size_t lo = 0, hi = n;

	if (n == 0) {
		*out = zero_hash;
		return;
	}
	if (n == 1) {
		pre[0] = 0x00;
		memcpy(pre + 1, l->path.b, 32);
		memcpy(pre + 33, l->vh.b, 32);
		cl_buf_append(nodes, pre, 65);
		cl_smt_leaf_hash(out, &l->path, &l->vh);
		return;
	}
	CL_REQUIRE(depth < CL_SMT_DEPTH);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cl_smt_bit(&l[mid].path, depth))
			hi = mid;
		else
			lo = mid + 1;
	}
	full_build(nodes, &a, l, lo, depth + 1);
	full_build(nodes, &b, l + lo, n - lo, depth + 1);
	pre[0] = 0x01;
	memcpy(pre + 1, a.b, 32);
	memcpy(pre + 33, b.b, 32);
	cl_buf_append(nodes, pre, 65);
	cl_smt_node_hash(out, &a, &b);
}

/* Append the preimages of l, sorted by hash, distinct. */
static void encode_pres(struct cl_buf *out, struct pre_list *l)
{
	size_t n = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), wit_pre_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (i == 0 || memcmp(l->v[i - 1].h.b, l->v[i].h.b, 32) != 0)
			l->v[n++] = l->v[i];
	l->n = n;
	cl_buf_append(out, WIT_MAGIC, 4);
	cl_buf_append_be32(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		cl_buf_append_be32(out, l->v[i].len);
		cl_buf_append(out, l->v[i].p, l->v[i].len);
	}
}

/* Append table `id`'s list from cursor c (positioned on the first key). */
static int encode_table(struct cl_buf *out, struct kv_cursor *c,
			const struct cl_table_info *info)
{
	size_t at, n = 0;
	int rc;

	cl_buf_append_byte(out, (uint8_t)info->id);
	at = out->len;
	cl_buf_append_be32(out, 0);
	for (rc = kv_cursor_seek(c, NULL, 0); rc == CL_OK;
	     rc = kv_cursor_next(c)) {
		cl_buf_append_byte(out, (uint8_t)c->klen);
		cl_buf_append(out, c->key, c->klen);
		if (!info->committed) {
			cl_buf_append_be32(out, (uint32_t)c->vlen);
			cl_buf_append(out, c->val, c->vlen);
		}
		n++;
	}
	cl_put_be32(out->p + at, (uint32_t)n);
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

int cl_witness_full(struct cl_state *st, struct cl_buf *out)
{
	const struct cl_table_info *tables;
	struct kv *kv = state_kv(st);
	struct pre_list pres = { 0 };
	struct cl_buf vals, nodes;
	struct fleaf *leaves = NULL;
	size_t ntables, n = 0, cap = 0;
	struct cl_hash32 root, stored;
	int rc = CL_OK;

	if (!kv)
		return CL_ERR_IO;
	CL_REQUIRE(kv->kind != KV_WITNESS);
	cl_buf_init(&vals);
	cl_buf_init(&nodes);
	tables = cl_table_list(&ntables);
	/* values: copied into one buffer first, pointers taken after */
	for (size_t i = 0; i < ntables && !rc; i++) {
		struct kv_cursor c;

		if (!tables[i].committed)
			continue;
		rc = kv_cursor_open(&c, kv, kv_table_index(tables[i].id));
		for (rc = rc ? rc : kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
		     rc = kv_cursor_next(&c)) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				leaves = cl_xrealloc(leaves,
						     cap * sizeof(*leaves));
			}
			cl_smt_path(&leaves[n].path, (uint8_t)tables[i].id,
				    c.key, c.klen);
			cl_smt_value_hash(&leaves[n].vh, c.val, c.vlen);
			cl_buf_append_be32(&vals, (uint32_t)c.vlen);
			cl_buf_append(&vals, c.val, c.vlen);
			n++;
		}
		kv_cursor_close(&c);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	if (rc)
		goto done;
	if (n > 1)
		qsort(leaves, n, sizeof(*leaves), fleaf_cmp);
	full_build(&nodes, &root, leaves, n, 0);
	rc = smt_stored_root(kv, &stored);
	if (!rc && memcmp(root.b, stored.b, 32) != 0) {
		cl_unusual(STATE_LOG, "the stored root is not the tables' root");
		rc = CL_ERR_CORRUPT;
	}
	if (rc)
		goto done;
	for (size_t off = 0; off < vals.len;) {
		uint32_t len = cl_get_be32(vals.p + off);

		pre_add(&pres, vals.p + off + 4, len);
		off += 4 + len;
	}
	for (size_t off = 0; off < nodes.len; off += 65)
		pre_add(&pres, nodes.p + off, 65);
	encode_pres(out, &pres);
	cl_buf_append_be32(out, (uint32_t)ntables);
	for (size_t i = 0; i < ntables && !rc; i++) {
		struct kv_cursor c;

		rc = kv_cursor_open(&c, kv, kv_table_index(tables[i].id));
		if (!rc)
			rc = encode_table(out, &c, &tables[i]);
		kv_cursor_close(&c);
	}
done:
	free(pres.v);
	free(leaves);
	cl_buf_release(&vals);
	cl_buf_release(&nodes);
	return rc;
}

void cl_witness_used(struct cl_state *st, struct cl_buf *out, bool complete)
{
	struct kv *kv = state_kv(st);
	struct witness *w;
	struct pre_list pres = { 0 };
	const struct cl_table_info *tables;
	size_t ntables, ntouched = 0;

	CL_REQUIRE(kv && kv->kind == KV_WITNESS);
	w = kv->wit;
	CL_REQUIRE(w->complete || !complete);
	for (size_t i = 0; i < w->npre; i++)
		if (w->pre[i].used || (complete && w->pre[i].node))
			pre_add(&pres, w->pre[i].p, w->pre[i].len);
	encode_pres(out, &pres);
	free(pres.v);
	tables = cl_table_list(&ntables);
	for (size_t i = 0; i < ntables; i++)
		ntouched += w->touched[tables[i].id] ||
			    (complete && tables[i].committed);
	cl_buf_append_be32(out, (uint32_t)ntouched);
	for (size_t i = 0; i < ntables; i++) {
		unsigned tbl = kv_table_index(tables[i].id);
		struct smap *m = &w->lists->tables[tbl];
		size_t cnt = 0;

		if (!w->touched[tables[i].id] &&
		    !(complete && tables[i].committed))
			continue;
		cl_buf_append_byte(out, (uint8_t)tables[i].id);
		cl_buf_append_be32(out, (uint32_t)m->count);
		for (struct smap_node *o = smap_first(m); o; o = o->next[0]) {
			cl_buf_append_byte(out, (uint8_t)o->klen);
			cl_buf_append(out, o->key, o->klen);
			if (!tables[i].committed) {
				cl_buf_append_be32(out, (uint32_t)o->vlen);
				cl_buf_append(out, o->val, o->vlen);
			}
			cnt++;
		}
		CL_REQUIRE(cnt == m->count);
	}
}
