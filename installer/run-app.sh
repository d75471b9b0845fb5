#!/usr/bin/env bash
# Opens Watchkeeper from this checkout on the default database, installing what it needs first.
# Extra arguments go to `watchkeeper` (for example: --db other.duckdb, or a command such as stats).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/installer/bootstrap.sh" app
exec "${WATCHKEEPER_VENV:-$root/.venv}/bin/watchkeeper" "$@"
