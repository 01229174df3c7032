/* SPDX-License-Identifier: MIT */
/*
 * The table registry: one-byte ids and LMDB names. Ids are part of every
 * Merkle path, so an entry is never renumbered or removed. (liq_index and
 * liq_multi were local, 0x83 and 0x85, before they were committed: those
 * two ids are retired, never reused.)
 */
#include "state_int.h"

/* In increasing id order. */
static const struct cl_table_info registry[] = {
	{ CL_TABLE_ACCOUNTS, true, "accounts" },
	{ CL_TABLE_POSITIONS, true, "positions" },
	{ CL_TABLE_MARKETS, true, "markets" },
	{ CL_TABLE_ORDERS, true, "orders" },
	{ CL_TABLE_WITHDRAWALS, true, "withdrawals" },
	{ CL_TABLE_DEPOSITS, true, "deposits" },
	{ CL_TABLE_GLOBALS, true, "globals" },
	{ CL_TABLE_ADL_RANK, true, "adl_rank" },
	{ CL_TABLE_OPEN_SIZE, true, "open_size" },
	{ CL_TABLE_FORCED, true, "forced" },
	{ CL_TABLE_SCHEDULE_CANCEL, true, "schedule_cancel" },
	{ CL_TABLE_SCHEDULE_DUE, true, "schedule_due" },
	{ CL_TABLE_CLOIDS, true, "cloids" },
	{ CL_TABLE_TRIGGERS, true, "triggers" },
	{ CL_TABLE_TRIGGER_INDEX, true, "trigger_index" },
	{ CL_TABLE_TRIGGER_OWNER, true, "trigger_owner" },
	{ CL_TABLE_TWAPS, true, "twaps" },
	{ CL_TABLE_TWAP_DUE, true, "twap_due" },
	{ CL_TABLE_TWAP_OWNER, true, "twap_owner" },
	{ CL_TABLE_ASSET_BALANCES, true, "asset_balances" },
	{ CL_TABLE_ASSET_DEPTH, true, "asset_depth" },
	{ CL_TABLE_MARGIN_MODES, true, "margin_modes" },
	{ CL_TABLE_ACCOUNT_OWNERS, true, "account_owners" },
	{ CL_TABLE_SUBACCOUNTS, true, "subaccounts" },
	{ CL_TABLE_LIQ_INDEX, true, "liq_index" },
	{ CL_TABLE_LIQ_MULTI, true, "liq_multi" },
	{ CL_TABLE_OPT_SURFACE, true, "opt_surface" },
	{ CL_TABLE_OPT_SETTLE, true, "opt_settle" },
	{ CL_TABLE_PORTFOLIO, true, "portfolio" },
	{ CL_TABLE_PRUNE_DUE, true, "prune_due" },
	{ CL_TABLE_TWAP_FLOOR, true, "twap_floor" },
	{ CL_TABLE_TWAP_NONCES, true, "twap_nonces" },
	{ CL_TABLE_OPT_LISTED, true, "opt_listed" },
	{ CL_TABLE_BLOCKS, false, "blocks" },
	{ CL_TABLE_TX_INDEX, false, "tx_index" },
	{ CL_TABLE_NODE, false, "node" },
	{ CL_TABLE_RISK_EVENTS, false, "risk_events" },
};

static const char *const internal_names[KV_FIRST_TABLE] = {
	[KV_META] = "meta",
	[KV_LEAVES] = "smt_leaves",
	[KV_NODES] = "smt_nodes",
};

const struct cl_table_info *cl_table_list(size_t *n)
{
	*n = CL_ARRAY_LEN(registry);
	return registry;
}

/* The position of `id` in the registry, or -1. */
static int registry_pos(unsigned id)
{
	for (size_t i = 0; i < CL_ARRAY_LEN(registry); i++)
		if ((unsigned)registry[i].id == id)
			return (int)i;
	return -1;
}

const struct cl_table_info *cl_table_find(unsigned id)
{
	int pos = registry_pos(id);

	return pos < 0 ? NULL : &registry[pos];
}

const struct cl_table_info *table_require(enum cl_table t)
{
	const struct cl_table_info *info = cl_table_find((unsigned)t);

	if (!info)
		CL_BUG("unknown table id 0x%02x", (unsigned)t);
	return info;
}

unsigned kv_table_count(void)
{
	return KV_FIRST_TABLE + (unsigned)CL_ARRAY_LEN(registry);
}

const char *kv_table_name(unsigned idx)
{
	CL_REQUIRE(idx < kv_table_count());
	if (idx < KV_FIRST_TABLE)
		return internal_names[idx];
	return registry[idx - KV_FIRST_TABLE].name;
}

unsigned kv_table_index(enum cl_table t)
{
	int pos = registry_pos((unsigned)t);

	if (pos < 0)
		CL_BUG("unknown table id 0x%02x", (unsigned)t);
	return KV_FIRST_TABLE + (unsigned)pos;
}

const struct cl_table_info *kv_table_info(unsigned idx)
{
	if (idx < KV_FIRST_TABLE || idx >= kv_table_count())
		return NULL;
	return &registry[idx - KV_FIRST_TABLE];
}
