/* SPDX-License-Identifier: MIT */
/*
 * The rollup contract from contrib/l1/artifacts on a real anvil (default
 * hardfork): selectors and event signatures against solc's ABI, deploy,
 * deposits through the watcher (in order, exactly once, across restarts
 * and reorgs), and batches through the poster (BatchAppended read back,
 * a reorged batch posted again, two batches in flight adopted after a
 * restart).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clearline/l1.h>

#include "anvil.h"
#include "test.h"

static struct cl_l1_rpc *rpc;
static json_t *rollup_art, *token_art, *dispute_art;
static struct cl_address token, rollup;
static uint64_t rollup_block;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int mine(int n)
{
	return anvil_call(rpc, "anvil_mine", json_pack("[i]", n));
}

static json_t *load_artifact(const char *root, const char *name)
{
	char path[4200];
	json_error_t err;

	snprintf(path, sizeof(path), "%s/contrib/l1/artifacts/%s.json", root,
		 name);
	json_t *j = json_load_file(path, 0, &err);
	if (!j) {
		fprintf(
		    stderr,
		    "FAIL: cannot load %s (%s): run "
		    "contrib/bootstrap.sh, then node contrib/l1/compile.js\n",
		    path, err.text);
		exit(1);
	}
	return j;
}

/* "type,type" of an ABI parameter list; a tuple is "(its components)". */
static size_t abi_params(char *out, size_t cap, const json_t *in)
{
	size_t at = 0;
	for (size_t i = 0; i < json_array_size(in) && at < cap; i++) {
		const json_t *p = json_array_get(in, i);
		const char *t = json_string_value(json_object_get(p, "type"));
		if (i)
			at += (size_t)snprintf(out + at, cap - at, ",");
		if (at < cap && t && strcmp(t, "tuple") == 0) {
			at += (size_t)snprintf(out + at, cap - at, "(");
			if (at < cap)
				at += abi_params(out + at, cap - at,
						 json_object_get(p,
								 "components"));
			if (at < cap)
				at += (size_t)snprintf(out + at, cap - at, ")");
		} else if (at < cap) {
			at += (size_t)snprintf(out + at, cap - at, "%s",
					       t ? t : "?");
		}
	}
	return at;
}

/* "name(type,type)" of an ABI entry. */
static void abi_signature(char *out, size_t cap, const json_t *e)
{
	size_t at = (size_t)snprintf(
	    out, cap, "%s(", json_string_value(json_object_get(e, "name")));
	if (at < cap)
		at += abi_params(out + at, cap - at,
				 json_object_get(e, "inputs"));
	if (at < cap)
		snprintf(out + at, cap - at, ")");
}

static const json_t *abi_find(const json_t *art, const char *type,
			      const char *name)
{
	const json_t *abi = json_object_get(art, "abi");
	for (size_t i = 0; i < json_array_size(abi); i++) {
		const json_t *e = json_array_get(abi, i);
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *n = json_string_value(json_object_get(e, "name"));
		if (t && n && !strcmp(t, type) && !strcmp(n, name))
			return e;
	}
	return NULL;
}

static void test_abi_matches_solc(void)
{
	static const struct {
		const char *type, *name, *sig;
	} cases[] = {
	    {"function", "appendBatch", CL_L1_SIG_APPEND_BATCH},
	    {"function", "claimWithdrawal", CL_L1_SIG_CLAIM_WITHDRAWAL},
	    {"function", "deposit", CL_L1_SIG_DEPOSIT_FN},
	    {"function", "challenge", CL_L1_SIG_GAME_CHALLENGE},
	    {"function", "gameInput", CL_L1_SIG_GAME_INPUT},
	    {"function", "resolve", CL_L1_SIG_GAME_RESOLVE},
	    {"function", "dispute", CL_L1_SIG_DISPUTE},
	    {"function", "GAME_STEPS", CL_L1_SIG_GAME_STEPS},
	    {"function", "challengeBond", CL_L1_SIG_CHALLENGE_BOND},
	    {"function", "batchCount", CL_L1_SIG_BATCH_COUNT},
	    {"function", "isFinal", CL_L1_SIG_IS_FINAL},
	    {"function", "depositCount", CL_L1_SIG_DEPOSIT_COUNT},
	    {"function", "batchCommitment", CL_L1_SIG_BATCH_COMMITMENT},
	    {"event", "Deposit", CL_L1_EV_DEPOSIT},
	    {"event", "BatchAppended", CL_L1_EV_BATCH_APPENDED},
	    {"event", "GameOpened", CL_L1_EV_GAME_OPENED},
	    {"event", "GameResolved", CL_L1_EV_GAME_RESOLVED},
	    {"event", "BatchesDiscarded", CL_L1_EV_BATCHES_DISCARDED},
	    {"function", "forceRequest", CL_L1_SIG_FORCE_REQUEST},
	    {"function", "forcedConsumed", CL_L1_SIG_FORCED_CONSUMED},
	    {"function", "forcedCount", CL_L1_SIG_FORCED_COUNT},
	    {"event", "ForcedRequest", CL_L1_EV_FORCED_REQUEST},
	};
	const char *code =
	    json_string_value(json_object_get(rollup_art, "deployedBytecode"));
	CHECK(code != NULL);
	for (size_t i = 0; i < CL_ARRAY_LEN(cases); i++) {
		char sig[512];
		const json_t *e =
		    abi_find(rollup_art, cases[i].type, cases[i].name);
		CHECK_MSG(e != NULL, "%s missing from the ABI", cases[i].name);
		if (!e)
			continue;
		abi_signature(sig, sizeof(sig), e);
		CHECK_MSG(strcmp(sig, cases[i].sig) == 0, "abi %s, ours %s",
			  sig, cases[i].sig);
		if (strcmp(cases[i].type, "function") || !code)
			continue;
		/* solc dispatches on PUSH4 <selector> */
		uint8_t sel[4];
		char push[12];
		cl_l1_selector(sel, cases[i].sig);
		push[0] = '6';
		push[1] = '3';
		cl_hex_encode(push + 2, sel, 4, false);
		CHECK_MSG(strstr(code, push) != NULL,
			  "selector of %s not in "
			  "the runtime code",
			  cases[i].sig);
	}
	/* the indexed fields we decode as topics */
	const json_t *dep = abi_find(rollup_art, "event", "Deposit");
	const json_t *in = json_object_get(dep, "inputs");
	CHECK(json_is_true(json_object_get(json_array_get(in, 0), "indexed")));
	CHECK(json_is_true(json_object_get(json_array_get(in, 1), "indexed")));
	CHECK(json_is_false(json_object_get(json_array_get(in, 2), "indexed")));
}

static uint8_t *artifact_code(const json_t *art, size_t *len)
{
	return test_unhex(json_string_value(json_object_get(art, "bytecode")),
			  len);
}

/* Drive a sender until id is final (mining a block each round). */
static int drive(struct cl_l1_sender *s, uint64_t id, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int rc = cl_l1_sender_step(s);
		(void)rc;
		const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
		if (!t)
			return -1;
		if (t->state == CL_L1_TX_CONFIRMED)
			return t->success ? CL_OK : CL_L1_REVERTED;
		if (t->state == CL_L1_TX_FAILED)
			return CL_L1_NONCE_TAKEN;
		CHECK(mine(1) == CL_OK);
		sleep_ms(20);
	}
	return CL_ERR_TIMEOUT;
}

static int send_call(struct cl_l1_sender *s, const struct cl_address *to,
		     const struct cl_buf *data, uint64_t *id_out)
{
	uint64_t id;
	struct cl_l1_txreq req = {
	    .to = to, .data = data->p, .data_len = data->len};
	int rc = cl_l1_sender_submit(s, &id, &req);
	if (rc != CL_OK)
		return rc;
	if (id_out) {
		*id_out = id;
		return CL_OK;
	}
	return drive(s, id, 40);
}

static int create(struct cl_l1_sender *s, struct cl_address *out,
		  uint64_t *block, const struct cl_buf *code)
{
	uint64_t id;
	struct cl_l1_txreq req = {.data = code->p, .data_len = code->len};
	int rc = cl_l1_sender_submit(s, &id, &req);
	if (rc != CL_OK)
		return rc;
	rc = drive(s, id, 40);
	if (rc != CL_OK)
		return rc;
	const struct cl_l1_tx *t = cl_l1_sender_get(s, id);
	struct cl_l1_receipt r;
	bool found;
	rc = cl_l1_eth_receipt(rpc, &r, &found, &t->mined_hash);
	if (rc != CL_OK || !found || !r.has_contract_address)
		return -1;
	*out = r.contract_address;
	*block = r.block_number;
	cl_l1_receipt_release(&r);
	return CL_OK;
}

static void erc20_call(struct cl_buf *b, const char *sig,
		       const struct cl_address *a, uint64_t amount)
{
	uint8_t sel[4];
	cl_buf_reset(b);
	cl_l1_selector(sel, sig);
	cl_buf_append(b, sel, 4);
	cl_l1_abi_put_address(b, a);
	cl_l1_abi_put_u64(b, amount);
}

static void deploy(struct cl_l1_sender *s, const struct cl_address *seq)
{
	struct cl_buf b;
	size_t len;
	uint64_t blk;
	uint8_t *code = artifact_code(token_art, &len);

	cl_buf_init(&b);
	cl_buf_append(&b, code, len);
	free(code);
	CHECK(create(s, &token, &blk, &b) == CL_OK);

	/* the dispute contract the rollup opens its games in (its step and
	 * oracle are never called here: any contract will do) */
	struct cl_address dispute;
	uint8_t bond[32] = {0};
	cl_put_be64(bond + 24, 1000000000000000000ULL);
	code = artifact_code(dispute_art, &len);
	cl_buf_reset(&b);
	cl_buf_append(&b, code, len);
	free(code);
	cl_l1_abi_put_address(&b, &token);
	cl_l1_abi_put_address(&b, &token);
	cl_l1_abi_put_u256(&b, bond);
	cl_l1_abi_put_u64(&b, 3600);
	CHECK(create(s, &dispute, &blk, &b) == CL_OK);

	/* the rollup's Config, a static struct: its 13 words in order */
	static const struct cl_hash32 zero_hash;
	code = artifact_code(rollup_art, &len);
	cl_buf_reset(&b);
	cl_buf_append(&b, code, len);
	free(code);
	cl_l1_abi_put_address(&b, &token);
	cl_l1_abi_put_address(&b, seq);
	cl_l1_abi_put_u64(&b, 3600); /* challengePeriod */
	cl_l1_abi_put_u64(&b, 600);  /* forcedInclusionDelay */
	cl_l1_abi_put_address(&b, &dispute);
	cl_l1_abi_put_address(&b, &token); /* program: any contract here */
	cl_l1_abi_put_bytes32(&b, &zero_hash); /* genesisHash */
	cl_l1_abi_put_bytes32(&b, &zero_hash); /* genesisRoot */
	cl_l1_abi_put_u64(&b, 3600); /* sequencingWindow */
	/* forced requests: delay 3600 s, no fee, 16 per L1 block; a day
	 * without a batch before anyone may freeze */
	static const uint8_t no_fee[32];
	cl_l1_abi_put_u64(&b, 3600);
	cl_l1_abi_put_u256(&b, no_fee);
	cl_l1_abi_put_u64(&b, 16);
	cl_l1_abi_put_u64(&b, 86400); /* maxBatchGap */
	CHECK(create(s, &rollup, &rollup_block, &b) == CL_OK);
	cl_buf_release(&b);
}

/* Mint collateral (the deployer is the minter) to the holder's key and
 * approve the rollup from it. */
static void fund(struct cl_l1_sender *minter, struct cl_l1_sender *s)
{
	struct cl_buf b;
	struct cl_address me;

	cl_buf_init(&b);
	cl_l1_sender_address(s, &me);
	erc20_call(&b, "mint(address,uint256)", &me, 1000000000000ULL);
	CHECK(send_call(minter, &token, &b, NULL) == CL_OK);
	erc20_call(&b, CL_L1_SIG_ERC20_APPROVE, &rollup, 1000000000000ULL);
	CHECK(send_call(s, &rollup, &b, NULL) != CL_OK); /* not a token */
	CHECK(send_call(s, &token, &b, NULL) == CL_OK);
	cl_buf_release(&b);
}

/* The view at L1 block `at`, or at "latest" with UINT64_MAX. */
static uint64_t view_u64_at(void (*build)(struct cl_buf *), uint64_t at)
{
	struct cl_buf in, out;
	uint64_t v = UINT64_MAX;

	cl_buf_init(&in);
	cl_buf_init(&out);
	build(&in);
	struct cl_l1_callreq cr = {
	    .to = &rollup, .data = in.p, .data_len = in.len};
	CHECK((at == UINT64_MAX ? cl_l1_eth_call(rpc, &out, &cr, CL_L1_LATEST)
				: cl_l1_eth_call_at(rpc, &out, &cr, at)) ==
	      CL_OK);
	CHECK(cl_l1_abi_ret_u64(&v, out.p, out.len));
	cl_buf_release(&in);
	cl_buf_release(&out);
	return v;
}

static uint64_t view_u64(void (*build)(struct cl_buf *))
{
	return view_u64_at(build, UINT64_MAX);
}

/* ------------------------------------------------------------------ */
/* Deposits                                                            */
/* ------------------------------------------------------------------ */

struct seen {
	size_t n;
	struct cl_l1_deposit d[64];
	bool bad_order;
};

static int on_deposit(void *arg, const struct cl_l1_deposit *d)
{
	struct seen *s = arg;
	if (d->id != s->n)
		s->bad_order = true;
	if (s->n < CL_ARRAY_LEN(s->d))
		s->d[s->n] = *d;
	s->n++;
	return CL_OK;
}

static int deposit(struct cl_l1_sender *s, uint64_t amount, uint8_t who,
		   uint64_t *id_out)
{
	struct cl_buf b;
	struct cl_address to;

	memset(to.b, who, 20);
	cl_buf_init(&b);
	cl_l1_abi_deposit(&b, &to, amount);
	int rc = send_call(s, &rollup, &b, id_out);
	cl_buf_release(&b);
	return rc;
}

/* ---- forced requests ---- */

static uint64_t view_u64(void (*build)(struct cl_buf *));

static void forced_count(struct cl_buf *b)
{
	uint8_t sel[4];
	cl_l1_selector(sel, CL_L1_SIG_FORCED_COUNT);
	cl_buf_append(b, sel, 4);
}

struct seen_forced {
	size_t n;
	struct cl_l1_forced f[16];
	bool bad_order;
};

static int on_forced(void *arg, const struct cl_l1_forced *f)
{
	struct seen_forced *s = arg;
	if (f->id != s->n)
		s->bad_order = true;
	if (s->n < CL_ARRAY_LEN(s->f))
		s->f[s->n] = *f;
	s->n++;
	return CL_OK;
}

static int force(struct cl_l1_sender *s, uint8_t kind, uint64_t a,
		 uint64_t b, uint64_t *id_out)
{
	struct cl_buf cd;
	uint8_t sel[4];

	cl_buf_init(&cd);
	cl_l1_selector(sel, CL_L1_SIG_FORCE_REQUEST);
	cl_buf_append(&cd, sel, 4);
	cl_l1_abi_put_u64(&cd, kind);
	cl_l1_abi_put_u64(&cd, a);
	cl_l1_abi_put_u64(&cd, b);
	int rc = send_call(s, &rollup, &cd, id_out);
	cl_buf_release(&cd);
	return rc;
}

/* ForcedRequest events through the watcher, in id order, each the L2
 * request it asks for; a second watcher on the same folder resumes
 * after them (its own state file beside the deposits'). */
static void test_forced(struct cl_l1_sender *s, const struct cl_address *me,
			const char *wdir)
{
	struct cl_l1_watcher_opts wo;
	struct cl_l1_watcher *w = NULL;
	struct seen_forced seen = {0};
	uint64_t id;
	size_t n;

	cl_l1_watcher_opts_default(&wo);
	wo.rollup = rollup;
	wo.start_block = rollup_block;
	wo.confirmations = 1;
	wo.max_range = 3;
	wo.max_ranges = 1000;
	CHECK(force(s, CL_FORCED_WITHDRAW, 500, 0, NULL) == CL_OK);
	CHECK(force(s, CL_FORCED_CLOSE, 1, 650000, NULL) == CL_OK);
	CHECK(force(s, CL_FORCED_CANCEL_ALL, 0, 0, &id) == CL_OK);
	CHECK(drive(s, id, 20) == CL_OK);
	CHECK(cl_l1_forced_watcher_open(&w, rpc, wdir, NULL, &wo, on_forced,
					&seen) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 3);
	CHECK(seen.n == 3 && !seen.bad_order);
	CHECK(cl_address_eq(&seen.f[0].account, me) &&
	      seen.f[0].kind == CL_FORCED_WITHDRAW && seen.f[0].a == 500 &&
	      seen.f[0].timestamp > 0);
	struct cl_tx tx;
	CHECK(cl_l1_forced_tx(&tx, &seen.f[1]) && tx.type == CL_TX_FORCED &&
	      tx.u.forced.id == 1 && tx.u.forced.kind == CL_FORCED_CLOSE &&
	      tx.u.forced.market == 1 && tx.u.forced.price == 650000);
	CHECK(cl_l1_forced_tx(&tx, &seen.f[2]) &&
	      tx.u.forced.kind == CL_FORCED_CANCEL_ALL);
	/* fields the contract refuses never make a request */
	struct cl_l1_forced bad = seen.f[2];
	bad.a = 1;
	CHECK(!cl_l1_forced_tx(&tx, &bad) && tx.type == 0);
	bad = seen.f[2];
	bad.kind = 9;
	CHECK(!cl_l1_forced_tx(&tx, &bad));
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0);
	cl_l1_watcher_free(w);

	/* reopened from the state file: only the new one */
	CHECK(force(s, CL_FORCED_CANCEL, 7, 0, &id) == CL_OK);
	CHECK(drive(s, id, 20) == CL_OK);
	CHECK(cl_l1_forced_watcher_open(&w, rpc, wdir, NULL, &wo, on_forced,
					&seen) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 1);
	CHECK(seen.n == 4 && !seen.bad_order && seen.f[3].a == 7 &&
	      seen.f[3].kind == CL_FORCED_CANCEL);
	cl_l1_watcher_free(w);
	CHECK(view_u64(forced_count) == 4);
}

/* A sender whose state starts empty (so a freed one never re-sends). */
static struct cl_l1_sender *fresh_sender(const char *keyhex, char **dir,
					 struct cl_seckey **key,
					 uint64_t confirmations)
{
	struct cl_l1_sender_opts o;
	struct cl_l1_sender *s = NULL;

	if (*dir) {
		anvil_rmdir(*dir);
		free(*dir);
	}
	*dir = anvil_tmpdir();
	if (!*key)
		*key = anvil_key(keyhex);
	cl_l1_sender_opts_default(&o);
	o.confirmations = confirmations;
	o.drop_timeout_ms = 200;
	o.stuck_timeout_ms = 500;
	CHECK(cl_l1_sender_open(&s, rpc, *key, *dir, 31337, &o) == CL_OK);
	return s;
}

static struct cl_l1_sender *reopen(struct cl_l1_sender *old,
				   const struct cl_seckey *key, const char *dir,
				   uint64_t confirmations)
{
	struct cl_l1_sender_opts o;
	struct cl_l1_sender *s = NULL;

	cl_l1_sender_free(old);
	cl_l1_sender_opts_default(&o);
	o.confirmations = confirmations;
	o.drop_timeout_ms = 200;
	o.stuck_timeout_ms = 500;
	CHECK(cl_l1_sender_open(&s, rpc, key, dir, 31337, &o) == CL_OK);
	return s;
}

static void test_deposits(struct cl_l1_sender **sp, const char *dir0,
			  const struct cl_seckey *k0, const char *wdir)
{
	struct cl_l1_sender *s = *sp;
	struct cl_l1_watcher_opts wo;
	struct cl_l1_watcher *w = NULL;
	struct seen seen = {0};
	size_t n;

	cl_l1_watcher_opts_default(&wo);
	wo.rollup = rollup;
	wo.start_block = rollup_block;
	wo.confirmations = 2;
	wo.max_range = 2;
	wo.max_ranges = 1000;

	CHECK(deposit(s, 100, 0xa1, NULL) == CL_OK);
	CHECK(deposit(s, 200, 0xa2, NULL) == CL_OK);
	uint64_t id;
	CHECK(deposit(s, 300, 0xa3, &id) == CL_OK);
	for (int i = 0; i < 20; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		if (cl_l1_sender_get(s, id)->state == CL_L1_TX_INCLUDED)
			break;
		sleep_ms(10);
	}
	CHECK(view_u64(cl_l1_abi_deposit_count) == 3);

	CHECK(cl_l1_watcher_open(&w, rpc, wdir, NULL, &wo, on_deposit, &seen) ==
	      CL_OK);
	/* the last deposit sits in the head block: depth 1 < 2 */
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK);
	CHECK(n == 2 && seen.n == 2);
	CHECK(mine(1) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 1);
	CHECK(seen.n == 3 && !seen.bad_order);
	CHECK(seen.d[0].amount == 100 && seen.d[2].amount == 300 &&
	      seen.d[1].to.b[0] == 0xa2 && seen.d[2].timestamp > 0);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0);
	CHECK(drive(s, id, 10) == CL_OK);

	/* a deposit removed by a reorg before its confirmation is never
	 * delivered; id 3 then goes to another deposit */
	char *dir1 = NULL;
	struct cl_seckey *k1 = NULL;
	struct cl_l1_sender *s1 = fresh_sender(ANVIL_KEY1, &dir1, &k1, 1);
	fund(s, s1);
	CHECK(deposit(s1, 666, 0xb1, &id) == CL_OK);
	for (int i = 0; i < 20; i++) {
		CHECK(cl_l1_sender_step(s1) == CL_OK);
		if (cl_l1_sender_get(s1, id)->state != CL_L1_TX_SENT)
			break;
		sleep_ms(10);
	}
	CHECK(cl_l1_sender_get(s1, id)->state >= CL_L1_TX_INCLUDED);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0);
	CHECK(anvil_call(rpc, "anvil_reorg", json_pack("[i, []]", 1)) == CL_OK);
	cl_l1_sender_free(s1); /* nobody sends it again */
	CHECK(mine(3) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0);
	CHECK(view_u64(cl_l1_abi_deposit_count) == 3);
	CHECK(deposit(s, 777, 0xa4, NULL) == CL_OK);
	CHECK(mine(1) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 1);
	CHECK(seen.n == 4 && seen.d[3].id == 3 && seen.d[3].amount == 777);

	/* a restarted watcher goes on from its stored cursor */
	struct cl_l1_cursor c1, c2;
	cl_l1_watcher_cursor(w, &c1);
	cl_l1_watcher_free(w);
	CHECK(cl_l1_watcher_open(&w, rpc, wdir, NULL, &wo, on_deposit, &seen) ==
	      CL_OK);
	cl_l1_watcher_cursor(w, &c2);
	CHECK(c1.next_block == c2.next_block && c2.next_id == 4 &&
	      cl_hash32_eq(&c1.prev_hash, &c2.prev_hash));
	CHECK(mine(2) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0 && seen.n == 4);

	/* a reorg below the cursor that re-mines the same deposit: the
	 * watcher rewinds and does not deliver it again */
	s = reopen(s, k0, dir0, 8);
	CHECK(deposit(s, 444, 0xa5, &id) == CL_OK);
	for (int i = 0; i < 20; i++) {
		CHECK(cl_l1_sender_step(s) == CL_OK);
		if (cl_l1_sender_get(s, id)->state == CL_L1_TX_INCLUDED)
			break;
		sleep_ms(10);
	}
	CHECK(mine(2) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 1 && seen.n == 5);
	cl_l1_watcher_cursor(w, &c1);
	CHECK(anvil_call(rpc, "anvil_reorg", json_pack("[i, []]", 4)) == CL_OK);
	CHECK(drive(s, id, 40) == CL_OK); /* re-sent, re-mined, depth 8 */
	CHECK(cl_l1_sender_get(s, id)->reorgs == 1);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 0 && seen.n == 5);
	cl_l1_watcher_cursor(w, &c2);
	CHECK(c2.next_id == 5 && c2.next_block > c1.next_block - 4);
	CHECK(!cl_hash32_eq(&c1.prev_hash, &c2.prev_hash));
	CHECK(!seen.bad_order);
	s = reopen(s, k0, dir0, 1);

	/* a delivered id that comes back with other contents: broken */
	s1 = fresh_sender(ANVIL_KEY1, &dir1, &k1, 1);
	CHECK(deposit(s1, 555, 0xb2, NULL) == CL_OK);
	cl_l1_sender_free(s1);
	CHECK(mine(2) == CL_OK);
	CHECK(cl_l1_watcher_step(w, &n) == CL_OK && n == 1 && seen.n == 6);
	CHECK(seen.d[5].id == 5 && seen.d[5].amount == 555);
	uint64_t head;
	CHECK(cl_l1_eth_block_number(rpc, &head) == CL_OK);
	int depth = (int)(head - seen.d[5].loc.block_number + 1);
	CHECK(anvil_call(rpc, "anvil_reorg", json_pack("[i, []]", depth)) ==
	      CL_OK);
	CHECK(deposit(s, 999, 0xa6, NULL) == CL_OK);
	CHECK(mine(2) == CL_OK);
	int saved = cl_log_min_level;
	cl_log_min_level = CL_LOG_BROKEN + 1; /* the broken line is expected */
	CHECK(cl_l1_watcher_step(w, &n) == CL_L1_BROKEN && n == 0);
	CHECK(cl_l1_watcher_step(w, &n) == CL_L1_BROKEN);
	cl_log_min_level = saved;
	CHECK(seen.n == 6);

	cl_l1_watcher_free(w);
	anvil_rmdir(dir1);
	free(dir1);
	cl_seckey_free(k1);
	*sp = s;
}

/* ------------------------------------------------------------------ */
/* Batches                                                             */
/* ------------------------------------------------------------------ */

static int drive_poster(struct cl_l1_poster *p, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int rc = cl_l1_poster_step(p);
		(void)rc;
		enum cl_l1_poster_state st = cl_l1_poster_state(p);
		if (st == CL_L1_POST_CONFIRMED || st == CL_L1_POST_FAILED)
			return (int)st;
		CHECK(mine(1) == CL_OK);
		sleep_ms(20);
	}
	return -1;
}

/* Step (without mining: automine puts it in a block) until included. */
static void step_until_included(struct cl_l1_poster *p)
{
	for (int i = 0; i < 40; i++) {
		CHECK(cl_l1_poster_step(p) == CL_OK);
		if (cl_l1_poster_state(p) == CL_L1_POST_INCLUDED)
			break;
		sleep_ms(10);
	}
	CHECK(cl_l1_poster_state(p) == CL_L1_POST_INCLUDED);
}

static void test_batches(struct cl_l1_sender **sp, const char *dir0,
			 const struct cl_seckey *k0)
{
	struct cl_l1_sender *s = reopen(*sp, k0, dir0, 2);
	struct cl_l1_poster_opts po;
	struct cl_l1_post_result res;
	uint8_t data[1000];

	cl_l1_poster_opts_default(&po);
	po.rollup = rollup;
	struct cl_l1_poster *p = cl_l1_poster_new(s, &po);
	CHECK(cl_l1_poster_state(p) == CL_L1_POST_IDLE);

	cl_randbytes(data, sizeof(data));
	struct cl_l1_batch_args b = {
	    .data = data,
	    .data_len = sizeof(data),
	    .deposits_consumed = view_u64(cl_l1_abi_deposit_count),
	    .first_block = 1,
	    .last_block = 10,
	    .l1_timestamp = 1, /* at most now, at least the last one (0) */
	};
	memset(b.state_root.b, 0x5a, 32);
	memset(b.withdrawal_root.b, 0x6b, 32);

	/* a wrong first block reverts in the estimate: nothing is sent */
	b.first_block = 2;
	CHECK(cl_l1_poster_post(p, &b) == CL_L1_RPC_ERROR);
	CHECK(cl_l1_poster_state(p) == CL_L1_POST_IDLE);
	b.first_block = 1;

	CHECK(cl_l1_poster_post(p, &b) == CL_OK);
	CHECK(cl_l1_poster_post(p, &b) == CL_ERR_BUSY);
	CHECK(drive_poster(p, 40) == CL_L1_POST_CONFIRMED);
	cl_l1_poster_result(p, &res);
	uint8_t dh[32];
	cl_keccak256(dh, data, sizeof(data));
	CHECK(res.has_index && res.batch_index == 0);
	CHECK(memcmp(res.data_hash.b, dh, 32) == 0);
	CHECK(res.calldata_bytes == 4 + 9 * 32 + 1024);
	CHECK(res.gas_used > cl_l1_calldata_floor(data, sizeof(data), false));
	CHECK(res.effective_gas_price > 0 && res.l1_block > 0);
	CHECK(view_u64(cl_l1_abi_batch_count) == 1);
	/* read at a block number: the state before the batch's block, and
	 * in it, whatever "latest" is by now */
	CHECK(view_u64_at(cl_l1_abi_batch_count, res.l1_block - 1) == 0);
	CHECK(view_u64_at(cl_l1_abi_batch_count, res.l1_block) == 1);
	CHECK(mine(3) == CL_OK);
	CHECK(view_u64_at(cl_l1_abi_batch_count, res.l1_block - 1) == 0);

	/* read BatchAppended back */
	struct cl_l1_filter f = {.has_address = true,
				 .address = rollup,
				 .n_topics = 1,
				 .from_block = rollup_block,
				 .to_block = res.l1_block};
	cl_l1_event_topic(&f.topics[0], CL_L1_EV_BATCH_APPENDED);
	struct cl_l1_logs logs;
	CHECK(cl_l1_eth_get_logs(rpc, &logs, &f) == CL_OK && logs.n == 1);
	struct cl_l1_batch_event ev;
	CHECK(logs.n == 1 && cl_l1_decode_batch_appended(&ev, &logs.v[0]));
	CHECK(ev.index == 0 && memcmp(ev.data_hash.b, dh, 32) == 0);
	CHECK(cl_hash32_eq(&ev.state_root, &b.state_root) &&
	      cl_hash32_eq(&ev.withdrawal_root, &b.withdrawal_root));
	CHECK(ev.first_block == 1 && ev.last_block == 10 &&
	      ev.deposits_consumed == b.deposits_consumed);
	CHECK(cl_hash32_eq(&ev.loc.tx_hash, &res.tx_hash));
	/* and the calldata decodes to the same batch */
	struct cl_buf in;
	struct cl_l1_batch_args back;
	bool found;
	cl_buf_init(&in);
	CHECK(cl_l1_eth_tx_input(rpc, &in, &found, &ev.loc.tx_hash) == CL_OK);
	CHECK(cl_l1_abi_decode_append_batch(&back, in.p, in.len) &&
	      back.data_len == sizeof(data) &&
	      memcmp(back.data, data, sizeof(data)) == 0);
	cl_buf_release(&in);
	cl_l1_logs_release(&logs);

	/* the record: found from its event, live, and any change is not */
	struct cl_l1_batch_event rec;
	bool live = false;
	CHECK(cl_l1_batch_record(rpc, &rollup, &rec, 0, rollup_block, 3) ==
	      CL_OK);
	CHECK(rec.index == 0 && rec.prev_deposits_consumed == 0 &&
	      rec.timestamp > 0 && cl_hash32_eq(&rec.data_hash, &ev.data_hash) &&
	      rec.loc.block_number == res.l1_block);
	CHECK(cl_l1_batch_live(rpc, &rollup, &live, &rec) == CL_OK && live);
	rec.timestamp++;
	CHECK(cl_l1_batch_live(rpc, &rollup, &live, &rec) == CL_OK && !live);
	rec.timestamp--;
	CHECK(rec.l1_timestamp == 1);
	rec.l1_timestamp++;
	CHECK(cl_l1_batch_live(rpc, &rollup, &live, &rec) == CL_OK && !live);
	rec.l1_timestamp--;
	rec.withdrawal_root.b[0] ^= 1;
	CHECK(cl_l1_batch_live(rpc, &rollup, &live, &rec) == CL_OK && !live);
	rec.index = 1; /* no batch 1 yet */
	CHECK(cl_l1_batch_live(rpc, &rollup, &live, &rec) == CL_OK && !live);
	CHECK(cl_l1_batch_record(rpc, &rollup, &rec, 1, rollup_block, 0) ==
	      CL_ERR_NOT_FOUND);

	/* a batch whose inclusion is reorged away is posted again */
	b.first_block = 11;
	b.last_block = 20;
	CHECK(cl_l1_poster_post(p, &b) == CL_OK);
	step_until_included(p);
	CHECK(anvil_call(rpc, "anvil_reorg", json_pack("[i, []]", 1)) == CL_OK);
	CHECK(drive_poster(p, 60) == CL_L1_POST_CONFIRMED);
	cl_l1_poster_result(p, &res);
	CHECK(res.reorgs == 1 && res.has_index && res.batch_index == 1);
	CHECK(view_u64(cl_l1_abi_batch_count) == 2);

	/* calldata over the limit is refused before anything is sent */
	uint8_t *big = cl_xmalloc(130000);
	memset(big, 1, 130000);
	struct cl_l1_batch_args bb = b;
	bb.data = big;
	bb.data_len = 130000;
	CHECK(cl_l1_poster_post(p, &bb) == CL_L1_DATA_TOO_LARGE);
	free(big);

	/* two in flight across a restart, on one sender: the first new
	 * poster adopts the older, the second (adopting from the next id)
	 * the newer. The second is posted once the first is in a block. */
	b.first_block = 21;
	b.last_block = 30;
	CHECK(cl_l1_poster_post(p, &b) == CL_OK);
	step_until_included(p);
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 0)) == CL_OK);
	struct cl_l1_poster *p2 = cl_l1_poster_new(s, &po);
	CHECK(cl_l1_poster_state(p2) == CL_L1_POST_PENDING); /* adopted 21 */
	cl_l1_poster_free(p2);
	struct cl_l1_poster_opts none = po;
	none.adopt_from_id = UINT64_MAX;
	p2 = cl_l1_poster_new(s, &none);
	CHECK(cl_l1_poster_state(p2) == CL_L1_POST_IDLE);
	b.first_block = 31;
	b.last_block = 40;
	CHECK(cl_l1_poster_post(p2, &b) == CL_OK);
	cl_l1_poster_free(p);
	cl_l1_poster_free(p2);
	s = reopen(s, k0, dir0, 2);
	p = cl_l1_poster_new(s, &po);
	CHECK(cl_l1_poster_state(p) == CL_L1_POST_PENDING);
	cl_l1_poster_result(p, &res);
	CHECK(res.first_block == 21 && res.last_block == 30);
	struct cl_l1_poster_opts next = po;
	next.adopt_from_id = res.tx_id + 1;
	p2 = cl_l1_poster_new(s, &next);
	CHECK(cl_l1_poster_state(p2) == CL_L1_POST_PENDING);
	struct cl_l1_post_result res2;
	cl_l1_poster_result(p2, &res2);
	CHECK(res2.first_block == 31 && res2.last_block == 40);
	next.adopt_from_id = res2.tx_id + 1;
	struct cl_l1_poster *p3 = cl_l1_poster_new(s, &next);
	CHECK(cl_l1_poster_state(p3) == CL_L1_POST_IDLE); /* nothing more */
	cl_l1_poster_free(p3);
	CHECK(anvil_call(rpc, "evm_setAutomine", json_pack("[b]", 1)) == CL_OK);
	CHECK(mine(1) == CL_OK);
	/* one sender step per round, both posters follow it */
	for (int i = 0; i < 60; i++) {
		CHECK(cl_l1_poster_step(p) == CL_OK);
		CHECK(cl_l1_poster_follow(p2) == CL_OK);
		if (cl_l1_poster_state(p) == CL_L1_POST_CONFIRMED &&
		    cl_l1_poster_state(p2) == CL_L1_POST_CONFIRMED)
			break;
		CHECK(mine(1) == CL_OK);
		sleep_ms(20);
	}
	cl_l1_poster_result(p, &res);
	cl_l1_poster_result(p2, &res2);
	CHECK(res.state == CL_L1_POST_CONFIRMED && res.batch_index == 2);
	CHECK(res2.state == CL_L1_POST_CONFIRMED && res2.batch_index == 3);
	CHECK(cl_l1_sender_get(s, res.tx_id) == NULL); /* forgotten */
	CHECK(cl_l1_sender_get(s, res2.tx_id) == NULL);
	CHECK(view_u64(cl_l1_abi_batch_count) == 4);
	cl_l1_poster_free(p2);

	/* the gas bound (no estimate: a batch behind unmined ones) covers a
	 * nearly full batch of incompressible data, and a small one */
	size_t sizes[2] = {110000, 100};
	for (size_t i = 0; i < 2; i++) {
		uint8_t *d = cl_xmalloc(sizes[i]);
		cl_randbytes(d, sizes[i]);
		b.data = d;
		b.data_len = sizes[i];
		b.first_block = 41 + 10 * i;
		b.last_block = 50 + 10 * i;
		struct cl_l1_poster_opts bo = po;
		bo.adopt_from_id = UINT64_MAX;
		bo.gas_bound = true;
		p2 = cl_l1_poster_new(s, &bo);
		CHECK(cl_l1_poster_post(p2, &b) == CL_OK);
		cl_l1_poster_result(p2, &res2);
		const struct cl_l1_tx *t = cl_l1_sender_get(s, res2.tx_id);
		uint64_t limit = t ? t->gas_limit : 0;
		CHECK(limit >= cl_l1_append_batch_gas_bound(res2.calldata_bytes));
		CHECK(drive_poster(p2, 60) == CL_L1_POST_CONFIRMED);
		cl_l1_poster_result(p2, &res2);
		/* at most: a data-heavy batch pays the EIP-7623 floor, which
		 * is then its limit too */
		CHECK_MSG(res2.gas_used <= limit, "gas used %llu, limit %llu",
			  (unsigned long long)res2.gas_used,
			  (unsigned long long)limit);
		CHECK(res2.batch_index == 4 + i);
		cl_l1_poster_free(p2);
		free(d);
	}

	cl_l1_poster_free(p);
	*sp = s;
}

int main(int argc, char **argv)
{
	struct anvil a;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	if (getenv("CL_TEST_LOG") == NULL)
		cl_log_min_level = CL_LOG_BROKEN;
	CHECK(cl_crypto_init() == CL_OK);
	anvil_find(&a, argv[1]);
	rollup_art = load_artifact(argv[1], "ClearlineRollup");
	token_art = load_artifact(argv[1], "ClearlineToken");
	dispute_art = load_artifact(argv[1], "ClearlineDispute");
	test_abi_matches_solc();

	if (anvil_start(&a, NULL) != 0) {
		fprintf(stderr, "FAIL: anvil did not start\n");
		return 1;
	}
	rpc = cl_l1_rpc_new(a.url, NULL);
	char *dir0 = NULL, *wdir = anvil_tmpdir();
	struct cl_seckey *k0 = NULL;
	struct cl_l1_sender *s = fresh_sender(ANVIL_KEY0, &dir0, &k0, 1);
	struct cl_address me;
	cl_l1_sender_address(s, &me);
	deploy(s, &me);
	fund(s, s);

	test_deposits(&s, dir0, k0, wdir);
	test_forced(s, &me, wdir);
	test_batches(&s, dir0, k0);

	cl_l1_sender_free(s);
	cl_l1_rpc_free(rpc);
	anvil_stop(&a);
	anvil_rmdir(dir0);
	anvil_rmdir(wdir);
	free(dir0);
	free(wdir);
	cl_seckey_free(k0);
	json_decref(rollup_art);
	json_decref(token_art);
	return test_done("test_l1_rollup");
}
