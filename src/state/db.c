/* SPDX-License-Identifier: MIT */
/*
 * The LMDB environment. This is the only file of the project that calls
 * LMDB; every LMDB error is mapped to enum cl_err in db_err() and logged
 * there, once, where it starts.
 *
 * Layout: one named database per kv table (meta, smt_leaves, smt_nodes and
 * one per registered table). Commits use LMDB's default durability (a
 * synced write of the data pages, then of the meta page) unless the
 * owner chose CL_DB_SYNC_DATA (MDB_NOMETASYNC: data pages synced, the
 * meta page left to the next commit or cl_db_sync()); MDB_NOSYNC is never
 * set. MDB_NOTLS lets a read transaction move between threads of a pool.
 */
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "state_int.h"

struct cl_db {
	MDB_env *env;
	MDB_dbi *dbi; /* kv_table_count() handles */
	uint64_t map_size;
	uint32_t schema_version;
	atomic_bool has_writer;
	atomic_uint readers; /* open snapshots */
	enum cl_db_sync_mode sync_mode;
	struct layer *lay; /* the state log and its checkpoints, or NULL */
	uint64_t open_part; /* at the open: a partial checkpoint's block */
	struct smt_mem *tree; /* the replay's, for the next writer */
};

/* One environment per process (LMDB's locks are per process). */
static atomic_bool db_open_in_process;

/*
 * The one place LMDB (and errno) codes become enum cl_err. Everything but
 * "not found" is logged here, so callers only forward the code.
 */
static int db_err(const struct cl_db *db, int rc, const char *op)
{
	switch (rc) {
	case MDB_SUCCESS:
		return CL_OK;
	case MDB_NOTFOUND:
		return CL_ERR_NOT_FOUND;
	case MDB_MAP_FULL:
		cl_unusual(STATE_LOG,
			   "%s: lmdb map is full (map size %" PRIu64
			   " bytes): raise the map size in the config",
			   op, db ? db->map_size : 0);
		return CL_ERR_MAP_FULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		cl_unusual(STATE_LOG,
			   "%s: database is corrupt or incompatible: %s", op,
			   mdb_strerror(rc));
		return CL_ERR_CORRUPT;
	case MDB_READERS_FULL:
		cl_unusual(STATE_LOG,
			   "%s: lmdb reader table is full: too many snapshots",
			   op);
		return CL_ERR_BUSY;
	case MDB_TXN_FULL:
		cl_unusual(STATE_LOG,
			   "%s: too many changes for one lmdb transaction", op);
		return CL_ERR_DB;
	case EIO:
	case ENOSPC:
	case EACCES:
	case EROFS:
	case ENOENT:
	case EDQUOT:
		cl_unusual(STATE_LOG, "%s: %s", op, mdb_strerror(rc));
		return CL_ERR_IO;
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
	case MDB_BAD_TXN:
	case EINVAL:
		cl_broken(STATE_LOG, "%s: lmdb refused the call: %s", op,
			  mdb_strerror(rc));
		return CL_ERR_DB;
	default:
		cl_unusual(STATE_LOG, "%s: lmdb error: %s", op,
			   mdb_strerror(rc));
		return CL_ERR_DB;
	}
}

/* ------------------------------------------------------------------ */
/* Migrations: an append-only list, applied in order in one transaction */
/* ------------------------------------------------------------------ */

struct migration {
	uint32_t version;
	const char *what;
	int (*apply)(struct cl_db *db, MDB_txn *txn);
};

static int migrate_initial(struct cl_db *db, MDB_txn *txn)
{
	static const uint8_t zero[32];

	/* the tables themselves were created when they were opened */
	return db_put(db, txn, KV_META, (const uint8_t *)META_KEY_ROOT,
		      strlen(META_KEY_ROOT), zero, sizeof(zero));
}

/*
 * Version 2: liq_index and liq_multi, local until then, are committed
 * (docs/state.md "Tables"): their entries get leaves and the tree is
 * written again over all leaves, so the stored root is the one the
 * tables give. (It updated the stored tree in place until version 3
 * changed the tree's key layout; a rebuild gives the same tree in the
 * layout of whatever version follows.)
 */
static int migrate_commit_liq(struct cl_db *db, MDB_txn *txn)
{
	static const enum cl_table now_committed[] = {
		CL_TABLE_LIQ_INDEX, CL_TABLE_LIQ_MULTI,
	};
	struct kv kv = { .kind = KV_LMDB, .db = db, .txn = txn };
	struct cl_hash32 *dirty = NULL, root;
	size_t n = 0, cap = 0;
	int rc = CL_OK;

	for (size_t i = 0; i < CL_ARRAY_LEN(now_committed) && !rc; i++) {
		struct kv_cursor c;
		enum cl_table t = now_committed[i];

		rc = kv_cursor_open(&c, &kv, kv_table_index(t));
		for (rc = rc ? rc : kv_cursor_seek(&c, NULL, 0); rc == CL_OK;
		     rc = kv_cursor_next(&c)) {
			struct cl_hash32 vh;

			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				dirty = cl_xrealloc(dirty,
						    cap * sizeof(*dirty));
			}
			cl_smt_path(&dirty[n], (uint8_t)t, c.key, c.klen);
			cl_smt_value_hash(&vh, c.val, c.vlen);
			rc = kv_put(&kv, KV_LEAVES, dirty[n].b, 32, vh.b, 32);
			n++;
			if (rc)
				break;
		}
		kv_cursor_close(&c);
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	if (!rc)
		rc = smt_rebuild(&kv, &root);
	free(dirty);
	return rc;
}

/*
 * Version 3: smt_nodes keys are prefix ‖ depth (they were depth ‖
 * prefix), so a subtree's nodes are one key range (docs/state.md
 * "Storage"): written again from smt_leaves. Version 4: smt_nodes holds
 * only the nodes over 16 leaves or more; version 5: over SMT_STORE_MIN
 * (64): each written again the same way. A rebuild writes the newest
 * layout, so a database below version 5 is rebuilt once per version
 * above it (a few seconds at a million keys, once); each checks that
 * the root comes out the same.
 */
_Static_assert(SMT_STORE_MIN == 64, "a new SMT_STORE_MIN is a migration");

static int migrate_node_order(struct cl_db *db, MDB_txn *txn)
{
	struct kv kv = { .kind = KV_LMDB, .db = db, .txn = txn };
	struct cl_hash32 root, stored;
	int rc = smt_stored_root(&kv, &stored);

	if (!rc)
		rc = smt_rebuild(&kv, &root);
	if (!rc && memcmp(root.b, stored.b, 32) != 0) {
		cl_unusual(STATE_LOG, "migration: the stored leaves do not "
				      "give the stored root");
		rc = CL_ERR_CORRUPT;
	}
	return rc;
}

static const struct migration migrations[] = {
	{ 1, "initial layout: meta, smt_leaves, smt_nodes, tables",
	  migrate_initial },
	{ 2, "liq_index and liq_multi are committed tables",
	  migrate_commit_liq },
	{ 3, "smt_nodes keyed by prefix and depth", migrate_node_order },
	{ 4, "smt_nodes only over 16 leaves or more", migrate_node_order },
	{ 5, "smt_nodes only over 64 leaves or more", migrate_node_order },
};

static int read_schema(struct cl_db *db, MDB_txn *txn, uint32_t *version)
{
	const uint8_t *v;
	size_t vlen;
	int rc = db_get(db, txn, &v, &vlen, KV_META,
			(const uint8_t *)META_KEY_SCHEMA,
			strlen(META_KEY_SCHEMA));

	*version = 0;
	if (rc == CL_ERR_NOT_FOUND)
		return CL_OK;
	if (rc)
		return rc;
	if (vlen != 4) {
		cl_unusual(STATE_LOG, "meta schema_version has %zu bytes",
			   vlen);
		return CL_ERR_CORRUPT;
	}
	*version = cl_get_be32(v);
	return CL_OK;
}

static int migrate(struct cl_db *db, MDB_txn *txn)
{
	uint32_t have;
	int rc = read_schema(db, txn, &have);

	if (rc)
		return rc;
	CL_REQUIRE(migrations[CL_ARRAY_LEN(migrations) - 1].version ==
		   CL_DB_SCHEMA_VERSION);
	if (have > CL_DB_SCHEMA_VERSION) {
		cl_unusual(STATE_LOG,
			   "database schema version %" PRIu32
			   " is newer than this program supports (%u)",
			   have, CL_DB_SCHEMA_VERSION);
		return CL_ERR_CONFIG;
	}
	for (size_t i = 0; i < CL_ARRAY_LEN(migrations); i++) {
		const struct migration *m = &migrations[i];
		uint8_t be[4];

		CL_REQUIRE(m->version == i + 1);
		if (m->version <= have)
			continue;
		cl_info(STATE_LOG, "migrating database to schema %" PRIu32
			": %s", m->version, m->what);
		rc = m->apply(db, txn);
		if (rc)
			return rc;
		cl_put_be32(be, m->version);
		rc = db_put(db, txn, KV_META, (const uint8_t *)META_KEY_SCHEMA,
			    strlen(META_KEY_SCHEMA), be, sizeof(be));
		if (rc)
			return rc;
		have = m->version;
	}
	db->schema_version = have;
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Environment                                                         */
/* ------------------------------------------------------------------ */

/* A u64 of KV_META in `txn` (0: none). */
static int meta_u64(struct cl_db *db, struct MDB_txn *txn, const char *key,
		    uint64_t *out)
{
	const uint8_t *v;
	size_t vl;
	int rc = db_get(db, txn, &v, &vl, KV_META, (const uint8_t *)key,
			strlen(key));

	*out = 0;
	if (rc == CL_OK && vl != 8) {
		cl_unusual(STATE_LOG, "meta %s is %zu bytes", key, vl);
		rc = CL_ERR_CORRUPT;
	} else if (rc == CL_OK) {
		*out = cl_get_be64(v);
	} else if (rc == CL_ERR_NOT_FOUND) {
		rc = CL_OK;
	}
	return rc;
}

int db_log_seq(struct cl_db *db, struct MDB_txn *txn, uint64_t *seq)
{
	return meta_u64(db, txn, META_KEY_LOG_SEQ, seq);
}

int db_log_part(struct cl_db *db, struct MDB_txn *txn, uint64_t *seq)
{
	return meta_u64(db, txn, META_KEY_LOG_PART, seq);
}

/* Where the last checkpoint left LMDB: at block *seq, and with parts of
 * the blocks up to *part (0: none). */
static int read_log_seq(struct cl_db *db, uint64_t *seq, uint64_t *part)
{
	struct MDB_txn *txn;
	int rc = db_txn_begin(db, &txn, false);

	*seq = 0;
	*part = 0;
	if (rc)
		return rc;
	rc = db_log_seq(db, txn, seq);
	if (!rc)
		rc = db_log_part(db, txn, part);
	db_txn_abort(txn);
	return rc;
}

static int open_tables(struct cl_db *db)
{
	MDB_txn *txn;
	int rc = db_txn_begin(db, (struct MDB_txn **)&txn, true);

	if (rc)
		return rc;
	for (unsigned i = 0; i < kv_table_count(); i++) {
		int mrc = mdb_dbi_open(txn, kv_table_name(i), MDB_CREATE,
				       &db->dbi[i]);
		if (mrc) {
			rc = db_err(db, mrc, "opening a table");
			db_txn_abort(txn);
			return rc;
		}
	}
	rc = migrate(db, txn);
	if (rc) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(db, txn);
}

int cl_db_new(struct cl_db **out, const struct cl_db_config *cfg)
{
	struct cl_db *db;
	unsigned need = kv_table_count();
	unsigned maxdbs = cfg->max_tables ? cfg->max_tables : need;
	uint64_t map_size, base = 0, part = 0;
	int mrc, rc;
	int dead = 0;

	*out = NULL;
	if (!cfg->path || !cfg->path[0] || cfg->map_size == 0) {
		cl_unusual(STATE_LOG,
			   "database path and map size are required");
		return CL_ERR_CONFIG;
	}
	if (maxdbs < need) {
		cl_unusual(STATE_LOG,
			   "max tables %u is below the %u tables in use",
			   maxdbs, need);
		return CL_ERR_CONFIG;
	}
	/* round the map up to whole 64 KiB so any page size divides it */
	if (cfg->map_size > UINT64_MAX - 0xffff) {
		cl_unusual(STATE_LOG, "map size is too large");
		return CL_ERR_CONFIG;
	}
	map_size = (cfg->map_size + 0xffff) & ~(uint64_t)0xffff;
	if (atomic_exchange(&db_open_in_process, true)) {
		cl_unusual(STATE_LOG, "an lmdb environment is already open "
				      "in this process");
		return CL_ERR_BUSY;
	}
	if (mkdir(cfg->path, 0700) != 0 && errno != EEXIST) {
		rc = db_err(NULL, errno, "creating the database directory");
		atomic_store(&db_open_in_process, false);
		return rc;
	}

	db = cl_xcalloc(1, sizeof(*db));
	db->dbi = cl_xcalloc(need, sizeof(*db->dbi));
	db->map_size = map_size;
	atomic_init(&db->has_writer, false);
	atomic_init(&db->readers, 0);
	mrc = mdb_env_create(&db->env);
	if (mrc) {
		rc = db_err(db, mrc, "creating the lmdb environment");
		db->env = NULL;
		goto fail;
	}
	mrc = mdb_env_set_mapsize(db->env, (size_t)map_size);
	if (!mrc)
		mrc = mdb_env_set_maxdbs(db->env, maxdbs);
	if (!mrc && cfg->max_readers)
		mrc = mdb_env_set_maxreaders(db->env, cfg->max_readers);
	if (mrc) {
		rc = db_err(db, mrc, "configuring the lmdb environment");
		goto fail;
	}
	mrc = mdb_env_open(db->env, cfg->path, MDB_NOTLS, 0600);
	if (mrc) {
		rc = db_err(db, mrc, "opening the database");
		goto fail;
	}
	/* reader slots left behind by a crashed process */
	mrc = mdb_reader_check(db->env, &dead);
	if (mrc) {
		rc = db_err(db, mrc, "checking lmdb readers");
		goto fail;
	}
	if (dead)
		cl_info(STATE_LOG, "cleared %d stale lmdb reader slots", dead);
	rc = open_tables(db);
	if (rc)
		goto fail;
	/* blocks a crash left in the state log, whether or not this open
	 * keeps one: LMDB alone would be behind */
	rc = read_log_seq(db, &base, &part);
	if (!rc && part && part <= base) {
		/* a checkpoint of blocks LMDB already held whole (written
		 * again by a version that did so): nothing to complete; the
		 * next checkpoint or replay removes the mark */
		cl_info(STATE_LOG, "state log: a checkpoint of blocks the "
				   "database already held (to block %" PRIu64
				   ", held %" PRIu64 ") stopped between its "
				   "transactions: nothing to complete",
			part, base);
		part = 0;
	}
	db->open_part = part;
	if (!rc)
		rc = slog_recover(db, cfg->path, base, part, &base);
	/* with the log on, LMDB's commits are the checkpoint's
	 * transactions, synced once at its end before the log files it
	 * covers go: none needs its meta page synced of its own (and the
	 * replay above was, in the mode set at open) */
	if (!rc && cfg->checkpoint_ms &&
	    (mrc = mdb_env_set_flags(db->env, MDB_NOMETASYNC, 1)))
		rc = db_err(db, mrc, "setting the checkpoint's sync mode");
	if (!rc && cfg->checkpoint_ms)
		rc = layer_open(&db->lay, db, cfg->path, base,
				cfg->checkpoint_ms,
				cfg->checkpoint_bytes ? cfg->checkpoint_bytes
						      : CL_DB_CHECKPOINT_BYTES,
				cfg->checkpoint_txn_entries
					? cfg->checkpoint_txn_entries
					: CL_DB_CHECKPOINT_TXN_ENTRIES);
	if (rc)
		goto fail;
	cl_debug(STATE_LOG, "database open, schema %" PRIu32 ", map %" PRIu64
		 " bytes, %s", db->schema_version, db->map_size,
		 db->lay ? "state log on" : "no state log");
	*out = db;
	return CL_OK;

fail:
	if (db->env)
		mdb_env_close(db->env);
	free(db->dbi);
	free(db);
	atomic_store(&db_open_in_process, false);
	return rc;
}

void cl_db_free(struct cl_db *db)
{
	if (!db)
		return;
	CL_REQUIRE(!atomic_load(&db->has_writer));
	CL_REQUIRE(atomic_load(&db->readers) == 0);
	layer_close(db->lay);
	smt_mem_free(db->tree);
	mdb_env_close(db->env);
	free(db->dbi);
	free(db);
	atomic_store(&db_open_in_process, false);
}

void db_tree_leave(struct cl_db *db, struct smt_mem *m)
{
	smt_mem_free(db->tree);
	db->tree = m;
}

struct smt_mem *db_tree_take(struct cl_db *db)
{
	struct smt_mem *m = db->tree;

	db->tree = NULL;
	return m;
}

int cl_db_set_sync(struct cl_db *db, enum cl_db_sync_mode mode)
{
	int mrc = 0;

	db->sync_mode = mode;
	switch (mode) {
	case CL_DB_SYNC_EVERY:
		/* the state log's checkpoints keep theirs (cl_db_new) */
		mrc = mdb_env_set_flags(db->env, MDB_NOMETASYNC, db->lay != NULL);
		break;
	case CL_DB_SYNC_DATA:
		mrc = mdb_env_set_flags(db->env, MDB_NOMETASYNC, 1);
		break;
	}
	return mrc ? db_err(db, mrc, "setting the sync mode") : CL_OK;
}

int cl_db_sync(struct cl_db *db)
{
	return db->lay ? lay_sync(db->lay) : db_env_sync(db);
}

int db_env_sync(struct cl_db *db)
{
	int mrc = mdb_env_sync(db->env, 1);

	return mrc ? db_err(db, mrc, "syncing the database") : CL_OK;
}

bool db_sync_every(const struct cl_db *db)
{
	return db->sync_mode == CL_DB_SYNC_EVERY;
}

void cl_db_log_stats(struct cl_db *db, struct cl_db_log_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (db->lay)
		lay_stats(db->lay, out);
	out->open_part = db->open_part;
}

static void table_space(struct cl_db_table_space *t, const MDB_stat *st)
{
	t->entries = st->ms_entries;
	t->leaf_pages = st->ms_leaf_pages;
	t->overflow_pages = st->ms_overflow_pages;
	t->pages = (uint64_t)st->ms_branch_pages + st->ms_leaf_pages +
		   st->ms_overflow_pages;
	t->depth = st->ms_depth;
}

/* The pages on LMDB's free list: each record of its free database is
 * a list of page numbers whose first word is their count. */
static int free_pages(struct cl_db *db, MDB_txn *txn, uint64_t *out)
{
	MDB_cursor *mc;
	MDB_val k, v;
	int mrc = mdb_cursor_open(txn, 0 /* FREE_DBI */, &mc);

	*out = 0;
	if (mrc)
		return db_err(db, mrc, "opening the free list");
	while ((mrc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
		size_t n;
		if (v.mv_size < sizeof(n)) {
			mrc = MDB_CORRUPTED;
			break;
		}
		memcpy(&n, v.mv_data, sizeof(n));
		if (n > v.mv_size / sizeof(n) - 1) {
			mrc = MDB_CORRUPTED;
			break;
		}
		*out += n;
	}
	mdb_cursor_close(mc);
	return mrc == MDB_NOTFOUND ? CL_OK : db_err(db, mrc, "the free list");
}

int cl_db_space(struct cl_db *db, struct cl_db_space *out)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	int rc, mrc;

	memset(out, 0, sizeof(*out));
	CL_REQUIRE(kv_table_count() <= CL_DB_SPACE_MAX);
	rc = db_txn_begin(db, (struct MDB_txn **)&txn, false);
	if (rc)
		return rc;
	mrc = mdb_env_info(db->env, &info);
	if (!mrc)
		mrc = mdb_env_stat(db->env, &st);
	if (mrc) {
		db_txn_abort(txn);
		return db_err(db, mrc, "reading the environment");
	}
	out->page_size = st.ms_psize;
	out->map_pages = info.me_mapsize / st.ms_psize;
	/* info.me_last_pgno is the newest committed page's number: the
	 * read transaction's own is the same or older */
	out->file_pages = (uint64_t)info.me_last_pgno + 1;
	if ((mrc = mdb_stat(txn, 1 /* MAIN_DBI */, &st)) != 0)
		goto fail;
	out->meta_pages = 2 + (uint64_t)st.ms_branch_pages +
			  st.ms_leaf_pages + st.ms_overflow_pages;
	if ((mrc = mdb_stat(txn, 0 /* FREE_DBI */, &st)) != 0)
		goto fail;
	out->free_list_pages = (uint64_t)st.ms_branch_pages +
			       st.ms_leaf_pages + st.ms_overflow_pages;
	for (unsigned i = 0; i < kv_table_count(); i++) {
		if ((mrc = mdb_stat(txn, db->dbi[i], &st)) != 0)
			goto fail;
		struct cl_db_table_space *t = &out->t[out->n++];
		t->name = kv_table_name(i);
		table_space(t, &st);
		out->table_pages += t->pages;
	}
	rc = free_pages(db, txn, &out->free_pages);
	db_txn_abort(txn);
	return rc;
fail:
	db_txn_abort(txn);
	return db_err(db, mrc, "reading a table's statistics");
}

struct layer *db_layer(struct cl_db *db)
{
	return db->lay;
}

uint32_t cl_db_schema_version(const struct cl_db *db)
{
	return db->schema_version;
}

bool db_writer_claim(struct cl_db *db)
{
	return !atomic_exchange(&db->has_writer, true);
}

void db_writer_release(struct cl_db *db)
{
	atomic_store(&db->has_writer, false);
}

void db_readers_add(struct cl_db *db, int delta)
{
	if (delta > 0)
		atomic_fetch_add(&db->readers, 1);
	else
		atomic_fetch_sub(&db->readers, 1);
}

/* ------------------------------------------------------------------ */
/* Transactions, records, cursors                                      */
/* ------------------------------------------------------------------ */

int db_txn_begin(struct cl_db *db, struct MDB_txn **out, bool write)
{
	MDB_txn *txn = NULL;
	int mrc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &txn);

	*out = NULL;
	if (mrc)
		return db_err(db, mrc, write ? "starting a write transaction"
					     : "starting a read transaction");
	*out = txn;
	return CL_OK;
}

int db_txn_commit(struct cl_db *db, struct MDB_txn *txn)
{
	int mrc = mdb_txn_commit(txn);

	return mrc ? db_err(db, mrc, "committing") : CL_OK;
}

void db_txn_abort(struct MDB_txn *txn)
{
	if (txn)
		mdb_txn_abort(txn);
}

static MDB_val mval(const uint8_t *p, size_t len)
{
	MDB_val v = { .mv_size = len, .mv_data = (void *)p };
	return v;
}

int db_get(struct cl_db *db, struct MDB_txn *txn, const uint8_t **val,
	   size_t *vlen, unsigned tbl, const uint8_t *key, size_t klen)
{
	MDB_val k = mval(key, klen), v = { 0, NULL };
	int mrc = mdb_get(txn, db->dbi[tbl], &k, &v);

	*val = NULL;
	*vlen = 0;
	if (mrc)
		return db_err(db, mrc, "reading");
	*val = v.mv_data;
	*vlen = v.mv_size;
	return CL_OK;
}

int db_put(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	MDB_val k = mval(key, klen), v = mval(val, vlen);
	int mrc = mdb_put(txn, db->dbi[tbl], &k, &v, 0);

	return mrc ? db_err(db, mrc, "writing") : CL_OK;
}

int db_del(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen)
{
	MDB_val k = mval(key, klen);
	int mrc = mdb_del(txn, db->dbi[tbl], &k, NULL);

	return mrc ? db_err(db, mrc, "deleting") : CL_OK;
}

int db_clear(struct cl_db *db, struct MDB_txn *txn, unsigned tbl)
{
	int mrc = mdb_drop(txn, db->dbi[tbl], 0);

	return mrc ? db_err(db, mrc, "clearing a table") : CL_OK;
}

int db_cursor_open(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
		   struct MDB_cursor **out)
{
	MDB_cursor *mc = NULL;
	int mrc = mdb_cursor_open(txn, db->dbi[tbl], &mc);

	*out = NULL;
	if (mrc)
		return db_err(db, mrc, "opening a cursor");
	*out = mc;
	return CL_OK;
}

int db_cursor_put(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen)
{
	MDB_val k = mval(key, klen), v = mval(val, vlen);
	int mrc = mdb_cursor_put(mc, &k, &v, 0);

	return mrc ? db_err(db, mrc, "writing") : CL_OK;
}

int db_cursor_del(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen)
{
	MDB_val k = mval(key, klen), v = { 0, NULL };
	int mrc = mdb_cursor_get(mc, &k, &v, MDB_SET);

	if (!mrc)
		mrc = mdb_cursor_del(mc, 0);
	return mrc ? db_err(db, mrc, "deleting") : CL_OK;
}

void db_cursor_close(struct MDB_cursor *mc)
{
	if (mc)
		mdb_cursor_close(mc);
}

int db_cursor_get(struct cl_db *db, struct MDB_cursor *mc, int op,
		  const uint8_t *key, size_t klen, const uint8_t **k,
		  size_t *kl, const uint8_t **v, size_t *vl)
{
	MDB_val mk = mval(key, klen), mv = { 0, NULL };
	MDB_cursor_op mop;
	int mrc;

	if (op == 0)
		mop = klen ? MDB_SET_RANGE : MDB_FIRST;
	else
		mop = MDB_NEXT;
	mrc = mdb_cursor_get(mc, &mk, &mv, mop);
	*k = NULL;
	*v = NULL;
	*kl = 0;
	*vl = 0;
	if (mrc)
		return db_err(db, mrc, "moving a cursor");
	*k = mk.mv_data;
	*kl = mk.mv_size;
	*v = mv.mv_data;
	*vl = mv.mv_size;
	return CL_OK;
}
