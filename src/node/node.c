/* SPDX-License-Identifier: MIT */
/* clearlined: configuration, start-up, the three modes, shutdown. */
#include <clearline/api.h>
#include <clearline/node.h>
#include <clearline/sequencer.h>
#include <clearline/verifier.h>
#include <clearline/ws.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const SUB = "node";

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[512];

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n < 16) {
		explicit_bzero(buf, sizeof(buf));
		return NULL; /* too short to be a secret */
	}
	char *t = cl_xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return t;
}

static int load_key(struct cl_seckey **key, const struct cl_node_config *cfg)
{
	struct cl_passphrase *pass = NULL;
	int rc = cl_passphrase_load(&pass, cfg->l1_passphrase);
	if (rc == CL_OK)
		rc = cl_keystore_unlock(key, cfg->l1_keystore, pass);
	cl_passphrase_free(pass);
	if (rc)
		cl_unusual(SUB, "cannot unlock the keystore %s: %s",
			   cfg->l1_keystore, cl_keystore_err_str(rc));
	return rc;
}

static int start_rpc(struct cl_rpc_server **srv, char **token,
		     const struct cl_node_config *cfg, struct cl_api *api)
{
	struct cl_rpc_config rcfg;
	cl_rpc_config_defaults(&rcfg);
	rcfg.bind_addr = cfg->rpc_bind;
	rcfg.port = (uint16_t)cfg->rpc_port;
	rcfg.max_body = cfg->rpc_max_body;
	rcfg.max_batch = (unsigned)cfg->rpc_max_batch;
	rcfg.max_depth = (unsigned)cfg->rpc_max_depth;
	rcfg.max_conns = (unsigned)cfg->rpc_max_conns;
	rcfg.max_conns_per_ip = (unsigned)cfg->rpc_max_conns_per_ip;
	rcfg.idle_timeout_s = (unsigned)cfg->rpc_idle_s;
	rcfg.header_timeout_s = (unsigned)cfg->rpc_header_s;
	rcfg.body_timeout_s = (unsigned)cfg->rpc_body_s;
	rcfg.send_timeout_s = (unsigned)cfg->rpc_send_s;
	struct cl_api_write_limits wl = {
		.account = {.per_s = (uint32_t)cfg->rate_orders_account,
			    .burst = (uint32_t)cfg->rate_orders_account_burst},
		.connection = {.per_s = (uint32_t)cfg->rate_orders_conn,
			       .burst = (uint32_t)cfg->rate_orders_conn_burst},
	};
	cl_api_limits_init(api, &wl);
	cl_api_exit_init(api, cfg->l1_rpc, cfg->l1_start_block,
			 cfg->l1_log_range);
	rcfg.rate_per_ip = (unsigned)cfg->rpc_rate_per_ip;
	rcfg.rate_burst = (unsigned)cfg->rpc_rate_burst;
	if (cfg->rpc_threads)
		rcfg.threads = (unsigned)cfg->rpc_threads;
	rcfg.operator_loopback = cfg->rpc_operator_loopback;
	if (cfg->rpc_token_file) {
		*token = read_token(cfg->rpc_token_file);
		if (!*token) {
			cl_unusual(SUB, "cannot read an operator token of at "
				   "least 16 characters from %s",
				   cfg->rpc_token_file);
			return CL_ERR_CONFIG;
		}
		rcfg.operator_token = *token;
	}
	size_t nm;
	const struct cl_rpc_method *methods = cl_api_methods(&nm);
	return cl_rpc_server_new(srv, &rcfg, methods, nm, api);
}

/* Start the WebSocket endpoint when ws-port is set (*ws stays NULL
 * otherwise). */
static int start_ws(struct cl_ws_server **ws, const struct cl_node_config *cfg,
		    const struct cl_chain_reader *reader,
		    struct cl_rpc_server *rpc, bool block_hook)
{
	struct cl_ws_config wc;
	uint64_t port;

	*ws = NULL;
	if (!cfg->ws_port)
		return CL_OK;
	if (!cl_parse_u64(&port, cfg->ws_port, strlen(cfg->ws_port)) ||
	    port > 65535) {
		cl_unusual(SUB, "option ws-port: expected a port number "
			   "0..65535");
		return CL_ERR_CONFIG;
	}
	cl_ws_config_defaults(&wc);
	wc.bind_addr = cfg->ws_bind;
	wc.port = (uint16_t)port;
	wc.max_clients = (unsigned)cfg->ws_max_clients;
	wc.max_msg_bytes = cfg->ws_max_msg_bytes;
	wc.queue_bytes = cfg->ws_queue_bytes;
	wc.queue_msgs = (unsigned)cfg->ws_queue_msgs;
	wc.history = (unsigned)cfg->ws_history;
	wc.max_subs = (unsigned)cfg->ws_max_subs;
	wc.max_accounts = (unsigned)cfg->ws_max_accounts;
	wc.max_inflight = (unsigned)cfg->ws_max_inflight;
	wc.orders.per_s = (uint32_t)cfg->rate_orders_conn;
	wc.orders.burst = (uint32_t)cfg->rate_orders_conn_burst;
	wc.ping_s = (unsigned)cfg->ws_ping_s;
	wc.timeout_s = (unsigned)cfg->ws_timeout_s;
	wc.block_hook = block_hook;
	if (wc.timeout_s <= wc.ping_s) {
		cl_unusual(SUB, "option ws-timeout-s must be above ws-ping-s");
		return CL_ERR_CONFIG;
	}
	return cl_ws_server_new(ws, &wc, reader, rpc);
}

/* Start the metrics endpoint when metrics-port is set (*m stays NULL
 * otherwise); the WebSocket endpoint's counters come through `ws`. */
static int start_metrics(struct cl_metrics_server **m,
			 const struct cl_node_config *cfg,
			 const struct cl_api *api, struct cl_seq *seq,
			 struct cl_l1_driver *l1, struct cl_rpc_server *rpc,
			 struct cl_ws_server *ws)
{
	uint64_t port;

	*m = NULL;
	if (!cfg->metrics_port)
		return CL_OK;
	if (!cl_parse_u64(&port, cfg->metrics_port,
			  strlen(cfg->metrics_port)) ||
	    port > 65535) {
		cl_unusual(SUB, "option metrics-port: expected a port number "
			   "0..65535");
		return CL_ERR_CONFIG;
	}
	struct cl_metrics_config mc = {
		.bind_addr = cfg->metrics_bind,
		.port = (uint16_t)port,
		.mode = api->mode_name,
		.reader = &api->reader,
		.seq = seq,
		.l1 = l1,
		.rpc = rpc,
		.api = api,
		.extra = ws ? cl_ws_metrics : NULL,
		.extra_arg = ws,
	};
	return cl_metrics_server_new(m, &mc);
}

/* The sequencer's block hook is registered before its writer starts,
 * the WebSocket endpoint only after the RPC server: this relays to it
 * once it exists. */
static _Atomic(struct cl_ws_server *) ws_relay_target;

static void ws_relay(void *arg, const struct cl_seq_block_event *ev)
{
	struct cl_ws_server *ws = atomic_load(&ws_relay_target);
	(void)arg;
	if (ws)
		cl_ws_on_block(ws, ev);
}

static int run_sequencer(const struct cl_node_config *cfg,
			 const struct cl_genesis *g, struct cl_db *db,
			 const sigset_t *sigs)
{
	struct cl_seq_config sc;
	struct cl_seq *seq = NULL;
	struct cl_l1_driver *l1 = NULL;
	struct cl_seckey *key = NULL;
	struct cl_rpc_server *srv = NULL;
	struct cl_ws_server *ws = NULL;
	struct cl_metrics_server *metrics = NULL;
	struct cl_api api;
	char *token = NULL;
	int rc, status = 1;

	memset(&api, 0, sizeof(api));
	cl_seq_config_defaults(&sc);
	sc.block_interval_ms = cfg->block_interval_ms;
	sc.block_max_txs = cfg->block_max_txs;
	sc.queue_max = cfg->queue_max;
	sc.keep_blocks = cfg->keep_blocks;
	sc.archive_blocks = cfg->archive_blocks;
	if (cfg->fault && !cfg->l1_rpc) {
		cl_unusual(SUB, "option fault corrupts posted batches: it "
			   "needs l1-rpc");
		goto out;
	}
	if (cfg->l1_rpc) {
		if (cfg->dev_credit) {
			cl_unusual(SUB, "dev-credit is for a node without an "
				   "L1: deposits come from L1");
			goto out;
		}
		if (!cfg->l1_keystore || !cfg->l1_passphrase) {
			cl_unusual(SUB, "l1-rpc needs l1-keystore and "
				   "l1-passphrase (the sequencer's key)");
			goto out;
		}
		if (load_key(&key, cfg))
			goto out;
		if (cfg->fault && g->l1_chain_id != 31337) {
			cl_unusual(SUB, "option fault is for tests on a devnet "
				   "genesis (l1ChainId 31337) only");
			goto out;
		}
		if (cfg->fault && !cl_seq_fault_valid(cfg->fault)) {
			cl_unusual(SUB, "option fault: expected KIND[:AT] with "
				   "KIND root, block-root, balance, drop, "
				   "signature, time, l1-ref or "
				   "withdrawal-root");
			goto out;
		}
		sc.cut_interval_ms = cfg->batch_interval_ms;
		sc.wait_for_l1 = true;
	}
	if (cfg->censor) {
		if (g->l1_chain_id != 31337) {
			cl_unusual(SUB, "option censor is for tests on a devnet "
				   "genesis (l1ChainId 31337) only");
			goto out;
		}
		if (!cl_address_parse(&sc.censored, cfg->censor,
				      strlen(cfg->censor))) {
			cl_unusual(SUB, "option censor: expected a 0x address");
			goto out;
		}
		sc.censor = true;
		cl_unusual(SUB, "censor: refusing every request of %s and its "
			   "forced requests (tests only)", cfg->censor);
	}
	if (cfg->l1_rpc) {
		/* transaction bytes before a cut, leaving room for the
		 * block headers, the ABI and the zstd frame */
		sc.cut_max_bytes = cfg->batch_max_bytes * 9 / 10;
		sc.cut_target_bytes = cfg->batch_target_bytes;
	}
	rc = cl_seq_new(&seq, &sc, db, g);
	if (rc)
		goto out;
	if (cfg->ws_port)
		cl_seq_on_block(seq, ws_relay, NULL);
	rc = cl_seq_start(seq);
	if (rc)
		goto out;
	if (cfg->l1_rpc) {
		struct cl_l1_driver_config lc = {
			.url = cfg->l1_rpc,
			.datadir = cfg->datadir,
			.key = key,
			.rollup = g->rollup,
			.chain_id = g->l1_chain_id,
			.confirmations = cfg->l1_confirmations,
			.ref_lag = cfg->l1_ref_lag,
			.poll_ms = cfg->l1_poll_ms,
			.start_block = cfg->l1_start_block,
			.max_fee_wei = cfg->l1_max_fee_gwei * 1000000000ull,
			.drop_timeout_ms = cfg->l1_drop_timeout_ms,
			.batches_in_flight = (size_t)cfg->l1_batches_in_flight,
			.zstd_level = (int)cfg->batch_zstd_level,
			.max_calldata = cfg->batch_max_bytes,
			.fault = cfg->fault,
			.censor = sc.censor ? &sc.censored : NULL,
			.game_program = cfg->game_program,
		};
		rc = cl_l1_driver_start(&l1, &lc, seq);
		if (rc)
			goto out;
	}

	api.seq = seq;
	cl_seq_reader(&api.reader, seq, l1);
	api.genesis = g;
	api.dev_credit = cfg->dev_credit;
	api.mode_name = "sequencer";
	if (cfg->collateral_token) {
		if (!cl_address_parse(&api.collateral_token,
				      cfg->collateral_token,
				      strlen(cfg->collateral_token))) {
			cl_unusual(SUB, "option collateral-token: not an "
				   "address");
			goto out;
		}
		api.has_token = true;
	}

	rc = start_rpc(&srv, &token, cfg, &api);
	if (rc)
		goto out;
	rc = start_ws(&ws, cfg, &api.reader, srv, true);
	if (rc)
		goto out;
	if (ws)
		atomic_store(&ws_relay_target, ws);
	rc = start_metrics(&metrics, cfg, &api, seq, l1, srv, ws);
	if (rc)
		goto out;
	cl_info(SUB, "ready: sequencer serving JSON-RPC on %s:%u",
		cfg->rpc_bind, cl_rpc_server_port(srv));

	int sig = 0;
	while (sigwait(sigs, &sig) != 0)
		;
	cl_info(SUB, "signal %d: shutting down", sig);
	status = 0;
out:
	/* no new connections; the sequencer answers every queued call (its
	 * last block is sealed first), and every answer is sent before the
	 * server stops */
	/* the metrics read everything below: they stop first */
	cl_metrics_server_free(metrics);
	if (srv)
		cl_rpc_server_quiesce(srv);
	cl_l1_driver_stop(l1);
	if (seq)
		cl_seq_stop(seq);
	if (srv && !cl_rpc_server_drain(srv, 10000))
		cl_unusual(SUB, "some answers were not sent before shutdown");
	/* the writer is stopped: no block comes any more, and every
	 * JSON-RPC answer for a WebSocket client is in its inbox */
	atomic_store(&ws_relay_target, NULL);
	cl_ws_server_free(ws);
	cl_rpc_server_free(srv);
	cl_api_limits_release(&api);
	cl_api_exit_release(&api);
	cl_seq_free(seq);
	cl_seckey_free(key);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return status;
}

static int run_verifier(const struct cl_node_config *cfg,
			const struct cl_genesis *g, struct cl_db *db,
			const sigset_t *sigs, bool replica)
{
	struct cl_verifier_config vc;
	struct cl_verifier *ver = NULL;
	struct cl_seckey *key = NULL;
	struct cl_rpc_server *srv = NULL;
	struct cl_ws_server *ws = NULL;
	struct cl_metrics_server *metrics = NULL;
	struct cl_api api;
	char *token = NULL;
	const char *name = replica ? "replica" : "verifier";
	int rc, status = 1;

	memset(&api, 0, sizeof(api));
	if (!cfg->l1_rpc) {
		cl_unusual(SUB, "a %s needs l1-rpc: it derives everything "
			   "from L1", name);
		status = 2;
		goto out;
	}
	if (cfg->dev_credit || cfg->fault || cfg->censor) {
		cl_unusual(SUB, "dev-credit, fault and censor are sequencer "
			   "options");
		status = 2;
		goto out;
	}
	if (cfg->l1_keystore && !cfg->l1_passphrase) {
		cl_unusual(SUB, "l1-keystore needs l1-passphrase");
		status = 2;
		goto out;
	}
	if (cfg->l1_keystore && load_key(&key, cfg))
		goto out;
	if (!key)
		cl_unusual(SUB, "no l1-keystore: a wrong batch is reported "
			   "but not challenged");
	cl_verifier_config_defaults(&vc);
	vc.replica = replica;
	vc.l1_url = cfg->l1_rpc;
	vc.datadir = cfg->datadir;
	vc.key = key;
	vc.confirmations = cfg->l1_confirmations;
	vc.poll_ms = cfg->l1_poll_ms;
	vc.start_block = cfg->l1_start_block;
	vc.log_range = cfg->l1_log_range;
	vc.max_fee_wei = cfg->l1_max_fee_gwei * 1000000000ull;
	vc.drop_timeout_ms = cfg->l1_drop_timeout_ms;
	vc.progress_ms = cfg->progress_ms;
	vc.game_program = cfg->game_program;
	rc = cl_verifier_new(&ver, &vc, db, g);
	if (rc)
		goto out;
	rc = cl_verifier_start(ver);
	if (rc)
		goto out;

	cl_verifier_reader(&api.reader, ver);
	api.genesis = g;
	api.mode_name = name;
	api.sequencer_url = cfg->sequencer_url;
	if (cfg->collateral_token) {
		if (!cl_address_parse(&api.collateral_token,
				      cfg->collateral_token,
				      strlen(cfg->collateral_token))) {
			cl_unusual(SUB, "option collateral-token: not an "
				   "address");
			goto out;
		}
		api.has_token = true;
	}
	rc = start_rpc(&srv, &token, cfg, &api);
	if (rc)
		goto out;
	rc = start_ws(&ws, cfg, &api.reader, srv, false);
	if (rc)
		goto out;
	rc = start_metrics(&metrics, cfg, &api, NULL, NULL, srv, ws);
	if (rc)
		goto out;
	cl_info(SUB, "ready: %s serving JSON-RPC on %s:%u", name,
		cfg->rpc_bind, cl_rpc_server_port(srv));

	int sig = 0;
	while (sigwait(sigs, &sig) != 0)
		;
	cl_info(SUB, "signal %d: shutting down", sig);
	status = 0;
out:
	cl_metrics_server_free(metrics);
	cl_ws_server_free(ws);
	cl_rpc_server_free(srv);
	cl_api_limits_release(&api);
	cl_api_exit_release(&api);
	cl_verifier_free(ver);
	cl_seckey_free(key);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return status;
}

int cl_node_main(int argc, char **argv)
{
	struct cl_node_config cfg;
	size_t nopts;
	const struct cl_opt *opts = cl_node_options(&nopts);
	char err[512];
	bool help;
	int status = 1;

	memset(&cfg, 0, sizeof(cfg));
	if (cl_config_defaults(&cfg, opts, nopts))
		return 1;
	if (cl_config_parse_args(&cfg, opts, nopts, argc, argv, &help, err,
				 sizeof(err))) {
		fprintf(stderr, "clearlined: %s\n", err);
		cl_config_release(&cfg, opts, nopts);
		return 2;
	}
	if (help) {
		printf("usage: clearlined --genesis FILE [--option=value ...]\n"
		       "       (options also from --config FILE, one "
		       "name=value per line)\n\n");
		fflush(stdout);
		cl_config_print_help(opts, nopts, 1);
		cl_config_release(&cfg, opts, nopts);
		return 0;
	}
	cl_log_min_level = (int)cfg.log_level;
	if (!cfg.genesis) {
		fprintf(stderr, "clearlined: --genesis FILE is required\n");
		cl_config_release(&cfg, opts, nopts);
		return 2;
	}
	cl_config_log(&cfg, opts, nopts, SUB);

	/* signals are taken by sigwait() in this thread only */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct cl_genesis *g = cl_xcalloc(1, sizeof(*g));
	struct cl_db *db = NULL;
	if (cl_crypto_init() != CL_OK || cl_l1_global_init() != CL_OK)
		goto out;
	if (cl_genesis_load(g, cfg.genesis, err, sizeof(err))) {
		cl_unusual(SUB, "%s", err);
		goto out;
	}
	struct cl_db_config dbc = {
		.path = cfg.datadir,
		.map_size = cfg.map_size_mb << 20,
		.checkpoint_ms = (unsigned)cfg.checkpoint_ms,
		.checkpoint_bytes = cfg.checkpoint_mb << 20,
	};
	if (cl_db_new(&db, &dbc) != CL_OK)
		goto out;

	switch ((enum cl_node_mode)cfg.mode) {
	case CL_MODE_SEQUENCER:
		status = run_sequencer(&cfg, g, db, &sigs);
		break;
	case CL_MODE_VERIFIER:
		status = run_verifier(&cfg, g, db, &sigs, false);
		break;
	case CL_MODE_REPLICA:
		status = run_verifier(&cfg, g, db, &sigs, true);
		break;
	}
out:
	cl_db_free(db);
	free(g);
	cl_config_release(&cfg, opts, nopts);
	cl_info(SUB, "stopped");
	return status;
}
