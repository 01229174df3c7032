/* SPDX-License-Identifier: MIT */
/*
 * State size under pruning (a program, not a test): N orders placed by A
 * accounts over D simulated days through the stf on LMDB (devnet
 * genesis), and the state's size as it goes: LMDB file size, committed
 * keys per table, records placed and pruned (docs/performance.md "State
 * size and pruning", docs/protocol.md "Pruning").
 *
 * The clock is simulated: one block every S seconds (default 60), each
 * with an oracle price (signed) and N / blocks orders from accounts
 * taken round-robin. Orders are recovered the way a verifier's recovery
 * leaves them (the digest and signer set, no signature): signature
 * recovery is not what this measures (bench_crypto does). The mix: 80 %
 * IOC orders that meet nothing (closed at once), 20 % GTC orders resting
 * off the mid until they expire on the book; expiries now + 60 s (60 %),
 * + 1 h (25 %, the CLI's default), + 1 day (10 %) and + 30 days, the
 * devnet horizon (5 %).
 *
 * Without pruning every record would stay: its key counts are exact
 * (the ORDERS records are all orders placed; PRUNE_DUE would not exist);
 * its file size is estimated from the measured bytes per committed key
 * and printed as such.
 *
 * usage: bench_prune GENESIS [orders] [accounts] [days] [block-seconds]
 *   (defaults 1 000 000 orders, 100 000 accounts, 40 days, 60 s)
 */
#include <clearline/node.h>
#include <clearline/stf.h>

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKET 1
#define MID 650000ULL
#define DAY 86400ULL

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(uint64_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

static int rm_entry(const char *p, const struct stat *sb, int f,
		    struct FTW *ftw)
{
	(void)sb;
	(void)f;
	(void)ftw;
	return remove(p);
}

static double now_s(void)
{
	return (double)cl_clock_mono_ns() / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_prune: %s: %d (%s)\n", what, rc,
		cl_stf_err_str(rc));
	exit(1);
}

static void account_addr(struct cl_address *a, uint64_t i)
{
	memset(a->b, 0, 20);
	a->b[0] = 0xbe;
	cl_put_be64(a->b + 12, i + 1);
}

/* Committed keys per table (and their total), iterating each. */
static uint64_t count_keys(struct cl_state *st, uint64_t *per, size_t nper)
{
	size_t nt;
	const struct cl_table_info *t = cl_table_list(&nt);
	uint64_t total = 0;

	for (size_t i = 0; i < nt && i < nper; i++) {
		struct cl_state_iter *it;
		const uint8_t *k, *v;
		size_t kl, vl;

		per[i] = 0;
		if (!t[i].committed)
			continue;
		if (cl_state_iter_new(&it, st, t[i].id, NULL, 0))
			die("iterate", CL_ERR_DB);
		while (cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK)
			per[i]++;
		cl_state_iter_free(it);
		total += per[i];
	}
	return total;
}

/* ORDERS records (32-byte keys) of the committed state. */
static uint64_t count_records(struct cl_state *st)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint64_t n = 0;

	if (cl_state_iter_new(&it, st, CL_TABLE_ORDERS, NULL, 0))
		die("iterate", CL_ERR_DB);
	while (cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK)
		n += kl == 32;
	cl_state_iter_free(it);
	return n;
}

static uint64_t file_size(const char *dir)
{
	char p[600];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static struct cl_seckey *oracle_keys[2];

static void oracle(struct cl_stf *stf, uint64_t t)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = MARKET;
	tx.u.oracle.msg.price = MID;
	tx.u.oracle.msg.timestamp = t;
	cl_oracle_price_digest(&d, cl_stf_domain(stf), &tx.u.oracle.msg);
	tx.u.oracle.n_sigs = 2;
	if (cl_sign_digest(&tx.u.oracle.sigs[0], oracle_keys[0], &d) ||
	    cl_sign_digest(&tx.u.oracle.sigs[1], oracle_keys[1], &d))
		die("oracle signature", CL_ERR_CRYPTO);
	cl_tx_recover(&tx, cl_stf_domain(stf));
	int rc = cl_stf_request(stf, NULL, &tx);
	if (rc)
		die("oracle price", rc);
}

/* One order of the mix from account `who` at time t. */
static void place(struct cl_stf *stf, uint64_t who, uint64_t t, uint64_t nonce,
		  uint64_t horizon)
{
	struct cl_tx tx;
	struct cl_order *o = &tx.u.place.order;
	uint64_t e = rnd(100);
	bool gtc = rnd(5) == 0;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	account_addr(&o->trader, who);
	o->market = MARKET;
	o->is_buy = rnd(2) == 0;
	o->size = 1 + rnd(20);
	o->nonce = nonce;
	o->expiry = t + (e < 60 ? 60 : e < 85 ? 3600 : e < 95 ? DAY : horizon);
	if (gtc) {
		uint64_t off = 1000 + rnd(5000);
		o->price = o->is_buy ? MID - off : MID + off;
		o->flags = 0;
	} else {
		/* an IOC no ask or bid meets */
		o->price = o->is_buy ? MID - 7000 : MID + 7000;
		o->flags = (uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT);
	}
	/* as recovery leaves a request signed by the trader */
	tx.auth.recovered = true;
	tx.auth.separator = cl_stf_domain(stf)->separator;
	cl_order_digest(&tx.auth.digest, cl_stf_domain(stf), o);
	tx.auth.err[0] = CL_SIG_OK;
	tx.auth.signer[0] = o->trader;
	int rc = cl_stf_request(stf, NULL, &tx);
	if (rc)
		die("order", rc);
}

int main(int argc, char **argv)
{
	struct cl_genesis g;
	char err[400], dir[64];
	uint64_t n_orders = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	uint64_t n_accts = argc > 3 ? strtoull(argv[3], NULL, 10) : 100000;
	uint64_t days = argc > 4 ? strtoull(argv[4], NULL, 10) : 40;
	uint64_t spacing = argc > 5 ? strtoull(argv[5], NULL, 10) : 60;

	if (argc < 2 || n_orders == 0 || n_accts == 0 || days == 0 ||
	    spacing == 0) {
		fprintf(stderr,
			"usage: %s GENESIS [orders] [accounts] [days] "
			"[block-seconds]\n",
			argv[0]);
		return 2;
	}
	cl_log_min_level = CL_LOG_UNUSUAL;
	if (cl_crypto_init() ||
	    cl_genesis_load(&g, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	static const char *const ok7 = "0x4bbbf85ce3377467afe5d46f804f221813b2b"
				       "b87f24d81f60f1fcdbf7cbf4356";
	static const char *const ok8 = "0xdbda1821b80551c9d65939329250298aa3472"
				       "ba22feea921c0cf5d620ea67b97";
	if (!cl_seckey_new_from_hex(&oracle_keys[0], ok7, strlen(ok7)) ||
	    !cl_seckey_new_from_hex(&oracle_keys[1], ok8, strlen(ok8)))
		return 1;
	snprintf(dir, sizeof(dir), "%s/clpruneXXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		return 1;

	struct cl_db *db;
	struct cl_state *st;
	struct cl_stf *stf;
	struct cl_db_config dc = {.path = dir, .map_size = 64ull << 30};
	if (cl_db_new(&db, &dc) || cl_state_new_lmdb(&st, db))
		die("database", CL_ERR_DB);
	if (cl_stf_new(&stf, st, &g) || cl_stf_genesis_init(stf))
		die("genesis", CL_ERR_DB);
	struct cl_hash32 root;
	if (cl_state_commit_block(st, &root))
		die("commit", CL_ERR_DB);

	uint64_t blocks = days * DAY / spacing;
	uint64_t t0 = 1700000000, ms = t0 * 1000, number = 0;
	uint64_t placed = 0, pruned = 0, next_acct = 0, nonce = 0;
	uint64_t report_every = blocks / 20 ? blocks / 20 : 1;
	uint64_t peak_records = 0;
	size_t nt;
	const struct cl_table_info *tl = cl_table_list(&nt);
	uint64_t per[64];
	double start = now_s();

	printf("bench_prune: %" PRIu64 " orders by %" PRIu64
	       " accounts over %" PRIu64 " days, a block every %" PRIu64
	       " s (%" PRIu64 " blocks); horizon %" PRIu64 " s, grace %u s, "
	       "at most %u pruned a block\n",
	       n_orders, n_accts, days, spacing, blocks, g.expiry_horizon,
	       (unsigned)CL_STF_PRUNE_GRACE_S,
	       (unsigned)CL_STF_PRUNE_PER_BLOCK);
	printf("%6s %10s %10s %10s %10s %10s %12s %12s %12s %8s\n", "day",
	       "placed", "pruned", "records", "no-prune", "due", "keys",
	       "keys-noprune", "file-MiB", "wall-s");
	for (uint64_t b = 0; b < blocks; b++) {
		struct cl_block_header h;

		memset(&h, 0, sizeof(h));
		h.number = ++number;
		ms += spacing * 1000;
		h.timestamp_ms = ms;
		h.prev_root = root;
		h.l1.number = ms / 1000;
		h.l1.timestamp = ms / 1000;
		cl_put_be64(h.l1.hash.b, h.l1.number);
		int rc = cl_stf_open_block(stf, &h);
		if (rc)
			die("open block", rc);
		pruned += cl_stf_block_pruned(stf, NULL);
		uint64_t t = ms / 1000;
		oracle(stf, t);
		if (b == 0) {
			/* every account funded in the first block */
			for (uint64_t i = 0; i < n_accts; i++) {
				struct cl_tx tx;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_DEPOSIT;
				tx.u.deposit.id = i;
				account_addr(&tx.u.deposit.to, i);
				tx.u.deposit.amount = 1000000ull * 1000000ull;
				cl_tx_recover(&tx, cl_stf_domain(stf));
				rc = cl_stf_request(stf, NULL, &tx);
				if (rc)
					die("deposit", rc);
			}
		}
		uint64_t want = n_orders * (b + 1) / blocks;
		for (; placed < want; placed++) {
			place(stf, next_acct, t, nonce++, g.expiry_horizon);
			next_acct = (next_acct + 1) % n_accts;
		}
		cl_stf_end_block(stf);
		if (cl_state_commit_block(st, &root))
			die("commit", CL_ERR_DB);
		if ((b + 1) % report_every != 0 && b + 1 != blocks)
			continue;
		uint64_t records = count_records(st);
		uint64_t keys = count_keys(st, per, 64);
		uint64_t due = 0;
		for (size_t i = 0; i < nt; i++)
			if (tl[i].id == CL_TABLE_PRUNE_DUE)
				due = per[i];
		if (records > peak_records)
			peak_records = records;
		uint64_t keys_np = keys - due + (placed - records);
		printf("%6.1f %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64
		       " %12.1f %8.0f\n",
		       (double)(t - t0) / DAY, placed, pruned, records, placed,
		       due, keys, keys_np, (double)file_size(dir) / (1 << 20),
		       now_s() - start);
		fflush(stdout);
	}

	uint64_t keys = count_keys(st, per, 64), records = count_records(st);
	uint64_t fsz = file_size(dir);
	uint64_t due = 0;
	printf("\ncommitted keys per table at the end:\n");
	for (size_t i = 0; i < nt; i++) {
		if (tl[i].id == CL_TABLE_PRUNE_DUE)
			due = per[i];
		if (per[i] > 0)
			printf("  %-16s %10" PRIu64 "\n", tl[i].name, per[i]);
	}
	uint64_t keys_np = keys - due + (placed - records);
	printf("orders placed %" PRIu64 ", pruned %" PRIu64 ", records left "
	       "%" PRIu64 " (peak %" PRIu64 ")\n",
	       placed, pruned, records, peak_records);
	printf("committed keys: %" PRIu64 " with pruning, %" PRIu64
	       " without (exact)\n",
	       keys, keys_np);
	printf("LMDB file: %.1f MiB with pruning (measured; LMDB reuses "
	       "freed pages and never shrinks the file), %.1f bytes per key; "
	       "without pruning about %.1f MiB (estimated at the same bytes "
	       "per key)\n",
	       (double)fsz / (1 << 20), (double)fsz / (double)keys,
	       (double)fsz / (double)keys * (double)keys_np / (1 << 20));
	printf("wall time %.0f s (%.1f us per order)\n", now_s() - start,
	       (now_s() - start) * 1e6 / (double)placed);

	cl_stf_free(stf);
	cl_state_free(st);
	cl_db_free(db);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
