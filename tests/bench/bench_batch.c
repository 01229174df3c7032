/* SPDX-License-Identifier: MIT */
/*
 * L1 bytes and gas per order for a realistic order mix, in the old batch
 * format (version 1) and in version 2. A program, not a test. This is
 * why the version 1 encoder is still in src/batch: it is the "old
 * format" column.
 *
 * It writes the requests a busy sequencer would put in its blocks —
 * market makers quoting around a moving mid (55 % of events; many quotes
 * later cancelled by their maker, 20 %), takers crossing with IOC orders
 * (25 %), real EIP-712 signatures from 64 keys, 150 requests per 100 ms
 * block, the L1 block changing every 12 s — and posts them twice:
 *
 *  - version 1, as the node did: each block also carries what the
 *    sequencer derived (one or two FILLs per taker, often an ORDER_DONE),
 *    cut at 108 000 payload bytes (90 % of batch-max-bytes), zstd level 9;
 *  - version 2: requests only (cancels by sequence number), cut at
 *    108 000 L1 bytes.
 *
 * Only full batches are counted. For each it prices appendBatch with its
 * ABI encoding: the calldata at the Cancun price (16 gas per non-zero
 * byte, 4 per zero byte), the whole transaction (21 000 + ~33 800 of
 * execution + ~0.58 gas per data byte of hashing, docs/l1.md, +
 * calldata), and the EIP-7623 floor that Prague
 * applies to data-heavy transactions (21 000 + 10 per token, a zero byte
 * one token, a non-zero byte four: 10 / 40 gas per byte); a transaction
 * pays the higher of the two.
 *
 * Further lines: version 2 with zstd on top (why version 2 has none),
 * the order nonces random as clearline-cli and the bots pick them, the
 * pipeline benchmarks' orders-only mix (order_mix.h), and the fixed cost
 * of an almost empty batch.
 *
 * usage: bench_batch [orders]   (default 20000)
 */
#include "order_mix.h"

#include <clearline/batch.h>
#include <clearline/crypto.h>
#include <clearline/l1.h>
#include <clearline/stf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_KEYS 64
#define N_MAKERS 16
#define REQS_PER_BLOCK 150
#define BATCH_MAX 108000 /* 90 % of the node's default 120 000 */
/* appendBatch besides calldata: base 21 000, then execution: one
 * commitment slot, the counters and the event (~33 800, docs/l1.md
 * "Gas"), plus hashing the data (~58 000 per 100 kB measured there) */
#define APPEND_EXEC_GAS 33800
#define APPEND_HASH_GAS_PER_KB 580
#define BASE_GAS 21000
#define T0_MS 1795000000000ull
#define EXPIRY 1893456000

static uint64_t rng;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_n(uint64_t n)
{
	return rnd() % n;
}

static struct cl_seckey *keys[N_KEYS];
static struct cl_address addrs[N_KEYS];
static struct cl_eip712_domain dom;

/* One block of the stream in both formats. */
struct sblock {
	struct cl_tx *req; /* version 2: requests only */
	size_t n_req;
	size_t v1_off, v1_n; /* version 1: its txs in the global v1 list */
	size_t orders;
};

struct stream {
	struct sblock *b;
	size_t n_blocks;
	struct cl_buf v1bytes; /* every version 1 tx encoding */
	size_t *v1_off, *v1_len, v1_n, v1_cap;
	size_t orders, cancels, fills, dones;
};

static void v1_push(struct stream *st, const struct cl_tx *tx)
{
	if (st->v1_n == st->v1_cap) {
		st->v1_cap = st->v1_cap ? 2 * st->v1_cap : 4096;
		st->v1_off =
		    cl_xrealloc(st->v1_off, st->v1_cap * sizeof(size_t));
		st->v1_len =
		    cl_xrealloc(st->v1_len, st->v1_cap * sizeof(size_t));
	}
	size_t before = st->v1bytes.len;
	cl_tx_encode(&st->v1bytes, tx);
	st->v1_off[st->v1_n] = before;
	st->v1_len[st->v1_n] = st->v1bytes.len - before;
	st->v1_n++;
}

static struct sblock *cur(struct stream *st)
{
	return &st->b[st->n_blocks - 1];
}

static void new_block(struct stream *st)
{
	st->b = cl_xrealloc(st->b, (st->n_blocks + 1) * sizeof(*st->b));
	struct sblock *b = &st->b[st->n_blocks++];
	memset(b, 0, sizeof(*b));
	b->req = cl_xcalloc(REQS_PER_BLOCK, sizeof(struct cl_tx));
	b->v1_off = st->v1_n;
}

/* A request into the current block (both formats). */
static void push_req(struct stream *st, const struct cl_tx *tx)
{
	if (st->n_blocks == 0 || cur(st)->n_req == REQS_PER_BLOCK)
		new_block(st);
	struct sblock *b = cur(st);
	b->req[b->n_req++] = *tx;
	v1_push(st, tx);
	b->v1_n++;
	if (tx->type == CL_TX_PLACE_ORDER) {
		b->orders++;
		st->orders++;
	}
}

/* A derived tx: version 1 only. */
static void push_derived(struct stream *st, const struct cl_tx *tx)
{
	v1_push(st, tx);
	cur(st)->v1_n++;
}

struct resting {
	struct cl_hash32 hash;
	uint64_t seq;
	int who;
};

struct gen {
	bool random_nonce;
	bool orders_only; /* order_mix.h, no cancels, no derived txs */
	uint64_t nonce, seq, mid;
};

static struct cl_hash32 place(struct stream *st, struct gen *g, int who,
			      struct cl_order *o)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	o->trader = addrs[who];
	o->expiry = EXPIRY;
	if (g->random_nonce)
		o->nonce = rnd() >> 1;
	else
		o->nonce = g->nonce++;
	tx.u.place.order = *o;
	cl_order_digest(&d, &dom, o);
	if (cl_sign_digest(&tx.u.place.sig, keys[who], &d) != CL_OK)
		abort();
	push_req(st, &tx);
	g->seq++;
	return d;
}

static void generate(struct stream *st, struct gen *g, size_t orders)
{
	struct resting rest[256];
	size_t n_rest = 0;

	memset(st, 0, sizeof(*st));
	cl_buf_init(&st->v1bytes);
	g->mid = 650000;
	while (st->orders < orders) {
		uint64_t r = rnd_n(100);
		struct cl_order o;
		memset(&o, 0, sizeof(o));
		o.market = 1 + (uint32_t)rnd_n(3);
		g->mid += rnd_n(21) - 10;
		if (g->orders_only) {
			o.is_buy = rnd() & 1;
			order_mix(&o, r, rnd_n, g->mid, 1, 1);
			bool maker = r < 55 || r >= 90;
			int who =
			    maker ? (int)rnd_n(N_MAKERS)
				  : N_MAKERS + (int)rnd_n(N_KEYS - N_MAKERS);
			(void)place(st, g, who, &o);
			continue;
		}
		if (r < 55) {
			/* a maker quote near the mid */
			int who = (int)rnd_n(N_MAKERS);
			o.is_buy = rnd() & 1;
			o.price = o.is_buy ? g->mid - 1 - rnd_n(50)
					   : g->mid + 1 + rnd_n(50);
			o.size = 1 + rnd_n(500);
			uint64_t seq = g->seq;
			struct cl_hash32 h = place(st, g, who, &o);
			if (n_rest < 256)
				rest[n_rest++] = (struct resting){h, seq, who};
		} else if (r < 80) {
			/* a taker crossing with IOC: the order; in version 1
			 * also its fills and the closing ORDER_DONE */
			int who = N_MAKERS + (int)rnd_n(N_KEYS - N_MAKERS);
			o.is_buy = rnd() & 1;
			o.price = g->mid + 60;
			o.size = 1 + rnd_n(300);
			o.flags = CL_TIF_IOC << CL_ORDER_TIF_SHIFT;
			struct cl_hash32 t = place(st, g, who, &o);
			int fills = 1 + (int)rnd_n(2);
			for (int f = 0; f < fills && n_rest; f++) {
				struct cl_tx tx;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_FILL;
				tx.u.fill.maker = rest[--n_rest].hash;
				tx.u.fill.taker = t;
				tx.u.fill.size = 1 + rnd_n(300);
				push_derived(st, &tx);
				st->fills++;
			}
			if (rnd_n(3) == 0) {
				struct cl_tx tx;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_ORDER_DONE;
				tx.u.done.order_hash = t;
				tx.u.done.reason = CL_DONE_IOC_REMAINDER;
				push_derived(st, &tx);
				st->dones++;
			}
		} else if (n_rest) {
			/* a maker cancels one of its quotes */
			struct resting *q = &rest[--n_rest];
			struct cl_tx tx;
			struct cl_hash32 d;
			memset(&tx, 0, sizeof(tx));
			tx.type = CL_TX_CANCEL;
			tx.u.cancel.msg.trader = addrs[q->who];
			tx.u.cancel.msg.order_hash = q->hash;
			tx.u.cancel.order_seq = q->seq;
			cl_cancel_digest(&d, &dom, &tx.u.cancel.msg);
			if (cl_sign_digest(&tx.u.cancel.sig, keys[q->who], &d))
				abort();
			push_req(st, &tx);
			st->cancels++;
		}
	}
}

static void stream_release(struct stream *st)
{
	for (size_t i = 0; i < st->n_blocks; i++)
		free(st->b[i].req);
	free(st->b);
	free(st->v1_off);
	free(st->v1_len);
	cl_buf_release(&st->v1bytes);
}

static uint64_t block_time(size_t i)
{
	return T0_MS + 100 * (uint64_t)i;
}

/* The L1 block of L2 block i: a new one every 12 s (120 blocks). */
static void l1_ref(struct cl_l1_ref *r, size_t i)
{
	uint64_t n = 21000000 + i / 120;

	r->number = n;
	cl_keccak256(r->hash.b, &n, sizeof(n));
	r->timestamp = T0_MS / 1000 - 5 + 12 * (i / 120);
}

/* What one posted batch costs. */
struct cost {
	size_t batches, orders, bytes;
	uint64_t calldata16, total16, floor40, prague;
};

static void add_cost(struct cost *c, const uint8_t *data, size_t len,
		     size_t orders)
{
	struct cl_buf cd;
	struct cl_l1_batch_args a;
	uint64_t g16 = 0, tokens = 0;

	memset(&a, 0, sizeof(a));
	a.data = data;
	a.data_len = len;
	cl_keccak256(a.state_root.b, data, len);
	a.withdrawal_root = a.state_root;
	a.deposits_consumed = 1000;
	a.first_block = 1000;
	a.last_block = 1100;
	cl_buf_init(&cd);
	cl_l1_abi_append_batch(&cd, &a);
	for (size_t i = 0; i < cd.len; i++) {
		g16 += cd.p[i] ? 16 : 4;
		tokens += cd.p[i] ? 4 : 1;
	}
	cl_buf_release(&cd);
	uint64_t total = BASE_GAS + APPEND_EXEC_GAS +
			 len * APPEND_HASH_GAS_PER_KB / 1000 + g16;
	uint64_t floor = BASE_GAS + 10 * tokens;
	c->batches++;
	c->orders += orders;
	c->bytes += len;
	c->calldata16 += g16;
	c->total16 += total;
	c->floor40 += 10 * tokens;
	c->prague += floor > total ? floor : total;
}

static void print_cost(const char *name, const struct cost *c)
{
	double o = (double)c->orders;

	printf("%-34s %5zu %6zu %8.1f %9.0f %9.0f %9.0f %9.0f\n", name,
	       c->batches, c->orders, (double)c->bytes / o,
	       (double)c->calldata16 / o, (double)c->total16 / o,
	       (double)c->floor40 / o, (double)c->prague / o);
}

static void print_head(void)
{
	printf("%-34s %5s %6s %8s %9s %9s %9s %9s\n", "", "posts", "orders",
	       "B/order", "cd 16/4", "tx 16/4", "cd 40/10", "tx 7623");
}

/* Version 1 payload bytes of block i. */
static size_t v1_block_len(const struct stream *st, size_t i)
{
	const struct sblock *b = &st->b[i];
	size_t n = 8 + 32 + 4;

	for (size_t t = 0; t < b->v1_n; t++)
		n += 4 + st->v1_len[b->v1_off + t];
	return n;
}

static void seal_v1(struct cost *c, const struct stream *st, size_t first,
		    size_t nb)
{
	struct cl_batch_block *bb = cl_xcalloc(nb, sizeof(*bb));
	struct cl_batch_tx *txs = cl_xcalloc(st->v1_n, sizeof(*txs));
	struct cl_buf payload, data;
	size_t k = 0, orders = 0;

	for (size_t j = 0; j < nb; j++) {
		const struct sblock *b = &st->b[first + j];
		bb[j].number = 1 + first + j;
		bb[j].timestamp_ms = block_time(first + j);
		cl_keccak256(bb[j].root.b, &bb[j].number, 8);
		bb[j].txs = &txs[k];
		bb[j].n_txs = b->v1_n;
		for (size_t t = 0; t < b->v1_n; t++, k++) {
			txs[k].p = st->v1bytes.p + st->v1_off[b->v1_off + t];
			txs[k].len = st->v1_len[b->v1_off + t];
		}
		orders += b->orders;
	}
	cl_buf_init(&payload);
	cl_buf_init(&data);
	cl_batch_encode_payload(&payload, bb, nb);
	if (cl_batch_compress(&data, payload.p, payload.len, 9, NULL, 0))
		abort();
	add_cost(c, data.p, data.len, orders);
	cl_buf_release(&payload);
	cl_buf_release(&data);
	free(bb);
	free(txs);
}

/* Version 1: blocks with derived txs, cut by payload bytes, zstd 9; the
 * last batch is not full and not counted. */
static void post_v1(struct cost *c, const struct stream *st)
{
	size_t first = 0, raw = 12;

	for (size_t i = 0; i < st->n_blocks; i++) {
		size_t add = v1_block_len(st, i);
		if (raw + add <= BATCH_MAX) {
			raw += add;
			continue;
		}
		seal_v1(c, st, first, i - first);
		first = i;
		raw = 12 + add;
	}
}

static void v2_blocks(struct cl_batch2_block *out, const struct stream *st,
		      size_t first, size_t nb)
{
	for (size_t j = 0; j < nb; j++) {
		const struct sblock *b = &st->b[first + j];
		out[j].number = 1 + first + j;
		out[j].timestamp_ms = block_time(first + j);
		l1_ref(&out[j].l1, first + j);
		cl_keccak256(out[j].root.b, &out[j].number, 8);
		out[j].txs = b->req;
		out[j].n_txs = b->n_req;
	}
}

static void encode_v2(struct cl_buf *out, const struct stream *st, size_t first,
		      size_t nb)
{
	struct cl_batch2_block *bb = cl_xcalloc(nb, sizeof(*bb));

	v2_blocks(bb, st, first, nb);
	cl_buf_reset(out);
	if (cl_batch2_encode(out, bb, nb) != CL_BATCH_OK)
		abort();
	free(bb);
}

/* Signatures in blocks first .. first+nb-1 (the r ‖ s section). */
static size_t n_sigs(const struct stream *st, size_t first, size_t nb)
{
	size_t n = 0;

	for (size_t j = first; j < first + nb; j++)
		n += st->b[j].n_req; /* the mix: one signature per request */
	return n;
}

/*
 * Version 2: cut by L1 bytes. Also prices zstd level 9 on top, of the
 * whole data (`zall`) and of all but the signature section with the
 * signatures left raw (`zfields`).
 */
static void post_v2(struct cost *c, struct cost *zall, struct cost *zfields,
		    const struct stream *st)
{
	struct cl_buf data, last;
	size_t first = 0, i = 1;

	cl_buf_init(&data);
	cl_buf_init(&last);
	/* blocks first .. i-1 are the candidate; the last one that fit is
	 * in `last`; the batch that does not fill up is not counted */
	while (i <= st->n_blocks) {
		encode_v2(&data, st, first, i - first);
		if (data.len <= BATCH_MAX) {
			cl_buf_reset(&last);
			cl_buf_append(&last, data.p, data.len);
			i++;
			continue;
		}
		if (i - 1 == first)
			abort(); /* one block never fills a batch */
		size_t nb = i - 1 - first, orders = 0;
		for (size_t j = first; j < first + nb; j++)
			orders += st->b[j].orders;
		/* the batch decodes to as many blocks as were encoded */
		struct cl_batch_limits lim;
		struct cl_batch2 d;
		cl_batch_limits_default(&lim);
		if (cl_batch2_decode(&d, last.p, last.len, &lim) !=
			CL_BATCH_OK ||
		    d.n_blocks != nb)
			abort();
		cl_batch2_release(&d);
		add_cost(c, last.p, last.len, orders);
		if (zall) {
			struct cl_buf z;
			cl_buf_init(&z);
			if (cl_batch_compress(&z, last.p + 1, last.len - 1, 9,
					      NULL, 0))
				abort();
			add_cost(zall, z.p, z.len, orders);
			size_t sig = 64 * n_sigs(st, first, nb);
			cl_buf_reset(&z);
			if (cl_batch_compress(&z, last.p + 1,
					      last.len - 1 - sig, 9, NULL, 0))
				abort();
			cl_buf_append(&z, last.p + last.len - sig, sig);
			add_cost(zfields, z.p, z.len, orders);
			cl_buf_release(&z);
		}
		first = i - 1;
	}
	cl_buf_release(&data);
	cl_buf_release(&last);
}

/* An almost empty batch: one block holding `n` orders of the stream. */
static void small_batches(const struct stream *st)
{
	struct cl_buf data, payload;
	cl_buf_init(&data);
	cl_buf_init(&payload);

	printf("\nfixed cost of an almost empty batch (one block):\n");
	printf("%-34s %8s %9s %9s %9s\n", "", "bytes", "cd 16/4", "tx 16/4",
	       "tx 7623");
	for (size_t n = 0; n <= 1; n++) {
		struct sblock one = st->b[0];
		one.n_req = n;
		struct stream s1 = *st;
		s1.b = &one;
		s1.n_blocks = 1;
		encode_v2(&data, &s1, 0, 1);
		struct cost c;
		memset(&c, 0, sizeof(c));
		add_cost(&c, data.p, data.len, 1);
		char name[64];
		snprintf(name, sizeof(name), "version 2, %zu order%s", n,
			 n == 1 ? "" : "s");
		printf("%-34s %8zu %9lu %9lu %9lu\n", name, data.len,
		       (unsigned long)c.calldata16, (unsigned long)c.total16,
		       (unsigned long)c.prague);

		struct cl_batch_block bb;
		struct cl_batch_tx tx;
		memset(&bb, 0, sizeof(bb));
		bb.number = 1;
		bb.timestamp_ms = T0_MS;
		cl_keccak256(bb.root.b, &bb.number, 8);
		bb.n_txs = n;
		bb.txs = &tx;
		tx.p = st->v1bytes.p + st->v1_off[0];
		tx.len = st->v1_len[0];
		cl_buf_reset(&payload);
		cl_buf_reset(&data);
		cl_batch_encode_payload(&payload, &bb, 1);
		if (cl_batch_compress(&data, payload.p, payload.len, 9, NULL,
				      0))
			abort();
		memset(&c, 0, sizeof(c));
		add_cost(&c, data.p, data.len, 1);
		snprintf(name, sizeof(name), "version 1, %zu order%s", n,
			 n == 1 ? "" : "s");
		printf("%-34s %8zu %9lu %9lu %9lu\n", name, data.len,
		       (unsigned long)c.calldata16, (unsigned long)c.total16,
		       (unsigned long)c.prague);
	}
	cl_buf_release(&data);
	cl_buf_release(&payload);
}

int main(int argc, char **argv)
{
	size_t orders = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	struct stream st;
	struct gen g;
	struct cost v1, v2, zall, zfields;

	if (cl_crypto_init() != CL_OK)
		return 1;
	for (int i = 0; i < N_KEYS; i++) {
		keys[i] = cl_seckey_new();
		cl_seckey_address(&addrs[i], keys[i]);
	}
	struct cl_address rollup;
	memset(rollup.b, 0xe7, 20);
	cl_eip712_domain_init(&dom, 31337, &rollup);

	/* the mix */
	rng = 0x9e3779b97f4a7c15ull;
	memset(&g, 0, sizeof(g));
	g.nonce = 1;
	generate(&st, &g, orders);
	printf("mix: %zu orders, %zu cancels (%.2f per order), %zu blocks "
	       "of %d requests; version 1 also carries %zu FILLs and %zu "
	       "ORDER_DONEs\n",
	       st.orders, st.cancels, (double)st.cancels / (double)st.orders,
	       st.n_blocks, REQS_PER_BLOCK, st.fills, st.dones);
	printf("signature bytes alone (r, s: 64 per request): %.1f per "
	       "order\n\n",
	       64.0 * (double)(st.orders + st.cancels) / (double)st.orders);
	printf("per order: B/order L1 data bytes; cd calldata gas of "
	       "appendBatch; tx the whole transaction\n(21 000 + 33 800 "
	       "execution + 0.58 per data byte + calldata); 7623: the "
	       "higher of tx and the floor 21 000 + cd 40/10\n\n");
	print_head();
	memset(&v1, 0, sizeof(v1));
	memset(&v2, 0, sizeof(v2));
	memset(&zall, 0, sizeof(zall));
	memset(&zfields, 0, sizeof(zfields));
	post_v1(&v1, &st);
	post_v2(&v2, &zall, &zfields, &st);
	print_cost("version 1 (zstd 9, derived txs)", &v1);
	print_cost("version 2", &v2);
	print_cost("version 2 + zstd 9 of it all", &zall);
	print_cost("version 2 + zstd 9, raw signatures", &zfields);
	small_batches(&st);
	stream_release(&st);

	/* the same mix with random 63-bit order nonces */
	rng = 0x9e3779b97f4a7c15ull;
	memset(&g, 0, sizeof(g));
	g.random_nonce = true;
	generate(&st, &g, orders);
	memset(&v2, 0, sizeof(v2));
	post_v2(&v2, NULL, NULL, &st);
	printf("\n");
	print_head();
	print_cost("version 2, random order nonces", &v2);
	stream_release(&st);

	/* orders only: the pipeline benchmarks' mix */
	rng = 0x9e3779b97f4a7c15ull;
	memset(&g, 0, sizeof(g));
	g.nonce = 1;
	g.orders_only = true;
	generate(&st, &g, orders);
	memset(&v2, 0, sizeof(v2));
	post_v2(&v2, NULL, NULL, &st);
	print_cost("version 2, orders only (order_mix)", &v2);
	stream_release(&st);

	for (int i = 0; i < N_KEYS; i++)
		cl_seckey_free(keys[i]);
	return 0;
}
