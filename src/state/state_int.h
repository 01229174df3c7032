/* SPDX-License-Identifier: MIT */
/*
 * Internals of the state module, shared by its .c files only.
 *
 * Layers, bottom up:
 *  - smap: a sorted byte-string map (skip list), used by the memory backend
 *    and by the write overlay;
 *  - kv: one small key-value interface over two backends, LMDB (db.c,
 *    the only file that calls LMDB) and memory (kv.c); tables are
 *    addressed by an internal index (KV_META, KV_LEAVES, KV_NODES, then
 *    the registry); walk.c fills a memory store from a root, node by
 *    node, and preimages.c gives those nodes from a state;
 *  - smt: the Merkle tree kept in the kv tables KV_LEAVES and KV_NODES;
 *  - state.c: cl_state (overlay, journal, commit), snapshots, iterators.
 */
#ifndef CLEARLINE_STATE_INT_H
#define CLEARLINE_STATE_INT_H

#include <clearline/state.h>
#include <string.h>

#define STATE_LOG "state"

/* ------------------------------------------------------------------ */
/* tables.c                                                            */
/* ------------------------------------------------------------------ */

/* Internal kv tables: three of our own, then the registry in order. */
enum {
	KV_META = 0,   /* "schema_version" -> be32, "root" -> 32 bytes */
	KV_LEAVES = 1, /* path (32) -> value hash (32) */
	KV_NODES = 2,  /* masked prefix (32) ‖ depth (1) -> node hash (32):
			* smt_node_key(); the nodes over smt_store_min()
			* leaves or more */
	KV_FIRST_TABLE = 3,
};

/* Number of kv tables (internal plus registry). */
unsigned kv_table_count(void);
/* The LMDB name of kv table `idx`. */
const char *kv_table_name(unsigned idx);
/* The kv index of a registered table; aborts for an unknown id. */
unsigned kv_table_index(enum cl_table t);
/* The registry entry of kv table `idx`, or NULL for an internal one. */
const struct cl_table_info *kv_table_info(unsigned idx);
/* The registry entry of a table; aborts for an unknown id. */
const struct cl_table_info *table_require(enum cl_table t);

#define META_KEY_SCHEMA "schema_version"
#define META_KEY_ROOT "root"

/* ------------------------------------------------------------------ */
/* keysort.c: sorting by a key's first eight bytes                     */
/* ------------------------------------------------------------------ */

struct keysort_ent {
	uint64_t k; /* the key's first eight bytes, big-endian */
	uint64_t v; /* the caller's: an index, a pointer */
};

/* Sort v[0..n) by k, stable (equal words keep their order; the caller
 * orders them by the rest of their keys); tmp has room for n. The word
 * of a key is delta_key8() of it (below): words that differ order their
 * keys as smap_cmp does. */
void keysort(struct keysort_ent *v, struct keysort_ent *tmp, size_t n);

/* ------------------------------------------------------------------ */
/* smap.c: sorted map of byte strings                                  */
/* ------------------------------------------------------------------ */

#define SMAP_MAX_LEVEL 24

struct smap_node {
	uint8_t *key; /* stored inline after next[] */
	size_t klen;
	uint8_t *val; /* owned, may be NULL when vlen == 0 */
	size_t vlen;
	bool tomb;    /* overlay: a deletion marker */
	bool pending; /* a lazy map's entry not yet in the list */
	uint8_t level;
	uint32_t pidx; /* pending: its place in its group's array */
	struct smap_node *next[];
};

struct smap_chunk;

/* A lazy map's entries of one first key byte (the overlay: one table)
 * that no seek has asked for since they came: in no order, not in the
 * list. */
struct smap_group {
	struct smap_node **v;
	uint32_t n, cap;
	size_t all; /* the group's entries, waiting or linked */
};

/* A slot of the map's hash index: the key's hash, and its node (NULL:
 * empty). */
struct smap_slot {
	uint64_t h;
	struct smap_node *n;
};

struct smap {
	struct smap_node *head;
	unsigned level;
	uint64_t rng;
	size_t count;
	/* Bumped by every insert, removal and clear: a position found by a
	 * seek (smap_seek) still holds while gen has not moved. */
	uint64_t gen;
	/* The hash index over the same nodes (smap.c): exact finds and the
	 * finds of upserts take one probe sequence instead of a descent of
	 * the list. Open addressing, linear probing, load at most 1/2. */
	struct smap_slot *slots;
	size_t cap;    /* a power of two */
	uint64_t seed; /* the hash's key: see smap.c */
	/* An arena map (smap_init_arena) takes its nodes and values from
	 * chunks it keeps across smap_clear, which only rewinds them: no
	 * malloc or free per entry, nothing freed before the clear. */
	bool arena;
	struct smap_chunk *chunks; /* the first chunk, or NULL */
	struct smap_chunk *cur;	   /* the chunk being filled */
	size_t used;		   /* bytes taken from cur */
	/* A lazy map (the overlay) links an entry into the list only when
	 * a seek asks for its group (its key's first byte, the table):
	 * the entries a block writes and never walks (orders, the pruning
	 * queue) never pay for a descent each, and are sorted once at the
	 * end (smap_sorted). NULL for a plain map. */
	struct smap_group *groups; /* [256] */
	struct smap_node **order;  /* smap_sorted's answer */
	size_t order_cap;
	struct keysort_ent *sortbuf; /* smap_sorted's sort of a group */
	size_t sort_cap;
};

void smap_init(struct smap *m);
/* The overlay's map: short-lived entries in an arena, emptied as a whole,
 * ordered lazily by group (above). */
void smap_init_overlay(struct smap *m);
void smap_release(struct smap *m);
/* Remove every entry. */
void smap_clear(struct smap *m);
/* Bytewise comparison, a shorter prefix first (LMDB's default order).
 * Inline, eight bytes at a time: the overlay's skip list, the deltas'
 * binary searches and the merges call it for every step, and the keys of
 * one table share their first bytes; a call to memcmp for each was a
 * quarter of the writer (docs/performance.md "Answers as text"). */
static inline int smap_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
			   size_t blen)
{
	size_t n = alen < blen ? alen : blen, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
			x = cl_get_be64(a + i);
			y = cl_get_be64(b + i);
			return x < y ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}
struct smap_node *smap_find(const struct smap *m, const uint8_t *key,
			    size_t klen);
/* First entry with key >= (strict: >) the given key, or NULL. In a lazy
 * map the key's group's waiting entries are linked first, and the answer
 * is exact within that group only: past it, an entry of a later group
 * may come before the one returned (or NULL) unseen. */
struct smap_node *smap_seek(struct smap *m, const uint8_t *key,
			    size_t klen, bool strict);
/* How many entries of a lazy map's key start with byte g. */
static inline size_t smap_group_count(const struct smap *m, uint8_t g)
{
	CL_REQUIRE(m->groups);
	return m->groups[g].all;
}
/* The first entry of a plain map; walk on with next[0]. */
static inline struct smap_node *smap_first(const struct smap *m)
{
	CL_REQUIRE(!m->groups);
	return m->head->next[0];
}
/* Every entry of the map, in key order (*n of them): the list merged with
 * the pending groups, each sorted now. The array is the map's, valid
 * until the next change. */
struct smap_node *const *smap_sorted(struct smap *m, size_t *n);
/* Find or create the entry for key; *created tells which. A new entry has
 * val = NULL, vlen = 0, tomb = false. */
struct smap_node *smap_upsert(struct smap *m, bool *created,
			      const uint8_t *key, size_t klen);
/* Remove and free the entry (and its value); false if absent. */
bool smap_remove(struct smap *m, const uint8_t *key, size_t klen);
/* Replace a node's value with a copy of (val, vlen). */
void smap_set_val(struct smap *m, struct smap_node *n, const uint8_t *val,
		  size_t vlen);
/* Give back a value taken from a node of m (a no-op in an arena map). */
void smap_free_val(const struct smap *m, uint8_t *val);

/* ------------------------------------------------------------------ */
/* kv: the backend interface                                           */
/* ------------------------------------------------------------------ */

enum kv_kind {
	KV_LMDB,
	KV_MEM,
	KV_LAYER, /* LMDB under the blocks not yet checkpointed (layer.c) */
};

struct MDB_txn;
struct MDB_cursor;

struct mem_store {
	struct smap *tables; /* kv_table_count() maps */
	struct cl_state_walk_stats walked; /* walk.c: what the walk fetched */
};

struct layer;
struct delta;
struct lay_index;

struct kv {
	enum kv_kind kind;
	struct cl_db *db;     /* KV_LMDB, KV_LAYER */
	struct MDB_txn *txn;  /* KV_LMDB: the open transaction; KV_LAYER:
			       * a read transaction on the checkpoint */
	struct mem_store *mem; /* KV_MEM */
	/* KV_LAYER: the blocks over the checkpoint, oldest first (the
	 * writer's are the layer's own; a snapshot holds a counted copy),
	 * and, for the writer only, the block being committed and the
	 * index of the newest entry of every key in dv */
	struct layer *lay;
	struct delta **dv;
	size_t dn;
	struct builder *builder;
	struct lay_index *index;
	/* KV_LMDB, KV_LAYER: LMDB cursors open on txn; KV_LAYER writer:
	 * the layer's checkpoint transactions committed when txn began */
	unsigned cursors;
	uint64_t read_commits;
};

/* Values returned by kv_get and cursors are borrowed until the next write
 * through the same kv (or the end of the LMDB transaction). */
int kv_get(struct kv *kv, const uint8_t **val, size_t *vlen, unsigned tbl,
	   const uint8_t *key, size_t klen);
int kv_put(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen,
	   const uint8_t *val, size_t vlen);
/* Remove every entry of a table. */
int kv_clear(struct kv *kv, unsigned tbl);
/* Deleting an absent key returns CL_ERR_NOT_FOUND (not logged). */
int kv_del(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen);

/* The most blocks a layer holds over its checkpoint (layer.c). */
#define LAYER_MAX_DELTAS 64

struct kv_cursor {
	struct kv *kv;
	unsigned tbl;
	struct MDB_cursor *mc;    /* KV_LMDB, KV_LAYER */
	struct smap_node *node;   /* KV_MEM */
	bool valid;
	const uint8_t *key, *val;
	size_t klen, vlen;
	/* KV_LAYER: a merge of the builder, the blocks (newest wins) and
	 * the checkpoint's cursor */
	bool base_valid;
	size_t bpos; /* in the builder's run of the table */
	const uint8_t *bkey, *bval;
	size_t bklen, bvlen;
	size_t dpos[LAYER_MAX_DELTAS];
	uint8_t cur[1 + 255]; /* table ‖ the key returned */
	size_t cur_len;
};

int kv_cursor_open(struct kv_cursor *c, struct kv *kv, unsigned tbl);
/* Position at the first key >= key (klen 0: the first key). CL_OK, or
 * CL_ERR_NOT_FOUND (valid = false) past the end, or an error. */
int kv_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen);
int kv_cursor_next(struct kv_cursor *c);
/* Write or delete `key` in the cursor's table (the cursor's position is
 * then unspecified: seek again before reading). Faster than kv_put and
 * kv_del for keys in increasing order. Deleting an absent key returns
 * CL_ERR_NOT_FOUND (not logged). */
int kv_cursor_put(struct kv_cursor *c, const uint8_t *key, size_t klen,
		  const uint8_t *val, size_t vlen);
int kv_cursor_del(struct kv_cursor *c, const uint8_t *key, size_t klen);
void kv_cursor_close(struct kv_cursor *c);

struct mem_store *mem_store_new(void);
void mem_store_free(struct mem_store *m);
int mem_get(struct mem_store *m, const uint8_t **val, size_t *vlen,
	    unsigned tbl, const uint8_t *key, size_t klen);
void mem_put(struct mem_store *m, unsigned tbl, const uint8_t *key,
	     size_t klen, const uint8_t *val, size_t vlen);
int mem_del(struct mem_store *m, unsigned tbl, const uint8_t *key,
	    size_t klen);

/* ------------------------------------------------------------------ */
/* db.c: LMDB (the only file that includes lmdb.h)                     */
/* ------------------------------------------------------------------ */

int db_txn_begin(struct cl_db *db, struct MDB_txn **out, bool write);
/* Commits (and frees) the transaction; on failure it is freed as well. */
int db_txn_commit(struct cl_db *db, struct MDB_txn *txn);
void db_txn_abort(struct MDB_txn *txn);
int db_get(struct cl_db *db, struct MDB_txn *txn, const uint8_t **val,
	   size_t *vlen, unsigned tbl, const uint8_t *key, size_t klen);
int db_put(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
int db_del(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen);
/* The last block of the state log that LMDB holds in `txn` (0: none). */
int db_log_seq(struct cl_db *db, struct MDB_txn *txn, uint64_t *seq);
/* The last block of a checkpoint that LMDB holds only part of in `txn`
 * (0: none; layer.c "ckpt_txn"). */
int db_log_part(struct cl_db *db, struct MDB_txn *txn, uint64_t *seq);
/* Remove every entry of a table (it stays open). */
int db_clear(struct cl_db *db, struct MDB_txn *txn, unsigned tbl);
int db_cursor_open(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
		   struct MDB_cursor **out);
void db_cursor_close(struct MDB_cursor *mc);
/* Write or delete through a cursor of a write transaction: keys in
 * increasing order reuse the cursor's page instead of a descent each. */
int db_cursor_put(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen);
int db_cursor_del(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen);
/* op: 0 = first key >= key (klen 0: first), 1 = next. */
int db_cursor_get(struct cl_db *db, struct MDB_cursor *mc, int op,
		  const uint8_t *key, size_t klen, const uint8_t **k,
		  size_t *kl, const uint8_t **v, size_t *vl);
/* Claim / release the single writer slot of a db. */
bool db_writer_claim(struct cl_db *db);
void db_writer_release(struct cl_db *db);
/* Count open snapshots (+1 / -1), so closing the db with one open aborts. */
void db_readers_add(struct cl_db *db, int delta);
/* Flush LMDB to disk, meta page included (the layer's checkpoints). */
int db_env_sync(struct cl_db *db);
/* Whether each commit is synced (CL_DB_SYNC_EVERY). */
bool db_sync_every(const struct cl_db *db);

/* ------------------------------------------------------------------ */
/* delta.c: one committed block's changes, frozen                       */
/* ------------------------------------------------------------------ */

/* An entry: its key is the kv table index (one byte) ‖ the key. */
struct delta_ent {
	const uint8_t *key;
	const uint8_t *val; /* NULL for a deletion */
	uint32_t klen;
	uint32_t vlen;
	uint64_t k8; /* delta_key8(key): most comparisons end here */
};

/* The first 8 bytes of a key as a big-endian number, zeros past its
 * end: when two differ, they order the keys as smap_cmp does (a shorter
 * key padded with zeros can only tie with a longer one, never pass
 * it). */
static inline uint64_t delta_key8(const uint8_t *k, size_t len)
{
	uint8_t b[8] = { 0 };

	if (len)
		memcpy(b, k, len < 8 ? len : 8);
	return cl_get_be64(b);
}

/* smap_cmp(e's key, key) given key8 = delta_key8(key). */
static inline int delta_ent_cmp(const struct delta_ent *e, uint64_t key8,
				const uint8_t *key, size_t klen)
{
	if (e->k8 != key8)
		return e->k8 < key8 ? -1 : 1;
	return smap_cmp(e->key, e->klen, key, klen);
}

/* Immutable once made; shared by the writer and snapshots, counted. */
struct delta {
	uint64_t seq;	       /* the block's place in the state log */
	_Atomic unsigned refs;
	size_t n;	       /* entries, in smap_cmp order of their keys */
	size_t bytes;	       /* memory held */
	struct delta_ent *e;
	/* tab[t] .. tab[t + 1]: the entries of kv table t (keys start with
	 * their table's byte), so a seek searches its table's entries only
	 * and none in a table the block did not write; kv_table_count() + 1
	 * of them */
	uint32_t *tab;
};

/* A block's writes before it is frozen: a sorted run per kv table. */
struct bld_ent {
	uint32_t koff, klen; /* in bytes */
	uint32_t voff, vlen;
	bool tomb;
};
struct bld_run {
	struct bld_ent *e;
	size_t n, cap;
};
struct builder {
	struct bld_run *runs; /* kv_table_count() */
	struct cl_buf bytes;  /* keys and values */
	size_t count;
};
void builder_init(struct builder *b);
void builder_release(struct builder *b);
void builder_clear(struct builder *b);
/* Set (or, with tomb, delete) key in table tbl; pointers from find are
 * borrowed until the next set. */
void builder_set(struct builder *b, unsigned tbl, const uint8_t *key,
		 size_t klen, const uint8_t *val, size_t vlen, bool tomb);
const struct bld_ent *builder_find(const struct builder *b, unsigned tbl,
				   const uint8_t *key, size_t klen);
/* The position of the first entry >= key in the run of tbl. */
size_t builder_seek(const struct builder *b, unsigned tbl,
		    const uint8_t *key, size_t klen);

/* A delta holding a copy of every entry of `b` (keys table ‖ key,
 * deletions as tombs); one reference. */
struct delta *delta_from_builder(const struct builder *b, uint64_t seq);
/* One delta holding the newest entry of every key of v[0..k) (oldest
 * first; a deletion stays a deletion), numbered `seq`; one reference. */
struct delta *delta_merge(struct delta *const *v, size_t k, uint64_t seq);
void delta_ref(struct delta *d);
/* Drop a reference; the last frees it. NULL is a no-op. */
void delta_unref(struct delta *d);
/* The index of the first entry with key >= (strict: >) ck, or d->n. */
size_t delta_seek(const struct delta *d, const uint8_t *ck, size_t cklen,
		  bool strict);
/* The entry with key ck, or NULL. */
const struct delta_ent *delta_find(const struct delta *d, const uint8_t *ck,
				   size_t cklen);

/* ------------------------------------------------------------------ */
/* layer.c: LMDB under a state log (docs/state.md "The state log")     */
/* ------------------------------------------------------------------ */

/* The layer of a db, or NULL when its commits go straight to LMDB. */
struct layer *db_layer(struct cl_db *db);
/* Start and stop a db's layer (db.c: open and close). */
int layer_open(struct layer **out, struct cl_db *db, const char *dir,
	       uint64_t base, unsigned checkpoint_ms,
	       uint64_t checkpoint_bytes, uint32_t txn_entries);
void layer_close(struct layer *lay);

/* The writer's kv over a layer; its read transaction opens lazily. */
void lay_writer_init(struct kv *kv, struct layer *lay);
/* Make the writer's kv readable (begin its LMDB read transaction if it
 * has none). With `may_trim` — between blocks only, when no value read
 * is held — also drop the blocks a finished checkpoint holds and begin
 * the read anew. */
int lay_writer_ready(struct kv *kv, bool may_trim);
/* Between requests (no value, key or cursor of the kv held): end the
 * writer's LMDB read when a checkpoint transaction has committed since it
 * began, so that LMDB may reuse the pages that transaction freed; the
 * next read begins a new one. The blocks held cover all a checkpoint
 * wrote, so every read gives what it gave before. */
void lay_writer_refresh(struct kv *kv);
/* Freeze the builder as the next block, log it (synced per the db's
 * mode) and publish it to the writer and later snapshots. `root` is the
 * block's root (in the log record). On failure nothing is kept (the
 * builder emptied). */
int lay_writer_commit(struct kv *kv, const struct cl_hash32 *root);
/* Forget the builder (a failed commit). */
void lay_writer_discard(struct kv *kv);
/* Checkpoint every block and close the writer's kv. */
void lay_writer_close(struct kv *kv);
/* A snapshot's kv: the layer's blocks now, and a read transaction. */
int lay_snapshot_open(struct kv *kv, struct cl_db *db, struct layer *lay);
void lay_snapshot_close(struct kv *kv);
void lay_stats(struct layer *lay, struct cl_db_log_stats *out);
/* Sync the log (cl_db_sync on a layered db). */
int lay_sync(struct layer *lay);

/* kv operations of KV_LAYER (kv.c dispatches here). */
int lay_get(struct kv *kv, const uint8_t **val, size_t *vlen, unsigned tbl,
	    const uint8_t *key, size_t klen);
int lay_put(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen,
	    const uint8_t *val, size_t vlen);
int lay_del(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen);
int lay_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen);
int lay_cursor_next(struct kv_cursor *c);

/* ------------------------------------------------------------------ */
/* statelog.c: the state log's files                                   */
/* ------------------------------------------------------------------ */

struct slog;

/* Open the log in `dir`, appending from `next_seq`; an existing file of
 * the log must have been replayed (slog_recover) and removed first. */
int slog_open(struct slog **out, const char *dir, uint64_t next_seq);
void slog_close(struct slog *l);
/* Append the table entries of `d` (not KV_META, KV_LEAVES, KV_NODES)
 * with its root; fdatasync when `sync`; *bytes gets the record's size.
 * On failure the file is cut back to where it was. */
int slog_append(struct slog *l, const struct delta *d,
		const struct cl_hash32 *root, bool sync, size_t *bytes);
int slog_sync(struct slog *l);
/* Close the file being written and start one for records from
 * `next_seq` on; *closed (malloc'd) names the closed file, or NULL when
 * it held nothing. */
int slog_rotate(struct slog *l, uint64_t next_seq, char **closed);
/* Replay the log files in `dir` whose records come after `base` (the
 * checkpoint's) into a state on `db`, check the last root, commit,
 * and remove the files. *last gets the last record's seq (base when
 * there was none). */
int slog_recover(struct cl_db *db, const char *dir, uint64_t base,
		 uint64_t part, uint64_t *last);

#define META_KEY_LOG_SEQ "log_seq"
#define META_KEY_LOG_PART "log_part"

/* ------------------------------------------------------------------ */
/* smt.c: the tree over KV_LEAVES and KV_NODES                         */
/* ------------------------------------------------------------------ */

/*
 * In LMDB, KV_NODES holds exactly the internal nodes whose subtree holds
 * at least this many leaves (schema 4, docs/state.md "Storage"); a lower
 * node is computed from its subtree's leaves, fewer than this, one key
 * range of KV_LEAVES. (At least 2, at most 255: smt_mem.c counts in a
 * byte. Changing it changes the stored layout: a migration, db.c.)
 */
#define SMT_STORE_MIN 64u

/* The fewest leaves of a subtree whose node KV_NODES holds: SMT_STORE_MIN
 * in LMDB (fewer pages written per block), 2 in memory (every internal
 * node: no page to write, and fewer hashes per update, which matters to
 * the stf as a VM program). */
static inline unsigned smt_store_min(const struct kv *kv)
{
	switch (kv->kind) {
	case KV_LMDB:
	case KV_LAYER:
		return SMT_STORE_MIN;
	case KV_MEM:
		return 2;
	}
	return 2;
}

/*
 * Bring KV_NODES up to date after the leaves at `dirty` (sorted, distinct
 * paths) changed in KV_LEAVES, and store the new root in *root. `hashes`
 * is incremented by the number of node hashes computed.
 */
int smt_update(struct kv *kv, struct cl_hash32 *root,
	       const struct cl_hash32 *dirty, size_t n, uint64_t *hashes);
/* A proof for `path` against the stored tree. */
int smt_prove(struct kv *kv, struct cl_proof *out,
	      const struct cl_hash32 *path);
/* Write KV_NODES from scratch from KV_LEAVES (every entry removed, every
 * internal node over smt_store_min() or more leaves written) and store
 * the root: migrations. */
int smt_rebuild(struct kv *kv, struct cl_hash32 *root);
/* Check that KV_NODES holds exactly the internal nodes over
 * smt_store_min() or more leaves of the tree over KV_LEAVES, and that
 * KV_LEAVES gives the stored root: CL_OK and *nodes (their
 * count), CL_ERR_CORRUPT (logged), or a backend error. */
int smt_check(struct kv *kv, uint64_t *nodes);
/* The root recomputed from the committed tables' contents. */
int smt_recompute(struct kv *kv, struct cl_hash32 *root, uint64_t *hashes);
/* ------------------------------------------------------------------ */
/* smt_mem.c: the LMDB writer's whole tree in memory                   */
/* ------------------------------------------------------------------ */

/*
 * A crit-bit tree over the committed leaves (path and leaf hash) with the
 * hash of every branch, 64 bytes per leaf and 48 per branch (about 112
 * bytes per key). It mirrors the committed KV_LEAVES and KV_NODES, which
 * stay the durable form: an update reads nothing from LMDB and writes
 * the changed KV_NODES entries (and deletes the stale ones). The owner
 * drops it whenever a commit fails, and checks its root against the
 * stored one before each use. Not in the guest (src/guest/sys.c).
 */
struct smt_mem;

/* One changed path of a block: a new leaf hash, or a deletion. */
struct smt_op {
	struct cl_hash32 path;
	struct cl_hash32 vh; /* value hash (not for a deletion) */
	struct cl_hash32 lh; /* leaf hash (not for a deletion; only with
			      * the tree in memory) */
	bool del;
};

/* Build it from the committed KV_LEAVES (one scan, every leaf and node
 * hashed, the root's two halves on two threads): CL_OK and *out,
 * CL_ERR_CORRUPT when they do not give the stored root, or a backend
 * error. `hashes` is incremented by the hashes computed. */
int smt_mem_load(struct smt_mem **out, struct kv *kv, uint64_t *hashes);
/* As smt_rebuild(), through a tree in memory built for it (the hashing
 * many at once and on two threads): KV_NODES cleared and written again
 * from KV_LEAVES, the root in *root and KV_META; the tree in *keep (on
 * failure freed, *keep untouched). Only for a store with SMT_STORE_MIN.
 * `hashes` is incremented. */
int smt_mem_rebuild(struct kv *kv, struct cl_hash32 *root, uint64_t *hashes,
		    struct smt_mem **keep);
/* smt_mem_free(NULL) is a no-op. */
void smt_mem_free(struct smt_mem *m);
/* The root it holds. */
void smt_mem_root(const struct smt_mem *m, struct cl_hash32 *root);
/* The leaf hash at `path`: true and *lh, or false when there is none. */
bool smt_mem_leaf(const struct smt_mem *m, struct cl_hash32 *lh,
		  const struct cl_hash32 *path);
/*
 * Apply a block's changes ops[0..n) (sorted, distinct paths; KV_LEAVES
 * already written), store the changed KV_NODES entries, delete the stale
 * ones, and store the new root in *root and KV_META. Counts go to
 * s->hashes, s->node_puts and s->node_dels. On failure `m` is unusable:
 * free it.
 */
int smt_mem_update(struct smt_mem *m, struct kv *kv, struct cl_hash32 *root,
		   const struct smt_op *ops, size_t n,
		   struct cl_state_stats *s);
/* Bytes it holds (capacity of its arrays). */
size_t smt_mem_bytes(const struct smt_mem *m);

/* The KV_NODES key of the node at `depth` (< 256) on `path`: the first
 * `depth` bits of the path (the rest zero), then the depth, so a key
 * order walk is a depth-first walk of the tree (schema 3). */
void smt_node_key(uint8_t out[33], unsigned depth,
		  const struct cl_hash32 *path);
/* Do a and b (32 bytes each) agree on their first `bits` bits? */
bool smt_same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits);
/* The stored root (meta), zero when absent. */
int smt_stored_root(struct kv *kv, struct cl_hash32 *root);

/* ------------------------------------------------------------------ */
/* flush_hash.c: a block's changed leaves hashed many at once           */
/* ------------------------------------------------------------------ */

/* Where a changed entry's path and value come from. */
struct flush_src {
	uint8_t tid;
	const uint8_t *key;
	size_t klen;
	const uint8_t *val; /* not for a deletion */
	size_t vlen;
};
/* ops[i].path for every i, .vh for every non-deletion and, when `leaf`,
 * .lh too (cl_smt_path, cl_smt_value_hash, cl_smt_leaf_hash). */
void flush_hash(struct smt_op *ops, const struct flush_src *src, size_t n,
		bool leaf);

/* ------------------------------------------------------------------ */
/* state.c: access for walk.c and preimages.c                          */
/* ------------------------------------------------------------------ */

/* The backend of `st`, made readable (NULL on a backend error). */
struct kv *state_kv(struct cl_state *st);
/* Replay of the state log (statelog.c): the next commit also stores
 * meta log_seq = `log_seq` (and removes log_part), and stores nothing
 * (CL_ERR_CORRUPT, logged) unless its root is `root`. `part`: LMDB holds
 * parts of the replayed blocks (a checkpoint stopped between its
 * transactions): every key of the commit counts as changed, whatever
 * the table or KV_LEAVES holds, and KV_NODES is rebuilt from KV_LEAVES
 * (the tree in memory must be off). */
void state_expect(struct cl_state *st, const struct cl_hash32 *root,
		  uint64_t log_seq, bool part);
/* Take the writer's tree in memory (NULL: none), its root the stored one
 * after its last commit; the writer goes on without it. */
struct smt_mem *state_take_tree(struct cl_state *st);
/* A tree in memory left by the state log's replay for the next writer of
 * `db` to take (one at most; freed with the db): the first block then
 * skips building its own when the stored root is still the tree's. */
void db_tree_leave(struct cl_db *db, struct smt_mem *m);
struct smt_mem *db_tree_take(struct cl_db *db);

#endif /* CLEARLINE_STATE_INT_H */
