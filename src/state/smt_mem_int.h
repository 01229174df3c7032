/* SPDX-License-Identifier: MIT */
/*
 * The tree in memory's layout, shared by its two files: smt_mem.c (the
 * shape: loading, changing, the update) and smt_mem_hash.c (hashing its
 * marked branches). See smt_mem.c for the design.
 */
#ifndef CLEARLINE_SMT_MEM_INT_H
#define CLEARLINE_SMT_MEM_INT_H

#include "state_int.h"

#define REF_NONE 0xffffffffu
#define REF_LEAF 0x80000000u /* tag: the rest is a leaf index */

enum {
	F_FULL = 1,  /* rehash, and write its chain */
	F_RETOP = 2, /* rehash its top only (its edge got shorter) */
	F_TOP = 4,   /* while hashing: one of the upper branches */
	F_KID0 = 8,  /* kid[0] is marked (or a leaf on a changed path) */
	F_KID1 = 16, /* kid[1] is marked (or a leaf on a changed path) */
};

/* The mark a branch gets for a change below its kid[k]. */
static inline uint8_t f_kid(unsigned k)
{
	return (uint8_t)(F_KID0 << k);
}

/* Blocks with at least this many changed paths hash on two threads,
 * split into at least PAR_SUBS subtrees; the loader splits each half of
 * the tree into LOAD_SUBS. */
#define PAR_MIN 256
#define PAR_SUBS 64
#define LOAD_SUBS 1024

struct mleaf {
	struct cl_hash32 path;
	struct cl_hash32 lh; /* leaf hash */
};

struct mnode {
	uint32_t kid[2];
	uint32_t rep; /* a leaf index under this branch */
	uint16_t bit;
	uint8_t flags;
	uint8_t cnt; /* leaves under it, at most SMT_STORE_MIN */
	struct cl_hash32 top;
};

_Static_assert(SMT_STORE_MIN >= 2 && SMT_STORE_MIN <= 255,
	       "a branch counts its leaves in a byte");

struct smt_mem {
	struct mleaf *leaves;
	uint32_t nleaves, lcap, lfree; /* lfree: a list through path.b[0..4) */
	struct mnode *nodes;
	uint32_t nnodes, ncap, nfree; /* nfree: a list through kid[0] */
	uint32_t root;
	uint64_t count; /* leaves in the tree */
};

/* One KV_NODES write: the node at `depth` on the prefix of leaf `rep`. */
struct emit {
	uint32_t rep;
	uint16_t depth;
	struct cl_hash32 h;
};

struct emitter {
	struct emit *v;
	size_t n, cap;
	uint64_t hashes;
	bool record; /* false while loading: nothing to write */
};

/* The hash of an empty subtree. */
static const struct cl_hash32 zero_hash;

static inline bool is_leaf(uint32_t r)
{
	return r != REF_NONE && (r & REF_LEAF);
}

static inline struct mleaf *leaf_at(const struct smt_mem *m, uint32_t r)
{
	return &m->leaves[r & ~REF_LEAF];
}

/* The leaf index a subtree's prefix can be read from. */
static inline uint32_t rep_of(const struct smt_mem *m, uint32_t r)
{
	return is_leaf(r) ? (r & ~REF_LEAF) : m->nodes[r].rep;
}

/* Are branch i's nodes in KV_NODES? */
static inline bool stored(const struct smt_mem *m, uint32_t i)
{
	return m->nodes[i].cnt >= SMT_STORE_MIN;
}

static inline const struct cl_hash32 *top_of(const struct smt_mem *m,
					     uint32_t r)
{
	if (r == REF_NONE)
		return &zero_hash;
	return is_leaf(r) ? &leaf_at(m, r)->lh : &m->nodes[r].top;
}

/* Start fetching r's cache line (its top; a leaf's path too). */
static inline void prefetch_ref(const struct smt_mem *m, uint32_t r)
{
	if (is_leaf(r))
		__builtin_prefetch(leaf_at(m, r));
	else
		__builtin_prefetch(&m->nodes[r]);
}

/*
 * Rehash the marked subtree r whose edge starts at depth `start` (its
 * parent's bit + 1; 0 for the root), split into `want` subtrees or more,
 * on two threads when `par`: the second takes the subtrees after the
 * first's, about half of the changed paths ops[0..nops) (sorted; ops may
 * be NULL: half of the subtrees). Its stored nodes' writes go to e in
 * KV_NODES key order when e->record, its hash count to e->hashes;
 * clears the marks.
 */
void smt_mem_hash(struct smt_mem *m, struct emitter *e, uint32_t r,
		  unsigned start, size_t want, bool par,
		  const struct smt_op *ops, size_t nops);

/*
 * Emit every stored node (KV_NODES) of the hashed subtree r whose edge
 * starts at depth `start`, in KV_NODES key order: each stored branch's
 * node and the chain above it, then its children's. CL_ERR_CORRUPT when a
 * chain does not give its branch's top (the tree is not hashed).
 */
int smt_mem_emit_stored(const struct smt_mem *m, struct emitter *e,
			uint32_t r, unsigned start);

#endif
