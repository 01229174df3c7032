#!/usr/bin/env bash
# The devnet on one machine, loopback only:
#
#   contrib/devnet.sh up            install what is missing, build, start
#                                   everything, write .devnet/devnet.json
#   contrib/devnet.sh down          stop exactly what `up` started
#   contrib/devnet.sh restart NAME  SIGKILL one component and start it again
#                                   on the same data: l1, sequencer,
#                                   verifier, oracle, bots (or maker, taker)
#   contrib/devnet.sh status        what runs, and the chain heads
#   contrib/devnet.sh prometheus    write .devnet/prometheus/prometheus.yml
#                                   scraping every node's metrics and start
#                                   Debian's prometheus on it (127.0.0.1,
#                                   CLEARLINE_PROMETHEUS_PORT, default 9190:
#                                   9090 is the system service's);
#                                   `down` stops it too
#
# `up` starts: anvil (the L1, chain id 31337, one block a second, its state
# kept in .devnet/l1/state.json), the contracts (deployed by anvil key 0,
# which is also the sequencer, with a 30 s challenge period), collateral
# minted to anvil keys 1-4 and to the two bots, the collateral assets tETH
# (18 decimals) and tBTC (8) with 1 000 of each minted to keys 1-4
# (genesis/devnet-assets.json lists them), the sequencer (clearlined),
# the oracle price feeder (clearline-cli oracle-feed, anvil keys 7-9) and
# the demo traffic (clearline-cli bot maker / bot taker, keys derived from
# fixed labels, funded on L1 and deposited into the rollup), and a verifier
# (clearlined --mode verifier, challenging with anvil key 5) when this
# build has one; otherwise verifierRpc is null and `up` says so. It returns
# once the nodes answer, every market has a mark price and the maker
# quotes every market. Running `up` again while the devnet is up changes
# nothing (a component found dead is started again); after `down`, `up`
# starts a fresh chain.
#
# Environment: CLEARLINE_L1_PORT (default 8545), CLEARLINE_L2_PORT (default
# 8645), CLEARLINE_VERIFIER_PORT (default 8745), CLEARLINE_DEVNET_DIR (default .devnet at the top of the tree),
# CLEARLINE_DEVNET_BUILD (build directory, default build),
# CLEARLINE_OPTION_NEAR_S and CLEARLINE_OPTION_FAR_S (the option markets'
# two expiries, seconds after `up`: default 21600 and 604800; the genesis
# lists BTC and ETH calls and puts from genesis/devnet-options.json and a
# portfolio margin section, the feeder posts their volatility slices and
# the taker trades them in portfolio mode). Each node's
# WebSocket endpoint is on its JSON-RPC port + 1 (8646, 8746, 8846), its
# Prometheus metrics on its JSON-RPC port + 2 (8647, 8747, 8847; GET
# /metrics, docs/operations.md "Metrics").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dev=${CLEARLINE_DEVNET_DIR:-$top/.devnet}
case "$dev" in /*) ;; *) dev="$PWD/$dev" ;; esac
build=${CLEARLINE_DEVNET_BUILD:-$top/build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
anvil="$top/contrib/l1/node_modules/.bin/anvil"
cast="$top/contrib/l1/node_modules/.bin/cast"
clearlined="$build/src/clearlined"
cli="$build/src/clearline-cli"

all_components=(l1 sequencer verifier replica oracle maker taker)
mnemonic="test test test test test test test test test test test junk"
challenge_period=30
# each side's chess clock in a dispute game: a wrong batch's challenger and
# the sequencer answer within seconds on 1 s blocks; finality waits at most
# challenge_period + 2 x dispute_clock behind a dishonest challenger
dispute_clock=300
account_mint=1000000000000 # 1 000 000 tUSD (6 decimals) to each account
bot_mint=10000000000000    # 10 000 000 tUSD to each bot, all deposited
asset_mint=1000            # 1 000 tETH and 1 000 tBTC to each account
# the option markets' two expiries (genesis/devnet-options.json), this
# long after `up`: 6 hours and 7 days unless set
option_near_s=${CLEARLINE_OPTION_NEAR_S:-21600}
option_far_s=${CLEARLINE_OPTION_FAR_S:-604800}
case "$option_near_s$option_far_s" in *[!0-9]*) echo "devnet: CLEARLINE_OPTION_NEAR_S and CLEARLINE_OPTION_FAR_S are seconds" >&2; exit 2 ;; esac
[ "$option_near_s" -ge 60 ] && [ "$option_far_s" -gt "$option_near_s" ] || { echo "devnet: CLEARLINE_OPTION_NEAR_S must be at least 60 and below CLEARLINE_OPTION_FAR_S" >&2; exit 2; }

say() { echo "devnet: $*"; }
die() {
	echo "devnet: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- helpers

pidfile() {
	case "$1" in
	maker | taker) echo "$dev/bots/$1.pid" ;;
	*) echo "$dev/$1/pid" ;;
	esac
}

logfile() {
	case "$1" in
	l1) echo "$dev/l1/anvil.log" ;;
	sequencer) echo "$dev/sequencer/clearlined.log" ;;
	verifier) echo "$dev/verifier/clearlined.log" ;;
	replica) echo "$dev/replica/clearlined.log" ;;
	oracle) echo "$dev/oracle/oracle.log" ;;
	maker | taker) echo "$dev/bots/$1.log" ;;
	prometheus) echo "$dev/prometheus/prometheus.log" ;;
	esac
}

# What the process of a component must be (guards against a reused pid).
binary_of() {
	case "$1" in
	l1) echo anvil ;;
	sequencer | verifier | replica) echo clearlined ;;
	prometheus) echo prometheus ;;
	*) echo clearline-cli ;;
	esac
}

# Whether a process runs (an exited one waiting to be reaped does not).
running() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}

# The pid of a running component, or nothing.
live_pid() {
	local f pid
	f=$(pidfile "$1")
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	[ -n "$pid" ] && running "$pid" || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -q "$(binary_of "$1")" || return 0
	echo "$pid"
}

# Stop one component: SIGTERM (or the given signal), then SIGKILL after 5 s.
stop_component() {
	local name=$1 sig=${2:-TERM} pid
	pid=$(live_pid "$name")
	if [ -n "$pid" ]; then
		kill -s "$sig" "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			running "$pid" || break
			sleep 0.05
		done
		kill -9 "$pid" 2>/dev/null || true
		while running "$pid"; do sleep 0.05; done
	fi
	rm -f "$(pidfile "$name")"
}

# Start a command detached from this shell, output to its log.
spawn() {
	local name=$1
	shift
	mkdir -p "$(dirname "$(pidfile "$name")")"
	setsid "$@" </dev/null >>"$(logfile "$name")" 2>&1 &
	echo $! >"$(pidfile "$name")"
}

# Poll a command until it succeeds: wait_for SECONDS WHAT NAME cmd...
wait_for() {
	local secs=$1 what=$2 name=$3 i
	shift 3
	for ((i = 0; i < secs * 5; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ -z "$(live_pid "$name")" ]; then
			tail -n 20 "$(logfile "$name")" >&2 || true
			die "$name exited while waiting for $what; see $(logfile "$name")"
		fi
		sleep 0.2
	done
	tail -n 20 "$(logfile "$name")" >&2 || true
	die "timed out after ${secs}s waiting for $what; see $(logfile "$name")"
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A field of a JSON document on stdin: json_get EXPR (JavaScript on `j`).
json_get() {
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
		const j=JSON.parse(s);const v=eval(process.argv[1]);
		if(v===undefined||v===null)process.exit(1);
		console.log(typeof v==="object"?JSON.stringify(v):String(v));})' "$1"
}

rpc() { # rpc URL METHOD PARAMS-JSON  -> result JSON
	curl -s --max-time 5 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1" |
		json_get 'j.result'
}

# ---------------------------------------------------------------- keys

dev_key() { "$cast" wallet private-key "$mnemonic" "$1"; }
bot_key() { "$cast" keccak "clearline devnet bot $1"; }
address_of() { "$cast" wallet address --private-key "$1"; }

# ---------------------------------------------------------------- state
# .devnet/state.env: what a restart needs (no secrets but the dev keys).

load_state() {
	[ -f "$dev/state.env" ] || die "no devnet here ($dev/state.env is missing): run contrib/devnet.sh up"
	# shellcheck disable=SC1091
	. "$dev/state.env"
}

# ---------------------------------------------------------------- components

# The components of this devnet: all, less the verifier when there is none.
components() {
	local c
	for c in "${all_components[@]}"; do
		[ "$c" = verifier ] && [ "${VERIFIER_AVAILABLE:-1}" = 0 ] && continue
		[ "$c" = replica ] && [ "${REPLICA_AVAILABLE:-1}" = 0 ] && continue
		echo "$c"
	done
}

# Whether a file holds one whole JSON document.
json_whole() {
	node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' \
		"$1" 2>/dev/null
}

# anvil rewrites its state file in place every second, so a SIGKILL in the
# middle of a write leaves it torn, and anvil refuses to start from it. While
# the given anvil runs, this keeps the last whole copy of the file as
# state.good.json (copied, checked, then renamed over the old copy).
keep_l1_state() {
	local pid=$1 f=$dev/l1/state.json good=$dev/l1/state.good.json
	local tmp=$dev/l1/.state.copy.json seen="" m
	while sleep 1 && running "$pid"; do
		m=$(stat -c %y:%s "$f" 2>/dev/null) || continue
		[ "$m" = "$seen" ] && continue
		cp "$f" "$tmp" 2>/dev/null && json_whole "$tmp" &&
			mv -f "$tmp" "$good" && seen=$m
	done
	rm -f "$tmp"
}

start_l1() {
	local f=$dev/l1/state.json good=$dev/l1/state.good.json
	mkdir -p "$dev/l1"
	if [ -f "$f" ] && ! json_whole "$f"; then
		# the rollup nodes see the lost blocks as a reorg and post again
		# what the lost blocks held (docs/l1-client.md)
		mv -f "$f" "$f.torn"
		if [ -f "$good" ] && json_whole "$good"; then
			cp "$good" "$f"
			say "the L1 state file was torn (anvil was killed while writing it, kept as $f.torn); starting from its last whole copy, $(($(stat -c %Y "$f.torn") - $(stat -c %Y "$good"))) s older"
		else
			die "the L1 state file $f is torn (kept as $f.torn) and there is no whole copy: contrib/devnet.sh down, then up, starts a new devnet"
		fi
	fi
	# --state loads the file when it exists and dumps to it on exit and
	# every second, so a SIGKILLed anvil comes back with its chain
	spawn l1 "$anvil" --host 127.0.0.1 --port "$L1_PORT" --chain-id 31337 \
		--block-time 1 --state "$f" --state-interval 1
	keep_l1_state "$(cat "$(pidfile l1)")" </dev/null >/dev/null 2>&1 &
	disown
	wait_for 30 "the L1 to answer" l1 \
		"$cast" chain-id --rpc-url "http://127.0.0.1:$L1_PORT"
}

# The nodes play the dispute games (docs/disputes.md "The nodes") with the
# build's verdict program, when it was built (the RISC-V cross compiler).
game_args=()
[ -f "$build/tests/vm-programs/stf.elf" ] &&
	game_args=(--game-program "$build/tests/vm-programs/stf.elf")

start_sequencer() {
	mkdir -p "$dev/sequencer"
	spawn sequencer "$clearlined" --genesis "$dev/genesis.json" \
		--datadir "$dev/sequencer/data" \
		--rpc-bind 127.0.0.1 --rpc-port "$L2_PORT" \
		--ws-port "$((L2_PORT + 1))" \
		--metrics-port "$((L2_PORT + 2))" \
		--l1-rpc "http://127.0.0.1:$L1_PORT" \
		--l1-keystore "$dev/sequencer/l1-key.json" \
		--l1-passphrase "file:$dev/passphrase" \
		--l1-confirmations 1 --l1-start-block "$START_BLOCK" \
		--batch-interval-ms 3000 --collateral-token "$TOKEN" \
		"${game_args[@]}"
	wait_for 60 "the sequencer to answer" sequencer \
		rpc "http://127.0.0.1:$L2_PORT" l2_syncStatus '[]'
}

# The verifier, when this build has one: VERIFIER_AVAILABLE=1 once it
# answers, 0 when clearlined says the mode is not available (or it fails:
# then the devnet goes on without it and says so).
start_verifier() {
	local i
	mkdir -p "$dev/verifier"
	spawn verifier "$clearlined" --mode verifier --genesis "$dev/genesis.json" \
		--datadir "$dev/verifier/data" \
		--rpc-bind 127.0.0.1 --rpc-port "$VERIFIER_PORT" \
		--ws-port "$((VERIFIER_PORT + 1))" \
		--metrics-port "$((VERIFIER_PORT + 2))" \
		--l1-rpc "http://127.0.0.1:$L1_PORT" \
		--l1-keystore "$dev/verifier/l1-key.json" \
		--l1-passphrase "file:$dev/passphrase" \
		--l1-confirmations 1 --l1-start-block "$START_BLOCK" \
		--collateral-token "$TOKEN" "${game_args[@]}"
	for ((i = 0; i < 300; i++)); do
		if rpc "http://127.0.0.1:$VERIFIER_PORT" l2_syncStatus '[]' >/dev/null 2>&1; then
			VERIFIER_AVAILABLE=1
			return 0
		fi
		if [ -z "$(live_pid verifier)" ]; then
			rm -f "$(pidfile verifier)"
			VERIFIER_AVAILABLE=0
			if grep -q "not available" "$(logfile verifier)"; then
				say "no verifier: this build's clearlined has no verifier mode yet"
			else
				tail -n 10 "$(logfile verifier)" >&2 || true
				say "WARNING: the verifier exited; going on without it (see $(logfile verifier))"
			fi
			return 0
		fi
		sleep 0.2
	done
	stop_component verifier
	VERIFIER_AVAILABLE=0
	say "WARNING: the verifier did not answer within 60s; going on without it (see $(logfile verifier))"
}

# A replica: derives the state from L1 like the verifier and serves the
# read methods to wallets; it holds no key (it reports, never challenges).
start_replica() {
	local i
	mkdir -p "$dev/replica"
	spawn replica "$clearlined" --mode replica --genesis "$dev/genesis.json" \
		--datadir "$dev/replica/data" \
		--rpc-bind 127.0.0.1 --rpc-port "$REPLICA_PORT" \
		--ws-port "$((REPLICA_PORT + 1))" \
		--metrics-port "$((REPLICA_PORT + 2))" \
		--l1-rpc "http://127.0.0.1:$L1_PORT" \
		--l1-confirmations 1 --l1-start-block "$START_BLOCK" \
		--collateral-token "$TOKEN" \
		--sequencer-url "http://127.0.0.1:$L2_PORT"
	for ((i = 0; i < 300; i++)); do
		if rpc "http://127.0.0.1:$REPLICA_PORT" l2_syncStatus '[]' >/dev/null 2>&1; then
			REPLICA_AVAILABLE=1
			return 0
		fi
		if [ -z "$(live_pid replica)" ]; then
			rm -f "$(pidfile replica)"
			REPLICA_AVAILABLE=0
			tail -n 10 "$(logfile replica)" >&2 || true
			say "WARNING: the replica exited; going on without it (see $(logfile replica))"
			return 0
		fi
		sleep 0.2
	done
	stop_component replica
	REPLICA_AVAILABLE=0
	say "WARNING: the replica did not answer within 60s; going on without it (see $(logfile replica))"
}

start_oracle() {
	mkdir -p "$dev/oracle"
	ORACLE_KEY_1=$ORACLE_KEY_1 ORACLE_KEY_2=$ORACLE_KEY_2 \
		ORACLE_KEY_3=$ORACLE_KEY_3 \
		spawn oracle "$cli" --rpc "http://127.0.0.1:$L2_PORT" oracle-feed \
		--oracle-key-env ORACLE_KEY_1,ORACLE_KEY_2,ORACLE_KEY_3 \
		--interval-ms 1000 --seed 1
	wait_for 60 "a mark price on every market" oracle marks_ready
}

start_bot() {
	local kind=$1 key
	if [ "$kind" = maker ]; then key=$MAKER_KEY; else key=$TAKER_KEY; fi
	mkdir -p "$dev/bots"
	local extra=()
	# the taker trades every market in portfolio mode and hedges its
	# options' delta on the perpetuals (docs/options.md "The devnet")
	[ "$kind" = taker ] && extra=(--hedge)
	BOT_KEY=$key spawn "$kind" "$cli" --rpc "http://127.0.0.1:$L2_PORT" \
		bot "$kind" --key-env BOT_KEY \
		--interval-ms "$([ "$kind" = maker ] && echo 2000 || echo 3000)" \
		"${extra[@]}"
	if [ "$kind" = maker ]; then
		wait_for 90 "the maker's quotes on every market" maker quotes_ready
	else
		# the taker holds options and their delta hedge in portfolio
		# margin mode (docs/margin.md "Portfolio margin"); kept across
		# restarts (it is state)
		wait_for 60 "the taker in portfolio mode" taker taker_portfolio
	fi
}

# The taker in portfolio mode: asked for once its deposit is credited.
taker_portfolio() {
	local on
	on=$(rpc "http://127.0.0.1:$L2_PORT" l2_getAccount "[\"$TAKER\"]" |
		json_get 'j.portfolio&&j.portfolio.enabled?"yes":"no"') || return 1
	[ "$on" = yes ] && return 0
	BOT_KEY=$TAKER_KEY "$cli" --rpc "http://127.0.0.1:$L2_PORT" \
		--key-env BOT_KEY portfolio-mode on >>"$(logfile taker)" 2>&1
}

start_component() {
	case "$1" in
	l1) start_l1 ;;
	sequencer) start_sequencer ;;
	verifier) start_verifier ;;
	replica) start_replica ;;
	oracle) start_oracle ;;
	maker | taker) start_bot "$1" ;;
	esac
}

# Every market has a mark: a perpetual's index, a live option's surface
# (an expired option is left out).
marks_ready() {
	rpc "http://127.0.0.1:$L2_PORT" l2_getMarkets '[]' |
		json_get 'j.length>0&&j.every(m=>m.markPrice!=="0"||
			(m.option&&Number(m.option.expiry)<=Date.now()/1000+60))||undefined'
}

# The maker quotes both sides of every perpetual and sells every live
# option (a far out-of-the-money option marked at one tick has no bid).
quotes_ready() {
	local ids i
	ids=$(rpc "http://127.0.0.1:$L2_PORT" l2_getMarkets '[]' |
		json_get 'j.filter(m=>!m.option||Number(m.option.expiry)>Date.now()/1000+60)
			.map(m=>(m.option?"o":"p")+m.id).join(" ")')
	for i in $ids; do
		rpc "http://127.0.0.1:$L2_PORT" l2_getOrderBook "[${i#?}, 1]" |
			json_get "(j.asks.length>0&&(\"$i\"[0]===\"o\"||j.bids.length>0))||undefined" ||
			return 1
	done
}

# ---------------------------------------------------------------- outputs

write_outputs() {
	local pids="" sep="" c p
	for c in $(components); do
		p=$(live_pid "$c")
		pids+="$sep\"$c\": ${p:-null}"
		sep=", "
	done
	(set -a && . "$dev/state.env" && DEVNET_PIDS="{ $pids }" node -e '
		const e = process.env;
		const accounts = [1, 2, 3, 4].map((i) => ({
			address: e["ACCOUNT_" + i], privateKey: e["ACCOUNT_KEY_" + i] }));
		const out = {
			l1Rpc: `http://127.0.0.1:${e.L1_PORT}`,
			l2Rpc: `http://127.0.0.1:${e.L2_PORT}`,
			l2Ws: `ws://127.0.0.1:${Number(e.L2_PORT) + 1}/`,
			verifierRpc: e.VERIFIER_AVAILABLE === "1"
				? `http://127.0.0.1:${e.VERIFIER_PORT}` : null,
			replicaRpc: e.REPLICA_AVAILABLE === "1"
				? `http://127.0.0.1:${e.REPLICA_PORT}` : null,
			verifierWs: e.VERIFIER_AVAILABLE === "1"
				? `ws://127.0.0.1:${Number(e.VERIFIER_PORT) + 1}/` : null,
			replicaWs: e.REPLICA_AVAILABLE === "1"
				? `ws://127.0.0.1:${Number(e.REPLICA_PORT) + 1}/` : null,
			l2Metrics: `http://127.0.0.1:${Number(e.L2_PORT) + 2}/metrics`,
			verifierMetrics: e.VERIFIER_AVAILABLE === "1"
				? `http://127.0.0.1:${Number(e.VERIFIER_PORT) + 2}/metrics` : null,
			replicaMetrics: e.REPLICA_AVAILABLE === "1"
				? `http://127.0.0.1:${Number(e.REPLICA_PORT) + 2}/metrics` : null,
			l1ChainId: 31337,
			rollup: e.ROLLUP,
			rollupDeployBlock: Number(e.START_BLOCK),
			collateralToken: e.TOKEN,
			collateralDecimals: 6,
			assetsContract: e.ASSETS,
			assets: [
				{ id: 1, symbol: "tETH", token: e.TETH, decimals: 18, l2Decimals: 9 },
				{ id: 2, symbol: "tBTC", token: e.TBTC, decimals: 8, l2Decimals: 8 }],
			challengePeriodSeconds: Number(e.CHALLENGE_PERIOD),
			sequencer: e.SEQUENCER,
			accounts,
			oracleKeys: [e.ORACLE_KEY_1, e.ORACLE_KEY_2, e.ORACLE_KEY_3],
			bots: { maker: e.MAKER, taker: e.TAKER },
			pids: JSON.parse(e.DEVNET_PIDS),
			logs: {
				l1: "l1/anvil.log", sequencer: "sequencer/clearlined.log",
				verifier: "verifier/clearlined.log",
				replica: "replica/clearlined.log",
				oracle: "oracle/oracle.log", maker: "bots/maker.log",
				taker: "bots/taker.log",
				prometheus: "prometheus/prometheus.log" },
		};
		require("fs").writeFileSync(process.argv[1] + ".tmp",
			JSON.stringify(out, null, 2) + "\n");' "$dev/devnet.json")
	mv "$dev/devnet.json.tmp" "$dev/devnet.json"

	cat >"$dev/env.sh" <<ENV
# Source this file (. .devnet/env.sh) for the walkthrough of README.md.
export L1_RPC=http://127.0.0.1:$L1_PORT
export ETH_RPC_URL=\$L1_RPC
export CLEARLINE_RPC=http://127.0.0.1:$L2_PORT
export ROLLUP=$ROLLUP
export TOKEN=$TOKEN
export ASSETS=$ASSETS TETH=$TETH TBTC=$TBTC
export ALICE=$ACCOUNT_1 ALICE_KEY=$ACCOUNT_KEY_1
export BOB=$ACCOUNT_2 BOB_KEY=$ACCOUNT_KEY_2
export CAROL=$ACCOUNT_3 CAROL_KEY=$ACCOUNT_KEY_3
export DAVE=$ACCOUNT_4 DAVE_KEY=$ACCOUNT_KEY_4
export LISTER_KEY=$LISTER_KEY
export PATH="$build/src:$top/contrib/l1/node_modules/.bin:\$PATH"
ENV
}

summary() {
	cat <<EOF
devnet: up
  L1 (anvil)        http://127.0.0.1:$L1_PORT  chain id 31337, a block a second
  L2 (sequencer)    http://127.0.0.1:$L2_PORT  (WebSocket ws://127.0.0.1:$((L2_PORT + 1))/)
  metrics           http://127.0.0.1:PORT/metrics on each node's JSON-RPC port + 2
                    (contrib/devnet.sh prometheus scrapes them all)
$(if [ "${VERIFIER_AVAILABLE:-0}" = 1 ]; then
	echo "  L2 (verifier)     http://127.0.0.1:$VERIFIER_PORT  (derives everything from L1)"
	[ "${REPLICA_AVAILABLE:-0}" = 1 ] &&
		echo "  L2 (replica)      http://127.0.0.1:$REPLICA_PORT  (reads, derived from L1)"
else
	echo "  verifier          none: this build has no working verifier mode yet"
	echo "                    (verifierRpc is null in devnet.json)"
fi)
  rollup            $ROLLUP  (challenge period ${CHALLENGE_PERIOD}s)
  collateral token  $TOKEN  (tUSD, 6 decimals)
  accounts          anvil keys 1-4, 1000000 tUSD each on L1 (not deposited)
  oracle            anvil keys 7, 8, 9; maker $MAKER, taker $TAKER
  options           BTC and ETH calls and puts expiring $(date -u -d "@$OPTION_NEAR_EXPIRY" '+%F %T' 2>/dev/null || echo "$OPTION_NEAR_EXPIRY") and
                    $(date -u -d "@$OPTION_FAR_EXPIRY" '+%F %T' 2>/dev/null || echo "$OPTION_FAR_EXPIRY") UTC; portfolio margin on (the taker uses it)

  details  $dev/devnet.json
  logs     $dev/{l1/anvil.log, sequencer/clearlined.log,
                 verifier/clearlined.log, oracle/oracle.log,
                 bots/maker.log, bots/taker.log}

  try:     . ${dev#"$top"/}/env.sh
           clearline-cli book BTC-PERP
           clearline-cli markets
           cast call \$TOKEN "balanceOf(address)(uint256)" \$ALICE
           (README.md "Try it" walks through deposit, trade and withdrawal)
  stop:    contrib/devnet.sh down
EOF
}

# ---------------------------------------------------------------- up

prepare_tools() {
	"$top/contrib/bootstrap.sh"
	mkdir -p "$dev"
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$top" >"$dev/build.log" 2>&1 ||
			{ tail -n 30 "$dev/build.log" >&2; die "meson setup failed; see $dev/build.log"; }
	fi
	say "building in ${build#"$top"/}"
	# the deploy step needs the verdict program and the two id tools
	ninja -C "$build" src/clearlined src/clearline-cli src/clearline-vm-image \
		src/clearline-genesis-id tests/vm-programs/stf.elf >"$dev/build.log" 2>&1 ||
		{ tail -n 30 "$dev/build.log" >&2; die "the build failed; see $dev/build.log"; }
}

fresh_up() {
	local t0=$SECONDS i deploy
	L1_PORT=${CLEARLINE_L1_PORT:-8545}
	L2_PORT=${CLEARLINE_L2_PORT:-8645}
	VERIFIER_PORT=${CLEARLINE_VERIFIER_PORT:-8745}
	REPLICA_PORT=${CLEARLINE_REPLICA_PORT:-8845}
	for p in "$L1_PORT" "$L2_PORT" "$VERIFIER_PORT" "$REPLICA_PORT" \
		"$((L2_PORT + 1))" "$((VERIFIER_PORT + 1))" "$((REPLICA_PORT + 1))" \
		"$((L2_PORT + 2))" "$((VERIFIER_PORT + 2))" "$((REPLICA_PORT + 2))"; do
		port_busy "$p" && die "port $p on 127.0.0.1 is in use (set CLEARLINE_L1_PORT, CLEARLINE_L2_PORT, CLEARLINE_VERIFIER_PORT, CLEARLINE_REPLICA_PORT)"
	done
	# a fresh chain: forget the previous run's data and logs
	rm -rf "$dev/l1" "$dev/sequencer" "$dev/verifier" "$dev/replica" "$dev/oracle" "$dev/bots" "$dev/prometheus" \
		"$dev/genesis.json" "$dev/devnet.json" "$dev/env.sh" "$dev/state.env" \
		"$dev/passphrase"
	prepare_tools

	say "deriving keys"
	DEPLOYER_KEY=$(dev_key 0)
	SEQUENCER=$(address_of "$DEPLOYER_KEY")
	for i in 1 2 3 4; do
		printf -v "ACCOUNT_KEY_$i" '%s' "$(dev_key $i)"
		k="ACCOUNT_KEY_$i"
		printf -v "ACCOUNT_$i" '%s' "$(address_of "${!k}")"
	done
	ORACLE_KEY_1=$(dev_key 7)
	ORACLE_KEY_2=$(dev_key 8)
	ORACLE_KEY_3=$(dev_key 9)
	LISTER_KEY=$(dev_key 6) # genesis/devnet-options.json "listing"
	MAKER_KEY=$(bot_key maker)
	TAKER_KEY=$(bot_key taker)
	MAKER=$(address_of "$MAKER_KEY")
	TAKER=$(address_of "$TAKER_KEY")
	CHALLENGE_PERIOD=$challenge_period

	say "starting the L1 (anvil) on 127.0.0.1:$L1_PORT"
	start_l1
	local l1="http://127.0.0.1:$L1_PORT"
	# set-up transactions are mined at once; one block a second after
	"$cast" rpc --rpc-url "$l1" evm_setAutomine true >/dev/null

	say "deploying the contracts (challenge period ${challenge_period}s)"
	local now
	now=$(date +%s)
	OPTION_NEAR_EXPIRY=$((now + option_near_s))
	OPTION_FAR_EXPIRY=$((now + option_far_s))
	deploy=$(node "$top/contrib/l1/deploy.js" --rpc-url "$l1" \
		--private-key "$DEPLOYER_KEY" --challenge-period "$challenge_period" \
		--build "$build" --genesis "$top/genesis/devnet.json" --genesis-out "$dev/genesis.json" \
		--genesis-assets "$top/genesis/devnet-assets.json" \
		--genesis-options "$top/genesis/devnet-options.json" \
		--option-expiry "near=$((now + option_near_s)),far=$((now + option_far_s))" \
		--asset tETH:18 --asset tBTC:8 --asset-mint-amount "$asset_mint" \
		--dispute-clock "$dispute_clock" \
		--mint-to "$ACCOUNT_1,$ACCOUNT_2,$ACCOUNT_3,$ACCOUNT_4" --mint-amount "$account_mint" \
		--mint "$MAKER=$bot_mint" --mint "$TAKER=$bot_mint" \
		2>"$dev/l1/deploy.log") ||
		{ tail -n 20 "$dev/l1/deploy.log" >&2; die "deploy failed; see $dev/l1/deploy.log"; }
	echo "$deploy" >"$dev/l1/deploy.json"
	ROLLUP=$(json_get 'j.rollup' <<<"$deploy")
	TOKEN=$(json_get 'j.collateralToken' <<<"$deploy")
	START_BLOCK=$(json_get 'j.rollupDeployBlock' <<<"$deploy")
	ASSETS=$(json_get 'j.assetsContract' <<<"$deploy")
	TETH=$(json_get 'j.assets.find((a) => a.symbol === "tETH").token' <<<"$deploy")
	TBTC=$(json_get 'j.assets.find((a) => a.symbol === "tBTC").token' <<<"$deploy")

	say "funding the bots and depositing their collateral"
	for k in "$MAKER_KEY" "$TAKER_KEY"; do
		local a
		a=$(address_of "$k")
		"$cast" rpc --rpc-url "$l1" anvil_setBalance "$a" 0x3635c9adc5dea00000 >/dev/null
		"$cast" send --rpc-url "$l1" --private-key "$k" "$TOKEN" \
			"approve(address,uint256)" "$ROLLUP" "$bot_mint" >/dev/null
		"$cast" send --rpc-url "$l1" --private-key "$k" "$ROLLUP" \
			"deposit(address,uint256)" "$a" "$bot_mint" >/dev/null
	done
	"$cast" rpc --rpc-url "$l1" evm_setIntervalMining 1 >/dev/null

	# deploy.js wrote the genesis (naming the rollup) it took the
	# rollup's genesis hash and root from
	say "writing the sequencer's keystore"
	mkdir -p "$dev/sequencer" "$dev/verifier"
	(
		umask 077
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dev/passphrase"
		echo >>"$dev/passphrase"
		printf '%s\n' "$DEPLOYER_KEY" | "$cli" key import \
			--keystore "$dev/sequencer/l1-key.json" \
			--passphrase "file:$dev/passphrase" >/dev/null
		printf '%s\n' "$(dev_key 5)" | "$cli" key import \
			--keystore "$dev/verifier/l1-key.json" \
			--passphrase "file:$dev/passphrase" >/dev/null
	)

	{
		for v in L1_PORT L2_PORT VERIFIER_PORT REPLICA_PORT ROLLUP TOKEN ASSETS TETH TBTC START_BLOCK CHALLENGE_PERIOD \
			OPTION_NEAR_EXPIRY OPTION_FAR_EXPIRY \
			SEQUENCER ACCOUNT_1 ACCOUNT_2 ACCOUNT_3 ACCOUNT_4 \
			ACCOUNT_KEY_1 ACCOUNT_KEY_2 ACCOUNT_KEY_3 ACCOUNT_KEY_4 \
			ORACLE_KEY_1 ORACLE_KEY_2 ORACLE_KEY_3 LISTER_KEY \
			MAKER MAKER_KEY TAKER TAKER_KEY; do
			echo "$v=${!v}"
		done
	} >"$dev/state.env"
	chmod 600 "$dev/state.env"
	export L1_PORT L2_PORT

	say "starting the sequencer on 127.0.0.1:$L2_PORT"
	start_sequencer
	say "starting the verifier on 127.0.0.1:$VERIFIER_PORT"
	start_verifier
	echo "VERIFIER_AVAILABLE=$VERIFIER_AVAILABLE" >>"$dev/state.env"
	say "starting the replica on 127.0.0.1:$REPLICA_PORT"
	start_replica
	echo "REPLICA_AVAILABLE=$REPLICA_AVAILABLE" >>"$dev/state.env"
	say "starting the oracle price feeder"
	start_oracle
	say "starting the demo traffic (maker, taker)"
	start_bot maker
	start_bot taker
	write_outputs
	say "ready in $((SECONDS - t0))s"
	summary
}

cmd_up() {
	local c alive=() dead=()
	if [ -f "$dev/state.env" ]; then
		load_state
		for c in $(components); do
			if [ -n "$(live_pid "$c")" ]; then alive+=("$c"); else dead+=("$c"); fi
		done
	fi
	if [ ${#alive[@]} -eq 0 ]; then
		fresh_up
		return
	fi
	if [ ${#dead[@]} -gt 0 ]; then
		say "already up except: ${dead[*]}; starting them again"
		for c in "${dead[@]}"; do
			start_component "$c"
		done
		write_outputs
	else
		say "already up (contrib/devnet.sh down to stop)"
	fi
	summary
}

cmd_down() {
	local i any=0
	for ((i = ${#all_components[@]} - 1; i >= 0; i--)); do
		local c=${all_components[$i]}
		if [ -n "$(live_pid "$c")" ]; then
			stop_component "$c"
			say "stopped $c"
			any=1
		else
			rm -f "$(pidfile "$c")"
		fi
	done
	if [ -n "$(live_pid prometheus)" ]; then
		stop_component prometheus
		say "stopped prometheus"
		any=1
	fi
	[ $any -eq 1 ] || say "nothing was running"
	if [ -f "$dev/devnet.json" ]; then
		node -e '
			const fs = require("fs"), f = process.argv[1];
			const j = JSON.parse(fs.readFileSync(f, "utf8"));
			for (const k of Object.keys(j.pids || {})) j.pids[k] = null;
			fs.writeFileSync(f, JSON.stringify(j, null, 2) + "\n");' \
			"$dev/devnet.json" || true
	fi
	say "down (data and logs kept in $dev until the next up)"
}

cmd_restart() {
	local name=${1:-} targets
	case "$name" in
	l1 | sequencer | verifier | replica | oracle | maker | taker) targets=("$name") ;;
	bots) targets=(maker taker) ;;
	*) die "usage: contrib/devnet.sh restart l1|sequencer|verifier|replica|oracle|bots|maker|taker" ;;
	esac
	load_state
	if [ "$name" = verifier ] && [ "${VERIFIER_AVAILABLE:-0}" != 1 ]; then
		die "this devnet has no verifier (this build's clearlined has no verifier mode)"
	fi
	if [ "$name" = replica ] && [ "${REPLICA_AVAILABLE:-0}" != 1 ]; then
		die "this devnet has no replica (it did not start; see $(logfile replica))"
	fi
	export L1_PORT L2_PORT
	for c in "${targets[@]}"; do
		stop_component "$c" KILL
		say "killed $c; starting it again"
		start_component "$c"
		[ "$c" != verifier ] || [ "$VERIFIER_AVAILABLE" = 1 ] ||
			die "the verifier did not come back; see $(logfile verifier)"
	done
	write_outputs
	say "restarted ${targets[*]}"
}

cmd_status() {
	local c p st=0
	if [ ! -f "$dev/state.env" ]; then
		say "not set up (contrib/devnet.sh up)"
		return 3
	fi
	load_state
	for c in $(components); do
		p=$(live_pid "$c")
		if [ -n "$p" ]; then
			printf '  %-10s running  pid %-8s %s\n' "$c" "$p" "$(logfile "$c")"
		else
			printf '  %-10s stopped\n' "$c"
			st=1
		fi
	done
	[ "${VERIFIER_AVAILABLE:-0}" = 1 ] || printf '  %-10s none (not available in this build)\n' verifier
	if [ -n "$(live_pid l1)" ]; then
		echo "  L1 block   $("$cast" block-number --rpc-url "http://127.0.0.1:$L1_PORT" 2>/dev/null || echo '?')"
	fi
	if [ -n "$(live_pid sequencer)" ]; then
		"$cli" --rpc "http://127.0.0.1:$L2_PORT" status 2>&1 | sed 's/^/  /' || true
	fi
	return $st
}

# Debian's prometheus scraping every node of the devnet every 5 s; its
# data in .devnet/prometheus (gone with the next `up`).
cmd_prometheus() {
	local port=${CLEARLINE_PROMETHEUS_PORT:-9190} prom targets p
	load_state
	prom=$(command -v prometheus) ||
		die "prometheus is missing: run contrib/bootstrap.sh (Debian package prometheus)"
	if [ -n "$(live_pid prometheus)" ]; then
		say "prometheus already runs: http://127.0.0.1:$(cat "$dev/prometheus/port")/"
		return 0
	fi
	port_busy "$port" && die "port $port on 127.0.0.1 is in use (set CLEARLINE_PROMETHEUS_PORT)"
	targets="'127.0.0.1:$((L2_PORT + 2))'"
	[ "${VERIFIER_AVAILABLE:-0}" = 1 ] && targets+=", '127.0.0.1:$((VERIFIER_PORT + 2))'"
	[ "${REPLICA_AVAILABLE:-0}" = 1 ] && targets+=", '127.0.0.1:$((REPLICA_PORT + 2))'"
	mkdir -p "$dev/prometheus/data"
	cat >"$dev/prometheus/prometheus.yml" <<YML
# Written by contrib/devnet.sh prometheus: every node of the devnet.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: clearline
    metrics_path: /metrics
    static_configs:
      - targets: [$targets]
YML
	"$(dirname "$prom")/promtool" check config "$dev/prometheus/prometheus.yml" \
		>"$dev/prometheus/check.log" 2>&1 ||
		{ cat "$dev/prometheus/check.log" >&2; die "promtool refused the configuration"; }
	echo "$port" >"$dev/prometheus/port"
	spawn prometheus "$prom" --config.file "$dev/prometheus/prometheus.yml" \
		--storage.tsdb.path "$dev/prometheus/data" \
		--web.listen-address "127.0.0.1:$port"
	wait_for 30 "prometheus to answer" prometheus \
		curl -sf --max-time 2 "http://127.0.0.1:$port/-/ready"
	for p in $(seq 1 75); do
		curl -s --max-time 2 "http://127.0.0.1:$port/api/v1/targets" |
			grep -q '"health":"up"' && break
		sleep 0.2
	done
	say "prometheus on http://127.0.0.1:$port/ scraping $targets"
	say "try: curl -s 'http://127.0.0.1:$port/api/v1/query?query=clearline_head_block'"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
restart) cmd_restart "${2:-}" ;;
status) cmd_status ;;
prometheus) cmd_prometheus ;;
*)
	echo "usage: contrib/devnet.sh up | down | restart NAME | status | prometheus" >&2
	exit 2
	;;
esac
