#!/usr/bin/env bash
# Installs what Clearline needs on a Debian machine, and nothing twice:
# Debian packages with apt-get (only the missing ones), then the L1 tools
# (anvil, cast, solc-js) from the npm registry, pinned by
# contrib/l1/package-lock.json. Safe to run again at any time.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	gcc pkg-config meson ninja-build
	libsecp256k1-dev libsodium-dev liblmdb-dev libcurl4-openssl-dev
	libzstd-dev libmicrohttpd-dev libjansson-dev libwebsockets-dev
	libjemalloc-dev libyajl-dev
	clang valgrind curl ca-certificates
	gcc-riscv64-unknown-elf
	prometheus
	chromium
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
# node and npm: any installed copy will do; otherwise Debian's.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "bootstrap: installing Debian packages: ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>/dev/null
fi

# L1 tools, pinned by the lock file; reinstalled only when it changed.
l1="$top/contrib/l1"
stamp="$l1/node_modules/.clearline-lock"
if [ ! -x "$l1/node_modules/.bin/anvil" ] ||
	! cmp -s "$l1/package-lock.json" "$stamp" 2>/dev/null; then
	echo "bootstrap: installing L1 tools from the npm registry"
	(cd "$l1" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp "$l1/package-lock.json" "$stamp"
fi
"$l1/node_modules/.bin/anvil" --version >/dev/null
"$l1/node_modules/.bin/cast" --version >/dev/null

# The contracts' artifacts (generated, never committed).
(cd "$l1" && node compile.js >/dev/null)
echo "bootstrap: ready"
