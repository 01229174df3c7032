/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests: corrupt exactly one thing in exactly one
 * posted batch, at posting time, so that verifiers can be tested against
 * a sequencer that lies. The sequencer's own state, block records and
 * withdrawal proofs stay honest. Only what a sequencer can still forge is
 * offered: fills, closures and liquidations are derived by every
 * verifier, so a forged one is simply a wrong root. The node accepts the
 * option only with a devnet genesis (docs/verifier.md "Fault injection").
 */
#include <clearline/batch.h>
#include <clearline/sequencer.h>

#include <stdlib.h>
#include <string.h>

static const char *const SUB = "fault";

static const struct {
	const char *name;
	enum cl_seq_fault_kind kind;
} kinds[] = {
    {"root", CL_FAULT_ROOT},           {"block-root", CL_FAULT_BLOCK_ROOT},
    {"balance", CL_FAULT_BALANCE},     {"drop", CL_FAULT_DROP},
    {"signature", CL_FAULT_SIGNATURE}, {"time", CL_FAULT_TIME},
    {"l1-ref", CL_FAULT_L1_REF},       {"withdrawal-root", CL_FAULT_WITHDRAWAL_ROOT},
    {"forced", CL_FAULT_FORCED},       {"forced-count", CL_FAULT_FORCED_COUNT},
    {"censor-forced", CL_FAULT_CENSOR_FORCED},
    {"l1-timestamp", CL_FAULT_L1_TIMESTAMP},
    {"asset-deposit", CL_FAULT_ASSET_DEPOSIT},
    {"asset-count", CL_FAULT_ASSET_COUNT},
};

bool cl_seq_fault_parse(struct cl_seq_fault *out, const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < CL_ARRAY_LEN(kinds); i++)
		if (strlen(kinds[i].name) == nlen &&
		    memcmp(kinds[i].name, spec, nlen) == 0)
			out->kind = kinds[i].kind;
	if (out->kind == CL_FAULT_NONE)
		return false;
	if (colon && !cl_parse_u64(&out->at, colon + 1, strlen(colon + 1))) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}

bool cl_seq_fault_valid(const char *spec)
{
	struct cl_seq_fault f;
	return cl_seq_fault_parse(&f, spec);
}

static const char *kind_name(enum cl_seq_fault_kind k)
{
	for (size_t i = 0; i < CL_ARRAY_LEN(kinds); i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "none";
}

/* The first request of `type` in the batch, or NULL; *block its block. */
static struct cl_tx *find_first(struct cl_batch2 *b, enum cl_tx_type type,
				uint64_t *block)
{
	for (size_t i = 0; i < b->n_blocks; i++)
		for (size_t t = 0; t < b->blocks[i].n_txs; t++)
			if (b->blocks[i].txs[t].type == type) {
				*block = b->blocks[i].number;
				return &b->blocks[i].txs[t];
			}
	return NULL;
}

/* Drop the batch's last request; false when it has none. */
static bool drop_last(struct cl_batch2 *b, uint64_t *block)
{
	for (size_t i = b->n_blocks; i-- > 0;) {
		if (b->blocks[i].n_txs == 0)
			continue;
		b->blocks[i].n_txs--;
		*block = b->blocks[i].number;
		return true;
	}
	return false;
}

bool cl_seq_fault_apply(struct cl_seq_fault *f, uint64_t index,
			struct cl_batch2 *b, struct cl_batch_cut *cut)
{
	uint64_t block = cut->last_block;
	struct cl_tx *tx = NULL;

	if (f->kind == CL_FAULT_NONE || index < f->at)
		return false;
	if (f->applied && f->batch != index)
		return false;
	switch (f->kind) {
	case CL_FAULT_ROOT:
		cut->root.b[31] ^= 0x01;
		b->blocks[b->n_blocks - 1].root = cut->root;
		break;
	case CL_FAULT_BLOCK_ROOT:
		if (b->n_blocks < 2)
			return false; /* that would be the batch's root */
		b->blocks[0].root.b[31] ^= 0x01;
		block = b->blocks[0].number;
		break;
	case CL_FAULT_BALANCE:
		tx = find_first(b, CL_TX_DEPOSIT, &block);
		if (!tx)
			return false;
		tx->u.deposit.amount++;
		break;
	case CL_FAULT_SIGNATURE:
		tx = find_first(b, CL_TX_PLACE_ORDER, &block);
		if (!tx)
			return false;
		tx->u.place.sig.b[10] ^= 0x01;
		break;
	case CL_FAULT_DROP:
		if (!drop_last(b, &block))
			return false;
		break;
	case CL_FAULT_TIME: {
		/* the last block, one second beyond its window; the roots
		 * stay as the honest sequencer computed them */
		struct cl_batch2_block *last = &b->blocks[b->n_blocks - 1];
		last->timestamp_ms =
			(last->l1.timestamp + CL_L1_MAX_DRIFT_S + 1) * 1000;
		block = last->number;
		break;
	}
	case CL_FAULT_L1_REF:
		/* every block names an L1 block with another hash */
		for (size_t i = 0; i < b->n_blocks; i++)
			b->blocks[i].l1.hash.b[0] ^= 0x5a;
		block = b->blocks[0].number;
		break;
	case CL_FAULT_WITHDRAWAL_ROOT:
		break; /* the poster flips it in the appendBatch arguments */
	case CL_FAULT_FORCED: {
		/* another request than the account made on L1: a larger
		 * withdrawal, or a withdrawal instead of what it asked */
		tx = find_first(b, CL_TX_FORCED, &block);
		if (!tx)
			return false;
		struct cl_tx_forced *x = &tx->u.forced;
		uint64_t amount = x->kind == CL_FORCED_WITHDRAW ? x->amount : 1;
		struct cl_tx_forced forged = {.id = x->id, .account = x->account,
					      .kind = CL_FORCED_WITHDRAW,
					      .amount = amount == UINT64_MAX
								? amount - 1
								: amount + 1};
		*x = forged;
		break;
	}
	case CL_FAULT_FORCED_COUNT:
		if (!find_first(b, CL_TX_FORCED, &block))
			return false;
		break; /* the poster adds one to forcedConsumed */
	case CL_FAULT_L1_TIMESTAMP:
		break; /* the poster changes it in the appendBatch arguments */
	case CL_FAULT_ASSET_DEPOSIT:
		tx = find_first(b, CL_TX_ASSET_DEPOSIT, &block);
		if (!tx || tx->u.asset_deposit.amount >= INT64_MAX)
			return false;
		tx->u.asset_deposit.amount++;
		break;
	case CL_FAULT_ASSET_COUNT:
		if (!find_first(b, CL_TX_ASSET_DEPOSIT, &block))
			return false;
		break; /* the poster takes one from assetDepositsConsumed */
	case CL_FAULT_CENSOR_FORCED: /* the L1 driver ignores them */
	case CL_FAULT_NONE:
		return false;
	}
	cl_unusual(SUB, "fault injection: %s in batch %llu, block %llu",
		   kind_name(f->kind), (unsigned long long)index,
		   (unsigned long long)block);
	f->applied = true;
	f->batch = index;
	return true;
}
