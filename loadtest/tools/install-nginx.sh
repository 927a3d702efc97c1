#!/usr/bin/env bash
# Install Debian's nginx (/usr/sbin/nginx) for the live suite: a reverse proxy in front of
# `next start` that writes the access log isrsim reads. Tests start it on 127.0.0.1 with a
# config of their own (never the system's), in the foreground, and stop it by pid.
# Reuses an installed one. Needs root or sudo (apt-get). Works from any cwd.
#
# Exit codes: 0 ok, 2 no apt-get (not Debian/Ubuntu) or no root/sudo, other = apt-get failure.
set -euo pipefail

if [[ -x /usr/sbin/nginx ]]; then
  echo "nginx already installed: $(/usr/sbin/nginx -v 2>&1 | head -n 1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found; install nginx so that /usr/sbin/nginx exists, then re-run $0" >&2
  exit 2
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "error: installing nginx needs root; run: sudo apt-get install -y nginx-light || sudo apt-get install -y nginx" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index gives 404s for superseded versions: refresh it first.
$SUDO apt-get update -qq
# The package's own service is never used: keep it from starting (no policy-rc.d, no systemd here).
$SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Debian's postinst may have started the system nginx on port 80: stop it, the tests run their own.
if [[ -f /run/nginx.pid ]]; then $SUDO /usr/sbin/nginx -s stop 2>/dev/null || true; fi
echo "nginx installed: $(/usr/sbin/nginx -v 2>&1 | head -n 1)"
