/* SPDX-License-Identifier: MIT */
/*
 * The host side of the verdict program (include/clearline/game.h): the
 * CLB3 input for block k of a posted batch and every preimage the
 * program reads, so that a node can run it natively or in the VM and
 * post what a step needs to the L1 preimage oracle. Native only.
 */
#include <string.h>

#include <clearline/batch.h>
#include <clearline/game.h>

/* The root the program walks for block k: the previous batch's for
 * k = 0, else block k-1's in the data. False when the data does not
 * decode or has no block k (the program then decides before walking). */
static bool walk_root(struct cl_hash32 *out, const struct cl_game_input *in,
		      const uint8_t *data, size_t len)
{
	struct cl_batch_limits lim;
	struct cl_batch2 b;
	bool ok;

	if (in->k == 0) {
		*out = in->prev_root;
		return true;
	}
	cl_batch_limits_default(&lim);
	if (cl_batch2_decode(&b, data, len, &lim) != CL_BATCH_OK)
		return false;
	ok = in->k < b.n_blocks;
	if (ok)
		*out = b.blocks[in->k - 1].root;
	cl_batch2_release(&b);
	return ok;
}

int cl_game_prepare(struct cl_hash32 *key, struct cl_preimage_map *pm,
		    struct cl_game_input *in, const uint8_t *data,
		    size_t data_len, const struct cl_game_deposit *deps,
		    size_t n_deps, const struct cl_game_assets *assets,
		    const struct cl_game_forced *forced,
		    size_t n_forced, const struct cl_genesis *g,
		    struct cl_state *pre)
{
	uint8_t bytes[CL_GAME_INPUT_LEN];
	struct cl_hash32 h, want, have;
	struct cl_buf list;
	int rc;

	cl_keccak256(h.b, data, data_len);
	if (!cl_hash32_eq(&h, &in->rec.data_hash) ||
	    in->rec.deposits < in->rec.prev_deposits ||
	    n_deps != in->rec.deposits - in->rec.prev_deposits ||
	    in->rec.forced < in->rec.prev_forced ||
	    n_forced != in->rec.forced - in->rec.prev_forced ||
	    (assets && assets->n > 0 &&
	     assets->first > UINT64_MAX - assets->n))
		return CL_ERR_CONFIG;
	if (pre) {
		rc = cl_state_root(pre, &have);
		if (rc)
			return rc;
		if (walk_root(&want, in, data, data_len) &&
		    !cl_hash32_eq(&want, &have))
			return CL_ERR_CONFIG;
		rc = cl_preimage_map_add_state(pm, pre);
		if (rc)
			return rc;
	}
	cl_buf_init(&list);
	cl_game_deposits_encode(&list, deps, n_deps);
	cl_game_asset_deposits_encode(&list, assets);
	cl_keccak256(in->deposits_hash.b, list.p, list.len);
	cl_preimage_map_add(pm, list.p, list.len);
	cl_buf_reset(&list);
	cl_game_forced_encode(&list, forced, n_forced);
	cl_keccak256(in->forced_hash.b, list.p, list.len);
	cl_preimage_map_add(pm, list.p, list.len);
	cl_buf_reset(&list);
	cl_genesis_encode(&list, g);
	cl_keccak256(in->genesis_hash.b, list.p, list.len);
	cl_preimage_map_add(pm, list.p, list.len);
	cl_buf_release(&list);
	cl_preimage_map_add(pm, data, data_len);
	cl_game_input_encode(bytes, in);
	cl_keccak256(key->b, bytes, sizeof(bytes));
	cl_preimage_map_add(pm, bytes, sizeof(bytes));
	return CL_OK;
}

bool cl_game_asset_list_decode(uint64_t *first,
			       struct cl_game_asset_deposit **d, size_t *n,
			       const uint8_t *p, size_t len)
{
	size_t count;

	*first = 0;
	*d = NULL;
	*n = 0;
	if (len == 0)
		return true;
	if (len < CL_GAME_ASSET_HEAD_LEN + CL_GAME_ASSET_DEPOSIT_LEN ||
	    (len - CL_GAME_ASSET_HEAD_LEN) % CL_GAME_ASSET_DEPOSIT_LEN != 0)
		return false;
	count = (len - CL_GAME_ASSET_HEAD_LEN) / CL_GAME_ASSET_DEPOSIT_LEN;
	if (cl_get_be64(p) > UINT64_MAX - count)
		return false;
	*first = cl_get_be64(p);
	*d = cl_xcalloc(count, sizeof(**d));
	p += CL_GAME_ASSET_HEAD_LEN;
	for (size_t i = 0; i < count; i++, p += CL_GAME_ASSET_DEPOSIT_LEN) {
		memcpy((*d)[i].to.b, p, 20);
		(*d)[i].amount = cl_get_be64(p + 20);
		(*d)[i].timestamp = cl_get_be32(p + 28);
		(*d)[i].asset = cl_get_be32(p + 32);
	}
	*n = count;
	return true;
}
