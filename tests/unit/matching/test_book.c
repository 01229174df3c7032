/* SPDX-License-Identifier: MIT */
/*
 * Order book unit tests: validation, each order type and outcome, priority,
 * cancel, depth, self-trade prevention, queries, restore and rebuild.
 */
#include "book_util.h"

static bool fill_is(const struct book_plan *p, size_t i, uint64_t maker,
		    uint64_t price, uint64_t size, bool done)
{
	if (i >= p->n_fills)
		return false;
	const struct book_fill *f = &p->fills[i];

	return util_hash_id(&f->maker) == maker &&
	       memcmp(f->taker.b, p->taker.hash.b, 32) == 0 &&
	       f->price.v == price && f->size.v == size &&
	       f->maker_done == done;
}

static void test_validation(void)
{
	struct book_params p = util_params();

	p.tick = 5;
	p.step = 10;
	p.min_price = 100;
	p.max_price = 1000;
	p.min_size = 20;
	p.max_size = 500;
	CHECK(book_params_valid(&p));

	struct cl_price pr;
	struct cl_size sz;

	pr.v = 0;
	CHECK(book_check_price(&p, pr) == BOOK_ERR_PRICE_ZERO);
	pr.v = 101;
	CHECK(book_check_price(&p, pr) == BOOK_ERR_PRICE_TICK);
	pr.v = 95;
	CHECK(book_check_price(&p, pr) == BOOK_ERR_PRICE_RANGE);
	pr.v = 1005;
	CHECK(book_check_price(&p, pr) == BOOK_ERR_PRICE_RANGE);
	pr.v = 100;
	CHECK(book_check_price(&p, pr) == BOOK_OK);
	pr.v = 1000;
	CHECK(book_check_price(&p, pr) == BOOK_OK);

	sz.v = 0;
	CHECK(book_check_size(&p, sz) == BOOK_ERR_SIZE_ZERO);
	sz.v = 25;
	CHECK(book_check_size(&p, sz) == BOOK_ERR_SIZE_STEP);
	sz.v = 10;
	CHECK(book_check_size(&p, sz) == BOOK_ERR_SIZE_RANGE);
	sz.v = 510;
	CHECK(book_check_size(&p, sz) == BOOK_ERR_SIZE_RANGE);
	sz.v = 20;
	CHECK(book_check_size(&p, sz) == BOOK_OK);
	sz.v = 500;
	CHECK(book_check_size(&p, sz) == BOOK_OK);

	CHECK(book_check_flags(GTC) == BOOK_OK);
	CHECK(book_check_flags(IOC) == BOOK_OK);
	CHECK(book_check_flags(FOK) == BOOK_OK);
	CHECK(book_check_flags(GTC | POST | REDUCE) == BOOK_OK);
	CHECK(book_check_flags(IOC | REDUCE) == BOOK_OK);
	CHECK(book_check_flags(0x0c) == BOOK_ERR_FLAGS);
	CHECK(book_check_flags(IOC | POST) == BOOK_ERR_FLAGS);
	CHECK(book_check_flags(FOK | POST) == BOOK_ERR_FLAGS);
	CHECK(book_check_flags(0x10) == BOOK_ERR_FLAGS);
	CHECK(book_check_flags(0x80) == BOOK_ERR_FLAGS);

	struct book_params bad = p;
	bad.tick = 0;
	CHECK(!book_params_valid(&bad));
	bad = p;
	bad.step = 0;
	CHECK(!book_params_valid(&bad));
	bad = p;
	bad.min_price = 2000;
	CHECK(!book_params_valid(&bad));
	bad = p;
	bad.min_size = 0;
	CHECK(!book_params_valid(&bad));

	/* book_match() reports the first failing check and leaves no plan */
	p.market = TEST_MARKET;
	struct book *b = book_new(&p);
	struct book_plan plan;
	struct book_order o = util_order(1, 1, BUY, 105, 30, GTC);

	book_plan_init(&plan);
	o.market = 8;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_MARKET);
	CHECK(plan.state == BOOK_PLAN_EMPTY);
	CHECK(!book_plan_valid(b, &plan));
	o.market = TEST_MARKET;
	o.flags = 0x0c;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_FLAGS);
	o.flags = GTC;
	o.price.v = 0;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_PRICE_ZERO);
	o.price.v = 103;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_PRICE_TICK);
	o.price.v = 2000;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_PRICE_RANGE);
	o.price.v = 105;
	o.size.v = 0;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_SIZE_ZERO);
	o.size.v = 35;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_SIZE_STEP);
	o.size.v = 600;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_SIZE_RANGE);
	o.size.v = 30;
	CHECK(util_submit(b, &plan, &o, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_RESTING);
	/* the same hash again */
	o.seq = util_next_seq++;
	CHECK(book_match(b, &plan, &o, NULL, NULL) == BOOK_ERR_DUPLICATE);
	CHECK(plan.state == BOOK_PLAN_EMPTY);
	CHECK(book_count(b) == 1);

	/* all codes have distinct names */
	for (int i = BOOK_OK; i <= BOOK_ERR_SEQUENCE; i++) {
		for (int j = i + 1; j <= BOOK_ERR_SEQUENCE; j++)
			CHECK(strcmp(book_code_str((enum book_code)i),
				     book_code_str((enum book_code)j)) != 0);
	}
	book_plan_release(&plan);
	book_free(b);
}

static void test_gtc_rest_and_queries(void)
{
	struct book *b = util_new_book();
	struct cl_price best;

	CHECK(!book_best(b, &best, BUY));
	CHECK(best.v == 0);
	CHECK(!book_best(b, &best, SELL));
	util_rest(b, 1, 1, BUY, 100, 5);
	util_rest(b, 2, 1, BUY, 99, 3);
	util_rest(b, 3, 2, SELL, 101, 4);
	util_rest(b, 4, 2, SELL, 103, 2);
	util_rest(b, 5, 2, SELL, 101, 1);
	CHECK(book_count(b) == 5);
	CHECK(book_count_side(b, BUY) == 2);
	CHECK(book_count_side(b, SELL) == 3);
	CHECK(book_levels(b, BUY) == 2);
	CHECK(book_levels(b, SELL) == 2);
	CHECK(book_best(b, &best, BUY) && best.v == 100);
	CHECK(book_best(b, &best, SELL) && best.v == 101);
	CHECK(book_last_seq(b) == util_next_seq - 1);

	struct book_order o;
	struct cl_hash32 h = util_hash(3);

	CHECK(book_get(b, &o, &h));
	CHECK(o.size.v == 4 && o.price.v == 101 && o.side == SELL);
	CHECK(util_owner_id(&o.owner) == 2);
	h = util_hash(77);
	CHECK(!book_get(b, &o, &h));
	CHECK(o.size.v == 0 && o.price.v == 0);
	book_free(b);
	book_free(NULL);
}

static void test_fills_and_priority(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	/* three asks at 101 in arrival order, a better one arriving later */
	util_rest(b, 1, 1, SELL, 101, 2);
	util_rest(b, 2, 2, SELL, 101, 3);
	util_rest(b, 3, 1, SELL, 101, 4);
	util_rest(b, 4, 2, SELL, 100, 1);
	util_rest(b, 5, 1, SELL, 105, 9);

	/* a buy at 101 for 4: 100 first, then FIFO at 101 */
	struct book_order t = util_order(10, 3, BUY, 101, 4, GTC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(plan.n_fills == 3);
	CHECK(fill_is(&plan, 0, 4, 100, 1, true));
	CHECK(fill_is(&plan, 1, 1, 101, 2, true));
	CHECK(fill_is(&plan, 2, 2, 101, 1, false));
	CHECK(plan.filled.v == 4 && plan.remaining.v == 0);
	CHECK(plan.n_cancels == 0);
	CHECK(util_remaining(b, 2) == 2);
	CHECK(util_remaining(b, 4) == 0 && util_remaining(b, 1) == 0);
	CHECK(book_count(b) == 3);

	/* partially filled maker keeps its place at the front */
	t = util_order(11, 3, BUY, 101, 3, GTC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.n_fills == 2);
	CHECK(fill_is(&plan, 0, 2, 101, 2, true));
	CHECK(fill_is(&plan, 1, 3, 101, 1, false));
	CHECK(util_remaining(b, 3) == 3);

	/* a taker that sweeps and rests its remainder at its own price;
	 * trade prices are the makers' prices */
	t = util_order(12, 3, BUY, 106, 20, GTC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_RESTING);
	CHECK(plan.n_fills == 2);
	CHECK(fill_is(&plan, 0, 3, 101, 3, true));
	CHECK(fill_is(&plan, 1, 5, 105, 9, true));
	CHECK(plan.filled.v == 12 && plan.remaining.v == 8);
	CHECK(book_count_side(b, SELL) == 0);
	CHECK(util_remaining(b, 12) == 8);

	struct cl_price best;
	CHECK(book_best(b, &best, BUY) && best.v == 106);

	/* sell side mirror: bids highest first */
	util_rest(b, 13, 4, BUY, 104, 1);
	util_rest(b, 14, 4, BUY, 106, 1);
	t = util_order(15, 5, SELL, 104, 10, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.n_fills == 3);
	CHECK(fill_is(&plan, 0, 12, 106, 8, true));
	CHECK(fill_is(&plan, 1, 14, 106, 1, true));
	CHECK(fill_is(&plan, 2, 13, 104, 1, true));
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(plan.filled.v == 10 && plan.remaining.v == 0);
	CHECK(book_count(b) == 0);
	CHECK(book_levels(b, BUY) == 0 && book_levels(b, SELL) == 0);

	book_plan_release(&plan);
	book_free(b);
}

static void test_ioc(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);

	/* no cross: nothing fills, nothing rests */
	struct book_order t = util_order(2, 2, BUY, 99, 5, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_IOC);
	CHECK(plan.filled.v == 0 && plan.remaining.v == 5);
	CHECK(book_count(b) == 1);

	/* partial: remainder cancelled */
	t = util_order(3, 2, BUY, 100, 5, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_CANCELLED_IOC);
	CHECK(plan.filled.v == 2 && plan.remaining.v == 3);
	CHECK(book_count(b) == 0);

	/* full */
	util_rest(b, 4, 1, SELL, 100, 2);
	t = util_order(5, 2, BUY, 100, 2, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(book_count(b) == 0);
	book_plan_release(&plan);
	book_free(b);
}

static void test_fok(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	util_rest(b, 2, 1, SELL, 101, 2);
	util_rest(b, 3, 1, SELL, 103, 5);

	uint64_t v0 = book_version(b);
	/* 5 within 101: only 4 there */
	struct book_order t = util_order(4, 2, BUY, 101, 5, FOK);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_FOK);
	CHECK(plan.n_fills == 0 && plan.n_cancels == 0);
	CHECK(plan.filled.v == 0 && plan.remaining.v == 5);
	CHECK(book_count(b) == 3 && util_remaining(b, 1) == 2);
	CHECK(book_version(b) != v0); /* a commit, but nothing changed */

	/* exactly 4 within 101 */
	t = util_order(5, 2, BUY, 101, 4, FOK);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(plan.n_fills == 2);
	CHECK(fill_is(&plan, 1, 2, 101, 2, true));
	CHECK(book_count(b) == 1);

	/* sell FOK against bids */
	util_rest(b, 6, 3, BUY, 90, 3);
	util_rest(b, 7, 3, BUY, 95, 1);
	t = util_order(8, 2, SELL, 90, 3, FOK);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(fill_is(&plan, 0, 7, 95, 1, true));
	CHECK(fill_is(&plan, 1, 6, 90, 2, false));
	CHECK(util_remaining(b, 6) == 1);

	/* self-trade makers count as liquidity in the quick check but not
	 * in the walk: the FOK fails and the self maker stays */
	util_rest(b, 9, 2, BUY, 90, 5);
	t = util_order(10, 2, SELL, 90, 3, FOK);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_FOK);
	CHECK(plan.n_cancels == 0);
	CHECK(util_remaining(b, 9) == 5 && util_remaining(b, 6) == 1);
	book_plan_release(&plan);
	book_free(b);
}

static void test_post_only(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 1, SELL, 100, 2);
	util_rest(b, 2, 1, BUY, 98, 2);

	struct book_order t = util_order(3, 2, BUY, 100, 1, POST);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_POST_ONLY);
	CHECK(plan.n_fills == 0 && plan.remaining.v == 1);
	CHECK(book_count(b) == 2 && util_remaining(b, 3) == 0);

	/* crossing its own order is still crossing */
	t = util_order(4, 1, SELL, 98, 1, POST);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_REJECTED_POST_ONLY);
	CHECK(plan.n_cancels == 0 && book_count(b) == 2);

	t = util_order(5, 2, BUY, 99, 1, POST | REDUCE);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_RESTING);
	CHECK(util_remaining(b, 5) == 1);

	struct book_order got;
	struct cl_hash32 h = util_hash(5);
	CHECK(book_get(b, &got, &h) && got.flags == (POST | REDUCE));
	book_plan_release(&plan);
	book_free(b);
}

static void test_cancel_and_depth(void)
{
	struct book *b = util_new_book();
	struct book_level lv[8];

	util_rest(b, 1, 1, BUY, 100, 5);
	util_rest(b, 2, 2, BUY, 100, 7);
	util_rest(b, 3, 1, BUY, 97, 1);
	util_rest(b, 4, 1, BUY, 99, 2);
	util_rest(b, 5, 1, SELL, 103, 4);
	util_rest(b, 6, 1, SELL, 102, 6);
	util_rest(b, 7, 1, SELL, 110, 8);

	CHECK(book_depth(b, lv, 8, BUY) == 3);
	CHECK(lv[0].price.v == 100 && lv[0].size.v == 12 && lv[0].orders == 2);
	CHECK(lv[1].price.v == 99 && lv[1].size.v == 2 && lv[1].orders == 1);
	CHECK(lv[2].price.v == 97 && lv[2].size.v == 1);
	CHECK(book_depth(b, lv, 2, SELL) == 2);
	CHECK(lv[0].price.v == 102 && lv[0].size.v == 6);
	CHECK(lv[1].price.v == 103 && lv[1].size.v == 4);
	CHECK(book_depth(b, lv, 0, SELL) == 0);

	uint64_t v = book_version(b);
	struct book_order out;
	struct cl_hash32 h = util_hash(1);

	CHECK(book_cancel(b, &out, &h) == BOOK_OK);
	CHECK(util_hash_id(&out.hash) == 1 && out.size.v == 5);
	CHECK(book_version(b) != v);
	CHECK(book_cancel(b, &out, &h) == BOOK_ERR_NOT_FOUND);
	CHECK(out.size.v == 0);
	CHECK(book_cancel(b, NULL, &h) == BOOK_ERR_NOT_FOUND);
	CHECK(book_depth(b, lv, 8, BUY) == 3);
	CHECK(lv[0].price.v == 100 && lv[0].size.v == 7 && lv[0].orders == 1);

	/* cancelling the last order of a level removes the level */
	h = util_hash(4);
	CHECK(book_cancel(b, NULL, &h) == BOOK_OK);
	CHECK(book_depth(b, lv, 8, BUY) == 2);
	CHECK(lv[1].price.v == 97);
	h = util_hash(6);
	CHECK(book_cancel(b, NULL, &h) == BOOK_OK);

	struct cl_price best;
	CHECK(book_best(b, &best, SELL) && best.v == 103);
	CHECK(book_count(b) == 4);

	/* cancelled orders are gone for matching too */
	struct book_plan plan;
	book_plan_init(&plan);
	struct book_order t = util_order(8, 2, BUY, 103, 10, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.n_fills == 1 && fill_is(&plan, 0, 5, 103, 4, true));
	book_plan_release(&plan);
	book_free(b);
}

static void test_self_trade(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	util_rest(b, 1, 2, SELL, 100, 1);
	util_rest(b, 2, 1, SELL, 100, 3); /* the taker's own */
	util_rest(b, 3, 2, SELL, 101, 2);
	util_rest(b, 4, 1, SELL, 101, 1); /* own, but not reached */

	struct book_order t = util_order(5, 1, BUY, 101, 3, GTC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_FILLED);
	CHECK(plan.n_fills == 2);
	CHECK(fill_is(&plan, 0, 1, 100, 1, true));
	CHECK(fill_is(&plan, 1, 3, 101, 2, true));
	CHECK(plan.n_cancels == 1);
	CHECK(util_hash_id(&plan.cancels[0].maker) == 2);
	CHECK(plan.cancels[0].reason == BOOK_CANCEL_SELF_TRADE);
	CHECK(plan.cancels[0].size.v == 3);
	CHECK(plan.cancels[0].after_fills == 1);
	CHECK(util_owner_id(&plan.cancels[0].maker_owner) == 1);
	CHECK(util_remaining(b, 2) == 0);
	CHECK(util_remaining(b, 4) == 1);

	/* only own orders cross: they go, the taker rests */
	t = util_order(6, 1, BUY, 101, 2, GTC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	CHECK(plan.outcome == BOOK_RESTING);
	CHECK(plan.n_fills == 0 && plan.n_cancels == 1);
	CHECK(util_remaining(b, 4) == 0 && util_remaining(b, 6) == 2);
	CHECK(book_count_side(b, SELL) == 0);
	book_plan_release(&plan);
	book_free(b);
}

/* A restore must reproduce the book, and future matches on both books must
 * be the same, whatever order the snapshot is restored in. */
static void test_rebuild(void)
{
	struct book *b = util_new_book();
	struct book_plan plan;

	book_plan_init(&plan);
	for (uint64_t i = 1; i <= 60; i++) {
		enum book_side side = i % 2 ? BUY : SELL;
		uint64_t price = side == BUY ? 100 - i % 7 : 101 + i % 5;

		util_rest(b, i, (unsigned)(i % 3), side, price, 1 + i % 4);
	}
	/* partial fills and cancels so sizes differ from the originals */
	struct book_order t = util_order(100, 9, BUY, 102, 7, IOC);
	CHECK(util_submit(b, &plan, &t, NULL, NULL) == BOOK_OK);
	struct cl_hash32 h = util_hash(13);
	CHECK(book_cancel(b, NULL, &h) == BOOK_OK);

	struct util_snap s = {0};
	util_snap(&s, b);
	CHECK(s.n == book_count(b));

	struct book_params p = util_params();
	struct book *fwd = book_new(&p);
	struct book *rev = book_new(&p);
	for (size_t i = 0; i < s.n; i++)
		CHECK(book_restore(fwd, &s.o[i]) == BOOK_OK);
	for (size_t i = s.n; i-- > 0;)
		CHECK(book_restore(rev, &s.o[i]) == BOOK_OK);
	CHECK(util_books_equal(b, fwd));
	CHECK(util_books_equal(b, rev));
	CHECK(book_last_seq(fwd) <= book_last_seq(b));

	/* the same takers on all three books give the same plans */
	struct book *books[3] = {b, fwd, rev};
	struct book_plan plans[3];
	for (int k = 0; k < 3; k++)
		book_plan_init(&plans[k]);
	for (uint64_t i = 0; i < 40; i++) {
		struct book_order o =
		    util_order(200 + i, (unsigned)(i % 4), i % 2 ? SELL : BUY,
			       i % 2 ? 94 + i % 9 : 99 + i % 8, 1 + i % 6,
			       (uint8_t)(i % 3 == 0 ? IOC : GTC));
		for (int k = 0; k < 3; k++)
			CHECK(util_submit(books[k], &plans[k], &o, NULL,
					  NULL) == BOOK_OK);
		for (int k = 1; k < 3; k++) {
			CHECK(plans[k].outcome == plans[0].outcome);
			CHECK(plans[k].n_fills == plans[0].n_fills);
			CHECK(plans[k].n_cancels == plans[0].n_cancels);
			for (size_t j = 0;
			     j < plans[0].n_fills && j < plans[k].n_fills; j++)
				CHECK(memcmp(&plans[k].fills[j],
					     &plans[0].fills[j],
					     sizeof(struct book_fill)) == 0);
		}
	}
	CHECK(util_books_equal(b, fwd));
	CHECK(util_books_equal(b, rev));
	for (int k = 0; k < 3; k++)
		book_plan_release(&plans[k]);

	util_snap_free(&s);
	book_free(fwd);
	book_free(rev);
	book_plan_release(&plan);
	book_free(b);
}

static void test_restore_errors(void)
{
	struct book *b = util_new_book();
	struct book_order o = util_order(1, 1, BUY, 100, 2, GTC);

	o.seq = 50;
	CHECK(book_restore(b, &o) == BOOK_OK);
	CHECK(book_last_seq(b) == 50);
	CHECK(book_restore(b, &o) == BOOK_ERR_DUPLICATE);

	struct book_order x = util_order(2, 1, BUY, 100, 2, GTC);
	x.seq = 50;
	CHECK(book_restore(b, &x) == BOOK_ERR_SEQUENCE);
	x.seq = 40; /* goes before order 1 */
	CHECK(book_restore(b, &x) == BOOK_OK);

	struct util_snap s = {0};
	util_snap(&s, b);
	CHECK(s.n == 2 && util_hash_id(&s.o[0].hash) == 2);
	util_snap_free(&s);

	x = util_order(3, 1, SELL, 100, 2, GTC);
	CHECK(book_restore(b, &x) == BOOK_ERR_CROSSED);
	x.price.v = 99;
	CHECK(book_restore(b, &x) == BOOK_ERR_CROSSED);
	x.price.v = 101;
	x.flags = IOC;
	CHECK(book_restore(b, &x) == BOOK_ERR_NOT_GTC);
	x.flags = 0x0c;
	CHECK(book_restore(b, &x) == BOOK_ERR_FLAGS);
	x.flags = GTC;
	x.market = 1;
	CHECK(book_restore(b, &x) == BOOK_ERR_MARKET);
	x.market = TEST_MARKET;
	x.size.v = 0;
	CHECK(book_restore(b, &x) == BOOK_ERR_SIZE_ZERO);
	x.size.v = 1;
	x.price.v = 0;
	CHECK(book_restore(b, &x) == BOOK_ERR_PRICE_ZERO);
	CHECK(book_count(b) == 2);
	x.price.v = 101;
	CHECK(book_restore(b, &x) == BOOK_OK);
	CHECK(book_count(b) == 3);

	/* a new order must come after every restored sequence number */
	util_next_seq = book_last_seq(b) + 1;
	book_free(b);
}

static int stop_after_two(void *ctx, const struct book_order *o)
{
	int *n = ctx;

	(void)o;
	return ++*n == 2 ? 42 : 0;
}

static void test_foreach_order(void)
{
	struct book *b = util_new_book();

	util_rest(b, 1, 1, SELL, 105, 1);
	util_rest(b, 2, 1, BUY, 99, 1);
	util_rest(b, 3, 1, SELL, 104, 1);
	util_rest(b, 4, 1, BUY, 100, 1);
	util_rest(b, 5, 1, BUY, 99, 1);
	util_rest(b, 6, 1, SELL, 104, 1);

	static const uint64_t want[] = {4, 2, 5, 3, 6, 1};
	struct util_snap s = {0};

	util_snap(&s, b);
	CHECK(s.n == 6);
	for (size_t i = 0; i < s.n && i < 6; i++)
		CHECK(util_hash_id(&s.o[i].hash) == want[i]);
	util_snap_free(&s);

	int n = 0;
	CHECK(book_foreach(b, stop_after_two, &n) == 42);
	CHECK(n == 2);
	book_free(b);
}

/* Many orders at many levels, then cancel them all in a scrambled order:
 * counts and depth stay consistent and everything is freed. */
static void test_many(void)
{
	struct book *b = util_new_book();
	const uint64_t n = 20000;
	uint64_t sum_bid = 0;

	for (uint64_t i = 1; i <= n; i++) {
		struct book_order o = util_order(
		    i, (unsigned)(i % 5), i % 2 ? BUY : SELL,
		    i % 2 ? 1000 - (i * 7) % 900 : 1001 + (i * 13) % 900,
		    1 + i % 3, GTC);
		CHECK(book_restore(b, &o) == BOOK_OK);
		if (i % 2)
			sum_bid += o.size.v;
	}
	CHECK(book_count(b) == n);
	CHECK(book_check_invariants(b));

	struct book_level lv[1000];
	size_t nl = book_depth(b, lv, 1000, BUY);
	uint64_t sum = 0;

	CHECK(nl == book_levels(b, BUY));
	for (size_t i = 0; i < nl; i++) {
		sum += lv[i].size.v;
		if (i)
			CHECK(lv[i].price.v < lv[i - 1].price.v);
	}
	CHECK(sum == sum_bid);
	nl = book_depth(b, lv, 1000, SELL);
	for (size_t i = 1; i < nl; i++)
		CHECK(lv[i].price.v > lv[i - 1].price.v);

	/* 7919 is prime and does not divide n: a permutation of 1..n */
	for (uint64_t k = 0; k < n; k++) {
		uint64_t id = (k * 7919) % n + 1;
		struct cl_hash32 h = util_hash(id);

		CHECK(book_cancel(b, NULL, &h) == BOOK_OK);
		if (k % 997 == 0)
			CHECK(book_check_invariants(b));
	}
	CHECK(book_count(b) == 0);
	CHECK(book_check_invariants(b));
	CHECK(book_levels(b, BUY) == 0 && book_levels(b, SELL) == 0);
	book_free(b);
}

int main(void)
{
	test_validation();
	test_gtc_rest_and_queries();
	test_fills_and_priority();
	test_ioc();
	test_fok();
	test_post_only();
	test_cancel_and_depth();
	test_self_trade();
	test_rebuild();
	test_restore_errors();
	test_foreach_order();
	test_many();
	return test_done("test_book");
}
