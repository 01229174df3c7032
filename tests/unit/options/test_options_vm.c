/* SPDX-License-Identifier: MIT */
/*
 * The option pricer inside the VM against the same code natively: the
 * program tests/vm-programs/options.c (src/options compiled unchanged for
 * RV64IM) prices seeded random cases — and the edges: refusals, expiry,
 * saturation — and its output must equal the native results byte for
 * byte, so a verifier's fault proof reaches the sequencer's integers.
 * argv[1] is the folder of the ELF files, or "--no-compiler" when meson
 * found no cross compiler: then this test fails (contrib/bootstrap.sh
 * installs it).
 */
#include <clearline/crypto.h>
#include <clearline/options.h>
#include <clearline/vm.h>

#include "test.h"

#define NCASES 64
#define MAX_STEPS 400000000ULL
#define REC (2 * 57 + 8)

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		*p++ = (uint8_t)v;
	return p;
}

static uint8_t *put_greeks(uint8_t *p, bool ok, const struct cl_opt_greeks *g)
{
	*p++ = ok;
	p = put64(p, (uint64_t)g->price_micro);
	p = put64(p, (uint64_t)g->delta_ppb);
	p = put64(p, (uint64_t)g->gamma_wad);
	p = put64(p, (uint64_t)g->vega_micro);
	p = put64(p, (uint64_t)g->theta_micro);
	p = put64(p, (uint64_t)g->d1_wad);
	return put64(p, (uint64_t)g->d2_wad);
}

static uint64_t magnitude(int digits)
{
	uint64_t p = 1;
	for (int i = (int)(test_rand() % (uint64_t)(digits + 1)); i > 0; i--)
		p *= 10;
	return 1 + test_rand() % p;
}

int main(int argc, char **argv)
{
	uint64_t cs[NCASES][4];
	uint8_t in[NCASES * 32], want[REC];
	char path[4096];
	FILE *f;

	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr, "riscv64-unknown-elf-gcc was not found when "
				"meson configured the build: run "
				"contrib/bootstrap.sh, then meson setup "
				"--reconfigure\n");
		return 1;
	}
	test_seed();
	for (size_t i = 0; i < NCASES; i++) {
		uint64_t fw = magnitude(12);
		cs[i][0] = fw;
		cs[i][1] = (uint64_t)((__int128)fw *
				      (200000 + test_rand() % 4800000) /
				      1000000) + 1;
		cs[i][2] = magnitude(18) - 1;
		cs[i][3] = test_rand() % (2 * CL_OPT_YEAR_S);
	}
	/* edges: expired, zero variance, a refused forward, a refused
	 * ratio, a negative variance, saturation deep in the money */
	const uint64_t edges[6][4] = {
		{6000000, 5000000, CL_WAD / 10, 0},
		{6000000, 6000000, 0, 3600},
		{CL_OPT_PRICE_MAX + 1, 1, CL_WAD, 3600},
		{1, 20000, CL_WAD, 86400},
		{6000000, 6000000, (uint64_t)-1, 3600},
		{6000000, 600000, CL_WAD / 10000, 3600},
	};
	for (size_t i = 0; i < 6; i++)
		memcpy(cs[i], edges[i], sizeof(edges[i]));
	for (size_t i = 0; i < NCASES; i++)
		for (int k = 0; k < 4; k++)
			put64(in + 32 * i + 8 * k, cs[i][k]);

	snprintf(path, sizeof(path), "%s/options.elf", argv[1]);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	uint8_t *elf = cl_xmalloc(1 << 20);
	size_t len = fread(elf, 1, 1 << 20, f);
	fclose(f);

	struct vm_machine *m = vm_machine_new();
	struct vm_cpu *c = vm_machine_cpu(m);
	uint8_t key[32];
	uint64_t steps = 0;
	CHECK(vm_load_elf(m, elf, len) == VM_OK);
	free(elf);
	cl_keccak256(key, in, sizeof(in));
	CHECK(vm_mem_write(m, 0x1000, key, 32));
	CHECK(vm_preimage_add(m, in, sizeof(in)));
	while (c->status == VM_RUNNING && steps < MAX_STEPS) {
		if (vm_step(m) != VM_OK)
			break;
		steps++;
	}
	CHECK(c->status == VM_EXITED && c->exit_code == 0);
	printf("options.elf: %" PRIu64 " steps for %d cases (%" PRIu64
	       " a Black-76 call and put)\n",
	       steps, NCASES, steps / NCASES);

	size_t n;
	const uint8_t *out = vm_output(m, &n);
	CHECK(n == (size_t)NCASES * REC);
	for (size_t i = 0; i < NCASES && n == (size_t)NCASES * REC; i++) {
		struct cl_opt_greeks g;
		struct cl_price fw = {cs[i][0]}, k = {cs[i][1]};
		int64_t w = (int64_t)cs[i][2];
		uint8_t *p = want;
		bool ok = options_black76(&g, CL_OPT_CALL, fw, k, w, cs[i][3]);
		p = put_greeks(p, ok, &g);
		ok = options_black76(&g, CL_OPT_PUT, fw, k, w, cs[i][3]);
		p = put_greeks(p, ok, &g);
		put64(p, (uint64_t)options_ncdf(w - ((int64_t)1 << 62)));
		CHECK_MSG(memcmp(out + i * REC, want, REC) == 0,
			  "case %zu (F %" PRIu64 " K %" PRIu64 ") differs", i,
			  cs[i][0], cs[i][1]);
		if (i < 6) /* the edges: the expected refusals */
			CHECK(out[i * REC] == (i < 2 || i == 5));
	}
	vm_machine_free(m);
	return test_done("test_options_vm");
}
