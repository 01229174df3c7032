#!/usr/bin/env bash
# The one test command: installs what is missing, builds the normal
# (warnings as errors) and the sanitizer (ASan+UBSan) variants, runs every
# test in both, and ends with the line "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/bootstrap.sh || { echo "0 passed, 1 failed"; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
# Most tests wait on anvil, block times and polling rather than on a
# core (an L1 test uses about a fifth of one: docs/testing.md "Suite
# time"), so one more runs at once than there are cores; more than that
# starves the CPU-bound ones (the property tests, the crash test).
procs=${CLEARLINE_TEST_PROCS:-$((jobs + 1))}
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"

# name, then meson options
variants=(
	"build-release|-Dwerror=true --buildtype=debugoptimized"
	"build-sanitize|-Dwerror=true --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false"
)

status=0
passed=0
failed=0
skipped=0
built=()
notes=()
for v in "${variants[@]}"; do
	dir=${v%%|*}
	opts=${v#*|}
	echo "== $dir: configure and build"
	if [ -f "$dir/build.ninja" ]; then
		# shellcheck disable=SC2086
		meson setup --reconfigure "$dir" $opts >/dev/null || status=1
	else
		# shellcheck disable=SC2086
		meson setup "$dir" $opts >/dev/null || status=1
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		tail -40 "$dir.build.log"
		echo "== $dir: build failed"
		failed=$((failed + 1))
		status=1
		continue
	fi
	built+=("$dir")
done

for dir in "${built[@]}"; do
	echo "== $dir: test ($procs at once)"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --num-processes "$procs" --print-errorlogs ||
		status=1
	log="$dir/meson-logs/testlog.json"
	if [ ! -f "$log" ]; then
		failed=$((failed + 1))
		status=1
		continue
	fi
	# the names of the ones that did not pass, again at the end: a long
	# log's tail is what a CI page shows
	while IFS= read -r line; do
		notes+=("$dir: ${line}")
	done < <(grep -v '"result": "\(OK\|SKIP\)"' "$log" |
		sed -n 's/^{"name": "\([^"]*\)".*"result": "\([A-Z]*\)".*/\1 \2/p')
	p=$(grep -c '"result": "OK"' "$log")
	s=$(grep -c '"result": "SKIP"' "$log")
	t=$(grep -c '"result": ' "$log")
	passed=$((passed + p))
	skipped=$((skipped + s))
	failed=$((failed + t - p - s))
done

# The devnet end to end (README "Try it"), once, on the release build.
if [ -x build-release/src/clearlined ]; then
	echo "== devnet: contrib/devnet-check.sh"
	if CLEARLINE_DEVNET_BUILD=build-release contrib/devnet-check.sh \
		>build-release.devnet.log 2>&1; then
		passed=$((passed + 1))
		tail -1 build-release.devnet.log
	else
		failed=$((failed + 1))
		status=1
		tail -40 build-release.devnet.log
		echo "== devnet check failed (log: build-release.devnet.log)"
		notes+=("devnet: contrib/devnet-check.sh FAIL")
	fi
fi

if [ $((passed + failed)) -eq 0 ]; then
	status=1
	failed=1
fi
[ "$failed" -eq 0 ] || status=1
if [ "${#notes[@]}" -gt 0 ]; then
	echo "== did not pass:"
	printf '   %s\n' "${notes[@]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit $status
