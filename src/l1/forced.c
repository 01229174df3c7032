/* SPDX-License-Identifier: MIT */
/*
 * Forced requests read from L1 (docs/l1.md "Forced requests"): the L2
 * request a ForcedRequest event asks for. The watcher that delivers the
 * events is watcher.c's, opened with cl_l1_forced_watcher_open().
 */
#include <string.h>

#include "l1_int.h"

bool cl_l1_forced_tx(struct cl_tx *out, const struct cl_l1_forced *f)
{
	struct cl_tx_forced *x = &out->u.forced;

	memset(out, 0, sizeof(*out));
	out->type = CL_TX_FORCED;
	x->id = f->id;
	x->account = f->account;
	switch (f->kind) {
	case CL_FORCED_WITHDRAW:
		if (f->a == 0 || f->b != 0)
			goto bad;
		x->amount = f->a;
		break;
	case CL_FORCED_CANCEL:
		if (f->b != 0)
			goto bad;
		x->order_seq = f->a;
		break;
	case CL_FORCED_CANCEL_ALL:
		if (f->a != 0 || f->b != 0)
			goto bad;
		break;
	case CL_FORCED_CLOSE:
		if (f->a > UINT32_MAX || f->b == 0)
			goto bad;
		x->market = (uint32_t)f->a;
		x->price = f->b;
		break;
	default:
		goto bad;
	}
	x->kind = (enum cl_forced_kind)f->kind;
	return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}
