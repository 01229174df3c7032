/* SPDX-License-Identifier: MIT */
/*
 * Crash safety of the verifier's replay with its sync mode: a real
 * sequencer (LMDB, devnet genesis) orders deposits, an oracle price and
 * signed orders in blocks of at most 20 requests; its blocks are cut
 * into small batches and encoded as the poster does. Then, many times,
 * a child process replays those batches the way the verifier does —
 * cl_replay_blocks() on its own LMDB with CL_DB_SYNC_DATA, the next
 * batch read ahead, each batch closed (batch record, cursor) in one
 * commit and made durable with cl_db_sync(), a restart resuming the
 * batch in progress from the stored partial record after checking the
 * stored roots of its blocks — and reports each block on a pipe after
 * its commit returned; the parent kills it with SIGKILL at a random
 * moment, reopens the database and checks that the stored root equals
 * the root recomputed from the tables, that the stored tree is the
 * tables' (cl_state_check_tree), that every reported block is there and
 * at most one more, that the stored root and every stored block root are
 * the sequencer's, and that the cursor names a closed batch. A last child
 * runs to the end: every block's root and the final root are the
 * sequencer's.
 *
 * usage: test_replay_crash GENESIS
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clearline/node.h>
#include <clearline/sequencer.h>
#include <clearline/verifier.h>

#include "../state/state_util.h"
#include "replay_flow.h"

#define ROUNDS 60
#define MAP_SIZE (256u << 20)
#define N_ACCTS 8
#define N_ORDERS 1200

static struct cl_genesis genesis;

/* What the sequencer made: the batches' L1 data, their cuts, and the
 * root after every block (exp[n], n = 1 .. head). */
static struct cl_buf data;
static size_t *bat_off, *bat_len, n_batches;
static struct cl_batch_cut *cuts;
static struct cl_hash32 *exp_root;
static uint64_t head;

struct counter {
	pthread_mutex_t m;
	pthread_cond_t c;
	size_t done, failed;
};

static void on_done(void *arg, const struct cl_seq_result *r)
{
	struct counter *k = arg;
	pthread_mutex_lock(&k->m);
	k->done++;
	k->failed += r->code != 0;
	pthread_cond_signal(&k->c);
	pthread_mutex_unlock(&k->m);
}

static void submit(struct cl_seq *s, struct cl_tx *tx, struct counter *k)
{
	cl_tx_recover(tx, cl_seq_domain(s));
	while (cl_seq_submit(s, tx, on_done, k) == CL_ERR_BUSY)
		usleep(1000);
}

/* Run the sequencer in `dir`, then cut and encode its blocks. */
static void make_chain(const char *dir)
{
	static const char *const ok[2] = {
	    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
	    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
	};
	struct cl_seckey *keys[N_ACCTS], *oracle[2];
	struct cl_address addrs[N_ACCTS];
	struct counter k = {.done = 0};
	struct cl_seq_config sc;
	struct cl_seq *seq;
	struct cl_db *db = db_open_at(dir, MAP_SIZE);
	size_t sent = 0;

	pthread_mutex_init(&k.m, NULL);
	pthread_cond_init(&k.c, NULL);
	for (int i = 0; i < 2; i++)
		CHECK(cl_seckey_new_from_hex(&oracle[i], ok[i],
					     strlen(ok[i])));
	for (int i = 0; i < N_ACCTS; i++) {
		keys[i] = cl_seckey_new();
		cl_seckey_address(&addrs[i], keys[i]);
	}
	cl_seq_config_defaults(&sc);
	sc.block_interval_ms = 5;
	sc.block_max_txs = 20; /* many small blocks, however slow the machine */
	CHECK(cl_seq_new(&seq, &sc, db, &genesis) == 0);
	CHECK(cl_seq_start(seq) == 0);
	const struct cl_eip712_domain *dom = cl_seq_domain(seq);
	for (int i = 0; i < N_ACCTS; i++) {
		struct cl_tx tx;
		replay_flow_deposit(&tx, (uint64_t)i, &addrs[i]);
		submit(seq, &tx, &k);
		sent++;
	}
	{
		struct cl_tx tx;
		CHECK(replay_flow_price(&tx, dom, oracle,
					cl_clock_now_ms() / 1000) == 0);
		submit(seq, &tx, &k);
		sent++;
	}
	uint64_t expiry = cl_clock_now_ms() / 1000 + 3600;
	for (size_t i = 0; i < N_ORDERS; i++) {
		struct cl_tx tx;
		CHECK(replay_flow_order(&tx, dom, i, N_ACCTS, addrs, keys,
					expiry) == 0);
		submit(seq, &tx, &k);
		sent++;
	}
	pthread_mutex_lock(&k.m);
	while (k.done < sent)
		pthread_cond_wait(&k.c, &k.m);
	pthread_mutex_unlock(&k.m);
	CHECK(k.failed == 0);
	struct cl_seq_status st;
	cl_seq_status(seq, &st);
	head = st.head_block;
	cl_seq_stop(seq);
	cl_seq_free(seq);

	/* batches of at most 8 KiB of transactions, whole blocks */
	struct cl_snapshot *snap;
	CHECK(cl_snapshot_new(&snap, db) == 0);
	exp_root = cl_xcalloc(head + 2, sizeof(*exp_root));
	bat_off = cl_xcalloc(head + 1, sizeof(*bat_off));
	bat_len = cl_xcalloc(head + 1, sizeof(*bat_len));
	cuts = cl_xcalloc(head + 1, sizeof(*cuts));
	for (uint64_t n = 1; n <= head; n++) {
		struct cl_block_record rec;
		CHECK(cl_chain_get_block(snap, &rec, n) == 0);
		exp_root[n - 1] = rec.prev_root;
		cl_block_record_release(&rec);
	}
	CHECK(cl_snapshot_root(snap, &exp_root[head]) == 0);
	for (uint64_t first = 1; first <= head;) {
		uint64_t last = first, bytes = 0;
		for (uint64_t n = first; n <= head; n++) {
			struct cl_block_record rec;
			uint64_t rb = 0;
			CHECK(cl_chain_get_block(snap, &rec, n) == 0);
			for (size_t i = 0; i < rec.n_txs; i++)
				rb += rec.tx_lens[i];
			cl_block_record_release(&rec);
			if (n > first && bytes + rb > 8192)
				break;
			bytes += rb;
			last = n;
		}
		struct cl_batch_cut *c = &cuts[n_batches];
		struct cl_batch2 b2;
		c->seq = n_batches;
		c->first_block = first;
		c->last_block = last;
		c->root = exp_root[last];
		CHECK(cl_chain_cut_blocks(snap, &genesis, c, &b2) == 0);
		bat_off[n_batches] = data.len;
		CHECK(cl_batch2_encode(&data, b2.blocks, b2.n_blocks) ==
		      CL_BATCH_OK);
		bat_len[n_batches] = data.len - bat_off[n_batches];
		cl_batch2_release(&b2);
		n_batches++;
		first = last + 1;
	}
	cl_snapshot_free(snap);
	cl_db_free(db);
	for (int i = 0; i < N_ACCTS; i++)
		cl_seckey_free(keys[i]);
	cl_seckey_free(oracle[0]);
	cl_seckey_free(oracle[1]);
	printf("chain: %llu blocks, %zu batches\n", (unsigned long long)head,
	       n_batches);
}

/* ------------------------------------------------------------------ */
/* The child: a verifier's replay                                      */
/* ------------------------------------------------------------------ */

static int report_fd;

struct child_ctx {
	struct cl_state *st;
	struct cl_db *db;
	struct cl_chain_derive_cursor cur;
	size_t i; /* the batch being replayed */
};

static void decode_batch(struct cl_batch2 *b, struct cl_replay_batch *rb,
			 size_t i, const struct cl_batch_limits *lim)
{
	const uint8_t *p = data.p + bat_off[i];
	*rb = (struct cl_replay_batch){.b = b, .index = i};
	cl_keccak256(rb->data_hash.b, p, bat_len[i]);
	if (cl_batch2_decode(b, p, bat_len[i], lim) != CL_BATCH_OK)
		_exit(9);
}

/* The close: record and cursor in one commit, then a sync. */
static int child_close(void *arg)
{
	struct child_ctx *c = arg;
	struct cl_hash32 root;
	size_t i = c->i;
	struct cl_chain_batch_record br = {
	    .first_block = cuts[i].first_block,
	    .last_block = cuts[i].last_block,
	    .root = cuts[i].root,
	};
	cl_chain_put_batch_record(c->st, i, &br);
	c->cur.next_batch = i + 1;
	c->cur.last_block = cuts[i].last_block;
	cl_chain_put_derive_cursor(c->st, &c->cur);
	cl_chain_del_partial(c->st);
	if (cl_state_commit_block(c->st, &root) ||
	    !cl_hash32_eq(&root, &cuts[i].root) || cl_db_sync(c->db))
		_exit(11);
	return CL_OK;
}

static int child_fault(void *arg, const struct cl_replay_fault *f)
{
	fprintf(stderr, "child: block %llu: fault %d\n",
		(unsigned long long)f->blk->number, (int)f->kind);
	_exit(8);
}

static void child_committed(void *arg, const struct cl_batch2_block *blk)
{
	uint64_t n = blk->number;
	if (write(report_fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		_exit(5);
}

static CL_NORETURN void child_run(const char *dir)
{
	struct cl_db_config cfg = {.path = dir, .map_size = MAP_SIZE};
	struct cl_batch_limits lim;
	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;

	cl_batch_limits_default(&lim);
	if (cl_db_new(&db, &cfg) || cl_db_set_sync(db, CL_DB_SYNC_DATA) ||
	    cl_state_new_lmdb(&st, db) || cl_stf_new(&stf, st, &genesis))
		_exit(3);
	if (!cl_stf_initialized(stf) &&
	    (cl_stf_genesis_init(stf) || cl_state_commit_block(st, NULL)))
		_exit(3);

	/* resume as the verifier does (docs/verifier.md "Restart") */
	struct cl_chain_derive_cursor cur;
	struct cl_stf_globals g;
	struct cl_stf_view view = cl_stf_view(stf);
	if (cl_chain_load_derive_cursor(st, &cur) ||
	    cl_stf_get_globals(&view, &g))
		_exit(3);
	size_t done = 0;
	if (g.block_number > cur.last_block) {
		uint64_t pb;
		struct cl_hash32 ph, dh;
		size_t i = (size_t)cur.next_batch;
		if (cl_chain_load_partial(st, &pb, &ph) || pb != i ||
		    i >= n_batches)
			_exit(6);
		cl_keccak256(dh.b, data.p + bat_off[i], bat_len[i]);
		if (!cl_hash32_eq(&dh, &ph) ||
		    g.block_number > cuts[i].last_block)
			_exit(6);
		for (uint64_t n = cuts[i].first_block; n <= g.block_number;
		     n++) {
			struct cl_hash32 r;
			int rc = n == g.block_number
				     ? cl_state_root(st, &r)
				     : cl_chain_load_root(st, &r, n);
			if (rc || !cl_hash32_eq(&r, &exp_root[n]))
				_exit(7);
		}
		done = (size_t)(g.block_number - cuts[i].first_block + 1);
	}
	cl_state_discard(st);

	struct child_ctx ctx = {.st = st, .db = db, .cur = cur};
	struct cl_replay r = {
	    .st = st,
	    .stf = stf,
	    .hooks = {.arg = &ctx,
		      .fault = child_fault,
		      .committed = child_committed,
		      .end = child_close},
	};
	/* each batch decoded before the previous one is replayed, as the
	 * verifier reads ahead: the helper recovers it meanwhile */
	struct cl_batch2 bb[2];
	struct cl_replay_batch rb[2];
	size_t i0 = (size_t)cur.next_batch;
	if (i0 < n_batches)
		decode_batch(&bb[i0 % 2], &rb[i0 % 2], i0, &lim);
	for (size_t i = i0; i < n_batches; i++) {
		struct cl_replay_batch *now = &rb[i % 2], *nx = NULL;
		if (i + 1 < n_batches) {
			nx = &rb[(i + 1) % 2];
			decode_batch(&bb[(i + 1) % 2], nx, i + 1, &lim);
		}
		ctx.i = i;
		if (cl_replay_blocks(&r, now, done, nx))
			_exit(10);
		cl_batch2_release(now->b);
		done = 0;
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The parent                                                          */
/* ------------------------------------------------------------------ */

/* Read every complete report available on fd; false at EOF. */
static bool read_reports(int fd, uint64_t *last, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t buf[64];
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return true;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n / 8; i++) {
		CHECK(buf[i] > *last);
		*last = buf[i];
	}
	return true;
}

/* Start a child on `dir`; kill it after `kill_us` (never when 0),
 * counted from its first report when `after_first` (so a slow machine
 * does not turn every kill into an early one), else from its start.
 * Returns its wait status; *last gets the last block it reported. */
static int run_child(const char *dir, uint64_t *last, uint64_t kill_us,
		     bool after_first)
{
	int fds[2], status;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		child_run(dir);
	}
	close(fds[1]);
	uint64_t before = *last;
	if (kill_us) {
		uint64_t until = cl_clock_mono_ns() + 20000000000ull;
		bool open = true;
		while (after_first && open && *last == before &&
		       cl_clock_mono_ns() < until)
			open = read_reports(fds[0], last, 10);
		uint64_t dl = cl_clock_mono_ns() + kill_us * 1000;
		while (open && cl_clock_mono_ns() < dl)
			open = read_reports(fds[0], last, 1);
		kill(pid, SIGKILL);
	}
	while (read_reports(fds[0], last, kill_us ? 0 : 1000))
		;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (read_reports(fds[0], last, 0))
		;
	close(fds[0]);
	return status;
}

/* Reopen and check; returns the stored head. */
static uint64_t check_db(const char *dir, int round, uint64_t last,
			 uint64_t prev_h)
{
	struct cl_db *db = db_open_at(dir, MAP_SIZE);
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_stf_globals g;
	struct cl_chain_derive_cursor cur;
	struct cl_hash32 stored, again, r;
	uint64_t nodes;

	CHECK(cl_state_new_lmdb(&st, db) == 0);
	CHECK(cl_state_root(st, &stored) == 0);
	CHECK(cl_state_recompute_root(st, &again) == 0);
	CHECK_MSG(cl_hash32_eq(&stored, &again),
		  "round %d: stored root does not match the tables", round);
	CHECK_MSG(cl_state_check_tree(st, &nodes) == 0,
		  "round %d: the stored tree is not the tables'", round);
	CHECK(cl_stf_new(&stf, st, &genesis) == 0);
	struct cl_stf_view view = cl_stf_view(stf);
	uint64_t h = 0;
	if (cl_stf_initialized(stf)) { /* else killed before the genesis */
		CHECK(cl_stf_get_globals(&view, &g) == 0);
		h = g.block_number;
	}
	/* every reported block is there, at most one more */
	CHECK_MSG(h >= last && h >= prev_h &&
			  h <= (last > prev_h ? last : prev_h) + 1,
		  "round %d: stored head %llu, reported %llu, before %llu",
		  round, (unsigned long long)h, (unsigned long long)last,
		  (unsigned long long)prev_h);
	if (h > 0)
		CHECK_MSG(cl_hash32_eq(&stored, &exp_root[h]),
			  "round %d: root at block %llu is not the "
			  "sequencer's",
			  round, (unsigned long long)h);
	for (uint64_t n = 1; n < h; n++) {
		CHECK(cl_chain_load_root(st, &r, n) == 0);
		CHECK_MSG(cl_hash32_eq(&r, &exp_root[n]),
			  "round %d: stored root of block %llu differs", round,
			  (unsigned long long)n);
	}
	CHECK(cl_chain_load_derive_cursor(st, &cur) == 0);
	CHECK(cur.next_batch <= n_batches);
	if (cur.next_batch)
		CHECK(cur.last_block == cuts[cur.next_batch - 1].last_block &&
		      h >= cur.last_block);
	cl_state_discard(st);
	cl_stf_free(stf);
	cl_state_free(st);
	cl_db_free(db);
	return h;
}

int main(int argc, char **argv)
{
	char err[400];
	int kills = 0, completed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GENESIS\n", argv[0]);
		return 2;
	}
	cl_log_min_level = CL_LOG_BROKEN;
	CHECK(cl_crypto_init() == 0);
	if (cl_genesis_load(&genesis, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	test_seed();
	cl_buf_init(&data);
	char *seq_dir = tmpdir_make("replay-seq");
	make_chain(seq_dir);
	tmpdir_remove(seq_dir);
	CHECK(n_batches >= 8 && head > n_batches);

	char *dir = tmpdir_make("replay-crash");
	uint64_t last = 0, prev_h = 0;
	for (int round = 0; round < ROUNDS; round++) {
		/* one kill in four early (open, genesis, resume checks),
		 * the others inside the stream of blocks and batches */
		bool early = round % 4 == 0;
		uint64_t kill_us = 1 + test_rand() % (early ? 20000 : 60000);
		int status = run_child(dir, &last, kill_us, !early);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			/* finished before the kill: check, then start over */
			CHECK(check_db(dir, round, last, prev_h) == head);
			completed++;
			tmpdir_remove(dir);
			dir = tmpdir_make("replay-crash");
			last = prev_h = 0;
			continue;
		}
		CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "round %d: child ended with status 0x%x", round,
			  status);
		kills++;
		prev_h = check_db(dir, round, last, prev_h);
	}
	/* the last child resumes and runs to the end */
	int status = run_child(dir, &last, 0, false);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "last child ended with status 0x%x", status);
	CHECK(check_db(dir, ROUNDS, last, prev_h) == head);
	printf("%d kills, %d runs to the end before a kill\n", kills,
	       completed);
	CHECK(kills > ROUNDS / 2);
	tmpdir_remove(dir);
	cl_buf_release(&data);
	free(bat_off);
	free(bat_len);
	free(cuts);
	free(exp_root);
	return test_done("test_replay_crash");
}
