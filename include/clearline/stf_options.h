/* SPDX-License-Identifier: MIT */
/*
 * stf_options — the transactions of option markets (docs/options.md
 * "Option markets in the stf", docs/protocol.md section 13): the oracle
 * signers' volatility slices (ORACLE_SURFACE) and the settlement of a
 * position at expiry (OPTION_SETTLE, derived). Included by stf.h before
 * struct cl_tx, whose union holds them; not meant to be included alone.
 */
#ifndef CLEARLINE_STF_OPTIONS_H
#define CLEARLINE_STF_OPTIONS_H

#include <stdint.h>

#include <clearline/common.h>
#include <clearline/crypto.h>

/* What a market trades (docs/genesis.md "option"). */
enum cl_market_kind {
	CL_MARKET_PERP = 0, /* a perpetual future on its own oracle index */
	CL_MARKET_CALL = 1, /* a European, cash-settled call */
	CL_MARKET_PUT = 2,  /* a European, cash-settled put */
};

/* The tag of the genesis encoding's options section (docs/protocol.md
 * "Genesis encoding"): the option markets' terms. */
#define CL_GENESIS_TAG_OPTIONS 0x40

/* Is `m` an option market (CALL or PUT)? */
static inline bool cl_market_is_option(const struct cl_market_params *m)
{
	return m->kind == CL_MARKET_CALL || m->kind == CL_MARKET_PUT;
}

/*
 * One signer's volatility slice (docs/options.md "The surface in the
 * stf"): the EIP-712 message OracleSurface(uint32 market,uint64 expiry,
 * int64 a,int64 b,int64 rho,int64 m,int64 s,uint64 timestamp) with the
 * raw SVI parameters in wad, and its signature.
 */
struct cl_surface_entry {
	int64_t a, b, rho, m, s;
	uint64_t timestamp;
	struct cl_sig sig;
};

/* ORACLE_SURFACE: the slices of 1..16 signers for the options on the
 * perpetual `market` expiring at `expiry` (unix s). */
struct cl_tx_oracle_surface {
	uint32_t market;
	uint64_t expiry;
	uint32_t n; /* 1..CL_TX_ORACLE_MAX_ENTRIES */
	struct cl_surface_entry e[CL_TX_ORACLE_MAX_ENTRIES];
};

/* The EIP-712 digest of one surface entry of `t` (entry `i`). */
void cl_surface_entry_digest(struct cl_hash32 *out,
			     const struct cl_eip712_domain *d,
			     const struct cl_tx_oracle_surface *t, uint32_t i);

/* OPTION_SETTLE: the position of `account` in the expired option
 * `market` closes at its intrinsic value against the settlement price
 * (docs/options.md "Expiry"); the zero account is the insurance
 * fund's position. */
struct cl_tx_option_settle {
	struct cl_address account;
	uint32_t market;
};

#endif
