/* SPDX-License-Identifier: MIT */
/*
 * Where derivation stands: the cursor (next batch, its L1 position) and
 * the L1 deposits seen but not yet consumed, in memory and stored.
 */
#include "ver_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

void ver_cursor_encode(struct cl_buf *b, const struct cursor *c)
{
	cl_buf_append_be64(b, c->next_batch);
	cl_buf_append_be64(b, c->l1_block);
	cl_buf_append_be64(b, c->l1_log);
	cl_buf_append(b, c->l1_hash.b, 32);
	cl_buf_append_be64(b, c->last_block);
	cl_buf_append_be64(b, c->deposits_consumed);
	cl_buf_append_be64(b, c->wid_end);
	cl_buf_append_be64(b, c->txs);
}

static bool cursor_decode(struct cursor *c, const uint8_t *p, size_t len)
{
	struct cl_cursor r;
	cl_cur_init(&r, p, len);
	c->next_batch = cl_cur_be64(&r);
	c->l1_block = cl_cur_be64(&r);
	c->l1_log = cl_cur_be64(&r);
	cl_cur_bytes(&r, c->l1_hash.b, 32);
	c->last_block = cl_cur_be64(&r);
	c->deposits_consumed = cl_cur_be64(&r);
	c->wid_end = cl_cur_be64(&r);
	c->txs = cl_cur_be64(&r);
	return cl_cur_done(&r);
}


void ver_deps_clear(struct cl_verifier *v)
{
	v->n_deps = 0;
}

/* Remember a Deposit event; ids must come in order (a re-read of a known
 * id must match). Returns CL_OK or CL_ERR_CORRUPT. */
int ver_deps_add(struct cl_verifier *v, const struct cl_l1_deposit *d,
		 bool stored)
{
	uint64_t next = v->dep_base + v->n_deps;

	if (d->id < v->dep_base)
		return CL_OK; /* consumed long ago */
	if (d->id < next) {
		const struct vdeposit *k = &v->deps[d->id - v->dep_base];
		if (!cl_address_eq(&k->to, &d->to) || k->amount != d->amount) {
			cl_unusual(SUB, "deposit %llu changed on l1",
				   (unsigned long long)d->id);
			return CL_ERR_CORRUPT;
		}
		return CL_OK;
	}
	if (d->id > next) {
		cl_unusual(SUB, "deposit %llu arrived before %llu",
			   (unsigned long long)d->id, (unsigned long long)next);
		return CL_ERR_CORRUPT;
	}
	if (v->n_deps == v->cap_deps) {
		v->cap_deps = v->cap_deps ? 2 * v->cap_deps : 64;
		v->deps = cl_xrealloc(v->deps, v->cap_deps * sizeof(*v->deps));
	}
	v->deps[v->n_deps].to = d->to;
	v->deps[v->n_deps].amount = d->amount;
	v->deps[v->n_deps].stored = stored;
	v->n_deps++;
	return CL_OK;
}

const struct vdeposit *ver_deps_get(const struct cl_verifier *v, uint64_t id)
{
	if (id < v->dep_base || id - v->dep_base >= v->n_deps)
		return NULL;
	return &v->deps[id - v->dep_base];
}

/* Put the deposits not stored yet into the open overlay. */
void ver_deps_store(struct cl_verifier *v)
{
	for (size_t i = 0; i < v->n_deps; i++) {
		struct vdeposit *d = &v->deps[i];
		uint8_t key[9], val[28];
		if (d->stored)
			continue;
		pkey(key, DEPOSIT_PREFIX, v->dep_base + i);
		memcpy(val, d->to.b, 20);
		cl_put_be64(val + 20, d->amount);
		cl_state_put(v->st, CL_TABLE_NODE, key, 9, val, 28);
	}
}

void ver_deps_mark_stored(struct cl_verifier *v)
{
	for (size_t i = 0; i < v->n_deps; i++)
		v->deps[i].stored = true;
}

/* Forget deposits below `consumed` (memory only). */
void ver_deps_trim(struct cl_verifier *v, uint64_t consumed)
{
	if (consumed <= v->dep_base)
		return;
	uint64_t drop = consumed - v->dep_base;
	if (drop > v->n_deps)
		drop = v->n_deps;
	memmove(v->deps, v->deps + drop, (v->n_deps - drop) * sizeof(*v->deps));
	v->n_deps -= drop;
	v->dep_base += drop;
}

/* Load the cursor and the stored, unconsumed deposits; position the
 * scan just after the last verified batch's event. */
int ver_load_cursor(struct cl_verifier *v)
{
	const uint8_t *val, *k;
	size_t vl, kl;
	struct cl_state_iter *it;
	uint8_t start[9];

	memset(&v->cur, 0, sizeof(v->cur));
	int rc = cl_state_get(v->st, &val, &vl, CL_TABLE_NODE, CURSOR_KEY,
			      sizeof(CURSOR_KEY) - 1);
	if (rc == CL_OK && !cursor_decode(&v->cur, val, vl))
		return CL_ERR_CORRUPT;
	if (rc && rc != CL_ERR_NOT_FOUND)
		return rc;
	ver_deps_clear(v);
	v->dep_base = v->cur.deposits_consumed;
	pkey(start, DEPOSIT_PREFIX, v->cur.deposits_consumed);
	rc = cl_state_iter_new(&it, v->st, CL_TABLE_NODE, start, 9);
	if (rc)
		return rc;
	while ((rc = cl_state_iter_next(it, &k, &kl, &val, &vl)) == CL_OK) {
		if (kl != 9 || k[0] != DEPOSIT_PREFIX)
			break;
		if (vl != 28) {
			rc = CL_ERR_CORRUPT;
			break;
		}
		struct cl_l1_deposit d;
		memset(&d, 0, sizeof(d));
		d.id = cl_get_be64(k + 1);
		memcpy(d.to.b, val, 20);
		d.amount = cl_get_be64(val + 20);
		rc = ver_deps_add(v, &d, true);
		if (rc)
			break;
	}
	cl_state_iter_free(it);
	if (rc && rc != CL_ERR_NOT_FOUND && rc != CL_OK)
		return rc;
	if (v->cur.next_batch) {
		v->scan_next = v->cur.l1_block;
		v->skip_set = true;
		v->skip_block = v->cur.l1_block;
		v->skip_log = v->cur.l1_log;
	} else {
		v->scan_next = v->cfg.start_block;
		v->skip_set = false;
	}
	memset(&v->scan_prev, 0, sizeof(v->scan_prev));
	return CL_OK;
}

