#!/usr/bin/env bash
# Rebuilds the native modules the app loads in Electron's main process (pcsclite, node-hid,
# better-sqlite3, and sockopt for the virtual reader link) for the ABI of the installed
# Electron, with @electron/rebuild (it comes with electron-builder). The rebuild is in place
# in node_modules: afterwards the CLI and the tests (plain Node) need `npm rebuild` again.
# electron-builder rebuilds for packaging by itself (npmRebuild); this is for `npm start`
# from a checkout.
#
#   native/rebuild-electron.sh            rebuild
#   native/rebuild-electron.sh --dry-run  say what would be done, change nothing
#
# Exits non-zero with a message when Electron (its binary) is not installed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
modules="pcsclite,node-hid,better-sqlite3,sockopt"
dry_run=0
[[ "${1:-}" == "--dry-run" ]] && dry_run=1

electron_version="$(node -p "try { require('electron/package.json').version } catch { '' }" 2>/dev/null || true)"
if [[ -z "$electron_version" ]]; then
  echo "rebuild-electron: Electron is not installed (no node_modules/electron): run npm install first." >&2
  exit 1
fi
if ! node -e "const p = require('electron'); if (typeof p !== 'string' || !require('fs').existsSync(p)) process.exit(1)" 2>/dev/null; then
  echo "rebuild-electron: Electron ${electron_version} is installed without its binary (ELECTRON_SKIP_BINARY_DOWNLOAD?)." >&2
  echo "rebuild-electron: would run: npx electron-rebuild --version ${electron_version} --only ${modules} --force" >&2
  echo "rebuild-electron: install the binary (unset ELECTRON_SKIP_BINARY_DOWNLOAD; npm rebuild electron) and run this again." >&2
  exit 1
fi
rebuild="$root/node_modules/.bin/electron-rebuild"
if [[ ! -x "$rebuild" ]]; then
  echo "rebuild-electron: @electron/rebuild is missing (it comes with electron-builder): run npm ci." >&2
  exit 1
fi

echo "rebuild-electron: rebuilding ${modules} for Electron ${electron_version}"
if (( dry_run )); then
  echo "rebuild-electron: would run: $rebuild --version ${electron_version} --only ${modules} --force"
  exit 0
fi
"$rebuild" --version "$electron_version" --only "$modules" --force
echo "rebuild-electron: done. Note: the CLI and the tests run on Node; run 'npm rebuild ${modules//,/ }' to go back to Node's builds."
