/* SPDX-License-Identifier: MIT */
/*
 * The state log's files (docs/state.md "The state log"): one record per
 * committed block, appended and synced before the block is acknowledged;
 * a file per checkpoint interval, named state-log-<first block, 16 hex
 * digits>, removed once a checkpoint holds its blocks.
 *
 * A record, integers big-endian:
 *   magic "CLSL" (4) | body length (4) | body | BLAKE2b-128 of the body
 *   body: block seq (8) | root (32) | entry count (4) | entries
 *   entry: table id (1) | key length (1, 1..255) | value length (4;
 *          0xffffffff for a deletion) | key | value
 * Only the tables' entries are logged: the tree's leaves and nodes and
 * the root follow from them, and replay recomputes and checks the root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clearline/crypto.h>

#include "state_int.h"

#define LOG_PREFIX "state-log-"
#define LOG_MAGIC 0x434c534cu /* "CLSL" */
#define LOG_DELETED 0xffffffffu
#define LOG_HEAD 8u
#define LOG_SUM 16u

struct slog {
	char *dir;
	int fd;		/* the file being written, or -1 */
	off_t size;	/* its length */
	uint64_t first; /* the first block of the next file */
	struct cl_buf rec;
};

static char *file_name(const char *dir, uint64_t first)
{
	size_t n = strlen(dir) + sizeof(LOG_PREFIX) + 18;
	char *p = cl_xmalloc(n);

	snprintf(p, n, "%s/" LOG_PREFIX "%016" PRIx64, dir, first);
	return p;
}

static int io_err(const char *what, const char *path)
{
	cl_unusual(STATE_LOG, "state log: %s %s: %s", what, path,
		   strerror(errno));
	return CL_ERR_IO;
}

/* Make a new file's name durable. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = CL_OK;

	if (fd < 0)
		return io_err("cannot open the folder", dir);
	if (fsync(fd) != 0)
		rc = io_err("cannot sync the folder", dir);
	close(fd);
	return rc;
}

int slog_open(struct slog **out, const char *dir, uint64_t next_seq)
{
	struct slog *l = cl_xcalloc(1, sizeof(*l));

	l->dir = cl_xstrdup(dir);
	l->fd = -1;
	l->first = next_seq;
	cl_buf_init(&l->rec);
	*out = l;
	return CL_OK;
}

void slog_close(struct slog *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	cl_buf_release(&l->rec);
	free(l->dir);
	free(l);
}

/* The file for records from l->first on, created on its first record. */
static int ensure_file(struct slog *l)
{
	char *path;
	int rc = CL_OK;

	if (l->fd >= 0)
		return CL_OK;
	path = file_name(l->dir, l->first);
	l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		     0600);
	if (l->fd < 0)
		rc = io_err("cannot create", path);
	else
		rc = sync_dir(l->dir);
	if (rc && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
		unlink(path);
	}
	l->size = 0;
	free(path);
	return rc;
}

static void encode(struct cl_buf *b, const struct delta *d,
		   const struct cl_hash32 *root)
{
	uint32_t count = 0;
	size_t count_at;
	uint8_t sum[LOG_SUM];

	cl_buf_reset(b);
	cl_buf_append_be32(b, LOG_MAGIC);
	cl_buf_append_be32(b, 0); /* the body's length, below */
	cl_buf_append_be64(b, d->seq);
	cl_buf_append(b, root->b, 32);
	count_at = b->len;
	cl_buf_append_be32(b, 0);
	for (size_t i = 0; i < d->n; i++) {
		const struct delta_ent *e = &d->e[i];
		const struct cl_table_info *info = kv_table_info(e->key[0]);

		if (!info)
			continue; /* meta, leaves, nodes: derived */
		CL_REQUIRE(e->klen >= 2 && e->klen - 1 <= CL_STATE_KEY_MAX);
		cl_buf_append_byte(b, (uint8_t)info->id);
		cl_buf_append_byte(b, (uint8_t)(e->klen - 1));
		cl_buf_append_be32(b, e->val ? e->vlen : LOG_DELETED);
		cl_buf_append(b, e->key + 1, e->klen - 1);
		if (e->val && e->vlen)
			cl_buf_append(b, e->val, e->vlen);
		count++;
	}
	cl_put_be32(b->p + count_at, count);
	cl_put_be32(b->p + 4, (uint32_t)(b->len - LOG_HEAD));
	cl_checksum16(sum, b->p + LOG_HEAD, b->len - LOG_HEAD);
	cl_buf_append(b, sum, sizeof(sum));
}

int slog_append(struct slog *l, const struct delta *d,
		const struct cl_hash32 *root, bool sync, size_t *bytes)
{
	size_t off = 0;
	int rc = ensure_file(l);

	if (rc)
		return rc;
	encode(&l->rec, d, root);
	while (off < l->rec.len) {
		ssize_t w = write(l->fd, l->rec.p + off, l->rec.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = io_err("cannot write", "the log");
			break;
		}
		off += (size_t)w;
	}
	if (!rc && sync && fdatasync(l->fd) != 0)
		rc = io_err("cannot sync", "the log");
	if (rc) {
		/* no torn record stays ahead of the next one */
		if (ftruncate(l->fd, l->size) != 0)
			cl_unusual(STATE_LOG, "state log: cannot cut a failed "
					      "record: %s", strerror(errno));
		return rc;
	}
	l->size += (off_t)l->rec.len;
	*bytes = l->rec.len;
	return CL_OK;
}

int slog_sync(struct slog *l)
{
	if (l->fd >= 0 && fdatasync(l->fd) != 0)
		return io_err("cannot sync", "the log");
	return CL_OK;
}

int slog_rotate(struct slog *l, uint64_t next_seq, char **closed)
{
	*closed = NULL;
	if (l->fd >= 0) {
		if (fdatasync(l->fd) != 0)
			return io_err("cannot sync", "the log");
		close(l->fd);
		l->fd = -1;
		*closed = file_name(l->dir, l->first);
	}
	l->first = next_seq;
	return CL_OK;
}

/* ------------------------------------------------------------------ */
/* Replay at open                                                      */
/* ------------------------------------------------------------------ */

struct log_file {
	uint64_t first;
	char *path;
};

static int file_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct log_file *)a)->first;
	uint64_t y = ((const struct log_file *)b)->first;

	return x < y ? -1 : x > y;
}

/* The log files in dir, by their first block. */
static int list_files(const char *dir, struct log_file **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return io_err("cannot read the folder", dir);
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		char *end;

		if (strncmp(s, LOG_PREFIX, strlen(LOG_PREFIX)) != 0)
			continue;
		s += strlen(LOG_PREFIX);
		errno = 0;
		uint64_t first = strtoull(s, &end, 16);
		if (errno || end == s || *end || strlen(s) != 16)
			continue; /* not one of ours */
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = cl_xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[*n].first = first;
		(*out)[(*n)++].path = file_name(dir, first);
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), file_cmp);
	return CL_OK;
}

static int read_file(const char *path, struct cl_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	int rc = CL_OK;

	cl_buf_reset(b);
	if (fd < 0)
		return io_err("cannot open", path);
	if (fstat(fd, &sb) != 0) {
		rc = io_err("cannot read", path);
	} else {
		cl_buf_reserve(b, (size_t)sb.st_size);
		while (b->len < (size_t)sb.st_size) {
			ssize_t r = read(fd, b->p + b->len,
					 (size_t)sb.st_size - b->len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = io_err("cannot read", path);
				break;
			}
			b->len += (size_t)r;
		}
	}
	close(fd);
	return rc;
}

struct replay {
	struct cl_state *st;
	uint64_t base;	/* the checkpoint's block */
	uint64_t last;	/* the last block applied (or base) */
	struct cl_hash32 root; /* its root */
	uint64_t records, entries;
};

/* Put one record's entries into the state; CL_ERR_CORRUPT for a
 * malformed body. */
static int apply_body(struct replay *r, const uint8_t *p, size_t n)
{
	uint64_t seq;
	uint32_t count;

	if (n < 44)
		return CL_ERR_CORRUPT;
	seq = cl_get_be64(p);
	count = cl_get_be32(p + 40);
	if (seq <= r->base)
		return CL_OK; /* the checkpoint holds it */
	if (seq != r->last + 1) {
		cl_unusual(STATE_LOG, "state log: block %" PRIu64
			   " follows %" PRIu64, seq, r->last);
		return CL_ERR_CORRUPT;
	}
	size_t off = 44;
	for (uint32_t i = 0; i < count; i++) {
		if (n - off < 6)
			return CL_ERR_CORRUPT;
		const struct cl_table_info *info = cl_table_find(p[off]);
		size_t klen = p[off + 1];
		uint32_t vlen = cl_get_be32(p + off + 2);
		off += 6;
		if (!info || klen == 0 || n - off < klen)
			return CL_ERR_CORRUPT;
		const uint8_t *key = p + off;
		off += klen;
		if (vlen == LOG_DELETED) {
			cl_state_del(r->st, info->id, key, klen);
			continue;
		}
		if (vlen > CL_STATE_VALUE_MAX || n - off < vlen)
			return CL_ERR_CORRUPT;
		cl_state_put(r->st, info->id, key, klen, p + off, vlen);
		off += vlen;
	}
	if (off != n)
		return CL_ERR_CORRUPT;
	r->last = seq;
	memcpy(r->root.b, p + 8, 32);
	r->records++;
	r->entries += count;
	return CL_OK;
}

/* The records of one file; *torn tells that it ended in a partial or
 * damaged record (allowed in the last file only: a crash mid-append). */
static int apply_file(struct replay *r, const struct cl_buf *b, bool *torn)
{
	size_t off = 0;

	*torn = false;
	while (off < b->len) {
		const uint8_t *p = b->p + off;
		size_t left = b->len - off;
		uint8_t sum[LOG_SUM];

		if (left < LOG_HEAD || cl_get_be32(p) != LOG_MAGIC) {
			*torn = true;
			return CL_OK;
		}
		size_t body = cl_get_be32(p + 4);
		if (left - LOG_HEAD < body || left - LOG_HEAD - body < LOG_SUM) {
			*torn = true;
			return CL_OK;
		}
		cl_checksum16(sum, p + LOG_HEAD, body);
		if (memcmp(sum, p + LOG_HEAD + body, LOG_SUM) != 0) {
			*torn = true;
			return CL_OK;
		}
		int rc = apply_body(r, p + LOG_HEAD, body);
		if (rc) {
			cl_unusual(STATE_LOG, "state log: a malformed record "
					      "with a good checksum");
			return rc;
		}
		off += LOG_HEAD + body + LOG_SUM;
	}
	return CL_OK;
}

int slog_recover(struct cl_db *db, const char *dir, uint64_t base,
		 uint64_t part, uint64_t *last)
{
	struct log_file *files;
	struct replay r = { .base = base, .last = base };
	struct cl_buf b;
	size_t n;
	uint64_t t0 = cl_clock_mono_ns();
	int rc = list_files(dir, &files, &n);

	*last = base;
	if (rc || (n == 0 && !part)) {
		free(files);
		return rc;
	}
	cl_buf_init(&b);
	rc = cl_state_new_lmdb(&r.st, db);
	for (size_t i = 0; i < n && !rc; i++) {
		bool torn;
		rc = read_file(files[i].path, &b);
		if (!rc)
			rc = apply_file(&r, &b, &torn);
		if (!rc && torn && i + 1 < n) {
			cl_unusual(STATE_LOG, "state log: %s is damaged before "
					      "later files",
				   files[i].path);
			rc = CL_ERR_CORRUPT;
		}
		if (!rc && torn)
			cl_info(STATE_LOG, "state log: %s ends in a partial "
					   "record (a crash while it was "
					   "written): dropped",
				files[i].path);
	}
	if (!rc && part && r.last < part) {
		/* LMDB holds blocks the log no longer (or never) reached */
		char ends[48] = "is gone";
		if (n)
			snprintf(ends, sizeof(ends), "ends at block %" PRIu64,
				 r.last);
		cl_unusual(STATE_LOG, "the database holds part of a checkpoint "
				      "to block %" PRIu64 " (after block %" PRIu64
				      ") but the state log that completes it "
				      "%s",
			   part, base, ends);
		rc = CL_ERR_CORRUPT;
	}
	if (!rc && part)
		cl_info(STATE_LOG, "state log: the last checkpoint stopped "
				   "between its transactions (blocks %" PRIu64
				   "..%" PRIu64 " in part): every key replayed "
				   "is written again and the stored tree rebuilt",
			base + 1, part);
	if (!rc && r.records) {
		/* the tree in memory pays for a large replay only; a
		 * partial checkpoint rebuilds the stored tree instead */
		cl_state_tree_in_memory(r.st, !part && r.entries > 20000);
		state_expect(r.st, &r.root, r.last, part != 0);
		rc = cl_state_commit_block(r.st, NULL);
		/* the tree it built (a large or partial replay), for the
		 * first writer: its first block need not build it again */
		if (!rc)
			db_tree_leave(db, state_take_tree(r.st));
	}
	cl_state_free(r.st);
	cl_buf_release(&b);
	if (!rc)
		for (size_t i = 0; i < n; i++)
			if (remove(files[i].path) != 0)
				rc = io_err("cannot remove", files[i].path);
	if (!rc && r.records)
		cl_info(STATE_LOG, "state log: replayed blocks %" PRIu64
			"..%" PRIu64 " (%" PRIu64 " entries) in %.1f ms",
			base + 1, r.last, r.entries,
			(double)(cl_clock_mono_ns() - t0) / 1e6);
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
	if (!rc)
		*last = r.last;
	return rc;
}
