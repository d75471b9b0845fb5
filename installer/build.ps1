# Builds Watchkeeper's Windows installer: dist\Watchkeeper-VERSION-setup.exe.
# Needs Python 3.11+ (py launcher) and NSIS (makensis on PATH, or `choco install nsis`).
#   powershell -ExecutionPolicy Bypass -File installer\build.ps1 [--bundle]
$ErrorActionPreference = "Stop"
$root = Split-Path -Parent $PSScriptRoot
$venv = Join-Path $root ".venv"
if (-not (Test-Path (Join-Path $venv "Scripts\python.exe"))) {
  # $env:PYTHON chooses the interpreter (as in installer/bootstrap.sh); else the py launcher
  if ($env:PYTHON) { & $env:PYTHON -m venv $venv } else { py -3 -m venv $venv }
}
$python = Join-Path $venv "Scripts\python.exe"
& $python -m pip install --quiet --disable-pip-version-check -e "$root[build]"
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
& $python (Join-Path $root "installer\build.py") @args
exit $LASTEXITCODE
