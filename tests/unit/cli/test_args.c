/* SPDX-License-Identifier: MIT */
/*
 * The command line: every command's usage errors exit 2 with a message and
 * before any request they do not need; --help exits 0; an unreachable node
 * exits 3, a refusal 1. Also the key commands on a real keystore file.
 */
#include <unistd.h>

#include "cli_util.h"

/* Run, expect exit `code`, `needle` on stderr, and `nreq` requests. */
#define EXPECT(code, nreq, needle, ...)                                       \
	do {                                                                  \
		struct fake_node f_;                                          \
		memset(&f_, 0, sizeof(f_));                                   \
		fake_answer(&f_, "l2_getConfig", TEST_CONFIG);                \
		struct run_out r_ = run_cli(&f_, __VA_ARGS__, NULL);          \
		CHECK_MSG(r_.rc == (code) && f_.nrequests == (nreq) &&        \
			      strstr(r_.err, (needle)) != NULL,               \
			  "line %d: rc %d requests %zu stderr: %s", __LINE__, \
			  r_.rc, f_.nrequests, r_.err);                       \
		run_release(&r_);                                             \
		fake_release(&f_);                                            \
	} while (0)

#define USAGE(nreq, needle, ...) \
	EXPECT(CL_CLI_EXIT_USAGE, nreq, needle, __VA_ARGS__)

static void test_global(void)
{
	struct fake_node f;
	struct run_out r;

	memset(&f, 0, sizeof(f));
	r = run_cli(&f, NULL);
	CHECK(r.rc == CL_CLI_EXIT_USAGE && strstr(r.err, "no command"));
	run_release(&r);
	USAGE(0, "unknown command 'frobnicate'", "frobnicate");
	USAGE(0, "unknown option --bogus", "status", "--bogus");
	USAGE(0, "unknown option -x", "-x", "status");
	USAGE(0, "--rpc needs a value", "status", "--rpc");
	USAGE(0, "--json takes no value", "--json=1", "status");
	USAGE(0, "--json given twice", "--json", "status", "--json");
	USAGE(0, "key: expected new, import or address", "key");
	USAGE(0, "key: expected new, import or address", "key", "frob");
	USAGE(0, "unexpected argument 'now'", "status", "now");
	USAGE(0, "unexpected argument 'x'", "markets", "x");
	USAGE(0, "does not apply here", "status", "--depth", "3");

	/* help: global, per command, and through `help` */
	r = run_cli(&f, "--help", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "withdrawal-proof") &&
	      strstr(r.out, "exit codes"));
	run_release(&r);
	r = run_cli(&f, "-h", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "usage: clearline-cli [OPTIONS]"));
	run_release(&r);
	static const char *const cmds[] = {
	    "order",	    "sign-order",      "cancel",
	    "withdraw",	    "approve-agent",   "account",
	    "book",	    "markets",	       "status",
	    "order-status", "withdrawal-proof", "exit-proof"};
	for (size_t i = 0; i < CL_ARRAY_LEN(cmds); i++) {
		char want[64];

		r = run_cli(&f, cmds[i], "--help", NULL);
		snprintf(want, sizeof(want), "usage: clearline-cli %s ",
			 cmds[i]);
		CHECK_MSG(r.rc == 0 && strstr(r.out, want), "%s", cmds[i]);
		run_release(&r);
	}
	r = run_cli(&f, "key", "new", "--help", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "usage: clearline-cli key new"));
	run_release(&r);
	r = run_cli(&f, "help", "key", "import", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "usage: clearline-cli key import"));
	run_release(&r);
	r = run_cli(&f, "help", "order", NULL);
	CHECK(r.rc == 0 && strstr(r.out, "--reduce-only"));
	run_release(&r);
	USAGE(0, "unknown command 'nope'", "help", "nope");
	CHECK(f.nrequests == 0);
	fake_release(&f);
}

static void test_connection(void)
{
	struct fake_node f;
	struct run_out r;

	memset(&f, 0, sizeof(f));
	f.fail_with = CL_ERR_NET;
	r = run_cli(&f, "--rpc", "http://127.0.0.1:1", "status", NULL);
	CHECK(r.rc == CL_CLI_EXIT_CONNECT);
	CHECK_MSG(strstr(r.err, "cannot reach the node at "
				"http://127.0.0.1:1") != NULL,
		  "%s", r.err);
	run_release(&r);
	f.fail_with = CL_ERR_TIMEOUT;
	setenv("CLEARLINE_RPC", "http://10.0.0.1:9", 1);
	r = run_cli(&f, "markets", NULL);
	CHECK(r.rc == CL_CLI_EXIT_CONNECT);
	CHECK(strstr(r.err, "cannot reach the node at http://10.0.0.1:9"));
	run_release(&r);
	/* --rpc wins over the environment */
	r = run_cli(&f, "markets", "--rpc=http://h:1", NULL);
	CHECK(strstr(r.err, "cannot reach the node at http://h:1"));
	run_release(&r);
	unsetenv("CLEARLINE_RPC");
	r = run_cli(&f, "status", NULL);
	CHECK(strstr(r.err, "cannot reach the node at " CL_CLI_DEFAULT_RPC));
	run_release(&r);
	/* an answer too large is not a connection problem */
	f.fail_with = CL_ERR_CORRUPT;
	r = run_cli(&f, "status", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED);
	run_release(&r);
	fake_release(&f);

	/* a refusal and an unusable answer exit 1 */
	memset(&f, 0, sizeof(f));
	fake_error(&f, "l2_syncStatus",
		   "{\"code\":-32000,\"message\":\"node is syncing\"}");
	fake_answer(&f, "l2_getMarkets", "[]");
	r = run_cli(&f, "status", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED);
	CHECK(strstr(r.err, "node is syncing (code -32000)"));
	run_release(&r);
	r = run_cli(&f, "markets", NULL); /* l2_getConfig is missing */
	CHECK(r.rc == CL_CLI_EXIT_FAILED && strstr(r.err, "method not found"));
	run_release(&r);
	fake_release(&f);
}

static void test_keys(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], ks[300], ks2[300], pf[300], pspec[320];
	FILE *p;

	snprintf(dir, sizeof(dir), "%s/cl-cli-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(ks, sizeof(ks), "%s/key.json", dir);
	snprintf(ks2, sizeof(ks2), "%s/new.json", dir);
	snprintf(pf, sizeof(pf), "%s/pass", dir);
	snprintf(pspec, sizeof(pspec), "file:%s", pf);
	p = fopen(pf, "w");
	CHECK(p != NULL);
	if (!p)
		return;
	fputs("correct horse\n", p);
	fclose(p);
	setenv("CL_TEST_PASS", "wrong", 1);

	USAGE(0, "--keystore FILE is required", "key", "new");
	USAGE(0, "--keystore needs --passphrase", "key", "new", "--keystore",
	      ks2);
	USAGE(0, "--passphrase needs --keystore", "key", "new", "--passphrase",
	      pspec);
	USAGE(0, "--passphrase must be file:PATH or env:NAME", "key", "new",
	      "--keystore", ks2, "--passphrase", "hunter2");
	USAGE(0, "do not apply here", "key", "new", "--key-env", "X");
	USAGE(0, "choose one of", "key", "new", "--keystore", ks2,
	      "--passphrase", pspec, "--key-env", "X");
	USAGE(0, "unexpected argument", "key", "new", "extra");
	USAGE(0, "no key selected", "key", "address");
	USAGE(0, "--key-env: variable CL_TEST_UNSET is not set", "key",
	      "address", "--key-env", "CL_TEST_UNSET");
	setenv("CL_TEST_BADKEY", "0x1234", 1);
	USAGE(0, "does not hold a valid secret key", "key", "address",
	      "--key-env", "CL_TEST_BADKEY");
	USAGE(0, "--key: not a valid secret key", "key", "address", "--key",
	      "0xzz");
	USAGE(0, "choose one of --key, --key-env and --keystore", "key",
	      "address", "--key", DEV_KEY, "--key-env", "CL_TEST_KEY");

	struct fake_node f;
	struct run_out r;
	memset(&f, 0, sizeof(f));

	/* import: from stdin only, never from argv */
	r = run_cli_in(&f, "not a key\n", "key", "import", "--keystore", ks,
		       "--passphrase", pspec, NULL);
	CHECK(r.rc == CL_CLI_EXIT_USAGE &&
	      strstr(r.err, "stdin does not hold a valid secret key"));
	CHECK(access(ks, F_OK) != 0);
	run_release(&r);
	USAGE(0, "unexpected argument", "key", "import", DEV_KEY, "--keystore",
	      ks, "--passphrase", pspec);
	r = run_cli_in(&f, DEV_KEY "\n", "key", "import", "--keystore", ks,
		       "--passphrase", pspec, NULL);
	CHECK_MSG(r.rc == 0 && strcmp(r.out, DEV_ADDR "\n") == 0, "%s %s",
		  r.out, r.err);
	run_release(&r);
	/* never over an existing file */
	r = run_cli_in(&f, DEV_KEY, "key", "import", "--keystore", ks,
		       "--passphrase", pspec, NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED && strstr(r.err, "cannot create"));
	run_release(&r);

	/* address through the keystore; a wrong passphrase exits 1 */
	r = run_cli(&f, "key", "address", "--keystore", ks, "--passphrase",
		    pspec, NULL);
	CHECK_MSG(r.rc == 0 && strcmp(r.out, DEV_ADDR "\n") == 0, "%s", r.err);
	run_release(&r);
	r = run_cli(&f, "--json", "key", "address", "--keystore", ks,
		    "--passphrase", "env:CL_TEST_PASS", NULL);
	CHECK(r.rc == CL_CLI_EXIT_FAILED && strstr(r.err, "cannot unlock"));
	CHECK(r.outlen == 0);
	run_release(&r);
	r = run_cli(&f, "--json", "key", "address", "--key", DEV_KEY, NULL);
	CHECK(r.rc == 0 &&
	      strcmp(r.out, "{\"address\":\"" DEV_ADDR "\"}\n") == 0);
	CHECK(strstr(r.err, "warning: --key exposes the secret key"));
	CHECK(strstr(r.err, "ac0974bec39a17e3") == NULL);
	run_release(&r);

	/* new: a fresh key whose address the keystore gives back */
	r = run_cli(&f, "key", "new", "--keystore", ks2, "--passphrase", pspec,
		    NULL);
	CHECK(r.rc == 0 && r.outlen == CL_ADDRESS_STR_LEN + 1);
	char addr[64];
	snprintf(addr, sizeof(addr), "%s", r.out);
	run_release(&r);
	r = run_cli(&f, "key", "address", "--keystore", ks2, "--passphrase",
		    pspec, NULL);
	CHECK(r.rc == 0 && strcmp(r.out, addr) == 0);
	run_release(&r);
	CHECK(f.nrequests == 0);
	fake_release(&f);

	unlink(ks);
	unlink(ks2);
	unlink(pf);
	rmdir(dir);
}

#define HASH \
	"0x1111111111111111111111111111111111111111111111111111111111111111"
#define ADDR2 "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

static void test_commands(void)
{
	const char *k = "--key-env", *kv = "CL_TEST_KEY";

	/* order (and sign-order, which shares the checks) */
	USAGE(0, "missing arguments", "order", "BTC-PERP", "buy", "1", k, kv);
	USAGE(0, "unexpected argument '3'", "order", "BTC-PERP", "buy", "1",
	      "2", "3", k, kv);
	USAGE(0, "side must be buy or sell", "order", "BTC-PERP", "hold", "1",
	      "1", k, kv);
	USAGE(0, "price '1e5': not a plain decimal", "order", "BTC-PERP", "buy",
	      "1e5", "1", k, kv);
	USAGE(0, "price '-1': negative", "order", "BTC-PERP", "buy", "-1", "1",
	      k, kv);
	USAGE(0, "size '1.': not a plain decimal", "order", "BTC-PERP", "buy",
	      "1", "1.", k, kv);
	USAGE(0, "size '.5'", "sign-order", "BTC-PERP", "buy", "1", ".5", k,
	      kv);
	USAGE(0, "leading zeros", "order", "BTC-PERP", "buy", "065000", "1", k,
	      kv);
	USAGE(0, "choose one of --gtc, --ioc and --fok", "order", "BTC-PERP",
	      "buy", "1", "1", "--ioc", "--fok", k, kv);
	USAGE(0, "--post-only goes only with --gtc", "order", "BTC-PERP", "buy",
	      "1", "1", "--ioc", "--post-only", k, kv);
	USAGE(0, "--expiry: expected SECONDS or @UNIX", "order", "BTC-PERP",
	      "buy", "1", "1", "--expiry", "1h", k, kv);
	USAGE(0, "--expiry: expected SECONDS or @UNIX", "order", "BTC-PERP",
	      "buy", "1", "1", "--expiry", "0", k, kv);
	USAGE(0, "--nonce: not a decimal number", "order", "BTC-PERP", "buy",
	      "1", "1", "--nonce", "-1", k, kv);
	USAGE(0, "--nonce given twice", "order", "BTC-PERP", "buy", "1", "1",
	      "--nonce", "1", "--nonce", "2", k, kv);
	USAGE(0, "--agent-for: not an address", "order", "BTC-PERP", "buy", "1",
	      "1", "--agent-for", "bob", k, kv);
	USAGE(0, "does not apply here", "order", "BTC-PERP", "buy", "1", "1",
	      "--depth", "3", k, kv);
	USAGE(0, "no key selected", "order", "BTC-PERP", "buy", "1", "1");
	/* these need the market, so l2_getConfig comes first */
	USAGE(1, "unknown market 'DOGE' (the node has: BTC-PERP, ETH-PERP)",
	      "order", "DOGE", "buy", "1", "1", k, kv);
	USAGE(1, "unknown market '3'", "order", "3", "buy", "1", "1", k, kv);
	USAGE(1,
	      "price 65000.1234567: BTC-PERP allows at most 6 decimal "
	      "places",
	      "order", "BTC-PERP", "buy", "65000.1234567", "1", k, kv);
	USAGE(1, "not a multiple of the tick size 0.5", "order", "BTC-PERP",
	      "buy", "65000.1", "1", k, kv);
	USAGE(1, "not a multiple of the step size 0.00001", "order", "BTC-PERP",
	      "buy", "65000", "0.000001", k, kv);
	USAGE(1, "above the maximum order size 1000", "order", "BTC-PERP",
	      "buy", "65000", "1000.5", k, kv);
	USAGE(1, "price must be positive", "order", "BTC-PERP", "buy", "0", "1",
	      k, kv);
	USAGE(1, "size must be positive", "sign-order", "ETH-PERP", "sell", "1",
	      "0.0", k, kv);
	USAGE(1, "value too large", "order", "ETH-PERP", "sell",
	      "184467440737095516.16", "1", k, kv);

	/* cancel */
	USAGE(0, "missing arguments", "cancel", k, kv);
	USAGE(0, "ORDERHASH must be 0x and 64 hex digits", "cancel", "0x11", k,
	      kv);
	USAGE(0, "ORDERHASH must be", "cancel", HASH "11", k, kv);
	USAGE(0, "no key selected", "cancel", HASH);
	USAGE(0, "--agent-for: not an address", "cancel", HASH, "--agent-for",
	      "0x1234", k, kv);

	/* withdraw */
	USAGE(0, "missing arguments", "withdraw", k, kv);
	USAGE(0, "amount 'ten'", "withdraw", "ten", k, kv);
	USAGE(0, "amount '-5': negative", "withdraw", "-5", k, kv);
	USAGE(0, "--to: not an address", "withdraw", "5", "--to", "me", k, kv);
	/* a mistyped checksum is caught */
	USAGE(0, "--to: not an address", "withdraw", "5", "--to",
	      "0x70997970C51812dc3A010C7d01b50e0d17dc79c8", k, kv);
	USAGE(0, "no key selected", "withdraw", "5");
	USAGE(1, "at most 6 decimal places", "withdraw", "1.1234567", k, kv);
	USAGE(1, "amount must be positive", "withdraw", "0", k, kv);
	USAGE(0, "does not apply here", "withdraw", "5", "--expiry", "5", k,
	      kv);

	/* approve-agent */
	USAGE(0, "missing arguments", "approve-agent", "--expiry", "60", k, kv);
	USAGE(0, "--expiry is required", "approve-agent", ADDR2, k, kv);
	USAGE(0, "AGENT: not an address", "approve-agent", "carol", "--expiry",
	      "60", k, kv);
	USAGE(0, "--expiry: expected", "approve-agent", ADDR2, "--expiry",
	      "soon", k, kv);
	USAGE(0, "--expiry: expected", "approve-agent", ADDR2, "--expiry", "@",
	      k, kv);
	USAGE(0, "no key selected", "approve-agent", ADDR2, "--expiry", "60");

	/* account */
	USAGE(0, "not an address: 0x12", "account", "0x12");
	USAGE(0, "no key selected", "account");
	USAGE(0, "unexpected argument", "account", ADDR2, ADDR2);

	/* book */
	USAGE(0, "missing arguments", "book");
	USAGE(0, "--depth must be a number from 1 to 1000", "book", "1",
	      "--depth", "0");
	USAGE(0, "--depth must be", "book", "1", "--depth", "1001");
	USAGE(0, "--depth must be", "book", "1", "--depth", "ten");
	USAGE(1, "unknown market 'XRP'", "book", "XRP");

	/* status, markets, order-status, withdrawal-proof */
	USAGE(0, "missing arguments", "order-status");
	USAGE(0, "ORDERHASH must be", "order-status", "abc");
	USAGE(0, "missing arguments", "withdrawal-proof");
	USAGE(0, "ID must be a decimal number", "withdrawal-proof", "abc");
	USAGE(0, "ID must be a decimal number", "withdrawal-proof", "-1");
	USAGE(0, "ID must be a decimal number", "withdrawal-proof", "01");
	USAGE(0, "missing arguments", "exit-proof");
	USAGE(0, "not an address: 0x12", "exit-proof", "0x12");
	USAGE(0, "does not apply here", "markets", "--to", ADDR2);

	/* each usage error names the command's synopsis */
	USAGE(0, "usage: clearline-cli book SYMBOL|ID [--depth N]", "book");
}

int main(int argc, char **argv)
{
	CHECK(cl_crypto_init() == CL_OK);
	setenv("CL_TEST_KEY", DEV_KEY, 1);
	unsetenv("CLEARLINE_RPC");
	unsetenv("CL_TEST_UNSET");
	test_global();
	test_connection();
	test_keys();
	test_commands();
	return test_done("test_args");
}
