#!/usr/bin/env bash
# Installs what Tally needs on Debian 12, idempotently: missing apt packages of the named
# groups, and the rustfmt and clippy components.
#
#   scripts/setup.sh base            # build tools, OpenSSL headers, PostgreSQL server
#   scripts/setup.sh base desktop    # plus the Tauri / WebKitGTK / Xvfb stack
#
# Nothing is fetched when everything is already there: `apt-get update` runs once, and
# only when at least one package is missing (checked with `dpkg -s`).
set -euo pipefail

usage() {
  echo "usage: scripts/setup.sh GROUP... (groups: base, desktop)" >&2
  exit 2
}

# PostgreSQL: the server package (postgresql-15, Debian 12's version) brings the client,
# postgresql-common and the `postgres` OS user; scripts/with-postgres.sh uses its
# /usr/lib/postgresql/15/bin/{initdb,pg_ctl}. libssl-dev: SQLCipher (the device database is
# encrypted) links its libcrypto; libdbus-1-dev: the OS keyring (Secret Service) holds its key;
# openssl: the test PostgreSQL's self-signed TLS certificate.
base_pkgs=(build-essential pkg-config libssl-dev libdbus-1-dev curl file openssl postgresql-15)
# The list measured in /work/shared/NOTES-tauri.md (build-essential pkg-config libssl-dev
# curl file are in base), and a Chinese font so that the window (and its screenshots under
# Xvfb) shows Chinese rather than empty boxes.
desktop_pkgs=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev xvfb xauth imagemagick webkit2gtk-driver
  fonts-noto-cjk)

[ "$#" -gt 0 ] || usage
wanted=()
for group in "$@"; do
  case "$group" in
    base) wanted+=("${base_pkgs[@]}") ;;
    desktop) wanted+=("${desktop_pkgs[@]}") ;;
    -h | --help) usage ;;
    *) echo "setup.sh: unknown group '$group'" >&2; usage ;;
  esac
done

is_installed() {
  local info
  info=$(dpkg -s "$1" 2>/dev/null) || return 1
  grep -qx 'Status: install ok installed' <<<"$info"
}

missing=()
for pkg in "${wanted[@]}"; do
  if ! is_installed "$pkg"; then
    case " ${missing[*]} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup.sh: apt packages for [$*] already installed"
else
  echo "setup.sh: missing apt packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    cat >&2 <<MSG
setup.sh: not root and sudo is not available, so these cannot be installed from here.
Ask someone with root to run:
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}
MSG
    exit 1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
  for pkg in "${missing[@]}"; do
    is_installed "$pkg" || { echo "setup.sh: $pkg is still not installed" >&2; exit 1; }
  done
fi

# Rust components used by `make lint` / `make test`.
if command -v rustup >/dev/null 2>&1; then
  installed=$(rustup component list --installed)
  need=()
  grep -q '^rustfmt' <<<"$installed" || need+=(rustfmt)
  grep -q '^clippy' <<<"$installed" || need+=(clippy)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "setup.sh: adding rust components: ${need[*]}"
    rustup component add "${need[@]}"
  fi
else
  for tool in fmt clippy; do
    cargo "$tool" --version >/dev/null 2>&1 || {
      echo "setup.sh: 'cargo $tool' is missing and rustup is not available to add it" >&2
      exit 1
    }
  done
fi
