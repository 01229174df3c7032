/* SPDX-License-Identifier: MIT */
/*
 * The sequencer defends its batches in dispute games (docs/disputes.md
 * "The nodes", docs/sequencer.md "Dispute games"): it follows the rollup's
 * GameOpened events (from its start block, so a restart finds every
 * game again), and for each game still open rebuilds the state before
 * the disputed block from the batches on L1, makes the VM player, posts
 * its claim with defendClaim and plays every move through the same
 * sender as its batches. Driver thread only.
 *
 * A batch of ours the program finds wrong is a bug (logged broken, not
 * defended) — except under --fault, where the test sequencer defends it
 * with a made-up verdict-0 claim from the run's halt on, so that the
 * honest challenger's game goes to the one-step proof on L1.
 */
#include "l1_int.h"

#include <clearline/game.h>

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "game";

struct sgame {
	struct cl_l1_game_play play;
	struct cl_game_player *player;
	bool prepared;
	bool done;	/* settled, or not ours to play */
	uint64_t retry_ns;
};

struct seq_games {
	uint8_t *elf;
	size_t elf_len;
	bool has_setup;
	struct cl_l1_game_setup setup;
	uint64_t scan_next; /* next L1 block to read GameOpened from */
	struct sgame g[CL_CHAIN_MAX_GAMES * 4];
	size_t n;
};

int l1_defend_open(struct cl_l1_driver *drv)
{
	struct seq_games *sg;
	int rc;

	if (!drv->cfg.game_program)
		return CL_OK;
	sg = cl_xcalloc(1, sizeof(*sg));
	rc = cl_game_program_read(&sg->elf, &sg->elf_len,
				  drv->cfg.game_program);
	if (rc) {
		free(sg);
		return rc;
	}
	sg->scan_next = drv->cfg.start_block;
	drv->games = sg;
	return CL_OK;
}

void l1_defend_free(struct cl_l1_driver *drv)
{
	struct seq_games *sg = drv->games;

	if (!sg)
		return;
	for (size_t i = 0; i < sg->n; i++)
		cl_game_player_free(sg->g[i].player);
	free(sg->elf);
	free(sg);
	drv->games = NULL;
}

static int on_opened(void *ctx, const struct cl_l1_game_opened *ev)
{
	struct seq_games *sg = ctx;

	for (size_t i = 0; i < sg->n; i++)
		if (sg->g[i].play.id == ev->game_id)
			return CL_OK;
	/* make room: drop settled games first */
	if (sg->n == CL_ARRAY_LEN(sg->g)) {
		size_t j = 0;
		for (size_t i = 0; i < sg->n; i++) {
			if (sg->g[i].done) {
				cl_game_player_free(sg->g[i].player);
				continue;
			}
			sg->g[j++] = sg->g[i];
		}
		sg->n = j;
		if (sg->n == CL_ARRAY_LEN(sg->g))
			return CL_ERR_BUSY; /* read again next round */
	}
	struct sgame *g = &sg->g[sg->n++];
	memset(g, 0, sizeof(*g));
	g->play.id = ev->game_id;
	g->play.batch = ev->batch;
	g->play.k = ev->k;
	g->play.side = CL_L1_SIDE_DEFENDER;
	char a[CL_ADDRESS_STR_LEN + 1];
	cl_address_format(a, &ev->challenger);
	cl_info(SUB, "game %llu: %s challenges block %u of batch %llu",
		(unsigned long long)ev->game_id, a, ev->k,
		(unsigned long long)ev->batch);
	return CL_OK;
}

/* The player of game `g`: our claim is the real run's, unless ... */
static int prepare(struct cl_l1_driver *drv, struct seq_games *sg,
		   struct sgame *g)
{
	struct cl_l1_game_material m;
	struct cl_game_rebuild *r = NULL;
	const struct cl_genesis *gen = cl_seq_genesis(drv->seq);
	int verdict = -1, rc;

	rc = cl_l1_game_material_fetch(drv->rpc, &drv->cfg.rollup,
				       drv->cfg.start_block, 0, g->play.batch,
				       g->play.k, &m);
	if (rc == CL_ERR_NOT_FOUND) {
		/* discarded since (another game won): nothing to defend */
		cl_info(SUB, "game %llu: batch %llu is no longer on l1: not "
			     "defended",
			(unsigned long long)g->play.id,
			(unsigned long long)g->play.batch);
		g->done = true;
		return CL_OK;
	}
	if (rc) {
		cl_unusual(SUB, "game %llu: cannot read batch %llu from l1: %s",
			   (unsigned long long)g->play.id,
			   (unsigned long long)g->play.batch,
			   cl_l1_err_str(rc));
		return rc;
	}
	uint64_t t0 = cl_clock_mono_ns();
	rc = cl_chain_game_rebuild(&r, drv->rpc, &drv->cfg.rollup,
				   drv->cfg.start_block, 0, gen, &m,
				   m.rec.first_block + g->play.k - 1);
	if (!rc)
		rc = cl_chain_game_player(&g->player, &verdict, gen, &m,
					  cl_game_rebuild_state(r), sg->elf,
					  sg->elf_len, sg->setup.game_steps);
	cl_game_rebuild_free(r);
	cl_l1_game_material_release(&m);
	if (rc) {
		cl_unusual(SUB, "game %llu: cannot prepare the program about "
				"block %u of batch %llu: %s",
			   (unsigned long long)g->play.id, g->play.k,
			   (unsigned long long)g->play.batch, cl_l1_err_str(rc));
		return rc;
	}
	uint64_t steps = 0;
	uint8_t vb = 0;
	rc = cl_game_player_halt(g->player, &steps, &vb);
	if (rc)
		return rc;
	if (verdict == CL_GAME_WRONG && drv->cfg.fault) {
		/* tests (--fault): defend our corrupted batch with a lie
		 * from the halt on; the honest challenger wins at the step */
		cl_game_player_lie_from(g->player, steps, 0);
		cl_unusual(SUB, "game %llu: fault injection: defending the "
				"corrupted batch %llu with a made-up claim",
			   (unsigned long long)g->play.id,
			   (unsigned long long)g->play.batch);
	} else if (verdict != CL_GAME_RIGHT) {
		cl_broken(SUB, "game %llu: the verdict program finds our "
			       "batch %llu wrong at block %u (%d): not "
			       "defended",
			  (unsigned long long)g->play.id,
			  (unsigned long long)g->play.batch, g->play.k,
			  verdict);
		g->done = true;
		return CL_OK;
	}
	cl_info(SUB,
		"game %llu: block %u of batch %llu: verdict %d: defending; "
		"state rebuilt and the run of %llu steps made in %llu ms",
		(unsigned long long)g->play.id, g->play.k,
		(unsigned long long)g->play.batch, verdict,
		(unsigned long long)steps,
		(unsigned long long)((cl_clock_mono_ns() - t0) / 1000000));
	g->prepared = true;
	return CL_OK;
}

/* A strategy for games that need no player (over: only resolve). */
static int none_claim(void *ctx, struct cl_hash32 *c, struct cl_hash32 *m)
{
	return CL_ERR_NOT_FOUND;
}
static int none_move(void *ctx, uint64_t lo, uint64_t hi,
		     const struct cl_hash32 *mid, bool *agree,
		     struct cl_hash32 *next)
{
	return CL_ERR_NOT_FOUND;
}
static int none_proof(void *ctx, uint64_t lo, struct cl_buf *proof,
		      struct cl_buf *pre, bool *has)
{
	return CL_ERR_NOT_FOUND;
}

static void publish(struct cl_l1_driver *drv, struct seq_games *sg)
{
	size_t n = 0;

	pthread_mutex_lock(&drv->lock);
	drv->status.has_games = true;
	for (size_t i = sg->n; i-- > 0 && n < CL_CHAIN_MAX_GAMES;)
		cl_chain_game_status(&drv->status.games[n++], &sg->g[i].play);
	drv->status.n_games = n;
	pthread_mutex_unlock(&drv->lock);
}

void l1_defend_step(struct cl_l1_driver *drv)
{
	struct seq_games *sg = drv->games;
	uint64_t head;
	int rc;

	if (!sg)
		return;
	if (!sg->has_setup) {
		rc = cl_l1_game_setup_read(drv->rpc, &drv->cfg.rollup,
					   &sg->setup);
		if (rc)
			return;
		sg->has_setup = true;
	}
	/* our moves' receipts (the posters step the sender too, but only
	 * while a batch is in flight) */
	for (size_t i = 0; i < sg->n; i++)
		if (sg->g[i].play.tx_inflight) {
			if (cl_l1_sender_step(drv->sender))
				return;
			break;
		}
	rc = cl_l1_eth_block_number(drv->rpc, &head);
	if (rc)
		return;
	if (sg->scan_next <= head) {
		rc = cl_l1_games_opened(drv->rpc, &drv->cfg.rollup,
					sg->scan_next, head, 10000, on_opened,
					sg);
		if (!rc)
			sg->scan_next = head + 1;
	}
	struct cl_l1_game_ctx c = {.rpc = drv->rpc, .sender = drv->sender,
				   .rollup = drv->cfg.rollup,
				   .dispute = sg->setup.dispute,
				   .preimages = sg->setup.preimages};
	memcpy(c.bond, sg->setup.bond, 32);
	for (size_t i = 0; i < sg->n; i++) {
		struct sgame *g = &sg->g[i];
		struct cl_l1_game_strategy s = {NULL, none_claim, none_move,
						none_proof};

		if (g->done || cl_clock_mono_ns() < g->retry_ns)
			continue;
		if (!g->prepared) {
			/* a game over already needs no player */
			rc = cl_l1_game_read(drv->rpc, &sg->setup.dispute,
					     &g->play.g, g->play.id);
			if (rc) {
				g->retry_ns = cl_clock_mono_ns() + 2000000000ull;
				continue;
			}
			if (g->play.g.phase != CL_L1_PHASE_OVER &&
			    prepare(drv, sg, g)) {
				g->retry_ns = cl_clock_mono_ns() + 5000000000ull;
				continue;
			}
			if (g->done)
				continue;
		}
		if (g->player)
			cl_chain_game_strategy(&s, g->player);
		rc = cl_l1_game_play_step(&g->play, &c, &s);
		if (rc)
			cl_debug(SUB, "game %llu: round ended early: %s",
				 (unsigned long long)g->play.id,
				 cl_l1_err_str(rc));
		if (cl_l1_game_settled(&g->play)) {
			g->done = true;
			cl_game_player_free(g->player);
			g->player = NULL;
			cl_info(SUB, "game %llu about batch %llu is settled",
				(unsigned long long)g->play.id,
				(unsigned long long)g->play.batch);
		}
	}
	publish(drv, sg);
}
