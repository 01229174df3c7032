/* SPDX-License-Identifier: MIT */
/*
 * The sender's step (sender.c has the rest): each call looks at every
 * transaction not yet final and moves it on: receipts of any version,
 * inclusion depth and reorgs, a nonce the node gave to another
 * transaction, gaps, resends and fee bumps (docs/l1-client.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sender_int.h"

/* ------------------------------------------------------------------ */

/* Look for a receipt of any version, newest first. */
static int find_receipt(struct cl_l1_sender *s, struct cl_l1_tx *t, bool *found)
{
	*found = false;
	for (size_t i = t->n_hashes; i-- > 0;) {
		struct cl_l1_receipt r;
		int rc = cl_l1_eth_receipt(s->rpc, &r, found, &t->hashes[i]);
		if (rc != CL_OK)
			return rc;
		if (!*found)
			continue;
		t->mined_hash = t->hashes[i];
		t->block_number = r.block_number;
		t->block_hash = r.block_hash;
		t->success = r.status;
		t->gas_used = r.gas_used;
		t->effective_gas_price = r.effective_gas_price;
		cl_l1_receipt_release(&r);
		return CL_OK;
	}
	return CL_OK;
}

/* Does the node know any version (pending or mined)? */
static int node_knows(struct cl_l1_sender *s, const struct cl_l1_tx *t,
		      bool *known)
{
	*known = false;
	for (size_t i = t->n_hashes; i-- > 0;) {
		struct cl_l1_txinfo info;
		int rc =
		    cl_l1_eth_tx_by_hash(s->rpc, &info, known, &t->hashes[i]);
		if (rc != CL_OK || *known)
			return rc;
	}
	return CL_OK;
}

/*
 * The chain's mined nonce is below our lowest open nonce and nothing is
 * pending: the chain lost transactions we thought were final (a reorg
 * deeper than the confirmation depth, or a new chain with the same id).
 * Our open transactions would wait forever behind the gap, so they are
 * given new nonces from the chain's one.
 */
static int renumber(struct cl_l1_sender *s, uint64_t latest)
{
	uint64_t pending;
	int rc = cl_l1_eth_tx_count(s->rpc, &pending, &s->from, CL_L1_PENDING);

	if (rc != CL_OK)
		return rc;
	if (pending != latest)
		return CL_OK; /* something is pending: wait for it */
	uint64_t next = latest;
	cl_unusual(L1_LOG,
		   "sender: l1 lost nonces %llu..%llu, giving the "
		   "open transactions new nonces",
		   (unsigned long long)latest,
		   (unsigned long long)s->next_nonce);
	for (size_t i = 0; i < s->n; i++) {
		struct cl_l1_tx *t = &s->txs[i];
		if (sender_finished(t))
			continue;
		t->nonce = next++;
		t->n_hashes = 0;
		t->unknown_ns = 0;
		t->state = CL_L1_TX_QUEUED;
		t->state_since_ns = cl_clock_mono_ns();
	}
	s->next_nonce = next;
	s->dirty = true;
	return sender_save(s);
}

/* Most empty transfers sent to fill one gap; a larger gap is not a
 * reorg of our own recent history (renumber() handles a new chain). */
#define GAP_FILL_MAX 64

/*
 * The chain lost nonces below our lowest open transaction, ones we had as
 * final (a reorg deeper than the confirmation depth), while the node
 * holds that transaction: it waits behind the gap, which only this key
 * can fill. Empty transfers to ourselves at the missing nonces let the
 * open transactions be mined as they are; what the lost transactions did
 * is for their owners to redo (the poster posts a lost batch again, and
 * a copy it sent meanwhile is one of the open transactions).
 */
static int fill_gap(struct cl_l1_sender *s, struct cl_l1_tx *t, uint64_t latest)
{
	uint64_t pending, max_fee, tip;
	int rc = cl_l1_eth_tx_count(s->rpc, &pending, &s->from, CL_L1_PENDING);

	if (rc != CL_OK)
		return rc;
	if (pending != latest)
		return CL_OK; /* lost ones are back in the pool: wait */
	if (t->nonce - latest > GAP_FILL_MAX)
		return renumber(s, latest);
	rc = sender_fees(s, &max_fee, &tip);
	if (rc == CL_L1_FEE_CEILING)
		return CL_OK; /* logged; the next timeout tries again */
	if (rc != CL_OK)
		return rc;
	cl_unusual(
	    L1_LOG,
	    "sender: l1 lost nonces %llu..%llu below id %llu (a reorg "
	    "deeper than %llu confirmations): filling them with empty "
	    "transfers",
	    (unsigned long long)latest, (unsigned long long)(t->nonce - 1),
	    (unsigned long long)t->id, (unsigned long long)s->o.confirmations);
	for (uint64_t n = latest; n < t->nonce; n++) {
		struct cl_tx1559 tx;
		struct cl_buf raw;
		struct cl_hash32 h;

		memset(&tx, 0, sizeof(tx));
		tx.chain_id = s->chain_id;
		tx.nonce = n;
		tx.max_priority_fee_per_gas = tip;
		tx.max_fee_per_gas = max_fee;
		tx.gas_limit = 21000;
		tx.has_to = true;
		tx.to = s->from;
		cl_buf_init(&raw);
		rc = cl_tx1559_sign(&raw, &h, s->key, &tx);
		if (rc == CL_OK)
			rc = cl_l1_eth_send_raw(s->rpc, NULL, raw.p, raw.len);
		cl_buf_release(&raw);
		if (rc == CL_L1_RPC_ERROR)
			return CL_OK; /* logged; the next timeout tries again */
		if (rc != CL_OK)
			return rc;
		t->gap_fills++;
	}
	return CL_OK;
}

static int step_sent(struct cl_l1_sender *s, struct cl_l1_tx *t,
		     uint64_t latest_nonce, bool lowest_open)
{
	bool found, known;
	int rc = find_receipt(s, t, &found);

	if (rc != CL_OK)
		return rc;
	if (found) {
		sender_set_state(s, t, CL_L1_TX_INCLUDED);
		t->unknown_ns = 0;
		t->resend_now = false;
		cl_debug(L1_LOG,
			 "sender: id %llu nonce %llu included in block "
			 "%llu",
			 (unsigned long long)t->id,
			 (unsigned long long)t->nonce,
			 (unsigned long long)t->block_number);
		return CL_OK;
	}
	uint64_t now = cl_clock_mono_ns();
	if (latest_nonce > t->nonce) {
		/* our nonce is used, but by none of our versions (or the
		 * receipt lags): give it the drop timeout */
		if (!t->unknown_ns)
			t->unknown_ns = now;
		if (l1_ms_since(t->unknown_ns) < s->o.drop_timeout_ms)
			return CL_OK;
		cl_unusual(L1_LOG,
			   "sender: nonce %llu of id %llu was used by "
			   "another transaction",
			   (unsigned long long)t->nonce,
			   (unsigned long long)t->id);
		sender_set_state(s, t, CL_L1_TX_FAILED);
		return CL_OK;
	}
	rc = node_knows(s, t, &known);
	if (rc != CL_OK)
		return rc;
	if (known) {
		t->unknown_ns = 0;
		if (lowest_open && latest_nonce < t->nonce) {
			/* held behind nonces the chain lost: give a lagging
			 * node the drop timeout, then fill the gap */
			if (!t->gap_ns)
				t->gap_ns = now;
			if (l1_ms_since(t->gap_ns) < s->o.drop_timeout_ms)
				return CL_OK;
			t->gap_ns = now; /* a fill that fails waits again */
			return fill_gap(s, t, latest_nonce);
		}
		t->gap_ns = 0;
		if (l1_ms_since(t->sent_ns) >= s->o.stuck_timeout_ms) {
			rc = sender_bump(s, t);
			if (rc == CL_L1_FEE_CEILING || rc == CL_L1_RPC_ERROR)
				rc = CL_OK;
		}
		return rc;
	}
	if (!t->unknown_ns)
		t->unknown_ns = now;
	if (!t->resend_now && l1_ms_since(t->unknown_ns) < s->o.drop_timeout_ms)
		return CL_OK;
	if (lowest_open && latest_nonce < t->nonce)
		return renumber(s, latest_nonce);
	cl_info(L1_LOG,
		"sender: id %llu nonce %llu is unknown to l1, "
		"sending it again",
		(unsigned long long)t->id, (unsigned long long)t->nonce);
	t->resend_now = false;
	t->resends++;
	t->unknown_ns = now; /* a refused resend waits another timeout */
	rc = sender_resend(s, t);
	if (rc == CL_L1_RPC_ERROR)
		rc = CL_OK; /* logged; tried again next round */
	return rc;
}

static int step_included(struct cl_l1_sender *s, struct cl_l1_tx *t,
			 uint64_t head)
{
	struct cl_l1_block b;
	bool found;
	int rc = cl_l1_eth_block_by_number(s->rpc, &b, &found, t->block_number);

	if (rc != CL_OK)
		return rc;
	if (!found || !cl_hash32_eq(&b.hash, &t->block_hash)) {
		cl_unusual(L1_LOG,
			   "sender: block %llu holding nonce %llu left "
			   "the canonical chain",
			   (unsigned long long)t->block_number,
			   (unsigned long long)t->nonce);
		t->reorgs++;
		t->resend_now = true;
		t->unknown_ns = 0;
		t->sent_ns = cl_clock_mono_ns();
		memset(&t->mined_hash, 0, sizeof(t->mined_hash));
		memset(&t->block_hash, 0, sizeof(t->block_hash));
		t->block_number = 0;
		sender_set_state(s, t, CL_L1_TX_SENT);
		return CL_OK;
	}
	if (head + 1 >= t->block_number + s->o.confirmations) {
		sender_set_state(s, t, CL_L1_TX_CONFIRMED);
		cl_info(L1_LOG,
			"sender: id %llu nonce %llu confirmed in block "
			"%llu (%s, gas used %llu)",
			(unsigned long long)t->id, (unsigned long long)t->nonce,
			(unsigned long long)t->block_number,
			t->success ? "success" : "reverted",
			(unsigned long long)t->gas_used);
	}
	return CL_OK;
}

int cl_l1_sender_recheck(struct cl_l1_sender *s, uint64_t id)
{
	struct cl_l1_tx *t = sender_find(s, id);
	struct cl_l1_block b;
	bool found;

	if (!t || t->state != CL_L1_TX_CONFIRMED)
		return CL_OK;
	int rc = cl_l1_eth_block_by_number(s->rpc, &b, &found, t->block_number);
	if (rc != CL_OK || (found && cl_hash32_eq(&b.hash, &t->block_hash)))
		return rc;
	/* as if still included: step_included sees the block gone and
	 * sends it again (head 0: it cannot count it confirmed here) */
	sender_set_state(s, t, CL_L1_TX_INCLUDED);
	rc = step_included(s, t, 0);
	int src = s->dirty ? sender_save(s) : CL_OK;
	return rc != CL_OK ? rc : src;
}

int cl_l1_sender_step(struct cl_l1_sender *s)
{
	uint64_t head, latest_nonce;
	bool lowest = true;
	int rc = CL_OK;

	s->fees_known = false;
	size_t open = 0;
	for (size_t i = 0; i < s->n; i++)
		open += !sender_finished(&s->txs[i]);
	if (!open)
		return s->dirty ? sender_save(s) : CL_OK;

	rc = cl_l1_eth_block_number(s->rpc, &head);
	if (rc != CL_OK)
		return rc;
	rc = cl_l1_eth_tx_count(s->rpc, &latest_nonce, &s->from, CL_L1_LATEST);
	if (rc != CL_OK)
		return rc;

	for (size_t i = 0; i < s->n && rc == CL_OK; i++) {
		struct cl_l1_tx *t = &s->txs[i];
		uint64_t max_fee, tip;
		bool was_lowest = lowest;

		if (sender_finished(t))
			continue;
		lowest = false;
		switch (t->state) {
		case CL_L1_TX_QUEUED:
			if (t->n_hashes) {
				/* signed and stored, maybe sent before a
				 * restart: look for it like a sent one */
				sender_set_state(s, t, CL_L1_TX_SENT);
				rc = step_sent(s, t, latest_nonce, was_lowest);
				break;
			}
			if (latest_nonce > t->nonce) {
				/* no version of ours exists: not our use */
				cl_unusual(L1_LOG,
					   "sender: nonce %llu of id "
					   "%llu was used by another "
					   "transaction",
					   (unsigned long long)t->nonce,
					   (unsigned long long)t->id);
				sender_set_state(s, t, CL_L1_TX_FAILED);
				break;
			}
			rc = sender_fees(s, &max_fee, &tip);
			if (rc == CL_L1_FEE_CEILING) {
				rc = CL_OK;
				break;
			}
			if (rc == CL_OK)
				rc = sender_send_version(s, t, max_fee, tip);
			if (rc == CL_L1_RPC_ERROR)
				rc = CL_OK;
			break;
		case CL_L1_TX_SENT:
			rc = step_sent(s, t, latest_nonce, was_lowest);
			break;
		case CL_L1_TX_INCLUDED:
			rc = step_included(s, t, head);
			break;
		case CL_L1_TX_CONFIRMED:
		case CL_L1_TX_FAILED:
			break;
		}
	}
	if (s->dirty) {
		int src = sender_save(s);
		if (rc == CL_OK)
			rc = src;
	}
	return rc;
}

int cl_l1_sender_wait(struct cl_l1_sender *s, uint64_t id, uint64_t timeout_ms,
		      uint64_t poll_ms)
{
	uint64_t start = cl_clock_mono_ns();

	for (;;) {
		const struct cl_l1_tx *t = sender_find(s, id);
		if (!t)
			return CL_ERR_NOT_FOUND;
		if (t->state == CL_L1_TX_CONFIRMED)
			return t->success ? CL_OK : CL_L1_REVERTED;
		if (t->state == CL_L1_TX_FAILED)
			return CL_L1_NONCE_TAKEN;
		if (l1_ms_since(start) >= timeout_ms)
			return CL_ERR_TIMEOUT;
		/* failures are logged where they start; keep going */
		int rc = cl_l1_sender_step(s);
		(void)rc;
		t = sender_find(s, id);
		if (t && (t->state == CL_L1_TX_CONFIRMED ||
			  t->state == CL_L1_TX_FAILED))
			continue;
		l1_sleep_ms(poll_ms);
	}
}
