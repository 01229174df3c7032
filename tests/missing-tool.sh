#!/usr/bin/env bash
# Stands in for a test whose tool (node, anvil, ...) is missing on this
# machine: such a test fails, with the way to get the tool, instead of
# passing or being skipped unnoticed. With CL_TEST_ALLOW_SKIP=1 in the
# environment it is reported as skipped (exit 77) instead; see
# docs/testing.md. Usage: missing-tool.sh TOOL [ignored test arguments]
tool=${1:-a tool}
echo "FAIL: $tool is missing: run contrib/bootstrap.sh" \
	"(or set CL_TEST_ALLOW_SKIP=1 to skip the tests that need it)" >&2
[ "${CL_TEST_ALLOW_SKIP:-0}" = 1 ] && exit 77
exit 1
