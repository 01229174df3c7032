/* SPDX-License-Identifier: MIT */
/*
 * The LMDB environment: schema version, one environment and one writer,
 * configuration errors, snapshot isolation, a full map reported as
 * CL_ERR_MAP_FULL with nothing of the failed block stored, and the
 * migrations of databases written by older schemas (made here with
 * LMDB itself): to schema 2 (liq_index and liq_multi committed) from 1,
 * and to schema 5 (smt_nodes holds the nodes over 64 leaves or more)
 * from the full trees of schemas 2 and 3 and the nodes over 16 of
 * schema 4.
 */
#include "state_util.h"

#include <inttypes.h>
#include <lmdb.h>

static void test_open_rules(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 8u << 20), *db2 = NULL;
	struct cl_state *st = NULL, *st2 = NULL;
	struct cl_db_config cfg = { .path = dir, .map_size = 8u << 20 };

	CHECK(cl_db_schema_version(db) == CL_DB_SCHEMA_VERSION);
	/* one environment per process */
	CHECK(cl_db_new(&db2, &cfg) == CL_ERR_BUSY && db2 == NULL);
	/* one writer per environment */
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_new_lmdb(&st2, db) == CL_ERR_BUSY && st2 == NULL);
	cl_state_free(st);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	cl_state_free(st);
	cl_db_free(db);
	cl_db_free(NULL);
	cl_state_free(NULL);
	cl_snapshot_free(NULL);
	cl_state_iter_free(NULL);

	/* bad configurations */
	cfg.map_size = 0;
	CHECK(cl_db_new(&db2, &cfg) == CL_ERR_CONFIG);
	cfg.map_size = 8u << 20;
	cfg.max_tables = 2;
	CHECK(cl_db_new(&db2, &cfg) == CL_ERR_CONFIG);
	cfg.max_tables = 0;
	cfg.path = "";
	CHECK(cl_db_new(&db2, &cfg) == CL_ERR_CONFIG);

	/* reopening keeps the schema version */
	db = db_open_at(dir, 8u << 20);
	CHECK(cl_db_schema_version(db) == CL_DB_SCHEMA_VERSION);
	cl_db_free(db);
	tmpdir_remove(dir);
}

static void test_snapshot_isolation(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 8u << 20);
	struct cl_state *st;
	struct cl_snapshot *s1, *s2;
	struct cl_hash32 r1, r2, r;
	const uint8_t k[2] = { 0, 1 };
	const uint8_t *v;
	size_t vl;

	CHECK(cl_state_new_lmdb(&st, db) == 0);
	cl_state_put(st, CL_TABLE_MARKETS, k, 2, (const uint8_t *)"one", 3);
	CHECK(cl_state_commit_block(st, &r1) == 0);
	CHECK(cl_snapshot_new(&s1, db) == 0);

	/* uncommitted writes are invisible to snapshots and proofs */
	cl_state_put(st, CL_TABLE_MARKETS, k, 2, (const uint8_t *)"two", 3);
	CHECK(cl_snapshot_get(s1, &v, &vl, CL_TABLE_MARKETS, k, 2) == 0);
	CHECK(vl == 3 && memcmp(v, "one", 3) == 0);
	CHECK(cl_state_get(st, &v, &vl, CL_TABLE_MARKETS, k, 2) == 0);
	CHECK(vl == 3 && memcmp(v, "two", 3) == 0);
	CHECK(cl_state_root(st, &r) == 0 && memcmp(r.b, r1.b, 32) == 0);

	CHECK(cl_state_commit_block(st, &r2) == 0);
	CHECK(memcmp(r1.b, r2.b, 32) != 0);
	CHECK(cl_snapshot_new(&s2, db) == 0);
	/* the old snapshot still sees the old block */
	CHECK(cl_snapshot_root(s1, &r) == 0 && memcmp(r.b, r1.b, 32) == 0);
	CHECK(cl_snapshot_get(s1, &v, &vl, CL_TABLE_MARKETS, k, 2) == 0);
	CHECK(vl == 3 && memcmp(v, "one", 3) == 0);
	CHECK(cl_snapshot_root(s2, &r) == 0 && memcmp(r.b, r2.b, 32) == 0);
	CHECK(cl_snapshot_get(s2, &v, &vl, CL_TABLE_MARKETS, k, 2) == 0);
	CHECK(vl == 3 && memcmp(v, "two", 3) == 0);
	CHECK(cl_snapshot_get(s2, &v, &vl, CL_TABLE_ACCOUNTS, k, 2) ==
	      CL_ERR_NOT_FOUND && v == NULL && vl == 0);
	cl_snapshot_free(s1);
	cl_snapshot_free(s2);
	cl_state_free(st);
	cl_db_free(db);
	tmpdir_remove(dir);
}

static void test_map_full(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 1u << 20);
	struct cl_state *st;
	struct cl_hash32 r1, r2;
	uint8_t key[8], val[512];
	int rc = 0, blocks = 0;

	memset(val, 0x5a, sizeof(val));
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	cl_put_be64(key, 0);
	cl_state_put(st, CL_TABLE_ORDERS, key, 8, val, 16);
	CHECK(cl_state_commit_block(st, &r1) == 0);
	/* grow until the map is full */
	for (uint64_t i = 1; blocks < 1000; blocks++) {
		for (int j = 0; j < 64; j++, i++) {
			cl_put_be64(key, i);
			cl_state_put(st, CL_TABLE_ORDERS, key, 8, val,
				     sizeof(val));
		}
		rc = cl_state_commit_block(st, &r2);
		if (rc)
			break;
		r1 = r2;
	}
	CHECK_MSG(rc == CL_ERR_MAP_FULL, "rc %d after %d blocks", rc, blocks);
	/* the failed block left no trace */
	CHECK(cl_state_root(st, &r2) == 0 && memcmp(r1.b, r2.b, 32) == 0);
	CHECK(cl_state_recompute_root(st, &r2) == 0);
	CHECK(memcmp(r1.b, r2.b, 32) == 0);
	/* the overlay was kept: a retry fails the same way */
	CHECK(cl_state_commit_block(st, &r2) == CL_ERR_MAP_FULL);
	cl_state_discard(st);
	/* a small block still fits after a delete */
	cl_put_be64(key, 1);
	cl_state_del(st, CL_TABLE_ORDERS, key, 8);
	CHECK(cl_state_commit_block(st, &r2) == 0);
	CHECK(cl_state_recompute_root(st, &r1) == 0);
	CHECK(memcmp(r1.b, r2.b, 32) == 0);
	cl_state_free(st);
	cl_db_free(db);

	/* and the database reopens consistent */
	db = db_open_at(dir, 1u << 20);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_root(st, &r1) == 0 && memcmp(r1.b, r2.b, 32) == 0);
	cl_state_free(st);
	cl_db_free(db);
	tmpdir_remove(dir);
}

/* Put (key, val) into the named LMDB database of an open write txn. */
static void raw_put(MDB_txn *txn, const char *name, const void *key,
		    size_t klen, const void *val, size_t vlen)
{
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	CHECK(mdb_dbi_open(txn, name, 0, &dbi) == 0);
	CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
}

static void test_migration_2(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 8u << 20);
	struct cl_state *st, *mem = cl_state_new_memory();
	struct cl_hash32 r1, r2, rec, want;
	uint8_t key[24], val[9], be[4];
	MDB_env *env;
	MDB_txn *txn;

	/* what schema 1 committed: accounts, with a root over them only */
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	/* more than SMT_STORE_MIN, so the tree has a stored node */
	for (unsigned i = 0; i < 80; i++) {
		memset(key, (int)i + 1, 20);
		cl_put_be64(val, i);
		cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20, val, 8);
		cl_state_put(mem, CL_TABLE_ACCOUNTS, key, 20, val, 8);
	}
	CHECK(cl_state_commit_block(st, &r1) == CL_OK);
	cl_state_free(st);
	cl_db_free(db);

	/* schema 1 kept liq_index and liq_multi as local tables: entries
	 * in their databases, no leaves, and the version said 1 */
	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 64) == 0);
	CHECK(mdb_env_set_mapsize(env, 8u << 20) == 0);
	CHECK(mdb_env_open(env, dir, MDB_NOTLS, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	for (unsigned i = 0; i < 12; i++) {
		memset(key, (int)i + 1, 20);
		cl_put_be32(key + 20, i % 3);
		val[0] = 0;
		cl_put_be64(val + 1, 1000 + i);
		raw_put(txn, "liq_index", key, 24, val, 9);
		cl_state_put(mem, CL_TABLE_LIQ_INDEX, key, 24, val, 9);
		if (i % 4 == 0) {
			raw_put(txn, "liq_multi", key, 20, val, 1);
			cl_state_put(mem, CL_TABLE_LIQ_MULTI, key, 20, val, 1);
		}
	}
	cl_put_be32(be, 1);
	raw_put(txn, "meta", "schema_version", 14, be, 4);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	CHECK(cl_state_commit_block(mem, &want) == CL_OK);
	CHECK(!cl_hash32_eq(&r1, &want));

	/* opened by schema 2 (and on): the tree now covers them */
	db = db_open_at(dir, 8u << 20);
	CHECK(cl_db_schema_version(db) == CL_DB_SCHEMA_VERSION);
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	CHECK(cl_state_root(st, &r2) == CL_OK && cl_hash32_eq(&r2, &want));
	CHECK(cl_state_recompute_root(st, &rec) == CL_OK &&
	      cl_hash32_eq(&rec, &want));
	{
		uint64_t nodes;

		CHECK(cl_state_check_tree(st, &nodes) == CL_OK && nodes > 0);
	}
	cl_state_free(st);
	cl_db_free(db);
	/* and opened again, nothing more happens */
	db = db_open_at(dir, 8u << 20);
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	CHECK(cl_state_root(st, &r2) == CL_OK && cl_hash32_eq(&r2, &want));
	cl_state_free(st);
	cl_db_free(db);
	cl_state_free(mem);
	tmpdir_remove(dir);
}

/* Every internal node of the tree over the sorted leaves l[0..n) at
 * `depth`, by a rule of its own: key prefix ‖ depth (schema 3 and on),
 * hash, and its number of leaves. */
struct ref_node {
	uint8_t key[33];
	uint8_t h[32];
	size_t leaves;
};

static void ref_nodes(uint8_t out[32], const struct ref_leaf *l, size_t n,
		      unsigned depth, struct ref_node **v, size_t *nv,
		      size_t *cap)
{
	uint8_t a[32], b[32];
	size_t m = 0;
	struct ref_node *x;

	if (n < 2) {
		ref_build(out, l, n, depth);
		return;
	}
	while (m < n && !ref_bit(l[m].path, depth))
		m++;
	ref_nodes(a, l, m, depth + 1, v, nv, cap);
	ref_nodes(b, l + m, n - m, depth + 1, v, nv, cap);
	ref_node_hash(out, a, b);
	if (*nv == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*v = cl_xrealloc(*v, *cap * sizeof(**v));
	}
	x = &(*v)[(*nv)++];
	memset(x->key, 0, 33);
	for (unsigned i = 0; i < depth; i++)
		if (ref_bit(l[0].path, i))
			x->key[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	x->key[32] = (uint8_t)depth;
	memcpy(x->h, out, 32);
	x->leaves = n;
}

static void account_kv(uint8_t key[20], uint8_t val[8], unsigned i)
{
	cl_put_be32(key, i);
	memset(key + 4, 7, 16);
	cl_put_be64(val, (uint64_t)i * 3);
}

/*
 * A store written in an old layout of smt_nodes, made here with LMDB
 * itself from a tree computed by the test's own rule: every internal
 * node, keyed depth ‖ prefix (schema 2) or prefix ‖ depth (schema 3),
 * or those over 16 leaves or more (schema 4). Opened, it is rewritten
 * to schema 5, which stores the nodes over STORE_MIN (64) leaves or more
 * only: the same root, exactly those nodes, proofs from a snapshot byte
 * for byte a memory state's, and the writer goes on.
 */
#define STORE_MIN 64 /* SMT_STORE_MIN, src/state/state_int.h */
static void test_migration_from(uint32_t version)
{
	enum { N = 3000 };
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 16u << 20);
	struct cl_state *st, *mem = cl_state_new_memory();
	struct cl_snapshot *snap;
	struct cl_hash32 r1, r2, r3;
	struct ref_leaf *l = cl_xcalloc(N, sizeof(*l));
	struct ref_node *nodes = NULL;
	uint8_t key[20], val[8], be[4], root[32];
	size_t nn = 0, cap = 0, upper = 0;
	uint64_t stored;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	for (unsigned i = 0; i < N; i++) {
		account_kv(key, val, i);
		cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20, val, 8);
		cl_state_put(mem, CL_TABLE_ACCOUNTS, key, 20, val, 8);
		ref_path(l[i].path, CL_TABLE_ACCOUNTS, key, 20);
		cl_keccak256(l[i].vh, val, 8);
	}
	CHECK(cl_state_commit_block(st, &r1) == CL_OK);
	CHECK(cl_state_commit_block(mem, &r2) == CL_OK);
	CHECK(cl_hash32_eq(&r1, &r2));
	cl_state_free(st);
	cl_db_free(db);
	qsort(l, N, sizeof(*l), ref_leaf_cmp);
	ref_nodes(root, l, N, 0, &nodes, &nn, &cap);
	CHECK(memcmp(root, r1.b, 32) == 0);
	for (size_t i = 0; i < nn; i++)
		upper += nodes[i].leaves >= STORE_MIN;
	CHECK(nn >= N - 1 && upper > 0 && upper < nn / 4);

	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 64) == 0);
	CHECK(mdb_env_set_mapsize(env, 16u << 20) == 0);
	CHECK(mdb_env_open(env, dir, MDB_NOTLS, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "smt_nodes", 0, &dbi) == 0);
	CHECK(mdb_drop(txn, dbi, 0) == 0);
	for (size_t i = 0; i < nn; i++) {
		uint8_t k[33];

		if (version == 4 && nodes[i].leaves < 16)
			continue; /* schema 4 stored the nodes over 16 */
		if (version == 2) {
			k[0] = nodes[i].key[32]; /* depth first */
			memcpy(k + 1, nodes[i].key, 32);
		} else {
			memcpy(k, nodes[i].key, 33);
		}
		raw_put(txn, "smt_nodes", k, 33, nodes[i].h, 32);
	}
	cl_put_be32(be, version);
	raw_put(txn, "meta", "schema_version", 14, be, 4);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);

	db = db_open_at(dir, 16u << 20);
	CHECK(cl_db_schema_version(db) == CL_DB_SCHEMA_VERSION);
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	CHECK(cl_state_root(st, &r2) == CL_OK && cl_hash32_eq(&r1, &r2));
	CHECK_MSG(cl_state_check_tree(st, &stored) == CL_OK &&
		  stored == upper, "%" PRIu64 " nodes stored, %zu expected",
		  stored, upper);
	cl_state_free(st);
	/* proofs read from LMDB, byte for byte the memory state's */
	CHECK(cl_snapshot_new(&snap, db) == CL_OK);
	for (unsigned i = 0; i < N + 200; i += 7) {
		struct cl_proof p1, p2;
		struct cl_buf e1, e2;

		account_kv(key, val, i);
		CHECK(cl_snapshot_prove(snap, &p1, CL_TABLE_ACCOUNTS, key,
					20) == CL_OK);
		CHECK(cl_state_prove(mem, &p2, CL_TABLE_ACCOUNTS, key, 20) ==
		      CL_OK);
		CHECK((p1.kind == CL_PROOF_INCLUSION) == (i < N));
		cl_buf_init(&e1);
		cl_buf_init(&e2);
		cl_proof_encode(&e1, &p1);
		cl_proof_encode(&e2, &p2);
		CHECK_MSG(buf_eq(&e1, &e2), "key %u: proofs differ", i);
		cl_buf_release(&e1);
		cl_buf_release(&e2);
	}
	cl_snapshot_free(snap);
	/* and the writer goes on from it */
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	for (unsigned i = 0; i < 40; i++) {
		account_kv(key, val, i * 71);
		val[0] ^= 0x55;
		cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20, val, 8);
		cl_state_put(mem, CL_TABLE_ACCOUNTS, key, 20, val, 8);
		account_kv(key, val, i * 71 + 3);
		cl_state_del(st, CL_TABLE_ACCOUNTS, key, 20);
		cl_state_del(mem, CL_TABLE_ACCOUNTS, key, 20);
	}
	CHECK(cl_state_commit_block(st, &r2) == CL_OK);
	CHECK(cl_state_commit_block(mem, &r3) == CL_OK);
	CHECK(cl_hash32_eq(&r2, &r3));
	CHECK(cl_state_check_tree(st, &stored) == CL_OK);
	cl_state_free(st);
	cl_db_free(db);
	cl_state_free(mem);
	free(l);
	free(nodes);
	tmpdir_remove(dir);
}

/* Where the file's pages go: a table's entries and pages, smt_leaves one
 * entry per committed key, the sums and the free list bounded by the
 * file; what the state log holds is in LMDB once the writer closes. */
static const struct cl_db_table_space *space_of(const struct cl_db_space *sp,
						 const char *name)
{
	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->t[i].name, name) == 0)
			return &sp->t[i];
	return NULL;
}

static void test_space(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db *db = db_open_at(dir, 64u << 20);
	struct cl_state *st;
	struct cl_db_space sp, sp2;
	struct cl_hash32 r;
	uint8_t k[4], v[200];
	const struct cl_db_table_space *mk, *lv, *nd;

	CHECK(cl_db_space(db, &sp) == CL_OK);
	CHECK(sp.page_size >= 512 && sp.file_pages >= sp.meta_pages);
	CHECK(sp.map_pages == (64u << 20) / sp.page_size);
	mk = space_of(&sp, "markets");
	CHECK(mk && mk->entries == 0 && mk->pages == 0);

	memset(v, 0x5a, sizeof(v));
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	for (unsigned b = 0; b < 4; b++) {
		for (unsigned i = 0; i < 1000; i++) {
			cl_put_be32(k, b * 1000 + i);
			cl_state_put(st, CL_TABLE_MARKETS, k, 4, v, sizeof(v));
		}
		CHECK(cl_state_commit_block(st, &r) == CL_OK);
	}
	/* a thousand removed: their pages go back to the free list */
	for (unsigned i = 0; i < 1000; i++) {
		cl_put_be32(k, i);
		cl_state_del(st, CL_TABLE_MARKETS, k, 4);
	}
	CHECK(cl_state_commit_block(st, &r) == CL_OK);
	cl_state_free(st); /* the log's last checkpoint */

	CHECK(cl_db_space(db, &sp) == CL_OK);
	mk = space_of(&sp, "markets");
	lv = space_of(&sp, "smt_leaves");
	nd = space_of(&sp, "smt_nodes");
	CHECK(mk && lv && nd);
	CHECK(mk->entries == 3000);
	/* 3000 values of 200 bytes and their keys: more than 150 pages of
	 * 4 KiB, leaves and branches */
	CHECK(mk->leaf_pages * sp.page_size >= 3000u * 200u);
	CHECK(mk->pages > mk->leaf_pages && mk->depth >= 2);
	CHECK(lv->entries == 3000);
	CHECK(nd->entries > 0);
	uint64_t sum = 0;
	for (size_t i = 0; i < sp.n; i++)
		sum += sp.t[i].pages;
	CHECK(sum == sp.table_pages);
	CHECK(sp.table_pages + sp.meta_pages + sp.free_list_pages +
		      sp.free_pages <= sp.file_pages);
	CHECK(sp.free_pages > 0);
	CHECK(sp.file_pages <= sp.map_pages);
	/* nothing written: the same again */
	CHECK(cl_db_space(db, &sp2) == CL_OK);
	CHECK(sp2.file_pages == sp.file_pages &&
	      sp2.table_pages == sp.table_pages &&
	      sp2.free_pages == sp.free_pages);
	cl_db_free(db);
	tmpdir_remove(dir);
}

/*
 * The state log's last checkpoint, at the writer's close, rewrites every
 * key in many LMDB transactions; the pages each frees are reused by the
 * next ones (no read of the writer's is held over it), so the file does
 * not grow by what the checkpoint rewrote.
 */
static void put_all(struct cl_db *db, uint8_t fill)
{
	struct cl_state *st;
	struct cl_hash32 r;
	uint8_t k[4], v[100];

	memset(v, fill, sizeof(v));
	CHECK(cl_state_new_lmdb(&st, db) == CL_OK);
	for (unsigned b = 0; b < 4; b++) {
		for (unsigned i = 0; i < 2000; i++) {
			cl_put_be32(k, b * 2000 + i);
			cl_state_put(st, CL_TABLE_MARKETS, k, 4, v, sizeof(v));
		}
		/* a read between blocks, as the stf's */
		const uint8_t *got;
		size_t n;
		CHECK(cl_state_get(st, &got, &n, CL_TABLE_MARKETS, k, 4) ==
		      CL_OK);
		CHECK(cl_state_commit_block(st, &r) == CL_OK);
	}
	cl_state_free(st);
}

static void test_space_close(void)
{
	char *dir = tmpdir_make("db");
	struct cl_db_config cfg = { .path = dir, .map_size = 256u << 20,
				    .checkpoint_ms = 3600000,
				    .checkpoint_txn_entries = 512 };
	struct cl_db *db = NULL;
	struct cl_db_space a, b;

	CHECK(cl_db_new(&db, &cfg) == CL_OK);
	put_all(db, 1);
	CHECK(cl_db_space(db, &a) == CL_OK);
	put_all(db, 2); /* every key again: every page rewritten */
	CHECK(cl_db_space(db, &b) == CL_OK);
	const struct cl_db_table_space *mk = space_of(&b, "markets");
	CHECK(mk && mk->entries == 8000);
	CHECK(b.table_pages >= a.table_pages / 2);
	/* the second checkpoint found room in the pages the first freed
	 * and in its own transactions' frees: the file grew by far less
	 * than it rewrote */
	CHECK(b.free_pages * 2 < b.table_pages);
	CHECK(b.file_pages < a.file_pages + a.table_pages / 2);
	cl_db_free(db);
	tmpdir_remove(dir);
}

int main(void)
{
	test_open_rules();
	test_snapshot_isolation();
	test_map_full();
	test_space();
	test_space_close();
	test_migration_2();
	test_migration_from(2);
	test_migration_from(4);
	test_migration_from(3);
	return test_done("test_db");
}
