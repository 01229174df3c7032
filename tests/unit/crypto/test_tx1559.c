/* SPDX-License-Identifier: MIT */
/*
 * EIP-1559 transactions against tests/vectors/eip1559.json (ethers, and
 * cast for the first two): unsigned bytes, signing hash, r/s/yParity,
 * signed bytes and transaction hash.
 */
#include <clearline/crypto.h>

#include "test.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s) {
		fprintf(stderr, "vector lacks string %s\n", key);
		exit(2);
	}
	return s;
}

static uint64_t u64_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	uint64_t out = 0;

	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	const char *s = json_string_value(v);

	if (!s || !cl_parse_u64(&out, s, strlen(s))) {
		fprintf(stderr, "vector field %s is not a u64\n", key);
		exit(2);
	}
	return out;
}

/* Decimal text into a 256-bit big-endian number. */
static bool dec_to_be256(uint8_t out[32], const char *s)
{
	memset(out, 0, 32);
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned carry = (unsigned)(*s - '0');

		for (int i = 31; i >= 0; i--) {
			unsigned v = out[i] * 10u + carry;

			out[i] = (uint8_t)v;
			carry = v >> 8;
		}
		if (carry)
			return false;
	}
	return true;
}

static void test_vector(json_t *v)
{
	json_t *f = json_object_get(v, "fields");
	struct cl_tx1559 tx;
	struct cl_hash32 h, txh;
	struct cl_seckey *key;
	struct cl_buf b;
	struct cl_sig sig;
	size_t dlen;
	uint8_t *data = test_unhex(str(f, "data"), &dlen);

	CHECK(u64_field(f, "type") == 2);
	CHECK(json_array_size(json_object_get(f, "accessList")) == 0);

	memset(&tx, 0, sizeof(tx));
	tx.chain_id = u64_field(f, "chainId");
	tx.nonce = u64_field(f, "nonce");
	tx.max_priority_fee_per_gas = u64_field(f, "maxPriorityFeePerGas");
	tx.max_fee_per_gas = u64_field(f, "maxFeePerGas");
	tx.gas_limit = u64_field(f, "gasLimit");
	json_t *to = json_object_get(f, "to");

	if (json_is_null(to)) {
		tx.has_to = false;
		memset(tx.to.b, 0x55, sizeof(tx.to.b)); /* must be ignored */
	} else {
		const char *s = json_string_value(to);

		tx.has_to = true;
		CHECK(s && cl_address_parse(&tx.to, s, strlen(s)));
	}
	CHECK(dec_to_be256(tx.value, str(f, "value")));
	tx.data = dlen ? data : NULL;
	tx.data_len = dlen;

	cl_buf_init(&b);
	cl_tx1559_encode_unsigned(&b, &tx);
	CHECK_HEX(b.p, b.len, str(v, "unsigned"));
	cl_tx1559_signing_hash(&h, &tx);
	CHECK_HEX(h.b, 32, str(v, "signingHash"));

	const char *sk = str(v, "privateKey");

	CHECK(cl_seckey_new_from_hex(&key, sk, strlen(sk)));
	if (!key) {
		cl_buf_release(&b);
		free(data);
		return;
	}

	/* r, s, yParity of the signing hash */
	CHECK(cl_sign_digest(&sig, key, &h) == CL_OK);
	CHECK_HEX(sig.b, 32, str(v, "r"));
	CHECK_HEX(sig.b + 32, 32, str(v, "s"));
	CHECK(sig.b[64] - 27u == u64_field(v, "yParity"));

	/* the sender recovers from the signing hash */
	struct cl_address from, got;
	const char *fs = str(v, "from");

	CHECK(cl_address_parse(&from, fs, strlen(fs)));
	CHECK(cl_sig_recover(&got, &h, sig.b, sizeof(sig.b)) == CL_SIG_OK);
	CHECK(memcmp(got.b, from.b, 20) == 0);

	/* the signed encoding is appended after what is in the buffer */
	cl_buf_reset(&b);
	cl_buf_append(&b, "xyz", 3);
	CHECK(cl_tx1559_sign(&b, &txh, key, &tx) == CL_OK);
	CHECK(b.len > 3 && memcmp(b.p, "xyz", 3) == 0);
	CHECK_HEX(b.p + 3, b.len - 3, str(v, "signed"));
	CHECK_HEX(txh.b, 32, str(v, "hash"));

	/* tx_hash is optional */
	cl_buf_reset(&b);
	CHECK(cl_tx1559_sign(&b, NULL, key, &tx) == CL_OK);
	CHECK_HEX(b.p, b.len, str(v, "signed"));

	/* the signed form decodes as a canonical RLP list of 12 items */
	struct cl_rlp_item list, it;
	size_t pos = 0, count = 0;
	bool failed = false;

	CHECK(b.len > 1 && b.p[0] == 0x02);
	CHECK(cl_rlp_decode_full(&list, b.p + 1, b.len - 1));
	CHECK(list.is_list);
	while (cl_rlp_list_next(&it, &list, &pos, &failed))
		count++;
	CHECK(!failed && count == 12);

	cl_seckey_free(key);
	cl_buf_release(&b);
	free(data);
}

int main(int argc, char **argv)
{
	json_t *root = test_load_vectors(argc, argv, "eip1559.json");
	json_t *vecs = json_object_get(root, "vectors");
	size_t i;
	json_t *v;

	CHECK(cl_crypto_init() == CL_OK);
	CHECK(json_array_size(vecs) >= 4);
	json_array_foreach(vecs, i, v) test_vector(v);

	/* value is a full uint256 */
	uint8_t big[32];

	CHECK(dec_to_be256(big, "115792089237316195423570985008687907853"
				"269984665640564039457584007913129639935"));
	for (int k = 0; k < 32; k++)
		CHECK(big[k] == 0xff);
	CHECK(!dec_to_be256(big, "115792089237316195423570985008687907853"
				 "269984665640564039457584007913129639936"));

	json_decref(root);
	return test_done("test_tx1559");
}
