#!/usr/bin/env bash
# deps.sh - install the Debian packages Parley builds, tests and benchmarks with.
#
# Idempotent and quiet when everything is present: it asks dpkg first and only
# calls apt-get for what is missing. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libsodium-dev
  libcurl4-openssl-dev libssl-dev libutf8proc-dev libcmocka-dev libgmime-3.0-dev
  wrk curl python3 tzdata
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: missing packages (${missing[*]}) and not root; install them and retry" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
