/* SPDX-License-Identifier: MIT */
/*
 * The sender's state file (docs/l1-client.md "Nonce manager and its
 * file"): one file per key under the data folder, the transactions it
 * may have on L1 with every signed version's hash, written before a
 * version is sent.
 * Encoding and decoding only; the sender (sender.c) decides when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l1_int.h"

/* ------------------------------------------------------------------ */
/* State file                                                          */
/* ------------------------------------------------------------------ */

void l1_sender_file_name(char out[80], const struct cl_address *from)
{
	char hex[41];

	cl_hex_encode(hex, from->b, 20, false);
	snprintf(out, 80, "l1-sender-0x%s.dat", hex);
}

static void put_tx(struct cl_buf *b, const struct cl_l1_tx *t)
{
	cl_buf_append_be64(b, t->id);
	cl_buf_append_be64(b, t->nonce);
	cl_buf_append_byte(b, (uint8_t)t->state);
	cl_buf_append_byte(b, t->has_to);
	cl_buf_append(b, t->to.b, 20);
	cl_buf_append(b, t->value, 32);
	cl_buf_append_be64(b, t->gas_limit);
	cl_buf_append_be64(b, t->max_fee);
	cl_buf_append_be64(b, t->priority_fee);
	cl_buf_append_be32(b, (uint32_t)t->data_len);
	cl_buf_append(b, t->data, t->data_len);
	cl_buf_append_byte(b, (uint8_t)t->n_hashes);
	for (size_t i = 0; i < t->n_hashes; i++)
		cl_buf_append(b, t->hashes[i].b, 32);
	cl_buf_append(b, t->mined_hash.b, 32);
	cl_buf_append_be64(b, t->block_number);
	cl_buf_append(b, t->block_hash.b, 32);
	cl_buf_append_byte(b, t->success);
	cl_buf_append_be64(b, t->gas_used);
	cl_buf_append_be64(b, t->effective_gas_price);
}

static bool get_tx(struct cl_cursor *c, struct cl_l1_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->id = cl_cur_be64(c);
	t->nonce = cl_cur_be64(c);
	uint8_t state = cl_cur_u8(c);
	uint8_t has_to = cl_cur_u8(c);
	cl_cur_bytes(c, t->to.b, 20);
	cl_cur_bytes(c, t->value, 32);
	t->gas_limit = cl_cur_be64(c);
	t->max_fee = cl_cur_be64(c);
	t->priority_fee = cl_cur_be64(c);
	uint32_t dlen = cl_cur_be32(c);
	if (c->failed || state > CL_L1_TX_FAILED || has_to > 1 ||
	    dlen > SENDER_MAX_DATA)
		return false;
	t->state = (enum cl_l1_tx_state)state;
	t->has_to = has_to;
	const uint8_t *d = cl_cur_borrow(c, dlen);
	if (!d)
		return false;
	if (dlen) {
		t->data = cl_xmalloc(dlen);
		memcpy(t->data, d, dlen);
	}
	t->data_len = dlen;
	uint8_t nh = cl_cur_u8(c);
	if (nh > CL_L1_TX_VERSIONS)
		return false;
	t->n_hashes = nh;
	for (size_t i = 0; i < nh; i++)
		cl_cur_bytes(c, t->hashes[i].b, 32);
	cl_cur_bytes(c, t->mined_hash.b, 32);
	t->block_number = cl_cur_be64(c);
	cl_cur_bytes(c, t->block_hash.b, 32);
	uint8_t ok = cl_cur_u8(c);
	t->success = ok == 1;
	t->gas_used = cl_cur_be64(c);
	t->effective_gas_price = cl_cur_be64(c);
	return !c->failed && ok <= 1;
}

int cl_l1_sender_file_save(const char *dir, const struct cl_l1_sender_file *f)
{
	struct cl_buf b;
	char name[80];

	CL_REQUIRE(f->n <= SENDER_MAX_TXS);
	cl_buf_init(&b);
	cl_buf_append_be64(&b, f->chain_id);
	cl_buf_append(&b, f->from.b, 20);
	cl_buf_append_be64(&b, f->next_nonce);
	cl_buf_append_be64(&b, f->next_id);
	cl_buf_append_be32(&b, (uint32_t)f->n);
	for (size_t i = 0; i < f->n; i++)
		put_tx(&b, &f->txs[i]);
	l1_sender_file_name(name, &f->from);
	int rc =
	    l1_file_write(dir, name, SENDER_MAGIC, SENDER_VERSION, b.p, b.len);
	cl_buf_release(&b);
	return rc;
}

void cl_l1_sender_file_release(struct cl_l1_sender_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		l1_tx_clear(&f->txs[i]);
	free(f->txs);
	memset(f, 0, sizeof(*f));
}

/* Rules a stored file must meet beyond its encoding. */
static bool file_consistent(const struct cl_l1_sender_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct cl_l1_tx *t = &f->txs[i];
		if (t->id >= f->next_id || t->nonce >= f->next_nonce)
			return false;
		if (i && t->id <= f->txs[i - 1].id)
			return false;
		if (t->state != CL_L1_TX_QUEUED &&
		    t->state != CL_L1_TX_FAILED && t->n_hashes == 0)
			return false;
	}
	return true;
}

int cl_l1_sender_file_load(struct cl_l1_sender_file *out, const char *dir,
			   const struct cl_address *from)
{
	struct cl_buf b;
	struct cl_cursor c;
	char name[80];

	memset(out, 0, sizeof(*out));
	cl_buf_init(&b);
	l1_sender_file_name(name, from);
	int rc = l1_file_read(&b, dir, name, SENDER_MAGIC, SENDER_VERSION);
	if (rc != CL_OK)
		goto out;
	cl_cur_init(&c, b.p, b.len);
	out->chain_id = cl_cur_be64(&c);
	cl_cur_bytes(&c, out->from.b, 20);
	out->next_nonce = cl_cur_be64(&c);
	out->next_id = cl_cur_be64(&c);
	uint32_t n = cl_cur_be32(&c);
	if (c.failed || n > SENDER_MAX_TXS)
		goto corrupt;
	if (n)
		out->txs = cl_xcalloc(n, sizeof(*out->txs));
	for (uint32_t i = 0; i < n; i++) {
		out->n = i + 1;
		if (!get_tx(&c, &out->txs[i]))
			goto corrupt;
	}
	if (!cl_cur_done(&c) || !cl_address_eq(&out->from, from) ||
	    !file_consistent(out))
		goto corrupt;
	goto out;
corrupt:
	cl_unusual(L1_LOG, "%s/%s: contents do not decode", dir, name);
	cl_l1_sender_file_release(out);
	rc = CL_ERR_CORRUPT;
out:
	cl_buf_release(&b);
	return rc;
}

