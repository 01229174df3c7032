#!/usr/bin/env bash
# Checks the devnet end to end, the way README.md "Try it" uses it:
# `contrib/devnet.sh up`, then with anvil account 1 a deposit on L1 that is
# credited on L2, a tETH deposit through clearline-cli credited on L2, an order that fills against the demo maker, an order
# placed and cancelled, a withdrawal that becomes final after the challenge
# period and is claimed on L1 (the balance grows by the amount; a second
# claim reverts), the replica, an oracle drop that liquidates a leveraged
# long through the book, a gap with an empty book where the insurance fund
# and ADL take over (and the fund later sells on the book), the verifier
# agreeing throughout, `up` again (changes nothing), a SIGKILL restart of the
# sequencer and of the L1 (the account survives), and `down` (nothing left
# running). Prints `N passed, N failed` and exits non-zero on any failure.
#
# By default it runs on its own free loopback ports and its own data folder
# (removed afterwards), so it does not disturb a devnet already up; set
# CLEARLINE_L1_PORT, CLEARLINE_L2_PORT or CLEARLINE_DEVNET_DIR to choose.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
devnet="$top/contrib/devnet.sh"
cast="$top/contrib/l1/node_modules/.bin/cast"
build=${CLEARLINE_DEVNET_BUILD:-$top/build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
cli="$build/src/clearline-cli"

passed=0
failed=0
ok() {
	echo "ok:   $*"
	passed=$((passed + 1))
}
bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The kernel's range of ephemeral ports: the local ports it hands to
# outgoing connections (the nodes' own calls to anvil and to each other).
# A listening port picked inside it can be taken by such a connection
# between the check and the node's bind, so free_port keeps out of it.
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	{ eph_lo=32768; eph_hi=60999; }
# A port p with p, p + 1 and p + 2 free and outside the ephemeral range:
# a node listens on its JSON-RPC port, the WebSocket one above it and the
# metrics one above that.
free_port() {
	local p i
	for i in $(seq 1 400); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % 55530))
		# the last tries take any port: a range that leaves none
		[ "$i" -gt 300 ] || [ $((p + 2)) -lt "$eph_lo" ] ||
			[ "$p" -gt "$eph_hi" ] || continue
		port_busy "$p" || port_busy $((p + 1)) || port_busy $((p + 2)) || {
			echo "$p"
			return 0
		}
	done
	return 1
}
# Whether the three ports from $1 and from any later argument meet.
clash() {
	local a=$1 b
	shift
	for b in "$@"; do
		[ $((a - b)) -lt 3 ] && [ $((b - a)) -lt 3 ] && return 0
	done
	return 1
}

# A value from JSON on stdin: js EXPR (JavaScript on `j`); fails when the
# value is undefined or null.
js() {
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
		let v;try{const j=JSON.parse(s);v=eval(process.argv[1]);}catch(e){process.exit(1);}
		if(v===undefined||v===null)process.exit(1);
		console.log(typeof v==="object"?JSON.stringify(v):String(v));})' "$1"
}

own_dir=0
if [ -z "${CLEARLINE_DEVNET_DIR:-}" ]; then
	CLEARLINE_DEVNET_DIR=$(mktemp -d "${TMPDIR:-/tmp}/clearline-devnet-check.XXXXXX")
	own_dir=1
fi
export CLEARLINE_DEVNET_DIR
export CLEARLINE_L1_PORT=${CLEARLINE_L1_PORT:-$(free_port)}
l2=${CLEARLINE_L2_PORT:-$(free_port)}
while clash "$l2" "$CLEARLINE_L1_PORT"; do l2=$(free_port); done
export CLEARLINE_L2_PORT=$l2
vp=${CLEARLINE_VERIFIER_PORT:-$(free_port)}
while clash "$vp" "$CLEARLINE_L1_PORT" "$l2"; do vp=$(free_port); done
export CLEARLINE_VERIFIER_PORT=$vp
rp=${CLEARLINE_REPLICA_PORT:-$(free_port)}
while clash "$rp" "$CLEARLINE_L1_PORT" "$l2" "$vp"; do
	rp=$(free_port)
done
export CLEARLINE_REPLICA_PORT=$rp
dev=$CLEARLINE_DEVNET_DIR

cleanup() {
	"$devnet" down >/dev/null 2>&1 || true
	if [ $own_dir -eq 1 ]; then
		if [ "$failed" -gt 0 ]; then
			echo "devnet-check: logs kept in $dev"
		else
			rm -rf "$dev"
		fi
	fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ up
t0=$SECONDS
if ! "$devnet" up; then
	bad "contrib/devnet.sh up"
	finish
fi
ok "contrib/devnet.sh up in $((SECONDS - t0))s"

j=$(cat "$dev/devnet.json")
fields_ok=1
for f in l1Rpc l2Rpc l1ChainId rollup collateralToken accounts oracleKeys pids \
	pids.l1 pids.sequencer pids.oracle pids.maker pids.taker; do
	js "j.$f" <<<"$j" >/dev/null || {
		fields_ok=0
		bad "devnet.json has no $f"
	}
done
[ "$(js 'j.verifierRpc===null||/^http:\/\/127\.0\.0\.1:[0-9]+$/.test(j.verifierRpc)' <<<"$j")" = true ] || fields_ok=0
[ "$(js 'j.accounts.length' <<<"$j")" = 4 ] || fields_ok=0
[ "$(js 'j.oracleKeys.length' <<<"$j")" = 3 ] || fields_ok=0
[ "$(js 'j.l1ChainId' <<<"$j")" = 31337 ] || fields_ok=0
if [ $fields_ok -eq 1 ]; then
	ok "devnet.json has the documented fields"
else
	bad "devnet.json: $j"
fi

L1_RPC=$(js j.l1Rpc <<<"$j")
export ETH_RPC_URL=$L1_RPC
export CLEARLINE_RPC=$(js j.l2Rpc <<<"$j")
ROLLUP=$(js j.rollup <<<"$j")
TOKEN=$(js j.collateralToken <<<"$j")
ALICE=$(js 'j.accounts[0].address' <<<"$j")
export ALICE_KEY=$(js 'j.accounts[0].privateKey' <<<"$j")
MAKER=$(js 'j.bots.maker' <<<"$j")

if [ "$("$cast" chain-id)" = 31337 ]; then ok "L1 chain id 31337"; else bad "L1 chain id"; fi

# --------------------------------------------------------- deposit
before=$("$cast" call "$TOKEN" "balanceOf(address)(uint256)" "$ALICE" | cut -d' ' -f1)
[ "$before" = 1000000000000 ] && ok "account 1 holds 1000000 tUSD on L1" ||
	bad "account 1 holds $before atoms on L1, not 1000000 tUSD"
"$cast" send "$TOKEN" "approve(address,uint256)" "$ROLLUP" 1000000000 \
	--private-key "$ALICE_KEY" >/dev/null &&
	"$cast" send "$ROLLUP" "deposit(address,uint256)" "$ALICE" 1000000000 \
		--private-key "$ALICE_KEY" >/dev/null ||
	bad "approve + deposit on L1"
credited=0
for _ in $(seq 1 150); do
	c=$("$cli" --json account "$ALICE" 2>/dev/null | js j.collateral) || c=
	if [ "$c" = 1000000000 ]; then
		credited=1
		break
	fi
	sleep 0.2
done
[ $credited -eq 1 ] && ok "deposit of 1000 tUSD credited on L2" ||
	bad "deposit not credited on L2 within 30 s (collateral ${c:-?})"

# --------------------------------------------------- asset deposit
# 1 tETH through clearline-cli (approve and deposit on L1), credited in
# the asset's L2 atoms (9 decimals)
[ "$(js 'j.assets.map((a) => a.symbol).join()' <<<"$j")" = tETH,tBTC ] &&
	ok "devnet.json lists tETH and tBTC" || bad "devnet.json assets: $(js 'j.assets' <<<"$j")"
if "$cli" asset-deposit tETH 1 --l1-rpc "$L1_RPC" --key-env ALICE_KEY >/dev/null; then
	credited=0
	for _ in $(seq 1 150); do
		b=$("$cli" --json account "$ALICE" 2>/dev/null |
			js 'j.collateralAssets.find((a) => a.asset === 1).balance') || b=
		if [ "$b" = 1000000000 ]; then
			credited=1
			break
		fi
		sleep 0.2
	done
	[ $credited -eq 1 ] && ok "asset deposit of 1 tETH credited on L2" ||
		bad "asset deposit not credited on L2 within 30 s (tETH ${b:-?})"
else
	bad "clearline-cli asset-deposit tETH 1"
fi

# ----------------------------------------------------------- trade
book=$("$cli" --json book BTC-PERP 2>/dev/null)
ask=$(js 'j.asks[0][0]' <<<"$book") && ok "the maker quotes BTC-PERP (best ask $ask)" ||
	bad "no ask on BTC-PERP"
# a buy 1% above the best ask, immediate-or-cancel (price 0.1 ticks)
limit=$(node -p "n=BigInt('${ask:-650000}');p=n+n/100n;(p/10n)+'.'+(p%10n)")
res=$("$cli" --json order BTC-PERP buy "$limit" 0.01 --ioc --key-env ALICE_KEY)
st=$(js j.status <<<"$res")
fill_maker=$(js 'j.fills[0].makerTrader' <<<"$res")
if [ "$st" = filled ] && [ "$(js j.filledSize <<<"$res")" = 100 ] &&
	[ "${fill_maker,,}" = "${MAKER,,}" ]; then
	ok "an IOC buy of 0.01 BTC filled against the maker"
else
	bad "IOC buy: $res"
fi
res=$("$cli" --json order BTC-PERP buy 50000 0.01 --key-env ALICE_KEY)
hash=$(js j.orderHash <<<"$res")
[ "$(js j.status <<<"$res")" = open ] && ok "a resting buy at 50000 is open" ||
	bad "resting buy: $res"
res=$("$cli" --json cancel "$hash" --key-env ALICE_KEY)
[ "$(js j.status <<<"$res")" = cancelled ] && ok "and cancelled" || bad "cancel: $res"
acct=$("$cli" --json account "$ALICE")
[ "$(js 'j.positions.length' <<<"$acct")" = 1 ] &&
	[ "$(js 'j.openOrders.length' <<<"$acct")" = 0 ] &&
	ok "account 1: one position, no open order" || bad "account: $acct"

# -------------------------------------------------------- withdraw
res=$("$cli" --json withdraw 100 --key-env ALICE_KEY)
wid=$(js j.withdrawalId <<<"$res") && ok "withdrawal $wid of 100 tUSD accepted" ||
	bad "withdraw: $res"
t1=$SECONDS
final=0
for _ in $(seq 1 240); do
	proof=$("$cli" --json withdrawal-proof "${wid:-0}" 2>/dev/null) || proof='{}'
	if [ "$(js j.status <<<"$proof")" = final ]; then
		final=1
		break
	fi
	sleep 0.5
done
if [ $final -eq 1 ]; then
	ok "withdrawal final after $((SECONDS - t1))s"
else
	bad "withdrawal not final within 120 s: $proof"
fi
to=$(js j.tx.to <<<"$proof")
data=$(js j.tx.data <<<"$proof")
before=$("$cast" call "$TOKEN" "balanceOf(address)(uint256)" "$ALICE" | cut -d' ' -f1)
if "$cast" send "$to" "$data" --private-key "$ALICE_KEY" >/dev/null 2>&1; then
	ok "claimed on L1"
else
	bad "the claim failed"
fi
after=$("$cast" call "$TOKEN" "balanceOf(address)(uint256)" "$ALICE" | cut -d' ' -f1)
[ "$after" = $((before + 100000000)) ] && ok "L1 balance grew by 100 tUSD" ||
	bad "L1 balance $before -> $after"
if "$cast" send "$to" "$data" --private-key "$ALICE_KEY" >/dev/null 2>&1; then
	bad "a second claim succeeded"
else
	ok "a second claim reverts"
fi
after2=$("$cast" call "$TOKEN" "balanceOf(address)(uint256)" "$ALICE" | cut -d' ' -f1)
[ "$after2" = "$after" ] && ok "and pays nothing" || bad "second claim paid: $after -> $after2"
[ "$("$cli" --json withdrawal-proof "${wid:-0}" | js j.status)" = claimed ] &&
	ok "the node reports the withdrawal claimed" || bad "status after the claim"

# ------------------------------------------------------- verifier
vrpc=$(js j.verifierRpc <"$dev/devnet.json") || vrpc=
if [ -n "$vrpc" ]; then
	vh=$("$cli" --rpc "$vrpc" --json status | js j.headBlock)
	r1=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$vh\"]}" "$vrpc" | js j.result.stateRoot)
	r2=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$vh\"]}" "$CLEARLINE_RPC" | js j.result.stateRoot)
	[ -n "$r1" ] && [ "$r1" = "$r2" ] && ok "the verifier agrees with the sequencer at block $vh" ||
		bad "state roots at block $vh: verifier $r1, sequencer $r2"
else
	echo "note: no verifier in this build (verifierRpc is null)"
fi

# ------------------------------------------------------- replica
rrpc=$(js j.replicaRpc <"$dev/devnet.json") || rrpc=
if [ -n "$rrpc" ] && [ "$rrpc" != null ]; then
	rh=0
	for _ in $(seq 1 100); do
		rh=$("$cli" --rpc "$rrpc" --json status | js j.headBlock) || rh=0
		[ "${rh:-0}" -gt 0 ] && break
		sleep 0.3
	done
	r1=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$rh\"]}" "$rrpc" | js j.result.stateRoot)
	r2=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$rh\"]}" "$CLEARLINE_RPC" | js j.result.stateRoot)
	[ -n "$r1" ] && [ "$r1" = "$r2" ] && ok "the replica agrees with the sequencer at block $rh" ||
		bad "state roots at block $rh: replica $r1, sequencer $r2"
	a1=$("$cli" --rpc "$rrpc" --json account "$ALICE" | js j.address)
	[ "$a1" = "$ALICE" ] && ok "the replica serves l2_getAccount" ||
		bad "replica l2_getAccount: $a1"
	zh=0x$(printf '0%.0s' $(seq 1 64))
	zs=0x$(printf '0%.0s' $(seq 1 130))
	code=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_cancelOrder\",\"params\":[{\"trader\":\"$ALICE\",\"orderHash\":\"$zh\"},\"$zs\"]}" "$rrpc" | js j.error.code)
	[ "$code" = 2003 ] && ok "the replica refuses writes (2003, naming the sequencer)" ||
		bad "replica write answer: $code"
else
	echo "note: no replica in this devnet (replicaRpc is null)"
fi

# ------------------------------------------------------- liquidation
# An over-leveraged long and an oracle drop: the account is liquidated in
# the next blocks, the event is on record, and the verifier still agrees.
BOB=$(js 'j.accounts[1].address' <<<"$j")
export BOB_KEY=$(js 'j.accounts[1].privateKey' <<<"$j")
"$cast" send "$TOKEN" "approve(address,uint256)" "$ROLLUP" 500000000 \
	--private-key "$BOB_KEY" >/dev/null &&
	"$cast" send "$ROLLUP" "deposit(address,uint256)" "$BOB" 500000000 \
		--private-key "$BOB_KEY" >/dev/null || bad "account 2: deposit on L1"
c=
for _ in $(seq 1 150); do
	c=$("$cli" --json account "$BOB" 2>/dev/null | js j.collateral) || c=
	[ "$c" = 500000000 ] && break
	sleep 0.2
done
mark=$("$cli" --json markets | js 'j.find(m=>m.id===1).markPrice')
limit=$(node -p "const p=BigInt('$mark')*102n/100n; (p/10n)+'.'+(p%10n)")
filled=0
for _ in 1 2 3; do
	out=$("$cli" --json order BTC-PERP buy "$limit" 0.1 --ioc --key-env BOB_KEY 2>&1)
	filled=$(js j.filledSize <<<"$out") || filled=0
	[ "${filled:-0}" -gt 0 ] && break
	echo "note: the leveraged buy did not fill yet (collateral ${c:-?}): $out"
	sleep 2 # the maker refreshes its quotes
done
if [ "${filled:-0}" -gt 0 ]; then
	ok "account 2: a ~13x long of $filled size units on 500 tUSD"
	kill "$(js j.pids.oracle <"$dev/devnet.json")" 2>/dev/null
	sleep 1.2 # the next oracle timestamp must be newer than the feeder's
	drop=$(node -p "const p=BigInt('$mark')*91n/100n; (p/10n)+'.'+(p%10n)")
	O1=$(js 'j.oracleKeys[0]' <<<"$j") O2=$(js 'j.oracleKeys[1]' <<<"$j") \
		"$cli" oracle-feed --oracle-key-env O1,O2 --markets BTC-PERP \
		--start "BTC-PERP=$drop" --ticks 1 >/dev/null ||
		bad "an oracle update at $drop"
	# liquidated until it is back above maintenance: flat, or a smaller
	# position when the book paid better than the bankruptcy price
	st=
	for _ in $(seq 1 50); do
		st=$("$cli" --json account "$BOB" | js '(j.positions.length===0?"flat":(BigInt(j.positions[0].size)<'"$filled"'n&&!j.liquidatable?"reduced "+j.positions[0].size:"open"))') || st=
		case "$st" in flat | reduced*) break ;; esac
		sleep 0.2
	done
	case "$st" in
	flat | reduced*) ok "a 9 % oracle drop liquidated account 2 ($st)" ;;
	*) bad "account 2 after the drop: ${st:-?}" ;;
	esac
	nev=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getRiskEvents\",\"params\":[\"$BOB\"]}" "$CLEARLINE_RPC" | js 'j.result.length') || nev=0
	[ "${nev:-0}" -gt 0 ] && ok "l2_getRiskEvents lists $nev liquidation events" ||
		bad "no risk events for account 2"
	kinds=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getRiskEvents\",\"params\":[\"$BOB\"]}" "$CLEARLINE_RPC" | js 'Object.entries(j.result.reduce((a,e)=>(a[e.kind]=(a[e.kind]||0)+1,a),{})).map(([k,n])=>k+" "+n).join(", ")') || kinds=
	echo "note: account 2's liquidation, by kind: ${kinds:-?}"
	# whatever the insurance fund took, it sells back to the book
	held=
	for _ in $(seq 1 150); do
		held=$(curl -s -d '{"jsonrpc":"2.0","id":1,"method":"l2_getInsuranceFund","params":[]}' "$CLEARLINE_RPC" | js 'j.result.positions.filter(p=>BigInt(p.size)!==0n).length') || held=
		[ "$held" = 0 ] && break
		sleep 0.2
	done
	[ "$held" = 0 ] && ok "the insurance fund holds no position after the liquidation" ||
		bad "the insurance fund still holds ${held:-?} positions 30 s after the liquidation"
	"$devnet" restart oracle >/dev/null || bad "restart the oracle feeder"
	if [ -n "$vrpc" ]; then
		sh=$("$cli" --json status | js j.headBlock)
		vh=0
		for _ in $(seq 1 150); do
			vh=$("$cli" --rpc "$vrpc" --json status | js j.headBlock) || vh=0
			[ "${vh:-0}" -ge "$sh" ] && break
			sleep 0.2
		done
		r1=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$sh\"]}" "$vrpc" | js j.result.stateRoot)
		r2=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$sh\"]}" "$CLEARLINE_RPC" | js j.result.stateRoot)
		[ -n "$r1" ] && [ "$r1" = "$r2" ] &&
			ok "the verifier agrees after the liquidation (block $sh)" ||
			bad "after the liquidation, block $sh: verifier $r1, sequencer $r2"
	fi
else
	bad "account 2: the leveraged buy did not fill (limit $limit)"
fi

# ------------------------------------------- insurance fund and ADL
# With the demo traffic stopped and its quotes cancelled, a 25x long on
# ETH-PERP meets a 9 % drop with nothing on the book: the fund pays what
# it can, ADL closes the rest against the top of the re-scored short
# ranking, an account without an ETH position pays nothing, the fund
# never goes below zero, and the verifier agrees. Then the demo traffic
# comes back and the fund sells what it took to the book.
rpc() {
	curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$CLEARLINE_RPC"
}
l1_deposit() { # KEY ADDRESS AMOUNT
	"$cast" send "$TOKEN" "approve(address,uint256)" "$ROLLUP" "$3" \
		--private-key "$1" >/dev/null &&
		"$cast" send "$ROLLUP" "deposit(address,uint256)" "$2" "$3" \
			--private-key "$1" >/dev/null
}
credited() { # ADDRESS AMOUNT
	local c
	for _ in $(seq 1 150); do
		c=$("$cli" --json account "$1" 2>/dev/null | js j.collateral) || c=
		[ "$c" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
CAROL=$(js 'j.accounts[2].address' <<<"$j")
export CAROL_KEY=$(js 'j.accounts[2].privateKey' <<<"$j")
DAVE=$(js 'j.accounts[3].address' <<<"$j")
export DAVE_KEY=$(js 'j.accounts[3].privateKey' <<<"$j")
MAKER=$(js 'j.bots.maker' <<<"$j")
export MAKER_KEY=$("$cast" keccak "clearline devnet bot maker")
for c in maker taker oracle; do
	kill "$(js "j.pids.$c" <"$dev/devnet.json")" 2>/dev/null
done
sleep 0.5
for h in $("$cli" --json account "$MAKER" | js 'j.openOrders.map(o=>o.orderHash).join(" ")'); do
	"$cli" cancel "$h" --key-env MAKER_KEY >/dev/null 2>&1
done
empty=
for _ in $(seq 1 50); do
	empty=$(rpc l2_getOrderBook '[2, 5]' | js 'j.result.bids.length+j.result.asks.length') || empty=
	[ "$empty" = 0 ] && break
	sleep 0.2
done
[ "$empty" = 0 ] && ok "demo traffic stopped, the ETH-PERP book is empty" ||
	bad "the ETH-PERP book still holds ${empty:-?} levels"
l1_deposit "$CAROL_KEY" "$CAROL" 500000000 && l1_deposit "$DAVE_KEY" "$DAVE" 5000000000 ||
	bad "deposits of accounts 3 and 4 on L1"
credited "$CAROL" 500000000 && credited "$DAVE" 5000000000 ||
	bad "the deposits of accounts 3 and 4 were not credited"
emark=$("$cli" --json markets | js 'j.find(m=>m.id===2).markPrice')
eprice=$(node -p "const p=BigInt('$emark'); (p/100n)+'.'+String(p%100n).padStart(2,'0')")
esize=$(node -p "(12500/(Number('$emark')/100)).toFixed(3)")
"$cli" order ETH-PERP sell "$eprice" "$esize" --key-env DAVE_KEY >/dev/null ||
	bad "account 4: a resting ask of $esize ETH at $eprice"
out=$("$cli" --json order ETH-PERP buy "$eprice" "$esize" --ioc --key-env CAROL_KEY 2>&1)
efilled=$(js j.filledSize <<<"$out") || efilled=0
if [ "${efilled:-0}" -gt 0 ]; then
	ok "account 3: a ~25x ETH long of $efilled size units on 500 tUSD, account 4 short"
	ins0=$(rpc l2_getInsuranceFund '[]' | js j.result.balance) || ins0=?
	sleep 1.2
	edrop=$(node -p "const p=BigInt('$emark')*91n/100n; (p/100n)+'.'+String(p%100n).padStart(2,'0')")
	O1=$(js 'j.oracleKeys[0]' <<<"$j") O2=$(js 'j.oracleKeys[1]' <<<"$j") \
		"$cli" oracle-feed --oracle-key-env O1,O2 --markets ETH-PERP \
		--start "ETH-PERP=$edrop" --ticks 1 >/dev/null ||
		bad "an oracle update at $edrop"
	left=
	for _ in $(seq 1 50); do
		left=$("$cli" --json account "$CAROL" | js 'j.positions.length') || left=
		[ "$left" = 0 ] && break
		sleep 0.2
	done
	ev=$(rpc l2_getRiskEvents "[\"$CAROL\"]" | js j.result) || ev='[]'
	kinds=$(js 'Object.entries(j.reduce((a,e)=>(a[e.kind]=(a[e.kind]||0)+1,a),{})).map(([k,n])=>k+" "+n).join(", ")' <<<"$ev") || kinds=
	[ "$left" = 0 ] && ok "a 9 % ETH drop closed account 3 ($kinds; the fund held $ins0 atoms)" ||
		bad "account 3 after the ETH drop: ${left:-?} positions ($kinds)"
	cp=$(js 'j.filter(e=>e.kind==="adl_bankrupt").map(e=>e.counterparty).filter((a,i,x)=>x.indexOf(a)===i).join(" ")' <<<"$ev") || cp=
	if [ -n "$cp" ]; then
		ok "the fund could not cover it: ADL against $(wc -w <<<"$cp") short(s)"
		mirror=1
		for a in $cp; do
			n=$(rpc l2_getRiskEvents "[\"$a\"]" | js "j.result.filter(e=>e.kind==='adl_counterparty'&&e.counterparty.toLowerCase()==='${CAROL,,}').length") || n=0
			[ "${n:-0}" -gt 0 ] || mirror=0
		done
		[ $mirror = 1 ] && ok "each deleveraged short has the matching event" ||
			bad "an ADL counterparty without its event"
		top=$(js 'j.find(e=>e.kind==="adl_bankrupt").counterparty.toLowerCase()' <<<"$ev")
		[ "$top" = "${DAVE,,}" ] && ok "account 4 (the most profitable, most leveraged short) ranked first" ||
			bad "ADL went first to $top, not account 4"
	else
		bad "no ADL for account 3 ($kinds)"
	fi
	na=$(rpc l2_getRiskEvents "[\"$ALICE\"]" | js 'j.result.filter(e=>e.kind.startsWith("adl")).length') || na=?
	[ "$na" = 0 ] && ok "account 1 (no ETH position) took no part in the ADL" ||
		bad "account 1 has $na ADL events"
	ins=$(rpc l2_getInsuranceFund '[]' | js j.result.balance) || ins=
	[ -n "$ins" ] && [ "$(node -p "BigInt('$ins')>=0n")" = true ] &&
		ok "the insurance fund stays at or above zero ($ins atoms)" ||
		bad "the insurance fund balance is ${ins:-?}"
	if [ -n "$vrpc" ]; then
		sh=$("$cli" --json status | js j.headBlock)
		vh=0
		for _ in $(seq 1 150); do
			vh=$("$cli" --rpc "$vrpc" --json status | js j.headBlock) || vh=0
			[ "${vh:-0}" -ge "$sh" ] && break
			sleep 0.2
		done
		r1=$(curl -s -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"l2_getStateRoot\",\"params\":[\"$sh\"]}" "$vrpc" | js j.result.stateRoot)
		r2=$(rpc l2_getStateRoot "[\"$sh\"]" | js j.result.stateRoot)
		[ -n "$r1" ] && [ "$r1" = "$r2" ] &&
			ok "the verifier agrees after the ADL (block $sh)" ||
			bad "after the ADL, block $sh: verifier $r1, sequencer $r2"
	fi
else
	bad "account 3: the leveraged ETH buy did not fill: $out"
fi
"$devnet" restart oracle >/dev/null && "$devnet" restart bots >/dev/null ||
	bad "restart the oracle feeder and the bots"
held=
for _ in $(seq 1 150); do
	held=$(rpc l2_getInsuranceFund '[]' | js 'j.result.positions.filter(p=>BigInt(p.size)!==0n).length') || held=
	[ "$held" = 0 ] && break
	sleep 0.2
done
[ "$held" = 0 ] && ok "with the maker back, the fund sold what it took to the book" ||
	bad "the insurance fund still holds ${held:-?} positions 30 s after the maker came back"

# ------------------------------------------------- idempotence, restarts
t2=$SECONDS
out=$("$devnet" up 2>&1)
grep -q "already up" <<<"$out" && [ $((SECONDS - t2)) -le 5 ] &&
	ok "up again: already up, nothing started" || bad "up again: $out"
coll=$("$cli" --json account "$ALICE" | js j.collateral)
restarts="sequencer l1"
[ -n "$vrpc" ] && restarts+=" verifier"
[ -n "$rrpc" ] && restarts+=" replica"
for c in $restarts; do
	old=$(js "j.pids.$c" <"$dev/devnet.json")
	if "$devnet" restart "$c" >/dev/null; then
		new=$(js "j.pids.$c" <"$dev/devnet.json")
		[ "$new" != "$old" ] && ok "restart $c (pid $old -> $new)" ||
			bad "restart $c kept pid $old"
	else
		bad "restart $c"
	fi
done
# An L1 killed while it rewrites its state file leaves the file torn: the
# devnet starts it again from the last whole copy (kept while it runs).
l1url=$(js j.l1Rpc <"$dev/devnet.json")
l1block() {
	curl -s -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' \
		"$l1url" | js '/^0x[0-9a-f]+$/.test(j.result) ? parseInt(j.result, 16) : null'
}
sleep 2
b1=$(l1block)
kill -9 "$(js j.pids.l1 <"$dev/devnet.json")" 2>/dev/null
sleep 0.5
sz=$(stat -c %s "$dev/l1/state.json")
truncate -s $((sz / 2)) "$dev/l1/state.json"
out=$("$devnet" restart l1 2>&1)
b2=$(l1block)
if grep -q "state file was torn" <<<"$out" && [ -f "$dev/l1/state.json.torn" ] &&
	[[ "$b1" =~ ^[0-9]+$ ]] && [[ "$b2" =~ ^[0-9]+$ ]] && [ "$b2" -ge $((b1 - 3)) ]; then
	ok "a torn L1 state file: the L1 comes back from its last whole copy (block $b1 -> $b2)"
else
	bad "a torn L1 state file: blocks $b1 -> $b2; $out"
fi
sleep 3
[ "$("$cli" --json account "$ALICE" | js j.collateral)" = "$coll" ] &&
	ok "account 1 unchanged after the restarts" || bad "account changed after the restarts"
h1=$("$cli" --json status | js j.headBlock)
sleep 2
h2=$("$cli" --json status | js j.headBlock)
book=$("$cli" --json book ETH-PERP)
[ -n "$h1" ] && [ "${h2:-0}" -gt "${h1:-0}" ] && js 'j.asks[0]' <<<"$book" >/dev/null &&
	ok "the chain moves on and the maker quotes after the restarts" ||
	bad "after the restarts: head $h1 -> $h2, book $book"

# ------------------------------------------------------------ down
pids=$(js 'Object.values(j.pids).join(" ")' <"$dev/devnet.json")
"$devnet" down >/dev/null && ok "contrib/devnet.sh down" || bad "down"
left=""
for p in $pids; do
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$p/stat" 2>/dev/null) || continue
	[ "$st" = Z ] || [ "$st" = X ] || left+=" $p"
done
[ -z "$left" ] && ok "nothing left running" || bad "still running:$left"
for port in "$CLEARLINE_L1_PORT" "$CLEARLINE_L2_PORT" "$CLEARLINE_VERIFIER_PORT" "$CLEARLINE_REPLICA_PORT"; do
	port_busy "$port" && bad "port $port still open"
done
finish
