/* SPDX-License-Identifier: MIT */
/*
 * json — the wrapper around the JSON libraries: jansson for values, YAJL
 * to lex text into them (cl_json_load). It is the only module that
 * includes <jansson.h> or YAJL; the JSON-RPC server (rpc), the L1
 * client (l1), the genesis loader and the CLI use jansson's value types
 * through this header, plus the strict readers and writers below that
 * keep Clearline's JSON conventions in one place: 64-bit quantities are
 * decimal strings, bytes are 0x hex, duplicate keys are refused.
 *
 * Thread rules are jansson's: a value may be read from several threads,
 * changed by one.
 */
#ifndef CLEARLINE_JSON_H
#define CLEARLINE_JSON_H

#include <jansson.h>

#include <clearline/common.h>

/* Parse text (any JSON value, duplicate keys refused): what jansson's
 * json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) accepts, into the
 * same values, lexed by YAJL (src/json/parse.c: three times faster).
 * NULL on error, with a message in err (up to errlen bytes). */
json_t *cl_json_load(const char *text, size_t len, char *err, size_t errlen);
json_t *cl_json_load_file(const char *path, char *err, size_t errlen);

/* ---- strict readers ----
 * Each returns false when the value is missing or malformed (outputs
 * zeroed); the caller reports which field. */

/* A 64-bit quantity: a decimal string (JavaScript cannot hold it as a
 * number); strict as cl_parse_u64. */
CL_WUR bool cl_json_u64(uint64_t *out, const json_t *v);
/* A small integer: a JSON integer or a decimal string, <= max. */
CL_WUR bool cl_json_uint(uint64_t *out, const json_t *v, uint64_t max);
CL_WUR bool cl_json_bool(bool *out, const json_t *v);
/* "0x" + exactly 2*len hex digits. */
CL_WUR bool cl_json_bytes(uint8_t *out, size_t len, const json_t *v);
/* "0x" + any even number of hex digits up to cap bytes. */
CL_WUR bool cl_json_bytes_var(uint8_t *out, size_t cap, size_t *outlen,
			      const json_t *v);

/* ---- building results ---- */
json_t *cl_json_from_u64(uint64_t v); /* decimal string */
json_t *cl_json_from_i64(int64_t v);  /* decimal string */
json_t *cl_json_from_bytes(const uint8_t *p, size_t len); /* 0x hex */
/*
 * A JSON string from text that should be UTF-8 but may not be: "%.64s"
 * of a client's name can cut a character in two, and jansson refuses
 * such text (json_string() returns NULL). Valid text is kept as it is;
 * otherwise every byte >= 0x80 becomes '?'. Never NULL for a
 * NUL-terminated string.
 */
json_t *cl_json_from_text(const char *s);
/* The same repair in place: leaves valid UTF-8 as it is, else turns every
 * byte >= 0x80 of `s` into '?'. */
void cl_json_text_repair(char *s);

/* Serialise compactly with keys in insertion order; caller frees. */
char *cl_json_dump(const json_t *v);

#endif /* CLEARLINE_JSON_H */
