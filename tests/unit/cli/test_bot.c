/* SPDX-License-Identifier: MIT */
/*
 * The demo-traffic commands against a fake node: `oracle-feed` signs one
 * update per market and tick with the given oracle keys (signatures that
 * recover to the signers, prices on the tick grid within 10 % of the
 * start, the same walk for the same seed); `bot maker` quotes post-only
 * on both sides of the mark, keeps quotes that are still wanted and
 * cancels the others; `bot taker` sends a crossing IOC order; usage
 * errors exit 2 before any request.
 */
#include "cli_util.h"

/* Like the devnet genesis: three markets, anvil keys 7, 8, 9 sign, quorum
 * 2. */
#define BOT_CONFIG                                                            \
	"{\"l1ChainId\":31337,"                                               \
	"\"rollup\":\"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512\","          \
	"\"collateralToken\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\"," \
	"\"collateralDecimals\":6,"                                           \
	"\"domain\":{\"name\":\"Clearline\",\"version\":\"1\","               \
	"\"chainId\":31337,"                                                  \
	"\"verifyingContract\":"                                              \
	"\"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512\"},"                    \
	"\"markets\":["                                                       \
	"{\"id\":1,\"symbol\":\"BTC-PERP\",\"priceDecimals\":1,"              \
	"\"sizeDecimals\":4,\"tickSize\":\"1\",\"stepSize\":\"1\","           \
	"\"maxOrderSize\":\"10000000\",\"makerFeePpm\":200,"                  \
	"\"takerFeePpm\":500},"                                               \
	"{\"id\":2,\"symbol\":\"ETH-PERP\",\"priceDecimals\":2,"              \
	"\"sizeDecimals\":3,\"tickSize\":\"5\",\"stepSize\":\"10\","          \
	"\"maxOrderSize\":\"10000000\",\"makerFeePpm\":200,"                  \
	"\"takerFeePpm\":500},"                                               \
	"{\"id\":3,\"symbol\":\"SOL-PERP\",\"priceDecimals\":3,"              \
	"\"sizeDecimals\":1,\"tickSize\":\"1\",\"stepSize\":\"1\","           \
	"\"maxOrderSize\":\"1000000\",\"makerFeePpm\":200,"                   \
	"\"takerFeePpm\":500}],"                                              \
	"\"expiryHorizonSeconds\":2592000,"                                   \
	"\"oracle\":{\"signers\":["                                           \
	"\"0x14dC79964da2C08b23698B3D3cc7Ca32193d9955\","                     \
	"\"0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f\","                     \
	"\"0xa0Ee7A142d267C1f36714E4a8F75612F20a79720\"],"                    \
	"\"quorum\":2,\"maxAgeSeconds\":60}}"

#define ORACLE_KEY_7 \
	"0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
#define ORACLE_KEY_8 \
	"0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"
#define ORACLE_ADDR_7 "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
#define ORACLE_ADDR_8 "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
#define ORACLE_KEY_9 \
	"0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
#define ORACLE_ADDR_9 "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"

/* marks: BTC 65000.0, ETH 3200.00, SOL 150.000 */
#define BOT_MARKETS                                          \
	"[{\"id\":1,\"symbol\":\"BTC-PERP\",\"markPrice\":\"650000\"}," \
	"{\"id\":2,\"symbol\":\"ETH-PERP\",\"markPrice\":\"320000\"},"  \
	"{\"id\":3,\"symbol\":\"SOL-PERP\",\"markPrice\":\"150000\"}]"

#define ZERO_HASH \
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\""

/* A fake node that records every call as {method, params}. */
struct bot_node {
	const char *account; /* the l2_getAccount result */
	json_t *calls;
};

static int bot_post(void *arg, struct cl_buf *resp, long *status, char *err,
		    size_t errlen, const char *url, const char *body,
		    size_t len)
{
	struct bot_node *n = arg;
	json_t *req = json_loadb(body, len, 0, NULL);
	const char *method, *result = NULL;
	char *out;
	size_t cap;

	if (!req) {
		fprintf(stderr, "fake node: request is not JSON\n");
		exit(2);
	}
	method = json_string_value(json_object_get(req, "method"));
	json_array_append_new(n->calls,
			      json_pack("{s:s,s:O}", "method", method, "params",
					json_object_get(req, "params")));
	if (strcmp(method, "l2_getConfig") == 0)
		result = BOT_CONFIG;
	else if (strcmp(method, "l2_getMarkets") == 0)
		result = BOT_MARKETS;
	else if (strcmp(method, "l2_getAccount") == 0)
		result = n->account;
	else if (strcmp(method, "l2_submitOracleUpdate") == 0)
		result = "{\"accepted\":true,\"markPrice\":\"1\",\"block\":\"1\","
			 "\"txHash\":" ZERO_HASH "}";
	else if (strcmp(method, "l2_submitOrder") == 0)
		result = "{\"orderHash\":" ZERO_HASH ",\"status\":\"open\","
			 "\"filledSize\":\"0\",\"fills\":[],\"block\":\"1\","
			 "\"txHash\":" ZERO_HASH "}";
	else if (strcmp(method, "l2_cancelOrder") == 0)
		result = "{\"orderHash\":" ZERO_HASH ",\"status\":"
			 "\"cancelled\",\"filledSize\":\"0\",\"block\":\"1\","
			 "\"txHash\":" ZERO_HASH "}";
	cap = strlen(result ? result : "") + 256;
	out = malloc(cap);
	if (result)
		snprintf(out, cap, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":%s}",
			 (long long)json_integer_value(json_object_get(req, "id")),
			 result);
	else
		snprintf(out, cap,
			 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":"
			 "-32601,\"message\":\"method not found\"}}",
			 (long long)json_integer_value(json_object_get(req, "id")));
	cl_buf_append(resp, out, strlen(out));
	free(out);
	json_decref(req);
	*status = 200;
	(void)err;
	(void)errlen;
	(void)url;
	return CL_OK;
}

/* A clock that moves one second per reading, from 2030-01-01. */
static uint64_t tick_clock;
static uint64_t moving_now_ms(void)
{
	tick_clock += 1000;
	return 1893456000000ULL + tick_clock;
}

static struct run_out run_bot_v(struct bot_node *n, bool moving,
				const char *first, va_list ap)
{
	struct run_out r;
	char *argv[40];
	int argc = 0;
	struct cl_cli cli;

	memset(&r, 0, sizeof(r));
	argv[argc++] = (char *)"clearline-cli";
	for (const char *s = first; s && argc < 39;
	     s = va_arg(ap, const char *))
		argv[argc++] = (char *)s;
	argv[argc] = NULL;
	n->calls = json_array();
	tick_clock = 0;
	cl_cli_init(&cli);
	cli.out = open_memstream(&r.out, &r.outlen);
	cli.err = open_memstream(&r.err, &r.errlen);
	cli.post = bot_post;
	cli.post_arg = n;
	cli.now_ms = moving ? moving_now_ms : fixed_now_ms;
	r.rc = cl_cli_run(&cli, argc, argv);
	cl_cli_release(&cli);
	fclose(cli.out);
	fclose(cli.err);
	return r;
}

static struct run_out run_bot(struct bot_node *n, bool moving,
			      const char *first, ...)
{
	va_list ap;
	struct run_out r;

	va_start(ap, first);
	r = run_bot_v(n, moving, first, ap);
	va_end(ap);
	return r;
}

/* The calls of one method, in order (a new array). */
static json_t *calls_of(const struct bot_node *n, const char *method)
{
	json_t *out = json_array();
	const json_t *c;
	size_t i;

	json_array_foreach(n->calls, i, c) {
		if (strcmp(json_string_value(json_object_get(c, "method")),
			   method) == 0)
			json_array_append(out, json_object_get(c, "params"));
	}
	return out;
}

static struct cl_cli_config g_cfg;

static uint64_t u64_of(const json_t *v)
{
	uint64_t x = 0;

	CHECK(cl_json_uint(&x, v, UINT64_MAX));
	return x;
}

static bool addr_is(const struct cl_address *a, const char *text)
{
	struct cl_address b;

	return cl_address_parse(&b, text, strlen(text)) && cl_address_eq(a, &b);
}

/* ------------------------------------------------------------------ */
/* oracle-feed                                                         */
/* ------------------------------------------------------------------ */

/*
 * Check every update of a run, signed by `nkeys` of the oracle keys 7, 8,
 * 9 in order, each its own OraclePrice; the medians go to `prices` (3 per
 * tick).
 */
static size_t check_oracle_updates(const struct bot_node *n, uint64_t *prices,
				   size_t cap, size_t nkeys)
{
	static const uint64_t start[] = {650000, 320000, 150000};
	static const char *const signers[] = {ORACLE_ADDR_7, ORACLE_ADDR_8,
					      ORACLE_ADDR_9};
	static const uint64_t ticks[] = {1, 5, 1};
	json_t *ups = calls_of(n, "l2_submitOracleUpdate");
	const json_t *p;
	size_t i, np = 0;

	json_array_foreach(ups, i, p) {
		const json_t *entries = json_array_get(p, 1);
		uint64_t market = u64_of(json_array_get(p, 0));
		uint64_t px[3] = {0, 0, 0}, ts = 0;

		CHECK(market >= 1 && market <= 3);
		if (market < 1 || market > 3)
			continue;
		CHECK(json_array_size(entries) == nkeys);
		if (json_array_size(entries) != nkeys || nkeys > 3)
			continue;
		for (size_t k = 0; k < nkeys; k++) {
			const json_t *e = json_array_get(entries, k);
			struct cl_oracle_price msg;
			uint8_t sig[CL_SIG_LEN];
			struct cl_address signer;

			msg.market = (uint32_t)market;
			msg.price = u64_of(json_object_get(e, "price"));
			msg.timestamp = u64_of(json_object_get(e, "timestamp"));
			CHECK(json_is_string(json_object_get(e, "price")));
			CHECK(k == 0 || msg.timestamp == ts);
			ts = msg.timestamp;
			px[k] = msg.price;
			CHECK(cl_json_bytes(sig, CL_SIG_LEN,
					    json_object_get(e, "signature")));
			CHECK(cl_oracle_price_recover(&signer, NULL,
						      &g_cfg.domain, &msg, sig,
						      CL_SIG_LEN) == CL_SIG_OK);
			CHECK(addr_is(&signer, signers[k]));
		}
		/* two keys sign one price; three spread a tick around it */
		uint64_t med = nkeys == 3 ? px[1] : px[0];
		if (nkeys == 3)
			CHECK(px[0] + ticks[market - 1] == med &&
			      med + ticks[market - 1] == px[2]);
		else
			CHECK(px[1] == med);
		uint64_t s0 = start[market - 1];
		CHECK_MSG(med >= s0 - s0 / 10 && med <= s0 + s0 / 10,
			  "market %" PRIu64 " price %" PRIu64, market, med);
		if (market == 2)
			CHECK(med % 5 == 0); /* ETH tick is 5 units */
		CHECK(ts >= 1893456000ULL);
		if (np < cap)
			prices[np++] = med;
	}
	json_decref(ups);
	return np;
}

static void test_oracle(void)
{
	struct bot_node n = {.account = "{}"};
	uint64_t a[600], b[600];
	size_t na, nb;
	struct run_out r;

	setenv("TEST_ORACLE_7", ORACLE_KEY_7, 1);
	setenv("TEST_ORACLE_8", ORACLE_KEY_8, 1);

	/* a fixed clock: one update per market, the later ticks would not
	 * be newer and are skipped */
	r = run_bot(&n, false, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8", "--ticks", "3",
		    "--interval-ms", "10", NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	na = check_oracle_updates(&n, a, 600, 2);
	CHECK(na == 3);
	CHECK(strstr(r.out, "BTC-PERP") != NULL);
	run_release(&r);
	json_decref(n.calls);

	/* a moving clock: 100 ticks stay within the bounds, and the same
	 * seed walks the same way */
	r = run_bot(&n, true, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8", "--ticks", "100",
		    "--interval-ms", "10", "--seed", "7", NULL);
	CHECK(r.rc == 0);
	na = check_oracle_updates(&n, a, 600, 2);
	CHECK(na == 300);
	run_release(&r);
	json_decref(n.calls);

	r = run_bot(&n, true, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8", "--ticks", "100",
		    "--interval-ms", "10", "--seed", "7", NULL);
	nb = check_oracle_updates(&n, b, 600, 2);
	CHECK(na == nb && memcmp(a, b, na * sizeof(a[0])) == 0);
	run_release(&r);
	json_decref(n.calls);

	bool moved = false;
	for (size_t i = 3; i < na; i++)
		moved |= a[i] != a[i % 3];
	CHECK(moved);

	r = run_bot(&n, true, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8", "--ticks", "100",
		    "--interval-ms", "10", "--seed", "8", NULL);
	nb = check_oracle_updates(&n, b, 600, 2);
	CHECK(na == nb && memcmp(a, b, na * sizeof(a[0])) != 0);
	run_release(&r);
	json_decref(n.calls);

	/* --start and --markets */
	r = run_bot(&n, false, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8", "--ticks", "1", "--markets",
		    "eth-perp", "--start", "ETH-PERP=3000", NULL);
	{
		json_t *ups = calls_of(&n, "l2_submitOracleUpdate");
		const json_t *u = json_array_get(json_array_get(ups, 0), 1);

		CHECK(json_array_size(ups) == 1);
		CHECK(u64_of(json_array_get(json_array_get(ups, 0), 0)) == 2);
		uint64_t px = u64_of(
			json_object_get(json_array_get(u, 0), "price"));
		CHECK(px >= 270000 && px <= 330000);
		json_decref(ups);
	}
	run_release(&r);
	json_decref(n.calls);

	/* three independent oracles: the node's median is the walk */
	setenv("TEST_ORACLE_9", ORACLE_KEY_9, 1);
	r = run_bot(&n, true, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7,TEST_ORACLE_8,TEST_ORACLE_9", "--ticks", "20",
		    "--interval-ms", "10", "--seed", "7", NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	nb = check_oracle_updates(&n, b, 600, 3);
	CHECK(nb == 60 && memcmp(a, b, nb * sizeof(a[0])) == 0);
	run_release(&r);
	json_decref(n.calls);

	/* fewer keys than the quorum: refused before any update */
	r = run_bot(&n, false, "oracle-feed", "--oracle-key-env",
		    "TEST_ORACLE_7", "--ticks", "1", NULL);
	CHECK(r.rc == CL_CLI_EXIT_USAGE && strstr(r.err, "quorum"));
	{
		json_t *ups = calls_of(&n, "l2_submitOracleUpdate");
		CHECK(json_array_size(ups) == 0);
		json_decref(ups);
	}
	run_release(&r);
	json_decref(n.calls);
}

/* ------------------------------------------------------------------ */
/* bot maker / taker                                                   */
/* ------------------------------------------------------------------ */

static void order_from_json(struct cl_order *o, const json_t *j)
{
	const char *t = json_string_value(json_object_get(j, "trader"));

	memset(o, 0, sizeof(*o));
	CHECK(t && cl_address_parse(&o->trader, t, strlen(t)));
	o->market = (uint32_t)u64_of(json_object_get(j, "market"));
	o->is_buy = json_is_true(json_object_get(j, "isBuy"));
	o->price = u64_of(json_object_get(j, "price"));
	o->size = u64_of(json_object_get(j, "size"));
	o->nonce = u64_of(json_object_get(j, "nonce"));
	o->expiry = u64_of(json_object_get(j, "expiry"));
	o->flags = (uint8_t)u64_of(json_object_get(j, "flags"));
}

/* Every order was signed by DEV_KEY; returns how many there are. */
static size_t check_orders(const json_t *orders)
{
	const json_t *p;
	size_t i;

	json_array_foreach(orders, i, p) {
		struct cl_order o;
		struct cl_address signer;
		uint8_t sig[CL_SIG_LEN];

		order_from_json(&o, json_array_get(p, 0));
		CHECK(cl_json_bytes(sig, CL_SIG_LEN, json_array_get(p, 1)));
		CHECK(cl_order_recover(&signer, NULL, &g_cfg.domain, &o, sig,
				       CL_SIG_LEN) == CL_SIG_OK);
		CHECK(addr_is(&signer, DEV_ADDR) && addr_is(&o.trader, DEV_ADDR));
	}
	return json_array_size(orders);
}

#define ACCOUNT_FMT                                                         \
	"{\"address\":\"" DEV_ADDR "\",\"collateral\":\"%s\",\"nonce\":\"0\"," \
	"\"positions\":[],\"openOrders\":%s}"

static void test_maker(void)
{
	static const uint64_t marks[] = {650000, 320000, 150000};
	char account[16384];
	struct bot_node n = {.account = account};
	json_t *orders, *cancels;
	struct run_out r;
	const json_t *p;
	size_t i;

	setenv("TEST_BOT_KEY", DEV_KEY, 1);

	/* no collateral: waits, places nothing */
	snprintf(account, sizeof(account), ACCOUNT_FMT, "0", "[]");
	r = run_bot(&n, false, "bot", "maker", "--key-env", "TEST_BOT_KEY",
		    "--ticks", "1", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "waiting for a deposit"));
	orders = calls_of(&n, "l2_submitOrder");
	CHECK(json_array_size(orders) == 0);
	json_decref(orders);
	run_release(&r);
	json_decref(n.calls);

	/* collateral, no orders: 3 levels a side on 3 markets */
	snprintf(account, sizeof(account), ACCOUNT_FMT, "1000000000", "[]");
	r = run_bot(&n, false, "bot", "maker", "--key-env", "TEST_BOT_KEY",
		    "--ticks", "1", NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	orders = calls_of(&n, "l2_submitOrder");
	CHECK(check_orders(orders) == 18);

	/* the same quotes as open orders of the account */
	json_t *open = json_array();
	json_array_foreach(orders, i, p) {
		struct cl_order o;
		uint64_t mark;

		order_from_json(&o, json_array_get(p, 0));
		CHECK(o.flags == CL_CLI_FLAG_POST_ONLY);
		CHECK(o.market >= 1 && o.market <= 3);
		if (o.market < 1 || o.market > 3)
			continue;
		mark = marks[o.market - 1];
		CHECK(o.is_buy ? o.price < mark : o.price > mark);
		CHECK(o.is_buy ? o.price > mark - mark / 50
			       : o.price < mark + mark / 50);
		if (o.market == 2)
			CHECK(o.price % 5 == 0 && o.size % 10 == 0);
		CHECK(o.size > 0 && o.expiry > 1893456000ULL + 60);
		json_array_append_new(
			open,
			json_pack("{s:s,s:i,s:s,s:o,s:o,s:s,s:o,s:i}",
				  "orderHash",
				  "0x1111111111111111111111111111111111111111"
				  "111111111111111111111111",
				  "market", (int)o.market, "side",
				  o.is_buy ? "buy" : "sell", "price",
				  cl_json_from_u64(o.price), "size",
				  cl_json_from_u64(o.size), "filledSize", "0",
				  "expiry", cl_json_from_u64(o.expiry), "flags",
				  (int)o.flags));
	}
	/* plus one quote off the grid, to be cancelled */
	json_array_append_new(
		open, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:i}",
				"orderHash",
				"0x2222222222222222222222222222222222222222"
				"222222222222222222222222",
				"market", 1, "side", "buy", "price", "600000",
				"size", "100", "filledSize", "0", "expiry",
				"1893459600", "flags", 2));
	char *open_text = cl_json_dump(open);
	snprintf(account, sizeof(account), ACCOUNT_FMT, "1000000000",
		 open_text);
	free(open_text);
	json_decref(open);
	json_decref(orders);
	run_release(&r);
	json_decref(n.calls);

	r = run_bot(&n, false, "bot", "maker", "--key-env", "TEST_BOT_KEY",
		    "--ticks", "1", NULL);
	CHECK(r.rc == 0);
	orders = calls_of(&n, "l2_submitOrder");
	cancels = calls_of(&n, "l2_cancelOrder");
	CHECK(json_array_size(orders) == 0);
	CHECK(json_array_size(cancels) == 1);
	{
		const json_t *c = json_array_get(json_array_get(cancels, 0), 0);
		const char *h =
			json_string_value(json_object_get(c, "orderHash"));
		CHECK(h && strncmp(h, "0x2222", 6) == 0);
	}
	json_decref(orders);
	json_decref(cancels);
	run_release(&r);
	json_decref(n.calls);

	/* --levels and --markets */
	snprintf(account, sizeof(account), ACCOUNT_FMT, "1000000000", "[]");
	r = run_bot(&n, false, "bot", "maker", "--key-env", "TEST_BOT_KEY",
		    "--ticks", "1", "--levels", "2", "--markets", "SOL-PERP",
		    NULL);
	orders = calls_of(&n, "l2_submitOrder");
	CHECK(check_orders(orders) == 4);
	json_array_foreach(orders, i, p) {
		struct cl_order o;

		order_from_json(&o, json_array_get(p, 0));
		CHECK(o.market == 3);
	}
	json_decref(orders);
	run_release(&r);
	json_decref(n.calls);
}

static void test_taker(void)
{
	static const uint64_t marks[] = {650000, 320000, 150000};
	char account[1024];
	struct bot_node n = {.account = account};
	json_t *orders;
	struct run_out r;
	const json_t *p;
	size_t i;

	snprintf(account, sizeof(account), ACCOUNT_FMT, "1000000000", "[]");
	r = run_bot(&n, false, "bot", "taker", "--key-env", "TEST_BOT_KEY",
		    "--ticks", "5", "--interval-ms", "10", NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	orders = calls_of(&n, "l2_submitOrder");
	CHECK(check_orders(orders) == 5);
	json_array_foreach(orders, i, p) {
		struct cl_order o;

		order_from_json(&o, json_array_get(p, 0));
		CHECK(o.flags == CL_CLI_FLAG_IOC);
		if (o.market < 1 || o.market > 3)
			continue;
		uint64_t mark = marks[o.market - 1];
		CHECK(o.is_buy ? o.price > mark : o.price < mark);
		CHECK(o.size > 0);
	}
	CHECK(strstr(r.out, "taker: ") != NULL);
	json_decref(orders);
	run_release(&r);
	json_decref(n.calls);
}

/* ------------------------------------------------------------------ */
/* The command line                                                    */
/* ------------------------------------------------------------------ */

static void expect_usage(const char *needle, const char *a1, const char *a2,
			 const char *a3, const char *a4)
{
	struct bot_node n = {.account = "{}"};
	struct run_out r = run_bot(&n, false, a1, a2, a3, a4, NULL);

	CHECK_MSG(r.rc == CL_CLI_EXIT_USAGE && strstr(r.err, needle) &&
			  json_array_size(n.calls) == 0,
		  "%s %s: rc %d stderr %s", a1, a2 ? a2 : "", r.rc, r.err);
	run_release(&r);
	json_decref(n.calls);
}

static void test_args(void)
{
	struct bot_node n = {.account = "{}"};
	struct run_out r;

	expect_usage("--oracle-key-env", "oracle-feed", NULL, NULL, NULL);
	expect_usage("expected maker or taker", "bot", NULL, NULL, NULL);
	expect_usage("not 'sleeper'", "bot", "sleeper", NULL, NULL);
	expect_usage("does not apply", "bot", "maker", "--start", "BTC=1");
	expect_usage("does not apply", "oracle-feed", "--levels", "2", NULL);
	expect_usage("unknown option --bogus", "bot", "taker", "--bogus",
		     NULL);
	expect_usage("--levels", "bot", "maker", "--levels", "0");
	expect_usage("--interval-ms", "bot", "maker", "--interval-ms", "x");

	/* global options before the command word */
	r = run_bot(&n, false, "--rpc", "http://127.0.0.1:1", "bot", "--help",
		    NULL);
	CHECK(r.rc == 0 && strstr(r.out, "maker|taker"));
	run_release(&r);
	json_decref(n.calls);
	r = run_bot(&n, false, "oracle-feed", "-h", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "--oracle-key-env"));
	run_release(&r);
	json_decref(n.calls);
	r = run_bot(&n, false, "help", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "oracle-feed") &&
	      strstr(r.out, "bot"));
	run_release(&r);
	json_decref(n.calls);
	r = run_bot(&n, false, "help", "bot", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "maker|taker"));
	run_release(&r);
	json_decref(n.calls);
}

int main(void)
{
	char err[256];
	json_t *j = json_loads(BOT_CONFIG, 0, NULL);

	if (cl_crypto_init() != CL_OK)
		return 2;
	CHECK(j && cl_cli_config_parse(&g_cfg, err, sizeof(err), j));
	json_decref(j);
	test_args();
	test_oracle();
	test_maker();
	test_taker();
	cl_cli_config_release(&g_cfg);
	return test_done("test_bot");
}
