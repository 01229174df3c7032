/* SPDX-License-Identifier: MIT */
/*
 * The state log (docs/state.md "The state log"), against a memory state
 * given the same blocks:
 *  - a writer committing through the log with checkpoints every
 *    millisecond, and one with none until the close (its blocks merged
 *    as they pile up), gives the model's root after every block, and
 *    the model's contents through its merged iterators;
 *  - snapshots keep the block they were opened on (root, contents,
 *    proofs) while later blocks are committed and checkpointed;
 *  - a child that commits and exits without closing leaves log files
 *    and an older checkpoint; the next open replays them to the child's
 *    root;
 *  - a torn last record is dropped (the block before it comes back), a
 *    damaged record before another file is refused, and so is a log
 *    whose entries do not give the root it recorded: LMDB stays as it
 *    was;
 *  - a full map fails a checkpoint, and then every commit, until a
 *    larger map replays the log to the last committed block.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <lmdb.h>

#include <clearline/crypto.h>

#include "state_util.h"

#include <time.h>

#define MAP_SIZE (64u << 20)
#define KEYS 3000

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The writes of block b: a function of (seed, b) only. */
static void block_apply(struct cl_state *st, uint64_t seed, uint64_t b)
{
	static const enum cl_table t[] = { CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS,
					   CL_TABLE_NODE };
	uint64_t s = seed ^ (b * 0xd1b54a32d192ed03ULL);
	unsigned n = mix(&s) % 6 == 0 ? 200 + (unsigned)(mix(&s) % 400)
				      : 1 + (unsigned)(mix(&s) % 30);
	uint8_t key[4], val[40];

	for (unsigned i = 0; i < n; i++) {
		enum cl_table tab = t[mix(&s) % 3];
		size_t vlen = (size_t)(mix(&s) % 40); /* empty values too */

		cl_put_be32(key, (uint32_t)(mix(&s) % KEYS));
		if (mix(&s) % 4 == 0) {
			cl_state_del(st, tab, key, 1 + mix(&s) % 4);
			continue;
		}
		for (size_t j = 0; j < vlen; j++)
			val[j] = (uint8_t)mix(&s);
		cl_state_put(st, tab, key, 1 + mix(&s) % 4, val, vlen);
	}
}

static struct cl_db *open_db(const char *dir, unsigned ms, uint64_t bytes,
			     uint32_t txn_entries)
{
	struct cl_db_config cfg = { .path = dir,
				    .map_size = MAP_SIZE,
				    .checkpoint_ms = ms,
				    .checkpoint_bytes = bytes,
				    .checkpoint_txn_entries = txn_entries };
	struct cl_db *db = NULL;
	int rc = cl_db_new(&db, &cfg);

	CHECK_MSG(rc == 0, "open: %s", cl_err_str(rc));
	return db;
}

static void snap_dump(struct cl_snapshot *s, struct cl_buf *out)
{
	const struct cl_table_info *t;
	size_t nt;

	cl_buf_reset(out);
	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;

		CHECK(cl_snapshot_iter_new(&it, s, t[i].id, NULL, 0) == 0);
		dump_iter(out, it, (uint8_t)t[i].id);
	}
}

static size_t count_logs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	CHECK(d != NULL);
	while (d && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "state-log-", 10) == 0;
	if (d)
		closedir(d);
	return n;
}

/* The path of the one log file in dir (malloc'd). */
static char *only_log(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *path = NULL;

	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "state-log-", 10) == 0) {
			size_t n = strlen(dir) + strlen(de->d_name) + 2;
			free(path);
			path = cl_xmalloc(n);
			snprintf(path, n, "%s/%s", dir, de->d_name);
		}
	if (d)
		closedir(d);
	CHECK(path != NULL);
	return path;
}

static void read_all(const char *path, struct cl_buf *b)
{
	FILE *f = fopen(path, "rb");
	uint8_t chunk[4096];
	size_t n;

	cl_buf_reset(b);
	CHECK(f != NULL);
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cl_buf_append(b, chunk, n);
	if (f)
		fclose(f);
}

static void write_all(const char *path, const struct cl_buf *b)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(b->p, 1, b->len, f) == b->len);
		fclose(f);
	}
}

/* The writer and snapshots against the model: checkpoints every ms
 * (`often`), or none until the close, the blocks merged as they pile up. */
/* Step `a` (on the layered state `st`) and `b` (on the model) together,
 * `steps` at most, refreshing `st` before each step when `refresh`:
 * the same keys and values, and the end at the same step. Frees both. */
static void iters_agree(struct cl_state *st, bool refresh,
			struct cl_state_iter *a, struct cl_state_iter *b,
			int steps, const char *what)
{
	for (int step = 0; step < steps; step++) {
		const uint8_t *ka, *va, *kb, *vb;
		size_t kla, vla, klb, vlb;

		if (refresh)
			cl_state_refresh(st); /* an iterator is open: nothing */
		int ra = cl_state_iter_next(a, &ka, &kla, &va, &vla);
		int rb = cl_state_iter_next(b, &kb, &klb, &vb, &vlb);
		CHECK_MSG(ra == rb, "%s, step %d: %d, the model %d", what,
			  step, ra, rb);
		if (ra != CL_OK || rb != CL_OK)
			break;
		CHECK_MSG(kla == klb && memcmp(ka, kb, kla) == 0 &&
				  vla == vlb &&
				  (vla == 0 || memcmp(va, vb, vla) == 0),
			  "%s, step %d differs from the model", what, step);
	}
	cl_state_iter_free(a);
	cl_state_iter_free(b);
}

/* Iterators started at keys inside the tables (not at their starts),
 * a few steps each, the same on the layered state as on the model: a
 * seek lands in each delta's entries of its own table only. */
static void seeks_agree(struct cl_state *st, struct cl_state *model,
			uint64_t s)
{
	static const enum cl_table t[] = { CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS,
					   CL_TABLE_NODE };

	for (int i = 0; i < 30; i++) {
		struct cl_state_iter *a, *b;
		uint8_t key[4];
		size_t klen = 1 + mix(&s) % 4;

		cl_put_be32(key, (uint32_t)(mix(&s) % (KEYS + 100)));
		CHECK(cl_state_iter_new(&a, st, t[i % 3], key, klen) == 0);
		CHECK(cl_state_iter_new(&b, model, t[i % 3], key, klen) == 0);
		iters_agree(st, false, a, b, 4, "a seek");
	}
}

/*
 * Between requests the writer may end its LMDB read (cl_state_refresh)
 * when a checkpoint transaction has committed meanwhile: reads after it
 * agree with the model, and an iterator open across it keeps its place
 * (no refresh while one is open).
 */
static void reads_agree(struct cl_state *st, struct cl_state *model,
			uint64_t s)
{
	static const enum cl_table t[] = { CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS,
					   CL_TABLE_NODE };

	for (int i = 0; i < 40; i++) {
		const uint8_t *va, *vb;
		size_t la, lb, klen = 1 + mix(&s) % 4;
		uint8_t key[4];

		cl_state_refresh(st);
		cl_put_be32(key, (uint32_t)(mix(&s) % KEYS));
		int ra = cl_state_get(st, &va, &la, t[i % 3], key, klen);
		int rb = cl_state_get(model, &vb, &lb, t[i % 3], key, klen);
		CHECK_MSG(ra == rb && la == lb &&
				  (la == 0 || memcmp(va, vb, la) == 0),
			  "a read after a refresh differs from the model");
	}
	struct cl_state_iter *a, *b;
	CHECK(cl_state_iter_new(&a, st, CL_TABLE_ORDERS, NULL, 0) == 0);
	CHECK(cl_state_iter_new(&b, model, CL_TABLE_ORDERS, NULL, 0) == 0);
	iters_agree(st, true, a, b, 8, "an iterator across refreshes");
}

/*
 * A checkpoint in many small transactions runs while the writer holds an
 * iterator: the writer's read ends only once no iterator is open, and
 * the reads after it still give what was written.
 */
static void test_refresh(void)
{
	char *dir = tmpdir_make("slog");
	struct cl_db *db = open_db(dir, 1, 32u << 10, 100);
	struct cl_db_log_stats ls;
	struct cl_state *st;
	struct cl_state_iter *it;
	struct cl_hash32 r;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint8_t key[4], val[8];

	CHECK(cl_state_new_lmdb(&st, db) == 0);
	for (uint32_t i = 0; i < 20000; i++) {
		cl_put_be32(key, i);
		cl_put_be64(val, (uint64_t)i * 7);
		cl_state_put(st, CL_TABLE_ORDERS, key, 4, val, 8);
	}
	/* the commit starts a checkpoint of some 40 000 entries (the
	 * table's and smt_leaves') in transactions of 100, each synced */
	CHECK(cl_state_commit_block(st, &r) == 0);
	CHECK(cl_state_iter_new(&it, st, CL_TABLE_ORDERS, NULL, 0) == 0);
	CHECK(cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK);
	cl_db_log_stats(db, &ls);
	uint64_t txns = ls.txns, refreshes = ls.refreshes;
	for (int i = 0; i < 5000 && ls.txns == txns; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		cl_db_log_stats(db, &ls);
	}
	CHECK_MSG(ls.txns > txns, "no checkpoint transaction in 5 s");
	cl_state_refresh(st);
	cl_db_log_stats(db, &ls);
	CHECK_MSG(ls.refreshes == refreshes,
		  "the read ended under an open iterator");
	CHECK(cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK);
	CHECK(kl == 4 && cl_get_be32(k) == 1 && vl == 8 &&
	      cl_get_be64(v) == 7);
	cl_state_iter_free(it);
	cl_state_refresh(st);
	cl_db_log_stats(db, &ls);
	CHECK_MSG(ls.refreshes == refreshes + 1,
		  "the read did not end once the iterator was closed");
	for (uint32_t i = 0; i < 20000; i += 997) {
		cl_put_be32(key, i);
		CHECK(cl_state_get(st, &v, &vl, CL_TABLE_ORDERS, key, 4) ==
			      CL_OK &&
		      vl == 8 && cl_get_be64(v) == (uint64_t)i * 7);
		cl_state_refresh(st);
	}
	cl_state_free(st);
	cl_db_free(db);
	tmpdir_remove(dir);
}

static void test_differential(uint64_t seed, bool often)
{
	char *dir = tmpdir_make("slog");
	/* often: small checkpoint transactions, a large block alone and
	 * small ones together */
	struct cl_db *db = often ? open_db(dir, 1, 32u << 10, 200)
				 : open_db(dir, 3600000, 1u << 30, 0);
	struct cl_state *st, *model = cl_state_new_memory();
	struct cl_snapshot *snap = NULL;
	struct cl_hash32 r1, r2, snap_root;
	struct cl_buf d1, d2, snap_want;
	uint64_t snap_until = 0, snaps = 0, most_held = 0;
	struct cl_db_log_stats ls;

	cl_buf_init(&d1);
	cl_buf_init(&d2);
	cl_buf_init(&snap_want);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	for (uint64_t b = 1; b <= 300; b++) {
		block_apply(st, seed, b);
		block_apply(model, seed, b);
		reads_agree(st, model, seed ^ (b << 8));
		if (b % 37 == 0) {
			/* a discarded block leaves nothing behind */
			cl_state_discard(st);
			cl_state_discard(model);
			continue;
		}
		CHECK(cl_state_commit_block(st, &r1) == 0);
		CHECK(cl_state_commit_block(model, &r2) == 0);
		CHECK_MSG(memcmp(r1.b, r2.b, 32) == 0, "block %" PRIu64
			  ": root differs from the model", b);
		CHECK(cl_state_root(st, &r1) == 0);
		CHECK(memcmp(r1.b, r2.b, 32) == 0);
		cl_db_log_stats(db, &ls);
		if (ls.held_blocks > most_held)
			most_held = ls.held_blocks;
		if (b % 10 == 0) {
			state_dump(st, &d1);
			state_dump(model, &d2);
			CHECK_MSG(buf_eq(&d1, &d2), "block %" PRIu64
				  ": contents differ", b);
		}
		if (b % 3 == 0)
			seeks_agree(st, model, seed ^ b);
		if (snap && b >= snap_until) {
			struct cl_hash32 again;
			snap_dump(snap, &d1);
			CHECK_MSG(buf_eq(&d1, &snap_want),
				  "a snapshot moved with later blocks");
			CHECK(cl_snapshot_root(snap, &again) == 0);
			CHECK(memcmp(again.b, snap_root.b, 32) == 0);
			CHECK(cl_snapshot_recompute_root(snap, &again) == 0);
			CHECK(memcmp(again.b, snap_root.b, 32) == 0);
			cl_snapshot_free(snap);
			snap = NULL;
		}
		if (!snap && b % 7 == 0) {
			uint8_t key[4] = { 0 };
			struct cl_proof p;
			CHECK(cl_snapshot_new(&snap, db) == 0);
			CHECK(cl_snapshot_root(snap, &snap_root) == 0);
			CHECK(memcmp(snap_root.b, r2.b, 32) == 0);
			snap_dump(snap, &snap_want);
			state_dump(model, &d2);
			CHECK(buf_eq(&snap_want, &d2));
			cl_put_be32(key, (uint32_t)(b % KEYS));
			CHECK(cl_snapshot_prove(snap, &p, CL_TABLE_ACCOUNTS,
						key, 1) == 0);
			snap_until = b + 3 + b % 20;
			snaps++;
		}
	}
	cl_snapshot_free(snap);
	cl_db_log_stats(db, &ls);
	/* LMDB was behind the writer, and caught up many times; or, without
	 * checkpoints, the blocks were merged again and again */
	if (often)
		CHECK_MSG(ls.checkpoints > 20 && most_held >= 1 &&
				  ls.failures == 0 &&
				  ls.txns > ls.checkpoints &&
				  ls.refreshes > 0,
			  "%" PRIu64 " checkpoints in %" PRIu64
			  " transactions, at most %" PRIu64 " blocks held, "
			  "%" PRIu64 " reads ended between requests",
			  ls.checkpoints, ls.txns, most_held, ls.refreshes);
	else
		CHECK_MSG(ls.checkpoints == 0 && ls.merges > 20 &&
				  most_held >= 7 && most_held < 16,
			  "%" PRIu64 " checkpoints, %" PRIu64
			  " merges, at most %" PRIu64 " blocks held",
			  ls.checkpoints, ls.merges, most_held);
	cl_state_free(st);
	/* a clean close leaves LMDB whole and no log behind */
	CHECK(count_logs(dir) == 0);
	cl_db_free(db);
	db = open_db(dir, 0, 0, 0);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_root(st, &r1) == 0);
	CHECK(cl_state_root(model, &r2) == 0);
	CHECK(memcmp(r1.b, r2.b, 32) == 0);
	uint64_t nodes;
	CHECK(cl_state_check_tree(st, &nodes) == 0);
	cl_state_free(st);
	cl_db_free(db);
	CHECK(snaps > 10);
	cl_state_free(model);
	cl_buf_release(&d1);
	cl_buf_release(&d2);
	cl_buf_release(&snap_want);
	tmpdir_remove(dir);
}

/* A child commits blocks 1..n through the log (no checkpoint) and exits
 * without closing; roots[b] gets block b's root. */
static void child_commits(const char *dir, uint64_t seed, uint64_t n,
			  struct cl_hash32 *roots)
{
	int fds[2], status;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct cl_db *db;
		struct cl_state *st;
		struct cl_db_config cfg = { .path = dir,
					    .map_size = MAP_SIZE,
					    .checkpoint_ms = 3600000,
					    .checkpoint_bytes = 1u << 30 };
		struct cl_hash32 r;

		close(fds[0]);
		if (cl_db_new(&db, &cfg) || cl_state_new_lmdb(&st, db))
			_exit(3);
		for (uint64_t b = 1; b <= n; b++) {
			block_apply(st, seed, b);
			if (cl_state_commit_block(st, &r) ||
			    write(fds[1], r.b, 32) != 32)
				_exit(4);
		}
		_exit(0); /* no close: as a crash leaves it */
	}
	close(fds[1]);
	for (uint64_t b = 1; b <= n; b++)
		CHECK(read(fds[0], roots[b].b, 32) == 32);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
}

static void root_is(const char *dir, const struct cl_hash32 *want)
{
	struct cl_db *db = open_db(dir, 0, 0, 0);
	struct cl_state *st;
	struct cl_hash32 r;

	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_root(st, &r) == 0);
	CHECK_MSG(memcmp(r.b, want->b, 32) == 0, "replayed root differs");
	CHECK(cl_state_recompute_root(st, &r) == 0);
	CHECK(memcmp(r.b, want->b, 32) == 0);
	cl_state_free(st);
	cl_db_free(db);
	CHECK(count_logs(dir) == 0);
}

/* The offset of the last record of a log file. */
static size_t last_record(const struct cl_buf *b)
{
	size_t off = 0, last = 0;

	while (off + 8 <= b->len) {
		last = off;
		off += 8 + cl_get_be32(b->p + off + 4) + 16;
	}
	CHECK(off == b->len);
	return last;
}

/* Set (or with part 0 remove) meta/log_part in LMDB itself, as a
 * checkpoint stopped between its transactions leaves it; returns the
 * checkpoint's block (meta/log_seq). */
static uint64_t mark_part(const char *dir, uint64_t ahead)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 7, (void *)"log_seq" }, v;
	uint8_t be[8];
	uint64_t seq = 0;

	CHECK(mdb_env_create(&env) == 0);
	CHECK(mdb_env_set_maxdbs(env, 64) == 0);
	CHECK(mdb_env_set_mapsize(env, MAP_SIZE) == 0);
	CHECK(mdb_env_open(env, dir, 0, 0600) == 0);
	CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
	if (mdb_get(txn, dbi, &k, &v) == 0) {
		CHECK(v.mv_size == 8);
		seq = cl_get_be64(v.mv_data);
	}
	k = (MDB_val){ 8, (void *)"log_part" };
	if (ahead) {
		cl_put_be64(be, seq + ahead);
		v = (MDB_val){ 8, be };
		CHECK(mdb_put(txn, dbi, &k, &v, 0) == 0);
	} else {
		CHECK(mdb_del(txn, dbi, &k, NULL) == 0);
	}
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
	return seq;
}

/* cl_db_new refuses the database with CL_ERR_CORRUPT, and its log says
 * `text`. */
static void refused_saying(const struct cl_db_config *cfg, const char *text)
{
	FILE *f = tmpfile();
	struct cl_db *db = NULL;
	char got[4096];

	CHECK(f != NULL);
	cl_log_set_fd(fileno(f));
	cl_log_min_level = CL_LOG_UNUSUAL;
	CHECK(cl_db_new(&db, cfg) == CL_ERR_CORRUPT);
	cl_log_min_level = CL_LOG_BROKEN;
	cl_log_set_fd(2);
	rewind(f);
	size_t n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	fclose(f);
	CHECK_MSG(strstr(got, text) != NULL, "the log says \"%s\", not \"%s\"",
		  got, text);
}

static void test_replay(uint64_t seed)
{
	char *dir = tmpdir_make("slog-replay");
	struct cl_hash32 roots[41], zero = { { 0 } };
	struct cl_buf b, keep;
	char *path;
	size_t at;

	cl_buf_init(&b);
	cl_buf_init(&keep);
	/* 1. a crash leaves the log: replayed at open */
	child_commits(dir, seed, 40, roots);
	CHECK(count_logs(dir) == 1);
	root_is(dir, &roots[40]);

	/* 2. a torn last record: the block before it */
	child_commits(dir, seed ^ 1, 20, roots);
	path = only_log(dir);
	read_all(path, &b);
	b.len -= 5;
	write_all(path, &b);
	root_is(dir, &roots[19]);
	free(path);

	/* 3. a flipped byte in the last record: dropped the same way */
	child_commits(dir, seed ^ 2, 10, roots);
	path = only_log(dir);
	read_all(path, &b);
	b.p[last_record(&b) + 20] ^= 0x40;
	write_all(path, &b);
	root_is(dir, &roots[9]);
	free(path);

	/* 4. damage before a later file: refused, nothing changed */
	{
		struct cl_hash32 before;
		struct cl_db *db;
		struct cl_db_config cfg = { .path = dir, .map_size = MAP_SIZE };

		db = open_db(dir, 0, 0, 0);
		struct cl_state *st;
		CHECK(cl_state_new_lmdb(&st, db) == 0);
		CHECK(cl_state_root(st, &before) == 0);
		cl_state_free(st);
		cl_db_free(db);

		child_commits(dir, seed ^ 3, 8, roots);
		path = only_log(dir);
		read_all(path, &b);
		cl_buf_reset(&keep);
		cl_buf_append(&keep, b.p, b.len);
		b.p[last_record(&b) + 20] ^= 0x40;
		write_all(path, &b);
		char later[4096];
		snprintf(later, sizeof(later), "%s/state-log-%016x", dir,
			 0x7fffffffu);
		write_all(later, &keep);
		CHECK(cl_db_new(&db, &cfg) == CL_ERR_CORRUPT);
		CHECK(remove(later) == 0);

		/* 5. a record that does not give its root: refused */
		at = last_record(&keep);
		size_t body = cl_get_be32(keep.p + at + 4);
		CHECK(body >= 44);
		/* the root it recorded (after the block's seq) */
		keep.p[at + 8 + 8] ^= 0x01;
		cl_checksum16(keep.p + at + 8 + body, keep.p + at + 8, body);
		write_all(path, &keep);
		CHECK(cl_db_new(&db, &cfg) == CL_ERR_CORRUPT);
		CHECK(count_logs(dir) == 1);
		CHECK(remove(path) == 0);
		free(path);
		/* LMDB is still at the checkpoint before the child */
		root_is(dir, &before);
		CHECK(memcmp(before.b, zero.b, 32) != 0);

		/* 6. LMDB holds part of a checkpoint to a block the log does
		 * not reach, then with no log at all: refused, nothing
		 * changed; without the mark it opens where it was */
		child_commits(dir, seed ^ 4, 6, roots);
		CHECK(count_logs(dir) == 1);
		uint64_t seq = mark_part(dir, 7);
		char says[160];
		snprintf(says, sizeof(says), "completes it ends at block %" PRIu64,
			 seq + 6);
		refused_saying(&cfg, says);
		CHECK(count_logs(dir) == 1);
		path = only_log(dir);
		CHECK(remove(path) == 0);
		free(path);
		CHECK(mark_part(dir, 7) == seq);
		refused_saying(&cfg, "completes it is gone");
		CHECK(mark_part(dir, 0) == seq);
		root_is(dir, &before);

		/* 7. LMDB holds part of a checkpoint the log completes: the
		 * open writes every replayed key again and rebuilds the stored
		 * tree (through a tree in memory), exactly the tree's nodes */
		child_commits(dir, seed ^ 5, 30, roots);
		seq = mark_part(dir, 9);
		db = open_db(dir, 0, 0, 0);
		struct cl_db_log_stats ls;
		cl_db_log_stats(db, &ls);
		CHECK(ls.open_part == seq + 9);
		CHECK(cl_state_new_lmdb(&st, db) == 0);
		struct cl_hash32 r;
		uint64_t nodes = 0;
		CHECK(cl_state_root(st, &r) == 0);
		CHECK_MSG(memcmp(r.b, roots[30].b, 32) == 0,
			  "the completed checkpoint's root differs");
		CHECK(cl_state_check_tree(st, &nodes) == 0);
		CHECK_MSG(nodes > 0, "no stored node to rebuild");
		/* the writer took the rebuild's tree: its first block builds
		 * none of its own, and gives the root the tables give */
		uint8_t k[4] = { 0xfe, 0xed, 0, 1 }, v[3] = { 1, 2, 3 };
		struct cl_state_stats ss;
		struct cl_hash32 again;
		cl_state_put(st, CL_TABLE_ACCOUNTS, k, 4, v, 3);
		CHECK(cl_state_commit_block(st, &r) == 0);
		cl_state_stats(st, &ss);
		CHECK_MSG(ss.tree_bytes > 0 && ss.load_ns == 0,
			  "the first block built its own tree (%" PRIu64
			  " ns)", ss.load_ns);
		CHECK(cl_state_recompute_root(st, &again) == 0);
		CHECK(memcmp(again.b, r.b, 32) == 0);
		CHECK(cl_state_check_tree(st, &nodes) == 0);
		cl_state_free(st);
		cl_db_free(db);
		root_is(dir, &r);
	}
	cl_buf_release(&b);
	cl_buf_release(&keep);
	tmpdir_remove(dir);
}

/* The map fills: a checkpoint fails, and from then on commits fail with
 * CL_ERR_MAP_FULL (nothing piles up); every block committed before is in
 * the log, and a larger map replays it. */
static void test_map_full(void)
{
	char *dir = tmpdir_make("slog-full");
	struct cl_db_config cfg = { .path = dir, .map_size = 1u << 20,
				    .checkpoint_ms = 1 };
	struct cl_db *db;
	struct cl_state *st;
	struct cl_hash32 last = { { 0 } }, r;
	uint8_t key[8], val[2000];
	uint64_t b;
	int rc = CL_OK;

	CHECK(cl_db_new(&db, &cfg) == 0);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	for (b = 1; b <= 2000 && rc == CL_OK; b++) {
		for (unsigned i = 0; i < 4; i++) {
			cl_put_be64(key, b * 4 + i);
			memset(val, (int)(b + i), sizeof(val));
			cl_state_put(st, CL_TABLE_ORDERS, key, 8, val,
				     sizeof(val));
		}
		rc = cl_state_commit_block(st, &r);
		if (rc == CL_OK)
			last = r;
	}
	CHECK_MSG(rc == CL_ERR_MAP_FULL, "commits went on: %s after %" PRIu64
		  " blocks", cl_err_str(rc), b - 1);
	/* refused again, nothing kept */
	cl_state_discard(st);
	cl_put_be64(key, 1);
	cl_state_put(st, CL_TABLE_ORDERS, key, 8, val, 10);
	CHECK(cl_state_commit_block(st, &r) == CL_ERR_MAP_FULL);
	cl_state_discard(st);
	cl_state_free(st); /* its last checkpoint fails: the log stays */
	cl_db_free(db);
	CHECK(count_logs(dir) >= 1);
	cfg.map_size = 64u << 20;
	CHECK(cl_db_new(&db, &cfg) == 0);
	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_root(st, &r) == 0);
	CHECK_MSG(memcmp(r.b, last.b, 32) == 0,
		  "the larger map does not hold the last committed block");
	cl_state_free(st);
	cl_db_free(db);
	CHECK(count_logs(dir) == 0);
	tmpdir_remove(dir);
}

int main(void)
{
	uint64_t seed = test_seed();

	cl_log_min_level = CL_LOG_BROKEN;
	test_differential(seed, true);
	test_differential(seed, false);
	test_replay(seed);
	test_map_full();
	test_refresh();
	return test_done("test_statelog");
}
