#!/usr/bin/env bash
# Builds ekort's pcsc-lite reader driver (ekort_ifd.c) and installs it with its reader.conf.d
# entry: "ekort Reader" (4 slots) and "ekort PIN Pad" (1 slot, PC/SC part 10 PIN entry).
# Cards plug in over Unix-domain sockets in /run/ekort-ifd (root only). Prints "changed"
# when pcscd must be restarted to load a new driver or entry. Run by native/setup-pcsc.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../packages.sh"

lib_dir=/usr/local/lib/pcsc
lib="$lib_dir/libekort_ifd.so"
conf=/etc/reader.conf.d/ekort

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cc -O2 -Wall -Wextra -Werror -fPIC -shared $(pkg-config --cflags libpcsclite) \
  -o "$build/libekort_ifd.so" "$here/ekort_ifd.c" -pthread
cat > "$build/ekort.conf" <<CONF
# ekort-desktop's virtual readers (native/ifd): cards connect to /run/ekort-ifd/<name>.<slot>
FRIENDLYNAME "ekort Reader"
DEVICENAME   /run/ekort-ifd/reader:4
LIBPATH      $lib

FRIENDLYNAME "ekort PIN Pad"
DEVICENAME   /run/ekort-ifd/pinpad:1:pinpad
LIBPATH      $lib
CONF

changed=no
if ! cmp -s "$build/libekort_ifd.so" "$lib"; then
  as_root mkdir -p "$lib_dir"
  as_root install -m 0755 "$build/libekort_ifd.so" "$lib"
  changed=yes
fi
if ! cmp -s "$build/ekort.conf" "$conf"; then
  as_root mkdir -p "$(dirname "$conf")"
  as_root install -m 0644 "$build/ekort.conf" "$conf"
  changed=yes
fi
[ "$changed" = yes ] && echo changed || echo unchanged
