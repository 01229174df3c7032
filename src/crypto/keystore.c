/* SPDX-License-Identifier: MIT */
/*
 * Passphrases and the encrypted keystore of the sequencer key.
 *
 * File format (text, every line ends in "\n", docs/crypto.md):
 *
 *   clearline-keystore 1
 *   kdf argon2id
 *   opslimit <decimal>
 *   memlimit <decimal bytes>
 *   salt <32 lowercase hex digits>
 *   nonce <48 lowercase hex digits>
 *   address <EIP-55 address>
 *   ciphertext <96 lowercase hex digits: 32-byte key then 16-byte tag>
 *
 * key = Argon2id(passphrase, salt, opslimit, memlimit), 32 bytes;
 * ciphertext = XChaCha20-Poly1305(key, nonce, secret key), with every byte
 * of the file before the "ciphertext" line as associated data, so no
 * header field can be changed without the tag failing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto_int.h"

#define KS_MAGIC "clearline-keystore "
#define KS_VERSION "1"
#define KS_KDF "argon2id"
#define KS_SALT_LEN crypto_pwhash_SALTBYTES
#define KS_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KS_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define KS_CT_LEN (32 + crypto_aead_xchacha20poly1305_ietf_ABYTES)
/* Far more than a keystore ever takes; bigger files are refused unread. */
#define KS_FILE_MAX 4096

_Static_assert(CL_KDF_OPSLIMIT_MIN == crypto_pwhash_argon2id_OPSLIMIT_MIN,
	       "opslimit minimum differs from libsodium");
_Static_assert(CL_KDF_MEMLIMIT_MIN == crypto_pwhash_argon2id_MEMLIMIT_MIN,
	       "memlimit minimum differs from libsodium");
_Static_assert(CL_KDF_OPSLIMIT_MODERATE ==
		   crypto_pwhash_argon2id_OPSLIMIT_MODERATE,
	       "moderate opslimit differs from libsodium");
_Static_assert(CL_KDF_MEMLIMIT_MODERATE ==
		   crypto_pwhash_argon2id_MEMLIMIT_MODERATE,
	       "moderate memlimit differs from libsodium");
_Static_assert(KS_SALT_LEN == 16 && KS_NONCE_LEN == 24 && KS_KEY_LEN == 32,
	       "keystore field sizes changed");

/* ------------------------------------------------------------------ */
/* Passphrases                                                         */
/* ------------------------------------------------------------------ */

struct cl_passphrase {
	size_t len;
	char p[CL_PASSPHRASE_MAX];
};

static void *secure_alloc(size_t n)
{
	void *p = sodium_malloc(n);

	if (!p)
		CL_BUG("out of memory for secret data");
	return p;
}

bool cl_passphrase_new(struct cl_passphrase **out, const char *p, size_t len)
{
	*out = NULL;
	if (len == 0 || len > CL_PASSPHRASE_MAX)
		return false;

	struct cl_passphrase *pp = secure_alloc(sizeof(*pp));

	pp->len = len;
	memcpy(pp->p, p, len);
	if (sodium_mprotect_readonly(pp) != 0)
		cl_unusual(CRYPTO_LOG,
			   "cannot make passphrase memory read-only");
	*out = pp;
	return true;
}

void cl_passphrase_free(struct cl_passphrase *pass)
{
	sodium_free(pass);
}

/* Read at most `cap` bytes of a file with read(2), so no stdio buffer
 * keeps a copy of the secret. */
static int read_prefix(char *buf, size_t cap, size_t *got, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*got = 0;
	if (fd < 0) {
		int e = errno;

		cl_unusual(CRYPTO_LOG, "cannot open passphrase file %s: %s",
			   path, strerror(e));
		return CL_ERR_IO;
	}
	while (*got < cap) {
		ssize_t n = read(fd, buf + *got, cap - *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			cl_unusual(CRYPTO_LOG,
				   "cannot read passphrase file %s: %s", path,
				   strerror(e));
			return CL_ERR_IO;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	close(fd);
	return CL_OK;
}

static int passphrase_from_file(struct cl_passphrase **out, const char *path)
{
	/* Room for the longest passphrase plus "\r\n". */
	const size_t cap = CL_PASSPHRASE_MAX + 2;
	char *buf = secure_alloc(cap);
	size_t got, len;
	int err;

	err = read_prefix(buf, cap, &got, path);
	if (err != CL_OK)
		goto out;

	char *nl = memchr(buf, '\n', got);

	len = nl ? (size_t)(nl - buf) : got;
	if (nl && len > 0 && buf[len - 1] == '\r')
		len--;
	if (!cl_passphrase_new(out, buf, len)) {
		cl_unusual(CRYPTO_LOG, "passphrase file %s: first line is %s",
			   path, len == 0 ? "empty" : "too long");
		err = CL_ERR_CONFIG;
	}
out:
	sodium_free(buf);
	return err;
}

int cl_passphrase_load(struct cl_passphrase **out, const char *spec)
{
	*out = NULL;
	if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0')
		return passphrase_from_file(out, spec + 5);
	if (strncmp(spec, "env:", 4) == 0 && spec[4] != '\0') {
		const char *v = getenv(spec + 4);

		if (!v) {
			cl_unusual(CRYPTO_LOG,
				   "passphrase variable %s is not set",
				   spec + 4);
			return CL_ERR_CONFIG;
		}
		if (!cl_passphrase_new(out, v, strlen(v))) {
			cl_unusual(CRYPTO_LOG, "passphrase variable %s is %s",
				   spec + 4, *v ? "too long" : "empty");
			return CL_ERR_CONFIG;
		}
		return CL_OK;
	}
	cl_unusual(CRYPTO_LOG,
		   "passphrase source must be file:PATH or env:NAME");
	return CL_ERR_CONFIG;
}

/* ------------------------------------------------------------------ */
/* Keystore text                                                       */
/* ------------------------------------------------------------------ */

const char *cl_keystore_err_str(int err)
{
	if (err < 0)
		return cl_err_str(err);
	switch ((enum cl_keystore_err)err) {
	case CL_KS_OK:
		return "ok";
	case CL_KS_MALFORMED:
		return "keystore is malformed or truncated";
	case CL_KS_VERSION:
		return "unsupported keystore version";
	case CL_KS_BAD_KDF:
		return "keystore key derivation parameters are not accepted";
	case CL_KS_AUTH_FAILED:
		return "wrong passphrase or keystore was modified";
	case CL_KS_EXISTS:
		return "keystore file exists already";
	}
	return "unknown";
}

static bool kdf_params_ok(uint64_t ops, uint64_t mem)
{
	return ops >= CL_KDF_OPSLIMIT_MIN &&
	       ops <= CL_KDF_OPSLIMIT_ACCEPT_MAX &&
	       mem >= CL_KDF_MEMLIMIT_MIN &&
	       mem <= CL_KDF_MEMLIMIT_ACCEPT_MAX && mem <= SIZE_MAX;
}

/* Scratch secrets of one keystore operation, in guarded memory. */
struct ks_secrets {
	uint8_t key[KS_KEY_LEN];
	uint8_t plain[32];
};

static int derive_key(uint8_t key[KS_KEY_LEN], const struct cl_passphrase *pass,
		      const uint8_t salt[KS_SALT_LEN], uint64_t ops,
		      uint64_t mem)
{
	if (crypto_pwhash(key, KS_KEY_LEN, pass->p, pass->len, salt, ops,
			  (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		cl_unusual(CRYPTO_LOG, "argon2id failed (memlimit %llu bytes)",
			   (unsigned long long)mem);
		return CL_ERR_CRYPTO;
	}
	return CL_OK;
}

static void put_line(struct cl_buf *b, const char *key, const char *val)
{
	cl_buf_append(b, key, strlen(key));
	cl_buf_append_byte(b, ' ');
	cl_buf_append(b, val, strlen(val));
	cl_buf_append_byte(b, '\n');
}

static void put_line_u64(struct cl_buf *b, const char *key, uint64_t v)
{
	char dec[21];

	cl_fmt_u64(dec, v);
	put_line(b, key, dec);
}

static void put_line_hex(struct cl_buf *b, const char *key, const uint8_t *p,
			 size_t len)
{
	char *hex = cl_hex_encode_alloc(p, len, false);

	put_line(b, key, hex);
	free(hex);
}

int cl_keystore_encode(struct cl_buf *out, const struct cl_seckey *key,
		       const struct cl_passphrase *pass,
		       const struct cl_kdf_params *params)
{
	uint8_t salt[KS_SALT_LEN], nonce[KS_NONCE_LEN], ct[KS_CT_LEN];
	char addr[CL_ADDRESS_STR_LEN + 1];
	struct ks_secrets *s;
	struct cl_buf b;
	int err;

	if (!kdf_params_ok(params->opslimit, params->memlimit)) {
		cl_unusual(CRYPTO_LOG, "keystore kdf limits out of range");
		return CL_ERR_CONFIG;
	}
	cl_randbytes(salt, sizeof(salt));
	cl_randbytes(nonce, sizeof(nonce));
	cl_address_format(addr, &key->addr);

	cl_buf_init(&b);
	put_line(&b, "clearline-keystore", KS_VERSION);
	put_line(&b, "kdf", KS_KDF);
	put_line_u64(&b, "opslimit", params->opslimit);
	put_line_u64(&b, "memlimit", params->memlimit);
	put_line_hex(&b, "salt", salt, sizeof(salt));
	put_line_hex(&b, "nonce", nonce, sizeof(nonce));
	put_line(&b, "address", addr);

	s = secure_alloc(sizeof(*s));
	err =
	    derive_key(s->key, pass, salt, params->opslimit, params->memlimit);
	if (err == CL_OK) {
		crypto_aead_xchacha20poly1305_ietf_encrypt(
		    ct, NULL, key->sk, sizeof(key->sk), b.p, b.len, NULL, nonce,
		    s->key);
		put_line_hex(&b, "ciphertext", ct, sizeof(ct));
		cl_buf_append(out, b.p, b.len);
	}
	sodium_free(s);
	cl_buf_release(&b);
	return err;
}

/* A cursor over the keystore lines. */
struct ks_reader {
	const char *p;
	size_t len;
	bool failed;
};

/* Take the next line if it is "<key> <value>\n"; returns the value (not
 * NUL-terminated) and its length, or NULL and marks the reader failed. */
static const char *take_line(struct ks_reader *r, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	*vlen = 0;
	if (r->failed || r->len == 0 || !r->p) {
		r->failed = true;
		return NULL;
	}

	const char *nl = memchr(r->p, '\n', r->len);

	if (!nl || (size_t)(nl - r->p) < klen + 1 ||
	    memcmp(r->p, key, klen) != 0 || r->p[klen] != ' ') {
		r->failed = true;
		return NULL;
	}

	const char *v = r->p + klen + 1;

	*vlen = (size_t)(nl - v);
	r->len -= (size_t)(nl + 1 - r->p);
	r->p = nl + 1;
	return v;
}

static void take_u64(struct ks_reader *r, uint64_t *out, const char *key)
{
	size_t n;
	const char *v = take_line(r, key, &n);

	*out = 0;
	if (v && !cl_parse_u64(out, v, n))
		r->failed = true;
}

/* Exactly `len` bytes as lowercase hex (the one form the writer makes). */
static void take_hex(struct ks_reader *r, uint8_t *out, size_t len,
		     const char *key)
{
	size_t n;
	const char *v = take_line(r, key, &n);

	memset(out, 0, len);
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!((v[i] >= '0' && v[i] <= '9') ||
		      (v[i] >= 'a' && v[i] <= 'f'))) {
			r->failed = true;
			return;
		}
	}
	if (!cl_hex_decode(out, len, v, n, CL_HEX_NO_PREFIX))
		r->failed = true;
}

int cl_keystore_decode(struct cl_seckey **out, const uint8_t *text, size_t len,
		       const struct cl_passphrase *pass)
{
	struct ks_reader r = {(const char *)text, len, false};
	uint8_t salt[KS_SALT_LEN], nonce[KS_NONCE_LEN], ct[KS_CT_LEN];
	struct cl_address addr;
	uint64_t ops, mem;
	const char *v;
	size_t n;

	/* Version first, so a newer file gets a clear answer. */
	v = take_line(&r, "clearline-keystore", &n);
	if (!v)
		return CL_KS_MALFORMED;
	if (n != strlen(KS_VERSION) || memcmp(v, KS_VERSION, n) != 0)
		return CL_KS_VERSION;
	v = take_line(&r, "kdf", &n);
	if (!v)
		return CL_KS_MALFORMED;
	if (n != strlen(KS_KDF) || memcmp(v, KS_KDF, n) != 0)
		return CL_KS_BAD_KDF;
	take_u64(&r, &ops, "opslimit");
	take_u64(&r, &mem, "memlimit");
	take_hex(&r, salt, sizeof(salt), "salt");
	take_hex(&r, nonce, sizeof(nonce), "nonce");
	v = take_line(&r, "address", &n);
	if (v) {
		char canon[CL_ADDRESS_STR_LEN + 1];

		if (!cl_address_parse(&addr, v, n))
			r.failed = true;
		cl_address_format(canon, &addr);
		if (n != CL_ADDRESS_STR_LEN || memcmp(canon, v, n) != 0)
			r.failed = true;
	}

	/* Everything so far is authenticated as associated data. */
	size_t ad_len = len - r.len;

	take_hex(&r, ct, sizeof(ct), "ciphertext");
	if (r.failed || r.len != 0)
		return CL_KS_MALFORMED;
	if (!kdf_params_ok(ops, mem))
		return CL_KS_BAD_KDF;

	struct ks_secrets *s = secure_alloc(sizeof(*s));
	struct cl_seckey *key = NULL;
	int err = derive_key(s->key, pass, salt, ops, mem);

	if (err != CL_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(s->plain, NULL, NULL, ct,
						       sizeof(ct), text, ad_len,
						       nonce, s->key) != 0) {
		err = CL_KS_AUTH_FAILED;
		goto out;
	}
	/* Authentic but unusable: only a broken writer makes this. */
	if (!crypto_seckey_make(&key, s->plain) ||
	    memcmp(key->addr.b, addr.b, sizeof(addr.b)) != 0) {
		cl_seckey_free(key);
		err = CL_KS_MALFORMED;
		goto out;
	}
	*out = key;
	err = CL_OK;
out:
	sodium_free(s);
	return err;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the folder holding `path`, so the rename itself is durable. */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc;

	if (!slash)
		dir = cl_xstrdup(".");
	else if (slash == path)
		dir = cl_xstrdup("/");
	else {
		dir = cl_xstrdup(path);
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_new_file(const char *path, const struct cl_buf *b)
{
	size_t plen = strlen(path);
	char *tmp = cl_xmalloc(plen + sizeof(".tmp-XXXXXX"));
	const char *what = NULL;
	int fd, e = 0;

	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		cl_unusual(CRYPTO_LOG,
			   "cannot create a temporary file for "
			   "keystore %s: %s",
			   path, strerror(e));
		free(tmp);
		return CL_ERR_IO;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
		what = "set the mode of";
	else if (write_all(fd, b->p, b->len) != 0)
		what = "write";
	else if (fsync(fd) != 0)
		what = "fsync";
	if (what)
		e = errno;
	if (close(fd) != 0 && !what) {
		e = errno;
		what = "close";
	}
	if (!what && rename(tmp, path) != 0) {
		e = errno;
		what = "rename into place";
	}
	if (what) {
		unlink(tmp);
		free(tmp);
		cl_unusual(CRYPTO_LOG, "cannot %s keystore %s: %s", what, path,
			   strerror(e));
		return CL_ERR_IO;
	}
	free(tmp);
	if (sync_parent(path) != 0) {
		e = errno;
		cl_unusual(CRYPTO_LOG, "cannot fsync the folder of %s: %s",
			   path, strerror(e));
		return CL_ERR_IO;
	}
	return CL_OK;
}

int cl_keystore_create(struct cl_address *address, const char *path,
		       const struct cl_seckey *key,
		       const struct cl_passphrase *pass,
		       const struct cl_kdf_params *params)
{
	struct cl_seckey *fresh = NULL;
	struct stat st;
	struct cl_buf b;
	int err;

	if (address)
		memset(address, 0, sizeof(*address));
	if (lstat(path, &st) == 0)
		return CL_KS_EXISTS;
	if (errno != ENOENT) {
		int e = errno;

		cl_unusual(CRYPTO_LOG, "cannot check keystore path %s: %s",
			   path, strerror(e));
		return CL_ERR_IO;
	}
	if (!key)
		key = fresh = cl_seckey_new();

	cl_buf_init(&b);
	err = cl_keystore_encode(&b, key, pass, params);
	if (err == CL_OK)
		err = write_new_file(path, &b);
	if (err == CL_OK && address)
		*address = key->addr;
	cl_buf_release(&b);
	cl_seckey_free(fresh);
	return err;
}

int cl_keystore_unlock(struct cl_seckey **out, const char *path,
		       const struct cl_passphrase *pass)
{
	uint8_t buf[KS_FILE_MAX + 1];
	size_t got = 0;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		cl_unusual(CRYPTO_LOG, "cannot open keystore %s: %s", path,
			   strerror(e));
		return CL_ERR_IO;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		cl_unusual(CRYPTO_LOG,
			   "keystore %s is accessible to other users", path);
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			cl_unusual(CRYPTO_LOG, "cannot read keystore %s: %s",
				   path, strerror(e));
			return CL_ERR_IO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > KS_FILE_MAX)
		return CL_KS_MALFORMED;
	err = cl_keystore_decode(out, buf, got, pass);
	return err;
}
