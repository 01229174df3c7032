/* SPDX-License-Identifier: MIT */
/*
 * A game's program, ready to play (include/clearline/game.h
 * cl_game_setup): the input and preimages of block k of a posted batch
 * (cl_game_prepare), checked against the input the rollup built, the
 * native verdict, and the VM player booted on it. Native only.
 */
#include <stdio.h>
#include <string.h>

#include <clearline/game.h>
#include <clearline/vm.h>

int cl_game_setup(struct cl_game_player **out, int *verdict,
		  const struct cl_game_setup_args *a)
{
	struct cl_preimage_map *pm = cl_preimage_map_new();
	struct cl_game_input in = a->in;
	uint8_t mine[CL_GAME_INPUT_LEN];
	struct cl_hash32 key;
	int rc;

	*out = NULL;
	*verdict = -1;
	rc = cl_game_prepare(&key, pm, &in, a->data, a->data_len, a->deps,
			     a->n_deps, &a->assets, a->forced, a->n_forced,
			     a->genesis, a->pre);
	if (rc)
		goto out;
	cl_game_input_encode(mine, &in);
	if (a->want_input &&
	    (a->want_len != sizeof(mine) ||
	     memcmp(a->want_input, mine, sizeof(mine)) != 0)) {
		rc = CL_ERR_CORRUPT; /* not the rollup's question */
		goto out;
	}
	*verdict = cl_game_verdict(NULL, &key, cl_preimage_map_fetch, pm);
	if (*verdict < 0) {
		rc = *verdict;
		goto out;
	}
	rc = cl_game_player_new(out, a->elf, a->elf_len, &key, pm,
				a->n_steps);
out:
	cl_preimage_map_free(pm);
	return rc;
}

int cl_game_program_read(uint8_t **out, size_t *len, const char *path)
{
	struct vm_machine *m;
	struct vm_image_id id;
	struct cl_buf b;
	uint8_t chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	*out = NULL;
	*len = 0;
	if (!f) {
		cl_unusual("game", "cannot open the game program %s", path);
		return CL_ERR_IO;
	}
	cl_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	       b.len <= CL_GAME_PROGRAM_MAX)
		cl_buf_append(&b, chunk, n);
	bool err = ferror(f) != 0;
	fclose(f);
	if (err || b.len > CL_GAME_PROGRAM_MAX) {
		cl_unusual("game", "cannot read the game program %s", path);
		cl_buf_release(&b);
		return err ? CL_ERR_IO : CL_ERR_CONFIG;
	}
	m = vm_machine_new();
	int rc = vm_load_elf(m, b.p, b.len);
	if (rc == VM_OK)
		rc = vm_image_id(m, &id);
	vm_machine_free(m);
	if (rc != VM_OK) {
		cl_unusual("game", "%s is not a program the VM boots: %s", path,
			   vm_err_str(rc));
		cl_buf_release(&b);
		return CL_ERR_CONFIG;
	}
	*out = b.p;
	*len = b.len;
	return CL_OK;
}
