/* SPDX-License-Identifier: MIT */
/*
 * Seeded random workloads run on both backends against a plain model:
 * roots agree with each other, with a from-scratch recomputation and with
 * a reference root written straight from the rule; reads, iteration and
 * savepoints match the model; every proof verifies and every mutated one
 * fails; snapshots and a reopened database show the same state.
 */
#include "state_util.h"

#define UNIVERSE 160
#define BLOCKS 60

static const enum cl_table tables[] = {
	CL_TABLE_ACCOUNTS, CL_TABLE_POSITIONS, CL_TABLE_ORDERS,
	CL_TABLE_GLOBALS, CL_TABLE_NODE,
};
#define NT (sizeof(tables) / sizeof(tables[0]))

struct entry {
	bool present;
	uint8_t *val;
	size_t vlen;
};

static struct entry model[NT][UNIVERSE];

/* Distinct keys per table: fixed width for some tables, varied for
 * others (single bytes and longer strings mixed, to exercise ordering). */
static size_t key_of(uint8_t *key, size_t ti, unsigned u)
{
	size_t len;

	switch (tables[ti]) {
	case CL_TABLE_ACCOUNTS:
		memset(key, 0xa0, 20);
		cl_put_be32(key + 16, u);
		return 20;
	case CL_TABLE_POSITIONS:
		memset(key, 0, 24);
		cl_put_be32(key + 16, u / 4);
		cl_put_be32(key + 20, u % 4);
		return 24;
	case CL_TABLE_ORDERS:
		cl_keccak256(key, &u, 0);
		cl_put_be32(key, u * 2654435761u);
		return 32;
	case CL_TABLE_GLOBALS:
	case CL_TABLE_NODE:
	case CL_TABLE_MARKETS:
	case CL_TABLE_WITHDRAWALS:
	case CL_TABLE_DEPOSITS:
	case CL_TABLE_BLOCKS:
	case CL_TABLE_TX_INDEX:
	case CL_TABLE_ADL_RANK:
	case CL_TABLE_OPEN_SIZE:
	case CL_TABLE_FORCED:
	case CL_TABLE_SCHEDULE_CANCEL:
	case CL_TABLE_SCHEDULE_DUE:
	case CL_TABLE_CLOIDS:
	case CL_TABLE_TRIGGERS:
	case CL_TABLE_TRIGGER_INDEX:
	case CL_TABLE_TRIGGER_OWNER:
	case CL_TABLE_TWAPS:
	case CL_TABLE_TWAP_DUE:
	case CL_TABLE_TWAP_OWNER:
	case CL_TABLE_ASSET_BALANCES:
	case CL_TABLE_ASSET_DEPTH:
	case CL_TABLE_MARGIN_MODES:
	case CL_TABLE_ACCOUNT_OWNERS:
	case CL_TABLE_SUBACCOUNTS:
	case CL_TABLE_OPT_SURFACE:
	case CL_TABLE_OPT_SETTLE:
	case CL_TABLE_LIQ_INDEX:
	case CL_TABLE_RISK_EVENTS:
	case CL_TABLE_LIQ_MULTI:
	case CL_TABLE_PORTFOLIO:
	case CL_TABLE_PRUNE_DUE:
	case CL_TABLE_TWAP_FLOOR:
	case CL_TABLE_TWAP_NONCES:
	case CL_TABLE_OPT_LISTED:
		break;
	}
	if (u < 8) {
		key[0] = (uint8_t)u;
		return 1;
	}
	cl_put_be16(key, (uint16_t)u);
	len = 2 + u % 10;
	for (size_t i = 2; i < len; i++)
		key[i] = (uint8_t)(u * 31 + i);
	return len;
}

static size_t rand_val(uint8_t *val)
{
	size_t len = test_rand() % 5 == 0 ? 0 : test_rand() % 64;

	for (size_t i = 0; i < len; i++)
		val[i] = (uint8_t)test_rand();
	return len;
}

static void model_set(size_t ti, unsigned u, const uint8_t *val, size_t vlen,
		      bool present)
{
	struct entry *e = &model[ti][u];

	free(e->val);
	e->val = NULL;
	e->vlen = 0;
	e->present = present;
	if (present && vlen) {
		e->val = cl_xmalloc(vlen);
		memcpy(e->val, val, vlen);
		e->vlen = vlen;
	}
}

/* The reference root of the model (committed tables only). */
static void model_root(uint8_t out[32])
{
	struct ref_leaf *l = cl_xcalloc(NT * UNIVERSE, sizeof(*l));
	size_t n = 0;

	for (size_t ti = 0; ti < NT; ti++) {
		if (!cl_table_find(tables[ti])->committed)
			continue;
		for (unsigned u = 0; u < UNIVERSE; u++) {
			uint8_t key[64];
			size_t kl;

			if (!model[ti][u].present)
				continue;
			kl = key_of(key, ti, u);
			ref_path(l[n].path, (uint8_t)tables[ti], key, kl);
			cl_keccak256(l[n].vh, model[ti][u].val,
				     model[ti][u].vlen);
			n++;
		}
	}
	qsort(l, n, sizeof(*l), ref_leaf_cmp);
	ref_build(out, l, n, 0);
	free(l);
}

/* Check a get on a state against the model. */
static void check_get(struct cl_state *st, size_t ti, unsigned u)
{
	uint8_t key[64];
	size_t kl = key_of(key, ti, u), vl;
	const uint8_t *v;
	int rc = cl_state_get(st, &v, &vl, tables[ti], key, kl);
	struct entry *e = &model[ti][u];

	if (!e->present) {
		CHECK_MSG(rc == CL_ERR_NOT_FOUND, "get %zu/%u: %d", ti, u, rc);
		return;
	}
	CHECK_MSG(rc == CL_OK && vl == e->vlen &&
			  (vl == 0 || memcmp(v, e->val, vl) == 0),
		  "get %zu/%u: rc %d len %zu want %zu", ti, u, rc, vl, e->vlen);
}

/* Universe indexes of table ti, in key order. */
static int order_ti;
static int order_cmp(const void *a, const void *b)
{
	uint8_t ka[64], kb[64];
	size_t la = key_of(ka, (size_t)order_ti, *(const unsigned *)a);
	size_t lb = key_of(kb, (size_t)order_ti, *(const unsigned *)b);
	size_t n = la < lb ? la : lb;
	int c = memcmp(ka, kb, n);

	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

static unsigned order[NT][UNIVERSE];

static void make_order(void)
{
	for (size_t ti = 0; ti < NT; ti++) {
		for (unsigned u = 0; u < UNIVERSE; u++)
			order[ti][u] = u;
		order_ti = (int)ti;
		qsort(order[ti], UNIVERSE, sizeof(unsigned), order_cmp);
	}
}

/* Iterate table ti from the key of universe index `from` (or from the
 * beginning) and compare with the model. */
static void check_iter(struct cl_state *st, struct cl_snapshot *snap,
		       size_t ti, int from)
{
	struct cl_state_iter *it;
	uint8_t start[64];
	size_t slen = 0, pos = 0;
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;

	if (from >= 0)
		slen = key_of(start, ti, (unsigned)from);
	if (st)
		rc = cl_state_iter_new(&it, st, tables[ti], start, slen);
	else
		rc = cl_snapshot_iter_new(&it, snap, tables[ti], start, slen);
	CHECK(rc == 0);
	if (rc)
		return;
	/* skip model entries below the start key */
	if (from >= 0)
		while (pos < UNIVERSE && order[ti][pos] != (unsigned)from)
			pos++;
	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == CL_OK) {
		uint8_t key[64];
		size_t mkl;
		struct entry *e;

		while (pos < UNIVERSE && !model[ti][order[ti][pos]].present)
			pos++;
		CHECK_MSG(pos < UNIVERSE, "iterator returned an extra key");
		if (pos >= UNIVERSE)
			break;
		mkl = key_of(key, ti, order[ti][pos]);
		e = &model[ti][order[ti][pos]];
		CHECK_MSG(kl == mkl && memcmp(k, key, kl) == 0,
			  "iterator key mismatch in table %zu", ti);
		CHECK(vl == e->vlen && (vl == 0 || memcmp(v, e->val, vl) == 0));
		pos++;
	}
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	while (pos < UNIVERSE && !model[ti][order[ti][pos]].present)
		pos++;
	CHECK_MSG(pos == UNIVERSE, "iterator stopped early in table %zu", ti);
	cl_state_iter_free(it);
}

/* Every single-bit change of an encoded proof must fail to verify. */
static void check_mutations(const struct cl_buf *enc,
			    const struct cl_hash32 *root,
			    const struct cl_hash32 *path,
			    const struct cl_hash32 *vh)
{
	uint8_t *copy = cl_xmalloc(enc->len);

	for (int trial = 0; trial < 6; trial++) {
		size_t bitpos = test_rand() % (enc->len * 8);
		struct cl_proof q;
		bool incl;

		memcpy(copy, enc->p, enc->len);
		copy[bitpos / 8] ^= (uint8_t)(0x80 >> (bitpos % 8));
		if (!cl_proof_decode(&q, copy, enc->len))
			continue;
		incl = vh && cl_proof_verify_inclusion(&q, root, path, vh);

		CHECK_MSG(!incl, "mutated inclusion proof verified (bit %zu)",
			  bitpos);
		CHECK_MSG(vh || !cl_proof_verify_exclusion(&q, root, path),
			  "mutated exclusion proof verified (bit %zu)", bitpos);
	}
	free(copy);
}

static void check_proof(struct cl_state *lm, struct cl_state *mem,
			struct cl_snapshot *snap, const struct cl_hash32 *root,
			size_t ti, unsigned u)
{
	uint8_t key[64];
	size_t kl = key_of(key, ti, u);
	struct cl_proof p, pm, ps;
	struct cl_buf a, b, c;
	struct cl_hash32 path, vh, bad;
	struct entry *e = &model[ti][u];

	CHECK(cl_state_prove(lm, &p, tables[ti], key, kl) == 0);
	CHECK(cl_state_prove(mem, &pm, tables[ti], key, kl) == 0);
	CHECK(cl_snapshot_prove(snap, &ps, tables[ti], key, kl) == 0);
	cl_buf_init(&a);
	cl_buf_init(&b);
	cl_buf_init(&c);
	cl_proof_encode(&a, &p);
	cl_proof_encode(&b, &pm);
	cl_proof_encode(&c, &ps);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	CHECK(a.len == c.len && memcmp(a.p, c.p, a.len) == 0);
	cl_smt_path(&path, (uint8_t)tables[ti], key, kl);
	bad = *root;
	bad.b[test_rand() % 32] ^= 1;
	if (e->present) {
		cl_smt_value_hash(&vh, e->val, e->vlen);
		CHECK(p.kind == CL_PROOF_INCLUSION);
		CHECK(cl_proof_verify_inclusion(&p, root, &path, &vh));
		CHECK(!cl_proof_verify_exclusion(&p, root, &path));
		CHECK(!cl_proof_verify_inclusion(&p, &bad, &path, &vh));
		check_mutations(&a, root, &path, &vh);
		vh.b[0] ^= 0x40; /* a wrong value */
		CHECK(!cl_proof_verify_inclusion(&p, root, &path, &vh));
	} else {
		CHECK(p.kind != CL_PROOF_INCLUSION);
		CHECK(cl_proof_verify_exclusion(&p, root, &path));
		CHECK(!cl_proof_verify_exclusion(&p, &bad, &path));
		check_mutations(&a, root, &path, NULL);
		if (p.kind == CL_PROOF_EXCLUSION_LEAF) {
			/* the other leaf cannot be excluded by it */
			CHECK(!cl_proof_verify_exclusion(&p, root,
							 &p.other_path));
			/* nor can it be turned into an inclusion proof */
			p.kind = CL_PROOF_INCLUSION;
			CHECK(!cl_proof_verify_inclusion(&p, root, &path,
							 &p.other_value_hash));
		}
	}
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_buf_release(&c);
}

struct op {
	size_t ti;
	unsigned u;
	bool del;
	uint8_t val[64];
	size_t vlen;
};

static void random_op(struct op *op)
{
	op->ti = test_rand() % NT;
	op->u = (unsigned)(test_rand() % UNIVERSE);
	op->del = test_rand() % 3 == 0;
	op->vlen = op->del ? 0 : rand_val(op->val);
}

static void apply_state(struct cl_state *st, const struct op *op)
{
	uint8_t key[64];
	size_t kl = key_of(key, op->ti, op->u);

	if (op->del)
		cl_state_del(st, tables[op->ti], key, kl);
	else
		cl_state_put(st, tables[op->ti], key, kl, op->val, op->vlen);
}

static void apply_model(const struct op *op)
{
	model_set(op->ti, op->u, op->val, op->vlen, !op->del);
}

static void run_block(struct cl_state *lm, struct cl_state *mem,
		      struct cl_buf *d1, struct cl_buf *d2)
{
	unsigned nops = 1 + (unsigned)(test_rand() % 60);

	for (unsigned i = 0; i < nops; i++) {
		unsigned kind = (unsigned)(test_rand() % 10);
		struct op op;

		if (kind < 7) {
			random_op(&op);
			apply_state(lm, &op);
			apply_state(mem, &op);
			apply_model(&op);
		} else if (kind < 9) {
			/* a transaction: nested savepoints, maybe rejected */
			struct cl_state_sp s1 = cl_state_savepoint(lm);
			struct cl_state_sp s2 = cl_state_savepoint(mem);
			struct op ops[8];
			unsigned n = 1 + (unsigned)(test_rand() % 8);
			bool keep = test_rand() % 2;
			bool check = test_rand() % 4 == 0;

			if (check)
				state_dump(lm, d1);
			for (unsigned j = 0; j < n; j++) {
				random_op(&ops[j]);
				apply_state(lm, &ops[j]);
				apply_state(mem, &ops[j]);
				if (j == n / 2 && test_rand() % 2) {
					/* an inner rejected part */
					struct cl_state_sp i1 =
						cl_state_savepoint(lm);
					struct op x;

					random_op(&x);
					apply_state(lm, &x);
					cl_state_rollback_to(lm, i1);
				}
			}
			if (keep) {
				for (unsigned j = 0; j < n; j++)
					apply_model(&ops[j]);
				continue;
			}
			cl_state_rollback_to(lm, s1);
			cl_state_rollback_to(mem, s2);
			if (check) {
				state_dump(lm, d2);
				CHECK_MSG(buf_eq(d1, d2),
					  "rollback did not restore the state");
			}
		} else {
			size_t ti = test_rand() % NT;
			unsigned u = (unsigned)(test_rand() % UNIVERSE);

			check_get(lm, ti, u);
			check_get(mem, ti, u);
		}
	}
	/* iteration sees the overlay merged with the backend */
	if (test_rand() % 3 == 0) {
		size_t ti = test_rand() % NT;
		int from = test_rand() % 2 ? -1 : (int)(test_rand() % UNIVERSE);

		check_iter(lm, NULL, ti, from);
		check_iter(mem, NULL, ti, from);
	}
}

/* Position in order[ti] of the first present model key after (strict) or
 * at universe index `at` (at < 0: from the beginning); UNIVERSE: none. */
static size_t model_next(size_t ti, int at, bool strict)
{
	size_t pos = 0;

	if (at >= 0) {
		while (order[ti][pos] != (unsigned)at)
			pos++;
		if (strict)
			pos++;
	}
	while (pos < UNIVERSE && !model[ti][order[ti][pos]].present)
		pos++;
	return pos;
}

/* One iterator of table ti stepped while the block writes to the same
 * table around it: keys put ahead of the position and behind it, keys
 * deleted, a rejected transaction rolled back. Each step must return the
 * first present key after the last one returned, as the overlay and the
 * backend hold it at that moment. */
static void iter_with_writes(struct cl_state *st, struct cl_state *other,
			     size_t ti)
{
	struct cl_state_iter *it;
	int last = -1;
	int rc = cl_state_iter_new(&it, st, tables[ti], NULL, 0);

	CHECK(rc == 0);
	if (rc)
		return;
	for (;;) {
		unsigned writes = (unsigned)(test_rand() % 4);

		for (unsigned w = 0; w < writes; w++) {
			struct op op;

			random_op(&op);
			op.ti = ti;
			if (test_rand() % 4 == 0) {
				/* rejected: what it created goes again */
				struct cl_state_sp sp = cl_state_savepoint(st);

				apply_state(st, &op);
				cl_state_rollback_to(st, sp);
				continue;
			}
			apply_state(st, &op);
			apply_state(other, &op);
			apply_model(&op);
		}

		/* a transaction open across the step, rejected after it:
		 * what it created leaves after the iterator has seen it */
		bool open = test_rand() % 4 == 0;
		struct cl_state_sp sp = cl_state_savepoint(st);
		struct op x;
		struct entry saved = { 0 };

		if (open) {
			random_op(&x);
			x.ti = ti;
			x.del = false;
			saved = model[ti][x.u];
			model[ti][x.u] = (struct entry){ 0 };
			apply_state(st, &x);
			apply_model(&x);
		}

		const uint8_t *k, *v;
		size_t kl, vl;
		size_t want = model_next(ti, last, last >= 0);

		rc = cl_state_iter_next(it, &k, &kl, &v, &vl);

		/* what it returned, held before the rollback */
		uint8_t gotk[64];
		bool same = true;

		if (rc == CL_OK && want < UNIVERSE) {
			const struct entry *e = &model[ti][order[ti][want]];

			CHECK(kl <= sizeof(gotk));
			memcpy(gotk, k, kl < sizeof(gotk) ? kl : sizeof(gotk));
			k = gotk;
			same = vl == e->vlen &&
			       (vl == 0 || memcmp(v, e->val, vl) == 0);
		}
		if (open) {
			cl_state_rollback_to(st, sp);
			free(model[ti][x.u].val);
			model[ti][x.u] = saved;
		}
		if (want == UNIVERSE) {
			CHECK_MSG(rc == CL_ERR_NOT_FOUND,
				  "table %zu: a key after the last: %d", ti,
				  rc);
			break;
		}
		CHECK_MSG(rc == CL_OK, "table %zu: stopped early: %d", ti, rc);
		if (rc != CL_OK)
			break;

		uint8_t key[64];
		size_t mkl = key_of(key, ti, order[ti][want]);

		CHECK_MSG(kl == mkl && memcmp(k, key, kl) == 0,
			  "table %zu: the step after a write returned the "
			  "wrong key", ti);
		CHECK_MSG(same, "table %zu: the step returned the wrong value",
			  ti);
		last = (int)order[ti][want];
	}
	cl_state_iter_free(it);
}

static void test_random(void)
{
	char *dir = tmpdir_make("state");
	struct cl_db *db = db_open_at(dir, 64u << 20);
	struct cl_state *lm, *mem = cl_state_new_memory();
	struct cl_hash32 r1, r2, r3;
	uint8_t want[32];
	struct cl_buf d1, d2;

	cl_buf_init(&d1);
	cl_buf_init(&d2);
	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	make_order();
	for (int b = 0; b < BLOCKS; b++) {
		struct cl_snapshot *snap;

		run_block(lm, mem, &d1, &d2);
		CHECK(cl_state_commit_block(lm, &r1) == 0);
		CHECK(cl_state_commit_block(mem, &r2) == 0);
		model_root(want);
		CHECK_MSG(memcmp(r1.b, r2.b, 32) == 0, "block %d: roots differ",
			  b);
		CHECK_MSG(memcmp(r1.b, want, 32) == 0,
			  "block %d: root differs from the reference", b);
		if (b % 4 == 0) {
			CHECK(cl_state_recompute_root(lm, &r3) == 0);
			CHECK(memcmp(r1.b, r3.b, 32) == 0);
			CHECK(cl_state_recompute_root(mem, &r3) == 0);
			CHECK(memcmp(r1.b, r3.b, 32) == 0);
		}
		CHECK(cl_snapshot_new(&snap, db) == 0);
		CHECK(cl_snapshot_root(snap, &r3) == 0);
		CHECK(memcmp(r1.b, r3.b, 32) == 0);
		for (int i = 0; i < 12; i++) {
			size_t ti = test_rand() % NT;

			if (!cl_table_find(tables[ti])->committed)
				continue;
			check_proof(lm, mem, snap, &r1, ti,
				    (unsigned)(test_rand() % UNIVERSE));
		}
		check_iter(NULL, snap, test_rand() % NT, -1);
		if (b % 10 == 0) {
			CHECK(cl_snapshot_recompute_root(snap, &r3) == 0);
			CHECK(memcmp(r1.b, r3.b, 32) == 0);
		}
		cl_snapshot_free(snap);
		for (size_t ti = 0; ti < NT && b % 10 == 9; ti++)
			check_iter(lm, NULL, ti, -1);
		/* a block that writes while it walks a table */
		if (b % 3 == 1) {
			size_t ti = test_rand() % NT;

			iter_with_writes(lm, mem, ti);
			iter_with_writes(mem, lm, ti);
			CHECK(cl_state_commit_block(lm, &r1) == 0);
			CHECK(cl_state_commit_block(mem, &r2) == 0);
			model_root(want);
			CHECK(memcmp(r1.b, r2.b, 32) == 0);
			CHECK(memcmp(r1.b, want, 32) == 0);

			/* a block's first entry in a table: a walk of the
			 * table must meet it (the overlay holds one entry) */
			struct op op;

			random_op(&op);
			op.del = false;
			apply_state(lm, &op);
			apply_state(mem, &op);
			apply_model(&op);
			check_iter(lm, NULL, op.ti, -1);
			check_iter(mem, NULL, op.ti, -1);
		}
	}

	/* discard drops everything uncommitted (the model is not told) */
	for (int i = 0; i < 50; i++) {
		struct op op;

		random_op(&op);
		apply_state(lm, &op);
		apply_state(mem, &op);
	}
	cl_state_discard(lm);
	cl_state_discard(mem);
	for (size_t ti = 0; ti < NT; ti++) {
		check_iter(lm, NULL, ti, -1);
		check_iter(mem, NULL, ti, -1);
	}
	state_dump(mem, &d1);

	/* reopen: same root, same contents */
	cl_state_free(lm);
	cl_db_free(db);
	db = db_open_at(dir, 64u << 20);
	CHECK(cl_state_new_lmdb(&lm, db) == 0);
	CHECK(cl_state_root(lm, &r3) == 0);
	CHECK(memcmp(r1.b, r3.b, 32) == 0);
	CHECK(cl_state_recompute_root(lm, &r3) == 0);
	CHECK(memcmp(r1.b, r3.b, 32) == 0);
	state_dump(lm, &d2);
	CHECK(buf_eq(&d1, &d2));

	/* an empty block changes nothing and hashes nothing */
	CHECK(cl_state_commit_block(lm, &r3) == 0);
	CHECK(memcmp(r1.b, r3.b, 32) == 0);
	{
		struct cl_state_stats s;

		cl_state_stats(lm, &s);
		CHECK(s.hashes == 0 && s.dirty == 0 && s.blocks == 1);
	}

	cl_state_free(lm);
	cl_state_free(mem);
	cl_db_free(db);
	tmpdir_remove(dir);
	cl_buf_release(&d1);
	cl_buf_release(&d2);
	for (size_t ti = 0; ti < NT; ti++)
		for (unsigned u = 0; u < UNIVERSE; u++)
			model_set(ti, u, NULL, 0, false);
}

/* Node hashes in the tree holding the sorted leaves l[0..n). */
static uint64_t ref_count(const struct ref_leaf *l, size_t n, unsigned depth)
{
	size_t m = 0;

	if (n <= 1)
		return n;
	while (m < n && !ref_bit(l[m].path, depth))
		m++;
	return 1 + ref_count(l, m, depth + 1) +
	       ref_count(l + m, n - m, depth + 1);
}

/* Updating k keys costs about k * log2(n) hashes, not n. */
static void test_cost(void)
{
	struct cl_state *st = cl_state_new_memory();
	struct cl_state_stats s;
	struct cl_hash32 r1, r2;
	const unsigned n = 4096;
	uint8_t key[8], val[8];

	struct ref_leaf *l = cl_xcalloc(n, sizeof(*l));

	for (unsigned i = 0; i < n; i++) {
		cl_put_be64(key, i);
		cl_put_be64(val, i);
		cl_state_put(st, CL_TABLE_ACCOUNTS, key, 8, val, 8);
		ref_path(l[i].path, CL_TABLE_ACCOUNTS, key, 8);
	}
	qsort(l, n, sizeof(*l), ref_leaf_cmp);
	CHECK(cl_state_commit_block(st, NULL) == 0);
	cl_state_stats(st, &s);
	CHECK(s.dirty == n);
	/* a full build: one hash per leaf and per internal node (at least
	 * n - 1 of them: single-child internal nodes are not collapsed) */
	CHECK_MSG(s.hashes == ref_count(l, n, 0), "%" PRIu64 " hashes",
		  s.hashes);
	CHECK(s.hashes >= 2 * (uint64_t)n - 1);
	free(l);

	cl_put_be64(key, 77);
	val[0] ^= 1;
	cl_state_put(st, CL_TABLE_ACCOUNTS, key, 8, val, 8);
	CHECK(cl_state_commit_block(st, &r1) == 0);
	cl_state_stats(st, &s);
	CHECK(s.dirty == 1);
	CHECK_MSG(s.hashes >= 2 && s.hashes <= 40, "1 key: %" PRIu64 " hashes",
		  s.hashes);

	for (unsigned i = 0; i < 100; i++) {
		cl_put_be64(key, i * 37);
		cl_state_put(st, CL_TABLE_ACCOUNTS, key, 8, key, 3);
	}
	CHECK(cl_state_commit_block(st, &r1) == 0);
	cl_state_stats(st, &s);
	CHECK(s.dirty == 100);
	CHECK_MSG(s.hashes <= 100 * 14, "100 keys: %" PRIu64 " hashes",
		  s.hashes);

	/* writing the same value again changes no leaf */
	cl_put_be64(key, 0);
	cl_state_put(st, CL_TABLE_ACCOUNTS, key, 8, key, 3);
	CHECK(cl_state_commit_block(st, &r2) == 0);
	cl_state_stats(st, &s);
	CHECK(s.dirty == 0 && s.hashes == 0);
	CHECK(memcmp(r1.b, r2.b, 32) == 0);

	/* deleting everything empties the tree */
	for (unsigned i = 0; i < n; i++) {
		cl_put_be64(key, i);
		cl_state_del(st, CL_TABLE_ACCOUNTS, key, 8);
	}
	CHECK(cl_state_commit_block(st, &r1) == 0);
	for (int i = 0; i < 32; i++)
		CHECK(r1.b[i] == 0);
	cl_state_free(st);
}

int main(void)
{
	test_seed();
	test_random();
	test_cost();
	return test_done("test_state");
}
