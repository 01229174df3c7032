/* SPDX-License-Identifier: MIT */
/*
 * One scrape of the metrics endpoint: read every source the node handed
 * over (include/clearline/rpc.h "the metrics endpoint") and write it in
 * the Prometheus text exposition format 0.0.4. Names start with
 * clearline_ and carry their unit; docs/operations.md "Metrics" lists
 * them. Nothing here blocks on the writer: the chain reader, the
 * sequencer's counters and the servers' statistics are all thread-safe
 * reads.
 */
#include <clearline/api.h>
#include <clearline/chain.h>
#include <clearline/rpc.h>
#include <clearline/sequencer.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct cl_metrics_writer {
	struct cl_buf out;
};

static void put(struct cl_metrics_writer *w, const char *s)
{
	cl_buf_append(&w->out, s, strlen(s));
}

void cl_metrics_family(struct cl_metrics_writer *w, const char *name,
		       const char *type, const char *help)
{
	put(w, "# HELP ");
	put(w, name);
	put(w, " ");
	put(w, help);
	put(w, "\n# TYPE ");
	put(w, name);
	put(w, " ");
	put(w, type);
	put(w, "\n");
}

static void sample_text(struct cl_metrics_writer *w, const char *name,
			const char *labels, const char *value)
{
	put(w, name);
	if (labels && labels[0]) {
		put(w, "{");
		put(w, labels);
		put(w, "}");
	}
	put(w, " ");
	put(w, value);
	put(w, "\n");
}

void cl_metrics_sample(struct cl_metrics_writer *w, const char *name,
		       const char *labels, uint64_t value)
{
	char v[32];
	snprintf(v, sizeof(v), "%" PRIu64, value);
	sample_text(w, name, labels, v);
}

void cl_metrics_sample_micro(struct cl_metrics_writer *w, const char *name,
			     const char *labels, uint64_t micro)
{
	char v[48];
	snprintf(v, sizeof(v), "%" PRIu64 ".%06" PRIu64, micro / 1000000u,
		 micro % 1000000u);
	sample_text(w, name, labels, v);
}

void cl_metrics_counter(struct cl_metrics_writer *w, const char *name,
			const char *help, uint64_t value)
{
	cl_metrics_family(w, name, "counter", help);
	cl_metrics_sample(w, name, NULL, value);
}

void cl_metrics_gauge(struct cl_metrics_writer *w, const char *name,
		      const char *help, uint64_t value)
{
	cl_metrics_family(w, name, "gauge", help);
	cl_metrics_sample(w, name, NULL, value);
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* ---- the sequencer ---- */

static const char *const outcome_names[CL_SEQ_N_OUTCOMES] = {
	[CL_SEQ_ACCEPTED] = "accepted", [CL_SEQ_REJECTED] = "rejected",
	[CL_SEQ_REFUSED] = "refused",	[CL_SEQ_BUSY] = "busy",
	[CL_SEQ_FAILED] = "failed",
};

static void outcomes(struct cl_metrics_writer *w, const char *name,
		     const char *help, const uint64_t *v)
{
	char l[48];
	cl_metrics_family(w, name, "counter", help);
	for (size_t i = 0; i < CL_SEQ_N_OUTCOMES; i++) {
		snprintf(l, sizeof(l), "result=\"%s\"", outcome_names[i]);
		cl_metrics_sample(w, name, l, v[i]);
	}
}

static void histogram(struct cl_metrics_writer *w, const char *name,
		      const char *help, const struct cl_seq_hist *h)
{
	char n[128], l[48];
	uint64_t cum = 0;

	cl_metrics_family(w, name, "histogram", help);
	snprintf(n, sizeof(n), "%s_bucket", name);
	for (size_t i = 0; i < CL_SEQ_HIST_BOUNDS; i++) {
		uint64_t b = cl_seq_hist_bounds_us[i];
		cum += h->bucket[i];
		snprintf(l, sizeof(l), "le=\"%" PRIu64 ".%06" PRIu64 "\"",
			 b / 1000000u, b % 1000000u);
		cl_metrics_sample(w, n, l, cum);
	}
	cum += h->bucket[CL_SEQ_HIST_BOUNDS];
	cl_metrics_sample(w, n, "le=\"+Inf\"", cum);
	snprintf(n, sizeof(n), "%s_sum", name);
	cl_metrics_sample_micro(w, n, NULL, h->sum_us);
	snprintf(n, sizeof(n), "%s_count", name);
	cl_metrics_sample(w, n, NULL, cum);
}

static void write_seq(struct cl_metrics_writer *w, struct cl_seq *seq)
{
	struct cl_seq_metrics m;
	char l[48];

	cl_seq_metrics(seq, &m);
	outcomes(w, "clearline_requests_total",
		 "Submissions to the sequencer by what became of them",
		 m.requests);
	outcomes(w, "clearline_orders_total",
		 "Orders (place requests) submitted to the sequencer by what "
		 "became of them",
		 m.orders);
	cl_metrics_family(w, "clearline_orders_rejected_total", "counter",
			  "Orders the state transition rejected, by JSON-RPC "
			  "error code (docs/api.md)");
	for (int c = 1; c < CL_SEQ_MAX_CODE; c++) {
		if (!m.order_rejects[c])
			continue;
		snprintf(l, sizeof(l), "code=\"%d\"", cl_api_error_code(c));
		cl_metrics_sample(w, "clearline_orders_rejected_total", l,
				  m.order_rejects[c]);
	}
	histogram(w, "clearline_ack_latency_seconds",
		  "Time from a submission entering the sequencer's queue to "
		  "its answer (accepted: after its block is durable)",
		  &m.ack);
	histogram(w, "clearline_block_seal_duration_seconds",
		  "Time to seal a block: write, commit and sync",
		  &m.seal);
	cl_metrics_counter(w, "clearline_blocks_sealed_total",
			   "Blocks sealed by this process", m.blocks_sealed);
	cl_metrics_counter(w, "clearline_block_requests_sealed_total",
			   "Requests in the blocks sealed by this process",
			   m.txs_sealed);
	cl_metrics_gauge(w, "clearline_queue_depth",
			 "Submissions waiting for the sequencer", m.queued);
	cl_metrics_gauge(w, "clearline_queue_capacity",
			 "Submissions the queue holds before it answers busy",
			 m.queue_max);
	cl_metrics_gauge(w, "clearline_block_records_pruned_through",
			 "The newest block whose record keeps its header only "
			 "(its batch final on L1)",
			 m.pruned_through);
	cl_metrics_counter(w, "clearline_block_record_bytes_pruned_total",
			   "Request bytes dropped from block records of final "
			   "batches by this process",
			   m.pruned_bytes);
}

/* ---- the sequencer's link to L1 ---- */

static void write_posting(struct cl_metrics_writer *w,
			  const struct cl_metrics_config *cfg,
			  const struct cl_chain_sync *s)
{
	struct cl_l1_status ls;

	cl_l1_driver_status(cfg->l1, &ls);
	cl_metrics_counter(w, "clearline_batches_confirmed_total",
			   "Batches this process saw confirmed on L1",
			   ls.batches_confirmed);
	cl_metrics_counter(w, "clearline_batch_bytes_total",
			   "Calldata bytes of the batches confirmed",
			   ls.batch_bytes_total);
	cl_metrics_counter(w, "clearline_batch_gas_total",
			   "L1 gas used by the batches confirmed",
			   ls.batch_gas_total);
	cl_metrics_gauge(w, "clearline_batch_last_bytes",
			 "Calldata bytes of the last batch confirmed",
			 ls.last_batch_bytes);
	cl_metrics_gauge(w, "clearline_batch_last_gas",
			 "L1 gas used by the last batch confirmed",
			 ls.last_batch_gas);
	cl_metrics_gauge(w, "clearline_batch_posting",
			 "1 while a batch is on its way to L1", ls.posting);
	cl_metrics_gauge(w, "clearline_batch_post_failures",
			 "Failed batch posts in a row (0 after a success)",
			 ls.post_failures);
	cl_metrics_gauge(w, "clearline_deposits_credited",
			 "L1 deposits credited (ids below this)",
			 ls.deposits_credited);

	/* blocks sealed but not in a batch on L1: the last posted batch is
	 * the cut of the same number */
	uint64_t posted_last = 0;
	if (s->has_posted) {
		struct cl_stf_view v;
		struct cl_batch_cut cut;
		if (cl_chain_view(cfg->reader, &v) != CL_OK)
			return;
		int rc = cl_chain_get_cut(v.snapshot, &cut, s->posted_batch);
		cl_chain_view_release(&v);
		if (rc != CL_OK)
			return;
		posted_last = cut.last_block;
	}
	cl_metrics_gauge(w, "clearline_posting_lag_blocks",
			 "Blocks sealed whose batch is not on L1 yet",
			 sub_sat(s->head_block, posted_last));
}

/* ---- a node that derives from L1 ---- */

static void write_derivation(struct cl_metrics_writer *w,
			     const struct cl_chain_sync *s)
{
	uint64_t posted = s->has_posted ? s->posted_batch + 1 : 0;
	uint64_t derived = s->has_derived ? s->derived_batch + 1 : 0;
	const struct cl_chain_fault *f = &s->fault;

	cl_metrics_gauge(w, "clearline_batches_verified",
			 "Batches verified (indices below this)", derived);
	cl_metrics_gauge(w, "clearline_verifier_lag_batches",
			 "Batches on L1 not verified yet",
			 sub_sat(posted, derived));
	cl_metrics_gauge(w, "clearline_verifier_lag_blocks",
			 "L2 blocks posted on L1 not derived yet",
			 sub_sat(s->posted_last_block, s->head_block));
	cl_metrics_gauge(w, "clearline_verifier_blocks_per_second",
			 "Blocks derived per second, recently",
			 s->blocks_per_second);
	cl_metrics_counter(w, "clearline_verifier_txs_derived_total",
			   "Transactions replayed (kept across restarts; back "
			   "to 0 on a re-derivation)",
			   s->txs_derived);
	cl_metrics_counter(w, "clearline_verifier_rederivations_total",
			   "Derivations from genesis again (deep reorg, "
			   "discard) since start",
			   s->rederivations);
	cl_metrics_gauge(w, "clearline_verifier_fault",
			 "1 when this node found a wrong batch (derivation "
			 "stopped there)",
			 f->set);
	cl_metrics_gauge(w, "clearline_disputes_open",
			 "Disputes this node has open: a fault found whose "
			 "challenge is not given up",
			 f->set && !f->challenge_failed);
	cl_metrics_gauge(w, "clearline_challenge_confirmed",
			 "1 when this node's challenge is confirmed on L1",
			 f->set && f->challenged);
	cl_metrics_gauge(w, "clearline_challenge_failed",
			 "1 when this node gave up challenging its fault",
			 f->set && f->challenge_failed);
}

/* ---- dispute games (a node that plays them) ---- */

/* The games l2_syncStatus lists (the node's most recent, at most
 * CL_CHAIN_MAX_GAMES), by our side and where each stands: open (not
 * over on L1), won or lost (over, by its winner). */
static void write_games(struct cl_metrics_writer *w,
			const struct cl_chain_sync *s)
{
	static const char *const G = "clearline_dispute_games";
	static const unsigned sides[2] = {CL_L1_SIDE_DEFENDER,
					  CL_L1_SIDE_CHALLENGER};
	static const char *const side_names[2] = {"defender", "challenger"};
	static const char *const states[3] = {"open", "won", "lost"};
	uint64_t n[2][3] = {{0}};
	uint64_t open = 0;
	char l[64];

	for (size_t i = 0; i < s->n_games && i < CL_CHAIN_MAX_GAMES; i++) {
		const struct cl_chain_game *g = &s->games[i];
		size_t r = g->role == CL_L1_SIDE_DEFENDER     ? 0
			   : g->role == CL_L1_SIDE_CHALLENGER ? 1
							      : 2;
		if (r == 2)
			continue;
		size_t st = g->phase != CL_L1_PHASE_OVER ? 0
			    : g->winner == g->role	   ? 1
							   : 2;
		n[r][st]++;
		open += st == 0;
	}
	cl_metrics_family(w, G, "gauge",
			  "Dispute games this node plays (its most recent, "
			  "as l2_syncStatus lists them), by its side and "
			  "state: open, won or lost");
	for (size_t r = 0; r < 2; r++) {
		(void)sides[r];
		for (size_t st = 0; st < 3; st++) {
			snprintf(l, sizeof(l), "role=\"%s\",state=\"%s\"",
				 side_names[r], states[st]);
			cl_metrics_sample(w, G, l, n[r][st]);
		}
	}
	cl_metrics_gauge(w, "clearline_dispute_games_open",
			 "Dispute games this node plays that are not over on "
			 "L1",
			 open);
}

/* ---- the chain, every mode ---- */

static void write_chain(struct cl_metrics_writer *w,
			const struct cl_metrics_config *cfg)
{
	struct cl_chain_sync s;

	memset(&s, 0, sizeof(s));
	if (cl_chain_sync(cfg->reader, &s) != CL_OK) {
		cl_metrics_gauge(w, "clearline_sync_ok",
				 "1 when the node's status could be read", 0);
		return;
	}
	cl_metrics_gauge(w, "clearline_sync_ok",
			 "1 when the node's status could be read", 1);
	cl_metrics_gauge(w, "clearline_head_block",
			 "Last block this node serves (sealed or derived)",
			 s.head_block);
	cl_metrics_family(w, "clearline_head_timestamp_seconds", "gauge",
			  "Time of the head block, seconds since the epoch");
	cl_metrics_sample_micro(w, "clearline_head_timestamp_seconds", NULL,
				s.head_timestamp_ms * 1000u);
	if (s.l1_attached) {
		cl_metrics_gauge(w, "clearline_l1_reachable",
				 "1 when the last L1 poll reached L1",
				 s.l1_reachable);
		cl_metrics_gauge(w, "clearline_l1_head_block",
				 "Newest L1 block seen", s.l1_head);
		cl_metrics_gauge(w, "clearline_l1_scanned_block",
				 "L1 blocks below this are scanned",
				 s.l1_scanned);
		cl_metrics_gauge(w, "clearline_l1_head_lag_blocks",
				 "L1 blocks from the head not scanned yet "
				 "(includes the confirmation depth)",
				 sub_sat(s.l1_head + 1, s.l1_scanned));
		cl_metrics_gauge(w, "clearline_batches_posted",
				 "Batches on L1 (the rollup's batch count)",
				 s.has_posted ? s.posted_batch + 1 : 0);
		cl_metrics_gauge(w, "clearline_batches_final",
				 "Batches final on L1",
				 s.has_final ? s.finalized_batch + 1 : 0);
	}
	if (cfg->l1 && s.has_posting)
		write_posting(w, cfg, &s);
	if (s.has_derivation)
		write_derivation(w, &s);
	if (s.has_games)
		write_games(w, &s);
}

/* ---- the JSON-RPC server ---- */

static void write_rpc(struct cl_metrics_writer *w, struct cl_rpc_server *rpc)
{
	struct cl_rpc_stats st;
	static const char *const R = "clearline_rpc_refused_total";
	static const char *const C = "clearline_rpc_cut_total";

	cl_rpc_server_stats(rpc, &st);
	cl_metrics_gauge(w, "clearline_rpc_connections",
			 "JSON-RPC connections open", st.open);
	cl_metrics_gauge(w, "clearline_rpc_connections_max",
			 "JSON-RPC connection limit in force", st.max_conns);
	cl_metrics_family(w, R, "counter",
			  "JSON-RPC connections or requests refused by a "
			  "limit, by reason");
	cl_metrics_sample(w, R, "reason=\"connections\"", st.refused);
	cl_metrics_sample(w, R, "reason=\"no_fd\"", st.no_fd);
	cl_metrics_sample(w, R, "reason=\"too_large\"", st.too_large);
	cl_metrics_sample(w, R, "reason=\"encoding\"", st.bad_encoding);
	cl_metrics_sample(w, R, "reason=\"rate\"", st.rate_limited);
	cl_metrics_family(w, C, "counter",
			  "JSON-RPC connections closed for a deadline, by "
			  "phase");
	cl_metrics_sample(w, C, "phase=\"idle\"", st.cut_idle);
	cl_metrics_sample(w, C, "phase=\"headers\"", st.cut_headers);
	cl_metrics_sample(w, C, "phase=\"body\"", st.cut_body);
	cl_metrics_sample(w, C, "phase=\"send\"", st.cut_send);
	cl_metrics_counter(w, "clearline_rpc_at_limit_total",
			   "Times the JSON-RPC connections filled the limit",
			   st.at_limit);
}

/* ---- orders and cancels refused by a rate limit ---- */

static void write_rate_limits(struct cl_metrics_writer *w,
			      const struct cl_api *api)
{
	static const char *const R = "clearline_orders_rate_limited_total";
	struct cl_api_rate_stats st;

	cl_api_rate_stats(api, &st);
	cl_metrics_family(w, R, "counter",
			  "Orders and cancels refused with 2007 by a rate "
			  "limit, by bucket: the signing account's (HTTP and "
			  "WebSocket) or the HTTP connection's (the WebSocket "
			  "connection's: clearline_ws_orders_rate_limited_"
			  "total)");
	cl_metrics_sample(w, R, "limit=\"account\"", st.account);
	cl_metrics_sample(w, R, "limit=\"connection\"", st.connection);
}

/* ---- the process ---- */

static void write_process(struct cl_metrics_writer *w)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size, rss;
	if (f) {
		long page = sysconf(_SC_PAGESIZE);
		static const char *const RSS =
			"clearline_process_resident_memory_bytes";
		if (fscanf(f, "%llu %llu", &size, &rss) == 2 && page > 0)
			cl_metrics_gauge(w, RSS, "Resident memory",
					 rss * (uint64_t)page);
		fclose(f);
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		uint64_t n = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		/* less the directory's own descriptor */
		cl_metrics_gauge(w, "clearline_process_open_fds",
				 "Open file descriptors of the process",
				 n ? n - 1 : 0);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		cl_metrics_gauge(w, "clearline_process_max_fds",
				 "Open-file limit of the process",
				 (uint64_t)rl.rlim_cur);
}

char *cl_metrics_render(const struct cl_metrics_config *cfg, size_t *len)
{
	struct cl_metrics_writer w;
	char l[64];

	cl_buf_init(&w.out);
	cl_metrics_family(&w, "clearline_info", "gauge",
			  "Always 1; the mode this node runs in");
	snprintf(l, sizeof(l), "mode=\"%s\"", cfg->mode ? cfg->mode : "");
	cl_metrics_sample(&w, "clearline_info", l, 1);
	write_chain(&w, cfg);
	if (cfg->seq)
		write_seq(&w, cfg->seq);
	if (cfg->rpc)
		write_rpc(&w, cfg->rpc);
	if (cfg->api)
		write_rate_limits(&w, cfg->api);
	if (cfg->extra)
		cfg->extra(cfg->extra_arg, &w);
	write_process(&w);
	cl_buf_append_byte(&w.out, 0);
	*len = w.out.len - 1;
	return (char *)w.out.p;
}
