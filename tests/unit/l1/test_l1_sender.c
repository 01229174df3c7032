/* SPDX-License-Identifier: MIT */
/*
 * The transaction sender against a real anvil (default hardfork, so the
 * EIP-7623 calldata floor applies): transfers and large calldata, a
 * dropped transaction re-sent, a stuck one bumped, a reorged one re-sent,
 * an L1 outage waited out, the fee ceiling, and the nonce file across a
 * restart of the sender.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clearline/l1.h>

#include "anvil.h"
#include "test.h"

static struct anvil A;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void opts_fast(struct cl_l1_sender_opts *o)
{
	cl_l1_sender_opts_default(o);
	o->confirmations = 2;
	o->drop_timeout_ms = 300;
	o->stuck_timeout_ms = 300;
}

static int mine(struct cl_l1_rpc *rpc, int n)
{
	return anvil_call(rpc, "anvil_mine", json_pack("[i]", n));
}

/* Step (mining a block each round) until id is final; returns the final
 * state or -1 on timeout. */
static int drive(struct cl_l1_sender *s, struct cl_l1_rpc *rpc, uint64_t id,
		 bool mine_blocks, int max_rounds)
{
	for (int i = 0; i < max_rounds; i++) {
		int rc = cl_l1_sender_step(s);
		(void)rc;
		const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
		if (!t)
			return -1;
		if (t->state == CL_L1_TX_CONFIRMED ||
		    t->state == CL_L1_TX_FAILED)
			return (int)t->state;
		if (mine_blocks)
			CHECK(mine(rpc, 1) == CL_OK);
		sleep_ms(50);
	}
	return -1;
}

static struct cl_l1_sender *open_sender(struct cl_l1_rpc *rpc,
					const struct cl_seckey *k,
					const char *dir,
					const struct cl_l1_sender_opts *o)
{
	struct cl_l1_sender *s = NULL;
	int rc = cl_l1_sender_open(&s, rpc, k, dir, 31337, o);
	CHECK_MSG(rc == CL_OK, "open: %s", cl_l1_err_str(rc));
	return s;
}

static void test_transfer_and_calldata(struct cl_l1_rpc *rpc,
				       const struct cl_seckey *k,
				       const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint8_t value[32] = {0};
	uint64_t id;

	opts_fast(&o);
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	CHECK(cl_l1_sender_next_nonce(s) == 0);
	memset(to.b, 0x71, 20);
	value[31] = 7;
	struct cl_l1_txreq req = {.to = &to, .value = value};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	CHECK(drive(s, rpc, id, true, 40) == CL_L1_TX_CONFIRMED);
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	CHECK(t && t->success && t->gas_used == 21000 && t->nonce == 0);
	CHECK(t && t->effective_gas_price > 0 && t->sends == 1);
	uint8_t bal[32];
	CHECK(cl_l1_eth_balance(rpc, bal, &to) == CL_OK && bal[31] == 7);
	CHECK(cl_l1_sender_forget(s, id) == CL_OK);
	CHECK(cl_l1_sender_get(s, id) == NULL);

	/* 100 kB of calldata: the gas limit respects the EIP-7623 floor */
	size_t n = 100000;
	uint8_t *data = cl_xmalloc(n);
	cl_randbytes(data, n);
	for (size_t i = 0; i < n; i += 10)
		data[i] = 0;
	struct cl_l1_txreq big = {.to = &to, .data = data, .data_len = n};
	CHECK(cl_l1_sender_submit(s, &id, &big) == CL_OK);
	CHECK(drive(s, rpc, id, true, 40) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	uint64_t floor = cl_l1_calldata_floor(data, n, false);
	CHECK(t && t->success && t->nonce == 1);
	CHECK_MSG(t && t->gas_limit >= floor && t->gas_used >= floor,
		  "gas limit %llu used %llu floor %llu",
		  t ? (unsigned long long)t->gas_limit : 0ULL,
		  t ? (unsigned long long)t->gas_used : 0ULL,
		  (unsigned long long)floor);
	struct cl_buf in;
	bool found;
	cl_buf_init(&in);
	CHECK(t &&
	      cl_l1_eth_tx_input(rpc, &in, &found, &t->mined_hash) == CL_OK &&
	      found);
	CHECK(in.len == n && memcmp(in.p, data, n) == 0);
	cl_buf_release(&in);
	free(data);

	/* the blocking helper */
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	o.confirmations = 1;
	cl_l1_sender_free(s);
	s = open_sender(rpc, k, dir, &o);
	CHECK(s && cl_l1_sender_wait(s, id, 10000, 20) == CL_OK);
	cl_l1_sender_free(s);
}

static void test_drop(struct cl_l1_rpc *rpc, const struct cl_seckey *k,
		      const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id;

	opts_fast(&o);
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	memset(to.b, 0x72, 20);
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 0)) == CL_OK);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	CHECK(t && t->state == CL_L1_TX_SENT && t->n_hashes == 1);
	if (!t)
		goto out;
	char hash[67];
	cl_hex_encode(hash, t->hashes[0].b, 32, true);
	CHECK(anvil_call(rpc, "anvil_dropTransaction",
			 json_pack("[s]", hash)) == CL_OK);
	struct cl_l1_txinfo info;
	bool found;
	CHECK(cl_l1_eth_tx_by_hash(rpc, &info, &found, &t->hashes[0]) ==
		  CL_OK &&
	      !found);
	/* detected after the drop timeout and sent again */
	for (int i = 0; i < 40 && t->resends == 0; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		t = cl_l1_sender_get(s, id);
		sleep_ms(50);
	}
	CHECK(t->resends == 1);
	CHECK(cl_l1_eth_tx_by_hash(rpc, &info, &found, &t->hashes[0]) ==
		  CL_OK &&
	      found && !info.mined);
	CHECK(drive(s, rpc, id, true, 40) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->success);
out:
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 1)) == CL_OK);
	cl_l1_sender_free(s);
}

static void test_stuck(struct cl_l1_rpc *rpc, const struct cl_seckey *k,
		       const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id;

	opts_fast(&o);
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	memset(to.b, 0x73, 20);
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 0)) == CL_OK);

	/* A: in the pool, but no block comes: replaced with at least
	 * +12.5% on both fees, and the replacement is what gets mined */
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	if (!t)
		goto out;
	uint64_t first_max = t->max_fee, first_tip = t->priority_fee;
	struct cl_hash32 first = t->hashes[0];
	for (int i = 0; i < 40 && t->bumps == 0; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		t = cl_l1_sender_get(s, id);
		sleep_ms(50);
	}
	CHECK(t->bumps >= 1 && t->n_hashes >= 2);
	CHECK(t->max_fee * 1000 >= first_max * 1125);
	CHECK(t->priority_fee * 1000 >= first_tip * 1125);
	struct cl_hash32 bumped = t->hashes[t->n_hashes - 1];
	CHECK(drive(s, rpc, id, true, 40) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->success && cl_hash32_eq(&t->mined_hash, &bumped));
	CHECK(t && !cl_hash32_eq(&t->mined_hash, &first));

	/* B: the base fee jumps far above our max fee: the next version
	 * pays the new base fee (anvil evicts the old one from its pool,
	 * so this goes through the re-send path) */
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	t = cl_l1_sender_get(s, id);
	first = t->hashes[0];
	first_max = t->max_fee;
	CHECK(anvil_call(rpc, "anvil_setNextBlockBaseFeePerGas",
			 json_pack("[s]", "0x2540be400")) ==
	      CL_OK); /* 10 gwei */
	CHECK(mine(rpc, 1) == CL_OK);
	struct cl_l1_receipt r;
	bool found;
	CHECK(cl_l1_eth_receipt(rpc, &r, &found, &first) == CL_OK && !found);
	for (int i = 0; i < 40 && t->n_hashes < 2; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		t = cl_l1_sender_get(s, id);
		sleep_ms(50);
	}
	CHECK(t->n_hashes >= 2 && t->bumps + t->resends >= 1);
	CHECK(t->max_fee > 10000000000ULL * 7 / 8 * 2);
	CHECK(drive(s, rpc, id, true, 40) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->success && !cl_hash32_eq(&t->mined_hash, &first));
	CHECK(t && t->effective_gas_price > 1000000000ULL * 7);
out:
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 1)) == CL_OK);
	cl_l1_sender_free(s);
}

static void test_reorg(struct cl_l1_rpc *rpc, const struct cl_seckey *k,
		       const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id;

	opts_fast(&o);
	o.confirmations = 3;
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	memset(to.b, 0x74, 20);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	const struct cl_l1_tx *t = NULL;
	for (int i = 0; i < 40; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		t = cl_l1_sender_get(s, id);
		if (t->state == CL_L1_TX_INCLUDED)
			break;
		sleep_ms(20);
	}
	CHECK(t && t->state == CL_L1_TX_INCLUDED);
	if (!t)
		goto out;
	uint64_t block = t->block_number;
	struct cl_hash32 bh = t->block_hash;

	/* replace the head block: our transaction is gone */
	CHECK(anvil_call(rpc, "anvil_reorg", json_pack("[i, []]", 1)) == CL_OK);
	struct cl_l1_receipt r;
	bool found;
	CHECK(cl_l1_eth_receipt(rpc, &r, &found, &t->mined_hash) == CL_OK &&
	      !found);

	CHECK(drive(s, rpc, id, true, 60) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->reorgs == 1 && t->resends >= 1 && t->success);
	CHECK(t && !cl_hash32_eq(&t->block_hash, &bh));
	CHECK(t &&
	      cl_l1_eth_receipt(rpc, &r, &found, &t->mined_hash) == CL_OK &&
	      found && r.block_number >= block);
	cl_l1_receipt_release(&r);
out:
	cl_l1_sender_free(s);
}

/*
 * A reorg deeper than the confirmation depth takes a confirmed transaction
 * away; the next one, sent with the following nonce, is held by the node
 * behind the gap. After the drop timeout the sender fills the gap with an
 * empty transfer and the held transaction is mined as it is.
 */
static void test_deep_reorg(struct cl_l1_rpc *rpc, const struct cl_seckey *k,
			    const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to, from;
	uint64_t a, b, head, nonce;

	opts_fast(&o);
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	cl_l1_sender_address(s, &from);
	memset(to.b, 0x76, 20);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &a, &req) == CL_OK);
	CHECK(drive(s, rpc, a, true, 60) == CL_L1_TX_CONFIRMED);
	const struct cl_l1_tx *ta = cl_l1_sender_get(s, a);
	CHECK(ta && ta->success);
	if (!ta)
		goto out;
	uint64_t na = ta->nonce;
	CHECK(cl_l1_eth_block_number(rpc, &head) == CL_OK);
	CHECK(head + 1 >= ta->block_number + o.confirmations);

	/* L1 loses every block from the one holding a */
	uint64_t depth = head - ta->block_number + 1;
	CHECK(depth > 1);
	CHECK(anvil_call(rpc, "anvil_reorg",
			 json_pack("[I, []]", (json_int_t)depth)) == CL_OK);
	CHECK(cl_l1_eth_tx_count(rpc, &nonce, &from, CL_L1_LATEST) == CL_OK &&
	      nonce == na);

	/* b gets the next nonce and waits in the pool behind the gap */
	CHECK(cl_l1_sender_submit(s, &b, &req) == CL_OK);
	const struct cl_l1_tx *tb = cl_l1_sender_get(s, b);
	CHECK(tb && tb->nonce == na + 1);
	CHECK(cl_l1_sender_step(s) == CL_OK);
	CHECK(mine(rpc, 2) == CL_OK);
	CHECK(cl_l1_sender_step(s) == CL_OK);
	tb = cl_l1_sender_get(s, b);
	CHECK(tb && tb->state == CL_L1_TX_SENT && tb->gap_fills == 0);

	CHECK(drive(s, rpc, b, true, 100) == CL_L1_TX_CONFIRMED);
	tb = cl_l1_sender_get(s, b);
	CHECK(tb && tb->success && tb->nonce == na + 1 && tb->gap_fills == 1);
	CHECK(cl_l1_eth_tx_count(rpc, &nonce, &from, CL_L1_LATEST) == CL_OK &&
	      nonce == na + 2);
out:
	cl_l1_sender_free(s);
}

/*
 * A reorg deeper than the confirmation depth after the sender counted a
 * transaction confirmed, before its owner read the receipt: recheck finds
 * the block gone and the transaction is sent again (the batch poster calls
 * it when the receipt is missing). A recheck of a block still there
 * changes nothing.
 */
static void test_recheck(struct cl_l1_rpc *rpc, const struct cl_seckey *k,
			 const char *dir)
{
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id, head;

	opts_fast(&o);
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		return;
	memset(to.b, 0x77, 20);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	CHECK(drive(s, rpc, id, true, 60) == CL_L1_TX_CONFIRMED);
	CHECK(cl_l1_sender_recheck(s, id) == CL_OK);
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	CHECK(t && t->state == CL_L1_TX_CONFIRMED && t->reorgs == 0);
	if (!t)
		goto out;
	struct cl_hash32 bh = t->block_hash;
	CHECK(cl_l1_eth_block_number(rpc, &head) == CL_OK);
	uint64_t depth = head - t->block_number + 1;
	CHECK(anvil_call(rpc, "anvil_reorg",
			 json_pack("[I, []]", (json_int_t)depth)) == CL_OK);
	CHECK(cl_l1_sender_recheck(s, id) == CL_OK);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->state == CL_L1_TX_SENT && t->reorgs == 1);
	CHECK(drive(s, rpc, id, true, 100) == CL_L1_TX_CONFIRMED);
	t = cl_l1_sender_get(s, id);
	CHECK(t && t->success && !cl_hash32_eq(&t->block_hash, &bh));
out:
	cl_l1_sender_free(s);
}

struct waiter {
	struct cl_l1_sender *s;
	uint64_t id;
	int rc;
};

/* Wait in another thread, so the main thread (which owns the anvil
 * child: its death signal follows the thread that forked it) can
 * restart the node meanwhile. */
static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->rc = cl_l1_sender_wait(w->s, w->id, 20000, 50);
	return NULL;
}

static void test_outage(const struct cl_seckey *k, const char *dir)
{
	struct cl_l1_rpc_opts ro;
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id;

	cl_l1_rpc_opts_default(&ro);
	ro.retries = 6;
	ro.backoff_ms = 50;
	ro.backoff_max_ms = 400;
	struct cl_l1_rpc *rpc = cl_l1_rpc_new(A.url, &ro);
	opts_fast(&o);
	o.confirmations = 1;
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		goto out;
	memset(to.b, 0x75, 20);

	/* a transaction in the pool, then the node goes away */
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 0)) == CL_OK);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id, &req) == CL_OK);
	anvil_stop(&A);
	CHECK(cl_l1_sender_step(s) == CL_ERR_NET);

	/* it comes back (a fresh chain on the same port) while the client
	 * is retrying; the transaction is sent again and confirmed */
	pthread_t th;
	uint64_t before = cl_l1_rpc_attempts(rpc);
	struct waiter w = {.s = s, .id = id, .rc = -100};
	pthread_create(&th, NULL, wait_thread, &w);
	sleep_ms(700);
	CHECK(anvil_start(&A, NULL) == 0);
	pthread_join(th, NULL);
	CHECK_MSG(w.rc == CL_OK, "wait: %s", cl_l1_err_str(w.rc));
	CHECK(cl_l1_rpc_attempts(rpc) > before + 3);
	/* the new chain never saw our earlier nonces: renumbered from 0 */
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	CHECK(t && t->success && t->nonce == 0 && t->sends >= 2);
	CHECK(cl_l1_sender_next_nonce(s) == 1);
	cl_l1_sender_free(s);
out:
	cl_l1_rpc_free(rpc);
}

static void test_restart_and_ceiling(struct cl_l1_rpc *rpc, const char *dir)
{
	struct cl_seckey *k = anvil_key(ANVIL_KEY1);
	struct cl_l1_sender_opts o;
	struct cl_address to;
	uint64_t id1, id2, id3;

	opts_fast(&o);
	o.confirmations = 1;
	struct cl_l1_sender *s = open_sender(rpc, k, dir, &o);
	if (!s)
		goto out;
	memset(to.b, 0x76, 20);
	uint64_t n0 = cl_l1_sender_next_nonce(s);

	/* two in flight, then the sender object goes away */
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 0)) == CL_OK);
	struct cl_l1_txreq req = {.to = &to};
	CHECK(cl_l1_sender_submit(s, &id1, &req) == CL_OK);
	CHECK(cl_l1_sender_submit(s, &id2, &req) == CL_OK);
	CHECK(cl_l1_sender_next_nonce(s) == n0 + 2);
	cl_l1_sender_free(s);

	/* the pool loses them as well: only the file knows */
	CHECK(anvil_call(rpc, "anvil_dropAllTransactions", NULL) == CL_OK);
	s = open_sender(rpc, k, dir, &o);
	if (!s)
		goto out;
	CHECK(cl_l1_sender_next_nonce(s) == n0 + 2);
	const struct cl_l1_tx *t1 = cl_l1_sender_get(s, id1);
	const struct cl_l1_tx *t2 = cl_l1_sender_get(s, id2);
	CHECK(t1 && t2 && t1->nonce == n0 && t2->nonce == n0 + 1);
	CHECK(t1 && t1->state == CL_L1_TX_SENT);
	CHECK(cl_l1_sender_submit(s, &id3, &req) == CL_OK);
	CHECK(cl_l1_sender_get(s, id3)->nonce == n0 + 2);
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 1)) == CL_OK);
	CHECK(drive(s, rpc, id3, true, 60) == CL_L1_TX_CONFIRMED);
	CHECK(drive(s, rpc, id1, true, 10) == CL_L1_TX_CONFIRMED);
	CHECK(drive(s, rpc, id2, true, 10) == CL_L1_TX_CONFIRMED);
	uint64_t count;
	struct cl_address me;
	cl_seckey_address(&me, k);
	CHECK(cl_l1_eth_tx_count(rpc, &count, &me, CL_L1_LATEST) == CL_OK &&
	      count == n0 + 3);
	cl_l1_sender_free(s);

	/* a ceiling below base fee + tip: queued, not sent */
	o.max_fee_ceiling = 1000;
	s = open_sender(rpc, k, dir, &o);
	if (!s)
		goto out;
	CHECK(cl_l1_sender_submit(s, &id1, &req) == CL_OK);
	CHECK(cl_l1_sender_step(s) == CL_OK);
	t1 = cl_l1_sender_get(s, id1);
	CHECK(t1 && t1->state == CL_L1_TX_QUEUED && t1->n_hashes == 0);
	cl_l1_sender_free(s);
	/* with a sane ceiling it goes out; the max fee is capped by it
	 * when 2 * base + tip would pass it */
	o.max_fee_ceiling = 2500000000ULL;
	s = open_sender(rpc, k, dir, &o);
	if (!s)
		goto out;
	CHECK(drive(s, rpc, id1, true, 40) == CL_L1_TX_CONFIRMED);
	t1 = cl_l1_sender_get(s, id1);
	CHECK(t1 && t1->max_fee <= 2500000000ULL && t1->success);
	cl_l1_sender_free(s);

	/* a different chain id refuses the file */
	struct cl_l1_sender *bad = NULL;
	CHECK(cl_l1_sender_open(&bad, rpc, k, dir, 1, &o) == CL_L1_WRONG_CHAIN);
	CHECK(bad == NULL);
out:
	cl_seckey_free(k);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	if (getenv("CL_TEST_LOG") == NULL)
		cl_log_min_level = CL_LOG_BROKEN;
	CHECK(cl_crypto_init() == CL_OK);
	anvil_find(&A, argv[1]);
	if (anvil_start(&A, NULL) != 0) {
		fprintf(stderr, "FAIL: anvil did not start\n");
		return 1;
	}
	struct cl_l1_rpc *rpc = cl_l1_rpc_new(A.url, NULL);
	struct cl_seckey *k0 = anvil_key(ANVIL_KEY0);
	char *dir = anvil_tmpdir();

	test_transfer_and_calldata(rpc, k0, dir);
	test_drop(rpc, k0, dir);
	test_stuck(rpc, k0, dir);
	test_reorg(rpc, k0, dir);
	test_deep_reorg(rpc, k0, dir);
	test_recheck(rpc, k0, dir);
	test_restart_and_ceiling(rpc, dir);
	cl_l1_rpc_free(rpc);
	test_outage(k0, dir);

	anvil_stop(&A);
	anvil_rmdir(dir);
	free(dir);
	cl_seckey_free(k0);
	return test_done("test_l1_sender");
}
