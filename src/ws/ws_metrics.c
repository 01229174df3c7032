/* SPDX-License-Identifier: MIT */
/* The WebSocket endpoint's counters for the metrics endpoint
 * (docs/operations.md "Metrics"). */
#include <clearline/rpc.h>
#include <clearline/ws.h>

void cl_ws_metrics(void *ws, struct cl_metrics_writer *w)
{
	struct cl_ws_stats st;

	cl_ws_server_stats(ws, &st);
	cl_metrics_gauge(w, "clearline_ws_clients",
			 "WebSocket clients connected", st.clients);
	cl_metrics_counter(w, "clearline_ws_clients_cut_total",
			   "WebSocket clients cut for a full send queue "
			   "(close 4001)",
			   st.cut_slow);
	cl_metrics_counter(w, "clearline_ws_messages_dropped_total",
			   "WebSocket messages freed unsent with a cut client",
			   st.dropped);
	cl_metrics_counter(w, "clearline_ws_messages_sent_total",
			   "WebSocket messages handed to the socket", st.sent);
	cl_metrics_counter(w, "clearline_ws_events_dropped_total",
			   "Block events the WebSocket endpoint dropped over "
			   "its queue's bound",
			   st.events_dropped);
	cl_metrics_counter(w, "clearline_ws_orders_rate_limited_total",
			   "Orders and cancels refused with 2007 by a "
			   "WebSocket connection's rate limit",
			   st.rate_limited);
}
