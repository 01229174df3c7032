#!/usr/bin/env bash
# Fuzz campaign: builds the fuzz build (clang, libFuzzer coverage on the
# whole library, AddressSanitizer and UBSan) in build-fuzz/ if needed, runs
# each target for SECONDS with its committed corpus (tests/fuzz/corpus/T)
# as seed and tests/fuzz/T.dict as dictionary when there is one, merges
# the inputs that found new coverage into the committed corpus
# (libFuzzer -merge=1: only entries that add coverage are kept), and
# prints per target: CPU seconds, executions, covered edges (cov:) at
# start (the committed corpus loaded) and end, corpus files and size
# (bytes of content), crashes. A crash's input is kept in
# build-fuzz/artifacts/T/ and the script exits non-zero.
#
# Usage: contrib/fuzz.sh SECONDS [TARGET...]   (default: every target)
# Environment:
#   CL_FUZZ_BUILD   build folder (default build-fuzz)
#   CL_FUZZ_JOBS    ninja jobs (default 2)
#   CL_FUZZ_MIN=1   rebuild each corpus from scratch with -merge=1 (drops
#                   entries whose coverage others already have)
# Needs clang (contrib/bootstrap.sh installs it). See docs/testing.md.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-}
if ! [[ "$secs" =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS [TARGET...]" >&2
	exit 2
fi
shift
bdir=${CL_FUZZ_BUILD:-build-fuzz}
case "$bdir" in /*) ;; *) bdir="$top/$bdir" ;; esac
jobs=${CL_FUZZ_JOBS:-2}

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz.sh: clang is missing: run contrib/bootstrap.sh" >&2
	exit 1
fi
if [ ! -f "$bdir/build.ninja" ]; then
	CC=clang meson setup "$bdir" "$top" -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		--buildtype=debugoptimized >/dev/null || exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$top"/tests/fuzz/fuzz-*.c; do
		t=$(basename "$f" .c)
		targets+=("${t#fuzz-}")
	done
fi
ninja_targets=()
for t in "${targets[@]}"; do
	if [ ! -f "$top/tests/fuzz/fuzz-$t.c" ]; then
		echo "fuzz.sh: no target $t (tests/fuzz/fuzz-$t.c)" >&2
		exit 2
	fi
	ninja_targets+=("tests/fuzz/fuzz-$t")
done
ninja -C "$bdir" -j"$jobs" "${ninja_targets[@]}" >/dev/null || {
	ninja -C "$bdir" -j1 "${ninja_targets[@]}" | tail -20
	exit 1
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
summary=()
for t in "${targets[@]}"; do
	bin="$bdir/tests/fuzz/fuzz-$t"
	corpus="$top/tests/fuzz/corpus/$t"
	art="$bdir/artifacts/$t"
	new=$(mktemp -d "${TMPDIR:-/tmp}/clearline-fuzz-$t.XXXXXX")
	log="$bdir/fuzz-$t.log"
	mkdir -p "$corpus" "$art"
	dict=()
	[ -f "$top/tests/fuzz/$t.dict" ] && dict=("-dict=$top/tests/fuzz/$t.dict")

	echo "== $t: ${secs}s" >&2
	TIMEFORMAT='%U %S'
	{ time "$bin" "$new" "$corpus" "${dict[@]}" -max_total_time="$secs" \
		-timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" >"$log" 2>&1; } 2>"$log.time"
	rc=$?
	cpu=$(awk '{ printf "%d", $1 + $2 }' "$log.time")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov0=$(grep -m1 -o 'INITED cov: [0-9]*' "$log" | grep -o '[0-9]*$')
	cov1=$(grep -o ' cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
	crashes=$(find "$art" -maxdepth 1 -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) -newer "$new" | wc -l)
	if [ $rc -ne 0 ]; then
		status=1
		echo "fuzz.sh: $t failed (exit $rc); log $log; inputs in $art" >&2
		grep -m5 -E 'ERROR|SUMMARY|abort|invariant|check failed' "$log" >&2
	fi

	# keep what found new coverage
	if [ "${CL_FUZZ_MIN:-0}" = 1 ]; then
		fresh=$(mktemp -d "${TMPDIR:-/tmp}/clearline-fuzz-min.XXXXXX")
		if "$bin" -merge=1 "$fresh" "$corpus" "$new" \
			>>"$log" 2>&1; then
			rm -f "$corpus"/*
			cp "$fresh"/* "$corpus"/ 2>/dev/null
		fi
		rm -rf "$fresh"
	else
		"$bin" -merge=1 "$corpus" "$new" >>"$log" 2>&1 ||
			echo "fuzz.sh: merge failed for $t (see $log)" >&2
	fi
	rm -rf "$new"
	files=$(find "$corpus" -type f | wc -l)
	kb=$(( $(du -sb "$corpus" | cut -f1) / 1024 ))
	summary+=("$(printf '%-10s %8s %12s %8s %8s %8s %8s %8s' "$t" \
		"${cpu:-?}" "${runs:-?}" "${cov0:-?}" "${cov1:-?}" "$files" \
		"${kb}K" "$crashes")")
done

printf '%-10s %8s %12s %8s %8s %8s %8s %8s\n' target cpu_s runs cov0 cov \
	corpus size crashes
printf '%s\n' "${summary[@]}"
exit $status
