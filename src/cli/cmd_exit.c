/* SPDX-License-Identifier: MIT */
/*
 * clearline-cli exit-proof ADDRESS [--batch N | --head] (docs/cli.md):
 * the account's leaf and proof, the escape contract's address and its
 * ready-made L1 calls (l2_getAccountProof, docs/l1.md "Escape"). By
 * default the node proves against the exit root once the rollup is
 * frozen (else its head); --batch N against the state after posted
 * batch N, --head against the node's head.
 */
#include <string.h>

#include "cli_int.h"

static void kv(struct cl_cli *cli, const char *label, const json_t *v)
{
	char buf[512];

	cli_fmt_text(buf, sizeof(buf), v);
	cli_kv(cli, label, buf);
}

/* Hex that can be long, printed whole for copying. */
static void kv_long(struct cl_cli *cli, const char *label, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "-";

	/* the node's hex is checked: nothing but 0x and hex digits */
	for (const char *c = s; *c; c++)
		if (!strchr("0123456789abcdefABCDEFx-", *c)) {
			s = "(?)";
			break;
		}
	fprintf(cli->out, "%-20s%s\n", label, s);
}

static void kv_tx(struct cl_cli *cli, const char *what, const json_t *tx)
{
	char label[32], to[CL_ADDRESS_STR_LEN + 2];

	if (!json_is_object(tx)) {
		snprintf(label, sizeof(label), "%s tx", what);
		cli_kv(cli, label, "-");
		return;
	}
	cl_cli_fmt_address(to, json_object_get(tx, "to"));
	snprintf(label, sizeof(label), "%s tx to", what);
	cli_kv(cli, label, to);
	snprintf(label, sizeof(label), "%s tx data", what);
	kv_long(cli, label, json_object_get(tx, "data"));
}

int cli_cmd_exit_proof(struct cl_cli *cli, const struct cli_args *a)
{
	struct cl_address who;
	uint64_t batch = 0;
	char s[CL_ADDRESS_STR_LEN + 2];
	json_t *p, *r;
	int rc;

	if (!cli_parse_address(&who, a->pos[0]))
		return cli_usage(cli, a->cmd, "not an address: %s", a->pos[0]);
	if (a->set[OPT_BATCH] && a->set[OPT_HEAD])
		return cli_usage(cli, a->cmd, "--batch and --head exclude "
					      "each other");
	if (a->set[OPT_BATCH] &&
	    (!cl_parse_u64(&batch, a->val[OPT_BATCH],
			   strlen(a->val[OPT_BATCH])) ||
	     batch == UINT64_MAX))
		return cli_usage(cli, a->cmd, "--batch: not a batch number: %s",
				 a->val[OPT_BATCH]);
	cl_address_format(s, &who);
	p = json_array();
	json_array_append_new(p, json_string(s));
	if (a->set[OPT_HEAD])
		json_array_append_new(p, json_string("head"));
	if (a->set[OPT_BATCH])
		json_array_append_new(
		    p, json_pack("{s:o}", "batch", cl_json_from_u64(batch)));
	rc = cl_cli_call(cli, &r, "l2_getAccountProof", p);
	if (rc)
		return rc;
	if (cli_json_done(cli, r))
		return CL_CLI_EXIT_OK;
	cli_kv(cli, "address", s);
	kv(cli, "proves against", json_object_get(r, "at"));
	kv(cli, "batch", json_object_get(r, "batch"));
	kv(cli, "block", json_object_get(r, "block"));
	kv(cli, "state root", json_object_get(r, "stateRoot"));
	kv(cli, "frozen", json_object_get(r, "frozen"));
	kv(cli, "exit root", json_object_get(r, "exitRoot"));
	kv(cli, "is the exit root", json_object_get(r, "isExitRoot"));
	kv(cli, "in the state", json_object_get(r, "exists"));
	cl_cli_fmt_address(s, json_object_get(r, "escape"));
	cli_kv(cli, "escape contract", s);
	kv(cli, "collateral atoms", json_object_get(r, "collateral"));
	kv(cli, "equity atoms", json_object_get(r, "equity"));
	kv(cli, "claim atoms", json_object_get(r, "claim"));
	kv(cli, "positions", json_object_get(r, "positions"));
	/* collateral assets: each held balance and what the exit pays of
	 * it (a settlement debt is netted against them first) */
	json_t *assets = json_object_get(r, "assets");
	for (size_t i = 0; json_is_array(assets) && i < json_array_size(assets);
	     i++) {
		const json_t *e = json_array_get(assets, i);
		char label[32], bal[64], paid[64];

		cli_fmt_text(bal, sizeof(bal), json_object_get(e, "balance"));
		cli_fmt_text(paid, sizeof(paid), json_object_get(e, "paid"));
		snprintf(label, sizeof(label), "asset %lld",
			 (long long)json_integer_value(
			     json_object_get(e, "asset")));
		char line[160];
		snprintf(line, sizeof(line), "%s atoms, the exit pays %s", bal,
			 paid);
		cli_kv(cli, label, line);
	}
	kv_long(cli, "account value", json_object_get(r, "accountValue"));
	kv_long(cli, "account proof", json_object_get(r, "accountProof"));
	kv_tx(cli, "start", json_object_get(r, "startTx"));
	if (json_is_object(json_object_get(r, "assetStartTx")))
		kv_tx(cli, "asset start", json_object_get(r, "assetStartTx"));
	kv_tx(cli, "exit", json_object_get(r, "tx"));
	/* exit() from the account, exitDerived() from a derived
	 * account's owner (docs/api.md) */
	kv(cli, "exit sent by", json_object_get(r, "sender"));
	json_decref(r);
	return CL_CLI_EXIT_OK;
}
