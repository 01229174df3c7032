/* SPDX-License-Identifier: MIT */
/*
 * common — the primitives every other module stands on.
 *
 * What lives here: error conventions, strict hex, a growable byte buffer,
 * big-endian field access, checked integer arithmetic with named rounding,
 * keccak256, RLP (encoder and a strict, canonical-only decoder), logging,
 * and the one accessor each for the wall clock and for randomness.
 *
 * Invariants and rules:
 *  - Nothing here allocates except struct cl_buf, and allocation failure
 *    aborts (there is no recovery path for out of memory).
 *  - Every value operation that can fail (parsing, arithmetic) returns a bool
 *    marked CL_WUR; on failure the output is zeroed, never half-written.
 *  - No floating point anywhere.
 *  - All functions are thread-safe unless they say otherwise; logging may be
 *    called from any thread.
 *  - cl_clock_*() and cl_randbytes() are the ONLY wall-clock and randomness
 *    sources of the project; the state transition function uses neither.
 */
#ifndef CLEARLINE_COMMON_H
#define CLEARLINE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Attributes and error conventions                                    */
/* ------------------------------------------------------------------ */

#define CL_WUR __attribute__((warn_unused_result))
#define CL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CL_NORETURN __attribute__((noreturn))
#define CL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Three kinds of failure (see docs/conventions.md):
 *  1. bugs: CL_BUG()/CL_REQUIRE() log a `broken` line and abort;
 *  2. system failures: negative enum cl_err codes, forwarded unchanged and
 *     logged once where they start;
 *  3. domain outcomes: positive per-module codes (declared by each module).
 */
enum cl_err {
	CL_OK = 0,
	CL_ERR_IO = -1,       /* read/write/fsync/open failed */
	CL_ERR_DB = -2,       /* storage engine failure */
	CL_ERR_MAP_FULL = -3, /* storage map is full: raise map size */
	CL_ERR_CORRUPT = -4,  /* stored data does not decode or verify */
	CL_ERR_NET = -5,      /* network failure */
	CL_ERR_TIMEOUT = -6,  /* an operation ran out of time */
	CL_ERR_CONFIG = -7,   /* bad configuration or arguments */
	CL_ERR_CRYPTO = -8,   /* crypto library refused (bad key, ...) */
	CL_ERR_BUSY = -9,     /* resource busy (lock held, queue full) */
	CL_ERR_NOT_FOUND = -10,
	CL_ERR_PRUNED = -11, /* kept in part only: the rest was pruned */
};

/* A short, lowercase, static description of a cl_err code. */
const char *cl_err_str(int err);

CL_NORETURN void cl_bug_at(const char *file, int line, const char *fmt, ...)
	CL_PRINTF(3, 4);
#define CL_BUG(...) cl_bug_at(__FILE__, __LINE__, __VA_ARGS__)
#define CL_REQUIRE(cond)                                                   \
	do {                                                               \
		if (__builtin_expect(!(cond), 0))                          \
			cl_bug_at(__FILE__, __LINE__, "requirement failed: %s", \
				  #cond);                                  \
	} while (0)

/* Abort-on-failure allocation (out of memory is not recoverable here). */
void *cl_xmalloc(size_t n);
void *cl_xcalloc(size_t n, size_t size);
void *cl_xrealloc(void *p, size_t n);
char *cl_xstrdup(const char *s);

/* ------------------------------------------------------------------ */
/* Fixed-size byte strings                                             */
/* ------------------------------------------------------------------ */

struct cl_hash32 {
	uint8_t b[32];
};

struct cl_address {
	uint8_t b[20];
};

static inline bool cl_hash32_eq(const struct cl_hash32 *a,
				const struct cl_hash32 *b)
{
	return __builtin_memcmp(a->b, b->b, 32) == 0;
}

static inline bool cl_address_eq(const struct cl_address *a,
				 const struct cl_address *b)
{
	return __builtin_memcmp(a->b, b->b, 20) == 0;
}

/* Constant-time comparison of two equally long buffers. */
bool cl_ct_equal(const void *a, const void *b, size_t len);

/* Big-endian field access (serialisation never memcpy's a struct). */
static inline void cl_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void cl_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static inline void cl_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static inline uint16_t cl_get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t cl_get_be32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}
static inline uint64_t cl_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ------------------------------------------------------------------ */
/* Hex                                                                 */
/* ------------------------------------------------------------------ */

/* How a hex string's "0x" prefix is treated; there is no silent default. */
enum cl_hex_prefix {
	CL_HEX_NO_PREFIX, /* "0x" is an error */
	CL_HEX_0X,        /* "0x" (or "0X") is required */
	CL_HEX_0X_OPT,    /* "0x" may or may not be there */
};

/*
 * Decode exactly `outlen` bytes from `hex` (`hexlen` characters, no NUL
 * needed). Upper- and lower-case digits are accepted. Fails (and zeroes
 * `out`) on a wrong length, an odd digit count, a non-hex character or a
 * prefix that `prefix` does not allow.
 */
CL_WUR bool cl_hex_decode(uint8_t *out, size_t outlen, const char *hex,
			  size_t hexlen, enum cl_hex_prefix prefix);

/*
 * Decode a hex string of any even length up to `cap` bytes into `out`,
 * storing the byte count in `*outlen`. Same failure rules as cl_hex_decode,
 * plus failure when the result would exceed `cap`.
 */
CL_WUR bool cl_hex_decode_var(uint8_t *out, size_t cap, size_t *outlen,
			      const char *hex, size_t hexlen,
			      enum cl_hex_prefix prefix);

/*
 * Encode `len` bytes as lowercase hex into `out`, NUL-terminated. With
 * `with_0x` the output starts with "0x". `out` must hold
 * 2*len + 1 (+2 with_0x) characters. Returns the string length.
 */
size_t cl_hex_encode(char *out, const uint8_t *in, size_t len, bool with_0x);

/* Same, into a freshly allocated string the caller frees. */
char *cl_hex_encode_alloc(const uint8_t *in, size_t len, bool with_0x);

/* ------------------------------------------------------------------ */
/* Growable byte buffer                                                */
/* ------------------------------------------------------------------ */

struct cl_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

void cl_buf_init(struct cl_buf *b);
void cl_buf_release(struct cl_buf *b);
void cl_buf_reset(struct cl_buf *b); /* len = 0, keeps capacity */
void cl_buf_reserve(struct cl_buf *b, size_t extra);
void cl_buf_append(struct cl_buf *b, const void *p, size_t len);
void cl_buf_append_byte(struct cl_buf *b, uint8_t v);
void cl_buf_append_be32(struct cl_buf *b, uint32_t v);
void cl_buf_append_be64(struct cl_buf *b, uint64_t v);

/*
 * Cursor-style reader for hostile bytes: any short read marks the cursor
 * failed and zeroes the requested output; the caller checks `failed` (or
 * cl_cur_done()) once at the end.
 */
struct cl_cursor {
	const uint8_t *p;
	size_t len;
	bool failed;
};

void cl_cur_init(struct cl_cursor *c, const uint8_t *p, size_t len);
void cl_cur_bytes(struct cl_cursor *c, void *out, size_t n);
/* Borrow n bytes in place; NULL (and failed) on a short read. */
const uint8_t *cl_cur_borrow(struct cl_cursor *c, size_t n);
uint8_t cl_cur_u8(struct cl_cursor *c);
uint16_t cl_cur_be16(struct cl_cursor *c);
uint32_t cl_cur_be32(struct cl_cursor *c);
uint64_t cl_cur_be64(struct cl_cursor *c);
/* Mark the cursor failed (for a semantic error found by the caller). */
void cl_cur_fail(struct cl_cursor *c);
/* True when nothing failed and every byte was consumed. */
CL_WUR bool cl_cur_done(const struct cl_cursor *c);

/* ------------------------------------------------------------------ */
/* Checked integer arithmetic                                          */
/* ------------------------------------------------------------------ */
/*
 * Every operation returns false on overflow (or division by zero) and then
 * stores 0 in *out. Rounding direction is part of the name: _down rounds
 * toward negative infinity (floor), _up toward positive infinity (ceiling).
 * Products are formed in __int128 so a*b/c is exact before rounding.
 */
CL_WUR bool cl_add_u64(uint64_t *out, uint64_t a, uint64_t b);
CL_WUR bool cl_sub_u64(uint64_t *out, uint64_t a, uint64_t b);
CL_WUR bool cl_mul_u64(uint64_t *out, uint64_t a, uint64_t b);
CL_WUR bool cl_add_i64(int64_t *out, int64_t a, int64_t b);
CL_WUR bool cl_sub_i64(int64_t *out, int64_t a, int64_t b);
CL_WUR bool cl_mul_i64(int64_t *out, int64_t a, int64_t b);
CL_WUR bool cl_neg_i64(int64_t *out, int64_t a);

/* a * b / d, floor or ceiling; d must be > 0 (d == 0 fails). */
CL_WUR bool cl_muldiv_u64_down(uint64_t *out, uint64_t a, uint64_t b,
			       uint64_t d);
CL_WUR bool cl_muldiv_u64_up(uint64_t *out, uint64_t a, uint64_t b,
			     uint64_t d);
CL_WUR bool cl_muldiv_i64_down(int64_t *out, int64_t a, int64_t b,
			       int64_t d);
CL_WUR bool cl_muldiv_i64_up(int64_t *out, int64_t a, int64_t b, int64_t d);

/* Floor and ceiling division of signed values; d must be nonzero. */
CL_WUR bool cl_div_i64_down(int64_t *out, int64_t a, int64_t d);
CL_WUR bool cl_div_i64_up(int64_t *out, int64_t a, int64_t d);

/* 10^n for n <= 19; fails above. */
CL_WUR bool cl_pow10_u64(uint64_t *out, unsigned n);

/* Narrowing from __int128 (the result of a product chain). */
CL_WUR bool cl_i128_to_i64(int64_t *out, __int128 v);
CL_WUR bool cl_i128_to_u64(uint64_t *out, __int128 v);

/*
 * Money types: one integer in a struct so a price cannot be passed as a
 * size. Units (docs/conventions.md "Numbers", fixed): an amount is collateral atoms
 * (signed, so PnL and debits fit); a price is p * 10^-priceDecimals
 * collateral per base unit; a size is s * 10^-sizeDecimals base units.
 */
struct cl_amount {
	int64_t atoms;
};
struct cl_price {
	uint64_t v;
};
struct cl_size {
	uint64_t v;
};

/*
 * notional = price * size * 10^scale_exp in collateral atoms, where
 * scale_exp = collateralDecimals - priceDecimals - sizeDecimals (may be
 * negative, down to -38). Rounded as named; fails on overflow of int64.
 */
CL_WUR bool cl_notional_down(struct cl_amount *out, struct cl_price p,
			     struct cl_size s, int scale_exp);
CL_WUR bool cl_notional_up(struct cl_amount *out, struct cl_price p,
			   struct cl_size s, int scale_exp);

/*
 * Decimal text <-> integers, strict: ASCII digits only, no sign (except
 * the i64 parser's leading '-'), no spaces, no leading zeros ("0" itself is
 * fine), no overflow. `len` characters are read; no NUL needed.
 */
CL_WUR bool cl_parse_u64(uint64_t *out, const char *s, size_t len);
CL_WUR bool cl_parse_i64(int64_t *out, const char *s, size_t len);
/* A decimal of up to 78 digits (no leading zeros) into a 32-byte
 * big-endian unsigned integer (wei amounts, uint256); fails above 2^256-1. */
CL_WUR bool cl_parse_u256_be(uint8_t out[32], const char *s, size_t len);
/* Writes a NUL-terminated decimal; out must hold 21 bytes. Returns length. */
size_t cl_fmt_u64(char out[21], uint64_t v);
size_t cl_fmt_i64(char out[21], int64_t v);

/* ------------------------------------------------------------------ */
/* keccak256 (original Keccak padding, as Ethereum uses)               */
/* ------------------------------------------------------------------ */

struct cl_keccak {
	uint64_t st[25];
	size_t pos; /* bytes absorbed into the current block */
};

void cl_keccak_init(struct cl_keccak *k);
void cl_keccak_update(struct cl_keccak *k, const void *in, size_t len);
void cl_keccak_final(struct cl_keccak *k, uint8_t out[32]);
void cl_keccak256(uint8_t out[32], const void *in, size_t len);

/* ------------------------------------------------------------------ */
/* RLP                                                                 */
/* ------------------------------------------------------------------ */
/*
 * Encoding appends to a cl_buf. Lists: remember the offset returned by
 * cl_rlp_list_begin(), append the items, then cl_rlp_list_end() writes the
 * header in front of them.
 */
void cl_rlp_put_bytes(struct cl_buf *b, const void *p, size_t len);
/* An unsigned integer: big-endian, no leading zeros, 0 is the empty string. */
void cl_rlp_put_u64(struct cl_buf *b, uint64_t v);
/* A big-endian unsigned integer of any width; leading zeros are stripped. */
void cl_rlp_put_uint_be(struct cl_buf *b, const uint8_t *be, size_t len);
size_t cl_rlp_list_begin(struct cl_buf *b);
void cl_rlp_list_end(struct cl_buf *b, size_t start);

/*
 * Strict decoding. Rejected: a length field with leading zeros, a long form
 * where the short form fits (including 0x81 followed by a byte < 0x80),
 * lengths running past the input, and (for the _full functions) trailing
 * bytes. An item borrows the input buffer.
 */
struct cl_rlp_item {
	bool is_list;
	const uint8_t *payload; /* the string's bytes, or the list's items */
	size_t len;
};

/* Read one item from the front of (p, len); *used gets its encoded size. */
CL_WUR bool cl_rlp_read(struct cl_rlp_item *it, size_t *used, const uint8_t *p,
			size_t len);
/* Exactly one item covering the whole input. */
CL_WUR bool cl_rlp_decode_full(struct cl_rlp_item *it, const uint8_t *p,
			       size_t len);
/* Check the whole input is one canonical item, recursing into lists up to
 * `max_depth` levels. */
CL_WUR bool cl_rlp_validate(const uint8_t *p, size_t len, unsigned max_depth);
/* Iterate a list's items: set *pos = 0 first; returns false at the end or
 * on a malformed item (then *failed is set). */
CL_WUR bool cl_rlp_list_next(struct cl_rlp_item *out, const struct cl_rlp_item *list,
			     size_t *pos, bool *failed);
/* A canonical unsigned integer string into u64. */
CL_WUR bool cl_rlp_get_u64(uint64_t *out, const struct cl_rlp_item *it);

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

enum cl_log_level {
	CL_LOG_TRACE = 0,
	CL_LOG_DEBUG,
	CL_LOG_INFO,
	CL_LOG_UNUSUAL, /* can happen in production, worth a look */
	CL_LOG_BROKEN,  /* a bug: integration tests fail on it */
};

extern int cl_log_min_level; /* default CL_LOG_INFO */

/* Parse "trace|debug|info|unusual|broken"; false if unknown. */
CL_WUR bool cl_log_level_parse(enum cl_log_level *out, const char *s);
const char *cl_log_level_name(enum cl_log_level l);
/* Send log lines to a file descriptor (default 2, stderr). */
void cl_log_set_fd(int fd);
void cl_log_emit(enum cl_log_level lvl, const char *subsys, const char *fmt,
		 ...) CL_PRINTF(3, 4);

/* The level check comes before any formatting work. */
#define cl_log(lvl, subsys, ...)                                           \
	do {                                                               \
		if ((int)(lvl) >= cl_log_min_level)                        \
			cl_log_emit((lvl), (subsys), __VA_ARGS__);         \
	} while (0)
#define cl_trace(sub, ...) cl_log(CL_LOG_TRACE, sub, __VA_ARGS__)
#define cl_debug(sub, ...) cl_log(CL_LOG_DEBUG, sub, __VA_ARGS__)
#define cl_info(sub, ...) cl_log(CL_LOG_INFO, sub, __VA_ARGS__)
#define cl_unusual(sub, ...) cl_log(CL_LOG_UNUSUAL, sub, __VA_ARGS__)
#define cl_broken(sub, ...) cl_log(CL_LOG_BROKEN, sub, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Clock and randomness: the only accessors in the project              */
/* ------------------------------------------------------------------ */

/* Wall clock, milliseconds since the Unix epoch. Never used by the stf. */
uint64_t cl_clock_now_ms(void);
/* Monotonic clock in nanoseconds, for timeouts and measurements. */
uint64_t cl_clock_mono_ns(void);
/* Cryptographically secure random bytes from the kernel; aborts if the
 * kernel cannot provide them. */
void cl_randbytes(void *buf, size_t len);

#endif /* CLEARLINE_COMMON_H */
