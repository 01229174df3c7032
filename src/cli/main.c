/* SPDX-License-Identifier: MIT */
/* clearline-cli: the wallet and operator tool (see include/clearline/cli.h). */
#include <clearline/cli.h>

int main(int argc, char **argv)
{
	struct cl_cli cli;
	int rc;

	cl_cli_init(&cli);
	rc = cl_cli_run(&cli, argc, argv);
	cl_cli_release(&cli);
	return rc;
}
