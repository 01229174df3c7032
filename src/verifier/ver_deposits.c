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
		if (d->stored)
			continue;
		cl_chain_put_deposit(v->st, v->dep_base + i, &d->to, d->amount);
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
static int load_deposit(void *ctx, uint64_t id, const struct cl_address *to,
			uint64_t amount)
{
	struct cl_l1_deposit d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.to = *to;
	d.amount = amount;
	return ver_deps_add(ctx, &d, true);
}

int ver_load_cursor(struct cl_verifier *v)
{
	int rc = cl_chain_load_derive_cursor(v->st, &v->cur);
	if (rc)
		return rc;
	ver_deps_clear(v);
	ver_forced_clear(v, 0); /* the scan fills it again (ver_forced.c) */
	v->dep_base = v->cur.deposits_consumed;
	rc = cl_chain_load_deposits(v->st, v->cur.deposits_consumed,
				    load_deposit, v);
	if (rc)
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
