/* SPDX-License-Identifier: MIT */
/*
 * node — wiring of clearlined: the option table, the genesis file loader,
 * and the modes (sequencer, verifier, replica; docs/operations.md). `src/node/main.c` is a thin main() around it.
 */
#ifndef CLEARLINE_NODE_H
#define CLEARLINE_NODE_H

#include <clearline/common.h>
#include <clearline/config.h>
#include <clearline/stf.h>

enum cl_node_mode {
	CL_MODE_SEQUENCER = 0,
	CL_MODE_VERIFIER = 1,
	CL_MODE_REPLICA = 2,
};

/* Every option of clearlined (src/node/options.c is the table). */
struct cl_node_config {
	uint64_t mode; /* enum cl_node_mode */
	char *datadir;
	char *genesis;
	uint64_t log_level;
	uint64_t map_size_mb;
	uint64_t checkpoint_ms; /* the state log: docs/state.md */
	uint64_t checkpoint_mb;
	char *rpc_bind;
	uint64_t rpc_port;
	uint64_t rpc_max_body;
	uint64_t rpc_max_batch;
	uint64_t rpc_max_depth;
	uint64_t rpc_max_conns;
	uint64_t rpc_max_conns_per_ip;
	uint64_t rpc_idle_s;
	uint64_t rpc_header_s;
	uint64_t rpc_body_s;
	uint64_t rpc_send_s;
	uint64_t rpc_rate_per_ip;
	uint64_t rpc_rate_burst;
	uint64_t rate_orders_account; /* orders and cancels, docs/api.md */
	uint64_t rate_orders_account_burst;
	uint64_t rate_orders_conn;
	uint64_t rate_orders_conn_burst;
	uint64_t rpc_threads;
	char *rpc_token_file;
	bool rpc_operator_loopback;
	char *ws_port;         /* unset: no WebSocket endpoint */
	char *ws_bind;
	uint64_t ws_max_clients;
	uint64_t ws_max_msg_bytes;
	uint64_t ws_queue_bytes;
	uint64_t ws_queue_msgs;
	uint64_t ws_history;
	uint64_t ws_max_subs;
	uint64_t ws_max_accounts;
	uint64_t ws_max_inflight;
	uint64_t ws_ping_s;
	uint64_t ws_timeout_s;
	char *metrics_port;    /* unset: no metrics endpoint */
	char *metrics_bind;
	uint64_t block_interval_ms;
	uint64_t block_max_txs;
	uint64_t queue_max;
	uint64_t keep_blocks;  /* sequencer: final blocks keep requests */
	bool archive_blocks;   /* sequencer: ... for good */
	char *collateral_token;
	bool dev_credit;
	char *l1_rpc;
	char *l1_keystore;
	char *l1_passphrase;
	uint64_t l1_confirmations;
	uint64_t l1_ref_lag; /* blocks below the confirmed head blocks name */
	uint64_t l1_poll_ms;
	uint64_t l1_start_block;
	uint64_t l1_max_fee_gwei;
	uint64_t l1_drop_timeout_ms;
	uint64_t l1_batches_in_flight;
	uint64_t batch_interval_ms;
	uint64_t batch_max_bytes;
	uint64_t batch_target_bytes;
	uint64_t batch_zstd_level;
	char *game_program;    /* stf.elf: the nodes play dispute games */
	char *fault;           /* sequencer, devnet only: KIND[:AT] */
	char *censor;          /* sequencer, devnet only: an address */
	char *sequencer_url;   /* replica: where writes go */
	uint64_t l1_log_range; /* verifier: L1 blocks per eth_getLogs */
	uint64_t progress_ms;  /* verifier: sync log line period */
};

/* The option table. */
const struct cl_opt *cl_node_options(size_t *n);

/*
 * Run clearlined with argv until SIGINT or SIGTERM. Returns the process
 * exit status (0 after a clean shutdown, 1 on a start-up error, 2 on a
 * usage error).
 */
int cl_node_main(int argc, char **argv);

/*
 * Load a genesis file (docs/genesis.md) into *out and validate it with
 * cl_genesis_validate(). Unknown keys, missing keys, wrong types, numbers
 * out of range and invalid values are all errors with a message naming
 * the field (in `err`, up to errlen bytes). Returns CL_OK or
 * CL_ERR_CONFIG; on failure *out is zeroed.
 */
CL_WUR int cl_genesis_load(struct cl_genesis *out, const char *path,
			   char *err, size_t errlen);

/* Same, from JSON text in memory. */
CL_WUR int cl_genesis_parse(struct cl_genesis *out, const char *text,
			    size_t len, char *err, size_t errlen);

#endif /* CLEARLINE_NODE_H */
