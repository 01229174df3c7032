/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets leaving an account (docs/margin.md "Collateral
 * assets", "Taking an asset out"): ASSET_WITHDRAW and
 * SUBACCOUNT_ASSET_TRANSFER on the memory backend and on LMDB.
 *  - ASSET_WITHDRAW's refusals (signature, agent, derived account,
 *    nonce, asset, amount, recipient, balance), each leaving the root
 *    unchanged;
 *  - the leaf it writes is the one ClearlineAssets.claimAssetWithdrawal
 *    hashes (recipient ‖ amount ‖ asset, 32 bytes, keccak256 as the
 *    value hash) and proves against the root; the settlement and asset
 *    withdrawals share one id sequence;
 *  - the worked example of docs/margin.md to the atom: the initial
 *    margin with open orders counted caps what leaves; a negative
 *    settlement balance keeps every asset in;
 *  - SUBACCOUNT_ASSET_TRANSFER: owner or agent, the same rules on the
 *    source subaccount, the balances conserved;
 *  - the same root on memory and on LMDB.
 */
#include "collateral_util.h"

#define ETH_P(usd) ((uint64_t)(usd)*100)
#define ETH_SZ(eth) ((uint64_t)(eth)*10000)

static int req(struct tenv *e, struct cl_stf_result *r, struct cl_tx tx)
{
	struct cl_buf b;
	struct cl_tx dec;

	/* through the canonical encoding, as a block carries it */
	cl_buf_init(&b);
	cl_tx_encode(&b, &tx);
	CHECK(b.len == cl_tx_encoded_len(&tx));
	CHECK(cl_tx_decode(&dec, b.p, b.len));
	cl_buf_release(&b);
	cl_tx_recover(&dec, cl_stf_domain(e->stf));
	return cl_stf_request(e->stf, r, &dec);
}

/* Refused with `code`, and the state root is what it was. */
#define REFUSED(e, tx, code)                                               \
	do {                                                               \
		struct cl_stf_result r_;                                   \
		struct cl_hash32 before_;                                  \
		t_commit(e);                                               \
		before_ = (e)->root;                                       \
		int rc_ = req((e), &r_, (tx));                             \
		CHECK_MSG(rc_ == (code), "want %d (%s), got %d (%s)",      \
			  (int)(code), cl_stf_err_str(code), rc_,          \
			  cl_stf_err_str(rc_));                            \
		t_commit(e);                                               \
		CHECK_MSG(memcmp(before_.b, (e)->root.b, 32) == 0,         \
			  "root changed by a refused tx");                 \
	} while (0)

#define ACCEPTED(e, tx)                                                    \
	do {                                                               \
		struct cl_stf_result r_;                                   \
		int rc_ = req((e), &r_, (tx));                             \
		CHECK_MSG(rc_ == CL_STF_OK, "want ok, got %d (%s)", rc_,   \
			  cl_stf_err_str(rc_));                            \
	} while (0)

static int64_t teth(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
	size_t n;
	int64_t total;

	CHECK(cl_stf_get_collateral(&v, ab, &n, &total, a) == CL_OK && n == 1);
	return ab[0].balance;
}

static struct cl_health health(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_health h;

	CHECK(cl_stf_get_health(&v, &h, a) == CL_OK);
	return h;
}

static uint64_t nonce_of(struct tenv *e, const struct cl_address *a)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	int rc = cl_stf_get_account(&v, &acc, a);

	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	return rc == CL_OK ? acc.nonce : 0;
}

/* Every tETH atom deposited is held by an account or was withdrawn. */
static void teth_conserved(struct tenv *e, const char *where,
			   int64_t deposited, int64_t withdrawn)
{
	struct cl_state_iter *it;
	const uint8_t *key, *val;
	size_t klen, vlen;
	__int128 sum = 0;

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_ASSET_BALANCES, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &key, &klen, &val, &vlen) == CL_OK) {
		CHECK(klen == 24 && vlen == 8 && cl_get_be32(key) == T_TETH);
		sum += (int64_t)cl_get_be64(val);
	}
	cl_state_iter_free(it);
	CHECK_MSG(sum + withdrawn == deposited,
		  "%s: tETH held %lld + withdrawn %lld, deposited %lld", where,
		  (long long)sum, (long long)withdrawn, (long long)deposited);
}

/* Withdrawal `id` is the asset leaf (to, amount, asset), and it proves
 * against the committed root as ClearlineAssets checks it: value hash
 * keccak256(recipient ‖ uint64 amount ‖ uint32 asset). */
static void check_asset_leaf(struct tenv *e, uint64_t id,
			     const struct cl_address *to, uint64_t amount,
			     uint32_t asset)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_stf_withdrawal w;
	struct cl_address r;
	uint64_t a;
	uint8_t key[CL_STF_WITHDRAWAL_KEY_LEN], want[32], got[32];
	const uint8_t *val;
	size_t vlen;

	CHECK(cl_stf_get_withdrawal_leaf(&v, &w, id) == CL_OK);
	CHECK(w.asset == asset && w.amount == amount &&
	      memcmp(w.recipient.b, to->b, 20) == 0);
	/* not a settlement withdrawal */
	CHECK(cl_stf_get_withdrawal(&v, &r, &a, id) == CL_ERR_NOT_FOUND);
	memcpy(want, to->b, 20);
	cl_put_be64(want + 20, amount);
	cl_put_be32(want + 28, asset);
	CHECK(cl_stf_withdrawal_value(got, &w) == 32);
	CHECK(memcmp(got, want, 32) == 0);
	cl_stf_withdrawal_key(key, id);
	CHECK(cl_state_get(e->st, &val, &vlen, CL_TABLE_WITHDRAWALS, key,
			   sizeof(key)) == CL_OK);
	CHECK(vlen == 32 && memcmp(val, want, 32) == 0);

	struct cl_proof *proof = cl_xmalloc(sizeof(*proof));
	struct cl_hash32 path, vh, kh;
	t_commit(e);
	CHECK(cl_state_prove(e->st, proof, CL_TABLE_WITHDRAWALS, key,
			     sizeof(key)) == CL_OK);
	cl_smt_path(&path, CL_TABLE_WITHDRAWALS, key, sizeof(key));
	cl_smt_value_hash(&vh, want, sizeof(want));
	cl_keccak256(kh.b, want, sizeof(want));
	CHECK(memcmp(vh.b, kh.b, 32) == 0);
	CHECK(cl_proof_verify_inclusion(proof, &e->root, &path, &vh));
	free(proof);
}

/*
 * The worked example of docs/margin.md "Taking an asset out". tETH as in
 * "Haircut value" (10 % up to 100 tETH), ETH-PERP 5 % IM, taker fee
 * 3 bps, the hedge book deep enough for no thin-book term.
 */
static struct cl_hash32 test_withdraw(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_address *mk = &e.addr[1], *dana = &e.addr[2];
	struct cl_address *erin = &e.addr[3], *agent = &e.addr[4];
	struct cl_address *rcpt = &e.addr[5];
	struct cl_seckey *dk;
	const int64_t teth_in = 20 * ETH_ATOMS;
	int64_t out = 0;
	struct cl_hash32 root;

	tenv_init_with(&e, st, add_teth);
	dk = e.key[2];
	t_open_next(&e, 1000);
	ACCEPTED(&e, t_deposit(0, mk, 1000000 * T_USD));
	ACCEPTED(&e, asset_deposit(0, T_TETH, dana, 10 * ETH_ATOMS));
	ACCEPTED(&e, asset_deposit(1, T_TETH, erin, 10 * ETH_ATOMS));
	CHECK(t_oracle_all(&e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	/* the hedge book: $149,500 of bids within 2 % of the mark */
	struct cl_order eb = t_order(mk, T_ETH, true, ETH_P(2990), ETH_SZ(50),
				     e.order_nonce++, tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &eb, e.key[1])) == CL_STF_OK);
	ACCEPTED(&e, t_approve(&e, dana, agent, tenv_now(&e) + 86400, 0, dk));

	/* block 2: the depth is measured, 10 tETH are worth $27,000 */
	t_open_next(&e, 1000);
	CHECK(health(&e, dana).collateral == 27000 * T_USD);

	/* 1. the refusals, each leaving the root as it was */
	uint64_t n = nonce_of(&e, dana);
	CHECK(n == 1); /* the approval took nonce 0 */
	struct cl_address sub1;
	cl_stf_subaccount_account(&sub1, dana, 1);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n,
				     e.key[4]),
		CL_STF_ERR_NOT_AUTHORIZED); /* an agent: no */
	REFUSED(&e, t_asset_withdraw(&e, &sub1, rcpt, T_TETH, ETH_ATOMS, 0,
				     dk),
		CL_STF_ERR_NOT_AUTHORIZED); /* a subaccount: nobody's key */
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n + 1,
				     dk),
		CL_STF_ERR_BAD_NONCE);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, 7, ETH_ATOMS, n, dk),
		CL_STF_ERR_UNKNOWN_ASSET);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, 0, ETH_ATOMS, n, dk),
		CL_STF_ERR_UNKNOWN_ASSET); /* 0 is the settlement asset */
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 0, n, dk),
		CL_STF_ERR_BAD_AMOUNT);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH,
				     (uint64_t)INT64_MAX + 1, n, dk),
		CL_STF_ERR_BAD_AMOUNT);
	static const struct cl_address zero;
	REFUSED(&e, t_asset_withdraw(&e, dana, &zero, T_TETH, ETH_ATOMS, n,
				     dk),
		CL_STF_ERR_BAD_RECIPIENT);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH,
				     10 * ETH_ATOMS + 1, n, dk),
		CL_STF_ERR_INSUFFICIENT_ASSET);
	struct cl_tx bad = t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS,
					    n, dk);
	bad.u.asset_withdraw.sig.b[64] = 29; /* v neither 27 nor 28 */
	REFUSED(&e, bad, CL_STF_ERR_BAD_SIGNATURE);
	/* a signature over another asset is someone else's */
	bad = t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n, dk);
	bad.u.asset_withdraw.msg.asset = 2;
	REFUSED(&e, bad, CL_STF_ERR_NOT_AUTHORIZED);

	/* 2. Dana withdraws 1 tETH: withdrawal 0, the asset leaf */
	CHECK(req(&e, &r, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS,
					   n, dk)) == CL_STF_OK);
	CHECK(r.withdrawal_id == 0);
	out += ETH_ATOMS;
	CHECK(teth(&e, dana) == 9 * ETH_ATOMS);
	CHECK(nonce_of(&e, dana) == n + 1);
	CHECK(health(&e, dana).collateral == 24300 * T_USD);
	check_asset_leaf(&e, 0, rcpt, ETH_ATOMS, T_TETH);
	/* the same one again: the nonce is spent */
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n, dk),
		CL_STF_ERR_BAD_NONCE);
	n++;
	/* $1,000 in, $100 out as a settlement withdrawal: id 1, the same
	 * sequence, its own 28-byte leaf */
	ACCEPTED(&e, t_deposit(1, dana, 1000 * T_USD));
	CHECK(req(&e, &r, t_withdraw(&e, dana, rcpt, 100 * T_USD, n, dk)) ==
	      CL_STF_OK);
	CHECK(r.withdrawal_id == 1);
	n++;
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_stf_withdrawal w;
		CHECK(cl_stf_get_withdrawal_leaf(&v, &w, 1) == CL_OK);
		CHECK(w.asset == 0 && w.amount == 100 * T_USD);
		uint8_t val[32];
		CHECK(cl_stf_withdrawal_value(val, &w) == 28);
	}

	/* 3. Dana buys 100 ETH at $3,000 (IOC): fee $90, IM $15,000;
	 * collateral $810 + 9 x $2,700 = $25,110 */
	struct cl_order ask = t_order(mk, T_ETH, false, ETH_P(3000),
				      ETH_SZ(101), e.order_nonce++,
				      tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &ask, e.key[1])) == CL_STF_OK);
	struct cl_order buy = t_order(
		dana, T_ETH, true, ETH_P(3000), ETH_SZ(100), e.order_nonce++,
		tenv_now(&e) + 86400,
		(uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT));
	CHECK(req(&e, &r, t_place(&e, &buy, dk)) == CL_STF_OK &&
	      r.filled == ETH_SZ(100));
	struct cl_health h = health(&e, dana);
	CHECK(h.collateral == 25110 * T_USD && h.asset_value == 24300 * T_USD);
	CHECK(h.im == 15000 * T_USD && h.upnl == 0);
	CHECK(margin_asset_withdrawable(&h) == 10110 * T_USD);

	/* 4. a resting bid for 20 ETH at $2,900: IM_orders = IM(120 ETH)
	 * = $18,000, so $7,110 may leave: 3 tETH ($8,100) no, 2 yes */
	struct cl_order bid = t_order(dana, T_ETH, true, ETH_P(2900),
				      ETH_SZ(20), e.order_nonce++,
				      tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &bid, dk)) == CL_STF_OK);
	struct cl_hash32 bid_hash = r.order_hash;
	h = health(&e, dana);
	CHECK(h.order_im == 18000 * T_USD);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 3 * ETH_ATOMS, n,
				     dk),
		CL_STF_ERR_ASSET_MARGIN);
	ACCEPTED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 2 * ETH_ATOMS,
				      n, dk));
	n++;
	out += 2 * ETH_ATOMS;
	check_asset_leaf(&e, 2, rcpt, 2 * ETH_ATOMS, T_TETH);
	/* 7 tETH, $18,900: collateral $19,710 */
	CHECK(health(&e, dana).collateral == 19710 * T_USD);

	/* 5. the bid cancelled: $4,710 may leave, 2 tETH ($5,400) no, one
	 * ($2,700) yes; then $2,010, less than one more */
	ACCEPTED(&e, t_cancel(&e, dana, &bid_hash, dk));
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 2 * ETH_ATOMS, n,
				     dk),
		CL_STF_ERR_ASSET_MARGIN);
	ACCEPTED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n,
				      dk));
	n++;
	out += ETH_ATOMS;
	h = health(&e, dana);
	CHECK(h.collateral == 17010 * T_USD);
	CHECK(margin_asset_withdrawable(&h) == 2010 * T_USD);
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, ETH_ATOMS, n, dk),
		CL_STF_ERR_ASSET_MARGIN);
	/* what a value of $2,010 allows: 2,010 / 2,700 of a tETH, 744 444
	 * 444 atoms ($2,009.99 ...) yes, one atom more no */
	REFUSED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 744444445, n,
				     dk),
		CL_STF_ERR_ASSET_MARGIN);
	ACCEPTED(&e, t_asset_withdraw(&e, dana, rcpt, T_TETH, 744444444, n,
				      dk));
	n++;
	out += 744444444;

	/* 6. Erin, only tETH, buys 1 ETH: fee $0.90 from a settlement
	 * balance of 0. Her margin is ample, but the debt comes first */
	struct cl_order ebuy = t_order(
		erin, T_ETH, true, ETH_P(3000), ETH_SZ(1), e.order_nonce++,
		tenv_now(&e) + 86400,
		(uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT));
	CHECK(req(&e, &r, t_place(&e, &ebuy, e.key[3])) == CL_STF_OK &&
	      r.filled == ETH_SZ(1));
	h = health(&e, erin);
	CHECK(h.collateral - h.asset_value == -900000); /* -$0.90 */
	CHECK(margin_asset_withdrawable(&h) > 20000 * T_USD);
	REFUSED(&e, t_asset_withdraw(&e, erin, erin, T_TETH, 1, 0, e.key[3]),
		CL_STF_ERR_ASSET_COVERS_DEBT);
	ACCEPTED(&e, t_deposit(2, erin, 1 * T_USD));
	ACCEPTED(&e, t_asset_withdraw(&e, erin, erin, T_TETH, ETH_ATOMS, 0,
				      e.key[3]));
	out += ETH_ATOMS;
	teth_conserved(&e, "withdrawals", teth_in, out);
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_stf_globals g;
		CHECK(cl_stf_get_globals(&v, &g) == CL_OK);
		CHECK(g.next_withdrawal_id == 6);
	}
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	root = e.root;
	tenv_release(&e);
	return root;
}

/* A signed SUBACCOUNT_TRANSFER of the settlement asset. */
static struct cl_tx sub_usd(struct tenv *e, const struct cl_address *trader,
			    uint32_t from, uint32_t to, uint64_t amount,
			    uint64_t nonce, const struct cl_seckey *k)
{
	struct cl_tx tx = {.type = CL_TX_SUBACCOUNT_TRANSFER};
	struct cl_subaccount_transfer *m = &tx.u.subaccount_transfer.msg;
	struct cl_hash32 d;

	m->trader = *trader;
	m->from = from;
	m->to = to;
	m->amount = amount;
	m->nonce = nonce;
	cl_subaccount_transfer_digest(&d, cl_stf_domain(e->stf), m);
	t_sign(&tx.u.subaccount_transfer.sig, k, &d);
	return tx;
}

/*
 * SUBACCOUNT_ASSET_TRANSFER (docs/margin.md "Taking an asset out",
 * subaccounts): Gus holds 10 tETH in subaccount 0.
 */
static struct cl_hash32 test_transfer(struct cl_state *st)
{
	struct tenv e;
	struct cl_stf_result r;
	struct cl_address *mk = &e.addr[1], *gus = &e.addr[6];
	struct cl_address *agent = &e.addr[7], s1, s2;
	struct cl_seckey *gk;
	struct cl_hash32 root;

	tenv_init_with(&e, st, add_teth);
	gk = e.key[6];
	cl_stf_subaccount_account(&s1, gus, 1);
	cl_stf_subaccount_account(&s2, gus, 2);
	t_open_next(&e, 1000);
	ACCEPTED(&e, t_deposit(0, mk, 1000000 * T_USD));
	ACCEPTED(&e, asset_deposit(0, T_TETH, gus, 10 * ETH_ATOMS));
	CHECK(t_oracle_all(&e, T_ETH, ETH_P(3000)) == CL_STF_OK);
	struct cl_order eb = t_order(mk, T_ETH, true, ETH_P(2990), ETH_SZ(50),
				     e.order_nonce++, tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &eb, e.key[1])) == CL_STF_OK);
	ACCEPTED(&e, t_approve(&e, gus, agent, tenv_now(&e) + 86400, 0, gk));
	t_open_next(&e, 1000);

	/* 1. the refusals, each leaving the root as it was */
	REFUSED(&e, t_sub_asset(&e, gus, 1, 1, T_TETH, ETH_ATOMS, 1, gk),
		CL_STF_ERR_SAME_SUBACCOUNT);
	REFUSED(&e, t_sub_asset(&e, gus, 0, 1, 7, ETH_ATOMS, 1, gk),
		CL_STF_ERR_UNKNOWN_ASSET);
	REFUSED(&e, t_sub_asset(&e, gus, 0, 1, T_TETH, 0, 1, gk),
		CL_STF_ERR_BAD_AMOUNT);
	REFUSED(&e, t_sub_asset(&e, gus, 0, 1, T_TETH, ETH_ATOMS, 0, gk),
		CL_STF_ERR_BAD_NONCE);
	REFUSED(&e, t_sub_asset(&e, gus, 0, 1, T_TETH, ETH_ATOMS, 1,
				e.key[8]),
		CL_STF_ERR_NOT_AUTHORIZED); /* a stranger */
	REFUSED(&e, t_sub_asset(&e, gus, 0, 1, T_TETH, 10 * ETH_ATOMS + 1, 1,
				gk),
		CL_STF_ERR_INSUFFICIENT_ASSET);
	REFUSED(&e, t_sub_asset(&e, gus, 2, 1, T_TETH, 1, 1, gk),
		CL_STF_ERR_INSUFFICIENT_ASSET); /* 2 holds nothing */

	/* 2. Gus moves 4 tETH to subaccount 1; his agent 1 tETH on to 2 */
	ACCEPTED(&e, t_sub_asset(&e, gus, 0, 1, T_TETH, 4 * ETH_ATOMS, 1, gk));
	ACCEPTED(&e, t_sub_asset(&e, gus, 1, 2, T_TETH, ETH_ATOMS, 2,
				 e.key[7]));
	CHECK(teth(&e, gus) == 6 * ETH_ATOMS && teth(&e, &s1) == 3 * ETH_ATOMS &&
	      teth(&e, &s2) == ETH_ATOMS);
	CHECK(nonce_of(&e, gus) == 3);
	/* a subaccount owns no subaccounts, whoever signs */
	REFUSED(&e, t_sub_asset(&e, &s1, 0, 1, T_TETH, 1, 0, gk),
		CL_STF_ERR_NOT_AUTHORIZED);
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_stf_subaccount subs[4];
		size_t n = 0;
		CHECK(cl_stf_get_subaccounts(&v, subs, 4, &n, gus) == CL_OK);
		CHECK(n == 2 && subs[0].sub == 1 && subs[1].sub == 2);
	}

	/* 3. $100 to subaccount 1, which buys 50 ETH at $3,000: fee $45,
	 * IM $7,500; collateral $55 + 3 x $2,700 = $8,155: $655 may
	 * leave, so 1 tETH ($2,700) no, 0.2 tETH ($540) yes */
	ACCEPTED(&e, t_deposit(1, gus, 100 * T_USD));
	ACCEPTED(&e, sub_usd(&e, gus, 0, 1, 100 * T_USD, 3, gk));
	struct cl_order ask = t_order(mk, T_ETH, false, ETH_P(3000),
				      ETH_SZ(50), e.order_nonce++,
				      tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &ask, e.key[1])) == CL_STF_OK);
	struct cl_order buy = t_order(
		&s1, T_ETH, true, ETH_P(3000), ETH_SZ(50), e.order_nonce++,
		tenv_now(&e) + 86400,
		(uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT));
	CHECK(req(&e, &r, t_place(&e, &buy, gk)) == CL_STF_OK &&
	      r.filled == ETH_SZ(50));
	struct cl_health h = health(&e, &s1);
	CHECK(h.collateral == 8155 * T_USD && h.im == 7500 * T_USD);
	CHECK(margin_asset_withdrawable(&h) == 655 * T_USD);
	REFUSED(&e, t_sub_asset(&e, gus, 1, 0, T_TETH, ETH_ATOMS, 4, gk),
		CL_STF_ERR_ASSET_MARGIN);
	ACCEPTED(&e, t_sub_asset(&e, gus, 1, 0, T_TETH, ETH_ATOMS / 5, 4, gk));
	CHECK(teth(&e, &s1) == 3 * ETH_ATOMS - ETH_ATOMS / 5);
	CHECK(health(&e, &s1).collateral == 7615 * T_USD);
	/* the subaccount cannot withdraw to L1 itself: nobody's key */
	REFUSED(&e, t_asset_withdraw(&e, &s1, gus, T_TETH, 1, 0, gk),
		CL_STF_ERR_NOT_AUTHORIZED);

	/* 4. subaccount 2 goes into debt in the settlement asset: its tETH
	 * stays until the debt is paid */
	struct cl_order ask2 = t_order(mk, T_ETH, false, ETH_P(3000),
				       ETH_SZ(1), e.order_nonce++,
				       tenv_now(&e) + 86400, 0);
	CHECK(req(&e, &r, t_place(&e, &ask2, e.key[1])) == CL_STF_OK);
	struct cl_order buy2 = t_order(
		&s2, T_ETH, true, ETH_P(3000), ETH_SZ(1), e.order_nonce++,
		tenv_now(&e) + 86400,
		(uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT));
	CHECK(req(&e, &r, t_place(&e, &buy2, e.key[7])) == CL_STF_OK &&
	      r.filled == ETH_SZ(1));
	h = health(&e, &s2);
	CHECK(h.collateral - h.asset_value == -900000);
	REFUSED(&e, t_sub_asset(&e, gus, 2, 0, T_TETH, 1, 5, gk),
		CL_STF_ERR_ASSET_COVERS_DEBT);
	teth_conserved(&e, "transfers", 10 * ETH_ATOMS, 0);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);
	root = e.root;
	tenv_release(&e);
	return root;
}

int main(void)
{
	struct t_lmdb l;

	if (cl_crypto_init() != CL_OK)
		return 2;
	struct cl_hash32 mem = test_withdraw(cl_state_new_memory());
	struct cl_hash32 mem2 = test_transfer(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = test_withdraw(st);
		CHECK(memcmp(mem.b, disk.b, 32) == 0);
		t_lmdb_close(&l);
	}
	st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = test_transfer(st);
		CHECK(memcmp(mem2.b, disk.b, 32) == 0);
		t_lmdb_close(&l);
	}
	return test_done("test_asset_out");
}
