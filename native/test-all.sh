#!/usr/bin/env bash
# `npm run test:all`: the whole suite on a fresh Debian/Ubuntu machine with Node 20+, as root
# or with sudo. Installs and starts what the tests need (pcscd with vsmartcard's virtual
# reader, OpenSC and the other peers, PostgreSQL, Chromium, espeak-ng), installs the npm
# packages, then typechecks, lints and runs every test. CI runs exactly this line (.ci/run).
# CI=true (the default here) makes a missing part a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"

bash native/setup-pcsc.sh --test
# The telephone service renders its prompts with espeak-ng (Swedish voice).
bash native/setup-audio.sh
# The e-kort store suites run against SQLite and this PostgreSQL.
EKORT_TEST_PG_URL="$(bash native/setup-postgres.sh | tail -n 1)"
export EKORT_TEST_PG_URL
bash native/setup-browser.sh

# No test starts the Electron binary: where it is not here already, do not try to download it
# (electron is an optional dependency; its types are what the typecheck needs).
if [ ! -f node_modules/electron/path.txt ]; then export ELECTRON_SKIP_BINARY_DOWNLOAD=1; fi
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm test
