/* SPDX-License-Identifier: MIT */
/*
 * The state transition function applying arbitrary requests: the input
 * is a program of small steps (open a block some time later; a deposit; a
 * signed order, cancel, withdrawal, agent approval or oracle update) run
 * through cl_stf_open_block() and cl_stf_request() on the memory backend,
 * from the three-market genesis of tests/unit/stf/stf_util.h.
 *
 * Signatures cannot be fuzzed into validity, so the harness signs: the
 * fuzzer picks the trader, the signer (the trader's own key or another
 * one: an unauthorised agent), and every signed field (market, side,
 * price, size, nonce, expiry, flags, amounts), raw or near the values the
 * genesis makes meaningful. Deposits and block times are free fields.
 *
 * A refused request is fine. The target aborts only when the stf breaks
 * an invariant of docs/protocol.md section 7 after a request or a block
 * opening (t_invariants: collateral conserved to the atom against the
 * deposits less the withdrawals, positions net to zero per market, open
 * interest equals the long sizes, the funding snapshot sum, the open-size
 * table), returns a backend error on the memory backend, or a sanitizer
 * reports.
 */
#include "stf_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_TRADERS 12
#define MAX_STEPS 256
#define MAX_PLACED 64

static const uint64_t mid[4] = {0, 5000000, 300000, 150000};
static const uint64_t tick[4] = {1, 100, 1, 10};
static const uint64_t step[4] = {1, 100, 10, 1};

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint64_t rd_bytes(struct rd *r, unsigned k)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < k; i++) {
		v <<= 8;
		if (r->n) {
			v |= *r->p++;
			r->n--;
		}
	}
	return v;
}
#define U8(r) ((uint8_t)rd_bytes((r), 1))
#define U16(r) ((uint16_t)rd_bytes((r), 2))
#define U32(r) ((uint32_t)rd_bytes((r), 4))
#define U64(r) rd_bytes((r), 8)

static struct tenv keys; /* the keys, made once */

struct run {
	struct tenv e;
	__int128 net_in; /* deposits - withdrawals accepted */
	struct cl_hash32 placed[MAX_PLACED];
	struct cl_address placed_by[MAX_PLACED];
	size_t n_placed;
};

static void fail(const char *what, int rc)
{
	fprintf(stderr, "fuzz-stf: %s (%d %s)\n", what, rc,
		rc > 0 ? cl_stf_err_str(rc) : "");
	abort();
}

static void check(struct run *R, const char *where)
{
	t_invariants(&R->e, where, R->net_in);
	if (test_failures) {
		fprintf(stderr, "fuzz-stf: invariant broken %s\n", where);
		abort();
	}
}

static void open_block(struct run *R, uint64_t advance_ms)
{
	struct cl_block_header h;

	if (R->e.in_block)
		cl_stf_end_block(R->e.stf);
	R->e.in_block = false;
	t_commit(&R->e);
	memset(&h, 0, sizeof(h));
	h.number = R->e.number + 1;
	h.timestamp_ms = R->e.ms + advance_ms;
	h.prev_root = R->e.root;
	h.l1 = t_l1_at(h.timestamp_ms);
	int rc = cl_stf_open_block(R->e.stf, &h);
	if (rc < 0)
		fail("open_block: backend error", rc);
	if (rc != CL_STF_OK) {
		/* refused (nothing written): the block is not opened */
		return;
	}
	R->e.number = h.number;
	R->e.ms = h.timestamp_ms;
	R->e.in_block = true;
	check(R, "after a block opening");
}

/* Apply one request; `in` is what an accepted one brings in (a deposit)
 * or takes out (a withdrawal, negative). Returns the stf's code. */
static int request_in(struct run *R, struct cl_tx *tx, const char *what,
		      __int128 in)
{
	struct cl_stf_result res;

	cl_tx_recover(tx, cl_stf_domain(R->e.stf));
	int rc = cl_stf_request(R->e.stf, &res, tx);
	if (rc < 0)
		fail(what, rc);
	if (rc == CL_STF_OK)
		R->net_in += in;
	check(R, what);
	return rc;
}

static int request(struct run *R, struct cl_tx *tx, const char *what)
{
	return request_in(R, tx, what, 0);
}

static uint64_t account_nonce(struct run *R, const struct cl_address *a)
{
	struct cl_stf_view v = cl_stf_view(R->e.stf);
	struct cl_account acct;

	if (cl_stf_get_account(&v, &acct, a) != CL_OK)
		return 0;
	return acct.nonce;
}

/* A price near the market's mid, on its tick unless the fuzzer says. */
static uint64_t pick_price(struct rd *r, uint32_t m)
{
	uint8_t how = U8(r);
	if (m < 1 || m > 3 || how == 0xff)
		return U64(r);
	int64_t off = (int8_t)U8(r);
	int64_t p = (int64_t)mid[m] + off * (int64_t)(mid[m] / 200);
	if (p < 1)
		p = 1;
	if (how != 0xfe)
		p -= p % (int64_t)tick[m];
	return (uint64_t)p;
}

static struct cl_seckey *signer(struct run *R, struct rd *r, int t)
{
	uint8_t s = U8(r);
	if (s >= 0xe0)
		return R->e.key[s % T_N_KEYS];
	return R->e.key[t];
}

static void step_place(struct run *R, struct rd *r)
{
	int t = U8(r) % N_TRADERS;
	struct cl_seckey *k = signer(R, r, t);
	uint8_t mb = U8(r);
	uint32_t m = mb < 0xf0 ? 1 + mb % 3 : mb;
	bool is_buy = U8(r) & 1;
	uint64_t price = pick_price(r, m);
	uint64_t sz = U16(r);
	uint64_t size = (m >= 1 && m <= 3) ? sz * step[m] : sz;
	uint8_t eb = U8(r);
	uint64_t expiry = eb == 0xff ? U64(r) : tenv_now(&R->e) + eb * 60u;
	uint8_t flags = U8(r);
	uint64_t nonce = R->e.order_nonce++;
	struct cl_order o = t_order(&R->e.addr[t], m, is_buy, price, size,
				    nonce, expiry, flags & 0x8f);
	struct cl_tx tx = t_place(&R->e, &o, k);
	if (request(R, &tx, "after a PLACE_ORDER") == CL_STF_OK) {
		size_t i = R->n_placed < MAX_PLACED ? R->n_placed++
						    : nonce % MAX_PLACED;
		R->placed[i] = t_order_hash(&R->e, &o);
		R->placed_by[i] = R->e.addr[t];
	}
}

static void step_cancel(struct run *R, struct rd *r)
{
	uint8_t which = U8(r);
	int t = U8(r) % N_TRADERS;
	struct cl_seckey *k = signer(R, r, t);
	struct cl_hash32 h;
	struct cl_address owner = R->e.addr[t];

	if (R->n_placed && which < 0xf0) {
		h = R->placed[which % R->n_placed];
		owner = R->placed_by[which % R->n_placed];
	} else {
		memset(&h, which, sizeof(h));
	}
	struct cl_tx tx = t_cancel(&R->e, &owner, &h, k);
	(void)request(R, &tx, "after a CANCEL");
}

static void step_deposit(struct run *R, struct rd *r)
{
	int t = U8(r) % N_TRADERS;
	uint8_t how = U8(r);
	uint64_t amount = U32(r);
	uint64_t id = R->e.next_deposit;

	if (how & 1)
		amount *= T_USD;
	if (how == 0xff)
		amount = U64(r);
	if (how == 0xfe)
		id = U64(r);
	struct cl_tx tx = t_deposit(id, &R->e.addr[t], amount);
	if (request_in(R, &tx, "after a DEPOSIT", amount) == CL_STF_OK)
		R->e.next_deposit = id + 1;
}

static void step_withdraw(struct run *R, struct rd *r)
{
	int t = U8(r) % N_TRADERS;
	struct cl_seckey *k = signer(R, r, t);
	int to = U8(r) % T_N_KEYS;
	uint8_t how = U8(r);
	uint64_t amount = (uint64_t)U32(r) * ((how & 1) ? T_USD : 1);
	uint64_t nonce = account_nonce(R, &R->e.addr[t]);

	if (how == 0xff)
		amount = U64(r);
	if (how == 0xfe)
		nonce = U64(r);
	struct cl_tx tx = t_withdraw(&R->e, &R->e.addr[t], &R->e.addr[to],
				     amount, nonce, k);
	(void)request_in(R, &tx, "after a WITHDRAW", -(__int128)amount);
}

static void step_approve(struct run *R, struct rd *r)
{
	int t = U8(r) % N_TRADERS;
	struct cl_seckey *k = signer(R, r, t);
	int agent = U8(r) % T_N_KEYS;
	uint16_t e = U16(r);
	uint64_t expiry = e == 0 ? 0 : tenv_now(&R->e) + e;
	uint64_t nonce = account_nonce(R, &R->e.addr[t]);

	if (e == 0xffff)
		nonce = U64(r);
	struct cl_tx tx = t_approve(&R->e, &R->e.addr[t], &R->e.addr[agent],
				    expiry, nonce, k);
	(void)request(R, &tx, "after an APPROVE_AGENT");
}

static void step_oracle(struct run *R, struct rd *r, bool update)
{
	uint8_t mb = U8(r);
	uint32_t m = mb < 0xf0 ? 1 + mb % 3 : mb;
	uint8_t nb = U8(r);
	uint32_t n = 1 + nb % 3;
	uint64_t base = (m >= 1 && m <= 3) ? mid[m] : 1000;
	uint64_t prices[3], ts[3];
	struct cl_seckey *signers[3];

	for (uint32_t i = 0; i < n; i++) {
		int8_t move = (int8_t)U8(r); /* up to ±25 % */
		prices[i] = base + (uint64_t)((int64_t)base * move / 512);
		uint8_t age = U8(r);
		ts[i] = age == 0xff ? U64(r) : tenv_now(&R->e) - age % 8;
		signers[i] = (nb & 0x80) ? R->e.key[i] : R->e.okey[(i + nb) % 3];
	}
	struct cl_tx tx =
	    update ? t_oracle_update(&R->e, m, prices, ts, signers, n)
		   : t_oracle(&R->e, m, prices[0], ts[0], signers, n);
	(void)request(R, &tx, update ? "after an ORACLE_UPDATE"
				     : "after an ORACLE_PRICE");
}

/* Markets priced and six traders funded, so short inputs reach trading. */
static void prologue(struct run *R)
{
	open_block(R, 1000);
	if (!R->e.in_block)
		fail("first block refused", 0);
	for (uint32_t m = 1; m <= 3; m++)
		if (t_oracle_all(&R->e, m, mid[m]) != CL_STF_OK)
			fail("initial oracle update refused", 0);
	for (int t = 0; t < 6; t++) {
		uint64_t amount = 1000000 * T_USD;
		struct cl_tx tx =
		    t_deposit(R->e.next_deposit, &R->e.addr[t], amount);
		if (request_in(R, &tx, "after an initial DEPOSIT", amount) !=
		    CL_STF_OK)
			fail("initial deposit refused", 0);
		R->e.next_deposit++;
	}
	check(R, "after the prologue");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct run R;
	struct rd r = {data, size};

	if (!ready) {
		if (cl_crypto_init() != CL_OK)
			abort();
		cl_log_min_level = CL_LOG_BROKEN;
		t_keys(&keys);
		ready = true;
	}
	memset(&R, 0, sizeof(R));
	memcpy(R.e.key, keys.key, sizeof(keys.key));
	memcpy(R.e.addr, keys.addr, sizeof(keys.addr));
	memcpy(R.e.okey, keys.okey, sizeof(keys.okey));
	memcpy(R.e.oaddr, keys.oaddr, sizeof(keys.oaddr));
	t_genesis(&R.e.g, R.e.oaddr);
	R.e.st = cl_state_new_memory();
	if (cl_stf_new(&R.e.stf, R.e.st, &R.e.g) != CL_OK ||
	    cl_stf_genesis_init(R.e.stf) != CL_OK)
		abort();
	t_commit(&R.e);
	R.e.ms = T_START_MS;
	prologue(&R);

	for (int s = 0; s < MAX_STEPS && r.n; s++) {
		uint8_t op = U8(&r) % 9;
		if (op == 0 || !R.e.in_block) {
			open_block(&R, (uint64_t)U16(&r) * 10);
			continue;
		}
		switch (op) {
		case 1:
		case 2:
			step_place(&R, &r);
			break;
		case 3:
			step_cancel(&R, &r);
			break;
		case 4:
			step_deposit(&R, &r);
			break;
		case 5:
			step_withdraw(&R, &r);
			break;
		case 6:
			step_approve(&R, &r);
			break;
		case 7:
			step_oracle(&R, &r, true);
			break;
		default:
			step_oracle(&R, &r, false);
			break;
		}
	}
	if (R.e.in_block)
		cl_stf_end_block(R.e.stf);
	t_commit(&R.e);
	check(&R, "at the end");
	cl_stf_free(R.e.stf);
	cl_state_free(R.e.st);
	return 0;
}
