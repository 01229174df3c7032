/* SPDX-License-Identifier: MIT */
/*
 * The dispute games' ABI (src/l1/game_abi.c): the calls a node sends,
 * and the decoders of what L1 answers, which are hostile input: a game
 * record whose small fields have high bits, a `bytes` answer with a
 * wrong offset, length or padding, a lengthOf answer that is not a
 * bool, GameOpened and GameResolved logs with the wrong shape.
 */
#include <stdlib.h>
#include <string.h>

#include <clearline/l1.h>

#include "../test.h"

static void word_u64(uint8_t *w, uint64_t v)
{
	memset(w, 0, 32);
	cl_put_be64(w + 24, v);
}

static void test_game_record(void)
{
	uint8_t r[CL_L1_GAME_WORDS * 32];
	struct cl_l1_game g;

	memset(r, 0, sizeof(r));
	memset(r + 12, 0xc1, 20);		/* challenger */
	word_u64(r + 32, 3599);			/* challengerClock */
	word_u64(r + 2 * 32, CL_L1_PHASE_BISECT);
	word_u64(r + 3 * 32, CL_L1_SIDE_DEFENDER);
	word_u64(r + 4 * 32, CL_L1_SIDE_CHALLENGER);
	memset(r + 6 * 32 + 12, 0xd1, 20);	/* defender */
	word_u64(r + 7 * 32, 3600);
	word_u64(r + 8 * 32, 1ull << 30);	/* lo */
	word_u64(r + 9 * 32, 1ull << 31);	/* hi */
	word_u64(r + 10 * 32, 1700000000);
	word_u64(r + 11 * 32, 1ull << 40);
	for (int i = 12; i < 18; i++)
		memset(r + i * 32, 0x10 + i, 32);
	memset(r + 18 * 32 + 12, 0xee, 20);	/* creator */
	word_u64(r + 19 * 32, 1);		/* zeroVerdict */
	CHECK(cl_l1_abi_ret_game(&g, r, sizeof(r)));
	CHECK(g.challenger.b[0] == 0xc1 && g.defender.b[19] == 0xd1);
	CHECK(g.challenger_clock == 3599 && g.defender_clock == 3600);
	CHECK(g.phase == CL_L1_PHASE_BISECT && g.turn == CL_L1_SIDE_DEFENDER &&
	      g.hi_owner == CL_L1_SIDE_CHALLENGER && g.winner == 0);
	CHECK(g.lo == 1ull << 30 && g.hi == 1ull << 31 &&
	      g.since == 1700000000 && g.steps == 1ull << 40);
	CHECK(g.pre.b[0] == 0x1c && g.challenger_claim.b[31] == 0x21);
	CHECK(g.creator.b[0] == 0xee && g.zero_verdict);
	/* clocks: only the side to move loses time */
	CHECK(cl_l1_game_clock_left(&g, CL_L1_SIDE_DEFENDER,
				    1700000000 + 100) == 3500);
	CHECK(cl_l1_game_clock_left(&g, CL_L1_SIDE_CHALLENGER,
				    1700000000 + 100) == 3599);
	CHECK(cl_l1_game_clock_left(&g, CL_L1_SIDE_DEFENDER,
				    1700000000 + 5000) == 0);
	/* hostile: a phase above a byte, an address with high bits, a
	 * bool that is 2, one word short or long */
	uint8_t bad[sizeof(r) + 32];
	memcpy(bad, r, sizeof(r));
	bad[2 * 32 + 30] = 1;
	CHECK(!cl_l1_abi_ret_game(&g, bad, sizeof(r)));
	CHECK(g.phase == 0 && g.lo == 0);
	memcpy(bad, r, sizeof(r));
	bad[6 * 32] = 1;
	CHECK(!cl_l1_abi_ret_game(&g, bad, sizeof(r)));
	memcpy(bad, r, sizeof(r));
	bad[19 * 32 + 31] = 2;
	CHECK(!cl_l1_abi_ret_game(&g, bad, sizeof(r)));
	CHECK(!cl_l1_abi_ret_game(&g, r, sizeof(r) - 32));
	memset(bad + sizeof(r), 0, 32);
	memcpy(bad, r, sizeof(r));
	CHECK(!cl_l1_abi_ret_game(&g, bad, sizeof(bad)));
}

static void test_bytes(void)
{
	uint8_t r[64 + 288];
	const uint8_t *d;
	size_t n;

	memset(r, 0, sizeof(r));
	word_u64(r, 32);
	word_u64(r + 32, 280);
	memset(r + 64, 0x77, 280);
	CHECK(cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r)));
	CHECK(n == 280 && d == r + 64);
	r[64 + 281] = 1; /* padding not zero */
	CHECK(!cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r)) && !d && n == 0);
	r[64 + 281] = 0;
	word_u64(r, 64); /* another offset */
	CHECK(!cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r)));
	word_u64(r, 32);
	word_u64(r + 32, 1000); /* longer than the answer */
	CHECK(!cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r)));
	word_u64(r + 32, 280);
	CHECK(!cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r) - 1));
	CHECK(!cl_l1_abi_ret_bytes(&d, &n, r, sizeof(r) + 0 - 32));

	bool posted;
	uint64_t len;
	uint8_t lo[64];
	word_u64(lo, 1);
	word_u64(lo + 32, 60000);
	CHECK(cl_l1_abi_ret_length_of(&posted, &len, lo, 64) && posted &&
	      len == 60000);
	word_u64(lo, 2);
	CHECK(!cl_l1_abi_ret_length_of(&posted, &len, lo, 64) && !posted &&
	      len == 0);
}

static void test_events(void)
{
	struct cl_l1_log log;
	uint8_t data[32];
	struct cl_l1_game_opened o;
	struct cl_l1_game_resolved r;

	memset(&log, 0, sizeof(log));
	log.n_topics = 4;
	cl_l1_event_topic(&log.topics[0], CL_L1_EV_GAME_OPENED);
	word_u64(log.topics[1].b, 7);
	word_u64(log.topics[2].b, 3);
	memset(log.topics[3].b + 12, 0xab, 20);
	word_u64(data, 5);
	log.data = data;
	log.data_len = 32;
	log.block_number = 99;
	CHECK(cl_l1_decode_game_opened(&o, &log));
	CHECK(o.batch == 7 && o.game_id == 3 && o.k == 5 &&
	      o.challenger.b[0] == 0xab && o.loc.block_number == 99);
	data[27] = 1; /* k above 32 bits */
	CHECK(!cl_l1_decode_game_opened(&o, &log) && o.batch == 0);
	data[27] = 0;
	log.topics[2].b[0] = 1; /* a game id above 64 bits */
	CHECK(!cl_l1_decode_game_opened(&o, &log));
	log.topics[2].b[0] = 0;
	log.n_topics = 3;
	CHECK(!cl_l1_decode_game_opened(&o, &log));

	log.n_topics = 3;
	cl_l1_event_topic(&log.topics[0], CL_L1_EV_GAME_RESOLVED);
	word_u64(data, 1);
	CHECK(cl_l1_decode_game_resolved(&r, &log));
	CHECK(r.batch == 7 && r.game_id == 3 && r.challenger_wins);
	word_u64(data, 2);
	CHECK(!cl_l1_decode_game_resolved(&r, &log));
	word_u64(data, 0);
	CHECK(cl_l1_decode_game_resolved(&r, &log) && !r.challenger_wins);
	/* another event's topic */
	CHECK(!cl_l1_decode_game_opened(&o, &log));
}

static void test_calls(void)
{
	struct cl_buf b;
	struct cl_hash32 mid;
	uint8_t proof[100];

	cl_buf_init(&b);
	memset(mid.b, 0x42, 32);
	cl_l1_abi_dispute_move(&b, 9, 4, 8, true, &mid);
	CHECK(b.len == 4 + 5 * 32);
	CHECK(b.p[4 + 31] == 9 && b.p[4 + 63] == 4 && b.p[4 + 95] == 8 &&
	      b.p[4 + 127] == 1 && b.p[4 + 128] == 0x42);
	cl_buf_reset(&b);
	memset(proof, 0x99, sizeof(proof));
	cl_l1_abi_dispute_step(&b, 9, proof, sizeof(proof));
	/* id, offset 64, length, 100 bytes padded to 128 */
	CHECK(b.len == 4 + 3 * 32 + 128);
	CHECK(b.p[4 + 63] == 64 && b.p[4 + 95] == 100 &&
	      b.p[4 + 96] == 0x99 && b.p[b.len - 1] == 0);
	cl_buf_reset(&b);
	cl_l1_abi_preimage_post(&b, proof, 32);
	CHECK(b.len == 4 + 3 * 32 && b.p[4 + 31] == 32 && b.p[4 + 63] == 32);
	cl_buf_release(&b);
	CHECK(strcmp(cl_l1_game_phase_str(CL_L1_PHASE_STEP), "step") == 0);
	CHECK(strcmp(cl_l1_game_phase_str(9), "unknown") == 0);
}

int main(void)
{
	test_game_record();
	test_bytes();
	test_events();
	test_calls();
	return test_done("test_game_abi");
}
