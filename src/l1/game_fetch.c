/* SPDX-License-Identifier: MIT */
/*
 * What a node reads from L1 to play a game about block k of a batch
 * (include/clearline/l1.h "Playing a game"): the game contracts and
 * parameters from the rollup, the batch's record and posted data, the
 * previous batch's record, the CLB3 input the rollup builds, the
 * deposit and forced records the batch consumes (with the L1 times the
 * node's own tables do not keep), and the GameOpened events of a range.
 */
#include <stdlib.h>
#include <string.h>

#include "l1_int.h"

static int call0(struct cl_l1_rpc *rpc, const struct cl_address *to,
		 struct cl_buf *ret, const char *sig)
{
	struct cl_buf cd;
	int rc;

	cl_buf_init(&cd);
	cl_l1_abi_call0(&cd, sig);
	struct cl_l1_callreq req = {.to = to, .data = cd.p,
				    .data_len = cd.len};
	cl_buf_reset(ret);
	rc = cl_l1_eth_call(rpc, ret, &req, CL_L1_LATEST);
	cl_buf_release(&cd);
	return rc;
}

int cl_l1_game_setup_read(struct cl_l1_rpc *rpc,
			  const struct cl_address *rollup,
			  struct cl_l1_game_setup *out)
{
	struct cl_buf ret;
	int rc;

	memset(out, 0, sizeof(*out));
	cl_buf_init(&ret);
	rc = call0(rpc, rollup, &ret, CL_L1_SIG_DISPUTE);
	if (!rc && !cl_l1_abi_ret_address(&out->dispute, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc)
		rc = call0(rpc, rollup, &ret, CL_L1_SIG_GAME_STEPS);
	if (!rc && (!cl_l1_abi_ret_u64(&out->game_steps, ret.p, ret.len) ||
		    out->game_steps == 0))
		rc = CL_ERR_CORRUPT;
	if (!rc)
		rc = call0(rpc, rollup, &ret, CL_L1_SIG_CHALLENGE_BOND);
	if (!rc && ret.len != 32)
		rc = CL_ERR_CORRUPT;
	if (!rc)
		memcpy(out->bond, ret.p, 32);
	if (!rc)
		rc = call0(rpc, &out->dispute, &ret, CL_L1_SIG_DISPUTE_PREIMAGES);
	if (!rc && !cl_l1_abi_ret_address(&out->preimages, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc)
		rc = call0(rpc, &out->dispute, &ret, CL_L1_SIG_DISPUTE_CLOCK);
	if (!rc && !cl_l1_abi_ret_u64(&out->clock, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	cl_buf_release(&ret);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

void cl_l1_game_material_release(struct cl_l1_game_material *m)
{
	cl_buf_release(&m->tx_input);
	cl_buf_release(&m->input);
	cl_buf_release(&m->asset_list);
	free(m->deps);
	free(m->forced);
	memset(m, 0, sizeof(*m));
}

/* The appendBatch arguments of batch `ev` (its posting transaction). */
static int batch_args(struct cl_l1_rpc *rpc, struct cl_buf *input,
		      struct cl_l1_batch_args *args,
		      const struct cl_l1_batch_event *ev)
{
	bool found = false;
	struct cl_hash32 h;
	int rc;

	cl_buf_reset(input);
	rc = cl_l1_eth_tx_input(rpc, input, &found, &ev->loc.tx_hash);
	if (rc)
		return rc;
	if (!found)
		return CL_ERR_NOT_FOUND;
	if (!cl_l1_abi_decode_append_batch(args, input->p, input->len))
		return CL_ERR_CORRUPT;
	cl_keccak256(h.b, args->data, args->data_len);
	if (!cl_hash32_eq(&h, &ev->data_hash))
		return CL_ERR_CORRUPT;
	return CL_OK;
}

/* The logs of one event of the rollup in [from, to], `range` at a time,
 * each handed to `fn` (which returns CL_OK to go on). */
static int scan(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		const char *event, uint64_t from, uint64_t to, uint64_t range,
		int (*fn)(void *ctx, const struct cl_l1_log *log), void *ctx)
{
	struct cl_l1_filter f;
	int rc = CL_OK;

	if (!range)
		range = 10000;
	memset(&f, 0, sizeof(f));
	f.has_address = true;
	f.address = *rollup;
	f.n_topics = 1;
	cl_l1_event_topic(&f.topics[0], event);
	for (uint64_t a = from; a <= to && !rc; a += range) {
		struct cl_l1_logs logs;

		f.from_block = a;
		f.to_block = to - a >= range ? a + range - 1 : to;
		rc = cl_l1_eth_get_logs(rpc, &logs, &f);
		if (rc)
			break;
		for (size_t i = 0; i < logs.n && !rc; i++)
			rc = fn(ctx, &logs.v[i]);
		cl_l1_logs_release(&logs);
		if (a > UINT64_MAX - range)
			break;
	}
	return rc;
}

struct collect {
	struct cl_l1_game_material *m;
	uint64_t lo, hi; /* ids [lo, hi) */
};

static int take_deposit(void *ctx, const struct cl_l1_log *log)
{
	struct collect *c = ctx;
	struct cl_l1_deposit d;

	if (!cl_l1_decode_deposit(&d, log) || d.id < c->lo || d.id >= c->hi)
		return CL_OK;
	c->m->deps[d.id - c->lo] = d;
	return CL_OK;
}

static int take_forced(void *ctx, const struct cl_l1_log *log)
{
	struct collect *c = ctx;
	struct cl_l1_forced f;

	if (!cl_l1_decode_forced(&f, log) || f.id < c->lo || f.id >= c->hi)
		return CL_OK;
	c->m->forced[f.id - c->lo] = f;
	return CL_OK;
}

/* The asset deposits batch `batch` consumed, as the rollup's assets
 * contract lists them for the game (the asset part of the deposits
 * list, docs/disputes.md "Wiring"): the bytes of gameAssetList. */
static int asset_list(struct cl_l1_rpc *rpc, struct cl_buf *out,
		      const struct cl_address *rollup, uint64_t batch)
{
	struct cl_address assets;
	struct cl_buf ret, cd;
	const uint8_t *p;
	size_t n;
	uint8_t sel[4];
	int rc;

	cl_buf_init(&ret);
	cl_buf_init(&cd);
	rc = call0(rpc, rollup, &ret, CL_L1_SIG_GAME_ASSETS);
	if (!rc && !cl_l1_abi_ret_address(&assets, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc) {
		cl_l1_selector(sel, CL_L1_SIG_GAME_ASSET_LIST);
		cl_buf_append(&cd, sel, 4);
		cl_l1_abi_put_u64(&cd, batch);
		struct cl_l1_callreq req = {.to = &assets, .data = cd.p,
					    .data_len = cd.len};
		cl_buf_reset(&ret);
		rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	}
	if (!rc && !cl_l1_abi_ret_bytes(&p, &n, ret.p, ret.len))
		rc = CL_ERR_CORRUPT;
	if (!rc)
		cl_buf_append(out, p, n);
	cl_buf_release(&ret);
	cl_buf_release(&cd);
	return rc;
}

int cl_l1_game_material_fetch(struct cl_l1_rpc *rpc,
			      const struct cl_address *rollup,
			      uint64_t from_block, uint64_t range,
			      uint64_t batch, uint32_t k,
			      struct cl_l1_game_material *m)
{
	struct cl_l1_batch_args prev_args;
	struct cl_buf prev_input, cd;
	uint64_t head;
	int rc;

	memset(m, 0, sizeof(*m));
	cl_buf_init(&m->tx_input);
	cl_buf_init(&m->input);
	cl_buf_init(&m->asset_list);
	cl_buf_init(&prev_input);
	cl_buf_init(&cd);
	m->k = k;
	rc = cl_l1_batch_record(rpc, rollup, &m->rec, batch, from_block, range);
	if (!rc)
		rc = batch_args(rpc, &m->tx_input, &m->args, &m->rec);
	if (!rc && batch > 0) {
		m->has_prev = true;
		rc = cl_l1_batch_record(rpc, rollup, &m->prev, batch - 1,
					from_block, range);
		if (!rc)
			rc = batch_args(rpc, &prev_input, &prev_args, &m->prev);
		if (!rc)
			m->prev_forced = prev_args.forced_consumed;
	}
	if (rc)
		goto out;
	/* the input the rollup builds for the game */
	cl_l1_abi_game_input(&cd, &m->rec, m->has_prev ? &m->prev : NULL, k);
	struct cl_l1_callreq req = {.to = rollup, .data = cd.p,
				    .data_len = cd.len};
	struct cl_buf ret;
	cl_buf_init(&ret);
	rc = cl_l1_eth_call(rpc, &ret, &req, CL_L1_LATEST);
	if (!rc) {
		const uint8_t *p;
		size_t n;
		if (cl_l1_abi_ret_bytes(&p, &n, ret.p, ret.len))
			cl_buf_append(&m->input, p, n);
		else
			rc = CL_ERR_CORRUPT;
	}
	if (!rc)
		rc = asset_list(rpc, &m->asset_list, rollup, batch);
	cl_buf_release(&ret);
	if (rc)
		goto out;
	/* the records the batch consumes, from their events */
	if (m->rec.deposits_consumed < m->rec.prev_deposits_consumed ||
	    m->args.forced_consumed < m->prev_forced) {
		rc = CL_ERR_CORRUPT;
		goto out;
	}
	m->n_deps = (size_t)(m->rec.deposits_consumed -
			     m->rec.prev_deposits_consumed);
	m->n_forced = (size_t)(m->args.forced_consumed - m->prev_forced);
	m->deps = cl_xcalloc(m->n_deps + 1, sizeof(*m->deps));
	m->forced = cl_xcalloc(m->n_forced + 1, sizeof(*m->forced));
	for (size_t i = 0; i < m->n_deps; i++)
		m->deps[i].id = UINT64_MAX;
	for (size_t i = 0; i < m->n_forced; i++)
		m->forced[i].id = UINT64_MAX;
	rc = cl_l1_eth_block_number(rpc, &head);
	if (rc)
		goto out;
	struct collect c = {m, m->rec.prev_deposits_consumed,
			    m->rec.deposits_consumed};
	if (m->n_deps)
		rc = scan(rpc, rollup, CL_L1_EV_DEPOSIT, from_block, head,
			  range, take_deposit, &c);
	c.lo = m->prev_forced;
	c.hi = m->args.forced_consumed;
	if (!rc && m->n_forced)
		rc = scan(rpc, rollup, CL_L1_EV_FORCED_REQUEST, from_block,
			  head, range, take_forced, &c);
	for (size_t i = 0; !rc && i < m->n_deps; i++)
		if (m->deps[i].id != m->rec.prev_deposits_consumed + i)
			rc = CL_ERR_NOT_FOUND;
	for (size_t i = 0; !rc && i < m->n_forced; i++)
		if (m->forced[i].id != m->prev_forced + i)
			rc = CL_ERR_NOT_FOUND;
out:
	cl_buf_release(&prev_input);
	cl_buf_release(&cd);
	if (rc)
		cl_l1_game_material_release(m);
	else
		/* args.data borrows tx_input, which stays put from here */
		m->data = m->args.data, m->data_len = m->args.data_len;
	return rc;
}

struct opened {
	int (*fn)(void *ctx, const struct cl_l1_game_opened *ev);
	void *ctx;
};

static int take_opened(void *ctx, const struct cl_l1_log *log)
{
	struct opened *o = ctx;
	struct cl_l1_game_opened ev;

	if (!cl_l1_decode_game_opened(&ev, log))
		return CL_OK;
	return o->fn(o->ctx, &ev);
}

int cl_l1_games_opened(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		       uint64_t from, uint64_t to, uint64_t range,
		       int (*fn)(void *ctx, const struct cl_l1_game_opened *ev),
		       void *ctx)
{
	struct opened o = {fn, ctx};

	if (from > to)
		return CL_OK;
	return scan(rpc, rollup, CL_L1_EV_GAME_OPENED, from, to, range,
		    take_opened, &o);
}

int cl_l1_batches_each(struct cl_l1_rpc *rpc, const struct cl_address *rollup,
		       uint64_t from_block, uint64_t range, uint64_t first,
		       uint64_t end,
		       int (*fn)(void *ctx, uint64_t index, const uint8_t *data,
				 size_t len),
		       void *ctx)
{
	struct cl_buf input;
	int rc = CL_OK;

	cl_buf_init(&input);
	for (uint64_t j = first; j < end && !rc; j++) {
		struct cl_l1_batch_event ev;
		struct cl_l1_batch_args args;

		rc = cl_l1_batch_record(rpc, rollup, &ev, j, from_block, range);
		if (!rc)
			rc = batch_args(rpc, &input, &args, &ev);
		if (!rc)
			rc = fn(ctx, j, args.data, args.data_len);
	}
	cl_buf_release(&input);
	return rc;
}
