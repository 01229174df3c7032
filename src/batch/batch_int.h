/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the version 2 encoder and decoder: the canonical
 * varint, zigzag deltas, the head byte and the signature's v code
 * (docs/batch-format.md "Version 2").
 */
#ifndef CLEARLINE_BATCH_INT_H
#define CLEARLINE_BATCH_INT_H

#include <clearline/batch.h>

/* Head byte of a PLACE_ORDER: bit 7 set, flags in bits 0-3, is_buy in
 * bit 4, the v code in bits 5-6. */
#define B2_HEAD_ORDER 0x80u
#define B2_ORDER_FLAGS_MASK 0x0fu
#define B2_ORDER_BUY 0x10u
#define B2_ORDER_V_SHIFT 5
/* Head byte of the other types: bit 7 clear, the stf type in bits 0-3,
 * the v code in bits 4-5 (signed single-signature types), bit 6 zero. */
#define B2_HEAD_TYPE_MASK 0x0fu
#define B2_HEAD_V_SHIFT 4
#define B2_HEAD_RESERVED 0x40u
/* Bit 6 set: an extended type, 16 + bits 0-3 (SCHEDULE_CANCEL,
 * CLIENT_ORDER); a CLIENT_ORDER's flags and isBuy follow in a byte laid
 * out as in the PLACE_ORDER head (bits 0-3 flags, bit 4 isBuy). */
#define B2_HEAD_EXT B2_HEAD_RESERVED
#define B2_EXT_BASE 16u
/* Bit 6 clear and type 0: a wide type, whose number (32..255) follows
 * in the next byte; the fields as for an extended type. */
#define B2_WIDE_MIN 32u
/* A TRIGGER_ORDER's flag byte: the order flags and isBuy as above, bit 5
 * triggerAbove, bit 6 positionBound. */
#define B2_TRIG_ABOVE 0x20u
#define B2_TRIG_BOUND 0x40u
/* A TWAP_ORDER's flag byte: bit 4 isBuy, bit 5 reduceOnly. */
#define B2_TWAP_RO 0x20u

/* Block flags: the L1 reference is the previous block's. */
#define B2_BLOCK_SAME_L1 0x01u

/* r ‖ s of a signature; v travels as a 2-bit code. */
#define B2_SIG_RS 64
/* A varint is at most 10 bytes (64 bits, 7 per byte). */
#define B2_VARINT_MAX 10
/* Smallest encodings, for bounds before allocating: a block is a flag,
 * a time, a root and a count. */
#define B2_MIN_BLOCK (1 + 1 + 32 + 1)

/* Append `v` as a canonical unsigned LEB128 varint. */
static inline void b2_put_varint(struct cl_buf *b, uint64_t v)
{
	uint8_t tmp[B2_VARINT_MAX];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	cl_buf_append(b, tmp, n);
}

/* The zigzag code of the wrapping difference a - b, so that small
 * differences of either sign are small numbers. Exact on all of u64. */
static inline uint64_t b2_zigzag(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;

	return (d << 1) ^ (0 - (d >> 63));
}

/* Inverse of b2_zigzag: the a with b2_zigzag(a, base) == z. */
static inline uint64_t b2_unzigzag(uint64_t z, uint64_t base)
{
	uint64_t d = (z >> 1) ^ (0 - (z & 1));

	return base + d;
}

/* v code of a signature's last byte: 0, 1, 27, 28 -> 0..3; -1 when v2
 * cannot carry it. */
static inline int b2_v_code(uint8_t v)
{
	switch (v) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 27:
		return 2;
	case 28:
		return 3;
	}
	return -1;
}

static inline uint8_t b2_v_byte(unsigned code)
{
	static const uint8_t v[4] = {0, 1, 27, 28};

	return v[code & 3];
}

#endif /* CLEARLINE_BATCH_INT_H */
