/* SPDX-License-Identifier: MIT */
/* clearlined's option table: one list drives flags, config files, --help
 * and the startup log (docs/operations.md lists them). */
#include <clearline/node.h>

#include <stddef.h>

static const char *const modes[] = {"sequencer", "verifier", "replica", NULL};
static const char *const levels[] = {"trace", "debug", "info", "unusual",
				     "broken", NULL};

#define OFF(f) offsetof(struct cl_node_config, f)

static const struct cl_opt opts[] = {
	{"mode", CL_OPT_ENUM, 0, 0, "sequencer", modes,
	 "what this node runs", OFF(mode), 0, false},
	{"datadir", CL_OPT_STR, 0, 0, ".clearline", NULL,
	 "directory of the node's database", OFF(datadir), 0, false},
	{"genesis", CL_OPT_STR, 0, 0, NULL, NULL,
	 "genesis file (required)", OFF(genesis), 0, false},
	{"log-level", CL_OPT_ENUM, 0, 0, "info", levels,
	 "least severe log level printed", OFF(log_level), 0, false},
	{"map-size-mb", CL_OPT_U64, 16, 1u << 24, "4096", NULL,
	 "largest size the database may grow to, MiB", OFF(map_size_mb), 0,
	 false},
	{"checkpoint-ms", CL_OPT_U64, 0, 3600000, "1000", NULL,
	 "a block is made durable by the state log and the database is "
	 "written as a checkpoint this often, ms (0: no state log, every "
	 "block written to the database; docs/state.md \"The state log\")",
	 OFF(checkpoint_ms), 0, false},
	{"checkpoint-mb", CL_OPT_U64, 1, 1u << 16, "256", NULL,
	 "blocks held in memory that start a checkpoint before its time, "
	 "MiB (up to twice this is held while one is written)",
	 OFF(checkpoint_mb), 0, false},
	{"rpc-bind", CL_OPT_STR, 0, 0, "127.0.0.1", NULL,
	 "address the JSON-RPC server listens on", OFF(rpc_bind), 0, false},
	{"rpc-port", CL_OPT_U64, 0, 65535, "8645", NULL,
	 "JSON-RPC port (0: any free port)", OFF(rpc_port), 0, false},
	{"rpc-max-body", CL_OPT_U64, 1024, 64u << 20, "1048576", NULL,
	 "largest request body, bytes", OFF(rpc_max_body), 0, false},
	{"rpc-max-batch", CL_OPT_U64, 1, 10000, "100", NULL,
	 "most calls in one batch request", OFF(rpc_max_batch), 0, false},
	{"rpc-max-depth", CL_OPT_U64, 2, 256, "32", NULL,
	 "deepest JSON nesting accepted", OFF(rpc_max_depth), 0, false},
	{"rpc-max-conns", CL_OPT_U64, 1, 65536, "1024", NULL,
	 "most concurrent connections", OFF(rpc_max_conns), 0, false},
	{"rpc-max-conns-per-ip", CL_OPT_U64, 0, 65536, "256", NULL,
	 "most concurrent connections from one client address (0: no "
	 "limit; raise it behind a proxy)", OFF(rpc_max_conns_per_ip), 0,
	 false},
	{"rpc-rate-per-ip", CL_OPT_U64, 0, 10000000, "0", NULL,
	 "most JSON-RPC calls per second from one client address, a batch "
	 "of n counting n (0: no limit; set it where clients connect "
	 "directly)", OFF(rpc_rate_per_ip), 0, false},
	{"rpc-rate-burst", CL_OPT_U64, 0, 10000000, "0", NULL,
	 "calls one address may make at once above its rate (0: twice the "
	 "rate, at least rpc-max-batch)", OFF(rpc_rate_burst), 0, false},
	{"rate-orders-account", CL_OPT_U64, 0, 1000000, "1000", NULL,
	 "most orders and cancels per second signed by one address (0: no "
	 "limit; answered 2007 with the wait above)",
	 OFF(rate_orders_account), 0, false},
	{"rate-orders-account-burst", CL_OPT_U64, 1, 10000000, "2000", NULL,
	 "orders and cancels one address may send at once above its rate",
	 OFF(rate_orders_account_burst), 0, false},
	{"rate-orders-conn", CL_OPT_U64, 0, 1000000, "5000", NULL,
	 "most orders and cancels per second on one HTTP or WebSocket "
	 "connection (0: no limit)", OFF(rate_orders_conn), 0, false},
	{"rate-orders-conn-burst", CL_OPT_U64, 1, 10000000, "10000", NULL,
	 "orders and cancels one connection may send at once above its rate",
	 OFF(rate_orders_conn_burst), 0, false},
	{"rpc-idle-timeout", CL_OPT_U64, 1, 3600, "30", NULL,
	 "seconds a connection may wait before starting a request",
	 OFF(rpc_idle_s), 0, false},
	{"rpc-header-timeout", CL_OPT_U64, 1, 3600, "10", NULL,
	 "seconds from a request line to the end of its headers",
	 OFF(rpc_header_s), 0, false},
	{"rpc-body-timeout", CL_OPT_U64, 1, 3600, "30", NULL,
	 "seconds from the end of the headers to the end of the body",
	 OFF(rpc_body_s), 0, false},
	{"rpc-send-timeout", CL_OPT_U64, 1, 3600, "30", NULL,
	 "seconds a client has to take its whole answer",
	 OFF(rpc_send_s), 0, false},
	{"rpc-threads", CL_OPT_U64, 0, 256, "0", NULL,
	 "RPC worker threads, which also recover signatures (0: four per "
	 "core, 4 to 16)", OFF(rpc_threads), 0, false},
	{"rpc-operator-token-file", CL_OPT_STR, 0, 0, NULL, NULL,
	 "file holding the bearer token for operator methods",
	 OFF(rpc_token_file), 0, false},
	{"rpc-operator-loopback", CL_OPT_BOOL, 0, 0, "true", NULL,
	 "loopback clients may call operator methods (turn off behind a "
	 "local proxy)", OFF(rpc_operator_loopback), 0, false},
	{"ws-port", CL_OPT_STR, 0, 0, NULL, NULL,
	 "WebSocket port (0: any free port; unset: no WebSocket endpoint)",
	 OFF(ws_port), 0, false},
	{"ws-bind", CL_OPT_STR, 0, 0, "127.0.0.1", NULL,
	 "address the WebSocket endpoint listens on", OFF(ws_bind), 0, false},
	{"ws-max-clients", CL_OPT_U64, 1, 65536, "1024", NULL,
	 "most WebSocket connections at once", OFF(ws_max_clients), 0, false},
	{"ws-max-msg-bytes", CL_OPT_U64, 256, 16u << 20, "65536", NULL,
	 "largest WebSocket message a client may send, bytes (over it: "
	 "closed with 1009)", OFF(ws_max_msg_bytes), 0, false},
	{"ws-queue-bytes", CL_OPT_U64, 1024, 1u << 30, "4194304", NULL,
	 "bytes waiting to be sent to one WebSocket client before it is cut "
	 "(close 4001)", OFF(ws_queue_bytes), 0, false},
	{"ws-queue-msgs", CL_OPT_U64, 1, 1000000, "4096", NULL,
	 "messages waiting to be sent to one WebSocket client before it is "
	 "cut (close 4001)", OFF(ws_queue_msgs), 0, false},
	{"ws-history", CL_OPT_U64, 1, 1000000, "1024", NULL,
	 "messages kept per WebSocket stream for clients that resubscribe",
	 OFF(ws_history), 0, false},
	{"ws-max-subs", CL_OPT_U64, 1, 4096, "64", NULL,
	 "subscriptions per WebSocket connection", OFF(ws_max_subs), 0,
	 false},
	{"ws-max-accounts", CL_OPT_U64, 1, 1000000, "1024", NULL,
	 "account streams open at once (over all connections)",
	 OFF(ws_max_accounts), 0, false},
	{"ws-max-inflight", CL_OPT_U64, 1, 100000, "64", NULL,
	 "JSON-RPC requests per WebSocket connection waiting for their "
	 "answer", OFF(ws_max_inflight), 0, false},
	{"ws-ping-s", CL_OPT_U64, 1, 3600, "20", NULL,
	 "seconds of silence before the server pings a WebSocket client",
	 OFF(ws_ping_s), 0, false},
	{"ws-timeout-s", CL_OPT_U64, 2, 65535, "60", NULL,
	 "seconds of silence (no frame, no pong) before a WebSocket client "
	 "is dropped (above ws-ping-s)", OFF(ws_timeout_s), 0, false},
	{"metrics-port", CL_OPT_STR, 0, 0, NULL, NULL,
	 "Prometheus metrics port, GET /metrics (0: any free port; unset: "
	 "no metrics endpoint)", OFF(metrics_port), 0, false},
	{"metrics-bind", CL_OPT_STR, 0, 0, "127.0.0.1", NULL,
	 "address the metrics endpoint listens on (an operator port)",
	 OFF(metrics_bind), 0, false},
	{"block-interval-ms", CL_OPT_U64, 1, 60000, "100", NULL,
	 "a block is sealed this long after it opens", OFF(block_interval_ms),
	 0, false},
	{"block-max-txs", CL_OPT_U64, 1, 1000000, "20000", NULL,
	 "... or when it holds this many transactions", OFF(block_max_txs), 0,
	 false},
	{"queue-max", CL_OPT_U64, 1, 10000000, "65536", NULL,
	 "submissions waiting for the sequencer before it answers busy",
	 OFF(queue_max), 0, false},
	{"keep-blocks", CL_OPT_U64, 0, 1000000000, "10000", NULL,
	 "sequencer: a block's record loses its requests (keeping its "
	 "header and root) once its batch is final on L1, which holds them, "
	 "and this many newer blocks exist", OFF(keep_blocks), 0, false},
	{"archive-blocks", CL_OPT_BOOL, 0, 0, "false", NULL,
	 "sequencer: keep every block's requests in its record for good "
	 "(keep-blocks is then unused)", OFF(archive_blocks), 0, false},
	{"collateral-token", CL_OPT_STR, 0, 0, NULL, NULL,
	 "L1 address of the collateral token (shown by l2_getConfig)",
	 OFF(collateral_token), 0, false},
	{"l1-rpc", CL_OPT_STR, 0, 0, NULL, NULL,
	 "L1 JSON-RPC endpoint; unset: run without an L1", OFF(l1_rpc), 0,
	 false},
	{"l1-keystore", CL_OPT_STR, 0, 0, NULL, NULL,
	 "keystore file of the node's L1 key (sequencer: posts batches; "
	 "verifier: sends challenges)", OFF(l1_keystore), 0,
	 false},
	{"l1-passphrase", CL_OPT_STR, 0, 0, NULL, NULL,
	 "where the keystore passphrase is: file:PATH or env:NAME",
	 OFF(l1_passphrase), 0, true},
	{"l1-confirmations", CL_OPT_U64, 1, 1000, "3", NULL,
	 "L1 blocks on top before a deposit or batch counts",
	 OFF(l1_confirmations), 0, false},
	{"l1-ref-lag", CL_OPT_U64, 0, 100000, "0", NULL,
	 "L1 blocks below the confirmed head that L2 blocks name (a reorg "
	 "deeper than l1-confirmations + l1-ref-lag orphans named blocks)",
	 OFF(l1_ref_lag), 0, false},
	{"l1-poll-ms", CL_OPT_U64, 10, 600000, "500", NULL,
	 "how often L1 is polled", OFF(l1_poll_ms), 0, false},
	{"l1-start-block", CL_OPT_U64, 0, UINT64_MAX, "0", NULL,
	 "L1 block the rollup was deployed in (deposits are read from it)",
	 OFF(l1_start_block), 0, false},
	{"l1-max-fee-gwei", CL_OPT_U64, 1, 1000000, "500", NULL,
	 "most the sequencer pays per gas on L1", OFF(l1_max_fee_gwei), 0,
	 false},
	{"l1-drop-timeout-ms", CL_OPT_U64, 100, 3600000, "30000", NULL,
	 "how long an L1 transaction may be unknown to the L1 node, or held "
	 "behind nonces L1 lost, before it is sent again or the gap filled",
	 OFF(l1_drop_timeout_ms), 0, false},
	{"l1-batches-in-flight", CL_OPT_U64, 1, 16, "4", NULL,
	 "sequencer: most appendBatch transactions on their way to L1 at "
	 "once (the next goes out when the earlier ones are in a block)",
	 OFF(l1_batches_in_flight), 0, false},
	{"batch-interval-ms", CL_OPT_U64, 10, 3600000, "12000", NULL,
	 "sequencer: the longest a block waits to be cut into a batch "
	 "(the age limit of a batch, from its first block)",
	 OFF(batch_interval_ms), 0, false},
	{"batch-target-bytes", CL_OPT_U64, 1024, 131072, "64000", NULL,
	 "sequencer: a batch is cut as soon as its transactions reach this "
	 "many bytes (at most 90 % of batch-max-bytes is used)",
	 OFF(batch_target_bytes), 0, false},
	{"batch-max-bytes", CL_OPT_U64, 4096, 131072, "120000", NULL,
	 "most calldata bytes of one appendBatch transaction (at most "
	 "the rollup's MAX_BATCH_DATA, 131072: every preimage a dispute "
	 "step reads must fit the L1 oracle)",
	 OFF(batch_max_bytes), 0, false},
	{"batch-zstd-level", CL_OPT_U64, 1, 19, "9", NULL,
	 "zstd level of batch data", OFF(batch_zstd_level), 0, false},
	{"game-program", CL_OPT_STR, 0, 0, NULL, NULL,
	 "sequencer and verifier: the dispute game's VM program (the "
	 "build's stf.elf, docs/disputes.md); unset: no game is played",
	 OFF(game_program), 0, false},
	{"fault", CL_OPT_STR, 0, 0, NULL, NULL,
	 "tests only, devnet genesis only: corrupt one posted batch "
	 "(KIND[:AT], docs/verifier.md)", OFF(fault), 0, false},
	{"censor", CL_OPT_STR, 0, 0, NULL, NULL,
	 "tests only, devnet genesis only: refuse every request signed by "
	 "this address and never apply its forced requests (docs/l1.md "
	 "\"Escape\")", OFF(censor), 0, false},
	{"sequencer-url", CL_OPT_STR, 0, 0, NULL, NULL,
	 "replica: the sequencer's JSON-RPC URL, named when a write is "
	 "refused", OFF(sequencer_url), 0, false},
	{"l1-log-range", CL_OPT_U64, 1, 100000, "1000", NULL,
	 "verifier: most L1 blocks per eth_getLogs", OFF(l1_log_range), 0,
	 false},
	{"progress-ms", CL_OPT_U64, 100, 3600000, "5000", NULL,
	 "verifier: how often sync progress is logged", OFF(progress_ms), 0,
	 false},
	{"dev-credit", CL_OPT_BOOL, 0, 0, "false", NULL,
	 "allow the operator method op_credit (a node without an L1 only)",
	 OFF(dev_credit), 0, false},
};

const struct cl_opt *cl_node_options(size_t *n)
{
	*n = CL_ARRAY_LEN(opts);
	return opts;
}
