/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <clearline/batch.h>

/* Build n blocks from `first` with pseudo-random transactions. */
static struct cl_batch_block *make_blocks(uint64_t first, size_t n,
					  uint8_t **store)
{
	struct cl_batch_block *b = cl_xcalloc(n, sizeof(*b));
	*store = cl_xmalloc(n * 8 * 200);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		b[i].number = first + i;
		b[i].timestamp_ms = 1700000000000ULL + 100 * i;
		cl_keccak256(b[i].root.b, &i, sizeof(i));
		b[i].n_txs = test_rand() % 8;
		b[i].txs = cl_xcalloc(8, sizeof(struct cl_batch_tx));
		for (size_t t = 0; t < b[i].n_txs; t++) {
			size_t len = 1 + test_rand() % 199;
			for (size_t k = 0; k < len; k++)
				(*store)[off + k] = (uint8_t)(k % 7 == 0 ? test_rand() : k);
			b[i].txs[t].p = *store + off;
			b[i].txs[t].len = len;
			off += len;
		}
	}
	return b;
}

static void free_blocks(struct cl_batch_block *b, size_t n, uint8_t *store)
{
	for (size_t i = 0; i < n; i++)
		free(b[i].txs);
	free(b);
	free(store);
}

static bool same(const struct cl_batch *d, const struct cl_batch_block *b,
		 size_t n)
{
	if (d->n_blocks != n || d->first_block != b[0].number)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct cl_batch_block *x = &d->blocks[i], *y = &b[i];
		if (x->number != y->number || x->timestamp_ms != y->timestamp_ms ||
		    !cl_hash32_eq(&x->root, &y->root) || x->n_txs != y->n_txs)
			return false;
		for (size_t t = 0; t < x->n_txs; t++)
			if (x->txs[t].len != y->txs[t].len ||
			    memcmp(x->txs[t].p, y->txs[t].p, x->txs[t].len))
				return false;
	}
	return true;
}

int main(void)
{
	struct cl_batch_limits lim;
	struct cl_batch d;
	struct cl_buf payload, data;
	uint8_t *store;

	test_seed();
	cl_batch_limits_default(&lim);
	cl_buf_init(&payload);
	cl_buf_init(&data);

	/* round trips at several levels */
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + test_rand() % 20;
		struct cl_batch_block *b = make_blocks(test_rand() % 1000000, n, &store);
		cl_buf_reset(&payload);
		cl_buf_reset(&data);
		cl_batch_encode_payload(&payload, b, n);
		CHECK(cl_batch_compress(&data, payload.p, payload.len,
					1 + round % 19, NULL, 0) == CL_OK);
		CHECK(data.p[0] == CL_BATCH_VERSION_1);
		CHECK(cl_batch_decode(&d, data.p, data.len, &lim, NULL, 0) ==
		      CL_BATCH_OK);
		CHECK(same(&d, b, n));
		/* re-encoding gives the same payload: canonical */
		struct cl_buf again;
		cl_buf_init(&again);
		cl_batch_encode_payload(&again, d.blocks, d.n_blocks);
		CHECK(again.len == payload.len &&
		      memcmp(again.p, payload.p, payload.len) == 0);
		cl_buf_release(&again);
		cl_batch_release(&d);

		/* every truncation is refused, nothing allocated on failure */
		size_t cut = 1 + test_rand() % (data.len - 1);
		CHECK(cl_batch_decode(&d, data.p, cut, &lim, NULL, 0) !=
		      CL_BATCH_OK);
		CHECK(d.blocks == NULL && d.payload == NULL);
		free_blocks(b, n, store);
	}

	struct cl_batch_block *b = make_blocks(5, 3, &store);
	cl_buf_reset(&payload);
	cl_buf_reset(&data);
	cl_batch_encode_payload(&payload, b, 3);
	CHECK(cl_batch_compress(&data, payload.p, payload.len, 3, NULL, 0) ==
	      CL_OK);
	CHECK(cl_batch_compress(&data, payload.p, payload.len, 0, NULL, 0) ==
	      CL_ERR_CONFIG);

	/* version, emptiness, trailing bytes, two frames */
	CHECK(cl_batch_decode(&d, data.p, 0, &lim, NULL, 0) == CL_BATCH_EMPTY);
	data.p[0] = 2;
	CHECK(cl_batch_decode(&d, data.p, data.len, &lim, NULL, 0) ==
	      CL_BATCH_BAD_VERSION);
	data.p[0] = CL_BATCH_VERSION_1;
	size_t one = data.len;
	cl_buf_append_byte(&data, 0);
	CHECK(cl_batch_decode(&d, data.p, data.len, &lim, NULL, 0) ==
	      CL_BATCH_BAD_FRAME);
	data.len = one;
	cl_buf_append(&data, data.p + 1, one - 1); /* a second frame */
	CHECK(cl_batch_decode(&d, data.p, data.len, &lim, NULL, 0) ==
	      CL_BATCH_BAD_FRAME);
	data.len = one;

	/* limits: compressed size, payload size before decompression */
	struct cl_batch_limits small = lim;
	small.max_compressed = one - 1;
	CHECK(cl_batch_decode(&d, data.p, data.len, &small, NULL, 0) ==
	      CL_BATCH_TOO_LARGE);
	small = lim;
	small.max_payload = payload.len - 1;
	CHECK(cl_batch_decode(&d, data.p, data.len, &small, NULL, 0) ==
	      CL_BATCH_TOO_LARGE);
	small = lim;
	small.max_blocks = 2;
	CHECK(cl_batch_decode(&d, data.p, data.len, &small, NULL, 0) ==
	      CL_BATCH_LIMIT);

	/* a zip bomb: 64 MiB of zeros compresses to a few kB; refused by
	 * its declared size, without allocating it */
	size_t bomb_len = 64u << 20;
	uint8_t *zeros = cl_xcalloc(1, bomb_len);
	struct cl_buf bomb;
	cl_buf_init(&bomb);
	CHECK(cl_batch_compress(&bomb, zeros, bomb_len, 1, NULL, 0) == CL_OK);
	free(zeros);
	CHECK(bomb.len < 1u << 20);
	CHECK(cl_batch_decode(&d, bomb.p, bomb.len, &lim, NULL, 0) ==
	      CL_BATCH_TOO_LARGE);
	cl_buf_release(&bomb);

	/* payload rules */
	uint8_t p0[12] = {0};
	CHECK(cl_batch_parse_payload(&d, p0, 12, &lim) == CL_BATCH_EMPTY);
	uint8_t pmax[12];
	cl_put_be64(pmax, UINT64_MAX);
	cl_put_be32(pmax + 8, 2);
	CHECK(cl_batch_parse_payload(&d, pmax, 12, &lim) ==
	      CL_BATCH_NOT_CONSECUTIVE);
	struct cl_buf zt;
	cl_buf_init(&zt);
	cl_buf_append_be64(&zt, 1);
	cl_buf_append_be32(&zt, 1);
	cl_buf_append_be64(&zt, 7);
	uint8_t root[32] = {0};
	cl_buf_append(&zt, root, 32);
	cl_buf_append_be32(&zt, 1);
	cl_buf_append_be32(&zt, 0); /* a zero-length transaction */
	CHECK(cl_batch_parse_payload(&d, zt.p, zt.len, &lim) ==
	      CL_BATCH_NOT_CANONICAL);
	zt.len -= 4;
	cl_buf_append_be32(&zt, 5);
	cl_buf_append(&zt, "abc", 3); /* shorter than declared */
	CHECK(cl_batch_parse_payload(&d, zt.p, zt.len, &lim) ==
	      CL_BATCH_MALFORMED);
	cl_buf_append(&zt, "de", 2);
	CHECK(cl_batch_parse_payload(&d, zt.p, zt.len, &lim) == CL_BATCH_OK);
	CHECK(d.n_blocks == 1 && d.blocks[0].n_txs == 1 &&
	      d.blocks[0].txs[0].len == 5);
	cl_batch_release(&d);
	cl_buf_append_byte(&zt, 9); /* trailing */
	CHECK(cl_batch_parse_payload(&d, zt.p, zt.len, &lim) ==
	      CL_BATCH_MALFORMED);
	cl_buf_release(&zt);

	/* a dictionary: the frame names it; decoding without it fails */
	size_t n_samples = 200, total = 0;
	size_t *sizes = cl_xcalloc(n_samples, sizeof(size_t));
	struct cl_buf samples;
	cl_buf_init(&samples);
	for (size_t i = 0; i < n_samples; i++) {
		struct cl_batch_block *sb;
		uint8_t *ss;
		sb = make_blocks(i * 10, 4, &ss);
		size_t before = samples.len;
		cl_batch_encode_payload(&samples, sb, 4);
		sizes[i] = samples.len - before;
		total += sizes[i];
		free_blocks(sb, 4, ss);
	}
	uint8_t dict[4096];
	size_t dlen = cl_batch_train_dict(dict, sizeof(dict), samples.p, sizes,
					  n_samples);
	CHECK(dlen > 0);
	cl_buf_reset(&data);
	CHECK(cl_batch_compress(&data, payload.p, payload.len, 3, dict, dlen) ==
	      CL_OK);
	CHECK(cl_batch_decode(&d, data.p, data.len, &lim, dict, dlen) ==
	      CL_BATCH_OK);
	CHECK(same(&d, b, 3));
	cl_batch_release(&d);
	CHECK(cl_batch_decode(&d, data.p, data.len, &lim, NULL, 0) ==
	      CL_BATCH_BAD_FRAME);
	free(sizes);
	cl_buf_release(&samples);
	(void)total;

	free_blocks(b, 3, store);
	cl_buf_release(&payload);
	cl_buf_release(&data);
	return test_done("batch");
}
