#!/usr/bin/env bash
# Gets a Debian/Ubuntu machine ready for ekort-desktop's smart-card stack: installs pcscd,
# libpcsclite-dev (to build the npm pcsclite binding), vsmartcard-vpcd (the virtual reader
# that virtual cards plug into), opensc and pcsc-tools when they are missing, builds and
# installs ekort's own reader driver (native/ifd: "ekort Reader" slots and "ekort PIN Pad"),
# and starts pcscd when it is not running (restarts it when the driver changed).
# Idempotent; safe to run again.
#
#   native/setup-pcsc.sh           the runtime parts
#   native/setup-pcsc.sh --test    also the peers the tests use (Debian's vicc, python deps)
#   native/setup-pcsc.sh --check   install nothing; exit 1 and say what is missing
set -euo pipefail

packages=(pcscd libpcsclite-dev vsmartcard-vpcd opensc pcsc-tools procps)
mode=install
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(vsmartcard-vpicc python3-virtualsmartcard python3-pycryptodome openssl iproute2 yubikey-manager yubico-piv-tool) ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup-pcsc: unknown option $arg" >&2; exit 2 ;;
  esac
done

. "$(dirname "$0")/packages.sh"
ensure_packages setup-pcsc "$mode" "${packages[@]}"

vpcd_listening() { (exec 3<>/dev/tcp/127.0.0.1/35963) 2>/dev/null; }

# ekort's own reader driver (native/ifd): built here, loaded by pcscd at its start.
driver=unchanged
if [ "$mode" = check ]; then
  [ -f /etc/reader.conf.d/ekort ] || { echo "setup-pcsc: ekort's reader driver is not installed" >&2; exit 1; }
else
  ensure_packages setup-pcsc "$mode" gcc libc6-dev pkg-config
  driver="$("$(dirname "$0")/ifd/install.sh")"
fi

if pgrep -x pcscd >/dev/null && [ "$driver" = changed ]; then
  # A new driver or reader.conf entry is read only when pcscd starts.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    as_root systemctl restart pcscd.service
  else
    as_root pkill -x pcscd
    for _ in $(seq 1 50); do pgrep -x pcscd >/dev/null || break; sleep 0.1; done
    as_root pcscd
  fi
  echo "setup-pcsc: restarted pcscd to load ekort's reader driver"
elif pgrep -x pcscd >/dev/null; then
  echo "setup-pcsc: pcscd is running"
elif [ "$mode" = check ]; then
  echo "setup-pcsc: pcscd is not running" >&2; exit 1
else
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    as_root systemctl start pcscd.socket pcscd.service
  else
    as_root pcscd   # forks into the background
  fi
  echo "setup-pcsc: started pcscd"
fi

# OpenSC's PKCS#11 module serves max_virtual_slots / slots_per_card readers: 16 / 4 = 4 by
# default. vpcd's two readers and ekort's five make seven, so ekort's slots, and a USB reader
# plugged in after them, would be invisible to pkcs11-tool, ssh and every other PKCS#11 program.
# A configuration that sets max_virtual_slots itself is left alone.
opensc_conf=/etc/opensc/opensc.conf
if [ -f "$opensc_conf" ] && ! grep -q '^[^#]*max_virtual_slots' "$opensc_conf"; then
  if [ "$mode" = check ]; then
    echo "setup-pcsc: OpenSC's PKCS#11 module serves only the first 4 readers (max_virtual_slots in $opensc_conf)" >&2
    exit 1
  fi
  as_root tee -a "$opensc_conf" >/dev/null <<'CONF'

# Added by ekort-desktop's native/setup-pcsc.sh. OpenSC's PKCS#11 module serves
# max_virtual_slots / slots_per_card readers, 16 / 4 = 4 by default; vpcd and ekort's reader
# driver add seven readers. Remove this block for OpenSC's default.
app opensc-pkcs11 {
	pkcs11 {
		max_virtual_slots = 64;
	}
}
CONF
  echo "setup-pcsc: OpenSC's PKCS#11 module now serves 16 readers (max_virtual_slots = 64 in $opensc_conf)"
fi

# vpcd listens only while pcscd runs; wait for it (pcscd loads its drivers at start-up).
for _ in $(seq 1 50); do vpcd_listening && break; sleep 0.1; done
if vpcd_listening; then
  echo "setup-pcsc: virtual reader (vpcd) listening on 127.0.0.1:35963 and :35964"
  for _ in $(seq 1 50); do [ -S /run/ekort-ifd/reader.0 ] && break; sleep 0.1; done
  if [ -S /run/ekort-ifd/reader.0 ]; then
    echo "setup-pcsc: ekort's readers listening in /run/ekort-ifd (ekort Reader 00 00..03, ekort PIN Pad)"
  else
    echo "setup-pcsc: pcscd runs but ekort's reader driver does not listen in /run/ekort-ifd" >&2
    exit 1
  fi
else
  echo "setup-pcsc: pcscd runs but vpcd does not listen on 127.0.0.1:35963; is vsmartcard-vpcd installed?" >&2
  exit 1
fi
