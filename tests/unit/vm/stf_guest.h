/* SPDX-License-Identifier: MIT */
/*
 * Running a block through the stf guest (src/guest, docs/vm.md "The stf
 * as a VM program") from a test: the program's input, a VM run, and one
 * call that takes a committed native pre-state and a block and gives the
 * root the program computes, for any test that has blocks to compare
 * (test_stf_guest; a property stream can call sg_block_root() before it
 * runs each block natively).
 */
#ifndef CLEARLINE_TEST_STF_GUEST_H
#define CLEARLINE_TEST_STF_GUEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clearline/state.h>
#include <clearline/stf.h>
#include <clearline/vm.h>

#define SG_MAX_STEPS 2000000000ull

/* dir/stf.elf, read whole; exits when it cannot. */
static inline uint8_t *sg_read_elf(const char *dir, size_t *len)
{
	char path[4096];
	FILE *f;
	long n;
	uint8_t *p;

	snprintf(path, sizeof(path), "%s/stf.elf", dir);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return p;
}

static inline double sg_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run a block on `st` with a fresh stf, the requests decoded from their
 * bytes as a verifier does: CL_OK and the committed root, or the first
 * negative error (the block discarded; -1000 - code when the stf or the
 * block does not open). A positive request outcome is a rejection and
 * counted in *rejected. *derived (may be NULL) gets the block's derived
 * primitive steps added.
 */
static inline int sg_run_block(struct cl_state *st, const struct cl_genesis *g,
			       const struct cl_block_header *h,
			       const struct cl_buf *req, size_t n,
			       struct cl_hash32 *root, int *rejected,
			       uint64_t *derived)
{
	struct cl_stf *s;
	int rc = cl_stf_new(&s, st, g);

	*rejected = 0;
	if (rc)
		return rc < 0 ? rc : -1000;
	rc = cl_stf_open_block(s, h);
	if (rc) {
		cl_stf_free(s);
		return rc < 0 ? rc : -1000 - rc;
	}
	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct cl_tx tx;

		if (!cl_tx_decode(&tx, req[i].p, req[i].len)) {
			rc = -2000;
			break;
		}
		cl_tx_recover(&tx, cl_stf_domain(s));
		rc = cl_stf_request(s, NULL, &tx);
		if (rc > 0) {
			(*rejected)++;
			rc = 0;
		}
	}
	if (rc >= 0) {
		if (derived)
			*derived += cl_stf_block_derived(s);
		cl_stf_end_block(s);
	}
	cl_stf_free(s);
	if (rc < 0) {
		cl_state_discard(st);
		return rc;
	}
	return cl_state_commit_block(st, root);
}

/* The program's input (src/guest/main.c): "CLB2" ‖ header ‖ genesis ‖
 * requests. Nothing in it but the block: the pre-state is its prev_root. */
static inline void sg_encode_input(struct cl_buf *out,
				   const struct cl_block_header *h,
				   const struct cl_genesis *g,
				   const struct cl_buf *req, size_t n)
{
	cl_buf_append(out, "CLB2", 4);
	cl_buf_append_be64(out, h->number);
	cl_buf_append_be64(out, h->timestamp_ms);
	cl_buf_append(out, h->prev_root.b, 32);
	cl_buf_append_be64(out, h->l1.number);
	cl_buf_append(out, h->l1.hash.b, 32);
	cl_buf_append_be64(out, h->l1.timestamp);
	cl_buf_append_be32(out, (uint32_t)sizeof(*g));
	cl_buf_append(out, g, sizeof(*g));
	cl_buf_append_be32(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		cl_buf_append_be32(out, (uint32_t)req[i].len);
		cl_buf_append(out, req[i].p, req[i].len);
	}
}

/* A machine loaded with the program and the block's input, and given
 * the preimages pm[0..] except index `skip` (SIZE_MAX: none); NULL when
 * loading failed. */
static inline struct vm_machine *
sg_load(const uint8_t *elf, size_t elf_len, const struct cl_block_header *h,
	const struct cl_genesis *g, const struct cl_buf *req, size_t n,
	const struct cl_preimage_map *pm, size_t skip)
{
	struct vm_machine *m = vm_machine_new();
	struct cl_buf in;
	uint8_t key[32];
	size_t np = cl_preimage_map_count(pm, NULL);
	bool ok;

	cl_buf_init(&in);
	sg_encode_input(&in, h, g, req, n);
	cl_keccak256(key, in.p, in.len);
	ok = vm_load_elf(m, elf, elf_len) == VM_OK &&
	     vm_mem_write(m, 0x1000, key, 32) &&
	     vm_preimage_add(m, in.p, in.len);
	for (size_t i = 0; ok && i < np; i++) {
		const uint8_t *p;
		size_t len;

		if (i == skip)
			continue;
		cl_preimage_map_at(pm, i, &p, &len);
		ok = vm_preimage_add(m, p, len);
	}
	cl_buf_release(&in);
	if (!ok) {
		vm_machine_free(m);
		return NULL;
	}
	return m;
}

/* Run the program on a block, with the preimages of its pre-state
 * (`pm`), until it halts (or SG_MAX_STEPS): the machine, owned by the
 * caller; NULL when the VM stopped with an error (a preimage it lacks). */
static inline struct vm_machine *
sg_run_vm(const uint8_t *elf, size_t elf_len, const struct cl_block_header *h,
	  const struct cl_genesis *g, const struct cl_buf *req, size_t n,
	  const struct cl_preimage_map *pm, uint64_t *steps, double *secs)
{
	struct vm_machine *m = sg_load(elf, elf_len, h, g, req, n, pm,
				       SIZE_MAX);
	double t0;
	int rc;

	if (!m)
		return NULL;
	t0 = sg_now_s();
	rc = vm_run(m, SG_MAX_STEPS, steps);
	*secs = sg_now_s() - t0;
	if (rc != VM_OK) {
		vm_machine_free(m);
		return NULL;
	}
	return m;
}

/*
 * The root the program computes for a block on `pre` (a memory or LMDB
 * state whose last block is committed; not changed): the VM gets the
 * block and the preimages of pre's committed state, nothing else.
 * Returns true with *root and *steps when the program exited 0 with a
 * root.
 */
static inline bool sg_block_root(struct cl_hash32 *root, uint64_t *steps,
				 const uint8_t *elf, size_t elf_len,
				 struct cl_state *pre,
				 const struct cl_genesis *g,
				 const struct cl_block_header *h,
				 const struct cl_buf *req, size_t n)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct vm_machine *m = NULL;
	const uint8_t *o;
	size_t olen;
	double secs;
	bool ok = false;

	if (cl_preimage_map_add_state(pm, pre) == CL_OK)
		m = sg_run_vm(elf, elf_len, h, g, req, n, pm, steps, &secs);
	if (m) {
		o = vm_output(m, &olen);
		if (vm_machine_cpu(m)->status == VM_EXITED &&
		    vm_machine_cpu(m)->exit_code == 0 && olen == 32) {
			memcpy(root->b, o, 32);
			ok = true;
		}
	}
	vm_machine_free(m);
	cl_preimage_map_free(pm);
	return ok;
}

#endif
