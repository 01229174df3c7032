/* SPDX-License-Identifier: MIT */
/*
 * A real VM trace for the L1 dispute game's test
 * (contrib/l1/test/dispute.test.js): loads a guest program (an ELF of
 * tests/vm-programs), gives it an input preimage the way test_programs
 * does (its keccak256 at the boot page 0x1000), and prints either
 *
 *   vm_trace ELF INPUT_HEX hashes     the step count n of the run to its
 *                                     halt, then the state hash after
 *                                     0, 1, .., n steps, one per line,
 *                                     followed by " p" when the step
 *                                     from that state reads a preimage
 *   vm_trace ELF INPUT_HEX proof K    the state hash after K steps, the
 *                                     proof of step K (from that state)
 *                                     and the state hash after K + 1
 *                                     steps, one per line
 *
 * in lowercase hex with 0x. INPUT_HEX is "-" for no input. Exit status 2
 * on bad arguments, 1 when the run does not halt within the step limit.
 */
#include <clearline/crypto.h>
#include <clearline/vm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 5000000u
#define MAX_ELF (1u << 20)
#define MAX_INPUT (1u << 17)

static void hex_line(const uint8_t *p, size_t len)
{
	char *h = cl_hex_encode_alloc(p, len, true);

	puts(h);
	free(h);
}

static struct vm_machine *load(const char *path, const char *input_hex)
{
	FILE *f = fopen(path, "rb");
	uint8_t *elf = cl_xmalloc(MAX_ELF);
	struct vm_machine *m;
	size_t len;

	if (!f) {
		fprintf(stderr, "vm_trace: cannot open %s\n", path);
		exit(2);
	}
	len = fread(elf, 1, MAX_ELF, f);
	fclose(f);
	m = vm_machine_new();
	if (vm_load_elf(m, elf, len) != VM_OK) {
		fprintf(stderr, "vm_trace: %s is not a loadable program\n", path);
		exit(2);
	}
	free(elf);
	if (strcmp(input_hex, "-") != 0) {
		uint8_t *in = cl_xmalloc(MAX_INPUT);
		uint8_t key[32];
		size_t n;

		if (!cl_hex_decode_var(in, MAX_INPUT, &n, input_hex,
				       strlen(input_hex), CL_HEX_0X_OPT) ||
		    !vm_preimage_add(m, in, n)) {
			fprintf(stderr, "vm_trace: bad input hex\n");
			exit(2);
		}
		cl_keccak256(key, in, n);
		if (!vm_mem_write(m, 0x1000, key, 32)) {
			fprintf(stderr, "vm_trace: cannot write the boot key\n");
			exit(2);
		}
		free(in);
	}
	return m;
}

static bool halted(struct vm_machine *m)
{
	return vm_machine_cpu(m)->status != VM_RUNNING;
}

/* Whether the next step is the preimage ecall (a7 == 1). */
static bool at_preimage(struct vm_machine *m)
{
	struct vm_cpu *c = vm_machine_cpu(m);
	uint8_t w[4];

	return vm_mem_read(m, w, c->pc, 4) && w[0] == 0x73 && w[1] == 0 &&
	       w[2] == 0 && w[3] == 0 && c->x[17] == 1;
}

static int hashes(struct vm_machine *m)
{
	struct cl_hash32 *h = cl_xmalloc(sizeof(*h) * (MAX_STEPS + 1));
	bool *pre = cl_xmalloc(MAX_STEPS + 1);
	uint64_t n = 0;

	vm_state_hash(m, &h[0]);
	while (!halted(m)) {
		pre[n] = at_preimage(m);
		if (n == MAX_STEPS || vm_step(m) != VM_OK) {
			fprintf(stderr, "vm_trace: no halt within %u steps\n",
				MAX_STEPS);
			return 1;
		}
		vm_state_hash(m, &h[++n]);
	}
	printf("%llu\n", (unsigned long long)n);
	for (uint64_t i = 0; i <= n; i++) {
		char *hex = cl_hex_encode_alloc(h[i].b, 32, true);

		printf("%s%s\n", hex, i < n && pre[i] ? " p" : "");
		free(hex);
	}
	free(h);
	free(pre);
	return 0;
}

static int proof(struct vm_machine *m, uint64_t k)
{
	struct cl_hash32 pre, post;
	struct cl_buf p;
	uint64_t ran;

	if (k > MAX_STEPS || vm_run(m, k, &ran) != VM_OK) {
		fprintf(stderr, "vm_trace: cannot run %llu steps\n",
			(unsigned long long)k);
		return 1;
	}
	cl_buf_init(&p);
	vm_state_hash(m, &pre);
	if (vm_step_proof(m, &p) != VM_OK) {
		fprintf(stderr, "vm_trace: no proof of step %llu\n",
			(unsigned long long)k);
		return 1;
	}
	if (halted(m)) {
		post = pre;
	} else if (vm_step(m) != VM_OK) {
		fprintf(stderr, "vm_trace: step %llu failed\n",
			(unsigned long long)k);
		return 1;
	} else {
		vm_state_hash(m, &post);
	}
	hex_line(pre.b, 32);
	hex_line(p.p, p.len);
	hex_line(post.b, 32);
	cl_buf_release(&p);
	return 0;
}

int main(int argc, char **argv)
{
	struct vm_machine *m;
	int rc;

	if (argc < 4 || (strcmp(argv[3], "hashes") != 0 &&
			 (strcmp(argv[3], "proof") != 0 || argc < 5))) {
		fprintf(stderr, "usage: vm_trace ELF INPUT_HEX|- hashes\n"
				"       vm_trace ELF INPUT_HEX|- proof K\n");
		return 2;
	}
	m = load(argv[1], argv[2]);
	if (strcmp(argv[3], "hashes") == 0)
		rc = hashes(m);
	else
		rc = proof(m, strtoull(argv[4], NULL, 10));
	vm_machine_free(m);
	fflush(stdout);
	return rc;
}
