/* SPDX-License-Identifier: MIT */
/*
 * Keystore: round trip through a file, wrong passphrase, every tampered or
 * truncated form refused with the key left untouched, parameter limits,
 * and passphrases from the environment and from files. Argon2 runs with
 * the minimum limits so the test stays fast.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clearline/crypto.h>

#include "test.h"

static const struct cl_kdf_params fast = {CL_KDF_OPSLIMIT_MIN,
					  CL_KDF_MEMLIMIT_MIN};
static char dir[4096];

static struct cl_passphrase *pass_of(const char *s)
{
	struct cl_passphrase *p;

	if (!cl_passphrase_new(&p, s, strlen(s))) {
		fprintf(stderr, "cannot make a passphrase\n");
		exit(2);
	}
	return p;
}

static void path_in_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, p, len) == (ssize_t)len);
	close(fd);
}

/* A sentinel that a refused decode must leave in place. */
static struct cl_seckey *const untouched = (struct cl_seckey *)&dir;

static int decode(struct cl_buf *b, const struct cl_passphrase *pass)
{
	struct cl_seckey *k = untouched;
	int err = cl_keystore_decode(&k, b->p, b->len, pass);

	if (err == CL_OK) {
		CHECK(k != untouched && k != NULL);
		cl_seckey_free(k);
	} else {
		CHECK_MSG(k == untouched, "output changed on error %d", err);
	}
	return err;
}

static void test_file_round_trip(void)
{
	struct cl_passphrase *pass = pass_of("correct horse battery staple");
	struct cl_passphrase *wrong = pass_of("correct horse battery stapl");
	struct cl_seckey *key = cl_seckey_new(), *got = untouched;
	struct cl_address a, want;
	char path[4200];
	struct stat st;

	path_in_dir(path, sizeof(path), "seq.keystore");
	CHECK(cl_keystore_create(&a, path, key, pass, &fast) == CL_OK);
	cl_seckey_address(&want, key);
	CHECK(memcmp(a.b, want.b, 20) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	CHECK(cl_keystore_unlock(&got, path, pass) == CL_OK);
	CHECK(got != untouched && got && cl_seckey_equal(got, key));
	cl_seckey_free(got);

	got = untouched;
	CHECK(cl_keystore_unlock(&got, path, wrong) == CL_KS_AUTH_FAILED);
	CHECK(got == untouched);

	/* never replaces an existing file */
	CHECK(cl_keystore_create(NULL, path, key, pass, &fast) == CL_KS_EXISTS);
	CHECK(cl_keystore_unlock(&got, path, pass) == CL_OK);
	CHECK(cl_seckey_equal(got, key));
	cl_seckey_free(got);

	/* a fresh key when none is given */
	char path2[4200];

	path_in_dir(path2, sizeof(path2), "fresh.keystore");
	CHECK(cl_keystore_create(&a, path2, NULL, pass, &fast) == CL_OK);
	CHECK(cl_keystore_unlock(&got, path2, pass) == CL_OK);
	cl_seckey_address(&want, got);
	CHECK(memcmp(a.b, want.b, 20) == 0);
	CHECK(!cl_seckey_equal(got, key));
	cl_seckey_free(got);

	/* a missing file and a folder as file: system errors */
	char none[4200];

	path_in_dir(none, sizeof(none), "missing.keystore");
	got = untouched;
	CHECK(cl_keystore_unlock(&got, none, pass) == CL_ERR_IO);
	CHECK(cl_keystore_unlock(&got, dir, pass) == CL_ERR_IO);
	CHECK(got == untouched);

	/* a truncated file on disk */
	struct cl_buf b;

	cl_buf_init(&b);
	CHECK(cl_keystore_encode(&b, key, pass, &fast) == CL_OK);
	write_file(none, b.p, b.len / 2);
	CHECK(cl_keystore_unlock(&got, none, pass) == CL_KS_MALFORMED);
	CHECK(got == untouched);
	/* an oversized file is refused unread */
	uint8_t *huge = cl_xcalloc(1, 100000);

	write_file(none, huge, 100000);
	CHECK(cl_keystore_unlock(&got, none, pass) == CL_KS_MALFORMED);
	free(huge);
	unlink(none);

	unlink(path);
	unlink(path2);
	cl_buf_release(&b);
	cl_seckey_free(key);
	cl_passphrase_free(pass);
	cl_passphrase_free(wrong);
}

/* Replace the first occurrence of `from` with `to` (same length). */
static bool patch(struct cl_buf *b, const char *from, const char *to)
{
	size_t n = strlen(from);

	CHECK(strlen(to) == n);
	for (size_t i = 0; i + n <= b->len; i++) {
		if (memcmp(b->p + i, from, n) == 0) {
			memcpy(b->p + i, to, n);
			return true;
		}
	}
	return false;
}

/* Offset of the value of line `key` in the text. */
static size_t value_at(const struct cl_buf *b, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i + n < b->len; i++)
		if ((i == 0 || b->p[i - 1] == '\n') &&
		    memcmp(b->p + i, key, n) == 0 && b->p[i + n] == ' ')
			return i + n + 1;
	CHECK_MSG(false, "no line %s", key);
	return 0;
}

/* Change one hex digit to another hex digit. */
static void flip_hex(struct cl_buf *b, size_t at)
{
	b->p[at] = b->p[at] == '0' ? '1' : '0';
}

static void test_tampering(void)
{
	struct cl_passphrase *pass = pass_of("pw");
	struct cl_seckey *key = cl_seckey_new();
	struct cl_buf good, b, other;

	cl_buf_init(&good);
	cl_buf_init(&b);
	cl_buf_init(&other);
	CHECK(cl_keystore_encode(&good, key, pass, &fast) == CL_OK);
	CHECK(decode(&good, pass) == CL_OK);

	/* fresh salt and nonce every time */
	CHECK(cl_keystore_encode(&other, key, pass, &fast) == CL_OK);
	CHECK(good.len == other.len && memcmp(good.p, other.p, good.len) != 0);

	/* every truncation is malformed; nothing reaches the kdf */
	for (size_t n = 0; n < good.len; n++) {
		cl_buf_reset(&b);
		cl_buf_append(&b, good.p, n);
		CHECK_MSG(decode(&b, pass) == CL_KS_MALFORMED, "length %zu", n);
	}
	/* trailing bytes */
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	cl_buf_append_byte(&b, '\n');
	CHECK(decode(&b, pass) == CL_KS_MALFORMED);

	/* every single flipped bit anywhere is refused */
	for (size_t i = 0; i < good.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			cl_buf_reset(&b);
			cl_buf_append(&b, good.p, good.len);
			b.p[i] ^= (uint8_t)(1u << bit);
			CHECK_MSG(decode(&b, pass) != CL_OK,
				  "flip at %zu bit %d accepted", i, bit);
		}
	}

	/* a well-formed change to any authenticated field: auth fails */
	static const char *const fields[] = {"salt", "nonce", "ciphertext"};

	for (size_t f = 0; f < CL_ARRAY_LEN(fields); f++) {
		for (size_t k = 0; k < 3; k++) {
			cl_buf_reset(&b);
			cl_buf_append(&b, good.p, good.len);
			flip_hex(&b, value_at(&b, fields[f]) + k * 7);
			CHECK_MSG(decode(&b, pass) == CL_KS_AUTH_FAILED, "%s",
				  fields[f]);
		}
	}
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "memlimit 8192\n", "memlimit 8193\n"));
	CHECK(decode(&b, pass) == CL_KS_AUTH_FAILED);
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "opslimit 1\n", "opslimit 2\n"));
	CHECK(decode(&b, pass) == CL_KS_AUTH_FAILED);
	/* another valid address in the header */
	{
		char a1[CL_ADDRESS_STR_LEN + 1], a2[CL_ADDRESS_STR_LEN + 1];
		struct cl_address addr;

		cl_seckey_address(&addr, key);
		cl_address_format(a1, &addr);
		addr.b[0] ^= 0x10;
		cl_address_format(a2, &addr);
		cl_buf_reset(&b);
		cl_buf_append(&b, good.p, good.len);
		CHECK(patch(&b, a1, a2));
		CHECK(decode(&b, pass) == CL_KS_AUTH_FAILED);
		/* same address, lowercase: not the canonical form */
		for (char *c = a1; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
		cl_seckey_address(&addr, key);
		cl_address_format(a2, &addr);
		cl_buf_reset(&b);
		cl_buf_append(&b, good.p, good.len);
		if (strcmp(a1, a2) != 0) {
			CHECK(patch(&b, a2, a1));
			CHECK(decode(&b, pass) == CL_KS_MALFORMED);
		}
	}

	/* header rules with their own codes */
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "clearline-keystore 1\n", "clearline-keystore 2\n"));
	CHECK(decode(&b, pass) == CL_KS_VERSION);
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "kdf argon2id\n", "kdf argon2i_\n"));
	CHECK(decode(&b, pass) == CL_KS_BAD_KDF);
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "opslimit 1\n", "opslimit 0\n"));
	CHECK(decode(&b, pass) == CL_KS_BAD_KDF);
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "memlimit 8192\n", "memlimit 8191\n"));
	CHECK(decode(&b, pass) == CL_KS_BAD_KDF);
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	CHECK(patch(&b, "memlimit 8192\n", "memlimit 08192"));
	CHECK(decode(&b, pass) == CL_KS_MALFORMED);
	/* uppercase hex is not what the writer makes */
	cl_buf_reset(&b);
	cl_buf_append(&b, good.p, good.len);
	{
		size_t at = value_at(&b, "ciphertext");

		for (size_t i = at; b.p[i] != '\n'; i++) {
			if (b.p[i] >= 'a' && b.p[i] <= 'f') {
				b.p[i] = (uint8_t)(b.p[i] - 'a' + 'A');
				break;
			}
		}
	}
	CHECK(decode(&b, pass) == CL_KS_MALFORMED);
	/* not a keystore at all */
	cl_buf_reset(&b);
	cl_buf_append(&b, "{\"crypto\":{}}\n", 14);
	CHECK(decode(&b, pass) == CL_KS_MALFORMED);

	/* limits out of range are never written */
	struct cl_kdf_params weak = {0, CL_KDF_MEMLIMIT_MIN};

	cl_buf_reset(&b);
	CHECK(cl_keystore_encode(&b, key, pass, &weak) == CL_ERR_CONFIG);
	weak.opslimit = CL_KDF_OPSLIMIT_MIN;
	weak.memlimit = CL_KDF_MEMLIMIT_MIN - 1;
	CHECK(cl_keystore_encode(&b, key, pass, &weak) == CL_ERR_CONFIG);
	weak.memlimit = CL_KDF_MEMLIMIT_ACCEPT_MAX + 1;
	CHECK(cl_keystore_encode(&b, key, pass, &weak) == CL_ERR_CONFIG);
	CHECK(b.len == 0);

	for (int e = CL_KS_OK; e <= CL_KS_EXISTS; e++)
		CHECK(strcmp(cl_keystore_err_str(e), "unknown") != 0);
	CHECK(strcmp(cl_keystore_err_str(CL_ERR_IO), cl_err_str(CL_ERR_IO)) ==
	      0);

	cl_buf_release(&good);
	cl_buf_release(&b);
	cl_buf_release(&other);
	cl_seckey_free(key);
	cl_passphrase_free(pass);
}

static void test_passphrase_sources(void)
{
	struct cl_passphrase *pass = pass_of("hunter2 with spaces");
	struct cl_passphrase *p = NULL;
	struct cl_seckey *key = cl_seckey_new(), *got;
	char ks[4200], pf[4200], spec[4300];

	path_in_dir(ks, sizeof(ks), "src.keystore");
	path_in_dir(pf, sizeof(pf), "pass.txt");
	CHECK(cl_keystore_create(NULL, ks, key, pass, &fast) == CL_OK);

	/* env:NAME */
	CHECK(setenv("CL_TEST_KS_PASS", "hunter2 with spaces", 1) == 0);
	CHECK(cl_passphrase_load(&p, "env:CL_TEST_KS_PASS") == CL_OK);
	CHECK(p && cl_keystore_unlock(&got, ks, p) == CL_OK);
	CHECK(cl_seckey_equal(got, key));
	cl_seckey_free(got);
	cl_passphrase_free(p);

	CHECK(unsetenv("CL_TEST_KS_PASS") == 0);
	CHECK(cl_passphrase_load(&p, "env:CL_TEST_KS_PASS") == CL_ERR_CONFIG);
	CHECK(p == NULL);
	CHECK(setenv("CL_TEST_KS_PASS", "", 1) == 0);
	CHECK(cl_passphrase_load(&p, "env:CL_TEST_KS_PASS") == CL_ERR_CONFIG);
	CHECK(cl_passphrase_load(&p, "env:") == CL_ERR_CONFIG);

	/* file:PATH, first line without its line ending */
	static const char *const contents[] = {
	    "hunter2 with spaces\n",
	    "hunter2 with spaces",
	    "hunter2 with spaces\r\n",
	    "hunter2 with spaces\nsecond line\n",
	};

	snprintf(spec, sizeof(spec), "file:%s", pf);
	for (size_t i = 0; i < CL_ARRAY_LEN(contents); i++) {
		write_file(pf, contents[i], strlen(contents[i]));
		p = NULL;
		CHECK(cl_passphrase_load(&p, spec) == CL_OK);
		got = NULL;
		CHECK_MSG(p && cl_keystore_unlock(&got, ks, p) == CL_OK,
			  "contents %zu", i);
		CHECK(got && cl_seckey_equal(got, key));
		cl_seckey_free(got);
		cl_passphrase_free(p);
	}
	/* a trailing space is part of the passphrase */
	write_file(pf, "hunter2 with spaces \n", 21);
	CHECK(cl_passphrase_load(&p, spec) == CL_OK);
	got = untouched;
	CHECK(cl_keystore_unlock(&got, ks, p) == CL_KS_AUTH_FAILED);
	CHECK(got == untouched);
	cl_passphrase_free(p);

	write_file(pf, "\nsecret on line two\n", 20);
	CHECK(cl_passphrase_load(&p, spec) == CL_ERR_CONFIG);
	CHECK(p == NULL);
	write_file(pf, "", 0);
	CHECK(cl_passphrase_load(&p, spec) == CL_ERR_CONFIG);

	char *longp = cl_xmalloc(CL_PASSPHRASE_MAX + 10);

	memset(longp, 'x', CL_PASSPHRASE_MAX + 10);
	write_file(pf, longp, CL_PASSPHRASE_MAX + 10);
	CHECK(cl_passphrase_load(&p, spec) == CL_ERR_CONFIG);
	write_file(pf, longp, CL_PASSPHRASE_MAX);
	CHECK(cl_passphrase_load(&p, spec) == CL_OK);
	cl_passphrase_free(p);
	CHECK(!cl_passphrase_new(&p, longp, CL_PASSPHRASE_MAX + 1));
	CHECK(!cl_passphrase_new(&p, longp, 0));
	CHECK(p == NULL);
	free(longp);

	unlink(pf);
	CHECK(cl_passphrase_load(&p, spec) == CL_ERR_IO);
	CHECK(cl_passphrase_load(&p, "file:") == CL_ERR_CONFIG);
	CHECK(cl_passphrase_load(&p, "hunter2") == CL_ERR_CONFIG);
	CHECK(cl_passphrase_load(&p, "") == CL_ERR_CONFIG);
	CHECK(p == NULL);
	cl_passphrase_free(NULL);

	unlink(ks);
	cl_seckey_free(key);
	cl_passphrase_free(pass);
}

/* A file written by an earlier build decodes the same (docs/crypto.md). */
static void test_known_file(void)
{
	static const char text[] =
	    "clearline-keystore 1\n"
	    "kdf argon2id\n"
	    "opslimit 1\n"
	    "memlimit 8192\n"
	    "salt 474c9a2b181bb7614d419c588aef455b\n"
	    "nonce 5f9831fdf1edc6d5f9c7d5c178c0bbc05c43588b55efbfb2\n"
	    "address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n"
	    "ciphertext 1985529672ad9be8910aa31d0a84d40ca44f031848913542"
	    "995d005002163bf44f53fd884f1ccf0ac5d13b82c1ad3520\n";
	static const char anvil0[] = "0xac0974bec39a17e36ba4a6b4d238ff944bac"
				     "b478cbed5efcae784d7bf4f2ff80";
	struct cl_passphrase *pass = pass_of("example");
	struct cl_seckey *want, *got = NULL;

	CHECK(cl_seckey_new_from_hex(&want, anvil0, strlen(anvil0)));
	CHECK(cl_keystore_decode(&got, (const uint8_t *)text, sizeof(text) - 1,
				 pass) == CL_OK);
	CHECK(got && want && cl_seckey_equal(got, want));
	cl_seckey_free(got);
	cl_seckey_free(want);
	cl_passphrase_free(pass);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	CHECK(cl_crypto_init() == CL_OK);
	snprintf(dir, sizeof(dir), "%s/cl-keystore-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_known_file();
	test_file_round_trip();
	test_tampering();
	test_passphrase_sources();
	rmdir(dir);
	return test_done("test_keystore");
}
