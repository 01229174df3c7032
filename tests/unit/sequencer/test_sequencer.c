/* SPDX-License-Identifier: MIT */
/*
 * The sequencer in process, on a real LMDB in a temporary folder with the
 * devnet genesis: deposits, oracle updates, every order outcome (rest,
 * fill, IOC, FOK, post-only, self-trade prevention, margin stop), cancels,
 * group-commit acknowledgements, back-pressure, and a restart that
 * rebuilds the books from the stored state.
 */
#include "dev_keys.h"
#include "test.h"
#include "seq_wait.h"

#include <pthread.h>
#include <unistd.h>

#include <clearline/batch.h>
#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>


#define USD 1000000ULL
#define BTC 1

#define NKEYS 18 /* anvil's ten, and eight more from seeds */
static struct cl_seckey *key[NKEYS];
static struct cl_address addr[NKEYS];
static struct cl_seq *seq;
static uint64_t deposit_id;

static struct cl_seq_result run(struct cl_tx *tx, struct seq_waiter *w)
{
	return seq_run(seq, tx, w);
}

/* ---- transactions ---- */

static int deposit(int who, uint64_t amount)
{
	struct cl_tx tx;
	struct seq_waiter w;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_DEPOSIT;
	tx.u.deposit.id = deposit_id;
	tx.u.deposit.to = addr[who];
	tx.u.deposit.amount = amount;
	struct cl_seq_result r = run(&tx, &w);
	if (r.code == 0)
		deposit_id++;
	return r.code;
}

static uint64_t now_s(void)
{
	return cl_clock_now_ms() / 1000;
}

/* A price for `market` at time `ts`, signed by two of the
 * three oracle signers. */
static struct cl_tx oracle_tx(uint32_t market, uint64_t price, uint64_t ts)
{
	struct cl_tx tx;
	struct cl_hash32 d;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_ORACLE_PRICE;
	tx.u.oracle.msg.market = market;
	tx.u.oracle.msg.price = price;
	tx.u.oracle.msg.timestamp = ts;
	cl_oracle_price_digest(&d, cl_seq_domain(seq), &tx.u.oracle.msg);
	tx.u.oracle.n_sigs = 2;
	CHECK(cl_sign_digest(&tx.u.oracle.sigs[0], key[7], &d) == CL_OK);
	CHECK(cl_sign_digest(&tx.u.oracle.sigs[1], key[8], &d) == CL_OK);
	return tx;
}

static struct cl_seq_result oracle(uint32_t market, uint64_t price)
{
	struct seq_waiter w;
	struct cl_tx tx = oracle_tx(market, price, now_s());
	return run(&tx, &w);
}

static uint64_t nonce_ctr = 1;

static struct cl_tx order_tx(int who, bool buy, uint64_t price, uint64_t size,
			     uint8_t flags)
{
	struct cl_tx tx;
	struct cl_hash32 d;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PLACE_ORDER;
	struct cl_order *o = &tx.u.place.order;
	o->trader = addr[who];
	o->market = BTC;
	o->is_buy = buy;
	o->price = price;
	o->size = size;
	o->nonce = nonce_ctr++;
	o->expiry = now_s() + 3600;
	o->flags = flags;
	cl_order_digest(&d, cl_seq_domain(seq), o);
	CHECK(cl_sign_digest(&tx.u.place.sig, key[who], &d) == CL_OK);
	return tx;
}

static struct cl_seq_result place(int who, bool buy, uint64_t price,
				  uint64_t size, uint8_t flags,
				  struct seq_waiter *w)
{
	struct cl_tx tx = order_tx(who, buy, price, size, flags);
	return run(&tx, w);
}

static int cancel(int signer, int trader, const struct cl_hash32 *h)
{
	struct cl_tx tx;
	struct seq_waiter w;
	struct cl_hash32 d;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_CANCEL;
	tx.u.cancel.msg.trader = addr[trader];
	tx.u.cancel.msg.order_hash = *h;
	cl_cancel_digest(&d, cl_seq_domain(seq), &tx.u.cancel.msg);
	CHECK(cl_sign_digest(&tx.u.cancel.sig, key[signer], &d) == CL_OK);
	return run(&tx, &w).code;
}

static struct cl_seq_result withdraw(int who, uint64_t amount, uint64_t nonce)
{
	struct cl_tx tx;
	struct seq_waiter w;
	struct cl_hash32 d;
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_WITHDRAW;
	tx.u.withdraw.msg.trader = addr[who];
	tx.u.withdraw.msg.recipient = addr[who];
	tx.u.withdraw.msg.amount = amount;
	tx.u.withdraw.msg.nonce = nonce;
	cl_withdraw_digest(&d, cl_seq_domain(seq), &tx.u.withdraw.msg);
	CHECK(cl_sign_digest(&tx.u.withdraw.sig, key[who], &d) == CL_OK);
	return run(&tx, &w);
}

static size_t asks(uint64_t *best_size)
{
	struct book_level lv[8];
	size_t n = cl_seq_book_depth(seq, lv, 8, BTC, BOOK_SELL);
	*best_size = n ? lv[0].size.v : 0;
	return n;
}

static size_t bids(uint64_t *best_size)
{
	struct book_level lv[8];
	size_t n = cl_seq_book_depth(seq, lv, 8, BTC, BOOK_BUY);
	*best_size = n ? lv[0].size.v : 0;
	return n;
}

/*
 * A cascade larger than a block: eight 39x longs liquidated by one price
 * move in blocks of a few kB. The work goes on block after block without
 * any traffic, and no block passes its byte limit by more than the
 * reserve the risk engine keeps.
 */
static void cascade_across_blocks(void);
static void expired_leave_the_book(void);

/* ---- set-up ---- */

static struct cl_genesis genesis;
static struct cl_db *db;

static uint64_t cut_ms;
static uint64_t block_ms = 5;

static void open_seq(uint64_t queue_max, bool start)
{
	struct cl_seq_config cfg;
	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = block_ms;
	cfg.queue_max = queue_max;
	cfg.cut_interval_ms = cut_ms;
	CHECK(cl_seq_new(&seq, &cfg, db, &genesis) == CL_OK);
	if (start)
		CHECK(cl_seq_start(seq) == CL_OK);
}

/* ---- the risk engine's book side ---- */

static int64_t position_of(const struct cl_address *a)
{
	struct cl_stf_view v;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t np = 0;
	int64_t size = 0;
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_positions(&v, pos, &np, a) == CL_OK);
	for (size_t i = 0; i < np; i++)
		if (pos[i].market == BTC)
			size = pos[i].size;
	cl_seq_view_release(&v);
	return size;
}

static struct cl_market_state market_now(void)
{
	struct cl_stf_view v;
	struct cl_market_state ms;
	memset(&ms, 0, sizeof(ms));
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_market(&v, &ms, BTC) == CL_OK);
	cl_seq_view_release(&v);
	return ms;
}

/* Sum of the sizes of addr's events of `kind`; *count gets how many. */
static int64_t event_sizes(const struct cl_address *a,
			   enum cl_stf_event_kind kind, size_t *count)
{
	struct cl_stf_view v;
	struct cl_stf_event ev[64];
	size_t n = 0;
	int64_t sum = 0;
	*count = 0;
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_events(&v, ev, 64, &n, a, 0) == CL_OK);
	cl_seq_view_release(&v);
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == kind) {
			sum += ev[i].size;
			(*count)++;
		}
	return sum;
}

/*
 * The insurance fund unwinds on the book within the mark band and only
 * there; a liquidation goes to the book first, at prices no worse than
 * the bankruptcy price.
 */
/*
 * A 36x long of `who` opened at `price` against an ask of account 2;
 * returns its liquidation and bankruptcy prices.
 */
static void open_36x(int who, uint64_t price, uint64_t *liq, uint64_t *bkr)
{
	struct seq_waiter w;
	struct cl_seq_result r;
	struct cl_stf_view v;

	CHECK(deposit(who, 500 * USD) == 0);
	r = place(2, false, price, 3000, 0, &w);
	CHECK(r.code == 0);
	r = place(who, true, price, 3000, 1u << 2, &w);
	CHECK_MSG(r.code == 0 && r.filled == 3000, "36x buy: %d %llu", r.code,
		  (unsigned long long)r.filled);
	struct cl_stf_account_risk *risk = cl_xcalloc(1, sizeof(*risk));
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_account_risk(&v, risk, &addr[who]) == CL_OK);
	cl_seq_view_release(&v);
	CHECK(risk->n == 1);
	*liq = risk->pos[0].liquidation_price;
	*bkr = risk->pos[0].bankruptcy_price;
	free(risk);
	CHECK_MSG(*bkr < *liq && *liq < price, "prices %llu %llu",
		  (unsigned long long)*bkr, (unsigned long long)*liq);
}

/*
 * A liquidation goes to the book first, at prices no worse than the
 * bankruptcy price; with no such bid the fund takes it; the fund then
 * unwinds on the book within the mark band, and only there.
 */
static void risk_on_the_book(void)
{
	static const struct cl_address fund;
	struct seq_waiter w;
	struct cl_seq_result r;
	uint64_t liq, bkr;
	size_t k;

	open_seq(1024, true);
	CHECK(deposit(6, 100000 * USD) == 0);
	CHECK(market_now().fund_size == 0);

	/* account 5: a bid between its bankruptcy and liquidation prices
	 * takes the liquidation */
	open_36x(5, 611000, &liq, &bkr);
	int64_t maker_before = position_of(&addr[6]);
	r = place(6, true, bkr + (liq - bkr) / 3, 3000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	struct cl_hash32 bid = r.order_hash;
	usleep(1100000); /* the next oracle timestamp must be newer */
	r = oracle(BTC, liq - 3500);
	CHECK_MSG(r.code == 0, "oracle: %s", cl_stf_err_str(r.code));
	CHECK_MSG(r.mark_price < liq, "mark %llu, liquidation at %llu",
		  (unsigned long long)r.mark_price, (unsigned long long)liq);
	int64_t on_book = event_sizes(&addr[5], CL_STF_EVENT_LIQUIDATED_BOOK,
				      &k);
	CHECK_MSG(k >= 1 && on_book < 0, "liquidated on the book: %zu, %lld",
		  k, (long long)on_book);
	CHECK(position_of(&addr[6]) == maker_before - on_book);
	CHECK(position_of(&addr[5]) ==
	      3000 + on_book + event_sizes(&addr[5], CL_STF_EVENT_LIQUIDATED,
					   &k));
	int rc = cancel(6, 6, &bid);
	CHECK(rc == 0 || rc == CL_STF_ERR_ORDER_NOT_OPEN);

	/* account 3: nothing on the book at or above its bankruptcy price,
	 * so the fund takes it at the mark */
	uint64_t mark = market_now().mark_price;
	int64_t fund_before = market_now().fund_size;
	open_36x(3, mark, &liq, &bkr);
	usleep(1100000);
	r = oracle(BTC, liq - 3500);
	CHECK_MSG(r.code == 0, "oracle: %s", cl_stf_err_str(r.code));
	int64_t to_fund = event_sizes(&addr[3], CL_STF_EVENT_LIQUIDATED, &k);
	CHECK_MSG(k >= 1 && to_fund < 0, "liquidated to the fund: %zu",
		  k);
	CHECK(event_sizes(&addr[3], CL_STF_EVENT_LIQUIDATED_BOOK, &k) == 0 &&
	      k == 0);
	struct cl_market_state ms = market_now();
	int64_t held = ms.fund_size;
	CHECK_MSG(held == fund_before - to_fund, "the fund holds the long: "
		  "%lld", (long long)held);

	/* a bid 1 % under the mark is beyond the 0.5 % band: not taken */
	mark = ms.mark_price;
	r = place(6, true, mark - mark / 100, (uint64_t)held, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	struct cl_hash32 far = r.order_hash;
	for (int i = 0; i < 5; i++) { /* blocks open on traffic */
		CHECK(deposit(7, 1) == 0);
		usleep(10000);
	}
	CHECK(market_now().fund_size == held);
	/* 0.4 % under: the fund sells to it, a quarter per block */
	maker_before = position_of(&addr[6]);
	int64_t unwound_before = event_sizes(&fund, CL_STF_EVENT_FUND_UNWOUND,
					     &k);
	int64_t book3_before = event_sizes(&addr[3],
					   CL_STF_EVENT_LIQUIDATED_BOOK, &k);
	r = place(6, true, mark - mark * 4 / 1000, (uint64_t)held, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	for (int i = 0; i < 200 && market_now().fund_size != 0; i++) {
		CHECK(deposit(7, 1) == 0);
		usleep(10000);
	}
	CHECK_MSG(market_now().fund_size == 0, "the fund unwound: %lld left",
		  (long long)market_now().fund_size);
	/* everything the fund took (also from later blocks' sweeps) went */
	int64_t unwound = event_sizes(&fund, CL_STF_EVENT_FUND_UNWOUND, &k);
	int64_t intake = event_sizes(&addr[3], CL_STF_EVENT_LIQUIDATED, &k) +
			 event_sizes(&addr[5], CL_STF_EVENT_LIQUIDATED, &k);
	CHECK_MSG(unwound == intake && unwound <= -held,
		  "unwound %lld of %lld (%lld held)", (long long)unwound,
		  (long long)intake, (long long)held);
	CHECK(event_sizes(&fund, CL_STF_EVENT_FUND_UNWOUND, &k) < 0 && k >= 2);
	/* the near bid took what the fund held (and any later slice of
	 * account 3 that the book could take) */
	int64_t later3 = event_sizes(&addr[3], CL_STF_EVENT_LIQUIDATED_BOOK,
				     &k) - book3_before;
	CHECK_MSG(position_of(&addr[6]) ==
			  maker_before - (unwound - unwound_before) - later3,
		  "maker %lld, before %lld, unwound %lld, book %lld",
		  (long long)position_of(&addr[6]), (long long)maker_before,
		  (long long)(unwound - unwound_before), (long long)later3);
	CHECK(cancel(6, 6, &far) == 0);
	cl_seq_free(seq);
}

/*
 * A price signed in a second the open block has not reached, while the
 * clock has, goes into the next block instead of being refused; one
 * signed ahead of the clock is still refused.
 */
struct pending {
	struct seq_waiter w;
	struct cl_tx tx;
	int rc; /* cl_seq_submit's */
};

static void submit_async(struct pending *p)
{
	seq_waiter_init(&p->w);
	cl_tx_recover(&p->tx, cl_seq_domain(seq));
	p->rc = cl_seq_submit(seq, &p->tx, seq_waiter_done, &p->w);
	CHECK(p->rc == CL_OK);
}

static struct cl_seq_result wait_for(struct pending *p)
{
	return seq_waiter_wait(&p->w, p->rc);
}

/* Sleep until `ms` milliseconds into the next second of the clock. */
static void sleep_into_next_second(uint64_t ms)
{
	uint64_t now = cl_clock_now_ms();
	usleep((useconds_t)((1000 - now % 1000 + ms) * 1000));
}

static void oracle_ahead_of_the_block(void)
{
	static struct pending dep, px, ahead;

	block_ms = 1500; /* a block spans a second boundary */
	open_seq(1024, true);
	sleep_into_next_second(100);
	/* a deposit opens a block in this second */
	memset(&dep.tx, 0, sizeof(dep.tx));
	dep.tx.type = CL_TX_DEPOSIT;
	dep.tx.u.deposit.id = deposit_id;
	dep.tx.u.deposit.to = addr[4];
	dep.tx.u.deposit.amount = USD;
	submit_async(&dep);
	sleep_into_next_second(200);
	/* the block is still open, its time a second behind the clock */
	px.tx = oracle_tx(BTC, 650100, now_s());
	submit_async(&px);
	struct cl_seq_result rd = wait_for(&dep), rp = wait_for(&px);
	CHECK_MSG(rd.code == 0, "deposit: %s", cl_stf_err_str(rd.code));
	if (rd.code == 0)
		deposit_id++;
	CHECK_MSG(rp.code == 0, "price in the next block: %s",
		  cl_stf_err_str(rp.code));
	CHECK_MSG(rp.block > rd.block, "blocks %llu, %llu",
		  (unsigned long long)rd.block, (unsigned long long)rp.block);
	/* a time ahead of the clock: refused, as before */
	ahead.tx = oracle_tx(BTC, 650200, now_s() + 5);
	submit_async(&ahead);
	rp = wait_for(&ahead);
	CHECK(rp.code == CL_STF_ERR_ORACLE_FUTURE);
	cl_seq_free(seq);
	seq = NULL;
	block_ms = 5;
}

int main(int argc, char **argv)
{
	char path[4096], err[400], dir[] = "/tmp/clseqXXXXXX";
	struct seq_waiter w;
	struct cl_seq_result r;
	uint64_t sz;

	CHECK(cl_crypto_init() == CL_OK);
	for (int i = 0; i < NKEYS; i++) {
		CHECK(dev_key(&key[i], (unsigned)i, "trader"));
		cl_seckey_address(&addr[i], key[i]);
	}
	snprintf(path, sizeof(path), "%s/genesis/devnet.json",
		 argc > 1 ? argv[1] : ".");
	CHECK_MSG(cl_genesis_load(&genesis, path, err, sizeof(err)) == CL_OK,
		  "%s", err);
	/* the devnet's oracle signers are anvil's accounts 7, 8, 9 */
	CHECK(cl_address_eq(&genesis.oracle_signers[0], &addr[7]));
	CHECK(cl_address_eq(&genesis.oracle_signers[2], &addr[9]));

	CHECK(mkdtemp(dir) != NULL);
	struct cl_db_config dbc = {.path = dir, .map_size = 256u << 20};
	CHECK(cl_db_new(&db, &dbc) == CL_OK);
	open_seq(1024, true);

	/* deposits: in order, exactly once */
	CHECK(deposit(1, 100000 * USD) == 0);
	CHECK(deposit(2, 100000 * USD) == 0);
	CHECK(deposit(3, 100 * USD) == 0);
	deposit_id = 7;
	CHECK(deposit(1, USD) == CL_STF_ERR_DEPOSIT_OUT_OF_ORDER);
	deposit_id = 3;

	/* no mark yet: a crossing order cannot fill */
	r = oracle(BTC, 650000); /* $65,000.0 */
	CHECK_MSG(r.code == 0, "oracle: %s", cl_stf_err_str(r.code));
	CHECK(r.mark_price == 650000 && r.block > 0);

	/* A rests 1 BTC at $65,001.0 */
	r = place(1, false, 650010, 10000, 0, &w);
	CHECK_MSG(r.code == 0, "place: %s", cl_stf_err_str(r.code));
	CHECK(r.status == CL_ORDER_OPEN && r.filled == 0 && r.n_fills == 0);
	struct cl_hash32 ask_a = r.order_hash;
	CHECK(asks(&sz) == 1 && sz == 10000);

	/* B takes 0.4 with IOC */
	r = place(2, true, 650020, 4000, 1u << 2, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_FILLED && r.filled == 4000);
	CHECK(r.n_fills == 1 && r.fills[0].price == 650010 &&
	      r.fills[0].size == 4000 &&
	      cl_hash32_eq(&r.fills[0].maker, &ask_a));
	CHECK(asks(&sz) == 1 && sz == 6000);

	/* IOC with a remainder: closed, remainder dropped */
	r = place(2, true, 650020, 7000, 1u << 2, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_IOC_REMAINDER && r.filled == 6000);
	CHECK(asks(&sz) == 0);

	/* A rests again; FOK for more than there is: nothing happens */
	r = place(1, false, 650010, 10000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	ask_a = r.order_hash;
	r = place(2, true, 650020, 20000, 2u << 2, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_FOK_UNFILLED && r.filled == 0);
	CHECK(asks(&sz) == 1 && sz == 10000);

	/* post-only that would cross: closed, no fill */
	r = place(2, true, 650010, 1000, 0x02, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_POST_ONLY_CROSS && r.filled == 0);

	/* a reduce-only buy from a flat account cannot fill */
	r = place(3, true, 650020, 1000, 0x01, &w);
	CHECK(r.code == 0 && r.filled == 0);

	/* margin: $100 cannot rest a buy of 1 BTC ($65k) */
	r = place(3, true, 650020, 10000, 0, &w);
	CHECK(r.code == CL_STF_ERR_ORDER_MARGIN);
	/* as IOC it tries, and the taker is stopped */
	r = place(3, true, 650020, 10000, 1u << 2, &w);
	CHECK(r.code == 0 && r.filled == 0 && r.status == CL_ORDER_DONE &&
	      r.done_reason == CL_DONE_MARGIN);
	CHECK(asks(&sz) == 1 && sz == 10000);

	/* self-trade prevention: A's own buy cancels A's resting sell */
	r = place(1, true, 650010, 5000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN && r.filled == 0);
	struct cl_hash32 bid_a = r.order_hash;
	CHECK(asks(&sz) == 0);
	CHECK(bids(&sz) == 1 && sz == 5000);

	/* cancels: only by the trader (or an approved agent) */
	CHECK(cancel(2, 1, &bid_a) == CL_STF_ERR_NOT_AUTHORIZED);
	CHECK(cancel(1, 1, &bid_a) == 0);
	CHECK(bids(&sz) == 0);
	CHECK(cancel(1, 1, &bid_a) == CL_STF_ERR_ORDER_NOT_OPEN);

	/* bad signatures: a high-S twin of a valid signature is refused */
	struct cl_tx bad = order_tx(1, false, 650100, 1000, 0);
	{
		/* s' = n - s, v flipped */
		static const uint8_t n[32] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
			0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
			0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
		uint8_t *s = bad.u.place.sig.b + 32;
		int borrow = 0;
		for (int i = 31; i >= 0; i--) {
			int v = n[i] - s[i] - borrow;
			borrow = v < 0;
			s[i] = (uint8_t)(v + (borrow ? 256 : 0));
		}
		bad.u.place.sig.b[64] ^= 1;
	}
	r = run(&bad, &w);
	CHECK(r.code == CL_STF_ERR_BAD_SIGNATURE);

	/* a resting order survives a restart: the book is rebuilt */
	r = place(2, false, 651000, 3000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	struct cl_seq_status before, after;
	cl_seq_status(seq, &before);
	CHECK(before.head_block >= 10 && before.queued == 0);
	struct cl_hash32 root_before;
	CHECK(cl_seq_block_root(seq, &root_before, before.head_block) == CL_OK);
	CHECK(cl_hash32_eq(&root_before, &before.head_root));
	struct cl_hash32 root1;
	CHECK(cl_seq_block_root(seq, &root1, 1) == CL_OK);
	CHECK(!cl_hash32_eq(&root1, &before.head_root));
	CHECK(cl_seq_block_root(seq, &root1, before.head_block + 1) ==
	      CL_ERR_NOT_FOUND);
	cl_seq_free(seq);
	open_seq(1024, true);
	cl_seq_status(seq, &after);
	CHECK(after.head_block == before.head_block);
	CHECK(cl_hash32_eq(&after.head_root, &before.head_root));
	CHECK(asks(&sz) == 1 && sz == 3000);
	/* and it still matches after the restart */
	r = place(1, true, 651000, 3000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_FILLED && r.filled == 3000);
	cl_seq_free(seq);

	/* back-pressure: a stopped writer and a queue of one */
	open_seq(1, false);
	struct cl_tx t1 = order_tx(1, false, 660000, 1000, 0);
	struct cl_tx t2 = order_tx(1, false, 660010, 1000, 0);
	cl_tx_recover(&t1, cl_seq_domain(seq));
	cl_tx_recover(&t2, cl_seq_domain(seq));
	CHECK(cl_seq_submit(seq, &t1, NULL, NULL) == CL_OK);
	CHECK(cl_seq_submit(seq, &t2, NULL, NULL) == CL_ERR_BUSY);
	struct cl_tx fill;
	memset(&fill, 0, sizeof(fill));
	fill.type = CL_TX_FILL;
	cl_tx_recover(&fill, cl_seq_domain(seq));
	CHECK(cl_seq_submit(seq, &fill, NULL, NULL) == CL_SEQ_ERR_NOT_ALLOWED);
	cl_seq_free(seq);

	/* liquidation: an oracle drop liquidates an over-leveraged account
	 * in the same block, through transactions the stf checks */
	open_seq(1024, true);
	CHECK(deposit(4, 1000 * USD) == 0);
	r = place(2, false, 650000, 3000, 0, &w); /* 0.3 BTC at $65,000 */
	CHECK(r.code == 0);
	r = place(4, true, 650000, 3000, 1u << 2, &w); /* ~19.5x */
	CHECK_MSG(r.code == 0 && r.filled == 3000, "leveraged buy: %d %llu",
		  r.code, (unsigned long long)r.filled);
	{
		struct cl_stf_view v;
		struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
		size_t np = 0;
		CHECK(cl_seq_view(seq, &v) == CL_OK);
		CHECK(cl_stf_get_positions(&v, pos, &np, &addr[4]) == CL_OK);
		CHECK(np == 1 && pos[0].size == 3000);
		cl_seq_view_release(&v);
		usleep(1100000); /* the next oracle timestamp must be newer */
		r = oracle(BTC, 611000); /* -6 % */
		CHECK_MSG(r.code == 0, "oracle drop: %s", cl_stf_err_str(r.code));
		CHECK(cl_seq_view(seq, &v) == CL_OK);
		CHECK(cl_stf_get_positions(&v, pos, &np, &addr[4]) == CL_OK);
		CHECK_MSG(np == 0 || pos[0].size < 3000,
			  "the over-leveraged long was liquidated (%zu, %lld)",
			  np, np ? (long long)pos[0].size : 0LL);
		struct cl_stf_event ev[8];
		size_t nev = 0;
		CHECK(cl_stf_get_events(&v, ev, 8, &nev, &addr[4], 0) == CL_OK);
		CHECK(nev >= 1);
		cl_seq_view_release(&v);
	}
	cl_seq_free(seq);

	/* batch cuts: withdrawals get proofs against the cut's root */
	cut_ms = 30;
	open_seq(1024, true);
	r = withdraw(1, 5000 * USD, 0);
	CHECK_MSG(r.code == 0, "withdraw: %s", cl_stf_err_str(r.code));
	uint64_t wid = r.withdrawal_id;
	CHECK(withdraw(1, 1, 0).code == CL_STF_ERR_BAD_NONCE);
	r = withdraw(2, 7 * USD, 0);
	CHECK(r.code == 0 && r.withdrawal_id == wid + 1);
	struct cl_snapshot *snap = NULL;
	struct cl_batch_cut cut;
	int got = CL_ERR_NOT_FOUND;
	for (int tries = 0; tries < 400 && got == CL_ERR_NOT_FOUND; tries++) {
		usleep(10000);
		CHECK(cl_snapshot_new(&snap, db) == CL_OK);
		got = cl_chain_get_cut(snap, &cut, 0);
		if (got == CL_OK)
			break;
		cl_snapshot_free(snap);
		snap = NULL;
	}
	CHECK_MSG(got == CL_OK, "no cut: %d", got);
	if (got == CL_OK) {
		struct cl_seq_status st;
		cl_seq_status(seq, &st);
		CHECK(cut.first_block == 1 && cut.last_block <= st.head_block);
		CHECK(cut.deposits_consumed == 4);
		/* the first cut holds the first withdrawal; the second one
		 * too unless the 30 ms cut fell between them (a slow run:
		 * valgrind, a loaded machine) */
		CHECK(cut.wid_begin == 0 &&
		      (cut.wid_end == wid + 1 || cut.wid_end == wid + 2));
		struct cl_hash32 broot;
		CHECK(cl_seq_block_root(seq, &broot, cut.last_block) == CL_OK);
		CHECK(cl_hash32_eq(&broot, &cut.root));
		/* the proof verifies against the cut's root, as L1 will */
		struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
		uint64_t cs;
		CHECK(cl_chain_get_withdrawal_proof(snap, &cs, proof, wid) ==
		      CL_OK && cs == 0);
		uint8_t wk[8], val[28];
		struct cl_hash32 wpath, vh;
		cl_put_be64(wk, wid);
		cl_smt_path(&wpath, CL_TABLE_WITHDRAWALS, wk, 8);
		memcpy(val, addr[1].b, 20);
		cl_put_be64(val + 20, 5000 * USD);
		cl_smt_value_hash(&vh, val, 28);
		CHECK(cl_proof_verify_inclusion(proof, &cut.root, &wpath, &vh));
		cl_put_be64(val + 20, 5000 * USD + 1);
		cl_smt_value_hash(&vh, val, 28);
		CHECK(!cl_proof_verify_inclusion(proof, &cut.root, &wpath, &vh));
		free(proof);
		/* the cut encodes as a version 2 batch that decodes to the
		 * same blocks, roots and requests */
		struct cl_batch2 cb, b;
		struct cl_buf data;
		struct cl_batch_limits lim;
		cl_buf_init(&data);
		cl_batch_limits_default(&lim);
		CHECK(cl_chain_cut_blocks(snap, cl_seq_genesis(seq), &cut, &cb) ==
		      CL_OK);
		CHECK(cl_batch2_encode(&data, cb.blocks, cb.n_blocks) ==
		      CL_BATCH_OK);
		CHECK(cl_batch2_decode(&b, data.p, data.len, &lim) ==
		      CL_BATCH_OK);
		CHECK(b.first_block == 1 &&
		      b.n_blocks == cut.last_block - cut.first_block + 1);
		if (b.n_blocks > 0) {
			CHECK(cl_hash32_eq(&b.blocks[b.n_blocks - 1].root,
					   &cut.root));
			struct cl_hash32 r1;
			CHECK(cl_seq_block_root(seq, &r1, 1) == CL_OK);
			CHECK(cl_hash32_eq(&b.blocks[0].root, &r1));
			CHECK(b.blocks[0].l1.timestamp * 1000 <=
			      b.blocks[0].timestamp_ms);
		}
		/* requests only: fills and closures are derived */
		CHECK(b.n_txs == cb.n_txs && b.n_txs > 10);
		for (size_t i = 0; i < b.n_txs; i++)
			CHECK(b.tx_store[i].type != CL_TX_FILL &&
			      b.tx_store[i].type != CL_TX_ORDER_DONE);
		cl_batch2_release(&b);
		cl_batch2_release(&cb);
		cl_buf_release(&data);
		cl_snapshot_free(snap);
	}
	cl_seq_free(seq);

	risk_on_the_book();
	expired_leave_the_book();
	oracle_ahead_of_the_block();

	cl_db_free(db);
	cascade_across_blocks();
	for (int i = 0; i < NKEYS; i++)
		cl_seckey_free(key[i]);
	test_rm_tree(dir);
	return test_done("sequencer");
}

static void cascade_across_blocks(void)
{
	char dir[] = "/tmp/clseqXXXXXX";
	struct cl_db *db2;
	struct cl_seq_config cfg;
	struct cl_seq_status st;
	struct seq_waiter w;
	struct cl_seq_result r;
	uint64_t liq = 0, bkr = 0;

	CHECK(mkdtemp(dir) != NULL);
	struct cl_db_config dbc = {.path = dir, .map_size = 256u << 20};
	CHECK(cl_db_new(&db2, &dbc) == CL_OK);
	cl_seq_config_defaults(&cfg);
	cfg.block_interval_ms = 5;
	cfg.block_max_bytes = 4096 + 1500; /* ~1.5 kB of risk work a block */
	CHECK(cl_seq_new(&seq, &cfg, db2, &genesis) == CL_OK);
	CHECK(cl_seq_start(seq) == CL_OK);
	deposit_id = 0;
	CHECK(deposit(1, 100000 * USD) == 0);
	r = oracle(BTC, 650000);
	CHECK(r.code == 0);
	r = place(1, false, 650000, 8 * 3000, 0, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	for (int i = 10; i < 18; i++) {
		CHECK(deposit(i, 500 * USD) == 0);
		r = place(i, true, 650000, 3000, 1u << 2, &w);
		CHECK_MSG(r.code == 0 && r.filled == 3000, "39x buy %d: %d", i,
			  r.code);
	}
	struct cl_stf_view v;
	struct cl_stf_account_risk *risk = cl_xcalloc(1, sizeof(*risk));
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_account_risk(&v, risk, &addr[10]) == CL_OK);
	cl_seq_view_release(&v);
	if (risk->n == 1) {
		liq = risk->pos[0].liquidation_price;
		bkr = risk->pos[0].bankruptcy_price;
	}
	free(risk);
	CHECK(bkr < liq && liq < 650000);
	usleep(1100000); /* the next oracle timestamp must be newer */
	r = oracle(BTC, (liq + bkr) / 2);
	CHECK_MSG(r.code == 0, "oracle: %s", cl_stf_err_str(r.code));
	cl_seq_status(seq, &st);
	uint64_t at_drop = st.head_block;
	/* no traffic from here on */
	size_t open = 8;
	for (int t = 0; t < 300 && open > 0; t++) {
		usleep(10000);
		open = 0;
		for (int i = 10; i < 18; i++) {
			struct cl_health h;
			CHECK(cl_seq_view(seq, &v) == CL_OK);
			CHECK(cl_stf_get_health(&v, &h, &addr[i]) == CL_OK);
			cl_seq_view_release(&v);
			open += h.equity < h.mm;
		}
	}
	cl_seq_status(seq, &st);
	CHECK_MSG(open == 0, "%zu accounts still below maintenance", open);
	/* the stf liquidated them while applying the oracle request: no
	 * block after it was needed */
	CHECK_MSG(st.head_block >= at_drop,
		  "the cascade took blocks %llu..%llu",
		  (unsigned long long)at_drop, (unsigned long long)st.head_block);
	/* every block fits its limit plus at most one transaction */
	struct cl_snapshot *snap = NULL;
	CHECK(cl_snapshot_new(&snap, db2) == CL_OK);
	for (uint64_t b = 1; snap && b <= st.head_block; b++) {
		struct cl_block_record rec;
		if (cl_chain_get_block(snap, &rec, b) != CL_OK)
			continue;
		size_t vlen = 8 + 32 + 4; /* the record's bytes */
		for (size_t i = 0; i < rec.n_txs; i++)
			vlen += 4 + rec.tx_lens[i];
		cl_block_record_release(&rec);
		CHECK_MSG(vlen <= 8 + 32 + 4 + cfg.block_max_bytes + 200,
			  "block %llu holds %zu bytes",
			  (unsigned long long)b, vlen);
	}
	cl_snapshot_free(snap);
	cl_seq_free(seq);
	seq = NULL;
	cl_db_free(db2);
	test_rm_tree(dir);
}

/*
 * A resting order whose expiry passes leaves the book when a block opens,
 * closed as expired, without a taker ever meeting it; one with a later
 * expiry stays.
 */
static void expired_leave_the_book(void)
{
	struct seq_waiter w;
	struct cl_seq_result r;
	uint64_t sz;
	struct cl_hash32 d;

	open_seq(1024, true);
	size_t levels = asks(&sz);
	struct cl_tx tx = order_tx(2, false, 990000, 1000, 0);
	tx.u.place.order.expiry = now_s() + 2;
	cl_order_digest(&d, cl_seq_domain(seq), &tx.u.place.order);
	CHECK(cl_sign_digest(&tx.u.place.sig, key[2], &d) == CL_OK);
	r = run(&tx, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	struct cl_hash32 soon = r.order_hash;
	r = place(2, false, 990010, 1000, 0, &w); /* expires in an hour */
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	struct cl_hash32 later = r.order_hash;
	CHECK(asks(&sz) == levels + 2);
	usleep(3100000);
	CHECK(deposit(7, 1) == 0); /* a block opens */
	struct cl_stf_view v;
	struct cl_order_record rec;
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_order(&v, &rec, &soon) == CL_OK);
	CHECK_MSG(rec.status == CL_ORDER_DONE, "status %d", (int)rec.status);
	CHECK(cl_stf_get_order(&v, &rec, &later) == CL_OK);
	CHECK(rec.status == CL_ORDER_OPEN);
	cl_seq_view_release(&v);
	CHECK(asks(&sz) == levels + 1);
	CHECK(cancel(2, 2, &later) == 0);
	r = run(&tx, &w); /* the same order again */
	CHECK(r.code == CL_STF_ERR_EXPIRED);

	/* across a restart: the expiries come back with the books */
	tx = order_tx(2, false, 990020, 1000, 0);
	tx.u.place.order.expiry = now_s() + 2;
	cl_order_digest(&d, cl_seq_domain(seq), &tx.u.place.order);
	CHECK(cl_sign_digest(&tx.u.place.sig, key[2], &d) == CL_OK);
	r = run(&tx, &w);
	CHECK(r.code == 0 && r.status == CL_ORDER_OPEN);
	soon = r.order_hash;
	cl_seq_free(seq);
	open_seq(1024, true);
	CHECK(asks(&sz) == levels + 1);
	usleep(3100000);
	CHECK(deposit(7, 1) == 0);
	CHECK(cl_seq_view(seq, &v) == CL_OK);
	CHECK(cl_stf_get_order(&v, &rec, &soon) == CL_OK);
	CHECK(rec.status == CL_ORDER_DONE);
	cl_seq_view_release(&v);
	CHECK(asks(&sz) == levels);
	cl_seq_free(seq);
}
