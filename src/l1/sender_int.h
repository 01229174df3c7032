/* SPDX-License-Identifier: MIT */
/*
 * Internal to the transaction sender: its state, shared by sender.c
 * (open, submit, fees and sending) and sender_step.c (moving each
 * transaction on: receipts, reorgs, resends, bumps).
 */
#ifndef CLEARLINE_L1_SENDER_INT_H
#define CLEARLINE_L1_SENDER_INT_H

#include "l1_int.h"

struct cl_l1_sender {
	struct cl_l1_rpc *rpc;
	const struct cl_seckey *key;
	struct cl_address from;
	char *dir;
	char fname[80];
	uint64_t chain_id;
	struct cl_l1_sender_opts o;
	uint64_t next_nonce;
	uint64_t next_id;
	size_t n, cap;
	struct cl_l1_tx *txs; /* by id, which is also nonce order */
	bool dirty;
	/* fees of the current step, computed at most once per step */
	bool fees_known;
	int fees_rc;
	uint64_t fee_max, fee_tip;
};

/* Confirmed or failed: nothing more happens to it. */
bool sender_finished(const struct cl_l1_tx *t);
/* Write the state file (the write-ahead record). */
int sender_save(struct cl_l1_sender *s);
/* The transaction with id `id`, or NULL. */
struct cl_l1_tx *sender_find(const struct cl_l1_sender *s, uint64_t id);
/* The fees of this step (computed at most once a step). */
int sender_fees(struct cl_l1_sender *s, uint64_t *max_fee, uint64_t *tip);
/* Move `t` to state `st` (logged, saved with the next save). */
void sender_set_state(struct cl_l1_sender *s, struct cl_l1_tx *t,
		      enum cl_l1_tx_state st);
/* Sign and send a version of `t` at these fees (recorded first). */
int sender_send_version(struct cl_l1_sender *s, struct cl_l1_tx *t,
			uint64_t max_fee, uint64_t tip);
/* Send the newest version of `t` again. */
int sender_resend(struct cl_l1_sender *s, struct cl_l1_tx *t);
/* Replace `t` by a version with bumped fees. */
int sender_bump(struct cl_l1_sender *s, struct cl_l1_tx *t);

#endif
