#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for the report browser tests. playwright-core
# drives it with executablePath; no test ever downloads a browser of its own.
# Reuses an installed one. Needs root or sudo (apt-get). Works from any cwd.
#
# Exit codes: 0 ok, 2 no apt-get (not Debian/Ubuntu) or no root/sudo, other = apt-get failure.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found; install Chromium so that /usr/bin/chromium exists, then re-run $0" >&2
  exit 2
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "error: installing chromium needs root; run: sudo apt-get install -y chromium" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index gives 404s for superseded versions: refresh it first.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
