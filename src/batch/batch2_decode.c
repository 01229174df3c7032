/* SPDX-License-Identifier: MIT */
/* Version 2 decoder: hostile L1 bytes to structured blocks of requests
 * (docs/batch-format.md "Version 2"). Every rule that makes the encoding
 * unique is checked here, so re-encoding gives the same bytes. */
#include "batch_int.h"

#include <stdlib.h>
#include <string.h>

struct dec {
	const uint8_t *p;
	size_t len, off;
	enum cl_batch_err err; /* the first error; reads return 0 after it */
	const struct cl_batch_limits *lim;

	const uint8_t *addr; /* n_addr × 20, borrowed from the input */
	size_t n_addr, used_addr;
	uint32_t *mkt;
	size_t n_mkt, used_mkt;

	uint64_t *last_nonce, *last_expiry, *last_price;
	bool *has_expiry;
	uint64_t last_cancel_seq, next_deposit, next_forced, next_asset_deposit;
	size_t n_sigs;

	struct cl_tx *txs;
	size_t n_txs, cap_txs;
};

static void fail(struct dec *d, enum cl_batch_err e)
{
	if (d->err == CL_BATCH_OK)
		d->err = e;
}

static size_t left(const struct dec *d)
{
	return d->len - d->off;
}

static uint8_t get_u8(struct dec *d)
{
	if (d->err)
		return 0;
	if (left(d) < 1) {
		fail(d, CL_BATCH_MALFORMED);
		return 0;
	}
	return d->p[d->off++];
}

static void get_bytes(struct dec *d, void *out, size_t n)
{
	if (d->err == CL_BATCH_OK && left(d) < n)
		fail(d, CL_BATCH_MALFORMED);
	if (d->err) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, d->p + d->off, n);
	d->off += n;
}

/* A canonical varint: at most 64 bits, no overlong form. */
static uint64_t get_varint(struct dec *d)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < B2_VARINT_MAX; i++) {
		uint8_t b = get_u8(d);
		if (d->err)
			return 0;
		if (i == B2_VARINT_MAX - 1 && b > 1) {
			fail(d, CL_BATCH_MALFORMED); /* above 64 bits */
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b & 0x80)
			continue;
		if (b == 0 && i > 0) {
			fail(d, CL_BATCH_NOT_CANONICAL); /* overlong */
			return 0;
		}
		return v;
	}
	return 0; /* not reached: the 10th byte is <= 1 */
}

/* A dictionary index: in range, and first uses in dictionary order. */
static size_t get_index(struct dec *d, size_t n, size_t *used)
{
	uint64_t i = get_varint(d);

	if (d->err)
		return 0;
	if (i >= n) {
		fail(d, CL_BATCH_MALFORMED);
		return 0;
	}
	if (i > *used) {
		fail(d, CL_BATCH_NOT_CANONICAL);
		return 0;
	}
	if (i == *used)
		(*used)++;
	return (size_t)i;
}

static size_t get_addr(struct dec *d, struct cl_address *out)
{
	size_t i = get_index(d, d->n_addr, &d->used_addr);

	if (d->err == CL_BATCH_OK)
		memcpy(out->b, d->addr + 20 * i, 20);
	return i;
}

/* The v code of a signature into its last byte; r ‖ s come later. */
static void get_vcode(struct dec *d, struct cl_sig *s, unsigned code)
{
	if (code > 3)
		fail(d, CL_BATCH_BAD_TX);
	s->b[CL_SIG_LEN - 1] = b2_v_byte(code);
	d->n_sigs++;
}

/* An order: `head` holds its flags and isBuy (the PLACE_ORDER head, or
 * a CLIENT_ORDER's flag byte), `v` its v code. */
static void get_order(struct dec *d, struct cl_tx *tx, uint8_t head,
		      unsigned v, uint64_t block_s)
{
	struct cl_order *o = &tx->u.place.order;

	o->flags = head & B2_ORDER_FLAGS_MASK;
	o->is_buy = (head & B2_ORDER_BUY) != 0;
	get_vcode(d, &tx->u.place.sig, v);
	size_t t = get_addr(d, &o->trader);
	size_t m = get_index(d, d->n_mkt, &d->used_mkt);
	if (d->err)
		return;
	o->market = d->mkt[m];
	size_t ps = 2 * m + o->is_buy;
	o->price = b2_unzigzag(get_varint(d), d->last_price[ps]);
	o->size = get_varint(d);
	o->nonce = b2_unzigzag(get_varint(d), d->last_nonce[t]);
	uint64_t base = d->has_expiry[t] ? d->last_expiry[t] : block_s;
	o->expiry = b2_unzigzag(get_varint(d), base);
	d->last_price[ps] = o->price;
	d->last_nonce[t] = o->nonce;
	d->last_expiry[t] = o->expiry;
	d->has_expiry[t] = true;
}

/* A forced request: exactly the fields its kind uses, each valid for
 * cl_tx_encode() (amount and price > 0, a 32-bit market). */
static void get_forced(struct dec *d, struct cl_tx_forced *x)
{
	x->id = b2_unzigzag(get_varint(d), d->next_forced);
	(void)get_addr(d, &x->account);
	uint8_t kind = get_u8(d);
	if (d->err)
		return;
	x->kind = (enum cl_forced_kind)kind;
	switch (kind) {
	case CL_FORCED_WITHDRAW:
		x->amount = get_varint(d);
		if (x->amount == 0)
			fail(d, CL_BATCH_BAD_TX);
		break;
	case CL_FORCED_CANCEL:
		x->order_seq = get_varint(d);
		break;
	case CL_FORCED_CANCEL_ALL:
		break;
	case CL_FORCED_CLOSE: {
		uint64_t m = get_varint(d);
		if (m > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		x->market = (uint32_t)m;
		x->price = get_varint(d);
		if (x->price == 0)
			fail(d, CL_BATCH_BAD_TX);
		break;
	}
	default:
		fail(d, CL_BATCH_BAD_TX);
		return;
	}
	d->next_forced = x->id + 1;
}

/* The extended types (head bit 6). */
static void get_ext(struct dec *d, struct cl_tx *tx, unsigned type,
		    unsigned v, uint64_t block_s)
{
	switch (type) {
	case CL_TX_SCHEDULE_CANCEL: {
		struct cl_tx_schedule_cancel *x = &tx->u.schedule_cancel;
		tx->type = CL_TX_SCHEDULE_CANCEL;
		get_vcode(d, &x->sig, v);
		(void)get_addr(d, &x->msg.trader);
		x->msg.time = b2_unzigzag(get_varint(d), block_s);
		x->msg.nonce = get_varint(d);
		return;
	}
	case CL_TX_CLIENT_ORDER: {
		uint8_t fl = get_u8(d);
		if (d->err)
			return;
		if (fl & ~(B2_ORDER_FLAGS_MASK | B2_ORDER_BUY)) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = CL_TX_CLIENT_ORDER;
		get_order(d, tx, fl, v, block_s);
		uint8_t n = get_u8(d);
		if (d->err)
			return;
		if (n == 0 || n > CL_CLOID_LEN) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		if (n > left(d)) {
			fail(d, CL_BATCH_MALFORMED);
			return;
		}
		memcpy(tx->u.place.cloid.b + CL_CLOID_LEN - n, d->p + d->off,
		       n);
		if (d->p[d->off] == 0)
			fail(d, CL_BATCH_NOT_CANONICAL); /* a leading zero */
		d->off += n;
		return;
	}
	case CL_TX_PORTFOLIO_MODE: {
		struct cl_portfolio_mode *m = &tx->u.portfolio_mode.msg;
		uint8_t fl = get_u8(d);
		if (d->err)
			return;
		if (fl > 1) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = CL_TX_PORTFOLIO_MODE;
		get_vcode(d, &tx->u.portfolio_mode.sig, v);
		m->enabled = fl == 1;
		(void)get_addr(d, &m->trader);
		m->nonce = get_varint(d);
		return;
	}
	case CL_TX_OPTION_LIST: {
		struct cl_option_list *m = &tx->u.option_list.msg;
		tx->type = CL_TX_OPTION_LIST;
		get_vcode(d, &tx->u.option_list.sig, v);
		uint64_t t = get_varint(d);
		if (t > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		m->template_market = (uint32_t)t;
		m->kind = get_u8(d);
		m->strike = get_varint(d);
		m->expiry = get_varint(d);
		m->nonce = get_varint(d);
		uint8_t n = get_u8(d);
		if (d->err)
			return;
		if (n > CL_OPTION_LIST_SYMBOL_MAX) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		if (n > left(d)) {
			fail(d, CL_BATCH_MALFORMED);
			return;
		}
		memcpy(m->symbol, d->p + d->off, n);
		if (strnlen(m->symbol, n) != n) /* a NUL inside */
			fail(d, CL_BATCH_BAD_TX);
		d->off += n;
		return;
	}
	case CL_TX_SUBACCOUNT_TRANSFER: {
		struct cl_subaccount_transfer *m =
			&tx->u.subaccount_transfer.msg;
		tx->type = CL_TX_SUBACCOUNT_TRANSFER;
		get_vcode(d, &tx->u.subaccount_transfer.sig, v);
		(void)get_addr(d, &m->trader);
		uint64_t f = get_varint(d), t = get_varint(d);
		if (f > UINT32_MAX || t > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		m->from = (uint32_t)f;
		m->to = (uint32_t)t;
		m->amount = get_varint(d);
		m->nonce = get_varint(d);
		return;
	}
	case CL_TX_ASSET_WITHDRAW: {
		struct cl_asset_withdraw *m = &tx->u.asset_withdraw.msg;
		tx->type = CL_TX_ASSET_WITHDRAW;
		get_vcode(d, &tx->u.asset_withdraw.sig, v);
		(void)get_addr(d, &m->trader);
		(void)get_addr(d, &m->recipient);
		uint64_t a = get_varint(d);
		if (a > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		m->asset = (uint32_t)a;
		m->amount = get_varint(d);
		m->nonce = get_varint(d);
		return;
	}
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER: {
		struct cl_subaccount_asset_transfer *m =
			&tx->u.subaccount_asset_transfer.msg;
		tx->type = CL_TX_SUBACCOUNT_ASSET_TRANSFER;
		get_vcode(d, &tx->u.subaccount_asset_transfer.sig, v);
		(void)get_addr(d, &m->trader);
		uint64_t f = get_varint(d), t = get_varint(d);
		uint64_t a = get_varint(d);
		if (f > UINT32_MAX || t > UINT32_MAX || a > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		m->from = (uint32_t)f;
		m->to = (uint32_t)t;
		m->asset = (uint32_t)a;
		m->amount = get_varint(d);
		m->nonce = get_varint(d);
		return;
	}
	case CL_TX_MARGIN_MODE:
	case CL_TX_ISOLATED_MARGIN: {
		uint8_t fl = get_u8(d);
		struct cl_address trader;
		if (d->err)
			return;
		if (fl > 1) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = (enum cl_tx_type)type;
		get_vcode(d, type == CL_TX_MARGIN_MODE ?
				     &tx->u.margin_mode.sig :
				     &tx->u.isolated_margin.sig, v);
		(void)get_addr(d, &trader);
		size_t mi = get_index(d, d->n_mkt, &d->used_mkt);
		if (d->err)
			return;
		if (type == CL_TX_MARGIN_MODE) {
			struct cl_margin_mode *m = &tx->u.margin_mode.msg;
			m->trader = trader;
			m->market = d->mkt[mi];
			m->isolated = fl == 1;
			m->nonce = get_varint(d);
		} else {
			struct cl_isolated_margin *m =
				&tx->u.isolated_margin.msg;
			m->trader = trader;
			m->market = d->mkt[mi];
			m->add = fl == 1;
			m->amount = get_varint(d);
			m->nonce = get_varint(d);
		}
		return;
	}
	case CL_TX_TWAP_ORDER: {
		struct cl_twap_order *m = &tx->u.twap.msg;
		uint8_t fl = get_u8(d);
		if (d->err)
			return;
		if (fl & ~(B2_ORDER_BUY | B2_TWAP_RO)) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = CL_TX_TWAP_ORDER;
		m->is_buy = (fl & B2_ORDER_BUY) != 0;
		m->reduce_only = (fl & B2_TWAP_RO) != 0;
		get_vcode(d, &tx->u.twap.sig, v);
		(void)get_addr(d, &m->trader);
		size_t mi = get_index(d, d->n_mkt, &d->used_mkt);
		if (d->err)
			return;
		m->market = d->mkt[mi];
		m->size = get_varint(d);
		m->interval = get_varint(d);
		uint64_t sl = get_varint(d), pp = get_varint(d);
		if (sl > UINT32_MAX || pp > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		m->slices = (uint32_t)sl;
		m->slippage_ppm = (uint32_t)pp;
		m->nonce = get_varint(d);
		return;
	}
	case CL_TX_SCALE_ORDER: {
		struct cl_scale_order *m = &tx->u.scale.msg;
		uint8_t fl = get_u8(d);
		if (d->err)
			return;
		if (fl & ~(B2_ORDER_FLAGS_MASK | B2_ORDER_BUY)) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = CL_TX_SCALE_ORDER;
		m->flags = fl & B2_ORDER_FLAGS_MASK;
		m->is_buy = (fl & B2_ORDER_BUY) != 0;
		get_vcode(d, &tx->u.scale.sig, v);
		(void)get_addr(d, &m->trader);
		size_t mi = get_index(d, d->n_mkt, &d->used_mkt);
		if (d->err)
			return;
		m->market = d->mkt[mi];
		m->nonce = get_varint(d);
		m->expiry = b2_unzigzag(get_varint(d), block_s);
		uint8_t n = get_u8(d);
		if (d->err)
			return;
		if (n == 0 || n > CL_SCALE_MAX) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		m->n = n;
		for (uint32_t i = 0; i < m->n && !d->err; i++) {
			m->price[i] = get_varint(d);
			m->size[i] = get_varint(d);
		}
		return;
	}
	case CL_TX_TRIGGER_ORDER: {
		struct cl_trigger_order *m = &tx->u.trigger.msg;
		uint8_t fl = get_u8(d);
		if (d->err)
			return;
		if (fl & 0x80) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		tx->type = CL_TX_TRIGGER_ORDER;
		m->flags = fl & B2_ORDER_FLAGS_MASK;
		m->is_buy = (fl & B2_ORDER_BUY) != 0;
		m->trigger_above = (fl & B2_TRIG_ABOVE) != 0;
		m->position_bound = (fl & B2_TRIG_BOUND) != 0;
		get_vcode(d, &tx->u.trigger.sig, v);
		(void)get_addr(d, &m->trader);
		size_t mi = get_index(d, d->n_mkt, &d->used_mkt);
		if (d->err)
			return;
		m->market = d->mkt[mi];
		m->trigger_price = get_varint(d);
		m->price = get_varint(d);
		m->size = get_varint(d);
		m->nonce = get_varint(d);
		m->expiry = b2_unzigzag(get_varint(d), block_s);
		m->group = get_varint(d);
		return;
	}
	case CL_TX_ORACLE_SURFACE: {
		struct cl_tx_oracle_surface *x = &tx->u.oracle_surface;
		if (v != 0) {
			fail(d, CL_BATCH_BAD_TX); /* unsigned head */
			return;
		}
		tx->type = CL_TX_ORACLE_SURFACE;
		uint64_t m = get_varint(d);
		if (m > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		x->market = (uint32_t)m;
		x->expiry = get_varint(d);
		uint64_t n = get_varint(d);
		if (d->err)
			return;
		if (n < 1 || n > CL_TX_ORACLE_MAX_ENTRIES) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		x->n = (uint32_t)n;
		for (uint32_t i = 0; i < x->n && !d->err; i++) {
			struct cl_surface_entry *e = &x->e[i];
			e->a = (int64_t)b2_unzigzag(get_varint(d), 0);
			e->b = (int64_t)b2_unzigzag(get_varint(d), 0);
			e->rho = (int64_t)b2_unzigzag(get_varint(d), 0);
			e->m = (int64_t)b2_unzigzag(get_varint(d), 0);
			e->s = (int64_t)b2_unzigzag(get_varint(d), 0);
			e->timestamp = b2_unzigzag(get_varint(d), block_s);
			get_vcode(d, &e->sig, get_u8(d));
		}
		return;
	}
	case CL_TX_ASSET_DEPOSIT: {
		struct cl_tx_asset_deposit *x = &tx->u.asset_deposit;
		if (v != 0) {
			fail(d, CL_BATCH_BAD_TX); /* unsigned: no v code */
			return;
		}
		tx->type = CL_TX_ASSET_DEPOSIT;
		x->id = b2_unzigzag(get_varint(d), d->next_asset_deposit);
		uint64_t asset = get_varint(d);
		if (asset > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		x->asset = (uint32_t)asset;
		(void)get_addr(d, &x->to);
		x->amount = get_varint(d);
		d->next_asset_deposit = x->id + 1;
		return;
	}
	default:
		fail(d, CL_BATCH_BAD_TX);
		return;
	}
}

static void get_tx(struct dec *d, struct cl_tx *tx, uint64_t block_s)
{
	uint8_t head = get_u8(d);

	if (d->err)
		return;
	if (head & B2_HEAD_ORDER) {
		tx->type = CL_TX_PLACE_ORDER;
		get_order(d, tx, head, (head >> B2_ORDER_V_SHIFT) & 3, block_s);
		return;
	}
	unsigned type = head & B2_HEAD_TYPE_MASK;
	unsigned v = (head >> B2_HEAD_V_SHIFT) & 3;
	if (head & B2_HEAD_EXT) {
		get_ext(d, tx, B2_EXT_BASE + type, v, block_s);
		return;
	}
	if (type == 0) {
		/* a wide type: its number (>= B2_WIDE_MIN) in the next byte */
		uint8_t wide = get_u8(d);
		if (d->err)
			return;
		if (wide < B2_WIDE_MIN) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		get_ext(d, tx, wide, v, block_s);
		return;
	}
	switch (type) {
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
		fail(d, CL_BATCH_DERIVED_TX);
		return;
	case CL_TX_CANCEL:
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
		break;
	case CL_TX_DEPOSIT:
	case CL_TX_ORACLE_PRICE:
	case CL_TX_ORACLE_UPDATE:
	case CL_TX_FORCED:
		if (v != 0) {
			fail(d, CL_BATCH_BAD_TX); /* unsigned: no v code */
			return;
		}
		break;
	default:
		/* 0, and PLACE_ORDER without its own head form */
		fail(d, CL_BATCH_BAD_TX);
		return;
	}
	tx->type = (enum cl_tx_type)type;
	switch (type) {
	case CL_TX_DEPOSIT: {
		struct cl_tx_deposit *x = &tx->u.deposit;
		x->id = b2_unzigzag(get_varint(d), d->next_deposit);
		(void)get_addr(d, &x->to);
		x->amount = get_varint(d);
		d->next_deposit = x->id + 1;
		return;
	}
	case CL_TX_FORCED:
		get_forced(d, &tx->u.forced);
		return;
	case CL_TX_CANCEL: {
		struct cl_tx_cancel *x = &tx->u.cancel;
		get_vcode(d, &x->sig, v);
		(void)get_addr(d, &x->msg.trader);
		x->order_seq = b2_unzigzag(get_varint(d), d->last_cancel_seq);
		d->last_cancel_seq = x->order_seq;
		return;
	}
	case CL_TX_WITHDRAW: {
		struct cl_tx_withdraw *x = &tx->u.withdraw;
		get_vcode(d, &x->sig, v);
		(void)get_addr(d, &x->msg.trader);
		(void)get_addr(d, &x->msg.recipient);
		x->msg.amount = get_varint(d);
		x->msg.nonce = get_varint(d);
		return;
	}
	case CL_TX_APPROVE_AGENT: {
		struct cl_tx_approve *x = &tx->u.approve;
		get_vcode(d, &x->sig, v);
		(void)get_addr(d, &x->msg.trader);
		(void)get_addr(d, &x->msg.agent);
		x->msg.expiry = b2_unzigzag(get_varint(d), block_s);
		x->msg.nonce = get_varint(d);
		return;
	}
	case CL_TX_ORACLE_PRICE: {
		struct cl_tx_oracle *x = &tx->u.oracle;
		uint64_t m = get_varint(d);
		if (m > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		x->msg.market = (uint32_t)m;
		x->msg.price = get_varint(d);
		x->msg.timestamp = b2_unzigzag(get_varint(d), block_s);
		uint64_t n = get_varint(d);
		if (n > CL_TX_ORACLE_MAX_SIGS) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		x->n_sigs = (uint32_t)n;
		for (uint32_t i = 0; i < x->n_sigs && !d->err; i++)
			get_vcode(d, &x->sigs[i], get_u8(d));
		return;
	}
	case CL_TX_ORACLE_UPDATE: {
		struct cl_tx_oracle_update *x = &tx->u.oracle_update;
		uint64_t m = get_varint(d);
		if (m > UINT32_MAX)
			fail(d, CL_BATCH_BAD_TX);
		x->market = (uint32_t)m;
		uint64_t n = get_varint(d);
		if (d->err)
			return;
		if (n < 1 || n > CL_TX_ORACLE_MAX_ENTRIES) {
			fail(d, CL_BATCH_BAD_TX);
			return;
		}
		x->n = (uint32_t)n;
		for (uint32_t i = 0; i < x->n && !d->err; i++) {
			x->e[i].price = get_varint(d);
			x->e[i].timestamp = b2_unzigzag(get_varint(d), block_s);
			get_vcode(d, &x->e[i].sig, get_u8(d));
		}
		return;
	}
	}
	CL_BUG("batch: tx type %u not handled", type);
}

/* Room for `more` transactions, within the limit. */
static struct cl_tx *next_tx(struct dec *d)
{
	if (d->n_txs >= d->lim->max_txs) {
		fail(d, CL_BATCH_LIMIT);
		return NULL;
	}
	if (d->n_txs == d->cap_txs) {
		size_t cap = d->cap_txs ? 2 * d->cap_txs : 64;
		if (cap > d->lim->max_txs)
			cap = d->lim->max_txs;
		d->txs = cl_xrealloc(d->txs, cap * sizeof(*d->txs));
		d->cap_txs = cap;
	}
	struct cl_tx *tx = &d->txs[d->n_txs++];
	memset(tx, 0, sizeof(*tx));
	return tx;
}

static bool same_l1(const struct cl_l1_ref *a, const struct cl_l1_ref *b)
{
	return a->number == b->number && a->timestamp == b->timestamp &&
	       cl_hash32_eq(&a->hash, &b->hash);
}

/* Block i; `tx_start[i]` gets the index of its first transaction. */
static void get_block(struct dec *d, struct cl_batch2_block *b,
		      const struct cl_batch2_block *prev, size_t *tx_start)
{
	uint8_t flags = get_u8(d);
	uint64_t t = get_varint(d);

	if (d->err)
		return;
	if ((flags & ~B2_BLOCK_SAME_L1) || (!prev && flags)) {
		fail(d, CL_BATCH_MALFORMED);
		return;
	}
	if (prev && __builtin_add_overflow(prev->timestamp_ms, t, &t)) {
		fail(d, CL_BATCH_MALFORMED);
		return;
	}
	b->timestamp_ms = t;
	if (flags & B2_BLOCK_SAME_L1) {
		b->l1 = prev->l1;
	} else {
		uint64_t num = get_varint(d);
		get_bytes(d, b->l1.hash.b, 32);
		uint64_t ts = get_varint(d);
		b->l1.number = prev ? b2_unzigzag(num, prev->l1.number) : num;
		b->l1.timestamp =
		    prev ? b2_unzigzag(ts, prev->l1.timestamp) : ts;
		if (d->err == CL_BATCH_OK && prev && same_l1(&b->l1, &prev->l1))
			fail(d, CL_BATCH_NOT_CANONICAL); /* flag not used */
	}
	get_bytes(d, b->root.b, 32);
	uint64_t n = get_varint(d);
	if (d->err)
		return;
	if (n > d->lim->max_txs_per_block || n > d->lim->max_txs) {
		fail(d, CL_BATCH_LIMIT);
		return;
	}
	if (n > left(d)) {
		fail(d, CL_BATCH_MALFORMED); /* a tx is at least one byte */
		return;
	}
	*tx_start = d->n_txs;
	b->n_txs = (size_t)n;
	uint64_t block_s = b->timestamp_ms / 1000;
	for (size_t i = 0; i < b->n_txs && d->err == CL_BATCH_OK; i++) {
		struct cl_tx *tx = next_tx(d);
		if (tx)
			get_tx(d, tx, block_s);
	}
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every entry used (first uses in order were checked on the way) and
 * no entry twice. */
static void check_dicts(struct dec *d)
{
	if (d->err)
		return;
	if (d->used_addr != d->n_addr || d->used_mkt != d->n_mkt) {
		fail(d, CL_BATCH_NOT_CANONICAL);
		return;
	}
	uint8_t(*a)[20] = cl_xmalloc((d->n_addr ? d->n_addr : 1) * 20);
	memcpy(a, d->addr, d->n_addr * 20);
	qsort(a, d->n_addr, 20, cmp_addr);
	for (size_t i = 1; i < d->n_addr; i++)
		if (memcmp(a[i - 1], a[i], 20) == 0)
			fail(d, CL_BATCH_NOT_CANONICAL);
	free(a);
	uint32_t *m = cl_xmalloc((d->n_mkt ? d->n_mkt : 1) * sizeof(*m));
	memcpy(m, d->mkt, d->n_mkt * sizeof(*m));
	qsort(m, d->n_mkt, sizeof(*m), cmp_u32);
	for (size_t i = 1; i < d->n_mkt; i++)
		if (m[i - 1] == m[i])
			fail(d, CL_BATCH_NOT_CANONICAL);
	free(m);
}

static void sig_rs(struct dec *d, struct cl_sig *s)
{
	memcpy(s->b, d->p + d->off, B2_SIG_RS);
	d->off += B2_SIG_RS;
}

/* The signature section: r ‖ s of every signature, in order. */
static void get_sigs(struct dec *d)
{
	if (d->err)
		return;
	if (left(d) / B2_SIG_RS != d->n_sigs || left(d) % B2_SIG_RS) {
		fail(d, CL_BATCH_MALFORMED); /* short, or trailing bytes */
		return;
	}
	for (size_t i = 0; i < d->n_txs; i++) {
		struct cl_tx *tx = &d->txs[i];
		switch (tx->type) {
		case CL_TX_PLACE_ORDER:
		case CL_TX_CLIENT_ORDER:
			sig_rs(d, &tx->u.place.sig);
			break;
		case CL_TX_SCHEDULE_CANCEL:
			sig_rs(d, &tx->u.schedule_cancel.sig);
			break;
		case CL_TX_TRIGGER_ORDER:
			sig_rs(d, &tx->u.trigger.sig);
			break;
		case CL_TX_SCALE_ORDER:
			sig_rs(d, &tx->u.scale.sig);
			break;
		case CL_TX_TWAP_ORDER:
			sig_rs(d, &tx->u.twap.sig);
			break;
		case CL_TX_MARGIN_MODE:
			sig_rs(d, &tx->u.margin_mode.sig);
			break;
		case CL_TX_ISOLATED_MARGIN:
			sig_rs(d, &tx->u.isolated_margin.sig);
			break;
		case CL_TX_SUBACCOUNT_TRANSFER:
			sig_rs(d, &tx->u.subaccount_transfer.sig);
			break;
		case CL_TX_ASSET_WITHDRAW:
			sig_rs(d, &tx->u.asset_withdraw.sig);
			break;
		case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
			sig_rs(d, &tx->u.subaccount_asset_transfer.sig);
			break;
		case CL_TX_PORTFOLIO_MODE:
			sig_rs(d, &tx->u.portfolio_mode.sig);
			break;
		case CL_TX_OPTION_LIST:
			sig_rs(d, &tx->u.option_list.sig);
			break;
		case CL_TX_CANCEL:
			sig_rs(d, &tx->u.cancel.sig);
			break;
		case CL_TX_WITHDRAW:
			sig_rs(d, &tx->u.withdraw.sig);
			break;
		case CL_TX_APPROVE_AGENT:
			sig_rs(d, &tx->u.approve.sig);
			break;
		case CL_TX_ORACLE_PRICE:
			for (uint32_t k = 0; k < tx->u.oracle.n_sigs; k++)
				sig_rs(d, &tx->u.oracle.sigs[k]);
			break;
		case CL_TX_ORACLE_UPDATE:
			for (uint32_t k = 0; k < tx->u.oracle_update.n; k++)
				sig_rs(d, &tx->u.oracle_update.e[k].sig);
			break;
		case CL_TX_ORACLE_SURFACE:
			for (uint32_t k = 0; k < tx->u.oracle_surface.n; k++)
				sig_rs(d, &tx->u.oracle_surface.e[k].sig);
			break;
		case CL_TX_DEPOSIT:
		case CL_TX_FORCED:
		case CL_TX_FILL:
		case CL_TX_ORDER_DONE:
		case CL_TX_LIQUIDATE:
		case CL_TX_ADL:
		case CL_TX_LIQUIDATE_FILL:
		case CL_TX_FUND_FILL:
		case CL_TX_REINDEX:
		case CL_TX_ASSET_DEPOSIT:
		case CL_TX_COLLATERAL_SALE:
		case CL_TX_OPTION_SETTLE:
			break; /* unsigned, or never in a batch */
		}
	}
	CL_REQUIRE(d->off == d->len);
}

static void get_header(struct dec *d, struct cl_batch2 *out)
{
	uint64_t first = get_varint(d);
	uint64_t n = get_varint(d);

	if (d->err)
		return;
	if (n == 0) {
		fail(d, CL_BATCH_EMPTY);
		return;
	}
	if (n > d->lim->max_blocks) {
		fail(d, CL_BATCH_LIMIT);
		return;
	}
	if (n > left(d) / B2_MIN_BLOCK) {
		fail(d, CL_BATCH_MALFORMED);
		return;
	}
	if (first > UINT64_MAX - (n - 1)) {
		fail(d, CL_BATCH_NOT_CONSECUTIVE);
		return;
	}
	out->first_block = first;
	out->n_blocks = (size_t)n;

	uint64_t na = get_varint(d);
	if (d->err == CL_BATCH_OK && na > left(d) / 20)
		fail(d, CL_BATCH_MALFORMED);
	if (d->err)
		return;
	d->n_addr = (size_t)na;
	d->addr = d->p + d->off;
	d->off += 20 * d->n_addr;
	uint64_t nm = get_varint(d);
	if (d->err == CL_BATCH_OK && nm > left(d))
		fail(d, CL_BATCH_MALFORMED);
	if (d->err == CL_BATCH_OK && nm > d->lim->max_txs)
		fail(d, CL_BATCH_LIMIT); /* each market is some order's */
	if (d->err)
		return;
	d->n_mkt = (size_t)nm;
	d->mkt = cl_xcalloc(d->n_mkt ? d->n_mkt : 1, sizeof(*d->mkt));
	for (size_t i = 0; i < d->n_mkt; i++) {
		uint64_t m = get_varint(d);
		if (m > UINT32_MAX)
			fail(d, CL_BATCH_MALFORMED);
		d->mkt[i] = (uint32_t)m;
	}
}

enum cl_batch_err cl_batch2_decode(struct cl_batch2 *out, const uint8_t *data,
				   size_t len,
				   const struct cl_batch_limits *lim)
{
	struct dec d;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return CL_BATCH_EMPTY;
	if (len > lim->max_compressed || len - 1 > lim->max_payload)
		return CL_BATCH_TOO_LARGE;
	if (data[0] != CL_BATCH_VERSION_2)
		return CL_BATCH_BAD_VERSION;
	memset(&d, 0, sizeof(d));
	d.p = data;
	d.len = len;
	d.off = 1;
	d.lim = lim;

	get_header(&d, out);
	size_t *tx_start = NULL;
	if (d.err == CL_BATCH_OK) {
		size_t na = d.n_addr ? d.n_addr : 1;
		size_t nm = d.n_mkt ? d.n_mkt : 1;
		d.last_nonce = cl_xcalloc(na, sizeof(uint64_t));
		d.last_expiry = cl_xcalloc(na, sizeof(uint64_t));
		d.has_expiry = cl_xcalloc(na, sizeof(bool));
		d.last_price = cl_xcalloc(2 * nm, sizeof(uint64_t));
		out->blocks = cl_xcalloc(out->n_blocks, sizeof(*out->blocks));
		tx_start = cl_xcalloc(out->n_blocks, sizeof(size_t));
	}
	for (size_t i = 0; i < out->n_blocks && d.err == CL_BATCH_OK; i++) {
		out->blocks[i].number = out->first_block + i;
		get_block(&d, &out->blocks[i], i ? &out->blocks[i - 1] : NULL,
			  &tx_start[i]);
	}
	check_dicts(&d);
	get_sigs(&d);

	free(d.mkt);
	free(d.last_nonce);
	free(d.last_expiry);
	free(d.has_expiry);
	free(d.last_price);
	if (d.err != CL_BATCH_OK) {
		free(tx_start);
		free(d.txs);
		free(out->blocks);
		memset(out, 0, sizeof(*out));
		return d.err;
	}
	out->tx_store = d.txs;
	out->n_txs = d.n_txs;
	for (size_t i = 0; i < out->n_blocks; i++)
		out->blocks[i].txs =
		    out->blocks[i].n_txs ? &out->tx_store[tx_start[i]] : NULL;
	free(tx_start);
	return CL_BATCH_OK;
}

void cl_batch2_release(struct cl_batch2 *b)
{
	free(b->blocks);
	free(b->tx_store);
	memset(b, 0, sizeof(*b));
}
