/* SPDX-License-Identifier: MIT */
/*
 * Collateral assets in the stf as a VM program (docs/vm.md "The stf as a
 * VM program", docs/margin.md "Collateral assets"): the tETH scenario of
 * tests/unit/stf/test_collateral_stf.c, block by block. For each block
 * the RISC-V program, given only the block and the pre-state's
 * preimages, must write the root the native stf reaches; the native run
 * uses a fresh stf per block (its books rebuilt from the state, as a
 * verifier's), so the depth measured when a block opens, the haircut
 * values, the liquidation and the fund's collateral sale are checked for
 * determinism three ways; a last block takes tETH out (ASSET_WITHDRAW,
 * SUBACCOUNT_ASSET_TRANSFER).
 *
 * argv[1] is the folder of the guest ELF files, or "--no-compiler" when
 * meson found no cross compiler: then this test fails.
 */
#include "stf/collateral_util.h"
#include "vm/stf_guest.h"

#define MAX_REQS 16
#define BTC_P(usd) ((uint64_t)(usd)*100)
#define BTC_SZ(milli) ((uint64_t)(milli)*100)
#define ETH_P(usd) ((uint64_t)(usd)*100)
#define ETH_SZ(eth) ((uint64_t)(eth)*10000)
#define IOC ((uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT))

static uint8_t *elf;
static size_t elf_len;

struct blk {
	struct cl_block_header h;
	struct cl_buf req[MAX_REQS];
	size_t n;
};

static void blk_init(struct tenv *e, struct blk *b, uint64_t advance_ms)
{
	memset(b, 0, sizeof(*b));
	b->h.number = ++e->number;
	e->ms += advance_ms;
	b->h.timestamp_ms = e->ms;
	b->h.prev_root = e->root;
	b->h.l1 = t_l1_at(e->ms);
}

static void add(struct blk *b, const struct cl_tx *tx)
{
	CHECK(b->n < MAX_REQS);
	if (b->n >= MAX_REQS)
		return;
	cl_buf_init(&b->req[b->n]);
	cl_tx_encode(&b->req[b->n], tx);
	b->n++;
}

/* The VM's root and the native root of block b; the block is applied. */
static void check_block(struct tenv *e, struct blk *b)
{
	struct cl_hash32 vm_root, native;
	uint64_t steps = 0;
	int rej = 0;

	bool ok = sg_block_root(&vm_root, &steps, elf, elf_len, e->st, &e->g,
				&b->h, b->req, b->n);
	CHECK_MSG(ok, "block %llu: the program gave no root",
		  (unsigned long long)b->h.number);
	CHECK(sg_run_block(e->st, &e->g, &b->h, b->req, b->n, &native, &rej,
			   NULL) == CL_OK);
	CHECK_MSG(ok && cl_hash32_eq(&vm_root, &native),
		  "block %llu: the program's root differs",
		  (unsigned long long)b->h.number);
	CHECK_MSG(rej == 0, "block %llu: %d requests refused",
		  (unsigned long long)b->h.number, rej);
	printf("block %llu: %zu requests, %llu steps\n",
	       (unsigned long long)b->h.number, b->n,
	       (unsigned long long)steps);
	e->root = native;
	for (size_t i = 0; i < b->n; i++)
		cl_buf_release(&b->req[i]);
}

static struct cl_tx price_tx(struct tenv *e, uint32_t market, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];

	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	return t_oracle_update(e, market, ps, ts, e->okey, 3);
}

static struct cl_tx place_tx(struct tenv *e, int who, uint32_t market, bool buy,
			     uint64_t p, uint64_t sz, uint8_t flags)
{
	struct cl_order o =
	    t_order(&e->addr[who], market, buy, p, sz, e->order_nonce++,
		    tenv_now(e) + 86400, flags);

	return t_place(e, &o, e->key[who]);
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct blk b;
	struct cl_tx tx;

	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr,
			"no RISC-V cross compiler: run "
			"contrib/bootstrap.sh, then meson setup again\n");
		return 1;
	}
	elf = sg_read_elf(argv[1], &elf_len);
	tenv_init_with(&e, cl_state_new_memory(), add_teth);

	/* 1: deposits (USD and tETH), prices, the ETH hedge book */
	blk_init(&e, &b, 1000);
	tx = t_deposit(0, &e.addr[1], 10000000 * (uint64_t)T_USD);
	add(&b, &tx);
	tx = t_deposit(1, &e.addr[3], 2000 * (uint64_t)T_USD);
	add(&b, &tx);
	tx = asset_deposit(0, T_TETH, &e.addr[2], 10 * ETH_ATOMS);
	add(&b, &tx);
	tx = price_tx(&e, T_BTC, BTC_P(60000));
	add(&b, &tx);
	tx = price_tx(&e, T_ETH, ETH_P(3000));
	add(&b, &tx);
	tx = place_tx(&e, 1, T_ETH, true, ETH_P(2990), ETH_SZ(50), 0);
	add(&b, &tx);
	check_block(&e, &b);

	/* 2: the tETH holder goes long 18 BTC; another trader long ETH */
	blk_init(&e, &b, 1000);
	tx = place_tx(&e, 1, T_BTC, false, BTC_P(60000), BTC_SZ(18000), 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, T_BTC, true, BTC_P(60000), BTC_SZ(18000), IOC);
	add(&b, &tx);
	tx = place_tx(&e, 1, T_BTC, true, BTC_P(59900), BTC_SZ(18000), 0);
	add(&b, &tx);
	tx = place_tx(&e, 1, T_ETH, false, ETH_P(3000), ETH_SZ(10), 0);
	add(&b, &tx);
	tx = place_tx(&e, 3, T_ETH, true, ETH_P(3000), ETH_SZ(10), IOC);
	add(&b, &tx);
	check_block(&e, &b);

	/* 3: tETH falls 30 %, BTC flat */
	blk_init(&e, &b, 1000);
	tx = price_tx(&e, T_ETH, ETH_P(2100));
	add(&b, &tx);
	tx = price_tx(&e, T_BTC, BTC_P(60000));
	add(&b, &tx);
	check_block(&e, &b);

	/* 4: the opening liquidates: collateral to the fund, then a slice */
	blk_init(&e, &b, 1000);
	check_block(&e, &b);

	/* the native state after it: what test_collateral_stf saw */
	struct cl_stf *s;
	CHECK(cl_stf_new(&s, e.st, &e.g) == CL_OK);
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_stf_asset_balance ab[CL_GENESIS_MAX_ASSETS];
	size_t n = 0;
	int64_t total = 0;
	CHECK(cl_stf_get_collateral(&v, ab, &n, &total, &e.addr[2]) == CL_OK &&
	      n == 1 && ab[0].balance == 10 * ETH_ATOMS - 72643344);
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t np = 0;
	CHECK(cl_stf_get_positions(&v, pos, &np, &e.addr[2]) == CL_OK &&
	      np == 1 && pos[0].size == (int64_t)BTC_SZ(13500));
	cl_stf_free(s);

	/* 5: tETH out (docs/margin.md "Taking an asset out"): a deposit, a
	 * withdrawal (the asset leaf), transfers between subaccounts, and
	 * a withdrawal after them */
	struct cl_address *f = &e.addr[5];
	blk_init(&e, &b, 1000);
	tx = asset_deposit(1, T_TETH, f, 5 * ETH_ATOMS);
	add(&b, &tx);
	tx = t_asset_withdraw(&e, f, &e.addr[6], T_TETH, ETH_ATOMS, 0,
			      e.key[5]);
	add(&b, &tx);
	tx = t_sub_asset(&e, f, 0, 1, T_TETH, 2 * ETH_ATOMS, 1, e.key[5]);
	add(&b, &tx);
	tx = t_sub_asset(&e, f, 1, 0, T_TETH, ETH_ATOMS / 2, 2, e.key[5]);
	add(&b, &tx);
	tx = t_asset_withdraw(&e, f, f, T_TETH, ETH_ATOMS / 4, 3, e.key[5]);
	add(&b, &tx);
	check_block(&e, &b);
	CHECK(cl_stf_new(&s, e.st, &e.g) == CL_OK);
	v = cl_stf_view(s);
	struct cl_address f1;
	cl_stf_subaccount_account(&f1, f, 1);
	CHECK(cl_stf_get_collateral(&v, ab, &n, &total, f) == CL_OK &&
	      n == 1 && ab[0].balance == 2 * ETH_ATOMS - ETH_ATOMS / 4 +
					     ETH_ATOMS / 2);
	CHECK(cl_stf_get_collateral(&v, ab, &n, &total, &f1) == CL_OK &&
	      n == 1 && ab[0].balance == 2 * ETH_ATOMS - ETH_ATOMS / 2);
	struct cl_stf_globals gl;
	CHECK(cl_stf_get_globals(&v, &gl) == CL_OK);
	struct cl_stf_withdrawal w;
	CHECK(cl_stf_get_withdrawal_leaf(&v, &w, gl.next_withdrawal_id - 1) ==
		      CL_OK &&
	      w.asset == T_TETH && w.amount == ETH_ATOMS / 4);
	cl_stf_free(s);

	tenv_release(&e);
	free(elf);
	return test_done("test_collateral_guest");
}
