#!/usr/bin/env bash
# Install one of Debian's packages that the tests drive for real (chromium, nginx, ...), the
# project's only way of installing system software: apt-get, reusing what is installed.
# Usage: apt-install.sh <package> <binary it provides> [--stop-service]
#   --stop-service: stop the system instance the package's postinst may start (the tests run
#   their own, on loopback, with configs of their own).
# Needs root or passwordless sudo. Works from any cwd.
#
# Exit codes: 0 ok, 2 no apt-get (not Debian/Ubuntu), no root/sudo or bad usage, other = apt-get failure.
set -euo pipefail

PKG="${1:-}"; BIN="${2:-}"; STOP="${3:-}"
if [[ -z "${PKG}" || -z "${BIN}" ]]; then echo "usage: $0 <package> <binary> [--stop-service]" >&2; exit 2; fi

version() { dpkg-query -W -f='${Version}' "${PKG}" 2>/dev/null || echo "(not from apt)"; }
if [[ -x "${BIN}" ]]; then
  echo "${PKG} already installed: $(version)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found; install ${PKG} so that ${BIN} exists, then re-run $0 ${PKG} ${BIN}" >&2
  exit 2
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "error: installing ${PKG} needs root; run: sudo apt-get install -y ${PKG}" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index gives 404s for superseded versions: refresh it first.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PKG}" >/dev/null
if [[ "${STOP}" == "--stop-service" ]]; then
  # No systemd here: a postinst that started the daemon left a pid file; stop that instance.
  for pidfile in "/run/${PKG}.pid" "/run/${PKG}/${PKG}.pid" "/var/run/${PKG}.pid"; do
    if [[ -f "${pidfile}" ]]; then $SUDO kill "$(cat "${pidfile}")" 2>/dev/null || true; fi
  done
fi
if [[ ! -x "${BIN}" ]]; then echo "error: apt-get installed ${PKG} but ${BIN} is missing" >&2; exit 1; fi
echo "${PKG} installed: $(version)"
