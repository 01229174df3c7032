/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the files of src/l1. */
#ifndef CLEARLINE_L1_INT_H
#define CLEARLINE_L1_INT_H

#include <clearline/l1.h>

#define L1_LOG "l1"

/* Sleep for ms milliseconds (interrupted sleeps are resumed). */
void l1_sleep_ms(uint64_t ms);

static inline uint64_t l1_ms_since(uint64_t then_ns)
{
	uint64_t now = cl_clock_mono_ns();
	return now > then_ns ? (now - then_ns) / 1000000u : 0;
}

/*
 * A small state file: magic (8 bytes) || version (be32) || payload length
 * (be32) || payload || keccak256 of everything before it. Written to a
 * temporary file, fsync'ed, renamed into place, and the folder fsync'ed.
 */
CL_WUR int l1_file_write(const char *dir, const char *name, const char magic[8],
			 uint32_t version, const uint8_t *payload, size_t len);

/*
 * Read such a file. On CL_OK the payload is in `out` (reset first).
 * Returns CL_ERR_NOT_FOUND when the file does not exist, CL_ERR_CORRUPT
 * for a wrong magic, version, length or checksum, CL_ERR_IO otherwise.
 */
CL_WUR int l1_file_read(struct cl_buf *out, const char *dir, const char *name,
			const char magic[8], uint32_t version);

/* JSON helpers for the typed calls. */
json_t *l1_json_qty(uint64_t v);
json_t *l1_json_hex(const uint8_t *p, size_t len);
json_t *l1_json_address(const struct cl_address *a);
const char *l1_tag_str(enum cl_l1_tag tag);

/* ---- abi.c, for the other ABI files (game_abi.c) ---- */
void l1_abi_selector(struct cl_buf *b, const char *signature);
/* the nine words of a BatchRecord tuple */
void l1_abi_put_record(struct cl_buf *out, const struct cl_l1_batch_event *r);
CL_WUR bool l1_abi_word_u64(uint64_t *out, const uint8_t *w);
CL_WUR bool l1_abi_word_address(struct cl_address *out, const uint8_t *w);
bool l1_abi_topic_is(const struct cl_l1_log *log, const char *signature,
		     size_t n_topics, size_t data_len);
void l1_abi_set_loc(struct cl_l1_event_loc *loc, const struct cl_l1_log *log);

/* ---- sender.c and sender_file.c ---- */

#define SENDER_MAGIC "CLL1SNDR"
#define SENDER_VERSION 1u
#define SENDER_MAX_TXS 65536u
#define SENDER_MAX_DATA (8u << 20)

/* Free a transaction's data and zero it. */
void l1_tx_clear(struct cl_l1_tx *t);
/* The state file's name for the key of `from` (sender_file.c). */
void l1_sender_file_name(char out[80], const struct cl_address *from);

/* The client a sender talks through (for the poster). */
struct cl_l1_rpc *l1_sender_rpc(struct cl_l1_sender *s);

#endif
