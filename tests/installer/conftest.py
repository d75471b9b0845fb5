"""Installer tests build the real thing with installer/build.py, once per run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def project_version() -> str:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(document["project"]["version"])


@dataclass
class Built:
    bundle: Path
    installer: Path | None
    output: str


def build(tmp: Path, *options: str) -> Built:
    """Run installer/build.py into `tmp`; fails (never skips) when it cannot build."""
    for module in ("PyInstaller", "PIL"):
        try:
            __import__(module)
        except ImportError:
            pytest.fail(
                f"{module} is missing: pip install -e '.[build]' "
                "(installer/run-tests.sh installs it)"
            )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            str(INSTALLER / "build.py"),
            "--dist",
            str(tmp / "dist"),
            "--work",
            str(tmp / "work"),
            *options,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    made = re.findall(r"^\s+[\d,.]+ MB\s+(\S+)$", result.stdout, re.M)
    paths = [tmp / name for name in made]
    installer = next((p for p in paths if p.is_file()), None)
    return Built(bundle=tmp / "dist" / "watchkeeper", installer=installer, output=result.stdout)


def no_font_config(tmp: Path) -> Path:
    """A fontconfig that knows no font folder: a bare server or container."""
    config = tmp / "no-fonts.conf"
    config.write_text(
        "<?xml version='1.0'?><fontconfig><dir>/nonexistent-fonts</dir>"
        f"<cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>"
    )
    return config
