/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/cli: the demo-traffic commands of cmd_bot.c
 * (`oracle-feed`, `bot maker`, `bot taker`). They take options of their
 * own, so cl_cli_run() hands them the whole command line.
 */
#ifndef CLEARLINE_CLI_CMD_BOT_H
#define CLEARLINE_CLI_CMD_BOT_H

#include <clearline/cli.h>

#include "cli_int.h"

/* True when the command word of argv is one of the demo-traffic
 * commands. */
bool cli_bot_claims(int argc, char **argv);

/* Parse argv (all of it, global options included) and run the command.
 * Returns an enum cl_cli_exit. */
int cli_bot_main(struct cl_cli *cli, int argc, char **argv);

/* The entries of the command table (help text only: cl_cli_run() hands
 * these commands to cli_bot_main() before the table is consulted). */
int cli_cmd_oracle_feed(struct cl_cli *cli, const struct cli_args *a);
int cli_cmd_bot(struct cl_cli *cli, const struct cli_args *a);

#endif /* CLEARLINE_CLI_CMD_BOT_H */
