/* SPDX-License-Identifier: MIT */
/*
 * Playing one dispute game on L1 (include/clearline/l1.h "Playing a
 * game", docs/disputes.md "The nodes"): each round reads the game's
 * record from ClearlineDispute (so a restarted node resumes from L1
 * alone), and takes at most one action through the sender: defend,
 * move, post the step's preimage, step, claim a timeout, resolve on
 * the rollup. What to claim is the strategy's (the node's VM player);
 * this file knows the rules and the clocks, not the VM.
 */
#include <stdio.h>
#include <string.h>

#include "l1_int.h"

static const char *const SUB = "game";

static int view(struct cl_l1_rpc *rpc, const struct cl_address *to,
		struct cl_buf *ret, const struct cl_buf *cd)
{
	struct cl_l1_callreq req = {.to = to, .data = cd->p,
				    .data_len = cd->len};

	cl_buf_reset(ret);
	return cl_l1_eth_call(rpc, ret, &req, CL_L1_LATEST);
}

int cl_l1_game_read(struct cl_l1_rpc *rpc, const struct cl_address *dispute,
		    struct cl_l1_game *out, uint64_t game_id)
{
	struct cl_buf cd, ret;
	int rc;

	memset(out, 0, sizeof(*out));
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_abi_dispute_game(&cd, game_id);
	rc = view(rpc, dispute, &ret, &cd);
	if (!rc && !cl_l1_abi_ret_game(out, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

bool cl_l1_game_settled(const struct cl_l1_game_play *p)
{
	return p->over && p->resolved && !p->tx_inflight && p->n_old == 0 &&
	       (p->g.winner != p->side || p->withdrawn);
}

uint64_t cl_l1_game_clock_left(const struct cl_l1_game *g, unsigned side,
			       uint64_t now)
{
	uint64_t c = side == CL_L1_SIDE_DEFENDER ? g->defender_clock
						  : g->challenger_clock;
	uint64_t used;

	if (g->phase == CL_L1_PHASE_OVER || side != g->turn)
		return c;
	used = now > g->since ? now - g->since : 0;
	return used >= c ? 0 : c - used;
}

static void forget(struct cl_l1_game_play *p, struct cl_l1_sender *s)
{
	if (cl_l1_sender_forget(s, p->tx_id))
		cl_debug(SUB, "cannot forget a game transaction");
	p->tx_inflight = false;
}

/* Follow the transaction in flight; true while it blocks the next. */
static bool inflight(struct cl_l1_game_play *p, struct cl_l1_sender *s)
{
	const struct cl_l1_tx *t;

	if (!p->tx_inflight)
		return false;
	t = cl_l1_sender_get(s, p->tx_id);
	if (!t) {
		p->tx_inflight = false;
		return false;
	}
	switch (t->state) {
	case CL_L1_TX_QUEUED:
	case CL_L1_TX_SENT:
		return true;
	case CL_L1_TX_INCLUDED:
		/* the game's record (read at latest) tells whether it
		 * worked; a reverted one is tried again at once */
		if (t->success && p->key_kind == 'R')
			p->resolved = true;
		if (t->success && p->key_kind == 'W')
			p->withdrawn = true;
		if (!t->success) {
			cl_unusual(SUB, "game %llu: %s reverted on l1",
				   (unsigned long long)p->id, p->tx_what);
			p->key_kind = 0;
			p->tx_inflight = false;
		}
		return false;
	case CL_L1_TX_CONFIRMED:
		if (t->success && p->key_kind == 'R')
			p->resolved = true;
		if (t->success && p->key_kind == 'W')
			p->withdrawn = true;
		if (t->success && p->key_kind == 'W')
			p->withdrawn = true;
		if (!t->success) {
			cl_unusual(SUB, "game %llu: %s reverted on l1",
				   (unsigned long long)p->id, p->tx_what);
			p->key_kind = 0;
		}
		forget(p, s);
		return false;
	case CL_L1_TX_FAILED:
		cl_unusual(SUB, "game %llu: %s failed: its nonce was taken",
			   (unsigned long long)p->id, p->tx_what);
		p->key_kind = 0;
		forget(p, s);
		return false;
	}
	return false;
}

/* Send one action, once per position (phase, lo, hi) and kind. */
static int act(struct cl_l1_game_play *p, const struct cl_l1_game_ctx *c,
	       char kind, const char *what, const struct cl_address *to,
	       const uint8_t *value, const struct cl_buf *cd)
{
	struct cl_l1_txreq req = {.to = to, .value = value, .data = cd->p,
				  .data_len = cd->len};
	uint64_t id;
	int rc;

	if (p->key_kind == kind && p->key_phase == p->g.phase &&
	    p->key_lo == p->g.lo && p->key_hi == p->g.hi)
		return CL_OK; /* sent already for this position */
	if (p->tx_inflight) {
		/* follow only the newest; the earlier one is forgotten once
		 * it is final (or left in the sender's file when too many
		 * wait) */
		if (p->n_old == CL_ARRAY_LEN(p->old)) {
			memmove(p->old, p->old + 1,
				sizeof(p->old) - sizeof(p->old[0]));
			p->n_old--;
		}
		p->old[p->n_old++] = p->tx_id;
		p->tx_inflight = false;
	}
	rc = cl_l1_sender_submit(c->sender, &id, &req);
	if (rc) {
		cl_unusual(SUB, "game %llu: cannot send %s: %s",
			   (unsigned long long)p->id, what, cl_l1_err_str(rc));
		return rc;
	}
	p->tx_id = id;
	p->tx_inflight = true;
	snprintf(p->tx_what, sizeof(p->tx_what), "%s", what);
	p->key_kind = kind;
	p->key_phase = p->g.phase;
	p->key_lo = p->g.lo;
	p->key_hi = p->g.hi;
	p->actions++;
	return CL_OK;
}

static void hexs(char out[67], const struct cl_hash32 *h)
{
	cl_hex_encode(out, h->b, 32, true);
}

static int do_defend(struct cl_l1_game_play *p, const struct cl_l1_game_ctx *c,
		     const struct cl_l1_game_strategy *s)
{
	struct cl_hash32 claim, mid;
	struct cl_buf cd;
	char a[67];
	int rc = s->claim(s->ctx, &claim, &mid);

	if (rc)
		return rc;
	cl_buf_init(&cd);
	cl_l1_abi_dispute_defend(&cd, p->id, &claim, &mid);
	rc = act(p, c, 'D', "defend", &c->dispute, c->bond, &cd);
	cl_buf_release(&cd);
	if (!rc && p->key_kind == 'D') {
		hexs(a, &claim);
		snprintf(p->last, sizeof(p->last), "defend, claim %.18s..", a);
		cl_info(SUB,
			"game %llu (batch %llu, block %u): defend with claim "
			"%s, %llu s left on the clock",
			(unsigned long long)p->id, (unsigned long long)p->batch,
			p->k, a,
			(unsigned long long)cl_l1_game_clock_left(
			    &p->g, CL_L1_SIDE_DEFENDER, p->l1_time));
	}
	return rc;
}

static int do_move(struct cl_l1_game_play *p, const struct cl_l1_game_ctx *c,
		   const struct cl_l1_game_strategy *s)
{
	struct cl_hash32 next;
	struct cl_buf cd;
	bool agree = false;
	int rc;

	if (p->key_kind == 'M' && p->key_phase == p->g.phase &&
	    p->key_lo == p->g.lo && p->key_hi == p->g.hi)
		return CL_OK;
	rc = s->move(s->ctx, p->g.lo, p->g.hi, &p->g.mid_hash, &agree, &next);
	if (rc)
		return rc;
	cl_buf_init(&cd);
	cl_l1_abi_dispute_move(&cd, p->id, p->g.lo, p->g.hi, agree, &next);
	rc = act(p, c, 'M', "move", &c->dispute, NULL, &cd);
	cl_buf_release(&cd);
	if (!rc) {
		uint64_t m = p->g.lo + (p->g.hi - p->g.lo) / 2;
		snprintf(p->last, sizeof(p->last), "%s at %llu of (%llu, %llu]",
			 agree ? "agree" : "disagree", (unsigned long long)m,
			 (unsigned long long)p->g.lo,
			 (unsigned long long)p->g.hi);
		cl_info(SUB,
			"game %llu (batch %llu, block %u): move %llu: %s "
			"with the hash at step %llu of (%llu, %llu], %llu s "
			"left on the clock",
			(unsigned long long)p->id, (unsigned long long)p->batch,
			p->k, (unsigned long long)p->actions,
			agree ? "agree" : "disagree", (unsigned long long)m,
			(unsigned long long)p->g.lo,
			(unsigned long long)p->g.hi,
			(unsigned long long)cl_l1_game_clock_left(
			    &p->g, p->side, p->l1_time));
	}
	return rc;
}

/* Is the preimage of the step on the oracle? */
static int posted(struct cl_l1_rpc *rpc, const struct cl_address *oracle,
		  bool *out, const struct cl_buf *pre)
{
	struct cl_hash32 key;
	struct cl_buf cd, ret;
	uint64_t len = 0;
	int rc;

	*out = false;
	cl_keccak256(key.b, pre->p, pre->len);
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_abi_preimage_length_of(&cd, &key);
	rc = view(rpc, oracle, &ret, &cd);
	if (!rc && !cl_l1_abi_ret_length_of(out, &len, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc && *out && len != pre->len)
		*out = false;
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

static int do_step(struct cl_l1_game_play *p, const struct cl_l1_game_ctx *c,
		   const struct cl_l1_game_strategy *s)
{
	struct cl_buf proof, pre, cd;
	bool has = false, on_l1 = false;
	int rc;

	if (p->key_kind == 'S' && p->key_phase == p->g.phase &&
	    p->key_lo == p->g.lo && p->key_hi == p->g.hi)
		return CL_OK;
	cl_buf_init(&proof);
	cl_buf_init(&pre);
	cl_buf_init(&cd);
	rc = s->proof(s->ctx, p->g.lo, &proof, &pre, &has);
	if (rc == CL_ERR_NOT_FOUND) {
		rc = CL_OK; /* no proof to make: wait for the clock */
		goto out;
	}
	if (rc)
		goto out;
	if (has) {
		rc = posted(c->rpc, &c->preimages, &on_l1, &pre);
		if (rc)
			goto out;
	}
	if (has && !on_l1) {
		cl_l1_abi_preimage_post(&cd, pre.p, pre.len);
		rc = act(p, c, 'P', "preimage post", &c->preimages, NULL, &cd);
		if (!rc)
			cl_info(SUB,
				"game %llu: the step at %llu reads a "
				"preimage of %zu bytes: posted to the oracle",
				(unsigned long long)p->id,
				(unsigned long long)p->g.lo, pre.len);
		goto out;
	}
	cl_l1_abi_dispute_step(&cd, p->id, proof.p, proof.len);
	rc = act(p, c, 'S', "step", &c->dispute, NULL, &cd);
	if (!rc) {
		snprintf(p->last, sizeof(p->last), "step %llu",
			 (unsigned long long)p->g.lo);
		cl_info(SUB,
			"game %llu (batch %llu, block %u): step %llu proven "
			"on l1 (%zu-byte proof%s)",
			(unsigned long long)p->id, (unsigned long long)p->batch,
			p->k, (unsigned long long)p->g.lo, proof.len,
			has ? " with a preimage" : "");
	}
out:
	cl_buf_release(&proof);
	cl_buf_release(&pre);
	cl_buf_release(&cd);
	return rc;
}

static int do_timeout(struct cl_l1_game_play *p,
		      const struct cl_l1_game_ctx *c)
{
	struct cl_buf cd;
	int rc;

	cl_buf_init(&cd);
	cl_l1_abi_dispute_timeout(&cd, p->id);
	rc = act(p, c, 'T', "timeout", &c->dispute, NULL, &cd);
	cl_buf_release(&cd);
	if (!rc && p->tx_inflight)
		cl_info(SUB, "game %llu: the other side's clock ran out: "
			     "timeout claimed",
			(unsigned long long)p->id);
	return rc;
}

static int do_resolve(struct cl_l1_game_play *p,
		      const struct cl_l1_game_ctx *c)
{
	struct cl_buf cd;
	int rc;

	cl_buf_init(&cd);
	cl_l1_abi_game_resolve(&cd, p->id);
	rc = act(p, c, 'R', "resolve", &c->rollup, NULL, &cd);
	cl_buf_release(&cd);
	if (rc == CL_L1_RPC_ERROR) {
		/* the estimate reverted: resolved already (by anyone) */
		p->resolved = true;
		return CL_OK;
	}
	if (!rc)
		cl_info(SUB, "game %llu: over, %s won: resolve sent to the "
			     "rollup",
			(unsigned long long)p->id,
			p->g.winner == CL_L1_SIDE_DEFENDER ? "the defender"
							   : "the challenger");
	return rc;
}

/* Our credit in the dispute contract (bonds won), withdrawn once. */
static int do_withdraw(struct cl_l1_game_play *p,
		       const struct cl_l1_game_ctx *c)
{
	struct cl_address me;
	struct cl_buf cd, ret;
	int rc;

	cl_l1_sender_address(c->sender, &me);
	cl_buf_init(&cd);
	cl_buf_init(&ret);
	cl_l1_abi_call0(&cd, CL_L1_SIG_DISPUTE_CREDIT);
	cl_l1_abi_put_address(&cd, &me);
	rc = view(c->rpc, &c->dispute, &ret, &cd);
	bool none = true;
	for (size_t i = 0; !rc && i < ret.len; i++)
		none &= ret.p[i] == 0;
	if (!rc && ret.len != 32)
		rc = CL_ERR_CORRUPT;
	if (!rc && none) {
		p->withdrawn = true; /* nothing (left) to take */
	} else if (!rc) {
		cl_buf_reset(&cd);
		cl_l1_abi_call0(&cd, CL_L1_SIG_DISPUTE_WITHDRAW);
		rc = act(p, c, 'W', "withdraw", &c->dispute, NULL, &cd);
		if (!rc && p->key_kind == 'W')
			cl_info(SUB, "game %llu: won: our bonds withdrawn "
				     "from the dispute contract",
				(unsigned long long)p->id);
	}
	cl_buf_release(&cd);
	cl_buf_release(&ret);
	return rc;
}

int cl_l1_game_play_step(struct cl_l1_game_play *p,
			 const struct cl_l1_game_ctx *c,
			 const struct cl_l1_game_strategy *s)
{
	struct cl_l1_block head;
	bool found = false;
	uint64_t n;
	int rc;

	for (size_t i = 0; i < p->n_old;) {
		int f = cl_l1_sender_forget(c->sender, p->old[i]);
		if (f == CL_OK || f == CL_ERR_NOT_FOUND)
			p->old[i] = p->old[--p->n_old];
		else
			i++;
	}
	if (inflight(p, c->sender))
		return CL_OK;
	rc = cl_l1_game_read(c->rpc, &c->dispute, &p->g, p->id);
	if (rc)
		return rc;
	rc = cl_l1_eth_block_number(c->rpc, &n);
	if (!rc)
		rc = cl_l1_eth_block_by_number(c->rpc, &head, &found, n);
	if (rc)
		return rc;
	if (found)
		p->l1_time = head.timestamp;
	if (p->g.phase == CL_L1_PHASE_OVER) {
		if (!p->over) {
			p->over = true;
			cl_info(SUB,
				"game %llu (batch %llu, block %u) is over: "
				"%s won%s",
				(unsigned long long)p->id,
				(unsigned long long)p->batch, p->k,
				p->g.winner == CL_L1_SIDE_DEFENDER
				    ? "the defender"
				    : "the challenger",
				p->g.winner == p->side ? " (us)" : "");
		}
		if (!p->resolved)
			return do_resolve(p, c);
		if (p->g.winner == p->side && !p->withdrawn)
			return do_withdraw(p, c);
		return CL_OK;
	}
	uint8_t other = p->side == CL_L1_SIDE_DEFENDER ? CL_L1_SIDE_CHALLENGER
						       : CL_L1_SIDE_DEFENDER;
	/* the side to move is out of time: anyone may end it (not us when
	 * we are that side) */
	uint64_t oc = other == CL_L1_SIDE_DEFENDER ? p->g.defender_clock
						   : p->g.challenger_clock;
	if (p->g.turn == other && p->l1_time > p->g.since &&
	    p->l1_time - p->g.since > oc)
		return do_timeout(p, c);
	/* we move as soon as we can; say so when our clock runs low (L1
	 * slow to include us, or the node was down) */
	if (p->g.turn == p->side &&
	    cl_l1_game_clock_left(&p->g, p->side, p->l1_time) <
		CL_L1_GAME_CLOCK_LOW_S &&
	    p->warned_lo != p->g.lo + p->g.hi) {
		p->warned_lo = p->g.lo + p->g.hi;
		cl_unusual(SUB, "game %llu: our clock is low: %llu s left",
			   (unsigned long long)p->id,
			   (unsigned long long)cl_l1_game_clock_left(
			       &p->g, p->side, p->l1_time));
	}
	switch ((enum cl_l1_game_phase)p->g.phase) {
	case CL_L1_PHASE_WAIT_DEFENDER:
		if (p->side == CL_L1_SIDE_DEFENDER)
			return do_defend(p, c, s);
		return CL_OK;
	case CL_L1_PHASE_BISECT:
		if (p->g.turn == p->side)
			return do_move(p, c, s);
		return CL_OK;
	case CL_L1_PHASE_STEP:
		/* anyone may step; the honest side's proof decides for it */
		return do_step(p, c, s);
	case CL_L1_PHASE_NONE:
	case CL_L1_PHASE_OVER:
		return CL_OK;
	}
	return CL_OK;
}
