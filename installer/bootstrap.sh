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
    packages+=(xvfb xauth poppler-utils nsis p7zip-full desktop-file-utils binutils)
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
