#!/usr/bin/env bash
# Gets a Debian/Ubuntu machine ready for ekort-desktop's end-to-end UI tests and UI bench:
# Debian's chromium (driven by playwright-core with executablePath /usr/bin/chromium, since
# Playwright's own browser download does not work offline) fonts for its screenshots, and zbar-tools (zbarimg) to decode the QR codes the UI draws.
# Idempotent; safe to run again.
#
#   native/setup-browser.sh           install what is missing
#   native/setup-browser.sh --check   install nothing; exit 1 and say what is missing
set -euo pipefail

packages=(chromium fonts-dejavu-core fonts-liberation zbar-tools)

. "$(dirname "$0")/packages.sh"
parse_mode setup-browser 9 "$@"
ensure_packages setup-browser "$mode" "${packages[@]}"

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-browser: /usr/bin/chromium is missing after installing chromium" >&2
  exit 1
fi
echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null | tail -n 1 || echo chromium) at /usr/bin/chromium"
