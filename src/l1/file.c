/* SPDX-License-Identifier: MIT */
/*
 * Small durable state files of the sender and the watcher: written whole
 * to a temporary file, fsync'ed, renamed over the old one, and the folder
 * fsync'ed, so a crash leaves either the old or the new contents. A
 * keccak256 trailer catches a torn or edited file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l1_int.h"

#define FILE_HEAD 16 /* magic 8, version 4, length 4 */
#define FILE_MAX (64u << 20)

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = cl_xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

int l1_file_write(const char *dir, const char *name, const char magic[8],
		  uint32_t version, const uint8_t *payload, size_t len)
{
	struct cl_buf b;
	uint8_t sum[32];
	int rc = CL_OK;
	const char *what = NULL;

	CL_REQUIRE(len <= FILE_MAX);
	cl_buf_init(&b);
	cl_buf_append(&b, magic, 8);
	cl_buf_append_be32(&b, version);
	cl_buf_append_be32(&b, (uint32_t)len);
	cl_buf_append(&b, payload, len);
	cl_keccak256(sum, b.p, b.len);
	cl_buf_append(&b, sum, 32);

	char *path = join(dir, name);
	size_t tn = strlen(path) + 16;
	char *tmp = cl_xmalloc(tn);
	snprintf(tmp, tn, "%s.tmpXXXXXX", path);

	int fd = mkstemp(tmp);
	if (fd < 0) {
		what = "create";
	} else {
		if (!write_all(fd, b.p, b.len))
			what = "write";
		else if (fsync(fd) != 0)
			what = "fsync";
		if (close(fd) != 0 && !what)
			what = "close";
		if (!what && rename(tmp, path) != 0)
			what = "rename";
		if (what)
			unlink(tmp);
	}
	if (what) {
		cl_unusual(L1_LOG, "cannot %s %s: %s", what, path,
			   strerror(errno));
		rc = CL_ERR_IO;
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		cl_unusual(L1_LOG, "cannot fsync folder %s: %s", dir,
			   strerror(errno));
		rc = CL_ERR_IO;
	}
	if (dfd >= 0)
		close(dfd);
out:
	free(tmp);
	free(path);
	cl_buf_release(&b);
	return rc;
}

int l1_file_read(struct cl_buf *out, const char *dir, const char *name,
		 const char magic[8], uint32_t version)
{
	char *path = join(dir, name);
	int rc = CL_OK;
	struct stat st;
	uint8_t sum[32];
	struct cl_buf b;

	cl_buf_init(&b);
	cl_buf_reset(out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			rc = CL_ERR_NOT_FOUND;
		} else {
			cl_unusual(L1_LOG, "cannot open %s: %s", path,
				   strerror(errno));
			rc = CL_ERR_IO;
		}
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		cl_unusual(L1_LOG, "cannot stat %s: %s", path, strerror(errno));
		rc = CL_ERR_IO;
		goto out_close;
	}
	if (st.st_size < FILE_HEAD + 32 ||
	    st.st_size > FILE_MAX + FILE_HEAD + 32) {
		cl_unusual(L1_LOG, "%s: bad size %lld", path,
			   (long long)st.st_size);
		rc = CL_ERR_CORRUPT;
		goto out_close;
	}
	size_t size = (size_t)st.st_size;
	cl_buf_reserve(&b, size);
	while (b.len < size) {
		ssize_t r = read(fd, b.p + b.len, size - b.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			cl_unusual(L1_LOG, "cannot read %s: %s", path,
				   r < 0 ? strerror(errno) : "short read");
			rc = CL_ERR_IO;
			goto out_close;
		}
		b.len += (size_t)r;
	}
	cl_keccak256(sum, b.p, size - 32);
	if (memcmp(b.p, magic, 8) != 0 || cl_get_be32(b.p + 8) != version ||
	    cl_get_be32(b.p + 12) != size - FILE_HEAD - 32 ||
	    !cl_ct_equal(sum, b.p + size - 32, 32)) {
		cl_unusual(L1_LOG, "%s: bad magic, version or checksum", path);
		rc = CL_ERR_CORRUPT;
		goto out_close;
	}
	cl_buf_append(out, b.p + FILE_HEAD, size - FILE_HEAD - 32);
out_close:
	close(fd);
out:
	cl_buf_release(&b);
	free(path);
	return rc;
}
