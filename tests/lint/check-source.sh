#!/usr/bin/env bash
# Source rules that a compiler does not check (STYLE.md):
#  1. banned functions: the wall clock, libc randomness and unbounded
#     string functions appear only in their one accessor (src/common/clock.c);
#  2. each third-party library is included by exactly one module;
#  3. dependencies point one way: a module includes only the public headers
#     of the modules below it: ... stf <- batch <- game <- l1 <- chain <-
#     {sequencer, verifier} <- rpc <- ws <- node. options (the option
#     pricer) sits beside margin on common alone, for the stf to call.
#     chain owns the node-local tables and the read interface both modes implement, so a verifier
#     never needs the sequencer (nor the reverse). ws (the WebSocket
#     endpoint) sits on rpc: order entry over the socket runs through the
#     rpc dispatcher (cl_rpc_server_call) instead of repeating it, and the
#     streams read the chain and take the sequencer's block events.
#     The CLI may use ws's small client (ws_client.h, no other part of
#     ws) for `clearline-cli watch`: libwebsockets stays inside src/ws.
set -u
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2
fail=0

say() {
	echo "lint: $*"
	fail=1
}

# 1. banned calls (comments are not exempt: keep the names out of them)
banned='(^|[^a-z_])(time|clock_gettime|rand|srand|random|sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)\('
while IFS= read -r hit; do
	case "$hit" in
	src/common/clock.c:*) ;;
	*) say "banned call: $hit" ;;
	esac
done < <(grep -rnE "$banned" src include 2>/dev/null)

# 2. one module wraps each library
check_lib() {
	local pattern=$1
	shift
	while IFS= read -r hit; do
		local ok=0
		for a in "$@"; do
			case "$hit" in "$a"/*) ok=1 ;; esac
		done
		# a module's own public header may expose its library's types
		case "$hit" in include/clearline/*) ok=1 ;; esac
		[ $ok -eq 1 ] || say "$pattern outside $*: $hit"
	done < <(grep -rnE "#include <($pattern)" src include 2>/dev/null)
}
check_lib 'lmdb\.h' src/state
check_lib 'secp256k1' src/crypto
check_lib 'sodium' src/crypto
check_lib 'curl/' src/l1 src/cli
check_lib 'microhttpd\.h' src/rpc
check_lib 'jansson\.h' src/json
check_lib 'yajl/' src/json
check_lib 'zstd' src/batch
check_lib 'libwebsockets' src/ws

# 3. layering: the modules each one may include
order=(common json config crypto vm state margin options matching stf batch game guest l1 chain sequencer verifier rpc ws node cli)
declare -A allowed=(
	[common]="common keccak"
	[json]="common json"
	[config]="common config"
	[crypto]="common crypto"
	[vm]="common crypto vm"
	[guest]="common crypto vm state margin options matching stf batch game guest"
	[state]="common crypto state keccak"
	[margin]="common margin"
	[options]="common options"
	[matching]="common margin matching"
	[stf]="common crypto state margin options matching stf"
	[batch]="common crypto state margin stf batch"
	[game]="common crypto vm state margin stf batch game"
	[l1]="common json crypto state margin stf batch l1"
	[chain]="common crypto state margin matching stf batch game l1 chain"
	[sequencer]="common json crypto state margin matching stf batch game l1 chain sequencer"
	[verifier]="common json crypto state margin matching stf batch game l1 chain verifier"
	[rpc]="common json config crypto state margin matching stf batch game l1 chain sequencer verifier rpc api"
	[ws]="common json crypto state margin matching stf batch game l1 chain sequencer verifier rpc api ws ws_client"
	[node]="${order[*]} api"
	[cli]="common json config crypto stf cli ws_client"
)
for m in "${order[@]}"; do
	[ -d "src/$m" ] || continue
	while IFS= read -r hit; do
		hdr=$(sed -E 's|.*#include <clearline/([a-z_0-9]+)\.h>.*|\1|' <<<"$hit")
		ok=0
		for a in ${allowed[$m]}; do
			[ "$a" = "$hdr" ] && ok=1
		done
		[ $ok -eq 1 ] || say "src/$m may not include clearline/$hdr.h: $hit"
	done < <(grep -rnE '#include <clearline/' "src/$m" 2>/dev/null)
done

[ $fail -eq 0 ] && echo "lint: clean"
exit $fail
