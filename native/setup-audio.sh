#!/usr/bin/env bash
# Installs Debian's espeak-ng when it is missing: the telephone service renders its prompts
# to WAV with it (`ekort phone call --audio DIR`, `espeak-ng -v sv -w FILE TEXT`). Idempotent.
#
#   native/setup-audio.sh           install espeak-ng (uses sudo when not root)
#   native/setup-audio.sh --check   install nothing; exit 1 and say what is missing
set -euo pipefail

packages=(espeak-ng)
mode=install
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup-audio: unknown option $arg" >&2; exit 2 ;;
  esac
done

. "$(dirname "$0")/packages.sh"
ensure_packages setup-audio "$mode" "${packages[@]}"

# The Swedish voice ships with espeak-ng-data; say so when it is not there.
if ! espeak-ng --voices=sv 2>/dev/null | grep -q ' sv '; then
  echo "setup-audio: espeak-ng has no Swedish voice (sv)" >&2
  exit 1
fi
echo "setup-audio: espeak-ng $(espeak-ng --version | sed -n 's/.*text-to-speech: \([^ ]*\).*/\1/p') with the Swedish voice"
