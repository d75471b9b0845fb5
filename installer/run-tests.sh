#!/usr/bin/env bash
# Runs Watchkeeper's test suite, installing what it needs first. Arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/installer/bootstrap.sh" test
cd "$root"
set +e
"${WATCHKEEPER_VENV:-$root/.venv}/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "run-tests: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$status"
