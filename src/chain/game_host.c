/* SPDX-License-Identifier: MIT */
/*
 * What a sequencer and a verifier both need to play a dispute game
 * (include/clearline/chain.h "Dispute games", docs/disputes.md "The
 * nodes"): the state after a past block rebuilt from the batches on L1,
 * the VM player made from a game's L1 material, and that player as the
 * L1 driver's strategy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearline/chain.h>
#include <clearline/game.h>

/* ---- the player as the L1 driver's strategy ---- */

static int st_claim(void *ctx, struct cl_hash32 *claim, struct cl_hash32 *mid)
{
	struct cl_game_player *p = ctx;
	int rc = cl_game_player_claim(p, claim);

	return rc ? rc : cl_game_player_first(p, mid);
}

static int st_move(void *ctx, uint64_t lo, uint64_t hi,
		   const struct cl_hash32 *mid, bool *agree,
		   struct cl_hash32 *next)
{
	struct cl_game_move mv;
	int rc = cl_game_player_move(ctx, &mv, lo, hi, mid);

	if (rc)
		return rc;
	*agree = mv.agree;
	*next = mv.mid;
	return CL_OK;
}

static int st_proof(void *ctx, uint64_t lo, struct cl_buf *proof,
		    struct cl_buf *pre, bool *has)
{
	return cl_game_player_proof(ctx, proof, pre, has, lo);
}

void cl_chain_game_strategy(struct cl_l1_game_strategy *s,
		       struct cl_game_player *p)
{
	s->ctx = p;
	s->claim = st_claim;
	s->move = st_move;
	s->proof = st_proof;
}

int cl_chain_game_player(struct cl_game_player **out, int *verdict,
		    const struct cl_genesis *g,
		    const struct cl_l1_game_material *m, struct cl_state *pre,
		    const uint8_t *elf, size_t elf_len, uint64_t n_steps)
{
	struct cl_game_setup_args a;
	struct cl_game_deposit *deps;
	struct cl_game_asset_deposit *adeps = NULL;
	struct cl_game_forced *forced;
	int rc;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	/* the rollup's input names the records; the hashes in it are
	 * recomputed from the node's own lists and compared */
	if (!cl_game_input_decode(&a.in, m->input.p, m->input.len) ||
	    a.in.k != m->k)
		return CL_ERR_CORRUPT;
	deps = cl_xcalloc(m->n_deps + 1, sizeof(*deps));
	forced = cl_xcalloc(m->n_forced + 1, sizeof(*forced));
	for (size_t i = 0; i < m->n_deps; i++) {
		deps[i].to = m->deps[i].to;
		deps[i].amount = m->deps[i].amount;
		deps[i].timestamp = (uint32_t)m->deps[i].timestamp;
	}
	for (size_t i = 0; i < m->n_forced; i++) {
		forced[i].account = m->forced[i].account;
		forced[i].kind = m->forced[i].kind;
		forced[i].a = m->forced[i].a;
		forced[i].b = m->forced[i].b;
	}
	a.data = m->data;
	a.data_len = m->data_len;
	a.deps = deps;
	a.n_deps = m->n_deps;
	if (!cl_game_asset_list_decode(&a.assets.first, &adeps, &a.assets.n,
				       m->asset_list.p, m->asset_list.len)) {
		free(deps);
		free(forced);
		return CL_ERR_CORRUPT;
	}
	a.assets.d = adeps;
	a.forced = forced;
	a.n_forced = m->n_forced;
	a.genesis = g;
	a.pre = pre;
	a.want_input = m->input.p;
	a.want_len = m->input.len;
	a.elf = elf;
	a.elf_len = elf_len;
	a.n_steps = n_steps;
	rc = cl_game_setup(out, verdict, &a);
	free(adeps);
	free(deps);
	free(forced);
	return rc;
}

struct rebuild_to {
	struct cl_game_rebuild *r;
	uint64_t last;
};

static int rebuild_one(void *ctx, uint64_t index, const uint8_t *data,
		       size_t len)
{
	struct rebuild_to *t = ctx;

	(void)index;
	if (cl_game_rebuild_head(t->r) >= t->last)
		return CL_OK;
	return cl_game_rebuild_data(t->r, data, len, t->last);
}

/* The state after block `last` (before the disputed batch's block k),
 * from genesis through the live batches before it, then the disputed
 * batch's own first blocks. Cost: the chain replayed from genesis. */
int cl_chain_game_rebuild(struct cl_game_rebuild **out, struct cl_l1_rpc *rpc,
		     const struct cl_address *rollup, uint64_t from_block,
		     uint64_t range, const struct cl_genesis *g,
		     const struct cl_l1_game_material *m, uint64_t last)
{
	struct rebuild_to t = {.last = last};
	int rc = cl_game_rebuild_new(&t.r, g);

	*out = NULL;
	if (rc)
		return rc;
	rc = cl_l1_batches_each(rpc, rollup, from_block, range, 0,
				m->rec.index, rebuild_one, &t);
	if (!rc)
		rc = rebuild_one(&t, m->rec.index, m->data, m->data_len);
	if (!rc && cl_game_rebuild_head(t.r) != last)
		rc = CL_ERR_CORRUPT;
	if (rc) {
		cl_game_rebuild_free(t.r);
		return rc;
	}
	*out = t.r;
	return CL_OK;
}

/* ---- the state after a posted batch, for the escape's proofs ---- */

static int view_word(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		     const char *sig, uint8_t word[32])
{
	struct cl_buf ret;
	uint8_t sel[4];
	struct cl_l1_callreq req = {.to = rollup, .data = sel,
				    .data_len = sizeof(sel)};
	int rc;

	cl_l1_selector(sel, sig);
	cl_buf_init(&ret);
	rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	if (!rc && ret.len != 32)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		memcpy(word, ret.p, 32);
	cl_buf_release(&ret);
	return rc;
}

int cl_chain_freeze_read(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
			 struct cl_chain_freeze *out)
{
	uint8_t w[32];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = view_word(rpc, rollup, "frozen()", w);
	if (!rc && !cl_l1_abi_ret_bool(&out->frozen, w, 32))
		rc = CL_ERR_CORRUPT;
	if (!rc && out->frozen)
		rc = view_word(rpc, rollup, "exitRoot()", out->exit_root.b);
	if (!rc && out->frozen) {
		rc = view_word(rpc, rollup, "exitBatchCount()", w);
		if (!rc && !cl_l1_abi_ret_u64(&out->exit_batches, w, 32))
			rc = CL_ERR_CORRUPT;
	}
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int cl_chain_batch_state(struct cl_game_rebuild **r,
			 struct cl_l1_batch_event *rec, struct cl_l1_rpc *rpc,
			 const struct cl_address *rollup, uint64_t from_block,
			 uint64_t range, const struct cl_genesis *g,
			 uint64_t first, uint64_t batch)
{
	struct rebuild_to t = {.r = *r};
	struct cl_hash32 root;
	int rc = CL_OK;

	CL_REQUIRE(*r != NULL || first == 0);
	CL_REQUIRE(first <= batch);
	*r = NULL;
	rc = cl_l1_batch_record(rpc, rollup, rec, batch, from_block, range);
	if (!rc && !t.r)
		rc = cl_game_rebuild_new(&t.r, g);
	t.last = rec->last_block;
	if (!rc)
		rc = cl_l1_batches_each(rpc, rollup, from_block, range, first,
					batch + 1, rebuild_one, &t);
	if (!rc && cl_game_rebuild_head(t.r) != rec->last_block)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		rc = cl_state_root(cl_game_rebuild_state(t.r), &root);
	if (!rc && !cl_hash32_eq(&root, &rec->state_root))
		rc = CL_ERR_CORRUPT;
	if (rc) {
		cl_game_rebuild_free(t.r);
		return rc;
	}
	*r = t.r;
	return CL_OK;
}

void cl_chain_game_status(struct cl_chain_game *out,
			  const struct cl_l1_game_play *p)
{
	const struct cl_l1_game *g = &p->g;
	const char *next = "";

	memset(out, 0, sizeof(*out));
	out->id = p->id;
	out->batch = p->batch;
	out->k = p->k;
	out->role = p->side;
	out->phase = g->phase;
	out->turn = g->turn;
	out->lo = g->lo;
	out->hi = g->hi;
	out->defender_clock =
	    cl_l1_game_clock_left(g, CL_L1_SIDE_DEFENDER, p->l1_time);
	out->challenger_clock =
	    cl_l1_game_clock_left(g, CL_L1_SIDE_CHALLENGER, p->l1_time);
	out->winner = g->winner;
	out->resolved = p->resolved;
	out->actions = p->actions;
	switch ((enum cl_l1_game_phase)g->phase) {
	case CL_L1_PHASE_NONE:
		next = "reading the game";
		break;
	case CL_L1_PHASE_WAIT_DEFENDER:
		next = p->side == CL_L1_SIDE_DEFENDER ? "we defend"
						      : "the defender joins";
		break;
	case CL_L1_PHASE_BISECT:
		next = g->turn == p->side ? "our move" : "their move";
		break;
	case CL_L1_PHASE_STEP:
		next = "the step";
		break;
	case CL_L1_PHASE_OVER:
		next = p->resolved ? "nothing: settled" : "resolve";
		break;
	}
	snprintf(out->next, sizeof(out->next), "%s", next);
	snprintf(out->last, sizeof(out->last), "%s", p->last);
}
