/* SPDX-License-Identifier: MIT */
/*
 * clearline-cli games: the dispute games the node plays, from
 * l2_syncStatus's "games" (docs/api.md, docs/disputes.md "The nodes"):
 * one row a game with its position, both clocks and the next move.
 */
#include "cli_int.h"

#include <stdio.h>

int cli_cmd_games(struct cl_cli *cli, const struct cli_args *a)
{
	static const char *const head[] = {
	    "game", "batch", "block", "role", "phase", "interval",
	    "defender clock", "challenger clock", "next", "last move"};
	struct cl_cli_table t;
	const json_t *games, *g;
	json_t *r;
	size_t i;
	int rc = cl_cli_call(cli, &r, "l2_syncStatus", NULL);

	(void)a;
	if (rc)
		return rc;
	games = json_object_get(r, "games");
	if (cli->json) {
		json_t *out = games ? json_incref((json_t *)games) : json_array();
		json_decref(r);
		cli_json_done(cli, out);
		return CL_CLI_EXIT_OK;
	}
	if (!games) {
		fprintf(cli->out, "the node plays no games (start it with "
				  "game-program)\n");
		json_decref(r);
		return CL_CLI_EXIT_OK;
	}
	if (!json_is_array(games) || json_array_size(games) == 0) {
		fprintf(cli->out, "no games\n");
		json_decref(r);
		return CL_CLI_EXIT_OK;
	}
	cl_cli_table_init(&t, 10, head, 0xc7);
	json_array_foreach(games, i, g) {
		char id[32], b[32], k[32], role[16], phase[24], iv[72];
		char dc[32], cc[32], next[64], last[112], lo[32], hi[32];

		cli_fmt_text(id, sizeof(id), json_object_get(g, "id"));
		cli_fmt_text(b, sizeof(b), json_object_get(g, "batch"));
		cli_fmt_text(k, sizeof(k), json_object_get(g, "k"));
		cli_fmt_text(role, sizeof(role), json_object_get(g, "role"));
		cli_fmt_text(phase, sizeof(phase), json_object_get(g, "phase"));
		cli_fmt_text(lo, sizeof(lo), json_object_get(g, "lo"));
		cli_fmt_text(hi, sizeof(hi), json_object_get(g, "hi"));
		snprintf(iv, sizeof(iv), "(%s, %s]", lo, hi);
		cli_fmt_text(dc, sizeof(dc), json_object_get(g, "defenderClockS"));
		cli_fmt_text(cc, sizeof(cc),
			     json_object_get(g, "challengerClockS"));
		cli_fmt_text(next, sizeof(next), json_object_get(g, "nextMove"));
		cli_fmt_text(last, sizeof(last), json_object_get(g, "lastMove"));
		const json_t *w = json_object_get(g, "winner");
		if (json_is_string(w))
			snprintf(next, sizeof(next), "%s won%s",
				 json_string_value(w),
				 json_is_true(json_object_get(g, "resolved"))
				     ? ", resolved"
				     : ": resolve");
		cli_sanitize(next);
		cli_sanitize(last);
		cli_sanitize(phase);
		cli_sanitize(role);
		cl_cli_table_add(&t, id, b, k, role, phase, iv, dc, cc, next,
				 last);
	}
	cl_cli_table_print(&t, cli->out);
	cl_cli_table_release(&t);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
