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

/* The program's input (src/guest/main.c): "CLB1" ‖ witness key ‖
 * complete ‖ header ‖ genesis ‖ requests. */
static inline void sg_encode_input(struct cl_buf *out,
				   const struct cl_block_header *h,
				   const struct cl_genesis *g,
				   const struct cl_buf *req, size_t n,
				   const uint8_t *wit, size_t wit_len,
				   bool complete)
{
	uint8_t key[32];

	cl_keccak256(key, wit, wit_len);
	cl_buf_append(out, "CLB1", 4);
	cl_buf_append(out, key, 32);
	cl_buf_append_byte(out, complete);
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

/* Run the program on (block, witness) until it halts (or SG_MAX_STEPS):
 * the machine, owned by the caller; NULL when the VM stopped with an
 * error (a preimage it lacks). */
static inline struct vm_machine *
sg_run_vm(const uint8_t *elf, size_t elf_len, const struct cl_block_header *h,
	  const struct cl_genesis *g, const struct cl_buf *req, size_t n,
	  const uint8_t *wit, size_t wit_len, bool complete, uint64_t *steps,
	  double *secs)
{
	struct vm_machine *m = vm_machine_new();
	struct cl_buf in;
	uint8_t key[32];
	double t0;
	int rc;

	cl_buf_init(&in);
	sg_encode_input(&in, h, g, req, n, wit, wit_len, complete);
	cl_keccak256(key, in.p, in.len);
	if (vm_load_elf(m, elf, elf_len) != VM_OK ||
	    !vm_mem_write(m, 0x1000, key, 32) ||
	    !vm_preimage_add(m, in.p, in.len) ||
	    !vm_preimage_add(m, wit, wit_len)) {
		cl_buf_release(&in);
		vm_machine_free(m);
		return NULL;
	}
	cl_buf_release(&in);
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
 * state whose last block is committed; not changed): a witness state
 * over the full witness runs the block and records what it used (the
 * complete part when `complete`), and the program runs from that. Returns
 * true with *root and *steps when the program exited 0 with a root.
 */
static inline bool sg_block_root(struct cl_hash32 *root, uint64_t *steps,
				 const uint8_t *elf, size_t elf_len,
				 struct cl_state *pre,
				 const struct cl_genesis *g,
				 const struct cl_block_header *h,
				 const struct cl_buf *req, size_t n,
				 bool complete)
{
	struct cl_buf full, used;
	struct cl_state *ws;
	struct cl_hash32 r;
	struct vm_machine *m;
	const uint8_t *o;
	size_t olen;
	double secs;
	int rej;
	bool ok = false;

	cl_buf_init(&full);
	cl_buf_init(&used);
	if (cl_witness_full(pre, &full) != CL_OK ||
	    cl_state_new_witness(&ws, &h->prev_root, full.p, full.len) !=
		    CL_OK)
		goto out;
	if (sg_run_block(ws, g, h, req, n, &r, &rej, NULL) == CL_OK)
		cl_witness_used(ws, &used, complete);
	cl_state_free(ws);
	if (used.len == 0)
		goto out;
	m = sg_run_vm(elf, elf_len, h, g, req, n, used.p, used.len, complete,
		      steps, &secs);
	if (!m)
		goto out;
	o = vm_output(m, &olen);
	if (vm_machine_cpu(m)->status == VM_EXITED &&
	    vm_machine_cpu(m)->exit_code == 0 && olen == 32) {
		memcpy(root->b, o, 32);
		ok = true;
	}
	vm_machine_free(m);
out:
	cl_buf_release(&full);
	cl_buf_release(&used);
	return ok;
}

#endif
