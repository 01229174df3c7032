#!/usr/bin/env bash
# Contract test driver: starts a private anvil on a free loopback port,
# compiles the contracts, runs test/rollup.test.js, forced.test.js,
# assets.test.js, escape.test.js, dispute.test.js, games.test.js and program.test.js
# against it (each deploys what it needs), stops anvil, and ends with
# "N passed, N failed".
# Exit status is non-zero on any failure. Runs offline.
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

# A hung RPC must not hang the suite: the tests take ~20 s.
cd "$l1" && timeout --kill-after=5 110 node test/rollup.test.js "$rpc"
status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run.sh: the tests did not finish within 110 s"
	echo "0 passed, 1 failed"
fi
# The forced requests (docs/l1.md "Forced requests"), on their own deployment.
timeout --kill-after=5 110 node test/forced.test.js "$rpc" || status=1
# The collateral assets (docs/l1.md "Collateral assets"), on their own deployment.
timeout --kill-after=5 110 node test/assets.test.js "$rpc" || status=1
# The escape after a freeze (docs/l1.md "Escape"), on its own deployment.
timeout --kill-after=5 110 node test/escape.test.js "$rpc" || status=1
# The dispute game on real VM traces (the build's vm_trace and guest
# programs: CLEARLINE_BUILD, default build/ at the top of the tree).
timeout --kill-after=5 110 node test/dispute.test.js "$rpc" "${CLEARLINE_BUILD:-$l1/../../build}" || status=1
# The rollup's games played to the end on real traces of the verdict
# program (the build's verdict_trace and stf.elf).
timeout --kill-after=5 200 node test/games.test.js "$rpc" "${CLEARLINE_BUILD:-$l1/../../build}" || status=1
# The program contract (initial VM states) against the build's
# clearline-vm-image on the guest programs.
timeout --kill-after=5 60 node test/program.test.js "$rpc" "${CLEARLINE_BUILD:-$l1/../../build}" || status=1
exit $status
