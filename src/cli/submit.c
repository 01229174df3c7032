/* SPDX-License-Identifier: MIT */
/*
 * The steps every signed-request command and every record lookup share:
 * sign a digest and send [message, signature] to a write method; print
 * named fields of an answer; look a record up by its hash. The commands
 * keep only what is theirs: the message, its digest, the labels.
 */
#include <clearline/cli.h>

#include <string.h>

#include "cli_int.h"

int cli_trader_of(struct cl_cli *cli, const struct cli_args *a,
		  struct cl_address *out)
{
	if (!a->set[OPT_AGENT_FOR]) {
		cl_seckey_address(out, cli->key);
		return CL_CLI_EXIT_OK;
	}
	if (!cli_parse_address(out, a->val[OPT_AGENT_FOR]))
		return cli_usage(cli, a->cmd, "--agent-for: not an address: %s",
				 a->val[OPT_AGENT_FOR]);
	return CL_CLI_EXIT_OK;
}

int cli_nonce_opt(struct cl_cli *cli, const struct cli_args *a,
		  uint64_t *out)
{
	if (!a->set[OPT_NONCE]) {
		/* grows with the clock: above every earlier one */
		*out = cli_order_nonce(cli);
		return CL_CLI_EXIT_OK;
	}
	if (!cl_parse_u64(out, a->val[OPT_NONCE], strlen(a->val[OPT_NONCE])))
		return cli_usage(cli, a->cmd,
				 "--nonce: not a decimal number: %s",
				 a->val[OPT_NONCE]);
	return CL_CLI_EXIT_OK;
}

int cli_sign_submit(struct cl_cli *cli, json_t **r, const char *method,
		    json_t *msg, const struct cl_hash32 *digest)
{
	struct cl_sig sig;
	json_t *p;

	if (cl_sign_digest(&sig, cli->key, digest) != CL_OK) {
		json_decref(msg);
		cli_errorf(cli, "signing failed");
		return CL_CLI_EXIT_FAILED;
	}
	p = json_array();
	json_array_append_new(p, msg);
	json_array_append_new(p, cl_json_from_bytes(sig.b, CL_SIG_LEN));
	return cl_cli_call(cli, r, method, p);
}

void cli_kv_field(struct cl_cli *cli, const char *label, const json_t *r,
		  const char *key)
{
	char buf[128];

	cli_fmt_text(buf, sizeof(buf), json_object_get(r, key));
	cli_kv(cli, label, buf);
}

void cli_kv_fields(struct cl_cli *cli, const json_t *r,
		   const char *const *keys, size_t n, bool skip_missing)
{
	for (size_t i = 0; i < n; i++) {
		if (skip_missing && !json_object_get(r, keys[i]))
			continue;
		cli_kv_field(cli, keys[i], r, keys[i]);
	}
}

int cli_show_record(struct cl_cli *cli, const struct cli_cmd *cmd,
		    const char *method, const char *hash_text,
		    const char *what, const char *const *keys, size_t n,
		    bool skip_missing)
{
	struct cl_hash32 h;
	json_t *p, *r;
	int rc;

	if (!cli_parse_hash(&h, hash_text))
		return cli_usage(cli, cmd, "%s must be 0x and 64 hex digits",
				 what);
	p = json_array();
	json_array_append_new(p, cl_json_from_bytes(h.b, 32));
	rc = cl_cli_call(cli, &r, method, p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv_fields(cli, r, keys, n, skip_missing);
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
