"""`watchkeeper --self-test` as an installer's test and a user run it: one line per check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = (
    "qt",
    "font",
    "resources",
    "store",
    "import",
    "rules",
    "detection",
    "collector",
    "window",
    "pdf",
)


def self_test(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), **environment}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen itself
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def verdicts(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines()[1:-1]:
        verdict, name = line.split()[:2]
        found[name] = verdict
    return found


def test_every_check_passes_and_nothing_is_left_behind(tmp_path: Path, _home: Path) -> None:
    result = self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Watchkeeper ") and "self-test" in lines[0]
    assert verdicts(result.stdout) == dict.fromkeys(CHECKS, "ok")
    assert lines[-1].startswith(f"All {len(CHECKS)} checks passed")
    assert "EVTX" not in result.stdout and "evtx" in result.stdout  # the EVTX parser ran
    # its own temporary folder is gone, and the user's data folder was never touched
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not _home.exists()


def test_a_machine_without_fonts_fails_the_font_check_by_name(tmp_path: Path) -> None:
    # A fontconfig that knows no font folder: what a bare server or container looks like.
    config = tmp_path / "fonts.conf"
    config.write_text(
        "<?xml version='1.0'?><fontconfig><dir>/nonexistent-fonts</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    result = self_test(tmp_path, FONTCONFIG_FILE=str(config))
    if "bundled: DejaVu" in result.stdout:
        pytest.skip("this copy bundles a font, so the check passes by design")
    assert result.returncode == 1
    found = verdicts(result.stdout)
    assert found["font"] == "FAIL" and found["pdf"] == "skip"
    assert found["import"] == found["detection"] == "ok"  # the rest still ran
    font_line = next(line for line in result.stdout.splitlines() if line.startswith("FAIL"))
    assert "boxes" in font_line
    assert result.stdout.splitlines()[-1].startswith(f"2 of {len(CHECKS)} checks failed")
