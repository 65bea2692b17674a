#!/usr/bin/env bash
# Turns delayed ACKs off (quickack) for loopback routes, machine-wide; root only. vpcd sends
# a message's length and payload in two writes, so with delayed ACKs every APDU to a virtual
# card that does not re-arm TCP_QUICKACK itself (Debian's vicc) waits ~40 ms. Connections
# made after the change use it; reconnect virtual cards afterwards.
#
#   native/loopback-quickack.sh on | off | status
set -euo pipefail
routes=("127.0.0.0/8" "127.0.0.1")
case "${1:-status}" in
  on|off)
    extra=(); [ "$1" = on ] && extra=(quickack 1)
    for r in "${routes[@]}"; do
      ip route change local "$r" dev lo table local proto kernel scope host src 127.0.0.1 "${extra[@]}"
    done ;;
  status) ;;
  *) echo "usage: $0 on|off|status" >&2; exit 2 ;;
esac
if ip route show table local | grep -E '^local 127\.0\.0\.(0/8|1) ' | grep -q quickack; then echo on; else echo off; fi
