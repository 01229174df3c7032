/* SPDX-License-Identifier: MIT */
/*
 * What the load generators over loopback share (bench_load.c):
 * bench_http and bench_ws_orders. A program calls, in order:
 * cl_crypto_init, cl_genesis_load(&genesis), cl_eip712_domain_init(
 * &domain), load_keys, generate, sign_all, build_calls; then spawn (or
 * sets `url`), and the set-up calls over HTTP (curl_global_init and
 * `headers` first).
 */
#ifndef CLEARLINE_BENCH_LOAD_H
#define CLEARLINE_BENCH_LOAD_H

#include <curl/curl.h>
#include <sys/types.h>

#include <clearline/crypto.h>
#include <clearline/node.h>

#define N_ACCOUNTS 50
#define MARKET 1
#define MID 650000ULL

/* The program's name in error messages. */
extern const char *bench_name;

extern struct cl_seckey *keys[N_ACCOUNTS];
extern struct cl_address addrs[N_ACCOUNTS];
extern struct cl_genesis genesis;
extern struct cl_eip712_domain domain;
/* The node's JSON-RPC URL (spawn() sets it). */
extern const char *url;
/* Content-Type: application/json, and no Expect. */
extern struct curl_slist *headers;

/* The pre-signed pool: one JSON-RPC call object per message, its id the
 * message's index. */
struct msg {
	bool is_cancel;
	uint8_t trader;
	union {
		struct cl_order order;
		struct cl_cancel cancel;
	} u;
	struct cl_sig sig;
	size_t off, len; /* the call text in `calls` */
};

extern struct msg *msgs;
extern size_t n_msgs, next_msg;
extern struct cl_buf calls;

/* Print "NAME: what" and exit(1). */
void fail(const char *what);
/* The N_ACCOUNTS keys (anvil's ten dev keys, then derived ones). */
void load_keys(void);
/* `n` messages: makers around MID, crossing takers, 10% cancels; order
 * nonces from `nonce_base`, expiring at `expiry` (s). */
void generate(size_t n, uint64_t nonce_base, uint64_t expiry);
/* Sign every message on two threads. */
void sign_all(void);
/* The call objects into `calls`. */
void build_calls(void);

void put_str(struct cl_buf *b, const char *s);
void put_u64(struct cl_buf *b, uint64_t v);
void put_hex(struct cl_buf *b, const uint8_t *p, size_t n);
void put_addr(struct cl_buf *b, const struct cl_address *a);

/* A curl handle posting to `url`, the answer appended to `out`. */
CURL *easy_new(struct cl_buf *out);
/* One blocking call; the answer text (NUL-terminated) in `out`. */
bool post(struct cl_buf *out, const char *body);
/* The number after `"key":` (quoted or not) in `s`, or false. */
bool find_u64(uint64_t *v, const char *s, const char *key);
/* l2_syncStatus's headBlock (0 when the node does not answer). */
uint64_t head_block(void);
/* op_credit for every account (a node with --dev-credit). */
void credit_all(void);
/* A fresh BTC-PERP price signed by two oracle signers. */
void post_oracle(void);

/* Start `bin` in a temporary data folder on JSON-RPC port `port`,
 * blocks every `block_ms`, with the options in `extra` (NULL-ended, may
 * be NULL) after the usual ones; `url` then names it. */
void spawn(const char *bin, const char *gpath, unsigned port, uint64_t block_ms,
	   const char *const *extra);
/* The node spawn() started (0: none). */
pid_t bench_child(void);
/* SIGTERM to the node spawn() started, its folder removed. */
void stop_child(void);

#endif
