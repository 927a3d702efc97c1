#!/usr/bin/env bash
# Install the pinned k6 v2 into <repo>/.tools/bin/k6 (git-ignored), built from source with `go install`.
# Reuses an existing binary when it already reports the pinned version. Works from any cwd.
#
# Exit codes: 0 ok, 2 Go toolchain missing, other = build failure.
set -euo pipefail

K6_VERSION="v2.2.0"           # pinned; newest v2 release whose module zip the Go proxy serves
K6_MODULE="go.k6.io/k6/v2"    # binary name is still `k6` (Go drops the /v2 major-version suffix)

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/../.." && pwd -P)"
BIN_DIR="${REPO_ROOT}/.tools/bin"
K6_BIN="${BIN_DIR}/k6"

installed_version() {
  # `k6 version` prints e.g. "k6 v2.2.0 (go1.26.8, linux/amd64)"
  "${K6_BIN}" version 2>/dev/null | awk 'NR == 1 { print $2 }'
}

if [[ -x "${K6_BIN}" ]] && [[ "$(installed_version || true)" == "${K6_VERSION}" ]]; then
  echo "k6 ${K6_VERSION} already installed: ${K6_BIN}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<EOF
error: the Go toolchain ('go') is not on PATH; it is needed to build k6 ${K6_VERSION}.
Install Go >= 1.25 from https://go.dev/dl/ (e.g. extract to /usr/local/go and add /usr/local/go/bin
to PATH), or via your package manager, then re-run: ${SCRIPT_DIR}/install-k6.sh
EOF
  exit 2
fi

mkdir -p "${BIN_DIR}"
# go install refuses to overwrite a file that is not a Go binary, and a wrong version must go anyway.
rm -f "${K6_BIN}"
echo "building k6 ${K6_VERSION} with $(go version | awk '{print $3}') (first build takes a few minutes)..." >&2

# Preferred path: plain `go install module@version`.
if ! GOBIN="${BIN_DIR}" go install "${K6_MODULE}@${K6_VERSION}"; then
  # `go install pkg@version` also resolves `@latest` of the module to look for a deprecation notice and
  # treats a failure there as fatal (seen when the proxy has no version list for go.k6.io/k6/v2 and the
  # `direct` fallback cannot reach go.k6.io). Building inside a throwaway module avoids that lookup and
  # yields the same build list (k6's own go.mod is the only root). Checksums are still verified.
  echo "plain 'go install ${K6_MODULE}@${K6_VERSION}' failed; retrying via a temporary module" >&2
  work_dir="$(mktemp -d "${TMPDIR:-/tmp}/k6-build.XXXXXX")"
  trap 'rm -rf "${work_dir}"' EXIT
  (
    cd "${work_dir}"
    go mod init k6build >/dev/null 2>&1
    GOFLAGS=-mod=mod go get "${K6_MODULE}@${K6_VERSION}" >/dev/null
    GOBIN="${BIN_DIR}" go install "${K6_MODULE}"
  )
fi

got="$(installed_version || true)"
if [[ "${got}" != "${K6_VERSION}" ]]; then
  echo "error: ${K6_BIN} reports '${got:-nothing}', expected ${K6_VERSION}" >&2
  exit 1
fi

echo "k6 ${K6_VERSION} installed: ${K6_BIN}"
