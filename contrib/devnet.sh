#!/usr/bin/env bash
# The devnet: `up` installs what is missing, builds, starts a local L1
# (anvil on loopback) and writes .devnet/devnet.json; `down` stops exactly
# what `up` started; `restart NAME` kills one component with SIGKILL and
# starts it again on the same data.
#
# Today only the L1 is started: the sequencer, verifier, contracts, oracle
# feeder and demo traffic are not built yet, and `up` says so.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dev="$top/.devnet"
l1port=${CLEARLINE_L1_PORT:-8545}
anvil="$top/contrib/l1/node_modules/.bin/anvil"
cast="$top/contrib/l1/node_modules/.bin/cast"

# anvil's well-known development keys (mnemonic "test test ... junk"):
# for people and tests, never for anything real.
dev_keys=(
	0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
	0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
	0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
	0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
)

start_l1() {
	mkdir -p "$dev/l1"
	local state_args=()
	[ -f "$dev/l1/state.json" ] && state_args=(--load-state "$dev/l1/state.json")
	"$anvil" --host 127.0.0.1 --port "$l1port" --chain-id 31337 \
		--dump-state "$dev/l1/state.json" "${state_args[@]}" \
		>"$dev/l1/anvil.log" 2>&1 &
	echo $! >"$dev/l1/pid"
	for _ in $(seq 1 100); do
		if "$cast" chain-id --rpc-url "http://127.0.0.1:$l1port" \
			>/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "devnet: anvil did not answer; see $dev/l1/anvil.log" >&2
	return 1
}

write_json() {
	local accounts="" sep=""
	for k in "${dev_keys[@]}"; do
		local a
		a=$("$cast" wallet address --private-key "$k")
		accounts+="$sep    { \"address\": \"$a\", \"privateKey\": \"$k\" }"
		sep=$',\n'
	done
	cat >"$dev/devnet.json" <<JSON
{
  "l1Rpc": "http://127.0.0.1:$l1port",
  "l2Rpc": null,
  "verifierRpc": null,
  "l1ChainId": 31337,
  "rollup": null,
  "collateralToken": null,
  "accounts": [
$accounts
  ],
  "oracleKeys": [],
  "pids": { "l1": $(cat "$dev/l1/pid") }
}
JSON
}

stop_pidfile() {
	local f=$1
	[ -f "$f" ] || return 0
	local pid
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

case "${1:-}" in
up)
	"$top/contrib/bootstrap.sh"
	(cd "$top" && { [ -f build/build.ninja ] || meson setup build >/dev/null; } &&
		ninja -C build >/dev/null)
	mkdir -p "$dev"
	if [ -f "$dev/l1/pid" ] && kill -0 "$(cat "$dev/l1/pid")" 2>/dev/null; then
		echo "devnet: already up (contrib/devnet.sh down to stop)"
		exit 0
	fi
	start_l1
	write_json
	echo "devnet: L1 (anvil) on http://127.0.0.1:$l1port, chain id 31337"
	echo "devnet: wrote $dev/devnet.json"
	echo "devnet: the sequencer, verifier, L1 contracts, oracle feeder and"
	echo "devnet: demo traffic are not built yet; only the L1 runs"
	;;
down)
	stop_pidfile "$dev/l1/pid"
	echo "devnet: stopped"
	;;
restart)
	case "${2:-}" in
	l1)
		[ -f "$dev/l1/pid" ] && kill -9 "$(cat "$dev/l1/pid")" 2>/dev/null || true
		rm -f "$dev/l1/pid"
		start_l1
		write_json
		echo "devnet: l1 restarted"
		;;
	*)
		echo "devnet: unknown component '${2:-}' (running today: l1)" >&2
		exit 2
		;;
	esac
	;;
*)
	echo "usage: contrib/devnet.sh up | down | restart NAME" >&2
	exit 2
	;;
esac
