/* SPDX-License-Identifier: MIT */
/*
 * state-check DATADIR: open a node's data directory (the node must not be
 * running: one writer per environment) and recompute the state root from
 * the committed tables' contents, without the stored tree
 * (cl_snapshot_recompute_root), then compare it with the stored root.
 * The chaos test (tests/l1node/chaos.js) runs it on the sequencer's data
 * after every SIGKILL, before the restart.
 *
 * Prints one line "stored 0x.. recomputed 0x.." and exits 0 when they are
 * equal, 1 when they differ, 2 when the database cannot be opened or read.
 */
#include <stdio.h>

#include <clearline/state.h>

static void print_hex(const char *label, const struct cl_hash32 *h)
{
	printf("%s 0x", label);
	for (int i = 0; i < 32; i++)
		printf("%02x", h->b[i]);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
		return 2;
	}
	struct cl_db_config cfg = {
		.path = argv[1],
		.map_size = (uint64_t)4096 << 20,
	};
	struct cl_db *db = NULL;
	struct cl_snapshot *snap = NULL;
	struct cl_hash32 stored, recomputed;
	int status = 2;
	if (cl_db_new(&db, &cfg) != CL_OK) {
		fprintf(stderr, "state-check: cannot open %s\n", argv[1]);
		goto out;
	}
	if (cl_snapshot_new(&snap, db) != CL_OK ||
	    cl_snapshot_root(snap, &stored) != CL_OK ||
	    cl_snapshot_recompute_root(snap, &recomputed) != CL_OK) {
		fprintf(stderr, "state-check: cannot read the state of %s\n", argv[1]);
		goto out;
	}
	print_hex("stored", &stored);
	print_hex(" recomputed", &recomputed);
	printf("\n");
	status = cl_hash32_eq(&stored, &recomputed) ? 0 : 1;
out:
	cl_snapshot_free(snap);
	cl_db_free(db);
	return status;
}
