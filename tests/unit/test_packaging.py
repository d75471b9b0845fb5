"""`pip install .` (not editable) gives a package that finds its resources and rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_plain_install_carries_resources_and_rules(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "No matching distribution found for setuptools" in build.stderr:
        pytest.skip("the package index is out of reach for the build backend")
    assert build.returncode == 0, build.stderr
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from watchkeeper.core import paths\n"
        "print(paths.resources_dir()); print(paths.rules_dir())\n"
        "import watchkeeper.cli as cli; print(cli.__file__)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()
    resources, rules, module = (Path(p) for p in found)
    # the installed copy's own folders, not the checkout's
    for path in (resources, rules, module):
        assert path.is_relative_to(target), path
    assert (resources / "icons" / "watchkeeper.svg").is_file()
    assert (rules / "README.md").is_file()
