/* SPDX-License-Identifier: MIT */
/*
 * The sequencer's ingress queue (docs/sequencer.md "Threads"), on a real
 * LMDB with the devnet genesis:
 *  - every request type goes through the queue unchanged: a request with
 *    every byte of its union member set (arrays at their longest) is
 *    answered, when the sequencer stops before its writer ran, with the
 *    hash of its own encoding and its own order hash, so the queue kept
 *    every byte the encoder reads (a slot or pool record cut short would
 *    hand back zeros there);
 *  - the side pool of large requests: a queue of 64 has 16 records; the
 *    17th large request is refused with CL_ERR_BUSY while small ones are
 *    still taken up to 64; the writer gives the records back as it
 *    finishes with them (all 16 are free again once it has, checked
 *    while it is held inside the answer to a lone request);
 *  - every submission is answered exactly once.
 */
#include "test.h"
#include "seq_wait.h"

#include <pthread.h>
#include <unistd.h>

#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>
#include <clearline/stf_listing.h>
#include <clearline/stf_options.h>

#define MAXN 256

static struct cl_genesis genesis;
static struct cl_db *db;

/* the answers, by submission index */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct cl_seq_result got[MAXN];
static int n_answers[MAXN];

static void on_result(void *arg, const struct cl_seq_result *r)
{
	size_t i = (size_t)(uintptr_t)arg;
	pthread_mutex_lock(&mu);
	got[i] = *r;
	n_answers[i]++;
	pthread_mutex_unlock(&mu);
}

/* a gate: the writer waits in this answer until the test opens it */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_in, gate_open;

static void on_gate(void *arg, const struct cl_seq_result *r)
{
	(void)arg;
	(void)r;
	pthread_mutex_lock(&gate_mu);
	gate_in = true;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

static void reset_answers(void)
{
	pthread_mutex_lock(&mu);
	memset(got, 0, sizeof(got));
	memset(n_answers, 0, sizeof(n_answers));
	pthread_mutex_unlock(&mu);
}

static int answers(size_t i)
{
	pthread_mutex_lock(&mu);
	int n = n_answers[i];
	pthread_mutex_unlock(&mu);
	return n;
}

static struct cl_seq *open_seq(uint64_t queue_max)
{
	struct cl_seq_config cfg;
	struct cl_seq *s;

	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = 5;
	cfg.queue_max = queue_max;
	CHECK(cl_seq_new(&s, &cfg, db, &genesis) == CL_OK);
	return s;
}

/* A request of `type` with every byte of the struct 1 (no zero byte: a
 * queue that dropped any would give zeros back; and 1 is a valid bool),
 * then the counts and kinds the encoder checks put in range, at their
 * longest. */
static void full_request(struct cl_tx *tx, enum cl_tx_type type)
{
	memset(tx, 1, sizeof(*tx));
	tx->type = type;
	tx->auth.recovered = true;
	switch (type) {
	case CL_TX_ORACLE_PRICE:
		tx->u.oracle.n_sigs = CL_TX_ORACLE_MAX_SIGS;
		break;
	case CL_TX_ORACLE_UPDATE:
		tx->u.oracle_update.n = CL_TX_ORACLE_MAX_ENTRIES;
		break;
	case CL_TX_ORACLE_SURFACE:
		tx->u.oracle_surface.n = CL_TX_ORACLE_MAX_ENTRIES;
		break;
	case CL_TX_SCALE_ORDER:
		tx->u.scale.msg.n = CL_SCALE_MAX;
		break;
	case CL_TX_FORCED:
		/* CLOSE reads the member's last fields */
		tx->u.forced.kind = CL_FORCED_CLOSE;
		break;
	case CL_TX_OPTION_LIST:
		tx->u.option_list.msg.symbol[CL_OPTION_LIST_SYMBOL_MAX] = 0;
		break;
	case CL_TX_ORDER_DONE:
	case CL_TX_ADL:
	case CL_TX_REINDEX:
	case CL_TX_DEPOSIT:
	case CL_TX_PLACE_ORDER:
	case CL_TX_FILL:
	case CL_TX_CANCEL:
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_LIQUIDATE:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_SCHEDULE_CANCEL:
	case CL_TX_CLIENT_ORDER:
	case CL_TX_TRIGGER_ORDER:
	case CL_TX_TWAP_ORDER:
	case CL_TX_ASSET_DEPOSIT:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_MARGIN_MODE:
	case CL_TX_ISOLATED_MARGIN:
	case CL_TX_SUBACCOUNT_TRANSFER:
	case CL_TX_ASSET_WITHDRAW:
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
	case CL_TX_OPTION_SETTLE:
	case CL_TX_PORTFOLIO_MODE:
		break;
	}
}

/* An oracle price the writer refuses (its signature recovers to no
 * signer): a large request. */
static struct cl_tx oracle_tx(struct cl_seq *s, uint64_t n)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = 1;
	tx.u.oracle.msg.price = 650000 + n;
	tx.u.oracle.msg.timestamp = 1;
	tx.u.oracle.n_sigs = 1;
	memset(tx.u.oracle.sigs[0].b, 0x11, CL_SIG_LEN);
	cl_tx_recover(&tx, cl_seq_domain(s));
	return tx;
}

/* A cancel of no order: a small request. */
static struct cl_tx cancel_tx(struct cl_seq *s, uint64_t n)
{
	struct cl_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_CANCEL;
	memset(tx.u.cancel.msg.trader.b, 0x22, 20);
	memcpy(tx.u.cancel.msg.order_hash.b, &n, sizeof(n));
	memset(tx.u.cancel.sig.b, 0x33, CL_SIG_LEN);
	cl_tx_recover(&tx, cl_seq_domain(s));
	return tx;
}

static void every_type_unchanged(void)
{
	static struct cl_tx sent[CL_TX_TYPE_MAX + 1];
	struct cl_seq *s = open_seq(64);
	size_t n = 0;

	reset_answers();
	for (int t = 1; t <= CL_TX_TYPE_MAX; t++) {
		if (!cl_tx_is_request((enum cl_tx_type)t))
			continue;
		full_request(&sent[t], (enum cl_tx_type)t);
		CHECK_MSG(cl_seq_submit(s, &sent[t], on_result,
					(void *)(uintptr_t)t) == CL_OK,
			  "type %d", t);
		n++;
	}
	CHECK(n >= 20); /* every request kind of docs/protocol.md */
	cl_seq_stop(s); /* never started: the queue answers them all */
	for (int t = 1; t <= CL_TX_TYPE_MAX; t++) {
		if (!cl_tx_is_request((enum cl_tx_type)t))
			continue;
		struct cl_hash32 h;
		cl_tx_hash(&h, &sent[t]);
		CHECK_MSG(answers((size_t)t) == 1, "type %d", t);
		CHECK(got[t].code == CL_SEQ_ERR_SHUTDOWN);
		CHECK_MSG(cl_hash32_eq(&got[t].tx_hash, &h),
			  "type %d changed in the queue", t);
		if (cl_tx_is_order((enum cl_tx_type)t))
			CHECK(cl_hash32_eq(&got[t].order_hash,
					   &sent[t].auth.digest));
	}
	cl_seq_free(s);
}

static void side_pool(void)
{
	struct cl_seq *s = open_seq(64);
	struct cl_tx tx;
	size_t i = 0;

	reset_answers();
	/* 64 / 32 < 16: the pool has its minimum of 16 records */
	for (; i < 16; i++) {
		tx = oracle_tx(s, i);
		CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
		      CL_OK);
	}
	tx = oracle_tx(s, i);
	CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
	      CL_ERR_BUSY);
	/* the ring itself still takes small requests, up to 64 */
	for (; i < 64; i++) {
		tx = cancel_tx(s, i);
		CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
		      CL_OK);
	}
	tx = cancel_tx(s, i);
	CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
	      CL_ERR_BUSY);
	struct cl_seq_metrics m;
	cl_seq_metrics(s, &m);
	CHECK(m.queued == 64 && m.queue_max == 64);

	/* the writer answers them all and gives the records back */
	CHECK(cl_seq_start(s) == CL_OK);
	for (int spin = 0; spin < 2000; spin++) {
		size_t done = 0;
		for (size_t j = 0; j < 64; j++)
			done += answers(j) == 1;
		if (done == 64)
			break;
		usleep(5000);
	}
	for (size_t j = 0; j < 64; j++) {
		CHECK_MSG(answers(j) == 1, "submission %zu", j);
		CHECK(got[j].code != 0); /* bad signatures, no such orders */
	}
	CHECK(answers(64) == 0);
	for (int spin = 0; spin < 2000; spin++) {
		cl_seq_metrics(s, &m);
		if (m.queued == 0)
			break;
		usleep(5000);
	}
	CHECK(m.queued == 0);

	/* the writer held inside the answer to a lone request: the 16
	 * records are free again, and there are no more */
	tx = cancel_tx(s, 1000);
	CHECK(cl_seq_submit(s, &tx, on_gate, NULL) == CL_OK);
	pthread_mutex_lock(&gate_mu);
	while (!gate_in)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	reset_answers();
	for (i = 0; i < 16; i++) {
		tx = oracle_tx(s, 100 + i);
		CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
		      CL_OK);
	}
	tx = oracle_tx(s, 100 + i);
	CHECK(cl_seq_submit(s, &tx, on_result, (void *)(uintptr_t)i) ==
	      CL_ERR_BUSY);
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	cl_seq_stop(s);
	for (i = 0; i < 16; i++)
		CHECK_MSG(answers(i) == 1, "submission %zu", i);
	CHECK(answers(16) == 0);
	cl_seq_free(s);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/clseqqXXXXXX";

	seq_test_setup(argc, argv, &genesis, dir, &db);

	every_type_unchanged();
	side_pool();

	cl_db_free(db);
	test_rm_tree(dir);
	printf("ok\n");
	return 0;
}
