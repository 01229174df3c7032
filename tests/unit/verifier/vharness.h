/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the verifier tests: a private anvil with the rollup
 * deployed, the real clearlined binaries started as child processes (each
 * in its own data directory, logging to a file), JSON-RPC calls (single
 * and batched), and seeded traffic signed with the node's own crypto:
 * deposits through L1, oracle updates, orders, cancels and withdrawals.
 */
#ifndef CLEARLINE_TEST_VHARNESS_H
#define CLEARLINE_TEST_VHARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <clearline/crypto.h>
#include <clearline/l1.h>

#include "../l1/anvil.h"

#define VH_TRADERS 16
#define VH_MAX_RESTING 4096

struct vh_node {
	pid_t pid;
	int port;
	char url[64];
	char dir[600];
	char log[600];
	char name[32];
	struct cl_l1_rpc *rpc;
};

struct vh_trader {
	struct cl_seckey *key;
	struct cl_address addr;
	uint64_t nonce; /* action nonce as the sequencer knows it */
};

struct vh_env {
	const char *root;
	const char *bin; /* clearlined */
	struct anvil a;
	char *tmp;
	struct cl_l1_rpc *l1;
	struct cl_address rollup, token, funder;
	uint64_t deploy_block;
	uint64_t challenge_period;
	char genesis[600], pass[600], ks_seq[600], ks_ver[600];
	struct cl_eip712_domain dom;
	struct vh_trader tr[VH_TRADERS];
	size_t n_traders;
	struct cl_seckey *oracle[2];
	uint64_t oracle_ts[4];
	uint64_t mid[4];
	uint64_t rng;
	uint64_t order_nonce;
	/* resting orders we may cancel: hash and owner index */
	struct cl_hash32 resting[VH_MAX_RESTING];
	uint8_t resting_owner[VH_MAX_RESTING];
	size_t n_resting;
	/* counters of what the sequencer accepted */
	uint64_t accepted_txs, orders, cancels, withdrawals, oracles;
};

/* Start anvil (--block-time 1), deploy, write genesis and keystores. */
void vh_setup(struct vh_env *e, const char *root, const char *bin,
	      uint64_t challenge_period);
void vh_teardown(struct vh_env *e);

/* Start clearlined in mode `mode` with the extra arguments (NULL-
 * terminated); waits until l2_syncStatus answers. Returns 0 or -1. */
int vh_start(struct vh_env *e, struct vh_node *n, const char *name,
	     const char *mode, const char *const *extra);
/* Start again on the same directory and port. */
int vh_restart(struct vh_env *e, struct vh_node *n, const char *mode,
	       const char *const *extra);
void vh_kill(struct vh_node *n, int sig);

/* Call a method; returns the rpc code, *res the result (caller frees). */
int vh_call(struct vh_node *n, json_t **res, const char *method,
	    json_t *params);
/* A JSON-RPC batch (array of {method, params}) to url; returns the
 * array of answers in request order, or NULL. */
json_t *vh_batch(const char *url, json_t *calls);

/* L1 deposits from the funder to traders [from, to), and wait until the
 * sequencer credited them. Returns 0 or -1. */
int vh_deposit(struct vh_env *e, struct vh_node *seq, size_t from, size_t to,
	       uint64_t amount);
/* Oracle updates for markets 1..3 (when a second has passed). */
void vh_oracle(struct vh_env *e, struct vh_node *seq);
/* One round of `n` random writes as one batch request. */
void vh_traffic(struct vh_env *e, struct vh_node *seq, size_t n);

/* A signed l2_submitOrder call {method, params} of trader t. */
json_t *vh_order_call(struct vh_env *e, size_t t, uint32_t market, bool buy,
		      uint64_t price, uint64_t size, uint8_t flags);

/* l2_syncStatus field helpers */
json_t *vh_status(struct vh_node *n);
/* A u64 field given as a decimal string; `def` when null or missing. */
uint64_t vh_u64(const json_t *o, const char *key, uint64_t def);

/* Lines of the node's log that contain `needle`. */
size_t vh_log_count(const struct vh_node *n, const char *needle);
/* The first line containing `needle`, copied into out; false if none. */
bool vh_log_find(const struct vh_node *n, const char *needle, char *out,
		 size_t cap);

/* eth_call of a rollup view with one optional uint64 argument. */
int vh_view(struct vh_env *e, struct cl_buf *ret, const char *sig, bool has_arg,
	    uint64_t arg);
uint64_t vh_view_u64(struct vh_env *e, const char *sig);

void vh_sleep_ms(uint64_t ms);
uint64_t vh_now_ms(void);

#endif
