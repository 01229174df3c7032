/* SPDX-License-Identifier: MIT */
/*
 * The L1 client's pure parts, without a node: quantities, ABI encoding of
 * the rollup calls, event decoding of a captured log, the calldata floor,
 * and the sender's state file (round trip and corruption).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clearline/l1.h>

#include "test.h"

static void test_qty(void)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t v;
	} cases[] = {
	    {"0x0", true, 0},
	    {"0x1", true, 1},
	    {"0x10", true, 16},
	    {"0xff", true, 255},
	    {"0xFF", true, 255},
	    {"0xffffffffffffffff", true, UINT64_MAX},
	    {"0x1ffffffffffffffff", false, 0},
	    {"0x", false, 0},
	    {"0x00", false, 0},
	    {"0x01", false, 0},
	    {"0X1", false, 0},
	    {"1", false, 0},
	    {"", false, 0},
	    {"0x1g", false, 0},
	    {"0x 1", false, 0},
	    {"-0x1", false, 0},
	};
	for (size_t i = 0; i < CL_ARRAY_LEN(cases); i++) {
		uint64_t v = 99;
		bool ok = cl_l1_parse_qty(&v, cases[i].s, strlen(cases[i].s));
		CHECK_MSG(ok == cases[i].ok, "qty %s", cases[i].s);
		CHECK_MSG(v == cases[i].v, "qty %s value", cases[i].s);
	}

	/* format and parse back */
	uint64_t vals[] = {0, 1, 15, 16, 255, 256, 1000000007, UINT64_MAX};
	for (size_t i = 0; i < CL_ARRAY_LEN(vals); i++) {
		char s[19];
		uint64_t v;
		size_t n = cl_l1_fmt_qty(s, vals[i]);
		CHECK(n == strlen(s));
		CHECK(cl_l1_parse_qty(&v, s, n) && v == vals[i]);
	}
	char s[19];
	cl_l1_fmt_qty(s, 0x1a2b);
	CHECK(strcmp(s, "0x1a2b") == 0);

	/* 256-bit */
	uint8_t w[32], want[32] = {0};
	const char *big = "0xde0b6b3a7640000"; /* 10^18 */
	want[24] = 0x0d;
	want[25] = 0xe0;
	want[26] = 0xb6;
	want[27] = 0xb3;
	want[28] = 0xa7;
	want[29] = 0x64;
	want[30] = 0x00;
	want[31] = 0x00;
	CHECK(cl_l1_parse_qty256(w, big, strlen(big)));
	CHECK(memcmp(w, want, 32) == 0);
	char q[67];
	cl_l1_fmt_qty256(q, w);
	CHECK(strcmp(q, big) == 0);
	memset(want, 0xff, 32);
	const char *max =
	    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "ffffffff";
	CHECK(cl_l1_parse_qty256(w, max, strlen(max)));
	CHECK(memcmp(w, want, 32) == 0);
	char over[68] = "0x1";
	memset(over + 3, 'f', 64);
	over[67] = 0; /* 65 digits: 2^260 - 1 */
	CHECK(!cl_l1_parse_qty256(w, over, strlen(over)));
	CHECK(!cl_l1_parse_qty256(w, "0x00", 4));
	memset(w, 0, 32);
	cl_l1_fmt_qty256(q, w);
	CHECK(strcmp(q, "0x0") == 0);

	/* JSON forms: a quantity, or (only where allowed) a JSON integer */
	json_t *j = json_integer(1795448125);
	uint64_t v;
	CHECK(!cl_l1_json_qty(&v, j));
	CHECK(cl_l1_json_qty_or_int(&v, j) && v == 1795448125);
	json_decref(j);
	j = json_integer(-1);
	CHECK(!cl_l1_json_qty_or_int(&v, j));
	json_decref(j);
	j = json_string("0x6b045eac");
	CHECK(cl_l1_json_qty(&v, j) && v == 0x6b045eac);
	CHECK(cl_l1_json_qty_or_int(&v, j) && v == 0x6b045eac);
	json_decref(j);
}

/* Selectors as solc and cast compute them (cast sig). */
static void test_selectors(void)
{
	static const struct {
		const char *sig;
		const char *sel;
	} cases[] = {
	    {CL_L1_SIG_APPEND_BATCH, "0x79ed211b"},
	    {CL_L1_SIG_APPEND_BATCH_WITH_ASSETS, "0x713a57c3"},
	    {CL_L1_SIG_CLAIM_WITHDRAWAL, "0x24d5d612"},
	    {CL_L1_SIG_DEPOSIT_FN, "0x47e7ef24"},
	    {CL_L1_SIG_GAME_CHALLENGE, "0x4e564440"},
	    {CL_L1_SIG_GAME_INPUT, "0x500a671a"},
	    {CL_L1_SIG_GAME_RESOLVE, "0x4f896d4f"},
	    {CL_L1_SIG_DISPUTE_DEFEND, "0x8f57e898"},
	    {CL_L1_SIG_CHALLENGE_BOND, "0x52305151"},
	    {CL_L1_SIG_DISPUTE, "0xf240f7c3"},
	    {CL_L1_SIG_GAME_STEPS, "0xdb3a6797"},
	    {CL_L1_SIG_BATCH_COUNT, "0x06f13056"},
	    {CL_L1_SIG_IS_FINAL, "0xa0d7031a"},
	    {CL_L1_SIG_DEPOSIT_COUNT, "0x2dfdf0b5"},
	    {CL_L1_SIG_ERC20_APPROVE, "0x095ea7b3"},
	};
	for (size_t i = 0; i < CL_ARRAY_LEN(cases); i++) {
		uint8_t sel[4], h[32];
		cl_l1_selector(sel, cases[i].sig);
		CHECK_HEX(sel, 4, cases[i].sel);
		/* the definition: the first 4 bytes of keccak256 */
		cl_keccak256(h, cases[i].sig, strlen(cases[i].sig));
		CHECK(memcmp(h, sel, 4) == 0);
	}
	struct cl_hash32 t;
	cl_l1_event_topic(&t, CL_L1_EV_DEPOSIT);
	CHECK_HEX(t.b, 32,
		  "0xb8de39cde55f97a845e6a98f3c17a41caf3c79700437840d"
		  "5466bac6339bafd3");
	cl_l1_event_topic(&t, CL_L1_EV_BATCH_APPENDED);
	CHECK_HEX(t.b, 32,
		  "0x5ea32cbe07ba77c95ace7ad9956ca506f3fc0a8802adad49"
		  "2e74970daeed81a2");
}

static char *cat_words(const char *const *words, size_t n)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += strlen(words[i]);
	char *s = cl_xmalloc(len);
	s[0] = 0;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(words[i]);
		memcpy(s + at, words[i], k);
		at += k;
	}
	s[at] = 0;
	return s;
}

static const uint8_t zero32[32];

static void test_append_batch(void)
{
	static const uint8_t data[5] = {1, 2, 3, 4, 5};
	struct cl_l1_batch_args a = {
	    .data = data,
	    .data_len = sizeof(data),
	    .deposits_consumed = 7,
	    .first_block = 1,
	    .last_block = 10,
	    .l1_timestamp = 0x6b045e00,
	    .forced_consumed = 3,
	};
	memset(a.state_root.b, 0x11, 32);
	memset(a.withdrawal_root.b, 0x22, 32);

	/* by hand: selector; head (offset 0x100, roots, five uint64);
	 * tail (length 5, the bytes padded to 32) */
	static const char *const words[] = {
	    "0x79ed211b",
	    "0000000000000000000000000000000000000000000000000000000000000100",
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    "2222222222222222222222222222222222222222222222222222222222222222",
	    "0000000000000000000000000000000000000000000000000000000000000007",
	    "0000000000000000000000000000000000000000000000000000000000000001",
	    "000000000000000000000000000000000000000000000000000000000000000a",
	    "000000000000000000000000000000000000000000000000000000006b045e00",
	    "0000000000000000000000000000000000000000000000000000000000000003",
	    "0000000000000000000000000000000000000000000000000000000000000005",
	    "0102030405000000000000000000000000000000000000000000000000000000",
	};
	char *want = cat_words(words, CL_ARRAY_LEN(words));
	struct cl_buf b;
	cl_buf_init(&b);
	cl_l1_abi_append_batch(&b, &a);
	CHECK(b.len == 4 + 10 * 32);
	CHECK_HEX(b.p, b.len, want);
	free(want);

	/* decode it back */
	struct cl_l1_batch_args d;
	CHECK(cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	CHECK(d.data_len == 5 && memcmp(d.data, data, 5) == 0);
	CHECK(d.deposits_consumed == 7 && d.first_block == 1 &&
	      d.last_block == 10 && d.l1_timestamp == 0x6b045e00 &&
	      d.forced_consumed == 3);
	CHECK(cl_hash32_eq(&d.state_root, &a.state_root));
	CHECK(cl_hash32_eq(&d.withdrawal_root, &a.withdrawal_root));

	/* non-canonical forms are refused */
	b.p[b.len - 1] = 1; /* padding not zero */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[b.len - 1] = 0;
	b.p[4 + 31] = 0xe0; /* another offset */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 31] = 0x00;
	b.p[4 + 6 * 32] = 1; /* l1Timestamp with high bits */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 6 * 32] = 0;
	b.p[4 + 7 * 32] = 1; /* the forced count with high bits */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 7 * 32] = 0;
	b.p[4 + 3 * 32] = 1; /* a uint64 with high bits */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 3 * 32] = 0;
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len - 32)); /* short */
	cl_buf_append(&b, zero32, 32);
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len)); /* trailing */
	b.len -= 32;
	b.p[0] ^= 1; /* selector */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[0] ^= 1;
	CHECK(cl_l1_abi_decode_append_batch(&d, b.p, b.len));

	/* a 32-byte multiple has no padding; empty data has no tail words */
	uint8_t d32[64];
	memset(d32, 0xab, sizeof(d32));
	a.data = d32;
	a.data_len = 64;
	cl_buf_reset(&b);
	cl_l1_abi_append_batch(&b, &a);
	CHECK(b.len == 4 + 9 * 32 + 64);
	CHECK(cl_l1_abi_decode_append_batch(&d, b.p, b.len) &&
	      d.data_len == 64 && !d.with_assets);

	/* appendBatchWithAssets: one more head word, the count */
	a.with_assets = true;
	a.asset_deposits_consumed = 0x0102030405;
	cl_buf_reset(&b);
	cl_l1_abi_append_batch(&b, &a);
	uint8_t sel[4];
	cl_l1_selector(sel, CL_L1_SIG_APPEND_BATCH_WITH_ASSETS);
	CHECK(b.len == 4 + 10 * 32 + 64 && memcmp(b.p, sel, 4) == 0);
	CHECK(b.p[4 + 30] == 0x01 && b.p[4 + 31] == 0x20); /* offset 0x120 */
	CHECK(cl_l1_abi_decode_append_batch(&d, b.p, b.len) &&
	      d.with_assets && d.asset_deposits_consumed == 0x0102030405 &&
	      d.forced_consumed == a.forced_consumed && d.data_len == 64 &&
	      memcmp(d.data, d32, 64) == 0);
	b.p[4 + 8 * 32 + 7] = 1; /* the count's high bits */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 8 * 32 + 7] = 0;
	b.p[4 + 31] = 0x00; /* appendBatch's offset 0x100 with assets */
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	b.p[4 + 31] = 0x20;
	CHECK(!cl_l1_abi_decode_append_batch(&d, b.p, b.len - 32));
	CHECK(cl_l1_abi_decode_append_batch(&d, b.p, b.len));
	cl_buf_release(&b);
}

static void test_claim(void)
{
	struct cl_address to;
	struct cl_hash32 sib[2];
	const char *addr = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

	CHECK(cl_address_parse(&to, addr, strlen(addr)));
	memset(sib[0].b, 0xaa, 32);
	memset(sib[1].b, 0xbb, 32);
	/* batch 3's record: as ethers v6 encodes the call */
	struct cl_l1_batch_event rec = {
	    .index = 3,
	    .prev_deposits_consumed = 1,
	    .deposits_consumed = 2,
	    .first_block = 101,
	    .last_block = 200,
	    .timestamp = 0x6b045eac,
	    .l1_timestamp = 0x6b045e00,
	};
	memset(rec.data_hash.b, 0x11, 32);
	memset(rec.state_root.b, 0x22, 32);
	memset(rec.withdrawal_root.b, 0x33, 32);
	static const char *const words[] = {
	    "0x24d5d612",
	    "0000000000000000000000000000000000000000000000000000000000000003",
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    "2222222222222222222222222222222222222222222222222222222222222222",
	    "3333333333333333333333333333333333333333333333333333333333333333",
	    "0000000000000000000000000000000000000000000000000000000000000001",
	    "0000000000000000000000000000000000000000000000000000000000000002",
	    "0000000000000000000000000000000000000000000000000000000000000065",
	    "00000000000000000000000000000000000000000000000000000000000000c8",
	    "000000000000000000000000000000000000000000000000000000006b045eac",
	    "000000000000000000000000000000000000000000000000000000006b045e00",
	    "0000000000000000000000000000000000000000000000000000000000000009",
	    "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8",
	    "00000000000000000000000000000000000000000000000000000000000f4240",
	    "00000000000000000000000000000000000000000000000000000000000001c0",
	    "0000000000000000000000000000000000000000000000000000000000000002",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	};
	char *want = cat_words(words, CL_ARRAY_LEN(words));
	struct cl_buf b;
	cl_buf_init(&b);
	cl_l1_abi_claim_withdrawal(&b, &rec, 9, &to, 1000000, sib, 2);
	CHECK_HEX(b.p, b.len, want);
	free(want);

	/* no siblings: offset, then a zero length */
	cl_buf_reset(&b);
	cl_l1_abi_claim_withdrawal(&b, &rec, 0, &to, 1, NULL, 0);
	CHECK(b.len == 4 + 15 * 32);
	CHECK(b.p[4 + 14 * 32 - 1] == 0xc0 && b.p[4 + 14 * 32 - 2] == 0x01 &&
	      b.p[b.len - 1] == 0);

	/* the game's challenge: index, k, the record, the previous one
	 * (zero for batch 0), the claim */
	cl_buf_reset(&b);
	struct cl_hash32 claim;
	memset(claim.b, 0x5c, 32);
	cl_l1_abi_game_challenge(&b, &rec, NULL, 7, &claim);
	CHECK(b.len == 4 + 21 * 32);
	CHECK_HEX(b.p, 4, "0x4e564440");
	CHECK(b.p[4 + 31] == 3 && b.p[4 + 63] == 7 && b.p[4 + 64] == 0x11 &&
	      b.p[4 + 11 * 32] == 0 && b.p[b.len - 1] == 0x5c);

	/* the commitment the contract stores (value from ethers: keccak256 of
	 * the abi-encoded record, low 32 bits replaced by the timestamp) */
	struct cl_hash32 c;
	cl_l1_batch_commitment(&c, &rec);
	CHECK_HEX(c.b, 32,
		  "0xbc354405e721284af27f33e7abfab5bda01a3b49ae658bd9794992ea6b0"
		  "45eac");

	/* the small ones */
	cl_buf_reset(&b);
	cl_l1_abi_deposit(&b, &to, 2500000);
	CHECK_HEX(
	    b.p, b.len,
	    "0x47e7ef24"
	    "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
	    "00000000000000000000000000000000000000000000000000000000002625a0");
	cl_buf_reset(&b);
	cl_l1_abi_is_final(&b, 258);
	CHECK_HEX(
	    b.p, b.len,
	    "0xa0d7031a"
	    "0000000000000000000000000000000000000000000000000000000000000102");
	cl_buf_reset(&b);
	cl_l1_abi_batch_count(&b);
	CHECK_HEX(b.p, b.len, "0x06f13056");

	/* return words */
	uint8_t w[32] = {0};
	uint64_t v;
	bool f;
	w[31] = 5;
	CHECK(cl_l1_abi_ret_u64(&v, w, 32) && v == 5);
	CHECK(!cl_l1_abi_ret_u64(&v, w, 31));
	CHECK(!cl_l1_abi_ret_bool(&f, w, 32));
	w[31] = 1;
	CHECK(cl_l1_abi_ret_bool(&f, w, 32) && f);
	w[0] = 1;
	CHECK(!cl_l1_abi_ret_u64(&v, w, 32));
	cl_buf_release(&b);
}

static void fill_log(struct cl_l1_log *l, const char *const *topics,
		     size_t n_topics, const char *data)
{
	size_t len;

	memset(l, 0, sizeof(*l));
	l->n_topics = n_topics;
	for (size_t i = 0; i < n_topics; i++)
		CHECK(cl_hex_decode(l->topics[i].b, 32, topics[i],
				    strlen(topics[i]), CL_HEX_0X));
	l->data = test_unhex(data, &len);
	l->data_len = len;
	l->block_number = 5;
	l->log_index = 0;
}

static void test_events(void)
{
	/* a Deposit log captured from anvil 1.7.1 (eth_getLogs) */
	static const char *const topics[] = {
	    "0xb8de39cde55f97a845e6a98f3c17a41caf3c79700437840d5466bac6339bafd"
	    "3",
	    "0x000000000000000000000000000000000000000000000000000000000000000"
	    "0",
	    "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c"
	    "8",
	};
	static const char *data =
	    "0x00000000000000000000000000000000000000000000000000000000002625a0"
	    "000000000000000000000000000000000000000000000000000000006b045eac";
	struct cl_l1_log l;
	struct cl_l1_deposit d;
	char addr[CL_ADDRESS_STR_LEN + 1];

	fill_log(&l, topics, 3, data);
	CHECK(cl_l1_decode_deposit(&d, &l));
	CHECK(d.id == 0 && d.amount == 2500000 && d.timestamp == 0x6b045eac);
	cl_address_format(addr, &d.to);
	CHECK(strcmp(addr, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8") == 0);
	CHECK(d.loc.block_number == 5);

	/* not a BatchAppended; and damaged forms fail */
	struct cl_l1_batch_event be;
	CHECK(!cl_l1_decode_batch_appended(&be, &l));
	l.topics[2].b[0] = 1; /* address word with high bits */
	CHECK(!cl_l1_decode_deposit(&d, &l));
	l.topics[2].b[0] = 0;
	l.data_len = 32;
	CHECK(!cl_l1_decode_deposit(&d, &l));
	l.data_len = 64;
	l.n_topics = 2;
	CHECK(!cl_l1_decode_deposit(&d, &l));
	l.n_topics = 3;
	l.topics[0].b[31] ^= 1;
	CHECK(!cl_l1_decode_deposit(&d, &l));
	free(l.data);

	/* BatchAppended(index 4, ...) built by hand */
	static const char *const bt[] = {
	    "0x5ea32cbe07ba77c95ace7ad9956ca506f3fc0a8802adad492e74970daeed81a"
	    "2",
	    "0x000000000000000000000000000000000000000000000000000000000000000"
	    "4",
	};
	static const char *bd =
	    "0x1111111111111111111111111111111111111111111111111111111111111111"
	    "2222222222222222222222222222222222222222222222222222222222222222"
	    "3333333333333333333333333333333333333333333333333333333333333333"
	    "0000000000000000000000000000000000000000000000000000000000000001"
	    "0000000000000000000000000000000000000000000000000000000000000002"
	    "0000000000000000000000000000000000000000000000000000000000000065"
	    "00000000000000000000000000000000000000000000000000000000000000c8"
	    "000000000000000000000000000000000000000000000000000000006b045eac"
	    "000000000000000000000000000000000000000000000000000000006b045e00";
	fill_log(&l, bt, 2, bd);
	CHECK(cl_l1_decode_batch_appended(&be, &l));
	CHECK(be.index == 4 && be.prev_deposits_consumed == 1 &&
	      be.deposits_consumed == 2 && be.first_block == 101 &&
	      be.last_block == 200 && be.timestamp == 0x6b045eac &&
	      be.l1_timestamp == 0x6b045e00);
	CHECK(be.data_hash.b[0] == 0x11 && be.state_root.b[31] == 0x22 &&
	      be.withdrawal_root.b[5] == 0x33);
	CHECK(!cl_l1_decode_deposit(&d, &l));
	free(l.data);
}

/* The time rules of appendBatch (docs/l1.md), each to the second, as
 * the contract tests check them on anvil (contrib/l1/test). */
/* AssetDeposit(id 3, asset 2, to, 300, ts) as the assets contract logs it
 * (topic 0 as cast sig-event gives it); damaged forms fail. */
static void test_asset_deposit(void)
{
	static const char *const topics[] = {
	    "0x3711726b5d850e7e98d50d3f6844f10ba81ed1ef40e785771e70d370b9b3a1d"
	    "7",
	    "0x000000000000000000000000000000000000000000000000000000000000000"
	    "3",
	    "0x000000000000000000000000000000000000000000000000000000000000000"
	    "2",
	    "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c"
	    "8",
	};
	static const char *data =
	    "0x000000000000000000000000000000000000000000000000000000000000012c"
	    "000000000000000000000000000000000000000000000000000000006b045eac";
	struct cl_l1_log l;
	struct cl_l1_asset_deposit d;
	struct cl_l1_deposit dep;
	struct cl_tx tx;
	char addr[CL_ADDRESS_STR_LEN + 1];

	fill_log(&l, topics, 4, data);
	CHECK(cl_l1_decode_asset_deposit(&d, &l));
	CHECK(d.id == 3 && d.asset == 2 && d.amount == 300 &&
	      d.timestamp == 0x6b045eac && d.loc.block_number == 5);
	cl_address_format(addr, &d.to);
	CHECK(strcmp(addr, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8") == 0);
	cl_l1_asset_deposit_tx(&tx, &d);
	CHECK(tx.type == CL_TX_ASSET_DEPOSIT && tx.u.asset_deposit.id == 3 &&
	      tx.u.asset_deposit.asset == 2 &&
	      tx.u.asset_deposit.amount == 300 &&
	      cl_address_eq(&tx.u.asset_deposit.to, &d.to));
	CHECK(!cl_l1_decode_deposit(&dep, &l)); /* not a Deposit */

	l.topics[2].b[27] = 1; /* an asset above 2^32 − 1 */
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	CHECK(d.id == 0 && d.amount == 0);
	l.topics[2].b[27] = 0;
	l.topics[3].b[0] = 1; /* address word with high bits */
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	l.topics[3].b[0] = 0;
	l.data[0] = 1; /* amount above 2^64 − 1 */
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	l.data[0] = 0;
	l.data_len = 32;
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	l.data_len = 64;
	l.n_topics = 3;
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	l.n_topics = 4;
	l.topics[0].b[31] ^= 1;
	CHECK(!cl_l1_decode_asset_deposit(&d, &l));
	l.topics[0].b[31] ^= 1;
	CHECK(cl_l1_decode_asset_deposit(&d, &l));
	free(l.data);
}

static void test_append_rule(void)
{
	struct cl_l1_append_state st = {
	    .forced_inclusion_delay = 600,
	    .sequencing_window = 3600,
	    .last_discard_time = 0,
	    .prev_l1_timestamp = 1000,
	    .deposit_count = 3,
	    .deposit_timestamp = 5000, /* deposit 1: deadline 5600 */
	};
	char why[200];
#define RULE(c, l1, lo, hi)                                                \
	cl_l1_append_rule(why, sizeof(why), &st, (c), (l1), (lo), (hi))
	/* every deposit consumed: only the L1 time itself */
	CHECK(RULE(3, 1000, 9000, 9000) == CL_L1_REVERT_NONE);
	CHECK(RULE(3, 9000, 9000, 9000) == CL_L1_REVERT_NONE);
	CHECK(RULE(3, 9001, 9000, 9100) ==
	      CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE);
	CHECK_MSG(strcmp(why, "L1TimestampInFuture(l1Timestamp 9001, "
			      "blockTimestamp 9000)") == 0,
		  "%s", why);
	CHECK(RULE(3, 999, 9000, 9000) == CL_L1_REVERT_L1_TIMESTAMP_DECREASED);
	CHECK(strcmp(why, "L1TimestampDecreased(previous 1000, given 999)") ==
	      0);
	/* deposit 1 left unconsumed, not overdue up to its deadline */
	CHECK(RULE(1, 5200, 5500, 5600) == CL_L1_REVERT_NONE);
	CHECK(RULE(1, 5200, 5500, 5601) ==
	      CL_L1_REVERT_FORCED_INCLUSION_VIOLATED);
	CHECK(strcmp(why, "ForcedInclusionViolated(depositId 1, deadline "
			  "5600)") == 0);
	/* overdue: a last block that could not have seen it may go */
	CHECK(RULE(1, 4999, 5601, 5601) == CL_L1_REVERT_NONE);
	CHECK(RULE(1, 5000, 5601, 5601) ==
	      CL_L1_REVERT_FORCED_INCLUSION_VIOLATED);
	/* ... while it is at most sequencingWindow old */
	CHECK(RULE(1, 4999, 8599, 8599) == CL_L1_REVERT_NONE);
	CHECK(RULE(1, 4999, 8000, 8600) == CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD);
	CHECK_MSG(strcmp(why, "L1TimestampTooOld(depositId 1, l1Timestamp "
			      "4999, oldestAllowed 5000)") == 0,
		  "%s", why);
	/* a discard restarts the window, not the deposit's own time */
	st.last_discard_time = 7000;
	CHECK(RULE(1, 5000, 7600, 7600) == CL_L1_REVERT_NONE);
	CHECK(RULE(1, 5000, 7601, 7601) ==
	      CL_L1_REVERT_FORCED_INCLUSION_VIOLATED);
	CHECK(RULE(1, 4999, 7601, 7601) == CL_L1_REVERT_NONE);
	/* a window of 0 leaves only the old rule */
	st.sequencing_window = 0;
	CHECK(RULE(1, 4999, 7601, 7601) == CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD);
	/* no overflow near the top */
	st.deposit_timestamp = UINT64_MAX - 10;
	st.last_discard_time = 0;
	CHECK(RULE(1, 4999, UINT64_MAX, UINT64_MAX) == CL_L1_REVERT_NONE);
#undef RULE
}

static void test_floor(void)
{
	uint8_t d[10] = {0, 0, 1, 2, 3, 0, 0, 0, 0, 9};
	CHECK(cl_l1_calldata_floor(NULL, 0, false) == 21000);
	CHECK(cl_l1_calldata_floor(d, 10, false) == 21000 + 6 * 10 + 4 * 40);
	CHECK(cl_l1_calldata_floor(d, 10, true) == 53000 + 6 * 10 + 4 * 40);
}

static void make_file(struct cl_l1_sender_file *f)
{
	memset(f, 0, sizeof(*f));
	f->chain_id = 31337;
	memset(f->from.b, 0x42, 20);
	f->next_nonce = 12;
	f->next_id = 7;
	f->n = 2;
	f->txs = cl_xcalloc(2, sizeof(*f->txs));
	struct cl_l1_tx *t = &f->txs[0];
	t->id = 5;
	t->nonce = 10;
	t->state = CL_L1_TX_INCLUDED;
	t->has_to = true;
	memset(t->to.b, 0x77, 20);
	t->value[31] = 9;
	t->data_len = 300;
	t->data = cl_xmalloc(300);
	for (size_t i = 0; i < 300; i++)
		t->data[i] = (uint8_t)i;
	t->gas_limit = 100000;
	t->max_fee = 3000000000;
	t->priority_fee = 1000000000;
	t->n_hashes = 2;
	memset(t->hashes[0].b, 0xa1, 32);
	memset(t->hashes[1].b, 0xa2, 32);
	t->mined_hash = t->hashes[1];
	t->block_number = 77;
	memset(t->block_hash.b, 0xbb, 32);
	t->success = true;
	t->gas_used = 54321;
	t->effective_gas_price = 1500000000;
	t = &f->txs[1];
	t->id = 6;
	t->nonce = 11;
	t->state = CL_L1_TX_QUEUED;
	t->gas_limit = 21000;
}

static void test_state_file(void)
{
	char dir[] = "/tmp/cl-l1-codec-XXXXXX";
	struct cl_l1_sender_file f, g;
	char path[256], hex[41];

	CHECK(mkdtemp(dir) != NULL);
	make_file(&f);
	cl_hex_encode(hex, f.from.b, 20, false);
	snprintf(path, sizeof(path), "%s/l1-sender-0x%s.dat", dir, hex);

	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_ERR_NOT_FOUND);
	CHECK(cl_l1_sender_file_save(dir, &f) == CL_OK);
	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_OK);
	CHECK(g.chain_id == 31337 && g.next_nonce == 12 && g.next_id == 7);
	CHECK(g.n == 2);
	if (g.n == 2) {
		const struct cl_l1_tx *a = &f.txs[0], *b = &g.txs[0];
		CHECK(b->id == 5 && b->nonce == 10 &&
		      b->state == CL_L1_TX_INCLUDED && b->has_to);
		CHECK(cl_address_eq(&a->to, &b->to));
		CHECK(memcmp(a->value, b->value, 32) == 0);
		CHECK(b->data_len == 300 && memcmp(a->data, b->data, 300) == 0);
		CHECK(b->gas_limit == 100000 && b->max_fee == 3000000000 &&
		      b->priority_fee == 1000000000);
		CHECK(b->n_hashes == 2 &&
		      cl_hash32_eq(&a->hashes[1], &b->hashes[1]));
		CHECK(cl_hash32_eq(&a->mined_hash, &b->mined_hash));
		CHECK(b->block_number == 77 && b->success &&
		      b->gas_used == 54321 &&
		      b->effective_gas_price == 1500000000);
		CHECK(g.txs[1].id == 6 && g.txs[1].data_len == 0 &&
		      g.txs[1].state == CL_L1_TX_QUEUED);
	}
	cl_l1_sender_file_release(&g);

	/* another key's file is another file */
	struct cl_address other;
	memset(other.b, 0x43, 20);
	CHECK(cl_l1_sender_file_load(&g, dir, &other) == CL_ERR_NOT_FOUND);

	/* corruption: every single flipped byte is caught */
	struct stat st;
	CHECK(stat(path, &st) == 0);
	size_t size = (size_t)st.st_size;
	uint8_t *orig = cl_xmalloc(size);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, orig, size) == (ssize_t)size);
	close(fd);
	size_t bad = 0;
	for (size_t i = 0; i < size; i += 7) {
		orig[i] ^= 0x10;
		fd = open(path, O_WRONLY | O_TRUNC);
		CHECK(write(fd, orig, size) == (ssize_t)size);
		close(fd);
		orig[i] ^= 0x10;
		if (cl_l1_sender_file_load(&g, dir, &f.from) == CL_ERR_CORRUPT)
			bad++;
		cl_l1_sender_file_release(&g);
	}
	CHECK(bad == (size + 6) / 7);
	/* truncated, empty */
	CHECK(truncate(path, (off_t)size - 1) == 0);
	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_ERR_CORRUPT);
	CHECK(truncate(path, 0) == 0);
	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_ERR_CORRUPT);

	/* an internally inconsistent file (tx id >= next id) is refused
	 * even with a valid checksum */
	f.next_id = 6;
	CHECK(cl_l1_sender_file_save(dir, &f) == CL_OK);
	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_ERR_CORRUPT);
	f.next_id = 7;
	CHECK(cl_l1_sender_file_save(dir, &f) == CL_OK);
	CHECK(cl_l1_sender_file_load(&g, dir, &f.from) == CL_OK);
	cl_l1_sender_file_release(&g);

	/* no temporary files are left behind */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	CHECK(system(cmd) == 0);

	free(orig);
	cl_l1_sender_file_release(&f);
	unlink(path);
	rmdir(dir);
}

/* Revert data of appendBatch as text, one case per error it can raise,
 * and malformed data. */
static void test_revert(void)
{
	uint8_t d[4 + 64];
	char out[200];
	struct cl_buf b;

	cl_l1_selector(d, "ForcedInclusionViolated(uint64,uint256)");
	memset(d + 4, 0, 64);
	cl_put_be64(d + 4 + 24, 2);
	cl_put_be64(d + 36 + 24, 1700000600);
	CHECK(cl_l1_revert_describe(out, sizeof(out), d, sizeof(d)) ==
	      CL_L1_REVERT_FORCED_INCLUSION_VIOLATED);
	CHECK_MSG(strcmp(out, "ForcedInclusionViolated(depositId 2, "
			      "deadline 1700000600)") == 0,
		  "%s", out);
	/* a uint64 word with high bits set is not that error */
	d[4] = 1;
	CHECK(cl_l1_revert_describe(out, sizeof(out), d, sizeof(d)) ==
	      CL_L1_REVERT_OTHER);
	CHECK(strstr(out, "revert 0x") == out);
	/* a short one */
	CHECK(cl_l1_revert_describe(out, sizeof(out), d, 36) ==
	      CL_L1_REVERT_OTHER);

	static const struct {
		const char *sig;
		enum cl_l1_revert kind;
		unsigned words;
		const char *text;
	} cases[] = {
	    {"NotSequencer(address)", CL_L1_REVERT_NOT_SEQUENCER, 1,
	     "NotSequencer(caller 0x0000000000000000000000000000000000000007)"},
	    {"EmptyBatchData()", CL_L1_REVERT_EMPTY_BATCH_DATA, 0,
	     "EmptyBatchData()"},
	    {"NonContiguousBlocks(uint64,uint64)",
	     CL_L1_REVERT_NON_CONTIGUOUS_BLOCKS, 2,
	     "NonContiguousBlocks(expectedFirstBlock 7, firstBlock 8)"},
	    {"InvalidBlockRange(uint64,uint64)",
	     CL_L1_REVERT_INVALID_BLOCK_RANGE, 2,
	     "InvalidBlockRange(firstBlock 7, lastBlock 8)"},
	    {"DepositsConsumedDecreased(uint64,uint64)",
	     CL_L1_REVERT_DEPOSITS_CONSUMED_DECREASED, 2,
	     "DepositsConsumedDecreased(previous 7, given 8)"},
	    {"DepositsConsumedExceedDeposits(uint64,uint64)",
	     CL_L1_REVERT_DEPOSITS_CONSUMED_EXCEED_DEPOSITS, 2,
	     "DepositsConsumedExceedDeposits(given 7, depositCount 8)"},
	    {"L1TimestampInFuture(uint64,uint256)",
	     CL_L1_REVERT_L1_TIMESTAMP_IN_FUTURE, 2,
	     "L1TimestampInFuture(l1Timestamp 7, blockTimestamp 8)"},
	    {"L1TimestampDecreased(uint64,uint64)",
	     CL_L1_REVERT_L1_TIMESTAMP_DECREASED, 2,
	     "L1TimestampDecreased(previous 7, given 8)"},
	    {"L1TimestampTooOld(uint64,uint64,uint256)",
	     CL_L1_REVERT_L1_TIMESTAMP_TOO_OLD, 3,
	     "L1TimestampTooOld(depositId 7, l1Timestamp 8, oldestAllowed 9)"},
	};
	for (size_t i = 0; i < CL_ARRAY_LEN(cases); i++) {
		cl_buf_init(&b);
		uint8_t sel[4];
		cl_l1_selector(sel, cases[i].sig);
		cl_buf_append(&b, sel, 4);
		for (unsigned w = 0; w < cases[i].words; w++)
			cl_l1_abi_put_u64(&b, 7 + w);
		CHECK_MSG(cl_l1_revert_describe(out, sizeof(out), b.p, b.len) ==
			      cases[i].kind,
			  "%s", cases[i].sig);
		CHECK_MSG(strcmp(out, cases[i].text) == 0, "%s", out);
		cl_buf_release(&b);
	}
	/* Error(string) and no data */
	cl_buf_init(&b);
	static const uint8_t es[4] = {0x08, 0xc3, 0x79, 0xa0};
	cl_buf_append(&b, es, 4);
	cl_l1_abi_put_u64(&b, 32);
	cl_l1_abi_put_u64(&b, 5);
	uint8_t w[32] = "hello";
	cl_buf_append(&b, w, 32);
	CHECK(cl_l1_revert_describe(out, sizeof(out), b.p, b.len) ==
	      CL_L1_REVERT_OTHER);
	CHECK_MSG(strcmp(out, "Error(\"hello\")") == 0, "%s", out);
	/* a length past the data */
	b.p[4 + 63] = 200;
	(void)cl_l1_revert_describe(out, sizeof(out), b.p, b.len);
	CHECK(strstr(out, "revert 0x08c379a0") == out);
	cl_buf_release(&b);
	CHECK(cl_l1_revert_describe(out, sizeof(out), NULL, 0) ==
	      CL_L1_REVERT_NONE);
	/* truncation keeps a NUL */
	CHECK(cl_l1_revert_describe(out, 8, d, 36) == CL_L1_REVERT_OTHER);
	CHECK(strlen(out) == 7);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cl_log_min_level = CL_LOG_BROKEN;
	test_qty();
	test_selectors();
	test_append_rule();
	test_append_batch();
	test_claim();
	test_events();
	test_asset_deposit();
	test_floor();
	test_state_file();
	test_revert();
	return test_done("test_l1_codec");
}
