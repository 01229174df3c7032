/* SPDX-License-Identifier: MIT */
/*
 * The `batches` stream: where the node's batches stand on L1, from its
 * sync status (cl_chain_sync), read every poll_ms on the ws thread. One
 * message per batch and step: `posted` (on L1; a sequencer adds the
 * blocks and root from its cut), `verified` (a deriving node checked
 * it), `final` (past the challenge period); `discarded` when the batch
 * count on L1 went back (a won challenge). The stream starts where the
 * node stands when the server starts: earlier batches are not replayed.
 * A node without an L1 never publishes on it.
 */
#include "ws_int.h"

#include <string.h>

/* A jump further than this is published over several polls, so one
 * poll never builds more than this many messages per kind. */
#define WS_BATCHES_PER_POLL 256u

static json_t *opt_index(bool has, uint64_t v)
{
	return has ? cl_json_from_u64(v) : json_null();
}

void ws_batches_state(struct cl_ws_server *s, json_t *o)
{
	if (!s->batches_known)
		ws_batches_poll(s);
	json_object_set_new(o, "postedBatch",
			    opt_index(s->b_has_posted, s->b_posted));
	json_object_set_new(o, "verifiedBatch",
			    opt_index(s->b_has_verified, s->b_verified));
	json_object_set_new(o, "finalizedBatch",
			    opt_index(s->b_has_final, s->b_final));
}

/* The blocks and root of batch `index` from a sequencer's cut; nothing
 * (no such record: a deriving node) leaves `o` as it is. */
static void add_cut(struct cl_ws_server *s, json_t *o, uint64_t index)
{
	struct cl_stf_view v;
	struct cl_batch_cut cut;

	if (cl_chain_view(&s->reader, &v) != CL_OK) {
		cl_chain_view_release(&v);
		return;
	}
	if (cl_chain_get_cut(v.snapshot, &cut, index) == CL_OK) {
		json_object_set_new(o, "firstBlock",
				    cl_json_from_u64(cut.first_block));
		json_object_set_new(o, "lastBlock",
				    cl_json_from_u64(cut.last_block));
		json_object_set_new(o, "stateRoot",
				    cl_json_from_bytes(cut.root.b, 32));
	}
	cl_chain_view_release(&v);
}

static void publish(struct cl_ws_server *s, const char *status,
		    uint64_t index)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("batch"));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "batch", cl_json_from_u64(index));
	json_object_set_new(o, "block", cl_json_from_u64(s->published));
	if (strcmp(status, "posted") == 0)
		add_cut(s, o, index);
	ws_stream_publish(s, &s->batches, o);
}

/* Publish the steps of one kind after the last one said (`have`,
 * `at`) up to `now` (when `has`). */
static void advance(struct cl_ws_server *s, const char *status, bool *have,
		    uint64_t *at, bool has, uint64_t now)
{
	if (!has)
		return;
	uint64_t from = *have ? *at + 1 : 0;
	unsigned n = 0;
	for (uint64_t i = from; i <= now && n < WS_BATCHES_PER_POLL; i++, n++) {
		publish(s, status, i);
		*have = true;
		*at = i;
	}
}

void ws_batches_poll(struct cl_ws_server *s)
{
	struct cl_chain_sync sync;

	memset(&sync, 0, sizeof(sync));
	if (cl_chain_sync(&s->reader, &sync) != CL_OK || !sync.l1_attached)
		return;
	bool has_ver = sync.has_derivation && sync.has_derived;
	if (!s->batches_known) {
		/* the stream starts here */
		s->batches_known = true;
		s->b_has_posted = sync.has_posted;
		s->b_posted = sync.posted_batch;
		s->b_has_verified = has_ver;
		s->b_verified = sync.derived_batch;
		s->b_has_final = sync.has_final;
		s->b_final = sync.finalized_batch;
		return;
	}
	/* fewer batches on L1 than we said: a discard */
	if (s->b_has_posted &&
	    (!sync.has_posted || sync.posted_batch < s->b_posted)) {
		uint64_t from = sync.has_posted ? sync.posted_batch + 1 : 0;
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("discarded"));
		json_object_set_new(o, "fromBatch", cl_json_from_u64(from));
		json_object_set_new(o, "block", cl_json_from_u64(s->published));
		ws_stream_publish(s, &s->batches, o);
		s->b_has_posted = sync.has_posted;
		s->b_posted = sync.posted_batch;
		if (s->b_has_verified && s->b_verified >= from) {
			s->b_has_verified = from > 0;
			s->b_verified = from > 0 ? from - 1 : 0;
		}
	}
	advance(s, "posted", &s->b_has_posted, &s->b_posted, sync.has_posted,
		sync.posted_batch);
	if (has_ver && (!s->b_has_verified || sync.derived_batch >= s->b_verified))
		advance(s, "verified", &s->b_has_verified, &s->b_verified,
			has_ver, sync.derived_batch);
	else if (has_ver) {
		/* a re-derivation from genesis: start again from there */
		s->b_verified = sync.derived_batch;
	}
	advance(s, "final", &s->b_has_final, &s->b_final, sync.has_final,
		sync.finalized_batch);
}
