/* SPDX-License-Identifier: MIT */
#include "test.h"

static void check_u64_text(const char *s, bool ok, uint64_t want)
{
	uint64_t v = 77;
	bool got = cl_parse_u64(&v, s, strlen(s));
	CHECK_MSG(got == ok && v == (ok ? want : 0), "parse \"%s\"", s);
}

static void check_i64_text(const char *s, bool ok, int64_t want)
{
	int64_t v = 77;
	bool got = cl_parse_i64(&v, s, strlen(s));
	CHECK_MSG(got == ok && v == (ok ? want : 0), "parse \"%s\"", s);
}

/* Reference floor/ceil through exact __int128 arithmetic. */
static __int128 ref_floor(__int128 n, __int128 d)
{
	__int128 q = n / d;
	return (n % d != 0 && ((n < 0) != (d < 0))) ? q - 1 : q;
}

int main(void)
{
	uint64_t u;
	int64_t s;

	CHECK(cl_add_u64(&u, UINT64_MAX - 1, 1) && u == UINT64_MAX);
	CHECK(!cl_add_u64(&u, UINT64_MAX, 1) && u == 0);
	CHECK(!cl_sub_u64(&u, 1, 2) && u == 0);
	CHECK(!cl_mul_u64(&u, 1ULL << 32, 1ULL << 32));
	CHECK(!cl_add_i64(&s, INT64_MAX, 1) && s == 0);
	CHECK(!cl_sub_i64(&s, INT64_MIN, 1));
	CHECK(!cl_mul_i64(&s, INT64_MIN, -1));
	CHECK(!cl_neg_i64(&s, INT64_MIN));
	CHECK(cl_neg_i64(&s, INT64_MAX) && s == -INT64_MAX);

	/* rounding direction, including negatives */
	CHECK(cl_muldiv_i64_down(&s, 7, 1, 2) && s == 3);
	CHECK(cl_muldiv_i64_up(&s, 7, 1, 2) && s == 4);
	CHECK(cl_muldiv_i64_down(&s, -7, 1, 2) && s == -4);
	CHECK(cl_muldiv_i64_up(&s, -7, 1, 2) && s == -3);
	CHECK(cl_muldiv_i64_down(&s, 7, 1, -2) && s == -4);
	CHECK(cl_muldiv_i64_up(&s, -6, 1, 2) && s == -3);
	CHECK(cl_div_i64_down(&s, -1, 3) && s == -1);
	CHECK(cl_div_i64_up(&s, -1, 3) && s == 0);
	CHECK(cl_div_i64_up(&s, 1, 3) && s == 1);
	CHECK(!cl_div_i64_down(&s, 1, 0));
	CHECK(!cl_div_i64_down(&s, INT64_MIN, -1)); /* 2^63 does not fit */
	CHECK(cl_muldiv_u64_up(&u, 10, 3, 4) && u == 8);
	CHECK(cl_muldiv_u64_down(&u, 10, 3, 4) && u == 7);
	CHECK(!cl_muldiv_u64_down(&u, 1, 1, 0));
	/* the product may exceed 64 bits as long as the quotient fits */
	CHECK(cl_muldiv_u64_down(&u, UINT64_MAX, UINT64_MAX, UINT64_MAX) &&
	      u == UINT64_MAX);
	CHECK(!cl_muldiv_u64_down(&u, UINT64_MAX, 2, 1));
	CHECK(cl_muldiv_i64_down(&s, INT64_MAX, INT64_MAX, INT64_MAX) &&
	      s == INT64_MAX);

	/* seeded: floor/ceil match the exact reference */
	test_seed();
	for (int i = 0; i < 200000; i++) {
		int64_t a = (int64_t)test_rand() >> (test_rand() % 64);
		int64_t b = (int64_t)test_rand() >> (test_rand() % 64);
		int64_t d = (int64_t)test_rand() >> (test_rand() % 64);
		if (d == 0)
			d = 1;
		__int128 f = ref_floor((__int128)a * b, d);
		bool fits = f >= INT64_MIN && f <= INT64_MAX;
		CHECK(cl_muldiv_i64_down(&s, a, b, d) == fits);
		if (fits)
			CHECK(s == (int64_t)f);
		__int128 c = -ref_floor(-(__int128)a * b, d);
		fits = c >= INT64_MIN && c <= INT64_MAX;
		CHECK(cl_muldiv_i64_up(&s, a, b, d) == fits);
		if (fits)
			CHECK(s == (int64_t)c);
	}

	/* notional: 65000.5 USD/BTC (price dec 2) * 1.5 BTC (size dec 8),
	 * collateral 6 decimals: exp = 6 - 2 - 8 = -4 */
	struct cl_amount n;
	struct cl_price p = {6500050};
	struct cl_size sz = {150000000};
	CHECK(cl_notional_down(&n, p, sz, -4) && n.atoms == 97500750000LL);
	CHECK(cl_notional_up(&n, p, sz, -4) && n.atoms == 97500750000LL);
	struct cl_size odd = {3};
	CHECK(cl_notional_down(&n, p, odd, -4) && n.atoms == 1950);
	CHECK(cl_notional_up(&n, p, odd, -4) && n.atoms == 1951);
	CHECK(cl_notional_down(&n, (struct cl_price){3}, (struct cl_size){7}, 2) &&
	      n.atoms == 2100);
	CHECK(!cl_notional_down(&n, (struct cl_price){UINT64_MAX},
				(struct cl_size){UINT64_MAX}, 0));
	CHECK(!cl_notional_down(&n, (struct cl_price){1}, (struct cl_size){1}, 19));
	CHECK(cl_notional_down(&n, (struct cl_price){1}, (struct cl_size){1}, 18) &&
	      n.atoms == 1000000000000000000LL);
	CHECK(cl_notional_down(&n, (struct cl_price){UINT64_MAX},
			       (struct cl_size){UINT64_MAX}, -38) &&
	      n.atoms == 3);
	CHECK(!cl_notional_up(&n, p, sz, 39));
	CHECK(cl_pow10_u64(&u, 19) && u == 10000000000000000000ULL);
	CHECK(!cl_pow10_u64(&u, 20));

	/* strict decimal text */
	check_u64_text("0", true, 0);
	check_u64_text("18446744073709551615", true, UINT64_MAX);
	check_u64_text("18446744073709551616", false, 0);
	check_u64_text("00", false, 0);
	check_u64_text("01", false, 0);
	check_u64_text("", false, 0);
	check_u64_text("+1", false, 0);
	check_u64_text("-1", false, 0);
	check_u64_text("1 ", false, 0);
	check_u64_text("1e3", false, 0);
	check_u64_text("0x10", false, 0);
	check_i64_text("-9223372036854775808", true, INT64_MIN);
	check_i64_text("9223372036854775807", true, INT64_MAX);
	check_i64_text("9223372036854775808", false, 0);
	check_i64_text("-9223372036854775809", false, 0);
	check_i64_text("-0", false, 0);
	check_i64_text("-", false, 0);

	/* parse(format(x)) == x */
	char buf[21];
	for (int i = 0; i < 100000; i++) {
		uint64_t x = test_rand() >> (test_rand() % 64);
		size_t len = cl_fmt_u64(buf, x);
		CHECK(cl_parse_u64(&u, buf, len) && u == x);
		int64_t y = (int64_t)test_rand() >> (test_rand() % 64);
		len = cl_fmt_i64(buf, y);
		CHECK(cl_parse_i64(&s, buf, len) && s == y);
	}
	CHECK(cl_fmt_i64(buf, INT64_MIN) == 20 &&
	      strcmp(buf, "-9223372036854775808") == 0);
	/* uint256 decimals */
	uint8_t w[32];
	CHECK(cl_parse_u256_be(w, "1000000000000000000", 19));
	CHECK_HEX(w, 32, "0x0000000000000000000000000000000000000000000000000de0b6b3a7640000");
	const char *max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
	CHECK(cl_parse_u256_be(w, max, strlen(max)));
	CHECK(w[0] == 0xff && w[31] == 0xff);
	const char *over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
	CHECK(!cl_parse_u256_be(w, over, strlen(over)) && w[0] == 0);
	CHECK(!cl_parse_u256_be(w, "01", 2));
	CHECK(!cl_parse_u256_be(w, "", 0));
	CHECK(!cl_parse_u256_be(w, "12x", 3));
	CHECK(cl_parse_u256_be(w, "0", 1) && w[31] == 0);
	return test_done("num");
}
