/* SPDX-License-Identifier: MIT */
/*
 * clearline-genesis-id: the two constants of a genesis that the rollup
 * contract is deployed with (docs/l1.md "Deploying"):
 *
 *   clearline-genesis-id GENESIS.json
 *
 * prints one JSON object: "genesisHash", keccak256 of the genesis's
 * canonical encoding (cl_genesis_hash(), in every dispute game's input),
 * and "genesisRoot", the state root after the genesis state is written
 * (block 0, the pre-state of batch 0), computed on a memory state with
 * the stf exactly as a node writes it. The genesis names the rollup's
 * address, so deploy.js runs this on a genesis naming the address the
 * rollup will get. Exit status 2 on bad arguments or an invalid genesis,
 * 1 on an internal failure.
 */
#include <clearline/common.h>
#include <clearline/crypto.h>
#include <clearline/node.h>
#include <clearline/state.h>
#include <clearline/stf.h>

#include <stdio.h>
#include <stdlib.h>

static void print_hash(const char *name, const struct cl_hash32 *h, bool last)
{
	char *hex = cl_hex_encode_alloc(h->b, sizeof(h->b), true);

	printf("  \"%s\": \"%s\"%s\n", name, hex, last ? "" : ",");
	free(hex);
}

int main(int argc, char **argv)
{
	struct cl_genesis *g;
	struct cl_state *st;
	struct cl_stf *stf = NULL;
	struct cl_hash32 hash, root;
	char err[512];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: clearline-genesis-id GENESIS.json\n");
		return 2;
	}
	if (cl_crypto_init() != CL_OK) {
		fprintf(stderr, "clearline-genesis-id: crypto init failed\n");
		return 1;
	}
	g = cl_xcalloc(1, sizeof(*g));
	if (cl_genesis_load(g, argv[1], err, sizeof(err))) {
		fprintf(stderr, "clearline-genesis-id: %s\n", err);
		free(g);
		return 2;
	}
	cl_genesis_hash(&hash, g);
	st = cl_state_new_memory();
	rc = cl_stf_new(&stf, st, g);
	if (!rc)
		rc = cl_stf_genesis_init(stf);
	if (!rc)
		rc = cl_state_commit_block(st, &root);
	if (rc) {
		fprintf(stderr, "clearline-genesis-id: genesis state: error %d\n",
			rc);
	} else {
		printf("{\n");
		print_hash("genesisHash", &hash, false);
		print_hash("genesisRoot", &root, true);
		printf("}\n");
	}
	cl_stf_free(stf);
	cl_state_free(st);
	free(g);
	return rc ? 1 : 0;
}
