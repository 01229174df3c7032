#!/usr/bin/env bash
# Runs the unit suite under valgrind's memcheck: any invalid read or
# write, use of uninitialised memory, bad free or definite leak fails the
# test (--error-exitcode=1). Too slow for CI: a separate command, figures
# in docs/testing.md. The long property tests run shortened (their
# environment knobs below); everything else runs as in the suite.
#
# Usage: contrib/valgrind.sh [BUILD_DIR] [meson test arguments...]
#   BUILD_DIR  a normal (not sanitizer) build; default build
#   e.g. contrib/valgrind.sh build test_book test_stf
# Environment: CL_VALGRIND_JOBS (default 2) tests at a time.
# Needs valgrind (Debian package valgrind; contrib/bootstrap.sh installs it).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-build}
[ $# -gt 0 ] && shift
case "$bdir" in /*) ;; *) bdir="$top/$bdir" ;; esac

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: valgrind is missing: run contrib/bootstrap.sh" >&2
	exit 1
fi
if [ ! -f "$bdir/build.ninja" ]; then
	echo "valgrind.sh: $bdir is not a configured build" \
		"(meson setup build && ninja -C build)" >&2
	exit 1
fi
if grep -q 'b_sanitize=\(address\|undefined\)' \
	"$bdir/meson-info/intro-buildoptions.json" 2>/dev/null ||
	grep -q -- '-fsanitize=address' "$bdir/build.ninja"; then
	echo "valgrind.sh: $bdir is a sanitizer build; use a normal one" >&2
	exit 1
fi

# the property tests' sizes: memcheck is ~30x slower than native
export CL_STF_PROPERTY_TXS=${CL_STF_PROPERTY_TXS:-3000}
export CL_TEST_REQUESTS=${CL_TEST_REQUESTS:-3000}
export CL_TEST_STEPS=${CL_TEST_STEPS:-2000}

wrapper="valgrind --error-exitcode=1 --leak-check=full"
wrapper+=" --errors-for-leak-kinds=definite --show-leak-kinds=definite"
wrapper+=" --suppressions=$top/contrib/valgrind.supp --num-callers=30 -q"
# the build's malloc is jemalloc's (meson.build, -Dallocator): memcheck
# replaces it there as it would glibc's
wrapper+=" --soname-synonyms=somalloc=*jemalloc*"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--suite unit)

ninja -C "$bdir" >/dev/null
start=$(date +%s)
rc=0
meson test -C "$bdir" --wrapper "$wrapper" --timeout-multiplier 40 \
	--num-processes "${CL_VALGRIND_JOBS:-2}" --print-errorlogs \
	"${args[@]}" || rc=$?
echo "valgrind.sh: $(( $(date +%s) - start )) s, exit $rc" \
	"(log: $bdir/meson-logs/testlog-valgrind.txt)"
exit $rc
