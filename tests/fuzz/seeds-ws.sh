#!/bin/sh
# Writes fuzz-ws's seeds: one client message of each shape of docs/api.md
# "WebSocket" (and a few refused ones). Usage: tests/fuzz/seeds-ws.sh DIR
set -eu
d=${1:?usage: $0 DIR}
mkdir -p "$d"
n=0
seed() {
	n=$((n + 1))
	printf '%s' "$1" >"$d/seed-$(printf %02d $n)"
}
seed '{"op":"ping"}'
seed '{"op":"ping","id":7}'
seed '{"op":"subscribe","stream":"blocks"}'
seed '{"op":"subscribe","stream":"book:1","id":"a"}'
seed '{"op":"subscribe","stream":"trades:4294967295","since":"12"}'
seed '{"op":"subscribe","stream":"account:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","since":3,"id":null}'
seed '{"op":"unsubscribe","stream":"book:2","id":1}'
seed '{"op":"resync","stream":"account:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"}'
seed '{"jsonrpc":"2.0","id":1,"method":"l2_getBook","params":[1]}'
seed '[{"jsonrpc":"2.0","id":1,"method":"l2_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"l2_chainId"}]'
seed '{"op":"unsubscribe","stream":"blocks","since":"1"}'
seed '{"op":"subscribe","stream":"book:x"}'
seed '{"op":"subscribe","stream":"blocks","extra":1}'
seed '{"op":"subscribe","stream":"blocks","id":[1]}'
seed '{"op":"subscribe","stream":"blocks","since":"18446744073709551616"}'
seed '{"op":"subscribe","stream":"blocks","op":"ping"}'
seed '"subscribe"'
seed '{"op":"subscribe"'
seed 'account:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
