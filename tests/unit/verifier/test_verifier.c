/* SPDX-License-Identifier: MIT */
/*
 * The verifier and replica against a real anvil and the real clearlined
 * binaries (suite 'l1'). One executable, one scenario per run:
 *
 *   test_verifier ROOT CLEARLINED honest            many transactions, no
 *                                                   fault: equal roots, no
 *                                                   challenge
 *   test_verifier ROOT CLEARLINED replica           a replica killed with
 *                                                   SIGKILL mid-sync, then
 *                                                   the same answers as
 *                                                   the sequencer
 *   test_verifier ROOT CLEARLINED fault KIND        a lying sequencer: the
 *                                                   batch is flagged and,
 *                                                   when the verdict
 *                                                   program proves it, a
 *                                                   game opened on L1
 *                                                   (not for
 *                                                   l1-timestamp)
 *   test_verifier ROOT CLEARLINED discard KIND      the same, the sequencer
 *                                                   defending its batch with
 *                                                   a lie: the verifier
 *                                                   wins the game, the batch
 *                                                   is discarded, the
 *                                                   verifier derives again
 *                                                   and agrees again
 *
 * CL_TEST_TXS sets the transaction target of `honest` (default 10000),
 * CL_TEST_SEED the traffic seed, CL_TEST_KEEP keeps the work folder,
 * CL_TEST_VERIFIER_BIN runs the verifiers and replicas from another
 * build (determinism across builds: docs/verifier.md).
 */
#include "vharness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/json.h>

#include "../test.h"

static int WAIT_S = 120;

static struct vh_env env;

static const char *const verifier_args[] = {
    "--l1-keystore", env.ks_ver, "--l1-passphrase", env.pass, "--progress-ms",
    "1000",	     NULL};

/* The game program, beside the binary: BUILD/tests/vm-programs/stf.elf. */
static char program[4200];

static void find_program(const char *bin)
{
	const char *s = strstr(bin, "/src/clearlined");

	snprintf(program, sizeof(program), "%.*s/tests/vm-programs/stf.elf",
		 s ? (int)(s - bin) : 1, s ? bin : ".");
}

/* A verifier that plays the game. */
static const char *const verifier_game_args[] = {
    "--l1-keystore", env.ks_ver, "--l1-passphrase", env.pass, "--progress-ms",
    "1000",	     "--game-program", program, NULL};

static void seq_args(const char **argv, const char *fault)
{
	size_t k = 0;
	argv[k++] = "--l1-keystore";
	argv[k++] = env.ks_seq;
	argv[k++] = "--l1-passphrase";
	argv[k++] = env.pass;
	argv[k++] = "--block-interval-ms";
	argv[k++] = "50";
	argv[k++] = "--batch-interval-ms";
	argv[k++] = "1000";
	argv[k++] = "--rpc-max-body";
	argv[k++] = "16777216";
	if (fault) {
		argv[k++] = "--fault";
		argv[k++] = fault;
	}
	argv[k] = NULL;
}

/* The sequencer defends its batches (a corrupted one with a lie). */
static void seq_game_args(const char **argv, const char *fault)
{
	size_t k = 0;

	seq_args(argv, fault);
	while (argv[k])
		k++;
	argv[k++] = "--game-program";
	argv[k++] = program;
	argv[k] = NULL;
}

/* Wait until the node has verified everything the sequencer posted and
 * stands at the sequencer's head. */
static bool caught_up(struct vh_node *seq, struct vh_node *v)
{
	json_t *ss = vh_status(seq), *vs = vh_status(v);
	bool ok = false;
	if (ss && vs) {
		uint64_t posted = vh_u64(ss, "postedBatch", UINT64_MAX);
		uint64_t derived = vh_u64(vs, "derivedBatch", UINT64_MAX);
		uint64_t sh = vh_u64(ss, "headBlock", 0);
		uint64_t vh = vh_u64(vs, "headBlock", 1);
		ok = posted != UINT64_MAX && posted == derived && sh == vh &&
		     json_equal(json_object_get(ss, "headStateRoot"),
				json_object_get(vs, "headStateRoot"));
	}
	json_decref(ss);
	json_decref(vs);
	return ok;
}

/* Let the sequencer post everything it sealed: no traffic, then wait
 * until the posted range reaches its head. */
static bool wait_posted(struct vh_node *seq)
{
	for (int i = 0; i < WAIT_S * 5; i++) {
		json_t *ss = vh_status(seq);
		uint64_t head = vh_u64(ss, "headBlock", 0);
		json_decref(ss);
		uint64_t next = vh_view_u64(&env, "nextL2Block()");
		if (next != UINT64_MAX && next == head + 1)
			return true;
		vh_sleep_ms(200);
	}
	return false;
}

static bool wait_caught_up(struct vh_node *seq, struct vh_node *v)
{
	for (int i = 0; i < WAIT_S * 5; i++) {
		if (caught_up(seq, v))
			return true;
		vh_sleep_ms(200);
	}
	return false;
}

/* Every block root of the verifier equals the sequencer's. */
static void compare_roots(struct vh_node *seq, struct vh_node *v)
{
	json_t *ss = vh_status(seq);
	uint64_t head = vh_u64(ss, "headBlock", 0);
	json_decref(ss);
	size_t diff = 0;
	for (uint64_t from = 0; from <= head; from += 500) {
		json_t *calls = json_array();
		for (uint64_t n = from; n <= head && n < from + 500; n++)
			json_array_append_new(
			    calls, json_pack("{s:s,s:[o]}", "method",
					     "l2_getStateRoot", "params",
					     cl_json_from_u64(n)));
		json_t *a = vh_batch(seq->url, calls);
		json_t *b = vh_batch(v->url, calls);
		CHECK(a && b);
		for (size_t i = 0; a && b && i < json_array_size(calls); i++) {
			json_t *ra =
			    json_object_get(json_array_get(a, i), "result");
			json_t *rb =
			    json_object_get(json_array_get(b, i), "result");
			if (!ra || !rb || !json_equal(ra, rb))
				diff++;
		}
		json_decref(a);
		json_decref(b);
		json_decref(calls);
	}
	CHECK_MSG(diff == 0, "%zu of %llu block roots differ", diff,
		  (unsigned long long)head + 1);
	printf("compared %llu block roots\n", (unsigned long long)head + 1);
}

/* The GameOpened events of the rollup. */
static size_t challenge_events(void)
{
	struct cl_l1_filter f;
	struct cl_l1_logs logs;
	uint64_t head = 0;
	size_t n = 0;
	memset(&f, 0, sizeof(f));
	f.has_address = true;
	f.address = env.rollup;
	f.n_topics = 1;
	cl_l1_event_topic(&f.topics[0], CL_L1_EV_GAME_OPENED);
	if (cl_l1_eth_block_number(env.l1, &head) != CL_OK)
		return SIZE_MAX;
	f.from_block = env.deploy_block;
	f.to_block = head;
	if (cl_l1_eth_get_logs(env.l1, &logs, &f) != CL_OK)
		return SIZE_MAX;
	n = logs.n;
	cl_l1_logs_release(&logs);
	return n;
}

static void start_traders(struct vh_node *seq)
{
	CHECK(vh_deposit(&env, seq, 0, env.n_traders, 100000000000ull) == 0);
	vh_oracle(&env, seq);
	CHECK(env.oracles == 3);
}

/* ------------------------------------------------------------------ */

static void scenario_honest(void)
{
	struct vh_node seq, ver;
	const char *sa[16];
	const char *t = getenv("CL_TEST_TXS");
	uint64_t target = t ? strtoull(t, NULL, 10) : 10000;
	WAIT_S = 120 + (int)(target / 500);

	vh_setup(&env, env.root, env.bin, 3600);
	seq_args(sa, NULL);
	CHECK(vh_start(&env, &seq, "sequencer", "sequencer", sa) == 0);
	CHECK(vh_start(&env, &ver, "verifier", "verifier", verifier_args) == 0);
	start_traders(&seq);
	uint64_t t0 = vh_now_ms();
	while (env.accepted_txs < target) {
		vh_traffic(&env, &seq, 400);
		if (vh_now_ms() - t0 > 150000 + target * 10)
			break;
	}
	printf("traffic: %llu accepted transactions (%llu orders, %llu "
	       "cancels, %llu withdrawals, %llu oracle updates) in %llu ms\n",
	       (unsigned long long)env.accepted_txs,
	       (unsigned long long)env.orders, (unsigned long long)env.cancels,
	       (unsigned long long)env.withdrawals,
	       (unsigned long long)env.oracles,
	       (unsigned long long)(vh_now_ms() - t0));
	CHECK(wait_posted(&seq));
	CHECK(wait_caught_up(&seq, &ver));
	printf("verifier caught up after %llu ms\n",
	       (unsigned long long)(vh_now_ms() - t0));
	json_t *vs = vh_status(&ver);
	CHECK(vs && json_is_null(json_object_get(vs, "fault")));
	uint64_t txs = vh_u64(vs, "txsDerived", 0);
	CHECK_MSG(txs >= target, "derived %llu transactions",
		  (unsigned long long)txs);
	printf("verifier replayed %llu transactions in %llu batches\n",
	       (unsigned long long)txs,
	       (unsigned long long)vh_u64(vs, "derivedBatch", 0) + 1);
	CHECK(json_is_string(json_object_get(vs, "mode")));
	json_decref(vs);
	compare_roots(&seq, &ver);
	CHECK(challenge_events() == 0);
	CHECK(vh_log_count(&ver, "Z broken ") == 0);
	CHECK(vh_log_count(&seq, "Z broken ") == 0);
	CHECK(vh_log_count(&ver, "sync: ") > 0);
	vh_kill(&ver, SIGTERM);
	vh_kill(&seq, SIGTERM);
	vh_teardown(&env);
}

static bool same_answer(struct vh_node *a, struct vh_node *b,
			const char *method, json_t *params)
{
	json_t *ra = NULL, *rb = NULL;
	json_incref(params); /* each call takes one reference */
	int ca = vh_call(a, &ra, method, params);
	int cb = vh_call(b, &rb, method, params);
	bool ok = ca == CL_OK && cb == CL_OK && json_equal(ra, rb);
	if (!ok) {
		char *sa = ra ? cl_json_dump(ra) : NULL;
		char *sb = rb ? cl_json_dump(rb) : NULL;
		fprintf(stderr, "%s differs:\n  sequencer %s\n  replica   %s\n",
			method, sa ? sa : "(error)", sb ? sb : "(error)");
		free(sa);
		free(sb);
	}
	json_decref(ra);
	json_decref(rb);
	return ok;
}

/*
 * An oracle move liquidates an account with no operator call: the stf
 * derives the liquidation while applying the price, so the sequencer, a
 * verifier and a replica all log it, and their roots agree.
 */
static void scenario_liquidation(void)
{
	struct vh_node seq, ver, rep;
	const char *sa[16];
	json_t *res = NULL;

	vh_setup(&env, env.root, env.bin, 3600);
	seq_args(sa, NULL);
	CHECK(vh_start(&env, &seq, "sequencer", "sequencer", sa) == 0);
	CHECK(vh_start(&env, &ver, "verifier", "verifier", verifier_args) == 0);
	char url[96];
	snprintf(url, sizeof(url), "%s", seq.url);
	const char *ra[] = {"--sequencer-url", url, NULL};
	CHECK(vh_start(&env, &rep, "replica", "replica", ra) == 0);
	/* trader 0 makes the market; trader 1 buys 0.3 BTC at $65,000 with
	 * $1,000 (19.5x) */
	CHECK(vh_deposit(&env, &seq, 0, 1, 1000000000000ull) == 0);
	CHECK(vh_deposit(&env, &seq, 1, 2, 1000000000ull) == 0);
	env.mid[1] = 650000;
	vh_oracle(&env, &seq);
	json_t *calls = json_array();
	json_array_append_new(calls, vh_order_call(&env, 0, 1, false, 650000,
						   3000, 0));
	json_array_append_new(calls, vh_order_call(&env, 1, 1, true, 650000,
						   3000, 1u << 2));
	json_array_append_new(calls, vh_order_call(&env, 0, 1, true, 600000,
						   3000, 0));
	json_t *ans = vh_batch(seq.url, calls);
	json_t *buy = json_object_get(json_array_get(ans, 1), "result");
	const char *filled =
	    buy ? json_string_value(json_object_get(buy, "filledSize")) : NULL;
	CHECK_MSG(filled && strcmp(filled, "3000") == 0,
		  "the leveraged buy filled");
	json_decref(ans);
	json_decref(calls);
	/* -6 %: below maintenance; nobody asks for a liquidation */
	vh_sleep_ms(1100);
	env.mid[1] = 611000;
	vh_oracle(&env, &seq);
	char a[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(a, &env.tr[1].addr);
	CHECK(vh_call(&seq, &res, "l2_getRiskEvents", json_pack("[s]", a)) ==
	      CL_OK);
	CHECK_MSG(res && json_array_size(res) >= 1,
		  "the sequencer logged the liquidation");
	json_decref(res);
	CHECK(wait_posted(&seq));
	CHECK(wait_caught_up(&seq, &ver));
	CHECK(wait_caught_up(&seq, &rep));
	json_t *vs = vh_status(&ver);
	CHECK(vs && json_is_null(json_object_get(vs, "fault")));
	json_decref(vs);
	CHECK(same_answer(&seq, &ver, "l2_getRiskEvents", json_pack("[s]", a)));
	CHECK(same_answer(&seq, &rep, "l2_getRiskEvents", json_pack("[s]", a)));
	CHECK(same_answer(&seq, &rep, "l2_getAccount", json_pack("[s]", a)));
	CHECK(same_answer(&seq, &rep, "l2_getOrderBook",
			  json_pack("[i,i]", 1, 50)));
	compare_roots(&seq, &ver);
	compare_roots(&seq, &rep);
	printf("liquidated with no operator call; events, accounts, books "
	       "and roots agree on sequencer, verifier and replica\n");
	CHECK(vh_log_count(&seq, "Z broken ") == 0);
	vh_kill(&rep, SIGTERM);
	vh_kill(&ver, SIGTERM);
	vh_kill(&seq, SIGTERM);
	vh_teardown(&env);
}

static void scenario_replica(void)
{
	struct vh_node seq, rep;
	const char *sa[16];

	vh_setup(&env, env.root, env.bin, 3600);
	seq_args(sa, NULL);
	CHECK(vh_start(&env, &seq, "sequencer", "sequencer", sa) == 0);
	start_traders(&seq);
	for (int i = 0; i < 12; i++) {
		vh_traffic(&env, &seq, 300);
		vh_sleep_ms(150);
	}
	CHECK(wait_posted(&seq));
	uint64_t posted = vh_view_u64(&env, "batchCount()");
	printf("sequencer posted %llu batches, %llu transactions\n",
	       (unsigned long long)posted,
	       (unsigned long long)env.accepted_txs);
	CHECK(posted >= 3);

	/* a replica that syncs slowly (one L1 block per log query) and is
	 * killed with SIGKILL in the middle */
	char url[96];
	snprintf(url, sizeof(url), "%s", seq.url);
	const char *ra[] = {"--sequencer-url",
			    url,
			    "--l1-log-range",
			    "1",
			    "--progress-ms",
			    "500",
			    NULL};
	CHECK(vh_start(&env, &rep, "replica", "replica", ra) == 0);
	bool mid = false;
	for (int i = 0; i < 3000 && !mid; i++) {
		json_t *st = vh_status(&rep);
		uint64_t head = vh_u64(st, "headBlock", 0);
		uint64_t derived = vh_u64(st, "derivedBatch", UINT64_MAX);
		json_decref(st);
		mid =
		    head > 0 && (derived == UINT64_MAX || derived + 1 < posted);
		if (!mid)
			vh_sleep_ms(5);
	}
	CHECK_MSG(mid, "the replica was never seen mid-sync");
	vh_kill(&rep, SIGKILL);
	json_t *st0 = NULL;
	CHECK(vh_restart(&env, &rep, "replica", ra) == 0);
	st0 = vh_status(&rep);
	printf("restarted at block %llu\n",
	       (unsigned long long)vh_u64(st0, "headBlock", 0));
	json_decref(st0);
	CHECK(wait_caught_up(&seq, &rep));
	compare_roots(&seq, &rep);

	/* the same answers as the sequencer */
	size_t same = 0;
	for (size_t i = 0; i < env.n_traders; i++) {
		char a[CL_ADDRESS_STR_LEN + 1];
		cl_address_format(a, &env.tr[i].addr);
		same += same_answer(&seq, &rep, "l2_getAccount",
				    json_pack("[s]", a));
	}
	CHECK_MSG(same == env.n_traders, "%zu of %zu accounts equal", same,
		  env.n_traders);
	for (int m = 1; m <= 3; m++)
		CHECK(same_answer(&seq, &rep, "l2_getOrderBook",
				  json_pack("[i,i]", m, 200)));
	json_t *ss = vh_status(&seq);
	uint64_t head = vh_u64(ss, "headBlock", 0);
	json_decref(ss);
	CHECK(same_answer(&seq, &rep, "l2_getStateRoot",
			  json_pack("[o]", cl_json_from_u64(head))));
	CHECK(same_answer(&seq, &rep, "l2_getStateRoot", json_pack("[i]", 1)));
	CHECK(same_answer(&seq, &rep, "l2_getMarkets", json_array()));
	if (env.n_resting > 0)
		CHECK(same_answer(&seq, &rep, "l2_getOrder",
				  json_pack("[o]", cl_json_from_bytes(
						       env.resting[0].b, 32))));
	/* withdrawals in verified batches have proofs on the replica */
	if (env.withdrawals > 0) {
		json_t *res = NULL;
		CHECK(vh_call(&rep, &res, "l2_getWithdrawalProof",
			      json_pack("[i]", 0)) == CL_OK);
		const char *s =
		    json_string_value(json_object_get(res, "status"));
		CHECK(s && strcmp(s, "posted") == 0);
		CHECK(json_is_array(json_object_get(res, "proof")));
		json_decref(res);
	}

	/* writes are refused with 2003, naming the sequencer */
	json_t *calls = json_array();
	json_array_append_new(
	    calls, vh_order_call(&env, 0, 1, true, env.mid[1], 1, 0));
	json_t *ans = vh_batch(rep.url, calls);
	json_t *err = json_object_get(json_array_get(ans, 0), "error");
	CHECK(json_integer_value(json_object_get(err, "code")) == 2003);
	const char *msg = json_string_value(json_object_get(err, "message"));
	CHECK(msg && strstr(msg, url) && strstr(msg, "read-only"));
	json_decref(ans);
	json_decref(calls);
	CHECK(vh_log_count(&rep, "Z broken ") == 0);
	vh_kill(&rep, SIGTERM);
	vh_kill(&seq, SIGTERM);
	vh_teardown(&env);
}

/* The game is won: L1 discards the batch, the sequencer posts the
 * honest one, and the verifier, which applied blocks of the wrong batch,
 * derives again from genesis and reaches the sequencer's roots. */
static void resolve_and_recover(struct vh_node *seq, struct vh_node *ver,
				uint64_t bad, const char **sa)
{
	/* the sequencer defends its corrupted batch with a lie: the
	 * verifier wins at the step and resolves */
	for (int i = 0; i < WAIT_S * 10 && vh_view_u64(&env, "batchCount()") !=
						   bad;
	     i++)
		vh_sleep_ms(100);
	CHECK(vh_view_u64(&env, "batchCount()") == bad);
	vh_kill(seq, SIGTERM);
	/* the sequencer again, honest this time */
	for (size_t i = 0; sa[i]; i++)
		if (strcmp(sa[i], "--fault") == 0)
			sa[i] = NULL;
	CHECK(vh_restart(&env, seq, "sequencer", sa) == 0);
	vh_traffic(&env, seq, 100);
	CHECK(wait_posted(seq));
	CHECK(wait_caught_up(seq, ver));
	json_t *vs = vh_status(ver);
	CHECK(vs && json_is_null(json_object_get(vs, "fault")));
	json_decref(vs);
	compare_roots(seq, ver);
	CHECK(vh_log_count(ver, "Z broken ") == 1);
}

static void scenario_fault(const char *kind, bool discard)
{
	struct vh_node seq, ver;
	const char *sa[16];
	char fault[64], line[4096];

	/* the program does not see the record's l1Timestamp: no game for
	 * it. (l1-ref is provable as injected: the roots were computed with
	 * the true reference, which the state commits to.) */
	bool provable = strcmp(kind, "l1-timestamp") != 0;
	snprintf(fault, sizeof(fault), "%s:1", kind);
	vh_setup(&env, env.root, env.bin, 3600);
	if (discard)
		seq_game_args(sa, fault);
	else
		seq_args(sa, fault);
	CHECK(vh_start(&env, &seq, "sequencer", "sequencer", sa) == 0);
	CHECK(vh_start(&env, &ver, "verifier", "verifier",
		       verifier_game_args) == 0);
	/* half the traders now, half once two batches are out, so that
	 * later batches hold deposits too */
	size_t half = env.n_traders / 2;
	CHECK(vh_deposit(&env, &seq, 0, half, 100000000000ull) == 0);
	env.n_traders = half;
	vh_oracle(&env, &seq);
	bool second = false, injected = false;
	uint64_t t0 = vh_now_ms();
	while (!injected && vh_now_ms() - t0 < 90000) {
		vh_traffic(&env, &seq, 100);
		vh_sleep_ms(100);
		if (!second && vh_view_u64(&env, "batchCount()") >= 2 &&
		    vh_view_u64(&env, "batchCount()") != UINT64_MAX) {
			env.n_traders = VH_TRADERS;
			CHECK(vh_deposit(&env, &seq, half, VH_TRADERS,
					 100000000000ull) == 0);
			second = true;
		}
		injected =
		    vh_log_find(&seq, "fault injection:", line, sizeof(line));
	}
	CHECK_MSG(injected, "the sequencer never corrupted a batch");
	const char *p = strstr(line, " in batch ");
	uint64_t bad = p ? strtoull(p + 10, NULL, 10) : UINT64_MAX;
	printf("sequencer: %s", line);

	/* the verifier flags it and its game opens on L1 (or, for a fault
	 * the program cannot prove, says so) */
	json_t *fj = NULL;
	uint64_t fbatch = UINT64_MAX;
	bool confirmed = false;
	const char *want = provable ? "confirmed" : "not sent";
	for (int i = 0; i < WAIT_S * 5 && !confirmed; i++) {
		vh_traffic(&env, &seq, 20);
		json_t *vs = vh_status(&ver);
		json_t *f = json_object_get(vs, "fault");
		if (json_is_object(f)) {
			json_decref(fj);
			fj = json_incref(f);
			fbatch = vh_u64(f, "batch", UINT64_MAX);
			const char *c =
			    json_string_value(json_object_get(f, "challenge"));
			confirmed = c && strcmp(c, want) == 0;
		}
		json_decref(vs);
		if (!confirmed)
			vh_sleep_ms(200);
	}
	char *fs = fj ? cl_json_dump(fj) : NULL;
	printf("verifier fault: %s\n", fs ? fs : "none");
	free(fs);
	CHECK_MSG(fbatch != UINT64_MAX && bad != UINT64_MAX &&
		      fbatch + 1 >= bad && fbatch <= bad + 1,
		  "flagged batch %llu, corrupted batch %llu",
		  (unsigned long long)fbatch, (unsigned long long)bad);
	CHECK(fbatch == bad);
	CHECK(confirmed);
	CHECK(json_is_string(json_object_get(fj, "reason")));
	json_decref(fj);
	CHECK(vh_log_count(&ver, "Z broken ") == 1);
	char needle[64];
	snprintf(needle, sizeof(needle), "batch %llu is wrong",
		 (unsigned long long)fbatch);
	CHECK(vh_log_count(&ver, needle) == 1);

	/* one game, ours, on the batch (none for a fault not provable) */
	struct cl_buf r;
	CHECK(challenge_events() == (provable ? 1 : 0));
	if (!provable)
		CHECK(vh_log_count(&ver, "not provable yet") == 1);
	else
		CHECK(vh_log_count(&ver, "we are the challenger") == 1);

	if (discard) {
		/* no time travel here: it would make the deposits of the
		 * discarded batches overdue (forced inclusion) */
		resolve_and_recover(&seq, &ver, fbatch, sa);
		goto out;
	}
	/* batches before the bad one were verified */
	json_t *vs = vh_status(&ver);
	if (fbatch > 0)
		CHECK(vh_u64(vs, "derivedBatch", UINT64_MAX) == fbatch - 1);
	json_decref(vs);
	if (!provable)
		goto out;
	/* finalisation stops there while the game is open (the sequencer
	 * here does not defend: the game waits for it) */
	uint64_t fin = vh_view_u64(&env, "finalizedBatchCount()");
	CHECK_MSG(fin <= fbatch, "finalizedBatchCount %llu, challenged %llu",
		  (unsigned long long)fin, (unsigned long long)fbatch);
	cl_buf_init(&r);
	bool isfinal = true;
	CHECK(vh_view(&env, &r, "isFinal(uint64)", true, fbatch) == CL_OK);
	CHECK(cl_l1_abi_ret_bool(&isfinal, r.p, r.len) && !isfinal);
	cl_buf_release(&r);
out:
	vh_kill(&ver, SIGTERM);
	vh_kill(&seq, SIGTERM);
	vh_teardown(&env);
}

int main(int argc, char **argv)
{
	if (argc >= 3)
		find_program(argv[2]);
	if (argc < 4) {
		fprintf(stderr,
			"usage: %s SOURCE_ROOT CLEARLINED "
			"honest|replica|liquidation|fault KIND|discard KIND\n",
			argv[0]);
		return 2;
	}
	if (getenv("CL_TEST_LOG") == NULL)
		cl_log_min_level = CL_LOG_BROKEN;
	CHECK(cl_crypto_init() == CL_OK);
	CHECK(cl_l1_global_init() == CL_OK);
	env.root = argv[1];
	env.bin = argv[2];
	uint64_t t0 = vh_now_ms();
	if (strcmp(argv[3], "honest") == 0) {
		scenario_honest();
	} else if (strcmp(argv[3], "replica") == 0) {
		scenario_replica();
	} else if (strcmp(argv[3], "liquidation") == 0) {
		scenario_liquidation();
	} else if (strcmp(argv[3], "fault") == 0 && argc >= 5) {
		scenario_fault(argv[4], false);
	} else if (strcmp(argv[3], "discard") == 0 && argc >= 5) {
		scenario_fault(argv[4], true);
	} else {
		fprintf(stderr, "unknown scenario %s\n", argv[3]);
		return 2;
	}
	printf("scenario %s %s took %llu ms\n", argv[3],
	       argc >= 5 ? argv[4] : "",
	       (unsigned long long)(vh_now_ms() - t0));
	return test_done("test_verifier");
}
