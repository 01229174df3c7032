/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz-walk (the input format is described
 * there): real committed states of a few tables and keys, each in two
 * forms, the raw one (an explicit root, then every preimage of
 * cl_preimage_map_add_state() as raw bytes) and the linked one (the tree
 * rebuilt bottom-up from element references, root = the last element),
 * plus the empty state, a state with one entry, and a chain of internal
 * nodes too deep for any tree.
 *
 * Usage: seeds-walk DIR   (meson builds it; see docs/testing.md)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/state.h>

static void save(const char *dir, const char *name, const struct cl_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void raw(struct cl_buf *b, const uint8_t *p, size_t len)
{
	cl_buf_append_byte(b, 0);
	cl_buf_append_byte(b, (uint8_t)(len >> 8));
	cl_buf_append_byte(b, (uint8_t)len);
	cl_buf_append(b, p, len);
}

/* Emit the subtree `h` in linked form; its element index (0xffff: the
 * empty subtree). */
static uint16_t linked(struct cl_buf *b, uint16_t *n,
		       const struct cl_preimage_map *pm,
		       const struct cl_hash32 *h)
{
	static const struct cl_hash32 zero;
	const uint8_t *p, *kp, *vp;
	size_t len, kl, vl;
	struct cl_hash32 a, c;
	uint16_t i, j;

	if (cl_hash32_eq(h, &zero))
		return 0xffff;
	if (!cl_preimage_map_get(pm, h, &p, &len) || len != 65)
		abort();
	memcpy(a.b, p + 1, 32);
	memcpy(c.b, p + 33, 32);
	if (p[0] == 0x01) {
		i = linked(b, n, pm, &a);
		j = linked(b, n, pm, &c);
		cl_buf_append_byte(b, 1);
	} else {
		if (!cl_preimage_map_get(pm, &a, &kp, &kl) ||
		    !cl_preimage_map_get(pm, &c, &vp, &vl))
			abort();
		raw(b, kp, kl);
		i = (*n)++;
		raw(b, vp, vl);
		j = (*n)++;
		cl_buf_append_byte(b, 2);
	}
	cl_buf_append_be32(b, (uint32_t)i << 16 | j);
	return (*n)++;
}

static void write_state(const char *dir, const char *name,
			struct cl_state *st)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_hash32 root;
	struct cl_buf b;
	char file[256];
	uint16_t n = 0;

	if (cl_state_commit_block(st, &root) != CL_OK ||
	    cl_preimage_map_add_state(pm, st) != CL_OK)
		abort();
	cl_buf_init(&b);
	cl_buf_append_byte(&b, 0xff);
	cl_buf_append(&b, root.b, 32);
	for (size_t i = 0; i < cl_preimage_map_count(pm, NULL); i++) {
		const uint8_t *p;
		size_t len;

		cl_preimage_map_at(pm, i, &p, &len);
		raw(&b, p, len);
	}
	snprintf(file, sizeof(file), "%s-raw", name);
	save(dir, file, &b);
	cl_buf_reset(&b);
	cl_buf_append_byte(&b, 0);
	linked(&b, &n, pm, &root);
	snprintf(file, sizeof(file), "%s-linked", name);
	save(dir, file, &b);
	cl_buf_release(&b);
	cl_preimage_map_free(pm);
}

static void put_n(struct cl_state *st, enum cl_table t, unsigned n,
		  size_t klen, size_t vlen, unsigned salt)
{
	uint8_t k[CL_STATE_KEY_MAX], v[300];

	for (unsigned i = 0; i < n; i++) {
		memset(k, 0, klen);
		cl_put_be32(k + klen - 4, i * 7919 + salt);
		for (size_t j = 0; j < vlen; j++)
			v[j] = (uint8_t)(i * 31 + j + salt);
		cl_state_put(st, t, k, klen, v, vlen);
	}
}

/* Internal nodes 257 deep, each over the next and an empty subtree: the
 * walk refuses the one at depth 256 ("too deep") before any leaf. */
static void write_deep(const char *dir)
{
	struct cl_buf b;

	cl_buf_init(&b);
	cl_buf_append_byte(&b, 0);
	for (uint32_t i = 0; i < 257; i++) {
		cl_buf_append_byte(&b, 1);
		cl_buf_append_be32(&b, (i ? i - 1 : 0xffff) << 16 | 0xffff);
	}
	save(dir, "too-deep-linked", &b);
	cl_buf_release(&b);
}

int main(int argc, char **argv)
{
	struct cl_state *st;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	st = cl_state_new_memory();
	write_state(argv[1], "empty", st);
	put_n(st, CL_TABLE_GLOBALS, 1, 8, 16, 1);
	write_state(argv[1], "one", st);
	cl_state_free(st);

	st = cl_state_new_memory();
	put_n(st, CL_TABLE_GLOBALS, 1, 8, 16, 1);
	put_n(st, CL_TABLE_ACCOUNTS, 2, 20, 40, 2);
	write_state(argv[1], "two-tables", st);
	cl_state_free(st);

	st = cl_state_new_memory();
	put_n(st, CL_TABLE_ACCOUNTS, 6, 20, 40, 3);
	put_n(st, CL_TABLE_POSITIONS, 5, 24, 64, 4);
	put_n(st, CL_TABLE_MARKETS, 2, 4, 200, 5);
	put_n(st, CL_TABLE_ORDERS, 3, 32, 0, 6); /* empty values */
	put_n(st, CL_TABLE_LIQ_INDEX, 2, 40, 1, 7);
	write_state(argv[1], "five-tables", st);
	/* a second block: deletes and overwrites */
	put_n(st, CL_TABLE_POSITIONS, 2, 24, 8, 4);
	cl_state_del(st, CL_TABLE_MARKETS, (const uint8_t[4]){0, 0, 0, 5}, 4);
	put_n(st, CL_TABLE_FORCED, 1, CL_STATE_KEY_MAX, 3, 8);
	write_state(argv[1], "five-tables-next", st);
	cl_state_free(st);
	write_deep(argv[1]);
	return 0;
}
