/* SPDX-License-Identifier: MIT */
/*
 * ORACLE_SURFACE's bytes: its canonical encoding, decoding and the
 * EIP-712 digest of each signer's slice (docs/protocol.md
 * "ORACLE_SURFACE", docs/options.md "The surface in the stf"). tx.c
 * calls these from its per-type switches.
 */
#include "stf_int.h"

#include <string.h>

#define SURFACE_TYPE                                                       \
	"OracleSurface(uint32 market,uint64 expiry,int64 a,int64 b,"       \
	"int64 rho,int64 m,int64 s,uint64 timestamp)"

void stf_surface_decode(struct cl_cursor *c, struct cl_tx_oracle_surface *o)
{
	o->market = cl_cur_be32(c);
	o->expiry = cl_cur_be64(c);
	o->n = cl_cur_u8(c);
	if (o->n == 0 || o->n > CL_TX_ORACLE_MAX_ENTRIES) {
		o->n = 0;
		cl_cur_fail(c);
		return;
	}
	for (uint32_t i = 0; i < o->n; i++) {
		struct cl_surface_entry *e = &o->e[i];

		e->a = (int64_t)cl_cur_be64(c);
		e->b = (int64_t)cl_cur_be64(c);
		e->rho = (int64_t)cl_cur_be64(c);
		e->m = (int64_t)cl_cur_be64(c);
		e->s = (int64_t)cl_cur_be64(c);
		e->timestamp = cl_cur_be64(c);
		cl_cur_bytes(c, e->sig.b, CL_SIG_LEN);
	}
}

void stf_surface_encode(struct cl_buf *b, const struct cl_tx_oracle_surface *o)
{
	CL_REQUIRE(o->n >= 1 && o->n <= CL_TX_ORACLE_MAX_ENTRIES);
	cl_buf_append_be32(b, o->market);
	cl_buf_append_be64(b, o->expiry);
	cl_buf_append_byte(b, (uint8_t)o->n);
	for (uint32_t i = 0; i < o->n; i++) {
		const struct cl_surface_entry *e = &o->e[i];

		cl_buf_append_be64(b, (uint64_t)e->a);
		cl_buf_append_be64(b, (uint64_t)e->b);
		cl_buf_append_be64(b, (uint64_t)e->rho);
		cl_buf_append_be64(b, (uint64_t)e->m);
		cl_buf_append_be64(b, (uint64_t)e->s);
		cl_buf_append_be64(b, e->timestamp);
		cl_buf_append(b, e->sig.b, CL_SIG_LEN);
	}
}

size_t stf_surface_len(const struct cl_tx_oracle_surface *o)
{
	return 1 + 4 + 8 + 1 + (size_t)o->n * CL_TX_SURFACE_ENTRY_LEN;
}

/* One EIP-712 word: an unsigned or a sign-extended signed integer. */
static void word_u64(struct cl_keccak *k, uint64_t v)
{
	uint8_t w[32] = {0};

	for (int i = 0; i < 8; i++)
		w[31 - i] = (uint8_t)(v >> (8 * i));
	cl_keccak_update(k, w, 32);
}

static void word_i64(struct cl_keccak *k, int64_t v)
{
	uint8_t w[32];

	memset(w, v < 0 ? 0xff : 0, 24);
	for (int i = 0; i < 8; i++)
		w[31 - i] = (uint8_t)((uint64_t)v >> (8 * i));
	cl_keccak_update(k, w, 32);
}

void cl_surface_entry_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_tx_oracle_surface *t, uint32_t i)
{
	const struct cl_surface_entry *e = &t->e[i];
	struct cl_hash32 sh;
	uint8_t th[32];
	struct cl_keccak k;

	CL_REQUIRE(i < t->n && t->n <= CL_TX_ORACLE_MAX_ENTRIES);
	cl_keccak256(th, SURFACE_TYPE, sizeof(SURFACE_TYPE) - 1);
	cl_keccak_init(&k);
	cl_keccak_update(&k, th, 32);
	word_u64(&k, t->market);
	word_u64(&k, t->expiry);
	word_i64(&k, e->a);
	word_i64(&k, e->b);
	word_i64(&k, e->rho);
	word_i64(&k, e->m);
	word_i64(&k, e->s);
	word_u64(&k, e->timestamp);
	cl_keccak_final(&k, sh.b);
	cl_eip712_digest(out, d, &sh);
}

void stf_surface_recover(struct cl_tx_auth *a, const struct cl_eip712_domain *d,
			 const struct cl_tx_oracle_surface *o)
{
	CL_REQUIRE(o->n <= CL_TX_ORACLE_MAX_ENTRIES);
	for (uint32_t i = 0; i < o->n; i++) {
		struct cl_hash32 dg;

		cl_surface_entry_digest(&dg, d, o, i);
		a->err[i] = cl_sig_recover(&a->signer[i], &dg, o->e[i].sig.b,
					   CL_SIG_LEN);
		if (i == 0)
			a->digest = dg;
	}
}
