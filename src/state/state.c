/* SPDX-License-Identifier: MIT */
/*
 * cl_state: the store the state transition function uses.
 *
 * Writes land in an overlay (a sorted map keyed by table id ‖ key, holding
 * values and deletion markers) with an undo journal beside it: every put or
 * del first records what the overlay held for that key, so rolling back to
 * a savepoint replays the journal backwards. Reads look at the overlay
 * first, then at the backend, which holds the last committed block (the
 * LMDB writer reads through its write transaction, which sees nothing of
 * the block until the commit writes it).
 *
 * cl_state_commit_block() writes the overlay to the backend in key order,
 * keeps KV_LEAVES in step for committed tables, updates the tree for the
 * changed paths and commits: one LMDB write transaction per block.
 */
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

/* An overlay node stays in place while the journal can reach it: the
 * entry that created it is older than any other naming it, so the
 * backward replay removes it last, and the clear empties both. */
struct journal_entry {
	struct smap_node *node; /* the overlay entry changed */
	bool existed; /* the overlay had an entry before */
	bool tomb;    /* its previous deletion flag */
	uint8_t *val; /* its previous value, the overlay's */
	size_t vlen;
};

struct cl_state {
	struct kv kv;
	struct smap overlay;
	struct journal_entry *journal;
	size_t jlen, jcap;
	uint64_t epoch;
	unsigned open_iters;
	struct cl_state_stats stats;
	struct smt_mem *mem; /* LMDB: the tree in memory, or NULL */
	bool mem_off;	     /* the stored tree failed to load: none */
	bool mem_unwanted;   /* cl_state_tree_in_memory(st, false) */
	/* The last state iterator freed, kept for the next one: the stf
	 * opens one or more per transaction. */
	struct cl_state_iter *spare_iter;
	/* state_expect(): the log's replay */
	bool expect;
	bool expect_part; /* LMDB holds parts of the replayed blocks */
	struct cl_hash32 expect_root;
	uint64_t expect_seq;
};

struct cl_snapshot {
	struct kv kv;
	unsigned open_iters;
};

struct cl_state_iter {
	struct cl_state *st;     /* NULL for a snapshot iterator */
	struct cl_snapshot *snap; /* NULL for a state iterator */
	uint8_t tid;
	struct kv_cursor bc; /* the backend */
	bool seeked;         /* bc was positioned */
	bool strict;         /* pos was returned: continue after it */
	uint8_t pos[1 + CL_STATE_KEY_MAX]; /* tid ‖ start or last key */
	size_t pos_len;
	/* The overlay's first entry after pos (any table; NULL: none, or
	 * none of this table), as of the overlay's generation ogen: while no
	 * entry has come or gone since, the next step needs no seek of its
	 * own. */
	struct smap_node *onext;
	uint64_t ogen;
	bool ocached;
};

static const uint8_t empty_value[1];

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

static struct cl_state *state_alloc(void)
{
	struct cl_state *st = cl_xcalloc(1, sizeof(*st));

	smap_init_overlay(&st->overlay);
	return st;
}

int cl_state_new_lmdb(struct cl_state **out, struct cl_db *db)
{
	struct cl_state *st;

	*out = NULL;
	if (!db_writer_claim(db)) {
		cl_unusual(STATE_LOG, "the database already has a writer");
		return CL_ERR_BUSY;
	}
	st = state_alloc();
	/* the replay's tree, if it left one (mem_ready checks its root) */
	st->mem = db_tree_take(db);
	if (db_layer(db)) {
		lay_writer_init(&st->kv, db_layer(db));
	} else {
		st->kv.kind = KV_LMDB;
		st->kv.db = db;
	}
	*out = st;
	return CL_OK;
}

struct cl_state *cl_state_new_memory(void)
{
	struct cl_state *st = state_alloc();

	st->kv.kind = KV_MEM;
	st->kv.mem = mem_store_new();
	return st;
}

static void journal_clear(struct cl_state *st)
{
	for (size_t i = 0; i < st->jlen; i++)
		smap_free_val(&st->overlay, st->journal[i].val);
	st->jlen = 0;
}

static void drop_txn(struct cl_state *st)
{
	switch (st->kv.kind) {
	case KV_LMDB:
		db_txn_abort(st->kv.txn);
		st->kv.txn = NULL;
		break;
	case KV_MEM:
		break;
	case KV_LAYER:
		/* the read transaction stays: the checkpoint did not move */
		lay_writer_discard(&st->kv);
		break;
	}
}

void cl_state_free(struct cl_state *st)
{
	if (!st)
		return;
	CL_REQUIRE(st->open_iters == 0);
	drop_txn(st);
	journal_clear(st);
	free(st->journal);
	free(st->spare_iter);
	smt_mem_free(st->mem);
	smap_release(&st->overlay);
	switch (st->kv.kind) {
	case KV_LMDB:
		db_writer_release(st->kv.db);
		break;
	case KV_MEM:
		mem_store_free(st->kv.mem);
		break;
	case KV_LAYER:
		lay_writer_close(&st->kv);
		db_writer_release(st->kv.db);
		break;
	}
	free(st);
}

/* Make the backend readable: the LMDB writer's transaction starts lazily
 * and lives until the block is committed or discarded. */
static int backend(struct cl_state *st)
{
	switch (st->kv.kind) {
	case KV_LMDB:
		if (st->kv.txn)
			return CL_OK;
		return db_txn_begin(st->kv.db, &st->kv.txn, true);
	case KV_MEM:
		return CL_OK;
	case KV_LAYER:
		/* blocks a checkpoint holds leave between blocks only
		 * (lay_writer_commit, lay_writer_discard): a value read
		 * earlier in the block may point into them */
		return lay_writer_ready(&st->kv, false);
	}
	CL_BUG("bad kv kind");
}

struct kv *state_kv(struct cl_state *st)
{
	return backend(st) ? NULL : &st->kv;
}

/* ------------------------------------------------------------------ */
/* Reads and writes                                                    */
/* ------------------------------------------------------------------ */

/* Check the arguments and build the overlay key table id ‖ key. */
static size_t overlay_key(uint8_t ck[1 + CL_STATE_KEY_MAX],
			  enum cl_table table, const uint8_t *key, size_t klen)
{
	table_require(table);
	CL_REQUIRE(key && klen >= 1 && klen <= CL_STATE_KEY_MAX);
	ck[0] = (uint8_t)table;
	memcpy(ck + 1, key, klen);
	return 1 + klen;
}

int cl_state_get(struct cl_state *st, const uint8_t **val, size_t *vlen,
		 enum cl_table table, const uint8_t *key, size_t klen)
{
	uint8_t ck[1 + CL_STATE_KEY_MAX];
	size_t cklen = overlay_key(ck, table, key, klen);
	struct smap_node *n = smap_find(&st->overlay, ck, cklen);
	int rc;

	*val = NULL;
	*vlen = 0;
	if (n) {
		if (n->tomb)
			return CL_ERR_NOT_FOUND;
		*val = n->val ? n->val : empty_value;
		*vlen = n->vlen;
		return CL_OK;
	}
	rc = backend(st);
	if (rc)
		return rc;
	return kv_get(&st->kv, val, vlen, kv_table_index(table), key, klen);
}

/* The overlay entry for ck, its previous contents moved to the journal. */
static struct smap_node *journaled(struct cl_state *st, const uint8_t *ck,
				   size_t cklen)
{
	struct journal_entry *e;
	bool created;
	struct smap_node *n = smap_upsert(&st->overlay, &created, ck, cklen);

	if (st->jlen == st->jcap) {
		st->jcap = st->jcap ? st->jcap * 2 : 64;
		st->journal = cl_xrealloc(st->journal,
					  st->jcap * sizeof(*st->journal));
	}
	e = &st->journal[st->jlen++];
	e->node = n;
	e->existed = !created;
	e->tomb = n->tomb;
	e->val = n->val;
	e->vlen = n->vlen;
	n->val = NULL;
	n->vlen = 0;
	return n;
}

void cl_state_put(struct cl_state *st, enum cl_table table,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen)
{
	uint8_t ck[1 + CL_STATE_KEY_MAX];
	size_t cklen = overlay_key(ck, table, key, klen);
	struct smap_node *n;

	CL_REQUIRE(vlen <= CL_STATE_VALUE_MAX && (val || vlen == 0));
	n = journaled(st, ck, cklen);
	smap_set_val(&st->overlay, n, val, vlen);
	n->tomb = false;
}

void cl_state_del(struct cl_state *st, enum cl_table table,
		  const uint8_t *key, size_t klen)
{
	uint8_t ck[1 + CL_STATE_KEY_MAX];
	size_t cklen = overlay_key(ck, table, key, klen);
	struct smap_node *n = journaled(st, ck, cklen);

	n->tomb = true;
}

struct cl_state_sp cl_state_savepoint(struct cl_state *st)
{
	struct cl_state_sp sp = { .pos = st->jlen, .epoch = st->epoch };

	return sp;
}

void cl_state_rollback_to(struct cl_state *st, struct cl_state_sp sp)
{
	CL_REQUIRE(sp.epoch == st->epoch && sp.pos <= st->jlen);
	while (st->jlen > sp.pos) {
		struct journal_entry *e = &st->journal[--st->jlen];

		struct smap_node *n = e->node;

		if (!e->existed) {
			CL_REQUIRE(smap_remove(&st->overlay, n->key, n->klen));
			smap_free_val(&st->overlay, e->val);
		} else {
			smap_free_val(&st->overlay, n->val);
			n->val = e->val;
			n->vlen = e->vlen;
			n->tomb = e->tomb;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Commit                                                              */
/* ------------------------------------------------------------------ */

/* The changed paths in order: by their first word (keysort: paths are
 * hashes, so it nearly always decides), a run of equal words by the
 * whole paths; the operations gathered once into a new array (ops is
 * freed). */
static struct smt_op *sort_ops(struct smt_op *ops, size_t n)
{
	struct keysort_ent *e = cl_xmalloc((2 * n + 1) * sizeof(*e));
	struct smt_op *out = cl_xmalloc((n + 1) * sizeof(*out));

	for (size_t i = 0; i < n; i++)
		e[i] = (struct keysort_ent){ delta_key8(ops[i].path.b, 32), i };
	keysort(e, e + n, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && e[j].k == e[i].k)
			j++;
		for (size_t a = i + 1; a < j; a++) {
			struct keysort_ent x = e[a];
			size_t b = a;

			while (b > i && memcmp(ops[e[b - 1].v].path.b,
					       ops[x.v].path.b, 32) > 0) {
				e[b] = e[b - 1];
				b--;
			}
			e[b] = x;
		}
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = ops[e[i].v];
	free(e);
	free(ops);
	return out;
}

/* The table being written by the flush, through one cursor: the overlay
 * is in (table, key) order, so its writes reach each table in key order. */
struct flush {
	struct kv_cursor c;
	unsigned tbl; /* the cursor's table, or 0 = none open */
};

static int flush_table(struct cl_state *st, struct flush *f, unsigned tbl)
{
	int rc;

	if (f->tbl == tbl)
		return CL_OK;
	if (f->tbl)
		kv_cursor_close(&f->c);
	f->tbl = 0;
	rc = kv_cursor_open(&f->c, &st->kv, tbl);
	if (!rc)
		f->tbl = tbl;
	return rc;
}

/* Write one overlay entry to its table; an entry of a committed table
 * that changed is appended to ops[*nops] and src[*nops], its hashes left
 * to leaf_hashes() (smt_leaves is written once they are sorted). */
static int flush_one(struct cl_state *st, struct flush *f,
		     struct smt_op *ops, struct flush_src *src, size_t *nops,
		     const struct smap_node *n)
{
	const struct cl_table_info *info = cl_table_find(n->key[0]);
	const uint8_t *key = n->key + 1;
	size_t klen = n->klen - 1;
	int rc;

	CL_REQUIRE(info && n->klen >= 2);
	rc = flush_table(st, f, kv_table_index(info->id));
	if (rc)
		return rc;
	if (n->tomb) {
		rc = kv_cursor_del(&f->c, key, klen);
		if (rc == CL_ERR_NOT_FOUND && !st->expect_part)
			return CL_OK; /* was not there: nothing changes */
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK; /* a partial checkpoint may have removed
				     * it, but not its leaf */
	} else {
		rc = kv_cursor_put(&f->c, key, klen,
				   n->val ? n->val : empty_value, n->vlen);
	}
	if (rc || !info->committed)
		return rc;
	ops[*nops].del = n->tomb;
	src[*nops] = (struct flush_src){ .tid = n->key[0],
					 .key = key,
					 .klen = klen,
					 .val = n->val ? n->val : empty_value,
					 .vlen = n->vlen };
	(*nops)++;
	return CL_OK;
}

/* Hash the changed leaves, many at once. Without the tree in memory, drop
 * the writes of a value a key already had (its stored leaf says so);
 * with it, smt_mem_update finds them on its own walk down and leaves
 * them unmarked. */
static int leaf_hashes(struct cl_state *st, struct smt_op *ops,
		       const struct flush_src *src, size_t *nops)
{
	size_t kept = 0;

	flush_hash(ops, src, *nops, st->mem != NULL);
	for (size_t i = 0; i < *nops; i++) {
		struct smt_op *op = &ops[i];
		bool same = false;

		if (!op->del && !st->mem && !st->expect_part) {
			const uint8_t *old;
			size_t oldlen;
			int rc = kv_get(&st->kv, &old, &oldlen, KV_LEAVES,
					op->path.b, 32);
			if (rc && rc != CL_ERR_NOT_FOUND)
				return rc;
			same = rc == CL_OK && oldlen == 32 &&
			       memcmp(old, op->vh.b, 32) == 0;
		}
		if (!same)
			ops[kept++] = *op;
	}
	*nops = kept;
	return CL_OK;
}

/* Write the sorted changed leaves to smt_leaves, in key order. */
static int flush_leaves(struct cl_state *st, const struct smt_op *ops,
			size_t n)
{
	struct kv_cursor c;
	int rc = kv_cursor_open(&c, &st->kv, KV_LEAVES);

	for (size_t i = 0; i < n && !rc; i++) {
		if (!ops[i].del) {
			rc = kv_cursor_put(&c, ops[i].path.b, 32,
					   ops[i].vh.b, 32);
			continue;
		}
		rc = kv_cursor_del(&c, ops[i].path.b, 32);
		if (rc == CL_ERR_NOT_FOUND && st->expect_part) {
			rc = CL_OK; /* removed by a partial checkpoint */
		} else if (rc == CL_ERR_NOT_FOUND) {
			cl_unusual(STATE_LOG, "a deleted key had no leaf");
			rc = CL_ERR_CORRUPT;
		}
	}
	kv_cursor_close(&c);
	return rc;
}

/*
 * The LMDB writer's tree in memory, built on the first commit and
 * checked against the stored root before every commit after (anything
 * else that wrote the tables shows as a different root: it is rebuilt).
 * A store whose leaves do not give its root keeps the plain path, which
 * reads everything from LMDB.
 */
static void mem_ready(struct cl_state *st, struct cl_state_stats *s)
{
	struct cl_hash32 stored, mine;
	uint64_t t0, hashes = 0;
	int rc;

	s->load_ns = 0;
	if (st->kv.kind == KV_MEM || st->mem_off || st->mem_unwanted)
		return;
	if (st->mem) {
		smt_mem_root(st->mem, &mine);
		if (smt_stored_root(&st->kv, &stored) == CL_OK &&
		    memcmp(stored.b, mine.b, 32) == 0)
			return;
		smt_mem_free(st->mem);
		st->mem = NULL;
	}
	t0 = cl_clock_mono_ns();
	rc = smt_mem_load(&st->mem, &st->kv, &hashes);
	s->load_ns = cl_clock_mono_ns() - t0;
	if (rc == CL_ERR_CORRUPT)
		st->mem_off = true;
}

/* The tree update without the tree in memory: from the kv tables. */
static int update_plain(struct cl_state *st, struct cl_hash32 *root,
			const struct smt_op *ops, size_t n, uint64_t *hashes)
{
	struct cl_hash32 *paths = cl_xcalloc(n + 1, sizeof(*paths));
	int rc;

	for (size_t i = 0; i < n; i++)
		paths[i] = ops[i].path;
	rc = smt_update(&st->kv, root, paths, n, hashes);
	free(paths);
	return rc;
}

int cl_state_commit_block(struct cl_state *st, struct cl_hash32 *root)
{
	struct cl_state_stats s = st->stats;
	struct cl_hash32 newroot;
	struct smt_op *ops;
	struct flush_src *src;
	struct flush f = { .tbl = 0 };
	size_t nops = 0;
	uint64_t t0, t1, t2, t3;
	int rc;

	CL_REQUIRE(st->open_iters == 0);
	t0 = cl_clock_mono_ns();
	rc = backend(st);
	if (rc)
		return rc;
	mem_ready(st, &s);
	t0 += s.load_ns;
	ops = cl_xmalloc((st->overlay.count + 1) * sizeof(*ops));
	src = cl_xmalloc((st->overlay.count + 1) * sizeof(*src));
	size_t nsorted;
	struct smap_node *const *sorted = smap_sorted(&st->overlay, &nsorted);

	for (size_t i = 0; i < nsorted && !rc; i++)
		rc = flush_one(st, &f, ops, src, &nops, sorted[i]);
	if (f.tbl)
		kv_cursor_close(&f.c);
	if (!rc)
		rc = leaf_hashes(st, ops, src, &nops);
	free(src);
	s.hashes = 0;
	s.node_puts = 0;
	s.node_dels = 0;
	s.hash_ns = 0;
	if (!rc) {
		ops = sort_ops(ops, nops);
		for (size_t i = 1; i < nops && !rc; i++)
			if (memcmp(ops[i - 1].path.b, ops[i].path.b, 32) == 0)
				rc = CL_ERR_CORRUPT;
		if (rc)
			cl_unusual(STATE_LOG, "two keys with one path");
	}
	if (!rc)
		rc = flush_leaves(st, ops, nops);
	if (!rc && st->expect) {
		uint8_t be[8];
		cl_put_be64(be, st->expect_seq);
		rc = kv_put(&st->kv, KV_META, (const uint8_t *)META_KEY_LOG_SEQ,
			    strlen(META_KEY_LOG_SEQ), be, sizeof(be));
		if (!rc)
			rc = kv_del(&st->kv, KV_META,
				    (const uint8_t *)META_KEY_LOG_PART,
				    strlen(META_KEY_LOG_PART));
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	t1 = cl_clock_mono_ns();
	if (!rc && st->expect_part)
		/* KV_NODES may hold nodes of either side of the partial
		 * checkpoint, and stale ones below a removed node: all
		 * from KV_LEAVES, which are whole now (through a tree in
		 * memory: its hashing many at once, on two threads) */
		rc = smt_mem_rebuild(&st->kv, &newroot, &s.hashes, &st->mem);
	else if (!rc && st->mem)
		rc = smt_mem_update(st->mem, &st->kv, &newroot, ops, nops, &s);
	else if (!rc)
		rc = update_plain(st, &newroot, ops, nops, &s.hashes);
	free(ops);
	if (!rc && st->expect && memcmp(newroot.b, st->expect_root.b, 32)) {
		cl_unusual(STATE_LOG, "the replayed state log gives another "
				      "root than it recorded");
		rc = CL_ERR_CORRUPT;
	}
	t2 = cl_clock_mono_ns();
	switch (st->kv.kind) {
	case KV_LMDB:
	case KV_LAYER:
		if (!rc && st->kv.kind == KV_LMDB) {
			rc = db_txn_commit(st->kv.db, st->kv.txn);
			st->kv.txn = NULL;
		} else if (!rc) {
			rc = lay_writer_commit(&st->kv, &newroot);
		}
		if (rc) {
			/* the tree in memory went ahead of what is stored */
			drop_txn(st);
			smt_mem_free(st->mem);
			st->mem = NULL;
			return rc;
		}
		break;
	case KV_MEM:
		/* only an inconsistent store fails, half-written */
		if (rc)
			return rc;
		break;
	}
	t3 = cl_clock_mono_ns();

	s.blocks++;
	s.entries = st->overlay.count;
	s.dirty = nops;
	s.flush_ns = t1 - t0;
	s.tree_ns = t2 - t1;
	s.sync_ns = t3 - t2;
	s.tree_bytes = st->mem ? smt_mem_bytes(st->mem) : 0;
	st->stats = s;
	smap_clear(&st->overlay);
	journal_clear(st);
	st->epoch++;
	st->expect = false;
	st->expect_part = false;
	if (root)
		*root = newroot;
	return CL_OK;
}

void state_expect(struct cl_state *st, const struct cl_hash32 *root,
		  uint64_t log_seq, bool part)
{
	CL_REQUIRE(!part || (st->kv.kind == KV_LMDB && !st->mem));
	st->expect = true;
	st->expect_part = part;
	st->expect_root = *root;
	st->expect_seq = log_seq;
}

void cl_state_refresh(struct cl_state *st)
{
	switch (st->kv.kind) {
	case KV_LAYER:
		lay_writer_refresh(&st->kv);
		return;
	case KV_LMDB:
	case KV_MEM:
		return;
	}
	CL_BUG("bad kv kind");
}

void cl_state_discard(struct cl_state *st)
{
	CL_REQUIRE(st->open_iters == 0);
	drop_txn(st);
	smap_clear(&st->overlay);
	journal_clear(st);
	st->epoch++;
}

struct smt_mem *state_take_tree(struct cl_state *st)
{
	struct smt_mem *m = st->mem;

	st->mem = NULL;
	return m;
}

void cl_state_tree_in_memory(struct cl_state *st, bool on)
{
	st->mem_unwanted = !on;
	if (!on) {
		smt_mem_free(st->mem);
		st->mem = NULL;
	}
}

void cl_state_stats(const struct cl_state *st, struct cl_state_stats *out)
{
	*out = st->stats;
}

/* ------------------------------------------------------------------ */
/* Committed reads: root, proofs, recomputation                        */
/* ------------------------------------------------------------------ */

int cl_state_root(struct cl_state *st, struct cl_hash32 *root)
{
	int rc = backend(st);

	if (rc) {
		memset(root, 0, sizeof(*root));
		return rc;
	}
	return smt_stored_root(&st->kv, root);
}

static int prove(struct kv *kv, struct cl_proof *out, enum cl_table table,
		 const uint8_t *key, size_t klen)
{
	const struct cl_table_info *info = table_require(table);
	struct cl_hash32 path;

	CL_REQUIRE(info->committed);
	CL_REQUIRE(key && klen >= 1 && klen <= CL_STATE_KEY_MAX);
	cl_smt_path(&path, (uint8_t)table, key, klen);
	return smt_prove(kv, out, &path);
}

int cl_state_prove(struct cl_state *st, struct cl_proof *out,
		   enum cl_table table, const uint8_t *key, size_t klen)
{
	int rc = backend(st);

	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return prove(&st->kv, out, table, key, klen);
}

int cl_state_recompute_root(struct cl_state *st, struct cl_hash32 *root)
{
	int rc = backend(st);

	if (rc) {
		memset(root, 0, sizeof(*root));
		return rc;
	}
	return smt_recompute(&st->kv, root, NULL);
}

int cl_state_check_tree(struct cl_state *st, uint64_t *nodes)
{
	struct cl_hash32 stored, again;
	int rc = backend(st);

	*nodes = 0;
	if (!rc)
		rc = smt_recompute(&st->kv, &again, NULL);
	if (!rc)
		rc = smt_stored_root(&st->kv, &stored);
	if (!rc && memcmp(stored.b, again.b, 32) != 0) {
		cl_unusual(STATE_LOG, "the tables do not give the stored root");
		rc = CL_ERR_CORRUPT;
	}
	return rc ? rc : smt_check(&st->kv, nodes);
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

int cl_snapshot_new(struct cl_snapshot **out, struct cl_db *db)
{
	struct cl_snapshot *s = cl_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (db_layer(db)) {
		rc = lay_snapshot_open(&s->kv, db, db_layer(db));
	} else {
		rc = db_txn_begin(db, &s->kv.txn, false);
		s->kv.kind = KV_LMDB;
		s->kv.db = db;
	}
	if (rc) {
		free(s);
		return rc;
	}
	db_readers_add(db, 1);
	*out = s;
	return CL_OK;
}

void cl_snapshot_free(struct cl_snapshot *s)
{
	if (!s)
		return;
	CL_REQUIRE(s->open_iters == 0);
	if (s->kv.kind == KV_LAYER)
		lay_snapshot_close(&s->kv);
	else
		db_txn_abort(s->kv.txn);
	db_readers_add(s->kv.db, -1);
	free(s);
}

int cl_snapshot_get(struct cl_snapshot *s, const uint8_t **val,
		    size_t *vlen, enum cl_table table, const uint8_t *key,
		    size_t klen)
{
	table_require(table);
	CL_REQUIRE(key && klen >= 1 && klen <= CL_STATE_KEY_MAX);
	return kv_get(&s->kv, val, vlen, kv_table_index(table), key, klen);
}

int cl_snapshot_root(struct cl_snapshot *s, struct cl_hash32 *root)
{
	return smt_stored_root(&s->kv, root);
}

int cl_snapshot_prove(struct cl_snapshot *s, struct cl_proof *out,
		      enum cl_table table, const uint8_t *key, size_t klen)
{
	return prove(&s->kv, out, table, key, klen);
}

int cl_snapshot_recompute_root(struct cl_snapshot *s, struct cl_hash32 *root)
{
	return smt_recompute(&s->kv, root, NULL);
}

/* ------------------------------------------------------------------ */
/* Iterators: the backend merged with the overlay                      */
/* ------------------------------------------------------------------ */

/* spare: a freed iterator to reuse, or NULL. */
static struct cl_state_iter *iter_alloc(struct kv *kv, enum cl_table table,
					const uint8_t *start, size_t slen,
					struct cl_state_iter *spare, int *rc)
{
	struct cl_state_iter *it;

	table_require(table);
	CL_REQUIRE(slen <= CL_STATE_KEY_MAX && (start || slen == 0));
	if (spare) {
		it = spare;
		memset(it, 0, sizeof(*it));
	} else {
		it = cl_xcalloc(1, sizeof(*it));
	}
	it->tid = (uint8_t)table;
	it->pos[0] = it->tid;
	if (slen)
		memcpy(it->pos + 1, start, slen);
	it->pos_len = 1 + slen;
	*rc = kv_cursor_open(&it->bc, kv, kv_table_index(table));
	if (*rc) {
		free(it);
		return NULL;
	}
	return it;
}

int cl_state_iter_new(struct cl_state_iter **out, struct cl_state *st,
		      enum cl_table table, const uint8_t *start, size_t slen)
{
	int rc = backend(st);

	*out = NULL;
	if (rc)
		return rc;
	*out = iter_alloc(&st->kv, table, start, slen, st->spare_iter, &rc);
	st->spare_iter = NULL;
	if (rc)
		return rc;
	(*out)->st = st;
	st->open_iters++;
	return CL_OK;
}

int cl_snapshot_iter_new(struct cl_state_iter **out, struct cl_snapshot *s,
			 enum cl_table table, const uint8_t *start,
			 size_t slen)
{
	int rc;

	*out = iter_alloc(&s->kv, table, start, slen, NULL, &rc);
	if (rc)
		return rc;
	(*out)->snap = s;
	s->open_iters++;
	return CL_OK;
}

/* Move the backend cursor to its first key after pos (or at pos when
 * not strict). */
static int iter_backend(struct cl_state_iter *it)
{
	const uint8_t *last = it->pos + 1;
	size_t last_len = it->pos_len - 1;
	int rc;

	if (!it->seeked) {
		rc = kv_cursor_seek(&it->bc, last, last_len);
		if (rc && rc != CL_ERR_NOT_FOUND)
			return rc;
		it->seeked = true;
	}
	while (it->strict && it->bc.valid &&
	       smap_cmp(it->bc.key, it->bc.klen, last, last_len) <= 0) {
		rc = kv_cursor_next(&it->bc);
		if (rc && rc != CL_ERR_NOT_FOUND)
			return rc;
	}
	return CL_OK;
}

int cl_state_iter_next(struct cl_state_iter *it, const uint8_t **key,
		       size_t *klen, const uint8_t **val, size_t *vlen)
{
	for (;;) {
		struct smap_node *o = NULL;
		struct kv_cursor *bc = &it->bc;
		bool take_o;
		int rc = iter_backend(it);

		*key = *val = NULL;
		*klen = *vlen = 0;
		if (rc)
			return rc;
		if (it->st) {
			struct smap *ov = &it->st->overlay;

			if (it->ocached && it->ogen == ov->gen)
				o = it->onext;
			else if (!smap_group_count(ov, it->tid))
				o = NULL; /* nothing of this table in the block */
			else
				o = smap_seek(ov, it->pos, it->pos_len,
					      it->strict);
			it->onext = o;
			it->ogen = ov->gen;
			it->ocached = true;
		}
		if (o && o->key[0] != it->tid)
			o = NULL;
		if (!o && !bc->valid)
			return CL_ERR_NOT_FOUND;
		take_o = o && (!bc->valid ||
			       smap_cmp(o->key + 1, o->klen - 1, bc->key,
					bc->klen) <= 0);
		/* The entry after the key returned: past o when o is taken;
		 * o itself when the backend's key came first, since nothing
		 * in the overlay lies between pos and o. */
		if (take_o)
			it->onext = o->next[0];
		if (take_o) {
			*key = o->key + 1;
			*klen = o->klen - 1;
		} else {
			*key = bc->key;
			*klen = bc->klen;
		}
		CL_REQUIRE(*klen <= CL_STATE_KEY_MAX);
		memcpy(it->pos + 1, *key, *klen);
		it->pos_len = 1 + *klen;
		it->strict = true;
		if (take_o && o->tomb)
			continue; /* deleted in this block */
		if (take_o) {
			*val = o->val ? o->val : empty_value;
			*vlen = o->vlen;
		} else {
			*val = bc->val;
			*vlen = bc->vlen;
		}
		return CL_OK;
	}
}

void cl_state_iter_free(struct cl_state_iter *it)
{
	if (!it)
		return;
	kv_cursor_close(&it->bc);
	if (it->snap)
		it->snap->open_iters--;
	if (it->st) {
		it->st->open_iters--;
		if (!it->st->spare_iter) {
			it->st->spare_iter = it;
			return;
		}
	}
	free(it);
}
