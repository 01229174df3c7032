/* SPDX-License-Identifier: MIT */
/*
 * The verifier's dispute game against a wrong batch (docs/verifier.md
 * "Games", docs/disputes.md "The nodes"): from the recorded fault, the
 * block k to name, the state after block k - 1 rebuilt from genesis, the
 * program's input and preimages as the rollup builds them, the native
 * verdict (faults the program cannot prove are logged, not played), the
 * VM player, challenge() with the real final state hash, then every move
 * through the sender until the game is over and resolved on the rollup.
 * A restarted verifier finds the fault again and its game on L1 by the
 * GameOpened events, and resumes it.
 */
#include "ver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SUB = "verifier";

/* ---- preparing ---- */

void ver_game_reset(struct cl_verifier *v)
{
	/* the status keeps the game as L1 has it last */
	if (v->game.opened && v->has_setup &&
	    cl_l1_game_read(v->rpc, &v->setup.dispute, &v->game.play.g,
			    v->game.play.id) == CL_OK) {
		v->game.play.resolved |= v->game.play.g.phase ==
					 CL_L1_PHASE_OVER;
		v->game.play.over |= v->game.play.g.phase == CL_L1_PHASE_OVER;
		ver_publish_games(v);
		/* a won game: its bonds are still to be withdrawn */
		if (v->game.play.over && !cl_l1_game_settled(&v->game.play)) {
			v->settle = v->game.play;
			v->has_settle = true;
		}
	}
	cl_game_player_free(v->game.player);
	memset(&v->game, 0, sizeof(v->game));
}

/* The player for block k of the faulty batch; sets game.verdict. */
static int prepare(struct cl_verifier *v)
{
	struct cl_chain_fault *f = &v->fault;
	struct ver_game *gm = &v->game;
	struct cl_l1_game_material m;
	struct cl_l1_batch_event rec;
	struct cl_game_rebuild *r = NULL;
	uint32_t k = 0;
	int rc;

	/* the batch's record: which block the fault names */
	rc = cl_l1_batch_record(v->rpc, &v->genesis.rollup, &rec, f->batch,
				f->l1_block, 0);
	if (rc == CL_ERR_NOT_FOUND ||
	    (!rc && !cl_hash32_eq(&rec.data_hash, &f->data_hash))) {
		cl_info(SUB, "batch %llu is no longer on l1: no game",
			(unsigned long long)f->batch);
		gm->done = true;
		return CL_OK;
	}
	if (rc)
		return rc;
	if (f->has_block && f->block >= rec.first_block &&
	    f->block <= rec.last_block)
		k = (uint32_t)(f->block - rec.first_block);
	rc = cl_l1_game_material_fetch(v->rpc, &v->genesis.rollup,
				       v->cfg.start_block, v->cfg.log_range,
				       f->batch, k, &m);
	if (rc) {
		cl_unusual(SUB, "game about batch %llu: cannot read it from "
			   "l1: %s", (unsigned long long)f->batch,
			   cl_l1_err_str(rc));
		return rc;
	}
	uint64_t t0 = cl_clock_mono_ns();
	rc = cl_chain_game_rebuild(&r, v->rpc, &v->genesis.rollup,
			      v->cfg.start_block, v->cfg.log_range, &v->genesis,
			      &m, m.rec.first_block + k - 1);
	if (rc) {
		cl_unusual(SUB,
			   "game about batch %llu: cannot rebuild the state "
			   "after block %llu: %s",
			   (unsigned long long)f->batch,
			   (unsigned long long)(m.rec.first_block + k - 1),
			   cl_l1_err_str(rc));
		cl_l1_game_material_release(&m);
		return rc;
	}
	uint64_t t1 = cl_clock_mono_ns();
	rc = cl_chain_game_player(&gm->player, &gm->verdict, &v->genesis, &m,
			     cl_game_rebuild_state(r), v->elf, v->elf_len,
			     v->setup.game_steps);
	cl_game_rebuild_free(r);
	gm->batch = f->batch;
	gm->k = k;
	gm->rec = m.rec;
	gm->prev = m.prev;
	gm->has_prev = m.has_prev;
	cl_l1_game_material_release(&m);
	if (rc) {
		cl_unusual(SUB, "game about batch %llu block %u: cannot "
			   "prepare the program: %s",
			   (unsigned long long)f->batch, k, cl_l1_err_str(rc));
		return rc;
	}
	uint64_t t2 = cl_clock_mono_ns();
	if (gm->verdict != CL_GAME_WRONG) {
		cl_unusual(SUB,
			   "batch %llu: the fault at block %llu is not "
			   "provable yet (the verdict program says %d: it "
			   "does not see L1 references): no game",
			   (unsigned long long)f->batch,
			   (unsigned long long)(gm->rec.first_block + k),
			   gm->verdict);
		gm->done = true;
		gm->not_provable = true;
		v->fault.challenge_failed = true; /* "not sent" */
		ver_publish_head(v);
		return CL_OK;
	}
	rc = cl_game_player_claim(gm->player, &gm->claim);
	if (rc)
		return rc;
	uint64_t steps = 0;
	uint8_t vb = 0;
	if (cl_game_player_halt(gm->player, &steps, &vb))
		steps = 0;
	char hc[67];
	ver_hexroot(hc, &gm->claim);
	cl_info(SUB,
		"game about batch %llu, block %u (L2 block %llu): verdict 1; "
		"rebuilt the state in %llu ms, the VM run halts after %llu "
		"steps (%llu ms), claim %s",
		(unsigned long long)f->batch, k,
		(unsigned long long)(gm->rec.first_block + k),
		(unsigned long long)((t1 - t0) / 1000000),
		(unsigned long long)steps,
		(unsigned long long)((cl_clock_mono_ns() - t2) / 1000000), hc);
	gm->prepared = true;
	return CL_OK;
}

/* ---- finding and opening the game ---- */

struct find {
	struct cl_verifier *v;
	struct cl_address me;
	bool found;
	uint64_t id;
};

static int find_one(void *ctx, const struct cl_l1_game_opened *ev)
{
	struct find *fd = ctx;
	struct ver_game *gm = &fd->v->game;

	if (ev->batch == gm->batch && ev->k == gm->k &&
	    cl_address_eq(&ev->challenger, &fd->me) &&
	    ev->loc.block_number >= gm->rec.loc.block_number) {
		fd->found = true;
		fd->id = ev->game_id;
	}
	return CL_OK;
}

/* Our game about this batch and block on L1, if any (the latest). */
static int find_game(struct cl_verifier *v, bool *found, uint64_t *id)
{
	struct find fd = {.v = v};
	uint64_t head;
	int rc;

	*found = false;
	cl_l1_sender_address(v->sender, &fd.me);
	rc = cl_l1_eth_block_number(v->rpc, &head);
	if (!rc)
		rc = cl_l1_games_opened(v->rpc, &v->genesis.rollup,
					v->game.rec.loc.block_number, head,
					v->cfg.log_range, find_one, &fd);
	*found = fd.found;
	*id = fd.id;
	return rc;
}

static int open_game(struct cl_verifier *v)
{
	struct ver_game *gm = &v->game;
	struct cl_buf cd;
	uint64_t id;
	bool found = false;
	int rc;

	if (gm->challenge_inflight) {
		const struct cl_l1_tx *t =
		    cl_l1_sender_get(v->sender, gm->challenge_tx);
		if (t && (t->state == CL_L1_TX_QUEUED ||
			  t->state == CL_L1_TX_SENT))
			return CL_OK;
		if (t && (t->state == CL_L1_TX_INCLUDED ||
			  t->state == CL_L1_TX_CONFIRMED) &&
		    !t->success) {
			cl_unusual(SUB, "challenge of batch %llu reverted on "
					"l1: trying again",
				   (unsigned long long)gm->batch);
			gm->challenge_inflight = false;
			return CL_OK;
		}
		if (!t || t->state == CL_L1_TX_FAILED)
			gm->challenge_inflight = false;
	}
	rc = find_game(v, &found, &id);
	if (rc)
		return rc;
	if (found) {
		memset(&gm->play, 0, sizeof(gm->play));
		gm->play.id = id;
		gm->play.batch = gm->batch;
		gm->play.k = gm->k;
		gm->play.side = CL_L1_SIDE_CHALLENGER;
		gm->opened = true;
		gm->challenge_inflight = false;
		v->fault.challenged = true;
		cl_info(SUB, "game %llu about batch %llu, block %u: we are "
			     "the challenger",
			(unsigned long long)id, (unsigned long long)gm->batch,
			gm->k);
		ver_publish_head(v);
		return CL_OK;
	}
	if (gm->challenge_inflight)
		return CL_OK; /* included: its event comes at the next look */
	cl_buf_init(&cd);
	cl_l1_abi_game_challenge(&cd, &gm->rec, gm->has_prev ? &gm->prev : NULL,
				 gm->k, &gm->claim);
	struct cl_l1_txreq req = {.to = &v->genesis.rollup,
				  .value = v->setup.bond,
				  .data = cd.p,
				  .data_len = cd.len};
	rc = cl_l1_sender_submit(v->sender, &gm->challenge_tx, &req);
	cl_buf_release(&cd);
	if (rc) {
		cl_unusual(SUB, "cannot send the challenge of batch %llu: "
				"%s; retrying",
			   (unsigned long long)gm->batch, cl_l1_err_str(rc));
		if (++gm->challenge_errors >= 30) {
			cl_unusual(SUB, "batch %llu: giving up the challenge",
				   (unsigned long long)gm->batch);
			v->fault.challenge_failed = true;
			gm->done = true;
			ver_publish_head(v);
		}
		return rc;
	}
	gm->challenge_inflight = true;
	cl_info(SUB, "challenge of batch %llu, block %u sent (a game with "
		     "the claim of the real run)",
		(unsigned long long)gm->batch, gm->k);
	return CL_OK;
}

static int open_sender(struct cl_verifier *v)
{
	struct cl_l1_sender_opts so;

	if (v->sender)
		return CL_OK;
	cl_l1_sender_opts_default(&so);
	so.confirmations = v->cfg.confirmations;
	so.max_fee_ceiling = v->cfg.max_fee_wei;
	if (v->cfg.drop_timeout_ms)
		so.drop_timeout_ms = v->cfg.drop_timeout_ms;
	return cl_l1_sender_open(&v->sender, v->rpc, v->cfg.key, v->datadir,
				 v->genesis.l1_chain_id, &so);
}

/* Drive the game about the recorded fault by one round. */
void ver_challenge_step(struct cl_verifier *v)
{
	struct ver_game *gm = &v->game;
	int rc;

	if (v->has_settle && v->sender && v->has_setup) {
		/* the bonds of a game won before its batch was discarded */
		struct cl_l1_game_ctx sc = {.rpc = v->rpc, .sender = v->sender,
					    .rollup = v->genesis.rollup,
					    .dispute = v->setup.dispute,
					    .preimages = v->setup.preimages};
		struct cl_l1_game_strategy none = {0};
		if (!cl_l1_sender_step(v->sender) &&
		    !cl_l1_game_play_step(&v->settle, &sc, &none) &&
		    cl_l1_game_settled(&v->settle))
			v->has_settle = false;
	}
	if (!v->fault.set || gm->done)
		return;
	if (!v->cfg.key || !v->elf) {
		if (!v->warned_no_key)
			cl_unusual(SUB,
				   "batch %llu is not challenged: %s",
				   (unsigned long long)v->fault.batch,
				   !v->cfg.key ? "no l1 key (set l1-keystore)"
					       : "no game program (set "
						 "game-program)");
		v->warned_no_key = true;
		return;
	}
	if (cl_clock_mono_ns() < v->challenge_retry_ns)
		return;
	v->challenge_retry_ns = cl_clock_mono_ns() + 1000000000ull;
	if (!v->has_setup) {
		rc = cl_l1_game_setup_read(v->rpc, &v->genesis.rollup,
					   &v->setup);
		if (rc) {
			cl_unusual(SUB, "cannot read the rollup's game "
					"contracts: %s",
				   cl_l1_err_str(rc));
			return;
		}
		v->has_setup = true;
	}
	rc = open_sender(v);
	if (rc) {
		cl_unusual(SUB, "cannot open the challenger's l1 sender: %s",
			   cl_l1_err_str(rc));
		return;
	}
	if (cl_l1_sender_step(v->sender))
		return;
	if (!gm->prepared) {
		if (prepare(v) || !gm->prepared)
			return;
	}
	if (!gm->opened) {
		if (open_game(v) || !gm->opened)
			return;
	}
	struct cl_l1_game_ctx c = {.rpc = v->rpc, .sender = v->sender,
				   .rollup = v->genesis.rollup,
				   .dispute = v->setup.dispute,
				   .preimages = v->setup.preimages};
	memcpy(c.bond, v->setup.bond, 32);
	struct cl_l1_game_strategy s;
	cl_chain_game_strategy(&s, gm->player);
	rc = cl_l1_game_play_step(&gm->play, &c, &s);
	if (rc)
		cl_debug(SUB, "game %llu: round ended early: %s",
			 (unsigned long long)gm->play.id, cl_l1_err_str(rc));
	v->challenge_retry_ns = 0;
	if (cl_l1_game_settled(&gm->play)) {
		gm->done = true;
		cl_info(SUB, "game %llu about batch %llu is settled on l1",
			(unsigned long long)gm->play.id,
			(unsigned long long)gm->batch);
	}
	ver_publish_head(v);
	ver_publish_games(v);
}
