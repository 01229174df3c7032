/* SPDX-License-Identifier: MIT */
/*
 * Keys, signing and recovery: the address vectors, the signature rules
 * (low-S, v, r and s ranges) and recovery from several threads.
 */
#include <pthread.h>

#include <clearline/crypto.h>

#include "test.h"

/* clang-format off */
static const uint8_t curve_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
/* clang-format on */

/* out = a - b for 256-bit big-endian numbers (a >= b). */
static void sub256(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = a[i] - b[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static void test_address_vectors(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "addresses.json");
	json_t *vecs = json_object_get(root, "vectors");
	size_t i;
	json_t *v;

	CHECK(json_array_size(vecs) >= 5);
	json_array_foreach(vecs, i, v)
	{
		const char *sk =
		    json_string_value(json_object_get(v, "privateKey"));
		const char *pk =
		    json_string_value(json_object_get(v, "publicKey"));
		const char *want =
		    json_string_value(json_object_get(v, "address"));
		struct cl_seckey *key;
		struct cl_pubkey pub;
		struct cl_address a, a2, parsed;
		char text[CL_ADDRESS_STR_LEN + 1], pkhex[140];

		CHECK(cl_seckey_new_from_hex(&key, sk, strlen(sk)));
		if (!key)
			continue;
		cl_seckey_pubkey(&pub, key);
		/* the vector is 0x04 || x || y; ours is x || y */
		CHECK(strncmp(pk, "0x04", 4) == 0);
		snprintf(pkhex, sizeof(pkhex), "0x%s", pk + 4);
		CHECK_HEX(pub.b, sizeof(pub.b), pkhex);

		cl_seckey_address(&a, key);
		cl_pubkey_address(&a2, &pub);
		CHECK(addr_eq(&a, &a2));
		cl_address_format(text, &a);
		CHECK_MSG(strcmp(text, want) == 0, "got %s want %s", text,
			  want);
		CHECK(cl_address_parse(&parsed, want, strlen(want)));
		CHECK(addr_eq(&parsed, &a));

		/* a key without 0x parses the same */
		struct cl_seckey *key2;

		CHECK(cl_seckey_new_from_hex(&key2, sk + 2, strlen(sk) - 2));
		CHECK(key2 && cl_seckey_equal(key, key2));
		cl_seckey_free(key2);
		cl_seckey_free(key);
	}

	json_t *e55 = json_object_get(root, "eip55");

	CHECK(json_array_size(e55) >= 4);
	json_array_foreach(e55, i, v)
	{
		const char *lower =
		    json_string_value(json_object_get(v, "lower"));
		const char *sum =
		    json_string_value(json_object_get(v, "checksummed"));
		struct cl_address a, b;
		char text[CL_ADDRESS_STR_LEN + 1];

		CHECK(cl_address_parse(&a, lower, strlen(lower)));
		cl_address_format(text, &a);
		CHECK_MSG(strcmp(text, sum) == 0, "got %s want %s", text, sum);
		CHECK(cl_address_parse(&b, sum, strlen(sum)));
		CHECK(addr_eq(&a, &b));
	}
	json_decref(root);
}

static void test_seckey_rules(void)
{
	uint8_t b[32];
	struct cl_seckey *k = (struct cl_seckey *)&b; /* must be reset */

	memset(b, 0, sizeof(b));
	CHECK(!cl_seckey_new_from_bytes(&k, b));
	CHECK(k == NULL);
	CHECK(!cl_seckey_new_from_bytes(&k, curve_n));
	CHECK(!cl_seckey_new_from_hex(&k,
				      "0xffffffffffffffffffffffffffff"
				      "ffffffffffffffffffffffffffffffffffff",
				      66));
	/* n - 1 is the largest valid key */
	uint8_t one[32] = {0};

	one[31] = 1;
	sub256(b, curve_n, one);
	CHECK(cl_seckey_new_from_bytes(&k, b));
	cl_seckey_free(k);
	/* wrong length, bad digit */
	CHECK(!cl_seckey_new_from_hex(&k, "0x01", 4));
	CHECK(!cl_seckey_new_from_hex(&k,
				      "0xzc0974bec39a17e36ba4a6b4d238ff94"
				      "4bacb478cbed5efcae784d7bf4f2ff80",
				      66));
	CHECK(k == NULL);

	struct cl_seckey *x = cl_seckey_new(), *y = cl_seckey_new();

	CHECK(cl_seckey_equal(x, x));
	CHECK(!cl_seckey_equal(x, y));
	cl_seckey_free(x);
	cl_seckey_free(y);
	cl_seckey_free(NULL);
}

static void test_sign_recover(void)
{
	for (int i = 0; i < 32; i++) {
		struct cl_seckey *k = cl_seckey_new();
		struct cl_hash32 d;
		struct cl_sig s, s2;
		struct cl_address want, got;

		cl_randbytes(d.b, sizeof(d.b));
		cl_seckey_address(&want, k);
		CHECK(cl_sign_digest(&s, k, &d) == CL_OK);
		CHECK(s.b[64] == 27 || s.b[64] == 28);
		CHECK(cl_sig_check(s.b, sizeof(s.b)) == CL_SIG_OK);
		/* deterministic nonce */
		CHECK(cl_sign_digest(&s2, k, &d) == CL_OK);
		CHECK(memcmp(s.b, s2.b, sizeof(s.b)) == 0);

		CHECK(cl_sig_recover(&got, &d, s.b, sizeof(s.b)) == CL_SIG_OK);
		CHECK(addr_eq(&got, &want));

		/* v = 0 / 1 is the same signature */
		s2 = s;
		s2.b[64] -= 27;
		CHECK(cl_sig_recover(&got, &d, s2.b, sizeof(s2.b)) ==
		      CL_SIG_OK);
		CHECK(addr_eq(&got, &want));

		/* the other recovery id gives another key */
		s2 = s;
		s2.b[64] ^= 27 ^ 28;
		enum cl_sig_err e =
		    cl_sig_recover(&got, &d, s2.b, sizeof(s2.b));
		CHECK(e == CL_SIG_INVALID ||
		      (e == CL_SIG_OK && !addr_eq(&got, &want)));

		/* high-S twin: valid ECDSA, refused */
		s2 = s;
		sub256(s2.b + 32, curve_n, s.b + 32);
		s2.b[64] ^= 27 ^ 28;
		CHECK(cl_sig_check(s2.b, sizeof(s2.b)) == CL_SIG_HIGH_S);
		CHECK(cl_sig_recover(&got, &d, s2.b, sizeof(s2.b)) ==
		      CL_SIG_HIGH_S);
		struct cl_address zero = {{0}};

		CHECK(addr_eq(&got, &zero));

		/* another digest recovers someone else */
		d.b[0] ^= 1;
		e = cl_sig_recover(&got, &d, s.b, sizeof(s.b));
		CHECK(e == CL_SIG_INVALID ||
		      (e == CL_SIG_OK && !addr_eq(&got, &want)));
		cl_seckey_free(k);
	}
}

static void test_sig_rules(void)
{
	uint8_t s[65], half[32], one[32] = {0};

	one[31] = 1;
	/* n/2 = (n - 1) / 2: shift n - 1 right by one bit */
	sub256(half, curve_n, one);
	for (int i = 0, prev = 0; i < 32; i++) {
		int cur = half[i];

		half[i] = (uint8_t)((cur >> 1) | (prev << 7));
		prev = cur & 1;
	}
	memset(s, 0, sizeof(s));
	s[31] = 1;
	memcpy(s + 32, half, 32);
	s[64] = 27;
	CHECK(cl_sig_check(s, 65) == CL_SIG_OK); /* s = n/2 is fine */
	s[63]++;
	CHECK(cl_sig_check(s, 65) == CL_SIG_HIGH_S);
	memcpy(s + 32, curve_n, 32);
	CHECK(cl_sig_check(s, 65) == CL_SIG_BAD_S);
	memset(s + 32, 0, 32);
	CHECK(cl_sig_check(s, 65) == CL_SIG_BAD_S);
	s[63] = 1;
	CHECK(cl_sig_check(s, 65) == CL_SIG_OK);
	memcpy(s, curve_n, 32);
	CHECK(cl_sig_check(s, 65) == CL_SIG_BAD_R);
	sub256(s, curve_n, one);
	CHECK(cl_sig_check(s, 65) == CL_SIG_OK);
	memset(s, 0xff, 32);
	CHECK(cl_sig_check(s, 65) == CL_SIG_BAD_R);
	memset(s, 0, 32);
	CHECK(cl_sig_check(s, 65) == CL_SIG_BAD_R);
	s[31] = 1;
	for (int v = 0; v < 256; v++) {
		s[64] = (uint8_t)v;
		bool ok = v == 0 || v == 1 || v == 27 || v == 28;

		CHECK(cl_sig_check(s, 65) == (ok ? CL_SIG_OK : CL_SIG_BAD_V));
	}
	s[64] = 27;
	CHECK(cl_sig_check(s, 64) == CL_SIG_BAD_LENGTH);
	CHECK(cl_sig_check(s, 66) == CL_SIG_BAD_LENGTH);
	CHECK(cl_sig_check(s, 0) == CL_SIG_BAD_LENGTH);

	/* an r that is no point's x coordinate does not recover; about half
	 * of all small x values are like that */
	struct cl_hash32 d;
	struct cl_address a;
	int invalid = 0, ok = 0;

	memset(d.b, 0x42, sizeof(d.b));
	memset(s, 0, sizeof(s));
	s[63] = 7;
	s[64] = 27;
	for (int x = 1; x <= 20; x++) {
		s[31] = (uint8_t)x;
		enum cl_sig_err e = cl_sig_recover(&a, &d, s, 65);

		invalid += e == CL_SIG_INVALID;
		ok += e == CL_SIG_OK;
	}
	CHECK(invalid > 0 && ok > 0 && invalid + ok == 20);

	for (int e = CL_SIG_OK; e <= CL_SIG_INVALID; e++)
		CHECK(strcmp(cl_sig_err_str((enum cl_sig_err)e), "unknown") !=
		      0);
}

/* Recovery from two threads at once gives the same answers. */
struct job {
	struct cl_hash32 d[64];
	struct cl_sig s[64];
	struct cl_address want;
	int bad;
};

static void *recover_many(void *arg)
{
	struct job *j = arg;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 64; i++) {
			struct cl_address a;

			if (cl_sig_recover(&a, &j->d[i], j->s[i].b,
					   CL_SIG_LEN) != CL_SIG_OK ||
			    !addr_eq(&a, &j->want))
				j->bad++;
		}
	}
	return NULL;
}

static void test_threads(void)
{
	static struct job jobs[2];
	pthread_t th[2];

	for (int t = 0; t < 2; t++) {
		struct cl_seckey *k = cl_seckey_new();

		cl_seckey_address(&jobs[t].want, k);
		for (int i = 0; i < 64; i++) {
			cl_randbytes(jobs[t].d[i].b, 32);
			CHECK(cl_sign_digest(&jobs[t].s[i], k, &jobs[t].d[i]) ==
			      CL_OK);
		}
		cl_seckey_free(k);
	}
	for (int t = 0; t < 2; t++)
		CHECK(pthread_create(&th[t], NULL, recover_many, &jobs[t]) ==
		      0);
	for (int t = 0; t < 2; t++) {
		pthread_join(th[t], NULL);
		CHECK(jobs[t].bad == 0);
	}
}

int main(int argc, char **argv)
{
	CHECK(cl_crypto_init() == CL_OK);
	CHECK(cl_crypto_init() == CL_OK); /* idempotent */
	test_address_vectors(argc, argv);
	test_seckey_rules();
	test_sign_recover();
	test_sig_rules();
	test_threads();
	return test_done("test_secp");
}
