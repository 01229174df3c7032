/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the L1 ForcedRequest event decoder (cl_l1_decode_forced,
 * src/l1/abi.c) and the L2 request it asks for (cl_l1_forced_tx,
 * src/l1/forced.c) on a hostile log, as anyone can emit one through the
 * rollup contract's forced-request entry (docs/l1.md "Forced requests").
 * The log is built directly (fuzz-l1 covers the JSON that carries logs).
 *
 * Input: byte 0: bits 0..2 the topic count (mod 5), bits 3..5 which
 * event's signature hash replaces topic 0 (0..4: ForcedRequest, Deposit,
 * BatchAppended, BatchChallenged, BatchesDiscarded; 5..7: topic 0 as
 * given); then the topics, 32 bytes each, then the data.
 *
 * Checks: a failed decode leaves a zeroed output; at most one event type
 * fits a log; a decoded event written back as topics and data gives the
 * log exactly (one encoding per event); the request is made exactly when
 * the kind and fields are those docs/l1.md allows (restated here), and
 * then encodes as a transaction that decodes to the same request.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/l1.h>
#include <clearline/stf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sigs[] = {
	CL_L1_EV_FORCED_REQUEST, CL_L1_EV_DEPOSIT, CL_L1_EV_BATCH_APPENDED,
	CL_L1_EV_BATCH_CHALLENGED, CL_L1_EV_BATCHES_DISCARDED,
};

static void word(uint8_t w[32], uint64_t v)
{
	memset(w, 0, 32);
	cl_put_be64(w + 24, v);
}

/* docs/l1.md "Forced requests": what each kind takes. */
static bool allowed(const struct cl_l1_forced *f)
{
	switch (f->kind) {
	case 1: /* withdraw: amount a > 0 */
		return f->a > 0 && f->b == 0;
	case 2: /* cancel: order sequence a */
		return f->b == 0;
	case 3: /* cancel all */
		return f->a == 0 && f->b == 0;
	case 4: /* close: market a (u32), price b > 0 */
		return f->a <= UINT32_MAX && f->b > 0;
	default:
		return false;
	}
}

static void check_tx(const struct cl_l1_forced *f)
{
	static const struct cl_tx zero_tx;
	struct cl_tx tx, again;
	struct cl_buf b, b2;

	if (!cl_l1_forced_tx(&tx, f)) {
		if (allowed(f) || memcmp(&tx, &zero_tx, sizeof(tx)) != 0)
			abort();
		return;
	}
	if (!allowed(f) || tx.type != CL_TX_FORCED ||
	    tx.u.forced.id != f->id || (unsigned)tx.u.forced.kind != f->kind ||
	    memcmp(tx.u.forced.account.b, f->account.b, 20) != 0)
		abort();
	cl_buf_init(&b);
	cl_buf_init(&b2);
	cl_tx_encode(&b, &tx);
	if (b.len != cl_tx_encoded_len(&tx) ||
	    !cl_tx_decode(&again, b.p, b.len))
		abort();
	cl_tx_encode(&b2, &again);
	if (b2.len != b.len || memcmp(b.p, b2.p, b.len) != 0 ||
	    again.u.forced.id != f->id ||
	    again.u.forced.kind != tx.u.forced.kind ||
	    again.u.forced.amount != tx.u.forced.amount ||
	    again.u.forced.order_seq != tx.u.forced.order_seq ||
	    again.u.forced.market != tx.u.forced.market ||
	    again.u.forced.price != tx.u.forced.price)
		abort();
	cl_buf_release(&b);
	cl_buf_release(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cl_l1_forced zero;
	struct cl_l1_log log;
	struct cl_l1_forced f;
	struct cl_l1_deposit d;
	struct cl_l1_batch_event be;
	struct cl_l1_challenge_event ce;
	struct cl_l1_discard_event de;
	unsigned sig;
	size_t at = 1;

	if (size < 1)
		return 0;
	memset(&log, 0, sizeof(log));
	log.n_topics = (data[0] & 7) % 5;
	sig = (data[0] >> 3) & 7;
	for (size_t i = 0; i < log.n_topics; i++) {
		size_t n = size - at < 32 ? size - at : 32;

		memcpy(log.topics[i].b, data + at, n);
		at += n;
	}
	if (log.n_topics && sig < 5)
		cl_l1_event_topic(&log.topics[0], sigs[sig]);
	log.data_len = size - at;
	log.data = log.data_len ? malloc(log.data_len) : NULL;
	if (log.data_len)
		memcpy(log.data, data + at, log.data_len);
	log.block_number = 7;
	log.log_index = 3;
	memset(log.tx_hash.b, 0x11, 32);
	memset(log.block_hash.b, 0x22, 32);

	bool ok = cl_l1_decode_forced(&f, &log);
	int fits = ok + cl_l1_decode_deposit(&d, &log) +
		   cl_l1_decode_batch_appended(&be, &log) +
		   cl_l1_decode_batch_challenged(&ce, &log) +
		   cl_l1_decode_batches_discarded(&de, &log);
	if (fits > 1)
		abort();
	if (!ok) {
		if (memcmp(&f, &zero, sizeof(f)) != 0)
			abort();
		free(log.data);
		return 0;
	}
	/* one encoding per event: write it back */
	uint8_t w[32], out[4 * 32];
	struct cl_hash32 t0;

	cl_l1_event_topic(&t0, CL_L1_EV_FORCED_REQUEST);
	if (log.n_topics != 3 || log.data_len != sizeof(out) ||
	    !cl_hash32_eq(&t0, &log.topics[0]))
		abort();
	word(w, f.id);
	if (memcmp(w, log.topics[1].b, 32) != 0)
		abort();
	memset(w, 0, 12);
	memcpy(w + 12, f.account.b, 20);
	if (memcmp(w, log.topics[2].b, 32) != 0)
		abort();
	word(out, f.kind);
	word(out + 32, f.a);
	word(out + 64, f.b);
	word(out + 96, f.timestamp);
	if (memcmp(out, log.data, sizeof(out)) != 0 ||
	    f.loc.block_number != 7 || f.loc.log_index != 3 ||
	    !cl_hash32_eq(&f.loc.tx_hash, &log.tx_hash) ||
	    !cl_hash32_eq(&f.loc.block_hash, &log.block_hash))
		abort();
	check_tx(&f);
	free(log.data);
	return 0;
}
