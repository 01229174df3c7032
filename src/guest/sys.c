/* SPDX-License-Identifier: MIT */
/*
 * What the guest has instead of the host's logging, clocks and LMDB:
 * logging is off (cl_log() tests cl_log_min_level first, so no message
 * is ever formatted), the monotonic clock only feeds the state module's
 * timing counters and reads 0, and the LMDB entry points of
 * src/state/db.c, which the memory state never reaches, are bugs.
 */
#include <clearline/common.h>

#include "../state/state_int.h"

int cl_log_min_level = 1000; /* above every level: nothing is emitted */

void cl_log_emit(enum cl_log_level lvl, const char *subsys, const char *fmt,
		 ...)
{
	(void)lvl;
	(void)subsys;
	(void)fmt;
}

uint64_t cl_clock_mono_ns(void)
{
	return 0;
}

uint64_t cl_clock_now_ms(void)
{
	CL_BUG("no wall clock in the guest");
}

int db_txn_begin(struct cl_db *db, struct MDB_txn **out, bool write)
{
	(void)db, (void)out, (void)write;
	CL_BUG("no LMDB in the guest");
}

int db_txn_commit(struct cl_db *db, struct MDB_txn *txn)
{
	(void)db, (void)txn;
	CL_BUG("no LMDB in the guest");
}

void db_txn_abort(struct MDB_txn *txn)
{
	(void)txn;
}

int db_get(struct cl_db *db, struct MDB_txn *txn, const uint8_t **val,
	   size_t *vlen, unsigned tbl, const uint8_t *key, size_t klen)
{
	(void)db, (void)txn, (void)val, (void)vlen, (void)tbl, (void)key;
	(void)klen;
	CL_BUG("no LMDB in the guest");
}

int db_put(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	(void)db, (void)txn, (void)tbl, (void)key, (void)klen, (void)val;
	(void)vlen;
	CL_BUG("no LMDB in the guest");
}

int db_del(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
	   const uint8_t *key, size_t klen)
{
	(void)db, (void)txn, (void)tbl, (void)key, (void)klen;
	CL_BUG("no LMDB in the guest");
}

int db_clear(struct cl_db *db, struct MDB_txn *txn, unsigned tbl)
{
	(void)db, (void)txn, (void)tbl;
	CL_BUG("no LMDB in the guest");
}

int db_cursor_open(struct cl_db *db, struct MDB_txn *txn, unsigned tbl,
		   struct MDB_cursor **out)
{
	(void)db, (void)txn, (void)tbl, (void)out;
	CL_BUG("no LMDB in the guest");
}

int db_cursor_put(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen)
{
	(void)db, (void)mc, (void)key, (void)klen, (void)val, (void)vlen;
	CL_BUG("no LMDB in the guest");
}

int db_cursor_del(struct cl_db *db, struct MDB_cursor *mc,
		  const uint8_t *key, size_t klen)
{
	(void)db, (void)mc, (void)key, (void)klen;
	CL_BUG("no LMDB in the guest");
}

void db_cursor_close(struct MDB_cursor *mc)
{
	(void)mc;
}

int db_cursor_get(struct cl_db *db, struct MDB_cursor *mc, int op,
		  const uint8_t *key, size_t klen, const uint8_t **k,
		  size_t *kl, const uint8_t **v, size_t *vl)
{
	(void)db, (void)mc, (void)op, (void)key, (void)klen, (void)k;
	(void)kl, (void)v, (void)vl;
	CL_BUG("no LMDB in the guest");
}

bool db_writer_claim(struct cl_db *db)
{
	(void)db;
	CL_BUG("no LMDB in the guest");
}

void db_writer_release(struct cl_db *db)
{
	(void)db;
}

void db_readers_add(struct cl_db *db, int delta)
{
	(void)db, (void)delta;
}

/* The LMDB writer's tree in memory (src/state/smt_mem.c), which a memory
 * state never has. */
int smt_mem_load(struct smt_mem **out, struct kv *kv, uint64_t *hashes)
{
	(void)out, (void)kv, (void)hashes;
	CL_BUG("no tree in memory in the guest");
}

void smt_mem_free(struct smt_mem *m)
{
	(void)m;
}

void smt_mem_root(const struct smt_mem *m, struct cl_hash32 *root)
{
	(void)m, (void)root;
	CL_BUG("no tree in memory in the guest");
}

bool smt_mem_leaf(const struct smt_mem *m, struct cl_hash32 *lh,
		  const struct cl_hash32 *path)
{
	(void)m, (void)lh, (void)path;
	CL_BUG("no tree in memory in the guest");
}

int smt_mem_update(struct smt_mem *m, struct kv *kv, struct cl_hash32 *root,
		   const struct smt_op *ops, size_t n,
		   struct cl_state_stats *s)
{
	(void)m, (void)kv, (void)root, (void)ops, (void)n, (void)s;
	CL_BUG("no tree in memory in the guest");
}

int smt_mem_rebuild(struct kv *kv, struct cl_hash32 *root, uint64_t *hashes,
		    struct smt_mem **keep)
{
	(void)kv, (void)root, (void)hashes, (void)keep;
	CL_BUG("no tree in memory in the guest");
}

struct smt_mem *db_tree_take(struct cl_db *db)
{
	(void)db;
	return NULL;
}

void db_tree_leave(struct cl_db *db, struct smt_mem *m)
{
	(void)db, (void)m;
	CL_BUG("no tree in memory in the guest");
}

size_t smt_mem_bytes(const struct smt_mem *m)
{
	(void)m;
	return 0;
}

/* The state log's layer (src/state/layer.c), which a memory state never
 * reaches. */
struct layer *db_layer(struct cl_db *db)
{
	(void)db;
	return NULL;
}

void lay_writer_init(struct kv *kv, struct layer *lay)
{
	(void)kv, (void)lay;
	CL_BUG("no state log in the guest");
}

int lay_writer_ready(struct kv *kv, bool may_trim)
{
	(void)kv, (void)may_trim;
	CL_BUG("no state log in the guest");
}

int lay_writer_commit(struct kv *kv, const struct cl_hash32 *root)
{
	(void)kv, (void)root;
	CL_BUG("no state log in the guest");
}

void lay_writer_refresh(struct kv *kv)
{
	(void)kv;
	CL_BUG("no state log in the guest");
}

void lay_writer_discard(struct kv *kv)
{
	(void)kv;
}

void lay_writer_close(struct kv *kv)
{
	(void)kv;
}

int lay_snapshot_open(struct kv *kv, struct cl_db *db, struct layer *lay)
{
	(void)kv, (void)db, (void)lay;
	CL_BUG("no state log in the guest");
}

void lay_snapshot_close(struct kv *kv)
{
	(void)kv;
}

int lay_get(struct kv *kv, const uint8_t **val, size_t *vlen, unsigned tbl,
	    const uint8_t *key, size_t klen)
{
	(void)kv, (void)val, (void)vlen, (void)tbl, (void)key, (void)klen;
	CL_BUG("no state log in the guest");
}

int lay_put(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen,
	    const uint8_t *val, size_t vlen)
{
	(void)kv, (void)tbl, (void)key, (void)klen, (void)val, (void)vlen;
	CL_BUG("no state log in the guest");
}

int lay_del(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen)
{
	(void)kv, (void)tbl, (void)key, (void)klen;
	CL_BUG("no state log in the guest");
}

int lay_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen)
{
	(void)c, (void)key, (void)klen;
	CL_BUG("no state log in the guest");
}

int lay_cursor_next(struct kv_cursor *c)
{
	(void)c;
	CL_BUG("no state log in the guest");
}
