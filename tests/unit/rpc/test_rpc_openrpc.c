/* SPDX-License-Identifier: MIT */
/* The OpenRPC document built into the node (docs/openrpc.json, served by
 * rpc.discover) against the method table the server dispatches: the same
 * set of names, the same operator flags, every $ref resolved, and
 * rpc.discover answering exactly the embedded document. A method added to
 * the table without its description fails here. */
#include "test.h"

#include <clearline/api.h>
#include <clearline/json.h>
#include <clearline/rpc.h>

static json_t *find_method(json_t *doc, const char *name, int *count)
{
	json_t *found = NULL, *m;
	size_t i;

	*count = 0;
	json_array_foreach(json_object_get(doc, "methods"), i, m) {
		const char *n = json_string_value(json_object_get(m, "name"));
		if (n && strcmp(n, name) == 0) {
			found = m;
			(*count)++;
		}
	}
	return found;
}

/* Every {"$ref": "#/components/KIND/NAME"} under v names an entry. */
static void check_refs(json_t *doc, json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			check_refs(doc, x);
		return;
	}
	if (!json_is_object(v))
		return;
	json_t *ref = json_object_get(v, "$ref");
	if (ref) {
		const char *r = json_string_value(ref);
		char kind[32], name[96];
		CHECK_MSG(r && sscanf(r, "#/components/%31[^/]/%95s", kind,
				      name) == 2 &&
				  json_object_get(json_object_get(
					  json_object_get(doc, "components"),
					  kind), name),
			  "unresolved $ref %s", r ? r : "(not a string)");
	}
	json_object_foreach(v, key, x)
		check_refs(doc, x);
}

int main(void)
{
	size_t len, n;
	char err[160];
	const char *text = cl_api_openrpc(&len);
	const struct cl_rpc_method *table = cl_api_methods(&n);
	json_t *doc = cl_json_load(text, len, err, sizeof(err));

	CHECK_MSG(doc != NULL, "the embedded document: %s", err);
	if (!doc)
		return test_done("test_rpc_openrpc");
	CHECK(strlen(text) == len);
	CHECK(strcmp(json_string_value(json_object_get(doc, "openrpc")),
		     "1.2.6") == 0);

	/* the table and the document name the same methods */
	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		int count;
		json_t *m = find_method(doc, table[i].name, &count);
		CHECK_MSG(count == 1, "method %s is described %d times in "
			  "docs/openrpc.json", table[i].name, count);
		if (!m)
			continue;
		bool op = (table[i].flags & CL_RPC_OPERATOR) != 0;
		CHECK_MSG(json_is_boolean(json_object_get(m, "x-operator")) &&
				  json_is_true(json_object_get(m, "x-operator")) == op,
			  "%s: x-operator must be %s", table[i].name,
			  op ? "true" : "false");
		CHECK_MSG(json_is_array(json_object_get(m, "x-modes")) &&
				  json_array_size(json_object_get(m, "x-modes")) > 0,
			  "%s: x-modes", table[i].name);
		CHECK_MSG(json_is_array(json_object_get(m, "params")) &&
				  json_is_object(json_object_get(m, "result")) &&
				  json_is_array(json_object_get(m, "errors")),
			  "%s: params, result, errors", table[i].name);
	}
	CHECK_MSG(json_array_size(json_object_get(doc, "methods")) == n,
		  "docs/openrpc.json describes %zu methods, the node serves %zu",
		  json_array_size(json_object_get(doc, "methods")), n);
	check_refs(doc, doc);

	/* rpc.discover answers the document itself */
	struct cl_rpc_config cfg;
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"}";
	cl_rpc_config_defaults(&cfg);
	char *ans = cl_rpc_run_body(&cfg, table, n, NULL, (const uint8_t *)req,
				    strlen(req), false);
	json_t *a = ans ? cl_json_load(ans, strlen(ans), err, sizeof(err)) : NULL;
	CHECK(a && json_equal(json_object_get(a, "result"), doc));
	json_decref(a);
	free(ans);
	json_decref(doc);
	return test_done("test_rpc_openrpc");
}
