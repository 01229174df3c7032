/* SPDX-License-Identifier: MIT */
/*
 * The escape's proofs (cl_stf_exit_proof, cl_stf_escape_proofs;
 * docs/l1.md "Escape") on the memory backend and on LMDB: for accounts
 * with no position, a long and a short in two markets after the mark
 * moved, every proof in the bytes verifies against the committed root
 * (inclusion for the account, an inclusion or an exclusion for each
 * genesis market in order, inclusions for the markets held), the bytes
 * end exactly after the last one, and the equity computed from the
 * proven values by the contract's formula (value rounded down, funding
 * toward +infinity) equals the stf's own (cl_stf_get_health). An account
 * the state does not hold has no exit proof; the GLOBALS proofs verify.
 * With the tETH collateral asset: the asset leaf (inclusion with the
 * balance and the oracle market's record, or exclusion) follows the
 * markets, the equity from the proof is the settlement part of the
 * stf's (health's equity less the assets' haircut value), the asset's
 * value at the proven index is the stf's gross value, and
 * startAssetRefunds' GLOBALS leaf verifies (an exclusion before any
 * asset deposit).
 * The derived addresses of tests/vectors/derived_accounts.json (which
 * the escape contract's test checks its exitDerived() addresses
 * against) are the stf's own.
 */
#include "collateral_util.h"
#include "stf_util.h"

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool ok;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if (!r->ok || r->len - r->off < n) {
		r->ok = false;
		return NULL;
	}
	r->off += n;
	return r->p + r->off - n;
}

/* The next canonical proof; false when short or malformed. */
static bool take_proof(struct rd *r, struct cl_proof *out)
{
	if (!r->ok || r->len - r->off < 3)
		return r->ok = false;
	unsigned kind = r->p[r->off];
	size_t depth = ((size_t)r->p[r->off + 1] << 8) | r->p[r->off + 2];
	size_t n = 3 + 32 * depth + (kind == 2 ? 64 : 0);
	const uint8_t *b = take(r, n);
	return b && cl_proof_decode(out, b, n);
}

static int64_t be64s(const uint8_t *b)
{
	return (int64_t)cl_get_be64(b);
}

static __int128 be128s(const uint8_t *b)
{
	return (__int128)(((unsigned __int128)cl_get_be64(b) << 64) |
			  cl_get_be64(b + 8));
}

/* The contract's equity of one position: value - cost - funding. */
static __int128 position_equity(const uint8_t *pos, const uint8_t *mkt,
				int scale)
{
	__int128 size = be64s(pos), cost = be64s(pos + 8);
	__int128 snap = be128s(pos + 16), index = be128s(mkt + 80);
	unsigned __int128 mark = cl_get_be64(mkt + 16);
	unsigned __int128 abs =
	    size < 0 ? (unsigned __int128)-size : (unsigned __int128)size;
	unsigned __int128 prod = mark * abs, value;

	if (scale >= 0) {
		value = prod;
		for (int i = 0; i < scale; i++)
			value *= 10;
	} else {
		unsigned __int128 d = 1;
		for (int i = 0; i < -scale; i++)
			d *= 10;
		value = prod / d + (size < 0 && prod % d ? 1 : 0);
	}
	__int128 x = size * (index - snap);
	__int128 pay = x / 1000000000 + (x > 0 && x % 1000000000 ? 1 : 0);
	return (size < 0 ? -(__int128)value : (__int128)value) - cost - pay;
}

/* Check the exit proof of `who` against the root; returns the number
 * of positions it proves. */
static size_t check_exit_assets(struct tenv *e, const struct cl_address *who,
				size_t *n_assets, size_t *n_in_debt)
{
	int64_t proven_bal[CL_GENESIS_MAX_ASSETS];
	int64_t proven_value[CL_GENESIS_MAX_ASSETS];
	struct cl_stf_view v = tenv_view(e);
	struct cl_proof *p = cl_xcalloc(1, sizeof(*p));
	struct cl_hash32 path, vh;
	struct cl_health h;
	struct cl_buf b;
	size_t n = 0, counted = 99;

	cl_buf_init(&b);
	CHECK(cl_stf_exit_proof(&v, &b, &counted, who) == CL_OK);
	CHECK(cl_stf_get_health(&v, &h, who) == CL_OK);
	struct rd r = {b.p, b.len, 0, true};
	const uint8_t *acct = take(&r, 16);
	CHECK(take_proof(&r, p) && acct);
	if (!r.ok)
		goto out;
	cl_smt_path(&path, CL_TABLE_ACCOUNTS, who->b, 20);
	cl_smt_value_hash(&vh, acct, 16);
	CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
	__int128 equity = be64s(acct);
	for (uint32_t i = 0; i < e->g.n_markets; i++) {
		const struct cl_market_params *m = &e->g.markets[i];
		uint8_t key[24], mkey[4];

		memcpy(key, who->b, 20);
		cl_put_be32(key + 20, m->id);
		cl_put_be32(mkey, m->id);
		cl_smt_path(&path, CL_TABLE_POSITIONS, key, sizeof(key));
		CHECK(take_proof(&r, p));
		if (!r.ok)
			goto out;
		if (p->kind != CL_PROOF_INCLUSION) {
			CHECK(cl_proof_verify_exclusion(p, &e->root, &path));
			continue;
		}
		n++;
		const uint8_t *pos = take(&r, 32), *mkt = take(&r, 192);
		CHECK(pos && mkt);
		if (!r.ok)
			goto out;
		cl_smt_value_hash(&vh, pos, 32);
		CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
		CHECK(take_proof(&r, p));
		if (!r.ok)
			goto out;
		cl_smt_path(&path, CL_TABLE_MARKETS, mkey, sizeof(mkey));
		cl_smt_value_hash(&vh, mkt, 192);
		CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
		int scale = (int)e->g.collateral_decimals - m->price_decimals -
			    m->size_decimals;
		equity += position_equity(pos, mkt, scale);
	}
	for (uint32_t i = 0; i < e->g.n_assets; i++) {
		const struct cl_asset_params *a = &e->g.assets[i];
		struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
		size_t nab;
		int64_t total;
		uint8_t key[24], mkey[4];

		cl_put_be32(key, a->id);
		memcpy(key + 4, who->b, 20);
		cl_put_be32(mkey, a->oracle_market);
		cl_smt_path(&path, CL_TABLE_ASSET_BALANCES, key, sizeof(key));
		CHECK(take_proof(&r, p));
		if (!r.ok)
			goto out;
		if (p->kind != CL_PROOF_INCLUSION) {
			CHECK(cl_proof_verify_exclusion(p, &e->root, &path));
			continue;
		}
		const uint8_t *bal = take(&r, 8), *mkt = take(&r, 192);
		CHECK(bal && mkt);
		if (!r.ok)
			goto out;
		cl_smt_value_hash(&vh, bal, 8);
		CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
		CHECK(take_proof(&r, p));
		if (!r.ok)
			goto out;
		cl_smt_path(&path, CL_TABLE_MARKETS, mkey, sizeof(mkey));
		cl_smt_value_hash(&vh, mkt, 192);
		CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
		/* the contract's value: balance x index (bytes 0..7) x 10^e */
		const struct cl_market_params *om =
		    cl_genesis_market(&e->g, a->oracle_market);
		int scale = (int)e->g.collateral_decimals - om->price_decimals -
			    a->decimals;
		unsigned __int128 value =
		    (unsigned __int128)cl_get_be64(bal) * cl_get_be64(mkt);
		for (int k = 0; k < scale; k++)
			value *= 10;
		for (int k = 0; k < -scale; k++)
			value /= 10;
		CHECK(cl_stf_get_collateral(&v, ab, &nab, &total, who) ==
		      CL_OK);
		CHECK(nab > i && ab[i].asset == a->id &&
		      ab[i].balance == (int64_t)cl_get_be64(bal));
		CHECK_MSG(value == (unsigned __int128)ab[i].gross,
			  "asset value %lld, the stf's gross %lld",
			  (long long)value, (long long)ab[i].gross);
		proven_bal[*n_assets] = (int64_t)cl_get_be64(bal);
		proven_value[*n_assets] = (int64_t)value;
		(*n_assets)++;
	}
	CHECK_MSG(r.off == b.len, "%zu trailing bytes", b.len - r.off);
	/* the escape's equity is the settlement part: the assets are paid
	 * in their own tokens */
	CHECK_MSG(equity == h.equity - h.asset_value,
		  "equity %lld, the stf says %lld (assets %lld)",
		  (long long)equity, (long long)h.equity,
		  (long long)h.asset_value);
	/* what the escape pays of the assets, from the proven numbers */
	struct cl_stf_exit_asset ea[CL_GENESIS_MAX_ASSETS];
	size_t nea = 99;
	int64_t settlement;
	CHECK(cl_stf_exit_assets(&v, ea, &nea, &settlement, who) == CL_OK);
	CHECK(settlement == equity && nea == *n_assets);
	unsigned __int128 vsum = 0;
	for (size_t i = 0; i < nea; i++)
		vsum += (unsigned __int128)proven_value[i];
	for (size_t i = 0; i < nea; i++) {
		unsigned __int128 want = (uint64_t)proven_bal[i];
		if (equity < 0) {
			unsigned __int128 debt = (unsigned __int128)-equity;
			want = vsum <= debt ? 0 : want * (vsum - debt) / vsum;
		}
		CHECK(ea[i].balance == proven_bal[i] &&
		      ea[i].value == proven_value[i] && ea[i].paid == want);
		if (equity < 0)
			(*n_in_debt)++;
	}
	CHECK(counted == n);
out:
	CHECK(r.ok);
	cl_buf_release(&b);
	free(p);
	return n;
}

static size_t check_exit(struct tenv *e, const struct cl_address *who)
{
	size_t n_assets = 0, debt = 0,
	       n = check_exit_assets(e, who, &n_assets, &debt);

	CHECK(n_assets == 0);
	return n;
}

/* startAssetRefunds' leaf: an inclusion of `want`, or an exclusion for
 * a state that never applied an asset deposit. */
static void check_asset_start(struct tenv *e, uint64_t want, bool present)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_proof *p = cl_xcalloc(1, sizeof(*p));
	struct cl_hash32 path, vh;
	struct cl_buf b;
	uint64_t consumed = 99;
	uint8_t be[8];

	cl_buf_init(&b);
	CHECK(cl_stf_escape_asset_proof(&v, &b, &consumed) == CL_OK);
	CHECK(consumed == want);
	CHECK(cl_proof_decode(p, b.p, b.len));
	cl_smt_path(&path, CL_TABLE_GLOBALS,
		    (const uint8_t *)"next_asset_deposit_id", 21);
	if (present) {
		cl_put_be64(be, want);
		cl_smt_value_hash(&vh, be, 8);
		CHECK(cl_proof_verify_inclusion(p, &e->root, &path, &vh));
	} else {
		CHECK(p->kind != CL_PROOF_INCLUSION &&
		      cl_proof_verify_exclusion(p, &e->root, &path));
	}
	cl_buf_release(&b);
	free(p);
}

/* The tETH asset: two holders (one with a position, one in debt after
 * the mark moved), one without. */
static void scenario_assets(void)
{
	struct tenv e;
	struct cl_address *a = e.addr;
	size_t n_assets = 0;

	tenv_init_with(&e, cl_state_new_memory(), add_teth);
	tenv_block(&e, 1000);
	EXPECT_OK(&e, t_deposit(0, &a[1], 100000 * T_USD));
	EXPECT_OK(&e, t_deposit(1, &a[2], 10 * T_USD));
	EXPECT_OK(&e, t_deposit(2, &a[3], 1000 * T_USD));
	EXPECT_OK(&e, asset_deposit(0, T_TETH, &a[1], 3 * ETH_ATOMS));
	EXPECT_OK(&e, asset_deposit(1, T_TETH, &a[2], 2 * ETH_ATOMS + 5));
	CHECK(t_oracle_all(&e, T_BTC, 6000000) == CL_STF_OK);
	CHECK(t_oracle_all(&e, T_ETH, 300000) == CL_STF_OK);
	/* 2 is long 1 ETH on its tETH, from 1 */
	CHECK(t_trade(&e, &a[2], e.key[2], &a[1], e.key[1], T_ETH, 300000,
		      10000) == CL_STF_OK);
	tenv_block(&e, 1000);
	CHECK(t_oracle_all(&e, T_ETH, 290001) == CL_STF_OK);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);

	size_t debt = 0;
	CHECK(check_exit_assets(&e, &a[1], &n_assets, &debt) == 1 &&
	      n_assets == 1 && debt == 0);
	n_assets = 0;
	/* 2's settlement equity is negative after the drop: its debt is
	 * netted against its tETH */
	CHECK(check_exit_assets(&e, &a[2], &n_assets, &debt) == 1 &&
	      n_assets == 1 && debt == 1);
	{
		struct cl_stf_view v = tenv_view(&e);
		struct cl_stf_exit_asset ea[CL_GENESIS_MAX_ASSETS];
		size_t nea;
		int64_t st;
		CHECK(cl_stf_exit_assets(&v, ea, &nea, &st, &a[2]) == CL_OK);
		CHECK_MSG(nea == 1 && st < 0 && ea[0].paid > 0 &&
			      ea[0].paid < (uint64_t)ea[0].balance,
			  "2 owes %lld: paid %llu of %lld", (long long)st,
			  (unsigned long long)ea[0].paid,
			  (long long)ea[0].balance);
	}
	n_assets = 0;
	debt = 0;
	CHECK(check_exit_assets(&e, &a[3], &n_assets, &debt) == 0 &&
	      n_assets == 0);
	check_asset_start(&e, 2, true);
	tenv_release(&e);
}

static struct cl_hash32 scenario(struct cl_state *st)
{
	struct tenv e;
	struct cl_address *a = e.addr;

	tenv_init(&e, st);
	tenv_block(&e, 1000);
	EXPECT_OK(&e, t_deposit(0, &a[1], 100000 * T_USD));
	EXPECT_OK(&e, t_deposit(1, &a[2], 100000 * T_USD));
	EXPECT_OK(&e, t_deposit(2, &a[3], 1000 * T_USD));
	CHECK(t_oracle_all(&e, T_BTC, 6000000) == CL_STF_OK);
	CHECK(t_oracle_all(&e, T_ETH, 300000) == CL_STF_OK);
	/* 0.01 BTC long for 1, 0.1 ETH long for 2 (short 1) */
	CHECK(t_trade(&e, &a[1], e.key[1], &a[2], e.key[2], T_BTC, 6000000,
		      1000) == CL_STF_OK);
	CHECK(t_trade(&e, &a[2], e.key[2], &a[1], e.key[1], T_ETH, 300000,
		      1000) == CL_STF_OK);
	tenv_block(&e, 1000);
	CHECK(t_oracle_all(&e, T_BTC, 6123457) == CL_STF_OK);
	CHECK(t_oracle_all(&e, T_ETH, 290001) == CL_STF_OK);
	cl_stf_end_block(e.stf);
	e.in_block = false;
	t_commit(&e);

	CHECK(check_exit(&e, &a[1]) == 2);
	CHECK(check_exit(&e, &a[2]) == 2);
	CHECK(check_exit(&e, &a[3]) == 0);

	check_asset_start(&e, 0, false);

	/* an account the state does not hold */
	struct cl_stf_view v = tenv_view(&e);
	struct cl_buf b;
	size_t n;
	cl_buf_init(&b);
	CHECK(cl_stf_exit_proof(&v, &b, &n, &a[9]) == CL_ERR_NOT_FOUND);
	CHECK(b.len == 0);

	/* startEscape's two GLOBALS leaves */
	struct cl_buf g, d;
	struct cl_proof *p = cl_xcalloc(1, sizeof(*p));
	struct cl_hash32 path, vh, gh;
	uint64_t consumed = 0;
	uint8_t be[8];
	cl_buf_init(&g);
	cl_buf_init(&d);
	CHECK(cl_stf_escape_proofs(&v, &g, &d, &consumed) == CL_OK);
	CHECK(consumed == 3);
	CHECK(cl_proof_decode(p, g.p, g.len));
	cl_smt_path(&path, CL_TABLE_GLOBALS, (const uint8_t *)"genesis_hash",
		    12);
	cl_genesis_hash(&gh, &e.g);
	cl_smt_value_hash(&vh, gh.b, 32);
	CHECK(cl_proof_verify_inclusion(p, &e.root, &path, &vh));
	CHECK(cl_proof_decode(p, d.p, d.len));
	cl_smt_path(&path, CL_TABLE_GLOBALS, (const uint8_t *)"next_deposit_id",
		    15);
	cl_put_be64(be, 3);
	cl_smt_value_hash(&vh, be, 8);
	CHECK(cl_proof_verify_inclusion(p, &e.root, &path, &vh));
	free(p);
	cl_buf_release(&g);
	cl_buf_release(&d);
	cl_buf_release(&b);

	struct cl_hash32 root = e.root;
	tenv_release(&e);
	return root;
}

/* Every vector's address is cl_stf_isolated_account's (kind 1) or
 * cl_stf_subaccount_account's (kind 2) of its owner and index, or (kind
 * 3) the isolated account of market index of subaccount sub. */
static void derived_vectors(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "derived_accounts.json");
	json_t *vs = json_object_get(root, "vectors"), *v;
	size_t i;

	CHECK(json_array_size(vs) >= 8);
	json_array_foreach(vs, i, v)
	{
		struct cl_address owner, want, got;
		const char *o = json_string_value(json_object_get(v, "owner"));
		const char *a = json_string_value(json_object_get(v, "account"));
		json_int_t kind = json_integer_value(json_object_get(v, "kind"));
		json_int_t index = json_integer_value(json_object_get(v, "index"));

		CHECK(o && a && cl_address_parse(&owner, o, strlen(o)) &&
		      cl_address_parse(&want, a, strlen(a)));
		CHECK(index >= 0 && index <= UINT32_MAX);
		if (kind == CL_STF_ACCOUNT_ISOLATED)
			cl_stf_isolated_account(&got, &owner, (uint32_t)index);
		else if (kind == CL_STF_ACCOUNT_SUBACCOUNT && index > 0)
			cl_stf_subaccount_account(&got, &owner,
						  (uint32_t)index);
		else if (kind == 3) { /* isolated of subaccount `sub` */
			json_int_t sub =
			    json_integer_value(json_object_get(v, "sub"));
			struct cl_address sa;

			CHECK(sub > 0 && sub <= UINT32_MAX);
			cl_stf_subaccount_account(&sa, &owner, (uint32_t)sub);
			cl_stf_isolated_account(&got, &sa, (uint32_t)index);
		}
		else
			CHECK_MSG(false, "vector %zu: kind %lld", i,
				  (long long)kind);
		CHECK_MSG(memcmp(got.b, want.b, 20) == 0, "vector %zu", i);
	}
	json_decref(root);
}

int main(int argc, char **argv)
{
	struct t_lmdb l;

	if (cl_crypto_init() != CL_OK)
		return 2;
	derived_vectors(argc, argv);
	scenario_assets();
	struct cl_hash32 mem = scenario(cl_state_new_memory());
	struct cl_state *st = t_lmdb_open(&l);
	if (st) {
		struct cl_hash32 disk = scenario(st);
		CHECK_MSG(memcmp(mem.b, disk.b, 32) == 0,
			  "memory and lmdb roots differ");
		t_lmdb_close(&l);
	}
	return test_done("test_exit_proof");
}
