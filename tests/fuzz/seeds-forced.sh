#!/bin/sh
# Writes fuzz-forced's seeds (the input format is in fuzz-forced.c): a
# ForcedRequest log of each kind the contract takes, one with a field out
# of range, and the same words under the other events' topics.
# Usage: tests/fuzz/seeds-forced.sh DIR
set -eu
d=${1:?usage: $0 DIR}
mkdir -p "$d"
w() { printf '%064x' "$1"; }                 # a uint64 word
acct=0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed
# $1 name, $2 header byte (hex), $3 kind, $4 a, $5 b
seed() {
	{ printf '%s' "$2"; w 0; w 42; printf '%s' "$acct"
	  w "$3"; w "$4"; w "$5"; w 1700000000; } | xxd -r -p >"$d/$1"
}
seed withdraw 03 1 1000000 0
seed cancel 03 2 77 0
seed cancel-all 03 3 0 0
seed close 03 4 2 50000
seed close-no-price 03 4 2 0
seed kind-9 03 9 0 0
seed as-deposit 0b 1 5 0
seed as-appended 13 1 5 0
seed as-challenged 1b 1 5 0
seed as-discarded 23 1 5 0
seed own-topic 3b 1 5 0
