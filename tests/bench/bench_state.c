/* SPDX-License-Identifier: MIT */
/*
 * State benchmark (a program, not a test):
 *  - the keccak kernel the tree hashes with, and its time per node hash
 *    beside the portable one's;
 *  - Merkle root update cost per changed key, in microseconds and in node
 *    hashes, for k = 1, 100, 10 000 and 100 000 changed keys in one block
 *    with 1 000 000 keys present (LMDB in a temporary directory);
 *  - LMDB commit latency (p50, p99) of a small block, synced.
 *
 * Usage: bench_state [divisor | xM]   (divide the key count for a quick
 * run, or multiply it: x10 for 10 000 000 keys; k is capped at a tenth of
 * the keys present)
 */
#include <ftw.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clearline/keccak.h>
#include <clearline/state.h>

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A 20-byte account key for index i. */
static void account_key(uint8_t key[20], uint64_t i)
{
	memset(key, 0, 20);
	key[0] = 0xac;
	cl_put_be64(key + 12, i);
}

static void value_of(uint8_t val[64], uint64_t i, uint64_t version)
{
	for (int j = 0; j < 8; j++)
		cl_put_be64(val + 8 * j,
			    i * 1000003 + version * 7 + (uint64_t)j);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Print the process's resident memory: all of it, and the part that is
 * the heap (the rest is LMDB's mapped file pages). */
static void print_rss(const char *when)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return;
	printf("memory %s:", when);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0 ||
		    strncmp(line, "RssAnon:", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			printf("  %s", line);
		}
	}
	printf("\n");
	fclose(f);
}

/* The size of the LMDB file (its pages in use and free). */
static void print_file_size(const char *dir)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) == 0)
		printf("data.mdb: %.1f MB\n", (double)sb.st_size / 1e6);
}

/* CPU time of this process (every thread: the commit hashes large
 * blocks on two), ns: unlike the wall clock, it does not count the time
 * other jobs on the machine take the cores. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ns per 65-byte node hash with keccak kernel k, over 65 536 inputs. */
static double node_hash_ns(enum cl_keccak_kernel k)
{
	enum { N = 65536 };
	uint8_t *in = malloc((size_t)N * 65), *out = malloc((size_t)N * 32);
	uint64_t t0, best = UINT64_MAX;

	for (size_t i = 0; i < (size_t)N * 65; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (int r = 0; r < 3; r++) {
		t0 = cl_clock_mono_ns();
		if (!cl_keccak256_many_with(k, out, in, 65, N))
			break;
		if (cl_clock_mono_ns() - t0 < best)
			best = cl_clock_mono_ns() - t0;
	}
	free(in);
	free(out);
	return (double)best / N;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "%s: %s\n", what, cl_err_str(rc));
	exit(1);
}

int main(int argc, char **argv)
{
	static const uint64_t ks[] = { 1, 100, 10000, 100000 };
	const char *base = getenv("TMPDIR");
	uint64_t divisor = 1, times = 1, n, t0, lat[200];
	char dir[4096];
	struct cl_db_config cfg = { .map_size = 8ull << 30 };
	struct cl_db *db;
	struct cl_state *st;
	struct cl_state_stats s;
	uint8_t key[20], val[64];
	int rc;

	if (argc > 1 && argv[1][0] == 'x') {
		if (!cl_parse_u64(&times, argv[1] + 1, strlen(argv[1] + 1)) ||
		    times == 0 || times > 100) {
			fprintf(stderr, "usage: %s [divisor | xM]\n", argv[0]);
			return 2;
		}
	} else if (argc > 1 &&
		   (!cl_parse_u64(&divisor, argv[1], strlen(argv[1])) ||
		    divisor == 0)) {
		fprintf(stderr, "usage: %s [divisor | xM]\n", argv[0]);
		return 2;
	}
	n = 1000000 * times / divisor;
	cfg.map_size *= times;
	if (n < 1000)
		n = 1000;
	snprintf(dir, sizeof(dir), "%s/clearline-bench-XXXXXX",
		 base && base[0] ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	cl_log_min_level = CL_LOG_UNUSUAL;
	cfg.path = dir;
	rc = cl_db_new(&db, &cfg);
	if (rc)
		die("open", rc);
	rc = cl_state_new_lmdb(&st, db);
	if (rc)
		die("state", rc);

	printf("state benchmark: %" PRIu64 " keys in LMDB under %s\n", n,
	       base && base[0] ? "$TMPDIR" : "/tmp");
	printf("keccak kernel: %s, %.0f ns per node hash (portable: %.0f ns)\n",
	       cl_keccak_kernel_name(cl_keccak_kernel_best()),
	       node_hash_ns(cl_keccak_kernel_best()),
	       node_hash_ns(CL_KECCAK_PORTABLE));
	t0 = cl_clock_mono_ns();
	for (uint64_t i = 0; i < n;) {
		uint64_t end = i + 50000 < n ? i + 50000 : n;

		for (; i < end; i++) {
			account_key(key, i);
			value_of(val, i, 0);
			cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20, val, 64);
		}
		rc = cl_state_commit_block(st, NULL);
		if (rc)
			die("fill", rc);
	}
	printf("fill: %.1f s\n",
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
	/* a new writer on the full database: its first commit (an empty
	 * block) builds the in-memory upper levels of the tree */
	cl_state_free(st);
	rc = cl_state_new_lmdb(&st, db);
	if (rc)
		die("state", rc);
	t0 = cl_clock_mono_ns();
	rc = cl_state_commit_block(st, NULL);
	if (rc)
		die("reopen", rc);
	cl_state_stats(st, &s);
	printf("first commit of a new writer: %.2f s (building the tree in "
	       "memory: %.2f s, %.1f MB)\n",
	       (double)(cl_clock_mono_ns() - t0) / 1e9,
	       (double)s.load_ns / 1e9, (double)s.tree_bytes / 1e6);
	print_rss("after the fill");
	print_file_size(dir);
	printf("\n");

	printf("%8s %8s %12s %12s %12s %12s %10s %12s %10s %10s %10s\n", "k",
	       "blocks", "tree us/key", "hashes/key", "flush us/key",
	       "block ms", "sync ms", "block cpu ms", "tree ms", "hash ms",
	       "nodes/key");
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		uint64_t k = ks[ki] > n / 10 ? n / 10 : ks[ki];
		unsigned reps = k <= 1 ? 50 : k <= 100 ? 20 : 10;
		uint64_t dirty = 0, hashes = 0, tree = 0, flush = 0, sync = 0;
		uint64_t total = 0, cpu = 0, hash = 0, nodes = 0;

		if (k > 10000)
			reps = 3;
		for (unsigned r = 0; r < reps; r++) {
			uint64_t b0, c0;

			for (uint64_t j = 0; j < k; j++) {
				uint64_t i = next_rand() % n;

				account_key(key, i);
				value_of(val, i, 1 + r + ki * 100);
				cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20,
					     val, 64);
			}
			b0 = cl_clock_mono_ns();
			c0 = cpu_ns();
			rc = cl_state_commit_block(st, NULL);
			if (rc)
				die("update", rc);
			cpu += cpu_ns() - c0;
			total += cl_clock_mono_ns() - b0;
			cl_state_stats(st, &s);
			dirty += s.dirty;
			hashes += s.hashes;
			tree += s.tree_ns;
			flush += s.flush_ns;
			sync += s.sync_ns;
			hash += s.hash_ns;
			nodes += s.node_puts + s.node_dels;
		}
		printf("%8" PRIu64 " %8u %12.2f %12.2f %12.2f %12.2f %10.2f "
		       "%12.2f %10.2f %10.2f %10.2f\n",
		       k, reps, (double)tree / 1e3 / (double)dirty,
		       (double)hashes / (double)dirty,
		       (double)flush / 1e3 / (double)dirty,
		       (double)total / 1e6 / reps, (double)sync / 1e6 / reps,
		       (double)cpu / 1e6 / reps, (double)tree / 1e6 / reps,
		       (double)hash / 1e6 / reps,
		       (double)nodes / (double)dirty);
	}

	/* commit latency of a small block (4 writes), synced */
	for (unsigned r = 0; r < 200; r++) {
		for (int j = 0; j < 4; j++) {
			uint64_t i = next_rand() % n;

			account_key(key, i);
			value_of(val, i, 5000 + r);
			cl_state_put(st, CL_TABLE_ACCOUNTS, key, 20, val, 64);
		}
		t0 = cl_clock_mono_ns();
		rc = cl_state_commit_block(st, NULL);
		if (rc)
			die("commit", rc);
		lat[r] = cl_clock_mono_ns() - t0;
	}
	qsort(lat, 200, sizeof(lat[0]), cmp_u64);
	printf("\nsmall block commit (4 writes, synced), 200 blocks: "
	       "p50 %.2f ms, p99 %.2f ms\n",
	       (double)lat[100] / 1e6, (double)lat[197] / 1e6);

	print_rss("at the end");
	cl_state_free(st);
	cl_db_free(db);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
