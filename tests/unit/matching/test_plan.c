/* SPDX-License-Identifier: MIT */
/*
 * The plan/commit protocol and the fill callback: vetoes (reduce, cancel
 * maker, stop taker), FOK atomicity under a veto, what the callback sees,
 * and the protocol misuses that must abort.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "book_util.h"

static struct book *clone_book(const struct book *b)
{
	struct util_snap s = {0};
	struct book *c = book_new(book_params(b));

	util_snap(&s, b);
	for (size_t i = 0; i < s.n; i++)
		CHECK(book_restore(c, &s.o[i]) == BOOK_OK);
	util_snap_free(&s);
	return c;
}

/*
 * A scripted callback: per maker id, what to allow and which verdict; it
 * also records what it was shown, and tracks a reduce-only position the
 * way the stf would (cumulatively, in the context).
 */
struct script {
	int verdict[64];   /* by maker id; default ACCEPT */
	int64_t allow[64]; /* by maker id; -1: the full candidate size */
	uint64_t position; /* reduce-only capacity left; UINT64_MAX: none */
	uint64_t now;	   /* makers with expiry < now are cancelled */
	unsigned calls;
	uint64_t seen_maker[64];
	uint64_t seen_size[64];
	uint64_t seen_price[64];
	uint64_t seen_filled[64];
};

static void script_init(struct script *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < 64; i++) {
		s->verdict[i] = BOOK_ACCEPT;
		s->allow[i] = -1;
	}
	s->position = UINT64_MAX;
}

static enum book_verdict script_fn(void *ctx, uint64_t *allowed,
				   const struct book_candidate *c)
{
	struct script *s = ctx;
	uint64_t id = util_hash_id(&c->maker->hash);

	CHECK(id < 64);
	if (s->calls < 64) {
		s->seen_maker[s->calls] = id;
		s->seen_size[s->calls] = c->size.v;
		s->seen_price[s->calls] = c->price.v;
		s->seen_filled[s->calls] = c->taker_filled.v;
	}
	s->calls++;
	CHECK(c->price.v == c->maker->price.v);
	CHECK(c->size.v <= c->maker->size.v);
	CHECK(memcmp(c->maker->owner.b, c->taker->owner.b, 20) != 0);

	if (c->maker->expiry < s->now) {
		*allowed = 0;
		return BOOK_CANCEL_MAKER;
	}
	if (c->taker->flags & BOOK_FLAG_REDUCE_ONLY) {
		if (s->position == 0) {
			*allowed = 0;
			return BOOK_STOP_TAKER;
		}
		*allowed = c->size.v < s->position ? c->size.v : s->position;
		s->position -= *allowed;
		return BOOK_ACCEPT;
	}
	*allowed = s->allow[id] < 0 ? c->size.v : (uint64_t)s->allow[id];
	return (enum book_verdict)s->verdict[id];
}

static void test_reduce(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 5);
	util_rest(b, 2, 2, SELL, 100, 2);
	util_rest(b, 3, 2, SELL, 101, 4);

	/* maker 1 may only give 2 of its 5 (its margin): it keeps 3 and
	 * the taker goes on to maker 2 and 3 */
	script_init(&s);
	s.allow[1] = 2;
	struct book_order t = util_order(10, 3, BUY, 101, 6, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.n_fills == 3);
	CHECK(plan.fills[0].size.v == 2 && !plan.fills[0].maker_done);
	CHECK(plan.fills[1].size.v == 2 && plan.fills[1].maker_done);
	CHECK(plan.fills[2].size.v == 2 && !plan.fills[2].maker_done);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(s.calls == 3);
	CHECK(s.seen_size[0] == 5 && s.seen_filled[0] == 0);
	CHECK(s.seen_size[1] == 2 && s.seen_filled[1] == 2);
	CHECK(s.seen_size[2] == 2 && s.seen_filled[2] == 4);
	CHECK(s.seen_price[2] == 101);
	CHECK(util_remaining(b, 1) == 3 && util_remaining(b, 2) == 0);
	CHECK(util_remaining(b, 3) == 2);

	/* maker 1 refuses entirely (allowed 0, accept): a GTC taker that
	 * is left with size cannot rest across it */
	script_init(&s);
	s.allow[1] = 0;
	t = util_order(11, 3, BUY, 101, 4, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.n_fills == 1 && plan.fills[0].size.v == 2);
	CHECK(util_hash_id(&plan.fills[0].maker) == 3);
	CHECK(plan.outcome == BOOK_CANCELLED_CROSSING);
	CHECK(plan.filled.v == 2 && plan.remaining.v == 2);
	CHECK(util_remaining(b, 1) == 3 && util_remaining(b, 11) == 0);
	CHECK(book_count(b) == 1);

	/* the same with IOC is an ordinary IOC cancel */
	util_rest(b, 4, 2, SELL, 101, 1);
	script_init(&s);
	s.allow[1] = 0;
	t = util_order(12, 3, BUY, 101, 4, IOC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_IOC);
	CHECK(plan.filled.v == 1);
	book_plan_release(&plan);
	book_free(b);
}

static void test_reduce_only_cumulative(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, BUY, 100, 2);
	util_rest(b, 2, 1, BUY, 99, 2);
	util_rest(b, 3, 1, BUY, 98, 2);

	/* a reduce-only sell with a long position of 3: 2 then 1, then the
	 * callback stops it */
	script_init(&s);
	s.position = 3;
	struct book_order t = util_order(10, 2, SELL, 98, 6, GTC | REDUCE);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.n_fills == 2);
	CHECK(plan.fills[0].size.v == 2 && plan.fills[1].size.v == 1);
	CHECK(plan.outcome == BOOK_CANCELLED_STOPPED);
	CHECK(plan.filled.v == 3 && plan.remaining.v == 3);
	CHECK(s.calls == 3);
	CHECK(util_remaining(b, 2) == 1 && util_remaining(b, 3) == 2);
	CHECK(util_remaining(b, 10) == 0);

	/* position exactly used up by the last fill: filled, no stop */
	script_init(&s);
	s.position = 3;
	t = util_order(11, 2, SELL, 98, 3, IOC | REDUCE);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(s.calls == 2);
	CHECK(book_count(b) == 0);
	book_plan_release(&plan);
	book_free(b);
}

static void test_cancel_maker(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	util_rest(b, 2, 2, SELL, 100, 2);
	util_rest(b, 3, 1, SELL, 101, 3);
	util_rest(b, 4, 2, SELL, 101, 3);

	/* maker 2 has expired: cancelled, matching goes on; maker 3 fills 1
	 * and then loses its remainder (e.g. out of margin) */
	script_init(&s);
	s.now = 1000;
	struct book_order o;
	struct cl_hash32 h = util_hash(2);
	CHECK(book_cancel(b, &o, &h) == BOOK_OK);
	o.expiry = 999; /* same sequence: back to its place after maker 1 */
	CHECK(book_restore(b, &o) == BOOK_OK);
	CHECK(book_last_seq(b) == util_next_seq - 1);
	s.verdict[3] = BOOK_CANCEL_MAKER;
	s.allow[3] = 1;

	struct book_order t = util_order(10, 3, BUY, 101, 4, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(s.calls == 4);
	CHECK(s.seen_maker[1] == 2);
	CHECK(plan.n_fills == 3);
	CHECK(util_hash_id(&plan.fills[0].maker) == 1);
	CHECK(util_hash_id(&plan.fills[1].maker) == 3);
	CHECK(plan.fills[1].size.v == 1 && !plan.fills[1].maker_done);
	CHECK(util_hash_id(&plan.fills[2].maker) == 4);
	CHECK(plan.fills[2].size.v == 1);
	CHECK(plan.n_cancels == 2);
	CHECK(util_hash_id(&plan.cancels[0].maker) == 2);
	CHECK(plan.cancels[0].reason == BOOK_CANCEL_CALLBACK);
	CHECK(plan.cancels[0].size.v == 2 && plan.cancels[0].after_fills == 1);
	CHECK(util_hash_id(&plan.cancels[1].maker) == 3);
	CHECK(plan.cancels[1].size.v == 2 && plan.cancels[1].after_fills == 2);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(book_count(b) == 1 && util_remaining(b, 4) == 2);
	book_plan_release(&plan);
	book_free(b);
}

static void test_stop_taker(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, BUY, 100, 2);
	util_rest(b, 2, 2, BUY, 100, 2);

	/* the taker is out of margin at once */
	script_init(&s);
	s.verdict[1] = BOOK_STOP_TAKER;
	s.allow[1] = 0;
	struct book_order t = util_order(10, 3, SELL, 100, 3, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_STOPPED);
	CHECK(plan.n_fills == 0 && plan.filled.v == 0);
	CHECK(plan.remaining.v == 3);
	CHECK(s.calls == 1);
	CHECK(book_count(b) == 2 && util_remaining(b, 10) == 0);

	/* stop after a partial fill of the first maker */
	script_init(&s);
	s.verdict[1] = BOOK_STOP_TAKER;
	s.allow[1] = 1;
	t = util_order(11, 3, SELL, 100, 3, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_STOPPED);
	CHECK(plan.n_fills == 1 && plan.filled.v == 1);
	CHECK(util_remaining(b, 1) == 1 && util_remaining(b, 2) == 2);

	/* an IOC that is stopped reports the stop */
	script_init(&s);
	s.verdict[1] = BOOK_STOP_TAKER;
	s.allow[1] = 0;
	t = util_order(13, 3, SELL, 100, 2, IOC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_STOPPED);
	CHECK(plan.remaining.v == 2);

	/* a stop that comes with the last unit is just filled */
	script_init(&s);
	s.verdict[1] = BOOK_STOP_TAKER;
	t = util_order(12, 3, SELL, 100, 1, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(s.calls == 1);
	CHECK(book_count(b) == 1);
	book_plan_release(&plan);
	book_free(b);
}

static void test_fok_atomic(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	util_rest(b, 2, 3, SELL, 100, 1); /* the taker's own: STP */
	util_rest(b, 3, 2, SELL, 101, 2);
	util_rest(b, 4, 1, SELL, 102, 4);
	util_rest(b, 5, 2, SELL, 102, 9);

	struct book *before = clone_book(b);

	/* enough liquidity, but maker 4 is cut to 1 midway: the FOK for 6
	 * gets only 5 and fails; no fills, no cancels, book unchanged */
	script_init(&s);
	s.allow[4] = 1;
	s.verdict[4] = BOOK_CANCEL_MAKER;
	s.verdict[5] = BOOK_STOP_TAKER;
	s.allow[5] = 0;
	struct book_order t = util_order(10, 3, BUY, 102, 6, FOK);
	CHECK(book_match(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(s.calls == 4);
	CHECK(plan.outcome == BOOK_REJECTED_FOK);
	CHECK(plan.n_fills == 0 && plan.n_cancels == 0);
	CHECK(plan.filled.v == 0 && plan.remaining.v == 6);
	CHECK(util_books_equal(b, before));
	book_commit(b, &plan);
	CHECK(util_books_equal(b, before));

	/* a callback that only reduces the last fill */
	script_init(&s);
	s.allow[5] = 0;
	t = util_order(11, 3, BUY, 102, 9, FOK);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_FOK);
	CHECK(util_books_equal(b, before));

	/* the quick check rejects without asking the callback */
	script_init(&s);
	t = util_order(12, 3, BUY, 101, 6, FOK);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_FOK);
	CHECK(s.calls == 0);

	/* and without vetoes the same FOK fills, STP cancel included */
	script_init(&s);
	t = util_order(13, 3, BUY, 102, 6, FOK);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(plan.n_fills == 3 && plan.n_cancels == 1);
	CHECK(plan.cancels[0].reason == BOOK_CANCEL_SELF_TRADE);
	CHECK(util_remaining(b, 4) == 2 && util_remaining(b, 2) == 0);
	book_free(before);
	book_plan_release(&plan);
	book_free(b);
}

static void test_no_callback_cases(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;
	struct script s;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);

	/* post-only never asks */
	script_init(&s);
	struct book_order t = util_order(10, 2, BUY, 100, 1, POST);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_POST_ONLY && s.calls == 0);

	/* self-trades are not shown to the callback */
	t = util_order(11, 1, BUY, 100, 1, GTC);
	CHECK(util_submit(b, &plan, &t, script_fn, &s) == BOOK_OK);
	CHECK(s.calls == 0 && plan.n_cancels == 1);
	CHECK(plan.outcome == BOOK_RESTING);
	book_plan_release(&plan);
	book_free(b);
}

static void test_protocol(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	util_rest(b, 2, 1, SELL, 101, 2);

	struct book *before = clone_book(b);
	uint64_t v = book_version(b);
	struct book_order t = util_order(10, 2, BUY, 101, 3, GTC);

	/* planning changes nothing */
	CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.state == BOOK_PLAN_READY);
	CHECK(book_plan_valid(b, &plan));
	CHECK(!book_plan_valid(before, &plan));
	CHECK(book_version(b) == v);
	CHECK(util_books_equal(b, before));
	CHECK(plan.n_fills == 2);

	/* discard: still nothing changed, results stay readable */
	book_discard(&plan);
	CHECK(plan.state == BOOK_PLAN_DISCARDED);
	CHECK(!book_plan_valid(b, &plan));
	CHECK(plan.n_fills == 2);
	CHECK(util_books_equal(b, before));
	CHECK(book_version(b) == v);

	/* a plan goes stale when the book changes */
	CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
	struct cl_hash32 h = util_hash(2);
	CHECK(book_cancel(b, NULL, &h) == BOOK_OK);
	CHECK(!book_plan_valid(b, &plan));
	book_discard(&plan);

	/* commit */
	CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
	book_commit(b, &plan);
	CHECK(plan.state == BOOK_PLAN_COMMITTED);
	CHECK(!book_plan_valid(b, &plan));
	CHECK(plan.outcome == BOOK_RESTING);
	CHECK(util_remaining(b, 10) == 1);

	/* plans grow: one taker against many makers */
	for (uint64_t i = 20; i < 60; i++)
		util_rest(b, i, 3, SELL, 200 + i % 3, 1);
	t = util_order(61, 2, BUY, 300, 50, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.n_fills == 40 && plan.filled.v == 40);
	CHECK(plan.outcome == BOOK_CANCELLED_IOC);
	book_plan_release(&plan);
	CHECK(plan.fills == NULL && plan.n_fills == 0);
	book_plan_release(&plan);
	book_free(before);
	book_free(b);
}

/* Misuse that must abort (CL_REQUIRE): run it in a child process. */
enum misuse {
	COMMIT_TWICE,
	COMMIT_AFTER_DISCARD,
	COMMIT_STALE,
	COMMIT_OTHER_BOOK,
	MATCH_OVER_READY,
	DISCARD_AFTER_COMMIT,
	ALLOW_TOO_MUCH,
	SEQ_NOT_INCREASING,
	OUTSIDE_NOT_IOC,
	MISUSE_NONE,
};

static enum book_verdict greedy_fn(void *ctx, uint64_t *allowed,
				   const struct book_candidate *c)
{
	(void)ctx;
	*allowed = c->size.v + 1;
	return BOOK_ACCEPT;
}

static void misuse_run(enum misuse m)
{
	struct book *b = util_new_book();
	struct book *other = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	struct book_order t = util_order(10, 2, BUY, 100, 1, GTC);
	struct cl_hash32 h = util_hash(1);

	if (m == ALLOW_TOO_MUCH) {
		CHECK(book_match(b, &plan, &t, greedy_fn, NULL) == BOOK_OK);
		return;
	}
	if (m == SEQ_NOT_INCREASING) {
		t.seq = book_last_seq(b);
		CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
		return;
	}
	if (m == OUTSIDE_NOT_IOC) {
		CHECK(book_match_outside(b, &plan, &t, NULL, NULL) == BOOK_OK);
		return;
	}
	CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
	switch (m) {
	case COMMIT_TWICE:
		book_commit(b, &plan);
		book_commit(b, &plan);
		break;
	case COMMIT_AFTER_DISCARD:
		book_discard(&plan);
		book_commit(b, &plan);
		break;
	case COMMIT_STALE:
		CHECK(book_cancel(b, NULL, &h) == BOOK_OK);
		book_commit(b, &plan);
		break;
	case COMMIT_OTHER_BOOK:
		book_commit(other, &plan);
		break;
	case MATCH_OVER_READY:
		t = util_order(11, 2, BUY, 100, 1, GTC);
		CHECK(book_match(b, &plan, &t, NULL, NULL) == BOOK_OK);
		break;
	case DISCARD_AFTER_COMMIT:
		book_commit(b, &plan);
		book_discard(&plan);
		break;
	case ALLOW_TOO_MUCH:
	case SEQ_NOT_INCREASING:
	case OUTSIDE_NOT_IOC:
	case MISUSE_NONE:
		book_commit(b, &plan);
		break;
	}
	book_plan_release(&plan);
	book_free(b);
	book_free(other);
}

static bool aborts(enum misuse m)
{
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			cl_log_set_fd(fd);
		misuse_run(m);
		_exit(0);
	}

	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_misuse(void)
{
	CHECK(!aborts(MISUSE_NONE));
	CHECK(aborts(COMMIT_TWICE));
	CHECK(aborts(COMMIT_AFTER_DISCARD));
	CHECK(aborts(COMMIT_STALE));
	CHECK(aborts(COMMIT_OTHER_BOOK));
	CHECK(aborts(MATCH_OVER_READY));
	CHECK(aborts(DISCARD_AFTER_COMMIT));
	CHECK(aborts(ALLOW_TOO_MUCH));
	CHECK(aborts(SEQ_NOT_INCREASING));
	CHECK(aborts(OUTSIDE_NOT_IOC));
}

/*
 * A taker from outside the order sequence (a liquidation): any seq, IOC,
 * and the book's sequence counter does not move, so the next real order
 * still numbers on from it.
 */
static void test_outside(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, BUY, 100, 2);
	util_rest(b, 2, 2, BUY, 99, 2);
	uint64_t last = book_last_seq(b);
	struct book_order t = util_order(10, 3, SELL, 99, 3, IOC);
	t.seq = 0;
	CHECK(book_match_outside(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.n_fills == 2 && plan.filled.v == 3);
	CHECK(plan.outcome == BOOK_FILLED);
	book_commit(b, &plan);
	CHECK(book_check_invariants(b));
	CHECK(book_last_seq(b) == last);
	CHECK(book_count(b) == 1 && util_remaining(b, 2) == 1);
	/* the remainder of an outside taker never rests */
	t = util_order(11, 3, SELL, 90, 5, IOC);
	t.seq = 1;
	CHECK(book_match_outside(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_IOC && plan.filled.v == 1);
	book_commit(b, &plan);
	CHECK(book_count(b) == 0 && book_last_seq(b) == last);
	/* a real order still numbers on from the book's counter */
	util_rest(b, 3, 1, BUY, 100, 1);
	CHECK(book_last_seq(b) > last);
	book_plan_release(&plan);
	book_free(b);
}

int main(void)
{
	test_reduce();
	test_reduce_only_cumulative();
	test_cancel_maker();
	test_stop_taker();
	test_fok_atomic();
	test_no_callback_cases();
	test_protocol();
	test_misuse();
	test_outside();
	return test_done("test_plan");
}
