/* SPDX-License-Identifier: MIT */
#include "vharness.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <clearline/json.h>

/* anvil's accounts 7 and 8: two of the devnet genesis oracle signers */
#define ORACLE_KEY7 \
	"0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
/* anvil's account 3, the funder of deposits */
#define FUNDER_KEY3 \
	"0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
#define ORACLE_KEY8 \
	"0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"

static void die(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	exit(1);
}

void vh_sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

uint64_t vh_now_ms(void)
{
	return cl_clock_now_ms();
}

static uint64_t rnd(struct vh_env *e)
{
	/* xorshift64*: reproducible from the printed seed */
	e->rng ^= e->rng >> 12;
	e->rng ^= e->rng << 25;
	e->rng ^= e->rng >> 27;
	return e->rng * 2685821657736338717ull;
}

static uint64_t rnd_below(struct vh_env *e, uint64_t n)
{
	return rnd(e) % n;
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

static int spawn(struct vh_env *e, struct vh_node *n, const char *mode,
		 const char *const *extra)
{
	char port[16], l1s[32];
	const char *argv[96];
	size_t k = 0;

	/* CL_TEST_VERIFIER_BIN runs verifiers and replicas from another
	 * build (e.g. a sanitizer one) against this build's sequencer */
	const char *bin = e->bin, *vbin = getenv("CL_TEST_VERIFIER_BIN");
	if (vbin && strcmp(mode, "sequencer") != 0)
		bin = vbin;
	snprintf(port, sizeof(port), "%d", n->port);
	snprintf(l1s, sizeof(l1s), "%llu", (unsigned long long)e->deploy_block);
	argv[k++] = bin;
	argv[k++] = "--mode";
	argv[k++] = mode;
	argv[k++] = "--genesis";
	argv[k++] = e->genesis;
	argv[k++] = "--datadir";
	argv[k++] = n->dir;
	argv[k++] = "--rpc-port";
	argv[k++] = port;
	argv[k++] = "--l1-rpc";
	argv[k++] = e->a.url;
	argv[k++] = "--l1-start-block";
	argv[k++] = l1s;
	argv[k++] = "--l1-confirmations";
	argv[k++] = "1";
	argv[k++] = "--l1-poll-ms";
	argv[k++] = "200";
	argv[k++] = "--rpc-max-batch";
	argv[k++] = "1000";
	argv[k++] = "--map-size-mb";
	argv[k++] = "1024";
	for (size_t i = 0; extra && extra[i] && k < 94; i++)
		argv[k++] = extra[i];
	argv[k] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	n->pid = pid;
	anvil_track_child(pid, true);
	struct cl_l1_rpc_opts o;
	cl_l1_rpc_opts_default(&o);
	o.retries = 0;
	o.timeout_ms = 30000;
	cl_l1_rpc_free(n->rpc);
	n->rpc = cl_l1_rpc_new(n->url, &o);
	for (int i = 0; i < 400; i++) {
		json_t *res = NULL;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			anvil_track_child(pid, false);
			n->pid = 0;
			fprintf(stderr, "%s exited at start (see %s)\n",
				n->name, n->log);
			return -1;
		}
		if (cl_l1_rpc_call(n->rpc, &res, "l2_syncStatus", NULL) ==
		    CL_OK) {
			json_decref(res);
			return 0;
		}
		vh_sleep_ms(50);
	}
	fprintf(stderr, "%s did not answer (see %s)\n", n->name, n->log);
	return -1;
}

int vh_start(struct vh_env *e, struct vh_node *n, const char *name,
	     const char *mode, const char *const *extra)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->dir, sizeof(n->dir), "%s/%s", e->tmp, name);
	snprintf(n->log, sizeof(n->log), "%s/%s.log", e->tmp, name);
	n->port = anvil_free_port();
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%d", n->port);
	return spawn(e, n, mode, extra);
}

int vh_restart(struct vh_env *e, struct vh_node *n, const char *mode,
	       const char *const *extra)
{
	return spawn(e, n, mode, extra);
}

void vh_kill(struct vh_node *n, int sig)
{
	/* the client goes with the process (a restart makes a new one) */
	cl_l1_rpc_free(n->rpc);
	n->rpc = NULL;
	if (n->pid <= 0)
		return;
	kill(n->pid, sig);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(n->pid, NULL, WNOHANG) == n->pid)
			goto done;
		vh_sleep_ms(10);
	}
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
done:
	anvil_track_child(n->pid, false);
	n->pid = 0;
}

/* ------------------------------------------------------------------ */
/* JSON-RPC                                                            */
/* ------------------------------------------------------------------ */

int vh_call(struct vh_node *n, json_t **res, const char *method, json_t *params)
{
	json_t *r = NULL;
	if (!n->rpc) { /* the node was stopped */
		if (res)
			*res = NULL;
		json_decref(params);
		return CL_ERR_NET;
	}
	int rc = cl_l1_rpc_call(n->rpc, &r, method, params);
	if (res)
		*res = r;
	else
		json_decref(r);
	return rc;
}

static size_t grow(char *p, size_t sz, size_t nm, void *arg)
{
	struct cl_buf *b = arg;
	cl_buf_append(b, p, sz * nm);
	return sz * nm;
}

json_t *vh_batch(const char *url, json_t *calls)
{
	json_t *req = json_array();
	size_t i;
	json_t *c;

	json_array_foreach(calls, i, c)
	{
		json_t *o = json_deep_copy(c);
		json_object_set_new(o, "jsonrpc", json_string("2.0"));
		json_object_set_new(o, "id", json_integer((json_int_t)i));
		json_array_append_new(req, o);
	}
	char *body = cl_json_dump(req);
	json_decref(req);
	CURL *h = curl_easy_init();
	struct cl_buf out;
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: "
							 "application/json");
	cl_buf_init(&out);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(body);
	if (cc != CURLE_OK) {
		cl_buf_release(&out);
		return NULL;
	}
	json_t *ans = cl_json_load((const char *)out.p, out.len, NULL, 0);
	cl_buf_release(&out);
	if (!json_is_array(ans)) {
		json_decref(ans);
		return NULL;
	}
	/* put the answers in request order */
	json_t *sorted = json_array();
	for (i = 0; i < json_array_size(calls); i++)
		json_array_append_new(sorted, json_null());
	json_array_foreach(ans, i, c)
	{
		json_int_t id = json_integer_value(json_object_get(c, "id"));
		if (id >= 0 && (size_t)id < json_array_size(sorted))
			json_array_set(sorted, (size_t)id, c);
	}
	json_decref(ans);
	return sorted;
}

json_t *vh_status(struct vh_node *n)
{
	json_t *res = NULL;
	if (vh_call(n, &res, "l2_syncStatus", NULL) != CL_OK)
		return NULL;
	return res;
}

uint64_t vh_u64(const json_t *o, const char *key, uint64_t def)
{
	uint64_t v;
	const json_t *j = json_object_get(o, key);
	if (!j || json_is_null(j) || !cl_json_u64(&v, j))
		return def;
	return v;
}

size_t vh_log_count(const struct vh_node *n, const char *needle)
{
	FILE *f = fopen(n->log, "r");
	char line[4096];
	size_t c = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		c += strstr(line, needle) != NULL;
	fclose(f);
	return c;
}

bool vh_log_find(const struct vh_node *n, const char *needle, char *out,
		 size_t cap)
{
	FILE *f = fopen(n->log, "r");
	char line[4096];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strstr(line, needle)) {
			snprintf(out, cap, "%s", line);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------ */
/* L1                                                                  */
/* ------------------------------------------------------------------ */

int vh_view(struct vh_env *e, struct cl_buf *ret, const char *sig, bool has_arg,
	    uint64_t arg)
{
	struct cl_buf cd;
	uint8_t sel[4];
	cl_buf_init(&cd);
	cl_l1_selector(sel, sig);
	cl_buf_append(&cd, sel, 4);
	if (has_arg)
		cl_l1_abi_put_u64(&cd, arg);
	struct cl_l1_callreq req = {
	    .to = &e->rollup, .data = cd.p, .data_len = cd.len};
	int rc = cl_l1_eth_call(e->l1, ret, &req, CL_L1_LATEST);
	cl_buf_release(&cd);
	return rc;
}

uint64_t vh_view_u64(struct vh_env *e, const char *sig)
{
	struct cl_buf r;
	uint64_t v = 0;
	cl_buf_init(&r);
	if (vh_view(e, &r, sig, false, 0) != CL_OK ||
	    !cl_l1_abi_ret_u64(&v, r.p, r.len))
		v = UINT64_MAX;
	cl_buf_release(&r);
	return v;
}

static json_t *addr_json(const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(s, a);
	return json_string(s);
}

/* eth_sendTransaction from an unlocked anvil account. */
static int send_from(struct vh_env *e, const struct cl_address *from,
		     const struct cl_address *to, const struct cl_buf *data)
{
	json_t *tx = json_pack("{s:o,s:o,s:o}", "from", addr_json(from), "to",
			       addr_json(to), "data",
			       cl_json_from_bytes(data->p, data->len));
	json_t *res = NULL;
	int rc = cl_l1_rpc_call(e->l1, &res, "eth_sendTransaction",
				json_pack("[o]", tx));
	json_decref(res);
	return rc;
}

static void deploy(struct vh_env *e)
{
	char cmd[4096], addr0[CL_ADDRESS_STR_LEN + 1], build[512];
	cl_address_format(addr0, &e->funder);
	/* the build (BUILD/src/clearlined) has the tools deploy.js runs for
	 * the rollup's genesis hash and root and the verdict program's id */
	snprintf(build, sizeof(build), "%s", e->bin);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(build, '/');
		if (slash)
			*slash = 0;
	}
	snprintf(cmd, sizeof(cmd),
		 "node '%s/contrib/l1/deploy.js' --rpc-url %s --private-key %s "
		 "--challenge-period %llu --mint-to %s --mint-amount "
		 "1000000000000000 --build '%s' --genesis "
		 "'%s/genesis/devnet.json' --genesis-out '%s/genesis.json' "
		 "2>>'%s/deploy.log'",
		 e->root, e->a.url, ANVIL_KEY0,
		 (unsigned long long)e->challenge_period, addr0, build, e->root,
		 e->tmp, e->tmp);
	FILE *p = popen(cmd, "r");
	if (!p)
		die("cannot run deploy.js");
	struct cl_buf out;
	char buf[4096];
	size_t k;
	cl_buf_init(&out);
	while ((k = fread(buf, 1, sizeof(buf), p)) > 0)
		cl_buf_append(&out, buf, k);
	if (pclose(p) != 0)
		die("deploy.js failed (see deploy.log)");
	json_t *j = cl_json_load((const char *)out.p, out.len, NULL, 0);
	cl_buf_release(&out);
	const char *r = json_string_value(json_object_get(j, "rollup"));
	const char *t =
	    json_string_value(json_object_get(j, "collateralToken"));
	json_int_t b =
	    json_integer_value(json_object_get(j, "rollupDeployBlock"));
	if (!r || !t || !cl_address_parse(&e->rollup, r, strlen(r)) ||
	    !cl_address_parse(&e->token, t, strlen(t)))
		die("deploy.js printed no addresses");
	e->deploy_block = (uint64_t)b;
	json_decref(j);
}

static void write_genesis(struct vh_env *e)
{
	char path[700], rollup[CL_ADDRESS_STR_LEN + 1];
	snprintf(path, sizeof(path), "%s/genesis/devnet.json", e->root);
	json_t *g = cl_json_load_file(path, NULL, 0);
	if (!g)
		die("cannot read genesis/devnet.json");
	cl_address_format(rollup, &e->rollup);
	json_object_set_new(g, "rollup", json_string(rollup));
	snprintf(e->genesis, sizeof(e->genesis), "%s/genesis.json", e->tmp);
	if (json_dump_file(g, e->genesis, JSON_INDENT(2)) != 0)
		die("cannot write the genesis");
	json_decref(g);
}

static void keystore(struct vh_env *e, char *path, size_t cap, const char *name,
		     const char *hex)
{
	struct cl_passphrase *pass;
	struct cl_kdf_params kp = {CL_KDF_OPSLIMIT_MIN, CL_KDF_MEMLIMIT_MIN};
	struct cl_seckey *k = anvil_key(hex);
	snprintf(path, cap, "%s/%s.keystore", e->tmp, name);
	if (!cl_passphrase_new(&pass, "verifier-test", 13) ||
	    cl_keystore_create(NULL, path, k, pass, &kp) != CL_OK)
		die("cannot write a keystore");
	cl_passphrase_free(pass);
	cl_seckey_free(k);
}

void vh_setup(struct vh_env *e, const char *root, const char *bin,
	      uint64_t challenge_period)
{
	static const char *const anvil_args[] = {"--block-time", "1", NULL};
	char seedtxt[32];
	const char *s = getenv("CL_TEST_SEED");

	memset(e, 0, sizeof(*e));
	e->root = root;
	e->bin = bin;
	e->challenge_period = challenge_period;
	e->rng = s ? strtoull(s, NULL, 10) : cl_clock_now_ms();
	if (e->rng == 0)
		e->rng = 1;
	snprintf(seedtxt, sizeof(seedtxt), "%llu", (unsigned long long)e->rng);
	printf("seed %s (set CL_TEST_SEED to repeat)\n", seedtxt);
	fflush(stdout);
	e->tmp = anvil_tmpdir();
	printf("work folder %s\n", e->tmp);
	anvil_find(&e->a, root);
	if (anvil_start(&e->a, anvil_args) != 0)
		die("anvil did not start");
	e->l1 = cl_l1_rpc_new(e->a.url, NULL);
	/* the funder is not the sequencer's key: their nonces would clash */
	struct cl_seckey *k3 = anvil_key(FUNDER_KEY3);
	cl_seckey_address(&e->funder, k3);
	cl_seckey_free(k3);
	deploy(e);
	write_genesis(e);
	keystore(e, e->ks_seq, sizeof(e->ks_seq), "sequencer", ANVIL_KEY0);
	keystore(e, e->ks_ver, sizeof(e->ks_ver), "verifier", ANVIL_KEY1);
	snprintf(e->pass, sizeof(e->pass), "file:%s/pass", e->tmp);
	FILE *f = fopen(e->pass + 5, "w");
	if (!f || fputs("verifier-test\n", f) < 0 || fclose(f) != 0)
		die("cannot write the passphrase file");
	cl_eip712_domain_init(&e->dom, 31337, &e->rollup);

	e->n_traders = VH_TRADERS;
	for (size_t i = 0; i < e->n_traders; i++) {
		uint8_t b[32];
		uint8_t in[16];
		cl_put_be64(in, e->rng);
		cl_put_be64(in + 8, i);
		cl_keccak256(b, in, sizeof(in));
		if (!cl_seckey_new_from_bytes(&e->tr[i].key, b))
			die("bad trader key");
		cl_seckey_address(&e->tr[i].addr, e->tr[i].key);
	}
	e->oracle[0] = anvil_key(ORACLE_KEY7);
	e->oracle[1] = anvil_key(ORACLE_KEY8);
	e->mid[1] = 600000;
	e->mid[2] = 300000;
	e->mid[3] = 150000;
}

void vh_teardown(struct vh_env *e)
{
	anvil_stop(&e->a);
	for (size_t i = 0; i < e->n_traders; i++)
		cl_seckey_free(e->tr[i].key);
	cl_seckey_free(e->oracle[0]);
	cl_seckey_free(e->oracle[1]);
	cl_l1_rpc_free(e->l1);
	if (getenv("CL_TEST_KEEP") == NULL)
		anvil_rmdir(e->tmp);
	free(e->tmp);
}

int vh_deposit(struct vh_env *e, struct vh_node *seq, size_t from, size_t to,
	       uint64_t amount)
{
	struct cl_buf cd;
	uint8_t max[32];

	memset(max, 0xff, sizeof(max));
	cl_buf_init(&cd);
	uint8_t sel[4];
	cl_l1_selector(sel, CL_L1_SIG_ERC20_APPROVE);
	cl_buf_append(&cd, sel, 4);
	cl_l1_abi_put_address(&cd, &e->rollup);
	cl_l1_abi_put_u256(&cd, max);
	if (send_from(e, &e->funder, &e->token, &cd) != CL_OK)
		return -1;
	for (size_t i = from; i < to; i++) {
		cl_buf_reset(&cd);
		cl_l1_abi_deposit(&cd, &e->tr[i].addr, amount);
		if (send_from(e, &e->funder, &e->rollup, &cd) != CL_OK)
			return -1;
	}
	cl_buf_release(&cd);
	/* wait for the last one to be credited */
	for (int i = 0; i < 600; i++) {
		json_t *res = NULL;
		char a[CL_ADDRESS_STR_LEN + 1];
		cl_address_format(a, &e->tr[to - 1].addr);
		if (vh_call(seq, &res, "l2_getAccount", json_pack("[s]", a)) ==
		    CL_OK) {
			uint64_t c = vh_u64(res, "collateral", 0);
			json_decref(res);
			if (c >= amount)
				return 0;
		}
		vh_sleep_ms(100);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Signed writes                                                       */
/* ------------------------------------------------------------------ */

static json_t *sig_json(const struct cl_sig *s)
{
	return cl_json_from_bytes(s->b, CL_SIG_LEN);
}

static json_t *call(const char *method, json_t *params)
{
	return json_pack("{s:s,s:o}", "method", method, "params", params);
}

void vh_oracle(struct vh_env *e, struct vh_node *seq)
{
	uint64_t now = vh_now_ms() / 1000 - 1;
	json_t *calls = json_array();

	for (uint32_t m = 1; m <= 3; m++) {
		if (now <= e->oracle_ts[m])
			continue;
		e->oracle_ts[m] = now;
		/* the mark drifts a little with the book's mid */
		struct cl_oracle_price op = {m, e->mid[m], now};
		struct cl_hash32 sh, d;
		cl_oracle_price_struct_hash(&sh, &op);
		cl_eip712_digest(&d, &e->dom, &sh);
		json_t *sigs = json_array();
		for (int k = 0; k < 2; k++) {
			struct cl_sig s;
			if (cl_sign_digest(&s, e->oracle[k], &d) != CL_OK)
				die("cannot sign");
			json_array_append_new(sigs, sig_json(&s));
		}
		json_array_append_new(
		    calls,
		    call("l2_submitOraclePrice",
			 json_pack("[{s:i,s:o,s:o},o]", "market", (int)m,
				   "price", cl_json_from_u64(op.price),
				   "timestamp", cl_json_from_u64(op.timestamp),
				   sigs)));
	}
	if (json_array_size(calls)) {
		json_t *ans = vh_batch(seq->url, calls);
		size_t i;
		json_t *a;
		json_array_foreach(ans, i, a) if (json_object_get(a, "result"))
		{
			e->oracles++;
			e->accepted_txs++;
		}
		json_decref(ans);
	}
	json_decref(calls);
}

static json_t *order_call(struct vh_env *e, size_t t, uint32_t market, bool buy,
			  uint64_t price, uint64_t size, uint8_t flags)
{
	struct cl_order o = {
	    .trader = e->tr[t].addr,
	    .market = market,
	    .is_buy = buy,
	    .price = price,
	    .size = size,
	    .nonce = ++e->order_nonce,
	    .expiry = vh_now_ms() / 1000 + 3600,
	    .flags = flags,
	};
	struct cl_hash32 d;
	struct cl_sig s;
	cl_order_digest(&d, &e->dom, &o);
	if (cl_sign_digest(&s, e->tr[t].key, &d) != CL_OK)
		die("cannot sign");
	return call("l2_submitOrder",
		    json_pack("[{s:o,s:i,s:b,s:o,s:o,s:o,s:o,s:i},o]", "trader",
			      addr_json(&o.trader), "market", (int)market,
			      "isBuy", buy, "price", cl_json_from_u64(price),
			      "size", cl_json_from_u64(size), "nonce",
			      cl_json_from_u64(o.nonce), "expiry",
			      cl_json_from_u64(o.expiry), "flags", (int)flags,
			      sig_json(&s)));
}

json_t *vh_order_call(struct vh_env *e, size_t t, uint32_t market, bool buy,
		      uint64_t price, uint64_t size, uint8_t flags)
{
	return order_call(e, t, market, buy, price, size, flags);
}

static json_t *cancel_call(struct vh_env *e, size_t idx)
{
	size_t t = e->resting_owner[idx];
	struct cl_cancel c = {e->tr[t].addr, e->resting[idx]};
	struct cl_hash32 sh, d;
	struct cl_sig s;
	cl_cancel_struct_hash(&sh, &c);
	cl_eip712_digest(&d, &e->dom, &sh);
	if (cl_sign_digest(&s, e->tr[t].key, &d) != CL_OK)
		die("cannot sign");
	return call("l2_cancelOrder",
		    json_pack("[{s:o,s:o},o]", "trader", addr_json(&c.trader),
			      "orderHash",
			      cl_json_from_bytes(c.order_hash.b, 32),
			      sig_json(&s)));
}

static json_t *withdraw_call(struct vh_env *e, size_t t)
{
	struct cl_withdraw w = {e->tr[t].addr, e->tr[t].addr, 1000,
				e->tr[t].nonce};
	struct cl_hash32 sh, d;
	struct cl_sig s;
	cl_withdraw_struct_hash(&sh, &w);
	cl_eip712_digest(&d, &e->dom, &sh);
	if (cl_sign_digest(&s, e->tr[t].key, &d) != CL_OK)
		die("cannot sign");
	return call("l2_withdraw",
		    json_pack("[{s:o,s:o,s:o,s:o},o]", "trader",
			      addr_json(&w.trader), "recipient",
			      addr_json(&w.recipient), "amount",
			      cl_json_from_u64(w.amount), "nonce",
			      cl_json_from_u64(w.nonce), sig_json(&s)));
}

enum kind { K_ORDER, K_CANCEL, K_WITHDRAW };

void vh_traffic(struct vh_env *e, struct vh_node *seq, size_t n)
{
	json_t *calls = json_array();
	enum kind *kinds = cl_xcalloc(n, sizeof(*kinds));
	size_t *who = cl_xcalloc(n, sizeof(*who));
	bool *withdrawing = cl_xcalloc(e->n_traders, sizeof(bool));

	vh_oracle(e, seq);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd_below(e, 100);
		if (r < 10 && e->n_resting > 0) {
			size_t idx = rnd_below(e, e->n_resting);
			kinds[i] = K_CANCEL;
			who[i] = idx;
			json_array_append_new(calls, cancel_call(e, idx));
			/* forget it: cancelled or it fails */
			e->resting[idx] = e->resting[e->n_resting - 1];
			e->resting_owner[idx] =
			    e->resting_owner[e->n_resting - 1];
			e->n_resting--;
			continue;
		}
		size_t t = rnd_below(e, e->n_traders);
		if (r < 13 && !withdrawing[t]) {
			withdrawing[t] = true;
			kinds[i] = K_WITHDRAW;
			who[i] = t;
			json_array_append_new(calls, withdraw_call(e, t));
			continue;
		}
		uint32_t m = 1 + (uint32_t)rnd_below(e, 3);
		bool buy = rnd_below(e, 2);
		uint64_t spread = e->mid[m] / 1000;
		uint64_t off = rnd_below(e, spread + 1);
		/* buyers bid below the mid, sellers ask above, and a
		 * third of the orders cross */
		bool cross = rnd_below(e, 3) == 0;
		uint64_t price =
		    (buy ^ cross) ? e->mid[m] - off : e->mid[m] + off;
		uint64_t size = 1 + rnd_below(e, 40);
		uint64_t f = rnd_below(e, 100);
		uint8_t flags = f < 65	 ? 0
				: f < 85 ? (1u << 2)
				: f < 90 ? (2u << 2)
					 : 0x02;
		kinds[i] = K_ORDER;
		who[i] = t;
		json_array_append_new(
		    calls, order_call(e, t, m, buy, price, size, flags));
		/* a slow random walk of the mid */
		if (rnd_below(e, 50) == 0)
			e->mid[m] += rnd_below(e, 2) ? e->mid[m] / 2000
						     : -(e->mid[m] / 2000);
	}
	json_t *ans = vh_batch(seq->url, calls);
	for (size_t i = 0; ans && i < n; i++) {
		json_t *res = json_object_get(json_array_get(ans, i), "result");
		if (!res)
			continue;
		switch (kinds[i]) {
		case K_ORDER: {
			e->orders++;
			e->accepted_txs++;
			const char *st =
			    json_string_value(json_object_get(res, "status"));
			/* its fills and closure are derived by every node:
			 * only the request travels in the batch */
			if (st && strcmp(st, "open") == 0 &&
			    e->n_resting < VH_MAX_RESTING) {
				const char *h = json_string_value(
				    json_object_get(res, "orderHash"));
				if (h && cl_hex_decode(
					     e->resting[e->n_resting].b, 32, h,
					     strlen(h), CL_HEX_0X)) {
					e->resting_owner[e->n_resting] =
					    (uint8_t)who[i];
					e->n_resting++;
				}
			}
			break;
		}
		case K_CANCEL:
			e->cancels++;
			e->accepted_txs++;
			break;
		case K_WITHDRAW:
			e->withdrawals++;
			e->accepted_txs++;
			e->tr[who[i]].nonce++;
			break;
		}
	}
	json_decref(ans);
	json_decref(calls);
	free(kinds);
	free(who);
	free(withdrawing);
}
