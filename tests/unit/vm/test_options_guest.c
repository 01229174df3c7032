/* SPDX-License-Identifier: MIT */
/*
 * Option markets in the stf as a VM program (docs/vm.md "The stf as a VM
 * program", docs/options.md "Option markets in the stf"): a genesis with
 * option markets (its options' section decoded by the program), the
 * volatility surface signed by the oracle signers, an option trade with
 * its premium, a short's margin refusing an over-large order, the
 * settlement window, and the block at expiry that settles every position
 * (derived OPTION_SETTLE) and closes the resting orders; the writer and
 * the buyer are in portfolio mode, the writer hedged with a perpetual,
 * so the program runs the portfolio check over option legs (docs/margin.md
 * "Portfolio margin: options"); a put listed after genesis (OPTION_LIST,
 * docs/options.md "Listing") trades and settles beside them. For each block
 * the RISC-V program, given only the block and the pre-state's
 * preimages, must write the root the native stf reaches with a fresh
 * stf (as a verifier's).
 *
 * argv[1] is the folder of the guest ELF files, or "--no-compiler" when
 * meson found no cross compiler: then this test fails.
 */
#include "stf/pm_options_util.h"
#include "vm/stf_guest.h"

#define MAX_REQS 16
#define IOC ((uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT))

/* The option markets of options_util.h and the portfolio section. */
static void pm_options(struct cl_genesis *g)
{
	add_options(g);
	pmo_params(&g->portfolio);
	g->listing.enabled = true;
	t_addr_hex(&g->listing.lister,
		   "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"); /* anvil 5 */
	g->listing.max_listed = 1;
}

#define T_LISTED (T_CALL2 + 1)

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

/* The VM's root and the native root of block b (`refused` of its
 * requests refused); the block is applied. */
static void check_block(struct tenv *e, struct blk *b, int refused)
{
	struct cl_hash32 vm_root, native;
	uint64_t steps = 0, derived = 0;
	int rej = 0;

	bool ok = sg_block_root(&vm_root, &steps, elf, elf_len, e->st, &e->g,
				&b->h, b->req, b->n);
	CHECK_MSG(ok, "block %llu: the program gave no root",
		  (unsigned long long)b->h.number);
	CHECK(sg_run_block(e->st, &e->g, &b->h, b->req, b->n, &native, &rej,
			   &derived) == CL_OK);
	CHECK_MSG(ok && cl_hash32_eq(&vm_root, &native),
		  "block %llu: the program's root differs",
		  (unsigned long long)b->h.number);
	CHECK_MSG(rej == refused, "block %llu: %d requests refused, want %d",
		  (unsigned long long)b->h.number, rej, refused);
	printf("block %llu: %zu requests, %llu derived, %llu steps\n",
	       (unsigned long long)b->h.number, b->n,
	       (unsigned long long)derived, (unsigned long long)steps);
	e->root = native;
	for (size_t i = 0; i < b->n; i++)
		cl_buf_release(&b->req[i]);
}

static struct cl_tx price_tx(struct tenv *e, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];

	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	return t_oracle_update(e, T_BTC, ps, ts, e->okey, 3);
}

static struct cl_tx place_tx(struct tenv *e, int who, uint32_t market,
			     bool buy, uint64_t p, uint64_t sz, uint8_t flags)
{
	struct cl_order o =
	    t_order(&e->addr[who], market, buy, p, sz, e->order_nonce++,
		    T_EXPIRY + 86400, flags);

	return t_place(e, &o, e->key[who]);
}

static int64_t size_of(struct tenv *e, int who, uint32_t market)
{
	struct cl_stf *s;
	struct cl_stf_position pos[CL_GENESIS_MAX_MARKETS];
	size_t n = 0;
	int64_t size = 0;

	CHECK(cl_stf_new(&s, e->st, &e->g) == CL_OK);
	struct cl_stf_view v = cl_stf_view(s);
	CHECK(cl_stf_get_positions(&v, pos, &n, &e->addr[who]) == CL_OK);
	for (size_t i = 0; i < n; i++)
		if (pos[i].market == market)
			size = pos[i].size;
	cl_stf_free(s);
	return size;
}

int main(int argc, char **argv)
{
	struct cl_svi d3[3] = {day, day, day}, w3[3] = {week, week, week};
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
	tenv_init_with(&e, cl_state_new_memory(), pm_options);

	/* 1: deposits, the index, both expiries' slices */
	blk_init(&e, &b, 1000);
	tx = t_deposit(0, &e.addr[1], 100000 * (uint64_t)T_USD);
	add(&b, &tx);
	tx = t_deposit(1, &e.addr[2], 20000 * (uint64_t)T_USD);
	add(&b, &tx);
	tx = t_deposit(2, &e.addr[3], 1000 * (uint64_t)T_USD);
	add(&b, &tx);
	tx = price_tx(&e, BTC_P(60000));
	add(&b, &tx);
	tx = surface(&e, T_EXPIRY, d3, 3, tenv_now(&e));
	add(&b, &tx);
	tx = surface(&e, T_EXPIRY2, w3, 3, tenv_now(&e));
	add(&b, &tx);
	tx = pmo_mode(&e, &e.addr[1], true, 0, e.key[1]);
	add(&b, &tx);
	tx = pmo_mode(&e, &e.addr[2], true, 0, e.key[2]);
	add(&b, &tx);
	check_block(&e, &b, 0);

	/* 2: 1 writes two calls and a put, 2 buys a call; 3 ($1,000)
	 * cannot write a call; a bid rests until the expiry */
	blk_init(&e, &b, 1000);
	tx = place_tx(&e, 1, T_CALL, false, BTC_P(700), BTC_SZ(2), 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, T_CALL, true, BTC_P(700), BTC_SZ(1), IOC);
	add(&b, &tx);
	tx = place_tx(&e, 1, T_PUT, false, BTC_P(10), BTC_SZ(1), 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, T_PUT, true, BTC_P(10), BTC_SZ(1), IOC);
	add(&b, &tx);
	tx = place_tx(&e, 3, T_CALL, false, BTC_P(700), BTC_SZ(1), 0);
	add(&b, &tx);
	/* a $55,000 put listed by the lister (marked from the next block) */
	tx = t_list_tx(&e, e.key[5], T_CALL, CL_MARKET_PUT, BTC_P(55000),
		       T_EXPIRY, "BTC-P55K", 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, T_CALL2, true, BTC_P(1), BTC_SZ(1), 0);
	add(&b, &tx);
	/* 1 hedges its calls: it buys one BTC of the perpetual from 2 */
	tx = place_tx(&e, 2, T_BTC, false, BTC_P(60000), BTC_SZ(1), 0);
	add(&b, &tx);
	tx = place_tx(&e, 1, T_BTC, true, BTC_P(60000), BTC_SZ(1), IOC);
	add(&b, &tx);
	check_block(&e, &b, 1);
	CHECK(size_of(&e, 1, T_BTC) == (int64_t)BTC_SZ(1));
	CHECK(size_of(&e, 2, T_CALL) == (int64_t)BTC_SZ(1));
	CHECK(size_of(&e, 1, T_PUT) == -(int64_t)BTC_SZ(1));

	/* 2b: the listed put trades */
	blk_init(&e, &b, 1000);
	tx = price_tx(&e, BTC_P(60000));
	add(&b, &tx);
	tx = place_tx(&e, 1, T_LISTED, false, BTC_P(50), BTC_SZ(1), 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, T_LISTED, true, BTC_P(50), BTC_SZ(1), IOC);
	add(&b, &tx);
	check_block(&e, &b, 0);
	CHECK(size_of(&e, 2, T_LISTED) == (int64_t)BTC_SZ(1));

	/* 3, 4: inside the settlement window, the index at $61,000 */
	blk_init(&e, &b, (T_EXPIRY - 900 - tenv_now(&e)) * 1000);
	tx = price_tx(&e, BTC_P(61000));
	add(&b, &tx);
	check_block(&e, &b, 0);
	blk_init(&e, &b, 60000);
	tx = price_tx(&e, BTC_P(61000));
	add(&b, &tx);
	check_block(&e, &b, 0);

	/* 5: the expiry: every position settles, the orders close */
	blk_init(&e, &b, (T_EXPIRY - tenv_now(&e)) * 1000);
	check_block(&e, &b, 0);
	CHECK(size_of(&e, 2, T_CALL) == 0 && size_of(&e, 1, T_CALL) == 0 &&
	      size_of(&e, 1, T_PUT) == 0 && size_of(&e, 2, T_PUT) == 0 &&
	      size_of(&e, 2, T_LISTED) == 0 && size_of(&e, 1, T_LISTED) == 0);

	tenv_release(&e);
	free(elf);
	return test_done("test_options_guest");
}
