#!/usr/bin/env bash
# Contract test driver: starts a private anvil on a free loopback port,
# compiles the contracts, runs a group of the contract tests against it
# (each deploys what it needs), stops anvil, and ends with
# "N passed, N failed".
# Exit status is non-zero on any failure. Runs offline.
#
# Usage: run.sh [contracts | traces | all]   (default all)
#   contracts  the contracts alone: rollup.test.js, forced.test.js,
#              assets.test.js, escape.test.js (node and solc only)
#   traces     the tests that play the build's C tools: dispute.test.js,
#              games.test.js, program.test.js (CLEARLINE_BUILD)
#
# Environment:
#   CL_TEST_ALLOW_SKIP=1   exit 77 (skipped) instead of failing when the
#                          L1 tools are missing
#   CLEARLINE_L1_HARDFORK  anvil hardfork (default cancun: calldata costs
#                          16/4 gas per byte, no EIP-7623 floor)
set -uo pipefail

l1=$(cd "$(dirname "$0")/.." && pwd)
anvil="$l1/node_modules/.bin/anvil"
hardfork=${CLEARLINE_L1_HARDFORK:-cancun}
export CLEARLINE_L1_HARDFORK=$hardfork

if [ ! -x "$anvil" ] || [ ! -d "$l1/node_modules/ethers" ] || [ ! -d "$l1/node_modules/solc" ]; then
	echo "run.sh: FAIL: contrib/l1/node_modules is incomplete; run contrib/bootstrap.sh" \
		"(or set CL_TEST_ALLOW_SKIP=1 to skip)" >&2
	echo "0 passed, 1 failed"
	[ "${CL_TEST_ALLOW_SKIP:-0}" = 1 ] && exit 77
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/clearline-l1-test.XXXXXX")
anvil_pid=""

cleanup() {
	if [ -n "$anvil_pid" ] && kill -0 "$anvil_pid" 2>/dev/null; then
		kill "$anvil_pid" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$anvil_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$anvil_pid" 2>/dev/null
		wait "$anvil_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rpc_ok() {
	# eth_chainId over plain HTTP with node (no curl dependency).
	node -e '
		fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" },
			body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) })
			.then((r) => r.json()).then((j) => process.exit(j.result ? 0 : 1), () => process.exit(1));
	' "$1" 2>/dev/null
}

start_anvil() {
	local attempt port
	for attempt in $(seq 1 20); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		"$anvil" --host 127.0.0.1 --port "$port" --hardfork "$hardfork" \
			--chain-id 31337 --silent >"$tmp/anvil.log" 2>&1 &
		anvil_pid=$!
		for _ in $(seq 1 100); do
			if ! kill -0 "$anvil_pid" 2>/dev/null; then
				break # exited: port taken or another failure; try again
			fi
			if rpc_ok "http://127.0.0.1:$port"; then
				rpc="http://127.0.0.1:$port"
				return 0
			fi
			sleep 0.05
		done
		kill "$anvil_pid" 2>/dev/null
		wait "$anvil_pid" 2>/dev/null
		anvil_pid=""
	done
	echo "run.sh: could not start anvil; last log:" >&2
	cat "$tmp/anvil.log" >&2
	return 1
}

if ! node "$l1/compile.js"; then
	echo "0 passed, 1 failed"
	exit 1
fi

if ! start_anvil; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "anvil $("$anvil" --version | head -n1) on $rpc, hardfork $hardfork"

group=${1:-all}
case "$group" in
contracts | traces | all) ;;
*)
	echo "run.sh: unknown group '$group' (contracts, traces or all)" >&2
	echo "0 passed, 1 failed"
	exit 2
	;;
esac
build=${CLEARLINE_BUILD:-$l1/../../build}
status=0

# one test file, bounded: a hung RPC must not hang the suite
run_one() {
	local limit=$1
	shift
	timeout --kill-after=5 "$limit" node "$@"
	local rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "run.sh: $1 did not finish within $limit s"
		echo "0 passed, 1 failed"
	fi
	[ "$rc" -eq 0 ] || status=1
}

cd "$l1" || exit 1
if [ "$group" != traces ]; then
	run_one 110 test/rollup.test.js "$rpc"
	# the forced requests (docs/l1.md "Forced requests")
	run_one 110 test/forced.test.js "$rpc"
	# the collateral assets (docs/l1.md "Collateral assets")
	run_one 110 test/assets.test.js "$rpc"
	# the escape after a freeze (docs/l1.md "Escape")
	run_one 110 test/escape.test.js "$rpc"
fi
if [ "$group" != contracts ]; then
	# the dispute game on real VM traces (the build's vm_trace and
	# guest programs)
	run_one 110 test/dispute.test.js "$rpc" "$build"
	# the rollup's games played to the end on real traces of the
	# verdict program (the build's verdict_trace and stf.elf)
	run_one 200 test/games.test.js "$rpc" "$build"
	# the program contract (initial VM states) against the build's
	# clearline-vm-image on the guest programs
	run_one 60 test/program.test.js "$rpc" "$build"
fi
exit $status
