/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for tests: corrupt exactly one thing in exactly one
 * posted batch, at posting time, so that verifiers can be tested against
 * a sequencer that lies. The sequencer's own state, block records and
 * withdrawal proofs stay honest. The node accepts the option only with a
 * devnet genesis (docs/verifier.md "Fault injection").
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
    {"root", CL_FAULT_ROOT},
    {"fill-size", CL_FAULT_FILL_SIZE},
    {"fill-price", CL_FAULT_FILL_PRICE},
    {"balance", CL_FAULT_BALANCE},
    {"drop", CL_FAULT_DROP},
    {"signature", CL_FAULT_SIGNATURE},
};

/* Offsets inside transaction encodings (docs/protocol.md). */
#define FILL_SIZE_OFF 65      /* type, maker, taker, size */
#define DEPOSIT_AMOUNT_OFF 29 /* type, id, to, amount */
#define PLACE_PRICE_OFF 26    /* type, trader, market, isBuy, price */
#define PLACE_SIG_OFF 59      /* ... then the 65-byte signature */

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

/* Where the corruption goes: block bi, transaction ti. */
struct target {
	size_t bi, ti;
	bool found;
};

static bool is_type(const struct cl_batch_tx *t, enum cl_tx_type type)
{
	return t->len > 0 && t->p[0] == type;
}

static struct target find_first(const struct cl_batch *b, enum cl_tx_type type)
{
	struct target t = {0};
	for (size_t i = 0; i < b->n_blocks && !t.found; i++)
		for (size_t j = 0; j < b->blocks[i].n_txs && !t.found; j++)
			if (is_type(&b->blocks[i].txs[j], type)) {
				t.bi = i;
				t.ti = j;
				t.found = true;
			}
	return t;
}

/* The PLACE_ORDER of the maker of some FILL in the batch. */
static struct target find_maker(const struct cl_batch *b,
				const struct cl_eip712_domain *d)
{
	struct target t = {0};
	for (size_t i = 0; i < b->n_blocks && !t.found; i++) {
		for (size_t j = 0; j < b->blocks[i].n_txs && !t.found; j++) {
			const struct cl_batch_tx *f = &b->blocks[i].txs[j];
			struct cl_tx fill;
			if (!is_type(f, CL_TX_FILL) ||
			    !cl_tx_decode(&fill, f->p, f->len))
				continue;
			for (size_t k = 0; k <= i && !t.found; k++) {
				for (size_t m = 0; m < b->blocks[k].n_txs;
				     m++) {
					const struct cl_batch_tx *p =
					    &b->blocks[k].txs[m];
					struct cl_tx place;
					if (!is_type(p, CL_TX_PLACE_ORDER) ||
					    !cl_tx_decode(&place, p->p, p->len))
						continue;
					cl_tx_recover(&place, d);
					if (cl_hash32_eq(&place.auth.digest,
							 &fill.u.fill.maker)) {
						t.bi = k;
						t.ti = m;
						t.found = true;
						break;
					}
				}
			}
		}
	}
	return t;
}

/* Re-encode the batch with transaction t replaced by (p, len), or
 * removed when p is NULL. */
static void rewrite(struct cl_buf *payload, const struct cl_batch *b,
		    struct target t, const uint8_t *p, size_t len)
{
	struct cl_batch_block *blocks =
	    cl_xcalloc(b->n_blocks, sizeof(*blocks));
	for (size_t i = 0; i < b->n_blocks; i++) {
		blocks[i] = b->blocks[i];
		blocks[i].txs = cl_xcalloc(b->blocks[i].n_txs + 1,
					   sizeof(struct cl_batch_tx));
		size_t n = 0;
		for (size_t j = 0; j < b->blocks[i].n_txs; j++) {
			if (i == t.bi && j == t.ti) {
				if (!p)
					continue;
				blocks[i].txs[n].p = p;
				blocks[i].txs[n].len = len;
				n++;
				continue;
			}
			blocks[i].txs[n++] = b->blocks[i].txs[j];
		}
		blocks[i].n_txs = n;
	}
	struct cl_buf out;
	cl_buf_init(&out);
	cl_batch_encode_payload(&out, blocks, b->n_blocks);
	for (size_t i = 0; i < b->n_blocks; i++)
		free(blocks[i].txs);
	free(blocks);
	cl_buf_reset(payload);
	cl_buf_append(payload, out.p, out.len);
	cl_buf_release(&out);
}

bool cl_seq_fault_apply(struct cl_seq_fault *f, uint64_t index,
			struct cl_buf *payload, struct cl_batch_cut *cut,
			const struct cl_eip712_domain *domain)
{
	struct cl_batch_limits lim;
	struct cl_batch b;
	struct target t = {0};
	uint8_t tx[CL_TX_MAX_LEN];
	size_t len = 0;
	bool drop = false;

	if (f->kind == CL_FAULT_NONE || index < f->at)
		return false;
	if (f->applied && f->batch != index)
		return false;
	if (f->kind == CL_FAULT_ROOT) {
		cut->root.b[31] ^= 0x01;
		goto done;
	}
	cl_batch_limits_default(&lim);
	if (cl_batch_parse_payload(&b, payload->p, payload->len, &lim) !=
	    CL_BATCH_OK)
		return false;
	switch (f->kind) {
	case CL_FAULT_FILL_SIZE:
		t = find_first(&b, CL_TX_FILL);
		break;
	case CL_FAULT_FILL_PRICE:
		t = find_maker(&b, domain);
		break;
	case CL_FAULT_BALANCE:
		t = find_first(&b, CL_TX_DEPOSIT);
		break;
	case CL_FAULT_SIGNATURE:
		t = find_first(&b, CL_TX_PLACE_ORDER);
		break;
	case CL_FAULT_DROP:
		for (size_t i = b.n_blocks; i-- > 0 && !t.found;) {
			if (b.blocks[i].n_txs) {
				t.bi = i;
				t.ti = b.blocks[i].n_txs - 1;
				t.found = true;
			}
		}
		drop = true;
		break;
	case CL_FAULT_NONE:
	case CL_FAULT_ROOT:
		break;
	}
	if (!t.found) {
		cl_batch_release(&b);
		return false;
	}
	const struct cl_batch_tx *src = &b.blocks[t.bi].txs[t.ti];
	len = src->len;
	CL_REQUIRE(len <= sizeof(tx));
	memcpy(tx, src->p, len);
	switch (f->kind) {
	case CL_FAULT_FILL_SIZE: {
		uint64_t s = cl_get_be64(tx + FILL_SIZE_OFF);
		cl_put_be64(tx + FILL_SIZE_OFF, s > 1 ? s - 1 : s + 1);
		break;
	}
	case CL_FAULT_FILL_PRICE: {
		uint64_t p = cl_get_be64(tx + PLACE_PRICE_OFF);
		cl_put_be64(tx + PLACE_PRICE_OFF, p + 1);
		break;
	}
	case CL_FAULT_BALANCE: {
		uint64_t a = cl_get_be64(tx + DEPOSIT_AMOUNT_OFF);
		cl_put_be64(tx + DEPOSIT_AMOUNT_OFF, a + 1);
		break;
	}
	case CL_FAULT_SIGNATURE:
		tx[PLACE_SIG_OFF + 10] ^= 0x01;
		break;
	case CL_FAULT_DROP:
	case CL_FAULT_NONE:
	case CL_FAULT_ROOT:
		break;
	}
	uint64_t blockno = b.blocks[t.bi].number;
	rewrite(payload, &b, t, drop ? NULL : tx, len);
	cl_batch_release(&b);
	cl_unusual(SUB,
		   "fault injection: %s in batch %llu, block %llu, tx "
		   "%zu",
		   kind_name(f->kind), (unsigned long long)index,
		   (unsigned long long)blockno, t.ti);
	f->applied = true;
	f->batch = index;
	return true;
done:
	cl_unusual(SUB, "fault injection: %s in batch %llu, block %llu",
		   kind_name(f->kind), (unsigned long long)index,
		   (unsigned long long)cut->last_block);
	f->applied = true;
	f->batch = index;
	return true;
}
