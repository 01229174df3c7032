/* SPDX-License-Identifier: MIT */
/* Transactions: strict decoding, canonical encoding, hashes, kinds
 * (signer recovery: tx_recover.c). */
#include "stf_int.h"

#include <string.h>

bool cl_order_flags_valid(uint8_t flags)
{
	unsigned tif = cl_order_tif(flags);

	if (flags & ~(CL_ORDER_REDUCE_ONLY | CL_ORDER_POST_ONLY |
		      CL_ORDER_TIF_MASK))
		return false;
	if (tif > CL_TIF_FOK)
		return false;
	if ((flags & CL_ORDER_POST_ONLY) && tif != CL_TIF_GTC)
		return false;
	return true;
}

const char *cl_tx_type_str(int type)
{
	switch (type) {
	case CL_TX_DEPOSIT:
		return "deposit";
	case CL_TX_PLACE_ORDER:
		return "place_order";
	case CL_TX_FILL:
		return "fill";
	case CL_TX_CANCEL:
		return "cancel";
	case CL_TX_WITHDRAW:
		return "withdraw";
	case CL_TX_APPROVE_AGENT:
		return "approve_agent";
	case CL_TX_ORACLE_PRICE:
		return "oracle_price";
	case CL_TX_ORDER_DONE:
		return "order_done";
	case CL_TX_ORACLE_UPDATE:
		return "oracle_update";
	case CL_TX_LIQUIDATE:
		return "liquidate";
	case CL_TX_ADL:
		return "adl";
	case CL_TX_LIQUIDATE_FILL:
		return "liquidate_fill";
	case CL_TX_FUND_FILL:
		return "fund_fill";
	case CL_TX_REINDEX:
		return "reindex";
	case CL_TX_FORCED:
		return "forced";
	case CL_TX_SCHEDULE_CANCEL:
		return "schedule_cancel";
	case CL_TX_CLIENT_ORDER:
		return "client_order";
	case CL_TX_TRIGGER_ORDER:
		return "trigger_order";
	case CL_TX_SCALE_ORDER:
		return "scale_order";
	case CL_TX_TWAP_ORDER:
		return "twap_order";
	case CL_TX_ASSET_DEPOSIT:
		return "asset_deposit";
	case CL_TX_COLLATERAL_SALE:
		return "collateral_sale";
	case CL_TX_MARGIN_MODE:
		return "margin_mode";
	case CL_TX_ISOLATED_MARGIN:
		return "isolated_margin";
	case CL_TX_SUBACCOUNT_TRANSFER:
		return "subaccount_transfer";
	case CL_TX_ASSET_WITHDRAW:
		return "asset_withdraw";
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		return "subaccount_asset_transfer";
	case CL_TX_PORTFOLIO_MODE:
		return "portfolio_mode";
	case CL_TX_OPTION_LIST:
		return "option_list";
	case CL_TX_ORACLE_SURFACE:
		return "oracle_surface";
	case CL_TX_OPTION_SETTLE:
		return "option_settle";
	}
	return "unknown";
}

static void cur_addr(struct cl_cursor *c, struct cl_address *a)
{
	cl_cur_bytes(c, a->b, sizeof(a->b));
}

static void cur_hash(struct cl_cursor *c, struct cl_hash32 *h)
{
	cl_cur_bytes(c, h->b, sizeof(h->b));
}

static void cur_sig(struct cl_cursor *c, struct cl_sig *s)
{
	cl_cur_bytes(c, s->b, sizeof(s->b));
}

/* A canonical boolean: exactly 0 or 1. */
static bool cur_bool(struct cl_cursor *c)
{
	uint8_t v = cl_cur_u8(c);
	if (v > 1)
		cl_cur_fail(c);
	return v == 1;
}

static void decode_order(struct cl_cursor *c, struct cl_order *o)
{
	cur_addr(c, &o->trader);
	o->market = cl_cur_be32(c);
	o->is_buy = cur_bool(c);
	o->price = cl_cur_be64(c);
	o->size = cl_cur_be64(c);
	o->nonce = cl_cur_be64(c);
	o->expiry = cl_cur_be64(c);
	o->flags = cl_cur_u8(c);
}

/* The fields a forced request's kind uses, and only those. */
static void decode_forced(struct cl_cursor *c, struct cl_tx_forced *f)
{
	f->id = cl_cur_be64(c);
	cur_addr(c, &f->account);
	uint8_t kind = cl_cur_u8(c);
	f->kind = (enum cl_forced_kind)kind;
	switch (kind) {
	case CL_FORCED_WITHDRAW:
		f->amount = cl_cur_be64(c);
		if (f->amount == 0)
			cl_cur_fail(c);
		return;
	case CL_FORCED_CANCEL:
		f->order_seq = cl_cur_be64(c);
		return;
	case CL_FORCED_CANCEL_ALL:
		return;
	case CL_FORCED_CLOSE:
		f->market = cl_cur_be32(c);
		f->price = cl_cur_be64(c);
		if (f->price == 0)
			cl_cur_fail(c);
		return;
	default:
		cl_cur_fail(c);
		return;
	}
}

bool cl_tx_decode(struct cl_tx *out, const uint8_t *p, size_t len)
{
	struct cl_cursor c;
	uint8_t type;

	memset(out, 0, sizeof(*out));
	cl_cur_init(&c, p, len);
	type = cl_cur_u8(&c);
	switch (type) {
	case CL_TX_DEPOSIT: {
		struct cl_tx_deposit *d = &out->u.deposit;
		d->id = cl_cur_be64(&c);
		cur_addr(&c, &d->to);
		d->amount = cl_cur_be64(&c);
		break;
	}
	case CL_TX_PLACE_ORDER:
		decode_order(&c, &out->u.place.order);
		cur_sig(&c, &out->u.place.sig);
		break;
	case CL_TX_FILL:
		cur_hash(&c, &out->u.fill.maker);
		cur_hash(&c, &out->u.fill.taker);
		out->u.fill.size = cl_cur_be64(&c);
		break;
	case CL_TX_CANCEL:
		cur_addr(&c, &out->u.cancel.msg.trader);
		cur_hash(&c, &out->u.cancel.msg.order_hash);
		cur_sig(&c, &out->u.cancel.sig);
		break;
	case CL_TX_WITHDRAW: {
		struct cl_withdraw *w = &out->u.withdraw.msg;
		cur_addr(&c, &w->trader);
		cur_addr(&c, &w->recipient);
		w->amount = cl_cur_be64(&c);
		w->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.withdraw.sig);
		break;
	}
	case CL_TX_APPROVE_AGENT: {
		struct cl_approve_agent *a = &out->u.approve.msg;
		cur_addr(&c, &a->trader);
		cur_addr(&c, &a->agent);
		a->expiry = cl_cur_be64(&c);
		a->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.approve.sig);
		break;
	}
	case CL_TX_ORACLE_PRICE: {
		struct cl_tx_oracle *o = &out->u.oracle;
		o->msg.market = cl_cur_be32(&c);
		o->msg.price = cl_cur_be64(&c);
		o->msg.timestamp = cl_cur_be64(&c);
		o->n_sigs = cl_cur_u8(&c);
		if (o->n_sigs > CL_TX_ORACLE_MAX_SIGS) {
			cl_cur_fail(&c);
			break;
		}
		for (uint32_t i = 0; i < o->n_sigs; i++)
			cur_sig(&c, &o->sigs[i]);
		break;
	}
	case CL_TX_ORDER_DONE: {
		uint8_t r;
		cur_hash(&c, &out->u.done.order_hash);
		r = cl_cur_u8(&c);
		if (r == 0 || r > CL_DONE_REASON_MAX)
			cl_cur_fail(&c);
		out->u.done.reason = (enum cl_done_reason)r;
		break;
	}
	case CL_TX_ORACLE_SURFACE:
		stf_surface_decode(&c, &out->u.oracle_surface);
		break;
	case CL_TX_OPTION_LIST:
		stf_option_list_decode(&c, &out->u.option_list);
		break;
	case CL_TX_OPTION_SETTLE:
		cur_addr(&c, &out->u.option_settle.account);
		out->u.option_settle.market = cl_cur_be32(&c);
		break;
	case CL_TX_ORACLE_UPDATE: {
		struct cl_tx_oracle_update *o = &out->u.oracle_update;
		o->market = cl_cur_be32(&c);
		o->n = cl_cur_u8(&c);
		if (o->n == 0 || o->n > CL_TX_ORACLE_MAX_ENTRIES) {
			cl_cur_fail(&c);
			break;
		}
		for (uint32_t i = 0; i < o->n; i++) {
			o->e[i].price = cl_cur_be64(&c);
			o->e[i].timestamp = cl_cur_be64(&c);
			cur_sig(&c, &o->e[i].sig);
		}
		break;
	}
	case CL_TX_LIQUIDATE:
		cur_addr(&c, &out->u.liquidate.account);
		out->u.liquidate.market = cl_cur_be32(&c);
		out->u.liquidate.size = cl_cur_be64(&c);
		break;
	case CL_TX_ADL: {
		struct cl_tx_adl *a = &out->u.adl;
		cur_addr(&c, &a->account);
		a->market = cl_cur_be32(&c);
		a->size = cl_cur_be64(&c);
		a->n = cl_cur_u8(&c);
		if (a->n == 0 || a->n > CL_TX_ADL_MAX) {
			cl_cur_fail(&c);
			break;
		}
		for (uint32_t i = 0; i < a->n; i++)
			cur_addr(&c, &a->counterparty[i]);
		break;
	}
	case CL_TX_LIQUIDATE_FILL:
		cur_addr(&c, &out->u.liquidate_fill.account);
		cur_hash(&c, &out->u.liquidate_fill.maker);
		out->u.liquidate_fill.size = cl_cur_be64(&c);
		break;
	case CL_TX_FUND_FILL:
		cur_hash(&c, &out->u.fund_fill.maker);
		out->u.fund_fill.size = cl_cur_be64(&c);
		break;
	case CL_TX_REINDEX: {
		struct cl_tx_reindex *r = &out->u.reindex;
		r->n = cl_cur_u8(&c);
		if (r->n == 0 || r->n > CL_TX_REINDEX_MAX) {
			cl_cur_fail(&c);
			break;
		}
		for (uint32_t i = 0; i < r->n; i++)
			cur_addr(&c, &r->account[i]);
		break;
	}
	case CL_TX_FORCED:
		decode_forced(&c, &out->u.forced);
		break;
	case CL_TX_SCHEDULE_CANCEL: {
		struct cl_schedule_cancel *m = &out->u.schedule_cancel.msg;
		cur_addr(&c, &m->trader);
		m->time = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.schedule_cancel.sig);
		break;
	}
	case CL_TX_TWAP_ORDER: {
		struct cl_twap_order *m = &out->u.twap.msg;
		cur_addr(&c, &m->trader);
		m->market = cl_cur_be32(&c);
		m->is_buy = cur_bool(&c);
		m->size = cl_cur_be64(&c);
		m->interval = cl_cur_be64(&c);
		m->slices = cl_cur_be32(&c);
		m->slippage_ppm = cl_cur_be32(&c);
		m->nonce = cl_cur_be64(&c);
		m->reduce_only = cur_bool(&c);
		cur_sig(&c, &out->u.twap.sig);
		break;
	}
	case CL_TX_SCALE_ORDER: {
		struct cl_scale_order *m = &out->u.scale.msg;
		cur_addr(&c, &m->trader);
		m->market = cl_cur_be32(&c);
		m->is_buy = cur_bool(&c);
		m->nonce = cl_cur_be64(&c);
		m->expiry = cl_cur_be64(&c);
		m->flags = cl_cur_u8(&c);
		m->n = cl_cur_u8(&c);
		if (m->n == 0 || m->n > CL_SCALE_MAX) {
			cl_cur_fail(&c);
			break;
		}
		for (uint32_t i = 0; i < m->n; i++) {
			m->price[i] = cl_cur_be64(&c);
			m->size[i] = cl_cur_be64(&c);
		}
		cur_sig(&c, &out->u.scale.sig);
		break;
	}
	case CL_TX_TRIGGER_ORDER: {
		struct cl_trigger_order *m = &out->u.trigger.msg;
		cur_addr(&c, &m->trader);
		m->market = cl_cur_be32(&c);
		m->is_buy = cur_bool(&c);
		m->trigger_price = cl_cur_be64(&c);
		m->trigger_above = cur_bool(&c);
		m->price = cl_cur_be64(&c);
		m->size = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		m->expiry = cl_cur_be64(&c);
		m->flags = cl_cur_u8(&c);
		m->group = cl_cur_be64(&c);
		m->position_bound = cur_bool(&c);
		cur_sig(&c, &out->u.trigger.sig);
		break;
	}
	case CL_TX_CLIENT_ORDER: {
		static const struct cl_cloid zero;
		decode_order(&c, &out->u.place.order);
		cl_cur_bytes(&c, out->u.place.cloid.b, CL_CLOID_LEN);
		cur_sig(&c, &out->u.place.sig);
		if (memcmp(out->u.place.cloid.b, zero.b, CL_CLOID_LEN) == 0)
			cl_cur_fail(&c); /* an order without an id is type 2 */
		break;
	}
	case CL_TX_ASSET_DEPOSIT: {
		struct cl_tx_asset_deposit *d = &out->u.asset_deposit;
		d->id = cl_cur_be64(&c);
		d->asset = cl_cur_be32(&c);
		cur_addr(&c, &d->to);
		d->amount = cl_cur_be64(&c);
		break;
	}
	case CL_TX_COLLATERAL_SALE: {
		struct cl_tx_collateral_sale *t = &out->u.collateral_sale;
		cur_addr(&c, &t->account);
		t->asset = cl_cur_be32(&c);
		t->amount = cl_cur_be64(&c);
		break;
	}
	case CL_TX_PORTFOLIO_MODE: {
		struct cl_portfolio_mode *m = &out->u.portfolio_mode.msg;
		cur_addr(&c, &m->trader);
		m->enabled = cur_bool(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.portfolio_mode.sig);
		break;
	}
	case CL_TX_MARGIN_MODE: {
		struct cl_margin_mode *m = &out->u.margin_mode.msg;
		cur_addr(&c, &m->trader);
		m->market = cl_cur_be32(&c);
		m->isolated = cur_bool(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.margin_mode.sig);
		break;
	}
	case CL_TX_ISOLATED_MARGIN: {
		struct cl_isolated_margin *m = &out->u.isolated_margin.msg;
		cur_addr(&c, &m->trader);
		m->market = cl_cur_be32(&c);
		m->add = cur_bool(&c);
		m->amount = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.isolated_margin.sig);
		break;
	}
	case CL_TX_SUBACCOUNT_TRANSFER: {
		struct cl_subaccount_transfer *m =
			&out->u.subaccount_transfer.msg;
		cur_addr(&c, &m->trader);
		m->from = cl_cur_be32(&c);
		m->to = cl_cur_be32(&c);
		m->amount = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.subaccount_transfer.sig);
		break;
	}
	case CL_TX_ASSET_WITHDRAW: {
		struct cl_asset_withdraw *m = &out->u.asset_withdraw.msg;
		cur_addr(&c, &m->trader);
		cur_addr(&c, &m->recipient);
		m->asset = cl_cur_be32(&c);
		m->amount = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.asset_withdraw.sig);
		break;
	}
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER: {
		struct cl_subaccount_asset_transfer *m =
			&out->u.subaccount_asset_transfer.msg;
		cur_addr(&c, &m->trader);
		m->from = cl_cur_be32(&c);
		m->to = cl_cur_be32(&c);
		m->asset = cl_cur_be32(&c);
		m->amount = cl_cur_be64(&c);
		m->nonce = cl_cur_be64(&c);
		cur_sig(&c, &out->u.subaccount_asset_transfer.sig);
		break;
	}
	default:
		cl_cur_fail(&c);
		break;
	}
	if (!cl_cur_done(&c)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->type = (enum cl_tx_type)type;
	return true;
}

static void encode_order(struct cl_buf *b, const struct cl_order *o)
{
	cl_buf_append(b, o->trader.b, 20);
	cl_buf_append_be32(b, o->market);
	cl_buf_append_byte(b, o->is_buy ? 1 : 0);
	cl_buf_append_be64(b, o->price);
	cl_buf_append_be64(b, o->size);
	cl_buf_append_be64(b, o->nonce);
	cl_buf_append_be64(b, o->expiry);
	cl_buf_append_byte(b, o->flags);
}

void cl_tx_encode(struct cl_buf *b, const struct cl_tx *tx)
{
	cl_buf_reserve(b, cl_tx_encoded_len(tx));
	cl_buf_append_byte(b, (uint8_t)tx->type);
	switch (tx->type) {
	case CL_TX_DEPOSIT:
		cl_buf_append_be64(b, tx->u.deposit.id);
		cl_buf_append(b, tx->u.deposit.to.b, 20);
		cl_buf_append_be64(b, tx->u.deposit.amount);
		return;
	case CL_TX_PLACE_ORDER:
		encode_order(b, &tx->u.place.order);
		cl_buf_append(b, tx->u.place.sig.b, CL_SIG_LEN);
		return;
	case CL_TX_FILL:
		cl_buf_append(b, tx->u.fill.maker.b, 32);
		cl_buf_append(b, tx->u.fill.taker.b, 32);
		cl_buf_append_be64(b, tx->u.fill.size);
		return;
	case CL_TX_CANCEL:
		cl_buf_append(b, tx->u.cancel.msg.trader.b, 20);
		cl_buf_append(b, tx->u.cancel.msg.order_hash.b, 32);
		cl_buf_append(b, tx->u.cancel.sig.b, CL_SIG_LEN);
		return;
	case CL_TX_WITHDRAW:
		cl_buf_append(b, tx->u.withdraw.msg.trader.b, 20);
		cl_buf_append(b, tx->u.withdraw.msg.recipient.b, 20);
		cl_buf_append_be64(b, tx->u.withdraw.msg.amount);
		cl_buf_append_be64(b, tx->u.withdraw.msg.nonce);
		cl_buf_append(b, tx->u.withdraw.sig.b, CL_SIG_LEN);
		return;
	case CL_TX_APPROVE_AGENT:
		cl_buf_append(b, tx->u.approve.msg.trader.b, 20);
		cl_buf_append(b, tx->u.approve.msg.agent.b, 20);
		cl_buf_append_be64(b, tx->u.approve.msg.expiry);
		cl_buf_append_be64(b, tx->u.approve.msg.nonce);
		cl_buf_append(b, tx->u.approve.sig.b, CL_SIG_LEN);
		return;
	case CL_TX_ORACLE_PRICE:
		CL_REQUIRE(tx->u.oracle.n_sigs <= CL_TX_ORACLE_MAX_SIGS);
		cl_buf_append_be32(b, tx->u.oracle.msg.market);
		cl_buf_append_be64(b, tx->u.oracle.msg.price);
		cl_buf_append_be64(b, tx->u.oracle.msg.timestamp);
		cl_buf_append_byte(b, (uint8_t)tx->u.oracle.n_sigs);
		for (uint32_t i = 0; i < tx->u.oracle.n_sigs; i++)
			cl_buf_append(b, tx->u.oracle.sigs[i].b, CL_SIG_LEN);
		return;
	case CL_TX_ORDER_DONE:
		CL_REQUIRE(tx->u.done.reason >= 1 &&
			   tx->u.done.reason <= CL_DONE_REASON_MAX);
		cl_buf_append(b, tx->u.done.order_hash.b, 32);
		cl_buf_append_byte(b, (uint8_t)tx->u.done.reason);
		return;
	case CL_TX_ORACLE_SURFACE:
		stf_surface_encode(b, &tx->u.oracle_surface);
		return;
	case CL_TX_OPTION_LIST:
		stf_option_list_encode(b, &tx->u.option_list);
		return;
	case CL_TX_OPTION_SETTLE:
		cl_buf_append(b, tx->u.option_settle.account.b, 20);
		cl_buf_append_be32(b, tx->u.option_settle.market);
		return;
	case CL_TX_ORACLE_UPDATE: {
		const struct cl_tx_oracle_update *o = &tx->u.oracle_update;
		CL_REQUIRE(o->n >= 1 && o->n <= CL_TX_ORACLE_MAX_ENTRIES);
		cl_buf_append_be32(b, o->market);
		cl_buf_append_byte(b, (uint8_t)o->n);
		for (uint32_t i = 0; i < o->n; i++) {
			cl_buf_append_be64(b, o->e[i].price);
			cl_buf_append_be64(b, o->e[i].timestamp);
			cl_buf_append(b, o->e[i].sig.b, CL_SIG_LEN);
		}
		return;
	}
	case CL_TX_LIQUIDATE:
		cl_buf_append(b, tx->u.liquidate.account.b, 20);
		cl_buf_append_be32(b, tx->u.liquidate.market);
		cl_buf_append_be64(b, tx->u.liquidate.size);
		return;
	case CL_TX_ADL: {
		const struct cl_tx_adl *a = &tx->u.adl;
		CL_REQUIRE(a->n >= 1 && a->n <= CL_TX_ADL_MAX);
		cl_buf_append(b, a->account.b, 20);
		cl_buf_append_be32(b, a->market);
		cl_buf_append_be64(b, a->size);
		cl_buf_append_byte(b, (uint8_t)a->n);
		for (uint32_t i = 0; i < a->n; i++)
			cl_buf_append(b, a->counterparty[i].b, 20);
		return;
	}
	case CL_TX_LIQUIDATE_FILL:
		cl_buf_append(b, tx->u.liquidate_fill.account.b, 20);
		cl_buf_append(b, tx->u.liquidate_fill.maker.b, 32);
		cl_buf_append_be64(b, tx->u.liquidate_fill.size);
		return;
	case CL_TX_FUND_FILL:
		cl_buf_append(b, tx->u.fund_fill.maker.b, 32);
		cl_buf_append_be64(b, tx->u.fund_fill.size);
		return;
	case CL_TX_REINDEX: {
		const struct cl_tx_reindex *r = &tx->u.reindex;
		CL_REQUIRE(r->n >= 1 && r->n <= CL_TX_REINDEX_MAX);
		cl_buf_append_byte(b, (uint8_t)r->n);
		for (uint32_t i = 0; i < r->n; i++)
			cl_buf_append(b, r->account[i].b, 20);
		return;
	}
	case CL_TX_FORCED: {
		const struct cl_tx_forced *f = &tx->u.forced;
		cl_buf_append_be64(b, f->id);
		cl_buf_append(b, f->account.b, 20);
		cl_buf_append_byte(b, (uint8_t)f->kind);
		switch (f->kind) {
		case CL_FORCED_WITHDRAW:
			CL_REQUIRE(f->amount > 0);
			cl_buf_append_be64(b, f->amount);
			return;
		case CL_FORCED_CANCEL:
			cl_buf_append_be64(b, f->order_seq);
			return;
		case CL_FORCED_CANCEL_ALL:
			return;
		case CL_FORCED_CLOSE:
			CL_REQUIRE(f->price > 0);
			cl_buf_append_be32(b, f->market);
			cl_buf_append_be64(b, f->price);
			return;
		}
		CL_BUG("encoding a forced request of kind %d", (int)f->kind);
	}
	case CL_TX_SCHEDULE_CANCEL: {
		const struct cl_tx_schedule_cancel *sc = &tx->u.schedule_cancel;
		cl_buf_append(b, sc->msg.trader.b, 20);
		cl_buf_append_be64(b, sc->msg.time);
		cl_buf_append_be64(b, sc->msg.nonce);
		cl_buf_append(b, sc->sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_CLIENT_ORDER:
		encode_order(b, &tx->u.place.order);
		cl_buf_append(b, tx->u.place.cloid.b, CL_CLOID_LEN);
		cl_buf_append(b, tx->u.place.sig.b, CL_SIG_LEN);
		return;
	case CL_TX_TWAP_ORDER: {
		const struct cl_twap_order *m = &tx->u.twap.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->market);
		cl_buf_append_byte(b, m->is_buy ? 1 : 0);
		cl_buf_append_be64(b, m->size);
		cl_buf_append_be64(b, m->interval);
		cl_buf_append_be32(b, m->slices);
		cl_buf_append_be32(b, m->slippage_ppm);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append_byte(b, m->reduce_only ? 1 : 0);
		cl_buf_append(b, tx->u.twap.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_SCALE_ORDER: {
		const struct cl_scale_order *m = &tx->u.scale.msg;
		CL_REQUIRE(m->n >= 1 && m->n <= CL_SCALE_MAX);
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->market);
		cl_buf_append_byte(b, m->is_buy ? 1 : 0);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append_be64(b, m->expiry);
		cl_buf_append_byte(b, m->flags);
		cl_buf_append_byte(b, (uint8_t)m->n);
		for (uint32_t i = 0; i < m->n; i++) {
			cl_buf_append_be64(b, m->price[i]);
			cl_buf_append_be64(b, m->size[i]);
		}
		cl_buf_append(b, tx->u.scale.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_TRIGGER_ORDER: {
		const struct cl_trigger_order *m = &tx->u.trigger.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->market);
		cl_buf_append_byte(b, m->is_buy ? 1 : 0);
		cl_buf_append_be64(b, m->trigger_price);
		cl_buf_append_byte(b, m->trigger_above ? 1 : 0);
		cl_buf_append_be64(b, m->price);
		cl_buf_append_be64(b, m->size);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append_be64(b, m->expiry);
		cl_buf_append_byte(b, m->flags);
		cl_buf_append_be64(b, m->group);
		cl_buf_append_byte(b, m->position_bound ? 1 : 0);
		cl_buf_append(b, tx->u.trigger.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_ASSET_DEPOSIT:
		cl_buf_append_be64(b, tx->u.asset_deposit.id);
		cl_buf_append_be32(b, tx->u.asset_deposit.asset);
		cl_buf_append(b, tx->u.asset_deposit.to.b, 20);
		cl_buf_append_be64(b, tx->u.asset_deposit.amount);
		return;
	case CL_TX_COLLATERAL_SALE:
		cl_buf_append(b, tx->u.collateral_sale.account.b, 20);
		cl_buf_append_be32(b, tx->u.collateral_sale.asset);
		cl_buf_append_be64(b, tx->u.collateral_sale.amount);
		return;
	case CL_TX_PORTFOLIO_MODE: {
		const struct cl_portfolio_mode *m = &tx->u.portfolio_mode.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_byte(b, m->enabled ? 1 : 0);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.portfolio_mode.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_MARGIN_MODE: {
		const struct cl_margin_mode *m = &tx->u.margin_mode.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->market);
		cl_buf_append_byte(b, m->isolated ? 1 : 0);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.margin_mode.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_ISOLATED_MARGIN: {
		const struct cl_isolated_margin *m = &tx->u.isolated_margin.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->market);
		cl_buf_append_byte(b, m->add ? 1 : 0);
		cl_buf_append_be64(b, m->amount);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.isolated_margin.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_SUBACCOUNT_TRANSFER: {
		const struct cl_subaccount_transfer *m =
			&tx->u.subaccount_transfer.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->from);
		cl_buf_append_be32(b, m->to);
		cl_buf_append_be64(b, m->amount);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.subaccount_transfer.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_ASSET_WITHDRAW: {
		const struct cl_asset_withdraw *m = &tx->u.asset_withdraw.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append(b, m->recipient.b, 20);
		cl_buf_append_be32(b, m->asset);
		cl_buf_append_be64(b, m->amount);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.asset_withdraw.sig.b, CL_SIG_LEN);
		return;
	}
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER: {
		const struct cl_subaccount_asset_transfer *m =
			&tx->u.subaccount_asset_transfer.msg;
		cl_buf_append(b, m->trader.b, 20);
		cl_buf_append_be32(b, m->from);
		cl_buf_append_be32(b, m->to);
		cl_buf_append_be32(b, m->asset);
		cl_buf_append_be64(b, m->amount);
		cl_buf_append_be64(b, m->nonce);
		cl_buf_append(b, tx->u.subaccount_asset_transfer.sig.b,
			      CL_SIG_LEN);
		return;
	}
	}
	CL_BUG("encoding a transaction of unknown type %d", (int)tx->type);
}

size_t cl_tx_encoded_len(const struct cl_tx *tx)
{
	switch (tx->type) {
	case CL_TX_DEPOSIT:
		return 1 + 8 + 20 + 8;
	case CL_TX_PLACE_ORDER:
		return 1 + 20 + 4 + 1 + 4 * 8 + 1 + CL_SIG_LEN;
	case CL_TX_FILL:
		return 1 + 32 + 32 + 8;
	case CL_TX_CANCEL:
		return 1 + 20 + 32 + CL_SIG_LEN;
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
		return 1 + 20 + 20 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_ORACLE_PRICE:
		return 1 + 4 + 8 + 8 + 1 +
		       (size_t)tx->u.oracle.n_sigs * CL_SIG_LEN;
	case CL_TX_ORDER_DONE:
		return 1 + 32 + 1;
	case CL_TX_ORACLE_SURFACE:
		return stf_surface_len(&tx->u.oracle_surface);
	case CL_TX_OPTION_LIST:
		return stf_option_list_len(&tx->u.option_list);
	case CL_TX_OPTION_SETTLE:
		return 1 + 20 + 4;
	case CL_TX_ORACLE_UPDATE:
		return 1 + 4 + 1 +
		       (size_t)tx->u.oracle_update.n * (8 + 8 + CL_SIG_LEN);
	case CL_TX_LIQUIDATE:
		return 1 + 20 + 4 + 8;
	case CL_TX_ADL:
		return 1 + 20 + 4 + 8 + 1 + (size_t)tx->u.adl.n * 20;
	case CL_TX_LIQUIDATE_FILL:
		return 1 + 20 + 32 + 8;
	case CL_TX_FUND_FILL:
		return 1 + 32 + 8;
	case CL_TX_REINDEX:
		return 1 + 1 + (size_t)tx->u.reindex.n * 20;
	case CL_TX_FORCED:
		switch (tx->u.forced.kind) {
		case CL_FORCED_WITHDRAW:
		case CL_FORCED_CANCEL:
			return 1 + 8 + 20 + 1 + 8;
		case CL_FORCED_CANCEL_ALL:
			return 1 + 8 + 20 + 1;
		case CL_FORCED_CLOSE:
			return 1 + 8 + 20 + 1 + 4 + 8;
		}
		CL_BUG("forced request of unknown kind %d",
		       (int)tx->u.forced.kind);
	case CL_TX_SCHEDULE_CANCEL:
		return 1 + 20 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_CLIENT_ORDER:
		return 1 + 20 + 4 + 1 + 4 * 8 + 1 + CL_CLOID_LEN + CL_SIG_LEN;
	case CL_TX_TRIGGER_ORDER:
		return 1 + 20 + 4 + 1 + 8 + 1 + 4 * 8 + 1 + 8 + 1 + CL_SIG_LEN;
	case CL_TX_TWAP_ORDER:
		return 1 + 20 + 4 + 1 + 8 + 8 + 4 + 4 + 8 + 1 + CL_SIG_LEN;
	case CL_TX_SCALE_ORDER:
		return 1 + 20 + 4 + 1 + 8 + 8 + 1 + 1 +
		       (size_t)tx->u.scale.msg.n * 16 + CL_SIG_LEN;
	case CL_TX_ASSET_DEPOSIT:
		return 1 + 8 + 4 + 20 + 8;
	case CL_TX_COLLATERAL_SALE:
		return 1 + 20 + 4 + 8;
	case CL_TX_MARGIN_MODE:
		return 1 + 20 + 4 + 1 + 8 + CL_SIG_LEN;
	case CL_TX_ISOLATED_MARGIN:
		return 1 + 20 + 4 + 1 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_SUBACCOUNT_TRANSFER:
		return 1 + 20 + 4 + 4 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_ASSET_WITHDRAW:
		return 1 + 20 + 20 + 4 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		return 1 + 20 + 4 + 4 + 4 + 8 + 8 + CL_SIG_LEN;
	case CL_TX_PORTFOLIO_MODE:
		return 1 + 20 + 1 + 8 + CL_SIG_LEN;
	}
	CL_BUG("unknown transaction type %d", (int)tx->type);
}

void cl_tx_hash(struct cl_hash32 *out, const struct cl_tx *tx)
{
	struct cl_buf b;

	cl_buf_init(&b);
	cl_tx_encode(&b, tx);
	cl_keccak256(out->b, b.p, b.len);
	cl_buf_release(&b);
}

bool cl_tx_is_request(enum cl_tx_type type)
{
	switch (type) {
	case CL_TX_DEPOSIT:
	case CL_TX_PLACE_ORDER:
	case CL_TX_CANCEL:
	case CL_TX_WITHDRAW:
	case CL_TX_APPROVE_AGENT:
	case CL_TX_ORACLE_PRICE:
	case CL_TX_ORACLE_UPDATE:
	case CL_TX_ORACLE_SURFACE:
	case CL_TX_FORCED:
	case CL_TX_SCHEDULE_CANCEL:
	case CL_TX_CLIENT_ORDER:
	case CL_TX_TRIGGER_ORDER:
	case CL_TX_SCALE_ORDER:
	case CL_TX_TWAP_ORDER:
	case CL_TX_ASSET_DEPOSIT:
	case CL_TX_MARGIN_MODE:
	case CL_TX_ISOLATED_MARGIN:
	case CL_TX_SUBACCOUNT_TRANSFER:
	case CL_TX_ASSET_WITHDRAW:
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
	case CL_TX_PORTFOLIO_MODE:
	case CL_TX_OPTION_LIST:
		return true;
	case CL_TX_FILL:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_ORDER_DONE:
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_OPTION_SETTLE:
		return false;
	}
	return false;
}

bool cl_tx_is_order(enum cl_tx_type type)
{
	return type == CL_TX_PLACE_ORDER || type == CL_TX_CLIENT_ORDER;
}
