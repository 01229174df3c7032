/* SPDX-License-Identifier: MIT */
/*
 * Two players bisect (src/game/player.c, docs/disputes.md "The nodes"):
 * an honest one and one that lies from step s, over the rules of
 * ClearlineDispute played here in C (judgements, the interval, the
 * owner of hi), down to one step, whose proof from the honest player
 * must verify with the C step verifier (vm_step_verify) to the hash
 * that makes the honest side win. Liars from the first step, the last
 * step of the run, past the halt, and at random steps, as defender and
 * as challenger, with N = 2^32 and N just above the run; then a real
 * game of the verdict program (stf.elf) on a posted batch with a wrong
 * root and on an honest one. Each move's cost in VM steps is bounded.
 *
 * args: the tests/vm-programs build directory (keccak.elf, stf.elf).
 */
#include "test.h"
#include "vm/batch_stream.h"
#include "vm/stf_guest.h"

#include <clearline/game.h>
#include <clearline/vm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFENDER 1
#define CHALLENGER 2

struct outcome {
	int winner;
	unsigned moves;
	uint64_t honest_steps;
	uint64_t max_move_steps; /* the honest player's costliest move */
};

/*
 * Play a game as ClearlineDispute runs it: the defender's claim at N,
 * defend (first midpoint), moves until one step, then the step, made by
 * whoever can (the honest player). `d` and `c` are the two players;
 * `honest` is the side that must win.
 */
static struct outcome play(struct cl_game_player *d, struct cl_game_player *c,
			   uint64_t n, int honest)
{
	struct outcome o = {0};
	struct cl_hash32 pre, hi_hash, lo_hash, mid, dc, cc;
	struct cl_game_player *side[3] = {NULL, d, c};
	uint64_t lo = 0, hi = n;
	int hi_owner = DEFENDER, turn;

	cl_game_player_pre(d, &pre);
	cl_game_player_pre(c, &lo_hash);
	CHECK(cl_hash32_eq(&pre, &lo_hash));
	CHECK(cl_game_player_claim(d, &dc) == CL_OK);
	CHECK(cl_game_player_claim(c, &cc) == CL_OK);
	CHECK(!cl_hash32_eq(&dc, &cc));
	hi_hash = dc;
	lo_hash = pre;
	CHECK(cl_game_player_first(d, &mid) == CL_OK);
	turn = CHALLENGER;
	while (hi - lo > 1) {
		struct cl_game_move mv;
		struct cl_game_player *p = side[turn];
		uint64_t before = cl_game_player_steps_run(p);
		uint64_t m = lo + (hi - lo) / 2;

		CHECK(cl_game_player_move(p, &mv, lo, hi, &mid) == CL_OK);
		if (turn == honest) {
			uint64_t cost = cl_game_player_steps_run(p) - before;
			if (cost > o.max_move_steps)
				o.max_move_steps = cost;
			/* at most the steps of the interval in play (one
			 * run on from the checkpoint, one from the cursor) */
			CHECK_MSG(cost <= 2 * (hi - lo),
				  "a move over (%llu, %llu] ran %llu steps",
				  (unsigned long long)lo,
				  (unsigned long long)hi,
				  (unsigned long long)cost);
		}
		if (mv.agree) {
			CHECK(mv.lo == m && mv.hi == hi);
			lo_hash = mid;
		} else {
			CHECK(mv.lo == lo && mv.hi == m);
			hi_hash = mid;
			hi_owner = turn == DEFENDER ? CHALLENGER : DEFENDER;
		}
		lo = mv.lo;
		hi = mv.hi;
		if (hi - lo == 1) {
			static const struct cl_hash32 zero;
			CHECK(cl_hash32_eq(&mv.mid, &zero));
		}
		mid = mv.mid;
		turn = turn == DEFENDER ? CHALLENGER : DEFENDER;
		o.moves++;
		CHECK(o.moves <= 64);
	}
	/* the step, by the honest player */
	struct cl_buf proof, pimg;
	struct cl_hash32 post;
	bool has = false;

	cl_buf_init(&proof);
	cl_buf_init(&pimg);
	CHECK(cl_game_player_proof(side[honest], &proof, &pimg, &has, lo) ==
	      CL_OK);
	CHECK(vm_step_verify(&post, &lo_hash, proof.p, proof.len) == VM_OK);
	if (has) {
		struct vm_proof pf;
		CHECK(vm_proof_decode(&pf, proof.p, proof.len));
		CHECK(pf.has_preimage && pf.preimage_len == pimg.len &&
		      memcmp(pf.preimage, pimg.p, pimg.len) == 0);
	}
	o.winner = cl_hash32_eq(&post, &hi_hash)
			   ? hi_owner
			   : (hi_owner == DEFENDER ? CHALLENGER : DEFENDER);
	o.honest_steps = cl_game_player_steps_run(side[honest]);
	cl_buf_release(&proof);
	cl_buf_release(&pimg);
	return o;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	uint8_t *b = cl_xmalloc(1u << 22);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	*len = fread(b, 1, 1u << 22, f);
	fclose(f);
	return b;
}

/* keccak.elf over a 100-byte input (a preimage read) */
static void keccak_games(const char *dir)
{
	size_t elf_len;
	uint8_t *elf = read_file(dir, "keccak.elf", &elf_len);
	uint8_t input[100];
	struct cl_hash32 key;
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_game_player *probe;
	uint64_t t;
	uint8_t verdict;

	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (uint8_t)(i * 7 + 3);
	cl_keccak256(key.b, input, sizeof(input));
	cl_preimage_map_add(pm, input, sizeof(input));
	CHECK(cl_game_player_new(&probe, elf, elf_len, &key, pm, 1u << 30) ==
	      CL_OK);
	CHECK(cl_game_player_halt(probe, &t, &verdict) == CL_OK);
	printf("keccak.elf: halts after %llu steps, verdict byte %u\n",
	       (unsigned long long)t, verdict);
	CHECK(t > 1000);
	cl_game_player_free(probe);

	/* without the input the run stops at the read */
	struct cl_preimage_map *empty = cl_preimage_map_new();
	CHECK(cl_game_player_new(&probe, elf, elf_len, &key, empty, 1u << 30) ==
	      CL_OK);
	CHECK(cl_game_player_halt(probe, &t, &verdict) == CL_ERR_NOT_FOUND);
	cl_game_player_free(probe);
	cl_preimage_map_free(empty);

	uint64_t ns[2] = {1ull << 32, 0};
	ns[1] = t + 3;
	uint64_t lies[16] = {0, 1, 2, t / 2, t - 1, t, t + 1, t + 2};
	size_t nl = 8;
	while (nl < CL_ARRAY_LEN(lies))
		lies[nl++] = 1 + test_rand() % t;
	unsigned games = 0, max_moves = 0;
	uint64_t max_cost = 0;

	for (size_t ni = 0; ni < 2; ni++) {
		for (size_t li = 0; li < nl; li++) {
			uint64_t s = lies[li];
			if (s == 0 || s > ns[ni])
				continue; /* both would claim the same */
			for (int honest = 1; honest <= 2; honest++) {
				struct cl_game_player *h, *l;
				CHECK(cl_game_player_new(&h, elf, elf_len, &key,
							 pm, ns[ni]) == CL_OK);
				CHECK(cl_game_player_new(&l, elf, elf_len, &key,
							 pm, ns[ni]) == CL_OK);
				cl_game_player_lie_from(l, s,
							honest == DEFENDER ? 1
									   : 0);
				struct outcome o =
				    honest == DEFENDER ? play(h, l, ns[ni], 1)
						       : play(l, h, ns[ni], 2);
				CHECK_MSG(o.winner == honest,
					  "N %llu, lie from %llu: side %d won, "
					  "the honest side is %d",
					  (unsigned long long)ns[ni],
					  (unsigned long long)s, o.winner,
					  honest);
				/* about two runs in all: never the whole
				 * trace once per move */
				CHECK_MSG(o.honest_steps <= 3 * t + 64,
					  "honest player ran %llu steps for a "
					  "run of %llu",
					  (unsigned long long)o.honest_steps,
					  (unsigned long long)t);
				if (o.moves > max_moves)
					max_moves = o.moves;
				if (o.max_move_steps > max_cost)
					max_cost = o.max_move_steps;
				games++;
				cl_game_player_free(h);
				cl_game_player_free(l);
			}
		}
	}
	printf("keccak.elf: %u games won by the honest side, up to %u moves, "
	       "the costliest move %llu steps\n",
	       games, max_moves, (unsigned long long)max_cost);
	cl_preimage_map_free(pm);
	free(elf);
}

/* The verdict program about block k of `p`: the key and every preimage
 * (the state before the block from the stream). */
static struct cl_preimage_map *prepare(struct stream *s,
				       const struct posted *p, uint32_t k,
				       struct cl_hash32 *key)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_game_input in;
	struct cl_state *pre = NULL;
	size_t bi = p->first + k;

	memset(&in, 0, sizeof(in));
	in.rec = p->rec;
	in.k = k;
	in.prev_root = p->prev_root;
	CHECK(cl_state_new_walk(&pre, &s->blk[bi].prev_root,
				cl_preimage_map_fetch,
				s->blk[bi].pre) == CL_OK);
	CHECK(cl_game_prepare(key, pm, &in, p->data.p, p->data.len, p->dep,
			      p->n_dep, &p->assets, p->forced, p->n_forced, &s->e.g,
			      pre) == CL_OK);
	cl_state_free(pre);
	return pm;
}

static void stf_game(const uint8_t *elf, size_t elf_len, struct stream *s,
		     const struct posted *p, uint32_t k, int want_verdict)
{
	struct cl_hash32 key;
	struct cl_preimage_map *pm = prepare(s, p, k, &key);
	struct cl_game_player *h, *l;
	uint64_t t;
	uint8_t verdict;
	const uint64_t n = 1ull << 32;

	CHECK(cl_game_verdict(NULL, &key, cl_preimage_map_fetch, pm) ==
	      want_verdict);
	CHECK(cl_game_player_new(&h, elf, elf_len, &key, pm, n) == CL_OK);
	CHECK(cl_game_player_halt(h, &t, &verdict) == CL_OK);
	CHECK_MSG(verdict == want_verdict, "verdict byte %u, expected %d",
		  verdict, want_verdict);
	CHECK(cl_game_player_new(&l, elf, elf_len, &key, pm, n) == CL_OK);
	/* the liar claims the other verdict: from the halt (a wrong exit)
	 * or from a random step of the run */
	uint64_t from = want_verdict == 1 ? t : 1 + test_rand() % t;
	cl_game_player_lie_from(l, from, want_verdict == 1 ? 0 : 1);
	/* the honest side: the challenger of a wrong batch, the defender
	 * of a right one */
	struct outcome o = want_verdict == 1 ? play(l, h, n, CHALLENGER)
					     : play(h, l, n, DEFENDER);
	CHECK(o.winner == (want_verdict == 1 ? CHALLENGER : DEFENDER));
	printf("stf.elf, block %u, verdict %d: run of %llu steps, lie from "
	       "%llu, %u moves, the honest player ran %llu steps\n",
	       k, want_verdict, (unsigned long long)t,
	       (unsigned long long)from, o.moves,
	       (unsigned long long)o.honest_steps);
	cl_game_player_free(h);
	cl_game_player_free(l);
	cl_preimage_map_free(pm);
}

/* The state after each block, rebuilt from genesis, is the stream's; a
 * block with another root or a refused request is not applied. */
static void check_rebuild(struct stream *s)
{
	struct cl_game_rebuild *r;
	struct cl_hash32 root;
	struct cl_batch2_block bad;

	CHECK(cl_game_rebuild_new(&r, &s->e.g) == CL_OK);
	CHECK(cl_state_root(cl_game_rebuild_state(r), &root) == CL_OK);
	CHECK(cl_hash32_eq(&root, &s->genesis_root));
	bad = s->blk[1].b;
	CHECK(cl_game_rebuild_block(r, &bad) == CL_ERR_CONFIG);
	for (size_t i = 0; i < s->n; i++) {
		CHECK(cl_state_root(cl_game_rebuild_state(r), &root) == CL_OK);
		CHECK(cl_hash32_eq(&root, &s->blk[i].prev_root));
		CHECK(cl_game_rebuild_block(r, &s->blk[i].b) == CL_OK);
		CHECK(cl_state_root(cl_game_rebuild_state(r), &root) == CL_OK);
		CHECK(cl_hash32_eq(&root, &s->blk[i].b.root));
		CHECK(cl_game_rebuild_head(r) == s->blk[i].b.number);
	}
	/* a request the stf refuses: the first block's deposits again */
	bad = s->blk[0].b;
	bad.number = cl_game_rebuild_head(r) + 1;
	CHECK(cl_game_rebuild_block(r, &bad) == CL_ERR_CORRUPT);
	CHECK(cl_state_root(cl_game_rebuild_state(r), &root) == CL_OK);
	CHECK(cl_hash32_eq(&root, &s->blk[s->n - 1].b.root));
	cl_game_rebuild_free(r);
	/* another root than the posted one: refused, and nothing after */
	CHECK(cl_game_rebuild_new(&r, &s->e.g) == CL_OK);
	bad = s->blk[0].b;
	bad.root.b[5] ^= 1;
	CHECK(cl_game_rebuild_block(r, &bad) == CL_ERR_CORRUPT);
	CHECK(cl_game_rebuild_block(r, &s->blk[0].b) == CL_ERR_CORRUPT);
	cl_game_rebuild_free(r);
	printf("rebuild: %zu blocks from genesis, every root the posted one\n",
	       s->n);
}

static void stf_games(const char *dir)
{
	struct stream *s = cl_xcalloc(1, sizeof(*s));
	struct posted b0, bad;
	size_t elf_len;
	uint8_t *elf = sg_read_elf(dir, &elf_len);
	struct cl_batch2_block blocks[MAX_BLOCKS];

	stream_build(s, 4);
	check_rebuild(s);
	post(&b0, s, 0, 3, NULL);
	stf_game(elf, elf_len, s, &b0, 1, 0);
	/* the last block's root changed: the batch is wrong at it */
	for (size_t i = 0; i < b0.n; i++)
		blocks[i] = s->blk[b0.first + i].b;
	blocks[b0.n - 1].root.b[31] ^= 1;
	repost(&bad, &b0, blocks);
	stf_game(elf, elf_len, s, &bad, (uint32_t)(b0.n - 1), 1);
	for (size_t i = 0; i < s->n; i++)
		cl_preimage_map_free(s->blk[i].pre);
	cl_buf_release(&b0.data);
	cl_buf_release(&bad.data);
	tenv_release(&s->e);
	free(s);
	free(elf);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--no-compiler") == 0) {
		fprintf(stderr, "no RISC-V cross compiler: run "
				"contrib/bootstrap.sh, then meson setup "
				"again\n");
		return 1;
	}
	test_seed();
	keccak_games(argv[1]);
	stf_games(argv[1]);
	return test_done("test_player");
}
