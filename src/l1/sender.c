/* SPDX-License-Identifier: MIT */
/*
 * The transaction sender of one key: nonce manager, fee policy, resends,
 * fee bumps and reorg handling (docs/l1-client.md tells the rules).
 *
 * Write-ahead rule: a signed version of a transaction is recorded in the
 * state file (its hash among the record's hashes) before it is handed to
 * the node, so after a crash every transaction that may be on L1 is known
 * by hash and its nonce is never given to another payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sender_int.h"

const char *cl_l1_tx_state_str(enum cl_l1_tx_state s)
{
	switch (s) {
	case CL_L1_TX_QUEUED:
		return "queued";
	case CL_L1_TX_SENT:
		return "sent";
	case CL_L1_TX_INCLUDED:
		return "included";
	case CL_L1_TX_CONFIRMED:
		return "confirmed";
	case CL_L1_TX_FAILED:
		return "failed";
	}
	return "unknown";
}

void cl_l1_sender_opts_default(struct cl_l1_sender_opts *o)
{
	o->max_fee_ceiling = 500000000000ULL; /* 500 gwei */
	o->min_priority_fee = 1000000000ULL;  /* 1 gwei */
	o->fee_blocks = 10;
	o->fee_percentile = 50;
	o->gas_margin_pct = 25;
	o->confirmations = 3;
	o->drop_timeout_ms = 30000;
	o->stuck_timeout_ms = 60000;
	o->bump_permille = 1125;
	o->max_inflight = 64;
}

uint64_t cl_l1_calldata_floor(const uint8_t *data, size_t len, bool create)
{
	uint64_t gas = 21000 + (create ? 32000 : 0);

	for (size_t i = 0; i < len; i++)
		gas += data[i] ? 40 : 10;
	return gas;
}

bool sender_finished(const struct cl_l1_tx *t)
{
	return t->state == CL_L1_TX_CONFIRMED || t->state == CL_L1_TX_FAILED;
}

void l1_tx_clear(struct cl_l1_tx *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

int sender_save(struct cl_l1_sender *s)
{
	struct cl_l1_sender_file f = {
	    .chain_id = s->chain_id,
	    .from = s->from,
	    .next_nonce = s->next_nonce,
	    .next_id = s->next_id,
	    .n = s->n,
	    .txs = s->txs,
	};
	int rc = cl_l1_sender_file_save(s->dir, &f);
	if (rc == CL_OK)
		s->dirty = false;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

void cl_l1_sender_free(struct cl_l1_sender *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		l1_tx_clear(&s->txs[i]);
	free(s->txs);
	free(s->dir);
	free(s);
}

static int reconcile(struct cl_l1_sender *s, bool had_file)
{
	uint64_t latest, pending;
	int rc = cl_l1_eth_tx_count(s->rpc, &latest, &s->from, CL_L1_LATEST);
	if (rc != CL_OK)
		return rc;
	rc = cl_l1_eth_tx_count(s->rpc, &pending, &s->from, CL_L1_PENDING);
	if (rc != CL_OK)
		return rc;
	if (!had_file) {
		if (pending > latest)
			cl_unusual(L1_LOG,
				   "sender: %llu transactions of this key are "
				   "in the pool but unknown to this sender",
				   (unsigned long long)(pending - latest));
		s->next_nonce = pending;
		return sender_save(s);
	}
	if (pending > s->next_nonce) {
		cl_unusual(L1_LOG,
			   "sender: the node knows nonces up to %llu, this "
			   "sender assigned up to %llu: another sender uses "
			   "this key",
			   (unsigned long long)pending,
			   (unsigned long long)s->next_nonce);
		s->next_nonce = pending;
		return sender_save(s);
	}
	if (latest < s->next_nonce)
		cl_info(L1_LOG,
			"sender: resuming at nonce %llu (l1 has %llu "
			"mined)",
			(unsigned long long)s->next_nonce,
			(unsigned long long)latest);
	return CL_OK;
}

int cl_l1_sender_open(struct cl_l1_sender **out, struct cl_l1_rpc *rpc,
		      const struct cl_seckey *key, const char *state_dir,
		      uint64_t expect_chain_id,
		      const struct cl_l1_sender_opts *opts)
{
	struct cl_l1_sender *s = cl_xcalloc(1, sizeof(*s));
	struct cl_l1_sender_file f;
	int rc;

	*out = NULL;
	s->rpc = rpc;
	s->key = key;
	s->dir = cl_xstrdup(state_dir);
	if (opts)
		s->o = *opts;
	else
		cl_l1_sender_opts_default(&s->o);
	if (s->o.confirmations == 0)
		s->o.confirmations = 1;
	if (s->o.bump_permille < 1125)
		s->o.bump_permille = 1125;
	if (s->o.fee_blocks == 0 || s->o.fee_blocks > CL_L1_FEE_HISTORY_MAX)
		s->o.fee_blocks = 10;
	if (s->o.fee_percentile > 100)
		s->o.fee_percentile = 50;
	cl_seckey_address(&s->from, key);
	l1_sender_file_name(s->fname, &s->from);

	rc = cl_l1_eth_chain_id(rpc, &s->chain_id);
	if (rc != CL_OK)
		goto fail;
	if (expect_chain_id && s->chain_id != expect_chain_id) {
		cl_unusual(L1_LOG, "sender: l1 chain id is %llu, expected %llu",
			   (unsigned long long)s->chain_id,
			   (unsigned long long)expect_chain_id);
		rc = CL_L1_WRONG_CHAIN;
		goto fail;
	}

	rc = cl_l1_sender_file_load(&f, state_dir, &s->from);
	if (rc != CL_OK && rc != CL_ERR_NOT_FOUND)
		goto fail;
	bool had_file = rc == CL_OK;
	if (had_file) {
		if (f.chain_id != s->chain_id) {
			cl_unusual(L1_LOG,
				   "sender: state file is for chain %llu, the "
				   "node is on %llu",
				   (unsigned long long)f.chain_id,
				   (unsigned long long)s->chain_id);
			cl_l1_sender_file_release(&f);
			rc = CL_L1_WRONG_CHAIN;
			goto fail;
		}
		s->next_nonce = f.next_nonce;
		s->next_id = f.next_id;
		s->txs = f.txs;
		s->n = s->cap = f.n;
		uint64_t now = cl_clock_mono_ns();
		for (size_t i = 0; i < s->n; i++) {
			s->txs[i].state_since_ns = now;
			s->txs[i].sent_ns = now;
		}
	}
	rc = reconcile(s, had_file);
	if (rc != CL_OK)
		goto fail;
	*out = s;
	return CL_OK;
fail:
	cl_l1_sender_free(s);
	return rc;
}

void cl_l1_sender_address(const struct cl_l1_sender *s, struct cl_address *out)
{
	*out = s->from;
}

struct cl_l1_rpc *l1_sender_rpc(struct cl_l1_sender *s)
{
	return s->rpc;
}

uint64_t cl_l1_sender_chain_id(const struct cl_l1_sender *s)
{
	return s->chain_id;
}

uint64_t cl_l1_sender_next_nonce(const struct cl_l1_sender *s)
{
	return s->next_nonce;
}

struct cl_l1_tx *sender_find(const struct cl_l1_sender *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->txs[i].id == id)
			return &s->txs[i];
	return NULL;
}

const struct cl_l1_tx *cl_l1_sender_get(const struct cl_l1_sender *s,
					uint64_t id)
{
	return sender_find(s, id);
}

size_t cl_l1_sender_list(const struct cl_l1_sender *s, uint64_t *ids,
			 size_t cap)
{
	for (size_t i = 0; i < s->n && i < cap; i++)
		ids[i] = s->txs[i].id;
	return s->n;
}

int cl_l1_sender_forget(struct cl_l1_sender *s, uint64_t id)
{
	struct cl_l1_tx *t = sender_find(s, id);

	if (!t)
		return CL_ERR_NOT_FOUND;
	if (!sender_finished(t))
		return CL_ERR_BUSY;
	size_t i = (size_t)(t - s->txs);
	l1_tx_clear(t);
	memmove(&s->txs[i], &s->txs[i + 1], (s->n - i - 1) * sizeof(*t));
	s->n--;
	return sender_save(s);
}

/* ------------------------------------------------------------------ */
/* Fees and sending                                                    */
/* ------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The fees for a new version now: max fee = 2 * next base fee + tip,
 * tip = the median of the window's reward percentile, at least the
 * configured minimum. Capped at the ceiling when base + tip still fits
 * under it; CL_L1_FEE_CEILING otherwise. Computed once per step.
 */
int sender_fees(struct cl_l1_sender *s, uint64_t *max_fee, uint64_t *tip)
{
	struct cl_l1_fee_history h;
	uint64_t t, base, m;

	*max_fee = *tip = 0;
	if (s->fees_known) {
		*max_fee = s->fee_max;
		*tip = s->fee_tip;
		return s->fees_rc;
	}
	int rc = cl_l1_eth_fee_history(s->rpc, &h, s->o.fee_blocks,
				       s->o.fee_percentile);
	if (rc != CL_OK)
		return rc;
	base = h.base_fee[h.n];
	if (h.has_reward && h.n) {
		uint64_t r[CL_L1_FEE_HISTORY_MAX];
		memcpy(r, h.reward, h.n * sizeof(r[0]));
		qsort(r, h.n, sizeof(r[0]), cmp_u64);
		t = r[h.n / 2];
	} else {
		rc = cl_l1_eth_max_priority_fee(s->rpc, &t);
		if (rc != CL_OK)
			return rc;
	}
	if (t < s->o.min_priority_fee)
		t = s->o.min_priority_fee;

	s->fees_known = true;
	s->fees_rc = CL_OK;
	if (!cl_mul_u64(&m, base, 2) || !cl_add_u64(&m, m, t) ||
	    m > s->o.max_fee_ceiling) {
		uint64_t need;
		if (!cl_add_u64(&need, base, t) ||
		    need > s->o.max_fee_ceiling) {
			cl_unusual(L1_LOG,
				   "sender: base fee %llu + tip %llu is above "
				   "the ceiling %llu: not sending now",
				   (unsigned long long)base,
				   (unsigned long long)t,
				   (unsigned long long)s->o.max_fee_ceiling);
			s->fees_rc = CL_L1_FEE_CEILING;
			return s->fees_rc;
		}
		cl_unusual(L1_LOG, "sender: max fee capped at the ceiling %llu",
			   (unsigned long long)s->o.max_fee_ceiling);
		m = s->o.max_fee_ceiling;
	}
	s->fee_max = *max_fee = m;
	s->fee_tip = *tip = t;
	return CL_OK;
}

static void fill_tx(struct cl_tx1559 *tx, const struct cl_l1_sender *s,
		    const struct cl_l1_tx *t, uint64_t max_fee, uint64_t tip)
{
	memset(tx, 0, sizeof(*tx));
	tx->chain_id = s->chain_id;
	tx->nonce = t->nonce;
	tx->max_priority_fee_per_gas = tip;
	tx->max_fee_per_gas = max_fee;
	tx->gas_limit = t->gas_limit;
	tx->has_to = t->has_to;
	tx->to = t->to;
	memcpy(tx->value, t->value, 32);
	tx->data = t->data;
	tx->data_len = t->data_len;
}

static bool has_hash(const struct cl_l1_tx *t, const struct cl_hash32 *h)
{
	for (size_t i = 0; i < t->n_hashes; i++)
		if (cl_hash32_eq(&t->hashes[i], h))
			return true;
	return false;
}

void sender_set_state(struct cl_l1_sender *s, struct cl_l1_tx *t,
		      enum cl_l1_tx_state st)
{
	if (t->state == st)
		return;
	t->state = st;
	t->state_since_ns = cl_clock_mono_ns();
	s->dirty = true;
}

/* An RPC error text that means the node has this transaction already. */
static bool already_known(const struct cl_l1_error *e)
{
	return strstr(e->message, "already known") ||
	       strstr(e->message, "known transaction") ||
	       strstr(e->message, "already imported");
}

/*
 * Sign the version (nonce, max_fee, tip) of t, record its hash durably,
 * then hand it to the node. Returns CL_OK, a transport or I/O failure, or
 * CL_L1_RPC_ERROR when the node refused it (logged by the client).
 */
int sender_send_version(struct cl_l1_sender *s, struct cl_l1_tx *t,
			uint64_t max_fee, uint64_t tip)
{
	struct cl_tx1559 tx;
	struct cl_buf raw;
	struct cl_hash32 h;
	int rc;

	fill_tx(&tx, s, t, max_fee, tip);
	cl_buf_init(&raw);
	rc = cl_tx1559_sign(&raw, &h, s->key, &tx);
	if (rc != CL_OK) {
		cl_unusual(L1_LOG, "sender: cannot sign nonce %llu",
			   (unsigned long long)t->nonce);
		goto out;
	}
	if (!has_hash(t, &h)) {
		if (t->n_hashes == CL_L1_TX_VERSIONS) {
			memmove(&t->hashes[0], &t->hashes[1],
				(CL_L1_TX_VERSIONS - 1) * sizeof(h));
			t->n_hashes--;
		}
		t->hashes[t->n_hashes++] = h;
		t->max_fee = max_fee;
		t->priority_fee = tip;
		s->dirty = true;
	}
	if (s->dirty) {
		rc = sender_save(s);
		if (rc != CL_OK)
			goto out;
	}
	t->sends++;
	rc = cl_l1_eth_send_raw(s->rpc, NULL, raw.p, raw.len);
	if (rc == CL_L1_RPC_ERROR &&
	    already_known(cl_l1_rpc_last_error(s->rpc)))
		rc = CL_OK;
	if (rc == CL_OK) {
		t->sent_ns = cl_clock_mono_ns();
		t->unknown_ns = 0;
		if (t->state == CL_L1_TX_QUEUED)
			sender_set_state(s, t, CL_L1_TX_SENT);
		cl_debug(L1_LOG,
			 "sender: sent id %llu nonce %llu max fee %llu "
			 "tip %llu gas %llu",
			 (unsigned long long)t->id,
			 (unsigned long long)t->nonce,
			 (unsigned long long)max_fee, (unsigned long long)tip,
			 (unsigned long long)t->gas_limit);
	}
out:
	cl_buf_release(&raw);
	return rc;
}

/*
 * Send a transaction the node does not know again: the latest version,
 * or a new one when the fee policy now asks for more (a node may evict
 * a transaction whose max fee fell below the base fee). Without a
 * version in the pool there is no replacement rule to meet.
 */
int sender_resend(struct cl_l1_sender *s, struct cl_l1_tx *t)
{
	uint64_t cur_max, cur_tip;
	uint64_t max_fee = t->max_fee, tip = t->priority_fee;
	int rc = sender_fees(s, &cur_max, &cur_tip);

	if (rc != CL_OK && rc != CL_L1_FEE_CEILING)
		return rc;
	if (rc == CL_OK && t->n_hashes) {
		if (cur_max > max_fee)
			max_fee = cur_max;
		if (cur_tip > tip)
			tip = cur_tip;
	}
	if (!t->n_hashes) {
		if (rc != CL_OK)
			return CL_OK; /* over the ceiling: wait */
		max_fee = cur_max;
		tip = cur_tip;
	}
	return sender_send_version(s, t, max_fee, tip);
}

/* A fee raised by the bump factor, rounded up. */
static bool bumped(uint64_t *out, uint64_t fee, unsigned permille)
{
	return cl_muldiv_u64_up(out, fee, permille, 1000);
}

/*
 * Replace a stuck transaction: both fees at least bump_permille of the
 * old ones (at least +12.5%), and at least the current policy's fees.
 */
int sender_bump(struct cl_l1_sender *s, struct cl_l1_tx *t)
{
	uint64_t cur_max = 0, cur_tip = 0, min_max, min_tip, new_max, new_tip;
	int rc = sender_fees(s, &cur_max, &cur_tip);

	if (rc != CL_OK && rc != CL_L1_FEE_CEILING)
		return rc;
	bool can = bumped(&min_max, t->max_fee, s->o.bump_permille) &&
		   bumped(&min_tip, t->priority_fee, s->o.bump_permille);
	new_max = min_max > cur_max ? min_max : cur_max;
	new_tip = min_tip > cur_tip ? min_tip : cur_tip;
	if (new_max > s->o.max_fee_ceiling)
		new_max = s->o.max_fee_ceiling;
	if (!can || new_max < min_max || new_tip > new_max) {
		cl_unusual(L1_LOG,
			   "sender: nonce %llu is stuck and a bump would pass "
			   "the fee ceiling %llu",
			   (unsigned long long)t->nonce,
			   (unsigned long long)s->o.max_fee_ceiling);
		t->sent_ns = cl_clock_mono_ns(); /* try again later */
		return CL_L1_FEE_CEILING;
	}
	cl_info(L1_LOG,
		"sender: nonce %llu stuck for %llu ms, bumping fees "
		"%llu/%llu -> %llu/%llu",
		(unsigned long long)t->nonce,
		(unsigned long long)l1_ms_since(t->sent_ns),
		(unsigned long long)t->max_fee,
		(unsigned long long)t->priority_fee,
		(unsigned long long)new_max, (unsigned long long)new_tip);
	t->bumps++;
	return sender_send_version(s, t, new_max, new_tip);
}

/* ------------------------------------------------------------------ */
/* Submit                                                              */
/* ------------------------------------------------------------------ */

int cl_l1_sender_submit(struct cl_l1_sender *s, uint64_t *id,
			const struct cl_l1_txreq *req)
{
	size_t open = 0;
	uint64_t gas = req->gas_limit;
	int rc;

	*id = 0;
	for (size_t i = 0; i < s->n; i++)
		open += !sender_finished(&s->txs[i]);
	if (open >= s->o.max_inflight)
		return CL_ERR_BUSY;
	if (req->data_len > SENDER_MAX_DATA)
		return CL_L1_DATA_TOO_LARGE;

	uint64_t floor =
	    cl_l1_calldata_floor(req->data, req->data_len, req->to == NULL);
	if (gas == 0) {
		struct cl_l1_callreq cr = {
		    .from = &s->from,
		    .to = req->to,
		    .data = req->data,
		    .data_len = req->data_len,
		    .value = req->value,
		};
		uint64_t est;
		rc = cl_l1_eth_estimate_gas(s->rpc, &est, &cr);
		if (rc != CL_OK)
			return rc;
		if (!cl_muldiv_u64_up(&gas, est, 100 + s->o.gas_margin_pct,
				      100))
			gas = UINT64_MAX;
	}
	if (gas < floor)
		gas = floor;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->txs = cl_xrealloc(s->txs, s->cap * sizeof(*s->txs));
	}
	struct cl_l1_tx *t = &s->txs[s->n];
	memset(t, 0, sizeof(*t));
	t->id = s->next_id;
	t->nonce = s->next_nonce;
	t->state = CL_L1_TX_QUEUED;
	t->has_to = req->to != NULL;
	if (req->to)
		t->to = *req->to;
	if (req->value)
		memcpy(t->value, req->value, 32);
	if (req->data_len) {
		t->data = cl_xmalloc(req->data_len);
		memcpy(t->data, req->data, req->data_len);
	}
	t->data_len = req->data_len;
	t->gas_limit = gas;
	t->state_since_ns = t->sent_ns = cl_clock_mono_ns();
	s->n++;
	s->next_id++;
	s->next_nonce++;

	rc = sender_save(s);
	if (rc != CL_OK) {
		s->n--;
		s->next_id--;
		s->next_nonce--;
		l1_tx_clear(&s->txs[s->n]);
		return rc;
	}
	*id = t->id;
	cl_debug(L1_LOG,
		 "sender: queued id %llu nonce %llu, %zu bytes, gas "
		 "%llu",
		 (unsigned long long)t->id, (unsigned long long)t->nonce,
		 t->data_len, (unsigned long long)gas);

	/* the first send; whatever fails here is retried by step() */
	uint64_t max_fee, tip;
	s->fees_known = false;
	if (sender_fees(s, &max_fee, &tip) == CL_OK)
		(void)sender_send_version(s, t, max_fee, tip);
	return CL_OK;
}
