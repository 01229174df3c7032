/* SPDX-License-Identifier: MIT */
/*
 * The one-step proof decoder and verifier: the reference the L1 one-step
 * contract implements. It uses nothing of the machine: the pre-state
 * comes from the proof's state bytes (checked against the pre-state
 * hash), memory from the proof's leaf ranges (checked against the memory
 * root), a preimage from the proof (checked against its key).
 */
#include <string.h>

#include <clearline/crypto.h>
#include <clearline/vm.h>

bool vm_proof_decode(struct vm_proof *out, const uint8_t *p, size_t len)
{
	struct cl_cursor c, s;
	struct vm_proof d;

	memset(&d, 0, sizeof(d));
	cl_cur_init(&c, p, len);
	if (cl_cur_u8(&c) != VM_PROOF_VERSION)
		cl_cur_fail(&c);
	d.state = cl_cur_borrow(&c, VM_STATE_BYTES);
	if (c.failed)
		goto fail;

	cl_cur_init(&s, d.state, VM_STATE_BYTES);
	cl_cur_bytes(&s, d.mem_root.b, 32);
	cl_cur_bytes(&s, d.cpu.out_hash.b, 32);
	d.cpu.pc = cl_cur_be64(&s);
	d.cpu.step = cl_cur_be64(&s);
	d.cpu.status = cl_cur_u8(&s);
	d.cpu.exit_code = cl_cur_be64(&s);
	for (int i = 1; i < 32; i++)
		d.cpu.x[i] = cl_cur_be64(&s);
	if (!cl_cur_done(&s))
		goto fail;
	/* only states a machine can be in */
	if (d.cpu.status > VM_FAULTED ||
	    (d.cpu.status == VM_RUNNING && d.cpu.exit_code != 0) ||
	    (d.cpu.status == VM_FAULTED &&
	     (d.cpu.exit_code < VM_FAULT_ILLEGAL ||
	      d.cpu.exit_code > VM_FAULT_EBREAK)))
		goto fail;

	d.nranges = cl_cur_u8(&c);
	if (d.nranges > VM_PROOF_MAX_RANGES)
		goto fail;
	for (uint32_t i = 0; i < d.nranges && !c.failed; i++) {
		struct vm_range *r = &d.range[i];

		r->first_leaf = cl_cur_be32(&c);
		r->nwords = cl_cur_be16(&c);
		if (c.failed || r->nwords < 1 ||
		    r->nwords > VM_RANGE_MAX_WORDS ||
		    r->first_leaf >= (1u << VM_TREE_DEPTH) ||
		    r->nwords > (1u << VM_TREE_DEPTH) - r->first_leaf)
			goto fail;
		r->words = cl_cur_borrow(&c, (size_t)r->nwords * VM_WORD_SIZE);
		r->nsib = vm_range_nsib(r->first_leaf,
					r->first_leaf + r->nwords - 1);
		r->siblings = cl_cur_borrow(&c, (size_t)r->nsib * 32);
	}
	switch (cl_cur_u8(&c)) {
	case 0:
		break;
	case 1:
		d.has_preimage = true;
		d.preimage_len = cl_cur_be32(&c);
		if (d.preimage_len > VM_PREIMAGE_MAX)
			goto fail;
		d.preimage = cl_cur_borrow(&c, d.preimage_len);
		break;
	default:
		goto fail;
	}
	if (!cl_cur_done(&c))
		goto fail;
	*out = d;
	return true;
fail:
	memset(out, 0, sizeof(*out));
	return false;
}

static void hash2(uint8_t out[32], const uint8_t *l, const uint8_t *r)
{
	uint8_t buf[64];

	memcpy(buf, l, 32);
	memcpy(buf + 32, r, 32);
	cl_keccak256(out, buf, 64);
}

/* The root of the tree whose leaves first.. hold `words`, the rest
 * summarised by the range's siblings. */
static void range_root(uint8_t out[32], const struct vm_range *r,
		       const uint8_t *words)
{
	uint8_t buf[(VM_RANGE_MAX_WORDS + 2) * 32];
	uint32_t a = r->first_leaf, b = a + r->nwords - 1, n = r->nwords;
	const uint8_t *sib = r->siblings;

	memcpy(buf, words, (size_t)n * 32);
	for (int lvl = 0; lvl < VM_TREE_DEPTH; lvl++) {
		if (a & 1) {
			memmove(buf + 32, buf, (size_t)n * 32);
			memcpy(buf, sib, 32);
			sib += 32;
			n++;
		}
		if (!(b & 1)) {
			memcpy(buf + (size_t)n * 32, sib, 32);
			sib += 32;
			n++;
		}
		for (uint32_t i = 0; i < n / 2; i++)
			hash2(buf + i * 32, buf + 2 * i * 32,
			      buf + (2 * i + 1) * 32);
		n /= 2;
		a >>= 1;
		b >>= 1;
	}
	memcpy(out, buf, 32);
}

struct vctx {
	const struct vm_proof *p;
	struct cl_hash32 root;
	uint32_t next; /* the next range to use */
	bool wrote, used_preimage;
	int err;
};

/* The next range, if it covers exactly the leaves of [addr, addr + len)
 * and proves against the current root. */
static const struct vm_range *take(struct vctx *v, uint32_t addr,
				   uint32_t len)
{
	const struct vm_range *r;
	uint32_t first = addr / VM_WORD_SIZE;
	uint32_t last = (uint32_t)(((uint64_t)addr + len - 1) / VM_WORD_SIZE);
	uint8_t root[32];

	if (v->wrote || v->next >= v->p->nranges) {
		v->err = VM_E_MISMATCH;
		return NULL;
	}
	r = &v->p->range[v->next++];
	if (r->first_leaf != first || r->nwords != last - first + 1) {
		v->err = VM_E_MISMATCH;
		return NULL;
	}
	range_root(root, r, r->words);
	if (memcmp(root, v->root.b, 32) != 0) {
		v->err = VM_E_MEMORY;
		return NULL;
	}
	return r;
}

static bool v_read(void *ctx, uint8_t *out, uint32_t addr, uint32_t len)
{
	struct vctx *v = ctx;
	const struct vm_range *r = take(v, addr, len);

	if (!r)
		return false;
	memcpy(out, r->words + (addr - r->first_leaf * VM_WORD_SIZE), len);
	return true;
}

static bool v_write(void *ctx, uint32_t addr, const uint8_t *in,
		    uint32_t len)
{
	struct vctx *v = ctx;
	const struct vm_range *r = take(v, addr, len);
	uint8_t words[VM_RANGE_MAX_WORDS * VM_WORD_SIZE];

	if (!r)
		return false;
	memcpy(words, r->words, (size_t)r->nwords * VM_WORD_SIZE);
	memcpy(words + (addr - r->first_leaf * VM_WORD_SIZE), in, len);
	range_root(v->root.b, r, words);
	v->wrote = true;
	return true;
}

static bool v_preimage(void *ctx, const uint8_t **data, size_t *len,
		       const uint8_t key[32])
{
	struct vctx *v = ctx;
	uint8_t h[32];

	if (!v->p->has_preimage || v->used_preimage) {
		v->err = VM_E_MISMATCH;
		return false;
	}
	cl_keccak256(h, v->p->preimage, v->p->preimage_len);
	if (memcmp(h, key, 32) != 0) {
		v->err = VM_E_MISMATCH;
		return false;
	}
	v->used_preimage = true;
	*data = v->p->preimage;
	*len = v->p->preimage_len;
	return true;
}

int vm_step_verify(struct cl_hash32 *post, const struct cl_hash32 *pre,
		   const uint8_t *proof, size_t len)
{
	struct vm_proof p;
	struct vctx v = {.p = &p};
	struct vm_host h = {&v, v_read, v_write, v_preimage, NULL};
	struct vm_cpu cpu;
	int rc;

	memset(post, 0, sizeof(*post));
	CL_REQUIRE(cl_crypto_init() == CL_OK);
	if (!vm_proof_decode(&p, proof, len))
		return VM_E_PROOF;
	struct cl_hash32 pre_of_proof;
	vm_state_commit(&pre_of_proof, p.state);
	if (memcmp(pre_of_proof.b, pre->b, 32) != 0)
		return VM_E_PRE_STATE;
	v.root = p.mem_root;
	cpu = p.cpu;
	rc = vm_exec(&cpu, &h);
	if (rc != VM_OK)
		return v.err ? v.err : VM_E_MISMATCH;
	/* every range and the preimage used, none left over */
	if (v.next != p.nranges || v.used_preimage != p.has_preimage)
		return VM_E_MISMATCH;
	vm_state_hash_of(post, &cpu, &v.root);
	return VM_OK;
}
