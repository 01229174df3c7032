/* SPDX-License-Identifier: MIT */
/* key new, key import, key address. */
#include <clearline/cli.h>

#include <string.h>

#include "cli_int.h"

static void print_address(struct cl_cli *cli, const struct cl_address *a)
{
	char s[CL_ADDRESS_STR_LEN + 1];

	cl_address_format(s, a);
	if (cli->json)
		fprintf(cli->out, "{\"address\":\"%s\"}\n", s);
	else
		fprintf(cli->out, "%s\n", s);
}

/* The target keystore of key new/import: both options, no other source. */
static int check_target(struct cl_cli *cli, const struct cli_cmd *cmd)
{
	if (cli->key_hex || cli->key_env)
		return cli_usage(cli, cmd,
				 "--key and --key-env do not apply here");
	if (!cli->keystore)
		return cli_usage(cli, cmd, "--keystore FILE is required");
	return CL_CLI_EXIT_OK;
}

static int create(struct cl_cli *cli, const struct cli_cmd *cmd,
		  const struct cl_seckey *key)
{
	struct cl_passphrase *pass;
	struct cl_address addr;
	int rc;

	rc = cl_passphrase_load(&pass, cli->passphrase);
	if (rc) {
		cli_errorf(cli, "cannot load the passphrase from %s: %s",
			   cli->passphrase, cl_err_str(rc));
		return rc == CL_ERR_CONFIG ? CL_CLI_EXIT_USAGE
					   : CL_CLI_EXIT_FAILED;
	}
	rc = cl_keystore_create(&addr, cli->keystore, key, pass, &cli->kdf);
	cl_passphrase_free(pass);
	if (rc) {
		cli_errorf(cli, "cannot create %s: %s", cli->keystore,
			   cl_keystore_err_str(rc));
		return CL_CLI_EXIT_FAILED;
	}
	print_address(cli, &addr);
	return CL_CLI_EXIT_OK;
}

int cli_cmd_key_new(struct cl_cli *cli, const struct cli_args *a)
{
	int rc = check_target(cli, a->cmd);

	if (rc)
		return rc;
	return create(cli, a->cmd, NULL);
}

int cli_cmd_key_import(struct cl_cli *cli, const struct cli_args *a)
{
	/* room for "0x", 64 digits, a line ending and one byte too many */
	char buf[80];
	struct cl_seckey *key;
	size_t n, b = 0;
	int rc = check_target(cli, a->cmd);

	if (rc)
		return rc;
	n = fread(buf, 1, sizeof(buf), cli->in);
	if (n == sizeof(buf)) {
		explicit_bzero(buf, sizeof(buf));
		return cli_usage(cli, a->cmd,
				 "stdin holds more than one secret key");
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		     buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (b < n && (buf[b] == ' ' || buf[b] == '\t'))
		b++;
	if (!cl_seckey_new_from_hex(&key, buf + b, n - b)) {
		explicit_bzero(buf, sizeof(buf));
		return cli_usage(cli, a->cmd,
				 "stdin does not hold a valid secret key "
				 "(64 hex digits, 0x optional)");
	}
	explicit_bzero(buf, sizeof(buf));
	rc = create(cli, a->cmd, key);
	cl_seckey_free(key);
	return rc;
}

int cli_cmd_key_address(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_address addr;
	int rc = cli_load_key(cli, a->cmd);

	if (rc)
		return rc;
	cl_seckey_address(&addr, cli->key);
	print_address(cli, &addr);
	return CL_CLI_EXIT_OK;
}
