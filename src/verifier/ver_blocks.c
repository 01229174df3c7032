/* SPDX-License-Identifier: MIT */
/*
 * Applying the blocks of a decoded batch (cl_replay_blocks(), declared in
 * include/clearline/verifier.h): the signatures are recovered on a helper
 * thread ahead of the writer, which helps whenever the block it needs
 * next is not recovered yet; each block goes through the stf, is
 * committed as its own transaction and its root compared with the
 * batch's. The verifier's derivation thread, the replay bench and the
 * replay crash test all run this code.
 */
#include <clearline/verifier.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Requests recovered per claim: small enough that the writer, which
 * claims too when it waits, is never held long by the helper's claim. */
#define CHUNK 16

/*
 * The recovery work of one call: requests [0, n) of the batch in order,
 * claimed CHUNK at a time by the helper and by the writer. `ready` is
 * the first request not known to be recovered (every one below it is).
 */
struct pipe {
	pthread_mutex_t m;
	pthread_cond_t c;
	struct cl_tx **txs; /* n pointers into the batch's blocks */
	size_t n;
	size_t n_chunks;
	uint8_t *chunk_done;
	size_t next;  /* first request not claimed */
	size_t ready; /* requests [0, ready) are recovered */
	bool stop;
	const struct cl_eip712_domain *d;
};

/* A cancel that names its order by sequence is recovered by the stf
 * once it has found the order's hash. */
static void recover_one(struct cl_tx *tx, const struct cl_eip712_domain *d)
{
	static const struct cl_hash32 zero;

	if (tx->type == CL_TX_CANCEL &&
	    cl_hash32_eq(&tx->u.cancel.msg.order_hash, &zero))
		return;
	cl_tx_recover(tx, d);
}

/* Claim the next chunk below `limit` (under m): its first request, or
 * SIZE_MAX when there is none. */
static size_t claim(struct pipe *p, size_t limit)
{
	if (p->stop || p->next >= limit || p->next >= p->n)
		return SIZE_MAX;
	size_t a = p->next;
	p->next = a + CHUNK < p->n ? a + CHUNK : p->n;
	return a;
}

/* Recover the chunk at `a` (m not held), then mark it (takes m). */
static void work(struct pipe *p, size_t a)
{
	size_t end = a + CHUNK < p->n ? a + CHUNK : p->n;

	for (size_t i = a; i < end; i++)
		recover_one(p->txs[i], p->d);
	pthread_mutex_lock(&p->m);
	p->chunk_done[a / CHUNK] = 1;
	while (p->ready < p->n && p->chunk_done[p->ready / CHUNK])
		p->ready = p->ready + CHUNK < p->n ? p->ready + CHUNK : p->n;
	pthread_cond_broadcast(&p->c);
	pthread_mutex_unlock(&p->m);
}

static void *helper_main(void *arg)
{
	struct pipe *p = arg;

	for (;;) {
		pthread_mutex_lock(&p->m);
		size_t a = claim(p, p->n);
		pthread_mutex_unlock(&p->m);
		if (a == SIZE_MAX)
			return NULL;
		work(p, a);
	}
}

/* The writer: return once requests [0, end) are recovered, recovering
 * unclaimed chunks below `end` itself meanwhile. */
static void wait_ready(struct pipe *p, size_t end)
{
	pthread_mutex_lock(&p->m);
	while (p->ready < end) {
		size_t a = claim(p, end);
		if (a == SIZE_MAX) {
			/* the rest below `end` is in the helper's hands */
			pthread_cond_wait(&p->c, &p->m);
			continue;
		}
		pthread_mutex_unlock(&p->m);
		work(p, a);
		pthread_mutex_lock(&p->m);
	}
	pthread_mutex_unlock(&p->m);
}

static void books_wrlock(const struct cl_replay *r)
{
	if (r->books_lock)
		pthread_rwlock_wrlock(r->books_lock);
}

static void books_unlock(const struct cl_replay *r)
{
	if (r->books_lock)
		pthread_rwlock_unlock(r->books_lock);
}

/* Block `blk` through the stf (its requests recovered): CL_OK, a hook's
 * positive code or a negative error; on anything but CL_OK the block is
 * discarded and the books are back at the committed state. */
static int apply_one(const struct cl_replay *r, struct cl_batch2_block *blk,
		     uint64_t batch, const struct cl_hash32 *data_hash)
{
	const struct cl_replay_hooks *h = &r->hooks;
	struct cl_replay_fault f = {.blk = blk};
	struct cl_block_header hdr;
	struct cl_hash32 prev, root;
	int rc;

	rc = h->block ? h->block(h->arg, blk) : CL_OK;
	if (!rc)
		rc = cl_state_root(r->st, &prev);
	if (rc)
		return rc;
	hdr.number = blk->number;
	hdr.timestamp_ms = blk->timestamp_ms;
	hdr.prev_root = prev;
	hdr.l1 = blk->l1;
	books_wrlock(r);
	rc = cl_stf_open_block(r->stf, &hdr);
	books_unlock(r);
	if (rc > 0) {
		cl_state_discard(r->st);
		f.kind = CL_REPLAY_HEADER_REFUSED;
		f.code = rc;
		return h->fault(h->arg, &f);
	}
	for (size_t i = 0; i < blk->n_txs && rc == 0; i++) {
		struct cl_tx *tx = &blk->txs[i];
		if (h->request) {
			rc = h->request(h->arg, blk, i, tx);
			if (rc)
				break;
		}
		books_wrlock(r);
		rc = cl_stf_request(r->stf, NULL, tx);
		books_unlock(r);
		if (rc > 0) {
			f.kind = CL_REPLAY_REQUEST_REFUSED;
			f.tx = i;
			f.code = rc;
			rc = h->fault(h->arg, &f);
		}
	}
	cl_stf_end_block(r->stf);
	if (rc) {
		cl_state_discard(r->st);
		/* the books go back to the committed state (a replica serves
		 * them); failing that, they rebuild when a block opens */
		books_wrlock(r);
		if (cl_stf_reload(r->stf))
			cl_unusual("verifier", "cannot rebuild the books");
		books_unlock(r);
		return rc;
	}

	/* the root after the previous block, and which batch this block
	 * belongs to (docs/verifier.md "Restart") */
	cl_chain_put_root(r->st, blk->number - 1, &prev);
	cl_chain_put_partial(r->st, batch, data_hash);
	rc = cl_state_commit_block(r->st, &root);
	if (rc) {
		cl_state_discard(r->st);
		return rc;
	}
	if (h->committed)
		h->committed(h->arg, blk);
	if (!cl_hash32_eq(&root, &blk->root)) {
		f.kind = CL_REPLAY_ROOT_DIFFERS;
		f.root = root;
		return h->fault(h->arg, &f);
	}
	return CL_OK;
}

int cl_replay_blocks(const struct cl_replay *r, struct cl_replay_batch *rb,
		     size_t from, struct cl_replay_batch *next)
{
	struct cl_batch2 *b = rb->b;
	struct pipe p;
	pthread_t th;
	bool threaded = false;
	size_t skip = 0, n_b = 0;
	int rc = CL_OK;

	CL_REQUIRE(from <= b->n_blocks && r->hooks.fault);
	memset(&p, 0, sizeof(p));
	/* this batch's requests from block `from` on, then the next
	 * batch's (the helper goes on with them; the writer never waits
	 * for them) */
	for (size_t i = 0; i < b->n_blocks; i++) {
		if (i < from)
			skip += b->blocks[i].n_txs;
		else
			n_b += b->blocks[i].n_txs;
	}
	skip = rb->recovered > skip ? rb->recovered - skip : 0;
	p.n = n_b;
	if (next)
		for (size_t i = 0; i < next->b->n_blocks; i++)
			p.n += next->b->blocks[i].n_txs;
	p.txs = cl_xcalloc(p.n ? p.n : 1, sizeof(*p.txs));
	size_t k = 0;
	for (size_t i = from; i < b->n_blocks; i++)
		for (size_t t = 0; t < b->blocks[i].n_txs; t++)
			p.txs[k++] = &b->blocks[i].txs[t];
	for (size_t i = 0; next && i < next->b->n_blocks; i++)
		for (size_t t = 0; t < next->b->blocks[i].n_txs; t++)
			p.txs[k++] = &next->b->blocks[i].txs[t];
	p.n_chunks = (p.n + CHUNK - 1) / CHUNK;
	p.chunk_done = cl_xcalloc(p.n_chunks ? p.n_chunks : 1, 1);
	/* what an earlier call recovered as its `next` (whole chunks:
	 * the rest of a chunk is recovered again, which changes nothing) */
	skip = skip > n_b ? n_b : skip;
	p.next = p.ready = skip / CHUNK * CHUNK;
	for (size_t c = 0; c < p.next / CHUNK; c++)
		p.chunk_done[c] = 1;
	p.d = cl_stf_domain(r->stf);
	pthread_mutex_init(&p.m, NULL);
	pthread_cond_init(&p.c, NULL);
	/* one chunk alone is not worth a thread */
	if (p.n_chunks - p.next / CHUNK > 1)
		threaded = pthread_create(&th, NULL, helper_main, &p) == 0;

	size_t end = 0;
	for (size_t i = from; i < b->n_blocks && !rc; i++) {
		end += b->blocks[i].n_txs;
		wait_ready(&p, end);
		rc = apply_one(r, &b->blocks[i], rb->index, &rb->data_hash);
		if (!rc && i + 1 < b->n_blocks && r->hooks.stop &&
		    r->hooks.stop(r->hooks.arg))
			rc = CL_ERR_BUSY; /* resumes after the restart */
	}
	/* the batch's close, while the helper recovers the next batch */
	if (!rc && r->hooks.end)
		rc = r->hooks.end(r->hooks.arg);
	pthread_mutex_lock(&p.m);
	p.stop = true;
	pthread_mutex_unlock(&p.m);
	if (threaded)
		pthread_join(th, NULL);
	rb->recovered = 0;
	if (next) {
		/* chunks of the next batch are claimed in order by the
		 * helper alone, and every claimed one is done after the
		 * join: the prefix up to p.next is recovered */
		size_t done = p.next > n_b ? p.next - n_b : 0;
		if (done > next->recovered)
			next->recovered = done;
	}
	pthread_mutex_destroy(&p.m);
	pthread_cond_destroy(&p.c);
	free(p.chunk_done);
	free(p.txs);
	return rc;
}
