/* SPDX-License-Identifier: MIT */
/*
 * The stf as a VM program (src/guest, docs/vm.md "The stf as a VM
 * program") against the native stf, block by block: a scenario
 * (deposits, oracle updates, orders that match, a cancel, a withdrawal,
 * a leveraged long liquidated by an oracle move, an empty block an hour
 * later, one ten minutes on that prunes the closed orders) and a seeded
 * random stream of 40 blocks (CL_TEST_SEED replays) that includes L1
 * forced requests of every kind and, on a genesis with tETH, asset
 * deposits, ASSET_WITHDRAW and SUBACCOUNT_ASSET_TRANSFER, then one block
 * past every expiry and the horizon that prunes every closed order,
 * trigger and TWAP. Every record due at a block is gone after it
 * (docs/protocol.md "Pruning").
 *
 * For every block, from nothing but the pre-state root and the block: the
 * native stf runs it on a memory state (the root everyone agrees on); a
 * memory state walked natively from the pre-state root, node by node,
 * through the preimage map of the pre-state (src/state/walk.c, the same
 * code the guest runs) runs it to the same root; and the RISC-V program
 * runs it in the VM, given the block's input and the pre-state's
 * preimages, and must write the same root. On the liquidation block,
 * each preimage of the pre-state left out in turn stops the VM
 * (VM_E_PREIMAGE, never a root), and a prev_root over a tree the state
 * module would not write makes the program exit 11 with no output. The
 * liquidation index is committed: its entry for the liquidated long is
 * proven against the root and removing it changes the root; the local
 * event log changes no root. Steps, state sizes and VM time are printed
 * per block.
 *
 * argv[1] is the folder of the guest ELF files, or "--no-compiler" when
 * meson found no cross compiler: then this test fails.
 */
#include "stf/collateral_util.h"
#include "vm/stf_guest.h"

#define MAX_REQS 32

#define P(usd) ((uint64_t)(usd) * 100)     /* BTC price, cents */
#define SZ(milli) ((uint64_t)(milli) * 100) /* 0.001 BTC units */

static uint8_t *elf;
static size_t elf_len;
static uint64_t derived; /* primitive steps the native runs derived */

/* One block: its header and its requests as a batch carries them. */
struct blk {
	struct cl_block_header h;
	struct cl_buf req[MAX_REQS];
	size_t n;
};

static int run_block(struct cl_state *st, const struct cl_genesis *g,
		     const struct blk *b, struct cl_hash32 *root,
		     int *rejected, bool native)
{
	return sg_run_block(st, g, &b->h, b->req, b->n, root, rejected,
			    native ? &derived : NULL);
}

/* The program's run of block b on the pre-state behind pm (the VM
 * stopping with an error fails the test). */
static struct vm_machine *run_vm(const struct blk *b,
				 const struct cl_genesis *g,
				 const struct cl_preimage_map *pm,
				 uint64_t *steps, double *secs)
{
	struct vm_machine *m = sg_run_vm(elf, elf_len, &b->h, g, b->req, b->n,
					 pm, steps, secs);

	if (!m) {
		fprintf(stderr, "block %llu: the VM stopped with an error\n",
			(unsigned long long)b->h.number);
		exit(1);
	}
	return m;
}

static uint64_t total_steps, max_steps, total_reqs, total_rejected;
static double total_secs;
static size_t max_preimages, max_bytes;

/* quiet: the random stream prints only its summary */
static bool quiet;

/* Records the blocks pruned (docs/protocol.md "Pruning"), by kind (1
 * order, 2 trigger, 3 TWAP), and the pruned triggers by status. */
static uint64_t pruned_kind[4];
static unsigned pruned_trigger_status[6];

/* The PRUNE_DUE entries due by `now` (tallied when `count`): a block
 * prunes each (the streams stay far below CL_STF_PRUNE_PER_BLOCK and
 * the expiry sweep's budget). Returns how many. */
static uint64_t tally_due(struct tenv *e, uint64_t now, bool count)
{
	struct cl_stf_view v = cl_stf_view(e->stf);
	struct cl_state_iter *it;
	const uint8_t *k, *val;
	size_t kl, vl;
	uint64_t n = 0;

	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_PRUNE_DUE, NULL, 0) ==
	      CL_OK);
	while (cl_state_iter_next(it, &k, &kl, &val, &vl) == CL_OK) {
		CHECK(kl == 41 && k[8] >= 1 && k[8] <= 3);
		if (kl != 41 || cl_get_be64(k) > now)
			break;
		if (count && k[8] == 2) {
			struct cl_trigger_record t;
			struct cl_hash32 h;
			memcpy(h.b, k + 9, 32);
			CHECK(cl_stf_get_trigger(&v, &t, &h) == CL_OK);
			pruned_trigger_status[t.status % 6]++;
		}
		if (count)
			pruned_kind[k[8] & 3]++;
		n++;
	}
	cl_state_iter_free(it);
	return n;
}

/*
 * Every preimage of the pre-state left out in turn: the VM must stop on
 * it (VM_E_PREIMAGE: the step that reads it cannot be made, the machine
 * is left before it, running, with no output), never exit with a root.
 * A changed preimage is filed under its own hash, so giving it instead
 * of the right one is the same as leaving the right one out.
 */
static void check_missing(const struct blk *b, const struct cl_genesis *g,
			  const struct cl_preimage_map *pm)
{
	size_t np = cl_preimage_map_count(pm, NULL), stopped = 0;
	uint64_t most = 0;

	for (size_t i = 0; i < np; i++) {
		struct vm_machine *m = sg_load(elf, elf_len, &b->h, g, b->req,
					       b->n, pm, i);
		struct cl_hash32 before, after;
		uint64_t ran = 0;
		size_t olen;
		int rc;

		CHECK(m);
		rc = vm_run(m, SG_MAX_STEPS, &ran);
		vm_state_hash(m, &before);
		CHECK_MSG(rc == VM_E_PREIMAGE &&
			  vm_machine_cpu(m)->status == VM_RUNNING &&
			  (vm_output(m, &olen), olen == 0),
			  "block %llu, preimage %zu left out: rc %d status %u",
			  (unsigned long long)b->h.number, i, rc,
			  vm_machine_cpu(m)->status);
		/* it stays stuck: no step is possible */
		CHECK(vm_step(m) == VM_E_PREIMAGE);
		vm_state_hash(m, &after);
		CHECK(cl_hash32_eq(&before, &after));
		if (ran > most)
			most = ran;
		stopped++;
		vm_machine_free(m);
	}
	printf("block %llu: each of the %zu preimages of the pre-state left "
	       "out stops the VM (VM_E_PREIMAGE, at most %llu steps in)\n",
	       (unsigned long long)b->h.number, stopped,
	       (unsigned long long)most);
}

/*
 * A prev_root over a tree the state module does not write: a node whose
 * left child is the real root and whose right child is empty (every
 * leaf of the real tree with path bit 0 = 1 is then off its path). The
 * host has every preimage; the program refuses the tree (exit 11).
 */
static void check_malformed(const struct blk *b, const struct cl_genesis *g,
			    const struct cl_preimage_map *pm)
{
	struct cl_preimage_map *bad = cl_preimage_map_new();
	struct blk fake = *b;
	size_t np = cl_preimage_map_count(pm, NULL), olen;
	uint8_t node[65] = {0x01};
	uint64_t steps;
	double secs;

	for (size_t i = 0; i < np; i++) {
		const uint8_t *p;
		size_t len;

		cl_preimage_map_at(pm, i, &p, &len);
		cl_preimage_map_add(bad, p, len);
	}
	memcpy(node + 1, b->h.prev_root.b, 32);
	cl_preimage_map_add(bad, node, sizeof(node));
	cl_keccak256(fake.h.prev_root.b, node, sizeof(node));
	struct vm_machine *m = run_vm(&fake, g, bad, &steps, &secs);
	CHECK_MSG(vm_machine_cpu(m)->status == VM_EXITED &&
		  vm_machine_cpu(m)->exit_code == 11 &&
		  (vm_output(m, &olen), olen == 0),
		  "a malformed pre-state tree: status %u code %llu",
		  vm_machine_cpu(m)->status,
		  (unsigned long long)vm_machine_cpu(m)->exit_code);
	vm_machine_free(m);
	cl_preimage_map_free(bad);
}

/* The block through every path; the native state then holds its result. */
static void check_block(struct tenv *e, struct blk *b, bool vm_tamper)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_state *ws;
	struct cl_state_walk_stats wst;
	struct cl_hash32 native, wroot, hook_root;
	uint64_t hook_steps = 0;
	size_t np, nbytes;
	int rej, rej_w, rc;

	/* what the block will prune, counted on the pre-state */
	uint64_t now = b->h.timestamp_ms / 1000;
	uint64_t due = tally_due(e, now, true);

	/* the pre-state's preimages: all the host has */
	CHECK(cl_preimage_map_add_state(pm, e->st) == CL_OK);
	np = cl_preimage_map_count(pm, &nbytes);

	/* the one-call hook other tests use (stf_guest.h), on the scenario */
	bool hook_ok = quiet || sg_block_root(&hook_root, &hook_steps, elf,
					      elf_len, e->st, &e->g, &b->h,
					      b->req, b->n);

	/* a memory state walked natively from the pre-state root */
	CHECK(cl_state_new_walk(&ws, &b->h.prev_root, cl_preimage_map_fetch,
				pm) == CL_OK);
	cl_state_walk_stats(ws, &wst);

	/* native, the reference */
	CHECK(run_block(e->st, &e->g, b, &native, &rej, true) == CL_OK);
	CHECK(hook_ok && (quiet || cl_hash32_eq(&hook_root, &native)));

	/* the walked state runs it natively to the same root */
	rc = run_block(ws, &e->g, b, &wroot, &rej_w, false);
	CHECK_MSG(rc == CL_OK && cl_hash32_eq(&wroot, &native) && rej == rej_w,
		  "block %llu: walked state rc %d",
		  (unsigned long long)b->h.number, rc);
	cl_state_free(ws);

	/* the VM, from the block and the pre-state's preimages */
	uint64_t steps;
	double secs;
	size_t olen;
	struct vm_machine *m = run_vm(b, &e->g, pm, &steps, &secs);
	struct vm_cpu *c = vm_machine_cpu(m);
	const uint8_t *o = vm_output(m, &olen);

	CHECK_MSG(c->status == VM_EXITED && c->exit_code == 0,
		  "block %llu: status %u code %llu pc %llx after %llu steps",
		  (unsigned long long)b->h.number, c->status,
		  (unsigned long long)c->exit_code, (unsigned long long)c->pc,
		  (unsigned long long)steps);
	CHECK(olen == 32 && memcmp(o, native.b, 32) == 0);
	if (!quiet)
		printf("block %llu: %zu requests (%d rejected); pre-state %llu "
		       "entries, %llu inner nodes, %zu preimages, %zu bytes; "
		       "%llu steps, %.2f s in the VM\n",
		       (unsigned long long)b->h.number, b->n, rej,
		       (unsigned long long)wst.leaves,
		       (unsigned long long)wst.nodes, np, nbytes,
		       (unsigned long long)steps, secs);
	vm_machine_free(m);
	total_steps += steps;
	total_secs += secs;
	total_reqs += b->n;
	total_rejected += (uint64_t)rej;
	if (steps > max_steps)
		max_steps = steps;
	if (np > max_preimages)
		max_preimages = np;
	if (nbytes > max_bytes)
		max_bytes = nbytes;

	if (vm_tamper) {
		check_missing(b, &e->g, pm);
		check_malformed(b, &e->g, pm);
	}
	e->root = native;
	cl_preimage_map_free(pm);
	/* and it did: nothing due is left */
	uint64_t left = tally_due(e, now, false);
	CHECK_MSG(left == 0, "block %llu left %llu of %llu due records",
		  (unsigned long long)b->h.number, (unsigned long long)left,
		  (unsigned long long)due);
}

/*
 * LIQ_INDEX and LIQ_MULTI are committed (docs/state.md): trader 6's
 * liquidation entries are proven against the root, and removing one
 * natively changes the root, so no host can hide an account from the
 * liquidation pass. RISK_EVENTS, the one local table the stf writes,
 * is not in the root: changing it natively changes no root, and the
 * program, which starts it empty, reaches the native root anyway.
 */
static void check_liq_committed(struct tenv *e, const struct cl_address *who)
{
	struct cl_state_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl, found = 0;
	uint8_t key[CL_STATE_KEY_MAX], val[64], ev[8] = {0xee};
	size_t klen = 0, vlen = 0;
	struct cl_proof *pr = cl_xmalloc(sizeof(*pr));
	struct cl_hash32 r0, r1, r2, path, vh;

	CHECK(cl_state_root(e->st, &r0) == CL_OK);
	CHECK(cl_state_iter_new(&it, e->st, CL_TABLE_LIQ_INDEX, who->b, 20) ==
	      CL_OK);
	while (found == 0 && cl_state_iter_next(it, &k, &kl, &v, &vl) == CL_OK &&
	       kl >= 20 && memcmp(k, who->b, 20) == 0) {
		CHECK(kl <= sizeof(key) && vl <= sizeof(val));
		memcpy(key, k, kl);
		memcpy(val, v, vl);
		klen = kl;
		vlen = vl;
		found++;
	}
	cl_state_iter_free(it);
	CHECK_MSG(found == 1, "no liquidation entry for the 40x long");
	CHECK(cl_state_prove(e->st, pr, CL_TABLE_LIQ_INDEX, key, klen) ==
	      CL_OK);
	cl_smt_path(&path, CL_TABLE_LIQ_INDEX, key, klen);
	cl_smt_value_hash(&vh, val, vlen);
	CHECK(cl_proof_verify_inclusion(pr, &r0, &path, &vh));

	/* removed natively: another root; put back: the same root */
	cl_state_del(e->st, CL_TABLE_LIQ_INDEX, key, klen);
	CHECK(cl_state_commit_block(e->st, &r1) == CL_OK);
	CHECK(!cl_hash32_eq(&r0, &r1));
	cl_state_put(e->st, CL_TABLE_LIQ_INDEX, key, klen, val, vlen);
	CHECK(cl_state_commit_block(e->st, &r2) == CL_OK);
	CHECK(cl_hash32_eq(&r0, &r2));

	/* the local event log changed natively: no root changes */
	cl_state_put(e->st, CL_TABLE_RISK_EVENTS, (const uint8_t *)"seq", 3,
		     ev, sizeof(ev));
	CHECK(cl_state_commit_block(e->st, &r2) == CL_OK);
	CHECK(cl_hash32_eq(&r0, &r2));
	free(pr);
}

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
	cl_buf_init(&b->req[b->n]);
	cl_tx_encode(&b->req[b->n], tx);
	b->n++;
}

static void blk_release(struct blk *b)
{
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

static struct cl_tx place_tx(struct tenv *e, int who, bool buy, uint64_t p,
			     uint64_t sz, uint8_t flags)
{
	struct cl_order o = t_order(&e->addr[who], T_BTC, buy, p, sz,
				    e->order_nonce++, tenv_now(e) + 3600,
				    flags);

	return t_place(e, &o, e->key[who]);
}

static void test_scenario(void)
{
	struct tenv e;
	struct blk b;
	struct cl_tx tx;

	tenv_init(&e, cl_state_new_memory());

	/* 1: deposits and a price */
	blk_init(&e, &b, 1000);
	for (int i = 0; i < 6; i++) {
		tx = t_deposit(e.next_deposit++, &e.addr[i], 1000000 * T_USD);
		add(&b, &tx);
	}
	tx = t_deposit(e.next_deposit++, &e.addr[6], 150 * T_USD);
	add(&b, &tx);
	tx = price_tx(&e, P(60000));
	add(&b, &tx);
	check_block(&e, &b, false);
	blk_release(&b);

	/* 2: three asks, a buy that takes them all, a resting bid */
	blk_init(&e, &b, 1000);
	tx = place_tx(&e, 1, false, P(60010), SZ(2), 0);
	add(&b, &tx);
	tx = place_tx(&e, 2, false, P(60010), SZ(2), 0);
	add(&b, &tx);
	tx = place_tx(&e, 3, false, P(60005), SZ(1), 0);
	add(&b, &tx);
	tx = place_tx(&e, 4, true, P(60010), SZ(4), 0);
	add(&b, &tx);
	struct cl_order bid = t_order(&e.addr[5], T_BTC, true, P(59000),
				      SZ(1), e.order_nonce++,
				      tenv_now(&e) + 3600, 0);
	tx = t_place(&e, &bid, e.key[5]);
	add(&b, &tx);
	check_block(&e, &b, false);
	blk_release(&b);

	/* 3: the bid cancelled, a withdrawal, a new price */
	blk_init(&e, &b, 1000);
	struct cl_hash32 bh = t_order_hash(&e, &bid);
	tx = t_cancel(&e, &e.addr[5], &bh, e.key[5]);
	add(&b, &tx);
	tx = t_withdraw(&e, &e.addr[0], &e.addr[0], 1000 * T_USD, 0, e.key[0]);
	add(&b, &tx);
	tx = price_tx(&e, P(60020));
	add(&b, &tx);
	check_block(&e, &b, false);
	blk_release(&b);

	/* 4: trader 6 goes 40x long against trader 1, who bids below */
	blk_init(&e, &b, 1000);
	tx = place_tx(&e, 1, false, P(60000), SZ(100), 0);
	add(&b, &tx);
	tx = place_tx(&e, 6, true, P(60000), SZ(100),
		      (uint8_t)(CL_TIF_IOC << CL_ORDER_TIF_SHIFT));
	add(&b, &tx);
	tx = place_tx(&e, 1, true, P(59000), SZ(200), 0);
	add(&b, &tx);
	check_block(&e, &b, false);
	blk_release(&b);
	check_liq_committed(&e, &e.addr[6]);

	/* 5: the price falls to 59000: the long is liquidated on the book */
	blk_init(&e, &b, 1000);
	tx = price_tx(&e, P(59000));
	add(&b, &tx);
	check_block(&e, &b, true);
	blk_release(&b);
	struct cl_stf_event ev[8];
	size_t n = 0;
	struct cl_stf_view v;

	/* the native stf of tenv saw none of this: a fresh one reads it */
	cl_stf_free(e.stf);
	CHECK(cl_stf_new(&e.stf, e.st, &e.g) == CL_OK);
	v = tenv_view(&e);
	CHECK(cl_stf_get_events(&v, ev, 8, &n, &e.addr[6], 0) == CL_OK);
	CHECK_MSG(n >= 1 && ev[0].kind == CL_STF_EVENT_LIQUIDATED_BOOK,
		  "the scenario's liquidation did not happen (%zu events)", n);

	/* 6: an empty block an hour later: funding, expiries */
	blk_init(&e, &b, 3600 * 1000);
	check_block(&e, &b, false);
	blk_release(&b);

	/* 7: ten minutes on, the orders of blocks 2 and 4 (all closed by
	 * now) are past expiry + grace: the opening prunes their eight
	 * records, natively and in the VM alike */
	uint64_t orders_before = pruned_kind[1];
	blk_init(&e, &b, CL_STF_PRUNE_GRACE_S * 1000);
	check_block(&e, &b, false);
	blk_release(&b);
	CHECK_MSG(pruned_kind[1] - orders_before == 8, "%llu orders pruned",
		  (unsigned long long)(pruned_kind[1] - orders_before));

	tenv_release(&e);
}

/* ---- a seeded random stream ---- */

#define NTRADERS 12
#define NPLACED 256

static const uint64_t tick[3] = {100, 1, 10};
static const uint64_t step[3] = {100, 10, 1};

static uint64_t rnd(uint64_t n)
{
	return test_rand() % n;
}

static void tweak_stream(struct cl_genesis *g)
{
	for (uint32_t i = 0; i < g->n_markets; i++) {
		g->markets[i].oi_cap = INT64_MAX / 2;
		g->markets[i].risk.liq_slice_ppm = 250000;
		g->markets[i].risk.liq_fee_ppm = 5000;
	}
	t_risk_on(&g->markets[0]);
	/* portfolio margin (docs/margin.md "Portfolio margin") */
	g->portfolio.enabled = true;
	g->portfolio.range_ppm = 50000;
	g->portfolio.n_steps = 3;
	g->portfolio.vol_shift_ppm = 300000;
	g->portfolio.extreme_mult = 3;
	g->portfolio.extreme_ppm = 330000;
	g->portfolio.im_ppm = 1500000;
	g->portfolio.min_equity = 1000 * T_USD;
	g->portfolio.n_pairs = 1;
	g->portfolio.pairs[0] =
		(struct cl_pm_pair){g->markets[0].id, g->markets[1].id, 700000};
	add_teth(g); /* tETH, its index the ETH market's */
}

/* A PORTFOLIO_MODE request of trader t with its current nonce. */
static struct cl_tx pm_request(struct tenv *e, int t, bool enabled)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	struct cl_tx tx;
	struct cl_hash32 d;
	int rc = cl_stf_get_account(&v, &acc, &e->addr[t]);

	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	memset(&tx, 0, sizeof(tx));
	tx.type = CL_TX_PORTFOLIO_MODE;
	tx.u.portfolio_mode.msg.trader = e->addr[t];
	tx.u.portfolio_mode.msg.enabled = enabled;
	tx.u.portfolio_mode.msg.nonce = rc == CL_OK ? acc.nonce : 0;
	cl_portfolio_mode_digest(&d, cl_stf_domain(e->stf),
				 &tx.u.portfolio_mode.msg);
	t_sign(&tx.u.portfolio_mode.sig, e->key[t], &d);
	return tx;
}

/*
 * A collateral-asset request of trader t (docs/margin.md "Collateral
 * assets", "Taking an asset out"): a tETH deposit, a withdrawal, or a
 * transfer between subaccounts 0..2, with the trader's current nonce
 * (some are refused: more than the balance, under the margin, in debt).
 */
static struct cl_tx asset_tx(struct tenv *e, uint64_t *next_dep, int t)
{
	struct cl_stf_view v = tenv_view(e);
	struct cl_account acc;
	int rc = cl_stf_get_account(&v, &acc, &e->addr[t]);
	uint64_t amount = (1 + rnd(8)) * (ETH_ATOMS / 4);

	CHECK(rc == CL_OK || rc == CL_ERR_NOT_FOUND);
	if (rc != CL_OK)
		acc.nonce = 0;
	switch (rnd(3)) {
	case 0:
		return asset_deposit((*next_dep)++, T_TETH, &e->addr[t],
				     2 * amount);
	case 1:
		return t_asset_withdraw(e, &e->addr[t], &e->addr[t], T_TETH,
					amount, acc.nonce, e->key[t]);
	}
	uint32_t from = rnd(4) == 0 ? 1 : 0;
	return t_sub_asset(e, &e->addr[t], from,
			   from ? 2 : 1 + (uint32_t)rnd(2), T_TETH, amount,
			   acc.nonce, e->key[t]);
}

static struct cl_tx oracle_tx(struct tenv *e, int mi, uint64_t p)
{
	uint64_t ps[3] = {p, p, p}, ts[3];

	for (int i = 0; i < 3; i++)
		ts[i] = tenv_now(e);
	return t_oracle_update(e, e->g.markets[mi].id, ps, ts, e->okey, 3);
}

/*
 * Blocks of random requests from 12 traders on the three markets: four
 * market makers with deep pockets, eight traders with thin collateral
 * (leverage up to ~20x), orders of every kind around a moving mid,
 * cancels of earlier orders, deposits, and oracle moves, some sharp
 * (liquidations), with gaps of up to an hour between blocks (funding,
 * expiries).
 */
/* A forced request (docs/protocol.md "FORCED") of trader t. */
static struct cl_tx forced_tx(struct tenv *e, uint64_t id, int t, int mi)
{
	struct cl_tx tx = {.type = CL_TX_FORCED};
	struct cl_tx_forced *f = &tx.u.forced;

	f->id = id;
	f->account = e->addr[t];
	f->kind = (enum cl_forced_kind)(1 + rnd(4));
	switch (f->kind) {
	case CL_FORCED_WITHDRAW:
		f->amount = 1 + rnd(2000) * T_USD;
		break;
	case CL_FORCED_CANCEL:
		f->order_seq = rnd(64);
		break;
	case CL_FORCED_CANCEL_ALL:
		break;
	case CL_FORCED_CLOSE:
		f->market = e->g.markets[mi].id;
		f->price = 1 + rnd(10000000);
		break;
	}
	return tx;
}

static void test_stream(unsigned nblocks)
{
	struct tenv e;
	struct blk b;
	struct cl_tx tx;
	uint64_t mid[3] = {5000000, 300000, 150000};
	struct cl_order placed[NPLACED];
	int owner[NPLACED];
	size_t nplaced = 0;
	uint64_t derived0 = derived;
	uint64_t next_forced = 0, next_asset_dep = 0;
	uint64_t sched_nonce = 0, armed[NTRADERS] = {0};
	unsigned fired = 0, client_orders = 0, triggers_made = 0;

	test_seed();
	tenv_init_with(&e, cl_state_new_memory(), tweak_stream);
	quiet = true;
	blk_init(&e, &b, 1000);
	for (int t = 0; t < NTRADERS; t++) {
		uint64_t usd = t < 4 ? 10000000 : 500 + rnd(5000);

		tx = t_deposit(e.next_deposit++, &e.addr[t], usd * T_USD);
		add(&b, &tx);
	}
	/* tETH for every trader (more comes at random) */
	for (int t = 0; t < NTRADERS; t++) {
		tx = asset_deposit(next_asset_dep++, T_TETH, &e.addr[t],
				   10 * ETH_ATOMS);
		add(&b, &tx);
	}
	for (int mi = 0; mi < 3; mi++) {
		tx = oracle_tx(&e, mi, mid[mi]);
		add(&b, &tx);
	}
	check_block(&e, &b, false);
	blk_release(&b);

	for (unsigned k = 1; k < nblocks; k++) {
		uint64_t gap = rnd(10) == 0 ? 3600 * 1000 : 1000 + rnd(20000);
		size_t nreq = rnd(11);

		blk_init(&e, &b, gap);
		if (k == 1) {
			/* two market makers margin in portfolio mode */
			tx = pm_request(&e, 0, true);
			add(&b, &tx);
			tx = pm_request(&e, 2, true);
			add(&b, &tx);
		}
		for (size_t i = 0; i < nreq; i++) {
			unsigned r = (unsigned)rnd(100);
			int mi = (int)rnd(3), t = (int)rnd(NTRADERS);

			if (rnd(6) == 0) {
				tx = asset_tx(&e, &next_asset_dep, t);
				add(&b, &tx);
				continue;
			}
			if (rnd(30) == 0) {
				/* portfolio mode on or off */
				tx = pm_request(&e, t, rnd(3) != 0);
				add(&b, &tx);
				continue;
			}

			if (r < 60) {
				bool maker = t < 4;
				int64_t off = (int64_t)rnd(21) - 10;
				uint64_t p = mid[mi] + (uint64_t)(off * 5 *
						(int64_t)tick[mi]);
				uint64_t sz = step[mi] *
					      (1 + rnd(maker ? 20 : 60));
				uint8_t f = 0;
				unsigned fr = (unsigned)rnd(100);

				p -= p % tick[mi];
				if (fr < 20)
					f = CL_TIF_IOC << CL_ORDER_TIF_SHIFT;
				else if (fr < 28)
					f = CL_TIF_FOK << CL_ORDER_TIF_SHIFT;
				else if (fr < 36)
					f = CL_ORDER_POST_ONLY;
				if (rnd(10) == 0)
					f |= CL_ORDER_REDUCE_ONLY;
				struct cl_order o = t_order(
					&e.addr[t], e.g.markets[mi].id,
					rnd(2) == 0, p, sz, e.order_nonce++,
					tenv_now(&e) + 5 + rnd(3600), f);
				if (rnd(12) == 0) {
					/* a TWAP: 2 or 3 slices 1..5 s apart */
					struct cl_twap_order tw = {
					    .trader = e.addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .size = o.size * 3,
					    .interval = 1 + rnd(5),
					    .slices = 2 + (uint32_t)rnd(2),
					    .slippage_ppm = 20000,
					    .nonce = o.nonce,
					    .reduce_only = rnd(4) == 0};
					struct cl_hash32 d;
					memset(&tx, 0, sizeof(tx));
					tx.type = CL_TX_TWAP_ORDER;
					tx.u.twap.msg = tw;
					cl_twap_order_digest(
					    &d, cl_stf_domain(e.stf), &tw);
					t_sign(&tx.u.twap.sig, e.key[t], &d);
					add(&b, &tx);
					continue;
				}
				if (rnd(10) == 0) {
					/* a scale order: 2 or 3 legs a few
					 * ticks apart */
					struct cl_scale_order sc = {
					    .trader = e.addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .n = 2 + (uint32_t)rnd(2),
					    .nonce = o.nonce,
					    .expiry = o.expiry,
					    .flags = o.flags};
					struct cl_hash32 d;
					for (uint32_t lg = 0; lg < sc.n; lg++) {
						uint64_t gap_px =
						    2 * lg * tick[mi];
						sc.price[lg] = o.is_buy
								   ? p - gap_px
								   : p + gap_px;
						sc.size[lg] = o.size;
					}
					memset(&tx, 0, sizeof(tx));
					tx.type = CL_TX_SCALE_ORDER;
					tx.u.scale.msg = sc;
					cl_scale_order_digest(
					    &d, cl_stf_domain(e.stf), &sc);
					t_sign(&tx.u.scale.sig, e.key[t],
					       &d);
					add(&b, &tx);
					continue;
				}
				if (rnd(8) == 0) {
					/* a trigger order around the mid:
					 * stops, TP/SL bound to a position,
					 * groups */
					struct cl_trigger_order m = {
					    .trader = e.addr[t],
					    .market = o.market,
					    .is_buy = o.is_buy,
					    .trigger_price = p,
					    .trigger_above = rnd(2) == 0,
					    .price = o.is_buy
							 ? p + 10 * tick[mi]
							 : p - 10 * tick[mi],
					    .size = o.size,
					    .nonce = o.nonce,
					    .expiry = o.expiry,
					    .flags = o.flags &
						     ~CL_ORDER_POST_ONLY,
					    .group = rnd(3),
					    .position_bound = rnd(3) == 0};
					struct cl_hash32 d;
					if (m.position_bound)
						m.flags |= CL_ORDER_REDUCE_ONLY;
					memset(&tx, 0, sizeof(tx));
					tx.type = CL_TX_TRIGGER_ORDER;
					tx.u.trigger.msg = m;
					cl_trigger_order_digest(
					    &d, cl_stf_domain(e.stf), &m);
					t_sign(&tx.u.trigger.sig, e.key[t],
					       &d);
					triggers_made++;
					add(&b, &tx);
					continue;
				}
				if (rnd(4) == 0) {
					/* with a client order id from a
					 * small pool: some are in use */
					struct cl_client_order co = {.order = o};
					struct cl_hash32 d;
					co.cloid.b[15] = (uint8_t)(1 + rnd(4));
					memset(&tx, 0, sizeof(tx));
					tx.type = CL_TX_CLIENT_ORDER;
					tx.u.place.order = o;
					tx.u.place.cloid = co.cloid;
					cl_client_order_digest(
						&d, cl_stf_domain(e.stf), &co);
					t_sign(&tx.u.place.sig, e.key[t], &d);
					client_orders++;
					add(&b, &tx);
					continue;
				}
				tx = t_place(&e, &o, e.key[t]);
				if (nplaced < NPLACED) {
					placed[nplaced] = o;
					owner[nplaced++] = t;
				}
			} else if (r < 75 && nplaced > 0) {
				size_t j = (size_t)rnd(nplaced);
				struct cl_hash32 h = t_order_hash(&e, &placed[j]);

				tx = t_cancel(&e, &e.addr[owner[j]], &h,
					      e.key[owner[j]]);
			} else if (r < 90) {
				unsigned pct = rnd(5) == 0 ? 8 : 2;
				int64_t d = (int64_t)(mid[mi] * pct / 100);
				int64_t np = (int64_t)mid[mi] +
					     (int64_t)rnd((uint64_t)(2 * d + 1)) - d;

				mid[mi] = (uint64_t)np - (uint64_t)np % tick[mi];
				tx = oracle_tx(&e, mi, mid[mi]);
			} else if (r < 93) {
				tx = t_deposit(e.next_deposit++, &e.addr[t],
					       (100 + rnd(1000)) * T_USD);
			} else if (r < 97) {
				/* the dead-man switch: armed a few seconds
				 * ahead, or disarmed; always accepted */
				struct cl_schedule_cancel *m =
					&tx.u.schedule_cancel.msg;
				struct cl_hash32 d;
				memset(&tx, 0, sizeof(tx));
				tx.type = CL_TX_SCHEDULE_CANCEL;
				m->trader = e.addr[t];
				m->time = rnd(4) == 0 ? 0
						      : tenv_now(&e) + 1 +
								rnd(30);
				m->nonce = ++sched_nonce;
				cl_schedule_cancel_digest(
					&d, cl_stf_domain(e.stf), m);
				t_sign(&tx.u.schedule_cancel.sig, e.key[t], &d);
				armed[t] = m->time;
			} else {
				/* an L1 forced request of any kind */
				tx = forced_tx(&e, next_forced++, t, mi);
			}
			add(&b, &tx);
		}
		if (k == 1) {
			/* one switch sure to fire when the next block opens
			 * (at least a second later), whatever the draws */
			struct cl_schedule_cancel *m = &tx.u.schedule_cancel.msg;
			struct cl_hash32 d;
			memset(&tx, 0, sizeof(tx));
			tx.type = CL_TX_SCHEDULE_CANCEL;
			m->trader = e.addr[NTRADERS - 1];
			m->time = tenv_now(&e) + 1;
			m->nonce = ++sched_nonce;
			cl_schedule_cancel_digest(&d, cl_stf_domain(e.stf), m);
			t_sign(&tx.u.schedule_cancel.sig, e.key[NTRADERS - 1],
			       &d);
			armed[NTRADERS - 1] = m->time;
			add(&b, &tx);
		}
		check_block(&e, &b, false);
		blk_release(&b);
		/* a switch whose time came fired at this block's opening
		 * (in the VM too: same root) and is disarmed */
		for (int t = 0; t < NTRADERS; t++) {
			struct cl_stf_view v = cl_stf_view(e.stf);
			uint64_t st, sn;
			if (armed[t] == 0 || armed[t] > tenv_now(&e))
				continue;
			CHECK(cl_stf_get_scheduled_cancel(&v, &st, &sn,
							  &e.addr[t]) == CL_OK);
			CHECK_MSG(st == 0, "trader %d: switch at %llu not "
				  "fired at %llu", t,
				  (unsigned long long)armed[t],
				  (unsigned long long)tenv_now(&e));
			armed[t] = 0;
			fired++;
		}
	}
	quiet = false;
	printf("random stream: %u client orders, %u trigger orders, %u "
	       "dead-man switches fired\n", client_orders, triggers_made,
	       fired);
	CHECK(nblocks < 40 || (fired > 0 && client_orders > 0));
	/* trigger orders reached their mark in blocks the VM ran */
	{
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		unsigned by_status[6] = {0};
		CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_TRIGGERS, NULL,
					0) == CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &val, &vl) == CL_OK)
			if (vl == 77 && val[68] < 6)
				by_status[val[68]]++;
		cl_state_iter_free(it);
		/* and those the stream pruned, by their status then */
		for (int i = 0; i < 6; i++)
			by_status[i] += pruned_trigger_status[i];
		printf("trigger orders: %u pending, %u fired, %u cancelled, "
		       "%u expired, %u refused\n", by_status[1], by_status[2],
		       by_status[3], by_status[4], by_status[5]);
		CHECK(nblocks < 40 || (triggers_made > 0 && by_status[2] > 0));
	}
	/* TWAP slices ran at block openings the VM replayed */
	{
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		unsigned twaps = 0, later = 0;
		CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_TWAPS, NULL, 0) ==
		      CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &val, &vl) == CL_OK) {
			twaps++;
			later += vl == 79 && cl_get_be32(val + 54) >= 2;
		}
		cl_state_iter_free(it);
		printf("twap orders: %u, %u of them sliced at a later block\n",
		       twaps, later);
		CHECK(nblocks < 40 || later > 0);
	}
	/* tETH left through withdrawals and moved between subaccounts in
	 * blocks the VM ran */
	{
		struct cl_state_iter *it;
		const uint8_t *k, *val;
		size_t kl, vl;
		unsigned asset_leaves = 0, subs = 0;
		CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_WITHDRAWALS, NULL,
					0) == CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &val, &vl) == CL_OK)
			asset_leaves += vl == 32;
		cl_state_iter_free(it);
		CHECK(cl_state_iter_new(&it, e.st, CL_TABLE_SUBACCOUNTS, NULL,
					0) == CL_OK);
		while (cl_state_iter_next(it, &k, &kl, &val, &vl) == CL_OK)
			subs++;
		cl_state_iter_free(it);
		printf("tETH: %llu deposits, %u asset withdrawals, %u "
		       "subaccounts reached by asset transfers\n",
		       (unsigned long long)next_asset_dep, asset_leaves, subs);
		CHECK(nblocks < 40 || (asset_leaves > 0 && subs > 0));
	}
	printf("random stream: %u blocks, %llu derived steps (expiries, "
	       "liquidations, funding fills)\n", nblocks,
	       (unsigned long long)(derived - derived0));
	CHECK(derived > derived0);
	/* a last empty block past every expiry + grace and the horizon:
	 * every closed record goes (the VM agrees, check_block) */
	blk_init(&e, &b, (T_HORIZON + 3605 + CL_STF_PRUNE_GRACE_S) * 1000);
	check_block(&e, &b, false);
	blk_release(&b);
	printf("random stream: pruned %llu orders, %llu triggers, %llu twaps "
	       "in blocks the VM replayed\n",
	       (unsigned long long)pruned_kind[1],
	       (unsigned long long)pruned_kind[2],
	       (unsigned long long)pruned_kind[3]);
	CHECK(nblocks < 40 || (pruned_kind[1] > 0 && pruned_kind[2] > 0));
	tenv_release(&e);
}

/*
 * Steps against the size of the state: N accounts funded by deposits
 * (an account and a deposit record each, so about 2 N entries), then an
 * empty block a second later, run natively and in the VM from its
 * pre-state root. The walk is linear in the state; the figures go to
 * docs/vm.md. CL_TEST_WALK_SIZES (comma-separated) sets the sizes.
 */
static void test_sizes(void)
{
	const char *env = getenv("CL_TEST_WALK_SIZES");
	char list[256];

	snprintf(list, sizeof(list), "%s", env ? env : "500,2000");
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned nacc = (unsigned)strtoul(tok, NULL, 10);
		struct tenv e;
		struct cl_block_header h;
		struct cl_buf *req = cl_xcalloc(1000, sizeof(*req));
		struct cl_hash32 native;
		int rej;

		tenv_init(&e, cl_state_new_memory());
		for (unsigned done = 0; done < nacc;) {
			size_t n = 0;

			memset(&h, 0, sizeof(h));
			h.number = ++e.number;
			e.ms += 1000;
			h.timestamp_ms = e.ms;
			h.prev_root = e.root;
			h.l1 = t_l1_at(e.ms);
			for (; n < 1000 && done < nacc; n++, done++) {
				struct cl_address a;
				struct cl_tx tx;

				uint8_t seed[4], hb[32];

				cl_put_be32(seed, done);
				cl_keccak256(hb, seed, 4);
				memcpy(a.b, hb, 20);
				tx = t_deposit(e.next_deposit++, &a,
					       1000 * T_USD);
				cl_buf_init(&req[n]);
				cl_tx_encode(&req[n], &tx);
			}
			CHECK(sg_run_block(e.st, &e.g, &h, req, n, &e.root,
					   &rej, NULL) == CL_OK && rej == 0);
			for (size_t i = 0; i < n; i++)
				cl_buf_release(&req[i]);
		}
		memset(&h, 0, sizeof(h));
		h.number = ++e.number;
		e.ms += 1000;
		h.timestamp_ms = e.ms;
		h.prev_root = e.root;
		h.l1 = t_l1_at(e.ms);

		struct cl_preimage_map *pm = cl_preimage_map_new();
		struct cl_state *ws;
		struct cl_state_walk_stats wst;
		size_t np, nbytes, olen;
		uint64_t steps = 0;
		double secs = 0;

		CHECK(cl_preimage_map_add_state(pm, e.st) == CL_OK);
		np = cl_preimage_map_count(pm, &nbytes);
		CHECK(cl_state_new_walk(&ws, &e.root, cl_preimage_map_fetch,
					pm) == CL_OK);
		cl_state_walk_stats(ws, &wst);
		cl_state_free(ws);
		struct vm_machine *m = sg_run_vm(elf, elf_len, &h, &e.g, NULL,
						 0, pm, &steps, &secs);
		CHECK(m);
		CHECK(sg_run_block(e.st, &e.g, &h, NULL, 0, &native, &rej,
				   NULL) == CL_OK);
		const uint8_t *o = vm_output(m, &olen);
		CHECK_MSG(vm_machine_cpu(m)->exit_code == 0 && olen == 32 &&
			  memcmp(o, native.b, 32) == 0,
			  "%u accounts: the program's root differs", nacc);
		printf("%u accounts: %llu entries, %llu inner nodes, %zu "
		       "preimages (%zu bytes); an empty block: %llu steps "
		       "(%.0f per entry), %.2f s in the VM\n", nacc,
		       (unsigned long long)wst.leaves,
		       (unsigned long long)wst.nodes, np, nbytes,
		       (unsigned long long)steps,
		       (double)steps / (double)(wst.leaves ? wst.leaves : 1),
		       secs);
		vm_machine_free(m);
		cl_preimage_map_free(pm);
		free(req);
		tenv_release(&e);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr, "no RISC-V cross compiler: run "
				"contrib/bootstrap.sh, then meson setup again\n");
		return 1;
	}
	elf = sg_read_elf(argv[1], &elf_len);
	test_scenario();
	/* CL_TEST_BLOCKS shortens the random stream (the sanitizer build) */
	const char *nb = getenv("CL_TEST_BLOCKS");
	test_stream(nb ? (unsigned)strtoul(nb, NULL, 10) : 40);
	test_sizes();
	printf("%llu requests (%llu rejected); %llu steps in %.2f s: %.1f M "
	       "steps/s; the longest block %llu steps; the largest pre-state "
	       "%zu preimages, %zu bytes\n", (unsigned long long)total_reqs,
	       (unsigned long long)total_rejected,
	       (unsigned long long)total_steps, total_secs,
	       total_secs > 0 ? (double)total_steps / total_secs / 1e6 : 0.0,
	       (unsigned long long)max_steps, max_preimages, max_bytes);
	free(elf);
	return test_done("test_stf_guest");
}
