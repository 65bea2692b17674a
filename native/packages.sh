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

# parse_mode TAG LAST_HELP_LINE ARG...: sets `mode` to install, or check for --check; -h prints
# the calling script's header (lines 2 to LAST_HELP_LINE); anything else is a usage error.
parse_mode() {
  local tag=$1 help=$2 arg
  shift 2
  mode=install
  for arg in "$@"; do
    case "$arg" in
      --check) mode=check ;;
      -h|--help) sed -n "2,${help}p" "$0"; exit 0 ;;
      *) echo "$tag: unknown option $arg" >&2; exit 2 ;;
    esac
  done
}
