/* SPDX-License-Identifier: MIT */
/* Internal to src/vm: the machine's memory and its Merkle tree. */
#ifndef CLEARLINE_VM_INT_H
#define CLEARLINE_VM_INT_H

#include <clearline/vm.h>

#define VM_NPAGES (1u << 20)
#define VM_DIR_BITS 10
#define VM_LEAVES_PER_PAGE (VM_PAGE_SIZE / VM_WORD_SIZE) /* 128 */

/* A page and its subtree: node[1] is the page root, node[i] has the
 * children 2i and 2i+1; indices 128..255 are the page's 32-byte words. */
struct vm_page {
	uint8_t data[VM_PAGE_SIZE];
	struct cl_hash32 node[VM_LEAVES_PER_PAGE];
	uint64_t dirty[2]; /* leaves written since the last rehash */
	bool listed;	   /* on the machine's dirty list */
};

/* Hashes of the tree above the pages, by heap index (root 1, a page's
 * root at 2^20 + page); open addressing, key 0 is empty. */
struct vm_nodemap {
	uint32_t *keys;
	struct cl_hash32 *vals;
	size_t cap, n;
};

struct vm_preimage {
	struct cl_hash32 key;
	uint8_t *data;
	size_t len;
};

struct vm_machine {
	struct vm_cpu cpu;
	struct vm_page **dir[1u << VM_DIR_BITS];
	struct vm_nodemap upper;
	uint32_t *dirty_pages;
	size_t ndirty, dirty_cap;
	struct cl_hash32 zero[VM_TREE_DEPTH + 1]; /* by height */
	struct vm_preimage *pre;		  /* open addressing */
	size_t pre_cap, pre_n;
	struct cl_buf output;
};

/* tree.c */
void vm_zero_hashes(struct cl_hash32 zero[VM_TREE_DEPTH + 1]);
void vm_page_init_nodes(struct vm_page *pg,
			const struct cl_hash32 zero[VM_TREE_DEPTH + 1]);
void vm_tree_flush(struct vm_machine *m);
/* The hash of global heap node gidx (1 <= gidx < 2^28) after a flush. */
void vm_tree_node(struct vm_machine *m, uint8_t out[32], uint32_t gidx);
/* Append the siblings proving leaves first..last (docs/vm.md order). */
void vm_tree_siblings(struct vm_machine *m, struct cl_buf *out,
		      uint32_t first, uint32_t last);
void vm_nodemap_release(struct vm_nodemap *nm);

/* machine.c */
struct vm_page *vm_page_get(const struct vm_machine *m, uint32_t pn);

#endif
