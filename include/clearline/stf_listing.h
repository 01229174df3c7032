/* SPDX-License-Identifier: MIT */
/*
 * stf_listing — option markets listed after genesis (docs/options.md
 * "Listing", docs/protocol.md "OPTION_LIST"). Part of the stf's
 * interface, kept in its own file; include <clearline/stf.h>, which
 * includes this one.
 *
 * The genesis section `listing` (tag 0x60) names one lister address and
 * the most markets it may add. An OPTION_LIST request (tx 32) signed by
 * the lister adds one option market: a copy of every parameter of a
 * genesis option market of the same underlying (its template), with its
 * own kind, strike, expiry and symbol, and the id one above the highest
 * market id so far. Listed markets live in the committed table
 * OPT_LISTED (0x37, owned by src/stf/option_list.c): id -> the market's
 * canonical encoding.
 *
 * The stf sees a listed market exactly as a genesis one: its copy of the
 * genesis (cl_stf_genesis()) has the listed markets appended after the
 * genesis markets, with `listed` set, whenever it opens a state, reloads
 * (cl_stf_reload()), opens a block on a state that moved, or applies a
 * listing. The genesis encoding and hash never include them (a listed
 * market is skipped by cl_genesis_encode()), so the genesis hash stays
 * the chain's. Readers on a snapshot get the same view with
 * cl_stf_view_genesis().
 */
#ifndef CLEARLINE_STF_LISTING_H
#define CLEARLINE_STF_LISTING_H

#ifndef CLEARLINE_STF_H
#error "include <clearline/stf.h>, not <clearline/stf_listing.h>"
#endif

/* The tag of the section in the genesis encoding (docs/genesis.md
 * "listing"). */
#define CL_GENESIS_TAG_LISTING 0x60

struct cl_stf_view;
struct cl_genesis;

/*
 * The genesis section `listing`. Absent (enabled false): OPTION_LIST is
 * refused (CL_STF_ERR_LIST_NOT_LISTER) and the genesis encodes and
 * hashes as before the section existed.
 */
struct cl_listing_params {
	bool enabled;
	struct cl_address lister; /* non-zero: who may list */
	uint32_t max_listed;      /* 1..CL_GENESIS_MAX_MARKETS - 1 */
};

/*
 * A listed option's expiry must lie after the block time and at most this
 * far ahead (the pricer's bound on the time to expiry, 10 years).
 */
#define CL_LIST_MAX_EXPIRY_AHEAD_S 315360000u

/* A valid market or asset symbol: 1..16 of [A-Za-z0-9._-], NUL-ended
 * within CL_SYMBOL_MAX + 1 bytes. */
bool cl_genesis_symbol_valid(const char *s);

/* Append a market's entry of the genesis encoding (docs/protocol.md
 * "Genesis encoding": id ... risk, without the option fields). */
void cl_genesis_market_encode(struct cl_buf *out,
			      const struct cl_market_params *m);

/* Read back one entry cl_genesis_market_encode() wrote (the option fields
 * are left as they were). False when the symbol or the tier count is
 * longer than a market holds; a short input fails the cursor. Checks
 * nothing else: callers validate, or re-encode and compare. */
bool cl_genesis_market_decode(struct cl_cursor *c, struct cl_market_params *m);

/* OPTION_LIST (32), docs/protocol.md "OPTION_LIST". */
struct cl_tx_option_list {
	struct cl_option_list msg;
	struct cl_sig sig;
};

/*
 * The genesis a reader on `v` should use: a copy of *v->genesis with the
 * option markets listed in v's state appended (listed set), so every
 * read helper sees them. `out` must not be v->genesis. Returns CL_OK, or
 * a negative backend error (CL_ERR_CORRUPT for a record that does not
 * decode, or more listed markets than fit).
 */
CL_WUR int cl_stf_view_genesis(const struct cl_stf_view *v,
			       struct cl_genesis *out);

/*
 * The number of listed markets in v's state (0..CL_GENESIS_MAX_MARKETS).
 * Returns CL_OK or a negative backend error.
 */
CL_WUR int cl_stf_listed_count(const struct cl_stf_view *v, uint32_t *out);

/* The template (a genesis option market) a listed market `id` was copied
 * from, read from v's state: CL_OK, CL_ERR_NOT_FOUND (not listed) or a
 * negative backend error. */
CL_WUR int cl_stf_listed_template(const struct cl_stf_view *v,
				  uint32_t *out, uint32_t id);

#endif
