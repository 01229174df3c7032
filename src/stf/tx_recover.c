/* SPDX-License-Identifier: MIT */
/*
 * Signer recovery of a transaction: each request's EIP-712 digest under
 * the chain's domain, and the signers recovered from its signatures into
 * tx->auth (docs/crypto.md). Runs on the ingress threads, in parallel;
 * the stf then only reads tx->auth.
 */
#include "stf_int.h"

#include <string.h>

void cl_tx_recover(struct cl_tx *tx, const struct cl_eip712_domain *d)
{
	struct cl_tx_auth *a = &tx->auth;

	memset(a, 0, sizeof(*a));
	a->separator = d->separator;
	switch (tx->type) {
	case CL_TX_DEPOSIT:
	case CL_TX_FILL:
	case CL_TX_ORDER_DONE:
		break;
	case CL_TX_PLACE_ORDER:
		a->err[0] = cl_order_recover(&a->signer[0], &a->digest, d,
					     &tx->u.place.order,
					     tx->u.place.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_CLIENT_ORDER: {
		struct cl_client_order co = {.order = tx->u.place.order,
					     .cloid = tx->u.place.cloid};
		a->err[0] = cl_client_order_recover(&a->signer[0], &a->digest,
						    d, &co, tx->u.place.sig.b,
						    CL_SIG_LEN);
		break;
	}
	case CL_TX_TWAP_ORDER:
		a->err[0] = cl_twap_order_recover(&a->signer[0], &a->digest, d,
						  &tx->u.twap.msg,
						  tx->u.twap.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_SCALE_ORDER:
		a->err[0] = cl_scale_order_recover(&a->signer[0], &a->digest, d,
						   &tx->u.scale.msg,
						   tx->u.scale.sig.b,
						   CL_SIG_LEN);
		break;
	case CL_TX_TRIGGER_ORDER:
		a->err[0] = cl_trigger_order_recover(&a->signer[0], &a->digest,
						     d, &tx->u.trigger.msg,
						     tx->u.trigger.sig.b,
						     CL_SIG_LEN);
		break;
	case CL_TX_SCHEDULE_CANCEL:
		a->err[0] = cl_schedule_cancel_recover(
			&a->signer[0], &a->digest, d,
			&tx->u.schedule_cancel.msg,
			tx->u.schedule_cancel.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_CANCEL:
		a->err[0] = cl_cancel_recover(&a->signer[0], &a->digest, d,
					      &tx->u.cancel.msg,
					      tx->u.cancel.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_WITHDRAW:
		a->err[0] = cl_withdraw_recover(&a->signer[0], &a->digest, d,
						&tx->u.withdraw.msg,
						tx->u.withdraw.sig.b,
						CL_SIG_LEN);
		break;
	case CL_TX_APPROVE_AGENT:
		a->err[0] = cl_approve_agent_recover(&a->signer[0], &a->digest,
						     d, &tx->u.approve.msg,
						     tx->u.approve.sig.b,
						     CL_SIG_LEN);
		break;
	case CL_TX_OPTION_LIST:
		a->err[0] = cl_option_list_recover(
			&a->signer[0], &a->digest, d, &tx->u.option_list.msg,
			tx->u.option_list.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_PORTFOLIO_MODE:
		a->err[0] = cl_portfolio_mode_recover(
			&a->signer[0], &a->digest, d,
			&tx->u.portfolio_mode.msg, tx->u.portfolio_mode.sig.b,
			CL_SIG_LEN);
		break;
	case CL_TX_MARGIN_MODE:
		a->err[0] = cl_margin_mode_recover(&a->signer[0], &a->digest,
						   d, &tx->u.margin_mode.msg,
						   tx->u.margin_mode.sig.b,
						   CL_SIG_LEN);
		break;
	case CL_TX_ISOLATED_MARGIN:
		a->err[0] = cl_isolated_margin_recover(
			&a->signer[0], &a->digest, d,
			&tx->u.isolated_margin.msg,
			tx->u.isolated_margin.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_SUBACCOUNT_TRANSFER:
		a->err[0] = cl_subaccount_transfer_recover(
			&a->signer[0], &a->digest, d,
			&tx->u.subaccount_transfer.msg,
			tx->u.subaccount_transfer.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_ASSET_WITHDRAW:
		a->err[0] = cl_asset_withdraw_recover(
			&a->signer[0], &a->digest, d, &tx->u.asset_withdraw.msg,
			tx->u.asset_withdraw.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_SUBACCOUNT_ASSET_TRANSFER:
		a->err[0] = cl_subaccount_asset_transfer_recover(
			&a->signer[0], &a->digest, d,
			&tx->u.subaccount_asset_transfer.msg,
			tx->u.subaccount_asset_transfer.sig.b, CL_SIG_LEN);
		break;
	case CL_TX_ORACLE_PRICE:
		CL_REQUIRE(tx->u.oracle.n_sigs <= CL_TX_ORACLE_MAX_SIGS);
		cl_oracle_price_digest(&a->digest, d, &tx->u.oracle.msg);
		for (uint32_t i = 0; i < tx->u.oracle.n_sigs; i++)
			a->err[i] = cl_sig_recover(&a->signer[i], &a->digest,
						   tx->u.oracle.sigs[i].b,
						   CL_SIG_LEN);
		break;
	case CL_TX_ORACLE_SURFACE:
		stf_surface_recover(a, d, &tx->u.oracle_surface);
		break;
	case CL_TX_ORACLE_UPDATE: {
		const struct cl_tx_oracle_update *o = &tx->u.oracle_update;
		CL_REQUIRE(o->n <= CL_TX_ORACLE_MAX_ENTRIES);
		for (uint32_t i = 0; i < o->n; i++) {
			struct cl_oracle_price msg = {.market = o->market,
						      .price = o->e[i].price,
						      .timestamp =
							      o->e[i].timestamp};
			struct cl_hash32 dg;
			a->err[i] = cl_oracle_price_recover(
				&a->signer[i], &dg, d, &msg, o->e[i].sig.b,
				CL_SIG_LEN);
			if (i == 0)
				a->digest = dg;
		}
		break;
	}
	case CL_TX_LIQUIDATE:
	case CL_TX_ADL:
	case CL_TX_LIQUIDATE_FILL:
	case CL_TX_FUND_FILL:
	case CL_TX_REINDEX:
	case CL_TX_FORCED:
	case CL_TX_ASSET_DEPOSIT:
	case CL_TX_COLLATERAL_SALE:
	case CL_TX_OPTION_SETTLE:
		break;
	}
	a->recovered = true;
}
