#!/usr/bin/env bash
# Prepares a Debian/Ubuntu machine to run Watchkeeper from this checkout:
# the system libraries Qt needs, a font, and a virtual environment with the app in it.
# Usage: installer/bootstrap.sh [app|test|build]
#   test adds the test tools and a virtual screen; build adds what installer/build.py uses
# Safe to run again: it installs only what is missing.
set -euo pipefail

mode=${1:-app}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WATCHKEEPER_VENV:-$root/.venv}

say() { printf 'watchkeeper setup: %s\n' "$*" >&2; }

# Qt's platforms (the list the .deb declares too), a font so text is not boxes, Python's venv.
mapfile -t packages < <(grep -v '^#' "$root/installer/linux/runtime-packages.txt")
packages+=(python3 python3-venv fonts-dejavu-core)
extras=""
case "$mode" in
  app) ;;
  test)
    # a virtual screen, PDF pages as PNG, and what the installer tests build and check with
    packages+=(xvfb xauth poppler-utils nsis p7zip-full desktop-file-utils binutils dbus
               gnome-keyring bsdutils curl openssl)
    # setpriv: tests run as root drop its permission override to meet read-only files
    packages+=(util-linux)
    # a shifted clock for the tests that judge by the time now (.ci/run)
    packages+=(faketime)
    # ausyscall checks the generated audit rules' system calls (setup configs)
    packages+=(auditd)
    # systemd-analyze checks the collector's service unit the setup wizard writes
    packages+=(systemd)
    # Real senders for the collector tests. rsyslog and syslog-ng conflict as packages, so
    # the one the system lacks is unpacked privately below (with its libraries installed).
    if dpkg-query -W -f='${Status}' syslog-ng-core 2>/dev/null | grep -q ' installed'; then
      private_sender=rsyslog
    else
      packages+=(rsyslog rsyslog-gnutls libivykis0 libjson-c5 libnet1 libpcre3 libwrap0)
      private_sender=syslog-ng-core
    fi
    extras="[test,build]" ;;
  build)
    packages+=(binutils)
    extras="[build]" ;;
  *) say "unknown mode '$mode' (app, test or build)"; exit 2 ;;
esac

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
      *" installed") ;;
      *) missing+=("$package") ;;
    esac
  done
else
  say "not a Debian/Ubuntu system: install Qt's libraries (libGL, libEGL, xkbcommon, xcb-cursor) and a font yourself"
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "need root to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # Ubuntu 24.04 renamed some libraries (t64); apt resolves the old names to them.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}

# A sender the system cannot have beside its own logger: unpacked under the venv, run from
# a wrapper in the venv's bin/ (tests look there). Only syslog-ng-core is handled this way.
unpack_private_sender() {
  local target="$venv/senders/syslog-ng-core"
  [ -x "$venv/bin/syslog-ng" ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  local download
  download=$(mktemp -d)
  if (cd "$download" && apt-get download -qq syslog-ng-core >/dev/null 2>&1); then
    mkdir -p "$target" "$venv/bin"
    dpkg-deb -x "$download"/syslog-ng-core_*.deb "$target"
    local modules
    modules=$(ls -d "$target"/usr/lib/syslog-ng/[0-9]* | head -1)
    cat > "$venv/bin/syslog-ng" <<WRAPPER
#!/bin/sh
# syslog-ng-core unpacked for the collector's tests (it conflicts with the system's rsyslog)
LD_LIBRARY_PATH="$target/usr/lib/syslog-ng" exec "$target/usr/sbin/syslog-ng" --module-path="$modules" "\$@"
WRAPPER
    chmod +x "$venv/bin/syslog-ng"
  else
    say "could not download syslog-ng-core; its sender test will be skipped"
  fi
  rm -rf "$download"
}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "Watchkeeper needs Python 3.11 or newer; $("$python" --version 2>&1) found (set PYTHON=python3.12 to choose another)"
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  say "creating the virtual environment in $venv"
  "$python" -m venv "$venv"
fi

stamp="$venv/.watchkeeper-installed"
want="$mode $(cat "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
  say "installing Watchkeeper and its Python packages (first time takes a minute)"
  log="$venv/install.log"
  # the build backend's notices go to the log; it is shown when the install fails
  if ! { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip &&
         "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root$extras"
       } > "$log" 2>&1; then
    cat "$log" >&2
    say "installing the Python packages failed (log: $log)"
    exit 1
  fi
  echo "$want" >> "$stamp"
fi

if [ "$mode" = test ] && [ "${private_sender:-}" = syslog-ng-core ]; then
  unpack_private_sender
fi
