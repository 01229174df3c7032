/* SPDX-License-Identifier: MIT */
/*
 * Hashing the marked branches of the tree in memory (smt_mem.c has the
 * design): depth by depth, all the nodes at one depth through the
 * multi-lane keccak together, the tree split into subtrees for two
 * threads, and the stored nodes' writes put in KV_NODES key order; and
 * for a rebuild of KV_NODES, every stored node of a hashed tree.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/keccak.h>

#include "smt_mem_int.h"

/* Reserve `n` emits (filled by emit_fill); returns the first's index. */
static size_t emit_reserve(struct emitter *e, size_t n)
{
	size_t at = e->n;

	if (!e->record)
		return 0;
	while (e->n + n > e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		e->v = cl_xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	e->n += n;
	return at;
}

static void emit_fill(struct emitter *e, size_t at, uint32_t rep,
		      unsigned depth, const struct cl_hash32 *h)
{
	if (!e->record)
		return;
	e->v[at].rep = rep;
	e->v[at].depth = (uint16_t)depth;
	e->v[at].h = *h;
}

/*
 * Hashing goes depth by depth, from the deepest: every node to hash at
 * one depth (a branch's own node, or a chain node above it) is
 * independent of the others there, so they go through keccak together
 * (cl_keccak256_many: 8 at a time with AVX-512). A marked branch is an
 * `item`: its node at `bit` from its children's tops, then its chain up
 * to `start`, one depth per step.
 */
struct item {
	uint32_t r;
	uint16_t start, bit;
	bool full; /* fills emits [at, at + bit - start] */
	size_t at;
	struct cl_hash32 h; /* its hash at the depth reached */
};

/* The items of one pass and the buffers to hash them. */
struct pass {
	struct item *it;
	size_t n, cap;
	uint32_t *order, *active;
	uint8_t *in, *out;
	size_t scap;
};

static void pass_release(struct pass *p)
{
	free(p->it);
	free(p->order);
	free(p->active);
	free(p->in);
	free(p->out);
}

static struct item *pass_push(struct pass *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->it = cl_xrealloc(p->it, p->cap * sizeof(*p->it));
	}
	return &p->it[p->n++];
}

/* A branch's node input: 0x01 ‖ left ‖ right, 65 bytes. */
static void node_input(uint8_t *in, const struct cl_hash32 *l,
		       const struct cl_hash32 *r)
{
	in[0] = 0x01;
	memcpy(in + 1, l->b, 32);
	memcpy(in + 33, r->b, 32);
}

/*
 * Hash the pass's items (a child of one is either among them or has its
 * top already) and empty the pass: each item's node and chain, filling
 * its emits, then its branch's top; clears their marks.
 */
static void pass_hash(struct smt_mem *m, struct emitter *e, struct pass *p)
{
	size_t n = p->n, na = 0, next = 0, per[CL_SMT_DEPTH + 1] = { 0 };
	int d = 0;

	if (n == 0)
		return;
	if (n > p->scap) {
		p->scap = n;
		p->order = cl_xrealloc(p->order, n * sizeof(*p->order));
		p->active = cl_xrealloc(p->active, n * sizeof(*p->active));
		p->in = cl_xrealloc(p->in, n * 65);
		p->out = cl_xrealloc(p->out, n * 32);
	}
	/* by bit, deepest first: a counting sort on 255 - bit */
	for (size_t i = 0; i < n; i++)
		per[(CL_SMT_DEPTH - 1 - p->it[i].bit) + 1]++;
	for (size_t b = 1; b <= CL_SMT_DEPTH; b++)
		per[b] += per[b - 1];
	for (size_t i = 0; i < n; i++)
		p->order[per[CL_SMT_DEPTH - 1 - p->it[i].bit]++] = (uint32_t)i;
	while (na || next < n) {
		size_t keep = 0;

		if (na == 0)
			d = p->it[p->order[next]].bit;
		while (next < n && p->it[p->order[next]].bit == d)
			p->active[na++] = p->order[next++];
		for (size_t k = 0; k < na; k++) {
			struct item *x = &p->it[p->active[k]];
			const struct mnode *b = &m->nodes[x->r];
			uint8_t *in = p->in + 65 * k;

			if (x->bit == d)
				node_input(in, top_of(m, b->kid[0]),
					   top_of(m, b->kid[1]));
			else if (cl_smt_bit(&m->leaves[b->rep].path,
					    (unsigned)d))
				node_input(in, &zero_hash, &x->h);
			else
				node_input(in, &x->h, &zero_hash);
		}
		cl_keccak256_many(p->out, p->in, 65, na);
		e->hashes += na;
		for (size_t k = 0; k < na; k++) {
			struct item *x = &p->it[p->active[k]];
			struct mnode *b;

			memcpy(x->h.b, p->out + 32 * k, 32);
			b = &m->nodes[x->r];
			if (x->full)
				emit_fill(e, x->at + (size_t)(d - x->start),
					  b->rep, (unsigned)d, &x->h);
			if (d > x->start) {
				p->active[keep++] = p->active[k];
				continue;
			}
			b->top = x->h;
			b->flags = 0;
		}
		na = keep;
		d--;
	}
	p->n = 0;
}

/* Add marked branch r, whose edge starts at depth `start` (its parent's
 * bit + 1), to the pass: a F_FULL one with SMT_STORE_MIN leaves or more
 * reserves its chain's emits. */
static void item_add(struct smt_mem *m, struct emitter *e, struct pass *p,
		     uint32_t r, unsigned start)
{
	const struct mnode *b = &m->nodes[r];
	struct item *x = pass_push(p);

	x->r = r;
	x->start = (uint16_t)start;
	x->bit = b->bit;
	x->full = (b->flags & F_FULL) && stored(m, r);
	x->at = x->full ? emit_reserve(e, b->bit - start + 1u) : 0;
	/* its children's tops, and for a chain its path, are read when it
	 * is hashed: fetch them now */
	for (int k = 0; k < 2; k++)
		if (b->kid[k] != REF_NONE)
			prefetch_ref(m, b->kid[k]);
	if (b->bit > start)
		__builtin_prefetch(&m->leaves[b->rep].path);
}

/* Is r a marked branch? */
static bool marked(const struct smt_mem *m, uint32_t r)
{
	return r != REF_NONE && !is_leaf(r) && m->nodes[r].flags;
}

/*
 * Add the marked subtree (r, start) to the pass: its marked branches get
 * their hashes recomputed, and F_FULL ones reserve their chain's emits
 * before their children's (a depth-first order, the KV_NODES key order).
 * A branch's F_KID marks say which children to go into, so the others
 * (most of them unchanged siblings) are not read here.
 */
static void collect(struct smt_mem *m, struct emitter *e, struct pass *p,
		    uint32_t r, unsigned start)
{
	uint8_t flags;
	unsigned bit;

	if (r == REF_NONE || is_leaf(r))
		return;
	item_add(m, e, p, r, start);
	flags = m->nodes[r].flags;
	if (!(flags & F_FULL))
		return;
	bit = m->nodes[r].bit;
	for (unsigned k = 0; k < 2; k++)
		if (flags & f_kid(k))
			collect(m, e, p, m->nodes[r].kid[k], bit + 1u);
}

/*
 * A pass over the whole tree splits it: the upper marked branches
 * (marked F_TOP while splitting) are hashed last, on the calling thread;
 * below them the marked subtrees (`sub`), in key order, are shared out
 * to the workers as two runs of about the same number of changed paths.
 * A worker gathers its subtrees' items into passes of at least
 * PASS_MIN items (wide depths; bounded memory while loading).
 */
#define PASS_MIN 16384

struct sub {
	uint32_t r;
	uint16_t start;
	size_t off, cnt; /* its emits in its worker's emitter */
	uint64_t weight;
};

/* The final emit order: runs of the top's emits and subtrees' emits. */
struct seg {
	uint32_t sub; /* SEG_TOP: [off, off + cnt) of the top's emits */
	size_t off, cnt;
};

#define SEG_TOP 0xffffffffu

struct worker {
	struct smt_mem *m;
	struct sub *subs;
	size_t from, to;
	struct emitter e;
	struct pass p;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (size_t i = w->from; i < w->to; i++) {
		struct sub *s = &w->subs[i];

		s->off = w->e.n;
		collect(w->m, &w->e, &w->p, s->r, s->start);
		s->cnt = w->e.n - s->off;
		if (w->p.n >= PASS_MIN)
			pass_hash(w->m, &w->e, &w->p);
	}
	pass_hash(w->m, &w->e, &w->p);
	return NULL;
}

struct split {
	struct sub *subs;
	size_t nsubs, scap;
	struct seg *segs;
	size_t nsegs, gcap;
	size_t next; /* the next subtree the ordering walk meets */
};

static void sub_push(struct split *sp, uint32_t r, unsigned start)
{
	if (sp->nsubs == sp->scap) {
		sp->scap = sp->scap ? sp->scap * 2 : 64;
		sp->subs = cl_xrealloc(sp->subs, sp->scap * sizeof(*sp->subs));
	}
	sp->subs[sp->nsubs++] =
		(struct sub){ .r = r, .start = (uint16_t)start };
}

static void seg_push(struct split *sp, uint32_t sub, size_t off, size_t cnt)
{
	if (sp->nsegs == sp->gcap) {
		sp->gcap = sp->gcap ? sp->gcap * 2 : 64;
		sp->segs = cl_xrealloc(sp->segs, sp->gcap * sizeof(*sp->segs));
	}
	sp->segs[sp->nsegs++] = (struct seg){ sub, off, cnt };
}

/*
 * Split the marked subtree (r, start) into at least `want` subtrees (or
 * as many as there are) by taking its upper F_FULL branches off, a
 * depth of the compacted tree at a time; they are marked F_TOP.
 */
static void split_tree(struct smt_mem *m, struct split *sp, uint32_t r,
		       unsigned start, size_t want)
{
	struct sub *old = NULL;
	size_t nold = 0, ocap = 0;
	bool again = true;

	if (!marked(m, r))
		return;
	sub_push(sp, r, start);
	while (sp->nsubs < want && again) {
		again = false;
		if (ocap < sp->nsubs) {
			ocap = sp->scap;
			old = cl_xrealloc(old, ocap * sizeof(*old));
		}
		nold = sp->nsubs;
		memcpy(old, sp->subs, nold * sizeof(*old));
		sp->nsubs = 0;
		for (size_t i = 0; i < nold; i++) {
			struct mnode *b = &m->nodes[old[i].r];

			if (!(b->flags & F_FULL)) {
				sub_push(sp, old[i].r, old[i].start);
				continue;
			}
			b->flags |= F_TOP;
			again = true;
			for (unsigned k = 0; k < 2; k++)
				if ((b->flags & f_kid(k)) &&
				    !is_leaf(b->kid[k]))
					sub_push(sp, b->kid[k], b->bit + 1u);
		}
	}
	free(old);
}

/*
 * The top branches into the top pass and the final emit order, walking
 * them depth-first: a top branch's chain, then its children's (a top
 * branch or one of the subtrees, met in the order of sp->subs).
 */
static void order_top(struct smt_mem *m, struct split *sp,
		      struct emitter *e, struct pass *p, uint32_t r,
		      unsigned start)
{
	struct mnode *b;
	size_t before = e->n;

	/* the subtrees are hashed (their marks cleared) by now */
	if (sp->next < sp->nsubs && sp->subs[sp->next].r == r) {
		seg_push(sp, (uint32_t)sp->next++, 0, 0);
		return;
	}
	b = &m->nodes[r];
	CL_REQUIRE(b->flags & F_TOP);
	b->flags &= (uint8_t)~F_TOP;
	item_add(m, e, p, r, start);
	if (e->n > before)
		seg_push(sp, SEG_TOP, before, e->n - before);
	for (unsigned k = 0; k < 2; k++)
		if ((b->flags & f_kid(k)) && !is_leaf(b->kid[k]))
			order_top(m, sp, e, p, b->kid[k], b->bit + 1u);
}

/* Compare the first `bits` bits of two paths. */
static int prefix_cmp(const struct cl_hash32 *a, const struct cl_hash32 *b,
		      unsigned bits)
{
	unsigned whole = bits / 8;
	uint8_t mask;
	int c = memcmp(a->b, b->b, whole);

	if (c || bits % 8 == 0)
		return c;
	mask = (uint8_t)(0xff00u >> (bits % 8));
	return (int)(a->b[whole] & mask) - (int)(b->b[whole] & mask);
}

/* How many of the sorted ops[0..n) start with the first `bits` bits of
 * `path`. */
static size_t ops_under(const struct smt_op *ops, size_t n,
			const struct cl_hash32 *path, unsigned bits)
{
	size_t lo = 0, hi = n, first;

	while (lo < hi) {
		size_t x = lo + (hi - lo) / 2;

		if (prefix_cmp(&ops[x].path, path, bits) < 0)
			lo = x + 1;
		else
			hi = x;
	}
	first = lo;
	hi = n;
	while (lo < hi) {
		size_t x = lo + (hi - lo) / 2;

		if (prefix_cmp(&ops[x].path, path, bits) <= 0)
			lo = x + 1;
		else
			hi = x;
	}
	return lo - first;
}

/*
 * Rehash the marked subtree r whose edge starts at depth `start`, split
 * into `want` subtrees or more, on two threads when `par` (the second
 * gets the subtrees after the first's, about half of the changed paths
 * ops[0..nops), sorted; ops may be NULL: half of the subtrees). Its
 * emits go to e in key order; clears the marks.
 */
void smt_mem_hash(struct smt_mem *m, struct emitter *e, uint32_t r,
		  unsigned start, size_t want, bool par,
		  const struct smt_op *ops, size_t nops)
{
	struct split sp = { 0 };
	struct worker w[2];
	struct emitter te = { .record = e->record };
	struct pass tp = { 0 };
	uint64_t total = 0, sum = 0;
	size_t cut;
	pthread_t th;
	bool spawned = false;

	if (!marked(m, r))
		return;
	/* (every marked branch may end up a top one, and no subtree left) */
	split_tree(m, &sp, r, start, want);
	for (size_t i = 0; i < sp.nsubs; i++) {
		struct sub *s = &sp.subs[i];
		const struct cl_hash32 *path = &m->leaves[rep_of(m, s->r)].path;

		s->weight = ops ? 1 + ops_under(ops, nops, path, s->start) : 1;
		total += s->weight;
	}
	/* the first worker's run: about half of the weight, both non-empty */
	cut = sp.nsubs;
	if (par && sp.nsubs >= 2) {
		uint64_t best = UINT64_MAX;

		for (size_t i = 1; i < sp.nsubs; i++) {
			uint64_t gap;

			sum += sp.subs[i - 1].weight;
			gap = 2 * sum > total ? 2 * sum - total
					      : total - 2 * sum;
			if (gap < best) {
				best = gap;
				cut = i;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		w[i] = (struct worker){ .m = m, .subs = sp.subs,
					.from = i ? cut : 0,
					.to = i ? sp.nsubs : cut,
					.e = { .record = e->record } };
	if (cut < sp.nsubs)
		spawned = pthread_create(&th, NULL, worker_run, &w[1]) == 0;
	worker_run(&w[0]);
	if (spawned)
		CL_REQUIRE(pthread_join(th, NULL) == 0);
	else
		worker_run(&w[1]);
	/* the top branches, their children done */
	order_top(m, &sp, &te, &tp, r, start);
	CL_REQUIRE(sp.next == sp.nsubs);
	pass_hash(m, &te, &tp);
	for (size_t i = 0; i < sp.nsegs && e->record; i++) {
		const struct seg *g = &sp.segs[i];
		const struct emit *src;
		size_t cnt, to;

		if (g->sub == SEG_TOP) {
			src = te.v + g->off;
			cnt = g->cnt;
		} else {
			const struct sub *s = &sp.subs[g->sub];

			src = w[g->sub < cut ? 0 : 1].e.v + s->off;
			cnt = s->cnt;
		}
		to = emit_reserve(e, cnt);
		if (cnt)
			memcpy(e->v + to, src, cnt * sizeof(*src));
	}
	e->hashes += te.hashes + w[0].e.hashes + w[1].e.hashes;
	for (int i = 0; i < 2; i++) {
		free(w[i].e.v);
		pass_release(&w[i].p);
	}
	free(te.v);
	pass_release(&tp);
	free(sp.subs);
	free(sp.segs);
}

int smt_mem_emit_stored(const struct smt_mem *m, struct emitter *e,
			uint32_t r, unsigned start)
{
	const struct mnode *b = &m->nodes[r];
	unsigned bit = b->bit;
	struct cl_hash32 h = b->top;
	int rc = CL_OK;

	if (!stored(m, r))
		return CL_OK; /* nor is any below it */
	size_t at = emit_reserve(e, bit - start + 1u);
	if (bit > start) {
		const struct cl_hash32 *path = &m->leaves[b->rep].path;

		/* the chain is not kept: its nodes from the branch's own */
		cl_smt_node_hash(&h, top_of(m, b->kid[0]),
				 top_of(m, b->kid[1]));
		e->hashes++;
		for (unsigned d = bit;; d--) {
			emit_fill(e, at + (d - start), b->rep, d, &h);
			if (d == start)
				break;
			if (cl_smt_bit(path, d - 1))
				cl_smt_node_hash(&h, &zero_hash, &h);
			else
				cl_smt_node_hash(&h, &h, &zero_hash);
			e->hashes++;
		}
		if (memcmp(h.b, b->top.b, 32) != 0) {
			cl_unusual(STATE_LOG, "merkle tree in memory: a chain "
					      "at depth %u does not give its "
					      "branch's top",
				   start);
			return CL_ERR_CORRUPT;
		}
	} else {
		emit_fill(e, at, b->rep, bit, &h);
	}
	for (unsigned k = 0; k < 2 && !rc; k++)
		if (b->kid[k] != REF_NONE && !is_leaf(b->kid[k]))
			rc = smt_mem_emit_stored(m, e, b->kid[k], bit + 1u);
	return rc;
}
