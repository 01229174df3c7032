/* SPDX-License-Identifier: MIT */
/*
 * Quantities and the typed Ethereum calls on top of cl_l1_rpc_call().
 *
 * Strictness: quantities must be canonical ("0x", lowercase digits or
 * uppercase ones, no leading zeros, "0x0" for zero); hashes and addresses
 * exact-length hex. Known differences between nodes that are accepted:
 *  - a receipt's top-level blockTimestamp is a JSON number on anvil, a
 *    quantity elsewhere (both taken; absent is fine);
 *  - effectiveGasPrice is missing on old nodes (then 0);
 *  - feeHistory's reward array is absent on nodes that skip it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l1_int.h"

/* ------------------------------------------------------------------ */
/* Quantities                                                          */
/* ------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The digits after "0x", or NULL when the prefix or form is wrong. */
static const char *qty_digits(const char *s, size_t len, size_t *ndig)
{
	if (len < 3 || s[0] != '0' || s[1] != 'x')
		return NULL;
	*ndig = len - 2;
	if (s[2] == '0' && len != 3)
		return NULL; /* leading zero */
	return s + 2;
}

bool cl_l1_parse_qty(uint64_t *out, const char *s, size_t len)
{
	size_t n;
	const char *d = qty_digits(s, len, &n);
	uint64_t v = 0;

	*out = 0;
	if (!d || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int x = hexval(d[i]);
		if (x < 0)
			return false;
		v = (v << 4) | (uint64_t)x;
	}
	*out = v;
	return true;
}

bool cl_l1_parse_qty256(uint8_t out[32], const char *s, size_t len)
{
	size_t n;
	const char *d = qty_digits(s, len, &n);

	memset(out, 0, 32);
	if (!d || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		int x = hexval(d[n - 1 - i]);
		if (x < 0) {
			memset(out, 0, 32);
			return false;
		}
		out[31 - i / 2] |= (uint8_t)(i % 2 ? x << 4 : x);
	}
	return true;
}

size_t cl_l1_fmt_qty(char out[19], uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0;

	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++)
		out[2 + i] = tmp[n - 1 - i];
	out[2 + n] = 0;
	return 2 + n;
}

size_t cl_l1_fmt_qty256(char out[67], const uint8_t v[32])
{
	char hex[65];
	size_t i = 0;

	cl_hex_encode(hex, v, 32, false);
	while (i < 63 && hex[i] == '0')
		i++;
	out[0] = '0';
	out[1] = 'x';
	memcpy(out + 2, hex + i, 64 - i);
	out[2 + 64 - i] = 0;
	return 2 + 64 - i;
}

bool cl_l1_json_qty(uint64_t *out, const json_t *v)
{
	*out = 0;
	if (!json_is_string(v))
		return false;
	return cl_l1_parse_qty(out, json_string_value(v),
			       json_string_length(v));
}

bool cl_l1_json_qty_or_int(uint64_t *out, const json_t *v)
{
	*out = 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return false;
		*out = (uint64_t)i;
		return true;
	}
	return cl_l1_json_qty(out, v);
}

json_t *l1_json_qty(uint64_t v)
{
	char s[19];
	cl_l1_fmt_qty(s, v);
	return json_string(s);
}

json_t *l1_json_hex(const uint8_t *p, size_t len)
{
	return cl_json_from_bytes(p, len);
}

json_t *l1_json_address(const struct cl_address *a)
{
	return cl_json_from_bytes(a->b, 20);
}

const char *l1_tag_str(enum cl_l1_tag tag)
{
	switch (tag) {
	case CL_L1_LATEST:
		return "latest";
	case CL_L1_PENDING:
		return "pending";
	case CL_L1_SAFE:
		return "safe";
	case CL_L1_FINALIZED:
		return "finalized";
	case CL_L1_EARLIEST:
		return "earliest";
	}
	CL_BUG("bad block tag %d", (int)tag);
}

/* ------------------------------------------------------------------ */
/* Field readers (fail with the method and field named, logged once)    */
/* ------------------------------------------------------------------ */

static int malformed(const char *method, const char *field)
{
	cl_unusual(L1_LOG, "%s: malformed answer: bad %s", method, field);
	return CL_L1_MALFORMED;
}

static bool get_qty(uint64_t *out, const json_t *o, const char *k)
{
	return cl_l1_json_qty(out, json_object_get(o, k));
}

static bool get_hash(struct cl_hash32 *out, const json_t *o, const char *k)
{
	return cl_json_bytes(out->b, 32, json_object_get(o, k));
}

static bool get_addr(struct cl_address *out, const json_t *o, const char *k)
{
	return cl_json_bytes(out->b, 20, json_object_get(o, k));
}

/* Call a method whose result is one quantity. */
static int call_qty(struct cl_l1_rpc *rpc, uint64_t *out, const char *method,
		    json_t *params)
{
	json_t *res;
	int rc = cl_l1_rpc_call(rpc, &res, method, params);

	*out = 0;
	if (rc != CL_OK)
		return rc;
	bool ok = cl_l1_json_qty(out, res);
	json_decref(res);
	return ok ? CL_OK : malformed(method, "quantity");
}

int cl_l1_eth_chain_id(struct cl_l1_rpc *rpc, uint64_t *out)
{
	return call_qty(rpc, out, "eth_chainId", NULL);
}

int cl_l1_eth_block_number(struct cl_l1_rpc *rpc, uint64_t *out)
{
	return call_qty(rpc, out, "eth_blockNumber", NULL);
}

int cl_l1_eth_max_priority_fee(struct cl_l1_rpc *rpc, uint64_t *out)
{
	return call_qty(rpc, out, "eth_maxPriorityFeePerGas", NULL);
}

int cl_l1_eth_tx_count(struct cl_l1_rpc *rpc, uint64_t *out,
		       const struct cl_address *addr, enum cl_l1_tag tag)
{
	return call_qty(
	    rpc, out, "eth_getTransactionCount",
	    json_pack("[o, s]", l1_json_address(addr), l1_tag_str(tag)));
}

int cl_l1_eth_balance(struct cl_l1_rpc *rpc, uint8_t out[32],
		      const struct cl_address *addr)
{
	json_t *res;
	int rc = cl_l1_rpc_call(
	    rpc, &res, "eth_getBalance",
	    json_pack("[o, s]", l1_json_address(addr), "latest"));
	memset(out, 0, 32);
	if (rc != CL_OK)
		return rc;
	bool ok = json_is_string(res) &&
		  cl_l1_parse_qty256(out, json_string_value(res),
				     json_string_length(res));
	json_decref(res);
	return ok ? CL_OK : malformed("eth_getBalance", "quantity");
}

/* ------------------------------------------------------------------ */
/* Blocks                                                              */
/* ------------------------------------------------------------------ */

static int parse_block(struct cl_l1_block *out, bool *found, json_t *res,
		       const char *method)
{
	memset(out, 0, sizeof(*out));
	*found = false;
	if (json_is_null(res))
		return CL_OK;
	if (!json_is_object(res))
		return malformed(method, "block");
	if (!get_qty(&out->number, res, "number"))
		return malformed(method, "number");
	if (!get_hash(&out->hash, res, "hash"))
		return malformed(method, "hash");
	if (!get_hash(&out->parent_hash, res, "parentHash"))
		return malformed(method, "parentHash");
	if (!get_qty(&out->timestamp, res, "timestamp"))
		return malformed(method, "timestamp");
	const json_t *bf = json_object_get(res, "baseFeePerGas");
	if (bf) {
		if (!cl_l1_json_qty(&out->base_fee, bf))
			return malformed(method, "baseFeePerGas");
		out->has_base_fee = true;
	}
	*found = true;
	return CL_OK;
}

static int get_block(struct cl_l1_rpc *rpc, struct cl_l1_block *out,
		     bool *found, const char *method, json_t *which)
{
	json_t *res;
	int rc =
	    cl_l1_rpc_call(rpc, &res, method, json_pack("[o, b]", which, 0));

	memset(out, 0, sizeof(*out));
	*found = false;
	if (rc != CL_OK)
		return rc;
	rc = parse_block(out, found, res, method);
	json_decref(res);
	if (rc != CL_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int cl_l1_eth_block_by_number(struct cl_l1_rpc *rpc, struct cl_l1_block *out,
			      bool *found, uint64_t number)
{
	return get_block(rpc, out, found, "eth_getBlockByNumber",
			 l1_json_qty(number));
}

int cl_l1_eth_block_by_tag(struct cl_l1_rpc *rpc, struct cl_l1_block *out,
			   bool *found, enum cl_l1_tag tag)
{
	return get_block(rpc, out, found, "eth_getBlockByNumber",
			 json_string(l1_tag_str(tag)));
}

int cl_l1_eth_block_by_hash(struct cl_l1_rpc *rpc, struct cl_l1_block *out,
			    bool *found, const struct cl_hash32 *hash)
{
	return get_block(rpc, out, found, "eth_getBlockByHash",
			 l1_json_hex(hash->b, 32));
}

/* ------------------------------------------------------------------ */
/* Calls and gas                                                       */
/* ------------------------------------------------------------------ */

static json_t *call_object(const struct cl_l1_callreq *req)
{
	json_t *o = json_object();

	if (req->from)
		json_object_set_new(o, "from", l1_json_address(req->from));
	if (req->to)
		json_object_set_new(o, "to", l1_json_address(req->to));
	json_object_set_new(o, "input", l1_json_hex(req->data, req->data_len));
	if (req->value) {
		char q[67];
		cl_l1_fmt_qty256(q, req->value);
		json_object_set_new(o, "value", json_string(q));
	}
	return o;
}

int cl_l1_eth_estimate_gas(struct cl_l1_rpc *rpc, uint64_t *out,
			   const struct cl_l1_callreq *req)
{
	return call_qty(rpc, out, "eth_estimateGas",
			json_pack("[o]", call_object(req)));
}

/* Hex of any even length into a buffer (appended). */
static bool append_hex(struct cl_buf *out, const json_t *v)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 2 || s[0] != '0' || s[1] != 'x' || len % 2)
		return false;
	size_t n = (len - 2) / 2, used;
	if (n == 0)
		return true; /* "0x": nothing to add (out->p may be NULL) */
	cl_buf_reserve(out, n);
	if (!cl_hex_decode_var(out->p + out->len, n, &used, s, len,
			       CL_HEX_0X) ||
	    used != n)
		return false;
	out->len += n;
	return true;
}

/* `block`: a tag's name or a block number's quantity (stolen). */
static int eth_call(struct cl_l1_rpc *rpc, struct cl_buf *out,
		    const struct cl_l1_callreq *req, json_t *block)
{
	json_t *res;
	int rc = cl_l1_rpc_call(rpc, &res, "eth_call",
				json_pack("[o, o]", call_object(req), block));
	if (rc != CL_OK)
		return rc;
	size_t before = out->len;
	bool ok = append_hex(out, res);
	json_decref(res);
	if (!ok) {
		out->len = before;
		return malformed("eth_call", "return data");
	}
	return CL_OK;
}

int cl_l1_eth_call(struct cl_l1_rpc *rpc, struct cl_buf *out,
		   const struct cl_l1_callreq *req, enum cl_l1_tag tag)
{
	return eth_call(rpc, out, req, json_string(l1_tag_str(tag)));
}

int cl_l1_eth_call_at(struct cl_l1_rpc *rpc, struct cl_buf *out,
		      const struct cl_l1_callreq *req, uint64_t block)
{
	return eth_call(rpc, out, req, l1_json_qty(block));
}

int cl_l1_eth_fee_history(struct cl_l1_rpc *rpc, struct cl_l1_fee_history *out,
			  unsigned blocks, unsigned percentile)
{
	static const char *m = "eth_feeHistory";
	json_t *res;

	memset(out, 0, sizeof(*out));
	CL_REQUIRE(blocks >= 1 && blocks <= CL_L1_FEE_HISTORY_MAX);
	CL_REQUIRE(percentile <= 100);
	int rc = cl_l1_rpc_call(rpc, &res, m,
				json_pack("[o, s, [I]]", l1_json_qty(blocks),
					  "latest", (json_int_t)percentile));
	if (rc != CL_OK)
		return rc;

	const json_t *bf = json_object_get(res, "baseFeePerGas");
	const json_t *rw = json_object_get(res, "reward");
	size_t nb = json_array_size(bf);
	/* oldestBlock: a quantity; some nodes have sent a number */
	if (!cl_l1_json_qty_or_int(&out->oldest_block,
				   json_object_get(res, "oldestBlock"))) {
		rc = malformed(m, "oldestBlock");
		goto out;
	}
	if (!json_is_array(bf) || nb < 1 || nb > blocks + 1) {
		rc = malformed(m, "baseFeePerGas");
		goto out;
	}
	out->n = nb - 1;
	for (size_t i = 0; i < nb; i++) {
		if (!cl_l1_json_qty(&out->base_fee[i], json_array_get(bf, i))) {
			rc = malformed(m, "baseFeePerGas");
			goto out;
		}
	}
	if (json_is_array(rw)) {
		if (json_array_size(rw) != out->n) {
			rc = malformed(m, "reward");
			goto out;
		}
		for (size_t i = 0; i < out->n; i++) {
			const json_t *r = json_array_get(rw, i);
			if (!json_is_array(r) || json_array_size(r) != 1 ||
			    !cl_l1_json_qty(&out->reward[i],
					    json_array_get(r, 0))) {
				rc = malformed(m, "reward");
				goto out;
			}
		}
		out->has_reward = true;
	}
out:
	json_decref(res);
	if (rc != CL_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Transactions, receipts, logs                                        */
/* ------------------------------------------------------------------ */

int cl_l1_eth_send_raw(struct cl_l1_rpc *rpc, struct cl_hash32 *tx_hash,
		       const uint8_t *raw, size_t len)
{
	json_t *res;
	struct cl_hash32 h;
	int rc = cl_l1_rpc_call(rpc, &res, "eth_sendRawTransaction",
				json_pack("[o]", l1_json_hex(raw, len)));
	if (tx_hash)
		memset(tx_hash, 0, sizeof(*tx_hash));
	if (rc != CL_OK)
		return rc;
	bool ok = cl_json_bytes(h.b, 32, res);
	json_decref(res);
	if (!ok)
		return malformed("eth_sendRawTransaction", "hash");
	if (tx_hash)
		*tx_hash = h;
	return CL_OK;
}

static void log_clear(struct cl_l1_log *l)
{
	free(l->data);
	memset(l, 0, sizeof(*l));
}

void cl_l1_logs_release(struct cl_l1_logs *l)
{
	for (size_t i = 0; i < l->n; i++)
		log_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One log object; returns the bad field's name, or NULL. */
static const char *parse_log(struct cl_l1_log *out, const json_t *o)
{
	const json_t *topics = json_object_get(o, "topics");
	const json_t *data = json_object_get(o, "data");
	const json_t *removed = json_object_get(o, "removed");
	const json_t *ts = json_object_get(o, "blockTimestamp");
	struct cl_buf b;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o))
		return "log";
	if (!get_addr(&out->address, o, "address"))
		return "log address";
	if (!json_is_array(topics) || json_array_size(topics) > 4)
		return "log topics";
	out->n_topics = json_array_size(topics);
	for (size_t i = 0; i < out->n_topics; i++)
		if (!cl_json_bytes(out->topics[i].b, 32,
				   json_array_get(topics, i)))
			return "log topic";
	cl_buf_init(&b);
	if (!append_hex(&b, data)) {
		cl_buf_release(&b);
		return "log data";
	}
	out->data = b.p;
	out->data_len = b.len;
	if (!get_qty(&out->block_number, o, "blockNumber"))
		return "log blockNumber";
	if (!get_hash(&out->block_hash, o, "blockHash"))
		return "log blockHash";
	if (!get_hash(&out->tx_hash, o, "transactionHash"))
		return "log transactionHash";
	if (!get_qty(&out->tx_index, o, "transactionIndex"))
		return "log transactionIndex";
	if (!get_qty(&out->log_index, o, "logIndex"))
		return "log logIndex";
	if (removed && !cl_json_bool(&out->removed, removed))
		return "log removed";
	/* inside logs[] anvil writes blockTimestamp as a quantity */
	if (ts) {
		if (!cl_l1_json_qty_or_int(&out->block_timestamp, ts))
			return "log blockTimestamp";
		out->has_block_timestamp = true;
	}
	return NULL;
}

static const char *parse_logs(struct cl_l1_logs *out, const json_t *arr)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_array(arr))
		return "logs";
	size_t n = json_array_size(arr);
	if (n == 0)
		return NULL;
	out->v = cl_xcalloc(n, sizeof(*out->v));
	for (size_t i = 0; i < n; i++) {
		out->n = i + 1;
		const char *bad = parse_log(&out->v[i], json_array_get(arr, i));
		if (bad)
			return bad;
	}
	return NULL;
}

void cl_l1_receipt_release(struct cl_l1_receipt *r)
{
	cl_l1_logs_release(&r->logs);
	memset(r, 0, sizeof(*r));
}

static const char *parse_receipt(struct cl_l1_receipt *out, const json_t *o)
{
	uint64_t status;
	const json_t *ca = json_object_get(o, "contractAddress");
	const json_t *egp = json_object_get(o, "effectiveGasPrice");
	const json_t *ts = json_object_get(o, "blockTimestamp");

	if (!json_is_object(o))
		return "receipt";
	if (!get_hash(&out->tx_hash, o, "transactionHash"))
		return "transactionHash";
	if (!get_qty(&status, o, "status") || status > 1)
		return "status";
	out->status = status == 1;
	if (!get_qty(&out->block_number, o, "blockNumber"))
		return "blockNumber";
	if (!get_hash(&out->block_hash, o, "blockHash"))
		return "blockHash";
	if (!get_qty(&out->gas_used, o, "gasUsed"))
		return "gasUsed";
	/* missing on nodes older than London */
	if (egp && !cl_l1_json_qty(&out->effective_gas_price, egp))
		return "effectiveGasPrice";
	if (ca && !json_is_null(ca)) {
		if (!cl_json_bytes(out->contract_address.b, 20, ca))
			return "contractAddress";
		out->has_contract_address = true;
	}
	/* a JSON number at the top level on anvil; a quantity elsewhere */
	if (ts) {
		if (!cl_l1_json_qty_or_int(&out->block_timestamp, ts))
			return "blockTimestamp";
		out->has_block_timestamp = true;
	}
	return parse_logs(&out->logs, json_object_get(o, "logs"));
}

int cl_l1_eth_receipt(struct cl_l1_rpc *rpc, struct cl_l1_receipt *out,
		      bool *found, const struct cl_hash32 *tx_hash)
{
	static const char *m = "eth_getTransactionReceipt";
	json_t *res;

	memset(out, 0, sizeof(*out));
	*found = false;
	int rc = cl_l1_rpc_call(rpc, &res, m,
				json_pack("[o]", l1_json_hex(tx_hash->b, 32)));
	if (rc != CL_OK)
		return rc;
	if (json_is_null(res)) {
		json_decref(res);
		return CL_OK;
	}
	const char *bad = parse_receipt(out, res);
	json_decref(res);
	if (bad) {
		cl_l1_receipt_release(out);
		return malformed(m, bad);
	}
	*found = true;
	return CL_OK;
}

static const char *parse_txinfo(struct cl_l1_txinfo *out, const json_t *o)
{
	const json_t *bn = json_object_get(o, "blockNumber");

	if (!json_is_object(o))
		return "transaction";
	if (!get_hash(&out->hash, o, "hash"))
		return "hash";
	if (!get_addr(&out->from, o, "from"))
		return "from";
	if (!get_qty(&out->nonce, o, "nonce"))
		return "nonce";
	if (!get_qty(&out->gas, o, "gas"))
		return "gas";
	/* pending: blockNumber and blockHash are null */
	if (bn && !json_is_null(bn)) {
		if (!cl_l1_json_qty(&out->block_number, bn))
			return "blockNumber";
		if (!get_hash(&out->block_hash, o, "blockHash"))
			return "blockHash";
		out->mined = true;
	}
	return NULL;
}

static int get_tx(struct cl_l1_rpc *rpc, json_t **res, bool *found,
		  const struct cl_hash32 *tx_hash)
{
	*found = false;
	int rc = cl_l1_rpc_call(rpc, res, "eth_getTransactionByHash",
				json_pack("[o]", l1_json_hex(tx_hash->b, 32)));
	if (rc != CL_OK)
		return rc;
	if (json_is_null(*res)) {
		json_decref(*res);
		*res = NULL;
		return CL_OK;
	}
	*found = true;
	return CL_OK;
}

int cl_l1_eth_tx_by_hash(struct cl_l1_rpc *rpc, struct cl_l1_txinfo *out,
			 bool *found, const struct cl_hash32 *tx_hash)
{
	json_t *res = NULL;

	memset(out, 0, sizeof(*out));
	int rc = get_tx(rpc, &res, found, tx_hash);
	if (rc != CL_OK || !*found)
		return rc;
	const char *bad = parse_txinfo(out, res);
	json_decref(res);
	if (bad) {
		memset(out, 0, sizeof(*out));
		*found = false;
		return malformed("eth_getTransactionByHash", bad);
	}
	return CL_OK;
}

int cl_l1_eth_tx_input(struct cl_l1_rpc *rpc, struct cl_buf *out, bool *found,
		       const struct cl_hash32 *tx_hash)
{
	json_t *res = NULL;
	int rc = get_tx(rpc, &res, found, tx_hash);

	if (rc != CL_OK || !*found)
		return rc;
	size_t before = out->len;
	/* "input" everywhere today; "data" on some old nodes */
	const json_t *in = json_object_get(res, "input");
	if (!in)
		in = json_object_get(res, "data");
	bool ok = append_hex(out, in);
	json_decref(res);
	if (!ok) {
		out->len = before;
		*found = false;
		return malformed("eth_getTransactionByHash", "input");
	}
	return CL_OK;
}

int cl_l1_eth_get_logs(struct cl_l1_rpc *rpc, struct cl_l1_logs *out,
		       const struct cl_l1_filter *f)
{
	static const char *m = "eth_getLogs";
	json_t *flt = json_object();
	json_t *res;

	memset(out, 0, sizeof(*out));
	CL_REQUIRE(f->n_topics <= 4);
	json_object_set_new(flt, "fromBlock", l1_json_qty(f->from_block));
	json_object_set_new(flt, "toBlock", l1_json_qty(f->to_block));
	if (f->has_address)
		json_object_set_new(flt, "address",
				    l1_json_address(&f->address));
	if (f->n_topics) {
		json_t *t = json_array();
		for (size_t i = 0; i < f->n_topics; i++)
			json_array_append_new(
			    t, f->topic_any[i]
				   ? json_null()
				   : l1_json_hex(f->topics[i].b, 32));
		json_object_set_new(flt, "topics", t);
	}
	int rc = cl_l1_rpc_call(rpc, &res, m, json_pack("[o]", flt));
	if (rc != CL_OK)
		return rc;
	const char *bad = parse_logs(out, res);
	json_decref(res);
	if (bad) {
		cl_l1_logs_release(out);
		return malformed(m, bad);
	}
	return CL_OK;
}
