#!/usr/bin/env bash
# Debian's Chromium (/usr/bin/chromium) for the report browser tests. playwright-core drives it
# with executablePath; no test ever downloads a browser of its own.
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/../../loadtest/tools/apt-install.sh" chromium /usr/bin/chromium
