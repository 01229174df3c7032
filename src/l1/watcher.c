/* SPDX-License-Identifier: MIT */
/*
 * The deposit watcher: Deposit logs of the rollup in bounded ranges up to
 * the confirmation depth, delivered exactly once in id order. The same
 * machine watches ForcedRequest logs (cl_l1_forced_watcher_open) and the
 * assets contract's AssetDeposit logs (cl_l1_asset_watcher_open): only
 * the event, its decoding and the state file differ.
 *
 * Memory kept with the cursor (and stored with it): the hashes of the
 * last range ends (to find the fork point after a reorg) and the contents
 * of the last delivered deposits (to check a re-mined deposit is the same
 * one, never delivering it twice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l1_int.h"

#define WATCH_MAGIC "CLL1DEPW"
#define WATCH_VERSION 1u
#define WATCH_FILE "l1-deposits.dat"
#define FORCED_MAGIC "CLL1FRCW"
#define FORCED_FILE "l1-forced.dat"
#define ASSET_MAGIC "CLL1ASTW"
#define ASSET_FILE "l1-asset-deposits.dat"
#define CHECKPOINTS 64
#define REMEMBERED 1024

struct checkpoint {
	uint64_t block;
	struct cl_hash32 hash;
};

/* A delivered event: a deposit's recipient and amount, a forced
 * request's account and a digest of its kind and fields, or an asset
 * deposit's recipient and a digest of its asset and amount. */
struct remembered {
	uint64_t id;
	struct cl_address to;
	uint64_t amount;
};

struct cl_l1_watcher {
	struct cl_l1_rpc *rpc;
	char *dir; /* NULL: the caller keeps the cursor */
	struct cl_l1_watcher_opts o;
	cl_l1_deposit_fn fn;
	cl_l1_forced_fn ffn; /* set: a forced-request watcher */
	cl_l1_asset_deposit_fn afn; /* set: an asset-deposit watcher */
	void *arg;
	struct cl_l1_cursor cur;
	size_t n_cps; /* oldest first */
	struct checkpoint cps[CHECKPOINTS];
	size_t n_mem; /* ring of the last delivered deposits */
	size_t mem_head;
	struct remembered mem[REMEMBERED];
	bool broken;
	bool dirty;
};

void cl_l1_watcher_opts_default(struct cl_l1_watcher_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->confirmations = 3;
	o->max_range = 1000;
	o->max_ranges = 8;
}

static bool hash_zero(const struct cl_hash32 *h)
{
	static const struct cl_hash32 z;
	return cl_hash32_eq(h, &z);
}

/* ------------------------------------------------------------------ */
/* State file                                                          */
/* ------------------------------------------------------------------ */

static const char *file_name(const struct cl_l1_watcher *w)
{
	return w->ffn ? FORCED_FILE : w->afn ? ASSET_FILE : WATCH_FILE;
}

static const char *file_magic(const struct cl_l1_watcher *w)
{
	return w->ffn ? FORCED_MAGIC : w->afn ? ASSET_MAGIC : WATCH_MAGIC;
}

static int save(struct cl_l1_watcher *w)
{
	struct cl_buf b;

	if (!w->dir) {
		w->dirty = false;
		return CL_OK;
	}
	cl_buf_init(&b);
	cl_buf_append(&b, w->o.rollup.b, 20);
	cl_buf_append_be64(&b, w->cur.next_block);
	cl_buf_append(&b, w->cur.prev_hash.b, 32);
	cl_buf_append_be64(&b, w->cur.next_id);
	cl_buf_append_be32(&b, (uint32_t)w->n_cps);
	for (size_t i = 0; i < w->n_cps; i++) {
		cl_buf_append_be64(&b, w->cps[i].block);
		cl_buf_append(&b, w->cps[i].hash.b, 32);
	}
	cl_buf_append_be32(&b, (uint32_t)w->n_mem);
	for (size_t i = 0; i < w->n_mem; i++) {
		/* oldest first */
		size_t k =
		    (w->mem_head + REMEMBERED - w->n_mem + i) % REMEMBERED;
		cl_buf_append_be64(&b, w->mem[k].id);
		cl_buf_append(&b, w->mem[k].to.b, 20);
		cl_buf_append_be64(&b, w->mem[k].amount);
	}
	int rc = l1_file_write(w->dir, file_name(w), file_magic(w),
			       WATCH_VERSION, b.p, b.len);
	cl_buf_release(&b);
	if (rc == CL_OK)
		w->dirty = false;
	return rc;
}

static int load(struct cl_l1_watcher *w)
{
	struct cl_buf b;
	struct cl_cursor c;
	struct cl_address rollup;

	cl_buf_init(&b);
	int rc = l1_file_read(&b, w->dir, file_name(w), file_magic(w),
			      WATCH_VERSION);
	if (rc != CL_OK)
		goto out;
	cl_cur_init(&c, b.p, b.len);
	cl_cur_bytes(&c, rollup.b, 20);
	w->cur.next_block = cl_cur_be64(&c);
	cl_cur_bytes(&c, w->cur.prev_hash.b, 32);
	w->cur.next_id = cl_cur_be64(&c);
	uint32_t n = cl_cur_be32(&c);
	if (n > CHECKPOINTS)
		cl_cur_fail(&c);
	for (uint32_t i = 0; i < n && !c.failed; i++) {
		w->cps[i].block = cl_cur_be64(&c);
		cl_cur_bytes(&c, w->cps[i].hash.b, 32);
		w->n_cps = i + 1;
	}
	n = cl_cur_be32(&c);
	if (n > REMEMBERED)
		cl_cur_fail(&c);
	for (uint32_t i = 0; i < n && !c.failed; i++) {
		w->mem[i].id = cl_cur_be64(&c);
		cl_cur_bytes(&c, w->mem[i].to.b, 20);
		w->mem[i].amount = cl_cur_be64(&c);
	}
	w->n_mem = n;
	w->mem_head = n % REMEMBERED;
	if (!cl_cur_done(&c) || !cl_address_eq(&rollup, &w->o.rollup)) {
		cl_unusual(L1_LOG,
			   "%s/%s: contents do not decode or name "
			   "another contract",
			   w->dir, file_name(w));
		rc = CL_ERR_CORRUPT;
	}
out:
	cl_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

static int watcher_open(struct cl_l1_watcher **out, struct cl_l1_rpc *rpc,
			const char *state_dir,
			const struct cl_l1_cursor *initial,
			const struct cl_l1_watcher_opts *opts,
			cl_l1_deposit_fn fn, cl_l1_forced_fn ffn,
			cl_l1_asset_deposit_fn afn, void *arg)
{
	struct cl_l1_watcher *w = cl_xcalloc(1, sizeof(*w));

	*out = NULL;
	w->rpc = rpc;
	w->o = *opts;
	if (w->o.confirmations == 0)
		w->o.confirmations = 1;
	if (w->o.max_range == 0)
		w->o.max_range = 1000;
	if (w->o.max_ranges == 0)
		w->o.max_ranges = 1;
	w->fn = fn;
	w->ffn = ffn;
	w->afn = afn;
	w->arg = arg;
	w->dir = state_dir ? cl_xstrdup(state_dir) : NULL;
	w->cur.next_block = opts->start_block;

	if (initial) {
		w->cur = *initial;
	} else if (w->dir) {
		int rc = load(w);
		if (rc == CL_ERR_NOT_FOUND) {
			memset(&w->cur, 0, sizeof(w->cur));
			memset(w->cps, 0, sizeof(w->cps));
			memset(w->mem, 0, sizeof(w->mem));
			w->n_cps = w->n_mem = w->mem_head = 0;
			w->cur.next_block = opts->start_block;
		} else if (rc != CL_OK) {
			cl_l1_watcher_free(w);
			return rc;
		}
	}
	if (w->cur.next_block < opts->start_block) {
		w->cur.next_block = opts->start_block;
		memset(&w->cur.prev_hash, 0, sizeof(w->cur.prev_hash));
	}
	*out = w;
	return CL_OK;
}

int cl_l1_watcher_open(struct cl_l1_watcher **out, struct cl_l1_rpc *rpc,
		       const char *state_dir,
		       const struct cl_l1_cursor *initial,
		       const struct cl_l1_watcher_opts *opts,
		       cl_l1_deposit_fn fn, void *arg)
{
	CL_REQUIRE(fn);
	return watcher_open(out, rpc, state_dir, initial, opts, fn, NULL,
			    NULL, arg);
}

int cl_l1_forced_watcher_open(struct cl_l1_watcher **out,
			      struct cl_l1_rpc *rpc, const char *state_dir,
			      const struct cl_l1_cursor *initial,
			      const struct cl_l1_watcher_opts *opts,
			      cl_l1_forced_fn fn, void *arg)
{
	CL_REQUIRE(fn);
	return watcher_open(out, rpc, state_dir, initial, opts, NULL, fn,
			    NULL, arg);
}

int cl_l1_asset_watcher_open(struct cl_l1_watcher **out,
			     struct cl_l1_rpc *rpc, const char *state_dir,
			     const struct cl_l1_cursor *initial,
			     const struct cl_l1_watcher_opts *opts,
			     cl_l1_asset_deposit_fn fn, void *arg)
{
	CL_REQUIRE(fn);
	return watcher_open(out, rpc, state_dir, initial, opts, NULL, NULL,
			    fn, arg);
}

void cl_l1_watcher_free(struct cl_l1_watcher *w)
{
	if (!w)
		return;
	free(w->dir);
	free(w);
}

void cl_l1_watcher_cursor(const struct cl_l1_watcher *w,
			  struct cl_l1_cursor *out)
{
	*out = w->cur;
}

/* ------------------------------------------------------------------ */
/* Memory of checkpoints and deliveries                                */
/* ------------------------------------------------------------------ */

static void push_checkpoint(struct cl_l1_watcher *w, uint64_t block,
			    const struct cl_hash32 *hash)
{
	if (w->n_cps == CHECKPOINTS) {
		memmove(&w->cps[0], &w->cps[1],
			(CHECKPOINTS - 1) * sizeof(w->cps[0]));
		w->n_cps--;
	}
	w->cps[w->n_cps].block = block;
	w->cps[w->n_cps].hash = *hash;
	w->n_cps++;
}

static void remember(struct cl_l1_watcher *w, const struct remembered *d)
{
	struct remembered *m = &w->mem[w->mem_head];

	*m = *d;
	w->mem_head = (w->mem_head + 1) % REMEMBERED;
	if (w->n_mem < REMEMBERED)
		w->n_mem++;
}

static const struct remembered *recall(const struct cl_l1_watcher *w,
				       uint64_t id)
{
	for (size_t i = 0; i < w->n_mem; i++) {
		size_t k = (w->mem_head + REMEMBERED - 1 - i) % REMEMBERED;
		if (w->mem[k].id == id)
			return &w->mem[k];
	}
	return NULL;
}

static int go_broken(struct cl_l1_watcher *w)
{
	w->broken = true;
	return CL_L1_BROKEN;
}

/*
 * The block below the cursor is no longer the one we processed: go back
 * to the newest checkpoint that is still canonical. Delivered ids are
 * kept: rescanned deposits below next_id are compared, not delivered.
 */
static int rewind_to_fork(struct cl_l1_watcher *w)
{
	uint64_t from = w->cur.next_block;

	while (w->n_cps) {
		const struct checkpoint *cp = &w->cps[w->n_cps - 1];
		struct cl_l1_block b;
		bool found;
		int rc =
		    cl_l1_eth_block_by_number(w->rpc, &b, &found, cp->block);
		if (rc != CL_OK)
			return rc;
		if (found && cl_hash32_eq(&b.hash, &cp->hash) &&
		    cp->block < from) {
			w->cur.next_block = cp->block + 1;
			w->cur.prev_hash = cp->hash;
			w->dirty = true;
			cl_unusual(L1_LOG,
				   "watcher: l1 reorg, rescanning from "
				   "block %llu (was at %llu)",
				   (unsigned long long)w->cur.next_block,
				   (unsigned long long)from);
			return CL_OK;
		}
		w->n_cps--;
	}
	if (w->cur.next_id == 0) {
		/* nothing delivered: starting over loses nothing */
		w->cur.next_block = w->o.start_block;
		memset(&w->cur.prev_hash, 0, sizeof(w->cur.prev_hash));
		w->dirty = true;
		cl_unusual(L1_LOG,
			   "watcher: l1 reorg below every checkpoint, "
			   "rescanning from block %llu",
			   (unsigned long long)w->cur.next_block);
		return CL_OK;
	}
	/* the owner decides: start again from a known point, or stop */
	cl_unusual(L1_LOG,
		   "watcher: l1 reorg deeper than the watcher's "
		   "memory below block %llu",
		   (unsigned long long)from);
	return go_broken(w);
}

/* ------------------------------------------------------------------ */
/* Step                                                                */
/* ------------------------------------------------------------------ */

static const char *what(const struct cl_l1_watcher *w)
{
	return w->ffn ? "forced request" : w->afn ? "asset deposit" : "deposit";
}

/* 64 bits of keccak256(kind ‖ a ‖ b): what must not change when a
 * delivered forced request is seen again. */
static uint64_t forced_digest(const struct cl_l1_forced *f)
{
	uint8_t b[17], h[32];

	b[0] = f->kind;
	cl_put_be64(b + 1, f->a);
	cl_put_be64(b + 9, f->b);
	cl_keccak256(h, b, sizeof(b));
	return cl_get_be64(h);
}

/* 64 bits of keccak256(asset ‖ amount) of an asset deposit. */
static uint64_t asset_digest(const struct cl_l1_asset_deposit *a)
{
	uint8_t b[12], h[32];

	cl_put_be32(b, a->asset);
	cl_put_be64(b + 4, a->amount);
	cl_keccak256(h, b, sizeof(b));
	return cl_get_be64(h);
}

/* Hand over the deposits of one range. *gap is set when an id is
 * missing (the range is then re-queried later). */
static int deliver(struct cl_l1_watcher *w, const struct cl_l1_logs *logs,
		   uint64_t from, uint64_t to, size_t *delivered, bool *gap)
{
	*gap = false;
	for (size_t i = 0; i < logs->n; i++) {
		const struct cl_l1_log *log = &logs->v[i];
		struct cl_l1_deposit dep;
		struct cl_l1_forced frc;
		struct cl_l1_asset_deposit ad;
		struct remembered d;
		bool ok;

		if (log->removed)
			continue;
		if (w->ffn) {
			ok = cl_l1_decode_forced(&frc, log);
			d.id = frc.id;
			d.to = frc.account;
			d.amount = forced_digest(&frc);
		} else if (w->afn) {
			ok = cl_l1_decode_asset_deposit(&ad, log);
			d.id = ad.id;
			d.to = ad.to;
			d.amount = asset_digest(&ad);
		} else {
			ok = cl_l1_decode_deposit(&dep, log);
			d.id = dep.id;
			d.to = dep.to;
			d.amount = dep.amount;
		}
		if (!cl_address_eq(&log->address, &w->o.rollup) ||
		    log->block_number < from || log->block_number > to ||
		    !ok) {
			cl_unusual(L1_LOG,
				   "eth_getLogs: a %s log in block "
				   "%llu does not decode",
				   what(w),
				   (unsigned long long)log->block_number);
			return CL_L1_MALFORMED;
		}
		if (d.id < w->cur.next_id) {
			const struct remembered *m = recall(w, d.id);
			if (!m) {
				cl_unusual(L1_LOG,
					   "watcher: %s %llu seen "
					   "again, too old to compare",
					   what(w), (unsigned long long)d.id);
				continue;
			}
			if (!cl_address_eq(&m->to, &d.to) ||
			    m->amount != d.amount) {
				cl_broken(
				    L1_LOG,
				    "watcher: delivered %s "
				    "%llu came back with other contents "
				    "in block %llu",
				    what(w), (unsigned long long)d.id,
				    (unsigned long long)log->block_number);
				return go_broken(w);
			}
			continue;
		}
		if (d.id > w->cur.next_id) {
			cl_unusual(L1_LOG,
				   "watcher: %s id gap: expected "
				   "%llu, found %llu in block %llu; "
				   "querying again",
				   what(w), (unsigned long long)w->cur.next_id,
				   (unsigned long long)d.id,
				   (unsigned long long)log->block_number);
			*gap = true;
			return CL_OK;
		}
		int rc = w->ffn	  ? w->ffn(w->arg, &frc)
			 : w->afn ? w->afn(w->arg, &ad)
				  : w->fn(w->arg, &dep);
		if (rc != CL_OK) {
			cl_info(L1_LOG,
				"watcher: %s %llu refused by the "
				"consumer (%d)",
				what(w), (unsigned long long)d.id, rc);
			return CL_L1_STOPPED;
		}
		remember(w, &d);
		w->cur.next_id++;
		w->dirty = true;
		(*delivered)++;
	}
	return CL_OK;
}

/* Scan one range [next_block, to]. *again is false when the step must
 * stop (reorg noticed, gap, nothing to do). */
static int scan_range(struct cl_l1_watcher *w, uint64_t to, size_t *delivered,
		      bool *again)
{
	uint64_t from = w->cur.next_block;
	struct cl_l1_block first, end, end2;
	struct cl_l1_logs logs;
	struct cl_l1_filter f;
	bool found, gap;
	int rc;

	*again = false;
	rc = cl_l1_eth_block_by_number(w->rpc, &first, &found, from);
	if (rc != CL_OK || !found)
		return rc;
	if (!hash_zero(&w->cur.prev_hash) &&
	    !cl_hash32_eq(&first.parent_hash, &w->cur.prev_hash))
		return rewind_to_fork(w);
	rc = cl_l1_eth_block_by_number(w->rpc, &end, &found, to);
	if (rc != CL_OK || !found)
		return rc;

	memset(&f, 0, sizeof(f));
	f.has_address = true;
	f.address = w->o.rollup;
	f.n_topics = 1;
	cl_l1_event_topic(&f.topics[0], w->ffn   ? CL_L1_EV_FORCED_REQUEST
					: w->afn ? CL_L1_EV_ASSET_DEPOSIT
						 : CL_L1_EV_DEPOSIT);
	f.from_block = from;
	f.to_block = to;
	rc = cl_l1_eth_get_logs(w->rpc, &logs, &f);
	if (rc != CL_OK)
		return rc;
	rc = cl_l1_eth_block_by_number(w->rpc, &end2, &found, to);
	if (rc != CL_OK || !found || !cl_hash32_eq(&end.hash, &end2.hash)) {
		cl_l1_logs_release(&logs);
		return rc; /* the chain moved under the query: next step */
	}
	rc = deliver(w, &logs, from, to, delivered, &gap);
	cl_l1_logs_release(&logs);
	if (rc != CL_OK || gap)
		return rc;
	w->cur.next_block = to + 1;
	w->cur.prev_hash = end.hash;
	push_checkpoint(w, to, &end.hash);
	w->dirty = true;
	*again = true;
	return CL_OK;
}

int cl_l1_watcher_step(struct cl_l1_watcher *w, size_t *delivered)
{
	size_t dummy;
	uint64_t head;
	int rc;

	if (!delivered)
		delivered = &dummy;
	*delivered = 0;
	if (w->broken)
		return CL_L1_BROKEN;
	rc = cl_l1_eth_block_number(w->rpc, &head);
	if (rc != CL_OK)
		return rc;

	/* is the block under the cursor still the one we processed? */
	if (!hash_zero(&w->cur.prev_hash)) {
		struct cl_l1_block b;
		bool found;
		rc = cl_l1_eth_block_by_number(w->rpc, &b, &found,
					       w->cur.next_block - 1);
		if (rc != CL_OK)
			return rc;
		if (!found || !cl_hash32_eq(&b.hash, &w->cur.prev_hash))
			rc = rewind_to_fork(w);
	}

	for (unsigned r = 0; rc == CL_OK && r < w->o.max_ranges; r++) {
		bool again;
		if (head + 1 < w->o.confirmations)
			break;
		uint64_t safe = head + 1 - w->o.confirmations;
		if (w->cur.next_block > safe)
			break;
		uint64_t to = w->cur.next_block + w->o.max_range - 1;
		if (to > safe || to < w->cur.next_block)
			to = safe;
		rc = scan_range(w, to, delivered, &again);
		if (!again)
			break;
	}
	if (w->dirty) {
		int src = save(w);
		if (rc == CL_OK)
			rc = src;
	}
	return rc;
}
