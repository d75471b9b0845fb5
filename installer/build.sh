#!/usr/bin/env bash
# Builds Watchkeeper's installer for this machine: a .deb on Debian and Ubuntu, a .dmg on
# macOS (see installer/build.py). Installs what the build needs first. Arguments go to
# build.py (for example --bundle for the one-folder bundle alone).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WATCHKEEPER_VENV:-$root/.venv}
if [ "$(uname -s)" = Darwin ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[build]"
else
  "$root/installer/bootstrap.sh" build
fi
exec "$venv/bin/python" "$root/installer/build.py" "$@"
