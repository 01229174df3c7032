/* SPDX-License-Identifier: MIT */
/*
 * The order book against the naive reference of
 * tests/unit/matching/test_reference.c (a flat array scanned linearly for
 * every decision), driven by the fuzz input: each 6-byte step is a submit
 * (side, price, size, owner, flags; possibly discarded instead of
 * committed), a cancel, a resubmitted hash or a rebuild of the book from
 * its snapshot. Both sides run with the reference's fill policy (makers
 * short of margin, reduce-only limits, stopped takers). After every step
 * the results (code, outcome, fills, cancels, callback calls) and the
 * books (best prices and counts; depth, full order list and the book's
 * own invariants every few steps and at the end) must agree, or the
 * target aborts.
 *
 * The reference is compiled in from the unit test (its main() renamed),
 * so the fuzzer and the unit test check the same rules.
 */
int test_reference_main(void);
#define main test_reference_main
#include "../unit/matching/test_reference.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world *w;
	struct book_params p = util_params();

	if (!w)
		w = cl_xmalloc(sizeof(*w));
	/* the first byte picks the tick (1..4) and the largest size (8 or
	 * 16); the step stays 1: the fill policy cuts makers to size - 1 */
	uint8_t g = size ? data[0] : 0;
	p.tick = 1 + (g & 3);
	p.step = 1;
	p.min_price = p.tick;
	p.max_price = 40 * p.tick;
	p.max_size = (g & 4) ? 16 : 8;
	world_init(w, &p);
	mismatches = 0;
	test_rng_state = 0; /* rebuild() draws its order: reproducible */
	test_failures = 0;

	size_t steps = 0;
	for (size_t i = 1; i + 6 <= size && w->r.n < MAXN - 8; i += 6) {
		const uint8_t *s = data + i;
		struct op op;

		memset(&op, 0, sizeof(op));
		switch (s[0] & 7) {
		case 0: /* cancel a resting order, or any id */
			op.cancel = true;
			if (w->r.n && !(s[1] & 0x80))
				op.target = util_hash_id(
				    &w->r.o[s[1] % w->r.n].hash);
			else
				op.target = s[2];
			world_apply(w, &op, false, true);
			break;
		case 1: /* a resting order's hash again */
			if (w->r.n) {
				struct book_order t = w->r.o[s[1] % w->r.n];
				t.seq = w->next_seq++;
				w->pb.n = 0;
				AGREE(book_match(w->b, &w->plan, &t, policy_fn,
						 &w->pb) ==
				      BOOK_ERR_DUPLICATE);
			}
			break;
		case 2:
			rebuild(w);
			break;
		default: /* a submit near a mid of 20 ticks */
			op.side = (s[0] & 8) ? BOOK_BUY : BOOK_SELL;
			op.price = (s[1] & 0x80) ? s[1] : (uint64_t)(s[1] % 41) *
							     p.tick;
			op.size = (s[2] & 0x80) ? s[2] : (uint64_t)(s[2] % 9) *
							    p.step;
			op.owner = s[3] % 5;
			op.flags = s[4];
			world_apply(w, &op, (s[0] & 0x30) == 0x30, true);
			break;
		}
		if (++steps % 16 == 0) {
			compare_all(w->b, &w->r);
			AGREE(book_check_invariants(w->b));
		} else {
			compare_top(w->b, &w->r);
		}
		if (mismatches || test_failures)
			break;
	}
	compare_all(w->b, &w->r);
	AGREE(book_check_invariants(w->b));
	if (mismatches || test_failures) {
		fprintf(stderr, "fuzz-book: book and reference disagree\n");
		abort();
	}
	world_release(w);
	return 0;
}
