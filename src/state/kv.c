/* SPDX-License-Identifier: MIT */
/*
 * The kv interface over the backends: LMDB (db.c), a memory store of
 * sorted maps, and LMDB under the state log's blocks (layer.c). The tree code and the state store are written once
 * against it.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

/* ------------------------------------------------------------------ */
/* Memory store                                                        */
/* ------------------------------------------------------------------ */

struct mem_store *mem_store_new(void)
{
	struct mem_store *m = cl_xcalloc(1, sizeof(*m));

	m->tables = cl_xcalloc(kv_table_count(), sizeof(*m->tables));
	for (unsigned i = 0; i < kv_table_count(); i++)
		smap_init(&m->tables[i]);
	return m;
}

void mem_store_free(struct mem_store *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < kv_table_count(); i++)
		smap_release(&m->tables[i]);
	free(m->tables);
	free(m);
}

int mem_get(struct mem_store *m, const uint8_t **val, size_t *vlen,
	    unsigned tbl, const uint8_t *key, size_t klen)
{
	struct smap_node *n = smap_find(&m->tables[tbl], key, klen);

	*val = NULL;
	*vlen = 0;
	if (!n)
		return CL_ERR_NOT_FOUND;
	*val = n->val ? n->val : (const uint8_t *)"";
	*vlen = n->vlen;
	return CL_OK;
}

void mem_put(struct mem_store *m, unsigned tbl, const uint8_t *key,
	     size_t klen, const uint8_t *val, size_t vlen)
{
	bool created;
	struct smap_node *n = smap_upsert(&m->tables[tbl], &created, key, klen);

	smap_set_val(&m->tables[tbl], n, val, vlen);
}

int mem_del(struct mem_store *m, unsigned tbl, const uint8_t *key,
	    size_t klen)
{
	return smap_remove(&m->tables[tbl], key, klen) ? CL_OK
						       : CL_ERR_NOT_FOUND;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

int kv_get(struct kv *kv, const uint8_t **val, size_t *vlen, unsigned tbl,
	   const uint8_t *key, size_t klen)
{
	switch (kv->kind) {
	case KV_LMDB:
		return db_get(kv->db, kv->txn, val, vlen, tbl, key, klen);
	case KV_MEM:
		return mem_get(kv->mem, val, vlen, tbl, key, klen);
	case KV_LAYER:
		return lay_get(kv, val, vlen, tbl, key, klen);
	}
	CL_BUG("bad kv kind");
}

int kv_put(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen,
	   const uint8_t *val, size_t vlen)
{
	switch (kv->kind) {
	case KV_LMDB:
		return db_put(kv->db, kv->txn, tbl, key, klen, val, vlen);
	case KV_MEM:
		mem_put(kv->mem, tbl, key, klen, val, vlen);
		return CL_OK;
	case KV_LAYER:
		return lay_put(kv, tbl, key, klen, val, vlen);
	}
	CL_BUG("bad kv kind");
}

int kv_clear(struct kv *kv, unsigned tbl)
{
	switch (kv->kind) {
	case KV_LMDB:
		return db_clear(kv->db, kv->txn, tbl);
	case KV_MEM:
		smap_clear(&kv->mem->tables[tbl]);
		return CL_OK;
	case KV_LAYER:
		/* only migrations clear a table, on LMDB before any layer */
		cl_broken(STATE_LOG, "clearing a table through the state log");
		return CL_ERR_DB;
	}
	CL_BUG("bad kv kind");
}

int kv_del(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen)
{
	switch (kv->kind) {
	case KV_LMDB:
		return db_del(kv->db, kv->txn, tbl, key, klen);
	case KV_MEM:
		return mem_del(kv->mem, tbl, key, klen);
	case KV_LAYER:
		return lay_del(kv, tbl, key, klen);
	}
	CL_BUG("bad kv kind");
}

/* ------------------------------------------------------------------ */
/* Cursors                                                             */
/* ------------------------------------------------------------------ */

int kv_cursor_open(struct kv_cursor *c, struct kv *kv, unsigned tbl)
{
	memset(c, 0, sizeof(*c));
	c->kv = kv;
	c->tbl = tbl;
	switch (kv->kind) {
	case KV_LMDB:
	case KV_LAYER: {
		int rc = db_cursor_open(kv->db, kv->txn, tbl, &c->mc);
		if (rc == CL_OK)
			kv->cursors++;
		return rc;
	}
	case KV_MEM:
		return CL_OK;
	}
	CL_BUG("bad kv kind");
}

/* Load the memory cursor's current node into the public fields. */
static int mem_cursor_load(struct kv_cursor *c)
{
	struct smap_node *n = c->node;

	c->valid = n != NULL;
	if (!n) {
		c->key = c->val = NULL;
		c->klen = c->vlen = 0;
		return CL_ERR_NOT_FOUND;
	}
	c->key = n->key;
	c->klen = n->klen;
	c->val = n->val ? n->val : (const uint8_t *)"";
	c->vlen = n->vlen;
	return CL_OK;
}

static int lmdb_cursor_move(struct kv_cursor *c, int op, const uint8_t *key,
			    size_t klen)
{
	int rc = db_cursor_get(c->kv->db, c->mc, op, key, klen, &c->key,
			       &c->klen, &c->val, &c->vlen);

	c->valid = rc == CL_OK;
	return rc;
}

int kv_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen)
{
	struct smap *m;

	switch (c->kv->kind) {
	case KV_LMDB:
		return lmdb_cursor_move(c, 0, key, klen);
	case KV_MEM:
		m = &c->kv->mem->tables[c->tbl];
		c->node = klen ? smap_seek(m, key, klen, false) : smap_first(m);
		return mem_cursor_load(c);
	case KV_LAYER:
		return lay_cursor_seek(c, key, klen);
	}
	CL_BUG("bad kv kind");
}

int kv_cursor_next(struct kv_cursor *c)
{
	if (!c->valid)
		return CL_ERR_NOT_FOUND;
	switch (c->kv->kind) {
	case KV_LMDB:
		return lmdb_cursor_move(c, 1, NULL, 0);
	case KV_MEM:
		c->node = c->node->next[0];
		return mem_cursor_load(c);
	case KV_LAYER:
		return lay_cursor_next(c);
	}
	CL_BUG("bad kv kind");
}

int kv_cursor_put(struct kv_cursor *c, const uint8_t *key, size_t klen,
		  const uint8_t *val, size_t vlen)
{
	switch (c->kv->kind) {
	case KV_LMDB:
		c->valid = false;
		return db_cursor_put(c->kv->db, c->mc, key, klen, val, vlen);
	case KV_MEM:
		c->valid = false;
		c->node = NULL;
		mem_put(c->kv->mem, c->tbl, key, klen, val, vlen);
		return CL_OK;
	case KV_LAYER:
		c->valid = false;
		return lay_put(c->kv, c->tbl, key, klen, val, vlen);
	}
	CL_BUG("bad kv kind");
}

int kv_cursor_del(struct kv_cursor *c, const uint8_t *key, size_t klen)
{
	switch (c->kv->kind) {
	case KV_LMDB:
		c->valid = false;
		return db_cursor_del(c->kv->db, c->mc, key, klen);
	case KV_MEM:
		c->valid = false;
		c->node = NULL;
		return mem_del(c->kv->mem, c->tbl, key, klen);
	case KV_LAYER:
		c->valid = false;
		return lay_del(c->kv, c->tbl, key, klen);
	}
	CL_BUG("bad kv kind");
}

void kv_cursor_close(struct kv_cursor *c)
{
	switch (c->kv ? c->kv->kind : KV_MEM) {
	case KV_LMDB:
	case KV_LAYER:
		if (c->mc) {
			db_cursor_close(c->mc);
			CL_REQUIRE(c->kv->cursors > 0);
			c->kv->cursors--;
		}
		break;
	case KV_MEM:
		break;
	}
	memset(c, 0, sizeof(*c));
}
