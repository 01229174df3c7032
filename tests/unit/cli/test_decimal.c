/* SPDX-License-Identifier: MIT */
/* Human decimals <-> integer units, and the price/size/amount checks. */
#include <clearline/cli.h>

#include "test.h"

static enum cl_dec_err parse(uint64_t *out, const char *s, unsigned d)
{
	return cl_dec_parse(out, s, strlen(s), d);
}

static void check_parse_ok(const char *s, unsigned d, uint64_t want)
{
	uint64_t v = 12345;
	enum cl_dec_err e = parse(&v, s, d);

	CHECK_MSG(e == CL_DEC_OK && v == want,
		  "parse(\"%s\", %u): err %d value %" PRIu64 " want %" PRIu64,
		  s, d, (int)e, v, want);
}

static void check_parse_err(const char *s, unsigned d, enum cl_dec_err want)
{
	uint64_t v = 12345;
	enum cl_dec_err e = parse(&v, s, d);

	CHECK_MSG(e == want && v == 0, "parse(\"%s\", %u): err %d want %d", s,
		  d, (int)e, (int)want);
}

static void check_fmt(uint64_t v, unsigned d, const char *want)
{
	char out[CL_DEC_STR_MAX];
	size_t n = cl_dec_format_u64(out, v, d);

	CHECK_MSG(strcmp(out, want) == 0 && n == strlen(want),
		  "format(%" PRIu64 ", %u) = %s want %s", v, d, out, want);
}

static void check_fmt_i(int64_t v, unsigned d, const char *want)
{
	char out[CL_DEC_STR_MAX];
	size_t n = cl_dec_format_i64(out, v, d);

	CHECK_MSG(strcmp(out, want) == 0 && n == strlen(want),
		  "format_i64(%" PRId64 ", %u) = %s want %s", v, d, out, want);
}

static void test_parse(void)
{
	check_parse_ok("65000.5", 6, 65000500000ULL);
	check_parse_ok("65000.5", 1, 650005);
	check_parse_ok("0.25", 8, 25000000);
	check_parse_ok("0.00000001", 8, 1);
	check_parse_ok("0", 6, 0);
	check_parse_ok("0.0", 6, 0);
	check_parse_ok("0", 0, 0);
	check_parse_ok("7", 0, 7);
	check_parse_ok("10", 2, 1000);
	check_parse_ok("1.50", 2, 150);
	/* the largest value, with every split between integer and fraction */
	check_parse_ok("18446744073709551615", 0, UINT64_MAX);
	check_parse_ok("18446744073709.551615", 6, UINT64_MAX);
	check_parse_ok("1.8446744073709551615", 19, UINT64_MAX);
	check_parse_ok("0.18446744073709551615", 20, UINT64_MAX);
	check_parse_ok("0.000000000018446744073709551615", 30, UINT64_MAX);
	check_parse_ok("1", 19, 10000000000000000000ULL);

	check_parse_err("18446744073709551616", 0, CL_DEC_OVERFLOW);
	check_parse_err("18446744073709.551616", 6, CL_DEC_OVERFLOW);
	check_parse_err("18446744073709.6", 6, CL_DEC_OVERFLOW);
	check_parse_err("2", 19, CL_DEC_OVERFLOW);
	check_parse_err("1", 20, CL_DEC_OVERFLOW);
	check_parse_err("99999999999999999999999999999", 0, CL_DEC_OVERFLOW);
	check_parse_err("1", 31, CL_DEC_BAD_DECIMALS);

	check_parse_err("65000.123", 2, CL_DEC_TOO_PRECISE);
	check_parse_err("1.500", 2, CL_DEC_TOO_PRECISE);
	check_parse_err("0.5", 0, CL_DEC_TOO_PRECISE);
	check_parse_err("0.000000001", 8, CL_DEC_TOO_PRECISE);

	check_parse_err("", 2, CL_DEC_EMPTY);
	check_parse_err("-1", 2, CL_DEC_NEGATIVE);
	check_parse_err("-0", 2, CL_DEC_NEGATIVE);
	check_parse_err("1.", 2, CL_DEC_SYNTAX);
	check_parse_err(".5", 2, CL_DEC_SYNTAX);
	check_parse_err(".", 2, CL_DEC_SYNTAX);
	check_parse_err("1e5", 2, CL_DEC_SYNTAX);
	check_parse_err("1E5", 2, CL_DEC_SYNTAX);
	check_parse_err("+1", 2, CL_DEC_SYNTAX);
	check_parse_err(" 1", 2, CL_DEC_SYNTAX);
	check_parse_err("1 ", 2, CL_DEC_SYNTAX);
	check_parse_err("1 000", 2, CL_DEC_SYNTAX);
	check_parse_err("1,5", 2, CL_DEC_SYNTAX);
	check_parse_err("1_000", 2, CL_DEC_SYNTAX);
	check_parse_err("1.2.3", 2, CL_DEC_SYNTAX);
	check_parse_err("0x10", 2, CL_DEC_SYNTAX);
	check_parse_err("inf", 2, CL_DEC_SYNTAX);
	check_parse_err("nan", 2, CL_DEC_SYNTAX);
	check_parse_err("01", 2, CL_DEC_LEADING_ZERO);
	check_parse_err("00.5", 2, CL_DEC_LEADING_ZERO);
	check_parse_err("00", 2, CL_DEC_LEADING_ZERO);

	/* a NUL inside the counted length is not a digit */
	uint64_t v;
	CHECK(cl_dec_parse(&v,
			   "1\0"
			   "5",
			   3, 2) == CL_DEC_SYNTAX);
	/* only len characters are read */
	CHECK(cl_dec_parse(&v, "12.345", 4, 1) == CL_DEC_OK && v == 123);

	for (int e = CL_DEC_OK; e <= CL_DEC_BAD_DECIMALS; e++)
		CHECK(strcmp(cl_dec_err_str((enum cl_dec_err)e), "unknown") !=
		      0);
}

static void test_format(void)
{
	check_fmt(0, 0, "0");
	check_fmt(0, 6, "0");
	check_fmt(1, 8, "0.00000001");
	check_fmt(25000000, 8, "0.25");
	check_fmt(65000500000ULL, 6, "65000.5");
	check_fmt(100, 2, "1");
	check_fmt(105, 2, "1.05");
	check_fmt(1000, 0, "1000");
	check_fmt(UINT64_MAX, 0, "18446744073709551615");
	check_fmt(UINT64_MAX, 6, "18446744073709.551615");
	check_fmt(UINT64_MAX, 20, "0.18446744073709551615");
	check_fmt(UINT64_MAX, 30, "0.000000000018446744073709551615");
	check_fmt(10000000000000000000ULL, 19, "1");
	check_fmt_i(0, 2, "0");
	check_fmt_i(-5, 2, "-0.05");
	check_fmt_i(-1234500, 6, "-1.2345");
	check_fmt_i(INT64_MIN, 0, "-9223372036854775808");
	check_fmt_i(INT64_MIN, 6, "-9223372036854.775808");
	check_fmt_i(INT64_MAX, 18, "9.223372036854775807");
}

/* parse(format(x)) == x for random values and decimals */
static void test_roundtrip(void)
{
	test_seed();
	for (int i = 0; i < 20000; i++) {
		uint64_t v = test_rand(), back;
		unsigned d =
		    (unsigned)(test_rand() % (CL_DEC_MAX_DECIMALS + 1));
		char s[CL_DEC_STR_MAX];

		if (i & 1)
			v >>= test_rand() % 64;
		cl_dec_format_u64(s, v, d);
		CHECK_MSG(cl_dec_parse(&back, s, strlen(s), d) == CL_DEC_OK &&
			      back == v,
			  "roundtrip %" PRIu64 " d=%u via %s", v, d, s);
	}
}

static const struct cl_cli_market btc = {
	.id = 1,
	.symbol = "BTC-PERP",
	.price_decimals = 2,
	.size_decimals = 4,
	.tick_size = 50,	       /* 0.5 */
	.step_size = 10,	       /* 0.001 */
	.max_order_size = 1000000, /* 100 */
};

static void test_price_size(void)
{
	char err[CL_CLI_ERR_MAX];
	uint64_t v;

	CHECK(cl_cli_parse_price(&v, err, sizeof(err), &btc, "65000.5") &&
	      v == 6500050);
	CHECK(cl_cli_parse_price(&v, err, sizeof(err), &btc, "65000") &&
	      v == 6500000);
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc, "65000.25") &&
	      v == 0);
	CHECK_MSG(strstr(err, "tick size 0.5") != NULL, "%s", err);
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc, "65000.125"));
	CHECK_MSG(strstr(err, "at most 2 decimal places") != NULL, "%s", err);
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc, "0"));
	CHECK_MSG(strstr(err, "positive") != NULL, "%s", err);
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc, "0.00"));
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc, "-1"));
	CHECK_MSG(strstr(err, "negative") != NULL, "%s", err);
	CHECK(!cl_cli_parse_price(&v, err, sizeof(err), &btc,
				  "184467440737095516.16"));
	CHECK_MSG(strstr(err, "too large") != NULL, "%s", err);

	CHECK(cl_cli_parse_size(&v, err, sizeof(err), &btc, "0.25") &&
	      v == 2500);
	CHECK(cl_cli_parse_size(&v, err, sizeof(err), &btc, "100") &&
	      v == 1000000);
	CHECK(!cl_cli_parse_size(&v, err, sizeof(err), &btc, "100.001"));
	CHECK_MSG(strstr(err, "maximum order size 100") != NULL, "%s", err);
	CHECK(!cl_cli_parse_size(&v, err, sizeof(err), &btc, "0.0015"));
	CHECK_MSG(strstr(err, "step size 0.001") != NULL, "%s", err);
	CHECK(!cl_cli_parse_size(&v, err, sizeof(err), &btc, "0.00001"));
	CHECK(!cl_cli_parse_size(&v, err, sizeof(err), &btc, "1e2"));

	CHECK(cl_cli_parse_amount(&v, err, sizeof(err), 6, "12.5") &&
	      v == 12500000);
	CHECK(!cl_cli_parse_amount(&v, err, sizeof(err), 6, "0.0000001"));
	CHECK(!cl_cli_parse_amount(&v, err, sizeof(err), 6, "0"));
}

int main(int argc, char **argv)
{
	test_parse();
	test_format();
	test_roundtrip();
	test_price_size();
	return test_done("test_decimal");
}
