/* SPDX-License-Identifier: MIT */
/*
 * L1 bytes and gas per order for a realistic order mix. A program, not a
 * test.
 *
 * It writes the transactions a busy sequencer would put in its blocks —
 * market makers quoting and re-quoting (orders, many later cancelled),
 * takers crossing with IOC orders (the order, one or two fills, the
 * closing ORDER_DONE), real EIP-712 signatures from many keys — cuts them
 * into batches of at most `batch-max-bytes` as the node does, compresses
 * them with zstd at several levels (and with a dictionary trained on other
 * batches of the same kind), and prints bytes per order, the compression
 * ratio and the L1 gas per order of appendBatch under the Cancun calldata
 * price (16 gas per non-zero byte, 4 per zero byte) and under the EIP-7623
 * floor (40 / 10) that newer hardforks apply to data-heavy transactions.
 *
 * usage: bench_batch [orders]   (default 20000)
 */
#include <clearline/batch.h>
#include <clearline/crypto.h>
#include <clearline/l1.h>
#include <clearline/stf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_KEYS 64
#define TXS_PER_BLOCK 200
#define BATCH_RAW_MAX 108000 /* 90 % of the node's default 120 000 */
/* appendBatch besides calldata: base 21 000 plus storage and the event
 * (docs/l1.md measured ~99 000 of execution) */
#define APPEND_FIXED_GAS (21000 + 99000)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct stream {
	struct cl_buf payload; /* the current batch's payload being built */
	struct cl_batch_block *blocks;
	size_t n_blocks, cap_blocks;
	struct cl_buf txbytes; /* all tx encodings of the batch */
	size_t *offs, *lens, n_tx, cap_tx;
	size_t orders;
};

static struct cl_seckey *keys[N_KEYS];
static struct cl_address addrs[N_KEYS];
static struct cl_eip712_domain dom;

static void push_tx(struct stream *st, const struct cl_tx *tx)
{
	if (st->n_tx == st->cap_tx) {
		st->cap_tx = st->cap_tx ? 2 * st->cap_tx : 1024;
		st->offs = cl_xrealloc(st->offs, st->cap_tx * sizeof(size_t));
		st->lens = cl_xrealloc(st->lens, st->cap_tx * sizeof(size_t));
	}
	size_t before = st->txbytes.len;
	cl_tx_encode(&st->txbytes, tx);
	st->offs[st->n_tx] = before;
	st->lens[st->n_tx] = st->txbytes.len - before;
	st->n_tx++;
	if (tx->type == CL_TX_PLACE_ORDER)
		st->orders++;
}

static struct cl_hash32 place(struct stream *st, int who, bool buy,
			      uint64_t price, uint64_t size, uint8_t flags,
			      uint64_t nonce)
{
	struct cl_tx tx;
	struct cl_hash32 d;

	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	struct cl_order *o = &tx.u.place.order;
	o->trader = addrs[who];
	o->market = 1 + (uint32_t)(rnd() % 3);
	o->is_buy = buy;
	o->price = price;
	o->size = size;
	o->nonce = nonce;
	o->expiry = 1893456000;
	o->flags = flags;
	cl_order_digest(&d, &dom, o);
	if (cl_sign_digest(&tx.u.place.sig, keys[who], &d) != CL_OK)
		abort();
	push_tx(st, &tx);
	return d;
}

/* Build the batch payload of the transactions gathered so far. */
static void seal(struct stream *st, struct cl_buf *out, uint64_t first)
{
	size_t nb = (st->n_tx + TXS_PER_BLOCK - 1) / TXS_PER_BLOCK;
	struct cl_batch_block *b = cl_xcalloc(nb, sizeof(*b));
	struct cl_batch_tx *txs = cl_xcalloc(st->n_tx, sizeof(*txs));
	for (size_t i = 0; i < st->n_tx; i++) {
		txs[i].p = st->txbytes.p + st->offs[i];
		txs[i].len = st->lens[i];
	}
	for (size_t i = 0; i < nb; i++) {
		b[i].number = first + i;
		b[i].timestamp_ms = 1795000000000ull + 100 * i;
		cl_keccak256(b[i].root.b, &i, sizeof(i));
		b[i].txs = &txs[i * TXS_PER_BLOCK];
		size_t left = st->n_tx - i * TXS_PER_BLOCK;
		b[i].n_txs = left < TXS_PER_BLOCK ? left : TXS_PER_BLOCK;
	}
	cl_batch_encode_payload(out, b, nb);
	free(b);
	free(txs);
	cl_buf_reset(&st->txbytes);
	st->n_tx = 0;
}

/*
 * Generate `orders` orders of the mix into batches; each batch payload is
 * appended to `payloads` with its size in `sizes` and its order count.
 */
static size_t generate(size_t orders, struct cl_buf *payloads, size_t *sizes,
		       size_t *order_counts, size_t cap)
{
	struct stream st;
	memset(&st, 0, sizeof(st));
	cl_buf_init(&st.txbytes);
	uint64_t nonce = 1, mid = 650000, block = 1;
	struct cl_hash32 resting[256];
	size_t n_resting = 0, n = 0, made = 0;

	while (made < orders && n < cap) {
		uint64_t r = rnd() % 100;
		mid += (rnd() % 21) - 10;
		if (r < 55) {
			/* a maker quote near the mid */
			bool buy = rnd() & 1;
			uint64_t px = buy ? mid - 1 - rnd() % 50 : mid + 1 + rnd() % 50;
			struct cl_hash32 h = place(&st, (int)(rnd() % 16), buy, px,
						   1 + rnd() % 500, 0, nonce++);
			if (n_resting < 256)
				resting[n_resting++] = h;
			made++;
		} else if (r < 80) {
			/* a taker crossing with IOC: order, fills, done */
			struct cl_hash32 t = place(&st, 16 + (int)(rnd() % 48),
						   rnd() & 1, mid + 60, 1 + rnd() % 300,
						   1u << 2, nonce++);
			made++;
			int fills = 1 + (int)(rnd() % 2);
			for (int f = 0; f < fills && n_resting; f++) {
				struct cl_tx tx;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_FILL;
				tx.u.fill.maker = resting[--n_resting];
				tx.u.fill.taker = t;
				tx.u.fill.size = 1 + rnd() % 300;
				push_tx(&st, &tx);
			}
			if (rnd() % 3 == 0) {
				struct cl_tx tx;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_ORDER_DONE;
				tx.u.done.order_hash = t;
				tx.u.done.reason = CL_DONE_IOC_REMAINDER;
				push_tx(&st, &tx);
			}
		} else if (n_resting) {
			/* a maker cancels a quote */
			struct cl_tx tx;
			struct cl_hash32 d;
			int who = (int)(rnd() % 16);
			memset(&tx, 0, sizeof(tx));
			tx.type = CL_TX_CANCEL;
			tx.u.cancel.msg.trader = addrs[who];
			tx.u.cancel.msg.order_hash = resting[--n_resting];
			cl_cancel_digest(&d, &dom, &tx.u.cancel.msg);
			if (cl_sign_digest(&tx.u.cancel.sig, keys[who], &d))
				abort();
			push_tx(&st, &tx);
		}
		if (st.txbytes.len + 4 * st.n_tx >= BATCH_RAW_MAX) {
			size_t before = payloads->len;
			seal(&st, payloads, block);
			block += 1000;
			sizes[n] = payloads->len - before;
			order_counts[n] = st.orders;
			st.orders = 0;
			n++;
		}
	}
	cl_buf_release(&st.txbytes);
	free(st.offs);
	free(st.lens);
	return n;
}

/* calldata gas of appendBatch(data, ...) at (nonzero, zero) prices */
static uint64_t calldata_gas(const uint8_t *data, size_t len, unsigned nz,
			     unsigned z)
{
	struct cl_buf cd;
	struct cl_l1_batch_args a;
	uint64_t g = 0;

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
	for (size_t i = 0; i < cd.len; i++)
		g += cd.p[i] ? nz : z;
	cl_buf_release(&cd);
	return g;
}

int main(int argc, char **argv)
{
	size_t orders = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	enum { CAP = 4096 };
	size_t *sizes = cl_xcalloc(CAP, sizeof(size_t));
	size_t *ocount = cl_xcalloc(CAP, sizeof(size_t));
	size_t *tsizes = cl_xcalloc(CAP, sizeof(size_t));
	size_t *tcount = cl_xcalloc(CAP, sizeof(size_t));
	struct cl_buf payloads, training;

	if (cl_crypto_init() != CL_OK)
		return 1;
	for (int i = 0; i < N_KEYS; i++) {
		keys[i] = cl_seckey_new();
		cl_seckey_address(&addrs[i], keys[i]);
	}
	struct cl_address rollup;
	memset(rollup.b, 0xe7, 20);
	cl_eip712_domain_init(&dom, 31337, &rollup);

	cl_buf_init(&payloads);
	cl_buf_init(&training);
	size_t nb = generate(orders, &payloads, sizes, ocount, CAP);
	rng ^= 0x1234567ull; /* other batches to train the dictionary on */
	size_t nt = generate(orders, &training, tsizes, tcount, CAP);
	uint8_t *dict = cl_xmalloc(64 << 10);
	size_t dlen = cl_batch_train_dict(dict, 64 << 10, training.p, tsizes,
					  nt);

	size_t total_orders = 0, raw = 0;
	for (size_t i = 0; i < nb; i++) {
		total_orders += ocount[i];
		raw += sizes[i];
	}
	printf("%zu batches, %zu orders, %zu payload bytes (%.1f bytes per "
	       "order before compression)\n", nb, total_orders, raw,
	       (double)raw / (double)total_orders);
	printf("dictionary: %zu bytes trained on %zu other batches\n", dlen,
	       nt);
	printf("%-18s %10s %8s %10s %14s %14s\n", "zstd", "bytes", "ratio",
	       "bytes/ord", "gas/ord 16/4", "gas/ord 40/10");

	int levels[] = {1, 3, 9, 19};
	for (int use_dict = 0; use_dict < 2; use_dict++) {
		if (use_dict && dlen == 0)
			break;
		for (size_t li = 0; li < sizeof(levels) / sizeof(levels[0]);
		     li++) {
			size_t comp = 0, off = 0;
			uint64_t gas16 = 0, gas40 = 0;
			for (size_t i = 0; i < nb; i++) {
				struct cl_buf c;
				cl_buf_init(&c);
				if (cl_batch_compress(&c, payloads.p + off,
						      sizes[i], levels[li],
						      use_dict ? dict : NULL,
						      use_dict ? dlen : 0))
					abort();
				comp += c.len;
				gas16 += APPEND_FIXED_GAS +
					 calldata_gas(c.p, c.len, 16, 4);
				/* EIP-7623: the floor when it is higher */
				uint64_t floor = 21000 +
						 calldata_gas(c.p, c.len, 40,
							      10);
				uint64_t g = APPEND_FIXED_GAS - 21000 +
					     calldata_gas(c.p, c.len, 16, 4) +
					     21000;
				gas40 += floor > g ? floor : g;
				off += sizes[i];
				cl_buf_release(&c);
			}
			char name[32];
			snprintf(name, sizeof(name), "level %d%s", levels[li],
				 use_dict ? " + dict" : "");
			printf("%-18s %10zu %8.2f %10.1f %14.0f %14.0f\n", name,
			       comp, (double)raw / (double)comp,
			       (double)comp / (double)total_orders,
			       (double)gas16 / (double)total_orders,
			       (double)gas40 / (double)total_orders);
		}
	}
	for (int i = 0; i < N_KEYS; i++)
		cl_seckey_free(keys[i]);
	free(dict);
	free(sizes);
	free(ocount);
	free(tsizes);
	free(tcount);
	cl_buf_release(&payloads);
	cl_buf_release(&training);
	return 0;
}
