/* SPDX-License-Identifier: MIT */
/*
 * Order building and signing: the first Order vector of
 * tests/vectors/eip712.json, built from its message through the CLI's
 * human-decimal path, must give exactly the vector's hash and signature;
 * then the same through `sign-order` and `order` against a fake node.
 */
#include "cli_util.h"

static const json_t *order_vector(const json_t *all)
{
	const json_t *v;
	size_t i;

	const json_t *list = json_object_get(all, "vectors");

	json_array_foreach(list, i, v) {
		const json_t *t = json_object_get(v, "primaryType");

		if (strcmp(json_string_value(t), "Order") == 0)
			return v;
	}
	fprintf(stderr, "no Order vector\n");
	exit(2);
}

static uint64_t msg_u64(const json_t *msg, const char *key)
{
	uint64_t v;

	if (!cl_json_uint(&v, json_object_get(msg, key), UINT64_MAX)) {
		fprintf(stderr, "bad %s in vector\n", key);
		exit(2);
	}
	return v;
}

/* The market the tests use: 6 price and 8 size decimals. */
static struct cl_cli_config cfg;

static void load_config(void)
{
	char err[256];
	json_t *j = json_loads(TEST_CONFIG, 0, NULL);

	CHECK(j && cl_cli_config_parse(&cfg, err, sizeof(err), j));
	json_decref(j);
}

struct fixture {
	char price[CL_DEC_STR_MAX], size[CL_DEC_STR_MAX];
	char nonce[24], expiry[24], flags_opt[16];
	const char *side;
	const char *hash, *sig;
	const json_t *msg;
};

static void test_vector(const json_t *all, struct fixture *fx)
{
	const json_t *v = order_vector(all);
	const json_t *msg = json_object_get(v, "message");
	const json_t *dom = json_object_get(all, "domain");
	const char *key_hex =
	    json_string_value(json_object_get(v, "signerKey"));
	struct cl_eip712_domain d;
	struct cl_cli_order_req req;
	struct cl_address vc;
	struct cl_seckey *key;
	struct cl_order o;
	struct cl_hash32 h;
	struct cl_sig sig;
	char err[CL_CLI_ERR_MAX];
	const char *trader = json_string_value(json_object_get(msg, "trader"));
	const char *vcs =
	    json_string_value(json_object_get(dom, "verifyingContract"));
	const struct cl_cli_market *m;

	/* the domain the task names, compared with the one of the file */
	CHECK(msg_u64(dom, "chainId") == 31337);
	CHECK(strcmp(vcs, "0x5FbDB2315678afecb367f032d93F642f64180aa3") == 0);
	CHECK(cl_address_parse(&vc, vcs, strlen(vcs)));
	cl_eip712_domain_init(&d, 31337, &vc);
	CHECK(cl_hash32_eq(&d.separator, &cfg.domain.separator));

	m = cl_cli_market_by_id(&cfg, (uint32_t)msg_u64(msg, "market"));
	CHECK(m != NULL);
	if (!m)
		return;

	/* units -> human text -> units, as a person would type them */
	cl_dec_format_u64(fx->price, msg_u64(msg, "price"), m->price_decimals);
	cl_dec_format_u64(fx->size, msg_u64(msg, "size"), m->size_decimals);
	CHECK_MSG(strcmp(fx->price, "65000.5") == 0, "%s", fx->price);
	CHECK_MSG(strcmp(fx->size, "1.5") == 0, "%s", fx->size);

	memset(&req, 0, sizeof(req));
	req.market = m;
	CHECK(cl_address_parse(&req.trader, trader, strlen(trader)));
	CHECK(cl_json_bool(&req.is_buy, json_object_get(msg, "isBuy")));
	req.price = fx->price;
	req.size = fx->size;
	req.flags = (uint8_t)msg_u64(msg, "flags");
	req.nonce = msg_u64(msg, "nonce");
	req.expiry = msg_u64(msg, "expiry");
	CHECK(cl_cli_order_build(&o, err, sizeof(err), &req));
	CHECK(o.price == msg_u64(msg, "price"));
	CHECK(o.size == msg_u64(msg, "size"));

	CHECK(cl_seckey_new_from_hex(&key, key_hex, strlen(key_hex)));
	cl_order_digest(&h, &cfg.domain, &o);
	CHECK(cl_sign_digest(&sig, key, &h) == CL_OK);
	fx->hash = json_string_value(json_object_get(v, "digest"));
	fx->sig = json_string_value(json_object_get(v, "signature"));
	CHECK_HEX(h.b, 32, fx->hash);
	CHECK_HEX(sig.b, CL_SIG_LEN, fx->sig);
	cl_seckey_free(key);

	/* the JSON the node gets: the vector's message, field for field */
	json_t *oj = cl_cli_order_json(&o);
	CHECK(json_equal(oj, (json_t *)msg));
	json_decref(oj);

	fx->msg = msg;
	fx->side = req.is_buy ? "buy" : "sell";
	snprintf(fx->nonce, sizeof(fx->nonce), "%" PRIu64, req.nonce);
	snprintf(fx->expiry, sizeof(fx->expiry), "@%" PRIu64, req.expiry);
	setenv("CL_TEST_KEY", key_hex, 1);
}

static void test_sign_order_cmd(const struct fixture *fx)
{
	struct fake_node f;
	struct run_out r;
	json_t *j;

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	r = run_cli(&f, "--json", "--key-env", "CL_TEST_KEY", "sign-order",
		    "BTC-PERP", fx->side, fx->price, fx->size, "--nonce",
		    fx->nonce, "--expiry", fx->expiry, NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	CHECK(f.nrequests == 1);
	j = json_loads(r.out, 0, NULL);
	CHECK(j != NULL);
	CHECK(strchr(r.out, '\n') == r.out + r.outlen - 1); /* one line */
	if (j) {
		CHECK(strcmp(json_string_value(json_object_get(j, "orderHash")),
			     fx->hash) == 0);
		CHECK(strcmp(json_string_value(json_object_get(j, "signature")),
			     fx->sig) == 0);
		CHECK(
		    json_equal(json_object_get(j, "order"), (json_t *)fx->msg));
	}
	json_decref(j);
	/* the key never shows up */
	CHECK(strstr(r.out, "ac0974bec39a17e3") == NULL);
	CHECK(strstr(r.err, "ac0974bec39a17e3") == NULL);
	run_release(&r);
	fake_release(&f);

	/* the same order by market id, human output */
	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	r = run_cli(&f, "--key-env", "CL_TEST_KEY", "sign-order", "1", fx->side,
		    fx->price, fx->size, "--nonce", fx->nonce, "--expiry",
		    fx->expiry, NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	CHECK(strstr(r.out, fx->hash) != NULL);
	CHECK(strstr(r.out, fx->sig) != NULL);
	run_release(&r);
	fake_release(&f);
}

static void test_order_cmd(const struct fixture *fx)
{
	struct fake_node f;
	struct run_out r;
	char want[1024], result[1024];

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	snprintf(result, sizeof(result),
		 "{\"orderHash\":\"%s\",\"status\":\"partiallyFilled\","
		 "\"filledSize\":\"50000000\",\"fills\":[{\"price\":"
		 "\"64999000000\",\"size\":\"50000000\",\"maker\":"
		 "\"0x1111111111111111111111111111111111111111111111111111"
		 "111111111111\",\"makerTrader\":"
		 "\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\"}]}",
		 fx->hash);
	fake_answer(&f, "l2_submitOrder", result);
	r = run_cli(&f, "order", "btc-perp", fx->side, fx->price, fx->size,
		    "--nonce", fx->nonce, "--expiry", fx->expiry, "--key-env",
		    "CL_TEST_KEY", NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	CHECK(f.nrequests == 2);
	CHECK(strcmp(f.requests[0], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
				    "\"l2_getConfig\",\"params\":[]}") == 0);
	snprintf(want, sizeof(want),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"l2_submitOrder\","
		 "\"params\":[{\"trader\":\"" DEV_ADDR "\",\"market\":1,"
		 "\"isBuy\":true,\"price\":\"65000500000\",\"size\":"
		 "\"150000000\",\"nonce\":\"1\",\"expiry\":\"1893456000\","
		 "\"flags\":0},\"%s\"]}",
		 fx->sig);
	CHECK_MSG(f.nrequests == 2 && strcmp(f.requests[1], want) == 0,
		  "request %s", f.nrequests == 2 ? f.requests[1] : "-");
	const char *human =
	    "order hash          0x73a7567bae6c135724f27754b8fea830e5f54061"
	    "ceb89cbc5a52c47c99fde00a\n"
	    "status              partiallyFilled\n"
	    "filled size         0.5\n"
	    "\n"
	    "price  size  maker                                       taker\n"
	    "64999   0.5  0x70997970C51812dc3A010C7d01b50e0d17dc79C8  "
	    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n";
	CHECK_MSG(strcmp(r.out, human) == 0, "output:\n%s", r.out);
	CHECK_MSG(r.errlen == 0, "stderr: %s", r.err);
	run_release(&r);
	fake_release(&f);

	/* flags, a default expiry from the (fixed) clock; --json output */
	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_answer(&f, "l2_submitOrder",
		    "{\"orderHash\":\"0x00\",\"status\":\"open\"}");
	r = run_cli(&f, "--json", "order", "ETH-PERP", "sell", "3000.05",
		    "0.25", "--ioc", "--reduce-only", "--nonce", "7",
		    "--key-env", "CL_TEST_KEY", NULL);
	CHECK_MSG(r.rc == 0, "rc %d: %s", r.rc, r.err);
	CHECK(f.nrequests == 2 &&
	      strstr(f.requests[1],
		     "\"market\":2,\"isBuy\":false,\"price\":\"300005\","
		     "\"size\":\"2500\",\"nonce\":\"7\",\"expiry\":"
		     "\"1893459600\",\"flags\":5}") != NULL);
	CHECK(strcmp(r.out, "{\"orderHash\":\"0x00\",\"status\":\"open\"}\n") ==
	      0);
	/* the node's hash differs from ours: a warning */
	CHECK(strstr(r.err, "warning") != NULL);
	run_release(&r);
	fake_release(&f);

	/* a random nonce: 63 bits, and not the same every time (the test's
	 * clock stands still, so only the 10 random bits differ: four runs
	 * that all draw the same bits happen once in 2^30) */
	char nn[4][32] = {"", "", "", ""};
	for (int i = 0; i < 4; i++) {
		memset(&f, 0, sizeof(f));
		fake_answer(&f, "l2_getConfig", TEST_CONFIG);
		fake_answer(&f, "l2_submitOrder", "{\"status\":\"open\"}");
		r = run_cli(&f, "order", "2", "buy", "1", "1", "--post-only",
			    "--key-env", "CL_TEST_KEY", NULL);
		CHECK(r.rc == 0);
		const char *p = f.nrequests == 2
				    ? strstr(f.requests[1], "\"nonce\":\"")
				    : NULL;
		CHECK(p != NULL);
		if (p) {
			uint64_t v;
			p += 9;
			size_t len = strcspn(p, "\"");
			CHECK(cl_parse_u64(&v, p, len) && v <= INT64_MAX);
			snprintf(nn[i], 32, "%.*s", (int)len, p);
		}
		CHECK(strstr(f.requests[1], "\"flags\":2}") != NULL);
		run_release(&r);
		fake_release(&f);
	}
	CHECK(strcmp(nn[0], nn[1]) != 0 || strcmp(nn[0], nn[2]) != 0 ||
	      strcmp(nn[0], nn[3]) != 0);
}

/* A refused order prints the node's message and exits 1. */
static void test_rejected(const struct fixture *fx)
{
	struct fake_node f;
	struct run_out r;

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_error(&f, "l2_submitOrder",
		   "{\"code\":-32010,\"message\":\"insufficient margin\"}");
	r = run_cli(&f, "order", "BTC-PERP", "buy", "65000", "1", "--key-env",
		    "CL_TEST_KEY", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED);
	CHECK_MSG(strstr(r.err, "insufficient margin") != NULL, "%s", r.err);
	CHECK(r.outlen == 0);
	run_release(&r);
	fake_release(&f);

	/* a node whose domain this wallet cannot sign in */
	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig",
		    "{\"l1ChainId\":1,\"rollup\":\"0x5FbDB2315678afecb367f032d9"
		    "3F642f64180aa3\",\"collateralToken\":\"0x5FbDB2315678afec"
		    "b367f032d93F642f64180aa3\",\"collateralDecimals\":6,"
		    "\"domain\":{\"name\":\"Other\",\"version\":\"1\","
		    "\"chainId\":1,\"verifyingContract\":\"0x5FbDB2315678afecb"
		    "367f032d93F642f64180aa3\"},\"markets\":[]}");
	r = run_cli(&f, "order", "BTC-PERP", "buy", "65000", "1", "--key-env",
		    "CL_TEST_KEY", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED);
	CHECK_MSG(strstr(r.err, "domain.name") != NULL, "%s", r.err);
	CHECK(f.nrequests == 1);
	run_release(&r);
	fake_release(&f);
	(void)fx;
}

/* Cancel, withdraw and approve-agent: the exact requests. */
static void test_other_messages(void)
{
	struct fake_node f;
	struct run_out r;
	struct cl_cancel c;
	struct cl_hash32 d;
	struct cl_seckey *key;
	struct cl_sig sig;
	char sighex[140], want[1024];

	CHECK(cl_seckey_new_from_hex(&key, DEV_KEY, strlen(DEV_KEY)));
	memset(&c, 0, sizeof(c));
	cl_seckey_address(&c.trader, key);
	memset(c.order_hash.b, 0x11, 32);
	cl_cancel_digest(&d, &cfg.domain, &c);
	CHECK(cl_sign_digest(&sig, key, &d) == CL_OK);
	cl_hex_encode(sighex, sig.b, CL_SIG_LEN, true);
	/* the Cancel vector of the file signs the same message */
	CHECK(strcmp(sighex,
		     "0x5c155048d6d9f58d2d8beac0b84f619fd532ca029b1f1289484c43"
		     "d0526508c374e0411c220904b717559bb7f2aa7c75b9a11c37dc3df8"
		     "a8f111d0cfe7e6afbb1b") == 0);

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_answer(&f, "l2_cancelOrder",
		    "{\"orderHash\":\"0x1111111111111111111111111111111111111"
		    "111111111111111111111111111\",\"status\":\"cancelled\"}");
	r = run_cli(&f, "--key-env", "CL_TEST_KEY", "cancel",
		    "0x1111111111111111111111111111111111111111111111111111111"
		    "111111111",
		    NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"l2_cancelOrder\","
		 "\"params\":[{\"trader\":\"" DEV_ADDR "\",\"orderHash\":\"0x"
		 "1111111111111111111111111111111111111111111111111111111111111"
		 "111\"},\"%s\"]}",
		 sighex);
	CHECK_MSG(f.nrequests == 2 && strcmp(f.requests[1], want) == 0, "%s",
		  f.nrequests > 1 ? f.requests[1] : "-");
	CHECK(strstr(r.out, "status              cancelled\n") != NULL);
	run_release(&r);
	fake_release(&f);

	/* withdraw: amount in collateral units, nonce from the account */
	struct cl_withdraw w;
	memset(&w, 0, sizeof(w));
	cl_seckey_address(&w.trader, key);
	CHECK(cl_address_parse(
	    &w.recipient, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 42));
	w.amount = 12500000;
	w.nonce = 4;
	cl_withdraw_digest(&d, &cfg.domain, &w);
	CHECK(cl_sign_digest(&sig, key, &d) == CL_OK);
	cl_hex_encode(sighex, sig.b, CL_SIG_LEN, true);

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_answer(&f, "l2_getAccount", "{\"nonce\":\"4\"}");
	fake_answer(&f, "l2_withdraw", "{\"withdrawalId\":\"17\"}");
	r = run_cli(&f, "--key-env", "CL_TEST_KEY", "withdraw", "12.5", "--to",
		    "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	CHECK(f.nrequests == 3);
	CHECK(
	    f.nrequests == 3 &&
	    strcmp(f.requests[1],
		   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"l2_getAccount\","
		   "\"params\":[\"" DEV_ADDR "\"]}") == 0);
	snprintf(want, sizeof(want),
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"l2_withdraw\","
		 "\"params\":[{\"trader\":\"" DEV_ADDR "\",\"recipient\":\"0x"
		 "70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"amount\":"
		 "\"12500000\",\"nonce\":\"4\"},\"%s\"]}",
		 sighex);
	CHECK_MSG(f.nrequests == 3 && strcmp(f.requests[2], want) == 0, "%s",
		  f.nrequests == 3 ? f.requests[2] : "-");
	CHECK(strcmp(r.out, "withdrawal id       17\n"
			    "amount              12.5\n"
			    "recipient           0x70997970C51812dc3A010C7d01b"
			    "50e0d17dc79C8\n") == 0);
	run_release(&r);
	fake_release(&f);

	/* approve-agent: expiry from the fixed clock, nonce from the account */
	struct cl_approve_agent ap;
	memset(&ap, 0, sizeof(ap));
	cl_seckey_address(&ap.trader, key);
	CHECK(cl_address_parse(
	    &ap.agent, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", 42));
	ap.expiry = 1893456000 + 86400;
	ap.nonce = 0;
	cl_approve_agent_digest(&d, &cfg.domain, &ap);
	CHECK(cl_sign_digest(&sig, key, &d) == CL_OK);
	cl_hex_encode(sighex, sig.b, CL_SIG_LEN, true);

	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	fake_answer(&f, "l2_getAccount", "{\"nonce\":\"0\"}");
	fake_answer(&f, "l2_approveAgent", "{\"ok\":true}");
	r = run_cli(&f, "--key-env", "CL_TEST_KEY", "approve-agent",
		    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "--expiry",
		    "86400", NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"l2_approveAgent\","
		 "\"params\":[{\"trader\":\"" DEV_ADDR "\",\"agent\":\"0x3C44"
		 "CdDdB6a900fa2b585dd299e03d12FA4293BC\",\"expiry\":"
		 "\"1893542400\",\"nonce\":\"0\"},\"%s\"]}",
		 sighex);
	CHECK_MSG(f.nrequests == 3 && strcmp(f.requests[2], want) == 0, "%s",
		  f.nrequests == 3 ? f.requests[2] : "-");
	CHECK(strstr(r.out, "expires             2030-01-02 00:00:00 UTC\n") !=
	      NULL);
	run_release(&r);
	fake_release(&f);

	/* --agent-for: the trader is someone else, the key signs */
	memset(&f, 0, sizeof(f));
	fake_answer(&f, "l2_getConfig", TEST_CONFIG);
	r = run_cli(&f, "--json", "--key-env", "CL_TEST_KEY", "sign-order",
		    "ETH-PERP", "buy", "1", "1", "--nonce", "1", "--expiry",
		    "@2000000000", "--agent-for",
		    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc", NULL);
	CHECK_MSG(r.rc == 0, "%s", r.err);
	json_t *j = json_loads(r.out, 0, NULL);
	if (j) {
		struct cl_order o = {0};
		struct cl_address signer;
		const char *sg =
		    json_string_value(json_object_get(j, "signature"));
		uint8_t sb[CL_SIG_LEN];

		CHECK(cl_address_parse(
		    &o.trader, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
		    42));
		o.market = 2;
		o.is_buy = true;
		o.price = 100;
		o.size = 10000;
		o.nonce = 1;
		o.expiry = 2000000000;
		CHECK(sg &&
		      cl_hex_decode(sb, CL_SIG_LEN, sg, strlen(sg), CL_HEX_0X));
		CHECK(cl_order_recover(&signer, NULL, &cfg.domain, &o, sb,
				       CL_SIG_LEN) == CL_SIG_OK);
		CHECK(cl_address_eq(&signer, &c.trader));
	}
	CHECK(j != NULL);
	json_decref(j);
	run_release(&r);
	fake_release(&f);

	cl_seckey_free(key);
}

int main(int argc, char **argv)
{
	json_t *all = test_load_vectors(argc, argv, "eip712.json");
	struct fixture fx;

	CHECK(cl_crypto_init() == CL_OK);
	load_config();
	memset(&fx, 0, sizeof(fx));
	test_vector(all, &fx);
	if (fx.msg) {
		test_sign_order_cmd(&fx);
		test_order_cmd(&fx);
		test_rejected(&fx);
	}
	test_other_messages();
	cl_cli_config_release(&cfg);
	json_decref(all);
	return test_done("test_order");
}
