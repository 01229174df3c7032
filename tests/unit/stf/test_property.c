/* SPDX-License-Identifier: MIT */
/*
 * Property test: random transactions over 20 accounts and 3 markets on the
 * memory backend, a block every ~100 transactions. After every block:
 * conservation of collateral to the atom, positions net to zero per market,
 * open interest equals the total long size. After each accepted fill that
 * increases a side's risk, that side has equity >= IM. Sampled rejected
 * transactions are checked to leave the root unchanged. Finally the log of
 * accepted transactions is replayed on a fresh memory state and on LMDB,
 * and the roots must agree block by block (which also shows that no
 * rejected transaction changed anything).
 *
 * CL_TEST_SEED sets the seed; CL_STF_PROPERTY_TXS the transaction count.
 */
#include "stf_util.h"

#define N_ACC T_N_KEYS
#define TXS_PER_BLOCK 100

static const uint32_t market_ids[3] = {T_BTC, T_ETH, T_SOL};
static const uint64_t start_price[3] = {6000000, 300000, 100000};
static const uint64_t max_steps[3] = {200, 2000, 5000};

struct mord {
	struct cl_hash32 h;
	int trader;
	int mi; /* market index */
};

struct blk {
	uint64_t number, ms;
	struct cl_hash32 root;
	size_t first, count; /* accepted txs in the log */
};

static struct tenv e;
static struct mord *orders;
static size_t n_orders, cap_orders;
static struct blk *blocks;
static size_t n_blocks, cap_blocks;
/* the accepted log: each tx as a be16 length then its bytes */
static struct cl_buf log_bytes;
static size_t *log_off;
static size_t n_log, cap_log;
static __int128 total_deposits, total_withdrawals;
static uint64_t mark[3];
static uint64_t n_accepted, n_rejected, n_root_checks, n_im_checks;
static uint64_t by_code[CL_STF_CODE_MAX + 1];
static uint64_t accepted_by_type[9];

static uint64_t rnd(uint64_t n)
{
	return n ? test_rand() % n : 0;
}

static bool chance(unsigned pct)
{
	return rnd(100) < pct;
}

static void log_accepted(const struct cl_tx *tx)
{
	size_t start = log_bytes.len;
	uint8_t len2[2];

	cl_put_be16(len2, (uint16_t)cl_tx_encoded_len(tx));
	cl_buf_append(&log_bytes, len2, 2);
	cl_tx_encode(&log_bytes, tx);
	if (n_log == cap_log) {
		cap_log = cap_log ? cap_log * 2 : 1024;
		log_off = cl_xrealloc(log_off, cap_log * sizeof(*log_off));
	}
	log_off[n_log++] = start;
}

static int cur_market_index(uint32_t id)
{
	for (int i = 0; i < 3; i++)
		if (market_ids[i] == id)
			return i;
	abort();
}

/* Apply with bookkeeping; sampled rejects are checked against the root. */
static int apply(struct cl_tx *tx)
{
	bool check_root = chance(4);
	struct cl_hash32 before;
	int rc;

	if (check_root) {
		t_commit(&e);
		before = e.root;
	}
	cl_tx_recover(tx, cl_stf_domain(e.stf));
	rc = cl_stf_apply(e.stf, tx);
	CHECK_MSG(rc >= 0, "system error %d", rc);
	if (rc == CL_STF_OK) {
		n_accepted++;
		accepted_by_type[tx->type]++;
		log_accepted(tx);
		return rc;
	}
	n_rejected++;
	if (rc > 0 && rc <= CL_STF_CODE_MAX)
		by_code[rc]++;
	if (check_root) {
		t_commit(&e);
		n_root_checks++;
		CHECK_MSG(memcmp(before.b, e.root.b, 32) == 0,
			  "reject %d changed the root", rc);
	}
	return rc;
}

static void add_order(const struct cl_hash32 *h, int trader, int mi)
{
	if (n_orders == cap_orders) {
		cap_orders = cap_orders ? cap_orders * 2 : 1024;
		orders = cl_xrealloc(orders, cap_orders * sizeof(*orders));
	}
	orders[n_orders++] = (struct mord){*h, trader, mi};
}

/* A random open order (and its record), dropping closed ones met on the
 * way. */
static bool pick_open(size_t *idx, struct cl_order_record *rec)
{
	struct cl_stf_view v = tenv_view(&e);

	for (int tries = 0; tries < 8 && n_orders > 0; tries++) {
		size_t i = rnd(n_orders);
		CHECK(cl_stf_get_order(&v, rec, &orders[i].h) == CL_OK);
		if (rec->status == CL_ORDER_OPEN) {
			*idx = i;
			return true;
		}
		orders[i] = orders[--n_orders];
	}
	return false;
}

static int signer_for(int trader)
{
	if (chance(85))
		return trader;
	return (int)rnd(N_ACC); /* an agent, maybe approved, maybe not */
}

static struct cl_position pos_of(int who, uint32_t market)
{
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_position p[CL_GENESIS_MAX_MARKETS];
	size_t n;

	CHECK(cl_stf_get_positions(&v, p, &n, &e.addr[who]) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (p[i].market == market)
			return (struct cl_position){p[i].size, {p[i].cost}};
	return (struct cl_position){0, {0}};
}

/* ---- generators ---- */

static void gen_deposit(void)
{
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_globals g;
	struct cl_tx tx;
	uint64_t amount = (1000 + rnd(50000)) * T_USD + rnd(T_USD);

	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	uint64_t id = g.next_deposit_id;
	if (chance(5))
		id += 1 + rnd(3); /* out of order */
	tx = t_deposit(id, &e.addr[rnd(N_ACC)], amount);
	if (apply(&tx) == CL_STF_OK)
		total_deposits += amount;
}

static uint8_t random_flags(void)
{
	unsigned r = (unsigned)rnd(100);
	if (r < 75)
		return 0;
	if (r < 83)
		return CL_ORDER_REDUCE_ONLY;
	if (r < 88)
		return CL_ORDER_POST_ONLY;
	if (r < 94)
		return CL_TIF_IOC << 2;
	if (r < 99)
		return CL_TIF_FOK << 2;
	return (uint8_t)rnd(256);
}

static void gen_place(void)
{
	int trader = (int)rnd(N_ACC), mi = (int)rnd(3);
	const struct cl_market_params *m =
		cl_genesis_market(&e.g, market_ids[mi]);
	int64_t off = (int64_t)rnd(41) - 20;
	uint64_t price = mark[mi] + (uint64_t)(off * (int64_t)m->tick_size);
	uint64_t size = (1 + rnd(max_steps[mi])) * m->step_size;
	uint64_t expiry = tenv_now(&e) + (chance(10) ? 1 + rnd(5) :
						       10 + rnd(3600));
	struct cl_order o;
	struct cl_tx tx;

	if (chance(2))
		price += 1 + rnd(m->tick_size); /* maybe off tick */
	if (chance(1))
		expiry = tenv_now(&e) + T_HORIZON + rnd(3);
	o = t_order(&e.addr[trader], market_ids[mi], chance(50), price, size,
		    test_rand(), expiry, random_flags());
	tx = t_place(&e, &o, e.key[signer_for(trader)]);
	if (chance(1))
		tx.u.place.sig.b[64] ^= 0x40;
	if (apply(&tx) == CL_STF_OK)
		add_order(&tx.auth.digest, trader, mi);
}

static void gen_fill(void)
{
	struct cl_order_record a, b, *mk, *tk;
	struct cl_hash32 ha, hb;
	size_t ia, ib;

	if (!pick_open(&ia, &a))
		return;
	ha = orders[ia].h;
	if (a.expiry <= tenv_now(&e)) {
		struct cl_tx tx = t_done(&ha, CL_DONE_EXPIRED);
		CHECK(apply(&tx) == CL_STF_OK);
		return;
	}
	for (int tries = 0; tries < 40; tries++) {
		if (!pick_open(&ib, &b))
			return;
		if (b.market != a.market || b.is_buy == a.is_buy)
			continue;
		if (!chance(3) && (b.expiry <= tenv_now(&e) ||
				   (a.is_buy ? a.price < b.price :
					       a.price > b.price)))
			continue;
		break;
	}
	if (b.market != a.market)
		return;
	hb = orders[ib].h;
	const struct cl_hash32 *hm = &ha, *ht = &hb;
	mk = &a;
	tk = &b;
	if (b.sequence < a.sequence || (chance(2))) {
		hm = &hb;
		ht = &ha;
		mk = &b;
		tk = &a;
	}
	const struct cl_market_params *m = cl_genesis_market(&e.g, a.market);
	uint64_t rem = mk->size - mk->filled;
	if (tk->size - tk->filled < rem)
		rem = tk->size - tk->filled;
	uint64_t steps = rem / m->step_size;
	uint64_t size = (1 + rnd(steps)) * m->step_size;
	if (chance(3))
		size += m->step_size * (1 + rnd(2));
	if (chance(1))
		size = 0;

	struct cl_position pm, pt;
	int im = -1, it = -1;
	for (int k = 0; k < N_ACC; k++) {
		if (memcmp(e.addr[k].b, mk->trader.b, 20) == 0)
			im = k;
		if (memcmp(e.addr[k].b, tk->trader.b, 20) == 0)
			it = k;
	}
	CHECK(im >= 0 && it >= 0);
	pm = pos_of(im, a.market);
	pt = pos_of(it, a.market);

	struct cl_tx tx = t_fill(hm, ht, size);
	if (apply(&tx) != CL_STF_OK)
		return;
	/* right after an accepted risk-increasing fill: equity >= IM */
	struct cl_stf_view v = tenv_view(&e);
	struct cl_health h;
	if (margin_fill_increases_risk(&pm, mk->is_buy,
				       (struct cl_size){size})) {
		CHECK(cl_stf_get_health(&v, &h, &e.addr[im]) == CL_OK);
		CHECK_MSG(h.equity >= h.im, "maker below IM after fill");
		n_im_checks++;
	}
	if (margin_fill_increases_risk(&pt, tk->is_buy,
				       (struct cl_size){size})) {
		CHECK(cl_stf_get_health(&v, &h, &e.addr[it]) == CL_OK);
		CHECK_MSG(h.equity >= h.im, "taker below IM after fill");
		n_im_checks++;
	}
}

static void gen_cancel(void)
{
	struct cl_order_record r;
	size_t i;
	int trader;

	if (!pick_open(&i, &r))
		return;
	trader = orders[i].trader;
	if (chance(5))
		trader = (int)rnd(N_ACC);
	struct cl_tx tx = t_cancel(&e, &e.addr[trader], &orders[i].h,
				   e.key[signer_for(trader)]);
	(void)apply(&tx);
}

static void gen_done(void)
{
	struct cl_order_record r;
	size_t i;
	enum cl_done_reason reason;

	if (!pick_open(&i, &r))
		return;
	switch (cl_order_tif(r.flags)) {
	case CL_TIF_IOC:
		reason = CL_DONE_IOC_REMAINDER;
		break;
	case CL_TIF_FOK:
		reason = r.filled ? CL_DONE_MARGIN : CL_DONE_FOK_UNFILLED;
		break;
	default:
		reason = (enum cl_done_reason)(1 + rnd(CL_DONE_REASON_MAX));
		break;
	}
	struct cl_tx tx = t_done(&orders[i].h, reason);
	(void)apply(&tx);
}

static void gen_withdraw(void)
{
	struct cl_stf_view v = tenv_view(&e);
	int who = (int)rnd(N_ACC);
	struct cl_account a;
	struct cl_health h;
	struct cl_address rcpt;
	int rc;

	rc = cl_stf_get_account(&v, &a, &e.addr[who]);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	CHECK(cl_stf_get_health(&v, &h, &e.addr[who]) == CL_OK);
	int64_t w = margin_withdrawable(&h);
	uint64_t amount = 1 + rnd((uint64_t)(w > 0 ? w : 0) / 2 + 1);
	if (chance(10))
		amount = (uint64_t)(w > 0 ? w : 0) + 1;
	uint64_t nonce = chance(95) ? a.nonce : a.nonce + 1;
	memset(rcpt.b, 0x77, 20);
	struct cl_tx tx = t_withdraw(&e, &e.addr[who], &rcpt, amount, nonce,
				     e.key[signer_for(who)]);
	if (apply(&tx) == CL_STF_OK)
		total_withdrawals += amount;
}

static void gen_approve(void)
{
	struct cl_stf_view v = tenv_view(&e);
	int who = (int)rnd(N_ACC), agent = (int)rnd(N_ACC);
	struct cl_account a;
	int rc;

	rc = cl_stf_get_account(&v, &a, &e.addr[who]);
	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	uint64_t expiry = chance(20) ? 0 : tenv_now(&e) + 1 + rnd(2000);
	struct cl_tx tx = t_approve(&e, &e.addr[who], &e.addr[agent], expiry,
				    chance(95) ? a.nonce : a.nonce + 3,
				    e.key[who]);
	(void)apply(&tx);
}

static void gen_oracles(void)
{
	for (int mi = 0; mi < 3; mi++) {
		const struct cl_market_params *m =
			cl_genesis_market(&e.g, market_ids[mi]);
		struct cl_seckey *ks[3];
		uint32_t n = 2 + (uint32_t)rnd(2);

		if (!chance(40))
			continue;
		/* a walk of up to 1 % either way, on the tick grid */
		int64_t ticks = (int64_t)(mark[mi] / m->tick_size / 100);
		int64_t step = (int64_t)rnd((uint64_t)(2 * ticks + 1)) - ticks;
		uint64_t np = mark[mi] +
			      (uint64_t)(step * (int64_t)m->tick_size);
		if (np < start_price[mi] / 2 || np > start_price[mi] * 2)
			np = mark[mi];
		for (uint32_t k = 0; k < 3; k++)
			ks[k] = e.okey[(mi + k) % 3];
		if (chance(5))
			n = 1;
		struct cl_tx tx = t_oracle(&e, market_ids[mi], np,
					   tenv_now(&e) - rnd(3), ks, n);
		if (apply(&tx) == CL_STF_OK)
			mark[mi] = np;
	}
}

/* ---- invariants ---- */

static void check_invariants(void)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	__int128 sum = 0;
	int64_t net[3] = {0}, longs[3] = {0};
	struct cl_stf_view v = tenv_view(&e);
	struct cl_stf_globals g;

	CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_ACCOUNTS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		if (klen == 20) {
			CHECK(vlen == 16);
			sum += (int64_t)cl_get_be64(val);
		} else {
			CHECK(klen == 40 && vlen == 8);
		}
	}
	cl_state_iter_free(it);
	CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_POSITIONS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		CHECK(klen == 24 && vlen == 32);
		int mi = cur_market_index(cl_get_be32(key + 20));
		int64_t size = (int64_t)cl_get_be64(val);
		int64_t cost = (int64_t)cl_get_be64(val + 8);
		CHECK(size != 0);
		sum -= cost;
		net[mi] += size;
		if (size > 0)
			longs[mi] += size;
	}
	cl_state_iter_free(it);
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	sum += g.fee_balance;
	sum += g.insurance_balance;
	/* the insurance fund's positions and the funding pools */
	for (int mi = 0; mi < 3; mi++) {
		struct cl_market_state ms;
		CHECK(cl_stf_get_market(&v, &ms, market_ids[mi]) == CL_OK);
		sum += ms.funding_pool;
		sum -= ms.fund_cost;
		net[mi] += ms.fund_size;
		if (ms.fund_size > 0)
			longs[mi] += ms.fund_size;
	}
	CHECK_MSG(sum == total_deposits - total_withdrawals,
		  "conservation broken by %lld atoms",
		  (long long)(sum - (total_deposits - total_withdrawals)));
	for (int mi = 0; mi < 3; mi++) {
		struct cl_market_state ms;
		CHECK(cl_stf_get_market(&v, &ms, market_ids[mi]) == CL_OK);
		CHECK_MSG(net[mi] == 0, "market %d nets to %lld", mi,
			  (long long)net[mi]);
		CHECK_MSG(ms.open_interest == (uint64_t)longs[mi],
			  "market %d oi %llu != longs %lld", mi,
			  (unsigned long long)ms.open_interest,
			  (long long)longs[mi]);
	}
}

/*
 * The open-order index holds exactly the open orders: every 28-byte key
 * (trader, sequence) names an open order of that trader with that
 * sequence, and every open order has its key.
 */
static void check_open_index(void)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen, n_open = 0, n_index = 0;
	struct cl_stf_view v = tenv_view(&e);

	CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_ORDERS, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		if (klen == 32) {
			CHECK(vlen == 67);
			if (val[58] == CL_ORDER_OPEN)
				n_open++;
			continue;
		}
		CHECK(klen == 28 && vlen == 32);
		n_index++;
		struct cl_hash32 h;
		struct cl_order_record r;
		memcpy(h.b, val, 32);
		CHECK(cl_stf_get_order(&v, &r, &h) == CL_OK);
		CHECK(r.status == CL_ORDER_OPEN &&
		      memcmp(r.trader.b, key, 20) == 0 &&
		      r.sequence == cl_get_be64(key + 20));
	}
	cl_state_iter_free(it);
	CHECK_MSG(n_open == n_index, "%zu open orders, %zu indexed", n_open,
		  n_index);
}

/* ---- the run ---- */

static void run(uint64_t n_txs)
{
	uint64_t done = 0;

	tenv_init(&e, cl_state_new_memory());
	for (int i = 0; i < 3; i++)
		mark[i] = start_price[i];
	cl_buf_init(&log_bytes);

	while (done < n_txs) {
		struct blk *b;

		tenv_block(&e, 1000 + rnd(2000));
		if (n_blocks == cap_blocks) {
			cap_blocks = cap_blocks ? cap_blocks * 2 : 256;
			blocks = cl_xrealloc(blocks,
					     cap_blocks * sizeof(*blocks));
		}
		b = &blocks[n_blocks++];
		b->number = e.number;
		b->ms = e.ms;
		b->first = n_log;
		gen_oracles();
		uint64_t in_block = TXS_PER_BLOCK / 2 + rnd(TXS_PER_BLOCK);
		for (uint64_t k = 0; k < in_block && done < n_txs;
		     k++, done++) {
			unsigned r = (unsigned)rnd(100);
			if (r < 7)
				gen_deposit();
			else if (r < 40)
				gen_place();
			else if (r < 75)
				gen_fill();
			else if (r < 83)
				gen_cancel();
			else if (r < 88)
				gen_done();
			else if (r < 95)
				gen_withdraw();
			else
				gen_approve();
		}
		cl_stf_end_block(e.stf);
		e.in_block = false;
		t_commit(&e);
		b->root = e.root;
		b->count = n_log - b->first;
		check_invariants();
		if (n_blocks % 100 == 0) {
			check_open_index();
			t_open_sizes_check(&e, "property");
		}
	}
	check_open_index();
	t_open_sizes_check(&e, "property end");
}

/* Replay the accepted log on `st`; every root must match. */
static void replay(struct cl_state *st, const char *name)
{
	struct tenv r;
	uint64_t t0 = cl_clock_mono_ns();
	size_t mismatches = 0;

	tenv_init(&r, st);
	for (size_t bi = 0; bi < n_blocks; bi++) {
		const struct blk *b = &blocks[bi];
		struct cl_block_header h = {b->number, b->ms, r.root,
					      t_l1_at(b->ms)};

		CHECK(cl_stf_begin_block(r.stf, &h) == CL_STF_OK);
		for (size_t k = b->first; k < b->first + b->count; k++) {
			const uint8_t *p = log_bytes.p + log_off[k];
			struct cl_tx tx;
			size_t len = cl_get_be16(p);
			CHECK(cl_tx_decode(&tx, p + 2, len));
			cl_tx_recover(&tx, cl_stf_domain(r.stf));
			int rc = cl_stf_apply(r.stf, &tx);
			CHECK_MSG(rc == CL_STF_OK, "%s: block %zu tx %zu: %s",
				  name, bi, k, cl_stf_err_str(rc));
		}
		cl_stf_end_block(r.stf);
		CHECK(cl_state_commit_block(r.st, &r.root) == CL_OK);
		if (memcmp(r.root.b, b->root.b, 32) != 0 && mismatches++ < 3)
			CHECK_MSG(false, "%s: root differs at block %llu", name,
				  (unsigned long long)b->number);
	}
	CHECK(mismatches == 0);
	struct cl_hash32 full;
	CHECK(cl_state_recompute_root(r.st, &full) == CL_OK);
	CHECK(memcmp(full.b, r.root.b, 32) == 0);
	printf("replay %s: %zu blocks in %.2f s\n", name, n_blocks,
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
	tenv_release(&r); /* frees st */
}

/* The LMDB copy (t_lmdb_open: in tmpfs when there is one). */
static void replay_lmdb(void)
{
	struct t_lmdb l;
	struct cl_state *st = t_lmdb_open(&l);

	if (!st)
		return;
	replay(st, "lmdb");
	t_lmdb_close(&l);
}

int main(void)
{
	uint64_t n_txs = 100000, t0;
	const char *s = getenv("CL_STF_PROPERTY_TXS");

	test_seed();
	if (s)
		n_txs = strtoull(s, NULL, 0);
	t0 = cl_clock_mono_ns();
	run(n_txs);
	printf("%llu txs: %llu accepted, %llu rejected, %zu blocks, "
	       "%llu reject root checks, %llu IM checks, %.2f s\n",
	       (unsigned long long)n_txs, (unsigned long long)n_accepted,
	       (unsigned long long)n_rejected, n_blocks,
	       (unsigned long long)n_root_checks,
	       (unsigned long long)n_im_checks,
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
	printf("accepted by type:");
	for (int t = 1; t <= 8; t++)
		printf(" %s=%llu", cl_tx_type_str(t),
		       (unsigned long long)accepted_by_type[t]);
	printf("\nrejects:");
	for (int c = 1; c <= CL_STF_CODE_MAX; c++)
		if (by_code[c])
			printf(" %d=%llu", c, (unsigned long long)by_code[c]);
	printf("\n");
	/* the generator must reach the interesting cases */
	CHECK(accepted_by_type[CL_TX_FILL] > n_txs / 20);
	CHECK(accepted_by_type[CL_TX_WITHDRAW] > 0);
	CHECK(accepted_by_type[CL_TX_APPROVE_AGENT] > 0);
	CHECK(accepted_by_type[CL_TX_ORACLE_PRICE] > 0);
	CHECK(accepted_by_type[CL_TX_CANCEL] > 0);
	CHECK(accepted_by_type[CL_TX_ORDER_DONE] > 0);

	replay(cl_state_new_memory(), "memory");
	replay_lmdb();
	tenv_release(&e);
	free(orders);
	free(blocks);
	free(log_off);
	cl_buf_release(&log_bytes);
	return test_done("test_property");
}
