/* SPDX-License-Identifier: MIT */
/*
 * The verdict program (docs/vm.md "The verdict program",
 * include/clearline/game.h) on batches posted the way the sequencer
 * posts them, natively and in the VM.
 *
 * A seeded random stream of blocks (12 traders on three markets, orders
 * of every kind, cancels, deposits, oracle moves, gaps up to an hour;
 * CL_TEST_SEED replays) runs natively; each block keeps only its
 * accepted requests, as the sequencer's blocks do, and the blocks are
 * posted as two version 2 batches (cl_batch2_encode) with the rollup's
 * record of each (dataHash, the last root, the deposits consumed) and
 * its list of deposit records. For every block k of every batch,
 * cl_game_prepare() builds the CLB3 input and the preimages from nothing
 * but the record, the data, the deposit records, the genesis and the
 * state after block k-1, and:
 *
 *   - honest data: the native verdict and the VM both say 0 (the VM
 *     writes the one byte 0 and exits 0);
 *   - block k's posted root changed (and the record's stateRoot with it
 *     when k is the last block, as a sequencer posting it would): 1 for
 *     block k, 0 for the blocks before it; the blocks after it name a
 *     pre-state root nobody has the tree of, so the VM cannot step
 *     (the challenger disputes the first wrong block);
 *   - a deposit record on L1 that differs from the batch's deposit (its
 *     amount, its recipient), one deposit too many or too few in the
 *     record: 1 for every block;
 *   - a request the stf refuses slipped into block k with honest roots:
 *     1 for block k;
 *   - data that does not decode, a record whose stateRoot, withdrawal
 *     root or first block is not the data's: 1;
 *   - k out of range: 10 (an input the rollup never builds);
 *   - the batch data's preimage missing: the VM cannot step;
 *   - cl_game_prepare() refuses data or a deposit count that is not the
 *     record's and a state that is not the one the program walks;
 *   - 40 random one-byte changes of a posted batch (its record following
 *     the changed data): every block's verdict is 0 or 1 (or no step,
 *     after a changed root), and each change is caught by some block.
 *
 * Every VM run's exit code and output byte must equal the native
 * verdict. For one right and one wrong verdict every preimage read (the
 * input, the genesis, the deposits list, the batch data, the pre-state)
 * and the exit are proven with vm_step_proof() and verified with
 * vm_step_verify(), as the last step of a game about them would be. Steps per
 * block are printed next to the same block run as a CLB2 input (the block
 * alone), so the cost of reading and decoding the batch shows.
 */
#include "stf/stf_util.h"
#include "vm/batch_stream.h"
#include "vm/stf_guest.h"

static uint8_t *elf;
static size_t elf_len;
/* when set, the genesis the host gives instead of the chain's */
static const struct cl_genesis *other_genesis;

/* ---- running the verdict ---- */

struct outcome {
	int native; /* cl_game_verdict(): exit code or CL_ERR_* */
	int vm;	    /* exit code; -1: the VM cannot step; -2: other */
	int byte;   /* the output byte, -1 if none */
	uint64_t steps;
	const char *why;
};

/* When set, judge() runs the VM step by step and proves every preimage
 * read and the last step (run_proving). */
static bool prove_reads;
static size_t proofs_made, proof_max, proof_bytes, data_proof_max;
static struct cl_hash32 data_key; /* the batch data's key */

/* One step of `m`, proven: the proof of the step from the current state
 * must verify to the state hash the machine reaches. */
static int prove_step(struct vm_machine *m)
{
	struct cl_hash32 pre, post, want;
	struct cl_buf proof;
	int rc;

	struct vm_cpu *c = vm_machine_cpu(m);
	struct cl_hash32 key;
	bool data_read = c->x[17] == VM_ECALL_PREIMAGE &&
			 vm_mem_read(m, key.b, c->x[10], 32) &&
			 cl_hash32_eq(&key, &data_key);

	cl_buf_init(&proof);
	vm_state_hash(m, &pre);
	rc = vm_step_proof(m, &proof);
	if (rc == VM_OK)
		rc = vm_step(m);
	if (rc == VM_OK) {
		vm_state_hash(m, &want);
		CHECK(vm_step_verify(&post, &pre, proof.p, proof.len) ==
			  VM_OK &&
		      cl_hash32_eq(&post, &want));
		proofs_made++;
		proof_bytes += proof.len;
		if (proof.len > proof_max)
			proof_max = proof.len;
		if (data_read && proof.len > data_proof_max)
			data_proof_max = proof.len;
	}
	cl_buf_release(&proof);
	return rc;
}

/* vm_run() step by step, proving every preimage ecall (the steps that
 * read the input, the genesis, the deposits list, the batch data and
 * the pre-state) and the last step, the exit. */
static int run_proving(struct vm_machine *m, uint64_t *steps)
{
	struct vm_cpu *c = vm_machine_cpu(m);
	int rc = VM_OK;

	*steps = 0;
	while (c->status == VM_RUNNING && *steps < SG_MAX_STEPS) {
		uint8_t w[4];
		bool ecall = vm_mem_read(m, w, c->pc, 4) &&
			     cl_get_be32(w) == 0x73000000u;

		if (ecall && (c->x[17] == VM_ECALL_PREIMAGE ||
			      c->x[17] == VM_ECALL_EXIT))
			rc = prove_step(m);
		else
			rc = vm_step(m);
		if (rc != VM_OK)
			return rc;
		++*steps;
	}
	return VM_OK;
}

/*
 * The verdict about block k of `p` (the pre-state is the stream's state
 * before block first + k) natively and, when `in_vm`, in the VM. `drop`
 * (may be NULL) is a hash whose preimage the host leaves out.
 */
static struct outcome judge_with(struct stream *s, const struct posted *p,
				 uint32_t k, bool in_vm,
				 const struct cl_hash32 *drop, bool host_state)
{
	struct outcome o = {.vm = -2, .byte = -1};
	struct cl_preimage_map *pm = cl_preimage_map_new(), *use = pm;
	struct cl_game_input in;
	struct cl_game_report rep;
	struct cl_hash32 key;
	struct cl_state *pre = NULL;
	size_t bi = p->first + (k < p->n ? k : 0);

	memset(&in, 0, sizeof(in));
	in.rec = p->rec;
	in.k = k;
	in.prev_root = p->prev_root;
	if (host_state)
		CHECK(cl_state_new_walk(&pre, &s->blk[bi].prev_root,
					cl_preimage_map_fetch,
					s->blk[bi].pre) == CL_OK);
	CHECK(cl_game_prepare(&key, pm, &in, p->data.p, p->data.len, p->dep,
			      p->n_dep, &p->assets, p->forced, p->n_forced,
			      other_genesis ? other_genesis : &s->e.g,
			      pre) == CL_OK);
	cl_state_free(pre);
	if (drop) {
		use = cl_preimage_map_new();
		for (size_t i = 0; i < cl_preimage_map_count(pm, NULL); i++) {
			const uint8_t *b;
			size_t len;
			struct cl_hash32 h;

			cl_preimage_map_at(pm, i, &b, &len);
			cl_keccak256(h.b, b, len);
			if (!cl_hash32_eq(&h, drop))
				cl_preimage_map_add(use, b, len);
		}
	}
	o.native = cl_game_verdict(&rep, &key, cl_preimage_map_fetch, use);
	o.why = rep.why;
	if (in_vm) {
		struct vm_machine *m = vm_machine_new();
		size_t np = cl_preimage_map_count(use, NULL), olen;
		bool ok = vm_load_elf(m, elf, elf_len) == VM_OK &&
			  vm_mem_write(m, VM_BOOT_ADDR, key.b, 32);

		for (size_t i = 0; ok && i < np; i++) {
			const uint8_t *b;
			size_t len;

			cl_preimage_map_at(use, i, &b, &len);
			ok = vm_preimage_add(m, b, len);
		}
		CHECK(ok);
		int rc = prove_reads ? run_proving(m, &o.steps)
				     : vm_run(m, SG_MAX_STEPS, &o.steps);
		struct vm_cpu *c = vm_machine_cpu(m);
		const uint8_t *out = vm_output(m, &olen);

		if (rc == VM_E_PREIMAGE)
			o.vm = -1;
		else if (rc == VM_OK && c->status == VM_EXITED)
			o.vm = (int)c->exit_code;
		if (olen == 1)
			o.byte = out[0];
		CHECK_MSG(olen <= 1, "the program wrote %zu bytes", olen);
		vm_machine_free(m);
		/* the VM and the native run of the same code agree */
		if (o.native == CL_ERR_NOT_FOUND)
			CHECK_MSG(o.vm == -1,
				  "native: a preimage is missing; "
				  "the VM: %d",
				  o.vm);
		else
			CHECK_MSG(o.vm == o.native &&
				      o.byte == (o.native <= 1 ? o.native : -1),
				  "native %d (%s), the VM %d byte %d", o.native,
				  o.why, o.vm, o.byte);
	}
	if (use != pm)
		cl_preimage_map_free(use);
	cl_preimage_map_free(pm);
	return o;
}

static struct outcome judge(struct stream *s, const struct posted *p,
			    uint32_t k, bool in_vm,
			    const struct cl_hash32 *drop)
{
	return judge_with(s, p, k, in_vm, drop, true);
}

static void expect(struct stream *s, const struct posted *p, uint32_t k,
		   bool in_vm, int want, const char *what)
{
	struct outcome o = judge(s, p, k, in_vm, NULL);

	CHECK_MSG(o.native == want,
		  "%s, block %u of %zu: verdict %d (%s), expected %d", what, k,
		  p->n, o.native, o.why, want);
}

/* ---- the checks ---- */

static void check_assets(void);

static uint64_t steps_clb3, steps_clb2, runs;

static void check_honest(struct stream *s, const struct posted *p)
{
	for (uint32_t k = 0; k < p->n; k++) {
		struct sblock *sb = &s->blk[p->first + k];
		struct outcome o = judge(s, p, k, true, NULL);
		struct cl_buf req[MAX_REQS];
		struct cl_block_header h;
		uint64_t st2 = 0;
		double secs;

		CHECK_MSG(o.native == CL_GAME_RIGHT && o.vm == 0 && o.byte == 0,
			  "honest block %u: native %d (%s), the VM %d", k,
			  o.native, o.why, o.vm);
		/* the same block as a CLB2 input: the block alone */
		memset(&h, 0, sizeof(h));
		h.number = sb->b.number;
		h.timestamp_ms = sb->b.timestamp_ms;
		h.prev_root = sb->prev_root;
		h.l1 = sb->b.l1;
		for (size_t i = 0; i < sb->b.n_txs; i++) {
			cl_buf_init(&req[i]);
			cl_tx_encode(&req[i], &sb->txs[i]);
		}
		struct vm_machine *m =
		    sg_run_vm(elf, elf_len, &h, &s->e.g, req, sb->b.n_txs,
			      sb->pre, &st2, &secs);
		CHECK(m && vm_machine_cpu(m)->exit_code == 0);
		vm_machine_free(m);
		for (size_t i = 0; i < sb->b.n_txs; i++)
			cl_buf_release(&req[i]);
		printf("batch of blocks %llu..%llu (%zu bytes), block %u: %zu "
		       "requests; CLB3 %llu steps, CLB2 %llu steps (+%lld)\n",
		       (unsigned long long)p->rec.first_block,
		       (unsigned long long)p->rec.last_block, p->data.len, k,
		       sb->b.n_txs, (unsigned long long)o.steps,
		       (unsigned long long)st2,
		       (long long)o.steps - (long long)st2);
		steps_clb3 += o.steps;
		steps_clb2 += st2;
		runs++;
	}
}

/*
 * Block `bad`'s posted root changed: 1 for it, 0 before it; block bad+1
 * names the changed root as its pre-state, whose tree nobody has, so
 * the VM cannot step on it (the honest host has no state to give); the
 * blocks after that name honest roots again and are right.
 */
static void check_root_changed(struct stream *s, const struct posted *p,
			       uint32_t bad, bool in_vm)
{
	struct cl_batch2_block blocks[MAX_BLOCKS];
	struct posted q;

	for (size_t i = 0; i < p->n; i++)
		blocks[i] = s->blk[p->first + i].b;
	blocks[bad].root.b[7] ^= 0x20;
	repost(&q, p, blocks);
	for (uint32_t k = 0; k < p->n; k++) {
		bool next = k == bad + 1 && k < p->n;
		struct outcome o =
		    judge_with(s, &q, k, in_vm && k <= bad + 1, NULL, !next);

		if (k == bad)
			CHECK_MSG(o.native == CL_GAME_WRONG,
				  "the changed root of block %u: %d (%s)", k,
				  o.native, o.why);
		else if (next)
			CHECK_MSG(o.native == CL_ERR_NOT_FOUND,
				  "block %u after the changed root: %d (%s)", k,
				  o.native, o.why);
		else
			CHECK_MSG(o.native == CL_GAME_RIGHT,
				  "block %u (root %u changed): %d (%s)", k, bad,
				  o.native, o.why);
	}
	printf("block %u of %zu: its root changed: verdict 1 for it, 0 for "
	       "the others, no step for the next%s\n",
	       bad, p->n, in_vm ? " (native and VM)" : "");
	cl_buf_release(&q.data);
}

/* The L1 deposit records against the batch's deposits. */
static void check_deposits(struct stream *s, const struct posted *p)
{
	struct cl_game_deposit dep[MAX_DEPS];
	struct posted q = *p;

	CHECK(p->n_dep >= 2);
	memcpy(dep, p->dep, p->n_dep * sizeof(*dep));
	q.dep = dep;

	dep[1].amount += 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "a deposit amount differs");
	expect(s, &q, (uint32_t)p->n - 1, false, CL_GAME_WRONG,
	       "a deposit amount differs");
	dep[1] = p->dep[1];
	dep[0].to.b[19] ^= 1;
	expect(s, &q, (uint32_t)p->n - 1, true, CL_GAME_WRONG,
	       "a deposit recipient differs");
	dep[0] = p->dep[0];
	/* the timestamp is in the hash, not in the batch: still right */
	dep[0].timestamp += 1;
	expect(s, &q, 0, false, CL_GAME_RIGHT, "another deposit timestamp");
	dep[0] = p->dep[0];

	/* the record consumes one deposit fewer, or one more */
	q.n_dep = p->n_dep - 1;
	q.rec.deposits = p->rec.deposits - 1;
	expect(s, &q, 0, false, CL_GAME_WRONG, "one deposit fewer on L1");
	dep[p->n_dep] = dep[0];
	dep[p->n_dep].amount = 5;
	q.n_dep = p->n_dep + 1;
	q.rec.deposits = p->rec.deposits + 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "one deposit more on L1");
	printf("deposits that differ from the L1 records: verdict 1\n");
}

/* The L1 forced records against the batch's forced requests. */
static void check_forced_list(struct stream *s, const struct posted *p)
{
	struct cl_game_forced f[MAX_FORCED];
	struct posted q = *p;

	if (p->n_forced == 0) {
		printf("no forced request in this batch (seed)\n");
		return;
	}
	memcpy(f, p->forced, p->n_forced * sizeof(*f));
	q.forced = f;
	f[0].b ^= 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "a forced field differs");
	f[0] = p->forced[0];
	f[0].account.b[0] ^= 1;
	expect(s, &q, (uint32_t)p->n - 1, false, CL_GAME_WRONG,
	       "a forced account differs");
	f[0] = p->forced[0];
	q.n_forced = p->n_forced - 1;
	q.rec.forced = p->rec.forced - 1;
	expect(s, &q, 0, false, CL_GAME_WRONG, "one forced request fewer");
	f[p->n_forced] = p->forced[0];
	q.n_forced = p->n_forced + 1;
	q.rec.forced = p->rec.forced + 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "one forced request more");
	printf("forced requests that differ from the L1 records: verdict 1\n");
}

/* A refused request slipped into block k (the roots stay honest: a
 * refused request changes nothing), and other malformed posts. */
static void check_malformed(struct stream *s, const struct posted *p)
{
	struct cl_batch2_block blocks[MAX_BLOCKS];
	struct cl_tx txs[MAX_REQS + 1];
	struct posted q;
	uint32_t k = (uint32_t)p->n / 2;

	for (size_t i = 0; i < p->n; i++)
		blocks[i] = s->blk[p->first + i].b;
	memcpy(txs, blocks[k].txs, blocks[k].n_txs * sizeof(*txs));
	/* a withdrawal of more than anyone has */
	txs[blocks[k].n_txs] = t_withdraw(&s->e, &s->e.addr[5], &s->e.addr[5],
					  UINT64_MAX / 4, 999, s->e.key[5]);
	blocks[k].txs = txs;
	blocks[k].n_txs++;
	repost(&q, p, blocks);
	expect(s, &q, k, true, CL_GAME_WRONG, "a refused request");
	if (k > 0)
		expect(s, &q, k - 1, false, CL_GAME_RIGHT,
		       "the block before a refused request");
	cl_buf_release(&q.data);

	/* an asset deposit in a batch that consumes none on L1 (its asset
	 * part is empty): wrong (in the VM too), whatever the stf would say
	 * of it */
	for (size_t i = 0; i < p->n; i++)
		blocks[i] = s->blk[p->first + i].b;
	memcpy(txs, blocks[k].txs, blocks[k].n_txs * sizeof(*txs));
	memset(&txs[blocks[k].n_txs], 0, sizeof(txs[0]));
	txs[blocks[k].n_txs].type = CL_TX_ASSET_DEPOSIT;
	txs[blocks[k].n_txs].u.asset_deposit.asset = 1;
	txs[blocks[k].n_txs].u.asset_deposit.to = s->e.addr[5];
	txs[blocks[k].n_txs].u.asset_deposit.amount = 1;
	blocks[k].txs = txs;
	blocks[k].n_txs++;
	repost(&q, p, blocks);
	{
		/* for that reason, not as a refused request (no genesis
		 * asset here): checked before any block runs, so at block 0 */
		CHECK(p->assets.n == 0);
		struct outcome o = judge(s, &q, 0, true, NULL);
		CHECK_MSG(o.native == CL_GAME_WRONG && o.why &&
			      strstr(o.why, "asset deposit") != NULL,
			  "an asset deposit: verdict %d (%s)", o.native,
			  o.why ? o.why : "");
	}
	cl_buf_release(&q.data);

	/* data that does not decode: a trailing byte */
	q = *p;
	cl_buf_init(&q.data);
	cl_buf_append(&q.data, p->data.p, p->data.len);
	cl_buf_append(&q.data, "\0", 1);
	cl_keccak256(q.rec.data_hash.b, q.data.p, q.data.len);
	expect(s, &q, 0, true, CL_GAME_WRONG, "data that does not decode");
	cl_buf_release(&q.data);

	/* records that are not the data's */
	q = *p;
	q.rec.state_root.b[0] ^= 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "another stateRoot");
	q = *p;
	q.rec.withdrawal_root.b[0] ^= 1;
	expect(s, &q, 0, false, CL_GAME_WRONG, "another withdrawalRoot");
	q = *p;
	q.rec.first_block++;
	q.rec.last_block++;
	expect(s, &q, 0, false, CL_GAME_WRONG, "another first block");
	q = *p;
	q.rec.last_block++;
	expect(s, &q, 0, false, CL_GAME_WRONG, "another block count");

	/* another valid genesis: not the state's */
	struct cl_genesis g2 = s->e.g;
	g2.oracle_max_age++;
	other_genesis = &g2;
	expect(s, p, 0, true, CL_GAME_E_INPUT, "another genesis");
	other_genesis = NULL;

	/* k out of range: an input the rollup never builds */
	expect(s, p, (uint32_t)p->n, true, CL_GAME_E_INPUT, "k out of range");

	/* the batch data's preimage missing: the VM cannot step */
	struct outcome o = judge(s, p, 0, true, &p->rec.data_hash);
	CHECK_MSG(o.native == CL_ERR_NOT_FOUND && o.vm == -1,
		  "the data's preimage missing: native %d, the VM %d", o.native,
		  o.vm);
	printf("a refused request, data that does not decode, records that "
	       "are not the data's: verdict 1; k out of range: 10\n");
}

/*
 * The cost of reading and decoding a large batch: synthetic blocks of
 * signed-looking orders (50 traders, three markets; the signatures are
 * random, the stf never sees them) up to about `kib` KiB of data, with a
 * record whose stateRoot is not the data's, so the program reads the
 * whole data, decodes it, checks the record and stops with verdict 1
 * before any state is walked: the steps are those of the batch alone.
 * CL_TEST_BATCH_KIB (comma-separated) sets the sizes.
 */
static void check_decode_cost(struct stream *s)
{
	const char *env = getenv("CL_TEST_BATCH_KIB");
	char list[256];

	snprintf(list, sizeof(list), "%s", env ? env : "16,120");
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		size_t kib = (size_t)strtoul(tok, NULL, 10);
		size_t per = 100, nblk = 0, ntx = 0;
		struct cl_batch2_block *blocks = NULL;
		struct cl_tx *txs = NULL;
		struct posted q;

		memset(&q, 0, sizeof(q));
		cl_buf_init(&q.data);
		/* about 80 bytes an order: grow until the data is big enough */
		while (q.data.len < kib * 1024) {
			blocks =
			    cl_xrealloc(blocks, (nblk + 1) * sizeof(*blocks));
			struct cl_batch2_block *b = &blocks[nblk];

			memset(b, 0, sizeof(*b));
			b->number = 1 + nblk;
			b->timestamp_ms = T_START_MS + 100 * nblk;
			b->l1 = t_l1_at(T_START_MS + 12000 * (nblk / 120));
			b->root.b[0] = (uint8_t)nblk;
			b->n_txs = per;
			nblk++;
			ntx += per;
			txs = cl_xrealloc(txs, ntx * sizeof(*txs));
			for (size_t i = ntx - per; i < ntx; i++) {
				struct cl_tx *tx = &txs[i];
				struct cl_order *o = &tx->u.place.order;

				memset(tx, 0, sizeof(*tx));
				tx->type = CL_TX_PLACE_ORDER;
				memset(o->trader.b, 0x40 + (int)rnd(50), 20);
				o->market = 1 + (uint32_t)rnd(3);
				o->is_buy = rnd(2);
				o->price = 5000000 + rnd(1000) * 100;
				o->size = 100 * (1 + rnd(50));
				o->nonce = i;
				o->expiry = T_START_MS / 1000 + 3600;
				for (size_t j = 0; j < 64; j++)
					tx->u.place.sig.b[j] =
					    (uint8_t)rnd(256);
				tx->u.place.sig.b[64] = 27;
			}
			size_t at = 0;
			for (size_t j = 0; j < nblk; j++) {
				blocks[j].txs = txs + at;
				at += blocks[j].n_txs;
			}
			cl_buf_reset(&q.data);
			CHECK(cl_batch2_encode(&q.data, blocks, nblk) ==
			      CL_BATCH_OK);
		}
		cl_keccak256(q.rec.data_hash.b, q.data.p, q.data.len);
		q.n = nblk;
		q.rec.first_block = 1;
		q.rec.last_block = nblk;
		q.rec.state_root.b[0] = 0xee; /* not the data's */
		q.rec.withdrawal_root = q.rec.state_root;
		q.prev_root = s->genesis_root;

		struct outcome o = judge_with(s, &q, 0, true, NULL, false);
		CHECK_MSG(o.native == CL_GAME_WRONG && o.vm == 1,
			  "a large batch: native %d (%s), the VM %d", o.native,
			  o.why, o.vm);
		printf("a batch of %zu bytes (%zu blocks, %zu orders): read, "
		       "decoded and checked in %llu steps (%.1f per byte)\n",
		       q.data.len, nblk, ntx, (unsigned long long)o.steps,
		       (double)o.steps / (double)q.data.len);
		cl_buf_release(&q.data);
		free(blocks);
		free(txs);
	}
}

/*
 * The genesis the program reads: the canonical encoding, whose keccak256
 * is the chain's genesis hash. It decodes back to the same struct; a
 * truncation, a trailing byte, another version or an overlong symbol is
 * refused; any one-byte change is refused or decodes to a genesis whose
 * encoding is exactly the changed bytes (one preimage per genesis).
 */
static void check_genesis(const struct cl_genesis *g)
{
	struct cl_genesis back, zero;
	struct cl_buf b, again;
	struct cl_hash32 h1, h2;
	size_t refused = 0, other = 0;

	cl_buf_init(&b);
	cl_buf_init(&again);
	cl_genesis_encode(&b, g);
	cl_genesis_hash(&h1, g);
	cl_keccak256(h2.b, b.p, b.len);
	CHECK(cl_hash32_eq(&h1, &h2));
	CHECK(cl_game_genesis_decode(&back, b.p, b.len));
	CHECK(memcmp(&back, g, sizeof(back)) == 0);
	memset(&zero, 0, sizeof(zero));
	CHECK(!cl_game_genesis_decode(&back, b.p, b.len - 1) &&
	      memcmp(&back, &zero, sizeof(zero)) == 0);
	cl_buf_append(&again, b.p, b.len);
	cl_buf_append(&again, "\0", 1);
	CHECK(!cl_game_genesis_decode(&back, again.p, again.len));
	b.p[9] ^= 1; /* the version */
	CHECK(!cl_game_genesis_decode(&back, b.p, b.len));
	b.p[9] ^= 1;
	for (size_t i = 0; i < b.len; i++) {
		uint8_t keep = b.p[i];

		b.p[i] ^= (uint8_t)(1u << (i % 8));
		if (!cl_game_genesis_decode(&back, b.p, b.len)) {
			refused++;
		} else {
			cl_buf_reset(&again);
			cl_genesis_encode(&again, &back);
			CHECK(again.len == b.len &&
			      memcmp(again.p, b.p, b.len) == 0);
			other++;
		}
		b.p[i] = keep;
	}
	printf("genesis: %zu bytes; of the one-bit changes %zu refused, %zu "
	       "another valid genesis with exactly those bytes\n",
	       b.len, refused, other);
	cl_buf_release(&b);
	cl_buf_release(&again);
}

/*
 * Random one-byte changes of a posted batch (the record follows the
 * data's hash, as if the sequencer had posted the changed bytes): for
 * every block the native verdict is 0 or 1, or a preimage is missing
 * (the change hit a root, which the next block names as its
 * pre-state); for one block per change the VM says the same. Some
 * block must say 1: every field of a batch is signed, checked against
 * the rollup's records or part of the state root (a block's time and L1
 * reference are in GLOBALS), so no change goes unseen.
 */
static void check_mutations(struct stream *s, const struct posted *p,
			    unsigned count)
{
	unsigned undecodable = 0, caught = 0, unseen = 0;
	struct cl_batch_limits lim;

	cl_batch_limits_default(&lim);
	for (unsigned m = 0; m < count; m++) {
		struct posted q = *p;
		struct cl_batch2 b;
		size_t at = (size_t)rnd(p->data.len);
		bool decodes, wrong = false;

		cl_buf_init(&q.data);
		cl_buf_append(&q.data, p->data.p, p->data.len);
		q.data.p[at] ^= (uint8_t)(1 + rnd(255));
		cl_keccak256(q.rec.data_hash.b, q.data.p, q.data.len);
		decodes = cl_batch2_decode(&b, q.data.p, q.data.len, &lim) ==
			  CL_BATCH_OK;
		if (decodes && b.n_blocks == p->n) {
			q.rec.state_root = b.blocks[b.n_blocks - 1].root;
			q.rec.withdrawal_root = q.rec.state_root;
		}
		for (uint32_t k = 0; k < p->n; k++) {
			bool host = true;

			if (decodes && k > 0 && k < b.n_blocks)
				host = cl_hash32_eq(
				    &b.blocks[k - 1].root,
				    &s->blk[p->first + k - 1].b.root);
			struct outcome o = judge_with(
			    s, &q, k, k == m % p->n && m < 12, NULL, host);
			CHECK_MSG(o.native == CL_GAME_RIGHT ||
				      o.native == CL_GAME_WRONG ||
				      (!host && o.native == CL_ERR_NOT_FOUND),
				  "byte %zu changed, block %u: %d (%s)", at, k,
				  o.native, o.why);
			wrong |= o.native == CL_GAME_WRONG;
		}
		if (decodes)
			cl_batch2_release(&b);
		else
			undecodable++;
		if (wrong)
			caught++;
		else
			unseen++;
		CHECK_MSG(wrong, "byte %zu changed: every block right", at);
		cl_buf_release(&q.data);
	}
	printf("%u one-byte changes of a posted batch: %u do not decode, %u "
	       "give verdict 1 for some block, %u none\n",
	       count, undecodable, caught, unseen);
}

/* cl_game_prepare() refuses data that is not the record's, a deposit
 * count that is not the record's and a state that is not the one the
 * program walks, and then adds nothing. */
static void check_prepare(struct stream *s, const struct posted *p)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_game_input in;
	struct cl_hash32 key;
	struct cl_state *pre;

	CHECK(p->n >= 2);
	memset(&in, 0, sizeof(in));
	in.rec = p->rec;
	in.prev_root = p->prev_root;
	in.k = 1;
	/* the state before block 0, not before block 1 */
	CHECK(cl_state_new_walk(&pre, &s->blk[p->first].prev_root,
				cl_preimage_map_fetch,
				s->blk[p->first].pre) == CL_OK);
	CHECK(cl_game_prepare(&key, pm, &in, p->data.p, p->data.len, p->dep,
			      p->n_dep, &p->assets, p->forced, p->n_forced, &s->e.g,
			      pre) == CL_ERR_CONFIG);
	in.k = 0;
	CHECK(cl_game_prepare(&key, pm, &in, p->data.p, p->data.len - 1, p->dep,
			      p->n_dep, &p->assets, p->forced, p->n_forced, &s->e.g,
			      pre) == CL_ERR_CONFIG);
	CHECK(p->n_dep > 0);
	CHECK(cl_game_prepare(&key, pm, &in, p->data.p, p->data.len, p->dep,
			      p->n_dep - 1, &p->assets, p->forced, p->n_forced, &s->e.g,
			      pre) == CL_ERR_CONFIG);
	CHECK(cl_preimage_map_count(pm, NULL) == 0);
	CHECK(cl_game_prepare(&key, pm, &in, p->data.p, p->data.len, p->dep,
			      p->n_dep, &p->assets, p->forced, p->n_forced, &s->e.g,
			      pre) == CL_OK);
	CHECK(cl_preimage_map_count(pm, NULL) > 4);
	cl_state_free(pre);
	cl_preimage_map_free(pm);
}

/* The deposits list and the input layout, byte for byte. */
static void check_encoding(void)
{
	struct cl_game_deposit d = {.amount = 0x0102030405060708ull,
				    .timestamp = 0x0a0b0c0d};
	struct cl_game_input in, back;
	uint8_t bytes[CL_GAME_INPUT_LEN];
	struct cl_buf b;

	memset(d.to.b, 0xaa, 20);
	cl_buf_init(&b);
	cl_game_deposits_encode(&b, &d, 1);
	CHECK(b.len == CL_GAME_DEPOSIT_LEN && b.p[19] == 0xaa && b.p[20] == 1 &&
	      b.p[27] == 8 && b.p[28] == 0x0a && b.p[31] == 0x0d);
	cl_buf_release(&b);

	memset(&in, 0, sizeof(in));
	for (int i = 0; i < 32; i++) {
		in.rec.data_hash.b[i] = (uint8_t)(1 + i);
		in.prev_root.b[i] = (uint8_t)(2 + i);
		in.deposits_hash.b[i] = (uint8_t)(3 + i);
		in.genesis_hash.b[i] = (uint8_t)(4 + i);
		in.forced_hash.b[i] = (uint8_t)(7 + i);
		in.rec.state_root.b[i] = (uint8_t)(5 + i);
		in.rec.withdrawal_root.b[i] = (uint8_t)(6 + i);
	}
	in.k = 0x11223344;
	in.rec.prev_deposits = 7;
	in.rec.deposits = 9;
	in.rec.prev_forced = 11;
	in.rec.forced = 13;
	in.rec.first_block = 100;
	in.rec.last_block = 0x0102030405060708ull;
	cl_game_input_encode(bytes, &in);
	CHECK(CL_GAME_INPUT_LEN == 280);
	CHECK(memcmp(bytes, "CLB3", 4) == 0 && bytes[4] == 1 &&
	      bytes[36] == 0x11 && bytes[39] == 0x44 && bytes[40] == 2 &&
	      bytes[72] == 3 && bytes[104] == 7 && bytes[136] == 4 &&
	      bytes[168] == 5 && bytes[200] == 6 && bytes[239] == 7 &&
	      bytes[247] == 9 && bytes[255] == 11 && bytes[263] == 13 &&
	      bytes[271] == 100 && bytes[272] == 1 && bytes[279] == 8);
	CHECK(cl_game_input_decode(&back, bytes, sizeof(bytes)) &&
	      memcmp(&back, &in, sizeof(in)) == 0);
	CHECK(!cl_game_input_decode(&back, bytes, sizeof(bytes) - 1));
	bytes[3] = '2';
	CHECK(!cl_game_input_decode(&back, bytes, sizeof(bytes)));

	/* the asset part: nothing for none, else the first id and 36 bytes
	 * a record; and back */
	struct cl_game_asset_deposit ad[2] = {
	    {.amount = 0x1112131415161718ull, .timestamp = 0x21222324,
	     .asset = 0x31323334},
	    {.amount = 5, .timestamp = 6, .asset = 1}};
	struct cl_game_assets as = {.first = 0x0102030405060708ull, .d = ad,
				    .n = 0};
	struct cl_game_asset_deposit *got;
	uint64_t first;
	size_t n;

	memset(ad[0].to.b, 0xbb, 20);
	cl_buf_init(&b);
	cl_game_asset_deposits_encode(&b, &as);
	cl_game_asset_deposits_encode(&b, NULL);
	CHECK(b.len == 0);
	as.n = 2;
	cl_game_asset_deposits_encode(&b, &as);
	CHECK(b.len == 8 + 2 * CL_GAME_ASSET_DEPOSIT_LEN && b.p[0] == 1 &&
	      b.p[7] == 8 && b.p[8] == 0xbb && b.p[27] == 0xbb &&
	      b.p[28] == 0x11 && b.p[35] == 0x18 && b.p[36] == 0x21 &&
	      b.p[39] == 0x24 && b.p[40] == 0x31 && b.p[43] == 0x34 &&
	      b.p[79] == 1);
	CHECK(cl_game_asset_list_decode(&first, &got, &n, b.p, b.len));
	CHECK(first == as.first && n == 2 &&
	      memcmp(got, ad, sizeof(ad)) == 0);
	free(got);
	CHECK(cl_game_asset_list_decode(&first, &got, &n, b.p, 0) &&
	      n == 0 && got == NULL);
	/* lengths that are not whole records, a head alone, ids past 2^64 */
	CHECK(!cl_game_asset_list_decode(&first, &got, &n, b.p, b.len - 1) &&
	      n == 0 && got == NULL);
	CHECK(!cl_game_asset_list_decode(&first, &got, &n, b.p, 8));
	CHECK(!cl_game_asset_list_decode(&first, &got, &n, b.p, 7));
	memset(b.p, 0xff, 8);
	CHECK(!cl_game_asset_list_decode(&first, &got, &n, b.p, b.len));
	cl_buf_release(&b);
}

/*
 * Asset deposits (docs/disputes.md "Wiring"): a stream whose genesis has
 * the tETH asset and whose first block applies two asset deposits, so
 * its first batch consumes them and the deposits list carries their
 * records after the deposits. Honest: 0 for every block (native and
 * VM). Every way the batch can disagree with ClearlineAssets' records
 * is 1: an amount, an asset, a recipient, the first id, a record the
 * batch skips, one it invents, the two in another order (on L1 or in
 * the data). The batch after it consumes none: its list is the
 * deposits alone (as on a chain without assets), and an asset deposit
 * slipped into it is 1.
 */
static void check_assets(void)
{
	struct stream *s = cl_xcalloc(1, sizeof(*s));
	struct cl_game_asset_deposit ad[MAX_DEPS];
	struct cl_batch2_block blocks[MAX_BLOCKS];
	struct cl_tx txs[MAX_REQS + 1];
	struct posted b0, b1, q;
	size_t n = 6;

	stream_build_with(s, n, true);
	CHECK(s->n_adep == 2);
	post(&b0, s, 0, n / 2, NULL);
	post(&b1, s, n / 2, n - n / 2, &b0);
	CHECK(b0.assets.n == 2 && b0.assets.first == 0 && b1.assets.n == 0 &&
	      b1.assets.first == 2);
	for (uint32_t k = 0; k < b0.n; k++)
		expect(s, &b0, k, k == 0 || k + 1 == b0.n, CL_GAME_RIGHT,
		       "honest batch with asset deposits");
	for (uint32_t k = 0; k < b1.n; k++)
		expect(s, &b1, k, k == 0, CL_GAME_RIGHT,
		       "honest batch after the asset deposits");

	q = b0;
	memcpy(ad, b0.assets.d, 2 * sizeof(*ad));
	q.assets.d = ad;
	ad[1].amount += 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "an asset deposit amount");
	expect(s, &q, (uint32_t)q.n - 1, true, CL_GAME_WRONG,
	       "an asset deposit amount");
	ad[1] = b0.assets.d[1];
	ad[0].asset = 2;
	expect(s, &q, 0, false, CL_GAME_WRONG, "an asset deposit's asset");
	ad[0] = b0.assets.d[0];
	ad[0].to.b[3] ^= 1;
	expect(s, &q, (uint32_t)q.n - 1, true, CL_GAME_WRONG,
	       "an asset deposit recipient");
	ad[0] = b0.assets.d[0];
	/* the timestamp is in the hash, not in the batch */
	ad[0].timestamp += 1;
	expect(s, &q, 0, false, CL_GAME_RIGHT, "another asset timestamp");
	ad[0] = b0.assets.d[0];
	/* the two in the other order on L1 */
	ad[0] = b0.assets.d[1];
	ad[1] = b0.assets.d[0];
	expect(s, &q, 0, true, CL_GAME_WRONG, "asset deposits out of order");
	ad[0] = b0.assets.d[0];
	ad[1] = b0.assets.d[1];
	/* ids from another first */
	q.assets.first = 1;
	expect(s, &q, 0, false, CL_GAME_WRONG, "asset ids from 1");
	q.assets.first = 0;
	/* the record consumes one fewer: the batch invents the second */
	q.assets.n = 1;
	expect(s, &q, 0, true, CL_GAME_WRONG, "an invented asset deposit");
	/* the record consumes one more: the batch skips it */
	ad[2] = ad[0];
	q.assets.n = 3;
	expect(s, &q, 0, true, CL_GAME_WRONG, "a skipped asset deposit");
	q.assets.n = 0;
	expect(s, &q, 0, false, CL_GAME_WRONG, "no asset part");

	/* the data carries the two in the other order */
	for (size_t i = 0; i < b0.n; i++)
		blocks[i] = s->blk[b0.first + i].b;
	memcpy(txs, blocks[0].txs, blocks[0].n_txs * sizeof(*txs));
	for (size_t i = 0; i + 1 < blocks[0].n_txs; i++)
		if (txs[i].type == CL_TX_ASSET_DEPOSIT) {
			struct cl_tx t = txs[i];
			CHECK(txs[i + 1].type == CL_TX_ASSET_DEPOSIT);
			txs[i] = txs[i + 1];
			txs[i + 1] = t;
			break;
		}
	blocks[0].txs = txs;
	repost(&q, &b0, blocks);
	expect(s, &q, 0, true, CL_GAME_WRONG,
	       "the data's asset deposits out of order");
	cl_buf_release(&q.data);

	/* the batch after consumes none: an asset deposit slipped in */
	for (size_t i = 0; i < b1.n; i++)
		blocks[i] = s->blk[b1.first + i].b;
	memcpy(txs, blocks[0].txs, blocks[0].n_txs * sizeof(*txs));
	txs[blocks[0].n_txs] = asset_deposit(2, T_TETH, &s->e.addr[6], 1);
	blocks[0].txs = txs;
	blocks[0].n_txs++;
	repost(&q, &b1, blocks);
	expect(s, &q, 0, true, CL_GAME_WRONG,
	       "an asset deposit the record does not consume");
	cl_buf_release(&q.data);
	/* a deposits list whose asset part is not whole records, a head
	 * alone, or ids past 2^64 - 1: an input the rollup never builds */
	{
		static const size_t cut[] = {1, 8, 36 + 7};
		struct cl_buf list;

		for (size_t c = 0; c < 4; c++) {
			struct cl_preimage_map *pm = cl_preimage_map_new();
			struct cl_game_input in;
			struct cl_hash32 key;
			uint8_t bytes[CL_GAME_INPUT_LEN];
			struct cl_state *pre;

			memset(&in, 0, sizeof(in));
			in.rec = b0.rec;
			in.prev_root = b0.prev_root;
			CHECK(cl_state_new_walk(&pre, &s->blk[0].prev_root,
						cl_preimage_map_fetch,
						s->blk[0].pre) == CL_OK);
			CHECK(cl_game_prepare(&key, pm, &in, b0.data.p,
					      b0.data.len, b0.dep, b0.n_dep,
					      &b0.assets, b0.forced,
					      b0.n_forced, &s->e.g,
					      pre) == CL_OK);
			cl_state_free(pre);
			cl_buf_init(&list);
			cl_game_deposits_encode(&list, b0.dep, b0.n_dep);
			if (c < 3) {
				size_t keep = list.len + cut[c];
				cl_game_asset_deposits_encode(&list,
							      &b0.assets);
				list.len = keep;
			} else {
				struct cl_game_assets far = b0.assets;
				far.first = UINT64_MAX - 1; /* 2 records */
				cl_game_asset_deposits_encode(&list, &far);
			}
			cl_keccak256(in.deposits_hash.b, list.p, list.len);
			cl_preimage_map_add(pm, list.p, list.len);
			cl_game_input_encode(bytes, &in);
			cl_keccak256(key.b, bytes, sizeof(bytes));
			cl_preimage_map_add(pm, bytes, sizeof(bytes));
			struct cl_game_report rep;
			int v = cl_game_verdict(&rep, &key,
						cl_preimage_map_fetch, pm);
			CHECK_MSG(v == CL_GAME_E_INPUT,
				  "a malformed asset part (%zu): %d (%s)", c,
				  v, rep.why ? rep.why : "");
			cl_buf_release(&list);
			cl_preimage_map_free(pm);
		}
	}
	printf("asset deposits: the honest batches 0; an amount, asset, "
	       "recipient, first id, order, a skipped and an invented one: "
	       "verdict 1 (native and VM); a malformed asset part: 10\n");

	for (size_t i = 0; i < s->n; i++)
		cl_preimage_map_free(s->blk[i].pre);
	cl_buf_release(&b0.data);
	cl_buf_release(&b1.data);
	tenv_release(&s->e);
	free(s);
}

int main(int argc, char **argv)
{
	struct stream *s = cl_xcalloc(1, sizeof(*s));
	struct posted b0, b1;
	const char *nb = getenv("CL_TEST_BLOCKS");
	size_t n = nb ? (size_t)strtoul(nb, NULL, 10) : 12;

	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr,
			"no RISC-V cross compiler: run "
			"contrib/bootstrap.sh, then meson setup again\n");
		return 1;
	}
	if (n < 4)
		n = 4;
	if (n > MAX_BLOCKS)
		n = MAX_BLOCKS;
	elf = sg_read_elf(argv[1], &elf_len);
	check_encoding();
	stream_build(s, n);
	check_genesis(&s->e.g);
	printf("stream: %zu blocks, %llu derived steps (fills, expiries, "
	       "liquidations)\n",
	       s->n, (unsigned long long)s->derived);
	CHECK(s->derived > 0);
	post(&b0, s, 0, n / 2, NULL);
	post(&b1, s, n / 2, n - n / 2, &b0);

	check_honest(s, &b0);
	check_honest(s, &b1);
	printf("honest batches: %llu blocks, %llu steps with the batch "
	       "(CLB3), %llu for the blocks alone (CLB2): %.0f more per "
	       "block\n",
	       (unsigned long long)runs, (unsigned long long)steps_clb3,
	       (unsigned long long)steps_clb2,
	       (double)(steps_clb3 - steps_clb2) / (double)runs);

	/* every preimage read of a run, and its exit, proven step by step:
	 * a right verdict, and the wrong one for a changed root */
	prove_reads = true;
	data_key = b1.rec.data_hash;
	judge(s, &b1, 1, true, NULL);
	size_t right_proofs = proofs_made;
	check_root_changed(s, &b1, (uint32_t)(b1.n - 1), true);
	prove_reads = false;
	printf("%zu preimage reads and exits proven and verified (%zu for "
	       "block 1 of the second batch): %zu bytes on average, the "
	       "largest %zu; a read of the %zu bytes of batch data: %zu\n",
	       proofs_made, right_proofs, proof_bytes / proofs_made, proof_max,
	       b1.data.len, data_proof_max);

	check_root_changed(s, &b1, (uint32_t)(b1.n / 2), true);
	check_root_changed(s, &b0, 0, false);
	check_root_changed(s, &b1, (uint32_t)(b1.n - 1), false);
	check_deposits(s, &b0);
	check_forced_list(s, &b0);
	check_forced_list(s, &b1);
	check_prepare(s, &b0);
	check_malformed(s, &b1);
	check_mutations(s, &b1, 40);
	check_decode_cost(s);
	check_assets();

	for (size_t i = 0; i < s->n; i++)
		cl_preimage_map_free(s->blk[i].pre);
	cl_buf_release(&b0.data);
	cl_buf_release(&b1.data);
	tenv_release(&s->e);
	free(s);
	free(elf);
	return test_done("test_stf_batch");
}
