#!/usr/bin/env bash
# Installs Debian's espeak-ng when it is missing: the telephone service renders its prompts
# to WAV with it (`ekort phone call --audio DIR`, `espeak-ng -v sv -w FILE TEXT`). Idempotent.
#
#   native/setup-audio.sh           install espeak-ng (uses sudo when not root)
#   native/setup-audio.sh --check   install nothing; exit 1 and say what is missing
set -euo pipefail

packages=(espeak-ng)

. "$(dirname "$0")/packages.sh"
parse_mode setup-audio 6 "$@"
ensure_packages setup-audio "$mode" "${packages[@]}"

# The Swedish voice ships with espeak-ng-data; say so when it is not there.
if ! espeak-ng --voices=sv 2>/dev/null | grep -q ' sv '; then
  echo "setup-audio: espeak-ng has no Swedish voice (sv)" >&2
  exit 1
fi
echo "setup-audio: espeak-ng $(espeak-ng --version | sed -n 's/.*text-to-speech: \([^ ]*\).*/\1/p') with the Swedish voice"
