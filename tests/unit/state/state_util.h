/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the state tests: temporary database directories, a
 * reference Merkle root written straight from the hashing rule, and a
 * canonical dump of a state's visible contents.
 */
#ifndef CLEARLINE_STATE_UTIL_H
#define CLEARLINE_STATE_UTIL_H

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clearline/state.h>

#include "test.h"

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the path. */
static inline char *tmpdir_make(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;
	size_t n;

	if (!base || !base[0])
		base = "/tmp";
	n = strlen(base) + strlen(tag) + 32;
	path = cl_xmalloc(n);
	snprintf(path, n, "%s/clearline-%s-XXXXXX", base, tag);
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		exit(2);
	}
	return path;
}

static inline int tmpdir_rm_one(const char *p, const struct stat *sb,
				int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Remove the directory tree and free the path. */
static inline void tmpdir_remove(char *path)
{
	if (nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
	free(path);
}

static inline struct cl_db *db_open_at(const char *dir, uint64_t map_size)
{
	struct cl_db_config cfg = { .path = dir, .map_size = map_size };
	struct cl_db *db = NULL;
	int rc = cl_db_new(&db, &cfg);

	if (rc) {
		fprintf(stderr, "cannot open database: %s\n", cl_err_str(rc));
		exit(2);
	}
	return db;
}

/* ------------------------------------------------------------------ */
/* Reference root, straight from the rule                              */
/* ------------------------------------------------------------------ */

struct ref_leaf {
	uint8_t path[32];
	uint8_t vh[32];
};

static inline int ref_leaf_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static inline unsigned ref_bit(const uint8_t *path, unsigned i)
{
	return (path[i / 8] >> (7 - i % 8)) & 1;
}

static inline void ref_leaf_hash(uint8_t out[32], const uint8_t path[32],
				 const uint8_t vh[32])
{
	uint8_t buf[65];

	buf[0] = 0;
	memcpy(buf + 1, path, 32);
	memcpy(buf + 33, vh, 32);
	cl_keccak256(out, buf, 65);
}

static inline void ref_node_hash(uint8_t out[32], const uint8_t l[32],
				 const uint8_t r[32])
{
	uint8_t buf[65];

	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	cl_keccak256(out, buf, 65);
}

/* Root of the subtree at `depth` holding the sorted leaves l[0..n). */
static inline void ref_build(uint8_t out[32], const struct ref_leaf *l,
			     size_t n, unsigned depth)
{
	uint8_t a[32], b[32];
	size_t m = 0;

	if (n == 0) {
		memset(out, 0, 32);
		return;
	}
	if (n == 1) {
		ref_leaf_hash(out, l[0].path, l[0].vh);
		return;
	}
	while (m < n && !ref_bit(l[m].path, depth))
		m++;
	ref_build(a, l, m, depth + 1);
	ref_build(b, l + m, n - m, depth + 1);
	ref_node_hash(out, a, b);
}

static inline void ref_path(uint8_t out[32], uint8_t tid, const uint8_t *key,
			    size_t klen)
{
	uint8_t buf[1 + CL_STATE_KEY_MAX];

	buf[0] = tid;
	memcpy(buf + 1, key, klen);
	cl_keccak256(out, buf, 1 + klen);
}

static inline bool buf_eq(const struct cl_buf *a, const struct cl_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* ------------------------------------------------------------------ */
/* Dump of everything a state shows, in table and key order            */
/* ------------------------------------------------------------------ */

/* Append every entry an iterator gives (table id, key, value) to out and
 * free it. */
static inline void dump_iter(struct cl_buf *out, struct cl_state_iter *it,
			     uint8_t id)
{
	const uint8_t *k, *v;
	size_t kl, vl;
	int rc;

	while ((rc = cl_state_iter_next(it, &k, &kl, &v, &vl)) == 0) {
		cl_buf_append_byte(out, id);
		cl_buf_append_be32(out, (uint32_t)kl);
		cl_buf_append(out, k, kl);
		cl_buf_append_be32(out, (uint32_t)vl);
		cl_buf_append(out, v, vl);
	}
	if (rc != CL_ERR_NOT_FOUND) {
		fprintf(stderr, "iter_next failed: %d\n", rc);
		exit(2);
	}
	cl_state_iter_free(it);
}

static inline void state_dump(struct cl_state *st, struct cl_buf *out)
{
	const struct cl_table_info *t;
	size_t nt;

	cl_buf_reset(out);
	t = cl_table_list(&nt);
	for (size_t i = 0; i < nt; i++) {
		struct cl_state_iter *it;

		if (cl_state_iter_new(&it, st, t[i].id, NULL, 0)) {
			fprintf(stderr, "iter_new failed\n");
			exit(2);
		}
		dump_iter(out, it, (uint8_t)t[i].id);
	}
}

#endif
