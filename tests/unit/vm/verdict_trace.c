/* SPDX-License-Identifier: MIT */
/*
 * A real VM trace of the verdict program (stf.elf, docs/vm.md "The
 * verdict program") about a real posted batch, for the rollup's dispute
 * tests (contrib/l1/test/games.test.js): the seeded stream of
 * batch_stream.h (CL_TEST_SEED; blocks of real orders, cancels,
 * deposits and oracle moves run natively), its first NBLOCKS blocks
 * posted as one version 2 batch (batch 0 of a fresh rollup), honest or
 * with block BAD's posted root changed, and the game about block K:
 * cl_game_prepare() builds the CLB3 input and every preimage from the
 * record, the data, the deposit records and the state after block K-1,
 * and the C VM runs stf.elf booted on the input's key.
 *
 *   verdict_trace STF_ELF NBLOCKS BAD K DEPOSIT_TIMES info
 *   verdict_trace STF_ELF NBLOCKS BAD K DEPOSIT_TIMES hashes S1,S2,...
 *   verdict_trace STF_ELF NBLOCKS BAD K DEPOSIT_TIMES proof S
 *
 * BAD is -1 for the honest batch. DEPOSIT_TIMES is "-" or one L1
 * timestamp per deposit of the batch, comma-separated: the rollup's
 * DepositRecords keep the L1 time of each deposit() call, which the
 * test learns only after making them (the program does not read it
 * otherwise; it is in the deposits list's hash).
 *
 *   info    one JSON line: the genesis hash and root, the batch data and
 *           record, the deposits (to, amount), the number of forced
 *           requests, the input (280 bytes) and its key, the native
 *           verdict, the run's step count to its halt, its exit code and
 *           output, the state hashes at 0 and at the halt, and the steps
 *           that read a preimage with the preimage's length
 *   hashes  one line per step S ("S 0xHASH"): the state hash after S
 *           steps (a halted machine stays halted, so any S is fine)
 *   proof   the state hash after S steps, the proof of step S, the hash
 *           after S + 1 steps, and the preimage the step reads (hex, or
 *           "-"), one per line
 *
 * CL_TRACE_ASSETS, when set, gives the stream's genesis the tETH asset
 * and its first block two asset deposits (batch_stream.h), and says
 * what ClearlineAssets recorded for them: "-" (the batch's own amounts,
 * timestamp 0) or "AMOUNT:TIME,AMOUNT:TIME" (the L2 amount and L1 time
 * of each asset deposit on L1: an amount other than the batch's makes
 * the batch wrong). info then adds the batch's asset deposits (to,
 * asset, amount) and their count.
 *
 * The seed line test_seed() prints comes first. Exit status 2 on bad
 * arguments, 1 when the run does not halt.
 */
#include "stf/stf_util.h"
#include "vm/batch_stream.h"
#include "vm/stf_guest.h"

#define TRACE_MAX_STEPS 100000000ull

static struct stream S;

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f) {
		fprintf(stderr, "verdict_trace: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = cl_xmalloc((size_t)n);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "verdict_trace: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void print_hex(const uint8_t *p, size_t len)
{
	char *h = cl_hex_encode_alloc(p, len, true);

	fputs(h, stdout);
	free(h);
}

static void print_hash_field(const char *name, const struct cl_hash32 *h)
{
	printf("\"%s\":\"", name);
	print_hex(h->b, 32);
	printf("\",");
}

/* The machine booted on the key with every preimage of the map. */
static struct vm_machine *boot(const uint8_t *elf, size_t elf_len,
			       const struct cl_hash32 *key,
			       struct cl_preimage_map *pm)
{
	struct vm_machine *m = vm_machine_new();
	size_t np = cl_preimage_map_count(pm, NULL);
	bool ok = vm_load_elf(m, elf, elf_len) == VM_OK &&
		  vm_mem_write(m, VM_BOOT_ADDR, key->b, 32);

	for (size_t i = 0; ok && i < np; i++) {
		const uint8_t *b;
		size_t len;

		cl_preimage_map_at(pm, i, &b, &len);
		ok = vm_preimage_add(m, b, len);
	}
	if (!ok) {
		fprintf(stderr, "verdict_trace: cannot boot the program\n");
		exit(2);
	}
	return m;
}

static bool halted(struct vm_machine *m)
{
	return vm_machine_cpu(m)->status != VM_RUNNING;
}

/* The key a preimage ecall at the current pc reads, if the next step is one. */
static bool preimage_read(struct vm_machine *m, struct cl_hash32 *key)
{
	struct vm_cpu *c = vm_machine_cpu(m);
	uint8_t w[4];

	return vm_mem_read(m, w, c->pc, 4) && cl_get_be32(w) == 0x73000000u &&
	       c->x[17] == VM_ECALL_PREIMAGE &&
	       vm_mem_read(m, key->b, c->x[10], 32);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct cl_batch2_block blocks[MAX_BLOCKS];
	struct cl_game_input in;
	struct cl_game_report rep;
	struct cl_preimage_map *pm;
	struct cl_state *pre = NULL;
	struct cl_hash32 key, gh, h;
	struct posted p, q;
	struct vm_machine *m;
	uint8_t *elf;
	size_t elf_len, nblocks;
	long bad;
	uint32_t k;
	int verdict;

	if (argc < 7) {
		fprintf(stderr, "usage: verdict_trace STF_ELF NBLOCKS BAD K "
				"DEPOSIT_TIMES info|hashes S,..|proof S\n");
		return 2;
	}
	elf = read_file(argv[1], &elf_len);
	nblocks = (size_t)strtoul(argv[2], NULL, 10);
	bad = strtol(argv[3], NULL, 10);
	k = (uint32_t)strtoul(argv[4], NULL, 10);
	if (nblocks < 1 || nblocks > MAX_BLOCKS || bad >= (long)nblocks ||
	    k >= nblocks) {
		fprintf(stderr, "verdict_trace: NBLOCKS 1..%d, BAD and K below it\n",
			MAX_BLOCKS);
		return 2;
	}

	const char *assets = getenv("CL_TRACE_ASSETS");
	struct cl_game_asset_deposit l1_assets[MAX_DEPS];

	stream_build_with(&S, nblocks, assets != NULL);
	post(&p, &S, 0, nblocks, NULL);
	memcpy(l1_assets, p.assets.d, p.assets.n * sizeof(*l1_assets));
	if (assets && strcmp(assets, "-") != 0) {
		const char *c = assets;

		for (size_t i = 0; i < p.assets.n; i++) {
			char *end;

			l1_assets[i].amount = strtoull(c, &end, 10);
			if (end == c || *end != ':') {
				fprintf(stderr, "verdict_trace: %zu asset "
						"AMOUNT:TIME wanted\n",
					p.assets.n);
				return 2;
			}
			c = end + 1;
			l1_assets[i].timestamp = (uint32_t)strtoul(c, &end, 10);
			if (end == c || (*end != ',' && *end != 0)) {
				fprintf(stderr, "verdict_trace: %zu asset "
						"AMOUNT:TIME wanted\n",
					p.assets.n);
				return 2;
			}
			c = *end ? end + 1 : end;
		}
	}
	/* the batch carries the stream's; the input binds L1's */
	p.assets.d = l1_assets;
	if (strcmp(argv[5], "-") != 0) {
		const char *c = argv[5];

		for (size_t i = 0; i < p.n_dep; i++) {
			char *end;

			S.dep[i].timestamp = (uint32_t)strtoul(c, &end, 10);
			if (end == c || (*end != ',' && *end != 0)) {
				fprintf(stderr, "verdict_trace: %zu deposit "
						"times wanted\n", p.n_dep);
				return 2;
			}
			c = *end ? end + 1 : end;
		}
	}
	q = p;
	if (bad >= 0) {
		for (size_t i = 0; i < p.n; i++)
			blocks[i] = S.blk[i].b;
		blocks[bad].root.b[7] ^= 0x20;
		repost(&q, &p, blocks);
	}

	memset(&in, 0, sizeof(in));
	in.rec = q.rec;
	in.k = k;
	in.prev_root = q.prev_root;
	CHECK(cl_state_new_walk(&pre, &S.blk[k].prev_root, cl_preimage_map_fetch,
				S.blk[k].pre) == CL_OK);
	pm = cl_preimage_map_new();
	CHECK(cl_game_prepare(&key, pm, &in, q.data.p, q.data.len, q.dep,
			      q.n_dep, &q.assets, q.forced, q.n_forced, &S.e.g,
			      pre) == CL_OK);
	cl_state_free(pre);
	verdict = cl_game_verdict(&rep, &key, cl_preimage_map_fetch, pm);
	m = boot(elf, elf_len, &key, pm);

	if (strcmp(argv[6], "info") == 0) {
		uint8_t bytes[CL_GAME_INPUT_LEN];
		uint64_t steps = 0, nreads = 0;
		struct cl_hash32 h0;
		size_t olen;
		const uint8_t *out;

		vm_state_hash(m, &h0);
		printf("{");
		cl_genesis_hash(&gh, &S.e.g);
		print_hash_field("genesisHash", &gh);
		print_hash_field("genesisRoot", &S.genesis_root);
		printf("\"data\":\"");
		print_hex(q.data.p, q.data.len);
		printf("\",");
		print_hash_field("dataHash", &q.rec.data_hash);
		print_hash_field("stateRoot", &q.rec.state_root);
		print_hash_field("withdrawalRoot", &q.rec.withdrawal_root);
		printf("\"prevDepositsConsumed\":%llu,\"depositsConsumed\":%llu,"
		       "\"firstBlock\":%llu,\"lastBlock\":%llu,\"forced\":%zu,",
		       (unsigned long long)q.rec.prev_deposits,
		       (unsigned long long)q.rec.deposits,
		       (unsigned long long)q.rec.first_block,
		       (unsigned long long)q.rec.last_block, q.n_forced);
		printf("\"deposits\":[");
		for (size_t i = 0; i < q.n_dep; i++) {
			printf("%s[\"", i ? "," : "");
			print_hex(q.dep[i].to.b, 20);
			printf("\",\"%llu\",%u]",
			       (unsigned long long)q.dep[i].amount,
			       q.dep[i].timestamp);
		}
		printf("],\"assetDeposits\":[");
		for (size_t i = 0; i < q.assets.n; i++) {
			printf("%s[\"", i ? "," : "");
			print_hex(S.adep[i].to.b, 20);
			printf("\",%u,\"%llu\"]", S.adep[i].asset,
			       (unsigned long long)S.adep[i].amount);
		}
		printf("],\"assetsConsumed\":%zu,\"input\":\"", q.assets.n);
		cl_game_input_encode(bytes, &in);
		print_hex(bytes, sizeof(bytes));
		printf("\",");
		print_hash_field("key", &key);
		print_hash_field("boot", &h0);
		printf("\"verdict\":%d,\"reads\":[", verdict);
		while (!halted(m) && steps < TRACE_MAX_STEPS) {
			struct cl_hash32 rk;

			if (preimage_read(m, &rk)) {
				const uint8_t *b = NULL;
				size_t len = 0;

				if (!cl_preimage_map_get(pm, &rk, &b, &len))
					len = 0;
				printf("%s[%llu,%zu]", nreads++ ? "," : "",
				       (unsigned long long)steps, len);
			}
			if (vm_step(m) != VM_OK)
				break;
			steps++;
		}
		if (!halted(m)) {
			fprintf(stderr, "verdict_trace: no halt\n");
			return 1;
		}
		vm_state_hash(m, &h);
		out = vm_output(m, &olen);
		printf("],\"steps\":%llu,\"exit\":%u,\"output\":%d,",
		       (unsigned long long)steps,
		       (unsigned)vm_machine_cpu(m)->exit_code,
		       olen == 1 ? out[0] : -1);
		printf("\"final\":\"");
		print_hex(h.b, 32);
		printf("\"}\n");
	} else if (strcmp(argv[6], "hashes") == 0 && argc > 7) {
		uint64_t want[256], at = 0;
		size_t n = 0;
		const char *c = argv[7];

		while (*c && n < 256) {
			char *end;

			want[n++] = strtoull(c, &end, 10);
			c = *end ? end + 1 : end;
		}
		qsort(want, n, sizeof(want[0]), cmp_u64);
		for (size_t i = 0; i < n; i++) {
			while (at < want[i] && !halted(m)) {
				if (vm_step(m) != VM_OK || at > TRACE_MAX_STEPS)
					return 1;
				at++;
			}
			vm_state_hash(m, &h);
			printf("%llu ", (unsigned long long)want[i]);
			print_hex(h.b, 32);
			printf("\n");
		}
	} else if (strcmp(argv[6], "proof") == 0 && argc > 7) {
		uint64_t s = strtoull(argv[7], NULL, 10), ran;
		struct cl_hash32 rk;
		struct cl_buf pr;

		if (s > TRACE_MAX_STEPS || vm_run(m, s, &ran) != VM_OK)
			return 1;
		vm_state_hash(m, &h);
		print_hex(h.b, 32);
		printf("\n");
		bool reads = preimage_read(m, &rk);
		cl_buf_init(&pr);
		if (vm_step_proof(m, &pr) != VM_OK)
			return 1;
		print_hex(pr.p, pr.len);
		printf("\n");
		if (!halted(m) && vm_step(m) != VM_OK)
			return 1;
		vm_state_hash(m, &h);
		print_hex(h.b, 32);
		printf("\n");
		if (reads) {
			const uint8_t *b;
			size_t len;

			CHECK(cl_preimage_map_get(pm, &rk, &b, &len));
			print_hex(b, len);
			printf("\n");
		} else {
			printf("-\n");
		}
		cl_buf_release(&pr);
	} else {
		fprintf(stderr, "verdict_trace: unknown mode %s\n", argv[6]);
		return 2;
	}
	vm_machine_free(m);
	cl_preimage_map_free(pm);
	free(elf);
	if (bad >= 0)
		cl_buf_release(&q.data); /* repost's own encoding */
	cl_buf_release(&p.data);
	fflush(stdout);
	return 0;
}
