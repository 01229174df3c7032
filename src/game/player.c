/* SPDX-License-Identifier: MIT */
/*
 * One side of a bisection game over the verdict program's run
 * (include/clearline/game.h "Playing", docs/disputes.md "The nodes"):
 * the state hash at any step, from a checkpoint at the agreed lo, the
 * judgement of the other side's midpoint, the next midpoint, and the
 * proof of the final step with the preimage it reads. Native only.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/game.h>
#include <clearline/vm.h>

struct cl_game_player {
	uint64_t n_steps;
	/* the checkpoint: the machine after base_at steps, base_at <= every
	 * step still in play (the game's lo only grows) */
	struct vm_machine *base;
	uint64_t base_at;
	/* a machine run on from the checkpoint, after cur_at steps; NULL
	 * when none */
	struct vm_machine *cur;
	uint64_t cur_at;
	/* the run halts after `halt_at` steps, with state hash `halted` */
	bool halt_known;
	uint64_t halt_at;
	struct cl_hash32 halted;
	struct cl_hash32 pre;
	/* a liar claims made-up hashes at every step >= lie_from */
	uint64_t lie_from;
	uint8_t lie_verdict;
	uint64_t steps_run;
};

int cl_game_player_new(struct cl_game_player **out, const uint8_t *elf,
		       size_t elf_len, const struct cl_hash32 *key,
		       const struct cl_preimage_map *pm, uint64_t n_steps)
{
	struct cl_game_player *p;
	struct vm_machine *m;
	size_t n = cl_preimage_map_count(pm, NULL);

	*out = NULL;
	if (n_steps == 0)
		return CL_ERR_CONFIG;
	m = vm_machine_new();
	if (vm_load_elf(m, elf, elf_len) != VM_OK || vm_boot(m, key) != VM_OK) {
		vm_machine_free(m);
		return CL_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b;
		size_t len;

		cl_preimage_map_at(pm, i, &b, &len);
		/* a preimage above the VM's limit cannot be read by any step:
		 * a run that needs it stops with VM_E_PREIMAGE */
		if (!vm_preimage_add(m, b, len))
			cl_debug("game", "a preimage of %zu bytes is above the "
					 "VM's limit: left out",
				 len);
	}
	p = cl_xcalloc(1, sizeof(*p));
	p->n_steps = n_steps;
	p->base = m;
	p->lie_from = UINT64_MAX;
	vm_state_hash(m, &p->pre);
	*out = p;
	return CL_OK;
}

void cl_game_player_free(struct cl_game_player *p)
{
	if (!p)
		return;
	vm_machine_free(p->base);
	vm_machine_free(p->cur);
	free(p);
}

void cl_game_player_lie_from(struct cl_game_player *p, uint64_t step,
			     uint8_t verdict)
{
	p->lie_from = step;
	p->lie_verdict = verdict;
}

uint64_t cl_game_player_steps_run(const struct cl_game_player *p)
{
	return p->steps_run;
}

void cl_game_player_pre(const struct cl_game_player *p, struct cl_hash32 *out)
{
	*out = p->pre;
}

/* Run `m` (after *at steps) on to step `to`, or to its halt. */
static int run_to(struct cl_game_player *p, struct vm_machine *m, uint64_t *at,
		  uint64_t to)
{
	uint64_t ran = 0;
	int rc;

	if (to <= *at)
		return CL_OK;
	rc = vm_run(m, to - *at, &ran);
	p->steps_run += ran;
	*at += ran;
	if (rc == VM_E_PREIMAGE)
		return CL_ERR_NOT_FOUND;
	if (rc != VM_OK)
		CL_BUG("vm_run: unexpected result");
	if (vm_machine_cpu(m)->status != VM_RUNNING && !p->halt_known) {
		p->halt_known = true;
		p->halt_at = *at;
		vm_state_hash(m, &p->halted);
	}
	return CL_OK;
}

/* A machine after `m` steps (m <= halt_at when known), borrowed from the
 * player: the cursor, run on from where it is or from the checkpoint. */
static int machine_at(struct cl_game_player *p, struct vm_machine **out,
		      uint64_t m)
{
	int rc;

	*out = NULL;
	if (m < p->base_at)
		CL_BUG("a step below the checkpoint");
	if (p->cur && p->cur_at > m) {
		vm_machine_free(p->cur);
		p->cur = NULL;
	}
	if (!p->cur) {
		p->cur = vm_machine_clone(p->base);
		p->cur_at = p->base_at;
	}
	rc = run_to(p, p->cur, &p->cur_at, m);
	if (rc)
		return rc;
	*out = p->cur;
	return CL_OK;
}

/* The real state hash after `m` steps. */
static int real_hash(struct cl_game_player *p, struct cl_hash32 *out,
		     uint64_t m)
{
	struct vm_machine *vm;
	int rc;

	if (p->halt_known && m >= p->halt_at) {
		*out = p->halted;
		return CL_OK;
	}
	rc = machine_at(p, &vm, m);
	if (rc)
		return rc;
	if (p->halt_known && m >= p->halt_at) {
		*out = p->halted;
		return CL_OK;
	}
	vm_state_hash(vm, out);
	return CL_OK;
}

/* A made-up hash at step m: keccak256("clearline game lie" ‖ be64 m)
 * with the claimed verdict as its first byte. */
static void lie(struct cl_game_player *p, struct cl_hash32 *out, uint64_t m)
{
	static const char tag[] = "clearline game lie";
	uint8_t b[sizeof(tag) - 1 + 8];

	memcpy(b, tag, sizeof(tag) - 1);
	cl_put_be64(b + sizeof(tag) - 1, m);
	cl_keccak256(out->b, b, sizeof(b));
	out->b[0] = p->lie_verdict;
}

int cl_game_player_hash(struct cl_game_player *p, struct cl_hash32 *out,
			uint64_t m)
{
	if (m > p->n_steps)
		return CL_ERR_CONFIG;
	if (m >= p->lie_from) {
		lie(p, out, m);
		return CL_OK;
	}
	return real_hash(p, out, m);
}

int cl_game_player_claim(struct cl_game_player *p, struct cl_hash32 *out)
{
	return cl_game_player_hash(p, out, p->n_steps);
}

int cl_game_player_halt(struct cl_game_player *p, uint64_t *steps,
			uint8_t *verdict)
{
	struct cl_hash32 h;
	int rc = real_hash(p, &h, p->n_steps);

	if (rc)
		return rc;
	if (!p->halt_known)
		return CL_ERR_TIMEOUT; /* runs past the game's budget */
	*steps = p->halt_at;
	*verdict = p->halted.b[0];
	return CL_OK;
}

/* Move the checkpoint up to `lo` (an agreed step). */
static int agree_to(struct cl_game_player *p, uint64_t lo)
{
	struct vm_machine *vm;
	int rc;

	if (lo <= p->base_at)
		return CL_OK;
	if (p->halt_known && lo >= p->halt_at)
		lo = p->halt_at; /* nothing changes after the halt */
	if (lo <= p->base_at)
		return CL_OK;
	rc = machine_at(p, &vm, lo);
	if (rc)
		return rc;
	/* the cursor at lo becomes the checkpoint */
	vm_machine_free(p->base);
	p->base = p->cur;
	p->base_at = p->cur_at;
	p->cur = NULL;
	return CL_OK;
}

int cl_game_player_first(struct cl_game_player *p, struct cl_hash32 *mid)
{
	memset(mid, 0, sizeof(*mid));
	if (p->n_steps == 1)
		return CL_OK;
	return cl_game_player_hash(p, mid, p->n_steps / 2);
}

int cl_game_player_move(struct cl_game_player *p, struct cl_game_move *out,
			uint64_t lo, uint64_t hi, const struct cl_hash32 *mid)
{
	struct cl_hash32 mine;
	uint64_t m;
	int rc;

	memset(out, 0, sizeof(*out));
	if (lo >= hi || hi > p->n_steps || hi - lo < 2)
		return CL_ERR_CONFIG;
	m = lo + (hi - lo) / 2;
	rc = agree_to(p, lo < p->lie_from ? lo : p->base_at);
	if (!rc)
		rc = cl_game_player_hash(p, &mine, m);
	if (rc)
		return rc;
	out->agree = cl_hash32_eq(&mine, mid);
	out->lo = out->agree ? m : lo;
	out->hi = out->agree ? hi : m;
	if (out->agree && out->lo < p->lie_from) {
		rc = agree_to(p, out->lo);
		if (rc)
			return rc;
	}
	if (out->hi - out->lo == 1)
		return CL_OK;
	return cl_game_player_hash(p, &out->mid,
				   out->lo + (out->hi - out->lo) / 2);
}

int cl_game_player_proof(struct cl_game_player *p, struct cl_buf *proof,
			 struct cl_buf *preimage, bool *has_preimage,
			 uint64_t lo)
{
	struct vm_machine *vm;
	struct vm_proof pf;
	size_t at = proof->len;
	int rc;

	*has_preimage = false;
	if (lo >= p->n_steps)
		return CL_ERR_CONFIG;
	rc = agree_to(p, lo);
	if (rc)
		return rc;
	if (p->halt_known && lo >= p->halt_at) {
		vm = p->base; /* halted: the proof proves the no-op */
	} else {
		rc = machine_at(p, &vm, lo);
		if (rc)
			return rc;
	}
	rc = vm_step_proof(vm, proof);
	if (rc == VM_E_PREIMAGE)
		return CL_ERR_NOT_FOUND;
	if (rc != VM_OK)
		CL_BUG("vm_step_proof: unexpected result");
	if (!vm_proof_decode(&pf, proof->p + at, proof->len - at))
		CL_BUG("a step proof that does not decode");
	if (pf.has_preimage) {
		*has_preimage = true;
		cl_buf_append(preimage, pf.preimage, pf.preimage_len);
	}
	return CL_OK;
}
