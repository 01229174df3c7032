/* SPDX-License-Identifier: MIT */
/*
 * state — the committed state of the rollup: typed tables in LMDB (or in
 * memory for tests, and for the stf as a VM program, which fetches it
 * node by node from a root), the sparse Merkle tree over them, and its
 * proofs.
 *
 * What lives here: a table registry (one-byte ids; committed tables are in
 * the state root, local tables are not), the LMDB environment (cl_db), the
 * store the state transition function reads and writes (cl_state), read-only
 * snapshots for RPC readers (cl_snapshot), and Merkle proofs (cl_proof),
 * whose verification is a pure function that needs no database.
 *
 * The tree (docs/state.md has the exact rules): path = keccak256(table_id ‖
 * key), value hash = keccak256(value), leaf = keccak256(0x00 ‖ path ‖
 * value hash), internal node = keccak256(0x01 ‖ left ‖ right), empty = 32
 * zero bytes; a subtree holding exactly one leaf is that leaf.
 *
 * Invariants:
 *  - The stored root always matches the committed tables' contents: a block
 *    (its table writes, the tree update and the new root) is one LMDB write
 *    transaction, committed with sync on (the meta page's sync deferred
 *    under CL_DB_SYNC_DATA). cl_state_recompute_root() checks it.
 *  - The same sequence of writes gives the same root on every backend and
 *    machine: nothing hashed depends on memory layout or iteration order.
 *  - Writes go to an in-memory overlay; the tree is updated once per block
 *    for the changed paths only (O(k log n) hashes for k changed keys).
 *    The LMDB writer also holds the whole tree in memory (about 112 bytes
 *    per key, built by its first commit from the stored leaves), so an
 *    update reads nothing from LMDB; the stored tree stays the durable
 *    form that proofs, snapshots and the walk read (docs/state.md). LMDB
 *    stores the leaves and only the upper internal nodes (over 16 leaves
 *    or more): a lower node is computed from its few leaves.
 *
 * Ownership: callers own the objects they create (x_new/x_free). Values and
 * keys handed out by get and iterator calls are BORROWED: from a cl_state
 * they stay valid until the next put, del, rollback, commit or discard on
 * that state; from a cl_snapshot until the snapshot is freed. Copy anything
 * you keep. Never keep a pointer into LMDB after its transaction.
 *
 * Threads: one environment per process (a second cl_db_new() fails while
 * one is open); never fork() with it open. Exactly one writer: one cl_state
 * per cl_db, used by one thread (its commit may hash on a helper thread
 * it starts and joins before returning; the helper never touches LMDB).
 * Any number of snapshots may be used at the same time, each by one
 * thread at a time; keep them short (a long read transaction stops LMDB
 * from reusing pages).
 *
 * Errors: negative enum cl_err codes for system failures, logged once where
 * they start (CL_ERR_MAP_FULL when the LMDB map is full, CL_ERR_IO,
 * CL_ERR_DB, CL_ERR_CORRUPT, CL_ERR_BUSY); CL_ERR_NOT_FOUND for a missing
 * key, not logged. Misuse (an unregistered table, an oversized key, a
 * commit with an iterator open) is a bug and aborts.
 */
#ifndef CLEARLINE_STATE_H
#define CLEARLINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clearline/common.h>

/* ------------------------------------------------------------------ */
/* Table registry                                                      */
/* ------------------------------------------------------------------ */

/*
 * Every table has a one-byte id, which is part of each Merkle path, so an
 * id is never reused or renumbered. Committed tables (ids 0x01..0x7f) are
 * in the state root; local tables (ids 0x80..0xff) are node bookkeeping
 * and are not. Key layouts belong to the stf and are written down in
 * docs/; keys should be fixed-width big-endian so byte order is numeric
 * order. Adding a table: append it here and in src/state/tables.c.
 */
enum cl_table {
	/* committed */
	CL_TABLE_ACCOUNTS = 0x01,    /* accounts: collateral, action nonce */
	CL_TABLE_POSITIONS = 0x02,   /* positions per account and market */
	CL_TABLE_MARKETS = 0x03,     /* market parameters, prices, funding */
	CL_TABLE_ORDERS = 0x04,      /* resting orders, replay protection */
	CL_TABLE_WITHDRAWALS = 0x05, /* withdrawal id -> recipient, amount */
	CL_TABLE_DEPOSITS = 0x06,    /* processed L1 deposits */
	CL_TABLE_GLOBALS = 0x07,     /* insurance fund, counters */
	CL_TABLE_ADL_RANK = 0x08,    /* auto-deleveraging ranking */
	CL_TABLE_OPEN_SIZE = 0x09,   /* open order sizes per account and
				      * market (margin) */
	CL_TABLE_FORCED = 0x0a,      /* consumed L1 forced requests and
				      * their outcomes */
	CL_TABLE_SCHEDULE_CANCEL = 0x0b, /* dead-man switches: account ->
					  * time, nonce */
	CL_TABLE_SCHEDULE_DUE = 0x0c, /* armed switches by time */
	CL_TABLE_CLOIDS = 0x0d,      /* open orders by client order id */
	CL_TABLE_TRIGGERS = 0x0e,    /* trigger orders (stops, TP/SL) */
	CL_TABLE_TRIGGER_INDEX = 0x0f, /* pending triggers by market and
					* price */
	CL_TABLE_TRIGGER_OWNER = 0x10, /* pending triggers by trader and
					* sequence */
	CL_TABLE_TWAPS = 0x11,       /* TWAP orders */
	CL_TABLE_TWAP_DUE = 0x12,    /* running TWAPs by next slice time */
	CL_TABLE_TWAP_OWNER = 0x13,  /* running TWAPs by trader and
				      * sequence */
	CL_TABLE_ASSET_BALANCES = 0x18, /* collateral asset balances per
					 * asset and account */
	CL_TABLE_ASSET_DEPTH = 0x19, /* hedge-book depth per asset, measured
				      * when a block opens */
	CL_TABLE_MARGIN_MODES = 0x1a, /* isolated markets per account: owner,
				       * market -> isolated account */
	CL_TABLE_ACCOUNT_OWNERS = 0x1b, /* derived accounts (isolated,
					 * subaccounts) -> owner, kind,
					 * index */
	CL_TABLE_SUBACCOUNTS = 0x1c, /* owner, number -> subaccount */
	CL_TABLE_LIQ_INDEX = 0x20,   /* liquidation prices per market (was
				      * local 0x83 until the stf ran as a
				      * VM program: docs/state.md) */
	CL_TABLE_LIQ_MULTI = 0x21,   /* accounts in several markets (was
				      * local 0x85) */
	CL_TABLE_OPT_SURFACE = 0x28, /* SVI slices: underlying, expiry ->
				      * parameters, time */
	CL_TABLE_OPT_SETTLE = 0x29,  /* settlement averages: underlying,
				      * expiry -> sum, seconds, price */
	CL_TABLE_PORTFOLIO = 0x30,   /* accounts in portfolio margin mode
				      * (0x31..0x33 kept for it) */
	CL_TABLE_PRUNE_DUE = 0x34,   /* closed records by the time they
				      * may be pruned */
	CL_TABLE_TWAP_FLOOR = 0x35,  /* per trader: the highest nonce of a
				      * pruned TWAP (replay protection) */
	CL_TABLE_TWAP_NONCES = 0x36, /* TWAP hash -> its signed nonce,
				      * while its record is kept */
	CL_TABLE_OPT_LISTED = 0x37,  /* option markets listed after
				      * genesis: id -> the market */
	/* local */
	CL_TABLE_BLOCKS = 0x80,      /* block headers */
	CL_TABLE_TX_INDEX = 0x81,    /* transaction hash -> location */
	CL_TABLE_NODE = 0x82,        /* node bookkeeping (L1 cursor, ...) */
	CL_TABLE_RISK_EVENTS = 0x84, /* liquidation and ADL log */
};

#define CL_TABLE_LOCAL_MIN 0x80

struct cl_table_info {
	enum cl_table id;
	bool committed;   /* in the state root */
	const char *name; /* the LMDB database name */
};

/* All registered tables in increasing id order; *n gets their count. */
const struct cl_table_info *cl_table_list(size_t *n);

/* The registry entry for `id`, or NULL when no such table exists. */
const struct cl_table_info *cl_table_find(unsigned id);

/* Largest key and value the store accepts (keys are at least one byte). */
#define CL_STATE_KEY_MAX 255
#define CL_STATE_VALUE_MAX (1u << 20)

/* ------------------------------------------------------------------ */
/* Merkle tree primitives and proofs (pure functions, no database)     */
/* ------------------------------------------------------------------ */

#define CL_SMT_DEPTH 256

/* path = keccak256(table_id ‖ key). */
void cl_smt_path(struct cl_hash32 *out, uint8_t table_id, const uint8_t *key,
		 size_t klen);
/* value hash = keccak256(value). */
void cl_smt_value_hash(struct cl_hash32 *out, const uint8_t *val,
		       size_t vlen);
/* leaf = keccak256(0x00 ‖ path ‖ value_hash). */
void cl_smt_leaf_hash(struct cl_hash32 *out, const struct cl_hash32 *path,
		      const struct cl_hash32 *value_hash);
/* internal node = keccak256(0x01 ‖ left ‖ right). */
void cl_smt_node_hash(struct cl_hash32 *out, const struct cl_hash32 *left,
		      const struct cl_hash32 *right);
/* Bit i (0..255) of a path: 0 goes left; bit 0 decides the root's child. */
static inline unsigned cl_smt_bit(const struct cl_hash32 *path, unsigned i)
{
	return (path->b[i / 8] >> (7 - i % 8)) & 1;
}

enum cl_proof_kind {
	CL_PROOF_INCLUSION = 0,       /* the leaf (path, value hash) exists */
	CL_PROOF_EXCLUSION_EMPTY = 1, /* the subtree at the path is empty */
	CL_PROOF_EXCLUSION_LEAF = 2,  /* the subtree is another single leaf */
};

/*
 * A proof about one path. `depth` (0..256) is where the walk from the root
 * ends: the leaf's depth (inclusion), the empty subtree's depth, or the
 * depth of the other leaf sitting alone in the subtree that would hold the
 * path. siblings[i] (i < depth) is the hash of the other child of the node
 * at depth i on the path; entries from `depth` on are zero.
 */
struct cl_proof {
	enum cl_proof_kind kind;
	unsigned depth;
	struct cl_hash32 siblings[CL_SMT_DEPTH];
	struct cl_hash32 other_path;       /* CL_PROOF_EXCLUSION_LEAF only */
	struct cl_hash32 other_value_hash; /* CL_PROOF_EXCLUSION_LEAF only */
};

/*
 * Canonical encoding: kind (1 byte), depth (big-endian u16, <= 256), the
 * depth siblings from the root side down (32 bytes each), then for
 * CL_PROOF_EXCLUSION_LEAF other_path and other_value_hash (32 bytes each).
 */
#define CL_PROOF_ENCODED_MAX (1 + 2 + CL_SMT_DEPTH * 32 + 64)

/* Append the encoding of `p` (which must be well formed) to `out`. */
void cl_proof_encode(struct cl_buf *out, const struct cl_proof *p);

/*
 * Strictly decode exactly `len` bytes into *out: unknown kinds, a depth
 * above 256, short input and trailing bytes fail. On failure *out is
 * zeroed.
 */
CL_WUR bool cl_proof_decode(struct cl_proof *out, const uint8_t *p,
			    size_t len);

/*
 * True when `p` proves that the tree with root `root` holds the leaf
 * (path, value_hash). Fails for any other proof kind.
 */
CL_WUR bool cl_proof_verify_inclusion(const struct cl_proof *p,
				      const struct cl_hash32 *root,
				      const struct cl_hash32 *path,
				      const struct cl_hash32 *value_hash);

/*
 * True when `p` proves that the tree with root `root` holds no leaf at
 * `path`. An "other leaf" with the same path, or one that does not share
 * the first `depth` bits with `path`, fails.
 */
CL_WUR bool cl_proof_verify_exclusion(const struct cl_proof *p,
				      const struct cl_hash32 *root,
				      const struct cl_hash32 *path);

/* ------------------------------------------------------------------ */
/* LMDB environment                                                    */
/* ------------------------------------------------------------------ */

/* Current layout version; see the migration list in src/state/db.c. */
#define CL_DB_SCHEMA_VERSION 5

struct cl_db;

struct cl_db_config {
	const char *path;     /* directory, created (mode 0700) if missing */
	uint64_t map_size;    /* bytes: the most the database may grow to */
	unsigned max_tables;  /* named databases; 0 = what the registry needs */
	unsigned max_readers; /* concurrent read transactions; 0 = default */
	/* The state log (docs/state.md "The state log"): 0 = off, each
	 * commit an LMDB commit; otherwise a commit appends its block to
	 * the log (synced) and LMDB becomes a checkpoint, written by a
	 * thread of its own every `checkpoint_ms` or `checkpoint_bytes` of
	 * blocks (0 = CL_DB_CHECKPOINT_BYTES), whichever comes first. */
	unsigned checkpoint_ms;
	uint64_t checkpoint_bytes;
	/* A checkpoint writes its blocks, each key once, in LMDB
	 * transactions of this many entries (0 =
	 * CL_DB_CHECKPOINT_TXN_ENTRIES), cut anywhere, inside a block too:
	 * the log's replay completes a checkpoint stopped between two. */
	uint32_t checkpoint_txn_entries;
};

/* Blocks held in memory before a checkpoint starts, by default. */
#define CL_DB_CHECKPOINT_BYTES (256u << 20)
/* Entries of one checkpoint transaction, by default. */
#define CL_DB_CHECKPOINT_TXN_ENTRIES (1u << 12)

/*
 * Open (creating if needed) the environment at cfg->path, create missing
 * tables and run pending schema migrations in one write transaction.
 * Returns CL_OK and sets *out, or: CL_ERR_BUSY when an environment is
 * already open in this process, CL_ERR_CONFIG for bad arguments or a
 * database written by a newer schema, CL_ERR_IO / CL_ERR_DB /
 * CL_ERR_CORRUPT / CL_ERR_MAP_FULL from LMDB. Call from one thread, before
 * any other thread uses the database.
 */
CL_WUR int cl_db_new(struct cl_db **out, const struct cl_db_config *cfg);

/* Close the environment. Every state and snapshot on it must be freed
 * first. cl_db_free(NULL) does nothing. */
void cl_db_free(struct cl_db *db);

/*
 * Durability of commits. CL_DB_SYNC_EVERY (the default): a commit returns
 * after the data pages and then the meta page are on disk. CL_DB_SYNC_DATA
 * (LMDB's MDB_NOMETASYNC): a commit syncs the data pages only and leaves
 * the meta page to the next commit's sync or cl_db_sync(). Integrity is
 * kept after a crash of the process or of the machine (the meta page on
 * disk always names pages that are on disk), but a machine crash may undo
 * the last commit: use it only where everything stored can be derived
 * again (the verifier: docs/verifier.md "Durability"). A process crash
 * loses nothing in either mode. MDB_NOSYNC, which can corrupt the
 * database in a machine crash, is not offered. With the state log on, a
 * commit is durable when its log record is synced (as the mode says);
 * LMDB's own commits are then the checkpoint's transactions, which sync
 * their data pages each and everything once at the checkpoint's end,
 * before the log files it covers are removed.
 */
enum cl_db_sync_mode {
	CL_DB_SYNC_EVERY = 0,
	CL_DB_SYNC_DATA = 1,
};

/*
 * Set the durability of later commits. Call it like cl_db_new(): before
 * any other thread uses the database (LMDB keeps the mode in the
 * environment's flags, which readers also read). CL_OK or CL_ERR_DB.
 */
CL_WUR int cl_db_set_sync(struct cl_db *db, enum cl_db_sync_mode mode);

/*
 * Flush everything committed to disk, meta page included (mdb_env_sync
 * forced): after CL_OK the last commit survives a machine crash. From the
 * writer's thread. CL_OK or CL_ERR_IO (logged).
 */
CL_WUR int cl_db_sync(struct cl_db *db);

/* The schema version stored in the open database. */
uint32_t cl_db_schema_version(const struct cl_db *db);

/* The state log of a db (all zero without one). */
struct cl_db_log_stats {
	uint64_t checkpoints;	 /* written since the open */
	uint64_t failures;	 /* checkpoints that failed */
	uint64_t checkpointed;	 /* the last block LMDB holds */
	uint64_t held_blocks;	 /* deltas over it (merged blocks count once) */
	uint64_t held_bytes;	 /* their memory */
	uint64_t last_ns;	 /* the last checkpoint's duration */
	uint64_t ckpt_ns;	 /* every checkpoint's duration, summed */
	uint64_t appends;	 /* blocks appended to the log */
	uint64_t append_bytes;	 /* their records' bytes */
	uint64_t append_ns;	 /* time in the appends (and their syncs) */
	uint64_t room_wait_ns;	 /* the writer waiting for a checkpoint */
	uint64_t merges;	 /* times the newest blocks were merged */
	uint64_t txns;		 /* LMDB transactions of the checkpoints */
	/* of the checkpoint running now, the transactions committed part
	 * way (a crash now leaves LMDB holding part of it) */
	uint64_t part_txns;
	/* the writer's LMDB reads ended between requests because a
	 * checkpoint transaction had committed (cl_state_refresh) */
	uint64_t refreshes;
	/* At the open, with or without the log on: the last block of a
	 * checkpoint that stopped between its transactions, which the
	 * log's replay completed (0: none). */
	uint64_t open_part;
};
void cl_db_log_stats(struct cl_db *db, struct cl_db_log_stats *out);

/*
 * Where the database file's pages go, read in one LMDB read transaction
 * (what LMDB holds: blocks still only in the state log are not in it).
 * Pages are LMDB's (CL_DB_SPACE page_size bytes); a table's pages are
 * its branch, leaf and overflow pages.
 */
#define CL_DB_SPACE_MAX 64
struct cl_db_table_space {
	const char *name; /* the LMDB database's name (static) */
	uint64_t entries;
	uint64_t pages;
	uint64_t leaf_pages;
	uint64_t overflow_pages;
	uint32_t depth;
};
struct cl_db_space {
	uint64_t page_size;
	uint64_t file_pages; /* the file's high-water mark: last page + 1 */
	uint64_t map_pages;  /* the map's size in pages */
	uint64_t free_pages; /* on LMDB's free list, to be reused */
	uint64_t free_list_pages; /* the free list's own pages */
	uint64_t meta_pages;      /* the two meta pages and the names' tree */
	uint64_t table_pages;     /* every table's pages, summed */
	size_t n;                 /* tables in t[] */
	struct cl_db_table_space t[CL_DB_SPACE_MAX];
};
CL_WUR int cl_db_space(struct cl_db *db, struct cl_db_space *out);

/* ------------------------------------------------------------------ */
/* The state store (one writer)                                        */
/* ------------------------------------------------------------------ */

struct cl_state;

/*
 * A writer on `db`. Returns CL_OK and sets *out, or CL_ERR_BUSY when `db`
 * already has a writer. `db` must outlive the state.
 */
CL_WUR int cl_state_new_lmdb(struct cl_state **out, struct cl_db *db);

/* A state kept entirely in memory (tests, tools); starts empty. */
struct cl_state *cl_state_new_memory(void);

/*
 * Fetching committed state node by node (docs/vm.md "The stf as a VM
 * program", docs/state.md "Walking the tree").
 *
 * A cl_state_fetch_fn gives the bytes whose keccak256 is `h`: it
 * replaces out's contents with them and returns true, or returns false
 * when it has none. The walk does not hash what it gets again, so the
 * function must only ever return true preimages: inside the VM the
 * preimage ecall guarantees it; natively a cl_preimage_map does (it
 * files every preimage under the hash it computes itself).
 */
typedef bool (*cl_state_fetch_fn)(void *arg, struct cl_buf *out,
				  const struct cl_hash32 *h);

/*
 * A memory state holding exactly the committed state whose root is
 * `root`, fetched from it node by node: every internal node
 * (0x01 ‖ left ‖ right), every leaf (0x00 ‖ path ‖ value hash), the
 * preimage of each leaf's path (table id ‖ key: this is how a leaf gives
 * its table and key) and each value. Every entry of every committed
 * table comes from the tree, so the state is complete by construction:
 * its iteration is as proven as its point reads. Local tables start
 * empty. The tree must be one this module writes: an internal node over
 * fewer than two leaves, a leaf off its path's position, a path preimage
 * that is not a committed table id and a 1..255-byte key, a value above
 * CL_STATE_VALUE_MAX or a preimage of the wrong shape is refused. The
 * state's stored tree is the walked one, so its commits update the root
 * incrementally, as any memory state does. Cost: one fetch per node,
 * leaf, key and value, no hashing. Returns CL_OK and *out, or
 * CL_ERR_CORRUPT (logged) when a preimage is missing or the tree is
 * malformed; nothing is kept then.
 */
CL_WUR int cl_state_new_walk(struct cl_state **out,
			     const struct cl_hash32 *root,
			     cl_state_fetch_fn fetch, void *arg);

/* Sizes of a walked state (measurement). */
struct cl_state_walk_stats {
	uint64_t nodes;  /* internal nodes */
	uint64_t leaves; /* leaves = committed entries */
	uint64_t bytes;  /* bytes of every preimage fetched */
};
/* The stats of the walk that made `st` (zero for any other state). */
void cl_state_walk_stats(struct cl_state *st,
			 struct cl_state_walk_stats *out);

/*
 * The preimages of a committed state: a map from keccak256 to bytes, the
 * native side of the walk (an honest party answers the VM's preimage
 * reads, and posts to the L1 preimage oracle, from it). Preimages are
 * filed under the hash computed here, so a lookup can only return a true
 * preimage.
 */
struct cl_preimage_map;

/* An empty map. */
struct cl_preimage_map *cl_preimage_map_new(void);
/* cl_preimage_map_free(NULL) is a no-op. */
void cl_preimage_map_free(struct cl_preimage_map *pm);
/* Add a copy of `p` (a second copy of the same bytes is ignored). */
void cl_preimage_map_add(struct cl_preimage_map *pm, const uint8_t *p,
			 size_t len);
/*
 * Add every preimage a walk of the last committed root of `st` (a memory
 * or LMDB state) fetches: each tree node, each leaf's path preimage and
 * each value. Returns CL_OK, CL_ERR_CORRUPT when the tables do not give
 * the stored root, or a negative backend error.
 */
CL_WUR int cl_preimage_map_add_state(struct cl_preimage_map *pm,
				     struct cl_state *st);
/* The preimage of `h`: true with *p (borrowed until the next add or the
 * free) and *len, or false. */
bool cl_preimage_map_get(const struct cl_preimage_map *pm,
			 const struct cl_hash32 *h, const uint8_t **p,
			 size_t *len);
/* A cl_state_fetch_fn over a map (arg: the map). */
bool cl_preimage_map_fetch(void *arg, struct cl_buf *out,
			   const struct cl_hash32 *h);
/* The number of preimages, and of their bytes. */
size_t cl_preimage_map_count(const struct cl_preimage_map *pm,
			     size_t *bytes);
/* The i-th preimage (0 <= i < count), in the map's order. */
void cl_preimage_map_at(const struct cl_preimage_map *pm, size_t i,
			const uint8_t **p, size_t *len);

/* Discard uncommitted changes and free. cl_state_free(NULL) is a no-op. */
void cl_state_free(struct cl_state *st);

/*
 * Look up `key` in `table`, seeing this block's uncommitted writes. On
 * CL_OK *val and *vlen describe the value (borrowed, see above; *val may
 * be non-NULL with *vlen == 0 for an empty value). Returns
 * CL_ERR_NOT_FOUND when absent (then *val = NULL, *vlen = 0), or a
 * negative error from the backend.
 */
CL_WUR int cl_state_get(struct cl_state *st, const uint8_t **val,
			size_t *vlen, enum cl_table table, const uint8_t *key,
			size_t klen);

/* Set `key` (1..CL_STATE_KEY_MAX bytes) to a copy of `val` (up to
 * CL_STATE_VALUE_MAX bytes) in this block's overlay. Cannot fail. */
void cl_state_put(struct cl_state *st, enum cl_table table,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen);

/* Delete `key` in this block's overlay (deleting an absent key is fine). */
void cl_state_del(struct cl_state *st, enum cl_table table,
		  const uint8_t *key, size_t klen);

/*
 * Savepoints: cl_state_rollback_to(sp) undoes exactly the puts and dels
 * made since cl_state_savepoint() returned sp, so a rejected transaction
 * changes nothing. Savepoints nest; rolling back to an outer one also
 * undoes the inner ones. A savepoint is valid until the next commit or
 * discard; using it later is a bug.
 */
struct cl_state_sp {
	size_t pos;
	uint64_t epoch;
};
struct cl_state_sp cl_state_savepoint(struct cl_state *st);
void cl_state_rollback_to(struct cl_state *st, struct cl_state_sp sp);

/*
 * Seal the block: write the overlay to the backend, update the Merkle tree
 * for the changed paths, store the new root and commit everything
 * atomically (LMDB: one write transaction, synced to disk before this
 * returns; under CL_DB_SYNC_DATA its meta page only at the next commit or
 * cl_db_sync()). On CL_OK *root (may be NULL) gets the new root and the
 * block is durable (under CL_DB_SYNC_DATA: survives a process crash). On failure (CL_ERR_MAP_FULL, CL_ERR_IO, ...) nothing of the
 * block is stored and the overlay is kept, so the caller may retry or
 * discard. No iterator may be open.
 */
CL_WUR int cl_state_commit_block(struct cl_state *st, struct cl_hash32 *root);

/* Drop every uncommitted write (the overlay and any open transaction). */
void cl_state_discard(struct cl_state *st);

/*
 * Between two requests, when the caller holds no value, key or iterator
 * of `st` (the sequencer's writer before each request): a writer on the
 * state log ends its LMDB read if a checkpoint transaction has committed
 * since it began, so LMDB may reuse the pages that transaction freed
 * instead of growing the file; the next read begins a new one. What
 * every read returns is unchanged. Does nothing on other backends, or
 * with an iterator open.
 */
void cl_state_refresh(struct cl_state *st);

/*
 * LMDB writer: keep the whole tree in memory (`on`, the default: about
 * 112 bytes per key, built by the next commit) or not (its memory freed
 * now; each commit then reads the stored nodes and leaves it needs from
 * LMDB: slower, no memory per key). Either way the stored tree and the
 * roots are the same (docs/state.md "Tree update", "The tree in
 * memory"). No effect on a memory state.
 */
void cl_state_tree_in_memory(struct cl_state *st, bool on);

/* The root of the last committed block (zero for an empty state). */
CL_WUR int cl_state_root(struct cl_state *st, struct cl_hash32 *root);

/*
 * A proof for `key` in committed `table` against the last committed root
 * (uncommitted writes are ignored): inclusion when the key is present,
 * exclusion otherwise. Returns CL_OK or a negative error.
 */
CL_WUR int cl_state_prove(struct cl_state *st, struct cl_proof *out,
			  enum cl_table table, const uint8_t *key,
			  size_t klen);

/*
 * Recompute the root from scratch from the committed tables' contents,
 * without using the stored tree (verification tooling, crash tests).
 * Uncommitted writes are ignored. Memory use is 64 bytes per entry.
 */
CL_WUR int cl_state_recompute_root(struct cl_state *st,
				   struct cl_hash32 *root);

/*
 * Check the stored tree (tests, tooling): the root recomputed from the
 * committed tables must be the stored root, and the stored tree nodes
 * exactly those the layout keeps of the tree over the stored leaves (in
 * LMDB the internal nodes over 16 leaves or more, in memory all of them:
 * docs/state.md "Which nodes are stored"), no more, no fewer.
 * Uncommitted writes are ignored. Returns
 * CL_OK and *nodes (the number of stored internal nodes), CL_ERR_CORRUPT
 * (logged) or a negative backend error. Memory: about 130 bytes per
 * entry.
 */
CL_WUR int cl_state_check_tree(struct cl_state *st, uint64_t *nodes);

/* Counters and timings of the most recent commit (measurement only). */
struct cl_state_stats {
	uint64_t blocks;   /* blocks committed through this handle */
	uint64_t entries;  /* overlay entries written by the last commit */
	uint64_t dirty;    /* leaves that changed in the last commit */
	uint64_t hashes;   /* tree node hashes computed by the last commit */
	uint64_t flush_ns; /* writing the overlay (and leaf hashes) */
	uint64_t tree_ns;  /* updating the tree (hash_ns included) */
	uint64_t hash_ns;  /* LMDB writer: the tree in memory, changed and
			    * hashed (the rest of tree_ns writes the
			    * changed tree nodes to LMDB) */
	uint64_t sync_ns;  /* the LMDB commit and fsync */
	uint64_t node_puts; /* smt_nodes entries written by the last commit */
	uint64_t node_dels; /* smt_nodes entries deleted by the last commit */
	uint64_t load_ns;  /* LMDB writer: building the tree in memory (the
			    * first commit, or after a failed one), in the
			    * last commit; 0 when it was already there */
	uint64_t tree_bytes; /* LMDB writer: memory of the tree */
};
void cl_state_stats(const struct cl_state *st, struct cl_state_stats *out);

/* ------------------------------------------------------------------ */
/* Read-only snapshots (RPC readers)                                   */
/* ------------------------------------------------------------------ */

struct cl_snapshot;

/*
 * A consistent read-only view of the last committed block (an LMDB read
 * transaction). Returns CL_OK, or CL_ERR_BUSY when the reader table is
 * full, or another negative error. Keep it short-lived.
 */
CL_WUR int cl_snapshot_new(struct cl_snapshot **out, struct cl_db *db);
/* End the read transaction. cl_snapshot_free(NULL) is a no-op. */
void cl_snapshot_free(struct cl_snapshot *s);

/* As cl_state_get; the value is valid until the snapshot is freed. */
CL_WUR int cl_snapshot_get(struct cl_snapshot *s, const uint8_t **val,
			   size_t *vlen, enum cl_table table,
			   const uint8_t *key, size_t klen);
/* The snapshot's root, a proof against it, and a from-scratch recompute. */
CL_WUR int cl_snapshot_root(struct cl_snapshot *s, struct cl_hash32 *root);
CL_WUR int cl_snapshot_prove(struct cl_snapshot *s, struct cl_proof *out,
			     enum cl_table table, const uint8_t *key,
			     size_t klen);
CL_WUR int cl_snapshot_recompute_root(struct cl_snapshot *s,
				      struct cl_hash32 *root);

/* ------------------------------------------------------------------ */
/* Forward iteration in key order                                      */
/* ------------------------------------------------------------------ */

struct cl_state_iter;

/*
 * Iterate `table` in increasing key order (bytewise, shorter first), from
 * the first key >= `start` (NULL/0 for the beginning). On a cl_state the
 * iterator sees uncommitted writes, including those made while it is open
 * (it continues after the last key it returned). The state or snapshot
 * must outlive the iterator; a state cannot commit or discard while one is
 * open. Returns CL_OK and sets *out, or a negative error.
 */
CL_WUR int cl_state_iter_new(struct cl_state_iter **out, struct cl_state *st,
			     enum cl_table table, const uint8_t *start,
			     size_t slen);
CL_WUR int cl_snapshot_iter_new(struct cl_state_iter **out,
				struct cl_snapshot *s, enum cl_table table,
				const uint8_t *start, size_t slen);

/*
 * Move to the next entry: CL_OK with the borrowed key and value, or
 * CL_ERR_NOT_FOUND at the end, or a negative error.
 */
CL_WUR int cl_state_iter_next(struct cl_state_iter *it, const uint8_t **key,
			      size_t *klen, const uint8_t **val,
			      size_t *vlen);

/* cl_state_iter_free(NULL) is a no-op. */
void cl_state_iter_free(struct cl_state_iter *it);

#endif /* CLEARLINE_STATE_H */
