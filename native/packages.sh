# Sourced by the setup scripts in native/: Debian packages, installed when missing.
#   ensure_packages TAG MODE PACKAGE...   MODE install: apt-get what is missing;
#                                         MODE check: exit 1 naming what is missing
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_packages() {
  local tag=$1 mode=$2
  shift 2
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$mode" = check ]; then echo "$tag: missing packages: ${missing[*]}" >&2; exit 1; fi
  command -v apt-get >/dev/null || { echo "$tag: no apt-get; install ${missing[*]} with your package manager" >&2; exit 1; }
  echo "$tag: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
