/* SPDX-License-Identifier: MIT */
/*
 * Property test of the derivation layer (include/clearline/stf.h "Blocks
 * of requests"): seeded random blocks of requests from 12 traders (4 of
 * them also through agents) on the three markets of stf_util.h, through
 * cl_stf_open_block() and cl_stf_request() only, in two kinds of stream:
 *
 * Stream "match": every trader has collateral no fill can exhaust, so the
 * margin rules never decide. Orders of every kind (GTC, IOC, FOK,
 * post-only, reduce-only; prices on the tick grid around a moving mid,
 * sizes on the step grid, short expiries), cancels by hash and by
 * sequence (as a batch carries them), deposits, withdrawals, agent
 * approvals and revocations, oracle updates, and some requests that must
 * be refused (off tick, expired, too far, unauthorised agent, stale
 * cancel, bad nonce). At every request the outcome is compared with a
 * naive reference book (engine_ref.h): the reject code, the fills (maker,
 * owner, price, size, in order), the order's status, filled size and done
 * reason, the state's records of the taker and every maker touched, and
 * the whole book of the market (cl_stf_book_depth: price, size, count per
 * level). At every block opening: the expired orders closed (and nothing
 * else derived), all six book sides; at every block end: each trader's
 * positions against the reference, and the conservation invariants.
 *
 * Stream "liquidation": four market makers with deep pockets quote
 * around the mid; eight leveraged traders take positions of up to ~30x;
 * oracle moves are small or sharp (3-15 %). Margin now decides fills, so
 * the book is checked against the state structurally: the fills a taker
 * gets follow the priority of the crossing makers before it (a maker
 * skipped must have been closed), at the makers' prices, adding up to the
 * order's filled size; the book mirrors the state's open orders after
 * every request (and after every liquidation pass). After each oracle
 * request no account in that market alone is still liquidatable, and
 * after each block opening no account at all, unless the block's budget
 * left derived work pending. The invariants hold after every block.
 *
 * Each stream's accepted requests are then replayed block by block, as
 * a verifier would (decoded from bytes, cancels by sequence with no
 * hash), on a fresh state with a new stf every REBUILD_EVERY blocks (a
 * restart: the books rebuilt from the committed state): the match
 * streams on the memory backend, the liquidation streams on LMDB. Every
 * result (status, filled, reason, fills, withdrawal id, mark) and every
 * block root must be the same.
 *
 * The run is split into independent streams of STREAM_REQUESTS requests
 * (a fresh chain each; three of every five match streams): the state
 * keeps every order record and the per-block invariant scan reads them
 * all, so one long stream would cost quadratic time.
 *
 * CL_TEST_SEED sets the seed; CL_TEST_REQUESTS the total number of
 * requests (default 100000).
 */
#include "stf_util.h"

#include "engine_ref.h"

#define N_TRADERS 12
#define N_AGENTS 4 /* traders 0..3 also sign through key 12 + t */
#define N_MAKERS 4 /* liquidation stream: traders 0..3 quote */
#define MAX_LEVELS 4096
#define REBUILD_EVERY 37 /* blocks between new stfs in the replay */
/* Requests per independent stream: the state's size (every order record
 * stays) makes the per-block invariant scan grow with a stream's length */
#define STREAM_REQUESTS 10000

enum mode { M_MATCH, M_LIQ };

static const uint32_t mkt_id[3] = {T_BTC, T_ETH, T_SOL};
static const uint64_t tick[3] = {100, 1, 10};
static const uint64_t step[3] = {100, 10, 1};
static const uint64_t unit[3] = {100, 5, 10}; /* price offsets */
static const uint64_t start_mid[3] = {5000000, 300000, 150000};
/* atoms per (price unit x size unit): notional = p * s * 10^scale */
static const int scale_exp[3] = {-1, 0, 1};

/* One accepted request of the log, with what it did. */
struct logent {
	size_t off, len;
	bool by_seq;
	uint64_t seq;
	enum cl_order_status status;
	uint64_t filled;
	enum cl_done_reason reason;
	size_t fill0, n_fills;
	uint64_t wid, mark;
};

struct blkrec {
	struct cl_block_header h;
	struct cl_hash32 root;
	size_t first, count;
};

struct run {
	enum mode mode;
	const char *name;
	struct tenv e;
	struct ref_book ref;
	uint64_t mid[3];
	bool oracle_done[3]; /* this block */
	uint64_t nonce[N_TRADERS];
	uint64_t agent_exp[N_AGENTS];
	uint64_t next_wid;
	__int128 net_in;
	uint64_t req_no; /* requests issued */
	size_t block_left;
	/* the log */
	struct cl_buf log;
	struct logent *ent;
	size_t n_ent, cap_ent;
	struct cl_stf_fill *fills;
	size_t n_fills, cap_fills;
	struct blkrec *blk;
	size_t n_blk, cap_blk;
	struct cl_hash32 genesis_root;
	/* scratch */
	struct cl_stf_level *lv;
	struct ref_level *rl;
	/* statistics */
	uint64_t n_ok, n_rej, n_fill_total, n_expired, n_self, n_fok,
		n_post, n_ioc, n_ro_clip, n_margin_done, n_by_seq,
		n_liq_events, n_pending, n_sharp, n_multi_left, by_type[16],
		by_code[64];
};

static struct run R;

static uint64_t rnd(uint64_t n)
{
	return n ? test_rand() % n : 0;
}

static bool chance(unsigned pct)
{
	return rnd(100) < pct;
}

/* Too many failures: stop generating (the first ones tell the story). */
static bool failing(void)
{
	return test_failures > 40;
}

static uint64_t now_s(void)
{
	return tenv_now(&R.e);
}

#define FAIL_CTX "%s request %llu: "
#define CTX R.name, (unsigned long long)R.req_no

/* ---- the log ---- */

static void log_request(const struct cl_tx *given, bool by_seq,
			const struct cl_stf_result *res)
{
	struct logent *l;

	REF_GROW(R.ent, R.n_ent, R.cap_ent);
	l = &R.ent[R.n_ent++];
	memset(l, 0, sizeof(*l));
	l->off = R.log.len;
	cl_tx_encode(&R.log, given);
	l->len = R.log.len - l->off;
	l->by_seq = by_seq;
	if (by_seq)
		l->seq = given->u.cancel.order_seq;
	l->status = res->status;
	l->filled = res->filled;
	l->reason = res->done_reason;
	l->wid = res->withdrawal_id;
	l->mark = res->mark_price;
	l->fill0 = R.n_fills;
	l->n_fills = res->n_fills;
	for (size_t i = 0; i < res->n_fills; i++) {
		REF_GROW(R.fills, R.n_fills, R.cap_fills);
		R.fills[R.n_fills++] = res->fills[i];
	}
}

/*
 * Hand `tx` to the stf as a node would: recovered (a cancel by sequence
 * is recovered by the stf). Accepted requests go to the log.
 */
static int issue(struct cl_tx tx, bool by_seq, struct cl_stf_result *res)
{
	struct cl_tx given = tx;
	int rc;

	R.req_no++;
	if (!by_seq)
		cl_tx_recover(&tx, cl_stf_domain(R.e.stf));
	rc = cl_stf_request(R.e.stf, res, &tx);
	CHECK_MSG(rc >= 0, FAIL_CTX "system error %d", CTX, rc);
	if (rc == CL_STF_OK) {
		R.n_ok++;
		R.by_type[(int)tx.type & 15]++;
		log_request(&given, by_seq, res);
	} else {
		R.n_rej++;
		R.by_code[rc & 63]++;
	}
	return rc;
}

static void expect_rc(int rc, int want, const char *what)
{
	CHECK_MSG(rc == want, FAIL_CTX "%s: got %d (%s), want %d (%s)", CTX,
		  what, rc, cl_stf_err_str(rc), want, cl_stf_err_str(want));
}

/* ---- books ---- */

/* The stf's book of market mi (both sides) equals the reference's. */
static void check_book(int mi)
{
	for (int side = 0; side < 2; side++) {
		bool bids = side == 0;
		size_t nr = ref_depth(&R.ref, R.rl, MAX_LEVELS, mi, bids);
		size_t ns = cl_stf_book_depth(R.e.stf, R.lv, nr + 1,
					      mkt_id[mi], bids);
		bool same = ns == nr;
		for (size_t i = 0; same && i < nr; i++)
			same = R.lv[i].price == R.rl[i].price &&
			       R.lv[i].size == R.rl[i].size &&
			       R.lv[i].orders == R.rl[i].orders;
		CHECK_MSG(same, FAIL_CTX "market %u %s: %zu levels, reference "
			  "%zu; first stf %llu/%llu/%u ref %llu/%llu/%u", CTX,
			  mkt_id[mi], bids ? "bids" : "asks", ns, nr,
			  ns ? (unsigned long long)R.lv[0].price : 0,
			  ns ? (unsigned long long)R.lv[0].size : 0,
			  ns ? R.lv[0].orders : 0,
			  nr ? (unsigned long long)R.rl[0].price : 0,
			  nr ? (unsigned long long)R.rl[0].size : 0,
			  nr ? R.rl[0].orders : 0);
	}
	if (R.mode == M_LIQ && R.ref.n_rest) {
		/* never crossed */
		size_t nb = cl_stf_book_depth(R.e.stf, R.lv, 1, mkt_id[mi],
					      true);
		struct cl_stf_level a;
		size_t na = cl_stf_book_depth(R.e.stf, &a, 1, mkt_id[mi],
					      false);
		CHECK_MSG(!nb || !na || R.lv[0].price < a.price,
			  FAIL_CTX "book crossed", CTX);
	}
}

static void check_books(void)
{
	for (int mi = 0; mi < 3; mi++)
		check_book(mi);
}

/* The state's record of reference order i agrees with it. */
static void check_record(size_t i)
{
	const struct ref_order *o = &R.ref.all[i];
	struct cl_stf_view v = tenv_view(&R.e);
	struct cl_order_record rec;

	CHECK_MSG(cl_stf_get_order(&v, &rec, &o->h) == CL_OK,
		  FAIL_CTX "order missing", CTX);
	CHECK_MSG(rec.status == o->status && rec.filled == o->filled &&
			  rec.sequence == o->seq,
		  FAIL_CTX "order %zu: status %d filled %llu seq %llu, "
		  "reference %d %llu %llu", CTX, i, (int)rec.status,
		  (unsigned long long)rec.filled,
		  (unsigned long long)rec.sequence, (int)o->status,
		  (unsigned long long)o->filled, (unsigned long long)o->seq);
}

/* Mirror the state's records of the reference's resting orders. */
static void sync_resting(void)
{
	struct cl_stf_view v = tenv_view(&R.e);
	size_t n = R.ref.n_rest;
	size_t *copy = cl_xmalloc((n + 1) * sizeof(*copy));

	if (n)
		memcpy(copy, R.ref.rest, n * sizeof(*copy));
	for (size_t k = 0; k < n; k++) {
		struct cl_order_record rec;
		CHECK(cl_stf_get_order(&v, &rec, &R.ref.all[copy[k]].h) ==
		      CL_OK);
		ref_sync(&R.ref, copy[k], &rec);
	}
	free(copy);
}

/* ---- the liquidation checks ---- */

static struct cl_stf_account_risk *risk_buf;

/* May trader t be left below maintenance now? Only when the budget cut
 * derived work short, or (after an oracle request on `only`) when its
 * positions are not all in that market (the block opening sweeps those). */
static void check_not_liquidatable(int t, int only_mi)
{
	struct cl_stf_view v = tenv_view(&R.e);
	int rc = cl_stf_get_account_risk(&v, risk_buf, &R.e.addr[t]);

	CHECK_MSG(rc == CL_OK, FAIL_CTX "risk of %d: %d", CTX, t, rc);
	if (rc || !risk_buf->liquidatable)
		return;
	if (cl_stf_derived_pending(R.e.stf)) {
		R.n_pending++;
		return;
	}
	if (only_mi >= 0)
		for (size_t i = 0; i < risk_buf->n; i++)
			if (risk_buf->pos[i].market != mkt_id[only_mi]) {
				R.n_multi_left++;
				return;
			}
	CHECK_MSG(false, FAIL_CTX "trader %d still liquidatable (equity "
		  "%lld, mm %lld, %zu positions) with no work pending", CTX,
		  t, (long long)risk_buf->health.equity,
		  (long long)risk_buf->health.mm, risk_buf->n);
}

/* ---- blocks ---- */

static void end_block(void)
{
	if (!R.e.in_block)
		return;
	cl_stf_end_block(R.e.stf);
	R.e.in_block = false;
	t_commit(&R.e);
	R.blk[R.n_blk - 1].root = R.e.root;
	R.blk[R.n_blk - 1].count = R.n_ent - R.blk[R.n_blk - 1].first;
	t_invariants(&R.e, R.name, R.net_in);
	if (R.mode == M_MATCH) {
		struct cl_stf_view v = tenv_view(&R.e);
		for (int t = 0; t < N_TRADERS; t++) {
			struct cl_stf_position p[CL_GENESIS_MAX_MARKETS];
			int64_t got[3] = {0, 0, 0};
			size_t n;
			CHECK(cl_stf_get_positions(&v, p, &n, &R.e.addr[t]) ==
			      CL_OK);
			for (size_t i = 0; i < n; i++)
				got[p[i].market - 1] = p[i].size;
			for (int mi = 0; mi < 3; mi++)
				CHECK_MSG(got[mi] == R.ref.pos[t][mi],
					  FAIL_CTX "trader %d market %d: "
					  "position %lld, reference %lld",
					  CTX, t, mi, (long long)got[mi],
					  (long long)R.ref.pos[t][mi]);
		}
	}
}

static void open_block(uint64_t advance_ms)
{
	struct cl_block_header h;
	size_t expired;
	int rc;

	end_block();
	memset(&h, 0, sizeof(h));
	h.number = ++R.e.number;
	R.e.ms += advance_ms;
	h.timestamp_ms = R.e.ms;
	h.prev_root = R.e.root;
	h.l1 = t_l1_at(R.e.ms);
	rc = cl_stf_open_block(R.e.stf, &h);
	CHECK_MSG(rc == CL_STF_OK, "%s: block %llu: %d", R.name,
		  (unsigned long long)h.number, rc);
	R.e.in_block = true;
	REF_GROW(R.blk, R.n_blk, R.cap_blk);
	R.blk[R.n_blk++] = (struct blkrec){.h = h, .first = R.n_ent};
	memset(R.oracle_done, 0, sizeof(R.oracle_done));
	if (R.mode == M_MATCH) {
		expired = ref_open_block(&R.ref, now_s());
		R.n_expired += expired;
		/* the expiries are all the opening derives here */
		CHECK_MSG(cl_stf_block_derived(R.e.stf) == expired,
			  "%s block %llu: derived %llu, expired %zu", R.name,
			  (unsigned long long)h.number,
			  (unsigned long long)cl_stf_block_derived(R.e.stf),
			  expired);
	} else {
		R.ref.now_s = now_s();
		sync_resting();
		for (int t = 0; t < N_TRADERS; t++)
			check_not_liquidatable(t, -1);
	}
	check_books();
}

/* ---- requests ---- */

static int signer_for(int t, bool *authorized)
{
	*authorized = true;
	if (t < N_AGENTS && chance(30)) {
		*authorized = R.agent_exp[t] > now_s();
		return 12 + t;
	}
	return t;
}

static uint64_t rand_price(int mi, int spread)
{
	int64_t k = (int64_t)rnd((uint64_t)(2 * spread + 1)) - spread;
	int64_t p = (int64_t)R.mid[mi] + k * (int64_t)unit[mi];

	if (p < (int64_t)tick[mi])
		p = (int64_t)tick[mi];
	return (uint64_t)p - (uint64_t)p % tick[mi];
}

/* Size units worth about `usd` dollars at the mid (at least a step). */
static uint64_t size_for_usd(int mi, uint64_t usd)
{
	/* notional atoms = price * size * 10^scale */
	unsigned __int128 atoms = (unsigned __int128)usd * T_USD;
	unsigned __int128 s = atoms / R.mid[mi];
	const struct cl_market_params *m = &R.e.g.markets[mi];

	if (scale_exp[mi] < 0)
		s *= 10;
	else if (scale_exp[mi] > 0)
		s /= 10;
	if (s > m->max_order_size)
		s = m->max_order_size;
	s -= s % step[mi];
	return s ? (uint64_t)s : step[mi];
}

static uint8_t rand_flags(void)
{
	unsigned r = (unsigned)rnd(100);
	uint8_t f;

	if (r < 50)
		f = CL_TIF_GTC << CL_ORDER_TIF_SHIFT;
	else if (r < 70)
		f = CL_TIF_IOC << CL_ORDER_TIF_SHIFT;
	else if (r < 82)
		f = CL_TIF_FOK << CL_ORDER_TIF_SHIFT;
	else
		f = CL_ORDER_POST_ONLY;
	if (chance(15))
		f |= CL_ORDER_REDUCE_ONLY;
	return f;
}

/* Compare the stf's result for placed order i with the reference's. */
static void check_place_result(size_t i, const struct cl_stf_result *res)
{
	const struct ref_order *o = &R.ref.all[i];
	bool same;

	CHECK_MSG(cl_hash32_eq(&res->order_hash, &o->h),
		  FAIL_CTX "order hash", CTX);
	same = res->status == o->status && res->filled == o->filled &&
	       (o->status != CL_ORDER_DONE || res->done_reason == o->reason);
	CHECK_MSG(same, FAIL_CTX "flags %#x %s %llu @ %llu: status %d filled "
		  "%llu reason %d; reference %d %llu %d", CTX, o->flags,
		  o->is_buy ? "buy" : "sell", (unsigned long long)o->size,
		  (unsigned long long)o->price, (int)res->status,
		  (unsigned long long)res->filled, (int)res->done_reason,
		  (int)o->status, (unsigned long long)o->filled,
		  (int)o->reason);
	CHECK_MSG(res->n_fills == R.ref.n_fills,
		  FAIL_CTX "%zu fills, reference %zu", CTX, res->n_fills,
		  R.ref.n_fills);
	for (size_t k = 0; k < res->n_fills && k < R.ref.n_fills; k++) {
		const struct ref_fill *rf = &R.ref.fills[k];
		const struct ref_order *m = &R.ref.all[rf->maker];
		const struct cl_stf_fill *f = &res->fills[k];
		CHECK_MSG(cl_hash32_eq(&f->maker, &m->h) &&
				  cl_address_eq(&f->maker_owner,
						&R.e.addr[m->trader]) &&
				  f->price == rf->price && f->size == rf->size,
			  FAIL_CTX "fill %zu: %llu @ %llu, reference %llu @ "
			  "%llu (maker seq %llu)", CTX, k,
			  (unsigned long long)f->size,
			  (unsigned long long)f->price,
			  (unsigned long long)rf->size,
			  (unsigned long long)rf->price,
			  (unsigned long long)m->seq);
	}
	check_record(i);
	for (size_t k = 0; k < R.ref.n_touched; k++)
		check_record(R.ref.touched[k]);
}

/*
 * The liquidation stream cannot predict margin: the fills must follow
 * the priority of the makers the taker crossed before it came (cand[],
 * taken before syncing), every maker passed over must be closed now,
 * and the sizes add up.
 */
static void check_place_structure(size_t i, const struct cl_stf_result *res,
				  const size_t *cand, size_t n_cand)
{
	const struct ref_order *o = &R.ref.all[i];
	uint64_t sum = 0;
	size_t k = 0;

	for (size_t f = 0; f < res->n_fills; f++) {
		const struct cl_stf_fill *fl = &res->fills[f];
		while (k < n_cand && !cl_hash32_eq(&R.ref.all[cand[k]].h,
						   &fl->maker)) {
			/* passed over: it must have left the book */
			CHECK_MSG(R.ref.all[cand[k]].status != CL_ORDER_OPEN,
				  FAIL_CTX "maker seq %llu passed over and "
				  "still open", CTX,
				  (unsigned long long)R.ref.all[cand[k]].seq);
			k++;
		}
		CHECK_MSG(k < n_cand, FAIL_CTX "fill %zu out of priority "
			  "order or not a crossing maker", CTX, f);
		if (k == n_cand)
			break;
		const struct ref_order *m = &R.ref.all[cand[k]];
		CHECK_MSG(fl->price == m->price && m->trader != o->trader &&
				  cl_address_eq(&fl->maker_owner,
						&R.e.addr[m->trader]) &&
				  fl->size > 0 && fl->size % step[o->mi] == 0,
			  FAIL_CTX "fill %zu", CTX, f);
		sum += fl->size;
		k++;
	}
	CHECK_MSG(sum == res->filled, FAIL_CTX "fills add to %llu, filled "
		  "%llu", CTX, (unsigned long long)sum,
		  (unsigned long long)res->filled);
	CHECK(res->filled <= o->size);
	CHECK((res->status == CL_ORDER_FILLED) == (res->filled == o->size));
	if (res->status == CL_ORDER_OPEN)
		CHECK(cl_order_tif(o->flags) == CL_TIF_GTC);
	if (cl_order_tif(o->flags) == CL_TIF_FOK)
		CHECK(res->status == CL_ORDER_FILLED || res->filled == 0);
	if (o->flags & CL_ORDER_POST_ONLY)
		CHECK(res->n_fills == 0);
}

static void stat_outcome(const struct ref_order *o, size_t n_fills)
{
	R.n_fill_total += n_fills;
	if (o->status != CL_ORDER_DONE)
		return;
	switch (o->reason) {
	case CL_DONE_FOK_UNFILLED:
		R.n_fok++;
		break;
	case CL_DONE_POST_ONLY_CROSS:
		R.n_post++;
		break;
	case CL_DONE_IOC_REMAINDER:
		R.n_ioc++;
		break;
	case CL_DONE_MARGIN:
		R.n_margin_done++;
		break;
	case CL_DONE_SELF_TRADE:
	case CL_DONE_EXPIRED:
	case CL_DONE_SCHEDULED_CANCEL:
		break;
	}
}

static void do_place(int t)
{
	int mi = (int)rnd(3);
	bool authorized, is_buy = chance(50);
	int signer = signer_for(t, &authorized);
	uint8_t flags = rand_flags();
	uint64_t price, size, expiry = now_s() + 1 + rnd(20);
	int want = CL_STF_OK;
	struct cl_stf_result res;

	if (R.mode == M_MATCH) {
		price = rand_price(mi, 6);
		size = step[mi] * (1 + rnd(chance(20) ? 200 : 20));
	} else if (t < N_MAKERS) {
		/* quotes on their side of the mid */
		price = rand_price(mi, 8);
		if (chance(85))
			is_buy = price < R.mid[mi];
		size = size_for_usd(mi, 20000 + rnd(200000));
		if (chance(80))
			flags &= (uint8_t)~CL_ORDER_REDUCE_ONLY;
	} else {
		/* takers, leveraged: notional up to ~30x the deposit */
		price = rand_price(mi, 10);
		size = size_for_usd(mi, 5000 + rnd(600000));
	}
	if (chance(25))
		expiry = now_s() + 30 + rnd(600);
	else if (chance(3))
		expiry = now_s() + T_HORIZON;
	if (R.mode == M_MATCH) {
		unsigned bad = (unsigned)rnd(200);
		if (bad == 0 && tick[mi] > 1) {
			price += 1;
			want = CL_STF_ERR_OFF_TICK;
		} else if (bad == 1) {
			expiry = now_s();
			want = CL_STF_ERR_EXPIRED;
		} else if (bad == 2) {
			expiry = now_s() + T_HORIZON + 1;
			want = CL_STF_ERR_EXPIRY_TOO_FAR;
		}
		if (!authorized)
			want = CL_STF_ERR_NOT_AUTHORIZED;
	} else if (!authorized) {
		signer = t;
	}

	struct cl_order o = t_order(&R.e.addr[t], mkt_id[mi], is_buy, price,
				    size, R.e.order_nonce++, expiry, flags);
	struct cl_hash32 h = t_order_hash(&R.e, &o);
	int rc = issue(t_place(&R.e, &o, R.e.key[signer]), false, &res);

	if (R.mode == M_MATCH) {
		expect_rc(rc, want, "place");
		if (rc != CL_STF_OK || want != CL_STF_OK)
			return;
		size_t i = ref_add(&R.ref, &h, t, mi, is_buy, flags, price,
				   size, expiry);
		ref_place(&R.ref, i);
		check_place_result(i, &res);
		stat_outcome(&R.ref.all[i], res.n_fills);
		for (size_t k = 0; k < R.ref.n_touched; k++)
			if (R.ref.all[R.ref.touched[k]].status ==
			    CL_ORDER_DONE)
				R.n_self += R.ref.all[R.ref.touched[k]].reason ==
					    CL_DONE_SELF_TRADE;
		return;
	}

	/* the liquidation stream */
	CHECK_MSG(rc == CL_STF_OK || rc == CL_STF_ERR_ORDER_MARGIN ||
			  rc == CL_STF_ERR_NO_COLLATERAL,
		  FAIL_CTX "place: %d (%s)", CTX, rc, cl_stf_err_str(rc));
	if (rc != CL_STF_OK)
		return;
	size_t i = ref_add(&R.ref, &h, t, mi, is_buy, flags, price, size,
			   expiry);
	ref_candidates(&R.ref, i);
	size_t n_cand = R.ref.n_cand;
	size_t *cand = cl_xmalloc((n_cand + 1) * sizeof(*cand));
	if (n_cand)
		memcpy(cand, R.ref.cand, n_cand * sizeof(*cand));
	struct cl_stf_view v = tenv_view(&R.e);
	struct cl_order_record rec;
	CHECK(cl_stf_get_order(&v, &rec, &h) == CL_OK);
	CHECK_MSG(rec.sequence == R.ref.all[i].seq, FAIL_CTX "sequence",
		  CTX);
	R.ref.all[i].status = CL_ORDER_OPEN;
	ref_sync(&R.ref, i, &rec);
	if (rec.status == CL_ORDER_OPEN)
		ref_rest_add(&R.ref, i); /* ref_sync saw it open already */
	for (size_t k = 0; k < n_cand; k++) {
		CHECK(cl_stf_get_order(&v, &rec, &R.ref.all[cand[k]].h) ==
		      CL_OK);
		ref_sync(&R.ref, cand[k], &rec);
	}
	check_place_structure(i, &res, cand, n_cand);
	R.ref.all[i].reason = res.done_reason;
	stat_outcome(&R.ref.all[i], res.n_fills);
	free(cand);
}

static void do_cancel(int t)
{
	bool authorized, by_seq = chance(40);
	size_t i;
	int want;
	struct cl_stf_result res;

	if (R.ref.n_rest > 0 && chance(80))
		i = R.ref.rest[rnd(R.ref.n_rest)];
	else if (R.ref.n_all > 0)
		i = R.ref.n_all - 1 - rnd(R.ref.n_all < 50 ? R.ref.n_all : 50);
	else
		return;
	struct ref_order *o = &R.ref.all[i];
	t = o->trader;
	int signer = signer_for(t, &authorized);
	if (!authorized && R.mode == M_LIQ)
		signer = t, authorized = true;
	struct cl_tx tx = t_cancel(&R.e, &R.e.addr[t], &o->h,
				   R.e.key[signer]);
	if (by_seq) {
		memset(tx.u.cancel.msg.order_hash.b, 0, 32);
		tx.u.cancel.order_seq = o->seq;
		R.n_by_seq++;
	}
	if (o->status == CL_ORDER_OPEN)
		want = authorized ? CL_STF_OK : CL_STF_ERR_NOT_AUTHORIZED;
	else
		want = by_seq ? CL_STF_ERR_UNKNOWN_ORDER
			      : authorized ? CL_STF_ERR_ORDER_NOT_OPEN
					   : CL_STF_ERR_NOT_AUTHORIZED;
	int rc = issue(tx, by_seq, &res);
	expect_rc(rc, want, by_seq ? "cancel by sequence" : "cancel");
	if (rc != CL_STF_OK || want != CL_STF_OK)
		return;
	ref_cancel(&R.ref, i);
	CHECK_MSG(cl_hash32_eq(&res.order_hash, &o->h) &&
			  res.status == CL_ORDER_CANCELLED &&
			  res.filled == o->filled,
		  FAIL_CTX "cancel result", CTX);
	check_record(i);
}

static void do_oracle(int mi)
{
	uint64_t p, ps[3], ts[3];
	struct cl_tx tx;
	struct cl_stf_result res;
	uint64_t before = cl_stf_block_derived(R.e.stf);

	if (R.oracle_done[mi])
		return;
	R.oracle_done[mi] = true;
	/* the mid walks; the liquidation stream also jumps */
	int64_t move = (int64_t)rnd(9) - 4;
	int64_t m = (int64_t)R.mid[mi];
	if (R.mode == M_LIQ) {
		int64_t ppm = (int64_t)rnd(10001) - 5000; /* +-0.5 % */
		if (chance(10)) {
			ppm = 30000 + (int64_t)rnd(120001); /* 3..15 % */
			if (chance(50))
				ppm = -ppm;
			R.n_sharp++;
		}
		m += m * ppm / 1000000;
	} else {
		m += move * (int64_t)unit[mi];
	}
	if (m < (int64_t)(start_mid[mi] / 4))
		m = (int64_t)(start_mid[mi] / 4);
	if (m > (int64_t)(start_mid[mi] * 4))
		m = (int64_t)(start_mid[mi] * 4);
	p = (uint64_t)m - (uint64_t)m % tick[mi];
	R.mid[mi] = p;
	for (int i = 0; i < 3; i++) {
		ps[i] = p;
		ts[i] = now_s();
	}
	if (chance(50))
		tx = t_oracle_update(&R.e, mkt_id[mi], ps, ts, R.e.okey, 3);
	else
		tx = t_oracle(&R.e, mkt_id[mi], p, now_s(), R.e.okey, 2);
	int rc = issue(tx, false, &res);
	expect_rc(rc, CL_STF_OK, "oracle");
	if (rc)
		return;
	CHECK_MSG(res.mark_price == p, FAIL_CTX "mark %llu, price %llu", CTX,
		  (unsigned long long)res.mark_price, (unsigned long long)p);
	if (R.mode == M_MATCH) {
		/* nobody is near maintenance: nothing derived */
		CHECK_MSG(cl_stf_block_derived(R.e.stf) == before + 1,
			  FAIL_CTX "oracle derived %llu steps", CTX,
			  (unsigned long long)(cl_stf_block_derived(R.e.stf) -
					       before));
		return;
	}
	sync_resting();
	for (int t = 0; t < N_TRADERS; t++)
		check_not_liquidatable(t, mi);
}

static void do_deposit(int t, uint64_t amount)
{
	struct cl_stf_result res;
	int rc = issue(t_deposit(R.e.next_deposit, &R.e.addr[t], amount),
		       false, &res);

	expect_rc(rc, CL_STF_OK, "deposit");
	if (rc == CL_STF_OK) {
		R.e.next_deposit++;
		R.net_in += amount;
	}
}

static void do_withdraw(int t)
{
	struct cl_stf_result res;
	uint64_t amount = (1 + rnd(1000)) * T_USD;
	bool bad = chance(5);
	uint64_t nonce = R.nonce[t] + (bad ? 1 + rnd(3) : 0);

	if (R.mode == M_LIQ && t >= N_MAKERS)
		return;
	int rc = issue(t_withdraw(&R.e, &R.e.addr[t], &R.e.addr[t], amount,
				  nonce, R.e.key[t]),
		       false, &res);
	expect_rc(rc, bad ? CL_STF_ERR_BAD_NONCE : CL_STF_OK, "withdraw");
	if (rc != CL_STF_OK)
		return;
	R.nonce[t]++;
	R.net_in -= amount;
	CHECK_MSG(res.withdrawal_id == R.next_wid, FAIL_CTX "withdrawal id",
		  CTX);
	R.next_wid++;
}

static void do_approve(int t)
{
	struct cl_stf_result res;
	uint64_t expiry = chance(20) ? 0 : now_s() + 5 + rnd(120);

	if (t >= N_AGENTS)
		return;
	int rc = issue(t_approve(&R.e, &R.e.addr[t], &R.e.addr[12 + t],
				 expiry, R.nonce[t], R.e.key[t]),
		       false, &res);
	expect_rc(rc, CL_STF_OK, "approve");
	if (rc != CL_STF_OK)
		return;
	R.nonce[t]++;
	R.agent_exp[t] = expiry;
}

static void one_request(void)
{
	int t = (int)rnd(N_TRADERS);
	unsigned r = (unsigned)rnd(1000);

	if (R.mode == M_LIQ && chance(60))
		t = (int)rnd(N_MAKERS); /* keep the book deep */
	if (r < 700)
		do_place(t);
	else if (r < 880)
		do_cancel(t);
	else if (r < 940)
		do_oracle((int)rnd(3));
	else if (r < 960)
		do_withdraw(t);
	else if (r < 980)
		do_approve(t);
	else
		do_deposit(t, (1 + rnd(100000)) * T_USD);
	check_books(); /* all six sides, whatever the request */
}

/* ---- a stream ---- */

static void tweak_match(struct cl_genesis *g)
{
	for (uint32_t i = 0; i < g->n_markets; i++)
		g->markets[i].oi_cap = INT64_MAX / 2;
}

static void tweak_liq(struct cl_genesis *g)
{
	tweak_match(g);
	for (uint32_t i = 0; i < g->n_markets; i++) {
		g->markets[i].risk.liq_slice_ppm = 250000;
		g->markets[i].risk.liq_fee_ppm = 5000;
	}
}

static void run_stream(enum mode mode, const char *name,
		       uint64_t n_requests)
{
	struct cl_stf_view v;
	struct cl_stf_globals g;

	memset(&R, 0, sizeof(R));
	R.mode = mode;
	R.name = name;
	R.lv = cl_xcalloc(MAX_LEVELS + 1, sizeof(*R.lv));
	R.rl = cl_xcalloc(MAX_LEVELS + 1, sizeof(*R.rl));
	cl_buf_init(&R.log);
	ref_init(&R.ref);
	tenv_init_with(&R.e, cl_state_new_memory(),
		       mode == M_MATCH ? tweak_match : tweak_liq);
	R.genesis_root = R.e.root;
	v = tenv_view(&R.e);
	CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
	R.next_wid = g.next_withdrawal_id;
	R.e.next_deposit = g.next_deposit_id;
	memcpy(R.mid, start_mid, sizeof(R.mid));

	open_block(1000);
	for (int t = 0; t < N_TRADERS; t++) {
		uint64_t usd = 1000000000; /* no fill can exhaust it */
		if (mode == M_LIQ)
			usd = t < N_MAKERS ? 50000000 : 20000 + rnd(40000);
		do_deposit(t, usd * T_USD);
	}
	for (int t = 0; t < N_AGENTS; t++)
		do_approve(t);
	for (int mi = 0; mi < 3; mi++)
		do_oracle(mi);

	while (R.req_no < n_requests && !failing()) {
		if (R.block_left == 0) {
			uint64_t adv = 1000 + rnd(2000);
			if (chance(3))
				adv = 10000 + rnd(30000); /* many expire */
			open_block(adv);
			R.block_left = 1 + rnd(80);
		}
		R.block_left--;
		one_request();
	}
	end_block();
	if (mode == M_LIQ) {
		/* the derivation did liquidate */
		for (int t = 0; t < N_TRADERS; t++) {
			struct cl_stf_event ev[64];
			uint64_t from = 0;
			size_t n;
			v = tenv_view(&R.e);
			do {
				CHECK(cl_stf_get_events(&v, ev, 64, &n,
							&R.e.addr[t], from) ==
				      CL_OK);
				R.n_liq_events += n;
				if (n)
					from = ev[n - 1].seq + 1;
			} while (n == 64);
		}
		if (n_requests >= 5000)
			CHECK_MSG(R.n_liq_events > 0, "no liquidation in %llu "
				  "requests", (unsigned long long)n_requests);
	}
	printf("%s: %llu requests (%llu accepted, %llu refused) in %zu "
	       "blocks; %llu fills; closed: %llu expired, %llu self-trade, "
	       "%llu fok, %llu post-only, %llu ioc, %llu margin; %llu "
	       "cancels by sequence; %llu sharp moves, %llu risk events, "
	       "%llu checks with work pending, %llu accounts in several "
	       "markets left to the block opening\n",
	       R.name, (unsigned long long)R.req_no,
	       (unsigned long long)R.n_ok, (unsigned long long)R.n_rej,
	       R.n_blk, (unsigned long long)R.n_fill_total,
	       (unsigned long long)R.n_expired, (unsigned long long)R.n_self,
	       (unsigned long long)R.n_fok, (unsigned long long)R.n_post,
	       (unsigned long long)R.n_ioc,
	       (unsigned long long)R.n_margin_done,
	       (unsigned long long)R.n_by_seq,
	       (unsigned long long)R.n_sharp,
	       (unsigned long long)R.n_liq_events,
	       (unsigned long long)R.n_pending,
	       (unsigned long long)R.n_multi_left);
	printf("%s: refused:", R.name);
	for (int c = 0; c < 64; c++)
		if (R.by_code[c])
			printf(" %s %llu,", cl_stf_err_str(c),
			       (unsigned long long)R.by_code[c]);
	printf("\n");
}

/* ---- replay ---- */

static void check_replayed(const struct logent *l,
			   const struct cl_stf_result *res, size_t k)
{
	bool same = res->status == l->status && res->filled == l->filled &&
		    res->done_reason == l->reason &&
		    res->withdrawal_id == l->wid &&
		    res->mark_price == l->mark && res->n_fills == l->n_fills;

	for (size_t f = 0; same && f < l->n_fills; f++) {
		const struct cl_stf_fill *a = &res->fills[f];
		const struct cl_stf_fill *b = &R.fills[l->fill0 + f];
		same = cl_hash32_eq(&a->maker, &b->maker) &&
		       cl_address_eq(&a->maker_owner, &b->maker_owner) &&
		       a->price == b->price && a->size == b->size;
	}
	CHECK_MSG(same, "%s replay: request %zu differs", R.name, k);
}

/* Replay the log on `st` (fresh); a new stf every `rebuild` blocks. */
static void replay(struct cl_state *st, unsigned rebuild, const char *what)
{
	struct cl_stf *s;
	struct cl_hash32 root;
	size_t diverged = 0;
	uint64_t t0 = cl_clock_mono_ns();

	CHECK(cl_stf_new(&s, st, &R.e.g) == CL_OK);
	CHECK(cl_stf_genesis_init(s) == CL_OK);
	CHECK(cl_state_commit_block(st, &root) == CL_OK);
	CHECK(cl_hash32_eq(&root, &R.genesis_root));
	for (size_t b = 0; b < R.n_blk && diverged < 3; b++) {
		const struct blkrec *br = &R.blk[b];
		if (rebuild && b > 0 && b % rebuild == 0) {
			cl_stf_free(s);
			CHECK(cl_stf_new(&s, st, &R.e.g) == CL_OK);
		}
		int rc = cl_stf_open_block(s, &br->h);
		CHECK_MSG(rc == CL_STF_OK, "%s replay (%s): block %zu: %d",
			  R.name, what, b, rc);
		for (size_t k = br->first; k < br->first + br->count; k++) {
			const struct logent *l = &R.ent[k];
			struct cl_stf_result res;
			struct cl_tx tx;
			CHECK(cl_tx_decode(&tx, R.log.p + l->off, l->len));
			if (l->by_seq)
				tx.u.cancel.order_seq = l->seq;
			else
				cl_tx_recover(&tx, cl_stf_domain(s));
			rc = cl_stf_request(s, &res, &tx);
			CHECK_MSG(rc == CL_STF_OK, "%s replay (%s): request "
				  "%zu refused: %d (%s)", R.name, what, k, rc,
				  cl_stf_err_str(rc));
			check_replayed(l, &res, k);
		}
		cl_stf_end_block(s);
		CHECK(cl_state_commit_block(st, &root) == CL_OK);
		if (!cl_hash32_eq(&root, &br->root)) {
			CHECK_MSG(false, "%s replay (%s): root of block %llu "
				  "differs", R.name, what,
				  (unsigned long long)br->h.number);
			diverged++;
		}
	}
	cl_stf_free(s);
	printf("%s: replayed %zu blocks on %s (a new stf every %u blocks) in "
	       "%.1f s\n", R.name, R.n_blk, what, rebuild,
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
}

static void release_stream(void)
{
	tenv_release(&R.e);
	ref_release(&R.ref);
	cl_buf_release(&R.log);
	free(R.ent);
	free(R.fills);
	free(R.blk);
	free(R.lv);
	free(R.rl);
}

/*
 * Run a stream, then replay it: the match stream on the memory backend,
 * the liquidation stream on LMDB (each replay is about as long as the
 * run; one backend each keeps the test within its time), both with a new
 * stf every REBUILD_EVERY blocks (a restart: the books are rebuilt from
 * the committed state).
 */
static void stream(enum mode mode, const char *name, uint64_t n)
{
	struct t_lmdb l;
	struct cl_state *st;
	uint64_t t0 = cl_clock_mono_ns();

	run_stream(mode, name, n);
	printf("%s: run in %.1f s\n", R.name,
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
	if (failing()) {
		release_stream();
		return;
	}
	/* a short stream still restarts a few times */
	unsigned every = R.n_blk / 3 < REBUILD_EVERY ? (unsigned)R.n_blk / 3
						     : REBUILD_EVERY;
	if (every == 0)
		every = 1;
	if (mode == M_MATCH) {
		st = cl_state_new_memory();
		replay(st, every, "memory");
		cl_state_free(st);
	} else {
		st = t_lmdb_open(&l);
		if (st) {
			replay(st, every, "lmdb");
			cl_state_free(st);
			t_lmdb_close(&l);
		}
	}
	release_stream();
}

int main(void)
{
	const char *env = getenv("CL_TEST_REQUESTS");
	uint64_t total = env ? strtoull(env, NULL, 0) : 100000;
	uint64_t t0 = cl_clock_mono_ns();
	char name[32];

	test_seed();
	risk_buf = cl_xcalloc(1, sizeof(*risk_buf));
	printf("requests: CL_TEST_REQUESTS=%llu\n", (unsigned long long)total);
	/* independent streams (a fresh chain each), three of every five
	 * matching ones */
	/* a short run still has both kinds */
	uint64_t per = total >= 2 * STREAM_REQUESTS ? STREAM_REQUESTS
						    : (total + 1) / 2;
	for (unsigned i = 0; total > 0 && !failing(); i++) {
		uint64_t n = total < per ? total : per;
		enum mode m = i % 5 == 1 || i % 5 == 3 ? M_LIQ : M_MATCH;
		snprintf(name, sizeof(name), "%s#%u",
			 m == M_MATCH ? "match" : "liquidation", i);
		stream(m, name, n);
		total -= n;
	}
	printf("all streams in %.1f s\n",
	       (double)(cl_clock_mono_ns() - t0) / 1e9);
	free(risk_buf);
	return test_done("test_engine_prop");
}
