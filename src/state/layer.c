/* SPDX-License-Identifier: MIT */
/*
 * The layer: LMDB as a checkpoint, with the blocks committed since held
 * in memory as deltas and made durable by the state log (statelog.c).
 * docs/state.md "The state log" has the design; in short:
 *
 *  - a commit freezes the block's writes (table entries, leaves, nodes,
 *    root) into a delta, appends the delta's table entries and root to
 *    the log (fdatasync), and publishes the delta: one sequential write
 *    and one sync per block, where an LMDB commit rewrote every page a
 *    changed key sits on;
 *  - reads look at the block being committed (the builder), then the
 *    deltas newest first (the writer through an index of the newest
 *    entry of every key, a snapshot by a binary search of each), then
 *    LMDB;
 *  - a checkpoint thread writes the deltas into LMDB (every key once, in
 *    key order, on the second core) in transactions of a bounded size,
 *    cut anywhere ("ckpt_txn" below), the last recording the last block
 *    it holds (meta "log_seq"), syncs, and removes the log files it
 *    covers; the writer then drops those deltas, between two blocks;
 *  - at open, the log files past the checkpoint are replayed (the tree
 *    and root recomputed and checked against the log's; after a
 *    checkpoint stopped between its transactions, every replayed key
 *    rewritten and the stored tree rebuilt).
 *
 * Threads: the writer owns the builder, the index and the chain's
 * changes; it changes the chain under `lock`, which snapshots take to
 * copy it. The checkpoint thread works on its own counted copy.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

struct lay_slot {
	uint64_t h;
	const struct delta_ent *e; /* NULL: empty */
	uint64_t seq;
};

struct lay_index {
	struct lay_slot *s;
	size_t cap, n; /* cap a power of two */
};

struct layer {
	struct cl_db *db;
	char *dir;
	struct slog *log;
	unsigned checkpoint_ms;
	uint64_t checkpoint_bytes;
	uint32_t txn_entries; /* of one checkpoint transaction, about */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct delta *chain[LAYER_MAX_DELTAS]; /* oldest first */
	size_t n;
	size_t bytes;	   /* of the chain */
	uint64_t base;	   /* the last block LMDB holds */
	uint64_t next_seq; /* of the next block */

	/* the checkpoint thread (its job under `lock`) */
	pthread_t thread;
	bool thread_on, stop, busy;
	struct delta *job[LAYER_MAX_DELTAS];
	size_t job_n;
	_Atomic uint64_t done; /* LMDB holds every block up to here */
	/* transactions the running checkpoint committed so far (each a
	 * "log_part" mark: a crash now leaves a partial checkpoint) */
	_Atomic uint64_t part_txns;
	/* checkpoint transactions committed since the open */
	_Atomic uint64_t commits;
	uint64_t refreshes; /* the writer's reads ended by lay_writer_refresh */
	int err;       /* the last checkpoint's failure, or CL_OK */
	char **files;  /* closed log files, removed once checkpointed */
	size_t nfiles;
	uint64_t start_ns; /* of the last checkpoint started */
	uint64_t checkpoints, failures, last_ns, ckpt_ns, txns;
	uint64_t appends, append_bytes, append_ns, room_wait_ns, merges;

	/* the writer's */
	struct builder builder;
	struct lay_index index;
};

/* ------------------------------------------------------------------ */
/* The writer's index: key -> its newest entry in the chain            */
/* ------------------------------------------------------------------ */

static uint64_t key_hash(const uint8_t *k, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ k[i]) * 0xc4ceb9fe1a85ec53u;
	h ^= h >> 29;
	return h ? h : 1;
}

static struct lay_slot *index_find(const struct lay_index *x, uint64_t h,
				   const uint8_t *k, size_t len)
{
	size_t mask = x->cap - 1;

	if (!x->cap)
		return NULL;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct lay_slot *s = &x->s[i];

		if (!s->e)
			return s;
		if (s->h == h && s->e->klen == len &&
		    memcmp(s->e->key, k, len) == 0)
			return s;
	}
}

static void index_grow(struct lay_index *x)
{
	struct lay_index old = *x;

	x->cap = old.cap ? old.cap * 2 : 1024;
	x->s = cl_xcalloc(x->cap, sizeof(*x->s));
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.s[i].e)
			continue;
		struct lay_slot *s = index_find(x, old.s[i].h, old.s[i].e->key,
						old.s[i].e->klen);
		*s = old.s[i];
	}
	free(old.s);
}

static void index_add(struct lay_index *x, const struct delta *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct delta_ent *e = &d->e[i];
		uint64_t h = key_hash(e->key, e->klen);
		struct lay_slot *s;

		if ((x->n + 1) * 10 >= x->cap * 7)
			index_grow(x);
		s = index_find(x, h, e->key, e->klen);
		if (!s->e)
			x->n++;
		s->h = h;
		s->e = e;
		s->seq = d->seq;
	}
}

/* Remove the slot at i, shifting back the run after it. */
static void index_remove_at(struct lay_index *x, size_t i)
{
	size_t mask = x->cap - 1, j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!x->s[j].e)
			break;
		size_t home = x->s[j].h & mask;
		/* j's entry may move to i when i lies between its home and j */
		bool move = i <= j ? (home <= i || home > j)
				   : (home <= i && home > j);
		if (move) {
			x->s[i] = x->s[j];
			i = j;
		}
	}
	x->s[i].e = NULL;
	x->n--;
}

/* Forget the entries of `d` that are still the newest of their key. */
static void index_drop(struct lay_index *x, const struct delta *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct delta_ent *e = &d->e[i];
		struct lay_slot *s = index_find(x, key_hash(e->key, e->klen),
						e->key, e->klen);

		if (s && s->e && s->seq == d->seq)
			index_remove_at(x, (size_t)(s - x->s));
	}
}

/* ------------------------------------------------------------------ */
/* Reads and writes through a layered kv                               */
/* ------------------------------------------------------------------ */

static size_t compose(uint8_t ck[1 + CL_STATE_KEY_MAX], unsigned tbl,
		      const uint8_t *key, size_t klen)
{
	CL_REQUIRE(klen <= CL_STATE_KEY_MAX + 1u && tbl < 256);
	ck[0] = (uint8_t)tbl;
	if (klen)
		memcpy(ck + 1, key, klen);
	return 1 + klen;
}

/* The newest entry of ck above LMDB: 1 with *val (NULL: deleted), or 0
 * when the layer does not hold the key. */
static int layered_find(struct kv *kv, const uint8_t *ck, size_t cklen,
			const uint8_t **val, size_t *vlen)
{
	if (kv->builder && kv->builder->count) {
		const struct bld_ent *e = builder_find(kv->builder, ck[0],
						       ck + 1, cklen - 1);
		if (e) {
			*val = e->tomb ? NULL : kv->builder->bytes.p + e->voff;
			*vlen = e->vlen;
			return 1;
		}
	}
	if (kv->index) {
		struct lay_slot *s = index_find(
			kv->index, key_hash(ck, cklen), ck, cklen);
		if (!s || !s->e)
			return 0;
		*val = s->e->val;
		*vlen = s->e->vlen;
		return 1;
	}
	for (size_t i = kv->dn; i-- > 0;) {
		const struct delta_ent *e = delta_find(kv->dv[i], ck, cklen);
		if (e) {
			*val = e->val;
			*vlen = e->vlen;
			return 1;
		}
	}
	return 0;
}

int lay_get(struct kv *kv, const uint8_t **val, size_t *vlen, unsigned tbl,
	    const uint8_t *key, size_t klen)
{
	uint8_t ck[1 + CL_STATE_KEY_MAX + 1];
	size_t cklen = compose(ck, tbl, key, klen);

	if (layered_find(kv, ck, cklen, val, vlen)) {
		if (*val)
			return CL_OK;
		*vlen = 0;
		return CL_ERR_NOT_FOUND;
	}
	return db_get(kv->db, kv->txn, val, vlen, tbl, key, klen);
}

int lay_put(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen,
	    const uint8_t *val, size_t vlen)
{
	CL_REQUIRE(kv->builder); /* snapshots do not write */
	builder_set(kv->builder, tbl, key, klen, val, vlen, false);
	return CL_OK;
}

int lay_del(struct kv *kv, unsigned tbl, const uint8_t *key, size_t klen)
{
	const uint8_t *v;
	size_t vl;
	int rc;

	CL_REQUIRE(kv->builder);
	rc = lay_get(kv, &v, &vl, tbl, key, klen);
	if (rc)
		return rc; /* absent: CL_ERR_NOT_FOUND, as LMDB says it */
	builder_set(kv->builder, tbl, key, klen, NULL, 0, true);
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Cursors: the builder, the deltas and LMDB merged, the newest wins   */
/* ------------------------------------------------------------------ */

static int base_move(struct kv_cursor *c, int op, const uint8_t *key,
		     size_t klen)
{
	int rc = db_cursor_get(c->kv->db, c->mc, op, key, klen, &c->bkey,
			       &c->bklen, &c->bval, &c->bvlen);

	c->base_valid = rc == CL_OK;
	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

static const struct bld_ent *builder_at(const struct kv_cursor *c)
{
	const struct builder *b = c->kv->builder;

	if (!b || c->bpos >= b->runs[c->tbl].n)
		return NULL;
	return &b->runs[c->tbl].e[c->bpos];
}

static const uint8_t *bkey(const struct kv_cursor *c, const struct bld_ent *e)
{
	return c->kv->builder->bytes.p + e->koff;
}

static const struct delta_ent *delta_at(const struct kv_cursor *c, size_t i)
{
	const struct delta *d = c->kv->dv[i];

	if (c->dpos[i] >= d->n || d->e[c->dpos[i]].key[0] != c->tbl)
		return NULL;
	return &d->e[c->dpos[i]];
}

/* Compare a source's key (without its table byte) with the smallest. */
static bool take_min(const uint8_t *k, size_t kl, const uint8_t **mk,
		     size_t *ml)
{
	if (*mk && smap_cmp(k, kl, *mk, *ml) >= 0)
		return false;
	*mk = k;
	*ml = kl;
	return true;
}

/* Move every source at the key c->cur past it. */
static int advance_at_cur(struct kv_cursor *c)
{
	const uint8_t *k = c->cur + 1;
	size_t kl = c->cur_len - 1;
	const struct bld_ent *n = builder_at(c);

	if (n && smap_cmp(bkey(c, n), n->klen, k, kl) == 0)
		c->bpos++;
	for (size_t i = 0; i < c->kv->dn; i++) {
		const struct delta_ent *e = delta_at(c, i);
		if (e && smap_cmp(e->key + 1, e->klen - 1, k, kl) == 0)
			c->dpos[i]++;
	}
	if (c->base_valid && smap_cmp(c->bkey, c->bklen, k, kl) == 0)
		return base_move(c, 1, NULL, 0);
	return CL_OK;
}

/* Settle on the smallest key any source holds that is not deleted. */
static int settle(struct kv_cursor *c)
{
	for (;;) {
		const uint8_t *mk = NULL, *val = NULL;
		size_t ml = 0, vl = 0;
		bool tomb = false;
		const struct bld_ent *n = builder_at(c);
		int rc;

		/* the oldest first, so a newer source at the same key wins */
		if (c->base_valid && take_min(c->bkey, c->bklen, &mk, &ml)) {
			val = c->bval;
			vl = c->bvlen;
			tomb = false;
		}
		for (size_t i = 0; i < c->kv->dn; i++) {
			const struct delta_ent *e = delta_at(c, i);
			if (!e)
				continue;
			if (take_min(e->key + 1, e->klen - 1, &mk, &ml) ||
			    smap_cmp(e->key + 1, e->klen - 1, mk, ml) == 0) {
				mk = e->key + 1;
				val = e->val;
				vl = e->vlen;
				tomb = e->val == NULL;
			}
		}
		if (n && (take_min(bkey(c, n), n->klen, &mk, &ml) ||
			  smap_cmp(bkey(c, n), n->klen, mk, ml) == 0)) {
			mk = bkey(c, n);
			tomb = n->tomb;
			val = c->kv->builder->bytes.p + n->voff;
			vl = n->vlen;
		}
		if (!mk) {
			c->valid = false;
			c->key = c->val = NULL;
			c->klen = c->vlen = 0;
			return CL_ERR_NOT_FOUND;
		}
		CL_REQUIRE(ml <= sizeof(c->cur) - 1);
		c->cur[0] = (uint8_t)c->tbl;
		memmove(c->cur + 1, mk, ml);
		c->cur_len = 1 + ml;
		if (tomb) {
			rc = advance_at_cur(c);
			if (rc)
				return rc;
			continue;
		}
		c->valid = true;
		c->key = c->cur + 1;
		c->klen = ml;
		c->val = val;
		c->vlen = vl;
		return CL_OK;
	}
}

int lay_cursor_seek(struct kv_cursor *c, const uint8_t *key, size_t klen)
{
	uint8_t ck[1 + CL_STATE_KEY_MAX + 1];
	size_t cklen = compose(ck, c->tbl, key, klen);
	int rc = base_move(c, 0, key, klen);

	if (rc)
		return rc;
	for (size_t i = 0; i < c->kv->dn; i++)
		c->dpos[i] = delta_seek(c->kv->dv[i], ck, cklen, false);
	c->bpos = c->kv->builder ? builder_seek(c->kv->builder, c->tbl, key,
						 klen)
				 : 0;
	return settle(c);
}

int lay_cursor_next(struct kv_cursor *c)
{
	int rc;

	if (!c->valid)
		return CL_ERR_NOT_FOUND;
	rc = advance_at_cur(c);
	return rc ? rc : settle(c);
}

/* ------------------------------------------------------------------ */
/* The checkpoint thread                                               */
/* ------------------------------------------------------------------ */

/*
 * A checkpoint's LMDB transactions: every `txn_entries` entries written,
 * the transaction is committed with meta "log_part" = the job's last
 * block (LMDB may now hold parts of blocks after "log_seq") and a new
 * one begun; the last records "log_seq" and removes "log_part". So
 * LMDB's dirty-page list, quadratic in its length, and the page buffers
 * it keeps after its largest transaction, are bounded whatever the
 * blocks' size. The log's replay takes a "log_part" as a checkpoint
 * stopped half way (statelog.c).
 */
struct ckpt_txn {
	struct layer *lay;
	struct MDB_txn *txn;
	uint64_t upto;	/* the job's last block */
	uint32_t ents;	/* written in this transaction */
	uint64_t txns;	/* committed */
};

static int ckpt_begin(struct ckpt_txn *ct)
{
	ct->ents = 0;
	return db_txn_begin(ct->lay->db, &ct->txn, true);
}

/* Commit the transaction: the last (`final`) at a whole block, the
 * others part way. */
static int ckpt_commit(struct ckpt_txn *ct, bool final)
{
	struct cl_db *db = ct->lay->db;
	uint8_t be[8];
	int rc;

	cl_put_be64(be, ct->upto);
	rc = db_put(db, ct->txn, KV_META,
		    (const uint8_t *)(final ? META_KEY_LOG_SEQ
					    : META_KEY_LOG_PART),
		    strlen(final ? META_KEY_LOG_SEQ : META_KEY_LOG_PART), be,
		    8);
	if (!rc && final) {
		rc = db_del(db, ct->txn, KV_META,
			    (const uint8_t *)META_KEY_LOG_PART,
			    strlen(META_KEY_LOG_PART));
		if (rc == CL_ERR_NOT_FOUND)
			rc = CL_OK;
	}
	if (rc) {
		db_txn_abort(ct->txn);
	} else {
		rc = db_txn_commit(db, ct->txn);
		if (!rc) {
			ct->txns++;
			atomic_fetch_add_explicit(&ct->lay->commits, 1,
						  memory_order_release);
		}
		if (!rc && !final)
			atomic_fetch_add_explicit(&ct->lay->part_txns, 1,
						  memory_order_relaxed);
	}
	ct->txn = NULL;
	return rc;
}

/* Write table `tbl` of the job's deltas through one LMDB cursor: each
 * key once, its newest entry; a full transaction is committed on the
 * way and the cursor opened again in the next. */
static int write_table(struct ckpt_txn *ct, unsigned tbl, size_t *pos)
{
	struct layer *lay = ct->lay;
	struct MDB_cursor *mc = NULL;
	uint8_t t = (uint8_t)tbl;
	int rc = CL_OK;

	for (size_t i = 0; i < lay->job_n; i++)
		pos[i] = delta_seek(lay->job[i], &t, 1, false);
	for (;;) {
		const struct delta_ent *win = NULL;

		for (size_t i = 0; i < lay->job_n; i++) {
			const struct delta *d = lay->job[i];
			const struct delta_ent *e =
				pos[i] < d->n ? &d->e[pos[i]] : NULL;
			if (!e || e->key[0] != t)
				continue;
			if (!win ||
			    delta_ent_cmp(e, win->k8, win->key, win->klen) <= 0)
				win = e; /* later deltas win ties */
		}
		if (!win)
			break;
		for (size_t i = 0; i < lay->job_n; i++) {
			const struct delta *d = lay->job[i];
			if (pos[i] < d->n &&
			    delta_ent_cmp(&d->e[pos[i]], win->k8, win->key,
					  win->klen) == 0)
				pos[i]++;
		}
		if (ct->ents >= lay->txn_entries) {
			db_cursor_close(mc);
			mc = NULL;
			rc = ckpt_commit(ct, false);
			if (!rc)
				rc = ckpt_begin(ct);
			if (rc)
				return rc;
		}
		if (!mc && (rc = db_cursor_open(lay->db, ct->txn, tbl, &mc)))
			return rc;
		if (win->val)
			rc = db_cursor_put(lay->db, mc, win->key + 1,
					   win->klen - 1, win->val, win->vlen);
		else if ((rc = db_cursor_del(lay->db, mc, win->key + 1,
					     win->klen - 1)) == CL_ERR_NOT_FOUND)
			rc = CL_OK;
		if (rc)
			break;
		ct->ents++;
	}
	db_cursor_close(mc);
	return rc;
}

/* The job, each key once at its newest entry, in transactions of about
 * lay->txn_entries entries; then one sync. */
static int checkpoint_write(struct layer *lay, uint64_t *txns)
{
	struct ckpt_txn ct = { .lay = lay,
			       .upto = lay->job[lay->job_n - 1]->seq };
	size_t pos[LAYER_MAX_DELTAS];
	int rc = ckpt_begin(&ct);

	for (unsigned t = 0; t < kv_table_count() && !rc; t++)
		rc = write_table(&ct, t, pos);
	if (ct.txn && rc)
		db_txn_abort(ct.txn);
	else if (ct.txn)
		rc = ckpt_commit(&ct, true);
	*txns = ct.txns;
	return rc ? rc : db_env_sync(lay->db);
}

static void *checkpoint_main(void *arg)
{
	struct layer *lay = arg;

	pthread_mutex_lock(&lay->lock);
	for (;;) {
		while (!lay->stop && !(lay->busy && lay->job_n))
			pthread_cond_wait(&lay->cond, &lay->lock);
		if (lay->stop)
			break;
		uint64_t upto = lay->job[lay->job_n - 1]->seq;
		size_t nfiles = lay->nfiles;
		pthread_mutex_unlock(&lay->lock);

		uint64_t t0 = cl_clock_mono_ns();
		uint64_t txns = 0;
		atomic_store_explicit(&lay->part_txns, 0,
				      memory_order_relaxed);
		int rc = checkpoint_write(lay, &txns);
		atomic_store_explicit(&lay->part_txns, 0,
				      memory_order_relaxed);
		if (rc == CL_OK) {
			for (size_t i = 0; i < nfiles; i++)
				if (remove(lay->files[i]) != 0)
					cl_unusual(STATE_LOG,
						   "cannot remove the "
						   "checkpointed log file %s",
						   lay->files[i]);
			cl_debug(STATE_LOG,
				 "checkpoint to block %llu: %zu blocks, "
				 "%.1f ms",
				 (unsigned long long)upto, lay->job_n,
				 (double)(cl_clock_mono_ns() - t0) / 1e6);
		} else {
			cl_unusual(STATE_LOG,
				   "checkpoint to block %llu failed: %s (the "
				   "log keeps the blocks; retried later)",
				   (unsigned long long)upto, cl_err_str(rc));
		}

		pthread_mutex_lock(&lay->lock);
		for (size_t i = 0; i < lay->job_n; i++)
			delta_unref(lay->job[i]);
		lay->job_n = 0;
		if (rc == CL_OK) {
			for (size_t i = 0; i < nfiles; i++)
				free(lay->files[i]);
			memmove(lay->files, lay->files + nfiles,
				(lay->nfiles - nfiles) * sizeof(*lay->files));
			lay->nfiles -= nfiles;
			atomic_store_explicit(&lay->done, upto,
					      memory_order_release);
		}
		lay->err = rc;
		lay->txns += txns;
		lay->busy = false;
		lay->last_ns = cl_clock_mono_ns() - t0;
		lay->ckpt_ns += lay->last_ns;
		if (rc == CL_OK)
			lay->checkpoints++;
		else
			lay->failures++;
		pthread_cond_broadcast(&lay->cond);
	}
	pthread_mutex_unlock(&lay->lock);
	return NULL;
}

/* Hand the blocks of the chain LMDB does not hold yet to the checkpoint
 * thread (the writer, not busy). The log goes on in a new file. The
 * chain can still hold blocks the last checkpoint wrote (they are
 * dropped between blocks): writing them again would be a checkpoint of
 * nothing new whose transactions mark LMDB as holding part of blocks it
 * holds whole. */
static int start_checkpoint(struct layer *lay)
{
	uint64_t done = atomic_load_explicit(&lay->done, memory_order_acquire);
	char *closed = NULL;
	size_t k = 0;
	int rc;

	while (k < lay->n && lay->chain[k]->seq <= done)
		k++;
	if (k == lay->n)
		return CL_OK; /* nothing new */
	rc = slog_rotate(lay->log, lay->next_seq, &closed);
	if (rc)
		return rc;
	pthread_mutex_lock(&lay->lock);
	if (closed) {
		lay->files = cl_xrealloc(lay->files, (lay->nfiles + 1) *
							     sizeof(*lay->files));
		lay->files[lay->nfiles++] = closed;
	}
	for (size_t i = k; i < lay->n; i++) {
		delta_ref(lay->chain[i]);
		lay->job[i - k] = lay->chain[i];
	}
	lay->job_n = lay->n - k;
	lay->busy = true;
	lay->start_ns = cl_clock_mono_ns();
	pthread_cond_broadcast(&lay->cond);
	pthread_mutex_unlock(&lay->lock);
	return CL_OK;
}

/* Wait until no checkpoint runs; its result. */
static int wait_checkpoint(struct layer *lay)
{
	int rc;

	pthread_mutex_lock(&lay->lock);
	while (lay->busy)
		pthread_cond_wait(&lay->cond, &lay->lock);
	rc = lay->err;
	pthread_mutex_unlock(&lay->lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The writer                                                          */
/* ------------------------------------------------------------------ */

void lay_writer_init(struct kv *kv, struct layer *lay)
{
	memset(kv, 0, sizeof(*kv));
	kv->kind = KV_LAYER;
	kv->db = lay->db;
	kv->lay = lay;
	kv->dv = lay->chain;
	kv->dn = lay->n;
	kv->builder = &lay->builder;
	kv->index = &lay->index;
}

int lay_writer_ready(struct kv *kv, bool may_trim)
{
	struct layer *lay = kv->lay;
	uint64_t done;
	size_t k = 0;

	done = atomic_load_explicit(&lay->done, memory_order_acquire);
	if (may_trim && done > lay->base) {
		/* LMDB holds blocks up to `done` now: read it there, then
		 * forget them (the read must be at least as new first) */
		db_txn_abort(kv->txn);
		kv->txn = NULL;
		kv->read_commits = atomic_load_explicit(&lay->commits,
							memory_order_acquire);
		int rc = db_txn_begin(kv->db, &kv->txn, false);
		if (rc)
			return rc;
		while (k < lay->n && lay->chain[k]->seq <= done)
			index_drop(&lay->index, lay->chain[k++]);
		struct delta *gone[LAYER_MAX_DELTAS];
		pthread_mutex_lock(&lay->lock);
		for (size_t i = 0; i < k; i++) {
			gone[i] = lay->chain[i];
			lay->bytes -= gone[i]->bytes;
		}
		memmove(lay->chain, lay->chain + k,
			(lay->n - k) * sizeof(*lay->chain));
		lay->n -= k;
		lay->base = done;
		pthread_mutex_unlock(&lay->lock);
		for (size_t i = 0; i < k; i++)
			delta_unref(gone[i]);
	} else if (may_trim && kv->txn) {
		/* a newer read, so that LMDB may reuse the pages the
		 * checkpoint's transactions freed (an old reader keeps them);
		 * the chain covers whatever they wrote */
		db_txn_abort(kv->txn);
		kv->txn = NULL;
	}
	kv->dn = lay->n;
	if (kv->txn)
		return CL_OK;
	/* read before the begin: a commit in between is seen as new */
	kv->read_commits =
	    atomic_load_explicit(&lay->commits, memory_order_acquire);
	return db_txn_begin(kv->db, &kv->txn, false);
}

void lay_writer_refresh(struct kv *kv)
{
	struct layer *lay = kv->lay;

	if (!kv->txn || kv->cursors ||
	    atomic_load_explicit(&lay->commits, memory_order_acquire) ==
		kv->read_commits)
		return;
	db_txn_abort(kv->txn);
	kv->txn = NULL;
	pthread_mutex_lock(&lay->lock);
	lay->refreshes++;
	pthread_mutex_unlock(&lay->lock);
}

/*
 * Every seek of a cursor searches each block held, so the blocks no
 * checkpoint has taken yet are merged into one once there are
 * LAYER_MERGE_AT of them (all but the oldest when it alone is as large
 * as the rest): a key's newest entry only, numbered as the
 * newest block (a checkpoint that holds it has written all of them). The
 * merged blocks are the newest, so every key of the merged one had its
 * newest entry in them: the index moves to it. Snapshots keep their own
 * references to the blocks they copied.
 */
#define LAYER_MERGE_AT 8

static void merge_newest(struct kv *kv)
{
	struct layer *lay = kv->lay;
	struct delta *m, *gone[LAYER_MAX_DELTAS];
	uint64_t taken = 0;
	size_t from = 0, k;

	pthread_mutex_lock(&lay->lock);
	if (lay->busy && lay->job_n)
		taken = lay->job[lay->job_n - 1]->seq;
	pthread_mutex_unlock(&lay->lock);
	while (from < lay->n && lay->chain[from]->seq <= taken)
		from++;
	k = lay->n - from;
	if (k < LAYER_MERGE_AT)
		return;
	/* a merged delta at least as large as all newer ones together
	 * stays as it is, and only those are merged: copying it again at
	 * every merge, while a slow checkpoint keeps it, cost more than
	 * the one more delta a read searches */
	size_t newer = 0;
	for (size_t i = from + 1; i < lay->n; i++)
		newer += lay->chain[i]->n;
	if (lay->chain[from]->n >= newer) {
		from++;
		k--;
	}
	m = delta_merge(&lay->chain[from], k, lay->chain[lay->n - 1]->seq);
	for (size_t i = 0; i < m->n; i++) {
		const struct delta_ent *e = &m->e[i];
		struct lay_slot *sl = index_find(
			&lay->index, key_hash(e->key, e->klen), e->key, e->klen);
		CL_REQUIRE(sl && sl->e && sl->seq > taken);
		sl->e = e;
		sl->seq = m->seq;
	}
	pthread_mutex_lock(&lay->lock);
	for (size_t i = 0; i < k; i++) {
		gone[i] = lay->chain[from + i];
		lay->bytes -= gone[i]->bytes;
	}
	lay->chain[from] = m;
	lay->n = from + 1;
	lay->bytes += m->bytes;
	lay->merges++;
	pthread_mutex_unlock(&lay->lock);
	for (size_t i = 0; i < k; i++)
		delta_unref(gone[i]);
	kv->dn = lay->n;
}

/*
 * Room for one more block. The blocks held are bounded in deltas and
 * bytes (twice the checkpoint size): past that the writer waits for the
 * checkpoint, which it starts itself if none runs. And once a checkpoint
 * has failed (the map or the disk full), no block is taken until one
 * succeeds: each commit tries one and fails with its error, so the
 * writes are refused as they were when every block was an LMDB commit,
 * instead of piling up in memory and in the log.
 */
static int make_room(struct kv *kv)
{
	struct layer *lay = kv->lay;

	for (;;) {
		int rc, err;
		bool busy;

		pthread_mutex_lock(&lay->lock);
		busy = lay->busy;
		if (lay->err && !busy && lay->n == 0)
			lay->err = CL_OK; /* nothing left to write */
		err = lay->err;
		pthread_mutex_unlock(&lay->lock);
		if (!err && lay->n + 1 < LAYER_MAX_DELTAS &&
		    lay->bytes < 2 * lay->checkpoint_bytes)
			return CL_OK;
		if (!busy && (rc = start_checkpoint(lay)))
			return rc;
		cl_debug(STATE_LOG, "%zu deltas (%zu bytes) wait for their "
				    "checkpoint%s",
			 lay->n, lay->bytes,
			 err ? " (the last one failed)" : "");
		rc = wait_checkpoint(lay);
		if (rc)
			return rc;
		rc = lay_writer_ready(kv, true);
		if (rc)
			return rc;
	}
}

int lay_writer_commit(struct kv *kv, const struct cl_hash32 *root)
{
	struct layer *lay = kv->lay;
	struct delta *d;
	bool busy;
	uint64_t t0 = cl_clock_mono_ns(), t1;
	int rc = make_room(kv);

	t1 = cl_clock_mono_ns();
	if (rc) {
		lay_writer_discard(kv);
		return rc;
	}
	d = delta_from_builder(&lay->builder, lay->next_seq);
	builder_clear(&lay->builder);
	size_t rec_bytes = 0;
	rc = slog_append(lay->log, d, root, db_sync_every(lay->db),
			 &rec_bytes);
	if (rc) {
		delta_unref(d);
		return rc;
	}
	pthread_mutex_lock(&lay->lock);
	lay->chain[lay->n++] = d;
	lay->bytes += d->bytes;
	lay->room_wait_ns += t1 - t0;
	lay->appends++;
	lay->append_bytes += rec_bytes;
	lay->append_ns += cl_clock_mono_ns() - t1;
	busy = lay->busy;
	pthread_mutex_unlock(&lay->lock);
	lay->next_seq++;
	index_add(&lay->index, d);
	kv->dn = lay->n;
	merge_newest(kv);
	/* between blocks no value read is held: drop what a checkpoint
	 * wrote and read LMDB anew (a failure here begins again at the
	 * next read) */
	(void)lay_writer_ready(kv, true);
	if (!busy && (lay->bytes >= lay->checkpoint_bytes ||
		      cl_clock_mono_ns() - lay->start_ns >=
			      (uint64_t)lay->checkpoint_ms * 1000000u)) {
		rc = start_checkpoint(lay);
		if (rc) /* the block is durable: only the checkpoint waits */
			cl_unusual(STATE_LOG, "cannot start a checkpoint: %s",
				   cl_err_str(rc));
	}
	return CL_OK;
}

void lay_writer_discard(struct kv *kv)
{
	builder_clear(&kv->lay->builder);
	(void)lay_writer_ready(kv, true);
}

void lay_writer_close(struct kv *kv)
{
	struct layer *lay = kv->lay;

	/*
	 * The writer's read ends first: LMDB reuses a page a checkpoint
	 * frees only once no reader may still see it, so a read held over
	 * the last checkpoint made the file grow by all that checkpoint
	 * rewrote (at 1M accounts, 1.3 GiB of file to 2.4, nearly half of
	 * it free pages).
	 */
	db_txn_abort(kv->txn);
	kv->txn = NULL;
	int rc = wait_checkpoint(lay);

	builder_clear(&lay->builder);
	if (lay->n && (rc = start_checkpoint(lay)) == CL_OK)
		rc = wait_checkpoint(lay);
	if (rc == CL_OK)
		rc = lay_writer_ready(kv, true); /* forget what LMDB holds */
	if (rc)
		cl_unusual(STATE_LOG, "the last checkpoint failed: %s (the "
				      "log is replayed at the next open)",
			   cl_err_str(rc));
	db_txn_abort(kv->txn);
	kv->txn = NULL;
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

int lay_snapshot_open(struct kv *kv, struct cl_db *db, struct layer *lay)
{
	for (;;) {
		uint64_t newest, held, part;
		int rc;

		memset(kv, 0, sizeof(*kv));
		kv->kind = KV_LAYER;
		kv->db = db;
		kv->lay = lay;
		/* the blocks first: a read transaction begun after sees LMDB
		 * at least at their base (a newer one holds some of them
		 * again, the same values) */
		pthread_mutex_lock(&lay->lock);
		kv->dn = lay->n;
		kv->dv = cl_xmalloc((lay->n + 1) * sizeof(*kv->dv));
		for (size_t i = 0; i < lay->n; i++) {
			kv->dv[i] = lay->chain[i];
			delta_ref(kv->dv[i]);
		}
		newest = lay->n ? lay->chain[lay->n - 1]->seq : lay->base;
		pthread_mutex_unlock(&lay->lock);
		rc = db_txn_begin(db, &kv->txn, false);
		if (!rc)
			rc = db_log_seq(db, kv->txn, &held);
		if (!rc)
			rc = db_log_part(db, kv->txn, &part);
		if (rc) {
			lay_snapshot_close(kv);
			return rc;
		}
		/* but not newer than the newest: blocks committed after the
		 * copy and checkpointed (in whole or in part) before the
		 * transaction began would show through under the copied
		 * ones. Copy again. */
		if (held <= newest && part <= newest)
			return CL_OK;
		lay_snapshot_close(kv);
	}
}

void lay_snapshot_close(struct kv *kv)
{
	db_txn_abort(kv->txn);
	kv->txn = NULL;
	for (size_t i = 0; i < kv->dn; i++)
		delta_unref(kv->dv[i]);
	free(kv->dv);
	kv->dv = NULL;
	kv->dn = 0;
}

void lay_stats(struct layer *lay, struct cl_db_log_stats *out)
{
	pthread_mutex_lock(&lay->lock);
	out->checkpoints = lay->checkpoints;
	out->failures = lay->failures;
	out->checkpointed = atomic_load(&lay->done);
	out->held_blocks = lay->n;
	out->held_bytes = lay->bytes;
	out->last_ns = lay->last_ns;
	out->ckpt_ns = lay->ckpt_ns;
	out->appends = lay->appends;
	out->append_bytes = lay->append_bytes;
	out->append_ns = lay->append_ns;
	out->room_wait_ns = lay->room_wait_ns;
	out->merges = lay->merges;
	out->txns = lay->txns;
	out->part_txns = atomic_load_explicit(&lay->part_txns,
					      memory_order_relaxed);
	out->refreshes = lay->refreshes;
	pthread_mutex_unlock(&lay->lock);
}

int lay_sync(struct layer *lay)
{
	return slog_sync(lay->log);
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

int layer_open(struct layer **out, struct cl_db *db, const char *dir,
	       uint64_t base, unsigned checkpoint_ms,
	       uint64_t checkpoint_bytes, uint32_t txn_entries)
{
	struct layer *lay = cl_xcalloc(1, sizeof(*lay));
	int rc;

	*out = NULL;
	lay->db = db;
	lay->dir = cl_xstrdup(dir);
	lay->checkpoint_ms = checkpoint_ms;
	lay->checkpoint_bytes = checkpoint_bytes;
	lay->txn_entries = txn_entries;
	builder_init(&lay->builder);
	pthread_mutex_init(&lay->lock, NULL);
	pthread_cond_init(&lay->cond, NULL);
	lay->base = base;
	atomic_init(&lay->done, base);
	lay->next_seq = base + 1;
	lay->start_ns = cl_clock_mono_ns();
	rc = slog_open(&lay->log, dir, lay->next_seq);
	if (!rc && pthread_create(&lay->thread, NULL, checkpoint_main, lay)) {
		cl_unusual(STATE_LOG, "cannot start the checkpoint thread");
		rc = CL_ERR_IO;
	}
	if (!rc)
		pthread_setname_np(lay->thread, "cl-checkpoint");
	if (rc) {
		layer_close(lay);
		return rc;
	}
	lay->thread_on = true;
	*out = lay;
	return CL_OK;
}

void layer_close(struct layer *lay)
{
	if (!lay)
		return;
	if (lay->thread_on) {
		pthread_mutex_lock(&lay->lock);
		while (lay->busy)
			pthread_cond_wait(&lay->cond, &lay->lock);
		lay->stop = true;
		pthread_cond_broadcast(&lay->cond);
		pthread_mutex_unlock(&lay->lock);
		pthread_join(lay->thread, NULL);
	}
	for (size_t i = 0; i < lay->n; i++)
		delta_unref(lay->chain[i]);
	for (size_t i = 0; i < lay->nfiles; i++)
		free(lay->files[i]);
	free(lay->files);
	free(lay->index.s);
	builder_release(&lay->builder);
	slog_close(lay->log);
	pthread_mutex_destroy(&lay->lock);
	pthread_cond_destroy(&lay->cond);
	free(lay->dir);
	free(lay);
}
