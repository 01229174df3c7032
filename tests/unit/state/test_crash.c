/* SPDX-License-Identifier: MIT */
/*
 * Crash safety: a child process commits blocks to an LMDB store (small
 * ones, and one in eight of 256 to 755 writes, which the writer's tree
 * in memory hashes on two threads) and
 * reports each block number on a pipe after its commit returned; the
 * parent kills it with SIGKILL at random moments, then reopens the store
 * and checks that the stored root matches the tables' contents and the
 * stored tree nodes are exactly the tree's over 64 leaves or more
 * (cl_state_check_tree), that every
 * reported block is there, and that the state equals a model that applied
 * the same blocks (their contents derive from the block number).
 *
 * The child forks before it opens LMDB, and the parent has its environment
 * closed whenever it forks.
 *
 * With the argument `log` the child commits through the state log
 * (docs/state.md "The state log") with checkpoints every few
 * milliseconds and every 64 KiB of blocks, in LMDB transactions of 16 to
 * 127 entries, so kills land while a block is appended, while a
 * checkpoint is written, between its transactions (inside a block too,
 * leaving LMDB with part of the checkpoint, which the replay completes)
 * and while its files are removed; every reopen replays the log, and
 * every other one reads through a layer of its own.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state_util.h"

#define ROUNDS 200
#define MAP_SIZE (64u << 20)
#define KEYS 8000

static const uint8_t height_key[] = "height";
static bool use_log; /* the child commits through the state log */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void block_record(uint8_t out[32], uint64_t seed, uint64_t b)
{
	uint8_t buf[16];

	cl_put_be64(buf, seed);
	cl_put_be64(buf + 8, b);
	cl_keccak256(out, buf, sizeof(buf));
}

/* The writes of block b: a function of (seed, b) only. */
static void block_apply(struct cl_state *st, uint64_t seed, uint64_t b)
{
	static const enum cl_table t[] = { CL_TABLE_ACCOUNTS, CL_TABLE_ORDERS,
					   CL_TABLE_POSITIONS };
	uint64_t s = seed ^ (b * 0xd1b54a32d192ed03ULL);
	/* mostly small blocks; one in eight large enough for the writer
	 * to hash the tree on two threads and rewrite many tree nodes */
	unsigned n = mix(&s) % 8 == 0 ? 256 + (unsigned)(mix(&s) % 500)
				      : 1 + (unsigned)(mix(&s) % 40);
	uint8_t key[8], val[48], rec[32];

	for (unsigned i = 0; i < n; i++) {
		enum cl_table tab = t[mix(&s) % 3];
		size_t vlen = 8 + (size_t)(mix(&s) % 40);

		cl_put_be32(key, (uint32_t)(mix(&s) % KEYS));
		if (mix(&s) % 4 == 0) {
			cl_state_del(st, tab, key, 4);
			continue;
		}
		for (size_t j = 0; j < vlen; j++)
			val[j] = (uint8_t)mix(&s);
		cl_state_put(st, tab, key, 4, val, vlen);
	}
	cl_put_be64(key, b);
	block_record(rec, seed, b);
	cl_state_put(st, CL_TABLE_BLOCKS, key, 8, rec, 32);
	cl_state_put(st, CL_TABLE_NODE, height_key, sizeof(height_key) - 1,
		     key, 8);
}

static uint64_t stored_height(struct cl_state *st)
{
	const uint8_t *v;
	size_t vl;
	int rc = cl_state_get(st, &v, &vl, CL_TABLE_NODE, height_key,
			      sizeof(height_key) - 1);

	if (rc == CL_ERR_NOT_FOUND)
		return 0;
	if (rc || vl != 8) {
		fprintf(stderr, "bad stored height\n");
		exit(2);
	}
	return cl_get_be64(v);
}

static CL_NORETURN void child_run(const char *dir, uint64_t seed, int fd)
{
	struct cl_db_config cfg = { .path = dir, .map_size = MAP_SIZE };
	struct cl_db *db;
	struct cl_state *st;
	uint64_t b;

	if (use_log) {
		cfg.checkpoint_ms = 1 + (unsigned)(seed % 7);
		cfg.checkpoint_bytes = 64u << 10;
		/* transactions of part of a block to several blocks (a
		 * checkpoint of 64 KiB of blocks holds about a thousand
		 * entries): kills between them */
		cfg.checkpoint_txn_entries = 16 + (uint32_t)(seed % 112);
	}
	if (cl_db_new(&db, &cfg) || cl_state_new_lmdb(&st, db))
		_exit(3);
	b = stored_height(st);
	for (int i = 0; i < 100000; i++) {
		b++;
		block_apply(st, seed, b);
		if (cl_state_commit_block(st, NULL))
			_exit(4);
		if (write(fd, &b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(5);
	}
	_exit(0);
}

/* Read every complete report available on fd; returns false at EOF. */
static bool read_reports(int fd, uint64_t *last, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t buf[64];
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return true;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return false;
	/* reports are 8 bytes, written atomically */
	for (ssize_t i = 0; i < n / 8; i++) {
		CHECK(buf[i] > *last);
		*last = buf[i];
	}
	return true;
}

int main(int argc, char **argv)
{
	uint64_t seed = test_seed(), last = 0, model_h = 0, prev_h = 0, t0;
	char *dir = tmpdir_make("crash");
	struct cl_state *model = cl_state_new_memory();
	struct cl_buf d1, d2;
	int mid_round_kills = 0, part_opens = 0;

	cl_buf_init(&d1);
	cl_buf_init(&d2);
	cl_log_min_level = CL_LOG_UNUSUAL;
	for (int i = 1; i < argc; i++)
		use_log |= strcmp(argv[i], "log") == 0;
	t0 = cl_clock_mono_ns();
	for (int round = 0; round < ROUNDS; round++) {
		struct cl_db *db;
		struct cl_state *st;
		struct cl_hash32 stored, again, want;
		uint64_t before = last, h, deadline, nodes;
		int fds[2], status;
		pid_t pid;

		if (pipe(fds) != 0) {
			perror("pipe");
			return 2;
		}
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			close(fds[0]);
			child_run(dir, seed, fds[1]);
		}
		close(fds[1]);
		/* kill at a random moment: sometimes before the first
		 * commit, mostly somewhere inside the stream of commits. For
		 * the latter, the random delay counts from the first commit
		 * the child reports, so a slow machine (a sanitizer build,
		 * other tests beside) does not turn them into early kills */
		if (round % 4 != 0) {
			uint64_t wait_until = cl_clock_mono_ns() + 10000000000ull;
			while (last == before &&
			       cl_clock_mono_ns() < wait_until)
				if (!read_reports(fds[0], &last, 10))
					break;
		}
		deadline = cl_clock_mono_ns() +
			   (test_rand() % (round % 4 == 0 ? 4000 : 50000)) *
				   1000;
		while (cl_clock_mono_ns() < deadline)
			if (!read_reports(fds[0], &last, 1))
				break;
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		while (read_reports(fds[0], &last, 0))
			;
		close(fds[0]);
		CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "round %d: child ended with status 0x%x", round,
			  status);
		if (last > before)
			mid_round_kills++;

		/* reopen (which replays the state log) and check */
		if (use_log && round % 2) {
			struct cl_db_config lc = { .path = dir,
						   .map_size = MAP_SIZE,
						   .checkpoint_ms = 1000 };
			CHECK(cl_db_new(&db, &lc) == 0);
		} else {
			db = db_open_at(dir, MAP_SIZE);
		}
		CHECK(cl_state_new_lmdb(&st, db) == 0);
		struct cl_db_log_stats ls;
		cl_db_log_stats(db, &ls);
		part_opens += ls.open_part != 0;
		h = stored_height(st);
		/* every reported block is durable; at most one block per
		 * round committed without being reported yet */
		CHECK_MSG(h >= last && h >= prev_h &&
				  h <= (last > prev_h ? last : prev_h) + 1,
			  "round %d: stored height %" PRIu64 ", reported %"
			  PRIu64 ", previous %" PRIu64, round, h, last,
			  prev_h);
		prev_h = h;
		CHECK(cl_state_root(st, &stored) == 0);
		CHECK(cl_state_recompute_root(st, &again) == 0);
		CHECK_MSG(memcmp(stored.b, again.b, 32) == 0,
			  "round %d: stored root does not match contents",
			  round);
		/* the stored tree nodes are exactly the tree's */
		CHECK_MSG(cl_state_check_tree(st, &nodes) == 0,
			  "round %d: the stored tree is not the tables'",
			  round);
		/* past a few thousand keys the rule stores upper nodes
		 * (those over 64 leaves or more): the check covers them */
		CHECK_MSG(h < 60 || nodes > 0,
			  "round %d: no stored tree node at height %" PRIu64,
			  round, h);
		for (uint64_t b = before + 1; b <= last; b++) {
			uint8_t key[8], rec[32];
			const uint8_t *v;
			size_t vl;
			int rc;

			cl_put_be64(key, b);
			block_record(rec, seed, b);
			rc = cl_state_get(st, &v, &vl, CL_TABLE_BLOCKS, key, 8);

			CHECK_MSG(rc == 0 && vl == 32 &&
					  memcmp(v, rec, 32) == 0,
				  "reported block %" PRIu64 " is missing", b);
		}
		/* the model applies the same blocks up to the stored height */
		for (; model_h < h; model_h++) {
			block_apply(model, seed, model_h + 1);
			CHECK(cl_state_commit_block(model, NULL) == 0);
		}
		CHECK(cl_state_root(model, &want) == 0);
		CHECK_MSG(memcmp(stored.b, want.b, 32) == 0,
			  "round %d: root differs from the model at height %"
			  PRIu64, round, h);
		if (round == ROUNDS - 1 || round % 50 == 0) {
			state_dump(st, &d1);
			state_dump(model, &d2);
			CHECK_MSG(buf_eq(&d1, &d2),
				  "round %d: contents differ from the model",
				  round);
		}
		cl_state_free(st);
		cl_db_free(db);
	}
	printf("%d kills, %" PRIu64 " blocks committed, %d kills after a "
	       "report, %d opens after a checkpoint stopped between its "
	       "transactions, %" PRIu64 " ms\n",
	       ROUNDS, last, mid_round_kills, part_opens,
	       (cl_clock_mono_ns() - t0) / 1000000);
	CHECK(last > ROUNDS / 2);
	CHECK(mid_round_kills > ROUNDS / 4);
	/* kills inside a checkpoint: its transactions are cut every 16 to
	 * 127 entries, so many reopens complete one (77 - 125 of 200 in
	 * release builds; 18 in a sanitizer build with 346 entries a
	 * transaction) */
	CHECK(!use_log || part_opens > ROUNDS / 20);
	cl_state_free(model);
	cl_buf_release(&d1);
	cl_buf_release(&d2);
	tmpdir_remove(dir);
	return test_done(use_log ? "test_crash log" : "test_crash");
}
