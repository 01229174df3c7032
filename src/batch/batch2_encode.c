/* SPDX-License-Identifier: MIT */
/* Version 2 encoder: structured blocks of requests to L1 bytes
 * (docs/batch-format.md "Version 2"). */
#include "batch_int.h"

#include <stdlib.h>
#include <string.h>

/* An insertion-ordered set of 20-byte keys (addresses, or a market id in
 * the first 4 bytes): open addressing, index of first insertion. */
struct keyset {
	uint8_t (*keys)[20]; /* in first-use order */
	size_t n;
	uint32_t *slot; /* hash table of index + 1; 0 is empty */
	size_t cap;	/* power of two, >= 2n */
};

static uint64_t key_hash(const uint8_t *k)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 20; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h;
}

static void keyset_grow(struct keyset *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;

	free(s->slot);
	s->slot = cl_xcalloc(cap, sizeof(*s->slot));
	s->cap = cap;
	s->keys = cl_xrealloc(s->keys, cap / 2 * sizeof(*s->keys));
	for (size_t i = 0; i < s->n; i++) {
		size_t j = key_hash(s->keys[i]) & (cap - 1);
		while (s->slot[j])
			j = (j + 1) & (cap - 1);
		s->slot[j] = (uint32_t)(i + 1);
	}
}

/* The index of `k`, inserted at the end when new. */
static uint32_t keyset_index(struct keyset *s, const uint8_t *k)
{
	if (2 * (s->n + 1) > s->cap)
		keyset_grow(s);
	size_t j = key_hash(k) & (s->cap - 1);
	while (s->slot[j]) {
		uint32_t i = s->slot[j] - 1;
		if (memcmp(s->keys[i], k, 20) == 0)
			return i;
		j = (j + 1) & (s->cap - 1);
	}
	CL_REQUIRE(s->n < UINT32_MAX - 1);
	memcpy(s->keys[s->n], k, 20);
	s->slot[j] = (uint32_t)(s->n + 1);
	return (uint32_t)s->n++;
}

static void keyset_release(struct keyset *s)
{
	free(s->keys);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static uint32_t market_index(struct keyset *s, uint32_t market)
{
	uint8_t k[20] = {0};

	cl_put_be32(k, market);
	return keyset_index(s, k);
}

struct enc {
	struct keyset addr, mkt;
	/* per address: the last order's nonce and expiry in this batch */
	uint64_t *last_nonce, *last_expiry;
	bool *has_expiry;
	uint64_t *last_price; /* per market index and side (2m + is_buy) */
	uint64_t last_cancel_seq;
	uint64_t next_deposit;
	uint64_t next_forced;
	uint64_t next_asset_deposit;
	struct cl_buf *f;   /* fields */
	struct cl_buf sigs; /* r ‖ s, in order */
};

static bool sig_ok(const struct cl_sig *s)
{
	return b2_v_code(s->b[CL_SIG_LEN - 1]) >= 0;
}

/* Pass 1: can v2 carry `tx`? Collects the dictionaries in first-use
 * order on the way. */
static bool collect(struct enc *e, const struct cl_tx *tx)
{
	switch (tx->type) {
	case CL_TX_DEPOSIT:
		(void)keyset_index(&e->addr, tx->u.deposit.to.b);
		return true;
	case CL_TX_PLACE_ORDER: {
		const struct cl_order *o = &tx->u.place.order;
		if (o->flags & ~B2_ORDER_FLAGS_MASK ||
		    !sig_ok(&tx->u.place.sig))
			return false;
		(void)keyset_index(&e->addr, o->trader.b);
		(void)market_index(&e->mkt, o->market);
		return true;
	}
	case CL_TX_CANCEL:
		if (!sig_ok(&tx->u.cancel.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.cancel.msg.trader.b);
		return true;
	case CL_TX_WITHDRAW:
		if (!sig_ok(&tx->u.withdraw.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.withdraw.msg.trader.b);
		(void)keyset_index(&e->addr, tx->u.withdraw.msg.recipient.b);
		return true;
	case CL_TX_APPROVE_AGENT:
		if (!sig_ok(&tx->u.approve.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.approve.msg.trader.b);
		(void)keyset_index(&e->addr, tx->u.approve.msg.agent.b);
		return true;
	case CL_TX_ORACLE_PRICE:
		if (tx->u.oracle.n_sigs > CL_TX_ORACLE_MAX_SIGS)
			return false;
		for (uint32_t i = 0; i < tx->u.oracle.n_sigs; i++)
			if (!sig_ok(&tx->u.oracle.sigs[i]))
				return false;
		return true;
	case CL_TX_FORCED: {
		const struct cl_tx_forced *f = &tx->u.forced;
		if (f->kind < 1 || f->kind > CL_FORCED_KIND_MAX)
			return false; /* not a kind */
		switch (f->kind) {
		case CL_FORCED_WITHDRAW:
			if (f->amount == 0)
				return false;
			break;
		case CL_FORCED_CANCEL:
		case CL_FORCED_CANCEL_ALL:
			break;
		case CL_FORCED_CLOSE:
			if (f->price == 0)
				return false;
			break;
		}
		(void)keyset_index(&e->addr, f->account.b);
		return true;
	}
	case CL_TX_SCHEDULE_CANCEL:
		if (!sig_ok(&tx->u.schedule_cancel.sig))
			return false;
		(void)keyset_index(&e->addr,
				   tx->u.schedule_cancel.msg.trader.b);
		return true;
	case CL_TX_CLIENT_ORDER: {
		static const struct cl_cloid zero;
		const struct cl_order *o = &tx->u.place.order;
		if (o->flags & ~B2_ORDER_FLAGS_MASK ||
		    !sig_ok(&tx->u.place.sig) ||
		    memcmp(tx->u.place.cloid.b, zero.b, CL_CLOID_LEN) == 0)
			return false;
		(void)keyset_index(&e->addr, o->trader.b);
		(void)market_index(&e->mkt, o->market);
		return true;
	}
	case CL_TX_MARGIN_MODE:
		if (!sig_ok(&tx->u.margin_mode.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.margin_mode.msg.trader.b);
		(void)market_index(&e->mkt, tx->u.margin_mode.msg.market);
		return true;
	case CL_TX_PORTFOLIO_MODE:
		if (!sig_ok(&tx->u.portfolio_mode.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.portfolio_mode.msg.trader.b);
		return true;
	case CL_TX_OPTION_LIST:
		return sig_ok(&tx->u.option_list.sig);
	case CL_TX_SUBACCOUNT_TRANSFER:
		if (!sig_ok(&tx->u.subaccount_transfer.sig))
			return false;
		(void)keyset_index(&e->addr,
				   tx->u.subaccount_transfer.msg.trader.b);
		return true;
	case CL_TX_ASSET_WITHDRAW:
		if (!sig_ok(&tx->u.asset_withdraw.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.asset_withdraw.msg.trader.b);
		(void)keyset_index(&e->addr,
				   tx->u.asset_withdraw.msg.recipient.b);
		return true;
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		if (!sig_ok(&tx->u.subaccount_asset_transfer.sig))
			return false;
		(void)keyset_index(&e->addr,
				   tx->u.subaccount_asset_transfer.msg.trader.b);
		return true;
	case CL_TX_ISOLATED_MARGIN:
		if (!sig_ok(&tx->u.isolated_margin.sig))
			return false;
		(void)keyset_index(&e->addr,
				   tx->u.isolated_margin.msg.trader.b);
		(void)market_index(&e->mkt, tx->u.isolated_margin.msg.market);
		return true;
	case CL_TX_TWAP_ORDER:
		if (!sig_ok(&tx->u.twap.sig))
			return false;
		(void)keyset_index(&e->addr, tx->u.twap.msg.trader.b);
		(void)market_index(&e->mkt, tx->u.twap.msg.market);
		return true;
	case CL_TX_SCALE_ORDER: {
		const struct cl_scale_order *m = &tx->u.scale.msg;
		if (m->flags & ~B2_ORDER_FLAGS_MASK || m->n < 1 ||
		    m->n > CL_SCALE_MAX || !sig_ok(&tx->u.scale.sig))
			return false;
		(void)keyset_index(&e->addr, m->trader.b);
		(void)market_index(&e->mkt, m->market);
		return true;
	}
	case CL_TX_TRIGGER_ORDER: {
		const struct cl_trigger_order *m = &tx->u.trigger.msg;
		if (m->flags & ~B2_ORDER_FLAGS_MASK ||
		    !sig_ok(&tx->u.trigger.sig))
			return false;
		(void)keyset_index(&e->addr, m->trader.b);
		(void)market_index(&e->mkt, m->market);
		return true;
	}
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
		return false; /* derived by the stf */
	case CL_TX_ORACLE_SURFACE: {
		const struct cl_tx_oracle_surface *u = &tx->u.oracle_surface;
		if (u->n < 1 || u->n > CL_TX_ORACLE_MAX_ENTRIES)
			return false;
		for (uint32_t i = 0; i < u->n; i++)
			if (!sig_ok(&u->e[i].sig))
				return false;
		return true;
	}
	case CL_TX_ORACLE_UPDATE: {
		const struct cl_tx_oracle_update *u = &tx->u.oracle_update;
		if (u->n < 1 || u->n > CL_TX_ORACLE_MAX_ENTRIES)
			return false;
		for (uint32_t i = 0; i < u->n; i++)
			if (!sig_ok(&u->e[i].sig))
				return false;
		return true;
	}
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_OPTION_SETTLE:
		return false; /* derived by the stf */
	case CL_TX_ASSET_DEPOSIT:
		(void)keyset_index(&e->addr, tx->u.asset_deposit.to.b);
		return true;
	}
	return false; /* unknown */
}

static uint8_t vcode(const struct cl_sig *s)
{
	return (uint8_t)b2_v_code(s->b[CL_SIG_LEN - 1]);
}

static void put_sig(struct enc *e, const struct cl_sig *s)
{
	cl_buf_append(&e->sigs, s->b, B2_SIG_RS);
}

static void put_addr(struct enc *e, const struct cl_address *a)
{
	b2_put_varint(e->f, keyset_index(&e->addr, a->b));
}

static void put_head(struct enc *e, unsigned type, const struct cl_sig *s)
{
	unsigned v = s ? vcode(s) : 0;

	if (type >= B2_WIDE_MIN) {
		cl_buf_append_byte(e->f, (uint8_t)(v << B2_HEAD_V_SHIFT));
		cl_buf_append_byte(e->f, (uint8_t)type);
		return;
	}
	if (type >= B2_EXT_BASE)
		type = B2_HEAD_EXT | (type - B2_EXT_BASE);
	cl_buf_append_byte(e->f, (uint8_t)(type | v << B2_HEAD_V_SHIFT));
}

static void put_order(struct enc *e, const struct cl_tx_place *p,
		      uint64_t block_s, bool client)
{
	const struct cl_order *o = &p->order;
	uint32_t t = keyset_index(&e->addr, o->trader.b);
	uint32_t m = market_index(&e->mkt, o->market);
	unsigned flags = o->flags | (o->is_buy ? B2_ORDER_BUY : 0);

	if (client) {
		put_head(e, CL_TX_CLIENT_ORDER, &p->sig);
		cl_buf_append_byte(e->f, (uint8_t)flags);
	} else {
		cl_buf_append_byte(e->f,
				   (uint8_t)(B2_HEAD_ORDER | flags |
					     (unsigned)vcode(&p->sig)
						     << B2_ORDER_V_SHIFT));
	}
	b2_put_varint(e->f, t);
	b2_put_varint(e->f, m);
	size_t ps = 2 * (size_t)m + o->is_buy;
	b2_put_varint(e->f, b2_zigzag(o->price, e->last_price[ps]));
	b2_put_varint(e->f, o->size);
	b2_put_varint(e->f, b2_zigzag(o->nonce, e->last_nonce[t]));
	uint64_t base = e->has_expiry[t] ? e->last_expiry[t] : block_s;
	b2_put_varint(e->f, b2_zigzag(o->expiry, base));
	e->last_price[ps] = o->price;
	e->last_nonce[t] = o->nonce;
	e->last_expiry[t] = o->expiry;
	e->has_expiry[t] = true;
	if (client) {
		/* the id without its leading zero bytes (it is not zero) */
		size_t z = 0;
		while (p->cloid.b[z] == 0)
			z++;
		cl_buf_append_byte(e->f, (uint8_t)(CL_CLOID_LEN - z));
		cl_buf_append(e->f, p->cloid.b + z, CL_CLOID_LEN - z);
	}
	put_sig(e, &p->sig);
}

/* A forced request: its id against the next one expected, the account,
 * the kind, and the kind's fields only. */
static void put_forced(struct enc *e, const struct cl_tx_forced *f)
{
	put_head(e, CL_TX_FORCED, NULL);
	b2_put_varint(e->f, b2_zigzag(f->id, e->next_forced));
	put_addr(e, &f->account);
	cl_buf_append_byte(e->f, (uint8_t)f->kind);
	switch (f->kind) {
	case CL_FORCED_WITHDRAW:
		b2_put_varint(e->f, f->amount);
		break;
	case CL_FORCED_CANCEL:
		b2_put_varint(e->f, f->order_seq);
		break;
	case CL_FORCED_CANCEL_ALL:
		break;
	case CL_FORCED_CLOSE:
		b2_put_varint(e->f, f->market);
		b2_put_varint(e->f, f->price);
		break;
	}
	e->next_forced = f->id + 1;
}

/* Pass 2: write `tx` (collect() accepted it). */
static void put_tx(struct enc *e, const struct cl_tx *tx, uint64_t block_s)
{
	switch (tx->type) {
	case CL_TX_DEPOSIT:
		put_head(e, CL_TX_DEPOSIT, NULL);
		b2_put_varint(e->f,
			      b2_zigzag(tx->u.deposit.id, e->next_deposit));
		put_addr(e, &tx->u.deposit.to);
		b2_put_varint(e->f, tx->u.deposit.amount);
		e->next_deposit = tx->u.deposit.id + 1;
		return;
	case CL_TX_FORCED:
		put_forced(e, &tx->u.forced);
		return;
	case CL_TX_ASSET_DEPOSIT: {
		const struct cl_tx_asset_deposit *x = &tx->u.asset_deposit;
		put_head(e, CL_TX_ASSET_DEPOSIT, NULL);
		b2_put_varint(e->f, b2_zigzag(x->id, e->next_asset_deposit));
		b2_put_varint(e->f, x->asset);
		put_addr(e, &x->to);
		b2_put_varint(e->f, x->amount);
		e->next_asset_deposit = x->id + 1;
		return;
	}
	case CL_TX_PLACE_ORDER:
		put_order(e, &tx->u.place, block_s, false);
		return;
	case CL_TX_CLIENT_ORDER:
		put_order(e, &tx->u.place, block_s, true);
		return;
	case CL_TX_MARGIN_MODE: {
		const struct cl_margin_mode *m = &tx->u.margin_mode.msg;
		put_head(e, CL_TX_MARGIN_MODE, &tx->u.margin_mode.sig);
		cl_buf_append_byte(e->f, m->isolated ? 1 : 0);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, market_index(&e->mkt, m->market));
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.margin_mode.sig);
		return;
	}
	case CL_TX_PORTFOLIO_MODE: {
		const struct cl_portfolio_mode *m = &tx->u.portfolio_mode.msg;
		put_head(e, CL_TX_PORTFOLIO_MODE, &tx->u.portfolio_mode.sig);
		cl_buf_append_byte(e->f, m->enabled ? 1 : 0);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.portfolio_mode.sig);
		return;
	}
	case CL_TX_OPTION_LIST: {
		const struct cl_option_list *m = &tx->u.option_list.msg;
		size_t n = strnlen(m->symbol, CL_OPTION_LIST_SYMBOL_MAX + 1);
		put_head(e, CL_TX_OPTION_LIST, &tx->u.option_list.sig);
		b2_put_varint(e->f, m->template_market);
		cl_buf_append_byte(e->f, m->kind);
		b2_put_varint(e->f, m->strike);
		b2_put_varint(e->f, m->expiry);
		b2_put_varint(e->f, m->nonce);
		cl_buf_append_byte(e->f, (uint8_t)n);
		cl_buf_append(e->f, m->symbol, n);
		put_sig(e, &tx->u.option_list.sig);
		return;
	}
	case CL_TX_SUBACCOUNT_TRANSFER: {
		const struct cl_subaccount_transfer *m =
			&tx->u.subaccount_transfer.msg;
		put_head(e, CL_TX_SUBACCOUNT_TRANSFER,
			 &tx->u.subaccount_transfer.sig);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, m->from);
		b2_put_varint(e->f, m->to);
		b2_put_varint(e->f, m->amount);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.subaccount_transfer.sig);
		return;
	}
	case CL_TX_ASSET_WITHDRAW: {
		const struct cl_asset_withdraw *m = &tx->u.asset_withdraw.msg;
		put_head(e, CL_TX_ASSET_WITHDRAW, &tx->u.asset_withdraw.sig);
		put_addr(e, &m->trader);
		put_addr(e, &m->recipient);
		b2_put_varint(e->f, m->asset);
		b2_put_varint(e->f, m->amount);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.asset_withdraw.sig);
		return;
	}
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER: {
		const struct cl_subaccount_asset_transfer *m =
			&tx->u.subaccount_asset_transfer.msg;
		put_head(e, CL_TX_SUBACCOUNT_ASSET_TRANSFER,
			 &tx->u.subaccount_asset_transfer.sig);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, m->from);
		b2_put_varint(e->f, m->to);
		b2_put_varint(e->f, m->asset);
		b2_put_varint(e->f, m->amount);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.subaccount_asset_transfer.sig);
		return;
	}
	case CL_TX_ISOLATED_MARGIN: {
		const struct cl_isolated_margin *m = &tx->u.isolated_margin.msg;
		put_head(e, CL_TX_ISOLATED_MARGIN, &tx->u.isolated_margin.sig);
		cl_buf_append_byte(e->f, m->add ? 1 : 0);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, market_index(&e->mkt, m->market));
		b2_put_varint(e->f, m->amount);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.isolated_margin.sig);
		return;
	}
	case CL_TX_TWAP_ORDER: {
		const struct cl_twap_order *m = &tx->u.twap.msg;
		put_head(e, CL_TX_TWAP_ORDER, &tx->u.twap.sig);
		cl_buf_append_byte(e->f,
				   (uint8_t)((m->is_buy ? B2_ORDER_BUY : 0) |
					     (m->reduce_only ? B2_TWAP_RO : 0)));
		put_addr(e, &m->trader);
		b2_put_varint(e->f, market_index(&e->mkt, m->market));
		b2_put_varint(e->f, m->size);
		b2_put_varint(e->f, m->interval);
		b2_put_varint(e->f, m->slices);
		b2_put_varint(e->f, m->slippage_ppm);
		b2_put_varint(e->f, m->nonce);
		put_sig(e, &tx->u.twap.sig);
		return;
	}
	case CL_TX_SCALE_ORDER: {
		const struct cl_scale_order *m = &tx->u.scale.msg;
		put_head(e, CL_TX_SCALE_ORDER, &tx->u.scale.sig);
		cl_buf_append_byte(e->f, (uint8_t)(m->flags |
						   (m->is_buy ? B2_ORDER_BUY
							      : 0)));
		put_addr(e, &m->trader);
		b2_put_varint(e->f, market_index(&e->mkt, m->market));
		b2_put_varint(e->f, m->nonce);
		b2_put_varint(e->f, b2_zigzag(m->expiry, block_s));
		cl_buf_append_byte(e->f, (uint8_t)m->n);
		for (uint32_t i = 0; i < m->n; i++) {
			b2_put_varint(e->f, m->price[i]);
			b2_put_varint(e->f, m->size[i]);
		}
		put_sig(e, &tx->u.scale.sig);
		return;
	}
	case CL_TX_TRIGGER_ORDER: {
		const struct cl_trigger_order *m = &tx->u.trigger.msg;
		unsigned fl = m->flags | (m->is_buy ? B2_ORDER_BUY : 0) |
			      (m->trigger_above ? B2_TRIG_ABOVE : 0) |
			      (m->position_bound ? B2_TRIG_BOUND : 0);
		put_head(e, CL_TX_TRIGGER_ORDER, &tx->u.trigger.sig);
		cl_buf_append_byte(e->f, (uint8_t)fl);
		put_addr(e, &m->trader);
		b2_put_varint(e->f, market_index(&e->mkt, m->market));
		b2_put_varint(e->f, m->trigger_price);
		b2_put_varint(e->f, m->price);
		b2_put_varint(e->f, m->size);
		b2_put_varint(e->f, m->nonce);
		b2_put_varint(e->f, b2_zigzag(m->expiry, block_s));
		b2_put_varint(e->f, m->group);
		put_sig(e, &tx->u.trigger.sig);
		return;
	}
	case CL_TX_SCHEDULE_CANCEL: {
		const struct cl_tx_schedule_cancel *sc = &tx->u.schedule_cancel;
		put_head(e, CL_TX_SCHEDULE_CANCEL, &sc->sig);
		put_addr(e, &sc->msg.trader);
		b2_put_varint(e->f, b2_zigzag(sc->msg.time, block_s));
		b2_put_varint(e->f, sc->msg.nonce);
		put_sig(e, &sc->sig);
		return;
	}
	case CL_TX_CANCEL:
		put_head(e, CL_TX_CANCEL, &tx->u.cancel.sig);
		put_addr(e, &tx->u.cancel.msg.trader);
		b2_put_varint(e->f, b2_zigzag(tx->u.cancel.order_seq,
					      e->last_cancel_seq));
		e->last_cancel_seq = tx->u.cancel.order_seq;
		put_sig(e, &tx->u.cancel.sig);
		return;
	case CL_TX_WITHDRAW:
		put_head(e, CL_TX_WITHDRAW, &tx->u.withdraw.sig);
		put_addr(e, &tx->u.withdraw.msg.trader);
		put_addr(e, &tx->u.withdraw.msg.recipient);
		b2_put_varint(e->f, tx->u.withdraw.msg.amount);
		b2_put_varint(e->f, tx->u.withdraw.msg.nonce);
		put_sig(e, &tx->u.withdraw.sig);
		return;
	case CL_TX_APPROVE_AGENT:
		put_head(e, CL_TX_APPROVE_AGENT, &tx->u.approve.sig);
		put_addr(e, &tx->u.approve.msg.trader);
		put_addr(e, &tx->u.approve.msg.agent);
		b2_put_varint(e->f,
			      b2_zigzag(tx->u.approve.msg.expiry, block_s));
		b2_put_varint(e->f, tx->u.approve.msg.nonce);
		put_sig(e, &tx->u.approve.sig);
		return;
	case CL_TX_ORACLE_PRICE: {
		const struct cl_tx_oracle *o = &tx->u.oracle;
		put_head(e, CL_TX_ORACLE_PRICE, NULL);
		b2_put_varint(e->f, o->msg.market);
		b2_put_varint(e->f, o->msg.price);
		b2_put_varint(e->f, b2_zigzag(o->msg.timestamp, block_s));
		b2_put_varint(e->f, o->n_sigs);
		for (uint32_t i = 0; i < o->n_sigs; i++) {
			cl_buf_append_byte(e->f, vcode(&o->sigs[i]));
			put_sig(e, &o->sigs[i]);
		}
		return;
	}
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
		CL_BUG("batch: derived tx type %d passed collect()", tx->type);
	case CL_TX_ORACLE_UPDATE: {
		const struct cl_tx_oracle_update *u = &tx->u.oracle_update;
		put_head(e, CL_TX_ORACLE_UPDATE, NULL);
		b2_put_varint(e->f, u->market);
		b2_put_varint(e->f, u->n);
		for (uint32_t i = 0; i < u->n; i++) {
			b2_put_varint(e->f, u->e[i].price);
			b2_put_varint(e->f,
				      b2_zigzag(u->e[i].timestamp, block_s));
			cl_buf_append_byte(e->f, vcode(&u->e[i].sig));
			put_sig(e, &u->e[i].sig);
		}
		return;
	}
	case CL_TX_ORACLE_SURFACE: {
		const struct cl_tx_oracle_surface *u = &tx->u.oracle_surface;
		put_head(e, CL_TX_ORACLE_SURFACE, NULL);
		b2_put_varint(e->f, u->market);
		b2_put_varint(e->f, u->expiry);
		b2_put_varint(e->f, u->n);
		for (uint32_t i = 0; i < u->n; i++) {
			const struct cl_surface_entry *x = &u->e[i];
			b2_put_varint(e->f, b2_zigzag((uint64_t)x->a, 0));
			b2_put_varint(e->f, b2_zigzag((uint64_t)x->b, 0));
			b2_put_varint(e->f, b2_zigzag((uint64_t)x->rho, 0));
			b2_put_varint(e->f, b2_zigzag((uint64_t)x->m, 0));
			b2_put_varint(e->f, b2_zigzag((uint64_t)x->s, 0));
			b2_put_varint(e->f, b2_zigzag(x->timestamp, block_s));
			cl_buf_append_byte(e->f, vcode(&x->sig));
			put_sig(e, &x->sig);
		}
		return;
	}
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_OPTION_SETTLE:
		break;
	}
	CL_BUG("batch: tx type %d passed collect()", tx->type);
}

static bool same_l1(const struct cl_l1_ref *a, const struct cl_l1_ref *b)
{
	return a->number == b->number && a->timestamp == b->timestamp &&
	       cl_hash32_eq(&a->hash, &b->hash);
}

static void put_block(struct enc *e, const struct cl_batch2_block *b,
		      const struct cl_batch2_block *prev)
{
	bool same = prev && same_l1(&b->l1, &prev->l1);

	cl_buf_append_byte(e->f, same ? B2_BLOCK_SAME_L1 : 0);
	b2_put_varint(e->f, prev ? b->timestamp_ms - prev->timestamp_ms
				 : b->timestamp_ms);
	if (!same) {
		b2_put_varint(e->f,
			      prev ? b2_zigzag(b->l1.number, prev->l1.number)
				   : b->l1.number);
		cl_buf_append(e->f, b->l1.hash.b, 32);
		b2_put_varint(
		    e->f, prev ? b2_zigzag(b->l1.timestamp, prev->l1.timestamp)
			       : b->l1.timestamp);
	}
	cl_buf_append(e->f, b->root.b, 32);
	b2_put_varint(e->f, b->n_txs);
	uint64_t block_s = b->timestamp_ms / 1000;
	for (size_t t = 0; t < b->n_txs; t++)
		put_tx(e, &b->txs[t], block_s);
}

enum cl_batch_err cl_batch2_encode(struct cl_buf *out,
				   const struct cl_batch2_block *blocks,
				   size_t n)
{
	struct enc e;
	enum cl_batch_err rc = CL_BATCH_OK;

	CL_REQUIRE(n > 0);
	memset(&e, 0, sizeof(e));
	for (size_t i = 0; i < n && rc == CL_BATCH_OK; i++) {
		const struct cl_batch2_block *b = &blocks[i];
		CL_REQUIRE(b->number == blocks[0].number + i);
		CL_REQUIRE(b->n_txs == 0 || b->txs);
		if (i > 0 && b->timestamp_ms < blocks[i - 1].timestamp_ms)
			rc = CL_BATCH_UNENCODABLE;
		for (size_t t = 0; t < b->n_txs && rc == CL_BATCH_OK; t++)
			if (!collect(&e, &b->txs[t]))
				rc = CL_BATCH_UNENCODABLE;
	}
	if (rc != CL_BATCH_OK) {
		keyset_release(&e.addr);
		keyset_release(&e.mkt);
		return rc;
	}

	/* the header: version, blocks, both dictionaries */
	e.f = out;
	cl_buf_append_byte(out, CL_BATCH_VERSION_2);
	b2_put_varint(out, blocks[0].number);
	b2_put_varint(out, n);
	b2_put_varint(out, e.addr.n);
	for (size_t i = 0; i < e.addr.n; i++)
		cl_buf_append(out, e.addr.keys[i], 20);
	b2_put_varint(out, e.mkt.n);
	for (size_t i = 0; i < e.mkt.n; i++)
		b2_put_varint(out, cl_get_be32(e.mkt.keys[i]));

	size_t na = e.addr.n ? e.addr.n : 1, nm = e.mkt.n ? e.mkt.n : 1;
	e.last_nonce = cl_xcalloc(na, sizeof(uint64_t));
	e.last_expiry = cl_xcalloc(na, sizeof(uint64_t));
	e.has_expiry = cl_xcalloc(na, sizeof(bool));
	e.last_price = cl_xcalloc(2 * nm, sizeof(uint64_t));
	cl_buf_init(&e.sigs);
	for (size_t i = 0; i < n; i++)
		put_block(&e, &blocks[i], i ? &blocks[i - 1] : NULL);
	cl_buf_append(out, e.sigs.p, e.sigs.len);

	cl_buf_release(&e.sigs);
	free(e.last_nonce);
	free(e.last_expiry);
	free(e.has_expiry);
	free(e.last_price);
	keyset_release(&e.addr);
	keyset_release(&e.mkt);
	return CL_BATCH_OK;
}
