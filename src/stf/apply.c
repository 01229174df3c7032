/* SPDX-License-Identifier: MIT */
/*
 * cl_stf_apply(): one handler per transaction type. Each handler checks
 * every rule first, in the order docs/protocol.md lists them, and writes
 * only at the end; cl_stf_apply() still wraps it in a savepoint so any
 * failure leaves the state untouched.
 */
#include "stf_int.h"

#include <string.h>

static bool addr_eq(const struct cl_address *a, const struct cl_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static bool addr_zero(const struct cl_address *a)
{
	static const struct cl_address zero;
	return addr_eq(a, &zero);
}

static int64_t long_part(int64_t size)
{
	return size > 0 ? size : 0;
}

/* An absent account is all zero. */
static int load_account(struct cl_stf *s, struct cl_account *a,
			const struct cl_address *addr)
{
	struct cl_stf_view v = cl_stf_view(s);
	int rc = cl_stf_get_account(&v, a, addr);

	return rc == CL_ERR_NOT_FOUND ? CL_OK : rc;
}

/* Genesis records must exist once initialized. */
static int missing_is_corrupt(int rc)
{
	return rc == CL_ERR_NOT_FOUND ? CL_ERR_CORRUPT : rc;
}

static int load_global(struct cl_stf *s, uint64_t *out, const char *name)
{
	struct cl_stf_view v = cl_stf_view(s);

	return missing_is_corrupt(stf_get_global_u64(&v, out, name));
}

/* Take the current value of a counter and store value + 1. */
static int take_counter(struct cl_stf *s, uint64_t *out, const char *name)
{
	int rc = load_global(s, out, name);

	if (rc != CL_OK)
		return rc;
	if (*out == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	stf_put_global_u64(s->st, name, *out + 1);
	return CL_OK;
}

int stf_take_withdrawal_id(struct cl_stf *s, uint64_t *out)
{
	return take_counter(s, out, G_NEXT_WITHDRAWAL);
}

static int load_market(struct cl_stf *s, struct cl_market_state *ms,
		       uint32_t market)
{
	struct cl_stf_view v = cl_stf_view(s);

	return missing_is_corrupt(cl_stf_get_market(&v, ms, market));
}

/*
 * Load an order for a transaction that names it: an absent order is the
 * domain outcome CL_STF_ERR_UNKNOWN_ORDER.
 */
static int load_order(struct cl_stf *s, struct cl_order_record *o,
		      const struct cl_hash32 *hash)
{
	struct cl_stf_view v = cl_stf_view(s);
	int rc = cl_stf_get_order(&v, o, hash);

	return rc == CL_ERR_NOT_FOUND ? CL_STF_ERR_UNKNOWN_ORDER : rc;
}

/* May `signer` act for `trader` (itself, or an unexpired agent)? */
static int check_authorized(struct cl_stf *s, const struct cl_address *trader,
			    const struct cl_address *signer)
{
	struct cl_stf_view v = cl_stf_view(s);
	uint64_t expiry;
	int rc;

	if (addr_eq(trader, signer))
		return CL_STF_OK;
	rc = cl_stf_get_agent(&v, &expiry, trader, signer);
	if (rc == CL_ERR_NOT_FOUND) /* an isolated account's owner? */
		return stf_isolated_authorized(s, trader, signer);
	if (rc != CL_OK)
		return rc;
	return expiry > s->now_s ? CL_STF_OK : CL_STF_ERR_NOT_AUTHORIZED;
}

int stf_check_authorized(struct cl_stf *s, const struct cl_address *trader,
			 const struct cl_address *signer)
{
	return check_authorized(s, trader, signer);
}

static bool expired(const struct cl_stf *s, uint64_t expiry)
{
	return expiry <= s->now_s;
}

/* ------------------------------------------------------------------ */

static int apply_deposit(struct cl_stf *s, const struct cl_tx_deposit *d)
{
	struct cl_account a;
	uint64_t next;
	int rc;

	rc = load_global(s, &next, G_NEXT_DEPOSIT);
	if (rc != CL_OK)
		return rc;
	if (d->id != next)
		return CL_STF_ERR_DEPOSIT_OUT_OF_ORDER;
	rc = load_account(s, &a, &d->to);
	if (rc != CL_OK)
		return rc;
	if (d->amount > INT64_MAX ||
	    !cl_add_i64(&a.collateral, a.collateral, (int64_t)d->amount))
		return CL_STF_ERR_OVERFLOW;
	rc = take_counter(s, &next, G_NEXT_DEPOSIT);
	if (rc != CL_OK)
		return rc;
	stf_put_account(s->st, &d->to, &a);
	return stf_reindex(s, &d->to);
}

static int apply_place(struct cl_stf *s, const struct cl_tx *tx);

int stf_apply_place(struct cl_stf *s, const struct cl_tx *tx)
{
	return apply_place(s, tx);
}

static int apply_place(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_order *o = &tx->u.place.order;
	const struct cl_hash32 *hash = &tx->auth.digest;
	const struct cl_market_params *m;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_order_record rec;
	uint64_t latest;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = check_authorized(s, &o->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	m = cl_genesis_market(&s->g, o->market);
	if (!m)
		return CL_STF_ERR_UNKNOWN_MARKET;
	if (!cl_order_flags_valid(o->flags))
		return CL_STF_ERR_BAD_FLAGS;
	if (o->price == 0)
		return CL_STF_ERR_BAD_PRICE;
	if (o->price % m->tick_size != 0)
		return CL_STF_ERR_OFF_TICK;
	if (o->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	if (o->size % m->step_size != 0)
		return CL_STF_ERR_OFF_STEP;
	if (o->size > m->max_order_size)
		return CL_STF_ERR_SIZE_TOO_LARGE;
	if (expired(s, o->expiry))
		return CL_STF_ERR_EXPIRED;
	if (!cl_add_u64(&latest, s->now_s, s->g.expiry_horizon))
		latest = UINT64_MAX;
	if (o->expiry > latest)
		return CL_STF_ERR_EXPIRY_TOO_FAR;
	rc = cl_stf_get_order(&v, &rec, hash);
	if (rc == CL_OK)
		return CL_STF_ERR_DUPLICATE_ORDER;
	if (rc != CL_ERR_NOT_FOUND)
		return rc;
	if (tx->type == CL_TX_CLIENT_ORDER) {
		/* 8a: the id names no open order of the trader */
		struct cl_hash32 other;
		rc = cl_stf_get_order_by_cloid(&v, &other, &o->trader,
					       &tx->u.place.cloid);
		if (rc == CL_OK)
			return CL_STF_ERR_CLOID_IN_USE;
		if (rc != CL_ERR_NOT_FOUND)
			return rc;
	}

	memset(&rec, 0, sizeof(rec));
	rec.trader = o->trader;
	rec.market = o->market;
	rec.flags = o->flags;
	rec.is_buy = o->is_buy;
	rec.price = o->price;
	rec.size = o->size;
	rec.filled = 0;
	rec.expiry = o->expiry;
	rec.status = CL_ORDER_OPEN;
	rec.cloid = tx->u.place.cloid; /* zero for a PLACE_ORDER */
	/* 9, 10: collateral, and the margin its open orders reserve */
	rc = stf_place_check(s, &rec);
	if (rc != CL_STF_OK)
		return rc;
	rc = take_counter(s, &rec.sequence, G_NEXT_ORDER_SEQ);
	if (rc != CL_OK)
		return rc;
	stf_put_order(s->st, hash, &rec);
	stf_put_open(s->st, &rec, hash);
	return stf_open_add(s, &rec, rec.size);
}


/* Load the account and positions; check reduce-only; compute `after`. */
int stf_side_prepare(struct cl_stf *s, struct stf_fill_side *fs,
			uint64_t size, int64_t notional)
{
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_amount coll, realised;
	struct stf_acct a;
	int rc;

	/* funding first: every rule below sees a settled account */
	rc = stf_acct_load(s, &a, &fs->o.trader);
	if (rc == CL_OK)
		rc = stf_settle(s, &a);
	if (rc != CL_OK)
		return rc;
	fs->acc = a.acc;
	fs->n = a.n;
	memcpy(fs->pos, a.pos, sizeof(fs->pos));
	fs->before = (struct cl_position){0, {0}};
	for (fs->idx = 0; fs->idx < fs->n; fs->idx++)
		if (fs->pos[fs->idx].market == fs->o.market)
			break;
	if (fs->idx < fs->n) {
		fs->before.size = fs->pos[fs->idx].size;
		fs->before.cost.atoms = fs->pos[fs->idx].cost;
	}

	if (fs->o.flags & CL_ORDER_REDUCE_ONLY) {
		int64_t cur = fs->before.size;
		bool opposite = fs->o.is_buy ? cur < 0 : cur > 0;
		uint64_t mag = cur < 0 ? (uint64_t)-(cur + 1) + 1 :
					 (uint64_t)cur;
		if (!opposite || size > mag)
			return CL_STF_ERR_REDUCE_ONLY;
	}

	fs->increases = margin_fill_increases_risk(&fs->before, fs->o.is_buy,
						   (struct cl_size){size});
	if (!fs->increases) {
		rc = stf_health(&v, &fs->h_before, &fs->o.trader, fs->acc.collateral, fs->pos,
				fs->n);
		if (rc != CL_OK)
			return rc;
	}

	fs->after = fs->before;
	coll.atoms = fs->acc.collateral;
	if (!margin_apply_fill(&fs->after, &coll, &realised, fs->o.is_buy,
			       (struct cl_size){size},
			       (struct cl_amount){notional}) ||
	    !cl_sub_i64(&coll.atoms, coll.atoms, fs->fee))
		return CL_STF_ERR_OVERFLOW;
	fs->acc.collateral = coll.atoms;
	/* an option's premium moves in the settlement asset at the fill:
	 * what the position's cost would carry is realised at once, so an
	 * option position keeps a cost of 0 (docs/margin.md "Options") */
	if (cl_market_is_option(cl_genesis_market(&s->g, fs->o.market))) {
		if (!cl_sub_i64(&fs->acc.collateral, fs->acc.collateral,
				fs->after.cost.atoms))
			return CL_STF_ERR_OVERFLOW;
		fs->after.cost.atoms = 0;
	}
	if (fs->idx == fs->n) {
		fs->pos[fs->n].market = fs->o.market;
		fs->pos[fs->n].funding_snap = fs->snap;
		fs->n++;
	}
	fs->pos[fs->idx].size = fs->after.size;
	fs->pos[fs->idx].cost = fs->after.cost.atoms;
	return CL_STF_OK;
}

/* The margin rules of docs/margin.md after the fill. */
int stf_side_check_margin(struct cl_stf *s, struct stf_fill_side *fs)
{
	struct cl_stf_view v = cl_stf_view(s);
	int rc;

	rc = stf_health(&v, &fs->h_after, &fs->o.trader, fs->acc.collateral,
			fs->pos, fs->n);
	if (rc != CL_OK)
		return rc;
	if (fs->increases && fs->after.size > 0 &&
	    cl_market_is_option(cl_genesis_market(&s->g, fs->o.market))) {
		/* a long option is paid for: its own value does not count
		 * toward the check that buys it */
		const struct cl_market_params *m =
			cl_genesis_market(&s->g, fs->o.market);
		struct cl_market_state ms;
		struct cl_amount val;
		rc = stf_load_market(&v, &ms, m->id);
		if (rc != CL_OK)
			return rc;
		if (!cl_notional_down(&val, (struct cl_price){ms.mark_price},
				      (struct cl_size){(uint64_t)
							       fs->after.size},
				      cl_genesis_scale_exp(&s->g, m)))
			return CL_STF_ERR_OVERFLOW;
		return (__int128)fs->h_after.equity - val.atoms >=
				       fs->h_after.im ?
			       CL_STF_OK :
			       CL_STF_ERR_INSUFFICIENT_MARGIN;
	}
	if (fs->increases)
		return fs->h_after.equity >= fs->h_after.im ?
			       CL_STF_OK :
			       CL_STF_ERR_INSUFFICIENT_MARGIN;
	if (fs->h_after.equity >= fs->h_after.mm)
		return CL_STF_OK;
	if ((__int128)fs->h_after.equity - fs->h_after.mm >=
	    (__int128)fs->h_before.equity - fs->h_before.mm)
		return CL_STF_OK;
	return CL_STF_ERR_INSUFFICIENT_MARGIN;
}

int stf_side_write(struct cl_stf *s, struct stf_fill_side *fs, uint64_t size)
{
	int rc = stf_open_release(s, &fs->o, size);

	if (rc != CL_OK)
		return rc;
	fs->o.filled += size;
	if (fs->o.filled == fs->o.size) {
		fs->o.status = CL_ORDER_FILLED;
		stf_del_open(s->st, &fs->o);
	}
	stf_put_order(s->st, fs->hash, &fs->o);
	stf_put_account(s->st, &fs->o.trader, &fs->acc);
	stf_put_position(s->st, &fs->o.trader, fs->o.market, &fs->after,
			 fs->snap);
	return CL_OK;
}

/* A side's own refusal (not a system error) is blamed on that side. */
static int blame(struct cl_stf *s, int rc, enum cl_stf_blame who)
{
	if (rc > 0)
		s->blame = who;
	return rc;
}

static int apply_fill(struct cl_stf *s, const struct cl_tx_fill *f)
{
	struct stf_fill_side sides[2];
	struct stf_fill_side *mk = &sides[0], *tk = &sides[1];
	const struct cl_market_params *m;
	struct cl_market_state ms;
	struct cl_amount notional, mk_fee, tk_fee;
	uint64_t fees_u, oi_u;
	int64_t fee_bal;
	__int128 oi;
	int rc;

	memset(sides, 0, sizeof(sides));
	mk->hash = &f->maker;
	tk->hash = &f->taker;
	rc = load_order(s, &mk->o, &f->maker);
	if (rc != CL_OK)
		return rc;
	rc = load_order(s, &tk->o, &f->taker);
	if (rc != CL_OK)
		return rc;
	if (mk->o.status != CL_ORDER_OPEN || tk->o.status != CL_ORDER_OPEN) {
		s->blame = mk->o.status != CL_ORDER_OPEN ? CL_STF_BLAME_MAKER :
							   CL_STF_BLAME_TAKER;
		return CL_STF_ERR_ORDER_NOT_OPEN;
	}
	if (expired(s, mk->o.expiry) || expired(s, tk->o.expiry)) {
		s->blame = expired(s, mk->o.expiry) ? CL_STF_BLAME_MAKER :
						      CL_STF_BLAME_TAKER;
		return CL_STF_ERR_EXPIRED;
	}
	if (mk->o.market != tk->o.market)
		return CL_STF_ERR_MARKET_MISMATCH;
	if (mk->o.is_buy == tk->o.is_buy)
		return CL_STF_ERR_SAME_SIDE;
	if (mk->o.sequence >= tk->o.sequence)
		return CL_STF_ERR_BAD_MAKER;
	if (cl_order_tif(mk->o.flags) != CL_TIF_GTC) {
		s->blame = CL_STF_BLAME_MAKER;
		return CL_STF_ERR_BAD_MAKER;
	}
	if (addr_eq(&mk->o.trader, &tk->o.trader))
		return CL_STF_ERR_SELF_TRADE;
	if (tk->o.flags & CL_ORDER_POST_ONLY) {
		s->blame = CL_STF_BLAME_TAKER;
		return CL_STF_ERR_POST_ONLY_TAKER;
	}
	if (tk->o.is_buy ? tk->o.price < mk->o.price :
			   tk->o.price > mk->o.price)
		return CL_STF_ERR_NOT_CROSSING;
	m = cl_genesis_market(&s->g, mk->o.market);
	if (!m) {
		cl_broken("stf", "stored order in unknown market %u",
			  mk->o.market);
		return CL_ERR_CORRUPT;
	}
	if (f->size == 0)
		return CL_STF_ERR_BAD_SIZE;
	if (f->size % m->step_size != 0)
		return CL_STF_ERR_OFF_STEP;
	if (f->size > mk->o.size - mk->o.filled ||
	    f->size > tk->o.size - tk->o.filled)
		return CL_STF_ERR_FILL_TOO_LARGE;
	rc = load_market(s, &ms, m->id);
	if (rc != CL_OK)
		return rc;
	if (ms.mark_price == 0)
		return CL_STF_ERR_NO_MARK_PRICE;

	if (!cl_notional_down(&notional, (struct cl_price){mk->o.price},
			      (struct cl_size){f->size},
			      cl_genesis_scale_exp(&s->g, m)) ||
	    notional.atoms <= 0)
		return CL_STF_ERR_OVERFLOW;
	mk->fee_ppm = m->maker_fee_ppm;
	tk->fee_ppm = m->taker_fee_ppm;
	if (!margin_fee_up(&mk_fee, notional, mk->fee_ppm) ||
	    !margin_fee_up(&tk_fee, notional, tk->fee_ppm))
		return CL_STF_ERR_OVERFLOW;
	mk->fee = mk_fee.atoms;
	tk->fee = tk_fee.atoms;

	mk->snap = tk->snap = ms.funding_index;
	rc = stf_side_prepare(s, mk, f->size, notional.atoms);
	if (rc != CL_STF_OK)
		return blame(s, rc, CL_STF_BLAME_MAKER);
	rc = stf_side_prepare(s, tk, f->size, notional.atoms);
	if (rc != CL_STF_OK)
		return blame(s, rc, CL_STF_BLAME_TAKER);
	/* settling moved the market's funding pool: read it again */
	rc = load_market(s, &ms, m->id);
	if (rc != CL_OK)
		return rc;

	oi = (__int128)ms.open_interest + long_part(mk->after.size) -
	     long_part(mk->before.size) + long_part(tk->after.size) -
	     long_part(tk->before.size);
	if (oi < 0 || oi > INT64_MAX) {
		cl_broken("stf", "open interest of market %u out of range",
			  m->id);
		return CL_ERR_CORRUPT;
	}
	if (oi > (__int128)ms.open_interest && oi > (__int128)m->oi_cap)
		return CL_STF_ERR_OI_CAP;

	rc = stf_side_check_margin(s, mk);
	if (rc != CL_STF_OK)
		return blame(s, rc, CL_STF_BLAME_MAKER);
	rc = stf_side_check_margin(s, tk);
	if (rc != CL_STF_OK)
		return blame(s, rc, CL_STF_BLAME_TAKER);

	rc = load_global(s, &fees_u, G_FEE);
	if (rc != CL_OK)
		return rc;
	fee_bal = (int64_t)fees_u;
	if (!cl_add_i64(&fee_bal, fee_bal, mk->fee) ||
	    !cl_add_i64(&fee_bal, fee_bal, tk->fee))
		return CL_STF_ERR_OVERFLOW;

	rc = stf_side_write(s, mk, f->size);
	if (rc == CL_OK)
		rc = stf_side_write(s, tk, f->size);
	if (rc != CL_OK)
		return rc;
	stf_put_global_u64(s->st, G_FEE, (uint64_t)fee_bal);
	oi_u = (uint64_t)oi;
	ms.open_interest = oi_u;
	ms.last_trade_price = mk->o.price;
	ms.last_trade_time = s->now_s;
	stf_put_market(s->st, m->id, &ms);
	rc = stf_reindex(s, &mk->o.trader);
	if (rc == CL_OK)
		rc = stf_reindex(s, &tk->o.trader);
	return rc;
}

static int apply_cancel(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_cancel *c = &tx->u.cancel.msg;
	struct cl_order_record o;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	rc = check_authorized(s, &c->trader, &tx->auth.signer[0]);
	if (rc != CL_STF_OK)
		return rc;
	rc = load_order(s, &o, &c->order_hash);
	if (rc == CL_STF_ERR_UNKNOWN_ORDER) { /* a trigger, a TWAP, or none */
		rc = stf_cancel_trigger(s, &c->trader, &c->order_hash);
		if (rc == CL_STF_ERR_UNKNOWN_ORDER)
			rc = stf_cancel_twap(s, &c->trader, &c->order_hash);
		return rc;
	}
	if (rc != CL_OK)
		return rc;
	if (!addr_eq(&o.trader, &c->trader))
		return CL_STF_ERR_NOT_AUTHORIZED;
	if (o.status != CL_ORDER_OPEN)
		return CL_STF_ERR_ORDER_NOT_OPEN;
	rc = stf_open_release(s, &o, o.size - o.filled);
	if (rc != CL_OK)
		return rc;
	o.status = CL_ORDER_CANCELLED;
	stf_put_order(s->st, &c->order_hash, &o);
	stf_del_open(s->st, &o);
	return CL_STF_OK;
}

static int apply_withdraw(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_withdraw *w = &tx->u.withdraw.msg;
	struct cl_stf_view v = cl_stf_view(s);
	struct cl_health h;
	struct cl_account a;
	struct stf_acct sa;
	uint64_t id;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	if (!addr_eq(&w->trader, &tx->auth.signer[0]))
		return CL_STF_ERR_NOT_AUTHORIZED;
	rc = load_account(s, &a, &w->trader);
	if (rc != CL_OK)
		return rc;
	if (w->nonce != a.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (w->amount == 0 || w->amount > INT64_MAX)
		return CL_STF_ERR_BAD_AMOUNT;
	if (addr_zero(&w->recipient))
		return CL_STF_ERR_BAD_RECIPIENT;
	rc = stf_acct_load(s, &sa, &w->trader);
	if (rc == CL_OK)
		rc = stf_settle(s, &sa);
	if (rc == CL_OK)
		rc = stf_health(&v, &h, &sa.addr, sa.acc.collateral, sa.pos,
				sa.n);
	/* what the open orders reserve stays */
	if (rc == CL_OK)
		rc = stf_order_im(&v, &h.order_im, &w->trader, sa.pos, sa.n,
				  NULL);
	if (rc != CL_OK)
		return rc;
	a.collateral = sa.acc.collateral;
	if (w->amount > (uint64_t)margin_withdrawable(&h))
		return CL_STF_ERR_INSUFFICIENT_COLLATERAL;
	if (a.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	rc = take_counter(s, &id, G_NEXT_WITHDRAWAL);
	if (rc != CL_OK)
		return rc;
	/* amount <= withdrawable <= collateral: no overflow */
	a.collateral -= (int64_t)w->amount;
	a.nonce++;
	stf_put_account(s->st, &w->trader, &a);
	stf_put_withdrawal(s->st, id, &w->recipient, w->amount);
	return stf_reindex(s, &w->trader);
}

static int apply_approve(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_approve_agent *ap = &tx->u.approve.msg;
	struct cl_account a;
	int rc;

	if (tx->auth.err[0] != CL_SIG_OK)
		return CL_STF_ERR_BAD_SIGNATURE;
	if (!addr_eq(&ap->trader, &tx->auth.signer[0]))
		return CL_STF_ERR_NOT_AUTHORIZED;
	rc = load_account(s, &a, &ap->trader);
	if (rc != CL_OK)
		return rc;
	if (ap->nonce != a.nonce)
		return CL_STF_ERR_BAD_NONCE;
	if (addr_zero(&ap->agent) || addr_eq(&ap->agent, &ap->trader))
		return CL_STF_ERR_BAD_AGENT;
	if (ap->expiry != 0 && expired(s, ap->expiry))
		return CL_STF_ERR_EXPIRED;
	if (a.nonce == UINT64_MAX)
		return CL_STF_ERR_OVERFLOW;
	a.nonce++;
	stf_put_account(s->st, &ap->trader, &a);
	if (ap->expiry == 0)
		stf_del_agent(s->st, &ap->trader, &ap->agent);
	else
		stf_put_agent(s->st, &ap->trader, &ap->agent, ap->expiry);
	return CL_STF_OK;
}

/* ORACLE_PRICE: every signer vouches for the same price. */
static int apply_oracle(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_tx_oracle *o = &tx->u.oracle;
	struct stf_oracle_entry e[CL_TX_ORACLE_MAX_SIGS];

	if (!cl_genesis_market(&s->g, o->msg.market))
		return CL_STF_ERR_UNKNOWN_MARKET;
	CL_REQUIRE(o->n_sigs <= CL_TX_ORACLE_MAX_SIGS);
	for (uint32_t i = 0; i < o->n_sigs; i++) {
		e[i].price = o->msg.price;
		e[i].timestamp = o->msg.timestamp;
		e[i].err = tx->auth.err[i];
		e[i].signer = tx->auth.signer[i];
	}
	if (o->n_sigs == 0) {
		/* keep the order of the checks: price and time first */
		if (o->msg.price == 0)
			return CL_STF_ERR_BAD_PRICE;
		if (o->msg.timestamp > s->now_s)
			return CL_STF_ERR_ORACLE_FUTURE;
		if (s->now_s - o->msg.timestamp > s->g.oracle_max_age)
			return CL_STF_ERR_ORACLE_STALE;
		return CL_STF_ERR_ORACLE_QUORUM;
	}
	return stf_apply_oracle_entries(s, o->msg.market, e, o->n_sigs);
}

/* ORACLE_UPDATE: each signer signs its own price and time. */
static int apply_oracle_update(struct cl_stf *s, const struct cl_tx *tx)
{
	const struct cl_tx_oracle_update *o = &tx->u.oracle_update;
	struct stf_oracle_entry e[CL_TX_ORACLE_MAX_ENTRIES];

	CL_REQUIRE(o->n >= 1 && o->n <= CL_TX_ORACLE_MAX_ENTRIES);
	for (uint32_t i = 0; i < o->n; i++) {
		e[i].price = o->e[i].price;
		e[i].timestamp = o->e[i].timestamp;
		e[i].err = tx->auth.err[i];
		e[i].signer = tx->auth.signer[i];
	}
	return stf_apply_oracle_entries(s, o->market, e, o->n);
}

static bool done_reason_holds(struct cl_stf *s,
			      const struct cl_order_record *o,
			      enum cl_done_reason r, int *rc)
{
	bool due = false;

	*rc = CL_OK;
	switch (r) {
	case CL_DONE_SCHEDULED_CANCEL:
		*rc = stf_schedule_due(s, &due, &o->trader);
		return due;
	case CL_DONE_IOC_REMAINDER:
		return cl_order_tif(o->flags) == CL_TIF_IOC;
	case CL_DONE_FOK_UNFILLED:
		return cl_order_tif(o->flags) == CL_TIF_FOK && o->filled == 0;
	case CL_DONE_POST_ONLY_CROSS:
		return (o->flags & CL_ORDER_POST_ONLY) && o->filled == 0;
	case CL_DONE_SELF_TRADE:
	case CL_DONE_MARGIN:
		return true;
	case CL_DONE_EXPIRED:
		/* an order of an option market expires with the market */
		return expired(s, o->expiry) ||
		       stf_option_closed(&s->g,
					 cl_genesis_market(&s->g, o->market),
					 s->now_s);
	}
	return false;
}

static int apply_done(struct cl_stf *s, const struct cl_tx_done *d)
{
	struct cl_order_record o;
	int rc;

	rc = load_order(s, &o, &d->order_hash);
	if (rc != CL_OK)
		return rc;
	if (o.status != CL_ORDER_OPEN)
		return CL_STF_ERR_ORDER_NOT_OPEN;
	bool holds = done_reason_holds(s, &o, d->reason, &rc);
	if (rc != CL_OK)
		return rc;
	if (!holds)
		return CL_STF_ERR_BAD_REASON;
	rc = stf_open_release(s, &o, o.size - o.filled);
	if (rc != CL_OK)
		return rc;
	o.status = CL_ORDER_DONE;
	stf_put_order(s->st, &d->order_hash, &o);
	stf_del_open(s->st, &o);
	return CL_STF_OK;
}

static int dispatch(struct cl_stf *s, const struct cl_tx *tx)
{
	switch (tx->type) {
	case CL_TX_DEPOSIT:
		return apply_deposit(s, &tx->u.deposit);
	case CL_TX_PLACE_ORDER:
	case CL_TX_CLIENT_ORDER:
		return apply_place(s, tx);
	case CL_TX_SCHEDULE_CANCEL:
		return stf_apply_schedule_cancel(s, tx);
	case CL_TX_TRIGGER_ORDER:
		return stf_apply_trigger_order(s, tx);
	case CL_TX_SCALE_ORDER:
		return stf_apply_scale(s, tx);
	case CL_TX_TWAP_ORDER:
		return stf_apply_twap(s, tx);
	case CL_TX_FILL:
		return apply_fill(s, &tx->u.fill);
	case CL_TX_CANCEL:
		return apply_cancel(s, tx);
	case CL_TX_WITHDRAW:
		return apply_withdraw(s, tx);
	case CL_TX_APPROVE_AGENT:
		return apply_approve(s, tx);
	case CL_TX_ORACLE_PRICE:
		return apply_oracle(s, tx);
	case CL_TX_ORDER_DONE:
		return apply_done(s, &tx->u.done);
	case CL_TX_ORACLE_UPDATE:
		return apply_oracle_update(s, tx);
	case CL_TX_ORACLE_SURFACE:
		return stf_apply_oracle_surface(s, tx);
	case CL_TX_OPTION_SETTLE:
		return stf_apply_option_settle(s, &tx->u.option_settle);
	case CL_TX_LIQUIDATE:
		return stf_apply_liquidate(s, &tx->u.liquidate);
	case CL_TX_ADL:
		return stf_apply_adl(s, &tx->u.adl);
	case CL_TX_LIQUIDATE_FILL:
		return stf_apply_liquidate_fill(s, &tx->u.liquidate_fill);
	case CL_TX_FUND_FILL:
		return stf_apply_fund_fill(s, &tx->u.fund_fill);
	case CL_TX_REINDEX:
		return stf_apply_reindex(s, &tx->u.reindex);
	case CL_TX_FORCED:
		return stf_apply_forced(s, &tx->u.forced);
	case CL_TX_ASSET_DEPOSIT:
		return stf_apply_asset_deposit(s, &tx->u.asset_deposit);
	case CL_TX_COLLATERAL_SALE:
		return stf_apply_collateral_sale(s, &tx->u.collateral_sale);
	case CL_TX_MARGIN_MODE:
		return stf_apply_margin_mode(s, tx);
	case CL_TX_ISOLATED_MARGIN:
		return stf_apply_isolated_margin(s, tx);
	case CL_TX_SUBACCOUNT_TRANSFER:
		return stf_apply_subaccount_transfer(s, tx);
	case CL_TX_ASSET_WITHDRAW:
		return stf_apply_asset_withdraw(s, tx);
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		return stf_apply_subaccount_asset_transfer(s, tx);
	case CL_TX_PORTFOLIO_MODE:
		return stf_apply_portfolio_mode(s, tx);
	case CL_TX_OPTION_LIST:
		return stf_apply_option_list(s, tx);
	}
	CL_BUG("applying a transaction of unknown type %d", (int)tx->type);
}

int cl_stf_apply(struct cl_stf *s, const struct cl_tx *tx)
{
	struct cl_state_sp sp;
	int rc;

	CL_REQUIRE(s->in_block);
	CL_REQUIRE(tx->auth.recovered);
	CL_REQUIRE(memcmp(tx->auth.separator.b, s->domain.separator.b, 32) ==
		   0);
	if (!s->deriving)
		stf_engine_invalidate(s); /* the books no longer mirror it */
	s->blame = CL_STF_BLAME_NONE;
	sp = cl_state_savepoint(s->st);
	rc = dispatch(s, tx);
	if (rc != CL_STF_OK)
		cl_state_rollback_to(s->st, sp);
	if (rc <= 0)
		s->blame = CL_STF_BLAME_NONE;
	return rc;
}

enum cl_stf_blame cl_stf_fill_blame(const struct cl_stf *s)
{
	return s->blame;
}
