/* SPDX-License-Identifier: MIT */
/*
 * The interpreter: pages allocated on first write, the preimages and the
 * output the host keeps, stepping, and the proof of the next step.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/crypto.h>

#include "vm_int.h"

#define DIR_SIZE (1u << VM_DIR_BITS)

struct vm_machine *vm_machine_new(void)
{
	struct vm_machine *m = cl_xcalloc(1, sizeof(*m));

	CL_REQUIRE(cl_crypto_init() == CL_OK);
	vm_zero_hashes(m->zero);
	cl_buf_init(&m->output);
	return m;
}

void vm_machine_free(struct vm_machine *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < DIR_SIZE; i++) {
		if (!m->dir[i])
			continue;
		for (uint32_t j = 0; j < DIR_SIZE; j++)
			free(m->dir[i][j]);
		free(m->dir[i]);
	}
	for (size_t i = 0; i < m->pre_cap; i++)
		free(m->pre[i].data);
	free(m->pre);
	free(m->dirty_pages);
	vm_nodemap_release(&m->upper);
	cl_buf_release(&m->output);
	free(m);
}

struct vm_machine *vm_machine_clone(const struct vm_machine *m)
{
	struct vm_machine *c = cl_xmalloc(sizeof(*c));

	*c = *m;
	for (uint32_t i = 0; i < DIR_SIZE; i++) {
		if (!m->dir[i])
			continue;
		c->dir[i] = cl_xcalloc(DIR_SIZE, sizeof(*c->dir[i]));
		for (uint32_t j = 0; j < DIR_SIZE; j++) {
			if (!m->dir[i][j])
				continue;
			c->dir[i][j] = cl_xmalloc(sizeof(struct vm_page));
			*c->dir[i][j] = *m->dir[i][j];
		}
	}
	c->upper.keys = NULL;
	c->upper.vals = NULL;
	if (m->upper.cap) {
		c->upper.keys = cl_xmalloc(m->upper.cap * sizeof(*m->upper.keys));
		c->upper.vals = cl_xmalloc(m->upper.cap * sizeof(*m->upper.vals));
		memcpy(c->upper.keys, m->upper.keys,
		       m->upper.cap * sizeof(*m->upper.keys));
		memcpy(c->upper.vals, m->upper.vals,
		       m->upper.cap * sizeof(*m->upper.vals));
	}
	c->dirty_pages = NULL;
	if (m->dirty_cap) {
		c->dirty_pages =
		    cl_xmalloc(m->dirty_cap * sizeof(*m->dirty_pages));
		memcpy(c->dirty_pages, m->dirty_pages,
		       m->ndirty * sizeof(*m->dirty_pages));
	}
	c->pre = m->pre_cap ? cl_xcalloc(m->pre_cap, sizeof(*c->pre)) : NULL;
	for (size_t i = 0; i < m->pre_cap; i++) {
		if (!m->pre[i].data)
			continue;
		c->pre[i] = m->pre[i];
		c->pre[i].data = cl_xmalloc(m->pre[i].len ? m->pre[i].len : 1);
		memcpy(c->pre[i].data, m->pre[i].data, m->pre[i].len);
	}
	cl_buf_init(&c->output);
	cl_buf_append(&c->output, m->output.p, m->output.len);
	return c;
}

struct vm_cpu *vm_machine_cpu(struct vm_machine *m)
{
	return &m->cpu;
}

struct vm_page *vm_page_get(const struct vm_machine *m, uint32_t pn)
{
	struct vm_page **t = m->dir[pn >> VM_DIR_BITS];

	return t ? t[pn & (DIR_SIZE - 1)] : NULL;
}

static struct vm_page *page_touch(struct vm_machine *m, uint32_t pn)
{
	struct vm_page ***t = &m->dir[pn >> VM_DIR_BITS];
	struct vm_page **slot;

	if (!*t)
		*t = cl_xcalloc(DIR_SIZE, sizeof(**t));
	slot = &(*t)[pn & (DIR_SIZE - 1)];
	if (!*slot) {
		*slot = cl_xcalloc(1, sizeof(**slot));
		vm_page_init_nodes(*slot, m->zero);
	}
	return *slot;
}

/* [addr, addr + len) below 2^32; len may be 0. */
static void mem_load(const struct vm_machine *m, uint8_t *out, uint32_t addr,
		     size_t len)
{
	uint64_t a = addr;

	while (len > 0) {
		uint32_t off = (uint32_t)(a % VM_PAGE_SIZE);
		size_t n = VM_PAGE_SIZE - off;
		const struct vm_page *pg = vm_page_get(m, (uint32_t)(a >> 12));

		if (n > len)
			n = len;
		if (pg)
			memcpy(out, pg->data + off, n);
		else
			memset(out, 0, n);
		out += n;
		a += n;
		len -= n;
	}
}

static void mem_store(struct vm_machine *m, uint32_t addr, const uint8_t *in,
		      size_t len)
{
	uint64_t a = addr;

	while (len > 0) {
		uint32_t off = (uint32_t)(a % VM_PAGE_SIZE);
		uint32_t pn = (uint32_t)(a >> VM_PAGE_BITS);
		size_t n = VM_PAGE_SIZE - off;
		struct vm_page *pg = page_touch(m, pn);

		if (n > len)
			n = len;
		memcpy(pg->data + off, in, n);
		for (uint32_t w = off / VM_WORD_SIZE;
		     w <= (off + n - 1) / VM_WORD_SIZE; w++)
			pg->dirty[w / 64] |= 1ull << (w % 64);
		if (!pg->listed) {
			if (m->ndirty == m->dirty_cap) {
				m->dirty_cap = m->dirty_cap ? 2 * m->dirty_cap
							    : 64;
				m->dirty_pages = cl_xrealloc(
				    m->dirty_pages,
				    m->dirty_cap * sizeof(*m->dirty_pages));
			}
			m->dirty_pages[m->ndirty++] = pn;
			pg->listed = true;
		}
		in += n;
		a += n;
		len -= n;
	}
}

bool vm_mem_read(struct vm_machine *m, uint8_t *out, uint64_t addr,
		 size_t len)
{
	if (addr >= VM_ADDR_LIMIT || len > VM_ADDR_LIMIT - addr) {
		memset(out, 0, len);
		return false;
	}
	mem_load(m, out, (uint32_t)addr, len);
	return true;
}

bool vm_mem_write(struct vm_machine *m, uint64_t addr, const uint8_t *in,
		  size_t len)
{
	if (addr >= VM_ADDR_LIMIT || len > VM_ADDR_LIMIT - addr)
		return false;
	mem_store(m, (uint32_t)addr, in, len);
	return true;
}

/* ---- preimages ---- */

static size_t pre_slot(const struct vm_machine *m, const uint8_t key[32])
{
	return (size_t)cl_get_be64(key) & (m->pre_cap - 1);
}

static const struct vm_preimage *pre_find(const struct vm_machine *m,
					  const uint8_t key[32])
{
	if (m->pre_cap == 0)
		return NULL;
	for (size_t i = pre_slot(m, key);; i = (i + 1) & (m->pre_cap - 1)) {
		if (!m->pre[i].data)
			return NULL;
		if (memcmp(m->pre[i].key.b, key, 32) == 0)
			return &m->pre[i];
	}
}

static void pre_insert(struct vm_machine *m, struct vm_preimage p)
{
	size_t i = pre_slot(m, p.key.b);

	while (m->pre[i].data)
		i = (i + 1) & (m->pre_cap - 1);
	m->pre[i] = p;
	m->pre_n++;
}

bool vm_preimage_add(struct vm_machine *m, const uint8_t *data, size_t len)
{
	struct vm_preimage p;

	if (len > VM_PREIMAGE_MAX)
		return false;
	cl_keccak256(p.key.b, data, len);
	if (pre_find(m, p.key.b))
		return true;
	if ((m->pre_n + 1) * 2 > m->pre_cap) {
		struct vm_preimage *old = m->pre;
		size_t oldcap = m->pre_cap;

		m->pre_cap = oldcap ? oldcap * 2 : 64;
		m->pre = cl_xcalloc(m->pre_cap, sizeof(*m->pre));
		m->pre_n = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].data)
				pre_insert(m, old[i]);
		free(old);
	}
	/* data is never NULL for a stored preimage, even an empty one */
	p.data = cl_xmalloc(len ? len : 1);
	memcpy(p.data, data, len);
	p.len = len;
	pre_insert(m, p);
	return true;
}

const uint8_t *vm_output(const struct vm_machine *m, size_t *len)
{
	*len = m->output.len;
	return m->output.p;
}

/* ---- stepping ---- */

static bool host_read(void *ctx, uint8_t *out, uint32_t addr, uint32_t len)
{
	mem_load(ctx, out, addr, len);
	return true;
}

static bool host_write(void *ctx, uint32_t addr, const uint8_t *in,
		       uint32_t len)
{
	mem_store(ctx, addr, in, len);
	return true;
}

static bool host_preimage(void *ctx, const uint8_t **data, size_t *len,
			  const uint8_t key[32])
{
	const struct vm_preimage *p = pre_find(ctx, key);

	if (!p)
		return false;
	*data = p->data;
	*len = p->len;
	return true;
}

static void host_output(void *ctx, const uint8_t *data, uint32_t len)
{
	struct vm_machine *m = ctx;

	cl_buf_append(&m->output, data, len);
}

int vm_step(struct vm_machine *m)
{
	struct vm_host h = {m, host_read, host_write, host_preimage,
			    host_output};
	int rc;

	if (m->cpu.status != VM_RUNNING)
		return VM_E_HALTED;
	/* only the preimage ecall can fail here, and it fails before it
	 * changes anything (exec.c) */
	rc = vm_exec(&m->cpu, &h);
	CL_REQUIRE(rc == VM_OK || rc == VM_E_PREIMAGE);
	return rc;
}

int vm_run(struct vm_machine *m, uint64_t max_steps, uint64_t *ran)
{
	uint64_t n = 0;
	int rc = VM_OK;

	while (n < max_steps && m->cpu.status == VM_RUNNING) {
		rc = vm_step(m);
		if (rc != VM_OK)
			break;
		n++;
	}
	*ran = n;
	return rc;
}

void vm_mem_root(struct vm_machine *m, struct cl_hash32 *out)
{
	vm_tree_flush(m);
	vm_tree_node(m, out->b, 1);
}

void vm_state_hash(struct vm_machine *m, struct cl_hash32 *out)
{
	struct cl_hash32 root;

	vm_mem_root(m, &root);
	vm_state_hash_of(out, &m->cpu, &root);
}

/* ---- the proof of the next step ---- */

struct probe {
	struct vm_machine *m;
	uint32_t addr[VM_PROOF_MAX_RANGES], len[VM_PROOF_MAX_RANGES];
	uint32_t nops;
	const struct vm_preimage *pre;
	bool missing;
};

static void probe_note(struct probe *p, uint32_t addr, uint32_t len)
{
	CL_REQUIRE(p->nops < VM_PROOF_MAX_RANGES && len > 0);
	p->addr[p->nops] = addr;
	p->len[p->nops] = len;
	p->nops++;
}

static bool probe_read(void *ctx, uint8_t *out, uint32_t addr, uint32_t len)
{
	struct probe *p = ctx;

	probe_note(p, addr, len);
	mem_load(p->m, out, addr, len);
	return true;
}

/* the write is noted, not done: the proof is of the pre-state */
static bool probe_write(void *ctx, uint32_t addr, const uint8_t *in,
			uint32_t len)
{
	probe_note(ctx, addr, len);
	return true;
}

static bool probe_preimage(void *ctx, const uint8_t **data, size_t *len,
			   const uint8_t key[32])
{
	struct probe *p = ctx;

	p->pre = pre_find(p->m, key);
	if (!p->pre)
		return false;
	*data = p->pre->data;
	*len = p->pre->len;
	return true;
}

int vm_step_proof(struct vm_machine *m, struct cl_buf *out)
{
	struct probe p = {.m = m};
	struct vm_host h = {&p, probe_read, probe_write, probe_preimage, NULL};
	struct vm_cpu cpu = m->cpu;
	uint8_t state[VM_STATE_BYTES];
	struct cl_hash32 root;
	int rc;

	rc = vm_exec(&cpu, &h);
	if (rc != VM_OK) {
		CL_REQUIRE(rc == VM_E_PREIMAGE);
		return rc;
	}
	vm_mem_root(m, &root);
	vm_state_encode(state, &m->cpu, &root);
	cl_buf_append_byte(out, VM_PROOF_VERSION);
	cl_buf_append(out, state, sizeof(state));
	cl_buf_append_byte(out, (uint8_t)p.nops);
	for (uint32_t i = 0; i < p.nops; i++) {
		uint32_t first = p.addr[i] / VM_WORD_SIZE;
		uint32_t last = (uint32_t)(((uint64_t)p.addr[i] + p.len[i] - 1) /
					   VM_WORD_SIZE);
		uint32_t nw = last - first + 1;
		size_t at;

		cl_buf_append_be32(out, first);
		cl_buf_append_byte(out, (uint8_t)(nw >> 8));
		cl_buf_append_byte(out, (uint8_t)nw);
		cl_buf_reserve(out, (size_t)nw * VM_WORD_SIZE);
		at = out->len;
		out->len += (size_t)nw * VM_WORD_SIZE;
		mem_load(m, out->p + at, first * VM_WORD_SIZE,
			 (size_t)nw * VM_WORD_SIZE);
		vm_tree_siblings(m, out, first, last);
	}
	if (p.pre) {
		cl_buf_append_byte(out, 1);
		cl_buf_append_be32(out, (uint32_t)p.pre->len);
		cl_buf_append(out, p.pre->data, p.pre->len);
	} else {
		cl_buf_append_byte(out, 0);
	}
	return VM_OK;
}
