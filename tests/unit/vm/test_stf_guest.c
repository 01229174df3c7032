/* SPDX-License-Identifier: MIT */
/*
 * The stf as a VM program (src/guest, docs/vm.md "The stf as a VM
 * program") against the native stf, block by block: a scenario
 * (deposits, oracle updates, orders that match, a cancel, a withdrawal,
 * a leveraged long liquidated by an oracle move, an empty block an hour
 * later) and a seeded random stream of 40 blocks (CL_TEST_SEED replays).
 *
 * For every block: the native stf runs it on a memory state (the root
 * everyone agrees on); a witness state over the pre-state's full witness
 * runs it natively and must reach the same root, recording the part of
 * the witness it used; witness states over only that part, and over the
 * complete part (iteration proven), must reach it too; then the RISC-V
 * program runs the block in the VM from the used part and from the
 * complete part (completeness required) and must write the same root.
 * Tampering: every preimage of the used witness, changed by one byte, is
 * refused natively (never a root); in the VM a changed value makes the
 * program exit 13 with no output, and a used witness where a complete
 * one is required exit 11. Steps and VM time are printed per block.
 *
 * argv[1] is the folder of the guest ELF files, or "--no-compiler" when
 * meson found no cross compiler: then this test fails.
 */
#include "stf/stf_util.h"
#include "vm/stf_guest.h"

#define MAX_REQS 16

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

static struct vm_machine *run_vm(const struct blk *b,
				 const struct cl_genesis *g,
				 const uint8_t *wit, size_t wit_len,
				 bool complete, uint64_t *steps,
				 double *secs)
{
	struct vm_machine *m = sg_run_vm(elf, elf_len, &b->h, g, b->req, b->n,
					 wit, wit_len, complete, steps, secs);

	if (!m) {
		fprintf(stderr, "block %llu: the VM stopped with an error\n",
			(unsigned long long)b->h.number);
		exit(1);
	}
	return m;
}

/* Offsets of the preimages of an encoded witness (docs/vm.md). */
static size_t witness_preimages(const uint8_t *w, size_t len, size_t *off,
				uint32_t *plen, size_t max)
{
	size_t n = cl_get_be32(w + 4), at = 8, k = 0;

	CHECK(len >= 8 && memcmp(w, "CLW1", 4) == 0);
	for (size_t i = 0; i < n && k < max; i++) {
		uint32_t l = cl_get_be32(w + at);

		off[k] = at + 4;
		plen[k++] = l;
		at += 4 + l;
	}
	return k;
}

static uint64_t total_steps, max_steps, total_reqs, total_rejected;
static uint64_t total_csteps;
static double total_secs;
static size_t max_witness, max_complete;

/* The block through every path; the native state then holds its result. */
static bool quiet;

static void check_block(struct tenv *e, struct blk *b, bool vm_tamper)
{
	struct cl_buf full, used, again, comp;
	struct cl_state *ws;
	struct cl_hash32 native, wroot;
	int rej, rej_w, rc;

	cl_buf_init(&full);
	cl_buf_init(&used);
	cl_buf_init(&again);
	cl_buf_init(&comp);
	CHECK(cl_witness_full(e->st, &full) == CL_OK);

	/* the one-call hook other tests use (stf_guest.h), on the scenario */
	struct cl_hash32 hook_root;
	uint64_t hook_steps = 0;
	bool hook_ok = quiet || sg_block_root(&hook_root, &hook_steps, elf,
					      elf_len, e->st, &e->g, &b->h,
					      b->req, b->n, true);

	/* native, the reference */
	CHECK(run_block(e->st, &e->g, b, &native, &rej, true) == CL_OK);
	CHECK(hook_ok && (quiet || cl_hash32_eq(&hook_root, &native)));

	/* a witness state over the full witness, recording what it used */
	CHECK(cl_state_new_witness(&ws, &b->h.prev_root, full.p, full.len) ==
	      CL_OK);
	rc = run_block(ws, &e->g, b, &wroot, &rej_w, false);
	CHECK_MSG(rc == CL_OK && cl_hash32_eq(&wroot, &native) && rej == rej_w,
		  "block %llu: full witness rc %d", (unsigned long long)b->h.number,
		  rc);
	cl_witness_used(ws, &used, false);
	cl_witness_used(ws, &comp, true);
	cl_state_free(ws);

	/* a witness state over the used part only */
	CHECK(cl_state_new_witness(&ws, &b->h.prev_root, used.p, used.len) ==
	      CL_OK);
	rc = run_block(ws, &e->g, b, &wroot, &rej_w, false);
	CHECK_MSG(rc == CL_OK && cl_hash32_eq(&wroot, &native),
		  "block %llu: used witness rc %d",
		  (unsigned long long)b->h.number, rc);
	cl_witness_used(ws, &again, false);
	CHECK(again.len == used.len &&
	      memcmp(again.p, used.p, used.len) == 0);
	CHECK(!cl_state_witness_complete(ws));
	cl_state_free(ws);

	/* a witness state over the complete part: iteration proven */
	CHECK(cl_state_new_witness(&ws, &b->h.prev_root, comp.p, comp.len) ==
	      CL_OK);
	CHECK(cl_state_witness_complete(ws));
	rc = run_block(ws, &e->g, b, &wroot, &rej_w, false);
	CHECK_MSG(rc == CL_OK && cl_hash32_eq(&wroot, &native),
		  "block %llu: complete witness rc %d",
		  (unsigned long long)b->h.number, rc);
	cl_state_free(ws);

	/* every preimage changed by one byte: a backend error, no root */
	size_t off[4096];
	uint32_t plen[4096];
	size_t np = witness_preimages(used.p, used.len, off, plen, 4096);
	size_t tampered = 0, at_decode = 0;
	int level = cl_log_min_level;

	cl_log_min_level = CL_LOG_BROKEN; /* each refusal is logged */

	for (size_t i = 0; i < np; i++) {
		if (plen[i] == 0)
			continue;
		used.p[off[i] + plen[i] / 2] ^= 0x40;
		if (cl_state_new_witness(&ws, &b->h.prev_root, used.p,
					 used.len) == CL_OK) {
			rc = run_block(ws, &e->g, b, &wroot, &rej_w, false);
			CHECK_MSG(rc < 0, "block %llu: tampered preimage %zu "
				  "gave rc %d", (unsigned long long)b->h.number,
				  i, rc);
			cl_state_free(ws);
		} else {
			at_decode++; /* now equal to another preimage */
		}
		used.p[off[i] + plen[i] / 2] ^= 0x40;
		tampered++;
	}
	cl_log_min_level = level;

	/* the VM */
	uint64_t steps;
	double secs;
	size_t olen;
	struct vm_machine *m = run_vm(b, &e->g, used.p, used.len, false,
				      &steps, &secs);
	struct vm_cpu *c = vm_machine_cpu(m);
	const uint8_t *o = vm_output(m, &olen);

	CHECK_MSG(c->status == VM_EXITED && c->exit_code == 0,
		  "block %llu: status %u code %llu pc %llx after %llu steps",
		  (unsigned long long)b->h.number, c->status,
		  (unsigned long long)c->exit_code, (unsigned long long)c->pc,
		  (unsigned long long)steps);
	CHECK(olen == 32 && memcmp(o, native.b, 32) == 0);
	if (!quiet)
		printf("block %llu: %zu requests (%d rejected), witness %zu "
		       "bytes (%zu preimages, full %zu), %llu steps, %.2f s "
		       "in the VM, %zu tampered witnesses refused natively "
		       "(%zu as malformed)\n",
		       (unsigned long long)b->h.number, b->n, rej, used.len,
		       np, full.len, (unsigned long long)steps, secs,
		       tampered, at_decode);
	total_steps += steps;
	total_secs += secs;
	vm_machine_free(m);

	/* the VM from the complete witness, completeness required */
	uint64_t csteps;
	double csecs;

	m = run_vm(b, &e->g, comp.p, comp.len, true, &csteps, &csecs);
	c = vm_machine_cpu(m);
	o = vm_output(m, &olen);
	CHECK_MSG(c->status == VM_EXITED && c->exit_code == 0 && olen == 32 &&
		  memcmp(o, native.b, 32) == 0,
		  "block %llu, complete witness: status %u code %llu",
		  (unsigned long long)b->h.number, c->status,
		  (unsigned long long)c->exit_code);
	if (!quiet)
		printf("block %llu, complete witness: %zu bytes, %llu steps, "
		       "%.2f s in the VM\n", (unsigned long long)b->h.number,
		       comp.len, (unsigned long long)csteps, csecs);
	total_csteps += csteps;
	total_reqs += b->n;
	total_rejected += (uint64_t)rej;
	if (steps > max_steps)
		max_steps = steps;
	if (used.len > max_witness)
		max_witness = used.len;
	if (comp.len > max_complete)
		max_complete = comp.len;
	vm_machine_free(m);

	if (vm_tamper) {
		/* the largest value (tree nodes are 65 bytes) changed in
		 * the VM: it decodes, and the read of it fails */
		size_t i = np;

		for (size_t k = 0; k < np; k++)
			if (plen[k] > 65 && (i == np || plen[k] > plen[i]))
				i = k;
		CHECK(i < np);
		used.p[off[i] + plen[i] - 1] ^= 0x01;
		m = run_vm(b, &e->g, used.p, used.len, false, &steps, &secs);
		c = vm_machine_cpu(m);
		o = vm_output(m, &olen);
		CHECK_MSG(c->status == VM_EXITED && c->exit_code == 13 &&
			  olen == 0,
			  "tampered witness: status %u code %llu output %zu",
			  c->status, (unsigned long long)c->exit_code, olen);
		printf("block %llu, one value byte changed: status %u, exit "
		       "code %llu, no output, %llu steps\n",
		       (unsigned long long)b->h.number, c->status,
		       (unsigned long long)c->exit_code,
		       (unsigned long long)steps);
		vm_machine_free(m);
		used.p[off[i] + plen[i] - 1] ^= 0x01;

		/* a used witness where a complete one is required */
		m = run_vm(b, &e->g, used.p, used.len, true, &steps, &secs);
		c = vm_machine_cpu(m);
		CHECK(c->status == VM_EXITED && c->exit_code == 11 &&
		      (vm_output(m, &olen), olen == 0));
		vm_machine_free(m);
	}
	e->root = native;
	cl_buf_release(&full);
	cl_buf_release(&used);
	cl_buf_release(&again);
	cl_buf_release(&comp);
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
	check_block(&e, &b, true);
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

	/* 5: the price falls to 59000: the long is liquidated on the book */
	blk_init(&e, &b, 1000);
	tx = price_tx(&e, P(59000));
	add(&b, &tx);
	check_block(&e, &b, false);
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

	test_seed();
	tenv_init_with(&e, cl_state_new_memory(), tweak_stream);
	quiet = true;
	blk_init(&e, &b, 1000);
	for (int t = 0; t < NTRADERS; t++) {
		uint64_t usd = t < 4 ? 10000000 : 500 + rnd(5000);

		tx = t_deposit(e.next_deposit++, &e.addr[t], usd * T_USD);
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
		for (size_t i = 0; i < nreq; i++) {
			unsigned r = (unsigned)rnd(100);
			int mi = (int)rnd(3), t = (int)rnd(NTRADERS);

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
			} else {
				tx = t_deposit(e.next_deposit++, &e.addr[t],
					       (100 + rnd(1000)) * T_USD);
			}
			add(&b, &tx);
		}
		check_block(&e, &b, false);
		blk_release(&b);
	}
	quiet = false;
	printf("random stream: %u blocks, %llu derived steps (expiries, "
	       "liquidations, funding fills)\n", nblocks,
	       (unsigned long long)(derived - derived0));
	CHECK(derived > derived0);
	tenv_release(&e);
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
	printf("%llu requests (%llu rejected); %llu steps in %.2f s: %.1f M "
	       "steps/s; the longest block %llu steps, the largest witness "
	       "%zu bytes\n", (unsigned long long)total_reqs,
	       (unsigned long long)total_rejected,
	       (unsigned long long)total_steps, total_secs,
	       total_secs > 0 ? (double)total_steps / total_secs / 1e6 : 0.0,
	       (unsigned long long)max_steps, max_witness);
	printf("complete witnesses: %llu steps in all, the largest %zu "
	       "bytes\n", (unsigned long long)total_csteps, max_complete);
	free(elf);
	return test_done("test_stf_guest");
}
