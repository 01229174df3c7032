/* SPDX-License-Identifier: MIT */
/*
 * Rendering: what each reading command sends and how it shows a given
 * result, the table and value formatters, and the l2_getConfig reader.
 */
#include "cli_util.h"

/* Run against a node that answers l2_getConfig and `method` with
 * `result`; check the last request and the whole output. */
static void expect_render(int line, const char *method, const char *result,
			  const char *want_req, const char *want_out,
			  const char *first, ...)
{
	struct fake_node f;
	struct run_out r;
	va_list ap;

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_answer(&f, method, result);
	va_start(ap, first);
	r = run_cli_v(&f, NULL, first, ap);
	va_end(ap);
	CHECK_MSG(r.rc == 0, "line %d: rc %d: %s", line, r.rc, r.err);
	CHECK_MSG(f.nrequests > 0 &&
		      strcmp(f.requests[f.nrequests - 1], want_req) == 0,
		  "line %d: request %s", line,
		  f.nrequests ? f.requests[f.nrequests - 1] : "-");
	CHECK_MSG(strcmp(r.out, want_out) == 0,
		  "line %d: output:\n%s\nwanted:\n%s", line, r.out, want_out);
	run_release(&r);
	fake_release(&f);
}

#define ACCOUNT_RESULT                                                     \
	"{\"address\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","     \
	"\"collateral\":\"10000000000\",\"equity\":\"10012345678\","       \
	"\"initialMargin\":\"650005000\",\"maintenanceMargin\":"           \
	"\"325002500\",\"freeCollateral\":\"9362340678\",\"nonce\":\"3\"," \
	"\"positions\":[{\"market\":1,\"size\":\"10000000\",\"side\":"     \
	"\"long\",\"entryPrice\":\"65000500000\",\"unrealizedPnl\":"       \
	"\"12345678\",\"liquidationPrice\":\"40000000000\"},"              \
	"{\"market\":2,\"size\":\"-25000\",\"side\":\"short\","            \
	"\"entryPrice\":\"300050\",\"unrealizedPnl\":\"-2500000\","        \
	"\"liquidationPrice\":null}],"                                     \
	"\"openOrders\":[{\"orderHash\":\"0xabcd\",\"market\":2,"          \
	"\"isBuy\":true,\"price\":\"290000\",\"size\":\"10000\","          \
	"\"filledSize\":\"0\"}]}"

static void test_account(void)
{
	const char *want =
	    "address             0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n"
	    "collateral          10000\n"
	    "equity              10012.345678\n"
	    "initial margin      650.005\n"
	    "maintenance margin  325.0025\n"
	    "free collateral     9362.340678\n"
	    "nonce               3\n"
	    "\n"
	    "positions\n"
	    "market    side   size  entry price  unrealized pnl  "
	    "liq. price\n"
	    "BTC-PERP  long    0.1      65000.5       12.345678       "
	    "40000\n"
	    "ETH-PERP  short   2.5       3000.5            -2.5           "
	    "-\n"
	    "\n"
	    "open orders\n"
	    "order hash  market    side  price  size  filled\n"
	    "0xabcd      ETH-PERP  buy    2900     1       0\n";

	expect_render(__LINE__, "l2_getAccount", ACCOUNT_RESULT,
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getAccount\",\"params\":[\"" DEV_ADDR "\"]}",
		      want, "account",
		      "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", NULL);
	/* the selected key's account, as JSON: the result unchanged */
	expect_render(__LINE__, "l2_getAccount", "{\"nonce\":\"3\"}",
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"l2_getAccount\",\"params\":[\"" DEV_ADDR "\"]}",
		      "{\"nonce\":\"3\"}\n", "--json", "account", "--key-env",
		      "CL_TEST_KEY", NULL);
	/* an account holding a collateral asset: its table comes before the
	 * positions (values in the settlement token, the balance in the
	 * asset's decimals: 10 tETH of 9) */
	expect_render(__LINE__, "l2_getAccount",
		      "{\"address\":\"" DEV_ADDR "\",\"collateral\":\"-540000000\","
		      "\"nonce\":\"0\",\"collateralAssets\":[{\"asset\":1,"
		      "\"symbol\":\"tETH\",\"decimals\":9,"
		      "\"balance\":\"10000000000\","
		      "\"indexPrice\":\"300000\",\"grossValue\":\"30000000000\","
		      "\"haircutValue\":\"27000000000\",\"haircutExtraPpm\":0,"
		      "\"bookDepth\":\"149500000000\"}],"
		      "\"positions\":[],\"openOrders\":[]}",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getAccount\",\"params\":[\"" DEV_ADDR "\"]}",
		      "address             " DEV_ADDR "\n"
		      "collateral          -540\n"
		      "equity              -\n"
		      "initial margin      -\n"
		      "maintenance margin  -\n"
		      "free collateral     -\n"
		      "nonce               0\n"
		      "\ncollateral assets\n"
		      "asset  balance  value  haircut value  "
		      "extra haircut ppm\n"
		      "tETH        10  30000          27000  "
		      "                0\n"
		      "\npositions\n  (none)\n"
		      "\nopen orders\n  (none)\n",
		      "account", "--key-env", "CL_TEST_KEY", NULL);
	/* an empty account */
	expect_render(__LINE__, "l2_getAccount",
		      "{\"address\":\"" DEV_ADDR "\",\"collateral\":\"0\","
		      "\"nonce\":\"0\",\"positions\":[],\"openOrders\":[]}",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getAccount\",\"params\":[\"" DEV_ADDR "\"]}",
		      "address             " DEV_ADDR "\n"
		      "collateral          0\n"
		      "equity              -\n"
		      "initial margin      -\n"
		      "maintenance margin  -\n"
		      "free collateral     -\n"
		      "nonce               0\n"
		      "\npositions\n  (none)\n"
		      "\nopen orders\n  (none)\n",
		      "account", "--key-env", "CL_TEST_KEY", NULL);
}

static void test_book(void)
{
	expect_render(__LINE__, "l2_getOrderBook",
		      "{\"bids\":[[\"64999500000\",\"25000000\"],"
		      "[\"64990000000\",\"300000000\"]],"
		      "\"asks\":[[\"65000500000\",\"1000\"]]}",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getOrderBook\",\"params\":[1,5]}",
		      "BTC-PERP (market 1)\n"
		      "bid size  bid price  ask price  ask size\n"
		      "    0.25    64999.5    65000.5   0.00001\n"
		      "       3      64990\n",
		      "book", "btc-perp", "--depth", "5", NULL);
	expect_render(__LINE__, "l2_getOrderBook", "{\"bids\":[],\"asks\":[]}",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getOrderBook\",\"params\":[2,10]}",
		      "ETH-PERP (market 2)\n(empty book)\n", "book", "2", NULL);
	expect_render(__LINE__, "l2_getOrderBook", "{\"bids\":[],\"asks\":[]}",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getOrderBook\",\"params\":[2,10]}",
		      "{\"bids\":[],\"asks\":[]}\n", "--json", "book",
		      "ETH-PERP", NULL);
}

static void test_markets_status(void)
{
	expect_render(__LINE__, "l2_getMarkets",
		      "[{\"market\":1,\"markPrice\":\"65000000000\","
		      "\"indexPrice\":\"65001000000\",\"oraclePrice\":"
		      "\"65002000000\",\"fundingRate\":\"-12\","
		      "\"openInterest\":\"150000000\"}]",
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"l2_getMarkets\",\"params\":[]}",
		      "id  symbol     mark  index  oracle  funding rate  "
		      "open interest  tick     step\n"
		      " 1  BTC-PERP  65000  65001   65002           -12  "
		      "          1.5   0.5  0.00001\n"
		      " 2  ETH-PERP      -      -       -             -  "
		      "            -  0.05    0.001\n",
		      "markets", NULL);
	expect_render(__LINE__, "l2_syncStatus",
		      "{\"headBlock\":\"120\",\"headStateRoot\":\"0xab\","
		      "\"postedBatch\":\"7\",\"finalizedBatch\":\"5\","
		      "\"l1Head\":\"900\"}",
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"l2_syncStatus\",\"params\":[]}",
		      "head block          120\n"
		      "head state root     0xab\n"
		      "posted batch        7\n"
		      "finalized batch     5\n"
		      "l1 head             900\n",
		      "status", NULL);
}

static void test_order_status_proof(void)
{
	expect_render(
	    __LINE__, "l2_getOrder",
	    "{\"order\":{\"trader\":\"" DEV_ADDR "\",\"market\":1,"
	    "\"isBuy\":false,\"price\":\"65000500000\",\"size\":"
	    "\"150000000\",\"nonce\":\"1\",\"expiry\":\"1893456000\","
	    "\"flags\":4},\"filledSize\":\"50000000\",\"status\":"
	    "\"open\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"l2_getOrder\","
	    "\"params\":[\"0x1111111111111111111111111111111111111111"
	    "111111111111111111111111\"]}",
	    "order hash          0x1111111111111111111111111111111111"
	    "111111111111111111111111111111\n"
	    "status              open\n"
	    "trader              " DEV_ADDR "\n"
	    "market              BTC-PERP\n"
	    "side                sell\n"
	    "price               65000.5\n"
	    "size                1.5\n"
	    "filled size         0.5\n"
	    "expiry              2030-01-01 00:00:00 UTC\n"
	    "flags               4\n",
	    "order-status",
	    "0x1111111111111111111111111111111111111111111111111111111"
	    "111111111",
	    NULL);
	expect_render(__LINE__, "l2_getWithdrawalProof",
		      "{\"status\":\"final\",\"batch\":\"12\",\"tx\":{\"to\":"
		      "\"0x5fbdb2315678afecb367f032d93f642f64180aa3\","
		      "\"data\":\"0xdeadbeef\"}}",
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"l2_getWithdrawalProof\",\"params\":[\"17\"]}",
		      "withdrawal id       17\n"
		      "status              final\n"
		      "batch               12\n"
		      "claim tx to         0x5FbDB2315678afecb367f032d93F642f64"
		      "180aa3\n"
		      "claim tx data       0xdeadbeef\n",
		      "withdrawal-proof", "17", NULL);
	expect_render(__LINE__, "l2_getWithdrawalProof",
		      "{\"status\":\"pending\",\"batch\":null,\"tx\":null}",
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		      "\"l2_getWithdrawalProof\",\"params\":[\"3\"]}",
		      "withdrawal id       3\n"
		      "status              pending\n"
		      "batch               -\n",
		      "withdrawal-proof", "3", NULL);
}

/* A node answering nonsense: exit 1 with a message, nothing on stdout. */
static void test_bad_answers(void)
{
	struct fake_node f;
	struct run_out r;

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", "{\"l1ChainId\":\"x\"}");
	r = run_cli(&f, "markets", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED &&
	      strstr(r.err, "l2_getConfig: unusable answer: l1ChainId"));
	CHECK(r.outlen == 0);
	run_release(&r);
	fake_release(&f);

	/* control characters from the node do not reach the terminal */
	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_syncStatus", "{\"headBlock\":\"1\\u001b[2J\"}");
	fake_error(&f, "l2_getMarkets",
		   "{\"code\":1,\"message\":\"bad\\u001b[31m\"}");
	r = run_cli(&f, "status", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "1?[2J") && !strchr(r.out, 0x1b));
	run_release(&r);
	r = run_cli(&f, "--json", "markets", NULL);
	CHECK(r.rc == 1 && strstr(r.err, "bad?[31m (code 1)"));
	run_release(&r);
	fake_release(&f);
}

static void test_formatters(void)
{
	static const char *const head[] = {"name", "qty", "note"};
	struct cl_cli_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cl_cli_table_init(&t, 3, head, 0x2);
	cl_cli_table_add(&t, "a", "1.5", "x");
	cl_cli_table_add(&t, "long name", "12345", NULL);
	cl_cli_table_print(&t, f);
	cl_cli_table_release(&t);
	fclose(f);
	CHECK_MSG(strcmp(buf, "name         qty  note\n"
			      "a            1.5  x\n"
			      "long name  12345  -\n") == 0,
		  "%s", buf);
	free(buf);

	char out[CL_DEC_STR_MAX];
	json_t *v = json_string("-1234500");
	cl_cli_fmt_units(out, v, 6);
	CHECK(strcmp(out, "-1.2345") == 0);
	json_decref(v);
	v = json_integer(150);
	cl_cli_fmt_units(out, v, 2);
	CHECK(strcmp(out, "1.5") == 0);
	json_decref(v);
	v = json_string("18446744073709551615");
	cl_cli_fmt_units(out, v, 0);
	CHECK(strcmp(out, "18446744073709551615") == 0);
	json_decref(v);
	v = json_string("1.5");
	cl_cli_fmt_units(out, v, 2);
	CHECK_MSG(strcmp(out, "1.5 (?)") == 0, "%s", out);
	json_decref(v);
	cl_cli_fmt_units(out, NULL, 2);
	CHECK(strcmp(out, "-") == 0);

	char a[CL_ADDRESS_STR_LEN + 2];
	v = json_string("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
	cl_cli_fmt_address(a, v);
	CHECK(strcmp(a, DEV_ADDR) == 0);
	json_decref(v);
	v = json_string("0x12");
	cl_cli_fmt_address(a, v);
	CHECK(strcmp(a, "?0x12") == 0);
	json_decref(v);
}

static void test_config_parse(void)
{
	struct cl_cli_config cfg;
	char err[256];
	json_t *j = json_loads(TEST_CONFIG, 0, NULL);

	CHECK(cl_cli_config_parse(&cfg, err, sizeof(err), j));
	CHECK(cfg.n_markets == 2 && cfg.collateral_decimals == 6 &&
	      cfg.l1_chain_id == 31337 && cfg.domain.chain_id == 31337);
	CHECK(cl_cli_market_find(&cfg, "eth-perp") == &cfg.markets[1]);
	CHECK(cl_cli_market_find(&cfg, "2") == &cfg.markets[1]);
	CHECK(cl_cli_market_find(&cfg, "02") == NULL);
	CHECK(cl_cli_market_find(&cfg, "SOL") == NULL);
	CHECK(cfg.markets[0].maker_fee_ppm == -100 &&
	      cfg.markets[0].max_order_size == 100000000000ULL &&
	      cfg.markets[1].max_order_size == 0);
	CHECK(cfg.n_assets == 0); /* a node from before collateral assets */
	cl_cli_config_release(&cfg);

	/* collateral assets: found by symbol (any case) or id */
	{
		json_t *c = json_deep_copy(j);
		json_object_set_new(
		    c, "assets",
		    json_loads("[{\"id\":1,\"symbol\":\"tETH\",\"token\":"
			       "\"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512\","
			       "\"decimals\":9,\"oracleMarket\":2,"
			       "\"hedgeMarket\":2},{\"id\":2,\"symbol\":"
			       "\"tBTC\",\"token\":\"0x9fE46736679d2D9a65F0"
			       "992F2272dE9f3c7fa6e0\",\"decimals\":8,"
			       "\"oracleMarket\":1,\"hedgeMarket\":1}]",
			       0, NULL));
		CHECK(cl_cli_config_parse(&cfg, err, sizeof(err), c));
		CHECK(cfg.n_assets == 2 && cfg.assets[0].decimals == 9 &&
		      cfg.assets[1].id == 2);
		CHECK(cl_cli_asset_find(&cfg, "teth") == &cfg.assets[0]);
		CHECK(cl_cli_asset_find(&cfg, "2") == &cfg.assets[1]);
		CHECK(cl_cli_asset_find(&cfg, "3") == NULL);
		CHECK(cl_cli_asset_find(&cfg, "ETH-PERP") == NULL);
		cl_cli_config_release(&cfg);
		json_decref(c);
	}

	/* each broken field is named */
	static const struct {
		const char *path, *value, *needle;
	} bad[] = {
	    {"domain",
	     "{\"name\":\"Clearline\",\"version\":\"2\","
	     "\"chainId\":1,\"verifyingContract\":\"0x5FbDB2315"
	     "678afecb367f032d93F642f64180aa3\"}",
	     "domain.version"},
	    {"collateralDecimals", "31", "collateralDecimals"},
	    {"rollup", "\"0x5FbDB2315678afecb367f032d93F642f64180aA3\"",
	     "rollup"},
	    {"markets",
	     "[{\"id\":1,\"symbol\":\"A\",\"priceDecimals\":2,"
	     "\"sizeDecimals\":2,\"tickSize\":\"0\","
	     "\"stepSize\":\"1\"}]",
	     "markets[0].tickSize and stepSize must be nonzero"},
	    {"markets",
	     "[{\"id\":1,\"symbol\":\"A\",\"priceDecimals\":2,"
	     "\"sizeDecimals\":2,\"tickSize\":\"1\","
	     "\"stepSize\":\"1\"},{\"id\":1,\"symbol\":\"B\","
	     "\"priceDecimals\":2,\"sizeDecimals\":2,"
	     "\"tickSize\":\"1\",\"stepSize\":\"1\"}]",
	     "markets[1]: duplicate"},
	    {"markets",
	     "[{\"id\":1,\"symbol\":\"A\",\"priceDecimals\":"
	     "\"x\",\"sizeDecimals\":2,\"tickSize\":\"1\","
	     "\"stepSize\":\"1\"}]",
	     "markets[0].priceDecimals"},
	    {"markets", "{}", "markets: missing"},
	    {"assets", "{}", "assets: not an array"},
	    {"assets",
	     "[{\"id\":1,\"symbol\":\"A\",\"token\":\"0x5FbDB2315678afecb"
	     "367f032d93F642f64180aa3\",\"decimals\":9},{\"id\":1,"
	     "\"symbol\":\"B\",\"token\":\"0x5FbDB2315678afecb367f032d93F"
	     "642f64180aa3\",\"decimals\":9}]",
	     "assets[1]: duplicate"},
	    {"assets",
	     "[{\"id\":1,\"symbol\":\"A\",\"token\":\"0x5FbDB2315678afecb"
	     "367f032d93F642f64180aa3\",\"decimals\":40}]",
	     "assets[0].decimals"},
	};
	for (size_t i = 0; i < CL_ARRAY_LEN(bad); i++) {
		json_t *c = json_deep_copy(j);

		json_object_set_new(
		    c, bad[i].path,
		    json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		CHECK_MSG(!cl_cli_config_parse(&cfg, err, sizeof(err), c) &&
			      strstr(err, bad[i].needle) && cfg.markets == NULL,
			  "case %zu: %s", i, err);
		json_decref(c);
	}
	json_decref(j);
}

int main(int argc, char **argv)
{
	CHECK(cl_crypto_init() == CL_OK);
	setenv("CL_TEST_KEY", DEV_KEY, 1);
	test_account();
	test_book();
	test_markets_status();
	test_order_status_proof();
	test_bad_answers();
	test_formatters();
	test_config_parse();
	return test_done("test_render");
}
