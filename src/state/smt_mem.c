/* SPDX-License-Identifier: MIT */
/*
 * The LMDB writer's whole tree in memory (docs/state.md "The tree in
 * memory"): a crit-bit tree over the committed leaves, so a root update
 * reads nothing from LMDB. It mirrors KV_LEAVES and KV_NODES, which stay
 * the durable form (proofs, snapshots, the walk and the start-up read
 * them); an update only writes the KV_NODES entries that changed and
 * deletes the stale ones.
 *
 * Shape. A leaf holds its path and its leaf hash (64 bytes). A branch
 * holds the bit at which its two children split, its two children, one
 * leaf under it (`rep`, which gives its prefix), its number of leaves
 * (counted up to SMT_STORE_MIN) and `top`, the hash of the subtree at
 * the depth just below its parent's bit (48 bytes). The internal nodes
 * of the compacted tree are, for each branch B with parent bit p (p = -1
 * at the root), the nodes at depths p+1 .. bit along B's prefix:
 * H(0x01 ‖ top(kid0) ‖ top(kid1)) at `bit`, and above it a chain of
 * nodes whose other child is empty; all of them hold B's leaves, so
 * KV_NODES has all of them when B has SMT_STORE_MIN leaves or more, and
 * none otherwise. A leaf's top is its leaf hash, wherever it sits.
 *
 * An update applies the block's changes to the shape (marking the
 * branches on changed paths, and in each which child is on one): the
 * changed values of leaves already there first (no shape change; on two
 * threads when the block is large), then new and deleted leaves one at
 * a time. smt_mem_hash.c hashes the marked branches bottom-up, depth by
 * depth through the multi-lane keccak (on two threads when the block is
 * large), and emits each marked branch's chain as KV_NODES writes in key
 * order
 * (KV_NODES keys sort a node before its subtree, left before right: a
 * depth-first walk that lists a branch's chain before its children). A
 * deleted path's stale entries are those between the depth where the
 * path stops being shared by SMT_STORE_MIN leaves after the block and
 * where it stopped before.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/keccak.h>

#include "smt_mem_int.h"

/* The first bit (0..255) where a and b differ, 256 when equal. */
static unsigned crit_bit(const struct cl_hash32 *a, const struct cl_hash32 *b)
{
	for (unsigned i = 0; i < 32; i += 8) {
		uint64_t x = cl_get_be64(a->b + i) ^ cl_get_be64(b->b + i);

		if (x)
			return i * 8 + (unsigned)__builtin_clzll(x);
	}
	return 256;
}

static uint32_t leaf_new(struct smt_mem *m, const struct cl_hash32 *path,
			 const struct cl_hash32 *lh)
{
	uint32_t i;

	if (m->lfree != REF_NONE) {
		i = m->lfree;
		m->lfree = cl_get_be32(m->leaves[i].path.b);
	} else {
		if (m->nleaves == m->lcap) {
			m->lcap = m->lcap ? m->lcap + m->lcap / 4 + 1024 : 1024;
			CL_REQUIRE(m->lcap < REF_LEAF);
			m->leaves = cl_xrealloc(m->leaves,
						m->lcap * sizeof(*m->leaves));
		}
		i = m->nleaves++;
	}
	m->leaves[i].path = *path;
	m->leaves[i].lh = *lh;
	return i | REF_LEAF;
}

static void leaf_free(struct smt_mem *m, uint32_t r)
{
	uint32_t i = r & ~REF_LEAF;

	cl_put_be32(m->leaves[i].path.b, m->lfree);
	m->lfree = i;
}

static uint32_t node_new(struct smt_mem *m)
{
	uint32_t i;

	if (m->nfree != REF_NONE) {
		i = m->nfree;
		m->nfree = m->nodes[i].kid[0];
	} else {
		if (m->nnodes == m->ncap) {
			m->ncap = m->ncap ? m->ncap + m->ncap / 4 + 1024 : 1024;
			CL_REQUIRE(m->ncap < REF_LEAF);
			m->nodes = cl_xrealloc(m->nodes,
					       m->ncap * sizeof(*m->nodes));
		}
		i = m->nnodes++;
	}
	memset(&m->nodes[i], 0, sizeof(m->nodes[i]));
	return i;
}

static void node_free(struct smt_mem *m, uint32_t i)
{
	m->nodes[i].kid[0] = m->nfree;
	m->nfree = i;
}

/* The leaves under r, at most SMT_STORE_MIN. */
static unsigned cnt_of(const struct smt_mem *m, uint32_t r)
{
	if (r == REF_NONE)
		return 0;
	return is_leaf(r) ? 1 : m->nodes[r].cnt;
}

/* Count branch i's leaves again from its children's counts. */
static void recount(struct smt_mem *m, uint32_t i)
{
	unsigned c = cnt_of(m, m->nodes[i].kid[0]) +
		     cnt_of(m, m->nodes[i].kid[1]);

	m->nodes[i].cnt = (uint8_t)(c < SMT_STORE_MIN ? c : SMT_STORE_MIN);
}

void smt_mem_free(struct smt_mem *m)
{
	if (!m)
		return;
	free(m->leaves);
	free(m->nodes);
	free(m);
}

void smt_mem_root(const struct smt_mem *m, struct cl_hash32 *root)
{
	*root = *top_of(m, m->root);
}

bool smt_mem_leaf(const struct smt_mem *m, struct cl_hash32 *lh,
		  const struct cl_hash32 *path)
{
	uint32_t r = m->root;

	while (r != REF_NONE && !is_leaf(r))
		r = m->nodes[r].kid[cl_smt_bit(path, m->nodes[r].bit)];
	if (r == REF_NONE || memcmp(leaf_at(m, r)->path.b, path->b, 32) != 0)
		return false;
	*lh = leaf_at(m, r)->lh;
	return true;
}

/* ------------------------------------------------------------------ */
/* Changing the shape                                                  */
/* ------------------------------------------------------------------ */

/*
 * Along `path`: the first depth at which fewer than SMT_STORE_MIN leaves
 * share the path's prefix, so KV_NODES holds (d, prefix) exactly for d
 * below it. A branch's leaves share the path's first d bits for every
 * depth d of its edge (from its parent's bit + 1 to its own bit) up to
 * where the path leaves its prefix; below, the path is in one child.
 */
static unsigned span(const struct smt_mem *m, const struct cl_hash32 *path)
{
	uint32_t r = m->root;
	unsigned start = 0;

	while (r != REF_NONE && !is_leaf(r) && stored(m, r)) {
		const struct mnode *b = &m->nodes[r];
		unsigned l = crit_bit(path, &m->leaves[b->rep].path);

		if (l < b->bit)
			return l + 1;
		start = b->bit + 1u;
		r = b->kid[cl_smt_bit(path, b->bit)];
	}
	return start;
}

/* Insert or change the leaf at `path`. */
static void put(struct smt_mem *m, const struct cl_hash32 *path,
		const struct cl_hash32 *lh)
{
	uint32_t r = m->root, *link = &m->root, nl = REF_NONE, n = REF_NONE;
	uint32_t stack[CL_SMT_DEPTH];
	size_t depth = 0;
	unsigned crit;

	if (r == REF_NONE) {
		m->root = leaf_new(m, path, lh);
		m->count++;
		return;
	}
	while (!is_leaf(r))
		r = m->nodes[r].kid[cl_smt_bit(path, m->nodes[r].bit)];
	crit = crit_bit(path, &leaf_at(m, r)->path);
	if (crit < 256) {
		/* allocate first: the links below point into the arrays */
		nl = leaf_new(m, path, lh);
		n = node_new(m);
	}
	/* mark the branches above the change; find where it goes */
	r = m->root;
	while (!is_leaf(r) && m->nodes[r].bit < crit) {
		m->nodes[r].flags |=
			F_FULL | f_kid(cl_smt_bit(path, m->nodes[r].bit));
		stack[depth++] = r;
		link = &m->nodes[r].kid[cl_smt_bit(path, m->nodes[r].bit)];
		r = *link;
	}
	if (crit == 256) {
		CL_REQUIRE(is_leaf(r));
		leaf_at(m, r)->lh = *lh;
		return;
	}
	m->nodes[n].bit = (uint16_t)crit;
	m->nodes[n].kid[cl_smt_bit(path, crit)] = nl;
	m->nodes[n].kid[!cl_smt_bit(path, crit)] = r;
	m->nodes[n].rep = nl & ~REF_LEAF;
	m->nodes[n].flags = F_FULL | F_KID0 | F_KID1;
	if (!is_leaf(r))
		m->nodes[r].flags |= F_RETOP;
	*link = n;
	m->count++;
	/* one leaf more under the new branch and every branch above it */
	recount(m, n);
	while (depth > 0)
		recount(m, stack[--depth]);
}

/* Remove the leaf at `path`: false when there is none. */
static bool del(struct smt_mem *m, const struct cl_hash32 *path)
{
	uint32_t stack[CL_SMT_DEPTH + 1], *links[CL_SMT_DEPTH + 1];
	uint32_t r = m->root, *link = &m->root, sib, newrep;
	size_t depth = 0;

	while (r != REF_NONE && !is_leaf(r)) {
		stack[depth] = r;
		links[depth++] = link;
		link = &m->nodes[r].kid[cl_smt_bit(path, m->nodes[r].bit)];
		r = *link;
	}
	if (r == REF_NONE || memcmp(leaf_at(m, r)->path.b, path->b, 32) != 0)
		return false;
	leaf_free(m, r);
	m->count--;
	if (depth == 0) {
		m->root = REF_NONE;
		return true;
	}
	/* the parent goes; the sibling takes its place, its edge longer */
	{
		uint32_t p = stack[--depth];

		sib = m->nodes[p].kid[m->nodes[p].kid[0] == r ? 1 : 0];
		*links[depth] = sib;
		node_free(m, p);
	}
	if (!is_leaf(sib))
		m->nodes[sib].flags |= F_FULL;
	newrep = rep_of(m, sib);
	for (size_t i = 0; i < depth; i++) {
		struct mnode *a = &m->nodes[stack[i]];

		a->flags |= F_FULL | f_kid(cl_smt_bit(path, a->bit));
		if (a->rep == (r & ~REF_LEAF))
			a->rep = newrep;
	}
	/* one leaf fewer under every branch above, bottom-up */
	while (depth > 0)
		recount(m, stack[--depth]);
	return true;
}

/*
 * Changed values of leaves already there go first, and on two threads
 * for a large block: they change no shape, only their leaf hash and the
 * marks above them (a value written again, with the leaf hash it had,
 * changes nothing and marks nothing). The other changes (new leaves, deletions) follow
 * one at a time (put, del); the marks come out the same in either
 * order, as every branch on a changed path ends up marked F_FULL.
 */
struct values_job {
	struct smt_mem *m;
	const struct smt_op *ops;
	size_t from, to;
	bool *done; /* done[i]: ops[i] applied */
};

/* Descents at once in a group (their cache misses overlap). */
#define GROUP 16

static void *values_run(void *arg)
{
	struct values_job *j = arg;
	struct smt_mem *m = j->m;

	for (size_t at = j->from; at < j->to; at += GROUP) {
		size_t k = j->to - at < GROUP ? j->to - at : GROUP;
		uint32_t ref[GROUP];
		bool walking = true;

		/* down to the leaf each path leads to, a depth at a time */
		for (size_t g = 0; g < k; g++)
			ref[g] = m->root;
		while (walking) {
			walking = false;
			for (size_t g = 0; g < k; g++) {
				const struct mnode *b;

				if (is_leaf(ref[g]))
					continue;
				b = &m->nodes[ref[g]];
				ref[g] = b->kid[cl_smt_bit(&j->ops[at + g].path,
							   b->bit)];
				prefetch_ref(m, ref[g]);
				walking = true;
			}
		}
		for (size_t g = 0; g < k; g++) {
			const struct smt_op *op = &j->ops[at + g];
			uint32_t r = m->root;

			if (op->del || memcmp(leaf_at(m, ref[g])->path.b,
					      op->path.b, 32) != 0)
				continue;
			j->done[at + g] = true;
			if (memcmp(leaf_at(m, ref[g])->lh.b, op->lh.b, 32) == 0)
				continue; /* the value it had: nothing changes */
			leaf_at(m, ref[g])->lh = op->lh;
			/* mark the branches above it (the other thread may
			 * mark the upper ones too) */
			while (!is_leaf(r)) {
				struct mnode *b = &m->nodes[r];
				unsigned dir = cl_smt_bit(&op->path, b->bit);
				uint8_t want = F_FULL | f_kid(dir);

				if ((__atomic_load_n(&b->flags,
						     __ATOMIC_RELAXED) &
				     want) != want)
					__atomic_fetch_or(&b->flags, want,
							  __ATOMIC_RELAXED);
				r = b->kid[dir];
			}
		}
	}
	return NULL;
}

/* Apply the changed values of leaves already there (done[i] set for
 * them), on two threads when `par`. */
static void apply_values(struct smt_mem *m, const struct smt_op *ops,
			 size_t n, bool *done, bool par)
{
	struct values_job j[2] = {
		{ .m = m, .ops = ops, .from = 0, .to = par ? n / 2 : n,
		  .done = done },
		{ .m = m, .ops = ops, .from = par ? n / 2 : n, .to = n,
		  .done = done },
	};
	pthread_t th;
	bool spawned = false;

	if (m->root == REF_NONE)
		return;
	if (j[1].from < j[1].to)
		spawned = pthread_create(&th, NULL, values_run, &j[1]) == 0;
	values_run(&j[0]);
	if (spawned)
		CL_REQUIRE(pthread_join(th, NULL) == 0);
	else
		values_run(&j[1]);
}

/* ------------------------------------------------------------------ */
/* Update                                                              */
/* ------------------------------------------------------------------ */

static int corrupt(const char *what)
{
	cl_unusual(STATE_LOG, "merkle tree in memory: %s", what);
	return CL_ERR_CORRUPT;
}

/* Write the emitted nodes: they are in key order already. */
static int write_emits(struct smt_mem *m, struct kv_cursor *c,
		       const struct emitter *e, struct cl_state_stats *s)
{
	uint8_t key[33];
	int rc = CL_OK;

	for (size_t j = 0; j < e->n && !rc; j++) {
		const struct emit *x = &e->v[j];

		smt_node_key(key, x->depth, &m->leaves[x->rep].path);
		rc = kv_cursor_put(c, key, sizeof(key), x->h.b, 32);
	}
	s->node_puts += e->n;
	return rc;
}

int smt_mem_update(struct smt_mem *m, struct kv *kv, struct cl_hash32 *root,
		   const struct smt_op *ops, size_t n,
		   struct cl_state_stats *s)
{
	struct emitter e = { .record = true };
	struct kv_cursor c;
	uint16_t *old_span = NULL;
	bool *done;
	uint8_t key[33];
	uint64_t t0 = cl_clock_mono_ns();
	int rc = CL_OK;

	if (n == 0) {
		smt_mem_root(m, root);
		return CL_OK;
	}
	/* where each deleted path's stored nodes end before the block */
	for (size_t i = 0; i < n; i++) {
		if (!ops[i].del)
			continue;
		if (!old_span)
			old_span = cl_xcalloc(n, sizeof(*old_span));
		old_span[i] = (uint16_t)span(m, &ops[i].path);
	}
	done = cl_xcalloc(n, sizeof(*done));
	apply_values(m, ops, n, done, n >= PAR_MIN);
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!ops[i].del)
			put(m, &ops[i].path, &ops[i].lh);
		else if (!del(m, &ops[i].path)) {
			free(done);
			free(old_span);
			return corrupt("a deleted path had no leaf");
		}
	}
	free(done);
	smt_mem_hash(m, &e, m->root, 0, n >= PAR_MIN ? PAR_SUBS : 1,
		  n >= PAR_MIN, ops, n);
	s->hashes += e.hashes;
	smt_mem_root(m, root);
	s->hash_ns = cl_clock_mono_ns() - t0;
	rc = kv_cursor_open(&c, kv, KV_NODES);
	if (rc) {
		free(old_span);
		free(e.v);
		return rc;
	}
	/* stale entries along deleted paths (in key order: by path, then
	 * by depth) */
	for (size_t i = 0; i < n && !rc && old_span; i++) {
		unsigned now;

		if (!ops[i].del)
			continue;
		now = span(m, &ops[i].path);
		for (unsigned d = now; d < old_span[i] && !rc; d++) {
			smt_node_key(key, d, &ops[i].path);
			rc = kv_cursor_del(&c, key, sizeof(key));
			if (rc == CL_ERR_NOT_FOUND)
				rc = CL_OK; /* shared with an earlier path */
			else if (!rc)
				s->node_dels++;
		}
	}
	free(old_span);
	if (!rc)
		rc = write_emits(m, &c, &e, s);
	kv_cursor_close(&c);
	free(e.v);
	if (rc)
		return rc;
	return kv_put(kv, KV_META, (const uint8_t *)META_KEY_ROOT,
		      strlen(META_KEY_ROOT), root->b, 32);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

struct build_job {
	struct smt_mem *m;
	uint32_t lo, hi, out;
	unsigned start; /* the depth its edge starts at */
	uint64_t hashes;
};

/* The leaf hashes of leaves [lo, hi), whose lh holds the value hash
 * until here: keccak256(0x00 ‖ path ‖ value hash), many at once. */
static void leaf_hashes(struct smt_mem *m, uint32_t lo, uint32_t hi,
			uint64_t *hashes)
{
	enum { N = 256 };
	uint8_t in[65 * N], out[32 * N];

	for (uint32_t at = lo; at < hi; at += N) {
		uint32_t k = hi - at < N ? hi - at : N;

		for (uint32_t i = 0; i < k; i++) {
			in[65 * i] = 0x00;
			memcpy(in + 65 * i + 1, m->leaves[at + i].path.b, 32);
			memcpy(in + 65 * i + 33, m->leaves[at + i].lh.b, 32);
		}
		cl_keccak256_many(out, in, 65, k);
		for (uint32_t i = 0; i < k; i++)
			memcpy(m->leaves[at + i].lh.b, out + 32 * i, 32);
		*hashes += k;
	}
}

/*
 * Build the subtree over the sorted leaves [lo, hi) (their leaf hashes
 * done), into node slots [lo, hi - 1); returns its ref. Its branches are
 * left marked for smt_mem_hash().
 */
static uint32_t build(struct smt_mem *m, uint32_t lo, uint32_t hi)
{
	struct mleaf *a, *z;
	uint32_t mid, l, h, b;
	unsigned crit;

	if (hi - lo == 1)
		return lo | REF_LEAF;
	a = &m->leaves[lo];
	z = &m->leaves[hi - 1];
	crit = crit_bit(&a->path, &z->path);
	l = lo;
	h = hi;
	while (l < h) {
		uint32_t x = l + (h - l) / 2;

		if (cl_smt_bit(&m->leaves[x].path, crit))
			h = x;
		else
			l = x + 1;
	}
	mid = l;
	b = mid - 1;
	m->nodes[b].bit = (uint16_t)crit;
	m->nodes[b].rep = lo;
	m->nodes[b].flags = F_FULL | F_KID0 | F_KID1;
	m->nodes[b].kid[0] = build(m, lo, mid);
	m->nodes[b].kid[1] = build(m, mid, hi);
	recount(m, b);
	return b;
}

static void *build_run(void *arg)
{
	struct build_job *j = arg;
	struct emitter e = { .record = false };

	leaf_hashes(j->m, j->lo, j->hi, &j->hashes);
	j->out = build(j->m, j->lo, j->hi);
	smt_mem_hash(j->m, &e, j->out, j->start, LOAD_SUBS, false, NULL, 0);
	j->hashes += e.hashes;
	return NULL;
}

/* The tree of the committed KV_LEAVES, every hash computed: CL_OK and
 * *out, or an error (nothing kept). */
static int mem_build(struct smt_mem **out, struct kv *kv, uint64_t *hashes)
{
	struct smt_mem *m = cl_xcalloc(1, sizeof(*m));
	struct kv_cursor c;
	struct emitter e = { .record = false };
	int rc;

	*out = NULL;
	m->lfree = m->nfree = REF_NONE;
	m->root = REF_NONE;
	rc = kv_cursor_open(&c, kv, KV_LEAVES);
	if (rc)
		goto fail;
	for (rc = kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
	     rc = kv_cursor_next(&c)) {
		struct mleaf *l;

		if (c.klen != 32 || c.vlen != 32) {
			rc = corrupt("a malformed stored leaf");
			break;
		}
		if (m->nleaves == m->lcap) {
			m->lcap = m->lcap ? m->lcap * 2 : 1024;
			CL_REQUIRE(m->lcap < REF_LEAF);
			m->leaves = cl_xrealloc(m->leaves,
						m->lcap * sizeof(*m->leaves));
		}
		l = &m->leaves[m->nleaves];
		memcpy(l->path.b, c.key, 32);
		memcpy(l->lh.b, c.val, 32);
		if (m->nleaves && memcmp(m->leaves[m->nleaves - 1].path.b,
					 l->path.b, 32) >= 0) {
			rc = corrupt("stored leaves out of order");
			break;
		}
		m->nleaves++;
	}
	kv_cursor_close(&c);
	if (rc != CL_ERR_NOT_FOUND)
		goto fail;
	/* no doubling slack: a tenth more than the leaves there are */
	m->lcap = m->nleaves + m->nleaves / 10 + 1024;
	m->leaves = cl_xrealloc(m->leaves, m->lcap * sizeof(*m->leaves));
	m->count = m->nleaves;
	if (m->nleaves > 1) {
		m->nnodes = m->nleaves - 1;
		m->ncap = m->nnodes + m->nnodes / 10 + 1024;
		m->nodes = cl_xcalloc(m->ncap, sizeof(*m->nodes));
	}
	if (m->nleaves == 1) {
		leaf_hashes(m, 0, 1, hashes);
		m->root = build(m, 0, 1);
	} else if (m->nleaves > 1) {
		/* the two halves of the root on two threads */
		unsigned crit = crit_bit(&m->leaves[0].path,
					 &m->leaves[m->nleaves - 1].path);
		uint32_t l = 0, h = m->nleaves, r;
		struct build_job j[2];
		pthread_t th;
		bool spawned;

		while (l < h) {
			uint32_t x = l + (h - l) / 2;

			if (cl_smt_bit(&m->leaves[x].path, crit))
				h = x;
			else
				l = x + 1;
		}
		r = l - 1;
		j[0] = (struct build_job){ .m = m, .lo = 0, .hi = l,
					   .start = crit + 1 };
		j[1] = (struct build_job){ .m = m, .lo = l, .hi = m->nleaves,
					   .start = crit + 1 };
		spawned = pthread_create(&th, NULL, build_run, &j[1]) == 0;
		build_run(&j[0]);
		if (spawned)
			CL_REQUIRE(pthread_join(th, NULL) == 0);
		else
			build_run(&j[1]);
		m->nodes[r].bit = (uint16_t)crit;
		m->nodes[r].rep = 0;
		m->nodes[r].kid[0] = j[0].out;
		m->nodes[r].kid[1] = j[1].out;
		recount(m, r);
		m->nodes[r].flags = F_RETOP; /* hash it, its children done */
		m->root = r;
		smt_mem_hash(m, &e, m->root, 0, 1, false, NULL, 0);
		*hashes += j[0].hashes + j[1].hashes + e.hashes;
	}
	*out = m;
	return CL_OK;
fail:
	smt_mem_free(m);
	return rc;
}

int smt_mem_load(struct smt_mem **out, struct kv *kv, uint64_t *hashes)
{
	struct smt_mem *m;
	struct cl_hash32 stored, mine;
	int rc = mem_build(&m, kv, hashes);

	*out = NULL;
	if (rc)
		return rc;
	rc = smt_stored_root(kv, &stored);
	smt_mem_root(m, &mine);
	if (!rc && memcmp(stored.b, mine.b, 32) != 0)
		rc = corrupt("the stored leaves do not give the stored root");
	if (rc) {
		smt_mem_free(m);
		return rc;
	}
	*out = m;
	return CL_OK;
}

int smt_mem_rebuild(struct kv *kv, struct cl_hash32 *root, uint64_t *hashes,
		    struct smt_mem **keep)
{
	struct smt_mem *m;
	struct emitter e = { .record = true };
	struct kv_cursor c;
	struct cl_state_stats s = { 0 };
	int rc;

	CL_REQUIRE(smt_store_min(kv) == SMT_STORE_MIN);
	rc = mem_build(&m, kv, hashes);
	if (rc)
		return rc;
	smt_mem_root(m, root);
	if (m->root != REF_NONE && !is_leaf(m->root))
		rc = smt_mem_emit_stored(m, &e, m->root, 0);
	*hashes += e.hashes;
	if (!rc)
		rc = kv_clear(kv, KV_NODES);
	if (!rc)
		rc = kv_cursor_open(&c, kv, KV_NODES);
	if (!rc) {
		rc = write_emits(m, &c, &e, &s);
		kv_cursor_close(&c);
	}
	if (!rc)
		rc = kv_put(kv, KV_META, (const uint8_t *)META_KEY_ROOT,
			    strlen(META_KEY_ROOT), root->b, 32);
	free(e.v);
	if (rc)
		smt_mem_free(m);
	else
		*keep = m;
	return rc;
}

size_t smt_mem_bytes(const struct smt_mem *m)
{
	return (size_t)m->lcap * sizeof(*m->leaves) +
	       (size_t)m->ncap * sizeof(*m->nodes);
}
